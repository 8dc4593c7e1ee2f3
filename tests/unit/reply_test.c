/*
 * tests/unit/reply_test.c - mail_reply_build() and mail_header_encode().
 *
 * Each reply is checked for form (header order, no CR, line lengths,
 * encoded-word sizes) and then read back with mail_parse(), which uses
 * libetpan's decoders: the Subject and both part texts must come back as
 * they went in. That cross-check covers our QP and RFC 2047 encoders
 * with code we did not write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mail/mail.h"
#include "util/buf.h"

/* buf_free() re-allocates (see message_test.c); release for good. */
static void
buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

#define ARMOR "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" \
	"mQINBGRz3kABEADKj0sN4bQvz7hY1r1Xv+3bGkQ0Jf8s2eHc1Ox9rKq3nW0fZ8Pq\n" \
	"=Ab3d\n-----END PGP PUBLIC KEY BLOCK-----\n"

static const struct mail_reply base = {
	.from = "pgp-public-keys@keys.example.org",
	.from_name = "PGP Key Server",
	.to = "alice@example.org",
	.subject = "Your command, GET alice",
	.in_reply_to = "<req.1@example.org>",
	.intro = "This is the keys.example.org key server.\n",
	.body = ARMOR,
	.body_len = sizeof(ARMOR) - 1,
	.body_type = "application/pgp-keys",
	.msgid_domain = "keys.example.org",
};

/* Header names in order (continuation lines skipped), comma-joined. */
static void
header_names(const char *msg, char *dst, size_t dstlen)
{
	const char *p = msg;
	size_t n = 0;

	dst[0] = '\0';
	while (*p && *p != '\n') {
		const char *colon = strchr(p, ':'), *eol = strchr(p, '\n');

		if (eol == NULL)
			break;
		if (*p != ' ' && *p != '\t' && colon && colon < eol) {
			n += (size_t)snprintf(dst + n, dstlen - n, "%s%.*s",
			    n ? "," : "", (int)(colon - p), p);
			if (n >= dstlen)
				return;
		}
		p = eol + 1;
	}
}

/* Longest line, and whether any CR or NUL is present. */
static size_t
longest_line(const struct buf *b, int *cr)
{
	size_t i, line = 0, max = 0;

	*cr = 0;
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' || b->data[i] == '\0')
			*cr = 1;
		if (b->data[i] == '\n') {
			line = 0;
			continue;
		}
		if (++line > max)
			max = line;
	}
	return max;
}

/* The header block only (up to the blank line), as a new string. */
static char *
header_block(const struct buf *b)
{
	const char *s = (const char *)b->data, *end = strstr(s, "\n\n");

	return strndup(s, end ? (size_t)(end - s) + 1 : strlen(s));
}

/* Does some header line (not a continuation) start with name? */
static int
has_header_line(const char *hdrs, const char *name)
{
	const char *p = hdrs;
	size_t n = strlen(name);

	for (;;) {
		if (strncasecmp(p, name, n) == 0)
			return 1;
		p = strchr(p, '\n');
		if (p == NULL)
			return 0;
		p++;
	}
}

/* Every encoded-word in the header block is at most 75 characters. */
static int
words_ok(const char *hdrs)
{
	const char *p = hdrs, *q;

	while ((p = strstr(p, "=?")) != NULL) {
		q = strstr(p + 2, "?=");
		/* skip the "?B?" inside the word */
		if (q && q - p < 12)
			q = strstr(q + 2, "?=");
		if (q == NULL || q + 2 - p > 75)
			return 0;
		p = q + 2;
	}
	return 1;
}

/*
 * Build r, check its form, parse it back and compare. want_subject is
 * what mail_parse() should see (normalized), NULL to use r->subject.
 */
static void
roundtrip(const char *name, const struct mail_reply *r,
    const char *want_subject, size_t maxline)
{
	struct buf b;
	struct mail_msg m;
	char err[256], names[512];
	enum mail_status st;
	char *hdrs;
	int cr;
	size_t longest;

	buf_init(&b, 0);
	CHECK(mail_reply_build(r, &b) == 0, "%s: build failed", name);
	longest = longest_line(&b, &cr);
	CHECK(!cr, "%s: CR or NUL in the reply", name);
	CHECK(longest <= maxline, "%s: a line of %zu characters", name,
	    longest);
	hdrs = header_block(&b);
	CHECK(words_ok(hdrs), "%s: encoded-word over 75 characters:\n%s",
	    name, hdrs);
	header_names((const char *)b.data, names, sizeof(names));
	if (r->in_reply_to != NULL && strchr(r->in_reply_to, ' ') == NULL)
		CHECK_STR(names, "From,To,Subject,Date,Message-ID,In-Reply-To,"
		    "References,Auto-Submitted,Precedence,X-Loop,MIME-Version,"
		    "Content-Type");
	else
		CHECK_STR(names, "From,To,Subject,Date,Message-ID,"
		    "Auto-Submitted,Precedence,X-Loop,MIME-Version,"
		    "Content-Type");

	st = mail_parse((const char *)b.data, b.len, NULL, &m, err,
	    sizeof(err));
	CHECK(st == MAIL_OK, "%s: parse back: %s", name, err);
	CHECK_STR(m.subject, want_subject ? want_subject : r->subject);
	CHECK_STR(m.from, r->from);
	CHECK(m.auto_submitted && m.precedence_bulk, "%s: loop guards", name);
	CHECK(m.nx_loop == 1 && strcmp(m.x_loop[0], r->from) == 0,
	    "%s: X-Loop", name);
	CHECK(m.nparts == (r->body ? 2u : 1u), "%s: %zu parts", name,
	    m.nparts);
	if (m.nparts >= 1) {
		CHECK_STR(m.parts[0].content_type, "text/plain");
		CHECK(strcmp((char *)m.parts[0].data, r->intro) == 0,
		    "%s: intro came back as\n[%s]\nwant\n[%s]", name,
		    (char *)m.parts[0].data, r->intro);
	}
	if (m.nparts >= 2) {
		CHECK(m.parts[1].len == r->body_len &&
		    memcmp(m.parts[1].data, r->body, r->body_len) == 0,
		    "%s: body came back as\n[%s]", name,
		    (char *)m.parts[1].data);
	}
	mail_msg_free(&m);
	free(hdrs);
	buf_release(&b);
}

static void
test_basic(void)
{
	struct mail_reply r = base;
	struct buf b;
	char *hdrs;
	const char *p;

	roundtrip("basic", &r, NULL, 78);

	buf_init(&b, 0);
	(void)mail_reply_build(&r, &b);
	hdrs = header_block(&b);
	CHECK(strstr(hdrs, "From: \"PGP Key Server\" "
	    "<pgp-public-keys@keys.example.org>\n") != NULL, "From:\n%s", hdrs);
	CHECK(strstr(hdrs, "\nTo: alice@example.org\n") != NULL, "To");
	CHECK(strstr(hdrs, "\nIn-Reply-To: <req.1@example.org>\n"
	    "References: <req.1@example.org>\n") != NULL, "In-Reply-To");
	CHECK(strstr(hdrs, "\nAuto-Submitted: auto-replied\n"
	    "Precedence: list\nX-Loop: pgp-public-keys@keys.example.org\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed;\n boundary=\"")
	    != NULL, "fixed headers:\n%s", hdrs);
	p = strstr(hdrs, "\nMessage-ID: <");
	CHECK(p != NULL && strstr(p, "@keys.example.org>\n") != NULL,
	    "Message-ID");
	p = strstr(hdrs, "\nDate: ");
	CHECK(p != NULL, "Date");
	if (p != NULL) {
		char wd[4], mon[4], sign;
		int d, y, hh, mm, ss, zone, n = 0;

		/* "Date: Tue, 2 Jan 2024 10:00:00 +0100" */
		CHECK(sscanf(p, "\nDate: %3[A-Za-z], %d %3[A-Za-z] %d "
		    "%d:%d:%d %c%4d%n", wd, &d, mon, &y, &hh, &mm, &ss, &sign,
		    &zone, &n) == 9 && (sign == '+' || sign == '-') &&
		    p[n] == '\n', "Date format");
	}
	/* Pure ASCII, short lines: 7bit for both parts. */
	CHECK(strstr((char *)b.data, "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 7bit\n") != NULL, "intro 7bit");
	/* The key part has a file name and a description (mutt showed
	 * "<no description>" and offered no name to save it under). */
	CHECK(strstr((char *)b.data, "Content-Type: application/pgp-keys\n"
	    "Content-Disposition: inline; filename=\"keys.asc\"\n"
	    "Content-Description: OpenPGP public keys\n"
	    "Content-Transfer-Encoding: 7bit\n") != NULL, "keys 7bit, named");
	/* ... and the text part has neither. */
	CHECK(strstr((char *)b.data, "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Disposition") == NULL, "intro not named");
	free(hdrs);
	buf_release(&b);
}

static void
test_qp(void)
{
	struct mail_reply r = base;
	static char intro[4096];
	static char body[4096];
	size_t i, n;

	/* Non-ASCII, '=', trailing blanks, a very long line, lines that
	 * mbox and SMTP like to touch, and a tab. */
	n = (size_t)snprintf(intro, sizeof(intro),
	    "Caf\xc3\xa9 = 100%% \xe6\x97\xa5\xe6\x9c\xac\n"
	    "trailing space   \ntrailing tab\t\n"
	    "From here on\n.\n..x\n=3D is not decoded twice\n");
	for (i = 0; i < 300; i++)
		intro[n++] = (char)('a' + i % 26);
	intro[n++] = '\n';
	for (i = 0; i < 100; i++)
		intro[n++] = i % 2 ? ' ' : '=';
	intro[n++] = '\n';
	intro[n] = '\0';
	r.intro = intro;
	/* A text body with a line over 998 characters must be QP too. */
	n = 0;
	for (i = 0; i < 1200; i++)
		body[n++] = (char)('A' + i % 26);
	memcpy(body + n, "\nend", 4);
	n += 4;
	r.body = body;
	r.body_len = n;
	r.body_type = "text/plain";
	roundtrip("qp", &r, NULL, 78);

	{
		struct buf b;

		buf_init(&b, 0);
		(void)mail_reply_build(&r, &b);
		CHECK(strstr((char *)b.data, "Content-Transfer-Encoding: "
		    "quoted-printable\n\nCaf=C3=A9 =3D 100% =E6=97=A5") != NULL,
		    "QP intro");
		CHECK(strstr((char *)b.data, "\ntrailing space  =20\n") != NULL,
		    "QP trailing space");
		CHECK(strstr((char *)b.data, "\n=46rom here on\n=2E\n") != NULL,
		    "QP From/dot");
		buf_release(&b);
	}

	/* A body without a final newline, and one with NUL and CR bytes. */
	r = base;
	r.body = "no newline at end";
	r.body_len = strlen(r.body);
	r.body_type = "text/plain";
	roundtrip("no final LF", &r, NULL, 78);
	r.body = "a\0b\rc\n";
	r.body_len = 6;
	roundtrip("NUL and bare CR", &r, NULL, 78);
}

static void
test_subjects(void)
{
	struct mail_reply r = base;
	static char longs[2048];
	size_t i, n;

	r.subject = "Your command, GET J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac";
	roundtrip("UTF-8 subject", &r, NULL, 78);

	/* Long non-ASCII: several encoded-words, split only between
	 * characters (3-byte ones here, so a byte split would show). */
	n = (size_t)snprintf(longs, sizeof(longs), "Your command, INDEX ");
	for (i = 0; i < 120; i++) {
		memcpy(longs + n, "\xe6\x97\xa5", 3);
		n += 3;
		if (i % 7 == 6)
			longs[n++] = 'x';
	}
	longs[n] = '\0';
	r.subject = longs;
	roundtrip("long UTF-8 subject", &r, NULL, 78);

	/* Long ASCII with spaces: folded at blanks. */
	n = (size_t)snprintf(longs, sizeof(longs), "Your command, INDEX");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(longs + n, sizeof(longs) - n, " word%zu", i);
	r.subject = longs;
	roundtrip("long ASCII subject", &r, NULL, 78);

	/* One 600-character word cannot be folded: encoded instead. */
	n = (size_t)snprintf(longs, sizeof(longs), "Your command, GET ");
	for (i = 0; i < 600; i++)
		longs[n++] = (char)('a' + i % 26);
	longs[n] = '\0';
	r.subject = longs;
	roundtrip("long ASCII word", &r, NULL, 78);

	/* Text that looks like an encoded-word must stay literal. */
	r.subject = "Your command, GET =?UTF-8?B?SGk=?=";
	roundtrip("literal encoded-word", &r, NULL, 78);

	/* Injection: CR/LF in Subject and To must not start a header. */
	r = base;
	r.subject = "Your command, GET x\r\nBcc: victim@example.org";
	r.to = "alice@example.org\r\nBcc: victim@example.org";
	{
		struct buf b;
		char *hdrs;

		buf_init(&b, 0);
		CHECK(mail_reply_build(&r, &b) == 0, "injection build");
		hdrs = header_block(&b);
		CHECK(!has_header_line(hdrs, "Bcc"), "injected header:\n%s", hdrs);
		CHECK(strstr(hdrs, "\nTo: alice@example.orgBccvictim@example.org\n")
		    != NULL, "To cleaned:\n%s", hdrs);
		free(hdrs);
		buf_release(&b);
	}
	roundtrip("injection", &r, "Your command, GET xBcc: victim@example.org",
	    78);
}

static void
test_misc(void)
{
	struct mail_reply r = base;
	struct buf b, b2;
	char *h1, *h2, *hdrs;

	/* No result part; no (or a malformed) In-Reply-To. */
	r.body = NULL;
	r.in_reply_to = NULL;
	roundtrip("intro only", &r, NULL, 78);
	r.in_reply_to = "<a b@c>";
	roundtrip("bad In-Reply-To dropped", &r, NULL, 78);

	/* Display names: quoted-string, escapes, encoded-words. */
	r = base;
	r.from_name = "PGP \"Key\" \\ Server";
	buf_init(&b, 0);
	(void)mail_reply_build(&r, &b);
	{
		const char *want = "From: \"PGP \\\"Key\\\" \\\\ Server\" <";

		CHECK(strncmp((char *)b.data, want, strlen(want)) == 0,
		    "quoted name: %.60s", (char *)b.data);
	}
	buf_release(&b);
	r.from_name = "Schl\xc3\xbcsselserver f\xc3\xbcr OpenPGP-Schl\xc3\xbcssel";
	roundtrip("UTF-8 display name", &r, NULL, 78);
	buf_init(&b, 0);
	(void)mail_reply_build(&r, &b);
	CHECK(strncmp((char *)b.data, "From: =?UTF-8?B?", 16) == 0,
	    "encoded name: %.60s", (char *)b.data);
	buf_release(&b);
	r.from_name = NULL;
	buf_init(&b, 0);
	(void)mail_reply_build(&r, &b);
	CHECK(strncmp((char *)b.data, "From: pgp-public-keys@keys.example.org\n",
	    39) == 0, "bare From");
	buf_release(&b);

	/* A hostile body_type is cut down to token characters. */
	r = base;
	r.body_type = "text/plain\r\nBcc: x@y";
	buf_init(&b, 0);
	(void)mail_reply_build(&r, &b);
	CHECK(strstr((char *)b.data, "\nBcc") == NULL, "body_type injection");
	buf_release(&b);

	/* Message-ID and boundary differ between two replies. */
	r = base;
	buf_init(&b, 0);
	buf_init(&b2, 0);
	(void)mail_reply_build(&r, &b);
	(void)mail_reply_build(&r, &b2);
	h1 = strstr((char *)b.data, "Message-ID:");
	h2 = strstr((char *)b2.data, "Message-ID:");
	CHECK(h1 && h2 && strncmp(h1, h2, 40) != 0, "Message-ID repeats");
	h1 = strstr((char *)b.data, "boundary=");
	h2 = strstr((char *)b2.data, "boundary=");
	CHECK(h1 && h2 && strncmp(h1, h2, 30) != 0, "boundary repeats");
	buf_release(&b);
	buf_release(&b2);

	/* No msgid_domain: our address's domain. */
	r.msgid_domain = NULL;
	buf_init(&b, 0);
	(void)mail_reply_build(&r, &b);
	hdrs = header_block(&b);
	h1 = strstr(hdrs, "Message-ID: <");
	CHECK(h1 && strstr(h1, "@keys.example.org>\n") == strchr(h1, '@'),
	    "default msgid domain");
	free(hdrs);
	buf_release(&b);

	/* Cap: -1, not a crash. */
	r = base;
	buf_init(&b, 100);
	CHECK(mail_reply_build(&r, &b) == -1, "cap not honoured");
	buf_release(&b);
}

static void
test_encode(void)
{
	struct buf b;

	buf_init(&b, 0);
	CHECK(mail_header_encode("hello world", &b) == 0, "encode");
	CHECK_STR((char *)b.data, "hello world");
	buf_reset(&b);
	(void)mail_header_encode("a\r\nb\0c", &b);
	CHECK_STR((char *)b.data, "ab");
	buf_reset(&b);
	(void)mail_header_encode("J\xc3\xbcrgen", &b);
	CHECK_STR((char *)b.data, "=?UTF-8?B?SsO8cmdlbg==?=");
	buf_reset(&b);
	/* Invalid UTF-8 becomes '?', then is encoded as ASCII. */
	(void)mail_header_encode("a\xff" "b", &b);
	CHECK_STR((char *)b.data, "a?b");
	buf_reset(&b);
	(void)mail_header_encode(NULL, &b);
	CHECK_STR((char *)b.data, "");
	buf_release(&b);
}

int
main(void)
{
	test_basic();
	test_qp();
	test_subjects();
	test_misc();
	test_encode();
	return check_done();
}
