/*
 * store/binding.c - verified mode in the store (sql/030-verified.sql,
 * owner-control.md 8): the bindings of confirmed addresses to keys, the
 * extra key lock a moved address needs, and the list of every key that
 * keymail initdb --change-policy rebuilds.
 *
 * Addresses are canonical addr-specs from mail/owner_cmd.c (untrusted
 * text, checked): they travel only as parameters and compare with
 * lower(), which is what the spec's rule comes to for the dot-atom
 * addresses we accept. Memory: lists returned belong to the caller.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"
#include "store/pg_internal.h"
#include "store/store.h"

void
store_strings_free(struct store_strings *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static enum store_status
strings_of(struct store *s, const char *what, const char *sql,
    struct params *p, struct store_strings *out)
{
	PGresult *res;
	enum store_status st;
	int i, n;

	memset(out, 0, sizeof(*out));
	if ((st = q(s, what, sql, p, 0, &res)) != STORE_OK)
		return st;
	n = PQntuples(res);
	if (n > 0)
		out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (i = 0; i < n; i++)
		out->v[out->n++] = xstrdup(PQgetvalue(res, i, 0));
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_binding_list(struct store *s, int64_t key_id, struct store_strings *out)
{
	struct params p;

	p_init(&p);
	p_int8(&p, key_id);
	return strings_of(s, "binding: list", "SELECT address FROM binding"
	    " WHERE key_id = $1 ORDER BY lower(address)", &p, out);
}

void
pg_fprs_of(const PGresult *res, struct store_fprs *out)
{
	int i, n = PQntuples(res);

	memset(out, 0, sizeof(*out));
	if (n > 0)
		out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		size_t len = (size_t)PQgetlength(res, i, 0);

		if (len == 0 || len > 32)
			continue;
		memcpy(out->v[out->n].fpr, PQgetvalue(res, i, 0), len);
		out->v[out->n++].len = len;
	}
}

enum store_status
store_binding_key(struct store *s, const char *address, struct store_fpr *out)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	struct store_fprs f;

	memset(out, 0, sizeof(*out));
	p_init(&p);
	p_text(&p, address);
	if ((st = q(s, "binding: find", "SELECT k.fingerprint FROM binding b"
	    " JOIN keys k ON k.id = b.key_id WHERE lower(b.address) = lower($1)",
	    &p, 1, &res)) != STORE_OK)
		return st;
	pg_fprs_of(res, &f);
	PQclear(res);
	if (f.n == 0) {
		store_fprs_free(&f);
		return STORE_NOTFOUND;
	}
	*out = f.v[0];
	store_fprs_free(&f);
	return STORE_OK;
}

enum store_status
store_binding_put(struct store *s, int64_t key_id, const char *address,
    struct store_fprs *moved)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	memset(moved, 0, sizeof(*moved));
	p_init(&p);
	p_text(&p, address);
	p_int8(&p, key_id);
	/* C21: the address leaves any other key. */
	if ((st = q(s, "binding: move", "DELETE FROM binding b USING keys k"
	    " WHERE lower(b.address) = lower($1) AND k.id = b.key_id"
	    " AND b.key_id <> $2 RETURNING k.fingerprint", &p, 1, &res)) != STORE_OK)
		return st;
	pg_fprs_of(res, moved);
	PQclear(res);
	p_init(&p);
	p_text(&p, address);
	p_int8(&p, key_id);
	return q(s, "binding: add", "INSERT INTO binding (address, key_id)"
	    " VALUES ($1, $2) ON CONFLICT (lower(address)) DO NOTHING", &p, 0,
	    NULL);
}

enum store_status
store_binding_drop_address(struct store *s, const char *address,
    struct store_fprs *keys)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	p_init(&p);
	p_text(&p, address);
	if ((st = q(s, "binding: drop", "DELETE FROM binding b USING keys k"
	    " WHERE lower(b.address) = lower($1) AND k.id = b.key_id"
	    " RETURNING k.fingerprint", &p, 1, &res)) != STORE_OK)
		return st;
	pg_fprs_of(res, keys);
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_binding_drop_key(struct store *s, int64_t key_id, size_t *n)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	*n = 0;
	p_init(&p);
	p_int8(&p, key_id);
	if ((st = q(s, "binding: drop key", "DELETE FROM binding WHERE key_id = $1"
	    " RETURNING 1", &p, 0, &res)) != STORE_OK)
		return st;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_key_lock(struct store *s, const uint8_t *fpr, size_t len)
{
	struct params p;
	int64_t k = 0;
	size_t i;

	/* The lock store_owner_begin and the merges take. */
	for (i = 0; i < 8 && i < len; i++)
		k = (int64_t)((uint64_t)k << 8 | fpr[i]);
	p_init(&p);
	p_int8(&p, k);
	return q(s, "owner: lock", "SELECT pg_advisory_xact_lock($1)", &p, 0, NULL);
}

enum store_status
store_all_keys(struct store *s, struct store_fprs *out)
{
	PGresult *res;
	enum store_status st;

	memset(out, 0, sizeof(*out));
	if ((st = q(s, "keys: all", "SELECT fingerprint FROM keys ORDER BY id",
	    NULL, 1, &res)) != STORE_OK)
		return st;
	pg_fprs_of(res, out);
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_published_drop_unclaimed(struct store *s, size_t *n)
{
	PGresult *res;
	enum store_status st;

	*n = 0;
	if ((st = q(s, "published: drop", "DELETE FROM published p WHERE NOT"
	    " EXISTS (SELECT 1 FROM owner o WHERE o.key_id = p.key_id AND"
	    " o.claimed) RETURNING 1", NULL, 0, &res)) != STORE_OK)
		return st;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return STORE_OK;
}
