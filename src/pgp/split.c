/*
 * pgp/split.c - packet framing from the header alone, so that a large key
 * dump (keymail import) can be cut into whole transferable keys before
 * anything is parsed, and the pieces parsed in parallel.
 *
 * Input is untrusted (a dump from anywhere): only the header octets are
 * read, each through util/rd; the body is not touched, and need not even
 * be in memory yet. Nothing is allocated.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp.h"
#include "util/rd.h"

enum pgp_status
pgp_packet_frame(const uint8_t *data, size_t len, uint8_t *tag, size_t *size)
{
	size_t hdr;

	return pgp_packet_span(data, len, tag, &hdr, size);
}

enum pgp_status
pgp_packet_span(const uint8_t *data, size_t len, uint8_t *tag, size_t *hdrlen,
    size_t *size)
{
	struct rd r;
	uint8_t ctb, o1, o2;
	uint16_t w;
	uint32_t v;
	size_t body = 0, hdr;

	rd_init(&r, data, len);
	if (rd_u8(&r, &ctb) < 0)
		return PGP_ERR_TRUNCATED;
	if (!(ctb & 0x80))
		return PGP_ERR_MALFORMED;
	if (ctb & 0x40) {
		*tag = ctb & 0x3f;
		if (rd_u8(&r, &o1) < 0)
			return PGP_ERR_TRUNCATED;
		if (o1 < 192) {
			body = o1;
		} else if (o1 < 224) {
			if (rd_u8(&r, &o2) < 0)
				return PGP_ERR_TRUNCATED;
			body = ((size_t)(o1 - 192) << 8) + o2 + 192;
		} else if (o1 == 255) {
			if (rd_u32(&r, &v) < 0)
				return PGP_ERR_TRUNCATED;
			body = v;
		} else {
			/* Partial body length: only streamed data packets
			 * may use it, never a key (key.c refuses it too). */
			return PGP_ERR_MALFORMED;
		}
	} else {
		*tag = (ctb >> 2) & 0x0f;
		switch (ctb & 3) {
		case 0:
			if (rd_u8(&r, &o1) < 0)
				return PGP_ERR_TRUNCATED;
			body = o1;
			break;
		case 1:
			if (rd_u16(&r, &w) < 0)
				return PGP_ERR_TRUNCATED;
			body = w;
			break;
		case 2:
			if (rd_u32(&r, &v) < 0)
				return PGP_ERR_TRUNCATED;
			body = v;
			break;
		default:
			return PGP_ERR_MALFORMED;	/* indeterminate length */
		}
	}
	if (*tag == 0)
		return PGP_ERR_MALFORMED;
	hdr = len - r.left;
	if (body > SIZE_MAX - hdr)
		return PGP_ERR_MALFORMED;	/* 32-bit size_t only */
	*hdrlen = hdr;
	*size = hdr + body;
	return PGP_OK;
}
