/*
 * pgp/check_verify.c - hashing a signature's data, verifying it with the
 * signer's key, and the signature policy of check.c (its table at the
 * top): the steps pgp_key_check (check.c) and pgp_key_check_certs
 * (check_certs.c) share.
 *
 * Input: signatures and key packets from untrusted mail. The parser's
 * offsets are checked against the body length again before they are
 * used (layout_problem); key material and signature values go to
 * pgp_crypto_verify(), which bounds-checks them once more.
 * Memory: hash contexts are the check's (struct check prefix[], released
 * by chk_release); nothing else outlives a call.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pgp/check_internal.h"
#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "util/be.h"

#define SHA1_CUTOFF	1672531200u	/* 2023-01-01T00:00:00Z */
#define FUTURE_SLACK	86400		/* clock skew forgiven (s) */

/* ---- hashed subpackets the parser does not summarise ----------------- */

void
chk_scan_hashed(const struct pgp_sig *s, struct hashed_info *hi)
{
	struct rd r, sp;
	uint8_t type;

	memset(hi, 0, sizeof(*hi));
	if (pgp_sig_hashed(s, &r) == -1)
		return;
	while (pgp_subpacket_next(&r, &type, &sp) == 0) {
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

/* ---- hashing and verification ---------------------------------------- */

/* 0x99 || 2-octet length (v3/v4 signatures) or 0x9B || 4-octet length
 * (v6), then the key packet body. */
static void
put_key(struct pgp_hash *h, bool v6, const struct pgp_packet *p)
{
	uint8_t hdr[5];

	if (v6) {
		hdr[0] = 0x9B;
		be_put32(hdr + 1, p->len);
		pgp_hash_write(h, hdr, 5);
	} else {
		hdr[0] = 0x99;
		hdr[1] = (uint8_t)(p->len >> 8);
		hdr[2] = (uint8_t)p->len;
		pgp_hash_write(h, hdr, 3);
	}
	pgp_hash_write(h, p->body, p->len);
}

size_t
pgp_v6_salt_len(uint8_t hashalgo)
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
 * signature version. The signer's version is checked in chk_verify(). */
static const char *
layout_problem(const struct pgp_sig *s, const struct pgp_packet *primary,
    const struct pgp_packet *comp)
{
	const struct pgp_packet *b = &s->pkt;

	if (s->version == 6) {
		if (s->salt_len != pgp_v6_salt_len(s->hashalgo) ||
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

/* What s covers, hashed; the left 16 bits compared (check_internal.h). */
enum pgp_sig_state
chk_digest(struct check *c, struct pgp_sig *s, const struct pgp_packet *comp,
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
		s->note = chk_note_hash;
		return PGP_SIG_UNSUPPORTED;
	}
	if (comp != NULL && comp->tag == PGP_TAG_PUBSUBKEY) {
		put_key(h, v6, comp);
	} else if (comp != NULL && s->version == 3) {
		pgp_hash_write(h, comp->body, comp->len);
	} else if (comp != NULL) {
		hdr[0] = comp->tag == PGP_TAG_UID ? 0xB4 : 0xD1;
		be_put32(hdr + 1, comp->len);
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
		be_put32(hdr + 2, hend);
		pgp_hash_write(h, hdr, 6);
	}
	*dlen = pgp_hash_final(h, d);
	/* Cheap reject before any public-key operation. */
	if (*dlen < 2 || d[0] != s->left16[0] || d[1] != s->left16[1]) {
		s->note = chk_note_digest;
		return PGP_SIG_BAD;
	}
	return PGP_SIG_GOOD;
}

/* chk_digest(), then the public-key operation with signer. */
enum pgp_sig_state
chk_verify(struct check *c, struct pgp_sig *s, const struct pgp_packet *comp,
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
	if ((st = chk_digest(c, s, comp, d, &dlen)) != PGP_SIG_GOOD)
		return st;
	chk_count_op(c, signer, false);
	switch (pgp_crypto_verify(signer, signer_pkt->body, signer_pkt->len,
	    s, d, dlen)) {
	case PGP_SIG_GOOD:
		s->note = NULL;
		return PGP_SIG_GOOD;
	case PGP_SIG_UNSUPPORTED:
		s->note = chk_note_algo;
		return PGP_SIG_UNSUPPORTED;
	default:
		s->note = "signature does not verify";
		return PGP_SIG_BAD;
	}
}

void
chk_release(struct check *c)
{
	size_t i;

	for (i = 0; i < NPREFIX; i++) {
		pgp_hash_free(c->prefix[i]);
		c->prefix[i] = NULL;
	}
}

/* ---- policy ---------------------------------------------------------- */

/* The policy table at the top of check.c (check_internal.h). */
enum pgp_sig_state
chk_policy(const struct check *c, struct pgp_sig *s, uint32_t not_before)
{
	bool rev = is_revocation(s->type);
	struct hashed_info hi;

	chk_scan_hashed(s, &hi);
	if (s->has_unknown_critical || hi.critical_notation) {
		s->note = chk_note_critical;
		return PGP_SIG_UNSUPPORTED;
	}
	if ((time_t)s->created > c->now + FUTURE_SLACK) {
		s->note = chk_note_future;
		return PGP_SIG_UNSUPPORTED;
	}
	if (rev)
		return PGP_SIG_GOOD;
	if (s->hashalgo == PGP_HASH_MD5) {
		s->note = chk_note_md5;
		return PGP_SIG_BAD;
	}
	if ((s->hashalgo == PGP_HASH_SHA1 ||
	    s->hashalgo == PGP_HASH_RIPEMD160) && s->created >= SHA1_CUTOFF) {
		s->note = chk_note_sha1;
		return PGP_SIG_BAD;
	}
	if (s->created < not_before) {
		s->note = chk_note_older;
		return PGP_SIG_BAD;
	}
	return PGP_SIG_GOOD;
}

void
chk_count_op(struct check *c, const struct pgp_pubkey *signer, bool skipped)
{
	int k = pgp_vkind_of(signer);

	if (c->stats == NULL || k < 0)
		return;
	if (skipped)
		c->stats->skipped[k]++;
	else
		c->stats->done[k]++;
}

void
chk_entry_of(const struct check *c, const struct pgp_sig *s,
    const struct pgp_packet *comp, const uint8_t *signer,
    uint8_t entry[PGP_VERIFIED_LEN])
{
	uint8_t cn[PGP_NAME_LEN];

	if (comp != NULL)
		pgp_name_component(c->kname, comp, cn);
	pgp_name_sig(c->kname, comp != NULL ? cn : NULL, &s->pkt, entry);
	memcpy(entry + PGP_NAME_LEN, signer, PGP_NAME_LEN);
}

void
chk_add_verified(struct pgp_key *k, const uint8_t entry[PGP_VERIFIED_LEN])
{
	k->verified = pgp_grow(k->verified, k->nverified, PGP_VERIFIED_LEN);
	memcpy(k->verified + k->nverified * PGP_VERIFIED_LEN, entry,
	    PGP_VERIFIED_LEN);
	k->nverified++;
}
