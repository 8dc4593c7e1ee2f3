-- sql/051-uids-by-merge.sql - key_uids is filled by the merge code.
--
-- Applied by `keymail initdb` (no BEGIN/COMMIT here: initdb supplies them).
--
-- sql/002-sync.sql kept key_uids with a PL/pgSQL trigger that parsed
-- every written key blob again inside the server: 7 % of the server's
-- work in a bulk import, and a function compiled anew by every backend.
-- The merge (src/store/merge.c, bulk.c) has every user ID parsed already
-- and inserts them with one statement per merge or import batch, in the
-- same transaction as the key (rows are only ever added, as before).
-- km_key_uids() stays for anyone who used it by hand.
DROP TRIGGER IF EXISTS keys_uids_insert ON keys;
DROP TRIGGER IF EXISTS keys_uids_update ON keys;
DROP FUNCTION IF EXISTS km_key_uids_sync();
