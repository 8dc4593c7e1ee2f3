/*
 * tests/unit/token_test.c - pgp/token.c (owner-control.md 6.4) and
 * util/secret.c: base32 against RFC 4648, the typed forms CONFIRM
 * accepts, SHA-256 of the token computed independently (libgcrypt
 * directly), the log prefix, constant-time equality.
 */
#include <gcrypt.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "pgp/pgp.h"
#include "pgp/token.h"
#include "util/secret.h"

static void
test_tokens(void)
{
	uint8_t raw[20], h1[32], h2[32];
	char tok[33], t2[33], id[9];
	size_t i;

	/* RFC 4648 10: "foobar" -> MZXW6YTBOI (here in 20 octets) */
	memset(raw, 0, sizeof(raw));
	memcpy(raw, "foobar", 6);
	pgp_token_encode(raw, tok);
	CHECK_STR(tok, "MZXW6YTBOIAAAAAAAAAAAAAAAAAAAAAA");
	memset(raw, 0xff, sizeof(raw));
	pgp_token_encode(raw, tok);
	CHECK_STR(tok, "77777777777777777777777777777777");

	pgp_token_new(tok);
	CHECK_INT(strlen(tok), 32);
	for (i = 0; i < 32; i++)
		CHECK((tok[i] >= 'A' && tok[i] <= 'Z') ||
		    (tok[i] >= '2' && tok[i] <= '7'), "base32 character");
	pgp_token_new(t2);
	CHECK(strcmp(tok, t2) != 0, "two tokens differ");

	{
		const char *typed = "mzxw-6ytb oi aa\taaaa-aaaa aaaa-aaaa aaaa ";

		CHECK_INT(pgp_token_normalize(typed, strlen(typed), t2), 0);
	}
	CHECK_STR(t2, "MZXW6YTBOIAAAAAAAAAAAAAAAAAAAAAA");
	CHECK_INT(pgp_token_normalize("MZXW6YTBOIAAAAAAAAAAAAAAAAAAAAA", 31,
	    t2), -1);
	CHECK_INT(pgp_token_normalize("MZXW6YTBOIAAAAAAAAAAAAAAAAAAAAAAA", 33,
	    t2), -1);
	CHECK_INT(pgp_token_normalize("MZXW6YTBOIAAAAAAAAAAAAAAAAAAAAA1", 32,
	    t2), -1);	/* 1 is not base32 */
	CHECK_INT(pgp_token_normalize("MZXW6YTBOIAAAAAAAAAAAAAAAAAAAAA=", 32,
	    t2), -1);

	/* SHA-256("AAAA...A" x 32), computed independently */
	memset(tok, 'A', 32);
	tok[32] = '\0';
	pgp_token_hash(tok, h1);
	pgp_token_log_id(h1, id);
	{
		uint8_t want[32];

		gcry_md_hash_buffer(GCRY_MD_SHA256, want, tok, 32);
		CHECK(memcmp(h1, want, 32) == 0, "token hash is SHA-256");
		snprintf(t2, sizeof(t2), "%02x%02x%02x%02x", want[0], want[1],
		    want[2], want[3]);
		CHECK_STR(id, t2);
	}
	memcpy(h2, h1, 32);
	CHECK(pgp_token_hash_equal(h1, h2), "equal hashes");
	h2[31] ^= 1;
	CHECK(!pgp_token_hash_equal(h1, h2), "last octet differs");
	h2[31] ^= 1;
	h2[0] ^= 0x80;
	CHECK(!pgp_token_hash_equal(h1, h2), "first octet differs");
	CHECK(secret_equal("abc", "abc", 3) && !secret_equal("abc", "abd", 3),
	    "secret_equal");
	CHECK(secret_equal("x", "y", 0), "empty strings are equal");
}

int
main(void)
{
	if (pgp_crypto_init() == -1) {
		printf("FAIL: libgcrypt\n");
		return 1;
	}
	test_tokens();
	return check_done();
}
