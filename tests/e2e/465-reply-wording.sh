# How replies read in a mail program (issue 15, items 13 and 14), checked
# with Python's email package as the reading client: the keys of GET,
# MGET and LAST come as a part with a file name and a description; the
# intro starts with server_name as written, on 80 columns; an empty
# INDEX keeps pks's Subject but says plainly that nothing was looked up;
# an unknown command says it was not understood; "New user IDs added";
# HELP de has a German intro.
. "$KM_TOP/tests/lib.sh"
km_newdb wording
cat >> "$T/keymail.conf" <<EOC
server_name = keys.test.example OpenPGP keyserver
maintainer = keyserver-admin@test.example
EOC
km_gpg_init
km_gpg_genkey ed25519 'Wendy Wording <wendy@example.org>'
fpr=$(km_gpg_fpr wendy@example.org)
gpg --armor --export "$fpr" > "$T/w.asc"
km_mail "$T/add.eml" ADD "$T/w.asc"; km_filter "$T/add.eml"
# parts FILE: one line per leaf part: type|filename|description
parts() { $PY - "$1" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
for p in m.walk():
    if p.get_content_maintype() != 'multipart':
        print('%s|%s|%s' % (p.get_content_type(), p.get_filename() or '', p['Content-Description'] or ''))
PY
}
for cmd in "GET 0x$fpr" "MGET wendy" "LAST 1"; do
	km_mail "$T/q.eml" "$cmd"; km_filter "$T/q.eml"
	parts "$(last_reply)" > "$T/parts"
	check "$cmd: keys part named keys.asc, described" grep -qx 'application/pgp-keys|keys.asc|OpenPGP public keys' "$T/parts"
	check "$cmd: the intro part has no file name" grep -qx 'text/plain||' "$T/parts"
done
# The saved part is what GnuPG imports.
$PY - "$(last_reply)" "$T/saved.asc" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
for p in m.walk():
    if p.get_filename() == 'keys.asc':
        open(sys.argv[2], 'wb').write(p.get_payload(decode=True))
PY
G=$T/fresh; mkdir -m 700 "$G"
GNUPGHOME=$G gpg --batch --import "$T/saved.asc" 2>/dev/null
check_eq "keys.asc as saved imports into GnuPG" "$(GNUPGHOME=$G gpg --with-colons -k 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')" "$fpr"

# The intro: server_name alone on the first line, no line over 79.
decoded_body "$(last_reply)" > "$T/body"
check_eq "intro: first line is server_name as written" "$(head -n 1 "$T/body")" "keys.test.example OpenPGP keyserver"
check "intro: the robot's address" grep -qx "Robot: pgp-public-keys@keys.test.example (keymail [0-9.]*)" "$T/body"
check "intro: the operator" grep -qx "Operator: keyserver-admin@test.example" "$T/body"
check "intro: server_name said once" test "$(grep -c 'OpenPGP keyserver' "$T/body")" -eq 1
check "intro: no line over 79 columns" sh -c "! sed -n '1,/^$/p' '$T/body' | grep -q '.\{80\}'"

# An empty INDEX: pks's Subject, plain words.
km_mail "$T/i.eml" "INDEX"; km_filter "$T/i.eml"
check_eq "empty INDEX: pks's Subject kept" "$(reply_subject "$(last_reply)")" "Your command, INDEX, is not yet implemented"
decoded_body "$(last_reply)" > "$T/body"
check "empty INDEX: says nothing was looked up" grep -q "Nothing was looked up, and no key matched" "$T/body"
check "empty INDEX: explains the Subject" grep -q 'Subject says "is not yet implemented"' "$T/body"

# An unknown command.
km_mail "$T/u.eml" "Please send me the key"; km_filter "$T/u.eml"
check_eq "unknown: Subject" "$(reply_subject "$(last_reply)")" "Your command, Please send me the key, was invalid"
decoded_body "$(last_reply)" > "$T/body"
check "unknown: says it was not understood" grep -q "Your message was not understood" "$T/body"
check "unknown: short" test "$(wc -l < "$T/body")" -lt 20

# ADD's labels: a new user ID.
gpg --batch --quick-add-uid "$fpr" 'Wendy W. <ww@example.org>' 2>/dev/null
gpg --armor --export "$fpr" > "$T/w2.asc"
km_mail "$T/add2.eml" ADD "$T/w2.asc"; km_filter "$T/add2.eml"
check "ADD: New user IDs added" grep -q "^  New user IDs added: 1$" "$(last_reply)"
check "ADD: no userid's" sh -c "! grep -q \"userid's\" '$(last_reply)'"

# HELP de: German from the first line of the intro on.
km_mail "$T/h.eml" "HELP de"; km_filter "$T/h.eml"
decoded_body "$(last_reply)" > "$T/body"
check_eq "HELP de: intro starts with server_name" "$(head -n 1 "$T/body")" "keys.test.example OpenPGP keyserver"
check "HELP de: German intro" grep -qx "Betreiber: keyserver-admin@test.example" "$T/body"
check "HELP de: no English banner" sh -c "! grep -q 'A keyserver only stores' '$T/body'"
check "HELP de: German help" grep -q "^EINEN SCHLÜSSEL WIDERRUFEN" "$T/body"
check "HELP de: no peers, so no promise" grep -q "^ANDERE SCHLÜSSELSERVER" "$T/body"
check "HELP de: explains sig!" grep -q "sig!  geprüft und gültig" "$T/body"
km_mail "$T/h.eml" "HELP"; km_filter "$T/h.eml"
decoded_body "$(last_reply)" > "$T/body"
check "HELP: English intro" grep -qx "Operator: keyserver-admin@test.example" "$T/body"
check "HELP: explains sig-" grep -q "sig-  the signer's key is here" "$T/body"
check "HELP: no unreplaced placeholder or directive" sh -c "! grep -q '\\\$[a-z]' '$T/body'"
km_done
