/*
 * cmd/signers.c - SIGNERS <keyid>|<fpr> (owner-control.md 4.4): a key's
 * public copy and the public copies of the issuers of its certifications,
 * depth 1, in one armor block.
 *
 * DESCRIPTION
 *	The key is found as GET finds it (the store's view: public copies
 *	only), so a hidden or unclaimed key gets GET's "No matching keys"
 *	(absent-alike, 2). Each distinct issuer of a third-party
 *	certification in that copy counts only if the certification
 *	verifies with the issuer's stored key, each candidate key tried on
 *	its own (C6: a forged issuer ID, or a key ID another key shares,
 *	never makes SIGNERS mail out an unrelated key). The text part names
 *	the issuers left out: absent (no such key here), hidden (stored, not
 *	public), unverified, or over limit (max_reply_keys keys,
 *	signers_max_size bytes).
 *
 * Untrusted input: the argument, and every key (from mail, via the store).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/owner.h"
#include "util/xalloc.h"

/* Issuers of third-party certifications on k's user IDs, by name. */
struct issuer {
	char name[PGP_ISSUER_NAME];
	uint8_t keyid[8];
	uint8_t fpr[32];
	size_t fprlen;
};

static size_t
collect_issuers(const struct pgp_key *k, struct issuer **out)
{
	struct issuer *v = NULL;
	size_t n = 0, i, j, x;

	for (i = 0; i < k->nuids; i++)
		for (j = 0; j < k->uids[i].nsigs; j++) {
			const struct pgp_sig *s = &k->uids[i].sigs[j];
			char name[PGP_ISSUER_NAME];

			if (s->type < PGP_SIG_CERT_GENERIC ||
			    s->type > PGP_SIG_CERT_POSITIVE ||
			    pgp_sig_self_issued(k, s))
				continue;
			pgp_sig_issuer_name(s, name);
			if (*name == '\0')
				continue;
			for (x = 0; x < n; x++)
				if (!strcmp(v[x].name, name))
					break;
			if (x < n)
				continue;
			v = xreallocarray(v, n + 1, sizeof(*v));
			memset(&v[n], 0, sizeof(v[n]));
			memcpy(v[n].name, name, sizeof(name));
			memcpy(v[n].keyid, s->issuer, 8);
			v[n].fprlen = s->issuer_fpr_len;
			memcpy(v[n].fpr, s->issuer_fpr, s->issuer_fpr_len);
			n++;
		}
	*out = v;
	return n;
}

/* Does a certification by iss on the key (as blob kdata) verify with
 * the candidate issuer key cand? */
static bool
verifies(const struct cmd_ctx *ctx, const struct store_key *kdata,
    const struct issuer *iss, const struct store_key *cand)
{
	struct pgp_blob b = { cand->data, cand->len };
	struct pgp_key *k = owner_key_load(ctx, kdata->data, kdata->len);
	struct pgp_issuer_ref ref;
	bool good = false;
	size_t i, j;

	if (k == NULL)
		return false;
	memset(&ref, 0, sizeof(ref));
	memcpy(ref.keyid, iss->keyid, 8);
	memcpy(ref.fpr, iss->fpr, iss->fprlen);
	ref.fprlen = iss->fprlen;
	(void)pgp_key_check_certs(k, 0, &b, 1, ctx->now);
	for (i = 0; i < k->nuids && !good; i++)
		for (j = 0; j < k->uids[i].nsigs && !good; j++) {
			const struct pgp_sig *s = &k->uids[i].sigs[j];

			good = s->state == PGP_SIG_GOOD &&
			    s->type >= PGP_SIG_CERT_GENERIC &&
			    s->type <= PGP_SIG_CERT_POSITIVE &&
			    pgp_issuer_matches(&ref, s);
		}
	pgp_key_free(k);
	return good;
}

/* Every key of ks in one armor block; -1 if it passes cap octets.
 * (keymail serve's cmd_armor_blobs does the same; one of the two goes
 * when both are in.) */
static int
armor_all(const struct store_keys *ks, size_t cap, struct buf *out)
{
	struct buf bin;
	size_t i;
	int rc;

	buf_init(&bin, 0);
	for (i = 0; i < ks->n; i++)
		buf_append(&bin, ks->v[i].data, ks->v[i].len);
	buf_free(out);
	buf_init(out, cap);
	rc = pgp_armor_encode(bin.data, bin.len, out);
	buf_free(&bin);
	return rc;
}

/* Is a key with this 64-bit primary key ID stored at all (the union)? */
static enum store_status
stored_at_all(struct cmd_ctx *ctx, const uint8_t keyid[8], bool *yes)
{
	struct store_keys ks;
	enum store_status st;

	st = store_signers(ctx->store, keyid, 1, 1, &ks);
	*yes = st == STORE_OK && ks.n > 0;
	store_keys_free(&ks);
	return st;
}

enum store_status
cmd_signers(struct cmd_ctx *ctx, const char *arg, struct cmd_result *r)
{
	const struct conf *c = ctx->conf;
	struct keyspec spec;
	struct store_keys found, out;
	struct issuer *iss = NULL;
	struct buf notes, armor;
	enum store_status st;
	size_t niss, i, j, bytes;
	struct pgp_key *k;

	memset(&out, 0, sizeof(out));
	keyspec_parse(arg ? arg : "", &spec);
	if (spec.kind == KEYSPEC_KEYID || (spec.kind == KEYSPEC_FPR &&
	    (spec.idlen == 20 || spec.idlen == 32)))
		st = spec.kind == KEYSPEC_KEYID ?
		    store_get_by_keyid(ctx->store, spec.id, spec.idlen, 1, &found) :
		    store_get_by_fpr(ctx->store, spec.id, spec.idlen, 1, &found);
	else {
		r->suffix = ", failed";
		buf_puts(&r->body, "Malformed command: expected SIGNERS <keyid> "
		    "(0x and 16 hex digits) or SIGNERS <fingerprint>.\n");
		return STORE_OK;
	}
	if (st == STORE_NOTFOUND) {
		r->suffix = ", failed";
		buf_puts(&r->body, "No matching keys in database.\n");
		return STORE_OK;
	}
	if (st == STORE_TOOMANY) {
		r->suffix = ", failed";
		buf_puts(&r->body, "More than one key has this key ID; ask by "
		    "fingerprint.\n");
		return STORE_OK;
	}
	if (st != STORE_OK)
		return st;
	if ((k = owner_key_load(ctx, found.v[0].data, found.v[0].len)) == NULL) {
		store_keys_free(&found);
		return STORE_ERROR;
	}
	niss = collect_issuers(k, &iss);
	pgp_key_free(k);
	buf_init(&notes, 0);
	out.v = xcalloc(niss + 1, sizeof(*out.v));
	out.v[out.n].data = xmemdup(found.v[0].data, found.v[0].len);
	out.v[out.n++].len = found.v[0].len;
	bytes = found.v[0].len;
	for (i = 0; i < niss && st == STORE_OK; i++) {
		struct store_keys cand;
		const char *why = "unverified";
		bool any;

		if (iss[i].fprlen != 0)
			st = store_get_by_fpr(ctx->store, iss[i].fpr, iss[i].fprlen,
			    c->max_reply_keys, &cand);
		else
			st = store_get_by_keyid(ctx->store, iss[i].keyid, 8,
			    c->max_reply_keys, &cand);
		if (st == STORE_NOTFOUND || st == STORE_TOOMANY) {
			st = stored_at_all(ctx, iss[i].keyid, &any);
			why = any ? "hidden" : "absent";
			memset(&cand, 0, sizeof(cand));
		}
		for (j = 0; st == STORE_OK && j < cand.n; j++) {
			if (!verifies(ctx, &found.v[0], &iss[i], &cand.v[j]))
				continue;
			if ((c->max_reply_keys && out.n >= c->max_reply_keys) ||
			    (c->signers_max_size &&
			    bytes + cand.v[j].len > c->signers_max_size)) {
				why = "over limit";
				continue;
			}
			out.v = xreallocarray(out.v, out.n + 1, sizeof(*out.v));
			out.v[out.n].data = cand.v[j].data;
			out.v[out.n++].len = cand.v[j].len;
			bytes += cand.v[j].len;
			cand.v[j].data = NULL;
			why = NULL;
		}
		store_keys_free(&cand);
		if (why != NULL)
			buf_printf(&notes, "%s %s\n", iss[i].name, why);
	}
	if (st == STORE_OK) {
		buf_init(&armor, 0);
		if (armor_all(&out, c->max_reply_size, &armor) < 0) {
			r->suffix = ", failed";
			buf_printf(&r->body, "The reply would be larger than %zu bytes "
			    "(limit max_reply_size).\n", c->max_reply_size);
		} else {
			char *text = owner_policy(c) == STORE_POLICY_VERIFIED ?
			    xstrdup("SIGNERS: the key alone. This server (policy "
			    "verified) does not publish\ncertifications by other "
			    "keys.\n") :
			    xasprintf("SIGNERS: the key and the keys of %zu "
			    "certifier(s) whose certification on it verifies.\n%s%s",
			    out.n - 1, notes.len ? "Left out:\n" : "",
			    notes.len ? (const char *)notes.data : "");

			r->intro = owner_intro(ctx, text);
			free(text);
			r->body_type = "application/pgp-keys";
			buf_append(&r->body, armor.data, armor.len);
		}
		buf_free(&armor);
	}
	buf_free(&notes);
	free(iss);
	store_keys_free(&found);
	store_keys_free(&out);
	return st;
}
