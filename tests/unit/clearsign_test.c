/*
 * clearsign_test.c - cleartext signed messages (pgp/clearsign.c) and
 * document signatures (pgp/docsig.c).
 *
 * The RFC 9580 A.6 message, signed by the A.3 key, is the one real
 * signature here; the structural cases wrap its signature packet (or
 * other data) in hand-made armor around hand-made text and check what
 * the parser makes of them: the canonical text byte for byte, or the
 * refusal. Control blocks made by GnuPG are owner_control_test.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "control_fixture.h"
#include "pgp/clearsign.h"
#include "pgp/pgp.h"
#include "rfc9580_vectors.h"
#include "util/buf.h"

static const char a6_canonical[] =
    "What we need from the grocery store:\r\n\r\n- tofu\r\n- vegetables\r\n"
    "- noodles\r\n";

static struct buf a6_sig;	/* the A.6 signature packet, binary */

static int
first_armor(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	struct buf *b = ctx;

	(void)kind; (void)crc_ok;
	if (st == PGP_OK && b->len == 0)
		(void)buf_append(b, data, len);
	return 0;
}

/* Armor data as a SIGNATURE block (with CRC unless crc is false). */
static void
sig_armor(const uint8_t *data, size_t len, bool crc, struct buf *out)
{
	struct buf a;
	char *p, *line;

	buf_init(&a, 0);
	(void)pgp_armor_encode(data, len, &a);
	for (line = strtok((char *)a.data, "\n"); line != NULL;
	    line = strtok(NULL, "\n")) {
		if ((p = strstr(line, "PUBLIC KEY BLOCK")) != NULL) {
			buf_printf(out, "%.*sSIGNATURE-----\n", (int)(p - line),
			    line);
			if (strncmp(line, "-----BEGIN", 10) == 0)
				buf_puts(out, "\n");
			continue;
		}
		if (line[0] == '=' && !crc)
			continue;
		buf_printf(out, "%s\n", line);
	}
	buf_free(&a);
}

static void
test_rfc_a6(void)
{
	struct pgp_clearsign cs;
	struct pgp_key *key;
	const char *why = "x";
	enum pgp_cs_status st;

	st = pgp_clearsign_parse(rfc_a6_clearsigned,
	    strlen(rfc_a6_clearsigned), 0, &cs, &why);
	CHECK_INT(st, PGP_CS_OK);
	CHECK(why == NULL, "no reason on success");
	CHECK_INT(cs.text_len, strlen(a6_canonical));
	CHECK(cs.text != NULL && memcmp(cs.text, a6_canonical,
	    strlen(a6_canonical)) == 0, "A.6 canonical text as in A.6");
	CHECK_INT(cs.nsigs, 1);
	CHECK_INT(cs.nhash_headers, 0);
	CHECK(!cs.crc_present, "A.6 has no checksum");
	CHECK_INT(cs.block_len, strlen(rfc_a6_clearsigned));
	if (cs.nsigs != 1) {
		pgp_clearsign_free(&cs);
		return;
	}
	CHECK_INT(cs.sigs[0].version, 6);
	CHECK_INT(cs.sigs[0].type, PGP_SIG_TEXT);

	key = cf_read_key(rfc_a3, strlen(rfc_a3), NULL);
	CHECK(key != NULL, "A.3 key read");
	if (key != NULL) {
		CHECK_INT(pgp_doc_verify(&key->pub, &key->pkt, &cs.sigs[0],
		    cs.text, cs.text_len, &why), PGP_SIG_GOOD);
		/* one bit of the text, and the text's length */
		cs.text[5] ^= 0x20;
		CHECK_INT(pgp_doc_verify(&key->pub, &key->pkt, &cs.sigs[0],
		    cs.text, cs.text_len, &why), PGP_SIG_BAD);
		cs.text[5] ^= 0x20;
		CHECK_INT(pgp_doc_verify(&key->pub, &key->pkt, &cs.sigs[0],
		    cs.text, cs.text_len - 2, &why), PGP_SIG_BAD);
		/* as a v4 signature it must not pass for the v6 key */
		cs.sigs[0].version = 4;
		CHECK_INT(pgp_doc_verify(&key->pub, &key->pkt, &cs.sigs[0],
		    cs.text, cs.text_len, &why), PGP_SIG_BAD);
		CHECK_STR(why, "signature version does not match the key");
		cs.sigs[0].version = 6;
		cs.sigs[0].salt_len = 16;	/* SHA-512 wants 32 */
		CHECK_INT(pgp_doc_verify(&key->pub, &key->pkt, &cs.sigs[0],
		    cs.text, cs.text_len, &why), PGP_SIG_BAD);
		CHECK_STR(why, "salt does not fit the hash");
	}
	pgp_key_free(key);
	pgp_clearsign_free(&cs);
	pgp_clearsign_free(&cs);	/* twice is safe */
}

static void
test_count(void)
{
	static const struct {
		const char *text;
		size_t want;
	} c[] = {
		{ "", 0 },
		{ "-----BEGIN PGP SIGNED MESSAGE-----", 1 },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\r\n", 1 },
		{ "  -----BEGIN PGP SIGNED MESSAGE-----\t\n", 1 },
		{ "- -----BEGIN PGP SIGNED MESSAGE-----\n", 0 },
		{ "> -----BEGIN PGP SIGNED MESSAGE-----\n", 0 },
		{ "-----BEGIN PGP SIGNED MESSAGE----- x\n", 0 },
		{ "-----BEGIN PGP MESSAGE-----\n", 0 },
		{ "a\n-----BEGIN PGP SIGNED MESSAGE-----\nb\n"
		  "-----BEGIN PGP SIGNED MESSAGE-----\n", 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		CHECK(pgp_clearsign_count(c[i].text, strlen(c[i].text)) ==
		    c[i].want, "count case %zu", i);
}

/* Structural cases: head (BEGIN line, headers, empty line and text, as
 * given) + the signature armor + tail. */
static const struct scase {
	const char *name;
	const char *head;
	int armor;		/* 0 A.6 sig with CRC, 1 without, 2 no armor,
				 * 3 bad CRC, 4 literal packet, 5 junk line,
				 * 6 Version header, 7 no END line, 8 data
				 * after CRC, 9 two signatures, 10 truncated */
	enum pgp_cs_status want;
	const char *text;	/* canonical text when PGP_CS_OK */
} scases[] = {
	{ "plain", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
	    "a\nb\n", 0, PGP_CS_OK, "a\r\nb" },
	{ "hash list", "-----BEGIN PGP SIGNED MESSAGE-----\n"
	    "Hash: SHA256,SHA512\nHash: SHA1, SHA3-256\n\nx\n", 0, PGP_CS_OK,
	    "x" },
	{ "no headers, empty text", "-----BEGIN PGP SIGNED MESSAGE-----\n\n",
	    0, PGP_CS_OK, "" },
	{ "trailing blanks and CRLF", "-----BEGIN PGP SIGNED MESSAGE-----\r\n"
	    "Hash: SHA256 \r\n \t\r\na \t \r\n\tb\r\n\r\n", 1, PGP_CS_OK,
	    "a\r\n\tb\r\n" },
	{ "dash escapes", "-----BEGIN PGP SIGNED MESSAGE-----\n\n"
	    "- -----BEGIN PGP PUBLIC KEY BLOCK-----\n- \n- - x\n- From y\n"
	    "From z\n", 0, PGP_CS_OK,
	    "-----BEGIN PGP PUBLIC KEY BLOCK-----\r\n\r\n- x\r\nFrom y\r\n"
	    "From z" },
	{ "text before", "hello\n-----BEGIN PGP SIGNED MESSAGE-----\n\nq\n",
	    0, PGP_CS_OK, "q" },
	{ "Version header in the armor",
	    "-----BEGIN PGP SIGNED MESSAGE-----\n\nq\n", 6, PGP_CS_OK, "q" },
	{ "two signatures", "-----BEGIN PGP SIGNED MESSAGE-----\n\nq\n", 9,
	    PGP_CS_OK, "q" },
	{ "lower-case hash", "-----BEGIN PGP SIGNED MESSAGE-----\n"
	    "Hash: sha256\n\nx\n", 0, PGP_CS_HEADER, NULL },
	{ "empty hash", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: \n\nx\n",
	    0, PGP_CS_HEADER, NULL },
	{ "hash and more", "-----BEGIN PGP SIGNED MESSAGE-----\n"
	    "Hash: SHA256 x\n\nx\n", 0, PGP_CS_HEADER, NULL },
	{ "hash, empty item", "-----BEGIN PGP SIGNED MESSAGE-----\n"
	    "Hash: SHA256,\n\nx\n", 0, PGP_CS_HEADER, NULL },
	{ "comment", "-----BEGIN PGP SIGNED MESSAGE-----\nComment: x\n\nx\n",
	    0, PGP_CS_HEADER, NULL },
	{ "charset after hash", "-----BEGIN PGP SIGNED MESSAGE-----\n"
	    "Hash: SHA256\nCharset: UTF-8\n\nx\n", 0, PGP_CS_HEADER, NULL },
	{ "no empty line", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n"
	    "x\n", 0, PGP_CS_HEADER, NULL },
	{ "unescaped dash", "-----BEGIN PGP SIGNED MESSAGE-----\n\n-x\n", 0,
	    PGP_CS_MALFORMED, NULL },
	{ "lone dash", "-----BEGIN PGP SIGNED MESSAGE-----\n\n-\n", 0,
	    PGP_CS_MALFORMED, NULL },
	{ "no signature", "-----BEGIN PGP SIGNED MESSAGE-----\n\nx\n", 2,
	    PGP_CS_MALFORMED, NULL },
	{ "headers run to the end", "-----BEGIN PGP SIGNED MESSAGE-----\n"
	    "Hash: SHA256\n", 2, PGP_CS_MALFORMED, NULL },
	{ "no END line", "-----BEGIN PGP SIGNED MESSAGE-----\n\nx\n", 7,
	    PGP_CS_MALFORMED, NULL },
	{ "bad CRC", "-----BEGIN PGP SIGNED MESSAGE-----\n\nx\n", 3,
	    PGP_CS_ARMOR, NULL },
	{ "junk in armor", "-----BEGIN PGP SIGNED MESSAGE-----\n\nx\n", 5,
	    PGP_CS_ARMOR, NULL },
	{ "data after CRC", "-----BEGIN PGP SIGNED MESSAGE-----\n\nx\n", 8,
	    PGP_CS_ARMOR, NULL },
	{ "literal packet", "-----BEGIN PGP SIGNED MESSAGE-----\n\nx\n", 4,
	    PGP_CS_PACKETS, NULL },
	{ "truncated packet", "-----BEGIN PGP SIGNED MESSAGE-----\n\nx\n", 10,
	    PGP_CS_PACKETS, NULL },
};

static void
build(const struct scase *c, struct buf *t)
{
	struct buf sig;
	static const uint8_t literal[] = { 0xcb, 0x06, 'u', 0, 0, 0, 0, 0 };

	buf_init(&sig, 0);
	buf_puts(t, c->head);
	switch (c->armor) {
	case 0: case 1: case 7:
		sig_armor(a6_sig.data, a6_sig.len, c->armor != 1, &sig);
		if (c->armor == 7)
			sig.len = (size_t)(strstr((char *)sig.data, "-----END") -
			    (char *)sig.data);
		break;
	case 3:
		sig_armor(a6_sig.data, a6_sig.len, true, &sig);
		{
			char *crc = strstr((char *)sig.data, "\n=") + 2;

			crc[0] = crc[0] == 'A' ? 'B' : 'A';
		}
		break;
	case 4:
		sig_armor(literal, sizeof(literal), true, &sig);
		break;
	case 5: case 6: case 8: {
		char *p;

		sig_armor(a6_sig.data, a6_sig.len, true, &sig);
		p = strstr((char *)sig.data, "-----\n\n") + 7;
		buf_puts(t, "");
		buf_append(t, sig.data, (size_t)(p - (char *)sig.data) -
		    (c->armor == 6 ? 1 : 0));
		if (c->armor == 6)
			buf_puts(t, "Version: Test\n\n");
		if (c->armor == 5)
			buf_puts(t, "hello!\n");
		if (c->armor == 8) {
			char *end = strstr(p, "-----END");

			buf_append(t, p, (size_t)(end - p));
			buf_puts(t, "AAAA\n");
			p = end;
		}
		buf_puts(t, p);
		buf_free(&sig);
		buf_puts(t, "trailing text\n");
		return;
	}
	case 9: {
		struct buf two;

		buf_init(&two, 0);
		buf_append(&two, a6_sig.data, a6_sig.len);
		buf_append(&two, a6_sig.data, a6_sig.len);
		sig_armor(two.data, two.len, true, &sig);
		buf_free(&two);
		break;
	}
	case 10:
		sig_armor(a6_sig.data, a6_sig.len - 1, true, &sig);
		break;
	default:
		break;
	}
	buf_append(t, sig.data, sig.len);
	buf_free(&sig);
	if (c->armor != 2 && c->armor != 7)	/* they must end the text */
		buf_puts(t, "trailing text\n");
}

static void
test_structure(void)
{
	struct pgp_clearsign cs;
	struct buf t;
	const char *why;
	size_t i;
	enum pgp_cs_status st;

	for (i = 0; i < sizeof(scases) / sizeof(scases[0]); i++) {
		const struct scase *c = &scases[i];

		buf_init(&t, 0);
		build(c, &t);
		why = NULL;
		st = pgp_clearsign_parse((const char *)t.data, t.len, 0, &cs,
		    &why);
		CHECK(st == c->want, "%s: got %s (%s), want %s", c->name,
		    pgp_clearsign_strerror(st), why ? why : "",
		    pgp_clearsign_strerror(c->want));
		if (st == PGP_CS_OK && c->text != NULL)
			CHECK(cs.text_len == strlen(c->text) &&
			    memcmp(cs.text, c->text, cs.text_len) == 0,
			    "%s: canonical text \"%s\"", c->name, cs.text);
		if (st != PGP_CS_OK)
			CHECK(why != NULL && cs.text == NULL && cs.nsigs == 0,
			    "%s: refusal leaves nothing", c->name);
		if (c->armor == 9 && st == PGP_CS_OK)
			CHECK_INT(cs.nsigs, 2);
		if (c->armor == 0 && st == PGP_CS_OK)
			CHECK(cs.crc_present, "%s: CRC seen", c->name);
		pgp_clearsign_free(&cs);
		buf_free(&t);
	}
}

/* max_size bounds BEGIN..END: the exact length passes, one less not. */
static void
test_limit(void)
{
	struct pgp_clearsign cs;
	size_t n = strlen(rfc_a6_clearsigned);
	struct buf t;

	buf_init(&t, 0);
	buf_puts(&t, "before\n");
	buf_puts(&t, rfc_a6_clearsigned);
	buf_puts(&t, "after, long enough to pass any bound on its own\n");
	CHECK_INT(pgp_clearsign_parse((const char *)t.data, t.len, n, &cs,
	    NULL), PGP_CS_OK);
	pgp_clearsign_free(&cs);
	CHECK_INT(pgp_clearsign_parse((const char *)t.data, t.len, n - 1, &cs,
	    NULL), PGP_CS_LIMIT);
	CHECK_INT(pgp_clearsign_parse((const char *)t.data, t.len, 10, &cs,
	    NULL), PGP_CS_LIMIT);
	CHECK_INT(pgp_clearsign_parse("no block\n", 9, 0, &cs, NULL),
	    PGP_CS_NONE);
	buf_free(&t);
}

int
main(void)
{
	if (pgp_crypto_init() != 0) {
		printf("libgcrypt init failed\n");
		return 1;
	}
	buf_init(&a6_sig, 0);
	(void)pgp_armor_scan(rfc_a6_clearsigned, strlen(rfc_a6_clearsigned),
	    0, first_armor, &a6_sig);
	CHECK_INT(a6_sig.len, 0x9a);	/* c2 98 + 0x98 octets */
	test_rfc_a6();
	test_count();
	test_structure();
	test_limit();
	buf_free(&a6_sig);
	return check_done();
}
