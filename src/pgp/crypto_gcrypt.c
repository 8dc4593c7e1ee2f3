/*
 * pgp/crypto_gcrypt.c - the libgcrypt adapter: hashing and signature
 * verification. No other file includes gcrypt.h.
 *
 * Inputs are untrusted key material and signatures from mail; libgcrypt
 * gets them only as length-checked MPIs / octet strings.
 */
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp.h"
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
	/* We only verify public data: no secure memory needed. */
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
