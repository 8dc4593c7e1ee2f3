/*
 * pgp/util.c - small presentation helpers of the pgp layer: status text,
 * hex fingerprints, printable user IDs, INDEX algorithm letters.
 *
 * User ID bytes are untrusted (any octets, maybe not UTF-8); the printable
 * form is safe to put into a reply line. Memory: pgp_uid_printable returns
 * a malloc'd string the caller frees; the rest use caller buffers or
 * static strings.
 */
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"
#include "pgp/pgp.h"
#include "util/xalloc.h"

const char *
pgp_strerror(enum pgp_status st)
{
	switch (st) {
	case PGP_OK: return "ok";
	case PGP_ERR_ARMOR: return "no usable armor block";
	case PGP_ERR_TRUNCATED: return "packet runs past the end of the data";
	case PGP_ERR_MALFORMED: return "malformed packet";
	case PGP_ERR_LIMIT: return "size limit exceeded";
	case PGP_ERR_SECRET: return "secret key material refused";
	case PGP_ERR_VERSION: return "unsupported key version";
	case PGP_ERR_NO_PRIMARY: return "no primary public key";
	case PGP_ERR_NO_SELFSIG: return "no valid self-signature";
	case PGP_ERR_UNSUPPORTED: return "unsupported algorithm";
	case PGP_ERR_BAD_SIG: return "bad signature";
	case PGP_ERR_FORBIDDEN: return "packet not allowed in a key";
	}
	return "unknown error";
}

void
pgp_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	if (n > 32)
		n = 32;		/* out holds 65 bytes: never more */
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}


char *
pgp_uid_printable(const uint8_t *p, size_t n)
{
	char *out = xmalloc(n + 1);	/* '?' replaces 1 byte or more */
	size_t i = 0, o = 0, l;

	while (i < n) {
		l = utf8_seq_len(p + i, n - i);
		if (l == 0) {
			out[o++] = '?';
			i++;
		} else if (l == 1) {
			/* C0 controls and DEL: CR/LF could forge lines */
			out[o++] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' :
			    (char)p[i];
			i++;
		} else if (l == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
			/* C1 controls (U+0080..U+009F): CSI and friends
			 * act on terminals just like C0 ones */
			out[o++] = '?';
			i += 2;
		} else {
			memcpy(out + o, p + i, l);
			o += l;
			i += l;
		}
	}
	out[o] = '\0';
	return out;
}

char
pgp_algo_letter(uint8_t algo)
{
	switch (algo) {
	case PGP_PK_RSA: return 'R';
	case PGP_PK_RSA_E: return 'r';
	case PGP_PK_RSA_S: return 's';
	case PGP_PK_ELGAMAL_E: return 'g';
	case PGP_PK_DSA: return 'D';
	case PGP_PK_ECDH: return 'e';
	case PGP_PK_ECDSA: return 'E';
	case PGP_PK_EDDSA_LEGACY: return 'E';
	case PGP_PK_ED25519: return 'E';
	case PGP_PK_ED448: return 'E';
	case PGP_PK_ELGAMAL: return 'G';
	case PGP_PK_X25519: return 'e';	/* key agreement, like ECDH */
	case PGP_PK_X448: return 'e';
	default: return '?';
	}
}
