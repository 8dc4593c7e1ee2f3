/*
 * cmd/publish.c - published copies in the command layer
 * (owner-control.md 2, 3, 7.1, 7.2, 11): claiming a key, absorbing what
 * ADD and INCREMENTAL bring for a claimed key, holding items under their
 * caps, what peer sync may send, and rebuilding every published copy
 * when the policy changes (keymail initdb --change-policy).
 *
 * The OpenPGP work is pgp/publish.c's; the state is the store's
 * (store_owner_*). Every change of one key is one owner transaction,
 * under the key's lock, so a crash leaves the old state or the new one.
 *
 * Untrusted input: incoming keys (from mail, already checked) and the
 * stored blobs (ours, but parsed and checked again before use).
 * Memory: nothing returned needs freeing unless said.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/owner.h"
#include "pgp/publish.h"
#include "util/log.h"
#include "util/xalloc.h"

struct pgp_key *
owner_key_load(const struct cmd_ctx *ctx, const uint8_t *data, size_t len)
{
	enum pgp_status st;
	struct pgp_key *k = pgp_key_parse_one(data, len, &ctx->lim, &st);

	if (k == NULL)
		return NULL;
	/* A published copy or fragment may lack a user ID; what check
	 * refuses as a whole it still cleans and marks. */
	(void)pgp_key_check(k, ctx->now, NULL, 0);
	return k;
}

struct pgp_key *
owner_fragment_load(const struct cmd_ctx *ctx, const uint8_t *data, size_t len)
{
	enum pgp_status st;

	/* Not checked: a fragment's user ID may carry a certification and
	 * no self-signature, which pgp_key_check would drop with it. */
	return pgp_key_parse_one(data, len, &ctx->lim, &st);
}

/* The printable primary user ID of a checked key (NULL: none). */
static char *
primary_uid(const struct pgp_key *k)
{
	size_t i;

	if (k->primary_uid >= 0 && (size_t)k->primary_uid < k->nuids &&
	    k->uids[k->primary_uid].pkt.tag == PGP_TAG_UID)
		return pgp_uid_printable(k->uids[k->primary_uid].pkt.body,
		    k->uids[k->primary_uid].pkt.len);
	for (i = 0; i < k->nuids; i++)
		if (k->uids[i].pkt.tag == PGP_TAG_UID)
			return pgp_uid_printable(k->uids[i].pkt.body,
			    k->uids[i].pkt.len);
	return NULL;
}

enum store_status
owner_publish_write(struct cmd_ctx *ctx, struct store_owner *o,
    struct pgp_key *pub)
{
	struct buf blob;
	enum store_status st;
	char *uid;
	struct pgp_key *chk;

	pgp_key_canonicalize(pub);
	buf_init(&blob, 0);
	if (pgp_key_write(pub, &blob) < 0) {
		buf_free(&blob);
		return STORE_ERROR;
	}
	/* Summary from the copy as a reader will check it. */
	chk = owner_key_load(ctx, blob.data, blob.len);
	uid = chk ? primary_uid(chk) : NULL;
	st = store_published_put(ctx->store, o->key_id, blob.data, blob.len, uid,
	    chk ? pgp_key_has_key_revocation(chk) : false);
	pgp_key_free(chk);
	free(uid);
	if (st == STORE_OK) {
		free(o->published);
		o->published = buf_detach(&blob, &o->published_len);
		o->claimed = true;
	}
	buf_free(&blob);
	return st;
}

enum store_status
owner_hold(struct cmd_ctx *ctx, const struct store_owner *o,
    const struct pgp_held_list *items, unsigned *refused)
{
	const struct conf *c = ctx->conf;
	enum store_status st = STORE_OK;
	size_t i;

	for (i = 0; i < items->n && st == STORE_OK; i++) {
		const struct pgp_held_item *it = &items->v[i];
		bool no;

		st = store_held_put(ctx->store, o->key_id, it->issuer,
		    it->issuer_keyid, it->component, it->created, it->data,
		    it->len, ctx->now, (time_t)c->held_days * 86400,
		    c->held_max_issuers, c->held_max_size, &no);
		if (st == STORE_OK && no && refused != NULL)
			(*refused)++;
	}
	return st;
}

enum store_status
owner_claim(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *unionk)
{
	struct pgp_held_list held;
	struct pgp_key *pub;
	enum store_status st;
	unsigned refused = 0;
	char fpr[65];

	memset(&held, 0, sizeof(held));
	pub = pgp_key_self_copy(unionk, &held);
	st = owner_publish_write(ctx, o, pub);
	if (st == STORE_OK)
		st = owner_hold(ctx, o, &held, &refused);
	if (st == STORE_OK && refused) {
		pgp_hex(unionk->pub.fpr, unionk->pub.fprlen, fpr);
		log_warnx("claim of %s: %u held item(s) over held_max_issuers or "
		    "held_max_size refused", fpr, refused);
	}
	pgp_key_free(pub);
	pgp_held_list_free(&held);
	return st;
}

/* The suppressed set and block list of o, as pgp_absorb reads them. */
struct absorb_rules {
	struct pgp_absorb_rules r;
	uint8_t (*sup)[32];
	struct pgp_issuer_ref *blk;
};

static enum store_status
rules_load(struct cmd_ctx *ctx, const struct store_owner *o,
    struct absorb_rules *ar)
{
	enum store_status st;
	char **names = NULL;
	size_t n = 0, i, nb = 0;

	memset(ar, 0, sizeof(*ar));
	st = store_suppressed_get(ctx->store, o->key_id, &ar->sup,
	    &ar->r.nsuppressed);
	if (st == STORE_OK)
		st = store_blocked_get(ctx->store, o->key_id, &names, &n);
	if (n > 0)
		ar->blk = xcalloc(n, sizeof(*ar->blk));
	for (i = 0; i < n; i++) {
		if (pgp_issuer_parse(names[i], &ar->blk[nb]))
			nb++;
		free(names[i]);
	}
	free(names);
	ar->r.suppressed = (const uint8_t (*)[32])ar->sup;
	ar->r.blocked = ar->blk;
	ar->r.nblocked = nb;
	return st;
}

static void
rules_free(struct absorb_rules *ar)
{
	free(ar->sup);
	free(ar->blk);
}

enum store_status
owner_absorb_locked(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *in, struct owner_absorbed *res)
{
	struct absorb_rules ar;
	struct pgp_absorb_result r;
	struct pgp_key *pub;
	enum store_status st;

	memset(res, 0, sizeof(*res));
	if (!o->claimed || o->published == NULL)
		return STORE_OK;
	if ((pub = owner_key_load(ctx, o->published, o->published_len)) == NULL)
		return STORE_ERROR;
	if ((st = rules_load(ctx, o, &ar)) != STORE_OK) {
		pgp_key_free(pub);
		return st;
	}
	if (pgp_absorb(pub, in, &ar.r, &r) == 0) {
		if (r.changed)
			st = owner_publish_write(ctx, o, pub);
		if (st == STORE_OK)
			st = owner_hold(ctx, o, &r.held, &res->refused);
		res->changed = r.changed;
		res->revocations = r.revocations;
		res->held = (unsigned)r.held.n - res->refused;
		res->dropped = r.dropped;
	}
	pgp_absorb_result_free(&r);
	rules_free(&ar);
	pgp_key_free(pub);
	return st;
}

enum store_status
owner_absorb(struct cmd_ctx *ctx, const struct pgp_key *in, bool keyrev_news,
    struct owner_absorbed *res)
{
	struct store_owner o;
	enum store_status st;
	bool queue;

	memset(res, 0, sizeof(*res));
	st = store_owner_begin(ctx->store, in->pub.fpr, in->pub.fprlen, &o);
	if (st == STORE_NOTFOUND)
		return STORE_OK;	/* not stored (refused by the merge) */
	if (st != STORE_OK)
		return st;
	st = owner_absorb_locked(ctx, &o, in, res);
	/* Trusted mode's queue (owner-control.md 11): a visible key whose
	 * published copy changed, any key that gained a key revocation. */
	queue = (res->changed && o.state == STORE_VISIBLE) || keyrev_news;
	if (st == STORE_OK && queue && ctx->sync_enqueue)
		st = store_sync_enqueue(ctx->store, o.key_id, ctx->sync_trail,
		    ctx->sync_ntrail);
	st = store_owner_end(ctx->store, st);
	store_owner_free(&o);
	return st;
}

/* ---- what is public (owner-control.md 2) ---------------------------------- */

/* The revocation-only copy of a stored union: 2, 0 (not revoked), -1. */
static int
revocation_copy(const struct cmd_ctx *ctx, const uint8_t *unionk,
    size_t unionlen, struct buf *out)
{
	struct pgp_key *k, *r;
	enum pgp_status pst;

	if ((k = pgp_key_parse_one(unionk, unionlen, &ctx->lim, &pst)) == NULL)
		return -1;
	(void)pgp_key_check(k, ctx->now, NULL, 0);
	r = pgp_key_revocation_copy(k);
	pgp_key_free(k);
	if (r == NULL)
		return 0;
	(void)pgp_key_write(r, out);
	pgp_key_free(r);
	return 2;
}

int
owner_public_copy(const struct cmd_ctx *ctx, enum store_policy policy,
    int state, const uint8_t *unionk, size_t unionlen,
    const uint8_t *published, size_t published_len, struct buf *out)
{
	if (policy == STORE_POLICY_OPEN && state != STORE_HIDDEN) {
		buf_append(out, unionk, unionlen);
		return 1;
	}
	if (policy == STORE_POLICY_TRUSTED && state == STORE_VISIBLE &&
	    published != NULL) {
		buf_append(out, published, published_len);
		return 1;
	}
	/* Verified mode (11): a copy with a user ID as it is. */
	if (policy == STORE_POLICY_VERIFIED && published != NULL &&
	    owner_copy_has_uid(ctx, published, published_len)) {
		buf_append(out, published, published_len);
		return 1;
	}
	/* Anything else: the revocation-only copy, if the key is revoked. */
	return revocation_copy(ctx, unionk, unionlen, out);
}

static bool
id_matches(const struct pgp_pubkey *pub, const uint8_t *id, size_t idlen)
{
	if (idlen == pub->fprlen)
		return memcmp(pub->fpr, id, idlen) == 0;
	if (idlen == 8)
		return memcmp(pub->keyid, id, 8) == 0;
	if (idlen == 4)
		return memcmp(pub->keyid + 4, id, 4) == 0;
	return false;
}

enum store_status
owner_lookup_recheck(struct cmd_ctx *ctx, const uint8_t *id, size_t idlen,
    struct store_keys *ks)
{
	size_t i, j, kept = 0;

	if (owner_policy(ctx->conf) == STORE_POLICY_OPEN)
		return ks->n ? STORE_OK : STORE_NOTFOUND;
	for (i = 0; i < ks->n; i++) {
		enum pgp_status pst;
		struct pgp_key *k = pgp_key_parse_one(ks->v[i].data, ks->v[i].len,
		    &ctx->lim, &pst);
		bool hit = false;

		if (k != NULL) {
			hit = id_matches(&k->pub, id, idlen);
			for (j = 0; j < k->nsubkeys && !hit; j++)
				hit = id_matches(&k->subkeys[j].sub, id, idlen);
			pgp_key_free(k);
		}
		if (hit)
			ks->v[kept++] = ks->v[i];
		else
			free(ks->v[i].data);
	}
	ks->n = kept;
	if (kept == 0) {
		store_keys_free(ks);
		return STORE_NOTFOUND;
	}
	return STORE_OK;
}

enum store_status
owner_revocation_only(struct cmd_ctx *ctx, const uint8_t *fpr, size_t fprlen,
    struct store_keys *out)
{
	struct store_key u;
	struct buf b;
	enum store_status st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = store_get_union(ctx->store, fpr, fprlen, &u)) != STORE_OK)
		return st;
	buf_init(&b, 0);
	/* Not public (else the lookup had found it): at most revocations. */
	rc = revocation_copy(ctx, u.data, u.len, &b);
	free(u.data);
	if (rc != 2) {
		buf_free(&b);
		return rc < 0 ? STORE_ERROR : STORE_NOTFOUND;
	}
	out->v = xcalloc(1, sizeof(*out->v));
	out->v[0].data = buf_detach(&b, &out->v[0].len);
	out->n = 1;
	return STORE_OK;
}

/* ---- changing the policy ---------------------------------------------------- */

/*
 * One key with an owner row, for a change to policy to: into trusted
 * mode a claimed key takes in the union as if it had just come in (its
 * revocations and newer self-signatures published, the rest held), a key
 * whose owner acted in open mode (SHOW or HIDE) is claimed, and any other
 * row stays unclaimed; into open mode nothing needs building (lookups
 * read the union; published copies and held items are kept for a later
 * change back).
 */
static enum store_status
rebuild_one(struct cmd_ctx *ctx, const uint8_t *fpr, size_t fprlen,
    enum store_policy from, enum store_policy to, struct owner_rebuild *rb)
{
	struct store_owner o;
	struct owner_absorbed res;
	struct pgp_key *un;
	enum store_status st;

	st = store_owner_begin(ctx->store, fpr, fprlen, &o);
	if (st == STORE_NOTFOUND)
		return STORE_OK;
	if (st != STORE_OK)
		return st;
	/* Out of verified mode, a claimed key's copy is the verified one:
	 * it is claimed again from the union (README, "Changing mode"). */
	if (to != STORE_POLICY_TRUSTED && !(from == STORE_POLICY_VERIFIED &&
	    o.claimed)) {
		store_owner_rollback(ctx->store);
		store_owner_free(&o);
		return STORE_OK;
	}
	if ((un = owner_key_load(ctx, o.data, o.len)) == NULL) {
		store_owner_rollback(ctx->store);
		store_owner_free(&o);
		return STORE_ERROR;
	}
	if (o.claimed && from == STORE_POLICY_VERIFIED) {
		st = owner_claim(ctx, &o, un);
		rb->claimed++;
	} else if (o.claimed) {
		st = owner_absorb_locked(ctx, &o, un, &res);
		rb->absorbed++;
	} else if (o.state != STORE_UNCLAIMED) {
		st = owner_claim(ctx, &o, un);
		if (st == STORE_OK)
			st = store_owner_put(ctx->store, &o);
		rb->claimed++;
	}
	pgp_key_free(un);
	st = store_owner_end(ctx->store, st);
	store_owner_free(&o);
	return st;
}

enum store_status
owner_policy_rebuild(struct cmd_ctx *ctx, enum store_policy from,
    enum store_policy to, struct owner_rebuild *rb)
{
	struct store_fprs f;
	enum store_status st;
	size_t i, n = 0;

	memset(rb, 0, sizeof(*rb));
	if (to == STORE_POLICY_VERIFIED)
		st = owner_verified_rebuild(ctx, &rb->absorbed);
	else {
		/* Leaving verified mode: every key had a verified copy. */
		if (from == STORE_POLICY_VERIFIED &&
		    (st = store_published_drop_unclaimed(ctx->store, &n)) != STORE_OK)
			return st;
		if ((st = store_owner_keys(ctx->store, &f)) != STORE_OK)
			return st;
		for (i = 0; i < f.n && st == STORE_OK; i++)
			st = rebuild_one(ctx, f.v[i].fpr, f.v[i].len, from, to, rb);
		store_fprs_free(&f);
	}
	if (st == STORE_OK)
		st = store_policy_set(ctx->store, to);
	if (st == STORE_OK)
		log_info("policy changed from %s to %s: %zu key(s) claimed, %zu "
		    "published copies brought up to date; keys never claimed "
		    "are %s", store_policy_name(from), store_policy_name(to),
		    rb->claimed, rb->absorbed, to == STORE_POLICY_TRUSTED ?
		    "unclaimed (not published)" : to == STORE_POLICY_VERIFIED ?
		    "published without user IDs until their addresses confirm" :
		    "published as before");
	return st;
}
