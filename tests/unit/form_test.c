/*
 * form_test.c - the HKP query/form decoder (serve/form.c), table-driven.
 * Cases include the exact bodies GnuPG's dirmngr and curl's --data-urlencode
 * produce (spaces as %20, '+' as %2B, newlines as %0A).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "serve/form.h"

struct want_case {
	const char *in;
	enum form_status st;
	const char *name;	/* field to look up; NULL: none */
	const char *value;	/* expected value, NULL: absent */
	size_t n;		/* number of fields */
};

static const struct want_case cases[] = {
	{ "", FORM_OK, "op", NULL, 0 },
	{ "op=get", FORM_OK, "op", "get", 1 },
	{ "op=get&search=0xDEADBEEF", FORM_OK, "search", "0xDEADBEEF", 2 },
	{ "search=Alice+Tester", FORM_OK, "search", "Alice Tester", 1 },
	{ "search=Alice%20Tester", FORM_OK, "search", "Alice Tester", 1 },
	{ "search=a%2Bb", FORM_OK, "search", "a+b", 1 },
	{ "search=%e2%82%ac", FORM_OK, "search", "\xe2\x82\xac", 1 },
	{ "search=%E2%82%AC", FORM_OK, "search", "\xe2\x82\xac", 1 },
	/* first occurrence counts */
	{ "op=get&op=index", FORM_OK, "op", "get", 2 },
	/* empty pieces skipped, a field without '=' is empty */
	{ "&&op=get&&exact", FORM_OK, "exact", "", 2 },
	{ "op=", FORM_OK, "op", "", 1 },
	{ "=x", FORM_OK, "", "x", 1 },
	/* names are case-sensitive: OP is another field */
	{ "OP=get", FORM_OK, "op", NULL, 1 },
	/* '=' inside a value stays */
	{ "a=b=c", FORM_OK, "a", "b=c", 1 },
	{ "keytext=-----BEGIN%20PGP%0Aabc%3D%3D%0A", FORM_OK, "keytext",
	    "-----BEGIN PGP\nabc==\n", 1 },
	/* malformed */
	{ "a=%", FORM_BAD_ESCAPE, NULL, NULL, 0 },
	{ "a=%4", FORM_BAD_ESCAPE, NULL, NULL, 0 },
	{ "a=%4g", FORM_BAD_ESCAPE, NULL, NULL, 0 },
	{ "a=%g4", FORM_BAD_ESCAPE, NULL, NULL, 0 },
	{ "%zz=1&op=get", FORM_BAD_ESCAPE, NULL, NULL, 0 },
	{ "a=%00", FORM_NUL, NULL, NULL, 0 },
	{ "a%00=1", FORM_NUL, NULL, NULL, 0 },
	{ "a=%ff", FORM_NOT_UTF8, NULL, NULL, 0 },
	{ "a=%c0%af", FORM_NOT_UTF8, NULL, NULL, 0 },		/* overlong '/' */
	{ "a=%ed%a0%80", FORM_NOT_UTF8, NULL, NULL, 0 },	/* surrogate */
	{ "a=%e2%82", FORM_NOT_UTF8, NULL, NULL, 0 },		/* cut sequence */
	{ "op=get&x=%ff", FORM_NOT_UTF8, NULL, NULL, 0 },	/* unknown field too */
};

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want_case *c = &cases[i];
		struct form f;
		enum form_status st = form_parse(c->in, strlen(c->in), &f);

		CHECK(st == c->st, "%s: status got %d, want %d", c->in, st, c->st);
		CHECK(f.n == c->n, "%s: fields got %zu, want %zu", c->in, f.n, c->n);
		if (c->name) {
			const char *v = form_get(&f, c->name);

			if (c->value == NULL)
				CHECK(v == NULL, "%s: %s got \"%s\", want absent", c->in,
				    c->name, v);
			else
				CHECK(v && strcmp(v, c->value) == 0, "%s: %s got \"%s\", "
				    "want \"%s\"", c->in, c->name, check_nn(v), c->value);
		}
		form_free(&f);
		form_free(&f);	/* twice is safe */
	}

	/* Length is what counts, not a NUL in the caller's buffer. */
	{
		struct form f;
		const char in[] = "op=get&search=x";

		CHECK_INT(form_parse(in, 6, &f), FORM_OK);
		CHECK_STR(form_get(&f, "op"), "get");
		CHECK(form_get(&f, "search") == NULL, "length ignored");
		form_free(&f);
	}
	/* value_len */
	{
		struct form f;
		size_t n = 0;

		CHECK_INT(form_parse("k=a%20b", 7, &f), FORM_OK);
		CHECK_STR(form_get_len(&f, "k", &n), "a b");
		CHECK_INT(n, 3);
		form_free(&f);
	}
	/* Path segments: '+' is not a blank there. */
	{
		char *out = NULL;

		CHECK_INT(form_unescape_path("alice%40example.org", 19, &out), FORM_OK);
		CHECK_STR(out, "alice@example.org");
		free(out);
		CHECK_INT(form_unescape_path("a+b", 3, &out), FORM_OK);
		CHECK_STR(out, "a+b");
		free(out);
		CHECK_INT(form_unescape_path("a%zz", 4, &out), FORM_BAD_ESCAPE);
		CHECK(out == NULL, "out set on error");
		CHECK_INT(form_unescape_path("%00", 3, &out), FORM_NUL);
	}
	CHECK(strlen(form_strerror(FORM_BAD_ESCAPE)) > 0, "strerror");
	return check_done();
}
