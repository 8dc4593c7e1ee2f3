/*
 * tests/unit/encrypt_test.c - pgp/encrypt.c and pgp/recipient.c
 * (primitives: crypto_test.c; tokens: token_test.c).
 *
 * RFC 9580 vectors byte for byte: A.8 (X25519 PKESK from the given
 * ephemeral key and session key; v2 SEIPD with AES-128-OCB from the
 * salt), A.9-A.11 (v2 SEIPD with EAX, OCB, GCM). Recipient selection on
 * keys GnuPG and OpenPGP.js made (encrypt_fixture.h), refusal of bad key
 * material, and whole v6 messages decrypted here with the RFC's secret
 * key (A.4) through libgcrypt directly. GnuPG and OpenPGP.js decrypting
 * what the module makes: tests/e2e/510-encrypt-gpg.sh and
 * 511-encrypt-openpgpjs.sh.
 */
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "encrypt_fixture.h"
#include "unhex.h"
#include "pgp/crypto.h"
#include "pgp/encrypt.h"
#include "pgp/pgp.h"
#include "util/buf.h"

/* ---- helpers ------------------------------------------------------------- */

static void
tohex(const uint8_t *p, size_t n, char *out)
{
	pgp_hex(p, n, out);
}

struct dearmor {
	struct buf *out;
	int n;
};

static int
dearmor_cb(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	struct dearmor *d = ctx;

	(void)kind;
	(void)crc_ok;
	if (st == PGP_OK && d->n++ == 0)
		(void)buf_append(d->out, data, len);
	return 0;
}

static void
dearmor(const char *asc, struct buf *out)
{
	struct dearmor d = { out, 0 };

	buf_init(out, 0);
	(void)pgp_armor_scan(asc, strlen(asc), 0, dearmor_cb, &d);
}

static struct pgp_key *
load(const char *asc, time_t now)
{
	struct buf b;
	struct pgp_key *k;
	enum pgp_status st;
	char why[300];

	dearmor(asc, &b);
	k = pgp_key_parse_one(b.data, b.len, NULL, &st);
	free(b.data);
	if (k == NULL) {
		printf("FAIL: fixture does not parse: %s\n", pgp_strerror(st));
		return NULL;
	}
	if ((st = pgp_key_check(k, now, why, sizeof(why))) != PGP_OK) {
		printf("FAIL: fixture does not check: %s\n", why);
		pgp_key_free(k);
		return NULL;
	}
	return k;
}

/* One new-format packet of our output. */
struct pkt {
	uint8_t tag;
	const uint8_t *body;
	size_t len;
};

static size_t
packets(const uint8_t *p, size_t n, struct pkt *out, size_t max)
{
	size_t i = 0, off = 0, len;

	while (off < n && i < max) {
		uint8_t ctb = p[off++];

		if ((ctb & 0xc0) != 0xc0 || off >= n)
			return 0;	/* we write the new format only */
		if (p[off] < 192) {
			len = p[off++];
		} else if (p[off] < 224) {
			if (off + 1 >= n)
				return 0;
			len = ((size_t)(p[off] - 192) << 8) + p[off + 1] + 192;
			off += 2;
		} else if (p[off] == 255 && off + 4 < n) {
			len = ((size_t)p[off + 1] << 24) | ((size_t)p[off + 2] << 16) |
			    ((size_t)p[off + 3] << 8) | p[off + 4];
			off += 5;
		} else {
			return 0;
		}
		if (len > n - off)
			return 0;
		out[i].tag = ctb & 0x3f;
		out[i].body = p + off;
		out[i].len = len;
		off += len;
		i++;
	}
	return off == n ? i : 0;
}

/* A random source for tests: fixed octets per use, else a counter. */
struct fake {
	const uint8_t *use[6];
	size_t uselen[6];
	uint8_t counter;
	unsigned draws[6];
};

static void
fake_fill(void *ctx, enum pgp_rand_use use, uint8_t *out, size_t n)
{
	struct fake *f = ctx;
	size_t i;

	f->draws[use]++;
	if (f->use[use] != NULL && f->uselen[use] == n) {
		memcpy(out, f->use[use], n);
		return;
	}
	for (i = 0; i < n; i++)
		out[i] = ++f->counter;
}

/* ---- RFC 9580 A.8 ----------------------------------------------------------- */

static const char a3_asc[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
    "xioGY4d/4xsAAAAg+U2nu0jWCmHlZ3BqZYfQMxmZu52JGggkLq2EVD34laPCsQYf\n"
    "GwoAAABCBYJjh3/jAwsJBwUVCg4IDAIWAAKbAwIeCSIhBssYbE8GCaaX5NUt+mxy\n"
    "KwwfHifBilZwj2Ul7Ce62azJBScJAgcCAAAAAK0oIBA+LX0ifsDm185Ecds2v8lw\n"
    "gyU2kCcUmKfvBXbAf6rhRYWzuQOwEn7E/aLwIwRaLsdry0+VcallHhSu4RN6HWaE\n"
    "QsiPlR4zxP/TP7mhfVEe7XWPxtnMUMtf15OyA51YBM4qBmOHf+MZAAAAIIaTJINn\n"
    "+eUBXbki+PSAld2nhJh/LVmFsS+60WyvXkQ1wpsGGBsKAAAALAWCY4d/4wKbDCIh\n"
    "BssYbE8GCaaX5NUt+mxyKwwfHifBilZwj2Ul7Ce62azJAAAAAAQBIKbpGG2dWTX8\n"
    "j+VjFM21J0hqWlEg+bdiojWnKfA5AQpWUWtnNwDEM0g12vYxoWM8Y81W+bHBw805\n"
    "I8kWVkXU6vFOi+HWvv/ira7ofJu16NnoUkhclkUrk0mXubZvyl4GBg==\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n";
#define A3_NOW		1700000000
#define A3_SUBFPR	"12C83F1E706F6308FE151A417743A1F033790E93E9978488D1DB378DA9930885"
/* A.4: the subkey's X25519 secret, never needed by keymail itself */
#define A4_SECRET	"4d600a4f794d44775c57a26e0feefed558e9afffd6ad0d582d57fb2ba2dcedb8"

static const char a8_pkesk[] =
    "c15d062106 12c83f1e706f6308fe151a417743a1f033790e93e9978488d1db378da9930885"
    "19 87cf18d5f1b53f817cce5a004cf393cc8958bddc065f25f84af509b17dd36764"
    "18 dea355437956617901e06957fbca8a6a47a5b5153e8d3ab7";
static const char a8_seipd[] =
    "d26902070206 61641653 5be0b0716d60e052a56c4c407f9eb36b0efafe9ad0a0df9b033c69a2"
    "1ba9ebd2c0ec95bf569d25c999ee4a3de17058f40dfa8b4c682be3fbbbd7b27eb0f59bb500"
    "5f80c7c6f40388c30ad406ab0513dcd6 f9fd737656286e1177d00f888adb31c4";
static const char a8_inner[] =
    "cb1362000000000048656c6c6f2c20776f726c6421"
    "d50ec5a293072991628147d72c8f86b7";
static const char a8_armor[] =
    "-----BEGIN PGP MESSAGE-----\n\n"
    "wV0GIQYSyD8ecG9jCP4VGkF3Q6HwM3kOk+mXhIjR2zeNqZMIhRmHzxjV8bU/gXzO\n"
    "WgBM85PMiVi93AZfJfhK9QmxfdNnZBjeo1VDeVZheQHgaVf7yopqR6W1FT6NOrfS\n"
    "aQIHAgZhZBZTW+CwcW1g4FKlbExAf56zaw76/prQoN+bAzxpohup69LA7JW/Vp0l\n"
    "yZnuSj3hcFj0DfqLTGgr4/u717J+sPWbtQBfgMfG9AOIwwrUBqsFE9zW+f1zdlYo\n"
    "bhF30A+IitsxxA==\n"
    "-----END PGP MESSAGE-----\n";

/* A.9 (EAX), A.10 (OCB), A.11 (GCM): session key, inner packets
 * (literal + padding) and the v2 SEIPD packet they make with its salt. */
static const struct {
	int aead;
	const char *sk, *padding, *seipd;
} aead_vectors[] = {
	{ PGP_AEAD_EAX, "3881bafe985412459b86c36f98cb9a5e",
	    "d50eae5bf0cd67055003 55816cb0c8ff",
	    "d26902070106 9ff90e3b321964f3a42913c8dcc661932501 5227efb7eaeaa49f04c2e674175d"
	    "4a3d226ed6afcb9ca9ac122c1470e11c63d4c0ab241c6a938ad48bf99a5a99b90bba8325de"
	    "6104754025 8ab7959a95ad051dda96eb 15431dfef5f5e2255ca78261546e339a" },
	{ PGP_AEAD_OCB, "28e79ab82397d3c63de24ac217d7b791",
	    "d50eae6aa1649b56aa835b2613902bd2",
	    "d26902070206 20a661f731fc9a3032b5623326027e3a5d8db5748ebeff0b0c5910d09ecdd641"
	    "ff9fd38562758035bc49754ce1bf3fffa7dad0a3b8104f5133cf42a4100a83eef4ca1b4801"
	    "a8846bf42bcda7c8ce9d65e212f301cb cd98fdcade694a877ad4247323f6e857" },
	{ PGP_AEAD_GCM, "1936fc8568980274bb900d8319360c77",
	    "d50e1ce2269a9eddef81032172b7ed7c",
	    "d26902070306 fcb94490bcb98bbdc9d106c6090266940f72e89edc21b5596b1576b101ed0f9f"
	    "fc6fc6d65bbfd24dcd0790966e6d1e85a30053784cb1d8b6a0699ef12155a7b2ad6258531b"
	    "57651fd7777912fa95e35d9b40216f69 a4c248db28ff4331f1632907399e6ff9" },
};

static void
test_aead_vectors(void)
{
	size_t i;

	for (i = 0; i < sizeof(aead_vectors) / sizeof(aead_vectors[0]); i++) {
		struct fake f;
		struct pgp_rand rand = { fake_fill, &f };
		uint8_t sk[16], inner[64], want[128];
		size_t innerlen, wantlen;
		struct buf out;

		unhex(aead_vectors[i].sk, sk, 16);
		innerlen = unhex("cb1362000000000048656c6c6f2c20776f726c6421",
		    inner, sizeof(inner));
		innerlen += unhex(aead_vectors[i].padding, inner + innerlen,
		    sizeof(inner) - innerlen);
		wantlen = unhex(aead_vectors[i].seipd, want, sizeof(want));
		memset(&f, 0, sizeof(f));
		f.use[PGP_RAND_SALT] = want + 6;	/* the salt */
		f.uselen[PGP_RAND_SALT] = 32;
		buf_init(&out, 0);
		CHECK_INT(pgp_enc_seipd2(PGP_SYM_AES128, aead_vectors[i].aead,
		    6, sk, inner, innerlen, &rand, &out), PGP_ENC_OK);
		CHECK(out.len == wantlen && memcmp(out.data, want, wantlen) ==
		    0, "RFC 9580 A.%zu.3 SEIPD v2 (AEAD %d) byte for byte",
		    i + 9, aead_vectors[i].aead);
		free(out.data);
	}
}

static void
test_a8(void)
{
	struct pgp_key *k = load(a3_asc, A3_NOW);
	struct pgp_enc_recipient r[PGP_ENC_MAX_RECIPIENTS];
	struct fake f;
	struct pgp_rand rand = { fake_fill, &f };
	uint8_t sk[16], eph[32], salt[32], want[256], inner[64];
	size_t n = 0, wantlen, innerlen;
	unsigned nbad = 0;
	char hex[65];
	struct buf out, msg, arm;

	if (k == NULL) {
		CHECK(0, "A.3 loads");
		return;
	}
	CHECK_INT(pgp_enc_select(k, A3_NOW, r, &n, &nbad), PGP_ENC_OK);
	CHECK_INT(n, 1);
	tohex(r[0].fpr, r[0].fprlen, hex);
	CHECK_STR(hex, A3_SUBFPR);
	CHECK_INT(r[0].algo, PGP_PK_X25519);
	CHECK_INT(r[0].naead_prefs, 2);	/* AES-256-OCB, AES-128-OCB */

	unhex("dd708f6fa1ed65114d68d2343e7c2f1d", sk, 16);
	unhex("af1e43c0d123efe893a7d4d390f3a761e3fac33dfc7f3edaa830c9011352c779",
	    eph, 32);
	memset(&f, 0, sizeof(f));
	f.use[PGP_RAND_EPHEMERAL] = eph;
	f.uselen[PGP_RAND_EPHEMERAL] = 32;
	buf_init(&msg, 0);
	CHECK_INT(pgp_enc_pkesk(&r[0], PGP_SYM_AES128, sk, 16, &rand, &msg),
	    PGP_ENC_OK);
	wantlen = unhex(a8_pkesk, want, sizeof(want));
	CHECK(msg.len == wantlen && memcmp(msg.data, want, wantlen) == 0,
	    "A.8.1 PKESK byte for byte (%zu octets, want %zu)", msg.len,
	    wantlen);

	unhex("61641653 5be0b0716d60e052a56c4c407f9eb36b0efafe9ad0a0df9b033c69a2",
	    salt, 32);
	f.use[PGP_RAND_SALT] = salt;
	f.uselen[PGP_RAND_SALT] = 32;
	innerlen = unhex(a8_inner, inner, sizeof(inner));
	buf_init(&out, 0);
	CHECK_INT(pgp_enc_seipd2(PGP_SYM_AES128, PGP_AEAD_OCB, 6, sk, inner,
	    innerlen, &rand, &out), PGP_ENC_OK);
	wantlen = unhex(a8_seipd, want, sizeof(want));
	CHECK(out.len == wantlen && memcmp(out.data, want, wantlen) == 0,
	    "A.8.3 SEIPD v2 byte for byte (%zu octets, want %zu)", out.len,
	    wantlen);
	(void)buf_append(&msg, out.data, out.len);
	buf_init(&arm, 0);
	CHECK_INT(pgp_armor_encode_message(msg.data, msg.len, false, &arm), 0);
	CHECK_STR((const char *)arm.data, a8_armor);
	free(out.data);
	free(msg.data);
	free(arm.data);
	pgp_key_free(k);
}

/*
 * Decrypt a v6 X25519 message with the A.4 secret, with libgcrypt and
 * none of keymail's framing code: PKESK -> X25519 -> HKDF -> unwrap ->
 * chunked OCB. Returns the literal data packet's body, or NULL.
 */
static uint8_t *
decrypt_v6(const uint8_t *m, size_t mlen, size_t *outlen, uint8_t *cipher)
{
	struct pkt p[8];
	size_t np = packets(m, mlen, p, 8), keylen, clen, nch, i, off = 0;
	uint8_t secret[32], shared[32], ikm[96], kek[16], sk[32], mk[64];
	uint8_t nonce[15], info[5], *plain = NULL;
	gcry_cipher_hd_t h;
	const uint8_t *b, *ct;

	if (np != 2 || p[0].tag != 1 || p[1].tag != 18)
		return NULL;
	b = p[0].body;
	if (p[0].len != 2 + 33 + 1 + 32 + 1 + 24 && p[0].len != 2 + 33 + 1 +
	    32 + 1 + 40)
		return NULL;
	if (b[0] != 6 || b[1] != 33 || b[2] != 6 || b[35] != PGP_PK_X25519)
		return NULL;
	unhex(A4_SECRET, secret, 32);
	if (gcry_ecc_mul_point(GCRY_ECC_CURVE25519, shared, secret, b + 36))
		return NULL;
	memcpy(ikm, b + 36, 32);
	unhex("8693248367f9e5015db922f8f48095dda784987f2d5985b12fbad16caf5e4435",
	    ikm + 32, 32);
	memcpy(ikm + 64, shared, 32);
	if (pgp_crypto_hkdf(PGP_HASH_SHA256, NULL, 0, ikm, 96,
	    (const uint8_t *)"OpenPGP X25519", 14, kek, 16) != 0)
		return NULL;
	keylen = b[68] - 8;
	gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_AESWRAP, 0);
	gcry_cipher_setkey(h, kek, 16);
	i = gcry_cipher_decrypt(h, sk, keylen, b + 69, keylen + 8);
	gcry_cipher_close(h);
	if (i != 0)
		return NULL;
	b = p[1].body;
	if (p[1].len < 36 + 16 || b[0] != 2 || b[2] != PGP_AEAD_OCB ||
	    b[3] != 6 || (size_t)(b[1] == 9 ? 32 : 16) != keylen)
		return NULL;
	*cipher = b[1];
	info[0] = 0xd2;
	memcpy(info + 1, b, 4);
	if (pgp_crypto_hkdf(PGP_HASH_SHA256, b + 4, 32, sk, keylen, info, 5,
	    mk, keylen + 7) != 0)
		return NULL;
	ct = b + 36;
	clen = p[1].len - 36 - 16;	/* without the final tag */
	nch = (clen + 4096 + 16 - 1) / (4096 + 16);
	plain = malloc(clen + 1);
	memcpy(nonce, mk + keylen, 7);
	for (i = 0; i < nch; i++) {
		size_t take = clen - i * 4112 < 4112 ? clen - i * 4112 : 4112;

		memset(nonce + 7, 0, 8);
		nonce[14] = (uint8_t)i;
		gcry_cipher_open(&h, keylen == 32 ? GCRY_CIPHER_AES256 :
		    GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_OCB, 0);
		gcry_cipher_setkey(h, mk, keylen);
		gcry_cipher_setiv(h, nonce, 15);
		gcry_cipher_authenticate(h, info, 5);
		gcry_cipher_final(h);
		gcry_cipher_decrypt(h, plain + off, take - 16, ct + i * 4112,
		    take - 16);
		if (gcry_cipher_checktag(h, ct + i * 4112 + take - 16, 16)) {
			gcry_cipher_close(h);
			free(plain);
			return NULL;
		}
		gcry_cipher_close(h);
		off += take - 16;
	}
	/* the final tag: over nothing, with the total length */
	{
		uint8_t aad[13];
		int bad;

		memcpy(aad, info, 5);
		memset(aad + 5, 0, 8);
		aad[11] = (uint8_t)(off >> 8);
		aad[12] = (uint8_t)off;
		aad[10] = (uint8_t)(off >> 16);
		memset(nonce + 7, 0, 8);
		nonce[14] = (uint8_t)nch;
		gcry_cipher_open(&h, keylen == 32 ? GCRY_CIPHER_AES256 :
		    GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_OCB, 0);
		gcry_cipher_setkey(h, mk, keylen);
		gcry_cipher_setiv(h, nonce, 15);
		gcry_cipher_authenticate(h, aad, sizeof(aad));
		gcry_cipher_final(h);
		gcry_cipher_decrypt(h, NULL, 0, NULL, 0);
		bad = gcry_cipher_checktag(h, ct + clen, 16) != 0;
		gcry_cipher_close(h);
		if (bad) {
			free(plain);
			return NULL;
		}
	}
	/* the literal data packet inside: cb len 'u' 00 00000000 data */
	{
		struct pkt lit;

		if (packets(plain, off, &lit, 1) != 1 || lit.tag != 11 ||
		    lit.len < 6 || lit.body[0] != 'u' || lit.body[1] != 0 ||
		    memcmp(lit.body + 2, "\0\0\0\0", 4) != 0) {
			free(plain);
			return NULL;
		}
		*outlen = lit.len - 6;
		memmove(plain, lit.body + 6, lit.len - 6);
	}
	return plain;
}

static void
test_v6_roundtrip(void)
{
	struct pgp_key *k = load(a3_asc, A3_NOW);
	struct pgp_enc_opts opts = { true, NULL };
	struct pgp_enc_result res;
	struct buf out, bin;
	uint8_t *plain, cipher = 0;
	size_t plen = 0;
	const char *text = "keyserver: test\ntoken: ABCDEFGHIJKLMNOPQRSTUVWXYZ234567\n";
	const char *want = "keyserver: test\r\ntoken: ABCDEFGHIJKLMNOPQRSTUVWXYZ234567\r\n";

	if (k == NULL)
		return;
	buf_init(&out, 0);
	CHECK_INT(pgp_encrypt_to_key(k, A3_NOW, (const uint8_t *)text,
	    strlen(text), &opts, &out, &res), PGP_ENC_OK);
	CHECK_INT(res.nrecipients, 1);
	CHECK_INT(res.cipher, PGP_SYM_AES256);	/* A.3 lists AES-256-OCB first */
	CHECK_INT(res.aead, PGP_AEAD_OCB);
	CHECK(strncmp((char *)out.data, "-----BEGIN PGP MESSAGE-----\n\n", 29) ==
	    0, "armor BEGIN line");
	CHECK(strstr((char *)out.data, "\n=") == NULL,
	    "no CRC line after a v2 SEIPD packet (RFC 9580 6.1)");
	dearmor((const char *)out.data, &bin);
	plain = decrypt_v6(bin.data, bin.len, &plen, &cipher);
	CHECK(plain != NULL, "v6 message decrypts with the A.4 secret key");
	CHECK(plain != NULL && plen == strlen(want) &&
	    memcmp(plain, want, plen) == 0, "v6 plaintext, CRLF line ends");
	CHECK_INT(cipher, PGP_SYM_AES256);
	free(plain);
	free(bin.data);

	/* A text longer than one chunk (4096 octets): three chunks */
	{
		size_t big = 9000, i;
		char *t = malloc(big + 1);

		for (i = 0; i < big; i++)
			t[i] = (char)('a' + i % 26);
		t[big] = '\0';
		buf_reset(&out);
		opts.armor = false;
		CHECK_INT(pgp_encrypt_to_key(k, A3_NOW, (uint8_t *)t, big,
		    &opts, &out, &res), PGP_ENC_OK);
		plain = decrypt_v6(out.data, out.len, &plen, &cipher);
		CHECK(plain != NULL && plen == big && memcmp(plain, t, big) == 0,
		    "three-chunk v6 message decrypts");
		free(plain);
		free(t);
	}
	free(out.data);
	pgp_key_free(k);
}

/* ---- recipient selection ------------------------------------------------------ */

/* Run pgp_encrypt on a fixture; return the status, the output packets
 * (in *m, caller frees) and the result. */
static enum pgp_enc_status
enc(const char *asc, time_t now, struct buf *m, struct pgp_enc_result *res)
{
	struct buf key;
	struct fake f;
	struct pgp_rand rand = { fake_fill, &f };
	struct pgp_enc_opts opts = { false, &rand };
	enum pgp_enc_status st;

	memset(&f, 0, sizeof(f));
	dearmor(asc, &key);
	buf_init(m, 0);
	st = pgp_encrypt(key.data, key.len, now, (const uint8_t *)"hello\n", 6,
	    &opts, m, res);
	free(key.data);
	return st;
}

/* The key IDs of the v3 PKESKs of a message, as hex, and the SEIPD
 * version octet. */
static size_t
pkesk_ids(const struct buf *m, char ids[][17], size_t max, int *seipd_v)
{
	struct pkt p[8];
	size_t np = packets(m->data, m->len, p, 8), i, n = 0;

	*seipd_v = -1;
	for (i = 0; i < np; i++) {
		if (p[i].tag == 1 && p[i].len > 10 && p[i].body[0] == 3 &&
		    n < max)
			tohex(p[i].body + 1, 8, ids[n++]);
		if (p[i].tag == 18 && p[i].len > 0)
			*seipd_v = p[i].body[0];
	}
	return n;
}

static void
test_selection(void)
{
	struct buf m;
	struct pgp_enc_result res;
	char ids[4][17], want[17];
	int v;
	size_t n, i;
	static const int order_now[] = { 3, 2, 1 };	/* @+300, +200, +100 */
	static const int order_early[] = { 5, 3, 2 };	/* +500 not yet expired */

	/* newest first, at most 3, revoked, expired and signing subkeys out */
	CHECK_INT(enc(fix_multi, FIX_NOW, &m, &res), PGP_ENC_OK);
	n = pkesk_ids(&m, ids, 4, &v);
	CHECK_INT(n, 3);
	CHECK_INT(res.nrecipients, 3);
	for (i = 0; i < n && i < 3; i++) {
		char fpr[65];

		tohex(res.recipient[i].fpr, 20, fpr);
		CHECK_STR(fpr, FIX_MULTI_SUB(order_now[i]));
		memcpy(want, FIX_MULTI_SUB(order_now[i]) + 24, 16);
		want[16] = '\0';
		CHECK_STR(ids[i], want);
	}
	CHECK_INT(v, 1);
	CHECK_INT(res.cipher, PGP_SYM_AES256);	/* GnuPG's default prefs */
	CHECK_INT(res.aead, 0);
	CHECK_INT(res.recipient[0].algo, PGP_PK_ECDH);
	CHECK_INT(res.recipient[2].algo, PGP_PK_RSA);
	free(m.data);

	/* a day after +500 the "1d" subkey is not yet expired */
	CHECK_INT(enc(fix_multi, FIX_T0 + 1000, &m, &res), PGP_ENC_OK);
	n = pkesk_ids(&m, ids, 4, &v);
	CHECK_INT(n, 3);
	for (i = 0; i < n && i < 3; i++) {
		memcpy(want, FIX_MULTI_SUB(order_early[i]) + 24, 16);
		want[16] = '\0';
		CHECK_STR(ids[i], want);
	}
	free(m.data);

	/* preferences without AES-256: AES-128 */
	CHECK_INT(enc(fix_aes128, FIX_NOW, &m, &res), PGP_ENC_OK);
	CHECK_INT(res.cipher, PGP_SYM_AES128);
	CHECK_INT(res.nrecipients, 1);
	free(m.data);

	/* sign-only and RSA-1024: nothing to encrypt to */
	CHECK_INT(enc(fix_signonly, FIX_NOW, &m, &res), PGP_ENC_NO_USABLE_KEY);
	CHECK_INT(m.len, 0);
	free(m.data);
	CHECK_INT(enc(fix_rsa1024, FIX_NOW, &m, &res), PGP_ENC_NO_USABLE_KEY);
	CHECK_INT(m.len, 0);
	free(m.data);

	/* a v4 key advertising SEIPD v2 still gets v3 PKESK + SEIPD v1; its
	 * X25519 PKESK shows the cipher in clear: AES-256 (OpenPGP.js's
	 * preferences list it) */
	CHECK_INT(enc(fix_v4aead, FIX_NOW, &m, &res), PGP_ENC_OK);
	{
		struct pkt p[4];
		size_t np = packets(m.data, m.len, p, 4);

		CHECK_INT(np, 2);
		if (np == 2) {
			CHECK_INT(p[0].tag, 1);
			CHECK_INT(p[0].body[0], 3);
			CHECK_INT(p[0].body[9], PGP_PK_X25519);
			/* 32 ephemeral, length (1 + 24 + 8), cipher octet */
			CHECK_INT(p[0].len, 10 + 32 + 1 + 1 + 40);
			CHECK_INT(p[0].body[42], 1 + 40);
			CHECK_INT(p[0].body[43], PGP_SYM_AES256);
			CHECK_INT(p[1].tag, 18);
			CHECK_INT(p[1].body[0], 1);
		}
	}
	CHECK_INT(res.cipher, PGP_SYM_AES256);
	free(m.data);

	/* bytes that are no key */
	{
		struct pgp_enc_opts opts = { false, NULL };

		buf_init(&m, 0);
		CHECK_INT(pgp_encrypt((const uint8_t *)"\x99\x00\x01", 3,
		    FIX_NOW, (const uint8_t *)"x", 1, &opts, &m, &res),
		    PGP_ENC_BAD_KEY);
		CHECK_INT(m.len, 0);
		free(m.data);
	}
}

/* Bad key material: points changed after the check (the signatures
 * stay GOOD, so only the material check can refuse them). */
static void
test_bad_material(void)
{
	struct pgp_key *k = load(fix_multi, FIX_NOW);
	struct pgp_enc_recipient r[PGP_ENC_MAX_RECIPIENTS];
	struct pgp_component *byfpr[8] = { 0 };
	struct buf out;
	struct pgp_enc_result res;
	size_t n, i, j;
	unsigned nbad;
	char fpr[65];

	if (k == NULL)
		return;
	for (i = 0; i < k->nsubkeys; i++) {
		tohex(k->subkeys[i].sub.fpr, 20, fpr);
		for (j = 0; j < 7; j++)
			if (strcmp(fpr, FIX_MULTI_SUB(j)) == 0)
				byfpr[j] = &k->subkeys[i];
	}
	for (j = 0; j < 4; j++)
		if (byfpr[j] == NULL) {
			CHECK(0, "fixture subkey %zu found", j);
			pgp_key_free(k);
			return;
		}
	/* nistp256 (+200): last octet of y, before the 4 KDF octets */
	byfpr[2]->pkt.body[byfpr[2]->pkt.len - 5] ^= 1;
	CHECK_INT(pgp_enc_select(k, FIX_NOW, r, &n, &nbad), PGP_ENC_OK);
	CHECK_INT(n, 3);
	CHECK_INT(nbad, 1);
	tohex(r[1].fpr, 20, fpr);
	CHECK_STR(fpr, FIX_MULTI_SUB(1));	/* the P-256 one is skipped */
	tohex(r[2].fpr, 20, fpr);
	CHECK_STR(fpr, FIX_MULTI_SUB(0));	/* ... and the 4th moves up */
	/* brainpool: the same; RSA: n made even; cv25519: prefix not 0x40 */
	byfpr[3]->pkt.body[byfpr[3]->pkt.len - 5] ^= 1;
	byfpr[1]->pkt.body[byfpr[1]->pkt.len - 6] ^= 1;
	byfpr[0]->pkt.body[6 + 1 + 10 + 2] = 0x41;
	CHECK_INT(pgp_enc_select(k, FIX_NOW, r, &n, &nbad),
	    PGP_ENC_BAD_KEY_MATERIAL);
	CHECK_INT(n, 0);
	CHECK_INT(nbad, 4);
	buf_init(&out, 0);
	CHECK_INT(pgp_encrypt_to_key(k, FIX_NOW, (const uint8_t *)"x", 1, NULL,
	    &out, &res), PGP_ENC_BAD_KEY_MATERIAL);
	CHECK_INT(res.skipped_bad, 4);
	CHECK_INT(out.len, 0);
	free(out.data);
	pgp_key_free(k);
}

/* Change the type of a checked signature's hashed subpackets of type
 * from to type to (the signature stays GOOD: it was checked before).
 * Returns how many it changed. */
static int
retype(struct pgp_sig *s, uint8_t from, uint8_t to)
{
	uint8_t *p = s->pkt.body + s->hashed_off, *end = p + s->hashed_len;
	int n = 0;

	while (p < end) {
		size_t len = p[0];	/* short lengths only (enough here) */

		if (p[0] >= 192 || len == 0)
			break;
		if ((p[1] & 0x7f) == from) {
			p[1] = to;
			n++;
		}
		p += 1 + len;
	}
	return n;
}

/* As if a signature had no key-flags subpacket (its type becomes 100,
 * an unknown one), as in keys made before key flags existed. */
static int
blank_flags(struct pgp_sig *s)
{
	return retype(s, 27, 100);
}

/* AES-256 only when every recipient prefers it: one subkey binding of
 * fix_multi made to carry its own Preferred Symmetric Ciphers (its
 * key-flags subpacket, data 0x0c, retyped to 11: "cipher 12" only)
 * makes the message AES-128; that subkey is still used (no flags: by
 * algorithm, ECDH). */
static void
test_every_prefers(void)
{
	struct pgp_key *k = load(fix_multi, FIX_NOW);
	struct pgp_enc_result res;
	struct buf out;
	char fpr[65];
	size_t i, j;
	int n = 0;

	if (k == NULL)
		return;
	for (i = 0; i < k->nsubkeys; i++) {
		tohex(k->subkeys[i].sub.fpr, 20, fpr);
		if (strcmp(fpr, FIX_MULTI_SUB(3)) != 0)
			continue;
		for (j = 0; j < k->subkeys[i].nsigs; j++)
			n += retype(&k->subkeys[i].sigs[j], 27, 11);
	}
	CHECK_INT(n, 1);
	buf_init(&out, 0);
	CHECK_INT(pgp_encrypt_to_key(k, FIX_NOW, (const uint8_t *)"x", 1, NULL,
	    &out, &res), PGP_ENC_OK);
	CHECK_INT(res.nrecipients, 3);
	tohex(res.recipient[0].fpr, 20, fpr);
	CHECK_STR(fpr, FIX_MULTI_SUB(3));
	CHECK_INT(res.cipher, PGP_SYM_AES128);
	free(out.data);
	pgp_key_free(k);
}

/* Keys without key flags are used by algorithm: an RSA primary key whose
 * self-signature says "sign only" is no recipient; without flags it is. */
static void
test_flagless(void)
{
	struct pgp_key *k = load(fix_rsasign, FIX_NOW);
	struct pgp_enc_result res;
	struct buf out;
	size_t i;
	int n = 0;

	if (k == NULL)
		return;
	buf_init(&out, 0);
	CHECK_INT(pgp_encrypt_to_key(k, FIX_NOW, (const uint8_t *)"x", 1, NULL,
	    &out, &res), PGP_ENC_NO_USABLE_KEY);
	for (i = 0; i < k->uids[0].nsigs; i++)
		n += blank_flags(&k->uids[0].sigs[i]);
	CHECK_INT(n, 1);
	CHECK_INT(pgp_encrypt_to_key(k, FIX_NOW, (const uint8_t *)"x", 1, NULL,
	    &out, &res), PGP_ENC_OK);
	CHECK_INT(res.nrecipients, 1);
	CHECK(res.recipient[0].fprlen == 20 &&
	    memcmp(res.recipient[0].fpr, k->pub.fpr, 20) == 0,
	    "the flagless RSA primary key is the recipient");
	free(out.data);
	pgp_key_free(k);

	/* a flagless EdDSA signing subkey stays out (by algorithm) */
	k = load(fix_multi, FIX_NOW);
	if (k == NULL)
		return;
	for (i = 0; i < k->nsubkeys; i++)
		if (k->subkeys[i].sub.algo == PGP_PK_EDDSA_LEGACY) {
			size_t j;

			for (j = 0; j < k->subkeys[i].nsigs; j++)
				n += blank_flags(&k->subkeys[i].sigs[j]);
		}
	CHECK_INT(n, 2);
	buf_init(&out, 0);
	CHECK_INT(pgp_encrypt_to_key(k, FIX_NOW, (const uint8_t *)"x", 1, NULL,
	    &out, &res), PGP_ENC_OK);
	CHECK_INT(res.nrecipients, 3);
	for (i = 0; i < res.nrecipients; i++)
		CHECK(res.recipient[i].algo != PGP_PK_EDDSA_LEGACY,
		    "no EdDSA recipient");
	free(out.data);
	pgp_key_free(k);
}

/* The reader on hand-made key packets. */
static void
test_reader(void)
{
	struct pgp_pubkey pub;
	struct pgp_enc_recipient r;
	uint8_t body[64];

	memset(&pub, 0, sizeof(pub));
	pub.version = 4;
	pub.algo = PGP_PK_X25519;
	pub.material_off = 6;
	pub.fprlen = 20;
	memset(body, 0, sizeof(body));
	body[0] = 4;
	body[5] = PGP_PK_X25519;
	body[6] = 9;
	CHECK_INT(pgp_enc_recipient_read(&pub, body, 6 + 32, &r), PGP_ENC_OK);
	CHECK_INT(pgp_enc_recipient_read(&pub, body, 6 + 31, &r),
	    PGP_ENC_BAD_KEY_MATERIAL);	/* truncated */
	body[6] = 2;	/* on the twist */
	CHECK_INT(pgp_enc_recipient_read(&pub, body, 6 + 32, &r),
	    PGP_ENC_BAD_KEY_MATERIAL);
	pub.algo = PGP_PK_X448;
	body[6] = 5;
	CHECK_INT(pgp_enc_recipient_read(&pub, body, 6 + 56, &r), PGP_ENC_OK);
	pub.algo = PGP_PK_ED25519;
	CHECK_INT(pgp_enc_recipient_read(&pub, body, 6 + 32, &r),
	    PGP_ENC_NO_USABLE_KEY);
	pub.algo = PGP_PK_ELGAMAL;	/* 20: sign+encrypt ElGamal, never */
	CHECK_INT(pgp_enc_recipient_read(&pub, body, 6 + 32, &r),
	    PGP_ENC_NO_USABLE_KEY);
	pub.algo = PGP_PK_ELGAMAL_E;	/* v6: no ElGamal PKESK */
	pub.version = 6;
	pub.fprlen = 32;
	CHECK_INT(pgp_enc_recipient_read(&pub, body, 60, &r),
	    PGP_ENC_NO_USABLE_KEY);
}

/* ---- misc ------------------------------------------------------------------ */

static void
test_misc(void)
{
	struct pgp_key *k = load(fix_aes128, FIX_NOW);
	struct buf out;
	struct fake f1, f2;
	struct pgp_rand r1 = { fake_fill, &f1 }, r2 = { fake_fill, &f2 };
	struct pgp_enc_opts o1 = { true, &r1 }, o2 = { true, &r2 };
	struct buf a, b;

	if (k == NULL)
		return;
	buf_init(&out, 0);
	CHECK_INT(pgp_encrypt_to_key(k, FIX_NOW, (const uint8_t *)"\xff\n", 2,
	    NULL, &out, NULL), PGP_ENC_BAD_INPUT);
	CHECK_INT(out.len, 0);
	free(out.data);
	buf_init(&out, 100);	/* too small: nothing written */
	(void)buf_puts(&out, "kept");
	CHECK_INT(pgp_encrypt_to_key(k, FIX_NOW, (const uint8_t *)"abc", 3,
	    &o1, &out, NULL), PGP_ENC_LIMIT);
	CHECK_STR((const char *)out.data, "kept");
	free(out.data);

	/* same random source, same message; v1 armor carries a CRC line */
	memset(&f1, 0, sizeof(f1));
	memset(&f2, 0, sizeof(f2));
	buf_init(&a, 0);
	buf_init(&b, 0);
	CHECK_INT(pgp_encrypt_to_key(k, FIX_NOW, (const uint8_t *)"abc", 3,
	    &o1, &a, NULL), PGP_ENC_OK);
	CHECK_INT(pgp_encrypt_to_key(k, FIX_NOW, (const uint8_t *)"abc", 3,
	    &o2, &b, NULL), PGP_ENC_OK);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
	    "deterministic with an injected random source");
	CHECK(strstr((char *)a.data, "\n=") != NULL, "v1 armor has a CRC line");
	CHECK_INT(f1.draws[PGP_RAND_SESSION_KEY], 1);
	CHECK_INT(f1.draws[PGP_RAND_EPHEMERAL], 1);
	CHECK_INT(f1.draws[PGP_RAND_PREFIX], 1);
	free(a.data);
	free(b.data);
	pgp_key_free(k);

	/* strings of the statuses exist */
	CHECK(strlen(pgp_enc_strerror(PGP_ENC_NO_USABLE_KEY)) > 0, "strerror");
}

int
main(void)
{
	if (pgp_crypto_init() == -1) {
		printf("FAIL: libgcrypt\n");
		return 1;
	}
	test_a8();
	test_aead_vectors();
	test_v6_roundtrip();
	test_selection();
	test_bad_material();
	test_flagless();
	test_every_prefers();
	test_reader();
	test_misc();
	return check_done();
}
