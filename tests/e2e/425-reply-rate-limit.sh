# Reflection abuse: at most max_replies_per_hour replies per recipient
# address per clock hour (default 20), counted in the database table
# reply_log; the rest are dropped quietly (exit 0, logged), the request
# itself is still carried out.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/faultlib.sh"
fl_db km_rl_$KM_ID; db=km_rl_$KM_ID
# Counts are per clock hour of the database session's time zone
# (date_trunc('hour', now())), and a test that straddles two hours sees
# its counts start again. So every session of this test, psql's and
# keymail's alike, gets (through libpq's PGTZ) a zone whose hour has just
# begun: UTC less the minutes past the current UTC hour, a POSIX zone
# "KMT+00:MM". That leaves the test about an hour, however slow the
# machine (valgrind), instead of a wait of up to two minutes.
m=$(fl_psql $db -c "select extract(minute from now() at time zone 'UTC')::int")
PGTZ=$(printf 'KMT+00:%02d' "$m"); export PGTZ
check_eq "the test's clock hour has just begun" \
    "$(fl_psql $db -c "select now() - date_trunc('hour', now()) < interval '2 minutes'")" t
export KEYMAIL_CONF=$T/$db.conf
help_from() { # FROM [EXTRA-HEADER]
	{ printf 'From: %s\n' "$1"; [ $# -gt 1 ] && printf '%s\n' "$2"; printf 'Subject: HELP\n\n'; } > "$T/h.eml"
	"$KEYMAIL" filter < "$T/h.eml" 2>>"$T/rl.err"
}

# The default is 20.
n0=$(fl_nout); fails=0
i=0; while [ $i -lt 22 ]; do help_from "Victim <victim@example.net>" || fails=$((fails + 1)); i=$((i + 1)); done
check_eq "22 mails: all exit 0" "$fails" 0
check_eq "default limit: 20 replies, 2 dropped" "$(fl_nout)" "$((n0 + 20))"
check "dropped replies are logged, naming the limit" grep -q 'dropped.*max_replies_per_hour 20' "$T/rl.err"
# (in this hour of the test's zone: keymail's sessions got PGTZ too)
check_eq "reply_log counted all 22" "$(fl_psql $db -c "select count from reply_log where address = 'victim@example.net' and hour = date_trunc('hour', now())")" 22

echo "max_replies_per_hour = 3" >> "$KEYMAIL_CONF"
n0=$(fl_nout)
for i in 1 2 3 4 5; do help_from "a@example.org"; done
check_eq "limit 3: 3 replies to a@ out of 5" "$(fl_nout)" "$((n0 + 3))"
n0=$(fl_nout)
help_from "A@EXAMPLE.ORG"
check_eq "the address is counted without regard to case" "$(fl_nout)" "$n0"
help_from "c@example.org" "Reply-To: <a@example.org>"
check_eq "counted per recipient (Reply-To), not per From" "$(fl_nout)" "$n0"
help_from "b@example.org"
check_eq "another address still gets its reply" "$(fl_nout)" "$((n0 + 1))"

# An ADD over the limit is still carried out.
km_gpg_init
km_gpg_genkey ed25519 'Rate Limited <rl@example.org>'
gpg --armor --export rl@example.org > "$T/rl.asc"
fl_mail "$T/add.eml" ADD "$T/rl.asc" "a@example.org"
n0=$(fl_nout)
"$KEYMAIL" filter < "$T/add.eml" 2>/dev/null; check_eq "ADD over the limit exits 0" $? 0
check_eq "ADD over the limit: no reply" "$(fl_nout)" "$n0"
check_eq "ADD over the limit: key stored" "$(fl_psql $db -c 'select count(*) from keys')" 1

# Concurrent requests cannot all slip in: the upsert counts atomically.
n0=$(fl_nout); pids=
i=0; while [ $i -lt 12 ]; do
	printf 'From: z@example.org\nSubject: HELP\n\n' > "$T/z$i.eml"
	"$KEYMAIL" filter < "$T/z$i.eml" 2>/dev/null & pids="$pids $!"
	i=$((i + 1))
done
fails=0; for p in $pids; do wait $p || fails=$((fails + 1)); done
check_eq "12 concurrent: all exit 0" "$fails" 0
check_eq "12 concurrent requests: exactly 3 replies" "$(fl_nout)" "$((n0 + 3))"

# Clock hours: last hour's count does not hold this hour's replies back;
# rows older than a day go when a new (address, hour) row is made.
fl_psql $db -c "insert into reply_log values ('d@example.org', date_trunc('hour', now()) - interval '1 hour', 100),
    ('old@example.org', now() - interval '2 days', 5), ('old@example.org', now() - interval '3 days', 7)"
n0=$(fl_nout)
help_from "d@example.org"
check_eq "last hour's count does not count" "$(fl_nout)" "$((n0 + 1))"
check_eq "rows older than a day expired" "$(fl_psql $db -c "select count(*) from reply_log where address = 'old@example.org'")" 0
check_eq "last hour's row is kept" "$(fl_psql $db -c "select count(*) from reply_log where address = 'd@example.org'")" 2

# 0 switches it off.
echo "max_replies_per_hour = 0" >> "$KEYMAIL_CONF"
n0=$(fl_nout)
help_from "a@example.org"
check_eq "limit 0: no limit" "$(fl_nout)" "$((n0 + 1))"
km_done
