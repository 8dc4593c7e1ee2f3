/*
 * cmd/owner_control.c - the checks on an owner command's control block
 * (owner-control.md 5.1-5.3); see owner_control.h.
 *
 * DESCRIPTION
 *	Check order, cheapest first, each failing closed with its own
 *	reason line:
 *
 *	1  exactly one BEGIN PGP SIGNED MESSAGE line in all text/plain
 *	   parts together (none: CONTROL_ABSENT, unless a part holds a
 *	   BEGIN PGP MESSAGE line - gpg --sign output, refused as C7
 *	   says, so that it does not turn into a challenge); the block at most
 *	   max_control_size bytes; no armor header but Hash:; dash escapes,
 *	   signature armor (CRC when present) and packets well formed
 *	   (pgp/clearsign.c).
 *	2  the signed text: "keymail-control: 1", then one "name: value"
 *	   per line (keyserver, command, fingerprint, argument..., nonce);
 *	   unknown, repeated, missing or empty fields refused; values are
 *	   single words of printable ASCII; REPLACE ends with an empty line
 *	   and one public key block, the others with nothing. keyserver
 *	   equals the robot's address; command, fingerprint and arguments,
 *	   read with the Subject grammar (mail/owner_cmd.c), equal the
 *	   Subject's.
 *	3  exactly one signature packet; its version that of the key; type
 *	   0x01; hash SHA2-224/256/384/512 or SHA3-256/512; no unknown
 *	   critical subpacket; the issuer fingerprint (or, v4 only, the
 *	   issuer key ID) names the primary key or one of its subkeys.
 *	4  the signer: the primary key, or a subkey whose newest valid
 *	   binding says it may sign (key flag 0x02) - pgp_key_check() has
 *	   then verified its back-signature, or dropped the binding; not
 *	   revoked, the primary key not revoked; neither expired at the
 *	   signature's creation time (by the newest binding self-signature
 *	   made by then), nor made after it.
 *	5  the signature verifies over the canonical text (pgp_doc_verify).
 *	6  (pure part) the hashed creation time lies in
 *	   [now - control_max_age, now + control_max_skew]; a signature
 *	   expiration time, if any, has not passed.
 *
 * MEMORY
 *	The block owns the parsed clearsigned message and the REPLACE key
 *	text; control_block_free() releases them.
 *
 * SECURITY
 *	The parts and the Subject come from mail; the reasons never quote
 *	them (only fingerprints of the stored key, printed by us). The key
 *	comes from the store but is treated as untrusted, like all keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/owner_control.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/xalloc.h"

enum field { F_KEYSERVER, F_COMMAND, F_FINGERPRINT, F_ARGUMENT, F_NONCE,
    NFIELDS };
static const char *const field_names[NFIELDS] = {
	"keyserver", "command", "fingerprint", "argument", "nonce",
};

void
control_limits_default(struct control_limits *lim)
{
	lim->max_control_size = KM_MAX_CONTROL_SIZE;
	lim->control_max_age = KM_CONTROL_MAX_AGE;
	lim->control_max_skew = KM_CONTROL_MAX_SKEW;
}

static enum control_status
refuse(struct control_block *b, const char *fmt, const char *arg)
{
	char line[sizeof(b->reason) - 10];

	snprintf(line, sizeof(line), fmt, arg ? arg : "");
	snprintf(b->reason, sizeof(b->reason), "refused: %s", line);
	return CONTROL_REFUSED;
}

/* ---- check 1 ----------------------------------------------------------- */

static bool
is_text_plain(const struct mail_part *p)
{
	return p->content_type != NULL &&
	    strcmp(p->content_type, "text/plain") == 0;
}

/* A "-----BEGIN PGP MESSAGE-----" line (blanks around it aside): what
 * gpg --sign (or --encrypt) makes. */
static bool
has_pgp_message(const char *text, size_t len)
{
	static const char begin[] = "-----BEGIN PGP MESSAGE-----";
	const char *p = text, *end = text + len, *nl;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
		    p[n - 1] == '\r'))
			n--;
		if (n == sizeof(begin) - 1 && memcmp(p, begin, n) == 0)
			return true;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return false;
}

/* ---- check 2: the fields ----------------------------------------------- */

/* One line of the canonical text (CRLF-separated). */
struct tline {
	const char *p;
	size_t n;
};

/* A reader of those lines: the text has one line more than it has
 * CRLFs (an empty text is one empty line). */
struct lines {
	const char *text;
	size_t len;
	size_t pos;
	bool done;
};

static bool
next_tline(struct lines *r, struct tline *l)
{
	size_t i;

	if (r->done)
		return false;
	for (i = r->pos; i + 1 < r->len; i++)
		if (r->text[i] == '\r' && r->text[i + 1] == '\n')
			break;
	l->p = r->text + r->pos;
	if (i + 1 < r->len) {
		l->n = i - r->pos;
		r->pos = i + 2;
	} else {
		l->n = r->len - r->pos;
		r->pos = r->len;
		r->done = true;
	}
	return true;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "name: value" with the value trimmed; false if no colon. */
static bool
split_field(struct tline l, struct tline *name, struct tline *value)
{
	const char *colon = memchr(l.p, ':', l.n);

	if (colon == NULL)
		return false;
	name->p = l.p;
	name->n = (size_t)(colon - l.p);
	value->p = colon + 1;
	value->n = l.n - name->n - 1;
	while (value->n > 0 && is_blank(value->p[0])) {
		value->p++;
		value->n--;
	}
	while (value->n > 0 && is_blank(value->p[value->n - 1]))
		value->n--;
	return true;
}

static bool
tline_is(struct tline l, const char *s)
{
	return l.n == strlen(s) && memcmp(l.p, s, l.n) == 0;
}

/* A value: one word of printable ASCII, not empty. */
static bool
value_ok(struct tline v)
{
	size_t i;

	if (v.n == 0)
		return false;
	for (i = 0; i < v.n; i++)
		if ((unsigned char)v.p[i] <= 0x20 || (unsigned char)v.p[i] >= 0x7f)
			return false;
	return true;
}

static bool
nonce_ok(struct tline v)
{
	size_t i;

	if (v.n < 16 || v.n > 64)
		return false;
	for (i = 0; i < v.n; i++) {
		char c = v.p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int
count_block(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	int *n = ctx;

	(void)data; (void)len; (void)crc_ok;
	*n += kind == PGP_ARMOR_PUBLIC_KEY && st == PGP_OK ? 1 : 100;
	return 0;
}

/*
 * REPLACE: what follows the empty line after the fields must be one
 * public key block and nothing else but empty lines. Kept with LF ends.
 */
static enum control_status
take_key(struct control_block *b, struct lines *r, size_t max_size)
{
	struct buf k;
	struct tline l;
	bool begun = false, ended = false, junk = false;
	int blocks = 0;

	buf_init(&k, 0);
	while (!junk && next_tline(r, &l)) {
		if (l.n == 0 && (!begun || ended))
			continue;
		if (!begun && tline_is(l, "-----BEGIN PGP PUBLIC KEY BLOCK-----"))
			begun = true;
		else if (!begun || ended)
			junk = true;
		else if (tline_is(l, "-----END PGP PUBLIC KEY BLOCK-----"))
			ended = true;
		(void)buf_append(&k, l.p, l.n);
		(void)buf_putc(&k, '\n');
	}
	if (!ended || junk) {
		buf_free(&k);
		return refuse(b, "malformed control block (REPLACE needs "
		    "one public key block after the fields)", NULL);
	}
	(void)pgp_armor_scan((const char *)k.data, k.len, max_size,
	    count_block, &blocks);
	if (blocks != 1) {
		buf_free(&k);
		return refuse(b, "malformed control block (the public key "
		    "block does not decode)", NULL);
	}
	b->key_armor = (char *)buf_detach(&k, &b->key_armor_len);
	return CONTROL_OK;
}

/* Read the fields; on success the block's command text is in words
 * (command, fingerprint, arguments, blank-separated). */
static enum control_status
read_fields(struct control_block *b, struct tline *keyserver,
    struct buf *words, size_t max_size)
{
	struct lines r = { (const char *)b->cs.text, b->cs.text_len, 0, false };
	struct tline l, name, value, cmd = { NULL, 0 }, fpr = { NULL, 0 };
	unsigned seen[NFIELDS] = { 0 };
	struct buf args;	/* " arg" each, after command and fingerprint */
	size_t i;

	if (!next_tline(&r, &l) || !split_field(l, &name, &value) ||
	    !tline_is(name, "keymail-control") || !tline_is(value, "1"))
		return refuse(b, "malformed control block (the first line "
		    "must be \"keymail-control: 1\")", NULL);
	buf_init(&args, 0);
	while (next_tline(&r, &l) && l.n > 0) {
		if (!split_field(l, &name, &value)) {
			buf_free(&args);
			return refuse(b, "malformed control block (a line is "
			    "not \"name: value\")", NULL);
		}
		for (i = 0; i < NFIELDS; i++)
			if (tline_is(name, field_names[i]))
				break;
		if (i == NFIELDS) {
			buf_free(&args);
			return refuse(b, "malformed control block (unknown "
			    "field)", NULL);
		}
		if (seen[i]++ > 0 && i != F_ARGUMENT) {
			buf_free(&args);
			return refuse(b, "malformed control block (field %s "
			    "repeated)", field_names[i]);
		}
		if (!value_ok(value)) {
			buf_free(&args);
			return refuse(b, "malformed control block (field %s "
			    "empty or not one word)", field_names[i]);
		}
		switch ((enum field)i) {
		case F_KEYSERVER:
			*keyserver = value;
			break;
		case F_COMMAND:
			cmd = value;
			break;
		case F_FINGERPRINT:
			fpr = value;
			break;
		case F_ARGUMENT:
			if (seen[i] > OWNER_MAX_ARGS) {
				buf_free(&args);
				return refuse(b, "Subject and control block "
				    "differ", NULL);
			}
			(void)buf_putc(&args, ' ');
			(void)buf_append(&args, value.p, value.n);
			break;
		case F_NONCE:
			if (!nonce_ok(value)) {
				buf_free(&args);
				return refuse(b, "malformed control block "
				    "(nonce: 16 to 64 of A-Z a-z 0-9 _ -)",
				    NULL);
			}
			memcpy(b->nonce, value.p, value.n);
			b->nonce[value.n] = '\0';
			break;
		case NFIELDS:
			break;
		}
	}
	for (i = 0; i < NFIELDS; i++)
		if (i != F_ARGUMENT && seen[i] == 0) {
			buf_free(&args);
			return refuse(b, "malformed control block (field %s "
			    "missing)", field_names[i]);
		}
	(void)buf_append(words, cmd.p, cmd.n);
	(void)buf_putc(words, ' ');
	(void)buf_append(words, fpr.p, fpr.n);
	(void)buf_append(words, args.data, args.len);
	buf_free(&args);
	/* After the fields: nothing, or (REPLACE) the key. */
	if (owner_cmd_lookup(cmd.p, cmd.n) == OWNER_CMD_REPLACE)
		return take_key(b, &r, max_size);
	while (next_tline(&r, &l))
		if (l.n > 0)
			return refuse(b, "malformed control block (text "
			    "after the fields)", NULL);
	return CONTROL_OK;
}

static bool
same_address(const char *a, size_t an, const char *b)
{
	char ca[OWNER_ARG_MAX], cb[OWNER_ARG_MAX];

	if (!owner_canon_address(a, an, ca))
		return false;
	if (!owner_canon_address(b, strlen(b), cb))
		return strlen(b) == an && strncasecmp(a, b, an) == 0;
	return owner_address_equal(ca, cb);
}

enum control_status
owner_control_parse(const struct mail_part *parts, size_t nparts,
    const struct owner_cmd *subject, const char *robot_address,
    const struct control_limits *lim, struct control_block *out)
{
	struct control_limits def;
	const struct mail_part *part = NULL;
	struct tline keyserver = { NULL, 0 };
	struct buf words;
	enum pgp_cs_status cst;
	enum control_status st;
	const char *why;
	size_t i, n, count = 0;
	bool opaque = false;

	memset(out, 0, sizeof(*out));
	if (lim == NULL) {
		control_limits_default(&def);
		lim = &def;
	}
	for (i = 0; i < nparts; i++) {
		if (!is_text_plain(&parts[i]))
			continue;
		n = pgp_clearsign_count((const char *)parts[i].data,
		    parts[i].len);
		if (n > 0 && part == NULL)
			part = &parts[i];
		count += n;
		if (n == 0 && !opaque)
			opaque = has_pgp_message((const char *)parts[i].data,
			    parts[i].len);
	}
	if (count == 0 && !opaque)
		return CONTROL_ABSENT;
	if (subject == NULL || subject->malformed ||
	    !owner_cmd_is_owner(subject->kind))
		return refuse(out, "a control block goes with an owner "
		    "command only", NULL);
	/* C7: clearsigned only; a signed PGP MESSAGE is no way around it. */
	if (count == 0)
		return refuse(out, "a control block must be clearsigned "
		    "(gpg --clearsign), not a PGP MESSAGE", NULL);
	if (count > 1)
		return refuse(out, "more than one signed block in the message",
		    NULL);
	cst = pgp_clearsign_parse((const char *)part->data, part->len,
	    lim->max_control_size, &out->cs, &why);
	switch (cst) {
	case PGP_CS_OK:
		break;
	case PGP_CS_LIMIT:
		return refuse(out, "control block larger than "
		    "max_control_size", NULL);
	case PGP_CS_HEADER:
		return refuse(out, "armor header other than Hash: in the "
		    "signed block", NULL);
	default:
		return refuse(out, "malformed signed block (%s)", why);
	}
	/* Check 2. */
	buf_init(&words, 0);
	st = read_fields(out, &keyserver, &words, lim->max_control_size);
	if (st == CONTROL_OK && !same_address(keyserver.p, keyserver.n,
	    robot_address ? robot_address : ""))
		st = refuse(out, "control block is for another keyserver",
		    NULL);
	if (st == CONTROL_OK &&
	    (owner_cmd_parse((const char *)words.data, &out->cmd) ==
	    OWNER_CMD_NONE || !owner_cmd_same(&out->cmd, subject)))
		st = refuse(out, "Subject and control block differ", NULL);
	buf_free(&words);
	return st;
}

/* ---- checks 3 to 6 ----------------------------------------------------- */

/* Hashes a new message may use (owner-control.md 5.2 check 3); NULL if
 * refused, else the name. */
static const char *
hash_accepted(uint8_t algo)
{
	switch (algo) {
	case PGP_HASH_SHA224: return "SHA2-224";
	case PGP_HASH_SHA256: return "SHA2-256";
	case PGP_HASH_SHA384: return "SHA2-384";
	case PGP_HASH_SHA512: return "SHA2-512";
	case PGP_HASH_SHA3_256: return "SHA3-256";
	case PGP_HASH_SHA3_512: return "SHA3-512";
	default: return NULL;
	}
}

static const char *
hash_name(uint8_t algo)
{
	switch (algo) {
	case PGP_HASH_MD5: return "MD5";
	case PGP_HASH_SHA1: return "SHA-1";
	case PGP_HASH_RIPEMD160: return "RIPEMD-160";
	default: return "unknown";
	}
}

/* The signer the signature names: the primary key (*sub NULL) or a
 * subkey; false if it names none of them. */
static bool
find_signer(const struct pgp_key *key, const struct pgp_sig *s,
    const struct pgp_component **sub)
{
	size_t i;

	*sub = NULL;
	if (s->issuer_fpr_len != 0) {
		if (s->issuer_fpr_len == key->pub.fprlen &&
		    memcmp(s->issuer_fpr, key->pub.fpr, key->pub.fprlen) == 0)
			return true;
		for (i = 0; i < key->nsubkeys; i++) {
			const struct pgp_pubkey *p = &key->subkeys[i].sub;

			if (s->issuer_fpr_len == p->fprlen &&
			    memcmp(s->issuer_fpr, p->fpr, p->fprlen) == 0) {
				*sub = &key->subkeys[i];
				return true;
			}
		}
		return false;
	}
	if (s->version != 4 || !s->has_issuer)
		return false;
	if (memcmp(s->issuer, key->pub.keyid, 8) == 0)
		return true;
	for (i = 0; i < key->nsubkeys; i++)
		if (memcmp(s->issuer, key->subkeys[i].sub.keyid, 8) == 0) {
			*sub = &key->subkeys[i];
			return true;
		}
	return false;
}

/* Is s a GOOD self-signature of key that binds (sets the expiry of) what
 * it sits on: a user-ID certification or direct-key signature on the
 * primary key, a subkey binding on a subkey? */
static bool
binds(const struct pgp_key *key, const struct pgp_sig *s, bool on_subkey)
{
	if (s->state != PGP_SIG_GOOD)
		return false;
	if (s->issuer_fpr_len != 0 ? s->issuer_fpr_len != key->pub.fprlen ||
	    memcmp(s->issuer_fpr, key->pub.fpr, key->pub.fprlen) != 0 :
	    !s->has_issuer || memcmp(s->issuer, key->pub.keyid, 8) != 0)
		return false;	/* GOOD third-party certifications */
	if (on_subkey)
		return s->type == PGP_SIG_SUBKEY_BINDING;
	return s->type == PGP_SIG_DIRECT || (s->type >= PGP_SIG_CERT_GENERIC &&
	    s->type <= PGP_SIG_CERT_POSITIVE);
}

/* Of the binding self-signatures in sigs, the newest made at or before
 * when (*at) and the newest of all (*newest); NULL if none. */
static void
pick(const struct pgp_key *key, const struct pgp_sig *sigs, size_t n,
    bool on_subkey, uint32_t when, const struct pgp_sig **at,
    const struct pgp_sig **newest)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct pgp_sig *s = &sigs[i];

		if (!binds(key, s, on_subkey))
			continue;
		if (*newest == NULL || s->created > (*newest)->created)
			*newest = s;
		if (s->created <= when &&
		    (*at == NULL || s->created > (*at)->created))
			*at = s;
	}
}

/*
 * Had the key (or subkey) with this creation time expired at when? By
 * the expiry its newest binding self-signature made at or before when
 * gave it (a later one cannot undo an expiry, nor make a signature
 * made before it too late); the newest binding when all are later.
 */
static bool
expired_at(uint32_t created, const struct pgp_sig *at,
    const struct pgp_sig *newest, uint32_t when)
{
	const struct pgp_sig *b = at ? at : newest;

	return b != NULL && b->key_expires != 0 &&
	    (uint64_t)when >= (uint64_t)created + b->key_expires;
}

/* Check 4 for the primary key: its expiry at when. */
static bool
primary_expired_at(const struct pgp_key *key, uint32_t when)
{
	const struct pgp_sig *at = NULL, *newest = NULL;
	size_t i;

	pick(key, key->sigs, key->nsigs, false, when, &at, &newest);
	for (i = 0; i < key->nuids; i++)
		pick(key, key->uids[i].sigs, key->uids[i].nsigs, false, when,
		    &at, &newest);
	return expired_at(key->pub.created, at, newest, when);
}

/* Check 4 for a subkey signer. */
static enum control_status
check_subkey(struct control_block *b, const struct pgp_key *key,
    const struct pgp_component *sub, uint32_t when)
{
	const struct pgp_sig *at = NULL, *bind = NULL;
	char hex[65];

	/* What the subkey may do: its newest binding says (a later binding
	 * without signing takes the right back at once). */
	pick(key, sub->sigs, sub->nsigs, true, when, &at, &bind);
	pgp_hex(sub->sub.fpr, sub->sub.fprlen, hex);
	if (sub->revoked)
		return refuse(b, "signed by subkey %s, which is revoked", hex);
	if (bind == NULL || (bind->key_flags & 0x02) == 0 ||
	    bind->embedded_len == 0)
		return refuse(b, "signed by subkey %s, which is not a signing "
		    "subkey with a back-signature", hex);
	if (when < sub->sub.created)
		return refuse(b, "signed before subkey %s was made", hex);
	if (expired_at(sub->sub.created, at, bind, when))
		return refuse(b, "subkey %s had expired when it signed", hex);
	return CONTROL_OK;
}

enum control_status
owner_control_verify(struct control_block *b, const struct pgp_key *key,
    time_t now, const struct control_limits *lim)
{
	struct control_limits def;
	const struct pgp_component *sub;
	const struct pgp_sig *s;
	const struct pgp_pubkey *signer;
	const struct pgp_packet *signer_pkt;
	char hex[65], want[65];
	const char *why;
	enum control_status st;

	if (lim == NULL) {
		control_limits_default(&def);
		lim = &def;
	}
	b->reason[0] = '\0';
	pgp_hex(key->pub.fpr, key->pub.fprlen, hex);
	if (strcmp(hex, b->cmd.fpr) != 0)
		return refuse(b, "signed by a key other than %s", hex);
	/* Check 3. */
	if (b->cs.nsigs != 1)
		return refuse(b, "not exactly one signature", NULL);
	s = &b->cs.sigs[0];
	if (s->version != key->pub.version)
		return refuse(b, "signature version does not match the key",
		    NULL);
	if (s->type != PGP_SIG_TEXT)
		return refuse(b, "not a signature over text (type 0x01)", NULL);
	if (hash_accepted(s->hashalgo) == NULL)
		return refuse(b, "hash algorithm %s not accepted",
		    hash_name(s->hashalgo));
	if (s->has_unknown_critical)
		return refuse(b, "unknown critical subpacket in the signature",
		    NULL);
	if (!find_signer(key, s, &sub))
		return refuse(b, "signed by a key other than %s", hex);
	/* Check 4. */
	if (key->revoked)
		return refuse(b, "key %s is revoked", hex);
	if (s->created < key->pub.created)
		return refuse(b, "signed before key %s was made", hex);
	if (primary_expired_at(key, s->created))
		return refuse(b, "key %s had expired when it signed", hex);
	if (sub != NULL && (st = check_subkey(b, key, sub, s->created)) !=
	    CONTROL_OK)
		return st;
	signer = sub ? &sub->sub : &key->pub;
	signer_pkt = sub ? &sub->pkt : &key->pkt;
	/* Check 5. */
	if (pgp_doc_verify(signer, signer_pkt, s, b->cs.text, b->cs.text_len,
	    &why) != PGP_SIG_GOOD)
		return refuse(b, "signature does not verify", NULL);
	/* Check 6, the pure part of 5.3. */
	if (s->created == 0)
		return refuse(b, "signature without creation time", NULL);
	if ((int64_t)s->created < (int64_t)now - lim->control_max_age)
		return refuse(b, "signed too long ago", NULL);
	if ((int64_t)s->created > (int64_t)now + lim->control_max_skew)
		return refuse(b, "signed in the future", NULL);
	if (s->sig_expires != 0 &&
	    (int64_t)now >= (int64_t)s->created + s->sig_expires)
		return refuse(b, "the signature has expired", NULL);
	b->created = s->created;
	pgp_hex(signer->fpr, signer->fprlen, want);
	memcpy(b->signer_fpr, want, sizeof(want));
	b->by_subkey = sub != NULL;
	return CONTROL_OK;
}

enum control_status
owner_control_check(const struct mail_part *parts, size_t nparts,
    const struct owner_cmd *subject, const char *robot_address,
    const struct pgp_key *key, time_t now, const struct control_limits *lim,
    struct control_block *out)
{
	enum control_status st;

	st = owner_control_parse(parts, nparts, subject, robot_address, lim,
	    out);
	if (st != CONTROL_OK)
		return st;
	if (key == NULL)
		return refuse(out, "no key with this fingerprint is stored "
		    "here", NULL);
	return owner_control_verify(out, key, now, lim);
}

void
control_block_free(struct control_block *b)
{
	if (b == NULL)
		return;
	pgp_clearsign_free(&b->cs);
	free(b->key_armor);
	b->key_armor = NULL;
	b->key_armor_len = 0;
}
