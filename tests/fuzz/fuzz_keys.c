/*
 * fuzz_keys.c - libFuzzer target: packet parsing, key assembly, checking,
 * merging and canonical writing, on untrusted binary data; and checking
 * with what the store would know of the key (pgp/known.c), which must
 * give what checking from scratch gives (abort() otherwise), also with
 * lists made of the input's own octets (unsorted, any length).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp.h"

static const uint8_t *input;
static size_t input_len;

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
		struct pgp_known known, junk;
		struct buf names, ver;
		struct pgp_key *k1, *k2, *k3;
		enum pgp_status s1, s2, s3;
		char d1[512], d2[512];

		buf_init(&names, 0);
		buf_init(&ver, 0);
		known.nnames = pgp_key_names(key, &names);
		known.names = names.data;
		(void)buf_append(&ver, key->verified,
		    key->nverified * PGP_VERIFIED_LEN);
		pgp_verified_keep(&ver, names.data, known.nnames);
		known.verified = ver.data;
		known.nverified = ver.len / PGP_VERIFIED_LEN;
		k1 = pgp_key_parse_one(out.data, out.len, &lim, &s1);
		k2 = pgp_key_parse_one(out.data, out.len, &lim, &s2);
		k3 = pgp_key_parse_one(out.data, out.len, &lim, &s3);
		if (k1 != NULL && k2 != NULL && k3 != NULL) {
			s1 = pgp_key_check(k1, 1700000000, d1, sizeof(d1));
			s2 = pgp_key_check_known(k2, 1700000000, &known, NULL,
			    d2, sizeof(d2));
			if (s1 != s2 || strcmp(d1, d2) != 0)
				abort();	/* knowing must not change the result */
			(void)pgp_key_all_known(k2, &known);
			junk.names = input;
			junk.nnames = input_len / PGP_NAME_LEN;
			junk.verified = input;
			junk.nverified = input_len / PGP_VERIFIED_LEN;
			(void)pgp_key_check_known(k3, 1700000000, &junk, NULL,
			    NULL, 0);
			(void)pgp_key_all_known(k3, &junk);
		}
		pgp_key_free(k1);
		pgp_key_free(k2);
		pgp_key_free(k3);
		free(names.data);
		free(ver.data);
	}
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

	input = data;
	input_len = size;
	(void)pgp_keys_read(data, size, &lim, on_key, &prev);
	pgp_key_free(prev);
	return 0;
}
