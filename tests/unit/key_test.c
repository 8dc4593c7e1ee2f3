/*
 * tests/unit/key_test.c - pgp/packet.c, key.c, merge.c, util.c: packet
 * framing, key assembly rules, signature subpackets, canonical form and
 * merge, presentation helpers; then the shared corpus of real keys
 * (../shared/testdata/keys, read in place; skipped with a NOTE when
 * absent): fingerprints against MANIFEST.tsv, secret keys refused, merge
 * order independence and write/parse round trips.
 *
 * Synthetic streams are built here, packet by packet, from one real GnuPG
 * key (pgp_fixture.h) with a test-side packet writer, so that framing is
 * checked against an implementation other than the one under test.
 */
#include <dirent.h>
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

/* ---- helpers ---------------------------------------------------------- */

struct tpkt {
	uint8_t tag;
	const uint8_t *body;
	size_t len;
	size_t off, end;	/* position of the whole packet in the input */
};

/* Test-side packet splitter (no partial lengths). */
static size_t
split(const uint8_t *d, size_t n, struct tpkt *p, size_t max)
{
	size_t i = 0, o = 0, len, hl;

	while (o < n && i < max) {
		uint8_t c = d[o];

		if (c & 0x40) {
			uint8_t l1 = d[o + 1];

			if (l1 < 192) {
				len = l1;
				hl = 2;
			} else if (l1 < 224) {
				len = ((size_t)(l1 - 192) << 8) + d[o + 2] + 192;
				hl = 3;
			} else {
				len = ((size_t)d[o + 2] << 24) |
				    ((size_t)d[o + 3] << 16) |
				    ((size_t)d[o + 4] << 8) | d[o + 5];
				hl = 6;
			}
			p[i].tag = c & 0x3f;
		} else {
			int lt = c & 3;

			hl = lt == 0 ? 2 : lt == 1 ? 3 : 5;
			len = 0;
			for (size_t k = 1; k < hl; k++)
				len = (len << 8) | d[o + k];
			p[i].tag = (c >> 2) & 0x0f;
		}
		p[i].body = d + o + hl;
		p[i].len = len;
		p[i].off = o;
		p[i].end = o + hl + len;
		o += hl + len;
		i++;
	}
	return i;
}

enum hfmt { OLD1, OLD2, OLD4, NEW1, NEW2, NEW5, NFMT };

static const char *const fmtname[NFMT] = {
	"old 1-octet", "old 2-octet", "old 4-octet", "new 1-octet",
	"new 2-octet", "new 5-octet",
};

/* Append a packet with the given header form, widening when the length
 * does not fit it (or the tag cannot be old format). */
static void
put_pkt(struct buf *b, uint8_t tag, const uint8_t *body, size_t len,
    enum hfmt f)
{
	uint8_t h[6];
	size_t n = 0;

	if (tag >= 16 && f < NEW1)
		f = NEW5;
	if (f == OLD1 && len >= 0x100)
		f = OLD2;
	if (f == OLD2 && len >= 0x10000)
		f = OLD4;
	if (f == NEW1 && len >= 192)
		f = NEW2;
	if (f == NEW2 && (len < 192 || len >= 8384))
		f = NEW5;
	switch (f) {
	case OLD1:
		h[n++] = (uint8_t)(0x80 | tag << 2);
		h[n++] = (uint8_t)len;
		break;
	case OLD2:
		h[n++] = (uint8_t)(0x80 | tag << 2 | 1);
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
		break;
	case OLD4:
		h[n++] = (uint8_t)(0x80 | tag << 2 | 2);
		h[n++] = (uint8_t)(len >> 24);
		h[n++] = (uint8_t)(len >> 16);
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
		break;
	case NEW1:
		h[n++] = (uint8_t)(0xc0 | tag);
		h[n++] = (uint8_t)len;
		break;
	case NEW2:
		h[n++] = (uint8_t)(0xc0 | tag);
		h[n++] = (uint8_t)(((len - 192) >> 8) + 192);
		h[n++] = (uint8_t)(len - 192);
		break;
	default:
		h[n++] = (uint8_t)(0xc0 | tag);
		h[n++] = 0xff;
		h[n++] = (uint8_t)(len >> 24);
		h[n++] = (uint8_t)(len >> 16);
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
		break;
	}
	buf_append(b, h, n);
	buf_append(b, body, len);
}

#define MAXRES 16

struct res {
	size_t n;
	enum pgp_status st[MAXRES];
	char fpr[MAXRES][65];
	char detail[MAXRES][200];
	struct pgp_key *key[MAXRES];
	size_t nok;
};

static int
collect(void *ctx, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	struct res *r = ctx;
	size_t i = r->n++;

	if (st == PGP_OK)
		r->nok++;
	if (i >= MAXRES) {
		pgp_key_free(key);
		return 0;
	}
	r->st[i] = st;
	r->key[i] = key;
	pgp_hex(fpr, fprlen, r->fpr[i]);
	snprintf(r->detail[i], sizeof(r->detail[i]), "%s",
	    detail ? detail : "");
	return 0;
}

static void
res_free(struct res *r)
{
	size_t i;

	for (i = 0; i < r->n && i < MAXRES; i++)
		pgp_key_free(r->key[i]);
	memset(r, 0, sizeof(*r));
}

static enum pgp_status
readall(const uint8_t *d, size_t n, const struct pgp_limits *lim,
    struct res *r)
{
	memset(r, 0, sizeof(*r));
	return pgp_keys_read(d, n, lim, collect, r);
}

static size_t
count_packets(const struct pgp_key *k)
{
	size_t n = 1 + k->nsigs, i;

	for (i = 0; i < k->nuids; i++)
		n += 1 + k->uids[i].nsigs;
	for (i = 0; i < k->nsubkeys; i++)
		n += 1 + k->subkeys[i].nsigs;
	return n;
}

/* Canonical bytes of a key (canonicalizes it). Caller frees. */
static uint8_t *
canon_bytes(struct pgp_key *k, size_t *len)
{
	struct buf b;

	buf_init(&b, 0);
	pgp_key_canonicalize(k);
	if (pgp_key_write(k, &b) != 0)
		*len = 0;
	else
		*len = b.len;
	return b.data;
}

static struct pgp_key *
parse_buf(const struct buf *b, enum pgp_status *st)
{
	return pgp_key_parse_one(b->data, b->len, NULL, st);
}

/* The fixture in binary, and its packets. */
static uint8_t *fix;
static size_t fixlen;
static struct tpkt fp[FIXTURE_PACKETS];
static size_t nfp;
static uint8_t *fixcanon;
static size_t fixcanonlen;

enum { P_PUB, P_UID1, P_SIG1, P_UID2, P_SIG2, P_SUB, P_SIG3 };

static int
armor_cb(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	struct buf *b = ctx;

	(void)kind;
	(void)crc_ok;
	if (st == PGP_OK)
		buf_append(b, data, len);
	return 0;
}

static int
load_fixture(void)
{
	struct buf b;
	struct res r;

	buf_init(&b, 0);
	pgp_armor_scan(fixture_asc, strlen(fixture_asc), 0, armor_cb, &b);
	fix = b.data;
	fixlen = b.len;
	CHECK_INT(fixlen, FIXTURE_LEN);
	nfp = split(fix, fixlen, fp, FIXTURE_PACKETS);
	CHECK_INT(nfp, FIXTURE_PACKETS);
	if (fixlen != FIXTURE_LEN || nfp != FIXTURE_PACKETS)
		return -1;
	readall(fix, fixlen, NULL, &r);
	if (r.n == 1 && r.st[0] == PGP_OK)
		fixcanon = canon_bytes(r.key[0], &fixcanonlen);
	res_free(&r);
	return fixcanon != NULL ? 0 : -1;
}

/* Build a stream from fixture packets: idx lists packet indexes (-1 ends),
 * written with format f. */
static void
build(struct buf *b, const int *idx, enum hfmt f)
{
	for (; *idx >= 0; idx++)
		put_pkt(b, fp[*idx].tag, fp[*idx].body, fp[*idx].len, f);
}

static const int ALL[] = { 0, 1, 2, 3, 4, 5, 6, -1 };

/* ---- the fixture ------------------------------------------------------ */

static void
test_fixture_fields(void)
{
	struct res r;
	struct pgp_key *k;
	char hex[65];
	size_t i;

	CHECK_INT(readall(fix, fixlen, NULL, &r), PGP_OK);
	CHECK_INT(r.n, 1);
	if (r.n != 1 || r.st[0] != PGP_OK) {
		res_free(&r);
		return;
	}
	k = r.key[0];
	pgp_hex(k->pub.fpr, k->pub.fprlen, hex);
	CHECK_STR(hex, FIXTURE_FPR);
	CHECK_STR(r.fpr[0], FIXTURE_FPR);
	pgp_hex(k->pub.keyid, 8, hex);
	CHECK_STR(hex, FIXTURE_KEYID);
	CHECK_INT(k->pub.version, 4);
	CHECK_INT(k->pub.algo, PGP_PK_EDDSA_LEGACY);
	CHECK_INT(k->pub.bits, 255);
	CHECK_STR(k->pub.curve, "ed25519");
	CHECK_INT(k->pub.created, 1795307289);
	CHECK_INT(k->pub.material_off, 6);
	CHECK_INT(k->primary_uid, -1);
	CHECK_INT(k->nsigs, 0);
	CHECK_INT(k->nuids, 2);
	CHECK_INT(k->nsubkeys, 1);
	CHECK_INT(count_packets(k), FIXTURE_PACKETS);
	for (i = 0; i < k->nuids; i++) {
		const struct pgp_sig *s = &k->uids[i].sigs[0];

		CHECK_INT(k->uids[i].nsigs, 1);
		CHECK_INT(s->version, 4);
		CHECK_INT(s->type, PGP_SIG_CERT_POSITIVE);
		CHECK_INT(s->pkalgo, PGP_PK_EDDSA_LEGACY);
		CHECK_INT(s->hashalgo, PGP_HASH_SHA256);
		CHECK_INT(s->created, 1795307289);
		CHECK_INT(s->key_flags, 0x03);
		CHECK(s->has_issuer && memcmp(s->issuer, k->pub.keyid, 8) == 0,
		    "uid %zu sig issuer: want the primary key ID", i);
		CHECK(s->issuer_fpr_len == 20 &&
		    memcmp(s->issuer_fpr, k->pub.fpr, 20) == 0,
		    "uid %zu sig issuer fpr: got length %zu, want the primary "
		    "fingerprint", i, s->issuer_fpr_len);
		CHECK_INT(s->has_unknown_critical, 0);
		CHECK_INT(s->state, PGP_SIG_UNCHECKED);
		CHECK_INT(s->hashed_off, 6);
		CHECK(s->mpi_off > s->unhashed_off + s->unhashed_len - 1 &&
		    s->mpi_off < s->pkt.len, "mpi_off %zu out of place",
		    s->mpi_off);
	}
	if (k->nsubkeys == 1) {
		const struct pgp_component *c = &k->subkeys[0];

		pgp_hex(c->sub.fpr, c->sub.fprlen, hex);
		CHECK_STR(hex, FIXTURE_SUBFPR);
		CHECK_INT(c->sub.algo, PGP_PK_ECDH);
		CHECK_STR(c->sub.curve, "cv25519");
		CHECK_INT(c->sub.bits, 255);
		CHECK_INT(c->nsigs, 1);
		CHECK_INT(c->sigs[0].type, PGP_SIG_SUBKEY_BINDING);
		CHECK_INT(c->sigs[0].key_flags, 0x0c);
	}
	res_free(&r);
}

/* ---- framing ---------------------------------------------------------- */

static void
test_header_forms(void)
{
	struct buf b;
	struct res r;
	enum pgp_status st;
	size_t len;
	uint8_t *out;
	int f, i;

	/* The whole fixture in each header form, and in a mix. */
	for (f = 0; f <= NFMT; f++) {
		buf_init(&b, 0);
		if (f < NFMT) {
			build(&b, ALL, (enum hfmt)f);
		} else {
			for (i = 0; i < (int)nfp; i++)
				put_pkt(&b, fp[i].tag, fp[i].body, fp[i].len,
				    (enum hfmt)(i % NFMT));
		}
		st = readall(b.data, b.len, NULL, &r);
		CHECK(st == PGP_OK && r.n == 1 && r.st[0] == PGP_OK &&
		    strcmp(r.fpr[0], FIXTURE_FPR) == 0,
		    "%s headers: got %s, %zu keys, fpr %s", f < NFMT ?
		    fmtname[f] : "mixed", pgp_strerror(st), r.n,
		    r.n ? r.fpr[0] : "-");
		if (r.n == 1 && r.key[0] != NULL) {
			CHECK_INT(count_packets(r.key[0]), FIXTURE_PACKETS);
			out = canon_bytes(r.key[0], &len);
			CHECK(len == fixcanonlen &&
			    memcmp(out, fixcanon, len) == 0,
			    "%s headers: canonical bytes differ",
			    f < NFMT ? fmtname[f] : "mixed");
			free(out);
		}
		res_free(&r);
		free(b.data);
	}
}

/* A user ID of each boundary length, in each header form. */
static void
test_length_boundaries(void)
{
	static const size_t lens[] = { 0, 1, 191, 192, 255, 256, 8383, 8384,
	    65535, 65536, 70000 };
	struct pgp_limits lim = { 10u << 20, 1000, 100000, 0 };
	struct buf b;
	struct res r;
	uint8_t *uid = malloc(70000);
	size_t i;
	int f;
	bool ok;

	memset(uid, 'u', 70000);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (f = 0; f < NFMT; f++) {
			buf_init(&b, 0);
			build(&b, (const int[]){ P_PUB, P_UID1, P_SIG1, -1 },
			    NEW1);
			put_pkt(&b, 13, uid, lens[i], (enum hfmt)f);
			build(&b, (const int[]){ P_SIG2, -1 }, OLD1);
			readall(b.data, b.len, &lim, &r);
			ok = r.n == 1 && r.st[0] == PGP_OK &&
			    r.key[0]->nuids == 2 &&
			    r.key[0]->uids[1].pkt.len == lens[i] &&
			    r.key[0]->uids[1].nsigs == 1;
			CHECK(ok, "uid of %zu octets, %s header: got %zu keys, "
			    "st %s", lens[i], fmtname[f], r.n,
			    r.n ? pgp_strerror(r.st[0]) : "-");
			res_free(&r);
			free(b.data);
		}
	}
	free(uid);
}

static void
test_partial_and_indeterminate(void)
{
	struct buf b;
	struct res r;
	enum pgp_status st;
	const struct tpkt *u = &fp[P_UID2];
	uint8_t h;

	/* Partial body length on a user ID: the key is refused, the next
	 * key is read. */
	buf_init(&b, 0);
	build(&b, (const int[]){ P_PUB, P_UID1, P_SIG1, -1 }, OLD1);
	h = 0xc0 | 13;
	buf_append(&b, &h, 1);
	h = 0xe0;			/* partial chunk of 2^0 = 1 octet */
	buf_append(&b, &h, 1);
	buf_append(&b, u->body, 1);
	h = 0xe1;			/* partial chunk of 2 octets */
	buf_append(&b, &h, 1);
	buf_append(&b, u->body + 1, 2);
	h = (uint8_t)(u->len - 3);	/* final chunk, 1-octet length */
	buf_append(&b, &h, 1);
	buf_append(&b, u->body + 3, u->len - 3);
	build(&b, (const int[]){ P_SIG2, P_SUB, P_SIG3, -1 }, OLD1);
	build(&b, ALL, OLD1);
	st = readall(b.data, b.len, NULL, &r);
	CHECK_INT(st, PGP_OK);
	CHECK(r.n == 2 && r.st[0] == PGP_ERR_MALFORMED &&
	    strcmp(r.fpr[0], FIXTURE_FPR) == 0 &&
	    strstr(r.detail[0], "partial") != NULL && r.st[1] == PGP_OK,
	    "partial uid: got %zu results, first %s (%s) fpr %s, want "
	    "MALFORMED with fingerprint, then OK", r.n,
	    r.n ? pgp_strerror(r.st[0]) : "-", r.n ? r.detail[0] : "",
	    r.n ? r.fpr[0] : "");
	res_free(&r);
	free(b.data);

	/* Partial length on the primary key. */
	buf_init(&b, 0);
	h = 0xc0 | 6;
	buf_append(&b, &h, 1);
	h = 0xe0;
	buf_append(&b, &h, 1);
	buf_append(&b, fp[P_PUB].body, 1);
	h = (uint8_t)(fp[P_PUB].len - 1);
	buf_append(&b, &h, 1);
	buf_append(&b, fp[P_PUB].body + 1, fp[P_PUB].len - 1);
	build(&b, (const int[]){ P_UID1, P_SIG1, -1 }, OLD1);
	st = readall(b.data, b.len, NULL, &r);
	CHECK(st == PGP_OK && r.n == 1 && r.st[0] == PGP_ERR_MALFORMED,
	    "partial primary: got %s, %zu results, first %s",
	    pgp_strerror(st), r.n, r.n ? pgp_strerror(r.st[0]) : "-");
	res_free(&r);

	/* A partial chunk cut short. */
	b.len = 0;
	buf_append(&b, (const uint8_t[]){ 0xc0 | 6, 0xe1, 4 }, 3);
	st = readall(b.data, b.len, NULL, &r);
	CHECK(st == PGP_ERR_TRUNCATED && r.n == 0, "cut partial: got %s, %zu "
	    "results", pgp_strerror(st), r.n);
	res_free(&r);
	free(b.data);

	/* Old-format indeterminate length (type 3) on the last packet. */
	buf_init(&b, 0);
	build(&b, (const int[]){ P_PUB, P_UID1, P_SIG1, P_UID2, P_SIG2,
	    P_SUB, -1 }, OLD1);
	h = 0x80 | 2 << 2 | 3;
	buf_append(&b, &h, 1);
	buf_append(&b, fp[P_SIG3].body, fp[P_SIG3].len);
	st = readall(b.data, b.len, NULL, &r);
	CHECK(st == PGP_ERR_MALFORMED && r.n == 1 &&
	    r.st[0] == PGP_ERR_MALFORMED &&
	    strstr(r.detail[0], "indeterminate") != NULL,
	    "indeterminate length: got %s, %zu results, first %s (%s)",
	    pgp_strerror(st), r.n, r.n ? pgp_strerror(r.st[0]) : "-",
	    r.n ? r.detail[0] : "");
	res_free(&r);
	free(b.data);
}

/* Every cut of the fixture: a clean end at packet boundaries, TRUNCATED
 * (reported on the key, with its fingerprint) elsewhere, never a crash. */
static void
test_truncation(void)
{
	struct res r;
	enum pgp_status st;
	size_t cut, i, bad = 0, firstbad = 0;
	bool boundary, ok;

	for (cut = 1; cut < fixlen; cut++) {
		uint8_t *copy = malloc(cut);	/* so ASan sees overreads */

		memcpy(copy, fix, cut);
		boundary = false;
		for (i = 0; i < nfp; i++)
			if (fp[i].end == cut)
				boundary = true;
		st = readall(copy, cut, NULL, &r);
		if (boundary)
			ok = st == PGP_OK && r.n == 1 && r.st[0] == PGP_OK;
		else if (cut < fp[P_PUB].end)
			ok = st == PGP_ERR_TRUNCATED && r.n == 0;
		else
			ok = st == PGP_ERR_TRUNCATED && r.n == 1 &&
			    r.st[0] == PGP_ERR_TRUNCATED &&
			    strcmp(r.fpr[0], FIXTURE_FPR) == 0;
		if (!ok && bad++ == 0)
			firstbad = cut;
		res_free(&r);
		free(copy);
	}
	CHECK(bad == 0, "truncation: %zu of %zu cuts wrong, first at %zu",
	    bad, fixlen - 1, firstbad);
}

static void
test_stream_rules(void)
{
	static const uint8_t marker[] = { 'P', 'G', 'P' };
	static const uint8_t trust[] = { 0, 0 };
	static const uint8_t junk[] = { 1, 2, 3, 4 };
	static const uint8_t message_tags[] = { 1, 3, 4, 8, 9, 11, 18, 19, 20 };
	struct buf b;
	struct res r;
	enum pgp_status st;
	uint8_t *out, c;
	size_t len;
	int i;

	/* Empty input. */
	st = readall((const uint8_t *)"", 0, NULL, &r);
	CHECK(st == PGP_OK && r.n == 1 && r.st[0] == PGP_ERR_NO_PRIMARY,
	    "empty: got %s, %zu results", pgp_strerror(st), r.n);
	res_free(&r);

	/* Leading junk is reported once, then keys are read. */
	buf_init(&b, 0);
	build(&b, (const int[]){ P_SIG1, P_UID1, P_SIG2, -1 }, OLD1);
	build(&b, ALL, OLD1);
	st = readall(b.data, b.len, NULL, &r);
	CHECK(st == PGP_OK && r.n == 2 && r.st[0] == PGP_ERR_NO_PRIMARY &&
	    r.st[1] == PGP_OK, "leading junk: got %s, %zu results, first %s",
	    pgp_strerror(st), r.n, r.n ? pgp_strerror(r.st[0]) : "-");
	res_free(&r);
	free(b.data);

	/* A secret subkey before any key is SECRET, with its fingerprint. */
	buf_init(&b, 0);
	put_pkt(&b, 7, fp[P_SUB].body, fp[P_SUB].len, OLD1);
	build(&b, ALL, OLD1);
	st = readall(b.data, b.len, NULL, &r);
	CHECK(st == PGP_OK && r.n == 2 && r.st[0] == PGP_ERR_SECRET &&
	    strcmp(r.fpr[0], FIXTURE_SUBFPR) == 0 && r.st[1] == PGP_OK,
	    "leading secret subkey: got %zu results, first %s fpr %s",
	    r.n, r.n ? pgp_strerror(r.st[0]) : "-", r.n ? r.fpr[0] : "");
	res_free(&r);
	free(b.data);

	/* Marker, trust and padding packets are dropped wherever they are. */
	buf_init(&b, 0);
	put_pkt(&b, 10, marker, sizeof(marker), OLD1);
	for (i = 0; i < (int)nfp; i++) {
		put_pkt(&b, fp[i].tag, fp[i].body, fp[i].len, NEW1);
		put_pkt(&b, i % 2 ? 12 : 21, trust, sizeof(trust), NEW1);
	}
	st = readall(b.data, b.len, NULL, &r);
	CHECK(st == PGP_OK && r.n == 1 && r.st[0] == PGP_OK,
	    "marker/trust/padding: got %s, %zu results, first %s",
	    pgp_strerror(st), r.n, r.n ? pgp_strerror(r.st[0]) : "-");
	if (r.n == 1 && r.key[0] != NULL) {
		out = canon_bytes(r.key[0], &len);
		CHECK(len == fixcanonlen && memcmp(out, fixcanon, len) == 0,
		    "marker/trust/padding: canonical bytes differ");
		free(out);
	}
	res_free(&r);
	free(b.data);

	/* Message packets inside a key (session keys, one-pass signatures,
	 * compressed, encrypted, literal, MDC, AEAD): FORBIDDEN; the next
	 * key is read. */
	for (i = 0; i < (int)sizeof(message_tags); i++) {
		c = message_tags[i];
		buf_init(&b, 0);
		build(&b, (const int[]){ P_PUB, P_UID1, P_SIG1, -1 }, OLD1);
		put_pkt(&b, c, junk, sizeof(junk), OLD1);
		build(&b, (const int[]){ P_UID2, P_SIG2, -1 }, OLD1);
		build(&b, ALL, OLD1);
		st = readall(b.data, b.len, NULL, &r);
		CHECK(st == PGP_OK && r.n == 2 &&
		    r.st[0] == PGP_ERR_FORBIDDEN &&
		    strcmp(r.fpr[0], FIXTURE_FPR) == 0 && r.st[1] == PGP_OK,
		    "tag %u in a key: got %zu results, first %s", c, r.n,
		    r.n ? pgp_strerror(r.st[0]) : "-");
		res_free(&r);
		free(b.data);
	}

	/* Compressed data as GnuPG streams it (partial body lengths) is
	 * refused as such, not merely as a framing oddity. */
	buf_init(&b, 0);
	build(&b, (const int[]){ P_PUB, P_UID1, P_SIG1, -1 }, OLD1);
	{
		/* tag 8, a 2-octet partial chunk, then a final 1-octet one */
		static const uint8_t streamed[] = { 0xc8, 0xe1, 1, 2, 1, 3 };

		buf_append(&b, streamed, sizeof(streamed));
	}
	build(&b, ALL, OLD1);
	st = readall(b.data, b.len, NULL, &r);
	CHECK(st == PGP_OK && r.n == 2 && r.st[0] == PGP_ERR_FORBIDDEN &&
	    strstr(r.detail[0], "compressed") != NULL && r.st[1] == PGP_OK,
	    "streamed compressed packet in a key: got %zu results, first %s "
	    "(%s)", r.n, r.n ? pgp_strerror(r.st[0]) : "-",
	    r.n ? r.detail[0] : "");
	res_free(&r);
	free(b.data);

	/* An unknown packet (tag 60) is dropped with the signature after
	 * it, which must not land on the user ID before it. */
	buf_init(&b, 0);
	build(&b, (const int[]){ P_PUB, P_UID1, P_SIG1, -1 }, OLD1);
	put_pkt(&b, 60, junk, sizeof(junk), NEW1);
	build(&b, (const int[]){ P_SIG2, P_UID2, P_SIG2, P_SUB, P_SIG3, -1 },
	    OLD1);
	st = readall(b.data, b.len, NULL, &r);
	CHECK(st == PGP_OK && r.n == 1 && r.st[0] == PGP_OK &&
	    r.key[0]->nuids == 2 && r.key[0]->uids[0].nsigs == 1 &&
	    count_packets(r.key[0]) == FIXTURE_PACKETS,
	    "unknown tag 60: got %zu results, %zu packets", r.n,
	    r.n && r.key[0] ? count_packets(r.key[0]) : 0);
	/* and it is recorded, for pgp_key_check to report */
	if (r.n == 1 && r.key[0] != NULL) {
		char why[512];

		CHECK_INT(r.key[0]->skipped_packets, 1);
		CHECK_INT(r.key[0]->skipped_sigs, 1);
		why[0] = '\0';
		(void)pgp_key_check(r.key[0], 1800000000, why, sizeof(why));
		CHECK(strstr(why, "1 packet of unknown type") != NULL &&
		    strstr(why, "1 unreadable or stray signature") != NULL,
		    "unknown tag 60 reported: \"%s\"", why);
	}
	res_free(&r);
	free(b.data);

	/* An invalid packet header inside a key ends the stream. */
	buf_init(&b, 0);
	build(&b, (const int[]){ P_PUB, P_UID1, P_SIG1, -1 }, OLD1);
	c = 0x3f;
	buf_append(&b, &c, 1);
	build(&b, ALL, OLD1);
	st = readall(b.data, b.len, NULL, &r);
	CHECK(st == PGP_ERR_MALFORMED && r.n == 1 &&
	    r.st[0] == PGP_ERR_MALFORMED && strcmp(r.fpr[0], FIXTURE_FPR) == 0,
	    "bad header octet: got %s, %zu results", pgp_strerror(st), r.n);
	res_free(&r);
	free(b.data);
}

/* Copy of fixture packet i with body octet at off replaced by v. */
static void
put_patched(struct buf *b, int i, uint8_t tag, size_t off, int v)
{
	uint8_t *body = malloc(fp[i].len);

	memcpy(body, fp[i].body, fp[i].len);
	if (v >= 0)
		body[off] = (uint8_t)v;
	put_pkt(b, tag, body, fp[i].len, OLD1);
	free(body);
}

static void
test_secret_versions_limits(void)
{
	static const struct {
		const char *name;
		int pkt;		/* packet to patch */
		uint8_t tag;		/* tag to give it */
		size_t off;
		int val;		/* new octet at off, -1 none */
		enum pgp_status want;
		const char *fpr;	/* expected fingerprint or NULL */
		size_t want_subkeys, want_packets;
	} t[] = {
		{ "secret primary", P_PUB, 5, 0, -1, PGP_ERR_SECRET,
		    FIXTURE_FPR, 0, 0 },
		{ "secret subkey", P_SUB, 7, 0, -1, PGP_ERR_SECRET,
		    FIXTURE_FPR, 0, 0 },
		{ "v5 primary", P_PUB, 6, 0, 5, PGP_ERR_VERSION, NULL, 0, 0 },
		{ "v3 EdDSA primary", P_PUB, 6, 0, 3, PGP_ERR_VERSION, NULL, 0,
		    0 },
		{ "v9 primary", P_PUB, 6, 0, 9, PGP_ERR_VERSION, NULL, 0, 0 },
		{ "v5 subkey", P_SUB, 14, 0, 5, PGP_OK, FIXTURE_FPR, 0, 5 },
		{ "v7 subkey", P_SUB, 14, 0, 7, PGP_OK, FIXTURE_FPR, 0, 5 },
		{ "bad subkey material", P_SUB, 14, 6, 0xff, PGP_OK,
		    FIXTURE_FPR, 0, 5 },
		{ "bad primary material", P_PUB, 6, 6, 0, PGP_ERR_MALFORMED,
		    NULL, 0, 0 },
		{ "v5 signature", P_SIG1, 2, 0, 5, PGP_OK, FIXTURE_FPR, 1, 6 },
		{ "signature hashed area too long", P_SIG1, 2, 4, 0xff, PGP_OK,
		    FIXTURE_FPR, 1, 6 },
		/* kept with the direct-key sigs: pgp_key_check moves it
		 * to its user ID or drops it (verify_test) */
		{ "certification before any user ID", P_SIG1, 2, 1, 0x13,
		    PGP_OK, FIXTURE_FPR, 1, 7 },
	};
	struct buf b;
	struct res r;
	size_t i;
	int j;
	bool ok;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&b, 0);
		for (j = 0; j < (int)nfp; j++) {
			if (strcmp(t[i].name, "certification before any user "
			    "ID") == 0 && j == P_UID1) {
				/* P_SIG1 goes before its user ID */
				put_patched(&b, P_SIG1, 2, 0, -1);
				put_pkt(&b, 13, fp[P_UID1].body,
				    fp[P_UID1].len, OLD1);
				j = P_SIG1;
				continue;
			}
			if (j == t[i].pkt)
				put_patched(&b, j, t[i].tag, t[i].off, t[i].val);
			else
				put_pkt(&b, fp[j].tag, fp[j].body, fp[j].len,
				    OLD1);
		}
		build(&b, ALL, OLD1);	/* resync: a good key follows */
		readall(b.data, b.len, NULL, &r);
		ok = r.n == 2 && r.st[0] == t[i].want && r.st[1] == PGP_OK;
		if (ok && t[i].fpr != NULL)
			ok = strcmp(r.fpr[0], t[i].fpr) == 0;
		if (ok && t[i].want == PGP_OK)
			ok = r.key[0]->nsubkeys == t[i].want_subkeys &&
			    count_packets(r.key[0]) == t[i].want_packets;
		CHECK(ok, "%s: got %zu results, first %s (%s) fpr %s, %zu "
		    "packets; want %s then OK", t[i].name, r.n,
		    r.n ? pgp_strerror(r.st[0]) : "-", r.n ? r.detail[0] : "",
		    r.n ? r.fpr[0] : "", r.n && r.key[0] ?
		    count_packets(r.key[0]) : 0, pgp_strerror(t[i].want));
		res_free(&r);
		free(b.data);
	}
}

static void
test_limits(void)
{
	static const struct {
		struct pgp_limits lim;
		enum pgp_status want;
		const char *word;
	} t[] = {
		{ { FIXTURE_LEN, 7, 40, 0 }, PGP_OK, NULL },
		{ { 0, 0, 0, 0 }, PGP_OK, NULL },		/* 0: no limit */
		{ { FIXTURE_LEN - 1, 7, 40, 0 }, PGP_ERR_LIMIT, "max_key_size" },
		{ { 100, 7, 40, 0 }, PGP_ERR_LIMIT, "max_key_size" },
		{ { FIXTURE_LEN, 6, 40, 0 }, PGP_ERR_LIMIT,
		    "max_packets_per_key" },
		{ { FIXTURE_LEN, 7, 39, 0 }, PGP_ERR_LIMIT, "max_uid_length" },
	};
	struct res r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		readall(fix, fixlen, &t[i].lim, &r);
		CHECK(r.n == 1 && r.st[0] == t[i].want && (t[i].word == NULL ||
		    strstr(r.detail[0], t[i].word) != NULL),
		    "limits %zu/%zu/%zu: got %s (%s), want %s naming %s",
		    t[i].lim.max_key_size, t[i].lim.max_packets_per_key,
		    t[i].lim.max_uid_length, r.n ? pgp_strerror(r.st[0]) : "-",
		    r.n ? r.detail[0] : "", pgp_strerror(t[i].want),
		    t[i].word ? t[i].word : "-");
		res_free(&r);
	}
}

/* v3 (PGP 2) RSA key: MD5 fingerprint, key ID from n. */
static void
test_v3_key(void)
{
	static const uint8_t body[] = {
		3, 0x30, 0, 0, 0, 0, 0, 1,		/* v3, created, days, RSA */
		0, 64, 0xc5, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07,
		0, 5, 0x11,
	};
	static const uint8_t uid[] = "v3 <v3@example.org>";
	struct buf b;
	struct res r;
	char hex[65];

	buf_init(&b, 0);
	put_pkt(&b, 6, body, sizeof(body), OLD1);
	put_pkt(&b, 13, uid, sizeof(uid) - 1, OLD1);
	/* Policy (key.c): refused, but named by its MD5 fingerprint. */
	readall(b.data, b.len, NULL, &r);
	CHECK(r.n == 1 && r.st[0] == PGP_ERR_VERSION &&
	    strstr(r.detail[0], "obsolete") != NULL,
	    "v3 key: got %zu results, %s (%s)", r.n,
	    r.n ? pgp_strerror(r.st[0]) : "-", r.n ? r.detail[0] : "");
	if (r.n == 1)
		CHECK_STR(r.fpr[0], "9D75E1012785FD720FA433A02FA201CE");
	res_free(&r);

	/* The parse itself, below the policy: key ID from n, bits, time. */
	{
		struct pgp_pubkey pk;

		CHECK_INT(pgp_pubkey_parse(body, sizeof(body), false, &pk, NULL,
		    0), PGP_OK);
		pgp_hex(pk.keyid, 8, hex);
		CHECK_STR(hex, "C5A1B2C3D4E5F607");
		pgp_hex(pk.fpr, pk.fprlen, hex);
		CHECK_STR(hex, "9D75E1012785FD720FA433A02FA201CE");
		CHECK_INT(pk.version, 3);
		CHECK_INT(pk.bits, 64);
		CHECK_INT(pk.created, 0x30000000);
	}
	free(b.data);
}

/* ---- signature subpackets --------------------------------------------- */

static void
put_sub(struct buf *b, uint8_t type, const uint8_t *d, size_t n, int lenform)
{
	size_t l = n + 1;
	uint8_t h[5];

	if (lenform == 1) {
		h[0] = (uint8_t)l;
		buf_append(b, h, 1);
	} else if (lenform == 2) {
		h[0] = (uint8_t)(((l - 192) >> 8) + 192);
		h[1] = (uint8_t)(l - 192);
		buf_append(b, h, 2);
	} else {
		h[0] = 0xff;
		h[1] = (uint8_t)(l >> 24);
		h[2] = (uint8_t)(l >> 16);
		h[3] = (uint8_t)(l >> 8);
		h[4] = (uint8_t)l;
		buf_append(b, h, 5);
	}
	buf_append(b, &type, 1);
	buf_append(b, d, n);
}

static void
put_be(struct buf *b, uint32_t v, int n)
{
	while (n-- > 0)
		buf_putc(b, (int)(v >> (8 * n)) & 0xff);
}

/* A signature packet body from parts. */
static void
make_sig(struct buf *out, int version, uint8_t type, const struct buf *hashed,
    const struct buf *unhashed, size_t saltlen)
{
	static const uint8_t mpi[] = { 0, 8, 0xaa, 0, 8, 0xbb };
	size_t i;

	buf_putc(out, version);
	buf_putc(out, type);
	buf_putc(out, version == 6 ? PGP_PK_ED25519 : PGP_PK_EDDSA_LEGACY);
	buf_putc(out, PGP_HASH_SHA256);
	put_be(out, (uint32_t)hashed->len, version == 6 ? 4 : 2);
	buf_append(out, hashed->data, hashed->len);
	put_be(out, (uint32_t)unhashed->len, version == 6 ? 4 : 2);
	buf_append(out, unhashed->data, unhashed->len);
	buf_putc(out, 0x12);	/* left 16 bits */
	buf_putc(out, 0x34);
	if (version == 6) {
		buf_putc(out, (int)saltlen);
		for (i = 0; i < saltlen; i++)
			buf_putc(out, (int)(0x50 + i));
		for (i = 0; i < 64; i++)
			buf_putc(out, 0x77);
	} else {
		buf_append(out, mpi, sizeof(mpi));
	}
}

static void
test_subpackets(void)
{
	static const uint8_t created[] = { 1, 2, 3, 4 };
	static const uint8_t keyexp[] = { 0, 0, 0x03, 0xe8 };
	static const uint8_t sigexp[] = { 0, 0, 0x01, 0xf4 };
	static const uint8_t one[] = { 1 };
	static const uint8_t flags[] = { 0x23, 0x04 };
	static const uint8_t late[] = { 0x70, 0, 0, 0 };
	static const uint8_t never[] = { 0xff, 0xff, 0xff, 0xff };
	uint8_t revoker[22], ifpr[21], ifpr6[33], issuer[8], emb[10];
	uint8_t note[300];
	struct buf h, u, s1, s2, s3, s4, s5, s6, b;
	struct res r;
	const struct pgp_sig *sg;
	size_t i;

	memset(revoker, 0x42, sizeof(revoker));
	revoker[0] = 0x80;
	revoker[1] = PGP_PK_RSA;
	ifpr[0] = 4;
	for (i = 0; i < 20; i++)
		ifpr[1 + i] = (uint8_t)(0xa0 + i);
	ifpr6[0] = 6;
	for (i = 0; i < 32; i++)
		ifpr6[1 + i] = (uint8_t)(0xc0 + i);
	for (i = 0; i < 8; i++)
		issuer[i] = (uint8_t)(0x10 + i);
	memset(emb, 0xee, sizeof(emb));
	memset(note, 'n', sizeof(note));

	/* 1: everything, all three subpacket length forms */
	buf_init(&h, 0);
	buf_init(&u, 0);
	put_sub(&h, 2, created, 4, 1);
	put_sub(&h, 9, keyexp, 4, 1);
	put_sub(&h, 3, sigexp, 4, 5);
	put_sub(&h, 25, one, 1, 1);
	put_sub(&h, 27, flags, 2, 1);
	put_sub(&h, 12, revoker, sizeof(revoker), 1);
	put_sub(&h, 33, ifpr, sizeof(ifpr), 1);
	put_sub(&h, 0x80 | 100, one, 1, 1);
	put_sub(&h, 20, note, sizeof(note), 2);
	put_sub(&u, 0x80 | 101, one, 1, 1);
	put_sub(&u, 2, never, 4, 1);	/* unhashed: must be ignored */
	put_sub(&u, 16, issuer, 8, 1);
	put_sub(&u, 32, emb, sizeof(emb), 5);
	buf_init(&s1, 0);
	make_sig(&s1, 4, 0x13, &h, &u, 0);

	/* 2: no issuer subpacket: from the v4 issuer fingerprint; a
	 * critical unknown subpacket only in the unhashed area */
	buf_reset(&h);
	buf_reset(&u);
	put_sub(&h, 2, late, 4, 1);
	put_sub(&h, 33, ifpr, sizeof(ifpr), 1);
	put_sub(&u, 0x80 | 101, one, 1, 1);
	buf_init(&s2, 0);
	make_sig(&s2, 4, 0x10, &h, &u, 0);

	/* 3: v6 with salt, issuer from the v6 fingerprint (first 8) */
	buf_reset(&h);
	buf_reset(&u);
	put_sub(&h, 2, created, 4, 1);
	put_sub(&h, 33, ifpr6, sizeof(ifpr6), 1);
	buf_init(&s3, 0);
	make_sig(&s3, 6, 0x13, &h, &u, 16);

	/* 4: a subpacket running past its area: dropped */
	buf_reset(&h);
	buf_reset(&u);
	put_sub(&h, 2, created, 4, 1);
	buf_putc(&h, 9);
	buf_putc(&h, 9);
	buf_init(&s4, 0);
	make_sig(&s4, 4, 0x13, &h, &u, 0);

	/* 5: a zero-length subpacket: dropped */
	buf_reset(&h);
	buf_putc(&h, 0);
	buf_init(&s5, 0);
	make_sig(&s5, 4, 0x13, &h, &u, 0);

	/* 6: v3 */
	buf_init(&s6, 0);
	buf_putc(&s6, 3);
	buf_putc(&s6, 5);
	buf_putc(&s6, 0x10);
	buf_append(&s6, created, 4);
	buf_append(&s6, issuer, 8);
	buf_putc(&s6, PGP_PK_RSA);
	buf_putc(&s6, PGP_HASH_SHA1);
	buf_putc(&s6, 0x12);
	buf_putc(&s6, 0x34);
	buf_append(&s6, (const uint8_t[]){ 0, 8, 0x99 }, 3);

	buf_init(&b, 0);
	build(&b, (const int[]){ P_PUB, P_UID1, -1 }, OLD1);
	put_pkt(&b, 2, s1.data, s1.len, OLD2);
	put_pkt(&b, 2, s2.data, s2.len, OLD1);
	put_pkt(&b, 2, s3.data, s3.len, NEW1);
	put_pkt(&b, 2, s4.data, s4.len, OLD1);
	put_pkt(&b, 2, s5.data, s5.len, OLD1);
	put_pkt(&b, 2, s6.data, s6.len, OLD1);
	readall(b.data, b.len, NULL, &r);
	CHECK(r.n == 1 && r.st[0] == PGP_OK && r.key[0]->nuids == 1 &&
	    r.key[0]->uids[0].nsigs == 4, "subpacket key: got %zu results, "
	    "%zu sigs, want 1 key with 4 sigs", r.n,
	    r.n && r.key[0] && r.key[0]->nuids ? r.key[0]->uids[0].nsigs : 0);
	if (r.n == 1 && r.key[0] != NULL && r.key[0]->nuids == 1 &&
	    r.key[0]->uids[0].nsigs == 4) {
		sg = &r.key[0]->uids[0].sigs[0];
		CHECK_INT(sg->created, 0x01020304);
		CHECK_INT(sg->key_expires, 1000);
		CHECK_INT(sg->sig_expires, 500);
		CHECK_INT(sg->primary_uid, 1);
		CHECK_INT(sg->key_flags, 0x23);
		CHECK_INT(sg->has_revoker, 1);
		CHECK_INT(sg->has_unknown_critical, 1);
		CHECK_INT(sg->issuer_fpr_len, 20);
		CHECK(sg->has_issuer && memcmp(sg->issuer, issuer, 8) == 0,
		    "sig 1: issuer should come from subpacket 16");
		CHECK(sg->embedded_len == sizeof(emb) &&
		    memcmp(sg->pkt.body + sg->embedded_off, emb,
		    sizeof(emb)) == 0, "sig 1: embedded sig got %zu octets",
		    sg->embedded_len);
		CHECK_INT(sg->hashed_off, 6);
		CHECK_INT(sg->unhashed_off, 6 + sg->hashed_len + 2);
		CHECK_INT(sg->mpi_off, sg->unhashed_off + sg->unhashed_len + 2);
		CHECK(sg->left16[0] == 0x12 && sg->left16[1] == 0x34,
		    "sig 1: left16 got %02x%02x", sg->left16[0], sg->left16[1]);

		sg = &r.key[0]->uids[0].sigs[1];
		CHECK_INT(sg->created, 0x70000000);
		CHECK_INT(sg->has_unknown_critical, 0);
		CHECK_INT(sg->primary_uid, 0);
		CHECK_INT(sg->key_flags, 0);
		CHECK(sg->has_issuer && memcmp(sg->issuer, ifpr + 13, 8) == 0,
		    "sig 2: issuer should be the last 8 octets of the v4 fpr");

		sg = &r.key[0]->uids[0].sigs[2];
		CHECK_INT(sg->version, 6);
		CHECK_INT(sg->issuer_fpr_len, 32);
		CHECK(sg->has_issuer && memcmp(sg->issuer, ifpr6 + 1, 8) == 0,
		    "sig 3: issuer should be the first 8 octets of the v6 fpr");
		CHECK_INT(sg->hashed_off, 8);
		CHECK_INT(sg->salt_len, 16);
		CHECK_INT(sg->salt_off, sg->unhashed_off + sg->unhashed_len +
		    2 + 1);
		CHECK(sg->pkt.body[sg->salt_off] == 0x50,
		    "sig 3: salt at the wrong offset");
		CHECK_INT(sg->mpi_off, sg->salt_off + 16);

		sg = &r.key[0]->uids[0].sigs[3];
		CHECK_INT(sg->version, 3);
		CHECK_INT(sg->type, 0x10);
		CHECK_INT(sg->created, 0x01020304);
		CHECK(sg->has_issuer && memcmp(sg->issuer, issuer, 8) == 0,
		    "v3 sig: issuer");
		CHECK_INT(sg->hashed_off, 2);
		CHECK_INT(sg->hashed_len, 5);
		CHECK_INT(sg->mpi_off, 19);
	}
	res_free(&r);
	free(h.data);
	free(u.data);
	free(s1.data);
	free(s2.data);
	free(s3.data);
	free(s4.data);
	free(s5.data);
	free(s6.data);
	free(b.data);
}

/* ---- canonical form and merge ----------------------------------------- */

static struct pgp_key *
key_of(const int *idx)
{
	struct buf b;
	struct pgp_key *k;
	enum pgp_status st;

	buf_init(&b, 0);
	build(&b, idx, OLD1);
	k = parse_buf(&b, &st);
	free(b.data);
	return k;
}

static bool
same_bytes(struct pgp_key *k, const uint8_t *want, size_t wantlen)
{
	size_t len;
	uint8_t *got = canon_bytes(k, &len);
	bool same = len == wantlen && memcmp(got, want, len) == 0;

	free(got);
	return same;
}

static void
test_merge_fixture(void)
{
	struct pgp_key *a, *b2, *x, *y;
	struct pgp_merge_counts c;
	uint8_t *abytes;
	size_t alen;
	struct buf b;
	enum pgp_status st;

	/* A: no second user ID; B: no subkey. */
	a = key_of((const int[]){ P_PUB, P_UID1, P_SIG1, P_SUB, P_SIG3, -1 });
	b2 = key_of((const int[]){ P_PUB, P_UID1, P_SIG1, P_UID2, P_SIG2,
	    -1 });
	if (a == NULL || b2 == NULL) {
		CHECK(0, "could not build merge keys");
		pgp_key_free(a);
		pgp_key_free(b2);
		return;
	}
	abytes = canon_bytes(a, &alen);

	x = key_of((const int[]){ P_PUB, P_UID1, P_SIG1, P_SUB, P_SIG3, -1 });
	memset(&c, 0, sizeof(c));
	CHECK_INT(pgp_key_merge(x, b2, &c), 0);
	CHECK(c.new_keys == 0 && c.new_uids == 1 && c.new_subkeys == 0 &&
	    c.new_sigs == 1 && c.new_revocations == 0,
	    "A+B counts: got keys %u uids %u subkeys %u sigs %u revs %u, "
	    "want 0 1 0 1 0", c.new_keys, c.new_uids, c.new_subkeys,
	    c.new_sigs, c.new_revocations);
	CHECK(same_bytes(x, fixcanon, fixcanonlen), "A+B != full key");

	y = key_of((const int[]){ P_PUB, P_UID1, P_SIG1, P_UID2, P_SIG2,
	    -1 });
	memset(&c, 0, sizeof(c));
	CHECK_INT(pgp_key_merge(y, a, &c), 0);
	CHECK(c.new_uids == 0 && c.new_subkeys == 1 && c.new_sigs == 1,
	    "B+A counts: got uids %u subkeys %u sigs %u, want 0 1 1",
	    c.new_uids, c.new_subkeys, c.new_sigs);
	CHECK(same_bytes(y, fixcanon, fixcanonlen), "B+A != full key");

	/* Idempotence: A+A == A, nothing counted. */
	pgp_key_free(y);
	y = key_of((const int[]){ P_PUB, P_UID1, P_SIG1, P_SUB, P_SIG3, -1 });
	memset(&c, 0, sizeof(c));
	{
		struct pgp_key *a2 = key_of((const int[]){ P_PUB, P_UID1,
		    P_SIG1, P_SUB, P_SIG3, -1 });

		CHECK_INT(pgp_key_merge(y, a2, &c), 0);
		pgp_key_free(a2);
	}
	CHECK(c.new_uids + c.new_subkeys + c.new_sigs + c.new_revocations == 0,
	    "A+A counted something");
	CHECK(same_bytes(y, abytes, alen), "A+A != A");

	/* Counts add up across calls; pgp_key_count counts a new key. */
	memset(&c, 0, sizeof(c));
	pgp_key_count(x, &c);
	pgp_key_count(x, &c);
	CHECK(c.new_keys == 2 && c.new_uids == 4 && c.new_subkeys == 2 &&
	    c.new_sigs == 6, "pgp_key_count twice: got %u %u %u %u",
	    c.new_keys, c.new_uids, c.new_subkeys, c.new_sigs);

	/* A different primary key does not merge. */
	buf_init(&b, 0);
	put_patched(&b, P_PUB, 6, 5, 0x00);	/* other creation time */
	pgp_key_free(y);
	y = parse_buf(&b, &st);
	free(b.data);
	CHECK(y != NULL && pgp_key_merge(x, y, NULL) == -1,
	    "merge of different primaries: want -1");

	pgp_key_free(a);
	pgp_key_free(b2);
	pgp_key_free(x);
	pgp_key_free(y);
	free(abytes);
}

static void
test_canonical(void)
{
	struct buf b;
	struct pgp_key *k, *k2;
	struct pgp_merge_counts c;
	enum pgp_status st;
	uint8_t *body;
	size_t i;

	/* Duplicates are folded: same bytes as the fixture. */
	k = key_of((const int[]){ P_PUB, P_UID2, P_SIG2, P_UID1, P_SIG1,
	    P_SIG1, P_SUB, P_SIG3, P_UID2, P_SIG2, P_SUB, -1 });
	CHECK(k != NULL && same_bytes(k, fixcanon, fixcanonlen),
	    "duplicates: canonical bytes differ from the fixture");
	CHECK(k != NULL && k->nuids == 2 && k->uids[0].nsigs == 1 &&
	    k->uids[1].nsigs == 1 && k->nsubkeys == 1 &&
	    k->subkeys[0].nsigs == 1, "duplicates not folded");
	pgp_key_free(k);

	/* Canonical order: user IDs by bytes ("Keymail" < "Second"). */
	k = key_of((const int[]){ P_PUB, P_UID2, P_SIG2, P_UID1, P_SIG1, -1 });
	if (k != NULL) {
		k->primary_uid = 0;	/* as if pgp_key_check chose uid 2 */
		pgp_key_canonicalize(k);
		CHECK(k->nuids == 2 && k->uids[0].pkt.len == fp[P_UID1].len,
		    "uid order: want \"Keymail Test\" first");
		CHECK_INT(k->primary_uid, 1);	/* follows its user ID */
	}
	pgp_key_free(k);

	/* A self-signature with the primary flag moves its UID first; a
	 * key revocation is counted as one. */
	buf_init(&b, 0);
	build(&b, (const int[]){ P_PUB, -1 }, OLD1);
	body = malloc(fp[P_SIG1].len);
	memcpy(body, fp[P_SIG1].body, fp[P_SIG1].len);
	body[1] = PGP_SIG_KEY_REVOKE;
	put_pkt(&b, 2, body, fp[P_SIG1].len, OLD1);
	build(&b, (const int[]){ P_UID1, P_SIG1, P_UID2, P_SIG2, -1 }, OLD1);
	{
		/* a copy of SIG2 with a primary-user-ID subpacket, newer */
		struct buf s;
		const uint8_t *o = fp[P_SIG2].body;
		size_t hl = (size_t)o[4] << 8 | o[5], off;

		buf_init(&s, 0);
		buf_append(&s, o, 4);
		put_be(&s, (uint32_t)hl + 3, 2);
		buf_append(&s, o + 6, hl);
		/* make it newer: creation time 0x7f000000 */
		for (off = 6; off < 6 + hl; off += 1 + (size_t)s.data[off])
			if (s.data[off + 1] == 2)
				s.data[off + 2] = 0x7f;
		buf_append(&s, (const uint8_t[]){ 2, 25, 1 }, 3);
		buf_append(&s, o + 6 + hl, fp[P_SIG2].len - 6 - hl);
		put_pkt(&b, 2, s.data, s.len, OLD1);
		free(s.data);
	}
	k = parse_buf(&b, &st);
	free(b.data);
	free(body);
	CHECK(k != NULL, "primary-flag key: %s", pgp_strerror(st));
	if (k != NULL) {
		pgp_key_canonicalize(k);
		CHECK(k->nuids == 2 && k->uids[0].pkt.len == fp[P_UID2].len &&
		    k->uids[0].nsigs == 2 && k->uids[0].sigs[0].primary_uid,
		    "primary flag: want \"Second Identity\" first, flagged "
		    "sig first");
		CHECK_INT(k->nsigs, 1);
		k2 = key_of(ALL);
		memset(&c, 0, sizeof(c));
		CHECK_INT(pgp_key_merge(k2, k, &c), 0);
		CHECK(c.new_revocations == 1 && c.new_sigs == 1 &&
		    c.new_uids == 0, "revocation count: got revs %u sigs %u "
		    "uids %u, want 1 1 0", c.new_revocations, c.new_sigs,
		    c.new_uids);
		/* sigs newest first in every list */
		for (i = 1; i < k2->uids[0].nsigs; i++)
			CHECK(k2->uids[0].sigs[i - 1].created >=
			    k2->uids[0].sigs[i].created, "sig order");
		pgp_key_free(k2);
	}
	pgp_key_free(k);

	/* write of a key that was not canonicalized still writes the
	 * canonical form */
	k = key_of((const int[]){ P_PUB, P_UID2, P_SIG2, P_SIG2, P_UID1, P_SIG1,
	    P_SUB, P_SIG3, -1 });
	if (k != NULL) {
		buf_init(&b, 0);
		CHECK_INT(pgp_key_write(k, &b), 0);
		CHECK(b.len == fixcanonlen && memcmp(b.data, fixcanon,
		    b.len) == 0, "write without canonicalize: bytes differ");
		CHECK_INT(k->uids[0].nsigs, 2);	/* the key itself untouched */
		free(b.data);
		/* over the cap: -1, buffer unchanged */
		buf_init(&b, 10);
		buf_puts(&b, "x");
		CHECK_INT(pgp_key_write(k, &b), -1);
		CHECK_INT(b.len, 1);
		free(b.data);
	}
	pgp_key_free(k);

	/* header forms in the output: old for tags < 16 */
	CHECK(fixcanonlen > 0 && fixcanon[0] == 0x98,
	    "canonical primary header: got %02x, want 98",
	    fixcanonlen ? fixcanon[0] : 0);
}

/* ---- util.c ----------------------------------------------------------- */

static void
test_util(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} u[] = {
		{ "Alice <a@example.org>", 21, "Alice <a@example.org>" },
		{ "a\r\nb\tc\x7f" "d", 8, "a??b?c?d" },
		{ "nul\0byte", 8, "nul?byte" },
		{ "J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x94\x91", 16,
		    "J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x94\x91" },
		{ "latin1 J\xfcrgen", 13, "latin1 J?rgen" },
		{ "overlong \xc0\xaf", 11, "overlong ??" },
		{ "surrogate \xed\xa0\x80", 13, "surrogate ???" },
		{ "too big \xf4\x90\x80\x80", 12, "too big ????" },
		{ "cut \xe2\x82", 6, "cut ??" },
		{ "C1 \xc2\x9b" "31m", 8, "C1 ?31m" },
		{ "nbsp \xc2\xa0", 7, "nbsp \xc2\xa0" },
		{ "", 0, "" },
	};
	static const struct {
		uint8_t algo;
		char want;
	} a[] = {
		{ 1, 'R' }, { 2, 'r' }, { 3, 's' }, { 16, 'g' }, { 17, 'D' },
		{ 18, 'e' }, { 19, 'E' }, { 20, 'G' }, { 22, 'E' }, { 25, 'e' },
		{ 26, 'e' }, { 27, 'E' }, { 28, 'E' }, { 0, '?' }, { 21, '?' },
		{ 99, '?' }, { 255, '?' },
	};
	static const uint8_t bytes[] = { 0x00, 0x9a, 0xff, 0x10 };
	char hex[65], *p;
	size_t i;
	int s;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		p = pgp_uid_printable((const uint8_t *)u[i].in, u[i].len);
		CHECK_STR(p, u[i].want);
		free(p);
	}
	for (i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		CHECK(pgp_algo_letter(a[i].algo) == a[i].want,
		    "algo %u: got '%c', want '%c'", a[i].algo,
		    pgp_algo_letter(a[i].algo), a[i].want);
	pgp_hex(bytes, sizeof(bytes), hex);
	CHECK_STR(hex, "009AFF10");
	pgp_hex(bytes, 0, hex);
	CHECK_STR(hex, "");
	for (s = PGP_OK; s <= PGP_ERR_FORBIDDEN; s++) {
		const char *m = pgp_strerror((enum pgp_status)s);

		CHECK(m != NULL && *m != '\0' && strcmp(m, "unknown error") != 0,
		    "pgp_strerror(%d) empty", s);
	}
}

/* ---- the shared corpus ------------------------------------------------ */

static char corpus[4096];

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	uint8_t tmp[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, 0);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	*len = b.len;
	return b.data;
}

struct fileres {
	size_t nok, nsecret, nerr;
	struct pgp_key *keys[200];
	size_t nkeys;
	char fprs[4096];	/* OK keys' fingerprints, comma-separated */
};

static int
file_key_cb(void *ctx, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	struct fileres *fr = ctx;
	char hex[65];

	(void)detail;
	if (st == PGP_ERR_SECRET)
		fr->nsecret++;
	if (st != PGP_OK) {
		fr->nerr++;
		return 0;
	}
	fr->nok++;
	pgp_hex(fpr, fprlen, hex);
	if (strlen(fr->fprs) + 66 < sizeof(fr->fprs)) {
		if (fr->fprs[0])
			strcat(fr->fprs, ",");
		strcat(fr->fprs, hex);
	}
	if (fr->nkeys < sizeof(fr->keys) / sizeof(fr->keys[0]))
		fr->keys[fr->nkeys++] = key;
	else
		pgp_key_free(key);
	return 0;
}

static int
file_armor_cb(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	(void)kind;
	(void)crc_ok;
	if (st == PGP_OK)
		(void)pgp_keys_read(data, len, NULL, file_key_cb, ctx);
	return 0;
}

/* Read a corpus file: armor when it starts with text, else binary. */
static int
read_keys(const char *rel, struct fileres *fr)
{
	char path[8192];
	uint8_t *d;
	size_t len, i = 0;

	memset(fr, 0, sizeof(*fr));
	snprintf(path, sizeof(path), "%s/%s", corpus, rel);
	if ((d = read_file(path, &len)) == NULL)
		return -1;
	while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' ||
	    d[i] == '\n'))
		i++;
	if (i < len && !(d[i] & 0x80))
		pgp_armor_scan((const char *)d, len, 0, file_armor_cb, fr);
	else
		(void)pgp_keys_read(d, len, NULL, file_key_cb, fr);
	free(d);
	return 0;
}

static void
fileres_free(struct fileres *fr)
{
	size_t i;

	for (i = 0; i < fr->nkeys; i++)
		pgp_key_free(fr->keys[i]);
	fr->nkeys = 0;
}

struct row {
	char *file, *expect, *fprs;
};

static struct row *rows;
static size_t nrows;
static char *manifest;

static int
load_manifest(void)
{
	char path[8192];
	size_t len;
	char *line, *next, *t1, *t2, *t3;

	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", corpus);
	if ((manifest = (char *)read_file(path, &len)) == NULL)
		return -1;
	for (line = manifest; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if ((t1 = strchr(line, '\t')) == NULL)
			continue;
		*t1++ = '\0';
		if ((t2 = strchr(t1, '\t')) == NULL)
			continue;
		*t2++ = '\0';
		if ((t3 = strchr(t2, '\t')) != NULL)
			*t3 = '\0';
		rows = realloc(rows, (nrows + 1) * sizeof(*rows));
		rows[nrows].file = line;
		rows[nrows].expect = t1;
		rows[nrows].fprs = t2;
		nrows++;
	}
	return 0;
}

static bool
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* (a) every primary fingerprint of each accepted valid/ (v4) and v6-pqc/
 * (v6) file */
static void
corpus_fingerprints(void)
{
	struct fileres fr;
	size_t i, matched = 0, total = 0;
	char *f, *save, want[4096];
	bool all;

	for (i = 0; i < nrows; i++) {
		if (strcmp(rows[i].expect, "accept") != 0 ||
		    !(has_prefix(rows[i].file, "valid/") ||
		    has_prefix(rows[i].file, "v6-pqc/")))
			continue;
		if (read_keys(rows[i].file, &fr) < 0) {
			CHECK(0, "%s: cannot read", rows[i].file);
			continue;
		}
		snprintf(want, sizeof(want), "%s", rows[i].fprs);
		all = true;
		for (f = strtok_r(want, ",", &save); f != NULL;
		    f = strtok_r(NULL, ",", &save)) {
			total++;
			if (strstr(fr.fprs, f) != NULL)
				matched++;
			else
				all = false;
		}
		CHECK(all && fr.nerr == 0, "%s: got %s (%zu errors), want %s",
		    rows[i].file, fr.fprs, fr.nerr, rows[i].fprs);
		fileres_free(&fr);
	}
	CHECK(total > 0 && matched == total, "fingerprints: got %zu, want %zu",
	    matched, total);
	printf("TALLY: fingerprints matched %zu/%zu\n", matched, total);
}

/* (b) every secret/ file is refused as secret */
static void
corpus_secret(void)
{
	struct fileres fr;
	size_t i, refused = 0, total = 0;

	for (i = 0; i < nrows; i++) {
		if (!has_prefix(rows[i].file, "secret/"))
			continue;
		total++;
		if (read_keys(rows[i].file, &fr) < 0)
			continue;
		if (fr.nsecret > 0)
			refused++;
		CHECK(fr.nsecret > 0, "%s: got %zu keys, %zu errors, no "
		    "PGP_ERR_SECRET", rows[i].file, fr.nok, fr.nerr);
		fileres_free(&fr);
	}
	printf("TALLY: secret files refused %zu/%zu\n", refused, total);
}

/* Write a half of k: sigs by a global counter (0: B only, 1: A only,
 * 2: both), components where they have sigs, or by index. */
static void
write_half(const struct pgp_key *k, bool is_a, struct buf *out,
    struct pgp_merge_counts *only_b)
{
	size_t g = 0, i, j, pass;

	put_pkt(out, 6, k->pkt.body, k->pkt.len, NEW5);
	for (i = 0; i < k->nsigs; i++, g++) {
		if ((is_a && g % 3 != 0) || (!is_a && g % 3 != 1))
			put_pkt(out, 2, k->sigs[i].pkt.body,
			    k->sigs[i].pkt.len, (enum hfmt)(g % NFMT));
		if (g % 3 == 0 && only_b) {
			uint8_t t = k->sigs[i].type;

			if (t == 0x20 || t == 0x28 || t == 0x30)
				only_b->new_revocations++;
			else
				only_b->new_sigs++;
		}
	}
	for (pass = 0; pass < 2; pass++) {
		const struct pgp_component *c = pass ? k->subkeys : k->uids;
		size_t n = pass ? k->nsubkeys : k->nuids;

		for (i = 0; i < n; i++) {
			size_t g0 = g;
			bool in_a = i % 2 == 0, in_b = i % 2 == 1;

			for (j = 0; j < c[i].nsigs; j++, g++) {
				if (g % 3 != 0)
					in_a = true;
				if (g % 3 != 1)
					in_b = true;
			}
			if (only_b && in_b && !in_a) {
				if (pass)
					only_b->new_subkeys++;
				else
					only_b->new_uids++;
			}
			g = g0;
			if ((is_a && in_a) || (!is_a && in_b))
				put_pkt(out, c[i].pkt.tag, c[i].pkt.body,
				    c[i].pkt.len, (enum hfmt)(i % NFMT));
			for (j = 0; j < c[i].nsigs; j++, g++) {
				bool want = is_a ? g % 3 != 0 : g % 3 != 1;

				if (only_b && g % 3 == 0) {
					uint8_t t = c[i].sigs[j].type;

					if (t == 0x20 || t == 0x28 || t == 0x30)
						only_b->new_revocations++;
					else
						only_b->new_sigs++;
				}
				if (want && ((is_a && in_a) || (!is_a && in_b)))
					put_pkt(out, 2, c[i].sigs[j].pkt.body,
					    c[i].sigs[j].pkt.len,
					    (enum hfmt)(g % NFMT));
			}
		}
	}
}

/* (d) merge of two halves in both orders gives the whole key; (e) write
 * and parse again gives the same fingerprint, packets and bytes. */
static void
corpus_merge_roundtrip(void)
{
	static const char *const dirs[] = { "valid/", "revoked-expired/",
	    "many-sigs/", "uat/", "keyring/", "v6-pqc/" };
	struct fileres fr;
	struct buf ba, bb, w;
	struct pgp_key *a, *b, *x, *y;
	struct pgp_merge_counts c, want;
	enum pgp_status st;
	size_t i, j, d, nmerge = 0, okmerge = 0, nrt = 0, okrt = 0;
	size_t fulllen, len;
	uint8_t *full, *got;
	bool ok;

	for (i = 0; i < nrows; i++) {
		bool pick = false;

		for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
			if (has_prefix(rows[i].file, dirs[d]))
				pick = true;
		if (!pick || strcmp(rows[i].expect, "accept") != 0)
			continue;
		if (read_keys(rows[i].file, &fr) < 0)
			continue;
		for (j = 0; j < fr.nkeys; j++) {
			struct pgp_key *k = fr.keys[j];
			size_t npk;

			full = canon_bytes(k, &fulllen);
			npk = count_packets(k);

			/* (e) round trip */
			nrt++;
			w.data = full;
			w.len = fulllen;
			x = parse_buf(&w, &st);
			ok = x != NULL && x->pub.fprlen == k->pub.fprlen &&
			    memcmp(x->pub.fpr, k->pub.fpr, k->pub.fprlen) == 0 &&
			    count_packets(x) == npk;
			if (ok) {
				got = canon_bytes(x, &len);
				ok = len == fulllen &&
				    memcmp(got, full, len) == 0;
				free(got);
			}
			if (ok)
				okrt++;
			CHECK(ok, "%s key %zu: round trip failed (%s)",
			    rows[i].file, j, pgp_strerror(st));
			pgp_key_free(x);

			/* (d) halves */
			nmerge++;
			buf_init(&ba, 0);
			buf_init(&bb, 0);
			memset(&want, 0, sizeof(want));
			write_half(k, true, &ba, NULL);
			write_half(k, false, &bb, &want);
			a = parse_buf(&ba, &st);
			b = parse_buf(&bb, &st);
			x = parse_buf(&ba, &st);
			y = parse_buf(&bb, &st);
			ok = a && b && x && y;
			memset(&c, 0, sizeof(c));
			if (ok)
				ok = pgp_key_merge(x, b, &c) == 0 &&
				    pgp_key_merge(y, a, NULL) == 0;
			if (ok) {
				got = canon_bytes(x, &len);
				ok = len == fulllen &&
				    memcmp(got, full, len) == 0;
				free(got);
			}
			if (ok) {
				got = canon_bytes(y, &len);
				ok = len == fulllen &&
				    memcmp(got, full, len) == 0;
				free(got);
			}
			CHECK(ok, "%s key %zu: A+B / B+A differ from the key",
			    rows[i].file, j);
			CHECK(c.new_sigs == want.new_sigs &&
			    c.new_revocations == want.new_revocations &&
			    c.new_uids == want.new_uids &&
			    c.new_subkeys == want.new_subkeys,
			    "%s key %zu: counts got sigs %u revs %u uids %u "
			    "subkeys %u, want %u %u %u %u", rows[i].file, j,
			    c.new_sigs, c.new_revocations, c.new_uids,
			    c.new_subkeys, want.new_sigs, want.new_revocations,
			    want.new_uids, want.new_subkeys);
			/* idempotence on a real key: A+A == A */
			if (a != NULL) {
				uint8_t *abytes = canon_bytes(a, &len);
				struct pgp_key *a2 = parse_buf(&ba, &st);
				size_t len2;

				memset(&c, 0, sizeof(c));
				if (a2 != NULL)
					pgp_key_merge(a2, a, &c);
				got = a2 ? canon_bytes(a2, &len2) : NULL;
				CHECK(got != NULL && len2 == len &&
				    memcmp(got, abytes, len) == 0 &&
				    c.new_sigs + c.new_uids + c.new_subkeys +
				    c.new_revocations == 0,
				    "%s key %zu: A+A != A", rows[i].file, j);
				if (got == NULL || len2 != len ||
				    memcmp(got, abytes, len) != 0)
					ok = false;
				free(got);
				free(abytes);
				pgp_key_free(a2);
			}
			if (ok)
				okmerge++;
			pgp_key_free(a);
			pgp_key_free(b);
			pgp_key_free(x);
			pgp_key_free(y);
			free(ba.data);
			free(bb.data);
			free(full);
		}
		fileres_free(&fr);
	}
	printf("TALLY: merges order-independent and idempotent %zu/%zu\n",
	    okmerge, nmerge);
	printf("TALLY: write/parse round trips exact %zu/%zu\n", okrt, nrt);
}

static int
find_corpus(void)
{
	const char *top = getenv("KM_TOP");
	DIR *d;

	if (top != NULL && *top != '\0')
		snprintf(corpus, sizeof(corpus), "%s/../shared/testdata/keys",
		    top);
	else
		snprintf(corpus, sizeof(corpus), "../shared/testdata/keys");
	if ((d = opendir(corpus)) == NULL)
		return -1;
	closedir(d);
	return 0;
}

int
main(void)
{
	if (load_fixture() == 0) {
		test_fixture_fields();
		test_header_forms();
		test_length_boundaries();
		test_partial_and_indeterminate();
		test_truncation();
		test_stream_rules();
		test_secret_versions_limits();
		test_limits();
		test_v3_key();
		test_subpackets();
		test_merge_fixture();
		test_canonical();
	}
	test_util();

	if (find_corpus() < 0 || load_manifest() < 0) {
		printf("NOTE: corpus absent, 4 tests not run\n");
	} else {
		corpus_fingerprints();
		corpus_secret();
		corpus_merge_roundtrip();
	}
	free(rows);
	free(manifest);
	free(fix);
	free(fixcanon);
	return check_done();
}
