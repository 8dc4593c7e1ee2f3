/*
 * pgp/check.c - pgp_key_check(): verify the self-signatures of a parsed
 * transferable public key and clean the key down to what they prove.
 *
 * This file judges each signature where it was found (and moves it where
 * it belongs) and writes the detail sentence; check_verify.c hashes,
 * verifies and applies the policy table below; check_clean.c drops what
 * did not prove itself and sets the key's summary; check_certs.c verifies
 * third-party certifications with stored keys (pgp_key_check_certs).
 * check_internal.h is what they share.
 *
 * Input: a struct pgp_key built by key.c from untrusted mail. Every offset
 * the parser recorded is checked against its body length again before it
 * is used ("need > remaining"); key material and signature values go to
 * pgp_crypto_verify(), which bounds-checks them once more.
 *
 * Memory: the key is changed in place, following the rules above struct
 * pgp_key: dropped signatures and components are released with
 * pgp_sig_clear / pgp_component_clear and the arrays compacted; a
 * signature moved to the component it really belongs to keeps its body
 * and is appended with pgp_grow. Nothing else outlives the call.
 *
 * Which signatures are checked. A signature is a self-signature when its
 * issuer fingerprint (or, lacking one, its issuer key ID) is the primary
 * key's; one with no issuer at all is tried against the primary key.
 * Checked: certifications 0x10-0x13 and attestations 0x16 on user IDs and
 * attributes, certification revocations 0x30, direct-key 0x1F, key
 * revocations 0x20, subkey bindings 0x18 (with the embedded 0x19
 * back-signature for subkeys that may sign), subkey revocations 0x28.
 * Third-party certifications and their revocations on user IDs are kept
 * UNCHECKED. Third-party key and subkey revocations are kept UNCHECKED
 * when their issuer is a designated revoker named by a valid self-signature
 * (revocation-key subpacket; we cannot verify them without the revoker's
 * key, but a keyserver must never lose a revocation), else dropped.
 * Every other third-party signature (direct-key, subkey binding, odd
 * types) is dropped. A signature of a type that does not belong where it
 * was found (keys pasted together by hand, careless keyring merges) is
 * moved to the component it verifies on if it is ours, or, for a
 * third-party certification, to the user ID its 16 digest bits match;
 * else it is dropped. That search is bounded (REHOME_*).
 *
 * Policy: a verified self-signature counts (binds a component) only if
 *
 *   condition                          binding sig (0x10-0x13,    revocation
 *                                      0x16, 0x18, 0x19, 0x1F)    (0x20, 0x28,
 *                                                                 0x30)
 *   hash MD5                           refused: BAD, dropped      counts
 *   hash SHA-1, RIPEMD-160             counts if created before   counts
 *                                      2023-01-01, else refused
 *                                      (gpg / sq cut-off)
 *   hash SHA2-224/256/384/512,         counts                     counts
 *     SHA3-256/512
 *   other hash                         UNSUPPORTED: kept, no use  same
 *   created > 1 day after now          UNSUPPORTED: kept, no use  same
 *   unknown critical subpacket, or     UNSUPPORTED: kept, no use  same
 *     any critical notation (we
 *     understand none; RFC 9580 5.2.3.24)
 *   created before the key it binds    BAD, dropped (gpg: "key    counts
 *                                      is newer than signature")
 *
 * Revocations count with any hash we can compute: accepting a forged
 * revocation only makes a key less usable, while ignoring a real one
 * keeps a compromised key alive.
 *
 * Expiry never removes anything: expired keys, binding signatures and
 * back-signatures are kept and still bind, because signatures made while
 * they were valid must stay checkable with what the keyserver hands out.
 * (sq and rnp call a subkey with an expired back-signature invalid *now*;
 * that is for users of the key to decide, with the data we keep.)
 *
 * Back-signatures: a subkey binding must carry a valid embedded 0x19
 * signature by the subkey when its key flags say it may sign (RFC 9580
 * 5.2.1.8; what Sequoia, hence keys.openpgp.org, enforces). A binding
 * without key flags is not asked for one even if the algorithm could
 * sign: such subkeys predate cross-certification (RFC 2440 keys), GnuPG,
 * Sequoia and OpenPGP.js all keep them, and users of the key check the
 * back-signature themselves before trusting a signature by the subkey.
 * BACKSIG_WITHOUT_FLAGS turns the stricter reading on.
 *
 * Cleaning: identical packets are folded first (pgp_key_canonicalize), so
 * a duplicate is verified once and never reported as dropped; BAD
 * signatures are removed; user IDs, attributes and subkeys without a GOOD
 * binding self-signature are removed, except that one with a GOOD
 * self-revocation is kept (revocations are never lost). On success the
 * detail sentence lists what was removed, including what key.c skipped
 * while reading (pgp_key.skipped_*, trimmed_packets); the ADD reply shows
 * it as "dropped:".
 *
 * Acceptance: PGP_OK when some user ID or attribute is validly
 * self-signed; also for a v6 key, or a v4 key that came without any user
 * ID or attribute, with a GOOD direct-key signature (keys.openpgp.org
 * stores user-ID-less keys; RFC 9580 lets a v6 certificate rest on its
 * direct-key signature). Otherwise PGP_ERR_UNSUPPORTED when no
 * self-signature could be checked at all (algorithm we cannot verify),
 * else PGP_ERR_NO_SELFSIG.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/check_internal.h"
#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "util/xalloc.h"

/* Hash computations spent trying misplaced signatures on other
 * components; bounds the work a shuffled or hostile key can cause. */
#define REHOME_BUDGET	256
#define REHOME_HASH_BUDGET 4096	/* the same for digest-only trials */
/* Ask for a back-signature also when a binding has no key flags and the
 * subkey's algorithm can sign (see the comment at the top). */
#define BACKSIG_WITHOUT_FLAGS	0

/* Notes (pgp_sig.note): one object each, compared by address. */
const char chk_note_moved[] = "moved to the component it signs";
const char chk_note_drop[] = "not valid here";
const char chk_note_digest[] = "digest does not match";
const char chk_note_algo[] = "algorithm not supported";
const char chk_note_hash[] = "unknown hash algorithm";
const char chk_note_critical[] = "unknown critical subpacket";
const char chk_note_future[] = "created in the future";
const char chk_note_md5[] = "MD5 hash refused";
const char chk_note_sha1[] = "SHA-1 hash refused after 2023-01-01";
const char chk_note_older[] = "older than the key it binds";

/* ---- judging one signature ------------------------------------------- */

/* Algorithms whose keys can make signatures, for subkeys whose binding
 * carries no key-flags subpacket. ElGamal (20) could once sign, but nobody
 * verifies that any more, so it does not need a back-signature either. */
static bool
algo_can_sign(uint8_t algo)
{
	switch (algo) {
	case PGP_PK_RSA: case PGP_PK_RSA_S: case PGP_PK_DSA:
	case PGP_PK_ECDSA: case PGP_PK_EDDSA_LEGACY: case PGP_PK_ED25519:
	case PGP_PK_ED448:
		return true;
	default:
		return false;
	}
}

/*
 * A subkey that may sign must prove it agrees to be bound: the binding
 * carries an embedded 0x19 signature made by the subkey over the same
 * data (RFC 9580 5.2.1.8). Without it anyone could bind someone else's
 * signing key as their own subkey.
 */
static enum pgp_sig_state
check_backsig(struct check *c, struct pgp_sig *bind,
    const struct pgp_component *sub, bool known, bool *crypto_ok)
{
	struct pgp_sig e;
	enum pgp_sig_state st;
	uint32_t nb;

	*crypto_ok = false;

	if (bind->embedded_len == 0) {
		bind->note = "signing subkey without back-signature";
		return PGP_SIG_BAD;
	}
	if (bind->embedded_off > bind->pkt.len ||
	    bind->embedded_len > bind->pkt.len - bind->embedded_off) {
		bind->note = "malformed back-signature";
		return PGP_SIG_BAD;
	}
	memset(&e, 0, sizeof(e));
	e.pkt.tag = PGP_TAG_SIG;
	e.pkt.body = bind->pkt.body + bind->embedded_off;
	e.pkt.len = bind->embedded_len;
	if (pgp_sig_parse(&e) != PGP_OK ||
	    e.type != PGP_SIG_PRIMARY_BINDING || e.version < 4) {
		bind->note = "malformed back-signature";
		return PGP_SIG_BAD;
	}
	if (issuer_is(&e, &sub->sub) == 0) {
		bind->note = "back-signature by another key";
		return PGP_SIG_BAD;
	}
	if (known) {
		/* the binding's entry covers its back-signature (judge) */
		chk_count_op(c, &sub->sub, true);
		st = PGP_SIG_GOOD;
	} else {
		st = chk_verify(c, &e, &sub->pkt, &sub->sub, &sub->pkt);
	}
	*crypto_ok = st == PGP_SIG_GOOD;
	nb = sub->sub.created > c->key->pub.created ? sub->sub.created :
	    c->key->pub.created;
	if (st == PGP_SIG_GOOD)
		st = chk_policy(c, &e, nb);
	if (st != PGP_SIG_GOOD) {
		bind->note = st == PGP_SIG_UNSUPPORTED ?
		    "back-signature cannot be checked" :
		    "back-signature invalid";
		c->last_note = e.note;
	}
	return st;
}

/*
 * Verify s as a self-signature of its type at home h (which must be a
 * place where that type belongs) and apply the policy. Sets s->state and
 * s->note; returns the state.
 */
static enum pgp_sig_state
judge(struct check *c, struct pgp_sig *s, struct home h)
{
	struct pgp_key *k = c->key;
	struct pgp_component *comp = NULL;
	struct hashed_info hi;
	enum pgp_sig_state st;
	uint32_t nb = k->pub.created;
	uint8_t entry[PGP_VERIFIED_LEN];
	bool known, backsig = false, crypto_ok, back_ok;

	if (h.kind == HOME_UID)
		comp = &k->uids[h.idx];
	else if (h.kind == HOME_SUB)
		comp = &k->subkeys[h.idx];
	if (s->type == PGP_SIG_SUBKEY_BINDING && comp != NULL) {
		chk_scan_hashed(s, &hi);
		backsig = hi.has_key_flags ? (hi.key_flags & 0x02) != 0 :
		    BACKSIG_WITHOUT_FLAGS && algo_can_sign(comp->sub.algo);
	}
	/* Verified before, in this place, by this key (and, for a binding
	 * that needs one, with its back-signature): only the policy is
	 * applied again. An entry is recorded only when every public-key
	 * operation the signature needs succeeded. */
	chk_entry_of(c, s, comp ? &comp->pkt : NULL, c->kname, entry);
	known = pgp_known_verified(c->known, entry);
	if (known) {
		chk_count_op(c, &k->pub, true);
		s->note = NULL;
		st = PGP_SIG_GOOD;
	} else {
		st = chk_verify(c, s, comp ? &comp->pkt : NULL, &k->pub,
		    &k->pkt);
	}
	crypto_ok = st == PGP_SIG_GOOD && (known || !backsig);
	if (h.kind == HOME_SUB && comp != NULL && comp->sub.created > nb)
		nb = comp->sub.created;
	if (st == PGP_SIG_GOOD)
		st = chk_policy(c, s, nb);
	if (st == PGP_SIG_GOOD && backsig) {
		st = check_backsig(c, s, comp, known, &back_ok);
		crypto_ok = known || back_ok;
	}
	if (crypto_ok)
		chk_add_verified(k, entry);
	s->state = st;
	return st;
}

static bool
type_belongs(uint8_t type, enum home_kind kind)
{
	switch (kind) {
	case HOME_KEY:
		return type == PGP_SIG_DIRECT || type == PGP_SIG_KEY_REVOKE;
	case HOME_UID:
		return is_uid_type(type);
	default:
		return type == PGP_SIG_SUBKEY_BINDING ||
		    type == PGP_SIG_SUBKEY_REVOKE;
	}
}

/*
 * s (a self-signature, or one without issuer) failed or was found where
 * its type does not belong. Try it on the other places where its type
 * belongs; on success queue a move and return true. The trial works on a
 * copy, so a failure leaves s as it was.
 */
static bool
rehome(struct check *c, struct pgp_sig *s, struct home from)
{
	struct pgp_key *k = c->key;
	struct pgp_sig t;
	struct home h;
	size_t i, n = 0;

	if (type_belongs(s->type, HOME_KEY))
		h.kind = HOME_KEY, n = 1;
	else if (type_belongs(s->type, HOME_UID))
		h.kind = HOME_UID, n = k->nuids;
	else if (type_belongs(s->type, HOME_SUB))
		h.kind = HOME_SUB, n = k->nsubkeys;
	for (i = 0; i < n && c->budget > 0; i++) {
		h.idx = i;
		if (h.kind == from.kind && i == from.idx)
			continue;
		c->budget--;
		t = *s;
		if (judge(c, &t, h) != PGP_SIG_GOOD)
			continue;
		c->moves = pgp_grow(c->moves, c->nmoves, sizeof(*c->moves));
		c->moves[c->nmoves].sig = t;
		c->moves[c->nmoves].to = h;
		c->nmoves++;
		s->state = PGP_SIG_BAD;
		s->note = chk_note_moved;
		return true;
	}
	return false;
}

/*
 * A third-party certification found on a subkey (keys pasted together by
 * hand, sloppy keyring merges) cannot be verified, but the 16 digest bits
 * it carries tell which user ID it was made over (1 in 65536 chance of a
 * wrong match). Move it there, still UNCHECKED; true if queued.
 */
static bool
rehome_third(struct check *c, struct pgp_sig *s)
{
	struct pgp_key *k = c->key;
	struct pgp_sig t;
	uint8_t d[64];
	size_t i, dlen;

	for (i = 0; i < k->nuids && c->hash_budget > 0; i++) {
		c->hash_budget--;
		t = *s;
		if (chk_digest(c, &t, &k->uids[i].pkt, d, &dlen) != PGP_SIG_GOOD)
			continue;
		t.state = PGP_SIG_UNCHECKED;
		t.note = NULL;
		c->moves = pgp_grow(c->moves, c->nmoves, sizeof(*c->moves));
		c->moves[c->nmoves].sig = t;
		c->moves[c->nmoves].to.kind = HOME_UID;
		c->moves[c->nmoves].to.idx = i;
		c->nmoves++;
		s->state = PGP_SIG_BAD;
		s->note = chk_note_moved;
		return true;
	}
	return false;
}

static void
count(struct check *c, const struct pgp_sig *s)
{
	c->nself++;
	if (s->state == PGP_SIG_GOOD)
		return;
	if (s->note == chk_note_algo || s->note == chk_note_hash)
		c->nunsupported++;
	else if (s->note == chk_note_critical || s->note == chk_note_future ||
	    s->note == chk_note_md5 || s->note == chk_note_sha1 ||
	    s->note == chk_note_older)
		c->nrefused++;
	else
		c->nbad++;
	if (s->note != NULL)
		c->last_note = s->note;
}

static void
drop(struct pgp_sig *s, const char *why)
{
	s->state = PGP_SIG_BAD;
	s->note = why;
}

/*
 * One signature found at home h. Decides its state; signatures to be
 * dropped end up BAD (with chk_note_drop or the failure), moved ones BAD with
 * chk_note_moved. Third-party revocations whose fate depends on a designated
 * revoker stay UNCHECKED and are settled in clean().
 */
static void
examine(struct check *c, struct pgp_sig *s, struct home h)
{
	int self = issuer_is(s, &c->key->pub);
	enum pgp_sig_state st;

	s->state = PGP_SIG_UNCHECKED;
	s->note = NULL;
	if (!type_belongs(s->type, h.kind)) {
		/* Misplaced: ours are verified where they belong; third-party
		 * certifications are matched by their digest bits. */
		if (self != 0 && rehome(c, s, h))
			return;
		if (self != 1 && is_uid_type(s->type) && s->type != 0x16 &&
		    rehome_third(c, s))
			return;
		drop(s, chk_note_drop);
		return;
	}
	if (self == 0) {
		/* Third party: certifications (and the certifier's own
		 * revocations of them) stay; key/subkey revocations wait
		 * for the revoker decision; the rest is not ours to keep. */
		if (h.kind == HOME_UID && s->type != 0x16)
			return;
		if (s->type == PGP_SIG_KEY_REVOKE ||
		    s->type == PGP_SIG_SUBKEY_REVOKE)
			return;
		drop(s, chk_note_drop);
		return;
	}
	st = judge(c, s, h);
	if (st == PGP_SIG_GOOD) {
		count(c, s);
		return;
	}
	if (self == -1) {
		/* No issuer and not ours: an unverifiable certification is
		 * kept like any third-party one; anything else goes. */
		if (h.kind == HOME_UID && s->type != 0x16) {
			s->state = PGP_SIG_UNCHECKED;
			s->note = NULL;
		} else {
			drop(s, chk_note_drop);
		}
		return;
	}
	/* A digest mismatch is what a signature on the wrong component
	 * looks like; a broken signature value is not worth moving. */
	if (st == PGP_SIG_BAD && s->note == chk_note_digest && rehome(c, s, h))
		return;
	count(c, s);
}

/* ---- moving signatures where they belong ----------------------------- */

static bool
has_copy(const struct pgp_sig *sigs, size_t n, const struct pgp_sig *s)
{
	size_t i;

	/* BAD ones are on their way out; moved-away ones may even have
	 * lost their body to this very test. */
	for (i = 0; i < n; i++)
		if (sigs[i].state != PGP_SIG_BAD &&
		    sigs[i].pkt.len == s->pkt.len &&
		    memcmp(sigs[i].pkt.body, s->pkt.body, s->pkt.len) == 0)
			return true;
	return false;
}

static void
apply_moves(struct check *c)
{
	struct pgp_key *k = c->key;
	struct pgp_sig **arr;
	size_t *n, i;

	for (i = 0; i < c->nmoves; i++) {
		struct move *m = &c->moves[i];

		if (m->to.kind == HOME_KEY) {
			arr = &k->sigs;
			n = &k->nsigs;
		} else if (m->to.kind == HOME_UID) {
			arr = &k->uids[m->to.idx].sigs;
			n = &k->uids[m->to.idx].nsigs;
		} else {
			arr = &k->subkeys[m->to.idx].sigs;
			n = &k->subkeys[m->to.idx].nsigs;
		}
		if (has_copy(*arr, *n, &m->sig)) {
			/* already there: the move would duplicate it.
			 * Deduplication, not a loss: not reported. */
			pgp_sig_clear(&m->sig);
			continue;
		}
		*arr = pgp_grow(*arr, *n, sizeof(**arr));
		(*arr)[*n] = m->sig;
		(*n)++;
		if (m->sig.state != PGP_SIG_UNCHECKED)
			count(c, &m->sig);
	}
	free(c->moves);
	c->moves = NULL;
	c->nmoves = 0;
}

/* ---- the detail sentence --------------------------------------------- */

static void
say(char *detail, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (detail == NULL || n == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(detail, n, fmt, ap);
	va_end(ap);
}

/* Append ", N thing(s)" to the removed-list sentence when n > 0. */
static void
item(struct buf *b, unsigned n, const char *one, const char *many)
{
	if (n == 0)
		return;
	(void)buf_printf(b, "%s%u %s", b->len ? ", " : "removed ", n,
	    n == 1 ? one : many);
}

/* The sentence of an accepted key: what was left out, and why. */
static void
removed(const struct check *c, char *detail, size_t n)
{
	const struct pgp_key *k = c->key;
	struct buf b;

	buf_init(&b, 0);
	item(&b, c->drop_sigs, "signature that does not verify, is refused "
	    "by policy or does not belong where it was", "signatures that "
	    "do not verify, are refused by policy or do not belong where "
	    "they were");
	item(&b, c->drop_uids, "user ID or attribute without a valid "
	    "self-signature", "user IDs or attributes without a valid "
	    "self-signature");
	item(&b, c->drop_subkeys, "subkey without a valid binding "
	    "signature", "subkeys without a valid binding signature");
	item(&b, k->skipped_packets, "packet of unknown type or version (a "
	    "v5 or unreadable subkey, say)", "packets of unknown type or "
	    "version (v5 or unreadable subkeys, say)");
	item(&b, k->skipped_sigs, "unreadable or stray signature",
	    "unreadable or stray signatures");
	item(&b, k->trimmed_packets, "run of octets after the public key "
	    "material of a key packet (cut off and not stored: a key packet "
	    "ends there)", "runs of octets after the public key material of "
	    "key packets (cut off and not stored: a key packet ends there)");
	say(detail, n, "%s", b.len ? (const char *)b.data : "");
	free(b.data);
}

enum pgp_status
pgp_key_check(struct pgp_key *key, time_t now, char *detail,
    size_t detaillen)
{
	return pgp_key_check_known(key, now, NULL, NULL, detail, detaillen);
}

enum pgp_status
pgp_key_check_known(struct pgp_key *key, time_t now,
    const struct pgp_known *known, struct pgp_vstats *stats, char *detail,
    size_t detaillen)
{
	struct check c;
	struct home h;
	size_t i, j;
	bool had_uids = key->nuids > 0, uid_ok = false, direct_ok = false;

	say(detail, detaillen, "%s", "");
	/* Identical packets are one packet (RFC 9580 keeps no order we
	 * need): dedup first, so that a duplicate is neither verified twice
	 * nor reported as dropped, and the result does not depend on the
	 * order packets came in. */
	pgp_key_canonicalize(key);
	memset(&c, 0, sizeof(c));
	c.key = key;
	c.now = now;
	c.known = known;
	c.stats = stats;
	pgp_name_key(&key->pkt, c.kname);
	c.budget = REHOME_BUDGET;
	c.hash_budget = REHOME_HASH_BUDGET;

	h.kind = HOME_KEY;
	h.idx = 0;
	for (i = 0; i < key->nsigs; i++)
		examine(&c, &key->sigs[i], h);
	h.kind = HOME_UID;
	for (i = 0; i < key->nuids; i++)
		for (h.idx = i, j = 0; j < key->uids[i].nsigs; j++)
			examine(&c, &key->uids[i].sigs[j], h);
	h.kind = HOME_SUB;
	for (i = 0; i < key->nsubkeys; i++)
		for (h.idx = i, j = 0; j < key->subkeys[i].nsigs; j++)
			examine(&c, &key->subkeys[i].sigs[j], h);
	chk_release(&c);

	apply_moves(&c);
	chk_settle(&c);

	for (i = 0; i < key->nuids; i++)
		uid_ok = uid_ok || key->uids[i].valid;
	direct_ok = chk_newest_binding(key->sigs, key->nsigs) != NULL;
	/* A revocation-only copy (owner-control.md 2: the primary key and
	 * its key revocations, what a trusted server sends for a key it
	 * does not publish) carries its own proof: a valid self-revocation. */
	if (uid_ok || (direct_ok && (key->pub.version == 6 || !had_uids)) ||
	    (key->revoked && !had_uids && key->nsubkeys == 0)) {
		/* On success the detail says what reading and cleaning
		 * removed (empty when nothing was). */
		removed(&c, detail, detaillen);
		return PGP_OK;
	}
	if (c.nself == 0) {
		say(detail, detaillen, "%s", had_uids ?
		    "no user ID carries a self-signature" :
		    "the key has no user ID and no direct-key "
		    "self-signature");
		return PGP_ERR_NO_SELFSIG;
	}
	say(detail, detaillen, "%s (%u self-signature%s checked: %u bad, "
	    "%u refused by policy, %u unsupported%s%s)", had_uids ?
	    "no user ID is validly self-signed" :
	    "the key has no user ID and no valid direct-key self-signature",
	    c.nself, c.nself == 1 ? "" : "s", c.nbad, c.nrefused,
	    c.nunsupported, c.last_note ? "; last problem: " : "",
	    c.last_note ? c.last_note : "");
	if (c.nunsupported == c.nself)
		return PGP_ERR_UNSUPPORTED;
	return PGP_ERR_NO_SELFSIG;
}
