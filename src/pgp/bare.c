/*
 * pgp/bare.c - signatures that arrive without their key.
 *
 * A revocation certificate, as "gpg --generate-revocation" writes it and
 * as GnuPG keeps one per key in openpgp-revocs.d/, is a PUBLIC KEY BLOCK
 * holding a single key revocation signature (0x20) and no key packet.
 * The key parser refuses such data ("no primary public key"); ADD
 * (cmd/add.c) reads the leading signatures here instead, looks up the
 * key that issued each one, and puts the signature behind that key's
 * primary key packet (pgp_key_splice_sig), so that the ordinary path
 * (pgp_keys_read, pgp_key_check, merge) verifies and stores it.
 *
 * Input: untrusted (from mail). The stored key handed to
 * pgp_key_splice_sig is ours, but is bounds-checked all the same.
 * Memory: struct pgp_bare_sig points into the caller's data; nothing
 * here allocates except into the caller's buffer.
 */
#include <string.h>

#include "pgp/internal.h"
#include "pgp/pgp.h"

enum pgp_status
pgp_bare_sig_read(const uint8_t *data, size_t len, struct pgp_bare_sig *out,
    size_t *used)
{
	struct pgp_pkthdr h;
	struct pgp_sig s;
	struct rd r;
	enum pgp_status st;

	memset(out, 0, sizeof(*out));
	*used = 0;
	rd_init(&r, data, len);
	if ((st = pgp_packet_next(&r, &h)) != PGP_OK)
		return st;
	if (h.tag != PGP_TAG_SIG)
		return PGP_ERR_NO_PRIMARY;	/* not a signature: not ours to read */
	if (h.partial || h.indeterminate || h.body == NULL)
		return PGP_ERR_MALFORMED;
	memset(&s, 0, sizeof(s));
	s.pkt.tag = PGP_TAG_SIG;
	s.pkt.body = (uint8_t *)(uintptr_t)h.body;	/* read only */
	s.pkt.len = h.len;
	if ((st = pgp_sig_parse(&s)) != PGP_OK)
		return st;
	out->version = s.version;
	out->type = s.type;
	out->has_issuer = s.has_issuer;
	memcpy(out->issuer, s.issuer, sizeof(out->issuer));
	out->issuer_fpr_len = s.issuer_fpr_len;
	memcpy(out->issuer_fpr, s.issuer_fpr, sizeof(out->issuer_fpr));
	out->packet = data;
	out->packet_len = h.size;
	out->body = h.body;
	out->body_len = h.len;
	*used = h.size;
	return PGP_OK;
}

int
pgp_key_splice_sig(const uint8_t *key, size_t keylen, const uint8_t *sig,
    size_t siglen, struct buf *out)
{
	uint8_t tag;
	size_t size;
	int bad = 0;

	if (pgp_packet_frame(key, keylen, &tag, &size) != PGP_OK ||
	    tag != PGP_TAG_PUBKEY || size > keylen)
		return -1;
	bad |= buf_append(out, key, size);
	bad |= buf_append(out, sig, siglen);
	bad |= buf_append(out, key + size, keylen - size);
	return bad ? -1 : 0;
}
