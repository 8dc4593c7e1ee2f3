/*
 * fuzz_keys.c - libFuzzer target: packet parsing, key assembly, checking,
 * merging and canonical writing, on untrusted binary data.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pgp/pgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct pgp_limits lim = { 1u << 20, 2000, 4096, 0 };

static int
on_key(void *ctx, struct pgp_key *key, enum pgp_status st, const uint8_t *fpr,
    size_t fprlen, const char *detail)
{
	struct pgp_key **prev = ctx;
	struct pgp_merge_counts c = { 0 };
	struct buf out;

	(void)st; (void)fpr; (void)fprlen; (void)detail;
	if (key == NULL)
		return 0;
	(void)pgp_key_check(key, 1700000000, NULL, 0);
	buf_init(&out, 0);
	(void)pgp_key_write(key, &out);
	{
		enum pgp_status st2;
		struct pgp_key *again = pgp_key_parse_one(out.data, out.len, &lim, &st2);

		if (again != NULL) {
			(void)pgp_key_merge(again, key, &c);
			pgp_key_free(again);
		}
	}
	free(out.data);
	if (*prev != NULL && (*prev)->pub.fprlen == key->pub.fprlen)
		(void)pgp_key_merge(*prev, key, &c);
	pgp_key_free(*prev);
	*prev = key;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgp_key *prev = NULL;

	(void)pgp_keys_read(data, size, &lim, on_key, &prev);
	pgp_key_free(prev);
	return 0;
}
