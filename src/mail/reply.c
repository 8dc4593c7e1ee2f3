/*
 * mail/reply.c - compose the robot's reply (RFC 5322 + MIME).
 *
 * DESCRIPTION
 *	mail_reply_build() writes a complete message with LF line ends:
 *	the headers of mail-protocol.md 2.1 "Rec" in a fixed order, then a
 *	multipart/mixed body with a text/plain intro and, if there is one,
 *	the result part (2.2 "Rec"). Header text that is not plain ASCII
 *	becomes RFC 2047 "B" encoded-words in UTF-8, each at most 75
 *	characters and never split inside a UTF-8 sequence; long values are
 *	folded so that header lines stay within 78 characters where the
 *	text allows and within 998 always. Body parts are 7bit when they
 *	are ASCII with short lines, quoted-printable otherwise.
 *	mail_incremental_build() writes a peer-sync "incremental" instead
 *	(mail-protocol.md 4.4): no MIME structure, the armor block as the
 *	whole 7-bit body, bare addresses only.
 *
 * MEMORY
 *	Appends to the caller's buffer; temporaries are freed before return.
 *	A buffer cap that would be passed makes the call return -1 (the
 *	buffer then holds a partial message and must not be sent).
 *
 * SECURITY
 *	Subject, To and In-Reply-To come from the request, so every header
 *	input is cleaned again here, whatever the caller did: controls (CR,
 *	LF, NUL, ...) are dropped, invalid UTF-8 becomes '?', addresses
 *	keep only addr-spec characters, and a message ID that is not a
 *	plain "<...>" is left out. The boundary and our Message-ID come from
 *	getrandom(2) (or /dev/urandom).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/utf8.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define HDR_FOLD	78	/* RFC 5322 2.1.1 "SHOULD" line length */
#define EW_MAX		75	/* RFC 2047 2: one encoded-word */
#define EW_LINE		76	/* RFC 2047 2: a line holding encoded-words */
#define QP_LINE		76	/* RFC 2045 6.7 (5) */
#define LINE_MAX_7BIT	998	/* RFC 5322 2.1.1 "MUST" */

static const char ew_open[] = "=?UTF-8?B?";
static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* ---- small helpers --------------------------------------------------- */

/* Column of the next byte appended to b (bytes since the last LF). */
static size_t
cur_col(const struct buf *b)
{
	size_t i = b->len;

	while (i > 0 && b->data[i - 1] != '\n')
		i--;
	return b->len - i;
}


/*
 * Header text, cleaned: controls dropped (TAB becomes a space), C1
 * controls dropped, invalid UTF-8 bytes become '?'. Cut to max bytes on
 * a character boundary when max > 0. Returns a malloc'd string.
 */
static char *
hdr_clean(const char *in, size_t max)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t len = strlen((const char *)s), i = 0, o = 0, n;
	char *r = xmalloc(len + 1);	/* output never grows */

	while (i < len) {
		n = utf8_seq_len(s + i, len - i);
		if (n == 0) {
			n = 1;
			if (max > 0 && o + 1 > max)
				break;
			r[o++] = '?';
		} else if ((n == 1 && s[i] != '\t' &&
		    (s[i] < 0x20 || s[i] == 0x7f)) ||
		    (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0))
			;	/* control: dropped */
		else {
			if (max > 0 && o + n > max)
				break;
			if (n == 1 && s[i] == '\t')
				r[o++] = ' ';
			else {
				memcpy(r + o, s + i, n);
				o += n;
			}
		}
		i += n;
	}
	r[o] = '\0';
	return r;
}

/* An address with everything that is not an addr-spec character gone,
 * so it can neither end the header nor add a recipient. */
static char *
addr_clean(const char *in)
{
	const char *s = in ? in : "";
	size_t n = 0;
	char *r = xmalloc(strlen(s) + 1);

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c > 0x20 && c < 0x7f && strchr("<>\"(),;:\\[]", c) == NULL)
			r[n++] = (char)c;
		if (n == 254)
			break;
	}
	r[n] = '\0';
	return r;
}

/* "<...>" of printable ASCII without blanks, short enough to keep the
 * References line under 998; anything else is dropped, not repaired. */
static int
msgid_ok(const char *s)
{
	size_t len, i;

	if (s == NULL)
		return 0;
	len = strlen(s);
	if (len < 3 || len > 900 || s[0] != '<' || s[len - 1] != '>')
		return 0;
	for (i = 1; i < len - 1; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '<' || s[i] == '>')
			return 0;
	return 1;
}

static void
rand_bytes(uint8_t *p, size_t n)
{
	static unsigned long counter;
	size_t got = 0;
	ssize_t r;
	int fd;

	while (got < n) {
		r = getrandom(p + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < n && (fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) != -1) {
		while (got < n) {
			r = read(fd, p + got, n - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		(void)close(fd);
	}
	if (got < n) {
		/* No kernel randomness at all: these values only need to be
		 * unique (Message-ID, boundary), so time, pid and a counter
		 * will do. */
		struct timespec ts;
		unsigned long x;

		(void)clock_gettime(CLOCK_REALTIME, &ts);
		x = (unsigned long)ts.tv_nsec ^ ((unsigned long)ts.tv_sec << 20) ^
		    ((unsigned long)getpid() << 8) ^ ++counter;
		for (; got < n; got++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			p[got] = (uint8_t)(x >> 33);
		}
	}
}

static void
rand_hex(char *dst, size_t nbytes)
{
	uint8_t r[32];
	size_t i;

	if (nbytes > sizeof(r))
		nbytes = sizeof(r);
	rand_bytes(r, nbytes);
	for (i = 0; i < nbytes; i++) {
		dst[2 * i] = "0123456789abcdef"[r[i] >> 4];
		dst[2 * i + 1] = "0123456789abcdef"[r[i] & 15];
	}
	dst[2 * nbytes] = '\0';
}

/* ---- header encoding ------------------------------------------------- */

static int
b64_put(struct buf *out, const unsigned char *s, size_t n)
{
	char q[4];
	size_t i;
	int bad = 0;

	for (i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = b64chars[(v >> 18) & 63];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64chars[v & 63] : '=';
		bad |= buf_append(out, q, 4);
	}
	return bad ? -1 : 0;
}

/*
 * s (valid UTF-8) as a run of encoded-words, starting at the current
 * column; each later word goes on its own folded line. Splits happen only
 * before a character start, so each word decodes to whole characters.
 */
static int
encode_words(struct buf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t col = cur_col(out), pos = 0;
	size_t over = sizeof(ew_open) - 1 + 2;	/* "=?UTF-8?B?" + "?=" */
	int bad = 0;

	while (pos < len) {
		size_t room, nb64, n;

		/* Each later word on a line of its own; the first one too
		 * if the header name left too little room. Never fold at
		 * the start of a line: that would make a blank line. */
		if ((pos > 0 || col + over + 8 > EW_LINE) && col > 1) {
			bad |= buf_puts(out, "\n ");
			col = 1;
		}
		room = EW_LINE - col;
		if (room > EW_MAX)
			room = EW_MAX;
		nb64 = (room - over) / 4;	/* base64 quads that fit */
		n = nb64 * 3;
		if (n >= len - pos)
			n = len - pos;
		else
			while (n > 0 && (u[pos + n] & 0xc0) == 0x80)
				n--;
		if (n == 0)	/* cannot happen with room >= 20; be safe */
			n = len - pos < 4 ? len - pos : 1;
		bad |= buf_puts(out, ew_open);
		bad |= b64_put(out, u + pos, n);
		bad |= buf_puts(out, "?=");
		col += over + (n + 2) / 3 * 4;
		pos += n;
	}
	return bad ? -1 : 0;
}

/*
 * Can the cleaned value go out as it is? Printable ASCII only, nothing
 * that a reader would take for an encoded-word, and no word too long to
 * fold.
 */
static int
plain_ok(const char *s)
{
	size_t word = 0;

	if (strstr(s, "=?") != NULL)
		return 0;
	for (; *s; s++) {
		if (*s < 0x20 || *s > 0x7e)
			return 0;
		word = *s == ' ' ? 0 : word + 1;
		if (word > HDR_FOLD - 10)
			return 0;
	}
	return 1;
}

/* Plain ASCII, folded at spaces before a line would pass HDR_FOLD. */
static int
fold_plain(struct buf *out, const char *s)
{
	size_t col = cur_col(out);
	int bad = 0, first = 1;

	for (;;) {
		const char *sp = strchr(s, ' ');
		size_t n = sp ? (size_t)(sp - s) : strlen(s);

		if (!first) {
			if (n > 0 && col + 1 + n > HDR_FOLD && col > 1) {
				bad |= buf_puts(out, "\n ");
				col = 1;
			} else {
				bad |= buf_putc(out, ' ');
				col++;
			}
		}
		first = 0;
		bad |= buf_append(out, s, n);
		col += n;
		if (sp == NULL)
			break;
		s = sp + 1;
	}
	return bad ? -1 : 0;
}

int
mail_header_encode(const char *value, struct buf *out)
{
	char *v = hdr_clean(value, 0);
	int rc;

	if (plain_ok(v))
		rc = fold_plain(out, v);
	else
		rc = encode_words(out, v, strlen(v));
	free(v);
	return rc;
}

/* A display name: a quoted-string if ASCII, encoded-words otherwise. */
static int
put_phrase(struct buf *out, const char *name)
{
	char *v = hdr_clean(name, 200);
	const char *s;
	int bad = 0, ascii = 1;

	for (s = v; *s; s++)
		if ((unsigned char)*s > 0x7e)
			ascii = 0;
	if (ascii && strstr(v, "=?") == NULL) {
		bad |= buf_putc(out, '"');
		for (s = v; *s; s++) {
			if (*s == '"' || *s == '\\')
				bad |= buf_putc(out, '\\');
			bad |= buf_putc(out, *s);
		}
		bad |= buf_putc(out, '"');
	} else
		bad |= encode_words(out, v, strlen(v));
	free(v);
	return bad ? -1 : 0;
}

static int
put_date_at(struct buf *out, time_t now);

static int
put_date(struct buf *out)
{
	return put_date_at(out, time(NULL));
}

static int
put_date_at(struct buf *out, time_t now)
{
	static const char *const wday[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const mon[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm tm;
	long off;
	char sign = '+';

	/* Names from our own tables: strftime's %a/%b follow the locale. */
	if (localtime_r(&now, &tm) == NULL)
		return -1;
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	return buf_printf(out, "Date: %s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld\n",
	    wday[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
	    off / 60, off % 60);
}

/* ---- body parts ------------------------------------------------------ */

/* 7bit is fine for ASCII text without NUL, bare CR or long lines. */
static int
is_7bit(const unsigned char *s, size_t len)
{
	size_t i, line = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '\n') {
			line = 0;
			continue;
		}
		if (c == '\r') {
			if (i + 1 < len && s[i + 1] == '\n')
				continue;
			return 0;
		}
		if ((c < 0x20 && c != '\t') || c > 0x7e)
			return 0;
		if (++line > LINE_MAX_7BIT)
			return 0;
	}
	return 1;
}

static int
put_7bit(struct buf *out, const unsigned char *s, size_t len)
{
	size_t i, start = 0;
	int bad = 0;

	/* Copy, turning CRLF into the LF we use everywhere. */
	for (i = 0; i < len; i++)
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
			bad |= buf_append(out, s + start, i - start);
			start = i + 1;
		}
	bad |= buf_append(out, s + start, len - start);
	return bad ? -1 : 0;
}

/* Is byte i the last one on its line (before LF, CRLF or the end)? */
static int
at_eol(const unsigned char *s, size_t len, size_t i)
{
	return i + 1 == len || s[i + 1] == '\n' ||
	    (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n');
}

/*
 * Quoted-printable (RFC 2045 6.7): LF and CRLF are hard line breaks;
 * '=', controls, bare CR and 8-bit bytes become =XX, as does blank space
 * at the end of a line; soft breaks keep every line within 76
 * characters. A line-initial "From " or "." is encoded too, so that
 * mbox writers and old MTAs leave the text alone.
 */
static int
put_qp(struct buf *out, const unsigned char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0;
	int bad = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];
		int lit;
		char tok[3];

		if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		if (c == '\n') {
			bad |= buf_putc(out, '\n');
			col = 0;
			continue;
		}
		lit = (c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !at_eol(s, len, i));
		if (col == 0 && (c == '.' || (c == 'F' && len - i >= 5 &&
		    memcmp(s + i, "From ", 5) == 0)))
			lit = 0;
		/* Leave room for the '=' of a soft break. */
		if (col + (lit ? 1 : 3) > QP_LINE - 1) {
			bad |= buf_puts(out, "=\n");
			col = 0;
			if (c == '.' || (c == 'F' && len - i >= 5 &&
			    memcmp(s + i, "From ", 5) == 0))
				lit = 0;
		}
		if (lit) {
			bad |= buf_putc(out, c);
			col++;
		} else {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			bad |= buf_append(out, tok, 3);
			col += 3;
		}
	}
	return bad ? -1 : 0;
}

/* A MIME type from the caller, kept to token characters; a malformed
 * one falls back to text/plain. */
static void
type_clean(char *dst, size_t dstlen, const char *type)
{
	size_t n = 0;
	const char *s;

	for (s = type ? type : ""; *s && n + 1 < dstlen; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("!#$&^_.+-/", c) != NULL)
			dst[n++] = (char)c;
		else if (c >= 'A' && c <= 'Z')
			dst[n++] = (char)(c - 'A' + 'a');
	}
	dst[n] = '\0';
	s = strchr(dst, '/');
	if (s == NULL || s == dst || s[1] == '\0' || strchr(s + 1, '/'))
		snprintf(dst, dstlen, "text/plain");
}

static int
put_part(struct buf *out, const char *bnd, const char *type,
    const char *charset, const unsigned char *data, size_t len)
{
	char t[128];
	int bad = 0, seven;

	type_clean(t, sizeof(t), type);
	seven = is_7bit(data, len);
	/* us-ascii only for text that is 7-bit (else it is not us-ascii) */
	if (charset == NULL || !seven || strcmp(charset, "us-ascii") != 0)
		charset = "utf-8";
	bad |= buf_printf(out, "--%s\nContent-Type: %s%s%s\n", bnd, t,
	    strncmp(t, "text/", 5) == 0 ? "; charset=" : "",
	    strncmp(t, "text/", 5) == 0 ? charset : "");
	/* Keys get a name and a description, so that mail clients show
	 * more than "<no description>" and offer a file name to save them
	 * under; inline, so that they are still shown in the message. */
	if (strcmp(t, "application/pgp-keys") == 0)
		bad |= buf_puts(out, "Content-Disposition: inline; filename=\"keys.asc\"\n"
		    "Content-Description: OpenPGP public keys\n");
	bad |= buf_printf(out, "Content-Transfer-Encoding: %s\n\n",
	    seven ? "7bit" : "quoted-printable");
	bad |= seven ? put_7bit(out, data, len) : put_qp(out, data, len);
	/* This LF is part of the next delimiter (RFC 2046 5.1.1), so a
	 * text ending in LF keeps it. */
	bad |= buf_putc(out, '\n');
	return bad ? -1 : 0;
}

/* ---- the reply ------------------------------------------------------- */

/* The right side of our Message-ID: the given domain, else the one of
 * from, reduced to letters, digits, dots and hyphens. */
static void
msgid_dom(const char *given, const char *from, char *dom, size_t domlen)
{
	const char *at = given && *given ? given :
	    (strchr(from, '@') ? strchr(from, '@') + 1 : "");
	size_t n = 0;

	for (; *at && n + 1 < domlen; at++)
		if ((*at >= 'a' && *at <= 'z') || (*at >= 'A' && *at <= 'Z') ||
		    (*at >= '0' && *at <= '9') || *at == '.' || *at == '-')
			dom[n++] = *at;
	dom[n] = '\0';
	if (n == 0)
		snprintf(dom, domlen, "localhost");
}

int
mail_reply_build(const struct mail_reply *r, struct buf *out)
{
	char *from = addr_clean(r->from), *to = addr_clean(r->to);
	char bnd[64], rnd[33], dom[256];
	const char *intro = r->intro ? r->intro : "";
	size_t tries;
	int bad = 0;

	msgid_dom(r->msgid_domain, from, dom, sizeof(dom));

	/* A boundary that occurs in a part would cut it short; with 128
	 * random bits this is paranoia, but cheap paranoia. */
	for (tries = 0; tries < 8; tries++) {
		rand_hex(rnd, 16);
		snprintf(bnd, sizeof(bnd), "=_km_%s", rnd);
		if (memmem(intro, strlen(intro), bnd, strlen(bnd)) == NULL &&
		    (r->body == NULL || memmem(r->body, r->body_len, bnd,
		    strlen(bnd)) == NULL))
			break;
	}

	bad |= buf_puts(out, "From: ");
	if (r->from_name != NULL && *r->from_name != '\0') {
		bad |= put_phrase(out, r->from_name);
		/* Fold before the address rather than pass 78. */
		bad |= buf_printf(out, "%s<%s>\n", cur_col(out) + strlen(from) +
		    3 > HDR_FOLD ? "\n " : " ", from);
	} else
		bad |= buf_printf(out, "%s\n", from);
	bad |= buf_printf(out, "To: %s\n", to);
	bad |= buf_puts(out, "Subject: ");
	bad |= mail_header_encode(r->subject, out);
	bad |= buf_putc(out, '\n');
	bad |= put_date(out);
	rand_hex(rnd, 16);
	bad |= buf_printf(out, "Message-ID: <%s@%s>\n", rnd, dom);
	if (msgid_ok(r->in_reply_to)) {
		bad |= buf_printf(out, "In-Reply-To: %s\n", r->in_reply_to);
		bad |= buf_printf(out, "References: %s\n", r->in_reply_to);
	}
	bad |= buf_puts(out, r->generated ? "Auto-Submitted: auto-generated\n" :
	    "Auto-Submitted: auto-replied\n");
	bad |= buf_puts(out, "Precedence: list\n");
	bad |= buf_printf(out, "X-Loop: %s\n", from);
	bad |= buf_puts(out, "MIME-Version: 1.0\n");
	/* Folded: on one line it would pass 78 characters. */
	bad |= buf_printf(out, "Content-Type: multipart/mixed;\n"
	    " boundary=\"%s\"\n", bnd);
	bad |= buf_putc(out, '\n');

	bad |= put_part(out, bnd, "text/plain", NULL,
	    (const unsigned char *)intro, strlen(intro));
	if (r->body != NULL)
		bad |= put_part(out, bnd, r->body_type ? r->body_type :
		    "text/plain", r->body_charset, (const unsigned char *)r->body,
		    r->body_len);
	bad |= buf_printf(out, "--%s--\n", bnd);

	free(from);
	free(to);
	return bad ? -1 : 0;
}

/* ---- incremental (peer sync) ------------------------------------------ */

/* Does the cleaned address a appear (case-insensitively) among v? */
static int
addr_in(char *const *v, size_t n, const char *a)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *c = addr_clean(v[i]);
		int same = strcasecmp(c, a) == 0;

		free(c);
		if (same)
			return 1;
	}
	return 0;
}

/* An armored block is sent as it is only if it is what peers parse:
 * 7-bit printable lines, LF ends, no CR (mail-protocol.md 4.4 point 4). */
static int
armor_ok(const char *s, size_t len)
{
	size_t i, line = 0;

	if (len == 0 || s[len - 1] != '\n')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') {
			line = 0;
			continue;
		}
		if (c < 0x20 || c > 0x7e || ++line > 76)
			return 0;
	}
	return 1;
}

/* A session ID as we write it: 16 lower-case hex digits. */
static bool
sid_ok(const char *sid)
{
	size_t i;

	for (i = 0; i < 16; i++)
		if (!((sid[i] >= '0' && sid[i] <= '9') ||
		    (sid[i] >= 'a' && sid[i] <= 'f')))
			return false;
	return sid[16] == '\0';
}

int
mail_incremental_build(const struct mail_incremental *m, struct buf *out)
{
	char *from = addr_clean(m->from), *to = addr_clean(m->to);
	char *site = addr_clean(m->this_site);
	char rnd[33], dom[256];
	size_t i;
	int bad = 0;

	if (*from == '\0' || *to == '\0' || *site == '\0' ||
	    m->armor == NULL || !armor_ok(m->armor, m->armor_len)) {
		free(from);
		free(to);
		free(site);
		return -1;
	}
	msgid_dom(m->msgid_domain, from, dom, sizeof(dom));

	/* The order and spelling of mail-protocol.md 4.4's recommended
	 * message. No display names: some peers compare whole values. */
	bad |= buf_printf(out, "From: %s\n", from);
	bad |= buf_printf(out, "To: %s\n", to);
	bad |= buf_puts(out, "Subject: incremental\n");
	bad |= put_date(out);
	rand_hex(rnd, 16);
	bad |= buf_printf(out, "Message-ID: <%s@%s>\n", rnd, dom);
	for (i = 0; i < m->nsent; i++) {
		char *a = addr_clean(m->sent[i]);

		/* Each value once, in trail order; nothing empty; ourselves
		 * last (below). */
		if (*a != '\0' && !addr_in(m->sent, i, a) && strcasecmp(a, site) != 0)
			bad |= buf_printf(out, "X-KeyServer-Sent: %s\n", a);
		free(a);
	}
	/* Always in the configured spelling: the spec adds this_site only
	 * if absent, but the trail we stored is lower-cased, and onak
	 * compares our entry with its syncsite list case and all. */
	bad |= buf_printf(out, "X-KeyServer-Sent: %s\n", site);
	bad |= buf_puts(out, "Precedence: list\n");
	bad |= buf_puts(out, "Auto-Submitted: auto-generated\n");
	if (m->recon_sid != NULL && sid_ok(m->recon_sid))
		bad |= buf_printf(out, "X-Keymail-Recon: %s\n", m->recon_sid);
	bad |= buf_puts(out, "MIME-Version: 1.0\n");
	bad |= buf_puts(out, "Content-Type: application/pgp-keys\n");
	bad |= buf_puts(out, "Content-Transfer-Encoding: 7bit\n");
	bad |= buf_putc(out, '\n');
	bad |= buf_append(out, m->armor, m->armor_len);

	free(from);
	free(to);
	free(site);
	return bad ? -1 : 0;
}

int
mail_recon_build(const struct mail_recon *m, struct buf *out)
{
	char *from = addr_clean(m->from), *to = addr_clean(m->to);
	char rnd[33], dom[256], line[80];
	const uint8_t *p = m->record;
	size_t i, col = 0;
	uint32_t v;
	int bad = 0;

	if (*from == '\0' || *to == '\0' || m->type == NULL ||
	    !plain_ok(m->type) || strchr(m->type, ' ') != NULL ||
	    m->sid == NULL || !sid_ok(m->sid) || m->record == NULL) {
		free(from);
		free(to);
		return -1;
	}
	msgid_dom(m->msgid_domain, from, dom, sizeof(dom));
	bad |= buf_printf(out, "From: %s\n", from);
	bad |= buf_printf(out, "To: %s\n", to);
	bad |= buf_printf(out, "Subject: RECON %s %s\n", m->type, m->sid);
	bad |= put_date_at(out, m->date);
	rand_hex(rnd, 16);
	bad |= buf_printf(out, "Message-ID: <%s@%s>\n", rnd, dom);
	bad |= buf_puts(out, "Auto-Submitted: auto-generated\n");
	bad |= buf_puts(out, "Precedence: list\n");
	bad |= buf_puts(out, "MIME-Version: 1.0\n");
	bad |= buf_puts(out, "Content-Type: " MAIL_RECON_TYPE "\n");
	bad |= buf_puts(out, "Content-Transfer-Encoding: base64\n");
	bad |= buf_putc(out, '\n');
	/* Base64, 76 characters a line (RFC 2045 6.8). */
	for (i = 0; i < m->len; i += 3) {
		size_t k = m->len - i < 3 ? m->len - i : 3;

		v = (uint32_t)p[i] << 16;
		if (k > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (k > 2)
			v |= p[i + 2];
		line[col++] = b64chars[v >> 18 & 63];
		line[col++] = b64chars[v >> 12 & 63];
		line[col++] = k > 1 ? b64chars[v >> 6 & 63] : '=';
		line[col++] = k > 2 ? b64chars[v & 63] : '=';
		if (col == 76 || i + 3 >= m->len) {
			line[col++] = '\n';
			bad |= buf_append(out, line, col);
			col = 0;
		}
	}
	free(from);
	free(to);
	return bad ? -1 : 0;
}
