/*
 * cmd/pipeline.c - one request mail, start to end (pipeline.h).
 *
 * Order of work, each step bounded before it starts: the size limit
 * (already applied by the caller's read), the parse limits (mail_parse),
 * the reply rules (whom we must never answer, mail-protocol.md 5), the
 * command, the reply rate limit (counted in the database before the
 * reply is sent), the reply.
 *
 * Untrusted input: the message octets and the envelope. Everything the
 * reply's headers take from the message comes out of mail_parse already
 * sanitized (mail/mail.h).
 * Memory: everything allocated for a message is freed before
 * pipeline_run returns; struct pipeline_db's store handle stays open
 * for the next message and belongs to the caller.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/owner.h"
#include "cmd/pipeline.h"
#include "mail/mail.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

#define ALNUM_DOT "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_+"

/* Set the outcome's reason (one line: control characters become '?'). */
static void reason(struct pipeline_outcome *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reason(struct pipeline_outcome *out, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	for (p = out->reason; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/*
 * A store call on the primary failed with st: log it (pipeline_db.c), and
 * say in out what the caller should do. A TEMPFAIL on a connection that
 * is no longer up is a lost connection (the caller may run the message
 * again).
 */
static enum pipeline_status
store_failed(struct pipeline_db *db, enum store_status st,
    struct pipeline_outcome *out)
{
	char why[sizeof(out->reason)];

	out->db_lost = pipeline_db_primary_failed(db, st, why, sizeof(why));
	reason(out, "database: %s", why);
	return out->status = PIPELINE_TEMPFAIL;
}

/*
 * The primary's handle, opened if it is not yet. NULL if it cannot be
 * opened: out then says why (logged) and what to answer.
 */
static struct store *
db_rw(struct pipeline_db *db, struct pipeline_outcome *out)
{
	enum store_status st;
	struct store *s;
	char why[sizeof(out->reason)];

	if ((s = pipeline_db_primary(db, &st, why, sizeof(why))) != NULL)
		return s;
	reason(out, "database: %s", why);
	out->status = st == STORE_ERROR ? PIPELINE_CONFIG : PIPELINE_TEMPFAIL;
	return NULL;
}

/*
 * fn run by pipeline_db_lookup (the standby or the primary). false if it
 * failed: out then says why and what to answer (pipeline_db_lookup has
 * already tried a lost connection again, so out->db_lost stays false;
 * STORE_ERROR without a connection: the string does not parse).
 */
static bool
db_lookup(struct pipeline_db *db, pipeline_lookup_fn fn, void *arg,
    struct pipeline_outcome *out)
{
	char why[sizeof(out->reason)];
	enum store_status st = pipeline_db_lookup(db, fn, arg, why, sizeof(why));

	if (st == STORE_OK)
		return true;
	reason(out, "database: %s", why);
	out->status = st == STORE_ERROR && db->rw == NULL ? PIPELINE_CONFIG :
	    PIPELINE_TEMPFAIL;
	return false;
}

/* A lookup command (GET, MGET, INDEX, VERBOSE INDEX, LAST), run by
 * pipeline_db_lookup on the standby or the primary (server.md 7.1). */
struct lookup_job {
	const struct conf *c;
	const struct mail_command *cmd;
	struct cmd_ctx *ctx;
	struct cmd_result *r;
};

static enum store_status
run_lookup(void *arg, struct store *s)
{
	struct lookup_job *j = arg;
	const struct mail_command *cmd = j->cmd;

	/* Afresh on every try: nothing of a failed one is kept. */
	cmd_result_free(j->r);
	cmd_result_init(j->r);
	cmd_ctx_init(j->ctx, j->c, s);
	if (cmd->cmd == MAIL_CMD_GET)
		return cmd_get(j->ctx, cmd->arg, j->r);
	if (cmd->cmd == MAIL_CMD_MGET)
		return cmd_mget(j->ctx, cmd->arg, j->r);
	if (cmd->cmd == MAIL_CMD_LAST)
		return cmd_last(j->ctx, cmd->arg, j->r);
	return cmd_index(j->ctx, cmd->arg, cmd->cmd == MAIL_CMD_VERBOSE_INDEX, j->r);
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

/* ---- whom we may answer ------------------------------------------------ */

static bool
addr_equal(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
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
 * Why an unknown command gets no reply at all, or NULL: the operator
 * turned such replies off, or our own MTA (authserv_id) marked the mail
 * dmarc=fail, or spf=fail when silence_unknown_on_spf_fail is set.
 */
static const char *
unknown_silenced(const struct conf *c, const struct mail_msg *m)
{
	struct mail_auth a;
	size_t i;

	if (!c->reply_to_unknown)
		return "reply_to_unknown is no";
	for (i = 0; c->authserv_id != NULL && i < m->nauth_results; i++)
		if (mail_authres_parse(m->auth_results[i], c->authserv_id, &a)) {
			if (a.dmarc_fail)
				return "our MTA found dmarc=fail";
			if (a.spf_fail && c->silence_unknown_on_spf_fail)
				return "our MTA found spf=fail";
		}
	return NULL;
}

/* ---- the reply --------------------------------------------------------- */

/* What a reply was counted under, to take it back if it is not sent. */
struct reply_quota {
	char *keys[3];
	size_t n;
	int64_t hour;
};

static void
quota_free(struct reply_quota *qt)
{
	size_t i;

	for (i = 0; i < qt->n; i++)
		free(qt->keys[i]);
	qt->n = 0;
}

/*
 * Reflection defence (mail-protocol.md 5, point 3, and issue 15): count
 * the reply in the database before sending it, at three levels, each a
 * named limit: the recipient (lower case, "+tag" removed:
 * max_replies_per_hour), its domain ("@domain":
 * max_domain_replies_per_hour) and every reply ("*":
 * max_total_replies_per_hour). A level is counted only when the ones
 * before it let the reply through (store_reply_count_levels), so a flood
 * at one address does not use up everybody's quota. Every reply counts,
 * so without the database nothing is answered (TEMPFAIL: the MTA keeps
 * the mail and retries), unless every limit is 0. The store is opened if
 * it is not yet. Returns 1 to send (qt says what was counted), 0 to drop
 * quietly (out says why), -1 on failure (out says what to answer).
 */
static int
reply_rate_ok(const struct conf *c, struct pipeline_db *db, const char *to,
    struct pipeline_outcome *out, struct reply_quota *qt)
{
	const struct {
		size_t limit;
		const char *name;
	} lv[3] = {
		{ c->max_replies_per_hour, "max_replies_per_hour" },
		{ c->max_domain_replies_per_hour, "max_domain_replies_per_hour" },
		{ c->max_total_replies_per_hour, "max_total_replies_per_hour" },
	};
	const char *dom = mail_addr_domain(to), *names[3];
	uint64_t limits[3], counts[3];
	struct store *s;
	enum store_status st;
	size_t i;

	memset(qt, 0, sizeof(*qt));
	for (i = 0; i < 3; i++) {
		if (lv[i].limit == 0 || (i == 1 && dom == NULL))
			continue;
		qt->keys[qt->n] = i == 0 ? mail_addr_rate_key(to) :
		    i == 1 ? xasprintf("@%s", dom) : xstrdup("*");
		limits[qt->n] = lv[i].limit;
		names[qt->n] = lv[i].name;
		qt->n++;
	}
	if (qt->n == 0)
		return 1;
	if ((s = db_rw(db, out)) == NULL) {
		quota_free(qt);
		return -1;
	}
	st = store_reply_count_levels(s, (const char *const *)qt->keys, limits,
	    qt->n, counts, &qt->hour);
	if (st != STORE_OK) {
		quota_free(qt);
		store_failed(db, st, out);
		return -1;
	}
	for (i = 0; i < qt->n; i++)
		if (counts[i] > limits[i]) {
			log_warnx("reply to %s dropped: %llu replies asked for this "
			    "hour under %s (limit %s %llu)", to,
			    (unsigned long long)counts[i], qt->keys[i], names[i],
			    (unsigned long long)limits[i]);
			reason(out, "reply dropped: %s", names[i]);
			quota_free(qt);
			return 0;
		}
	return 1;
}

/* The reply was counted but not sent: take it back (best effort). */
static void
quota_refund(struct pipeline_db *db, struct reply_quota *qt)
{
	if (qt->n == 0 || db->rw == NULL)
		return;
	if (store_reply_uncount(db->rw, (const char *const *)qt->keys, qt->n,
	    qt->hour) != STORE_OK)
		log_warnx("database: reply counter not taken back: %s",
		    store_errmsg(db->rw));
}

/* Build and send the reply, if the rate limits allow. */
static enum pipeline_status
send_reply(const struct conf *c, struct pipeline_db *db, const struct cmd_ctx *ctx,
    const struct mail_msg *m, const char *to, const struct cmd_result *r,
    struct pipeline_outcome *out)
{
	struct mail_reply rep;
	struct reply_quota qt;
	struct buf mail;
	char *subject, *intro, err[512];
	enum mail_send_status ss = MAIL_SEND_PERMFAIL;
	int ok;

	/* A limit of owner-control.md 12 stopped this reply: nothing is
	 * sent in its place (owner_mail_allow logged it). */
	if (r->silent) {
		reason(out, "no reply: owner-control limit");
		return out->status = PIPELINE_DONE;
	}
	if ((ok = reply_rate_ok(c, db, to, out, &qt)) <= 0)
		return out->status = ok == 0 ? PIPELINE_DONE : out->status;
	/* CONFIRM's reply names the command, never the token (C5). */
	subject = xasprintf("Your command, %s%s", r->subject_as ? r->subject_as :
	    m->subject && *m->subject ? m->subject : "(none)", r->suffix);
	/* HELP <lang> brings its own intro in that language; owner control
	 * its own text about the mail. */
	intro = r->intro ? xstrdup(r->intro) : cmd_intro(ctx);
	memset(&rep, 0, sizeof(rep));
	rep.from = c->address;
	rep.from_name = c->address_name ? c->address_name : "OpenPGP keyserver robot";
	rep.to = to;
	rep.subject = subject;
	rep.in_reply_to = m->message_id;
	rep.intro = intro;
	rep.body = r->body.len ? (const char *)r->body.data : NULL;
	rep.body_len = r->body.len;
	rep.body_type = r->body_type;
	rep.body_charset = r->body_charset;
	rep.msgid_domain = cmd_msgid_domain(c->address);
	out->status = PIPELINE_DONE;
	buf_init(&mail, c->max_reply_size + 64 * 1024);
	if (mail_reply_build(&rep, &mail) < 0) {
		log_warnx("reply to %s too large; not sent", to);
		reason(out, "reply too large; not sent");
	} else {
		ss = mail_send(c->sendmail, mail.data, mail.len, (unsigned)c->sendmail_timeout,
		    err, sizeof(err));
		if (ss == MAIL_SEND_TEMPFAIL) {
			log_warnx("mailer failed temporarily: %s", err);
			reason(out, "mailer failed temporarily: %s", err);
			out->status = PIPELINE_TEMPFAIL;
		} else if (ss == MAIL_SEND_PERMFAIL) {
			log_warnx("mailer refused reply to %s: %s", to, err);
			reason(out, "mailer refused the reply: %s", err);
		} else {
			log_info("replied to %s: %s", to, subject);
			reason(out, "replied");
		}
	}
	/* A reply that did not go out does not use up anybody's quota; a
	 * TEMPFAIL is retried by the MTA and counted again then. */
	if (ss != MAIL_SEND_OK)
		quota_refund(db, &qt);
	quota_free(&qt);
	free(mail.data);
	free(subject);
	free(intro);
	/* Mails that go with this reply (notices, address confirmations):
	 * counted already; a mailer failure is logged, never retried (the
	 * command was carried out). */
	if (out->status == PIPELINE_DONE) {
		size_t i;
		bool sent;

		for (i = 0; i < r->nafter; i++)
			cmd_mail_send(ctx, &r->after[i], &sent);
	}
	return out->status;
}

/* ---- owner control ----------------------------------------------------- */

/*
 * Does handling this command read or write the store? HELP, refused mail
 * and invalid Subjects need it only to count the reply.
 */
static bool
needs_store(const struct conf *c, bool parsed, enum mail_cmd cmd,
    enum owner_cmd_kind ok)
{
	return c->max_replies_per_hour != 0 || (parsed && (ok != OWNER_CMD_NONE ||
	    (cmd != MAIL_CMD_HELP && cmd != MAIL_CMD_INVALID)));
}

/* owner_policy_check on the connection a lookup reads from. */
struct policy_job {
	const struct conf *c;
	bool match;
	char why[300];
};

static enum store_status
run_policy_check(void *arg, struct store *s)
{
	struct policy_job *j = arg;

	return owner_policy_check(j->c, s, &j->match, j->why, sizeof(j->why));
}

static bool
is_lookup(enum mail_cmd cmd)
{
	return cmd == MAIL_CMD_GET || cmd == MAIL_CMD_MGET ||
	    cmd == MAIL_CMD_INDEX || cmd == MAIL_CMD_VERBOSE_INDEX ||
	    cmd == MAIL_CMD_LAST;
}

/*
 * owner-control.md 2: while the database was built for another policy
 * than the configured one, nothing is handled (the MTA keeps the mail).
 * A lookup reads the recorded policy where it reads its keys (the
 * standby of keymail serve, which replicates it), so that with the
 * primary down lookups are still answered when no reply needs counting
 * (server.md 7.2); everything else reads it on the primary. Returns true
 * to go on.
 */
static bool
policy_ok(const struct conf *c, struct pipeline_db *db, bool lookup,
    struct pipeline_outcome *out)
{
	struct policy_job job;
	struct store *s;
	enum store_status st;
	char *why = job.why;
	bool match;

	memset(&job, 0, sizeof(job));
	job.c = c;
	if (lookup) {
		if (!db_lookup(db, run_policy_check, &job, out))
			return false;
		match = job.match;
	} else {
		if ((s = db_rw(db, out)) == NULL)
			return false;
		if ((st = owner_policy_check(c, s, &match, why, sizeof(job.why))) != STORE_OK) {
			store_failed(db, st, out);
			return false;
		}
	}
	if (!match) {
		log_warnx("%s", why);
		reason(out, "policy differs from the database's; mail deferred");
		out->status = PIPELINE_TEMPFAIL;
		return false;
	}
	return true;
}

/* A malformed command: ", failed" and the expected form. */
static bool
malformed_reply(const struct owner_cmd *oc, struct cmd_result *r)
{
	char line[768];

	if (!oc->malformed)
		return false;
	owner_cmd_failure_line(oc, line, sizeof(line));
	r->suffix = ", failed";
	buf_printf(&r->body, "%s\n", line);
	return true;
}

/* An owner-control command (mail/owner_cmd.h) with a reply address. */
static enum store_status
run_owner(struct cmd_ctx *ctx, const struct mail_msg *m,
    const struct owner_cmd *oc, const char *to, struct cmd_result *r)
{
	switch (oc->kind) {
	case OWNER_CMD_CONFIRM:
		return owner_confirm(ctx, m, oc, to, r);
	case OWNER_CMD_SIGNERS:
		if (malformed_reply(oc, r))
			return STORE_OK;
		return cmd_signers(ctx, oc->nargs ? oc->args[0].text : "", r);
	case OWNER_CMD_VERIFY:
	case OWNER_CMD_UNPUBLISH:
		if (!owner_offered(oc->kind, owner_policy(ctx->conf)))
			break;
		if (malformed_reply(oc, r))
			return STORE_OK;
		return oc->kind == OWNER_CMD_VERIFY ? owner_verify_cmd(ctx, oc, to, r) :
		    owner_unpublish_cmd(ctx, oc, to, r);
	case OWNER_CMD_SUBSCRIBE:
	case OWNER_CMD_UNSUBSCRIBE:
		if (malformed_reply(oc, r))
			return STORE_OK;
		return owner_subscribe_cmd(ctx, oc, to, r);
	default:
		if (owner_cmd_is_owner(oc->kind))
			return owner_command(ctx, m, oc, to, r);
		break;
	}
	owner_refuse_policy(r, oc->kind, owner_policy(ctx->conf));
	return STORE_OK;
}

/* ---- reading the message ----------------------------------------------- */

/* The message was too large to parse: read only its header block so we
 * can tell the sender politely. */
static void
parse_headers_only(const char *s, size_t len, const struct mail_limits *lim,
    struct mail_msg *m)
{
	size_t n = len < lim->max_header_size ? len : lim->max_header_size;
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

/*
 * The envelope sender as Postfix pipe(8) with flags=R writes it, in front
 * of the message, with the message's own line end (CRLF if its first line
 * has one). Returns 0 and fills raw (a copy), or -1 if there is nothing to
 * add (no envelope, or a sender no header may carry).
 */
static int
with_return_path(const struct pipeline_input *in, struct buf *raw)
{
	const char *from = in->env ? in->env->mail_from : NULL;
	const uint8_t *nl;
	bool crlf;

	if (from == NULL)
		return -1;
	if (strpbrk(from, "\r\n") != NULL) {
		log_warnx("envelope sender with a line break ignored");
		return -1;
	}
	nl = in->len ? memchr(in->data, '\n', in->len) : NULL;
	crlf = nl != NULL && nl > in->data && nl[-1] == '\r';
	buf_init(raw, 0);
	buf_printf(raw, "Return-Path: <%s>%s", from, crlf ? "\r\n" : "\n");
	buf_append(raw, in->data, in->len);
	return 0;
}

/* ---- reconciliation ---------------------------------------------------- */

struct recon_db {
	const struct conf *c;
	struct pipeline_db *db;
	struct pipeline_outcome *out;
};

/* The store, once the cheap checks passed; NULL (tempfail) also while the
 * database was built for another policy: the set to reconcile is the
 * policy's public copies (reconciliation.md 5.1, owner-control.md 2). */
static struct store *
recon_store(void *arg)
{
	struct recon_db *rd = arg;

	if (!policy_ok(rd->c, rd->db, false, rd->out))
		return NULL;
	return db_rw(rd->db, rd->out);
}

/* A RECON mail (cmd/recon_mail.c): handled or dropped, never answered
 * through the reply path. parse_err: the general limit it broke. */
static void
handle_recon(const struct conf *c, struct pipeline_db *db,
    const struct pipeline_input *in, const struct mail_msg *m,
    const char *parse_err, struct pipeline_outcome *out)
{
	struct recon_db rd = { c, db, out };
	enum cmd_run rr;

	rr = cmd_recon_mail(c, recon_store, &rd, m, in->len, parse_err,
	    cmd_recon_clock());
	if (rr == CMD_RUN_TEMPFAIL && out->status == PIPELINE_DONE)
		out->status = PIPELINE_TEMPFAIL;
	if (out->status == PIPELINE_DONE)
		reason(out, "reconciliation mail handled");
	else if (out->reason[0] == '\0')
		reason(out, "reconciliation: store or mailer failed");
}

/* ---- one message ------------------------------------------------------- */

enum pipeline_status
pipeline_run(const struct conf *c, struct pipeline_db *db,
    const struct pipeline_input *in, struct pipeline_outcome *out)
{
	struct mail_limits lim = mail_limits_from(c);
	struct mail_msg m;
	struct mail_command cmd;
	struct owner_cmd oc;
	struct cmd_ctx ctx;
	struct cmd_result r;
	struct store *store;
	struct buf copy;
	const char *raw = (const char *)in->data, *to, *why;
	char err[512] = "";
	enum mail_status ms;
	enum store_status st = STORE_OK;
	size_t len = in->len;
	bool copied;

	memset(out, 0, sizeof(*out));
	out->status = PIPELINE_DONE;
	out->command = "none";
	/* A connection lost since the last message: start a new one. */
	if (db->rw != NULL && !store_connected(db->rw)) {
		store_close(db->rw);
		db->rw = NULL;
	}

	copied = with_return_path(in, &copy) == 0;
	if (copied) {
		/* What the caller accepted within max_message_size is not
		 * refused for the line we added. */
		lim.max_message_size += copy.len - len;
		raw = (const char *)copy.data;
		len = copy.len;
	}
	memset(&m, 0, sizeof(m));
	if (in->truncated) {
		parse_headers_only(raw, len, &lim, &m);
		ms = MAIL_ERR_SIZE;
		snprintf(err, sizeof(err), "it is larger than %zu bytes (limit "
		    "max_message_size)", c->max_message_size);
	} else
		ms = mail_parse(raw, len, &lim, &m, err, sizeof(err));
	if (copied)
		buf_free(&copy);
	/* A Subject over the limit was cut: do not run what is left of it. */
	if (ms == MAIL_OK && m.subject_too_long) {
		ms = MAIL_ERR_HEADERS;
		snprintf(err, sizeof(err), "its Subject is longer than %zu bytes "
		    "(limit max_subject)", c->max_subject);
	}

	mail_command_parse(m.subject, &cmd);
	/* The owner-control keywords are not pks commands (owner-control.md
	 * 4.1); their grammar is its own. */
	memset(&oc, 0, sizeof(oc));
	if (cmd.cmd == MAIL_CMD_INVALID)
		(void)owner_cmd_parse(m.subject, &oc);
	cmd_result_init(&r);
	/* Reconciliation control mail (reconciliation.md 4.2): never the
	 * reply path, whatever its headers say; over a general limit it is
	 * dropped like any RECON mail that fails a check. */
	if (cmd.cmd == MAIL_CMD_RECON) {
		out->command = mail_cmd_name(cmd.cmd);
		handle_recon(c, db, in, &m, ms != MAIL_OK ? err : NULL, out);
		goto done;
	}
	to = reply_address(&m, c, &why);
	if (ms == MAIL_OK)
		out->command = oc.kind != OWNER_CMD_NONE ?
		    owner_cmd_name(oc.kind) : mail_cmd_name(cmd.cmd);
	if (needs_store(c, ms == MAIL_OK, cmd.cmd, oc.kind) && !policy_ok(c, db,
	    ms == MAIL_OK && oc.kind == OWNER_CMD_NONE && is_lookup(cmd.cmd), out))
		goto done;

	if (ms != MAIL_OK) {
		log_warnx("message refused: %s", err);
		reason(out, "message refused: %s", err);
		if (cmd.cmd != MAIL_CMD_INCREMENTAL && to != NULL) {
			r.suffix = ", failed";
			/* err names the limit (mail_parse's fragments and ours). */
			buf_printf(&r.body, "Your message was not processed, because "
			    "%s.\nNothing in it was carried out; please send the "
			    "request again within the limit.\n", err);
			cmd_ctx_init(&ctx, c, NULL);
			/* The refusal is the news, not that it was answered. */
			if (send_reply(c, db, &ctx, &m, to, &r, out) == PIPELINE_DONE)
				reason(out, "message refused: %s", err);
		}
		goto done;
	}
	if (oc.kind != OWNER_CMD_NONE) {
		/* Without a reply address nothing is carried out either: no
		 * challenge could reach anyone, no CONFIRM may act unanswered
		 * (an auto-reply never confirms, 6.1). */
		if (to == NULL) {
			log_info("no reply (%s) to %s from %s; nothing done", why,
			    out->command, m.from ? m.from : "(unknown)");
			reason(out, "no reply: %s", why);
			goto done;
		}
		if ((store = db_rw(db, out)) == NULL)
			goto done;
		cmd_ctx_init(&ctx, c, store);
		st = run_owner(&ctx, &m, &oc, to, &r);
		if (st != STORE_OK) {
			store_failed(db, st, out);
			goto done;
		}
		send_reply(c, db, &ctx, &m, to, &r, out);
		goto done;
	}
	if (cmd.cmd == MAIL_CMD_INCREMENTAL || cmd.cmd == MAIL_CMD_ADD) {
		if ((store = db_rw(db, out)) == NULL)
			goto done;
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
		/* Verified mode mails a verification to the sender of an
		 * ADD (owner-control.md 8.2); an INCREMENTAL never mails. */
		if (cmd.cmd == MAIL_CMD_ADD)
			ctx.reply_to = to;
		st = cmd_add(&ctx, m.parts, m.nparts, &r);
		if (st != STORE_OK) {
			store_failed(db, st, out);
			goto done;
		}
		log_info("%s from %s: %u key(s) stored", mail_cmd_name(cmd.cmd),
		    m.from ? m.from : "(unknown)", r.keys_stored);
		reason(out, "%u key(s) stored", r.keys_stored);
		/* A peer's incremental is never answered (spec 4.2). */
		if (cmd.cmd == MAIL_CMD_INCREMENTAL)
			goto done;
	}
	if (to == NULL) {
		log_info("no reply (%s) to %s command from %s", why, mail_cmd_name(cmd.cmd),
		    m.from ? m.from : "(unknown)");
		reason(out, "no reply: %s", why);
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
	{
		struct lookup_job job = { c, &cmd, &ctx, &r };

		/* Verified mode refuses MGET and LAST (owner-control.md 2). */
		if ((cmd.cmd == MAIL_CMD_MGET || cmd.cmd == MAIL_CMD_LAST) &&
		    c->policy == CONF_POLICY_VERIFIED) {
			cmd_ctx_init(&ctx, c, NULL);
			r.suffix = ", failed";
			buf_printf(&r.body, "%s is not offered by this server (policy "
			    "verified).\n", mail_cmd_name(cmd.cmd));
			break;
		}
		if (!db_lookup(db, run_lookup, &job, out))
			goto done;
		break;
	}
	case MAIL_CMD_HELP:
		cmd_ctx_init(&ctx, c, NULL);
		cmd_help(&ctx, cmd.arg, &r);
		break;
	case MAIL_CMD_INVALID:
	default:
		/*
		 * Every spam to the robot is an unknown command from a forged
		 * sender: a few lines at most (never the help text, which pks
		 * sent; README "Choices"), and none at all when the operator
		 * says so or our MTA found the sender forged.
		 */
		if ((why = unknown_silenced(c, &m)) != NULL) {
			log_info("no reply (%s) to unknown command from %s", why,
			    m.from ? m.from : "(unknown)");
			reason(out, "no reply: %s", why);
			goto done;
		}
		cmd_ctx_init(&ctx, c, NULL);
		cmd_unknown(&ctx, &r);
		break;
	}
	if (st != STORE_OK) {
		store_failed(db, st, out);
		goto done;
	}
	send_reply(c, db, &ctx, &m, to, &r, out);
done:
	cmd_result_free(&r);
	mail_command_free(&cmd);
	mail_msg_free(&m);
	return out->status;
}
