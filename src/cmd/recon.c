/*
 * cmd/recon.c - keymail recon (reconciliation.md 4.1, 10.1, 11): the
 * timer's side of reconciliation.
 *
 * DESCRIPTION
 *	One run, for every configured recon_peer in turn, under that peer's
 *	advisory lock:
 *	1. what a session committed but did not hand over (keys, a control
 *	   record) goes to the mailer; a live session past
 *	   recon_session_days ends with ABORT timeout; a control mail
 *	   unanswered for recon_resend_hours (then 2x, 4x) is mailed again,
 *	   the same record in a new mail, three times at most;
 *	2. a new session starts when the peer is due (no live session, none
 *	   started within recon_interval_hours x 2^failures, at most 7 days,
 *	   and fewer than recon_max_sessions_per_day in 24 hours), or at
 *	   once for `keymail recon ADDRESS` (the interval ignored): the
 *	   snapshot of our set, the whole prefix the session may serve
 *	   computed and kept with it, and the OFFER, committed before it is
 *	   mailed.
 *	Ended sessions are forgotten recon_session_days after their end,
 *	futility memo entries after 30 days. -l only reads and prints.
 *
 * Time is the reading of cmd_recon_clock(), once per run (tests move it
 * with faketime or KEYMAIL_NOW).
 *
 * Input: the configuration (trusted) and the store's session state (our
 * own records; peers' records were checked by recon_mail.c before they
 * were stored). Memory: everything a step loads is freed within it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmd/owner.h"
#include "cmd/recon_internal.h"
#include "util/log.h"
#include "util/xalloc.h"

time_t
cmd_recon_clock(void)
{
	const char *e = getenv("KEYMAIL_NOW");
	unsigned long long v = 0;
	size_t i;

	if (e == NULL || *e == '\0' || strlen(e) > 12)
		return time(NULL);
	for (i = 0; e[i] != '\0'; i++) {
		if (e[i] < '0' || e[i] > '9')
			return time(NULL);
		v = v * 10 + (unsigned long long)(e[i] - '0');
	}
	return (time_t)v;
}

/* When a peer is next due (spec 11.4): recon_interval_hours x 2^f after
 * the last session started, f failures in a row, the backoff at most 7
 * days; 0 (now) when it was never reconciled with. */
static int64_t
next_due(const struct conf *c, const struct store_recon_peer *pr)
{
	int64_t base = (int64_t)c->recon_interval_hours * 3600, wait = base;
	int64_t cap = (int64_t)KM_RECON_MAX_BACKOFF_DAYS * 86400;
	uint32_t f;

	if (pr->last_start == 0)
		return 0;
	for (f = 0; f < pr->failures && wait < cap; f++)
		wait *= 2;
	if (f > 0 && wait > cap)
		wait = base > cap ? base : cap;
	return pr->last_start + wait;
}

static void
iso_time(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(out, n, "?");
	else
		strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *const state_names[] = {
	NULL, "offered", "cells-sent", "more-sent", "result-sent", "ended",
};

/* keymail recon -l: one line per peer (spec 4.1). */
static enum store_status
list_peer(struct rrun *r, const struct rpeer *p)
{
	struct store_recon_peer pr;
	struct store_recon_session live;
	struct pgp_key *key = NULL;
	enum store_status st;
	const char *why;
	char last[32], next[32], status[48], livebuf[64], sid[17];
	int64_t due;
	int rc;

	if ((st = store_recon_peer_get(r->ctx->store, p->lower, &pr)) != STORE_OK)
		return st;
	if ((rc = rs_peer_key(r, p, &key, &why)) == -1)
		return STORE_TEMPFAIL;
	if (key != NULL)
		pgp_key_free(key);
	if (pr.last_start == 0)
		snprintf(last, sizeof(last), "never");
	else
		iso_time(pr.last_start, last, sizeof(last));
	if (pr.last_status == STORE_RECON_OK)
		snprintf(status, sizeof(status), "ok");
	else if (pr.last_status == STORE_RECON_TIMEOUT)
		snprintf(status, sizeof(status), "timeout");
	else if (pr.last_status == STORE_RECON_ABORTED)
		snprintf(status, sizeof(status), "aborted:%s",
		    recon_reason_name(pr.last_reason) ?
		    recon_reason_name(pr.last_reason) : "?");
	else
		snprintf(status, sizeof(status), "-");
	due = next_due(r->ctx->conf, &pr);
	iso_time(due > (int64_t)r->now ? due : (int64_t)r->now, next,
	    sizeof(next));
	store_recon_session_init(&live);
	st = store_recon_live(r->ctx->store, p->lower, false, &live);
	if (st == STORE_OK) {
		rs_sid_hex(live.sid, sid);
		snprintf(livebuf, sizeof(livebuf), "%s:%s", sid,
		    live.state > 0 && live.state <= STORE_RECON_ENDED ?
		    state_names[live.state] : "?");
	} else
		snprintf(livebuf, sizeof(livebuf), "-");
	store_recon_session_free(&live);
	if (st != STORE_OK && st != STORE_NOTFOUND)
		return st;
	printf("%s %s key=%s last=%s status=%s d=%u next=%s live=%s\n", p->addr,
	    p->fpr_hex, rc == 1 ? "yes" : "no", last, status, pr.last_d, next,
	    livebuf);
	return STORE_OK;
}

/* A live session past recon_session_days: ABORT timeout (spec 11.2). */
static enum store_status
time_out(struct rrun *r, const struct rpeer *p, struct store_recon_session *ss)
{
	struct store *s = r->ctx->store;
	struct buf body;
	enum store_status st;

	buf_init(&body, 0);
	recon_body_abort(&body, RECON_TIMEOUT);
	ss->seq_out = (ss->seq_in > ss->seq_out ? ss->seq_in : ss->seq_out) + 1;
	if (rs_make_out(r, p, ss, RECON_ABORT, &body) == -1) {
		buf_free(&body);
		return STORE_ERROR;
	}
	buf_free(&body);
	if ((st = store_begin(s)) != STORE_OK)
		return st;
	if ((st = rs_end(r, p, ss, STORE_RECON_TIMEOUT, RECON_TIMEOUT)) != STORE_OK ||
	    (st = store_recon_put(s, ss, true)) != STORE_OK ||
	    (st = store_commit(s)) != STORE_OK) {
		store_rollback(s);
		return st;
	}
	rs_log_end(r, p, ss);
	return rs_hand_out(r, p, ss, false);
}

/* Step 1 for one peer: flush, time out, resend. */
static enum store_status
tend_sessions(struct rrun *r, const struct rpeer *p)
{
	const struct conf *c = r->ctx->conf;
	struct store_recon_session ss;
	uint64_t *sids = NULL;
	size_t n = 0, i;
	enum store_status st;
	int64_t due;

	st = store_recon_active(r->ctx->store, p->lower, &sids, &n);
	for (i = 0; i < n && st == STORE_OK && !r->mail_tempfail; i++) {
		store_recon_session_init(&ss);
		st = store_recon_get(r->ctx->store, p->lower, sids[i], false, &ss);
		if (st == STORE_OK)
			st = rs_flush(r, p, &ss);
		if (st != STORE_OK || r->mail_tempfail ||
		    ss.status != STORE_RECON_LIVE) {
			store_recon_session_free(&ss);
			continue;
		}
		if (ss.created + (int64_t)c->recon_session_days * 86400 <=
		    (int64_t)r->now)
			st = time_out(r, p, &ss);
		else if (ss.out_sent != 0 && ss.resends < KM_RECON_RESENDS) {
			due = ss.out_sent + ((int64_t)c->recon_resend_hours * 3600 <<
			    ss.resends);
			if (due <= (int64_t)r->now)
				st = rs_hand_out(r, p, &ss, true);
		}
		store_recon_session_free(&ss);
	}
	free(sids);
	return st;
}

static int
rand_nonzero_sid(uint64_t *sid)
{
	uint8_t b[8];
	int i, tries;

	for (tries = 0; tries < 8; tries++) {
		pgp_random_nonce(b, sizeof(b));
		for (*sid = 0, i = 0; i < 8; i++)
			*sid = *sid << 8 | b[i];
		if (*sid != 0)
			return 0;
	}
	return -1;
}

/* Step 2: a new session as the initiator (spec 10.1). */
static enum store_status
start_session(struct rrun *r, const struct rpeer *p)
{
	const struct conf *c = r->ctx->conf;
	struct store *s = r->ctx->store;
	struct store_recon_session ss;
	struct store_recon_peer pr;
	struct recon_set set;
	struct buf body;
	enum store_status st;
	uint32_t m, maxc = (uint32_t)c->recon_max_cells;
	char sid[17];

	store_recon_session_init(&ss);
	snprintf(ss.peer, sizeof(ss.peer), "%s", p->lower);
	ss.role = STORE_RECON_INITIATOR;
	ss.state = STORE_RECON_OFFERED;
	pgp_random_nonce(ss.salt, sizeof(ss.salt));
	if (rand_nonzero_sid(&ss.sid) == -1) {
		store_recon_session_free(&ss);
		return STORE_ERROR;
	}
	rs_sid_hex(ss.sid, sid);
	/* The snapshot: one query, and every cell the session may serve
	 * made from it now. */
	if ((st = rs_scan(r, ss.salt, maxc, false, &set)) != STORE_OK) {
		recon_set_free(&set);
		store_recon_session_free(&ss);
		return st;
	}
	m = (uint32_t)c->recon_offer_cells < maxc ? (uint32_t)c->recon_offer_cells :
	    maxc;
	ss.created = r->now;
	ss.n_self = set.n;
	ss.max_cells = maxc;
	ss.held = m;
	ss.seq_out = 1;
	buf_init(&body, 0);
	recon_body_offer(&body, ss.salt, set.n, m, maxc, set.tow, set.cells);
	{
		uint8_t *w = xmalloc((size_t)maxc * RECON_CELL_OCTETS);

		recon_cells_put(w, set.cells, maxc);
		(void)buf_append(&ss.cells, w, (size_t)maxc * RECON_CELL_OCTETS);
		free(w);
	}
	recon_set_free(&set);
	if (rs_make_out(r, p, &ss, RECON_OFFER, &body) == -1) {
		buf_free(&body);
		store_recon_session_free(&ss);
		return STORE_ERROR;
	}
	buf_free(&body);
	if ((st = store_begin(s)) != STORE_OK)
		goto out;
	if ((st = store_recon_peer_get(s, p->lower, &pr)) == STORE_OK) {
		pr.last_start = r->now;
		st = store_recon_peer_put(s, p->lower, &pr);
	}
	if (st == STORE_OK)
		st = store_recon_put(s, &ss, true);
	if (st == STORE_OK)
		st = store_commit(s);
	if (st != STORE_OK) {
		store_rollback(s);
		goto out;
	}
	log_info("recon: session %s with %s started: n=%u cells=%u", sid, p->addr,
	    ss.n_self, m);
	st = rs_hand_out(r, p, &ss, false);
out:
	store_recon_session_free(&ss);
	return st;
}

/* Is the peer due (or, forced, allowed)? Says why not when forced. */
static enum store_status
may_start(struct rrun *r, const struct rpeer *p, bool forced, bool *go)
{
	const struct conf *c = r->ctx->conf;
	struct store_recon_session live;
	struct store_recon_peer pr;
	struct pgp_key *key = NULL;
	uint32_t nsess = 0, nkeys = 0;
	enum store_status st;
	const char *why;
	int rc;

	*go = false;
	rc = rs_peer_key(r, p, &key, &why);
	if (rc == -1)
		return STORE_TEMPFAIL;
	if (rc == 0) {
		log_warnx("recon: peer %s skipped: its key %s %s; load it with: "
		    "keymail import <file with the key>", p->addr, p->fpr_hex, why);
		return STORE_OK;
	}
	pgp_key_free(key);
	store_recon_session_init(&live);
	st = store_recon_live(r->ctx->store, p->lower, false, &live);
	store_recon_session_free(&live);
	if (st == STORE_OK) {
		if (forced)
			log_info("recon: a session with %s is live; none started",
			    p->addr);
		return STORE_OK;
	}
	if (st != STORE_NOTFOUND)
		return st;
	if ((st = store_recon_peer_get(r->ctx->store, p->lower, &pr)) != STORE_OK ||
	    (st = store_recon_counts(r->ctx->store, p->lower,
	    (int64_t)r->now - 86400, &nsess, &nkeys)) != STORE_OK)
		return st;
	if (nsess >= c->recon_max_sessions_per_day) {
		log_info("recon: %u sessions with %s in 24 hours "
		    "(recon_max_sessions_per_day); none started", nsess, p->addr);
		return STORE_OK;
	}
	*go = forced || next_due(c, &pr) <= (int64_t)r->now;
	return STORE_OK;
}

static enum store_status
one_peer(struct rrun *r, const struct rpeer *p, bool start, bool forced)
{
	struct store *s = r->ctx->store;
	enum store_status st, ust;
	bool go = false;

	if ((st = store_recon_lock(s, p->lower)) != STORE_OK)
		return st;
	st = tend_sessions(r, p);
	if (st == STORE_OK && start && !r->mail_tempfail)
		st = may_start(r, p, forced, &go);
	if (st == STORE_OK && go)
		st = start_session(r, p);
	ust = store_recon_unlock(s, p->lower);
	return st != STORE_OK ? st : ust;
}

enum cmd_run
cmd_recon(const struct conf *c, time_t now, const struct cmd_recon_opts *o)
{
	struct cmd_ctx ctx;
	struct rrun r;
	struct store *s = NULL;
	const struct rpeer *only = NULL;
	enum store_status st;
	char why[512];
	bool refused, match = false, deferred = false;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	r.now = now;
	rrun_peers(&r, c);
	if (o->address != NULL && (only = rrun_peer(&r, o->address)) == NULL) {
		log_warnx("recon: %s is not a recon_peer", o->address);
		rrun_free(&r);
		return CMD_RUN_USAGE;
	}
	if (r.npeers == 0) {
		log_info("recon: no recon_peer is configured; nothing to do");
		rrun_free(&r);
		return CMD_RUN_OK;
	}
	if (!o->list) {
		rc = cmd_server_key_load(c, &r.me, why, sizeof(why));
		if (rc != 0) {
			log_warnx("recon: server key: %s; run keymail serverkey "
			    "to create it", why);
			rrun_free(&r);
			return CMD_RUN_CONFIG;
		}
		r.have_key = true;
	}
	st = store_open(c->database, &s);
	if (st != STORE_OK) {
		log_warnx("database: %s", s ? store_errmsg(s) : store_strerror(st));
		store_close(s);
		rrun_free(&r);
		return CMD_RUN_TEMPFAIL;
	}
	cmd_ctx_init(&ctx, c, s);
	r.ctx = &ctx;
	if (o->list) {
		for (i = 0; i < r.npeers && st == STORE_OK; i++)
			st = list_peer(&r, &r.peers[i]);
		goto out;
	}
	/* The set is the policy's public copies (spec 5.1): nothing starts
	 * or leaves while they are built for another policy, as for sync
	 * (owner-control.md 2). */
	st = owner_policy_check(c, s, &match, why, sizeof(why));
	if (st == STORE_OK && !match) {
		log_warnx("recon: %s", why);
		deferred = true;
		goto out;
	}
	/* Our public key in our store, silently (spec 3.3). */
	st = cmd_server_key_publish(&ctx, &r.me, &refused);
	if (st == STORE_OK)
		st = store_recon_expire(s, (int64_t)now -
		    (int64_t)c->recon_session_days * 86400,
		    (int64_t)now - (int64_t)KM_RECON_FUTILE_DAYS * 86400);
	for (i = 0; i < r.npeers && st == STORE_OK; i++) {
		bool mine = only == NULL || only == &r.peers[i];

		st = one_peer(&r, &r.peers[i], mine, only != NULL);
	}
out:
	if (st != STORE_OK)
		log_warnx("recon: database: %s", store_errmsg(s));
	store_close(s);
	rc = st != STORE_OK || r.mail_tempfail || deferred;
	rrun_free(&r);
	return rc ? CMD_RUN_TEMPFAIL : CMD_RUN_OK;
}
