/*
 * recon/record.c - the signed binary record every control mail carries
 * (spec 9): a 68-octet header, a body whose layout its type fixes, and
 * one OpenPGP signature packet over both.
 *
 * Reading is in two steps, in the order of the checks of spec 12.1: the
 * frame (checks 4 and 5, no cryptography) and, after the signature was
 * verified, the body (check 9). Every field is read through util/rd; the
 * body's length must be exactly what its fields imply.
 *
 * Untrusted input: everything given to recon_record_frame. A parsed
 * record points into that buffer and owns nothing.
 */
#include <string.h>
#include <strings.h>

#include "recon/recon.h"
#include "util/rd.h"

static const char *const type_names[] = {
	NULL, "OFFER", "MORE", "CELLS", "RESULT", "DONE", "ABORT",
};

static const char *const reason_names[] = {
	NULL, "busy", "too-large", "superseded", "timeout", "protocol", "limit",
};

const char *
recon_type_name(int type)
{
	return type >= RECON_OFFER && type <= RECON_ABORT ? type_names[type] :
	    NULL;
}

int
recon_type_parse(const char *word)
{
	int t;

	for (t = RECON_OFFER; word != NULL && t <= RECON_ABORT; t++)
		if (strcasecmp(word, type_names[t]) == 0)
			return t;
	return 0;
}

const char *
recon_reason_name(int reason)
{
	return reason >= RECON_BUSY && reason <= RECON_LIMIT ?
	    reason_names[reason] : NULL;
}

/* ---- writing ------------------------------------------------------------ */

static void
put_u16(struct buf *b, uint16_t v)
{
	uint8_t p[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	(void)buf_append(b, p, 2);
}

static void
put_u32(struct buf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	(void)buf_append(b, p, 4);
}

static void
put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

static void
put_cells(struct buf *b, const struct recon_cell *cells, size_t m)
{
	uint8_t w[RECON_CELL_OCTETS * 64];
	size_t i, k;

	for (i = 0; i < m; i += k) {
		k = m - i < 64 ? m - i : 64;
		recon_cells_put(w, cells + i, k);
		(void)buf_append(b, w, k * RECON_CELL_OCTETS);
	}
}

void
recon_body_offer(struct buf *b, const uint8_t salt[16], uint32_t n,
    uint32_t m, uint32_t max_cells, const int32_t tow[RECON_TOW_K],
    const struct recon_cell *cells)
{
	int j;

	(void)buf_append(b, salt, RECON_SALT_LEN);
	put_u32(b, n);
	put_u32(b, m);
	put_u32(b, max_cells);
	put_u16(b, RECON_TOW_K);
	for (j = 0; j < RECON_TOW_K; j++)
		put_u32(b, (uint32_t)tow[j]);
	put_cells(b, cells, m);
}

void
recon_body_more(struct buf *b, uint32_t lo, uint32_t hi, uint32_t d_est,
    uint32_t n)
{
	put_u32(b, lo);
	put_u32(b, hi);
	put_u32(b, d_est);
	put_u32(b, n);
}

void
recon_body_cells(struct buf *b, uint32_t lo, uint32_t hi,
    const struct recon_cell *cells)
{
	put_u32(b, lo);
	put_u32(b, hi);
	put_cells(b, cells, hi - lo);
}

void
recon_body_result(struct buf *b, uint32_t n, uint32_t cells, uint32_t r_only,
    const uint64_t *want, uint32_t w)
{
	uint32_t i;

	put_u32(b, n);
	put_u32(b, cells);
	put_u32(b, r_only);
	put_u32(b, w);
	for (i = 0; i < w; i++)
		put_u64(b, want[i]);
}

void
recon_body_done(struct buf *b, uint32_t sent, uint32_t unknown,
    uint32_t skipped)
{
	put_u32(b, sent);
	put_u32(b, unknown);
	put_u32(b, skipped);
}

void
recon_body_abort(struct buf *b, uint8_t reason)
{
	(void)buf_putc(b, reason);
}

int
recon_record_make(struct recon_header *h, const uint8_t *body, size_t blen,
    const struct pgp_ed25519_signer *key, struct buf *out)
{
	size_t start = out->len;

	if (blen > UINT32_MAX)
		return -1;
	h->len = (uint32_t)blen;
	(void)buf_append(out, "KMR1", 4);
	(void)buf_putc(out, h->type);
	(void)buf_putc(out, 0);
	put_u64(out, h->sid);
	put_u16(out, h->seq);
	put_u64(out, h->time);
	(void)buf_append(out, h->sender, 20);
	(void)buf_append(out, h->recipient, 20);
	put_u32(out, h->len);
	(void)buf_append(out, body, blen);
	if (out->len != start + RECON_HDR_LEN + blen)
		return -1;	/* out's cap */
	return pgp_sign_ed25519(key, PGP_SIG_BINARY, (uint32_t)h->time, -1,
	    out->data + start, out->len - start, out);
}

/* ---- reading ------------------------------------------------------------ */

static int
rd_u64(struct rd *r, uint64_t *v)
{
	uint32_t hi, lo;

	if (rd_u32(r, &hi) == -1 || rd_u32(r, &lo) == -1)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
recon_record_frame(const uint8_t *data, size_t len, struct recon_record *r,
    const char **why)
{
	struct rd rd;
	uint8_t magic[4], zero, tag;
	size_t rest, hdr, size;

	memset(r, 0, sizeof(*r));
	*why = NULL;
	if (len < RECON_HDR_LEN) {
		*why = "record shorter than its header";
		return -1;
	}
	r->data = data;
	rd_init(&rd, data, len);
	(void)rd_copy(&rd, magic, 4);
	(void)rd_u8(&rd, &r->h.type);
	(void)rd_u8(&rd, &zero);
	(void)rd_u64(&rd, &r->h.sid);
	(void)rd_u16(&rd, &r->h.seq);
	(void)rd_u64(&rd, &r->h.time);
	(void)rd_copy(&rd, r->h.sender, 20);
	(void)rd_copy(&rd, r->h.recipient, 20);
	(void)rd_u32(&rd, &r->h.len);
	if (memcmp(magic, "KMR1", 4) != 0) {
		*why = "no KMR1 magic";
		return -1;
	}
	if (recon_type_name(r->h.type) == NULL) {
		*why = "unknown record type";
		return -1;
	}
	if (zero != 0) {
		*why = "header octet 5 is not 0";
		return -1;
	}
	if (rd_bytes(&rd, r->h.len, &r->body) == -1) {
		*why = "body runs past the end of the record";
		return -1;
	}
	r->signed_len = RECON_HDR_LEN + (size_t)r->h.len;
	rest = len - r->signed_len;
	if (rest == 0 || pgp_packet_span(data + r->signed_len, rest, &tag,
	    &hdr, &size) != PGP_OK || tag != PGP_TAG_SIG || size != rest) {
		*why = "what follows the body is not exactly one signature packet";
		return -1;
	}
	r->sig = data + r->signed_len;
	r->siglen = rest;
	return 0;
}

static int
bad(const char **why, const char *w)
{
	*why = w;
	return -1;
}

int
recon_record_body(struct recon_record *r, const char **why)
{
	struct rd rd;
	uint32_t i, v, ncells;
	uint64_t prev = 0, id;
	uint16_t k;
	const uint8_t *p;

	*why = NULL;
	rd_init(&rd, r->body, r->h.len);
	switch (r->h.type) {
	case RECON_OFFER:
		if (rd_copy(&rd, r->u.offer.salt, RECON_SALT_LEN) == -1 ||
		    rd_u32(&rd, &r->u.offer.n) == -1 ||
		    rd_u32(&rd, &r->u.offer.m) == -1 ||
		    rd_u32(&rd, &r->u.offer.max_cells) == -1 ||
		    rd_u16(&rd, &k) == -1)
			return bad(why, "OFFER body too short");
		r->u.offer.k = k;
		if (k != RECON_TOW_K)
			return bad(why, "OFFER with other than 128 counters");
		if (r->u.offer.m == 0 || r->u.offer.m > r->u.offer.max_cells ||
		    r->u.offer.max_cells > RECON_PREFIX_MAX)
			return bad(why, "OFFER cell counts out of range");
		for (i = 0; i < RECON_TOW_K; i++) {
			if (rd_u32(&rd, &v) == -1)
				return bad(why, "OFFER body too short");
			r->u.offer.tow[i] = (int32_t)v;
		}
		if (rd.left != (size_t)r->u.offer.m * RECON_CELL_OCTETS)
			return bad(why, "OFFER body length does not match m");
		r->u.offer.cells = rd.p;
		return 0;
	case RECON_MORE:
		if (r->h.len != 16)
			return bad(why, "MORE body is not 16 octets");
		(void)rd_u32(&rd, &r->u.more.lo);
		(void)rd_u32(&rd, &r->u.more.hi);
		(void)rd_u32(&rd, &r->u.more.d_est);
		(void)rd_u32(&rd, &r->u.more.n);
		if (r->u.more.lo >= r->u.more.hi ||
		    r->u.more.hi > RECON_PREFIX_MAX ||
		    r->u.more.hi - r->u.more.lo > RECON_CELLS_PER_RECORD)
			return bad(why, "MORE range out of bounds");
		return 0;
	case RECON_CELLS:
		if (rd_u32(&rd, &r->u.cells.lo) == -1 ||
		    rd_u32(&rd, &r->u.cells.hi) == -1)
			return bad(why, "CELLS body too short");
		if (r->u.cells.lo >= r->u.cells.hi ||
		    r->u.cells.hi > RECON_PREFIX_MAX ||
		    r->u.cells.hi - r->u.cells.lo > RECON_CELLS_PER_RECORD)
			return bad(why, "CELLS range out of bounds");
		ncells = r->u.cells.hi - r->u.cells.lo;
		if (rd.left != (size_t)ncells * RECON_CELL_OCTETS)
			return bad(why, "CELLS body length does not match the range");
		r->u.cells.cells = rd.p;
		return 0;
	case RECON_RESULT:
		if (rd_u32(&rd, &r->u.result.n) == -1 ||
		    rd_u32(&rd, &r->u.result.cells) == -1 ||
		    rd_u32(&rd, &r->u.result.r_only) == -1 ||
		    rd_u32(&rd, &r->u.result.w) == -1)
			return bad(why, "RESULT body too short");
		if (rd.left / 8 != r->u.result.w || rd.left % 8 != 0)
			return bad(why, "RESULT body length does not match w");
		if (r->u.result.cells == 0 ||
		    r->u.result.cells > RECON_PREFIX_MAX)
			return bad(why, "RESULT cell count out of range");
		r->u.result.want = rd.p;
		for (i = 0, p = rd.p; i < r->u.result.w; i++, p += 8) {
			int b;

			for (id = 0, b = 0; b < 8; b++)
				id = id << 8 | p[b];
			if (i > 0 && id <= prev)
				return bad(why, "RESULT WANT ids not ascending");
			prev = id;
		}
		return 0;
	case RECON_DONE:
		if (r->h.len != 12)
			return bad(why, "DONE body is not 12 octets");
		(void)rd_u32(&rd, &r->u.done.sent);
		(void)rd_u32(&rd, &r->u.done.unknown);
		(void)rd_u32(&rd, &r->u.done.skipped);
		return 0;
	case RECON_ABORT:
		if (r->h.len != 1)
			return bad(why, "ABORT body is not 1 octet");
		(void)rd_u8(&rd, &r->u.abort.reason);
		if (recon_reason_name(r->u.abort.reason) == NULL)
			return bad(why, "ABORT with an unknown reason");
		return 0;
	default:
		return bad(why, "unknown record type");
	}
}

enum pgp_status
recon_record_verify(const struct recon_record *r, const struct pgp_key *sender,
    const char **why)
{
	return pgp_verify_binary(sender, r->data, r->signed_len, r->sig,
	    r->siglen, NULL, why);
}
