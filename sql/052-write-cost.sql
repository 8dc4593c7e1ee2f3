-- sql/052-write-cost.sql - what writing a key costs the server.
--
-- Applied by `keymail initdb` (no BEGIN/COMMIT here: initdb supplies them).
-- Measured on a bulk import (bench/analysis.md, "Import"):
--
-- keys.data is not compressed. Key material and signatures are random
-- octets: pglz saved 3 % of debian-keyring's 29 MB and was 34 % of the
-- server's work on its import (lz4: 6 % saved, 6 % more work than none).
-- STORAGE EXTERNAL still moves a large key out of line, and reading the
-- first octets of one (store_signers) fetches only the chunks it needs.
-- Keys written before this migration keep their compressed form until
-- their next change.
ALTER TABLE keys ALTER COLUMN data SET STORAGE EXTERNAL;

-- The side tables' foreign keys checked every inserted row with a query
-- of its own (31 % of the server's work on an import of 20,000 keys).
-- Their rows are written only by the merge code, in the key's own
-- transaction, after the key (src/store/merge.c, bulk.c), and they are
-- only ever added; what the constraints still did was cascade the
-- administrative deletion of a key, which a statement trigger now does.
ALTER TABLE keyids DROP CONSTRAINT IF EXISTS keyids_key_id_fkey;
ALTER TABLE key_words DROP CONSTRAINT IF EXISTS key_words_key_id_fkey;
ALTER TABLE key_uids DROP CONSTRAINT IF EXISTS key_uids_key_id_fkey;

-- key_words has no index on key_id (sql/001): one scan per statement.
CREATE FUNCTION km_keys_deleted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	DELETE FROM keyids WHERE key_id IN (SELECT id FROM gone);
	DELETE FROM key_words WHERE key_id IN (SELECT id FROM gone);
	DELETE FROM key_uids WHERE key_id IN (SELECT id FROM gone);
	RETURN NULL;
END
$fn$;
CREATE TRIGGER keys_deleted AFTER DELETE ON keys
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION km_keys_deleted();

-- TRUNCATE keys (CASCADE reached them through the constraints) empties
-- them too.
CREATE FUNCTION km_keys_truncated() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	TRUNCATE keyids, key_words, key_uids;
	RETURN NULL;
END
$fn$;
CREATE TRIGGER keys_truncated AFTER TRUNCATE ON keys
    FOR EACH STATEMENT EXECUTE FUNCTION km_keys_truncated();
