# Reconciliation under faults (reconciliation.md 11, 15): the same two
# stores (150 elements apart, so every session needs a MORE and CELLS),
# reset from templates for each case, and a session whose mails are
# dropped, duplicated, reordered, refused by the mailer for a while, or
# whose processes are killed with SIGKILL at each state change (after the
# state is committed and while the mailer holds the mail; once inside a
# transaction). The clock of the real binary is moved with faketime (and
# KEYMAIL_NOW) so that resends and timeouts happen now. Each case must end
# with both exports the same octets (nothing lost) and every missing key
# carried exactly once (nothing sent twice), read back by GnuPG.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/recon-lib.sh"

[ -x "$KMGEN" ] || { notok "bench/kmgen is not built"; km_done; exit 1; }
# No second session of its own within the cases (the first is due at
# once; the next 100 hours after it, or 7 days after a failure).
RECON_CONF_EXTRA="recon_interval_hours = 100"
recon_pair a b || { km_done; exit 1; }
"$KMGEN" -n 700 -s 21 -o "$T/corpus.pgp" 2>/dev/null || notok "kmgen"
$PY "$KM_TOP/tests/recon-keys.py" "$T/corpus.pgp" "$T/a.pgp" "$T/b.pgp" \
    50 60 40 25 "$T/kinds" || { notok "recon-keys.py"; km_done; exit 1; }
km_give "$T/a.pgp" "$T/b.pgp"
"$KEYMAIL" -c "$T/a.conf" import -q "$T/a.pgp" 2>>"$T/a.conf.log"
"$KEYMAIL" -c "$T/b.conf" import -q "$T/b.pgp" 2>>"$T/b.conf.log"
awk '$2 == "a" || $2 == "two" {print $1}' "$T/kinds" | sort >"$T/want-b"
awk '$2 == "b" || $2 == "two" {print $1}' "$T/kinds" | sort >"$T/want-a"
recon_template

H=3600
# outcome NAME: converged, each key once, every filter run exit 0 (but
# the ones the case made fail on purpose).
outcome() {
	check "$1: the exports are the same" recon_export_same a b
	recon_carried pgp-public-keys@b.keys.test | sort >"$T/got-b"
	recon_carried pgp-public-keys@a.keys.test | sort >"$T/got-a"
	check "$1: A's keys to B, each once" cmp -s "$T/want-b" "$T/got-b"
	check "$1: B's keys to A, each once" cmp -s "$T/want-a" "$T/got-a"
	check_eq "$1: filters exited 0" "$(awk -F'\t' '$6 != "killed" && $6 != "tempfail" && $6 != "dropped" && $4 != 0' "$T/shuttle.log" | wc -l)" 0
	check_eq "$1: no reply through the reply path" "$(grep -l '^Subject: Your command' "$T"/outbox/*.eml 2>/dev/null | wc -l)" 0
}
# sent_again NAME TYPE: the log of NAME says TYPE was mailed again.
resent() { grep -q "recon: resent $2 of session [0-9a-f]* to " "$T/$1.conf.log"; }

# ---- dropped mails: the waiting side resends after 12 hours ------------
# The first copy of every control mail is lost, one after the other; both
# sides run keymail recon every 12 hours, as a timer would (B after A's
# mail reached it, or it would start a session of its own: crossing
# offers are the next test's business).
recon_reset
recon_run a
drops="--drop OFFER:1 --drop MORE:1 --drop CELLS:1 --drop RESULT:1 --drop DONE:1"
recon_shuttle $drops
for step in 1 2 3 4 5 6; do
	recon_time $((step * 12 * H + 60))
	recon_run a
	recon_shuttle $drops
	recon_run b
	recon_shuttle $drops
done
check_eq "every first copy was lost" "$(awk -F'\t' '$6 == "dropped"' "$T/shuttle.log" | wc -l)" 5
for w in OFFER:a MORE:b CELLS:a RESULT:b; do
	check "${w%:*} resent by ${w#*:}" resent "${w#*:}" "${w%:*}"
done
# DONE lost: B resends RESULT, and A answers it with its stored DONE,
# without sending its keys again.
check_eq "RESULT resent twice (once for the lost DONE)" "$(grep -c 'recon: resent RESULT' "$T/b.conf.log")" 2
check "A answered the repeated RESULT" grep -q 'RESULT seq [0-9]* again' "$T/a.conf.log"
outcome "lost mails"

# ---- duplicates, reordering, temporary mailer failures -------------------
recon_reset
recon_run a
recon_shuttle --dup OFFER:1 --dup MORE:1 --dup CELLS:1 --dup RESULT:1 --dup DONE:1 --dup incremental:1
check_eq "duplicates: shuttle" "$rc" 0
outcome "duplicates"
check "a repeat is answered from the store" grep -q 'MORE seq 2 again' "$T/a.conf.log"

recon_reset
recon_run a
recon_shuttle --hold incremental:1 --hold incremental:3 --hold DONE:1
outcome "reordered"

recon_reset
touch "$T/mailer.fail"
recon_run a
check_eq "mailer down: keymail recon exits 75" "$rc" 75
rm -f "$T/mailer.fail"
check_eq "mailer down: nothing filed" "$(ls "$T"/outbox/*.eml 2>/dev/null | wc -l)" 0
recon_run a
check_eq "mailer back: the stored OFFER goes" "$(grep -l '^Subject: RECON OFFER' "$T"/outbox/*.eml | wc -l)" 1
recon_shuttle --tempfail OFFER:1 --tempfail MORE:1 --tempfail CELLS:1 --tempfail RESULT:1 --tempfail DONE:1
check_eq "temporary failures: 75 each time" "$(awk -F'\t' '$6 == "tempfail" && $4 != 75' "$T/shuttle.log" | wc -l)" 0
outcome "temporary failures"

# ---- SIGKILL at each state change ---------------------------------------
recon_reset
touch "$T/mailer.hang"
rm -f "$T/mailer.hanging"
KEYMAIL_NOW=$(recon_now) KM_EXEC_PREFIX=$(recon_prefix) \
    setsid "$KEYMAIL" -c "$T/a.conf" recon 2>>"$T/a.conf.log" &
pid=$!
i=0
while [ ! -s "$T/mailer.hanging" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 "-$pid" 2>/dev/null
kill -9 "-$(ps -o pgid= "$(cat "$T/mailer.hanging")" | tr -d ' ')" 2>/dev/null
wait "$pid" 2>/dev/null
rm -f "$T/mailer.hang"
check_eq "killed keymail recon: the OFFER is stored, not sent" \
    "$(ls "$T"/outbox/*.eml 2>/dev/null | wc -l)|$(recon_psql a 'select out_pending from recon_sessions')" "0|t"
recon_run a
check_eq "the next run sends it" "$(grep -l '^Subject: RECON OFFER' "$T"/outbox/*.eml | wc -l)" 1
recon_shuttle --kill OFFER:1 --kill MORE:1 --kill CELLS:1 --kill RESULT:1 --kill DONE:1
check_eq "killed filters: shuttle" "$rc" 0
check_eq "five filters killed with the mailer holding the mail" "$(awk -F'\t' '$6 == "killed"' "$T/shuttle.log" | wc -l)" 5
outcome "killed"

# Killed inside the transaction: B's filter, answering the OFFER, waits
# for a lock on the table it writes its session to (SHARE mode lets its
# reads pass); nothing of what it did may remain.
recon_reset
recon_run a
offer=$(ls "$T"/outbox/*.eml | tail -n 1)
psql "$KM_TEST_PG dbname=$(recon_db b)" -qAtc "select 1" >/dev/null
( printf 'begin;\nlock table recon_sessions in share mode;\nselect pg_sleep(300);\n' |
    psql "$KM_TEST_PG dbname=$(recon_db b) application_name=km_lock_holder" -qAt >/dev/null 2>&1 ) &
lockpid=$!
i=0
while [ "$(recon_psql b "select count(*) from pg_locks l join pg_stat_activity a using (pid) where a.application_name = 'km_lock_holder' and l.mode = 'ShareLock' and l.granted")" != 1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
KEYMAIL_NOW=$(recon_now) setsid "$KEYMAIL" -c "$T/b.conf" filter <"$offer" 2>>"$T/b.conf.log" &
fpid=$!
i=0
while [ "$(recon_psql b "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and application_name = 'keymail'")" != 1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "B's filter waits inside its work" test "$i" -lt 300
kill -9 "-$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null
recon_psql b "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'km_lock_holder'" >/dev/null
wait "$lockpid" 2>/dev/null
i=0
while [ "$(recon_psql b "select count(*) from pg_stat_activity where application_name in ('keymail', 'km_lock_holder')")" != 0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check_eq "killed in the transaction: no session kept" "$(recon_psql b 'select count(*) from recon_sessions')" 0
check_eq "killed in the transaction: no start recorded" "$(recon_psql b 'select count(*) from recon_peers')" 0
check_eq "killed in the transaction: nothing mailed" "$(ls "$T"/outbox/*.eml | wc -l)" 1
recon_shuttle
outcome "killed in a transaction"

# ---- resends stop after three; a session dies after 7 days ---------------
recon_reset
recon_run a
recon_shuttle --drop OFFER:1 --drop OFFER:2 --drop OFFER:3 --drop OFFER:4
for t in 12 36 84 150; do
	recon_time $((t * H + 60))
	recon_run a
	recon_shuttle --drop OFFER:1 --drop OFFER:2 --drop OFFER:3 --drop OFFER:4
done
check_eq "three resends, at 12, 36 and 84 hours" "$(grep -c 'recon: resent OFFER' "$T/a.conf.log")" 3
check "copy 4 is the last" grep -q 'resent OFFER of session [0-9a-f]* to pgp-public-keys@b.keys.test (copy 4)' "$T/a.conf.log"
check_eq "the records are identical" "$(for f in "$T"/outbox/*.eml; do $PY "$KM_TOP/tests/recon-forge.py" split "$f" "$T/d" "$T/s"; cat "$T/d" "$T/s" | md5sum; done | sort -u | wc -l)" 1
recon_time $((169 * H))
recon_run a
check_eq "after 7 days" "$rc" 0
check "timeout line" end_has a "(initiator) timeout: d=0 "
check_eq "ABORT timeout mailed" "$(grep -l '^Subject: RECON ABORT' "$T"/outbox/*.eml | wc -l)" 1
check_eq "peer status" "$(recon_psql a 'select last_status, failures from recon_peers')" "3|1"
# The ABORT for a session B never heard of is dropped there; the new
# session (due again: 48 hours after the last start, backoff 2^1) converges.
check_eq "a new OFFER in the same run" "$(grep -l '^Subject: RECON OFFER' "$T"/outbox/*.eml | wc -l)" 5
recon_shuttle
check "B dropped the unknown ABORT" grep -q 'recon: dropped mail from pgp-public-keys@a.keys.test: ABORT for session' "$T/b.conf.log"
outcome "after a timeout"
check_eq "failures reset by a good session" "$(recon_psql a 'select last_status, failures from recon_peers')" "1|0"
km_done
