/*
 * util/words.h - the search-word rule shared by indexing and INDEX/GET.
 *
 * A word is a maximal run of ASCII letters and digits, folded to lower
 * case; words shorter than 2 characters are dropped (pks rule, see
 * mail-protocol.md 1.3). Input is untrusted text of any bytes.
 * Memory: words_split returns a malloc'd array of malloc'd strings,
 * duplicates removed; free with words_free().
 */
#ifndef KM_UTIL_WORDS_H
#define KM_UTIL_WORDS_H

#include <stddef.h>

#define KM_MIN_WORD 2u
#define KM_MAX_WORD 64u		/* longer runs are cut to this length */

char **words_split(const char *s, size_t len, size_t *nwords);
void words_free(char **w, size_t n);
/* Case-insensitive (ASCII) substring test of needle in hay. */
int words_icontains(const char *hay, size_t haylen, const char *needle);

#endif
