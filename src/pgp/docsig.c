/*
 * pgp/docsig.c - pgp_doc_verify(): a v4 or v6 signature over a document
 * (type 0x00 binary, 0x01 canonical text), as in a cleartext signed
 * message; see clearsign.h.
 *
 * What is hashed (RFC 9580 5.2.4): v6: the salt; then the document;
 * then the signature packet body from its version octet to the end of
 * the hashed subpackets; then the trailer: version, 0xFF, and that
 * length as 4 octets. Key signatures are check.c's business; this file
 * shares none of its state.
 *
 * Input: signature and key packets from mail (untrusted); every offset
 * the parser recorded is checked against the body length again here,
 * and pgp_crypto_verify() bounds-checks key material and signature
 * values. Nothing is allocated beyond the hash context.
 */
#include <string.h>

#include "pgp/clearsign.h"
#include "pgp/internal.h"
#include "pgp/pgp.h"

enum pgp_sig_state
pgp_doc_verify(const struct pgp_pubkey *signer,
    const struct pgp_packet *signer_pkt, const struct pgp_sig *sig,
    const uint8_t *doc, size_t len, const char **why)
{
	const struct pgp_packet *b = &sig->pkt;
	struct pgp_hash *h;
	uint8_t d[64], trailer[6];
	size_t dlen, hend;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if (sig->version != 4 && sig->version != 6) {
		*why = "not a v4 or v6 signature";
		return PGP_SIG_BAD;
	}
	if (sig->version != signer->version) {
		*why = "signature version does not match the key";
		return PGP_SIG_BAD;
	}
	if (sig->type != PGP_SIG_BINARY && sig->type != PGP_SIG_TEXT) {
		*why = "not a document signature";
		return PGP_SIG_BAD;
	}
	if (sig->hashed_off > b->len || sig->hashed_len > b->len - sig->hashed_off) {
		*why = "malformed signature";
		return PGP_SIG_BAD;
	}
	if (sig->version == 6 && (sig->salt_len != pgp_v6_salt_len(sig->hashalgo) ||
	    sig->salt_off > b->len || sig->salt_len > b->len - sig->salt_off)) {
		*why = "salt does not fit the hash";
		return PGP_SIG_BAD;
	}
	if ((h = pgp_hash_open(sig->hashalgo)) == NULL) {
		*why = "unknown hash algorithm";
		return PGP_SIG_UNSUPPORTED;
	}
	if (sig->version == 6)
		pgp_hash_write(h, b->body + sig->salt_off, sig->salt_len);
	pgp_hash_write(h, doc, len);
	hend = sig->hashed_off + sig->hashed_len;
	pgp_hash_write(h, b->body, hend);
	trailer[0] = sig->version;
	trailer[1] = 0xFF;
	trailer[2] = (uint8_t)(hend >> 24);
	trailer[3] = (uint8_t)(hend >> 16);
	trailer[4] = (uint8_t)(hend >> 8);
	trailer[5] = (uint8_t)hend;
	pgp_hash_write(h, trailer, sizeof(trailer));
	dlen = pgp_hash_final(h, d);
	if (dlen < 2 || d[0] != sig->left16[0] || d[1] != sig->left16[1]) {
		*why = "digest does not match";
		return PGP_SIG_BAD;
	}
	switch (pgp_crypto_verify(signer, signer_pkt->body, signer_pkt->len,
	    sig, d, dlen)) {
	case PGP_SIG_GOOD:
		return PGP_SIG_GOOD;
	case PGP_SIG_UNSUPPORTED:
		*why = "algorithm not supported";
		return PGP_SIG_UNSUPPORTED;
	default:
		*why = "signature does not verify";
		return PGP_SIG_BAD;
	}
}
