/*
 * cmd/lookup.c - GET, INDEX, VERBOSE INDEX and LAST.
 *
 * The argument (untrusted) is classified by keyspec_parse(). Key IDs and
 * fingerprints are exact index lookups (short IDs may collide and return
 * several keys). Text follows pks: every word must be a word of one of the
 * key's user IDs (index-driven, store_search_words), then the whole
 * argument must appear in a user ID, case-insensitively; the reply limit
 * is checked after that filter (mail-protocol.md 1.3 Rec). With
 * CMD_FIND_EXACT (HKP exact=on, VKS by-email; server.md 5.2) the second
 * filter is equality with a whole user ID or its address instead.
 *
 * cmd_find_keys is the one lookup every way in shares (mail, shell, HKP,
 * VKS); GET, INDEX and the HKP routes only format what it found.
 *
 * Stored blobs are our own canonical, already-checked keys. INDEX checks
 * them again before rendering (examine(): revoked and expired markers,
 * verification marks) and VERBOSE INDEX also verifies third-party
 * certifications whose issuer is in the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
#include "cmd/owner.h"
#include "util/words.h"
#include "util/xalloc.h"

/* How many word matches we fetch before the substring filter. */
#define CANDIDATE_FACTOR 10

/* ASCII case-insensitive equality of a[0..alen) and the string b. */
static bool
equal_nocase(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

/*
 * exact=on (server.md 5.2): the user ID equals text, or its address does:
 * the part inside the last <...>, or the whole user ID when it is a bare
 * address (an '@' and no blank).
 */
static bool
uid_matches_exact(const char *uid, size_t len, const char *text)
{
	const char *lt, *gt;

	if (equal_nocase(uid, len, text))
		return true;
	gt = memrchr(uid, '>', len);
	lt = gt ? memrchr(uid, '<', (size_t)(gt - uid)) : NULL;
	if (lt != NULL)
		return equal_nocase(lt + 1, (size_t)(gt - lt - 1), text);
	return false;	/* a bare address equal to text was caught above */
}

static bool
key_has_uid_match(const struct cmd_ctx *ctx, const struct store_key *sk, const char *arg,
    unsigned flags)
{
	enum pgp_status st;
	struct pgp_key *k = pgp_key_parse_one(sk->data, sk->len, &ctx->lim, &st);
	bool hit = false;
	size_t i;

	if (k == NULL)
		return false;
	for (i = 0; i < k->nuids && !hit; i++) {
		const char *body = (const char *)k->uids[i].pkt.body;
		size_t len = k->uids[i].pkt.len;

		if (k->uids[i].pkt.tag != PGP_TAG_UID)
			continue;
		if (flags & CMD_FIND_EXACT)
			hit = uid_matches_exact(body, len, arg);
		else
			hit = words_icontains(body, len, arg);
	}
	pgp_key_free(k);
	return hit;
}

/* Verified mode: the key bound to the address arg ("addr" or "<addr>")
 * into out, *st STORE_NOTFOUND when none is; false if arg is no address. */
static bool
find_by_address(struct cmd_ctx *ctx, const char *arg, struct store_keys *out,
    enum store_status *st)
{
	char addr[OWNER_ARG_MAX];
	struct store_fpr f;
	size_t n = strlen(arg);

	if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>') {
		arg++;
		n -= 2;
	}
	if (!owner_canon_address(arg, n, addr))
		return false;
	*st = store_binding_key(ctx->store, addr, &f);
	if (*st == STORE_OK)
		*st = store_get_by_fpr(ctx->store, f.fpr, f.len, 1, out);
	return true;
}

/*
 * Resolve arg into keys (cmd.h cmd_find_keys); CMD_FIND_GET: for GET
 * (a revocation-only copy may answer). The store's view (store_set_view)
 * decides which keys are public. On CMD_FIND_ERROR and CMD_FIND_NONE the
 * reason is in r->body and r->suffix is set. Store failures come back in
 * *st.
 */
static enum cmd_found
find_keys(struct cmd_ctx *ctx, const char *arg, unsigned flags, struct store_keys *out,
    struct cmd_result *r, enum store_status *st)
{
	const struct conf *c = ctx->conf;
	struct keyspec ks;
	size_t alen;

	memset(out, 0, sizeof(*out));
	*st = STORE_OK;
	if (arg == NULL || *arg == '\0') {
		/* In the old keyserver an empty argument meant "everything". */
		/* pks's Subject suffix, kept for programs that read it; the
		 * body says plainly what happened. */
		r->suffix = ", is not yet implemented";
		buf_puts(&r->body, "Nothing was looked up, and no key matched: the command needs\n"
		    "a search text after it, such as a key ID, a fingerprint or words\n"
		    "from a user ID (for example \"INDEX alice@example.org\").\n"
		    "\n"
		    "(The Subject says \"is not yet implemented\" because the classic pks\n"
		    "keyservers answered an empty search that way, and programs may\n"
		    "expect it. Nothing is missing: the whole database is never sent\n"
		    "by mail.)\n");
		return CMD_FIND_ERROR;
	}
	alen = strlen(arg);
	if (alen < KM_MIN_WORD || alen > c->max_search) {
		r->suffix = ", failed";
		buf_printf(&r->body, "The search must be between %u and %zu characters long "
		    "(limit max_search).\n", KM_MIN_WORD, c->max_search);
		return CMD_FIND_ERROR;
	}
	keyspec_parse(arg, &ks);
	if (ks.kind == KEYSPEC_TEXT && owner_policy(c) == STORE_POLICY_VERIFIED) {
		/* Verified mode (owner-control.md 8.1): a complete address,
		 * published bindings only. */
		if (!find_by_address(ctx, arg, out, st)) {
			r->suffix = ", failed";
			buf_puts(&r->body, "This server finds keys by complete e-mail "
			    "address only (or by key ID\nor fingerprint).\n");
			/* Not found rather than a user error: server.md 5.8
			 * wants 404 for any other text over HKP and VKS (a
			 * 400 would tell a search apart from a miss); mail
			 * answers ", failed" with this text either way. */
			return CMD_FIND_NONE;
		}
	} else switch (ks.kind) {
	case KEYSPEC_BAD:
		r->suffix = ", failed";
		buf_printf(&r->body, "%s\n", ks.error);
		return CMD_FIND_ERROR;
	case KEYSPEC_SHORTID:
	case KEYSPEC_KEYID:
		*st = store_get_by_keyid(ctx->store, ks.id, ks.idlen, c->max_reply_keys, out);
		if (*st == STORE_OK)
			*st = owner_lookup_recheck(ctx, ks.id, ks.idlen, out);
		break;
	case KEYSPEC_FPR:
		*st = store_get_by_fpr(ctx->store, ks.id, ks.idlen, c->max_reply_keys, out);
		if (*st == STORE_OK)
			*st = owner_lookup_recheck(ctx, ks.id, ks.idlen, out);
		/* GET of a key that is not public by its exact fingerprint:
		 * its revocation-only copy, in every mode (owner-control.md 2). */
		if (*st == STORE_NOTFOUND && (flags & CMD_FIND_GET))
			*st = owner_revocation_only(ctx, ks.id, ks.idlen, out);
		break;
	case KEYSPEC_TEXT: {
		size_t nw, i, kept = 0;
		char **w = words_split(arg, alen, &nw);
		struct store_keys cand;

		if (nw == 0) {
			words_free(w, nw);
			r->suffix = ", failed";
			buf_puts(&r->body, "The search did not contain any words (runs of at least\n"
			    "two letters or digits).\n");
			return CMD_FIND_ERROR;
		}
		*st = store_search_words(ctx->store, w, nw, c->max_reply_keys * CANDIDATE_FACTOR, &cand);
		words_free(w, nw);
		if (*st != STORE_OK)
			break;
		for (i = 0; i < cand.n; i++) {
			if (key_has_uid_match(ctx, &cand.v[i], arg, flags))
				cand.v[kept++] = cand.v[i];
			else
				free(cand.v[i].data);
		}
		cand.n = kept;
		if (kept == 0) {
			store_keys_free(&cand);
			*st = STORE_NOTFOUND;
		} else if (kept > c->max_reply_keys) {
			store_keys_free(&cand);
			*st = STORE_TOOMANY;
		} else
			*out = cand;
		break;
	}
	}
	switch (*st) {
	case STORE_OK:
		return CMD_FIND_FOUND;
	case STORE_NOTFOUND:
		*st = STORE_OK;
		r->suffix = ", failed";
		buf_puts(&r->body, "No matching keys in database.\n");
		return CMD_FIND_NONE;
	case STORE_TOOMANY:
		*st = STORE_OK;
		r->suffix = ", failed";
		buf_printf(&r->body, "More than %zu keys match (limit max_reply_keys). "
		    "Please make your\nsearch more specific, or ask for a key ID or "
		    "fingerprint.\n", c->max_reply_keys);
		return CMD_FIND_ERROR;
	default:
		return CMD_FIND_ERROR;
	}
}

/* The one lookup (cmd.h). */
enum store_status
cmd_find_keys(struct cmd_ctx *ctx, const char *arg, unsigned flags,
    struct store_keys *out, struct cmd_result *r, enum cmd_found *found)
{
	enum store_status st;

	*found = find_keys(ctx, arg, flags, out, r, &st);
	return st;
}

int
cmd_armor_blobs(const struct store_keys *ks, size_t cap, struct buf *out)
{
	struct buf bin, armor;
	size_t i;
	int rc;

	buf_init(&bin, 0);
	for (i = 0; i < ks->n; i++)
		buf_append(&bin, ks->v[i].data, ks->v[i].len);
	buf_init(&armor, cap);
	rc = pgp_armor_encode(bin.data, bin.len, &armor);
	if (rc == 0)
		buf_append(out, armor.data, armor.len);
	free(bin.data);
	free(armor.data);
	return rc;
}

/* Concatenate stored keys into one armor block (mail-protocol.md 2.3). */
void
cmd_armor_keys(struct cmd_ctx *ctx, const struct store_keys *ks, struct cmd_result *r)
{
	struct buf out;

	buf_init(&out, 0);
	if (cmd_armor_blobs(ks, ctx->conf->max_reply_size, &out) < 0) {
		r->suffix = ", failed";
		buf_printf(&r->body, "The reply would be larger than %zu bytes (limit "
		    "max_reply_size). Please ask\nfor fewer keys.\n", ctx->conf->max_reply_size);
	} else {
		r->body_type = "application/pgp-keys";
		buf_append(&r->body, out.data, out.len);
	}
	free(out.data);
}

/* Verified mode, a copy without user IDs (owner-control.md 8.1). */
static const char uidless_note[] =
    "A key below has no published user ID: none of its addresses has\n"
    "confirmed it here. GnuPG refuses to import a key without user IDs\n"
    "(\"no user ID\"); a key it knows already is updated. To publish an\n"
    "address of your key, send VERIFY <fingerprint> <address> and follow\n"
    "the mail that goes to that address (see HELP).\n";

static bool
uidless_any(const struct cmd_ctx *ctx, const struct store_keys *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (!owner_copy_has_uid(ctx, ks->v[i].data, ks->v[i].len))
			return true;
	return false;
}

enum store_status
cmd_get(struct cmd_ctx *ctx, const char *arg, struct cmd_result *r)
{
	struct store_keys ks;
	enum store_status st;
	enum cmd_found found;

	st = cmd_find_keys(ctx, arg, CMD_FIND_GET, &ks, r, &found);
	if (st == STORE_OK && found == CMD_FIND_FOUND) {
		cmd_armor_keys(ctx, &ks, r);
		if (owner_policy(ctx->conf) == STORE_POLICY_VERIFIED &&
		    *r->suffix == '\0' && uidless_any(ctx, &ks))
			r->intro = owner_intro(ctx, uidless_note);
	}
	store_keys_free(&ks);
	return st;
}

/* ---- INDEX rendering (pks columns, SKS/onak letters: spec 2.4) -------- */

static bool
is_self_sig(const struct pgp_key *k, const struct pgp_sig *s)
{
	return s->has_issuer && memcmp(s->issuer, k->pub.keyid, 8) == 0;
}

static char *
component_text(const struct pgp_component *c)
{
	if (c->pkt.tag == PGP_TAG_UAT)
		return xstrdup("[user attribute (photo ID)]");
	return pgp_uid_printable(c->pkt.body, c->pkt.len);
}

static void
short_keyid(const uint8_t *id, bool longids, char *out)
{
	if (longids)
		pgp_hex(id, 8, out);
	else
		pgp_hex(id + 4, 4, out);
}

/*
 * Column 3 of a sig line, like column 3 of the pub line (pks's "disabled"
 * flag), says what we know about the signature, in GnuPG's --check-sigs
 * letters: '!' verified (every stored self-signature; a third-party one
 * whose issuer's key is in the store and verifies it), '-' the issuer's
 * key is in the store and the signature does not verify with it, ' ' not
 * checked (issuer unknown here, or an algorithm we cannot verify).
 */
static char
sig_flag(const struct pgp_sig *s)
{
	switch (s->state) {
	case PGP_SIG_GOOD:
		return '!';
	case PGP_SIG_BAD:
		return '-';
	default:
		return ' ';
	}
}

static void
render_sigs(struct cmd_ctx *ctx, const struct pgp_key *k, const struct pgp_component *c,
    const char *self_uid, struct buf *b, enum store_status *st)
{
	bool longids = ctx->conf->index_long_keyids;
	size_t i;

	for (i = 0; i < c->nsigs; i++) {
		const struct pgp_sig *s = &c->sigs[i];
		char id[17];
		char *who = NULL;
		const char *label = s->type == PGP_SIG_CERT_REVOKE ? "rev" : "sig";

		if (!s->has_issuer) {
			buf_printf(b, "%s%c       %s%s(signature without issuer)\n", label,
			    sig_flag(s), longids ? "????????????????" : "????????",
			    "             ");
			continue;
		}
		short_keyid(s->issuer, longids, id);
		if (is_self_sig(k, s))
			who = xstrdup(self_uid);
		else if (*st == STORE_OK) {
			enum store_status r = store_uid_for_keyid(ctx->store, s->issuer, &who);

			if (r == STORE_TEMPFAIL || r == STORE_ERROR)
				*st = r;
		}
		buf_printf(b, "%s%c       %s             %s%s\n", label, sig_flag(s), id,
		    who ? who : "(unknown signer - cannot be checked)",
		    s->state == PGP_SIG_BAD ? " [does not verify]" : "");
		free(who);
	}
}

/* "C959 BDBA ... 5A9A": groups of 4, a double blank in the middle (as
 * GnuPG prints a v4 fingerprint; the same for v6's 64 digits). */
static void
fpr_groups(const struct pgp_pubkey *pub, struct buf *b)
{
	char hex[65];
	size_t i, n;

	pgp_hex(pub->fpr, pub->fprlen, hex);
	n = strlen(hex);
	for (i = 0; i < n; i += 4)
		buf_printf(b, "%s%.4s", i == 0 ? "" : i == n / 2 ? "  " : " ",
		    hex + i);
}

static void
render_key(struct cmd_ctx *ctx, const struct pgp_key *k, bool verbose, struct buf *b,
    enum store_status *st)
{
	bool longids = ctx->conf->index_long_keyids;
	char id[17], date[16];
	char *primary = NULL;
	struct tm tm;
	time_t created = (time_t)k->pub.created;
	size_t i, pad = longids ? 38 : 30;
	const char *marker = NULL;

	short_keyid(k->pub.keyid, longids, id);
	gmtime_r(&created, &tm);
	strftime(date, sizeof(date), "%Y/%m/%d", &tm);
	/* The canonical order puts the primary user ID first. */
	primary = k->nuids ? component_text(&k->uids[0]) : xstrdup("");
	buf_printf(b, "pub %5u%c/%s %s ", k->pub.bits, pgp_algo_letter(k->pub.algo), id, date);
	/* pks's revoked layout, and the same for an expired key; a revoked
	 * key says so even when it has expired too (a revocation is final,
	 * an expiry date can be moved). */
	if (k->revoked)
		marker = "*** KEY REVOKED ***";
	else if (k->expires != 0 && (time_t)k->expires <= ctx->now)
		marker = "*** KEY EXPIRED ***";
	if (marker)
		buf_printf(b, "%s\n%*s%s\n", marker, (int)pad, "", primary);
	else
		buf_printf(b, "%s\n", primary);
	if (verbose) {
		/* Not in pks's mail output; there because a v6 key cannot be
		 * asked for by anything shorter with certainty. */
		buf_puts(b, "      Key fingerprint = ");
		fpr_groups(&k->pub, b);
		buf_puts(b, "\n");
	}
	if (verbose && k->nuids)
		render_sigs(ctx, k, &k->uids[0], primary, b, st);
	for (i = 1; i < k->nuids; i++) {
		char *t = component_text(&k->uids[i]);

		buf_printf(b, "%*s%s\n", (int)pad + 1, "", t);
		free(t);
		if (verbose)
			render_sigs(ctx, k, &k->uids[i], primary, b, st);
	}
	free(primary);
}

/*
 * Check a stored key again before showing it: its self-signatures (they
 * were verified at ADD; this gives revoked, expired and '!' marks), and
 * for VERBOSE INDEX its third-party certifications with the keys of
 * their issuers found in the store (one lookup per key shown).
 */
static enum store_status
examine(struct cmd_ctx *ctx, struct pgp_key *k, bool verbose)
{
	struct store_keys sg;
	struct pgp_blob *blobs;
	enum store_status st;
	uint8_t *ids;
	size_t n, i;

	(void)pgp_key_check(k, ctx->now, NULL, 0);
	if (!verbose || (n = pgp_key_cert_issuers(k, 0, &ids)) == 0)
		return STORE_OK;
	st = store_signers(ctx->store, ids, n, 2 * n, &sg);
	free(ids);
	if (st != STORE_OK)
		return st;
	blobs = xcalloc(sg.n ? sg.n : 1, sizeof(*blobs));
	for (i = 0; i < sg.n; i++) {
		blobs[i].data = sg.v[i].data;
		blobs[i].len = sg.v[i].len;
	}
	(void)pgp_key_check_certs(k, 0, blobs, sg.n, ctx->now);
	free(blobs);
	store_keys_free(&sg);
	return STORE_OK;
}

enum store_status
cmd_render_index(struct cmd_ctx *ctx, const struct store_keys *ks, bool verbose,
    struct buf *out)
{
	enum store_status st = STORE_OK;
	size_t i;

	for (i = 0; i < ks->n && st == STORE_OK; i++) {
		enum pgp_status pst;
		struct pgp_key *k = pgp_key_parse_one(ks->v[i].data, ks->v[i].len,
		    &ctx->lim, &pst);

		if (k == NULL)
			continue;	/* cannot happen for our own blobs; skip */
		st = examine(ctx, k, verbose);
		if (st == STORE_OK)
			render_key(ctx, k, verbose, out, &st);
		pgp_key_free(k);
	}
	return st;
}

enum store_status
cmd_index(struct cmd_ctx *ctx, const char *arg, bool verbose, struct cmd_result *r)
{
	struct store_keys ks;
	enum store_status st;
	enum cmd_found found;

	st = cmd_find_keys(ctx, arg, 0, &ks, r, &found);
	if (st == STORE_OK && found == CMD_FIND_FOUND)
		st = cmd_render_index(ctx, &ks, verbose, &r->body);
	store_keys_free(&ks);
	return st;
}

/* LAST is bounded by max_reply_keys like every other key reply; the
 * older max_last_reply_keys can only lower that. */
size_t
cmd_last_cap(const struct conf *c)
{
	return c->max_last_reply_keys < c->max_reply_keys ?
	    c->max_last_reply_keys : c->max_reply_keys;
}

enum store_status
cmd_last(struct cmd_ctx *ctx, const char *arg, struct cmd_result *r)
{
	const struct conf *c = ctx->conf;
	struct store_keys ks;
	enum store_status st;
	unsigned long days = 0;
	const char *p;

	for (p = arg; p && *p >= '0' && *p <= '9' && days <= 100000; p++)
		days = days * 10 + (unsigned long)(*p - '0');
	if (arg == NULL || *arg == '\0' || *p != '\0' || days == 0) {
		r->suffix = ", was invalid (argument must be a number greater than zero)";
		cmd_help(ctx, NULL, r);
		return STORE_OK;
	}
	if (days > c->max_last_days) {
		r->suffix = ", failed";
		if (c->max_last_days == 0)
			buf_puts(&r->body, "LAST is turned off on this server.\n");
		else
			buf_printf(&r->body, "LAST accepts at most %zu days here "
			    "(limit max_last_days).\n", c->max_last_days);
		return STORE_OK;
	}
	st = store_changed_since(ctx->store, ctx->now - (time_t)days * 86400,
	    cmd_last_cap(c), &ks);
	switch (st) {
	case STORE_OK:
		cmd_armor_keys(ctx, &ks, r);
		break;
	case STORE_NOTFOUND:
		st = STORE_OK;
		r->suffix = ", failed";
		buf_printf(&r->body, "No keys changed in the last %lu day%s.\n", days,
		    days == 1 ? "" : "s");
		break;
	case STORE_TOOMANY:
		st = STORE_OK;
		r->suffix = ", failed";
		buf_printf(&r->body, "More than %zu keys changed in that time (limit "
		    "%s).\nPlease ask for fewer days.\n", cmd_last_cap(c),
		    c->max_last_reply_keys < c->max_reply_keys ?
		    "max_last_reply_keys" : "max_reply_keys");
		break;
	default:
		break;
	}
	store_keys_free(&ks);
	return st;
}
