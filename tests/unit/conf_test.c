/*
 * tests/unit/conf_test.c - the keymail.conf(5) reader: trailing comments
 * (the README's peer example), the robot address with and without a
 * display name, the defaults that replies show, and error messages that
 * say what is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "util/conf.h"

static char path[64];

/* Load text as a configuration file; returns conf_load's result. */
static int
load(struct conf *c, const char *text, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "w");
	int rc;

	if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0) {
		printf("cannot write %s\n", path);
		exit(2);
	}
	conf_defaults(c);
	err[0] = '\0';
	rc = conf_load(c, path, err, errlen);
	return rc;
}

static void
test_readme_peers(void)
{
	struct conf c;
	char err[512];

	/* The README's and keymail.conf(5)'s own example, comments and all. */
	CHECK_INT(load(&c,
	    "# /etc/keymail.conf\n"
	    "address = pgp-public-keys@keys.example.net\n"
	    "peer = pgp-public-keys@keys.example.org            # pks, the default profile\n"
	    "peer = pgp-public-keys@sks.example.com sks\n"
	    "peer = pgp-public-keys@onak.example.net onak\t# tab before the comment\n"
	    "peer = keys@new.example generic\n"
	    "this_site = pgp-public-keys@keys.example.net        # default: address\n"
	    "max_reply_keys = 50 # fewer\n", err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(c.npeers, 4);
	if (c.npeers == 4) {
		CHECK_STR(c.peers[0], "pgp-public-keys@keys.example.org");
		CHECK_STR(c.peers[2], "pgp-public-keys@onak.example.net onak");
	}
	CHECK_STR(c.this_site, "pgp-public-keys@keys.example.net");
	CHECK_INT(c.max_reply_keys, 50);
	conf_free(&c);

	/* A '#' inside a word is part of the value. */
	CHECK_INT(load(&c, "server_name = keys#1 server\n", err, sizeof(err)), 0);
	CHECK_STR(c.server_name, "keys#1 server");
	conf_free(&c);

	/* this_site names what is wrong. */
	CHECK_INT(load(&c, "this_site = Keys <pgp-public-keys@keys.example.net>\n",
	    err, sizeof(err)), -1);
	CHECK(strstr(err, ":1: bad value for 'this_site'") != NULL, "%s", err);
	CHECK(strstr(err, "not a plain address") != NULL, "%s", err);
	conf_free(&c);
}

static void
test_address(void)
{
	struct conf c;
	char err[512];

	CHECK_INT(load(&c, "address = pgp-public-keys@keys.example.net\n", err,
	    sizeof(err)), 0);
	CHECK_STR(c.address, "pgp-public-keys@keys.example.net");
	CHECK(c.address_name == NULL, "no display name");
	conf_free(&c);

	/* The configuration: the name is parsed, not glued on. */
	CHECK_INT(load(&c, "address = Keyserver <pgp-public-keys@keys.example.net>\n",
	    err, sizeof(err)), 0);
	CHECK_STR(c.address, "pgp-public-keys@keys.example.net");
	CHECK_STR(c.address_name, "Keyserver");
	conf_free(&c);

	CHECK_INT(load(&c, "address = \"Key \\\"server\\\", robot\" <a@b.example>\n",
	    err, sizeof(err)), 0);
	CHECK_STR(c.address, "a@b.example");
	CHECK_STR(c.address_name, "Key \"server\", robot");
	conf_free(&c);

	CHECK_INT(load(&c, "address = <a@b.example>\n", err, sizeof(err)), 0);
	CHECK_STR(c.address, "a@b.example");
	CHECK(c.address_name == NULL, "empty display name");
	conf_free(&c);

	/* Everything else is refused, saying what to write. */
	{
		static const char *const bad[] = {
			"address = Keyserver pgp-public-keys@keys.example.net\n",
			"address = Keyserver <pgp-public-keys@keys.example.net\n",
			"address = Keyserver <pgp-public-keys@keys.example.net> x\n",
			"address = a@b.example, c@d.example\n",
			"address = a@b.example (robot)\n",
			"address = Keys, robot <a@b.example>\n",
			"address = <a b@c.example>\n",
			"address = <a@b@c.example>\n",
			"address = \n",
			"address = -a@b.example\n",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			CHECK_INT(load(&c, bad[i], err, sizeof(err)), -1);
			CHECK(strstr(err, "is not a mail address") != NULL &&
			    strstr(err, "angle brackets") != NULL, "%s -> %s", bad[i], err);
			conf_free(&c);
		}
	}
}

static void
test_defaults_and_errors(void)
{
	struct conf c;
	char err[512];

	/* maintainer must not default to the robot itself. */
	CHECK_INT(load(&c, "address = pgp-public-keys@keys.example.net\n", err,
	    sizeof(err)), 0);
	CHECK_STR(c.maintainer, "postmaster@keys.example.net");
	CHECK_INT(c.maintainer_default, 1);
	CHECK_STR(c.server_name, "OpenPGP keyserver at keys.example.net");
	conf_free(&c);
	CHECK_INT(load(&c, "maintainer = Ops <ops@example.net>\n", err, sizeof(err)), 0);
	CHECK_STR(c.maintainer, "Ops <ops@example.net>");
	CHECK_INT(c.maintainer_default, 0);
	conf_free(&c);

	/* The typo: named, with the line, and a suggestion. */
	CHECK_INT(load(&c, "database = dbname=keymail\n\nadress = a@b.example\n", err,
	    sizeof(err)), -1);
	CHECK(strstr(err, ":3: unknown key 'adress' (did you mean 'address'?)") != NULL,
	    "%s", err);
	conf_free(&c);
	CHECK_INT(load(&c, "max_replies_per_hours = 3\n", err, sizeof(err)), -1);
	CHECK(strstr(err, "did you mean 'max_replies_per_hour'") != NULL, "%s", err);
	conf_free(&c);
	CHECK_INT(load(&c, "frobnicate = 3\n", err, sizeof(err)), -1);
	CHECK(strstr(err, "unknown key 'frobnicate'") != NULL &&
	    strstr(err, "did you mean") == NULL, "%s", err);
	conf_free(&c);
	CHECK_INT(load(&c, "max_reply_keys = 10 keys\n", err, sizeof(err)), -1);
	CHECK(strstr(err, "bad value for 'max_reply_keys'") != NULL, "%s", err);
	conf_free(&c);
}

int
main(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/km-conf-test.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return 2;
	close(fd);
	test_readme_peers();
	test_address();
	test_defaults_and_errors();
	unlink(path);
	return check_done();
}
