/*
 * tests/unit/unhex.h - unhex(): test vectors written as hex text (RFC
 * appendices, with spaces and line breaks between bytes) into bytes.
 *
 * The caller owns out (max bytes); the hex text is the test's own.
 * Decoding stops at the first pair that is not hex or when out is full;
 * the number of bytes written is returned.
 */
#ifndef KM_TEST_UNHEX_H
#define KM_TEST_UNHEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static inline size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (*s && n < max) {
		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

#endif
