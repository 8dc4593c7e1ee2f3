/*
 * tests/unit/command_test.c - the Subject grammar (mail/command.c).
 *
 * One table row per Subject: the command and argument we want, NULL for
 * "no argument". Covers mail-protocol.md 1.2 "Rec": whole tokens, any
 * case, blank runs in VERBOSE INDEX, trimmed argument, prefixes invalid.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mail/mail.h"

static const struct {
	const char *subject;
	enum mail_cmd cmd;
	const char *arg;
} cases[] = {
	{ "get 0xDEADBEEF", MAIL_CMD_GET, "0xDEADBEEF" },
	{ "GET 0xDEADBEEF", MAIL_CMD_GET, "0xDEADBEEF" },
	{ "GetT x", MAIL_CMD_INVALID, NULL },
	{ "GETalice", MAIL_CMD_INVALID, NULL },
	{ "GET", MAIL_CMD_GET, NULL },
	{ "GET   ", MAIL_CMD_GET, NULL },
	{ "GET alice smith ", MAIL_CMD_GET, "alice smith" },
	{ "GET\talice", MAIL_CMD_GET, "alice" },
	{ "VERBOSE   INDEX bob", MAIL_CMD_VERBOSE_INDEX, "bob" },
	{ "verbose index bob", MAIL_CMD_VERBOSE_INDEX, "bob" },
	{ "Verbose\tIndex  Bob  Smith", MAIL_CMD_VERBOSE_INDEX, "Bob  Smith" },
	{ "VERBOSE INDEX", MAIL_CMD_VERBOSE_INDEX, NULL },
	{ "VERBOSE", MAIL_CMD_INVALID, NULL },
	{ "VERBOSE bob", MAIL_CMD_INVALID, NULL },
	{ "VERBOSE INDEXES bob", MAIL_CMD_INVALID, NULL },
	{ "VERBOSEINDEX bob", MAIL_CMD_INVALID, NULL },
	{ "INDEX bob", MAIL_CMD_INDEX, "bob" },
	{ "index", MAIL_CMD_INDEX, NULL },
	{ "Indexes foo", MAIL_CMD_INVALID, NULL },
	{ "  ADD  ", MAIL_CMD_ADD, NULL },
	{ "ADD", MAIL_CMD_ADD, NULL },
	{ "add my key", MAIL_CMD_ADD, "my key" },
	{ "ADDITIONAL KEY", MAIL_CMD_INVALID, NULL },
	{ "HELP", MAIL_CMD_HELP, NULL },
	{ "HELP de", MAIL_CMD_HELP, "de" },
	{ "help   FR  ", MAIL_CMD_HELP, "FR" },
	{ "HELPDE", MAIL_CMD_INVALID, NULL },
	{ "LAST 7", MAIL_CMD_LAST, "7" },
	{ "last", MAIL_CMD_LAST, NULL },
	{ "LAST7", MAIL_CMD_INVALID, NULL },
	{ "MGET E8F605A5|5F3E38F5", MAIL_CMD_MGET, "E8F605A5|5F3E38F5" },
	{ "mget .*", MAIL_CMD_MGET, ".*" },
	{ "incremental", MAIL_CMD_INCREMENTAL, NULL },
	{ "INCREMENTAL", MAIL_CMD_INCREMENTAL, NULL },
	{ "Incremental extra", MAIL_CMD_INCREMENTAL, "extra" },
	{ "incrementals", MAIL_CMD_INVALID, NULL },
	{ "", MAIL_CMD_INVALID, NULL },
	{ "   ", MAIL_CMD_INVALID, NULL },
	{ "Re: GET x", MAIL_CMD_INVALID, NULL },
	{ "Fwd: ADD", MAIL_CMD_INVALID, NULL },
	{ "hello world", MAIL_CMD_INVALID, NULL },
	{ "GET J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac", MAIL_CMD_GET,
	    "J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac" },
	{ "  get   x  ", MAIL_CMD_GET, "x" },
};

int
main(void)
{
	struct mail_command c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mail_command_parse(cases[i].subject, &c);
		CHECK(c.cmd == cases[i].cmd, "\"%s\": got %s, want %s",
		    cases[i].subject, mail_cmd_name(c.cmd),
		    mail_cmd_name(cases[i].cmd));
		if (cases[i].arg == NULL)
			CHECK(c.arg == NULL, "\"%s\": got arg \"%s\", want none",
			    cases[i].subject, c.arg ? c.arg : "");
		else
			CHECK_STR(c.arg, cases[i].arg);
		mail_command_free(&c);
	}

	/* NULL Subject (no Subject: header at all). */
	mail_command_parse(NULL, &c);
	CHECK_INT(c.cmd, MAIL_CMD_INVALID);
	CHECK(c.arg == NULL, "NULL subject: arg not NULL");
	mail_command_free(&c);

	CHECK_STR(mail_cmd_name(MAIL_CMD_ADD), "ADD");
	CHECK_STR(mail_cmd_name(MAIL_CMD_VERBOSE_INDEX), "VERBOSE INDEX");
	CHECK_STR(mail_cmd_name(MAIL_CMD_INCREMENTAL), "INCREMENTAL");
	CHECK_STR(mail_cmd_name(MAIL_CMD_INVALID), "INVALID");
	return check_done();
}
