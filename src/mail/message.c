/*
 * mail/message.c - read one request mail into struct mail_msg.
 *
 * DESCRIPTION
 *	mail_parse() takes the raw bytes the MTA piped to us (an optional
 *	mbox "From " line, LF or CRLF line ends) and fills struct mail_msg:
 *	the few header fields the robot acts on, reduced to safe strings, and
 *	the decoded body parts that may carry keys.
 *
 *	The header block is read by our own line scanner rather than by
 *	libetpan's mailimf_fields_parse(): we must count lines, line lengths
 *	and header bytes while reading, before anything is built, and we
 *	want the Postfix rule that a line which is not a header ends the
 *	header block. The MIME tree is walked here too, for the same reason:
 *	libetpan's mailmime_parse() builds the whole tree before we could
 *	check its depth or count a single part. libetpan does the
 *	parts that are easy to get wrong: address lists (mailimf), Content-
 *	Type and Content-Disposition values, transfer decoding
 *	(mailmime_part_parse) and RFC 2047 words (mailmime_encoded_phrase_parse).
 *	This is the only file that includes libetpan headers.
 *
 * MEMORY
 *	Everything in struct mail_msg is malloc'd and owned by it;
 *	mail_msg_free() releases it and may be called after any return of
 *	mail_parse(), including errors. Every libetpan object is freed before
 *	the function that made it returns.
 *
 * SECURITY
 *	The whole input is untrusted. Limits (struct mail_limits) are checked
 *	before the work they bound (a part is decoded before its size is
 *	added up, but decoding never makes data larger). libetpan only ever
 *	sees private, zero-padded copies. Strings handed out contain no CR, LF, NUL
 *	or other C0 control; addresses are bare addr-specs of printable ASCII
 *	without blanks or <>"(),;:\[], at most KM_MAX_ADDRESS bytes, and never
 *	start with '-' (they end up in a mailer's argv).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "util/utf8.h"
#include "mail/mail.h"
#include "util/limits.h"
#include "util/xalloc.h"

/* One header field, unfolded. value points into our own copy. */
struct hfield {
	const char *name;	/* into the raw message, not NUL-terminated */
	size_t namelen;
	char *value;		/* malloc'd, NUL-terminated; may contain controls */
	size_t vlen;
};

struct hblock {
	struct hfield *f;
	size_t n;
	size_t alloc;
};

/* State of one MIME walk. */
struct walk {
	const struct mail_limits *lim;
	struct mail_msg *out;
	size_t nentities;	/* MIME entities seen below the top level */
	size_t decoded;		/* bytes of decoded parts kept so far */
	size_t palloc;
	char *err;
	size_t errlen;
};

static const struct mail_limits default_limits = {
	.max_message_size = KM_MAX_MESSAGE_SIZE,
	.max_header_line = KM_MAX_HEADER_LINE,
	.max_header_size = KM_MAX_HEADER_SIZE,
	.max_headers = KM_MAX_HEADERS,
	.max_subject = KM_MAX_SUBJECT,
	.max_mime_depth = KM_MAX_MIME_DEPTH,
	.max_mime_parts = KM_MAX_MIME_PARTS,
	.max_decoded_size = KM_MAX_DECODED_SIZE,
};

const char *
mail_strerror(enum mail_status st)
{
	switch (st) {
	case MAIL_OK:
		return "no error";
	case MAIL_ERR_SIZE:
		return "message too large";
	case MAIL_ERR_HEADERS:
		return "too many or too long header lines";
	case MAIL_ERR_MIME:
		return "MIME structure over a limit (depth, parts or decoded size)";
	case MAIL_ERR_PARSE:
		return "not a readable mail message";
	}
	return "unknown mail error";
}

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* C0 controls and DEL; TAB counts, since values are folded to spaces. */
static int
is_ctl(int c)
{
	return (c >= 0 && c < 0x20) || c == 0x7f;
}

/* ---- header block ---------------------------------------------------- */

static void
hblock_free(struct hblock *hb)
{
	size_t i;

	for (i = 0; i < hb->n; i++)
		free(hb->f[i].value);
	free(hb->f);
	memset(hb, 0, sizeof(*hb));
}

/*
 * A header line is "name:" with name made of printable ASCII other than
 * ':' (obsolete syntax allows blanks before the colon). Anything else in
 * the header block ends it, as Postfix's cleanup does: the line belongs
 * to the body. Returns the length of the name, 0 if not a header.
 */
static size_t
header_name(const char *p, size_t len, size_t *colon)
{
	size_t i = 0, n;

	while (i < len && p[i] > 0x20 && p[i] < 0x7f && p[i] != ':')
		i++;
	n = i;
	if (n == 0)
		return 0;
	while (i < len && is_wsp((unsigned char)p[i]))
		i++;
	if (i >= len || p[i] != ':')
		return 0;
	*colon = i;
	return n;
}

static void
value_append(struct hfield *f, const char *p, size_t n)
{
	f->value = xrealloc(f->value, f->vlen + n + 1);
	memcpy(f->value + f->vlen, p, n);
	f->vlen += n;
	f->value[f->vlen] = '\0';
}

/*
 * Read the header block of the entity at p[0..len). Limits are checked
 * line by line, before the line is stored. *body_off is where the body
 * starts: after the blank line, at the first non-header line, or at len
 * if the headers run to the end (then there is no body). On a limit
 * error hb keeps the fields read so far.
 */
static enum mail_status
scan_headers(const char *p, size_t len, const struct mail_limits *lim,
    const char *what, struct hblock *hb, size_t *body_off, char *err,
    size_t errlen)
{
	size_t pos = 0, total = 0, nfields = 0;

	*body_off = len;
	while (pos < len) {
		const char *eol = memchr(p + pos, '\n', len - pos);
		size_t next = eol ? (size_t)(eol - p) + 1 : len;
		size_t linelen = (eol ? (size_t)(eol - p) : len) - pos;
		size_t namelen, colon = 0, v;
		struct hfield *f;

		if (linelen > 0 && p[pos + linelen - 1] == '\r')
			linelen--;
		if (linelen == 0) {
			*body_off = next;
			return MAIL_OK;
		}
		if (linelen > lim->max_header_line) {
			seterr(err, errlen, "%s has a header line of over %zu "
			    "bytes (max_header_line)", what,
			    lim->max_header_line);
			return MAIL_ERR_HEADERS;
		}
		total += next - pos;
		if (total > lim->max_header_size) {
			seterr(err, errlen, "%s has over %zu bytes of headers "
			    "(max_header_size)", what, lim->max_header_size);
			return MAIL_ERR_HEADERS;
		}
		if (is_wsp((unsigned char)p[pos])) {
			/* Unfolding removes only the line break; the
			 * leading blank stays. A continuation with nothing
			 * to continue is dropped. */
			if (hb->n > 0)
				value_append(&hb->f[hb->n - 1], p + pos,
				    linelen);
			pos = next;
			continue;
		}
		namelen = header_name(p + pos, linelen, &colon);
		if (namelen == 0) {
			*body_off = pos;
			return MAIL_OK;
		}
		if (++nfields > lim->max_headers) {
			seterr(err, errlen, "%s has over %zu header fields "
			    "(max_headers)", what, lim->max_headers);
			return MAIL_ERR_HEADERS;
		}
		if (hb->n == hb->alloc) {
			hb->alloc = hb->alloc ? hb->alloc * 2 : 16;
			hb->f = xreallocarray(hb->f, hb->alloc, sizeof(*hb->f));
		}
		f = &hb->f[hb->n++];
		f->name = p + pos;
		f->namelen = namelen;
		f->value = NULL;
		f->vlen = 0;
		v = colon + 1;
		while (v < linelen && is_wsp((unsigned char)p[pos + v]))
			v++;
		value_append(f, p + pos + v, linelen - v);
		pos = next;
	}
	return MAIL_OK;
}

static int
field_is(const struct hfield *f, const char *name)
{
	return strlen(name) == f->namelen &&
	    strncasecmp(f->name, name, f->namelen) == 0;
}

/* The last field with this name, or NULL. */
static const struct hfield *
field_last(const struct hblock *hb, const char *name)
{
	size_t i;

	for (i = hb->n; i > 0; i--)
		if (field_is(&hb->f[i - 1], name))
			return &hb->f[i - 1];
	return NULL;
}

/* A copy of the value with every control byte (NUL, CR, TAB, ...) made a
 * space, so libetpan's C-string helpers cannot be cut short or confused. */
static char *
value_clean(const struct hfield *f)
{
	/* Zero padding past the NUL: a margin for parsers that look one
	 * byte too far (see decode_body). */
	char *s = xcalloc(f->vlen + 16, 1);
	size_t i;

	memcpy(s, f->value, f->vlen);

	for (i = 0; i < f->vlen; i++)
		if (is_ctl((unsigned char)s[i]))
			s[i] = ' ';
	return s;
}

/* Trimmed view of s[0..len). */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* First word of a value (letters, digits, '-'), for Precedence and
 * Auto-Submitted, whose values may carry comments and parameters. */
static int
first_word_is(const struct hfield *f, const char *word)
{
	const char *s = f->value;
	size_t len = f->vlen, n = 0;

	trim(&s, &len);
	while (n < len && (isalnum((unsigned char)s[n]) || s[n] == '-'))
		n++;
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/* ---- text normalization ---------------------------------------------- */


/*
 * Make display text safe: invalid UTF-8 bytes become '?', C0/C1 controls
 * go (CR, LF, TAB and friends count as blanks), blank runs become one
 * space, and the ends are trimmed. If max > 0 the result is cut to at
 * most max bytes on a character boundary and *cut is set.
 */
static char *
text_normalize(const char *in, size_t len, size_t max, bool *cut)
{
	const unsigned char *s = (const unsigned char *)in;
	/* The output is never longer than the input: one '?' per bad
	 * byte, controls dropped, blank runs shortened. */
	char *r = xmalloc(len + 1);
	size_t i = 0, o = 0;
	bool blank = false;

	if (cut)
		*cut = false;
	while (i < len) {
		size_t n = utf8_seq_len(s + i, len - i);

		if (n == 1 && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) {
			blank = true;
			i++;
			continue;
		}
		if ((n == 1 && is_ctl(s[i])) ||
		    (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)) {
			i += n;		/* control: dropped */
			continue;
		}
		if (blank && o > 0)
			r[o++] = ' ';
		blank = false;
		if (n == 0) {
			r[o++] = '?';	/* not UTF-8 */
			i++;
			continue;
		}
		memcpy(r + o, s + i, n);
		o += n;
		i += n;
	}
	if (max > 0 && o > max) {
		/* Back up to the start of a character, then drop the
		 * blank the cut may have left at the end. */
		o = max;
		while (o > 0 && ((unsigned char)r[o] & 0xc0) == 0x80)
			o--;
		while (o > 0 && r[o - 1] == ' ')
			o--;
		if (cut)
			*cut = true;
	}
	r[o] = '\0';
	return r;
}

/*
 * Subject: RFC 2047 words decoded into UTF-8 by libetpan, then
 * normalized. If libetpan refuses the phrase, the raw text is used: a
 * Subject we cannot decode is still better than none for the reply.
 */
static char *
subject_decode(const struct hfield *f, size_t max, bool *cut)
{
	char *clean = value_clean(f), *dec = NULL, *res;
	size_t idx = 0;

	if (mailmime_encoded_phrase_parse("utf-8", clean, f->vlen, &idx,
	    "utf-8", &dec) != MAILIMF_NO_ERROR || dec == NULL) {
		free(dec);
		dec = NULL;
	}
	if (dec != NULL)
		res = text_normalize(dec, strlen(dec), max, cut);
	else
		res = text_normalize(clean, f->vlen, max, cut);
	free(dec);	/* libetpan allocated it with malloc (strdup) */
	free(clean);
	return res;
}

/* ---- addresses ------------------------------------------------------- */

/* Bytes that may never appear in an addr-spec we hand out. */
static int
addr_bad_char(int c)
{
	return c <= 0x20 || c >= 0x7f || strchr("<>\"(),;:\\[]", c) != NULL;
}

/* Check a candidate addr-spec; returns a malloc'd copy or NULL. */
static char *
addr_check(const char *s, size_t len)
{
	const char *at;
	size_t i;

	if (len == 0 || len > KM_MAX_ADDRESS)
		return NULL;
	for (i = 0; i < len; i++)
		if (addr_bad_char((unsigned char)s[i]))
			return NULL;
	at = memchr(s, '@', len);
	/* One '@', something either side; no leading '-' or '.' so the
	 * address can never be read as an option by the mailer. */
	if (at == NULL || at == s || at == s + len - 1 ||
	    memchr(at + 1, '@', len - (size_t)(at - s) - 1) != NULL)
		return NULL;
	if (s[0] == '-' || s[0] == '.')
		return NULL;
	return xstrndup(s, len);
}

/*
 * Remove RFC 5322 comments ("(...)", nested, with \-escapes) outside
 * quoted strings, in place. libetpan stops at a trailing comment, which
 * we would otherwise have to tell apart from trailing garbage.
 */
static void
strip_comments(char *s)
{
	char *w = s;
	int depth = 0, quoted = 0;

	for (; *s; s++) {
		if (depth == 0 && !quoted) {
			if (*s == '(') {
				depth = 1;
				*w++ = ' ';
				continue;
			}
			if (*s == '"')
				quoted = 1;
			else if (*s == '\\' && s[1] != '\0') {
				*w++ = *s++;
			}
			*w++ = *s;
			continue;
		}
		if (quoted) {
			if (*s == '\\' && s[1] != '\0')
				*w++ = *s++;
			else if (*s == '"')
				quoted = 0;
			*w++ = *s;
			continue;
		}
		/* inside a comment */
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')')
			depth--;
	}
	*w = '\0';
}

/* First mailbox of an address list, via libetpan; NULL if the list does
 * not parse to its end. */
static char *
addr_libetpan(const char *s, size_t len)
{
	struct mailimf_address_list *al = NULL;
	clistiter *it, *jt;
	size_t idx = 0;
	char *res = NULL;

	if (mailimf_address_list_parse(s, len, &idx, &al) != MAILIMF_NO_ERROR)
		return NULL;
	while (idx < len && isspace((unsigned char)s[idx]))
		idx++;
	if (idx != len)
		goto done;
	for (it = clist_begin(al->ad_list); it && !res; it = clist_next(it)) {
		struct mailimf_address *a = clist_content(it);

		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX &&
		    a->ad_data.ad_mailbox != NULL) {
			const char *spec = a->ad_data.ad_mailbox->mb_addr_spec;

			res = addr_check(spec, strlen(spec));
			break;
		}
		if (a->ad_type != MAILIMF_ADDRESS_GROUP ||
		    a->ad_data.ad_group == NULL ||
		    a->ad_data.ad_group->grp_mb_list == NULL)
			continue;
		jt = clist_begin(a->ad_data.ad_group->grp_mb_list->mb_list);
		if (jt != NULL) {
			struct mailimf_mailbox *mb = clist_content(jt);

			res = addr_check(mb->mb_addr_spec,
			    strlen(mb->mb_addr_spec));
			break;
		}
	}
done:
	mailimf_address_list_free(al);
	return res;
}

/*
 * Reduce a From/Reply-To/Sender value to a bare addr-spec, or NULL. A
 * value with any control byte is refused outright: legitimate mailers
 * never send one, and it could be an injection attempt.
 */
static char *
addr_extract(const struct hfield *f)
{
	char *s, *res;
	const char *p, *lt, *gt;
	size_t i, len;

	for (i = 0; i < f->vlen; i++)
		if (is_ctl((unsigned char)f->value[i]) && f->value[i] != '\t')
			return NULL;
	s = xcalloc(f->vlen + 16, 1);		/* padded, as in value_clean */
	memcpy(s, f->value, f->vlen);
	strip_comments(s);
	res = addr_libetpan(s, strlen(s));
	if (res == NULL) {
		/* libetpan gave up (8-bit phrase, odd syntax): take the
		 * part in angle brackets, or the whole value. */
		p = s;
		len = strlen(s);
		if ((lt = strchr(s, '<')) != NULL &&
		    (gt = strchr(lt, '>')) != NULL) {
			p = lt + 1;
			len = (size_t)(gt - p);
		}
		trim(&p, &len);
		res = addr_check(p, len);
	}
	free(s);
	return res;
}

bool
mail_addr_is_daemon(const char *addr)
{
	const char *at;
	size_t n;

	if (addr == NULL)
		return false;
	at = strrchr(addr, '@');
	n = at ? (size_t)(at - addr) : strlen(addr);
	/* Deliberately short: these are the names RFC 2142 and list
	 * managers reserve for robots. "noreply" and the like are people's
	 * own choices and still get answers. */
	if ((n == 13 && strncasecmp(addr, "mailer-daemon", n) == 0) ||
	    (n == 10 && strncasecmp(addr, "postmaster", n) == 0))
		return true;
	if (n >= 8 && strncasecmp(addr + n - 8, "-request", 8) == 0)
		return true;
	if (n >= 6 && strncasecmp(addr, "owner-", 6) == 0)
		return true;
	return false;
}

/* ---- header fields into struct mail_msg ------------------------------ */

static void
str_push(char ***arr, size_t *n, char *s)
{
	*arr = xreallocarray(*arr, *n + 1, sizeof(**arr));
	(*arr)[(*n)++] = s;
}

/* "<...>" with printable ASCII only, no blanks and no nested brackets. */
static char *
msgid_check(const struct hfield *f)
{
	const char *s = f->value;
	size_t len = f->vlen, i;

	trim(&s, &len);
	if (len < 3 || len > KM_MAX_HEADER_LINE / 2 || s[0] != '<' ||
	    s[len - 1] != '>')
		return NULL;
	for (i = 1; i < len - 1; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '<' || s[i] == '>')
			return NULL;
	return xstrndup(s, len);
}

/*
 * Return-Path: <> is the null sender. So is <MAILER-DAEMON> (with or
 * without a domain): Postfix's pipe(8) writes the null sender that way
 * unless its null_sender= option is set, and local(8) setups vary.
 */
static bool
null_path(const struct hfield *f)
{
	const char *s = f->value;
	size_t len = f->vlen, i = 1;

	trim(&s, &len);
	if (len < 2 || s[0] != '<')
		return false;
	while (i < len && is_wsp((unsigned char)s[i]))
		i++;
	if (i < len && s[i] == '>')
		return true;
	if (len - i >= 14 && strncasecmp(s + i, "mailer-daemon", 13) == 0 &&
	    (s[i + 13] == '>' || s[i + 13] == '@'))
		return true;
	return false;
}

static void
replace(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

static bool
ct_is(const struct hfield *f, const char *type)
{
	const char *s = f->value;
	size_t len = f->vlen, n = strlen(type);

	trim(&s, &len);
	return len >= n && strncasecmp(s, type, n) == 0 &&
	    (len == n || s[n] == ';' || isspace((unsigned char)s[n]) ||
	    s[n] == '(');
}

static void
headers_fill(const struct hblock *hb, const struct mail_limits *lim,
    struct mail_msg *m)
{
	size_t i;

	for (i = 0; i < hb->n; i++) {
		const struct hfield *f = &hb->f[i];

		/* Last occurrence wins for the singletons: a later field
		 * simply replaces (even with NULL, if it is unusable). */
		if (field_is(f, "from"))
			replace(&m->from, addr_extract(f));
		else if (field_is(f, "reply-to"))
			replace(&m->reply_to, addr_extract(f));
		else if (field_is(f, "sender"))
			replace(&m->sender, addr_extract(f));
		else if (field_is(f, "subject"))
			replace(&m->subject, subject_decode(f,
			    lim->max_subject, &m->subject_too_long));
		else if (field_is(f, "message-id"))
			replace(&m->message_id, msgid_check(f));
		else if (field_is(f, "return-path")) {
			m->has_return_path = true;
			if (null_path(f))
				m->null_return_path = true;
		} else if (field_is(f, "auto-submitted")) {
			if (!first_word_is(f, "no"))
				m->auto_submitted = true;
		} else if (field_is(f, "precedence")) {
			if (first_word_is(f, "bulk") ||
			    first_word_is(f, "junk") ||
			    first_word_is(f, "list"))
				m->precedence_bulk = true;
		} else if (field_is(f, "list-id") ||
		    field_is(f, "list-unsubscribe"))
			m->list_headers = true;
		else if (field_is(f, "x-loop")) {
			char *v = text_normalize(f->value, f->vlen, 0, NULL);

			if (*v)
				str_push(&m->x_loop, &m->nx_loop, v);
			else
				free(v);
		} else if (field_is(f, "x-keyserver-sent")) {
			char *v = addr_extract(f), *c;

			if (v != NULL) {
				for (c = v; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				str_push(&m->ksent, &m->nksent, v);
			}
		}
	}
	/* is_report follows the Content-Type that MIME would use: the last. */
	{
		const struct hfield *ct = field_last(hb, "content-type");

		m->is_report = ct != NULL && ct_is(ct, "multipart/report");
	}
}

/* ---- MIME ------------------------------------------------------------ */

struct ctinfo {
	char type[128];		/* lower-case "type/subtype" */
	bool multipart;
	bool rfc822;
	char *boundary;		/* malloc'd or NULL */
	char *name;		/* Content-Type name= parameter, malloc'd */
};

static void
lower_token(char *dst, size_t dstlen, const char *type, const char *sub)
{
	size_t i = 0;
	const char *s;

	for (s = type; s && *s && i + 2 < dstlen; s++)
		if (*s > 0x20 && *s < 0x7f)
			dst[i++] = (char)tolower((unsigned char)*s);
	dst[i++] = '/';
	for (s = sub; s && *s && i + 1 < dstlen; s++)
		if (*s > 0x20 && *s < 0x7f)
			dst[i++] = (char)tolower((unsigned char)*s);
	dst[i] = '\0';
}

/* Content-Type of an entity; RFC 2045 5.2 default text/plain when it is
 * missing or unreadable. */
static void
ctinfo_get(const struct hblock *hb, struct ctinfo *ci)
{
	const struct hfield *f = field_last(hb, "content-type");
	struct mailmime_content *c = NULL;
	const char *type = NULL;
	char *clean, *p;
	size_t idx = 0;

	memset(ci, 0, sizeof(*ci));
	strcpy(ci->type, "text/plain");
	if (f == NULL)
		return;
	clean = value_clean(f);
	if (mailmime_content_parse(clean, f->vlen, &idx, &c) !=
	    MAILIMF_NO_ERROR || c == NULL || c->ct_type == NULL) {
		if (c != NULL)
			mailmime_content_free(c);
		free(clean);
		return;
	}
	if (c->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		struct mailmime_discrete_type *d =
		    c->ct_type->tp_data.tp_discrete_type;

		switch (d->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT: type = "text"; break;
		case MAILMIME_DISCRETE_TYPE_IMAGE: type = "image"; break;
		case MAILMIME_DISCRETE_TYPE_AUDIO: type = "audio"; break;
		case MAILMIME_DISCRETE_TYPE_VIDEO: type = "video"; break;
		case MAILMIME_DISCRETE_TYPE_APPLICATION:
			type = "application";
			break;
		default: type = d->dt_extension; break;
		}
	} else {
		struct mailmime_composite_type *ct =
		    c->ct_type->tp_data.tp_composite_type;

		switch (ct->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE: type = "message"; break;
		case MAILMIME_COMPOSITE_TYPE_MULTIPART:
			type = "multipart";
			break;
		default: type = ct->ct_token; break;
		}
	}
	if (type == NULL || c->ct_subtype == NULL)
		goto done;
	lower_token(ci->type, sizeof(ci->type), type, c->ct_subtype);
	ci->multipart = strncmp(ci->type, "multipart/", 10) == 0;
	ci->rfc822 = strcmp(ci->type, "message/rfc822") == 0;
	if ((p = mailmime_content_param_get(c, "boundary")) != NULL &&
	    *p != '\0' && strlen(p) <= 200)
		ci->boundary = xstrdup(p);
	if ((p = mailmime_content_param_get(c, "name")) != NULL)
		ci->name = xstrdup(p);
done:
	mailmime_content_free(c);
	free(clean);
}

static void
ctinfo_free(struct ctinfo *ci)
{
	free(ci->boundary);
	free(ci->name);
}

/* filename= of Content-Disposition, malloc'd, or NULL. */
static char *
disposition_filename(const struct hblock *hb)
{
	const struct hfield *f = field_last(hb, "content-disposition");
	struct mailmime_disposition *d = NULL;
	char *clean, *res = NULL;
	clistiter *it;
	size_t idx = 0;

	if (f == NULL)
		return NULL;
	clean = value_clean(f);
	if (mailmime_disposition_parse(clean, f->vlen, &idx, &d) ==
	    MAILIMF_NO_ERROR && d != NULL) {
		for (it = clist_begin(d->dsp_parms); it; it = clist_next(it)) {
			struct mailmime_disposition_parm *pm = clist_content(it);

			if (pm->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME &&
			    pm->pa_data.pa_filename != NULL) {
				res = xstrdup(pm->pa_data.pa_filename);
				break;
			}
		}
		mailmime_disposition_free(d);
	}
	free(clean);
	return res;
}

static bool
has_key_suffix(const char *name)
{
	static const char *const sfx[] = { ".asc", ".gpg", ".pgp", ".key" };
	size_t n, i;

	if (name == NULL)
		return false;
	n = strlen(name);
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
		if (n > 4 && strcasecmp(name + n - 4, sfx[i]) == 0)
			return true;
	return false;
}

static int
transfer_encoding(const struct hblock *hb)
{
	const struct hfield *f = field_last(hb, "content-transfer-encoding");
	const char *s;
	size_t len, n = 0;

	if (f == NULL)
		return MAILMIME_MECHANISM_7BIT;
	s = f->value;
	len = f->vlen;
	trim(&s, &len);
	while (n < len && !isspace((unsigned char)s[n]) && s[n] != ';' &&
	    s[n] != '(')
		n++;
	if (n == 6 && strncasecmp(s, "base64", 6) == 0)
		return MAILMIME_MECHANISM_BASE64;
	if (n == 16 && strncasecmp(s, "quoted-printable", 16) == 0)
		return MAILMIME_MECHANISM_QUOTED_PRINTABLE;
	/* 7bit, 8bit, binary and unknown tokens: bytes as they are. */
	return MAILMIME_MECHANISM_BINARY;
}

/*
 * Undo a transfer encoding with libetpan; returns malloc'd bytes with a
 * NUL after them. The input is first copied into a zero-padded buffer:
 * libetpan 1.9.4's quoted-printable decoder reads (and copies) one byte
 * past the end when the data ends in "=X", so it must never be handed
 * the end of a buffer it could run off. That tail is kept out of its
 * reach and appended literally, which is what libetpan means to do with
 * a broken escape.
 */
static uint8_t *
decode_body(const char *body, size_t len, int mech, size_t *outlen)
{
	char *in, *dec = NULL;
	size_t inlen = len, declen = 0, idx = 0, tail = 0, i, j;
	uint8_t *data;

	if (mech == MAILMIME_MECHANISM_QUOTED_PRINTABLE && len >= 2 &&
	    body[len - 2] == '=' && body[len - 1] != '\r' &&
	    body[len - 1] != '\n') {
		tail = 2;
		inlen = len - 2;
	}
	in = xcalloc(inlen + 16, 1);
	memcpy(in, body, inlen);
	if (mech == MAILMIME_MECHANISM_BINARY ||
	    mailmime_part_parse(in, inlen, &idx, mech, &dec, &declen) !=
	    MAILIMF_NO_ERROR) {
		/* Identity encodings, or a decoder failure: the raw bytes
		 * are the best we have. */
		free(in);
		data = xmalloc(len + 1);
		memcpy(data, body, len);
		data[len] = '\0';
		*outlen = len;
		return data;
	}
	free(in);
	data = xmalloc(declen + tail + 1);
	memcpy(data, dec, declen);
	mailmime_decoded_part_free(dec);
	memcpy(data + declen, body + len - tail, tail);
	declen += tail;
	/* libetpan's quoted-printable decoder writes CRLF for every line
	 * break; give LF-only mail its LF back. */
	if (mech == MAILMIME_MECHANISM_QUOTED_PRINTABLE &&
	    memchr(body, '\r', len) == NULL) {
		for (i = j = 0; i < declen; i++)
			if (!(data[i] == '\r' && i + 1 < declen &&
			    data[i + 1] == '\n'))
				data[j++] = data[i];
		declen = j;
	}
	data[declen] = '\0';
	*outlen = declen;
	return data;
}

/* Undo the transfer encoding and keep the result as one mail_part. */
static enum mail_status
part_add(struct walk *w, const char *type, const char *body, size_t len,
    int mech)
{
	struct mail_msg *m = w->out;
	struct mail_part *mp;
	size_t declen;
	uint8_t *data;

	data = decode_body(body, len, mech, &declen);
	/* w->decoded never passes the limit, so this cannot wrap. */
	if (declen > w->lim->max_decoded_size - w->decoded) {
		free(data);
		seterr(w->err, w->errlen, "decoded body parts exceed %zu bytes "
		    "(max_decoded_size)", w->lim->max_decoded_size);
		return MAIL_ERR_MIME;
	}
	w->decoded += declen;
	if (m->nparts == w->palloc) {
		w->palloc = w->palloc ? w->palloc * 2 : 4;
		m->parts = xreallocarray(m->parts, w->palloc, sizeof(*m->parts));
	}
	mp = &m->parts[m->nparts++];
	mp->content_type = xstrdup(type);
	mp->data = data;
	mp->len = declen;
	return MAIL_OK;
}

static enum mail_status walk_entity(struct walk *w, const struct hblock *hb,
    const char *body, size_t len, size_t depth, bool top);

/* One body part: its own header block, then its body. */
static enum mail_status
walk_part(struct walk *w, const char *p, size_t len, size_t depth)
{
	struct hblock hb = { 0 };
	enum mail_status st;
	size_t off;

	if (++w->nentities > w->lim->max_mime_parts) {
		seterr(w->err, w->errlen, "message has over %zu MIME parts "
		    "(max_mime_parts)", w->lim->max_mime_parts);
		return MAIL_ERR_MIME;
	}
	st = scan_headers(p, len, w->lim, "a MIME part", &hb, &off, w->err,
	    w->errlen);
	if (st == MAIL_OK)
		st = walk_entity(w, &hb, p + off, len - off, depth, false);
	hblock_free(&hb);
	return st;
}

/* Is the line p[0..len) (line end removed) a delimiter for boundary?
 * Sets *close for the final "--boundary--". */
static bool
is_delimiter(const char *p, size_t len, const char *bnd, size_t blen,
    bool *close)
{
	size_t i;

	if (len < blen + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, bnd, blen) != 0)
		return false;
	i = blen + 2;
	*close = len - i >= 2 && p[i] == '-' && p[i + 1] == '-';
	if (*close)
		i += 2;
	/* RFC 2046 allows trailing blanks, nothing else: "--abcdef" is
	 * not a delimiter for boundary "abc". */
	for (; i < len; i++)
		if (!is_wsp((unsigned char)p[i]))
			return false;
	return true;
}

/*
 * Split a multipart body on its boundary. The preamble and epilogue are
 * skipped; a missing close delimiter ends the last part at the end of the
 * data, so a cut-off message still yields what it has.
 */
static enum mail_status
walk_multipart(struct walk *w, const char *bnd, const char *body, size_t len,
    size_t depth)
{
	size_t blen = strlen(bnd), pos = 0, start = 0;
	bool in_part = false, close = false;
	enum mail_status st;

	while (pos < len) {
		const char *eol = memchr(body + pos, '\n', len - pos);
		size_t next = eol ? (size_t)(eol - body) + 1 : len;
		size_t linelen = (eol ? (size_t)(eol - body) : len) - pos;

		if (linelen > 0 && body[pos + linelen - 1] == '\r')
			linelen--;
		if (!is_delimiter(body + pos, linelen, bnd, blen, &close)) {
			pos = next;
			continue;
		}
		if (in_part) {
			/* The line break before a delimiter belongs to it. */
			size_t end = pos;

			if (end > start && body[end - 1] == '\n')
				end--;
			if (end > start && body[end - 1] == '\r')
				end--;
			st = walk_part(w, body + start, end - start, depth);
			if (st != MAIL_OK)
				return st;
		}
		if (close)
			return MAIL_OK;
		in_part = true;
		start = next;
		pos = next;
	}
	if (in_part)
		return walk_part(w, body + start, len - start, depth);
	return MAIL_OK;
}

/*
 * An entity whose headers are hb and body body[0..len), nested in depth
 * containers. Multiparts and message/rfc822 go one level down, checked
 * against max_mime_depth first; leaves are kept if they can carry keys.
 * The top-level entity of a non-MIME message is kept whatever its type.
 */
static enum mail_status
walk_entity(struct walk *w, const struct hblock *hb, const char *body,
    size_t len, size_t depth, bool top)
{
	struct ctinfo ci;
	enum mail_status st = MAIL_OK;
	char *fname = NULL;

	ctinfo_get(hb, &ci);
	if ((ci.multipart && ci.boundary != NULL) || (ci.rfc822 && !top)) {
		if (depth + 1 > w->lim->max_mime_depth) {
			seterr(w->err, w->errlen, "MIME parts are nested over "
			    "%zu deep (max_mime_depth)", w->lim->max_mime_depth);
			st = MAIL_ERR_MIME;
		} else if (ci.multipart)
			st = walk_multipart(w, ci.boundary, body, len,
			    depth + 1);
		else
			st = walk_part(w, body, len, depth + 1);
		goto done;
	}
	if (ci.multipart)		/* no usable boundary: read as text */
		strcpy(ci.type, "text/plain");
	if (!top && strncmp(ci.type, "text/", 5) != 0 &&
	    strcmp(ci.type, "application/pgp-keys") != 0) {
		if (strcmp(ci.type, "application/octet-stream") != 0)
			goto done;
		fname = disposition_filename(hb);
		if (!has_key_suffix(fname) && !has_key_suffix(ci.name))
			goto done;
	}
	st = part_add(w, ci.type, body, len, transfer_encoding(hb));
done:
	free(fname);
	ctinfo_free(&ci);
	return st;
}

/* ---- entry points ---------------------------------------------------- */

static void
parts_free(struct mail_msg *m)
{
	size_t i;

	for (i = 0; i < m->nparts; i++) {
		free(m->parts[i].content_type);
		free(m->parts[i].data);
	}
	free(m->parts);
	m->parts = NULL;
	m->nparts = 0;
}

void
mail_msg_free(struct mail_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->from);
	free(m->reply_to);
	free(m->sender);
	free(m->subject);
	free(m->message_id);
	for (i = 0; i < m->nx_loop; i++)
		free(m->x_loop[i]);
	free(m->x_loop);
	for (i = 0; i < m->nksent; i++)
		free(m->ksent[i]);
	free(m->ksent);
	parts_free(m);
	memset(m, 0, sizeof(*m));
}

enum mail_status
mail_parse(const char *raw, size_t len, const struct mail_limits *lim,
    struct mail_msg *out, char *err, size_t errlen)
{
	struct hblock hb = { 0 };
	struct walk w;
	enum mail_status st, hst;
	size_t off;

	memset(out, 0, sizeof(*out));
	seterr(err, errlen, "%s", "");
	if (lim == NULL)
		lim = &default_limits;
	if (raw == NULL || len == 0) {
		seterr(err, errlen, "empty message");
		return MAIL_ERR_PARSE;
	}
	/* Size first. The header scan below is still done for an oversized
	 * message, as it is bounded by the header limits on its own, so the
	 * caller can address a refusal. */
	st = MAIL_OK;
	if (len > lim->max_message_size) {
		seterr(err, errlen, "message is %zu bytes, over the limit of "
		    "%zu (max_message_size)", len, lim->max_message_size);
		st = MAIL_ERR_SIZE;
	}
	if (len >= 5 && memcmp(raw, "From ", 5) == 0) {
		const char *eol = memchr(raw, '\n', len);

		off = eol ? (size_t)(eol - raw) + 1 : len;
		raw += off;
		len -= off;
	}
	hst = scan_headers(raw, len, lim, "the message", &hb, &off,
	    st == MAIL_OK ? err : NULL, errlen);
	headers_fill(&hb, lim, out);
	if (st != MAIL_OK || hst != MAIL_OK) {
		hblock_free(&hb);
		return st != MAIL_OK ? st : hst;
	}
	if (hb.n == 0) {
		hblock_free(&hb);
		seterr(err, errlen, "no header fields");
		return MAIL_ERR_PARSE;
	}
	memset(&w, 0, sizeof(w));
	w.lim = lim;
	w.out = out;
	w.err = err;
	w.errlen = errlen;
	st = walk_entity(&w, &hb, raw + off, len - off, 0, true);
	hblock_free(&hb);
	if (st != MAIL_OK)
		parts_free(out);	/* headers stay for the refusal */
	return st;
}
