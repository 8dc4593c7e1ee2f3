/*
 * tests/unit/syncq_test.c - the sync queue and the MGET scan of the store
 * (sql/002-sync.sql, store_merge_key_sync, store_sync_*,
 * store_scan_ids_uids) against a real PostgreSQL server.
 *
 * KM_TEST_PG as for store_test.c (unset is a failure). The test creates
 * database km_syncq_test_<pid> and drops it at the end; it looks behind
 * the store API with its own libpq connection. Keys: the two fixtures
 * made with GnuPG for this project (pgp_fixture.h, sync_fixture.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "check.h"
#include "pgp_fixture.h"
#include "sync_fixture.h"
#include "store/store.h"
#include "util/limits.h"
#include "util/xalloc.h"

static const struct pgp_limits lim = {
	.max_key_size = KM_MAX_KEY_SIZE,
	.max_packets_per_key = KM_MAX_PACKETS_PER_KEY,
	.max_uid_length = KM_MAX_UID_LENGTH,
};

static PGconn *db;

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int
sql_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		printf("sql %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

/* First value of a query (caller frees); "(null)" for SQL NULL, NULL on
 * error or no row. */
static char *
sql1(const char *sql)
{
	PGresult *r = PQexec(db, sql);
	char *v = NULL;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = xstrdup(PQgetisnull(r, 0, 0) ? "(null)" : PQgetvalue(r, 0, 0));
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		printf("sql %s: %s", sql, PQerrorMessage(db));
	PQclear(r);
	return v;
}

#define CHECK_SQL(sql, want) do {					\
	char *v_ = sql1(sql);						\
	CHECK(v_ != NULL && strcmp(v_, (want)) == 0,			\
	    "%s: got \"%s\", want \"%s\"", (sql), v_ ? v_ : "(no row)", (want)); \
	free(v_);							\
} while (0)

/* Holders of the sync run's lock in this database (not the cluster's). */
#define SYNC_LOCK_HELD	"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'" \
	" AND classid = 28013 AND objid = 2 AND database = (SELECT oid" \
	" FROM pg_database WHERE datname = current_database())"

/* Wait (up to a minute) until nobody holds the sync lock: a closed
 * session's backend lets go of it only once it has noticed the close. */
static bool
sync_lock_freed(void)
{
	int i;

	for (i = 0; i < 1200; i++) {
		char *v = sql1(SYNC_LOCK_HELD);
		bool free_ = v != NULL && strcmp(v, "0") == 0;

		free(v);
		if (free_)
			return true;
		usleep(50000);
	}
	return false;
}

static int
first_key(void *ctx, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	struct pgp_key **out = ctx;

	(void)fpr;
	(void)fprlen;
	(void)detail;
	if (st == PGP_OK && *out == NULL)
		*out = key;
	else
		pgp_key_free(key);
	return 0;
}

static int
on_armor(void *ctx, enum pgp_armor_kind kind, const uint8_t *data, size_t len,
    bool crc_ok, enum pgp_status st)
{
	(void)kind;
	(void)crc_ok;
	if (st == PGP_OK)
		(void)pgp_keys_read(data, len, &lim, first_key, ctx);
	return 1;
}

/* A checked key from armor, with drop_uids user IDs and drop_subs subkeys
 * removed from the end (to make "older" versions of the same key). */
static struct pgp_key *
checked_key(const char *asc, size_t drop_uids, size_t drop_subs)
{
	struct pgp_key *k = NULL;

	(void)pgp_armor_scan(asc, strlen(asc), 0, on_armor, &k);
	if (k == NULL)
		return NULL;
	while (drop_uids-- > 0 && k->nuids > 1)
		pgp_component_clear(&k->uids[--k->nuids]);
	while (drop_subs-- > 0 && k->nsubkeys > 0)
		pgp_component_clear(&k->subkeys[--k->nsubkeys]);
	if (pgp_key_check(k, time(NULL), NULL, 0) != PGP_OK) {
		pgp_key_free(k);
		return NULL;
	}
	return k;
}

/* ---- MGET scan ------------------------------------------------------- */

struct scan {
	int uids, keyids, stop_after;
	bool saw_second_uid, saw_fixture_short;
};

static int
on_row(void *arg, int64_t key_id, enum store_scan_kind kind, const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen)
{
	struct scan *sc = arg;

	(void)key_id;
	if (kind == STORE_SCAN_UID) {
		sc->uids++;
		if (alen == 40 && !memcmp(a, "Second Identity <second@keymail.example>", 40))
			sc->saw_second_uid = true;
	} else {
		sc->keyids++;
		/* FIXTURE_FPR ends in ...D48733E5: its 64-bit ID's last 4 bytes. */
		if (blen == 8 && alen == 20 && b[4] == 0xD4 && b[5] == 0x87 &&
		    b[6] == 0x33 && b[7] == 0xE5)
			sc->saw_fixture_short = true;
	}
	return sc->stop_after > 0 && sc->uids + sc->keyids >= sc->stop_after;
}

static void
test_scan(struct store *s)
{
	struct scan sc;

	memset(&sc, 0, sizeof(sc));
	CHECK_INT(store_scan_ids_uids(s, on_row, &sc), STORE_OK);
	/* Two keys with one subkey each; user IDs: 2 + 1 (no attribute). */
	CHECK_INT(sc.keyids, 4);
	CHECK_INT(sc.uids, 3);
	CHECK(sc.saw_second_uid, "second user ID not scanned");
	CHECK(sc.saw_fixture_short, "fixture key ID not scanned");
	/* Stopping early is not an error, and leaves no transaction open. */
	memset(&sc, 0, sizeof(sc));
	sc.stop_after = 2;
	CHECK_INT(store_scan_ids_uids(s, on_row, &sc), STORE_OK);
	CHECK_INT(sc.uids + sc.keyids, 2);
	memset(&sc, 0, sizeof(sc));
	CHECK_INT(store_scan_ids_uids(s, on_row, &sc), STORE_OK);
	CHECK_INT(sc.uids + sc.keyids, 7);
	/* The trigger's parser agrees with ours on the photo key: one user
	 * ID, the attribute left out. */
	CHECK_SQL("SELECT count(*) FROM key_uids u JOIN keys k ON k.id = u.key_id"
	    " WHERE k.fingerprint = '\\x" PHOTO_FPR "'::bytea", "1");
	CHECK_SQL("SELECT convert_from(u.uid, 'UTF8') FROM key_uids u JOIN keys k"
	    " ON k.id = u.key_id WHERE k.fingerprint = '\\x" PHOTO_FPR "'::bytea",
	    "Photo Tester <photo@keymail.example>");
}

/* ---- queue ----------------------------------------------------------- */

static int64_t
fixture_row_id(void)
{
	char *v = sql1("SELECT id FROM keys WHERE fingerprint = '\\x" FIXTURE_FPR "'::bytea");
	int64_t id = v ? strtoll(v, NULL, 10) : -1;

	free(v);
	return id;
}

static void
test_queue(const char *conninfo, struct store *s)
{
	struct pgp_key *k1 = checked_key(fixture_asc, 1, 1);	/* 1 user ID */
	struct pgp_key *k2 = checked_key(fixture_asc, 1, 0);	/* + subkey */
	struct pgp_key *k3 = checked_key(fixture_asc, 0, 0);	/* + user ID */
	struct pgp_key *photo = checked_key(photo_asc, 0, 0);
	struct pgp_merge_counts c;
	struct store_sync_entries es;
	struct store *s2 = NULL;
	char *trail1[] = { "a@x.example", "b@x.example", "b@x.example", "" };
	char *trail2[] = { "b@x.example", "d@x.example" };
	char *odd[] = { "we\"ird\\,{x} y@example" };
	int64_t id;
	size_t n;
	bool got;

	CHECK(k1 && k2 && k3 && photo, "fixture keys do not parse/check");
	if (!k1 || !k2 || !k3 || !photo)
		goto out;

	/* A plain merge queues nothing (no peers configured, bulk loads). */
	CHECK_INT(store_merge_key(s, k1, &lim, &c), STORE_OK);
	CHECK_INT(c.new_keys, 1);
	CHECK_SQL("SELECT count(*) FROM sync_queue", "0");
	/* Nothing new: nothing queued either ("nothing new, send nothing"). */
	CHECK_INT(store_merge_key_sync(s, k1, &lim, &c, trail1, 4), STORE_OK);
	CHECK_SQL("SELECT count(*) FROM sync_queue", "0");
	/* New data: queued with the trail, duplicates and "" left out. */
	CHECK_INT(store_merge_key_sync(s, k2, &lim, &c, trail1, 4), STORE_OK);
	CHECK_INT(c.new_subkeys, 1);
	CHECK_SQL("SELECT seen::text || ' ' || sent::text || ' ' || gen FROM sync_queue",
	    "{a@x.example,b@x.example} {} 1");
	id = fixture_row_id();

	/* Marks: once per peer, lower case, only for the generation read. */
	CHECK_INT(store_sync_mark(s, id, 1, "C@X.Example"), STORE_OK);
	CHECK_INT(store_sync_mark(s, id, 1, "c@x.example"), STORE_OK);
	CHECK_INT(store_sync_mark(s, id, 7, "e@x.example"), STORE_OK);
	CHECK_SQL("SELECT sent::text FROM sync_queue", "{c@x.example}");

	/* The key changes again while queued: the seen-sets intersect, the
	 * marks go (those peers have not seen the new data), gen goes up. */
	CHECK_INT(store_merge_key_sync(s, k3, &lim, &c, trail2, 2), STORE_OK);
	CHECK_INT(c.new_uids, 1);
	CHECK_SQL("SELECT seen::text || ' ' || sent::text || ' ' || gen FROM sync_queue",
	    "{b@x.example} {} 2");
	/* A run that read generation 1 can neither mark nor finish it. */
	CHECK_INT(store_sync_mark(s, id, 1, "c@x.example"), STORE_OK);
	CHECK_INT(store_sync_done(s, id, 1), STORE_OK);
	CHECK_SQL("SELECT sent::text || ' ' || gen FROM sync_queue", "{} 2");
	/* A user ADD (empty trail) of a change empties the seen-set. */
	CHECK_INT(store_merge_key_sync(s, photo, &lim, &c, odd, 1), STORE_OK);
	CHECK_SQL("SELECT count(*) FROM sync_queue", "2");

	/* Fetch pages in key_id order, with the stored key and the trail
	 * exactly as given (quotes, backslash, comma, braces, blank). */
	CHECK_INT(store_sync_fetch(s, 0, 1, &es), STORE_OK);
	CHECK_INT(es.n, 1);
	if (es.n == 1) {
		CHECK(es.v[0].key_id == id, "first entry is not the fixture");
		CHECK(es.v[0].gen == 2, "gen %lld", (long long)es.v[0].gen);
		CHECK_INT(es.v[0].nseen, 1);
		CHECK_INT(es.v[0].nsent, 0);
		if (es.v[0].nseen == 1)
			CHECK_STR(es.v[0].seen[0], "b@x.example");
		CHECK(es.v[0].len > 100 && es.v[0].data[0] == 0x98,
		    "key data (len %zu)", es.v[0].len);
		n = (size_t)es.v[0].key_id;
		store_sync_entries_free(&es);
		CHECK_INT(store_sync_fetch(s, (int64_t)n, 10, &es), STORE_OK);
		CHECK_INT(es.n, 1);
		if (es.n == 1 && es.v[0].nseen == 1)
			CHECK_STR(es.v[0].seen[0], odd[0]);
		if (es.n == 1)
			CHECK_INT(store_sync_done(s, es.v[0].key_id, es.v[0].gen), STORE_OK);
		store_sync_entries_free(&es);
	}
	CHECK_SQL("SELECT count(*) FROM sync_queue", "1");
	/* Done for the generation read: gone. */
	CHECK_INT(store_sync_mark(s, id, 2, "b2@x.example"), STORE_OK);
	CHECK_SQL("SELECT sent::text FROM sync_queue", "{b2@x.example}");
	CHECK_INT(store_sync_done(s, id, 2), STORE_OK);
	CHECK_SQL("SELECT count(*) FROM sync_queue", "0");
	CHECK_INT(store_sync_fetch(s, 0, 10, &es), STORE_OK);
	CHECK_INT(es.n, 0);

	/* Expiry: only entries queued longer ago than max_age. */
	CHECK_INT(sql_exec(db, "INSERT INTO sync_queue (key_id, queued) SELECT id,"
	    " now() - interval '8 days' FROM keys"), 0);
	CHECK_INT(sql_exec(db, "UPDATE sync_queue SET queued = now() WHERE key_id = (SELECT"
	    " min(id) FROM keys)"), 0);
	CHECK_INT(store_sync_expire(s, 7 * 86400, &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_SQL("SELECT count(*) FROM sync_queue", "1");
	CHECK_INT(sql_exec(db, "DELETE FROM sync_queue"), 0);

	/* One run at a time: the lock is per session and dies with it. */
	CHECK_INT(store_sync_lock(s, &got), STORE_OK);
	CHECK(got, "first lock not taken");
	CHECK_INT(store_open(conninfo, &s2), STORE_OK);
	CHECK_INT(store_sync_lock(s2, &got), STORE_OK);
	CHECK(!got, "second session took the lock too");
	store_close(s2);
	CHECK_INT(sql_exec(db, "SELECT pg_advisory_unlock_all()"), 0);
	CHECK_SQL(SYNC_LOCK_HELD, "1");
	/* Given back, it is free at once (no waiting for a backend to
	 * exit): the next session takes it. */
	CHECK_INT(store_sync_unlock(s), STORE_OK);
	CHECK_SQL(SYNC_LOCK_HELD, "0");
	CHECK_INT(store_open(conninfo, &s2), STORE_OK);
	CHECK_INT(store_sync_lock(s2, &got), STORE_OK);
	CHECK(got, "lock not free after store_sync_unlock");
	CHECK_INT(store_sync_unlock(s2), STORE_OK);
	store_close(s2);
out:
	pgp_key_free(k1);
	pgp_key_free(k2);
	pgp_key_free(k3);
	pgp_key_free(photo);
}

/* The lock holder goes away without giving it back (a killed run): the
 * lock goes with its session, once the server has seen it end; then the
 * next run gets it. */
static void
test_lock_release(const char *conninfo, struct store **s)
{
	struct store *s2 = NULL;
	bool got = false;

	CHECK_INT(store_sync_lock(*s, &got), STORE_OK);
	CHECK(got, "lock not taken");
	store_close(*s);
	*s = NULL;
	CHECK(sync_lock_freed(), "lock not released with its session");
	CHECK_INT(store_open(conninfo, &s2), STORE_OK);
	CHECK_INT(store_sync_lock(s2, &got), STORE_OK);
	CHECK(got, "lock not free for the next session");
	*s = s2;
}

int
main(void)
{
	const char *pg = getenv("KM_TEST_PG");
	PGconn *admin;
	struct store *s;
	char *dbname, *sql, *conninfo;

	if (pg == NULL || *pg == '\0') {
		CHECK(0, "KM_TEST_PG is not set: this test needs a PostgreSQL "
		    "server (tests/run starts one)");
		return check_done();
	}
	(void)pgp_crypto_init();
	sql = xasprintf("%s dbname=postgres application_name=syncq_test", pg);
	admin = PQconnectdb(sql);
	free(sql);
	if (PQstatus(admin) != CONNECTION_OK) {
		CHECK(0, "cannot connect to KM_TEST_PG (%s): %s", pg,
		    PQerrorMessage(admin));
		PQfinish(admin);
		return check_done();
	}
	(void)PQsetNoticeProcessor(admin, quiet, NULL);
	dbname = xasprintf("km_syncq_test_%ld", (long)getpid());
	sql = xasprintf("CREATE DATABASE %s", dbname);
	CHECK_INT(sql_exec(admin, sql), 0);
	free(sql);
	conninfo = xasprintf("%s dbname=%s", pg, dbname);
	db = PQconnectdb(conninfo);
	(void)PQsetNoticeProcessor(db, quiet, NULL);
	if (store_open(conninfo, &s) != STORE_OK) {
		CHECK(0, "store_open: %s", store_errmsg(s));
	} else {
		CHECK_INT(store_initdb(s), STORE_OK);
		test_queue(conninfo, s);
		test_lock_release(conninfo, &s);
		test_scan(s);
	}
	store_close(s);
	PQfinish(db);
	sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	CHECK_INT(sql_exec(admin, sql), 0);
	free(sql);
	PQfinish(admin);
	free(dbname);
	free(conninfo);
	return check_done();
}
