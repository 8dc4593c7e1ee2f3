/*
 * tests/unit/store_test.c - the key store (store/) against a real
 * PostgreSQL server.
 *
 * KM_TEST_PG is a libpq conninfo without dbname (tests/run sets it; for a
 * private server: `sh scripts/pg.sh start /tmp/x`, minus " dbname=keymail").
 * Unset is a failure, not a skip: a skipped store test proves nothing. The
 * test creates database km_store_test_<pid> and drops it at the end.
 *
 * Keys are real ones from ../shared/testdata/keys (read in place, relative
 * to $KM_TOP or the current directory), parsed and checked by the pgp
 * layer. Without the corpus we fall back to keys gpg makes on the spot.
 *
 * Besides the store API, the test opens its own libpq connection to look
 * behind it (schema_version, exact "changed" stamps, row counts) and to
 * create/drop the database; libpq is otherwise confined to store/.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "check.h"
#include "pgp/pgp.h"
#include "store/schema.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/xalloc.h"

#define NCHILDREN	8

static const struct pgp_limits lim = {
	KM_MAX_KEY_SIZE, KM_MAX_PACKETS_PER_KEY, KM_MAX_UID_LENGTH,
	KM_MAX_SIGS_PER_UID
};

static PGconn *db;		/* direct connection to the test database */
static char *conninfo;		/* the test database, for store_open */
static char *corpus;		/* corpus directory, NULL if absent */

/* ---- helpers ------------------------------------------------------------ */

struct keyset {
	struct pgp_key **v;
	size_t n;
};

static void
keyset_free(struct keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		pgp_key_free(ks->v[i]);
	free(ks->v);
	ks->v = NULL;
	ks->n = 0;
}

static int
key_cb(void *ctx, struct pgp_key *key, enum pgp_status st, const uint8_t *fpr,
    size_t fprlen, const char *detail)
{
	struct keyset *ks = ctx;
	char why[256];

	(void)fpr;
	(void)fprlen;
	(void)detail;
	if (st != PGP_OK || key == NULL)
		return 0;
	/* store_merge_key takes checked keys only. */
	if (pgp_key_check(key, time(NULL), why, sizeof(why)) != PGP_OK) {
		pgp_key_free(key);
		return 0;
	}
	ks->v = xreallocarray(ks->v, ks->n + 1, sizeof(*ks->v));
	ks->v[ks->n++] = key;
	return 0;
}

static int
armor_cb(void *ctx, enum pgp_armor_kind kind, const uint8_t *data, size_t len,
    bool crc_ok, enum pgp_status st)
{
	(void)crc_ok;
	if (st == PGP_OK && kind == PGP_ARMOR_PUBLIC_KEY && data != NULL)
		(void)pgp_keys_read(data, len, &lim, key_cb, ctx);
	return 0;
}

/* Parse armored or binary key data into checked keys. */
static void
parse_keys(const uint8_t *data, size_t len, struct keyset *ks)
{
	if (memmem(data, len, "-----BEGIN PGP", 14) != NULL)
		(void)pgp_armor_scan((const char *)data, len, lim.max_key_size,
		    armor_cb, ks);
	else
		(void)pgp_keys_read(data, len, &lim, key_cb, ks);
}

static int
read_file(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY), r;

	if (fd == -1)
		return -1;
	r = buf_read_fd(b, fd);
	close(fd);
	return r;
}

/* The first checked key of a corpus file, or NULL (with a NOTE). */
static struct pgp_key *
corpus_key(const char *rel)
{
	struct keyset ks = { NULL, 0 };
	struct pgp_key *k = NULL;
	struct buf b;
	char *path;
	size_t i;

	if (corpus == NULL)
		return NULL;
	path = xasprintf("%s/%s", corpus, rel);
	buf_init(&b, 0);
	if (read_file(path, &b) == 0)
		parse_keys(b.data, b.len, &ks);
	if (ks.n == 0)
		printf("NOTE: no checked key in %s\n", path);
	else {
		k = ks.v[0];
		for (i = 1; i < ks.n; i++)
			pgp_key_free(ks.v[i]);
		free(ks.v);
	}
	free(b.data);
	free(path);
	return k;
}

/* Without the corpus: two keys made by gpg (primary + 2 UIDs + subkey). */
static void
gpg_keys(struct keyset *ks)
{
	static const char script[] =
	    "set -e; h=$(mktemp -d); export GNUPGHOME=$h; "
	    "g='gpg --batch --quiet --pinentry-mode loopback --passphrase='; "
	    "for n in Alice Bob; do "
	    "$g --quick-gen-key \"$n Example <$n@example.org>\" ed25519 cert,sign never; "
	    "f=$($g --list-keys --with-colons \"$n@example.org\" | awk -F: '/^fpr/{print $10; exit}'); "
	    "$g --quick-add-uid $f \"$n Fallback <$n@fallback.test>\"; "
	    "$g --quick-add-key $f cv25519 encr never; done; "
	    "$g --export; gpgconf --kill gpg-agent; rm -rf $h";
	FILE *f = popen(script, "r");
	struct buf b;

	if (f == NULL)
		return;
	buf_init(&b, 0);
	(void)buf_read_fd(&b, fileno(f));
	(void)pclose(f);
	parse_keys(b.data, b.len, ks);
	free(b.data);
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* First value of a query on the direct connection (caller frees). */
static char *
sql1(const char *sql)
{
	PGresult *r = PQexec(db, sql);
	char *v = NULL;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = xstrdup(PQgetvalue(r, 0, 0));
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		printf("sql1 %s: %s", sql, PQerrorMessage(db));
	PQclear(r);
	return v;
}

static long
sql_long(const char *sql)
{
	char *v = sql1(sql);
	long n = v ? atol(v) : -1;

	free(v);
	return n;
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

/* The exact "changed" stamp of a key (microseconds), caller frees. */
static char *
changed_of(const struct pgp_key *k)
{
	char hex[65], *sql, *v;

	pgp_hex(k->pub.fpr, k->pub.fprlen, hex);
	sql = xasprintf("SELECT changed::text FROM keys WHERE fingerprint ="
	    " decode('%s', 'hex')", hex);
	v = sql1(sql);
	free(sql);
	return v;
}

/* The stored bytes of k (by fingerprint), into b; returns the status. */
static enum store_status
stored(struct store *s, const struct pgp_key *k, struct buf *b)
{
	struct store_keys ks;
	enum store_status st;

	buf_reset(b);
	st = store_get_by_fpr(s, k->pub.fpr, k->pub.fprlen, 10, &ks);
	if (st == STORE_OK && ks.n == 1)
		(void)buf_append(b, ks.v[0].data, ks.v[0].len);
	else if (st == STORE_OK)
		st = STORE_ERROR;
	store_keys_free(&ks);
	return st;
}

static bool
same_fpr(const uint8_t *data, size_t len, const struct pgp_key *k)
{
	enum pgp_status pst;
	struct pgp_key *p = pgp_key_parse_one(data, len, &lim, &pst);
	bool r = p != NULL && p->pub.fprlen == k->pub.fprlen &&
	    !memcmp(p->pub.fpr, k->pub.fpr, k->pub.fprlen);

	pgp_key_free(p);
	return r;
}

/* Merge and report the status, printing the store's error if any. */
static enum store_status
merge(struct store *s, const struct pgp_key *k, struct pgp_merge_counts *c)
{
	struct pgp_merge_counts dummy;
	enum store_status st = store_merge_key(s, k, &lim, c ? c : &dummy);

	if (st != STORE_OK)
		printf("merge: %s: %s\n", store_strerror(st), store_errmsg(s));
	return st;
}

/*
 * A view of part `part` of nparts of full: by_component gives each
 * component (the primary's direct sigs count as one) with all its sigs to
 * one part; otherwise signatures are dealt out round-robin and a component
 * goes wherever one of its sigs went. The union of all parts is full.
 * Shallow: packet bodies stay full's; free with subset_free().
 */
static struct pgp_sig *
pick(const struct pgp_sig *v, size_t n, unsigned part, unsigned nparts,
    bool by_component, unsigned comp, unsigned *deal, size_t *np)
{
	struct pgp_sig *r = xcalloc(n + 1, sizeof(*r));
	size_t i;

	*np = 0;
	for (i = 0; i < n; i++) {
		bool take = by_component ? comp % nparts == part :
		    (*deal)++ % nparts == part;

		if (take)
			r[(*np)++] = v[i];
	}
	return r;
}

static void
subset_comps(const struct pgp_component *v, size_t n, unsigned part,
    unsigned nparts, bool by_component, unsigned *comp, unsigned *deal,
    struct pgp_component **out, size_t *nout)
{
	size_t i;

	*out = xcalloc(n + 1, sizeof(**out));
	*nout = 0;
	for (i = 0; i < n; i++, (*comp)++) {
		struct pgp_component c = v[i];
		bool take;

		c.sigs = pick(v[i].sigs, v[i].nsigs, part, nparts, by_component,
		    *comp, deal, &c.nsigs);
		take = by_component ? *comp % nparts == part :
		    c.nsigs > 0 || (v[i].nsigs == 0 && part == 0);
		if (take)
			(*out)[(*nout)++] = c;
		else
			free(c.sigs);
	}
}

static struct pgp_key *
subset(const struct pgp_key *full, unsigned part, unsigned nparts,
    bool by_component)
{
	struct pgp_key *k = xcalloc(1, sizeof(*k));
	unsigned comp = 0, deal = 0;

	*k = *full;
	k->primary_uid = -1;	/* an index into full's user IDs */
	k->sigs = pick(full->sigs, full->nsigs, part, nparts, by_component,
	    comp++, &deal, &k->nsigs);
	subset_comps(full->uids, full->nuids, part, nparts, by_component,
	    &comp, &deal, &k->uids, &k->nuids);
	subset_comps(full->subkeys, full->nsubkeys, part, nparts, by_component,
	    &comp, &deal, &k->subkeys, &k->nsubkeys);
	return k;
}

static void
subset_free(struct pgp_key *k)
{
	size_t i;

	free(k->sigs);
	for (i = 0; i < k->nuids; i++)
		free(k->uids[i].sigs);
	for (i = 0; i < k->nsubkeys; i++)
		free(k->subkeys[i].sigs);
	free(k->uids);
	free(k->subkeys);
	free(k);
}

static void
reset_db(void)
{
	(void)sql_exec(db, "TRUNCATE keys CASCADE");
}

static size_t
total_sigs(const struct pgp_key *k)
{
	size_t n = k->nsigs, i;

	for (i = 0; i < k->nuids; i++)
		n += k->uids[i].nsigs;
	for (i = 0; i < k->nsubkeys; i++)
		n += k->subkeys[i].nsigs;
	return n;
}

/* ---- cases -------------------------------------------------------------- */

static void
test_open_failures(void)
{
	static const char *bad[] = {
		"host=/nonexistent/keymail-no-such-socket-dir dbname=x",
		"host=127.0.0.1 port=1 dbname=x",
	};
	struct store *s;
	enum store_status st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		time_t t0 = time(NULL);

		st = store_open(bad[i], &s);
		CHECK(st == STORE_TEMPFAIL, "store_open(%s): got %s, want "
		    "TEMPFAIL", bad[i], store_strerror(st));
		CHECK(time(NULL) - t0 < 5, "store_open(%s) took %lds", bad[i],
		    (long)(time(NULL) - t0));
		CHECK(strstr(store_errmsg(s), "connect") != NULL,
		    "errmsg: %s", store_errmsg(s));
		/* A failed handle answers TEMPFAIL, never crashes. */
		{
			struct store_keys ks;
			uint8_t id[8] = { 0 };

			st = store_get_by_keyid(s, id, 8, 1, &ks);
			CHECK_INT(st, STORE_TEMPFAIL);
		}
		store_close(s);
	}
	st = store_open("host='unterminated", &s);
	CHECK(st == STORE_ERROR, "bad conninfo: got %s", store_strerror(st));
	store_close(s);
	store_close(NULL);
}

static void
test_initdb(struct store *s)
{
	struct store_keys ks;
	uint8_t id[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	enum store_status st;
	char *v;

	st = store_get_by_keyid(s, id, 8, 1, &ks);
	CHECK(st == STORE_ERROR && strstr(store_errmsg(s), "keymail initdb"),
	    "before initdb: got %s (%s), want ERROR naming initdb",
	    store_strerror(st), store_errmsg(s));
	CHECK_INT(store_initdb(s), STORE_OK);
	v = sql1("SELECT string_agg(version::text || ' ' || name, ',' ORDER BY version)"
	    " FROM schema_version");
	{
		/* Every embedded migration applied, in order (sql/NNN-*.sql). */
		struct buf want;
		size_t i;

		buf_init(&want, 0);
		for (i = 0; i < store_nmigrations; i++)
			buf_printf(&want, "%s%d %s", i ? "," : "",
			    store_migrations[i].version, store_migrations[i].name);
		buf_putc(&want, '\0');
		CHECK(store_nmigrations >= 1 &&
		    !strcmp(store_migrations[0].name, "001-schema.sql"),
		    "first migration");
		CHECK_STR(v, (const char *)want.data);
		free(want.data);
	}
	free(v);
	v = sql1("SELECT applied::text FROM schema_version WHERE version = 1");
	CHECK_INT(store_initdb(s), STORE_OK);		/* a no-op */
	{
		char *w = sql1("SELECT applied::text || ' ' || count(*) OVER ()"
		    " FROM schema_version WHERE version = 1");
		char *want = xasprintf("%s 1", v ? v : "?");

		CHECK_STR(w, want);
		free(w);
		free(want);
	}
	free(v);
	CHECK_INT(sql_long("SELECT count(*) FROM pg_tables WHERE tablename IN"
	    " ('keys', 'keyids', 'key_words', 'schema_version')"), 4);
	CHECK_INT(store_get_by_keyid(s, id, 8, 1, &ks), STORE_NOTFOUND);
}

static void
test_lookups(struct store *s, const struct pgp_key *k)
{
	struct pgp_merge_counts c;
	struct store_keys ks;
	enum store_status st;
	char *before, *after;
	struct buf b1, b2;

	buf_init(&b1, 0);
	buf_init(&b2, 0);
	memset(&c, 0xff, sizeof(c));
	CHECK_INT(merge(s, k, &c), STORE_OK);
	CHECK_INT(c.new_keys, 1);
	CHECK_INT(c.new_uids, k->nuids);
	CHECK_INT(c.new_subkeys, k->nsubkeys);
	CHECK_INT(c.new_sigs + c.new_revocations >= 1, 1);
	CHECK(c.new_sigs + c.new_revocations <= total_sigs(k),
	    "counted %u sigs, key has %zu", c.new_sigs + c.new_revocations,
	    total_sigs(k));

	/* Primary fingerprint. */
	st = store_get_by_fpr(s, k->pub.fpr, k->pub.fprlen, 10, &ks);
	CHECK_INT(st, STORE_OK);
	CHECK_INT(ks.n, 1);
	CHECK(ks.n == 1 && same_fpr(ks.v[0].data, ks.v[0].len, k),
	    "stored blob does not parse back to the same key");
	CHECK(ks.n == 1 && llabs((long long)(ks.v[0].changed - time(NULL))) < 60,
	    "changed %lld far from now", ks.n ? (long long)ks.v[0].changed : 0);
	store_keys_free(&ks);
	CHECK(ks.v == NULL && ks.n == 0, "store_keys_free leaves it empty");

	/* 64-bit and 32-bit IDs of the primary. */
	CHECK_INT(store_get_by_keyid(s, k->pub.keyid, 8, 10, &ks), STORE_OK);
	CHECK_INT(ks.n, 1);
	store_keys_free(&ks);
	CHECK_INT(store_get_by_keyid(s, k->pub.keyid + 4, 4, 10, &ks), STORE_OK);
	CHECK_INT(ks.n, 1);
	store_keys_free(&ks);

	/* Subkey fingerprint, 64-bit and 32-bit ID. */
	if (k->nsubkeys > 0 && k->subkeys[0].sub.fprlen > 0) {
		const struct pgp_pubkey *sub = &k->subkeys[0].sub;

		CHECK_INT(store_get_by_fpr(s, sub->fpr, sub->fprlen, 10, &ks),
		    STORE_OK);
		CHECK(ks.n == 1 && same_fpr(ks.v[0].data, ks.v[0].len, k),
		    "subkey fingerprint finds its primary");
		store_keys_free(&ks);
		CHECK_INT(store_get_by_keyid(s, sub->keyid, 8, 10, &ks), STORE_OK);
		CHECK(ks.n == 1 && same_fpr(ks.v[0].data, ks.v[0].len, k),
		    "subkey key ID finds its primary");
		store_keys_free(&ks);
		CHECK_INT(store_get_by_keyid(s, sub->keyid + 4, 4, 10, &ks),
		    STORE_OK);
		CHECK_INT(ks.n, 1);
		store_keys_free(&ks);
	} else {
		CHECK(0, "test key has no subkey");
	}

	/* Unknown IDs. */
	{
		uint8_t none[8] = { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1 };
		uint8_t fpr[20] = { 0 };

		CHECK_INT(store_get_by_keyid(s, none, 8, 10, &ks), STORE_NOTFOUND);
		CHECK_INT(store_get_by_keyid(s, none, 4, 10, &ks), STORE_NOTFOUND);
		CHECK_INT(store_get_by_fpr(s, fpr, 20, 10, &ks), STORE_NOTFOUND);
		CHECK(ks.v == NULL && ks.n == 0, "NOTFOUND leaves out empty");
		CHECK_INT(store_get_by_keyid(s, none, 5, 10, &ks), STORE_ERROR);
	}

	/* Limit: one match with limit 0 is "too many", and out stays empty. */
	CHECK_INT(store_get_by_keyid(s, k->pub.keyid, 8, 0, &ks), STORE_TOOMANY);
	CHECK(ks.v == NULL && ks.n == 0, "TOOMANY leaves out empty");

	/* Merging the same key again: nothing new, no write. */
	CHECK_INT(stored(s, k, &b1), STORE_OK);
	before = changed_of(k);
	memset(&c, 0xff, sizeof(c));
	CHECK_INT(merge(s, k, &c), STORE_OK);
	CHECK(c.new_keys == 0 && c.new_uids == 0 && c.new_subkeys == 0 &&
	    c.new_sigs == 0 && c.new_revocations == 0,
	    "re-merge counts %u/%u/%u/%u/%u, want all 0", c.new_keys,
	    c.new_uids, c.new_subkeys, c.new_sigs, c.new_revocations);
	after = changed_of(k);
	CHECK(before && after && !strcmp(before, after),
	    "changed moved on a no-op merge: %s -> %s", before, after);
	CHECK_INT(stored(s, k, &b2), STORE_OK);
	CHECK(b1.len == b2.len && !memcmp(b1.data, b2.data, b1.len),
	    "bytes changed on a no-op merge");
	free(before);
	free(after);
	free(b1.data);
	free(b2.data);
}

static enum store_status
search(struct store *s, size_t limit, size_t *n, ...)
{
	char *w[8];
	size_t nw = 0;
	struct store_keys ks;
	enum store_status st;
	va_list ap;

	va_start(ap, n);
	while (nw < 8 && (w[nw] = va_arg(ap, char *)) != NULL)
		nw++;
	va_end(ap);
	st = store_search_words(s, w, nw, limit, &ks);
	*n = ks.n;
	if (st != STORE_OK && st != STORE_NOTFOUND && st != STORE_TOOMANY)
		printf("search: %s\n", store_errmsg(s));
	store_keys_free(&ks);
	return st;
}

/* Words of the fece664e key: "Jens Adam <jra@byte.cx>", "... <byte@chaosdorf.de>". */
static void
test_words(struct store *s, bool corpus_words)
{
	const char *w1 = corpus_words ? "jens" : "alice";
	const char *w2 = corpus_words ? "chaosdorf" : "fallback";
	const char *w2u = corpus_words ? "ChaosDorf" : "FallBack";
	size_t n;

	CHECK_INT(search(s, 10, &n, w1, w2, (char *)NULL), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(search(s, 10, &n, w2u, (char *)NULL), STORE_OK);
	CHECK_INT(n, 1);
	/* Words inside a longer string are split by the same rule. */
	CHECK_INT(search(s, 10, &n, corpus_words ? "jra@byte.cx" :
	    "alice@example.org", (char *)NULL), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(search(s, 10, &n, w1, "nosuchwordanywhere", (char *)NULL),
	    STORE_NOTFOUND);
	CHECK_INT(n, 0);
	CHECK_INT(search(s, 10, &n, "x", (char *)NULL), STORE_NOTFOUND);
	CHECK_INT(search(s, 10, &n, (char *)NULL), STORE_NOTFOUND);
	CHECK_INT(search(s, 0, &n, w1, (char *)NULL), STORE_TOOMANY);
	CHECK_INT(n, 0);
	/* Duplicates do not break the AND count. */
	CHECK_INT(search(s, 10, &n, w1, w1, w2, (char *)NULL), STORE_OK);
	CHECK_INT(n, 1);
}

/* A user ID with words that mean something to SQL array literals. */
static void
test_odd_uid(struct store *s, const struct pgp_key *k)
{
	static char uid[] = "NULL \"quote} {brace\\ <null@example.org>";
	struct pgp_component c;
	struct pgp_merge_counts cnt;
	struct pgp_key view = *k;
	size_t n;

	memset(&c, 0, sizeof(c));
	c.pkt.tag = PGP_TAG_UID;
	c.pkt.body = (uint8_t *)uid;
	c.pkt.len = strlen(uid);
	view.uids = &c;
	view.nuids = 1;
	view.nsigs = view.nsubkeys = 0;
	view.primary_uid = -1;
	CHECK_INT(merge(s, &view, &cnt), STORE_OK);
	CHECK_INT(cnt.new_uids, 1);
	CHECK_INT(search(s, 10, &n, "null", "quote", "brace", "example",
	    (char *)NULL), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(search(s, 10, &n, "NULL", (char *)NULL), STORE_OK);
}

static void
test_injection(struct store *s, const struct pgp_key *k)
{
	struct store_keys ks;
	size_t n;
	static const uint8_t evil[] = "'); DROP TABLE keys; --";
	enum store_status st;

	st = search(s, 10, &n, "x'); drop table keys;--", (char *)NULL);
	CHECK(st == STORE_NOTFOUND, "injection search: got %s",
	    store_strerror(st));
	st = search(s, 10, &n, "\"}{\\", "null", "zzznosuchword", (char *)NULL);
	CHECK(st == STORE_NOTFOUND, "array-literal search: got %s",
	    store_strerror(st));
	CHECK_INT(store_get_by_fpr(s, evil, sizeof(evil) - 1, 10, &ks),
	    STORE_NOTFOUND);
	CHECK_INT(store_get_by_fpr(s, k->pub.fpr, k->pub.fprlen, 10, &ks),
	    STORE_OK);
	store_keys_free(&ks);
	CHECK(sql_long("SELECT count(*) FROM keys") > 0, "keys table intact");
}

static void
test_collisions(struct store *s, const struct pgp_key *a,
    const struct pgp_key *b)
{
	struct store_keys ks;
	const struct pgp_key *newer;
	char *uid = NULL, *want;

	CHECK_INT(memcmp(a->pub.keyid, b->pub.keyid, 8), 0);
	CHECK_INT(merge(s, a, NULL), STORE_OK);
	CHECK_INT(merge(s, b, NULL), STORE_OK);
	CHECK_INT(store_get_by_keyid(s, a->pub.keyid, 8, 10, &ks), STORE_OK);
	CHECK_INT(ks.n, 2);
	newer = a->pub.created >= b->pub.created ? a : b;
	CHECK(ks.n == 2 && same_fpr(ks.v[0].data, ks.v[0].len, newer),
	    "newest created first");
	store_keys_free(&ks);
	CHECK_INT(store_get_by_keyid(s, a->pub.keyid, 8, 1, &ks), STORE_TOOMANY);
	CHECK_INT(store_get_by_keyid(s, a->pub.keyid, 8, 2, &ks), STORE_OK);
	store_keys_free(&ks);
	CHECK_INT(store_uid_for_keyid(s, a->pub.keyid, &uid), STORE_OK);
	want = newer->primary_uid >= 0 ? pgp_uid_printable(
	    newer->uids[newer->primary_uid].pkt.body,
	    newer->uids[newer->primary_uid].pkt.len) : xstrdup("?");
	CHECK_STR(uid, want);
	free(uid);
	free(want);
}

static void
test_uid(struct store *s, const struct pgp_key *k)
{
	char *uid = NULL, *want;
	uint8_t none[8] = { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 2 };

	CHECK_INT(store_uid_for_keyid(s, k->pub.keyid, &uid), STORE_OK);
	want = k->primary_uid >= 0 ? pgp_uid_printable(
	    k->uids[k->primary_uid].pkt.body, k->uids[k->primary_uid].pkt.len) :
	    xstrdup("?");
	CHECK_STR(uid, want);
	free(uid);
	free(want);
	CHECK_INT(store_uid_for_keyid(s, none, &uid), STORE_NOTFOUND);
	CHECK(uid == NULL, "uid NULL on NOTFOUND");
	/* A subkey's ID does not name a signer. */
	if (k->nsubkeys > 0) {
		CHECK_INT(store_uid_for_keyid(s, k->subkeys[0].sub.keyid, &uid),
		    STORE_NOTFOUND);
		free(uid);
	}
}

static void
test_changed_since(struct store *s, const struct pgp_key *k, size_t nstored)
{
	struct store_keys ks;
	time_t t;

	CHECK_INT(store_changed_since(s, 0, 1000, &ks), STORE_OK);
	CHECK_INT(ks.n, nstored);
	store_keys_free(&ks);
	CHECK_INT(store_changed_since(s, 0, nstored - 1, &ks), STORE_TOOMANY);
	CHECK_INT(store_changed_since(s, time(NULL) + 3600, 10, &ks),
	    STORE_NOTFOUND);
	/* A key merged after T is the only one changed since T. */
	t = time(NULL) + 1;
	while (time(NULL) < t)
		usleep(50000);
	CHECK_INT(merge(s, k, NULL), STORE_OK);
	CHECK_INT(store_changed_since(s, t, 10, &ks), STORE_OK);
	CHECK(ks.n == 1 && same_fpr(ks.v[0].data, ks.v[0].len, k),
	    "changed since T: got %zu keys", ks.n);
	CHECK(ks.n == 1 && ks.v[0].changed >= t, "changed stamp");
	store_keys_free(&ks);
}

/* Merge parts in the given order into an empty store; compare to want. */
static void
merge_parts(struct store *s, struct pgp_key **parts, size_t n,
    const size_t *order, const struct buf *want, const char *label)
{
	struct pgp_merge_counts c;
	struct buf got;
	size_t i;

	reset_db();
	buf_init(&got, 0);
	for (i = 0; i < n; i++) {
		char *before = i ? changed_of(parts[order[i]]) : NULL, *after;

		CHECK_INT(merge(s, parts[order[i]], &c), STORE_OK);
		CHECK(c.new_keys == (i == 0), "%s part %zu: new_keys %u", label,
		    i, c.new_keys);
		CHECK(c.new_uids + c.new_subkeys + c.new_sigs +
		    c.new_revocations > 0, "%s part %zu added nothing", label, i);
		after = changed_of(parts[order[i]]);
		if (i)
			CHECK(before && after && strcmp(before, after) != 0,
			    "%s part %zu: changed not bumped", label, i);
		free(before);
		free(after);
	}
	CHECK_INT(stored(s, parts[0], &got), STORE_OK);
	CHECK(got.len == want->len && !memcmp(got.data, want->data, got.len),
	    "%s: stored %zu bytes differ from the whole key's %zu", label,
	    got.len, want->len);
	free(got.data);
}

static void
test_halves(struct store *s, const struct pgp_key *k)
{
	static const size_t ab[] = { 0, 1 }, ba[] = { 1, 0 };
	struct pgp_key *parts[2];
	struct buf want;
	int mode;

	buf_init(&want, 0);
	reset_db();
	CHECK_INT(merge(s, k, NULL), STORE_OK);
	CHECK_INT(stored(s, k, &want), STORE_OK);
	for (mode = 0; mode < 2; mode++) {
		parts[0] = subset(k, 0, 2, mode);
		parts[1] = subset(k, 1, 2, mode);
		merge_parts(s, parts, 2, ab, &want, mode ? "components A,B" :
		    "sigs A,B");
		merge_parts(s, parts, 2, ba, &want, mode ? "components B,A" :
		    "sigs B,A");
		subset_free(parts[0]);
		subset_free(parts[1]);
	}
	free(want.data);
}

/*
 * NCHILDREN processes merge different parts of one key at the same time,
 * into an empty store (they race to insert) or, with seed, onto a stored
 * bare primary key (they race to update: a lost update would show).
 */
static void
test_concurrency(const struct pgp_key *k, int mode, bool seed)
{
	struct store *s;
	struct buf want, got;
	pid_t pid[NCHILDREN];
	int gate[2], i, ok = 0;

	buf_init(&want, 0);
	buf_init(&got, 0);
	if (store_open(conninfo, &s) != STORE_OK) {
		CHECK(0, "store_open: %s", store_errmsg(s));
		store_close(s);
		return;
	}
	reset_db();
	CHECK_INT(merge(s, k, NULL), STORE_OK);
	CHECK_INT(stored(s, k, &want), STORE_OK);
	reset_db();
	if (seed) {
		struct pgp_key bare = *k;

		bare.nsigs = bare.nuids = bare.nsubkeys = 0;
		bare.primary_uid = -1;
		CHECK_INT(merge(s, &bare, NULL), STORE_OK);
	}
	/* Our own connection must not be shared with the children. */
	store_close(s);
	fflush(stdout);
	if (pipe(gate) == -1) {
		CHECK(0, "pipe: %s", strerror(errno));
		return;
	}
	for (i = 0; i < NCHILDREN; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			struct pgp_key *part = subset(k, (unsigned)i, NCHILDREN, mode);
			struct pgp_merge_counts c;
			enum store_status st;
			char x;

			close(gate[1]);
			st = store_open(conninfo, &s);
			/* Wait until every child is ready, then go at once. */
			while (read(gate[0], &x, 1) == -1 && errno == EINTR)
				;
			if (st == STORE_OK)
				st = store_merge_key(s, part, &lim, &c);
			if (st != STORE_OK)
				printf("child %d: %s\n", i, store_errmsg(s));
			store_close(s);
			fflush(stdout);
			_exit(st == STORE_OK ? 0 : 10 + (int)st);
		}
		if (pid[i] == -1)
			CHECK(0, "fork: %s", strerror(errno));
	}
	close(gate[0]);
	close(gate[1]);		/* opens the gate */
	for (i = 0; i < NCHILDREN; i++) {
		int wst;

		if (pid[i] <= 0)
			continue;
		while (waitpid(pid[i], &wst, 0) == -1 && errno == EINTR)
			;
		if (WIFEXITED(wst) && WEXITSTATUS(wst) == 0)
			ok++;
		else
			printf("child %d: status %d\n", i, wst);
	}
	CHECK_INT(ok, NCHILDREN);
	if (store_open(conninfo, &s) == STORE_OK) {
		CHECK_INT(stored(s, k, &got), STORE_OK);
		CHECK(got.len == want.len && !memcmp(got.data, want.data, got.len),
		    "concurrent merge (mode %d%s): %zu bytes, want the whole "
		    "key's %zu", mode, seed ? ", seeded" : "", got.len, want.len);
	}
	store_close(s);
	CHECK_INT(sql_long("SELECT count(*) FROM keys"), 1);
	CHECK_INT(sql_long("SELECT count(*) FROM keyids"), 1 + k->nsubkeys);
	free(want.data);
	free(got.data);
}

static void
test_limits(struct store *s, const struct pgp_key *k)
{
	struct pgp_limits small = lim;
	struct pgp_merge_counts c;
	struct store_keys ks;
	enum store_status st;

	reset_db();
	small.max_packets_per_key = 2;
	st = store_merge_key(s, k, &small, &c);
	CHECK(st == STORE_LIMIT, "packet limit: got %s", store_strerror(st));
	small = lim;
	small.max_key_size = 100;
	st = store_merge_key(s, k, &small, &c);
	CHECK(st == STORE_LIMIT, "size limit: got %s", store_strerror(st));
	CHECK_INT(store_get_by_fpr(s, k->pub.fpr, k->pub.fprlen, 10, &ks),
	    STORE_NOTFOUND);
	CHECK_INT(sql_long("SELECT count(*) FROM keyids"), 0);
	/* Zero fields mean no limit; NULL means the defaults. */
	memset(&small, 0, sizeof(small));
	CHECK_INT(store_merge_key(s, k, &small, &c), STORE_OK);
	CHECK_INT(c.new_keys, 1);
	CHECK_INT(store_merge_key(s, k, NULL, &c), STORE_OK);
	CHECK_INT(c.new_keys + c.new_sigs, 0);
}

static void
test_v6(struct store *s, const struct pgp_key *k)
{
	struct store_keys ks;

	CHECK_INT(k->pub.fprlen, 32);
	CHECK_INT(merge(s, k, NULL), STORE_OK);
	CHECK_INT(store_get_by_fpr(s, k->pub.fpr, 32, 10, &ks), STORE_OK);
	CHECK(ks.n == 1 && same_fpr(ks.v[0].data, ks.v[0].len, k), "v6 by fpr");
	store_keys_free(&ks);
	CHECK_INT(store_get_by_keyid(s, k->pub.keyid, 8, 10, &ks), STORE_OK);
	CHECK_INT(ks.n, 1);
	store_keys_free(&ks);
}

/* The server ends our session: the next call is TEMPFAIL, not ERROR. */
static void
test_terminated(struct store *s, const struct pgp_key *k)
{
	struct store_keys ks;
	char *n;
	int i;

	/* Children of the concurrency test may still be on their way out:
	 * end every keymail session of this database (one that has just
	 * ended by itself counts too), then wait until the server lists
	 * none (up to a minute), rather than sleep and hope: our next call
	 * must find its session ended. */
	n = sql1("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
	    " WHERE datname = current_database() AND application_name = 'keymail'");
	CHECK(n != NULL && atoi(n) >= 1, "terminated %s sessions", n);
	free(n);
	for (i = 0; i < 1200 && sql_long("SELECT count(*) FROM pg_stat_activity"
	    " WHERE datname = current_database()"
	    " AND application_name = 'keymail'") != 0; i++)
		usleep(50000);
	CHECK(i < 1200, "keymail sessions still listed after a minute");
	CHECK_INT(store_get_by_fpr(s, k->pub.fpr, k->pub.fprlen, 10, &ks),
	    STORE_TEMPFAIL);
	CHECK_INT(store_merge_key(s, k, &lim, NULL), STORE_TEMPFAIL);
	CHECK_INT(store_initdb(s), STORE_TEMPFAIL);
}

/* ---- main --------------------------------------------------------------- */

int
main(void)
{
	const char *pg = getenv("KM_TEST_PG"), *top = getenv("KM_TOP");
	struct keyset fallback = { NULL, 0 };
	struct pgp_key *main_key = NULL, *col_a = NULL, *col_b = NULL;
	struct pgp_key *busy = NULL, *v6 = NULL;
	PGconn *admin;
	struct store *s;
	char *dbname, *sql, *p;
	bool from_corpus;
	size_t nstored = 0;

	if (pg == NULL || *pg == '\0') {
		CHECK(0, "KM_TEST_PG is not set: the store test needs a "
		    "PostgreSQL server (tests/run starts one; or "
		    "`sh scripts/pg.sh start DIR`, without \" dbname=...\")");
		return check_done();
	}
	(void)pgp_crypto_init();

	/* Test keys. */
	p = xasprintf("%s/../shared/testdata/keys", top ? top : ".");
	if (access(p, R_OK) == 0)
		corpus = p;
	else {
		printf("NOTE: corpus absent (%s): using keys made by gpg\n", p);
		free(p);
	}
	main_key = corpus_key("many-sigs/hkp__fece664e.asc");
	busy = corpus_key("many-sigs/onak__keys__noodles.key");
	col_a = corpus_key("valid/gnupg__tests__openpgp__samplekeys__dda252ebb8ebe1af-1.asc");
	col_b = corpus_key("valid/gnupg__tests__openpgp__samplekeys__dda252ebb8ebe1af-2.asc");
	v6 = corpus_key("v6-pqc/rpgp-derived__rpgp-rfc9580-v6-25519-annex-a-4.pub.asc");
	from_corpus = main_key != NULL;
	if (main_key == NULL || busy == NULL) {
		gpg_keys(&fallback);
		if (fallback.n >= 2) {
			if (main_key == NULL)
				main_key = fallback.v[0];
			if (busy == NULL)
				busy = fallback.v[1];
		}
	}
	CHECK(main_key != NULL && busy != NULL, "no test keys (corpus and gpg "
	    "both unavailable)");

	/* A fresh database. */
	sql = xasprintf("%s dbname=postgres application_name=store_test", pg);
	admin = PQconnectdb(sql);
	free(sql);
	if (PQstatus(admin) != CONNECTION_OK) {
		CHECK(0, "cannot connect to KM_TEST_PG (%s): %s", pg,
		    PQerrorMessage(admin));
		PQfinish(admin);
		return check_done();
	}
	(void)PQsetNoticeProcessor(admin, quiet, NULL);
	dbname = xasprintf("km_store_test_%ld", (long)getpid());
	sql = xasprintf("DROP DATABASE IF EXISTS %s", dbname);
	(void)sql_exec(admin, sql);
	free(sql);
	sql = xasprintf("CREATE DATABASE %s", dbname);
	CHECK_INT(sql_exec(admin, sql), 0);
	free(sql);
	conninfo = xasprintf("%s dbname=%s", pg, dbname);
	sql = xasprintf("%s application_name=store_test", conninfo);
	db = PQconnectdb(sql);
	free(sql);
	CHECK(PQstatus(db) == CONNECTION_OK, "test database: %s",
	    PQerrorMessage(db));
	(void)PQsetNoticeProcessor(db, quiet, NULL);

	test_open_failures();
	if (store_open(conninfo, &s) != STORE_OK) {
		CHECK(0, "store_open(%s): %s", conninfo, store_errmsg(s));
		store_close(s);
		goto done;
	}
	test_initdb(s);
	if (main_key == NULL || busy == NULL)
		goto closed;

	test_lookups(s, main_key);
	nstored++;
	test_words(s, from_corpus);
	test_uid(s, main_key);
	test_odd_uid(s, main_key);
	test_uid(s, main_key);		/* the added user ID did not take over */
	test_injection(s, main_key);
	if (col_a && col_b) {
		test_collisions(s, col_a, col_b);
		nstored += 2;
	} else
		printf("NOTE: key ID collision pair not loaded: skipped\n");
	if (v6) {
		test_v6(s, v6);
		nstored++;
	} else
		printf("NOTE: v6 key not loaded: skipped\n");
	test_changed_since(s, busy, nstored);
	test_halves(s, main_key);
	test_limits(s, busy);
	test_concurrency(busy, 0, false);
	test_concurrency(busy, 0, true);
	test_concurrency(main_key, 1, false);
	test_concurrency(main_key, 1, true);
	test_terminated(s, main_key);
closed:
	store_close(s);
done:
	PQfinish(db);
	sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	CHECK_INT(sql_exec(admin, sql), 0);
	free(sql);
	PQfinish(admin);
	free(dbname);
	free(conninfo);
	free(corpus);
	if (main_key != NULL && (fallback.n == 0 || main_key != fallback.v[0]))
		pgp_key_free(main_key);
	if (busy != NULL && (fallback.n < 2 || busy != fallback.v[1]))
		pgp_key_free(busy);
	pgp_key_free(col_a);
	pgp_key_free(col_b);
	pgp_key_free(v6);
	keyset_free(&fallback);
	return check_done();
}
