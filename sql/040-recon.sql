-- sql/040-recon.sql - reconciliation between keymail servers
-- (../shared/spec/reconciliation.md 5.2, 11).
--
-- Applied by `keymail initdb` (no BEGIN/COMMIT here: initdb supplies
-- them). Times are seconds since 1970 as the keymail process read its
-- own clock (spec 4.3): nothing here uses the database's now().

-- ---- the element: a digest per key (spec 5.2) ---------------------------
--
-- SHA-256 over the key's packets as (tag, 4-octet length, body), sorted
-- as octet strings, each distinct one once. keymail computes it in C
-- (src/recon/digest.c) and writes it in the same statement as the key's
-- bytes; the SQL function below fills the keys stored before this
-- migration and lets tests compare both. Nothing derived from it is kept
-- between sessions.

-- Every packet of a binary key as written by pgp_key_write (old-format
-- headers for tags below 16, new-format definite lengths otherwise).
-- Anything else in the blob is an error: our blobs never hold it.
CREATE FUNCTION km_key_packets(blob bytea, OUT tag integer, OUT body bytea)
RETURNS SETOF record
LANGUAGE plpgsql IMMUTABLE STRICT AS $fn$
DECLARE
	-- A copy: get_byte on a toasted argument would detoast at each call.
	b	bytea := blob || ''::bytea;
	n	integer := length(blob);
	pos	integer := 0;
	ctb	integer;
	hl	integer;
	len	bigint;
	o	integer;
BEGIN
	WHILE pos < n LOOP
		ctb := get_byte(b, pos);
		IF ctb & 128 = 0 OR pos + 2 > n THEN
			RAISE EXCEPTION 'km_key_packets: bad packet at %', pos;
		END IF;
		IF ctb & 64 = 0 THEN
			tag := (ctb >> 2) & 15;
			CASE ctb & 3
			WHEN 0 THEN
				hl := 2;
				len := get_byte(b, pos + 1);
			WHEN 1 THEN
				hl := 3;
				IF pos + hl > n THEN RAISE EXCEPTION 'km_key_packets: truncated'; END IF;
				len := get_byte(b, pos + 1) * 256 + get_byte(b, pos + 2);
			WHEN 2 THEN
				hl := 5;
				IF pos + hl > n THEN RAISE EXCEPTION 'km_key_packets: truncated'; END IF;
				len := get_byte(b, pos + 1)::bigint * 16777216 +
				    get_byte(b, pos + 2) * 65536 +
				    get_byte(b, pos + 3) * 256 + get_byte(b, pos + 4);
			ELSE
				RAISE EXCEPTION 'km_key_packets: indeterminate length';
			END CASE;
		ELSE
			tag := ctb & 63;
			o := get_byte(b, pos + 1);
			IF o < 192 THEN
				hl := 2;
				len := o;
			ELSIF o < 224 THEN
				hl := 3;
				IF pos + hl > n THEN RAISE EXCEPTION 'km_key_packets: truncated'; END IF;
				len := (o - 192) * 256 + get_byte(b, pos + 2) + 192;
			ELSIF o = 255 THEN
				hl := 6;
				IF pos + hl > n THEN RAISE EXCEPTION 'km_key_packets: truncated'; END IF;
				len := get_byte(b, pos + 2)::bigint * 16777216 +
				    get_byte(b, pos + 3) * 65536 +
				    get_byte(b, pos + 4) * 256 + get_byte(b, pos + 5);
			ELSE
				RAISE EXCEPTION 'km_key_packets: partial length';
			END IF;
		END IF;
		IF tag = 0 OR pos + hl + len > n THEN
			RAISE EXCEPTION 'km_key_packets: truncated';
		END IF;
		body := substr(b, pos + hl + 1, len::integer);
		RETURN NEXT;
		pos := pos + hl + len::integer;
	END LOOP;
END
$fn$;

-- bytea sorts as memcmp over the common length, the shorter first: the
-- order spec 5.2 asks for.
CREATE FUNCTION km_key_digest(blob bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS $fn$
	SELECT sha256(COALESCE(string_agg(s, ''::bytea ORDER BY s), ''::bytea))
	FROM (SELECT DISTINCT set_byte('\x00'::bytea, 0, p.tag) ||
	    int4send(length(p.body)) || p.body AS s
	    FROM km_key_packets(blob) AS p) AS t
$fn$;

ALTER TABLE keys ADD COLUMN digest bytea;
UPDATE keys SET digest = km_key_digest(data);
ALTER TABLE keys ALTER COLUMN digest SET NOT NULL;
ALTER TABLE keys ADD CONSTRAINT keys_digest_len CHECK (octet_length(digest) = 32);

-- ---- sessions (spec 10, 11) -------------------------------------------
--
-- peer: the recon_peer's address, lower case. sid: the 64-bit session ID
-- as a bigint of the same bits. role: 1 initiator, 2 responder. state:
-- 1 offered, 2 cells sent, 3 MORE sent, 4 RESULT sent, 5 ended. status:
-- 0 live, 1 ok, 2 aborted (reason: the ABORT reason's number), 3 timeout.
-- cells: the initiator's snapshot prefix [0, max_cells), or the cells the
-- responder holds, 12 octets each; NULL once the session ended.
-- out_record: the last control record we made (signed), answered again
-- on a repeat; out_mail: its first mail while it is not handed over yet.
CREATE TABLE recon_sessions (
	peer		text NOT NULL,
	sid		bigint NOT NULL,
	role		smallint NOT NULL CHECK (role IN (1, 2)),
	state		smallint NOT NULL,
	status		smallint NOT NULL DEFAULT 0,
	reason		smallint NOT NULL DEFAULT 0,
	salt		bytea NOT NULL CHECK (octet_length(salt) = 16),
	seq_in		integer NOT NULL DEFAULT 0,
	seq_out		integer NOT NULL DEFAULT 0,
	created		bigint NOT NULL,
	ended		bigint,
	n_self		bigint NOT NULL DEFAULT 0,
	n_peer		bigint NOT NULL DEFAULT 0,
	max_cells	integer NOT NULL DEFAULT 0,
	held		integer NOT NULL DEFAULT 0,
	asked		integer NOT NULL DEFAULT 0,
	mores		integer NOT NULL DEFAULT 0,
	d_est		bigint NOT NULL DEFAULT 0,
	cells		bytea,
	out_record	bytea,
	out_mail	bytea,
	out_type	smallint NOT NULL DEFAULT 0,
	out_pending	boolean NOT NULL DEFAULT false,
	out_sent	bigint NOT NULL DEFAULT 0,
	resends		integer NOT NULL DEFAULT 0,
	mails		integer NOT NULL DEFAULT 0,
	bytes		bigint NOT NULL DEFAULT 0,
	d		bigint NOT NULL DEFAULT 0,
	ours		bigint NOT NULL DEFAULT 0,
	theirs		bigint NOT NULL DEFAULT 0,
	cells_ok	bigint NOT NULL DEFAULT 0,
	keys_sent	bigint NOT NULL DEFAULT 0,
	skipped		bigint NOT NULL DEFAULT 0,
	unknown		bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (peer, sid)
);
-- At most one live session per peer, in either role (spec 11.3).
CREATE UNIQUE INDEX recon_sessions_live_idx ON recon_sessions (peer)
    WHERE status = 0;
CREATE INDEX recon_sessions_created_idx ON recon_sessions (peer, created);

-- Per peer: the last session and the backoff (spec 11.4), and the one
-- ABORT busy a day.
CREATE TABLE recon_peers (
	peer		text PRIMARY KEY,
	last_start	bigint NOT NULL DEFAULT 0,
	last_end	bigint NOT NULL DEFAULT 0,
	last_status	smallint NOT NULL DEFAULT 0,
	last_reason	smallint NOT NULL DEFAULT 0,
	last_d		bigint NOT NULL DEFAULT 0,
	failures	integer NOT NULL DEFAULT 0,
	busy_sent	bigint NOT NULL DEFAULT 0
);

-- The keys a session sends, by primary fingerprint. state: 0 waiting for
-- DONE (responder), 1 to be mailed, 2 mailed, 3 skipped. decided: when it
-- was decided (the 24-hour key limit counts 1 and 2 from then).
CREATE TABLE recon_keys (
	peer		text NOT NULL,
	sid		bigint NOT NULL,
	fpr		bytea NOT NULL,
	state		smallint NOT NULL,
	decided		bigint NOT NULL,
	sent		bigint,
	PRIMARY KEY (peer, sid, fpr),
	FOREIGN KEY (peer, sid) REFERENCES recon_sessions (peer, sid)
	    ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX recon_keys_decided_idx ON recon_keys (peer, decided);

-- The futility memo (spec 11.5): per peer and key, the digest last sent
-- and in how many sessions that same digest went.
CREATE TABLE recon_futile (
	peer		text NOT NULL,
	fpr		bytea NOT NULL,
	digest		bytea NOT NULL,
	sessions	integer NOT NULL,
	updated		bigint NOT NULL,
	PRIMARY KEY (peer, fpr)
);
