# The abuse cases of owner-control.md 12 that concern verification,
# unpublishing, subscriptions and their updates, with the default limits
# (a part that needs more mails raises only the limit it is not about):
# one address-confirmation mail per address and hour (a second ADD, VERIFY
# or UNPUBLISH mails nothing, and its reply says so; a second SUBSCRIBE
# gets no reply at all); max_verify_per_key_per_day (5); an INCREMENTAL
# never mails; max_subscriptions_per_address; max_notify_mails_per_day
# (10) on update mails; max_batch_mails per run. Every drop is logged
# with the limit's name.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

body_has() { decoded_body "$reply" | grep -q "$1"; }
own_newdb own653 verified
H=$(own_home owners)
F=$(own_genkey "$H" ed "Alice <alice@example.org>")
for i in 1 2 3 4 5 6; do
	own_gpg "$H" --quick-add-uid "$F" "Alice $i <a$i@many.example>" >/dev/null 2>&1
done
own_export "$H" "$F" "$T/a.asc"

# ---- verification: one per address and hour ---------------------------------
own_send ADD "$T/a.asc"
check_eq "first ADD: reply and verification" "$nnew" 2
VTOK=$(own_challenge_token "$H" "$(own_nth 1)")
own_send ADD "$T/a.asc"
check_eq "second ADD within the hour: the reply alone" "$nnew" 1
check "second ADD: the reply says so" body_has '^    alice@example.org: verification mail not sent (limit)$'
km_mail "$T/req.eml" ADD "$T/a.asc" "Alice <alice@example.org>"
"$KEYMAIL" filter <"$T/req.eml" 2>"$T/filter.log"
check "the drop is logged with the limit's name" grep -q 'limit max_address_mails_per_hour (1) reached' "$T/filter.log"

# ---- max_verify_per_key_per_day: five verification mails per key -------------
own_send "VERIFY $F" "" "Mallory <mallory@evil.example>"
decoded_body "$reply" >"$T/v.txt"
check_eq "VERIFY: four more mails (five in all for this key)" "$(grep -c ': verification mail sent$' "$T/v.txt")" 4
check_eq "VERIFY: the others stopped by a limit (alice's hourly one too)" "$(grep -c ': verification mail not sent (limit)$' "$T/v.txt")" 3
check_eq "VERIFY: the reply and four mails" "$nnew" 5
own_send "VERIFY $F a1@many.example" "" "Mallory <mallory@evil.example>"
check_eq "VERIFY again: nothing more" "$nnew" 1

# ---- an INCREMENTAL never mails --------------------------------------------------
H2=$(own_home inc)
F2=$(own_genkey "$H2" ed "Inc <inc@example.org>")
own_export "$H2" "$F2" "$T/inc.asc"
n0=$(nreplies)
own_send INCREMENTAL "$T/inc.asc" "Inc <inc@example.org>"
check_eq "INCREMENTAL: no mail at all" "$(nreplies)" "$n0"
own_get "$F2" "$T/inc-get.asc"
check "INCREMENTAL: the key was stored" [ -s "$T/inc-get.asc" ]

# ---- UNPUBLISH: one confirmation per address and hour ---------------------------
own_send "UNPUBLISH victim@example.net" "" "Mallory <mallory@evil.example>"
check_eq "UNPUBLISH: reply and confirmation" "$nnew" 2
own_send "UNPUBLISH victim@example.net" "" "Mallory <mallory@evil.example>"
check_eq "UNPUBLISH again: the reply alone" "$nnew" 1
check "UNPUBLISH again: the reply says so" body_has 'No confirmation mail could be sent to victim@example.net'

# ---- SUBSCRIBE: the reply is the confirmation, so over the limit: silence -------
own_send "SUBSCRIBE $F" "" "Sub <sub@example.net>"
check_eq "SUBSCRIBE: a reply" "$nnew" 1
decoded_body "$reply" >"$T/s.txt"
TOK=$(own_token_of "$T/s.txt")
own_send "SUBSCRIBE $F2" "" "Sub <sub@example.net>"
check_eq "second SUBSCRIBE within the hour: nothing" "$nnew" 0
own_send "CONFIRM $TOK" "" "Sub <sub@example.net>"
check_eq "the first still confirms" "$(reply_subject "$reply")" "Your command, CONFIRM"

# ---- max_subscriptions_per_address (2 here) ------------------------------------------
own_conf max_subscriptions_per_address 2
own_send "SUBSCRIBE $F $F2 0123456789ABCDEF0123456789ABCDEF01234567" "" "Many <many@example.net>"
decoded_body "$reply" >"$T/m.txt"
own_send "CONFIRM $(own_token_of "$T/m.txt")" "" "Many <many@example.net>"
decoded_body "$reply" >"$T/mc.txt"
check_eq "two subscribed" "$(grep -c ': subscribed$' "$T/mc.txt")" 2
check "the third: the limit" grep -q '^  0123456789ABCDEF0123456789ABCDEF01234567: not subscribed (limit max_subscriptions_per_address, 2)$' "$T/mc.txt"

# ---- max_notify_mails_per_day (10) on update mails; max_batch_mails -----------------
updates() {
	_n=0
	for _f in "$T"/outbox/*.eml; do
		[ "$(reply_subject "$_f")" = "keymail: key updates" ] &&
		    [ "$(sed -n 's/^To: //p' "$_f" | head -n 1)" = "$1" ] && _n=$((_n + 1))
	done
	echo "$_n"
}
# Updates need a change a subscriber sees: the expiry of a v4 key lives
# in its user IDs' self-signatures, so alice@ is confirmed first.
own_send "CONFIRM $VTOK"
check_eq "alice@ confirmed" "$(reply_subject "$reply")" "Your command, CONFIRM"
change() {
	own_gpg "$H" --quick-set-expire "$F" "$1" >/dev/null 2>&1
	own_export "$H" "$F" "$T/a2.asc"
	own_send ADD "$T/a2.asc"
}
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	change "$((i + 1))y"
	"$KEYMAIL" sync >>"$T/sync.log" 2>&1
done
check_eq "ten updates a day, not eleven" "$(updates many@example.net)" 10
check "the eleventh is logged with the limit's name" grep -q 'max_notify_mails_per_day' "$T/sync.log"
subscribe() {
	own_send "SUBSCRIBE $F" "" "<$1>"
	decoded_body "$reply" >"$T/sb.txt"
	own_send "CONFIRM $(own_token_of "$T/sb.txt")" "" "<$1>"
}
subscribe b2@example.net
subscribe b3@example.net
own_conf max_batch_mails 1
change 20y
"$KEYMAIL" sync >>"$T/sync.log" 2>&1
check_eq "max_batch_mails 1: one mail in the first run" "$(($(updates b2@example.net) + $(updates b3@example.net)))" 1
"$KEYMAIL" sync >>"$T/sync.log" 2>&1
check_eq "the next run sends the other" "$(updates b2@example.net)$(updates b3@example.net)" 11
km_done
