/*
 * cmd/mailout.c - the mails of owner control that are not plain replies
 * (owner-control.md 4.3, 6.2, 12, 13): the limits of the mail log, the
 * token block, and sending notices, address confirmations and digests.
 *
 * Every limit of 12 is a row of the table in owner_mail_allow: which
 * kinds it counts, per recipient, per key or for the whole server, over
 * which rolling window, and its keymail.conf key. A mail is counted (and
 * recorded) before it is built; over a limit nothing is sent in its
 * place and the drop is logged.
 *
 * Untrusted input: recipients are checked addr-specs from mail; every
 * other text in these mails is keymail's own (fingerprints we print,
 * fixed sentences). A token appears only inside the token block (C5),
 * never in a Subject or a log line (logs show its hash's first 8 digits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/owner.h"
#include "pgp/token.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Kinds counted together (12). */
static const char *const token_kinds[] = {
	OWNER_MAIL_CHALLENGE, OWNER_MAIL_HELD, "verify", "unpublish",
	OWNER_MAIL_NOTIFY, "subscribe", "unsubscribe", NULL
};
static const char *const address_kinds[] = {
	"verify", "unpublish", OWNER_MAIL_NOTIFY, "subscribe", "unsubscribe", NULL
};
static const char *const notification_kinds[] = {
	OWNER_MAIL_NOTICE, OWNER_MAIL_DIGEST, "update", "reminder", NULL
};

static bool
in_kinds(const char *const *kinds, const char *k)
{
	size_t i;

	for (i = 0; kinds[i] != NULL; i++)
		if (!strcmp(kinds[i], k))
			return true;
	return false;
}

/* One kind alone, for the per-key limits. */
struct one_kind {
	const char *v[2];
};

int
owner_mail_allow(struct cmd_ctx *ctx, const char *kind, const char *recipient,
    const uint8_t *fpr, size_t fprlen, enum store_status *st)
{
	const struct conf *c = ctx->conf;
	struct store_mail_limit l[8];
	struct one_kind one = { { kind, NULL } };
	size_t n = 0;
	int over;
	char hex[65] = "";

#define LIMIT(nm, sc, kinds_, win, mx) do {				\
		l[n].name = (nm); l[n].scope = (sc); l[n].kinds = (kinds_);	\
		l[n].window = (win); l[n].max = (mx); n++;		\
	} while (0)
	if (in_kinds(token_kinds, kind))
		LIMIT("max_token_mails_per_day", STORE_MAIL_BY_RECIPIENT,
		    token_kinds, 86400, c->max_token_mails_per_day);
	if (in_kinds(address_kinds, kind)) {
		LIMIT("max_address_mails_per_hour", STORE_MAIL_BY_RECIPIENT,
		    address_kinds, 3600, c->max_address_mails_per_hour);
		LIMIT("max_address_mails_total_per_hour", STORE_MAIL_ALL,
		    address_kinds, 3600, c->max_address_mails_total_per_hour);
	}
	if (in_kinds(notification_kinds, kind))
		LIMIT("max_notify_mails_per_day", STORE_MAIL_BY_RECIPIENT,
		    notification_kinds, 86400, c->max_notify_mails_per_day);
	if (!strcmp(kind, OWNER_MAIL_CHALLENGE))
		LIMIT("max_challenges_per_key_per_day", STORE_MAIL_BY_KEY,
		    one.v, 86400, c->max_challenges_per_key_per_day);
	if (!strcmp(kind, OWNER_MAIL_HELD))
		LIMIT("max_held_per_key_per_hour", STORE_MAIL_BY_KEY, one.v,
		    3600, c->max_held_per_key_per_hour);
	if (!strcmp(kind, "verify"))
		LIMIT("max_verify_per_key_per_day", STORE_MAIL_BY_KEY, one.v,
		    86400, c->max_verify_per_key_per_day);
	if (!strcmp(kind, OWNER_MAIL_DIGEST))
		LIMIT("max_digests_per_key_per_day", STORE_MAIL_BY_KEY, one.v,
		    86400, c->max_digests_per_key_per_day);
#undef LIMIT
	*st = store_mail_take(ctx->store, recipient, kind, fpr, fprlen,
	    ctx->now, l, n, &over);
	if (*st != STORE_OK)
		return -1;
	if (over < 0)
		return 1;
	if (fprlen)
		pgp_hex(fpr, fprlen, hex);
	log_warnx("%s mail to %s%s%s dropped: limit %s (%zu) reached", kind,
	    recipient, *hex ? " about key " : "", hex, l[over].name, l[over].max);
	return 0;
}

char *
owner_intro(const struct cmd_ctx *ctx, const char *text)
{
	char *intro = cmd_intro(ctx), *all;

	all = xasprintf("%s\n%s", intro, text);
	free(intro);
	return all;
}

void
owner_token_new(char tok[33], uint8_t hash[32])
{
	pgp_token_new(tok);
	pgp_token_hash(tok, hash);
}

void
owner_token_block(const struct cmd_ctx *ctx, const struct owner_token_fields *f,
    struct buf *out)
{
	const char *addr = ctx->conf->address;
	struct tm tm;
	char when[32];
	size_t i;

	gmtime_r(&f->expires, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(out, "keyserver: %s\ncommand: %s\n", addr, f->command);
	for (i = 0; i < f->nfprs; i++)
		buf_printf(out, "fingerprint: %s\n", f->fprs[i]);
	for (i = 0; i < f->nargs; i++)
		buf_printf(out, "argument: %s\n", f->args[i].text);
	if (f->address != NULL)
		buf_printf(out, "address: %s\n", f->address);
	if (f->requested_by != NULL)
		buf_printf(out, "requested-by: %s\n", f->requested_by);
	buf_printf(out, "expires: %s\ntoken: %s\n\n", when, f->token);
	buf_printf(out, "To carry this out, send a mail to %s\n"
	    "with the Subject: CONFIRM %s\n"
	    "If you did not ask for this, ignore this mail: nothing will happen.\n",
	    addr, f->token);
}

void
cmd_mail_send(const struct cmd_ctx *ctx, const struct cmd_mail *m, bool *sent)
{
	const struct conf *c = ctx->conf;
	struct mail_reply rep;
	struct buf mail;
	char *intro, err[512];
	enum mail_send_status ss;

	*sent = false;
	intro = owner_intro(ctx, m->text ? m->text : "");
	memset(&rep, 0, sizeof(rep));
	rep.from = c->address;
	rep.from_name = "OpenPGP keyserver robot";
	rep.to = m->to;
	rep.subject = m->subject;
	rep.intro = intro;
	rep.body = m->part2;
	rep.body_len = m->part2 ? strlen(m->part2) : 0;
	rep.body_type = m->part2_type ? m->part2_type : "text/plain";
	rep.body_charset = m->part2_charset;
	rep.msgid_domain = cmd_msgid_domain(c->address);
	rep.generated = true;
	buf_init(&mail, c->max_reply_size + 64 * 1024);
	if (mail_reply_build(&rep, &mail) < 0)
		log_warnx("%s mail to %s too large; not sent", m->kind, m->to);
	else {
		ss = mail_send(c->sendmail, mail.data, mail.len,
		    (unsigned)c->sendmail_timeout, err, sizeof(err));
		if (ss == MAIL_SEND_OK) {
			log_info("sent %s mail to %s: %s", m->kind, m->to, m->subject);
			*sent = true;
		} else
			log_warnx("%s mail to %s not sent (%s): %s", m->kind, m->to,
			    ss == MAIL_SEND_TEMPFAIL ? "temporary" : "refused", err);
	}
	buf_free(&mail);
	free(intro);
}

enum store_status
owner_address_token(struct cmd_ctx *ctx, const char *kind, const uint8_t *fpr,
    size_t fprlen, const char *command, const char *by,
    struct owner_token_fields *tf, struct buf *block)
{
	struct store_pending p;
	enum store_status st;
	uint8_t hash[32];
	char tok[33];

	owner_token_new(tok, hash);
	memset(&p, 0, sizeof(p));
	snprintf(p.kind, sizeof(p.kind), "%s", kind);
	if (fprlen)
		memcpy(p.fpr, fpr, fprlen);
	p.fprlen = fprlen;
	p.cls = -1;
	p.address = xstrdup(tf->address);
	p.command = xstrdup(command);
	p.requested_by = xstrdup(by);
	p.created = ctx->now;
	p.expires = ctx->now + (time_t)ctx->conf->address_token_ttl;
	st = store_pending_add(ctx->store, &p, hash);
	if (st == STORE_OK) {
		tf->expires = p.expires;
		tf->token = tok;
		owner_token_block(ctx, tf, block);
		tf->token = NULL;
	}
	explicit_bzero(tok, sizeof(tok));
	store_pending_free(&p);
	return st;
}

void
owner_mail_after(struct cmd_result *r, const char *to, char *subject,
    char *text, char *part2, const char *kind, const uint8_t *fpr,
    size_t fprlen)
{
	struct cmd_mail *mm;

	r->after = xreallocarray(r->after, r->nafter + 1, sizeof(*r->after));
	mm = &r->after[r->nafter++];
	memset(mm, 0, sizeof(*mm));
	mm->to = xstrdup(to);
	mm->subject = subject;
	mm->text = text;
	mm->part2 = part2;
	mm->part2_type = "text/plain";
	mm->part2_charset = "us-ascii";
	mm->kind = kind;
	if (fprlen)
		memcpy(mm->fpr, fpr, fprlen);
	mm->fprlen = fprlen;
}
