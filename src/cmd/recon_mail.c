/*
 * cmd/recon_mail.c - a RECON control mail in keymail filter
 * (reconciliation.md 4.2, 10, 11, 12).
 *
 * DESCRIPTION
 *	The checks of spec 12.1 run in their order; the first that fails
 *	drops the mail with one line "recon: dropped mail from ADDR: why",
 *	nothing sent, nothing stored. Checks 1-6 cost no cryptography and no
 *	store access. Then, under the peer's advisory lock, the record meets
 *	the session it belongs to:
 *	- a SID we do not hold: only an OFFER starts a session (as the
 *	  responder), after the rules of one session per peer, crossing
 *	  offers and the daily limit (spec 11.3);
 *	- the seq last received again (an MTA redelivery, a peer's resend):
 *	  the stored answer is mailed again, keys still pending are mailed,
 *	  nothing is computed again (spec 11.1);
 *	- an older seq, or a session that ended: dropped;
 *	- the next seq of a live session, of a type its state expects: the
 *	  step of spec 10 (MORE -> CELLS, CELLS -> MORE or RESULT, RESULT ->
 *	  keys and DONE, DONE -> keys, ABORT -> end);
 *	- anything else from an authentic peer for a live session (malformed
 *	  body, wrong seq, a type out of place, a range or WANT list over
 *	  the caps): ABORT protocol, and the session ends.
 *	Nothing here answers through the reply path: no "Your command"
 *	reply, no reply counter; the only mails are control mails and
 *	incrementals to the peer's configured address.
 *
 * SECURITY
 *	Everything in the mail is untrusted until check 7 (the signature)
 *	passed, and even then every field is checked for range before use.
 *	Work and memory: the decoder runs only on prefixes we asked for
 *	(bounded by recon_max_cells), our set's table grows with our own
 *	store, never with what the peer claims.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/recon_internal.h"
#include "util/log.h"
#include "util/xalloc.h"

struct rmail {
	struct rrun r;
	const struct rpeer *p;
	const char *from;		/* for the drop line */
	struct recon_record rec;
	const char *body_why;		/* check 9 failed: why (else NULL) */
	bool starting;			/* an OFFER: the peer's last start is now */
	size_t rawlen;
	char sid[17];
};

static void
drop(const char *from, const char *why)
{
	log_warnx("recon: dropped mail from %s: %s", from ? from : "(no From)",
	    why);
}

/* "RECON TYPE SID": the type's number and the SID, or 0. */
static int
subject_parse(const char *subject, uint64_t *sid)
{
	char w[3][24];
	const char *p = subject;
	size_t n, k, i;
	int type;

	for (k = 0; p != NULL && k < 3; k++) {
		while (*p == ' ')
			p++;
		for (n = 0; p[n] != '\0' && p[n] != ' '; n++)
			;
		if (n == 0 || n >= sizeof(w[k]))
			return 0;
		memcpy(w[k], p, n);
		w[k][n] = '\0';
		p += n;
	}
	if (p == NULL || *p != '\0' || strcasecmp(w[0], "RECON") != 0)
		return 0;
	if ((type = recon_type_parse(w[1])) == 0)
		return 0;
	n = strlen(w[2]);
	if (n == 0 || n > 16)
		return 0;
	*sid = 0;
	for (i = 0; i < n; i++) {
		char c = w[2][i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
		    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (v < 0)
			return 0;
		*sid = *sid << 4 | (uint64_t)v;
	}
	return type;
}

/* ---- answers ------------------------------------------------------- */

/* In the answer's transaction: a new session marks the peer's last start
 * (spec 11.4), together with the session itself. */
static enum store_status
begin_answer(struct rmail *x)
{
	struct store *s = x->r.ctx->store;
	struct store_recon_peer pr;
	enum store_status st;

	if ((st = store_begin(s)) != STORE_OK || !x->starting)
		return st;
	if ((st = store_recon_peer_get(s, x->p->lower, &pr)) == STORE_OK) {
		pr.last_start = x->r.now;
		st = store_recon_peer_put(s, x->p->lower, &pr);
	}
	if (st != STORE_OK)
		store_rollback(s);
	return st;
}

/* Commit ss (and what the caller wrote in this transaction), then hand
 * its record over. */
static enum store_status
commit_and_send(struct rmail *x, struct store_recon_session *ss, bool cells)
{
	struct store *s = x->r.ctx->store;
	enum store_status st = store_recon_put(s, ss, cells);

	if (st == STORE_OK)
		st = store_commit(s);
	else
		store_rollback(s);
	if (st == STORE_OK && ss->out_pending)
		st = rs_hand_out(&x->r, x->p, ss, false);
	return st;
}

/* End a live session with ABORT reason, answering the record in hand. */
static enum store_status
abort_session(struct rmail *x, struct store_recon_session *ss, int reason,
    const char *why)
{
	struct store *s = x->r.ctx->store;
	struct buf body;
	enum store_status st;

	log_warnx("recon: session %s with %s: %s; ABORT %s", x->sid, x->p->addr,
	    why, recon_reason_name(reason));
	buf_init(&body, 0);
	recon_body_abort(&body, (uint8_t)reason);
	ss->seq_in = x->rec.h.seq;
	ss->seq_out = x->rec.h.seq < 0xffff ? x->rec.h.seq + 1u : 0xffffu;
	if (rs_make_out(&x->r, x->p, ss, RECON_ABORT, &body) == -1) {
		buf_free(&body);
		return STORE_ERROR;
	}
	buf_free(&body);
	if ((st = begin_answer(x)) != STORE_OK)
		return st;
	if ((st = rs_end(&x->r, x->p, ss, STORE_RECON_ABORTED, reason)) != STORE_OK) {
		store_rollback(s);
		return st;
	}
	st = commit_and_send(x, ss, true);
	if (st == STORE_OK)
		rs_log_end(&x->r, x->p, ss);
	return st;
}

/* The peer's record again (spec 11.1): keys still pending go, then the
 * stored answer to it, if any, in a new mail. Nothing is computed again
 * and no key goes twice. */
static enum store_status
on_repeat(struct rmail *x, struct store_recon_session *ss)
{
	enum store_status st;
	uint32_t resends;

	log_info("recon: session %s with %s: %s seq %u again", x->sid,
	    x->p->addr, recon_type_name(x->rec.h.type), (unsigned)x->rec.h.seq);
	st = rs_send_keys(&x->r, x->p, ss);
	if (st != STORE_OK || x->r.mail_tempfail)
		return st;
	if (ss->out_type == 0 || ss->seq_out != ss->seq_in + 1)
		return STORE_OK;	/* nothing answers it (DONE) */
	if (ss->out_pending)
		return rs_hand_out(&x->r, x->p, ss, false);
	/* Not a timed resend: the count of those stays. */
	resends = ss->resends;
	st = rs_hand_out(&x->r, x->p, ss, true);
	if (st == STORE_OK && ss->resends != resends) {
		ss->resends = resends;
		st = store_recon_put(x->r.ctx->store, ss, false);
	}
	return st;
}

/* Responder: the prefix [0, m) decoded; RESULT (spec 10.5). */
static enum store_status
send_result(struct rmail *x, struct store_recon_session *ss,
    struct recon_set *set, const uint64_t *ids, size_t nids, uint32_t m)
{
	const struct conf *c = x->r.ctx->conf;
	struct store *s = x->r.ctx->store;
	uint64_t *want = xcalloc(nids + 1, sizeof(*want));
	int64_t *rows = xcalloc(nids + 1, sizeof(*rows));
	struct store_fpr *fprs = xcalloc(nids + 1, sizeof(*fprs));
	size_t nwant = 0, nrows = 0, i, k;
	enum store_status st;
	struct buf body;
	bool found;
	int64_t row;

	for (i = 0; i < nids; i++) {
		row = recon_set_find(set, ids[i], &found);
		if (found)
			rows[nrows++] = row;
		else
			want[nwant++] = ids[i];
	}
	for (i = 1; i < nwant; i++) {	/* ascending (insertion sort: the */
		uint64_t v = want[i];	/* list is short or nearly sorted) */

		for (k = i; k > 0 && want[k - 1] > v; k--)
			want[k] = want[k - 1];
		want[k] = v;
	}
	ss->d = (uint32_t)nids;
	ss->ours = (uint32_t)nrows;
	ss->theirs = (uint32_t)nwant;
	ss->cells_ok = m;
	if (nwant > c->recon_max_keys) {
		log_warnx("recon: session %s: %zu keys wanted from %s, more "
		    "than recon_max_keys; the first %zu are asked for", x->sid,
		    nwant, x->p->addr, c->recon_max_keys);
		nwant = c->recon_max_keys;
	}
	st = store_recon_fprs(s, rows, nrows, fprs);
	if (st != STORE_OK)
		goto out;
	for (i = k = 0; i < nrows; i++)
		if (fprs[i].len != 0)
			fprs[k++] = fprs[i];
	nrows = k;
	buf_init(&body, 0);
	recon_body_result(&body, set->n, m, (uint32_t)nrows, want,
	    (uint32_t)nwant);
	ss->seq_out = ss->seq_in + 1;
	ss->state = STORE_RECON_RESULT_SENT;
	buf_reset(&ss->cells);		/* what we held is decoded */
	if (rs_make_out(&x->r, x->p, ss, RECON_RESULT, &body) == -1) {
		buf_free(&body);
		st = STORE_ERROR;
		goto out;
	}
	buf_free(&body);
	if ((st = begin_answer(x)) != STORE_OK)
		goto out;
	st = store_recon_keys_add(s, x->p->lower, ss->sid, fprs, nrows,
	    STORE_RK_WAIT, x->r.now);
	if (st != STORE_OK) {
		store_rollback(s);
		goto out;
	}
	st = commit_and_send(x, ss, true);
out:
	free(want);
	free(rows);
	free(fprs);
	return st;
}

/*
 * Responder: our set with the session's salt, cells [0, m); subtract the
 * peer's (ss->cells) and decode. Then RESULT, MORE or ABORT too-large.
 */
static enum store_status
decode_step(struct rmail *x, struct store_recon_session *ss,
    const int32_t *peer_tow)
{
	const struct conf *c = x->r.ctx->conf;
	struct recon_set set;
	struct recon_cell *theirs;
	uint64_t *ids, dist = 0;
	size_t nids;
	uint32_t m = ss->held, hi;
	enum store_status st;
	struct buf body;
	int ok;

	if ((st = rs_scan(&x->r, ss->salt, m, true, &set)) != STORE_OK) {
		recon_set_free(&set);
		return st;
	}
	ss->n_self = set.n;
	if (peer_tow != NULL)	/* the OFFER: the session starts here */
		log_info("recon: session %s with %s started: n=%u cells=%u",
		    x->sid, x->p->addr, set.n, m);
	if (peer_tow != NULL) {
		dist = recon_tow_distance(peer_tow, set.tow);
		ss->d_est = recon_estimate(dist, ss->n_peer, set.n);
	}
	theirs = xcalloc(m, sizeof(*theirs));
	recon_cells_get(theirs, ss->cells.data, m);
	recon_cells_xor(set.cells, theirs, m);
	free(theirs);
	ids = xcalloc(m, sizeof(*ids));
	ok = recon_decode(set.cells, m, &set.h, ids, &nids);
	if (ok == 0) {
		st = send_result(x, ss, &set, ids, nids, m);
		free(ids);
		recon_set_free(&set);
		return st;
	}
	free(ids);
	recon_set_free(&set);
	hi = recon_more_hi(ss->mores == 0, m, dist, ss->n_peer, ss->n_self,
	    ss->max_cells, (uint32_t)c->recon_max_cells);
	if (ss->mores >= RECON_MAX_MORES || hi <= m) {
		char why[128];

		snprintf(why, sizeof(why), "%u cells did not decode and %s", m,
		    ss->mores >= RECON_MAX_MORES ? "8 MOREs were asked already" :
		    "the caps leave nothing to ask for");
		return abort_session(x, ss, RECON_TOO_LARGE, why);
	}
	buf_init(&body, 0);
	recon_body_more(&body, m, hi, ss->d_est, ss->n_self);
	ss->asked = hi;
	ss->mores++;
	ss->seq_out = ss->seq_in + 1;
	ss->state = STORE_RECON_MORE_SENT;
	if (rs_make_out(&x->r, x->p, ss, RECON_MORE, &body) == -1) {
		buf_free(&body);
		return STORE_ERROR;
	}
	buf_free(&body);
	if ((st = begin_answer(x)) != STORE_OK)
		return st;
	return commit_and_send(x, ss, true);
}

/* Refuse an OFFER with ABORT reason: a session that ends as it starts,
 * kept so that a repeat of the OFFER gets the same ABORT. */
static enum store_status
refuse_offer(struct rmail *x, int reason, const char *why)
{
	struct store_recon_session ss;
	struct store *s = x->r.ctx->store;
	struct store_recon_peer pr;
	struct buf body;
	enum store_status st;

	log_info("recon: OFFER %s from %s refused (%s): ABORT %s", x->sid,
	    x->p->addr, why, recon_reason_name(reason));
	store_recon_session_init(&ss);
	snprintf(ss.peer, sizeof(ss.peer), "%s", x->p->lower);
	ss.sid = x->rec.h.sid;
	ss.role = STORE_RECON_RESPONDER;
	ss.state = STORE_RECON_ENDED;
	ss.status = STORE_RECON_ABORTED;
	ss.reason = reason;
	memcpy(ss.salt, x->rec.u.offer.salt, 16);
	ss.seq_in = 1;
	ss.seq_out = 2;
	ss.created = ss.ended = x->r.now;
	ss.mails = 1;
	ss.bytes = x->rawlen;
	buf_init(&body, 0);
	recon_body_abort(&body, (uint8_t)reason);
	st = rs_make_out(&x->r, x->p, &ss, RECON_ABORT, &body) == -1 ?
	    STORE_ERROR : store_begin(s);
	buf_free(&body);
	if (st == STORE_OK && reason == RECON_BUSY) {
		if ((st = store_recon_peer_get(s, x->p->lower, &pr)) == STORE_OK) {
			pr.busy_sent = x->r.now;
			st = store_recon_peer_put(s, x->p->lower, &pr);
		}
		if (st != STORE_OK)
			store_rollback(s);
	}
	if (st == STORE_OK)
		st = commit_and_send(x, &ss, true);
	store_recon_session_free(&ss);
	return st;
}

/* Responder: a new session (spec 10.3, 11.3). */
static enum store_status
on_offer(struct rmail *x)
{
	const struct conf *c = x->r.ctx->conf;
	struct store *s = x->r.ctx->store;
	struct store_recon_session live, ss;
	struct store_recon_peer pr;
	uint32_t nsess = 0, nkeys = 0;
	enum store_status st;
	char lsid[17];

	if (x->body_why != NULL) {
		drop(x->from, x->body_why);
		return STORE_OK;
	}
	if (x->rec.u.offer.m > c->recon_max_cells) {
		drop(x->from, "OFFER with more cells than our recon_max_cells");
		return STORE_OK;
	}
	store_recon_session_init(&live);
	st = store_recon_live(s, x->p->lower, false, &live);
	if (st == STORE_OK) {
		rs_sid_hex(live.sid, lsid);
		if (live.role == STORE_RECON_INITIATOR &&
		    x->rec.h.sid > live.sid) {
			/* Crossing offers: the lower SID wins; ours. */
			store_recon_session_free(&live);
			return refuse_offer(x, RECON_SUPERSEDED, "our own "
			    "session with a lower SID is live");
		}
		/* Theirs wins (a lower SID), or the peer gave up the
		 * session we answer: it ends without a mail. */
		log_info("recon: session %s with %s superseded by its OFFER %s",
		    lsid, x->p->addr, x->sid);
		if ((st = store_begin(s)) == STORE_OK &&
		    (st = rs_end(&x->r, x->p, &live, STORE_RECON_ABORTED,
		    RECON_SUPERSEDED)) == STORE_OK &&
		    (st = store_recon_put(s, &live, true)) == STORE_OK)
			st = store_commit(s);
		else
			store_rollback(s);
		if (st == STORE_OK)
			rs_log_end(&x->r, x->p, &live);
	} else if (st == STORE_NOTFOUND)
		st = STORE_OK;
	store_recon_session_free(&live);
	if (st != STORE_OK)
		return st;
	if ((st = store_recon_peer_get(s, x->p->lower, &pr)) != STORE_OK ||
	    (st = store_recon_counts(s, x->p->lower, (int64_t)x->r.now - 86400,
	    &nsess, &nkeys)) != STORE_OK)
		return st;
	if (nsess >= c->recon_max_sessions_per_day) {
		if (pr.busy_sent != 0 && pr.busy_sent + 86400 > (int64_t)x->r.now) {
			drop(x->from, "over recon_max_sessions_per_day, and "
			    "ABORT busy went to it within 24 hours");
			return STORE_OK;
		}
		return refuse_offer(x, RECON_BUSY,
		    "recon_max_sessions_per_day reached");
	}

	store_recon_session_init(&ss);
	snprintf(ss.peer, sizeof(ss.peer), "%s", x->p->lower);
	ss.sid = x->rec.h.sid;
	ss.role = STORE_RECON_RESPONDER;
	memcpy(ss.salt, x->rec.u.offer.salt, 16);
	ss.seq_in = 1;
	ss.created = x->r.now;
	ss.n_peer = x->rec.u.offer.n;
	ss.max_cells = x->rec.u.offer.max_cells;
	ss.held = x->rec.u.offer.m;
	ss.mails = 1;
	ss.bytes = x->rawlen;
	(void)buf_append(&ss.cells, x->rec.u.offer.cells,
	    (size_t)ss.held * RECON_CELL_OCTETS);
	x->starting = true;
	st = decode_step(x, &ss, x->rec.u.offer.tow);
	store_recon_session_free(&ss);
	return st;
}

/* Responder: the cells it asked for (spec 10.4). */
static enum store_status
on_cells(struct rmail *x, struct store_recon_session *ss)
{
	if (x->rec.u.cells.lo != ss->held || x->rec.u.cells.hi != ss->asked)
		return abort_session(x, ss, RECON_PROTOCOL,
		    "CELLS other than the range asked for");
	(void)buf_append(&ss->cells, x->rec.u.cells.cells,
	    (size_t)(x->rec.u.cells.hi - x->rec.u.cells.lo) * RECON_CELL_OCTETS);
	ss->held = x->rec.u.cells.hi;
	ss->seq_in = x->rec.h.seq;
	ss->mails++;
	ss->bytes += x->rawlen;
	return decode_step(x, ss, NULL);
}

/* Initiator: more cells from the snapshot (spec 10.4). */
static enum store_status
on_more(struct rmail *x, struct store_recon_session *ss)
{
	struct store *s = x->r.ctx->store;
	uint32_t lo = x->rec.u.more.lo, hi = x->rec.u.more.hi;
	struct recon_cell *cells;
	enum store_status st;
	struct buf body;

	if (lo != ss->held || hi > ss->max_cells || ss->mores >= RECON_MAX_MORES ||
	    ss->cells.len < (size_t)hi * RECON_CELL_OCTETS)
		return abort_session(x, ss, RECON_PROTOCOL, lo != ss->held ?
		    "MORE from another point than the cells sent" :
		    ss->mores >= RECON_MAX_MORES ? "a MORE after the 8th" :
		    "MORE beyond the cells we serve");
	ss->seq_in = x->rec.h.seq;
	ss->mails++;
	ss->bytes += x->rawlen;
	ss->mores++;
	ss->n_peer = x->rec.u.more.n;
	cells = xcalloc(hi - lo, sizeof(*cells));
	recon_cells_get(cells, ss->cells.data + (size_t)lo * RECON_CELL_OCTETS,
	    hi - lo);
	buf_init(&body, 0);
	recon_body_cells(&body, lo, hi, cells);
	free(cells);
	ss->held = hi;
	ss->seq_out = ss->seq_in + 1;
	ss->state = STORE_RECON_CELLS_SENT;
	if (rs_make_out(&x->r, x->p, ss, RECON_CELLS, &body) == -1) {
		buf_free(&body);
		return STORE_ERROR;
	}
	buf_free(&body);
	if ((st = store_begin(s)) != STORE_OK)
		return st;
	return commit_and_send(x, ss, false);
}

/* Initiator: the WANT list; keys, then DONE (spec 10.6). */
static enum store_status
on_result(struct rmail *x, struct store_recon_session *ss)
{
	const struct conf *c = x->r.ctx->conf;
	struct store *s = x->r.ctx->store;
	uint32_t w = x->rec.u.result.w, i, nrows = 0, npend = 0, nskip = 0;
	struct recon_set set;
	int64_t *rows;
	struct store_fpr *fprs;
	enum store_status st;
	struct buf body;
	const uint8_t *p;
	uint64_t id;
	bool found;
	int b;

	if (w > c->recon_max_keys)
		return abort_session(x, ss, RECON_PROTOCOL,
		    "a WANT list longer than recon_max_keys");
	ss->seq_in = x->rec.h.seq;
	ss->mails++;
	ss->bytes += x->rawlen;
	ss->n_peer = x->rec.u.result.n;
	ss->cells_ok = x->rec.u.result.cells;
	ss->ours = w;
	ss->theirs = x->rec.u.result.r_only;
	ss->d = w + x->rec.u.result.r_only;
	/* The WANT ids against our keys as they are now (spec 10.6). */
	if ((st = rs_scan(&x->r, ss->salt, 0, true, &set)) != STORE_OK) {
		recon_set_free(&set);
		return st;
	}
	rows = xcalloc(w + 1, sizeof(*rows));
	fprs = xcalloc(w + 1, sizeof(*fprs));
	for (i = 0, p = x->rec.u.result.want; i < w; i++, p += 8) {
		for (id = 0, b = 0; b < 8; b++)
			id = id << 8 | p[b];
		rows[nrows] = recon_set_find(&set, id, &found);
		if (found)
			nrows++;
		else
			ss->unknown++;
	}
	recon_set_free(&set);
	st = store_recon_fprs(s, rows, nrows, fprs);
	if (st == STORE_OK)
		st = store_begin(s);
	if (st == STORE_OK)
		st = rs_decide_keys(&x->r, x->p, ss, fprs, nrows, &npend, &nskip);
	free(rows);
	free(fprs);
	if (st != STORE_OK) {
		store_rollback(s);
		return st;
	}
	ss->keys_sent = npend;
	ss->skipped = nskip;
	buf_init(&body, 0);
	recon_body_done(&body, npend, ss->unknown, nskip);
	ss->seq_out = ss->seq_in + 1;
	if (rs_make_out(&x->r, x->p, ss, RECON_DONE, &body) == -1) {
		buf_free(&body);
		store_rollback(s);
		return STORE_ERROR;
	}
	buf_free(&body);
	if ((st = rs_end(&x->r, x->p, ss, STORE_RECON_OK, 0)) != STORE_OK ||
	    (st = store_recon_put(s, ss, true)) != STORE_OK ||
	    (st = store_commit(s)) != STORE_OK) {
		store_rollback(s);
		return st;
	}
	/* The keys first, DONE after them (spec 10.5 says why). */
	st = rs_flush(&x->r, x->p, ss);
	if (st == STORE_OK)
		rs_log_end(&x->r, x->p, ss);
	return st;
}

/* Responder: DONE; our keys go (spec 10.7). */
static enum store_status
on_done(struct rmail *x, struct store_recon_session *ss)
{
	struct store *s = x->r.ctx->store;
	struct store_fpr *wait = NULL;
	size_t n = 0;
	uint32_t npend = 0, nskip = 0;
	enum store_status st;

	ss->seq_in = x->rec.h.seq;
	ss->mails++;
	ss->bytes += x->rawlen;
	st = store_recon_keys_get(s, x->p->lower, ss->sid, STORE_RK_WAIT, &wait,
	    &n);
	if (st == STORE_OK)
		st = store_begin(s);
	if (st == STORE_OK)
		st = rs_decide_keys(&x->r, x->p, ss, wait, n, &npend, &nskip);
	free(wait);
	if (st == STORE_OK) {
		ss->keys_sent = npend;
		ss->skipped = nskip;
		st = rs_end(&x->r, x->p, ss, STORE_RECON_OK, 0);
	}
	if (st == STORE_OK && (st = store_recon_put(s, ss, true)) == STORE_OK)
		st = store_commit(s);
	if (st != STORE_OK) {
		store_rollback(s);
		return st;
	}
	st = rs_send_keys(&x->r, x->p, ss);
	if (st == STORE_OK)
		rs_log_end(&x->r, x->p, ss);
	return st;
}

static enum store_status
on_abort(struct rmail *x, struct store_recon_session *ss)
{
	struct store *s = x->r.ctx->store;
	enum store_status st;

	ss->seq_in = x->rec.h.seq;
	ss->mails++;
	ss->bytes += x->rawlen;
	if ((st = store_begin(s)) != STORE_OK)
		return st;
	if ((st = rs_end(&x->r, x->p, ss, STORE_RECON_ABORTED,
	    x->rec.u.abort.reason)) == STORE_OK &&
	    (st = store_recon_put(s, ss, true)) == STORE_OK)
		st = store_commit(s);
	else
		store_rollback(s);
	if (st == STORE_OK)
		rs_log_end(&x->r, x->p, ss);
	return st;
}

/* Check 10: the record meets its session. The peer's lock is held. */
static enum store_status
dispatch(struct rmail *x)
{
	struct store_recon_session ss;
	enum store_status st;
	const struct recon_header *h = &x->rec.h;
	char why[128];
	int state;

	store_recon_session_init(&ss);
	st = store_recon_get(x->r.ctx->store, x->p->lower, h->sid, true, &ss);
	if (st == STORE_NOTFOUND) {
		store_recon_session_free(&ss);
		if (h->type == RECON_OFFER)
			return on_offer(x);
		snprintf(why, sizeof(why), "%s for session %s, which we do not "
		    "hold", recon_type_name(h->type), x->sid);
		drop(x->from, why);
		return STORE_OK;
	}
	if (st != STORE_OK)
		goto out;
	if (h->seq < ss.seq_in || h->seq == 0) {
		drop(x->from, "a repeat older than the last record received");
		goto out;
	}
	if (h->seq == ss.seq_in) {
		st = on_repeat(x, &ss);
		goto out;
	}
	if (ss.status != STORE_RECON_LIVE) {
		snprintf(why, sizeof(why), "%s for session %s, which has ended",
		    recon_type_name(h->type), x->sid);
		drop(x->from, why);
		goto out;
	}
	if (h->type == RECON_ABORT && x->body_why == NULL) {
		st = on_abort(x, &ss);
		goto out;
	}
	if (x->body_why != NULL) {
		st = abort_session(x, &ss, RECON_PROTOCOL, x->body_why);
		goto out;
	}
	if (h->seq != ss.seq_out + 1) {
		snprintf(why, sizeof(why), "seq %u where %u was expected",
		    (unsigned)h->seq, (unsigned)ss.seq_out + 1);
		st = abort_session(x, &ss, RECON_PROTOCOL, why);
		goto out;
	}
	state = ss.state;
	if ((state == STORE_RECON_OFFERED || state == STORE_RECON_CELLS_SENT) &&
	    h->type == RECON_MORE)
		st = on_more(x, &ss);
	else if ((state == STORE_RECON_OFFERED ||
	    state == STORE_RECON_CELLS_SENT) && h->type == RECON_RESULT)
		st = on_result(x, &ss);
	else if (state == STORE_RECON_MORE_SENT && h->type == RECON_CELLS)
		st = on_cells(x, &ss);
	else if (state == STORE_RECON_RESULT_SENT && h->type == RECON_DONE)
		st = on_done(x, &ss);
	else {
		snprintf(why, sizeof(why), "%s where it is not expected",
		    recon_type_name(h->type));
		st = abort_session(x, &ss, RECON_PROTOCOL, why);
	}
out:
	store_recon_session_free(&ss);
	return st;
}

enum cmd_run
cmd_recon_mail(const struct conf *c, cmd_store_fn get_store, void *arg,
    const struct mail_msg *m, size_t rawlen, const char *parse_err,
    time_t now)
{
	struct cmd_ctx ctx;
	struct rmail x;
	struct store *s;
	struct pgp_key *key = NULL;
	const struct mail_part *part = NULL;
	const char *why;
	char kwhy[512];
	uint64_t sid = 0;
	enum store_status st = STORE_OK;
	int type, rc;
	size_t i;

	memset(&x, 0, sizeof(x));
	x.from = m->from;
	x.rawlen = rawlen;
	/* 1: size; a general limit broken counts the same. */
	if (rawlen > c->recon_max_message_size) {
		drop(x.from, "larger than recon_max_message_size");
		return CMD_RUN_OK;
	}
	if (parse_err != NULL) {
		drop(x.from, parse_err);
		return CMD_RUN_OK;
	}
	/* 2: the Subject. */
	if ((type = subject_parse(m->subject, &sid)) == 0) {
		drop(x.from, "the Subject is not RECON TYPE SID");
		return CMD_RUN_OK;
	}
	/* 3: From, exactly one address, a recon_peer's. */
	cmd_ctx_init(&ctx, c, NULL);
	x.r.ctx = &ctx;
	x.r.now = now;
	rrun_peers(&x.r, c);
	if (m->from_count != 1 || m->from == NULL ||
	    (x.p = rrun_peer(&x.r, m->from)) == NULL) {
		drop(x.from, m->from_count != 1 ? "From: does not hold exactly "
		    "one address" : "not from a recon_peer");
		goto done;
	}
	/* 4: the record part. */
	for (i = 0; i < m->nparts && part == NULL; i++)
		if (m->parts[i].content_type != NULL &&
		    strcmp(m->parts[i].content_type, MAIL_RECON_TYPE) == 0)
			part = &m->parts[i];
	if (part == NULL || part->len < RECON_HDR_LEN) {
		drop(x.from, part == NULL ? "no application/x-keymail-recon part" :
		    "the record is shorter than its header");
		goto done;
	}
	/* 5: the frame, and that it is what the Subject says. */
	if (recon_record_frame(part->data, part->len, &x.rec, &why) == -1) {
		drop(x.from, why);
		goto done;
	}
	if (x.rec.h.type != type || x.rec.h.sid != sid) {
		drop(x.from, "the record's type or SID is not the Subject's");
		goto done;
	}
	rs_sid_hex(sid, x.sid);
	/* 6: who sent it, to whom. */
	if (memcmp(x.rec.h.sender, x.p->fpr, 20) != 0) {
		drop(x.from, "the sender fingerprint is not the peer's configured one");
		goto done;
	}
	rc = cmd_server_key_load(c, &x.r.me, kwhy, sizeof(kwhy));
	if (rc != 0) {
		log_warnx("recon: our server key is unusable: %s (run keymail "
		    "serverkey)", kwhy);
		drop(x.from, "we have no usable server key");
		goto done;
	}
	x.r.have_key = true;
	if (memcmp(x.rec.h.recipient, x.r.me.signer.fpr, 20) != 0) {
		drop(x.from, "the recipient fingerprint is not ours");
		goto done;
	}
	/* 7: the peer's key, and the signature. */
	if ((s = get_store(arg)) == NULL) {
		st = STORE_TEMPFAIL;
		goto done;
	}
	ctx.store = s;
	/* The set is the policy's public copies (spec 5.1), as for lookups. */
	store_set_view(s, (enum store_policy)c->policy);
	rc = rs_peer_key(&x.r, x.p, &key, &why);
	if (rc == -1) {
		st = STORE_TEMPFAIL;
		goto done;
	}
	if (rc == 0) {
		snprintf(kwhy, sizeof(kwhy), "the peer's key %s %s", x.p->fpr_hex,
		    why);
		drop(x.from, kwhy);
		goto done;
	}
	if (recon_record_verify(&x.rec, key, &why) != PGP_OK) {
		drop(x.from, why);
		goto done;
	}
	/* 8: time. */
	if (x.rec.h.time > (uint64_t)now + KM_RECON_FUTURE_SECS ||
	    x.rec.h.time + (uint64_t)c->recon_session_days * 86400 <
	    (uint64_t)now) {
		drop(x.from, "the record's time is out of range");
		goto done;
	}
	/* 9: the body; what fails it is dropped or aborts the session. */
	if (recon_record_body(&x.rec, &why) == -1)
		x.body_why = why;
	/* 10: under the peer's lock, until the answer is committed. */
	if ((st = store_recon_lock(s, x.p->lower)) != STORE_OK)
		goto done;
	st = dispatch(&x);
	if (store_recon_unlock(s, x.p->lower) != STORE_OK && st == STORE_OK)
		st = STORE_TEMPFAIL;
done:
	if (key != NULL)
		pgp_key_free(key);
	if (st != STORE_OK && ctx.store != NULL)
		log_warnx("recon: database: %s", store_errmsg(ctx.store));
	rc = st != STORE_OK || x.r.mail_tempfail;
	rrun_free(&x.r);
	return rc ? CMD_RUN_TEMPFAIL : CMD_RUN_OK;
}
