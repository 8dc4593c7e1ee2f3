/*
 * tests/fuzz/fuzz_keys.h - a pgp_keys_read() callback for the fuzz targets
 * that work on every key a fuzz input holds: each key is checked
 * (pgp_key_check at a fixed time) and kept, up to ks->max of them.
 *
 * The keys read are owned by struct fuzz_keys; the target frees them with
 * pgp_key_free(). A key past ks->max is freed at once and stops the read.
 * All input is the fuzzer's: untrusted.
 */
#ifndef KM_FUZZ_KEYS_H
#define KM_FUZZ_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp.h"

#define FUZZ_KEYS_CAP	16

struct fuzz_keys {
	struct pgp_key *k[FUZZ_KEYS_CAP];
	size_t n;
	size_t max;	/* at most FUZZ_KEYS_CAP */
};

static int
fuzz_keys_collect(void *ctx, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	struct fuzz_keys *ks = ctx;

	(void)st; (void)fpr; (void)fprlen; (void)detail;
	if (key == NULL)
		return 0;
	if (ks->n == ks->max || ks->n == FUZZ_KEYS_CAP) {
		pgp_key_free(key);
		return 1;
	}
	(void)pgp_key_check(key, 1700000000, NULL, 0);
	ks->k[ks->n++] = key;
	return 0;
}

#endif
