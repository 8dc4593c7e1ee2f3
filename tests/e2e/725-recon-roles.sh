# Reconciliation under the least-privilege roles of sql/roles.sql
# (reconciliation.md 11.6: roles.sql grants what `keymail filter` and
# `keymail recon` need): at A the filter connects as a keymail_filter
# member and the timer's `keymail recon` as a keymail_recon member; a
# whole session, a second one a day later, and the expiry of old sessions
# work, also in trusted mode (where keymail recon claims our server key),
# and the filter role cannot delete reconciliation state. Roles are
# global to a cluster, so this runs on a private server.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/faultlib.sh"
fl_pg_start
KM_TEST_PG=$FL_PG
. "$KM_TOP/tests/recon-lib.sh"

[ -x "$KMGEN" ] || { notok "bench/kmgen is not built"; km_done; exit 1; }
recon_pair a b || { km_done; exit 1; }
"$KMGEN" -n 200 -s 44 -o "$T/corpus.pgp" 2>/dev/null || notok "kmgen"
$PY "$KM_TOP/tests/recon-keys.py" "$T/corpus.pgp" "$T/a.pgp" "$T/b.pgp" \
    20 10 10 3 "$T/kinds" || { notok "recon-keys.py"; km_done; exit 1; }
km_give "$T/a.pgp" "$T/b.pgp"
"$KEYMAIL" -c "$T/a.conf" import -q "$T/a.pgp" 2>>"$T/a.conf.log"
"$KEYMAIL" -c "$T/b.conf" import -q "$T/b.pgp" 2>>"$T/b.conf.log"

DBA="$FL_PG dbname=$(recon_db a)"
psql "$DBA" -qAt -v ON_ERROR_STOP=1 -f "$KM_TOP/sql/roles.sql" >"$T/roles.out" 2>&1
check_eq "roles.sql runs" $? 0
psql "$DBA" -qAt -v ON_ERROR_STOP=1 -c "CREATE ROLE kmfilter LOGIN IN ROLE keymail_filter; CREATE ROLE kmrecon LOGIN IN ROLE keymail_recon" >/dev/null
check_eq "login roles made" $? 0
# A's filter as kmfilter (the shuttle's route), A's timer as kmrecon.
sed "s|^database = .*|database = $DBA user=kmfilter|" "$T/a.conf" >"$T/afilter.conf"
sed -i "s|^database = .*|database = $DBA user=kmrecon|" "$T/a.conf"
shuttle() {
	$PY "$KM_TOP/tests/recon-shuttle.py" --outbox "$T/outbox" --keymail "$KEYMAIL" \
	    --route "pgp-public-keys@a.keys.test=$T/afilter.conf" \
	    --route "pgp-public-keys@b.keys.test=$T/b.conf" \
	    --log "$T/shuttle.log" --env "KEYMAIL_NOW=$(recon_now)" \
	    --env "KM_EXEC_PREFIX=$(recon_prefix)"
	rc=$?
}

recon_run a
check_eq "keymail recon as kmrecon" "$rc" 0
shuttle
check_eq "filters as kmfilter and the owner" "$rc" 0
check_eq "every filter exited 0" "$(awk -F'\t' '$4 != 0' "$T/shuttle.log" | wc -l)" 0
check "converged" recon_export_same a b
check "A's end line (by its filter)" end_last afilter "(initiator) ok: d=26 "
# A day later, and again once the first session is old enough to forget.
recon_time 90000
recon_run a
check_eq "second run as kmrecon" "$rc" 0
shuttle
check "second session ok" end_last afilter "(initiator) ok: d=0 "
recon_time $((90000 + 8 * 86400))
recon_run a
check_eq "a week later as kmrecon" "$rc" 0
check_eq "sessions ended over 7 days ago are forgotten" "$(psql "$DBA" -qAtc "select count(*) from recon_sessions where created < $(($(recon_now) - 7 * 86400))")" 0
# Trusted mode (the owner changes the policy): keymail recon as kmrecon
# claims and shows our server key, and a session runs under both roles.
sed "s|^database = .*|database = $DBA|" "$T/afilter.conf" >"$T/aowner.conf"
for f in aowner afilter a; do echo "policy = trusted" >>"$T/$f.conf"; done
"$KEYMAIL" -c "$T/aowner.conf" initdb --change-policy >/dev/null 2>>"$T/a.conf.log"
check_eq "A changed to trusted (by the owner)" "$?" 0
recon_time $((90000 + 8 * 86400 + 3600))
recon_run a pgp-public-keys@b.keys.test
check_eq "trusted: keymail recon as kmrecon" "$rc" 0
check_eq "trusted: our server key claimed and shown by kmrecon" \
    "$(psql "$DBA" -qAtc "select o.state from owner o join keys k on k.id = o.key_id where k.fingerprint = '\\x$(echo "$FPR_a" | tr A-F a-f)'")" visible
shuttle
check_eq "trusted: filters as kmfilter and the owner" "$rc" 0
check "trusted: A's end line (by its filter)" end_last afilter "(initiator) ok: "
psql "$DBA user=kmfilter" -qAtc "delete from recon_sessions" >/dev/null 2>&1
check "the filter role cannot delete sessions" test $? -ne 0
psql "$DBA user=kmfilter" -qAtc "delete from keys" >/dev/null 2>&1
check "nor keys" test $? -ne 0
psql "$DBA user=kmrecon" -qAtc "delete from keys" >/dev/null 2>&1
check "the recon role cannot delete keys" test $? -ne 0
km_done
