/*
 * pgp/gcrypt/ed25519.c - the libgcrypt adapter for what keymail signs
 * with its own key: Ed25519 key derivation, signing and verification
 * (RFC 8032), and the random octets for secrets and nonces.
 *
 * Used for the server key of reconciliation (../shared/spec/
 * reconciliation.md section 3): a 32-octet seed is the secret, the public
 * key A is derived from it, and signatures are deterministic, so the same
 * input always gives the same octets. Only files in pgp/gcrypt/ include
 * gcrypt.h.
 *
 * Input: seeds come from the server key file (trusted, the operator's);
 * messages are ours to sign; in pgp_ed25519_verify, the public key and
 * the signature may come from anywhere and are only handed to libgcrypt
 * as fixed-size octet strings. Memory: nothing outlives a call; copies of
 * the seed in local buffers are wiped before returning.
 */
#include <gcrypt.h>
#include <string.h>

#include "pgp/pgp.h"

/* The secret key of one seed, as libgcrypt wants it. */
static int
secret_sexp(const uint8_t seed[32], gcry_sexp_t *key)
{
	return gcry_sexp_build(key, NULL,
	    "(private-key(ecc(curve Ed25519)(flags eddsa)(d %b)))", 32,
	    seed) == 0 ? 0 : -1;
}

int
pgp_ed25519_public(const uint8_t seed[32], uint8_t pub[32])
{
	gcry_sexp_t key = NULL;
	gcry_ctx_t ctx = NULL;
	gcry_mpi_t q = NULL;
	const unsigned char *qb;
	unsigned int nbits = 0;
	int rc = -1;

	if (pgp_crypto_init() == -1 || secret_sexp(seed, &key) == -1)
		return -1;
	if (gcry_mpi_ec_new(&ctx, key, NULL) != 0)
		goto out;
	/* "q@eddsa": the compressed point, computed from d (hashed as
	 * RFC 8032 5.1.5 says) when the key holds no q. */
	q = gcry_mpi_ec_get_mpi("q@eddsa", ctx, 1);
	if (q == NULL || !gcry_mpi_get_flag(q, GCRYMPI_FLAG_OPAQUE))
		goto out;
	qb = gcry_mpi_get_opaque(q, &nbits);
	/* Some versions put the 0x40 prefix in front. */
	if (qb != NULL && nbits == 33 * 8 && qb[0] == 0x40) {
		qb++;
		nbits -= 8;
	}
	if (qb == NULL || nbits != 32 * 8)
		goto out;
	memcpy(pub, qb, 32);
	rc = 0;
out:
	gcry_mpi_release(q);
	gcry_ctx_release(ctx);
	gcry_sexp_release(key);
	return rc;
}

/* The value of token name in sexp, right-aligned into out[32]. */
static int
sig_half(gcry_sexp_t sig, const char *name, uint8_t out[32])
{
	gcry_sexp_t tok = gcry_sexp_find_token(sig, name, 0);
	const char *d;
	size_t n = 0;
	int rc = -1;

	if (tok == NULL)
		return -1;
	d = gcry_sexp_nth_data(tok, 1, &n);
	if (d != NULL && n <= 32) {
		memset(out, 0, 32 - n);
		memcpy(out + 32 - n, d, n);
		rc = 0;
	}
	gcry_sexp_release(tok);
	return rc;
}

int
pgp_ed25519_sign(const uint8_t seed[32], const uint8_t *msg, size_t len,
    uint8_t sig[64])
{
	gcry_sexp_t key = NULL, data = NULL, s = NULL;
	int rc = -1;

	if (pgp_crypto_init() == -1 || secret_sexp(seed, &key) == -1)
		return -1;
	/* OpenPGP signs the digest: it is the message EdDSA signs, and
	 * Ed25519 hashes it again with SHA-512 (as verify.c checks it). */
	if (gcry_sexp_build(&data, NULL,
	    "(data(flags eddsa)(hash-algo sha512)(value %b))", (int)len,
	    msg) != 0)
		goto out;
	if (gcry_pk_sign(&s, data, key) != 0)
		goto out;
	if (sig_half(s, "r", sig) == -1 || sig_half(s, "s", sig + 32) == -1)
		goto out;
	rc = 0;
out:
	gcry_sexp_release(s);
	gcry_sexp_release(data);
	gcry_sexp_release(key);
	return rc;
}

int
pgp_ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t len,
    const uint8_t sig[64])
{
	gcry_sexp_t key = NULL, data = NULL, s = NULL;
	int rc = -1;

	if (pgp_crypto_init() == -1)
		return -1;
	if (gcry_sexp_build(&key, NULL,
	    "(public-key(ecc(curve Ed25519)(flags eddsa)(q %b)))", 32,
	    pub) != 0 ||
	    gcry_sexp_build(&data, NULL,
	    "(data(flags eddsa)(hash-algo sha512)(value %b))", (int)len,
	    msg) != 0 ||
	    gcry_sexp_build(&s, NULL, "(sig-val(eddsa(r %b)(s %b)))", 32, sig,
	    32, sig + 32) != 0)
		goto out;
	rc = gcry_pk_verify(s, data, key) == 0 ? 0 : -1;
out:
	gcry_sexp_release(s);
	gcry_sexp_release(data);
	gcry_sexp_release(key);
	return rc;
}

void
pgp_random_secret(void *p, size_t n)
{
	(void)pgp_crypto_init();
	/* The level GnuPG uses for long-term secret keys. */
	gcry_randomize(p, n, GCRY_VERY_STRONG_RANDOM);
}

void
pgp_random_nonce(void *p, size_t n)
{
	(void)pgp_crypto_init();
	gcry_create_nonce(p, n);
}
