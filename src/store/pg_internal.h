/*
 * store/pg_internal.h - what the files of store/ share; private to store/.
 *
 * store/ is the key store of store.h on PostgreSQL through libpq, and the
 * only folder whose files include libpq-fe.h (through this header). One
 * file per concern:
 *	pg.c		connection, statements, error mapping, parameters,
 *			binary array parameters, retry pause
 *	schema.c	store_initdb: the migrations of sql/ (schema.h)
 *	merge.c		merging one key; the merge step bulk.c shares
 *	bulk.c		keymail import's batch merge (binary COPY for new
 *			keys) and keymail export
 *	known.c		what is stored of keys, without reading them
 *			(packet names and verified entries, sql/050)
 *	lookup.c	lookups by fingerprint, key ID, words, time, row ids;
 *			signers; user ID for a key ID
 *	scan.c		the MGET scan
 *	syncq.c		the peer sync queue
 *	replies.c	the reply counter (max_replies_per_hour)
 *	owner.c		owner control: the recorded policy, the lookup view,
 *			owner transactions, published copies, suppressed
 *			sets, block lists, control-block nonces
 *	held.c		held items (owner-control.md 7.3)
 *	pending.c	requests waiting for CONFIRM, plain transactions,
 *			the hourly purge
 *	maillog.c	the mail log and its limits (owner-control.md 12)
 *	recon.c		reconciliation: digest scan, sessions, per-peer
 *			rows, session keys, futility memo, per-peer lock
 * A new concern is a new store/NAME.c that includes this header and
 * store.h (the Makefile builds every .c file in store/); its public
 * functions go into store.h, its shared helpers (if any) here.
 *
 * Data model: a key is one row of "keys" holding its canonical binary
 * form, the names of its packets and its verified signatures; "keyids"
 * maps every primary and subkey fingerprint / 64-bit / 32-bit ID to it;
 * "key_words" is the search index; "key_uids" its user IDs for MGET
 * (sql/NNN-*.sql). The side tables carry no foreign keys (sql/052): the
 * merge writes them after the key, in the key's transaction.
 *
 * SECURITY: values reach SQL only as parameters of PQexecParams (pg_qv;
 * key blobs and IDs as binary bytea); the only SQL text we build holds
 * placeholders ($n) and our own integers. The one exception is
 * store_initdb, which runs the embedded migration scripts (ours,
 * multi-statement) with PQexec.
 *
 * MEMORY: allocation failure exits (util/xalloc.h), so there are no NULL
 * checks on our own allocations. Nothing in store/ exits otherwise or
 * logs: functions return a status and keep the text for store_errmsg().
 */
#ifndef KM_STORE_PG_INTERNAL_H
#define KM_STORE_PG_INTERNAL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "util/buf.h"
#include "pgp/pgp.h"
#include "store/store.h"

/* Type OIDs of the parameters we send (pg_type.h is server-side only). */
#define OID_BOOL	16
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_INT4	23
#define OID_TEXT	25
/* Array types of the binary array parameters (struct barr). */
#define OID_BOOL_ARRAY		1000
#define OID_BYTEA_ARRAY		1001
#define OID_INT4_ARRAY		1007
#define OID_TEXT_ARRAY		1009
#define OID_INT8_ARRAY		1016

#define STORE_MERGE_RETRIES	3	/* after a serialization failure/deadlock */
#define STORE_MAX_LIMIT		1000000000u	/* limit+1 must fit an int8 */

/*
 * Advisory locks in the two-int4 key space (28013, n), apart from the
 * int8 space used for fingerprints (pg_fpr_lockkey). A new lock takes
 * the next n.
 */
/* Transaction-level: serializes concurrent `keymail initdb` runs. */
#define STORE_INITDB_LOCK	"SELECT pg_advisory_xact_lock(28013, 1)"
/* Transaction-level: one mail_log count-and-insert at a time. */
#define STORE_MAILLOG_LOCK	"SELECT pg_advisory_xact_lock(28013, 3)"
/* Session-level (not transaction): one `keymail sync` run at a time. */
#define STORE_SYNC_LOCK		"SELECT pg_try_advisory_lock(28013, 2)"
#define STORE_SYNC_UNLOCK	"SELECT pg_advisory_unlock(28013, 2)"
/* Session-level: one per recon peer, (28014, FNV-1a of its lower-case
 * address), held by keymail recon and the filter while they work on that
 * peer (store/recon.c). The whole class 28014 is reconciliation's. */
#define STORE_RECON_LOCK_CLASS	28014

struct store {
	PGconn *conn;		/* NULL after a failed store_open */
	char *err;		/* last error text (owned), NULL: none */
	bool retry;		/* last failure was a serialization failure or
				 * deadlock: the transaction may be retried */
	enum store_policy view;	/* what lookups answer with (store_set_view) */
	struct pgp_vstats vstats;	/* public-key operations of merges
					 * (store_vstats) */
};

/* ---- parameters (pg.c) -------------------------------------------------- */

#define PARAMS_MAX	16

/* Parameters of one statement. Text numbers live in num[]. */
struct params {
	int n;
	const char *val[PARAMS_MAX];
	int len[PARAMS_MAX];
	int fmt[PARAMS_MAX];
	Oid type[PARAMS_MAX];
	char num[PARAMS_MAX][24];
};

static inline void
p_init(struct params *p)
{
	p->n = 0;
}

static inline void
p_add(struct params *p, Oid type, const void *val, size_t len, int fmt)
{
	if (p->n >= PARAMS_MAX)
		abort();	/* our own bug: a statement with too many params */
	p->type[p->n] = type;
	p->val[p->n] = val;
	p->len[p->n] = (int)len;
	p->fmt[p->n] = fmt;
	p->n++;
}

/* Binary bytea: the bytes as they are, no escaping anywhere. */
static inline void
p_bytea(struct params *p, const uint8_t *d, size_t n)
{
	p_add(p, OID_BYTEA, d, n, 1);
}

/* Binary int4 is 4 bytes in network order: exactly a 32-bit short key ID. */
static inline void
p_int4_be(struct params *p, const uint8_t d[4])
{
	p_add(p, OID_INT4, d, 4, 1);
}

static inline void
p_int8(struct params *p, int64_t v)
{
	if (p->n >= PARAMS_MAX)
		abort();
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%" PRId64, v);
	p_add(p, OID_INT8, p->num[p->n], 0, 0);
}

/* Text parameter; s NULL sends SQL NULL. */
static inline void
p_text(struct params *p, const char *s)
{
	p_add(p, OID_TEXT, s, 0, 0);
}

static inline void
p_bool(struct params *p, bool b)
{
	p_add(p, OID_BOOL, b ? "t" : "f", 0, 0);
}

/*
 * A one-dimensional array parameter in PostgreSQL's binary array format
 * (array_recv): a 20-octet header (1 dimension, has-nulls flag, element
 * type, length, lower bound 1) and then each element as a 4-octet length
 * (-1 for NULL) and its octets. The header is written by p_barr once the
 * length is known. Sending whole columns this way makes a batch one
 * statement per table, with no quoting or escaping of key data anywhere.
 */
struct barr {
	struct buf b;
	Oid elem;
	uint32_t n;
	bool nulls;
};

void barr_init(struct barr *a, Oid elem);
void barr_add(struct barr *a, const void *p, size_t len);
void barr_null(struct barr *a);
void barr_int8(struct barr *a, int64_t v);
void barr_int4(struct barr *a, uint32_t v);
void barr_bool(struct barr *a, bool v);
void barr_free(struct barr *a);
/* Finish a's header and add it as a binary parameter of type arrtype. */
void p_barr(struct params *p, Oid arrtype, struct barr *a);

/*
 * A binary COPY ... FROM STDIN (FORMAT binary) in progress: rows are
 * built in b and handed to libpq whenever PG_COPY_FLUSH octets are
 * waiting, so a batch of any size streams through a small buffer. The
 * first failure sticks (st) and ends the COPY at pg_copy_end.
 */
#define PG_COPY_FLUSH	(1u << 20)
struct pg_copy {
	struct store *s;
	const char *what;
	struct buf b;
	enum store_status st;
};
/* Start; sql is the COPY statement. */
enum store_status pg_copy_begin(struct store *s, struct pg_copy *c,
    const char *what, const char *sql);
/* A row of nfields fields, each added by one of the calls below. */
void pg_copy_row(struct pg_copy *c, int nfields);
void pg_copy_bytes(struct pg_copy *c, const void *p, size_t n);	/* bytea, text */
void pg_copy_null(struct pg_copy *c);
void pg_copy_int8(struct pg_copy *c, int64_t v);
void pg_copy_int4(struct pg_copy *c, uint32_t v);
void pg_copy_int2(struct pg_copy *c, uint16_t v);
void pg_copy_bool(struct pg_copy *c, bool v);
/* A timestamptz from seconds since 1970. */
void pg_copy_time(struct pg_copy *c, int64_t unix_seconds);
/* Finish (or, after a failure, abandon) the COPY; its status. */
enum store_status pg_copy_end(struct pg_copy *c);

/* ---- statements and errors (pg.c) --------------------------------------- */

/* Replace s's error text with msg (taken over). */
void pg_set_err(struct store *s, char *msg);
/*
 * Map a failed result (res may be NULL) to a status and remember the text.
 * Transient means: nothing is wrong with the request or the data, so the
 * MTA should retry the whole mail later.
 */
enum store_status pg_classify(struct store *s, const PGresult *res,
    const char *what);
/*
 * Run one statement with n parameters (types/vals/lens/fmts as for
 * PQexecParams). binary: ask for binary results. On success returns
 * STORE_OK and, if resp is not NULL, the result (caller PQclear()s);
 * otherwise the result is cleared here. what names the step in errors.
 */
enum store_status pg_qv(struct store *s, const char *what, const char *sql,
    int n, const Oid *types, const char *const *vals, const int *lens,
    const int *fmts, int binary, PGresult **resp);

/* pg_qv with a struct params (or none: p NULL). */
static inline enum store_status
q(struct store *s, const char *what, const char *sql, const struct params *p,
    int binary, PGresult **resp)
{
	if (p == NULL)
		return pg_qv(s, what, sql, 0, NULL, NULL, NULL, NULL, binary, resp);
	return pg_qv(s, what, sql, p->n, p->type, p->val, p->len, p->fmt,
	    binary, resp);
}

/* Is a transaction open on s (one a caller began)? Functions that are
 * one transaction on their own join it instead. */
static inline bool
pg_in_txn(const struct store *s)
{
	return s->conn != NULL &&
	    PQtransactionStatus(s->conn) == PQTRANS_INTRANS;
}

/* Roll back whatever transaction is open; keeps the first error's text. */
void pg_rollback(struct store *s);
/* A binary int8 column value (0 if it is not 8 octets). */
int64_t pg_get_int8(const PGresult *r, int row, int col);
/* Sleep before retry number attempt of a transaction that failed with a
 * serialization failure or deadlock (s->retry). */
void pg_retry_pause(int attempt);

/* ---- merge (merge.c), shared with bulk.c -------------------------------- */

/* The util/limits.h defaults, for a NULL lim. */
extern const struct pgp_limits pg_default_limits;

/* The stored row a merge starts from (views into a result; found false:
 * the key is not stored, the rest is zero). The merge reads it with
 * PG_ROW_COLUMNS, in that order, after whatever the statement selects
 * first. */
struct pg_row {
	bool found;
	int64_t id;
	const uint8_t *data;		/* the canonical blob */
	size_t len;
	bool revoked;
	bool has_uid;			/* primary_uid is not NULL */
	bool has_names;			/* packets is not NULL (sql/050) */
	const uint8_t *verified;	/* verified entries, PGP_VERIFIED_LEN each */
	size_t nverified;
};
#define PG_ROW_COLUMNS	"id, data, revoked, primary_uid IS NOT NULL," \
	" packets IS NOT NULL, verified"
/* Fill row from columns col.. of row r of res (PG_ROW_COLUMNS, binary). */
void pg_row_read(const PGresult *res, int r, int col, struct pg_row *row);

/* What the in-memory half of a merge produced; pg_merged_free releases. */
struct pg_merged {
	struct pgp_key *key;		/* the merged key */
	bool changed;			/* key brought something new: write the
					 * whole row (blob, uid) */
	bool backfill;			/* nothing new, but the row has no
					 * packet names yet: write only names
					 * and verified */
	struct buf blob;		/* changed: the canonical merged key */
	char *uid;			/* changed: new primary user ID (NULL:
					 * keep the row's) */
	struct buf names;		/* changed or backfill: pgp_key_names */
	struct buf verified;		/* changed or backfill: the verified
					 * entries to keep (sorted) */
};
void pg_merged_init(struct pg_merged *m, const struct pgp_limits *lim);
void pg_merged_free(struct pg_merged *m);

/*
 * The in-memory half of a merge, shared by store_merge_key (one key) and
 * store_merge_keys (keymail import's batches): key merged into the stored
 * row. On STORE_OK, m says what to write (see struct pg_merged); c gets
 * the counts described at store_merge_key. STORE_LIMIT or STORE_ERROR
 * with the reason in s's error text. Whatever the result, the caller
 * frees m (pg_merged_free).
 */
enum store_status pg_merge_compute(struct store *s, const struct pgp_key *key,
    const struct pg_row *row, const struct pgp_limits *lim,
    struct pgp_merge_counts *c, struct pg_merged *m);
/* The key IDs of k's primary key and subkeys, for keyids: appended to
 * a[0] fingerprint (bytea), a[1] key ID (bytea), a[2] short ID (int4),
 * a[3] is_subkey (bool), the primary first. Returns how many. */
size_t pg_keyids(const struct pgp_key *k, struct barr *a);
/* The bodies of the user-ID packets (tag 13) of k, as a bytea[] for
 * key_uids (the merge fills it; sql/051). Returns their number. */
size_t pg_key_uids(const struct pgp_key *k, struct barr *a);
/*
 * The search words of every user ID (tag 13; attributes carry no text) of
 * k, as a PostgreSQL text[] literal: {"w1","w2",...}, sorted and unique.
 * Elements are double-quoted so that a word like "null" stays a string.
 * Returns the number of words.
 */
size_t pg_key_words_literal(const struct pgp_key *k, struct buf *lit);
/* The same words as an array (*out malloc'd, free with words_free). */
size_t pg_key_words(const struct pgp_key *k, char ***out);
/* The advisory lock key (int8 space) of key: its first 8 fingerprint
 * octets. Every writer of a key takes it before reading the key. */
int64_t pg_fpr_lockkey(const struct pgp_key *key);

/* A PostgreSQL text[] literal of the distinct non-empty strings of v
 * (merge.c), for the sync queue's trail. */
void pg_text_array_literal(char *const *v, size_t n, struct buf *lit);
/* SQL fragments (owner.c) that keep a lookup to the keys public under
 * the handle's view: pg_view_filter(s, "k.id") is "" or " AND ..." on
 * the key row id expression given (ours, never input). Caller frees. */
char *pg_view_filter(const struct store *s, const char *idexpr);
/* The table and columns a lookup fetches blobs from under the view:
 * "keys k" or "published k JOIN keys kk ON ..." (static text). */
const char *pg_view_blobs(const struct store *s);

/* ---- sync queue (syncq.c), inside the merge's transaction --------------- */

/*
 * Queue key id for `keymail sync` (sql/002-sync.sql): a new entry with the
 * trail (a text[] literal) as its seen-set, or, if the key is queued
 * already, the intersection of both seen-sets (mail-protocol.md 4.5), no
 * sent marks (the key has new data for everyone) and the next generation.
 */
enum store_status pg_sync_enqueue(struct store *s, int64_t id,
    const char *seen_lit);

/* The fingerprints of a one-column binary bytea result (lengths 1-32
 * kept) into out, malloc'd (store/binding.c). */
void pg_fprs_of(const PGresult *res, struct store_fprs *out);

#endif
