/*
 * recon_test.c - the pure part of reconciliation (src/recon/, and the
 * signing code in src/pgp/sign.c and pgp/gcrypt/ed25519.c) against the
 * vectors of ../shared/spec/reconciliation.md (5.2, 5.3, 6.2, 7) and
 * RFC 8032, the decoder on random sets (fixed seed: every run is the same
 * run), and the record: made, framed, parsed and verified, and refused
 * when tampered with or cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "pgp/pgp.h"
#include "recon/recon.h"
#include "util/buf.h"
#include "util/xalloc.h"

static size_t
unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1]) {
		if (s[0] == ' ') {
			s++;
			continue;
		}
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* Cells compared field by field (the struct has padding). */
static bool
same_cells(const struct recon_cell *a, const struct recon_cell *b, size_t m)
{
	size_t i;

	for (i = 0; i < m; i++)
		if (a[i].idsum != b[i].idsum || a[i].chksum != b[i].chksum)
			return false;
	return true;
}

static void
tohex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static char hexbuf[1024];

static const char *
hx(const uint8_t *p, size_t n)
{
	tohex(p, n, hexbuf);
	return hexbuf;
}

static const char *
h64(uint64_t v)
{
	snprintf(hexbuf, sizeof(hexbuf), "%016llx", (unsigned long long)v);
	return hexbuf;
}

/* ---- 5.2 the digest -------------------------------------------------- */

/* An old-format packet (1-octet length). */
static void
oldpkt(struct buf *b, uint8_t tag, const char *hexbody)
{
	uint8_t body[256];
	size_t n = unhex(hexbody, body);

	buf_putc(b, 0x80 | tag << 2);
	buf_putc(b, (int)n);
	buf_append(b, body, n);
}

/* A new-format packet with the 5-octet length form. */
static void
newpkt(struct buf *b, uint8_t tag, const char *hexbody)
{
	uint8_t body[256];
	size_t n = unhex(hexbody, body);

	buf_putc(b, 0xc0 | tag);
	buf_putc(b, 0xff);
	buf_putc(b, 0); buf_putc(b, 0); buf_putc(b, 0);
	buf_putc(b, (int)n);
	buf_append(b, body, n);
}

#define P6	"04 00000001 16 746f79"
#define P13	"416c696365203c616c696365406578616d706c652e6f72673e"
#define P2	"04 13 736967"
#define DIGEST	"583061d044cda8a4cb0e9a0ff55ea01b8ce5dd5d759ba4b4e1163cc9fb8e5f98"

static void
test_digest(void)
{
	struct buf b;
	uint8_t d[32];

	buf_init(&b, 0);
	oldpkt(&b, 6, P6);
	oldpkt(&b, 13, P13);
	oldpkt(&b, 2, P2);
	CHECK_INT(recon_key_digest(b.data, b.len, d), 0);
	CHECK_STR(hx(d, 32), DIGEST);

	/* Another order, the other header format, a packet twice. */
	buf_reset(&b);
	newpkt(&b, 13, P13);
	oldpkt(&b, 2, P2);
	newpkt(&b, 6, P6);
	oldpkt(&b, 2, P2);
	CHECK_INT(recon_key_digest(b.data, b.len, d), 0);
	CHECK_STR(hx(d, 32), DIGEST);

	/* One more packet: another digest. */
	oldpkt(&b, 2, "04 13 73696767");
	CHECK_INT(recon_key_digest(b.data, b.len, d), 0);
	CHECK(strcmp(hx(d, 32), DIGEST) != 0, "an extra packet changes the digest");

	/* Cut inside a packet, or a partial length: refused. */
	CHECK_INT(recon_key_digest(b.data, b.len - 1, d), -1);
	buf_reset(&b);
	buf_putc(&b, 0xc0 | 13);
	buf_putc(&b, 0xe1);		/* partial body length */
	buf_putc(&b, 'x'); buf_putc(&b, 'y');
	CHECK_INT(recon_key_digest(b.data, b.len, d), -1);
	/* The empty key is the empty concatenation. */
	CHECK_INT(recon_key_digest(b.data, 0, d), 0);
	CHECK_STR(hx(d, 32), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	buf_free(&b);
}

/* ---- 5.3 session hashes ---------------------------------------------- */

static struct recon_hasher hs;

static void
test_hashes(void)
{
	uint8_t salt[16], m[15], dg[32], empty[32];
	size_t i;

	for (i = 0; i < 16; i++)
		salt[i] = (uint8_t)i;
	for (i = 0; i < 15; i++)
		m[i] = (uint8_t)i;
	recon_hasher_init(&hs, salt);
	CHECK_STR(h64(recon_siphash(&hs, m, 15)), "a129ca6149be45e5");
	CHECK_STR(h64(recon_siphash(&hs, m, 0)), "726fdb47dd0e0e31");

	unhex(DIGEST, dg);
	CHECK_STR(h64(recon_id(&hs, dg)), "4d9d910b6b2cbf6b");
	CHECK_STR(h64(recon_chk(&hs, 0x4d9d910b6b2cbf6bULL)), "0000000029708619");
	CHECK_STR(h64(recon_tow1(&hs, 0x4d9d910b6b2cbf6bULL)), "dc7430009afdbc03");
	CHECK_STR(h64(recon_tow2(&hs, 0x4d9d910b6b2cbf6bULL)), "6e5851ae3ff823e9");

	unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty);
	CHECK_STR(h64(recon_id(&hs, empty)), "7ca6643eeb1cab71");
	CHECK_STR(h64(recon_chk(&hs, 0x7ca6643eeb1cab71ULL)), "00000000f8f73767");
	CHECK_STR(h64(recon_tow1(&hs, 0x7ca6643eeb1cab71ULL)), "5fa2028c52aaecc9");
	CHECK_STR(h64(recon_tow2(&hs, 0x7ca6643eeb1cab71ULL)), "7a94ab9dfe07c25b");
}

/* ---- 6.2 cell indices, 6.1 cells --------------------------------------- */

static void
walk_str(uint64_t id, uint64_t below, size_t max, char *out)
{
	struct recon_walk w;
	uint64_t j;
	size_t n = 0;

	out[0] = '\0';
	recon_walk_start(&w, id);
	for (j = 0; j < below && n < max; j = recon_next_cell(&w), n++)
		sprintf(out + strlen(out), "%s%llu", n ? " " : "",
		    (unsigned long long)j);
}

static void
test_cells(void)
{
	char s[1024];
	uint64_t st = 0;
	struct recon_cell c[8];
	uint8_t dg[32], empty[32], wire[8 * 12];
	uint64_t a, b;
	int i;

	CHECK_STR(h64(recon_splitmix64(&st)), "e220a8397b1dcdaf");
	walk_str(0x4d9d910b6b2cbf6bULL, 65536, 100, s);
	CHECK_STR(s, "0 1 3 8 10 11 13 33 48 53 77 254 352 485 596 3359 3994 7573 15677 17554");
	walk_str(0x7ca6643eeb1cab71ULL, 65536, 13, s);
	CHECK_STR(s, "0 3 4 6 14 28 56 67 96 181 571 926 1241");
	walk_str(0x0123456789abcdefULL, 65536, 100, s);
	CHECK_STR(s, "0 4 5 14 18 278 981 1155 1579 1600 4129 4607 7146 9571 12423 26550 28910");

	unhex(DIGEST, dg);
	unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty);
	a = recon_id(&hs, dg);
	b = recon_id(&hs, empty);
	memset(c, 0, sizeof(c));
	recon_cells_add(c, 0, 8, a, recon_chk(&hs, a));
	recon_cells_add(c, 0, 8, b, recon_chk(&hs, b));
	s[0] = '\0';
	for (i = 0; i < 8; i++) {
		if (recon_cell_empty(&c[i]))
			strcat(s, "empty ");
		else
			sprintf(s + strlen(s), "%016llx:%08x ",
			    (unsigned long long)c[i].idsum, c[i].chksum);
	}
	CHECK_STR(s, "313bf5358030141a:d187b17e 4d9d910b6b2cbf6b:29708619 empty "
	    "313bf5358030141a:d187b17e 7ca6643eeb1cab71:f8f73767 empty "
	    "7ca6643eeb1cab71:f8f73767 empty ");
	/* A range built on its own equals the same range of the prefix. */
	{
		struct recon_cell r[5];

		memset(r, 0, sizeof(r));
		recon_cells_add(r, 3, 8, a, recon_chk(&hs, a));
		recon_cells_add(r, 3, 8, b, recon_chk(&hs, b));
		CHECK(same_cells(r, c + 3, 5), "cells [3,8) built alone");
	}
	/* Wire form, both ways. */
	recon_cells_put(wire, c, 8);
	CHECK_STR(hx(wire, 12), "313bf5358030141ad187b17e");
	{
		struct recon_cell back[8];

		recon_cells_get(back, wire, 8);
		CHECK(same_cells(back, c, 8), "cells read back");
	}
}

/* ---- 7 the estimator --------------------------------------------------- */

static void
test_tow(void)
{
	int32_t both[128], one[128], zero[128];
	uint8_t dg[32], empty[32];
	uint64_t a, b;
	char s[256] = "";
	int i;

	memset(both, 0, sizeof(both));
	memset(one, 0, sizeof(one));
	memset(zero, 0, sizeof(zero));
	unhex(DIGEST, dg);
	unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty);
	a = recon_id(&hs, dg);
	b = recon_id(&hs, empty);
	recon_tow_add(both, recon_tow1(&hs, a), recon_tow2(&hs, a));
	recon_tow_add(both, recon_tow1(&hs, b), recon_tow2(&hs, b));
	recon_tow_add(one, recon_tow1(&hs, b), recon_tow2(&hs, b));
	for (i = 0; i < 8; i++)
		sprintf(s + strlen(s), "%d ", both[i]);
	CHECK_STR(s, "2 0 -2 0 -2 -2 0 0 ");
	s[0] = '\0';
	for (i = 0; i < 8; i++)
		sprintf(s + strlen(s), "%d ", one[i]);
	CHECK_STR(s, "1 -1 -1 1 -1 -1 1 1 ");
	/* One element differs: every counter differs by 1. */
	CHECK_INT(recon_tow_distance(both, one), 128);
	CHECK_INT(recon_estimate(128, 2, 1), 1);
	CHECK_INT(recon_estimate(0, 5, 5), 1);
	CHECK_INT(recon_estimate(129, 5, 5), 2);
	CHECK_INT(recon_estimate(128 * 600, 1000, 1100), 600);
	CHECK_INT(recon_estimate(128 * 60, 1000, 1100), 100);

	/* The MORE rule: first MORE max(ceil(1.9 d'), 2m), then 1.5 m;
	 * capped by m + 16384, the OFFER's max_cells and ours. */
	CHECK_INT(recon_more_hi(true, 128, 128 * 600, 5000, 5000, 65536, 65536), 1140);
	CHECK_INT(recon_more_hi(true, 128, 128 * 10, 5000, 5000, 65536, 65536), 256);
	CHECK_INT(recon_more_hi(true, 128, 0, 5000, 5700, 65536, 65536), 1330);
	CHECK_INT(recon_more_hi(false, 1140, 0, 0, 0, 65536, 65536), 1710);
	CHECK_INT(recon_more_hi(false, 1141, 0, 0, 0, 65536, 65536), 1712);
	CHECK_INT(recon_more_hi(true, 128, 128 * 100000, 0, 0, 1u << 20, 1u << 20), 128 + 16384);
	CHECK_INT(recon_more_hi(true, 128, 128 * 600, 0, 0, 500, 65536), 500);
	CHECK_INT(recon_more_hi(true, 128, 128 * 600, 0, 0, 65536, 300), 300);
	CHECK_INT(recon_more_hi(false, 300, 0, 0, 0, 65536, 300), 300);
	(void)zero;
}

/* ---- the decoder on random sets ----------------------------------------- */

static uint64_t rng = 0x6b657973;	/* fixed: every run the same sets */

static void
rand_digest(uint8_t d[32])
{
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t v = recon_splitmix64(&rng);

		memcpy(d + 8 * i, &v, 8);
	}
}

static int
u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Sets A = S + a_only and B = S + b_only with |S| = shared and
 * |a_only| + |b_only| = d. Prefixes grow from m0 by half each time
 * until the difference decodes; what comes out must be exactly the ids
 * of a_only and b_only. Prefixes grow by 2 % (at least one cell) at a
 * time, so the m that decodes is close to the least that does. Returns
 * it (0 if none by 2^20) and counts the failed attempts.
 */
static uint32_t
decode_random(size_t shared, size_t d, uint32_t m0, unsigned *fails)
{
	struct recon_set A, B;
	uint8_t salt[16], dg[32];
	uint64_t *want, *got;
	size_t nwant = 0, ngot, i;
	uint32_t m = m0;
	int ok = -1;

	rand_digest(dg);
	memcpy(salt, dg, 16);
	want = xcalloc(d + 1, sizeof(*want));
	*fails = 0;
	while (ok != 0 && m <= (1u << 20)) {
		uint64_t save = rng;

		recon_set_init(&A, salt, m, false);
		recon_set_init(&B, salt, m, false);
		nwant = 0;
		for (i = 0; i < shared; i++) {
			rand_digest(dg);
			recon_set_add(&A, dg, 0);
			recon_set_add(&B, dg, 0);
		}
		for (i = 0; i < d; i++) {
			rand_digest(dg);
			recon_set_add(i % 3 ? &A : &B, dg, 0);
			want[nwant++] = recon_id(&A.h, dg);
		}
		rng = save;	/* the same sets for the next m */
		recon_cells_xor(A.cells, B.cells, m);
		got = xcalloc(m, sizeof(*got));
		ok = recon_decode(A.cells, m, &A.h, got, &ngot);
		if (ok == 0) {
			qsort(want, nwant, sizeof(*want), u64cmp);
			qsort(got, ngot, sizeof(*got), u64cmp);
			CHECK(ngot == nwant && memcmp(got, want, ngot * 8) == 0,
			    "d=%zu m=%u: recovered %zu ids, not the difference",
			    d, m, ngot);
		} else {
			(*fails)++;
			m = m + (m / 50 > 0 ? m / 50 : 1);
		}
		free(got);
		recon_set_free(&A);
		recon_set_free(&B);
	}
	/* Advance past the sets for the next test. */
	for (i = 0; i < shared + d + 1; i++)
		rand_digest(dg);
	free(want);
	return ok == 0 ? m : 0;
}

/*
 * The least m that decodes d random ids, in steps of 1 %, averaged over
 * trials: the spec measured 1.38 d at d = 600 with exactly this mapping.
 */
static void
test_overhead(size_t d, int trials)
{
	struct recon_cell *c;
	uint64_t *ids = xcalloc(d, sizeof(*ids)), *out;
	double sum = 0;
	size_t n, i;
	uint32_t m;
	int t;

	for (t = 0; t < trials; t++) {
		for (i = 0; i < d; i++)
			ids[i] = recon_splitmix64(&rng);
		for (m = (uint32_t)d;; m += (uint32_t)(d / 100)) {
			c = xcalloc(m, sizeof(*c));
			out = xcalloc(m, sizeof(*out));
			for (i = 0; i < d; i++)
				recon_cells_add(c, 0, m, ids[i], recon_chk(&hs, ids[i]));
			i = (size_t)recon_decode(c, m, &hs, out, &n);
			free(c);
			free(out);
			if (i == 0)
				break;
		}
		sum += m;
	}
	printf("NOTE decoder: d=%zu decoded from %.3f d cells on average "
	    "(%d trials)\n", d, sum / trials / (double)d, trials);
	CHECK(sum / trials / (double)d > 1.3 && sum / trials / (double)d < 1.5,
	    "mean overhead %.3f at d=%zu", sum / trials / (double)d, d);
	free(ids);
}

static void
test_decoder(void)
{
	static const size_t ds[] = { 0, 1, 2, 3, 5, 10, 30, 70, 100, 300, 600,
	    1000, 3000, 10000 };
	size_t i;
	unsigned fails, total_fails = 0;
	uint32_t m;

	for (i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		size_t d = ds[i];

		/* Start below what can work, so that the failures that
		 * then succeed with more cells are exercised. */
		m = decode_random(d < 1000 ? 2000 : 500, d, d > 1 ? (uint32_t)d : 1,
		    &fails);
		printf("NOTE decoder: d=%zu decoded at m=%u after %u failures\n", d, m, fails);
		CHECK(m != 0, "d=%zu never decoded", d);
		/* Small stopping sets can outlive many cells (this seed
		 * has three elements stuck from 1.4 d to 2.2 d at d = 100),
		 * so one trial is held to a loose bound; the mean is
		 * checked below; small d need relatively more (spec 6:
		 * a 95th percentile near 3 d at d <= 30). */
		CHECK(m <= (d < 100 ? 6.0 : 2.5) * (double)d + 10,
		    "d=%zu needed %u cells", d, m);
		if (d >= 10)
			CHECK(fails > 0, "d=%zu decoded from d cells at once", d);
		total_fails += fails;
	}
	CHECK(total_fails > 0, "no peeling failure at all");
	test_overhead(600, 20);

	/* Corrupt input: a cell that looks pure but is not, and garbage. */
	{
		struct recon_cell c[64];
		uint64_t ids[64];
		size_t n;

		memset(c, 0, sizeof(c));
		recon_cells_add(c, 0, 64, 42, recon_chk(&hs, 42));
		c[0].idsum ^= 1;	/* cell 0 no longer holds 42 alone */
		CHECK_INT(recon_decode(c, 64, &hs, ids, &n), -1);
		for (n = 0; n < 64; n++) {
			c[n].idsum = recon_splitmix64(&rng);
			c[n].chksum = (uint32_t)recon_splitmix64(&rng);
		}
		CHECK_INT(recon_decode(c, 64, &hs, ids, &n), -1);
		CHECK(n <= 64, "at most m ids");
		/* An element XORed in twice is nothing; three times, once. */
		memset(c, 0, sizeof(c));
		recon_cells_add(c, 0, 64, 7, recon_chk(&hs, 7));
		recon_cells_add(c, 0, 64, 7, recon_chk(&hs, 7));
		recon_cells_add(c, 0, 64, 7, recon_chk(&hs, 7));
		CHECK_INT(recon_decode(c, 64, &hs, ids, &n), 0);
		CHECK_INT(n, 1);
		CHECK_INT(ids[0], 7);
	}
}

/* The responder's view: ids found by recon_set_find are its own. */
static void
test_set_find(void)
{
	struct recon_set s;
	uint8_t salt[16] = { 1 }, dg[32];
	uint64_t id5 = 0;
	bool found;
	int64_t i;

	recon_set_init(&s, salt, 0, true);
	for (i = 0; i < 1000; i++) {
		rand_digest(dg);
		recon_set_add(&s, dg, i * 10);
		if (i == 5)
			id5 = recon_id(&s.h, dg);
	}
	CHECK_INT(recon_set_find(&s, id5, &found), 50);
	CHECK(found, "own id found");
	(void)recon_set_find(&s, id5 ^ 1, &found);
	CHECK(!found, "another id not found");
	CHECK_INT(s.n, 1000);
	recon_set_free(&s);
}

/* ---- Ed25519, the server key, the record ----------------------------- */

#define RFC8032_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"

static void
test_ed25519(void)
{
	uint8_t seed[32], pub[32], sig[64];

	unhex(RFC8032_SEED, seed);
	CHECK_INT(pgp_ed25519_public(seed, pub), 0);
	CHECK_STR(hx(pub, 32), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	CHECK_INT(pgp_ed25519_sign(seed, (const uint8_t *)"", 0, sig), 0);
	CHECK_STR(hx(sig, 64), "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
	CHECK_INT(pgp_ed25519_verify(pub, (const uint8_t *)"", 0, sig), 0);
	sig[10] ^= 1;
	CHECK_INT(pgp_ed25519_verify(pub, (const uint8_t *)"", 0, sig), -1);
}

static const char keyfile[] =
    "keymail-server-key 1\n"
    "created 1764547200\n"
    "ed25519-seed " RFC8032_SEED "\n";

static int
first_key(void *ctx, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	struct pgp_key **out = ctx;

	(void)fpr; (void)fprlen; (void)detail;
	if (st == PGP_OK && *out == NULL)
		*out = key;
	else if (st == PGP_OK)
		pgp_key_free(key);
	return 0;
}

static struct recon_server_key skey;
static struct pgp_key *spub;

static void
test_server_key(void)
{
	struct buf a, b, t;
	const char *why;
	char detail[256];
	struct recon_server_key k2;
	static const char *const bad[] = {
		"keymail-server-key 2\ncreated 1\ned25519-seed " RFC8032_SEED "\n",
		"keymail-server-key 1\ncreated 01\ned25519-seed " RFC8032_SEED "\n",
		"keymail-server-key 1\ncreated \ned25519-seed " RFC8032_SEED "\n",
		"keymail-server-key 1\ncreated 99999999999\ned25519-seed " RFC8032_SEED "\n",
		"keymail-server-key 1\ncreated 1\ned25519-seed " RFC8032_SEED,
		"keymail-server-key 1\ncreated 1\ned25519-seed " RFC8032_SEED "\n\n",
		"keymail-server-key 1\ncreated 1\ned25519-seed 9D61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n",
		"keymail-server-key 1\r\ncreated 1\r\ned25519-seed " RFC8032_SEED "\r\n",
		"keymail-server-key 1\ncreated 1\ned25519-seed 9d61\n",
		"",
	};
	size_t i;

	CHECK_INT(recon_server_key_parse(keyfile, strlen(keyfile), &skey, &why), 0);
	CHECK_INT(skey.created, 1764547200);
	CHECK_STR(hx(skey.pub, 32), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(recon_server_key_parse(bad[i], strlen(bad[i]), &k2, &why) == -1,
		    "bad key file %zu accepted", i);
	buf_init(&t, 0);
	recon_server_key_text(&skey, &t);
	CHECK_STR((const char *)t.data, keyfile);
	buf_free(&t);

	buf_init(&a, 0);
	buf_init(&b, 0);
	CHECK_INT(recon_server_key_public(&skey, "pgp-public-keys@a.keys.test", &a), 0);
	CHECK_INT(recon_server_key_public(&skey, "pgp-public-keys@a.keys.test", &b), 0);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
	    "the public key is the same octets every time");
	/* Key packet: 2 + 51, user ID: 2 + 47, signature. */
	CHECK_INT(a.data[0], 0x99 - 0x01);	/* old format, tag 6, 1-octet length */
	CHECK_INT(a.data[1], 51);
	CHECK_STR(hx(a.data + 2, 16), "04692cda8016092b06010401da470f01");
	pgp_keys_read(a.data, a.len, NULL, first_key, &spub);
	CHECK(spub != NULL, "our public key parses");
	if (spub != NULL) {
		CHECK_INT(pgp_key_check(spub, time(NULL), detail, sizeof(detail)), PGP_OK);
		CHECK_INT(spub->nuids, 1);
		CHECK_INT(spub->uids[0].valid, 1);
		CHECK_INT(spub->uids[0].sigs[0].state, PGP_SIG_GOOD);
		CHECK_INT(spub->uids[0].sigs[0].type, 0x13);
		CHECK_INT(spub->uids[0].sigs[0].hashalgo, PGP_HASH_SHA512);
		CHECK_INT(spub->uids[0].sigs[0].key_flags, 3);
		CHECK_INT(spub->uids[0].sigs[0].created, 1764547200);
		CHECK_INT(spub->pub.bits, 255);
		CHECK_INT(spub->pub.fprlen, 20);
		CHECK(memcmp(spub->pub.fpr, skey.signer.fpr, 20) == 0,
		    "fingerprint as the parser computes it");
		CHECK_INT(strlen(skey.fpr_hex), 40);
	}
	buf_free(&a);
	buf_free(&b);
}

static void
test_signature(void)
{
	struct buf sig;
	const uint8_t doc[] = "a document";
	const char *why = NULL;
	uint32_t created = 0;

	if (spub == NULL)
		return;
	buf_init(&sig, 0);
	CHECK_INT(pgp_sign_ed25519(&skey.signer, PGP_SIG_BINARY, 1800000000, -1,
	    doc, sizeof(doc), &sig), 0);
	/* The spec's "about 119 octets". */
	CHECK(sig.len >= 110 && sig.len <= 125, "signature of %zu octets", sig.len);
	CHECK_INT(pgp_verify_binary(spub, doc, sizeof(doc), sig.data, sig.len,
	    &created, &why), PGP_OK);
	CHECK_INT(created, 1800000000);
	CHECK_INT(pgp_verify_binary(spub, doc, sizeof(doc) - 1, sig.data,
	    sig.len, NULL, &why), PGP_ERR_BAD_SIG);
	CHECK_INT(pgp_verify_binary(spub, doc, sizeof(doc), sig.data,
	    sig.len - 1, NULL, &why), PGP_ERR_MALFORMED);
	sig.data[sig.len - 3] ^= 0x10;
	CHECK_INT(pgp_verify_binary(spub, doc, sizeof(doc), sig.data, sig.len,
	    NULL, &why), PGP_ERR_BAD_SIG);
	buf_free(&sig);
}

static size_t
make_record(struct buf *out, uint8_t type, const struct buf *body, uint16_t seq)
{
	struct recon_header h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.sid = 0x0102030405060708ULL;
	h.seq = seq;
	h.time = 1800000000;
	memcpy(h.sender, skey.signer.fpr, 20);
	memset(h.recipient, 0xaa, 20);
	buf_reset(out);
	CHECK_INT(recon_record_make(&h, body->data, body->len, &skey.signer, out), 0);
	return out->len;
}

static void
test_record(void)
{
	struct buf body, rec;
	struct recon_record r;
	struct recon_cell cells[16];
	int32_t tow[128];
	uint64_t want[3] = { 1, 5, 0xffffffffffffffffULL };
	uint8_t salt[16] = { 9 };
	const char *why;
	size_t i, n;

	if (spub == NULL)
		return;
	buf_init(&body, 0);
	buf_init(&rec, 0);
	for (i = 0; i < 128; i++)
		tow[i] = (int32_t)i - 64;
	for (i = 0; i < 16; i++) {
		cells[i].idsum = i * 0x1111111111111111ULL;
		cells[i].chksum = (uint32_t)i;
	}

	recon_body_offer(&body, salt, 1000, 16, 65536, tow, cells);
	CHECK_INT(body.len, 30 + 4 * 128 + 12 * 16);
	n = make_record(&rec, RECON_OFFER, &body, 1);
	CHECK_INT(recon_record_frame(rec.data, n, &r, &why), 0);
	CHECK_INT(r.h.type, RECON_OFFER);
	CHECK_INT(r.h.seq, 1);
	CHECK_INT(r.h.sid, 0x0102030405060708ULL);
	CHECK_INT(r.h.time, 1800000000);
	CHECK_INT(recon_record_verify(&r, spub, &why), PGP_OK);
	CHECK_INT(recon_record_body(&r, &why), 0);
	CHECK_INT(r.u.offer.n, 1000);
	CHECK_INT(r.u.offer.m, 16);
	CHECK_INT(r.u.offer.max_cells, 65536);
	CHECK_INT(r.u.offer.tow[0], -64);
	CHECK_INT(r.u.offer.tow[127], 63);
	{
		struct recon_cell back[16];

		recon_cells_get(back, r.u.offer.cells, 16);
		CHECK(same_cells(back, cells, 16), "OFFER cells");
	}
	/* Every octet of header and body is signed. */
	for (i = 0; i < r.signed_len; i += 37) {
		rec.data[i] ^= 0x40;
		if (recon_record_frame(rec.data, n, &r, &why) == 0)
			CHECK(recon_record_verify(&r, spub, &why) != PGP_OK,
			    "octet %zu changed and still verifies", i);
		rec.data[i] ^= 0x40;
	}
	/* Cut anywhere: never a record. */
	for (i = 0; i < n; i += 7)
		CHECK(recon_record_frame(rec.data, i, &r, &why) == -1,
		    "cut at %zu framed", i);
	/* Something after the signature. */
	buf_putc(&rec, 0);
	CHECK_INT(recon_record_frame(rec.data, rec.len, &r, &why), -1);

	/* The other bodies, and their length rules. */
	buf_reset(&body);
	recon_body_more(&body, 128, 1140, 600, 990);
	n = make_record(&rec, RECON_MORE, &body, 2);
	CHECK_INT(recon_record_frame(rec.data, n, &r, &why), 0);
	CHECK_INT(recon_record_body(&r, &why), 0);
	CHECK_INT(r.u.more.hi, 1140);
	CHECK_INT(r.u.more.d_est, 600);
	buf_reset(&body);
	recon_body_more(&body, 128, 128 + 16385, 600, 990);
	n = make_record(&rec, RECON_MORE, &body, 2);
	CHECK_INT(recon_record_frame(rec.data, n, &r, &why), 0);
	CHECK_INT(recon_record_body(&r, &why), -1);

	buf_reset(&body);
	recon_body_cells(&body, 16, 32, cells);
	n = make_record(&rec, RECON_CELLS, &body, 3);
	CHECK_INT(recon_record_frame(rec.data, n, &r, &why), 0);
	CHECK_INT(recon_record_body(&r, &why), 0);
	CHECK_INT(r.u.cells.lo, 16);
	CHECK_INT(r.u.cells.hi, 32);
	buf_reset(&body);
	recon_body_cells(&body, 16, 31, cells);
	buf_append(&body, "123456789012", 12);	/* one cell too many */
	n = make_record(&rec, RECON_CELLS, &body, 3);
	CHECK_INT(recon_record_frame(rec.data, n, &r, &why), 0);
	CHECK_INT(recon_record_body(&r, &why), -1);

	buf_reset(&body);
	recon_body_result(&body, 990, 1140, 7, want, 3);
	n = make_record(&rec, RECON_RESULT, &body, 4);
	CHECK_INT(recon_record_frame(rec.data, n, &r, &why), 0);
	CHECK_INT(recon_record_body(&r, &why), 0);
	CHECK_INT(r.u.result.w, 3);
	CHECK_INT(r.u.result.r_only, 7);
	want[1] = 1;		/* a repeat */
	buf_reset(&body);
	recon_body_result(&body, 990, 1140, 7, want, 3);
	n = make_record(&rec, RECON_RESULT, &body, 4);
	CHECK_INT(recon_record_frame(rec.data, n, &r, &why), 0);
	CHECK_INT(recon_record_body(&r, &why), -1);

	buf_reset(&body);
	recon_body_done(&body, 3, 0, 1);
	n = make_record(&rec, RECON_DONE, &body, 5);
	CHECK_INT(recon_record_frame(rec.data, n, &r, &why), 0);
	CHECK_INT(recon_record_body(&r, &why), 0);
	CHECK_INT(r.u.done.skipped, 1);

	buf_reset(&body);
	recon_body_abort(&body, RECON_TOO_LARGE);
	n = make_record(&rec, RECON_ABORT, &body, 6);
	CHECK_INT(recon_record_frame(rec.data, n, &r, &why), 0);
	CHECK_INT(recon_record_body(&r, &why), 0);
	CHECK_STR(recon_reason_name(r.u.abort.reason), "too-large");
	buf_reset(&body);
	recon_body_abort(&body, 7);
	n = make_record(&rec, RECON_ABORT, &body, 6);
	CHECK_INT(recon_record_frame(rec.data, n, &r, &why), 0);
	CHECK_INT(recon_record_body(&r, &why), -1);

	CHECK_INT(recon_type_parse("cells"), RECON_CELLS);
	CHECK_INT(recon_type_parse("Abort"), RECON_ABORT);
	CHECK_INT(recon_type_parse("incremental"), 0);
	buf_free(&body);
	buf_free(&rec);
}

/* pgp_armor_size: exactly what pgp_armor_encode writes (the batches of
 * keys a session mails are cut by it). */
static void
test_armor_size(void)
{
	uint8_t data[300];
	struct buf out;
	size_t n, bad = 0;

	memset(data, 0xa5, sizeof(data));
	buf_init(&out, 0);
	for (n = 0; n < sizeof(data); n++) {
		buf_reset(&out);
		pgp_armor_encode(data, n, &out);
		if (out.len != pgp_armor_size(n))
			bad++;
	}
	CHECK_INT(bad, 0);
	buf_free(&out);
}

int
main(void)
{
	test_armor_size();
	test_digest();
	test_hashes();
	test_cells();
	test_tow();
	test_decoder();
	test_set_find();
	test_ed25519();
	test_server_key();
	test_signature();
	test_record();
	if (spub != NULL)
		pgp_key_free(spub);
	recon_server_key_clear(&skey);
	return check_done();
}
