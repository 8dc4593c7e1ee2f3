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
 *	The message*.c files are the only ones that include libetpan
 *	headers: this one reads the header block and fills struct mail_msg;
 *	message_values.c decodes the Subject and addresses;
 *	message_mime.c walks the MIME tree; message_internal.h is what they
 *	share.
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

#include "mail/mail.h"
#include "mail/message_internal.h"
#include "util/limits.h"
#include "util/xalloc.h"

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

void
msg_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- header block ---------------------------------------------------- */

void
msg_hblock_free(struct hblock *hb)
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
enum mail_status
msg_scan_headers(const char *p, size_t len, const struct mail_limits *lim,
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
			msg_seterr(err, errlen, "%s has a header line of over %zu "
			    "bytes (max_header_line)", what,
			    lim->max_header_line);
			return MAIL_ERR_HEADERS;
		}
		total += next - pos;
		if (total > lim->max_header_size) {
			msg_seterr(err, errlen, "%s has over %zu bytes of headers "
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
			msg_seterr(err, errlen, "%s has over %zu header fields "
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
const struct hfield *
msg_field_last(const struct hblock *hb, const char *name)
{
	size_t i;

	for (i = hb->n; i > 0; i--)
		if (field_is(&hb->f[i - 1], name))
			return &hb->f[i - 1];
	return NULL;
}

/* A copy of the value with every control byte (NUL, CR, TAB, ...) made a
 * space, so libetpan's C-string helpers cannot be cut short or confused. */
char *
msg_value_clean(const struct hfield *f)
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
void
msg_trim(const char **s, size_t *len)
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

	msg_trim(&s, &len);
	while (n < len && (isalnum((unsigned char)s[n]) || s[n] == '-'))
		n++;
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
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

	msg_trim(&s, &len);
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

	msg_trim(&s, &len);
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

	msg_trim(&s, &len);
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
		if (field_is(f, "from")) {
			size_t n;

			replace(&m->from, msg_addr_extract(f, &n));
			m->from_count += n;
		} else if (field_is(f, "reply-to"))
			replace(&m->reply_to, msg_addr_extract(f, NULL));
		else if (field_is(f, "sender"))
			replace(&m->sender, msg_addr_extract(f, NULL));
		else if (field_is(f, "subject"))
			replace(&m->subject, msg_subject_decode(f,
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
			char *v = msg_text_normalize(f->value, f->vlen, 0, NULL);

			if (*v)
				str_push(&m->x_loop, &m->nx_loop, v);
			else
				free(v);
		} else if (field_is(f, "authentication-results")) {
			/* Read later against authserv_id (mail/authres.c). */
			char *v = msg_text_normalize(f->value, f->vlen, 0, NULL);

			if (*v)
				str_push(&m->auth_results, &m->nauth_results, v);
			else
				free(v);
		} else if (field_is(f, "x-keyserver-sent")) {
			char *v = msg_addr_extract(f, NULL), *c;

			if (v != NULL) {
				for (c = v; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				str_push(&m->ksent, &m->nksent, v);
			}
		}
	}
	/* is_report follows the Content-Type that MIME would use: the last. */
	{
		const struct hfield *ct = msg_field_last(hb, "content-type");

		m->is_report = ct != NULL && ct_is(ct, "multipart/report");
	}
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
	for (i = 0; i < m->nauth_results; i++)
		free(m->auth_results[i]);
	free(m->auth_results);
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
	enum mail_status st, hst;
	size_t off;

	memset(out, 0, sizeof(*out));
	msg_seterr(err, errlen, "%s", "");
	if (lim == NULL)
		lim = &default_limits;
	if (raw == NULL || len == 0) {
		msg_seterr(err, errlen, "empty message");
		return MAIL_ERR_PARSE;
	}
	/* Size first. The header scan below is still done for an oversized
	 * message, as it is bounded by the header limits on its own, so the
	 * caller can address a refusal. */
	st = MAIL_OK;
	if (len > lim->max_message_size) {
		msg_seterr(err, errlen, "message is %zu bytes, over the limit of "
		    "%zu (max_message_size)", len, lim->max_message_size);
		st = MAIL_ERR_SIZE;
	}
	if (len >= 5 && memcmp(raw, "From ", 5) == 0) {
		const char *eol = memchr(raw, '\n', len);

		off = eol ? (size_t)(eol - raw) + 1 : len;
		raw += off;
		len -= off;
	}
	hst = msg_scan_headers(raw, len, lim, "the message", &hb, &off,
	    st == MAIL_OK ? err : NULL, errlen);
	headers_fill(&hb, lim, out);
	if (st != MAIL_OK || hst != MAIL_OK) {
		msg_hblock_free(&hb);
		return st != MAIL_OK ? st : hst;
	}
	if (hb.n == 0) {
		msg_hblock_free(&hb);
		msg_seterr(err, errlen, "no header fields");
		return MAIL_ERR_PARSE;
	}
	st = msg_walk_mime(&hb, raw + off, len - off, lim, out, err, errlen);
	msg_hblock_free(&hb);
	if (st != MAIL_OK)
		parts_free(out);	/* headers stay for the refusal */
	return st;
}
