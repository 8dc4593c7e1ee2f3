/*
 * owner_cmd_test.c - the Subject grammar of the owner-control commands
 * (mail/owner_cmd.c, owner-control.md 4.1).
 *
 * One row per Subject: the command, and either "the canonical words"
 * (fingerprint, then each argument, blank-separated; the token for
 * CONFIRM) or NULL for a malformed command, whose failure line must name
 * the expected form. Then: mail_command_parse still knows none of these
 * keywords (the filter's behaviour is unchanged until they are wired),
 * the canonical forms one by one, and owner_cmd_same.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mail/mail.h"
#include "mail/owner_cmd.h"

#define F40 "0123456789abcdef0123456789ABCDEF01234567"
#define F40U "0123456789ABCDEF0123456789ABCDEF01234567"
#define F64 "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"
#define F64U "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
#define G40 "FEDCBA9876543210FEDCBA9876543210FEDCBA98"

static const struct {
	const char *subject;
	enum owner_cmd_kind kind;
	const char *want;	/* canonical words; NULL: malformed */
} cases[] = {
	{ "SHOW " F40, OWNER_CMD_SHOW, F40U },
	{ "show 0x" F40, OWNER_CMD_SHOW, F40U },
	{ "Show 0X" F64, OWNER_CMD_SHOW, F64U },
	{ "  HIDE\t" F40 "  ", OWNER_CMD_HIDE, F40U },
	{ "SHOW", OWNER_CMD_SHOW, NULL },
	{ "SHOW " F40 " extra", OWNER_CMD_SHOW, NULL },
	{ "SHOW 0x0123456789ABCDEF", OWNER_CMD_SHOW, NULL },	/* key ID */
	{ "SHOW " F40 "8", OWNER_CMD_SHOW, NULL },		/* 41 digits */
	{ "SHOW 0123456789ABCDEF0123456789ABCDEF0123456G", OWNER_CMD_SHOW,
	    NULL },
	{ "SHOW 0x 0123456789ABCDEF0123456789ABCDEF01234567", OWNER_CMD_SHOW,
	    NULL },
	{ "SHOWS " F40, OWNER_CMD_NONE, NULL },
	{ "Re: SHOW " F40, OWNER_CMD_NONE, NULL },
	{ "HELD " F40, OWNER_CMD_HELD, F40U },
	{ "REPLACE " F40, OWNER_CMD_REPLACE, F40U },
	{ "replace " F40 " show", OWNER_CMD_REPLACE, F40U " SHOW" },
	{ "REPLACE " F40 " HIDE", OWNER_CMD_REPLACE, NULL },
	{ "REPLACE " F40 " SHOW SHOW", OWNER_CMD_REPLACE, NULL },
	{ "NOTIFY " F40 " Alice@Example.ORG", OWNER_CMD_NOTIFY,
	    F40U " Alice@example.org" },
	{ "NOTIFY " F40 " off", OWNER_CMD_NOTIFY, F40U " OFF" },
	{ "NOTIFY " F40, OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " <alice@example.org>", OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " Alice <alice@example.org>", OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " alice@example.org bob@example.org", OWNER_CMD_NOTIFY,
	    NULL },
	{ "NOTIFY " F40 " alice", OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " alice@@example.org", OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " alice..b@example.org", OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " .alice@example.org", OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " -alice@example.org", OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " alice@example..org", OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " alice@example.org.", OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " alice@[192.0.2.1]", OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " \"a b\"@example.org", OWNER_CMD_NOTIFY, NULL },
	{ "NOTIFY " F40 " a+tag.x_y{z}@sub-1.example.org", OWNER_CMD_NOTIFY,
	    F40U " a+tag.x_y{z}@sub-1.example.org" },
	{ "NOTIFY " F40 " J\xc3\xbcrgen@example.org", OWNER_CMD_NOTIFY, NULL },
	{ "ACCEPT " F40 " ALL", OWNER_CMD_ACCEPT, F40U " ALL" },
	{ "ACCEPT " F40 " 0xfedcba9876543210 " G40, OWNER_CMD_ACCEPT,
	    F40U " 0xFEDCBA9876543210 " G40 },
	{ "ACCEPT " F40, OWNER_CMD_ACCEPT, NULL },
	{ "ACCEPT " F40 " ALL BLOCK", OWNER_CMD_ACCEPT, NULL },
	{ "ACCEPT " F40 " ALL " G40, OWNER_CMD_ACCEPT, NULL },
	{ "ACCEPT " F40 " FEDCBA9876543210", OWNER_CMD_ACCEPT, NULL },
	{ "ACCEPT " F40 " " G40 " BLOCK", OWNER_CMD_ACCEPT, NULL },
	{ "REJECT " F40 " ALL", OWNER_CMD_REJECT, F40U " ALL" },
	{ "REJECT " F40 " all block", OWNER_CMD_REJECT, F40U " ALL BLOCK" },
	{ "REJECT " F40 " " G40 " 0x" F40 " Block", OWNER_CMD_REJECT,
	    F40U " " G40 " " F40U " BLOCK" },
	{ "REJECT " F40 " BLOCK", OWNER_CMD_REJECT, NULL },
	{ "REJECT " F40 " ALL BLOCK BLOCK", OWNER_CMD_REJECT, NULL },
	{ "REJECT " F40 " " G40 " BLOCK " G40, OWNER_CMD_REJECT, NULL },
	{ "REJECT " F40 " ALL NOW", OWNER_CMD_REJECT, NULL },
	/* ten issuers pass, eleven do not; BLOCK is not an issuer */
	{ "ACCEPT " F40 " " G40 " " G40 " " G40 " " G40 " " G40 " " G40 " "
	    G40 " " G40 " " G40 " " G40, OWNER_CMD_ACCEPT,
	    F40U " " G40 " " G40 " " G40 " " G40 " " G40 " " G40 " " G40 " "
	    G40 " " G40 " " G40 },
	{ "ACCEPT " F40 " " G40 " " G40 " " G40 " " G40 " " G40 " " G40 " "
	    G40 " " G40 " " G40 " " G40 " " G40, OWNER_CMD_ACCEPT, NULL },
	{ "REJECT " F40 " " G40 " " G40 " " G40 " " G40 " " G40 " " G40 " "
	    G40 " " G40 " " G40 " " G40 " BLOCK", OWNER_CMD_REJECT,
	    F40U " " G40 " " G40 " " G40 " " G40 " " G40 " " G40 " " G40 " "
	    G40 " " G40 " " G40 " BLOCK" },
	{ "VERIFY " F40, OWNER_CMD_VERIFY, F40U },
	{ "VERIFY " F40 " a@B.c d@E.F", OWNER_CMD_VERIFY,
	    F40U " a@b.c d@e.f" },
	{ "VERIFY " F40 " a@b.c x", OWNER_CMD_VERIFY, NULL },
	{ "VERIFY " F40 " 1@x.y 2@x.y 3@x.y 4@x.y 5@x.y 6@x.y 7@x.y 8@x.y "
	    "9@x.y 10@x.y", OWNER_CMD_VERIFY, F40U " 1@x.y 2@x.y 3@x.y 4@x.y "
	    "5@x.y 6@x.y 7@x.y 8@x.y 9@x.y 10@x.y" },
	{ "VERIFY " F40 " 1@x.y 2@x.y 3@x.y 4@x.y 5@x.y 6@x.y 7@x.y 8@x.y "
	    "9@x.y 10@x.y 11@x.y", OWNER_CMD_VERIFY, NULL },
	{ "VERIFY", OWNER_CMD_VERIFY, NULL },
	{ "UNPUBLISH Bob@Example.Org", OWNER_CMD_UNPUBLISH, " Bob@example.org" },
	{ "UNPUBLISH", OWNER_CMD_UNPUBLISH, NULL },
	{ "UNPUBLISH " F40, OWNER_CMD_UNPUBLISH, NULL },
	{ "UNPUBLISH a@b.c d@e.f", OWNER_CMD_UNPUBLISH, NULL },
	{ "SUBSCRIBE " F40 " 0x" F64, OWNER_CMD_SUBSCRIBE,
	    " " F40U " " F64U },
	{ "SUBSCRIBE", OWNER_CMD_SUBSCRIBE, NULL },
	{ "SUBSCRIBE ALL", OWNER_CMD_SUBSCRIBE, NULL },
	{ "SUBSCRIBE " F40 " 0x0123456789ABCDEF", OWNER_CMD_SUBSCRIBE, NULL },
	{ "SUBSCRIBE " F40 " " F40 " " F40 " " F40 " " F40 " " F40 " " F40 " "
	    F40 " " F40 " " F40 " " F40, OWNER_CMD_SUBSCRIBE, NULL },
	{ "UNSUBSCRIBE ALL", OWNER_CMD_UNSUBSCRIBE, " ALL" },
	{ "unsubscribe all " F40, OWNER_CMD_UNSUBSCRIBE, NULL },
	{ "UNSUBSCRIBE " F40, OWNER_CMD_UNSUBSCRIBE, " " F40U },
	{ "UNSUBSCRIBE " F40 " ALL", OWNER_CMD_UNSUBSCRIBE, NULL },
	{ "SIGNERS 0xfedcba9876543210", OWNER_CMD_SIGNERS,
	    " 0xFEDCBA9876543210" },
	{ "SIGNERS " F64, OWNER_CMD_SIGNERS, " " F64U },
	{ "SIGNERS fedcba9876543210", OWNER_CMD_SIGNERS, NULL },
	{ "SIGNERS 0x76543210", OWNER_CMD_SIGNERS, NULL },
	{ "SIGNERS alice", OWNER_CMD_SIGNERS, NULL },
	{ "SIGNERS", OWNER_CMD_SIGNERS, NULL },
	{ "CONFIRM ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", OWNER_CMD_CONFIRM,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" },
	{ "confirm abcd-efgh ijkl-mnop qrst uvwx yz23 4567", OWNER_CMD_CONFIRM,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" },
	{ "CONFIRM ABCDEFGHIJKLMNOPQRSTUVWXYZ23456", OWNER_CMD_CONFIRM, NULL },
	{ "CONFIRM ABCDEFGHIJKLMNOPQRSTUVWXYZ2345678", OWNER_CMD_CONFIRM,
	    NULL },
	{ "CONFIRM ABCDEFGHIJKLMNOPQRSTUVWXYZ234561", OWNER_CMD_CONFIRM, NULL },
	{ "CONFIRM ABCDEFGHIJKLMNOPQRSTUVWXYZ23456=", OWNER_CMD_CONFIRM, NULL },
	{ "CONFIRM", OWNER_CMD_CONFIRM, NULL },
	{ "CONFIRMED ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", OWNER_CMD_NONE, NULL },
	{ "GET " F40, OWNER_CMD_NONE, NULL },
	{ "", OWNER_CMD_NONE, NULL },
};

/* fpr, then " arg" for each argument; or the token. */
static void
words(const struct owner_cmd *c, char *out, size_t n)
{
	size_t i, len;

	if (c->kind == OWNER_CMD_CONFIRM) {
		snprintf(out, n, "%s", c->token);
		return;
	}
	snprintf(out, n, "%s", c->fpr);
	for (i = 0; i < c->nargs; i++) {
		len = strlen(out);
		snprintf(out + len, n - len, " %s", c->args[i].text);
	}
}

static void
test_table(void)
{
	struct owner_cmd c;
	struct mail_command mc;
	char got[4096], line[1024];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *s = cases[i].subject;

		CHECK(owner_cmd_parse(s, &c) == cases[i].kind,
		    "\"%s\": got %s, want %s", s, owner_cmd_name(c.kind),
		    owner_cmd_name(cases[i].kind));
		/* The filter's grammar is untouched: none of these is a
		 * command there (it says INVALID, as before). */
		mail_command_parse(s, &mc);
		if (cases[i].kind != OWNER_CMD_NONE)
			CHECK(mc.cmd == MAIL_CMD_INVALID, "\"%s\" is %s for "
			    "mail_command_parse", s, mail_cmd_name(mc.cmd));
		mail_command_free(&mc);
		if (cases[i].kind == OWNER_CMD_NONE)
			continue;
		CHECK(c.usage != NULL && strncmp(c.usage,
		    owner_cmd_name(c.kind), strlen(owner_cmd_name(c.kind))) == 0,
		    "\"%s\": usage names the command", s);
		if (cases[i].want == NULL) {
			CHECK(c.malformed, "\"%s\": want malformed", s);
			owner_cmd_failure_line(&c, line, sizeof(line));
			CHECK(strstr(line, c.usage) != NULL &&
			    strchr(line, '\n') == NULL && c.problem != NULL,
			    "\"%s\": failure line \"%s\"", s, line);
			continue;
		}
		CHECK(!c.malformed, "\"%s\": malformed (%s)", s,
		    c.problem ? c.problem : "");
		words(&c, got, sizeof(got));
		CHECK(strcmp(got, cases[i].want) == 0,
		    "\"%s\":\n    got  \"%s\"\n    want \"%s\"", s, got,
		    cases[i].want);
	}
	CHECK(owner_cmd_parse(NULL, &c) == OWNER_CMD_NONE, "NULL Subject");
}

static void
test_kinds(void)
{
	struct owner_cmd c;

	(void)owner_cmd_parse("ACCEPT " F40 " 0x0123456789abcdef " G40, &c);
	CHECK(c.nargs == 2 && c.args[0].kind == OWNER_ARG_KEYID &&
	    c.args[1].kind == OWNER_ARG_FPR, "issuer kinds");
	(void)owner_cmd_parse("NOTIFY " F40 " OFF", &c);
	CHECK(c.nargs == 1 && c.args[0].kind == OWNER_ARG_WORD, "OFF is a word");
	(void)owner_cmd_parse("NOTIFY " F40 " off@example.org", &c);
	CHECK(c.nargs == 1 && c.args[0].kind == OWNER_ARG_ADDRESS,
	    "an address");
	CHECK(owner_cmd_is_owner(OWNER_CMD_SHOW) &&
	    owner_cmd_is_owner(OWNER_CMD_HELD) &&
	    owner_cmd_is_owner(OWNER_CMD_REJECT) &&
	    !owner_cmd_is_owner(OWNER_CMD_VERIFY) &&
	    !owner_cmd_is_owner(OWNER_CMD_SUBSCRIBE) &&
	    !owner_cmd_is_owner(OWNER_CMD_CONFIRM) &&
	    !owner_cmd_is_owner(OWNER_CMD_NONE), "owner commands");
	CHECK(owner_cmd_lookup("unsubscribe", 11) == OWNER_CMD_UNSUBSCRIBE &&
	    owner_cmd_lookup("unsubscrib", 10) == OWNER_CMD_NONE, "lookup");
}

static void
test_same(void)
{
	struct owner_cmd a, b;

	(void)owner_cmd_parse("NOTIFY " F40 " Alice@Example.org", &a);
	(void)owner_cmd_parse("notify 0x" F40U " alice@EXAMPLE.ORG", &b);
	CHECK(owner_cmd_same(&a, &b), "same NOTIFY, other spelling");
	(void)owner_cmd_parse("NOTIFY " F40 " alicia@example.org", &b);
	CHECK(!owner_cmd_same(&a, &b), "other address");
	(void)owner_cmd_parse("REPLACE " F40, &a);
	(void)owner_cmd_parse("REPLACE " F40 " SHOW", &b);
	CHECK(!owner_cmd_same(&a, &b), "SHOW or not");
	(void)owner_cmd_parse("SHOW " F40, &a);
	(void)owner_cmd_parse("HIDE " F40, &b);
	CHECK(!owner_cmd_same(&a, &b), "other command");
	(void)owner_cmd_parse("SHOW " G40, &b);
	CHECK(!owner_cmd_same(&a, &b), "other key");
	(void)owner_cmd_parse("ACCEPT " F40 " 0x" G40, &a);
	(void)owner_cmd_parse("ACCEPT " F40 " 0x76543210FEDCBA98", &b);
	CHECK(!owner_cmd_same(&a, &b), "fingerprint vs its key ID");
	(void)owner_cmd_parse("SHOW", &a);
	(void)owner_cmd_parse("SHOW", &b);
	CHECK(!owner_cmd_same(&a, &b), "malformed never equal");
}

static void
test_canon(void)
{
	char out[OWNER_ARG_MAX], tok[OWNER_TOKEN_LEN + 1], long_addr[300];
	enum owner_arg_kind kind;

	CHECK(owner_canon_fpr("0x" F40, 42, out) && !strcmp(out, F40U), "fpr");
	CHECK(!owner_canon_fpr("0x", 2, out), "0x alone");
	CHECK(owner_canon_issuer("0Xabcdefabcdefabcd", 18, out, &kind) &&
	    kind == OWNER_ARG_KEYID && !strcmp(out, "0xABCDEFABCDEFABCD"),
	    "key ID");
	CHECK(owner_canon_address("A.B@C.D", 7, out) && !strcmp(out, "A.B@c.d"),
	    "address");
	memset(long_addr, 'a', sizeof(long_addr));
	memcpy(long_addr + 250, "@b.cd", 5);	/* 255 bytes */
	CHECK(!owner_canon_address(long_addr, 255, out), "255 bytes");
	CHECK(owner_canon_address(long_addr + 1, 254, out), "254 bytes");
	CHECK(owner_address_equal("Alice@x.org", "aLICE@x.org"), "local case");
	CHECK(owner_canon_token(" a-b c ABCDEFGHIJKLMNOPQRSTUVWXYZ234", 36, tok)
	    && !strcmp(tok, "ABCABCDEFGHIJKLMNOPQRSTUVWXYZ234"), "token");
}

int
main(void)
{
	test_table();
	test_kinds();
	test_same();
	test_canon();
	return check_done();
}
