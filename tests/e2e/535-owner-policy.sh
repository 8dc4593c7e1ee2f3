# Policy modes (owner-control.md 2, 13): initdb records the configured
# policy on a fresh database, refuses another one (exit 78) unless given
# --change-policy, and meanwhile keymail filter and keymail sync exit 75;
# configuration ranges; open
# mode's HIDE and SHOW, its refusals, NOTIFY; what --change-policy does to
# keys whose owner acted in open mode (claimed) and to the others
# (unclaimed), and back to open (all published but HIDden keys).
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

km_newdb own535
policy() { psql "$KM_DB" -qAtc "select mode from policy"; }
check_eq "fresh database records open" "$(policy)" open
H=$(own_home owner)
A=$(own_genkey "$H" ed "Acting Owner <act@owner.example>")
B=$(own_genkey "$H" ed "Bystander <by@owner.example>")
C=$(own_genkey "$H" ed "Careful Owner <care@owner.example>")
own_export "$H" "$A" "$T/a.asc"
own_export "$H" "$B" "$T/b.asc"
own_export "$H" "$C" "$T/c.asc"
cat "$T/a.asc" "$T/b.asc" "$T/c.asc" >"$T/all.asc"
own_send ADD "$T/all.asc"
decoded_body "$reply" >"$T/add.txt"
check "open ADD reports counts" grep -q 'New public keys added: 3' "$T/add.txt"

# ---- open mode ------------------------------------------------------------------
own_send HELP
decoded_body "$reply" >"$T/help.txt"
check "open: HELP says every key is public" grep -q '^Every key sent to this server is public' "$T/help.txt"
check "open: HELP names the policy" grep -q '^This server runs in policy "open".$' "$T/help.txt"
own_get "$B" "$T/gb.asc"
check_eq "open: B published" "$(own_uids "$T/gb.asc")" "Bystander <by@owner.example>"
own_block "$H" "$C" HIDE >"$T/x.txt"
own_send "HIDE $C" "$T/x.txt"
check_eq "open: HIDE" "$(reply_subject "$reply")" "Your command, HIDE $C"
own_send "GET $C"
check_eq "open: hidden C" "$(reply_subject "$reply")" "Your command, GET $C, failed"
own_send "INDEX care@owner.example"
check_eq "open: hidden C by INDEX" "$(reply_subject "$reply")" "Your command, INDEX care@owner.example, failed"
own_block "$H" "$A" SHOW >"$T/x.txt"
own_send "SHOW $A" "$T/x.txt"
check_eq "open: SHOW" "$(reply_subject "$reply")" "Your command, SHOW $A"
for c in "REPLACE $A" "HELD $A" "ACCEPT $A ALL" "REJECT $A ALL"; do
	own_send "$c"
	check_eq "open refuses ${c%% *}" "$(reply_subject "$reply")" "Your command, $c, failed"
	decoded_body "$reply" >"$T/r.txt"
	check_eq "open: ${c%% *} line" "$(grep 'not offered' "$T/r.txt")" \
	    "${c%% *} is not offered by this server (policy open)."
done
own_send "VERIFY $A"
check_eq "open refuses VERIFY" "$(reply_subject "$reply")" "Your command, VERIFY $A, failed"
own_send "UNPUBLISH act@owner.example"
check_eq "open refuses UNPUBLISH" "$(reply_subject "$reply")" "Your command, UNPUBLISH act@owner.example, failed"
own_send "SHOW 12345"
check_eq "malformed SHOW" "$(reply_subject "$reply")" "Your command, SHOW 12345, failed"
decoded_body "$reply" >"$T/r.txt"
check "malformed: names the form" grep -q 'SHOW <fingerprint>' "$T/r.txt"
own_block "$H" "$A" NOTIFY act@example.net >"$T/x.txt"
own_send "NOTIFY $A act@example.net" "$T/x.txt"
check_eq "open: NOTIFY" "$(reply_subject "$(own_nth 2)")" "Your command, NOTIFY $A act@example.net"
check_eq "open: NOTIFY's confirmation" "$(reply_subject "$(own_nth 1)")" "keymail: confirm notifications for key $A"

# ---- the configuration says trusted, the database open -----------------------------
cp "$T/keymail.conf" "$T/open.conf"
own_conf policy trusted
"$KEYMAIL" initdb >"$T/i.log" 2>&1
check_eq "initdb without --change-policy: 78" "$?" 78
check "initdb says what to do" grep -q -- '--change-policy' "$T/i.log"
check_eq "still open" "$(policy)" open
km_mail "$T/g.eml" "GET $B"
n0=$(nreplies)
"$KEYMAIL" filter <"$T/g.eml" 2>"$T/f.log"
check_eq "filter defers the mail: 75" "$?" 75
check_eq "and answers nothing" "$(nreplies)" "$n0"
"$KEYMAIL" sync >"$T/s.log" 2>&1
check_eq "sync: 75" "$?" 75
"$KEYMAIL" check >"$T/c.log" 2>&1
check "keymail check names the difference" grep -q 'PROBLEM.*--change-policy' "$T/c.log"
"$KEYMAIL" initdb --change-policy >"$T/i.log" 2>&1
check_eq "initdb --change-policy" "$?" 0
check_eq "now trusted" "$(policy)" trusted
"$KEYMAIL" check >"$T/c.log" 2>&1
check "keymail check: the policy agrees" grep -q 'ok *policy trusted, as the database records' "$T/c.log"
"$KEYMAIL" filter <"$T/g.eml"
check_eq "the deferred mail goes through" "$?" 0
check_eq "B (no owner) is unclaimed now" "$(reply_subject "$(own_nth 1)")" "Your command, GET $B, failed"
own_send HELP "" "Helpseeker <help@example.org>"
decoded_body "$reply" >"$T/help.txt"
check "trusted: HELP names the policy" grep -q '^This server runs in policy "trusted".$' "$T/help.txt"
check "trusted: HELP does not say every key is public" sh -c "! grep -q 'Every key sent to this server is public' '$T/help.txt'"
own_get "$A" "$T/ga.asc"
check_eq "A (its owner acted) stays published" "$(own_uids "$T/ga.asc")" "Acting Owner <act@owner.example>"
own_send "GET $C"
check_eq "C stays hidden" "$(reply_subject "$reply")" "Your command, GET $C, failed"
check_eq "A and C claimed" "$(psql "$KM_DB" -qAtc "select count(*) from published")" 2
"$KEYMAIL" sync >"$T/s.log" 2>&1
check_eq "sync runs again" "$?" 0

# ---- and back to open -------------------------------------------------------------
cp "$T/open.conf" "$T/keymail.conf"
"$KEYMAIL" initdb >/dev/null 2>&1
check_eq "back to open needs --change-policy too" "$?" 78
"$KEYMAIL" initdb --change-policy >/dev/null 2>&1
check_eq "initdb --change-policy to open" "$?" 0
own_get "$B" "$T/gb2.asc"
check_eq "open again: B published" "$(own_uids "$T/gb2.asc")" "Bystander <by@owner.example>"
own_send "GET $C"
check_eq "open again: C still HIDden" "$(reply_subject "$reply")" "Your command, GET $C, failed"

# ---- a fresh database takes the configured policy; bad values ------------------
db2=km_own535b_$KM_ID
psql "$KM_TEST_PG dbname=postgres" -qAtc "create database $db2" >/dev/null
sed -e "s|^database = .*|database = $KM_TEST_PG dbname=$db2|" "$T/open.conf" >"$T/t2.conf"
echo "policy = trusted" >>"$T/t2.conf"
"$KEYMAIL" -c "$T/t2.conf" initdb >/dev/null 2>&1
check_eq "fresh database, trusted: initdb" "$?" 0
check_eq "fresh database records trusted" "$(psql "$KM_TEST_PG dbname=$db2" -qAtc 'select mode from policy')" trusted
psql "$KM_TEST_PG dbname=postgres" -qAtc "drop database $db2" >/dev/null 2>&1
badconf() {
	cp "$T/open.conf" "$T/bad.conf"
	echo "$1" >>"$T/bad.conf"
	"$KEYMAIL" -c "$T/bad.conf" initdb >"$T/bad.log" 2>&1
	check_eq "'$1': 78" "$?" 78
}
# verified is offered (650-verified-gpg tests it); on this open database it
# is another policy, which needs --change-policy.
badconf "policy = verified"
check "verified: needs --change-policy here" grep -q 'initdb --change-policy' "$T/bad.log"
badconf "policy = closed"
badconf "verify_encrypt = sometimes"
badconf "challenge_ttl = 0"
badconf "held_days = 366"
badconf "address_token_ttl = 1209601"
badconf "max_token_mails_per_day = three"
km_done
