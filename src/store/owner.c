/*
 * store/owner.c - owner control in the store (sql/020-owner.sql): the
 * recorded policy, the view lookups answer with, owner transactions on
 * one key, published copies, suppressed sets, block lists and the nonces
 * of control blocks.
 *
 * Everything an owner command changes happens in one transaction opened
 * by store_owner_begin under the key's advisory lock (the one merges
 * take), so merges, commands and CONFIRMs of one key serialize.
 * Untrusted input: fingerprints, nonces, issuer names and addresses come
 * from mail; they travel only as parameters. Key blobs are ours.
 * Memory: struct store_owner owns its strings and blobs
 * (store_owner_free); lists returned belong to the caller.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"
#include "recon/recon.h"
#include "store/pg_internal.h"
#include "store/store.h"

static const char *const policy_names[] = { "open", "trusted", "verified" };
static const char *const state_names[] = { "unclaimed", "visible", "hidden" };
static const char *const class_columns[STORE_NCLASSES] = {
	"last_visibility", "last_content", "last_settings", "last_fetch"
};

const char *
store_policy_name(enum store_policy p)
{
	return (unsigned)p < 3 ? policy_names[p] : "?";
}

/* ---- the recorded policy ------------------------------------------------- */

enum store_status
store_policy_get(struct store *s, bool *recorded, enum store_policy *p)
{
	PGresult *res;
	enum store_status st;
	size_t i;

	*recorded = false;
	*p = STORE_POLICY_OPEN;
	if ((st = q(s, "policy", "SELECT mode FROM policy", NULL, 0, &res)) != STORE_OK)
		return st;
	if (PQntuples(res) == 1) {
		for (i = 0; i < 3; i++)
			if (!strcmp(PQgetvalue(res, 0, 0), policy_names[i]))
				*p = (enum store_policy)i;
		*recorded = true;
	}
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_policy_set(struct store *s, enum store_policy p)
{
	struct params pa;

	p_init(&pa);
	p_text(&pa, store_policy_name(p));
	return q(s, "policy: record", "INSERT INTO policy (only_row, mode)"
	    " VALUES (true, $1) ON CONFLICT (only_row) DO UPDATE SET"
	    " mode = EXCLUDED.mode, changed = now()", &pa, 0, NULL);
}

/* ---- the lookup view ----------------------------------------------------- */

void
store_set_view(struct store *s, enum store_policy p)
{
	if (s != NULL)
		s->view = p;
}

char *
pg_view_filter(const struct store *s, const char *idexpr)
{
	switch (s->view) {
	case STORE_POLICY_OPEN:
		return xasprintf(" AND NOT EXISTS (SELECT 1 FROM owner ov_"
		    " WHERE ov_.key_id = %s AND ov_.state = 'hidden')", idexpr);
	case STORE_POLICY_TRUSTED:
		return xasprintf(" AND EXISTS (SELECT 1 FROM owner ov_ JOIN"
		    " published pv_ ON pv_.key_id = ov_.key_id WHERE ov_.key_id"
		    " = %s AND ov_.state = 'visible')", idexpr);
	default:
		/* verified: every key has its verified copy (8.1). */
		return xasprintf(" AND EXISTS (SELECT 1 FROM published pv_ WHERE"
		    " pv_.key_id = %s)", idexpr);
	}
}

const char *
pg_view_blobs(const struct store *s)
{
	if (s->view == STORE_POLICY_OPEN)
		return "SELECT k.data, floor(extract(epoch FROM k.changed))::int8"
		    " FROM keys k";
	return "SELECT pb_.data, floor(extract(epoch FROM pb_.changed))::int8"
	    " FROM keys k JOIN published pb_ ON pb_.key_id = k.id";
}

/* ---- owner transactions -------------------------------------------------- */

void
store_owner_free(struct store_owner *o)
{
	if (o == NULL)
		return;
	free(o->notify);
	free(o->data);
	free(o->published);
	memset(o, 0, sizeof(*o));
}

static bool
is_true(const PGresult *r, int row, int col)
{
	return !PQgetisnull(r, row, col) && *PQgetvalue(r, row, col) == 't';
}

enum store_status
store_owner_begin(struct store *s, const uint8_t *fpr, size_t fprlen,
    struct store_owner *o)
{
	struct params p;
	PGresult *res = NULL;
	enum store_status st;
	size_t i;
	int c;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < STORE_NCLASSES; i++)
		o->last[i] = -1;
	if ((st = q(s, "owner: begin", "BEGIN ISOLATION LEVEL READ COMMITTED",
	    NULL, 0, NULL)) != STORE_OK)
		goto fail;
	if ((st = store_key_lock(s, fpr, fprlen)) != STORE_OK)
		goto fail;
	p_init(&p);
	p_bytea(&p, fpr, fprlen);
	/* The blobs in binary (bytea as text would be hex), the rest below
	 * as text. */
	if ((st = q(s, "owner: read", "SELECT k.data, p.data FROM keys k"
	    " LEFT JOIN published p ON p.key_id = k.id WHERE k.fingerprint = $1",
	    &p, 1, &res)) != STORE_OK)
		goto fail;
	if (PQntuples(res) == 0) {
		PQclear(res);
		pg_rollback(s);
		return STORE_NOTFOUND;
	}
	o->len = (size_t)PQgetlength(res, 0, 0);
	o->data = xmemdup(PQgetvalue(res, 0, 0), o->len);
	if (!PQgetisnull(res, 0, 1)) {
		o->published_len = (size_t)PQgetlength(res, 0, 1);
		o->published = xmemdup(PQgetvalue(res, 0, 1), o->published_len);
	}
	PQclear(res);
	if ((st = q(s, "owner: read", "SELECT k.id::text, k.revoked::text,"
	    " (o.key_id IS NOT NULL)::text, o.state, o.claimed::text, o.notify,"
	    " o.notify_confirmed::text, o.last_visibility::text,"
	    " o.last_content::text, o.last_settings::text, o.last_fetch::text"
	    " FROM keys k LEFT JOIN owner o ON o.key_id = k.id"
	    " WHERE k.fingerprint = $1", &p, 0, &res)) != STORE_OK)
		goto fail;
	o->key_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	o->revoked = is_true(res, 0, 1);
	o->row = is_true(res, 0, 2);
	if (o->row) {
		for (i = 0; i < 3; i++)
			if (!strcmp(PQgetvalue(res, 0, 3), state_names[i]))
				o->state = (enum store_owner_state)i;
		o->claimed = is_true(res, 0, 4);
		if (!PQgetisnull(res, 0, 5))
			o->notify = xstrdup(PQgetvalue(res, 0, 5));
		o->notify_confirmed = is_true(res, 0, 6);
		for (c = 0; c < STORE_NCLASSES; c++)
			if (!PQgetisnull(res, 0, 7 + c))
				o->last[c] = strtoll(PQgetvalue(res, 0, 7 + c), NULL, 10);
	}
	PQclear(res);
	return STORE_OK;
fail:
	pg_rollback(s);
	store_owner_free(o);
	return st;
}

enum store_status
store_owner_commit(struct store *s)
{
	enum store_status st = q(s, "owner: commit", "COMMIT", NULL, 0, NULL);

	if (st != STORE_OK)
		pg_rollback(s);
	return st;
}

void
store_owner_rollback(struct store *s)
{
	pg_rollback(s);
}

enum store_status
store_owner_end(struct store *s, enum store_status st)
{
	if (st != STORE_OK) {
		store_owner_rollback(s);
		return st;
	}
	return store_owner_commit(s);
}

enum store_status
store_owner_put(struct store *s, const struct store_owner *o)
{
	struct params p;
	int c;

	p_init(&p);
	p_int8(&p, o->key_id);
	p_text(&p, state_names[o->state]);
	p_bool(&p, o->claimed);
	p_text(&p, o->notify);
	p_bool(&p, o->notify_confirmed);
	for (c = 0; c < STORE_NCLASSES; c++) {
		if (o->last[c] >= 0)
			p_int8(&p, o->last[c]);
		else
			p_text(&p, NULL);
	}
	(void)class_columns;
	return q(s, "owner: write", "INSERT INTO owner (key_id, state, claimed,"
	    " notify, notify_confirmed, last_visibility, last_content,"
	    " last_settings, last_fetch) VALUES ($1, $2, $3, $4, $5, $6::int8,"
	    " $7::int8, $8::int8, $9::int8) ON CONFLICT (key_id) DO UPDATE SET"
	    " state = EXCLUDED.state, claimed = EXCLUDED.claimed,"
	    " notify = EXCLUDED.notify,"
	    " notify_confirmed = EXCLUDED.notify_confirmed,"
	    " last_visibility = EXCLUDED.last_visibility,"
	    " last_content = EXCLUDED.last_content,"
	    " last_settings = EXCLUDED.last_settings,"
	    " last_fetch = EXCLUDED.last_fetch", &p, 0, NULL);
}

enum store_status
store_published_put(struct store *s, int64_t key_id, const uint8_t *data,
    size_t len, const char *primary_uid, bool revoked)
{
	struct params p;
	uint8_t digest[32];

	/* The reconciliation digest (sql/041-recon-published.sql) goes with
	 * the copy's bytes, in the same statement (reconciliation.md 5.2). */
	if (recon_key_digest(data, len, digest) == -1)
		memset(digest, 0, sizeof(digest));
	p_init(&p);
	p_int8(&p, key_id);
	p_bytea(&p, data, len);
	p_text(&p, primary_uid);
	p_bool(&p, revoked);
	p_bytea(&p, digest, sizeof(digest));
	/* clock_timestamp(): as merges do, so LAST sees it as recent. */
	return q(s, "owner: publish", "INSERT INTO published (key_id, data,"
	    " primary_uid, revoked, digest, changed) VALUES ($1, $2, $3, $4,"
	    " $5, clock_timestamp()) ON CONFLICT (key_id) DO UPDATE SET"
	    " data = EXCLUDED.data, primary_uid = EXCLUDED.primary_uid,"
	    " revoked = EXCLUDED.revoked, digest = EXCLUDED.digest,"
	    " changed = EXCLUDED.changed", &p, 0, NULL);
}

enum store_status
store_sync_enqueue(struct store *s, int64_t key_id, char *const *trail,
    size_t ntrail)
{
	struct buf lit;
	enum store_status st;

	buf_init(&lit, 0);
	pg_text_array_literal(trail, ntrail, &lit);
	st = pg_sync_enqueue(s, key_id, (const char *)lit.data);
	buf_free(&lit);
	return st;
}

/* ---- suppressed sets and block lists ------------------------------------- */

enum store_status
store_suppressed_get(struct store *s, int64_t key_id, uint8_t (**out)[32],
    size_t *n)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	int i, rows;

	*out = NULL;
	*n = 0;
	p_init(&p);
	p_int8(&p, key_id);
	if ((st = q(s, "owner: suppressed", "SELECT hash FROM suppressed"
	    " WHERE key_id = $1 ORDER BY hash", &p, 1, &res)) != STORE_OK)
		return st;
	rows = PQntuples(res);
	if (rows > 0)
		*out = xcalloc((size_t)rows, sizeof(**out));
	for (i = 0; i < rows; i++)
		if (PQgetlength(res, i, 0) == 32)
			memcpy((*out)[(*n)++], PQgetvalue(res, i, 0), 32);
	PQclear(res);
	return STORE_OK;
}

static enum store_status
hashes_statement(struct store *s, const char *sql, int64_t key_id,
    const uint8_t (*h)[32], size_t n)
{
	struct barr a;
	struct params p;
	enum store_status st;
	size_t i;

	if (n == 0)
		return STORE_OK;
	barr_init(&a, OID_BYTEA);
	for (i = 0; i < n; i++)
		barr_add(&a, h[i], 32);
	p_init(&p);
	p_int8(&p, key_id);
	p_barr(&p, OID_BYTEA_ARRAY, &a);
	st = q(s, "owner: suppressed set", sql, &p, 0, NULL);
	barr_free(&a);
	return st;
}

enum store_status
store_suppressed_change(struct store *s, int64_t key_id,
    const uint8_t (*add)[32], size_t nadd, const uint8_t (*del)[32],
    size_t ndel)
{
	enum store_status st;

	st = hashes_statement(s, "INSERT INTO suppressed (key_id, hash)"
	    " SELECT $1, h FROM unnest($2::bytea[]) AS h ON CONFLICT DO NOTHING",
	    key_id, add, nadd);
	if (st == STORE_OK)
		st = hashes_statement(s, "DELETE FROM suppressed WHERE key_id = $1"
		    " AND hash = ANY ($2::bytea[])", key_id, del, ndel);
	return st;
}

enum store_status
store_blocked_get(struct store *s, int64_t key_id, char ***out, size_t *n)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	int i, rows;

	*out = NULL;
	*n = 0;
	p_init(&p);
	p_int8(&p, key_id);
	if ((st = q(s, "owner: blocked", "SELECT issuer FROM blocked"
	    " WHERE key_id = $1 ORDER BY issuer", &p, 0, &res)) != STORE_OK)
		return st;
	rows = PQntuples(res);
	if (rows > 0)
		*out = xcalloc((size_t)rows, sizeof(**out));
	for (i = 0; i < rows; i++)
		(*out)[(*n)++] = xstrdup(PQgetvalue(res, i, 0));
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_blocked_add(struct store *s, int64_t key_id, const char *issuer)
{
	struct params p;

	p_init(&p);
	p_int8(&p, key_id);
	p_text(&p, issuer);
	return q(s, "owner: block", "INSERT INTO blocked (key_id, issuer)"
	    " VALUES ($1, $2) ON CONFLICT DO NOTHING", &p, 0, NULL);
}

/* ---- nonces -------------------------------------------------------------- */

enum store_status
store_nonce_use(struct store *s, const uint8_t *fpr, size_t fprlen,
    const char *nonce, const uint8_t *msgid, time_t expires, bool *fresh,
    bool *same_mail)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	*fresh = false;
	*same_mail = false;
	p_init(&p);
	p_bytea(&p, fpr, fprlen);
	p_text(&p, nonce);
	if (msgid != NULL)
		p_bytea(&p, msgid, 32);
	else
		p_text(&p, NULL);
	p_int8(&p, (int64_t)expires);
	if ((st = q(s, "owner: nonce", "INSERT INTO control_nonce (fingerprint,"
	    " nonce, msgid, expires) VALUES ($1, $2, $3::bytea, to_timestamp($4))"
	    " ON CONFLICT DO NOTHING RETURNING 1", &p, 0, &res)) != STORE_OK)
		return st;
	*fresh = PQntuples(res) == 1;
	PQclear(res);
	if (*fresh || msgid == NULL)
		return STORE_OK;
	p_init(&p);
	p_bytea(&p, fpr, fprlen);
	p_text(&p, nonce);
	p_bytea(&p, msgid, 32);
	if ((st = q(s, "owner: nonce", "SELECT 1 FROM control_nonce WHERE"
	    " fingerprint = $1 AND nonce = $2 AND msgid = $3", &p, 0, &res)) != STORE_OK)
		return st;
	*same_mail = PQntuples(res) == 1;
	PQclear(res);
	return STORE_OK;
}

/* ---- keys with owner state ------------------------------------------------ */

void
store_fprs_free(struct store_fprs *f)
{
	if (f == NULL)
		return;
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

enum store_status
store_owner_keys(struct store *s, struct store_fprs *out)
{
	PGresult *res;
	enum store_status st;

	memset(out, 0, sizeof(*out));
	if ((st = q(s, "owner: keys", "SELECT k.fingerprint FROM owner o"
	    " JOIN keys k ON k.id = o.key_id ORDER BY k.id", NULL, 1,
	    &res)) != STORE_OK)
		return st;
	pg_fprs_of(res, out);
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_get_union(struct store *s, const uint8_t *fpr, size_t len,
    struct store_key *out)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	memset(out, 0, sizeof(*out));
	p_init(&p);
	p_bytea(&p, fpr, len);
	if ((st = q(s, "get union", "SELECT data, floor(extract(epoch FROM"
	    " changed))::int8 FROM keys WHERE fingerprint = $1", &p, 1,
	    &res)) != STORE_OK)
		return st;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOTFOUND;
	}
	out->len = (size_t)PQgetlength(res, 0, 0);
	out->data = xmemdup(PQgetvalue(res, 0, 0), out->len);
	out->changed = (time_t)pg_get_int8(res, 0, 1);
	PQclear(res);
	return STORE_OK;
}
