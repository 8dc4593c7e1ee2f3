-- sql/030-verified.sql - verified mode (../shared/spec/owner-control.md 8):
-- the bindings of confirmed addresses to keys.
--
-- Applied by `keymail initdb` (no BEGIN/COMMIT here: initdb supplies them).
-- In verified mode every key stored has a row in published (020) holding
-- its verified copy: the self-material with only the user IDs whose
-- address has a binding here (cmd/verified.c). C21: one key per address,
-- so the address is unique, compared as the spec says (the domain is
-- lower-cased already, the local part without regard to ASCII case).
CREATE TABLE binding (
	address		text NOT NULL,		-- canonical addr-spec
	key_id		bigint NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
	created		timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX binding_address_idx ON binding (lower(address));
CREATE INDEX binding_key_idx ON binding (key_id);
