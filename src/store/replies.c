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
 * Ends a counting transaction: when the hour's row was fresh (the first
 * count this hour), first drops the rows older than a day; then commits.
 * On failure the transaction is rolled back.
 */
static enum store_status
expire_and_commit(struct store *s, bool fresh)
{
	enum store_status st;

	if (fresh && (st = q(s, "reply rate limit: expire", "DELETE FROM"
	    " reply_log WHERE hour < now() - interval '1 day'", NULL, 0,
	    NULL)) != STORE_OK) {
		pg_rollback(s);
		return st;
	}
	if ((st = q(s, "reply rate limit: commit", "COMMIT", NULL, 0, NULL)) != STORE_OK) {
		pg_rollback(s);
		return st;
	}
	return STORE_OK;
}

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
	if ((st = expire_and_commit(s, n == 1)) != STORE_OK)
		return st;
	*count = (uint64_t)n;
	return STORE_OK;
}

/*
 * The levels in one statement, one transaction: each INSERT ... SELECT
 * reads the count the level before it returned, so a level is counted
 * only when the one before it is within its limit. A flood from one
 * address thus uses up its own counter, not its domain's or everyone's.
 * The hour is fixed once (now() is the transaction's start), and
 * returned, so that store_reply_uncount takes back from the same rows.
 */
enum store_status
store_reply_count_levels(struct store *s, const char *const *keys,
    const uint64_t *limits, size_t n, uint64_t *counts, int64_t *hour)
{
	static const char *const level[] = {
		"l1 AS (INSERT INTO reply_log (address, hour, count)"
		" SELECT lower($1), h.hour, 1 FROM h",
		"l2 AS (INSERT INTO reply_log (address, hour, count)"
		" SELECT lower($2), h.hour, 1 FROM h, l1 WHERE l1.count <= $4",
		"l3 AS (INSERT INTO reply_log (address, hour, count)"
		" SELECT lower($3), h.hour, 1 FROM h, l2 WHERE l2.count <= $5",
	};
	struct params p;
	struct buf sql;
	PGresult *res;
	enum store_status st;
	bool fresh = false;
	size_t i;

	for (i = 0; i < n && i < 3; i++)
		counts[i] = 0;
	*hour = 0;
	if (n == 0 || n > 3) {
		pg_set_err(s, xstrdup("reply rate limit: 1 to 3 levels"));
		return STORE_ERROR;
	}
	p_init(&p);
	for (i = 0; i < 3; i++)
		p_text(&p, i < n ? keys[i] : NULL);
	for (i = 0; i < 2; i++)
		p_int8(&p, i + 1 < n ? (int64_t)(limits[i] > INT64_MAX ?
		    INT64_MAX : limits[i]) : 0);
	buf_init(&sql, 0);
	buf_puts(&sql, "WITH h AS (SELECT date_trunc('hour', now()) AS hour)");
	for (i = 0; i < n; i++) {
		buf_puts(&sql, ", ");
		buf_puts(&sql, level[i]);
		buf_puts(&sql, " ON CONFLICT (address, hour) DO UPDATE"
		    " SET count = reply_log.count + 1 RETURNING count)");
	}
	buf_puts(&sql, " SELECT extract(epoch FROM (SELECT hour FROM h))::int8");
	for (i = 0; i < 3; i++)
		if (i < n)
			buf_printf(&sql, ", coalesce((SELECT count FROM l%zu), 0)::int8", i + 1);
		else
			buf_puts(&sql, ", 0::int8");
	if ((st = q(s, "reply rate limit: begin", "BEGIN", NULL, 0, NULL)) != STORE_OK) {
		buf_free(&sql);
		return st;
	}
	/* As in store_reply_count: the counter need not survive a crash. */
	if ((st = q(s, "reply rate limit", "SET LOCAL synchronous_commit = off",
	    NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, "reply rate limit", (const char *)sql.data, &p, 1,
	    &res)) != STORE_OK) {
		buf_free(&sql);
		pg_rollback(s);
		return st;
	}
	buf_free(&sql);
	if (PQntuples(res) != 1 || PQnfields(res) != 4 ||
	    pg_get_int8(res, 0, 1) <= 0) {
		PQclear(res);
		pg_rollback(s);
		pg_set_err(s, xstrdup("reply rate limit: no count returned"));
		return STORE_ERROR;
	}
	*hour = pg_get_int8(res, 0, 0);
	for (i = 0; i < n; i++) {
		int64_t v = pg_get_int8(res, 0, (int)i + 1);

		counts[i] = v > 0 ? (uint64_t)v : 0;
		fresh = fresh || v == 1;
	}
	PQclear(res);
	return expire_and_commit(s, fresh);
}

enum store_status
store_reply_uncount(struct store *s, const char *const *keys, size_t n,
    int64_t hour)
{
	struct params p;
	size_t i;

	p_init(&p);
	for (i = 0; i < 3; i++)
		p_text(&p, i < n ? keys[i] : NULL);
	p_int8(&p, hour);
	return q(s, "reply rate limit: take back", "UPDATE reply_log"
	    " SET count = count - 1 WHERE address IN (lower($1), lower($2),"
	    " lower($3)) AND hour = to_timestamp($4) AND count > 0", &p, 0, NULL);
}
