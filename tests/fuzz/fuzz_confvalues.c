/*
 * fuzz_confvalues.c - libFuzzer target: the configuration values that are
 * parsed rather than copied (util/conf.c conf_parse_mailbox, util/peer.c
 * peer_parse). The file is trusted, but what these return goes into mail
 * headers and the mailer's input, so they must never let through what a
 * header cannot carry: aborts if an accepted address is not a plain
 * addr-spec or an accepted display name holds a control character.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/conf.h"
#include "util/peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[512], *addr, *name;
	struct peer p;
	size_t i;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (conf_parse_mailbox(s, &addr, &name, err, sizeof(err)) == 0) {
		if (!peer_addr_ok(addr))
			abort();
		for (i = 0; name != NULL && name[i]; i++)
			if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
				abort();
		free(addr);
		free(name);
	}
	if (peer_parse(s, &p, err, sizeof(err)) == 0) {
		if (!peer_addr_ok(p.addr))
			abort();
		peer_free(&p);
	}
	free(s);
	return 0;
}
