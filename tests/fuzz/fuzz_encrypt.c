/*
 * fuzz_encrypt.c - libFuzzer target: the encryption module's key-material
 * reader and what it feeds, on untrusted key data.
 *
 * The input is a key stream (pgp_keys_read). For each key: every key
 * packet (primary and subkeys) goes through pgp_enc_recipient_read and,
 * when accepted, pgp_enc_pkesk with AES-128 and AES-256 session keys;
 * then the key is treated as if every signature had verified (the fuzzer
 * cannot forge signatures, but selection reads their subpackets: flags,
 * preferences, expiry) and pgp_enc_select and pgp_encrypt_to_key run;
 * finally pgp_encrypt runs on the raw bytes with the real check. The
 * random source is a counter, so every run is reproducible.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/encrypt.h"
#include "pgp/pgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct pgp_limits lim = { 1u << 20, 2000, 4096, 0 };

static void
counter_fill(void *ctx, enum pgp_rand_use use, uint8_t *out, size_t n)
{
	uint8_t *c = ctx;
	size_t i;

	(void)use;
	for (i = 0; i < n; i++)
		out[i] = ++*c;
}

static void
read_one(const struct pgp_pubkey *pub, const struct pgp_packet *pkt,
    const struct pgp_rand *rand)
{
	static const uint8_t sk[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	struct pgp_enc_recipient r;
	struct buf out;

	if (pgp_enc_recipient_read(pub, pkt->body, pkt->len, &r) != PGP_ENC_OK)
		return;
	buf_init(&out, 0);
	(void)pgp_enc_pkesk(&r, PGP_SYM_AES128, sk, 16, rand, &out);
	(void)pgp_enc_pkesk(&r, PGP_SYM_AES256, sk, 32, rand, &out);
	free(out.data);
}

static void
all_good(struct pgp_sig *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s[i].state = PGP_SIG_GOOD;
}

static int
on_key(void *ctx, struct pgp_key *key, enum pgp_status st, const uint8_t *fpr,
    size_t fprlen, const char *detail)
{
	const struct pgp_rand *rand = ctx;
	struct pgp_enc_opts opts = { true, rand };
	struct pgp_enc_result res;
	struct buf out;
	size_t i;

	(void)st; (void)fpr; (void)fprlen; (void)detail;
	if (key == NULL)
		return 0;
	read_one(&key->pub, &key->pkt, rand);
	for (i = 0; i < key->nsubkeys; i++)
		read_one(&key->subkeys[i].sub, &key->subkeys[i].pkt, rand);
	/* as if checked: every signature GOOD, every component valid */
	all_good(key->sigs, key->nsigs);
	for (i = 0; i < key->nuids; i++) {
		all_good(key->uids[i].sigs, key->uids[i].nsigs);
		key->uids[i].valid = true;
	}
	for (i = 0; i < key->nsubkeys; i++) {
		all_good(key->subkeys[i].sigs, key->subkeys[i].nsigs);
		key->subkeys[i].valid = true;
	}
	key->primary_uid = key->nuids > 0 ? 0 : -1;
	buf_init(&out, 1u << 20);
	(void)pgp_encrypt_to_key(key, 1700000000, (const uint8_t *)"token\n", 6,
	    &opts, &out, &res);
	free(out.data);
	pgp_key_free(key);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t counter = 0;
	struct pgp_rand rand = { counter_fill, &counter };
	struct pgp_enc_opts opts = { false, &rand };
	struct buf out;

	(void)pgp_keys_read(data, size, &lim, on_key, &rand);
	buf_init(&out, 1u << 20);
	(void)pgp_encrypt(data, size, 1700000000, (const uint8_t *)"x", 1,
	    &opts, &out, NULL);
	free(out.data);
	return 0;
}
