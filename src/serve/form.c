/*
 * serve/form.c - see form.h.
 *
 * Decoded text is never longer than its encoding, so each piece is
 * decoded into an allocation of the encoded length plus one: no length
 * taken from the input is trusted beyond len itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/form.h"
#include "util/hex.h"
#include "util/utf8.h"
#include "util/xalloc.h"

const char *
form_strerror(enum form_status st)
{
	switch (st) {
	case FORM_OK:
		return "ok";
	case FORM_BAD_ESCAPE:
		return "a malformed %-escape (a '%' must be followed by two hex digits)";
	case FORM_NUL:
		return "a NUL octet (%00) in a parameter";
	case FORM_NOT_UTF8:
		return "a parameter that is not UTF-8 once decoded";
	}
	return "malformed form data";
}

static enum form_status
check_utf8(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		n = utf8_seq_len((const uint8_t *)s + i, len - i);
		if (n == 0)
			return FORM_NOT_UTF8;
		i += n;
	}
	return FORM_OK;
}

/* Decode s[0..len) into a fresh string; plus: '+' means a blank. */
static enum form_status
decode(const char *s, size_t len, int plus, char **out, size_t *outlen)
{
	char *d = xmalloc(len + 1);
	size_t i, n = 0;
	enum form_status st;
	int hi, lo;

	*out = NULL;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			if (len - i < 3 || (hi = hex_digit((unsigned char)s[i + 1])) < 0 ||
			    (lo = hex_digit((unsigned char)s[i + 2])) < 0) {
				free(d);
				return FORM_BAD_ESCAPE;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		if (c == '\0') {
			free(d);
			return FORM_NUL;
		}
		d[n++] = c;
	}
	d[n] = '\0';
	if ((st = check_utf8(d, n)) != FORM_OK) {
		free(d);
		return st;
	}
	*out = d;
	if (outlen)
		*outlen = n;
	return FORM_OK;
}

enum form_status
form_parse(const char *s, size_t len, struct form *out)
{
	size_t start = 0, end;
	enum form_status st = FORM_OK;

	memset(out, 0, sizeof(*out));
	while (start < len) {
		const char *piece = s + start, *eq;
		size_t plen;
		struct form_field f;

		end = start;
		while (end < len && s[end] != '&')
			end++;
		plen = end - start;
		start = end + 1;
		if (plen == 0)
			continue;
		eq = memchr(piece, '=', plen);
		memset(&f, 0, sizeof(f));
		st = decode(piece, eq ? (size_t)(eq - piece) : plen, 1, &f.name, NULL);
		if (st == FORM_OK) {
			if (eq)
				st = decode(eq + 1, plen - (size_t)(eq + 1 - piece), 1,
				    &f.value, &f.value_len);
			else
				f.value = xstrdup("");
		}
		if (st != FORM_OK) {
			free(f.name);
			form_free(out);
			return st;
		}
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = f;
	}
	return FORM_OK;
}

const char *
form_get_len(const struct form *f, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0) {
			if (len)
				*len = f->v[i].value_len;
			return f->v[i].value;
		}
	return NULL;
}

const char *
form_get(const struct form *f, const char *name)
{
	return form_get_len(f, name, NULL);
}

void
form_free(struct form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

enum form_status
form_unescape_path(const char *s, size_t len, char **out)
{
	return decode(s, len, 0, out, NULL);
}
