/*
 * fuzz_certs.c - libFuzzer target for the entry points fuzz_keys.c does
 * not reach: third-party certification checks against signer keys
 * (pgp_key_check_certs, which parses the first packet of each signer
 * blob), the certificate-flooding cap (pgp_key_cert_issuers,
 * pgp_key_cap_certs) and bare base64 (pgp_base64_decode).
 *
 * The input is a binary key stream, used twice: every key in it is
 * checked, then its certifications are checked with every key of the
 * same input as a possible signer (so a seed holding a key and the keys
 * that certified it exercises real verifications), and the input itself
 * is also offered as one more, raw signer blob. Then the key is capped at
 * a small limit and written out. The input is also fed to the base64
 * reader as text.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pgp/pgp.h"

#include "fuzz_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXKEYS	16

static const struct pgp_limits lim = { 1u << 20, 2000, 4096, 0 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_keys ks = { { NULL }, 0, MAXKEYS };
	struct buf bin[MAXKEYS], out;
	struct pgp_blob blobs[MAXKEYS + 1];
	uint8_t *ids;
	size_t i, n;

	(void)pgp_keys_read(data, size, &lim, fuzz_keys_collect, &ks);
	for (i = 0; i < ks.n; i++) {
		buf_init(&bin[i], 0);
		(void)pgp_key_write(ks.k[i], &bin[i]);
		blobs[i].data = bin[i].data;
		blobs[i].len = bin[i].len;
	}
	blobs[ks.n].data = data;
	blobs[ks.n].len = size;
	for (i = 0; i < ks.n; i++) {
		n = pgp_key_cert_issuers(ks.k[i], 0, &ids);
		(void)n;
		free(ids);
		(void)pgp_key_check_certs(ks.k[i], 0, blobs, ks.n + 1,
		    1700000000);
		(void)pgp_key_cap_certs(ks.k[i], 2);
		buf_init(&out, 0);
		(void)pgp_key_write(ks.k[i], &out);
		free(out.data);
	}
	for (i = 0; i < ks.n; i++) {
		free(bin[i].data);
		pgp_key_free(ks.k[i]);
	}

	buf_init(&out, 1u << 20);
	(void)pgp_base64_decode((const char *)data, size, &out);
	free(out.data);
	return 0;
}
