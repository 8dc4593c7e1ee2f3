/*
 * store/schema.c - store_initdb: create or upgrade the schema from the
 * migrations compiled in from sql/NNN-*.sql (schema.h).
 *
 * The migration scripts are ours (trusted) and may hold several
 * statements, so they are the one text run with PQexec; everything else
 * goes through parameters. Concurrent runs serialize on an advisory lock
 * (PG_LOCK_INITDB). Memory: nothing is kept.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"
#include "store/pg_internal.h"
#include "store/schema.h"
#include "store/store.h"

/* Apply migration m unless schema_version says it was; one transaction. */
static enum store_status
apply_migration(struct store *s, const struct store_migration *m)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	bool done;
	char *what = xasprintf("initdb %s", m->name);

	if ((st = q(s, what, "BEGIN", NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, what, STORE_INITDB_LOCK, NULL, 0, NULL)) != STORE_OK)
		goto out;
	p_init(&p);
	p_int8(&p, m->version);
	if ((st = q(s, what, "SELECT 1 FROM schema_version WHERE version = $1",
	    &p, 0, &res)) != STORE_OK)
		goto out;
	done = PQntuples(res) > 0;
	PQclear(res);
	if (!done) {
		/* Several statements in one string: only PQexec takes that,
		 * and the text is ours (compiled in), not input. */
		res = PQexec(s->conn, m->sql);
		if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK)) {
			st = pg_classify(s, res, what);
			PQclear(res);
			goto out;
		}
		PQclear(res);
		p_text(&p, m->name);
		if ((st = q(s, what, "INSERT INTO schema_version (version, name) "
		    "VALUES ($1, $2)", &p, 0, NULL)) != STORE_OK)
			goto out;
	}
	st = q(s, what, "COMMIT", NULL, 0, NULL);
out:
	if (st != STORE_OK)
		pg_rollback(s);
	free(what);
	return st;
}

enum store_status
store_initdb(struct store *s)
{
	enum store_status st;
	PGresult *res;
	bool exists;
	size_t i;

	/*
	 * schema_version itself is created here, not in a migration, since
	 * it records them. Look before creating: CREATE ... IF NOT EXISTS
	 * still needs CREATE privilege, which a role that may only read and
	 * write keys (re-running initdb harmlessly) lacks.
	 */
	if ((st = q(s, "initdb", "BEGIN", NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, "initdb", STORE_INITDB_LOCK, NULL, 0, NULL)) != STORE_OK ||
	    (st = q(s, "initdb", "SELECT to_regclass('schema_version') IS NOT NULL",
	    NULL, 0, &res)) != STORE_OK)
		goto fail;
	exists = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	if (!exists && (st = q(s, "initdb",
	    "CREATE TABLE schema_version ("
	    " version integer PRIMARY KEY,"
	    " name text NOT NULL,"
	    " applied timestamptz NOT NULL DEFAULT now())",
	    NULL, 0, NULL)) != STORE_OK)
		goto fail;
	if ((st = q(s, "initdb", "COMMIT", NULL, 0, NULL)) != STORE_OK)
		goto fail;
	/* Each migration in its own transaction: a failure leaves the
	 * earlier ones applied and recorded, and a re-run resumes. */
	for (i = 0; i < store_nmigrations; i++)
		if ((st = apply_migration(s, &store_migrations[i])) != STORE_OK)
			return st;
	return STORE_OK;
fail:
	pg_rollback(s);
	return st;
}

enum store_status
store_schema_version(struct store *s, int *have, int *want)
{
	enum store_status st;
	PGresult *res;
	bool exists;

	*have = 0;
	*want = store_nmigrations ? store_migrations[store_nmigrations - 1].version : 0;
	if ((st = q(s, "schema version", "SELECT to_regclass('schema_version')"
	    " IS NOT NULL", NULL, 0, &res)) != STORE_OK)
		return st;
	exists = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	if (!exists)
		return STORE_OK;
	if ((st = q(s, "schema version", "SELECT coalesce(max(version), 0)::int8"
	    " FROM schema_version", NULL, 1, &res)) != STORE_OK)
		return st;
	if (PQntuples(res) == 1)
		*have = (int)pg_get_int8(res, 0, 0);
	PQclear(res);
	return STORE_OK;
}
