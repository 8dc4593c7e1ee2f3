/*
 * tests/unit/message_test.c - mail_parse() on good, odd and hostile mail.
 *
 * The table holds whole messages as C strings and what struct mail_msg
 * should hold afterwards. A NULL expectation is "not checked"; XNULL
 * means "must be NULL". Flags are always checked (a plain message must
 * not look like a bounce). Limit cases build their messages at run time;
 * the garbage loop at the end only has to survive ASan/UBSan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/limits.h"

#define XNULL "<must be NULL>"

static const struct mail_limits deflim = {
	.max_message_size = KM_MAX_MESSAGE_SIZE,
	.max_header_line = KM_MAX_HEADER_LINE,
	.max_header_size = KM_MAX_HEADER_SIZE,
	.max_headers = KM_MAX_HEADERS,
	.max_subject = KM_MAX_SUBJECT,
	.max_mime_depth = KM_MAX_MIME_DEPTH,
	.max_mime_parts = KM_MAX_MIME_PARTS,
	.max_decoded_size = KM_MAX_DECODED_SIZE,
};

static const struct mail_limits shortsubj = {
	.max_message_size = KM_MAX_MESSAGE_SIZE,
	.max_header_line = KM_MAX_HEADER_LINE,
	.max_header_size = KM_MAX_HEADER_SIZE,
	.max_headers = KM_MAX_HEADERS,
	.max_subject = 10,
	.max_mime_depth = KM_MAX_MIME_DEPTH,
	.max_mime_parts = KM_MAX_MIME_PARTS,
	.max_decoded_size = KM_MAX_DECODED_SIZE,
};

#define KEYTEXT "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBFakeKeyData\n" \
	"=AbCd\n-----END PGP PUBLIC KEY BLOCK-----\n"
#define KEYB64 "LS0tLS1CRUdJTiBQR1AgUFVCTElDIEtFWSBCTE9DSy0tLS0tCgptUUVOQkZh\n" \
	"a2VLZXlEYXRhCj1BYkNkCi0tLS0tRU5EIFBHUCBQVUJMSUMgS0VZIEJMT0NLLS0tLS0K\n"

/*
 * util/buf.c's buf_free() leaves a fresh 64-byte allocation behind (it
 * re-initializes the buffer), so a test that must end leak-free releases
 * the storage itself.
 */
static void
buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

/* A raw message with NUL bytes in it. */
#define BIN(s) .raw = (s), .len = sizeof(s) - 1

struct mcase {
	const char *name;
	const char *raw;
	size_t len;			/* 0: strlen(raw) */
	const struct mail_limits *lim;	/* NULL: deflim */
	enum mail_status st;
	const char *from, *reply_to, *sender, *subject, *message_id;
	int has_rp, null_rp, autosub, bulk, list, report, toolong;
	const char *ksent0, *ksent1;
	size_t nksent;
	const char *xloop0;
	size_t nparts;
	const char *t0, *d0, *t1, *d1;
};

static const struct mcase cases[] = {
	{ .name = "plain LF",
	  .raw = "From: alice@example.org\nSubject: GET alice\n\nbody\n",
	  .from = "alice@example.org", .reply_to = XNULL, .sender = XNULL,
	  .subject = "GET alice", .message_id = XNULL,
	  .nparts = 1, .t0 = "text/plain", .d0 = "body\n" },
	{ .name = "CRLF",
	  .raw = "From: alice@example.org\r\nSubject: GET alice\r\n"
	    "Message-ID: <1234@example.org>\r\n\r\nbody\r\n",
	  .from = "alice@example.org", .subject = "GET alice",
	  .message_id = "<1234@example.org>",
	  .nparts = 1, .t0 = "text/plain", .d0 = "body\r\n" },
	{ .name = "mbox From line",
	  .raw = "From alice@example.org Mon Jan  1 00:00:00 2024\n"
	    "From: Alice <alice@example.org>\nSubject: ADD\n\nx\n",
	  .from = "alice@example.org", .subject = "ADD",
	  .nparts = 1, .t0 = "text/plain", .d0 = "x\n" },
	{ .name = "folded Subject",
	  .raw = "From: a@example.org\nSubject: VERBOSE\n   INDEX\tbob  \n\n",
	  .from = "a@example.org", .subject = "VERBOSE INDEX bob",
	  .nparts = 1, .t0 = "text/plain", .d0 = "" },
	{ .name = "RFC 2047 B UTF-8",
	  .raw = "From: a@example.org\nSubject: =?UTF-8?B?R0VUIErDvHJnZW4=?=\n\n",
	  .subject = "GET J\xc3\xbcrgen", .nparts = 1 },
	{ .name = "RFC 2047 Q ISO-8859-1",
	  .raw = "From: a@example.org\nSubject: =?ISO-8859-1?Q?GET_J=FCrgen?=\n\n",
	  .subject = "GET J\xc3\xbcrgen", .nparts = 1 },
	{ .name = "RFC 2047 words folded and mixed",
	  .raw = "From: a@example.org\nSubject: INDEX =?utf-8?q?J=C3=BC?=\n"
	    " =?utf-8?q?rgen?= smith\n\n",
	  .subject = "INDEX J\xc3\xbcrgen smith", .nparts = 1 },
	{ .name = "display-name From",
	  .raw = "From: \"Smith, Alice\" <Alice@Example.org>\n\n",
	  .from = "Alice@Example.org", .nparts = 1 },
	{ .name = "From with comment",
	  .raw = "From: alice@example.org (Alice (the) Smith)\n\n",
	  .from = "alice@example.org", .nparts = 1 },
	{ .name = "8-bit display name",
	  .raw = "From: J\xc3\xbcrgen M\xfc <j@example.de>\n\n",
	  .from = "j@example.de", .nparts = 1 },
	{ .name = "Reply-To and From both kept",
	  .raw = "From: a@example.org\nReply-To: Bob <b@example.net>\n"
	    "Sender: owner-keys@lists.example\n\n",
	  .from = "a@example.org", .reply_to = "b@example.net",
	  .sender = "owner-keys@lists.example", .nparts = 1 },
	{ .name = "header injection in encoded Subject",
	  .raw = "From: a@example.org\nSubject: =?UTF-8?Q?a=0D=0ABcc:_x?=\n\n",
	  .subject = "a Bcc: x", .nparts = 1 },
	{ .name = "duplicate From, last wins",
	  .raw = "From: first@example.org\nSubject: one\nFrom: second@example.org\n"
	    "Subject: two\n\n",
	  .from = "second@example.org", .subject = "two", .nparts = 1 },
	{ .name = "duplicate From, last unusable",
	  .raw = "From: first@example.org\nFrom: not an address\n\n",
	  .from = XNULL, .nparts = 1 },
	{ .name = "NUL bytes in headers",
	  BIN("From: al\0ice@example.org\nSubject: GET\0x\n\n"),
	  .from = XNULL, .subject = "GET x", .nparts = 1 },
	{ .name = "8-bit Subject bytes",
	  .raw = "From: a@example.org\nSubject: GET J\xfcrgen \xe6\x97\xa5\n\n",
	  .subject = "GET J?rgen \xe6\x97\xa5", .nparts = 1 },
	{ .name = "controls and blanks in Subject",
	  .raw = "From: a@example.org\nSubject: \t GET\x01\x1b  a\x7f b \r\n\n",
	  .subject = "GET a b", .nparts = 1 },
	{ .name = "missing From",
	  .raw = "Subject: HELP\n\nhi\n",
	  .from = XNULL, .subject = "HELP", .nparts = 1, .d0 = "hi\n" },
	{ .name = "bad addresses refused",
	  .raw = "From: <-oQ/tmp/x@example.org>\nReply-To: a@b@c\n"
	    "Sender: \"a b\"@example.org\n\n",
	  .from = XNULL, .reply_to = XNULL, .sender = XNULL, .nparts = 1 },
	{ .name = "Return-Path <>",
	  .raw = "Return-Path: <>\nFrom: MAILER-DAEMON@example.org\n\n",
	  .from = "MAILER-DAEMON@example.org", .has_rp = 1, .null_rp = 1,
	  .nparts = 1 },
	{ .name = "Return-Path with address",
	  .raw = "Return-Path: <bounce@example.org>\nFrom: a@example.org\n\n",
	  .has_rp = 1, .null_rp = 0, .nparts = 1 },
	{ .name = "Auto-Submitted: no",
	  .raw = "From: a@example.org\nAuto-Submitted: No (really)\n\n",
	  .autosub = 0, .nparts = 1 },
	{ .name = "Auto-Submitted: auto-replied",
	  .raw = "From: a@example.org\nAuto-Submitted: auto-replied\n\n",
	  .autosub = 1, .nparts = 1 },
	{ .name = "Precedence: bulk",
	  .raw = "From: a@example.org\nPrecedence: bulk\n\n",
	  .bulk = 1, .nparts = 1 },
	{ .name = "Precedence: first-class",
	  .raw = "From: a@example.org\nPrecedence: first-class\n\n",
	  .bulk = 0, .nparts = 1 },
	{ .name = "Precedence: LIST",
	  .raw = "From: a@example.org\nPrecedence: LIST\n\n",
	  .bulk = 1, .nparts = 1 },
	{ .name = "List-Id",
	  .raw = "From: a@example.org\nList-Id: <keys.lists.example>\n\n",
	  .list = 1, .nparts = 1 },
	{ .name = "List-Unsubscribe",
	  .raw = "From: a@example.org\nList-Unsubscribe: <mailto:x@y.z>\n\n",
	  .list = 1, .nparts = 1 },
	{ .name = "multipart/report (DSN)",
	  .raw = "From: MAILER-DAEMON@example.org\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"rep\"\n\n--rep\nContent-Type: text/plain\n\n"
	    "Your mail bounced.\n--rep\nContent-Type: message/delivery-status\n\n"
	    "Action: failed\n--rep--\n",
	  .report = 1, .nparts = 1, .t0 = "text/plain",
	  .d0 = "Your mail bounced." },
	{ .name = "X-KeyServer-Sent lower-cased, X-Loop kept",
	  .raw = "From: a@example.org\n"
	    "X-KeyServer-Sent: PGP-Public-Keys@Keys.Example.ORG\n"
	    "X-Loop:  keys@example.org \n"
	    "X-KeyServer-Sent: Peer <Keys@Peer.Example>\n"
	    "X-KeyServer-Sent: garbage here\n\n",
	  .nksent = 2, .ksent0 = "pgp-public-keys@keys.example.org",
	  .ksent1 = "keys@peer.example", .xloop0 = "keys@example.org",
	  .nparts = 1 },
	{ .name = "multipart/mixed with base64 pgp-keys",
	  .raw = "From: a@example.org\nSubject: ADD\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
	    "This is a preamble.\n--b1\nContent-Type: text/plain; charset=us-ascii\n\n"
	    "Here is my key.\n\n--b1\n"
	    "Content-Type: application/pgp-keys; name=\"k.asc\"\n"
	    "Content-Transfer-Encoding: base64\n\n" KEYB64
	    "--b1--\nepilogue\n",
	  .subject = "ADD", .nparts = 2, .t0 = "text/plain",
	  .d0 = "Here is my key.\n", .t1 = "application/pgp-keys", .d1 = KEYTEXT },
	{ .name = "quoted-printable text part",
	  .raw = "From: a@example.org\nContent-Type: multipart/alternative; "
	    "boundary=zz\n\n--zz\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n\na=3Db soft=\nbreak\n"
	    "--zz\nContent-Type: text/html\n\n<p>x</p>\n--zz--\n",
	  .nparts = 2, .t0 = "text/plain", .d0 = "a=b softbreak",
	  .t1 = "text/html", .d1 = "<p>x</p>" },
	{ .name = "QP text part, CRLF",
	  .raw = "From: a@example.org\r\nContent-Type: multipart/mixed; "
	    "boundary=zz\r\n\r\n--zz\r\nContent-Transfer-Encoding: "
	    "Quoted-Printable\r\n\r\nx=3D=C3=BC\r\n--zz--\r\n",
	  .nparts = 1, .t0 = "text/plain", .d0 = "x=\xc3\xbc" },
	{ .name = "QP part ending in a broken escape (libetpan overread)",
	  .raw = "From: a@example.org\nContent-Type: multipart/mixed; boundary=z\n\n"
	    "--z\nContent-Transfer-Encoding: quoted-printable\n\nab=C\n--z\n"
	    "Content-Transfer-Encoding: quoted-printable\n\ncd=\n--z\n"
	    "Content-Transfer-Encoding: quoted-printable\n\nef==4",
	  .nparts = 3, .d0 = "ab=C", .d1 = "cd=", },
	{ .name = "nested multipart, depth 3",
	  .raw = "From: a@example.org\nContent-Type: multipart/mixed; boundary=L1\n\n"
	    "--L1\nContent-Type: multipart/mixed; boundary=L2\n\n"
	    "--L2\nContent-Type: multipart/alternative; boundary=L3\n\n"
	    "--L3\nContent-Type: text/plain\n\ndeep\n--L3--\n--L2--\n--L1--\n",
	  .nparts = 1, .t0 = "text/plain", .d0 = "deep" },
	{ .name = "message/rfc822 inside multipart",
	  .raw = "From: a@example.org\nContent-Type: multipart/mixed; boundary=o\n\n"
	    "--o\nContent-Type: message/rfc822\n\nFrom: inner@example.org\n"
	    "Subject: inner\n\ninner text\n--o--\n",
	  .from = "a@example.org", .subject = XNULL,
	  .nparts = 1, .t0 = "text/plain", .d0 = "inner text" },
	{ .name = "octet-stream kept whatever its name, image skipped",
	  .raw = "From: a@example.org\nContent-Type: multipart/mixed; boundary=q\n\n"
	    "--q\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
	    "iVBORw0KGgo=\n"
	    "--q\nContent-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; filename=\"alice.ASC\"\n\nKEY\n"
	    "--q\nContent-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; filename=\"alice.exe\"\n\nMZ\n"
	    "--q\nContent-Type: application/octet-stream; name=bob.gpg\n\nK2\n--q--\n",
	  .nparts = 3, .t0 = "application/octet-stream", .d0 = "KEY",
	  .t1 = "application/octet-stream", .d1 = "MZ" },
	{ .name = "pgp-encrypted kept (Debian's type for .pgp), other types by name",
	  .raw = "From: a@example.org\nContent-Type: multipart/mixed; boundary=q\n\n"
	    "--q\nContent-Type: application/pgp-encrypted\n"
	    "Content-Disposition: attachment; filename=\"alice.pgp\"\n\nPGP\n"
	    "--q\nContent-Type: application/pdf\n"
	    "Content-Disposition: attachment; filename=\"alice.pdf\"\n\nPDF\n"
	    "--q\nContent-Type: application/x-unknown\n"
	    "Content-Disposition: attachment; filename=\"alice.rev\"\n\nREV\n--q--\n",
	  .nparts = 2, .t0 = "application/pgp-encrypted", .d0 = "PGP",
	  .t1 = "application/x-unknown", .d1 = "REV" },
	{ .name = "unterminated multipart",
	  .raw = "From: a@example.org\nContent-Type: multipart/mixed; boundary=u\n\n"
	    "--u\n\nfirst\n--u\nContent-Type: text/plain\n\ncut off here",
	  .nparts = 2, .d0 = "first", .d1 = "cut off here" },
	{ .name = "boundary prefix is not a delimiter",
	  .raw = "From: a@example.org\nContent-Type: multipart/mixed; boundary=ab\n\n"
	    "--ab\n\none\n--abc\ntwo\n--ab--  \n",
	  .nparts = 1, .d0 = "one\n--abc\ntwo" },
	{ .name = "multipart without boundary read as text",
	  .raw = "From: a@example.org\nContent-Type: multipart/mixed\n\nraw\n",
	  .nparts = 1, .t0 = "text/plain", .d0 = "raw\n" },
	{ .name = "single part base64",
	  .raw = "From: a@example.org\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: BASE64\n\naGVs\nbG8=\n",
	  .nparts = 1, .t0 = "text/plain", .d0 = "hello" },
	{ .name = "single part of another type kept whole",
	  .raw = "From: a@example.org\nContent-Type: Application/PGP-Keys\n\nK\n",
	  .nparts = 1, .t0 = "application/pgp-keys", .d0 = "K\n" },
	{ .name = "no blank line after headers",
	  .raw = "From: a@example.org\nSubject: GET x",
	  .subject = "GET x", .nparts = 1, .t0 = "text/plain", .d0 = "" },
	{ .name = "non-header line starts the body",
	  .raw = "From: a@example.org\n-----BEGIN PGP PUBLIC KEY BLOCK-----\nxx\n",
	  .nparts = 1, .d0 = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nxx\n" },
	{ .name = "Message-ID checks",
	  .raw = "From: a@example.org\nMessage-ID: <good@x>\nMessage-ID: <a b@c>\n\n",
	  .message_id = XNULL, .nparts = 1 },
	{ .name = "Message-ID kept",
	  .raw = "From: a@example.org\nMessage-Id:  <20240101.abc$def@mail.example>  \n\n",
	  .message_id = "<20240101.abc$def@mail.example>", .nparts = 1 },
	{ .name = "Subject cut at max_subject",
	  .raw = "From: a@example.org\nSubject: GET abcdefghijklmnop\n\n",
	  .lim = &shortsubj, .subject = "GET abcdef", .toolong = 1, .nparts = 1 },
	{ .name = "Subject cut on a character boundary",
	  .raw = "From: a@example.org\nSubject: GET \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n\n",
	  .lim = &shortsubj, .subject = "GET \xe6\x97\xa5\xe6\x9c\xac",
	  .toolong = 1, .nparts = 1 },
	{ .name = "empty Subject",
	  .raw = "From: a@example.org\nSubject:   \n\n",
	  .subject = "", .nparts = 1 },
	{ .name = "empty input", .raw = "", .st = MAIL_ERR_PARSE },
	{ .name = "not a message",
	  BIN("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
	  .st = MAIL_ERR_PARSE },
	{ .name = "only an mbox line", .raw = "From x", .st = MAIL_ERR_PARSE },
};

static void
check_case(const struct mcase *c)
{
	struct mail_msg m;
	char err[256];
	enum mail_status st;
	size_t len = c->len ? c->len : strlen(c->raw);

	st = mail_parse(c->raw, len, c->lim ? c->lim : &deflim, &m, err,
	    sizeof(err));
	CHECK(st == c->st, "%s: status %s (%s), want %s", c->name,
	    mail_strerror(st), err, mail_strerror(c->st));
#define STR(field) do {							\
	if (c->field == NULL)						\
		break;							\
	if (strcmp(c->field, XNULL) == 0)				\
		CHECK(m.field == NULL, "%s: " #field " \"%s\", want NULL", \
		    c->name, m.field ? m.field : "");			\
	else								\
		CHECK(m.field && strcmp(m.field, c->field) == 0,	\
		    "%s: " #field " \"%s\", want \"%s\"", c->name,	\
		    m.field ? m.field : "(null)", c->field);		\
} while (0)
	STR(from);
	STR(reply_to);
	STR(sender);
	STR(subject);
	STR(message_id);
#undef STR
#define FLAG(field, want) CHECK((int)m.field == (want),			\
	"%s: " #field " %d, want %d", c->name, (int)m.field, (want))
	FLAG(has_return_path, c->has_rp);
	FLAG(null_return_path, c->null_rp);
	FLAG(auto_submitted, c->autosub);
	FLAG(precedence_bulk, c->bulk);
	FLAG(list_headers, c->list);
	FLAG(is_report, c->report);
	FLAG(subject_too_long, c->toolong);
#undef FLAG
	CHECK(m.nksent == c->nksent, "%s: nksent %zu, want %zu", c->name,
	    m.nksent, c->nksent);
	if (c->ksent0 && m.nksent > 0)
		CHECK_STR(m.ksent[0], c->ksent0);
	if (c->ksent1 && m.nksent > 1)
		CHECK_STR(m.ksent[1], c->ksent1);
	if (c->xloop0)
		CHECK(m.nx_loop == 1 && strcmp(m.x_loop[0], c->xloop0) == 0,
		    "%s: x_loop", c->name);
	CHECK(m.nparts == c->nparts, "%s: nparts %zu, want %zu", c->name,
	    m.nparts, c->nparts);
	if (c->t0 && m.nparts > 0)
		CHECK_STR(m.parts[0].content_type, c->t0);
	if (c->d0 && m.nparts > 0)
		CHECK(m.parts[0].len == strlen(c->d0) &&
		    memcmp(m.parts[0].data, c->d0, m.parts[0].len) == 0,
		    "%s: part 0 \"%.*s\", want \"%s\"", c->name,
		    (int)m.parts[0].len, (const char *)m.parts[0].data, c->d0);
	if (c->t1 && m.nparts > 1)
		CHECK_STR(m.parts[1].content_type, c->t1);
	if (c->d1 && m.nparts > 1)
		CHECK(m.parts[1].len == strlen(c->d1) &&
		    memcmp(m.parts[1].data, c->d1, m.parts[1].len) == 0,
		    "%s: part 1 \"%.*s\", want \"%s\"", c->name,
		    (int)m.parts[1].len, (const char *)m.parts[1].data, c->d1);
	/* Invariant for every returned string: no CR, LF or NUL inside. */
	if (m.subject)
		CHECK(strpbrk(m.subject, "\r\n") == NULL, "%s: CR/LF in subject",
		    c->name);
	mail_msg_free(&m);
}

/* n nested multiparts around one text part. */
static void
nested(struct buf *b, int n)
{
	int i;

	(void)buf_puts(b, "From: a@example.org\n");
	for (i = 0; i < n; i++)
		(void)buf_printf(b, "Content-Type: multipart/mixed; "
		    "boundary=\"n%d\"\n\n--n%d\n", i, i);
	(void)buf_puts(b, "Content-Type: text/plain\n\ninner\n");
	for (i = n - 1; i >= 0; i--)
		(void)buf_printf(b, "--n%d--\n", i);
}

static enum mail_status
parse_buf(const struct buf *b, const struct mail_limits *lim,
    struct mail_msg *m, char *err, size_t errlen)
{
	return mail_parse((const char *)b->data, b->len, lim, m, err, errlen);
}

static void
limit_tests(void)
{
	struct mail_limits lim = deflim;
	struct mail_msg m;
	struct buf b;
	char err[256];
	enum mail_status st;
	int i;

	/* Depth: the limit itself is fine, one more is refused. */
	buf_init(&b, 0);
	nested(&b, (int)deflim.max_mime_depth);
	st = parse_buf(&b, &deflim, &m, err, sizeof(err));
	CHECK(st == MAIL_OK, "depth at limit: %s (%s)", mail_strerror(st), err);
	CHECK(m.nparts == 1 && strcmp((char *)m.parts[0].data, "inner") == 0,
	    "depth at limit: nparts %zu", m.nparts);
	mail_msg_free(&m);
	buf_reset(&b);
	nested(&b, (int)deflim.max_mime_depth + 1);
	st = parse_buf(&b, &deflim, &m, err, sizeof(err));
	CHECK_INT(st, MAIL_ERR_MIME);
	CHECK(strstr(err, "max_mime_depth") != NULL, "depth err \"%s\"", err);
	CHECK_STR(m.from, "a@example.org");	/* headers kept for the reply */
	CHECK_INT(m.nparts, 0);
	mail_msg_free(&m);
	/* Very deep nesting must not recurse without bound. */
	buf_reset(&b);
	nested(&b, 5000);
	st = parse_buf(&b, &deflim, &m, err, sizeof(err));
	CHECK_INT(st, MAIL_ERR_MIME);
	mail_msg_free(&m);

	/* Too many parts. */
	buf_reset(&b);
	(void)buf_puts(&b, "From: a@example.org\nContent-Type: multipart/mixed; "
	    "boundary=p\n\n");
	for (i = 0; i < (int)deflim.max_mime_parts + 1; i++)
		(void)buf_puts(&b, "--p\n\nx\n");
	(void)buf_puts(&b, "--p--\n");
	st = parse_buf(&b, &deflim, &m, err, sizeof(err));
	CHECK_INT(st, MAIL_ERR_MIME);
	CHECK(strstr(err, "max_mime_parts") != NULL, "parts err \"%s\"", err);
	mail_msg_free(&m);
	/* Empty sub-multiparts count too. */
	buf_reset(&b);
	(void)buf_puts(&b, "From: a@example.org\nContent-Type: multipart/mixed; "
	    "boundary=p\n\n");
	for (i = 0; i < 1000; i++)
		(void)buf_puts(&b, "--p\nContent-Type: multipart/mixed; boundary=e\n\n");
	st = parse_buf(&b, &deflim, &m, err, sizeof(err));
	CHECK_INT(st, MAIL_ERR_MIME);
	mail_msg_free(&m);

	/* Decoded size. */
	lim = deflim;
	lim.max_decoded_size = 8;
	buf_reset(&b);
	(void)buf_puts(&b, "From: a@example.org\n\n0123456789\n");
	st = parse_buf(&b, &lim, &m, err, sizeof(err));
	CHECK_INT(st, MAIL_ERR_MIME);
	CHECK(strstr(err, "max_decoded_size") != NULL, "decoded err \"%s\"", err);
	mail_msg_free(&m);

	/* Whole message size: refused, but From is there for the refusal. */
	lim = deflim;
	lim.max_message_size = 100;
	buf_reset(&b);
	(void)buf_puts(&b, "From: big@example.org\nSubject: ADD\n\n");
	for (i = 0; i < 20; i++)
		(void)buf_puts(&b, "0123456789\n");
	st = parse_buf(&b, &lim, &m, err, sizeof(err));
	CHECK_INT(st, MAIL_ERR_SIZE);
	CHECK(strstr(err, "max_message_size") != NULL, "size err \"%s\"", err);
	CHECK_STR(m.from, "big@example.org");
	CHECK_INT(m.nparts, 0);
	mail_msg_free(&m);

	/* Header count. */
	buf_reset(&b);
	(void)buf_puts(&b, "From: many@example.org\n");
	for (i = 0; i < (int)deflim.max_headers; i++)
		(void)buf_printf(&b, "X-H%d: v\n", i);
	(void)buf_puts(&b, "\nbody\n");
	st = parse_buf(&b, &deflim, &m, err, sizeof(err));
	CHECK_INT(st, MAIL_ERR_HEADERS);
	CHECK(strstr(err, "max_headers") != NULL, "headers err \"%s\"", err);
	CHECK_STR(m.from, "many@example.org");
	mail_msg_free(&m);

	/* Exactly max_headers is fine. */
	buf_reset(&b);
	(void)buf_puts(&b, "From: many@example.org\n");
	for (i = 1; i < (int)deflim.max_headers; i++)
		(void)buf_printf(&b, "X-H%d: v\n", i);
	(void)buf_puts(&b, "\nbody\n");
	st = parse_buf(&b, &deflim, &m, err, sizeof(err));
	CHECK_INT(st, MAIL_OK);
	mail_msg_free(&m);

	/* One physical line over max_header_line (998 + CRLF is fine). */
	buf_reset(&b);
	(void)buf_puts(&b, "From: a@example.org\nSubject: ");
	for (i = 0; i < 989; i++)
		(void)buf_putc(&b, 'x');
	(void)buf_puts(&b, "\r\n\r\n");
	st = parse_buf(&b, &deflim, &m, err, sizeof(err));
	CHECK(st == MAIL_OK, "998-byte line: %s (%s)", mail_strerror(st), err);
	mail_msg_free(&m);
	buf_reset(&b);
	(void)buf_puts(&b, "From: a@example.org\nSubject: ");
	for (i = 0; i < 990; i++)
		(void)buf_putc(&b, 'x');
	(void)buf_puts(&b, "\n\n");
	st = parse_buf(&b, &deflim, &m, err, sizeof(err));
	CHECK_INT(st, MAIL_ERR_HEADERS);
	CHECK(strstr(err, "max_header_line") != NULL, "line err \"%s\"", err);
	mail_msg_free(&m);

	/* Total header bytes, with short lines (folded). */
	buf_reset(&b);
	(void)buf_puts(&b, "From: a@example.org\nX-Big: x\n");
	for (i = 0; i < 2000; i++)
		(void)buf_puts(&b, " 0123456789012345678901234567890123456789\n");
	(void)buf_puts(&b, "\n");
	st = parse_buf(&b, &deflim, &m, err, sizeof(err));
	CHECK_INT(st, MAIL_ERR_HEADERS);
	CHECK(strstr(err, "max_header_size") != NULL, "size err \"%s\"", err);
	mail_msg_free(&m);

	/* Limits in MIME part headers too. */
	buf_reset(&b);
	(void)buf_puts(&b, "From: a@example.org\nContent-Type: multipart/mixed; "
	    "boundary=p\n\n--p\nX-Long: ");
	for (i = 0; i < 2000; i++)
		(void)buf_putc(&b, 'y');
	(void)buf_puts(&b, "\n\nx\n--p--\n");
	st = parse_buf(&b, &deflim, &m, err, sizeof(err));
	CHECK_INT(st, MAIL_ERR_HEADERS);
	mail_msg_free(&m);

	/* NULL limits mean the compiled-in defaults. */
	st = mail_parse("From: a@b.c\n\nx", 14, NULL, &m, NULL, 0);
	CHECK_INT(st, MAIL_OK);
	mail_msg_free(&m);
	buf_release(&b);
}

static void
daemon_tests(void)
{
	CHECK(mail_addr_is_daemon("MAILER-DAEMON@example.org"), "MAILER-DAEMON");
	CHECK(mail_addr_is_daemon("mailer-daemon@example.org"), "mailer-daemon");
	CHECK(mail_addr_is_daemon("Postmaster@example.org"), "postmaster");
	CHECK(mail_addr_is_daemon("keys-request@lists.example"), "-request");
	CHECK(mail_addr_is_daemon("owner-keys@lists.example"), "owner-");
	CHECK(!mail_addr_is_daemon("alice@example.org"), "alice");
	CHECK(!mail_addr_is_daemon("postmasterx@example.org"), "postmasterx");
	CHECK(!mail_addr_is_daemon("request@example.org"), "request");
	CHECK(!mail_addr_is_daemon("owner@example.org"), "owner");
	CHECK(!mail_addr_is_daemon("a@mailer-daemon"), "domain part");
	CHECK(!mail_addr_is_daemon(NULL), "NULL");
}

/* Deterministic junk: random bytes, and real messages with bytes
 * flipped, cut short or spliced. Passing means ASan/UBSan stay quiet. */
static void
garbage_tests(void)
{
	static const char *const seeds[] = {
		"From: a@example.org\nContent-Type: multipart/mixed; boundary=b\n\n"
		"--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\n"
		"Content-Transfer-Encoding: base64\n\naGVsbG8=\n--c\n"
		"Content-Type: message/rfc822\n\nFrom: x@y\nContent-Type: "
		"multipart/mixed; boundary=b\n\n--b\n\n=?x?=\n--b--\n",
		"From: \"=?UTF-8?B?\" <(a)@b>\nSubject: =?UTF-8?Q?=?= =?=?==?B?"
		"\nContent-Type: text/plain; charset=\"\nContent-Transfer-Encoding:"
		" quoted-printable\n\n=\n=4\n=ZZ==\n",
		"Subject: =?utf-8?b?" "////////////////" "?=\nFrom: <<<<>>>\n"
		"Content-Type: multipart/report; boundary=\n\n--\n",
	};
	struct mail_msg m;
	struct buf b;
	unsigned long x = 12345;
	size_t i, j, k, n;
	int ok = 1;

	buf_init(&b, 0);
	for (i = 0; i < 3000; i++) {
		buf_reset(&b);
		if (i % 3 == 0) {
			n = (x >> 8) % 600;
			for (j = 0; j < n; j++) {
				x = x * 6364136223846793005UL + 1;
				(void)buf_putc(&b, (int)(x >> 56));
			}
		} else {
			const char *s = seeds[i % 3 == 1 ? (x >> 20) % 3 : i % 3];

			(void)buf_puts(&b, s);
			for (k = 0; k < 1 + (x >> 30) % 8; k++) {
				x = x * 6364136223846793005UL + 1;
				b.data[(x >> 16) % b.len] = (uint8_t)(x >> 56);
			}
			if ((x >> 40) % 4 == 0)
				b.len = (x >> 24) % b.len;
		}
		(void)mail_parse((const char *)b.data, b.len, &deflim, &m,
		    NULL, 0);
		if (m.subject && strpbrk(m.subject, "\r\n"))
			ok = 0;
		for (j = 0; j < m.nparts; j++)
			if (m.parts[j].data[m.parts[j].len] != '\0')
				ok = 0;
		mail_msg_free(&m);
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	}
	CHECK(ok, "garbage: invariants broken");
	buf_release(&b);

	/* mail_msg_free twice, and on a zeroed struct, is harmless. */
	memset(&m, 0, sizeof(m));
	mail_msg_free(&m);
	mail_msg_free(&m);
	mail_msg_free(NULL);
	CHECK(mail_strerror(MAIL_ERR_MIME) != NULL, "strerror");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	limit_tests();
	daemon_tests();
	garbage_tests();
	return check_done();
}
