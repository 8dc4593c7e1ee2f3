/*
 * util/utf8.h - UTF-8 validation shared by the mail reader, the reply
 * builder and user-ID display.
 *
 * Input is untrusted bytes; nothing is read past s + left.
 */
#ifndef KM_UTIL_UTF8_H
#define KM_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 if there is
 * none. left must be at least 1. */
size_t utf8_seq_len(const uint8_t *s, size_t left);

#endif
