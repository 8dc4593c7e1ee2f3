/*
 * pgp/crypto.h - the raw cryptographic primitives that encrypting to a
 * key needs (owner-control.md 6.3), declared without gcrypt.h so that pgp
 * code can call them. Implemented by the libgcrypt adapter:
 * pgp/gcrypt/primitives.c (public-key operations, key wrap, CFB, AEAD,
 * HKDF)
 * and pgp/gcrypt/random.c (strong random bytes). Hashing (SHA-1 for the
 * MDC, SHA-256 for tokens) is pgp_hash_* in pgp.h.
 *
 * Everything works on octet strings (pointer, length) in and out. Key
 * material handed here is untrusted (it came from mail): every primitive
 * checks what it is given (ranges, point on the curve, no small-order
 * point) and answers PGP_CRYPTO_BAD_KEY instead of computing with a bad
 * value. The caller owns every buffer; output sizes are stated per
 * function and the caller provides that much room. Secrets (session keys,
 * ephemeral scalars, derived keys) are wiped from the adapter's own
 * memory before it returns; wiping the caller's copies is the caller's.
 *
 * No primitive here decrypts anything: keymail holds no secret key and
 * must never be an oracle.
 */
#ifndef KM_PGP_CRYPTO_H
#define KM_PGP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

enum pgp_crypto_rc {
	PGP_CRYPTO_OK = 0,
	PGP_CRYPTO_BAD_KEY = -1,	/* key material invalid: off-curve point,
					 * small-order point, value out of range */
	PGP_CRYPTO_FAIL = -2,		/* bad arguments or a library failure */
};

/* OpenPGP symmetric cipher IDs (RFC 9580 9.3) this module can use. */
enum { PGP_SYM_AES128 = 7, PGP_SYM_AES192 = 8, PGP_SYM_AES256 = 9 };
/* OpenPGP AEAD algorithm IDs (RFC 9580 9.6). */
enum { PGP_AEAD_EAX = 1, PGP_AEAD_OCB = 2, PGP_AEAD_GCM = 3 };

/* Key size in octets of a symmetric cipher (0: not one we can use). The
 * block size of every cipher here is 16. */
size_t pgp_crypto_cipher_keylen(int sym);

/* ---- random.c ------------------------------------------------------------ */

/* n octets from libgcrypt's GCRY_STRONG_RANDOM generator. */
void pgp_random_strong(void *out, size_t n);

/* ---- symmetric ----------------------------------------------------------- */

/* HKDF (RFC 5869) with HMAC over hash (PGP_HASH_SHA256 or _SHA512);
 * salt may be NULL (no salt: a string of zeros). outlen at most 255 times
 * the digest size. */
int pgp_crypto_hkdf(int hash, const uint8_t *salt, size_t saltlen,
    const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen,
    uint8_t *out, size_t outlen);

/* AES key wrap (RFC 3394, default IV) of inlen octets (a multiple of 8,
 * at least 16) under an AES-128/192/256 key (keklen 16, 24 or 32); writes
 * inlen + 8 octets to out. */
int pgp_crypto_aes_wrap(const uint8_t *kek, size_t keklen, const uint8_t *in,
    size_t inlen, uint8_t *out);

/* CFB encryption in place with an all-zero IV and no resynchronisation,
 * as the v1 SEIPD packet uses it (RFC 9580 5.13.1); any length. */
int pgp_crypto_cfb_encrypt(int sym, const uint8_t *key, uint8_t *data,
    size_t len);

/* One AEAD encryption with a 16-octet tag: EAX, OCB (RFC 7253) or GCM
 * (PGP_AEAD_*), len octets of in to out (may be the same buffer), nonce
 * of 1..16 octets, additional data aad (may be empty). */
int pgp_crypto_aead_encrypt(int sym, int aead, const uint8_t *key,
    const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]);

/* ---- public key ---------------------------------------------------------- */

/* RSA encryption primitive c = m^e mod n. n and e are big-endian
 * integers (leading zeros allowed); n must be odd, e odd and at least 3;
 * m (emlen octets, an EME-PKCS1-v1_5 block) must be smaller than n. The
 * result goes to out as an integer of exactly nlen octets, zero-padded
 * on the left (nlen is the length of n without leading zeros). */
int pgp_crypto_rsa_encrypt(const uint8_t *n, size_t nlen, const uint8_t *e,
    size_t elen, const uint8_t *m, size_t mlen, uint8_t *out);

/* ElGamal encryption: c1 = g^k mod p, c2 = m * y^k mod p, with k made
 * from klen random octets (k := 1 + (k mod (p - 2))). p odd, 1 < g < p-1,
 * 1 < y < p-1, m < p. c1 and c2 get plen octets each, zero-padded on the
 * left (plen: the length of p without leading zeros). */
int pgp_crypto_elgamal_encrypt(const uint8_t *p, size_t plen,
    const uint8_t *g, size_t glen, const uint8_t *y, size_t ylen,
    const uint8_t *m, size_t mlen, const uint8_t *k, size_t klen,
    uint8_t *c1, uint8_t *c2);

/* Curves for ECDH. The Weierstrass ones use SEC1 points 04 || x || y;
 * X25519 and X448 use native u-coordinates (RFC 7748). */
enum pgp_ec_curve {
	PGP_EC_P256, PGP_EC_P384, PGP_EC_P521,
	PGP_EC_BP256, PGP_EC_BP384, PGP_EC_BP512,
	PGP_EC_SECP256K1, PGP_EC_X25519, PGP_EC_X448,
};

/* Octets of one coordinate (the field size): 32, 48, 66, 32, 48, 64, 32,
 * 32, 56. The shared secret has this size; a Weierstrass point has
 * 1 + 2 * size octets, a Montgomery point size octets. */
size_t pgp_crypto_ec_size(enum pgp_ec_curve curve);

/* Is point (untrusted) a usable public key on curve? Weierstrass: the
 * uncompressed encoding, coordinates below p, on the curve. Montgomery:
 * u below p, on the curve (not its twist), not of small order. */
int pgp_crypto_ec_check(enum pgp_ec_curve curve, const uint8_t *point,
    size_t len);

/*
 * One ECDH: an ephemeral key pair from the random octets eph (X25519 and
 * X448: the secret scalar itself, 32 or 56 octets, clamped as RFC 7748
 * says; Weierstrass: at least size + 8 octets, reduced to 1..n-1), the
 * ephemeral public key to epub (*epublen set: 1 + 2 * size octets or
 * size octets) and the shared secret, the x- or u-coordinate of the
 * shared point, to shared (size octets). The peer's point is checked as
 * by pgp_crypto_ec_check; an all-zero shared secret is refused.
 */
int pgp_crypto_ecdh(enum pgp_ec_curve curve, const uint8_t *point,
    size_t len, const uint8_t *eph, size_t ephlen, uint8_t *epub,
    size_t *epublen, uint8_t *shared);

#endif
