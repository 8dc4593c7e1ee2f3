/*
 * fuzz_form.c - libFuzzer target: the HKP query/form decoder
 * (serve/form.c) and path unescaping.
 *
 * Properties checked (abort on violation): a decoded name or value never
 * holds a NUL before its end and is always UTF-8; a value is never longer
 * than the input; decoding the same input twice gives the same fields;
 * form_unescape_path agrees with form_parse on inputs without '+', '&'
 * and '=' (a field name is decoded the same way).
 * Seeds: tests/fuzz/corpus/fuzz_form (queries dirmngr, curl and browsers send).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/form.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *s, size_t len)
{
	size_t i = 0, n;

	if (strlen(s) != len)
		abort();
	while (i < len) {
		n = utf8_seq_len((const uint8_t *)s + i, len - i);
		if (n == 0)
			abort();
		i += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form f, g;
	enum form_status st, st2;
	char *p = NULL;
	size_t i;
	int plain = 1;

	st = form_parse((const char *)data, size, &f);
	if (st != FORM_OK && f.n != 0)
		abort();
	for (i = 0; i < f.n; i++) {
		check_text(f.v[i].name, strlen(f.v[i].name));
		check_text(f.v[i].value, f.v[i].value_len);
		if (f.v[i].value_len > size)
			abort();
		if (form_get(&f, f.v[i].name) == NULL)
			abort();
	}
	st2 = form_parse((const char *)data, size, &g);
	if (st2 != st || g.n != f.n)
		abort();
	for (i = 0; i < f.n; i++)
		if (strcmp(f.v[i].value, g.v[i].value) != 0)
			abort();
	form_free(&g);

	for (i = 0; i < size; i++)
		if (data[i] == '+' || data[i] == '&' || data[i] == '=')
			plain = 0;
	st2 = form_unescape_path((const char *)data, size, &p);
	if (st2 == FORM_OK) {
		check_text(p, strlen(p));
		if (plain && size > 0 && (st != FORM_OK || f.n != 1 ||
		    strcmp(f.v[0].name, p) != 0))
			abort();
	} else if (p != NULL)
		abort();
	else if (plain && size > 0 && st == FORM_OK)
		abort();
	free(p);
	form_free(&f);
	return 0;
}
