/*
 * recon/recon.h - set reconciliation between keymail servers, the pure
 * part: element digests, session hashes, the rateless IBLT, the
 * tug-of-war estimator, the signed binary record and the server key
 * (../shared/spec/reconciliation.md sections 3, 5, 6, 7 and 9).
 *
 * Layering: recon/ uses util/ and pgp/ only; it does no I/O, no logging
 * and no database work, so every part can be tested against the spec's
 * vectors and fuzzed on its own. The store (digest column) and the
 * commands (sessions, mails) build on it.
 *
 * Untrusted input: records (recon_record_frame, recon_record_body) and
 * cells come from mail; every length is checked through util/rd first.
 * Stored keys given to recon_key_digest are ours, but are framed with the
 * same bounds checks. The server key file is the operator's.
 *
 * Memory: struct recon_set owns its cells and element table
 * (recon_set_free); a parsed struct recon_record points into the caller's
 * buffer and owns nothing. Everything else writes into caller buffers.
 */
#ifndef KM_RECON_RECON_H
#define KM_RECON_RECON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp.h"
#include "util/buf.h"
#include "util/limits.h"

#define RECON_SALT_LEN		16
#define RECON_DIGEST_LEN	32
#define RECON_TOW_K		128		/* ToW counters in an OFFER */
#define RECON_CELL_OCTETS	12		/* idsum (8) and chksum (4) on the wire */
#define RECON_PREFIX_MAX	KM_RECON_PREFIX_MAX	/* longest prefix the format allows */
#define RECON_HDR_LEN		68		/* record header octets */

/* ---- digest.c: the digest of a key (spec 5.2) ------------------------ */

/*
 * The 32-octet digest of a binary key: its packets as (tag, 4-octet body
 * length, body), sorted as octet strings, duplicates once, SHA-256 of
 * their concatenation. Independent of packet order and header format.
 * Returns 0, or -1 when data is not a sequence of whole packets with
 * definite lengths.
 */
int recon_key_digest(const uint8_t *data, size_t len, uint8_t out[32]);

/* ---- hash.c: session hashes (spec 5.3) and cell indices (6.2) -------- */

/* SipHash-2-4 keyed with a session's salt (k0, k1: its two halves read
 * little-endian). */
struct recon_hasher {
	uint64_t k0, k1;
};

void recon_hasher_init(struct recon_hasher *h, const uint8_t salt[16]);
uint64_t recon_siphash(const struct recon_hasher *h, const void *msg,
    size_t len);
/* id = SipHash(digest); chk(id) = SipHash(LE64(id) || 1) mod 2^32;
 * tow1/tow2 = SipHash(LE64(id) || 2 or 3). */
uint64_t recon_id(const struct recon_hasher *h, const uint8_t digest[32]);
uint32_t recon_chk(const struct recon_hasher *h, uint64_t id);
uint64_t recon_tow1(const struct recon_hasher *h, uint64_t id);
uint64_t recon_tow2(const struct recon_hasher *h, uint64_t id);

/* The cells an element lies in: 0, then recon_next_cell() for each
 * further one, an increasing sequence computed from the id alone (the
 * splitmix64 walk of spec 6.2). Valid while the index is below 2^20. */
struct recon_walk {
	uint64_t state;
	uint64_t j;		/* the current cell */
};

static inline void
recon_walk_start(struct recon_walk *w, uint64_t id)
{
	w->state = id;
	w->j = 0;
}

uint64_t recon_next_cell(struct recon_walk *w);
/* splitmix64: advance *state and return its next output. */
uint64_t recon_splitmix64(uint64_t *state);

/* ---- riblt.c: cells, decoding, the estimator (spec 6, 7) ------------- */

struct recon_cell {
	uint64_t idsum;
	uint32_t chksum;
};

static inline bool
recon_cell_empty(const struct recon_cell *c)
{
	return c->idsum == 0 && c->chksum == 0;
}

/* XOR one element into cells [lo, hi) of a prefix held from lo
 * (cells[0] is cell lo). */
void recon_cells_add(struct recon_cell *cells, uint32_t lo, uint32_t hi,
    uint64_t id, uint32_t chk);
/* a[i] ^= b[i] for i < m. */
void recon_cells_xor(struct recon_cell *a, const struct recon_cell *b,
    size_t m);
/* Wire form: 12 octets per cell, idsum then chksum, big-endian. */
void recon_cells_put(uint8_t *wire, const struct recon_cell *cells, size_t m);
void recon_cells_get(struct recon_cell *cells, const uint8_t *wire, size_t m);

/*
 * Peel a difference prefix d of m cells (spec 6.3), which it empties as
 * it goes. ids must have room for m ids; *nids gets the number recovered.
 * Returns 0 when every cell ended empty, -1 when cells are left, an id
 * came out twice (corrupt input) or more than m would come out. Memory:
 * O(m), never more.
 */
int recon_decode(struct recon_cell *d, uint32_t m,
    const struct recon_hasher *h, uint64_t *ids, size_t *nids);

/* One element into the tug-of-war counters: +1 where its bit is set. */
void recon_tow_add(int32_t c[RECON_TOW_K], uint64_t tow1, uint64_t tow2);
/* Sum over the counters of (a - b)^2: 128 times the estimate d-hat. */
uint64_t recon_tow_distance(const int32_t a[RECON_TOW_K],
    const int32_t b[RECON_TOW_K]);
/* d-hat' = max(d-hat, |na - nb|, 1), rounded up (the MORE's d_est). */
uint32_t recon_estimate(uint64_t distance, uint32_t na, uint32_t nb);

/* The MORE rule (spec 7): the end of the next range to ask for after a
 * prefix of m cells failed to decode; `first` for the session's first
 * MORE. Capped by m + 16384, the OFFER's max_cells and ours. A result of
 * m (or less) means the caps leave nothing to ask for: ABORT too-large. */
uint32_t recon_more_hi(bool first, uint32_t m, uint64_t distance,
    uint32_t na, uint32_t nb, uint32_t offer_max, uint32_t our_max);

/*
 * One set's view for a session: the elements' ids, their tug-of-war
 * counters and cells [0, m). recon_set_add takes each key's digest and a
 * tag of the caller's (a row id); with keep the (id, tag) pairs are kept
 * for recon_set_find. The table grows with our own set only.
 */
struct recon_elem {
	uint64_t id;
	int64_t tag;
};

struct recon_set {
	struct recon_hasher h;
	uint32_t m;			/* cells built: [0, m) */
	struct recon_cell *cells;	/* m cells, or NULL when m is 0 */
	int32_t tow[RECON_TOW_K];
	uint32_t n;			/* elements added */
	bool keep;
	bool sorted;
	struct recon_elem *elems;	/* keep: n pairs */
	size_t cap;
};

void recon_set_init(struct recon_set *s, const uint8_t salt[16], uint32_t m,
    bool keep);
void recon_set_add(struct recon_set *s, const uint8_t digest[32],
    int64_t tag);
/* The tag of an element with this id (keep), or -1 with *found false. */
int64_t recon_set_find(struct recon_set *s, uint64_t id, bool *found);
void recon_set_free(struct recon_set *s);

/* ---- record.c: the signed binary record (spec 9) --------------------- */

enum recon_type {
	RECON_OFFER = 1, RECON_MORE, RECON_CELLS, RECON_RESULT, RECON_DONE,
	RECON_ABORT,
};

enum recon_reason {
	RECON_BUSY = 1, RECON_TOO_LARGE, RECON_SUPERSEDED, RECON_TIMEOUT,
	RECON_PROTOCOL, RECON_LIMIT,
};

/* Bounds fixed by the protocol (util/limits.h): cells in one CELLS
 * record, MOREs in one session. */
#define RECON_CELLS_PER_RECORD	KM_RECON_CELLS_PER_RECORD
#define RECON_MAX_MORES		KM_RECON_MAX_MORES

/* "OFFER" ... "ABORT", NULL for another number. */
const char *recon_type_name(int type);
/* The type named by word (any case), 0 if none. */
int recon_type_parse(const char *word);
/* "busy", "too-large", ..., NULL for another number. */
const char *recon_reason_name(int reason);

struct recon_header {
	uint8_t type;
	uint64_t sid;
	uint16_t seq;
	uint64_t time;
	uint8_t sender[20];
	uint8_t recipient[20];
	uint32_t len;			/* body octets */
};

/* A record read from mail: views into the caller's buffer. */
struct recon_record {
	struct recon_header h;
	const uint8_t *data;		/* the whole record */
	const uint8_t *body;		/* h.len octets */
	const uint8_t *sig;		/* the signature packet */
	size_t siglen;
	size_t signed_len;		/* octets [0, 68 + L) are signed */
	union {
		struct {
			uint8_t salt[RECON_SALT_LEN];
			uint32_t n, m, max_cells;
			uint16_t k;
			int32_t tow[RECON_TOW_K];
			const uint8_t *cells;	/* 12 m octets */
		} offer;
		struct {
			uint32_t lo, hi, d_est, n;
		} more;
		struct {
			uint32_t lo, hi;
			const uint8_t *cells;	/* 12 (hi - lo) octets */
		} cells;
		struct {
			uint32_t n, cells, r_only, w;
			const uint8_t *want;	/* 8 w octets, big-endian ids */
		} result;
		struct {
			uint32_t sent, unknown, skipped;
		} done;
		struct {
			uint8_t reason;
		} abort;
	} u;
};

/*
 * Checks 4 and 5 of spec 12.1 on a decoded record: at least 68 octets,
 * magic KMR1, a known type, octet 5 zero, 68 + L within the record, and
 * after the body exactly one signature packet (framing only, no
 * cryptography). Fills r->h, body, sig. 0, or -1 with *why a phrase.
 */
int recon_record_frame(const uint8_t *data, size_t len,
    struct recon_record *r, const char **why);
/*
 * Check 9: the body is exactly as long as its fields imply and every
 * field is in the range the format allows (OFFER: k 128, 1 <= m <=
 * max_cells <= 2^20; MORE: lo < hi, hi - lo <= 16384; CELLS: the same
 * and the cells present; RESULT: WANT ids ascending, no repeats; ABORT: a
 * known reason). Limits of our configuration are the caller's. 0, or -1
 * with *why a phrase.
 */
int recon_record_body(struct recon_record *r, const char **why);
/* Verify the record's signature with the sender's key (check 7). */
enum pgp_status recon_record_verify(const struct recon_record *r,
    const struct pgp_key *sender, const char **why);

/*
 * Make a signed record: header h (h->len is set from blen), body, then
 * the signature by key made at h->time (spec 9.1). Appends to out.
 * Returns -1 if signing failed.
 */
int recon_record_make(struct recon_header *h, const uint8_t *body,
    size_t blen, const struct pgp_ed25519_signer *key, struct buf *out);

/* Body writers (spec 9.2), appending to b. */
void recon_body_offer(struct buf *b, const uint8_t salt[16], uint32_t n,
    uint32_t m, uint32_t max_cells, const int32_t tow[RECON_TOW_K],
    const struct recon_cell *cells);
void recon_body_more(struct buf *b, uint32_t lo, uint32_t hi, uint32_t d_est,
    uint32_t n);
void recon_body_cells(struct buf *b, uint32_t lo, uint32_t hi,
    const struct recon_cell *cells);
void recon_body_result(struct buf *b, uint32_t n, uint32_t cells,
    uint32_t r_only, const uint64_t *want, uint32_t w);
void recon_body_done(struct buf *b, uint32_t sent, uint32_t unknown,
    uint32_t skipped);
void recon_body_abort(struct buf *b, uint8_t reason);

/* ---- serverkey.c: the server key (spec 3) ---------------------------- */

struct recon_server_key {
	uint32_t created;
	struct pgp_ed25519_signer signer;	/* seed and fingerprint */
	uint8_t pub[32];			/* A */
	char fpr_hex[41];			/* 40 upper-case hex digits */
};

/*
 * Read the text of a server key file: exactly
 * "keymail-server-key 1\ncreated N\ned25519-seed HEX\n" (N decimal, HEX
 * 64 lower-case digits), and derive the public key and fingerprint.
 * 0, or -1 with *why a phrase.
 */
int recon_server_key_parse(const char *text, size_t len,
    struct recon_server_key *k, const char **why);
/* A key from a seed and its creation time (public part derived). */
int recon_server_key_make(const uint8_t seed[32], uint32_t created,
    struct recon_server_key *k);
/* The file's text for k. */
void recon_server_key_text(const struct recon_server_key *k, struct buf *out);
/* The public key packet body (spec 3.2): v4, created, algorithm 22, the
 * Ed25519 OID, MPI of 0x40 || A: 51 octets. */
size_t recon_server_key_packet(const struct recon_server_key *k,
    uint8_t out[64]);
/*
 * The transferable public key of spec 3.2: key packet, user ID "keymail
 * server key <address>", positive self-certification. The same octets
 * every time. Returns -1 if signing failed.
 */
int recon_server_key_public(const struct recon_server_key *k,
    const char *address, struct buf *out);
/* Wipe the secret. */
void recon_server_key_clear(struct recon_server_key *k);

#endif
