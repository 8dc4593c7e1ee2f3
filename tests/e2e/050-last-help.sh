# LAST n, HELP [lang] and the reply to an unknown command.
. "$KM_TOP/tests/lib.sh"
km_newdb last
km_gpg_init
km_gpg_genkey ed25519 'Lars Last <lars@example.org>'
LARS=$(km_gpg_fpr lars@example.org)
gpg --armor --export "$LARS" > "$T/lars.asc"
km_mail "$T/add.eml" ADD "$T/lars.asc"; km_filter "$T/add.eml"

km_mail "$T/l.eml" "LAST 1"; km_filter "$T/l.eml"
r=$(last_reply)
check_eq "LAST 1 subject" "$(reply_subject "$r")" "Your command, LAST 1"
G=$T/g; mkdir -m 700 "$G"
GNUPGHOME=$G gpg --batch --import "$r" 2>/dev/null
check_eq "LAST 1 returns the new key" "$(GNUPGHOME=$G gpg --with-colons -k 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')" "$LARS"
# age the key by 3 days: LAST 1 no longer finds it, LAST 5 does
psql "$KM_DB" -qAtc "update keys set changed = now() - interval '3 days'"
km_mail "$T/l.eml" "LAST 1"; km_filter "$T/l.eml"
check_eq "LAST 1 after 3 days" "$(reply_subject "$(last_reply)")" "Your command, LAST 1, failed"
km_mail "$T/l.eml" "LAST 5"; km_filter "$T/l.eml"
check "LAST 5 finds it" grep -q "BEGIN PGP PUBLIC KEY BLOCK" "$(last_reply)"
km_mail "$T/l.eml" "LAST 30"; km_filter "$T/l.eml"
check "LAST over max_last_days" grep -q "at most 7 days" "$(last_reply)"
km_mail "$T/l.eml" "LAST 0"; km_filter "$T/l.eml"
check_eq "LAST 0" "$(reply_subject "$(last_reply)")" "Your command, LAST 0, was invalid (argument must be a number greater than zero)"
km_mail "$T/l.eml" "LAST seven"; km_filter "$T/l.eml"
check_eq "LAST seven is invalid" "$(reply_subject "$(last_reply)")" "Your command, LAST seven, was invalid (argument must be a number greater than zero)"

km_mail "$T/h.eml" "HELP"; km_filter "$T/h.eml"
r=$(last_reply)
check_eq "HELP subject" "$(reply_subject "$r")" "Your command, HELP"
decoded_body "$r" > "$T/help"
check "HELP explains ADD" grep -q "ADD" "$T/help"
check "HELP placeholders filled" sh -c "! grep -q '\\\$max_reply_keys\\|\\\$maintainer' '$T/help'"
check "HELP names the operator" grep -q "pgp-public-keys@keys.test.example" "$T/help"
km_mail "$T/h.eml" "help xx"; km_filter "$T/h.eml"
check "HELP unknown language falls back, says so" grep -q "not available" "$(last_reply)"
km_mail "$T/h.eml" "HELP ../../etc/passwd"; km_filter "$T/h.eml"
check "HELP path trick falls back" sh -c "! grep -q 'root:x:' '$(last_reply)'"
km_mail "$T/x.eml" "Please send me the key of Bob"; km_filter "$T/x.eml"
r=$(last_reply)
check_eq "unknown command subject" "$(reply_subject "$r")" "Your command, Please send me the key of Bob, was invalid"
check "unknown command gets help" grep -q "ADD" "$r"
km_mail "$T/x.eml" ""; km_filter "$T/x.eml"
check_eq "empty subject" "$(reply_subject "$(last_reply)")" "Your command, (none), was invalid"
km_done
