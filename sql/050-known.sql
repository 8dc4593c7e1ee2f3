-- sql/050-known.sql - what the store knows of a key without reading it.
--
-- Applied by `keymail initdb` (no BEGIN/COMMIT here: initdb supplies them).
--
-- packets: the names of the key's packets, each in its place (16 octets
--	each, sorted; src/pgp/known.c): a key whose names are all here
--	brings nothing new, so ADD and import recognise it from this
--	column alone, without reading and parsing the key.
-- verified: the signatures of the key that were verified, each as its
--	name and the name of the key that verified it (32 octets each,
--	sorted): checking the key again skips their public-key operations.
-- Both are written by the merge (src/store/merge.c, bulk.c) in the same
-- statement as data, from the merged key, so they describe exactly the
-- stored packets. NULL: stored before this migration; the next merge of
-- the key fills them in (a merge that brings nothing new writes only
-- these two columns).
--
-- The names are hashes: nothing to compress, so they are kept
-- uncompressed (STORAGE EXTERNAL: moved out of line only when large).
ALTER TABLE keys ADD COLUMN packets bytea, ADD COLUMN verified bytea;
ALTER TABLE keys ALTER COLUMN packets SET STORAGE EXTERNAL,
    ALTER COLUMN verified SET STORAGE EXTERNAL;
