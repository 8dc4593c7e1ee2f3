/*
 * store/lookup.c - finding stored keys: by fingerprint, key ID, search
 * words, change time, row ids (MGET), the signers of certifications, and
 * the user ID for a key ID (VERBOSE INDEX).
 *
 * Lookups first collect at most limit+1 distinct key ids from the side
 * tables (index scans only), then fetch the blobs of at most limit keys
 * by primary key, so a TOOMANY answer never transfers key data and
 * nothing scans "keys".
 * Untrusted input: search words and IDs from mail, passed only as
 * parameters (the id arrays we build hold our own numbers).
 * Memory: results (struct store_keys, store_uid_for_keyid's string)
 * belong to the caller.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/words.h"
#include "util/xalloc.h"
#include "store/pg_internal.h"
#include "store/store.h"

#define STORE_MAX_SEARCH_WORDS	100	/* > KM_MAX_SEARCH / 3: never hit by a
					 * bounded INDEX argument */

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

	char *filter = pg_view_filter(s, "k.id");
	char *sql = xasprintf("%s WHERE k.id = ANY($1::int8[])%s"
	    " ORDER BY k.created DESC, k.id DESC", pg_view_blobs(s), filter);

	p_init(&p);
	p_text(&p, idarray);
	/* The view again: store_get_by_ids takes ids from a scan. */
	st = q(s, what, sql, &p, 1, &res);
	free(sql);
	free(filter);
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
		k->changed = (time_t)pg_get_int8(res, i, 1);
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
			pg_set_err(s, xasprintf("%s: unexpected key id", what));
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

/* lookup() of sql, a format with one %s where the view's filter on the
 * key row id idexpr goes (pg_view_filter). */
static enum store_status
lookup_view(struct store *s, const char *what, const char *fmt,
    const char *idexpr, const struct params *p, size_t limit,
    struct store_keys *out)
{
	char *filter = pg_view_filter(s, idexpr), *sql;
	enum store_status st;

	sql = xasprintf(fmt, filter);
	st = lookup(s, what, sql, p, limit, out);
	free(sql);
	free(filter);
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
		pg_set_err(s, xasprintf("get by fingerprint: bad length %zu", len));
		return STORE_ERROR;
	}
	p_init(&p);
	p_bytea(&p, fpr, len);
	p_int8(&p, limit_plus_one(limit));
	return lookup_view(s, "get by fingerprint", "SELECT DISTINCT key_id"
	    " FROM keyids WHERE fingerprint = $1%s LIMIT $2", "keyids.key_id", &p,
	    limit, out);
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
		return lookup_view(s, "get by key ID", "SELECT DISTINCT key_id"
		    " FROM keyids WHERE keyid = $1%s LIMIT $2", "keyids.key_id", &p,
		    limit, out);
	}
	if (id != NULL && len == 4) {
		p_int4_be(&p, id);
		p_int8(&p, limit_plus_one(limit));
		return lookup_view(s, "get by short key ID", "SELECT DISTINCT"
		    " key_id FROM keyids WHERE short_id = $1%s LIMIT $2", "keyids.key_id",
		    &p, limit, out);
	}
	pg_set_err(s, xasprintf("get by key ID: bad length %zu", len));
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
		pg_set_err(s, xasprintf("search: %zu words (at most %d)", nw,
		    STORE_MAX_SEARCH_WORDS));
		return STORE_ERROR;
	}

	/* Only placeholders and our own counters go into the text. */
	buf_init(&sql, 0);
	(void)buf_puts(&sql, "SELECT w1.key_id FROM key_words w1");
	for (k = 2; k <= nw; k++)
		(void)buf_printf(&sql, " JOIN key_words w%zu ON w%zu.key_id ="
		    " w1.key_id AND w%zu.word = $%zu", k, k, k, k);
	{
		char *filter = pg_view_filter(s, "w1.key_id");

		(void)buf_printf(&sql, " WHERE w1.word = $1%s LIMIT $%zu",
		    filter, nw + 1);
		free(filter);
	}
	vals = xcalloc(nw + 1, sizeof(*vals));
	types = xcalloc(nw + 1, sizeof(*types));
	for (k = 0; k < nw; k++) {
		vals[k] = w[k];
		types[k] = OID_TEXT;
	}
	snprintf(lim, sizeof(lim), "%" PRId64, limit_plus_one(limit));
	vals[nw] = lim;
	types[nw] = OID_INT8;

	if ((st = pg_qv(s, "search", (const char *)sql.data, (int)nw + 1, types,
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
	/* Under a published view, the published copy's change counts. */
	if (s->view != STORE_POLICY_OPEN)
		return lookup_view(s, "changed since", "SELECT key_id FROM"
		    " published WHERE changed >= to_timestamp($1::int8)%s LIMIT $2",
		    "published.key_id", &p, limit, out);
	return lookup_view(s, "changed since", "SELECT id FROM keys"
	    " WHERE changed >= to_timestamp($1::int8)%s LIMIT $2", "keys.id",
	    &p, limit, out);
}

/* The planner's numbers: reltuples (kept by ANALYZE and autovacuum, and
 * replicated, so a standby has it too) or the statistics collector's live
 * row count (current within a second, on the primary only), the larger. */
enum store_status
store_estimate_keys(struct store *s, long long *n)
{
	PGresult *res;
	enum store_status st;

	*n = 0;
	if ((st = q(s, "key count estimate", "SELECT greatest(c.reltuples::int8,"
	    " coalesce(t.n_live_tup, 0), 0)"
	    " FROM pg_class c LEFT JOIN pg_stat_user_tables t ON t.relid = c.oid"
	    " WHERE c.oid = 'keys'::regclass", NULL, 0, &res)) != STORE_OK)
		return st;
	if (PQntuples(res) == 1)
		*n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

/* Of several keys sharing a 64-bit ID (collisions exist), the newest
 * created one answers. */
enum store_status
store_uid_for_keyid(struct store *s, const uint8_t id[8], char **uid)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	char *filter = pg_view_filter(s, "k.id"), *sql;

	*uid = NULL;
	p_init(&p);
	p_bytea(&p, id, 8);
	/* Under a published view, the published copy's primary user ID. */
	sql = xasprintf("SELECT %s.primary_uid"
	    " FROM keyids i JOIN keys k ON k.id = i.key_id%s"
	    " WHERE i.keyid = $1 AND NOT i.is_subkey"
	    " AND %s.primary_uid IS NOT NULL%s"
	    " ORDER BY k.created DESC, k.id DESC LIMIT 1",
	    s->view == STORE_POLICY_OPEN ? "k" : "pu_",
	    s->view == STORE_POLICY_OPEN ? "" :
	    " JOIN published pu_ ON pu_.key_id = k.id",
	    s->view == STORE_POLICY_OPEN ? "k" : "pu_", filter);
	st = q(s, "user ID for key ID", sql, &p, 0, &res);
	free(sql);
	free(filter);
	if (st != STORE_OK)
		return st;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOTFOUND;
	}
	*uid = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return STORE_OK;
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
