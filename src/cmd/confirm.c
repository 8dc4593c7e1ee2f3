/*
 * cmd/confirm.c - CONFIRM <token> (owner-control.md 6.1, 9).
 *
 * DESCRIPTION
 *	The token is hashed and looked up; an unknown, used, expired or
 *	superseded one gets the same failure line (the reply does not say
 *	which) and counts as a failed CONFIRM of the sender: after
 *	max_bad_tokens_per_hour of them in 60 minutes, its CONFIRMs are
 *	ignored (no action, no reply). A challenge's request is carried out
 *	in the key's owner transaction that also marks the token used, as
 *	if it had arrived signed at that moment (5.4: its time is now). A
 *	notify token makes its address the key's confirmed notify address.
 *	The reply's Subject is "Your command, CONFIRM" (never the token).
 *	Mails with auto-reply markers never get here: the pipeline answers
 *	them with nothing, and CONFIRM does nothing without an answer.
 *
 * SECURITY
 *	The token is a secret: only its SHA-256 is looked up, logs show the
 *	hash's first 8 hex digits. The stored request was written by us.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/owner.h"
#include "pgp/token.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char bad_line[] =
    "This confirmation is not valid: its token is unknown, was used\n"
    "already, has expired, or was replaced by a newer request.\n";

static enum store_status
bad_token(struct cmd_ctx *ctx, const char *to, struct cmd_result *r)
{
	r->suffix = ", failed";
	buf_puts(&r->body, bad_line);
	return store_mail_record(ctx->store, to, OWNER_MAIL_BAD_TOKEN, NULL, 0,
	    ctx->now);
}

/* The key's submitted copy of a pending REPLACE (checked). */
static struct pgp_key *
pending_key(const struct cmd_ctx *ctx, const struct store_pending *p)
{
	struct pgp_key *k;
	enum pgp_status st;

	if (p->body == NULL)
		return NULL;
	if ((k = pgp_key_parse_one(p->body, p->bodylen, &ctx->lim, &st)) == NULL)
		return NULL;
	if (pgp_key_check(k, ctx->now, NULL, 0) != PGP_OK) {
		pgp_key_free(k);
		return NULL;
	}
	return k;
}

/*
 * Open the owner transaction of the request's key and take the token in
 * it, so that it is spent with what it carries out (used once). *ok is
 * false when the request was not usable (answered by bad_token; nothing
 * is left open).
 */
static enum store_status
begin_take(struct cmd_ctx *ctx, const struct store_pending *p,
    const uint8_t hash[32], const char *to, struct cmd_result *r,
    struct store_owner *o, struct store_pending *taken, bool *ok)
{
	enum store_status st;

	*ok = false;
	st = store_owner_begin(ctx->store, p->fpr, p->fprlen, o);
	if (st == STORE_NOTFOUND)
		return bad_token(ctx, to, r);
	if (st != STORE_OK)
		return st;
	st = store_pending_take(ctx->store, hash, ctx->now, taken);
	if (st == STORE_OK) {
		*ok = true;
		return STORE_OK;
	}
	store_owner_rollback(ctx->store);
	store_owner_free(o);
	store_pending_free(taken);
	return st == STORE_NOTFOUND ? bad_token(ctx, to, r) : st;
}

static enum store_status
confirm_challenge(struct cmd_ctx *ctx, const struct store_pending *p,
    const uint8_t hash[32], const char *to, struct cmd_result *r)
{
	struct owner_cmd oc;
	struct owner_exec ex;
	struct store_owner o;
	struct store_pending taken;
	struct pgp_key *unionk = NULL, *submitted = NULL;
	enum store_status st;
	bool done = false, ok;

	if (owner_cmd_parse(p->command, &oc) == OWNER_CMD_NONE || oc.malformed)
		return bad_token(ctx, to, r);
	st = begin_take(ctx, p, hash, to, r, &o, &taken, &ok);
	if (st != STORE_OK || !ok)
		return st;
	if ((unionk = owner_key_load(ctx, o.data, o.len)) == NULL) {
		st = STORE_ERROR;
		goto fail;
	}
	submitted = pending_key(ctx, &taken);
	buf_printf(&r->body, "The request \"%s\" (asked for by %s) was "
	    "confirmed.\n", taken.command, taken.requested_by);
	memset(&ex, 0, sizeof(ex));
	ex.t = ctx->now;
	ex.by = taken.requested_by;
	ex.submitted = submitted;
	st = owner_execute(ctx, &o, unionk, &oc, &ex, to, r, &done);
	if (st != STORE_OK)
		goto fail;
	/* Commit even when it was refused: the token is spent. */
	st = store_owner_commit(ctx->store);
	goto out;
fail:
	store_owner_rollback(ctx->store);
out:
	pgp_key_free(unionk);
	pgp_key_free(submitted);
	store_pending_free(&taken);
	store_owner_free(&o);
	return st;
}

static enum store_status
confirm_notify(struct cmd_ctx *ctx, const struct store_pending *p,
    const uint8_t hash[32], const char *to, struct cmd_result *r)
{
	struct store_owner o;
	struct store_pending taken;
	enum store_status st;
	char fpr[65];
	bool ok;

	st = begin_take(ctx, p, hash, to, r, &o, &taken, &ok);
	if (st != STORE_OK || !ok)
		return st;
	if (!o.row && owner_policy(ctx->conf) == STORE_POLICY_OPEN)
		o.state = STORE_VISIBLE;
	free(o.notify);
	o.notify = xstrdup(taken.address);
	o.notify_confirmed = true;
	st = store_owner_put(ctx->store, &o);
	st = store_owner_end(ctx->store, st);
	if (st == STORE_OK) {
		pgp_hex(p->fpr, p->fprlen, fpr);
		buf_printf(&r->body, "Notices about key %s now go to %s.\n", fpr,
		    taken.address);
	}
	store_pending_free(&taken);
	store_owner_free(&o);
	return st;
}

/* A verification token (8.2): the address is bound to the key, taken off
 * any other key (C21), and the copies of both are rebuilt. */
static enum store_status
confirm_verify(struct cmd_ctx *ctx, const struct store_pending *p,
    const uint8_t hash[32], const char *to, struct cmd_result *r)
{
	struct store_owner o;
	struct store_pending taken;
	struct store_strings addrs;
	struct store_fprs moved;
	struct pgp_key *un = NULL;
	enum store_status st;
	char fpr[65];
	bool ok, changed, still = false;
	size_t i;

	memset(&moved, 0, sizeof(moved));
	memset(&addrs, 0, sizeof(addrs));
	st = begin_take(ctx, p, hash, to, r, &o, &taken, &ok);
	if (st != STORE_OK || !ok)
		return st;
	pgp_hex(p->fpr, p->fprlen, fpr);
	if ((un = owner_key_load(ctx, o.data, o.len)) == NULL)
		st = STORE_ERROR;
	if (st == STORE_OK) {
		owner_key_addresses(un, &addrs);
		for (i = 0; i < addrs.n; i++)
			still = still || owner_address_equal(addrs.v[i], taken.address);
	}
	if (st == STORE_OK && still) {
		st = store_binding_put(ctx->store, o.key_id, taken.address, &moved);
		if (st == STORE_OK)
			st = owner_verified_refresh(ctx, &o, un, &changed);
		if (st == STORE_OK && changed && ctx->sync_enqueue)
			st = store_sync_enqueue(ctx->store, o.key_id, NULL, 0);
	}
	/* Commit even when the address is gone: the token is spent. */
	st = store_owner_end(ctx->store, st);
	/* The keys the address left, each in its own transaction. */
	for (i = 0; st == STORE_OK && i < moved.n; i++)
		st = owner_verified_refresh_key(ctx, moved.v[i].fpr, moved.v[i].len,
		    false);
	if (st == STORE_OK && still)
		buf_printf(&r->body, "The address %s is now published with key %s.\n",
		    taken.address, fpr);
	else if (st == STORE_OK) {
		r->suffix = ", failed";
		buf_printf(&r->body, "The address %s is no longer an address of a "
		    "user ID of key %s;\nnothing was published.\n", taken.address,
		    fpr);
	}
	if (st == STORE_OK)
		log_info("CONFIRM: %s %s with key %s", taken.address, still ?
		    "published" : "not published (no such user ID)", fpr);
	pgp_key_free(un);
	store_strings_free(&addrs);
	store_fprs_free(&moved);
	store_pending_free(&taken);
	store_owner_free(&o);
	return st;
}

/*
 * An address token that no key lock guards: take it in a plain
 * transaction, which the caller ends. *ok false: not usable (answered by
 * bad_token; nothing is left open).
 */
static enum store_status
plain_take(struct cmd_ctx *ctx, const uint8_t hash[32], const char *to,
    struct cmd_result *r, struct store_pending *taken, bool *ok)
{
	enum store_status st;

	*ok = false;
	memset(taken, 0, sizeof(*taken));
	if ((st = store_begin(ctx->store)) != STORE_OK)
		return st;
	st = store_pending_take(ctx->store, hash, ctx->now, taken);
	if (st == STORE_OK) {
		*ok = true;
		return STORE_OK;
	}
	store_rollback(ctx->store);
	return st == STORE_NOTFOUND ? bad_token(ctx, to, r) : st;
}

/* A subscribe or unsubscribe token (10.1). */
static enum store_status
confirm_subscription(struct cmd_ctx *ctx, const uint8_t hash[32],
    const char *to, struct cmd_result *r)
{
	struct store_pending taken;
	enum store_status st;
	bool ok;

	st = plain_take(ctx, hash, to, r, &taken, &ok);
	if (st != STORE_OK || !ok)
		return st;
	st = owner_subscription_apply(ctx, &taken, r);
	if (st == STORE_OK)
		st = store_commit(ctx->store);
	else
		store_rollback(ctx->store);
	store_pending_free(&taken);
	return st;
}

/* An unpublish token (8.2): the address leaves every key. */
static enum store_status
confirm_unpublish(struct cmd_ctx *ctx, const uint8_t hash[32], const char *to,
    struct cmd_result *r)
{
	struct store_pending taken;
	struct store_fprs keys;
	enum store_status st;
	size_t i;
	bool ok;

	memset(&keys, 0, sizeof(keys));
	st = plain_take(ctx, hash, to, r, &taken, &ok);
	if (st != STORE_OK || !ok)
		return st;
	st = store_binding_drop_address(ctx->store, taken.address, &keys);
	if (st == STORE_OK)
		st = store_commit(ctx->store);
	else
		store_rollback(ctx->store);
	for (i = 0; st == STORE_OK && i < keys.n; i++)
		st = owner_verified_refresh_key(ctx, keys.v[i].fpr, keys.v[i].len,
		    false);
	if (st == STORE_OK) {
		buf_printf(&r->body, "The address %s is no longer published with any "
		    "key here.\nCopies that other keyservers hold already are not "
		    "removed.\n", taken.address);
		log_info("CONFIRM: %s unpublished (%zu key(s))", taken.address,
		    keys.n);
	}
	store_fprs_free(&keys);
	store_pending_free(&taken);
	return st;
}

enum store_status
owner_confirm(struct cmd_ctx *ctx, const struct mail_msg *m,
    const struct owner_cmd *oc, const char *to, struct cmd_result *r)
{
	const struct conf *c = ctx->conf;
	struct store_pending p;
	enum store_status st;
	uint8_t hash[32];
	uint64_t bad = 0;
	char logid[9];

	(void)m;
	r->subject_as = "CONFIRM";
	if (c->max_bad_tokens_per_hour != 0) {
		st = store_mail_count(ctx->store, to, OWNER_MAIL_BAD_TOKEN, ctx->now,
		    3600, &bad);
		if (st != STORE_OK)
			return st;
		if (bad >= c->max_bad_tokens_per_hour) {
			log_warnx("CONFIRM from %s ignored: %llu failed CONFIRMs in "
			    "the last hour (limit max_bad_tokens_per_hour %zu)", to,
			    (unsigned long long)bad, c->max_bad_tokens_per_hour);
			r->silent = true;
			return STORE_OK;
		}
	}
	if (oc->malformed)
		return bad_token(ctx, to, r);
	pgp_token_hash(oc->token, hash);
	pgp_token_log_id(hash, logid);
	st = store_pending_peek(ctx->store, hash, ctx->now, &p);
	if (st == STORE_NOTFOUND) {
		log_info("CONFIRM %s from %s: no such pending request", logid, to);
		return bad_token(ctx, to, r);
	}
	if (st != STORE_OK)
		return st;
	log_info("CONFIRM %s from %s: %s", logid, to, p.kind);
	if (!strcmp(p.kind, "challenge"))
		st = confirm_challenge(ctx, &p, hash, to, r);
	else if (!strcmp(p.kind, "notify"))
		st = confirm_notify(ctx, &p, hash, to, r);
	else if (!strcmp(p.kind, OWNER_MAIL_VERIFY) &&
	    owner_policy(ctx->conf) == STORE_POLICY_VERIFIED)
		st = confirm_verify(ctx, &p, hash, to, r);
	else if (!strcmp(p.kind, OWNER_MAIL_UNPUBLISH) &&
	    owner_policy(ctx->conf) == STORE_POLICY_VERIFIED)
		st = confirm_unpublish(ctx, hash, to, r);
	else if (!strcmp(p.kind, OWNER_MAIL_SUBSCRIBE) ||
	    !strcmp(p.kind, OWNER_MAIL_UNSUBSCRIBE))
		st = confirm_subscription(ctx, hash, to, r);
	else
		st = bad_token(ctx, to, r);
	store_pending_free(&p);
	return st;
}
