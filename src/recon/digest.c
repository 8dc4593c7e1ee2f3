/*
 * recon/digest.c - the digest of a key, the element reconciliation
 * compares (spec 5.2): every packet as tag (1 octet), body length (4
 * octets, big-endian) and body; those strings sorted as octet strings
 * (shorter first when one is a prefix of the other), each distinct one
 * once; SHA-256 of their concatenation. Packet order and header format
 * play no part, so two servers that store the same packets agree.
 *
 * Input: a stored key (our canonical blob), framed with pgp_packet_span's
 * bounds checks all the same. Memory: one array of views per call, freed
 * before returning.
 */
#include <stdlib.h>
#include <string.h>

#include "recon/recon.h"
#include "util/xalloc.h"

struct pkt_view {
	uint8_t tag;
	const uint8_t *body;
	size_t len;
};

/* The serializations' order: tag first, then the 4-octet length, then
 * the body; as octet strings, that is memcmp over the common part of
 * (length, body) and the shorter first on a tie. */
static int
view_cmp(const void *a, const void *b)
{
	const struct pkt_view *x = a, *y = b;
	uint8_t lx[4], ly[4];
	size_t n;
	int c;

	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	lx[0] = (uint8_t)(x->len >> 24); lx[1] = (uint8_t)(x->len >> 16);
	lx[2] = (uint8_t)(x->len >> 8); lx[3] = (uint8_t)x->len;
	ly[0] = (uint8_t)(y->len >> 24); ly[1] = (uint8_t)(y->len >> 16);
	ly[2] = (uint8_t)(y->len >> 8); ly[3] = (uint8_t)y->len;
	if ((c = memcmp(lx, ly, 4)) != 0)
		return c;
	/* Equal lengths from here on. */
	n = x->len;
	if (n > 0 && (c = memcmp(x->body, y->body, n)) != 0)
		return c;
	return 0;
}

int
recon_key_digest(const uint8_t *data, size_t len, uint8_t out[32])
{
	struct pkt_view *v = NULL;
	struct pgp_hash *h;
	size_t n = 0, cap = 0, off = 0, hdr, size, i;
	uint8_t tag, frame[5], d[64];

	while (off < len) {
		if (pgp_packet_span(data + off, len - off, &tag, &hdr,
		    &size) != PGP_OK || size > len - off) {
			free(v);
			return -1;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n].tag = tag;
		v[n].body = data + off + hdr;
		v[n].len = size - hdr;
		if (v[n].len > 0xffffffffu) {
			free(v);
			return -1;
		}
		n++;
		off += size;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), view_cmp);
	if ((h = pgp_hash_open(PGP_HASH_SHA256)) == NULL) {
		free(v);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && view_cmp(&v[i - 1], &v[i]) == 0)
			continue;
		frame[0] = v[i].tag;
		frame[1] = (uint8_t)(v[i].len >> 24);
		frame[2] = (uint8_t)(v[i].len >> 16);
		frame[3] = (uint8_t)(v[i].len >> 8);
		frame[4] = (uint8_t)v[i].len;
		pgp_hash_write(h, frame, 5);
		pgp_hash_write(h, v[i].body, v[i].len);
	}
	(void)pgp_hash_final(h, d);
	memcpy(out, d, 32);
	free(v);
	return 0;
}
