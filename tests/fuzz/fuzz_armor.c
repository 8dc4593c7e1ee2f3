/*
 * fuzz_armor.c - libFuzzer target: ASCII armor scanning and re-encoding.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pgp/pgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_block(void *ctx, enum pgp_armor_kind kind, const uint8_t *d, size_t len,
    bool crc_ok, enum pgp_status st)
{
	struct buf out;

	(void)ctx; (void)kind; (void)crc_ok;
	if (st != PGP_OK || d == NULL)
		return 0;
	buf_init(&out, 0);
	(void)pgp_armor_encode(d, len, &out);
	free(out.data);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)pgp_armor_scan((const char *)data, size, 1u << 20, on_block, NULL);
	return 0;
}
