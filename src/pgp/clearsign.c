/*
 * pgp/clearsign.c - take apart a cleartext signed message (RFC 9580 7);
 * see clearsign.h.
 *
 * DESCRIPTION
 *	A block is read line by line (LF or CRLF ends):
 *
 *	  -----BEGIN PGP SIGNED MESSAGE-----       blanks around it allowed
 *	  Hash: SHA256[,SHA512...]                 0 or more; nothing else
 *	  <empty line>                             (blanks only counts)
 *	  dash-escaped text                        "- " removed; a line
 *	                                           starting with any other
 *	                                           '-' is refused
 *	  -----BEGIN PGP SIGNATURE-----            (trailing blanks allowed)
 *	  Key: value                               unsigned headers, ignored
 *	  <empty line>
 *	  base64 lines, maybe "=XXXX"              CRC checked when present
 *	  -----END PGP SIGNATURE-----
 *
 *	Stricter than GnuPG where being lenient could change what was
 *	signed or hide it: header lines other than Hash, unescaped dash
 *	lines, junk inside the signature armor. Text before and after the
 *	block is not looked at.
 *
 *	Canonical text: GnuPG removes trailing " \t\r" from each line
 *	before hashing; RFC 9580 names spaces and tabs. A CR at the end of
 *	a line is the mail's line end (or invisible), so we remove it too.
 *
 * MEMORY
 *	out->text and out->sigs[i].pkt.body are malloc'd; everything else
 *	is borrowed from the input only during the call.
 *
 * SECURITY
 *	Untrusted text. The size bound is checked on every line before any
 *	work on it; the base64 and the packets are decoded by the pgp
 *	layer's bounds-checked readers.
 */
#include <stdlib.h>
#include <string.h>

#include "pgp/clearsign.h"
#include "pgp/internal.h"
#include "util/buf.h"
#include "util/rd.h"
#include "util/xalloc.h"

static const char begin_msg[] = "-----BEGIN PGP SIGNED MESSAGE-----";
static const char begin_sig[] = "-----BEGIN PGP SIGNATURE-----";
static const char end_sig[] = "-----END PGP SIGNATURE-----";

/* Text names of RFC 9580 table 23, as a Hash: header lists them. */
static const char *const hash_names[] = {
	"MD5", "SHA1", "RIPEMD160", "SHA256", "SHA384", "SHA512", "SHA224",
	"SHA3-256", "SHA3-512",
};

struct line {
	const char *p;		/* start of the line */
	size_t n;		/* length without the LF */
	size_t end;		/* offset just past the LF (or the text end) */
};

/* The line starting at pos (pos < len). */
static struct line
line_at(const char *text, size_t len, size_t pos)
{
	struct line l;
	const char *nl = memchr(text + pos, '\n', len - pos);

	l.p = text + pos;
	l.n = nl ? (size_t)(nl - l.p) : len - pos;
	l.end = pos + l.n + (nl ? 1 : 0);
	return l;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Length without trailing spaces, tabs and CRs. */
static size_t
rtrim(const char *p, size_t n)
{
	while (n > 0 && is_ws(p[n - 1]))
		n--;
	return n;
}

static bool
is_empty(struct line l)
{
	return rtrim(l.p, l.n) == 0;
}

/* The line, trailing blanks aside (and leading ones too if lead), is s. */
static bool
line_is(struct line l, const char *s, bool lead)
{
	const char *p = l.p;
	size_t n = rtrim(l.p, l.n), sl = strlen(s);

	while (lead && n > 0 && is_ws(*p)) {
		p++;
		n--;
	}
	return n == sl && memcmp(p, s, sl) == 0;
}

size_t
pgp_clearsign_count(const char *text, size_t len)
{
	size_t pos = 0, count = 0;
	struct line l;

	while (pos < len) {
		l = line_at(text, len, pos);
		if (line_is(l, begin_msg, true))
			count++;
		pos = l.end;
	}
	return count;
}

/* "Hash: " + comma-separated hash names (blanks after commas allowed). */
static bool
hash_header_ok(struct line l)
{
	const char *p = l.p, *end = l.p + rtrim(l.p, l.n), *comma;
	size_t i, n;

	if ((size_t)(end - p) < 6 || memcmp(p, "Hash: ", 6) != 0)
		return false;
	p += 6;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		comma = memchr(p, ',', (size_t)(end - p));
		n = rtrim(p, (size_t)((comma ? comma : end) - p));
		for (i = 0; i < sizeof(hash_names) / sizeof(hash_names[0]); i++)
			if (n == strlen(hash_names[i]) &&
			    memcmp(p, hash_names[i], n) == 0)
				break;
		if (i == sizeof(hash_names) / sizeof(hash_names[0]))
			return false;
		if (comma == NULL)
			return true;
		p = comma + 1;
	}
}

static bool
is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/* A data line: base64 characters only (blanks trimmed). */
static bool
b64_line(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_b64(p[i]))
			return false;
	return n > 0;
}

/* "=XXXX" -> 24-bit value. */
static bool
crc_line(const char *p, size_t n, uint32_t *crc)
{
	struct buf b;
	bool ok;

	if (n != 5 || p[0] != '=')
		return false;
	buf_init(&b, 3);
	ok = pgp_base64_decode(p + 1, 4, &b) == PGP_OK && b.len == 3;
	if (ok)
		*crc = (uint32_t)b.data[0] << 16 | (uint32_t)b.data[1] << 8 |
		    b.data[2];
	buf_free(&b);
	return ok;
}

/* Parse state shared by the steps below. */
struct cs {
	const char *text;
	size_t len;
	size_t start;		/* offset of the BEGIN line */
	size_t pos;		/* offset of the next line */
	size_t max;
	const char *why;
};

/* Next line, or false at the end of the text or past the bound. */
static bool
next(struct cs *c, struct line *l, enum pgp_cs_status *st)
{
	if (c->pos >= c->len) {
		*st = PGP_CS_MALFORMED;
		c->why = "the signed message ends before its signature";
		return false;
	}
	*l = line_at(c->text, c->len, c->pos);
	if (c->max != 0 && l->end - c->start > c->max) {
		*st = PGP_CS_LIMIT;
		c->why = "signed message too large";
		return false;
	}
	c->pos = l->end;
	return true;
}

static enum pgp_cs_status
read_headers(struct cs *c, struct pgp_clearsign *out)
{
	enum pgp_cs_status st = PGP_CS_OK;
	struct line l;

	while (next(c, &l, &st)) {
		if (is_empty(l))
			return PGP_CS_OK;
		if (!hash_header_ok(l)) {
			c->why = "armor header other than Hash:";
			return PGP_CS_HEADER;
		}
		out->nhash_headers++;
	}
	return st;
}

static enum pgp_cs_status
read_text(struct cs *c, struct buf *text)
{
	enum pgp_cs_status st = PGP_CS_OK;
	struct line l;
	const char *p;
	size_t n;
	bool first = true;

	while (next(c, &l, &st)) {
		p = l.p;
		n = l.n;
		if (n > 0 && p[0] == '-') {
			if (line_is(l, begin_sig, false))
				return PGP_CS_OK;
			if (n < 2 || p[1] != ' ') {
				c->why = "a line starting with '-' is not "
				    "dash-escaped";
				return PGP_CS_MALFORMED;
			}
			p += 2;
			n -= 2;
		}
		if (!first)
			(void)buf_append(text, "\r\n", 2);
		(void)buf_append(text, p, rtrim(p, n));
		first = false;
	}
	return st;
}

/* The signature armor after its BEGIN line: headers, base64, CRC, END.
 * The base64 goes to b64 (one line each, LF-separated). */
static enum pgp_cs_status
read_armor(struct cs *c, struct buf *b64, bool *have_crc, uint32_t *crc)
{
	enum pgp_cs_status st = PGP_CS_OK;
	enum { HEADERS, DATA, AFTER_CRC } state = HEADERS;
	struct line l;
	const char *p;
	size_t n;

	while (next(c, &l, &st)) {
		if (line_is(l, end_sig, false))
			return b64->len > 0 ? PGP_CS_OK :
			    (c->why = "empty signature armor", PGP_CS_ARMOR);
		p = l.p;
		n = rtrim(l.p, l.n);
		while (n > 0 && is_ws(*p)) {
			p++;
			n--;
		}
		if (state == HEADERS) {
			if (n == 0) {
				state = DATA;
				continue;
			}
			if (memchr(p, ':', n) != NULL)
				continue;	/* Version:, Comment: ... */
			state = DATA;		/* no empty line: data */
		}
		if (n == 0)
			continue;
		if (state == DATA && p[0] == '=' && n == 5 &&
		    crc_line(p, n, crc)) {
			*have_crc = true;
			state = AFTER_CRC;
			continue;
		}
		if (state == AFTER_CRC || !b64_line(p, n)) {
			c->why = "junk in the signature armor";
			return PGP_CS_ARMOR;
		}
		(void)buf_append(b64, p, n);
		(void)buf_putc(b64, '\n');
	}
	if (st == PGP_CS_MALFORMED)
		c->why = "signature armor without END line";
	return st;
}

/* Split decoded signature data into parsed signature packets. */
static enum pgp_cs_status
read_packets(struct cs *c, const uint8_t *data, size_t len,
    struct pgp_clearsign *out)
{
	struct rd r;
	struct pgp_pkthdr h;
	struct pgp_sig *s;

	rd_init(&r, data, len);
	while (r.left > 0) {
		if (pgp_packet_next(&r, &h) != PGP_OK || h.partial ||
		    h.indeterminate) {
			c->why = "signature data is not packets";
			return PGP_CS_PACKETS;
		}
		if (h.tag != PGP_TAG_SIG) {
			c->why = "a packet other than a signature";
			return PGP_CS_PACKETS;
		}
		out->sigs = pgp_grow(out->sigs, out->nsigs, sizeof(*out->sigs));
		s = &out->sigs[out->nsigs++];
		memset(s, 0, sizeof(*s));
		s->pkt.tag = PGP_TAG_SIG;
		s->pkt.body = xmemdup(h.body, h.len);
		s->pkt.len = h.len;
		if (pgp_sig_parse(s) != PGP_OK ||
		    (s->version != 4 && s->version != 6)) {
			c->why = "signature packet malformed or not v4/v6";
			return PGP_CS_PACKETS;
		}
	}
	if (out->nsigs == 0) {
		c->why = "no signature packet";
		return PGP_CS_PACKETS;
	}
	return PGP_CS_OK;
}

enum pgp_cs_status
pgp_clearsign_parse(const char *text, size_t len, size_t max_size,
    struct pgp_clearsign *out, const char **why)
{
	struct cs c;
	struct line l;
	struct buf canon, b64, bin;
	enum pgp_cs_status st;
	bool have_crc = false;
	uint32_t crc = 0;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.text = text;
	c.len = len;
	c.max = max_size;
	c.why = "no signed message";
	for (c.pos = 0; c.pos < len; c.pos = l.end) {
		l = line_at(text, len, c.pos);
		if (line_is(l, begin_msg, true))
			break;
	}
	if (c.pos >= len) {
		if (why != NULL)
			*why = c.why;
		return PGP_CS_NONE;
	}
	c.start = c.pos;
	c.pos = l.end;
	buf_init(&canon, 0);
	buf_init(&b64, 0);
	buf_init(&bin, 0);
	if (max_size != 0 && l.end - c.start > max_size) {
		st = PGP_CS_LIMIT;
		c.why = "signed message too large";
	} else if ((st = read_headers(&c, out)) == PGP_CS_OK &&
	    (st = read_text(&c, &canon)) == PGP_CS_OK &&
	    (st = read_armor(&c, &b64, &have_crc, &crc)) == PGP_CS_OK) {
		if (pgp_base64_decode((const char *)b64.data, b64.len, &bin) !=
		    PGP_OK) {
			st = PGP_CS_ARMOR;
			c.why = "signature armor is not base64";
		} else if (have_crc && pgp_crc24(bin.data, bin.len) != crc) {
			st = PGP_CS_ARMOR;
			c.why = "signature armor checksum does not match";
		} else {
			st = read_packets(&c, bin.data, bin.len, out);
		}
	}
	buf_free(&b64);
	buf_free(&bin);
	if (st != PGP_CS_OK) {
		buf_free(&canon);
		pgp_clearsign_free(out);
		if (why != NULL)
			*why = c.why;
		return st;
	}
	out->crc_present = have_crc;
	out->block_len = c.pos - c.start;
	out->text = buf_detach(&canon, &out->text_len);
	if (why != NULL)
		*why = NULL;
	return PGP_CS_OK;
}

void
pgp_clearsign_free(struct pgp_clearsign *cs)
{
	size_t i;

	if (cs == NULL)
		return;
	for (i = 0; i < cs->nsigs; i++)
		pgp_sig_clear(&cs->sigs[i]);
	free(cs->sigs);
	free(cs->text);
	memset(cs, 0, sizeof(*cs));
}

const char *
pgp_clearsign_strerror(enum pgp_cs_status st)
{
	switch (st) {
	case PGP_CS_OK:
		return "ok";
	case PGP_CS_NONE:
		return "no signed message";
	case PGP_CS_LIMIT:
		return "signed message too large";
	case PGP_CS_HEADER:
		return "armor header other than Hash:";
	case PGP_CS_MALFORMED:
		return "malformed signed message";
	case PGP_CS_ARMOR:
		return "malformed signature armor";
	case PGP_CS_PACKETS:
		return "malformed signature packets";
	}
	return "malformed signed message";
}
