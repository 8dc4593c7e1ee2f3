/*
 * store/merge.c - merging one checked key into the store
 * (store_merge_key, store_merge_key_sync), and the in-memory merge step
 * and search words that the bulk merge (bulk.c) shares.
 *
 * Key data comes from mail: it is untrusted, but the caller has parsed
 * and checked it (pgp_key_check) before store_merge_key sees it. It
 * reaches SQL only as binary parameters.
 * Memory: everything allocated for a merge is freed before it returns.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/limits.h"
#include "util/words.h"
#include "util/xalloc.h"
#include "pgp/pgp.h"
#include "recon/recon.h"
#include "store/pg_internal.h"
#include "store/store.h"

/* X-KeyServer-Sent entries kept per queued key (mail_parse's max_headers
 * bounds them first). */
#define STORE_MAX_TRAIL		1000

const struct pgp_limits pg_default_limits = {
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

/* The search words of k's user IDs, sorted, each once, plain words only
 * (pg_internal.h). */
size_t
pg_key_words(const struct pgp_key *k, char ***out)
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
	for (i = 0; i < nall; i++) {
		if ((n > 0 && !strcmp(all[i], all[n - 1])) || !plain_word(all[i])) {
			free(all[i]);
			continue;
		}
		all[n++] = all[i];
	}
	*out = all;
	return n;
}

/* The search words of k's user IDs as a text[] literal (pg_internal.h). */
size_t
pg_key_words_literal(const struct pgp_key *k, struct buf *lit)
{
	char **w;
	size_t n = pg_key_words(k, &w), i;

	(void)buf_putc(lit, '{');
	for (i = 0; i < n; i++)
		(void)buf_printf(lit, "%s\"%s\"", i ? "," : "", w[i]);
	(void)buf_putc(lit, '}');
	words_free(w, n);
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

int64_t
pg_fpr_lockkey(const struct pgp_key *key)
{
	int64_t k = 0;
	size_t i;

	for (i = 0; i < 8 && i < key->pub.fprlen; i++)
		k = (int64_t)((uint64_t)k << 8 | key->pub.fpr[i]);
	return k;
}

/*
 * A PostgreSQL text[] literal of the distinct non-empty strings in v
 * (at most STORE_MAX_TRAIL of them): {"a","b"}, each element quoted, with
 * '"' and '\\' escaped, so any text survives. The strings are lower-case
 * addr-specs from the mail layer; they are untrusted, but the literal
 * only ever travels as a parameter.
 */
void
pg_text_array_literal(char *const *v, size_t n, struct buf *lit)
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
    size_t storedlen, const struct pgp_known *known,
    const struct pgp_limits *lim, struct pgp_merge_counts *c)
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
		(void)pgp_key_check_certs_known(merged, lim->max_sigs_per_uid,
		    b, signers.n, time(NULL), known, &s->vstats);
		free(b);
		store_keys_free(&signers);
	}
	dropped = pgp_key_cap_certs(merged, lim->max_sigs_per_uid);
	if (dropped != 0 && stored != NULL) {
		old = pgp_key_parse_one(stored, storedlen, lim, &pst);
		if (old == NULL) {
			pg_set_err(s, xasprintf("merge: stored key does not parse: "
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

void
pg_row_read(const PGresult *res, int r, int col, struct pg_row *row)
{
	memset(row, 0, sizeof(*row));
	row->found = true;
	row->id = pg_get_int8(res, r, col);
	row->data = (const uint8_t *)PQgetvalue(res, r, col + 1);
	row->len = (size_t)PQgetlength(res, r, col + 1);
	row->revoked = *PQgetvalue(res, r, col + 2) != 0;
	row->has_uid = *PQgetvalue(res, r, col + 3) != 0;
	row->has_names = *PQgetvalue(res, r, col + 4) != 0;
	if (!PQgetisnull(res, r, col + 5)) {
		row->verified = (const uint8_t *)PQgetvalue(res, r, col + 5);
		row->nverified = (size_t)PQgetlength(res, r, col + 5) /
		    PGP_VERIFIED_LEN;
	}
}

void
pg_merged_init(struct pg_merged *m, const struct pgp_limits *lim)
{
	memset(m, 0, sizeof(*m));
	buf_init(&m->blob, lim->max_key_size);
	buf_init(&m->names, 0);
	buf_init(&m->verified, 0);
}

void
pg_merged_free(struct pg_merged *m)
{
	pgp_key_free(m->key);
	free(m->uid);
	/* buf_free() would leave a fresh allocation behind: free outright. */
	free(m->blob.data);
	free(m->names.data);
	free(m->verified.data);
	memset(m, 0, sizeof(*m));
}

/*
 * The packet names of the merged key, and the verified entries to keep
 * with it: what the row had, what checking key found, what the
 * flooding rule verified (merged->verified), less what is not in the
 * merged key any more.
 */
static void
names_and_verified(const struct pgp_key *key, const struct pg_row *row,
    struct pg_merged *m)
{
	size_t n = pgp_key_names(m->key, &m->names);

	if (row->nverified)
		(void)buf_append(&m->verified, row->verified,
		    row->nverified * PGP_VERIFIED_LEN);
	if (key->nverified)
		(void)buf_append(&m->verified, key->verified,
		    key->nverified * PGP_VERIFIED_LEN);
	if (m->key->nverified)
		(void)buf_append(&m->verified, m->key->verified,
		    m->key->nverified * PGP_VERIFIED_LEN);
	pgp_verified_keep(&m->verified, m->names.data, n);
}

/* The in-memory half of a merge, also bulk_once's (pg_internal.h). */
enum store_status
pg_merge_compute(struct store *s, const struct pgp_key *key,
    const struct pg_row *row, const struct pgp_limits *lim,
    struct pgp_merge_counts *c, struct pg_merged *m)
{
	struct pgp_merge_counts scratch;
	struct pgp_known known;
	struct pgp_key *merged;
	enum pgp_status pst;
	enum store_status st;
	bool found = row->found;
	size_t npkt;

	memset(c, 0, sizeof(*c));
	memset(&scratch, 0, sizeof(scratch));
	memset(&known, 0, sizeof(known));
	known.verified = row->verified;
	known.nverified = row->nverified;
	if (found) {
		merged = pgp_key_parse_one(row->data, row->len, lim, &pst);
		if (merged == NULL) {
			char hex[65];

			pgp_hex(key->pub.fpr, key->pub.fprlen, hex);
			pg_set_err(s, xasprintf("merge: stored key %s does not "
			    "parse: %s", hex, pgp_strerror(pst)));
			return pst == PGP_ERR_LIMIT ? STORE_LIMIT : STORE_ERROR;
		}
	} else {
		merged = key_stub(key);
	}
	m->key = merged;

	/* A new key is counted whole below (pgp_key_count), not here. */
	if (pgp_key_merge(merged, key, found ? c : &scratch) < 0) {
		pg_set_err(s, xstrdup("merge: primary key packets differ for the "
		    "same fingerprint"));
		return STORE_ERROR;
	}
	if (lim->max_sigs_per_uid != 0 && (!found || !counts_zero(c)) &&
	    (st = cap_certs(s, merged, row->data, row->len, &known, lim,
	    c)) != STORE_OK)
		return st;
	if (found && counts_zero(c)) {
		/* Nothing new. A row stored before sql/050 gets its packet
		 * names now, so that the next time costs nothing. */
		if (!row->has_names) {
			names_and_verified(key, row, m);
			m->backfill = true;
		}
		return STORE_OK;
	}

	/* Flooding defence: refuse to grow a key past what we would accept
	 * (and could parse back) in one piece. Zero means no limit. */
	npkt = count_packets(merged);
	if (lim->max_packets_per_key != 0 && npkt > lim->max_packets_per_key) {
		pg_set_err(s, xasprintf("merge: merged key would have %zu packets "
		    "(max_packets_per_key %zu)", npkt, lim->max_packets_per_key));
		return STORE_LIMIT;
	}
	pgp_key_canonicalize(merged);
	if (!found)
		pgp_key_count(merged, c);	/* sets new_keys = 1 */
	if (pgp_key_write(merged, &m->blob) < 0) {
		pg_set_err(s, xasprintf("merge: merged key would exceed "
		    "max_key_size (%zu bytes)", lim->max_key_size));
		return STORE_LIMIT;
	}
	names_and_verified(key, row, m);
	m->uid = summary_uid(key, merged, row->has_uid);
	m->changed = true;
	return STORE_OK;
}

size_t
pg_keyids(const struct pgp_key *k, struct barr *a)
{
	size_t i, n = 0;

	for (i = 0; i <= k->nsubkeys; i++) {
		const struct pgp_pubkey *pub = i == 0 ? &k->pub :
		    &k->subkeys[i - 1].sub;

		if (pub->fprlen == 0 || pub->fprlen > sizeof(pub->fpr))
			continue;	/* unparsed (unknown-version) subkey */
		barr_add(&a[0], pub->fpr, pub->fprlen);
		barr_add(&a[1], pub->keyid, 8);
		/* binary int4 is 4 octets in network order: the short ID */
		barr_add(&a[2], pub->keyid + 4, 4);
		barr_bool(&a[3], i > 0);
		n++;
	}
	return n;
}

size_t
pg_key_uids(const struct pgp_key *k, struct barr *a)
{
	size_t i, n = 0;

	for (i = 0; i < k->nuids; i++)
		if (k->uids[i].pkt.tag == PGP_TAG_UID) {
			barr_add(a, k->uids[i].pkt.body, k->uids[i].pkt.len);
			n++;
		}
	return n;
}

/* The last five values of a keys row write, in this order: revoked,
 * expires (0: none, SQL NULL), primary user ID (NULL: keep), data, and
 * its digest (reconciliation.md 5.2), which digest[] holds for the
 * statement. */
static void
p_row_summary(struct params *p, bool revoked, uint32_t expires,
    const char *uid, const struct buf *blob, uint8_t digest[32])
{
	p_bool(p, revoked);
	if (expires)
		p_int8(p, (int64_t)expires);
	else
		p_text(p, NULL);
	p_text(p, uid);
	p_bytea(p, blob->data, blob->len);
	/* The reconciliation digest (sql/040-recon.sql) goes with the
	 * bytes, in the same statement. Our own blob always frames. */
	if (recon_key_digest(blob->data, blob->len, digest) == -1)
		memset(digest, 0, 32);
	p_bytea(p, digest, 32);
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
	struct pg_merged m;
	struct pg_row row;
	struct params p;
	struct barr a[4];
	PGresult *res = NULL;
	enum store_status st;
	struct buf lit;
	int64_t id;
	uint8_t digest[32];
	size_t na = 0, j;

	pg_merged_init(&m, lim);
	buf_init(&lit, 0);
	memset(c, 0, sizeof(*c));
	memset(&row, 0, sizeof(row));

	if ((st = q(s, "merge: begin",
	    "BEGIN ISOLATION LEVEL READ COMMITTED", NULL, 0, NULL)) != STORE_OK)
		goto out;
	p_init(&p);
	p_int8(&p, pg_fpr_lockkey(key));
	if ((st = q(s, "merge: lock", "SELECT pg_advisory_xact_lock($1)",
	    &p, 0, NULL)) != STORE_OK)
		goto out;
	p_init(&p);
	p_bytea(&p, key->pub.fpr, key->pub.fprlen);
	if ((st = q(s, "merge: read", "SELECT " PG_ROW_COLUMNS
	    " FROM keys WHERE fingerprint = $1", &p, 1, &res)) != STORE_OK)
		goto out;
	if (PQntuples(res) > 0)
		pg_row_read(res, 0, 0, &row);
	st = pg_merge_compute(s, key, &row, lim, c, &m);
	if (st != STORE_OK)
		goto out;
	id = row.id;
	if (m.backfill) {
		/* Nothing new: only the names; "changed" stays as it was. */
		p_init(&p);
		p_int8(&p, id);
		p_bytea(&p, m.names.data, m.names.len);
		p_bytea(&p, m.verified.data, m.verified.len);
		if ((st = q(s, "merge: names", "UPDATE keys SET packets = $2,"
		    " verified = $3 WHERE id = $1", &p, 0, NULL)) != STORE_OK)
			goto out;
	}
	if (!m.changed) {
		/* Nothing new: no write, "changed" stays as it was. */
		st = q(s, "merge: commit", "COMMIT", NULL, 0, NULL);
		goto out;
	}

	/* Row summary. revoked only ever turns on: the stored row may have
	 * seen a revocation this upload lacks. expires and the primary user
	 * ID follow the key pgp_key_check just examined (see store.h). */
	p_init(&p);
	if (row.found) {
		p_int8(&p, id);
		p_row_summary(&p, key->revoked || row.revoked, key->expires,
		    m.uid, &m.blob, digest);
		p_bytea(&p, m.names.data, m.names.len);
		p_bytea(&p, m.verified.data, m.verified.len);
		/* clock_timestamp(), not now(): closer to the commit, so a
		 * reader polling "changed since" misses less of us. */
		st = q(s, "merge: update", "UPDATE keys SET revoked = $2,"
		    " expires = to_timestamp($3::int8),"
		    " primary_uid = COALESCE($4, primary_uid),"
		    " data = $5, digest = $6, packets = $7, verified = $8,"
		    " changed = clock_timestamp() WHERE id = $1",
		    &p, 0, NULL);
		PQclear(res);
		res = NULL;
	} else {
		PQclear(res);
		res = NULL;
		p_bytea(&p, key->pub.fpr, key->pub.fprlen);
		p_int8(&p, key->pub.version);
		p_int8(&p, key->pub.algo);
		p_int8(&p, key->pub.bits);
		p_bytea(&p, key->pub.keyid, 8);
		p_int8(&p, key->pub.created);
		p_row_summary(&p, key->revoked, key->expires, m.uid, &m.blob,
		    digest);
		p_bytea(&p, m.names.data, m.names.len);
		p_bytea(&p, m.verified.data, m.verified.len);
		st = q(s, "merge: insert", "INSERT INTO keys (fingerprint,"
		    " version, algo, bits, keyid, created, revoked, expires,"
		    " primary_uid, data, digest, packets, verified, first_seen,"
		    " changed) VALUES ($1, $2, $3, $4, $5, to_timestamp($6::int8),"
		    " $7, to_timestamp($8::int8), $9, $10, $11, $12, $13,"
		    " clock_timestamp(), clock_timestamp()) RETURNING id",
		    &p, 1, &res);
		if (st == STORE_OK) {
			id = pg_get_int8(res, 0, 0);
			PQclear(res);
			res = NULL;
		}
	}
	if (st != STORE_OK)
		goto out;

	/* Side tables: merges only add, so add what is missing, each with
	 * one statement. */
	barr_init(&a[0], OID_BYTEA);
	barr_init(&a[1], OID_BYTEA);
	barr_init(&a[2], OID_INT4);
	barr_init(&a[3], OID_BOOL);
	na = 4;
	(void)pg_keyids(m.key, a);
	p_init(&p);
	p_int8(&p, id);
	p_barr(&p, OID_BYTEA_ARRAY, &a[0]);
	p_barr(&p, OID_BYTEA_ARRAY, &a[1]);
	p_barr(&p, OID_INT4_ARRAY, &a[2]);
	p_barr(&p, OID_BOOL_ARRAY, &a[3]);
	if ((st = q(s, "merge: key IDs", "INSERT INTO keyids (key_id,"
	    " fingerprint, keyid, short_id, is_subkey) SELECT $1, f, k, i, b"
	    " FROM unnest($2::bytea[], $3::bytea[], $4::int4[], $5::bool[])"
	    " AS t(f, k, i, b) ON CONFLICT DO NOTHING", &p, 0, NULL)) != STORE_OK)
		goto out;
	if (pg_key_words_literal(m.key, &lit) > 0) {
		p_init(&p);
		p_int8(&p, id);
		p_text(&p, (const char *)lit.data);
		if ((st = q(s, "merge: words", "INSERT INTO key_words (word, key_id)"
		    " SELECT unnest($2::text[]), $1 ON CONFLICT DO NOTHING",
		    &p, 0, NULL)) != STORE_OK)
			goto out;
	}
	barr_free(&a[0]);
	barr_init(&a[0], OID_BYTEA);
	if (pg_key_uids(m.key, &a[0]) > 0) {
		p_init(&p);
		p_int8(&p, id);
		p_barr(&p, OID_BYTEA_ARRAY, &a[0]);
		if ((st = q(s, "merge: user IDs", "INSERT INTO key_uids (key_id,"
		    " uid) SELECT $1, unnest($2::bytea[]) ON CONFLICT DO NOTHING",
		    &p, 0, NULL)) != STORE_OK)
			goto out;
	}
	/* Only a merge that wrote something gets here: queue it for peers
	 * in the same transaction (pg_sync_enqueue, sql/002-sync.sql). */
	if (seen_lit != NULL && (st = pg_sync_enqueue(s, id, seen_lit)) != STORE_OK)
		goto out;
	st = q(s, "merge: commit", "COMMIT", NULL, 0, NULL);
out:
	for (j = 0; j < na; j++)
		barr_free(&a[j]);
	PQclear(res);
	pg_merged_free(&m);
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
		lim = &pg_default_limits;
	if (key == NULL || key->pub.fprlen == 0 || key->pub.fprlen > 32 ||
	    key->pkt.body == NULL) {
		pg_set_err(s, xstrdup("merge: key without a parsed primary key"));
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
		pg_rollback(s);
		if (!s->retry || attempt >= STORE_MERGE_RETRIES)
			return st;
		pg_retry_pause(attempt);
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
	pg_text_array_literal(trail, ntrail, &lit);
	st = merge_retry(s, key, lim, counts, (const char *)lit.data);
	free(lit.data);
	return st;
}
