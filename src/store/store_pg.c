/*
 * store/store_pg.c - the key store (store.h) on PostgreSQL through libpq.
 *
 * DESCRIPTION
 *	The only file that includes libpq-fe.h. Schema: sql/NNN-*.sql,
 *	compiled in as store_migrations[] (schema.h). A key is one row of
 *	"keys" holding its canonical binary form; "keyids" maps every primary
 *	and subkey fingerprint / 64-bit / 32-bit ID to it; "key_words" is the
 *	search index. Lookups first collect at most limit+1 distinct key ids
 *	from those side tables (index scans only), then fetch the blobs of at
 *	most limit keys by primary key, so a TOOMANY answer never transfers
 *	key data and nothing scans "keys".
 *
 * DIAGNOSTICS
 *	Every PGresult is checked and mapped (store_classify): lost or refused
 *	connections, admin/crash shutdown, "cannot connect now", insufficient
 *	resources, statement/lock timeouts, serialization failures and
 *	deadlocks are STORE_TEMPFAIL (the MTA retries the mail); a missing
 *	table or column is STORE_ERROR with a hint to run `keymail initdb`;
 *	anything else is STORE_ERROR. The text is kept for store_errmsg().
 *	Nothing here exits or logs: the caller decides.
 *
 * SECURITY
 *	Key data comes from mail: it is untrusted, but the caller has parsed
 *	and checked it (pgp_key_check) before store_merge_key sees it. Values
 *	reach SQL only as parameters of PQexecParams (key blobs and IDs as
 *	binary bytea); the only SQL text we build holds placeholders ($n) and
 *	our own integers. The one exception is store_initdb, which runs the
 *	embedded migration scripts (ours, multi-statement) with PQexec.
 *
 * MEMORY
 *	struct store owns its connection and last error text. Lookup results
 *	(struct store_keys) and store_uid_for_keyid's string belong to the
 *	caller. Allocation failure exits (util/xalloc.h), so there are no NULL
 *	checks on our own allocations.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "util/buf.h"
#include "util/limits.h"
#include "util/words.h"
#include "util/xalloc.h"
#include "pgp/pgp.h"
#include "store/schema.h"
#include "store/store.h"

/* Type OIDs of the parameters we send (pg_type.h is server-side only). */
#define OID_BOOL	16
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_INT4	23
#define OID_TEXT	25

#define STORE_CONNECT_TIMEOUT	"10"	/* seconds, if conninfo has none */
#define STORE_MERGE_RETRIES	3	/* after a serialization failure/deadlock */
#define STORE_MAX_SEARCH_WORDS	100	/* > KM_MAX_SEARCH / 3: never hit by a
					 * bounded INDEX argument */
#define STORE_MAX_LIMIT		1000000000u	/* limit+1 must fit an int8 */
#define STORE_MAX_TRAIL		1000	/* X-KeyServer-Sent entries kept per
					 * queued key (mail_parse's max_headers
					 * bounds them first) */
#define STORE_SCAN_BATCH	1000	/* rows per FETCH of an MGET scan */

/* Advisory lock (two-int4 key space, apart from the int8 space used for
 * fingerprints) that serializes concurrent `keymail initdb` runs. */
#define STORE_INITDB_LOCK	"SELECT pg_advisory_xact_lock(28013, 1)"

struct store {
	PGconn *conn;		/* NULL after a failed store_open */
	char *err;		/* last error text (owned), NULL: none */
	bool retry;		/* last failure was a serialization failure or
				 * deadlock: the transaction may be retried */
};

/* ---- parameters --------------------------------------------------------- */

#define PARAMS_MAX	12

/* Parameters of one statement. Text numbers live in num[]. */
struct params {
	int n;
	const char *val[PARAMS_MAX];
	int len[PARAMS_MAX];
	int fmt[PARAMS_MAX];
	Oid type[PARAMS_MAX];
	char num[PARAMS_MAX][24];
};

static void
p_init(struct params *p)
{
	p->n = 0;
}

static void
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
static void
p_bytea(struct params *p, const uint8_t *d, size_t n)
{
	p_add(p, OID_BYTEA, d, n, 1);
}

/* Binary int4 is 4 bytes in network order: exactly a 32-bit short key ID. */
static void
p_int4_be(struct params *p, const uint8_t d[4])
{
	p_add(p, OID_INT4, d, 4, 1);
}

static void
p_int8(struct params *p, int64_t v)
{
	if (p->n >= PARAMS_MAX)
		abort();
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%" PRId64, v);
	p_add(p, OID_INT8, p->num[p->n], 0, 0);
}

/* Text parameter; s NULL sends SQL NULL. */
static void
p_text(struct params *p, const char *s)
{
	p_add(p, OID_TEXT, s, 0, 0);
}

static void
p_bool(struct params *p, bool b)
{
	p_add(p, OID_BOOL, b ? "t" : "f", 0, 0);
}

/* ---- errors ------------------------------------------------------------- */

static void
set_err(struct store *s, char *msg)
{
	free(s->err);
	s->err = msg;
}

/* libpq messages end in a newline and may span lines; keep one line. */
static char *
one_line(const char *what, const char *msg)
{
	char *r = xasprintf("%s: %s", what, msg && *msg ? msg : "unknown error");
	char *p;

	for (p = r; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	while (p > r && p[-1] == ' ')
		*--p = '\0';
	return r;
}

/*
 * Map a failed result (res may be NULL) to a status and remember the text.
 * Transient means: nothing is wrong with the request or the data, so the
 * MTA should retry the whole mail later.
 */
static enum store_status
store_classify(struct store *s, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : NULL;

	s->retry = false;
	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(s->conn);
	/* Client-side failures (no SQLSTATE) with a dead connection, and a
	 * NULL result (libpq out of memory, could not send): transient. */
	if (PQstatus(s->conn) == CONNECTION_BAD || res == NULL) {
		set_err(s, one_line(what, msg));
		return STORE_TEMPFAIL;
	}
	if (state == NULL) {
		set_err(s, one_line(what, msg));
		return STORE_ERROR;
	}
	if (!strcmp(state, "40001") || !strcmp(state, "40P01")) {
		/* serialization failure / deadlock detected */
		s->retry = true;
		set_err(s, one_line(what, msg));
		return STORE_TEMPFAIL;
	}
	if (!strncmp(state, "08", 2) ||		/* connection exception */
	    !strncmp(state, "53", 2) ||		/* insufficient resources (disk full, ...) */
	    !strcmp(state, "57P01") ||		/* admin shutdown */
	    !strcmp(state, "57P02") ||		/* crash shutdown */
	    !strcmp(state, "57P03") ||		/* cannot connect now (starting up) */
	    !strcmp(state, "57014") ||		/* query canceled (statement_timeout) */
	    !strcmp(state, "55P03")) {		/* lock not available (lock_timeout) */
		set_err(s, one_line(what, msg));
		return STORE_TEMPFAIL;
	}
	if (!strcmp(state, "42P01") || !strcmp(state, "42703")) {
		/* undefined table / column: schema missing or older than us */
		char *m = one_line(what, msg);

		set_err(s, xasprintf("%s (database schema missing or out of "
		    "date: run `keymail initdb`)", m));
		free(m);
		return STORE_ERROR;
	}
	set_err(s, one_line(what, msg));
	return STORE_ERROR;
}

/* Discard server notices ("relation already exists, skipping"): libpq
 * would print them on stderr, which belongs to the mail filter. */
static void
quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* ---- statements --------------------------------------------------------- */

/*
 * Run one statement with n parameters (types/vals/lens/fmts as for
 * PQexecParams). binary: ask for binary results. On success returns
 * STORE_OK and, if resp is not NULL, the result (caller PQclear()s);
 * otherwise the result is cleared here.
 */
static enum store_status
qv(struct store *s, const char *what, const char *sql, int n,
    const Oid *types, const char *const *vals, const int *lens,
    const int *fmts, int binary, PGresult **resp)
{
	PGresult *res;
	ExecStatusType rs;
	enum store_status st;

	if (resp)
		*resp = NULL;
	s->retry = false;
	if (s->conn == NULL) {
		if (s->err == NULL)
			set_err(s, xstrdup("not connected to the database"));
		return STORE_TEMPFAIL;
	}
	res = PQexecParams(s->conn, sql, n, types, vals, lens, fmts, binary);
	rs = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (res && (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)) {
		if (resp)
			*resp = res;
		else
			PQclear(res);
		return STORE_OK;
	}
	st = store_classify(s, res, what);
	PQclear(res);
	return st;
}

/* qv with a struct params (or none: p NULL). */
static enum store_status
q(struct store *s, const char *what, const char *sql, const struct params *p,
    int binary, PGresult **resp)
{
	if (p == NULL)
		return qv(s, what, sql, 0, NULL, NULL, NULL, NULL, binary, resp);
	return qv(s, what, sql, p->n, p->type, p->val, p->len, p->fmt,
	    binary, resp);
}

/* Roll back whatever transaction is open; keeps the first error's text. */
static void
rollback(struct store *s)
{
	PGresult *res;

	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		return;
	switch (PQtransactionStatus(s->conn)) {
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
		res = PQexec(s->conn, "ROLLBACK");
		PQclear(res);
		break;
	default:
		break;
	}
}

static int64_t
get_int8(const PGresult *r, int row, int col)
{
	const uint8_t *d = (const uint8_t *)PQgetvalue(r, row, col);
	uint64_t v = 0;
	int i;

	if (PQgetlength(r, row, col) != 8)
		return 0;
	for (i = 0; i < 8; i++)
		v = v << 8 | d[i];
	return (int64_t)v;
}

/* ---- open / close ------------------------------------------------------- */

const char *
store_strerror(enum store_status st)
{
	switch (st) {
	case STORE_OK:		return "ok";
	case STORE_NOTFOUND:	return "not found";
	case STORE_TOOMANY:	return "too many results";
	case STORE_TEMPFAIL:	return "database temporarily unavailable";
	case STORE_ERROR:	return "database error";
	case STORE_LIMIT:	return "merged key would exceed a size limit";
	}
	return "unknown store status";
}

enum store_status
store_open(const char *conninfo, struct store **out)
{
	struct store *s = xcalloc(1, sizeof(*s));
	PQconninfoOption *opts, *o;
	const char **kw, **val;
	char *perr = NULL;
	bool has_timeout = false, has_fallback = false;
	size_t n = 0, nopts = 0;

	*out = s;
	opts = PQconninfoParse(conninfo ? conninfo : "", &perr);
	if (opts == NULL) {
		set_err(s, one_line("bad database connection string",
		    perr ? perr : "out of memory"));
		PQfreemem(perr);
		return STORE_ERROR;
	}
	for (o = opts; o->keyword; o++)
		nopts++;
	kw = xcalloc(nopts + 4, sizeof(*kw));
	val = xcalloc(nopts + 4, sizeof(*val));
	for (o = opts; o->keyword; o++) {
		if (o->val == NULL || !strcmp(o->keyword, "client_encoding"))
			continue;
		if (!strcmp(o->keyword, "connect_timeout"))
			has_timeout = true;
		if (!strcmp(o->keyword, "fallback_application_name"))
			has_fallback = true;
		kw[n] = o->keyword;
		val[n++] = o->val;
	}
	/* Without a timeout libpq waits for TCP's (minutes) on a dead host,
	 * and the MTA's own timeout would kill us without a clean TEMPFAIL. */
	if (!has_timeout) {
		kw[n] = "connect_timeout";
		val[n++] = STORE_CONNECT_TIMEOUT;
	}
	/* Text columns hold UTF-8 (pgp_uid_printable output): say so, so the
	 * server never transcodes or rejects it. */
	kw[n] = "client_encoding";
	val[n++] = "UTF8";
	/* application_name=keymail unless the conninfo names one. */
	if (!has_fallback) {
		kw[n] = "fallback_application_name";
		val[n++] = "keymail";
	}
	kw[n] = NULL;
	val[n] = NULL;
	s->conn = PQconnectdbParams(kw, val, 0);
	free(kw);
	free(val);
	PQconninfoFree(opts);
	if (s->conn == NULL) {
		set_err(s, xstrdup("cannot connect to the database: out of memory"));
		return STORE_TEMPFAIL;
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		set_err(s, one_line("cannot connect to the database",
		    PQerrorMessage(s->conn)));
		PQfinish(s->conn);
		s->conn = NULL;
		return STORE_TEMPFAIL;
	}
	(void)PQsetNoticeProcessor(s->conn, quiet_notices, NULL);
	return STORE_OK;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->conn)
		PQfinish(s->conn);
	free(s->err);
	free(s);
}

const char *
store_errmsg(const struct store *s)
{
	if (s == NULL)
		return "no database handle";
	return s->err ? s->err : "no error";
}

bool
store_connected(const struct store *s)
{
	return s != NULL && s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK;
}

/* ---- initdb ------------------------------------------------------------- */

/* Apply migration m unless schema_version says it was; one transaction. */
static enum store_status
apply_migration(struct store *s, const struct store_migration *m)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	bool done;
	char *what = xasprintf("initdb %s", m->name);

	if ((st = q(s, what, "BEGIN", NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, what, STORE_INITDB_LOCK, NULL, 0, NULL)) != STORE_OK)
		goto out;
	p_init(&p);
	p_int8(&p, m->version);
	if ((st = q(s, what, "SELECT 1 FROM schema_version WHERE version = $1",
	    &p, 0, &res)) != STORE_OK)
		goto out;
	done = PQntuples(res) > 0;
	PQclear(res);
	if (!done) {
		/* Several statements in one string: only PQexec takes that,
		 * and the text is ours (compiled in), not input. */
		res = PQexec(s->conn, m->sql);
		if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK)) {
			st = store_classify(s, res, what);
			PQclear(res);
			goto out;
		}
		PQclear(res);
		p_text(&p, m->name);
		if ((st = q(s, what, "INSERT INTO schema_version (version, name) "
		    "VALUES ($1, $2)", &p, 0, NULL)) != STORE_OK)
			goto out;
	}
	st = q(s, what, "COMMIT", NULL, 0, NULL);
out:
	if (st != STORE_OK)
		rollback(s);
	free(what);
	return st;
}

enum store_status
store_initdb(struct store *s)
{
	enum store_status st;
	PGresult *res;
	bool exists;
	size_t i;

	/*
	 * schema_version itself is created here, not in a migration, since
	 * it records them. Look before creating: CREATE ... IF NOT EXISTS
	 * still needs CREATE privilege, which a role that may only read and
	 * write keys (re-running initdb harmlessly) lacks.
	 */
	if ((st = q(s, "initdb", "BEGIN", NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, "initdb", STORE_INITDB_LOCK, NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, "initdb", "SELECT to_regclass('schema_version') IS NOT NULL",
	    NULL, 0, &res)) != STORE_OK)
		goto fail;
	exists = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	if (!exists && (st = q(s, "initdb",
	    "CREATE TABLE schema_version ("
	    " version integer PRIMARY KEY,"
	    " name text NOT NULL,"
	    " applied timestamptz NOT NULL DEFAULT now())",
	    NULL, 0, NULL)) != STORE_OK)
		goto fail;
	if ((st = q(s, "initdb", "COMMIT", NULL, 0, NULL)) != STORE_OK)
		goto fail;
	/* Each migration in its own transaction: a failure leaves the
	 * earlier ones applied and recorded, and a re-run resumes. */
	for (i = 0; i < store_nmigrations; i++)
		if ((st = apply_migration(s, &store_migrations[i])) != STORE_OK)
			return st;
	return STORE_OK;
fail:
	rollback(s);
	return st;
}

/* ---- merge -------------------------------------------------------------- */

static const struct pgp_limits default_limits = {
	KM_MAX_KEY_SIZE, KM_MAX_PACKETS_PER_KEY, KM_MAX_UID_LENGTH,
	KM_MAX_SIGS_PER_UID
};

static bool
counts_zero(const struct pgp_merge_counts *c)
{
	return c->new_keys == 0 && c->new_uids == 0 && c->new_subkeys == 0 &&
	    c->new_sigs == 0 && c->new_revocations == 0;
}

static size_t
count_packets(const struct pgp_key *k)
{
	size_t n = 1 + k->nsigs, i;

	for (i = 0; i < k->nuids; i++)
		n += 1 + k->uids[i].nsigs;
	for (i = 0; i < k->nsubkeys; i++)
		n += 1 + k->subkeys[i].nsigs;
	return n;
}

/*
 * A key holding only key's primary packet: merging key into it yields a
 * private, mutable, deduplicated copy (key is const, and
 * pgp_key_canonicalize sorts in place), so a new key and a stored one take
 * the same path to the blob.
 */
static struct pgp_key *
key_stub(const struct pgp_key *key)
{
	struct pgp_key *k = xcalloc(1, sizeof(*k));

	k->pkt.tag = key->pkt.tag;
	k->pkt.body = xmemdup(key->pkt.body, key->pkt.len);
	k->pkt.len = key->pkt.len;
	k->pub = key->pub;
	k->primary_uid = -1;
	return k;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Only words made by words_split ([a-z0-9]) may go into an array literal;
 * anything else is skipped rather than trusted. */
static bool
plain_word(const char *w)
{
	for (; *w; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= '0' && *w <= '9')))
			return false;
	return true;
}

/*
 * The search words of every user ID (tag 13; attributes carry no text) of
 * k, as a PostgreSQL text[] literal: {"w1","w2",...}, sorted and unique.
 * Elements are double-quoted so that a word like "null" stays a string.
 * Returns the number of words.
 */
static size_t
key_words_literal(const struct pgp_key *k, struct buf *lit)
{
	char **all = NULL;
	size_t nall = 0, i, j, n = 0;

	for (i = 0; i < k->nuids; i++) {
		const struct pgp_component *u = &k->uids[i];
		char **w;
		size_t nw;

		if (u->pkt.tag != PGP_TAG_UID)
			continue;
		w = words_split((const char *)u->pkt.body, u->pkt.len, &nw);
		all = xreallocarray(all, nall + nw + 1, sizeof(*all));
		for (j = 0; j < nw; j++)
			all[nall++] = w[j];
		free(w);	/* the strings moved to all[] */
	}
	if (nall > 1)
		qsort(all, nall, sizeof(*all), cmp_str);
	(void)buf_putc(lit, '{');
	for (i = 0; i < nall; i++) {
		if ((i > 0 && !strcmp(all[i], all[i - 1])) || !plain_word(all[i]))
			continue;
		(void)buf_printf(lit, "%s\"%s\"", n ? "," : "", all[i]);
		n++;
	}
	(void)buf_putc(lit, '}');
	words_free(all, nall);
	return n;
}

/* Printable primary user ID for the keys row; NULL: none known. */
static char *
summary_uid(const struct pgp_key *key, const struct pgp_key *merged,
    bool row_has_uid)
{
	size_t i;

	/* pgp_key_check chose it among the key's valid user IDs. */
	if (key->primary_uid >= 0 && (size_t)key->primary_uid < key->nuids &&
	    key->uids[key->primary_uid].pkt.tag == PGP_TAG_UID)
		return pgp_uid_printable(key->uids[key->primary_uid].pkt.body,
		    key->uids[key->primary_uid].pkt.len);
	/* Unchecked key: keep what the row says, else the first user ID. */
	if (row_has_uid)
		return NULL;
	for (i = 0; i < merged->nuids; i++)
		if (merged->uids[i].pkt.tag == PGP_TAG_UID)
			return pgp_uid_printable(merged->uids[i].pkt.body,
			    merged->uids[i].pkt.len);
	return NULL;
}

static enum store_status
put_keyid(struct store *s, int64_t id, const struct pgp_pubkey *pub,
    bool is_subkey)
{
	struct params p;

	if (pub->fprlen == 0 || pub->fprlen > sizeof(pub->fpr))
		return STORE_OK;	/* unparsed (unknown-version) subkey */
	p_init(&p);
	p_int8(&p, id);
	p_bytea(&p, pub->fpr, pub->fprlen);
	p_bytea(&p, pub->keyid, 8);
	p_int4_be(&p, pub->keyid + 4);
	p_bool(&p, is_subkey);
	return q(s, "merge: key IDs",
	    "INSERT INTO keyids (key_id, fingerprint, keyid, short_id, is_subkey)"
	    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", &p, 0, NULL);
}

/*
 * A PostgreSQL text[] literal of the distinct non-empty strings in v
 * (at most STORE_MAX_TRAIL of them): {"a","b"}, each element quoted, with
 * '"' and '\\' escaped, so any text survives. The strings are lower-case
 * addr-specs from the mail layer; they are untrusted, but the literal
 * only ever travels as a parameter.
 */
static void
text_array_literal(char *const *v, size_t n, struct buf *lit)
{
	size_t i, j, kept = 0;
	const char *c;

	(void)buf_putc(lit, '{');
	for (i = 0; i < n && kept < STORE_MAX_TRAIL; i++) {
		if (v[i] == NULL || *v[i] == '\0')
			continue;
		for (j = 0; j < i; j++)
			if (v[j] != NULL && !strcmp(v[j], v[i]))
				break;
		if (j < i)
			continue;
		(void)buf_puts(lit, kept++ ? ",\"" : "\"");
		for (c = v[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				(void)buf_putc(lit, '\\');
			(void)buf_putc(lit, *c);
		}
		(void)buf_putc(lit, '"');
	}
	(void)buf_putc(lit, '}');
}

/*
 * Queue key id for `keymail sync` (sql/002-sync.sql): a new entry with the
 * trail as its seen-set, or, if the key is queued already, the
 * intersection of both seen-sets (mail-protocol.md 4.5), no sent marks
 * (the key has new data for everyone) and the next generation.
 */
static enum store_status
sync_enqueue(struct store *s, int64_t id, const char *seen_lit)
{
	struct params p;

	p_init(&p);
	p_int8(&p, id);
	p_text(&p, seen_lit);
	return q(s, "merge: sync queue", "INSERT INTO sync_queue (key_id, seen)"
	    " VALUES ($1, $2::text[]) ON CONFLICT (key_id) DO UPDATE SET"
	    " seen = ARRAY(SELECT x FROM unnest(sync_queue.seen) AS x"
	    " WHERE x = ANY (EXCLUDED.seen)), sent = '{}',"
	    " gen = sync_queue.gen + 1, queued = now()", &p, 0, NULL);
}

/*
 * The in-memory half of a merge, shared by merge_once (one key) and
 * bulk_once (keymail import's batches): key merged into the stored blob
 * (stored NULL: the key is not stored yet). On STORE_OK, *changed says
 * whether key brought anything new; if it did, blob holds the canonical
 * merged key and *uidp the row's new primary user ID (NULL: keep the
 * row's). c gets the counts described at store_merge_key. STORE_LIMIT or
 * STORE_ERROR with the reason in s's error text. Whatever the result, the
 * caller frees *mergedp (the merged key) and *uidp.
 */
/*
 * Certificate flooding (CVE-2019-13050): a user ID with more than
 * max_sigs_per_uid third-party signatures keeps the ones the rule of
 * pgp/merge.c pgp_key_cap_certs ranks first. The rule prefers signatures
 * verified with their issuer's key, so those keys are looked up in the
 * store first (one query, in the merge's transaction). Only crowded user
 * IDs cost anything. When something was left out of a key that was
 * stored already, the counts are taken again as what the capped key
 * adds to the stored one: a better-ranked new signature that pushes out
 * a stored one is news, a new one that is pushed out is not.
 */
static enum store_status
cap_certs(struct store *s, struct pgp_key *merged, const uint8_t *stored,
    size_t storedlen, const struct pgp_limits *lim, struct pgp_merge_counts *c)
{
	struct store_keys signers;
	struct pgp_blob *b;
	struct pgp_key *old;
	enum pgp_status pst;
	enum store_status st;
	uint8_t *ids;
	size_t nids, i, dropped;

	/* (no issuer to look up when no user ID is crowded; a crowded one
	 * may also hold only issuer-less signatures) */
	nids = pgp_key_cert_issuers(merged, lim->max_sigs_per_uid, &ids);
	if (nids > 0) {
		/* several stored keys may share a key ID: some room */
		st = store_signers(s, ids, nids, 2 * nids, &signers);
		free(ids);
		if (st != STORE_OK)
			return st;
		b = xcalloc(signers.n ? signers.n : 1, sizeof(*b));
		for (i = 0; i < signers.n; i++) {
			b[i].data = signers.v[i].data;
			b[i].len = signers.v[i].len;
		}
		(void)pgp_key_check_certs(merged, lim->max_sigs_per_uid, b,
		    signers.n, time(NULL));
		free(b);
		store_keys_free(&signers);
	}
	dropped = pgp_key_cap_certs(merged, lim->max_sigs_per_uid);
	if (dropped != 0 && stored != NULL) {
		old = pgp_key_parse_one(stored, storedlen, lim, &pst);
		if (old == NULL) {
			set_err(s, xasprintf("merge: stored key does not parse: "
			    "%s", pgp_strerror(pst)));
			return STORE_ERROR;
		}
		memset(c, 0, sizeof(*c));
		(void)pgp_key_merge(old, merged, c);
		pgp_key_free(old);
	}
	c->capped_sigs += (unsigned)dropped;
	return STORE_OK;
}

static enum store_status
merge_compute(struct store *s, const struct pgp_key *key,
    const uint8_t *stored, size_t storedlen, bool row_has_uid,
    const struct pgp_limits *lim, struct pgp_merge_counts *c,
    struct pgp_key **mergedp, struct buf *blob, char **uidp, bool *changed)
{
	struct pgp_merge_counts scratch;
	struct pgp_key *merged;
	enum pgp_status pst;
	enum store_status st;
	bool found = stored != NULL;
	size_t npkt;

	*mergedp = NULL;
	*uidp = NULL;
	*changed = false;
	memset(c, 0, sizeof(*c));
	memset(&scratch, 0, sizeof(scratch));
	if (found) {
		merged = pgp_key_parse_one(stored, storedlen, lim, &pst);
		if (merged == NULL) {
			char hex[65];

			pgp_hex(key->pub.fpr, key->pub.fprlen, hex);
			set_err(s, xasprintf("merge: stored key %s does not "
			    "parse: %s", hex, pgp_strerror(pst)));
			return pst == PGP_ERR_LIMIT ? STORE_LIMIT : STORE_ERROR;
		}
	} else {
		merged = key_stub(key);
	}
	*mergedp = merged;

	/* A new key is counted whole below (pgp_key_count), not here. */
	if (pgp_key_merge(merged, key, found ? c : &scratch) < 0) {
		set_err(s, xstrdup("merge: primary key packets differ for the "
		    "same fingerprint"));
		return STORE_ERROR;
	}
	if (lim->max_sigs_per_uid != 0 && (!found || !counts_zero(c)) &&
	    (st = cap_certs(s, merged, stored, storedlen, lim, c)) != STORE_OK)
		return st;
	if (found && counts_zero(c))
		return STORE_OK;

	/* Flooding defence: refuse to grow a key past what we would accept
	 * (and could parse back) in one piece. Zero means no limit. */
	npkt = count_packets(merged);
	if (lim->max_packets_per_key != 0 && npkt > lim->max_packets_per_key) {
		set_err(s, xasprintf("merge: merged key would have %zu packets "
		    "(max_packets_per_key %zu)", npkt, lim->max_packets_per_key));
		return STORE_LIMIT;
	}
	pgp_key_canonicalize(merged);
	if (!found)
		pgp_key_count(merged, c);	/* sets new_keys = 1 */
	if (pgp_key_write(merged, blob) < 0) {
		set_err(s, xasprintf("merge: merged key would exceed "
		    "max_key_size (%zu bytes)", lim->max_key_size));
		return STORE_LIMIT;
	}
	*uidp = summary_uid(key, merged, row_has_uid);
	*changed = true;
	return STORE_OK;
}

/*
 * One attempt at the merge transaction. On failure the caller rolls back.
 *
 * Isolation and locking: READ COMMITTED plus a transaction-scoped advisory
 * lock on the fingerprint, taken before the key is read. Every writer of a
 * key takes the same lock, so merges of one key run one after another, and
 * each statement of the second sees what the first committed (READ
 * COMMITTED takes a fresh snapshot per statement): no lost update, without
 * SERIALIZABLE's whole-transaction retries. Different keys do not block
 * each other (two fingerprints sharing their first 8 bytes merely wait).
 */
static enum store_status
merge_once(struct store *s, const struct pgp_key *key,
    const struct pgp_limits *lim, struct pgp_merge_counts *c,
    const char *seen_lit)
{
	struct pgp_key *merged = NULL;
	struct params p;
	PGresult *res = NULL;
	enum store_status st;
	struct buf blob, lit;
	bool found, row_revoked = false, row_has_uid = false, changed;
	int64_t id = 0, lockkey = 0;
	char *uid = NULL;
	size_t i;

	buf_init(&blob, lim->max_key_size);
	buf_init(&lit, 0);
	memset(c, 0, sizeof(*c));
	for (i = 0; i < 8 && i < key->pub.fprlen; i++)
		lockkey = (int64_t)((uint64_t)lockkey << 8 | key->pub.fpr[i]);

	if ((st = q(s, "merge: begin",
	    "BEGIN ISOLATION LEVEL READ COMMITTED", NULL, 0, NULL)) != STORE_OK)
		goto out;
	p_init(&p);
	p_int8(&p, lockkey);
	if ((st = q(s, "merge: lock", "SELECT pg_advisory_xact_lock($1)",
	    &p, 0, NULL)) != STORE_OK)
		goto out;
	p_init(&p);
	p_bytea(&p, key->pub.fpr, key->pub.fprlen);
	if ((st = q(s, "merge: read", "SELECT id, data, revoked,"
	    " primary_uid IS NOT NULL FROM keys WHERE fingerprint = $1",
	    &p, 1, &res)) != STORE_OK)
		goto out;
	found = PQntuples(res) > 0;
	if (found) {
		id = get_int8(res, 0, 0);
		row_revoked = *PQgetvalue(res, 0, 2) != 0;
		row_has_uid = *PQgetvalue(res, 0, 3) != 0;
	}
	st = merge_compute(s, key, found ? (const uint8_t *)PQgetvalue(res, 0, 1) :
	    NULL, found ? (size_t)PQgetlength(res, 0, 1) : 0, row_has_uid, lim, c,
	    &merged, &blob, &uid, &changed);
	PQclear(res);
	res = NULL;
	if (st != STORE_OK)
		goto out;
	if (!changed) {
		/* Nothing new: no write, "changed" stays as it was. */
		st = q(s, "merge: commit", "COMMIT", NULL, 0, NULL);
		goto out;
	}

	/* Row summary. revoked only ever turns on: the stored row may have
	 * seen a revocation this upload lacks. expires and the primary user
	 * ID follow the key pgp_key_check just examined (see store.h). */
	p_init(&p);
	if (found) {
		p_int8(&p, id);
		p_bool(&p, key->revoked || row_revoked);
		if (key->expires)
			p_int8(&p, (int64_t)key->expires);
		else
			p_text(&p, NULL);
		p_text(&p, uid);
		p_bytea(&p, blob.data, blob.len);
		/* clock_timestamp(), not now(): closer to the commit, so a
		 * reader polling "changed since" misses less of us. */
		st = q(s, "merge: update", "UPDATE keys SET revoked = $2,"
		    " expires = to_timestamp($3::int8),"
		    " primary_uid = COALESCE($4, primary_uid),"
		    " data = $5, changed = clock_timestamp() WHERE id = $1",
		    &p, 0, NULL);
	} else {
		p_bytea(&p, key->pub.fpr, key->pub.fprlen);
		p_int8(&p, key->pub.version);
		p_int8(&p, key->pub.algo);
		p_int8(&p, key->pub.bits);
		p_bytea(&p, key->pub.keyid, 8);
		p_int8(&p, key->pub.created);
		p_bool(&p, key->revoked);
		if (key->expires)
			p_int8(&p, (int64_t)key->expires);
		else
			p_text(&p, NULL);
		p_text(&p, uid);
		p_bytea(&p, blob.data, blob.len);
		st = q(s, "merge: insert", "INSERT INTO keys (fingerprint,"
		    " version, algo, bits, keyid, created, revoked, expires,"
		    " primary_uid, data, first_seen, changed) VALUES ($1,"
		    " $2, $3, $4, $5, to_timestamp($6::int8), $7,"
		    " to_timestamp($8::int8), $9, $10, clock_timestamp(),"
		    " clock_timestamp()) RETURNING id", &p, 1, &res);
		if (st == STORE_OK) {
			id = get_int8(res, 0, 0);
			PQclear(res);
			res = NULL;
		}
	}
	if (st != STORE_OK)
		goto out;

	/* Side tables: merges only add, so add what is missing. */
	if ((st = put_keyid(s, id, &merged->pub, false)) != STORE_OK)
		goto out;
	for (i = 0; i < merged->nsubkeys; i++)
		if ((st = put_keyid(s, id, &merged->subkeys[i].sub, true)) != STORE_OK)
			goto out;
	if (key_words_literal(merged, &lit) > 0) {
		p_init(&p);
		p_int8(&p, id);
		p_text(&p, (const char *)lit.data);
		if ((st = q(s, "merge: words", "INSERT INTO key_words (word, key_id)"
		    " SELECT unnest($2::text[]), $1 ON CONFLICT DO NOTHING",
		    &p, 0, NULL)) != STORE_OK)
			goto out;
	}
	/* Only a merge that wrote something gets here: queue it for peers
	 * in the same transaction (sync_enqueue, sql/002-sync.sql). */
	if (seen_lit != NULL && (st = sync_enqueue(s, id, seen_lit)) != STORE_OK)
		goto out;
	st = q(s, "merge: commit", "COMMIT", NULL, 0, NULL);
out:
	PQclear(res);
	pgp_key_free(merged);
	free(uid);
	/* buf_free() would leave a fresh allocation behind: free outright. */
	free(blob.data);
	free(lit.data);
	return st;
}

/* store_merge_key and store_merge_key_sync; seen_lit NULL: no queueing. */
static enum store_status
merge_retry(struct store *s, const struct pgp_key *key,
    const struct pgp_limits *lim, struct pgp_merge_counts *counts,
    const char *seen_lit)
{
	struct pgp_merge_counts c;
	enum store_status st;
	int attempt;

	if (counts)
		memset(counts, 0, sizeof(*counts));
	if (lim == NULL)
		lim = &default_limits;
	if (key == NULL || key->pub.fprlen == 0 || key->pub.fprlen > 32 ||
	    key->pkt.body == NULL) {
		set_err(s, xstrdup("merge: key without a parsed primary key"));
		return STORE_ERROR;
	}
	/*
	 * Retrying is safe because a merge is idempotent: the same key merged
	 * twice gives the same row. For the same reason a COMMIT whose outcome
	 * is unknown (connection lost) can be reported as TEMPFAIL: when the
	 * MTA retries the mail, the merge finds its data already there.
	 */
	for (attempt = 0;; attempt++) {
		st = merge_once(s, key, lim, &c, seen_lit);
		if (st == STORE_OK)
			break;
		rollback(s);
		if (!s->retry || attempt >= STORE_MERGE_RETRIES)
			return st;
		/* Back off a little, differently per process, so retrying
		 * transactions do not collide again in lockstep. */
		{
			struct timespec ts = { 0, (long)(attempt + 1) *
			    (10 + (long)(getpid() % 20)) * 1000000L };

			(void)nanosleep(&ts, NULL);
		}
	}
	if (counts)
		*counts = c;
	return STORE_OK;
}

enum store_status
store_merge_key(struct store *s, const struct pgp_key *key,
    const struct pgp_limits *lim, struct pgp_merge_counts *counts)
{
	return merge_retry(s, key, lim, counts, NULL);
}

enum store_status
store_merge_key_sync(struct store *s, const struct pgp_key *key,
    const struct pgp_limits *lim, struct pgp_merge_counts *counts,
    char *const *trail, size_t ntrail)
{
	struct buf lit;
	enum store_status st;

	buf_init(&lit, 0);
	text_array_literal(trail, ntrail, &lit);
	st = merge_retry(s, key, lim, counts, (const char *)lit.data);
	free(lit.data);
	return st;
}

/* ---- lookups ------------------------------------------------------------ */

static void
keys_reset(struct store_keys *out)
{
	out->v = NULL;
	out->n = 0;
}

void
store_keys_free(struct store_keys *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++)
		free(ks->v[i].data);
	free(ks->v);
	keys_reset(ks);
}

static int64_t
limit_plus_one(size_t limit)
{
	return (int64_t)(limit > STORE_MAX_LIMIT ? STORE_MAX_LIMIT : limit) + 1;
}

/*
 * Fetch the keys whose row ids are in idarray (a PostgreSQL int8[] literal
 * that we built from numbers, never from mail), newest created first.
 */
static enum store_status
fetch_id_array(struct store *s, const char *what, const char *idarray,
    struct store_keys *out)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	int n, i;

	p_init(&p);
	p_text(&p, idarray);
	st = q(s, what, "SELECT data, floor(extract(epoch FROM changed))::int8"
	    " FROM keys WHERE id = ANY($1::int8[])"
	    " ORDER BY created DESC, id DESC", &p, 1, &res);
	if (st != STORE_OK)
		return st;
	n = PQntuples(res);
	if (n == 0) {
		PQclear(res);
		return STORE_NOTFOUND;
	}
	out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		struct store_key *k = &out->v[out->n++];

		k->len = (size_t)PQgetlength(res, i, 0);
		k->data = xmemdup(PQgetvalue(res, i, 0), k->len);
		k->changed = (time_t)get_int8(res, i, 1);
	}
	PQclear(res);
	return STORE_OK;
}

/*
 * Second half of every lookup. ids holds at most limit+1 distinct key ids
 * (one text column); decide NOTFOUND/TOOMANY, else fetch those keys by
 * primary key, newest created first.
 */
static enum store_status
fetch_keys(struct store *s, const char *what, PGresult *ids, size_t limit,
    struct store_keys *out)
{
	struct buf arr;
	enum store_status st;
	int n = PQntuples(ids), i;

	if (n == 0)
		return STORE_NOTFOUND;
	if ((size_t)n > limit)
		return STORE_TOOMANY;
	buf_init(&arr, 0);
	(void)buf_putc(&arr, '{');
	for (i = 0; i < n; i++) {
		const char *v = PQgetvalue(ids, i, 0);

		if (v[strspn(v, "0123456789")] != '\0' || *v == '\0') {
			free(arr.data);
			set_err(s, xasprintf("%s: unexpected key id", what));
			return STORE_ERROR;
		}
		(void)buf_printf(&arr, "%s%s", i ? "," : "", v);
	}
	(void)buf_putc(&arr, '}');
	st = fetch_id_array(s, what, (const char *)arr.data, out);
	free(arr.data);
	return st;
}

/* Run a query yielding key ids, then fetch_keys. */
static enum store_status
lookup(struct store *s, const char *what, const char *sql,
    const struct params *p, size_t limit, struct store_keys *out)
{
	PGresult *ids;
	enum store_status st;

	if ((st = q(s, what, sql, p, 0, &ids)) != STORE_OK)
		return st;
	st = fetch_keys(s, what, ids, limit, out);
	PQclear(ids);
	return st;
}

/*
 * The inner LIMIT of the id queries needs no ORDER BY: if more than limit
 * keys match, the answer is TOOMANY whichever limit+1 we saw; if not, we
 * saw them all. So no lookup ever sorts its whole match set.
 */
enum store_status
store_get_by_fpr(struct store *s, const uint8_t *fpr, size_t len,
    size_t limit, struct store_keys *out)
{
	struct params p;

	keys_reset(out);
	if (fpr == NULL || len == 0 || len > 32) {
		set_err(s, xasprintf("get by fingerprint: bad length %zu", len));
		return STORE_ERROR;
	}
	p_init(&p);
	p_bytea(&p, fpr, len);
	p_int8(&p, limit_plus_one(limit));
	return lookup(s, "get by fingerprint", "SELECT DISTINCT key_id"
	    " FROM keyids WHERE fingerprint = $1 LIMIT $2", &p, limit, out);
}

enum store_status
store_get_by_keyid(struct store *s, const uint8_t *id, size_t len,
    size_t limit, struct store_keys *out)
{
	struct params p;

	keys_reset(out);
	p_init(&p);
	if (id != NULL && len == 8) {
		p_bytea(&p, id, 8);
		p_int8(&p, limit_plus_one(limit));
		return lookup(s, "get by key ID", "SELECT DISTINCT key_id"
		    " FROM keyids WHERE keyid = $1 LIMIT $2", &p, limit, out);
	}
	if (id != NULL && len == 4) {
		p_int4_be(&p, id);
		p_int8(&p, limit_plus_one(limit));
		return lookup(s, "get by short key ID", "SELECT DISTINCT key_id"
		    " FROM keyids WHERE short_id = $1 LIMIT $2", &p, limit, out);
	}
	set_err(s, xasprintf("get by key ID: bad length %zu", len));
	return STORE_ERROR;
}

/* Longest first: with many words the join order is partly fixed (past
 * join_collapse_limit), and a long word is more likely a rare one. */
static int
cmp_word_len(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);

	if (lx != ly)
		return lx > ly ? -1 : 1;
	return strcmp(x, y);
}

/*
 * AND search. The given words are put through words_split again, so the
 * index rule holds whatever the caller passed (case, punctuation, length);
 * words that split into nothing are dropped, and no word at all finds
 * nothing. The query joins key_words once per word on key_id, each side an
 * index range of the (word, key_id) primary key: the planner starts from
 * the rarest word, and the LIMIT stops a common word early, where a
 * GROUP BY ... HAVING count(*) = n would have to read every row of every
 * word first.
 */
enum store_status
store_search_words(struct store *s, char *const *words, size_t nwords,
    size_t limit, struct store_keys *out)
{
	char **w = NULL;
	const char **vals = NULL;
	Oid *types = NULL;
	size_t nw = 0, i, j, k;
	struct buf sql;
	char lim[24];
	PGresult *ids = NULL;
	enum store_status st;

	keys_reset(out);
	for (i = 0; i < nwords; i++) {
		char **split;
		size_t ns;

		if (words[i] == NULL)
			continue;
		split = words_split(words[i], strlen(words[i]), &ns);
		w = xreallocarray(w, nw + ns + 1, sizeof(*w));
		for (j = 0; j < ns; j++)
			w[nw++] = split[j];
		free(split);
	}
	if (nw > 1)
		qsort(w, nw, sizeof(*w), cmp_word_len);
	for (i = j = 0; i < nw; i++) {		/* unique, in place */
		if (j > 0 && !strcmp(w[i], w[j - 1])) {
			free(w[i]);
			continue;
		}
		w[j++] = w[i];
	}
	nw = j;
	if (nw == 0) {
		free(w);
		return STORE_NOTFOUND;
	}
	if (nw > STORE_MAX_SEARCH_WORDS) {
		words_free(w, nw);
		set_err(s, xasprintf("search: %zu words (at most %d)", nw,
		    STORE_MAX_SEARCH_WORDS));
		return STORE_ERROR;
	}

	/* Only placeholders and our own counters go into the text. */
	buf_init(&sql, 0);
	(void)buf_puts(&sql, "SELECT w1.key_id FROM key_words w1");
	for (k = 2; k <= nw; k++)
		(void)buf_printf(&sql, " JOIN key_words w%zu ON w%zu.key_id ="
		    " w1.key_id AND w%zu.word = $%zu", k, k, k, k);
	(void)buf_printf(&sql, " WHERE w1.word = $1 LIMIT $%zu", nw + 1);
	vals = xcalloc(nw + 1, sizeof(*vals));
	types = xcalloc(nw + 1, sizeof(*types));
	for (k = 0; k < nw; k++) {
		vals[k] = w[k];
		types[k] = OID_TEXT;
	}
	snprintf(lim, sizeof(lim), "%" PRId64, limit_plus_one(limit));
	vals[nw] = lim;
	types[nw] = OID_INT8;

	if ((st = qv(s, "search", (const char *)sql.data, (int)nw + 1, types,
	    vals, NULL, NULL, 0, &ids)) == STORE_OK)
		st = fetch_keys(s, "search", ids, limit, out);
	PQclear(ids);
	free(sql.data);
	free(vals);
	free(types);
	words_free(w, nw);
	return st;
}

enum store_status
store_changed_since(struct store *s, time_t since, size_t limit,
    struct store_keys *out)
{
	struct params p;

	keys_reset(out);
	p_init(&p);
	p_int8(&p, (int64_t)since);
	p_int8(&p, limit_plus_one(limit));
	return lookup(s, "changed since", "SELECT id FROM keys"
	    " WHERE changed >= to_timestamp($1::int8) LIMIT $2", &p, limit, out);
}

/* Of several keys sharing a 64-bit ID (collisions exist), the newest
 * created one answers. */
enum store_status
store_uid_for_keyid(struct store *s, const uint8_t id[8], char **uid)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	*uid = NULL;
	p_init(&p);
	p_bytea(&p, id, 8);
	if ((st = q(s, "user ID for key ID", "SELECT k.primary_uid"
	    " FROM keyids i JOIN keys k ON k.id = i.key_id"
	    " WHERE i.keyid = $1 AND NOT i.is_subkey"
	    " AND k.primary_uid IS NOT NULL"
	    " ORDER BY k.created DESC, k.id DESC LIMIT 1",
	    &p, 0, &res)) != STORE_OK)
		return st;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOTFOUND;
	}
	*uid = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return STORE_OK;
}

/* ---- reply rate limit --------------------------------------------------- */

/*
 * One statement, so one transaction of its own (autocommit): the upsert
 * locks the (address, hour) row, so concurrent filters get distinct
 * counts. The expiry is a separate best-effort statement: it only ever
 * touches rows of past hours, which no upsert of this hour locks, and if
 * it fails (say two filters expiring at once deadlock) the rows simply
 * go next time.
 */
enum store_status
store_reply_count(struct store *s, const char *address, uint64_t *count)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	int64_t n;

	*count = 0;
	p_init(&p);
	p_text(&p, address);
	/*
	 * The count need not survive a crash (losing it lets one more reply
	 * through), so it does not wait for the WAL flush: that fsync was the
	 * largest part of every reply's own cost (bench/RESULTS.md). Merges
	 * keep synchronous commit; this is LOCAL to the counter's transaction.
	 */
	if ((st = q(s, "reply rate limit: begin", "BEGIN", NULL, 0, NULL)) != STORE_OK)
		return st;
	if ((st = q(s, "reply rate limit", "SET LOCAL synchronous_commit = off",
	    NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, "reply rate limit", "INSERT INTO reply_log (address,"
	    " hour, count) VALUES (lower($1), date_trunc('hour', now()), 1)"
	    " ON CONFLICT (address, hour) DO UPDATE"
	    " SET count = reply_log.count + 1 RETURNING count",
	    &p, 1, &res)) != STORE_OK) {
		rollback(s);
		return st;
	}
	n = PQntuples(res) == 1 ? get_int8(res, 0, 0) : 0;
	PQclear(res);
	if (n <= 0) {
		rollback(s);
		set_err(s, xstrdup("reply rate limit: no count returned"));
		return STORE_ERROR;
	}
	if (n == 1 && (st = q(s, "reply rate limit: expire", "DELETE FROM"
	    " reply_log WHERE hour < now() - interval '1 day'", NULL, 0,
	    NULL)) != STORE_OK) {
		rollback(s);
		return st;
	}
	if ((st = q(s, "reply rate limit: commit", "COMMIT", NULL, 0, NULL)) != STORE_OK) {
		rollback(s);
		return st;
	}
	*count = (uint64_t)n;
	return STORE_OK;
}

/* ---- peer sync queue ---------------------------------------------------- */

/* Session-level (not transaction) lock, in initdb's two-int4 key space. */
#define STORE_SYNC_LOCK	"SELECT pg_try_advisory_lock(28013, 2)"

/* Split a '\n'-joined list (array_to_string of a text[]) into strings. */
static char **
split_lines(const char *s, size_t len, size_t *n)
{
	char **v = NULL;
	size_t i = 0, start = 0;

	*n = 0;
	if (len == 0)
		return NULL;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		if (i > start) {
			v = xreallocarray(v, *n + 1, sizeof(*v));
			v[(*n)++] = xstrndup(s + start, i - start);
		}
		start = i + 1;
	}
	return v;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
store_sync_entries_free(struct store_sync_entries *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		free_strv(e->v[i].seen, e->v[i].nseen);
		free_strv(e->v[i].sent, e->v[i].nsent);
		free(e->v[i].data);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

enum store_status
store_sync_lock(struct store *s, bool *got)
{
	PGresult *res;
	enum store_status st;

	*got = false;
	if ((st = q(s, "sync: lock", STORE_SYNC_LOCK, NULL, 0, &res)) != STORE_OK)
		return st;
	*got = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_sync_expire(struct store *s, time_t max_age, size_t *dropped)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	*dropped = 0;
	p_init(&p);
	p_int8(&p, (int64_t)max_age);
	if ((st = q(s, "sync: expire", "DELETE FROM sync_queue WHERE queued <"
	    " now() - make_interval(secs => $1::int8)", &p, 0, &res)) != STORE_OK)
		return st;
	*dropped = (size_t)strtoul(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_sync_fetch(struct store *s, int64_t after, size_t max,
    struct store_sync_entries *out)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	int n, i;

	out->v = NULL;
	out->n = 0;
	p_init(&p);
	p_int8(&p, after);
	p_int8(&p, (int64_t)(max > STORE_MAX_LIMIT ? STORE_MAX_LIMIT : max));
	/* The key blob comes with the entry: what we send is the key as it
	 * is now, whatever change queued it (a full key, spec 4.5). */
	if ((st = q(s, "sync: fetch", "SELECT q.key_id, q.gen,"
	    " array_to_string(q.seen, E'\\n'), array_to_string(q.sent, E'\\n'),"
	    " k.data FROM sync_queue q JOIN keys k ON k.id = q.key_id"
	    " WHERE q.key_id > $1 ORDER BY q.key_id LIMIT $2",
	    &p, 1, &res)) != STORE_OK)
		return st;
	n = PQntuples(res);
	if (n > 0)
		out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		struct store_sync_entry *e = &out->v[out->n++];

		e->key_id = get_int8(res, i, 0);
		e->gen = get_int8(res, i, 1);
		e->seen = split_lines(PQgetvalue(res, i, 2),
		    (size_t)PQgetlength(res, i, 2), &e->nseen);
		e->sent = split_lines(PQgetvalue(res, i, 3),
		    (size_t)PQgetlength(res, i, 3), &e->nsent);
		e->len = (size_t)PQgetlength(res, i, 4);
		e->data = xmemdup(PQgetvalue(res, i, 4), e->len);
	}
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_sync_mark(struct store *s, int64_t key_id, int64_t gen, const char *peer)
{
	struct params p;

	p_init(&p);
	p_int8(&p, key_id);
	p_int8(&p, gen);
	p_text(&p, peer);
	return q(s, "sync: mark sent", "UPDATE sync_queue SET sent ="
	    " array_append(sent, lower($3)) WHERE key_id = $1 AND gen = $2"
	    " AND NOT (lower($3) = ANY (sent))", &p, 0, NULL);
}

enum store_status
store_sync_done(struct store *s, int64_t key_id, int64_t gen)
{
	struct params p;

	p_init(&p);
	p_int8(&p, key_id);
	p_int8(&p, gen);
	return q(s, "sync: done", "DELETE FROM sync_queue WHERE key_id = $1"
	    " AND gen = $2", &p, 0, NULL);
}

/* ---- MGET scan ---------------------------------------------------------- */

/* Walk one cursor (already declared) to its end or until cb stops. */
static enum store_status
scan_cursor(struct store *s, const char *fetch, enum store_scan_kind kind,
    store_scan_cb cb, void *arg, bool *stopped)
{
	PGresult *res;
	enum store_status st;
	int n, i;

	while (!*stopped) {
		if ((st = q(s, "mget: fetch", fetch, NULL, 1, &res)) != STORE_OK)
			return st;
		n = PQntuples(res);
		for (i = 0; i < n && !*stopped; i++) {
			int64_t id = get_int8(res, i, 0);
			const uint8_t *a = (const uint8_t *)PQgetvalue(res, i, 1);
			size_t alen = (size_t)PQgetlength(res, i, 1);

			if (kind == STORE_SCAN_KEYID)
				*stopped = cb(arg, id, kind, a, alen,
				    (const uint8_t *)PQgetvalue(res, i, 2),
				    (size_t)PQgetlength(res, i, 2)) != 0;
			else
				*stopped = cb(arg, id, kind, a, alen, NULL, 0) != 0;
		}
		PQclear(res);
		if (n < STORE_SCAN_BATCH)
			break;
	}
	return STORE_OK;
}

#define STR_(x) #x
#define STR(x) STR_(x)

enum store_status
store_scan_ids_uids(struct store *s, store_scan_cb cb, void *arg)
{
	enum store_status st;
	bool stopped = false;

	/* One snapshot for both cursors; READ ONLY so a bug here cannot
	 * write. Cursors need a transaction. */
	if ((st = q(s, "mget: begin", "BEGIN ISOLATION LEVEL REPEATABLE READ"
	    " READ ONLY", NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, "mget: cursor", "DECLARE km_mget_ids NO SCROLL CURSOR FOR"
	    " SELECT key_id, fingerprint, keyid FROM keyids", NULL, 0,
	    NULL)) != STORE_OK ||
	    (st = scan_cursor(s, "FETCH FORWARD " STR(STORE_SCAN_BATCH)
	    " FROM km_mget_ids", STORE_SCAN_KEYID, cb, arg, &stopped)) != STORE_OK)
		goto fail;
	if (!stopped &&
	    ((st = q(s, "mget: cursor", "DECLARE km_mget_uids NO SCROLL CURSOR"
	    " FOR SELECT key_id, uid FROM key_uids", NULL, 0, NULL)) != STORE_OK ||
	    (st = scan_cursor(s, "FETCH FORWARD " STR(STORE_SCAN_BATCH)
	    " FROM km_mget_uids", STORE_SCAN_UID, cb, arg, &stopped)) != STORE_OK))
		goto fail;
	/* COMMIT closes the cursors. */
	if ((st = q(s, "mget: commit", "COMMIT", NULL, 0, NULL)) != STORE_OK)
		goto fail;
	return STORE_OK;
fail:
	rollback(s);
	return st;
}

enum store_status
store_get_by_ids(struct store *s, const int64_t *ids, size_t n,
    struct store_keys *out)
{
	struct buf arr;
	enum store_status st;
	size_t i;

	keys_reset(out);
	if (n == 0)
		return STORE_NOTFOUND;
	buf_init(&arr, 0);
	(void)buf_putc(&arr, '{');
	for (i = 0; i < n; i++)
		(void)buf_printf(&arr, "%s%" PRId64, i ? "," : "", ids[i]);
	(void)buf_putc(&arr, '}');
	st = fetch_id_array(s, "get by row ids", (const char *)arr.data, out);
	free(arr.data);
	return st;
}

/* ---- bulk merge and export (keymail import / export) -------------------- */

/* Array types of the binary array parameters below. */
#define OID_BOOL_ARRAY		1000
#define OID_BYTEA_ARRAY		1001
#define OID_INT4_ARRAY		1007
#define OID_TEXT_ARRAY		1009
#define OID_INT8_ARRAY		1016
/* An export fetches 1000 rows per round trip (FETCH 1000 below). */

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

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
barr_init(struct barr *a, Oid elem)
{
	static const uint8_t hdr[20];

	buf_init(&a->b, 0);
	(void)buf_append(&a->b, hdr, sizeof(hdr));
	a->elem = elem;
	a->n = 0;
	a->nulls = false;
}

static void
barr_add(struct barr *a, const void *p, size_t len)
{
	uint8_t l[4];

	put_be32(l, (uint32_t)len);
	(void)buf_append(&a->b, l, 4);
	(void)buf_append(&a->b, p, len);
	a->n++;
}

static void
barr_null(struct barr *a)
{
	uint8_t l[4];

	put_be32(l, 0xffffffffu);
	(void)buf_append(&a->b, l, 4);
	a->nulls = true;
	a->n++;
}

static void
barr_int8(struct barr *a, int64_t v)
{
	uint8_t x[8];

	put_be32(x, (uint32_t)((uint64_t)v >> 32));
	put_be32(x + 4, (uint32_t)v);
	barr_add(a, x, 8);
}

static void
barr_int4(struct barr *a, uint32_t v)
{
	uint8_t x[4];

	put_be32(x, v);
	barr_add(a, x, 4);
}

static void
barr_bool(struct barr *a, bool v)
{
	uint8_t x = v ? 1 : 0;

	barr_add(a, &x, 1);
}

static void
barr_free(struct barr *a)
{
	free(a->b.data);
	a->b.data = NULL;
}

/* Finish the header and add the array as a binary parameter. A column
 * larger than an int can say is refused by the caller's batch bound
 * (import cuts batches far below that). */
static void
p_barr(struct params *p, Oid arrtype, struct barr *a)
{
	uint8_t *h = a->b.data;

	put_be32(h, 1);
	put_be32(h + 4, a->nulls ? 1 : 0);
	put_be32(h + 8, a->elem);
	put_be32(h + 12, a->n);
	put_be32(h + 16, 1);
	p_add(p, arrtype, a->b.data, a->b.len, 1);
}

static int64_t
fpr_lockkey(const struct pgp_key *key)
{
	int64_t k = 0;
	size_t i;

	for (i = 0; i < 8 && i < key->pub.fprlen; i++)
		k = (int64_t)((uint64_t)k << 8 | key->pub.fpr[i]);
	return k;
}

static int
cmp_fpr(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

/* qsort_r: item indices by primary fingerprint. */
static int
cmp_item_fpr(const void *x, const void *y, void *arg)
{
	const struct store_bulk_item *it = arg;
	const struct pgp_pubkey *a = &it[*(const size_t *)x].key->pub;
	const struct pgp_pubkey *b = &it[*(const size_t *)y].key->pub;

	return cmp_fpr(a->fpr, a->fprlen, b->fpr, b->fprlen);
}

static int
cmp_int64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* The item (index into it) whose fingerprint is fpr, or -1. */
static long
find_item(const struct store_bulk_item *it, const size_t *ord, size_t n,
    const uint8_t *fpr, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pgp_pubkey *k = &it[ord[mid]].key->pub;
		int c = cmp_fpr(k->fpr, k->fprlen, fpr, len);

		if (c == 0)
			return (long)ord[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* What bulk_once knows about one item. */
struct bulk_row {
	bool found, row_revoked, row_has_uid, changed;
	int64_t id;
	const uint8_t *stored;		/* view into the read result */
	size_t storedlen;
	struct pgp_key *merged;
	struct buf blob;
	char *uid;
};

static void
item_fail(struct store *s, struct store_bulk_item *it, enum store_status st)
{
	it->st = st;
	snprintf(it->why, sizeof(it->why), "%s", store_errmsg(s));
	memset(&it->counts, 0, sizeof(it->counts));
}

/* Add the primary and subkey IDs of a changed key (see put_keyid). */
static void
bulk_keyids(struct barr *kid, struct barr *fpr, struct barr *id64,
    struct barr *id32, struct barr *sub, int64_t id, const struct pgp_key *k)
{
	size_t i;

	for (i = 0; i <= k->nsubkeys; i++) {
		const struct pgp_pubkey *pub = i == 0 ? &k->pub :
		    &k->subkeys[i - 1].sub;

		if (pub->fprlen == 0 || pub->fprlen > sizeof(pub->fpr))
			continue;	/* unparsed (unknown-version) subkey */
		barr_int8(kid, id);
		barr_add(fpr, pub->fpr, pub->fprlen);
		barr_add(id64, pub->keyid, 8);
		barr_add(id32, pub->keyid + 4, 4);
		barr_bool(sub, i > 0);
	}
}

/*
 * One attempt at a batch, in one transaction; on failure the caller rolls
 * back. The same steps as merge_once, a statement per step for the whole
 * batch instead of per key: lock every fingerprint (ascending, so two
 * batches never deadlock; a single merge holds one lock and so cannot
 * close a cycle), read the stored versions, merge in memory
 * (merge_compute), then write new keys, changed keys, key IDs and search
 * words with one statement each, fed by binary array parameters.
 */
static enum store_status
bulk_once(struct store *s, struct store_bulk_item *it, size_t n,
    const struct pgp_limits *lim)
{
	struct bulk_row *row = xcalloc(n, sizeof(*row));
	size_t *ord = xcalloc(n, sizeof(*ord));
	int64_t *locks = xcalloc(n, sizeof(*locks));
	struct barr a[10];
	struct params p;
	PGresult *res = NULL, *rd = NULL;
	enum store_status st;
	size_t i, j, nlocks = 0, nnew = 0, nupd = 0, na = 0;
	int r;

	for (i = 0; i < n; i++) {
		ord[i] = i;
		it[i].st = STORE_OK;
		it[i].why[0] = '\0';
		memset(&it[i].counts, 0, sizeof(it[i].counts));
		buf_init(&row[i].blob, lim->max_key_size);
	}
	qsort_r(ord, n, sizeof(*ord), cmp_item_fpr, it);
	for (i = 1; i < n; i++)
		if (cmp_item_fpr(&ord[i - 1], &ord[i], it) == 0) {
			set_err(s, xstrdup("bulk merge: the same key twice "
			    "in one batch"));
			st = STORE_ERROR;
			goto out;
		}
	for (i = 0; i < n; i++)
		locks[i] = fpr_lockkey(it[i].key);
	qsort(locks, n, sizeof(*locks), cmp_int64);
	for (i = 0; i < n; i++)
		if (nlocks == 0 || locks[nlocks - 1] != locks[i])
			locks[nlocks++] = locks[i];

	if ((st = q(s, "bulk merge: begin",
	    "BEGIN ISOLATION LEVEL READ COMMITTED", NULL, 0, NULL)) != STORE_OK)
		goto out;
	barr_init(&a[0], OID_INT8);
	na = 1;
	for (i = 0; i < nlocks; i++)
		barr_int8(&a[0], locks[i]);
	p_init(&p);
	p_barr(&p, OID_INT8_ARRAY, &a[0]);
	/* unnest yields the array's order, and the locks are taken row by
	 * row in that order. */
	if ((st = q(s, "bulk merge: lock", "SELECT pg_advisory_xact_lock(k)"
	    " FROM unnest($1::int8[]) AS k", &p, 0, NULL)) != STORE_OK)
		goto out;
	barr_free(&a[0]);

	barr_init(&a[0], OID_BYTEA);
	for (i = 0; i < n; i++)
		barr_add(&a[0], it[i].key->pub.fpr, it[i].key->pub.fprlen);
	p_init(&p);
	p_barr(&p, OID_BYTEA_ARRAY, &a[0]);
	if ((st = q(s, "bulk merge: read", "SELECT fingerprint, id, data,"
	    " revoked, primary_uid IS NOT NULL FROM keys"
	    " WHERE fingerprint = ANY ($1::bytea[])", &p, 1, &rd)) != STORE_OK)
		goto out;
	barr_free(&a[0]);
	na = 0;
	for (r = 0; r < PQntuples(rd); r++) {
		long k = find_item(it, ord, n, (const uint8_t *)PQgetvalue(rd, r, 0),
		    (size_t)PQgetlength(rd, r, 0));

		if (k < 0)
			continue;
		row[k].found = true;
		row[k].id = get_int8(rd, r, 1);
		row[k].stored = (const uint8_t *)PQgetvalue(rd, r, 2);
		row[k].storedlen = (size_t)PQgetlength(rd, r, 2);
		row[k].row_revoked = *PQgetvalue(rd, r, 3) != 0;
		row[k].row_has_uid = *PQgetvalue(rd, r, 4) != 0;
	}

	/* In memory, key by key. A key that cannot be merged (a limit, a
	 * stored blob that does not parse) is that key's failure, not the
	 * batch's: it is reported in its item and left out of the writes. */
	for (i = 0; i < n; i++) {
		struct bulk_row *w = &row[i];

		st = merge_compute(s, it[i].key, w->found ? w->stored : NULL,
		    w->storedlen, w->row_has_uid, lim, &it[i].counts,
		    &w->merged, &w->blob, &w->uid, &w->changed);
		if (st != STORE_OK) {
			item_fail(s, &it[i], st);
			w->changed = false;
			continue;
		}
		if (w->changed && !w->found)
			nnew++;
		else if (w->changed)
			nupd++;
	}
	PQclear(rd);
	rd = NULL;

	if (nnew > 0) {
		static const Oid el[10] = { OID_BYTEA, OID_INT4, OID_INT4,
		    OID_INT4, OID_BYTEA, OID_INT8, OID_BOOL, OID_INT8,
		    OID_TEXT, OID_BYTEA };
		static const Oid at[10] = { OID_BYTEA_ARRAY, OID_INT4_ARRAY,
		    OID_INT4_ARRAY, OID_INT4_ARRAY, OID_BYTEA_ARRAY,
		    OID_INT8_ARRAY, OID_BOOL_ARRAY, OID_INT8_ARRAY,
		    OID_TEXT_ARRAY, OID_BYTEA_ARRAY };

		for (na = 0; na < 10; na++)
			barr_init(&a[na], el[na]);
		for (i = 0; i < n; i++) {
			const struct pgp_key *k = it[i].key;
			struct bulk_row *w = &row[i];

			if (!w->changed || w->found)
				continue;
			barr_add(&a[0], k->pub.fpr, k->pub.fprlen);
			barr_int4(&a[1], k->pub.version);
			barr_int4(&a[2], k->pub.algo);
			barr_int4(&a[3], k->pub.bits);
			barr_add(&a[4], k->pub.keyid, 8);
			barr_int8(&a[5], k->pub.created);
			barr_bool(&a[6], k->revoked);
			if (k->expires)
				barr_int8(&a[7], (int64_t)k->expires);
			else
				barr_null(&a[7]);
			if (w->uid)
				barr_add(&a[8], w->uid, strlen(w->uid));
			else
				barr_null(&a[8]);
			barr_add(&a[9], w->blob.data, w->blob.len);
		}
		p_init(&p);
		for (j = 0; j < 10; j++)
			p_barr(&p, at[j], &a[j]);
		if ((st = q(s, "bulk merge: insert", "INSERT INTO keys"
		    " (fingerprint, version, algo, bits, keyid, created, revoked,"
		    " expires, primary_uid, data, first_seen, changed)"
		    " SELECT f, v, a, b, k, to_timestamp(c), r, to_timestamp(e),"
		    " u, d, clock_timestamp(), clock_timestamp()"
		    " FROM unnest($1::bytea[], $2::int4[], $3::int4[], $4::int4[],"
		    " $5::bytea[], $6::int8[], $7::bool[], $8::int8[], $9::text[],"
		    " $10::bytea[]) AS t(f, v, a, b, k, c, r, e, u, d)"
		    " RETURNING fingerprint, id", &p, 1, &res)) != STORE_OK)
			goto out;
		for (j = 0; j < 10; j++)
			barr_free(&a[j]);
		na = 0;
		if ((size_t)PQntuples(res) != nnew) {
			set_err(s, xasprintf("bulk merge: inserted %d keys of %zu",
			    PQntuples(res), nnew));
			st = STORE_ERROR;
			goto out;
		}
		for (r = 0; r < PQntuples(res); r++) {
			long k = find_item(it, ord, n,
			    (const uint8_t *)PQgetvalue(res, r, 0),
			    (size_t)PQgetlength(res, r, 0));

			if (k < 0 || row[k].found || !row[k].changed) {
				set_err(s, xstrdup("bulk merge: insert returned "
				    "an unknown key"));
				st = STORE_ERROR;
				goto out;
			}
			row[k].id = get_int8(res, r, 1);
		}
		PQclear(res);
		res = NULL;
	}

	if (nupd > 0) {
		barr_init(&a[0], OID_INT8);
		barr_init(&a[1], OID_BOOL);
		barr_init(&a[2], OID_INT8);
		barr_init(&a[3], OID_TEXT);
		barr_init(&a[4], OID_BYTEA);
		na = 5;
		for (i = 0; i < n; i++) {
			const struct pgp_key *k = it[i].key;
			struct bulk_row *w = &row[i];

			if (!w->changed || !w->found)
				continue;
			barr_int8(&a[0], w->id);
			barr_bool(&a[1], k->revoked || w->row_revoked);
			if (k->expires)
				barr_int8(&a[2], (int64_t)k->expires);
			else
				barr_null(&a[2]);
			if (w->uid)
				barr_add(&a[3], w->uid, strlen(w->uid));
			else
				barr_null(&a[3]);
			barr_add(&a[4], w->blob.data, w->blob.len);
		}
		p_init(&p);
		p_barr(&p, OID_INT8_ARRAY, &a[0]);
		p_barr(&p, OID_BOOL_ARRAY, &a[1]);
		p_barr(&p, OID_INT8_ARRAY, &a[2]);
		p_barr(&p, OID_TEXT_ARRAY, &a[3]);
		p_barr(&p, OID_BYTEA_ARRAY, &a[4]);
		/* Row summary as in merge_once. */
		if ((st = q(s, "bulk merge: update", "UPDATE keys AS k SET"
		    " revoked = t.r, expires = to_timestamp(t.e),"
		    " primary_uid = COALESCE(t.u, k.primary_uid), data = t.d,"
		    " changed = clock_timestamp()"
		    " FROM unnest($1::int8[], $2::bool[], $3::int8[], $4::text[],"
		    " $5::bytea[]) AS t(id, r, e, u, d) WHERE k.id = t.id",
		    &p, 0, NULL)) != STORE_OK)
			goto out;
		for (j = 0; j < 5; j++)
			barr_free(&a[j]);
		na = 0;
	}

	if (nnew + nupd > 0) {
		struct buf lit;

		/* Side tables: merges only add, so add what is missing. */
		barr_init(&a[0], OID_INT8);
		barr_init(&a[1], OID_BYTEA);
		barr_init(&a[2], OID_BYTEA);
		barr_init(&a[3], OID_INT4);
		barr_init(&a[4], OID_BOOL);
		barr_init(&a[5], OID_TEXT);
		barr_init(&a[6], OID_INT8);
		na = 7;
		buf_init(&lit, 0);
		for (i = 0; i < n; i++) {
			struct bulk_row *w = &row[i];

			if (!w->changed)
				continue;
			bulk_keyids(&a[0], &a[1], &a[2], &a[3], &a[4], w->id,
			    w->merged);
			buf_reset(&lit);
			if (key_words_literal(w->merged, &lit) > 0) {
				barr_add(&a[5], lit.data, lit.len);
				barr_int8(&a[6], w->id);
			}
		}
		free(lit.data);
		p_init(&p);
		p_barr(&p, OID_INT8_ARRAY, &a[0]);
		p_barr(&p, OID_BYTEA_ARRAY, &a[1]);
		p_barr(&p, OID_BYTEA_ARRAY, &a[2]);
		p_barr(&p, OID_INT4_ARRAY, &a[3]);
		p_barr(&p, OID_BOOL_ARRAY, &a[4]);
		if ((st = q(s, "bulk merge: key IDs", "INSERT INTO keyids"
		    " (key_id, fingerprint, keyid, short_id, is_subkey)"
		    " SELECT * FROM unnest($1::int8[], $2::bytea[], $3::bytea[],"
		    " $4::int4[], $5::bool[]) ON CONFLICT DO NOTHING",
		    &p, 0, NULL)) != STORE_OK)
			goto out;
		if (a[5].n > 0) {
			p_init(&p);
			p_barr(&p, OID_TEXT_ARRAY, &a[5]);
			p_barr(&p, OID_INT8_ARRAY, &a[6]);
			/* Each element of $1 is one key's text[] literal
			 * (key_words_literal: [a-z0-9] words only). */
			if ((st = q(s, "bulk merge: words", "INSERT INTO key_words"
			    " (word, key_id) SELECT unnest(t.w::text[]), t.id"
			    " FROM unnest($1::text[], $2::int8[]) AS t(w, id)"
			    " ON CONFLICT DO NOTHING", &p, 0, NULL)) != STORE_OK)
				goto out;
		}
		for (j = 0; j < 7; j++)
			barr_free(&a[j]);
		na = 0;
	}
	st = q(s, "bulk merge: commit", "COMMIT", NULL, 0, NULL);
out:
	for (j = 0; j < na; j++)
		barr_free(&a[j]);
	PQclear(res);
	PQclear(rd);
	for (i = 0; i < n; i++) {
		pgp_key_free(row[i].merged);
		free(row[i].blob.data);
		free(row[i].uid);
	}
	free(row);
	free(ord);
	free(locks);
	return st;
}

enum store_status
store_merge_keys(struct store *s, struct store_bulk_item *items, size_t n,
    const struct pgp_limits *lim)
{
	enum store_status st;
	size_t i;
	int attempt;

	if (lim == NULL)
		lim = &default_limits;
	for (i = 0; i < n; i++) {
		const struct pgp_key *key = items[i].key;

		if (key == NULL || key->pub.fprlen == 0 ||
		    key->pub.fprlen > 32 || key->pkt.body == NULL) {
			set_err(s, xstrdup("bulk merge: key without a parsed "
			    "primary key"));
			return STORE_ERROR;
		}
	}
	if (n == 0)
		return STORE_OK;
	/* Retrying is safe for the reasons given in merge_retry. */
	for (attempt = 0;; attempt++) {
		st = bulk_once(s, items, n, lim);
		if (st == STORE_OK)
			return STORE_OK;
		rollback(s);
		if (!s->retry || attempt >= STORE_MERGE_RETRIES)
			return st;
		{
			struct timespec ts = { 0, (long)(attempt + 1) *
			    (10 + (long)(getpid() % 20)) * 1000000L };

			(void)nanosleep(&ts, NULL);
		}
	}
}

/*
 * One snapshot (REPEATABLE READ, read-only) and a server-side cursor, so
 * memory stays flat whatever the store's size. Fingerprint order makes
 * the dump of two stores holding the same keys the same bytes, however
 * and in whatever order they were loaded; it is the unique index's order,
 * so nothing sorts.
 */
enum store_status
store_export(struct store *s, store_blob_cb cb, void *arg)
{
	PGresult *res = NULL;
	enum store_status st;
	int n, r, stop = 0;

	if ((st = q(s, "export: begin", "BEGIN ISOLATION LEVEL REPEATABLE READ"
	    " READ ONLY", NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, "export: cursor", "DECLARE km_export NO SCROLL CURSOR FOR"
	    " SELECT data FROM keys ORDER BY fingerprint", NULL, 0,
	    NULL)) != STORE_OK)
		goto out;
	do {
		if ((st = q(s, "export: fetch", "FETCH 1000"
		    " FROM km_export", NULL, 1, &res)) != STORE_OK)
			goto out;
		n = PQntuples(res);
		for (r = 0; r < n && !stop; r++)
			stop = cb(arg, (const uint8_t *)PQgetvalue(res, r, 0),
			    (size_t)PQgetlength(res, r, 0));
		PQclear(res);
		res = NULL;
	} while (n > 0 && !stop);
	st = q(s, "export: commit", "COMMIT", NULL, 0, NULL);
out:
	if (st != STORE_OK)
		rollback(s);
	return st;
}

/* ---- signers ------------------------------------------------------------ */

/*
 * The first STORE_SIGNER_PREFIX octets of each stored key whose primary
 * key ID is one of ids: its primary key packet for any key of ordinary
 * size (16384-bit RSA takes about 2100 octets, a post-quantum v6 key
 * about 2700), while a crowded user ID with thousands of known issuers
 * still costs megabytes, not gigabytes. A signer whose primary key packet
 * is longer is not usable: its signatures stay unverified.
 */
#define STORE_SIGNER_PREFIX	4096

enum store_status
store_signers(struct store *s, const uint8_t *ids, size_t n, size_t limit,
    struct store_keys *out)
{
	struct barr a;
	struct params p;
	PGresult *res;
	enum store_status st;
	size_t i;
	int r;

	keys_reset(out);
	if (n == 0 || limit == 0)
		return STORE_OK;
	barr_init(&a, OID_BYTEA);
	for (i = 0; i < n; i++)
		barr_add(&a, ids + 8 * i, 8);
	p_init(&p);
	p_barr(&p, OID_BYTEA_ARRAY, &a);
	p_int8(&p, limit > STORE_MAX_LIMIT ? STORE_MAX_LIMIT : (int64_t)limit);
	p_int8(&p, STORE_SIGNER_PREFIX);
	st = q(s, "signers", "SELECT substring(k.data FROM 1 FOR $3::int4)"
	    " FROM keys k WHERE k.id IN (SELECT i.key_id FROM keyids i"
	    " WHERE i.keyid = ANY ($1::bytea[]) AND NOT i.is_subkey)"
	    " ORDER BY k.id LIMIT $2", &p, 1, &res);
	barr_free(&a);
	if (st != STORE_OK)
		return st;
	if (PQntuples(res) > 0)
		out->v = xcalloc((size_t)PQntuples(res), sizeof(*out->v));
	for (r = 0; r < PQntuples(res); r++) {
		struct store_key *k = &out->v[out->n++];

		k->len = (size_t)PQgetlength(res, r, 0);
		k->data = xmemdup(PQgetvalue(res, r, 0), k->len);
	}
	PQclear(res);
	return STORE_OK;
}
