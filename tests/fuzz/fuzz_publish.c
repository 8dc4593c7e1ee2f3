/*
 * fuzz_publish.c - libFuzzer target for pgp/publish.c, the copies owner
 * control publishes (owner-control.md 2, 3, 7): every key of a binary
 * stream, checked, is claimed (self copy and held items), cut to its
 * revocation-only copy, absorbed into each other key's copy with the same
 * primary (and into its own), its held fragments parsed and published
 * again, REPLACEd, and hashed; every result is written out and parsed
 * back. Keys with equal primaries in one input (a key and a later upload
 * of it) exercise the real paths; unequal ones the refusals. Verified
 * mode's copy keeps the user IDs whose address cmd/verified.c reads
 * (owner_uid_address, itself a parser of user-ID text), and the expiry
 * of the encryption components (reminders, pgp_enc_expiry) is taken.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/owner.h"
#include "pgp/encrypt.h"
#include "pgp/pgp.h"
#include "pgp/publish.h"

#include "fuzz_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXKEYS	8

static const struct pgp_limits lim = { 1u << 20, 2000, 4096, 0 };

/* Verified mode's rule, with the real address parser. */
static bool
keep_with_address(void *arg, const uint8_t *uid, size_t len)
{
	char a[OWNER_ARG_MAX];

	(void)arg;
	return owner_uid_address(uid, len, a);
}

/* Write k and parse it back (the store's round trip). */
static void
roundtrip(const struct pgp_key *k)
{
	struct buf b;
	struct pgp_key *r;
	enum pgp_status st;

	buf_init(&b, 1u << 21);
	if (pgp_key_write(k, &b) == 0 &&
	    (r = pgp_key_parse_one(b.data, b.len, &lim, &st)) != NULL)
		pgp_key_free(r);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_keys ks = { { NULL }, 0, MAXKEYS };
	struct pgp_held_list held;
	struct pgp_absorb_result res;
	struct pgp_absorb_rules rules;
	struct pgp_issuer_ref ref;
	uint8_t (*h)[PGP_PACKET_HASH];
	char name[PGP_ISSUER_NAME];
	size_t i, j, x, n;

	(void)pgp_keys_read(data, size, &lim, fuzz_keys_collect, &ks);
	for (i = 0; i < ks.n; i++) {
		struct pgp_key *self, *rev, *rep;

		memset(&held, 0, sizeof(held));
		self = pgp_key_self_copy(ks.k[i], &held);
		roundtrip(self);
		for (x = 0; x < held.n; x++) {
			enum pgp_status st;
			struct pgp_key *f = pgp_key_parse_one(held.v[x].data,
			    held.v[x].len, &lim, &st);

			if (f != NULL) {
				(void)pgp_publish_fragment(self, f);
				pgp_key_free(f);
			}
			if (pgp_issuer_parse(held.v[x].issuer, &ref))
				(void)pgp_issuer_matches_name(&ref, held.v[x].issuer);
		}
		pgp_held_list_free(&held);
		n = pgp_key_packet_hashes(self, &h);
		memset(&rules, 0, sizeof(rules));
		rules.suppressed = (const uint8_t (*)[PGP_PACKET_HASH])h;
		rules.nsuppressed = n > 0 ? n - 1 : 0;	/* all but the last */
		for (j = 0; j < ks.n; j++) {
			if (ks.k[j]->nuids > 0 && ks.k[j]->uids[0].nsigs > 0) {
				pgp_sig_issuer_name(&ks.k[j]->uids[0].sigs[0], name);
				if (pgp_issuer_parse(name, &ref)) {
					rules.blocked = &ref;
					rules.nblocked = 1;
				}
			}
			if (pgp_absorb(self, ks.k[j], &rules, &res) == 0)
				roundtrip(self);
			pgp_absorb_result_free(&res);
			rules.blocked = NULL;
			rules.nblocked = 0;
		}
		free(h);
		{
			struct pgp_key *ver = pgp_key_verified_copy(ks.k[i],
			    keep_with_address, NULL);
			uint32_t latest;
			time_t due;
			bool pri, sub;

			roundtrip(ver);
			pgp_key_free(ver);
			(void)pgp_enc_expiry(ks.k[i], 1700000000, &latest);
			(void)owner_due_date(ks.k[i], 1700000000, &due, &pri, &sub);
		}
		if ((rev = pgp_key_revocation_copy(ks.k[i])) != NULL) {
			roundtrip(rev);
			pgp_key_free(rev);
		}
		for (j = 0; j < ks.n; j++)
			if ((rep = pgp_replace_copy(ks.k[j], ks.k[i])) != NULL) {
				roundtrip(rep);
				pgp_key_free(rep);
			}
		pgp_key_free(self);
	}
	for (i = 0; i < ks.n; i++)
		pgp_key_free(ks.k[i]);
	return 0;
}
