/*
 * util/xalloc.h - allocation that succeeds or does not return.
 *
 * Out of memory is an environment failure: we log and exit EX_TEMPFAIL so
 * the MTA retries the message later (Postfix mymalloc habit). Callers never
 * test for NULL. Sizes are checked for overflow before multiplying.
 */
#ifndef KM_UTIL_XALLOC_H
#define KM_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array: returns p resized for n elements of size sz (overflow-checked). */
void *xreallocarray(void *p, size_t n, size_t sz);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
/* printf into a fresh string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
