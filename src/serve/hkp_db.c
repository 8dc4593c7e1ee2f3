/*
 * serve/hkp_db.c - see hkp_db.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "serve/hkp_db.h"
#include "util/log.h"

/* ---- connections ------------------------------------------------------ */

static struct store *
primary(struct hkp_db *db)
{
	enum store_status st;

	if (db->rw != NULL)
		return db->rw;
	st = store_open(db->conf->database, &db->rw);
	if (st != STORE_OK) {
		if (!db->rw_down)
			log_warnx("hkp: database: %s", db->rw ? store_errmsg(db->rw) :
			    store_strerror(st));
		db->rw_down = true;
		store_close(db->rw);
		db->rw = NULL;
		return NULL;
	}
	if (db->rw_down)
		log_info("hkp: database: connected again");
	db->rw_down = false;
	return db->rw;
}

/* A call on the primary failed with st: drop the connection so that the
 * next try makes a new one. */
static void
primary_failed(struct hkp_db *db, enum store_status st)
{
	if (!db->rw_down)
		log_warnx("hkp: database: %s", db->rw ? store_errmsg(db->rw) :
		    store_strerror(st));
	db->rw_down = true;
	store_close(db->rw);
	db->rw = NULL;
}

/* ---- the backend ------------------------------------------------------ */

/* One lookup on s; *st is the store's verdict. */
static enum hkp_be_status
lookup_on(struct hkp_db *db, struct store *s, enum hkp_lookup_op op,
    const char *search, bool exact, struct buf *body, size_t *nkeys,
    enum store_status *st)
{
	struct cmd_ctx ctx;
	struct cmd_result r;
	struct store_keys ks;
	enum cmd_found found;
	enum hkp_be_status rc = HKP_BE_UNAVAILABLE;

	cmd_ctx_init(&ctx, db->conf, s);
	cmd_result_init(&r);
	*st = cmd_find_keys(&ctx, search, exact ? CMD_FIND_EXACT : 0, &ks, &r, &found);
	if (*st != STORE_OK)
		goto done;
	switch (found) {
	case CMD_FIND_NONE:
		buf_append(body, r.body.data, r.body.len);
		rc = HKP_BE_NONE;
		break;
	case CMD_FIND_ERROR:
		buf_append(body, r.body.data, r.body.len);
		rc = HKP_BE_BAD;
		break;
	case CMD_FIND_FOUND:
		*nkeys = ks.n;
		rc = HKP_BE_FOUND;
		switch (op) {
		case HKP_LOOKUP_GET:
			/* A single key is always served (server.md 5.3). */
			if (cmd_armor_blobs(&ks, ks.n == 1 ? 0 : db->conf->max_reply_size,
			    body) < 0)
				rc = HKP_BE_TOO_LARGE;
			break;
		case HKP_LOOKUP_INDEX:
		case HKP_LOOKUP_VINDEX:
			*st = cmd_render_index(&ctx, &ks, op == HKP_LOOKUP_VINDEX, body);
			if (*st != STORE_OK)
				rc = HKP_BE_UNAVAILABLE;
			break;
		case HKP_LOOKUP_MR:
			cmd_render_index_mr(&ctx, &ks, body);
			break;
		}
		break;
	}
done:
	store_keys_free(&ks);
	cmd_result_free(&r);
	return rc;
}

static enum hkp_be_status
be_lookup(void *arg, enum hkp_lookup_op op, const char *search, bool exact,
    struct buf *body, size_t *nkeys)
{
	struct hkp_db *db = arg;
	enum hkp_be_status rc = HKP_BE_UNAVAILABLE;
	enum store_status st;
	size_t mark = body->len;
	int attempt;

	*nkeys = 0;
	for (attempt = 0; attempt < 2; attempt++) {
		struct store *s = primary(db);

		if (s == NULL)
			break;
		rc = lookup_on(db, s, op, search, exact, body, nkeys, &st);
		if (st == STORE_OK)
			return rc;
		body->len = mark;	/* nothing of a failed try is sent */
		body->data[mark] = '\0';
		primary_failed(db, st);
	}
	return HKP_BE_UNAVAILABLE;
}

static enum hkp_be_status
be_add(void *arg, const uint8_t *data, size_t len, struct buf *body,
    unsigned *stored, unsigned *refused)
{
	struct hkp_db *db = arg;
	struct cmd_ctx ctx;
	struct cmd_result r;
	enum store_status st = STORE_TEMPFAIL;
	int attempt;

	*stored = *refused = 0;
	for (attempt = 0; attempt < 2; attempt++) {
		struct store *s = primary(db);

		if (s == NULL)
			break;
		/* An anonymous user ADD: an empty trail, queued for the
		 * peers like a mail ADD when peers are configured. */
		cmd_ctx_init(&ctx, db->conf, s);
		cmd_result_init(&r);
		st = cmd_add_blob(&ctx, data, len, &r);
		*stored = r.keys_stored;
		*refused = r.keys_refused;
		if (st == STORE_OK) {
			buf_append(body, r.body.data, r.body.len);
			cmd_result_free(&r);
			return HKP_BE_FOUND;
		}
		cmd_result_free(&r);
		primary_failed(db, st);
	}
	return HKP_BE_UNAVAILABLE;
}

static enum hkp_be_status
be_count(void *arg, long long *n)
{
	struct hkp_db *db = arg;

	(void)db;
	*n = 0;
	return HKP_BE_FOUND;
}

void
hkp_db_open(struct hkp_db *db, const struct conf *c, struct hkp_backend *be)
{
	memset(db, 0, sizeof(*db));
	db->conf = c;
	(void)primary(db);
	be->arg = db;
	be->lookup = be_lookup;
	be->add = be_add;
	be->count = be_count;
}

void
hkp_db_close(struct hkp_db *db)
{
	store_close(db->rw);
	db->rw = NULL;
}
