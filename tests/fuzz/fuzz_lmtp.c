/*
 * fuzz_lmtp.c - libFuzzer target: the LMTP state machine (serve/lmtp.c).
 *
 * The input is a client's side of a session. It is fed twice: whole, and
 * in pieces whose sizes come from the input itself; every message is
 * answered by an outcome also taken from the input. Properties (abort on
 * violation): both runs give the same replies and the same messages; every
 * reply line is three digits, a blank or '-', printable text and CRLF;
 * kept data never passes max_message_size; a message is reported only
 * with at least one recipient; sender and recipients hold no blank or
 * control octet (they go into a header and the log).
 * Seeds: tests/fuzz/corpus/fuzz_lmtp (Postfix-like and hostile sessions).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/lmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct lmtp_limits lim = { "mx.fuzz", 4096, 5 };

static void
check_addr(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			abort();
}

static void
check_replies(const struct buf *b)
{
	const uint8_t *p = b->data, *e = b->data + b->len;

	while (p < e) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(e - p));
		const uint8_t *q;

		if (nl == NULL || nl - p < 5 || nl[-1] != '\r')
			abort();
		if (p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
		    p[2] < '0' || p[2] > '9' || (p[3] != ' ' && p[3] != '-'))
			abort();
		for (q = p; q < nl - 1; q++)
			if (*q < 0x20 || *q > 0x7e)
				abort();
		p = nl + 1;
	}
}

/* Run the session; the replies and a digest of the messages go to out. */
static void
run(const uint8_t *in, size_t len, const uint8_t *sizes, size_t nsizes,
    struct buf *out)
{
	struct lmtp m;
	size_t off = 0, k = 0;
	int closed = 0;

	lmtp_init(&m, &lim);
	lmtp_greeting(&m);
	while (off < len && !closed) {
		size_t n = nsizes ? (size_t)(sizes[k++ % nsizes] % 64) + 1 : len - off;
		size_t pos = 0, used;

		if (n > len - off)
			n = len - off;
		while (pos < n && !closed) {
			enum lmtp_event ev = lmtp_input(&m, in + off + pos, n - pos, &used);

			pos += used;
			if (ev == LMTP_EV_MESSAGE) {
				size_t i;

				if (m.nrcpts == 0 || m.sender == NULL)
					abort();
				if (m.data.len > lim.max_message_size ||
				    (m.data_too_big && m.data.len != 0) ||
				    m.data.len > m.data_size)
					abort();
				check_addr(m.sender);
				for (i = 0; i < m.nrcpts; i++)
					check_addr(m.rcpts[i]);
				buf_printf(out, "[msg %zu %zu %s]", m.data.len, m.nrcpts,
				    m.sender);
				buf_append(out, m.data.data, m.data.len);
				ev = lmtp_message_done(&m, m.data_too_big ? LMTP_TOO_BIG :
				    (m.data.len & 1) ? LMTP_TEMPFAIL : LMTP_DONE, "GET");
			}
			if (ev == LMTP_EV_CLOSE)
				closed = 1;
			else if (used == 0 && pos < n)
				abort();	/* no progress without an event */
		}
		off += n;
	}
	if (!closed && (len & 3) == 1)
		(void)lmtp_shutdown(&m);
	else if (!closed && (len & 3) == 2)
		lmtp_timeout(&m);
	check_replies(&m.out);
	buf_append(out, m.out.data, m.out.len);
	lmtp_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a, b;
	size_t nsizes;

	if (size < 1)
		return 0;
	nsizes = data[0] % 8;
	if (nsizes + 1 > size)
		return 0;
	buf_init(&a, 0);
	buf_init(&b, 0);
	run(data + 1 + nsizes, size - 1 - nsizes, NULL, 0, &a);
	run(data + 1 + nsizes, size - 1 - nsizes, data + 1, nsizes, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
