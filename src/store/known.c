/*
 * store/known.c - what the store knows of keys without reading them
 * (store_known_get): the packet names and verified entries of
 * sql/050-known.sql, for ADD and import to check only what is new and
 * to recognise a key that brings nothing new.
 *
 * Input: fingerprints of parsed keys (from mail or a dump), sent only as
 * a binary array parameter. The lists read back are ours; pgp/known.c
 * uses them so that a damaged list costs time, never correctness.
 * Memory: struct store_known owns its lists; store_known_free releases.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"
#include "pgp/pgp.h"
#include "store/pg_internal.h"
#include "store/store.h"

static int
cmp_fpr(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

static uint8_t *
copy_list(const PGresult *res, int r, int col, size_t unit, size_t *n)
{
	size_t len;

	*n = 0;
	if (PQgetisnull(res, r, col))
		return NULL;
	len = (size_t)PQgetlength(res, r, col);
	*n = len / unit;
	return *n ? xmemdup(PQgetvalue(res, r, col), *n * unit) : NULL;
}

enum store_status
store_known_get(struct store *s, const struct pgp_key *const *keys, size_t n,
    struct store_known *out)
{
	struct barr a;
	struct params p;
	PGresult *res;
	enum store_status st;
	size_t i;
	int r;

	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return STORE_OK;
	barr_init(&a, OID_BYTEA);
	for (i = 0; i < n; i++)
		barr_add(&a, keys[i]->pub.fpr, keys[i]->pub.fprlen);
	p_init(&p);
	p_barr(&p, OID_BYTEA_ARRAY, &a);
	st = q(s, "known", "SELECT fingerprint, packets, verified FROM keys"
	    " WHERE fingerprint = ANY ($1::bytea[])", &p, 1, &res);
	barr_free(&a);
	if (st != STORE_OK)
		return st;
	/* n is a chunk of an import (tens of keys) or one key of a mail:
	 * matching rows to keys by scanning is cheap enough. */
	for (r = 0; r < PQntuples(res); r++) {
		const uint8_t *f = (const uint8_t *)PQgetvalue(res, r, 0);
		size_t flen = (size_t)PQgetlength(res, r, 0);

		for (i = 0; i < n; i++) {
			struct store_known *k = &out[i];

			if (k->found || cmp_fpr(keys[i]->pub.fpr,
			    keys[i]->pub.fprlen, f, flen) != 0)
				continue;
			k->found = true;
			k->names = copy_list(res, r, 1, PGP_NAME_LEN, &k->nnames);
			k->verified = copy_list(res, r, 2, PGP_VERIFIED_LEN,
			    &k->nverified);
		}
	}
	PQclear(res);
	return STORE_OK;
}

void
store_known_free(struct store_known *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(k[i].names);
		free(k[i].verified);
		memset(&k[i], 0, sizeof(k[i]));
	}
}

void
store_known_view(const struct store_known *k, struct pgp_known *v)
{
	v->names = k->names;
	v->nnames = k->nnames;
	v->verified = k->verified;
	v->nverified = k->nverified;
}

const struct pgp_vstats *
store_vstats(const struct store *s)
{
	return &s->vstats;
}
