# sql/roles.sql: the filter and the sync batch connect as roles that have
# only what they need. The whole mail path works as the filter role (ADD
# with peers configured, so the sync queue is written; GET, INDEX, LAST,
# HELP; the reply rate limit), the sync batch works as the sync role, and
# neither can drop, truncate or delete keys, change the schema or read the
# other's tables. Roles are global to a PostgreSQL cluster, so this runs
# on a private server.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/faultlib.sh"
fl_pg_start
fl_db roles
SU="$FL_PG dbname=roles"
for i in 1 2; do
	psql "$SU" -qAt -v ON_ERROR_STOP=1 -f "$KM_TOP/sql/roles.sql" >"$T/roles$i.out" 2>&1
	check_eq "roles.sql runs (run $i: idempotent)" $? 0
done
psql "$SU" -qAt -v ON_ERROR_STOP=1 -c "CREATE ROLE kmfilter LOGIN IN ROLE keymail_filter; CREATE ROLE kmsync LOGIN IN ROLE keymail_sync" >/dev/null
check_eq "login roles made" $? 0
F="$FL_PG dbname=roles user=kmfilter"
S="$FL_PG dbname=roles user=kmsync"
fl_conf "$F" "$T/filter.conf"
echo "peer = pgp-public-keys@peer.example.net sks" >> "$T/filter.conf"
fl_conf "$S" "$T/sync.conf"
echo "peer = pgp-public-keys@peer.example.net sks" >> "$T/sync.conf"

km_gpg_init
km_gpg_genkey ed25519 'Rolf Role <rolf@example.org>'
R=$(km_gpg_fpr rolf@example.org)
gpg --armor --export "$R" > "$T/rolf.asc"
export KEYMAIL_CONF=$T/filter.conf
n0=$(fl_nout)
fl_mail "$T/add.eml" ADD "$T/rolf.asc"
"$KEYMAIL" filter < "$T/add.eml" 2>"$T/add.err"; check_eq "filter role: ADD exits 0" $? 0
cat "$T/add.err"
for s in "GET 0x$R" "INDEX rolf" "VERBOSE INDEX rolf" "LAST 1" HELP; do
	fl_mail "$T/q.eml" "$s"
	"$KEYMAIL" filter < "$T/q.eml" 2>"$T/q.err"; check_eq "filter role: $s exits 0" $? 0
done
check_eq "filter role: six replies" "$(fl_nout)" "$((n0 + 6))"
check_eq "filter role: key stored" "$(fl_psql roles -c 'select count(*) from keys')" 1
check_eq "filter role: queued for the peer" "$(fl_psql roles -c 'select count(*) from sync_queue')" 1
check_eq "filter role: replies counted" "$(fl_psql roles -c "select sum(count) from reply_log where address = 'fault@example.org'")" 6
check "filter role: GET found the key" grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$(ls "$T"/outbox/*.eml | tail -n 5 | head -n 1)"

# What the filter role must not do.
denied() { # DESCRIPTION CONNINFO SQL
	if psql "$2" -qAt -v ON_ERROR_STOP=1 -c "$3" >/dev/null 2>"$T/denied.err"; then
		notok "$1: was allowed: $3"
	elif grep -q 'permission denied\|must be owner' "$T/denied.err"; then ok
	else notok "$1: failed for another reason: $(cat "$T/denied.err")"; fi
}
allowed() { if psql "$2" -qAt -v ON_ERROR_STOP=1 -c "$3" >/dev/null 2>&1; then ok; else notok "$1: refused: $3"; fi; }
denied "filter cannot delete keys" "$F" "DELETE FROM keys"
denied "filter cannot truncate keys" "$F" "TRUNCATE keys"
denied "filter cannot drop keys" "$F" "DROP TABLE keys"
denied "filter cannot alter keys" "$F" "ALTER TABLE keys ADD COLUMN x int"
denied "filter cannot delete key IDs" "$F" "DELETE FROM keyids"
denied "filter cannot rewrite key IDs" "$F" "UPDATE keyids SET is_subkey = NOT is_subkey"
denied "filter cannot delete search words" "$F" "DELETE FROM key_words"
denied "filter cannot delete from the sync queue" "$F" "DELETE FROM sync_queue"
denied "filter cannot touch schema_version" "$F" "SELECT * FROM schema_version"
denied "filter cannot create tables" "$F" "CREATE TABLE evil (x int)"
denied "filter cannot drop the trigger" "$F" "DROP TRIGGER keys_deleted ON keys"
allowed "filter may expire its reply log" "$F" "DELETE FROM reply_log WHERE hour < now() - interval '1 day'"
KEYMAIL_CONF=$T/filter.conf "$KEYMAIL" initdb >/dev/null 2>&1
check "filter role cannot run initdb" [ $? -ne 0 ]

# Owner control's tables (sql/020-owner.sql): what each role may do.
priv() { fl_psql roles -c "select has_table_privilege('$1', '$2', '$3')"; }
for t in owner:INSERT owner:UPDATE published:INSERT held:DELETE suppressed:DELETE \
    blocked:INSERT pending:UPDATE control_nonce:INSERT mail_log:INSERT policy:SELECT; do
	check_eq "filter role: $t" "$(priv kmfilter "${t%%:*}" "${t#*:}")" t
done
for t in policy:UPDATE blocked:DELETE control_nonce:DELETE mail_log:DELETE owner:DELETE; do
	check_eq "filter role may not: $t" "$(priv kmfilter "${t%%:*}" "${t#*:}")" f
done
for t in owner:UPDATE held:DELETE pending:DELETE control_nonce:DELETE mail_log:DELETE \
    mail_log:INSERT published:SELECT; do
	check_eq "sync role: $t" "$(priv kmsync "${t%%:*}" "${t#*:}")" t
done
for t in published:UPDATE owner:INSERT pending:INSERT suppressed:SELECT; do
	check_eq "sync role may not: $t" "$(priv kmsync "${t%%:*}" "${t#*:}")" f
done

# The sync batch, as the sync role.
export KEYMAIL_CONF=$T/sync.conf
n0=$(fl_nout)
"$KEYMAIL" sync 2>"$T/sync.err"; rc=$?
check_eq "sync role: keymail sync exits 0" "$rc" 0
[ "$rc" -eq 0 ] || cat "$T/sync.err"
check_eq "sync role: one incremental sent" "$(fl_nout)" "$((n0 + 1))"
check "sync role: the incremental carries the key" grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$(last_reply)"
check_eq "sync role: queue worked off" "$(fl_psql roles -c 'select count(*) from sync_queue')" 0
denied "sync cannot insert keys" "$S" "INSERT INTO keys (fingerprint, version, algo, bits, keyid, created, data) VALUES ('\\x00', 4, 1, 1, '\\x0000000000000000', now(), '\\x00')"
denied "sync cannot change keys" "$S" "UPDATE keys SET revoked = true"
denied "sync cannot delete keys" "$S" "DELETE FROM keys"
denied "sync cannot read the reply log" "$S" "SELECT * FROM reply_log"
denied "sync cannot queue" "$S" "INSERT INTO sync_queue (key_id) SELECT id FROM keys"
denied "sync cannot drop the queue" "$S" "DROP TABLE sync_queue"
km_done
