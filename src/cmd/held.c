/*
 * cmd/held.c - held items in trusted mode (owner-control.md 7.3): the
 * HELD reply, encrypted to the key, and ACCEPT and REJECT.
 *
 * Items are fragments of the key (pgp/publish.h) stored by store/held.c;
 * an issuer argument (fingerprint or 0x + key ID) names the items whose
 * issuer it matches (pgp_issuer_matches_name), ALL every item, the key's
 * own fingerprint its new user IDs and subkeys. Runs inside the key's
 * owner transaction.
 *
 * Untrusted input: the fragments (from mail, via the store) are parsed
 * and checked again; issuer arguments are canonical (mail/owner_cmd.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/owner.h"
#include "pgp/encrypt.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char held_text[] =
    "This is the answer to HELD for your key. The second part is encrypted\n"
    "to your key: save it to a file and decrypt it with \"gpg --decrypt FILE\".\n"
    "It lists what waits for your approval and holds your key with all of\n"
    "it, so that you can look at it with \"gpg --import-options show-only\n"
    "--import\". Send ACCEPT or REJECT (see HELP) to decide.\n";

static const char held_clear_text[] =
    "This is the answer to your signed HELD. The key cannot receive\n"
    "encrypted mail, so the second part is in clear: it lists what waits\n"
    "for your approval and holds your key with all of it. Send ACCEPT or\n"
    "REJECT (see HELP) to decide.\n";

static const char *
state_word(enum store_owner_state s)
{
	return s == STORE_VISIBLE ? "visible" : s == STORE_HIDDEN ? "hidden" :
	    "unclaimed";
}

/* Does oc's argument list (issuers, ALL, BLOCK) name the item's issuer? */
static bool
names_item(const struct owner_cmd *oc, const struct store_held *h)
{
	struct pgp_issuer_ref ref;
	size_t i;

	for (i = 0; i < oc->nargs; i++) {
		const char *a = oc->args[i].text;

		if (!strcmp(a, "ALL"))
			return true;
		if (!strcmp(a, "BLOCK"))
			continue;
		if (pgp_issuer_parse(a, &ref) && pgp_issuer_matches_name(&ref, h->issuer))
			return true;
	}
	return false;
}

static bool
own_item(const struct owner_cmd *oc, const struct store_held *h)
{
	return !strcmp(h->issuer, oc->fpr);
}

enum store_status
owner_held_reply(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *unionk, bool is_signed, time_t t, const char *to,
    struct cmd_result *r, bool *done)
{
	struct pgp_enc_recipient rec[PGP_ENC_MAX_RECIPIENTS];
	struct store_helds h;
	struct pgp_key *base;
	struct buf text, bin, armor;
	struct pgp_enc_opts eo;
	enum store_status st = STORE_OK;
	enum pgp_enc_status es;
	size_t n = 0, i;
	unsigned nbad = 0;
	bool can;
	char fpr[65];
	int ok;

	*done = false;
	pgp_hex(unionk->pub.fpr, unionk->pub.fprlen, fpr);
	can = pgp_enc_select(unionk, ctx->now, rec, &n, &nbad) == PGP_ENC_OK;
	if (!can && !is_signed) {
		r->suffix = ", failed";
		buf_puts(&r->body, "This key cannot receive encrypted mail; send "
		    "HELD signed (see HELP).\n");
		return STORE_OK;
	}
	ok = owner_mail_allow(ctx, OWNER_MAIL_HELD, to, unionk->pub.fpr,
	    unionk->pub.fprlen, &st);
	if (ok <= 0) {
		r->silent = ok == 0;
		return ok < 0 ? st : STORE_OK;
	}
	if ((st = store_held_list(ctx->store, o->key_id, &h)) != STORE_OK)
		return st;
	buf_init(&text, 0);
	buf_printf(&text, "keyserver: %s\nfingerprint: %s\nstate: %s\n",
	    ctx->conf->address, fpr, state_word(o->state));
	if (o->notify != NULL)
		buf_printf(&text, "notify: %s (%s)\n", o->notify,
		    o->notify_confirmed ? "confirmed" : "unconfirmed");
	else
		buf_puts(&text, "notify: none\n");
	base = o->claimed && o->published != NULL ?
	    owner_key_load(ctx, o->published, o->published_len) :
	    pgp_key_dup(unionk);
	for (i = 0; i < h.n; i++) {
		struct tm tm;
		char day[16];
		time_t ex = h.v[i].expires;
		struct pgp_key *f;

		gmtime_r(&ex, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		buf_printf(&text, "held: %s %s %s\n", h.v[i].issuer,
		    h.v[i].component, day);
		if (base != NULL &&
		    (f = owner_fragment_load(ctx, h.v[i].data, h.v[i].len)) != NULL) {
			(void)pgp_key_merge(base, f, NULL);
			pgp_key_free(f);
		}
	}
	buf_puts(&text, "\n");
	buf_init(&bin, 0);
	if (base != NULL) {
		pgp_key_canonicalize(base);
		(void)pgp_key_write(base, &bin);
	}
	(void)pgp_armor_encode(bin.data, bin.len, &text);
	buf_init(&armor, ctx->conf->max_reply_size);
	if (can) {
		memset(&eo, 0, sizeof(eo));
		eo.armor = true;
		es = pgp_encrypt_to_key(unionk, ctx->now, text.data, text.len, &eo,
		    &armor, NULL);
		if (es != PGP_ENC_OK) {
			r->suffix = ", failed";
			buf_printf(&r->body, "The answer could not be encrypted to "
			    "key %s (%s).\n", fpr, pgp_enc_strerror(es));
			goto out;
		}
		r->intro = owner_intro(ctx, held_text);
		buf_append(&r->body, armor.data, armor.len);
	} else {
		r->intro = owner_intro(ctx, held_clear_text);
		buf_append(&r->body, text.data, text.len);
	}
	r->body_charset = "us-ascii";
	st = store_held_fetched(ctx->store, o->key_id, ctx->now,
	    (time_t)ctx->conf->held_after_fetch_days * 86400);
	if (st == STORE_OK) {
		o->last[STORE_CLASS_FETCH] = (int64_t)t;
		st = store_owner_put(ctx->store, o);
	}
	*done = st == STORE_OK;
out:
	pgp_key_free(base);
	buf_free(&text);
	buf_free(&bin);
	buf_free(&armor);
	store_helds_free(&h);
	return st;
}

enum store_status
owner_accept(struct cmd_ctx *ctx, struct store_owner *o,
    const struct owner_cmd *oc, struct buf *lines)
{
	struct store_helds h;
	struct pgp_key *pub;
	enum store_status st;
	unsigned accepted = 0, kept = 0;
	size_t i;
	int pass;

	if ((pub = owner_key_load(ctx, o->published, o->published_len)) == NULL)
		return STORE_ERROR;
	if ((st = store_held_list(ctx->store, o->key_id, &h)) != STORE_OK) {
		pgp_key_free(pub);
		return st;
	}
	/* New user IDs and subkeys first, so that certifications on them
	 * find them published. */
	for (pass = 0; pass < 2 && st == STORE_OK; pass++)
		for (i = 0; i < h.n && st == STORE_OK; i++) {
			struct pgp_key *f;
			int rc;

			if (own_item(oc, &h.v[i]) != (pass == 0) || !names_item(oc, &h.v[i]))
				continue;
			if ((f = owner_fragment_load(ctx, h.v[i].data, h.v[i].len)) == NULL)
				continue;
			rc = pgp_publish_fragment(pub, f);
			pgp_key_free(f);
			if (rc == 1) {
				accepted++;
				st = store_held_delete(ctx->store, o->key_id,
				    h.v[i].issuer, h.v[i].component);
			} else
				kept++;
		}
	if (st == STORE_OK && accepted > 0)
		st = owner_publish_write(ctx, o, pub);
	if (st == STORE_OK) {
		buf_printf(lines, "%u held item(s) of key %s published.\n", accepted,
		    oc->fpr);
		if (kept)
			buf_printf(lines, "%u item(s) stay held: they certify a user "
			    "ID that is not published.\n", kept);
	}
	store_helds_free(&h);
	pgp_key_free(pub);
	return st;
}

/* Add the hashes of every packet of fragment f but its primary key (and,
 * for a third-party item, but its component) to *v. */
static void
fragment_hashes(const struct pgp_key *f, bool own, uint8_t (**v)[32], size_t *n)
{
	size_t i, j;

	for (i = 0; i < f->nuids + f->nsubkeys; i++) {
		const struct pgp_component *c = i < f->nuids ? &f->uids[i] :
		    &f->subkeys[i - f->nuids];

		if (own) {
			*v = xreallocarray(*v, *n + 1, sizeof(**v));
			pgp_packet_hash(c->pkt.tag, c->pkt.body, c->pkt.len, (*v)[(*n)++]);
		}
		for (j = 0; j < c->nsigs; j++) {
			*v = xreallocarray(*v, *n + 1, sizeof(**v));
			pgp_packet_hash(PGP_TAG_SIG, c->sigs[j].pkt.body,
			    c->sigs[j].pkt.len, (*v)[(*n)++]);
		}
	}
}

enum store_status
owner_reject(struct cmd_ctx *ctx, struct store_owner *o,
    const struct owner_cmd *oc, struct buf *lines)
{
	struct store_helds h;
	enum store_status st;
	uint8_t (*sup)[32] = NULL;
	size_t nsup = 0, i, j, blocked = 0;
	unsigned rejected = 0;
	bool block = oc->nargs > 0 && !strcmp(oc->args[oc->nargs - 1].text, "BLOCK");
	bool all = oc->nargs > 0 && !strcmp(oc->args[0].text, "ALL");

	if ((st = store_held_list(ctx->store, o->key_id, &h)) != STORE_OK)
		return st;
	for (i = 0; i < h.n && st == STORE_OK; i++) {
		struct pgp_key *f;

		if (!names_item(oc, &h.v[i]))
			continue;
		/* The owner removed it: it does not come back (7.2). */
		if ((f = owner_fragment_load(ctx, h.v[i].data, h.v[i].len)) != NULL) {
			fragment_hashes(f, own_item(oc, &h.v[i]), &sup, &nsup);
			pgp_key_free(f);
		}
		st = store_held_delete(ctx->store, o->key_id, h.v[i].issuer,
		    h.v[i].component);
		rejected++;
		if (st != STORE_OK || !block || !all || own_item(oc, &h.v[i]))
			continue;
		for (j = 0; j < i; j++)
			if (!strcmp(h.v[j].issuer, h.v[i].issuer) && names_item(oc, &h.v[j]))
				break;
		if (j == i) {
			st = store_blocked_add(ctx->store, o->key_id, h.v[i].issuer);
			blocked++;
		}
	}
	if (st == STORE_OK && nsup > 0)
		st = store_suppressed_change(ctx->store, o->key_id,
		    (const uint8_t (*)[32])sup, nsup, NULL, 0);
	/* Named issuers are blocked whether or not anything was held. */
	for (i = 0; st == STORE_OK && block && !all && i + 1 < oc->nargs; i++) {
		st = store_blocked_add(ctx->store, o->key_id, oc->args[i].text);
		blocked++;
	}
	if (st == STORE_OK) {
		buf_printf(lines, "%u held item(s) of key %s rejected.\n", rejected,
		    oc->fpr);
		if (block)
			buf_printf(lines, "%zu issuer(s) blocked: their certifications "
			    "on this key are dropped from now on.\n", blocked);
	}
	free(sup);
	store_helds_free(&h);
	return st;
}
