/*
 * tests/unit/owner_test.c - the pure parts of the owner-control command
 * layer (cmd/owner.h): the token block's exact layout (owner-control.md
 * 6.2, the line a script greps for), which commands each policy offers
 * (2), the refusal line, canonical command lines and their 5.4 classes,
 * and the configuration keys of 13 (defaults, ranges, words).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cmd/owner.h"
#include "util/conf.h"
#include "util/limits.h"
#include "util/xalloc.h"

static int
conf_with(const char *line, struct conf *c, char *err, size_t errlen)
{
	char path[] = "/tmp/owner_test.XXXXXX";
	int fd = mkstemp(path), rc;
	FILE *f;

	if (fd < 0)
		return -2;
	f = fdopen(fd, "w");
	fprintf(f, "%s\n", line);
	fclose(f);
	conf_defaults(c);
	rc = conf_load(c, path, err, errlen);
	unlink(path);
	return rc;
}

static void
test_conf(void)
{
	struct conf c;
	char err[512];

	conf_defaults(&c);
	CHECK_INT(c.policy, CONF_POLICY_OPEN);
	CHECK_INT(c.challenge_ttl, 86400);
	CHECK_INT(c.address_token_ttl, 259200);
	CHECK_INT(c.held_days, 30);
	CHECK_INT(c.held_after_fetch_days, 7);
	CHECK_INT(c.held_max_issuers, 200);
	CHECK_INT(c.held_max_size, 1048576);
	CHECK_INT(c.signers_max_size, 1048576);
	CHECK_INT(c.expiry_warn_days, 14);
	CHECK_INT(c.max_token_mails_per_day, 3);
	CHECK_INT(c.max_address_mails_per_hour, 1);
	CHECK_INT(c.max_address_mails_total_per_hour, 1000);
	CHECK_INT(c.max_challenges_per_key_per_day, 5);
	CHECK_INT(c.max_verify_per_key_per_day, 5);
	CHECK_INT(c.max_held_per_key_per_hour, 1);
	CHECK_INT(c.max_bad_tokens_per_hour, 10);
	CHECK_INT(c.max_notify_mails_per_day, 10);
	CHECK_INT(c.max_digests_per_key_per_day, 1);
	CHECK_INT(c.max_subscriptions_per_address, 100);
	CHECK_INT(c.max_batch_mails, 1000);
	conf_free(&c);
	CHECK_INT(conf_with("policy = trusted", &c, err, sizeof(err)), 0);
	CHECK_INT(c.policy, CONF_POLICY_TRUSTED);
	conf_free(&c);
	CHECK_INT(conf_with("policy = verified", &c, err, sizeof(err)), 0);
	CHECK_INT(c.policy, CONF_POLICY_VERIFIED);
	conf_free(&c);
	CHECK_INT(conf_with("policy = Trusted", &c, err, sizeof(err)), -1);
	conf_free(&c);
	CHECK_INT(conf_with("verify_encrypt = never", &c, err, sizeof(err)), 0);
	CHECK_INT(c.verify_encrypt, CONF_VERIFY_NEVER);
	conf_free(&c);
	CHECK_INT(conf_with("challenge_ttl = 1", &c, err, sizeof(err)), 0);
	conf_free(&c);
	CHECK_INT(conf_with("challenge_ttl = 1209601", &c, err, sizeof(err)), -1);
	conf_free(&c);
	CHECK_INT(conf_with("held_after_fetch_days = 0", &c, err, sizeof(err)), -1);
	conf_free(&c);
	CHECK_INT(conf_with("max_batch_mails = 0", &c, err, sizeof(err)), 0);
	CHECK_INT(c.max_batch_mails, 0);
	conf_free(&c);
}

static void
test_token_block(void)
{
	struct conf c;
	struct cmd_ctx ctx;
	struct owner_token_fields tf;
	struct owner_cmd oc;
	struct buf b;
	const char *fprs[1] = { "0123456789ABCDEF0123456789ABCDEF01234567" };

	conf_defaults(&c);
	free(c.address);
	c.address = xstrdup("pgp-public-keys@keys.example.net");
	cmd_ctx_init(&ctx, &c, NULL);
	CHECK(owner_cmd_parse("NOTIFY 0123456789abcdef0123456789ABCDEF01234567 Owner@Example.ORG",
	    &oc) == OWNER_CMD_NOTIFY && !oc.malformed, "NOTIFY parses");
	memset(&tf, 0, sizeof(tf));
	tf.command = "NOTIFY";
	tf.fprs = fprs;
	tf.nfprs = 1;
	tf.args = oc.args;
	tf.nargs = oc.nargs;
	tf.requested_by = "bob@example.org";
	tf.expires = 1796705471;	/* 2026-12-08T04:51:11Z */
	tf.token = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	buf_init(&b, 0);
	owner_token_block(&ctx, &tf, &b);
	CHECK_STR((const char *)b.data,
	    "keyserver: pgp-public-keys@keys.example.net\n"
	    "command: NOTIFY\n"
	    "fingerprint: 0123456789ABCDEF0123456789ABCDEF01234567\n"
	    "argument: Owner@example.org\n"
	    "requested-by: bob@example.org\n"
	    "expires: 2026-12-08T04:51:11Z\n"
	    "token: ABCDEFGHIJKLMNOPQRSTUVWXYZ234567\n"
	    "\n"
	    "To carry this out, send a mail to pgp-public-keys@keys.example.net\n"
	    "with the Subject: CONFIRM ABCDEFGHIJKLMNOPQRSTUVWXYZ234567\n"
	    "If you did not ask for this, ignore this mail: nothing will happen.\n");
	buf_free(&b);
	/* The command line stored with a request, read back the same. */
	{
		char *line = owner_cmd_line(&oc);
		struct owner_cmd back;

		CHECK_STR(line, "NOTIFY 0123456789ABCDEF0123456789ABCDEF01234567 "
		    "Owner@example.org");
		CHECK(owner_cmd_parse(line, &back) == OWNER_CMD_NOTIFY &&
		    owner_cmd_same(&oc, &back), "line parses back");
		free(line);
	}
	conf_free(&c);
}

static void
test_policy(void)
{
	struct cmd_result r;

	CHECK(owner_offered(OWNER_CMD_HIDE, STORE_POLICY_OPEN), "HIDE open");
	CHECK(owner_offered(OWNER_CMD_SHOW, STORE_POLICY_OPEN), "SHOW open");
	CHECK(owner_offered(OWNER_CMD_NOTIFY, STORE_POLICY_OPEN), "NOTIFY open");
	CHECK(!owner_offered(OWNER_CMD_REPLACE, STORE_POLICY_OPEN), "REPLACE open");
	CHECK(!owner_offered(OWNER_CMD_HELD, STORE_POLICY_OPEN), "HELD open");
	CHECK(!owner_offered(OWNER_CMD_ACCEPT, STORE_POLICY_OPEN), "ACCEPT open");
	CHECK(!owner_offered(OWNER_CMD_REJECT, STORE_POLICY_OPEN), "REJECT open");
	CHECK(owner_offered(OWNER_CMD_REPLACE, STORE_POLICY_TRUSTED), "REPLACE trusted");
	CHECK(owner_offered(OWNER_CMD_HELD, STORE_POLICY_TRUSTED), "HELD trusted");
	CHECK(!owner_offered(OWNER_CMD_VERIFY, STORE_POLICY_TRUSTED), "VERIFY trusted");
	CHECK(!owner_offered(OWNER_CMD_UNPUBLISH, STORE_POLICY_OPEN), "UNPUBLISH open");
	CHECK(owner_offered(OWNER_CMD_SIGNERS, STORE_POLICY_TRUSTED), "SIGNERS");
	CHECK(owner_offered(OWNER_CMD_CONFIRM, STORE_POLICY_OPEN), "CONFIRM");
	CHECK(owner_offered(OWNER_CMD_VERIFY, STORE_POLICY_VERIFIED), "VERIFY verified");
	CHECK(owner_offered(OWNER_CMD_UNPUBLISH, STORE_POLICY_VERIFIED), "UNPUBLISH verified");
	CHECK(owner_offered(OWNER_CMD_HIDE, STORE_POLICY_VERIFIED), "HIDE verified");
	CHECK(!owner_offered(OWNER_CMD_SHOW, STORE_POLICY_VERIFIED), "SHOW verified");
	CHECK(!owner_offered(OWNER_CMD_HELD, STORE_POLICY_VERIFIED), "HELD verified");
	cmd_result_init(&r);
	owner_refuse_policy(&r, OWNER_CMD_HELD, STORE_POLICY_OPEN);
	CHECK_STR(r.suffix, ", failed");
	CHECK_STR((const char *)r.body.data,
	    "HELD is not offered by this server (policy open).\n");
	cmd_result_free(&r);
	CHECK_INT(owner_class(OWNER_CMD_SHOW), STORE_CLASS_VISIBILITY);
	CHECK_INT(owner_class(OWNER_CMD_HIDE), STORE_CLASS_VISIBILITY);
	CHECK_INT(owner_class(OWNER_CMD_REPLACE), STORE_CLASS_CONTENT);
	CHECK_INT(owner_class(OWNER_CMD_ACCEPT), STORE_CLASS_CONTENT);
	CHECK_INT(owner_class(OWNER_CMD_REJECT), STORE_CLASS_CONTENT);
	CHECK_INT(owner_class(OWNER_CMD_NOTIFY), STORE_CLASS_SETTINGS);
	CHECK_INT(owner_class(OWNER_CMD_HELD), STORE_CLASS_FETCH);
}

/* The address verified mode takes from a user ID (owner-control.md 8). */
static void
test_uid_address(void)
{
	static const struct {
		const char *uid, *want;	/* want NULL: no address */
	} t[] = {
		{ "Alice Owner <alice@Example.ORG>", "alice@example.org" },
		{ "Alice <a@x.example> (work) <b@y.example>", "b@y.example" },
		{ " bob@example.net ", "bob@example.net" },
		{ "Bob (no address)", NULL },
		{ "Carol <carol@example.org", NULL },
		{ "Dave <>", NULL },
		{ "Eve <eve@exa mple.org>", NULL },
		{ "<\"q\"@example.org>", NULL },
	};
	char out[OWNER_ARG_MAX];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ok = owner_uid_address((const uint8_t *)t[i].uid,
		    strlen(t[i].uid), out);

		CHECK(ok == (t[i].want != NULL), "uid %zu: %s", i, t[i].uid);
		if (ok && t[i].want)
			CHECK_STR(out, t[i].want);
	}
}

int
main(void)
{
	test_uid_address();
	test_conf();
	test_token_block();
	test_policy();
	return check_done();
}
