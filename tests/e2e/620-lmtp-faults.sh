# keymail serve, LMTP under faults (server.md 4, 6.2, 7.2), on a private
# PostgreSQL that the test stops and starts:
#  1. the database stopped: 451 for every recipient, nothing sent; after
#     the restart the same worker (no server restart) takes the MTA's
#     retry, and the store equals a clean delivery's;
#  2. a worker killed with SIGKILL in the middle of a message (while its
#     ADD waits for a key's lock): no final reply, so the MTA keeps the
#     message; its retry ends in the clean state;
#  3. SIGTERM while a message is being received: the message is finished
#     and answered, then 421, and the server exits 0;
#  4. a client that never finishes its message: after serve_stop_timeout
#     the master kills the worker and exits 0; nothing of it is stored.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/faultlib.sh"
. "$KM_TOP/tests/serve-lib.sh"
fl_pg_start
trap 'sv_cleanup; sh "$KM_TOP/scripts/pg.sh" stop "$T/pg" >/dev/null 2>&1' EXIT
km_gpg_init
fl_genkeys 3 faultkey
gpg --armor --export > "$T/three.asc"
gpg --with-colons -k 2>/dev/null | awk -F: '$1 == "fpr" && prev == "pub" {print $10} {prev = $1}' > "$T/three.fpr"
fl_mail "$T/add.eml" ADD "$T/three.asc"
fl_mail "$T/help.eml" HELP
for db in clean f1 f2 f3; do fl_db $db; done	# f4 is made below
KEYMAIL_CONF=$T/clean.conf "$KEYMAIL" filter < "$T/add.eml" 2>/dev/null; check_eq "clean run" $? 0
fl_dump clean > "$T/clean.dump"
check_eq "clean store has 3 keys" "$(grep -c '^key ' "$T/clean.dump")" 3
SOCK=$T/lmtp.sock
LC() { $PY "$KM_TOP/tests/lmtp-client.py" "$SOCK" "$@"; }

# 1. The database stopped under a running server.
export KEYMAIL_CONF=$T/f1.conf
sv_conf "lmtp_listen = $SOCK" "serve_workers = 1"
sv_start || { km_done; exit 1; }
w=$(sv_workers)
LC --rcpt a@keys.test.example --rcpt b@keys.test.example "$T/help.eml" > "$T/c0.out"
check "database up: 250" grep -q '^END 250 ' "$T/c0.out"
n0=$(fl_nout)
fl_pg_stop
LC --rcpt a@keys.test.example --rcpt b@keys.test.example "$T/add.eml" > "$T/c1.out"
check_eq "database stopped: 451 for each recipient" "$(grep -c '^END 451 4.3.0 Temporary failure, try again later$' "$T/c1.out")" 2
LC "$T/help.eml" > "$T/c2.out"
check "database stopped: HELP too (its reply is counted in the database)" grep -q '^END 451 ' "$T/c2.out"
check_eq "database stopped: nothing sent" "$(fl_nout)" "$n0"
check "logged as 451" sv_log_has 'lmtp: from=<alice@example.org> size=[0-9]+ nrcpt=2 command=ADD status=451 4\.3\.0'
check_eq "the loss is logged once, not per message" "$(sv_log_count 'keymail: database: ')" 1
fl_pg_restart
LC --rcpt a@keys.test.example --rcpt b@keys.test.example "$T/add.eml" > "$T/c3.out"
check_eq "after the restart: the retry gets 250 twice" "$(grep -c '^END 250 2.0.0 Ok: ADD done$' "$T/c3.out")" 2
check_eq "after the restart: one reply" "$(fl_nout)" "$((n0 + 1))"
check "the same worker reconnected by itself" sh -c "[ '$(sv_workers)' = '$w' ]"
check "reconnection logged" sv_log_has 'keymail: database: connected again'
fl_dump f1 > "$T/f1.dump"
check "the store equals a clean delivery's" cmp -s "$T/f1.dump" "$T/clean.dump"
sv_stop

# 2. SIGKILL while the message is being run: key 2's lock is held, so the
# worker parks inside the ADD after key 1 is committed.
export KEYMAIL_CONF=$T/f2.conf
sv_conf "lmtp_listen = $SOCK" "serve_workers = 1"
sv_start || { km_done; exit 1; }
w=$(sv_workers)
f2=$(sed -n 2p "$T/three.fpr")
fl_hold f2 "SELECT pg_advisory_xact_lock(('x' || substr('$f2', 1, 16))::bit(64)::bigint)"
n1=$(fl_nout)
LC "$T/add.eml" > "$T/c4.out" &
cpid=$!
parked() { [ "$(fl_psql f2 -c "select count(*) from pg_stat_activity where application_name = 'keymail/lmtp' and wait_event_type = 'Lock'")" = 1 ]; }
check "the worker parks on key 2's lock" sv_wait parked
kill -KILL "$w"
wait "$cpid"
check "killed mid-message: no final reply" sh -c "! grep -q '^END [0-9]' '$T/c4.out'"
check "the client saw the connection end" grep -q '^END EOF' "$T/c4.out"
check "the kill is logged and the worker replaced" sv_wait sv_log_has "serve: worker $w \(lmtp\) killed by signal 9"
fl_release f2
check_eq "killed mid-message: nothing sent" "$(fl_nout)" "$n1"
lmtp_ok() { LC "$T/add.eml" > "$T/c5.out"; grep -q '^END 250 2.0.0 Ok: ADD done$' "$T/c5.out"; }
check "the MTA's retry is taken by the new worker" sv_wait lmtp_ok
check_eq "one reply" "$(fl_nout)" "$((n1 + 1))"
fl_dump f2 > "$T/f2.dump"
check "the store equals a clean delivery's" cmp -s "$T/f2.dump" "$T/clean.dump"
sv_stop

# 3. SIGTERM while a message is half received: it is finished and
# answered, then 421; the server exits 0.
export KEYMAIL_CONF=$T/f3.conf
sv_conf "lmtp_listen = $SOCK" "serve_workers = 1"
sv_start || { km_done; exit 1; }
mkfifo "$T/go"
{ LC --hold-after 200 "$T/add.eml" "$T/help.eml" < "$T/go" > "$T/c6.out"; } &
cpid=$!
exec 7>"$T/go"
check "the client holds in the middle of DATA" sv_wait grep -q HOLDING "$T/c6.out"
kill -TERM "$SV_PID"
check "the server is stopping" sv_wait sv_log_has 'serve: stopping'
echo go >&7
exec 7>&-
wait "$cpid"
check "the message in flight is answered 250" grep -q '^END 250 2.0.0 Ok: ADD done$' "$T/c6.out"
check "then 421 4.3.2" grep -q '421 4.3.2 Service shutting down' "$T/c6.out"
check "the next message is not taken" sh -c "[ \$(grep -c '^END 250' '$T/c6.out') = 1 ]"
wait "$SV_PID"; rc=$?; SV_PID=
check_eq "the server exits 0" "$rc" 0
fl_dump f3 > "$T/f3.dump"
check "the finished message is stored whole" cmp -s "$T/f3.dump" "$T/clean.dump"

# 4. A message that never ends: serve_stop_timeout (1 s here) then SIGKILL.
fl_db f4
export KEYMAIL_CONF=$T/f4.conf
sv_conf "lmtp_listen = $SOCK" "serve_workers = 1" "serve_stop_timeout = 1"
sv_start || { km_done; exit 1; }
mkfifo "$T/never"
{ LC --hold-after 200 "$T/add.eml" < "$T/never" > "$T/c7.out"; } &
cpid=$!
exec 8>"$T/never"
check "the client holds in the middle of DATA" sv_wait grep -q HOLDING "$T/c7.out"
kill -TERM "$SV_PID"
wait "$SV_PID"; rc=$?; SV_PID=
check_eq "stopped anyway: exit 0" "$rc" 0
check "the worker was killed after serve_stop_timeout" sv_log_has 'did not finish within serve_stop_timeout; killing it'
exec 8>&-
wait "$cpid"
check "the client got no final reply" sh -c "! grep -q '^END [0-9]' '$T/c7.out'"
check_eq "nothing of it was stored" "$(fl_psql f4 -c 'select count(*) from keys')" 0
km_done
