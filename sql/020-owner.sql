-- sql/020-owner.sql - owner control: policy modes, published copies, owner
-- state, held items, tokens, nonces and the mail log
-- (../shared/spec/owner-control.md 2, 3, 5, 6, 7, 12).
--
-- Applied by `keymail initdb` (no BEGIN/COMMIT here: initdb supplies them).
-- The union (keys and its side tables) is unchanged: every merge still
-- goes there. What lookups, SIGNERS and peer sync see is decided by the
-- recorded policy (src/store/owner.c):
--   open     the union, except keys whose owner row says 'hidden';
--   trusted  published.data of keys whose owner row says 'visible'.
-- A key without an owner row is 'visible' in open mode and 'unclaimed'
-- (never published) in trusted mode, so that millions of keys need no row.
-- Times that the order rule of 5.4 compares are whole seconds (bigint).

-- The policy the published copies were built for (one row). A database
-- that holds keys from before owner control was built for 'open'; a
-- fresh one gets the configured policy from `keymail initdb`.
CREATE TABLE policy (
	only_row	boolean PRIMARY KEY DEFAULT true CHECK (only_row),
	mode		text NOT NULL CHECK (mode IN ('open', 'trusted', 'verified')),
	changed		timestamptz NOT NULL DEFAULT now()
);
INSERT INTO policy (mode) SELECT 'open' WHERE EXISTS (SELECT 1 FROM keys);

-- Per key: visibility, notify address, the time of the last command
-- carried out per class (5.4: visibility, content, settings, fetch).
CREATE TABLE owner (
	key_id		bigint PRIMARY KEY REFERENCES keys (id) ON DELETE CASCADE,
	state		text NOT NULL DEFAULT 'unclaimed'
			    CHECK (state IN ('unclaimed', 'visible', 'hidden')),
	claimed		boolean NOT NULL DEFAULT false,	-- has a published copy
	notify		text,				-- address, NULL: none
	notify_confirmed boolean NOT NULL DEFAULT false,
	last_visibility	bigint,
	last_content	bigint,
	last_settings	bigint,
	last_fetch	bigint,
	digest_at	timestamptz			-- newest held item a digest reported
);
CREATE INDEX owner_state_idx ON owner (state);

-- The published copy of a claimed key (trusted mode). primary_uid is the
-- copy's own (VERBOSE INDEX names signers by it); changed is what LAST
-- asks for.
CREATE TABLE published (
	key_id		bigint PRIMARY KEY REFERENCES keys (id) ON DELETE CASCADE,
	data		bytea NOT NULL,
	primary_uid	text,
	revoked		boolean NOT NULL DEFAULT false,
	changed		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX published_changed_idx ON published (changed);

-- Held items (7.3): one per (issuer, component), newest wins. data is a
-- fragment of the key (primary key packet, component, signatures).
-- expires: held_days after it arrived, moved to at most
-- held_after_fetch_days after the first HELD that returned it (fetched).
CREATE TABLE held (
	key_id		bigint NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
	issuer		text NOT NULL,		-- FPR or 0x + 16 hex
	issuer_keyid	bytea NOT NULL,		-- 8 octets (zero: none known)
	component	text NOT NULL,		-- key | uid:<16 hex> | subkey:<FPR>
	created		bigint NOT NULL,	-- newest signature's creation time
	data		bytea NOT NULL,
	received	timestamptz NOT NULL,	-- clock_timestamp(): digests compare it
	expires		timestamptz NOT NULL,
	fetched		timestamptz,
	PRIMARY KEY (key_id, issuer, component)
);
CREATE INDEX held_expires_idx ON held (expires);

-- Packets the owner removed (REPLACE, REJECT): SHA-256 over tag and body.
CREATE TABLE suppressed (
	key_id		bigint NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
	hash		bytea NOT NULL,
	PRIMARY KEY (key_id, hash)
);

-- Issuers whose certifications on this key are dropped (REJECT ... BLOCK).
CREATE TABLE blocked (
	key_id		bigint NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
	issuer		text NOT NULL,		-- FPR or 0x + 16 hex
	PRIMARY KEY (key_id, issuer)
);

-- Requests waiting for a CONFIRM (6): only SHA-256 of the token is kept.
-- kind: 'challenge' (an owner command; class set) or an address token
-- ('notify'; issue 11 adds its own kinds). A newer request of the same
-- key and class (challenges) or the same address, kind and key (address
-- tokens) supersedes the older one.
CREATE TABLE pending (
	id		bigserial PRIMARY KEY,
	token_hash	bytea NOT NULL UNIQUE,
	kind		text NOT NULL,
	fingerprint	bytea,			-- the key the request is about
	class		text,			-- challenges: 5.4 class
	address		text,			-- address tokens: the address
	command		text NOT NULL,		-- canonical command line
	body		bytea,			-- REPLACE: the submitted key, binary
	requested_by	text NOT NULL,		-- the request's reply address
	created		timestamptz NOT NULL,
	expires		timestamptz NOT NULL,
	state		text NOT NULL DEFAULT 'pending'
			    CHECK (state IN ('pending', 'used', 'superseded'))
);
CREATE INDEX pending_key_idx ON pending (fingerprint, class) WHERE state = 'pending';
CREATE INDEX pending_address_idx ON pending (lower(address), kind) WHERE state = 'pending';
CREATE INDEX pending_expires_idx ON pending (expires);

-- Nonces of control blocks carried out (5.3), kept control_max_age +
-- control_max_skew. msgid: SHA-256 of the mail's Message-ID, so that the
-- MTA's retry of the same mail is told from a replay.
CREATE TABLE control_nonce (
	fingerprint	bytea NOT NULL,
	nonce		text NOT NULL,
	msgid		bytea,
	expires		timestamptz NOT NULL,
	PRIMARY KEY (fingerprint, nonce)
);
CREATE INDEX control_nonce_expires_idx ON control_nonce (expires);

-- Every mail of 12 that a limit counts (and failed CONFIRMs, kind
-- 'bad-token', counted per sender): recipient lower-cased.
CREATE TABLE mail_log (
	recipient	text NOT NULL,
	kind		text NOT NULL,
	fingerprint	bytea,
	at		timestamptz NOT NULL
);
CREATE INDEX mail_log_recipient_idx ON mail_log (recipient, at);
CREATE INDEX mail_log_key_idx ON mail_log (fingerprint, kind, at);
CREATE INDEX mail_log_kind_idx ON mail_log (kind, at);
