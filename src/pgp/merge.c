/*
 * pgp/merge.c - canonical form, serialization and append-only merge of
 * transferable public keys.
 *
 * The canonical form is a function of the set of packets alone (never of
 * the order they arrived in or of verification state), so that merging A
 * into B and B into A write the same bytes:
 *   - every list is deduplicated (same tag and body bytes);
 *   - signatures: newest first, ties by body bytes;
 *   - user IDs and attributes: the primary user ID first (see
 *     canon_primary: decided from the packets, not from pgp_key_check's
 *     primary_uid), then user IDs before attributes, each by body bytes;
 *   - subkeys: by creation time, then by body bytes.
 * Sorting is O(n log n) per list; merge matches components and signatures
 * by binary search, so a key with thousands of signatures merges in
 * O((n + m) log(n + m)).
 *
 * pgp_key_cap_certs (at the end) bounds third-party signatures per user ID
 * against certificate flooding; its rule keeps the merge order-independent.
 *
 * Keys handled here were built by key.c (trusted structure, untrusted
 * content). Memory: merge copies what it takes from src (src is not
 * changed); canonicalize frees the duplicates it removes. Arrays keep the
 * power-of-two capacity rule of pgp_grow().
 */
#include <stdlib.h>
#include <string.h>

#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "util/xalloc.h"

/* ---- comparisons --------------------------------------------------------- */

static int
bytes_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl ? 1 : 0;
}

/* Newest first, then by bytes. 0 only for identical bodies (the creation
 * time is read from the body). */
static int
sig_cmp(const struct pgp_sig *a, const struct pgp_sig *b)
{
	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	return bytes_cmp(a->pkt.body, a->pkt.len, b->pkt.body, b->pkt.len);
}

static int
uid_cmp(const struct pgp_component *a, const struct pgp_component *b)
{
	if (a->pkt.tag != b->pkt.tag)
		return a->pkt.tag < b->pkt.tag ? -1 : 1;
	return bytes_cmp(a->pkt.body, a->pkt.len, b->pkt.body, b->pkt.len);
}

static int
subkey_cmp(const struct pgp_component *a, const struct pgp_component *b)
{
	if (a->sub.created != b->sub.created)
		return a->sub.created < b->sub.created ? -1 : 1;
	return bytes_cmp(a->pkt.body, a->pkt.len, b->pkt.body, b->pkt.len);
}

static int
sig_qcmp(const void *a, const void *b)
{
	return sig_cmp(a, b);
}

static int
sigp_qcmp(const void *a, const void *b)
{
	return sig_cmp(*(const struct pgp_sig *const *)a,
	    *(const struct pgp_sig *const *)b);
}

static int
uid_qcmp(const void *a, const void *b)
{
	return uid_cmp(a, b);
}

static int
uidp_qcmp(const void *a, const void *b)
{
	return uid_cmp(*(const struct pgp_component *const *)a,
	    *(const struct pgp_component *const *)b);
}

static int
subkey_qcmp(const void *a, const void *b)
{
	return subkey_cmp(a, b);
}

static int
subkeyp_qcmp(const void *a, const void *b)
{
	return subkey_cmp(*(const struct pgp_component *const *)a,
	    *(const struct pgp_component *const *)b);
}

/* Resize an array to the power-of-two capacity for n elements. */
static void *
reserve(void *arr, size_t n, size_t sz)
{
	size_t cap = 1;

	while (cap < n)
		cap *= 2;
	return xreallocarray(arr, cap, sz);
}

/* ---- canonical form ------------------------------------------------------ */

/* Keep the more informative verification state of two identical sigs. */
static void
take_state(struct pgp_sig *keep, const struct pgp_sig *other)
{
	if (keep->state == PGP_SIG_UNCHECKED) {
		keep->state = other->state;
		keep->note = other->note;
	}
}

/* Sort and deduplicate a signature list in place; returns the new count. */
static size_t
sigs_canon(struct pgp_sig *s, size_t n)
{
	size_t i, w = 0;

	if (n < 2)
		return n;
	qsort(s, n, sizeof(*s), sig_qcmp);
	for (i = 0; i < n; i++) {
		if (w > 0 && sig_cmp(&s[w - 1], &s[i]) == 0) {
			take_state(&s[w - 1], &s[i]);
			free(s[i].pkt.body);
			continue;
		}
		s[w++] = s[i];
	}
	return w;
}

/* Fold component b (a duplicate) into a; b's memory is taken or freed. */
static void
fold_component(struct pgp_component *a, struct pgp_component *b)
{
	size_t i;

	for (i = 0; i < b->nsigs; i++) {
		a->sigs = pgp_grow(a->sigs, a->nsigs, sizeof(*a->sigs));
		a->sigs[a->nsigs++] = b->sigs[i];
	}
	a->valid = a->valid || b->valid;
	a->revoked = a->revoked || b->revoked;
	free(b->sigs);
	free(b->pkt.body);
	memset(b, 0, sizeof(*b));
}

/* Sort by cmp, fold duplicates, canonicalize each one's signatures. */
static size_t
components_canon(struct pgp_component *c, size_t n,
    int (*qcmp)(const void *, const void *))
{
	size_t i, w = 0;

	if (n > 1)
		qsort(c, n, sizeof(*c), qcmp);
	for (i = 0; i < n; i++) {
		if (w > 0 && qcmp(&c[w - 1], &c[i]) == 0) {
			fold_component(&c[w - 1], &c[i]);
			continue;
		}
		c[w++] = c[i];
	}
	for (i = 0; i < w; i++)
		c[i].nsigs = sigs_canon(c[i].sigs, c[i].nsigs);
	return w;
}

/* Is s made by the primary key? Decided on the issuer fields alone: this
 * is for ordering only, the verifier decides validity. */
static bool
self_issued(const struct pgp_key *key, const struct pgp_sig *s)
{
	if (s->issuer_fpr_len != 0)
		return s->issuer_fpr_len == key->pub.fprlen &&
		    memcmp(s->issuer_fpr, key->pub.fpr, s->issuer_fpr_len) == 0;
	return s->has_issuer && memcmp(s->issuer, key->pub.keyid, 8) == 0;
}

/*
 * The user ID to put first: among user IDs whose newest self-certification
 * carries the primary-user-ID flag, the one with the newest such
 * certification. If no user ID is flagged, the one with the newest
 * self-certification, as GnuPG decides (so INDEX shows the user ID that
 * gpg users see as primary). Ties go to the smaller (tag, bytes). -1 if
 * none. Needs each component's signatures in canonical order (newest
 * first). A pure function of the packets, whatever order uids is in.
 */
static long
canon_primary(const struct pgp_key *key, const struct pgp_component *uids,
    size_t n)
{
	long best[2] = { -1, -1 };	/* [0] flagged, [1] any */
	uint32_t best_time[2] = { 0, 0 };
	size_t i, j;
	int k;

	for (i = 0; i < n; i++) {
		const struct pgp_component *c = &uids[i];

		if (c->pkt.tag != PGP_TAG_UID)
			continue;
		for (j = 0; j < c->nsigs; j++) {
			const struct pgp_sig *s = &c->sigs[j];

			if (s->type < PGP_SIG_CERT_GENERIC ||
			    s->type > PGP_SIG_CERT_POSITIVE ||
			    !self_issued(key, s))
				continue;
			/* j is the newest self-certification */
			for (k = s->primary_uid ? 0 : 1; k < 2; k++)
				if (best[k] < 0 || s->created > best_time[k] ||
				    (s->created == best_time[k] &&
				    uid_cmp(c, &uids[best[k]]) < 0)) {
					best[k] = (long)i;
					best_time[k] = s->created;
				}
			break;
		}
	}
	return best[0] >= 0 ? best[0] : best[1];
}

void
pgp_key_canonicalize(struct pgp_key *key)
{
	struct pgp_component saved, tmp;
	bool have_saved = false;
	long p;
	size_t i;

	key->nsigs = sigs_canon(key->sigs, key->nsigs);

	/* Remember which user ID pgp_key_check chose, to point at it again
	 * after sorting (by bytes: its duplicate may be the one kept). */
	memset(&saved, 0, sizeof(saved));
	if (key->primary_uid >= 0 && (size_t)key->primary_uid < key->nuids) {
		saved.pkt = key->uids[key->primary_uid].pkt;
		saved.pkt.body = xmemdup(saved.pkt.body, saved.pkt.len);
		have_saved = true;
	}
	key->nuids = components_canon(key->uids, key->nuids, uid_qcmp);
	p = canon_primary(key, key->uids, key->nuids);
	if (p > 0) {
		tmp = key->uids[p];
		memmove(&key->uids[1], &key->uids[0], (size_t)p *
		    sizeof(key->uids[0]));
		key->uids[0] = tmp;
	}
	key->primary_uid = -1;
	if (have_saved) {
		for (i = 0; i < key->nuids; i++) {
			if (uid_cmp(&key->uids[i], &saved) == 0) {
				key->primary_uid = (long)i;
				break;
			}
		}
		free(saved.pkt.body);
	}
	key->nsubkeys = components_canon(key->subkeys, key->nsubkeys,
	    subkey_qcmp);
}

static bool
sigs_canonical(const struct pgp_sig *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (sig_cmp(&s[i - 1], &s[i]) >= 0)
			return false;
	return true;
}

/* Would pgp_key_canonicalize leave the key's packet order unchanged? */
static bool
is_canonical(const struct pgp_key *key)
{
	size_t i, start;
	long p;

	if (!sigs_canonical(key->sigs, key->nsigs))
		return false;
	for (i = 0; i < key->nuids; i++)
		if (!sigs_canonical(key->uids[i].sigs, key->uids[i].nsigs))
			return false;
	for (i = 0; i < key->nsubkeys; i++)
		if (!sigs_canonical(key->subkeys[i].sigs,
		    key->subkeys[i].nsigs))
			return false;
	p = canon_primary(key, key->uids, key->nuids);
	if (p > 0)
		return false;
	start = p == 0 ? 1 : 0;
	for (i = start + 1; i < key->nuids; i++)
		if (uid_cmp(&key->uids[i - 1], &key->uids[i]) >= 0)
			return false;
	if (p == 0 && key->nuids > 1) {
		/* the primary must not repeat further down */
		const struct pgp_component *c = &key->uids[0];

		if (bsearch(c, &key->uids[1], key->nuids - 1,
		    sizeof(*c), uid_qcmp) != NULL)
			return false;
	}
	for (i = 1; i < key->nsubkeys; i++)
		if (subkey_cmp(&key->subkeys[i - 1], &key->subkeys[i]) >= 0)
			return false;
	return true;
}

/* ---- serialization ------------------------------------------------------- */

static int
write_sigs(struct buf *out, const struct pgp_sig *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pgp_packet_write(out, PGP_TAG_SIG, s[i].pkt.body,
		    s[i].pkt.len) < 0)
			return -1;
	return 0;
}

static int
write_components(struct buf *out, const struct pgp_component *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (pgp_packet_write(out, c[i].pkt.tag, c[i].pkt.body,
		    c[i].pkt.len) < 0 ||
		    write_sigs(out, c[i].sigs, c[i].nsigs) < 0)
			return -1;
	}
	return 0;
}

static int
write_raw(const struct pgp_key *key, struct buf *out)
{
	size_t len0 = out->len;

	if (pgp_packet_write(out, PGP_TAG_PUBKEY, key->pkt.body,
	    key->pkt.len) < 0 ||
	    write_sigs(out, key->sigs, key->nsigs) < 0 ||
	    write_components(out, key->uids, key->nuids) < 0 ||
	    write_components(out, key->subkeys, key->nsubkeys) < 0) {
		/* leave out as it was */
		out->len = len0;
		if (out->data != NULL)
			out->data[len0] = '\0';
		return -1;
	}
	return 0;
}

static struct pgp_key *
key_copy(const struct pgp_key *src)
{
	struct pgp_key *k = xcalloc(1, sizeof(*k));
	size_t i;

	*k = *src;
	k->verified = NULL;	/* (a copy to write out; the list is not needed) */
	k->nverified = 0;
	k->pkt.body = xmemdup(src->pkt.body, src->pkt.len);
	k->sigs = NULL;
	k->nsigs = 0;
	for (i = 0; i < src->nsigs; i++) {
		k->sigs = pgp_grow(k->sigs, k->nsigs, sizeof(*k->sigs));
		pgp_sig_copy(&k->sigs[k->nsigs++], &src->sigs[i]);
	}
	k->uids = NULL;
	k->nuids = 0;
	for (i = 0; i < src->nuids; i++) {
		k->uids = pgp_grow(k->uids, k->nuids, sizeof(*k->uids));
		pgp_component_copy(&k->uids[k->nuids++], &src->uids[i]);
	}
	k->subkeys = NULL;
	k->nsubkeys = 0;
	for (i = 0; i < src->nsubkeys; i++) {
		k->subkeys = pgp_grow(k->subkeys, k->nsubkeys,
		    sizeof(*k->subkeys));
		pgp_component_copy(&k->subkeys[k->nsubkeys++],
		    &src->subkeys[i]);
	}
	return k;
}

int
pgp_key_write(const struct pgp_key *key, struct buf *out)
{
	struct pgp_key *c;
	int rc;

	if (is_canonical(key))
		return write_raw(key, out);
	/* Rare: the caller did not canonicalize. Work on a copy, since
	 * the key is const. */
	c = key_copy(key);
	pgp_key_canonicalize(c);
	rc = write_raw(c, out);
	pgp_key_free(c);
	return rc;
}

/* ---- merge --------------------------------------------------------------- */

static void
count_sig(const struct pgp_sig *s, struct pgp_merge_counts *counts)
{
	if (counts == NULL)
		return;
	if (s->type == PGP_SIG_KEY_REVOKE || s->type == PGP_SIG_SUBKEY_REVOKE ||
	    s->type == PGP_SIG_CERT_REVOKE)
		counts->new_revocations++;
	else
		counts->new_sigs++;
}

/*
 * Union of src[0..m) into *arr[0..*n), which must be canonical (sorted,
 * no duplicates). New signatures are copied with their parsed state; the
 * result is canonical again.
 */
static void
merge_sigs(struct pgp_sig **arr, size_t *n, const struct pgp_sig *src,
    size_t m, struct pgp_merge_counts *counts)
{
	const struct pgp_sig **sp;
	struct pgp_sig *found;
	size_t i, n0 = *n, added = 0;

	if (m == 0)
		return;
	*arr = reserve(*arr, n0 + m, sizeof(**arr));
	sp = xreallocarray(NULL, m, sizeof(*sp));
	for (i = 0; i < m; i++)
		sp[i] = &src[i];
	qsort(sp, m, sizeof(*sp), sigp_qcmp);
	for (i = 0; i < m; i++) {
		if (i > 0 && sig_cmp(sp[i - 1], sp[i]) == 0)
			continue;	/* duplicate within src */
		found = n0 ? bsearch(sp[i], *arr, n0, sizeof(**arr),
		    sig_qcmp) : NULL;
		if (found != NULL) {
			take_state(found, sp[i]);
			continue;
		}
		pgp_sig_copy(&(*arr)[n0 + added], sp[i]);
		count_sig(sp[i], counts);
		added++;
	}
	free(sp);
	*n = n0 + added;
	if (added)
		qsort(*arr, *n, sizeof(**arr), sig_qcmp);
}

/*
 * Union of src components into *arr (user IDs or subkeys, per cmp/pcmp).
 * Components are matched by packet; a match gets the union of the
 * signatures, a new one is copied whole. *arr is canonical on entry.
 */
static void
merge_components(struct pgp_component **arr, size_t *n,
    const struct pgp_component *src, size_t m,
    int (*qcmp)(const void *, const void *),
    int (*pqcmp)(const void *, const void *),
    bool subkeys, struct pgp_merge_counts *counts)
{
	struct pgp_component **dp, **hit, *target = NULL, *c;
	const struct pgp_component **sp;
	size_t i, n0 = *n;

	if (m == 0)
		return;
	/* Room for all of src up front: pointers into *arr stay valid. */
	*arr = reserve(*arr, n0 + m, sizeof(**arr));
	dp = xreallocarray(NULL, n0 ? n0 : 1, sizeof(*dp));
	for (i = 0; i < n0; i++)
		dp[i] = &(*arr)[i];
	qsort(dp, n0, sizeof(*dp), pqcmp);
	sp = xreallocarray(NULL, m, sizeof(*sp));
	for (i = 0; i < m; i++)
		sp[i] = &src[i];
	qsort(sp, m, sizeof(*sp), pqcmp);

	for (i = 0; i < m; i++) {
		const struct pgp_component *s = sp[i];

		if (i == 0 || qcmp(sp[i - 1], s) != 0) {
			hit = n0 ? bsearch(&s, dp, n0, sizeof(*dp), pqcmp) :
			    NULL;
			if (hit != NULL) {
				target = *hit;
			} else {
				target = &(*arr)[(*n)++];
				c = target;
				*c = *s;
				c->pkt.body = xmemdup(s->pkt.body, s->pkt.len);
				c->sigs = NULL;
				c->nsigs = 0;
				if (counts != NULL) {
					if (subkeys)
						counts->new_subkeys++;
					else
						counts->new_uids++;
				}
			}
		}
		merge_sigs(&target->sigs, &target->nsigs, s->sigs, s->nsigs,
		    counts);
		target->valid = target->valid || s->valid;
		target->revoked = target->revoked || s->revoked;
	}
	free(dp);
	free(sp);
}

int
pgp_key_merge(struct pgp_key *dst, const struct pgp_key *src,
    struct pgp_merge_counts *counts)
{
	if (dst->pkt.tag != src->pkt.tag ||
	    bytes_cmp(dst->pkt.body, dst->pkt.len, src->pkt.body,
	    src->pkt.len) != 0)
		return -1;
	pgp_key_canonicalize(dst);
	merge_sigs(&dst->sigs, &dst->nsigs, src->sigs, src->nsigs, counts);
	merge_components(&dst->uids, &dst->nuids, src->uids, src->nuids,
	    uid_qcmp, uidp_qcmp, false, counts);
	merge_components(&dst->subkeys, &dst->nsubkeys, src->subkeys,
	    src->nsubkeys, subkey_qcmp, subkeyp_qcmp, true, counts);
	dst->revoked = dst->revoked || src->revoked;
	pgp_key_canonicalize(dst);
	return 0;
}

void
pgp_key_count(const struct pgp_key *key, struct pgp_merge_counts *counts)
{
	size_t i, j;

	counts->new_keys++;
	counts->new_uids += (unsigned)key->nuids;
	counts->new_subkeys += (unsigned)key->nsubkeys;
	for (i = 0; i < key->nsigs; i++)
		count_sig(&key->sigs[i], counts);
	for (i = 0; i < key->nuids; i++)
		for (j = 0; j < key->uids[i].nsigs; j++)
			count_sig(&key->uids[i].sigs[j], counts);
	for (i = 0; i < key->nsubkeys; i++)
		for (j = 0; j < key->subkeys[i].nsigs; j++)
			count_sig(&key->subkeys[i].sigs[j], counts);
}

/* ---- certificate flooding (CVE-2019-13050) ------------------------------ */

/*
 * Rule: on each user ID or attribute, every self-signature is kept; of
 * the third-party signatures (certifications and certification
 * revocations by other keys, and signatures without issuer) at most max
 * are kept, the first in this order:
 *   1. state: GOOD (verified with the issuer's key from our store, see
 *      pgp_key_check_certs) before not checked or unsupported, before BAD;
 *   2. the rank of the signature among its issuer's signatures of the same
 *      state on this component, newest first: each issuer's newest before
 *      anybody's second one, so one key cannot fill the list alone;
 *   3. newer before older;
 *   4. body bytes (a total order: no ties).
 * Every criterion depends on the signature and its issuer's other
 * signatures alone, so a signature left out of a set is also left out of
 * any larger set: capping (A + B) equals capping (capped A + B), and the
 * merge stays order-independent for a given store. What the attacker
 * controls (creation times, issuer keys) cannot push out the verified
 * certifications of keys we know, and cannot push out self-signatures at
 * all, so a flooded key stays usable and bounded.
 */

static bool
third_party(const struct pgp_key *key, const struct pgp_sig *s)
{
	return !self_issued(key, s);
}

static size_t
count_third(const struct pgp_key *key, const struct pgp_component *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nsigs; i++)
		if (third_party(key, &c->sigs[i]))
			n++;
	return n;
}

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 8);
}

size_t
pgp_key_cert_issuers(const struct pgp_key *key, size_t over, uint8_t **ids)
{
	uint8_t *v = NULL;
	size_t i, j, n = 0, w;

	*ids = NULL;
	for (i = 0; i < key->nuids; i++) {
		const struct pgp_component *c = &key->uids[i];

		if (over != 0 && count_third(key, c) <= over)
			continue;
		for (j = 0; j < c->nsigs; j++) {
			if (!third_party(key, &c->sigs[j]) ||
			    !c->sigs[j].has_issuer)
				continue;
			v = pgp_grow(v, n, 8);
			memcpy(v + 8 * n, c->sigs[j].issuer, 8);
			n++;
		}
	}
	if (n == 0)
		return 0;
	qsort(v, n, 8, id_cmp);
	for (i = 1, w = 1; i < n; i++)
		if (memcmp(v + 8 * (w - 1), v + 8 * i, 8) != 0)
			memmove(v + 8 * w++, v + 8 * i, 8);
	*ids = v;
	return w;
}

/* One third-party signature while ranking. */
struct ranked {
	struct pgp_sig *s;
	int class;		/* 0 GOOD, 1 unchecked/unsupported, 2 BAD */
	size_t nth;		/* rank among its issuer's, same class */
	uint8_t issuer[9];	/* has_issuer flag, then the key ID */
};

static int
sig_class(const struct pgp_sig *s)
{
	return s->state == PGP_SIG_GOOD ? 0 : s->state == PGP_SIG_BAD ? 2 : 1;
}

/* Group by (class, issuer), newest first within a group. */
static int
group_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c;

	if (x->class != y->class)
		return x->class < y->class ? -1 : 1;
	if ((c = memcmp(x->issuer, y->issuer, sizeof(x->issuer))) != 0)
		return c;
	return sig_cmp(x->s, y->s);
}

/* The keeping order of the rule above. */
static int
rank_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->class != y->class)
		return x->class < y->class ? -1 : 1;
	if (x->nth != y->nth)
		return x->nth < y->nth ? -1 : 1;
	return sig_cmp(x->s, y->s);
}

/* Cap one component; returns the number of signatures removed. */
static size_t
cap_component(const struct pgp_key *key, struct pgp_component *c, size_t max)
{
	struct ranked *r;
	bool *drop;
	size_t i, j, n = 0, w = 0, dropped;

	r = xreallocarray(NULL, c->nsigs ? c->nsigs : 1, sizeof(*r));
	for (i = 0; i < c->nsigs; i++) {
		struct pgp_sig *s = &c->sigs[i];

		if (!third_party(key, s))
			continue;
		r[n].s = s;
		r[n].class = sig_class(s);
		r[n].issuer[0] = s->has_issuer;
		memcpy(r[n].issuer + 1, s->issuer, 8);
		if (!s->has_issuer)
			memset(r[n].issuer + 1, 0, 8);
		n++;
	}
	qsort(r, n, sizeof(*r), group_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && r[j].class == r[i].class &&
		    memcmp(r[j].issuer, r[i].issuer, sizeof(r[i].issuer)) == 0;
		    j++)
			r[j].nth = j - i;
	}
	qsort(r, n, sizeof(*r), rank_cmp);
	/* Mark the losers, then compact in place: the kept signatures stay
	 * in canonical order. */
	drop = xcalloc(c->nsigs ? c->nsigs : 1, sizeof(*drop));
	for (i = max; i < n; i++)
		drop[r[i].s - c->sigs] = true;
	dropped = n > max ? n - max : 0;
	for (i = 0; i < c->nsigs; i++) {
		if (drop[i]) {
			pgp_sig_clear(&c->sigs[i]);
			continue;
		}
		if (w != i)
			c->sigs[w] = c->sigs[i];
		w++;
	}
	c->nsigs = w;
	free(drop);
	free(r);
	return dropped;
}

size_t
pgp_key_cap_certs(struct pgp_key *key, size_t max)
{
	size_t i, dropped = 0;

	if (max == 0)
		return 0;
	for (i = 0; i < key->nuids; i++)
		if (count_third(key, &key->uids[i]) > max)
			dropped += cap_component(key, &key->uids[i], max);
	return dropped;
}
