-- sql/roles.sql - least-privilege roles for the mail filter and the sync batch.
--
-- Not a numbered migration: `keymail initdb` never runs it. An operator
-- who wants the filter and the sync batch to connect as roles that cannot
-- change the schema or delete keys runs it by hand, as a superuser (or the
-- database owner with CREATEROLE), in the keymail database, AFTER
-- `keymail initdb` (and again after an upgrade's initdb that adds tables):
--
--   runuser -u postgres -- psql -v ON_ERROR_STOP=1 -d keymail \
--       -f /usr/local/share/keymail/roles.sql
--   (the installed copy: as postgres, psql cannot read a checkout under
--   /root or another private home directory)
--
-- It is idempotent. It makes three group roles without LOGIN:
--
--   keymail_filter  what `keymail filter` needs: read and merge keys
--                   (INSERT/UPDATE of keys and their side tables, never
--                   DELETE), queue changes for the peers, count replies,
--                   and keep reconciliation sessions (no DELETE there
--                   either).
--   keymail_sync    what `keymail sync` needs: read keys, work off the
--                   sync queue.
--   keymail_recon   what `keymail recon` needs: the filter's rights on
--                   keys (it merges the server's own public key), and the
--                   reconciliation tables with DELETE (it forgets old
--                   sessions and memo entries).
--
-- and then the login roles that the programs use are made members, e.g.
-- (role names as the Unix users, for peer authentication):
--
--   CREATE ROLE kmfilter LOGIN IN ROLE keymail_filter;
--   CREATE ROLE kmsync LOGIN IN ROLE keymail_sync;
--   CREATE ROLE kmrecon LOGIN IN ROLE keymail_recon;
--
-- The tables stay owned by the role that ran `keymail initdb` (the
-- owner); only the owner can ALTER, DROP or TRUNCATE them, and only the
-- owner runs initdb. See README, "Least privilege".
--
-- Privileges, table by table (sql/001-schema.sql, 002-sync.sql,
-- 003-ratelimit.sql, 020-owner.sql, 040-recon.sql,
-- 041-recon-published.sql):
--   keys                      filter: SELECT, INSERT, UPDATE (a merge
--                             rewrites the key's row; it never deletes)
--                             sync: SELECT (the data it sends)
--   keyids, key_words         filter: SELECT, INSERT (rows are only ever
--                             added, with ON CONFLICT DO NOTHING)
--   keys_id_seq               filter: USAGE (new keys' ids)
--   key_uids                  filter: SELECT (MGET), INSERT (the merge adds
--                             a key's user IDs, sql/051)
--   sync_queue                filter: SELECT, INSERT, UPDATE (queued in
--                             the merge's transaction, upsert)
--                             sync: SELECT, UPDATE, DELETE
--   reply_log                 filter: SELECT, INSERT, UPDATE, and DELETE
--                             for the expiry of day-old rows (the only
--                             DELETE the filter has)
--   policy                    filter, sync: SELECT (the recorded policy)
--   owner                     filter: SELECT, INSERT, UPDATE (owner
--                             commands); sync: SELECT, UPDATE (digest time)
--   published                 filter: SELECT, INSERT, UPDATE; sync: SELECT
--   held                      filter: SELECT, INSERT, UPDATE, DELETE
--                             (ACCEPT, REJECT); sync: SELECT, DELETE (purge)
--   suppressed                filter: SELECT, INSERT, DELETE (REPLACE)
--   blocked                   filter: SELECT, INSERT
--   pending, pending_id_seq   filter: SELECT, INSERT, UPDATE, USAGE;
--                             sync: SELECT, DELETE (purge)
--   control_nonce             filter: SELECT, INSERT; sync: SELECT, DELETE
--   mail_log                  filter: SELECT, INSERT; sync: SELECT,
--                             INSERT (digests), DELETE (purge)
--   recon_sessions, recon_peers, recon_keys, recon_futile
--                             filter: SELECT, INSERT, UPDATE
--                             recon: SELECT, INSERT, UPDATE, DELETE
--   keys, keyids, key_words, key_uids, keys_id_seq, sync_queue
--                             recon: as the filter (the server key's merge)
--   policy, suppressed, blocked
--                             recon: SELECT (the set; the key's merge)
--   owner, published, held    recon: SELECT, INSERT, UPDATE (trusted mode:
--                             the server key is claimed and shown)
--   binding                   filter: SELECT, INSERT, DELETE (verified
--                             mode: CONFIRM, UNPUBLISH, HIDE); sync, recon:
--                             SELECT (verified copies)
--   subscription              filter: SELECT, INSERT, UPDATE, DELETE
--                             (CONFIRM); sync: SELECT, UPDATE (the digest
--                             last sent)
--   reminder_sent             sync: SELECT, INSERT (expiry reminders)
--   schema_version            none of them (initdb is the owner's)
-- Advisory locks (per-key merges, one sync run at a time, one process per
-- recon peer) need no grant.

DO $roles$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'keymail_filter') THEN
		CREATE ROLE keymail_filter NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'keymail_sync') THEN
		CREATE ROLE keymail_sync NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'keymail_recon') THEN
		CREATE ROLE keymail_recon NOLOGIN;
	END IF;
	-- Nobody but the database owner creates objects here (PostgreSQL
	-- before 15 let every role create tables in schema public).
	REVOKE CREATE ON SCHEMA public FROM PUBLIC;
	EXECUTE format('GRANT CREATE ON SCHEMA public TO %I',
	    (SELECT pg_get_userbyid(datdba) FROM pg_database
	     WHERE datname = current_database()));
	EXECUTE format('GRANT CONNECT ON DATABASE %I TO keymail_filter, keymail_sync, keymail_recon',
	    current_database());
END
$roles$;

GRANT USAGE ON SCHEMA public TO keymail_filter, keymail_sync, keymail_recon;

-- Start from nothing, so that re-running after a change takes rights away.
REVOKE ALL ON keys, keyids, key_words, key_uids, sync_queue, reply_log,
    schema_version, policy, owner, published, held, suppressed, blocked,
    pending, control_nonce, mail_log, recon_sessions, recon_peers,
    recon_keys, recon_futile, binding, subscription, reminder_sent
    FROM keymail_filter, keymail_sync, keymail_recon;
REVOKE ALL ON SEQUENCE keys_id_seq, pending_id_seq FROM keymail_filter,
    keymail_sync, keymail_recon;

GRANT SELECT, INSERT, UPDATE ON keys TO keymail_filter;
GRANT SELECT, INSERT ON keyids, key_words TO keymail_filter;
GRANT USAGE ON SEQUENCE keys_id_seq TO keymail_filter;
GRANT SELECT, INSERT ON key_uids TO keymail_filter;
GRANT SELECT, INSERT, UPDATE ON sync_queue TO keymail_filter;
GRANT SELECT, INSERT, UPDATE, DELETE ON reply_log TO keymail_filter;
GRANT SELECT, INSERT, UPDATE ON recon_sessions, recon_peers, recon_keys,
    recon_futile TO keymail_filter;

GRANT SELECT ON keys TO keymail_sync;
GRANT SELECT, UPDATE, DELETE ON sync_queue TO keymail_sync;

-- Owner control (sql/020-owner.sql).
GRANT SELECT ON policy TO keymail_filter, keymail_sync;
GRANT SELECT, INSERT, UPDATE ON owner, published TO keymail_filter;
GRANT SELECT, INSERT, UPDATE, DELETE ON held TO keymail_filter;
GRANT SELECT, INSERT, DELETE ON suppressed TO keymail_filter;
GRANT SELECT, INSERT ON blocked, control_nonce, mail_log TO keymail_filter;
GRANT SELECT, INSERT, UPDATE ON pending TO keymail_filter;
GRANT USAGE ON SEQUENCE pending_id_seq TO keymail_filter;
GRANT SELECT, UPDATE ON owner TO keymail_sync;
GRANT SELECT ON published TO keymail_sync;
GRANT SELECT, DELETE ON held, pending, control_nonce TO keymail_sync;
GRANT SELECT, INSERT, DELETE ON mail_log TO keymail_sync;

-- Reconciliation (sql/040-recon.sql).
GRANT SELECT, INSERT, UPDATE ON keys TO keymail_recon;
GRANT SELECT, INSERT ON keyids, key_words, key_uids TO keymail_recon;
GRANT USAGE ON SEQUENCE keys_id_seq TO keymail_recon;
GRANT SELECT, INSERT, UPDATE ON sync_queue TO keymail_recon;
GRANT SELECT, INSERT, UPDATE, DELETE ON recon_sessions, recon_peers,
    recon_keys, recon_futile TO keymail_recon;
-- The policy's public copies are the set (reconciliation.md 5.1), and in
-- trusted mode keymail recon claims and shows our own server key when
-- nobody has (cmd/serverkey.c), as an owner command would.
GRANT SELECT ON policy, suppressed, blocked TO keymail_recon;
GRANT SELECT, INSERT, UPDATE ON owner, published, held TO keymail_recon;

-- Verified mode (sql/030-verified.sql).
GRANT SELECT, INSERT, DELETE ON binding TO keymail_filter;
GRANT SELECT ON binding TO keymail_sync, keymail_recon;

-- Subscriptions (sql/031-subscription.sql).
GRANT SELECT, INSERT, UPDATE, DELETE ON subscription TO keymail_filter;
GRANT SELECT, UPDATE ON subscription TO keymail_sync;

-- Expiry reminders (sql/032-reminder.sql).
GRANT SELECT, INSERT ON reminder_sent TO keymail_sync;
