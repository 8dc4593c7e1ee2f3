/*
 * keyspec_test.c - GET/INDEX argument classification, search words, config.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "cmd/cmd.h"
#include "util/conf.h"
#include "util/words.h"

static const struct {
	const char *arg;
	enum keyspec_kind kind;
	size_t idlen;
	const char *first_bytes;	/* hex of id[0..1] */
} cases[] = {
	{ "0xDEADBEEF", KEYSPEC_SHORTID, 4, "DEAD" },
	{ "0xdeadbeef", KEYSPEC_SHORTID, 4, "DEAD" },
	{ "0XDEADBEEF", KEYSPEC_SHORTID, 4, "DEAD" },
	{ "0x0123456789ABCDEF", KEYSPEC_KEYID, 8, "0123" },
	{ "0123456789ABCDEF", KEYSPEC_KEYID, 8, "0123" },
	{ "0x5F1438D784C8C684B0A1F51AD6E5D3AE53A1B1E1", KEYSPEC_FPR, 20, "5F14" },
	{ "5F1438D784C8C684B0A1F51AD6E5D3AE53A1B1E1", KEYSPEC_FPR, 20, "5F14" },
	{ "5F14 38D7 84C8 C684 B0A1  F51A D6E5 D3AE 53A1 B1E1", KEYSPEC_FPR, 20, "5F14" },
	{ "0x5F14 38D7 84C8 C684 B0A1 F51A D6E5 D3AE 53A1 B1E1", KEYSPEC_FPR, 20, "5F14" },
	{ "CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9", KEYSPEC_FPR, 32, "CB18" },
	{ "deadbeef", KEYSPEC_TEXT, 0, NULL },		/* bare 8 hex: a word */
	{ "cafe", KEYSPEC_TEXT, 0, NULL },
	{ "alice", KEYSPEC_TEXT, 0, NULL },
	{ "alice@example.org", KEYSPEC_TEXT, 0, NULL },
	{ "dead beef", KEYSPEC_TEXT, 0, NULL },
	{ "0x123", KEYSPEC_BAD, 0, NULL },
	{ "0x12345678901", KEYSPEC_BAD, 0, NULL },
	{ "0xZZZZZZZZ", KEYSPEC_BAD, 0, NULL },
	{ "0x alice", KEYSPEC_TEXT, 0, NULL },
};

static void
test_keyspec(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct keyspec ks;
		char hex[65] = "";

		keyspec_parse(cases[i].arg, &ks);
		CHECK(ks.kind == cases[i].kind, "%s: got kind %d, want %d", cases[i].arg,
		    ks.kind, cases[i].kind);
		CHECK(ks.idlen == cases[i].idlen, "%s: got idlen %zu, want %zu", cases[i].arg,
		    ks.idlen, cases[i].idlen);
		if (cases[i].first_bytes) {
			snprintf(hex, sizeof(hex), "%02X%02X", ks.id[0], ks.id[1]);
			CHECK_STR(hex, cases[i].first_bytes);
		}
	}
}

static void
test_words(void)
{
	size_t n;
	char **w = words_split("Alice Q. Example <ALICE@example.org> (x)", 41, &n);

	/* "q" and "x" are too short; "alice" and "example" appear twice. */
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(w[0], "alice");
		CHECK_STR(w[1], "example");
		CHECK_STR(w[2], "org");
	}
	words_free(w, n);
	CHECK(words_icontains("Alice Example <a@b>", 19, "ice ex"), "substring, case-insensitive");
	CHECK(!words_icontains("Alice", 5, "alicex"), "needle longer than hay");
	w = words_split("\xc3\xa9t\xc3\xa9 ab", 8, &n);
	CHECK_INT(n, 1);	/* only ASCII runs are words */
	words_free(w, n);
}

static void
test_conf(void)
{
	struct conf c;
	char path[] = "/tmp/keymail-conf-XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");

	fprintf(fp, "# comment\n\ndatabase = host=/tmp dbname=x \naddress=robot@example.net\n"
	    "max_reply_keys = 7\npeer = a@example.com\npeer = b@example.com pks\n");
	fclose(fp);
	conf_defaults(&c);
	CHECK_INT(conf_load(&c, path, err, sizeof(err)), 0);
	CHECK_STR(c.database, "host=/tmp dbname=x");
	CHECK_STR(c.address, "robot@example.net");
	/* Not the robot itself: a person reads postmaster@ (conf.c). */
	CHECK_STR(c.maintainer, "postmaster@example.net");
	CHECK_INT(c.max_reply_keys, 7);
	CHECK_INT(c.max_last_days, 7);
	CHECK_INT(c.npeers, 2);
	conf_free(&c);

	fp = fopen(path, "w");
	fprintf(fp, "max_reply_keys = 12x\n");
	fclose(fp);
	conf_defaults(&c);
	CHECK_INT(conf_load(&c, path, err, sizeof(err)), -1);
	CHECK(strstr(err, "max_reply_keys") != NULL, "error names the key: %s", err);
	conf_free(&c);

	fp = fopen(path, "w");
	fprintf(fp, "no_such_key = 1\n");
	fclose(fp);
	conf_defaults(&c);
	CHECK_INT(conf_load(&c, path, err, sizeof(err)), -1);
	CHECK(strstr(err, "unknown key") != NULL, "unknown key reported: %s", err);
	conf_free(&c);
	unlink(path);
}

int
main(void)
{
	test_keyspec();
	test_words();
	test_conf();
	return check_done();
}
