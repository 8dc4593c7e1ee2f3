/*
 * mail/message_values.c - the values of the header fields the robot acts
 * on: the Subject (RFC 2047 words decoded, made safe display text) and
 * the addresses of From, Reply-To and Sender (reduced to a bare
 * addr-spec). One of the message*.c files, the only ones that include
 * libetpan headers (see message.c).
 *
 * Input: header field values from untrusted mail (struct hfield).
 * Output: malloc'd strings the caller owns, without CR, LF, NUL or other
 * C0 controls; addresses as message.c's SECURITY paragraph says.
 * libetpan sees only private, zero-padded copies, and every libetpan
 * object is freed before the function that made it returns.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "mail/mail.h"
#include "mail/message_internal.h"
#include "util/limits.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* ---- text normalization ---------------------------------------------- */

/* Display text made safe, and cut to max (message_internal.h). */
char *
msg_text_normalize(const char *in, size_t len, size_t max, bool *cut)
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
char *
msg_subject_decode(const struct hfield *f, size_t max, bool *cut)
{
	char *clean = msg_value_clean(f), *dec = NULL, *res;
	size_t idx = 0;

	if (mailmime_encoded_phrase_parse("utf-8", clean, f->vlen, &idx,
	    "utf-8", &dec) != MAILIMF_NO_ERROR || dec == NULL) {
		free(dec);
		dec = NULL;
	}
	if (dec != NULL)
		res = msg_text_normalize(dec, strlen(dec), max, cut);
	else
		res = msg_text_normalize(clean, f->vlen, max, cut);
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
addr_libetpan(const char *s, size_t len, size_t *count)
{
	struct mailimf_address_list *al = NULL;
	clistiter *it, *jt;
	size_t idx = 0;
	char *res = NULL;

	*count = 0;
	if (mailimf_address_list_parse(s, len, &idx, &al) != MAILIMF_NO_ERROR)
		return NULL;
	while (idx < len && isspace((unsigned char)s[idx]))
		idx++;
	if (idx != len)
		goto done;
	/* How many mailboxes the field names, groups' members included. */
	for (it = clist_begin(al->ad_list); it; it = clist_next(it)) {
		struct mailimf_address *a = clist_content(it);

		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX)
			(*count)++;
		else if (a->ad_data.ad_group != NULL &&
		    a->ad_data.ad_group->grp_mb_list != NULL)
			*count += (size_t)clist_count(
			    a->ad_data.ad_group->grp_mb_list->mb_list);
	}
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
char *
msg_addr_extract(const struct hfield *f, size_t *count)
{
	char *s, *res;
	const char *p, *lt, *gt;
	size_t i, len, dummy;

	if (count == NULL)
		count = &dummy;
	*count = 0;

	for (i = 0; i < f->vlen; i++)
		if (is_ctl((unsigned char)f->value[i]) && f->value[i] != '\t')
			return NULL;
	s = xcalloc(f->vlen + 16, 1);		/* padded, as in value_clean */
	memcpy(s, f->value, f->vlen);
	strip_comments(s);
	res = addr_libetpan(s, strlen(s), count);
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
		msg_trim(&p, &len);
		res = addr_check(p, len);
		*count = res != NULL;
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
