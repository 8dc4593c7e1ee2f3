/*
 * cmd/mget.c - MGET REGEX: keys whose user IDs, key IDs or fingerprints
 * match a regular expression.
 *
 * DESCRIPTION
 *	The pattern (2 to max_search bytes) is compiled by util/regex.h:
 *	PCRE2 syntax, case-insensitive, UTF-8. It is matched against every
 *	user ID of every key (as printable UTF-8, pgp_uid_printable) and
 *	against each primary key's and subkey's fingerprint, 16-hex and
 *	8-hex key ID, in upper-case hex, each string on its own (so ^ and $
 *	anchor to one ID). The store is read through server-side cursors
 *	(store_scan_ids_uids), so memory stays flat; the scan stops as soon
 *	as more than max_reply_keys keys matched ("too many", as for GET).
 *	The reply is GET's: one armored block.
 *	mail-protocol.md 1.3 recommends POSIX regular expressions or a DFA;
 *	we use PCRE2 as the issue asks, and bound it instead (below).
 *
 * BOUNDS
 *	A hostile pattern must not hang the robot. Each match gets at most
 *	mget_match_limit backtracking steps and mget_depth_limit nested
 *	frames (which also bounds its heap); a subject that needs more stops
 *	the whole command with an error reply at once. On top of that the
 *	whole scan has a budget, mget_max_work steps. PCRE2 does not say how
 *	many steps a match took, so each match is first tried with a small
 *	limit (MGET_FIRST_STEP), and only if that runs out retried with
 *	MGET_STEP_FACTOR times as many, up to mget_match_limit; every try is
 *	charged its full limit. The charge is thus at least the real work and
 *	at most about MGET_STEP_FACTOR times it, plus MGET_FIRST_STEP per
 *	string; an ordinary pattern costs MGET_FIRST_STEP per string. A
 *	store whose text needs more than the budget gets an error reply
 *	rather than a partial answer. So one MGET costs at most about
 *	mget_max_work steps of matching plus one pass over the keyids and
 *	key_uids tables.
 *
 * Untrusted input: the pattern, and the user IDs (from mail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/limits.h"
#include "util/regex.h"
#include "util/xalloc.h"

#define MGET_FIRST_STEP		16ul	/* steps of a match's first try */
#define MGET_STEP_FACTOR	8ul

enum mget_stop {
	MGET_RUNNING = 0,
	MGET_TOOMANY,		/* more than limit keys matched */
	MGET_COMPLEX,		/* one subject hit the match or depth limit */
	MGET_BUDGET,		/* mget_max_work spent */
	MGET_BADTEXT,		/* PCRE2 refused a subject (cannot happen: ours are UTF-8) */
};

struct mget_state {
	const struct conf *conf;
	struct km_regex *re;
	int64_t *ids;		/* distinct matching keys (row ids) */
	size_t nids;
	size_t limit;		/* max_reply_keys */
	unsigned long work;	/* steps charged so far */
	enum mget_stop stop;
};

static bool
have_id(const struct mget_state *m, int64_t id)
{
	size_t i;

	for (i = 0; i < m->nids; i++)
		if (m->ids[i] == id)
			return true;
	return false;
}

/* Match one string under the limits and the budget (see BOUNDS). */
static bool
match_one(struct mget_state *m, const char *s, size_t len)
{
	unsigned long lim = MGET_FIRST_STEP, max = m->conf->mget_match_limit;
	enum km_regex_result rr;

	if (max == 0)
		max = 1;
	for (;;) {
		if (lim > max)
			lim = max;
		if (m->conf->mget_max_work != 0 &&
		    m->work + lim > m->conf->mget_max_work) {
			m->stop = MGET_BUDGET;
			return false;
		}
		m->work += lim;
		rr = km_regex_match(m->re, s, len, lim, m->conf->mget_depth_limit);
		if (rr == KM_RE_MATCH)
			return true;
		if (rr == KM_RE_NOMATCH)
			return false;
		if (rr == KM_RE_ERROR) {
			m->stop = MGET_BADTEXT;
			return false;
		}
		if (lim >= max) {
			m->stop = MGET_COMPLEX;
			return false;
		}
		lim *= MGET_STEP_FACTOR;
	}
}

static int
on_row(void *arg, int64_t key_id, enum store_scan_kind kind, const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen)
{
	struct mget_state *m = arg;
	bool hit = false;

	if (have_id(m, key_id))
		return 0;	/* one match per key is enough */
	if (kind == STORE_SCAN_KEYID) {
		char hex[65];

		if (alen > 0 && alen <= 32) {
			pgp_hex(a, alen, hex);
			hit = match_one(m, hex, strlen(hex));
		}
		if (!hit && m->stop == MGET_RUNNING && blen == 8) {
			pgp_hex(b, 8, hex);
			hit = match_one(m, hex, 16);
			if (!hit && m->stop == MGET_RUNNING)
				hit = match_one(m, hex + 8, 8);
		}
	} else {
		char *uid = pgp_uid_printable(a, alen);

		hit = match_one(m, uid, strlen(uid));
		free(uid);
	}
	if (m->stop != MGET_RUNNING)
		return 1;
	if (hit) {
		if (m->nids >= m->limit) {
			m->stop = MGET_TOOMANY;
			return 1;
		}
		m->ids = xreallocarray(m->ids, m->nids + 1, sizeof(*m->ids));
		m->ids[m->nids++] = key_id;
	}
	return 0;
}

static bool
id_hit(struct mget_state *m, const struct pgp_pubkey *pub)
{
	char hex[65];

	pgp_hex(pub->fpr, pub->fprlen, hex);
	if (match_one(m, hex, strlen(hex)))
		return true;
	pgp_hex(pub->keyid, 8, hex);
	return m->stop == MGET_RUNNING && (match_one(m, hex, 16) ||
	    (m->stop == MGET_RUNNING && match_one(m, hex + 8, 8)));
}

/*
 * Under a published view (owner-control.md 2) the scan read the union's
 * IDs and user IDs of the public keys: a user ID or subkey held for its
 * owner may have matched. Keep the copies that match by themselves.
 */
static void
keep_matching_copies(struct mget_state *m, const struct cmd_ctx *ctx,
    struct store_keys *ks)
{
	size_t i, j, kept = 0;

	for (i = 0; i < ks->n; i++) {
		enum pgp_status pst;
		struct pgp_key *k = pgp_key_parse_one(ks->v[i].data, ks->v[i].len,
		    &ctx->lim, &pst);
		bool hit = false;

		if (k != NULL) {
			hit = id_hit(m, &k->pub);
			for (j = 0; j < k->nsubkeys && !hit && m->stop == MGET_RUNNING; j++)
				hit = id_hit(m, &k->subkeys[j].sub);
			for (j = 0; j < k->nuids && !hit && m->stop == MGET_RUNNING; j++) {
				char *uid;

				if (k->uids[j].pkt.tag != PGP_TAG_UID)
					continue;
				uid = pgp_uid_printable(k->uids[j].pkt.body,
				    k->uids[j].pkt.len);
				hit = match_one(m, uid, strlen(uid));
				free(uid);
			}
			pgp_key_free(k);
		}
		if (hit)
			ks->v[kept++] = ks->v[i];
		else
			free(ks->v[i].data);
	}
	ks->n = kept;
}

enum store_status
cmd_mget(struct cmd_ctx *ctx, const char *arg, struct cmd_result *r)
{
	const struct conf *c = ctx->conf;
	struct mget_state m;
	struct store_keys ks;
	enum store_status st;
	char err[300];
	size_t alen;

	if (arg == NULL || *arg == '\0') {
		r->suffix = ", failed";
		buf_puts(&r->body, "MGET needs a regular expression, for example\n"
		    "    MGET alice@(example|work)\\.org\n"
		    "The whole database is never sent by mail.\n");
		return STORE_OK;
	}
	alen = strlen(arg);
	if (alen < KM_MIN_SEARCH || alen > c->max_search) {
		r->suffix = ", failed";
		buf_printf(&r->body, "The regular expression must be between %u and %zu "
		    "characters long\n(limit max_search).\n", KM_MIN_SEARCH, c->max_search);
		return STORE_OK;
	}
	memset(&m, 0, sizeof(m));
	m.conf = c;
	m.limit = c->max_reply_keys;
	if ((m.re = km_regex_compile(arg, alen, err, sizeof(err))) == NULL) {
		r->suffix = ", failed";
		buf_printf(&r->body, "Your regular expression is not valid: %s.\n"
		    "(The offset counts bytes from the start of the expression,\n"
		    "starting at 0. The syntax is Perl's, as in PCRE2.)\n", err);
		return STORE_OK;
	}
	st = store_scan_ids_uids(ctx->store, on_row, &m);
	if (st != STORE_OK) {
		km_regex_free(m.re);
		free(m.ids);
		return st;
	}
	switch (m.stop) {
	case MGET_TOOMANY:
		r->suffix = ", failed";
		buf_printf(&r->body, "More than %zu keys match (limit max_reply_keys). "
		    "Please make your\nregular expression more specific, or ask for a "
		    "key ID or fingerprint.\n", c->max_reply_keys);
		break;
	case MGET_COMPLEX:
		r->suffix = ", failed";
		buf_printf(&r->body, "Your regular expression was stopped: matching it "
		    "needed more than\n%zu steps or a backtracking depth of more than %zu "
		    "(limits\nmget_match_limit and mget_depth_limit). Nested repetition "
		    "such as (a+)+\nmakes an expression try exponentially many ways; "
		    "please simplify it.\n", c->mget_match_limit, c->mget_depth_limit);
		break;
	case MGET_BUDGET:
		r->suffix = ", failed";
		buf_printf(&r->body, "The search was stopped before it had looked at "
		    "every key (limit\nmget_max_work, %zu steps). Please use a more "
		    "specific expression, or\nGET with a key ID or words.\n",
		    c->mget_max_work);
		break;
	case MGET_BADTEXT:
		r->suffix = ", failed";
		buf_puts(&r->body, "The search failed on this server's data; please "
		    "tell the operator.\n");
		break;
	case MGET_RUNNING:
		if (m.nids == 0) {
			r->suffix = ", failed";
			buf_puts(&r->body, "No matching keys in database.\n");
			break;
		}
		st = store_get_by_ids(ctx->store, m.ids, m.nids, &ks);
		if (st == STORE_OK && c->policy != CONF_POLICY_OPEN) {
			keep_matching_copies(&m, ctx, &ks);
			if (ks.n == 0)
				st = STORE_NOTFOUND;
		}
		if (st == STORE_OK)
			cmd_armor_keys(ctx, &ks, r);
		else if (st == STORE_NOTFOUND) {
			st = STORE_OK;
			r->suffix = ", failed";
			buf_puts(&r->body, "No matching keys in database.\n");
		}
		store_keys_free(&ks);
		break;
	}
	km_regex_free(m.re);
	free(m.ids);
	return st;
}
