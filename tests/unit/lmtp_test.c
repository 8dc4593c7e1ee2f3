/*
 * lmtp_test.c - the LMTP state machine (serve/lmtp.c): whole dialogues fed
 * in one piece and octet by octet must give the same replies; every reply
 * of server.md 6.1's table; dot-unstuffing and the size limit.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "serve/lmtp.h"

static const struct lmtp_limits lim = { "mx.test", 1000, 3 };

struct run {
	struct buf out;		/* every reply */
	struct buf data;	/* the last message */
	char sender[300];
	size_t nrcpts, nmsgs;
	bool too_big, closed;
};

/* Feed in (chunk octets at a time, 0: all at once); each message is
 * answered with outcome o. */
static void
feed(const char *in, size_t chunk, enum lmtp_outcome o, struct run *r)
{
	struct lmtp m;
	size_t len = strlen(in), off = 0;

	memset(r, 0, sizeof(*r));
	buf_init(&r->out, 0);
	buf_init(&r->data, 0);
	lmtp_init(&m, &lim);
	lmtp_greeting(&m);
	while (off < len && !r->closed) {
		size_t n = chunk && len - off > chunk ? chunk : len - off;
		size_t pos = 0, used;

		while (pos < n) {
			enum lmtp_event ev = lmtp_input(&m, (const uint8_t *)in + off + pos,
			    n - pos, &used);

			pos += used;
			if (ev == LMTP_EV_MESSAGE) {
				r->nmsgs++;
				buf_reset(&r->data);
				buf_append(&r->data, m.data.data, m.data.len);
				snprintf(r->sender, sizeof(r->sender), "%s", m.sender);
				r->nrcpts = m.nrcpts;
				r->too_big = m.data_too_big;
				ev = lmtp_message_done(&m, m.data_too_big ? LMTP_TOO_BIG : o, "GET");
			}
			if (ev == LMTP_EV_CLOSE) {
				r->closed = true;
				break;
			}
		}
		off += n;
	}
	buf_append(&r->out, m.out.data, m.out.len);
	lmtp_free(&m);
}

static void
run_free(struct run *r)
{
	buf_free(&r->out);
	buf_free(&r->data);
}

/* The replies as one string, codes only, blank-separated. */
static void
codes(const struct run *r, char *out, size_t outlen)
{
	const char *p = (const char *)r->out.data, *e = p + r->out.len;
	size_t n = 0;

	out[0] = '\0';
	while (p < e && n + 5 < outlen) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));

		if (p[3] == ' ') {	/* last line of a reply */
			if (n)
				out[n++] = ' ';
			memcpy(out + n, p, 3);
			n += 3;
			out[n] = '\0';
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

struct dialogue {
	const char *name;
	const char *in;
	const char *want;	/* reply codes */
	const char *data;	/* NULL: no message */
};

static const struct dialogue dialogues[] = {
	{ "spec example",
	  "LHLO mx.example.net\r\nMAIL FROM:<alice@example.org> SIZE=27 BODY=8BITMIME\r\n"
	  "RCPT TO:<pgp-public-keys@keys.example.net>\r\nDATA\r\n"
	  "Subject: GET 0x1\r\n\r\nbody\r\n.\r\nQUIT\r\n",
	  "220 250 250 250 354 250 221", "Subject: GET 0x1\r\n\r\nbody\r\n" },
	{ "pipelined, two recipients, one reply each",
	  "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"
	  "a\r\n.\r\nQUIT\r\n",
	  "220 250 250 250 250 354 250 250 221", "a\r\n" },
	{ "dot-unstuffing, line ends kept",
	  "LHLO x\r\nMAIL FROM:<s@x>\r\nRCPT TO:<r@x>\r\nDATA\r\n"
	  "..a\r\n\r\n\n..\r\nx.\r\n.\rx\r\n.x\n.\r\n",
	  "220 250 250 250 354 250", ".a\r\n\r\n\n.\r\nx.\r\n\rx\r\nx\n" },
	{ "bare LF lines",
	  "LHLO x\nMAIL FROM:<s@x>\nRCPT TO:<r@x>\nDATA\nhi\n.\nQUIT\n",
	  "220 250 250 250 354 250 221", "hi\n" },
	{ "empty message",
	  "LHLO x\r\nMAIL FROM:<s@x>\r\nRCPT TO:<r@x>\r\nDATA\r\n.\r\n",
	  "220 250 250 250 354 250", "" },
	{ "HELO and EHLO refused",
	  "HELO x\r\nEHLO x\r\nLHLO x\r\n", "220 500 500 250", NULL },
	{ "MAIL before LHLO", "MAIL FROM:<s@x>\r\n", "220 503", NULL },
	{ "nested MAIL",
	  "LHLO x\r\nMAIL FROM:<s@x>\r\nMAIL FROM:<s@x>\r\n", "220 250 250 503", NULL },
	{ "MAIL syntax",
	  "LHLO x\r\nMAIL FROM:s@x\r\nMAIL TO:<s@x>\r\nMAIL FROM:<a b>\r\nMAIL FROM:<s@x>x\r\n",
	  "220 250 501 501 501 501", NULL },
	{ "MAIL SIZE over the limit", "LHLO x\r\nMAIL FROM:<s@x> SIZE=1001\r\n",
	  "220 250 552", NULL },
	{ "MAIL SIZE at the limit", "LHLO x\r\nMAIL FROM:<s@x> SIZE=1000\r\n",
	  "220 250 250", NULL },
	{ "MAIL SIZE malformed", "LHLO x\r\nMAIL FROM:<s@x> SIZE=1k\r\nMAIL FROM:<s@x> SIZE\r\n",
	  "220 250 501 501", NULL },
	{ "MAIL parameters",
	  "LHLO x\r\nMAIL FROM:<s@x> BODY=7bit SMTPUTF8\r\nRSET\r\n"
	  "MAIL FROM:<s@x> BODY=BINARYMIME\r\nMAIL FROM:<s@x> AUTH=<>\r\n",
	  "220 250 250 250 555 555", NULL },
	{ "RCPT without MAIL", "LHLO x\r\nRCPT TO:<r@x>\r\n", "220 250 503", NULL },
	{ "RCPT syntax and parameters",
	  "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<>\r\nRCPT TO:r@x\r\nRCPT TO:<r@x> NOTIFY=NEVER\r\n",
	  "220 250 250 501 501 555", NULL },
	{ "too many recipients (limit 3), replies only for accepted ones",
	  "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\n"
	  "RCPT TO:<d@x>\r\nDATA\r\nz\r\n.\r\n",
	  "220 250 250 250 250 250 452 354 250 250 250", "z\r\n" },
	{ "DATA without RCPT", "LHLO x\r\nMAIL FROM:<>\r\nDATA\r\n", "220 250 250 503", NULL },
	{ "DATA without MAIL", "LHLO x\r\nDATA\r\n", "220 250 503", NULL },
	{ "DATA with an argument",
	  "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<r@x>\r\nDATA x\r\n", "220 250 250 250 501", NULL },
	{ "RSET, NOOP, VRFY",
	  "LHLO x\r\nMAIL FROM:<>\r\nRSET\r\nMAIL FROM:<>\r\nNOOP\r\nVRFY x\r\n",
	  "220 250 250 250 250 250 252", NULL },
	{ "LHLO resets a transaction",
	  "LHLO x\r\nMAIL FROM:<>\r\nLHLO y\r\nRCPT TO:<r@x>\r\n", "220 250 250 250 503", NULL },
	{ "LHLO without a domain", "LHLO\r\n", "220 501", NULL },
	{ "unknown commands",
	  "LHLO x\r\nBDAT 10 LAST\r\nSTARTTLS\r\nAUTH PLAIN\r\nLHLOX\r\n\r\n",
	  "220 250 500 500 500 500 500", NULL },
	{ "control octet in a command", "LHLO x\r\nNO\x01OP\r\n", "220 250 500", NULL },
	{ "lower case verbs", "lhlo x\r\nmail from:<>\r\nrcpt to:<r@x>\r\ndata\r\n.\r\nquit\r\n",
	  "220 250 250 250 354 250 221", "" },
	{ "QUIT stops reading", "QUIT\r\nNOOP\r\n", "220 221", NULL },
	{ "message too big: read to the end, 552",
	  "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<r@x>\r\nDATA\r\n", NULL, NULL },
};

static void
test_dialogues(void)
{
	size_t i, chunk;

	for (i = 0; i < sizeof(dialogues) / sizeof(dialogues[0]); i++) {
		const struct dialogue *d = &dialogues[i];

		if (d->want == NULL)
			continue;
		for (chunk = 0; chunk <= 7; chunk += 1) {
			struct run r;
			char got[256];

			if (chunk == 2 || chunk == 4 || chunk == 5 || chunk == 6)
				continue;	/* 0 (whole), 1, 3, 7 octets at a time */
			feed(d->in, chunk, LMTP_DONE, &r);
			codes(&r, got, sizeof(got));
			CHECK(strcmp(got, d->want) == 0, "%s (chunk %zu): got \"%s\", "
			    "want \"%s\"", d->name, chunk, got, d->want);
			if (d->data) {
				CHECK(r.nmsgs == 1, "%s (chunk %zu): %zu messages", d->name,
				    chunk, r.nmsgs);
				CHECK(r.data.len == strlen(d->data) &&
				    memcmp(r.data.data, d->data, r.data.len) == 0,
				    "%s (chunk %zu): data \"%s\"", d->name, chunk,
				    (const char *)r.data.data);
			} else
				CHECK(r.nmsgs == 0, "%s: unexpected message", d->name);
			run_free(&r);
		}
	}
}

static void
test_texts(void)
{
	struct run r;

	feed("LHLO mx.example.net\r\nMAIL FROM:<alice@example.org>\r\n"
	    "RCPT TO:<k@x>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n", 0, LMTP_DONE, &r);
	CHECK_STR((const char *)r.out.data,
	    "220 mx.test keymail LMTP ready\r\n"
	    "250-mx.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
	    "250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 1000\r\n"
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "250 2.0.0 Ok: GET done\r\n221 2.0.0 Bye\r\n");
	CHECK_STR(r.sender, "alice@example.org");
	run_free(&r);

	feed("LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\nx\r\n.\r\n",
	    0, LMTP_TEMPFAIL, &r);
	CHECK(strstr((const char *)r.out.data, "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "451 4.3.0 Temporary failure, try again later\r\n"
	    "451 4.3.0 Temporary failure, try again later\r\n") != NULL,
	    "two 451: %s", (const char *)r.out.data);
	CHECK_STR(r.sender, "");
	run_free(&r);
}

static void
test_too_big(void)
{
	struct buf in;
	struct run r;
	char got[256];
	int i;

	buf_init(&in, 0);
	buf_puts(&in, "LHLO x\r\nMAIL FROM:<s@x>\r\nRCPT TO:<r@x>\r\nDATA\r\n");
	for (i = 0; i < 100; i++)
		buf_puts(&in, "0123456789012345678\r\n");	/* 2100 octets */
	buf_puts(&in, ".\r\nNOOP\r\n");
	feed((const char *)in.data, 0, LMTP_DONE, &r);
	codes(&r, got, sizeof(got));
	CHECK_STR(got, "220 250 250 250 354 552 250");
	CHECK(r.too_big, "too_big not set");
	CHECK(r.data.len == 0, "dropped data kept: %zu", r.data.len);
	run_free(&r);
	feed((const char *)in.data, 13, LMTP_DONE, &r);
	codes(&r, got, sizeof(got));
	CHECK_STR(got, "220 250 250 250 354 552 250");
	run_free(&r);
	buf_free(&in);
}

static void
test_line_length(void)
{
	char line[600];
	struct run r;
	char got[64];

	/* 510 octets of text plus CRLF is the longest line (512). */
	memset(line, 0, sizeof(line));
	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'a', 505);
	strcat(line, "\r\n");
	feed(line, 0, LMTP_DONE, &r);
	codes(&r, got, sizeof(got));
	CHECK_STR(got, "220 250");
	run_free(&r);
	line[510] = 'a';
	line[511] = '\0';
	strcat(line, "\r\nNOOP\r\n");
	feed(line, 0, LMTP_DONE, &r);
	codes(&r, got, sizeof(got));
	CHECK_STR(got, "220 500 250");
	CHECK(strstr((const char *)r.out.data, "500 5.5.2") != NULL, "5.5.2");
	run_free(&r);
	feed(line, 1, LMTP_DONE, &r);
	codes(&r, got, sizeof(got));
	CHECK_STR(got, "220 500 250");
	run_free(&r);
}

static void
test_timeout_shutdown(void)
{
	struct lmtp m;
	size_t used;
	const char *s;

	lmtp_init(&m, &lim);
	lmtp_timeout(&m);
	CHECK_STR((const char *)m.out.data, "421 4.4.2 Timeout\r\n");
	CHECK_INT(lmtp_input(&m, (const uint8_t *)"NOOP\r\n", 6, &used), LMTP_EV_CLOSE);
	lmtp_free(&m);

	/* Idle: 421 at once. */
	lmtp_init(&m, &lim);
	s = "LHLO x\r\n";
	(void)lmtp_input(&m, (const uint8_t *)s, strlen(s), &used);
	buf_reset(&m.out);
	CHECK_INT(lmtp_shutdown(&m), LMTP_EV_CLOSE);
	CHECK_STR((const char *)m.out.data, "421 4.3.2 Service shutting down\r\n");
	lmtp_free(&m);

	/* In DATA: the message is finished and answered, then 421. */
	lmtp_init(&m, &lim);
	s = "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<r@x>\r\nDATA\r\npart";
	(void)lmtp_input(&m, (const uint8_t *)s, strlen(s), &used);
	CHECK_INT(lmtp_shutdown(&m), LMTP_EV_NONE);
	buf_reset(&m.out);
	s = "ial\r\n.\r\n";
	CHECK_INT(lmtp_input(&m, (const uint8_t *)s, strlen(s), &used), LMTP_EV_MESSAGE);
	CHECK(m.data.len == 9 && memcmp(m.data.data, "partial\r\n", 9) == 0, "data");
	CHECK_INT(lmtp_message_done(&m, LMTP_DONE, "ADD"), LMTP_EV_CLOSE);
	CHECK_STR((const char *)m.out.data,
	    "250 2.0.0 Ok: ADD done\r\n421 4.3.2 Service shutting down\r\n");
	lmtp_free(&m);

	/* Inside a transaction before DATA: the next command gets 421. */
	lmtp_init(&m, &lim);
	s = "LHLO x\r\nMAIL FROM:<>\r\n";
	(void)lmtp_input(&m, (const uint8_t *)s, strlen(s), &used);
	CHECK_INT(lmtp_shutdown(&m), LMTP_EV_NONE);
	buf_reset(&m.out);
	s = "RCPT TO:<r@x>\r\n";
	CHECK_INT(lmtp_input(&m, (const uint8_t *)s, strlen(s), &used), LMTP_EV_CLOSE);
	CHECK_STR((const char *)m.out.data, "421 4.3.2 Service shutting down\r\n");
	lmtp_free(&m);
}

/* Input after the end of DATA stays unconsumed until the message is done. */
static void
test_pipelined_after_data(void)
{
	struct lmtp m;
	size_t used;
	const char *s = "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<r@x>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n";

	lmtp_init(&m, &lim);
	CHECK_INT(lmtp_input(&m, (const uint8_t *)s, strlen(s), &used), LMTP_EV_MESSAGE);
	CHECK_STR(s + used, "QUIT\r\n");
	CHECK_INT(lmtp_input(&m, (const uint8_t *)s + used, strlen(s + used), &used),
	    LMTP_EV_MESSAGE);
	CHECK_INT(used, 0);
	CHECK_INT(lmtp_message_done(&m, LMTP_DONE, NULL), LMTP_EV_NONE);
	CHECK(strstr((const char *)m.out.data, "250 2.0.0 Ok: none done\r\n") != NULL,
	    "none: %s", (const char *)m.out.data);
	lmtp_free(&m);
}

int
main(void)
{
	test_dialogues();
	test_texts();
	test_too_big();
	test_line_length();
	test_timeout_shutdown();
	test_pipelined_after_data();
	return check_done();
}
