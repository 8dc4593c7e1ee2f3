/*
 * tests/unit/armor_test.c - pgp/armor.c: CRC-24, scanning mangled armor,
 * encoding, and the encode -> scan round trip.
 *
 * The texts are built at run time from one real GnuPG export
 * (pgp_fixture.h) by transformations a mail path might apply.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pgp/pgp.h"
#include "pgp_fixture.h"
#include "util/buf.h"

#define MAXBLOCKS 8

struct got {
	size_t n;			/* callbacks */
	int stop_after;			/* return 1 after this many (0: never) */
	enum pgp_armor_kind kind[MAXBLOCKS];
	enum pgp_status st[MAXBLOCKS];
	bool crc_ok[MAXBLOCKS];
	bool null_data[MAXBLOCKS];
	size_t len[MAXBLOCKS];
	uint8_t *data[MAXBLOCKS];
};

static int
collect(void *ctx, enum pgp_armor_kind kind, const uint8_t *data, size_t len,
    bool crc_ok, enum pgp_status st)
{
	struct got *g = ctx;
	size_t i = g->n++;

	if (i < MAXBLOCKS) {
		g->kind[i] = kind;
		g->st[i] = st;
		g->crc_ok[i] = crc_ok;
		g->null_data[i] = data == NULL;
		g->len[i] = len;
		g->data[i] = NULL;
		if (data != NULL) {
			g->data[i] = malloc(len ? len : 1);
			memcpy(g->data[i], data, len);
		}
	}
	return g->stop_after && (int)g->n >= g->stop_after;
}

static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n && i < MAXBLOCKS; i++)
		free(g->data[i]);
	memset(g, 0, sizeof(*g));
}

static size_t
scan(const char *text, size_t max_out, struct got *g)
{
	memset(g, 0, sizeof(*g));
	return pgp_armor_scan(text, strlen(text), max_out, collect, g);
}

/* The fixture, decoded once, is the reference for every variant. */
static uint8_t *ref;
static size_t reflen;

/* Replace every occurrence of from by to; caller frees. */
static char *
replace_all(const char *s, const char *from, const char *to)
{
	struct buf b;
	size_t fl = strlen(from);
	const char *p;

	buf_init(&b, 0);
	while ((p = strstr(s, from)) != NULL) {
		buf_append(&b, s, (size_t)(p - s));
		buf_puts(&b, to);
		s = p + fl;
	}
	buf_puts(&b, s);
	return (char *)b.data;
}

/* Wrap every line in prefix/suffix. */
static char *
map_lines(const char *s, const char *prefix, const char *suffix)
{
	struct buf b;
	const char *nl;

	buf_init(&b, 0);
	while (*s) {
		nl = strchr(s, '\n');
		buf_puts(&b, prefix);
		buf_append(&b, s, nl ? (size_t)(nl - s) : strlen(s));
		buf_puts(&b, suffix);
		buf_puts(&b, "\n");
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	return (char *)b.data;
}

static char *
cat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

static void
test_crc24(void)
{
	static const struct {
		const char *in;
		size_t len;
		uint32_t want;
	} t[] = {
		{ "", 0, 0xb704ce },		/* the initial value */
		{ "123456789", 9, 0x21cf02 },	/* CRC-24/OPENPGP check */
		{ "a", 1, 0xf25713 },
		{ "abc", 3, 0xba1c7b },
	};
	size_t i;
	uint32_t got;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = pgp_crc24((const uint8_t *)t[i].in, t[i].len);
		CHECK(got == t[i].want, "crc24(\"%s\"): got 0x%06x, want 0x%06x",
		    t[i].in, (unsigned)got, (unsigned)t[i].want);
	}
}

static void
test_fixture(void)
{
	struct got g;
	size_t n = scan(fixture_asc, 0, &g);

	CHECK_INT(n, 1);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.kind[0], PGP_ARMOR_PUBLIC_KEY);
	CHECK_INT(g.st[0], PGP_OK);
	CHECK(g.crc_ok[0], "crc_ok: got false, want true");
	CHECK_INT(g.len[0], FIXTURE_LEN);
	if (g.data[0] != NULL && g.len[0] >= 2) {
		/* old-format public key packet, 1-octet length 0x33 */
		CHECK(g.data[0][0] == 0x98 && g.data[0][1] == 0x33,
		    "first octets: got %02x %02x, want 98 33",
		    g.data[0][0], g.data[0][1]);
		ref = g.data[0];
		reflen = g.len[0];
		g.data[0] = NULL;
	}
	got_free(&g);
}

/* Variants that must decode to the reference bytes. */
static void
test_variants(void)
{
	static const struct {
		const char *name;
		const char *from, *to;	/* one replace_all, or NULL */
		const char *prefix, *suffix;	/* map_lines, or NULL */
		bool crc_ok;
	} t[] = {
		{ "as exported", NULL, NULL, NULL, NULL, true },
		{ "Version and Comment headers", "Comment: keymail unit test key\n",
		    "Version: GnuPG v2\nComment: one\nComment: two\n", NULL, NULL,
		    true },
		{ "no headers", "Comment: keymail unit test key\n", "", NULL,
		    NULL, true },
		{ "CRLF", "\n", "\r\n", NULL, NULL, true },
		{ "leading and trailing blanks", NULL, NULL, "  \t", " \t ",
		    true },
		{ "CRLF and blanks", NULL, NULL, " ", " \r", true },
		{ "whitespace-only separator line", "test key\n\n",
		    "test key\n \t \n", NULL, NULL, true },
		{ "no blank line after headers", "test key\n\n", "test key\n",
		    NULL, NULL, true },
		{ "no headers, no blank line", "-----\nComment: keymail unit "
		    "test key\n\n", "-----\n", NULL, NULL, true },
		{ "blank lines inside base64", "z\nOdLV", "z\n\n\n  \nOdLV",
		    NULL, NULL, true },
		{ "spaces inside base64 lines", "mDME", "m D\tM E", NULL, NULL,
		    true },
		{ "blank lines before END", "=FQV8\n", "=FQV8\n\n \n", NULL,
		    NULL, true },
		{ "missing CRC", "=FQV8\n", "", NULL, NULL, false },
		{ "wrong CRC", "=FQV8\n", "=AAAA\n", NULL, NULL, false },
		{ "malformed CRC", "=FQV8\n", "=FQ\xc2\x82V8\n", NULL, NULL,
		    false },
		{ "unpadded base64", "AQ==\n", "AQ\n", NULL, NULL, true },
		{ "padding on its own line", "AQ==\n", "AQ\n==\n", NULL, NULL,
		    true },
		{ "missing END, CRC right", "-----END PGP PUBLIC KEY BLOCK-----\n",
		    "", NULL, NULL, true },
		{ "dash-escaped armor lines", "-----BEGIN", "- -----BEGIN",
		    NULL, NULL, true },
		{ "GnuPG's protective ':' (openpgp-revocs.d)", "-----BEGIN",
		    ":-----BEGIN", NULL, NULL, true },
		{ "other END label", "END PGP PUBLIC KEY BLOCK", "END PGP FOO",
		    NULL, NULL, true },
	};
	size_t i;
	struct got g;
	char *text, *tmp;

	if (ref == NULL)
		return;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		text = strdup(fixture_asc);
		if (t[i].from != NULL) {
			tmp = replace_all(text, t[i].from, t[i].to);
			free(text);
			text = tmp;
		}
		if (t[i].prefix != NULL) {
			tmp = map_lines(text, t[i].prefix, t[i].suffix);
			free(text);
			text = tmp;
		}
		scan(text, 0, &g);
		CHECK(g.n == 1 && g.st[0] == PGP_OK && g.len[0] == reflen &&
		    g.data[0] != NULL && memcmp(g.data[0], ref, reflen) == 0,
		    "%s: got %zu blocks, st %s, %zu octets, want 1 block equal "
		    "to the reference", t[i].name, g.n,
		    g.n ? pgp_strerror(g.st[0]) : "-", g.n ? g.len[0] : 0);
		CHECK(g.n == 1 && g.crc_ok[0] == t[i].crc_ok,
		    "%s: crc_ok got %d, want %d", t[i].name,
		    g.n ? g.crc_ok[0] : -1, t[i].crc_ok);
		got_free(&g);
		free(text);
	}
}

/* Texts that must fail, or find nothing. */
static void
test_failures(void)
{
	static const struct {
		const char *name;
		const char *from, *to;
		size_t max_out;
		size_t want_blocks;
		enum pgp_status want_st;
	} t[] = {
		{ "garbage in base64", "mDME", "mD$E", 0, 1, PGP_ERR_ARMOR },
		{ "control character in base64", "mDME", "mD\x7f" "E", 0, 1,
		    PGP_ERR_ARMOR },
		{ "data after padding", "AQ==\n", "AQ==AAAA\n", 0, 1,
		    PGP_ERR_ARMOR },
		{ "one stray base64 character", "AQ==\n", "AQ==\nA\n", 0, 1,
		    PGP_ERR_ARMOR },
		{ "missing END and CRC", "=FQV8\n-----END PGP PUBLIC KEY "
		    "BLOCK-----\n", "", 0, 1, PGP_ERR_ARMOR },
		{ "missing END, wrong CRC", "=FQV8\n-----END PGP PUBLIC KEY "
		    "BLOCK-----\n", "=AAAA\n", 0, 1, PGP_ERR_ARMOR },
		{ "no data at all", NULL, NULL, 0, 1, PGP_ERR_ARMOR },
		{ "over max_out", NULL, NULL, FIXTURE_LEN - 1, 1,
		    PGP_ERR_LIMIT },
		{ "exactly max_out", NULL, NULL, FIXTURE_LEN, 1, PGP_OK },
		{ "BEGIN not at line start", "-----BEGIN PGP PUBLIC",
		    "x -----BEGIN PGP PUBLIC", 0, 0, PGP_OK },
		{ "two colons before BEGIN", "-----BEGIN PGP PUBLIC",
		    "::-----BEGIN PGP PUBLIC", 0, 0, PGP_OK },
		{ "BEGIN with junk after", "KEY BLOCK-----\nComment",
		    "KEY BLOCK----- x\nComment", 0, 0, PGP_OK },
		{ "BEGIN without label", "-----BEGIN PGP PUBLIC KEY BLOCK-----",
		    "-----BEGIN PGP -----", 0, 0, PGP_OK },
	};
	size_t i;
	struct got g;
	char *text;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(t[i].name, "no data at all") == 0)
			text = strdup("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
			    "=twTO\n-----END PGP PUBLIC KEY BLOCK-----\n");
		else if (t[i].from == NULL)
			text = strdup(fixture_asc);
		else
			text = replace_all(fixture_asc, t[i].from, t[i].to);
		scan(text, t[i].max_out, &g);
		CHECK(g.n == t[i].want_blocks, "%s: got %zu blocks, want %zu",
		    t[i].name, g.n, t[i].want_blocks);
		if (g.n == 1 && t[i].want_blocks == 1) {
			CHECK(g.st[0] == t[i].want_st, "%s: got %s, want %s",
			    t[i].name, pgp_strerror(g.st[0]),
			    pgp_strerror(t[i].want_st));
			if (t[i].want_st != PGP_OK)
				CHECK(g.null_data[0], "%s: got data, want NULL",
				    t[i].name);
		}
		got_free(&g);
		free(text);
	}
}

static void
test_kinds_and_multiple(void)
{
	static const struct {
		const char *label;
		enum pgp_armor_kind kind;
	} t[] = {
		{ "PUBLIC KEY BLOCK", PGP_ARMOR_PUBLIC_KEY },
		{ "PRIVATE KEY BLOCK", PGP_ARMOR_PRIVATE_KEY },
		{ "SECRET KEY BLOCK", PGP_ARMOR_PRIVATE_KEY },
		{ "MESSAGE", PGP_ARMOR_OTHER },
		{ "SIGNATURE", PGP_ARMOR_OTHER },
		{ "ARMORED FILE", PGP_ARMOR_OTHER },
		{ "PUBLIC KEY BLOCK, PART 1/2", PGP_ARMOR_OTHER },
	};
	struct got g;
	struct buf all;
	char *text, *begin, *end, *tmp;
	size_t i, n;

	buf_init(&all, 0);
	buf_puts(&all, "From: someone\n\nHere are my keys:\n\n");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		begin = cat3("-----BEGIN PGP ", t[i].label, "-----");
		end = cat3("-----END PGP ", t[i].label, "-----");
		text = replace_all(fixture_asc, "-----BEGIN PGP PUBLIC KEY "
		    "BLOCK-----", begin);
		free(begin);
		begin = replace_all(text, "-----END PGP PUBLIC KEY BLOCK-----",
		    end);
		free(text);
		free(end);
		scan(begin, 0, &g);
		CHECK(g.n == 1 && g.kind[0] == t[i].kind && g.st[0] == PGP_OK,
		    "label \"%s\": got %zu blocks kind %d, want 1 of kind %d",
		    t[i].label, g.n, g.n ? (int)g.kind[0] : -1, t[i].kind);
		got_free(&g);
		buf_puts(&all, begin);
		buf_puts(&all, "\nsome text between blocks\n-- \nsig\n");
		free(begin);
	}
	n = scan((const char *)all.data, 0, &g);
	CHECK(n == sizeof(t) / sizeof(t[0]), "blocks in one text: got %zu, "
	    "want %zu", n, sizeof(t) / sizeof(t[0]));
	for (i = 0; i < g.n && i < MAXBLOCKS && i < sizeof(t) / sizeof(t[0]);
	    i++)
		CHECK(g.kind[i] == t[i].kind && g.len[i] == reflen,
		    "block %zu: got kind %d len %zu, want kind %d len %zu", i,
		    g.kind[i], g.len[i], t[i].kind, reflen);
	got_free(&g);

	/* The callback can stop the scan. */
	memset(&g, 0, sizeof(g));
	g.stop_after = 2;
	n = pgp_armor_scan((const char *)all.data, all.len, 0, collect, &g);
	CHECK(n == 2 && g.n == 2, "stop after 2: got %zu found, %zu calls, "
	    "want 2, 2", n, g.n);
	got_free(&g);
	free(all.data);

	/* A clear-signed message: its BEGIN starts no block; a dash-escaped
	 * key inside it and the signature block after it are found. */
	tmp = replace_all(fixture_asc, "-----BEGIN", "- -----BEGIN");
	text = replace_all(tmp, "-----END", "- -----END");
	free(tmp);
	begin = cat3("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
	    "Here is my key:\n", text, "-----BEGIN PGP SIGNATURE-----\n\n"
	    "YWJj\n=uhx7\n-----END PGP SIGNATURE-----\n");
	scan(begin, 0, &g);
	CHECK(g.n == 2 && g.kind[0] == PGP_ARMOR_PUBLIC_KEY &&
	    g.len[0] == reflen && g.kind[1] == PGP_ARMOR_OTHER &&
	    g.len[1] == 3 && g.crc_ok[1], "clear-signed: got %zu blocks "
	    "(kinds %d %d), want public key then signature", g.n,
	    g.n > 0 ? (int)g.kind[0] : -1, g.n > 1 ? (int)g.kind[1] : -1);
	got_free(&g);
	free(text);
	free(begin);

	/* A BEGIN inside an unterminated block starts a new block. */
	text = replace_all(fixture_asc, "=FQV8\n-----END PGP PUBLIC KEY "
	    "BLOCK-----\n", "");
	begin = cat3(text, "\n", fixture_asc);
	scan(begin, 0, &g);
	CHECK(g.n == 2 && g.st[0] == PGP_ERR_ARMOR && g.st[1] == PGP_OK &&
	    g.len[1] == reflen, "unterminated then good: got %zu blocks, "
	    "st %d %d, want ARMOR then OK", g.n, g.n ? (int)g.st[0] : -1,
	    g.n > 1 ? (int)g.st[1] : -1);
	got_free(&g);
	free(text);
	free(begin);

	CHECK_INT(scan("", 0, &g), 0);
	CHECK_INT(scan("no armor here\n-----BEGIN PGP", 0, &g), 0);
}

static void
test_encode(void)
{
	static const size_t lens[] = { 0, 1, 2, 3, 47, 48, 49, 95, 96, 97,
	    1000, 4099 };
	static const char abc_want[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
	    "\n" "YWJj\n" "=uhx7\n" "-----END PGP PUBLIC KEY BLOCK-----\n";
	struct buf b;
	struct got g;
	uint8_t data[4099];
	size_t i, j, linelen, maxline;
	const char *p;

	buf_init(&b, 0);
	CHECK_INT(pgp_armor_encode((const uint8_t *)"abc", 3, &b), 0);
	CHECK_STR((const char *)b.data, abc_want);
	free(b.data);

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		buf_init(&b, 0);
		CHECK_INT(pgp_armor_encode(data, lens[i], &b), 0);
		/* base64 lines are at most 64 columns, and only the last
		 * one may be shorter */
		maxline = 0;
		for (p = (const char *)b.data, j = 0; *p; p += linelen + 1) {
			linelen = strcspn(p, "\n");
			if (linelen > maxline && p[0] != '-')
				maxline = linelen;
			j++;
		}
		CHECK(maxline <= 64, "len %zu: longest line %zu, want <= 64",
		    lens[i], maxline);
		scan((const char *)b.data, 0, &g);
		if (lens[i] == 0) {
			/* an empty block carries no data to report */
			CHECK(g.n == 1 && g.st[0] == PGP_ERR_ARMOR,
			    "len 0 round trip: got %zu blocks", g.n);
		} else {
			CHECK(g.n == 1 && g.st[0] == PGP_OK && g.crc_ok[0] &&
			    g.len[0] == lens[i] &&
			    memcmp(g.data[0], data, lens[i]) == 0,
			    "len %zu round trip: got %zu blocks, %zu octets, "
			    "crc_ok %d", lens[i], g.n, g.n ? g.len[0] : 0,
			    g.n ? g.crc_ok[0] : -1);
		}
		got_free(&g);
		free(b.data);
	}

	/* Encoding the reference gives back the same binary. */
	if (ref != NULL) {
		buf_init(&b, 0);
		pgp_armor_encode(ref, reflen, &b);
		scan((const char *)b.data, 0, &g);
		CHECK(g.n == 1 && g.len[0] == reflen &&
		    memcmp(g.data[0], ref, reflen) == 0 &&
		    strstr((const char *)b.data, "\n=FQV8\n") != NULL,
		    "fixture re-encoded: got %zu blocks", g.n);
		got_free(&g);
		free(b.data);
	}

	/* Over the cap: -1, and the buffer is left as it was. */
	buf_init(&b, 100);
	buf_puts(&b, "keep");
	CHECK_INT(pgp_armor_encode(data, 200, &b), -1);
	CHECK_STR((const char *)b.data, "keep");
	CHECK_INT(b.len, 4);
	free(b.data);
}

int
main(void)
{
	test_crc24();
	test_fixture();
	test_variants();
	test_failures();
	test_kinds_and_multiple();
	test_encode();
	free(ref);
	return check_done();
}
