/*
 * store/pg.c - the connection, statements, errors and parameters that
 * every file of store/ uses (pg_internal.h), and opening and closing a
 * store (store.h).
 *
 * DIAGNOSTICS
 *	Every PGresult is checked and mapped (pg_classify): lost or refused
 *	connections, admin/crash shutdown, "cannot connect now", insufficient
 *	resources, statement/lock timeouts, serialization failures and
 *	deadlocks are STORE_TEMPFAIL (the MTA retries the mail); a missing
 *	table or column is STORE_ERROR with a hint to run `keymail initdb`;
 *	anything else is STORE_ERROR. The text is kept for store_errmsg().
 *	Nothing here exits or logs: the caller decides.
 *
 * SECURITY
 *	Values reach SQL only as parameters of PQexecParams (pg_qv); the
 *	connection string is the operator's (trusted).
 *
 * MEMORY
 *	struct store owns its connection and last error text; store_close()
 *	releases both.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/be.h"
#include "util/buf.h"
#include "util/xalloc.h"
#include "store/pg_internal.h"
#include "store/store.h"

#define STORE_CONNECT_TIMEOUT	"10"	/* seconds, if conninfo has none */

/* ---- errors ------------------------------------------------------------- */

void
pg_set_err(struct store *s, char *msg)
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

/* Transient (STORE_TEMPFAIL) means: nothing is wrong with the request or
 * the data, so the MTA should retry the whole mail later. */
enum store_status
pg_classify(struct store *s, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : NULL;

	s->retry = false;
	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(s->conn);
	/* Client-side failures (no SQLSTATE) with a dead connection, and a
	 * NULL result (libpq out of memory, could not send): transient. */
	if (PQstatus(s->conn) == CONNECTION_BAD || res == NULL) {
		pg_set_err(s, one_line(what, msg));
		return STORE_TEMPFAIL;
	}
	if (state == NULL) {
		pg_set_err(s, one_line(what, msg));
		return STORE_ERROR;
	}
	if (!strcmp(state, "40001") || !strcmp(state, "40P01")) {
		/* serialization failure / deadlock detected */
		s->retry = true;
		pg_set_err(s, one_line(what, msg));
		return STORE_TEMPFAIL;
	}
	if (!strncmp(state, "08", 2) ||		/* connection exception */
	    !strncmp(state, "53", 2) ||		/* insufficient resources (disk full, ...) */
	    !strcmp(state, "57P01") ||		/* admin shutdown */
	    !strcmp(state, "57P02") ||		/* crash shutdown */
	    !strcmp(state, "57P03") ||		/* cannot connect now (starting up) */
	    !strcmp(state, "57014") ||		/* query canceled (statement_timeout) */
	    !strcmp(state, "55P03")) {		/* lock not available (lock_timeout) */
		pg_set_err(s, one_line(what, msg));
		return STORE_TEMPFAIL;
	}
	if (!strcmp(state, "42P01") || !strcmp(state, "42703")) {
		/* undefined table / column: schema missing or older than us */
		char *m = one_line(what, msg);

		pg_set_err(s, xasprintf("%s (database schema missing or out of "
		    "date: run `keymail initdb`)", m));
		free(m);
		return STORE_ERROR;
	}
	pg_set_err(s, one_line(what, msg));
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

enum store_status
pg_qv(struct store *s, const char *what, const char *sql, int n,
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
			pg_set_err(s, xstrdup("not connected to the database"));
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
	st = pg_classify(s, res, what);
	PQclear(res);
	return st;
}

void
pg_rollback(struct store *s)
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

int64_t
pg_get_int8(const PGresult *r, int row, int col)
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

/*
 * Wait a little before retrying a transaction that failed with a
 * serialization failure or deadlock, differently per process, so
 * retrying transactions do not collide again in lockstep.
 */
void
pg_retry_pause(int attempt)
{
	struct timespec ts = { 0, (long)(attempt + 1) *
	    (10 + (long)(getpid() % 20)) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

/* ---- binary array parameters -------------------------------------------- */

void
barr_init(struct barr *a, Oid elem)
{
	static const uint8_t hdr[20];

	buf_init(&a->b, 0);
	(void)buf_append(&a->b, hdr, sizeof(hdr));
	a->elem = elem;
	a->n = 0;
	a->nulls = false;
}

void
barr_add(struct barr *a, const void *p, size_t len)
{
	uint8_t l[4];

	be_put32(l, (uint32_t)len);
	(void)buf_append(&a->b, l, 4);
	(void)buf_append(&a->b, p, len);
	a->n++;
}

void
barr_null(struct barr *a)
{
	uint8_t l[4];

	be_put32(l, 0xffffffffu);
	(void)buf_append(&a->b, l, 4);
	a->nulls = true;
	a->n++;
}

void
barr_int8(struct barr *a, int64_t v)
{
	uint8_t x[8];

	be_put32(x, (uint32_t)((uint64_t)v >> 32));
	be_put32(x + 4, (uint32_t)v);
	barr_add(a, x, 8);
}

void
barr_int4(struct barr *a, uint32_t v)
{
	uint8_t x[4];

	be_put32(x, v);
	barr_add(a, x, 4);
}

void
barr_bool(struct barr *a, bool v)
{
	uint8_t x = v ? 1 : 0;

	barr_add(a, &x, 1);
}

void
barr_free(struct barr *a)
{
	free(a->b.data);
	a->b.data = NULL;
}

/* Finish the header and add the array as a binary parameter. A column
 * larger than an int can say is refused by the caller's batch bound
 * (import cuts batches far below that). */
void
p_barr(struct params *p, Oid arrtype, struct barr *a)
{
	uint8_t *h = a->b.data;

	be_put32(h, 1);
	be_put32(h + 4, a->nulls ? 1 : 0);
	be_put32(h + 8, a->elem);
	be_put32(h + 12, a->n);
	be_put32(h + 16, 1);
	p_add(p, arrtype, a->b.data, a->b.len, 1);
}

/* ---- binary COPY ------------------------------------------------------- */

/* Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
#define PG_EPOCH_OFFSET	946684800LL

static void
copy_flush(struct pg_copy *c)
{
	if (c->st == STORE_OK && c->b.len > 0 &&
	    PQputCopyData(c->s->conn, (const char *)c->b.data,
	    (int)c->b.len) != 1)
		c->st = pg_classify(c->s, NULL, c->what);
	buf_reset(&c->b);
}

enum store_status
pg_copy_begin(struct store *s, struct pg_copy *c, const char *what,
    const char *sql)
{
	static const uint8_t sig[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	PGresult *res;

	c->s = s;
	c->what = what;
	c->st = STORE_OK;
	buf_init(&c->b, 0);
	s->retry = false;
	if (s->conn == NULL)
		return c->st = STORE_TEMPFAIL;
	res = PQexec(s->conn, sql);
	if (res == NULL || PQresultStatus(res) != PGRES_COPY_IN) {
		c->st = pg_classify(s, res, what);
		PQclear(res);
		return c->st;
	}
	PQclear(res);
	(void)buf_append(&c->b, sig, sizeof(sig));	/* header, flags, no
							 * extension */
	return STORE_OK;
}

static void
copy_be(struct pg_copy *c, uint64_t v, int n)
{
	uint8_t x[8];
	int i;

	for (i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	(void)buf_append(&c->b, x, (size_t)n);
}

void
pg_copy_row(struct pg_copy *c, int nfields)
{
	if (c->b.len >= PG_COPY_FLUSH)
		copy_flush(c);
	copy_be(c, (uint16_t)nfields, 2);
}

void
pg_copy_bytes(struct pg_copy *c, const void *p, size_t n)
{
	copy_be(c, (uint32_t)n, 4);
	(void)buf_append(&c->b, p, n);
}

void
pg_copy_null(struct pg_copy *c)
{
	copy_be(c, 0xffffffffu, 4);
}

void
pg_copy_int8(struct pg_copy *c, int64_t v)
{
	copy_be(c, 8, 4);
	copy_be(c, (uint64_t)v, 8);
}

void
pg_copy_int4(struct pg_copy *c, uint32_t v)
{
	copy_be(c, 4, 4);
	copy_be(c, v, 4);
}

void
pg_copy_int2(struct pg_copy *c, uint16_t v)
{
	copy_be(c, 2, 4);
	copy_be(c, v, 2);
}

void
pg_copy_bool(struct pg_copy *c, bool v)
{
	copy_be(c, 1, 4);
	copy_be(c, v ? 1 : 0, 1);
}

void
pg_copy_time(struct pg_copy *c, int64_t unix_seconds)
{
	pg_copy_int8(c, (unix_seconds - PG_EPOCH_OFFSET) * 1000000);
}

enum store_status
pg_copy_end(struct pg_copy *c)
{
	PGresult *res;
	enum store_status st;

	if (c->s->conn == NULL) {
		free(c->b.data);
		return c->st == STORE_OK ? STORE_TEMPFAIL : c->st;
	}
	copy_be(c, 0xffff, 2);		/* trailer */
	copy_flush(c);
	free(c->b.data);
	c->b.data = NULL;
	if (PQputCopyEnd(c->s->conn, c->st == STORE_OK ? NULL :
	    "keymail: abandoned") != 1 && c->st == STORE_OK)
		c->st = pg_classify(c->s, NULL, c->what);
	/* The COPY's result, then the end of the command. */
	while ((res = PQgetResult(c->s->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			st = pg_classify(c->s, res, c->what);
			if (c->st == STORE_OK)
				c->st = st;
		}
		PQclear(res);
	}
	return c->st;
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
	return store_open_as(conninfo, "keymail", 0, out);
}

enum store_status
store_open_as(const char *conninfo, const char *appname, unsigned flags,
    struct store **out)
{
	struct store *s = xcalloc(1, sizeof(*s));
	PQconninfoOption *opts, *o;
	const char **kw, **val;
	char *perr = NULL, *ro_options = NULL;
	bool has_timeout = false, has_fallback = false, has_options = false;
	size_t n = 0, nopts = 0;

	*out = s;
	opts = PQconninfoParse(conninfo ? conninfo : "", &perr);
	if (opts == NULL) {
		pg_set_err(s, one_line("bad database connection string",
		    perr ? perr : "out of memory"));
		PQfreemem(perr);
		return STORE_ERROR;
	}
	for (o = opts; o->keyword; o++)
		nopts++;
	kw = xcalloc(nopts + 5, sizeof(*kw));
	val = xcalloc(nopts + 5, sizeof(*val));
	for (o = opts; o->keyword; o++) {
		if (o->val == NULL || !strcmp(o->keyword, "client_encoding"))
			continue;
		if (!strcmp(o->keyword, "connect_timeout"))
			has_timeout = true;
		if (!strcmp(o->keyword, "fallback_application_name"))
			has_fallback = true;
		kw[n] = o->keyword;
		val[n++] = o->val;
		/* A read-only handle: every transaction read-only, so a
		 * write (a bug) fails on it, on a standby or not. */
		if (!strcmp(o->keyword, "options") && (flags & STORE_OPEN_READONLY)) {
			ro_options = xasprintf("%s -c default_transaction_read_only=on",
			    o->val);
			val[n - 1] = ro_options;
			has_options = true;
		}
	}
	if ((flags & STORE_OPEN_READONLY) && !has_options) {
		kw[n] = "options";
		val[n++] = "-c default_transaction_read_only=on";
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
	/* application_name=appname unless the conninfo names one. */
	if (!has_fallback) {
		kw[n] = "fallback_application_name";
		val[n++] = appname ? appname : "keymail";
	}
	kw[n] = NULL;
	val[n] = NULL;
	s->conn = PQconnectdbParams(kw, val, 0);
	free(kw);
	free(val);
	free(ro_options);
	PQconninfoFree(opts);
	if (s->conn == NULL) {
		pg_set_err(s, xstrdup("cannot connect to the database: out of memory"));
		return STORE_TEMPFAIL;
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		pg_set_err(s, one_line("cannot connect to the database",
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
