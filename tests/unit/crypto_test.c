/*
 * tests/unit/crypto_test.c - the primitives of pgp/gcrypt/primitives.c
 * (pgp/crypto.h) against their RFCs: X25519 and X448 (RFC 7748 6.1, 6.2),
 * AES key wrap (RFC 3394 4.1), HKDF-SHA256 (RFC 5869 A.1); and the
 * points keymail must refuse: small order, the twist, non-canonical
 * encodings, off-curve NIST points, the compressed form.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "unhex.h"
#include "pgp/crypto.h"
#include "pgp/pgp.h"

/* ---- primitives against their RFCs ------------------------------------------ */

static void
test_vectors(void)
{
	uint8_t a[64], b[64], c[64], pub[64], shared[64], out[64];
	size_t publen = 0, n;

	/* RFC 7748 6.1: Alice's secret with Bob's public key */
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	    a, 32);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
	    b, 32);
	CHECK_INT(pgp_crypto_ecdh(PGP_EC_X25519, b, 32, a, 32, pub, &publen,
	    shared), PGP_CRYPTO_OK);
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
	    c, 32);
	CHECK(publen == 32 && memcmp(pub, c, 32) == 0, "X25519 public key");
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
	    c, 32);
	CHECK(memcmp(shared, c, 32) == 0, "X25519 shared secret");

	/* RFC 7748 6.2 */
	unhex("9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf5"
	    "74a9419744897391006382a6f127ab1d9ac2d8c0a598726b", a, 56);
	unhex("3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972"
	    "fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609", b, 56);
	CHECK_INT(pgp_crypto_ecdh(PGP_EC_X448, b, 56, a, 56, pub, &publen,
	    shared), PGP_CRYPTO_OK);
	unhex("9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bb"
	    "c836647241d953d40c5b12da88120d53177f80e532c41fa0", c, 56);
	CHECK(publen == 56 && memcmp(pub, c, 56) == 0, "X448 public key");
	unhex("07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56"
	    "fd2464c335543936521c24403085d59a449a5037514a879d", c, 56);
	CHECK(memcmp(shared, c, 56) == 0, "X448 shared secret");

	/* RFC 3394 4.1 */
	unhex("000102030405060708090A0B0C0D0E0F", a, 16);
	unhex("00112233445566778899AABBCCDDEEFF", b, 16);
	CHECK_INT(pgp_crypto_aes_wrap(a, 16, b, 16, out), PGP_CRYPTO_OK);
	unhex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5", c, 24);
	CHECK(memcmp(out, c, 24) == 0, "AES key wrap (RFC 3394 4.1)");
	CHECK_INT(pgp_crypto_aes_wrap(a, 16, b, 12, out), PGP_CRYPTO_FAIL);

	/* RFC 5869 A.1 */
	memset(a, 0x0b, 22);
	unhex("000102030405060708090a0b0c", b, 13);
	unhex("f0f1f2f3f4f5f6f7f8f9", c, 10);
	CHECK_INT(pgp_crypto_hkdf(PGP_HASH_SHA256, b, 13, a, 22, c, 10, out,
	    42), PGP_CRYPTO_OK);
	n = unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	    "34007208d5b887185865", c, 42);
	CHECK(n == 42 && memcmp(out, c, 42) == 0, "HKDF-SHA256 (RFC 5869 A.1)");
}

/* Points keymail must refuse, and ones it must take. */
static void
test_points(void)
{
	uint8_t u[56], g[65];
	size_t i;

	memset(u, 0, sizeof(u));
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_X25519, u, 32), PGP_CRYPTO_BAD_KEY);
	u[0] = 1;	/* u = 1: small order */
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_X25519, u, 32), PGP_CRYPTO_BAD_KEY);
	u[0] = 2;	/* on the twist */
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_X25519, u, 32), PGP_CRYPTO_BAD_KEY);
	u[0] = 9;	/* the base point */
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_X25519, u, 32), PGP_CRYPTO_OK);
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_X25519, u, 31), PGP_CRYPTO_BAD_KEY);
	/* a point of order 8 (on the curve) */
	unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	    u, 32);
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_X25519, u, 32), PGP_CRYPTO_BAD_KEY);
	/* p = 2^255 - 19 and a value with the top bit set: not canonical */
	memset(u, 0xff, 32);
	u[0] = 0xed;
	u[31] = 0x7f;
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_X25519, u, 32), PGP_CRYPTO_BAD_KEY);
	u[0] = 9;
	u[31] = 0x80;
	memset(u + 1, 0, 30);
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_X25519, u, 32), PGP_CRYPTO_BAD_KEY);

	memset(u, 0, sizeof(u));
	u[0] = 5;	/* the X448 base point */
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_X448, u, 56), PGP_CRYPTO_OK);
	u[0] = 6;	/* on the twist */
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_X448, u, 56), PGP_CRYPTO_BAD_KEY);
	memset(u, 0xff, 56);	/* p - 1 = -1: order 2 */
	u[0] = 0xfe;
	u[28] = 0xfe;
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_X448, u, 56), PGP_CRYPTO_BAD_KEY);

	/* NIST P-256: its generator, then the same point with y changed */
	unhex("04"
	    "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
	    "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
	    g, 65);
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_P256, g, 65), PGP_CRYPTO_OK);
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_BP256, g, 65), PGP_CRYPTO_BAD_KEY);
	g[64] ^= 1;
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_P256, g, 65), PGP_CRYPTO_BAD_KEY);
	g[64] ^= 1;
	g[0] = 0x03;	/* compressed form: not OpenPGP's */
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_P256, g, 65), PGP_CRYPTO_BAD_KEY);
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_P256, g, 33), PGP_CRYPTO_BAD_KEY);
	g[0] = 0x04;
	for (i = 1; i < 33; i++)	/* x = 2^256 - 1 > p */
		g[i] = 0xff;
	CHECK_INT(pgp_crypto_ec_check(PGP_EC_P256, g, 65), PGP_CRYPTO_BAD_KEY);
}

int
main(void)
{
	if (pgp_crypto_init() == -1) {
		printf("FAIL: libgcrypt\n");
		return 1;
	}
	test_vectors();
	test_points();
	return check_done();
}
