/*
 * keymail.c - the program: keymail [-c FILE] filter | initdb | get | index
 *
 * "filter" is what the MTA runs: one RFC 5322 message on stdin (untrusted),
 * the Subject command run against the store, one reply handed to the
 * mailer. Exit codes follow sysexits and are decided here only:
 *   0            done, including bad requests answered politely
 *   75 TEMPFAIL  store or mailer unreachable (or store error): the MTA
 *                retries later; a retried ADD re-merges idempotently
 *   78 CONFIG    configuration unreadable or invalid
 *   64 USAGE     bad command line
 * Permanent store errors are also TEMPFAIL on purpose: they are the
 * operator's to fix (e.g. "keymail initdb" not run), and the mail must not
 * be lost meanwhile.
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

static void
usage(void)
{
	fprintf(stderr,
	    "usage: keymail [-c file] filter\n"
	    "       keymail [-c file] initdb\n"
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
	else if (addr_equal(to, c->address) || addr_equal(m->from, c->address))
		*why = "our own address";
	for (i = 0; *why == NULL && i < m->nx_loop; i++)
		if (names_address(m->x_loop[i], c->address))
			*why = "X-Loop";
	return *why ? NULL : to;
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

/* Build and send the reply. Returns an exit code. */
static int
send_reply(const struct conf *c, const struct cmd_ctx *ctx, const struct mail_msg *m,
    const char *to, const struct cmd_result *r)
{
	struct mail_reply rep;
	struct buf out;
	char *subject, *intro, err[512];
	enum mail_send_status ss;
	int rc = EX_OK;

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
		snprintf(err, sizeof(err), "Your message is larger than %zu bytes (limit "
		    "max_message_size) and was not read.", c->max_message_size);
	} else
		ms = mail_parse((const char *)raw.data, raw.len, &lim, &m, err, sizeof(err));
	free(raw.data);

	mail_command_parse(m.subject, &cmd);
	cmd_result_init(&r);
	to = reply_address(&m, c, &why);
	rc = EX_OK;

	if (ms != MAIL_OK) {
		log_warnx("message refused: %s", err);
		if (cmd.cmd != MAIL_CMD_INCREMENTAL && to != NULL) {
			r.suffix = ", failed";
			buf_printf(&r.body, "%s\n", err);
			cmd_ctx_init(&ctx, c, NULL);
			rc = send_reply(c, &ctx, &m, to, &r);
		}
		goto done;
	}
	if (cmd.cmd == MAIL_CMD_INCREMENTAL || cmd.cmd == MAIL_CMD_ADD) {
		store = open_store_or_exit(c);
		cmd_ctx_init(&ctx, c, store);
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
	case MAIL_CMD_INDEX:
	case MAIL_CMD_VERBOSE_INDEX:
	case MAIL_CMD_LAST:
		store = open_store_or_exit(c);
		cmd_ctx_init(&ctx, c, store);
		if (cmd.cmd == MAIL_CMD_GET)
			st = cmd_get(&ctx, cmd.arg, &r);
		else if (cmd.cmd == MAIL_CMD_LAST)
			st = cmd_last(&ctx, cmd.arg, &r);
		else
			st = cmd_index(&ctx, cmd.arg, cmd.cmd == MAIL_CMD_VERBOSE_INDEX, &r);
		break;
	case MAIL_CMD_HELP:
		cmd_ctx_init(&ctx, c, NULL);
		cmd_help(&ctx, cmd.arg, &r);
		break;
	case MAIL_CMD_MGET:	/* comes with the sync issue; answered as pks did */
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
	rc = send_reply(c, &ctx, &m, to, &r);
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

int
main(int argc, char **argv)
{
	struct conf c;
	const char *path = getenv("KEYMAIL_CONF");
	char err[512];
	int ch, rc;

	log_open("keymail", 0);
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
	} else if (!strcmp(argv[0], "get"))
		rc = do_lookup(&c, argc, argv, 0);
	else if (!strcmp(argv[0], "index"))
		rc = do_lookup(&c, argc, argv, 1);
	else
		usage();
	conf_free(&c);
	return rc;
}
