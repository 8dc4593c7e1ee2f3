/*
 * pgp/publish.c - the copies of a key that owner control publishes
 * (publish.h).
 *
 * Keys handled here were parsed by key.c and checked by pgp_key_check
 * (trusted structure, untrusted content). Every function works on its
 * own copies: inputs are const unless the contract says otherwise.
 * Memory: whatever is returned belongs to the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "pgp/publish.h"
#include "util/hex.h"
#include "util/xalloc.h"

/* ---- names and hashes ---------------------------------------------------- */

void
pgp_packet_hash(uint8_t tag, const uint8_t *body, size_t len,
    uint8_t out[PGP_PACKET_HASH])
{
	struct pgp_hash *h = pgp_hash_open(PGP_HASH_SHA256);
	uint8_t d[64];

	memset(out, 0, PGP_PACKET_HASH);
	if (h == NULL)
		return;
	pgp_hash_write(h, &tag, 1);
	pgp_hash_write(h, body, len);
	if (pgp_hash_final(h, d) == PGP_PACKET_HASH)
		memcpy(out, d, PGP_PACKET_HASH);
}

bool
pgp_sig_self_issued(const struct pgp_key *k, const struct pgp_sig *s)
{
	if (s->issuer_fpr_len != 0)
		return s->issuer_fpr_len == k->pub.fprlen &&
		    memcmp(s->issuer_fpr, k->pub.fpr, s->issuer_fpr_len) == 0;
	return s->has_issuer && memcmp(s->issuer, k->pub.keyid, 8) == 0;
}

void
pgp_sig_issuer_name(const struct pgp_sig *s, char out[PGP_ISSUER_NAME])
{
	if (s->issuer_fpr_len == 20 || s->issuer_fpr_len == 32) {
		pgp_hex(s->issuer_fpr, s->issuer_fpr_len, out);
		return;
	}
	if (!s->has_issuer) {
		out[0] = '\0';
		return;
	}
	out[0] = '0';
	out[1] = 'x';
	pgp_hex(s->issuer, 8, out + 2);
}

void
pgp_component_name(const struct pgp_key *k, const struct pgp_component *c,
    char out[PGP_COMPONENT_NAME])
{
	uint8_t d[64];
	char hex[65];

	(void)k;
	if (c == NULL) {
		snprintf(out, PGP_COMPONENT_NAME, "key");
		return;
	}
	if (c->pkt.tag == PGP_TAG_PUBSUBKEY) {
		pgp_hex(c->sub.fpr, c->sub.fprlen > 32 ? 32 : c->sub.fprlen, hex);
		memcpy(out, "subkey:", 7);
		memcpy(out + 7, hex, strlen(hex) + 1);
		return;
	}
	memset(d, 0, sizeof(d));
	(void)pgp_hash_buf(PGP_HASH_SHA256, c->pkt.body, c->pkt.len, d);
	pgp_hex(d, 8, hex);
	memcpy(out, "uid:", 4);
	memcpy(out + 4, hex, 17);
}

static bool
hex_decode(const char *s, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i += 2) {
		int a = hex_digit((unsigned char)s[i]);
		int b = hex_digit((unsigned char)s[i + 1]);

		if (a < 0 || b < 0)
			return false;
		out[i / 2] = (uint8_t)(a << 4 | b);
	}
	return true;
}

bool
pgp_issuer_parse(const char *text, struct pgp_issuer_ref *ref)
{
	size_t n = strlen(text);

	memset(ref, 0, sizeof(*ref));
	if (n == 18 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		return hex_decode(text + 2, 16, ref->keyid);
	if (n != 40 && n != 64)
		return false;
	if (!hex_decode(text, n, ref->fpr))
		return false;
	ref->fprlen = n / 2;
	/* v4: the key ID is the fingerprint's low 64 bits; v6: its first. */
	memcpy(ref->keyid, n == 40 ? ref->fpr + 12 : ref->fpr, 8);
	return true;
}

bool
pgp_issuer_matches(const struct pgp_issuer_ref *ref, const struct pgp_sig *s)
{
	if (ref->fprlen != 0 && s->issuer_fpr_len != 0)
		return ref->fprlen == s->issuer_fpr_len &&
		    memcmp(ref->fpr, s->issuer_fpr, ref->fprlen) == 0;
	return s->has_issuer && memcmp(ref->keyid, s->issuer, 8) == 0;
}

bool
pgp_issuer_matches_name(const struct pgp_issuer_ref *ref, const char *name)
{
	struct pgp_issuer_ref other;

	if (!pgp_issuer_parse(name, &other))
		return false;
	if (ref->fprlen != 0 && other.fprlen != 0)
		return ref->fprlen == other.fprlen &&
		    memcmp(ref->fpr, other.fpr, ref->fprlen) == 0;
	return memcmp(ref->keyid, other.keyid, 8) == 0;
}

/* ---- copies -------------------------------------------------------------- */

static bool
same_packet(const struct pgp_packet *a, const struct pgp_packet *b)
{
	return a->tag == b->tag && a->len == b->len &&
	    memcmp(a->body, b->body, a->len) == 0;
}

/* A key holding only k's primary key packet and summary. */
static struct pgp_key *
key_stub(const struct pgp_key *k)
{
	struct pgp_key *s = xcalloc(1, sizeof(*s));

	s->pkt.tag = k->pkt.tag;
	s->pkt.body = xmemdup(k->pkt.body, k->pkt.len);
	s->pkt.len = k->pkt.len;
	s->pub = k->pub;
	s->revoked = k->revoked;
	s->expires = k->expires;
	s->primary_uid = -1;
	return s;
}

struct pgp_key *
pgp_key_dup(const struct pgp_key *k)
{
	struct pgp_key *d = key_stub(k);

	(void)pgp_key_merge(d, k, NULL);
	pgp_key_canonicalize(d);
	d->primary_uid = k->primary_uid;
	return d;
}

bool
pgp_key_has_key_revocation(const struct pgp_key *k)
{
	size_t i;

	for (i = 0; i < k->nsigs; i++)
		if (k->sigs[i].type == PGP_SIG_KEY_REVOKE)
			return true;
	return false;
}

static void
add_sig(struct pgp_sig **arr, size_t *n, const struct pgp_sig *s)
{
	*arr = pgp_grow(*arr, *n, sizeof(**arr));
	pgp_sig_copy(&(*arr)[(*n)++], s);
}

static bool
has_sig(const struct pgp_sig *arr, size_t n, const struct pgp_sig *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same_packet(&arr[i].pkt, &s->pkt))
			return true;
	return false;
}

struct pgp_key *
pgp_key_revocation_copy(const struct pgp_key *k)
{
	struct pgp_key *r;
	size_t i;

	if (!pgp_key_has_key_revocation(k))
		return NULL;
	r = key_stub(k);
	for (i = 0; i < k->nsigs; i++)
		if (k->sigs[i].type == PGP_SIG_KEY_REVOKE)
			add_sig(&r->sigs, &r->nsigs, &k->sigs[i]);
	r->revoked = true;
	pgp_key_canonicalize(r);
	return r;
}

/* ---- held items ---------------------------------------------------------- */

void
pgp_held_list_free(struct pgp_held_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i].data);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* The fragment of k holding component c (a user ID, attribute or subkey)
 * with the given signatures, binary. */
static void
fragment(const struct pgp_key *k, const struct pgp_component *c,
    const struct pgp_sig *const *sigs, size_t nsigs, struct buf *out)
{
	struct pgp_key *f = key_stub(k);
	struct pgp_component *fc;
	size_t i;

	if (c->pkt.tag == PGP_TAG_PUBSUBKEY) {
		f->subkeys = pgp_grow(NULL, 0, sizeof(*f->subkeys));
		fc = &f->subkeys[f->nsubkeys++];
	} else {
		f->uids = pgp_grow(NULL, 0, sizeof(*f->uids));
		fc = &f->uids[f->nuids++];
	}
	memset(fc, 0, sizeof(*fc));
	fc->pkt.tag = c->pkt.tag;
	fc->pkt.body = xmemdup(c->pkt.body, c->pkt.len);
	fc->pkt.len = c->pkt.len;
	fc->sub = c->sub;
	for (i = 0; i < nsigs; i++)
		add_sig(&fc->sigs, &fc->nsigs, sigs[i]);
	pgp_key_canonicalize(f);
	buf_init(out, 0);
	(void)pgp_key_write(f, out);
	pgp_key_free(f);
}

static void
held_add(struct pgp_held_list *l, const struct pgp_key *k,
    const struct pgp_component *c, const char *issuer, const uint8_t keyid[8],
    const struct pgp_sig *const *sigs, size_t nsigs)
{
	struct pgp_held_item *it;
	struct buf b;
	size_t i;

	if (nsigs == 0)
		return;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	it = &l->v[l->n++];
	memset(it, 0, sizeof(*it));
	snprintf(it->issuer, sizeof(it->issuer), "%s", issuer);
	if (keyid != NULL)
		memcpy(it->issuer_keyid, keyid, 8);
	pgp_component_name(k, c, it->component);
	for (i = 0; i < nsigs; i++)
		if (sigs[i]->created > it->created)
			it->created = sigs[i]->created;
	fragment(k, c, sigs, nsigs, &b);
	it->data = b.data;
	it->len = b.len;
}

/*
 * The third-party signatures of one component, newest per issuer: each
 * candidate in turn; the caller passes them all, then flushes.
 */
struct by_issuer {
	const struct pgp_sig **v;	/* newest signature of each issuer */
	char (*name)[PGP_ISSUER_NAME];
	size_t n;
};

static void
by_issuer_add(struct by_issuer *b, const struct pgp_sig *s)
{
	char name[PGP_ISSUER_NAME];
	size_t i;

	pgp_sig_issuer_name(s, name);
	if (*name == '\0')
		return;		/* names no issuer: nothing to hold it under */
	for (i = 0; i < b->n; i++)
		if (!strcmp(b->name[i], name)) {
			if (s->created > b->v[i]->created)
				b->v[i] = s;
			return;
		}
	b->v = xreallocarray(b->v, b->n + 1, sizeof(*b->v));
	b->name = xreallocarray(b->name, b->n + 1, sizeof(*b->name));
	b->v[b->n] = s;
	memcpy(b->name[b->n], name, PGP_ISSUER_NAME);
	b->n++;
}

static void
by_issuer_flush(struct by_issuer *b, struct pgp_held_list *l,
    const struct pgp_key *k, const struct pgp_component *c)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		held_add(l, k, c, b->name[i], b->v[i]->issuer, &b->v[i], 1);
	free(b->v);
	free(b->name);
	memset(b, 0, sizeof(*b));
}

/* ---- the self copy ------------------------------------------------------- */

/* Remove the signatures of c that are not self-issued; hand them to b. */
static void
keep_self_sigs(const struct pgp_key *k, struct pgp_component *c,
    struct by_issuer *b, const struct pgp_component *orig)
{
	size_t i, j = 0;

	for (i = 0; i < c->nsigs; i++) {
		if (pgp_sig_self_issued(k, &c->sigs[i])) {
			if (i != j)
				c->sigs[j] = c->sigs[i];
			j++;
			continue;
		}
		if (b != NULL)
			by_issuer_add(b, &orig->sigs[i]);
		pgp_sig_clear(&c->sigs[i]);
	}
	c->nsigs = j;
}

/* The self copy, keeping (when keep is set) only the user IDs it
 * accepts and no attribute. */
static struct pgp_key *
self_copy(const struct pgp_key *k, struct pgp_held_list *held,
    pgp_uid_keep_fn keep, void *arg)
{
	struct pgp_key *s = key_stub(k);
	size_t i;

	for (i = 0; i < k->nsigs; i++)
		add_sig(&s->sigs, &s->nsigs, &k->sigs[i]);
	for (i = 0; i < k->nuids; i++) {
		const struct pgp_component *u = &k->uids[i];
		struct pgp_component *c;
		struct by_issuer b;

		if (!u->valid && !u->revoked)
			continue;
		if (keep != NULL && (u->pkt.tag != PGP_TAG_UID ||
		    !keep(arg, u->pkt.body, u->pkt.len)))
			continue;
		s->uids = pgp_grow(s->uids, s->nuids, sizeof(*s->uids));
		c = &s->uids[s->nuids++];
		pgp_component_copy(c, u);
		memset(&b, 0, sizeof(b));
		keep_self_sigs(k, c, held ? &b : NULL, u);
		if (held != NULL)
			by_issuer_flush(&b, held, k, u);
	}
	for (i = 0; i < k->nsubkeys; i++) {
		s->subkeys = pgp_grow(s->subkeys, s->nsubkeys, sizeof(*s->subkeys));
		pgp_component_copy(&s->subkeys[s->nsubkeys++], &k->subkeys[i]);
	}
	pgp_key_canonicalize(s);
	return s;
}

struct pgp_key *
pgp_key_self_copy(const struct pgp_key *k, struct pgp_held_list *held)
{
	return self_copy(k, held, NULL, NULL);
}

struct pgp_key *
pgp_key_verified_copy(const struct pgp_key *k, pgp_uid_keep_fn keep, void *arg)
{
	return self_copy(k, NULL, keep, arg);
}

/* ---- absorbing what comes in (7.2) --------------------------------------- */

static int
hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, PGP_PACKET_HASH);
}

static bool
suppressed(const struct pgp_absorb_rules *r, uint8_t tag, const uint8_t *body,
    size_t len)
{
	uint8_t h[PGP_PACKET_HASH];

	if (r == NULL || r->nsuppressed == 0)
		return false;
	pgp_packet_hash(tag, body, len, h);
	return bsearch(h, r->suppressed, r->nsuppressed, PGP_PACKET_HASH,
	    hash_cmp) != NULL;
}

static bool
sig_suppressed(const struct pgp_absorb_rules *r, const struct pgp_sig *s)
{
	return suppressed(r, PGP_TAG_SIG, s->pkt.body, s->pkt.len);
}

static bool
blocked(const struct pgp_absorb_rules *r, const struct pgp_sig *s)
{
	size_t i;

	for (i = 0; r != NULL && i < r->nblocked; i++)
		if (pgp_issuer_matches(&r->blocked[i], s))
			return true;
	return false;
}

static bool
is_cert(uint8_t type)
{
	return type >= PGP_SIG_CERT_GENERIC && type <= PGP_SIG_CERT_POSITIVE;
}

/* Newest creation time among sigs of c of the given kind issued by k's
 * primary (type 0: certifications 0x10-0x13). */
static uint32_t
newest_self(const struct pgp_key *k, const struct pgp_sig *sigs, size_t n,
    uint8_t type)
{
	uint32_t t = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct pgp_sig *s = &sigs[i];

		if (!pgp_sig_self_issued(k, s))
			continue;
		if ((type == 0 ? is_cert(s->type) : s->type == type) &&
		    s->created > t)
			t = s->created;
	}
	return t;
}

/* Does c (published) hold a certification by the issuer of s? */
static bool
certified_by(const struct pgp_component *c, const struct pgp_sig *s)
{
	struct pgp_issuer_ref ref;
	size_t i;

	memset(&ref, 0, sizeof(ref));
	if (s->issuer_fpr_len != 0) {
		memcpy(ref.fpr, s->issuer_fpr, s->issuer_fpr_len);
		ref.fprlen = s->issuer_fpr_len;
	}
	if (!s->has_issuer && ref.fprlen == 0)
		return false;
	memcpy(ref.keyid, s->issuer, 8);
	for (i = 0; i < c->nsigs; i++)
		if (is_cert(c->sigs[i].type) && pgp_issuer_matches(&ref, &c->sigs[i]))
			return true;
	return false;
}

static struct pgp_component *
find_component(struct pgp_component *arr, size_t n, const struct pgp_component *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same_packet(&arr[i].pkt, &c->pkt))
			return &arr[i];
	return NULL;
}

static void
publish_sig(struct pgp_component *pc, const struct pgp_sig *s,
    struct pgp_absorb_result *out)
{
	add_sig(&pc->sigs, &pc->nsigs, s);
	out->changed = true;
	if (s->type == PGP_SIG_KEY_REVOKE || s->type == PGP_SIG_SUBKEY_REVOKE ||
	    s->type == PGP_SIG_CERT_REVOKE)
		out->revocations++;
}

/* A user ID of incoming that published holds. */
static void
absorb_known_uid(const struct pgp_key *pub, struct pgp_component *pu,
    const struct pgp_key *in, const struct pgp_component *u,
    const struct pgp_absorb_rules *rules, struct pgp_absorb_result *out)
{
	uint32_t newest = newest_self(pub, pu->sigs, pu->nsigs, 0);
	struct by_issuer b;
	size_t i, n0 = pu->nsigs;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < u->nsigs; i++) {
		const struct pgp_sig *s = &u->sigs[i];

		if (has_sig(pu->sigs, n0, s))
			continue;
		if (pgp_sig_self_issued(in, s)) {
			if (s->type == PGP_SIG_CERT_REVOKE)
				publish_sig(pu, s, out);
			else if (is_cert(s->type) && s->created > newest &&
			    !sig_suppressed(rules, s))
				publish_sig(pu, s, out);
			continue;
		}
		/* A certification's revocation by its own issuer: at once. */
		if (s->type == PGP_SIG_CERT_REVOKE && certified_by(pu, s)) {
			publish_sig(pu, s, out);
			continue;
		}
		if (sig_suppressed(rules, s) || blocked(rules, s)) {
			out->dropped++;
			continue;
		}
		by_issuer_add(&b, s);
	}
	by_issuer_flush(&b, &out->held, in, u);
}

/* A user ID published does not hold: held, unless suppressed. */
static void
absorb_new_uid(const struct pgp_key *in, const struct pgp_component *u,
    const struct pgp_absorb_rules *rules, struct pgp_absorb_result *out)
{
	const struct pgp_sig **self = NULL;
	struct by_issuer b;
	size_t i, nself = 0;
	char me[PGP_ISSUER_NAME];

	if (suppressed(rules, u->pkt.tag, u->pkt.body, u->pkt.len)) {
		out->dropped++;
		return;
	}
	memset(&b, 0, sizeof(b));
	for (i = 0; i < u->nsigs; i++) {
		const struct pgp_sig *s = &u->sigs[i];

		if (pgp_sig_self_issued(in, s)) {
			self = xreallocarray(self, nself + 1, sizeof(*self));
			self[nself++] = s;
		} else if (sig_suppressed(rules, s) || blocked(rules, s))
			out->dropped++;
		else
			by_issuer_add(&b, s);
	}
	pgp_hex(in->pub.fpr, in->pub.fprlen, me);
	held_add(&out->held, in, u, me, in->pub.keyid, self, nself);
	free(self);
	by_issuer_flush(&b, &out->held, in, u);
}

static void
absorb_subkey(struct pgp_key *pub, const struct pgp_key *in, const struct pgp_component *sk,
    const struct pgp_absorb_rules *rules, struct pgp_absorb_result *out)
{
	struct pgp_component *ps = find_component(pub->subkeys, pub->nsubkeys, sk);
	const struct pgp_sig **all;
	char me[PGP_ISSUER_NAME];
	size_t i, n0;
	uint32_t newest;

	if (ps == NULL) {
		if (suppressed(rules, sk->pkt.tag, sk->pkt.body, sk->pkt.len)) {
			out->dropped++;
			return;
		}
		all = xreallocarray(NULL, sk->nsigs + 1, sizeof(*all));
		for (i = 0; i < sk->nsigs; i++)
			all[i] = &sk->sigs[i];
		pgp_hex(in->pub.fpr, in->pub.fprlen, me);
		held_add(&out->held, in, sk, me, in->pub.keyid, all, sk->nsigs);
		free(all);
		return;
	}
	newest = newest_self(pub, ps->sigs, ps->nsigs, PGP_SIG_SUBKEY_BINDING);
	n0 = ps->nsigs;
	for (i = 0; i < sk->nsigs; i++) {
		const struct pgp_sig *s = &sk->sigs[i];

		if (has_sig(ps->sigs, n0, s))
			continue;
		if (s->type == PGP_SIG_SUBKEY_REVOKE)
			publish_sig(ps, s, out);
		else if (s->type == PGP_SIG_SUBKEY_BINDING && s->created > newest &&
		    pgp_sig_self_issued(in, s) && !sig_suppressed(rules, s))
			publish_sig(ps, s, out);
	}
}

int
pgp_absorb(struct pgp_key *pub, const struct pgp_key *in,
    const struct pgp_absorb_rules *rules, struct pgp_absorb_result *out)
{
	uint32_t newest_direct;
	size_t i, n0;

	memset(out, 0, sizeof(*out));
	if (!same_packet(&pub->pkt, &in->pkt))
		return -1;
	newest_direct = newest_self(pub, pub->sigs, pub->nsigs, PGP_SIG_DIRECT);
	n0 = pub->nsigs;
	for (i = 0; i < in->nsigs; i++) {
		const struct pgp_sig *s = &in->sigs[i];

		if (has_sig(pub->sigs, n0, s))
			continue;
		if (s->type == PGP_SIG_KEY_REVOKE) {
			add_sig(&pub->sigs, &pub->nsigs, s);
			out->changed = true;
			out->revocations++;
		} else if (s->type == PGP_SIG_DIRECT && pgp_sig_self_issued(in, s) &&
		    s->created > newest_direct && !sig_suppressed(rules, s)) {
			add_sig(&pub->sigs, &pub->nsigs, s);
			out->changed = true;
		}
	}
	for (i = 0; i < in->nuids; i++) {
		const struct pgp_component *u = &in->uids[i];
		struct pgp_component *pu = find_component(pub->uids, pub->nuids, u);

		if (pu != NULL)
			absorb_known_uid(pub, pu, in, u, rules, out);
		else
			absorb_new_uid(in, u, rules, out);
	}
	for (i = 0; i < in->nsubkeys; i++)
		absorb_subkey(pub, in, &in->subkeys[i], rules, out);
	if (out->changed)
		pgp_key_canonicalize(pub);
	if (in->revoked)
		pub->revoked = true;
	return 0;
}

void
pgp_absorb_result_free(struct pgp_absorb_result *r)
{
	pgp_held_list_free(&r->held);
}

/* ---- ACCEPT and REPLACE -------------------------------------------------- */

int
pgp_publish_fragment(struct pgp_key *pub, const struct pgp_key *f)
{
	size_t i, j;

	if (!same_packet(&pub->pkt, &f->pkt))
		return -1;
	for (i = 0; i < f->nuids; i++) {
		const struct pgp_component *u = &f->uids[i];
		bool own = false;

		if (find_component(pub->uids, pub->nuids, u) != NULL)
			continue;
		for (j = 0; j < u->nsigs; j++)
			if (pgp_sig_self_issued(f, &u->sigs[j]) &&
			    (is_cert(u->sigs[j].type) ||
			    u->sigs[j].type == PGP_SIG_CERT_REVOKE))
				own = true;
		if (!own)
			return 0;	/* certifies a user ID not published */
	}
	(void)pgp_key_merge(pub, f, NULL);
	pgp_key_canonicalize(pub);
	return 1;
}

struct pgp_key *
pgp_replace_copy(const struct pgp_key *sub, const struct pgp_key *un)
{
	struct pgp_key *r;
	size_t i, j;

	if (!same_packet(&sub->pkt, &un->pkt))
		return NULL;
	r = pgp_key_dup(sub);
	for (i = 0; i < un->nsigs; i++)
		if (un->sigs[i].type == PGP_SIG_KEY_REVOKE &&
		    !has_sig(r->sigs, r->nsigs, &un->sigs[i]))
			add_sig(&r->sigs, &r->nsigs, &un->sigs[i]);
	for (i = 0; i < un->nsubkeys; i++) {
		const struct pgp_component *us = &un->subkeys[i];
		struct pgp_component *rs = find_component(r->subkeys, r->nsubkeys, us);

		for (j = 0; rs != NULL && j < us->nsigs; j++)
			if (us->sigs[j].type == PGP_SIG_SUBKEY_REVOKE &&
			    !has_sig(rs->sigs, rs->nsigs, &us->sigs[j]))
				add_sig(&rs->sigs, &rs->nsigs, &us->sigs[j]);
	}
	for (i = 0; i < un->nuids; i++) {
		const struct pgp_component *uu = &un->uids[i];
		struct pgp_component *ru = find_component(r->uids, r->nuids, uu);

		for (j = 0; ru != NULL && j < uu->nsigs; j++) {
			const struct pgp_sig *s = &uu->sigs[j];

			if (s->type != PGP_SIG_CERT_REVOKE ||
			    has_sig(ru->sigs, ru->nsigs, s))
				continue;
			if (pgp_sig_self_issued(un, s) || certified_by(ru, s))
				add_sig(&ru->sigs, &ru->nsigs, s);
		}
	}
	if (pgp_key_has_key_revocation(r))
		r->revoked = true;
	pgp_key_canonicalize(r);
	return r;
}

static void
hashes_add(uint8_t (**v)[PGP_PACKET_HASH], size_t *n, uint8_t tag,
    const struct pgp_packet *p)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	pgp_packet_hash(tag, p->body, p->len, (*v)[(*n)++]);
}

static void
hashes_component(uint8_t (**v)[PGP_PACKET_HASH], size_t *n,
    const struct pgp_component *c)
{
	size_t i;

	hashes_add(v, n, c->pkt.tag, &c->pkt);
	for (i = 0; i < c->nsigs; i++)
		hashes_add(v, n, PGP_TAG_SIG, &c->sigs[i].pkt);
}

size_t
pgp_key_packet_hashes(const struct pgp_key *k, uint8_t (**out)[PGP_PACKET_HASH])
{
	uint8_t (*v)[PGP_PACKET_HASH] = NULL;
	size_t n = 0, i, j;

	for (i = 0; i < k->nsigs; i++)
		hashes_add(&v, &n, PGP_TAG_SIG, &k->sigs[i].pkt);
	for (i = 0; i < k->nuids; i++)
		hashes_component(&v, &n, &k->uids[i]);
	for (i = 0; i < k->nsubkeys; i++)
		hashes_component(&v, &n, &k->subkeys[i]);
	if (n > 1)
		qsort(v, n, PGP_PACKET_HASH, hash_cmp);
	for (i = j = 0; i < n; i++)
		if (j == 0 || memcmp(v[i], v[j - 1], PGP_PACKET_HASH) != 0)
			memmove(v[j++], v[i], PGP_PACKET_HASH);
	*out = v;
	return j;
}
