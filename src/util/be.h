/*
 * util/be.h - big-endian (network order) stores into a caller's buffer,
 * the writing side of util/rd.h's rd_u16/rd_u32.
 *
 * Owns no memory; the caller guarantees 2, 4 or 8 writable octets at p.
 * Values are our own (lengths, times, counters), never untrusted input;
 * each takes the low 16, 32 or 64 bits of v.
 */
#ifndef KM_UTIL_BE_H
#define KM_UTIL_BE_H

#include <stdint.h>

static inline void
be_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
be_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
be_put64(uint8_t *p, uint64_t v)
{
	be_put32(p, (uint32_t)(v >> 32));
	be_put32(p + 4, (uint32_t)v);
}

#endif
