/*
 * pgp/gcrypt/random.c - strong random octets from libgcrypt, for tokens
 * (owner-control.md 6.4) and for session keys, ephemeral keys, padding
 * and salts (pgp/encrypt.c). Only files in pgp/gcrypt/ include gcrypt.h.
 *
 * Memory: writes into the caller's buffer only.
 */
#include <gcrypt.h>

#include "pgp/crypto.h"
#include "pgp/pgp.h"

void
pgp_random_strong(void *out, size_t n)
{
	if (n == 0)
		return;
	(void)pgp_crypto_init();
	gcry_randomize(out, n, GCRY_STRONG_RANDOM);
}
