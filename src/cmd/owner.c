/*
 * cmd/owner.c - an owner command from its mail (owner-control.md 4.2, 5,
 * 6.1): SHOW, HIDE, REPLACE, NOTIFY, HELD, ACCEPT, REJECT.
 *
 * DESCRIPTION
 *	Order of work, cheapest first: the policy offers the command; the
 *	Subject's arguments are well formed; the control block's form and
 *	its agreement with the Subject (owner_control_parse, no database);
 *	for REPLACE the submitted key is read and merged into the union
 *	(4.2: one mail submits and claims); the key is looked up. Then
 *	either
 *	 - signed: the block's signature and time against the stored key
 *	   (owner_control_verify), its nonce is new (5.3), its time is not
 *	   older than the last command of its class (5.4), and the command
 *	   is carried out (exec.c) - all in one owner transaction; or
 *	 - unsigned: HELD is answered at once (held.c); any other command
 *	   becomes a pending request whose token goes, encrypted to the key,
 *	   into the reply (the challenge, 6.2), under the limits of 12.
 *	A block that fails a check gets ", failed" and nothing is left
 *	pending (no challenge either).
 *
 * SECURITY
 *	The mail is untrusted. Replies name the reason of a refusal in one
 *	line of our own text; nothing from the Subject or body is echoed but
 *	canonical fingerprints, issuers and addresses (mail/owner_cmd.c).
 *	Replies never depend on hidden state: a stored key that can receive
 *	encryption always gets a challenge, whatever its state (4.2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/owner.h"
#include "cmd/owner_control.h"
#include "pgp/encrypt.h"
#include "pgp/token.h"
#include "util/log.h"
#include "util/xalloc.h"

enum store_class
owner_class(enum owner_cmd_kind k)
{
	switch (k) {
	case OWNER_CMD_SHOW:
	case OWNER_CMD_HIDE:
		return STORE_CLASS_VISIBILITY;
	case OWNER_CMD_NOTIFY:
		return STORE_CLASS_SETTINGS;
	case OWNER_CMD_HELD:
		return STORE_CLASS_FETCH;
	default:
		return STORE_CLASS_CONTENT;
	}
}

char *
owner_cmd_line(const struct owner_cmd *oc)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_printf(&b, "%s %s", owner_cmd_name(oc->kind), oc->fpr);
	for (i = 0; i < oc->nargs; i++)
		buf_printf(&b, " %s", oc->args[i].text);
	return (char *)buf_detach(&b, NULL);
}

size_t
owner_fpr_octets(const char *hex, uint8_t out[32])
{
	size_t n = strlen(hex), i;

	if (n != 40 && n != 64)
		return 0;
	for (i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return n / 2;
}

/* ---- the submitted key of a REPLACE ---------------------------------------- */

struct find_key {
	const struct cmd_ctx *ctx;
	const uint8_t *fpr;
	size_t fprlen;
	struct pgp_key *found;		/* the checked key */
	char why[640];			/* why the key was refused, if it was */
	bool other;			/* some other key was in the mail */
};

static int
on_replace_key(void *arg, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	struct find_key *f = arg;
	const uint8_t *kf = key ? key->pub.fpr : fpr;
	size_t kl = key ? key->pub.fprlen : fprlen;

	if (f->found != NULL || kl != f->fprlen || memcmp(kf, f->fpr, kl) != 0) {
		f->other = f->other || kl != 0;
		pgp_key_free(key);
		return 0;
	}
	if (cmd_key_accept(f->ctx, key, st, detail, f->why, sizeof(f->why)) != PGP_OK) {
		pgp_key_free(key);
		return 0;
	}
	f->found = key;
	return 1;
}

static int
on_replace_armor(void *arg, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	struct find_key *f = arg;

	(void)crc_ok;
	if (kind != PGP_ARMOR_PUBLIC_KEY || st != PGP_OK || f->found != NULL)
		return f->found != NULL;
	(void)pgp_keys_read(data, len, &f->ctx->lim, on_replace_key, f);
	return f->found != NULL;
}

/* The key with fingerprint fpr from text (the block's key, or a mail
 * part), checked; NULL with why set. */
static struct pgp_key *
replace_key_from(const struct cmd_ctx *ctx, const char *text, size_t len,
    const uint8_t *fpr, size_t fprlen, struct find_key *f)
{
	f->ctx = ctx;
	f->fpr = fpr;
	f->fprlen = fprlen;
	(void)pgp_armor_scan(text, len, ctx->conf->max_key_size * 2,
	    on_replace_armor, f);
	return f->found;
}

static struct pgp_key *
replace_key(const struct cmd_ctx *ctx, const struct mail_msg *m,
    const struct control_block *blk, bool is_signed, const uint8_t *fpr,
    size_t fprlen, char *why, size_t whylen, const char *hex)
{
	struct find_key f;
	size_t i;

	memset(&f, 0, sizeof(f));
	if (is_signed)
		(void)replace_key_from(ctx, blk->key_armor, blk->key_armor_len,
		    fpr, fprlen, &f);
	else
		for (i = 0; i < m->nparts && f.found == NULL; i++)
			(void)replace_key_from(ctx, (const char *)m->parts[i].data,
			    m->parts[i].len, fpr, fprlen, &f);
	if (f.found == NULL) {
		if (*f.why)
			snprintf(why, whylen, "The key %s in your mail was refused: "
			    "%s\n", hex, f.why);
		else
			snprintf(why, whylen, "REPLACE needs the new key %s as an "
			    "ASCII-armored public key block %s.\n", hex, is_signed ?
			    "inside the control block" : "in the body of the mail");
	}
	return f.found;
}

/* ---- the challenge ------------------------------------------------------- */

static const char challenge_text[] =
    "This mail asks you to confirm a command for your key. Nothing\n"
    "happens unless you act on it.\n"
    "\n"
    "The second part of this mail is encrypted to your key, so that only\n"
    "its owner can read it. Save it to a file and decrypt it with\n"
    "\"gpg --decrypt FILE\". It says what was asked and by whom. To have it\n"
    "carried out, send a new mail (not a reply) to this keyserver with the\n"
    "Subject it gives. If you did not ask for this, ignore this mail.\n";

/* Make the challenge of an unsigned owner command (6.1, 6.2) as the reply
 * r; the owner transaction is over. */
static enum store_status
challenge(struct cmd_ctx *ctx, const struct owner_cmd *oc,
    const struct pgp_key *unionk, const struct pgp_key *submitted,
    const char *to, struct cmd_result *r)
{
	struct store_pending p;
	struct owner_token_fields tf;
	struct buf text, armor, body;
	struct pgp_enc_opts eo;
	enum store_status st = STORE_OK;
	enum pgp_enc_status es;
	const char *fprs[1] = { oc->fpr };
	char tok[33], logid[9];
	uint8_t hash[32];
	int ok;

	ok = owner_mail_allow(ctx, OWNER_MAIL_CHALLENGE, to, unionk->pub.fpr,
	    unionk->pub.fprlen, &st);
	if (ok < 0)
		return st;
	if (ok == 0) {
		r->silent = true;
		return STORE_OK;
	}
	owner_token_new(tok, hash);
	memset(&p, 0, sizeof(p));
	snprintf(p.kind, sizeof(p.kind), "challenge");
	memcpy(p.fpr, unionk->pub.fpr, unionk->pub.fprlen);
	p.fprlen = unionk->pub.fprlen;
	p.cls = (int)owner_class(oc->kind);
	p.command = owner_cmd_line(oc);
	p.requested_by = xstrdup(to);
	p.created = ctx->now;
	p.expires = ctx->now + (time_t)ctx->conf->challenge_ttl;
	buf_init(&body, 0);
	if (submitted != NULL) {
		(void)pgp_key_write(submitted, &body);
		p.body = body.data;
		p.bodylen = body.len;
	}
	memset(&tf, 0, sizeof(tf));
	tf.command = owner_cmd_name(oc->kind);
	tf.fprs = fprs;
	tf.nfprs = 1;
	tf.args = oc->args;
	tf.nargs = oc->nargs;
	tf.requested_by = to;
	tf.expires = p.expires;
	tf.token = tok;
	buf_init(&text, 0);
	owner_token_block(ctx, &tf, &text);
	buf_init(&armor, ctx->conf->max_reply_size);
	memset(&eo, 0, sizeof(eo));
	eo.armor = true;
	es = pgp_encrypt_to_key(unionk, ctx->now, text.data, text.len, &eo,
	    &armor, NULL);
	if (es == PGP_ENC_OK)
		st = store_pending_add(ctx->store, &p, hash);
	if (es != PGP_ENC_OK) {
		r->suffix = ", failed";
		buf_printf(&r->body, "The challenge could not be encrypted to key "
		    "%s (%s); send the command signed.\n", oc->fpr,
		    pgp_enc_strerror(es));
	} else if (st == STORE_OK) {
		pgp_token_log_id(hash, logid);
		log_info("challenge %s for %s of key %s to %s", logid,
		    owner_cmd_name(oc->kind), oc->fpr, to);
		r->suffix = ", needs confirmation";
		r->intro = owner_intro(ctx, challenge_text);
		r->body_charset = "us-ascii";
		buf_append(&r->body, armor.data, armor.len);
	}
	explicit_bzero(tok, sizeof(tok));
	explicit_bzero(text.data, text.len);
	buf_free(&text);
	buf_free(&armor);
	buf_free(&body);
	free(p.command);
	free(p.requested_by);
	return st;
}

/* ---- one owner command ----------------------------------------------------- */

static void
failed(struct cmd_result *r, const char *line)
{
	r->suffix = ", failed";
	buf_printf(&r->body, "%s\n", line);
}

static struct control_limits
control_limits_of(const struct conf *c)
{
	struct control_limits l;

	l.max_control_size = c->max_control_size;
	l.control_max_age = (uint32_t)c->control_max_age;
	l.control_max_skew = (uint32_t)c->control_max_skew;
	return l;
}

/* The signed path, in the owner transaction of o; commits or rolls back. */
static enum store_status
run_signed(struct cmd_ctx *ctx, const struct mail_msg *m,
    const struct owner_cmd *oc, struct control_block *blk,
    struct store_owner *o, const struct pgp_key *unionk,
    const struct pgp_key *submitted, const char *to, struct cmd_result *r)
{
	const struct conf *c = ctx->conf;
	struct control_limits lim = control_limits_of(c);
	struct owner_exec ex;
	enum store_status st;
	enum store_class cls = owner_class(oc->kind);
	uint8_t msgid[64], *mid = NULL;
	bool fresh, same, done = false;

	if (owner_control_verify(blk, unionk, ctx->now, &lim) != CONTROL_OK) {
		store_owner_rollback(ctx->store);
		failed(r, blk->reason);
		return STORE_OK;
	}
	if (m->message_id != NULL && pgp_hash_buf(PGP_HASH_SHA256, m->message_id,
	    strlen(m->message_id), msgid) == 32)
		mid = msgid;
	st = store_nonce_use(ctx->store, unionk->pub.fpr, unionk->pub.fprlen,
	    blk->nonce, mid, ctx->now + (time_t)c->control_max_age +
	    (time_t)c->control_max_skew, &fresh, &same);
	if (st != STORE_OK) {
		store_owner_rollback(ctx->store);
		return st;
	}
	if (!fresh) {
		store_owner_rollback(ctx->store);
		/* The MTA delivering the same mail again (our reply failed
		 * the first time): the command stands, nothing is redone. */
		if (same)
			buf_printf(&r->body, "This command was carried out when "
			    "this mail was first delivered.\n");
		else
			failed(r, "refused: replayed");
		return STORE_OK;
	}
	if (o->last[cls] >= 0 && (int64_t)blk->created < o->last[cls]) {
		store_owner_rollback(ctx->store);
		failed(r, "refused: superseded by a command signed later");
		return STORE_OK;
	}
	if (oc->kind == OWNER_CMD_HELD)
		st = owner_held_reply(ctx, o, unionk, true, (time_t)blk->created,
		    to, r, &done);
	else {
		memset(&ex, 0, sizeof(ex));
		ex.t = (time_t)blk->created;
		ex.by = to;
		ex.submitted = submitted;
		st = owner_execute(ctx, o, unionk, oc, &ex, to, r, &done);
	}
	if (st == STORE_OK && done)
		return store_owner_commit(ctx->store);
	store_owner_rollback(ctx->store);
	return st;
}

enum store_status
owner_command(struct cmd_ctx *ctx, const struct mail_msg *m,
    const struct owner_cmd *oc, const char *to, struct cmd_result *r)
{
	const struct conf *c = ctx->conf;
	enum store_policy pol = owner_policy(c);
	struct control_limits lim = control_limits_of(c);
	struct control_block blk;
	struct store_owner o;
	struct pgp_key *unionk = NULL, *submitted = NULL;
	struct pgp_merge_counts counts;
	enum control_status cs;
	enum store_status st = STORE_OK;
	uint8_t fpr[32];
	size_t fprlen;
	char line[768];
	bool done = false;

	if (oc->malformed) {
		owner_cmd_failure_line(oc, line, sizeof(line));
		failed(r, line);
		return STORE_OK;
	}
	if (!owner_offered(oc->kind, pol)) {
		owner_refuse_policy(r, oc->kind, pol);
		return STORE_OK;
	}
	cs = owner_control_parse(m->parts, m->nparts, oc, c->address, &lim, &blk);
	if (cs == CONTROL_REFUSED) {
		failed(r, blk.reason);
		goto out;
	}
	fprlen = owner_fpr_octets(oc->fpr, fpr);
	if (oc->kind == OWNER_CMD_REPLACE) {
		submitted = replace_key(ctx, m, &blk, cs == CONTROL_OK, fpr, fprlen,
		    line, sizeof(line), oc->fpr);
		if (submitted == NULL) {
			r->suffix = ", failed";
			buf_puts(&r->body, line);
			goto out;
		}
		/* The union takes the key as an ADD would (append-only);
		 * the published copy changes only when the command is
		 * carried out. */
		st = store_merge_key(ctx->store, submitted, &ctx->lim, &counts);
		if (st == STORE_LIMIT) {
			cmd_limit_reason(ctx, line, sizeof(line));
			r->suffix = ", failed";
			buf_printf(&r->body, "The key %s was refused: %s.\n", oc->fpr,
			    line);
			st = STORE_OK;
			goto out;
		}
		if (st != STORE_OK)
			goto out;
	}
	st = store_owner_begin(ctx->store, fpr, fprlen, &o);
	if (st == STORE_NOTFOUND) {
		failed(r, "No key with this fingerprint is stored here.");
		st = STORE_OK;
		goto out;
	}
	if (st != STORE_OK)
		goto out;
	if ((unionk = owner_key_load(ctx, o.data, o.len)) == NULL) {
		store_owner_rollback(ctx->store);
		st = STORE_ERROR;
		goto out_owner;
	}
	if (cs == CONTROL_OK) {
		st = run_signed(ctx, m, oc, &blk, &o, unionk, submitted, to, r);
		goto out_owner;
	}
	if (oc->kind == OWNER_CMD_HELD) {
		st = owner_held_reply(ctx, &o, unionk, false, ctx->now, to, r, &done);
		if (st == STORE_OK && done)
			st = store_owner_commit(ctx->store);
		else
			store_owner_rollback(ctx->store);
		goto out_owner;
	}
	/* Nothing changes until CONFIRM: the owner transaction ends here. */
	store_owner_rollback(ctx->store);
	{
		struct pgp_enc_recipient rec[PGP_ENC_MAX_RECIPIENTS];
		size_t n = 0;
		unsigned nbad = 0;

		if (pgp_enc_select(unionk, ctx->now, rec, &n, &nbad) != PGP_ENC_OK) {
			failed(r, "This key cannot receive encrypted mail; send the "
			    "command signed (see HELP).");
			goto out_owner;
		}
	}
	st = challenge(ctx, oc, unionk, submitted, to, r);
out_owner:
	store_owner_free(&o);
out:
	pgp_key_free(unionk);
	pgp_key_free(submitted);
	control_block_free(&blk);
	return st;
}
