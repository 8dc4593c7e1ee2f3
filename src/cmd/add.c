/*
 * cmd/add.c - ADD: find every public key in the mail, check it, merge it.
 *
 * Input (mail parts) is untrusted. Each key is parsed, checked
 * (pgp_key_check: self-signatures verified, components without a valid
 * binding dropped) and merged in its own transaction, so one bad key never
 * spoils the others and a failure never leaves half a key behind. What
 * the store knows of the key is read first (store_known_get, one
 * statement): signatures it verified before are not verified again, and
 * a key whose every packet it holds is answered "nothing new" without a
 * merge, exactly as the merge would have answered.
 * A block holding secret key material is refused whole: nothing of it is
 * parsed into the store.
 *
 * A revocation certificate sent on its own (a PUBLIC KEY BLOCK holding
 * only a key revocation signature, as GnuPG writes it) is not a key: it
 * is merged into the stored key whose primary key issued it, after the
 * ordinary check has verified it with that key (add_bare_sig); one for a
 * key we do not hold is refused, telling the sender to send the key too.
 *
 * Subject: ", failed" when not a single key could be accepted (no armor,
 * undecodable, secret only, all keys rejected); pks used it for "no key
 * block found" only, but a report that stored nothing is a failure to the
 * person who sent it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/owner.h"
#include "util/xalloc.h"

struct add_state {
	struct cmd_ctx *ctx;
	struct cmd_result *r;
	struct buf lines;		/* per-key report lines */
	struct pgp_merge_counts total;
	unsigned blocks;		/* key blocks / binary blobs seen */
	unsigned keys_seen;
	unsigned rejected;
	unsigned secret_blocks;
	unsigned ignored_blocks;
	bool limit_hit;
	enum store_status st;		/* first store failure: stop everything */
	/* While a revocation certificate is checked against a stored key
	 * (add_bare_sig): the signature packet's body, and whether the
	 * check kept it as a good key revocation. */
	const uint8_t *bare_body;
	size_t bare_len;
};

static void
fpr_text(const uint8_t *fpr, size_t len, char *out)
{
	if (len == 0) {
		strcpy(out, "(no fingerprint)");
		return;
	}
	pgp_hex(fpr, len, out);
}

static void
report_counts(struct buf *b, const struct pgp_merge_counts *c)
{
	const char *sep = "";

	if (c->new_keys) {
		buf_printf(b, "    new key: %u user ID%s, %u subkey%s, %u signature%s\n",
		    c->new_uids, c->new_uids == 1 ? "" : "s",
		    c->new_subkeys, c->new_subkeys == 1 ? "" : "s",
		    c->new_sigs, c->new_sigs == 1 ? "" : "s");
		return;
	}
	if (!c->new_uids && !c->new_subkeys && !c->new_sigs && !c->new_revocations) {
		buf_puts(b, "    nothing new\n");
		return;
	}
	buf_puts(b, "    ");
	if (c->new_uids) {
		buf_printf(b, "%u new user ID%s", c->new_uids, c->new_uids == 1 ? "" : "s");
		sep = ", ";
	}
	if (c->new_subkeys) {
		buf_printf(b, "%s%u new subkey%s", sep, c->new_subkeys, c->new_subkeys == 1 ? "" : "s");
		sep = ", ";
	}
	if (c->new_sigs) {
		buf_printf(b, "%s%u new signature%s", sep, c->new_sigs, c->new_sigs == 1 ? "" : "s");
		sep = ", ";
	}
	if (c->new_revocations)
		buf_printf(b, "%s%u new revocation%s", sep, c->new_revocations,
		    c->new_revocations == 1 ? "" : "s");
	buf_puts(b, "\n");
}

static void
add_total(struct pgp_merge_counts *t, const struct pgp_merge_counts *c)
{
	t->new_keys += c->new_keys;
	t->new_uids += c->new_uids;
	t->new_subkeys += c->new_subkeys;
	t->new_sigs += c->new_sigs;
	t->new_revocations += c->new_revocations;
}

static void
reject(struct add_state *s, const uint8_t *fpr, size_t fprlen, const char *why)
{
	char hex[65 + 20];

	fpr_text(fpr, fprlen, hex);
	s->rejected++;
	buf_printf(&s->lines, "Key %s\n    rejected: %s\n", hex, why);
}

/*
 * The per-key step that ADD and keymail import share (cmd.h): what
 * pgp_keys_read said about one key, then pgp_key_check.
 */
enum pgp_status
cmd_key_accept(const struct cmd_ctx *ctx, struct pgp_key *key,
    enum pgp_status st, const char *detail, char *why, size_t whylen)
{
	return cmd_key_accept_known(ctx, key, st, detail, NULL, NULL, why,
	    whylen);
}

enum pgp_status
cmd_key_accept_known(const struct cmd_ctx *ctx, struct pgp_key *key,
    enum pgp_status st, const char *detail, const struct pgp_known *known,
    struct pgp_vstats *stats, char *why, size_t whylen)
{
	char note[512];

	if (st == PGP_ERR_SECRET) {
		snprintf(why, whylen, "it contains secret key material. A keyserver "
		    "must never hold secret keys: nothing of it was stored. Export "
		    "only the public key (gpg --export --armor KEYID) and keep the "
		    "secret key private; if it was sent in clear over the Internet, "
		    "consider it exposed.");
		return st;
	}
	if (st != PGP_OK || key == NULL) {
		if (st == PGP_OK)
			st = PGP_ERR_MALFORMED;
		snprintf(why, whylen, "%s%s%s", pgp_strerror(st),
		    detail && *detail ? ": " : "", detail ? detail : "");
		return st;
	}
	note[0] = '\0';
	st = pgp_key_check_known(key, ctx->now, known, stats, note,
	    sizeof(note));
	if (st != PGP_OK)
		snprintf(why, whylen, "%s%s%s", pgp_strerror(st), *note ? ": " : "",
		    note);
	else
		snprintf(why, whylen, "%s", note);
	return st;
}

void
cmd_limit_reason(const struct cmd_ctx *ctx, char *why, size_t whylen)
{
	snprintf(why, whylen, "merged with the stored copy it would pass "
	    "max_key_size (%zu bytes) or max_packets_per_key (%zu)",
	    ctx->lim.max_key_size, ctx->lim.max_packets_per_key);
}

/* Did pgp_key_check keep this key revocation as verified? (It drops
 * self-signatures that do not verify.) */
static bool
has_good_revocation(const struct pgp_key *key, const uint8_t *body, size_t len)
{
	size_t i;

	for (i = 0; i < key->nsigs; i++)
		if (key->sigs[i].type == PGP_SIG_KEY_REVOKE &&
		    key->sigs[i].state == PGP_SIG_GOOD && key->sigs[i].pkt.len == len &&
		    memcmp(key->sigs[i].pkt.body, body, len) == 0)
			return true;
	return false;
}

/*
 * Trusted and verified mode: the union merges as always (not queued for
 * the peers: what leaves is decided by the published copy), then
 *  - trusted (owner-control.md 7.2): a claimed key's published copy takes
 *    its revocations and newer self-signatures, and the rest waits as
 *    held items. The reply says only "received" or "revocation
 *    published", never whether the key was known, claimed or changed
 *    (the totals stay zero);
 *  - verified (8): the key's verified copy is rebuilt, and the sender, if
 *    it is an address of the key not yet bound to it, gets a verification
 *    mail; the reply also lists each address of the key with its state
 *    (8.2), never a user ID's name.
 */
static int
on_key_owned(struct add_state *s, struct pgp_key *key, const char *why,
    bool all_known)
{
	struct pgp_merge_counts counts;
	struct owner_absorbed res;
	enum store_status sst;
	char hex[65], reason[640];
	bool keyrev, verified = owner_policy(s->ctx->conf) == STORE_POLICY_VERIFIED;

	memset(&counts, 0, sizeof(counts));
	memset(&res, 0, sizeof(res));
	/* A key whose every packet the union holds would merge as nothing
	 * new (zero counts, no write): skip the merge, not what follows it
	 * (the absorption into the published copy, the verified copy's
	 * rebuild), which does not depend on the union having changed. */
	sst = all_known ? STORE_OK :
	    store_merge_key(s->ctx->store, key, &s->ctx->lim, &counts);
	if (sst == STORE_LIMIT) {
		cmd_limit_reason(s->ctx, reason, sizeof(reason));
		reject(s, key->pub.fpr, key->pub.fprlen, reason);
		pgp_key_free(key);
		return 0;
	}
	keyrev = pgp_key_has_key_revocation(key);
	if (sst == STORE_OK && verified)
		sst = owner_verified_add(s->ctx, key, keyrev &&
		    counts.new_revocations > 0, s->r, &s->lines);
	else if (sst == STORE_OK)
		sst = owner_absorb(s->ctx, key, keyrev && counts.new_revocations > 0,
		    &res);
	if (sst != STORE_OK) {
		s->st = sst;
		pgp_key_free(key);
		return 1;
	}
	pgp_hex(key->pub.fpr, key->pub.fprlen, hex);
	if (!verified)
		buf_printf(&s->lines, "Key %s\n    %s\n", hex, keyrev ||
		    res.revocations ? "revocation published" : "received");
	if (*why)
		buf_printf(&s->lines, "    dropped: %s\n", why);
	s->r->keys_stored++;
	pgp_key_free(key);
	return 0;
}

/* pgp_keys_read callback: one transferable key (or one error). */
static int
on_key(void *arg, struct pgp_key *key, enum pgp_status st, const uint8_t *fpr,
    size_t fprlen, const char *detail)
{
	struct add_state *s = arg;
	struct pgp_merge_counts counts;
	struct store_known kn;
	struct pgp_known view;
	char why[640], hex[65];
	enum store_status sst;
	bool all_known;

	if (s->st != STORE_OK) {
		pgp_key_free(key);
		return 1;
	}
	if (s->bare_body == NULL) {	/* a revocation was counted already */
		if (s->keys_seen >= s->ctx->conf->max_keys_per_add) {
			s->limit_hit = true;
			pgp_key_free(key);
			return 1;
		}
		s->keys_seen++;
	}
	/* What the store already holds of the key: its verified signatures
	 * are not verified again, and if every packet is there already the
	 * merge is skipped (it would find nothing new). */
	memset(&kn, 0, sizeof(kn));
	memset(&view, 0, sizeof(view));
	if (st == PGP_OK && key != NULL) {
		const struct pgp_key *one = key;

		sst = store_known_get(s->ctx->store, &one, 1, &kn);
		if (sst != STORE_OK) {
			s->st = sst;
			pgp_key_free(key);
			return 1;
		}
		store_known_view(&kn, &view);
	}
	if (cmd_key_accept_known(s->ctx, key, st, detail, &view, NULL, why,
	    sizeof(why)) != PGP_OK) {
		reject(s, key ? key->pub.fpr : fpr, key ? key->pub.fprlen : fprlen, why);
		store_known_free(&kn, 1);
		pgp_key_free(key);
		return 0;
	}
	if (s->bare_body != NULL && !has_good_revocation(key, s->bare_body, s->bare_len)) {
		reject(s, key->pub.fpr, key->pub.fprlen, "the revocation certificate "
		    "does not verify with this key, which it names as its issuer; "
		    "nothing was stored");
		store_known_free(&kn, 1);
		pgp_key_free(key);
		return 0;
	}
	memset(&counts, 0, sizeof(counts));
	all_known = pgp_key_all_known(key, &view);
	if (owner_policy(s->ctx->conf) != STORE_POLICY_OPEN) {
		store_known_free(&kn, 1);
		return on_key_owned(s, key, why, all_known);
	}
	if (all_known) {
		/* Nothing new: what the merge would report, without it. */
		sst = STORE_OK;
	} else if (s->ctx->sync_enqueue) {
		/* What a merge adds goes to our peers too (spec 4.5), unless
		 * no peer is configured: then nothing would ever empty the
		 * queue. */
		sst = store_merge_key_sync(s->ctx->store, key, &s->ctx->lim,
		    &counts, s->ctx->sync_trail, s->ctx->sync_ntrail);
	} else {
		sst = store_merge_key(s->ctx->store, key, &s->ctx->lim, &counts);
	}
	store_known_free(&kn, 1);
	if (sst == STORE_LIMIT) {
		/* A flooding defence, not a failure: refuse this key, go on. */
		cmd_limit_reason(s->ctx, why, sizeof(why));
		reject(s, key->pub.fpr, key->pub.fprlen, why);
		pgp_key_free(key);
		return 0;
	}
	if (sst != STORE_OK) {
		s->st = sst;
		pgp_key_free(key);
		return 1;
	}
	pgp_hex(key->pub.fpr, key->pub.fprlen, hex);
	{
		char *uid = NULL;

		if (key->primary_uid >= 0 && (size_t)key->primary_uid < key->nuids &&
		    key->uids[key->primary_uid].pkt.tag == PGP_TAG_UID)
			uid = pgp_uid_printable(key->uids[key->primary_uid].pkt.body,
			    key->uids[key->primary_uid].pkt.len);
		buf_printf(&s->lines, "Key %s%s%s%s\n", hex, uid ? " (" : "",
		    uid ? uid : "", uid ? ")" : "");
		free(uid);
	}
	report_counts(&s->lines, &counts);
	if (s->bare_body != NULL)
		buf_puts(&s->lines, counts.new_revocations ? "    revocation "
		    "certificate verified and merged: the key is now revoked for "
		    "everyone who fetches it\n" : "    this revocation certificate "
		    "was already stored with the key\n");
	/* Say what was left out, so that "partial" is visible to the
	 * sender (pgp_key_check's sentence; empty when nothing was). */
	if (*why)
		buf_printf(&s->lines, "    dropped: %s\n", why);
	if (counts.capped_sigs)
		buf_printf(&s->lines, "    dropped: %u third-party signature%s over "
		    "the limit of %zu per user ID (max_sigs_per_uid; certificate "
		    "flooding)\n", counts.capped_sigs, counts.capped_sigs == 1 ?
		    "" : "s", s->ctx->lim.max_sigs_per_uid);
	add_total(&s->total, &counts);
	s->r->keys_stored++;
	pgp_key_free(key);
	return 0;
}

/* Does the stored key's primary key match the signature's issuer? */
static bool
issued_by_primary(const struct cmd_ctx *ctx, const struct store_key *sk,
    const struct pgp_bare_sig *bs)
{
	enum pgp_status st;
	struct pgp_key *k = pgp_key_parse_one(sk->data, sk->len, &ctx->lim, &st);
	bool same = false;

	if (k == NULL)
		return false;
	if (bs->issuer_fpr_len)
		same = k->pub.fprlen == bs->issuer_fpr_len &&
		    memcmp(k->pub.fpr, bs->issuer_fpr, bs->issuer_fpr_len) == 0;
	else
		same = memcmp(k->pub.keyid, bs->issuer, 8) == 0;
	pgp_key_free(k);
	return same;
}

/* Keys sharing one 64-bit key ID that a revocation is tried against. */
#define BARE_MAX_CANDIDATES 8

/*
 * One signature that came without a key. A key revocation (0x20) whose
 * issuer is the primary key of a stored key goes into that key through
 * the ordinary path (on_key), which verifies it; everything else is
 * refused with what to send instead.
 */
static void
add_bare_sig(struct add_state *s, const struct pgp_bare_sig *bs)
{
	struct store_keys ks;
	enum store_status st;
	const uint8_t *id = bs->issuer_fpr_len ? bs->issuer_fpr : bs->issuer;
	size_t idlen = bs->issuer_fpr_len ? bs->issuer_fpr_len : 8, i, tried = 0;
	char why[512];

	if (s->keys_seen >= s->ctx->conf->max_keys_per_add) {
		s->limit_hit = true;
		return;
	}
	s->keys_seen++;
	if (bs->type != PGP_SIG_KEY_REVOKE) {
		snprintf(why, sizeof(why), "a signature (type 0x%02x) came without "
		    "its key. Only a key revocation certificate can be sent on its "
		    "own; send this signature together with the key (import it "
		    "into GnuPG, then gpg --armor --export FINGERPRINT)", bs->type);
		reject(s, bs->has_issuer || bs->issuer_fpr_len ? id : NULL,
		    bs->has_issuer || bs->issuer_fpr_len ? idlen : 0, why);
		return;
	}
	if (!bs->has_issuer && !bs->issuer_fpr_len) {
		reject(s, NULL, 0, "a revocation certificate that does not name "
		    "the key that made it; send it together with the key it "
		    "revokes (import it into GnuPG, then gpg --armor --export "
		    "FINGERPRINT)");
		return;
	}
	memset(&ks, 0, sizeof(ks));
	st = bs->issuer_fpr_len ?
	    store_get_by_fpr(s->ctx->store, id, idlen, BARE_MAX_CANDIDATES, &ks) :
	    store_get_by_keyid(s->ctx->store, id, idlen, BARE_MAX_CANDIDATES, &ks);
	if (st != STORE_OK && st != STORE_NOTFOUND && st != STORE_TOOMANY) {
		s->st = st;
		return;
	}
	for (i = 0; i < ks.n && s->st == STORE_OK; i++) {
		struct buf k;

		if (!issued_by_primary(s->ctx, &ks.v[i], bs))
			continue;
		tried++;
		buf_init(&k, 0);
		if (pgp_key_splice_sig(ks.v[i].data, ks.v[i].len, bs->packet,
		    bs->packet_len, &k) == 0) {
			s->bare_body = bs->body;
			s->bare_len = bs->body_len;
			(void)pgp_keys_read(k.data, k.len, &s->ctx->lim, on_key, s);
			s->bare_body = NULL;
		}
		free(k.data);
	}
	store_keys_free(&ks);
	if (tried == 0 && s->st == STORE_OK)
		reject(s, id, idlen, "this is a revocation certificate for a key "
		    "this server does not have (or one made by a designated "
		    "revoker), so it cannot be checked. Send the public key "
		    "together with it: import the certificate into GnuPG "
		    "(gpg --import FILE), then send the output of gpg --armor "
		    "--export FINGERPRINT with the Subject ADD");
}

static void
add_binary(struct add_state *s, const uint8_t *data, size_t len)
{
	struct pgp_bare_sig bs;
	size_t used;

	s->blocks++;
	/* Signatures in front of any key: a revocation certificate. */
	while (len > 0 && s->st == STORE_OK && !s->limit_hit &&
	    pgp_bare_sig_read(data, len, &bs, &used) == PGP_OK) {
		add_bare_sig(s, &bs);
		data += used;
		len -= used;
	}
	if (len > 0 && s->st == STORE_OK && !s->limit_hit)
		(void)pgp_keys_read(data, len, &s->ctx->lim, on_key, s);
}

static int
on_armor(void *arg, enum pgp_armor_kind kind, const uint8_t *data, size_t len,
    bool crc_ok, enum pgp_status st)
{
	struct add_state *s = arg;

	(void)crc_ok;	/* accepted either way, as mail-protocol.md 3.1 recommends */
	if (s->st != STORE_OK || s->limit_hit)
		return 1;
	switch (kind) {
	case PGP_ARMOR_PRIVATE_KEY:
		s->blocks++;
		s->secret_blocks++;
		return 0;
	case PGP_ARMOR_OTHER:
		s->ignored_blocks++;
		return 0;
	case PGP_ARMOR_PUBLIC_KEY:
		break;
	}
	if (st != PGP_OK) {
		s->blocks++;
		s->rejected++;
		if (st == PGP_ERR_LIMIT)	/* name the limit (max_out below) */
			buf_printf(&s->lines, "A key block was not read: it holds more "
			    "than %zu bytes (twice max_key_size).\n",
			    s->ctx->conf->max_key_size * 2);
		else
			buf_printf(&s->lines, "A key block could not be decoded: %s\n",
			    pgp_strerror(st));
		return 0;
	}
	add_binary(s, data, len);
	return 0;
}

/* The tag of the packet header at data (old or new format), or -1 if
 * data does not start with one. */
static int
first_tag(const uint8_t *data, size_t len)
{
	if (len == 0 || !(data[0] & 0x80))
		return -1;
	return (data[0] & 0x40) ? data[0] & 0x3f : (data[0] >> 2) & 0x0f;
}

/* Does data start with a primary key packet header (public or secret,
 * old or new format)? */
static bool
starts_with_key(const uint8_t *data, size_t len)
{
	int tag = first_tag(data, len);

	return tag == PGP_TAG_PUBKEY || tag == PGP_TAG_SECKEY;
}

/*
 * Is this part labelled as text or keys (or the body of a plain
 * message)? Other parts (application/octet-stream, and
 * application/pgp-encrypted, which Debian's mime.types gives every .pgp
 * file, so mutt sends keys that way) are only looked into: binary data
 * there counts only if it starts with a key or a signature packet, so
 * that an attached picture or an encrypted message is not reported as a
 * broken key.
 */
static bool
part_is_keyish(const char *type)
{
	return type == NULL || strncmp(type, "text/", 5) == 0 ||
	    strcmp(type, "application/pgp-keys") == 0;
}

static void
add_part(struct add_state *s, const uint8_t *data, size_t len, bool keyish)
{
	size_t found;
	struct buf b;

	found = pgp_armor_scan((const char *)data, len, s->ctx->conf->max_key_size * 2,
	    on_armor, s);
	if (found != 0 || len == 0)
		return;
	/* A binary attachment (application/pgp-keys, .gpg): the first octet of
	 * an OpenPGP packet always has its top bit set; text never starts so. */
	if (data[0] & 0x80) {
		int tag = first_tag(data, len);

		if (keyish || tag == PGP_TAG_PUBKEY || tag == PGP_TAG_SECKEY ||
		    tag == PGP_TAG_SIG)
			add_binary(s, data, len);
		return;
	}
	/* A key pasted as bare base64, its armor lines lost: only if the
	 * whole part is base64 and decodes to a key packet, so that a text
	 * that happens to be base64 ("test") is not taken for a key. */
	buf_init(&b, s->ctx->conf->max_key_size * 2);
	if (pgp_base64_decode((const char *)data, len, &b) == PGP_OK &&
	    starts_with_key(b.data, b.len))
		add_binary(s, b.data, b.len);
	free(b.data);
}

static enum store_status
add_finish(struct add_state *s, struct cmd_result *r)
{
	struct buf *b = &r->body;
	const struct pgp_merge_counts *t = &s->total;

	r->keys_refused = s->rejected;
	if (s->st != STORE_OK) {
		/* No mail reply is sent then (the filter tempfails), but an
		 * HKP upload answers 503 with what was done so far. */
		buf_puts(b, "The key database failed before every key was handled. The\n"
		    "keys listed below were stored; send the rest again later (keys\n"
		    "already stored merge again without change).\n");
		if (s->lines.len) {
			buf_puts(b, "\n");
			buf_append(b, s->lines.data, s->lines.len);
		}
		free(s->lines.data);
		return s->st;
	}
	if (r->keys_stored != 0 && owner_policy(s->ctx->conf) == STORE_POLICY_TRUSTED) {
		/* Nothing about what the store held or gained (7.2). */
		buf_puts(b, "Your keys were received. This server publishes a key "
		    "only once its owner\nhas claimed it (see HELP).\n");
	} else if (r->keys_stored != 0 &&
	    owner_policy(s->ctx->conf) == STORE_POLICY_VERIFIED) {
		buf_puts(b, "Your keys were received. This server publishes a key's "
		    "user ID only once\nits address has confirmed it; every key is "
		    "served by its fingerprint\nor key ID without the others (see "
		    "HELP).\n");
	} else if (r->keys_stored == 0) {
		r->suffix = ", failed";
		if (s->blocks == 0 && s->secret_blocks == 0)
			buf_puts(b, "No public key block was found in your message. Paste the\n"
			    "output of \"gpg --export --armor KEYID\" into the body of the\n"
			    "mail, or attach it, and send it with the Subject ADD.\n");
		else
			buf_puts(b, "No key from your message was stored.\n");
	} else if (t->new_keys || t->new_uids || t->new_subkeys || t->new_sigs || t->new_revocations)
		buf_puts(b, "Your keys were merged into the keyserver's database.\n");
	else
		buf_puts(b, "The key block contained no new keys, user IDs, subkeys or signatures.\n");

	/* pks's labels and order, plus the two the spec adds; pks's
	 * "New userid's added" reads like a typo to every user, and no
	 * program is known to parse these lines (README, "Choices"). */
	if (t->new_keys)
		buf_printf(b, "  New public keys added: %u\n", t->new_keys);
	if (t->new_revocations)
		buf_printf(b, "  New revocation signatures added: %u\n", t->new_revocations);
	if (t->new_uids)
		buf_printf(b, "  New user IDs added: %u\n", t->new_uids);
	if (t->new_subkeys)
		buf_printf(b, "  New subkeys added: %u\n", t->new_subkeys);
	if (t->new_sigs)
		buf_printf(b, "  New signatures added: %u\n", t->new_sigs);
	if (s->rejected)
		buf_printf(b, "  Keys rejected: %u\n", s->rejected);
	if (s->secret_blocks)
		buf_printf(b, "\nYour message contained %u secret key block%s. A keyserver "
		    "must never hold\nsecret keys, so %s refused and nothing of %s was stored. "
		    "Send only\nthe public key (gpg --export --armor KEYID). If the secret key "
		    "travelled\nunencrypted over the Internet, consider it exposed.\n",
		    s->secret_blocks, s->secret_blocks == 1 ? "" : "s",
		    s->secret_blocks == 1 ? "it was" : "they were",
		    s->secret_blocks == 1 ? "it" : "them");
	if (s->limit_hit)
		buf_printf(b, "\nOnly the first %zu keys were processed "
		    "(limit max_keys_per_add). Send the rest in another message.\n",
		    s->ctx->conf->max_keys_per_add);
	if (s->lines.len) {
		buf_puts(b, "\n");
		buf_append(b, s->lines.data, s->lines.len);
	}
	free(s->lines.data);
	return STORE_OK;
}

static void
add_state_init(struct add_state *s, struct cmd_ctx *ctx, struct cmd_result *r)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->r = r;
	s->st = STORE_OK;
	buf_init(&s->lines, 0);
}

enum store_status
cmd_add(struct cmd_ctx *ctx, const struct mail_part *parts, size_t nparts,
    struct cmd_result *r)
{
	struct add_state s;
	size_t i;

	add_state_init(&s, ctx, r);
	for (i = 0; i < nparts && s.st == STORE_OK && !s.limit_hit; i++)
		if (parts[i].content_type == NULL ||
		    strcmp(parts[i].content_type, MAIL_RECON_TYPE) != 0)
			add_part(&s, parts[i].data, parts[i].len,
			    part_is_keyish(parts[i].content_type));
	return add_finish(&s, r);
}

enum store_status
cmd_add_blob(struct cmd_ctx *ctx, const uint8_t *data, size_t len, struct cmd_result *r)
{
	struct add_state s;

	add_state_init(&s, ctx, r);
	add_part(&s, data, len, true);
	return add_finish(&s, r);
}
