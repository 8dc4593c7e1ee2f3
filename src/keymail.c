/*
 * keymail.c - the program: keymail [-c FILE] filter | check | initdb | sync |
 * import | export | get | index, and -h/--help, --version.
 *
 * "filter" is what the MTA runs: one RFC 5322 message on stdin (untrusted),
 * read here within max_message_size, then handled by cmd/pipeline.c (the
 * Subject command run against the store, one reply handed to the
 * mailer). Exit codes follow sysexits and are decided here only, from
 * the pipeline's status and the other subcommands' results:
 *   0            done, including bad requests answered politely
 *   75 TEMPFAIL  store or mailer unreachable (or store error): the MTA
 *                retries later; a retried ADD re-merges idempotently.
 *                For the filter also every configuration or installation
 *                problem: a configuration that does not load, a missing
 *                help text or mailer program, a database connection
 *                string that does not parse, being run as root. Those are
 *                the operator's to fix; the mail waits in the MTA's queue
 *                meanwhile instead of going back to its sender (issue 15:
 *                Postfix returned "5.3.5" and quoted the configuration
 *                file to a stranger). The reason goes to syslog.
 *   78 CONFIG    configuration unreadable or invalid (other subcommands)
 *   64 USAGE     bad command line
 *   77 NOPERM    run as root (refused before anything else is read;
 *                -h and --version excepted, the filter gets 75)
 * Permanent store errors are also TEMPFAIL on purpose: they are the
 * operator's to fix (e.g. "keymail initdb" not run), and the mail must not
 * be lost meanwhile.
 * "check" reads the configuration and tries the help texts, the mailer
 * and the database (cmd/setup_check.c): 0 if nothing would stop the
 * filter, 1 otherwise.
 * "sync" (cron/systemd, hourly) mails queued changes to the peers
 * (cmd/sync.c): 75 if the store fails, else 0 (mailer failures are
 * retried by the next run; a concurrent run is not an error). It logs to
 * syslog (facility mail); stderr gets warnings and errors only, and its
 * summary too with -v, so that cron mails nobody when all is well.
 * "serverkey" and "recon" (reconciliation, cmd/serverkey.c, cmd/recon.c)
 * add 73 CANTCREAT (the key file cannot be created) and use 78 for a
 * missing or unusable server key file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/owner.h"
#include "cmd/pipeline.h"
#include "mail/mail.h"
#include "serve/serve.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char usage_text[] =
    "usage: keymail [-c file] command [arguments]\n"
    "       keymail -h | --help | --version\n"
    "\n"
    "commands:\n"
    "  filter           read one mail on standard input, carry out its\n"
    "                   Subject command and reply (run by the MTA)\n"
    "  check            check the configuration, help texts, mailer and\n"
    "                   database; run it after every change\n"
    "  initdb [--change-policy]\n"
    "                   create or upgrade the database schema; record the\n"
    "                   policy, or rebuild the published copies for a new one\n"
    "  sync [-v]        mail changed keys to the peer keyservers (hourly)\n"
    "  import [-qsv] [-j jobs] [file ...]\n"
    "                   load keys from keyrings, dumps or armored files\n"
    "  export > dump    write every stored key, binary\n"
    "  get KEYSPEC      the keys the mail command GET sends\n"
    "  index [-v] TEXT  the listing INDEX (-v: VERBOSE INDEX) sends\n"
    "  serve            the HKP and LMTP server (hkp_listen, lmtp_listen)\n"
    "  serverkey        make this server's reconciliation key (once) and\n"
    "                   print its fingerprint\n"
    "  recon [-l] [ADDRESS]\n"
    "                   reconcile with the recon_peers that are due, or\n"
    "                   with ADDRESS now (hourly); -l: their state\n"
    "\n"
    "options:\n"
    "  -c file          configuration file (default: $KEYMAIL_CONF, else\n"
    "                   /etc/keymail.conf)\n"
    "  -h, --help       this text\n"
    "  --version        the version of keymail\n"
    "\n"
    "keymail refuses to run as root (except for -h and --version).\n"
    "See keymail(8) and keymail.conf(5).\n";

static void usage(void) __attribute__((noreturn));

/* A bad command line: the usage on stderr, exit 64. */
static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(EX_USAGE);
}

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/*
 * -h/--help and --version, answered before anything else (as root too:
 * they read nothing). Only the options in front of the command count.
 * Returns -1 if neither was asked for; *cmd gets the command word (NULL
 * if there is none), so that main can treat "filter" specially.
 */
static int
early_options(int argc, char **argv, const char **cmd)
{
	int i;

	*cmd = NULL;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return EX_OK;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("keymail %s\n", cmd_version());
			return EX_OK;
		}
		if (!strcmp(argv[i], "-c")) {
			i++;
			continue;
		}
		if (!strcmp(argv[i], "--"))
			i++;
		if (i < argc && argv[i][0] != '-') {
			*cmd = argv[i];
			break;
		}
	}
	return -1;
}

/* The exit code for a store_open status (cmd_store_open has logged why). */
static int
exit_for_open(enum store_status st)
{
	return st == STORE_OK ? EX_OK : st == STORE_ERROR ? EX_CONFIG : EX_TEMPFAIL;
}

/*
 * keymail filter: read the message from stdin within max_message_size
 * (the rest is read and dropped, so the MTA sees no broken pipe), hand it
 * to the pipeline (cmd/pipeline.c), and turn its outcome into the exit
 * code the MTA acts on.
 */
static int
do_filter(const struct conf *c)
{
	struct pipeline_db db;
	struct pipeline_input in;
	struct pipeline_outcome out;
	struct buf raw;
	int rc;

	/* Size limit first, before any parsing (Postfix pipe habit). */
	memset(&in, 0, sizeof(in));
	buf_init(&raw, c->max_message_size);
	rc = buf_read_fd(&raw, 0);
	if (rc == -1) {
		log_warn("reading the message");
		buf_free(&raw);
		return EX_TEMPFAIL;
	}
	if (rc == -2) {
		char sink[65536];

		in.truncated = true;
		while (read(0, sink, sizeof(sink)) > 0)
			;	/* drain, so the MTA does not see a broken pipe */
	}
	in.data = raw.data;
	in.len = raw.len;
	pipeline_db_init(&db, c->database);
	(void)pipeline_run(c, &db, &in, &out);
	pipeline_db_close(&db);
	buf_free(&raw);
	switch (out.status) {
	case PIPELINE_DONE:
		return EX_OK;
	case PIPELINE_CONFIG:
		/* A connection string that does not parse: the operator's
		 * to fix, so the mail waits (see the top of this file). */
		log_errorx("configuration: the database connection string does "
		    "not work; mail is deferred until it is fixed");
		return EX_TEMPFAIL;
	case PIPELINE_TEMPFAIL:
	default:
		return EX_TEMPFAIL;
	}
}

/*
 * What the filter needs besides the database, checked before the mail
 * is read: a help text (every reply to HELP needs it) and the mailer
 * program (every reply). Missing either is an installation problem: the
 * mail waits (75) and the log says why.
 */
static bool
filter_installed(const struct conf *c)
{
	char why[4200], path[4096];

	if (!cmd_help_available(c, why, sizeof(why))) {
		log_errorx("help text missing (help_dir %s): %s; mail is deferred "
		    "until it is there (keymail check)", c->help_dir, why);
		return false;
	}
	if (mail_send_resolve(c->sendmail, path, sizeof(path), why, sizeof(why)) < 0) {
		log_errorx("mailer missing (sendmail): %s; mail is deferred until "
		    "it is there (keymail check)", why);
		return false;
	}
	return true;
}

static int
do_lookup(const struct conf *c, int argc, char **argv, int is_index)
{
	struct store *s;
	struct cmd_ctx ctx;
	struct cmd_result r;
	enum store_status st;
	bool verbose = false;
	int rc;

	if (is_index && argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = true;
		argc--;
		argv++;
	}
	if (argc != 2)
		usage();
	if ((rc = exit_for_open(cmd_store_open(c->database, &s, NULL, 0))) != EX_OK)
		return rc;
	cmd_ctx_init(&ctx, c, s);
	cmd_result_init(&r);
	st = is_index ? cmd_index(&ctx, argv[1], verbose, &r) : cmd_get(&ctx, argv[1], &r);
	if (st != STORE_OK) {
		log_warnx("database: %s", store_errmsg(s));
		rc = EX_TEMPFAIL;
	} else if (*r.suffix) {
		fwrite(r.body.data, 1, r.body.len, stderr);
		rc = 1;
	} else {
		fwrite(r.body.data, 1, r.body.len, stdout);
		rc = EX_OK;
	}
	cmd_result_free(&r);
	store_close(s);
	return rc;
}

/*
 * keymail sync (cmd/sync.c): 75 if the database is unreachable or fails,
 * so cron or systemd shows the run as failed; 0 otherwise. A mailer
 * failure is logged and the key stays queued for the next run, which is
 * not an error of the run. Another run holding the lock: 0.
 */
static int
do_sync(const struct conf *c, int argc, char **argv)
{
	struct store *s;
	struct cmd_ctx ctx;
	struct sync_stats ss;
	enum store_status st;
	char why[300];
	bool busy = false, match = false;
	int rc;

	if (argc == 2 && !strcmp(argv[1], "-v"))
		log_set_stderr_info(1);
	else if (argc != 1)
		usage();
	if ((rc = exit_for_open(cmd_store_open(c->database, &s, NULL, 0))) != EX_OK)
		return rc;
	cmd_ctx_init(&ctx, c, s);
	/* Nothing leaves while the published copies are built for another
	 * policy (owner-control.md 2). */
	st = owner_policy_check(c, s, &match, why, sizeof(why));
	if (st == STORE_OK && !match) {
		log_warnx("sync: %s", why);
		store_close(s);
		return EX_TEMPFAIL;
	}
	if (st == STORE_OK)
		st = cmd_sync(&ctx, &ss, &busy);
	if (st == STORE_OK && !busy)
		log_info("sync: purged %zu token(s), %zu nonce(s), %zu held "
		    "item(s), %zu mail-log row(s); %u digest(s) sent, %u not; "
		    "%u key update(s) sent, %u not; %u reminder(s) sent, %u not",
		    ss.owner.purged.tokens, ss.owner.purged.nonces,
		    ss.owner.purged.held, ss.owner.purged.mail_log,
		    ss.owner.digests, ss.owner.digests_dropped, ss.owner.updates,
		    ss.owner.updates_dropped, ss.owner.reminders,
		    ss.owner.reminders_dropped);
	if (st != STORE_OK) {
		log_warnx("sync: database: %s", store_errmsg(s));
		store_close(s);
		return EX_TEMPFAIL;
	}
	if (busy)
		log_info("sync: another keymail sync is running on this database; "
		    "nothing done");
	else
		log_info("sync: %u message(s) sent, %u failed (retried next run), "
		    "%u skipped by peer profile or size, %u queued key(s) done, "
		    "%zu expired", ss.sent, ss.failed, ss.skipped, ss.done, ss.expired);
	store_close(s);
	return EX_OK;
}

/*
 * keymail import [-qsv] [-j jobs] [file ...] (cmd/import.c): 0 when every
 * input was read (refused keys are reported on stderr, not failures); 75
 * when the database is unreachable or fails (run it again: it resumes by
 * re-merging, which changes nothing already stored); 66 when an input
 * file could not be opened, 74 on a read error (the other inputs are
 * loaded either way). Progress is shown when stderr is a terminal (-q: not
 * even then); -v prints the totals and what was left out of accepted keys.
 */
static int
do_import(const struct conf *c, int argc, char **argv)
{
	struct cmd_import_opts o;
	struct cmd_ctx ctx;
	struct store *s;
	enum cmd_run r;
	bool quiet = false;
	long n;
	char *end;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	optind = 0;	/* glibc: start over, "+" included */
	while ((ch = getopt(argc, argv, "+j:qsv")) != -1) {
		switch (ch) {
		case 'j':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > 64)
				usage();
			o.jobs = (unsigned)n;
			break;
		case 'q':
			quiet = true;
			break;
		case 's':
			o.summary = true;
			break;
		case 'v':
			o.verbose = o.summary = true;
			break;
		default:
			usage();
		}
	}
	o.files = argv + optind;
	o.nfiles = (size_t)(argc - optind);
	o.batch = c->import_batch;
	o.progress = !quiet && isatty(2);
	o.summary = o.summary || o.progress;
	if ((rc = exit_for_open(cmd_store_open(c->database, &s, NULL, 0))) != EX_OK)
		return rc;
	cmd_ctx_init(&ctx, c, s);
	r = cmd_import(&ctx, &o);
	store_close(s);
	return r == CMD_RUN_OK ? EX_OK : r == CMD_RUN_NOINPUT ? EX_NOINPUT :
	    r == CMD_RUN_IOERR ? EX_IOERR : EX_TEMPFAIL;
}

/* keymail export: the whole store on stdout as a binary dump. 75 if the
 * database fails, 74 if stdout cannot be written. */
static int
do_export(const struct conf *c, int argc)
{
	struct cmd_ctx ctx;
	struct store *s;
	enum cmd_run r;
	int rc;

	if (argc != 1)
		usage();
	if (isatty(1)) {
		log_warnx("export: standard output is a terminal; redirect it to "
		    "a file");
		return EX_USAGE;
	}
	if ((rc = exit_for_open(cmd_store_open(c->database, &s, NULL, 0))) != EX_OK)
		return rc;
	cmd_ctx_init(&ctx, c, s);
	r = cmd_export(&ctx, 1);
	store_close(s);
	return r == CMD_RUN_OK ? EX_OK : r == CMD_RUN_IOERR ? EX_IOERR : EX_TEMPFAIL;
}

/* keymail initdb [--change-policy]: 0, 75 if the database is unreachable
 * or fails transiently, 70 (EX_SOFTWARE) if a migration fails for good,
 * 78 if the database was built for another policy than the configured
 * one and --change-policy was not given (owner-control.md 2). */
static int
do_initdb(const struct conf *c, int argc, char **argv)
{
	struct store *s;
	struct cmd_ctx ctx;
	enum store_status st;
	enum owner_initdb io = OWNER_INITDB_OK;
	bool change = false;
	int rc;

	int before, after, want;

	if (argc == 2 && !strcmp(argv[1], "--change-policy"))
		change = true;
	else if (argc != 1)
		usage();
	if ((rc = exit_for_open(cmd_store_open(c->database, &s, NULL, 0))) != EX_OK)
		return rc;
	if ((st = store_schema_version(s, &before, &want)) == STORE_OK &&
	    (st = store_initdb(s)) == STORE_OK)
		st = store_schema_version(s, &after, &want);
	if (st == STORE_OK) {
		if (before == after)
			printf("keymail initdb: schema version %d, up to date; nothing "
			    "to do\n", after);
		else
			printf("keymail initdb: schema version %d -> %d (%s)\n", before,
			    after, before == 0 ? "schema created" : "upgraded");
		/* owner-control.md 2: record the policy, or rebuild for it */
		cmd_ctx_init(&ctx, c, s);
		st = owner_initdb_policy(&ctx, change, &io);
	}
	if (st != STORE_OK)
		log_warnx("initdb: %s", store_errmsg(s));
	rc = st == STORE_OK ? (io == OWNER_INITDB_DIFFERS ? EX_CONFIG : EX_OK) :
	    (st == STORE_TEMPFAIL ? EX_TEMPFAIL : EX_SOFTWARE);
	store_close(s);
	return rc;
}

/* keymail check: 0 when nothing would stop the filter, 1 otherwise. */
static int
do_check(const struct conf *c, const char *path, int argc)
{
	if (argc != 1)
		usage();
	return cmd_setup_check(c, path, stdout) == 0 ? EX_OK : 1;
}

/*
 * keymail serve (serve/serve.h, server.md 2): returns in the master when
 * it stops, and in every worker process when that worker is done.
 * 0 stopped (or a worker done), 78 configuration, 71 cannot listen or
 * set up, 70 a worker that could not run.
 */
static int
do_serve(const struct conf *c, const char *path)
{
	log_open("keymail", 1);
	switch (serve_run(c, path)) {
	case SERVE_STOPPED:
	case SERVE_WORKER_DONE:
		return EX_OK;
	case SERVE_CONFIG:
		return EX_CONFIG;
	case SERVE_BIND:
	case SERVE_OSERR:
		return EX_OSERR;
	case SERVE_WORKER_FAILED:
		return EX_SOFTWARE;
	}
	return EX_SOFTWARE;
}

/* An outcome of cmd/ as an exit status. */
static int
exit_for_run(enum cmd_run r)
{
	switch (r) {
	case CMD_RUN_OK:
		return EX_OK;
	case CMD_RUN_NOINPUT:
		return EX_NOINPUT;
	case CMD_RUN_IOERR:
		return EX_IOERR;
	case CMD_RUN_CANTCREAT:
		return EX_CANTCREAT;
	case CMD_RUN_CONFIG:
		return EX_CONFIG;
	case CMD_RUN_USAGE:
		return EX_USAGE;
	case CMD_RUN_SOFTWARE:
		return EX_SOFTWARE;
	case CMD_RUN_TEMPFAIL:
	default:
		return EX_TEMPFAIL;
	}
}

/* keymail serverkey (cmd/serverkey.c, reconciliation.md 3.3): 0; 73 the
 * key file cannot be created; 78 an existing one is unusable; 75 the
 * store cannot be reached (a new file is kept). */
static int
do_serverkey(const struct conf *c, int argc)
{
	if (argc != 1)
		usage();
	return exit_for_run(cmd_serverkey(c, cmd_recon_clock()));
}

/* keymail recon [-l] [ADDRESS] (cmd/recon.c, reconciliation.md 4.1): 0;
 * 64 for an ADDRESS that is not a recon_peer or bad options; 75 store or
 * mailer failed temporarily; 78 server_key missing or unusable. */
static int
do_recon(const struct conf *c, int argc, char **argv)
{
	struct cmd_recon_opts o;
	int ch;

	memset(&o, 0, sizeof(o));
	optind = 0;	/* glibc: start over, "+" included */
	while ((ch = getopt(argc, argv, "+l")) != -1) {
		if (ch != 'l')
			return EX_USAGE;
		o.list = true;
	}
	if (argc - optind > 1)
		return EX_USAGE;
	if (argc - optind == 1)
		o.address = argv[optind];
	return exit_for_run(cmd_recon(c, cmd_recon_clock(), &o));
}

int
main(int argc, char **argv)
{
	struct conf c;
	const char *path = getenv("KEYMAIL_CONF"), *cmd;
	char err[512];
	bool filter;
	int ch, rc;

	if ((rc = early_options(argc, argv, &cmd)) != -1)
		return rc;
	filter = cmd != NULL && !strcmp(cmd, "filter");
	/* The filter logs to syslog from the start, so that even a
	 * configuration that does not load is in the mail log. */
	log_open("keymail", filter);
	/*
	 * Never as root, and before the configuration is read: keymail
	 * parses hostile mail, and the file may name any program as the
	 * mailer. The MTA (pipe(8) user=, procmail, cron) runs it as its
	 * own unprivileged user; see README "The database". A filter run as
	 * root is an installation mistake: the mail waits (75).
	 */
	if (getuid() == 0 || geteuid() == 0) {
		log_warnx("refusing to run as root: run keymail as its own "
		    "unprivileged user (e.g. runuser -u keymail -- keymail ...)");
		return filter ? EX_TEMPFAIL : EX_NOPERM;
	}
	while ((ch = getopt_long(argc, argv, "+c:hV", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (path == NULL || *path == '\0')
		path = "/etc/keymail.conf";
	conf_defaults(&c);
	if (conf_load(&c, path, err, sizeof(err)) < 0) {
		conf_free(&c);
		if (!strcmp(argv[0], "check")) {
			printf("keymail check (keymail %s)\n  PROBLEM  configuration: "
			    "%s\n1 problem: keymail filter defers mail (exit 75) "
			    "until it is fixed\n", cmd_version(), err);
			return 1;
		}
		if (filter) {
			log_errorx("configuration: %s; mail is deferred until it "
			    "is fixed (keymail check)", err);
			return EX_TEMPFAIL;
		}
		log_warnx("configuration: %s", err);
		return EX_CONFIG;
	}
	if (pgp_crypto_init() < 0) {
		log_errorx("libgcrypt version mismatch");
		conf_free(&c);
		return filter ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	if (!strcmp(argv[0], "filter")) {
		if (argc != 1)
			usage();
		/* The MTA keeps stderr for its logs; syslog gets everything too. */
		rc = filter_installed(&c) ? do_filter(&c) : EX_TEMPFAIL;
	} else if (!strcmp(argv[0], "check"))
		rc = do_check(&c, path, argc);
	else if (!strcmp(argv[0], "initdb"))
		rc = do_initdb(&c, argc, argv);
	else if (!strcmp(argv[0], "sync")) {
		/* From cron or a timer: syslog; stderr only for trouble. */
		log_open("keymail", 1);
		log_set_stderr_info(0);
		rc = do_sync(&c, argc, argv);
	} else if (!strcmp(argv[0], "import"))
		rc = do_import(&c, argc, argv);
	else if (!strcmp(argv[0], "export"))
		rc = do_export(&c, argc);
	else if (!strcmp(argv[0], "serve")) {
		if (argc != 1)
			usage();
		rc = do_serve(&c, path);
	} else if (!strcmp(argv[0], "get"))
		rc = do_lookup(&c, argc, argv, 0);
	else if (!strcmp(argv[0], "index"))
		rc = do_lookup(&c, argc, argv, 1);
	else if (!strcmp(argv[0], "serverkey"))
		rc = do_serverkey(&c, argc);
	else if (!strcmp(argv[0], "recon")) {
		/* From cron or a timer: syslog, and stderr as the spec asks
		 * (reconciliation.md 13); a run with nothing to do is silent. */
		log_open("keymail", 1);
		rc = do_recon(&c, argc, argv);
	}
	else
		usage();
	conf_free(&c);
	return rc;
}
