/*
 * store/subscription.c - key-update subscriptions in the store
 * (sql/031-subscription.sql, owner-control.md 10.1), and what the public
 * copy of one key is made from.
 *
 * Addresses are canonical addr-specs from mail (checked); they and the
 * fingerprints travel only as parameters. Memory: lists and blobs
 * returned belong to the caller.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"
#include "store/pg_internal.h"
#include "store/store.h"

static void
p_digest(struct params *p, const uint8_t *digest)
{
	if (digest != NULL)
		p_bytea(p, digest, 32);
	else
		p_text(p, NULL);
}

enum store_status
store_subscription_put(struct store *s, const char *address,
    const uint8_t *fpr, size_t fprlen, const uint8_t *digest)
{
	struct params p;

	p_init(&p);
	p_text(&p, address);
	p_bytea(&p, fpr, fprlen);
	p_digest(&p, digest);
	return q(s, "subscription: add", "INSERT INTO subscription (address,"
	    " fingerprint, digest) VALUES ($1, $2, $3::bytea) ON CONFLICT"
	    " (lower(address), fingerprint) DO UPDATE SET digest ="
	    " EXCLUDED.digest", &p, 0, NULL);
}

enum store_status
store_subscription_delete(struct store *s, const char *address,
    const uint8_t *fpr, size_t fprlen, size_t *n)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	*n = 0;
	p_init(&p);
	p_text(&p, address);
	if (fpr != NULL)
		p_bytea(&p, fpr, fprlen);
	else
		p_text(&p, NULL);
	if ((st = q(s, "subscription: delete", "DELETE FROM subscription WHERE"
	    " lower(address) = lower($1) AND ($2::bytea IS NULL OR fingerprint"
	    " = $2::bytea) RETURNING 1", &p, 0, &res)) != STORE_OK)
		return st;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_subscription_count(struct store *s, const char *address,
    const uint8_t *fpr, size_t fprlen, uint64_t *n, bool *has)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	p_init(&p);
	p_text(&p, address);
	p_bytea(&p, fpr, fprlen);
	if ((st = q(s, "subscription: count", "SELECT count(*),"
	    " count(*) FILTER (WHERE fingerprint = $2) FROM subscription"
	    " WHERE lower(address) = lower($1)", &p, 0, &res)) != STORE_OK)
		return st;
	*n = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	*has = strtoull(PQgetvalue(res, 0, 1), NULL, 10) > 0;
	PQclear(res);
	return STORE_OK;
}

void
store_subscriptions_free(struct store_subscriptions *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i].address);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

enum store_status
store_subscriptions_all(struct store *s, struct store_subscriptions *out)
{
	PGresult *res;
	enum store_status st;
	int i, n;

	memset(out, 0, sizeof(*out));
	/* Binary: fingerprints and digests as octets; the address's
	 * text comes back as it is. */
	if ((st = q(s, "subscription: all", "SELECT address, fingerprint, digest"
	    " FROM subscription ORDER BY lower(address), fingerprint", NULL, 1,
	    &res)) != STORE_OK)
		return st;
	n = PQntuples(res);
	if (n > 0)
		out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		struct store_subscription *e = &out->v[out->n];
		size_t len = (size_t)PQgetlength(res, i, 1);

		if (len == 0 || len > 32)
			continue;
		e->address = xstrndup(PQgetvalue(res, i, 0),
		    (size_t)PQgetlength(res, i, 0));
		memcpy(e->fpr, PQgetvalue(res, i, 1), len);
		e->fprlen = len;
		if (!PQgetisnull(res, i, 2) && PQgetlength(res, i, 2) == 32) {
			memcpy(e->digest, PQgetvalue(res, i, 2), 32);
			e->has_digest = true;
		}
		out->n++;
	}
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_subscription_sent(struct store *s, const char *address,
    const uint8_t *fpr, size_t fprlen, const uint8_t digest[32])
{
	struct params p;

	p_init(&p);
	p_text(&p, address);
	p_bytea(&p, fpr, fprlen);
	p_bytea(&p, digest, 32);
	return q(s, "subscription: sent", "UPDATE subscription SET digest = $3"
	    " WHERE lower(address) = lower($1) AND fingerprint = $2", &p, 0,
	    NULL);
}

enum store_status
store_public_inputs(struct store *s, const uint8_t *fpr, size_t fprlen,
    struct store_public_inputs *out)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	static const char *const states[] = { "unclaimed", "visible", "hidden" };
	int i;

	memset(out, 0, sizeof(*out));
	p_init(&p);
	p_bytea(&p, fpr, fprlen);
	if ((st = q(s, "public copy: read", "SELECT k.data, p.data, o.state"
	    " FROM keys k LEFT JOIN published p ON p.key_id = k.id"
	    " LEFT JOIN owner o ON o.key_id = k.id WHERE k.fingerprint = $1",
	    &p, 1, &res)) != STORE_OK)
		return st;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOTFOUND;
	}
	out->len = (size_t)PQgetlength(res, 0, 0);
	out->data = xmemdup(PQgetvalue(res, 0, 0), out->len);
	if (!PQgetisnull(res, 0, 1)) {
		out->published_len = (size_t)PQgetlength(res, 0, 1);
		out->published = xmemdup(PQgetvalue(res, 0, 1), out->published_len);
	}
	out->row = !PQgetisnull(res, 0, 2);
	out->state = STORE_UNCLAIMED;
	for (i = 0; out->row && i < 3; i++)
		if ((size_t)PQgetlength(res, 0, 2) == strlen(states[i]) &&
		    !memcmp(PQgetvalue(res, 0, 2), states[i], strlen(states[i])))
			out->state = (enum store_owner_state)i;
	PQclear(res);
	return STORE_OK;
}

void
store_public_inputs_free(struct store_public_inputs *in)
{
	if (in == NULL)
		return;
	free(in->data);
	free(in->published);
	memset(in, 0, sizeof(*in));
}

/* ---- expiry reminders (sql/032-reminder.sql, owner-control.md 10.2) ---- */

void
store_notify_keys_free(struct store_notify_keys *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].notify);
		free(l->v[i].data);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

enum store_status
store_notify_keys(struct store *s, struct store_notify_keys *out)
{
	PGresult *res;
	enum store_status st;
	int i, n;

	memset(out, 0, sizeof(*out));
	if ((st = q(s, "reminder: keys", "SELECT o.key_id, k.data, o.notify"
	    " FROM owner o JOIN keys k ON k.id = o.key_id WHERE"
	    " o.notify_confirmed AND o.notify IS NOT NULL ORDER BY o.key_id",
	    NULL, 1, &res)) != STORE_OK)
		return st;
	n = PQntuples(res);
	if (n > 0)
		out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		struct store_notify_key *e = &out->v[out->n++];

		e->key_id = pg_get_int8(res, i, 0);
		e->len = (size_t)PQgetlength(res, i, 1);
		e->data = xmemdup(PQgetvalue(res, i, 1), e->len);
		e->notify = xstrndup(PQgetvalue(res, i, 2),
		    (size_t)PQgetlength(res, i, 2));
	}
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_reminder_sent(struct store *s, int64_t key_id, int64_t due, bool mark,
    bool *sent)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	p_init(&p);
	p_int8(&p, key_id);
	p_int8(&p, due);
	if (mark)
		return q(s, "reminder: mark", "INSERT INTO reminder_sent (key_id,"
		    " due) VALUES ($1, $2) ON CONFLICT DO NOTHING", &p, 0, NULL);
	if ((st = q(s, "reminder: sent?", "SELECT 1 FROM reminder_sent WHERE"
	    " key_id = $1 AND due = $2", &p, 0, &res)) != STORE_OK)
		return st;
	*sent = PQntuples(res) > 0;
	PQclear(res);
	return STORE_OK;
}
