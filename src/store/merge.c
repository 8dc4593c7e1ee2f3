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

/* The search words of k's user IDs as a text[] literal (pg_internal.h). */
size_t
pg_key_words_literal(const struct pgp_key *k, struct buf *lit)
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
	(void)buf_putc(lit, '{');
	for (i = 0; i < nall; i++) {
		if ((i > 0 && !strcmp(all[i], all[i - 1])) || !plain_word(all[i]))
			continue;
		(void)buf_printf(lit, "%s\"%s\"", n ? "," : "", all[i]);
		n++;
	}
	(void)buf_putc(lit, '}');
	words_free(all, nall);
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

static enum store_status
put_keyid(struct store *s, int64_t id, const struct pgp_pubkey *pub,
    bool is_subkey)
{
	struct params p;

	if (pub->fprlen == 0 || pub->fprlen > sizeof(pub->fpr))
		return STORE_OK;	/* unparsed (unknown-version) subkey */
	p_init(&p);
	p_int8(&p, id);
	p_bytea(&p, pub->fpr, pub->fprlen);
	p_bytea(&p, pub->keyid, 8);
	p_int4_be(&p, pub->keyid + 4);
	p_bool(&p, is_subkey);
	return q(s, "merge: key IDs",
	    "INSERT INTO keyids (key_id, fingerprint, keyid, short_id, is_subkey)"
	    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", &p, 0, NULL);
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
    size_t storedlen, const struct pgp_limits *lim, struct pgp_merge_counts *c)
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
		(void)pgp_key_check_certs(merged, lim->max_sigs_per_uid, b,
		    signers.n, time(NULL));
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

/* The in-memory half of a merge, also bulk_once's (pg_internal.h). */
enum store_status
pg_merge_compute(struct store *s, const struct pgp_key *key,
    const uint8_t *stored, size_t storedlen, bool row_has_uid,
    const struct pgp_limits *lim, struct pgp_merge_counts *c,
    struct pgp_key **mergedp, struct buf *blob, char **uidp, bool *changed)
{
	struct pgp_merge_counts scratch;
	struct pgp_key *merged;
	enum pgp_status pst;
	enum store_status st;
	bool found = stored != NULL;
	size_t npkt;

	*mergedp = NULL;
	*uidp = NULL;
	*changed = false;
	memset(c, 0, sizeof(*c));
	memset(&scratch, 0, sizeof(scratch));
	if (found) {
		merged = pgp_key_parse_one(stored, storedlen, lim, &pst);
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
	*mergedp = merged;

	/* A new key is counted whole below (pgp_key_count), not here. */
	if (pgp_key_merge(merged, key, found ? c : &scratch) < 0) {
		pg_set_err(s, xstrdup("merge: primary key packets differ for the "
		    "same fingerprint"));
		return STORE_ERROR;
	}
	if (lim->max_sigs_per_uid != 0 && (!found || !counts_zero(c)) &&
	    (st = cap_certs(s, merged, stored, storedlen, lim, c)) != STORE_OK)
		return st;
	if (found && counts_zero(c))
		return STORE_OK;

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
	if (pgp_key_write(merged, blob) < 0) {
		pg_set_err(s, xasprintf("merge: merged key would exceed "
		    "max_key_size (%zu bytes)", lim->max_key_size));
		return STORE_LIMIT;
	}
	*uidp = summary_uid(key, merged, row_has_uid);
	*changed = true;
	return STORE_OK;
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
	struct pgp_key *merged = NULL;
	struct params p;
	PGresult *res = NULL;
	enum store_status st;
	struct buf blob, lit;
	bool found, row_revoked = false, row_has_uid = false, changed;
	int64_t id = 0;
	char *uid = NULL;
	uint8_t digest[32];
	size_t i;

	buf_init(&blob, lim->max_key_size);
	buf_init(&lit, 0);
	memset(c, 0, sizeof(*c));

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
	if ((st = q(s, "merge: read", "SELECT id, data, revoked,"
	    " primary_uid IS NOT NULL FROM keys WHERE fingerprint = $1",
	    &p, 1, &res)) != STORE_OK)
		goto out;
	found = PQntuples(res) > 0;
	if (found) {
		id = pg_get_int8(res, 0, 0);
		row_revoked = *PQgetvalue(res, 0, 2) != 0;
		row_has_uid = *PQgetvalue(res, 0, 3) != 0;
	}
	st = pg_merge_compute(s, key, found ? (const uint8_t *)PQgetvalue(res, 0, 1) :
	    NULL, found ? (size_t)PQgetlength(res, 0, 1) : 0, row_has_uid, lim, c,
	    &merged, &blob, &uid, &changed);
	PQclear(res);
	res = NULL;
	if (st != STORE_OK)
		goto out;
	if (!changed) {
		/* Nothing new: no write, "changed" stays as it was. */
		st = q(s, "merge: commit", "COMMIT", NULL, 0, NULL);
		goto out;
	}

	/* Row summary. revoked only ever turns on: the stored row may have
	 * seen a revocation this upload lacks. expires and the primary user
	 * ID follow the key pgp_key_check just examined (see store.h). */
	p_init(&p);
	if (found) {
		p_int8(&p, id);
		p_row_summary(&p, key->revoked || row_revoked, key->expires,
		    uid, &blob, digest);
		/* clock_timestamp(), not now(): closer to the commit, so a
		 * reader polling "changed since" misses less of us. */
		st = q(s, "merge: update", "UPDATE keys SET revoked = $2,"
		    " expires = to_timestamp($3::int8),"
		    " primary_uid = COALESCE($4, primary_uid),"
		    " data = $5, digest = $6, changed = clock_timestamp()"
		    " WHERE id = $1",
		    &p, 0, NULL);
	} else {
		p_bytea(&p, key->pub.fpr, key->pub.fprlen);
		p_int8(&p, key->pub.version);
		p_int8(&p, key->pub.algo);
		p_int8(&p, key->pub.bits);
		p_bytea(&p, key->pub.keyid, 8);
		p_int8(&p, key->pub.created);
		p_row_summary(&p, key->revoked, key->expires, uid, &blob, digest);
		st = q(s, "merge: insert", "INSERT INTO keys (fingerprint,"
		    " version, algo, bits, keyid, created, revoked, expires,"
		    " primary_uid, data, digest, first_seen, changed) VALUES ($1,"
		    " $2, $3, $4, $5, to_timestamp($6::int8), $7,"
		    " to_timestamp($8::int8), $9, $10, $11, clock_timestamp(),"
		    " clock_timestamp()) RETURNING id", &p, 1, &res);
		if (st == STORE_OK) {
			id = pg_get_int8(res, 0, 0);
			PQclear(res);
			res = NULL;
		}
	}
	if (st != STORE_OK)
		goto out;

	/* Side tables: merges only add, so add what is missing. */
	if ((st = put_keyid(s, id, &merged->pub, false)) != STORE_OK)
		goto out;
	for (i = 0; i < merged->nsubkeys; i++)
		if ((st = put_keyid(s, id, &merged->subkeys[i].sub, true)) != STORE_OK)
			goto out;
	if (pg_key_words_literal(merged, &lit) > 0) {
		p_init(&p);
		p_int8(&p, id);
		p_text(&p, (const char *)lit.data);
		if ((st = q(s, "merge: words", "INSERT INTO key_words (word, key_id)"
		    " SELECT unnest($2::text[]), $1 ON CONFLICT DO NOTHING",
		    &p, 0, NULL)) != STORE_OK)
			goto out;
	}
	/* Only a merge that wrote something gets here: queue it for peers
	 * in the same transaction (pg_sync_enqueue, sql/002-sync.sql). */
	if (seen_lit != NULL && (st = pg_sync_enqueue(s, id, seen_lit)) != STORE_OK)
		goto out;
	st = q(s, "merge: commit", "COMMIT", NULL, 0, NULL);
out:
	PQclear(res);
	pgp_key_free(merged);
	free(uid);
	/* buf_free() would leave a fresh allocation behind: free outright. */
	free(blob.data);
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
