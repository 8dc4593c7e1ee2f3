/*
 * pgp/gcrypt/verify.c - the libgcrypt adapter: hashing and signature
 * verification. Only files in pgp/gcrypt/ include gcrypt.h.
 *
 * Inputs are untrusted key material and signatures from mail; libgcrypt
 * gets them only as length-checked MPIs / octet strings. Every field is
 * read through util/rd (need > remaining fails), MPI bit counts are only
 * used to compute an octet count that is then bounds-checked, and nothing
 * here trusts the parser's bits/curve summary: the curve OID and the key
 * material are re-read from the packet body.
 *
 * Memory: pgp_hash_open/pgp_hash_copy return a handle that
 * pgp_hash_final frees (pgp_hash_free drops one unused). pgp_crypto_verify
 * allocates nothing that outlives the call.
 */
#include <gcrypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp.h"
#include "util/rd.h"
#include "util/xalloc.h"

struct pgp_hash {
	gcry_md_hd_t md;
	int gcry_algo;
};

int
pgp_crypto_init(void)
{
	static int done;

	if (done)
		return 0;
	if (!gcry_check_version(GCRYPT_VERSION))
		return -1;
	/* No secure memory: keymail's one long-term secret (the
	 * reconciliation server key's seed, ed25519.c) and the short-lived
	 * secrets of encryption (session keys, ephemeral scalars;
	 * primitives.c, pgp/encrypt.c) are wiped from keymail's buffers after
	 * use; locked memory would need privileges keymail does not have
	 * (README, Reconciliation). */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	done = 1;
	return 0;
}

static int
gcry_hash_algo(int algo)
{
	switch (algo) {
	case PGP_HASH_MD5: return GCRY_MD_MD5;
	case PGP_HASH_SHA1: return GCRY_MD_SHA1;
	case PGP_HASH_RIPEMD160: return GCRY_MD_RMD160;
	case PGP_HASH_SHA256: return GCRY_MD_SHA256;
	case PGP_HASH_SHA384: return GCRY_MD_SHA384;
	case PGP_HASH_SHA512: return GCRY_MD_SHA512;
	case PGP_HASH_SHA224: return GCRY_MD_SHA224;
	case PGP_HASH_SHA3_256: return GCRY_MD_SHA3_256;
	case PGP_HASH_SHA3_512: return GCRY_MD_SHA3_512;
	default: return 0;
	}
}

struct pgp_hash *
pgp_hash_open(int algo)
{
	struct pgp_hash *h;
	int ga = gcry_hash_algo(algo);

	if (ga == 0)
		return NULL;
	(void)pgp_crypto_init();
	h = xcalloc(1, sizeof(*h));
	h->gcry_algo = ga;
	if (gcry_md_open(&h->md, ga, 0) != 0) {
		free(h);
		return NULL;
	}
	return h;
}

void
pgp_hash_write(struct pgp_hash *h, const void *p, size_t n)
{
	gcry_md_write(h->md, p, n);
}

size_t
pgp_hash_final(struct pgp_hash *h, uint8_t out[64])
{
	size_t len = gcry_md_get_algo_dlen(h->gcry_algo);
	const unsigned char *d = gcry_md_read(h->md, h->gcry_algo);

	if (len > 64)
		len = 64;
	memcpy(out, d, len);
	gcry_md_close(h->md);
	free(h);
	return len;
}

size_t
pgp_hash_buf(int algo, const void *p, size_t n, uint8_t out[64])
{
	struct pgp_hash *h = pgp_hash_open(algo);

	if (h == NULL)
		return 0;
	pgp_hash_write(h, p, n);
	return pgp_hash_final(h, out);
}

void
pgp_sha256_pieces(const struct pgp_piece *v, size_t n, uint8_t out[32])
{
	gcry_buffer_t iov[8];
	size_t i;

	(void)pgp_crypto_init();
	if (n > sizeof(iov) / sizeof(iov[0]))
		abort();	/* our own bug: callers pass a handful */
	memset(iov, 0, sizeof(iov));
	for (i = 0; i < n; i++) {
		iov[i].data = (void *)(uintptr_t)v[i].p;	/* read only */
		iov[i].len = v[i].n;
	}
	if (gcry_md_hash_buffers(GCRY_MD_SHA256, 0, out, iov, (int)n) != 0)
		abort();	/* SHA-256 is always there */
}

struct pgp_hash *
pgp_hash_copy(const struct pgp_hash *h)
{
	struct pgp_hash *c = xcalloc(1, sizeof(*c));

	c->gcry_algo = h->gcry_algo;
	if (gcry_md_copy(&c->md, h->md) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

void
pgp_hash_free(struct pgp_hash *h)
{
	if (h == NULL)
		return;
	gcry_md_close(h->md);
	free(h);
}

/* ---- signature verification ------------------------------------------ */

/* Curves we can verify on, by the DER content octets of their OID
 * (RFC 9580 9.2). qbits is the bit size of the group order, which the
 * (EC)DSA digest is truncated to. */
enum curve_kind { CURVE_ECDSA, CURVE_ED25519, CURVE_ED448 };

static const struct curve {
	const char *gcry_name;
	uint8_t oidlen;
	uint8_t oid[10];
	unsigned qbits;
	enum curve_kind kind;
} curves[] = {
	{ "NIST P-256", 8, { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 },
	    256, CURVE_ECDSA },
	{ "NIST P-384", 5, { 0x2B, 0x81, 0x04, 0x00, 0x22 }, 384, CURVE_ECDSA },
	{ "NIST P-521", 5, { 0x2B, 0x81, 0x04, 0x00, 0x23 }, 521, CURVE_ECDSA },
	{ "brainpoolP256r1", 9,
	    { 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07 },
	    256, CURVE_ECDSA },
	{ "brainpoolP384r1", 9,
	    { 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B },
	    384, CURVE_ECDSA },
	{ "brainpoolP512r1", 9,
	    { 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D },
	    512, CURVE_ECDSA },
	{ "secp256k1", 5, { 0x2B, 0x81, 0x04, 0x00, 0x0A }, 256, CURVE_ECDSA },
	{ "Ed25519", 9,
	    { 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01 },
	    255, CURVE_ED25519 },
	{ "Ed448", 3, { 0x2B, 0x65, 0x71 }, 448, CURVE_ED448 },
};

static const struct curve *
curve_of_kind(enum curve_kind kind)
{
	size_t i;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].kind == kind)
			return &curves[i];
	return NULL;
}

/* A view of some octets of a packet body. */
struct octets {
	const uint8_t *p;
	size_t n;
};

/* One MPI (RFC 9580 3.2): a 2-octet bit count, then (bits+7)/8 octets.
 * The count is not trusted beyond sizing the read, which rd bounds. */
static int
read_mpi(struct rd *r, struct octets *o)
{
	uint16_t bits;

	if (rd_u16(r, &bits) == -1)
		return -1;
	o->n = ((size_t)bits + 7) / 8;
	return rd_bytes(r, o->n, &o->p);
}

static int
read_curve(struct rd *r, const struct curve **cp)
{
	uint8_t len;
	const uint8_t *oid;
	size_t i;

	*cp = NULL;
	if (rd_u8(r, &len) == -1 || len == 0 || len == 0xFF ||
	    rd_bytes(r, len, &oid) == -1)
		return -1;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].oidlen == len &&
		    memcmp(curves[i].oid, oid, len) == 0)
			*cp = &curves[i];
	return 0;
}

/* Strip leading zero octets (an MPI with a lying bit count may carry
 * them); an integer of value 0 becomes one zero octet. */
static struct octets
strip0(struct octets o)
{
	while (o.n > 1 && o.p[0] == 0) {
		o.p++;
		o.n--;
	}
	return o;
}

static unsigned
octets_bits(struct octets o)
{
	unsigned bits;
	uint8_t top;

	o = strip0(o);
	if (o.n == 0 || (o.n == 1 && o.p[0] == 0))
		return 0;
	bits = (unsigned)(o.n - 1) * 8;
	for (top = o.p[0]; top; top >>= 1)
		bits++;
	return bits;
}

/*
 * EdDSA values are fixed-length octet strings, but legacy EdDSA (22)
 * stores them as MPIs, which drop leading zero octets (about 1 in 256
 * signatures). Left-pad back to the fixed size into buf; -1 if too long.
 */
static int
pad_fixed(struct octets o, size_t fixed, uint8_t *buf)
{
	if (o.n > fixed) {
		o = strip0(o);
		if (o.n > fixed)
			return -1;
	}
	memset(buf, 0, fixed - o.n);
	if (o.n)
		memcpy(buf + fixed - o.n, o.p, o.n);
	return 0;
}

static const char *
gcry_hash_name(int pgp_algo)
{
	int ga = gcry_hash_algo(pgp_algo);

	return ga ? gcry_md_algo_name(ga) : NULL;
}

/* Map a libgcrypt failure to a state: only "cannot do this here" is
 * UNSUPPORTED; anything else about untrusted input is a bad signature. */
static enum pgp_sig_state
gcry_state(gcry_error_t err)
{
	switch (gcry_err_code(err)) {
	case GPG_ERR_NO_ERROR:
		return PGP_SIG_GOOD;
	case GPG_ERR_NOT_IMPLEMENTED:
	case GPG_ERR_NOT_SUPPORTED:
	case GPG_ERR_UNKNOWN_CURVE:
	case GPG_ERR_DIGEST_ALGO:
	case GPG_ERR_PUBKEY_ALGO:
		return PGP_SIG_UNSUPPORTED;
	default:
		return PGP_SIG_BAD;
	}
}

/*
 * (EC)DSA: libgcrypt truncates an over-long digest by the MPI's bit
 * length, which is wrong when the digest starts with zero bits. So we
 * hand it an integer already cut to the leftmost qbits bits (FIPS 186-4
 * 4.6 / SEC1 4.1.4).
 */
static gcry_mpi_t
dsa_digest(const uint8_t *digest, size_t dlen, unsigned qbits)
{
	gcry_mpi_t m = NULL;
	size_t take = dlen;

	if (qbits == 0)
		return NULL;
	if (dlen * 8 > qbits)
		take = (qbits + 7) / 8;
	if (gcry_mpi_scan(&m, GCRYMPI_FMT_USG, digest, take, NULL) != 0)
		return NULL;
	if (take * 8 > qbits)
		gcry_mpi_rshift(m, m, (unsigned)(take * 8 - qbits));
	return m;
}

static bool
same_family(uint8_t keyalgo, uint8_t sigalgo)
{
	bool krsa = keyalgo == PGP_PK_RSA || keyalgo == PGP_PK_RSA_E ||
	    keyalgo == PGP_PK_RSA_S;
	bool srsa = sigalgo == PGP_PK_RSA || sigalgo == PGP_PK_RSA_E ||
	    sigalgo == PGP_PK_RSA_S;

	return krsa ? srsa : keyalgo == sigalgo;
}

/* The three S-expressions of one verification, built per family. */
struct sexps {
	gcry_sexp_t key, sig, data;
	gcry_mpi_t m;		/* digest integer, (EC)DSA only */
};

/* build_* return BUILT, or the state to return at once (BAD or
 * UNSUPPORTED; PGP_SIG_UNCHECKED, also 0, is never a result). */
#define BUILT		0

static int
build_rsa(struct sexps *x, struct rd *kr, struct rd *sr,
    const struct pgp_sig *sig, const uint8_t *digest, size_t dlen)
{
	struct octets n, e, s;
	const char *hname = gcry_hash_name(sig->hashalgo);

	if (hname == NULL)
		return PGP_SIG_UNSUPPORTED;
	if (read_mpi(kr, &n) == -1 || read_mpi(kr, &e) == -1 ||
	    read_mpi(sr, &s) == -1)
		return PGP_SIG_BAD;
	if (gcry_sexp_build(&x->key, NULL, "(public-key(rsa(n %b)(e %b)))",
	    (int)n.n, n.p, (int)e.n, e.p) != 0 ||
	    gcry_sexp_build(&x->sig, NULL, "(sig-val(rsa(s %b)))",
	    (int)s.n, s.p) != 0 ||
	    gcry_sexp_build(&x->data, NULL, "(data(flags pkcs1)(hash %s %b))",
	    hname, (int)dlen, digest) != 0)
		return PGP_SIG_BAD;
	return BUILT;
}

static int
build_dsa(struct sexps *x, struct rd *kr, struct rd *sr,
    const uint8_t *digest, size_t dlen)
{
	struct octets p, q, g, y, r, s;

	if (read_mpi(kr, &p) == -1 || read_mpi(kr, &q) == -1 ||
	    read_mpi(kr, &g) == -1 || read_mpi(kr, &y) == -1 ||
	    read_mpi(sr, &r) == -1 || read_mpi(sr, &s) == -1)
		return PGP_SIG_BAD;
	if ((x->m = dsa_digest(digest, dlen, octets_bits(q))) == NULL)
		return PGP_SIG_BAD;
	if (gcry_sexp_build(&x->key, NULL,
	    "(public-key(dsa(p %b)(q %b)(g %b)(y %b)))", (int)p.n, p.p,
	    (int)q.n, q.p, (int)g.n, g.p, (int)y.n, y.p) != 0 ||
	    gcry_sexp_build(&x->sig, NULL, "(sig-val(dsa(r %b)(s %b)))",
	    (int)r.n, r.p, (int)s.n, s.p) != 0 ||
	    gcry_sexp_build(&x->data, NULL, "(data(flags raw)(value %m))",
	    x->m) != 0)
		return PGP_SIG_BAD;
	return BUILT;
}

static int
build_ecdsa(struct sexps *x, struct rd *kr, struct rd *sr,
    const uint8_t *digest, size_t dlen)
{
	const struct curve *curve;
	struct octets q, r, s;

	if (read_curve(kr, &curve) == -1 || read_mpi(kr, &q) == -1)
		return PGP_SIG_BAD;
	if (curve == NULL || curve->kind != CURVE_ECDSA)
		return PGP_SIG_UNSUPPORTED;
	if (read_mpi(sr, &r) == -1 || read_mpi(sr, &s) == -1)
		return PGP_SIG_BAD;
	if ((x->m = dsa_digest(digest, dlen, curve->qbits)) == NULL)
		return PGP_SIG_BAD;
	if (gcry_sexp_build(&x->key, NULL, "(public-key(ecc(curve %s)(q %b)))",
	    curve->gcry_name, (int)q.n, q.p) != 0 ||
	    gcry_sexp_build(&x->sig, NULL, "(sig-val(ecdsa(r %b)(s %b)))",
	    (int)r.n, r.p, (int)s.n, s.p) != 0 ||
	    gcry_sexp_build(&x->data, NULL, "(data(flags raw)(value %m))",
	    x->m) != 0)
		return PGP_SIG_BAD;
	return BUILT;
}

/*
 * EdDSA, legacy (22: curve OID, point MPI 0x40 || native, r and s as MPIs
 * of the native halves, RFC 9580 5.2.3.3) or native (27/28: fixed-size
 * key and signature, 5.5.5.9-10 and 5.2.3.4-5). The digest is the message
 * EdDSA signs; libgcrypt hashes it with SHA-512 or SHAKE256 itself.
 */
static int
build_eddsa(struct sexps *x, uint8_t algo, struct rd *kr, struct rd *sr,
    const uint8_t *digest, size_t dlen)
{
	const struct curve *curve;
	struct octets q, r, s;
	uint8_t rbuf[57], sbuf[57];
	size_t fixed;

	if (algo == PGP_PK_EDDSA_LEGACY) {
		if (read_curve(kr, &curve) == -1 || read_mpi(kr, &q) == -1)
			return PGP_SIG_BAD;
		if (curve == NULL || curve->kind == CURVE_ECDSA)
			return PGP_SIG_UNSUPPORTED;
		fixed = curve->kind == CURVE_ED25519 ? 32 : 57;
		if (read_mpi(sr, &r) == -1 || read_mpi(sr, &s) == -1 ||
		    pad_fixed(r, fixed, rbuf) == -1 ||
		    pad_fixed(s, fixed, sbuf) == -1)
			return PGP_SIG_BAD;
	} else {
		curve = curve_of_kind(algo == PGP_PK_ED25519 ?
		    CURVE_ED25519 : CURVE_ED448);
		if (curve == NULL)
			return PGP_SIG_UNSUPPORTED;
		fixed = algo == PGP_PK_ED25519 ? 32 : 57;
		q.n = fixed;
		if (rd_bytes(kr, fixed, &q.p) == -1 ||
		    rd_copy(sr, rbuf, fixed) == -1 ||
		    rd_copy(sr, sbuf, fixed) == -1)
			return PGP_SIG_BAD;
	}
	if (curve->kind == CURVE_ED25519) {
		if (gcry_sexp_build(&x->key, NULL,
		    "(public-key(ecc(curve Ed25519)(flags eddsa)(q %b)))",
		    (int)q.n, q.p) != 0 ||
		    gcry_sexp_build(&x->data, NULL,
		    "(data(flags eddsa)(hash-algo sha512)(value %b))",
		    (int)dlen, digest) != 0)
			return PGP_SIG_BAD;
	} else {
		if (gcry_sexp_build(&x->key, NULL,
		    "(public-key(ecc(curve Ed448)(q %b)))",
		    (int)q.n, q.p) != 0 ||
		    gcry_sexp_build(&x->data, NULL,
		    "(data(flags eddsa)(value %b))", (int)dlen, digest) != 0)
			return PGP_SIG_BAD;
	}
	if (gcry_sexp_build(&x->sig, NULL, "(sig-val(eddsa(r %b)(s %b)))",
	    (int)fixed, rbuf, (int)fixed, sbuf) != 0)
		return PGP_SIG_BAD;
	return BUILT;
}

enum pgp_sig_state
pgp_crypto_verify(const struct pgp_pubkey *pub, const uint8_t *keybody,
    size_t keylen, const struct pgp_sig *sig, const uint8_t *digest,
    size_t dlen)
{
	struct rd kr, sr;
	struct sexps x;
	int rc;

	if (pgp_crypto_init() == -1)
		return PGP_SIG_UNSUPPORTED;
	if (!same_family(pub->algo, sig->pkalgo))
		return PGP_SIG_BAD;
	if (pub->material_off > keylen || sig->mpi_off > sig->pkt.len)
		return PGP_SIG_BAD;
	rd_init(&kr, keybody + pub->material_off, keylen - pub->material_off);
	rd_init(&sr, sig->pkt.body + sig->mpi_off, sig->pkt.len - sig->mpi_off);
	memset(&x, 0, sizeof(x));

	switch (pub->algo) {
	case PGP_PK_RSA: case PGP_PK_RSA_E: case PGP_PK_RSA_S:
		rc = build_rsa(&x, &kr, &sr, sig, digest, dlen);
		break;
	case PGP_PK_DSA:
		rc = build_dsa(&x, &kr, &sr, digest, dlen);
		break;
	case PGP_PK_ECDSA:
		rc = build_ecdsa(&x, &kr, &sr, digest, dlen);
		break;
	case PGP_PK_EDDSA_LEGACY: case PGP_PK_ED25519: case PGP_PK_ED448:
		rc = build_eddsa(&x, pub->algo, &kr, &sr, digest, dlen);
		break;
	default:
		/* ElGamal, ECDH, X25519/X448, PQC, unknown: never verifiable
		 * here (the encryption-only ones never sign at all). */
		rc = PGP_SIG_UNSUPPORTED;
		break;
	}
	if (rc == BUILT)
		rc = gcry_state(gcry_pk_verify(x.sig, x.data, x.key));
	gcry_sexp_release(x.key);
	gcry_sexp_release(x.sig);
	gcry_sexp_release(x.data);
	gcry_mpi_release(x.m);
	return (enum pgp_sig_state)rc;
}
