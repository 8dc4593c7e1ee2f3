/*
 * util/rd.c - see rd.h.
 */
#include <string.h>

#include "util/rd.h"

int
rd_u8(struct rd *r, uint8_t *v)
{
	if (1 > r->left)
		return -1;
	*v = r->p[0];
	r->p++;
	r->left--;
	return 0;
}

int
rd_u16(struct rd *r, uint16_t *v)
{
	if (2 > r->left)
		return -1;
	*v = (uint16_t)((r->p[0] << 8) | r->p[1]);
	r->p += 2;
	r->left -= 2;
	return 0;
}

int
rd_u32(struct rd *r, uint32_t *v)
{
	if (4 > r->left)
		return -1;
	*v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
	    ((uint32_t)r->p[2] << 8) | (uint32_t)r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

int
rd_bytes(struct rd *r, size_t n, const uint8_t **p)
{
	if (n > r->left)
		return -1;
	*p = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

int
rd_copy(struct rd *r, void *dst, size_t n)
{
	const uint8_t *p;

	if (rd_bytes(r, n, &p) < 0)
		return -1;
	if (n)
		memcpy(dst, p, n);
	return 0;
}

int
rd_skip(struct rd *r, size_t n)
{
	const uint8_t *p;

	return rd_bytes(r, n, &p);
}

int
rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	const uint8_t *p;

	if (rd_bytes(r, n, &p) < 0)
		return -1;
	rd_init(sub, p, n);
	return 0;
}
