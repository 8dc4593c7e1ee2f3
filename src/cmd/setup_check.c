/*
 * cmd/setup_check.c - keymail check: is this installation ready for
 * mail? In the spirit of `postfix check` and `nginx -t`, run after every
 * change of the configuration: it reads what the filter reads and tries
 * what the filter needs (the help texts, the mailer program, the
 * database and its schema version) and prints what it found, one line
 * each, "ok", "warning" (works, but probably not what the operator
 * wants) or "PROBLEM" (the filter would defer every mail, exit 75).
 *
 * Input: the configuration (trusted) and what it names. Nothing is
 * written anywhere; the database is only read. Output goes to out.
 * Memory: nothing is kept.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "cmd/owner.h"
#include "util/peer.h"

struct tally {
	FILE *out;
	unsigned problems;
	unsigned warnings;
};

static void line(struct tally *t, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
line(struct tally *t, const char *kind, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(kind, "PROBLEM"))
		t->problems++;
	else if (!strcmp(kind, "warning"))
		t->warnings++;
	fprintf(t->out, "  %-8s ", kind);
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
}

static void
check_conf(struct tally *t, const struct conf *c, const char *path)
{
	struct stat st;
	size_t i;

	line(t, "ok", "configuration %s read", path);
	line(t, "ok", "address %s%s%s%s", c->address, c->address_name ? " (From: \"" : "",
	    c->address_name ? c->address_name : "", c->address_name ? "\")" : "");
	if (c->maintainer_default)
		line(t, "warning", "maintainer not set: replies and the help text "
		    "name %s as the operator; set maintainer to an address a "
		    "person reads", c->maintainer);
	else
		line(t, "ok", "maintainer %s", c->maintainer);
	line(t, "ok", "server_name \"%s\"", c->server_name ? c->server_name : c->address);
	if (c->npeers == 0)
		line(t, "ok", "no peer: keys are not passed on (the help text says so)");
	for (i = 0; i < c->npeers; i++) {
		struct peer p;
		char err[256];

		if (peer_parse(c->peers[i], &p, err, sizeof(err)) == 0) {
			line(t, "ok", "peer %s (profile %s)", p.addr,
			    peer_profile_name(p.profile));
			peer_free(&p);
		}
	}
	if (c->npeers > 0)
		line(t, "ok", "this_site %s (our name in X-KeyServer-Sent; peers "
		    "must list it so)", c->this_site ? c->this_site : c->address);
	line(t, "ok", "reply limits per hour: %zu per address, %zu per domain, "
	    "%zu in all (0: none); unknown commands: %s", c->max_replies_per_hour,
	    c->max_domain_replies_per_hour, c->max_total_replies_per_hour,
	    !c->reply_to_unknown ? "no reply" : c->authserv_id ?
	    "short reply, none if our MTA found dmarc=fail" : "short reply");
	if (c->authserv_id != NULL)
		line(t, "ok", "authserv_id %s: Authentication-Results fields of "
		    "that name are read", c->authserv_id);
	/* A password in a file others may read. */
	if (c->database != NULL && strstr(c->database, "password") != NULL &&
	    stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		line(t, "warning", "%s holds a database password and is readable "
		    "by others (mode %03o); make it readable by keymail's user only, "
		    "or use a passfile", path, (unsigned)(st.st_mode & 0777));
}

static void
check_help(struct tally *t, const struct conf *c)
{
	char why[4200], have[128], missing[128];
	size_t n;

	if (!cmd_help_available(c, why, sizeof(why))) {
		line(t, "PROBLEM", "help_dir %s: %s (the filter defers all mail "
		    "until it is there)", c->help_dir, why);
		return;
	}
	n = cmd_help_languages(c, have, sizeof(have), missing, sizeof(missing));
	if (*missing)
		line(t, "warning", "help_dir %s: %zu of 15 languages; missing %s "
		    "(HELP in those gets English)", c->help_dir, n, missing);
	else
		line(t, "ok", "help_dir %s: all 15 languages", c->help_dir);
}

static void
check_mailer(struct tally *t, const struct conf *c)
{
	char path[4096], err[4200];
	const char *base;

	if (mail_send_resolve(c->sendmail, path, sizeof(path), err, sizeof(err)) < 0) {
		line(t, "PROBLEM", "sendmail \"%s\": %s (the filter defers all "
		    "mail until it is there)", c->sendmail ? c->sendmail : "", err);
		return;
	}
	line(t, "ok", "sendmail \"%s\": runs %s", c->sendmail, path);
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if ((!strcmp(base, "msmtp") || !strcmp(base, "sendmail")) &&
	    strstr(c->sendmail, " -t") == NULL)
		line(t, "warning", "sendmail has no -t: the mailer must take the "
		    "recipient from the reply's To: header");
	if (!strcmp(base, "msmtp") && strstr(c->sendmail, "--from=") == NULL)
		line(t, "warning", "msmtp without --from=: replies do not go out "
		    "with the null envelope sender (README, \"msmtp\")");
}

static void
check_database(struct tally *t, const struct conf *c)
{
	struct store *s = NULL;
	enum store_status st;
	int have, want;

	st = store_open(c->database, &s);
	if (st != STORE_OK) {
		line(t, "PROBLEM", "database \"%s\": %s", c->database,
		    s ? store_errmsg(s) : store_strerror(st));
		store_close(s);
		return;
	}
	st = store_schema_version(s, &have, &want);
	if (st != STORE_OK)
		line(t, "PROBLEM", "database: cannot read the schema version: %s",
		    store_errmsg(s));
	else if (have == 0)
		line(t, "PROBLEM", "database: connected, but it has no keymail "
		    "schema: run keymail initdb as the owner");
	else if (have < want)
		line(t, "PROBLEM", "database: schema version %d, this keymail needs "
		    "%d: run keymail initdb as the owner", have, want);
	else if (have > want)
		line(t, "warning", "database: schema version %d is newer than this "
		    "keymail's %d (an older binary on a newer database)", have, want);
	else
		line(t, "ok", "database: connected, schema version %d (current)", have);
	/* owner-control.md 2: mail waits while the two policies differ. */
	if (st == STORE_OK && have == want) {
		char why[300];
		bool match;

		if (owner_policy_check(c, s, &match, why, sizeof(why)) != STORE_OK)
			line(t, "PROBLEM", "database: cannot read the policy: %s",
			    store_errmsg(s));
		else if (!match)
			line(t, "PROBLEM", "%s", why);
		else
			line(t, "ok", "policy %s, as the database records",
			    store_policy_name(owner_policy(c)));
	}
	store_close(s);
}

unsigned
cmd_setup_check(const struct conf *c, const char *path, FILE *out)
{
	struct tally t;

	memset(&t, 0, sizeof(t));
	t.out = out;
	fprintf(out, "keymail check (keymail %s)\n", cmd_version());
	check_conf(&t, c, path);
	check_help(&t, c);
	check_mailer(&t, c);
	check_database(&t, c);
	if (t.problems)
		fprintf(out, "%u problem%s, %u warning%s: keymail filter defers mail "
		    "(exit 75) until the problems are fixed\n", t.problems,
		    t.problems == 1 ? "" : "s", t.warnings, t.warnings == 1 ? "" : "s");
	else
		fprintf(out, "no problems, %u warning%s\n", t.warnings,
		    t.warnings == 1 ? "" : "s");
	return t.problems;
}
