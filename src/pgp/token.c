/*
 * pgp/token.c - see token.h.
 */
#include <string.h>

#include "pgp/crypto.h"
#include "pgp/pgp.h"
#include "pgp/token.h"
#include "util/secret.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void
pgp_token_encode(const uint8_t raw[PGP_TOKEN_BYTES],
    char tok[PGP_TOKEN_LEN + 1])
{
	size_t i, bit;

	/* 5 bits per character, most significant first (RFC 4648 6) */
	for (i = 0; i < PGP_TOKEN_LEN; i++) {
		unsigned v = 0, b;

		for (b = 0; b < 5; b++) {
			bit = i * 5 + b;
			v = (v << 1) | ((raw[bit / 8] >> (7 - bit % 8)) & 1u);
		}
		tok[i] = alphabet[v];
	}
	tok[PGP_TOKEN_LEN] = '\0';
}

void
pgp_token_new(char tok[PGP_TOKEN_LEN + 1])
{
	uint8_t raw[PGP_TOKEN_BYTES];

	pgp_random_strong(raw, sizeof(raw));
	pgp_token_encode(raw, tok);
	secret_wipe(raw, sizeof(raw));
}

int
pgp_token_normalize(const char *in, size_t len, char tok[PGP_TOKEN_LEN + 1])
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c == ' ' || c == '\t' || c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) ||
		    n == PGP_TOKEN_LEN) {
			secret_wipe(tok, PGP_TOKEN_LEN + 1);
			return -1;
		}
		tok[n++] = c;
	}
	if (n != PGP_TOKEN_LEN) {
		secret_wipe(tok, PGP_TOKEN_LEN + 1);
		return -1;
	}
	tok[n] = '\0';
	return 0;
}

void
pgp_token_hash(const char tok[PGP_TOKEN_LEN], uint8_t hash[PGP_TOKEN_HASH])
{
	uint8_t d[64];

	(void)pgp_hash_buf(PGP_HASH_SHA256, tok, PGP_TOKEN_LEN, d);
	memcpy(hash, d, PGP_TOKEN_HASH);
}

void
pgp_token_log_id(const uint8_t hash[PGP_TOKEN_HASH], char out[9])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 4; i++) {
		out[2 * i] = hex[hash[i] >> 4];
		out[2 * i + 1] = hex[hash[i] & 15];
	}
	out[8] = '\0';
}

bool
pgp_token_hash_equal(const uint8_t a[PGP_TOKEN_HASH],
    const uint8_t b[PGP_TOKEN_HASH])
{
	return secret_equal(a, b, PGP_TOKEN_HASH);
}
