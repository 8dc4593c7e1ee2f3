/*
 * tests/unit/sync_test.c - the pure parts of peer sync and MGET:
 * peer lines (util/peer.c), what each peer profile gets
 * (sync_key_for_profile), the incremental message (mail_incremental_build)
 * and the bounded regex adapter (util/regex_pcre2.c).
 *
 * Keys: the photo-ID fixture (sync_fixture.h, made with GnuPG for this
 * project), the ed25519 fixture (pgp_fixture.h), and, if the shared spec
 * is there, the v6 sample certificate of RFC 9580 Appendix A.3, read in
 * place (NOTE when absent).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pgp_fixture.h"
#include "sync_fixture.h"
#include "cmd/cmd.h"
#include "mail/mail.h"
#include "util/limits.h"
#include "util/peer.h"
#include "util/regex.h"
#include "util/xalloc.h"

static const struct pgp_limits lim = {
	.max_key_size = KM_MAX_KEY_SIZE,
	.max_packets_per_key = KM_MAX_PACKETS_PER_KEY,
	.max_uid_length = KM_MAX_UID_LENGTH,
};

/* ---- helpers ----------------------------------------------------------- */

static int
first_block(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	struct buf *b = ctx;

	(void)kind;
	(void)crc_ok;
	if (st == PGP_OK && b->len == 0)
		buf_append(b, data, len);
	return 1;
}

static void
dearmor(const char *text, struct buf *out)
{
	buf_init(out, 0);
	(void)pgp_armor_scan(text, strlen(text), 0, first_block, out);
}

/* The canonical stored form of an armored key (what the store holds). */
static int
stored_form(const char *asc, struct buf *out)
{
	struct buf bin;
	enum pgp_status st;
	struct pgp_key *k;
	int rc;

	dearmor(asc, &bin);
	k = pgp_key_parse_one(bin.data, bin.len, &lim, &st);
	free(bin.data);
	buf_init(out, 0);
	if (k == NULL)
		return -1;
	pgp_key_canonicalize(k);
	rc = pgp_key_write(k, out);
	pgp_key_free(k);
	return rc;
}

/* Walk packet headers: tags into tags[] (at most max), -1 on a framing
 * error; *newfmt counts new-format headers. */
static int
packet_tags(const uint8_t *d, size_t n, int *tags, int max, int *newfmt)
{
	size_t pos = 0;
	int count = 0;

	*newfmt = 0;
	while (pos < n) {
		uint8_t c = d[pos];
		size_t hl, len;

		if (!(c & 0x80))
			return -1;
		if (c & 0x40) {
			uint8_t o = d[pos + 1];

			(*newfmt)++;
			if (count < max)
				tags[count] = c & 63;
			if (o < 192) {
				hl = 2;
				len = o;
			} else if (o < 224) {
				hl = 3;
				len = ((size_t)(o - 192) << 8) + d[pos + 2] + 192;
			} else if (o == 255) {
				hl = 6;
				len = (size_t)d[pos + 2] << 24 | (size_t)d[pos + 3] << 16 |
				    (size_t)d[pos + 4] << 8 | d[pos + 5];
			} else
				return -1;
		} else {
			if (count < max)
				tags[count] = (c >> 2) & 15;
			switch (c & 3) {
			case 0:
				hl = 2;
				len = d[pos + 1];
				break;
			case 1:
				hl = 3;
				len = (size_t)d[pos + 1] << 8 | d[pos + 2];
				break;
			case 2:
				hl = 5;
				len = (size_t)d[pos + 1] << 24 | (size_t)d[pos + 2] << 16 |
				    (size_t)d[pos + 3] << 8 | d[pos + 4];
				break;
			default:
				return -1;
			}
		}
		if (pos + hl + len > n)
			return -1;
		pos += hl + len;
		count++;
	}
	return count;
}

/* The RFC 9580 A.3 v6 certificate, from the spec text (indented). */
static char *
rfc_v6_cert(void)
{
	const char *top = getenv("KM_TOP");
	char *path = xasprintf("%s/../shared/spec/rfc/rfc9580.txt", top ? top : ".");
	FILE *fp = fopen(path, "r");
	char line[256];
	struct buf b;
	int in = 0, seen_a3 = 0;

	free(path);
	if (fp == NULL)
		return NULL;
	buf_init(&b, 0);
	while (fgets(line, sizeof(line), fp)) {
		const char *s = line;

		if (!strncmp(line, "A.3.  Sample Version 6 Certificate", 34))
			seen_a3 = 1;
		while (*s == ' ')
			s++;
		if (seen_a3 && !strncmp(s, "-----BEGIN PGP PUBLIC KEY BLOCK-----", 36))
			in = 1;
		if (in)
			buf_puts(&b, s);
		if (in && !strncmp(s, "-----END PGP PUBLIC KEY BLOCK-----", 34))
			break;
	}
	fclose(fp);
	if (!in) {
		free(b.data);
		return NULL;
	}
	buf_putc(&b, '\0');
	return (char *)b.data;
}

/* ---- peer lines -------------------------------------------------------- */

static void
test_peer_parse(void)
{
	static const struct {
		const char *line;
		int ok;
		const char *addr;
		enum peer_profile prof;
	} cases[] = {
		{ "pgp-public-keys@keys.example.net", 1, "pgp-public-keys@keys.example.net", PEER_PKS },
		{ "  a@b.example   sks  ", 1, "a@b.example", PEER_SKS },
		{ "a@b.example ONAK", 1, "a@b.example", PEER_ONAK },
		{ "a@b.example\tgeneric", 1, "a@b.example", PEER_GENERIC },
		{ "A@B.Example pks", 1, "A@B.Example", PEER_PKS },
		{ "", 0, NULL, 0 },
		{ "   ", 0, NULL, 0 },
		{ "no-at-sign.example", 0, NULL, 0 },
		{ "two@at@example", 0, NULL, 0 },
		{ "@example.net", 0, NULL, 0 },
		{ "local@", 0, NULL, 0 },
		{ "-oQ@example.net", 0, NULL, 0 },		/* an option to a mailer */
		{ "<a@b.example>", 0, NULL, 0 },
		{ "Name <a@b.example>", 0, NULL, 0 },
		{ "a@b.example,c@d.example", 0, NULL, 0 },	/* two recipients */
		{ "a@b.example sks extra", 0, NULL, 0 },
		{ "a@b.example pgp", 0, NULL, 0 },
		{ "a\"b@example.net", 0, NULL, 0 },
	};
	char err[256], longaddr[300];
	struct peer p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		memset(&p, 0, sizeof(p));
		err[0] = '\0';
		rc = peer_parse(cases[i].line, &p, err, sizeof(err));
		CHECK((rc == 0) == cases[i].ok, "peer_parse(\"%s\") = %d (%s)",
		    cases[i].line, rc, err);
		if (rc == 0 && cases[i].ok) {
			CHECK_STR(p.addr, cases[i].addr);
			CHECK(p.profile == cases[i].prof, "profile of \"%s\": %s",
			    cases[i].line, peer_profile_name(p.profile));
		}
		if (rc != 0)
			CHECK(err[0] != '\0', "no reason for \"%s\"", cases[i].line);
		peer_free(&p);
	}
	/* Validation only (conf_load's use) allocates nothing. */
	CHECK_INT(peer_parse("x@y.example sks", NULL, err, sizeof(err)), 0);
	/* KM_MAX_ADDRESS bytes pass, one more does not. */
	memset(longaddr, 'a', sizeof(longaddr));
	memcpy(longaddr + KM_MAX_ADDRESS - 10, "@b.example", 11);
	CHECK(peer_addr_ok(longaddr), "a %u-byte address", KM_MAX_ADDRESS);
	memset(longaddr, 'a', sizeof(longaddr));
	memcpy(longaddr + KM_MAX_ADDRESS - 9, "@b.example", 11);
	CHECK(!peer_addr_ok(longaddr), "a %u-byte address", KM_MAX_ADDRESS + 1);
	CHECK_STR(peer_profile_name(PEER_SKS), "sks");
}

/* ---- profiles ---------------------------------------------------------- */

static void
test_profiles(void)
{
	struct buf stored, out;
	int tags[32], n, newfmt, rc;
	char *v6;

	CHECK_INT(stored_form(photo_asc, &stored), 0);
	n = packet_tags(stored.data, stored.len, tags, 32, &newfmt);
	CHECK_INT(n, PHOTO_NPACKETS);
	CHECK_INT(newfmt, 1);		/* the attribute: tag 17 needs new format */

	/* generic and onak: the stored key as it is. */
	buf_init(&out, 0);
	CHECK_INT(sync_key_for_profile(stored.data, stored.len, PEER_GENERIC, &lim, &out), 0);
	CHECK(out.len == stored.len && !memcmp(out.data, stored.data, out.len),
	    "generic profile changed the key");
	buf_reset(&out);
	CHECK_INT(sync_key_for_profile(stored.data, stored.len, PEER_ONAK, &lim, &out), 0);
	CHECK(out.len == stored.len && !memcmp(out.data, stored.data, out.len),
	    "onak profile changed the key");
	/* sks: a v4 key goes as it is, photo and all. */
	buf_reset(&out);
	CHECK_INT(sync_key_for_profile(stored.data, stored.len, PEER_SKS, &lim, &out), 0);
	CHECK(out.len == stored.len && !memcmp(out.data, stored.data, out.len),
	    "sks profile changed a v4 key");
	/* pks: no attribute, no attribute signature, old format throughout,
	 * and the order spec 4.4 asks for. */
	buf_reset(&out);
	CHECK_INT(sync_key_for_profile(stored.data, stored.len, PEER_PKS, &lim, &out), 0);
	n = packet_tags(out.data, out.len, tags, 32, &newfmt);
	CHECK_INT(n, PHOTO_NPACKETS - 2);
	CHECK_INT(newfmt, 0);
	if (n == 5)
		CHECK(tags[0] == 6 && tags[1] == 13 && tags[2] == 2 &&
		    tags[3] == 14 && tags[4] == 2, "pks packet order %d %d %d %d %d",
		    tags[0], tags[1], tags[2], tags[3], tags[4]);
	/* ... and it is still a key our own parser and checker accept. */
	{
		enum pgp_status st;
		struct pgp_key *k = pgp_key_parse_one(out.data, out.len, &lim, &st);

		CHECK(k != NULL, "pks output does not parse: %s", pgp_strerror(st));
		if (k) {
			char hex[65];

			pgp_hex(k->pub.fpr, k->pub.fprlen, hex);
			CHECK_STR(hex, PHOTO_FPR);
			CHECK_INT(pgp_key_check(k, 1900000000, NULL, 0), PGP_OK);
			pgp_key_free(k);
		}
	}
	free(out.data);
	free(stored.data);

	/* An EdDSA key: pks cannot take it, everybody else can. */
	CHECK_INT(stored_form(fixture_asc, &stored), 0);
	buf_init(&out, 0);
	CHECK_INT(sync_key_for_profile(stored.data, stored.len, PEER_PKS, &lim, &out), 1);
	CHECK_INT(out.len, 0);
	CHECK_INT(sync_key_for_profile(stored.data, stored.len, PEER_SKS, &lim, &out), 0);
	free(out.data);
	free(stored.data);

	/* A v6 key: neither pks nor sks. */
	if ((v6 = rfc_v6_cert()) == NULL) {
		printf("NOTE: ../shared/spec/rfc/rfc9580.txt absent: v6 profile "
		    "checks (3) not run\n");
	} else {
		rc = stored_form(v6, &stored);
		CHECK_INT(rc, 0);
		buf_init(&out, 0);
		CHECK_INT(sync_key_for_profile(stored.data, stored.len, PEER_SKS, &lim, &out), 1);
		CHECK_INT(sync_key_for_profile(stored.data, stored.len, PEER_PKS, &lim, &out), 1);
		CHECK_INT(sync_key_for_profile(stored.data, stored.len, PEER_GENERIC, &lim, &out), 0);
		free(out.data);
		free(stored.data);
		free(v6);
	}
	/* Garbage is an error, not a crash. */
	buf_init(&out, 0);
	CHECK_INT(sync_key_for_profile((const uint8_t *)"\x99\x00", 2, PEER_GENERIC, &lim, &out), -1);
	free(out.data);
}

/* ---- the incremental message ------------------------------------------ */

static const char *
header_value(const char *msg, const char *name, int nth)
{
	static char val[1024];
	const char *p = msg;
	size_t nl = strlen(name);

	while (*p && *p != '\n') {
		const char *e = strchr(p, '\n');

		if (!strncmp(p, name, nl) && p[nl] == ':' && nth-- == 0) {
			size_t n = (size_t)(e - p) - nl - 2;

			memcpy(val, p + nl + 2, n);
			val[n] = '\0';
			return val;
		}
		p = e + 1;
	}
	return NULL;
}

static int
header_count(const char *msg, const char *name)
{
	int n = 0;

	while (header_value(msg, name, n) != NULL)
		n++;
	return n;
}

static void
test_incremental(void)
{
	static char *trail[] = {
		"pgp-public-keys@up.example", "",
		"PGP-Public-Keys@Up.Example",		/* same address again */
		"evil@x.example\r\nBcc: victim@y.example",
		"pgp-public-keys@keys.test.example",	/* ourselves, already there */
	};
	struct mail_incremental mi;
	struct buf armor, msg;
	const char *m, *body;
	char *s;

	buf_init(&armor, 0);
	CHECK_INT(pgp_armor_encode((const uint8_t *)"\x99\x00\x01", 3, &armor), 0);
	memset(&mi, 0, sizeof(mi));
	mi.from = "pgp-public-keys@keys.test.example";
	mi.to = "pgp-public-keys@peer.example";
	mi.this_site = "pgp-public-keys@keys.test.example";
	mi.msgid_domain = "keys.test.example";
	mi.armor = (const char *)armor.data;
	mi.armor_len = armor.len;
	buf_init(&msg, 0);
	CHECK_INT(mail_incremental_build(&mi, &msg), 0);
	buf_putc(&msg, '\0');
	m = (const char *)msg.data;
	CHECK_STR(header_value(m, "Subject", 0), "incremental");
	CHECK_STR(header_value(m, "From", 0), "pgp-public-keys@keys.test.example");
	CHECK_STR(header_value(m, "To", 0), "pgp-public-keys@peer.example");
	CHECK_STR(header_value(m, "X-KeyServer-Sent", 0), "pgp-public-keys@keys.test.example");
	CHECK_INT(header_count(m, "X-KeyServer-Sent"), 1);
	CHECK_STR(header_value(m, "Precedence", 0), "list");
	CHECK_STR(header_value(m, "Auto-Submitted", 0), "auto-generated");
	CHECK_STR(header_value(m, "Content-Type", 0), "application/pgp-keys");
	CHECK_STR(header_value(m, "Content-Transfer-Encoding", 0), "7bit");
	CHECK_STR(header_value(m, "MIME-Version", 0), "1.0");
	CHECK(header_value(m, "Message-ID", 0) != NULL &&
	    strstr(header_value(m, "Message-ID", 0), "@keys.test.example>") != NULL,
	    "Message-ID");
	CHECK(header_value(m, "Date", 0) != NULL, "Date");
	CHECK(strchr(m, '\r') == NULL, "a CR in the message");
	body = strstr(m, "\n\n");
	CHECK(body != NULL && !strcmp(body + 2, (const char *)armor.data),
	    "the body is not exactly the armor block");

	/* With a trail: in order, each once, ourselves added only if absent,
	 * and nothing from the trail can start a header of its own. */
	buf_reset(&msg);
	mi.sent = trail;
	mi.nsent = sizeof(trail) / sizeof(trail[0]);
	CHECK_INT(mail_incremental_build(&mi, &msg), 0);
	buf_putc(&msg, '\0');
	m = (const char *)msg.data;
	CHECK_INT(header_count(m, "X-KeyServer-Sent"), 3);
	CHECK_STR(header_value(m, "X-KeyServer-Sent", 0), "pgp-public-keys@up.example");
	s = xstrdup(header_value(m, "X-KeyServer-Sent", 1));
	CHECK(strchr(s, ' ') == NULL && strchr(s, ':') == NULL,
	    "unclean trail value \"%s\"", s);
	free(s);
	CHECK_STR(header_value(m, "X-KeyServer-Sent", 2), "pgp-public-keys@keys.test.example");
	CHECK_INT(header_count(m, "Bcc"), 0);
	CHECK(strstr(m, "\nBcc") == NULL, "an injected header");

	/* this_site keeps its own spelling, even if the trail has it in
	 * lower case. */
	buf_reset(&msg);
	mi.this_site = "PGP-Public-Keys@Keys.Test.Example";
	CHECK_INT(mail_incremental_build(&mi, &msg), 0);
	buf_putc(&msg, '\0');
	CHECK_INT(header_count((const char *)msg.data, "X-KeyServer-Sent"), 3);
	CHECK_STR(header_value((const char *)msg.data, "X-KeyServer-Sent", 2),
	    "PGP-Public-Keys@Keys.Test.Example");
	/* this_site not in the trail goes last. */
	buf_reset(&msg);
	mi.nsent = 1;
	mi.this_site = "Keys@Other.Example";
	CHECK_INT(mail_incremental_build(&mi, &msg), 0);
	buf_putc(&msg, '\0');
	CHECK_INT(header_count((const char *)msg.data, "X-KeyServer-Sent"), 2);
	CHECK_STR(header_value((const char *)msg.data, "X-KeyServer-Sent", 1),
	    "Keys@Other.Example");

	/* Refusals: CRLF armor, no recipient. */
	buf_reset(&msg);
	mi.armor = "-----BEGIN PGP PUBLIC KEY BLOCK-----\r\n";
	mi.armor_len = strlen(mi.armor);
	CHECK_INT(mail_incremental_build(&mi, &msg), -1);
	mi.armor = (const char *)armor.data;
	mi.armor_len = armor.len;
	mi.to = "\r\n";
	CHECK_INT(mail_incremental_build(&mi, &msg), -1);
	free(msg.data);
	free(armor.data);
}

/* ---- the regex adapter ------------------------------------------------- */

static void
test_regex(void)
{
	char err[256], bad[64];
	struct km_regex *re;

	err[0] = '\0';
	re = km_regex_compile("ali(ce", 6, err, sizeof(err));
	CHECK(re == NULL, "a bad pattern compiled");
	CHECK(strstr(err, "missing closing parenthesis") != NULL &&
	    strstr(err, "at offset 6") != NULL, "error text \"%s\"", err);
	/* Not NUL-terminated: the length decides. */
	re = km_regex_compile("alice)))", 5, err, sizeof(err));
	CHECK(re != NULL, "length ignored: %s", err);
	if (re) {
		CHECK_INT(km_regex_match(re, "Alice <ALICE@x>", 15, 1000, 100), KM_RE_MATCH);
		CHECK_INT(km_regex_match(re, "Bob", 3, 1000, 100), KM_RE_NOMATCH);
		km_regex_free(re);
	}
	/* UTF-8 is characters, case-insensitively. */
	re = km_regex_compile("^j.rg$", 6, err, sizeof(err));
	if (re) {
		CHECK_INT(km_regex_match(re, "J\xc3\x96RG", 5, 1000, 100), KM_RE_MATCH);
		km_regex_free(re);
	}
	/* \C is refused. */
	CHECK(km_regex_compile("a\\Cb", 4, err, sizeof(err)) == NULL, "\\C compiled");
	/* Catastrophic backtracking hits the match limit. */
	re = km_regex_compile("(a+)+$", 6, err, sizeof(err));
	if (re) {
		memset(bad, 'a', 40);
		bad[40] = '!';
		CHECK_INT(km_regex_match(re, bad, 41, 100000, 5000), KM_RE_LIMIT);
		CHECK_INT(km_regex_match(re, "aaaa", 4, 100000, 5000), KM_RE_MATCH);
		km_regex_free(re);
	}
	/* Deep recursion hits the depth limit before the match limit. */
	re = km_regex_compile("^(a|b)*$", 8, err, sizeof(err));
	if (re) {
		char deep[2002];

		memset(deep, 'a', 2000);
		deep[2000] = '!';
		deep[2001] = '\0';
		CHECK_INT(km_regex_match(re, deep, 2001, 10000000, 100), KM_RE_LIMIT);
		CHECK_INT(km_regex_match(re, deep, 2001, 10000000, 100000), KM_RE_NOMATCH);
		CHECK_INT(km_regex_match(re, "abab", 4, 10000000, 100), KM_RE_MATCH);
		km_regex_free(re);
	}
	km_regex_free(NULL);
}

int
main(void)
{
	(void)pgp_crypto_init();
	test_peer_parse();
	test_profiles();
	test_incremental();
	test_regex();
	return check_done();
}
