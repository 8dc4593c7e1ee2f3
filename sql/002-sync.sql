-- sql/002-sync.sql - the outgoing sync queue, and the user-ID table MGET scans.
--
-- Applied by `keymail initdb` after 001 (no BEGIN/COMMIT here: initdb
-- supplies them).

-- ---- Peer sync by mail (mail-protocol.md 4.5) ----------------------------
--
-- One row per key that a merge changed and that still has to go to some
-- peer. The filter writes it in the merge's own transaction (so a change
-- is never committed without its queue entry); `keymail sync` reads it,
-- sends, and records each peer it sent to.
--
-- seen: the X-KeyServer-Sent trail of the change (lower-case addr-specs);
--	empty for a user ADD. When a queued key changes again, seen becomes
--	the intersection of the old and new trails: at worst a peer gets a
--	duplicate, which carries nothing new and stops there.
-- sent: lower-case peer addresses that the mailer accepted this entry for,
--	since it was last (re)queued. A re-queue clears it: the key has new
--	data, which those peers have not seen.
-- gen:  bumped by every re-queue. sync marks and deletes only the
--	generation it read, so a change that lands while a sync run is
--	sending is never marked as sent by the run that did not send it.
-- queued: time of the last (re)queue; entries older than sync_max_age_days
--	are dropped by `keymail sync`.
CREATE TABLE sync_queue (
	key_id		bigint PRIMARY KEY REFERENCES keys (id) ON DELETE CASCADE,
	seen		text[] NOT NULL DEFAULT '{}',
	sent		text[] NOT NULL DEFAULT '{}',
	gen		bigint NOT NULL DEFAULT 1,
	queued		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_queue_queued_idx ON sync_queue (queued);

-- ---- MGET: every user ID as a row ----------------------------------------
--
-- MGET matches a regular expression against user IDs, so it needs them as
-- rows; keys.data holds them only inside the binary key. key_uids has one
-- row per user-ID packet body (raw bytes, as in the key). It is kept by a
-- trigger on keys rather than by the merge code, so that every path that
-- writes keys (mail merges, bulk loads) keeps it complete. Merges only
-- add packets, so the trigger only adds rows.
--
-- User IDs may be up to max_uid_length (4 KiB) long, more than a btree
-- entry can hold, so uniqueness is on their MD5 (a duplicate-row guard,
-- not a security property).
CREATE TABLE key_uids (
	key_id		bigint NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
	uid		bytea NOT NULL
);
CREATE UNIQUE INDEX key_uids_key_md5_idx ON key_uids (key_id, md5(uid));

-- The bodies of the user-ID packets (tag 13) of a binary key as written
-- by pgp_key_write: old-format headers for tags below 16, new-format
-- (1-, 2- or 5-octet lengths, never partial) for the others. Anything
-- malformed ends the walk quietly: the blob is ours, so that would be a
-- bug, and a missing MGET row is better than a failed merge.
CREATE FUNCTION km_key_uids(blob bytea) RETURNS SETOF bytea
LANGUAGE plpgsql IMMUTABLE STRICT AS $fn$
DECLARE
	-- A copy, not the argument: get_byte on a toasted (large or
	-- compressed) argument would fetch and decompress it again at every
	-- call, which makes a 2 MiB key cost seconds instead of milliseconds.
	b	bytea := blob || ''::bytea;
	n	integer := length(blob);
	pos	integer := 0;
	ctb	integer;
	tag	integer;
	hl	integer;
	len	bigint;
	o	integer;
BEGIN
	WHILE pos + 2 <= n LOOP
		ctb := get_byte(b, pos);
		IF ctb & 128 = 0 THEN
			RETURN;
		END IF;
		IF ctb & 64 = 0 THEN
			tag := (ctb >> 2) & 15;
			CASE ctb & 3
			WHEN 0 THEN
				hl := 2;
				len := get_byte(b, pos + 1);
			WHEN 1 THEN
				hl := 3;
				IF pos + hl > n THEN RETURN; END IF;
				len := get_byte(b, pos + 1) * 256 + get_byte(b, pos + 2);
			WHEN 2 THEN
				hl := 5;
				IF pos + hl > n THEN RETURN; END IF;
				len := get_byte(b, pos + 1)::bigint * 16777216 +
				    get_byte(b, pos + 2) * 65536 +
				    get_byte(b, pos + 3) * 256 + get_byte(b, pos + 4);
			ELSE
				RETURN;
			END CASE;
		ELSE
			tag := ctb & 63;
			o := get_byte(b, pos + 1);
			IF o < 192 THEN
				hl := 2;
				len := o;
			ELSIF o < 224 THEN
				hl := 3;
				IF pos + hl > n THEN RETURN; END IF;
				len := (o - 192) * 256 + get_byte(b, pos + 2) + 192;
			ELSIF o = 255 THEN
				hl := 6;
				IF pos + hl > n THEN RETURN; END IF;
				len := get_byte(b, pos + 2)::bigint * 16777216 +
				    get_byte(b, pos + 3) * 65536 +
				    get_byte(b, pos + 4) * 256 + get_byte(b, pos + 5);
			ELSE
				RETURN;
			END IF;
		END IF;
		IF pos + hl + len > n THEN
			RETURN;
		END IF;
		IF tag = 13 THEN
			RETURN NEXT substr(b, pos + hl + 1, len::integer);
		END IF;
		pos := pos + hl + len::integer;
	END LOOP;
END
$fn$;

CREATE FUNCTION km_key_uids_sync() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	INSERT INTO key_uids (key_id, uid)
	    SELECT NEW.id, u FROM km_key_uids(NEW.data) AS u
	    ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$fn$;

CREATE TRIGGER keys_uids_insert AFTER INSERT ON keys
    FOR EACH ROW EXECUTE FUNCTION km_key_uids_sync();
CREATE TRIGGER keys_uids_update AFTER UPDATE OF data ON keys
    FOR EACH ROW WHEN (OLD.data IS DISTINCT FROM NEW.data)
    EXECUTE FUNCTION km_key_uids_sync();

-- Keys stored before this migration.
INSERT INTO key_uids (key_id, uid)
    SELECT k.id, u FROM keys k, km_key_uids(k.data) AS u
    ON CONFLICT DO NOTHING;
