-- sql/001-schema.sql - the first schema of the keymail key store.
--
-- Applied by `keymail initdb` (store_initdb in src/store/store_pg.c), which
-- runs each sql/NNN-*.sql file once, in its own transaction, and records
-- it in schema_version. Do not edit a file that has been released: add the
-- next NNN-*.sql instead. No BEGIN/COMMIT here: initdb supplies them.
--
-- Sizing: millions of keys. Every lookup is driven by an index of a small
-- side table (keyids, key_words) and ends in a primary-key fetch of keys;
-- nothing ever scans keys.
--
-- Merges are append-only (src/pgp/merge.c never drops a packet), so a key's
-- key IDs and search words only ever grow: the store adds rows with
-- ON CONFLICT DO NOTHING and never deletes them.

-- One row per transferable public key, keyed by the primary fingerprint.
-- data is the canonical binary key (pgp_key_write); the other columns are a
-- summary of it for listings and statistics.
CREATE TABLE keys (
	id		bigserial PRIMARY KEY,
	fingerprint	bytea NOT NULL UNIQUE,		-- 20 (v4) or 32 (v6) bytes
	version		smallint NOT NULL,
	algo		smallint NOT NULL,
	bits		integer NOT NULL,
	keyid		bytea NOT NULL,			-- 8 bytes
	created		timestamptz NOT NULL,
	revoked		boolean NOT NULL DEFAULT false,
	expires		timestamptz,			-- NULL: does not expire
	primary_uid	text,				-- printable UTF-8, NULL: none
	data		bytea NOT NULL,
	first_seen	timestamptz NOT NULL DEFAULT now(),
	changed		timestamptz NOT NULL DEFAULT now(),
	CHECK (octet_length(keyid) = 8)
);
-- LAST and sync ask for keys changed since T; listings sort by created.
CREATE INDEX keys_changed_idx ON keys (changed);
CREATE INDEX keys_created_idx ON keys (created);

-- Every key ID under which a key can be found: its primary key and each
-- subkey. The same subkey may be attached to several primaries, so the
-- fingerprint is unique only per key.
CREATE TABLE keyids (
	key_id		bigint NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
	fingerprint	bytea NOT NULL,			-- of the primary or subkey
	keyid		bytea NOT NULL,			-- 64-bit key ID, 8 bytes
	short_id	integer NOT NULL,		-- 32-bit ID: last 4 bytes of keyid, big-endian
	is_subkey	boolean NOT NULL,
	PRIMARY KEY (key_id, fingerprint),
	CHECK (octet_length(keyid) = 8)
);
CREATE INDEX keyids_fingerprint_idx ON keyids (fingerprint);
CREATE INDEX keyids_keyid_idx ON keyids (keyid);
CREATE INDEX keyids_short_id_idx ON keyids (short_id);

-- The search index: one row per (word, key) for the words of the key's user
-- IDs (util/words.h rule: ASCII letters/digits, lower case, >= 2 chars).
-- The primary key (word, key_id) is the index an AND search walks: for each
-- word an index range, joined on key_id. There is deliberately no index on
-- key_id alone (it would double the size of the largest table); deleting a
-- key, an administrative act, then scans key_words once.
CREATE TABLE key_words (
	word		text NOT NULL,
	key_id		bigint NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
	PRIMARY KEY (word, key_id)
);
