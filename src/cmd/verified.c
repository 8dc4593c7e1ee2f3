/*
 * cmd/verified.c - verified mode (owner-control.md 8): the published copy
 * built from the bindings, ADD's verification mail to the sender, VERIFY,
 * UNPUBLISH and the rebuild of every copy when the policy changes to
 * verified.
 *
 * DESCRIPTION
 *	Every key stored in verified mode has a published copy (8.1): the
 *	union's self-material (pgp_key_verified_copy) with only the user
 *	IDs whose address is bound to the key (store/binding.c). It is
 *	rebuilt under the key's owner transaction whenever the union or the
 *	bindings change (ADD, INCREMENTAL, CONFIRM, UNPUBLISH, HIDE), so
 *	that lookups, which read published copies (store_set_view), never
 *	see a user ID that was not confirmed. A verification mail goes only
 *	to the reply address of an ADD that is an address of the key, or
 *	to the addresses a VERIFY names; its token block is encrypted to
 *	the key when it can encrypt (verify_encrypt, C23).
 *
 * SECURITY
 *	User IDs are attacker-written: only their addr-spec (canonical,
 *	mail/owner_cmd.c) is ever used, and no name or comment reaches a
 *	mail (8.2). Replies list addresses of the sender's own key only.
 *	Memory: nothing returned needs freeing unless said.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/owner.h"
#include "pgp/encrypt.h"
#include "pgp/token.h"
#include "util/log.h"
#include "util/xalloc.h"

bool
owner_uid_address(const uint8_t *uid, size_t len, char out[OWNER_ARG_MAX])
{
	const uint8_t *lt = NULL, *gt = NULL;
	size_t i;

	/* "Name <addr>": the last bracketed part; else the whole text. */
	for (i = 0; i < len; i++)
		if (uid[i] == '<')
			lt = uid + i;
	if (lt != NULL)
		gt = memchr(lt, '>', len - (size_t)(lt - uid));
	if (lt != NULL && gt != NULL)
		return owner_canon_address((const char *)lt + 1,
		    (size_t)(gt - lt - 1), out);
	while (len > 0 && (uid[len - 1] == ' ' || uid[len - 1] == '\t'))
		len--;
	while (len > 0 && (*uid == ' ' || *uid == '\t')) {
		uid++;
		len--;
	}
	return owner_canon_address((const char *)uid, len, out);
}

void
owner_key_addresses(const struct pgp_key *k, struct store_strings *out)
{
	char a[OWNER_ARG_MAX];
	size_t i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < k->nuids; i++) {
		const struct pgp_component *u = &k->uids[i];

		/* Self-signed and not revoked (8.2). */
		if (u->pkt.tag != PGP_TAG_UID || !u->valid || u->revoked ||
		    !owner_uid_address(u->pkt.body, u->pkt.len, a))
			continue;
		for (j = 0; j < out->n; j++)
			if (owner_address_equal(out->v[j], a))
				break;
		if (j < out->n)
			continue;
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = xstrdup(a);
	}
}

static bool
in_list(const struct store_strings *l, const char *a)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (owner_address_equal(l->v[i], a))
			return true;
	return false;
}

/* pgp_uid_keep_fn: is the user ID's address bound to the key? */
static bool
keep_bound(void *arg, const uint8_t *uid, size_t len)
{
	char a[OWNER_ARG_MAX];

	return owner_uid_address(uid, len, a) && in_list(arg, a);
}

/* Does the stored copy carry a user ID? */
bool
owner_copy_has_uid(const struct cmd_ctx *ctx, const uint8_t *data, size_t len)
{
	struct pgp_key *k;
	enum pgp_status st;
	bool yes;

	if (data == NULL || (k = pgp_key_parse_one(data, len, &ctx->lim, &st)) == NULL)
		return false;
	yes = k->nuids > 0;
	pgp_key_free(k);
	return yes;
}

enum store_status
owner_verified_refresh(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *unionk, bool *changed)
{
	struct store_strings bound;
	struct pgp_key *copy;
	struct buf blob;
	enum store_status st;
	bool claimed = o->claimed;

	*changed = false;
	if ((st = store_binding_list(ctx->store, o->key_id, &bound)) != STORE_OK)
		return st;
	copy = pgp_key_verified_copy(unionk, keep_bound, &bound);
	pgp_key_canonicalize(copy);
	buf_init(&blob, 0);
	(void)pgp_key_write(copy, &blob);
	if (o->published == NULL || o->published_len != blob.len ||
	    memcmp(o->published, blob.data, blob.len) != 0) {
		st = owner_publish_write(ctx, o, copy);
		/* A verified copy is no owner's claim (trusted mode's). */
		o->claimed = claimed;
		*changed = st == STORE_OK;
	}
	buf_free(&blob);
	pgp_key_free(copy);
	store_strings_free(&bound);
	return st;
}

static enum store_status add_lines(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *un, bool keyrev_news, struct cmd_result *r,
    struct buf *lines);

/*
 * The verified copy of the key fpr rebuilt in its own owner transaction
 * and queued for the peers (11) when a copy with a user ID changed or the
 * key gained a key revocation; with lines, ADD's lines and verification
 * mail too (add_lines).
 */
static enum store_status
verified_update(struct cmd_ctx *ctx, const uint8_t *fpr, size_t fprlen,
    bool keyrev_news, struct cmd_result *r, struct buf *lines)
{
	struct store_owner o;
	struct pgp_key *un = NULL;
	enum store_status st;
	bool changed = false;

	st = store_owner_begin(ctx->store, fpr, fprlen, &o);
	if (st == STORE_NOTFOUND)
		return STORE_OK;
	if (st != STORE_OK)
		return st;
	if ((un = owner_key_load(ctx, o.data, o.len)) == NULL)
		st = STORE_ERROR;
	if (st == STORE_OK)
		st = owner_verified_refresh(ctx, &o, un, &changed);
	if (st == STORE_OK && ctx->sync_enqueue && ((changed &&
	    owner_copy_has_uid(ctx, o.published, o.published_len)) || keyrev_news))
		st = store_sync_enqueue(ctx->store, o.key_id, ctx->sync_trail,
		    ctx->sync_ntrail);
	if (st == STORE_OK && lines != NULL)
		st = add_lines(ctx, &o, un, keyrev_news, r, lines);
	st = store_owner_end(ctx->store, st);
	pgp_key_free(un);
	store_owner_free(&o);
	return st;
}

enum store_status
owner_verified_refresh_key(struct cmd_ctx *ctx, const uint8_t *fpr,
    size_t fprlen, bool keyrev_news)
{
	return verified_update(ctx, fpr, fprlen, keyrev_news, NULL, NULL);
}

/* ---- the verification mail (8.2) ------------------------------------------ */

static const char verify_text_enc[] =
    "This keyserver was asked to publish an OpenPGP key under this\n"
    "address. Nothing happens unless you act on it.\n"
    "\n"
    "The second part of this mail is encrypted to that key, so that only\n"
    "its holder can read it. Save it to a file and decrypt it with\n"
    "\"gpg --decrypt FILE\". To publish the address with the key, send a\n"
    "new mail (not a reply) to this keyserver with the Subject it gives.\n"
    "If you did not ask for this, ignore this mail.\n";

static const char verify_text_clear[] =
    "This keyserver was asked to publish an OpenPGP key under this\n"
    "address. Nothing happens unless you act on it.\n"
    "\n"
    "The second part of this mail names the key. To publish the address\n"
    "with it, send a new mail (not a reply) to this keyserver with the\n"
    "Subject it gives. If you did not ask for this, or the fingerprint is\n"
    "not that of your key, ignore this mail.\n";

enum store_status
owner_verify_mail(struct cmd_ctx *ctx, const struct pgp_key *unionk,
    const char *addr, const char *by, struct cmd_result *r,
    enum owner_verify_outcome *out)
{
	const struct conf *c = ctx->conf;
	struct pgp_enc_recipient rec[PGP_ENC_MAX_RECIPIENTS];
	struct pgp_enc_opts eo;
	struct owner_token_fields tf;
	struct buf block, armor;
	enum store_status st = STORE_OK;
	const char *fprs[1];
	char hex[65], *command;
	size_t n = 0;
	unsigned nbad = 0;
	bool enc;
	int ok;

	pgp_hex(unionk->pub.fpr, unionk->pub.fprlen, hex);
	fprs[0] = hex;
	enc = c->verify_encrypt != CONF_VERIFY_NEVER &&
	    pgp_enc_select(unionk, ctx->now, rec, &n, &nbad) == PGP_ENC_OK;
	if (!enc && c->verify_encrypt == CONF_VERIFY_REQUIRED) {
		*out = OWNER_VERIFY_CANNOT_ENCRYPT;
		return STORE_OK;
	}
	ok = owner_mail_allow(ctx, OWNER_MAIL_VERIFY, addr, unionk->pub.fpr,
	    unionk->pub.fprlen, &st);
	if (ok <= 0) {
		*out = OWNER_VERIFY_LIMIT;
		return ok < 0 ? st : STORE_OK;
	}
	memset(&tf, 0, sizeof(tf));
	tf.command = "VERIFY";
	tf.fprs = fprs;
	tf.nfprs = 1;
	tf.address = addr;
	command = xasprintf("VERIFY %s %s", hex, addr);
	buf_init(&block, 0);
	st = owner_address_token(ctx, OWNER_MAIL_VERIFY, unionk->pub.fpr,
	    unionk->pub.fprlen, command, by, &tf, &block);
	free(command);
	if (st != STORE_OK) {
		buf_free(&block);
		return st;
	}
	buf_init(&armor, c->max_reply_size);
	if (enc) {
		memset(&eo, 0, sizeof(eo));
		eo.armor = true;
		if (pgp_encrypt_to_key(unionk, ctx->now, block.data, block.len, &eo,
		    &armor, NULL) != PGP_ENC_OK)
			enc = false;
	}
	owner_mail_after(r, addr, xasprintf("keymail: confirm %s for key %s", addr, hex),
	    xstrdup(enc ? verify_text_enc : verify_text_clear),
	    enc ? (char *)buf_detach(&armor, NULL) : (char *)buf_detach(&block,
	    NULL), OWNER_MAIL_VERIFY, unionk->pub.fpr, unionk->pub.fprlen);
	if (block.data != NULL)
		explicit_bzero(block.data, block.len);
	buf_free(&block);
	buf_free(&armor);
	log_info("verification of %s for key %s to %s (%s)", addr, hex, addr,
	    enc ? "encrypted" : "in clear");
	*out = OWNER_VERIFY_SENT;
	return STORE_OK;
}

/* ---- ADD and INCREMENTAL (8.2) ----------------------------------------------- */

/* One reply line per address of the key: its state. */
static void
address_line(struct buf *lines, const char *hex, const char *addr,
    enum owner_verify_outcome v)
{
	switch (v) {
	case OWNER_VERIFY_PUBLISHED:
		buf_printf(lines, "    %s: published\n", addr);
		break;
	case OWNER_VERIFY_SENT:
		buf_printf(lines, "    %s: verification mail sent\n", addr);
		break;
	case OWNER_VERIFY_LIMIT:
		buf_printf(lines, "    %s: verification mail not sent (limit)\n",
		    addr);
		break;
	case OWNER_VERIFY_CANNOT_ENCRYPT:
		buf_printf(lines, "    %s: verification mail not sent (this key "
		    "cannot receive encrypted mail)\n", addr);
		break;
	default:
		buf_printf(lines, "    %s: not verified (send VERIFY %s %s)\n",
		    addr, hex, addr);
		break;
	}
}

/* ADD's lines for the key of o: each address and its state; the sender's
 * own address gets its verification mail. */
static enum store_status
add_lines(struct cmd_ctx *ctx, struct store_owner *o, const struct pgp_key *un,
    bool keyrev_news, struct cmd_result *r, struct buf *lines)
{
	struct store_strings addrs, bound;
	enum store_status st;
	enum owner_verify_outcome v;
	char hex[65];
	size_t i;

	pgp_hex(un->pub.fpr, un->pub.fprlen, hex);
	if ((st = store_binding_list(ctx->store, o->key_id, &bound)) != STORE_OK)
		return st;
	owner_key_addresses(un, &addrs);
	buf_printf(lines, "Key %s\n    %s\n", hex, keyrev_news ?
	    "revocation published" : "received");
	for (i = 0; i < addrs.n && st == STORE_OK; i++) {
		v = OWNER_VERIFY_NOT_MAILED;
		if (in_list(&bound, addrs.v[i]))
			v = OWNER_VERIFY_PUBLISHED;
		else if (ctx->reply_to != NULL &&
		    owner_address_equal(addrs.v[i], ctx->reply_to))
			st = owner_verify_mail(ctx, un, addrs.v[i], ctx->reply_to, r,
			    &v);
		address_line(lines, hex, addrs.v[i], v);
	}
	store_strings_free(&addrs);
	store_strings_free(&bound);
	return st;
}

enum store_status
owner_verified_add(struct cmd_ctx *ctx, const struct pgp_key *in,
    bool keyrev_news, struct cmd_result *r, struct buf *lines)
{
	return verified_update(ctx, in->pub.fpr, in->pub.fprlen, keyrev_news, r,
	    lines);
}

/* ---- VERIFY and UNPUBLISH (8.2) ---------------------------------------------- */

static void
failed(struct cmd_result *r, const char *line)
{
	r->suffix = ", failed";
	buf_printf(&r->body, "%s\n", line);
}

enum store_status
owner_verify_cmd(struct cmd_ctx *ctx, const struct owner_cmd *oc,
    const char *to, struct cmd_result *r)
{
	struct store_owner o;
	struct store_strings addrs, bound;
	struct pgp_key *un;
	enum store_status st;
	enum owner_verify_outcome v;
	uint8_t fpr[32];
	size_t fprlen, i, mailed = 0;

	fprlen = owner_fpr_octets(oc->fpr, fpr);
	st = store_owner_begin(ctx->store, fpr, fprlen, &o);
	if (st == STORE_NOTFOUND) {
		failed(r, "No key with this fingerprint is stored here.");
		return STORE_OK;
	}
	if (st != STORE_OK)
		return st;
	if ((un = owner_key_load(ctx, o.data, o.len)) == NULL) {
		store_owner_rollback(ctx->store);
		store_owner_free(&o);
		return STORE_ERROR;
	}
	owner_key_addresses(un, &addrs);
	st = store_binding_list(ctx->store, o.key_id, &bound);
	for (i = 0; st == STORE_OK && i < (oc->nargs ? oc->nargs : addrs.n); i++) {
		const char *a = oc->nargs ? oc->args[i].text : addrs.v[i];

		if (!in_list(&addrs, a)) {
			buf_printf(&r->body, "    %s: not an address of a user ID "
			    "of this key; not mailed\n", a);
			continue;
		}
		if (in_list(&bound, a)) {
			address_line(&r->body, oc->fpr, a, OWNER_VERIFY_PUBLISHED);
			continue;
		}
		st = owner_verify_mail(ctx, un, a, to, r, &v);
		if (st == STORE_OK)
			address_line(&r->body, oc->fpr, a, v);
		mailed += v == OWNER_VERIFY_SENT;
	}
	if (st == STORE_OK && addrs.n == 0 && oc->nargs == 0)
		buf_puts(&r->body, "This key has no user ID with an e-mail address "
		    "to verify.\n");
	st = store_owner_end(ctx->store, st);
	if (st == STORE_OK)
		log_info("VERIFY %s from %s: %zu verification mail(s)", oc->fpr, to,
		    mailed);
	pgp_key_free(un);
	store_strings_free(&addrs);
	store_strings_free(&bound);
	store_owner_free(&o);
	return st;
}

static const char unpublish_text[] =
    "This keyserver was asked to stop publishing this address with any\n"
    "OpenPGP key. Nothing happens unless you act on it: to have it done,\n"
    "send a new mail (not a reply) to this keyserver with the Subject the\n"
    "second part gives. If you did not ask for this, ignore this mail.\n";

enum store_status
owner_unpublish_cmd(struct cmd_ctx *ctx, const struct owner_cmd *oc,
    const char *to, struct cmd_result *r)
{
	struct owner_token_fields tf;
	struct buf block;
	enum store_status st = STORE_OK;
	const char *addr = oc->args[0].text;
	char *command;
	int ok;

	ok = owner_mail_allow(ctx, OWNER_MAIL_UNPUBLISH, addr, NULL, 0, &st);
	if (ok < 0)
		return st;
	if (ok == 0) {
		buf_printf(&r->body, "No confirmation mail could be sent to %s now "
		    "(a limit of this server);\nsend the UNPUBLISH again later.\n",
		    addr);
		return STORE_OK;
	}
	memset(&tf, 0, sizeof(tf));
	tf.command = "UNPUBLISH";
	tf.address = addr;
	command = xasprintf("UNPUBLISH %s", addr);
	buf_init(&block, 0);
	st = owner_address_token(ctx, OWNER_MAIL_UNPUBLISH, NULL, 0, command, to,
	    &tf, &block);
	free(command);
	if (st != STORE_OK) {
		buf_free(&block);
		return st;
	}
	owner_mail_after(r, addr, xasprintf("keymail: confirm unpublishing %s", addr),
	    xstrdup(unpublish_text), (char *)buf_detach(&block, NULL),
	    OWNER_MAIL_UNPUBLISH, NULL, 0);
	buf_printf(&r->body, "A confirmation mail goes to %s: the address is "
	    "unpublished once its\nCONFIRM arrives. Copies that other keyservers "
	    "hold already are not removed.\n", addr);
	return STORE_OK;
}

/* ---- the policy change (2) ---------------------------------------------------- */

enum store_status
owner_verified_rebuild(struct cmd_ctx *ctx, size_t *n)
{
	struct store_fprs f;
	enum store_status st;
	size_t i;
	bool enqueue = ctx->sync_enqueue;

	*n = 0;
	if ((st = store_all_keys(ctx->store, &f)) != STORE_OK)
		return st;
	/* A rebuild is not news for the peers. */
	ctx->sync_enqueue = false;
	for (i = 0; i < f.n && st == STORE_OK; i++) {
		st = owner_verified_refresh_key(ctx, f.v[i].fpr, f.v[i].len, false);
		*n += st == STORE_OK;
	}
	ctx->sync_enqueue = enqueue;
	store_fprs_free(&f);
	return st;
}
