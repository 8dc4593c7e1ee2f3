/*
 * store/syncq.c - the peer sync queue (sql/002-sync.sql, mail-protocol.md
 * 4.5): queueing a merged key (inside the merge's transaction), the
 * `keymail sync` run's lock, expiry, paging, and marks.
 *
 * Trails and peer addresses come from mail or the configuration; they
 * travel only as parameters. Memory: struct store_sync_entries owns its
 * strings and blobs; store_sync_entries_free() releases them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"
#include "store/pg_internal.h"
#include "store/store.h"

/* Queue a merged key, in the merge's transaction (pg_internal.h). */
enum store_status
pg_sync_enqueue(struct store *s, int64_t id, const char *seen_lit)
{
	struct params p;

	p_init(&p);
	p_int8(&p, id);
	p_text(&p, seen_lit);
	return q(s, "merge: sync queue", "INSERT INTO sync_queue (key_id, seen)"
	    " VALUES ($1, $2::text[]) ON CONFLICT (key_id) DO UPDATE SET"
	    " seen = ARRAY(SELECT x FROM unnest(sync_queue.seen) AS x"
	    " WHERE x = ANY (EXCLUDED.seen)), sent = '{}',"
	    " gen = sync_queue.gen + 1, queued = now()", &p, 0, NULL);
}

/* Split a '\n'-joined list (array_to_string of a text[]) into strings. */
static char **
split_lines(const char *s, size_t len, size_t *n)
{
	char **v = NULL;
	size_t i = 0, start = 0;

	*n = 0;
	if (len == 0)
		return NULL;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		if (i > start) {
			v = xreallocarray(v, *n + 1, sizeof(*v));
			v[(*n)++] = xstrndup(s + start, i - start);
		}
		start = i + 1;
	}
	return v;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
store_sync_entries_free(struct store_sync_entries *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		free_strv(e->v[i].seen, e->v[i].nseen);
		free_strv(e->v[i].sent, e->v[i].nsent);
		free(e->v[i].data);
		free(e->v[i].published);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

enum store_status
store_sync_lock(struct store *s, bool *got)
{
	PGresult *res;
	enum store_status st;

	*got = false;
	if ((st = q(s, "sync: lock", STORE_SYNC_LOCK, NULL, 0, &res)) != STORE_OK)
		return st;
	*got = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_sync_unlock(struct store *s)
{
	return q(s, "sync: unlock", STORE_SYNC_UNLOCK, NULL, 0, NULL);
}

enum store_status
store_sync_expire(struct store *s, time_t max_age, size_t *dropped)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	*dropped = 0;
	p_init(&p);
	p_int8(&p, (int64_t)max_age);
	if ((st = q(s, "sync: expire", "DELETE FROM sync_queue WHERE queued <"
	    " now() - make_interval(secs => $1::int8)", &p, 0, &res)) != STORE_OK)
		return st;
	*dropped = (size_t)strtoul(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_sync_fetch(struct store *s, int64_t after, size_t max,
    struct store_sync_entries *out)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	int n, i;

	out->v = NULL;
	out->n = 0;
	p_init(&p);
	p_int8(&p, after);
	p_int8(&p, (int64_t)(max > STORE_MAX_LIMIT ? STORE_MAX_LIMIT : max));
	/* The key blob comes with the entry: what we send is the key as it
	 * is now, whatever change queued it (a full key, spec 4.5). */
	if ((st = q(s, "sync: fetch", "SELECT q.key_id, q.gen,"
	    " array_to_string(q.seen, E'\\n'), array_to_string(q.sent, E'\\n'),"
	    " k.data, coalesce(o.state, ''), p.data"
	    " FROM sync_queue q JOIN keys k ON k.id = q.key_id"
	    " LEFT JOIN owner o ON o.key_id = q.key_id"
	    " LEFT JOIN published p ON p.key_id = q.key_id"
	    " WHERE q.key_id > $1 ORDER BY q.key_id LIMIT $2",
	    &p, 1, &res)) != STORE_OK)
		return st;
	n = PQntuples(res);
	if (n > 0)
		out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		struct store_sync_entry *e = &out->v[out->n++];

		e->key_id = pg_get_int8(res, i, 0);
		e->gen = pg_get_int8(res, i, 1);
		e->seen = split_lines(PQgetvalue(res, i, 2),
		    (size_t)PQgetlength(res, i, 2), &e->nseen);
		e->sent = split_lines(PQgetvalue(res, i, 3),
		    (size_t)PQgetlength(res, i, 3), &e->nsent);
		e->len = (size_t)PQgetlength(res, i, 4);
		e->data = xmemdup(PQgetvalue(res, i, 4), e->len);
		e->owner_state = !strcmp(PQgetvalue(res, i, 5), "visible") ?
		    STORE_VISIBLE : !strcmp(PQgetvalue(res, i, 5), "hidden") ?
		    STORE_HIDDEN : STORE_UNCLAIMED;
		if (!PQgetisnull(res, i, 6)) {
			e->published_len = (size_t)PQgetlength(res, i, 6);
			e->published = xmemdup(PQgetvalue(res, i, 6),
			    e->published_len);
		}
	}
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_sync_mark(struct store *s, int64_t key_id, int64_t gen, const char *peer)
{
	struct params p;

	p_init(&p);
	p_int8(&p, key_id);
	p_int8(&p, gen);
	p_text(&p, peer);
	return q(s, "sync: mark sent", "UPDATE sync_queue SET sent ="
	    " array_append(sent, lower($3)) WHERE key_id = $1 AND gen = $2"
	    " AND NOT (lower($3) = ANY (sent))", &p, 0, NULL);
}

enum store_status
store_sync_done(struct store *s, int64_t key_id, int64_t gen)
{
	struct params p;

	p_init(&p);
	p_int8(&p, key_id);
	p_int8(&p, gen);
	return q(s, "sync: done", "DELETE FROM sync_queue WHERE key_id = $1"
	    " AND gen = $2", &p, 0, NULL);
}
