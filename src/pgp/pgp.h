/*
 * pgp/pgp.h - the OpenPGP layer: status codes, limits, and the model of a
 * transferable public key (RFC 4880 11.1, RFC 9580 10.1).
 *
 * Layering: pgp/ uses only util/ and (in pgp/gcrypt/ alone) libgcrypt. It does
 * no I/O, no logging and no database work, so it can be fuzzed on its own.
 *
 * Untrusted input: everything handed to pgp_armor_* and pgp_keys_read comes
 * from mail. All lengths are checked through util/rd before use.
 *
 * Memory: a struct pgp_key owns every byte it points to (packet bodies are
 * copied out of the input). pgp_key_free() releases it all.
 */
#ifndef KM_PGP_PGP_H
#define KM_PGP_PGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/buf.h"

enum pgp_status {
	PGP_OK = 0,
	PGP_ERR_ARMOR,		/* no armor block / undecodable armor */
	PGP_ERR_TRUNCATED,	/* packet runs past the end of data */
	PGP_ERR_MALFORMED,	/* packet framing or field invalid */
	PGP_ERR_LIMIT,		/* a named limit was exceeded */
	PGP_ERR_SECRET,		/* secret key material (refused) */
	PGP_ERR_VERSION,	/* unsupported key version (v2/v3/v5 ...) */
	PGP_ERR_NO_PRIMARY,	/* data does not start with a primary key */
	PGP_ERR_NO_SELFSIG,	/* no valid self-signature binds any user ID */
	PGP_ERR_UNSUPPORTED,	/* algorithm we cannot verify */
	PGP_ERR_BAD_SIG,	/* signature did not verify */
	PGP_ERR_FORBIDDEN,	/* packet not allowed in a key (compressed, encrypted, ...) */
};

const char *pgp_strerror(enum pgp_status st);

/* Policy limits for parsing one key; filled from struct conf. A zero field
 * means no limit; a NULL struct pgp_limits * means the util/limits.h
 * defaults. */
struct pgp_limits {
	size_t max_key_size;		/* binary bytes of one transferable key */
	size_t max_packets_per_key;
	size_t max_uid_length;
	/* Third-party signatures kept per user ID or attribute when a key
	 * is merged into the store (pgp_key_cap_certs); not a parse limit:
	 * pgp_keys_read ignores it. Last, so that older three-field
	 * initializers leave it 0 (no limit). */
	size_t max_sigs_per_uid;
};

/* OpenPGP packet tags used here. */
enum {
	PGP_TAG_SIG = 2, PGP_TAG_SECKEY = 5, PGP_TAG_PUBKEY = 6,
	PGP_TAG_SECSUBKEY = 7, PGP_TAG_COMPRESSED = 8, PGP_TAG_MARKER = 10,
	PGP_TAG_LITERAL = 11, PGP_TAG_TRUST = 12, PGP_TAG_UID = 13,
	PGP_TAG_PUBSUBKEY = 14, PGP_TAG_UAT = 17, PGP_TAG_PADDING = 21,
};

/* Public-key algorithm IDs (RFC 9580 9.1). */
enum {
	PGP_PK_RSA = 1, PGP_PK_RSA_E = 2, PGP_PK_RSA_S = 3,
	PGP_PK_ELGAMAL_E = 16, PGP_PK_DSA = 17, PGP_PK_ECDH = 18,
	PGP_PK_ECDSA = 19, PGP_PK_ELGAMAL = 20, PGP_PK_EDDSA_LEGACY = 22,
	PGP_PK_X25519 = 25, PGP_PK_X448 = 26, PGP_PK_ED25519 = 27,
	PGP_PK_ED448 = 28,
};

/* Signature types (RFC 9580 5.2.1). */
enum {
	PGP_SIG_BINARY = 0x00, PGP_SIG_TEXT = 0x01,
	PGP_SIG_CERT_GENERIC = 0x10, PGP_SIG_CERT_PERSONA = 0x11,
	PGP_SIG_CERT_CASUAL = 0x12, PGP_SIG_CERT_POSITIVE = 0x13,
	PGP_SIG_SUBKEY_BINDING = 0x18, PGP_SIG_PRIMARY_BINDING = 0x19,
	PGP_SIG_DIRECT = 0x1f, PGP_SIG_KEY_REVOKE = 0x20,
	PGP_SIG_SUBKEY_REVOKE = 0x28, PGP_SIG_CERT_REVOKE = 0x30,
};

/* Verification state of one signature. */
enum pgp_sig_state {
	PGP_SIG_UNCHECKED = 0,	/* not (yet) examined; third-party sigs stay so */
	PGP_SIG_GOOD,		/* cryptographically verified */
	PGP_SIG_BAD,		/* verification failed */
	PGP_SIG_UNSUPPORTED,	/* algorithm/hash we cannot check */
};

/* A raw packet: tag and body. The body is owned by the enclosing key. */
struct pgp_packet {
	uint8_t tag;
	uint8_t *body;
	size_t len;
};

/* Parsed public key (primary or subkey) packet fields. */
struct pgp_pubkey {
	uint8_t version;	/* 3, 4 or 6 (2: a PGP 2 packet, read as 3) */
	uint8_t algo;		/* PGP_PK_* */
	uint32_t created;	/* seconds since epoch */
	unsigned bits;		/* modulus/prime bits, or curve size (255 for 25519) */
	const char *curve;	/* static curve name ("nistp256", "ed25519", ...) or NULL */
	uint8_t fpr[32];	/* v4: 20 bytes SHA-1; v6: 32 bytes SHA-256; v3: 16 MD5 */
	size_t fprlen;
	uint8_t keyid[8];	/* v4: last 8 of fpr; v6: first 8; v3: low 64 bits of n */
	size_t material_off;	/* offset of public key material in packet body */
	/* Octets after the public key material of a public key packet
	 * (tag 6/14) of a known algorithm. Not part of the key: the
	 * fingerprint is computed without them, as GnuPG does, and key.c
	 * cuts them off. Seen in the wild: a secret key packet's encrypted
	 * fields behind a public key tag. */
	size_t trailing;
};

/* Parsed signature packet fields (views into sig->pkt.body). */
struct pgp_sig {
	struct pgp_packet pkt;
	uint8_t version;	/* 3, 4 or 6 */
	uint8_t type;		/* PGP_SIG_* */
	uint8_t pkalgo;
	uint8_t hashalgo;
	uint32_t created;	/* signature creation time (0 if absent) */
	uint32_t sig_expires;	/* signature expiration, seconds after created (0 none) */
	uint32_t key_expires;	/* key expiration, seconds after key creation (0 none) */
	bool has_issuer;
	uint8_t issuer[8];	/* issuer key ID (subpacket 16 or from issuer fpr) */
	size_t issuer_fpr_len;	/* 0, 20 or 32 */
	uint8_t issuer_fpr[32];
	bool primary_uid;	/* primary-user-ID subpacket set */
	bool has_revoker;	/* carries a revocation-key (designated revoker) subpacket */
	bool has_unknown_critical; /* a critical subpacket we do not understand */
	uint8_t key_flags;	/* first octet of key-flags subpacket (0 if absent) */
	/* Offsets into pkt.body used for hashing and verification. */
	size_t hashed_off, hashed_len;	/* the hashed subpacket area (v4/v6);
					 * v3: the 5 hashed octets (type and
					 * creation time) */
	size_t unhashed_off, unhashed_len;
	uint8_t left16[2];		/* left 16 bits of the signed hash */
	size_t salt_off, salt_len;	/* v6 salt */
	size_t mpi_off;			/* start of algorithm-specific signature data */
	/* Embedded primary-key binding signature (0x19 inside a subkey binding). */
	size_t embedded_off, embedded_len;	/* 0 len if none; view into pkt.body */
	enum pgp_sig_state state;
	/* Set by pgp_key_check() (check.c) on a self-signature that is not
	 * GOOD: why, as a static English phrase ("MD5 hash refused",
	 * "created in the future", "signature does not verify", ...).
	 * NULL for GOOD and third-party signatures. Never freed. */
	const char *note;
};

/* A user ID or user attribute with its certifications, or a subkey with
 * its bindings and revocations. */
struct pgp_component {
	struct pgp_packet pkt;		/* tag 13, 17 or 14 */
	struct pgp_pubkey sub;		/* valid for subkeys (tag 14) only */
	struct pgp_sig *sigs;
	size_t nsigs;
	bool valid;			/* has a GOOD binding self-signature */
	bool revoked;			/* a GOOD self-revocation is present */
};

/*
 * Arrays (sigs, uids, subkeys) have power-of-two capacity and are grown by
 * the pgp layer only (key.c pgp_grow). Code that removes elements moves
 * the rest down and lowers the count, releasing the removed ones with
 * pgp_sig_clear / pgp_component_clear; it must not realloc the arrays.
 */
struct pgp_key {
	struct pgp_packet pkt;		/* primary key packet (tag 6) */
	struct pgp_pubkey pub;
	struct pgp_sig *sigs;		/* direct-key sigs and key revocations */
	size_t nsigs;
	struct pgp_component *uids;	/* user IDs (13) and attributes (17), in order */
	size_t nuids;
	struct pgp_component *subkeys;
	size_t nsubkeys;
	/* What key.c left out while reading (pgp_key_check reports it):
	 * packets of unknown tag, v5 / unknown-version / unreadable
	 * subkeys, and the signatures that followed them; signatures that
	 * do not parse or certify nothing (before the first user ID). */
	unsigned skipped_packets;
	unsigned skipped_sigs;
	unsigned trimmed_packets;	/* key packets cut (pgp_pubkey.trailing) */
	/* Summary, set by pgp_key_check(): */
	bool revoked;			/* GOOD key revocation present */
	uint32_t expires;		/* absolute expiry time, 0 if none */
	long primary_uid;		/* index into uids of the primary user ID, -1 none */
	/* What pgp_key_check and pgp_key_check_certs found to verify, as
	 * entries of PGP_VERIFIED_LEN octets (known.c), unsorted, in
	 * PGP_VERIFIED_LEN * nverified octets owned by the key. The store
	 * keeps them with the key, so that the same signature is never
	 * verified twice. Not copied by pgp_key_merge. */
	uint8_t *verified;
	size_t nverified;
};

/* Counts of what a merge added (for the ADD report and "anything new?").
 * pgp_key_merge and pgp_key_count add to the counters (the caller zeroes
 * them), so one struct can sum up a whole ADD. */
struct pgp_merge_counts {
	unsigned new_keys;
	unsigned new_uids;		/* user IDs and user attributes */
	unsigned new_subkeys;
	unsigned new_sigs;		/* certifications and bindings */
	unsigned new_revocations;	/* key, subkey or UID revocations */
	unsigned capped_sigs;		/* third-party sigs left out by
					 * max_sigs_per_uid (set by the store) */
};

/* ---- armor.c ---------------------------------------------------------- */

/* Kind of armor block found. */
enum pgp_armor_kind {
	PGP_ARMOR_PUBLIC_KEY,	/* BEGIN PGP PUBLIC KEY BLOCK */
	PGP_ARMOR_PRIVATE_KEY,	/* BEGIN PGP PRIVATE KEY BLOCK / SECRET KEY BLOCK */
	PGP_ARMOR_OTHER,	/* MESSAGE, SIGNATURE, ARMORED FILE, ... */
};

/*
 * Called once per armor block found in text. data/len is the decoded
 * binary (valid only during the call). crc_ok is false when the CRC line is
 * missing or wrong (we accept both, see mail-protocol.md 3.1, but report
 * it). st is PGP_OK or PGP_ERR_ARMOR when the base64 could not be decoded
 * (data is then NULL). Return non-zero to stop scanning.
 */
typedef int (*pgp_armor_cb)(void *ctx, enum pgp_armor_kind kind,
    const uint8_t *data, size_t len, bool crc_ok, enum pgp_status st);

/* Scan untrusted text for every armor block; returns the number found.
 * max_out bounds each decoded block (larger ones get PGP_ERR_LIMIT; 0 means
 * no bound). */
size_t pgp_armor_scan(const char *text, size_t len, size_t max_out,
    pgp_armor_cb cb, void *ctx);

/* Decode untrusted text that is nothing but base64 (blanks and line ends
 * allowed, '=' padding only at the end) into out (its cap bounds the
 * size). PGP_OK; PGP_ERR_ARMOR for any other character or an empty
 * text; PGP_ERR_LIMIT when out's cap was reached. */
enum pgp_status pgp_base64_decode(const char *text, size_t len,
    struct buf *out);

/* Write a PUBLIC KEY BLOCK: BEGIN line, empty line, 64-column base64, CRC
 * line, END line, LF line ends. Returns -1 if out's cap is exceeded. */
int pgp_armor_encode(const uint8_t *data, size_t len, struct buf *out);
/* The exact length pgp_armor_encode writes for len binary octets. */
size_t pgp_armor_size(size_t len);

/* The same for an encrypted message: BEGIN PGP MESSAGE; the CRC line only
 * when crc is true (RFC 9580 6.1 forbids it after a v2 SEIPD packet). */
int pgp_armor_encode_message(const uint8_t *data, size_t len, bool crc,
    struct buf *out);

uint32_t pgp_crc24(const uint8_t *data, size_t len);

/* ---- packet.c / key.c ------------------------------------------------- */

/*
 * Called once per transferable key found in binary data. On PGP_OK, key is
 * a parsed (not yet checked) key and the callee takes ownership. On error,
 * key is NULL, fpr/fprlen identify the key if its primary packet could be
 * parsed (fprlen 0 otherwise) and detail says what was wrong in words.
 * Return non-zero to stop.
 */
typedef int (*pgp_key_cb)(void *ctx, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail);

/*
 * Split untrusted binary data into transferable public keys. Trust and
 * marker packets are dropped. A secret key (tag 5/7) is reported as
 * PGP_ERR_SECRET and none of its packets are kept. One bad key does not
 * stop the rest: the parser resynchronises at the next primary key packet.
 * Returns PGP_OK, or an error for the stream as a whole (e.g. truncated
 * framing at top level, reported after the keys before it).
 */
enum pgp_status pgp_keys_read(const uint8_t *data, size_t len,
    const struct pgp_limits *lim, pgp_key_cb cb, void *ctx);

/* Parse exactly one key (convenience for stored blobs, which we wrote).
 * Returns NULL on any error. */
struct pgp_key *pgp_key_parse_one(const uint8_t *data, size_t len,
    const struct pgp_limits *lim, enum pgp_status *st);

/* split.c: framing of the packet at the start of untrusted data, from its
 * header alone (the body need not be there yet), so that a large dump can
 * be cut into whole keys before parsing. Sets the tag and the total size
 * (header + body). PGP_ERR_TRUNCATED: the header itself is incomplete;
 * PGP_ERR_MALFORMED: not a packet header, tag 0, or a partial or
 * indeterminate length (never valid in a key). */
enum pgp_status pgp_packet_frame(const uint8_t *data, size_t len,
    uint8_t *tag, size_t *size);
/* The same, and *hdrlen the header's own length: the body is the
 * size - hdrlen octets after it (when they are there at all). */
enum pgp_status pgp_packet_span(const uint8_t *data, size_t len,
    uint8_t *tag, size_t *hdrlen, size_t *size);

/* Append one packet (header + body) in the canonical header format: old
 * format for tags below 16, new format otherwise; shortest length form.
 * Returns -1 if out's cap is exceeded or len does not fit 32 bits. */
int pgp_packet_write(struct buf *out, uint8_t tag, const uint8_t *body,
    size_t len);
/* The same, always in the new format (RFC 9580 4.2.1), whatever the tag:
 * for the packets we write for OpenPGP.js and GnuPG, not for pks. */
int pgp_packet_write_new(struct buf *out, uint8_t tag, const uint8_t *body,
    size_t len);

void pgp_key_free(struct pgp_key *key);

/* Free what one signature / component owns and zero it (for code that
 * removes elements from a key, see the note above struct pgp_key). */
void pgp_sig_clear(struct pgp_sig *sig);
void pgp_component_clear(struct pgp_component *c);

/*
 * Serialize a key in canonical form: primary, its sigs, each user ID and
 * attribute with its sigs, each subkey with its sigs; packets with tag < 16
 * in old-format headers, others in new format. Canonical order (so that
 * merging is order-independent, byte for byte): within each component,
 * signatures newest first (ties broken by bytes); user IDs with the primary
 * first, then by bytes; subkeys by creation time then bytes.
 */
int pgp_key_write(const struct pgp_key *key, struct buf *out);

/* Sort the key's components into the canonical order described above. */
void pgp_key_canonicalize(struct pgp_key *key);

/*
 * Append-only union of src into dst (same primary key packet required;
 * returns -1 otherwise). Packets are the same when tag and body bytes are
 * equal. Counts what was added to dst. src is not modified.
 */
int pgp_key_merge(struct pgp_key *dst, const struct pgp_key *src,
    struct pgp_merge_counts *counts);

/* Count a whole key as new (new_keys 1, all its user IDs, subkeys, sigs
 * and revocations): for a key that was not in the store. Canonicalize
 * first so that duplicates are not counted. pgp_key_merge never touches
 * new_keys. */
void pgp_key_count(const struct pgp_key *key, struct pgp_merge_counts *counts);

/* Hex fingerprint (upper case, no spaces) into out (>= 65 bytes). */
void pgp_hex(const uint8_t *p, size_t n, char *out);

/* Printable user ID: bytes copied, control characters replaced by '?',
 * invalid UTF-8 replaced by '?'. Caller frees. */
char *pgp_uid_printable(const uint8_t *p, size_t n);

/* Algorithm letter for INDEX (SKS/onak table, mail-protocol.md 2.4). */
char pgp_algo_letter(uint8_t algo);

/* ---- bare.c: signatures that arrive without their key ----------------- */

/* One signature packet read on its own (a view into the caller's data). */
struct pgp_bare_sig {
	uint8_t version;
	uint8_t type;			/* PGP_SIG_* */
	bool has_issuer;
	uint8_t issuer[8];		/* issuer key ID */
	size_t issuer_fpr_len;		/* 0, 20 or 32 */
	uint8_t issuer_fpr[32];
	const uint8_t *packet;		/* the whole packet, header included */
	size_t packet_len;
	const uint8_t *body;		/* its body */
	size_t body_len;
};

/*
 * Read the signature packet at the start of untrusted data (a revocation
 * certificate is one key revocation signature, 0x20, and nothing else).
 * PGP_OK: out describes it and *used is its size; PGP_ERR_NO_PRIMARY:
 * the first packet is not a signature (read it as keys); any other error:
 * the packet is broken.
 */
enum pgp_status pgp_bare_sig_read(const uint8_t *data, size_t len,
    struct pgp_bare_sig *out, size_t *used);

/*
 * out gets the key (binary, starting with its primary key packet) with
 * the signature packet sig put right behind the primary key packet,
 * where key revocations and direct-key signatures belong; the result is
 * for pgp_keys_read and pgp_key_check, which verify it like any other.
 * -1 if key does not start with a public key packet or out's cap is hit.
 */
int pgp_key_splice_sig(const uint8_t *key, size_t keylen, const uint8_t *sig,
    size_t siglen, struct buf *out);

/* ---- known.c: what the store already holds ------------------------------ */

/*
 * A packet's name is 16 octets of SHA-256 over the packet in its place
 * in its key: a user ID, attribute or subkey packet with the primary key
 * packet; a signature with the primary key packet and the component it
 * is attached to (none for direct-key signatures and key revocations).
 * Two packets have the same name exactly when pgp_key_merge would treat
 * them as the same packet in the same place, so a key all of whose
 * names are among a stored key's names brings nothing new to it.
 *
 * A verified entry is a signature's name followed by the name of the
 * key packet it was verified with (16 + 16 octets): the statement that
 * this signature, in this place, is cryptographically valid by that key
 * (the digest matches and the public-key operation succeeded; for a
 * subkey binding that needs a back-signature, the back-signature too).
 * That is a fact about the octets, true forever, so the check can skip
 * the public-key operation for it; the policy (hash algorithm, dates,
 * critical subpackets) is applied again every time.
 */
#define PGP_NAME_LEN		16
#define PGP_VERIFIED_LEN	(2 * PGP_NAME_LEN)

/* What the store holds of one key (views; sorted by memcmp, as
 * pgp_key_names and pgp_verified_keep write them). Untrusted in the sense
 * that a wrong list only costs time: a name or entry that is not there
 * is never found. */
struct pgp_known {
	const uint8_t *names;		/* PGP_NAME_LEN octets each */
	size_t nnames;
	const uint8_t *verified;	/* PGP_VERIFIED_LEN octets each */
	size_t nverified;
};

/* The kinds of public-key operation the statistics count (and the
 * benchmark prices): RSA by modulus size (up to and including the size
 * named), DSA, ECDSA, EdDSA (Ed25519 and Ed448). */
enum pgp_vkind {
	PGP_VK_RSA1024, PGP_VK_RSA2048, PGP_VK_RSA3072, PGP_VK_RSA4096,
	PGP_VK_RSA_LARGER, PGP_VK_DSA, PGP_VK_ECDSA, PGP_VK_EDDSA,
	PGP_VK_COUNT
};

/* Public-key operations done and skipped (the entry was known), by
 * kind. The check functions add to them; the caller zeroes. */
struct pgp_vstats {
	unsigned long done[PGP_VK_COUNT];
	unsigned long skipped[PGP_VK_COUNT];
};

/* "RSA-4096", "RSA>4096", "DSA", ... (static). */
const char *pgp_vkind_name(enum pgp_vkind k);
/* The kind of a verification by key pub; -1 for algorithms that are
 * never verified (encryption-only, unknown). */
int pgp_vkind_of(const struct pgp_pubkey *pub);
/* a += b */
void pgp_vstats_add(struct pgp_vstats *a, const struct pgp_vstats *b);

/* The name of a key packet (tag and body) on its own. */
void pgp_name_key(const struct pgp_packet *p, uint8_t out[PGP_NAME_LEN]);
/* The name of component c (user ID, attribute, subkey) of the key whose
 * key packet's name is kname. */
void pgp_name_component(const uint8_t kname[PGP_NAME_LEN],
    const struct pgp_packet *c, uint8_t out[PGP_NAME_LEN]);
/* The name of signature s attached to the component named cname (NULL:
 * to the key itself) of the key named kname. */
void pgp_name_sig(const uint8_t kname[PGP_NAME_LEN],
    const uint8_t *cname, const struct pgp_packet *s,
    uint8_t out[PGP_NAME_LEN]);
/* Every name of key (components and signatures), sorted, each once, as
 * PGP_NAME_LEN * n octets appended to out; returns n. */
size_t pgp_key_names(const struct pgp_key *key, struct buf *out);
/* Are all of key's names among known's? (Then merging key into the
 * stored key changes nothing.) False when known has no names. */
bool pgp_key_all_known(const struct pgp_key *key,
    const struct pgp_known *known);
/* Is this verified entry in known? */
bool pgp_known_verified(const struct pgp_known *known,
    const uint8_t entry[PGP_VERIFIED_LEN]);
/* Sort the verified entries in e (PGP_VERIFIED_LEN octets each), drop
 * duplicates and the entries whose signature name is not among names
 * (sorted, PGP_NAME_LEN each, nnames of them): what is left describes
 * signatures of the key named so. */
void pgp_verified_keep(struct buf *e, const uint8_t *names, size_t nnames);

/* ---- pgp/gcrypt/ (the only libgcrypt users) ---------------------------- */

/* Initialise libgcrypt once per process; returns -1 on version mismatch.
 * Safe to call more than once. */
int pgp_crypto_init(void);

/* OpenPGP hash algorithm IDs (RFC 9580 9.5). */
enum {
	PGP_HASH_MD5 = 1, PGP_HASH_SHA1 = 2, PGP_HASH_RIPEMD160 = 3,
	PGP_HASH_SHA256 = 8, PGP_HASH_SHA384 = 9, PGP_HASH_SHA512 = 10,
	PGP_HASH_SHA224 = 11, PGP_HASH_SHA3_256 = 12, PGP_HASH_SHA3_512 = 14,
};

/* Incremental hashing by OpenPGP hash ID. pgp_hash_open returns NULL for
 * an algorithm we do not know. pgp_hash_final writes the digest (at most
 * 64 bytes) to out, returns its length and frees h. */
struct pgp_hash;
struct pgp_hash *pgp_hash_open(int algo);
void pgp_hash_write(struct pgp_hash *h, const void *p, size_t n);
size_t pgp_hash_final(struct pgp_hash *h, uint8_t out[64]);
/* One-shot convenience. Returns digest length, 0 if algo unknown. */
size_t pgp_hash_buf(int algo, const void *p, size_t n, uint8_t out[64]);
/* One-shot SHA-256 over the concatenation of n pieces (no handle is
 * allocated). */
struct pgp_piece {
	const void *p;
	size_t n;
};
void pgp_sha256_pieces(const struct pgp_piece *v, size_t n, uint8_t out[32]);
/* A second handle that continues from h's state, so that a shared prefix
 * (the primary key packet) is hashed once. NULL on failure. */
struct pgp_hash *pgp_hash_copy(const struct pgp_hash *h);
/* Release a handle without reading its digest. NULL is ignored. */
void pgp_hash_free(struct pgp_hash *h);

/*
 * Public-key verification of one signature (check_verify.c feeds it the
 * digest).
 * pub describes the signing key, whose packet body is keybody/keylen (key
 * material at pub->material_off); sig->pkt.body from sig->mpi_off holds the
 * algorithm-specific signature data; sig->pkalgo and sig->hashalgo are
 * used. Both bodies are untrusted and fully bounds-checked here.
 * Returns PGP_SIG_GOOD, PGP_SIG_BAD (does not verify, or malformed key or
 * signature data), or PGP_SIG_UNSUPPORTED (algorithm, curve or hash this
 * libgcrypt cannot check; encryption-only algorithms).
 * Algorithms: RSA 1/2/3 (PKCS#1 v1.5), DSA 17, ECDSA 19 (NIST P-256/384/
 * 521, brainpoolP256/384/512r1, secp256k1), EdDSA legacy 22 (Ed25519,
 * Ed448), Ed25519 27, Ed448 28.
 */
enum pgp_sig_state pgp_crypto_verify(const struct pgp_pubkey *pub,
    const uint8_t *keybody, size_t keylen, const struct pgp_sig *sig,
    const uint8_t *digest, size_t dlen);

/* A view of bytes owned by someone else (a stored key, say). */
struct pgp_blob {
	const uint8_t *data;
	size_t len;
};

/*
 * Verify third-party certifications (0x10-0x13) and certification
 * revocations (0x30) on key's user IDs and attributes with their issuers'
 * keys: signers are stored keys (our canonical blobs, or prefixes of them
 * holding at least the primary key packet, which is all that is read;
 * untrusted all the same). Only components with more than over
 * third-party signatures are looked at (over 0: all). A signature whose
 * issuer is among the signers gets state GOOD, BAD or UNSUPPORTED, under
 * the policy table of check.c (hash, future date, not older than the
 * key); the others keep their state. Returns the number found GOOD.
 */
size_t pgp_key_check_certs(struct pgp_key *key, size_t over,
    const struct pgp_blob *signers, size_t nsigners, time_t now);
/* The same, skipping the public-key operation for the signatures that
 * known lists as verified with the same signer (known NULL: none), and
 * counting into stats (NULL: not counted). Each signature found valid is
 * added to key->verified. */
size_t pgp_key_check_certs_known(struct pgp_key *key, size_t over,
    const struct pgp_blob *signers, size_t nsigners, time_t now,
    const struct pgp_known *known, struct pgp_vstats *stats);

/*
 * Certificate flooding (CVE-2019-13050). pgp_key_cap_certs keeps every
 * self-signature and at most max third-party signatures on each user ID
 * and attribute, chosen by the rule in merge.c (verified first, each
 * issuer's newest first, then newest); it needs the key in canonical
 * order (pgp_key_merge leaves it so) and keeps it so. Returns how many
 * signatures it removed (0 when max is 0). pgp_key_cert_issuers lists
 * the distinct issuer key IDs (8 octets each, sorted; *ids malloc'd, NULL
 * when none) of the third-party signatures on components that have more
 * than over of them (over 0: all): the keys to look up before capping.
 */
size_t pgp_key_cap_certs(struct pgp_key *key, size_t max);
size_t pgp_key_cert_issuers(const struct pgp_key *key, size_t over,
    uint8_t **ids);

/* ---- sign.c and gcrypt/ed25519.c: signatures keymail makes ---------- */

/* Ed25519 (RFC 8032) with a 32-octet secret seed: the public key A of
 * a seed; a deterministic signature (R || S) of a message; a check of one.
 * Each returns 0, or -1 when libgcrypt fails (verify: does not verify). */
int pgp_ed25519_public(const uint8_t seed[32], uint8_t pub[32]);
int pgp_ed25519_sign(const uint8_t seed[32], const uint8_t *msg, size_t len,
    uint8_t sig[64]);
int pgp_ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t len,
    const uint8_t sig[64]);
/* Random octets from libgcrypt: for a long-term secret (its very strong
 * generator), and for public values that must not repeat or be guessed
 * (its nonce generator: salts, session IDs). */
void pgp_random_secret(void *p, size_t n);
void pgp_random_nonce(void *p, size_t n);

/* Our own Ed25519 key as an OpenPGP v4 EdDSALegacy key. */
struct pgp_ed25519_signer {
	uint8_t seed[32];	/* the secret */
	uint8_t fpr[20];	/* v4 fingerprint of its public key packet */
};

/*
 * Append one v4 signature packet (old-format header) of type sigtype made
 * at `when`: algorithm 22, hash SHA-512; hashed subpackets Signature
 * Creation Time, Key Flags (only when key_flags >= 0) and Issuer
 * Fingerprint (v4), in that order; unhashed subpacket Issuer Key ID. The
 * hash covers data (what the type says comes before the signature's own
 * fields: the document for 0x00; the key and user ID frames for 0x13),
 * then the hashed part and the trailer. Deterministic. Returns -1 if
 * signing failed or out's cap was reached.
 */
int pgp_sign_ed25519(const struct pgp_ed25519_signer *k, uint8_t sigtype,
    uint32_t when, int key_flags, const uint8_t *data, size_t len,
    struct buf *out);

/*
 * Check a detached signature over binary data: sig/siglen (untrusted) must
 * be exactly one signature packet (either header format), version 4, type
 * 0x00, hash SHA-256, SHA-384 or SHA-512, no unknown critical subpacket,
 * an Issuer Fingerprint equal to the primary key of signer (a parsed v4
 * key), and verify with that key over data. *created (may be NULL) gets
 * its creation time. PGP_OK, or PGP_ERR_MALFORMED, PGP_ERR_UNSUPPORTED or
 * PGP_ERR_BAD_SIG with *why a static phrase.
 */
enum pgp_status pgp_verify_binary(const struct pgp_key *signer,
    const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen,
    uint32_t *created, const char **why);

/*
 * Check a parsed key: verify every self-signature (user-ID and attribute
 * certifications, direct-key sigs, key/subkey/UID revocations, subkey
 * bindings with back-signatures for signing subkeys), set each sig's state,
 * and clean the key: drop BAD self-signatures and components without a
 * valid binding. Third-party certifications are kept UNCHECKED. Sets
 * key->revoked, key->expires, key->primary_uid and each component's flags.
 * Returns PGP_OK if the key has a valid self-signed user ID (or, for keys
 * without user IDs, a valid direct-key signature), otherwise the reason
 * (PGP_ERR_NO_SELFSIG, ...). detail gets a human sentence (may be NULL).
 */
enum pgp_status pgp_key_check(struct pgp_key *key, time_t now,
    char *detail, size_t detaillen);
/*
 * pgp_key_check, knowing what the store holds of the key: a signature
 * that known lists as verified, in the same place and by the same key,
 * is not verified again (the policy still applies), so that checking a
 * key the store has seen costs only what is new in it. The result is
 * the same as pgp_key_check's. Every self-signature found
 * cryptographically valid (verified now or known) is added to
 * key->verified; stats (NULL: not counted) gets the public-key
 * operations done and skipped.
 */
enum pgp_status pgp_key_check_known(struct pgp_key *key, time_t now,
    const struct pgp_known *known, struct pgp_vstats *stats,
    char *detail, size_t detaillen);

#endif
