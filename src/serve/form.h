/*
 * serve/form.h - the application/x-www-form-urlencoded decoder for HKP
 * query strings and /pks/add bodies (server.md 5.1), and percent-decoding
 * of path segments (VKS).
 *
 * '&' separates fields, '=' a name from its value (a field without '='
 * has an empty value), '+' is a blank, %XX an octet (either case). Empty
 * fields ("a&&b") are skipped. Every name and value is checked: a '%' not
 * followed by two hex digits, a decoded NUL, or a decoded string that is
 * not UTF-8 (util/utf8.h) makes the whole input malformed, so that the
 * route answers 400 and nothing of it is used.
 *
 * Pure functions, no I/O. Input is untrusted (the request target or body).
 * Memory: struct form owns its strings; form_free() releases them, and is
 * safe after every return of form_parse and twice.
 */
#ifndef KM_SERVE_FORM_H
#define KM_SERVE_FORM_H

#include <stddef.h>

enum form_status {
	FORM_OK = 0,
	FORM_BAD_ESCAPE,	/* '%' without two hex digits */
	FORM_NUL,		/* a decoded NUL octet */
	FORM_NOT_UTF8,		/* a decoded name or value that is not UTF-8 */
};

/* A sentence for a 400 body ("a malformed %-escape", ...); static. */
const char *form_strerror(enum form_status st);

struct form_field {
	char *name;		/* decoded, NUL-terminated (no NUL inside) */
	char *value;		/* decoded, NUL-terminated (no NUL inside) */
	size_t value_len;
};

struct form {
	struct form_field *v;
	size_t n;
};

/* Decode s[0..len) into out (zeroed first). On error out is empty. */
enum form_status form_parse(const char *s, size_t len, struct form *out);
/* The value of the first field called name (case-sensitive, as HKP
 * clients send lower-case names), or NULL. */
const char *form_get(const struct form *f, const char *name);
/* The same, also giving the value's length. */
const char *form_get_len(const struct form *f, const char *name, size_t *len);
void form_free(struct form *f);

/*
 * Percent-decode s[0..len) (a path segment: '+' stays '+') into a fresh
 * NUL-terminated string at *out (caller frees). Same checks as form_parse;
 * *out is NULL unless FORM_OK.
 */
enum form_status form_unescape_path(const char *s, size_t len, char **out);

#endif
