/*
 * fuzz_recon.c - libFuzzer target: the reconciliation record parser
 * (recon_record_frame, recon_record_body), the signature check on what
 * frames (pgp_verify_binary against a fixed Ed25519 key: the key of RFC
 * 8032's first test vector, public knowledge), and the decoder on the
 * cells a record carries (up to 4096 of them).
 *
 * The input is the decoded record, as the filter hands it over after
 * undoing the transfer encoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp.h"
#include "recon/recon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pgp_key *key;

static int
first_key(void *ctx, struct pgp_key *k, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	(void)ctx; (void)fpr; (void)fprlen; (void)detail;
	if (st == PGP_OK && key == NULL)
		key = k;
	else if (st == PGP_OK)
		pgp_key_free(k);
	return 0;
}

static void
setup(void)
{
	static const char text[] = "keymail-server-key 1\ncreated 1764547200\n"
	    "ed25519-seed 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n";
	struct recon_server_key sk;
	struct buf pub;
	const char *why;
	char detail[256];

	buf_init(&pub, 0);
	if (recon_server_key_parse(text, sizeof(text) - 1, &sk, &why) == 0 &&
	    recon_server_key_public(&sk, "fuzz@keys.test", &pub) == 0)
		(void)pgp_keys_read(pub.data, pub.len, NULL, first_key, NULL);
	if (key != NULL)
		(void)pgp_key_check(key, 1800000000, detail, sizeof(detail));
	buf_free(&pub);
	recon_server_key_clear(&sk);
}

static void
decode(const uint8_t *wire, uint32_t m)
{
	static const uint8_t salt[16] = { 1, 2, 3 };
	struct recon_hasher h;
	struct recon_cell *c;
	uint64_t *ids;
	size_t n;

	if (m == 0 || m > 4096)
		return;
	recon_hasher_init(&h, salt);
	c = calloc(m, sizeof(*c));
	ids = calloc(m, sizeof(*ids));
	if (c != NULL && ids != NULL) {
		recon_cells_get(c, wire, m);
		(void)recon_decode(c, m, &h, ids, &n);
		if (n > m)
			abort();
	}
	free(c);
	free(ids);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recon_record r;
	const char *why;

	if (key == NULL)
		setup();
	if (recon_record_frame(data, size, &r, &why) != 0)
		return 0;
	if (r.signed_len + r.siglen != size)
		abort();
	if (key != NULL)
		(void)recon_record_verify(&r, key, &why);
	if (recon_record_body(&r, &why) != 0)
		return 0;
	if (r.h.type == RECON_OFFER)
		decode(r.u.offer.cells, r.u.offer.m);
	else if (r.h.type == RECON_CELLS)
		decode(r.u.cells.cells, r.u.cells.hi - r.u.cells.lo);
	return 0;
}
