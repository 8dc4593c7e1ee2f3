/*
 * cmd/batch.c - the owner-control steps of the hourly batch
 * (owner-control.md 11, `keymail sync`): step 2, the purges (expired
 * tokens, nonces past their window, expired held items, day-old mail_log
 * rows); step 3, trusted-mode digests of held items to confirmed notify
 * addresses. At most max_batch_mails mails per run, the key waiting
 * longest first; a digest counts as sent only once the mailer took it.
 * Then step 4, subscription updates (subscribe.c), and step 5, expiry
 * reminders (reminder.c), with what is left of the same max_batch_mails budget.
 *
 * Input: the store only (addresses were confirmed; issuer names are our
 * formatting of fingerprints). No user-ID text goes into a digest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/owner.h"
#include "util/log.h"
#include "util/xalloc.h"

static enum store_status
send_digest(struct cmd_ctx *ctx, const struct store_digest *d,
    struct owner_batch_stats *bs)
{
	struct cmd_mail mm;
	struct buf text;
	enum store_status st = STORE_OK;
	struct tm tm;
	char fpr[65], day[16];
	bool sent = false;
	size_t i;
	int ok;

	pgp_hex(d->fpr, d->fprlen, fpr);
	ok = owner_mail_allow(ctx, OWNER_MAIL_DIGEST, d->notify, d->fpr,
	    d->fprlen, &st);
	if (ok < 0)
		return st;
	if (ok == 0) {
		bs->digests_dropped++;
		return STORE_OK;
	}
	gmtime_r(&d->deadline, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	buf_init(&text, 0);
	buf_printf(&text, "%zu new item(s) wait for your approval on key\n%s:\n"
	    "certifications by other keys, or new user IDs or subkeys of your\n"
	    "own. Nothing of them is published until you ACCEPT it. They are\n"
	    "issued by:\n", d->nnew, fpr);
	for (i = 0; i < d->nissuers; i++)
		buf_printf(&text, "  %s%s\n", d->issuers[i],
		    !strcmp(d->issuers[i], fpr) ? " (this key)" : "");
	buf_printf(&text, "The first of them is dropped on %s unless you decide\n"
	    "before. Send HELD %s to see them (the answer\nis encrypted to your "
	    "key), then ACCEPT or REJECT (see HELP).\n", day, fpr);
	memset(&mm, 0, sizeof(mm));
	mm.to = d->notify;
	mm.subject = xasprintf("keymail: certifications held for key %s", fpr);
	mm.text = (char *)text.data;
	mm.kind = OWNER_MAIL_DIGEST;
	cmd_mail_send(ctx, &mm, &sent);
	free(mm.subject);
	buf_free(&text);
	if (!sent) {
		bs->digests_dropped++;
		return STORE_OK;
	}
	bs->digests++;
	return store_digest_sent(ctx->store, d);
}

enum store_status
owner_batch(struct cmd_ctx *ctx, struct owner_batch_stats *bs)
{
	const struct conf *c = ctx->conf;
	struct store_digests due;
	enum store_status st;
	size_t i, sent, max = c->max_batch_mails ? c->max_batch_mails : (size_t)-1;

	memset(bs, 0, sizeof(*bs));
	if ((st = store_owner_purge(ctx->store, ctx->now, &bs->purged)) != STORE_OK)
		return st;
	if (owner_policy(c) == STORE_POLICY_TRUSTED) {
		if ((st = store_digest_due(ctx->store, max, &due)) != STORE_OK)
			return st;
		for (i = 0; i < due.n && st == STORE_OK; i++)
			st = send_digest(ctx, &due.v[i], bs);
		store_digests_free(&due);
		if (st != STORE_OK)
			return st;
	}
	/* Steps 4 and 5 share what is left of max_batch_mails. */
	sent = bs->digests + bs->digests_dropped;
	st = owner_subscription_updates(ctx, max > sent ? max - sent : 0, bs);
	sent += bs->updates + bs->updates_dropped;
	if (st == STORE_OK)
		st = owner_expiry_reminders(ctx, max > sent ? max - sent : 0, bs);
	return st;
}
