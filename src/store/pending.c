/*
 * store/pending.c - requests waiting for a CONFIRM (owner-control.md 6),
 * plain transactions for callers that need no key lock, and the hourly
 * purge of owner state (11, step 2).
 *
 * Only SHA-256 of a token reaches the database: the token itself is
 * never a parameter here. Addresses and commands are ours (canonical
 * forms made by mail/owner_cmd.c) or checked addresses from mail; they
 * travel as parameters. Memory: struct store_pending owns its strings
 * and body (store_pending_free).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"
#include "store/pg_internal.h"
#include "store/store.h"

static const char *const class_names[STORE_NCLASSES] = {
	"visibility", "content", "settings", "fetch"
};

void
store_pending_free(struct store_pending *p)
{
	if (p == NULL)
		return;
	free(p->address);
	free(p->command);
	free(p->body);
	free(p->requested_by);
	memset(p, 0, sizeof(*p));
}

enum store_status
store_begin(struct store *s)
{
	return q(s, "begin", "BEGIN ISOLATION LEVEL READ COMMITTED", NULL, 0, NULL);
}

enum store_status
store_commit(struct store *s)
{
	enum store_status st = q(s, "commit", "COMMIT", NULL, 0, NULL);

	if (st != STORE_OK)
		pg_rollback(s);
	return st;
}

void
store_rollback(struct store *s)
{
	pg_rollback(s);
}

static void
p_fpr(struct params *pa, const struct store_pending *p)
{
	if (p->fprlen != 0)
		p_bytea(pa, p->fpr, p->fprlen);
	else
		p_text(pa, NULL);
}

enum store_status
store_pending_add(struct store *s, struct store_pending *p, const uint8_t hash[32])
{
	struct params pa;
	PGresult *res;
	enum store_status st;
	const char *cls = p->cls >= 0 && p->cls < STORE_NCLASSES ?
	    class_names[p->cls] : NULL;
	bool outer = pg_in_txn(s);

	if (!outer && (st = store_begin(s)) != STORE_OK)
		return st;
	st = STORE_OK;
	p_init(&pa);
	p_fpr(&pa, p);
	if (cls != NULL) {
		p_text(&pa, cls);
		st = q(s, "pending: supersede", "UPDATE pending SET state ="
		    " 'superseded' WHERE state = 'pending' AND fingerprint ="
		    " $1::bytea AND class = $2", &pa, 0, NULL);
	} else if (p->address != NULL) {
		p_text(&pa, p->address);
		p_text(&pa, p->kind);
		st = q(s, "pending: supersede", "UPDATE pending SET state ="
		    " 'superseded' WHERE state = 'pending' AND lower(address) ="
		    " lower($2) AND kind = $3 AND fingerprint IS NOT DISTINCT FROM"
		    " $1::bytea", &pa, 0, NULL);
	}
	if (st != STORE_OK)
		goto fail;
	p_init(&pa);
	p_bytea(&pa, hash, 32);
	p_text(&pa, p->kind);
	p_fpr(&pa, p);
	p_text(&pa, cls);
	p_text(&pa, p->address);
	p_text(&pa, p->command);
	if (p->body != NULL)
		p_bytea(&pa, p->body, p->bodylen);
	else
		p_text(&pa, NULL);
	p_text(&pa, p->requested_by);
	p_int8(&pa, (int64_t)p->created);
	p_int8(&pa, (int64_t)p->expires);
	if ((st = q(s, "pending: add", "INSERT INTO pending (token_hash, kind,"
	    " fingerprint, class, address, command, body, requested_by, created,"
	    " expires) VALUES ($1, $2, $3::bytea, $4, $5, $6, $7::bytea, $8,"
	    " to_timestamp($9), to_timestamp($10)) RETURNING id", &pa, 1,
	    &res)) != STORE_OK)
		goto fail;
	p->id = pg_get_int8(res, 0, 0);
	PQclear(res);
	return outer ? STORE_OK : store_commit(s);
fail:
	pg_rollback(s);
	return st;
}

/* Read one pending row (binary result of the SELECT below). */
static void
read_pending(const PGresult *res, struct store_pending *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->id = pg_get_int8(res, 0, 0);
	snprintf(out->kind, sizeof(out->kind), "%.*s", PQgetlength(res, 0, 1),
	    PQgetvalue(res, 0, 1));
	if (!PQgetisnull(res, 0, 2) && PQgetlength(res, 0, 2) <= 32) {
		out->fprlen = (size_t)PQgetlength(res, 0, 2);
		memcpy(out->fpr, PQgetvalue(res, 0, 2), out->fprlen);
	}
	out->cls = -1;
	for (i = 0; !PQgetisnull(res, 0, 3) && i < STORE_NCLASSES; i++)
		if ((size_t)PQgetlength(res, 0, 3) == strlen(class_names[i]) &&
		    !memcmp(PQgetvalue(res, 0, 3), class_names[i],
		    strlen(class_names[i])))
			out->cls = i;
	if (!PQgetisnull(res, 0, 4))
		out->address = xstrndup(PQgetvalue(res, 0, 4),
		    (size_t)PQgetlength(res, 0, 4));
	out->command = xstrndup(PQgetvalue(res, 0, 5), (size_t)PQgetlength(res, 0, 5));
	if (!PQgetisnull(res, 0, 6)) {
		out->bodylen = (size_t)PQgetlength(res, 0, 6);
		out->body = xmemdup(PQgetvalue(res, 0, 6), out->bodylen);
	}
	out->requested_by = xstrndup(PQgetvalue(res, 0, 7),
	    (size_t)PQgetlength(res, 0, 7));
	out->created = (time_t)pg_get_int8(res, 0, 8);
	out->expires = (time_t)pg_get_int8(res, 0, 9);
}

static enum store_status
pending_find(struct store *s, const uint8_t hash[32], time_t now,
    bool take, struct store_pending *out)
{
	struct params pa;
	PGresult *res;
	enum store_status st;
	const char *sql = take ?
	    "UPDATE pending SET state = 'used' WHERE token_hash = $1"
	    " AND state = 'pending' AND expires > to_timestamp($2)"
	    " RETURNING id, kind, fingerprint, class, address, command, body,"
	    " requested_by, floor(extract(epoch FROM created))::int8,"
	    " floor(extract(epoch FROM expires))::int8" :
	    "SELECT id, kind, fingerprint, class, address, command, body,"
	    " requested_by, floor(extract(epoch FROM created))::int8,"
	    " floor(extract(epoch FROM expires))::int8 FROM pending"
	    " WHERE token_hash = $1 AND state = 'pending'"
	    " AND expires > to_timestamp($2)";

	memset(out, 0, sizeof(*out));
	p_init(&pa);
	p_bytea(&pa, hash, 32);
	p_int8(&pa, (int64_t)now);
	if ((st = q(s, "pending: find", sql, &pa, 1, &res)) != STORE_OK)
		return st;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return STORE_NOTFOUND;
	}
	read_pending(res, out);
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_pending_take(struct store *s, const uint8_t hash[32], time_t now,
    struct store_pending *out)
{
	return pending_find(s, hash, now, true, out);
}

enum store_status
store_pending_peek(struct store *s, const uint8_t hash[32], time_t now,
    struct store_pending *out)
{
	return pending_find(s, hash, now, false, out);
}

/* ---- the hourly purge ----------------------------------------------------- */

static enum store_status
purge_one(struct store *s, const char *what, const char *sql, time_t now,
    size_t *count)
{
	struct params pa;
	PGresult *res;
	enum store_status st;

	p_init(&pa);
	p_int8(&pa, (int64_t)now);
	if ((st = q(s, what, sql, &pa, 0, &res)) != STORE_OK)
		return st;
	*count = (size_t)strtoul(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_owner_purge(struct store *s, time_t now, struct store_purge_counts *c)
{
	enum store_status st;

	memset(c, 0, sizeof(*c));
	/* Used and superseded requests go with the expired ones: none of
	 * them can be confirmed any more. */
	if ((st = purge_one(s, "purge: tokens", "DELETE FROM pending WHERE"
	    " expires <= to_timestamp($1) OR (state <> 'pending' AND"
	    " created <= to_timestamp($1) - interval '1 day')", now,
	    &c->tokens)) != STORE_OK ||
	    (st = purge_one(s, "purge: nonces", "DELETE FROM control_nonce"
	    " WHERE expires <= to_timestamp($1)", now, &c->nonces)) != STORE_OK ||
	    (st = purge_one(s, "purge: held", "DELETE FROM held"
	    " WHERE expires <= to_timestamp($1)", now, &c->held)) != STORE_OK ||
	    (st = purge_one(s, "purge: mail log", "DELETE FROM mail_log"
	    " WHERE at <= to_timestamp($1) - interval '1 day'", now,
	    &c->mail_log)) != STORE_OK)
		return st;
	return STORE_OK;
}
