/*
 * bench/kmgen.c - a deterministic synthetic OpenPGP key corpus, for the
 * benchmarks (bench/run.sh) and the import test (tests/e2e/310-*).
 *
 *   kmgen -n N [-f FIRST] [-s SEED] [-j JOBS] [-o FILE] [-l LIST]
 *
 * writes keys FIRST .. FIRST+N-1 of corpus SEED to FILE (default: standard
 * output) as a binary dump (transferable public keys back to back, the
 * SKS/Hockeypuck dump format), and with -l one line per key to LIST:
 * "index fingerprint keyid algo email". The same SEED and key index
 * always give the same bytes, whatever N, FIRST and JOBS: key i depends on
 * (SEED, i) only, so "-f N -n 10" makes ten keys that are not among the
 * first N (new keys for ADD benchmarks), and the output of JOBS threads is
 * put back in order.
 *
 * What a key looks like (v4, all signatures valid, checked by GnuPG in the
 * import test and the bench run):
 *   primary: 55% RSA-2048, 35% RSA-4096, 10% Ed25519 (EdDSA legacy),
 *     created at distinct seconds between 1999 and 2024 (a bijection of
 *     the index), so every key has its own fingerprint;
 *   1-5 user IDs (55/25/12/5/3%), each with a positive self-certification
 *     (SHA-256 for RSA, SHA-512 for Ed25519; key flags, preferences,
 *     features, issuer fingerprint; 30% of keys expire);
 *   0-3 subkeys (10/70/15/5%): the first for encryption (RSA, or Cv25519
 *     for Ed25519 keys), the others for signing, with a back-signature;
 *   2% carry a key revocation;
 *   third-party certifications by other keys of the corpus (with lower
 *   index, so the signer exists when the keys are loaded in order): 60%
 *   of keys have none, the rest a Pareto tail (alpha 1.1), at most 300.
 *
 * Speed: RSA key generation and RSA signing are what make such a corpus
 * slow, so the private side is deliberately cheap, and INSECURE:
 *   - key material comes from small pools made once per run from the seed
 *     (a key differs from its pool neighbours by its creation time, which
 *     is hashed into the fingerprint and into every signature);
 *   - an RSA modulus is the product of 16 (2048 bits) or 32 (4096 bits)
 *     128-bit primes, so a signature is 16 or 32 tiny exponentiations and
 *     one CRT sum; the public side is an ordinary modulus of the full size
 *     with e = 65537, so verifying costs what it costs for any RSA key;
 *   - Ed25519 nonces come from a pool (r, R = rB) instead of being derived
 *     per message, so a signature is one SHA-512 and one product mod L.
 * These keys are for benchmarks only: their secrets are trivially
 * recoverable. Uses libgcrypt directly (the one-adapter rule is for src/).
 */
#define _GNU_SOURCE	/* asprintf */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#define POOL_RSA2048	32
#define POOL_RSA4096	16
#define POOL_RSASUB	8	/* per size, for subkeys */
#define POOL_ED		64
#define POOL_EDSUB	16
#define POOL_CV		32
#define POOL_NONCE	256
#define PRIME_BITS	128
#define MAX_PRIMES	32
#define MAX_CERTS	300
#define MAX_JOBS	64

#define T_START		915148800u	/* 1999-01-01 */
#define T_RANGE		803001599u	/* up to 2024-06-12: a prime, so any
					 * step below it is a bijection */
#define T_STEP		2654435761u	/* mod T_RANGE */

static void
die(const char *msg)
{
	fprintf(stderr, "kmgen: %s\n", msg);
	exit(1);
}

/* ---- PRNG: xoshiro256** seeded by splitmix64 ----------------------------- */

struct rng {
	uint64_t s[4];
};

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed * 0x2545f4914f6cdd1dull ^ stream;
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&x);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t res = rotl(r->s[1] * 5, 7) * 9, t = r->s[1] << 17;

	r->s[2] ^= r->s[0];
	r->s[3] ^= r->s[1];
	r->s[1] ^= r->s[2];
	r->s[0] ^= r->s[3];
	r->s[2] ^= t;
	r->s[3] = rotl(r->s[3], 45);
	return res;
}

static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

static void
rng_bytes(struct rng *r, uint8_t *p, size_t n)
{
	while (n > 0) {
		uint64_t v = rng_next(r);
		size_t k = n < 8 ? n : 8;

		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}

/* ---- output buffers ------------------------------------------------------- */

struct ob {
	uint8_t *p;
	size_t n, cap;
};

static void
ob_put(struct ob *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			die("out of memory");
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void
ob_u8(struct ob *b, unsigned v)
{
	uint8_t c = (uint8_t)v;

	ob_put(b, &c, 1);
}

static void
ob_u16(struct ob *b, unsigned v)
{
	ob_u8(b, v >> 8);
	ob_u8(b, v);
}

static void
ob_u32(struct ob *b, uint32_t v)
{
	ob_u16(b, v >> 16);
	ob_u16(b, v & 0xffff);
}

/* An MPI from big-endian octets (leading zero octets dropped). */
static void
ob_mpi(struct ob *b, const uint8_t *p, size_t n)
{
	unsigned bits;

	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	bits = n ? (unsigned)(n - 1) * 8 : 0;
	if (n) {
		uint8_t c = p[0];

		while (c) {
			bits++;
			c >>= 1;
		}
	}
	ob_u16(b, bits);
	ob_put(b, p, n);
}

/* Old-format packet header (tags below 16), shortest length form. */
static void
ob_packet(struct ob *b, unsigned tag, const struct ob *body)
{
	if (body->n < 256) {
		ob_u8(b, 0x80 | tag << 2);
		ob_u8(b, body->n);
	} else if (body->n < 65536) {
		ob_u8(b, 0x80 | tag << 2 | 1);
		ob_u16(b, body->n);
	} else {
		ob_u8(b, 0x80 | tag << 2 | 2);
		ob_u32(b, (uint32_t)body->n);
	}
	ob_put(b, body->p, body->n);
}

static void
subpkt(struct ob *b, unsigned type, const void *p, size_t n)
{
	if (n + 1 < 192) {
		ob_u8(b, n + 1);
	} else {
		if (n + 1 - 192 >= 8192 - 192)
			die("subpacket too long");
		ob_u8(b, ((n + 1 - 192) >> 8) + 192);
		ob_u8(b, (n + 1 - 192) & 0xff);
	}
	ob_u8(b, type);
	ob_put(b, p, n);
}

static void
subpkt_u32(struct ob *b, unsigned type, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };

	subpkt(b, type, x, 4);
}

/* ---- multi-prime RSA ------------------------------------------------------ */

struct rsa {
	unsigned bits, np;
	uint8_t n[512];		/* big-endian, exactly bits/8 octets */
	gcry_mpi_t mn, p[MAX_PRIMES], d[MAX_PRIMES], c[MAX_PRIMES];
};

static const uint8_t e65537[3] = { 1, 0, 1 };

static gcry_mpi_t
mpi_be(const uint8_t *p, size_t n)
{
	gcry_mpi_t m;

	if (gcry_mpi_scan(&m, GCRYMPI_FMT_USG, p, n, NULL) != 0)
		die("mpi scan");
	return m;
}

static void
mpi_out(gcry_mpi_t m, uint8_t *out, size_t n)	/* big-endian, padded */
{
	size_t w;

	memset(out, 0, n);
	if (gcry_mpi_print(GCRYMPI_FMT_USG, out, n, &w, m) != 0)
		die("mpi print");
	if (w < n) {
		memmove(out + (n - w), out, w);
		memset(out, 0, n - w);
	}
}

/* A 128-bit prime p with p - 1 prime to 65537 and its top 6 bits set, so
 * that 16 or 32 of them multiply to exactly 2048 or 4096 bits. */
static gcry_mpi_t
small_prime(struct rng *r)
{
	uint8_t b[PRIME_BITS / 8];
	gcry_mpi_t p, pm1 = gcry_mpi_new(0), e = mpi_be(e65537, 3), g = gcry_mpi_new(0);

	rng_bytes(r, b, sizeof(b));
	b[0] |= 0xfc;
	b[sizeof(b) - 1] |= 1;
	p = mpi_be(b, sizeof(b));
	for (;;) {
		gcry_mpi_sub_ui(pm1, p, 1);
		if (gcry_mpi_gcd(g, pm1, e) && gcry_prime_check(p, 0) == 0)
			break;
		gcry_mpi_add_ui(p, p, 2);
	}
	gcry_mpi_release(pm1);
	gcry_mpi_release(e);
	gcry_mpi_release(g);
	return p;
}

static void
rsa_make(struct rsa *k, unsigned bits, struct rng *r)
{
	gcry_mpi_t e = mpi_be(e65537, 3), t = gcry_mpi_new(0), m = gcry_mpi_new(0);
	unsigned i;

	k->bits = bits;
	k->np = bits / PRIME_BITS;
	for (;;) {
		k->mn = gcry_mpi_set_ui(NULL, 1);
		for (i = 0; i < k->np; i++) {
			k->p[i] = small_prime(r);
			gcry_mpi_mul(k->mn, k->mn, k->p[i]);
		}
		if (gcry_mpi_get_nbits(k->mn) == bits)
			break;
		for (i = 0; i < k->np; i++)
			gcry_mpi_release(k->p[i]);
		gcry_mpi_release(k->mn);
	}
	mpi_out(k->mn, k->n, bits / 8);
	for (i = 0; i < k->np; i++) {
		/* d_i = e^-1 mod (p_i - 1); c_i = M_i (M_i^-1 mod p_i), M_i = n / p_i */
		k->d[i] = gcry_mpi_new(0);
		gcry_mpi_sub_ui(t, k->p[i], 1);
		if (!gcry_mpi_invm(k->d[i], e, t))
			die("no inverse");
		gcry_mpi_div(m, NULL, k->mn, k->p[i], 0);
		gcry_mpi_mod(t, m, k->p[i]);
		if (!gcry_mpi_invm(t, t, k->p[i]))
			die("no inverse");
		k->c[i] = gcry_mpi_new(0);
		gcry_mpi_mul(k->c[i], m, t);
	}
	gcry_mpi_release(e);
	gcry_mpi_release(t);
	gcry_mpi_release(m);
}

/* PKCS#1 v1.5 signature of a SHA-256 or SHA-512 digest; s goes to sig
 * (big-endian, bits/8 octets). */
static void
rsa_sign(const struct rsa *k, int hashalgo, const uint8_t *dg, size_t dlen,
    uint8_t *sig)
{
	static const uint8_t di256[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09,
	    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
	    0x04, 0x20 };
	static const uint8_t di512[19] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09,
	    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00,
	    0x04, 0x40 };
	size_t nb = k->bits / 8, ps = nb - 3 - 19 - dlen;
	uint8_t em[512];
	gcry_mpi_t m, s = gcry_mpi_set_ui(NULL, 0), x = gcry_mpi_new(0), y = gcry_mpi_new(0);
	unsigned i;

	em[0] = 0;
	em[1] = 1;
	memset(em + 2, 0xff, ps);
	em[2 + ps] = 0;
	memcpy(em + 3 + ps, hashalgo == 10 ? di512 : di256, 19);
	memcpy(em + 3 + ps + 19, dg, dlen);
	m = mpi_be(em, nb);
	for (i = 0; i < k->np; i++) {
		gcry_mpi_mod(x, m, k->p[i]);
		gcry_mpi_powm(x, x, k->d[i], k->p[i]);
		gcry_mpi_mul(y, x, k->c[i]);
		gcry_mpi_add(s, s, y);
	}
	gcry_mpi_mod(s, s, k->mn);
	mpi_out(s, sig, nb);
	gcry_mpi_release(m);
	gcry_mpi_release(s);
	gcry_mpi_release(x);
	gcry_mpi_release(y);
}

/* ---- Ed25519 and Cv25519 -------------------------------------------------- */

struct ed {
	gcry_mpi_t a;		/* secret scalar */
	uint8_t A[32];		/* public point, RFC 8032 encoding */
};

struct nonce {
	gcry_mpi_t r;
	uint8_t R[32];
};

static gcry_mpi_t ed_L;

static void
le_to_be(const uint8_t *in, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = in[n - 1 - i];
}

static gcry_mpi_t
mpi_le(const uint8_t *p, size_t n)
{
	uint8_t be[64];

	le_to_be(p, be, n);
	return mpi_be(be, n);
}

static void
mpi_out_le(gcry_mpi_t m, uint8_t *out, size_t n)
{
	uint8_t be[64];

	mpi_out(m, be, n);
	le_to_be(be, out, n);
}

/* k * G on curve ("Ed25519" or "Curve25519"), encoded as OpenPGP wants it:
 * Ed25519: y little-endian with the sign of x in the top bit; Curve25519:
 * the u coordinate, little-endian. */
static void
point_of(const char *curve, gcry_mpi_t k, uint8_t out[32])
{
	gcry_ctx_t ctx;
	gcry_mpi_point_t g, q = gcry_mpi_point_new(0);
	gcry_mpi_t x = gcry_mpi_new(0), y = gcry_mpi_new(0);
	bool ed = !strcmp(curve, "Ed25519");

	if (gcry_mpi_ec_new(&ctx, NULL, curve) != 0)
		die("curve");
	g = gcry_mpi_ec_get_point("g", ctx, 1);
	gcry_mpi_ec_mul(q, k, g, ctx);
	if (gcry_mpi_ec_get_affine(x, ed ? y : NULL, q, ctx) != 0)
		die("affine");
	if (ed) {
		mpi_out_le(y, out, 32);
		if (gcry_mpi_test_bit(x, 0))
			out[31] |= 0x80;
	} else {
		mpi_out_le(x, out, 32);
	}
	gcry_mpi_point_release(g);
	gcry_mpi_point_release(q);
	gcry_mpi_release(x);
	gcry_mpi_release(y);
	gcry_ctx_release(ctx);
}

/* A clamped scalar from 32 random octets (RFC 8032 5.1.5 / RFC 7748). */
static gcry_mpi_t
clamped(struct rng *r)
{
	uint8_t seed[32], h[64];

	rng_bytes(r, seed, 32);
	gcry_md_hash_buffer(GCRY_MD_SHA512, h, seed, 32);
	h[0] &= 248;
	h[31] &= 127;
	h[31] |= 64;
	return mpi_le(h, 32);
}

static void
ed_make(struct ed *k, struct rng *r)
{
	k->a = clamped(r);
	point_of("Ed25519", k->a, k->A);
}

static void
nonce_make(struct nonce *n, struct rng *r)
{
	uint8_t b[64];
	gcry_mpi_t x;

	rng_bytes(r, b, 64);
	x = mpi_le(b, 64);
	n->r = gcry_mpi_new(0);
	gcry_mpi_mod(n->r, x, ed_L);
	gcry_mpi_release(x);
	point_of("Ed25519", n->r, n->R);
}

/* EdDSA over the message dg (OpenPGP signs the digest): R, S encoded. */
static void
ed_sign(const struct ed *k, const struct nonce *n, const uint8_t *dg,
    size_t dlen, uint8_t R[32], uint8_t S[32])
{
	gcry_md_hd_t h;
	gcry_mpi_t kk, s = gcry_mpi_new(0);

	if (gcry_md_open(&h, GCRY_MD_SHA512, 0) != 0)
		die("md");
	gcry_md_write(h, n->R, 32);
	gcry_md_write(h, k->A, 32);
	gcry_md_write(h, dg, dlen);
	kk = mpi_le(gcry_md_read(h, 0), 64);
	gcry_md_close(h);
	gcry_mpi_mulm(s, kk, k->a, ed_L);
	gcry_mpi_addm(s, s, n->r, ed_L);
	memcpy(R, n->R, 32);
	mpi_out_le(s, S, 32);
	gcry_mpi_release(kk);
	gcry_mpi_release(s);
}

/* ---- pools ---------------------------------------------------------------- */

static struct rsa rsa2048[POOL_RSA2048], rsa4096[POOL_RSA4096];
static struct rsa rsasub2048[POOL_RSASUB], rsasub4096[POOL_RSASUB];
static struct ed edp[POOL_ED], edsub[POOL_EDSUB];
static struct nonce nonces[POOL_NONCE];
static uint8_t cv[POOL_CV][32];

static void
pools_make(uint64_t seed)
{
	struct rng r;
	int i;

	if (gcry_mpi_scan(&ed_L, GCRYMPI_FMT_HEX, "1000000000000000000000000000"
	    "000014DEF9DEA2F79CD65812631A5CF5D3ED", 0, NULL) != 0)
		die("L");
	rng_seed(&r, seed, 0xb001);
	for (i = 0; i < POOL_RSA2048; i++)
		rsa_make(&rsa2048[i], 2048, &r);
	for (i = 0; i < POOL_RSA4096; i++)
		rsa_make(&rsa4096[i], 4096, &r);
	for (i = 0; i < POOL_RSASUB; i++) {
		rsa_make(&rsasub2048[i], 2048, &r);
		rsa_make(&rsasub4096[i], 4096, &r);
	}
	for (i = 0; i < POOL_ED; i++)
		ed_make(&edp[i], &r);
	for (i = 0; i < POOL_EDSUB; i++)
		ed_make(&edsub[i], &r);
	for (i = 0; i < POOL_NONCE; i++)
		nonce_make(&nonces[i], &r);
	for (i = 0; i < POOL_CV; i++) {
		gcry_mpi_t k = clamped(&r);

		point_of("Curve25519", k, cv[i]);
		gcry_mpi_release(k);
	}
}

/* ---- keys ----------------------------------------------------------------- */

enum kalgo { K_RSA2048, K_RSA4096, K_ED25519 };

/* A key's public packet and how to sign with it. */
struct pk {
	enum kalgo algo;
	uint8_t pkalgo;			/* 1, 22, 18 */
	const struct rsa *rsa;
	const struct ed *ed;
	const uint8_t *cvu;		/* Cv25519 subkey */
	uint32_t created;
	struct ob body;			/* packet body */
	uint8_t fpr[20];
};

static uint64_t g_seed;

static const uint8_t oid_ed25519[10] = { 9, 0x2b, 0x06, 0x01, 0x04, 0x01,
    0xda, 0x47, 0x0f, 0x01 };
static const uint8_t oid_cv25519[11] = { 10, 0x2b, 0x06, 0x01, 0x04, 0x01,
    0x97, 0x55, 0x01, 0x05, 0x01 };

static void
pk_body(struct pk *k)
{
	uint8_t q[33];

	k->body.n = 0;
	ob_u8(&k->body, 4);
	ob_u32(&k->body, k->created);
	ob_u8(&k->body, k->pkalgo);
	if (k->rsa) {
		ob_mpi(&k->body, k->rsa->n, k->rsa->bits / 8);
		ob_mpi(&k->body, e65537, 3);
	} else if (k->ed) {
		ob_put(&k->body, oid_ed25519, sizeof(oid_ed25519));
		q[0] = 0x40;
		memcpy(q + 1, k->ed->A, 32);
		ob_mpi(&k->body, q, 33);
	} else {
		ob_put(&k->body, oid_cv25519, sizeof(oid_cv25519));
		q[0] = 0x40;
		memcpy(q + 1, k->cvu, 32);
		ob_mpi(&k->body, q, 33);
		ob_u8(&k->body, 3);	/* KDF: SHA-256, AES-128 */
		ob_u8(&k->body, 1);
		ob_u8(&k->body, 8);
		ob_u8(&k->body, 7);
	}
	{
		gcry_md_hd_t h;

		if (gcry_md_open(&h, GCRY_MD_SHA1, 0) != 0)
			die("md");
		gcry_md_putc(h, 0x99);
		gcry_md_putc(h, k->body.n >> 8);
		gcry_md_putc(h, k->body.n & 0xff);
		gcry_md_write(h, k->body.p, k->body.n);
		memcpy(k->fpr, gcry_md_read(h, 0), 20);
		gcry_md_close(h);
	}
}

/* The first draws of key i's generator: algorithm, material, creation
 * time. key_meta(j) is how a certifier's key is known to key i. */
static void
key_meta(uint64_t i, struct rng *r, struct pk *k)
{
	uint32_t u;

	rng_seed(r, g_seed, i + 1);
	u = rng_below(r, 100);
	k->algo = u < 55 ? K_RSA2048 : u < 90 ? K_RSA4096 : K_ED25519;
	k->rsa = NULL;
	k->ed = NULL;
	k->cvu = NULL;
	switch (k->algo) {
	case K_RSA2048:
		k->rsa = &rsa2048[rng_below(r, POOL_RSA2048)];
		k->pkalgo = 1;
		break;
	case K_RSA4096:
		k->rsa = &rsa4096[rng_below(r, POOL_RSA4096)];
		k->pkalgo = 1;
		break;
	case K_ED25519:
		k->ed = &edp[rng_below(r, POOL_ED)];
		k->pkalgo = 22;
		break;
	}
	k->created = T_START + (uint32_t)((i * T_STEP + g_seed) % T_RANGE);
	pk_body(k);
}

static const char *first_names[] = {
	"Alice", "Bob", "Carol", "David", "Erin", "Frank", "Grace", "Heidi",
	"Ivan", "Judy", "Karl", "Laura", "Mallory", "Niaj", "Olivia", "Peggy",
	"Quentin", "Rupert", "Sybil", "Trent", "Ursula", "Victor", "Walter",
	"Xavier", "Yvonne", "Zoe", "Anna", "Ben", "Chen", "Dmitri", "Elena",
	"Fatima", "Giulia", "Hiroshi", "Ingrid", "Jose", "Kwame", "Lars",
	"Maria", "Nikolai", "Oscar", "Priya", "Rafael", "Sofia", "Tomasz",
	"Ulrich", "Valentina", "Wei", "Yusuf", "Zeynep", "Andreas", "Bjorn",
	"Claire", "Diego", "Emma", "Felix", "Gustav", "Hannah", "Isabel",
	"Jakob", "Katarina", "Leon", "Mateo", "Noah",
};
static const char *last_names[] = {
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller",
	"Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez",
	"Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
	"Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
	"Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
	"Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
	"Carter", "Roberts", "Mueller", "Schmidt", "Schneider", "Fischer",
	"Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Rossi",
	"Russo", "Ferrari", "Esposito",
};
static const char *domains[] = {
	"example.org", "example.com", "example.net", "mail.example",
	"users.example.org", "lists.example.net", "corp.example.com",
	"uni.example.edu", "free.example", "post.example.de", "home.example.fr",
	"dev.example.io",
};
static const char *comments[] = {
	"work", "personal", "signing key", "2nd key", "old address",
	"release signing", "Debian", "laptop",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The user ID of key i's u-th identity; its e-mail is unique per key. */
static void
make_uid(struct rng *r, uint64_t i, unsigned u, char *out, size_t n)
{
	const char *f = first_names[rng_below(r, NELEM(first_names))];
	const char *l = last_names[rng_below(r, NELEM(last_names))];
	const char *d = domains[rng_below(r, NELEM(domains))];
	char lf[32], ll[32];
	size_t k;

	snprintf(lf, sizeof(lf), "%s", f);
	snprintf(ll, sizeof(ll), "%s", l);
	for (k = 0; lf[k]; k++)
		lf[k] = (char)(lf[k] | 0x20);
	for (k = 0; ll[k]; k++)
		ll[k] = (char)(ll[k] | 0x20);
	if (rng_below(r, 100) < 15)
		snprintf(out, n, "%s %s (%s) <%s.%s.%" PRIx64 "%c@%s>", f, l,
		    comments[rng_below(r, NELEM(comments))], lf, ll, i, 'a' + u, d);
	else
		snprintf(out, n, "%s %s <%s.%s.%" PRIx64 "%c@%s>", f, l, lf, ll,
		    i, 'a' + u, d);
}

/* Hash a key packet (0x99 framing) / user ID (0xb4) into h. */
static void
hash_key(gcry_md_hd_t h, const struct ob *body)
{
	gcry_md_putc(h, 0x99);
	gcry_md_putc(h, body->n >> 8);
	gcry_md_putc(h, body->n & 0xff);
	gcry_md_write(h, body->p, body->n);
}

static void
hash_uid(gcry_md_hd_t h, const char *uid)
{
	size_t n = strlen(uid);

	gcry_md_putc(h, 0xb4);
	gcry_md_putc(h, (n >> 24) & 0xff);
	gcry_md_putc(h, (n >> 16) & 0xff);
	gcry_md_putc(h, (n >> 8) & 0xff);
	gcry_md_putc(h, n & 0xff);
	gcry_md_write(h, uid, n);
}

/*
 * A v4 signature by signer over the data already in h (a fresh hash
 * context of hashalgo, consumed here), with the given hashed subpackets
 * (issuer fingerprint added here); appended as a packet to out.
 */
static void
sign(struct ob *out, const struct pk *signer, struct rng *r, gcry_md_hd_t h,
    int hashalgo, uint8_t type, struct ob *hashed)
{
	struct ob body = { 0 }, issfpr = { 0 };
	uint8_t tr[6], dg[64], sig[512], R[32], S[32];
	size_t dlen = gcry_md_get_algo_dlen(hashalgo == 10 ? GCRY_MD_SHA512 :
	    GCRY_MD_SHA256);
	uint8_t fprsub[21];

	fprsub[0] = 4;
	memcpy(fprsub + 1, signer->fpr, 20);
	subpkt(hashed, 33, fprsub, 21);
	ob_u8(&body, 4);
	ob_u8(&body, type);
	ob_u8(&body, signer->pkalgo);
	ob_u8(&body, hashalgo);
	ob_u16(&body, hashed->n);
	ob_put(&body, hashed->p, hashed->n);
	gcry_md_write(h, body.p, body.n);
	tr[0] = 4;
	tr[1] = 0xff;
	tr[2] = (uint8_t)(body.n >> 24);
	tr[3] = (uint8_t)(body.n >> 16);
	tr[4] = (uint8_t)(body.n >> 8);
	tr[5] = (uint8_t)body.n;
	gcry_md_write(h, tr, 6);
	memcpy(dg, gcry_md_read(h, 0), dlen);
	gcry_md_close(h);
	/* unhashed: the issuer key ID */
	subpkt(&issfpr, 16, signer->fpr + 12, 8);
	ob_u16(&body, issfpr.n);
	ob_put(&body, issfpr.p, issfpr.n);
	ob_put(&body, dg, 2);
	if (signer->rsa) {
		rsa_sign(signer->rsa, hashalgo, dg, dlen, sig);
		ob_mpi(&body, sig, signer->rsa->bits / 8);
	} else {
		ed_sign(signer->ed, &nonces[rng_below(r, POOL_NONCE)], dg, dlen, R, S);
		ob_mpi(&body, R, 32);
		ob_mpi(&body, S, 32);
	}
	ob_packet(out, 2, &body);
	free(body.p);
	free(issfpr.p);
}

static gcry_md_hd_t
md(int hashalgo)
{
	gcry_md_hd_t h;

	if (gcry_md_open(&h, hashalgo == 10 ? GCRY_MD_SHA512 : GCRY_MD_SHA256, 0) != 0)
		die("md");
	return h;
}

static uint32_t
later(struct rng *r, uint32_t t, uint32_t span)
{
	uint64_t v = (uint64_t)t + 60 + rng_below(r, span);

	return v > 1735689599u ? 1735689599u : (uint32_t)v;	/* <= 2024 */
}

static unsigned
pick(struct rng *r, const unsigned *cum, unsigned n)
{
	unsigned u = rng_below(r, 100), i;

	for (i = 0; i < n - 1 && u >= cum[i]; i++)
		;
	return i;
}

/* Key i, appended to out; its list line to list (if not NULL). */
static void
make_key(uint64_t i, struct ob *out, FILE *list, char *line, size_t linelen)
{
	static const unsigned uid_cum[] = { 55, 80, 92, 97, 100 };
	static const unsigned sub_cum[] = { 10, 80, 95, 100 };
	static const uint8_t prefs_sym[] = { 9, 8, 7, 2 };
	static const uint8_t prefs_hash[] = { 10, 9, 8, 11 };
	static const uint8_t prefs_zip[] = { 2, 3, 1 };
	struct rng r, cr;
	struct pk k = { 0 }, sub = { 0 }, signer = { 0 };
	struct ob hashed = { 0 }, uidb = { 0 };
	char uids[5][160];
	uint8_t certuid[MAX_CERTS];
	unsigned nuids, nsubs, ncerts = 0, u, s, c;
	uint32_t expire = 0, t;
	int ha;
	gcry_md_hd_t h;

	key_meta(i, &r, &k);
	ha = k.ed ? 10 : 8;
	nuids = pick(&r, uid_cum, 5) + 1;
	nsubs = pick(&r, sub_cum, 4);
	if (rng_below(&r, 100) < 30)
		expire = (1 + rng_below(&r, 5)) * 31536000u;
	if (i > 0 && rng_below(&r, 100) >= 60) {
		double x = pow(1.0 - rng_unit(&r), -1.0 / 1.1);	/* Pareto, xm 1 */

		ncerts = x > MAX_CERTS ? MAX_CERTS : (unsigned)x;
	}
	/* most certifications are on the first user ID */
	for (c = 0; c < ncerts; c++)
		certuid[c] = (uint8_t)(nuids > 1 && rng_below(&r, 100) < 20 ?
		    1 + rng_below(&r, nuids - 1) : 0);

	ob_packet(out, 6, &k.body);
	if (rng_below(&r, 100) < 2) {
		uint8_t reason = 0x03;	/* key is retired */

		hashed.n = 0;
		subpkt_u32(&hashed, 2, later(&r, k.created, 157680000));
		subpkt(&hashed, 29, &reason, 1);
		h = md(ha);
		hash_key(h, &k.body);
		sign(out, &k, &r, h, ha, 0x20, &hashed);
	}
	for (u = 0; u < nuids; u++) {
		uint8_t flags = 0x03;	/* certify, sign */

		make_uid(&r, i, u, uids[u], sizeof(uids[u]));
		uidb.n = 0;
		ob_put(&uidb, uids[u], strlen(uids[u]));
		ob_packet(out, 13, &uidb);
		hashed.n = 0;
		t = later(&r, k.created, 86400);
		subpkt_u32(&hashed, 2, t);
		if (expire)
			subpkt_u32(&hashed, 9, expire);
		subpkt(&hashed, 27, &flags, 1);
		subpkt(&hashed, 11, prefs_sym, sizeof(prefs_sym));
		subpkt(&hashed, 21, prefs_hash, sizeof(prefs_hash));
		subpkt(&hashed, 22, prefs_zip, sizeof(prefs_zip));
		{
			uint8_t feat = 1, one = 1;

			subpkt(&hashed, 30, &feat, 1);
			if (u == 0)
				subpkt(&hashed, 25, &one, 1);
		}
		h = md(ha);
		hash_key(h, &k.body);
		hash_uid(h, uids[u]);
		sign(out, &k, &r, h, ha, 0x13, &hashed);
		for (c = 0; c < ncerts; c++) {
			uint64_t j;

			if (certuid[c] != u)
				continue;
			j = rng_next(&r) % i;
			key_meta(j, &cr, &signer);
			hashed.n = 0;
			t = later(&r, k.created > signer.created ? k.created :
			    signer.created, 94608000);
			subpkt_u32(&hashed, 2, t);
			h = md(signer.ed ? 10 : 8);
			hash_key(h, &k.body);
			hash_uid(h, uids[u]);
			sign(out, &signer, &r, h, signer.ed ? 10 : 8, 0x10, &hashed);
		}
	}
	for (s = 0; s < nsubs; s++) {
		uint8_t flags;
		bool signing = s > 0;

		memset(&sub, 0, sizeof(sub));
		sub.created = k.created + 1 + s;
		if (k.ed) {
			if (signing) {
				sub.ed = &edsub[rng_below(&r, POOL_EDSUB)];
				sub.pkalgo = 22;
			} else {
				sub.cvu = cv[rng_below(&r, POOL_CV)];
				sub.pkalgo = 18;
			}
		} else {
			sub.rsa = k.algo == K_RSA2048 ?
			    &rsasub2048[rng_below(&r, POOL_RSASUB)] :
			    &rsasub4096[rng_below(&r, POOL_RSASUB)];
			sub.pkalgo = 1;
		}
		pk_body(&sub);
		ob_packet(out, 14, &sub.body);
		hashed.n = 0;
		t = later(&r, sub.created, 86400);
		subpkt_u32(&hashed, 2, t);
		if (expire)
			subpkt_u32(&hashed, 9, expire);
		flags = signing ? 0x02 : 0x0c;
		subpkt(&hashed, 27, &flags, 1);
		if (signing) {
			/* back-signature: the subkey signs primary + subkey */
			struct ob bs = { 0 }, bh = { 0 };
			size_t off;
			int sha = sub.ed ? 10 : 8;

			subpkt_u32(&bh, 2, t);
			h = md(sha);
			hash_key(h, &k.body);
			hash_key(h, &sub.body);
			sign(&bs, &sub, &r, h, sha, 0x19, &bh);
			/* the packet body, without its old-format header */
			off = (bs.p[0] & 3) == 0 ? 2 : (bs.p[0] & 3) == 1 ? 3 : 5;
			subpkt(&hashed, 32, bs.p + off, bs.n - off);
			free(bs.p);
			free(bh.p);
		}
		h = md(ha);
		hash_key(h, &k.body);
		hash_key(h, &sub.body);
		sign(out, &k, &r, h, ha, 0x18, &hashed);
		free(sub.body.p);
	}
	if (list) {
		snprintf(line, linelen, "%" PRIu64 " ", i);
		fputs(line, list);
		for (u = 0; u < 20; u++)
			fprintf(list, "%02X", k.fpr[u]);
		fputc(' ', list);
		for (u = 12; u < 20; u++)
			fprintf(list, "%02X", k.fpr[u]);
		fprintf(list, " %s %s\n", k.algo == K_RSA2048 ? "rsa2048" :
		    k.algo == K_RSA4096 ? "rsa4096" : "ed25519",
		    strchr(uids[0], '<'));
	}
	free(k.body.p);
	free(signer.body.p);
	free(hashed.p);
	free(uidb.p);
}

/* ---- main ----------------------------------------------------------------- */

struct job {
	uint64_t first, n;
	char *out, *list;	/* temporary part files */
	int err;
};

static bool want_list;

static void *
job_main(void *arg)
{
	struct job *j = arg;
	struct ob b = { 0 };
	FILE *f = fopen(j->out, "wb"), *l = NULL;
	char line[64];
	uint64_t i;

	if (f == NULL || (want_list && (l = fopen(j->list, "w")) == NULL)) {
		j->err = errno;
		return NULL;
	}
	for (i = j->first; i < j->first + j->n; i++) {
		make_key(i, &b, l, line, sizeof(line));
		if (b.n >= (1u << 22)) {
			if (fwrite(b.p, 1, b.n, f) != b.n)
				j->err = errno;
			b.n = 0;
		}
	}
	if (b.n && fwrite(b.p, 1, b.n, f) != b.n)
		j->err = errno;
	if (fclose(f) != 0 && !j->err)
		j->err = errno;
	if (l && fclose(l) != 0 && !j->err)
		j->err = errno;
	free(b.p);
	return NULL;
}

static void
append(FILE *to, const char *path)
{
	char buf[1 << 16];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		die("cannot reopen a part file");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			die("write error");
	fclose(f);
	unlink(path);
}

static void
usage(void)
{
	fprintf(stderr, "usage: kmgen -n N [-f FIRST] [-s SEED] [-j JOBS] "
	    "[-o FILE] [-l LIST]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	struct job jobs[MAX_JOBS];
	pthread_t th[MAX_JOBS];
	uint64_t n = 0, first = 0;
	const char *out = NULL, *list = NULL, *tmpdir;
	FILE *fo, *fl = NULL;
	unsigned njobs = 1, k;
	int ch;

	g_seed = 1;
	while ((ch = getopt(argc, argv, "n:f:s:j:o:l:")) != -1) {
		switch (ch) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'f': first = strtoull(optarg, NULL, 10); break;
		case 's': g_seed = strtoull(optarg, NULL, 10); break;
		case 'j': njobs = (unsigned)atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'l': list = optarg; break;
		default: usage();
		}
	}
	if (n == 0 || njobs < 1 || njobs > MAX_JOBS || first + n > T_RANGE)
		usage();
	if (!gcry_check_version(GCRYPT_VERSION))
		die("libgcrypt version mismatch");
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	pools_make(g_seed);
	want_list = list != NULL;
	if ((tmpdir = getenv("TMPDIR")) == NULL)
		tmpdir = "/tmp";
	if (njobs > n)
		njobs = (unsigned)n;
	for (k = 0; k < njobs; k++) {
		jobs[k].first = first + n * k / njobs;
		jobs[k].n = first + n * (k + 1) / njobs - jobs[k].first;
		if (asprintf(&jobs[k].out, "%s/kmgen.%d.%u.keys", tmpdir,
		    (int)getpid(), k) < 0 || asprintf(&jobs[k].list,
		    "%s/kmgen.%d.%u.list", tmpdir, (int)getpid(), k) < 0)
			die("out of memory");
		jobs[k].err = 0;
		if (pthread_create(&th[k], NULL, job_main, &jobs[k]) != 0)
			die("pthread_create");
	}
	for (k = 0; k < njobs; k++) {
		pthread_join(th[k], NULL);
		if (jobs[k].err)
			die(strerror(jobs[k].err));
	}
	fo = out ? fopen(out, "wb") : stdout;
	if (fo == NULL || (list && (fl = fopen(list, "w")) == NULL))
		die("cannot open the output");
	for (k = 0; k < njobs; k++) {
		append(fo, jobs[k].out);
		if (fl)
			append(fl, jobs[k].list);
		else
			unlink(jobs[k].list);
		free(jobs[k].out);
		free(jobs[k].list);
	}
	if (fflush(fo) != 0 || (out && fclose(fo) != 0) ||
	    (fl && fclose(fl) != 0))
		die("write error");
	return 0;
}
