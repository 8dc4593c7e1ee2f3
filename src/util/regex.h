/*
 * util/regex.h - a bounded regular-expression matcher (MGET).
 *
 * util/regex_pcre2.c is the only file that includes pcre2.h. Patterns are
 * Perl-compatible (PCRE2), compiled case-insensitive and in UTF-8 mode;
 * \C is refused (it could split a UTF-8 character). Every match runs
 * under a match limit (backtracking steps) and a depth limit (nested
 * backtracking frames, which also bounds the heap a match may take), so a
 * pattern built to backtrack for ever is stopped and reported instead.
 *
 * Untrusted input: the pattern (from a mail Subject) and the subjects.
 * Memory: struct km_regex owns its compiled code and match data;
 * km_regex_free() releases. No globals: several may exist at once.
 */
#ifndef KM_UTIL_REGEX_H
#define KM_UTIL_REGEX_H

#include <stddef.h>

enum km_regex_result {
	KM_RE_NOMATCH = 0,
	KM_RE_MATCH = 1,
	KM_RE_LIMIT = -2,	/* the match or depth limit was reached */
	KM_RE_ERROR = -1,	/* anything else (bad UTF-8 in the subject, ...) */
};

struct km_regex;

/* Compile pattern (len bytes, need not be NUL-terminated). On error
 * returns NULL and writes PCRE2's message and the offset (in bytes) of
 * the error into err, e.g. "missing closing parenthesis at offset 7". */
struct km_regex *km_regex_compile(const char *pattern, size_t len,
    char *err, size_t errlen);

/* Match subject (len bytes, valid UTF-8) with at most match_limit steps
 * and depth_limit frames (both at least 1). */
enum km_regex_result km_regex_match(struct km_regex *re, const char *subject,
    size_t len, unsigned long match_limit, unsigned long depth_limit);

void km_regex_free(struct km_regex *re);	/* NULL is allowed */

#endif
