/*
 * pgp/check.c - pgp_key_check(): verify the self-signatures of a parsed
 * transferable public key and clean the key down to what they prove.
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

#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "util/xalloc.h"

#define SHA1_CUTOFF	1672531200u	/* 2023-01-01T00:00:00Z */
#define FUTURE_SLACK	86400		/* clock skew forgiven (s) */
/* Hash computations spent trying misplaced signatures on other
 * components; bounds the work a shuffled or hostile key can cause. */
#define REHOME_BUDGET	256
#define REHOME_HASH_BUDGET 4096	/* the same for digest-only trials */
#define NPREFIX		16	/* hash IDs with a cached key prefix */
#define MAX_REVOKERS	8		/* designated revokers we honour */
/* Ask for a back-signature also when a binding has no key flags and the
 * subkey's algorithm can sign (see the comment at the top). */
#define BACKSIG_WITHOUT_FLAGS	0

/* Where a signature lives or is tried. */
enum home_kind { HOME_KEY, HOME_UID, HOME_SUB };

struct home {
	enum home_kind kind;
	size_t idx;		/* into uids or subkeys */
};

/* A signature found to belong to another component, moved after the
 * verification pass. */
struct move {
	struct pgp_sig sig;
	struct home to;
};

struct check {
	struct pgp_key *key;
	time_t now;
	/* 0x99 || len || primary body, per hash algorithm, for v3/v4 sigs:
	 * the primary packet is hashed once, then copied per signature. */
	struct pgp_hash *prefix[NPREFIX];
	int budget;		/* signature checks for moving signatures */
	int hash_budget;	/* digest-only trials, third-party moves */
	/* Designated revokers named by counting self-signatures. */
	uint8_t revoker[MAX_REVOKERS][32];
	size_t revoker_len[MAX_REVOKERS];
	size_t nrevokers;
	struct move *moves;
	size_t nmoves;
	/* For the detail sentence. */
	unsigned nself, nbad, nrefused, nunsupported;
	unsigned drop_sigs, drop_uids, drop_subkeys;
	const char *last_note;
};

/* Notes (pgp_sig.note): static strings, compared by address. */
static const char note_moved[] = "moved to the component it signs";
static const char note_drop[] = "not valid here";
static const char note_digest[] = "digest does not match";
static const char note_algo[] = "algorithm not supported";
static const char note_hash[] = "unknown hash algorithm";
static const char note_critical[] = "unknown critical subpacket";
static const char note_future[] = "created in the future";
static const char note_md5[] = "MD5 hash refused";
static const char note_sha1[] = "SHA-1 hash refused after 2023-01-01";
static const char note_older[] = "older than the key it binds";

static void
be32(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool
is_cert(uint8_t type)
{
	return type >= PGP_SIG_CERT_GENERIC && type <= PGP_SIG_CERT_POSITIVE;
}

/* Types hashed over primary key + user ID/attribute. 0x16 is the
 * attestation (RFC 9580 5.2.1.9): checked and kept, never binding. */
static bool
is_uid_type(uint8_t type)
{
	return is_cert(type) || type == 0x16 || type == PGP_SIG_CERT_REVOKE;
}

static bool
is_revocation(uint8_t type)
{
	return type == PGP_SIG_KEY_REVOKE || type == PGP_SIG_SUBKEY_REVOKE ||
	    type == PGP_SIG_CERT_REVOKE;
}

/* 1: issued by pub; 0: by another key; -1: no issuer information. */
static int
issuer_is(const struct pgp_sig *s, const struct pgp_pubkey *pub)
{
	if (s->issuer_fpr_len != 0)
		return s->issuer_fpr_len == pub->fprlen &&
		    memcmp(s->issuer_fpr, pub->fpr, pub->fprlen) == 0;
	if (s->has_issuer)
		return memcmp(s->issuer, pub->keyid, 8) == 0;
	return -1;
}

/* ---- hashed subpackets the parser does not summarise ----------------- */

struct hashed_info {
	bool has_key_flags;	/* absent and zero differ for back-sigs */
	uint8_t key_flags;
	bool has_reason;
	uint8_t reason;		/* reason-for-revocation code */
	bool critical_notation;	/* we know no notation at all */
	/* Designated revokers (subpacket 12: class, algorithm, then a v4
	 * or v6 fingerprint); views into the signature body. */
	const uint8_t *revoker[MAX_REVOKERS];
	size_t revoker_len[MAX_REVOKERS];
	size_t nrevokers;
};

static void
scan_hashed(const struct pgp_sig *s, struct hashed_info *hi)
{
	struct rd r, sp;
	uint8_t b0, b1, type;
	uint32_t len;

	memset(hi, 0, sizeof(*hi));
	if (s->version < 4 || s->hashed_off > s->pkt.len ||
	    s->hashed_len > s->pkt.len - s->hashed_off)
		return;
	rd_init(&r, s->pkt.body + s->hashed_off, s->hashed_len);
	while (r.left > 0) {
		if (rd_u8(&r, &b0) == -1)
			return;
		if (b0 < 192) {
			len = b0;
		} else if (b0 < 255) {
			if (rd_u8(&r, &b1) == -1)
				return;
			len = ((uint32_t)(b0 - 192) << 8) + b1 + 192;
		} else if (rd_u32(&r, &len) == -1) {
			return;
		}
		if (len == 0 || rd_sub(&r, len, &sp) == -1 ||
		    rd_u8(&sp, &type) == -1)
			return;
		if (type == (0x80 | 20))
			hi->critical_notation = true;
		type &= 0x7f;
		if (type == 27 && sp.left > 0) {
			hi->has_key_flags = true;
			hi->key_flags = sp.p[0];
		} else if (type == 27) {
			hi->has_key_flags = true;
		} else if (type == 29 && sp.left > 0) {
			hi->has_reason = true;
			hi->reason = sp.p[0];
		} else if (type == 12 && (sp.left == 22 || sp.left == 34) &&
		    hi->nrevokers < MAX_REVOKERS) {
			hi->revoker[hi->nrevokers] = sp.p + 2;
			hi->revoker_len[hi->nrevokers++] = sp.left - 2;
		}
	}
}

/* RFC 9580 5.2.3.31: "superseded", "retired" and "user ID no longer
 * valid" are soft; no reason, "compromised" and anything else are hard. */
static bool
hard_revocation(const struct pgp_sig *s)
{
	struct hashed_info hi;

	scan_hashed(s, &hi);
	return !hi.has_reason ||
	    (hi.reason != 1 && hi.reason != 3 && hi.reason != 32);
}

/* ---- hashing and verification ---------------------------------------- */

/* 0x99 || 2-octet length (v3/v4 signatures) or 0x9B || 4-octet length
 * (v6), then the key packet body. */
static void
put_key(struct pgp_hash *h, bool v6, const struct pgp_packet *p)
{
	uint8_t hdr[5];

	if (v6) {
		hdr[0] = 0x9B;
		be32(hdr + 1, p->len);
		pgp_hash_write(h, hdr, 5);
	} else {
		hdr[0] = 0x99;
		hdr[1] = (uint8_t)(p->len >> 8);
		hdr[2] = (uint8_t)p->len;
		pgp_hash_write(h, hdr, 3);
	}
	pgp_hash_write(h, p->body, p->len);
}

static size_t
v6_salt_len(uint8_t hashalgo)
{
	switch (hashalgo) {
	case PGP_HASH_SHA256: case PGP_HASH_SHA224: case PGP_HASH_SHA3_256:
		return 16;
	case PGP_HASH_SHA384:
		return 24;
	case PGP_HASH_SHA512: case PGP_HASH_SHA3_512:
		return 32;
	default:
		return 0;
	}
}

/* The parser's offsets, re-checked, and the framing limits of the
 * signature version. The signer's version is checked in verify(). */
static const char *
layout_problem(const struct pgp_sig *s, const struct pgp_packet *primary,
    const struct pgp_packet *comp)
{
	const struct pgp_packet *b = &s->pkt;

	if (s->version == 6) {
		if (s->salt_len != v6_salt_len(s->hashalgo) ||
		    s->salt_off > b->len || s->salt_len > b->len - s->salt_off)
			return "salt does not fit the hash";
	} else if (s->version == 4 || s->version == 3) {
		/* The 2-octet frame cannot describe a bigger key packet. */
		if (primary->len > 0xFFFF || (comp != NULL &&
		    comp->tag == PGP_TAG_PUBSUBKEY && comp->len > 0xFFFF))
			return "key packet too long for a v4 signature";
	} else {
		return "unknown signature version";
	}
	if (s->version == 3)
		return b->len < 7 || b->body[1] != 5 ?
		    "malformed v3 signature" : NULL;
	if (s->hashed_off > b->len || s->hashed_len > b->len - s->hashed_off)
		return "malformed signature";
	return NULL;
}

/* A fresh hash context holding the primary key frame for a v3/v4
 * signature; NULL if the hash is unknown. */
static struct pgp_hash *
prefix_hash(struct check *c, uint8_t algo)
{
	struct pgp_hash *h;

	if (algo < NPREFIX && c->prefix[algo] != NULL)
		return pgp_hash_copy(c->prefix[algo]);
	if ((h = pgp_hash_open(algo)) == NULL)
		return NULL;
	put_key(h, false, &c->key->pkt);
	if (algo >= NPREFIX)
		return h;
	c->prefix[algo] = h;
	return pgp_hash_copy(h);
}

/*
 * Hash what s covers - [v6 salt,] the primary key, then comp (a user ID,
 * attribute or subkey packet; NULL for a signature over the key alone),
 * then the signature's hashed part and trailer (RFC 9580 5.2.4) - and
 * compare the left 16 bits. Returns PGP_SIG_GOOD with the digest in d,
 * or the state and s->note saying why not.
 */
static enum pgp_sig_state
digest(struct check *c, struct pgp_sig *s, const struct pgp_packet *comp,
    uint8_t d[64], size_t *dlen)
{
	const struct pgp_packet *b = &s->pkt;
	struct pgp_hash *h;
	uint8_t hdr[6];
	size_t hend;
	bool v6 = s->version == 6;
	const char *why;

	if ((why = layout_problem(s, &c->key->pkt, comp)) != NULL) {
		s->note = why;
		return PGP_SIG_BAD;
	}
	if (v6) {
		if ((h = pgp_hash_open(s->hashalgo)) != NULL) {
			pgp_hash_write(h, b->body + s->salt_off, s->salt_len);
			put_key(h, true, &c->key->pkt);
		}
	} else {
		h = prefix_hash(c, s->hashalgo);
	}
	if (h == NULL) {
		s->note = note_hash;
		return PGP_SIG_UNSUPPORTED;
	}
	if (comp != NULL && comp->tag == PGP_TAG_PUBSUBKEY) {
		put_key(h, v6, comp);
	} else if (comp != NULL && s->version == 3) {
		pgp_hash_write(h, comp->body, comp->len);
	} else if (comp != NULL) {
		hdr[0] = comp->tag == PGP_TAG_UID ? 0xB4 : 0xD1;
		be32(hdr + 1, comp->len);
		pgp_hash_write(h, hdr, 5);
		pgp_hash_write(h, comp->body, comp->len);
	}
	if (s->version == 3) {
		pgp_hash_write(h, b->body + 2, 5);	/* type, created */
	} else {
		hend = s->hashed_off + s->hashed_len;
		pgp_hash_write(h, b->body, hend);
		hdr[0] = s->version;
		hdr[1] = 0xFF;
		be32(hdr + 2, hend);
		pgp_hash_write(h, hdr, 6);
	}
	*dlen = pgp_hash_final(h, d);
	/* Cheap reject before any public-key operation. */
	if (*dlen < 2 || d[0] != s->left16[0] || d[1] != s->left16[1]) {
		s->note = note_digest;
		return PGP_SIG_BAD;
	}
	return PGP_SIG_GOOD;
}

/* digest(), then the public-key operation with signer. */
static enum pgp_sig_state
verify(struct check *c, struct pgp_sig *s, const struct pgp_packet *comp,
    const struct pgp_pubkey *signer, const struct pgp_packet *signer_pkt)
{
	uint8_t d[64];
	size_t dlen;
	enum pgp_sig_state st;

	/* RFC 9580 5.2: v6 keys make v6 signatures, v4 keys v4 (or
	 * legacy v3) ones. */
	if ((s->version == 6) != (signer->version == 6)) {
		s->note = "signature version does not match the key";
		return PGP_SIG_BAD;
	}
	if ((st = digest(c, s, comp, d, &dlen)) != PGP_SIG_GOOD)
		return st;
	switch (pgp_crypto_verify(signer, signer_pkt->body, signer_pkt->len,
	    s, d, dlen)) {
	case PGP_SIG_GOOD:
		s->note = NULL;
		return PGP_SIG_GOOD;
	case PGP_SIG_UNSUPPORTED:
		s->note = note_algo;
		return PGP_SIG_UNSUPPORTED;
	default:
		s->note = "signature does not verify";
		return PGP_SIG_BAD;
	}
}

/*
 * The policy table at the top of this file, for a signature that
 * verified. Returns the state it ends up with and sets s->note when that
 * is not GOOD. not_before: creation time of the (sub)key it binds.
 */
static enum pgp_sig_state
policy(const struct check *c, struct pgp_sig *s, uint32_t not_before)
{
	bool rev = is_revocation(s->type);
	struct hashed_info hi;

	scan_hashed(s, &hi);
	if (s->has_unknown_critical || hi.critical_notation) {
		s->note = note_critical;
		return PGP_SIG_UNSUPPORTED;
	}
	if ((time_t)s->created > c->now + FUTURE_SLACK) {
		s->note = note_future;
		return PGP_SIG_UNSUPPORTED;
	}
	if (rev)
		return PGP_SIG_GOOD;
	if (s->hashalgo == PGP_HASH_MD5) {
		s->note = note_md5;
		return PGP_SIG_BAD;
	}
	if ((s->hashalgo == PGP_HASH_SHA1 ||
	    s->hashalgo == PGP_HASH_RIPEMD160) && s->created >= SHA1_CUTOFF) {
		s->note = note_sha1;
		return PGP_SIG_BAD;
	}
	if (s->created < not_before) {
		s->note = note_older;
		return PGP_SIG_BAD;
	}
	return PGP_SIG_GOOD;
}

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
    const struct pgp_component *sub)
{
	struct pgp_sig e;
	enum pgp_sig_state st;
	uint32_t nb;

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
	st = verify(c, &e, &sub->pkt, &sub->sub, &sub->pkt);
	nb = sub->sub.created > c->key->pub.created ? sub->sub.created :
	    c->key->pub.created;
	if (st == PGP_SIG_GOOD)
		st = policy(c, &e, nb);
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

	if (h.kind == HOME_UID)
		comp = &k->uids[h.idx];
	else if (h.kind == HOME_SUB)
		comp = &k->subkeys[h.idx];
	st = verify(c, s, comp ? &comp->pkt : NULL, &k->pub, &k->pkt);
	if (h.kind == HOME_SUB && comp != NULL && comp->sub.created > nb)
		nb = comp->sub.created;
	if (st == PGP_SIG_GOOD)
		st = policy(c, s, nb);
	if (st == PGP_SIG_GOOD && s->type == PGP_SIG_SUBKEY_BINDING &&
	    comp != NULL) {
		scan_hashed(s, &hi);
		if (hi.has_key_flags ? (hi.key_flags & 0x02) != 0 :
		    BACKSIG_WITHOUT_FLAGS && algo_can_sign(comp->sub.algo))
			st = check_backsig(c, s, comp);
	}
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
		s->note = note_moved;
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
		if (digest(c, &t, &k->uids[i].pkt, d, &dlen) != PGP_SIG_GOOD)
			continue;
		t.state = PGP_SIG_UNCHECKED;
		t.note = NULL;
		c->moves = pgp_grow(c->moves, c->nmoves, sizeof(*c->moves));
		c->moves[c->nmoves].sig = t;
		c->moves[c->nmoves].to.kind = HOME_UID;
		c->moves[c->nmoves].to.idx = i;
		c->nmoves++;
		s->state = PGP_SIG_BAD;
		s->note = note_moved;
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
	if (s->note == note_algo || s->note == note_hash)
		c->nunsupported++;
	else if (s->note == note_critical || s->note == note_future ||
	    s->note == note_md5 || s->note == note_sha1 ||
	    s->note == note_older)
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
 * dropped end up BAD (with note_drop or the failure), moved ones BAD with
 * note_moved. Third-party revocations whose fate depends on a designated
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
		drop(s, note_drop);
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
		drop(s, note_drop);
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
			drop(s, note_drop);
		}
		return;
	}
	/* A digest mismatch is what a signature on the wrong component
	 * looks like; a broken signature value is not worth moving. */
	if (st == PGP_SIG_BAD && s->note == note_digest && rehome(c, s, h))
		return;
	count(c, s);
}

/* ---- deriving flags and cleaning ------------------------------------- */

static void
sig_release(struct pgp_sig *s)
{
	if (s->note == note_moved)
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
			if (s->note != note_moved)
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

/* Newest GOOD signature of a binding type in an array (NULL if none). */
static const struct pgp_sig *
newest_binding(const struct pgp_sig *sigs, size_t n)
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
	const struct pgp_sig *b = newest_binding(comp->sigs, comp->nsigs);
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
	scan_hashed(s, &hi);
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
	const struct pgp_sig *newest = newest_binding(k->sigs, k->nsigs);
	const struct pgp_sig *b, *pb = NULL;
	uint64_t exp;
	size_t i;
	long first = -1, first_revoked = -1;

	for (i = 0; i < k->nuids; i++) {
		b = newest_binding(k->uids[i].sigs, k->uids[i].nsigs);
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
		b = newest_binding(u->sigs, u->nsigs);
		if (b != NULL && b->primary_uid &&
		    (pb == NULL || b->created > pb->created)) {
			pb = b;
			k->primary_uid = (long)i;
		}
	}
	if (k->primary_uid == -1)
		k->primary_uid = first != -1 ? first : first_revoked;
}

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
	for (i = 0; i < NPREFIX; i++)
		pgp_hash_free(c.prefix[i]);

	apply_moves(&c);
	find_revokers(&c);
	clean(&c);
	summarise(key);

	for (i = 0; i < key->nuids; i++)
		uid_ok = uid_ok || key->uids[i].valid;
	direct_ok = newest_binding(key->sigs, key->nsigs) != NULL;
	if (uid_ok || (direct_ok && (key->pub.version == 6 || !had_uids))) {
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

/* ---- third-party certifications ---------------------------------------- */

/*
 * A third-party certification (0x10-0x13) or certification revocation
 * (0x30) on a user ID or attribute is checked with its issuer's primary
 * key, read from the first packet of the issuer's stored blob (our own
 * canonical form, so the primary key packet comes first and has no
 * trailing octets). The policy table at the top applies as to
 * self-signatures (MD5 refused, SHA-1 only before 2023, not dated in the
 * future, not older than the key it certifies). pgp_key_check never does
 * this (it has no store); the store does it for flooded user IDs
 * (store/merge.c, pgp_key_cap_certs) and VERBOSE INDEX for display.
 */
struct signer {
	struct pgp_pubkey pub;
	struct pgp_packet pkt;		/* primary key packet, body owned */
};

static int
signer_read(const uint8_t *blob, size_t len, struct signer *sg)
{
	struct rd r;
	struct pgp_pkthdr h;

	memset(sg, 0, sizeof(*sg));
	rd_init(&r, blob, len);
	if (pgp_packet_next(&r, &h) != PGP_OK || h.tag != PGP_TAG_PUBKEY ||
	    h.partial || pgp_pubkey_parse(h.body, h.len, false, &sg->pub,
	    NULL, 0) != PGP_OK || sg->pub.version < 4 ||
	    sg->pub.trailing != 0)
		return -1;
	sg->pkt.tag = PGP_TAG_PUBKEY;
	sg->pkt.body = xmemdup(h.body, h.len);
	sg->pkt.len = h.len;
	return 0;
}

static int
signer_cmp(const void *a, const void *b)
{
	return memcmp(((const struct signer *)a)->pub.keyid,
	    ((const struct signer *)b)->pub.keyid, 8);
}

/* Does component comp carry more than over third-party signatures? */
static bool
crowded(const struct pgp_key *k, const struct pgp_component *comp,
    size_t over)
{
	size_t i, n = 0;

	if (over == 0)
		return true;
	for (i = 0; i < comp->nsigs; i++)
		if (issuer_is(&comp->sigs[i], &k->pub) != 1 && ++n > over)
			return true;
	return false;
}

size_t
pgp_key_check_certs(struct pgp_key *key, size_t over,
    const struct pgp_blob *signers, size_t nsigners, time_t now)
{
	struct signer *sg = NULL, probe, *hit;
	struct check c;
	size_t i, j, n = 0, ngood = 0;

	if (nsigners == 0)
		return 0;
	sg = xreallocarray(NULL, nsigners, sizeof(*sg));
	for (i = 0; i < nsigners; i++)
		if (signer_read(signers[i].data, signers[i].len, &sg[n]) == 0)
			n++;
	qsort(sg, n, sizeof(*sg), signer_cmp);
	memset(&c, 0, sizeof(c));
	c.key = key;
	c.now = now;
	for (i = 0; i < key->nuids && n > 0; i++) {
		struct pgp_component *u = &key->uids[i];

		if (!crowded(key, u, over))
			continue;
		for (j = 0; j < u->nsigs; j++) {
			struct pgp_sig *s = &u->sigs[j];
			size_t lo, hi;

			if (!s->has_issuer || issuer_is(s, &key->pub) != 0 ||
			    !(is_cert(s->type) ||
			    s->type == PGP_SIG_CERT_REVOKE))
				continue;
			memcpy(probe.pub.keyid, s->issuer, 8);
			hit = bsearch(&probe, sg, n, sizeof(*sg), signer_cmp);
			if (hit == NULL)
				continue;
			/* Every signer with this key ID, until one is the
			 * issuer (by fingerprint when the sig names one). */
			lo = hi = (size_t)(hit - sg);
			while (lo > 0 && signer_cmp(&sg[lo - 1], hit) == 0)
				lo--;
			while (hi + 1 < n && signer_cmp(&sg[hi + 1], hit) == 0)
				hi++;
			for (; lo <= hi; lo++) {
				enum pgp_sig_state st;

				if (issuer_is(s, &sg[lo].pub) != 1)
					continue;
				st = verify(&c, s, &u->pkt, &sg[lo].pub,
				    &sg[lo].pkt);
				if (st == PGP_SIG_GOOD)
					st = policy(&c, s, key->pub.created);
				s->state = st;
				s->note = NULL;	/* notes are for self-sigs */
				if (st == PGP_SIG_GOOD) {
					ngood++;
					break;
				}
			}
		}
	}
	for (i = 0; i < NPREFIX; i++)
		pgp_hash_free(c.prefix[i]);
	for (i = 0; i < n; i++)
		free(sg[i].pkt.body);
	free(sg);
	return ngood;
}
