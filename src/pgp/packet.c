/*
 * pgp/packet.c - OpenPGP packet framing (RFC 9580 4.2) and the parsing of
 * the two packet kinds a key is made of besides user IDs: public key
 * packets (5.5.2) and signature packets (5.2).
 *
 * Input is untrusted: every length is checked through util/rd before any
 * byte is touched. Nothing here allocates except pgp_sig_copy /
 * pgp_component_copy; parsed structures point into the caller's buffers
 * (offsets into pkt.body for signatures, static strings for curve names).
 */
#include <stdio.h>
#include <string.h>

#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "util/be.h"
#include "util/rd.h"
#include "util/xalloc.h"

/* ---- framing ------------------------------------------------------------- */

/*
 * New-format length octets. Returns 0, or -1 if truncated. *partial is set
 * for a partial body length (224..254), whose chunk size goes to *len.
 */
static int
new_len(struct rd *r, size_t *len, bool *partial)
{
	uint8_t o1, o2;
	uint32_t v;

	*partial = false;
	if (rd_u8(r, &o1) < 0)
		return -1;
	if (o1 < 192) {
		*len = o1;
	} else if (o1 < 224) {
		if (rd_u8(r, &o2) < 0)
			return -1;
		*len = ((size_t)(o1 - 192) << 8) + o2 + 192;
	} else if (o1 < 255) {
		*partial = true;
		*len = (size_t)1 << (o1 & 0x1f);
	} else {
		if (rd_u32(r, &v) < 0)
			return -1;
		*len = v;
	}
	return 0;
}

enum pgp_status
pgp_packet_next(struct rd *r, struct pgp_pkthdr *h)
{
	struct rd t = *r;	/* work on a copy: r moves only on success */
	uint8_t ctb;
	size_t len = 0;

	memset(h, 0, sizeof(*h));
	if (rd_u8(&t, &ctb) < 0)
		return PGP_ERR_TRUNCATED;
	if (!(ctb & 0x80))
		return PGP_ERR_MALFORMED;
	if (ctb & 0x40) {
		bool partial;

		h->tag = ctb & 0x3f;
		if (new_len(&t, &len, &partial) < 0)
			return PGP_ERR_TRUNCATED;
		if (partial) {
			/* Walk the chunks so the caller can skip the packet
			 * and go on with the next one. */
			h->partial = true;
			while (partial) {
				if (rd_skip(&t, len) < 0)
					return PGP_ERR_TRUNCATED;
				if (new_len(&t, &len, &partial) < 0)
					return PGP_ERR_TRUNCATED;
			}
			if (rd_skip(&t, len) < 0)
				return PGP_ERR_TRUNCATED;
			h->len = 0;
			h->body = NULL;
			goto done;
		}
	} else {
		uint8_t b;
		uint16_t w;
		uint32_t v;

		h->tag = (ctb >> 2) & 0x0f;
		switch (ctb & 3) {
		case 0:
			if (rd_u8(&t, &b) < 0)
				return PGP_ERR_TRUNCATED;
			len = b;
			break;
		case 1:
			if (rd_u16(&t, &w) < 0)
				return PGP_ERR_TRUNCATED;
			len = w;
			break;
		case 2:
			if (rd_u32(&t, &v) < 0)
				return PGP_ERR_TRUNCATED;
			len = v;
			break;
		default:
			h->indeterminate = true;
			len = t.left;
			break;
		}
	}
	if (rd_bytes(&t, len, &h->body) < 0)
		return PGP_ERR_TRUNCATED;
	h->len = len;
done:
	if (h->tag == 0)
		return PGP_ERR_MALFORMED;	/* reserved, never valid */
	h->size = (size_t)(t.p - r->p);
	*r = t;
	return PGP_OK;
}

/* Append header h[0..n) and the body; on failure out is as it was. */
static int
append_packet(struct buf *out, const uint8_t *h, size_t n,
    const uint8_t *body, size_t len)
{
	if (buf_append(out, h, n) < 0)
		return -1;
	if (buf_append(out, body, len) < 0) {
		out->len -= n;
		out->data[out->len] = '\0';
		return -1;
	}
	return 0;
}

int
pgp_packet_write_new(struct buf *out, uint8_t tag, const uint8_t *body,
    size_t len)
{
	uint8_t h[6];
	size_t n = 0;

	if (len > 0xffffffffu || tag == 0 || tag > 63)
		return -1;
	h[n++] = (uint8_t)(0xc0 | tag);
	if (len < 192) {
		h[n++] = (uint8_t)len;
	} else if (len < 8384) {
		h[n++] = (uint8_t)(((len - 192) >> 8) + 192);
		h[n++] = (uint8_t)(len - 192);
	} else {
		h[n++] = 0xff;
		h[n++] = (uint8_t)(len >> 24);
		h[n++] = (uint8_t)(len >> 16);
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	}
	return append_packet(out, h, n, body, len);
}

int
pgp_packet_write(struct buf *out, uint8_t tag, const uint8_t *body,
    size_t len)
{
	uint8_t h[6];
	size_t n = 0;

	if (len > 0xffffffffu || tag == 0 || tag > 63)
		return -1;
	if (tag >= 16)
		return pgp_packet_write_new(out, tag, body, len);
	/* Old format, as SKS and pks write (pks reads nothing else). */
	if (len < 0x100) {
		h[n++] = (uint8_t)(0x80 | (tag << 2) | 0);
		h[n++] = (uint8_t)len;
	} else if (len < 0x10000) {
		h[n++] = (uint8_t)(0x80 | (tag << 2) | 1);
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	} else {
		h[n++] = (uint8_t)(0x80 | (tag << 2) | 2);
		h[n++] = (uint8_t)(len >> 24);
		h[n++] = (uint8_t)(len >> 16);
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	}
	return append_packet(out, h, n, body, len);
}

const char *
pgp_tag_name(uint8_t tag)
{
	switch (tag) {
	case 1: return "public-key encrypted session key";
	case 2: return "signature";
	case 3: return "symmetric-key encrypted session key";
	case 4: return "one-pass signature";
	case 5: return "secret key";
	case 6: return "public key";
	case 7: return "secret subkey";
	case 8: return "compressed data";
	case 9: return "symmetrically encrypted data";
	case 10: return "marker";
	case 11: return "literal data";
	case 12: return "trust";
	case 13: return "user ID";
	case 14: return "public subkey";
	case 17: return "user attribute";
	case 18: return "encrypted and integrity protected data";
	case 19: return "modification detection code";
	case 20: return "AEAD encrypted data";
	case 21: return "padding";
	default: return "unknown";
	}
}

/* ---- public key packets -------------------------------------------------- */

/* Number of significant bits in an unsigned big-endian integer. */
static unsigned
bitlen(const uint8_t *p, size_t n)
{
	unsigned b;

	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	if (n == 0)
		return 0;
	if (n > (1u << 24))	/* cannot happen with 16-bit MPI headers */
		return 0;
	for (b = 8; b > 0 && !(*p & (1u << (b - 1))); b--)
		;
	return (unsigned)((n - 1) * 8 + b);
}

/* Read an MPI; body and blen get its value octets (both may be NULL). */
static int
rd_mpi(struct rd *r, const uint8_t **body, size_t *blen)
{
	uint16_t bits;
	const uint8_t *p;
	size_t n;

	if (rd_u16(r, &bits) < 0)
		return -1;
	n = ((size_t)bits + 7) / 8;
	if (rd_bytes(r, n, &p) < 0)
		return -1;
	if (body)
		*body = p;
	if (blen)
		*blen = n;
	return 0;
}

/* Read an MPI and return its real bit length in *bits. */
static int
rd_mpi_bits(struct rd *r, unsigned *bits)
{
	const uint8_t *p;
	size_t n;

	if (rd_mpi(r, &p, &n) < 0)
		return -1;
	*bits = bitlen(p, n);
	return 0;
}

static const struct curve {
	const char *name;
	unsigned bits;
	size_t len;
	uint8_t oid[10];
} curves[] = {
	{ "nistp256", 256, 8,
	    { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 } },
	{ "nistp384", 384, 5, { 0x2b, 0x81, 0x04, 0x00, 0x22 } },
	{ "nistp521", 521, 5, { 0x2b, 0x81, 0x04, 0x00, 0x23 } },
	{ "brainpoolP256r1", 256, 9,
	    { 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07 } },
	{ "brainpoolP384r1", 384, 9,
	    { 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b } },
	{ "brainpoolP512r1", 512, 9,
	    { 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d } },
	{ "secp256k1", 256, 5, { 0x2b, 0x81, 0x04, 0x00, 0x0a } },
	/* 1.3.6.1.4.1.11591.15.1, the legacy OpenPGP EdDSA curve */
	{ "ed25519", 255, 9,
	    { 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01 } },
	/* 1.3.6.1.4.1.3029.1.5.1, the legacy OpenPGP ECDH curve */
	{ "cv25519", 255, 10,
	    { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01 } },
	/* RFC 8410 OIDs, used by GnuPG for the 448 curves in v4 keys */
	{ "x25519", 255, 3, { 0x2b, 0x65, 0x6e } },
	{ "x448", 448, 3, { 0x2b, 0x65, 0x6f } },
	{ "ed25519", 255, 3, { 0x2b, 0x65, 0x70 } },
	{ "ed448", 448, 3, { 0x2b, 0x65, 0x71 } },
};

static int
rd_curve(struct rd *r, struct pgp_pubkey *pk)
{
	uint8_t n;
	const uint8_t *oid;
	size_t i;

	if (rd_u8(r, &n) < 0 || n == 0 || n == 0xff)
		return -1;	/* 0 and 0xff are reserved lengths */
	if (rd_bytes(r, n, &oid) < 0)
		return -1;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (curves[i].len == n && memcmp(curves[i].oid, oid, n) == 0) {
			pk->curve = curves[i].name;
			pk->bits = curves[i].bits;
			return 0;
		}
	}
	/* Unknown curve: kept, but nobody can verify it; bits stay 0. */
	return 0;
}

/*
 * Parse algorithm-specific public material. Returns 0 when it was read to
 * its end, 1 when the algorithm is unknown (r untouched: the material has
 * no structure we know), -1 when it is malformed.
 */
static int
material_parse(struct rd *r, struct pgp_pubkey *pk)
{
	unsigned dummy;
	uint8_t kdflen;

	switch (pk->algo) {
	case PGP_PK_RSA: case PGP_PK_RSA_E: case PGP_PK_RSA_S:
		if (rd_mpi_bits(r, &pk->bits) < 0 || rd_mpi(r, NULL, NULL) < 0)
			return -1;
		return 0;
	case PGP_PK_DSA:
		if (rd_mpi_bits(r, &pk->bits) < 0 ||
		    rd_mpi_bits(r, &dummy) < 0 || rd_mpi(r, NULL, NULL) < 0 ||
		    rd_mpi(r, NULL, NULL) < 0)
			return -1;
		return 0;
	case PGP_PK_ELGAMAL_E: case PGP_PK_ELGAMAL:
		if (rd_mpi_bits(r, &pk->bits) < 0 ||
		    rd_mpi(r, NULL, NULL) < 0 || rd_mpi(r, NULL, NULL) < 0)
			return -1;
		return 0;
	case PGP_PK_ECDSA: case PGP_PK_EDDSA_LEGACY:
		if (rd_curve(r, pk) < 0 || rd_mpi(r, NULL, NULL) < 0)
			return -1;
		return 0;
	case PGP_PK_ECDH:
		if (rd_curve(r, pk) < 0 || rd_mpi(r, NULL, NULL) < 0)
			return -1;
		/* KDF parameters: length, reserved 1, hash, cipher */
		if (rd_u8(r, &kdflen) < 0 || kdflen == 0 || kdflen == 0xff ||
		    rd_skip(r, kdflen) < 0)
			return -1;
		return 0;
	case PGP_PK_X25519:
		pk->curve = "x25519";
		pk->bits = 255;
		return rd_skip(r, 32);
	case PGP_PK_X448:
		pk->curve = "x448";
		pk->bits = 448;
		return rd_skip(r, 56);
	case PGP_PK_ED25519:
		pk->curve = "ed25519";
		pk->bits = 255;
		return rd_skip(r, 32);
	case PGP_PK_ED448:
		pk->curve = "ed448";
		pk->bits = 448;
		return rd_skip(r, 57);
	default:
		return 1;
	}
}

/* v4: SHA-1 over 0x99, 2-octet length, body; key ID = last 8 octets.
 * v5: SHA-256 over 0x9a, 4-octet length, body; v6: the same with 0x9b;
 * key ID = first 8 octets (RFC 9580 5.5.4). */
static int
fingerprint(struct pgp_pubkey *pk, const uint8_t *body, size_t len)
{
	struct pgp_hash *h;
	uint8_t pre[5], out[64];
	size_t n;

	if (pk->version == 4) {
		if (len > 0xffff)
			return -1;
		pre[0] = 0x99;
		be_put16(pre + 1, len);
		h = pgp_hash_open(PGP_HASH_SHA1);
		n = 3;
	} else {
		if (len > 0xffffffffu)
			return -1;
		pre[0] = pk->version == 5 ? 0x9a : 0x9b;
		be_put32(pre + 1, len);
		h = pgp_hash_open(PGP_HASH_SHA256);
		n = 5;
	}
	if (h == NULL)
		return -1;
	pgp_hash_write(h, pre, n);
	pgp_hash_write(h, body, len);
	n = pgp_hash_final(h, out);
	if (n != 20 && n != 32)
		return -1;
	memcpy(pk->fpr, out, n);
	pk->fprlen = n;
	if (pk->version == 4)
		memcpy(pk->keyid, out + 12, 8);
	else
		memcpy(pk->keyid, out, 8);
	return 0;
}

/* v2/v3 (PGP 2): RSA only; fingerprint MD5(n || e) over the MPI value
 * octets, key ID the low 64 bits of n (RFC 4880 12.2). */
static enum pgp_status
pubkey_v3(struct rd *r, struct pgp_pubkey *pk, char *detail, size_t dl)
{
	uint16_t days;
	const uint8_t *n, *e;
	size_t nl, el;
	struct pgp_hash *h;
	uint8_t out[64];

	if (rd_u32(r, &pk->created) < 0 || rd_u16(r, &days) < 0 ||
	    rd_u8(r, &pk->algo) < 0) {
		snprintf(detail, dl, "v%u key packet too short", pk->version);
		return PGP_ERR_MALFORMED;
	}
	pk->material_off = 8;
	if (pk->algo != PGP_PK_RSA && pk->algo != PGP_PK_RSA_E &&
	    pk->algo != PGP_PK_RSA_S) {
		snprintf(detail, dl, "v%u key with non-RSA algorithm %u",
		    pk->version, pk->algo);
		return PGP_ERR_VERSION;
	}
	if (rd_mpi(r, &n, &nl) < 0 || rd_mpi(r, &e, &el) < 0) {
		snprintf(detail, dl, "v%u RSA key material truncated",
		    pk->version);
		return PGP_ERR_MALFORMED;
	}
	pk->bits = bitlen(n, nl);
	if ((h = pgp_hash_open(PGP_HASH_MD5)) != NULL) {
		pgp_hash_write(h, n, nl);
		pgp_hash_write(h, e, el);
		if (pgp_hash_final(h, out) == 16) {
			memcpy(pk->fpr, out, 16);
			pk->fprlen = 16;
		}
	}
	memset(pk->keyid, 0, 8);
	if (nl >= 8)
		memcpy(pk->keyid, n + nl - 8, 8);
	else
		memcpy(pk->keyid + 8 - nl, n, nl);
	return PGP_OK;
}

enum pgp_status
pgp_pubkey_parse(const uint8_t *body, size_t len, bool secret,
    struct pgp_pubkey *pk, char *detail, size_t dl)
{
	struct rd r, m;
	uint32_t mlen = 0;
	size_t publen;
	int rc;
	bool mat_ok, fpr_ok = false;
	char dummy[1];

	if (detail == NULL || dl == 0) {
		detail = dummy;
		dl = sizeof(dummy);
	}
	memset(pk, 0, sizeof(*pk));
	rd_init(&r, body, len);
	if (rd_u8(&r, &pk->version) < 0) {
		snprintf(detail, dl, "empty key packet");
		return PGP_ERR_MALFORMED;
	}
	switch (pk->version) {
	case 2: case 3:
		return pubkey_v3(&r, pk, detail, dl);
	case 4:
		if (rd_u32(&r, &pk->created) < 0 || rd_u8(&r, &pk->algo) < 0)
			goto short_packet;
		pk->material_off = 6;
		if (!secret) {
			/* The fingerprint covers the public key material: the
			 * whole body, less what follows known material (see
			 * pgp_pubkey.trailing); the whole body also when the
			 * material is damaged, so such a key can be named. */
			rc = material_parse(&r, pk);
			if (rc == 0)
				pk->trailing = r.left;
			if (fingerprint(pk, body, len - pk->trailing) < 0) {
				snprintf(detail, dl, "v4 key packet too long");
				return PGP_ERR_MALFORMED;
			}
			if (rc < 0)
				goto bad_material;
			return PGP_OK;
		}
		rc = material_parse(&r, pk);
		if (rc != 0)
			goto bad_material;	/* unknown: end unknown */
		publen = len - r.left;
		if (fingerprint(pk, body, publen) < 0)
			goto bad_material;
		return PGP_OK;
	case 5: case 6:
		if (rd_u32(&r, &pk->created) < 0 || rd_u8(&r, &pk->algo) < 0 ||
		    rd_u32(&r, &mlen) < 0)
			goto short_packet;
		pk->material_off = 10;
		mat_ok = rd_sub(&r, mlen, &m) == 0;
		/* The fingerprint covers the public part: up to the end of
		 * the material (octets after it are cut, as for v4), or the
		 * whole body when the material length is wrong. */
		if (mat_ok)
			fpr_ok = fingerprint(pk, body, len - r.left) == 0;
		else if (!secret)
			fpr_ok = fingerprint(pk, body, len) == 0;
		if (pk->version == 5) {
			/* LibrePGP v5: refused, named when possible */
			snprintf(detail, dl, "v5 keys are not supported");
			return PGP_ERR_VERSION;
		}
		if (!mat_ok) {
			snprintf(detail, dl, "v%u key material length %u past "
			    "the end of the packet", pk->version, mlen);
			return PGP_ERR_MALFORMED;
		}
		if (!fpr_ok) {
			snprintf(detail, dl, "cannot compute fingerprint");
			return PGP_ERR_MALFORMED;
		}
		rc = material_parse(&m, pk);
		if (rc < 0 || (rc == 0 && m.left != 0))
			goto bad_material;
		if (!secret)
			pk->trailing = r.left;
		return PGP_OK;
	default:
		snprintf(detail, dl, "unsupported key version %u", pk->version);
		return PGP_ERR_VERSION;
	}
short_packet:
	snprintf(detail, dl, "v%u key packet too short", pk->version);
	return PGP_ERR_MALFORMED;
bad_material:
	snprintf(detail, dl, "malformed v%u key material (algorithm %u)",
	    pk->version, pk->algo);
	return PGP_ERR_MALFORMED;
}

/* ---- signature packets --------------------------------------------------- */

/* Subpacket types from RFC 9580 5.2.3.7 and RFC 4880, including ones we do
 * not act upon: a critical one of these is understood well enough. */
static bool
subpacket_known(uint8_t t)
{
	switch (t) {
	case 2: case 3: case 4: case 5: case 6: case 7: case 9: case 11:
	case 12: case 16: case 20: case 21: case 22: case 23: case 24:
	case 25: case 26: case 27: case 28: case 29: case 30: case 31:
	case 32: case 33: case 34: case 35: case 37: case 38: case 39:
		return true;
	default:
		return false;
	}
}

static uint32_t
get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/*
 * Walk one subpacket area (offset off, length len in s->pkt.body). Values
 * that decide validity (times, flags, primary, revokers) are taken from
 * the hashed area only: the unhashed area can be changed by anyone who
 * passes the key along. For the same reason the critical bit counts only
 * in the hashed area, else a third party could invalidate a good
 * signature by appending a critical junk subpacket. Issuer and embedded
 * signature may come from either area (both are checked cryptographically
 * later). Returns -1 for a framing error or a hashed field of the wrong
 * size.
 */
static int
subpackets(struct pgp_sig *s, size_t off, size_t len, bool hashed)
{
	const uint8_t *base = s->pkt.body;
	struct rd r, sp;
	uint8_t o1, o2, t;
	uint32_t v;
	size_t l, dl, doff;
	const uint8_t *d;
	bool crit;

	rd_init(&r, base + off, len);
	while (r.left > 0) {
		if (rd_u8(&r, &o1) < 0)
			return -1;
		if (o1 < 192) {
			l = o1;
		} else if (o1 < 255) {
			if (rd_u8(&r, &o2) < 0)
				return -1;
			l = ((size_t)(o1 - 192) << 8) + o2 + 192;
		} else {
			if (rd_u32(&r, &v) < 0)
				return -1;
			l = v;
		}
		if (l == 0 || rd_sub(&r, l, &sp) < 0)
			return -1;
		(void)rd_u8(&sp, &t);
		crit = (t & 0x80) != 0;
		t &= 0x7f;
		d = sp.p;
		dl = sp.left;
		doff = (size_t)(d - base);
		switch (t) {
		case 2: case 3: case 9:
			if (!hashed)
				break;
			if (dl != 4)
				return -1;
			if (t == 2)
				s->created = get_u32(d);
			else if (t == 3)
				s->sig_expires = get_u32(d);
			else
				s->key_expires = get_u32(d);
			break;
		case 12:
			if (hashed)
				s->has_revoker = true;
			break;
		case 16:
			if (dl != 8) {
				if (hashed)
					return -1;
				break;
			}
			if (!s->has_issuer) {
				memcpy(s->issuer, d, 8);
				s->has_issuer = true;
			}
			break;
		case 25:
			if (hashed && dl >= 1)
				s->primary_uid = d[0] != 0;
			break;
		case 27:
			if (hashed)
				s->key_flags = dl >= 1 ? d[0] : 0;
			break;
		case 32:
			if (s->embedded_len == 0 && dl > 0) {
				s->embedded_off = doff;
				s->embedded_len = dl;
			}
			break;
		case 33:
			/* version octet, then 20 (v4) or 32 (v5/v6) octets;
			 * other versions are ignored. */
			if (s->issuer_fpr_len != 0 || dl < 1)
				break;
			if ((d[0] == 4 && dl == 21) ||
			    ((d[0] == 5 || d[0] == 6) && dl == 33)) {
				memcpy(s->issuer_fpr, d + 1, dl - 1);
				s->issuer_fpr_len = dl - 1;
			} else if (hashed && (d[0] == 4 || d[0] == 5 ||
			    d[0] == 6)) {
				return -1;
			}
			break;
		default:
			if (hashed && crit && !subpacket_known(t))
				s->has_unknown_critical = true;
			break;
		}
	}
	return 0;
}

int
pgp_sig_hashed(const struct pgp_sig *s, struct rd *area)
{
	if (s->version < 4 || s->hashed_off > s->pkt.len ||
	    s->hashed_len > s->pkt.len - s->hashed_off)
		return -1;
	rd_init(area, s->pkt.body + s->hashed_off, s->hashed_len);
	return 0;
}

int
pgp_subpacket_next(struct rd *area, uint8_t *type, struct rd *data)
{
	uint8_t b0, b1;
	uint32_t len;

	if (rd_u8(area, &b0) == -1)
		return -1;
	if (b0 < 192) {
		len = b0;
	} else if (b0 < 255) {
		if (rd_u8(area, &b1) == -1)
			return -1;
		len = ((uint32_t)(b0 - 192) << 8) + b1 + 192;
	} else if (rd_u32(area, &len) == -1) {
		return -1;
	}
	if (len == 0 || rd_sub(area, len, data) == -1 ||
	    rd_u8(data, type) == -1) {
		area->left = 0;
		return -1;
	}
	return 0;
}

enum pgp_status
pgp_sig_parse(struct pgp_sig *s)
{
	struct pgp_packet pkt = s->pkt;
	enum pgp_sig_state state = s->state;
	struct rd r;
	uint8_t hl, saltlen;
	uint16_t w;
	uint32_t v;
	size_t len;

	memset(s, 0, sizeof(*s));
	s->pkt = pkt;
	s->state = state;
	rd_init(&r, pkt.body, pkt.len);
	if (rd_u8(&r, &s->version) < 0)
		return PGP_ERR_MALFORMED;
	switch (s->version) {
	case 3:
		/* hashed length 5: type and creation time, which are all a
		 * v3 signature hashes (hashed_off/len point at them). */
		if (rd_u8(&r, &hl) < 0 || hl != 5)
			return PGP_ERR_MALFORMED;
		s->hashed_off = 2;
		s->hashed_len = 5;
		if (rd_u8(&r, &s->type) < 0 || rd_u32(&r, &s->created) < 0 ||
		    rd_copy(&r, s->issuer, 8) < 0 ||
		    rd_u8(&r, &s->pkalgo) < 0 || rd_u8(&r, &s->hashalgo) < 0 ||
		    rd_copy(&r, s->left16, 2) < 0)
			return PGP_ERR_MALFORMED;
		s->has_issuer = true;
		break;
	case 4: case 6:
		if (rd_u8(&r, &s->type) < 0 || rd_u8(&r, &s->pkalgo) < 0 ||
		    rd_u8(&r, &s->hashalgo) < 0)
			return PGP_ERR_MALFORMED;
		/* hashed then unhashed area: 2-octet lengths in v4,
		 * 4-octet lengths in v6 */
		if (s->version == 4) {
			if (rd_u16(&r, &w) < 0)
				return PGP_ERR_MALFORMED;
			len = w;
		} else {
			if (rd_u32(&r, &v) < 0)
				return PGP_ERR_MALFORMED;
			len = v;
		}
		s->hashed_off = pkt.len - r.left;
		s->hashed_len = len;
		if (rd_skip(&r, len) < 0)
			return PGP_ERR_MALFORMED;
		if (s->version == 4) {
			if (rd_u16(&r, &w) < 0)
				return PGP_ERR_MALFORMED;
			len = w;
		} else {
			if (rd_u32(&r, &v) < 0)
				return PGP_ERR_MALFORMED;
			len = v;
		}
		s->unhashed_off = pkt.len - r.left;
		s->unhashed_len = len;
		if (rd_skip(&r, len) < 0 || rd_copy(&r, s->left16, 2) < 0)
			return PGP_ERR_MALFORMED;
		if (s->version == 6) {
			if (rd_u8(&r, &saltlen) < 0)
				return PGP_ERR_MALFORMED;
			s->salt_off = pkt.len - r.left;
			s->salt_len = saltlen;
			if (rd_skip(&r, saltlen) < 0)
				return PGP_ERR_MALFORMED;
		}
		if (subpackets(s, s->hashed_off, s->hashed_len, true) < 0 ||
		    subpackets(s, s->unhashed_off, s->unhashed_len, false) < 0)
			return PGP_ERR_MALFORMED;
		if (!s->has_issuer && s->issuer_fpr_len == 20) {
			memcpy(s->issuer, s->issuer_fpr + 12, 8);
			s->has_issuer = true;
		} else if (!s->has_issuer && s->issuer_fpr_len == 32) {
			memcpy(s->issuer, s->issuer_fpr, 8);
			s->has_issuer = true;
		}
		break;
	default:
		return PGP_ERR_MALFORMED;
	}
	s->mpi_off = pkt.len - r.left;
	if (r.left == 0)
		return PGP_ERR_MALFORMED;	/* no signature data at all */
	return PGP_OK;
}

/* ---- copies -------------------------------------------------------------- */

void
pgp_sig_copy(struct pgp_sig *dst, const struct pgp_sig *src)
{
	*dst = *src;
	dst->pkt.body = xmemdup(src->pkt.body, src->pkt.len);
}

void
pgp_component_copy(struct pgp_component *dst, const struct pgp_component *src)
{
	size_t i;

	*dst = *src;
	dst->pkt.body = xmemdup(src->pkt.body, src->pkt.len);
	dst->sigs = NULL;
	dst->nsigs = 0;
	for (i = 0; i < src->nsigs; i++) {
		dst->sigs = pgp_grow(dst->sigs, dst->nsigs, sizeof(*dst->sigs));
		pgp_sig_copy(&dst->sigs[dst->nsigs++], &src->sigs[i]);
	}
}
