/*
 * store/held.c - held items of trusted mode (owner-control.md 7.3): what
 * came in for a claimed key and waits for its owner's ACCEPT or REJECT.
 *
 * Called inside an owner transaction (store_owner_begin), so the caps
 * (issuers and bytes per key) are checked and kept under the key's lock.
 * Issuer and component names are built by pgp/publish.c from signature
 * fields (untrusted data, our formatting); they travel as parameters.
 * Memory: struct store_helds owns its blobs (store_helds_free).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"
#include "store/pg_internal.h"
#include "store/store.h"

void
store_helds_free(struct store_helds *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++)
		free(h->v[i].data);
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

enum store_status
store_held_list(struct store *s, int64_t key_id, struct store_helds *out)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	int i, n;

	out->v = NULL;
	out->n = 0;
	p_init(&p);
	p_int8(&p, key_id);
	/* Binary results: text columns come as their bytes, numbers as
	 * network-order int8. */
	if ((st = q(s, "held: list", "SELECT issuer, issuer_keyid, component,"
	    " created, floor(extract(epoch FROM expires))::int8, data FROM held"
	    " WHERE key_id = $1 ORDER BY issuer, component", &p, 1,
	    &res)) != STORE_OK)
		return st;
	n = PQntuples(res);
	if (n > 0)
		out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		struct store_held *h = &out->v[out->n++];

		snprintf(h->issuer, sizeof(h->issuer), "%.*s",
		    PQgetlength(res, i, 0), PQgetvalue(res, i, 0));
		if (PQgetlength(res, i, 1) == 8)
			memcpy(h->issuer_keyid, PQgetvalue(res, i, 1), 8);
		snprintf(h->component, sizeof(h->component), "%.*s",
		    PQgetlength(res, i, 2), PQgetvalue(res, i, 2));
		h->created = pg_get_int8(res, i, 3);
		h->expires = (time_t)pg_get_int8(res, i, 4);
		h->len = (size_t)PQgetlength(res, i, 5);
		h->data = xmemdup(PQgetvalue(res, i, 5), h->len);
	}
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_held_put(struct store *s, int64_t key_id, const char *issuer,
    const uint8_t keyid[8], const char *component, int64_t created,
    const uint8_t *data, size_t len, time_t now, time_t ttl,
    size_t max_issuers, size_t max_size, bool *refused)
{
	static const uint8_t zero[8];
	struct params p;
	PGresult *res;
	enum store_status st;
	bool issuer_known, have_item;
	int64_t old_created = 0, issuers = 0, bytes = 0, old_len = 0;

	*refused = false;
	p_init(&p);
	p_int8(&p, key_id);
	p_text(&p, issuer);
	p_text(&p, component);
	if ((st = q(s, "held: caps", "SELECT"
	    " (SELECT count(DISTINCT issuer) FROM held WHERE key_id = $1),"
	    " (SELECT coalesce(sum(octet_length(data)), 0) FROM held"
	    "  WHERE key_id = $1),"
	    " EXISTS (SELECT 1 FROM held WHERE key_id = $1 AND issuer = $2),"
	    " (SELECT created FROM held WHERE key_id = $1 AND issuer = $2"
	    "  AND component = $3),"
	    " (SELECT octet_length(data) FROM held WHERE key_id = $1"
	    "  AND issuer = $2 AND component = $3)",
	    &p, 0, &res)) != STORE_OK)
		return st;
	issuers = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	bytes = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	issuer_known = *PQgetvalue(res, 0, 2) == 't';
	have_item = !PQgetisnull(res, 0, 3);
	if (have_item) {
		old_created = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
		old_len = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
	}
	PQclear(res);
	/* Newest wins; the same item again changes nothing. */
	if (have_item && old_created >= created)
		return STORE_OK;
	if (!issuer_known && max_issuers != 0 && (size_t)issuers >= max_issuers) {
		*refused = true;
		return STORE_OK;
	}
	if (max_size != 0 && (size_t)(bytes - old_len) + len > max_size) {
		*refused = true;
		return STORE_OK;
	}
	p_init(&p);
	p_int8(&p, key_id);
	p_text(&p, issuer);
	p_bytea(&p, keyid ? keyid : zero, 8);
	p_text(&p, component);
	p_int8(&p, created);
	p_bytea(&p, data, len);
	p_int8(&p, (int64_t)(now + ttl));
	/* received to the microsecond: a digest reports the items received
	 * up to a mark it stores (store_digest_sent), so that an item that
	 * arrives in the same second as a digest is not taken as reported. */
	return q(s, "held: put", "INSERT INTO held (key_id, issuer, issuer_keyid,"
	    " component, created, data, received, expires, fetched) VALUES ($1, $2,"
	    " $3, $4, $5, $6, clock_timestamp(), to_timestamp($7), NULL)"
	    " ON CONFLICT (key_id, issuer, component) DO UPDATE SET"
	    " issuer_keyid = EXCLUDED.issuer_keyid, created = EXCLUDED.created,"
	    " data = EXCLUDED.data, received = EXCLUDED.received,"
	    " expires = EXCLUDED.expires, fetched = NULL", &p, 0, NULL);
}

enum store_status
store_held_delete(struct store *s, int64_t key_id, const char *issuer,
    const char *component)
{
	struct params p;

	p_init(&p);
	p_int8(&p, key_id);
	p_text(&p, issuer);
	p_text(&p, component);
	return q(s, "held: delete", "DELETE FROM held WHERE key_id = $1"
	    " AND issuer = $2 AND component = $3", &p, 0, NULL);
}

enum store_status
store_held_fetched(struct store *s, int64_t key_id, time_t now,
    time_t after_fetch)
{
	struct params p;

	p_init(&p);
	p_int8(&p, key_id);
	p_int8(&p, (int64_t)now);
	p_int8(&p, (int64_t)(now + after_fetch));
	return q(s, "held: fetched", "UPDATE held SET"
	    " fetched = coalesce(fetched, to_timestamp($2)),"
	    " expires = least(expires, coalesce(fetched, to_timestamp($2))"
	    " + (to_timestamp($3) - to_timestamp($2)))"
	    " WHERE key_id = $1", &p, 0, NULL);
}

/* ---- digests --------------------------------------------------------------- */

void
store_digests_free(struct store_digests *d)
{
	size_t i, j;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].notify);
		for (j = 0; j < d->v[i].nissuers; j++)
			free(d->v[i].issuers[j]);
		free(d->v[i].issuers);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

enum store_status
store_digest_due(struct store *s, size_t max, struct store_digests *out)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	int i, n;

	out->v = NULL;
	out->n = 0;
	p_init(&p);
	p_int8(&p, (int64_t)(max > STORE_MAX_LIMIT ? STORE_MAX_LIMIT : max));
	if ((st = q(s, "digests", "SELECT o.key_id::text, encode(k.fingerprint,"
	    " 'hex'), o.notify, count(*)::text, array_to_string(array_agg(DISTINCT"
	    " h.issuer ORDER BY h.issuer), ' '),"
	    " floor(extract(epoch FROM min(h.expires)))::text, max(h.received)::text"
	    " FROM owner o JOIN keys k ON k.id = o.key_id"
	    " JOIN held h ON h.key_id = o.key_id"
	    " WHERE o.claimed AND o.notify IS NOT NULL AND o.notify_confirmed"
	    " AND h.received > coalesce(o.digest_at, '-infinity')"
	    " GROUP BY o.key_id, k.fingerprint, o.notify"
	    " ORDER BY min(h.received), o.key_id LIMIT $1", &p, 0, &res)) != STORE_OK)
		return st;
	n = PQntuples(res);
	if (n > 0)
		out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		struct store_digest *d = &out->v[out->n++];
		const char *hex = PQgetvalue(res, i, 1), *w;
		size_t j, hl = strlen(hex);

		d->key_id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		for (j = 0; j + 1 < hl && j / 2 < sizeof(d->fpr); j += 2) {
			unsigned v;

			(void)sscanf(hex + j, "%2x", &v);
			d->fpr[d->fprlen++] = (uint8_t)v;
		}
		d->notify = xstrdup(PQgetvalue(res, i, 2));
		d->nnew = (size_t)strtoull(PQgetvalue(res, i, 3), NULL, 10);
		for (w = PQgetvalue(res, i, 4); *w; ) {
			size_t len = strcspn(w, " ");

			if (len > 0) {
				d->issuers = xreallocarray(d->issuers, d->nissuers + 1,
				    sizeof(*d->issuers));
				d->issuers[d->nissuers++] = xstrndup(w, len);
			}
			w += len;
			w += strspn(w, " ");
		}
		d->deadline = (time_t)strtoll(PQgetvalue(res, i, 5), NULL, 10);
		snprintf(d->mark, sizeof(d->mark), "%s", PQgetvalue(res, i, 6));
	}
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_digest_sent(struct store *s, const struct store_digest *d)
{
	struct params p;

	p_init(&p);
	p_int8(&p, d->key_id);
	p_text(&p, d->mark);
	return q(s, "digest sent", "UPDATE owner SET digest_at = $2::timestamptz"
	    " WHERE key_id = $1", &p, 0, NULL);
}
