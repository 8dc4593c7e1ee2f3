/*
 * pgp/sign.c - the OpenPGP signatures keymail makes with its own Ed25519
 * key, and the check of a detached signature over binary data.
 *
 * Making: one v4 signature packet, algorithm 22 (EdDSALegacy), hash
 * SHA-512, for the self-certification of the server key and for the
 * reconciliation records (../shared/spec/reconciliation.md 3.2, 9.1): one
 * code path for both, as the spec asks. Ed25519 is deterministic, so the
 * same input gives the same octets.
 *
 * Checking: pgp_verify_binary takes a signature packet that came by mail
 * (untrusted: framed and parsed by packet.c's bounds-checked readers) and
 * the signer's key from our store, applies the record's policy and leaves
 * the hashing and the public-key step to docsig.c's pgp_doc_verify.
 *
 * Memory: output goes to the caller's buffer; nothing is kept.
 */
#include <string.h>

#include "pgp/clearsign.h"
#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "util/be.h"
#include "util/rd.h"

/* An MPI of a 32-octet big-endian number: leading zero octets dropped,
 * the bit count of what is left (RFC 9580 3.2). */
static void
put_mpi32(uint8_t *out, size_t *n, const uint8_t v[32])
{
	size_t i = 0, bits;
	uint8_t top;

	while (i < 32 && v[i] == 0)
		i++;
	bits = (32 - i) * 8;
	if (i < 32) {
		for (top = v[i]; !(top & 0x80); top <<= 1)
			bits--;
	}
	out[(*n)++] = (uint8_t)(bits >> 8);
	out[(*n)++] = (uint8_t)bits;
	memcpy(out + *n, v + i, 32 - i);
	*n += 32 - i;
}

int
pgp_sign_ed25519(const struct pgp_ed25519_signer *k, uint8_t sigtype,
    uint32_t when, int key_flags, const uint8_t *data, size_t len,
    struct buf *out)
{
	uint8_t body[256], trailer[6], d[64], sig[64];
	struct pgp_hash *h;
	size_t n = 0, hstart, hend;
	int rc;

	body[n++] = 4;
	body[n++] = sigtype;
	body[n++] = PGP_PK_EDDSA_LEGACY;
	body[n++] = PGP_HASH_SHA512;
	hstart = n;
	n += 2;				/* hashed length, below */
	body[n++] = 5;			/* Signature Creation Time */
	body[n++] = 2;
	be_put32(body + n, when);
	n += 4;
	if (key_flags >= 0) {
		body[n++] = 2;		/* Key Flags */
		body[n++] = 27;
		body[n++] = (uint8_t)key_flags;
	}
	body[n++] = 22;			/* Issuer Fingerprint, v4 */
	body[n++] = 33;
	body[n++] = 4;
	memcpy(body + n, k->fpr, 20);
	n += 20;
	body[hstart] = (uint8_t)((n - hstart - 2) >> 8);
	body[hstart + 1] = (uint8_t)(n - hstart - 2);
	hend = n;
	body[n++] = 0;			/* unhashed: Issuer Key ID */
	body[n++] = 10;
	body[n++] = 9;
	body[n++] = 16;
	memcpy(body + n, k->fpr + 12, 8);
	n += 8;

	if ((h = pgp_hash_open(PGP_HASH_SHA512)) == NULL)
		return -1;
	pgp_hash_write(h, data, len);
	pgp_hash_write(h, body, hend);
	trailer[0] = 4;
	trailer[1] = 0xff;
	be_put32(trailer + 2, (uint32_t)hend);
	pgp_hash_write(h, trailer, 6);
	if (pgp_hash_final(h, d) != 64)
		return -1;
	body[n++] = d[0];
	body[n++] = d[1];
	if (pgp_ed25519_sign(k->seed, d, 64, sig) == -1)
		return -1;
	put_mpi32(body, &n, sig);
	put_mpi32(body, &n, sig + 32);
	rc = pgp_packet_write(out, PGP_TAG_SIG, body, n);
	memset(sig, 0, sizeof(sig));
	return rc;
}

/* Is there a critical notation (20) in the hashed area? We know no
 * notation, so a critical one is an unknown critical subpacket (check.c
 * treats it the same way). The area was framed by pgp_sig_parse. */
static bool
critical_notation(const struct pgp_sig *s)
{
	struct rd r, sp;
	uint8_t b0, b1, type;
	uint32_t len;

	rd_init(&r, s->pkt.body + s->hashed_off, s->hashed_len);
	while (r.left > 0) {
		if (rd_u8(&r, &b0) == -1)
			return true;
		if (b0 < 192) {
			len = b0;
		} else if (b0 < 255) {
			if (rd_u8(&r, &b1) == -1)
				return true;
			len = ((uint32_t)(b0 - 192) << 8) + b1 + 192;
		} else if (rd_u32(&r, &len) == -1) {
			return true;
		}
		if (len == 0 || rd_sub(&r, len, &sp) == -1 ||
		    rd_u8(&sp, &type) == -1)
			return true;
		if (type == (0x80 | 20))
			return true;
	}
	return false;
}

enum pgp_status
pgp_verify_binary(const struct pgp_key *signer, const uint8_t *data,
    size_t len, const uint8_t *sigpkt, size_t siglen, uint32_t *created,
    const char **why)
{
	struct pgp_pkthdr ph;
	struct pgp_sig s;
	struct rd r;

	*why = NULL;
	rd_init(&r, sigpkt, siglen);
	if (pgp_packet_next(&r, &ph) != PGP_OK || ph.partial ||
	    ph.indeterminate || ph.tag != PGP_TAG_SIG || r.left != 0) {
		*why = "not exactly one signature packet";
		return PGP_ERR_MALFORMED;
	}
	memset(&s, 0, sizeof(s));
	s.pkt.tag = PGP_TAG_SIG;
	s.pkt.body = (uint8_t *)(uintptr_t)ph.body;
	s.pkt.len = ph.len;
	if (pgp_sig_parse(&s) != PGP_OK || s.version != 4) {
		*why = "not a well-formed v4 signature";
		return PGP_ERR_MALFORMED;
	}
	if (s.type != PGP_SIG_BINARY) {
		*why = "not a signature over binary data";
		return PGP_ERR_MALFORMED;
	}
	if (s.hashalgo != PGP_HASH_SHA256 && s.hashalgo != PGP_HASH_SHA384 &&
	    s.hashalgo != PGP_HASH_SHA512) {
		*why = "hash algorithm not accepted";
		return PGP_ERR_UNSUPPORTED;
	}
	if (s.has_unknown_critical || critical_notation(&s)) {
		*why = "unknown critical subpacket";
		return PGP_ERR_UNSUPPORTED;
	}
	if (s.issuer_fpr_len != signer->pub.fprlen ||
	    memcmp(s.issuer_fpr, signer->pub.fpr, signer->pub.fprlen) != 0) {
		*why = "issuer fingerprint is not the sender's";
		return PGP_ERR_BAD_SIG;
	}
	if (signer->pub.version != 4 || signer->pkt.len > 0xffff) {
		*why = "the sender's key is not a v4 key";
		return PGP_ERR_UNSUPPORTED;
	}
	switch (pgp_doc_verify(&signer->pub, &signer->pkt, &s, data, len,
	    why)) {
	case PGP_SIG_GOOD:
		break;
	case PGP_SIG_UNSUPPORTED:
		if (*why == NULL)
			*why = "the sender's key algorithm is not supported";
		return PGP_ERR_UNSUPPORTED;
	default:
		*why = "signature does not verify";
		return PGP_ERR_BAD_SIG;
	}
	if (created != NULL)
		*created = s.created;
	return PGP_OK;
}
