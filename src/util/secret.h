/*
 * util/secret.h - handling secrets without leaking them through timing
 * or leftover memory: constant-time comparison and wiping.
 *
 * Used for tokens and their hashes (owner-control.md 6.4) and for session
 * keys and ephemeral secrets while a message is encrypted (pgp/encrypt.c).
 * Nothing here allocates; the caller owns every buffer.
 */
#ifndef KM_UTIL_SECRET_H
#define KM_UTIL_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* true when the n bytes at a and b are equal. The time taken depends on
 * n only, never on where the first difference is. */
bool secret_equal(const void *a, const void *b, size_t n);

/* Overwrite n bytes with zeros in a way the compiler may not drop. */
void secret_wipe(void *p, size_t n);

#endif
