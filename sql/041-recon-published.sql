-- sql/041-recon-published.sql - the reconciliation digest of published
-- copies (../shared/spec/reconciliation.md 5.1, 5.2).
--
-- Applied by `keymail initdb` (no BEGIN/COMMIT here: initdb supplies
-- them). In trusted mode the set a server reconciles is the published
-- copies of visible keys (owner-control.md 2, sql/020-owner.sql), so each
-- published copy carries its digest as keys.data does (040-recon.sql):
-- written by keymail in the same statement as the copy's bytes
-- (store_published_put), filled here for copies written before.

ALTER TABLE published ADD COLUMN digest bytea;
UPDATE published SET digest = km_key_digest(data);
ALTER TABLE published ALTER COLUMN digest SET NOT NULL;
ALTER TABLE published ADD CONSTRAINT published_digest_len
    CHECK (octet_length(digest) = 32);
