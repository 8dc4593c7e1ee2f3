# Replies travel through the real msmtp to a real SMTP receiver
# (python3-aiosmtpd): we check what arrived, headers and body.
. "$KM_TOP/tests/lib.sh"
km_newdb msmtp
km_smtp_start || { km_done; exit 1; }
km_gpg_init
km_gpg_genkey ed25519 'Mia Msmtp <mia@example.org>'
MIA=$(km_gpg_fpr mia@example.org)
gpg --armor --export "$MIA" > "$T/mia.asc"
km_mail "$T/add.eml" ADD "$T/mia.asc" 'Mia <mia@example.org>'
km_filter "$T/add.eml"; check_eq "ADD via msmtp exit" "$rc" 0
printf 'From: Mia <mia@example.org>\nReply-To: "Mia Alt" <mia-alt@example.org>\nTo: pgp-public-keys@keys.test.example\nSubject: GET 0x%s\nMessage-ID: <get-1@example.org>\n\n' "$MIA" > "$T/get.eml"
km_filter "$T/get.eml"; check_eq "GET via msmtp exit" "$rc" 0

# aiosmtpd's Mailbox handler writes a maildir before it answers, so both
# messages should be there; wait for them all the same (up to a minute)
i=0
while [ "$(ls "$T"/maildir/new 2>/dev/null | wc -l)" -lt 2 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
check_eq "two messages arrived" "$(ls "$T"/maildir/new | wc -l)" 2
$PY - "$T/maildir" "$MIA" > "$T/arrived.txt" <<'PY'
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
for key, m in sorted(md.items(), key=lambda kv: kv[1]['Subject']):
    print('SUBJECT=' + m['Subject'])
    print('TO=' + m['To'])
    print('FROM=' + m['From'])
    print('AUTO=' + str(m['Auto-Submitted']))
    print('XLOOP=' + str(m['X-Loop']))
    print('INREPLYTO=' + str(m['In-Reply-To']))
    print('RCPT=' + str(m.get('X-RcptTo')))
    for part in m.walk():
        if part.get_content_type() == 'application/pgp-keys':
            open(sys.argv[1] + '/../served.asc', 'wb').write(part.get_payload(decode=True))
            print('KEYPART=yes')
PY
cat "$T/arrived.txt" | sed 's/^/  /'
check "ADD reply arrived" grep -qx "SUBJECT=Your command, ADD" "$T/arrived.txt"
check "GET reply arrived" grep -qx "SUBJECT=Your command, GET 0x$MIA" "$T/arrived.txt"
check "GET reply went to Reply-To" grep -q "^TO=.*mia-alt@example.org" "$T/arrived.txt"
check "envelope recipient was Reply-To" grep -q "^RCPT=.*mia-alt@example.org" "$T/arrived.txt"
check "Auto-Submitted: auto-replied" grep -qx "AUTO=auto-replied" "$T/arrived.txt"
check "X-Loop is our address" grep -qx "XLOOP=pgp-public-keys@keys.test.example" "$T/arrived.txt"
check "In-Reply-To" grep -qx "INREPLYTO=<get-1@example.org>" "$T/arrived.txt"
check "key part present" grep -qx "KEYPART=yes" "$T/arrived.txt"
G=$T/g; mkdir -m 700 "$G"
GNUPGHOME=$G gpg --batch --import "$T/served.asc" 2>/dev/null
check_eq "served key imports" "$(GNUPGHOME=$G gpg --with-colons -k 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')" "$MIA"

# SMTP receiver gone: the mailer fails, the filter exits 75 so the MTA retries.
kill "$_smtp_pid"; wait "$_smtp_pid" 2>/dev/null; _smtp_pid=
km_filter "$T/get.eml"; check_eq "mailer down -> EX_TEMPFAIL" "$rc" 75
km_done
