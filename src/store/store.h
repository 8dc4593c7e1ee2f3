/*
 * store/store.h - the key store: the operations the commands need.
 *
 * Implemented on PostgreSQL by the files of store/ (one per concern, see
 * store/pg_internal.h), the only ones that include libpq-fe.h. Every query
 * is parameterized (PQexecParams, binary bytea for key blobs); every
 * PGresult is checked. Functions return a status, never exit.
 *
 * Transient failures (server down, connection lost, serialization failure
 * after retries, deadlock) are STORE_TEMPFAIL: the filter maps that to
 * EX_TEMPFAIL so the MTA retries. Every write is one transaction: on any
 * error it is rolled back, so no half-written key ever becomes visible.
 *
 * Concurrency: store_merge_key takes a transaction-scoped advisory lock on
 * the key's fingerprint before reading it, so two filters merging the same
 * key serialize and the second merges into the first's result (no lost
 * packets). Isolation: READ COMMITTED.
 *
 * Memory: struct store_keys owns its blobs; store_keys_free() releases.
 */
#ifndef KM_STORE_STORE_H
#define KM_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pgp/pgp.h"

enum store_status {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* lookup found nothing */
	STORE_TOOMANY,		/* more results than the limit asked for */
	STORE_TEMPFAIL,		/* database unreachable / transient: retry later */
	STORE_ERROR,		/* permanent failure (schema missing, bug) */
	STORE_LIMIT,		/* merge: the merged key would pass max_key_size or
				 * max_packets_per_key; nothing was written (refuse
				 * politely, do not retry: it is a flooding defence) */
};

const char *store_strerror(enum store_status st);

struct store;

/* One stored key as the store returns it. */
struct store_key {
	uint8_t *data;		/* canonical binary transferable key (ours) */
	size_t len;
	time_t changed;		/* last time a merge changed it */
};

struct store_keys {
	struct store_key *v;
	size_t n;
};

void store_keys_free(struct store_keys *ks);

/* Connect (conninfo is a libpq string or URI; connect_timeout defaults to
 * 10 s, application_name to "keymail"; client_encoding is forced to UTF8).
 * *out is set even on failure, so that store_errmsg(*out) can say why: the
 * caller always store_close()s it. Returns STORE_OK, STORE_TEMPFAIL (server
 * unreachable, refused, auth/database failure) or STORE_ERROR (conninfo
 * syntax). A struct store must not be used across fork(). */
enum store_status store_open(const char *conninfo, struct store **out);
/* store_open with another fallback application_name (keymail serve's
 * workers: "keymail/hkp", "keymail/lmtp"; a conninfo application_name
 * wins) and flags: STORE_OPEN_READONLY makes every transaction read-only
 * (default_transaction_read_only, added to the conninfo's options), for
 * lookups on a hot standby (database_ro). */
#define STORE_OPEN_READONLY	0x1u
enum store_status store_open_as(const char *conninfo, const char *appname,
    unsigned flags, struct store **out);
void store_close(struct store *s);	/* NULL is allowed */
/* Last error text from the server/libpq (never NULL). */
const char *store_errmsg(const struct store *s);
/* Is the connection up, as far as libpq knows? It learns that a
 * connection broke only when a statement fails on it, so after a
 * STORE_TEMPFAIL this tells a lost connection (reconnect) from a server
 * that answered with an error. False for NULL and after a failed
 * store_open. */
bool store_connected(const struct store *s);

/* Create or upgrade the schema from the embedded sql/ files; idempotent. */
enum store_status store_initdb(struct store *s);
/*
 * The schema as the database has it: *have the highest migration
 * version recorded (0 when there is no schema_version table: initdb was
 * never run) and *want the highest compiled into this program. Reads
 * only.
 */
enum store_status store_schema_version(struct store *s, int *have, int *want);

/*
 * Merge one checked key (pgp_key_check returned PGP_OK) into the store in
 * one transaction: lock, read the stored version, pgp_key_merge, write back
 * the canonical blob, key IDs, user IDs and search words, bump "changed" if
 * anything was new. counts receives what was new (new_keys = 1 if the key
 * was not stored before). lim is used to re-parse the stored blob.
 *
 * Counts: for a key not stored before, pgp_key_count of what was stored
 * (new_keys = 1 and every user ID, subkey and signature of the key, less
 * duplicates). For a stored key, what pgp_key_merge added; all zero means
 * nothing was written and "changed" was left alone. *counts is zeroed
 * first (it is not a running sum).
 * Row summary (keys.revoked/expires/primary_uid): revoked is sticky (the
 * stored value OR key->revoked); expires and the primary user ID are the
 * ones pgp_key_check found in this key (if key->primary_uid is -1 the
 * stored primary user ID is kept, else the first user ID is used).
 * Returns STORE_OK; STORE_LIMIT if the merged key would exceed
 * lim->max_key_size or lim->max_packets_per_key (nothing written: report
 * it for this key and go on with the others, do not tempfail); STORE_TEMPFAIL
 * (connection, or serialization failure/deadlock still there after 3
 * retries); STORE_ERROR. lim NULL means the util/limits.h defaults; a
 * zero field in it, no limit (as in pgp.h).
 */
enum store_status store_merge_key(struct store *s, const struct pgp_key *key,
    const struct pgp_limits *lim, struct pgp_merge_counts *counts);

/*
 * Lookups. Each fills out (caller frees with store_keys_free) with at most
 * limit keys; if more exist, returns STORE_TOOMANY with out empty.
 * Results come newest-created first. No match: STORE_NOTFOUND.
 */
/* Full fingerprint (20 or 32 bytes), of a primary key or a subkey. */
enum store_status store_get_by_fpr(struct store *s, const uint8_t *fpr,
    size_t len, size_t limit, struct store_keys *out);
/* 64-bit key ID (8 bytes) or 32-bit short ID (4 bytes); primary or subkey. */
enum store_status store_get_by_keyid(struct store *s, const uint8_t *id,
    size_t len, size_t limit, struct store_keys *out);
/* Keys having every word (see util/words.h) among their user IDs' words.
 * Each given string is put through words_split (so case, punctuation and
 * 1-letter words are handled by the one rule; "a.b@c" is three words);
 * if that leaves no word at all: STORE_NOTFOUND. */
enum store_status store_search_words(struct store *s, char *const *words,
    size_t nwords, size_t limit, struct store_keys *out);
/* An estimate of the number of stored keys from the table statistics
 * (never a full count: HKP op=stats may be asked often). 0 for a table
 * never analyzed and not yet counted by the statistics collector. */
enum store_status store_estimate_keys(struct store *s, long long *n);
/* Keys whose "changed" time is at or after since. */
enum store_status store_changed_since(struct store *s, time_t since,
    size_t limit, struct store_keys *out);
/* Primary user ID (printable, caller frees) of the key with this 64-bit
 * key ID, for VERBOSE INDEX signer names. STORE_NOTFOUND if none. Only
 * primary keys count (a subkey does not certify); if several keys share
 * the ID, the newest created one answers. *uid is NULL unless STORE_OK. */
enum store_status store_uid_for_keyid(struct store *s, const uint8_t id[8],
    char **uid);

/*
 * Keys that may have made third-party signatures: every stored key whose
 * primary key ID is one of the n 64-bit key IDs at ids (8 octets each),
 * at most limit of them, in out. Each blob is cut to its first 4096
 * octets, which hold the primary key packet of any key of ordinary size
 * (all that pgp_key_check_certs reads); changed is 0. None found is STORE_OK with out empty. Used by the merge (crowded
 * user IDs, max_sigs_per_uid) and by VERBOSE INDEX.
 */
enum store_status store_signers(struct store *s, const uint8_t *ids,
    size_t n, size_t limit, struct store_keys *out);

/*
 * Reply rate limit (sql/003-ratelimit.sql). Count one reply to address
 * (an addr-spec; compared case-insensitively) in the current clock hour,
 * with one atomic upsert in its own transaction, and set *count to the
 * number of replies asked for in this hour so far, this one included
 * (the caller sends only if *count <= its limit). When this starts a new
 * hour for the address, rows more than a day old are deleted (best
 * effort: a failure there is ignored). STORE_OK, STORE_TEMPFAIL or
 * STORE_ERROR; on error *count is 0.
 */
enum store_status store_reply_count(struct store *s, const char *address,
    uint64_t *count);
/*
 * The reply counter at up to 3 levels (the recipient, its domain, all
 * replies), in one transaction: keys[0] is counted; keys[i] (i > 0) only
 * if the count of keys[i-1], this reply included, is at most limits[i-1].
 * counts[i] gets each key's count this hour, this reply included (0 for
 * a level not reached), *hour the hour counted in (seconds since the
 * epoch, for store_reply_uncount). Keys are compared in lower case.
 * STORE_OK, STORE_TEMPFAIL or STORE_ERROR (n not 1 to 3).
 */
enum store_status store_reply_count_levels(struct store *s,
    const char *const *keys, const uint64_t *limits, size_t n,
    uint64_t *counts, int64_t *hour);
/* Take one reply back from each of the n keys in the given hour (the
 * mailer did not take it). A count never goes below 0. */
enum store_status store_reply_uncount(struct store *s, const char *const *keys,
    size_t n, int64_t hour);

/* ---- peer sync queue (sql/002-sync.sql, mail-protocol.md 4.5) -------- */

/*
 * store_merge_key, and if the merge wrote anything, queue the key for
 * `keymail sync` in the same transaction. trail: the change's
 * X-KeyServer-Sent set (lower-case addr-specs; duplicates and empty
 * strings ignored; ntrail 0 for a user ADD: the empty set). If the key is
 * queued already, its seen-set becomes the intersection of the old one
 * and trail, its sent marks are cleared and its generation goes up.
 */
enum store_status store_merge_key_sync(struct store *s,
    const struct pgp_key *key, const struct pgp_limits *lim,
    struct pgp_merge_counts *counts, char *const *trail, size_t ntrail);

/* One queued key, with the current stored key (not a delta). */
struct store_sync_entry {
	int64_t key_id;		/* opaque row id */
	int64_t gen;		/* generation read: pass back to mark/done */
	char **seen;		/* the trail, lower-case */
	size_t nseen;
	char **sent;		/* peers (lower-case) already sent this generation */
	size_t nsent;
	uint8_t *data;		/* canonical binary key */
	size_t len;
	/* Owner control: the key's owner state (STORE_UNCLAIMED when it
	 * has no owner row) and its published copy (NULL: none); cmd/sync.c
	 * sends what the policy makes public (owner-control.md 11). */
	int owner_state;	/* enum store_owner_state */
	uint8_t *published;
	size_t published_len;
};

struct store_sync_entries {
	struct store_sync_entry *v;
	size_t n;
};

void store_sync_entries_free(struct store_sync_entries *e);

/*
 * Take the sync run's lock: a session-level advisory lock, so it goes
 * away with the connection (a killed run leaves nothing stale). *got is
 * false if another session holds it.
 */
enum store_status store_sync_lock(struct store *s, bool *got);
/*
 * Give the sync run's lock back. The server frees a session's lock only
 * once its backend has noticed the connection is gone, which happens
 * after we exit: a run started right after ours could still find it
 * taken and skip its work. Released here, it is free when we return.
 */
enum store_status store_sync_unlock(struct store *s);
/* Drop entries last queued more than max_age seconds ago; *dropped
 * gets their number. */
enum store_status store_sync_expire(struct store *s, time_t max_age,
    size_t *dropped);
/* At most max entries with key_id > after, in key_id order (so a caller
 * can page through the queue while it changes). out empty: no more. */
enum store_status store_sync_fetch(struct store *s, int64_t after, size_t max,
    struct store_sync_entries *out);
/* Record that the mailer accepted generation gen of key_id for peer
 * (lower-cased here). No-op if the entry was re-queued or removed since. */
enum store_status store_sync_mark(struct store *s, int64_t key_id, int64_t gen,
    const char *peer);
/* Remove generation gen of key_id from the queue (no-op if re-queued). */
enum store_status store_sync_done(struct store *s, int64_t key_id, int64_t gen);

/* ---- MGET scan (sql/002-sync.sql key_uids) --------------------------- */

enum store_scan_kind {
	STORE_SCAN_KEYID,	/* a: fingerprint (primary or subkey), b: 64-bit key ID */
	STORE_SCAN_UID,		/* a: user-ID packet body (raw bytes), b: NULL */
};

/* Return non-zero to stop the scan (not an error). */
typedef int (*store_scan_cb)(void *arg, int64_t key_id,
    enum store_scan_kind kind, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen);

/*
 * Visit every key-ID row and then every user-ID row of the store, through
 * server-side cursors (STORE_SCAN_BATCH rows per round trip) in one
 * read-only snapshot, so memory stays flat whatever the store's size.
 * Order is unspecified. Returns STORE_OK also when cb stopped the scan.
 */
enum store_status store_scan_ids_uids(struct store *s, store_scan_cb cb,
    void *arg);
/* The keys with these row ids (from a scan), newest created first;
 * ids that are gone are skipped. STORE_NOTFOUND if none is left. */
enum store_status store_get_by_ids(struct store *s, const int64_t *ids,
    size_t n, struct store_keys *out);

/* ---- what the store knows of keys, without reading them -------------- */

/* (sql/050-known.sql) One stored key's packet names and verified
 * entries, owned. found false: not stored (the rest empty). A key
 * stored before sql/050 has found true and no names. */
struct store_known {
	bool found;
	uint8_t *names;		/* PGP_NAME_LEN octets each */
	size_t nnames;
	uint8_t *verified;	/* PGP_VERIFIED_LEN octets each */
	size_t nverified;
};

/*
 * For each of the n keys (by primary fingerprint), what the store knows
 * of it (out[i] for keys[i]), with one statement and without a lock: the
 * lists only ever describe true facts about packets (see pgp.h), so a
 * list that is out of date by the time it is used costs time, never
 * correctness. The caller frees with store_known_free.
 */
enum store_status store_known_get(struct store *s,
    const struct pgp_key *const *keys, size_t n, struct store_known *out);
void store_known_free(struct store_known *k, size_t n);
/* The view pgp_key_check_known and pgp_key_all_known take. */
void store_known_view(const struct store_known *k, struct pgp_known *v);

/* Public-key operations the store's merges did (the flooding rule
 * verifies certifications with their signers' stored keys), since
 * store_open. */
const struct pgp_vstats *store_vstats(const struct store *s);

/* ---- bulk load and dump (keymail import / export) -------------------- */

/* One key of a bulk merge: in, a checked key (pgp_key_check returned
 * PGP_OK); out, what happened to it. */
struct store_bulk_item {
	const struct pgp_key *key;
	enum store_status st;		/* STORE_OK: merged (counts say what was
					 * new); STORE_LIMIT or STORE_ERROR: this
					 * key was left out, why says why */
	struct pgp_merge_counts counts;
	char why[256];
};

/*
 * Merge n checked keys with n distinct primary fingerprints in one
 * transaction. Each key ends exactly as store_merge_key would leave it
 * (same merge, counts, row summary and side tables; the same advisory
 * locks, so concurrent mail merges of the same keys serialize with the
 * batch), but the batch costs a handful of statements in all, not several
 * per key. Keys are not queued for peer sync: a bulk load is not news to
 * pass on. A key that cannot be merged (merged too large, stored copy
 * unreadable) fails alone, in its item. Returns STORE_OK (see the items),
 * STORE_TEMPFAIL (connection, or serialization failure / deadlock still
 * there after 3 retries) or STORE_ERROR (nothing of the batch written).
 * lim as for store_merge_key.
 */
enum store_status store_merge_keys(struct store *s,
    struct store_bulk_item *items, size_t n, const struct pgp_limits *lim);

/* Called with each stored key's canonical blob (valid during the call);
 * return non-zero to stop (not an error). */
/* ---- reconciliation (sql/040-recon.sql, store/recon.c) --------------- */

/*
 * State of reconciliation sessions (reconciliation.md 10, 11). Times are
 * seconds since 1970 from the process clock, passed in: nothing here
 * reads the database's now(). Peer addresses are lower case.
 *
 * Every key row carries the digest of spec 5.2 (keys.digest), written by
 * the same statement as its bytes; store_recon_scan reads them all from
 * one snapshot. Writes of one transition go into one transaction
 * (store_begin / store_commit); the per-peer advisory lock serializes
 * the processes that work on one peer.
 */

/* A primary key fingerprint (20 octets for v4, 32 for v6); owner control
 * and reconciliation both use it. */
struct store_fpr {
	uint8_t fpr[32];
	size_t len;
};

enum store_recon_role {
	STORE_RECON_INITIATOR = 1,
	STORE_RECON_RESPONDER = 2,
};

/* Where a session stands; every live state waits for the peer. */
enum store_recon_state {
	STORE_RECON_OFFERED = 1,	/* initiator: OFFER sent */
	STORE_RECON_CELLS_SENT,		/* initiator: CELLS sent */
	STORE_RECON_MORE_SENT,		/* responder: MORE sent */
	STORE_RECON_RESULT_SENT,	/* responder: RESULT sent */
	STORE_RECON_ENDED,		/* see status */
};

enum store_recon_status {
	STORE_RECON_LIVE = 0,
	STORE_RECON_OK,
	STORE_RECON_ABORTED,		/* reason: enum recon_reason */
	STORE_RECON_TIMEOUT,
};

struct store_recon_session {
	char peer[256];			/* lower-case address */
	uint64_t sid;
	int role;			/* enum store_recon_role */
	int state;			/* enum store_recon_state */
	int status;			/* enum store_recon_status */
	int reason;			/* ABORTED: the reason's number */
	uint8_t salt[16];
	uint32_t seq_in;		/* last seq received (0: none) */
	uint32_t seq_out;		/* last seq sent */
	int64_t created;		/* OFFER made or received */
	int64_t ended;			/* 0 while live */
	uint32_t n_self, n_peer;	/* elements in each side's set */
	uint32_t max_cells;		/* initiator: ours; responder: the OFFER's */
	uint32_t held;			/* initiator: cells sent; responder: held */
	uint32_t asked;			/* responder: end of the range asked for */
	uint32_t mores;			/* MOREs in the session */
	uint32_t d_est;			/* responder: its estimate */
	/* Initiator: its snapshot's prefix [0, max_cells); responder: the
	 * cells received, [0, held). Wire form (12 octets a cell). Loaded
	 * and written only when asked for; dropped when the session ends. */
	struct buf cells;
	struct buf out_record;		/* the last control record we made */
	struct buf out_mail;		/* its first mail, until handed over */
	uint8_t out_type;		/* 0: none */
	bool out_pending;		/* committed, not yet handed to the mailer */
	int64_t out_sent;		/* when the last copy was handed (0: never) */
	uint32_t resends;
	/* For the end line (spec 13). */
	uint32_t mails;
	uint64_t bytes;
	uint32_t d, ours, theirs, cells_ok, keys_sent, skipped, unknown;
};

void store_recon_session_init(struct store_recon_session *ss);
void store_recon_session_free(struct store_recon_session *ss);

/* Per peer (both roles). */
struct store_recon_peer {
	int64_t last_start;		/* 0: never */
	int64_t last_end;
	int last_status;		/* enum store_recon_status, LIVE: none yet */
	int last_reason;
	uint32_t last_d;
	uint32_t failures;		/* sessions in a row not ended ok */
	int64_t busy_sent;		/* last ABORT busy to it (0: never) */
};

/* Transactions for a group of the writes below: store_begin,
 * store_commit, store_rollback (declared with owner control's, below). */

/* The peer's session-level advisory lock (held across transactions,
 * released by store_recon_unlock or the connection's end). Blocks. */
enum store_status store_recon_lock(struct store *s, const char *peer);
enum store_status store_recon_unlock(struct store *s, const char *peer);

/* Every key's row id and digest, from one snapshot (binary COPY, memory
 * flat). cb returns non-zero to stop. */
typedef int (*store_digest_cb)(void *arg, int64_t row, const uint8_t digest[32]);
enum store_status store_recon_scan(struct store *s, store_digest_cb cb,
    void *arg);
/* The primary fingerprints of the keys with these row ids, in out[i]
 * (len 0 for a row that is gone). */
enum store_status store_recon_fprs(struct store *s, const int64_t *rows,
    size_t n, struct store_fpr *out);
/* The current keys with these primary fingerprints: cb once per key
 * found, with its digest and, when with_data, its bytes (else data NULL
 * and len the length). Order unspecified. */
typedef int (*store_keyinfo_cb)(void *arg, const struct store_fpr *fpr,
    const uint8_t digest[32], const uint8_t *data, size_t len);
enum store_status store_recon_keyinfo(struct store *s,
    const struct store_fpr *fprs, size_t n, bool with_data,
    store_keyinfo_cb cb, void *arg);

/* Sessions. get: NOTFOUND if none; live: the live session with the peer
 * (any role), NOTFOUND if none. cells: load the cells column too. put:
 * insert or update every column (cells only when cells is true). */
enum store_status store_recon_get(struct store *s, const char *peer,
    uint64_t sid, bool cells, struct store_recon_session *out);
enum store_status store_recon_live(struct store *s, const char *peer,
    bool cells, struct store_recon_session *out);
enum store_status store_recon_put(struct store *s,
    const struct store_recon_session *ss, bool cells);
/* SIDs of the peer's sessions that are live, hold a record not yet
 * handed to the mailer, or keys still to send; in creation order. */
enum store_status store_recon_active(struct store *s, const char *peer,
    uint64_t **sids, size_t *n);

enum store_status store_recon_peer_get(struct store *s, const char *peer,
    struct store_recon_peer *out);
enum store_status store_recon_peer_put(struct store *s, const char *peer,
    const struct store_recon_peer *p);
/* Sessions with the peer created at or after since (both roles), and
 * keys planned or sent to it by sessions since then. */
enum store_status store_recon_counts(struct store *s, const char *peer,
    int64_t since, uint32_t *sessions, uint32_t *keys);

/* The keys a session sends. */
enum store_recon_key_state {
	STORE_RK_WAIT = 0,		/* responder: kept at RESULT, sent on DONE */
	STORE_RK_PENDING,		/* decided, to be mailed */
	STORE_RK_SENT,			/* the mailer accepted it */
	STORE_RK_SKIPPED,		/* futile, over a limit or too large */
};

enum store_status store_recon_keys_add(struct store *s, const char *peer,
    uint64_t sid, const struct store_fpr *fprs, size_t n, int state,
    int64_t now);
/* The session's keys in a state, in fingerprint order (*out malloc'd). */
enum store_status store_recon_keys_get(struct store *s, const char *peer,
    uint64_t sid, int state, struct store_fpr **out, size_t *n);
enum store_status store_recon_keys_set(struct store *s, const char *peer,
    uint64_t sid, const struct store_fpr *fprs, size_t n, int state,
    int64_t now);

/* The futility memo (spec 11.5): for each fpr, the digest last sent to
 * the peer and in how many sessions (0: none). */
enum store_status store_recon_futile_get(struct store *s, const char *peer,
    const struct store_fpr *fprs, size_t n, uint8_t (*digests)[32],
    uint32_t *sessions);
/* Record that digest of fpr went to the peer in one more session. */
enum store_status store_recon_futile_sent(struct store *s, const char *peer,
    const struct store_fpr *fpr, const uint8_t digest[32], int64_t now);
/* Forget sessions ended before ended_before (and their keys) and memo
 * entries not updated since memo_before. */
enum store_status store_recon_expire(struct store *s, int64_t ended_before,
    int64_t memo_before);

typedef int (*store_blob_cb)(void *arg, const uint8_t *data, size_t len);

/* Every stored key, in fingerprint order, from one read-only snapshot,
 * through a server-side cursor (memory stays flat). STORE_OK also when cb
 * stopped it. */
enum store_status store_export(struct store *s, store_blob_cb cb, void *arg);

/* ---- owner control (sql/020-owner.sql, owner-control.md) ------------- */

/*
 * Policy modes (owner-control.md 2). The database records the policy its
 * published copies were built for; `keymail initdb` records or changes
 * it, and the filter and sync refuse to run while it differs from the
 * configured one.
 */
enum store_policy {
	STORE_POLICY_OPEN = 0,
	STORE_POLICY_TRUSTED,
	STORE_POLICY_VERIFIED,
};

/* "open", "trusted", "verified". */
const char *store_policy_name(enum store_policy p);
/* The recorded policy; *recorded is false on a database that records
 * none yet (a fresh one: `keymail initdb` records the configured one). */
enum store_status store_policy_get(struct store *s, bool *recorded,
    enum store_policy *p);
/* Record p (one statement, its own transaction). */
enum store_status store_policy_set(struct store *s, enum store_policy p);

/*
 * What the lookups above (store_get_by_fpr, store_get_by_keyid,
 * store_search_words, store_changed_since, store_get_by_ids,
 * store_uid_for_keyid, store_scan_ids_uids) answer with from now on: the
 * public copies under policy p (owner-control.md 2, 3). OPEN (the default
 * of a new handle): the union of every key whose owner did not HIDE it;
 * TRUSTED: the published copy of every visible key, found by the
 * union's IDs and words, newest published change for store_changed_since
 * and the published copy's primary user ID for store_uid_for_keyid.
 * Keys left out are simply not found, so a TOOMANY count never includes
 * them. store_signers, merges, export and the owner functions below
 * always see the union. cmd_ctx_init sets it from the configuration.
 */
void store_set_view(struct store *s, enum store_policy p);

enum store_owner_state {
	STORE_UNCLAIMED = 0,
	STORE_VISIBLE,
	STORE_HIDDEN,
};

/* The classes of owner-control.md 5.4. */
enum store_class {
	STORE_CLASS_VISIBILITY = 0,	/* SHOW, HIDE */
	STORE_CLASS_CONTENT,		/* REPLACE, ACCEPT, REJECT */
	STORE_CLASS_SETTINGS,		/* NOTIFY */
	STORE_CLASS_FETCH,		/* HELD */
	STORE_NCLASSES
};

/* One key's owner state, as store_owner_begin reads it. */
struct store_owner {
	int64_t key_id;
	bool row;			/* an owner row exists */
	enum store_owner_state state;	/* no row: UNCLAIMED */
	bool claimed;			/* a published copy exists */
	char *notify;			/* NULL: none */
	bool notify_confirmed;
	int64_t last[STORE_NCLASSES];	/* last command per class, epoch
					 * seconds; -1: none */
	uint8_t *data;			/* the union (canonical binary key) */
	size_t len;
	bool revoked;			/* the union's row summary */
	uint8_t *published;		/* NULL: no published copy */
	size_t published_len;
};

void store_owner_free(struct store_owner *o);

/*
 * Start one owner transaction on the key whose primary fingerprint is
 * fpr: BEGIN, the key's advisory lock (the one merges take), then read
 * the union, the owner row and the published copy into o. STORE_NOTFOUND
 * when no such primary key is stored (no transaction is left open).
 * Otherwise the caller ends it with store_owner_commit or
 * store_owner_rollback, and in between may call the functions that take
 * o->key_id. Every change of owner state is thus one transaction under
 * the key's lock: concurrent merges and commands of one key serialize.
 */
enum store_status store_owner_begin(struct store *s, const uint8_t *fpr,
    size_t fprlen, struct store_owner *o);
enum store_status store_owner_commit(struct store *s);
void store_owner_rollback(struct store *s);
/* Ends it by st: commits when st is STORE_OK (and returns how the commit
 * went), otherwise rolls back and returns st. */
enum store_status store_owner_end(struct store *s, enum store_status st);

struct store_fprs {
	struct store_fpr *v;
	size_t n;
};

void store_fprs_free(struct store_fprs *f);
/* The primary fingerprints of every key with an owner row (their number
 * is what owners did, not the store's size). */
enum store_status store_owner_keys(struct store *s, struct store_fprs *out);

/* The union of the key whose primary fingerprint is fpr, whatever the
 * view (the revocation-only copy is made from it). STORE_NOTFOUND: none.
 * out->data is the caller's. */
enum store_status store_get_union(struct store *s, const uint8_t *fpr,
    size_t len, struct store_key *out);

/* Write o's state, claimed flag, notify address and times (upsert). */
enum store_status store_owner_put(struct store *s, const struct store_owner *o);
/* Replace the published copy of key_id (data: canonical binary key;
 * primary_uid printable or NULL; revoked: it carries a key revocation),
 * and mark it changed now (LAST). */
enum store_status store_published_put(struct store *s, int64_t key_id,
    const uint8_t *data, size_t len, const char *primary_uid, bool revoked);
/* Queue key_id for `keymail sync` with this trail (lower-case addr-specs;
 * ntrail 0 for the empty trail), inside the caller's transaction. */
enum store_status store_sync_enqueue(struct store *s, int64_t key_id,
    char *const *trail, size_t ntrail);

/* The suppressed set of key_id (32-octet hashes, sorted by memcmp) in
 * *out (malloc'd, NULL when empty). */
enum store_status store_suppressed_get(struct store *s, int64_t key_id,
    uint8_t (**out)[32], size_t *n);
/* Add nadd hashes to the set, then remove ndel hashes from it. */
enum store_status store_suppressed_change(struct store *s, int64_t key_id,
    const uint8_t (*add)[32], size_t nadd, const uint8_t (*del)[32],
    size_t ndel);
/* The block list of key_id: issuer names (FPR or 0x + 16 hex), caller
 * frees each and the array. */
enum store_status store_blocked_get(struct store *s, int64_t key_id,
    char ***out, size_t *n);
enum store_status store_blocked_add(struct store *s, int64_t key_id,
    const char *issuer);

/* One held item as stored (owner-control.md 7.3). */
struct store_held {
	char issuer[67];
	uint8_t issuer_keyid[8];
	char component[76];
	int64_t created;	/* newest signature's creation time */
	time_t expires;
	uint8_t *data;		/* the fragment (binary key) */
	size_t len;
};

struct store_helds {
	struct store_held *v;
	size_t n;
};

void store_helds_free(struct store_helds *h);

/* Every held item of key_id, by issuer and component. */
enum store_status store_held_list(struct store *s, int64_t key_id,
    struct store_helds *out);
/*
 * Hold one item (newest wins: an item of the same issuer and component
 * with a signature at least as new stays), unless that would pass the
 * caps: max_issuers distinct issuers (an issuer already holding items is
 * not new) or max_size bytes of held data for the key (0: no cap).
 * *refused is set when the caps kept it out. ttl: seconds it is kept.
 */
enum store_status store_held_put(struct store *s, int64_t key_id,
    const char *issuer, const uint8_t keyid[8], const char *component,
    int64_t created, const uint8_t *data, size_t len, time_t now,
    time_t ttl, size_t max_issuers, size_t max_size, bool *refused);
/* Delete the item (issuer, component) of key_id. */
enum store_status store_held_delete(struct store *s, int64_t key_id,
    const char *issuer, const char *component);
/* HELD returned the items of key_id: each expires at the latest
 * after_fetch seconds from now (held_after_fetch_days). */
enum store_status store_held_fetched(struct store *s, int64_t key_id,
    time_t now, time_t after_fetch);

/*
 * Control-block nonces (owner-control.md 5.3): record (fpr, nonce) until
 * expires, in the caller's owner transaction. *fresh is true when it was
 * new; when it was not, *same_mail tells whether it was recorded for the
 * same Message-ID hash (msgid, 32 octets, or NULL) — the MTA delivering
 * one mail again rather than a replay.
 */
enum store_status store_nonce_use(struct store *s, const uint8_t *fpr,
    size_t fprlen, const char *nonce, const uint8_t *msgid, time_t expires,
    bool *fresh, bool *same_mail);

/* ---- tokens and pending requests (owner-control.md 6) ---------------- */

/* A request waiting for CONFIRM. */
struct store_pending {
	int64_t id;
	char kind[24];		/* "challenge", "notify", ... */
	uint8_t fpr[32];	/* the key; fprlen 0: none */
	size_t fprlen;
	int cls;		/* enum store_class, -1: none */
	char *address;		/* address tokens; NULL otherwise */
	char *command;		/* canonical command line */
	uint8_t *body;		/* REPLACE: the submitted key; NULL: none */
	size_t bodylen;
	char *requested_by;
	time_t created, expires;
};

void store_pending_free(struct store_pending *p);

/*
 * Store a new request (hash: SHA-256 of its token) in one transaction
 * (the caller's, if one is open), first superseding the pending requests it replaces: for a challenge
 * (cls >= 0) those of the same key and class; for an address token
 * (address set) those of the same kind, address (case-insensitive) and
 * key. p->id is set.
 */
enum store_status store_pending_add(struct store *s, struct store_pending *p,
    const uint8_t hash[32]);
/*
 * Take the request whose token hashes to hash, inside the caller's open
 * transaction (after store_owner_begin, or store_begin): it must be
 * pending and unexpired at now; it is marked used. STORE_NOTFOUND when no
 * such request is usable (unknown, used, expired or superseded: the
 * caller does not say which).
 */
enum store_status store_pending_take(struct store *s, const uint8_t hash[32],
    time_t now, struct store_pending *out);
/* Look up (without taking) the request of hash, pending and unexpired. */
enum store_status store_pending_peek(struct store *s, const uint8_t hash[32],
    time_t now, struct store_pending *out);
/* A plain transaction for callers that need no key lock. */
enum store_status store_begin(struct store *s);
enum store_status store_commit(struct store *s);
void store_rollback(struct store *s);

/* ---- the mail log (owner-control.md 12) ------------------------------ */

/* A limit on mails of some kinds in a rolling window. */
enum store_mail_scope {
	STORE_MAIL_BY_RECIPIENT,	/* this recipient (case-insensitive) */
	STORE_MAIL_BY_KEY,		/* this key */
	STORE_MAIL_ALL,			/* the whole server */
};

struct store_mail_limit {
	const char *name;		/* the keymail.conf key (for the log) */
	enum store_mail_scope scope;
	const char *const *kinds;	/* NULL-terminated */
	time_t window;			/* seconds */
	size_t max;			/* 0: no limit */
};

/*
 * Count one mail of kind to recipient (about key fpr, fprlen 0: none) at
 * now, if no limit of lims would be passed by it: then it is recorded and
 * *over is -1. Otherwise nothing is recorded and *over is the index of
 * the first limit it would pass. Serialized across processes (one
 * advisory lock), so concurrent filters never both slip in as the last.
 * Its own transaction, or the caller's if one is open (the record then
 * commits with it).
 */
enum store_status store_mail_take(struct store *s, const char *recipient,
    const char *kind, const uint8_t *fpr, size_t fprlen, time_t now,
    const struct store_mail_limit *lims, size_t nlims, int *over);
/* Record one event without checking (failed CONFIRMs are counted so). */
enum store_status store_mail_record(struct store *s, const char *recipient,
    const char *kind, const uint8_t *fpr, size_t fprlen, time_t now);
/* How many events of kind for recipient lie in (now - window, now]. */
enum store_status store_mail_count(struct store *s, const char *recipient,
    const char *kind, time_t now, time_t window, uint64_t *n);

/* ---- held-item digests (owner-control.md 9, 11) ---------------------- */

/* A claimed key with a confirmed notify address and held items that
 * arrived after its last digest. */
struct store_digest {
	int64_t key_id;
	uint8_t fpr[32];
	size_t fprlen;
	char *notify;
	size_t nnew;		/* items that arrived since the last digest */
	char **issuers;		/* their distinct issuers, sorted */
	size_t nissuers;
	time_t deadline;	/* the earliest expiry among them */
	char mark[48];		/* the newest one's arrival (opaque) */
};

struct store_digests {
	struct store_digest *v;
	size_t n;
};

void store_digests_free(struct store_digests *d);
/* At most max keys due a digest, the one waiting longest first. */
enum store_status store_digest_due(struct store *s, size_t max,
    struct store_digests *out);
/* The digest d went out: its items count as reported (up to d->mark). */
enum store_status store_digest_sent(struct store *s, const struct store_digest *d);

/* ---- the hourly batch's purges (owner-control.md 11) ----------------- */

struct store_purge_counts {
	size_t tokens, nonces, held, mail_log;
};

/* Delete expired requests, nonces past their window, expired held
 * items and mail_log rows older than a day, at now. */
enum store_status store_owner_purge(struct store *s, time_t now,
    struct store_purge_counts *c);

/* ---- verified mode (sql/030-verified.sql, owner-control.md 8) --------- */

/* Strings (addresses); the caller frees with store_strings_free. */
struct store_strings {
	char **v;
	size_t n;
};

void store_strings_free(struct store_strings *l);
/* The addresses bound to key_id, by lower(address). */
enum store_status store_binding_list(struct store *s, int64_t key_id,
    struct store_strings *out);
/* The key bound to address (case-insensitive). STORE_NOTFOUND: none. */
enum store_status store_binding_key(struct store *s, const char *address,
    struct store_fpr *out);
/* Bind address to key_id, in the caller's transaction, first taking it
 * off any other key (C21): *moved lists those keys (caller frees). */
enum store_status store_binding_put(struct store *s, int64_t key_id,
    const char *address, struct store_fprs *moved);
/* Remove the address's bindings from every key; *keys lists them. */
enum store_status store_binding_drop_address(struct store *s,
    const char *address, struct store_fprs *keys);
/* Remove every binding of key_id; *n says how many there were. */
enum store_status store_binding_drop_key(struct store *s, int64_t key_id,
    size_t *n);
/* Take the advisory lock of the key fpr (the one store_owner_begin and
 * the merges take) in the caller's open transaction. */
enum store_status store_key_lock(struct store *s, const uint8_t *fpr,
    size_t len);
/* The primary fingerprint of every key stored, in the order stored. */
enum store_status store_all_keys(struct store *s, struct store_fprs *out);
/* Delete the published copies of keys no owner claimed (leaving verified
 * mode, whose copies every key had); *n: how many. */
enum store_status store_published_drop_unclaimed(struct store *s, size_t *n);

/* ---- subscriptions (sql/031-subscription.sql, owner-control.md 10.1) -- */

/* Subscribe address to the key fpr (stored or not) with the digest last
 * sent (NULL: none), replacing the row it had. Caller's transaction, if
 * one is open. */
enum store_status store_subscription_put(struct store *s, const char *address,
    const uint8_t *fpr, size_t fprlen, const uint8_t *digest);
/* Remove address's subscription to fpr (NULL: all of them); *n: how many. */
enum store_status store_subscription_delete(struct store *s,
    const char *address, const uint8_t *fpr, size_t fprlen, size_t *n);
/* How many subscriptions address has (*n), and whether one is to fpr. */
enum store_status store_subscription_count(struct store *s,
    const char *address, const uint8_t *fpr, size_t fprlen, uint64_t *n,
    bool *has);

struct store_subscription {
	char *address;
	uint8_t fpr[32];
	size_t fprlen;
	uint8_t digest[32];	/* last sent (or recorded by CONFIRM) */
	bool has_digest;
};

struct store_subscriptions {
	struct store_subscription *v;
	size_t n;
};

void store_subscriptions_free(struct store_subscriptions *l);
/* Every subscription, by address (case-insensitive) and fingerprint. */
enum store_status store_subscriptions_all(struct store *s,
    struct store_subscriptions *out);
/* The update with this digest reached the mailer. */
enum store_status store_subscription_sent(struct store *s, const char *address,
    const uint8_t *fpr, size_t fprlen, const uint8_t digest[32]);

/* What the public copy of one key is made from (owner-control.md 2). */
struct store_public_inputs {
	uint8_t *data;			/* the union */
	size_t len;
	uint8_t *published;		/* NULL: none */
	size_t published_len;
	bool row;			/* an owner row exists */
	enum store_owner_state state;	/* no row: STORE_UNCLAIMED */
};

/* Read them for the key fpr, whatever the view; STORE_NOTFOUND: not
 * stored. */
enum store_status store_public_inputs(struct store *s, const uint8_t *fpr,
    size_t fprlen, struct store_public_inputs *out);
void store_public_inputs_free(struct store_public_inputs *in);

/* ---- expiry reminders (sql/032-reminder.sql, owner-control.md 10.2) -- */

/* A key with a confirmed notify address, and its union. */
struct store_notify_key {
	int64_t key_id;
	uint8_t *data;
	size_t len;
	char *notify;
};

struct store_notify_keys {
	struct store_notify_key *v;
	size_t n;
};

void store_notify_keys_free(struct store_notify_keys *l);
/* Every key with a confirmed notify address, by key_id. */
enum store_status store_notify_keys(struct store *s,
    struct store_notify_keys *out);
/* mark false: was the reminder about (key_id, due) sent (*sent)? mark
 * true: record that it was. */
enum store_status store_reminder_sent(struct store *s, int64_t key_id,
    int64_t due, bool mark, bool *sent);

#endif
