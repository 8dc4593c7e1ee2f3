/*
 * fuzz_authres.c - libFuzzer target: Authentication-Results values
 * (mail/authres.c) and the rate-limit keys of an address (mail/addr.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct mail_auth a;
	char *k;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';		/* values reach the parser as C strings */
	(void)mail_authres_parse(s, "mx.example.net", &a);
	k = mail_addr_rate_key(s);
	if (strlen(k) > strlen(s))
		abort();	/* a key is never longer than its address */
	free(k);
	(void)mail_addr_domain(s);
	free(s);
	return 0;
}
