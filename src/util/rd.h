/*
 * util/rd.h - bounds-checked reader over untrusted binary data.
 *
 * A reader is a view (pointer, remaining length) into memory it does not
 * own. Every get checks "need > remaining" first and fails with -1 without
 * moving; no call ever reads outside the view. rd_sub() carves a nested
 * view (a packet body, a subpacket area) and advances the parent past it.
 */
#ifndef KM_UTIL_RD_H
#define KM_UTIL_RD_H

#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t *p;
	size_t left;
};

static inline void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p;
	r->left = len;
}

int rd_u8(struct rd *r, uint8_t *v);
int rd_u16(struct rd *r, uint16_t *v);	/* big-endian */
int rd_u32(struct rd *r, uint32_t *v);	/* big-endian */
int rd_bytes(struct rd *r, size_t n, const uint8_t **p);	/* view, not a copy */
int rd_copy(struct rd *r, void *dst, size_t n);
int rd_skip(struct rd *r, size_t n);
int rd_sub(struct rd *r, size_t n, struct rd *sub);

#endif
