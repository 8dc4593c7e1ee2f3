/*
 * pgp/check_clean.c - after the signatures of a key are judged
 * (check.c): which designated revokers count, what is dropped, which
 * components stay valid or revoked, and the key's summary (revoked,
 * expires, primary user ID).
 *
 * Input: a key from untrusted mail whose signatures carry their state.
 * Memory: the key is changed in place, following the rules above struct
 * pgp_key: dropped signatures and components are released with
 * pgp_sig_clear / pgp_component_clear and the arrays compacted.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pgp/check_internal.h"
#include "pgp/pgp.h"

/* RFC 9580 5.2.3.31: "superseded", "retired" and "user ID no longer
 * valid" are soft; no reason, "compromised" and anything else are hard. */
static bool
hard_revocation(const struct pgp_sig *s)
{
	struct hashed_info hi;

	chk_scan_hashed(s, &hi);
	return !hi.has_reason ||
	    (hi.reason != 1 && hi.reason != 3 && hi.reason != 32);
}

static void
sig_release(struct pgp_sig *s)
{
	if (s->note == chk_note_moved)
		s->pkt.body = NULL;	/* the moved copy owns it now */
	pgp_sig_clear(s);
}

/* Is s issued by a designated revoker? By fingerprint when s names
 * one, else by key ID (v4: low 64 bits, v6: high 64 bits). */
static bool
by_revoker(const struct check *c, const struct pgp_sig *s)
{
	const uint8_t *id;
	size_t i;

	for (i = 0; i < c->nrevokers; i++) {
		if (s->issuer_fpr_len != 0) {
			if (s->issuer_fpr_len == c->revoker_len[i] &&
			    memcmp(s->issuer_fpr, c->revoker[i],
			    s->issuer_fpr_len) == 0)
				return true;
			continue;
		}
		id = c->revoker_len[i] == 20 ? c->revoker[i] + 12 :
		    c->revoker[i];
		if (s->has_issuer && memcmp(s->issuer, id, 8) == 0)
			return true;
	}
	return false;
}

/* Remove BAD signatures from an array in place (pgp_grow arrays stay
 * valid when the count shrinks). Third-party key and subkey revocations
 * left UNCHECKED stay only when a designated revoker issued them. */
static void
compact_sigs(struct check *c, struct pgp_sig *sigs, size_t *n)
{
	size_t i, j = 0;

	for (i = 0; i < *n; i++) {
		struct pgp_sig *s = &sigs[i];
		bool keep = s->state != PGP_SIG_BAD;

		if (keep && s->state == PGP_SIG_UNCHECKED &&
		    (s->type == PGP_SIG_KEY_REVOKE ||
		    s->type == PGP_SIG_SUBKEY_REVOKE))
			keep = by_revoker(c, s);
		if (!keep) {
			if (s->note != chk_note_moved)
				c->drop_sigs++;
			sig_release(s);
			continue;
		}
		if (j != i)
			sigs[j] = *s;
		j++;
	}
	*n = j;
}

/* Newest GOOD binding signature in sigs (check_internal.h). */
const struct pgp_sig *
chk_newest_binding(const struct pgp_sig *sigs, size_t n)
{
	const struct pgp_sig *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct pgp_sig *s = &sigs[i];

		if (s->state != PGP_SIG_GOOD ||
		    !(is_cert(s->type) || s->type == PGP_SIG_DIRECT ||
		    s->type == PGP_SIG_SUBKEY_BINDING))
			continue;
		if (best == NULL || s->created > best->created)
			best = s;
	}
	return best;
}

/*
 * A GOOD self-revocation in sigs revokes unless it is soft (or a user-ID
 * revocation, which RFC 9580 5.2.1.13 lets a later self-certification
 * undo) and older than the newest binding, since.
 */
static bool
revoked_by(const struct pgp_sig *sigs, size_t n, uint8_t type,
    uint32_t since, bool any_binding)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct pgp_sig *s = &sigs[i];

		if (s->state != PGP_SIG_GOOD || s->type != type)
			continue;
		if (!any_binding || s->created >= since)
			return true;
		if (type != PGP_SIG_CERT_REVOKE && hard_revocation(s))
			return true;
	}
	return false;
}

static bool
has_type_good(const struct pgp_sig *sigs, size_t n, uint8_t type)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sigs[i].state == PGP_SIG_GOOD && sigs[i].type == type)
			return true;
	return false;
}

/* Set valid/revoked of one component; false if it is to be dropped. */
static bool
settle_component(struct pgp_component *comp, bool is_sub)
{
	const struct pgp_sig *b = chk_newest_binding(comp->sigs, comp->nsigs);
	uint8_t rtype = is_sub ? PGP_SIG_SUBKEY_REVOKE : PGP_SIG_CERT_REVOKE;

	comp->valid = b != NULL;
	comp->revoked = revoked_by(comp->sigs, comp->nsigs, rtype,
	    b ? b->created : 0, b != NULL);
	return comp->valid || has_type_good(comp->sigs, comp->nsigs, rtype);
}

static void
clean(struct check *c)
{
	struct pgp_key *k = c->key;
	size_t i, j;

	compact_sigs(c, k->sigs, &k->nsigs);
	for (i = j = 0; i < k->nuids; i++) {
		struct pgp_component *u = &k->uids[i];

		compact_sigs(c, u->sigs, &u->nsigs);
		if (!settle_component(u, false)) {
			c->drop_uids++;
			/* (its BAD signatures are already gone) */
			pgp_component_clear(u);
			continue;
		}
		if (j != i)
			k->uids[j] = *u;
		j++;
	}
	k->nuids = j;
	for (i = j = 0; i < k->nsubkeys; i++) {
		struct pgp_component *sk = &k->subkeys[i];

		compact_sigs(c, sk->sigs, &sk->nsigs);
		if (!settle_component(sk, true)) {
			c->drop_subkeys++;
			pgp_component_clear(sk);
			continue;
		}
		if (j != i)
			k->subkeys[j] = *sk;
		j++;
	}
	k->nsubkeys = j;
}

/* Remember the designated revokers that counting self-signatures name;
 * only direct-key signatures and user-ID self-certifications may. */
static void
add_revokers(struct check *c, const struct pgp_sig *s)
{
	struct hashed_info hi;
	size_t i, j;

	if (s->state != PGP_SIG_GOOD || !s->has_revoker)
		return;
	chk_scan_hashed(s, &hi);
	for (i = 0; i < hi.nrevokers && c->nrevokers < MAX_REVOKERS; i++) {
		for (j = 0; j < c->nrevokers; j++)
			if (c->revoker_len[j] == hi.revoker_len[i] &&
			    memcmp(c->revoker[j], hi.revoker[i],
			    hi.revoker_len[i]) == 0)
				break;
		if (j < c->nrevokers)
			continue;
		memcpy(c->revoker[c->nrevokers], hi.revoker[i],
		    hi.revoker_len[i]);
		c->revoker_len[c->nrevokers++] = hi.revoker_len[i];
	}
}

static void
find_revokers(struct check *c)
{
	const struct pgp_key *k = c->key;
	size_t i, j;

	for (i = 0; i < k->nsigs; i++)
		add_revokers(c, &k->sigs[i]);
	for (i = 0; i < k->nuids; i++)
		for (j = 0; j < k->uids[i].nsigs; j++)
			add_revokers(c, &k->uids[i].sigs[j]);
}

/* Key summary: revocation, expiry (from the newest binding self-sig on
 * the key or a valid user ID, as gpg does), primary user ID. */
static void
summarise(struct pgp_key *k)
{
	const struct pgp_sig *newest = chk_newest_binding(k->sigs, k->nsigs);
	const struct pgp_sig *b, *pb = NULL;
	uint64_t exp;
	size_t i;
	long first = -1, first_revoked = -1;

	for (i = 0; i < k->nuids; i++) {
		b = chk_newest_binding(k->uids[i].sigs, k->uids[i].nsigs);
		if (b != NULL &&
		    (newest == NULL || b->created > newest->created))
			newest = b;
	}
	k->revoked = revoked_by(k->sigs, k->nsigs, PGP_SIG_KEY_REVOKE,
	    newest ? newest->created : 0, newest != NULL);
	k->expires = 0;
	if (newest != NULL && newest->key_expires != 0) {
		exp = (uint64_t)k->pub.created + newest->key_expires;
		k->expires = exp > UINT32_MAX ? UINT32_MAX : (uint32_t)exp;
	}

	/* Primary: the valid, unrevoked user ID whose newest self-sig says
	 * so (the newest such claim wins); else the first valid unrevoked
	 * one; else the first valid one. Attributes never qualify. */
	k->primary_uid = -1;
	for (i = 0; i < k->nuids; i++) {
		const struct pgp_component *u = &k->uids[i];

		if (u->pkt.tag != PGP_TAG_UID || !u->valid)
			continue;
		if (u->revoked) {
			if (first_revoked == -1)
				first_revoked = (long)i;
			continue;
		}
		if (first == -1)
			first = (long)i;
		b = chk_newest_binding(u->sigs, u->nsigs);
		if (b != NULL && b->primary_uid &&
		    (pb == NULL || b->created > pb->created)) {
			pb = b;
			k->primary_uid = (long)i;
		}
	}
	if (k->primary_uid == -1)
		k->primary_uid = first != -1 ? first : first_revoked;
}

void
chk_settle(struct check *c)
{
	find_revokers(c);
	clean(c);
	summarise(c->key);
}
