# Backscatter (issue 15, item 3): spam with forged senders is a flood of
# unknown commands. Each gets a short reply, never the help text, and the
# replies stay within the three named caps: per address (lower case,
# "+tag" removed: max_replies_per_hour), per recipient domain
# (max_domain_replies_per_hour) and in all (max_total_replies_per_hour),
# here set to 3, 5 and 12 so that the flood stays small. A reply the
# mailer did not take uses up no quota.
. "$KM_TOP/tests/lib.sh"
km_newdb flood
# The counters are per clock hour of the database session's time zone,
# and a flood that straddled two hours would see them start again. As in
# 425: every session (psql's and keymail's, through libpq's PGTZ) gets a
# zone whose hour has just begun, UTC less the minutes past the UTC hour.
m=$(psql "$KM_DB" -Atc "select extract(minute from now() at time zone 'UTC')::int")
PGTZ=$(printf 'KMT+00:%02d' "$m"); export PGTZ
check_eq "the test's clock hour has just begun" \
    "$(psql "$KM_DB" -Atc "select now() - date_trunc('hour', now()) < interval '2 minutes'")" t
cat >> "$T/keymail.conf" <<EOC
max_replies_per_hour = 3
max_domain_replies_per_hour = 5
max_total_replies_per_hour = 12
EOC
spam() {	# spam N FROM: a mail with an unknown command
	km_mail "$T/s.eml" "Cheap watches $1" "" "$2"
	km_filter "$T/s.eml" 2>>"$T/log"
	[ "$rc" = 0 ] || notok "spam $1 from $2: exit $rc"
}
to_of() { sed -n 's/^To: //p' "$1" | head -n 1; }
# replies_to PATTERN: replies whose To: matches the extended regex
replies_to() { n=0; for f in "$T"/outbox/*.eml; do [ -f "$f" ] || continue; to_of "$f" | grep -qiE "$1" && n=$((n + 1)); done; echo $n; }

# 1. One mailbox, 12 spellings: tags and case.
i=0
for a in victim@a.example Victim@A.Example victim+1@a.example victim+2@a.example \
    VICTIM+x@a.example victim+shop@a.example victim+3@a.example victim+4@a.example \
    victim+5@a.example victim+6@a.example victim+7@a.example victim+8@a.example; do
	i=$((i + 1)); spam "$i" "Victim <$a>"
done
check_eq "one mailbox, 12 spellings: 3 replies (max_replies_per_hour)" \
    "$(replies_to '^victim(\+[^@]*)?@a\.example$')" 3
check "the drop names the per-address limit" grep -q "limit max_replies_per_hour 3" "$T/log"
check "and the address it counted under" grep -q "under victim@a.example" "$T/log"

# 2. One domain, 10 mailboxes.
for u in 1 2 3 4 5 6 7 8 9 10; do spam "b$u" "User $u <user$u@b.example>"; done
check_eq "one domain, 10 mailboxes: 5 replies (max_domain_replies_per_hour)" \
    "$(replies_to '@b\.example$')" 5
check "the drop names the domain limit" grep -q "under @b.example (limit max_domain_replies_per_hour 5)" "$T/log"

# 3. Ten domains: only the total cap is left (3 + 5 so far, 12 in all).
for d in 1 2 3 4 5 6 7 8 9 10; do spam "c$d" "Someone <someone@c$d.example>"; done
check_eq "ten more domains: 4 replies, 12 in all (max_total_replies_per_hour)" "$(nreplies)" 12
check "the drop names the total limit" grep -q "under \* (limit max_total_replies_per_hour 12)" "$T/log"

# Every reply is the short one, never the help text.
big=0; helptext=0
for f in "$T"/outbox/*.eml; do
	[ "$(wc -c < "$f")" -lt 2500 ] || big=$((big + 1))
	grep -q "HOW TO SEND A COMMAND" "$f" && helptext=$((helptext + 1))
done
check_eq "every reply under 2500 octets" "$big" 0
check_eq "no reply carries the help text" "$helptext" 0
check "a reply says the command was not understood" grep -q "was not understood" "$(last_reply)"

# The counters, as the database has them: a level is counted only when
# the narrower one let the reply through.
q() { psql "$KM_DB" -Atc "$1"; }
check_eq "reply_log: victim@a.example asked for 12" "$(q "select count from reply_log where address = 'victim@a.example'")" 12
check_eq "reply_log: @a.example counted only what passed" "$(q "select count from reply_log where address = '@a.example'")" 3
check_eq "reply_log: @b.example asked for 10" "$(q "select count from reply_log where address = '@b.example'")" 10
check_eq "reply_log: all replies (*)" "$(q "select count from reply_log where address = '*'")" 18

# 4. A reply the mailer did not take is taken back from every counter.
q "TRUNCATE reply_log" >/dev/null
cat > "$T/fail.sh" <<EOC
#!/bin/sh
cat > /dev/null
exit \$(cat "$T/fail.rc")
EOC
chmod 755 "$T/fail.sh"
sed -i "s|^sendmail = .*|sendmail = $T/fail.sh|" "$T/keymail.conf"
for code in 69 67; do
	echo $code > "$T/fail.rc"
	km_mail "$T/f.eml" HELP "" "Fay <fay+$code@d.example>"; km_filter "$T/f.eml" 2>/dev/null
	want=75; [ $code = 67 ] && want=0
	check_eq "mailer exit $code: filter exit" "$rc" $want
	check_eq "mailer exit $code: fay@d.example not charged" "$(q "select coalesce(sum(count), 0) from reply_log where address = 'fay@d.example'")" 0
	check_eq "mailer exit $code: @d.example not charged" "$(q "select coalesce(sum(count), 0) from reply_log where address = '@d.example'")" 0
	check_eq "mailer exit $code: total not charged" "$(q "select coalesce(sum(count), 0) from reply_log where address = '*'")" 0
done
echo 0 > "$T/fail.rc"
km_mail "$T/f.eml" HELP "" "Fay <fay@d.example>"; km_filter "$T/f.eml" 2>/dev/null
check_eq "mailer takes it: counted once" "$(q "select count from reply_log where address = 'fay@d.example'")" 1
km_done
