/*
 * pgp/encrypt.h - encrypting a short text to a stored public key
 * (owner-control.md 6.3): the challenge and HELD mails of trusted mode,
 * the verification mails of verified mode.
 *
 * What comes out is one OpenPGP message (RFC 9580 10.3): one PKESK per
 * recipient component, then the encrypted data, holding one literal data
 * packet (format 'u', empty file name, date 0, not compressed):
 *  - v4 key: v3 PKESKs and a v1 SEIPD packet (CFB + MDC), AES-256 when
 *    every recipient prefers it, else AES-128 (C14: even when the key
 *    advertises SEIPD v2, which GnuPG 2.2 and 2.4 cannot read);
 *  - v6 key: v6 PKESKs and a v2 SEIPD packet: the first ciphersuite of
 *    the key's Preferred AEAD Ciphersuites that keymail can do (AES-128,
 *    -192 or -256 with OCB, EAX or GCM) and every recipient lists, else
 *    AES-128-OCB (the one all must support); chunk size octet 6.
 * Recipients (recipient.c): every valid encryption-capable component of
 * the key (key flags 0x04/0x08, or by algorithm when a binding has no key
 * flags; valid binding; not revoked; not expired at "now"), newest first,
 * at most PGP_ENC_MAX_RECIPIENTS. Algorithms: RSA (1, 2), ElGamal (16, v4
 * keys only), ECDH (18) on NIST P-256/384/521, brainpoolP256/384/512r1,
 * secp256k1, Curve25519Legacy and X448 (GnuPG's OID), X25519 (25), X448
 * (26). RSA and ElGamal keys under 2048 bits are not used.
 *
 * Untrusted input: the key (bytes or parsed struct) came from mail. Key
 * material is read with bounds checks (util/rd) and checked (points on
 * their curve, ranges) before any use; nothing is trusted from the
 * parser's summary but the algorithm, version and fingerprint it
 * computed. The plaintext comes from keymail itself (a token block, a
 * HELD listing) and must be UTF-8.
 *
 * Memory: outputs go to a caller-owned struct buf (its cap bounds the
 * output; over it, PGP_ENC_LIMIT and the buffer is left as it was). A
 * struct pgp_enc_recipient points into the key packet body it was read
 * from and lives no longer than it. Session keys and other secrets are
 * wiped before returning.
 *
 * Randomness: by default libgcrypt's strong generator. A struct pgp_rand
 * replaces it (tests only), so that RFC 9580's vectors come out byte for
 * byte; each draw says what it is for.
 */
#ifndef KM_PGP_ENCRYPT_H
#define KM_PGP_ENCRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pgp/crypto.h"
#include "pgp/pgp.h"
#include "util/buf.h"

#define PGP_ENC_MAX_RECIPIENTS	3	/* owner-control.md 6.3, C13 */
#define PGP_ENC_MIN_RSA_BITS	2048	/* RSA and ElGamal below: not used */
#define PGP_ENC_MAX_MODULUS_BITS 16384	/* RSA n, ElGamal p: bounds the work */
#define PGP_ENC_MAX_RSA_E_BITS	4096	/* RSA public exponent */
#define PGP_ENC_CHUNK_OCTET	6	/* SEIPD v2 chunks of 2^(6+6) octets */
#define PGP_ENC_MAX_PLAINTEXT	(64u * 1024 * 1024)

enum pgp_enc_status {
	PGP_ENC_OK = 0,
	PGP_ENC_NO_USABLE_KEY,	/* no component keymail can encrypt to:
				 * sign-only, RSA/ElGamal under 2048 bits,
				 * all revoked or expired, unknown algorithm */
	PGP_ENC_BAD_KEY_MATERIAL, /* every candidate had invalid material
				 * (a point off its curve, say) */
	PGP_ENC_BAD_KEY,	/* not one transferable public key that
				 * parses and has a valid self-signature */
	PGP_ENC_BAD_INPUT,	/* plaintext not UTF-8 or too long */
	PGP_ENC_LIMIT,		/* output larger than the buffer's cap */
	PGP_ENC_FAIL,		/* libgcrypt failed */
};

const char *pgp_enc_strerror(enum pgp_enc_status st);

/* What a random draw is for. */
enum pgp_rand_use {
	PGP_RAND_SESSION_KEY,	/* the session key */
	PGP_RAND_EPHEMERAL,	/* an ECDH / X25519 / X448 ephemeral secret */
	PGP_RAND_PKCS1,		/* nonzero padding of an EME-PKCS1 block
				 * (zero octets are drawn again) */
	PGP_RAND_ELGAMAL_K,	/* the ElGamal exponent */
	PGP_RAND_PREFIX,	/* the SEIPD v1 random prefix */
	PGP_RAND_SALT,		/* the SEIPD v2 salt */
};

struct pgp_rand {
	void (*fill)(void *ctx, enum pgp_rand_use use, uint8_t *out,
	    size_t n);
	void *ctx;
};

/* One component to encrypt to, as read by pgp_enc_recipient_read. */
struct pgp_enc_recipient {
	uint8_t version;	/* key packet version: 4 or 6 */
	uint8_t algo;		/* PGP_PK_* */
	uint32_t created;
	uint8_t fpr[32];
	size_t fprlen;
	uint8_t keyid[8];
	unsigned bits;		/* RSA/ElGamal modulus bits; curve size */
	/* Views into the key packet body: RSA n, e; ElGamal p, g, y (leading
	 * zeros stripped); ECDH: the curve's point without the 0x40 prefix of
	 * the Montgomery curves in a, the curve OID in oid; X25519 / X448:
	 * the native key in a. */
	const uint8_t *a, *b, *c;
	size_t alen, blen, clen;
	enum pgp_ec_curve curve;
	bool prefixed;		/* ECDH on a Montgomery curve (0x40 || u) */
	const uint8_t *oid;
	size_t oidlen;
	uint8_t kdf_hash;	/* ECDH KDF hash (PGP_HASH_*) */
	uint8_t kek;		/* ECDH key-wrap cipher (PGP_SYM_AES*) */
	/* Preferences from the self-signature that governs this component
	 * (its binding, else the key's): set by the selection. */
	bool prefers_aes256;
	uint8_t aead_prefs[32];	/* (cipher, aead) pairs, in order */
	size_t naead_prefs;	/* pairs */
};

/*
 * Read the public key material of one key packet (pub as parsed from
 * body/len by the pgp layer) as a recipient, and check it. PGP_ENC_OK;
 * PGP_ENC_NO_USABLE_KEY when keymail does not encrypt to it (algorithm,
 * size, version, KDF parameters); PGP_ENC_BAD_KEY_MATERIAL when the
 * material is malformed or invalid (off-curve point, bad ranges).
 */
enum pgp_enc_status pgp_enc_recipient_read(const struct pgp_pubkey *pub,
    const uint8_t *body, size_t len, struct pgp_enc_recipient *r);

/*
 * Choose the recipients of a checked key (pgp_key_check has set the
 * signature states): the rules at the top. Fills r (room for
 * PGP_ENC_MAX_RECIPIENTS) and *n; *nbad counts candidates left out for
 * bad key material. Returns PGP_ENC_OK when *n > 0, else
 * PGP_ENC_BAD_KEY_MATERIAL when *nbad > 0, else PGP_ENC_NO_USABLE_KEY.
 */
enum pgp_enc_status pgp_enc_select(const struct pgp_key *key, time_t now,
    struct pgp_enc_recipient *r, size_t *n, unsigned *nbad);

/*
 * The expiry of key's encryption-capable components at now (valid,
 * unrevoked, not yet expired; the primary key when its flags allow it):
 * *latest is the latest of their expiry times, 0 when one of them never
 * expires or there is none (owner-control.md 10.2). Returns how many
 * there are.
 */
size_t pgp_enc_expiry(const struct pgp_key *key, time_t now, uint32_t *latest);

/* Building blocks, each appending one whole packet (new-format header)
 * to out. cipher: PGP_SYM_AES*; sk/sklen: the session key. */

/* A PKESK for r: v3 for a v4 recipient (with the cipher octet), v6 for a
 * v6 recipient. */
enum pgp_enc_status pgp_enc_pkesk(const struct pgp_enc_recipient *r,
    int cipher, const uint8_t *sk, size_t sklen, const struct pgp_rand *rand,
    struct buf *out);

/* A v1 SEIPD packet around inner (the plaintext packets). */
enum pgp_enc_status pgp_enc_seipd1(int cipher, const uint8_t *sk,
    const uint8_t *inner, size_t innerlen, const struct pgp_rand *rand,
    struct buf *out);

/* A v2 SEIPD packet (AEAD: PGP_AEAD_EAX, _OCB or _GCM) around inner. */
enum pgp_enc_status pgp_enc_seipd2(int cipher, int aead, int chunk_octet,
    const uint8_t *sk, const uint8_t *inner, size_t innerlen,
    const struct pgp_rand *rand, struct buf *out);

/* What an encryption did, for the caller's log. */
struct pgp_enc_result {
	size_t nrecipients;
	struct {
		uint8_t fpr[32];
		size_t fprlen;
		uint8_t algo;
	} recipient[PGP_ENC_MAX_RECIPIENTS];
	uint8_t cipher;		/* PGP_SYM_* */
	uint8_t aead;		/* PGP_AEAD_* for SEIPD v2; 0 for v1 */
	unsigned skipped_bad;	/* components left out: bad key material */
};

struct pgp_enc_opts {
	bool armor;			/* ASCII armor (PGP MESSAGE) or binary */
	const struct pgp_rand *rand;	/* NULL: libgcrypt strong random */
};

/*
 * Encrypt text (UTF-8; line ends become CRLF, RFC 9580 5.9) to key, a
 * checked key (pgp_key_check), at time now. Appends the message to out;
 * armored: "-----BEGIN PGP MESSAGE-----", 64-column base64, a CRC line
 * for a v1 SEIPD message (owner-control.md 6.2) and none for a v2 one
 * (RFC 9580 6.1 forbids it there), END line, LF line ends. res (may be
 * NULL) says what was done.
 */
enum pgp_enc_status pgp_encrypt_to_key(const struct pgp_key *key,
    time_t now, const uint8_t *text, size_t len,
    const struct pgp_enc_opts *opts, struct buf *out,
    struct pgp_enc_result *res);

/* The same from one binary transferable public key (untrusted bytes,
 * a stored blob say): parsed and checked at now, then encrypted to. */
enum pgp_enc_status pgp_encrypt(const uint8_t *keydata, size_t keylen,
    time_t now, const uint8_t *text, size_t len,
    const struct pgp_enc_opts *opts, struct buf *out,
    struct pgp_enc_result *res);

#endif
