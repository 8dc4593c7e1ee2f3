/*
 * util/words.c - see words.h.
 */
#include <stdlib.h>
#include <string.h>

#include "util/words.h"
#include "util/xalloc.h"

static int
is_word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static unsigned char
lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

char **
words_split(const char *s, size_t len, size_t *nwords)
{
	char **w = NULL;
	size_t n = 0, i = 0;

	while (i < len) {
		size_t start, wl, j;
		char tmp[KM_MAX_WORD + 1];
		int dup = 0;

		while (i < len && !is_word_char((unsigned char)s[i]))
			i++;
		start = i;
		while (i < len && is_word_char((unsigned char)s[i]))
			i++;
		wl = i - start;
		if (wl < KM_MIN_WORD)
			continue;
		if (wl > KM_MAX_WORD)
			wl = KM_MAX_WORD;
		for (j = 0; j < wl; j++)
			tmp[j] = (char)lower((unsigned char)s[start + j]);
		tmp[wl] = '\0';
		for (j = 0; j < n; j++)
			if (!strcmp(w[j], tmp)) {
				dup = 1;
				break;
			}
		if (dup)
			continue;
		w = xreallocarray(w, n + 1, sizeof(*w));
		w[n++] = xstrdup(tmp);
	}
	*nwords = n;
	return w;
}

void
words_free(char **w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

int
words_icontains(const char *hay, size_t haylen, const char *needle)
{
	size_t nl = strlen(needle), i, j;

	if (nl == 0)
		return 1;
	for (i = 0; i + nl <= haylen; i++) {
		for (j = 0; j < nl; j++)
			if (lower((unsigned char)hay[i + j]) != lower((unsigned char)needle[j]))
				break;
		if (j == nl)
			return 1;
	}
	return 0;
}
