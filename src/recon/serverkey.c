/*
 * recon/serverkey.c - the server's own Ed25519 key (spec 3): the text of
 * its secret key file, and the OpenPGP v4 public key derived from it
 * (EdDSALegacy, one user ID, one positive self-certification), the same
 * octets on every run.
 *
 * Input: the key file is the operator's (trusted), but it is parsed
 * strictly all the same: anything but the exact three lines is refused.
 * Memory: struct recon_server_key holds the secret seed; callers wipe it
 * with recon_server_key_clear. Output goes to caller buffers.
 */
#include <stdio.h>
#include <string.h>

#include "util/hex.h"
#include "recon/recon.h"

#define KEYFILE_MAGIC	"keymail-server-key 1\n"
#define CREATED		"created "
#define SEED		"ed25519-seed "

/* Ed25519's curve OID (RFC 9580 9.2), with its length octet. */
static const uint8_t ed25519_oid[10] = {
	9, 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01,
};

static int
hexval(char c)
{
	if (c >= 'A' && c <= 'F')
		return -1;	/* upper case is refused: the format says lower */
	return hex_digit(c);
}

int
recon_server_key_make(const uint8_t seed[32], uint32_t created,
    struct recon_server_key *k)
{
	uint8_t pkt[64], frame[3], d[64];
	struct pgp_hash *h;
	size_t n;

	memset(k, 0, sizeof(*k));
	memcpy(k->signer.seed, seed, 32);
	k->created = created;
	if (pgp_ed25519_public(seed, k->pub) == -1)
		return -1;
	n = recon_server_key_packet(k, pkt);
	if ((h = pgp_hash_open(PGP_HASH_SHA1)) == NULL)
		return -1;
	frame[0] = 0x99;
	frame[1] = (uint8_t)(n >> 8);
	frame[2] = (uint8_t)n;
	pgp_hash_write(h, frame, 3);
	pgp_hash_write(h, pkt, n);
	(void)pgp_hash_final(h, d);
	memcpy(k->signer.fpr, d, 20);
	pgp_hex(k->signer.fpr, 20, k->fpr_hex);
	return 0;
}

int
recon_server_key_parse(const char *text, size_t len,
    struct recon_server_key *k, const char **why)
{
	const char *p = text, *end = text + len;
	uint8_t seed[32];
	uint64_t created = 0;
	size_t i, digits = 0;
	int hi, lo, rc;

	memset(k, 0, sizeof(*k));
	*why = "not a keymail server key file (first line)";
	if ((size_t)(end - p) < strlen(KEYFILE_MAGIC) ||
	    memcmp(p, KEYFILE_MAGIC, strlen(KEYFILE_MAGIC)) != 0)
		return -1;
	p += strlen(KEYFILE_MAGIC);
	*why = "bad \"created\" line";
	if ((size_t)(end - p) < strlen(CREATED) ||
	    memcmp(p, CREATED, strlen(CREATED)) != 0)
		return -1;
	p += strlen(CREATED);
	for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		created = created * 10 + (uint64_t)(*p - '0');
		if (created > UINT32_MAX)
			return -1;
	}
	if (digits == 0 || (digits > 1 && p[-(long)digits] == '0') ||
	    p == end || *p != '\n')
		return -1;
	p++;
	*why = "bad \"ed25519-seed\" line";
	if ((size_t)(end - p) != strlen(SEED) + 64 + 1 ||
	    memcmp(p, SEED, strlen(SEED)) != 0 || end[-1] != '\n')
		return -1;
	p += strlen(SEED);
	for (i = 0; i < 32; i++) {
		if ((hi = hexval(p[2 * i])) < 0 || (lo = hexval(p[2 * i + 1])) < 0)
			return -1;
		seed[i] = (uint8_t)(hi << 4 | lo);
	}
	*why = "could not derive the public key";
	rc = recon_server_key_make(seed, (uint32_t)created, k);
	memset(seed, 0, sizeof(seed));
	if (rc == 0)
		*why = NULL;
	return rc;
}

void
recon_server_key_text(const struct recon_server_key *k, struct buf *out)
{
	size_t i;

	(void)buf_printf(out, "%screated %lu\n%s", KEYFILE_MAGIC,
	    (unsigned long)k->created, SEED);
	for (i = 0; i < 32; i++)
		(void)buf_printf(out, "%02x", k->signer.seed[i]);
	(void)buf_putc(out, '\n');
}

size_t
recon_server_key_packet(const struct recon_server_key *k, uint8_t out[64])
{
	size_t n = 0;

	out[n++] = 4;
	out[n++] = (uint8_t)(k->created >> 24);
	out[n++] = (uint8_t)(k->created >> 16);
	out[n++] = (uint8_t)(k->created >> 8);
	out[n++] = (uint8_t)k->created;
	out[n++] = PGP_PK_EDDSA_LEGACY;
	memcpy(out + n, ed25519_oid, sizeof(ed25519_oid));
	n += sizeof(ed25519_oid);
	out[n++] = 0x01;		/* 263 bits: 0x40 || A */
	out[n++] = 0x07;
	out[n++] = 0x40;
	memcpy(out + n, k->pub, 32);
	n += 32;
	return n;
}

int
recon_server_key_public(const struct recon_server_key *k, const char *address,
    struct buf *out)
{
	uint8_t pkt[64], frame[5];
	struct buf uid, hashed;
	size_t n = recon_server_key_packet(k, pkt);
	int rc = -1;

	buf_init(&uid, 0);
	buf_init(&hashed, 0);
	(void)buf_printf(&uid, "keymail server key <%s>", address);
	/* What a user-ID certification hashes before its own fields. */
	frame[0] = 0x99;
	frame[1] = (uint8_t)(n >> 8);
	frame[2] = (uint8_t)n;
	(void)buf_append(&hashed, frame, 3);
	(void)buf_append(&hashed, pkt, n);
	frame[0] = 0xB4;
	frame[1] = (uint8_t)(uid.len >> 24);
	frame[2] = (uint8_t)(uid.len >> 16);
	frame[3] = (uint8_t)(uid.len >> 8);
	frame[4] = (uint8_t)uid.len;
	(void)buf_append(&hashed, frame, 5);
	(void)buf_append(&hashed, uid.data, uid.len);
	if (pgp_packet_write(out, PGP_TAG_PUBKEY, pkt, n) == 0 &&
	    pgp_packet_write(out, PGP_TAG_UID, uid.data, uid.len) == 0 &&
	    pgp_sign_ed25519(&k->signer, PGP_SIG_CERT_POSITIVE, k->created,
	    0x03, hashed.data, hashed.len, out) == 0)
		rc = 0;
	buf_free(&uid);
	buf_free(&hashed);
	return rc;
}

void
recon_server_key_clear(struct recon_server_key *k)
{
	explicit_bzero(k, sizeof(*k));
}
