/*
 * tests/unit/conformance_test.c - every file of the shared key corpus
 * through ADD's own code path (cmd_add_blob: armor, parser, pgp_key_check,
 * store_merge_key) into a real PostgreSQL store, compared with the
 * corpus's MANIFEST.tsv.
 *
 *   accept   the store holds exactly the listed primary fingerprints, and
 *            the ADD report says nothing was rejected or dropped;
 *   partial  the store holds some of the listed fingerprints and nothing
 *            else, and the report names what was rejected or dropped;
 *   reject   the store holds nothing, and the report gives a reason.
 *
 * Where keymail's policy differs from the manifest on purpose, the file
 * and the outcome keymail gives are listed in tests/CONFORMANCE.md (the
 * table rows starting with "| `dir/file`"); the test reads that table, so a listed
 * difference passes, an unlisted one fails, and a listed one that no
 * longer happens fails too (the table must stay true).
 *
 * Invariants checked on every stored key, whatever the manifest says: its
 * blob parses back to one key with the same fingerprint, holds no secret
 * key packet, and pgp_key_check accepts it again without dropping
 * anything (cleaning is idempotent).
 *
 * The corpus is read in place from $KM_TOP/../shared/testdata/keys; when it
 * is absent the test says so and passes. KM_TEST_PG (conninfo without
 * dbname) is required when the corpus is there; the test makes database
 * km_conformance_<pid> and drops it. Like store_test.c it has its own libpq
 * connection to look behind the store (list and empty the keys table).
 */
#include <sys/types.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "check.h"
#include "cmd/cmd.h"
#include "pgp/pgp.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/xalloc.h"

#define MAXFPR	64		/* listed or stored fingerprints per file */

struct row {
	char *file;
	char *expect;		/* the manifest's word */
	char *fprs;		/* comma-separated, upper-case hex */
};

struct deviation {
	char *file;
	char *manifest;		/* the manifest's word, as the table quotes it */
	char *want;		/* what keymail does instead */
	bool seen;
};

static PGconn *db;
static char *corpus;

static struct row *rows;
static size_t nrows;
static struct deviation *devs;
static size_t ndevs;

/* Tallies by manifest expectation and by directory. */
struct tally {
	char name[32];
	size_t n, ok;
};
static struct tally by_expect[4], by_dir[24];

static void
tally(struct tally *t, size_t max, const char *name, size_t namelen, bool ok)
{
	size_t i;

	for (i = 0; i < max && t[i].name[0]; i++)
		if (strlen(t[i].name) == namelen &&
		    strncmp(t[i].name, name, namelen) == 0)
			break;
	if (i == max)
		return;
	if (!t[i].name[0])
		snprintf(t[i].name, sizeof(t[i].name), "%.*s", (int)namelen,
		    name);
	t[i].n++;
	if (ok)
		t[i].ok++;
}

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

static char *
slurp(const char *path, size_t *len)
{
	struct buf b;
	int fd = open(path, O_RDONLY);

	if (fd == -1)
		return NULL;
	buf_init(&b, 0);
	if (buf_read_fd(&b, fd) < 0) {
		close(fd);
		free(b.data);
		return NULL;
	}
	close(fd);
	*len = b.len;
	if (b.data == NULL)
		b.data = xcalloc(1, 1);
	return (char *)b.data;
}

/* ---- the manifest and the table of deliberate differences ------------ */

static char *manifest_text, *table_text;

static int
load_manifest(void)
{
	char *path = xasprintf("%s/MANIFEST.tsv", corpus), *line, *next;
	char *t1, *t2, *t3;
	size_t len;

	manifest_text = slurp(path, &len);
	free(path);
	if (manifest_text == NULL)
		return -1;
	for (line = manifest_text; line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((t1 = strchr(line, '\t')) == NULL)
			continue;
		*t1++ = '\0';
		if ((t2 = strchr(t1, '\t')) == NULL)
			continue;
		*t2++ = '\0';
		if ((t3 = strchr(t2, '\t')) != NULL)
			*t3 = '\0';
		if (strcmp(t1, "accept") && strcmp(t1, "partial") &&
		    strcmp(t1, "reject"))
			continue;	/* the header line */
		rows = xreallocarray(rows, nrows + 1, sizeof(*rows));
		rows[nrows].file = line;
		rows[nrows].expect = t1;
		rows[nrows].fprs = t2;
		nrows++;
	}
	return 0;
}

/* Rows of tests/CONFORMANCE.md: | `file` | manifest | keymail | why | */
static int
load_table(const char *top)
{
	char *path = xasprintf("%s/tests/CONFORMANCE.md", top), *line, *next;
	char *f, *e, *cell[2];
	size_t len, i;

	table_text = slurp(path, &len);
	free(path);
	if (table_text == NULL)
		return -1;
	for (line = table_text; line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "| `", 3) != 0)
			continue;
		f = line + 3;
		if ((e = strchr(f, '`')) == NULL ||
		    memchr(f, '/', (size_t)(e - f)) == NULL)
			continue;	/* not a file: the legend table */
		*e++ = '\0';
		/* the next cells: the manifest's word, keymail's word */
		for (i = 0; i < 2; i++) {
			if ((e = strchr(e, '|')) == NULL)
				break;
			e++;
			while (*e == ' ')
				e++;
			cell[i] = e;
		}
		if (i < 2)
			continue;
		cell[0][strcspn(cell[0], " |")] = '\0';
		cell[1][strcspn(cell[1], " |")] = '\0';
		devs = xreallocarray(devs, ndevs + 1, sizeof(*devs));
		devs[ndevs].file = f;
		devs[ndevs].manifest = cell[0];
		devs[ndevs].want = cell[1];
		devs[ndevs].seen = false;
		ndevs++;
	}
	return 0;
}

static struct deviation *
deviation_for(const char *file)
{
	size_t i;

	for (i = 0; i < ndevs; i++)
		if (strcmp(devs[i].file, file) == 0)
			return &devs[i];
	return NULL;
}

/* ---- one file ----------------------------------------------------------- */

struct fset {
	char v[MAXFPR][65];
	size_t n;
};

static bool
fset_has(const struct fset *s, const char *f)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcasecmp(s->v[i], f) == 0)
			return true;
	return false;
}

static void
fset_add(struct fset *s, const char *f)
{
	if (s->n < MAXFPR && !fset_has(s, f))
		snprintf(s->v[s->n++], sizeof(s->v[0]), "%s", f);
}

static void
fset_listed(struct fset *s, const char *list)
{
	char *copy = xstrdup(list), *save, *f;

	s->n = 0;
	for (f = strtok_r(copy, ", ", &save); f; f = strtok_r(NULL, ", ", &save))
		fset_add(s, f);
	free(copy);
}

static size_t
count_packets(const struct pgp_key *k)
{
	size_t n = 1 + k->nsigs, i;

	for (i = 0; i < k->nuids; i++)
		n += 1 + k->uids[i].nsigs;
	for (i = 0; i < k->nsubkeys; i++)
		n += 1 + k->subkeys[i].nsigs;
	return n;
}

/*
 * What is in the store: fingerprints into *got, and the invariants of
 * every stored blob (parses, same fingerprint, no secret packet, checks
 * again without losing a packet). Returns false if an invariant fails.
 */
static bool
stored(const char *file, struct fset *got, time_t now)
{
	PGresult *r = PQexec(db, "SELECT fingerprint, data FROM keys");
	bool ok = true;
	int i;

	got->n = 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		CHECK(0, "%s: listing the store: %s", file,
		    PQerrorMessage(db));
		PQclear(r);
		return false;
	}
	for (i = 0; i < PQntuples(r); i++) {
		size_t flen, dlen, n0;
		unsigned char *fpr = PQunescapeBytea(
		    (const unsigned char *)PQgetvalue(r, i, 0), &flen);
		unsigned char *data = PQunescapeBytea(
		    (const unsigned char *)PQgetvalue(r, i, 1), &dlen);
		struct pgp_key *k;
		enum pgp_status st;
		char hex[65], why[256];

		pgp_hex(fpr, flen, hex);
		fset_add(got, hex);
		k = pgp_key_parse_one(data, dlen, NULL, &st);
		if (k == NULL || k->pub.fprlen != flen ||
		    memcmp(k->pub.fpr, fpr, flen) != 0) {
			CHECK(0, "%s: stored key %s does not parse back (%s)",
			    file, hex, pgp_strerror(st));
			ok = false;
		} else {
			/* (pgp_key_parse_one refuses secret key packets) */
			n0 = count_packets(k);
			st = pgp_key_check(k, now, why, sizeof(why));
			if (st != PGP_OK || count_packets(k) != n0) {
				CHECK(0, "%s: stored key %s does not check "
				    "again cleanly: %s (%s), %zu -> %zu "
				    "packets", file, hex, pgp_strerror(st),
				    why, n0, count_packets(k));
				ok = false;
			}
		}
		pgp_key_free(k);
		PQfreemem(fpr);
		PQfreemem(data);
	}
	PQclear(r);
	return ok;
}

static int
collect_cb(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	struct buf *b = ctx;

	if (st == PGP_OK && kind == PGP_ARMOR_PUBLIC_KEY && crc_ok)
		buf_append(b, data, len);
	return 0;
}

/*
 * GET by fingerprint returns an armor block (with a right CRC) holding
 * the stored key's very bytes (a fingerprint may also be another stored
 * key's subkey: then both come back), and those bytes parse to the same
 * fingerprint (for v6 keys too, which GnuPG 2.2 cannot import);
 * VERBOSE INDEX lists it with its fingerprint.
 */
static bool
serve(struct cmd_ctx *ctx, const char *file, const char *hex)
{
	PGresult *res;
	struct cmd_result r;
	struct buf bin, spaced;
	const char *params[1] = { hex };
	char spec[70];
	size_t i, n, blen = 0;
	unsigned char *blob = NULL;
	bool ok = false;

	res = PQexecParams(db, "SELECT data FROM keys WHERE fingerprint = "
	    "decode($1, 'hex')", 1, NULL, params, NULL, NULL, 1);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		blen = (size_t)PQgetlength(res, 0, 0);
		blob = xmemdup(PQgetvalue(res, 0, 0), blen);
	}
	PQclear(res);
	snprintf(spec, sizeof(spec), "0x%s", hex);
	cmd_result_init(&r);
	buf_init(&bin, 0);
	if (blob != NULL && cmd_get(ctx, spec, &r) == STORE_OK) {
		pgp_armor_scan((const char *)r.body.data, r.body.len, 0,
		    collect_cb, &bin);
		if (bin.len >= blen && memmem(bin.data, bin.len, blob, blen)) {
			enum pgp_status st;
			struct pgp_key *k = pgp_key_parse_one(blob, blen, NULL,
			    &st);
			char got[65];

			if (k != NULL) {
				pgp_hex(k->pub.fpr, k->pub.fprlen, got);
				ok = strcmp(got, hex) == 0;
			}
			pgp_key_free(k);
		}
	}
	CHECK(ok, "%s: GET %s does not give back the stored key", file, spec);
	cmd_result_free(&r);
	free(bin.data);
	free(blob);

	/* "Key fingerprint = XXXX XXXX ..." in VERBOSE INDEX */
	buf_init(&spaced, 0);
	n = strlen(hex);
	for (i = 0; i < n; i += 4)
		buf_printf(&spaced, "%s%.4s", i == 0 ? "" : i == n / 2 ? "  " :
		    " ", hex + i);
	cmd_result_init(&r);
	if (cmd_index(ctx, spec, true, &r) == STORE_OK) {
		(void)buf_putc(&r.body, '\0');
		CHECK(strstr((const char *)r.body.data, (const char *)spaced.data)
		    != NULL, "%s: VERBOSE INDEX %s lacks the fingerprint line",
		    file, spec);
	} else {
		CHECK(0, "%s: VERBOSE INDEX %s failed", file, spec);
		ok = false;
	}
	cmd_result_free(&r);
	free(spaced.data);
	return ok;
}

/* The first line of the report that says why something was left out. */
static void
first_reason(const char *body, char *out, size_t n)
{
	static const char *const marks[] = { "    rejected: ", "dropped: ",
	    "could not be decoded", "No public key block", "secret key block" };
	const char *best = NULL, *p, *e;
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if ((p = strstr(body, marks[i])) != NULL &&
		    (best == NULL || p < best))
			best = p;
	if (best == NULL) {
		snprintf(out, n, "(no reason in the report)");
		return;
	}
	e = strchr(best, '\n');
	snprintf(out, n, "%.*s", (int)(e ? e - best : (long)strlen(best)),
	    best);
}

static const char *
outcome(const struct fset *got, const char *body)
{
	if (got->n == 0)
		return "reject";
	if (strstr(body, "    rejected: ") || strstr(body, "    dropped: ") ||
	    strstr(body, "could not be decoded") ||
	    strstr(body, "secret key block"))
		return "partial";
	return "accept";
}

static bool
has_reason(const char *body)
{
	return strstr(body, "rejected: ") || strstr(body, "could not be "
	    "decoded") || strstr(body, "No public key block") ||
	    strstr(body, "secret key block");
}

static void
one_file(struct cmd_ctx *ctx, const struct row *row, size_t *matched)
{
	struct cmd_result r;
	struct fset want, got;
	struct deviation *dev;
	const char *want_outcome, *got_outcome, *slash;
	char *path, *data, why[300];
	size_t len, i, nlisted_stored = 0;
	bool ok, inv;

	if (sql_exec(db, "TRUNCATE keys CASCADE") < 0) {
		CHECK(0, "%s: cannot empty the store", row->file);
		return;
	}
	path = xasprintf("%s/%s", corpus, row->file);
	data = slurp(path, &len);
	free(path);
	if (data == NULL) {
		CHECK(0, "%s: cannot read", row->file);
		return;
	}
	cmd_result_init(&r);
	CHECK_INT(cmd_add_blob(ctx, (const uint8_t *)data, len, &r), STORE_OK);
	free(data);
	(void)buf_putc(&r.body, '\0');
	inv = stored(row->file, &got, ctx->now);

	fset_listed(&want, row->fprs);
	for (i = 0; i < got.n; i++)
		if (fset_has(&want, got.v[i]))
			nlisted_stored++;
	got_outcome = outcome(&got, (const char *)r.body.data);
	dev = deviation_for(row->file);
	want_outcome = dev ? dev->want : row->expect;
	if (dev) {
		dev->seen = true;
		CHECK(strcmp(dev->manifest, row->expect) == 0, "%s: "
		    "tests/CONFORMANCE.md quotes the manifest as %s, it says "
		    "%s", row->file, dev->manifest, row->expect);
		CHECK(strcmp(dev->want, row->expect) != 0, "%s: "
		    "tests/CONFORMANCE.md lists no difference", row->file);
	}

	/* The outcome, and what it promises about the store. A manifest
	 * row without fingerprints (bare base64 its walker did not decode)
	 * cannot say which keys; then any stored key will do. */
	if (!strcmp(want_outcome, "cut")) {
		/* stored under the fingerprint of the public part */
		ok = !strcmp(got_outcome, "partial") && got.n == want.n &&
		    nlisted_stored == 0 && strstr((const char *)r.body.data,
		    "after the public key material") != NULL;
		got_outcome = ok ? "cut" : got_outcome;
	} else {
		ok = strcmp(got_outcome, want_outcome) == 0;
	}
	if (!strcmp(want_outcome, "accept") && want.n == 0)
		ok = ok && got.n > 0;
	else if (!strcmp(want_outcome, "accept"))
		ok = ok && got.n == want.n && nlisted_stored == want.n;
	else if (!strcmp(want_outcome, "partial"))
		ok = ok && nlisted_stored > 0 && nlisted_stored == got.n;
	else if (!strcmp(want_outcome, "reject"))
		ok = ok && got.n == 0 && has_reason((const char *)r.body.data);
	/* What was stored can be fetched and listed. */
	for (i = 0; i < got.n; i++)
		inv = serve(ctx, row->file, got.v[i]) && inv;
	first_reason((const char *)r.body.data, why, sizeof(why));
	CHECK(ok, "%s: manifest %s%s%s, keymail %s (stored %zu key%s, "
	    "%zu of %zu listed): %s", row->file, row->expect,
	    dev ? ", table says " : "", dev ? dev->want : "", got_outcome,
	    got.n, got.n == 1 ? "" : "s", nlisted_stored, want.n, why);
	if (!ok && getenv("KM_VERBOSE"))
		printf("%s\n", (const char *)r.body.data);
	if (ok && inv && !dev && !strcmp(got_outcome, row->expect))
		(*matched)++;
	slash = strchr(row->file, '/');
	tally(by_expect, 4, row->expect, strlen(row->expect), ok && inv);
	tally(by_dir, 24, row->file, slash ? (size_t)(slash - row->file) :
	    strlen(row->file), ok && inv);
	cmd_result_free(&r);
}

/* ---- main --------------------------------------------------------------- */

int
main(void)
{
	const char *pg = getenv("KM_TEST_PG"), *top = getenv("KM_TOP");
	const char *only;
	struct conf conf;
	struct cmd_ctx ctx;
	struct store *s = NULL;
	PGconn *admin;
	char *dbname, *sql, *conninfo;
	size_t i, matched = 0, deliberate = 0;
	DIR *d;

	if (top == NULL || *top == '\0')
		top = ".";
	corpus = xasprintf("%s/../shared/testdata/keys", top);
	if ((d = opendir(corpus)) == NULL || load_manifest() < 0) {
		if (d)
			closedir(d);
		printf("NOTE: corpus absent (%s): the conformance test of "
		    "every corpus file (624 files) was not run\n", corpus);
		free(corpus);
		return check_done();
	}
	closedir(d);
	if (load_table(top) < 0)
		CHECK(0, "cannot read %s/tests/CONFORMANCE.md", top);
	if (pg == NULL || *pg == '\0') {
		CHECK(0, "KM_TEST_PG is not set: the conformance test needs a "
		    "PostgreSQL server (tests/run starts one)");
		return check_done();
	}
	(void)pgp_crypto_init();

	sql = xasprintf("%s dbname=postgres application_name=conformance", pg);
	admin = PQconnectdb(sql);
	free(sql);
	if (PQstatus(admin) != CONNECTION_OK) {
		CHECK(0, "cannot connect to KM_TEST_PG (%s): %s", pg,
		    PQerrorMessage(admin));
		PQfinish(admin);
		return check_done();
	}
	(void)PQsetNoticeProcessor(admin, quiet, NULL);
	dbname = xasprintf("km_conformance_%ld", (long)getpid());
	sql = xasprintf("CREATE DATABASE %s", dbname);
	CHECK_INT(sql_exec(admin, sql), 0);
	free(sql);
	conninfo = xasprintf("%s dbname=%s", pg, dbname);
	db = PQconnectdb(conninfo);
	(void)PQsetNoticeProcessor(db, quiet, NULL);
	if (PQstatus(db) != CONNECTION_OK ||
	    store_open(conninfo, &s) != STORE_OK ||
	    store_initdb(s) != STORE_OK) {
		CHECK(0, "test database %s: %s", dbname, store_errmsg(s));
		goto done;
	}

	conf_defaults(&conf);
	cmd_ctx_init(&ctx, &conf, s);
	/* KM_ONLY=substring runs the files whose name contains it (for
	 * looking at one case; the tallies are then partial). */
	only = getenv("KM_ONLY");
	for (i = 0; i < nrows; i++)
		if (only == NULL || strstr(rows[i].file, only) != NULL)
			one_file(&ctx, &rows[i], &matched);
	conf_free(&conf);

	for (i = 0; i < ndevs; i++) {
		CHECK(devs[i].seen || only, "tests/CONFORMANCE.md lists %s, which is "
		    "not in the manifest", devs[i].file);
		deliberate++;
	}
	printf("TALLY: conformance matched %zu/%zu (%zu more differ from "
	    "the manifest on purpose, see tests/CONFORMANCE.md)\n", matched,
	    nrows, deliberate);
	for (i = 0; i < 4 && by_expect[i].name[0]; i++)
		printf("TALLY: conformance %s: %zu/%zu as expected\n",
		    by_expect[i].name, by_expect[i].ok, by_expect[i].n);
	for (i = 0; i < 24 && by_dir[i].name[0]; i++)
		printf("TALLY: conformance %s/: %zu/%zu as expected\n",
		    by_dir[i].name, by_dir[i].ok, by_dir[i].n);
done:
	store_close(s);
	PQfinish(db);
	sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	CHECK_INT(sql_exec(admin, sql), 0);
	free(sql);
	PQfinish(admin);
	free(dbname);
	free(conninfo);
	free(rows);
	free(devs);
	free(manifest_text);
	free(table_text);
	free(corpus);
	return check_done();
}
