/*
 * serve/hkp_db.c - see hkp_db.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/owner.h"
#include "serve/hkp_db.h"
#include "util/log.h"

/*
 * owner-control.md 2: while the database records another policy than the
 * configured one, its published copies are not what this configuration
 * would publish, so nothing is answered from it (503, as the filter
 * defers mail then), on whichever connection the request runs: the
 * recorded policy replicates to a standby. Logged once per change.
 */
static enum store_status
policy_ready(struct hkp_db *db, struct store *s, bool *ready)
{
	char why[300];
	enum store_status st;

	if ((st = owner_policy_check(db->conf, s, ready, why, sizeof(why))) != STORE_OK)
		return st;
	if (!*ready && !db->policy_differs)
		log_warnx("hkp: %s", why);
	else if (*ready && db->policy_differs)
		log_info("hkp: the database's policy is the configured one again");
	db->policy_differs = !*ready;
	return STORE_OK;
}

/* One lookup, as pipeline_db_lookup runs it (maybe twice). */
struct lookup_job {
	struct hkp_db *db;
	enum hkp_lookup_op op;
	const char *search;
	bool exact;
	struct buf out;			/* the formatted answer or the reason */
	size_t nkeys;
	enum hkp_be_status rc;
};

static enum store_status
run_lookup(void *arg, struct store *s)
{
	struct lookup_job *j = arg;
	struct cmd_ctx ctx;
	struct cmd_result r;
	struct store_keys ks;
	enum cmd_found found;
	enum store_status st;
	bool ready;

	buf_reset(&j->out);
	j->nkeys = 0;
	if ((st = policy_ready(j->db, s, &ready)) != STORE_OK)
		return st;
	if (!ready) {
		j->rc = HKP_BE_UNAVAILABLE;
		return STORE_OK;
	}
	cmd_ctx_init(&ctx, j->db->conf, s);
	cmd_result_init(&r);
	/* The mail GET's lookup: op=get (and VKS, which answers as op=get)
	 * by exact fingerprint finds a revocation-only copy too. */
	st = cmd_find_keys(&ctx, j->search, (j->exact ? CMD_FIND_EXACT : 0) |
	    (j->op == HKP_LOOKUP_GET ? CMD_FIND_GET : 0), &ks, &r, &found);
	if (st != STORE_OK)
		goto done;
	switch (found) {
	case CMD_FIND_NONE:
		buf_append(&j->out, r.body.data, r.body.len);
		j->rc = HKP_BE_NONE;
		break;
	case CMD_FIND_ERROR:
		buf_append(&j->out, r.body.data, r.body.len);
		j->rc = HKP_BE_BAD;
		break;
	case CMD_FIND_FOUND:
		j->nkeys = ks.n;
		j->rc = HKP_BE_FOUND;
		switch (j->op) {
		case HKP_LOOKUP_GET:
			/* A single key is always served (server.md 5.3). */
			if (cmd_armor_blobs(&ks, ks.n == 1 ? 0 : j->db->conf->max_reply_size,
			    &j->out) < 0)
				j->rc = HKP_BE_TOO_LARGE;
			break;
		case HKP_LOOKUP_INDEX:
		case HKP_LOOKUP_VINDEX:
			st = cmd_render_index(&ctx, &ks, j->op == HKP_LOOKUP_VINDEX, &j->out);
			break;
		case HKP_LOOKUP_MR:
			cmd_render_index_mr(&ctx, &ks, &j->out);
			break;
		}
		break;
	}
done:
	store_keys_free(&ks);
	cmd_result_free(&r);
	return st;
}

static enum hkp_be_status
be_lookup(void *arg, enum hkp_lookup_op op, const char *search, bool exact,
    struct buf *body, size_t *nkeys)
{
	struct hkp_db *db = arg;
	struct lookup_job j;
	enum store_status st;

	memset(&j, 0, sizeof(j));
	j.db = db;
	j.op = op;
	j.search = search;
	j.exact = exact;
	buf_init(&j.out, 0);
	st = pipeline_db_lookup(&db->db, run_lookup, &j, NULL, 0);
	*nkeys = j.nkeys;
	if (st == STORE_OK)
		buf_append(body, j.out.data, j.out.len);
	buf_free(&j.out);
	return st == STORE_OK ? j.rc : HKP_BE_UNAVAILABLE;
}

/*
 * /pks/add: an anonymous user ADD, on the primary: an empty trail,
 * queued for the peers like a mail ADD when peers are configured. A lost
 * connection is opened again and the upload merged once more (merges are
 * idempotent: what the first try committed comes out as nothing new).
 */
static enum hkp_be_status
be_add(void *arg, const uint8_t *data, size_t len, struct buf *body,
    unsigned *stored, unsigned *refused)
{
	struct hkp_db *db = arg;
	struct cmd_ctx ctx;
	struct cmd_result r;
	enum store_status st;
	struct store *s;
	int attempt;
	bool ready;

	*stored = *refused = 0;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((s = pipeline_db_primary(&db->db, &st, NULL, 0)) == NULL)
			break;
		if ((st = policy_ready(db, s, &ready)) == STORE_OK && !ready)
			return HKP_BE_UNAVAILABLE;
		if (st != STORE_OK) {
			if (!pipeline_db_primary_failed(&db->db, st, NULL, 0))
				break;
			continue;
		}
		cmd_ctx_init(&ctx, db->conf, s);
		cmd_result_init(&r);
		/* Nothing here ever mails (server.md 5.8): cmd_add_blob only
		 * merges, and r holds no mail to send after a reply. */
		st = cmd_add_blob(&ctx, data, len, &r);
		*stored = r.keys_stored;
		*refused = r.keys_refused;
		buf_append(body, r.body.data, r.body.len);
		cmd_result_free(&r);
		if (st == STORE_OK)
			return HKP_BE_FOUND;
		if (!pipeline_db_primary_failed(&db->db, st, NULL, 0))
			break;
		body->len = 0;		/* the retry's report replaces it */
		body->data[0] = '\0';
	}
	return HKP_BE_UNAVAILABLE;
}

/* op=stats reads the estimate like a lookup (from the standby if any). */
static enum store_status
run_count(void *arg, struct store *s)
{
	return store_estimate_keys(s, arg);
}

static enum hkp_be_status
be_count(void *arg, long long *n)
{
	struct hkp_db *db = arg;

	return pipeline_db_lookup(&db->db, run_count, n, NULL, 0) == STORE_OK ?
	    HKP_BE_FOUND : HKP_BE_UNAVAILABLE;
}

void
hkp_db_open(struct hkp_db *db, const struct conf *c, struct hkp_backend *be)
{
	memset(db, 0, sizeof(*db));
	db->conf = c;
	pipeline_db_init(&db->db, c->database);
	db->db.conninfo_ro = c->database_ro;
	db->db.appname = "keymail/hkp";
	pipeline_db_connect(&db->db);
	be->arg = db;
	be->lookup = be_lookup;
	be->add = be_add;
	be->count = be_count;
}

void
hkp_db_close(struct hkp_db *db)
{
	pipeline_db_close(&db->db);
}
