/*
 * tests/unit/split_test.c - pgp_packet_frame (pgp/split.c), the header-only
 * framing keymail import cuts dumps with. Expected sizes are worked out by
 * hand from RFC 4880 4.2 / RFC 9580 4.2 (header octets + body length).
 */
#include <stdint.h>

#include "check.h"
#include "pgp/pgp.h"

struct tc {
	const char *what;
	uint8_t hdr[8];
	size_t len;		/* octets of hdr available */
	enum pgp_status st;
	uint8_t tag;
	size_t size;
};

static const struct tc cases[] = {
	/* old format: tag in bits 5-2, length type in bits 1-0 */
	{ "old, 1-octet length", { 0x99, 0x01, 0x0d }, 3, PGP_OK, 6, 3 + 0x010d },
	{ "old, 1-octet length (uid)", { 0xb4, 0x20 }, 2, PGP_OK, 13, 2 + 32 },
	{ "old, 2-octet length", { 0x89, 0x02, 0x33 }, 3, PGP_OK, 2, 3 + 0x233 },
	{ "old, 4-octet length", { 0x8a, 0x00, 0x01, 0x00, 0x00 }, 5, PGP_OK, 2, 5 + 65536 },
	{ "old, indeterminate", { 0x8b, 0x00 }, 2, PGP_ERR_MALFORMED, 0, 0 },
	{ "old, truncated length", { 0x99, 0x01 }, 2, PGP_ERR_TRUNCATED, 0, 0 },
	/* new format: tag in bits 5-0 */
	{ "new, 1-octet length", { 0xc6, 0x33 }, 2, PGP_OK, 6, 2 + 51 },
	{ "new, 2-octet length", { 0xc2, 0xc5, 0x05 }, 3, PGP_OK, 2, 3 + ((0xc5 - 192) << 8) + 5 + 192 },
	{ "new, 5-octet length", { 0xd1, 0xff, 0x00, 0x10, 0x00, 0x00 }, 6, PGP_OK, 17, 6 + 0x100000 },
	{ "new, partial length", { 0xcb, 0xe1 }, 2, PGP_ERR_MALFORMED, 0, 0 },
	{ "new, truncated 2-octet length", { 0xc2, 0xc5 }, 2, PGP_ERR_TRUNCATED, 0, 0 },
	{ "new, truncated 5-octet length", { 0xc2, 0xff, 0x00 }, 3, PGP_ERR_TRUNCATED, 0, 0 },
	{ "new, tag 0", { 0xc0, 0x01 }, 2, PGP_ERR_MALFORMED, 0, 0 },
	/* not a packet header at all: text, or nothing */
	{ "top bit clear", { '-', '-' }, 2, PGP_ERR_MALFORMED, 0, 0 },
	{ "empty", { 0 }, 0, PGP_ERR_TRUNCATED, 0, 0 },
};

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tc *c = &cases[i];
		uint8_t tag = 0;
		size_t size = 0;
		enum pgp_status st = pgp_packet_frame(c->hdr, c->len, &tag, &size);

		CHECK(st == c->st, "%s: status %d, want %d", c->what, st, c->st);
		if (c->st == PGP_OK && st == PGP_OK) {
			CHECK(tag == c->tag, "%s: tag %u, want %u", c->what, tag, c->tag);
			CHECK(size == c->size, "%s: size %zu, want %zu", c->what, size, c->size);
		}
	}
	return check_done();
}
