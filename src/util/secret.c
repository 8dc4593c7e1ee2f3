/*
 * util/secret.c - see secret.h.
 */
#include <string.h>

#include "util/secret.h"

bool
secret_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;
	size_t i;

	/* Every byte is read and folded in; no branch depends on the data. */
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(x[i] ^ y[i]);
	return diff == 0;
}

void
secret_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}
