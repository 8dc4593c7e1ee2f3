/*
 * mail/command.c - the Subject command grammar (mail-protocol.md 1.2 Rec).
 *
 * DESCRIPTION
 *	subject = command [blanks argument]; the command is a whole,
 *	case-insensitive token (so "Indexes" is not INDEX and "GETalice" is
 *	nothing), "VERBOSE INDEX" may have any run of blanks between its
 *	words, and the argument is the rest of the Subject, trimmed. A
 *	prefix such as "Re: " makes the Subject invalid, as in pks.
 *	Whether a command needs or ignores its argument is the caller's
 *	business; this file only splits.
 *
 * MEMORY
 *	out->arg is malloc'd (or NULL); mail_command_free() releases it.
 *
 * SECURITY
 *	The Subject is untrusted (though mail_parse() has already removed
 *	controls). Pure function: no I/O, no globals.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/mail.h"
#include "util/xalloc.h"

static const struct {
	const char *word;
	enum mail_cmd cmd;
} keywords[] = {
	{ "HELP", MAIL_CMD_HELP },
	{ "ADD", MAIL_CMD_ADD },
	{ "INCREMENTAL", MAIL_CMD_INCREMENTAL },
	{ "INDEX", MAIL_CMD_INDEX },
	{ "GET", MAIL_CMD_GET },
	{ "MGET", MAIL_CMD_MGET },
	{ "LAST", MAIL_CMD_LAST },
	{ "RECON", MAIL_CMD_RECON },
};

/* Blanks are SP and TAB; a normalized Subject has only SP, but the
 * function is also fed raw strings by tests and future callers. */
static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static const char *
skip_blanks(const char *s)
{
	while (is_blank((unsigned char)*s))
		s++;
	return s;
}

static size_t
token_len(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0' && !is_blank((unsigned char)s[n]))
		n++;
	return n;
}

static int
token_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

void
mail_command_parse(const char *subject, struct mail_command *out)
{
	const char *s, *arg;
	size_t n, i, alen;

	out->cmd = MAIL_CMD_INVALID;
	out->arg = NULL;
	if (subject == NULL)
		return;
	s = skip_blanks(subject);
	n = token_len(s);
	if (n == 0)
		return;
	arg = NULL;
	if (token_is(s, n, "VERBOSE")) {
		const char *t = skip_blanks(s + n);
		size_t m = token_len(t);

		if (!token_is(t, m, "INDEX"))
			return;
		out->cmd = MAIL_CMD_VERBOSE_INDEX;
		arg = t + m;
	} else {
		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (token_is(s, n, keywords[i].word)) {
				out->cmd = keywords[i].cmd;
				arg = s + n;
				break;
			}
		if (arg == NULL)
			return;
	}
	arg = skip_blanks(arg);
	alen = strlen(arg);
	while (alen > 0 && is_blank((unsigned char)arg[alen - 1]))
		alen--;
	if (alen > 0)
		out->arg = xstrndup(arg, alen);
}

void
mail_command_free(struct mail_command *c)
{
	if (c == NULL)
		return;
	free(c->arg);
	c->arg = NULL;
	c->cmd = MAIL_CMD_INVALID;
}

const char *
mail_cmd_name(enum mail_cmd c)
{
	switch (c) {
	case MAIL_CMD_INVALID:
		return "INVALID";
	case MAIL_CMD_HELP:
		return "HELP";
	case MAIL_CMD_ADD:
		return "ADD";
	case MAIL_CMD_INCREMENTAL:
		return "INCREMENTAL";
	case MAIL_CMD_INDEX:
		return "INDEX";
	case MAIL_CMD_VERBOSE_INDEX:
		return "VERBOSE INDEX";
	case MAIL_CMD_GET:
		return "GET";
	case MAIL_CMD_MGET:
		return "MGET";
	case MAIL_CMD_LAST:
		return "LAST";
	case MAIL_CMD_RECON:
		return "RECON";
	}
	return "INVALID";
}
