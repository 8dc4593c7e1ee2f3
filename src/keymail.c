/*
 * keymail.c - the program: keymail [-c FILE] filter | initdb | sync | get | index ...
 *
 * "filter" is what the MTA runs: one RFC 5322 message on stdin (untrusted),
 * the Subject command run against the store, one reply handed to the
 * mailer. Exit codes follow sysexits and are decided here only:
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
#include "mail/mail.h"
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

static struct mail_limits
mail_limits_from(const struct conf *c)
{
	struct mail_limits l;

	l.max_message_size = c->max_message_size;
	l.max_header_line = c->max_header_line;
	l.max_header_size = c->max_header_size;
	l.max_headers = c->max_headers;
	l.max_subject = c->max_subject;
	l.max_mime_depth = c->max_mime_depth;
	l.max_mime_parts = c->max_mime_parts;
	l.max_decoded_size = c->max_decoded_size;
	return l;
}

static int
exit_for_store(enum store_status st)
{
	return st == STORE_OK ? EX_OK : EX_TEMPFAIL;
}

static struct store *
open_store_or_exit(const struct conf *c)
{
	struct store *s = NULL;
	enum store_status st = store_open(c->database, &s);

	if (st != STORE_OK) {
		log_warnx("database: %s", s ? store_errmsg(s) : store_strerror(st));
		store_close(s);
		exit(st == STORE_ERROR ? EX_CONFIG : EX_TEMPFAIL);
	}
	return s;
}

#define ALNUM_DOT "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_+"

static bool names_address(const char *value, const char *addr);
static bool our_msgid(const char *id, const char *address);

static bool
addr_equal(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/*
 * Decide whether we may answer this message at all (mail-protocol.md 5,
 * point 1). Returns the reply address or NULL; why says which rule.
 */
static const char *
reply_address(const struct mail_msg *m, const struct conf *c, const char **why)
{
	const char *to = m->reply_to ? m->reply_to : m->from;
	size_t i;

	*why = NULL;
	if (to == NULL)
		*why = "no usable From or Reply-To";
	else if (m->null_return_path)
		*why = "null envelope sender";
	else if (m->auto_submitted)
		*why = "Auto-Submitted";
	else if (m->precedence_bulk)
		*why = "Precedence bulk/junk/list";
	else if (m->list_headers)
		*why = "mailing-list headers";
	else if (m->is_report)
		*why = "delivery report";
	else if (mail_addr_is_daemon(to) || (m->from && mail_addr_is_daemon(m->from)) ||
	    (m->sender && mail_addr_is_daemon(m->sender)))
		*why = "daemon sender";
	else if (addr_equal(to, c->address) || addr_equal(m->from, c->address) ||
	    addr_equal(m->sender, c->address))
		*why = "our own address";
	for (i = 0; *why == NULL && i < m->nx_loop; i++)
		if (names_address(m->x_loop[i], c->address))
			*why = "X-Loop";
	/* One of our own replies, come back without its X-Loop (spec 5.6). */
	if (*why == NULL && our_msgid(m->message_id, c->address))
		*why = "our own Message-ID";
	return *why ? NULL : to;
}

/*
 * Is id ("<...>", checked by mail_parse) one that mail_reply_build makes
 * for us: 32 lower-case hex digits, '@', the domain of our address?
 */
static bool
our_msgid(const char *id, const char *address)
{
	const char *dom = strrchr(address, '@');
	size_t i, n;

	if (id == NULL || dom == NULL || id[0] != '<')
		return false;
	dom++;
	n = strlen(dom);
	for (i = 1; i <= 32; i++)
		if (!strchr("0123456789abcdef", id[i]) || id[i] == '\0')
			return false;
	return id[33] == '@' && strncasecmp(id + 34, dom, n) == 0 &&
	    id[34 + n] == '>' && id[35 + n] == '\0';
}

/* Does value carry addr as a whole address (not inside a longer one)? */
static bool
names_address(const char *value, const char *addr)
{
	size_t n = strlen(addr);
	const char *p = value;

	while ((p = strcasestr(p, addr)) != NULL) {
		char before = p == value ? ' ' : p[-1], after = p[n];

		if (!strchr(ALNUM_DOT, before) && (after == '\0' || !strchr(ALNUM_DOT, after)))
			return true;
		p++;
	}
	return false;
}

static const char *
msgid_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at && at[1] ? at + 1 : "localhost";
}

/*
 * Reflection defence (mail-protocol.md 5, point 3): count the reply in the
 * database before sending it. Every reply counts, so without the database
 * nothing is answered (EX_TEMPFAIL: the MTA keeps the mail and retries),
 * unless max_replies_per_hour is 0. *store is opened if it is not yet.
 * Returns EX_OK to send, -1 to drop quietly, or EX_TEMPFAIL.
 */
static int
reply_rate_ok(const struct conf *c, struct store **store, const char *to)
{
	enum store_status st;
	uint64_t n;

	if (c->max_replies_per_hour == 0)
		return EX_OK;
	if (*store == NULL)
		*store = open_store_or_exit(c);
	st = store_reply_count(*store, to, &n);
	if (st != STORE_OK) {
		log_warnx("database: %s", store_errmsg(*store));
		return EX_TEMPFAIL;
	}
	if (n > c->max_replies_per_hour) {
		log_warnx("reply to %s dropped: %llu replies asked for this hour "
		    "(limit max_replies_per_hour %zu)", to, (unsigned long long)n,
		    c->max_replies_per_hour);
		return -1;
	}
	return EX_OK;
}

/* Build and send the reply, if the rate limit allows. Returns an exit code. */
static int
send_reply(const struct conf *c, struct store **store, const struct cmd_ctx *ctx,
    const struct mail_msg *m, const char *to, const struct cmd_result *r)
{
	struct mail_reply rep;
	struct buf out;
	char *subject, *intro, err[512];
	enum mail_send_status ss;
	int rc;

	if ((rc = reply_rate_ok(c, store, to)) != EX_OK)
		return rc == -1 ? EX_OK : rc;
	subject = xasprintf("Your command, %s%s", m->subject && *m->subject ? m->subject : "(none)",
	    r->suffix);
	intro = cmd_intro(ctx);
	memset(&rep, 0, sizeof(rep));
	rep.from = c->address;
	rep.from_name = "OpenPGP keyserver robot";
	rep.to = to;
	rep.subject = subject;
	rep.in_reply_to = m->message_id;
	rep.intro = intro;
	rep.body = r->body.len ? (const char *)r->body.data : NULL;
	rep.body_len = r->body.len;
	rep.body_type = r->body_type;
	rep.msgid_domain = msgid_domain(c->address);
	buf_init(&out, c->max_reply_size + 64 * 1024);
	if (mail_reply_build(&rep, &out) < 0) {
		log_warnx("reply to %s too large; not sent", to);
	} else {
		ss = mail_send(c->sendmail, out.data, out.len, (unsigned)c->sendmail_timeout,
		    err, sizeof(err));
		if (ss == MAIL_SEND_TEMPFAIL) {
			log_warnx("mailer failed temporarily: %s", err);
			rc = EX_TEMPFAIL;
		} else if (ss == MAIL_SEND_PERMFAIL)
			log_warnx("mailer refused reply to %s: %s", to, err);
		else
			log_info("replied to %s: %s", to, subject);
	}
	free(out.data);
	free(subject);
	free(intro);
	return rc;
}

/* The message was too large to parse: read only its header block so we
 * can tell the sender politely. */
static void
parse_headers_only(const struct buf *raw, const struct mail_limits *lim, struct mail_msg *m)
{
	size_t n = raw->len < lim->max_header_size ? raw->len : lim->max_header_size;
	const char *s = (const char *)raw->data;
	const char *end = NULL;
	struct mail_limits l = *lim;
	char err[256];
	char *hdr;
	size_t i;

	for (i = 0; i + 1 < n && end == NULL; i++)
		if (s[i] == '\n' && (s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n')))
			end = s + i + 1;
	if (end == NULL)
		end = s + n;
	hdr = xmalloc((size_t)(end - s) + 2);
	memcpy(hdr, s, (size_t)(end - s));
	memcpy(hdr + (end - s), "\n", 2);
	l.max_message_size = (size_t)(end - s) + 2;
	(void)mail_parse(hdr, (size_t)(end - s) + 1, &l, m, err, sizeof(err));
	free(hdr);
}

static int
do_filter(const struct conf *c)
{
	struct mail_limits lim = mail_limits_from(c);
	struct mail_msg m;
	struct mail_command cmd;
	struct cmd_ctx ctx;
	struct cmd_result r;
	struct store *store = NULL;
	struct buf raw;
	const char *to, *why;
	char err[512] = "";
	enum mail_status ms;
	enum store_status st = STORE_OK;
	int rc, too_big = 0;

	/* Size limit first, before any parsing (Postfix pipe habit). */
	buf_init(&raw, c->max_message_size);
	rc = buf_read_fd(&raw, 0);
	if (rc == -1) {
		log_warn("reading the message");
		return EX_TEMPFAIL;
	}
	if (rc == -2) {
		char sink[65536];

		too_big = 1;
		while (read(0, sink, sizeof(sink)) > 0)
			;	/* drain, so the MTA does not see a broken pipe */
	}
	memset(&m, 0, sizeof(m));
	if (too_big) {
		parse_headers_only(&raw, &lim, &m);
		ms = MAIL_ERR_SIZE;
		snprintf(err, sizeof(err), "it is larger than %zu bytes (limit "
		    "max_message_size)", c->max_message_size);
	} else
		ms = mail_parse((const char *)raw.data, raw.len, &lim, &m, err, sizeof(err));
	free(raw.data);
	/* A Subject over the limit was cut: do not run what is left of it. */
	if (ms == MAIL_OK && m.subject_too_long) {
		ms = MAIL_ERR_HEADERS;
		snprintf(err, sizeof(err), "its Subject is longer than %zu bytes "
		    "(limit max_subject)", c->max_subject);
	}

	mail_command_parse(m.subject, &cmd);
	cmd_result_init(&r);
	to = reply_address(&m, c, &why);
	rc = EX_OK;

	if (ms != MAIL_OK) {
		log_warnx("message refused: %s", err);
		if (cmd.cmd != MAIL_CMD_INCREMENTAL && to != NULL) {
			r.suffix = ", failed";
			/* err names the limit (mail_parse's fragments and ours). */
			buf_printf(&r.body, "Your message was not processed, because "
			    "%s.\nNothing in it was carried out; please send the "
			    "request again within the limit.\n", err);
			cmd_ctx_init(&ctx, c, NULL);
			rc = send_reply(c, &store, &ctx, &m, to, &r);
		}
		goto done;
	}
	if (cmd.cmd == MAIL_CMD_INCREMENTAL || cmd.cmd == MAIL_CMD_ADD) {
		store = open_store_or_exit(c);
		cmd_ctx_init(&ctx, c, store);
		/* The trail of a peer's incremental goes with the change, so
		 * `keymail sync` skips the peers that have it; a user ADD
		 * records an empty trail, as pks does (spec 4.5). */
		if (cmd.cmd == MAIL_CMD_INCREMENTAL) {
			ctx.sync_trail = m.ksent;
			ctx.sync_ntrail = m.nksent;
		}
		/* Keys that came back inside a delivery report are merged,
		 * never forwarded (spec 4.5). A null envelope sender alone is
		 * no such sign: peers may send incrementals with one, as we
		 * do with msmtp's --from= (README "msmtp"). */
		if (m.is_report)
			ctx.sync_enqueue = false;
		st = cmd_add(&ctx, m.parts, m.nparts, &r);
		if (st != STORE_OK) {
			log_warnx("database: %s", store_errmsg(store));
			rc = exit_for_store(st);
			goto done;
		}
		log_info("%s from %s: %u key(s) stored", mail_cmd_name(cmd.cmd),
		    m.from ? m.from : "(unknown)", r.keys_stored);
		/* A peer's incremental is never answered (spec 4.2). */
		if (cmd.cmd == MAIL_CMD_INCREMENTAL)
			goto done;
	}
	if (to == NULL) {
		log_info("no reply (%s) to %s command from %s", why, mail_cmd_name(cmd.cmd),
		    m.from ? m.from : "(unknown)");
		goto done;
	}
	switch (cmd.cmd) {
	case MAIL_CMD_ADD:
		break;	/* done above */
	case MAIL_CMD_GET:
	case MAIL_CMD_MGET:
	case MAIL_CMD_INDEX:
	case MAIL_CMD_VERBOSE_INDEX:
	case MAIL_CMD_LAST:
		store = open_store_or_exit(c);
		cmd_ctx_init(&ctx, c, store);
		if (cmd.cmd == MAIL_CMD_GET)
			st = cmd_get(&ctx, cmd.arg, &r);
		else if (cmd.cmd == MAIL_CMD_MGET)
			st = cmd_mget(&ctx, cmd.arg, &r);
		else if (cmd.cmd == MAIL_CMD_LAST)
			st = cmd_last(&ctx, cmd.arg, &r);
		else
			st = cmd_index(&ctx, cmd.arg, cmd.cmd == MAIL_CMD_VERBOSE_INDEX, &r);
		break;
	case MAIL_CMD_HELP:
		cmd_ctx_init(&ctx, c, NULL);
		cmd_help(&ctx, cmd.arg, &r);
		break;
	case MAIL_CMD_INVALID:
	default:
		cmd_ctx_init(&ctx, c, NULL);
		r.suffix = ", was invalid";
		cmd_help(&ctx, NULL, &r);
		break;
	}
	if (st != STORE_OK) {
		log_warnx("database: %s", store ? store_errmsg(store) : store_strerror(st));
		rc = exit_for_store(st);
		goto done;
	}
	rc = send_reply(c, &store, &ctx, &m, to, &r);
done:
	cmd_result_free(&r);
	mail_command_free(&cmd);
	mail_msg_free(&m);
	store_close(store);
	return rc;
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
	s = open_store_or_exit(c);
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
	struct store *s = open_store_or_exit(c);
	struct cmd_ctx ctx;
	struct sync_stats ss;
	enum store_status st;
	bool busy;

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
	int ch;

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
	s = open_store_or_exit(c);
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

	if (argc != 1)
		usage();
	if (isatty(1)) {
		log_warnx("export: standard output is a terminal; redirect it to "
		    "a file");
		return EX_USAGE;
	}
	s = open_store_or_exit(c);
	cmd_ctx_init(&ctx, c, s);
	r = cmd_export(&ctx, 1);
	store_close(s);
	return r == CMD_RUN_OK ? EX_OK : r == CMD_RUN_IOERR ? EX_IOERR : EX_TEMPFAIL;
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
	} else if (!strcmp(argv[0], "initdb")) {
		struct store *s = open_store_or_exit(&c);
		enum store_status st = store_initdb(s);

		if (st != STORE_OK)
			log_warnx("initdb: %s", store_errmsg(s));
		rc = st == STORE_OK ? EX_OK : (st == STORE_TEMPFAIL ? EX_TEMPFAIL : EX_SOFTWARE);
		store_close(s);
	} else if (!strcmp(argv[0], "sync")) {
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
