/*
 * tests/unit/flood_test.c - the certificate-flooding rule (CVE-2019-13050)
 * of pgp/merge.c: pgp_key_cap_certs and pgp_key_cert_issuers, on the
 * GnuPG-made fixture key flooded with synthetic third-party signatures.
 *
 * The flood signatures are well-formed v4 certifications (type 0x10,
 * EdDSA, SHA2-256) with an issuer key ID and a creation time of our
 * choosing and junk signature values: what an attacker uploads. Nothing
 * here verifies them; the state a store lookup would give (GOOD for a
 * signer the store knows) is set by hand where the test needs it. Real
 * third-party signatures by keys in the store are tested end to end in
 * tests/e2e/160-flood.sh.
 *
 * What must hold: self-signatures are never touched; at most max
 * third-party signatures stay on a user ID; verified ones first, then each
 * issuer's newest, then the newest; the result depends on the set of
 * signatures only, so capping after each of several merges, in any order,
 * gives the bytes of capping the union once.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "pgp_fixture.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define BASE_TIME	1800000000u	/* after the fixture's creation */

struct flood {
	uint8_t issuer[8];
	uint32_t created;
	uint8_t nonce;
	bool good;		/* as if verified with a stored signer key */
};

static uint8_t *fixbin;
static size_t fixlen;

static int
armor_cb(void *ctx, enum pgp_armor_kind kind, const uint8_t *data, size_t len,
    bool crc_ok, enum pgp_status st)
{
	struct buf *b = ctx;

	(void)kind;
	(void)crc_ok;
	if (st == PGP_OK)
		buf_append(b, data, len);
	return 0;
}

/* A v4 certification (0x10) body by issuer, made at created. */
static void
flood_sig(const struct flood *f, struct buf *out)
{
	uint8_t b[64];
	size_t n = 0;

	b[n++] = 4;			/* version */
	b[n++] = 0x10;			/* generic certification */
	b[n++] = PGP_PK_EDDSA_LEGACY;
	b[n++] = PGP_HASH_SHA256;
	b[n++] = 0;
	b[n++] = 6;			/* hashed area: creation time */
	b[n++] = 5;
	b[n++] = 2;
	b[n++] = (uint8_t)(f->created >> 24);
	b[n++] = (uint8_t)(f->created >> 16);
	b[n++] = (uint8_t)(f->created >> 8);
	b[n++] = (uint8_t)f->created;
	b[n++] = 0;
	b[n++] = 10;			/* unhashed area: issuer key ID */
	b[n++] = 9;
	b[n++] = 16;
	memcpy(b + n, f->issuer, 8);
	n += 8;
	b[n++] = 0xab;			/* left 16 bits */
	b[n++] = 0xcd;
	b[n++] = 0;			/* r, s: junk MPIs */
	b[n++] = 8;
	b[n++] = f->nonce;
	b[n++] = 0;
	b[n++] = 8;
	b[n++] = 0x5a;
	pgp_packet_write(out, PGP_TAG_SIG, b, n);
}

/*
 * The fixture key with floods[i] for each i with pick[i] true added to its
 * first user ID, parsed (not checked: the fixture's own signatures need no
 * check here). The GOOD marks are applied as a store lookup would.
 */
static struct pgp_key *
flooded(const struct flood *fl, size_t n, const bool *pick)
{
	struct pgp_key *base, *k;
	struct buf b;
	enum pgp_status st;
	size_t i, j;

	base = pgp_key_parse_one(fixbin, fixlen, NULL, &st);
	if (base == NULL)
		return NULL;
	buf_init(&b, 0);
	pgp_packet_write(&b, PGP_TAG_PUBKEY, base->pkt.body, base->pkt.len);
	for (i = 0; i < base->nuids; i++) {
		const struct pgp_component *u = &base->uids[i];

		pgp_packet_write(&b, u->pkt.tag, u->pkt.body, u->pkt.len);
		for (j = 0; j < u->nsigs; j++)
			pgp_packet_write(&b, PGP_TAG_SIG, u->sigs[j].pkt.body,
			    u->sigs[j].pkt.len);
		if (i == 0)
			for (j = 0; j < n; j++)
				if (pick == NULL || pick[j])
					flood_sig(&fl[j], &b);
	}
	for (i = 0; i < base->nsubkeys; i++) {
		const struct pgp_component *c = &base->subkeys[i];

		pgp_packet_write(&b, c->pkt.tag, c->pkt.body, c->pkt.len);
		for (j = 0; j < c->nsigs; j++)
			pgp_packet_write(&b, PGP_TAG_SIG, c->sigs[j].pkt.body,
			    c->sigs[j].pkt.len);
	}
	pgp_key_free(base);
	k = pgp_key_parse_one(b.data, b.len, NULL, &st);
	free(b.data);
	if (k != NULL)
		pgp_key_canonicalize(k);
	return k;
}

/* What a store lookup does before capping: GOOD for known signers. */
static void
mark_good(struct pgp_key *k, const struct flood *fl, size_t n)
{
	size_t i, j;

	for (i = 0; i < k->nuids; i++)
		for (j = 0; j < k->uids[i].nsigs; j++) {
			struct pgp_sig *s = &k->uids[i].sigs[j];
			size_t f;

			for (f = 0; f < n; f++)
				if (fl[f].good && s->has_issuer &&
				    memcmp(s->issuer, fl[f].issuer, 8) == 0)
					s->state = PGP_SIG_GOOD;
		}
}

static bool
is_self(const struct pgp_key *k, const struct pgp_sig *s)
{
	return s->has_issuer && memcmp(s->issuer, k->pub.keyid, 8) == 0;
}

static size_t
third(const struct pgp_component *u, const struct pgp_key *k)
{
	size_t j, n = 0;

	for (j = 0; j < u->nsigs; j++)
		n += !is_self(k, &u->sigs[j]);
	return n;
}

static bool
has_sig(const struct pgp_component *u, const struct flood *f)
{
	size_t j;

	for (j = 0; j < u->nsigs; j++)
		if (u->sigs[j].has_issuer && u->sigs[j].created == f->created &&
		    memcmp(u->sigs[j].issuer, f->issuer, 8) == 0)
			return true;
	return false;
}

static uint8_t *
bytes(const struct pgp_key *k, size_t *len)
{
	struct buf b;

	buf_init(&b, 0);
	if (pgp_key_write(k, &b) < 0) {
		free(b.data);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

static void
issuer_n(uint8_t id[8], unsigned n)
{
	memset(id, 0xe0, 8);
	id[6] = (uint8_t)(n >> 8);
	id[7] = (uint8_t)n;
}

/* 200 issuers, one certification each: the 10 newest stay. */
static void
test_distinct_issuers(void)
{
	struct flood fl[200];
	struct pgp_key *k;
	size_t i, before_self, before_uid2;
	uint8_t *ids;

	for (i = 0; i < 200; i++) {
		issuer_n(fl[i].issuer, (unsigned)i);
		fl[i].created = BASE_TIME + (uint32_t)((i * 7919) % 200) * 60;
		fl[i].nonce = (uint8_t)i;
		fl[i].good = false;
	}
	if ((k = flooded(fl, 200, NULL)) == NULL) {
		CHECK(0, "flooded key does not parse");
		return;
	}
	CHECK_INT(third(&k->uids[0], k), 200);
	before_self = k->uids[0].nsigs - 200;
	before_uid2 = k->uids[1].nsigs;

	/* the issuers to look up: only crowded user IDs */
	CHECK_INT(pgp_key_cert_issuers(k, 500, &ids), 0);
	CHECK(ids == NULL, "no issuers when nothing is crowded");
	CHECK_INT(pgp_key_cert_issuers(k, 10, &ids), 200);
	CHECK(ids != NULL && memcmp(ids, fl[0].issuer, 8) == 0 &&
	    memcmp(ids + 8 * 199, fl[199].issuer, 8) == 0,
	    "issuers sorted and distinct");
	free(ids);

	CHECK_INT(pgp_key_cap_certs(k, 0), 0);		/* 0: no limit */
	CHECK_INT(pgp_key_cap_certs(k, 500), 0);
	CHECK_INT(pgp_key_cap_certs(k, 10), 190);
	CHECK_INT(third(&k->uids[0], k), 10);
	CHECK_INT(k->uids[0].nsigs - 10, before_self);
	CHECK_INT(k->uids[1].nsigs, before_uid2);
	/* the newest ten: created BASE + 190..199 minutes */
	for (i = 0; i < 200; i++)
		if (fl[i].created >= BASE_TIME + 190 * 60)
			CHECK(has_sig(&k->uids[0], &fl[i]), "newest %zu kept",
			    i);
	/* idempotent */
	CHECK_INT(pgp_key_cap_certs(k, 10), 0);
	pgp_key_free(k);
}

/*
 * One attacker key makes 100 newer certifications; 5 honest ones are
 * older. Max 10: every honest one stays (one issuer cannot fill the list),
 * plus the attacker's 5 newest.
 */
static void
test_one_issuer_flood(void)
{
	struct flood fl[105];
	struct pgp_key *k;
	size_t i, kept_attacker = 0;

	for (i = 0; i < 100; i++) {
		issuer_n(fl[i].issuer, 0xbad);
		fl[i].created = BASE_TIME + 100000 + (uint32_t)i;
		fl[i].nonce = (uint8_t)i;
		fl[i].good = false;
	}
	for (i = 100; i < 105; i++) {
		issuer_n(fl[i].issuer, (unsigned)i);
		fl[i].created = BASE_TIME + (uint32_t)i;
		fl[i].nonce = (uint8_t)i;
		fl[i].good = false;
	}
	if ((k = flooded(fl, 105, NULL)) == NULL) {
		CHECK(0, "flooded key does not parse");
		return;
	}
	CHECK_INT(pgp_key_cap_certs(k, 10), 95);
	for (i = 100; i < 105; i++)
		CHECK(has_sig(&k->uids[0], &fl[i]), "honest certification %zu "
		    "kept", i);
	for (i = 0; i < 100; i++)
		if (has_sig(&k->uids[0], &fl[i])) {
			kept_attacker++;
			CHECK(i >= 95, "attacker's certification %zu kept, want "
			    "only the 5 newest", i);
		}
	CHECK_INT(kept_attacker, 5);
	pgp_key_free(k);
}

/* Verified certifications stay even when they are the oldest. */
static void
test_verified_first(void)
{
	struct flood fl[60];
	struct pgp_key *k;
	size_t i;

	for (i = 0; i < 60; i++) {
		issuer_n(fl[i].issuer, (unsigned)i);
		fl[i].created = BASE_TIME + (uint32_t)i * 3600;
		fl[i].nonce = (uint8_t)i;
		fl[i].good = i < 3;	/* the three oldest */
	}
	if ((k = flooded(fl, 60, NULL)) == NULL) {
		CHECK(0, "flooded key does not parse");
		return;
	}
	mark_good(k, fl, 60);
	CHECK_INT(pgp_key_cap_certs(k, 4), 56);
	for (i = 0; i < 3; i++)
		CHECK(has_sig(&k->uids[0], &fl[i]), "verified %zu kept", i);
	CHECK(has_sig(&k->uids[0], &fl[59]), "then the newest");
	pgp_key_free(k);
}

/*
 * Order independence: the flood split into parts that arrive one after
 * the other, in several orders and splits, each merge capped (with the
 * store's GOOD marks), ends in the bytes of the union capped once.
 */
static void
test_order_independent(void)
{
	enum { N = 150, MAX = 12, PARTS = 3 };
	struct flood fl[N];
	bool pick[PARTS][N];
	struct pgp_key *all, *acc, *part;
	uint8_t *want, *got;
	size_t i, p, wantlen = 0, gotlen = 0, trial, ok = 0;
	unsigned seed = 12345;

	for (i = 0; i < N; i++) {
		/* 30 issuers with up to 5 certifications each, a few known */
		issuer_n(fl[i].issuer, (unsigned)(i % 30));
		fl[i].created = BASE_TIME + (uint32_t)((i * 37) % N) * 600;
		fl[i].nonce = (uint8_t)i;
		fl[i].good = i % 30 == 7 || i % 30 == 11;
	}
	if ((all = flooded(fl, N, NULL)) == NULL) {
		CHECK(0, "flooded key does not parse");
		return;
	}
	mark_good(all, fl, N);
	pgp_key_cap_certs(all, MAX);
	want = bytes(all, &wantlen);
	pgp_key_free(all);

	for (trial = 0; trial < 20; trial++) {
		size_t order[PARTS] = { 0, 1, 2 };

		memset(pick, 0, sizeof(pick));
		for (i = 0; i < N; i++) {
			seed = seed * 1103515245u + 12345u;
			pick[(seed >> 16) % PARTS][i] = true;
			if (trial % 4 == 0 && i % 9 == 0)
				pick[(seed >> 20) % PARTS][i] = true;
		}
		for (p = 0; p < PARTS; p++) {
			size_t r = (trial + p * 7) % PARTS, t = order[p];

			order[p] = order[r];
			order[r] = t;
		}
		acc = flooded(fl, N, pick[order[0]]);
		if (acc == NULL)
			break;
		mark_good(acc, fl, N);
		pgp_key_cap_certs(acc, MAX);
		for (p = 1; p < PARTS; p++) {
			/* a stored key comes back without states: as the
			 * store does, merge, look signers up again, cap */
			got = bytes(acc, &gotlen);
			pgp_key_free(acc);
			acc = pgp_key_parse_one(got, gotlen, NULL, NULL);
			free(got);
			part = flooded(fl, N, pick[order[p]]);
			if (acc == NULL || part == NULL ||
			    pgp_key_merge(acc, part, NULL) != 0) {
				pgp_key_free(part);
				break;
			}
			pgp_key_free(part);
			mark_good(acc, fl, N);
			pgp_key_cap_certs(acc, MAX);
		}
		got = acc ? bytes(acc, &gotlen) : NULL;
		if (got != NULL && want != NULL && gotlen == wantlen &&
		    memcmp(got, want, wantlen) == 0)
			ok++;
		free(got);
		pgp_key_free(acc);
	}
	CHECK(ok == 20, "capped merges in 20 orders/splits equal the capped "
	    "union: %zu", ok);
	printf("TALLY: flood merges order-independent %zu/20\n", ok);
	free(want);
}

int
main(void)
{
	struct buf b;

	buf_init(&b, 0);
	pgp_armor_scan(fixture_asc, strlen(fixture_asc), 0, armor_cb, &b);
	fixbin = b.data;
	fixlen = b.len;
	CHECK_INT(fixlen, FIXTURE_LEN);
	if (fixlen == FIXTURE_LEN) {
		test_distinct_issuers();
		test_one_issuer_flood();
		test_verified_first();
		test_order_independent();
	}
	free(fixbin);
	return check_done();
}
