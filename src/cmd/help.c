/*
 * cmd/help.c - HELP [lang]: the help text from help_dir/<code>.txt, and
 * the short reply to a Subject that is no command.
 *
 * The language code comes from the Subject (untrusted): only
 * [A-Za-z]{2}(-[A-Za-z]{2})? is accepted, so it can never name a path
 * outside help_dir. pks codes and ISO 639 codes are both accepted (the
 * alias table maps ISO codes onto our file names). An unknown or missing
 * language falls back to English; with an explicit request we say so in
 * one line (the spec's "without comment" would leave the sender guessing
 * why the text is in English). help_dir/<code>.intro, if there is one,
 * is the reply's intro part in that language (r->intro); English uses
 * the built-in cmd_intro.
 *
 * Placeholders $maintainer, $address, $server_name, $version,
 * $max_reply_keys, $max_last_days, $max_message_size_kib,
 * $max_keys_per_add, $max_search, $max_last_reply_keys,
 * $max_key_size_kib, $max_reply_size_kib, and for owner control
 * $policy, $control_max_age_hours, $challenge_ttl_hours,
 * $max_token_mails_per_day, $max_bad_tokens_per_hour,
 * $address_token_ttl_hours, $max_address_mails_per_hour,
 * $max_notify_mails_per_day, $max_subscriptions_per_address and
 * $expiry_warn_days are replaced from the config
 * ($max_last_reply_keys by LAST's real cap, cmd_last_cap: the smaller of
 * max_reply_keys and max_last_reply_keys). A line that is exactly
 * "$if peers", "$else" or "$endif" keeps the lines between them only when
 * peers are (or, after $else, are not) configured: the text must not
 * promise that keys are passed on when nothing passes them on. "$if open"
 * does the same for policy = open: "every key sent here is public" is
 * true only there (owner-control.md 2).
 *
 * An unknown command gets cmd_unknown's few lines, never the help text:
 * every spam the robot address receives is an unknown command, sent
 * from a forged address, and pks's answer (the whole help text) turned
 * the robot into a source of backscatter (issue 15; README "Choices").
 *
 * When server_key names a usable key file, the help text ends with the
 * line "Server key: FPR" (reconciliation.md 3.4).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/log.h"
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
read_help(const char *dir, const char *code, const char *ext)
{
	char path[4096];
	FILE *fp;
	struct buf b;
	char tmp[4096];
	size_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.%s", dir, code, ext) >= sizeof(path))
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

/* Is the line at p exactly word (then LF or the end)? */
static bool
line_is(const char *p, const char *word)
{
	size_t n = strlen(word);

	return strncmp(p, word, n) == 0 && (p[n] == '\n' || p[n] == '\0');
}

static void
substitute(const struct conf *c, const char *text, struct buf *out)
{
	const char *p = text;
	bool keep = true, cond = true, at_bol = true;

	while (*p) {
		const char *d;

		if (at_bol && *p == '$') {
			/* $if peers|open / $else / $endif: a line of its own */
			if (line_is(p, "$if peers") || line_is(p, "$if open") ||
			    line_is(p, "$else") || line_is(p, "$endif")) {
				if (line_is(p, "$if peers"))
					keep = cond = c->npeers > 0;
				else if (line_is(p, "$if open"))
					keep = cond =
					    c->policy == CONF_POLICY_OPEN;
				else if (line_is(p, "$else"))
					keep = !cond;
				else
					keep = true;
				p += strcspn(p, "\n");
				if (*p)
					p++;
				continue;
			}
		}
		if (!keep) {
			p += strcspn(p, "\n");
			if (*p)
				p++;
			at_bol = true;
			continue;
		}
		/* up to the next '$' or the end of the line */
		d = p + strcspn(p, "$\n");
		buf_append(out, p, (size_t)(d - p));
		p = d;
		if (*p == '\n') {
			buf_putc(out, '\n');
			p++;
			at_bol = true;
			continue;
		}
		at_bol = false;
		if (*p == '\0')
			break;
#define SUB(name, fmt, val) \
		if (!strncmp(p, "$" name, sizeof(name))) { \
			buf_printf(out, fmt, val); p += sizeof(name); continue; }
		SUB("maintainer", "%s", c->maintainer ? c->maintainer : c->address)
		/* before "address", which is its prefix */
		SUB("address_token_ttl_hours", "%zu",
		    (c->address_token_ttl + 3599) / 3600)
		SUB("address", "%s", c->address)
		SUB("server_name", "%s", c->server_name ? c->server_name : c->address)
		SUB("version", "%s", cmd_version())
		SUB("max_reply_keys", "%zu", c->max_reply_keys)
		SUB("max_last_days", "%zu", c->max_last_days)
		SUB("max_message_size_kib", "%zu", c->max_message_size / 1024)
		SUB("max_keys_per_add", "%zu", c->max_keys_per_add)
		SUB("max_search", "%zu", c->max_search)
		SUB("max_last_reply_keys", "%zu", cmd_last_cap(c))
		SUB("max_key_size_kib", "%zu", c->max_key_size / 1024)
		SUB("max_reply_size_kib", "%zu", c->max_reply_size / 1024)
		SUB("policy", "%s", c->policy == CONF_POLICY_TRUSTED ? "trusted" :
		    c->policy == CONF_POLICY_VERIFIED ? "verified" : "open")
		SUB("control_max_age_hours", "%zu", c->control_max_age / 3600)
		SUB("challenge_ttl_hours", "%zu", (c->challenge_ttl + 3599) / 3600)
		SUB("max_token_mails_per_day", "%zu", c->max_token_mails_per_day)
		SUB("max_bad_tokens_per_hour", "%zu", c->max_bad_tokens_per_hour)
		SUB("max_address_mails_per_hour", "%zu",
		    c->max_address_mails_per_hour)
		SUB("max_notify_mails_per_day", "%zu", c->max_notify_mails_per_day)
		SUB("max_subscriptions_per_address", "%zu",
		    c->max_subscriptions_per_address)
		SUB("expiry_warn_days", "%zu", c->expiry_warn_days)
#undef SUB
		buf_putc(out, '$');
		p++;
	}
}

/* "Server key: FPR" at the end, when server_key names a usable file
 * (reconciliation.md 3.4); nothing otherwise. */
static void
server_key_line(const struct conf *c, struct buf *out)
{
	struct recon_server_key k;
	char why[512];

	if (cmd_server_key_load(c, &k, why, sizeof(why)) != 0)
		return;
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		buf_putc(out, '\n');
	buf_printf(out, "\nServer key: %s\n", k.fpr_hex);
	recon_server_key_clear(&k);
}

void
cmd_help(struct cmd_ctx *ctx, const char *lang, struct cmd_result *r)
{
	const struct conf *c = ctx->conf;
	char code[8];
	char *text = NULL, *intro;

	if (lang != NULL && *lang != '\0') {
		if (lang_code(lang, code, sizeof(code)) == 0 &&
		    (text = read_help(c->help_dir, code, "txt")) != NULL &&
		    (intro = read_help(c->help_dir, code, "intro")) != NULL) {
			struct buf b;

			buf_init(&b, HELP_MAX_SIZE);
			substitute(c, intro, &b);
			free(intro);
			free(r->intro);
			r->intro = (char *)buf_detach(&b, NULL);
		}
		if (text == NULL)
			buf_puts(&r->body, "(Help in the language you asked for is not "
			    "available; here it is in English.)\n\n");
	}
	if (text == NULL)
		text = read_help(c->help_dir, "en", "txt");
	if (text == NULL) {
		/* The operator's to fix; the user is told so too. */
		log_errorx("help text missing: cannot read %s/en.txt (help_dir; "
		    "keymail check tells what is wrong)", c->help_dir);
		buf_puts(&r->body, "The help text is missing on this server; please tell "
		    "the operator.\n");
		return;
	}
	substitute(c, text, &r->body);
	free(text);
	server_key_line(c, &r->body);
}

bool
cmd_help_available(const struct conf *c, char *why, size_t whylen)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/en.txt", c->help_dir);
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	fclose(fp);
	return true;
}

size_t
cmd_help_languages(const struct conf *c, char *have, size_t havelen,
    char *missing, size_t missinglen)
{
	static const char *const codes[] = {
		"en", "cz", "de", "dk", "es", "fi", "fr", "hr", "ja", "kr",
		"no", "pl", "pt", "se", "tw",
	};
	size_t i, n = 0;
	char *text;

	*have = *missing = '\0';
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char *dst = missing;
		size_t dlen = missinglen;

		if ((text = read_help(c->help_dir, codes[i], "txt")) != NULL) {
			n++;
			dst = have;
			dlen = havelen;
			free(text);
		}
		if (strlen(dst) + 4 < dlen)
			snprintf(dst + strlen(dst), dlen - strlen(dst), "%s%s",
			    *dst ? " " : "", codes[i]);
	}
	return n;
}

void
cmd_unknown(struct cmd_ctx *ctx, struct cmd_result *r)
{
	(void)ctx;
	r->suffix = ", was invalid";
	buf_puts(&r->body,
	    "Your message was not understood: its Subject is not a command of\n"
	    "this keyserver, so nothing was done.\n"
	    "\n"
	    "The command goes in the Subject line: ADD, GET, INDEX, VERBOSE INDEX,\n"
	    "MGET, LAST or HELP. Send a message with the Subject HELP for\n"
	    "instructions.\n");
}
