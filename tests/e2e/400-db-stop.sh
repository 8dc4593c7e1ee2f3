# Faults: the database server is stopped (a normal "fast" shutdown, as a
# restart or an upgrade does), on a private server so that the run's
# shared one is not disturbed.
#  1. stopped before the mail arrives: ADD, GET and HELP exit 75
#     (EX_TEMPFAIL) and send nothing; after the restart the MTA's retry
#     succeeds and the store equals a clean run's;
#  2. stopped while keymail is inside an ADD (parked on key 3's lock, so
#     keys 1 and 2 are committed): 75, nothing sent, only whole keys in
#     the store; the retry again ends equal to the clean run.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/faultlib.sh"
fl_pg_start
km_gpg_init
fl_genkeys 5 stopkey
gpg --armor --export > "$T/five.asc"
gpg --with-colons -k 2>/dev/null | awk -F: '$1 == "fpr" && prev == "pub" {print $10} {prev = $1}' > "$T/five.fpr"
fl_mail "$T/add.eml" ADD "$T/five.asc"
fl_mail "$T/get.eml" "GET stopkey"
fl_mail "$T/help.eml" HELP
for db in clean s1 s2; do fl_db $db; done
KEYMAIL_CONF=$T/clean.conf "$KEYMAIL" filter < "$T/add.eml" 2>/dev/null; check_eq "clean run" $? 0
fl_dump clean > "$T/clean.dump"
check_eq "clean store has 5 keys" "$(grep -c '^key ' "$T/clean.dump")" 5
n0=$(fl_nout)

# 1. Stopped before the mail arrives.
fl_pg_stop
export KEYMAIL_CONF=$T/s1.conf
for m in add get help; do
	"$KEYMAIL" filter < "$T/$m.eml" 2>"$T/$m.err"; rc=$?
	check_eq "server stopped: $m exits 75" "$rc" 75
done
check_eq "server stopped: nothing sent" "$(fl_nout)" "$n0"
check "the log says why" grep -q 'database' "$T/add.err"
fl_pg_restart
"$KEYMAIL" filter < "$T/add.eml" 2>/dev/null; check_eq "after restart: ADD retry exits 0" $? 0
"$KEYMAIL" filter < "$T/get.eml" 2>/dev/null; check_eq "after restart: GET retry exits 0" $? 0
check_eq "after restart: two replies" "$(fl_nout)" "$((n0 + 2))"
fl_dump s1 > "$T/s1.dump"
check "after restart: store equals the clean run" cmp -s "$T/s1.dump" "$T/clean.dump"
check "GET reply carries the keys" grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$(last_reply)"

# 2. Stopped in the middle of the ADD. keymail takes an advisory lock on
# the first 8 bytes of each key's fingerprint before touching it (see
# store/merge.c); a holder of key 3's lock parks it there.
export KEYMAIL_CONF=$T/s2.conf
f3=$(sed -n 3p "$T/five.fpr")
fl_hold s2 "SELECT pg_advisory_xact_lock(('x' || substr('$f3', 1, 16))::bit(64)::bigint)"
n1=$(fl_nout)
"$KEYMAIL" filter < "$T/add.eml" 2>"$T/s2.err" &
pid=$!
fl_wait_blocked s2 1
check_eq "parked on key 3: keys 1 and 2 committed" "$(fl_psql s2 -c 'select count(*) from keys')" 2
fl_pg_stop
wait $pid; rc=$?
check_eq "stopped mid-ADD: exit 75" "$rc" 75
check_eq "stopped mid-ADD: nothing sent" "$(fl_nout)" "$n1"
wait "$FL_HOLDER" 2>/dev/null
fl_pg_restart
fl_dump s2 > "$T/s2.mid"
check_eq "stopped mid-ADD: 2 keys stored" "$(grep -c '^key ' "$T/s2.mid")" 2
check "stopped mid-ADD: each stored key is whole (as in the clean run)" sh -c "grep '^key ' '$T/s2.mid' | while read -r l; do grep -qxF \"\$l\" '$T/clean.dump' || exit 1; done"
"$KEYMAIL" filter < "$T/add.eml" 2>/dev/null; check_eq "stopped mid-ADD: retry exits 0" $? 0
check_eq "stopped mid-ADD: retry replied" "$(fl_nout)" "$((n1 + 1))"
fl_dump s2 > "$T/s2.dump"
check "stopped mid-ADD: after the retry the store equals the clean run" cmp -s "$T/s2.dump" "$T/clean.dump"
km_done
