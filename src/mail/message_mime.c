/*
 * mail/message_mime.c - the MIME walk of mail_parse: the tree of a
 * message's body, with depth, part count and decoded size checked before
 * each step, keeping the decoded parts that may carry keys. One of the
 * message*.c files, the only ones that include libetpan headers (see
 * message.c for why the walk is ours and what libetpan does).
 *
 * Input: the body of untrusted mail. Output: struct mail_part entries
 * appended to the message (owned by it, freed by mail_msg_free). Every
 * libetpan object is freed before the function that made it returns, and
 * libetpan sees only private, zero-padded copies.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "mail/mail.h"
#include "mail/message_internal.h"
#include "util/xalloc.h"

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
	const struct hfield *f = msg_field_last(hb, "content-type");
	struct mailmime_content *c = NULL;
	const char *type = NULL;
	char *clean, *p;
	size_t idx = 0;

	memset(ci, 0, sizeof(*ci));
	strcpy(ci->type, "text/plain");
	if (f == NULL)
		return;
	clean = msg_value_clean(f);
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
	const struct hfield *f = msg_field_last(hb, "content-disposition");
	struct mailmime_disposition *d = NULL;
	char *clean, *res = NULL;
	clistiter *it;
	size_t idx = 0;

	if (f == NULL)
		return NULL;
	clean = msg_value_clean(f);
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
	static const char *const sfx[] = { ".asc", ".gpg", ".pgp", ".key", ".rev" };
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
	const struct hfield *f = msg_field_last(hb, "content-transfer-encoding");
	const char *s;
	size_t len, n = 0;

	if (f == NULL)
		return MAILMIME_MECHANISM_7BIT;
	s = f->value;
	len = f->vlen;
	msg_trim(&s, &len);
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
		msg_seterr(w->err, w->errlen, "decoded body parts exceed %zu bytes "
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
		msg_seterr(w->err, w->errlen, "message has over %zu MIME parts "
		    "(max_mime_parts)", w->lim->max_mime_parts);
		return MAIL_ERR_MIME;
	}
	st = msg_scan_headers(p, len, w->lim, "a MIME part", &hb, &off, w->err,
	    w->errlen);
	if (st == MAIL_OK)
		st = walk_entity(w, &hb, p + off, len - off, depth, false);
	msg_hblock_free(&hb);
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
			msg_seterr(w->err, w->errlen, "MIME parts are nested over "
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
	/*
	 * Kept: text, keys, and the two types mail programs give key files
	 * they do not know: application/octet-stream, and
	 * application/pgp-encrypted, which Debian's mime.types assigns to
	 * every .pgp file (so mutt sends keys that way). ADD looks into
	 * them for key material and ignores what is not (cmd/add.c). Any
	 * other type counts only if its file name looks like a key's. The
	 * reconciliation record (reconciliation.md 8.1) is kept too: a
	 * relay may have wrapped it in a multipart.
	 */
	if (!top && strncmp(ci.type, "text/", 5) != 0 &&
	    strcmp(ci.type, "application/pgp-keys") != 0 &&
	    strcmp(ci.type, "application/octet-stream") != 0 &&
	    strcmp(ci.type, "application/pgp-encrypted") != 0 &&
	    strcmp(ci.type, MAIL_RECON_TYPE) != 0) {
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

enum mail_status
msg_walk_mime(const struct hblock *hb, const char *body, size_t len,
    const struct mail_limits *lim, struct mail_msg *out, char *err,
    size_t errlen)
{
	struct walk w;

	memset(&w, 0, sizeof(w));
	w.lim = lim;
	w.out = out;
	w.err = err;
	w.errlen = errlen;
	return walk_entity(&w, hb, body, len, 0, true);
}
