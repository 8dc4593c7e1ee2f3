/*
 * mail/addr.c - the keys the reply rate limit counts an address under.
 *
 * A forger who wants the robot to flood a mailbox varies the address:
 * case (User@, USER@) and sub-address tags (user+1@, user+2@ ...) all
 * reach the same mailbox on most systems, so they are one counter
 * (mail_addr_rate_key). Many mailboxes of one domain are counted again
 * together (mail_addr_domain). Input: an addr-spec that message.c has
 * already checked (printable ASCII, one '@'); untrusted all the same.
 */
#include <ctype.h>
#include <string.h>

#include "mail/mail.h"
#include "util/xalloc.h"

char *
mail_addr_rate_key(const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t n = strlen(addr), i, o = 0;
	char *out = xmalloc(n + 1);
	bool in_tag = false;

	for (i = 0; i < n; i++) {
		const char *c = addr + i;

		if (at != NULL && c < at) {
			/* "+tag" up to the '@' is dropped, unless the local
			 * part would be left empty ("+x@host" stays). */
			if (*c == '+' && i > 0)
				in_tag = true;
			if (in_tag)
				continue;
		}
		out[o++] = (char)tolower((unsigned char)*c);
	}
	out[o] = '\0';
	return out;
}

const char *
mail_addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}
