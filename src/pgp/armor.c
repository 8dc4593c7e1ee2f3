/*
 * pgp/armor.c - ASCII armor (RFC 9580 6, RFC 4880 6.2): find and decode
 * every armor block in a text, and write a PUBLIC KEY BLOCK or a MESSAGE.
 *
 * The text is untrusted (a mail body). We are liberal in what we read,
 * like mail-protocol.md 3.1 recommends, because keys arrive mangled by
 * mail clients and people:
 *  - BEGIN/END lines may have leading and trailing blanks and CRLF ends,
 *    and may be dash-escaped ("- -----BEGIN ...") as inside a clear-signed
 *    message; a BEGIN line may start with the ':' that GnuPG writes into
 *    its stored revocation certificates (openpgp-revocs.d); the BEGIN line of a clear-signed message itself
 *    ("SIGNED MESSAGE") starts no block, as cleartext follows it;
 *  - header lines ("Key: value") run to the first blank or blank-only
 *    line; a missing blank line is tolerated when the next line is
 *    clearly base64 (only base64 characters, no colon);
 *  - blank lines and blanks inside the base64 are skipped;
 *  - the CRC line ("=" and 4 characters) may be missing or wrong: we
 *    still decode and report crc_ok = false, and the caller decides;
 *  - a block without END line is decoded only if its CRC line is present
 *    and right (then nothing is missing); otherwise it is PGP_ERR_ARMOR.
 * Any other character in the base64 makes the block PGP_ERR_ARMOR: it was
 * damaged, and guessing would hand corrupt packets to the parser.
 *
 * pgp_base64_decode reads bare base64 (a key pasted without its armor
 * lines) by the same rules, minus headers and CRC: only base64
 * characters, blanks and line ends, '=' padding at the very end.
 *
 * Memory: decoded data goes to a buffer owned by pgp_armor_scan, valid
 * during the callback only; each block is bounded by max_out.
 */
#include <string.h>

#include "pgp/pgp.h"
#include "util/buf.h"

#define CRC24_INIT 0xb704ceu
#define CRC24_POLY 0x1864cfbu

uint32_t
pgp_crc24(const uint8_t *data, size_t len)
{
	uint32_t crc = CRC24_INIT;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= (uint32_t)data[i] << 16;
		for (b = 0; b < 8; b++) {
			crc <<= 1;
			if (crc & 0x1000000)
				crc ^= CRC24_POLY;
		}
	}
	return crc & 0xffffffu;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of a base64 character, -1 if not one. */
static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* A line of text with surrounding blanks trimmed. */
struct line {
	const char *p;
	size_t n;
};

/* Next line from *pos (LF-terminated, or the rest); trims blanks. */
static struct line
next_line(const char *text, size_t len, size_t *pos)
{
	struct line l;
	const char *s = text + *pos;
	const char *nl = memchr(s, '\n', len - *pos);
	size_t n = nl ? (size_t)(nl - s) : len - *pos;

	*pos += n + (nl ? 1 : 0);
	while (n > 0 && is_blank((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_blank((unsigned char)s[n - 1]))
		n--;
	l.p = s;
	l.n = n;
	return l;
}

/*
 * "-----BEGIN PGP <label>-----" or "-----END PGP <label>-----", maybe
 * dash-escaped. On a match *label gets the label.
 */
static int
armor_line(struct line l, const char *what, struct line *label)
{
	size_t wl = strlen(what);

	if (l.n >= 2 && l.p[0] == '-' && l.p[1] == ' ') {
		l.p += 2;	/* dash-escaped (clear-signed text) */
		l.n -= 2;
	}
	if (l.n < wl + 5 + 1 || memcmp(l.p, what, wl) != 0 ||
	    memcmp(l.p + l.n - 5, "-----", 5) != 0)
		return 0;
	label->p = l.p + wl;
	label->n = l.n - wl - 5;
	return 1;
}

static int
is_begin(struct line l, struct line *label)
{
	/* GnuPG's openpgp-revocs.d/ *.rev files put a ':' in front of the
	 * BEGIN line so that the certificate is not imported by accident.
	 * Mailing it to a keyserver with ADD is no accident (README, "Key
	 * policy"), so the ':' is read past. */
	if (l.n > 0 && l.p[0] == ':') {
		l.p++;
		l.n--;
	}
	return armor_line(l, "-----BEGIN PGP ", label);
}

static int
is_end(struct line l)
{
	struct line label;

	return armor_line(l, "-----END PGP ", &label);
}

static int
label_is(struct line label, const char *s)
{
	return label.n == strlen(s) && memcmp(label.p, s, label.n) == 0;
}

static enum pgp_armor_kind
label_kind(struct line label)
{
	if (label_is(label, "PUBLIC KEY BLOCK"))
		return PGP_ARMOR_PUBLIC_KEY;
	if (label_is(label, "PRIVATE KEY BLOCK") ||
	    label_is(label, "SECRET KEY BLOCK"))
		return PGP_ARMOR_PRIVATE_KEY;
	return PGP_ARMOR_OTHER;
}

/* Only base64 characters (and '=' padding at the end) and blanks, no
 * colon: "clearly base64" in the header section. */
static int
looks_base64(struct line l)
{
	size_t i;

	for (i = 0; i < l.n; i++) {
		unsigned char c = (unsigned char)l.p[i];

		if (b64val(c) < 0 && c != '=' && !is_blank(c))
			return 0;
	}
	return l.n > 0;
}

/* Incremental base64 decoder state for one block. */
struct dec {
	struct buf *out;
	uint32_t acc;
	int nacc;		/* characters in acc (0..3) */
	int npad;		/* '=' seen */
	size_t nchars;		/* data characters seen */
	int bad;		/* invalid character or sequence */
	int over;		/* max_out exceeded */
};

static void
dec_emit(struct dec *d, const uint8_t *p, size_t n)
{
	if (d->over)
		return;
	if (buf_append(d->out, p, n) < 0)
		d->over = 1;
}

static void
dec_char(struct dec *d, unsigned char c)
{
	int v;
	uint8_t o[3];

	if (is_blank(c))
		return;
	if (c == '=') {
		/* padding: only after 2 or 3 characters of a quantum */
		if (d->nacc < 2 || d->nacc + d->npad >= 4) {
			d->bad = 1;
			return;
		}
		d->npad++;
		return;
	}
	v = b64val(c);
	if (v < 0 || d->npad > 0) {
		d->bad = 1;	/* junk, or data after the padding */
		return;
	}
	d->nchars++;
	d->acc = (d->acc << 6) | (uint32_t)v;
	if (++d->nacc == 4) {
		o[0] = (uint8_t)(d->acc >> 16);
		o[1] = (uint8_t)(d->acc >> 8);
		o[2] = (uint8_t)d->acc;
		dec_emit(d, o, 3);
		d->acc = 0;
		d->nacc = 0;
	}
}

/* Flush a final partial quantum (padded or not). */
static void
dec_finish(struct dec *d)
{
	uint8_t o[2];

	switch (d->nacc) {
	case 0:
		break;
	case 1:
		d->bad = 1;	/* 6 bits cannot make an octet */
		break;
	case 2:
		o[0] = (uint8_t)(d->acc >> 4);
		dec_emit(d, o, 1);
		break;
	case 3:
		o[0] = (uint8_t)(d->acc >> 10);
		o[1] = (uint8_t)(d->acc >> 2);
		dec_emit(d, o, 2);
		break;
	}
	d->nacc = 0;
}

/* "=XXXX": 4 base64 characters giving 24 bits. */
static int
parse_crc(struct line l, uint32_t *crc)
{
	uint32_t v = 0;
	size_t i;
	int x;

	if (l.n != 5)
		return -1;
	for (i = 1; i < 5; i++) {
		if ((x = b64val((unsigned char)l.p[i])) < 0)
			return -1;
		v = (v << 6) | (uint32_t)x;
	}
	*crc = v;
	return 0;
}

/* Is the line made of '=' only? */
static int
all_pad(struct line l)
{
	size_t i;

	for (i = 0; i < l.n; i++)
		if (l.p[i] != '=' && !is_blank((unsigned char)l.p[i]))
			return 0;
	return 1;
}

/*
 * Read one block body, starting after its BEGIN line at *pos, up to and
 * including its END line (or up to, not including, a following BEGIN
 * line). Calls cb once. Returns cb's result.
 */
static int
read_block(const char *text, size_t len, size_t *pos, enum pgp_armor_kind kind,
    struct buf *out, pgp_armor_cb cb, void *ctx)
{
	enum { HEADERS, DATA, AFTER_CRC } state = HEADERS;
	struct dec d;
	struct line l, label;
	uint32_t crc = 0;
	int have_crc = 0, crc_bad = 0, ended = 0;
	size_t i, start;

	memset(&d, 0, sizeof(d));
	d.out = out;
	buf_reset(out);
	while (*pos < len) {
		start = *pos;
		l = next_line(text, len, pos);
		if (is_begin(l, &label)) {
			*pos = start;	/* unterminated block; rescan it */
			break;
		}
		if (is_end(l)) {
			ended = 1;
			break;
		}
		if (state == HEADERS) {
			if (l.n == 0) {
				state = DATA;
				continue;
			}
			if (memchr(l.p, ':', l.n) != NULL || !looks_base64(l))
				continue;	/* a header line */
			state = DATA;		/* no blank line before data */
		}
		if (state == AFTER_CRC || l.n == 0)
			continue;	/* blank lines, or junk after the CRC */
		if (l.p[0] == '=') {
			if (d.nacc >= 2 && all_pad(l)) {
				for (i = 0; i < l.n; i++)
					dec_char(&d, (unsigned char)l.p[i]);
				continue;	/* padding on its own line */
			}
			if (parse_crc(l, &crc) == 0)
				have_crc = 1;
			else
				crc_bad = 1;
			state = AFTER_CRC;
			continue;
		}
		for (i = 0; i < l.n && !d.bad; i++)
			dec_char(&d, (unsigned char)l.p[i]);
	}
	dec_finish(&d);
	if (d.bad || d.nchars == 0)
		return cb(ctx, kind, NULL, 0, false, PGP_ERR_ARMOR);
	if (d.over)
		return cb(ctx, kind, NULL, 0, false, PGP_ERR_LIMIT);
	if (have_crc && !crc_bad && pgp_crc24(out->data, out->len) == crc) {
		return cb(ctx, kind, out->data, out->len, true, PGP_OK);
	}
	if (!ended)
		return cb(ctx, kind, NULL, 0, false, PGP_ERR_ARMOR);
	return cb(ctx, kind, out->data, out->len, false, PGP_OK);
}

enum pgp_status
pgp_base64_decode(const char *text, size_t len, struct buf *out)
{
	struct dec d;
	size_t i;

	memset(&d, 0, sizeof(d));
	d.out = out;
	for (i = 0; i < len && !d.bad; i++)
		if (text[i] != '\n')
			dec_char(&d, (unsigned char)text[i]);
	if (!d.bad)
		dec_finish(&d);
	if (d.bad || d.nchars == 0)
		return PGP_ERR_ARMOR;
	return d.over ? PGP_ERR_LIMIT : PGP_OK;
}

size_t
pgp_armor_scan(const char *text, size_t len, size_t max_out,
    pgp_armor_cb cb, void *ctx)
{
	struct buf out;
	struct line l, label;
	size_t pos = 0, found = 0;

	buf_init(&out, max_out);
	while (pos < len) {
		l = next_line(text, len, &pos);
		if (!is_begin(l, &label))
			continue;
		if (label_is(label, "SIGNED MESSAGE"))
			continue;	/* cleartext follows, not base64 */
		found++;
		if (read_block(text, len, &pos, label_kind(label), &out, cb,
		    ctx) != 0)
			break;
	}
	buf_free(&out);
	return found;
}

/* Base64 of up to 3 octets into 4 characters, '=' padded. */
static void
b64_quantum(const uint8_t *p, size_t n, char q[4])
{
	uint32_t v = (uint32_t)p[0] << 16;

	if (n > 1)
		v |= (uint32_t)p[1] << 8;
	if (n > 2)
		v |= p[2];
	q[0] = b64chars[(v >> 18) & 63];
	q[1] = b64chars[(v >> 12) & 63];
	q[2] = n > 1 ? b64chars[(v >> 6) & 63] : '=';
	q[3] = n > 2 ? b64chars[v & 63] : '=';
}

/* pgp_armor_encode's fixed lines (label PUBLIC KEY BLOCK, with CRC). */
#define ARMOR_KEY_BEGIN	"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
#define ARMOR_KEY_END	"-----END PGP PUBLIC KEY BLOCK-----\n"

size_t
pgp_armor_size(size_t len)
{
	size_t last = len % 48;

	return sizeof(ARMOR_KEY_BEGIN) - 1 + len / 48 * 65 +
	    (last ? (last + 2) / 3 * 4 + 1 : 0) + 6 + sizeof(ARMOR_KEY_END) - 1;
}

/* BEGIN line with label, empty line, 64-column base64, CRC line if crc,
 * END line; LF line ends. out is left as it was when its cap is hit. */
static int
armor_encode(const char *label, const uint8_t *data, size_t len, bool crc,
    struct buf *out)
{
	size_t len0 = out->len, i, n;
	uint32_t sum = pgp_crc24(data, len);
	uint8_t c[3];
	char line[66], q[4];
	int rc = 0;

	rc |= buf_printf(out, "-----BEGIN PGP %s-----\n\n", label);
	for (i = 0; i < len && rc == 0; i += 48) {
		size_t k, chunk = len - i < 48 ? len - i : 48;

		n = 0;
		for (k = 0; k < chunk; k += 3) {
			b64_quantum(data + i + k, chunk - k < 3 ? chunk - k : 3,
			    q);
			memcpy(line + n, q, 4);
			n += 4;
		}
		line[n++] = '\n';
		rc |= buf_append(out, line, n);
	}
	if (crc) {
		c[0] = (uint8_t)(sum >> 16);
		c[1] = (uint8_t)(sum >> 8);
		c[2] = (uint8_t)sum;
		b64_quantum(c, 3, q);
		rc |= buf_putc(out, '=');
		rc |= buf_append(out, q, 4);
		rc |= buf_putc(out, '\n');
	}
	rc |= buf_printf(out, "-----END PGP %s-----\n", label);
	if (rc != 0) {
		out->len = len0;
		if (out->data != NULL)
			out->data[len0] = '\0';
		return -1;
	}
	return 0;
}

int
pgp_armor_encode(const uint8_t *data, size_t len, struct buf *out)
{
	return armor_encode("PUBLIC KEY BLOCK", data, len, true, out);
}

int
pgp_armor_encode_message(const uint8_t *data, size_t len, bool crc,
    struct buf *out)
{
	return armor_encode("MESSAGE", data, len, crc, out);
}
