/*
 * fuzz_mail.c - libFuzzer target: the mail reader, the Subject grammar,
 * and the reply header built from what they return.
 *
 * The input is one hostile mail. Besides memory errors (ASan/UBSan), the
 * target checks the property that matters most for a robot that answers
 * strangers: nothing taken from the mail (Subject, reply address,
 * Message-ID) can add a header to the reply. The reply's header block
 * must consist of exactly the fields mail_reply_build writes, each line at
 * most 998 octets, no CR, no NUL, no byte outside printable ASCII;
 * otherwise the target aborts (a finding).
 * Seeds: tests/fuzz/corpus/fuzz_mail (GnuPG/Python-made mails and the
 * hostile corpus of tests/mail).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fields of our reply header, in the order reply.c writes them. */
static const char *const our_fields[] = {
	"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To",
	"References", "Auto-Submitted", "Precedence", "X-Loop",
	"MIME-Version", "Content-Type",
};

static void
check_reply(const struct buf *b)
{
	const char *p = (const char *)b->data, *end;
	size_t i, n;

	end = memmem(p, b->len, "\n\n", 2);
	if (end == NULL)
		abort();
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p) + 1);

		n = (size_t)(eol - p);
		if (n > 998)
			abort();
		for (i = 0; i < n; i++)
			if (p[i] < 0x20 || p[i] > 0x7e) {
				if (p[i] != '\t')
					abort();
			}
		if (p[0] != ' ' && p[0] != '\t') {
			const char *colon = memchr(p, ':', n);
			size_t k, ok = 0;

			if (colon == NULL)
				abort();
			for (k = 0; k < sizeof(our_fields) / sizeof(our_fields[0]); k++)
				if ((size_t)(colon - p) == strlen(our_fields[k]) &&
				    memcmp(p, our_fields[k], strlen(our_fields[k])) == 0)
					ok = 1;
			if (!ok)
				abort();	/* a header we did not write */
		}
		p = eol + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mail_limits lim = {
		1u << 20, 998, 64 * 1024, 500, 1024, 8, 100, 4u << 20,
	};
	struct mail_msg m;
	struct mail_command c;
	struct mail_reply r;
	struct buf out;
	char err[256], *subject;

	memset(&m, 0, sizeof(m));
	(void)mail_parse((const char *)data, size, &lim, &m, err, sizeof(err));
	mail_command_parse(m.subject, &c);
	(void)mail_addr_is_daemon(m.from);
	if (m.from != NULL || m.reply_to != NULL) {
		/* As cmd/pipeline.c's send_reply builds it. */
		subject = malloc(strlen(m.subject ? m.subject : "") + 64);
		if (subject == NULL)
			abort();
		sprintf(subject, "Your command, %s, failed", m.subject ? m.subject : "(none)");
		memset(&r, 0, sizeof(r));
		r.from = "pgp-public-keys@keys.example.net";
		r.from_name = "OpenPGP keyserver robot";
		r.to = m.reply_to ? m.reply_to : m.from;
		r.subject = subject;
		r.in_reply_to = m.message_id;
		r.intro = "intro\n";
		r.body = c.arg;
		r.body_len = c.arg ? strlen(c.arg) : 0;
		r.body_type = "text/plain";
		r.msgid_domain = "keys.example.net";
		buf_init(&out, 1u << 20);
		if (mail_reply_build(&r, &out) == 0)
			check_reply(&out);
		free(out.data);
		free(subject);
	}
	mail_command_free(&c);
	mail_msg_free(&m);
	return 0;
}
