/*
 * cmd/subscribe.c - key-update subscriptions (owner-control.md 10.1), in
 * every policy mode: SUBSCRIBE and UNSUBSCRIBE with double opt-in, the
 * digest of a key's public copy, and the hourly batch's step 4, which
 * mails each subscriber the keys that changed since it last got them.
 *
 * DESCRIPTION
 *	SUBSCRIBE <fpr>... (or UNSUBSCRIBE <fpr>... | ALL) from any address
 *	answers, to that address, with a token block in clear (", needs
 *	confirmation"), never saying whether a key is stored or public
 *	(C25). The CONFIRM of that token (confirm.c) makes or removes the
 *	subscriptions; a new one records the key's current digest and the
 *	CONFIRM's answer carries the current public copies.
 *	The digest is SHA-256 over the public copy (owner_public_copy) cut
 *	to its self-material (pgp_key_self_copy: no third-party
 *	certifications or certification revocations), canonical: floods of
 *	certifications never cause an update. keymail sync mails one
 *	"keymail: key updates" per address and run, holding every
 *	subscribed key whose digest exists and differs from the recorded
 *	one (within max_reply_keys and max_reply_size; the rest waits), and
 *	records the digests only once the mailer took it.
 *
 * SECURITY
 *	Addresses are canonical addr-specs (mail/owner_cmd.c); the mails
 *	hold our text, canonical fingerprints and public copies only.
 *	Memory: nothing returned needs freeing unless said.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/owner.h"
#include "util/log.h"
#include "util/xalloc.h"

enum store_status
owner_public_digest(struct cmd_ctx *ctx, const uint8_t *fpr, size_t fprlen,
    uint8_t digest[32], bool *exists, struct buf *copy)
{
	struct store_public_inputs in;
	struct pgp_key *k, *self;
	struct buf pub, blob;
	enum store_status st;
	uint8_t h[64];
	int rc;

	*exists = false;
	st = store_public_inputs(ctx->store, fpr, fprlen, &in);
	if (st == STORE_NOTFOUND)
		return STORE_OK;
	if (st != STORE_OK)
		return st;
	buf_init(&pub, 0);
	/* Verified mode: the published copy, with user IDs or not (2, 8.1);
	 * peer sync alone sends only those with one (owner_public_copy). */
	if (owner_policy(ctx->conf) == STORE_POLICY_VERIFIED &&
	    in.published != NULL) {
		buf_append(&pub, in.published, in.published_len);
		rc = 1;
	} else
		rc = owner_public_copy(ctx, owner_policy(ctx->conf), (int)in.state,
		    in.data, in.len, in.published, in.published_len, &pub);
	store_public_inputs_free(&in);
	if (rc <= 0 || (k = owner_key_load(ctx, pub.data, pub.len)) == NULL) {
		buf_free(&pub);
		return rc < 0 ? STORE_ERROR : STORE_OK;
	}
	self = pgp_key_self_copy(k, NULL);
	pgp_key_free(k);
	pgp_key_canonicalize(self);
	buf_init(&blob, 0);
	(void)pgp_key_write(self, &blob);
	pgp_key_free(self);
	(void)pgp_hash_buf(PGP_HASH_SHA256, blob.data, blob.len, h);
	memcpy(digest, h, 32);
	buf_free(&blob);
	*exists = true;
	if (copy != NULL)
		buf_append(copy, pub.data, pub.len);
	buf_free(&pub);
	return STORE_OK;
}

/* ---- SUBSCRIBE and UNSUBSCRIBE (10.1) --------------------------------------- */

static const char subscribe_text[] =
    "This keyserver was asked to change which keys this address gets\n"
    "updates of. Nothing happens unless you act on it: to have it done,\n"
    "send a new mail (not a reply) to this keyserver with the Subject the\n"
    "second part gives. If you did not ask for this, ignore this mail.\n";

enum store_status
owner_subscribe_cmd(struct cmd_ctx *ctx, const struct owner_cmd *oc,
    const char *to, struct cmd_result *r)
{
	struct owner_token_fields tf;
	const char *kind = oc->kind == OWNER_CMD_SUBSCRIBE ? OWNER_MAIL_SUBSCRIBE :
	    OWNER_MAIL_UNSUBSCRIBE;
	const char *fprs[OWNER_MAX_ARGS];
	struct buf block, line;
	enum store_status st = STORE_OK;
	size_t i, n = 0;
	bool all = false;
	int ok;

	/* An address-confirmation mail (12): over a limit, nothing. */
	ok = owner_mail_allow(ctx, kind, to, NULL, 0, &st);
	if (ok <= 0) {
		r->silent = ok == 0;
		return ok < 0 ? st : STORE_OK;
	}
	buf_init(&line, 0);
	buf_puts(&line, owner_cmd_name(oc->kind));
	for (i = 0; i < oc->nargs; i++) {
		buf_printf(&line, " %s", oc->args[i].text);
		if (oc->args[i].kind == OWNER_ARG_FPR)
			fprs[n++] = oc->args[i].text;
		else
			all = true;
	}
	memset(&tf, 0, sizeof(tf));
	tf.command = owner_cmd_name(oc->kind);
	tf.fprs = fprs;
	tf.nfprs = n;
	tf.args = all ? oc->args : NULL;
	tf.nargs = all ? 1 : 0;
	tf.address = to;
	buf_init(&block, 0);
	st = owner_address_token(ctx, kind, NULL, 0, (const char *)line.data, to,
	    &tf, &block);
	buf_free(&line);
	if (st == STORE_OK) {
		r->suffix = ", needs confirmation";
		r->intro = owner_intro(ctx, subscribe_text);
		r->body_charset = "us-ascii";
		buf_append(&r->body, block.data, block.len);
		log_info("%s of %zu key(s)%s for %s: confirmation sent", tf.command,
		    n, all ? " (all)" : "", to);
	}
	buf_free(&block);
	return st;
}

/* One line about a key's public copy: revoked, its expiry, or neither. */
static void
key_state_line(const struct cmd_ctx *ctx, const char *hex, const uint8_t *data,
    size_t len, struct buf *out)
{
	struct pgp_key *k = owner_key_load(ctx, data, len);
	struct tm tm;
	time_t t;
	char day[16];

	if (k != NULL && k->revoked)
		buf_printf(out, "  %s: revoked\n", hex);
	else if (k != NULL && k->expires != 0) {
		t = (time_t)k->expires;
		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		buf_printf(out, "  %s: expires on %s\n", hex, day);
	} else
		buf_printf(out, "  %s: does not expire\n", hex);
	pgp_key_free(k);
}

enum store_status
owner_subscription_apply(struct cmd_ctx *ctx, const struct store_pending *p,
    struct cmd_result *r)
{
	const struct conf *c = ctx->conf;
	struct owner_cmd oc;
	struct buf lines, keys, copy, armor;
	enum store_status st = STORE_OK;
	uint8_t fpr[32], digest[32];
	size_t i, fprlen, n;
	uint64_t count;
	bool has, exists;

	if (owner_cmd_parse(p->command, &oc) == OWNER_CMD_NONE || oc.malformed)
		return STORE_ERROR;
	buf_init(&lines, 0);
	buf_init(&keys, 0);
	for (i = 0; i < oc.nargs && st == STORE_OK; i++) {
		if (oc.args[i].kind != OWNER_ARG_FPR) {	/* UNSUBSCRIBE ALL */
			st = store_subscription_delete(ctx->store, p->address, NULL,
			    0, &n);
			buf_printf(&lines, "%s gets no key updates any more (%zu "
			    "subscription(s) ended).\n", p->address, n);
			continue;
		}
		fprlen = owner_fpr_octets(oc.args[i].text, fpr);
		if (oc.kind == OWNER_CMD_UNSUBSCRIBE) {
			st = store_subscription_delete(ctx->store, p->address, fpr,
			    fprlen, &n);
			buf_printf(&lines, "  %s: unsubscribed\n", oc.args[i].text);
			continue;
		}
		st = store_subscription_count(ctx->store, p->address, fpr, fprlen,
		    &count, &has);
		if (st == STORE_OK && !has && c->max_subscriptions_per_address &&
		    count >= c->max_subscriptions_per_address) {
			buf_printf(&lines, "  %s: not subscribed (limit "
			    "max_subscriptions_per_address, %zu)\n", oc.args[i].text,
			    c->max_subscriptions_per_address);
			continue;
		}
		buf_init(&copy, 0);
		if (st == STORE_OK)
			st = owner_public_digest(ctx, fpr, fprlen, digest, &exists,
			    &copy);
		if (st == STORE_OK)
			st = store_subscription_put(ctx->store, p->address, fpr,
			    fprlen, exists ? digest : NULL);
		if (st == STORE_OK)
			buf_printf(&lines, "  %s: subscribed\n", oc.args[i].text);
		buf_append(&keys, copy.data, copy.len);
		buf_free(&copy);
	}
	if (st == STORE_OK) {
		buf_printf(&r->body, "Key updates for %s:\n", p->address);
		buf_append(&r->body, lines.data, lines.len);
		if (oc.kind == OWNER_CMD_SUBSCRIBE)
			buf_printf(&r->body, "Each change of these keys (a new expiry, "
			    "subkey or user ID, a revocation)\ngoes to %s from the next "
			    "hourly run on. To stop it, send\nUNSUBSCRIBE <fingerprint> or "
			    "UNSUBSCRIBE ALL.\n", p->address);
		/* The keys' current public copies follow (10.1). */
		buf_init(&armor, c->max_reply_size);
		if (keys.len > 0 && pgp_armor_encode(keys.data, keys.len, &armor) == 0) {
			r->intro = owner_intro(ctx, (const char *)r->body.data);
			buf_reset(&r->body);
			r->body_type = "application/pgp-keys";
			buf_append(&r->body, armor.data, armor.len);
		}
		buf_free(&armor);
	}
	buf_free(&lines);
	buf_free(&keys);
	return st;
}

/* ---- the batch's step 4 (10.1, 11) ---------------------------------------------- */

/* The keys of one address that changed, as one mail. */
struct update {
	const char *address;
	struct buf keys;		/* concatenated public copies */
	struct buf text;
	size_t n;
	struct store_subscription **subs;	/* the ones included */
	uint8_t (*digests)[32];
};

static enum store_status
send_update(struct cmd_ctx *ctx, struct update *u, struct owner_batch_stats *bs)
{
	struct cmd_mail mm;
	struct buf armor, text;
	enum store_status st = STORE_OK;
	bool sent = false;
	size_t i;
	int ok;

	ok = owner_mail_allow(ctx, OWNER_MAIL_UPDATE, u->address, NULL, 0, &st);
	if (ok < 0)
		return st;
	if (ok == 0) {
		bs->updates_dropped++;
		return STORE_OK;
	}
	buf_init(&armor, ctx->conf->max_reply_size);
	(void)pgp_armor_encode(u->keys.data, u->keys.len, &armor);
	buf_init(&text, 0);
	buf_printf(&text, "Keys you asked this keyserver to keep you up to date on "
	    "have changed\n(a new expiry, subkey or user ID, or a revocation). "
	    "Their current\ncopies are attached; import them with \"gpg --import"
	    "\".\n\n");
	buf_append(&text, u->text.data, u->text.len);
	buf_printf(&text, "\nTo stop these mails, send UNSUBSCRIBE <fingerprint> "
	    "or UNSUBSCRIBE ALL\nto %s.\n", ctx->conf->address);
	memset(&mm, 0, sizeof(mm));
	mm.to = xstrdup(u->address);
	mm.subject = xstrdup("keymail: key updates");
	mm.text = (char *)text.data;
	mm.part2 = (char *)armor.data;
	mm.part2_type = "application/pgp-keys";
	mm.part2_charset = "us-ascii";
	mm.kind = OWNER_MAIL_UPDATE;
	cmd_mail_send(ctx, &mm, &sent);
	free(mm.to);
	free(mm.subject);
	buf_free(&text);
	buf_free(&armor);
	if (!sent) {
		/* Recorded digests stay: the next run tries again. */
		bs->updates_dropped++;
		return STORE_OK;
	}
	bs->updates++;
	for (i = 0; i < u->n && st == STORE_OK; i++)
		st = store_subscription_sent(ctx->store, u->address, u->subs[i]->fpr,
		    u->subs[i]->fprlen, u->digests[i]);
	return st;
}

static void
update_reset(struct update *u, const char *address, size_t cap)
{
	u->address = address;
	buf_init(&u->keys, 0);
	buf_init(&u->text, 0);
	u->n = 0;
	u->subs = xreallocarray(u->subs, cap, sizeof(*u->subs));
	u->digests = xreallocarray(u->digests, cap, sizeof(*u->digests));
}

enum store_status
owner_subscription_updates(struct cmd_ctx *ctx, size_t budget,
    struct owner_batch_stats *bs)
{
	const struct conf *c = ctx->conf;
	struct store_subscriptions all;
	struct update u;
	enum store_status st;
	size_t i, j, cap, mails = 0;

	if ((st = store_subscriptions_all(ctx->store, &all)) != STORE_OK)
		return st;
	memset(&u, 0, sizeof(u));
	for (i = 0; i < all.n && st == STORE_OK && mails < budget; i = j) {
		/* One address: rows i .. j-1. */
		for (j = i + 1; j < all.n && owner_address_equal(all.v[j].address,
		    all.v[i].address); j++)
			;
		cap = j - i;
		update_reset(&u, all.v[i].address, cap);
		for (; i < j && st == STORE_OK; i++) {
			struct store_subscription *e = &all.v[i];
			struct buf copy;
			uint8_t digest[32];
			char hex[65];
			bool exists;

			if (c->max_reply_keys && u.n >= c->max_reply_keys)
				break;	/* the rest waits for the next run */
			buf_init(&copy, 0);
			st = owner_public_digest(ctx, e->fpr, e->fprlen, digest,
			    &exists, &copy);
			if (st == STORE_OK && exists && (!e->has_digest ||
			    memcmp(digest, e->digest, 32) != 0) &&
			    (u.keys.len + copy.len) / 3 * 4 + 4096 <= c->max_reply_size) {
				buf_append(&u.keys, copy.data, copy.len);
				pgp_hex(e->fpr, e->fprlen, hex);
				key_state_line(ctx, hex, copy.data, copy.len, &u.text);
				u.subs[u.n] = e;
				memcpy(u.digests[u.n++], digest, 32);
			}
			buf_free(&copy);
		}
		if (st == STORE_OK && u.n > 0) {
			st = send_update(ctx, &u, bs);
			mails++;
		}
		buf_free(&u.keys);
		buf_free(&u.text);
	}
	free(u.subs);
	free(u.digests);
	store_subscriptions_free(&all);
	return st;
}
