/*
 * cmd/recon_send.c - what keymail recon and the filter share for
 * reconciliation: the peer list and the peer's key, the scan of our set,
 * control records (made, stored, handed over, resent), the keys a
 * session sends (decided, then mailed in batches), and the end of a
 * session with its log line (reconciliation.md 8, 10, 11, 13).
 *
 * Order of writes (spec 11.1): a record is made into the session in
 * memory (rs_make_out), the caller commits the session, and only then
 * rs_hand_out gives it to the mailer; keys are decided and recorded as
 * PENDING in the same transaction, and marked SENT batch by batch once
 * the mailer took them. A crash between commit and mailer loses nothing:
 * the next run (or the MTA's redelivery of the mail we answer) flushes
 * what is pending. The one window left is a crash after the mailer took
 * a batch and before it was marked, which costs the peer one duplicate
 * batch: a duplicate merges to nothing new there.
 *
 * Untrusted: the peer's key and keys in the store came from mail (they
 * are parsed with the usual limits); nothing from a peer's record is
 * used here except through the session's checked fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/recon_internal.h"
#include "util/log.h"
#include "util/peer.h"
#include "util/xalloc.h"

/* ---- peers ---------------------------------------------------------- */

void
rrun_peers(struct rrun *r, const struct conf *c)
{
	size_t i, j;

	r->peers = xcalloc(c->nrecon_peers + 1, sizeof(*r->peers));
	r->npeers = 0;
	for (i = 0; i < c->nrecon_peers; i++) {
		struct rpeer *p = &r->peers[r->npeers];

		/* conf_load checked every line. */
		if (recon_peer_parse(c->recon_peers[i], &p->addr, p->fpr, NULL,
		    0) < 0)
			continue;
		for (j = 0; p->addr[j] != '\0' && j + 1 < sizeof(p->lower); j++)
			p->lower[j] = (char)(p->addr[j] >= 'A' &&
			    p->addr[j] <= 'Z' ? p->addr[j] + 32 : p->addr[j]);
		p->lower[j] = '\0';
		pgp_hex(p->fpr, 20, p->fpr_hex);
		r->npeers++;
	}
}

void
rrun_free(struct rrun *r)
{
	size_t i;

	for (i = 0; i < r->npeers; i++)
		free(r->peers[i].addr);
	free(r->peers);
	recon_server_key_clear(&r->me);
	r->peers = NULL;
	r->npeers = 0;
}

const struct rpeer *
rrun_peer(const struct rrun *r, const char *addr)
{
	size_t i;

	for (i = 0; addr != NULL && i < r->npeers; i++)
		if (strcasecmp(r->peers[i].addr, addr) == 0)
			return &r->peers[i];
	return NULL;
}

void
rs_sid_hex(uint64_t sid, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)sid);
}

/*
 * The peer's key as our store holds it (spec 3.4): the union under its
 * configured fingerprint, whatever the policy shows to lookups (in
 * trusted mode a peer's key that nobody claimed here is stored but not
 * published; its revocations are in the union all the same).
 */
int
rs_peer_key(struct rrun *r, const struct rpeer *p, struct pgp_key **key,
    const char **why)
{
	struct store_key sk;
	enum store_status st;
	enum pgp_status pst;
	struct pgp_key *k;
	char detail[256];

	*key = NULL;
	*why = "is not in the store";
	st = store_get_union(r->ctx->store, p->fpr, 20, &sk);
	if (st == STORE_NOTFOUND)
		return 0;
	if (st != STORE_OK)
		return -1;
	k = pgp_key_parse_one(sk.data, sk.len, &r->ctx->lim, &pst);
	free(sk.data);
	if (k == NULL)
		return 0;
	if (pgp_key_check(k, r->now, detail, sizeof(detail)) != PGP_OK)
		*why = "is in the store but has no valid self-signature";
	else if (k->revoked)
		*why = "is revoked";
	else if (k->expires != 0 && (time_t)k->expires <= r->now)
		*why = "has expired";
	else {
		*key = k;
		*why = NULL;
		return 1;
	}
	pgp_key_free(k);
	return 0;
}

/* ---- our set -------------------------------------------------------- */

static int
scan_one(void *arg, int64_t row, const uint8_t digest[32])
{
	recon_set_add(arg, digest, row);
	return 0;
}

enum store_status
rs_scan(struct rrun *r, const uint8_t salt[16], uint32_t m, bool keep,
    struct recon_set *set)
{
	recon_set_init(set, salt, m, keep);
	return store_recon_scan(r->ctx->store, scan_one, set);
}

/* ---- control records ------------------------------------------------ */

static int
build_mail(const struct rrun *r, const struct rpeer *p,
    const struct store_recon_session *ss, struct buf *out)
{
	struct mail_recon mr;
	char sid[17];

	rs_sid_hex(ss->sid, sid);
	memset(&mr, 0, sizeof(mr));
	mr.from = r->ctx->conf->address;
	mr.to = p->addr;
	mr.type = recon_type_name(ss->out_type);
	mr.sid = sid;
	mr.date = r->now;
	mr.msgid_domain = cmd_msgid_domain(r->ctx->conf->address);
	mr.record = ss->out_record.data;
	mr.len = ss->out_record.len;
	return mail_recon_build(&mr, out);
}

int
rs_make_out(struct rrun *r, const struct rpeer *p,
    struct store_recon_session *ss, uint8_t type, const struct buf *body)
{
	struct recon_header h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.sid = ss->sid;
	h.seq = (uint16_t)ss->seq_out;
	h.time = (uint64_t)r->now;
	memcpy(h.sender, r->me.signer.fpr, 20);
	memcpy(h.recipient, p->fpr, 20);
	buf_reset(&ss->out_record);
	if (recon_record_make(&h, body->data, body->len, &r->me.signer,
	    &ss->out_record) == -1)
		return -1;
	ss->out_type = type;
	buf_reset(&ss->out_mail);
	if (build_mail(r, p, ss, &ss->out_mail) == -1)
		return -1;
	ss->out_pending = true;
	ss->out_sent = 0;
	ss->resends = 0;
	ss->mails++;
	ss->bytes += ss->out_mail.len;
	return 0;
}

enum store_status
rs_hand_out(struct rrun *r, const struct rpeer *p,
    struct store_recon_session *ss, bool resend)
{
	const struct conf *c = r->ctx->conf;
	enum mail_send_status ms;
	struct buf again;
	char err[512] = "", sid[17];
	const struct buf *mail = &ss->out_mail;

	rs_sid_hex(ss->sid, sid);
	buf_init(&again, 0);
	if (resend || ss->out_mail.len == 0) {
		/* The same record in a new mail (new Date, Message-ID). */
		if (build_mail(r, p, ss, &again) == -1) {
			log_warnx("recon: could not build the %s mail of session "
			    "%s", recon_type_name(ss->out_type), sid);
			buf_free(&again);
			return STORE_OK;
		}
		mail = &again;
	}
	ms = mail_send(c->sendmail, mail->data, mail->len,
	    (unsigned)c->sendmail_timeout, err, sizeof(err));
	buf_free(&again);
	if (ms == MAIL_SEND_TEMPFAIL) {
		log_warnx("recon: %s of session %s to %s not sent (mailer failed "
		    "temporarily: %s); sent again later",
		    recon_type_name(ss->out_type), sid, p->addr, err);
		r->mail_tempfail = true;
		return STORE_OK;
	}
	if (ms == MAIL_SEND_PERMFAIL)
		log_warnx("recon: %s of session %s to %s refused by the mailer: "
		    "%s", recon_type_name(ss->out_type), sid, p->addr, err);
	if (resend && ms == MAIL_SEND_OK) {
		ss->resends++;
		log_info("recon: resent %s of session %s to %s (copy %u)",
		    recon_type_name(ss->out_type), sid, p->addr,
		    (unsigned)ss->resends + 1);
	}
	ss->out_pending = false;
	ss->out_sent = r->now;
	buf_reset(&ss->out_mail);
	return store_recon_put(r->ctx->store, ss, false);
}

/* ---- keys ----------------------------------------------------------- */

/* The order of PostgreSQL's bytea (store_recon_keys_get sorts so):
 * memcmp over the common length, the shorter first. */
static int
fpr_cmp(const struct store_fpr *a, const struct store_fpr *b)
{
	int c = memcmp(a->fpr, b->fpr, a->len < b->len ? a->len : b->len);

	if (c != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* What the store says about one key, by position in the caller's list. */
struct keyinfo {
	const struct store_fpr *fprs;
	size_t n;
	bool *found;
	uint8_t (*digest)[32];
	size_t *len;
	uint8_t **data;			/* with data only */
};

static int
keyinfo_one(void *arg, const struct store_fpr *fpr, const uint8_t digest[32],
    const uint8_t *data, size_t len)
{
	struct keyinfo *ki = arg;
	size_t lo = 0, hi = ki->n, mid;

	/* fprs is sorted (the callers sort it). */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (fpr_cmp(&ki->fprs[mid], fpr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ki->n && fpr_cmp(&ki->fprs[lo], fpr) == 0) {
		ki->found[lo] = true;
		memcpy(ki->digest[lo], digest, 32);
		ki->len[lo] = len;
		if (ki->data != NULL && data != NULL)
			ki->data[lo] = xmemdup(data, len);
	}
	return 0;
}

static int
fpr_qcmp(const void *a, const void *b)
{
	return fpr_cmp(a, b);
}

enum store_status
rs_decide_keys(struct rrun *r, const struct rpeer *p,
    const struct store_recon_session *ss, const struct store_fpr *in,
    size_t n, uint32_t *npending, uint32_t *nskipped)
{
	const struct conf *c = r->ctx->conf;
	struct store *s = r->ctx->store;
	struct store_fpr *fprs, *pend, *skip;
	struct keyinfo ki;
	uint8_t (*memo)[32];
	uint32_t *sessions, used = 0, nsess = 0, budget, over = 0;
	size_t i, np = 0, ns = 0;
	enum store_status st;
	char hex[65], sid[17];

	*npending = *nskipped = 0;
	if (n == 0)
		return STORE_OK;
	rs_sid_hex(ss->sid, sid);
	fprs = xmemdup(in, n * sizeof(*in));
	qsort(fprs, n, sizeof(*fprs), fpr_qcmp);
	memset(&ki, 0, sizeof(ki));
	ki.fprs = fprs;
	ki.n = n;
	ki.found = xcalloc(n, sizeof(*ki.found));
	ki.digest = xcalloc(n, sizeof(*ki.digest));
	ki.len = xcalloc(n, sizeof(*ki.len));
	memo = xcalloc(n, sizeof(*memo));
	sessions = xcalloc(n, sizeof(*sessions));
	pend = xcalloc(n, sizeof(*pend));
	skip = xcalloc(n, sizeof(*skip));
	st = store_recon_keyinfo(s, fprs, n, false, keyinfo_one, &ki);
	if (st == STORE_OK)
		st = store_recon_futile_get(s, p->lower, fprs, n, memo, sessions);
	if (st == STORE_OK)
		st = store_recon_counts(s, p->lower, (int64_t)r->now - 86400,
		    &nsess, &used);
	if (st != STORE_OK)
		goto out;
	budget = c->recon_max_keys > used ? (uint32_t)(c->recon_max_keys - used) : 0;
	for (i = 0; i < n; i++) {
		pgp_hex(fprs[i].fpr, fprs[i].len, hex);
		if (!ki.found[i]) {
			skip[ns++] = fprs[i];	/* gone from the store since */
		} else if (sessions[i] >= KM_RECON_FUTILE_SESSIONS &&
		    memcmp(memo[i], ki.digest[i], 32) == 0) {
			log_info("recon: %s not sent to %s: sent unchanged in %u "
			    "sessions already (futile)", hex, p->addr,
			    (unsigned)sessions[i]);
			skip[ns++] = fprs[i];
		} else if (pgp_armor_size(ki.len[i]) > c->sync_max_message_size) {
			log_warnx("recon: %s not sent to %s: larger than %zu "
			    "octets armored (sync_max_message_size)", hex,
			    p->addr, c->sync_max_message_size);
			skip[ns++] = fprs[i];
		} else if (budget == 0) {
			over++;
			skip[ns++] = fprs[i];
		} else {
			budget--;
			pend[np++] = fprs[i];
		}
	}
	if (over > 0)
		log_warnx("recon: session %s: %u key(s) for %s not sent: "
		    "recon_max_keys (%zu) keys per 24 hours reached; they wait "
		    "for a later session", sid, over, p->addr, c->recon_max_keys);
	st = store_recon_keys_add(s, p->lower, ss->sid, pend, np,
	    STORE_RK_PENDING, r->now);
	if (st == STORE_OK)
		st = store_recon_keys_add(s, p->lower, ss->sid, skip, ns,
		    STORE_RK_SKIPPED, r->now);
	*npending = (uint32_t)np;
	*nskipped = (uint32_t)ns;
out:
	free(fprs);
	free(ki.found);
	free(ki.digest);
	free(ki.len);
	free(memo);
	free(sessions);
	free(pend);
	free(skip);
	return st;
}

/* Mail one batch (binary keys back to back). OK, TEMPFAIL or PERMFAIL. */
static enum mail_send_status
send_batch(struct rrun *r, const struct rpeer *p, uint64_t sid,
    const struct buf *bin, size_t nkeys)
{
	const struct conf *c = r->ctx->conf;
	struct mail_incremental mi;
	struct buf armor, msg;
	char err[512] = "", sidhex[17];
	enum mail_send_status ms = MAIL_SEND_PERMFAIL;

	rs_sid_hex(sid, sidhex);
	buf_init(&armor, 0);
	buf_init(&msg, 0);
	memset(&mi, 0, sizeof(mi));
	mi.from = c->address;
	mi.to = p->addr;
	mi.this_site = c->this_site ? c->this_site : c->address;
	mi.msgid_domain = cmd_msgid_domain(c->address);
	mi.recon_sid = sidhex;
	if (pgp_armor_encode(bin->data, bin->len, &armor) == 0) {
		mi.armor = (const char *)armor.data;
		mi.armor_len = armor.len;
		if (mail_incremental_build(&mi, &msg) == 0)
			ms = mail_send(c->sendmail, msg.data, msg.len,
			    (unsigned)c->sendmail_timeout, err, sizeof(err));
		else
			snprintf(err, sizeof(err), "could not build the message");
	}
	if (ms == MAIL_SEND_OK)
		log_info("recon: session %s: sent %zu key(s) to %s", sidhex, nkeys,
		    p->addr);
	else
		log_warnx("recon: session %s: %zu key(s) to %s not sent (%s): %s",
		    sidhex, nkeys, p->addr, ms == MAIL_SEND_TEMPFAIL ?
		    "temporary failure; sent again later" : "refused", err);
	buf_free(&armor);
	buf_free(&msg);
	return ms;
}

/* Mark a batch sent (and remember its digests) or given up, together. */
static enum store_status
mark_batch(struct rrun *r, const struct rpeer *p, uint64_t sid,
    const struct store_fpr *fprs, uint8_t (*digests)[32], size_t n,
    bool sent)
{
	struct store *s = r->ctx->store;
	enum store_status st;
	size_t i;

	if ((st = store_begin(s)) != STORE_OK)
		return st;
	st = store_recon_keys_add(s, p->lower, sid, fprs, n,
	    sent ? STORE_RK_SENT : STORE_RK_SKIPPED, r->now);
	for (i = 0; sent && i < n && st == STORE_OK; i++)
		st = store_recon_futile_sent(s, p->lower, &fprs[i], digests[i],
		    r->now);
	if (st == STORE_OK)
		return store_commit(s);
	store_rollback(s);
	return st;
}

enum store_status
rs_send_keys(struct rrun *r, const struct rpeer *p,
    const struct store_recon_session *ss)
{
	const struct conf *c = r->ctx->conf;
	struct store *s = r->ctx->store;
	struct store_fpr *pending = NULL, *batch;
	uint8_t (*bdig)[32];
	struct keyinfo ki;
	struct buf bin;
	size_t n = 0, off, chunk, i, nb;
	enum store_status st;
	enum mail_send_status ms;
	char hex[65];

	st = store_recon_keys_get(s, p->lower, ss->sid, STORE_RK_PENDING,
	    &pending, &n);
	if (st != STORE_OK || n == 0) {
		free(pending);
		return st;
	}
	buf_init(&bin, 0);
	batch = xcalloc(c->recon_batch_keys, sizeof(*batch));
	bdig = xcalloc(c->recon_batch_keys, sizeof(*bdig));
	for (off = 0; off < n && st == STORE_OK && !r->mail_tempfail; off += chunk) {
		chunk = n - off < c->recon_batch_keys ? n - off : c->recon_batch_keys;
		memset(&ki, 0, sizeof(ki));
		ki.fprs = pending + off;	/* sorted: keys_get orders them */
		ki.n = chunk;
		ki.found = xcalloc(chunk, sizeof(*ki.found));
		ki.digest = xcalloc(chunk, sizeof(*ki.digest));
		ki.len = xcalloc(chunk, sizeof(*ki.len));
		ki.data = xcalloc(chunk, sizeof(*ki.data));
		st = store_recon_keyinfo(s, ki.fprs, chunk, true, keyinfo_one, &ki);
		nb = 0;
		buf_reset(&bin);
		for (i = 0; i <= chunk && st == STORE_OK && !r->mail_tempfail; i++) {
			bool fits = i < chunk && ki.data[i] != NULL &&
			    pgp_armor_size(bin.len + ki.len[i]) <=
			    c->sync_max_message_size;

			if (i < chunk && (ki.data[i] == NULL ||
			    pgp_armor_size(ki.len[i]) > c->sync_max_message_size)) {
				/* Gone, or grown too large since it was
				 * decided: given up for this session. */
				pgp_hex(ki.fprs[i].fpr, ki.fprs[i].len, hex);
				log_warnx("recon: %s not sent to %s: %s", hex,
				    p->addr, ki.data[i] == NULL ? "no longer "
				    "in the store" : "larger than "
				    "sync_max_message_size armored");
				st = mark_batch(r, p, ss->sid, &ki.fprs[i],
				    &ki.digest[i], 1, false);
				continue;
			}
			if (nb > 0 && (i == chunk || !fits)) {
				ms = send_batch(r, p, ss->sid, &bin, nb);
				if (ms == MAIL_SEND_TEMPFAIL)
					r->mail_tempfail = true;
				else
					st = mark_batch(r, p, ss->sid, batch, bdig,
					    nb, ms == MAIL_SEND_OK);
				nb = 0;
				buf_reset(&bin);
			}
			if (i < chunk && !r->mail_tempfail) {
				(void)buf_append(&bin, ki.data[i], ki.len[i]);
				batch[nb] = ki.fprs[i];
				memcpy(bdig[nb], ki.digest[i], 32);
				nb++;
			}
		}
		for (i = 0; i < chunk; i++)
			free(ki.data[i]);
		free(ki.found);
		free(ki.digest);
		free(ki.len);
		free(ki.data);
	}
	buf_free(&bin);
	free(batch);
	free(bdig);
	free(pending);
	return st;
}

enum store_status
rs_flush(struct rrun *r, const struct rpeer *p, struct store_recon_session *ss)
{
	enum store_status st = rs_send_keys(r, p, ss);

	if (st == STORE_OK && !r->mail_tempfail && ss->out_pending)
		st = rs_hand_out(r, p, ss, false);
	return st;
}

/* ---- the end of a session ------------------------------------------- */

enum store_status
rs_end(struct rrun *r, const struct rpeer *p, struct store_recon_session *ss,
    int status, int reason)
{
	struct store_recon_peer pr;
	enum store_status st;

	ss->status = status;
	ss->reason = reason;
	ss->state = STORE_RECON_ENDED;
	ss->ended = r->now;
	buf_reset(&ss->cells);		/* nothing derived is kept (spec 5.2) */
	if ((st = store_recon_peer_get(r->ctx->store, p->lower, &pr)) != STORE_OK)
		return st;
	pr.last_end = r->now;
	pr.last_status = status;
	pr.last_reason = reason;
	pr.last_d = ss->d;
	if (status == STORE_RECON_OK)
		pr.failures = 0;
	else if (!(status == STORE_RECON_ABORTED && reason == RECON_SUPERSEDED))
		pr.failures++;
	return store_recon_peer_put(r->ctx->store, p->lower, &pr);
}

void
rs_log_end(const struct rrun *r, const struct rpeer *p,
    const struct store_recon_session *ss)
{
	char sid[17], status[48];

	rs_sid_hex(ss->sid, sid);
	if (ss->status == STORE_RECON_OK)
		snprintf(status, sizeof(status), "ok");
	else if (ss->status == STORE_RECON_TIMEOUT)
		snprintf(status, sizeof(status), "timeout");
	else
		snprintf(status, sizeof(status), "aborted %s",
		    recon_reason_name(ss->reason) ? recon_reason_name(ss->reason) :
		    "?");
	log_info("recon: session %s with %s (%s) %s: d=%u ours=%u theirs=%u "
	    "cells=%u rounds=%u mails=%u bytes=%llu keys_sent=%u skipped=%u "
	    "unknown=%u secs=%lld", sid, p->addr,
	    ss->role == STORE_RECON_INITIATOR ? "initiator" : "responder",
	    status, ss->d, ss->ours, ss->theirs, ss->cells_ok, ss->mores,
	    ss->mails, (unsigned long long)ss->bytes, ss->keys_sent, ss->skipped,
	    ss->unknown, (long long)(r->now - ss->created));
	if (ss->status == STORE_RECON_ABORTED && ss->reason == RECON_TOO_LARGE)
		log_info("recon: the stores differ by more than recon_max_cells "
		    "can reconcile; exchange dumps (keymail export / keymail "
		    "import) with %s", p->addr);
}
