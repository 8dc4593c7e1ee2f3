/*
 * store/bulk.c - keymail import and export: merging a batch of checked
 * keys with a handful of statements (store_merge_keys), and dumping the
 * whole store in fingerprint order (store_export).
 *
 * Key data comes from files the operator loads (parsed and checked by the
 * caller, still untrusted); it reaches SQL only inside binary array
 * parameters. Memory: everything allocated for a batch is freed before
 * it returns; export hands each blob to the callback, valid only during
 * the call.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/words.h"
#include "util/xalloc.h"
#include "pgp/pgp.h"
#include "recon/recon.h"
#include "store/pg_internal.h"
#include "store/store.h"

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

static void
item_fail(struct store *s, struct store_bulk_item *it, enum store_status st)
{
	it->st = st;
	snprintf(it->why, sizeof(it->why), "%s", store_errmsg(s));
	memset(&it->counts, 0, sizeof(it->counts));
}

/* The row summary of a keys row write (as merge.c's p_row_summary) into
 * the five arrays a[0..4]: revoked, expires (0: NULL), primary user ID
 * (NULL: keep), data, and its digest (reconciliation.md 5.2); then a[5]
 * packet names and a[6] verified entries. */
static void
barr_row_summary(struct barr *a, bool revoked, uint32_t expires,
    const struct pg_merged *m)
{
	uint8_t digest[32];

	barr_bool(&a[0], revoked);
	if (expires)
		barr_int8(&a[1], (int64_t)expires);
	else
		barr_null(&a[1]);
	if (m->uid)
		barr_add(&a[2], m->uid, strlen(m->uid));
	else
		barr_null(&a[2]);
	barr_add(&a[3], m->blob.data, m->blob.len);
	/* The reconciliation digest goes with the bytes (our own blob
	 * always frames). */
	if (recon_key_digest(m->blob.data, m->blob.len, digest) == -1)
		memset(digest, 0, sizeof(digest));
	barr_add(&a[4], digest, sizeof(digest));
	barr_add(&a[5], m->names.data, m->names.len);
	barr_add(&a[6], m->verified.data, m->verified.len);
}

/* One statement's binary array parameters. */
struct cols {
	struct barr a[13];
	size_t n;
};

static void
cols_init(struct cols *c, const Oid *elem, size_t n)
{
	for (c->n = 0; c->n < n; c->n++)
		barr_init(&c->a[c->n], elem[c->n]);
}

static void
cols_free(struct cols *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		barr_free(&c->a[i]);
	c->n = 0;
}

static void
cols_params(struct cols *c, const Oid *arrtype, struct params *p)
{
	size_t i;

	p_init(p);
	for (i = 0; i < c->n; i++)
		p_barr(p, arrtype[i], &c->a[i]);
}

/*
 * The keys of a batch that were not stored (nnew of them, m[i].changed
 * and !row[i].found): row ids from the sequence, then each table with one
 * binary COPY. Nothing can conflict: the batch holds the keys' locks and
 * found them absent, their ids are new, and each key's side rows are
 * distinct (a key's user IDs and words are, its key IDs are made so
 * here). Sets row[i].id.
 */
static enum store_status
bulk_copy_new(struct store *s, struct store_bulk_item *it, struct pg_row *row,
    struct pg_merged *m, size_t n, size_t nnew)
{
	struct params p;
	struct pg_copy cp;
	PGresult *res;
	enum store_status st;
	const uint8_t *now;
	uint8_t digest[32];
	size_t i, j, k, r = 0;
	char **w;
	size_t nw;

	p_init(&p);
	p_int8(&p, (int64_t)nnew);
	/* clock_timestamp(), as merge_once: first_seen and changed */
	if ((st = q(s, "bulk merge: ids", "SELECT nextval('keys_id_seq'),"
	    " clock_timestamp() FROM generate_series(1, $1::int8)", &p, 1,
	    &res)) != STORE_OK)
		return st;
	if ((size_t)PQntuples(res) != nnew || PQgetlength(res, 0, 1) != 8) {
		PQclear(res);
		pg_set_err(s, xstrdup("bulk merge: no row ids"));
		return STORE_ERROR;
	}
	now = (const uint8_t *)PQgetvalue(res, 0, 1);
	if ((st = pg_copy_begin(s, &cp, "bulk merge: insert", "COPY keys (id,"
	    " fingerprint, version, algo, bits, keyid, created, revoked, expires,"
	    " primary_uid, data, digest, packets, verified, first_seen,"
	    " changed) FROM STDIN (FORMAT binary)")) != STORE_OK) {
		PQclear(res);
		return st;
	}
	for (i = 0; i < n; i++) {
		const struct pgp_key *key = it[i].key;

		if (!m[i].changed || row[i].found)
			continue;
		row[i].id = pg_get_int8(res, (int)r++, 0);
		pg_copy_row(&cp, 16);
		pg_copy_int8(&cp, row[i].id);
		pg_copy_bytes(&cp, key->pub.fpr, key->pub.fprlen);
		pg_copy_int2(&cp, key->pub.version);
		pg_copy_int2(&cp, key->pub.algo);
		pg_copy_int4(&cp, key->pub.bits);
		pg_copy_bytes(&cp, key->pub.keyid, 8);
		pg_copy_time(&cp, key->pub.created);
		pg_copy_bool(&cp, key->revoked);
		if (key->expires)
			pg_copy_time(&cp, key->expires);
		else
			pg_copy_null(&cp);
		if (m[i].uid)
			pg_copy_bytes(&cp, m[i].uid, strlen(m[i].uid));
		else
			pg_copy_null(&cp);
		pg_copy_bytes(&cp, m[i].blob.data, m[i].blob.len);
		/* the reconciliation digest goes with the bytes (our own
		 * blob always frames) */
		if (recon_key_digest(m[i].blob.data, m[i].blob.len,
		    digest) == -1)
			memset(digest, 0, sizeof(digest));
		pg_copy_bytes(&cp, digest, sizeof(digest));
		pg_copy_bytes(&cp, m[i].names.data, m[i].names.len);
		pg_copy_bytes(&cp, m[i].verified.data, m[i].verified.len);
		pg_copy_bytes(&cp, now, 8);	/* timestamptz, binary */
		pg_copy_bytes(&cp, now, 8);
	}
	PQclear(res);
	if ((st = pg_copy_end(&cp)) != STORE_OK)
		return st;

	if ((st = pg_copy_begin(s, &cp, "bulk merge: key IDs", "COPY keyids"
	    " (key_id, fingerprint, keyid, short_id, is_subkey) FROM STDIN"
	    " (FORMAT binary)")) != STORE_OK)
		return st;
	for (i = 0; i < n; i++) {
		const struct pgp_key *key = m[i].key;

		if (!m[i].changed || row[i].found)
			continue;
		for (j = 0; j <= key->nsubkeys; j++) {
			const struct pgp_pubkey *pub = j == 0 ? &key->pub :
			    &key->subkeys[j - 1].sub;

			if (pub->fprlen == 0 || pub->fprlen > sizeof(pub->fpr))
				continue;	/* unparsed subkey */
			/* a subkey that is the primary key again, or two
			 * subkeys of one fingerprint: the first row only */
			for (k = 0; k < j; k++) {
				const struct pgp_pubkey *o = k == 0 ? &key->pub :
				    &key->subkeys[k - 1].sub;

				if (o->fprlen == pub->fprlen &&
				    !memcmp(o->fpr, pub->fpr, pub->fprlen))
					break;
			}
			if (k < j)
				continue;
			pg_copy_row(&cp, 5);
			pg_copy_int8(&cp, row[i].id);
			pg_copy_bytes(&cp, pub->fpr, pub->fprlen);
			pg_copy_bytes(&cp, pub->keyid, 8);
			pg_copy_bytes(&cp, pub->keyid + 4, 4);	/* int4 */
			pg_copy_bool(&cp, j > 0);
		}
	}
	if ((st = pg_copy_end(&cp)) != STORE_OK)
		return st;

	if ((st = pg_copy_begin(s, &cp, "bulk merge: words", "COPY key_words"
	    " (word, key_id) FROM STDIN (FORMAT binary)")) != STORE_OK)
		return st;
	for (i = 0; i < n; i++) {
		if (!m[i].changed || row[i].found)
			continue;
		nw = pg_key_words(m[i].key, &w);
		for (j = 0; j < nw; j++) {
			pg_copy_row(&cp, 2);
			pg_copy_bytes(&cp, w[j], strlen(w[j]));
			pg_copy_int8(&cp, row[i].id);
		}
		words_free(w, nw);
	}
	if ((st = pg_copy_end(&cp)) != STORE_OK)
		return st;

	if ((st = pg_copy_begin(s, &cp, "bulk merge: user IDs", "COPY key_uids"
	    " (key_id, uid) FROM STDIN (FORMAT binary)")) != STORE_OK)
		return st;
	for (i = 0; i < n; i++) {
		const struct pgp_key *key = m[i].key;

		if (!m[i].changed || row[i].found)
			continue;
		for (j = 0; j < key->nuids; j++) {
			if (key->uids[j].pkt.tag != PGP_TAG_UID)
				continue;
			pg_copy_row(&cp, 2);
			pg_copy_int8(&cp, row[i].id);
			pg_copy_bytes(&cp, key->uids[j].pkt.body,
			    key->uids[j].pkt.len);
		}
	}
	return pg_copy_end(&cp);
}

/*
 * One attempt at a batch, in one transaction; on failure the caller rolls
 * back. The same steps as merge_once, a statement per step for the whole
 * batch instead of per key: lock every fingerprint (ascending, so two
 * batches never deadlock; a single merge holds one lock and so cannot
 * close a cycle), read the stored versions, merge in memory
 * (pg_merge_compute), then write new keys, changed keys, packet names of
 * keys stored before sql/050, key IDs, search words and user IDs with one
 * statement each, fed by binary array parameters.
 */
static enum store_status
bulk_once(struct store *s, struct store_bulk_item *it, size_t n,
    const struct pgp_limits *lim)
{
	struct pg_row *row = xcalloc(n, sizeof(*row));
	struct pg_merged *m = xcalloc(n, sizeof(*m));
	size_t *ord = xcalloc(n, sizeof(*ord));
	int64_t *locks = xcalloc(n, sizeof(*locks));
	struct cols c;
	struct params p;
	PGresult *res = NULL, *rd = NULL;
	enum store_status st;
	size_t i, nlocks = 0, nnew = 0, nupd = 0, nback = 0;
	int r;

	c.n = 0;
	for (i = 0; i < n; i++) {
		ord[i] = i;
		it[i].st = STORE_OK;
		it[i].why[0] = '\0';
		memset(&it[i].counts, 0, sizeof(it[i].counts));
		pg_merged_init(&m[i], lim);
	}
	qsort_r(ord, n, sizeof(*ord), cmp_item_fpr, it);
	for (i = 1; i < n; i++)
		if (cmp_item_fpr(&ord[i - 1], &ord[i], it) == 0) {
			pg_set_err(s, xstrdup("bulk merge: the same key twice "
			    "in one batch"));
			st = STORE_ERROR;
			goto out;
		}
	for (i = 0; i < n; i++)
		locks[i] = pg_fpr_lockkey(it[i].key);
	qsort(locks, n, sizeof(*locks), cmp_int64);
	for (i = 0; i < n; i++)
		if (nlocks == 0 || locks[nlocks - 1] != locks[i])
			locks[nlocks++] = locks[i];

	if ((st = q(s, "bulk merge: begin",
	    "BEGIN ISOLATION LEVEL READ COMMITTED", NULL, 0, NULL)) != STORE_OK)
		goto out;
	{
		static const Oid el[1] = { OID_INT8 }, at[1] = { OID_INT8_ARRAY };

		cols_init(&c, el, 1);
		for (i = 0; i < nlocks; i++)
			barr_int8(&c.a[0], locks[i]);
		cols_params(&c, at, &p);
	}
	/* unnest yields the array's order, and the locks are taken row by
	 * row in that order. */
	if ((st = q(s, "bulk merge: lock", "SELECT pg_advisory_xact_lock(k)"
	    " FROM unnest($1::int8[]) AS k", &p, 0, NULL)) != STORE_OK)
		goto out;
	cols_free(&c);

	{
		static const Oid el[1] = { OID_BYTEA }, at[1] = { OID_BYTEA_ARRAY };

		cols_init(&c, el, 1);
		for (i = 0; i < n; i++)
			barr_add(&c.a[0], it[i].key->pub.fpr,
			    it[i].key->pub.fprlen);
		cols_params(&c, at, &p);
	}
	if ((st = q(s, "bulk merge: read", "SELECT fingerprint, " PG_ROW_COLUMNS
	    " FROM keys WHERE fingerprint = ANY ($1::bytea[])", &p, 1,
	    &rd)) != STORE_OK)
		goto out;
	cols_free(&c);
	for (r = 0; r < PQntuples(rd); r++) {
		long k = find_item(it, ord, n, (const uint8_t *)PQgetvalue(rd, r, 0),
		    (size_t)PQgetlength(rd, r, 0));

		if (k >= 0)
			pg_row_read(rd, r, 1, &row[k]);
	}

	/* In memory, key by key. A key that cannot be merged (a limit, a
	 * stored blob that does not parse) is that key's failure, not the
	 * batch's: it is reported in its item and left out of the writes. */
	for (i = 0; i < n; i++) {
		st = pg_merge_compute(s, it[i].key, &row[i], lim,
		    &it[i].counts, &m[i]);
		if (st != STORE_OK) {
			item_fail(s, &it[i], st);
			m[i].changed = m[i].backfill = false;
			continue;
		}
		if (m[i].changed && !row[i].found)
			nnew++;
		else if (m[i].changed)
			nupd++;
		else if (m[i].backfill)
			nback++;
	}

	if (nnew > 0 && (st = bulk_copy_new(s, it, row, m, n, nnew)) != STORE_OK)
		goto out;

	if (nupd > 0) {
		static const Oid el[8] = { OID_INT8, OID_BOOL, OID_INT8,
		    OID_TEXT, OID_BYTEA, OID_BYTEA, OID_BYTEA, OID_BYTEA };
		static const Oid at[8] = { OID_INT8_ARRAY, OID_BOOL_ARRAY,
		    OID_INT8_ARRAY, OID_TEXT_ARRAY, OID_BYTEA_ARRAY,
		    OID_BYTEA_ARRAY, OID_BYTEA_ARRAY, OID_BYTEA_ARRAY };

		cols_init(&c, el, 8);
		for (i = 0; i < n; i++) {
			const struct pgp_key *k = it[i].key;

			if (!m[i].changed || !row[i].found)
				continue;
			barr_int8(&c.a[0], row[i].id);
			barr_row_summary(&c.a[1], k->revoked || row[i].revoked,
			    k->expires, &m[i]);
		}
		cols_params(&c, at, &p);
		/* Row summary as in merge_once. */
		if ((st = q(s, "bulk merge: update", "UPDATE keys AS k SET"
		    " revoked = t.r, expires = to_timestamp(t.e),"
		    " primary_uid = COALESCE(t.u, k.primary_uid), data = t.d,"
		    " digest = t.g, packets = t.n, verified = t.w,"
		    " changed = clock_timestamp()"
		    " FROM unnest($1::int8[], $2::bool[], $3::int8[], $4::text[],"
		    " $5::bytea[], $6::bytea[], $7::bytea[], $8::bytea[])"
		    " AS t(id, r, e, u, d, g, n, w) WHERE k.id = t.id",
		    &p, 0, NULL)) != STORE_OK)
			goto out;
		cols_free(&c);
	}

	if (nback > 0) {
		static const Oid el[3] = { OID_INT8, OID_BYTEA, OID_BYTEA };
		static const Oid at[3] = { OID_INT8_ARRAY, OID_BYTEA_ARRAY,
		    OID_BYTEA_ARRAY };

		cols_init(&c, el, 3);
		for (i = 0; i < n; i++) {
			if (!m[i].backfill)
				continue;
			barr_int8(&c.a[0], row[i].id);
			barr_add(&c.a[1], m[i].names.data, m[i].names.len);
			barr_add(&c.a[2], m[i].verified.data,
			    m[i].verified.len);
		}
		cols_params(&c, at, &p);
		if ((st = q(s, "bulk merge: names", "UPDATE keys AS k SET"
		    " packets = t.n, verified = t.w FROM unnest($1::int8[],"
		    " $2::bytea[], $3::bytea[]) AS t(id, n, w) WHERE k.id = t.id",
		    &p, 0, NULL)) != STORE_OK)
			goto out;
		cols_free(&c);
	}

	if (nupd > 0) {
		static const Oid el[9] = { OID_INT8, OID_BYTEA, OID_BYTEA,
		    OID_INT4, OID_BOOL, OID_TEXT, OID_INT8, OID_BYTEA, OID_INT8 };
		static const Oid at[5] = { OID_INT8_ARRAY, OID_BYTEA_ARRAY,
		    OID_BYTEA_ARRAY, OID_INT4_ARRAY, OID_BOOL_ARRAY };
		struct buf lit;
		size_t j, nk;

		/* Side tables of the updated keys: merges only add, so add
		 * what is missing. */
		cols_init(&c, el, 9);
		buf_init(&lit, 0);
		for (i = 0; i < n; i++) {
			if (!m[i].changed || !row[i].found)
				continue;
			nk = pg_keyids(m[i].key, &c.a[1]);
			for (j = 0; j < nk; j++)
				barr_int8(&c.a[0], row[i].id);
			buf_reset(&lit);
			if (pg_key_words_literal(m[i].key, &lit) > 0) {
				barr_add(&c.a[5], lit.data, lit.len);
				barr_int8(&c.a[6], row[i].id);
			}
			nk = pg_key_uids(m[i].key, &c.a[7]);
			for (j = 0; j < nk; j++)
				barr_int8(&c.a[8], row[i].id);
		}
		free(lit.data);
		p_init(&p);
		for (j = 0; j < 5; j++)
			p_barr(&p, at[j], &c.a[j]);
		if ((st = q(s, "bulk merge: key IDs", "INSERT INTO keyids"
		    " (key_id, fingerprint, keyid, short_id, is_subkey)"
		    " SELECT * FROM unnest($1::int8[], $2::bytea[], $3::bytea[],"
		    " $4::int4[], $5::bool[]) ON CONFLICT DO NOTHING",
		    &p, 0, NULL)) != STORE_OK)
			goto out;
		if (c.a[5].n > 0) {
			p_init(&p);
			p_barr(&p, OID_TEXT_ARRAY, &c.a[5]);
			p_barr(&p, OID_INT8_ARRAY, &c.a[6]);
			/* Each element of $1 is one key's text[] literal
			 * (pg_key_words_literal: [a-z0-9] words only). */
			if ((st = q(s, "bulk merge: words", "INSERT INTO key_words"
			    " (word, key_id) SELECT unnest(t.w::text[]), t.id"
			    " FROM unnest($1::text[], $2::int8[]) AS t(w, id)"
			    " ON CONFLICT DO NOTHING", &p, 0, NULL)) != STORE_OK)
				goto out;
		}
		if (c.a[7].n > 0) {
			p_init(&p);
			p_barr(&p, OID_INT8_ARRAY, &c.a[8]);
			p_barr(&p, OID_BYTEA_ARRAY, &c.a[7]);
			if ((st = q(s, "bulk merge: user IDs", "INSERT INTO key_uids"
			    " (key_id, uid) SELECT * FROM unnest($1::int8[],"
			    " $2::bytea[]) ON CONFLICT DO NOTHING", &p, 0,
			    NULL)) != STORE_OK)
				goto out;
		}
		cols_free(&c);
	}
	st = q(s, "bulk merge: commit", "COMMIT", NULL, 0, NULL);
out:
	cols_free(&c);
	PQclear(res);
	PQclear(rd);
	for (i = 0; i < n; i++)
		pg_merged_free(&m[i]);
	free(m);
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
		lim = &pg_default_limits;
	for (i = 0; i < n; i++) {
		const struct pgp_key *key = items[i].key;

		if (key == NULL || key->pub.fprlen == 0 ||
		    key->pub.fprlen > 32 || key->pkt.body == NULL) {
			pg_set_err(s, xstrdup("bulk merge: key without a parsed "
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
		pg_rollback(s);
		if (!s->retry || attempt >= STORE_MERGE_RETRIES)
			return st;
		pg_retry_pause(attempt);
	}
}

/*
 * One snapshot (REPEATABLE READ, read-only) and a server-side cursor, so
 * memory stays flat whatever the store's size (1000 rows per round
 * trip). Fingerprint order makes
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
		pg_rollback(s);
	return st;
}
