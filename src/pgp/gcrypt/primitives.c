/*
 * pgp/gcrypt/primitives.c - the libgcrypt adapter for encryption: RSA and
 * ElGamal encryption of an encoded block, ECDH on the NIST, brainpool and
 * secp256k1 curves and on Curve25519 / Curve448, AES key wrap, CFB, the
 * AEAD modes (EAX, OCB, GCM) and HKDF (declared in pgp/crypto.h, which
 * says what each does). Only files in pgp/gcrypt/ include gcrypt.h.
 *
 * Untrusted input: the public key material (moduli, exponents, primes,
 * points) comes from keys sent by mail. It reaches libgcrypt only as
 * length-bounded octet strings turned into MPIs, and is checked before it
 * is used: odd moduli, values in range, points on their curve and, for
 * the Montgomery curves, not on the twist and not of small order. The
 * callers (pgp/encrypt.c) bound the sizes first.
 *
 * Memory: nothing outlives a call. MPIs and contexts are released on
 * every path; buffers that held secrets (derived keys, the ephemeral
 * scalar, the shared point, the session key inside a block) are wiped.
 * libgcrypt's secure memory is off (pgp_crypto_init): the secrets live
 * for the length of one call and are wiped, and keymail holds no
 * long-term secret key at all.
 */
#include <gcrypt.h>
#include <string.h>

#include "pgp/crypto.h"
#include "pgp/pgp.h"
#include "util/secret.h"
#include "util/xalloc.h"

size_t
pgp_crypto_cipher_keylen(int sym)
{
	switch (sym) {
	case PGP_SYM_AES128: return 16;
	case PGP_SYM_AES192: return 24;
	case PGP_SYM_AES256: return 32;
	default: return 0;
	}
}

static int
gcry_cipher_of(int sym)
{
	switch (sym) {
	case PGP_SYM_AES128: return GCRY_CIPHER_AES128;
	case PGP_SYM_AES192: return GCRY_CIPHER_AES192;
	case PGP_SYM_AES256: return GCRY_CIPHER_AES256;
	default: return 0;
	}
}

/* ---- HKDF ---------------------------------------------------------------- */

static int
hmac(int algo, const uint8_t *key, size_t keylen, const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen, uint8_t c, bool with_c,
    uint8_t *out)
{
	gcry_md_hd_t h;
	size_t dlen = gcry_md_get_algo_dlen(algo);

	if (gcry_md_open(&h, algo, GCRY_MD_FLAG_HMAC) != 0)
		return -1;
	if (gcry_md_setkey(h, key, keylen) != 0) {
		gcry_md_close(h);
		return -1;
	}
	if (alen)
		gcry_md_write(h, a, alen);
	if (blen)
		gcry_md_write(h, b, blen);
	if (with_c)
		gcry_md_write(h, &c, 1);
	memcpy(out, gcry_md_read(h, algo), dlen);
	gcry_md_close(h);
	return 0;
}

int
pgp_crypto_hkdf(int hash, const uint8_t *salt, size_t saltlen,
    const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen,
    uint8_t *out, size_t outlen)
{
	int algo = hash == PGP_HASH_SHA256 ? GCRY_MD_SHA256 :
	    hash == PGP_HASH_SHA512 ? GCRY_MD_SHA512 : 0;
	uint8_t zeros[64], prk[64], t[64];
	size_t dlen, done = 0, tlen = 0, n;
	unsigned i;
	int rc = PGP_CRYPTO_FAIL;

	if (algo == 0 || pgp_crypto_init() == -1)
		return PGP_CRYPTO_FAIL;
	dlen = gcry_md_get_algo_dlen(algo);
	if (outlen == 0 || outlen > 255 * dlen)
		return PGP_CRYPTO_FAIL;
	memset(zeros, 0, sizeof(zeros));
	if (salt == NULL || saltlen == 0) {
		salt = zeros;
		saltlen = dlen;
	}
	/* Extract: PRK = HMAC(salt, IKM). */
	if (hmac(algo, salt, saltlen, ikm, ikmlen, NULL, 0, 0, false,
	    prk) != 0)
		goto out;
	/* Expand: T(i) = HMAC(PRK, T(i-1) || info || i). */
	for (i = 1; done < outlen; i++) {
		if (hmac(algo, prk, dlen, t, tlen, info, infolen, (uint8_t)i,
		    true, t) != 0)
			goto out;
		tlen = dlen;
		n = outlen - done < dlen ? outlen - done : dlen;
		memcpy(out + done, t, n);
		done += n;
	}
	rc = PGP_CRYPTO_OK;
out:
	secret_wipe(prk, sizeof(prk));
	secret_wipe(t, sizeof(t));
	return rc;
}

/* ---- symmetric ciphers ----------------------------------------------------- */

int
pgp_crypto_aes_wrap(const uint8_t *kek, size_t keklen, const uint8_t *in,
    size_t inlen, uint8_t *out)
{
	int algo = keklen == 16 ? GCRY_CIPHER_AES128 :
	    keklen == 24 ? GCRY_CIPHER_AES192 :
	    keklen == 32 ? GCRY_CIPHER_AES256 : 0;
	gcry_cipher_hd_t h;
	int rc = PGP_CRYPTO_FAIL;

	if (algo == 0 || inlen < 16 || inlen % 8 != 0 ||
	    pgp_crypto_init() == -1)
		return PGP_CRYPTO_FAIL;
	if (gcry_cipher_open(&h, algo, GCRY_CIPHER_MODE_AESWRAP, 0) != 0)
		return PGP_CRYPTO_FAIL;
	if (gcry_cipher_setkey(h, kek, keklen) == 0 &&
	    gcry_cipher_encrypt(h, out, inlen + 8, in, inlen) == 0)
		rc = PGP_CRYPTO_OK;
	gcry_cipher_close(h);
	return rc;
}

int
pgp_crypto_cfb_encrypt(int sym, const uint8_t *key, uint8_t *data,
    size_t len)
{
	int algo = gcry_cipher_of(sym);
	gcry_cipher_hd_t h;
	uint8_t iv[16];
	int rc = PGP_CRYPTO_FAIL;

	if (algo == 0 || pgp_crypto_init() == -1)
		return PGP_CRYPTO_FAIL;
	if (gcry_cipher_open(&h, algo, GCRY_CIPHER_MODE_CFB, 0) != 0)
		return PGP_CRYPTO_FAIL;
	memset(iv, 0, sizeof(iv));
	if (gcry_cipher_setkey(h, key, pgp_crypto_cipher_keylen(sym)) == 0 &&
	    gcry_cipher_setiv(h, iv, sizeof(iv)) == 0 &&
	    gcry_cipher_encrypt(h, data, len, NULL, 0) == 0)
		rc = PGP_CRYPTO_OK;
	gcry_cipher_close(h);
	return rc;
}

int
pgp_crypto_aead_encrypt(int sym, int aead, const uint8_t *key,
    const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	int algo = gcry_cipher_of(sym);
	int mode = aead == PGP_AEAD_EAX ? GCRY_CIPHER_MODE_EAX :
	    aead == PGP_AEAD_OCB ? GCRY_CIPHER_MODE_OCB :
	    aead == PGP_AEAD_GCM ? GCRY_CIPHER_MODE_GCM : 0;
	gcry_cipher_hd_t h;
	int rc = PGP_CRYPTO_FAIL;

	if (algo == 0 || mode == 0 || noncelen == 0 || noncelen > 16 ||
	    (mode == GCRY_CIPHER_MODE_OCB && noncelen > 15) ||
	    pgp_crypto_init() == -1)
		return PGP_CRYPTO_FAIL;
	if (gcry_cipher_open(&h, algo, mode, 0) != 0)
		return PGP_CRYPTO_FAIL;
	if (in != out && len > 0)
		memmove(out, in, len);
	/* final: OCB needs to know that this is the last (only) call */
	if (gcry_cipher_setkey(h, key, pgp_crypto_cipher_keylen(sym)) == 0 &&
	    gcry_cipher_setiv(h, nonce, noncelen) == 0 &&
	    (aadlen == 0 || gcry_cipher_authenticate(h, aad, aadlen) == 0) &&
	    gcry_cipher_final(h) == 0 &&
	    gcry_cipher_encrypt(h, out, len, NULL, 0) == 0 &&
	    gcry_cipher_gettag(h, tag, 16) == 0)
		rc = PGP_CRYPTO_OK;
	gcry_cipher_close(h);
	return rc;
}

/* ---- integers ------------------------------------------------------------ */

static gcry_mpi_t
mpi_of(const uint8_t *p, size_t n)
{
	gcry_mpi_t m = NULL;

	if (n == 0)
		return gcry_mpi_set_ui(NULL, 0);
	if (gcry_mpi_scan(&m, GCRYMPI_FMT_USG, p, n, NULL) != 0)
		return NULL;
	return m;
}

/* Write a as exactly len octets, zero-padded on the left; -1 if a needs
 * more. The temporary copy may hold a secret and is wiped. */
static int
mpi_put(gcry_mpi_t a, uint8_t *out, size_t len)
{
	size_t n = (gcry_mpi_get_nbits(a) + 7) / 8, written = 0;

	if (n > len)
		return -1;
	memset(out, 0, len);
	if (n == 0)
		return 0;
	if (gcry_mpi_print(GCRYMPI_FMT_USG, out + (len - n), n, &written,
	    a) != 0 || written != n)
		return -1;
	return 0;
}

static size_t
strip_len(const uint8_t **p, size_t n)
{
	while (n > 0 && **p == 0) {
		(*p)++;
		n--;
	}
	return n;
}

int
pgp_crypto_rsa_encrypt(const uint8_t *n, size_t nlen, const uint8_t *e,
    size_t elen, const uint8_t *m, size_t mlen, uint8_t *out)
{
	gcry_mpi_t N, E, M = NULL, C = NULL;
	size_t k;
	int rc = PGP_CRYPTO_BAD_KEY;

	if (pgp_crypto_init() == -1)
		return PGP_CRYPTO_FAIL;
	k = strip_len(&n, nlen);
	if (k != nlen)
		return PGP_CRYPTO_FAIL;	/* the caller strips leading zeros */
	N = mpi_of(n, nlen);
	E = mpi_of(e, elen);
	if (N == NULL || E == NULL)
		goto out;
	if (!gcry_mpi_test_bit(N, 0) || !gcry_mpi_test_bit(E, 0) ||
	    gcry_mpi_cmp_ui(E, 3) < 0 || gcry_mpi_cmp(E, N) >= 0)
		goto out;
	if ((M = mpi_of(m, mlen)) == NULL) {
		rc = PGP_CRYPTO_FAIL;
		goto out;
	}
	if (gcry_mpi_cmp(M, N) >= 0) {
		rc = PGP_CRYPTO_FAIL;
		goto out;
	}
	C = gcry_mpi_new(0);
	gcry_mpi_powm(C, M, E, N);
	rc = mpi_put(C, out, nlen) == 0 ? PGP_CRYPTO_OK : PGP_CRYPTO_FAIL;
out:
	gcry_mpi_release(N);
	gcry_mpi_release(E);
	gcry_mpi_release(M);	/* libgcrypt wipes MPI limbs when freeing */
	gcry_mpi_release(C);
	return rc;
}

int
pgp_crypto_elgamal_encrypt(const uint8_t *p, size_t plen,
    const uint8_t *g, size_t glen, const uint8_t *y, size_t ylen,
    const uint8_t *m, size_t mlen, const uint8_t *k, size_t klen,
    uint8_t *c1, uint8_t *c2)
{
	gcry_mpi_t P, G = NULL, Y = NULL, M = NULL, K = NULL, P1 = NULL,
	    T = NULL, A = NULL, B = NULL;
	int rc = PGP_CRYPTO_BAD_KEY;

	if (pgp_crypto_init() == -1)
		return PGP_CRYPTO_FAIL;
	if (strip_len(&p, plen) != plen)
		return PGP_CRYPTO_FAIL;
	P = mpi_of(p, plen);
	G = mpi_of(g, glen);
	Y = mpi_of(y, ylen);
	if (P == NULL || G == NULL || Y == NULL)
		goto out;
	/* p odd and > 5; 1 < g < p-1 and 1 < y < p-1: g or y equal to 0,
	 * 1 or p-1 would hand out m (or m's sign) in clear. */
	P1 = gcry_mpi_new(0);
	gcry_mpi_sub_ui(P1, P, 1);
	if (!gcry_mpi_test_bit(P, 0) || gcry_mpi_cmp_ui(P, 5) <= 0 ||
	    gcry_mpi_cmp_ui(G, 1) <= 0 || gcry_mpi_cmp(G, P1) >= 0 ||
	    gcry_mpi_cmp_ui(Y, 1) <= 0 || gcry_mpi_cmp(Y, P1) >= 0)
		goto out;
	rc = PGP_CRYPTO_FAIL;
	if ((M = mpi_of(m, mlen)) == NULL || gcry_mpi_cmp(M, P) >= 0 ||
	    (K = mpi_of(k, klen)) == NULL)
		goto out;
	/* k := 1 + (k mod (p - 2)), so 1 <= k <= p - 2 */
	T = gcry_mpi_new(0);
	gcry_mpi_sub_ui(T, P, 2);
	gcry_mpi_mod(K, K, T);
	gcry_mpi_add_ui(K, K, 1);
	A = gcry_mpi_new(0);
	B = gcry_mpi_new(0);
	gcry_mpi_powm(A, G, K, P);
	gcry_mpi_powm(B, Y, K, P);
	gcry_mpi_mulm(B, B, M, P);
	if (mpi_put(A, c1, plen) == 0 && mpi_put(B, c2, plen) == 0)
		rc = PGP_CRYPTO_OK;
out:
	gcry_mpi_release(P);
	gcry_mpi_release(G);
	gcry_mpi_release(Y);
	gcry_mpi_release(M);
	gcry_mpi_release(K);
	gcry_mpi_release(P1);
	gcry_mpi_release(T);
	gcry_mpi_release(A);
	gcry_mpi_release(B);
	return rc;
}

/* ---- elliptic curves -------------------------------------------------------- */

static const struct ec_info {
	const char *gcry_name;	/* Weierstrass: for gcry_mpi_ec_new */
	size_t size;		/* field octets */
	int mont;		/* GCRY_ECC_CURVE25519 / 448, or 0 */
} ec_info[] = {
	[PGP_EC_P256] = { "NIST P-256", 32, 0 },
	[PGP_EC_P384] = { "NIST P-384", 48, 0 },
	[PGP_EC_P521] = { "NIST P-521", 66, 0 },
	[PGP_EC_BP256] = { "brainpoolP256r1", 32, 0 },
	[PGP_EC_BP384] = { "brainpoolP384r1", 48, 0 },
	[PGP_EC_BP512] = { "brainpoolP512r1", 64, 0 },
	[PGP_EC_SECP256K1] = { "secp256k1", 32, 0 },
	[PGP_EC_X25519] = { NULL, 32, GCRY_ECC_CURVE25519 },
	[PGP_EC_X448] = { NULL, 56, GCRY_ECC_CURVE448 },
};

static const struct ec_info *
ec_of(enum pgp_ec_curve curve)
{
	if ((unsigned)curve >= sizeof(ec_info) / sizeof(ec_info[0]))
		return NULL;
	return &ec_info[curve];
}

size_t
pgp_crypto_ec_size(enum pgp_ec_curve curve)
{
	const struct ec_info *ec = ec_of(curve);

	return ec ? ec->size : 0;
}

/* A little-endian u-coordinate as an integer. */
static gcry_mpi_t
mpi_of_le(const uint8_t *p, size_t n)
{
	uint8_t be[56];
	gcry_mpi_t m;
	size_t i;

	if (n > sizeof(be))
		return NULL;
	for (i = 0; i < n; i++)
		be[i] = p[n - 1 - i];
	m = mpi_of(be, n);
	secret_wipe(be, n);
	return m;
}

/*
 * Montgomery curve v^2 = u^3 + A u^2 + u over GF(p): u is a canonical
 * coordinate of a point on the curve (not the twist) when u < p and the
 * right-hand side is a square mod p (Euler's criterion), which is what
 * RFC 7748 leaves to the caller.
 */
static int
mont_on_curve(const struct ec_info *ec, const uint8_t *point)
{
	gcry_mpi_t P = gcry_mpi_new(0), U = mpi_of_le(point, ec->size),
	    R = gcry_mpi_new(0), T = gcry_mpi_new(0), E = gcry_mpi_new(0);
	unsigned long a;
	int ok = 0;

	if (U == NULL)
		goto out;
	if (ec->mont == GCRY_ECC_CURVE25519) {
		/* p = 2^255 - 19 */
		gcry_mpi_set_bit(P, 255);
		gcry_mpi_sub_ui(P, P, 19);
		a = 486662;
	} else {
		/* p = 2^448 - 2^224 - 1 */
		gcry_mpi_set_bit(P, 448);
		gcry_mpi_set_ui(T, 0);
		gcry_mpi_set_bit(T, 224);
		gcry_mpi_sub(P, P, T);
		gcry_mpi_sub_ui(P, P, 1);
		a = 156326;
	}
	if (gcry_mpi_cmp(U, P) >= 0)
		goto out;
	/* R = ((u + A) u + 1) u mod p */
	gcry_mpi_add_ui(R, U, a);
	gcry_mpi_mulm(R, R, U, P);
	gcry_mpi_add_ui(R, R, 1);
	gcry_mpi_mulm(R, R, U, P);
	if (gcry_mpi_cmp_ui(R, 0) == 0) {
		ok = 1;		/* u = 0: on the curve, caught as small order */
		goto out;
	}
	gcry_mpi_sub_ui(E, P, 1);
	gcry_mpi_rshift(E, E, 1);
	gcry_mpi_powm(T, R, E, P);
	ok = gcry_mpi_cmp_ui(T, 1) == 0;
out:
	gcry_mpi_release(P);
	gcry_mpi_release(U);
	gcry_mpi_release(R);
	gcry_mpi_release(T);
	gcry_mpi_release(E);
	return ok;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* X25519 / X448 of scalar (native octets, clamped by libgcrypt as RFC 7748
 * says) and point (NULL: the base point) into out. */
static int
mont_mul(const struct ec_info *ec, const uint8_t *scalar,
    const uint8_t *point, uint8_t *out)
{
	if (gcry_ecc_mul_point(ec->mont, out, scalar, point) != 0)
		return -1;
	return 0;
}

static int
mont_check(const struct ec_info *ec, const uint8_t *point)
{
	uint8_t k[56], r[56];
	int rc;

	if (!mont_on_curve(ec, point))
		return PGP_CRYPTO_BAD_KEY;
	/* A point of small order has order dividing the cofactor (8 or 4);
	 * every clamped scalar is a multiple of it, so such a point maps to
	 * zero. Any fixed scalar shows it. */
	memset(k, 0x5a, sizeof(k));
	if (mont_mul(ec, k, point, r) != 0)
		return PGP_CRYPTO_FAIL;
	rc = all_zero(r, ec->size) ? PGP_CRYPTO_BAD_KEY : PGP_CRYPTO_OK;
	return rc;
}

/* Weierstrass: read 04 || x || y into a point of ctx's curve, checked. */
static int
weier_point(const struct ec_info *ec, gcry_ctx_t ctx, const uint8_t *point,
    size_t len, gcry_mpi_point_t *qp)
{
	gcry_mpi_t x, y, p;
	gcry_mpi_point_t q;
	int rc = PGP_CRYPTO_BAD_KEY;

	*qp = NULL;
	if (len != 1 + 2 * ec->size || point[0] != 0x04)
		return PGP_CRYPTO_BAD_KEY;
	x = mpi_of(point + 1, ec->size);
	y = mpi_of(point + 1 + ec->size, ec->size);
	p = gcry_mpi_ec_get_mpi("p", ctx, 1);
	if (x == NULL || y == NULL || p == NULL) {
		gcry_mpi_release(x);
		gcry_mpi_release(y);
		gcry_mpi_release(p);
		return PGP_CRYPTO_FAIL;
	}
	if (gcry_mpi_cmp(x, p) >= 0 || gcry_mpi_cmp(y, p) >= 0) {
		gcry_mpi_release(x);
		gcry_mpi_release(y);
		gcry_mpi_release(p);
		return PGP_CRYPTO_BAD_KEY;
	}
	gcry_mpi_release(p);
	/* snatch: the point takes x and y over */
	q = gcry_mpi_point_snatch_set(NULL, x, y, gcry_mpi_set_ui(NULL, 1));
	if (gcry_mpi_ec_curve_point(q, ctx)) {
		*qp = q;
		rc = PGP_CRYPTO_OK;
	} else {
		gcry_mpi_point_release(q);
	}
	return rc;
}

int
pgp_crypto_ec_check(enum pgp_ec_curve curve, const uint8_t *point,
    size_t len)
{
	const struct ec_info *ec = ec_of(curve);
	gcry_ctx_t ctx = NULL;
	gcry_mpi_point_t q;
	int rc;

	if (ec == NULL || pgp_crypto_init() == -1)
		return PGP_CRYPTO_FAIL;
	if (ec->mont) {
		if (len != ec->size)
			return PGP_CRYPTO_BAD_KEY;
		return mont_check(ec, point);
	}
	if (gcry_mpi_ec_new(&ctx, NULL, ec->gcry_name) != 0)
		return PGP_CRYPTO_FAIL;
	rc = weier_point(ec, ctx, point, len, &q);
	gcry_mpi_point_release(q);
	gcry_ctx_release(ctx);
	return rc;
}

static int
weier_ecdh(const struct ec_info *ec, const uint8_t *point, size_t len,
    const uint8_t *eph, size_t ephlen, uint8_t *epub, size_t *epublen,
    uint8_t *shared)
{
	gcry_ctx_t ctx = NULL;
	gcry_mpi_point_t q = NULL, g = NULL, v = NULL, s = NULL;
	gcry_mpi_t n = NULL, k = NULL, x = NULL, y = NULL;
	int rc;

	if (ephlen < ec->size + 8)
		return PGP_CRYPTO_FAIL;
	if (gcry_mpi_ec_new(&ctx, NULL, ec->gcry_name) != 0)
		return PGP_CRYPTO_FAIL;
	if ((rc = weier_point(ec, ctx, point, len, &q)) != PGP_CRYPTO_OK)
		goto out;
	rc = PGP_CRYPTO_FAIL;
	g = gcry_mpi_ec_get_point("g", ctx, 1);
	n = gcry_mpi_ec_get_mpi("n", ctx, 1);
	if (g == NULL || n == NULL || (k = mpi_of(eph, ephlen)) == NULL)
		goto out;
	/* k := 1 + (k mod (n - 1)): 64 extra bits make the bias negligible */
	gcry_mpi_sub_ui(n, n, 1);
	gcry_mpi_mod(k, k, n);
	gcry_mpi_add_ui(k, k, 1);
	v = gcry_mpi_point_new(0);
	s = gcry_mpi_point_new(0);
	gcry_mpi_ec_mul(v, k, g, ctx);
	gcry_mpi_ec_mul(s, k, q, ctx);
	x = gcry_mpi_new(0);
	y = gcry_mpi_new(0);
	if (gcry_mpi_ec_get_affine(x, y, v, ctx) != 0)
		goto out;
	epub[0] = 0x04;
	if (mpi_put(x, epub + 1, ec->size) != 0 ||
	    mpi_put(y, epub + 1 + ec->size, ec->size) != 0)
		goto out;
	*epublen = 1 + 2 * ec->size;
	if (gcry_mpi_ec_get_affine(x, y, s, ctx) != 0 ||
	    mpi_put(x, shared, ec->size) != 0)
		goto out;
	rc = PGP_CRYPTO_OK;
out:
	gcry_mpi_point_release(q);
	gcry_mpi_point_release(g);
	gcry_mpi_point_release(v);
	gcry_mpi_point_release(s);
	gcry_mpi_release(n);
	gcry_mpi_release(k);
	gcry_mpi_release(x);
	gcry_mpi_release(y);
	gcry_ctx_release(ctx);
	return rc;
}

int
pgp_crypto_ecdh(enum pgp_ec_curve curve, const uint8_t *point, size_t len,
    const uint8_t *eph, size_t ephlen, uint8_t *epub, size_t *epublen,
    uint8_t *shared)
{
	const struct ec_info *ec = ec_of(curve);
	int rc;

	if (ec == NULL || pgp_crypto_init() == -1)
		return PGP_CRYPTO_FAIL;
	if (!ec->mont)
		return weier_ecdh(ec, point, len, eph, ephlen, epub, epublen,
		    shared);
	if (len != ec->size || ephlen != ec->size)
		return len != ec->size ? PGP_CRYPTO_BAD_KEY : PGP_CRYPTO_FAIL;
	if ((rc = mont_check(ec, point)) != PGP_CRYPTO_OK)
		return rc;
	if (mont_mul(ec, eph, NULL, epub) != 0 ||
	    mont_mul(ec, eph, point, shared) != 0) {
		secret_wipe(shared, ec->size);
		return PGP_CRYPTO_FAIL;
	}
	*epublen = ec->size;
	if (all_zero(shared, ec->size))
		return PGP_CRYPTO_BAD_KEY;	/* cannot happen after the check */
	return PGP_CRYPTO_OK;
}
