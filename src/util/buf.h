/*
 * util/buf.h - growable, binary-safe byte buffer.
 *
 * Invariants: after buf_init() b->data is never NULL and there is always
 * a NUL byte at data[len] (not counted in len), so text can be used as a C
 * string. buf_free() and buf_detach() leave data NULL and len 0; appending
 * to such a buffer allocates again. An optional cap (b->cap, 0 = none) bounds the length: an append
 * that would pass it fails with -1 and leaves the buffer unchanged, so a
 * caller reading untrusted data can refuse oversized input.
 * Memory: the buffer owns data; buf_detach() hands it to the caller.
 */
#ifndef KM_UTIL_BUF_H
#define KM_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t alloc;
	size_t cap;	/* 0: unlimited */
};

void buf_init(struct buf *b, size_t cap);
void buf_free(struct buf *b);		/* frees data; b->data becomes NULL */
void buf_reset(struct buf *b);		/* len = 0, keeps memory */
/* The following return 0, or -1 if the cap would be exceeded. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, int c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Take ownership of the data (NUL-terminated); the buffer is left empty. */
uint8_t *buf_detach(struct buf *b, size_t *lenp);
/* Read a whole file descriptor; -1 on read error (errno), -2 past cap. */
int buf_read_fd(struct buf *b, int fd);

#endif
