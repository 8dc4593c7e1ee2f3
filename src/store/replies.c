/*
 * store/replies.c - the reply counter behind max_replies_per_hour
 * (sql/003-ratelimit.sql, store_reply_count).
 *
 * The address comes from mail (sanitized by the mail layer, untrusted)
 * and travels only as a parameter. Memory: nothing is kept.
 */
#include <stdint.h>

#include "util/xalloc.h"
#include "store/pg_internal.h"
#include "store/store.h"

/*
 * One statement, so one transaction of its own (autocommit): the upsert
 * locks the (address, hour) row, so concurrent filters get distinct
 * counts. The expiry is a separate best-effort statement: it only ever
 * touches rows of past hours, which no upsert of this hour locks, and if
 * it fails (say two filters expiring at once deadlock) the rows simply
 * go next time.
 */
enum store_status
store_reply_count(struct store *s, const char *address, uint64_t *count)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	int64_t n;

	*count = 0;
	p_init(&p);
	p_text(&p, address);
	/*
	 * The count need not survive a crash (losing it lets one more reply
	 * through), so it does not wait for the WAL flush: that fsync was the
	 * largest part of every reply's own cost (bench/RESULTS.md). Merges
	 * keep synchronous commit; this is LOCAL to the counter's transaction.
	 */
	if ((st = q(s, "reply rate limit: begin", "BEGIN", NULL, 0, NULL)) != STORE_OK)
		return st;
	if ((st = q(s, "reply rate limit", "SET LOCAL synchronous_commit = off",
	    NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, "reply rate limit", "INSERT INTO reply_log (address,"
	    " hour, count) VALUES (lower($1), date_trunc('hour', now()), 1)"
	    " ON CONFLICT (address, hour) DO UPDATE"
	    " SET count = reply_log.count + 1 RETURNING count",
	    &p, 1, &res)) != STORE_OK) {
		pg_rollback(s);
		return st;
	}
	n = PQntuples(res) == 1 ? pg_get_int8(res, 0, 0) : 0;
	PQclear(res);
	if (n <= 0) {
		pg_rollback(s);
		pg_set_err(s, xstrdup("reply rate limit: no count returned"));
		return STORE_ERROR;
	}
	if (n == 1 && (st = q(s, "reply rate limit: expire", "DELETE FROM"
	    " reply_log WHERE hour < now() - interval '1 day'", NULL, 0,
	    NULL)) != STORE_OK) {
		pg_rollback(s);
		return st;
	}
	if ((st = q(s, "reply rate limit: commit", "COMMIT", NULL, 0, NULL)) != STORE_OK) {
		pg_rollback(s);
		return st;
	}
	*count = (uint64_t)n;
	return STORE_OK;
}
