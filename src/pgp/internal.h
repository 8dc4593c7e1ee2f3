/*
 * pgp/internal.h - helpers shared by the parsing files of the pgp layer
 * (packet.c, key.c, merge.c). Not part of the layer's contract: code
 * outside src/pgp/ uses pgp.h only.
 *
 * Input handed to these functions is untrusted unless said otherwise.
 */
#ifndef KM_PGP_INTERNAL_H
#define KM_PGP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp.h"
#include "util/buf.h"
#include "util/rd.h"

/* One framed packet as found in the input (a view, nothing is copied). */
struct pgp_pkthdr {
	uint8_t tag;
	bool partial;		/* partial body lengths: body is NULL */
	bool indeterminate;	/* old-format length type 3: runs to the end */
	const uint8_t *body;
	size_t len;		/* body length (0 for partial) */
	size_t size;		/* octets used: header, body, chunks */
};

/*
 * Read the next packet from r. On PGP_OK, r has moved past the packet
 * (for partial lengths: past all its chunks; for an indeterminate length:
 * to the end). PGP_ERR_MALFORMED for an invalid header octet or tag 0,
 * PGP_ERR_TRUNCATED when the packet runs past the end of r; r is then
 * left where it was.
 */
enum pgp_status pgp_packet_next(struct rd *r, struct pgp_pkthdr *h);


/*
 * Parse a public key packet body (tag 6/14), or the public prefix of a
 * secret key packet body (tag 5/7, secret = true, trailing secret fields
 * allowed). Fills pk, including fpr/keyid whenever they can be computed
 * (also on some errors: v5 keys, bad v4/v6 material), so callers can name
 * the key in error reports. Returns PGP_OK, PGP_ERR_VERSION (v5 or
 * unknown version, v3 non-RSA) or PGP_ERR_MALFORMED; detail gets words.
 */
enum pgp_status pgp_pubkey_parse(const uint8_t *body, size_t len,
    bool secret, struct pgp_pubkey *pk, char *detail, size_t detaillen);

/* Parse s->pkt.body into the other fields of s (state is left alone).
 * Returns PGP_OK or PGP_ERR_MALFORMED (unknown version included). */
enum pgp_status pgp_sig_parse(struct pgp_sig *s);

/* Salt size of a v6 signature made with this hash (RFC 9580 table 23),
 * 0 for a hash v6 does not allow. check_verify.c; docsig.c uses it too. */
size_t pgp_v6_salt_len(uint8_t hashalgo);

/* The hashed subpacket area of a v4/v6 signature as a reader over its
 * body (the parser's offsets checked again); -1 for a v3 signature or
 * offsets out of bounds. */
int pgp_sig_hashed(const struct pgp_sig *s, struct rd *area);

/* The next subpacket of an area: its type octet as written (critical
 * bit included) and a reader over its data. 0, or -1 at the end of the
 * area or at a framing error (a zero or overlong length), which ends it. */
int pgp_subpacket_next(struct rd *area, uint8_t *type, struct rd *data);

/* Short name of a packet tag for messages ("signature", "user ID"...). */
const char *pgp_tag_name(uint8_t tag);

/*
 * Make room for element n (0-based) of an array that holds n elements.
 * Arrays in struct pgp_key have power-of-two capacity: they are reallocated
 * only when n is 0 or a power of two, so no capacity field is needed and a
 * caller that removes elements in place (lowering the count) stays valid.
 */
void *pgp_grow(void *arr, size_t n, size_t sz);

/* Deep copies (bodies duplicated); the source is not changed. */
void pgp_sig_copy(struct pgp_sig *dst, const struct pgp_sig *src);
void pgp_component_copy(struct pgp_component *dst,
    const struct pgp_component *src);

#endif
