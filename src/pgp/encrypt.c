/*
 * pgp/encrypt.c - the OpenPGP framing of an encrypted message: PKESK v3
 * and v6 (RFC 9580 5.1), SEIPD v1 with MDC and v2 with chunked AEAD
 * (5.13), the literal data packet (5.9), the armor; and the entry points
 * pgp_encrypt / pgp_encrypt_to_key. encrypt.h says what comes out and
 * why; recipient.c chooses the recipients and reads their key material;
 * the arithmetic is in the libgcrypt adapter (crypto.h).
 *
 * Untrusted input: the recipient's key material, already read and checked
 * by recipient.c (and checked again by the adapter). Sizes computed from
 * it are bounded there (PGP_ENC_MAX_MODULUS_BITS, curve sizes).
 *
 * Memory: packets are built in local buffers and appended to the
 * caller's buffer only when whole, so a cap hit leaves it unchanged.
 * Buffers that held the session key, a key-wrap key, an encoded session
 * key block or the plaintext are wiped before they are freed.
 */
#include <stdlib.h>
#include <string.h>

#include "pgp/crypto.h"
#include "pgp/encrypt.h"
#include "pgp/pgp.h"
#include "util/be.h"
#include "util/buf.h"
#include "util/secret.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define TAG_PKESK	1
#define TAG_LITERAL	11
#define TAG_SEIPD	18
#define BLOCK		16	/* every cipher here is AES */
#define MAX_NONCE	16
#define TAG_LEN		16
#define SALT_LEN	32
#define MAX_KEYLEN	32

const char *
pgp_enc_strerror(enum pgp_enc_status st)
{
	switch (st) {
	case PGP_ENC_OK: return "ok";
	case PGP_ENC_NO_USABLE_KEY:
		return "the key has no component keymail can encrypt to";
	case PGP_ENC_BAD_KEY_MATERIAL:
		return "the key's encryption material is invalid";
	case PGP_ENC_BAD_KEY:
		return "not a valid transferable public key";
	case PGP_ENC_BAD_INPUT: return "plaintext is not UTF-8 text";
	case PGP_ENC_LIMIT: return "encrypted message too large";
	case PGP_ENC_FAIL: return "cryptographic library failure";
	}
	return "unknown error";
}

static void
draw(const struct pgp_rand *rand, enum pgp_rand_use use, uint8_t *out,
    size_t n)
{
	if (rand != NULL && rand->fill != NULL)
		rand->fill(rand->ctx, use, out, n);
	else
		pgp_random_strong(out, n);
}

static enum pgp_enc_status
crypto_status(int rc)
{
	return rc == PGP_CRYPTO_OK ? PGP_ENC_OK :
	    rc == PGP_CRYPTO_BAD_KEY ? PGP_ENC_BAD_KEY_MATERIAL : PGP_ENC_FAIL;
}

/* One packet in the OpenPGP (new) format, shortest definite length
 * (RFC 9580 4.2.1). */
static enum pgp_enc_status
put_packet(struct buf *out, uint8_t tag, const uint8_t *body, size_t len)
{
	return pgp_packet_write_new(out, tag, body, len) == 0 ? PGP_ENC_OK :
	    PGP_ENC_LIMIT;
}

/* An MPI (RFC 9580 3.2) of a big-endian integer. */
static void
put_mpi(struct buf *b, const uint8_t *p, size_t n)
{
	uint8_t hdr[2], top;
	unsigned bits = 0;

	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	if (n > 0) {
		for (top = p[0]; top; top >>= 1)
			bits++;
		bits += (unsigned)(n - 1) * 8;
	}
	hdr[0] = (uint8_t)(bits >> 8);
	hdr[1] = (uint8_t)bits;
	(void)buf_append(b, hdr, 2);
	(void)buf_append(b, p, n);
}

/* The session key as public-key algorithms take it (RFC 9580 5.1.3):
 * [cipher octet, v3 only] || key || 2-octet sum of the key octets. */
static size_t
sk_block(uint8_t *m, bool v3, int cipher, const uint8_t *sk, size_t sklen)
{
	size_t n = 0, i;
	unsigned sum = 0;

	if (v3)
		m[n++] = (uint8_t)cipher;
	memcpy(m + n, sk, sklen);
	n += sklen;
	for (i = 0; i < sklen; i++)
		sum += sk[i];
	m[n++] = (uint8_t)(sum >> 8);
	m[n++] = (uint8_t)sum;
	return n;
}

/* EME-PKCS1-v1_5 (RFC 9580 12.1.1): 00 02 PS 00 M in k octets, PS
 * nonzero random octets (at least 8). */
static int
eme_pkcs1(uint8_t *em, size_t k, const uint8_t *m, size_t mlen,
    const struct pgp_rand *rand)
{
	size_t ps, i;

	if (k < mlen + 11)
		return -1;
	ps = k - mlen - 3;
	em[0] = 0x00;
	em[1] = 0x02;
	draw(rand, PGP_RAND_PKCS1, em + 2, ps);
	for (i = 0; i < ps; i++)
		while (em[2 + i] == 0)
			draw(rand, PGP_RAND_PKCS1, em + 2 + i, 1);
	em[2 + ps] = 0x00;
	memcpy(em + 3 + ps, m, mlen);
	return 0;
}

static enum pgp_enc_status
pkesk_rsa(const struct pgp_enc_recipient *r, const uint8_t *m, size_t mlen,
    const struct pgp_rand *rand, struct buf *body)
{
	size_t k = r->alen;
	uint8_t *em = xmalloc(k), *c = xmalloc(k);
	enum pgp_enc_status st = PGP_ENC_FAIL;

	if (eme_pkcs1(em, k, m, mlen, rand) == 0) {
		st = crypto_status(pgp_crypto_rsa_encrypt(r->a, r->alen, r->b,
		    r->blen, em, k, c));
		if (st == PGP_ENC_OK)
			put_mpi(body, c, k);
	}
	secret_wipe(em, k);
	free(em);
	free(c);
	return st;
}

static enum pgp_enc_status
pkesk_elgamal(const struct pgp_enc_recipient *r, const uint8_t *m,
    size_t mlen, const struct pgp_rand *rand, struct buf *body)
{
	size_t k = r->alen;
	uint8_t *em = xmalloc(k), *c1 = xmalloc(k), *c2 = xmalloc(k);
	uint8_t x[64];		/* exponent: 512 bits, see crypto.h */
	enum pgp_enc_status st = PGP_ENC_FAIL;

	/* as long as p, as GnuPG makes it; its first octet is 0, so the
	 * block is below p */
	if (eme_pkcs1(em, k, m, mlen, rand) == 0) {
		draw(rand, PGP_RAND_ELGAMAL_K, x, sizeof(x));
		st = crypto_status(pgp_crypto_elgamal_encrypt(r->a, r->alen,
		    r->b, r->blen, r->c, r->clen, em, k, x, sizeof(x), c1,
		    c2));
		if (st == PGP_ENC_OK) {
			put_mpi(body, c1, k);
			put_mpi(body, c2, k);
		}
	}
	secret_wipe(x, sizeof(x));
	secret_wipe(em, k);
	free(em);
	free(c1);
	free(c2);
	return st;
}

/*
 * ECDH (RFC 9580 11.5): KEK = KDF(shared x, Param), the session key block
 * padded to a multiple of 8 (RFC 8018) and wrapped with it.
 */
static enum pgp_enc_status
pkesk_ecdh(const struct pgp_enc_recipient *r, const uint8_t *m, size_t mlen,
    const struct pgp_rand *rand, struct buf *body)
{
	static const uint8_t anon[20] = "Anonymous Sender    ";
	size_t size = pgp_crypto_ec_size(r->curve), epublen = 0, keklen, plen;
	uint8_t eph[74], epub[1 + 2 * 66], shared[66], padded[56], wrapped[64];
	uint8_t digest[64], hdr[8], pad;
	struct pgp_hash *h;
	enum pgp_enc_status st;

	keklen = pgp_crypto_cipher_keylen(r->kek);
	pad = (uint8_t)(8 - mlen % 8);
	plen = mlen + pad;
	if (plen > sizeof(padded) || keklen == 0)
		return PGP_ENC_FAIL;
	memcpy(padded, m, mlen);
	memset(padded + mlen, pad, pad);
	draw(rand, PGP_RAND_EPHEMERAL, eph, r->prefixed ? size : size + 8);
	st = crypto_status(pgp_crypto_ecdh(r->curve, r->a, r->alen, eph,
	    r->prefixed ? size : size + 8, epub, &epublen, shared));
	if (st != PGP_ENC_OK)
		goto out;
	st = PGP_ENC_FAIL;
	if ((h = pgp_hash_open(r->kdf_hash)) == NULL)
		goto out;
	be_put32(hdr, 1);
	pgp_hash_write(h, hdr, 4);
	pgp_hash_write(h, shared, size);
	hdr[0] = (uint8_t)r->oidlen;
	pgp_hash_write(h, hdr, 1);
	pgp_hash_write(h, r->oid, r->oidlen);
	hdr[0] = PGP_PK_ECDH;
	hdr[1] = 3;
	hdr[2] = 1;
	hdr[3] = r->kdf_hash;
	hdr[4] = r->kek;
	pgp_hash_write(h, hdr, 5);
	pgp_hash_write(h, anon, sizeof(anon));
	pgp_hash_write(h, r->fpr, r->fprlen);
	if (pgp_hash_final(h, digest) < keklen ||
	    pgp_crypto_aes_wrap(digest, keklen, padded, plen, wrapped) !=
	    PGP_CRYPTO_OK)
		goto out;
	if (r->prefixed) {
		/* 0x40 || native u (RFC 9580 11.2.2) */
		memmove(epub + 1, epub, epublen);
		epub[0] = 0x40;
		epublen++;
	}
	put_mpi(body, epub, epublen);
	hdr[0] = (uint8_t)(plen + 8);
	(void)buf_append(body, hdr, 1);
	(void)buf_append(body, wrapped, plen + 8);
	st = PGP_ENC_OK;
out:
	secret_wipe(eph, sizeof(eph));
	secret_wipe(shared, sizeof(shared));
	secret_wipe(digest, sizeof(digest));
	secret_wipe(padded, sizeof(padded));
	return st;
}

/*
 * X25519 / X448 (RFC 9580 5.1.6-7): KEK = HKDF(ephemeral || recipient ||
 * shared), the bare session key wrapped with AES-128 / AES-256; in a v3
 * PKESK the cipher octet goes in clear before it.
 */
static enum pgp_enc_status
pkesk_native(const struct pgp_enc_recipient *r, bool v3, int cipher,
    const uint8_t *sk, size_t sklen, const struct pgp_rand *rand,
    struct buf *body)
{
	bool x448 = r->algo == PGP_PK_X448;
	size_t size = x448 ? 56 : 32, epublen = 0, keklen = x448 ? 32 : 16;
	const char *info = x448 ? "OpenPGP X448" : "OpenPGP X25519";
	uint8_t eph[56], epub[56], shared[56], ikm[3 * 56], kek[32];
	uint8_t wrapped[MAX_KEYLEN + 8], n;
	enum pgp_enc_status st;

	if (sklen % 8 != 0 || sklen < 16 || sklen > MAX_KEYLEN ||
	    (v3 && pgp_crypto_cipher_keylen(cipher) == 0))
		return PGP_ENC_FAIL;	/* v3: the cipher MUST be AES */
	draw(rand, PGP_RAND_EPHEMERAL, eph, size);
	st = crypto_status(pgp_crypto_ecdh(r->curve, r->a, r->alen, eph, size,
	    epub, &epublen, shared));
	if (st != PGP_ENC_OK)
		goto out;
	st = PGP_ENC_FAIL;
	memcpy(ikm, epub, size);
	memcpy(ikm + size, r->a, size);
	memcpy(ikm + 2 * size, shared, size);
	if (pgp_crypto_hkdf(x448 ? PGP_HASH_SHA512 : PGP_HASH_SHA256, NULL, 0,
	    ikm, 3 * size, (const uint8_t *)info, strlen(info), kek,
	    keklen) != PGP_CRYPTO_OK ||
	    pgp_crypto_aes_wrap(kek, keklen, sk, sklen, wrapped) !=
	    PGP_CRYPTO_OK)
		goto out;
	(void)buf_append(body, epub, size);
	n = (uint8_t)(sklen + 8 + (v3 ? 1 : 0));
	(void)buf_append(body, &n, 1);
	if (v3) {
		n = (uint8_t)cipher;
		(void)buf_append(body, &n, 1);
	}
	(void)buf_append(body, wrapped, sklen + 8);
	st = PGP_ENC_OK;
out:
	secret_wipe(eph, sizeof(eph));
	secret_wipe(shared, sizeof(shared));
	secret_wipe(ikm, sizeof(ikm));
	secret_wipe(kek, sizeof(kek));
	return st;
}

enum pgp_enc_status
pgp_enc_pkesk(const struct pgp_enc_recipient *r, int cipher,
    const uint8_t *sk, size_t sklen, const struct pgp_rand *rand,
    struct buf *out)
{
	bool v3 = r->version == 4;
	uint8_t hdr[2], m[1 + MAX_KEYLEN + 2];
	size_t mlen;
	struct buf body;
	enum pgp_enc_status st;

	if (sklen == 0 || sklen > MAX_KEYLEN || (r->version != 4 &&
	    r->version != 6) || r->fprlen != (v3 ? 20u : 32u))
		return PGP_ENC_FAIL;
	buf_init(&body, 0);
	if (v3) {
		hdr[0] = 3;
		(void)buf_append(&body, hdr, 1);
		(void)buf_append(&body, r->keyid, 8);
	} else {
		hdr[0] = 6;
		hdr[1] = (uint8_t)(1 + r->fprlen);
		(void)buf_append(&body, hdr, 2);
		(void)buf_append(&body, &r->version, 1);
		(void)buf_append(&body, r->fpr, r->fprlen);
	}
	(void)buf_append(&body, &r->algo, 1);
	mlen = sk_block(m, v3, cipher, sk, sklen);
	switch (r->algo) {
	case PGP_PK_RSA: case PGP_PK_RSA_E:
		st = pkesk_rsa(r, m, mlen, rand, &body);
		break;
	case PGP_PK_ELGAMAL_E:
		st = v3 ? pkesk_elgamal(r, m, mlen, rand, &body) :
		    PGP_ENC_FAIL;
		break;
	case PGP_PK_ECDH:
		st = pkesk_ecdh(r, m, mlen, rand, &body);
		break;
	case PGP_PK_X25519: case PGP_PK_X448:
		st = pkesk_native(r, v3, cipher, sk, sklen, rand, &body);
		break;
	default:
		st = PGP_ENC_FAIL;
		break;
	}
	secret_wipe(m, sizeof(m));
	if (st == PGP_ENC_OK)
		st = put_packet(out, TAG_PKESK, body.data, body.len);
	buf_free(&body);
	return st;
}

/* ---- encrypted data ---------------------------------------------------------- */

enum pgp_enc_status
pgp_enc_seipd1(int cipher, const uint8_t *sk, const uint8_t *inner,
    size_t innerlen, const struct pgp_rand *rand, struct buf *out)
{
	size_t total, n;
	uint8_t *body;
	enum pgp_enc_status st = PGP_ENC_FAIL;

	if (pgp_crypto_cipher_keylen(cipher) == 0 ||
	    innerlen > PGP_ENC_MAX_PLAINTEXT + 64)
		return PGP_ENC_FAIL;
	/* 01 || CFB(prefix(16 + 2) || inner || D3 14 || SHA-1) */
	total = 1 + BLOCK + 2 + innerlen + 2 + 20;
	body = xmalloc(total);
	body[0] = 1;
	draw(rand, PGP_RAND_PREFIX, body + 1, BLOCK);
	body[1 + BLOCK] = body[1 + BLOCK - 2];
	body[1 + BLOCK + 1] = body[1 + BLOCK - 1];
	n = 1 + BLOCK + 2;
	memcpy(body + n, inner, innerlen);
	n += innerlen;
	body[n++] = 0xd3;	/* the MDC packet's header: tag 19, length 20 */
	body[n++] = 0x14;
	if (pgp_hash_buf(PGP_HASH_SHA1, body + 1, n - 1, body + n) == 20 &&
	    pgp_crypto_cfb_encrypt(cipher, sk, body + 1, total - 1) ==
	    PGP_CRYPTO_OK)
		st = put_packet(out, TAG_SEIPD, body, total);
	secret_wipe(body, total);
	free(body);
	return st;
}

/* Nonce length of an AEAD mode (RFC 9580 5.13.3-5); 0: not one we do. */
static size_t
aead_nonce_len(int aead)
{
	switch (aead) {
	case PGP_AEAD_EAX: return 16;
	case PGP_AEAD_OCB: return 15;
	case PGP_AEAD_GCM: return 12;
	default: return 0;
	}
}

enum pgp_enc_status
pgp_enc_seipd2(int cipher, int aead, int chunk_octet, const uint8_t *sk,
    const uint8_t *inner, size_t innerlen, const struct pgp_rand *rand,
    struct buf *out)
{
	size_t keylen = pgp_crypto_cipher_keylen(cipher), chunk, nchunks, i;
	size_t total, off, n, noncelen = aead_nonce_len(aead), ivlen;
	uint8_t hdr[5], mk[MAX_KEYLEN + MAX_NONCE], nonce[MAX_NONCE];
	uint8_t aad[5 + 8], *body, *p;
	enum pgp_enc_status st = PGP_ENC_FAIL;

	if (keylen == 0 || noncelen == 0 || chunk_octet < 0 ||
	    chunk_octet > 16 || innerlen > PGP_ENC_MAX_PLAINTEXT + 64)
		return PGP_ENC_FAIL;
	ivlen = noncelen - 8;
	chunk = (size_t)1 << (chunk_octet + 6);
	nchunks = (innerlen + chunk - 1) / chunk;
	total = 4 + SALT_LEN + innerlen + (nchunks + 1) * TAG_LEN;
	body = xmalloc(total);
	/* the info of HKDF and the additional data of every chunk */
	hdr[0] = 0xc0 | TAG_SEIPD;
	hdr[1] = 2;
	hdr[2] = (uint8_t)cipher;
	hdr[3] = (uint8_t)aead;
	hdr[4] = (uint8_t)chunk_octet;
	memcpy(body, hdr + 1, 4);
	draw(rand, PGP_RAND_SALT, body + 4, SALT_LEN);
	/* message key and IV (RFC 9580 5.13.2) */
	if (pgp_crypto_hkdf(PGP_HASH_SHA256, body + 4, SALT_LEN, sk, keylen,
	    hdr, sizeof(hdr), mk, keylen + ivlen) != PGP_CRYPTO_OK)
		goto out;
	memcpy(nonce, mk + keylen, ivlen);
	off = 4 + SALT_LEN;
	p = body + off;
	for (i = 0; i < nchunks; i++) {
		n = innerlen - i * chunk < chunk ? innerlen - i * chunk : chunk;
		be_put64(nonce + ivlen, i);
		if (pgp_crypto_aead_encrypt(cipher, aead, mk, nonce, noncelen,
		    hdr, sizeof(hdr), inner + i * chunk, n, p, p + n) !=
		    PGP_CRYPTO_OK)
			goto out;
		p += n + TAG_LEN;
	}
	/* final tag over the empty string, with the total length */
	be_put64(nonce + ivlen, nchunks);
	memcpy(aad, hdr, sizeof(hdr));
	be_put64(aad + sizeof(hdr), innerlen);
	if (pgp_crypto_aead_encrypt(cipher, aead, mk, nonce, noncelen, aad,
	    sizeof(aad), NULL, 0, p, p) != PGP_CRYPTO_OK)
		goto out;
	st = put_packet(out, TAG_SEIPD, body, total);
out:
	secret_wipe(mk, sizeof(mk));
	free(body);
	return st;
}

/* ---- the message ---------------------------------------------------------- */

/* Literal data packet, format 'u', no file name, date 0, the text with
 * its line ends made CRLF (RFC 9580 5.9). -1 if text is not UTF-8. */
static int
literal(const uint8_t *text, size_t len, struct buf *out)
{
	struct buf body;
	size_t i, k;
	static const uint8_t head[6] = { 'u', 0, 0, 0, 0, 0 };

	buf_init(&body, 0);
	(void)buf_append(&body, head, sizeof(head));
	for (i = 0; i < len; i += k) {
		k = utf8_seq_len(text + i, len - i);
		if (k == 0) {
			secret_wipe(body.data, body.len);
			buf_free(&body);
			return -1;
		}
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			(void)buf_putc(&body, '\r');
		(void)buf_append(&body, text + i, k);
	}
	(void)put_packet(out, TAG_LITERAL, body.data, body.len);
	secret_wipe(body.data, body.len);
	buf_free(&body);
	return 0;
}

/* Does list (n pairs, or AES-128-OCB alone when n is 0: RFC 9580
 * 5.2.3.15 makes it the implicit one) hold the ciphersuite (c, a)? */
static bool
lists(const uint8_t *list, size_t n, uint8_t c, uint8_t a)
{
	size_t i;

	if (n == 0)
		return c == PGP_SYM_AES128 && a == PGP_AEAD_OCB;
	for (i = 0; i < n; i++)
		if (list[2 * i] == c && list[2 * i + 1] == a)
			return true;
	return false;
}

/* v6: the first ciphersuite of the newest recipient's Preferred AEAD
 * Ciphersuites that keymail can do (AES with EAX, OCB or GCM) and every
 * other recipient lists too; else AES-128-OCB, which all must support. */
static void
choose_suite(const struct pgp_enc_recipient *r, size_t n, int *cipher,
    int *aead)
{
	size_t i, j;

	*cipher = PGP_SYM_AES128;
	*aead = PGP_AEAD_OCB;
	for (i = 0; i < r[0].naead_prefs; i++) {
		uint8_t c = r[0].aead_prefs[2 * i], a = r[0].aead_prefs[2 * i + 1];
		bool all = true;

		if (pgp_crypto_cipher_keylen(c) == 0 || aead_nonce_len(a) == 0)
			continue;
		for (j = 1; j < n && all; j++)
			all = lists(r[j].aead_prefs, r[j].naead_prefs, c, a);
		if (all) {
			*cipher = c;
			*aead = a;
			return;
		}
	}
}

enum pgp_enc_status
pgp_encrypt_to_key(const struct pgp_key *key, time_t now, const uint8_t *text,
    size_t len, const struct pgp_enc_opts *opts, struct buf *out,
    struct pgp_enc_result *res)
{
	struct pgp_enc_recipient r[PGP_ENC_MAX_RECIPIENTS];
	const struct pgp_rand *rand = opts ? opts->rand : NULL;
	bool v6 = key->pub.version == 6;
	struct buf msg, inner;
	uint8_t sk[MAX_KEYLEN];
	size_t n, i, sklen;
	unsigned nbad;
	int cipher = PGP_SYM_AES128, aead = 0;
	enum pgp_enc_status st;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (len > PGP_ENC_MAX_PLAINTEXT)
		return PGP_ENC_BAD_INPUT;
	st = pgp_enc_select(key, now, r, &n, &nbad);
	if (res != NULL)
		res->skipped_bad = nbad;
	if (st != PGP_ENC_OK)
		return st;
	if (v6) {
		choose_suite(r, n, &cipher, &aead);
	} else {
		cipher = PGP_SYM_AES256;
		for (i = 0; i < n; i++)
			if (!r[i].prefers_aes256)
				cipher = PGP_SYM_AES128;
	}
	sklen = pgp_crypto_cipher_keylen(cipher);
	buf_init(&msg, 0);
	buf_init(&inner, 0);
	if (literal(text, len, &inner) == -1) {
		st = PGP_ENC_BAD_INPUT;
		goto out;
	}
	draw(rand, PGP_RAND_SESSION_KEY, sk, sklen);
	for (i = 0; i < n; i++)
		if ((st = pgp_enc_pkesk(&r[i], cipher, sk, sklen, rand,
		    &msg)) != PGP_ENC_OK)
			goto out;
	st = v6 ? pgp_enc_seipd2(cipher, aead, PGP_ENC_CHUNK_OCTET, sk,
	    inner.data, inner.len, rand, &msg) :
	    pgp_enc_seipd1(cipher, sk, inner.data, inner.len, rand, &msg);
	if (st != PGP_ENC_OK)
		goto out;
	if (opts != NULL && opts->armor) {
		if (pgp_armor_encode_message(msg.data, msg.len, !v6, out) == -1)
			st = PGP_ENC_LIMIT;
	} else if (buf_append(out, msg.data, msg.len) == -1) {
		st = PGP_ENC_LIMIT;
	}
	if (st == PGP_ENC_OK && res != NULL) {
		res->nrecipients = n;
		for (i = 0; i < n; i++) {
			memcpy(res->recipient[i].fpr, r[i].fpr, r[i].fprlen);
			res->recipient[i].fprlen = r[i].fprlen;
			res->recipient[i].algo = r[i].algo;
		}
		res->cipher = (uint8_t)cipher;
		res->aead = (uint8_t)aead;
	}
out:
	secret_wipe(sk, sizeof(sk));
	secret_wipe(inner.data, inner.len);
	buf_free(&inner);
	buf_free(&msg);
	return st;
}

enum pgp_enc_status
pgp_encrypt(const uint8_t *keydata, size_t keylen, time_t now,
    const uint8_t *text, size_t len, const struct pgp_enc_opts *opts,
    struct buf *out, struct pgp_enc_result *res)
{
	struct pgp_key *key;
	enum pgp_status pst;
	enum pgp_enc_status st;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	key = pgp_key_parse_one(keydata, keylen, NULL, &pst);
	if (key == NULL)
		return PGP_ENC_BAD_KEY;
	if (pgp_key_check(key, now, NULL, 0) != PGP_OK) {
		pgp_key_free(key);
		return PGP_ENC_BAD_KEY;
	}
	st = pgp_encrypt_to_key(key, now, text, len, opts, out, res);
	pgp_key_free(key);
	return st;
}
