/*
 * cmd/pipeline_db.c - the database handles a caller keeps across requests
 * (pipeline.h struct pipeline_db): the primary for writes, the reply
 * counter and (without a standby) lookups; a hot standby (database_ro,
 * server.md 7) for lookups when the caller has one.
 *
 * keymail filter uses the primary only, opened when the message first
 * needs it. keymail serve's workers open both when they start and keep
 * them: a connection found broken is dropped and opened again by the
 * next call; a standby that fails is avoided for STANDBY_RETRY_MS, the
 * lookup running on the primary in the same call meanwhile. The loss and
 * the return of each connection are logged once; errors on a live
 * connection (a query the server refused) are logged each time, as the
 * filter always has.
 *
 * Memory: the handles are owned by struct pipeline_db; the connection
 * strings are the caller's.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/pipeline.h"
#include "util/clock.h"
#include "util/log.h"

#define STANDBY_RETRY_MS	30000	/* server.md 7.2: no sooner than 30 s */

static void
say(char *why, size_t whylen, const char *msg)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", msg);
}

void
pipeline_db_init(struct pipeline_db *db, const char *conninfo)
{
	memset(db, 0, sizeof(*db));
	db->conninfo = conninfo;
}

void
pipeline_db_close(struct pipeline_db *db)
{
	store_close(db->rw);
	db->rw = NULL;
	store_close(db->ro);
	db->ro = NULL;
}

struct store *
pipeline_db_primary(struct pipeline_db *db, enum store_status *st, char *why,
    size_t whylen)
{
	struct store *s = NULL;

	*st = STORE_OK;
	if (db->rw != NULL)
		return db->rw;
	*st = store_open_as(db->conninfo, db->appname, 0, &s);
	if (*st != STORE_OK) {
		const char *msg = s ? store_errmsg(s) : store_strerror(*st);

		if (!db->rw_down || *st == STORE_ERROR)
			log_warnx("database: %s", msg);
		say(why, whylen, msg);
		db->rw_down = *st == STORE_TEMPFAIL;
		store_close(s);
		return NULL;
	}
	if (db->rw_down)
		log_info("database: connected again");
	db->rw_down = false;
	db->rw = s;
	return s;
}

bool
pipeline_db_primary_failed(struct pipeline_db *db, enum store_status st,
    char *why, size_t whylen)
{
	const char *msg = db->rw ? store_errmsg(db->rw) : store_strerror(st);
	bool lost = st == STORE_TEMPFAIL && db->rw != NULL && !store_connected(db->rw);

	say(why, whylen, msg);
	if (!lost) {
		log_warnx("database: %s", msg);
		return false;
	}
	if (!db->rw_down)
		log_warnx("database: %s", msg);
	db->rw_down = true;
	store_close(db->rw);
	db->rw = NULL;
	return true;
}

/* The standby's handle, if there is one to use now. */
static struct store *
standby(struct pipeline_db *db)
{
	struct store *s = NULL;
	enum store_status st;

	if (db->conninfo_ro == NULL || *db->conninfo_ro == '\0')
		return NULL;
	if (db->ro != NULL)
		return db->ro;
	if (db->ro_avoid_until != 0 && clock_ms() < db->ro_avoid_until)
		return NULL;
	st = store_open_as(db->conninfo_ro, db->appname, STORE_OPEN_READONLY, &s);
	if (st != STORE_OK) {
		if (!db->ro_down)
			log_warnx("database_ro: %s; lookups go to the primary, the "
			    "standby is tried again in 30 s", s ? store_errmsg(s) :
			    store_strerror(st));
		db->ro_down = true;
		db->ro_avoid_until = clock_ms() + STANDBY_RETRY_MS;
		store_close(s);
		return NULL;
	}
	if (db->ro_down)
		log_info("database_ro: connected again; lookups go to the standby");
	db->ro_down = false;
	db->ro_avoid_until = 0;
	db->ro = s;
	return s;
}

void
pipeline_db_connect(struct pipeline_db *db)
{
	enum store_status st;

	(void)pipeline_db_primary(db, &st, NULL, 0);
	(void)standby(db);
}

enum store_status
pipeline_db_lookup(struct pipeline_db *db, pipeline_lookup_fn fn, void *arg,
    char *why, size_t whylen)
{
	struct store *s;
	enum store_status st;
	int attempt;

	if ((s = standby(db)) != NULL) {
		st = fn(arg, s);
		if (st == STORE_OK)
			return st;
		/* Whatever went wrong there (refused, lost, shutting down, a
		 * recovery conflict), the primary answers this time. */
		if (!db->ro_down)
			log_warnx("database_ro: %s; lookups go to the primary, the "
			    "standby is tried again in 30 s", store_errmsg(s));
		db->ro_down = true;
		db->ro_avoid_until = clock_ms() + STANDBY_RETRY_MS;
		store_close(db->ro);
		db->ro = NULL;
	}
	st = STORE_TEMPFAIL;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((s = pipeline_db_primary(db, &st, why, whylen)) == NULL)
			return st;
		st = fn(arg, s);
		if (st == STORE_OK)
			return st;
		if (!pipeline_db_primary_failed(db, st, why, whylen))
			return st;	/* the server refused the query: no retry */
	}
	return st;
}
