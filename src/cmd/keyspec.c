/*
 * cmd/keyspec.c - classify a GET/INDEX argument (untrusted) as a key ID,
 * a fingerprint, or user-ID text. Pure; no allocation.
 */
#include <ctype.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/hex.h"

void
keyspec_parse(const char *arg, struct keyspec *ks)
{
	char hex[130];
	size_t n = 0, i;
	const char *p = arg;
	int prefixed = 0, only_hex_and_blanks = 1;

	memset(ks, 0, sizeof(*ks));
	ks->kind = KEYSPEC_TEXT;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		prefixed = 1;
		p += 2;
	}
	for (i = 0; p[i] != '\0'; i++) {
		if (p[i] == ' ' || p[i] == '\t')
			continue;
		if (hex_digit((unsigned char)p[i]) < 0 || n >= sizeof(hex) - 1) {
			only_hex_and_blanks = 0;
			break;
		}
		hex[n++] = p[i];
	}
	hex[n] = '\0';

	if (!only_hex_and_blanks) {
		/* "0x" followed by something that is not hex: a malformed ID,
		 * not a search for the word "0xzz". */
		if (prefixed && strchr(arg, ' ') == NULL) {
			ks->kind = KEYSPEC_BAD;
			ks->error = "A key ID must be hex digits only.";
		}
		return;
	}
	/* Blanks are only allowed inside fingerprints (gpg prints them in groups). */
	if (strpbrk(p, " \t") != NULL && n != 40 && n != 64 && n != 32)
		return;
	if (!prefixed && n != 16 && n != 40 && n != 64)
		return;		/* "cafe", "deadbeef": words, not IDs */
	switch (n) {
	case 8:
		ks->kind = KEYSPEC_SHORTID;
		break;
	case 16:
		ks->kind = KEYSPEC_KEYID;
		break;
	case 32:
	case 40:
	case 64:
		ks->kind = KEYSPEC_FPR;
		break;
	default:
		ks->kind = KEYSPEC_BAD;
		ks->error = "A key ID must be 8 or 16 hex digits, a fingerprint 40 "
		    "(v4) or 64 (v6) hex digits.";
		return;
	}
	ks->idlen = n / 2;
	for (i = 0; i < ks->idlen; i++)
		ks->id[i] = (uint8_t)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
}
