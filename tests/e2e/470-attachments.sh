# Key files attached the way a mail program attaches them (issue 15,
# item 6): the MIME type comes from the system's mime.types, as mutt
# takes it (Python's mimetypes reads the same /etc/mime.types). On
# Debian 12, .pgp is application/pgp-encrypted, .asc and .key are
# application/pgp-keys, .gpg and .rev are unknown (octet-stream). Each
# key, made and exported by GnuPG, must be read and stored.
. "$KM_TOP/tests/lib.sh"
km_newdb attach
km_gpg_init
# attach FILE NAME [TYPE]: an ADD mail with FILE attached as NAME, its
# type TYPE or else guessed from NAME
attach() {
	$PY - "$1" "$2" "$T/a.eml" "${3:-}" <<'PY'
import mimetypes, sys
from email.message import EmailMessage
mimetypes.init()
data = open(sys.argv[1], 'rb').read()
ctype = sys.argv[4] or mimetypes.guess_type(sys.argv[2])[0] or 'application/octet-stream'
m = EmailMessage()
m['From'] = 'Adam Attach <adam@example.org>'
m['To'] = 'pgp-public-keys@keys.test.example'
m['Subject'] = 'ADD'
m['Message-ID'] = '<%s@example.org>' % sys.argv[2]
m.set_content('My key is attached.\n')
main, sub = ctype.split('/')
m.add_attachment(data, maintype=main, subtype=sub, filename=sys.argv[2])
open(sys.argv[3], 'wb').write(bytes(m))
print(ctype)
PY
}
n=0; types=
for ext in pgp gpg asc key; do
	n=$((n + 1))
	km_gpg_genkey ed25519 "Adam $ext <adam$n@example.org>"
	fpr=$(km_gpg_fpr "adam$n@example.org")
	case $ext in asc|key) gpg --armor --export "$fpr" > "$T/k.$ext" ;;
	             *) gpg --export "$fpr" > "$T/k.$ext" ;; esac
	# .pgp always as Debian 12 labels it, whatever this system says
	force=; [ $ext = pgp ] && force=application/pgp-encrypted
	type=$(attach "$T/k.$ext" "mykey.$ext" $force)
	types="$types .$ext=$type"
	km_filter "$T/a.eml"
	check_eq ".$ext ($type): exit 0" "$rc" 0
	check_eq ".$ext ($type): Subject" "$(reply_subject "$(last_reply)")" "Your command, ADD"
	check ".$ext ($type): stored" grep -q "New public keys added: 1" "$(last_reply)"
	check ".$ext ($type): served back" sh -c "'$KEYMAIL' get 0x$fpr >/dev/null"
done
echo "NOTE: attached as$types"
# The revocation certificate GnuPG keeps, attached as it is.
rev=$GNUPGHOME/openpgp-revocs.d/$fpr.rev
type=$(attach "$rev" "$fpr.rev")
km_filter "$T/a.eml"
check ".rev ($type): merged" grep -q "New revocation signatures added: 1" "$(last_reply)"
check_eq ".rev: the key is revoked" "$(psql "$KM_DB" -Atc "select revoked from keys where fingerprint = decode('$fpr', 'hex')")" t
km_done
