/*
 * pgp/clearsign.h - cleartext signed messages (RFC 9580 7): finding and
 * taking apart "-----BEGIN PGP SIGNED MESSAGE-----" blocks in text
 * (clearsign.c), and verifying a document signature - type 0x00 or 0x01
 * - over given bytes (docsig.c).
 *
 * Part of the pgp layer (util/ below, libgcrypt only through pgp.h's
 * pgp_hash_* and pgp_crypto_verify). No I/O.
 *
 * Untrusted input: the text (a decoded mail part) and everything in it.
 * Memory: struct pgp_clearsign owns its text and signature packets;
 * pgp_clearsign_free() releases them (safe on a zeroed struct, twice).
 */
#ifndef KM_PGP_CLEARSIGN_H
#define KM_PGP_CLEARSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp.h"

enum pgp_cs_status {
	PGP_CS_OK = 0,
	PGP_CS_NONE,		/* no BEGIN PGP SIGNED MESSAGE line */
	PGP_CS_LIMIT,		/* the block is longer than max_size */
	PGP_CS_HEADER,		/* an armor header other than a well-formed Hash: */
	PGP_CS_MALFORMED,	/* no empty line after the headers, a line
				 * starting with '-' not dash-escaped, no
				 * signature armor, no END line */
	PGP_CS_ARMOR,		/* signature armor: bad base64 or line, CRC
				 * present and wrong */
	PGP_CS_PACKETS,		/* signature data that is not a sequence of
				 * parseable v4/v6 signature packets */
};

struct pgp_clearsign {
	/* The signed text in canonical form (RFC 9580 7.1, 7.2): dash
	 * escapes undone, trailing spaces, tabs (and CRs) removed from each
	 * line, lines joined by CRLF, no line end after the last one.
	 * NUL-terminated (text_len excludes it); may hold NUL bytes. */
	uint8_t *text;
	size_t text_len;
	/* Every packet of the signature armor, in order, each parsed by
	 * the pgp layer (pgp_sig.pkt.body owned here). */
	struct pgp_sig *sigs;
	size_t nsigs;
	unsigned nhash_headers;	/* "Hash:" lines seen (their content is
				 * checked for form and otherwise ignored) */
	bool crc_present;	/* the armor had a checksum line (it matched) */
	size_t block_len;	/* bytes from the BEGIN line to the END line */
};

/* Number of lines in text that are, blanks around them aside,
 * "-----BEGIN PGP SIGNED MESSAGE-----" (dash-escaped ones do not count). */
size_t pgp_clearsign_count(const char *text, size_t len);

/*
 * Take apart the first cleartext signed message in text: at most
 * max_size bytes from its BEGIN line to its END PGP SIGNATURE line (0:
 * no bound), checked while reading, before anything is decoded. The
 * header block may hold only "Hash: " lines listing RFC 9580 hash names
 * separated by commas (RFC 9580 7.1: anything else is refused); the
 * signature armor may carry headers (Version, Comment: not signed,
 * ignored), its CRC line is optional but must match when present. On
 * PGP_CS_OK out is filled; otherwise out is zeroed and *why (if not
 * NULL) gets a static phrase.
 */
enum pgp_cs_status pgp_clearsign_parse(const char *text, size_t len,
    size_t max_size, struct pgp_clearsign *out, const char **why);
void pgp_clearsign_free(struct pgp_clearsign *cs);
const char *pgp_clearsign_strerror(enum pgp_cs_status st);

/*
 * Verify a v4 or v6 document signature (type 0x00 over the bytes, 0x01
 * over text the caller has put in canonical form) made by signer, whose
 * packet body is signer_pkt: [v6 salt,] doc, the hashed part and the
 * trailer (RFC 9580 5.2.4), the left 16 bits, then pgp_crypto_verify().
 * The signature's version must match the key's (v4 on v4, v6 on v6) and
 * a v6 salt must have the size of its hash. No policy (hash, dates):
 * that is the caller's. Returns PGP_SIG_GOOD, PGP_SIG_BAD (*why: static
 * phrase) or PGP_SIG_UNSUPPORTED (hash or algorithm we cannot compute).
 */
enum pgp_sig_state pgp_doc_verify(const struct pgp_pubkey *signer,
    const struct pgp_packet *signer_pkt, const struct pgp_sig *sig,
    const uint8_t *doc, size_t len, const char **why);

#endif
