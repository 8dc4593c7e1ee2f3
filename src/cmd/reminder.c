/*
 * cmd/reminder.c - expiry reminders (owner-control.md 10.2), the hourly
 * batch's step 5, in every policy mode.
 *
 * DESCRIPTION
 *	For each key with a confirmed notify address the due date is the
 *	earlier of the primary key's expiry (pgp_key_check: its newest
 *	valid self-signature) and the latest expiry among its usable
 *	encryption-capable components (pgp_enc_expiry; one that never
 *	expires, or none: never), both from the union's self-signatures,
 *	which third parties cannot change. With expiry_warn_days > 0, a key
 *	whose due date lies within that many days from now gets one
 *	reminder per (key, due date) (sql/032-reminder.sql), recorded once
 *	the mailer took it: a new expiry moves the due date and re-arms it.
 *	The oldest due first, within what max_batch_mails leaves.
 *
 * SECURITY
 *	The mail holds our text, the canonical fingerprint and a date; the
 *	address was confirmed by its owner (9). Memory: nothing returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/owner.h"
#include "pgp/encrypt.h"
#include "util/log.h"
#include "util/xalloc.h"

/* A key due a reminder. */
struct due {
	const struct store_notify_key *nk;
	uint8_t fpr[32];
	size_t fprlen;
	time_t due;
	bool primary;		/* the primary key expires then */
	bool subkeys;		/* the encryption subkeys expire then */
};

static int
due_cmp(const void *a, const void *b)
{
	const struct due *x = a, *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return x->nk->key_id < y->nk->key_id ? -1 : x->nk->key_id > y->nk->key_id;
}

bool
owner_due_date(const struct pgp_key *k, time_t now, time_t *due, bool *primary,
    bool *subkeys)
{
	uint32_t latest = 0;

	*due = 0;
	*primary = *subkeys = false;
	if (k->revoked)
		return false;
	(void)pgp_enc_expiry(k, now, &latest);
	if (k->expires != 0 && (latest == 0 || k->expires <= latest))
		*due = (time_t)k->expires;
	else if (latest != 0)
		*due = (time_t)latest;
	*primary = k->expires != 0 && (time_t)k->expires == *due;
	*subkeys = latest != 0 && (time_t)latest == *due;
	return *due != 0;
}

static enum store_status
send_reminder(struct cmd_ctx *ctx, const struct due *d,
    struct owner_batch_stats *bs)
{
	struct cmd_mail mm;
	struct buf text;
	enum store_status st = STORE_OK;
	struct tm tm;
	char hex[65], day[16];
	bool sent = false;
	int ok;

	pgp_hex(d->fpr, d->fprlen, hex);
	ok = owner_mail_allow(ctx, OWNER_MAIL_REMINDER, d->nk->notify, d->fpr,
	    d->fprlen, &st);
	if (ok <= 0) {
		bs->reminders_dropped += ok == 0;
		return ok < 0 ? st : STORE_OK;
	}
	gmtime_r(&d->due, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	buf_init(&text, 0);
	buf_printf(&text, "The OpenPGP key %s\nexpires on %s (UTC): %s.\n\n"
	    "To extend it, with GnuPG:\n"
	    "  gpg --quick-set-expire %s 1y\n"
	    "  gpg --quick-set-expire %s 1y '*'    (its subkeys)\n"
	    "then send the key (gpg --armor --export %s) to\n%s with the "
	    "Subject ADD.%s\n\n"
	    "This address gets this mail as the key's confirmed notify address;\n"
	    "NOTIFY %s OFF ends that (see HELP).\n", hex, day,
	    d->primary && d->subkeys ? "the key and its encryption subkeys" :
	    d->primary ? "the key (its primary key)" : "its encryption subkeys",
	    hex, hex, hex, ctx->conf->address,
	    owner_policy(ctx->conf) == STORE_POLICY_TRUSTED ? " The newer "
	    "self-signatures are published here at once." : "", hex);
	memset(&mm, 0, sizeof(mm));
	mm.to = d->nk->notify;
	mm.subject = xasprintf("keymail: key %s expires on %s", hex, day);
	mm.text = (char *)text.data;
	mm.kind = OWNER_MAIL_REMINDER;
	cmd_mail_send(ctx, &mm, &sent);
	free(mm.subject);
	buf_free(&text);
	if (!sent) {
		bs->reminders_dropped++;
		return STORE_OK;
	}
	bs->reminders++;
	return store_reminder_sent(ctx->store, d->nk->key_id, (int64_t)d->due,
	    true, &sent);
}

enum store_status
owner_expiry_reminders(struct cmd_ctx *ctx, size_t budget,
    struct owner_batch_stats *bs)
{
	const struct conf *c = ctx->conf;
	struct store_notify_keys keys;
	struct due *due = NULL;
	enum store_status st;
	time_t warn = (time_t)c->expiry_warn_days * 86400;
	size_t i, n = 0, mails = 0;
	bool sent;

	if (c->expiry_warn_days == 0 || budget == 0)
		return STORE_OK;
	if ((st = store_notify_keys(ctx->store, &keys)) != STORE_OK)
		return st;
	if (keys.n > 0)
		due = xcalloc(keys.n, sizeof(*due));
	for (i = 0; i < keys.n; i++) {
		struct pgp_key *k = owner_key_load(ctx, keys.v[i].data, keys.v[i].len);
		struct due *d = &due[n];

		if (k != NULL && owner_due_date(k, ctx->now, &d->due, &d->primary,
		    &d->subkeys) && ctx->now >= d->due - warn && ctx->now < d->due) {
			d->nk = &keys.v[i];
			memcpy(d->fpr, k->pub.fpr, k->pub.fprlen);
			d->fprlen = k->pub.fprlen;
			n++;
		}
		pgp_key_free(k);
	}
	/* qsort wants a non-null base even for 0 elements (due is NULL
	 * when no key has a notify address; UBSan: nonnull-attribute). */
	if (n > 1)
		qsort(due, n, sizeof(*due), due_cmp);
	for (i = 0; i < n && st == STORE_OK && mails < budget; i++) {
		st = store_reminder_sent(ctx->store, due[i].nk->key_id,
		    (int64_t)due[i].due, false, &sent);
		if (st != STORE_OK || sent)
			continue;
		st = send_reminder(ctx, &due[i], bs);
		mails++;
	}
	free(due);
	store_notify_keys_free(&keys);
	return st;
}
