/*
 * store/maillog.c - the mail log of owner control (owner-control.md 12):
 * every mail a limit counts (token mails, address confirmations,
 * notifications) and every failed CONFIRM, per recipient, kind and key,
 * in rolling windows.
 *
 * A count and the insert it allows run in one transaction under one
 * advisory lock, so concurrent filters never both pass as the last one
 * under a limit. Windows are rolling, measured back from the caller's
 * "now" (no clock hours). Recipients come from mail (checked
 * addr-specs); they travel as parameters and are compared lower-cased.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"
#include "store/pg_internal.h"
#include "store/store.h"

/* A text[] parameter of the NULL-terminated list kinds. */
static void
p_kinds(struct params *p, struct barr *a, const char *const *kinds)
{
	size_t i;

	barr_init(a, OID_TEXT);
	for (i = 0; kinds != NULL && kinds[i] != NULL; i++)
		barr_add(a, kinds[i], strlen(kinds[i]));
	p_barr(p, OID_TEXT_ARRAY, a);
}

static void
p_fpr_or_null(struct params *p, const uint8_t *fpr, size_t fprlen)
{
	if (fprlen != 0)
		p_bytea(p, fpr, fprlen);
	else
		p_text(p, NULL);
}

/* How many logged events of kinds lie in (now - window, now] in scope. */
static enum store_status
count_in(struct store *s, const struct store_mail_limit *l,
    const char *recipient, const uint8_t *fpr, size_t fprlen, time_t now,
    uint64_t *n)
{
	struct params p;
	struct barr a;
	PGresult *res;
	enum store_status st;
	const char *sql;

	*n = 0;
	p_init(&p);
	p_kinds(&p, &a, l->kinds);
	p_int8(&p, (int64_t)(now - l->window));
	p_int8(&p, (int64_t)now);
	switch (l->scope) {
	case STORE_MAIL_BY_RECIPIENT:
		p_text(&p, recipient);
		sql = "SELECT count(*) FROM mail_log WHERE kind = ANY ($1::text[])"
		    " AND at > to_timestamp($2) AND at <= to_timestamp($3)"
		    " AND recipient = lower($4)";
		break;
	case STORE_MAIL_BY_KEY:
		p_fpr_or_null(&p, fpr, fprlen);
		sql = "SELECT count(*) FROM mail_log WHERE kind = ANY ($1::text[])"
		    " AND at > to_timestamp($2) AND at <= to_timestamp($3)"
		    " AND fingerprint = $4::bytea";
		break;
	default:
		sql = "SELECT count(*) FROM mail_log WHERE kind = ANY ($1::text[])"
		    " AND at > to_timestamp($2) AND at <= to_timestamp($3)";
		break;
	}
	st = q(s, "mail log: count", sql, &p, 0, &res);
	barr_free(&a);
	if (st != STORE_OK)
		return st;
	*n = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

static enum store_status
insert(struct store *s, const char *recipient, const char *kind,
    const uint8_t *fpr, size_t fprlen, time_t now)
{
	struct params p;

	p_init(&p);
	p_text(&p, recipient);
	p_text(&p, kind);
	p_fpr_or_null(&p, fpr, fprlen);
	p_int8(&p, (int64_t)now);
	return q(s, "mail log: insert", "INSERT INTO mail_log (recipient, kind,"
	    " fingerprint, at) VALUES (lower($1), $2, $3::bytea, to_timestamp($4))",
	    &p, 0, NULL);
}

enum store_status
store_mail_take(struct store *s, const char *recipient, const char *kind,
    const uint8_t *fpr, size_t fprlen, time_t now,
    const struct store_mail_limit *lims, size_t nlims, int *over)
{
	enum store_status st;
	uint64_t n;
	size_t i;
	bool outer = pg_in_txn(s);

	*over = -1;
	/* In a caller's transaction (an owner command's), the record
	 * commits or rolls back with what the mail reports. */
	if ((!outer && (st = store_begin(s)) != STORE_OK) ||
	    (st = q(s, "mail log: lock", STORE_MAILLOG_LOCK, NULL, 0, NULL)) != STORE_OK)
		goto fail;
	for (i = 0; i < nlims; i++) {
		if (lims[i].max == 0)
			continue;
		if (lims[i].scope == STORE_MAIL_BY_KEY && fprlen == 0)
			continue;
		if ((st = count_in(s, &lims[i], recipient, fpr, fprlen, now,
		    &n)) != STORE_OK)
			goto fail;
		if (n >= lims[i].max) {
			*over = (int)i;
			if (!outer)
				pg_rollback(s);
			return STORE_OK;
		}
	}
	if ((st = insert(s, recipient, kind, fpr, fprlen, now)) != STORE_OK)
		goto fail;
	return outer ? STORE_OK : store_commit(s);
fail:
	pg_rollback(s);
	return st;
}

enum store_status
store_mail_record(struct store *s, const char *recipient, const char *kind,
    const uint8_t *fpr, size_t fprlen, time_t now)
{
	return insert(s, recipient, kind, fpr, fprlen, now);
}

enum store_status
store_mail_count(struct store *s, const char *recipient, const char *kind,
    time_t now, time_t window, uint64_t *n)
{
	const char *kinds[2] = { kind, NULL };
	struct store_mail_limit l;

	memset(&l, 0, sizeof(l));
	l.scope = STORE_MAIL_BY_RECIPIENT;
	l.kinds = kinds;
	l.window = window;
	return count_in(s, &l, recipient, NULL, 0, now, n);
}
