/*
 * mail/authres.c - read an Authentication-Results header field (RFC 8601)
 * for the two verdicts the reply rules use: dmarc=fail and spf=fail.
 *
 *   Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=a@b;
 *       dkim=none; dmarc=fail (p=reject dis=none) header.from=b
 *
 * Only a field whose authserv-id is the one our own MTA writes (the
 * authserv_id setting) counts: anybody can put such a field into a mail.
 * A forged one can only make us stay silent to the forger, since we act
 * on "fail" alone, never on "pass"; RFC 8601 5 still tells consumers to
 * trust only their own, and a relay's verdict on the way in may not be
 * ours.
 *
 * Input: one unfolded header value (untrusted; CR/LF already removed by
 * message.c). Comments in parentheses (nested, with quoted-pairs) and
 * quoted strings are skipped; a malformed field yields no verdict.
 * Pure function, no allocation.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "mail/mail.h"

/* Skip blanks and (nested) comments; returns the next other character. */
static const char *
skip_cfws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		{
			unsigned depth = 0;

			do {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')')
					depth--;
				p++;
			} while (*p != '\0' && depth > 0);
		}
	}
}

/* A token of characters other than blanks, '(', ';', '=' and '"'. */
static size_t
token_len(const char *p)
{
	size_t n = 0;

	while (p[n] != '\0' && !strchr(" \t\r\n(;=\"", p[n]))
		n++;
	return n;
}

/* Move past the rest of one resinfo (up to ';' or the end), skipping
 * comments and quoted strings so that a ';' inside them does not count. */
static const char *
skip_to_semicolon(const char *p)
{
	while (*p != '\0' && *p != ';') {
		if (*p == '(') {
			p = skip_cfws(p);
			continue;
		}
		if (*p == '"') {
			p++;
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				p++;
			}
			if (*p == '"')
				p++;
			continue;
		}
		p++;
	}
	return p;
}

/* Is the token at p (n octets) equal to word, without regard to case? */
static bool
tok_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

bool
mail_authres_parse(const char *value, const char *authserv_id,
    struct mail_auth *out)
{
	const char *p;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (value == NULL || authserv_id == NULL || *authserv_id == '\0')
		return false;
	/* authserv-id [CFWS authres-version] */
	p = skip_cfws(value);
	n = token_len(p);
	if (n == 0 || !tok_is(p, n, authserv_id))
		return false;
	p = skip_cfws(p + n);
	if (isdigit((unsigned char)*p)) {
		while (isdigit((unsigned char)*p))
			p++;
		p = skip_cfws(p);
	}
	/* ( no-result / 1*resinfo ): each resinfo starts with ';' */
	while (*p == ';') {
		const char *method, *result;
		size_t mlen, rlen;

		p = skip_cfws(p + 1);
		method = p;
		mlen = token_len(p);
		/* "method/version": the version is not ours to read */
		{
			const char *slash = memchr(method, '/', mlen);

			if (slash != NULL)
				mlen = (size_t)(slash - method);
		}
		p = skip_cfws(p + token_len(p));
		if (*p != '=') {
			p = skip_to_semicolon(p);
			continue;
		}
		p = skip_cfws(p + 1);
		result = p;
		rlen = token_len(p);
		if (rlen > 0 && tok_is(result, rlen, "fail")) {
			if (tok_is(method, mlen, "dmarc"))
				out->dmarc_fail = true;
			else if (tok_is(method, mlen, "spf"))
				out->spf_fail = true;
		}
		p = skip_to_semicolon(p + rlen);
	}
	return true;
}
