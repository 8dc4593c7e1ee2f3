/*
 * store/scan.c - the MGET scan: every key-ID row and user-ID row of the
 * store, through server-side cursors in one read-only snapshot
 * (store_scan_ids_uids). The keys a scan picks are fetched by
 * store_get_by_ids (lookup.c).
 *
 * No input from mail reaches SQL here; the rows go to the caller's
 * callback, valid only during the call. Memory: nothing is kept.
 */
#include <stdbool.h>
#include <stdint.h>

#include "util/xalloc.h"
#include "store/pg_internal.h"
#include "store/store.h"

#define STORE_SCAN_BATCH	1000	/* rows per FETCH of an MGET scan */

/* Walk one cursor (already declared) to its end or until cb stops. */
static enum store_status
scan_cursor(struct store *s, const char *fetch, enum store_scan_kind kind,
    store_scan_cb cb, void *arg, bool *stopped)
{
	PGresult *res;
	enum store_status st;
	int n, i;

	while (!*stopped) {
		if ((st = q(s, "mget: fetch", fetch, NULL, 1, &res)) != STORE_OK)
			return st;
		n = PQntuples(res);
		for (i = 0; i < n && !*stopped; i++) {
			int64_t id = pg_get_int8(res, i, 0);
			const uint8_t *a = (const uint8_t *)PQgetvalue(res, i, 1);
			size_t alen = (size_t)PQgetlength(res, i, 1);

			if (kind == STORE_SCAN_KEYID)
				*stopped = cb(arg, id, kind, a, alen,
				    (const uint8_t *)PQgetvalue(res, i, 2),
				    (size_t)PQgetlength(res, i, 2)) != 0;
			else
				*stopped = cb(arg, id, kind, a, alen, NULL, 0) != 0;
		}
		PQclear(res);
		if (n < STORE_SCAN_BATCH)
			break;
	}
	return STORE_OK;
}

#define STR_(x) #x
#define STR(x) STR_(x)

enum store_status
store_scan_ids_uids(struct store *s, store_scan_cb cb, void *arg)
{
	enum store_status st;
	bool stopped = false;
	char *f1 = pg_view_filter(s, "keyids.key_id");
	char *f2 = pg_view_filter(s, "key_uids.key_id");
	char *ids = xasprintf("DECLARE km_mget_ids NO SCROLL CURSOR FOR"
	    " SELECT key_id, fingerprint, keyid FROM keyids WHERE true%s", f1);
	char *uids = xasprintf("DECLARE km_mget_uids NO SCROLL CURSOR"
	    " FOR SELECT key_id, uid FROM key_uids WHERE true%s", f2);

	/* One snapshot for both cursors; READ ONLY so a bug here cannot
	 * write. Cursors need a transaction. Only keys public under the
	 * handle's view are visited (store_set_view). */
	free(f1);
	free(f2);
	if ((st = q(s, "mget: begin", "BEGIN ISOLATION LEVEL REPEATABLE READ"
	    " READ ONLY", NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, "mget: cursor", ids, NULL, 0, NULL)) != STORE_OK ||
	    (st = scan_cursor(s, "FETCH FORWARD " STR(STORE_SCAN_BATCH)
	    " FROM km_mget_ids", STORE_SCAN_KEYID, cb, arg, &stopped)) != STORE_OK)
		goto fail;
	if (!stopped &&
	    ((st = q(s, "mget: cursor", uids, NULL, 0, NULL)) != STORE_OK ||
	    (st = scan_cursor(s, "FETCH FORWARD " STR(STORE_SCAN_BATCH)
	    " FROM km_mget_uids", STORE_SCAN_UID, cb, arg, &stopped)) != STORE_OK))
		goto fail;
	/* COMMIT closes the cursors. */
	if ((st = q(s, "mget: commit", "COMMIT", NULL, 0, NULL)) != STORE_OK)
		goto fail;
	free(ids);
	free(uids);
	return STORE_OK;
fail:
	pg_rollback(s);
	free(ids);
	free(uids);
	return st;
}
