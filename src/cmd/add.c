/*
 * cmd/add.c - ADD: find every public key in the mail, check it, merge it.
 *
 * Input (mail parts) is untrusted. Each key is parsed, checked
 * (pgp_key_check: self-signatures verified, components without a valid
 * binding dropped) and merged in its own transaction, so one bad key never
 * spoils the others and a failure never leaves half a key behind.
 * A block holding secret key material is refused whole: nothing of it is
 * parsed into the store.
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
	st = pgp_key_check(key, ctx->now, note, sizeof(note));
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

/* pgp_keys_read callback: one transferable key (or one error). */
static int
on_key(void *arg, struct pgp_key *key, enum pgp_status st, const uint8_t *fpr,
    size_t fprlen, const char *detail)
{
	struct add_state *s = arg;
	struct pgp_merge_counts counts;
	char why[640], hex[65];
	enum store_status sst;

	if (s->st != STORE_OK) {
		pgp_key_free(key);
		return 1;
	}
	if (s->keys_seen >= s->ctx->conf->max_keys_per_add) {
		s->limit_hit = true;
		pgp_key_free(key);
		return 1;
	}
	s->keys_seen++;
	if (cmd_key_accept(s->ctx, key, st, detail, why, sizeof(why)) != PGP_OK) {
		reject(s, key ? key->pub.fpr : fpr, key ? key->pub.fprlen : fprlen, why);
		pgp_key_free(key);
		return 0;
	}
	memset(&counts, 0, sizeof(counts));
	/* What a merge adds goes to our peers too (spec 4.5), unless no
	 * peer is configured: then nothing would ever empty the queue. */
	if (s->ctx->sync_enqueue)
		sst = store_merge_key_sync(s->ctx->store, key, &s->ctx->lim,
		    &counts, s->ctx->sync_trail, s->ctx->sync_ntrail);
	else
		sst = store_merge_key(s->ctx->store, key, &s->ctx->lim, &counts);
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

static void
add_binary(struct add_state *s, const uint8_t *data, size_t len)
{
	s->blocks++;
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

/* Does data start with a primary key packet header (public or secret,
 * old or new format)? */
static bool
starts_with_key(const uint8_t *data, size_t len)
{
	uint8_t tag;

	if (len == 0 || !(data[0] & 0x80))
		return false;
	tag = (data[0] & 0x40) ? data[0] & 0x3f : (data[0] >> 2) & 0x0f;
	return tag == PGP_TAG_PUBKEY || tag == PGP_TAG_SECKEY;
}

static void
add_part(struct add_state *s, const uint8_t *data, size_t len)
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

	if (s->st != STORE_OK) {
		free(s->lines.data);
		return s->st;
	}
	if (r->keys_stored == 0) {
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

	/* pks's labels and order, plus the two the spec adds. */
	if (t->new_keys)
		buf_printf(b, "  New public keys added: %u\n", t->new_keys);
	if (t->new_revocations)
		buf_printf(b, "  New revocation signatures added: %u\n", t->new_revocations);
	if (t->new_uids)
		buf_printf(b, "  New userid's added: %u\n", t->new_uids);
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
		add_part(&s, parts[i].data, parts[i].len);
	return add_finish(&s, r);
}

enum store_status
cmd_add_blob(struct cmd_ctx *ctx, const uint8_t *data, size_t len, struct cmd_result *r)
{
	struct add_state s;

	add_state_init(&s, ctx, r);
	add_part(&s, data, len);
	return add_finish(&s, r);
}
