/*
 * tests/unit/check.h - a tiny table-driven test harness.
 *
 * CHECK(cond, fmt, ...) counts a pass or prints "FAIL file:line: got/want"
 * text and counts a failure. check_done() prints the closing line
 * "N passed, N failed" that tests/run adds up, and returns the exit code.
 */
#ifndef KM_TEST_CHECK_H
#define KM_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		check_passed++;						\
	} else {							\
		check_failed++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static inline const char *
check_nn(const char *s)
{
	return s ? s : "(null)";
}

#define CHECK_STR(got, want) CHECK(strcmp(check_nn(got), (want)) == 0, \
	"%s: got \"%s\", want \"%s\"", #got, check_nn(got), (want))
#define CHECK_INT(got, want) CHECK((long long)(got) == (long long)(want), \
	"%s: got %lld, want %lld", #got, (long long)(got), (long long)(want))

static inline int
check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
