/*
 * keymail.c - the program: keymail [-c FILE] filter | initdb | sync | get | index ...
 *
 * "filter" is what the MTA runs: one RFC 5322 message on stdin (untrusted),
 * read here within max_message_size, then handled by cmd/pipeline.c (the
 * Subject command run against the store, one reply handed to the
 * mailer). Exit codes follow sysexits and are decided here only, from
 * the pipeline's status and the other subcommands' results:
 *   0            done, including bad requests answered politely
 *   75 TEMPFAIL  store or mailer unreachable (or store error): the MTA
 *                retries later; a retried ADD re-merges idempotently
 *   78 CONFIG    configuration unreadable or invalid
 *   64 USAGE     bad command line
 *   77 NOPERM    run as root (refused before anything else is read)
 * Permanent store errors are also TEMPFAIL on purpose: they are the
 * operator's to fix (e.g. "keymail initdb" not run), and the mail must not
 * be lost meanwhile.
 * "sync" (cron/systemd, hourly) mails queued changes to the peers
 * (cmd/sync.c): 75 if the store fails, else 0 (mailer failures are
 * retried by the next run; a concurrent run is not an error).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/pipeline.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/log.h"
#include "util/xalloc.h"

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: keymail [-c file] filter\n"
	    "       keymail [-c file] initdb\n"
	    "       keymail [-c file] sync\n"
	    "       keymail [-c file] import [-qv] [-j jobs] [file ...]\n"
	    "       keymail [-c file] export > dump\n"
	    "       keymail [-c file] get KEYSPEC\n"
	    "       keymail [-c file] index [-v] TEXT\n");
	exit(EX_USAGE);
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
		return EX_CONFIG;
	case PIPELINE_TEMPFAIL:
	default:
		return EX_TEMPFAIL;
	}
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
do_sync(const struct conf *c)
{
	struct store *s;
	struct cmd_ctx ctx;
	struct sync_stats ss;
	enum store_status st;
	bool busy;
	int rc;

	if ((rc = exit_for_open(cmd_store_open(c->database, &s, NULL, 0))) != EX_OK)
		return rc;
	cmd_ctx_init(&ctx, c, s);
	st = cmd_sync(&ctx, &ss, &busy);
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
 * keymail import [-qv] [-j jobs] [file ...] (cmd/import.c): 0 when every
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
	while ((ch = getopt(argc, argv, "+j:qv")) != -1) {
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

/* keymail initdb: 0, 75 if the database is unreachable or fails
 * transiently, 70 (EX_SOFTWARE) if a migration fails for good. */
static int
do_initdb(const struct conf *c)
{
	struct store *s;
	enum store_status st;
	int rc;

	if ((rc = exit_for_open(cmd_store_open(c->database, &s, NULL, 0))) != EX_OK)
		return rc;
	st = store_initdb(s);
	if (st != STORE_OK)
		log_warnx("initdb: %s", store_errmsg(s));
	rc = st == STORE_OK ? EX_OK : (st == STORE_TEMPFAIL ? EX_TEMPFAIL : EX_SOFTWARE);
	store_close(s);
	return rc;
}

int
main(int argc, char **argv)
{
	struct conf c;
	const char *path = getenv("KEYMAIL_CONF");
	char err[512];
	int ch, rc;

	log_open("keymail", 0);
	/*
	 * Never as root, and before the configuration is read: keymail
	 * parses hostile mail, and the file may name any program as the
	 * mailer. The MTA (pipe(8) user=, procmail, cron) runs it as its
	 * own unprivileged user; see README "The database".
	 */
	if (getuid() == 0 || geteuid() == 0) {
		log_warnx("refusing to run as root: run keymail as its own "
		    "unprivileged user (e.g. sudo -u keymail keymail ...)");
		return EX_NOPERM;
	}
	while ((ch = getopt(argc, argv, "+c:")) != -1) {
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
		log_warnx("configuration: %s", err);
		conf_free(&c);
		return EX_CONFIG;
	}
	if (pgp_crypto_init() < 0) {
		log_warnx("libgcrypt version mismatch");
		return EX_SOFTWARE;
	}
	if (!strcmp(argv[0], "filter")) {
		/* The MTA keeps stderr for its logs; syslog gets everything too. */
		log_open("keymail", 1);
		rc = do_filter(&c);
	} else if (!strcmp(argv[0], "initdb"))
		rc = do_initdb(&c);
	else if (!strcmp(argv[0], "sync")) {
		if (argc != 1)
			usage();
		rc = do_sync(&c);
	} else if (!strcmp(argv[0], "import"))
		rc = do_import(&c, argc, argv);
	else if (!strcmp(argv[0], "export"))
		rc = do_export(&c, argc);
	else if (!strcmp(argv[0], "get"))
		rc = do_lookup(&c, argc, argv, 0);
	else if (!strcmp(argv[0], "index"))
		rc = do_lookup(&c, argc, argv, 1);
	else
		usage();
	conf_free(&c);
	return rc;
}
