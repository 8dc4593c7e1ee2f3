/*
 * pgp/token.h - the one-time tokens of owner-control.md 6.4: 160 bits
 * from libgcrypt's strong generator, written as 32 base32 characters
 * (RFC 4648 alphabet A-Z, 2-7); only SHA-256 of the token is stored; logs
 * show the first 8 hex digits of that hash; hashes are compared in
 * constant time.
 *
 * Untrusted input: pgp_token_normalize reads a token typed into a mail
 * Subject (CONFIRM <token>). Memory: everything is in caller buffers of
 * the stated sizes; nothing is allocated.
 */
#ifndef KM_PGP_TOKEN_H
#define KM_PGP_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PGP_TOKEN_BYTES	20	/* 160 bits */
#define PGP_TOKEN_LEN	32	/* base32 characters */
#define PGP_TOKEN_HASH	32	/* SHA-256 */

/* A fresh token, NUL-terminated, into tok (PGP_TOKEN_LEN + 1 octets). */
void pgp_token_new(char tok[PGP_TOKEN_LEN + 1]);

/* The token of 20 given octets (base32, no padding: 160 bits are exactly
 * 32 characters). pgp_token_new is this over strong random octets. */
void pgp_token_encode(const uint8_t raw[PGP_TOKEN_BYTES],
    char tok[PGP_TOKEN_LEN + 1]);

/* Read a token as a person may type it: letters in either case, blanks
 * (space, tab) and '-' anywhere are ignored. Writes the canonical form
 * (upper case, NUL-terminated) and returns 0; -1 when what is left is not
 * exactly 32 characters of A-Z and 2-7. */
int pgp_token_normalize(const char *in, size_t len,
    char tok[PGP_TOKEN_LEN + 1]);

/* SHA-256 over the 32 canonical characters: what the database stores. */
void pgp_token_hash(const char tok[PGP_TOKEN_LEN],
    uint8_t hash[PGP_TOKEN_HASH]);

/* The first 8 hex digits (lower case) of a token hash, for logs. */
void pgp_token_log_id(const uint8_t hash[PGP_TOKEN_HASH], char out[9]);

/* Constant-time equality of two token hashes. */
bool pgp_token_hash_equal(const uint8_t a[PGP_TOKEN_HASH],
    const uint8_t b[PGP_TOKEN_HASH]);

#endif
