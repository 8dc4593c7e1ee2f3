/*
 * mail/message_internal.h - what the message*.c files share (message.c:
 * header block and mail_parse; message_values.c: Subject and addresses;
 * message_mime.c: the MIME walk). Private to them; no libetpan types
 * here, so the header itself pulls in no third-party library.
 *
 * Input: every value here comes from untrusted mail.
 * Memory: struct hblock owns its field values (msg_hblock_free); field
 * names point into the caller's raw message.
 */
#ifndef KM_MAIL_MESSAGE_INTERNAL_H
#define KM_MAIL_MESSAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/mail.h"

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

static inline int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* C0 controls and DEL; TAB counts, since values are folded to spaces. */
static inline int
is_ctl(int c)
{
	return (c >= 0 && c < 0x20) || c == 0x7f;
}

/* ---- message.c ------------------------------------------------------- */

/* The error sentence for the caller (err may be NULL). */
void msg_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void msg_hblock_free(struct hblock *hb);
/*
 * Read the header block of the entity at p[0..len). Limits are checked
 * line by line, before the line is stored. *body_off is where the body
 * starts. what names the entity in error sentences ("the message", "a
 * MIME part"). On a limit error hb keeps the fields read so far.
 */
enum mail_status msg_scan_headers(const char *p, size_t len,
    const struct mail_limits *lim, const char *what, struct hblock *hb,
    size_t *body_off, char *err, size_t errlen);
/* The last field with this name (case-insensitive), or NULL. */
const struct hfield *msg_field_last(const struct hblock *hb, const char *name);
/* A malloc'd, zero-padded copy of f's value with every control byte made
 * a space, for libetpan's C-string parsers. */
char *msg_value_clean(const struct hfield *f);
/* Trimmed view of s[0..len). */
void msg_trim(const char **s, size_t *len);

/* ---- message_values.c ------------------------------------------------ */

/*
 * Make display text safe: invalid UTF-8 bytes become '?', C0/C1 controls
 * go (CR, LF, TAB and friends count as blanks), blank runs become one
 * space, and the ends are trimmed. If max > 0 the result is cut to at
 * most max bytes on a character boundary and *cut is set. Malloc'd.
 */
char *msg_text_normalize(const char *in, size_t len, size_t max, bool *cut);
/* The Subject, RFC 2047 words decoded, then msg_text_normalize'd. */
char *msg_subject_decode(const struct hfield *f, size_t max, bool *cut);
/* A From/Reply-To/Sender value as a bare, checked addr-spec, or NULL;
 * *count (may be NULL) gets the number of mailboxes the value names. */
char *msg_addr_extract(const struct hfield *f, size_t *count);

/* ---- message_mime.c -------------------------------------------------- */

/*
 * Walk the top-level entity (headers hb, body body[0..len)) and append
 * the parts that may carry keys to out. Limits as in mail_parse; err
 * gets the sentence on MAIL_ERR_MIME.
 */
enum mail_status msg_walk_mime(const struct hblock *hb, const char *body,
    size_t len, const struct mail_limits *lim, struct mail_msg *out,
    char *err, size_t errlen);

#endif
