# Tokens and the limits of owner control (owner-control.md 6, 9, 12), with
# the defaults unless a part says otherwise: a forged-From flood of 50
# unsigned SHOWs at one address mails it max_token_mails_per_day (3)
# challenges; challenges per key; 11 bad CONFIRMs from one sender stop
# further answers; a superseded and an expired token fail; an auto-reply
# never confirms; NOTIFY's double opt-in, its address-mail limit, and the
# notices that follow (never to the reply's own recipient); one HELD
# reply per key and hour.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

own_newdb own533
H=$(own_home owner)
O=$(own_genkey "$H" ed "Owner L <l@owner.example>")
own_export "$H" "$O" "$T/o.asc"
own_send ADD "$T/o.asc"
# to_count ADDR: mails in the outbox addressed to ADDR.
to_count() { grep -l "^To: $1\$" "$T"/outbox/*.eml 2>/dev/null | wc -l; }

# ---- forged-From flood --------------------------------------------------------
i=0
while [ $i -lt 50 ]; do
	km_mail "$T/f.eml" "SHOW $O" "" "Victim <victim@example.org>"
	km_filter "$T/f.eml"
	i=$((i + 1))
done
check_eq "flood of 50 SHOWs: challenges to the victim" "$(to_count victim@example.org)" 3
check_eq "flood: one pending request per key and class" \
    "$(psql "$KM_DB" -qAtc "select count(*) from pending where state = 'pending'")" 1

# ---- challenges per key (max_challenges_per_key_per_day 5) ----------------
for a in a1 a2 a3; do
	own_send "HIDE $O" "" "Someone <$a@example.org>"
done
check_eq "3 + 3 challenges for the key: the last one not sent" \
    "$(psql "$KM_DB" -qAtc "select count(*) from mail_log where kind = 'challenge'")" 5
check_eq "a3 got nothing" "$(to_count a3@example.org)" 0

# ---- bad CONFIRMs -------------------------------------------------------------
i=0
while [ $i -lt 11 ]; do
	km_mail "$T/c.eml" "CONFIRM AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$i$i" "" "Guesser <guess@example.org>"
	km_filter "$T/c.eml"
	i=$((i + 1))
done
check_eq "11 bad CONFIRMs: 10 answered" "$(to_count guess@example.org)" 10
check_eq "answers say failed" "$(reply_subject "$(grep -l '^To: guess@example.org$' "$T"/outbox/*.eml | tail -n 1)")" \
    "Your command, CONFIRM, failed"
km_mail "$T/c.eml" "CONFIRM BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB" "" "Guesser <guess@example.org>"
km_filter "$T/c.eml"
check_eq "12th: still silent" "$(to_count guess@example.org)" 10
km_mail "$T/c.eml" "CONFIRM BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB" "" "Other <other@example.org>"
km_filter "$T/c.eml"
check_eq "another sender is answered" "$(to_count other@example.org)" 1

# From here on the token limits are lifted for the parts that need more.
own_conf max_token_mails_per_day 0
own_conf max_challenges_per_key_per_day 0

# ---- superseded and expired tokens -------------------------------------------
own_send "SHOW $O" "" "Owner <own@example.org>"
t1=$(own_challenge_token "$H" "$reply")
own_send "HIDE $O" "" "Owner <own@example.org>"
t2=$(own_challenge_token "$H" "$reply")
own_send "CONFIRM $t1" "" "Owner <own@example.org>"
check_eq "SHOW token superseded by the HIDE request" "$(reply_subject "$reply")" "Your command, CONFIRM, failed"
own_send "CONFIRM $t2" "" "Owner <own@example.org>"
check_eq "HIDE token works" "$(reply_subject "$reply")" "Your command, CONFIRM"
# An auto-reply never confirms.
own_send "SHOW $O" "" "Owner <own@example.org>"
t3=$(own_challenge_token "$H" "$reply")
km_mail "$T/auto.eml" "CONFIRM $t3" "" "Owner <own@example.org>"
sed -i '1i Auto-Submitted: auto-replied' "$T/auto.eml"
n0=$(nreplies)
km_filter "$T/auto.eml"
check_eq "auto-reply CONFIRM: no answer" "$(nreplies)" "$n0"
own_send "GET $O"
check_eq "auto-reply CONFIRM did nothing" "$(reply_subject "$reply")" "Your command, GET $O, failed"
# Re: makes it no command (pks), so nothing happens either.
own_send "Re: CONFIRM $t3" "" "Owner <own@example.org>"
check_eq "Re: CONFIRM is invalid" "$(reply_subject "$reply")" "Your command, Re: CONFIRM $t3, was invalid"
own_send "CONFIRM $(echo "$t3" | tr A-Z a-z | sed 's/\(....\)/\1-/g;s/-$//')" "" "Owner <own@example.org>"
check_eq "token in lower case with dashes" "$(reply_subject "$reply")" "Your command, CONFIRM"
# Expiry: the request made under challenge_ttl = 1.
cp "$T/keymail.conf" "$T/normal.conf"
own_conf challenge_ttl 1
own_send "HIDE $O" "" "Owner <own@example.org>"
t4=$(own_challenge_token "$H" "$reply")
cp "$T/normal.conf" "$T/keymail.conf"
sleep 2
own_send "CONFIRM $t4" "" "Owner <own@example.org>"
check_eq "expired token" "$(reply_subject "$reply")" "Your command, CONFIRM, failed"

# ---- NOTIFY: double opt-in, limits, notices -----------------------------------
own_block "$H" "$O" NOTIFY watch@example.net >"$T/b.txt"
own_send "NOTIFY $O watch@example.net" "$T/b.txt"
check_eq "NOTIFY reply" "$(reply_subject "$(own_nth 2)")" "Your command, NOTIFY $O watch@example.net"
conf=$(own_nth 1)
check_eq "confirmation to the address" "$(sed -n 's/^To: //p' "$conf")" "watch@example.net"
check_eq "confirmation subject" "$(reply_subject "$conf")" "keymail: confirm notifications for key $O"
check "confirmation is auto-generated" grep -q '^Auto-Submitted: auto-generated$' "$conf"
decoded_body "$conf" >"$T/conf.txt"
tn=$(own_token_of "$T/conf.txt")
check "confirmation: one token line, in clear" [ -n "$tn" ]
check_eq "confirmation: address line" "$(grep '^address: ' "$T/conf.txt")" "address: watch@example.net"
check "no user-ID text in the confirmation" sh -c "! grep -q 'Owner L' '$conf'"
# A second NOTIFY to the same address within the hour: no second mail.
own_block "$H" "$O" NOTIFY watch@example.net >"$T/b.txt"
own_send "NOTIFY $O watch@example.net" "$T/b.txt"
check_eq "second NOTIFY: only the reply" "$nnew" 1
check "second NOTIFY: the reply says no mail went" sh -c "grep -q 'No confirmation mail could be sent' '$reply'"
own_send "CONFIRM $tn" "" "Watcher <watch@example.net>"
check_eq "CONFIRM notify" "$(reply_subject "$reply")" "Your command, CONFIRM"
# A command carried out now sends a notice to watch@.
own_block "$H" "$O" SHOW >"$T/b.txt"
own_send "SHOW $O" "$T/b.txt"
check_eq "SHOW and its notice" "$nnew" 2
notice=$(own_nth 1)
check_eq "notice to the notify address" "$(sed -n 's/^To: //p' "$notice")" "watch@example.net"
check_eq "notice subject" "$(reply_subject "$notice")" "keymail: SHOW carried out on key $O"
check "notice names the requester" grep -q 'alice@example.org' "$notice"
check "notice is auto-generated" grep -q '^Auto-Submitted: auto-generated$' "$notice"
# No notice when the notify address is the reply's recipient.
own_block "$H" "$O" SHOW >"$T/b.txt"
own_send "SHOW $O" "$T/b.txt" "Watcher <watch@example.net>"
check_eq "no notice to the requester itself" "$nnew" 1

# ---- one HELD reply per key and hour ------------------------------------------
own_send "HELD $O"
check_eq "first HELD answered" "$(reply_subject "$reply")" "Your command, HELD $O"
own_send "HELD $O" "" "Else <else@example.org>"
check_eq "second HELD within the hour: silent" "$nnew" 0
km_done
