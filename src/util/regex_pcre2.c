/*
 * util/regex_pcre2.c - util/regex.h on PCRE2 (the only pcre2.h user).
 *
 * The interpreter is used, not the JIT: pcre2_set_depth_limit() has no
 * effect on JIT matching, and the bound on each match matters more here
 * than its speed. Limits are set on a match context per call, so the
 * caller can raise them step by step (see cmd/mget.c).
 *
 * Untrusted: the pattern and the subjects. Both are handed to PCRE2 with
 * their lengths; neither needs a terminating NUL.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "util/regex.h"
#include "util/xalloc.h"

struct km_regex {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

struct km_regex *
km_regex_compile(const char *pattern, size_t len, char *err, size_t errlen)
{
	struct km_regex *re;
	pcre2_code *code;
	int ec = 0;
	PCRE2_SIZE eo = 0;

	code = pcre2_compile((PCRE2_SPTR)pattern, len,
	    PCRE2_CASELESS | PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C, &ec, &eo, NULL);
	if (code == NULL) {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(ec, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", ec);
		snprintf(err, errlen, "%s at offset %zu", (const char *)msg,
		    (size_t)eo);
		return NULL;
	}
	re = xcalloc(1, sizeof(*re));
	re->code = code;
	re->md = pcre2_match_data_create_from_pattern(code, NULL);
	re->mctx = pcre2_match_context_create(NULL);
	if (re->md == NULL || re->mctx == NULL) {
		km_regex_free(re);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return re;
}

enum km_regex_result
km_regex_match(struct km_regex *re, const char *subject, size_t len,
    unsigned long match_limit, unsigned long depth_limit)
{
	int rc;

	/* PCRE2 takes uint32_t limits; 0 would mean "no steps at all". */
	if (match_limit == 0)
		match_limit = 1;
	if (match_limit > UINT32_MAX)
		match_limit = UINT32_MAX;
	if (depth_limit == 0)
		depth_limit = 1;
	if (depth_limit > UINT32_MAX)
		depth_limit = UINT32_MAX;
	(void)pcre2_set_match_limit(re->mctx, (uint32_t)match_limit);
	(void)pcre2_set_depth_limit(re->mctx, (uint32_t)depth_limit);
	rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, re->md,
	    re->mctx);
	if (rc >= 0)
		return KM_RE_MATCH;
	switch (rc) {
	case PCRE2_ERROR_NOMATCH:
		return KM_RE_NOMATCH;
	case PCRE2_ERROR_MATCHLIMIT:
	case PCRE2_ERROR_DEPTHLIMIT:
	case PCRE2_ERROR_HEAPLIMIT:
	case PCRE2_ERROR_NOMEMORY:	/* the heap a deep match wanted */
		return KM_RE_LIMIT;
	default:
		return KM_RE_ERROR;
	}
}

void
km_regex_free(struct km_regex *re)
{
	if (re == NULL)
		return;
	pcre2_match_data_free(re->md);
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free(re);
}
