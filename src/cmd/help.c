/*
 * cmd/help.c - HELP [lang]: the help text from help_dir/<code>.txt.
 *
 * The language code comes from the Subject (untrusted): only
 * [A-Za-z]{2}(-[A-Za-z]{2})? is accepted, so it can never name a path
 * outside help_dir. pks codes and ISO 639 codes are both accepted (the
 * alias table maps ISO codes onto our file names). An unknown or missing
 * language falls back to English; with an explicit request we say so in
 * one line (the spec's "without comment" would leave the sender guessing
 * why the text is in English).
 * Placeholders $maintainer, $address, $max_reply_keys, $max_last_days,
 * $max_message_size_kib, $max_keys_per_add, $max_search,
 * $max_last_reply_keys, $max_key_size_kib, $max_reply_size_kib are replaced
 * from the config ($max_last_reply_keys by LAST's real cap, cmd_last_cap:
 * the smaller of max_reply_keys and max_last_reply_keys).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/xalloc.h"

#define HELP_MAX_SIZE (256u * 1024)

/* ISO 639 (and a few regional) codes -> pks code, which names the file. */
static const struct { const char *from, *to; } lang_alias[] = {
	{ "cs", "cz" }, { "da", "dk" }, { "ko", "kr" }, { "sv", "se" },
	{ "nb", "no" }, { "nn", "no" }, { "zh", "tw" }, { "zh-tw", "tw" },
	{ "en-us", "en" }, { "en-gb", "en" }, { "pt-br", "pt" }, { "pt-pt", "pt" },
	{ "de-de", "de" }, { "de-at", "de" }, { "de-ch", "de" }, { "fr-fr", "fr" },
	{ "es-es", "es" },
};

/* Normalise a code; returns 0 and fills out (lower case) if well-formed. */
static int
lang_code(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in), i;

	if (!(n == 2 || n == 5) || outlen < 6)
		return -1;
	for (i = 0; i < n; i++) {
		if (i == 2 && n == 5) {
			if (in[i] != '-')
				return -1;
			out[i] = '-';
			continue;
		}
		if (!isalpha((unsigned char)in[i]) || (unsigned char)in[i] > 0x7f)
			return -1;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[n] = '\0';
	for (i = 0; i < sizeof(lang_alias) / sizeof(lang_alias[0]); i++)
		if (!strcmp(out, lang_alias[i].from)) {
			strcpy(out, lang_alias[i].to);
			break;
		}
	return 0;
}

static char *
read_help(const char *dir, const char *code)
{
	char path[4096];
	FILE *fp;
	struct buf b;
	char tmp[4096];
	size_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.txt", dir, code) >= sizeof(path))
		return NULL;
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	buf_init(&b, HELP_MAX_SIZE);
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		if (buf_append(&b, tmp, n) < 0)
			break;
	fclose(fp);
	return (char *)buf_detach(&b, NULL);
}

static void
substitute(const struct conf *c, const char *text, struct buf *out)
{
	const char *p = text;

	while (*p) {
		const char *d = strchr(p, '$');

		if (d == NULL) {
			buf_puts(out, p);
			return;
		}
		buf_append(out, p, (size_t)(d - p));
		p = d;
#define SUB(name, fmt, val) \
		if (!strncmp(p, "$" name, sizeof(name))) { \
			buf_printf(out, fmt, val); p += sizeof(name); continue; }
		SUB("maintainer", "%s", c->maintainer ? c->maintainer : c->address)
		SUB("address", "%s", c->address)
		SUB("max_reply_keys", "%zu", c->max_reply_keys)
		SUB("max_last_days", "%zu", c->max_last_days)
		SUB("max_message_size_kib", "%zu", c->max_message_size / 1024)
		SUB("max_keys_per_add", "%zu", c->max_keys_per_add)
		SUB("max_search", "%zu", c->max_search)
		SUB("max_last_reply_keys", "%zu", cmd_last_cap(c))
		SUB("max_key_size_kib", "%zu", c->max_key_size / 1024)
		SUB("max_reply_size_kib", "%zu", c->max_reply_size / 1024)
#undef SUB
		buf_putc(out, '$');
		p++;
	}
}

void
cmd_help(struct cmd_ctx *ctx, const char *lang, struct cmd_result *r)
{
	const struct conf *c = ctx->conf;
	char code[8];
	char *text = NULL;

	if (lang != NULL && *lang != '\0') {
		if (lang_code(lang, code, sizeof(code)) == 0)
			text = read_help(c->help_dir, code);
		if (text == NULL)
			buf_puts(&r->body, "(Help in the language you asked for is not "
			    "available; here it is in English.)\n\n");
	}
	if (text == NULL)
		text = read_help(c->help_dir, "en");
	if (text == NULL) {
		buf_puts(&r->body, "The help text is missing on this server; please tell "
		    "the operator.\n");
		return;
	}
	substitute(c, text, &r->body);
	free(text);
}
