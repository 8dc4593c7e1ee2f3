/*
 * util/peer.c - see peer.h. Input: one trusted configuration value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/hex.h"
#include "util/limits.h"
#include "util/peer.h"
#include "util/xalloc.h"

static const char *const profile_names[] = {
	[PEER_PKS] = "pks", [PEER_SKS] = "sks", [PEER_ONAK] = "onak",
	[PEER_GENERIC] = "generic",
};

const char *
peer_profile_name(enum peer_profile p)
{
	if ((size_t)p < sizeof(profile_names) / sizeof(profile_names[0]))
		return profile_names[p];
	return "?";
}

bool
peer_addr_ok(const char *addr)
{
	size_t n, i, ats = 0;
	const char *at;

	if (addr == NULL || (n = strlen(addr)) == 0 || n > KM_MAX_ADDRESS)
		return false;
	if (addr[0] == '-')
		return false;	/* would read as an option in a mailer's argv */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)addr[i];

		if (c <= 0x20 || c >= 0x7f || strchr("<>\"(),;:\\[]", c) != NULL)
			return false;
		if (c == '@')
			ats++;
	}
	at = strchr(addr, '@');
	return ats == 1 && at != addr && at[1] != '\0';
}

/* The first two blank-separated words of value (length 0: missing);
 * true if anything follows them. */
static bool
two_words(const char *value, const char **a, size_t *alen, const char **b,
    size_t *blen)
{
	const char *p = value ? value : "";

	while (*p == ' ' || *p == '\t')
		p++;
	*a = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*alen = (size_t)(p - *a);
	while (*p == ' ' || *p == '\t')
		p++;
	*b = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*blen = (size_t)(p - *b);
	while (*p == ' ' || *p == '\t')
		p++;
	return *p != '\0';
}

int
peer_parse(const char *value, struct peer *out, char *err, size_t errlen)
{
	const char *a, *w;
	size_t alen, wlen, i;
	int prof = PEER_PKS;
	bool more = two_words(value, &a, &alen, &w, &wlen);

	if (alen == 0) {
		snprintf(err, errlen, "an address is required");
		return -1;
	}
	if (more) {
		snprintf(err, errlen, "expected ADDRESS [pks|sks|onak|generic]");
		return -1;
	}
	{
		char addr[KM_MAX_ADDRESS + 2];

		if (alen > KM_MAX_ADDRESS) {
			snprintf(err, errlen, "address longer than %u bytes",
			    KM_MAX_ADDRESS);
			return -1;
		}
		memcpy(addr, a, alen);
		addr[alen] = '\0';
		if (!peer_addr_ok(addr)) {
			snprintf(err, errlen, "'%s' is not a plain address "
			    "(local@domain, no display name or brackets)", addr);
			return -1;
		}
	}
	if (wlen > 0) {
		prof = -1;
		for (i = 0; i < sizeof(profile_names) / sizeof(profile_names[0]); i++)
			if (strlen(profile_names[i]) == wlen &&
			    strncasecmp(w, profile_names[i], wlen) == 0)
				prof = (int)i;
		if (prof < 0) {
			snprintf(err, errlen, "unknown profile '%.*s' "
			    "(pks, sks, onak or generic)", (int)(wlen > 32 ? 32 : wlen), w);
			return -1;
		}
	}
	if (out != NULL) {
		out->addr = xstrndup(a, alen);
		out->profile = (enum peer_profile)prof;
	}
	return 0;
}

int
recon_peer_parse(const char *value, char **addr, uint8_t fpr[20], char *err,
    size_t errlen)
{
	const char *a, *f;
	size_t alen, flen, i;
	char abuf[KM_MAX_ADDRESS + 2];
	bool more = two_words(value, &a, &alen, &f, &flen);

	if (alen == 0 || flen == 0 || more) {
		snprintf(err, errlen, "expected ADDRESS FINGERPRINT");
		return -1;
	}
	if (alen > KM_MAX_ADDRESS) {
		snprintf(err, errlen, "address longer than %u bytes", KM_MAX_ADDRESS);
		return -1;
	}
	memcpy(abuf, a, alen);
	abuf[alen] = '\0';
	if (!peer_addr_ok(abuf)) {
		snprintf(err, errlen, "'%s' is not a plain address "
		    "(local@domain, no display name or brackets)", abuf);
		return -1;
	}
	if (flen != 40) {
		snprintf(err, errlen, "the fingerprint must be exactly 40 hex "
		    "digits, without blanks");
		return -1;
	}
	for (i = 0; i < 20; i++) {
		int hi = hex_digit(f[2 * i]), lo = hex_digit(f[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "the fingerprint must be exactly "
			    "40 hex digits, without blanks");
			return -1;
		}
		fpr[i] = (uint8_t)(hi << 4 | lo);
	}
	if (addr != NULL)
		*addr = xstrdup(abuf);
	return 0;
}

void
peer_free(struct peer *p)
{
	if (p == NULL)
		return;
	free(p->addr);
	p->addr = NULL;
}
