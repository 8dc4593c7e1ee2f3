/*
 * cmd/sync.c - `keymail sync`: mail what changed to the peer keyservers.
 *
 * DESCRIPTION
 *	The filter queues every key a merge changed (store_merge_key_sync,
 *	sql/002-sync.sql), with the change's X-KeyServer-Sent trail. A sync
 *	run, hourly from cron or a systemd timer (mail-protocol.md 4.5),
 *	sends each queued key to each configured peer that is not ourselves,
 *	not in the trail, and not yet sent this change:
 *	- the full stored key (not a delta), cleaned for the peer's profile
 *	  (sync_key_for_profile), one key per message, one message per peer.
 *	  The spec groups peers that get the same data into one message; we
 *	  do not, so that the mailer's exit status speaks for exactly one
 *	  peer, and a peer that refuses mail holds no other peer back;
 *	- as "Subject: incremental" with the trail plus this_site
 *	  (mail_incremental_build);
 *	- through the configured mailer (mail_send), and a peer is marked
 *	  sent only after the mailer accepted the message. A crash or a
 *	  mailer failure therefore loses nothing: the next run sends again.
 *	  The one gap is a crash between the mailer's acceptance and the mark,
 *	  which costs the peer a duplicate; a duplicate brings it nothing new,
 *	  so it goes no further.
 *	A queue entry leaves the queue once every peer that can take the key
 *	has been sent it; entries not delivered within sync_max_age_days are
 *	dropped (the spec's 7 days).
 *
 *	A key whose armored form exceeds sync_max_message_size is not sent
 *	(logged): the spec would send the delta instead, but we keep only
 *	whole keys, and a key that large is more often a flooded one that
 *	peers are better without.
 *
 * LOCKING
 *	One run at a time per database: store_sync_lock takes a session
 *	advisory lock, so a second run exits at once and a killed run's lock
 *	goes with its connection. A run that ends gives it back itself
 *	(store_sync_unlock), so that the next run, started the moment this
 *	one exits, finds it free. Filters queue concurrently; the queue's
 *	generation numbers keep a change that lands mid-run from being
 *	marked sent by the run that did not send it.
 *
 * Untrusted: the stored keys and trails came from mail (the store holds
 * them checked and sanitized). Memory: everything is freed per entry.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
#include "cmd/owner.h"
#include "util/log.h"
#include "util/peer.h"
#include "util/xalloc.h"

#define SYNC_PAGE	16	/* queue entries (with their keys) per fetch */
#define NPROFILES	(PEER_GENERIC + 1)

struct sync_peer {
	struct peer p;
	char *lower;		/* lower-case address: trail and sent marks */
	bool self;		/* our own address, or listed before: never sent to */
	bool deferred;		/* the mailer failed for it in this run */
};

/* Per entry and profile: the armored key, made when first needed. */
struct prepared {
	int state;		/* -2 not yet, -1 unusable, 1 not for this profile,
				 * 2 too large, 0 ready */
	struct buf armor;
};

static char *
lower_dup(const char *s)
{
	char *r = xstrdup(s), *p;

	for (p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

static bool
in_list(char *const *v, size_t n, const char *lower)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && strcasecmp(v[i], lower) == 0)
			return true;
	return false;
}

static bool
pks_algo(uint8_t a)
{
	return a == PGP_PK_RSA || a == PGP_PK_RSA_E || a == PGP_PK_RSA_S ||
	    a == PGP_PK_ELGAMAL_E || a == PGP_PK_ELGAMAL || a == PGP_PK_DSA;
}

int
sync_key_for_profile(const uint8_t *data, size_t len, int prof,
    const struct pgp_limits *lim, struct buf *out)
{
	enum pgp_status st;
	struct pgp_key *k = pgp_key_parse_one(data, len, lim, &st);
	size_t i, j;
	int rc = 0;

	if (k == NULL)
		return -1;
	switch (prof) {
	case PEER_PKS:
		/* pks 0.9.6 reads v2-v4 keys with RSA, ElGamal or DSA
		 * primaries (others are skipped) and fails the rest of a
		 * block at the first new-format packet, which a user
		 * attribute always is (mail-protocol.md 3.1, 4.4). */
		if ((k->pub.version != 3 && k->pub.version != 4) ||
		    !pks_algo(k->pub.algo)) {
			rc = 1;
			break;
		}
		for (i = j = 0; i < k->nuids; i++) {
			if (k->uids[i].pkt.tag == PGP_TAG_UID) {
				if (i != j)
					k->uids[j] = k->uids[i];
				j++;
			} else
				pgp_component_clear(&k->uids[i]);
		}
		k->nuids = j;
		break;
	case PEER_SKS:
		/* SKS 1.1.6 fails the whole message on a v5/v6 key. */
		if (k->pub.version >= 5)
			rc = 1;
		break;
	default:
		break;
	}
	if (rc == 0 && pgp_key_write(k, out) < 0)
		rc = -1;
	pgp_key_free(k);
	return rc;
}

/* The armored key for profile prof, made once per entry. */
static struct prepared *
prepare(struct cmd_ctx *ctx, const struct store_sync_entry *e,
    struct prepared *pr, int prof)
{
	struct prepared *p = &pr[prof];
	struct buf bin;

	if (p->state != -2)
		return p;
	buf_init(&bin, 0);
	p->state = sync_key_for_profile(e->data, e->len, prof, &ctx->lim, &bin);
	if (p->state == 0) {
		buf_init(&p->armor, ctx->conf->sync_max_message_size);
		if (pgp_armor_encode(bin.data, bin.len, &p->armor) < 0)
			p->state = 2;
	}
	free(bin.data);
	return p;
}

/* Mail one entry to one peer. Returns true if the mailer accepted it. */
static bool
send_one(struct cmd_ctx *ctx, const struct store_sync_entry *e,
    const struct sync_peer *sp, const struct prepared *p, const char *fpr)
{
	const struct conf *c = ctx->conf;
	struct mail_incremental mi;
	struct buf msg;
	char err[512] = "";
	enum mail_send_status ss = MAIL_SEND_PERMFAIL;

	memset(&mi, 0, sizeof(mi));
	mi.from = c->address;
	mi.to = sp->p.addr;
	mi.sent = e->seen;
	mi.nsent = e->nseen;
	mi.this_site = c->this_site ? c->this_site : c->address;
	mi.msgid_domain = cmd_msgid_domain(c->address);
	mi.armor = (const char *)p->armor.data;
	mi.armor_len = p->armor.len;
	buf_init(&msg, 0);
	if (mail_incremental_build(&mi, &msg) < 0)
		snprintf(err, sizeof(err), "could not build the message");
	else
		ss = mail_send(c->sendmail, msg.data, msg.len,
		    (unsigned)c->sendmail_timeout, err, sizeof(err));
	free(msg.data);
	if (ss == MAIL_SEND_OK) {
		log_info("sync: sent %s to %s", fpr, sp->p.addr);
		return true;
	}
	log_warnx("sync: %s to %s not sent (%s): %s; retried next run", fpr,
	    sp->p.addr, ss == MAIL_SEND_TEMPFAIL ? "temporary" : "refused", err);
	return false;
}

static enum store_status sync_entry_public(struct cmd_ctx *ctx,
    const struct store_sync_entry *e, struct sync_peer *peers, size_t npeers,
    struct sync_stats *stats);

/*
 * What leaves is the key's public copy under the policy
 * (owner-control.md 11): open, the union (a HIDden key only as its
 * revocation-only copy); trusted, a visible key's published copy, any
 * other key only as its revocation-only copy. A key with nothing public
 * is done at once: nothing of it may leave.
 */
static enum store_status
sync_entry(struct cmd_ctx *ctx, const struct store_sync_entry *e,
    struct sync_peer *peers, size_t npeers, struct sync_stats *stats)
{
	struct store_sync_entry pub = *e;
	struct buf copy;
	enum store_status st;
	int rc;

	buf_init(&copy, 0);
	rc = owner_public_copy(ctx, owner_policy(ctx->conf), e->owner_state,
	    e->data, e->len, e->published, e->published_len, &copy);
	if (rc == 0) {
		buf_free(&copy);
		st = store_sync_done(ctx->store, e->key_id, e->gen);
		if (st == STORE_OK)
			stats->done++;
		return st;
	}
	if (rc > 0) {
		pub.data = copy.data;
		pub.len = copy.len;
	}
	st = sync_entry_public(ctx, &pub, peers, npeers, stats);
	buf_free(&copy);
	return st;
}

static enum store_status
sync_entry_public(struct cmd_ctx *ctx, const struct store_sync_entry *e,
    struct sync_peer *peers, size_t npeers, struct sync_stats *stats)
{
	struct prepared pr[NPROFILES];
	enum store_status st = STORE_OK;
	enum pgp_status pst;
	struct pgp_key *k;
	char fpr[65] = "(unparsable key)";
	bool finished = true;
	size_t i;
	int j;

	/* prepare() initialises the armor buffer when it is first needed. */
	memset(pr, 0, sizeof(pr));
	for (j = 0; j < NPROFILES; j++)
		pr[j].state = -2;
	if ((k = pgp_key_parse_one(e->data, e->len, &ctx->lim, &pst)) != NULL) {
		pgp_hex(k->pub.fpr, k->pub.fprlen, fpr);
		pgp_key_free(k);
	}
	for (i = 0; i < npeers && st == STORE_OK; i++) {
		struct sync_peer *sp = &peers[i];
		struct prepared *p;

		if (sp->self || in_list(e->seen, e->nseen, sp->lower) ||
		    in_list(e->sent, e->nsent, sp->lower))
			continue;
		if (sp->deferred) {
			finished = false;
			continue;
		}
		p = prepare(ctx, e, pr, (int)sp->p.profile);
		if (p->state == -1) {
			log_warnx("sync: stored key %s does not parse; dropped "
			    "from the queue", fpr);
			continue;
		}
		if (p->state == 1 || p->state == 2) {
			if (p->state == 2)
				log_warnx("sync: %s is larger than %zu bytes armored "
				    "(sync_max_message_size); not sent to %s", fpr,
				    ctx->conf->sync_max_message_size, sp->p.addr);
			stats->skipped++;
			continue;
		}
		if (!send_one(ctx, e, sp, p, fpr)) {
			stats->failed++;
			sp->deferred = true;
			finished = false;
			continue;
		}
		stats->sent++;
		/* If this fails (database gone), the peer gets the key again
		 * next run: a duplicate, never a loss. */
		st = store_sync_mark(ctx->store, e->key_id, e->gen, sp->lower);
	}
	if (st == STORE_OK && finished) {
		st = store_sync_done(ctx->store, e->key_id, e->gen);
		if (st == STORE_OK)
			stats->done++;
	}
	for (j = 0; j < NPROFILES; j++)
		free(pr[j].armor.data);
	return st;
}

enum store_status
cmd_sync(struct cmd_ctx *ctx, struct sync_stats *stats, bool *busy)
{
	const struct conf *c = ctx->conf;
	struct sync_peer *peers;
	struct store_sync_entries es;
	enum store_status st = STORE_OK;
	int64_t after = 0;
	char *site, *addr;
	bool got;
	size_t i, j;

	memset(stats, 0, sizeof(*stats));
	*busy = false;
	if ((st = store_sync_lock(ctx->store, &got)) != STORE_OK)
		return st;
	if (!got) {
		*busy = true;
		return STORE_OK;
	}
	peers = xcalloc(c->npeers + 1, sizeof(*peers));
	site = lower_dup(c->this_site ? c->this_site : c->address);
	addr = lower_dup(c->address);
	for (i = 0; i < c->npeers; i++) {
		char err[256];

		/* conf_load checked every line, so this cannot fail. */
		if (peer_parse(c->peers[i], &peers[i].p, err, sizeof(err)) < 0)
			log_panic("sync: %s", err);
		peers[i].lower = lower_dup(peers[i].p.addr);
		peers[i].self = !strcmp(peers[i].lower, site) ||
		    !strcmp(peers[i].lower, addr);
		if (peers[i].self)
			log_info("sync: peer %s is this server; skipped", peers[i].p.addr);
		/* A second line for the same address would send it all twice
		 * (the sent marks are read once per entry): the first wins. */
		for (j = 0; j < i && !peers[i].self; j++)
			if (!strcmp(peers[j].lower, peers[i].lower)) {
				log_warnx("sync: peer %s is listed twice; the second "
				    "line is ignored", peers[i].p.addr);
				peers[i].self = true;
			}
	}
	if (c->sync_max_age_days != 0)		/* 0: keep entries for ever */
		st = store_sync_expire(ctx->store,
		    (time_t)c->sync_max_age_days * 86400, &stats->expired);
	if (st == STORE_OK && stats->expired > 0)
		log_warnx("sync: dropped %zu queued key(s) not delivered within %zu "
		    "days (sync_max_age_days)", stats->expired, c->sync_max_age_days);
	while (st == STORE_OK) {
		if ((st = store_sync_fetch(ctx->store, after, SYNC_PAGE, &es)) != STORE_OK)
			break;
		if (es.n == 0)
			break;
		for (i = 0; i < es.n && st == STORE_OK; i++) {
			after = es.v[i].key_id;
			st = sync_entry(ctx, &es.v[i], peers, c->npeers, stats);
		}
		store_sync_entries_free(&es);
	}
	for (i = 0; i < c->npeers; i++) {
		peer_free(&peers[i].p);
		free(peers[i].lower);
	}
	free(peers);
	free(site);
	free(addr);
	/* owner-control.md 11: (1) peer sync, then (2) purges and (3)
	 * digests, one run at a time. */
	if (st == STORE_OK)
		st = owner_batch(ctx, &stats->owner);
	/* Best effort: should it fail, the lock still goes with the session. */
	if (st == STORE_OK)
		(void)store_sync_unlock(ctx->store);
	return st;
}
