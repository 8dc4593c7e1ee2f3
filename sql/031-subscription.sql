-- sql/031-subscription.sql - key-update subscriptions
-- (../shared/spec/owner-control.md 10.1), in every policy mode.
--
-- Applied by `keymail initdb` (no BEGIN/COMMIT here: initdb supplies them).
-- A row is an active subscription (the CONFIRM of its token made it): the
-- address (canonical; compared with lower()) gets the key's public copy
-- whenever its digest (SHA-256 over the public copy without third-party
-- certifications, cmd/subscribe.c) differs from the one last sent. The
-- key need not be stored (C25: a subscription may wait for it); digest
-- NULL: none sent yet.
CREATE TABLE subscription (
	address		text NOT NULL,
	fingerprint	bytea NOT NULL,
	digest		bytea,
	created		timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX subscription_idx ON subscription (lower(address), fingerprint);
CREATE INDEX subscription_fpr_idx ON subscription (fingerprint);
