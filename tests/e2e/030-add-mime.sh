# ADD finds keys in MIME mail: an application/pgp-keys attachment in
# base64, a quoted-printable text part, nested multiparts, several keys in
# one message, and a binary (non-armored) key attachment.
. "$KM_TOP/tests/lib.sh"
km_newdb mime
km_gpg_init
km_gpg_genkey ed25519 'Mimi Mime <mimi@example.org>'
km_gpg_genkey ed25519 'Quentin Quoted <quentin@example.org>'
km_gpg_genkey nistp384 'Nestor Nested <nestor@example.org>'
km_gpg_genkey ed25519 'Bina Binary <bina@example.org>'
export MIMI=$(km_gpg_fpr mimi@example.org) QUENTIN=$(km_gpg_fpr quentin@example.org) \
    NESTOR=$(km_gpg_fpr nestor@example.org) BINA=$(km_gpg_fpr bina@example.org)
gpg --armor --export "$MIMI" > "$T/mimi.asc"
gpg --armor --export "$QUENTIN" > "$T/quentin.asc"
gpg --armor --export "$NESTOR" > "$T/nestor.asc"
gpg --export "$BINA" > "$T/bina.gpg"

# Python's email package writes the MIME structure (not our code).
$PY - "$T" <<'PY'
import sys, quopri
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email import encoders
t = sys.argv[1]
def hdr(m, subj):
    m['From'] = 'Mime Tester <mime@example.org>'
    m['To'] = 'pgp-public-keys@keys.test.example'
    m['Subject'] = subj
    m['Message-ID'] = '<mime-%s@example.org>' % subj.replace(' ', '')
    return m
# 1. base64 application/pgp-keys attachment
m = MIMEMultipart()
m.attach(MIMEText('Here is my key.\n'))
a = MIMEApplication(open(t + '/mimi.asc', 'rb').read(), 'pgp-keys', Name='mimi.asc')
m.attach(a)
open(t + '/m1.eml', 'w').write(hdr(m, 'ADD').as_string())
# 2. quoted-printable text/plain holding the armored key (soft line breaks forced)
body = 'Key follows ===\n' + open(t + '/quentin.asc').read()
p = MIMEText(body, 'plain', 'utf-8')
del p['Content-Transfer-Encoding']
p.set_payload(quopri.encodestring(body.encode(), quotetabs=True).decode())
p['Content-Transfer-Encoding'] = 'quoted-printable'
m = MIMEMultipart(); m.attach(p)
open(t + '/m2.eml', 'w').write(hdr(m, 'ADD').as_string())
# 3. nested: multipart/mixed > multipart/alternative > text/plain (key) + html; plus binary .gpg
inner = MIMEMultipart('alternative')
inner.attach(MIMEText(open(t + '/nestor.asc').read()))
inner.attach(MIMEText('<p>html</p>', 'html'))
m = MIMEMultipart(); m.attach(inner)
b = MIMEBase('application', 'octet-stream'); b.set_payload(open(t + '/bina.gpg', 'rb').read())
encoders.encode_base64(b); b.add_header('Content-Disposition', 'attachment', filename='bina.gpg')
m.attach(b)
open(t + '/m3.eml', 'w').write(hdr(m, 'ADD').as_string())
PY

km_filter "$T/m1.eml"; check_eq "base64 attachment exit" "$rc" 0
check "base64 attachment: key stored" grep -q "$MIMI" "$(last_reply)"
km_filter "$T/m2.eml"; check_eq "quoted-printable exit" "$rc" 0
check "quoted-printable: key stored" grep -q "$QUENTIN" "$(last_reply)"
km_filter "$T/m3.eml"; check_eq "nested exit" "$rc" 0
r=$(last_reply)
check "nested multipart: key stored" grep -q "$NESTOR" "$r"
check "binary attachment: key stored" grep -q "$BINA" "$r"
check "two keys reported" grep -q "New public keys added: 2" "$r"
for f in $MIMI $QUENTIN $NESTOR $BINA; do
	check "keymail get finds $f" sh -c "'$KEYMAIL' get 0x$f | grep -q 'BEGIN PGP PUBLIC KEY BLOCK'"
done

# several armored blocks in one plain body
km_gpg_genkey ed25519 'Multi One <m1@example.org>'
km_gpg_genkey ed25519 'Multi Two <m2@example.org>'
{ gpg --armor --export m1@example.org; echo "some text between"; gpg --armor --export m2@example.org; } > "$T/two.asc"
km_mail "$T/two.eml" ADD "$T/two.asc"; km_filter "$T/two.eml"
check "two blocks in one body" grep -q "New public keys added: 2" "$(last_reply)"

# CRLF line ends and an mbox From_ line
{ printf 'From alice@example.org Sun Nov 22 10:00:00 2026\n'; km_mail /dev/stdout ADD "$T/mimi.asc"; } | sed 's/$/\r/' > "$T/crlf.eml"
km_filter "$T/crlf.eml"; check_eq "CRLF exit" "$rc" 0
check "CRLF + From_ line: key found" grep -q "$MIMI" "$(last_reply)"

# No key at all
km_mail "$T/nokey.eml" ADD /dev/null; km_filter "$T/nokey.eml"
check_eq "ADD without key subject" "$(reply_subject "$(last_reply)")" "Your command, ADD, failed"
check "ADD without key explains" grep -q "No public key block" "$(last_reply)"
km_done
