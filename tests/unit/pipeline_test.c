/*
 * tests/unit/pipeline_test.c - cmd/pipeline.c without a database.
 *
 * HELP and refused mail need the database only to count the reply, so
 * with the three reply limits at 0 the whole pipeline runs here: a shell
 * script stands in for the mailer and keeps what it was given. The
 * checks are what a caller acts on: the status, the command name, who
 * was answered and with what Subject; the envelope sender as the reply
 * rules see it (the Return-Path line the pipeline adds); and the statuses
 * for a database that cannot be reached or configured and a mailer that
 * fails.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cmd/pipeline.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/xalloc.h"

static char dir[] = "/tmp/km-pipeline-test.XXXXXX";
static char sent[300];		/* what the mailer script was given */

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* The reply the mailer got (NULL: none was sent); removes it. */
static char *
take_reply(void)
{
	struct buf b;
	int fd = open(sent, O_RDONLY);

	if (fd < 0)
		return NULL;
	buf_init(&b, 0);
	if (buf_read_fd(&b, fd) != 0) {
		perror(sent);
		exit(2);
	}
	close(fd);
	unlink(sent);
	return (char *)b.data;	/* NUL-terminated (util/buf.h) */
}

static enum pipeline_status
run(const struct conf *c, const char *msg, bool truncated,
    const char *mail_from, struct pipeline_outcome *out)
{
	struct pipeline_db db;
	struct pipeline_envelope env = { mail_from, NULL, 0 };
	struct pipeline_input in;
	enum pipeline_status st;

	memset(&in, 0, sizeof(in));
	in.data = (const uint8_t *)msg;
	in.len = strlen(msg);
	in.truncated = truncated;
	in.env = mail_from ? &env : NULL;
	pipeline_db_init(&db, c->database);
	st = pipeline_run(c, &db, &in, out);
	pipeline_db_close(&db);
	CHECK(db.rw == NULL, "pipeline_db_close leaves no handle");
	CHECK(strpbrk(out->reason, "\r\n") == NULL, "reason is one line: %s",
	    out->reason);
	return st;
}

static const char help_lf[] =
    "From: Alice <alice@example.org>\n"
    "To: keys@keys.example.net\n"
    "Subject: HELP\n"
    "Message-ID: <1@example.org>\n"
    "\n"
    "hello\n";

static const char help_crlf[] =
    "From: Alice <alice@example.org>\r\n"
    "To: keys@keys.example.net\r\n"
    "Subject: HELP\r\n"
    "\r\n"
    "hello\r\n";

static const char add_msg[] =
    "From: alice@example.org\n"
    "Subject: ADD\n"
    "\n"
    "no key here\n";

int
main(void)
{
	struct conf c;
	struct pipeline_outcome out;
	char path[300], *top = getenv("KM_TOP"), *r;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(sent, sizeof(sent), "%s/sent", dir);
	snprintf(path, sizeof(path), "%s/mailer", dir);
	write_file(path, "#!/bin/sh\ncat > \"$(dirname \"$0\")/sent\"\n", 0755);
	conf_defaults(&c);
	free(c.address);
	c.address = xstrdup("keys@keys.example.net");
	free(c.sendmail);
	c.sendmail = xstrdup(path);
	free(c.help_dir);
	c.help_dir = xasprintf("%s/help", top ? top : ".");
	c.max_replies_per_hour = 0;	/* no reply counter: no database */
	c.max_domain_replies_per_hour = 0;
	c.max_total_replies_per_hour = 0;
	free(c.database);
	c.database = xstrdup("host=/nonexistent/keymail-test dbname=x");

	/* Plain HELP, as the filter gets it. */
	CHECK_INT(run(&c, help_lf, false, NULL, &out), PIPELINE_DONE);
	CHECK_STR(out.command, "HELP");
	CHECK_STR(out.reason, "replied");
	r = take_reply();
	CHECK(r && strstr(r, "\nTo: alice@example.org\n"), "reply to alice");
	CHECK(r && strstr(r, "\nSubject: Your command, HELP\n"), "HELP subject");
	CHECK(r && strstr(r, "\nIn-Reply-To: <1@example.org>\n"), "In-Reply-To");
	free(r);

	/* The same octets over LMTP from the null sender: the Return-Path
	 * the pipeline adds makes it a mail we must not answer. */
	CHECK_INT(run(&c, help_lf, false, "", &out), PIPELINE_DONE);
	CHECK_STR(out.command, "HELP");
	CHECK_STR(out.reason, "no reply: null envelope sender");
	r = take_reply();
	CHECK(r == NULL, "no reply to the null sender");
	free(r);
	CHECK_INT(run(&c, help_crlf, false, "MAILER-DAEMON", &out), PIPELINE_DONE);
	CHECK_STR(out.reason, "no reply: null envelope sender");
	free(take_reply());

	/* A real envelope sender changes nothing for the reply rules; the
	 * line added for it is not counted against max_message_size. */
	c.max_message_size = strlen(help_crlf);
	CHECK_INT(run(&c, help_crlf, false, "bob@example.net", &out), PIPELINE_DONE);
	CHECK_STR(out.reason, "replied");
	r = take_reply();
	CHECK(r && strstr(r, "\nTo: alice@example.org\n"), "CRLF: reply to alice");
	CHECK(r && strstr(r, "\nSubject: Your command, HELP\n"), "not refused for size");
	free(r);
	c.max_message_size = strlen(help_crlf) - 1;
	CHECK_INT(run(&c, help_crlf, false, NULL, &out), PIPELINE_DONE);
	CHECK_STR(out.command, "none");
	r = take_reply();
	CHECK(r && strstr(r, "\nSubject: Your command, HELP, failed\n"),
	    "one octet over max_message_size is refused");
	free(r);
	c.max_message_size = 1024 * 1024;

	/* A sender that would break the header line is not used. */
	CHECK_INT(run(&c, help_lf, false, "x>\nReturn-Path: <>", &out), PIPELINE_DONE);
	CHECK_STR(out.reason, "replied");
	free(take_reply());

	/* Cut at max_message_size by the caller: refused politely. */
	CHECK_INT(run(&c, help_lf, true, NULL, &out), PIPELINE_DONE);
	CHECK_STR(out.command, "none");
	CHECK(strstr(out.reason, "max_message_size") != NULL, "reason: %s", out.reason);
	r = take_reply();
	CHECK(r && strstr(r, "\nSubject: Your command, HELP, failed\n"), "refusal subject");
	CHECK(r && strstr(r, "larger than 1048576 bytes (limit"), "refusal names the limit");
	free(r);

	/* ADD needs the database: unreachable is a temporary failure, a
	 * connection string that does not parse a configuration error.
	 * Nothing is answered either way. */
	CHECK_INT(run(&c, add_msg, false, NULL, &out), PIPELINE_TEMPFAIL);
	CHECK_STR(out.command, "ADD");
	CHECK(!out.db_lost, "a connection never made is not a lost one");
	CHECK(strncmp(out.reason, "database: ", 10) == 0, "reason: %s", out.reason);
	free(c.database);
	c.database = xstrdup("this is not a connection string");
	CHECK_INT(run(&c, add_msg, false, NULL, &out), PIPELINE_CONFIG);
	r = take_reply();
	CHECK(r == NULL, "no reply without the database");
	free(r);

	/* A mailer that fails for now: the MTA must retry. */
	write_file(path, "#!/bin/sh\ncat >/dev/null\nexit 75\n", 0755);
	CHECK_INT(run(&c, help_lf, false, NULL, &out), PIPELINE_TEMPFAIL);
	CHECK(strncmp(out.reason, "mailer failed temporarily", 25) == 0,
	    "reason: %s", out.reason);
	write_file(path, "#!/bin/sh\ncat >/dev/null\nexit 67\n", 0755);
	CHECK_INT(run(&c, help_lf, false, NULL, &out), PIPELINE_DONE);

	conf_free(&c);
	unlink(path);
	rmdir(dir);
	return check_done();
}
