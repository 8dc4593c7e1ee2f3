/*
 * fuzz_mail.c - libFuzzer target: the mail reader and the Subject grammar.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mail_limits lim = {
		1u << 20, 998, 64 * 1024, 500, 1024, 8, 100, 4u << 20,
	};
	struct mail_msg m;
	struct mail_command c;
	char err[256];

	memset(&m, 0, sizeof(m));
	(void)mail_parse((const char *)data, size, &lim, &m, err, sizeof(err));
	mail_command_parse(m.subject, &c);
	mail_command_free(&c);
	mail_msg_free(&m);
	return 0;
}
