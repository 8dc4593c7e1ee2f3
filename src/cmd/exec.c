/*
 * cmd/exec.c - carrying out an owner command (owner-control.md 4.2, 5.4,
 * 7, 9), once its proof is done: a control block that passed every
 * check, or the CONFIRM of its challenge. Runs inside the key's owner
 * transaction; the caller commits when *done.
 *
 * Claiming (4.2): in trusted mode the first command carried out on an
 * unclaimed key (other than HELD) claims it; it stays hidden unless the
 * command is SHOW or REPLACE ... SHOW. In open mode there is nothing to
 * claim: SHOW and HIDE set the state, and a key without an owner row is
 * visible.
 *
 * Untrusted input: the submitted key of a REPLACE (checked), addresses
 * (canonical, from mail/owner_cmd.c). Everything written into replies
 * and mails is our text, canonical fingerprints and those addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/owner.h"
#include "util/log.h"
#include "util/xalloc.h"

static void
refused(struct cmd_result *r, const char *line)
{
	r->suffix = ", failed";
	buf_printf(&r->body, "%s\n", line);
}

/* A visible key's published copy leaves for the peers (11). */
static enum store_status
queue_if_visible(struct cmd_ctx *ctx, const struct store_owner *o)
{
	if (o->state != STORE_VISIBLE || !ctx->sync_enqueue ||
	    owner_policy(ctx->conf) != STORE_POLICY_TRUSTED)
		return STORE_OK;
	return store_sync_enqueue(ctx->store, o->key_id, NULL, 0);
}

/* Trusted mode: claim o if it is not yet (4.2). */
static enum store_status
claim_if_needed(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *unionk)
{
	if (owner_policy(ctx->conf) != STORE_POLICY_TRUSTED || o->claimed)
		return STORE_OK;
	if (o->state == STORE_UNCLAIMED)
		o->state = STORE_HIDDEN;	/* the TKS default */
	return owner_claim(ctx, o, unionk);
}

/* Verified mode: HIDE unpublishes every binding of the key (8.2); the
 * key stays available by its fingerprint, without user IDs. */
static enum store_status
hide_verified(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *unionk, struct cmd_result *r)
{
	enum store_status st;
	size_t n = 0;
	bool changed;
	char hex[65];

	pgp_hex(unionk->pub.fpr, unionk->pub.fprlen, hex);
	st = store_binding_drop_key(ctx->store, o->key_id, &n);
	if (st == STORE_OK)
		st = owner_verified_refresh(ctx, o, unionk, &changed);
	if (st == STORE_OK && changed && ctx->sync_enqueue)
		st = store_sync_enqueue(ctx->store, o->key_id, NULL, 0);
	if (st == STORE_OK)
		buf_printf(&r->body, "Every address of key %s is unpublished here "
		    "(%zu).\nThe key itself is still served by its fingerprint, "
		    "without user IDs.\nCopies that other keyservers hold already "
		    "are not removed.\n", hex, n);
	return st;
}

/* NOTIFY <addr>: the address token and its mail (9), counted now so that
 * the reply can say whether it goes out. */
static enum store_status
notify_request(struct cmd_ctx *ctx, const struct owner_cmd *oc,
    const char *addr, const char *by, struct cmd_result *r)
{
	struct owner_token_fields tf;
	struct buf block;
	enum store_status st = STORE_OK;
	const char *fprs[1] = { oc->fpr };
	char *command;
	uint8_t fpr[32];
	size_t fprlen = owner_fpr_octets(oc->fpr, fpr);
	int ok;

	ok = owner_mail_allow(ctx, OWNER_MAIL_NOTIFY, addr, fpr, fprlen, &st);
	if (ok < 0)
		return st;
	if (ok == 0) {
		buf_printf(&r->body, "No confirmation mail could be sent to %s "
		    "now (a limit of this server);\nsend the NOTIFY again later.\n",
		    addr);
		return STORE_OK;
	}
	memset(&tf, 0, sizeof(tf));
	tf.command = "NOTIFY";
	tf.fprs = fprs;
	tf.nfprs = 1;
	tf.address = addr;
	command = owner_cmd_line(oc);
	buf_init(&block, 0);
	st = owner_address_token(ctx, "notify", fpr, fprlen, command, by, &tf,
	    &block);
	free(command);
	if (st != STORE_OK) {
		buf_free(&block);
		return st;
	}
	owner_mail_after(r, addr, xasprintf("keymail: confirm notifications for "
	    "key %s", oc->fpr), xasprintf(
	    "Someone who holds the key %s asked this keyserver to send\n"
	    "notices about that key to %s. Nothing happens unless\n"
	    "you confirm it with the CONFIRM line below, sent as the Subject of\n"
	    "a new mail. If you did not ask for this, ignore this mail.\n",
	    oc->fpr, addr), (char *)buf_detach(&block, NULL), OWNER_MAIL_NOTIFY,
	    fpr, fprlen);
	buf_printf(&r->body, "A confirmation mail goes to %s: notices start once "
	    "its CONFIRM arrives.\n", addr);
	return STORE_OK;
}

/* The notice of 4.3 to the confirmed notify address (as it was before the
 * command), unless that is the reply's recipient. */
static enum store_status
notice(struct cmd_ctx *ctx, const char *notify, const struct owner_cmd *oc,
    const struct pgp_key *unionk, const char *by, const char *reply_to,
    struct cmd_result *r)
{
	struct cmd_mail *mm;
	enum store_status st = STORE_OK;
	int ok;

	if (notify == NULL || (reply_to != NULL && !strcasecmp(notify, reply_to)))
		return STORE_OK;
	ok = owner_mail_allow(ctx, OWNER_MAIL_NOTICE, notify, unionk->pub.fpr,
	    unionk->pub.fprlen, &st);
	if (ok <= 0)
		return ok < 0 ? st : STORE_OK;
	r->after = xreallocarray(r->after, r->nafter + 1, sizeof(*r->after));
	mm = &r->after[r->nafter++];
	memset(mm, 0, sizeof(*mm));
	mm->to = xstrdup(notify);
	mm->subject = xasprintf("keymail: %s carried out on key %s",
	    owner_cmd_name(oc->kind), oc->fpr);
	mm->text = xasprintf("The command %s was carried out on key %s at the "
	    "request of %s.\nIf that was not you, someone else holds your "
	    "secret key.\n", owner_cmd_name(oc->kind), oc->fpr, by);
	mm->kind = OWNER_MAIL_NOTICE;
	memcpy(mm->fpr, unionk->pub.fpr, unionk->pub.fprlen);
	mm->fprlen = unionk->pub.fprlen;
	return STORE_OK;
}

/* Delete the held items of o that pub already holds whole: a REPLACE
 * approves what it carries. */
static enum store_status
drop_approved(struct cmd_ctx *ctx, const struct store_owner *o,
    const struct pgp_key *pub)
{
	struct store_helds h;
	enum store_status st;
	size_t i;

	if ((st = store_held_list(ctx->store, o->key_id, &h)) != STORE_OK)
		return st;
	for (i = 0; st == STORE_OK && i < h.n; i++) {
		struct pgp_key *f = owner_fragment_load(ctx, h.v[i].data, h.v[i].len);
		struct pgp_key *probe;
		struct pgp_merge_counts c;

		if (f == NULL)
			continue;
		probe = pgp_key_dup(pub);
		memset(&c, 0, sizeof(c));
		if (pgp_key_merge(probe, f, &c) == 0 && c.new_uids == 0 &&
		    c.new_subkeys == 0 && c.new_sigs == 0 && c.new_revocations == 0)
			st = store_held_delete(ctx->store, o->key_id, h.v[i].issuer,
			    h.v[i].component);
		pgp_key_free(probe);
		pgp_key_free(f);
	}
	store_helds_free(&h);
	return st;
}

/* REPLACE (7.4). */
static enum store_status
do_replace(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *unionk, const struct owner_cmd *oc,
    const struct pgp_key *submitted, struct cmd_result *r)
{
	uint8_t (*oldh)[32] = NULL, (*newh)[32] = NULL, (*gone)[32] = NULL;
	struct pgp_key *pub, *old = NULL;
	enum store_status st = STORE_OK;
	size_t nold = 0, nnew, ngone = 0, i, j;
	bool show = oc->nargs == 1 && !strcmp(oc->args[0].text, "SHOW");

	if ((pub = pgp_replace_copy(submitted, unionk)) == NULL) {
		refused(r, "The key in your mail is not the key of the Subject.");
		return STORE_OK;
	}
	if (o->claimed && o->published != NULL &&
	    (old = owner_key_load(ctx, o->published, o->published_len)) != NULL)
		nold = pgp_key_packet_hashes(old, &oldh);
	else if (!o->claimed) {
		/* A first claim: the union's certifications wait as held
		 * items (4.2); nothing was published, so nothing is removed. */
		struct pgp_held_list held;
		struct pgp_key *self;

		memset(&held, 0, sizeof(held));
		self = pgp_key_self_copy(unionk, &held);
		st = owner_hold(ctx, o, &held, NULL);
		pgp_held_list_free(&held);
		pgp_key_free(self);
	}
	nnew = pgp_key_packet_hashes(pub, &newh);
	/* What the owner removed: in the old copy, not in the new one. */
	for (i = 0, j = 0; i < nold; i++) {
		while (j < nnew && memcmp(newh[j], oldh[i], 32) < 0)
			j++;
		if (j < nnew && !memcmp(newh[j], oldh[i], 32))
			continue;
		gone = xreallocarray(gone, ngone + 1, sizeof(*gone));
		memcpy(gone[ngone++], oldh[i], 32);
	}
	if (st == STORE_OK)
		st = store_suppressed_change(ctx->store, o->key_id,
		    (const uint8_t (*)[32])gone, ngone,
		    (const uint8_t (*)[32])newh, nnew);
	if (o->state == STORE_UNCLAIMED)
		o->state = STORE_HIDDEN;
	if (show)
		o->state = STORE_VISIBLE;
	if (st == STORE_OK)
		st = owner_publish_write(ctx, o, pub);
	if (st == STORE_OK)
		st = drop_approved(ctx, o, pub);
	if (st == STORE_OK)
		st = queue_if_visible(ctx, o);
	if (st == STORE_OK)
		buf_printf(&r->body, "The published copy of key %s is now the key "
		    "you sent, with every revocation\nstored for it (%zu packet(s) "
		    "of the previous copy left out). The key is %s here.\n"
		    "Peers that already hold the left-out packets keep them.\n",
		    oc->fpr, ngone, o->state == STORE_VISIBLE ? "shown" : "hidden");
	free(oldh);
	free(newh);
	free(gone);
	pgp_key_free(old);
	pgp_key_free(pub);
	return st;
}

enum store_status
owner_execute(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *unionk, const struct owner_cmd *oc,
    const struct owner_exec *ex, const char *reply_to, struct cmd_result *r,
    bool *done)
{
	enum store_policy pol = owner_policy(ctx->conf);
	enum store_class cls = owner_class(oc->kind);
	enum store_owner_state before = o->state;
	enum store_status st = STORE_OK;
	char *notify = NULL;

	*done = false;
	if (!owner_offered(oc->kind, pol)) {
		owner_refuse_policy(r, oc->kind, pol);
		return STORE_OK;
	}
	if (o->last[cls] >= 0 && (int64_t)ex->t < o->last[cls]) {
		refused(r, "refused: superseded by a command signed later");
		return STORE_OK;
	}
	if (oc->kind == OWNER_CMD_REPLACE && ex->submitted == NULL) {
		refused(r, "The key to REPLACE with is missing.");
		return STORE_OK;
	}
	if (o->notify != NULL && o->notify_confirmed)
		notify = xstrdup(o->notify);
	/* Open mode: a key without an owner row is visible. */
	if (pol == STORE_POLICY_OPEN && !o->row)
		o->state = before = STORE_VISIBLE;
	if (oc->kind != OWNER_CMD_REPLACE)
		st = claim_if_needed(ctx, o, unionk);
	switch (oc->kind) {
	case OWNER_CMD_HIDE:
		if (pol == STORE_POLICY_VERIFIED) {
			st = hide_verified(ctx, o, unionk, r);
			break;
		}
		/* FALLTHROUGH */
	case OWNER_CMD_SHOW:
		o->state = oc->kind == OWNER_CMD_SHOW ? STORE_VISIBLE : STORE_HIDDEN;
		if (st == STORE_OK && before != STORE_VISIBLE)
			st = queue_if_visible(ctx, o);
		if (oc->kind == OWNER_CMD_SHOW)
			buf_printf(&r->body, "Key %s is now shown here.\n", oc->fpr);
		else
			buf_printf(&r->body, "Key %s is now hidden here: this "
			    "server answers for it as for a key\nit does not hold "
			    "(a revoked key's revocation still goes out). Copies\n"
			    "that other keyservers already hold are not removed.\n",
			    oc->fpr);
		break;
	case OWNER_CMD_NOTIFY:
		if (!strcmp(oc->args[0].text, "OFF")) {
			free(o->notify);
			o->notify = NULL;
			o->notify_confirmed = false;
			buf_printf(&r->body, "Notices about key %s are off.\n", oc->fpr);
		} else {
			free(o->notify);
			o->notify = xstrdup(oc->args[0].text);
			o->notify_confirmed = false;
			if (st == STORE_OK)
				st = notify_request(ctx, oc, oc->args[0].text, ex->by, r);
		}
		break;
	case OWNER_CMD_ACCEPT:
		if (st == STORE_OK)
			st = owner_accept(ctx, o, oc, &r->body);
		if (st == STORE_OK)
			st = queue_if_visible(ctx, o);
		break;
	case OWNER_CMD_REJECT:
		if (st == STORE_OK)
			st = owner_reject(ctx, o, oc, &r->body);
		break;
	case OWNER_CMD_REPLACE:
		st = do_replace(ctx, o, unionk, oc, ex->submitted, r);
		break;
	default:
		refused(r, "This command is not an owner command.");
		free(notify);
		return STORE_OK;
	}
	if (st == STORE_OK && *r->suffix == '\0') {
		o->last[cls] = (int64_t)ex->t;
		st = store_owner_put(ctx->store, o);
		if (st == STORE_OK)
			st = notice(ctx, notify, oc, unionk, ex->by, reply_to, r);
		*done = st == STORE_OK;
	}
	free(notify);
	return st;
}
