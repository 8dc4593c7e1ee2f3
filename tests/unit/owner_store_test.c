/*
 * tests/unit/owner_store_test.c - the owner-control tables of the store
 * (store/owner.c, held.c, pending.c, maillog.c) against a real PostgreSQL
 * server, with "now" given by the test: the recorded policy, the lookup
 * view, owner transactions, held items (newest wins, the caps, expiry
 * after HELD), requests (supersession, single use, expiry), the mail
 * log's rolling windows, nonces, and the hourly purge (held items after
 * held_days, mail_log rows after a day) - all at times chosen here, so
 * nothing depends on the clock.
 *
 * KM_TEST_PG as for store_test.c; the test makes database
 * km_owner_test_<pid> and drops it at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "check.h"
#include "control_fixture.h"
#include "pgp/pgp.h"
#include "store/store.h"
#include "util/xalloc.h"

#define T0	1780000000
#define DAY	86400

static PGconn *db;

static long
count(const char *sql)
{
	PGresult *r = PQexec(db, sql);
	long n = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void
test_policy(struct store *s)
{
	bool rec;
	enum store_policy p;

	CHECK_INT(store_policy_get(s, &rec, &p), STORE_OK);
	CHECK(!rec, "a fresh database records no policy");
	CHECK_INT(store_policy_set(s, STORE_POLICY_TRUSTED), STORE_OK);
	CHECK_INT(store_policy_get(s, &rec, &p), STORE_OK);
	CHECK(rec && p == STORE_POLICY_TRUSTED, "trusted recorded");
	CHECK_INT(store_policy_set(s, STORE_POLICY_OPEN), STORE_OK);
	CHECK_INT(store_policy_get(s, &rec, &p), STORE_OK);
	CHECK(rec && p == STORE_POLICY_OPEN, "open recorded");
	CHECK_INT(count("select count(*) from policy"), 1);
}

static void
test_view(struct store *s, const struct pgp_key *k)
{
	struct store_keys ks;
	struct store_owner o;

	store_set_view(s, STORE_POLICY_OPEN);
	CHECK_INT(store_get_by_fpr(s, k->pub.fpr, k->pub.fprlen, 10, &ks), STORE_OK);
	store_keys_free(&ks);
	store_set_view(s, STORE_POLICY_TRUSTED);
	CHECK_INT(store_get_by_fpr(s, k->pub.fpr, k->pub.fprlen, 10, &ks), STORE_NOTFOUND);
	CHECK_INT(store_get_by_keyid(s, k->pub.keyid, 8, 10, &ks), STORE_NOTFOUND);
	CHECK_INT(store_changed_since(s, 0, 10, &ks), STORE_NOTFOUND);
	/* Claim it visible with a published copy (the union's bytes). */
	CHECK_INT(store_owner_begin(s, k->pub.fpr, k->pub.fprlen, &o), STORE_OK);
	CHECK(!o.row && o.state == STORE_UNCLAIMED && !o.claimed, "no owner row yet");
	o.state = STORE_VISIBLE;
	o.claimed = true;
	o.last[STORE_CLASS_VISIBILITY] = T0;
	CHECK_INT(store_published_put(s, o.key_id, o.data, o.len, "Owner", false), STORE_OK);
	CHECK_INT(store_owner_put(s, &o), STORE_OK);
	CHECK_INT(store_owner_commit(s), STORE_OK);
	store_owner_free(&o);
	CHECK_INT(store_get_by_fpr(s, k->pub.fpr, k->pub.fprlen, 10, &ks), STORE_OK);
	CHECK_INT(ks.n, 1);
	store_keys_free(&ks);
	CHECK_INT(store_changed_since(s, 0, 10, &ks), STORE_OK);
	store_keys_free(&ks);
	CHECK_INT(store_owner_begin(s, k->pub.fpr, k->pub.fprlen, &o), STORE_OK);
	CHECK(o.row && o.state == STORE_VISIBLE && o.claimed && o.published != NULL,
	    "owner row read back");
	CHECK_INT(o.last[STORE_CLASS_VISIBILITY], T0);
	CHECK_INT(o.last[STORE_CLASS_CONTENT], -1);
	o.state = STORE_HIDDEN;
	CHECK_INT(store_owner_put(s, &o), STORE_OK);
	CHECK_INT(store_owner_commit(s), STORE_OK);
	store_owner_free(&o);
	CHECK_INT(store_get_by_fpr(s, k->pub.fpr, k->pub.fprlen, 10, &ks), STORE_NOTFOUND);
	store_set_view(s, STORE_POLICY_OPEN);
	CHECK_INT(store_get_by_fpr(s, k->pub.fpr, k->pub.fprlen, 10, &ks), STORE_NOTFOUND);
	store_set_view(s, STORE_POLICY_TRUSTED);
	CHECK_INT(store_owner_begin(s, (const uint8_t *)"nonexistent-fingerprint", 20, &o),
	    STORE_NOTFOUND);
}

static void
test_held(struct store *s, const struct pgp_key *k)
{
	struct store_owner o;
	struct store_helds h;
	struct store_purge_counts pc;
	static const uint8_t kid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t d1[] = "first", d2[] = "second, longer";
	bool refused;

	CHECK_INT(store_owner_begin(s, k->pub.fpr, k->pub.fprlen, &o), STORE_OK);
	CHECK_INT(store_held_put(s, o.key_id, "AA", kid, "uid:1", T0, d1, 5, T0,
	    30 * DAY, 2, 100, &refused), STORE_OK);
	CHECK(!refused, "first item held");
	/* Older of the same issuer and component: the newer stays. */
	CHECK_INT(store_held_put(s, o.key_id, "AA", kid, "uid:1", T0 - 1, d2, 14,
	    T0, 30 * DAY, 2, 100, &refused), STORE_OK);
	CHECK_INT(store_held_put(s, o.key_id, "BB", NULL, "uid:1", T0, d1, 5, T0,
	    30 * DAY, 2, 100, &refused), STORE_OK);
	/* A third issuer passes held_max_issuers 2; an issuer already
	 * holding items does not count as new. */
	CHECK_INT(store_held_put(s, o.key_id, "CC", NULL, "uid:1", T0, d1, 5, T0,
	    30 * DAY, 2, 100, &refused), STORE_OK);
	CHECK(refused, "third issuer refused");
	CHECK_INT(store_held_put(s, o.key_id, "BB", NULL, "uid:2", T0, d1, 5, T0,
	    30 * DAY, 2, 100, &refused), STORE_OK);
	CHECK(!refused, "known issuer, new component");
	/* held_max_size: 15 bytes held, 14 more pass 20. */
	CHECK_INT(store_held_put(s, o.key_id, "AA", kid, "uid:3", T0, d2, 14, T0,
	    30 * DAY, 2, 20, &refused), STORE_OK);
	CHECK(refused, "size cap");
	/* Newer replaces (size counted without the old one). */
	CHECK_INT(store_held_put(s, o.key_id, "AA", kid, "uid:1", T0 + 5, d2, 14,
	    T0 + 5, 30 * DAY, 2, 30, &refused), STORE_OK);
	CHECK(!refused, "newer replaces");
	CHECK_INT(store_held_list(s, o.key_id, &h), STORE_OK);
	CHECK_INT(h.n, 3);
	if (h.n == 3) {
		CHECK_STR(h.v[0].issuer, "AA");
		CHECK_INT(h.v[0].created, T0 + 5);
		CHECK_INT(h.v[0].len, 14);
		CHECK(memcmp(h.v[0].issuer_keyid, kid, 8) == 0, "key ID kept");
		CHECK_INT(h.v[0].expires, T0 + 5 + 30 * DAY);
		CHECK_STR(h.v[1].component, "uid:1");
		CHECK_STR(h.v[2].component, "uid:2");
	}
	store_helds_free(&h);
	/* HELD at T0 + 1 day: at most 7 days from then. */
	CHECK_INT(store_held_fetched(s, o.key_id, T0 + DAY, 7 * DAY), STORE_OK);
	CHECK_INT(store_held_list(s, o.key_id, &h), STORE_OK);
	CHECK(h.n == 3 && h.v[0].expires == T0 + 8 * DAY, "fetched moves the expiry");
	store_helds_free(&h);
	/* A second HELD later does not move it again. */
	CHECK_INT(store_held_fetched(s, o.key_id, T0 + 3 * DAY, 7 * DAY), STORE_OK);
	CHECK_INT(store_held_list(s, o.key_id, &h), STORE_OK);
	CHECK(h.n == 3 && h.v[0].expires == T0 + 8 * DAY, "first HELD counts");
	store_helds_free(&h);
	CHECK_INT(store_held_delete(s, o.key_id, "BB", "uid:2"), STORE_OK);
	CHECK_INT(store_owner_commit(s), STORE_OK);
	store_owner_free(&o);
	/* The purge: nothing at T0 + 7 days, everything after 8. */
	CHECK_INT(store_owner_purge(s, T0 + 7 * DAY, &pc), STORE_OK);
	CHECK_INT(pc.held, 0);
	CHECK_INT(store_owner_purge(s, T0 + 8 * DAY, &pc), STORE_OK);
	CHECK_INT(pc.held, 2);
	CHECK_INT(count("select count(*) from held"), 0);
}

static void
test_pending(struct store *s)
{
	struct store_pending p, got;
	struct store_purge_counts pc;
	uint8_t h1[32], h2[32], h3[32];

	memset(h1, 1, 32);
	memset(h2, 2, 32);
	memset(h3, 3, 32);
	memset(&p, 0, sizeof(p));
	snprintf(p.kind, sizeof(p.kind), "challenge");
	memset(p.fpr, 0xab, 20);
	p.fprlen = 20;
	p.cls = STORE_CLASS_VISIBILITY;
	p.command = xstrdup("SHOW ABAB");
	p.requested_by = xstrdup("a@example.org");
	p.created = T0;
	p.expires = T0 + DAY;
	CHECK_INT(store_pending_add(s, &p, h1), STORE_OK);
	CHECK_INT(store_pending_peek(s, h1, T0 + 1, &got), STORE_OK);
	CHECK_STR(got.command, "SHOW ABAB");
	CHECK_INT(got.cls, STORE_CLASS_VISIBILITY);
	store_pending_free(&got);
	/* The same key and class again: the first is superseded. */
	CHECK_INT(store_pending_add(s, &p, h2), STORE_OK);
	CHECK_INT(store_pending_peek(s, h1, T0 + 1, &got), STORE_NOTFOUND);
	/* Another class stays. */
	p.cls = STORE_CLASS_SETTINGS;
	CHECK_INT(store_pending_add(s, &p, h3), STORE_OK);
	CHECK_INT(store_pending_peek(s, h2, T0 + 1, &got), STORE_OK);
	store_pending_free(&got);
	/* Expired at its expiry, not before. */
	CHECK_INT(store_pending_peek(s, h2, T0 + DAY, &got), STORE_NOTFOUND);
	CHECK_INT(store_pending_take(s, h2, T0 + DAY - 1, &got), STORE_OK);
	store_pending_free(&got);
	CHECK_INT(store_pending_take(s, h2, T0 + 2, &got), STORE_NOTFOUND);
	free(p.command);
	free(p.requested_by);
	/* Address tokens: superseded per address (any case), kind and key. */
	memset(&p, 0, sizeof(p));
	snprintf(p.kind, sizeof(p.kind), "notify");
	memset(p.fpr, 0xcd, 20);
	p.fprlen = 20;
	p.cls = -1;
	p.address = xstrdup("Watch@Example.NET");
	p.command = xstrdup("NOTIFY CDCD watch@example.net");
	p.requested_by = xstrdup("a@example.org");
	p.created = T0;
	p.expires = T0 + 3 * DAY;
	memset(h1, 4, 32);
	memset(h2, 5, 32);
	CHECK_INT(store_pending_add(s, &p, h1), STORE_OK);
	free(p.address);
	p.address = xstrdup("watch@example.net");
	CHECK_INT(store_pending_add(s, &p, h2), STORE_OK);
	CHECK_INT(store_pending_peek(s, h1, T0, &got), STORE_NOTFOUND);
	CHECK_INT(store_pending_peek(s, h2, T0, &got), STORE_OK);
	store_pending_free(&got);
	store_pending_free(&p);
	/* Purge at T0 + 3 days: every request is expired, used or
	 * superseded by then. */
	CHECK_INT(store_owner_purge(s, T0 + 3 * DAY, &pc), STORE_OK);
	CHECK_INT(count("select count(*) from pending"), 0);
}

static void
test_maillog(struct store *s)
{
	static const char *const both[] = { "challenge", "held", NULL };
	static const char *const ch[] = { "challenge", NULL };
	struct store_mail_limit l[2] = {
		{ "max_token_mails_per_day", STORE_MAIL_BY_RECIPIENT, both, DAY, 2 },
		{ "max_challenges_per_key_per_day", STORE_MAIL_BY_KEY, ch, DAY, 3 },
	};
	struct store_purge_counts pc;
	uint8_t fpr[20];
	uint64_t n;
	int over;

	memset(fpr, 7, sizeof(fpr));
	CHECK_INT(store_mail_take(s, "V@example.org", "challenge", fpr, 20, T0, l, 2,
	    &over), STORE_OK);
	CHECK_INT(over, -1);
	CHECK_INT(store_mail_take(s, "v@EXAMPLE.org", "held", fpr, 20, T0 + 10, l, 2,
	    &over), STORE_OK);
	CHECK_INT(over, -1);
	/* The third token mail to v@ within a day: refused, not recorded. */
	CHECK_INT(store_mail_take(s, "v@example.org", "challenge", fpr, 20,
	    T0 + 20, l, 2, &over), STORE_OK);
	CHECK_INT(over, 0);
	CHECK_INT(count("select count(*) from mail_log"), 2);
	/* Other recipients: the per-key limit (3) applies. */
	CHECK_INT(store_mail_take(s, "w@example.org", "challenge", fpr, 20, T0 + 30,
	    l, 2, &over), STORE_OK);
	CHECK_INT(over, -1);
	CHECK_INT(store_mail_take(s, "x@example.org", "challenge", fpr, 20, T0 + 40,
	    l, 2, &over), STORE_OK);
	CHECK_INT(over, -1);
	CHECK_INT(store_mail_take(s, "y@example.org", "challenge", fpr, 20, T0 + 50,
	    l, 2, &over), STORE_OK);
	CHECK_INT(over, 1);
	/* Rolling: one day after the first, v@ has room for one. */
	CHECK_INT(store_mail_take(s, "v@example.org", "held", fpr, 20, T0 + DAY,
	    l, 2, &over), STORE_OK);
	CHECK_INT(over, -1);
	CHECK_INT(store_mail_take(s, "v@example.org", "held", fpr, 20, T0 + DAY + 1,
	    l, 2, &over), STORE_OK);
	CHECK_INT(over, 0);
	CHECK_INT(store_mail_record(s, "g@example.org", "bad-token", NULL, 0, T0), STORE_OK);
	CHECK_INT(store_mail_count(s, "G@example.org", "bad-token", T0 + 3599, 3600, &n),
	    STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_mail_count(s, "g@example.org", "bad-token", T0 + 3600, 3600, &n),
	    STORE_OK);
	CHECK_INT(n, 0);
	/* The purge keeps a day. */
	CHECK_INT(store_owner_purge(s, T0 + DAY, &pc), STORE_OK);
	CHECK_INT(pc.mail_log, 2);
	CHECK_INT(count("select count(*) from mail_log"), 4);
}

static void
test_nonce(struct store *s, const struct pgp_key *k)
{
	struct store_owner o;
	struct store_purge_counts pc;
	uint8_t m1[32], m2[32];
	bool fresh, same;

	memset(m1, 1, 32);
	memset(m2, 2, 32);
	CHECK_INT(store_owner_begin(s, k->pub.fpr, k->pub.fprlen, &o), STORE_OK);
	CHECK_INT(store_nonce_use(s, k->pub.fpr, k->pub.fprlen, "nonce-1234567890",
	    m1, T0 + DAY, &fresh, &same), STORE_OK);
	CHECK(fresh, "new nonce");
	CHECK_INT(store_nonce_use(s, k->pub.fpr, k->pub.fprlen, "nonce-1234567890",
	    m1, T0 + DAY, &fresh, &same), STORE_OK);
	CHECK(!fresh && same, "same mail again");
	CHECK_INT(store_nonce_use(s, k->pub.fpr, k->pub.fprlen, "nonce-1234567890",
	    m2, T0 + DAY, &fresh, &same), STORE_OK);
	CHECK(!fresh && !same, "replay");
	CHECK_INT(store_owner_commit(s), STORE_OK);
	store_owner_free(&o);
	CHECK_INT(store_owner_purge(s, T0 + DAY - 1, &pc), STORE_OK);
	CHECK_INT(pc.nonces, 0);
	CHECK_INT(store_owner_purge(s, T0 + DAY, &pc), STORE_OK);
	CHECK_INT(pc.nonces, 1);
}

int
main(void)
{
	const char *pg = getenv("KM_TEST_PG");
	struct pgp_merge_counts mc;
	struct store *s = NULL;
	struct pgp_key *k;
	PGconn *admin;
	char *sql, *dbname, *conninfo, *text;
	size_t len;

	if (pg == NULL || *pg == '\0') {
		CHECK(0, "KM_TEST_PG is not set (tests/run sets it)");
		return check_done();
	}
	(void)pgp_crypto_init();
	text = cf_slurp("tests/unit/data/owner/o.asc", &len);
	k = text ? cf_read_key(text, len, NULL) : NULL;
	free(text);
	CHECK(k != NULL && pgp_key_check(k, T0 + 1000, NULL, 0) == PGP_OK, "fixture key");
	if (k == NULL)
		return check_done();
	sql = xasprintf("%s dbname=postgres", pg);
	admin = PQconnectdb(sql);
	free(sql);
	(void)PQsetNoticeProcessor(admin, quiet, NULL);
	dbname = xasprintf("km_owner_test_%ld", (long)getpid());
	sql = xasprintf("CREATE DATABASE %s", dbname);
	PQclear(PQexec(admin, sql));
	free(sql);
	conninfo = xasprintf("%s dbname=%s", pg, dbname);
	db = PQconnectdb(conninfo);
	(void)PQsetNoticeProcessor(db, quiet, NULL);
	CHECK(PQstatus(db) == CONNECTION_OK, "test database");
	if (store_open(conninfo, &s) == STORE_OK && store_initdb(s) == STORE_OK) {
		test_policy(s);
		CHECK_INT(store_merge_key(s, k, NULL, &mc), STORE_OK);
		test_view(s, k);
		test_held(s, k);
		test_pending(s);
		test_maillog(s);
		test_nonce(s, k);
	} else
		CHECK(0, "store: %s", s ? store_errmsg(s) : "?");
	store_close(s);
	PQfinish(db);
	sql = xasprintf("DROP DATABASE IF EXISTS %s", dbname);
	PQclear(PQexec(admin, sql));
	free(sql);
	PQfinish(admin);
	free(dbname);
	free(conninfo);
	pgp_key_free(k);
	return check_done();
}
