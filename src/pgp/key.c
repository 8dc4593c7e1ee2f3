/*
 * pgp/key.c - split a packet stream into transferable public keys
 * (RFC 9580 10.1) and build struct pgp_key for each.
 *
 * Input is untrusted binary from mail (after dearmoring). Framing and
 * packet parsing live in packet.c; this file applies the key grammar:
 *
 *   primary key (tag 6)
 *   direct-key signatures and key revocations (types 0x1f, 0x20)
 *   user IDs (13) and user attributes (17), each followed by signatures
 *   subkeys (14), each followed by signatures
 *
 * Rules for everything that does not fit, in the spirit of "keep what is
 * well-formed, refuse what is dangerous":
 *  - trust (12), marker (10) and padding (21) packets are dropped silently
 *    wherever they are (keyrings interleave trust packets);
 *  - a secret key packet (5 or 7) anywhere makes the whole key
 *    PGP_ERR_SECRET and nothing of it is kept (the callback still gets the
 *    fingerprint when the public part can be read);
 *  - message packets (1, 3, 4, 8, 9, 11, 18, 19, 20) make the key
 *    PGP_ERR_FORBIDDEN: a key that contains them is not a key;
 *  - a signature that does not parse is dropped. Any other signature
 *    between the primary key and the first user ID is kept with the
 *    direct-key signatures, whatever its type: pgp_key_check moves a
 *    certification found there to the user ID it was made over (keys
 *    pasted together by hand put them there) or drops it, and says so;
 *  - a v2/v3 (PGP 2.x) primary key is refused (PGP_ERR_VERSION) by
 *    policy, after its MD5 fingerprint is computed to name it in the
 *    report; v5 (LibrePGP) and unknown versions are refused too;
 *  - octets after the public key material of a key packet of a known
 *    algorithm are cut off (fingerprint and signatures cover the public
 *    part, as in GnuPG) and reported; the one case seen in the wild is
 *    a secret key's encrypted fields behind a public key tag, which
 *    must never be stored;
 *  - a subkey of version 5 or of unknown version, or with unreadable
 *    material, is dropped together with the signatures that follow it;
 *  - a packet of unknown tag (15, 16, 22..63, including the private and
 *    experimental tags 60..63) is dropped, and so are the signatures that
 *    follow it: they belong to it, not to the component before it. This
 *    is what the RFC's "ignore unknown packets" means for a key, and it
 *    keeps such signatures from being attached to the wrong component;
 *  - partial and indeterminate body lengths are refused (they are only
 *    meant for streamed data packets) as PGP_ERR_MALFORMED;
 *  - struct pgp_limits bounds each key; going over is PGP_ERR_LIMIT.
 * After a refused key we resynchronise at the next tag 6 or 5 packet.
 * Packets before the first primary key are reported once as
 * PGP_ERR_NO_PRIMARY (a secret subkey among them once as PGP_ERR_SECRET).
 * A framing error (bad header, truncation) ends the stream: the key being
 * read is reported with that error and pgp_keys_read returns it.
 *
 * Memory: a key handed to the callback with PGP_OK belongs to the callee
 * (pgp_key_free). Packet bodies are copied out of the input, so the input
 * may be freed after pgp_keys_read returns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "util/limits.h"
#include "util/rd.h"
#include "util/xalloc.h"

void *
pgp_grow(void *arr, size_t n, size_t sz)
{
	if (n == 0)
		return xreallocarray(arr, 1, sz);
	if ((n & (n - 1)) == 0)
		return xreallocarray(arr, n * 2, sz);
	return arr;
}

void
pgp_sig_clear(struct pgp_sig *sig)
{
	free(sig->pkt.body);
	memset(sig, 0, sizeof(*sig));
}

void
pgp_component_clear(struct pgp_component *c)
{
	size_t i;

	for (i = 0; i < c->nsigs; i++)
		free(c->sigs[i].pkt.body);
	free(c->sigs);
	free(c->pkt.body);
	memset(c, 0, sizeof(*c));
}

void
pgp_key_free(struct pgp_key *key)
{
	size_t i;

	if (key == NULL)
		return;
	free(key->pkt.body);
	for (i = 0; i < key->nsigs; i++)
		free(key->sigs[i].pkt.body);
	free(key->sigs);
	for (i = 0; i < key->nuids; i++)
		pgp_component_clear(&key->uids[i]);
	free(key->uids);
	for (i = 0; i < key->nsubkeys; i++)
		pgp_component_clear(&key->subkeys[i]);
	free(key->subkeys);
	free(key->verified);
	free(key);
}

/* Where the next signature goes. */
enum at {
	AT_PRIMARY,	/* after the primary key: direct sigs, revocations */
	AT_UID,		/* after a user ID or attribute: last of key->uids */
	AT_SUBKEY,	/* after a subkey: the last of key->subkeys */
	AT_SKIP,	/* after a dropped packet: signatures are dropped too */
};

struct kb {	/* the key being built, and the reading state */
	struct pgp_limits lim;
	pgp_key_cb cb;
	void *ctx;
	bool in_key;		/* a primary (tag 5 or 6) has been seen */
	bool junk_reported;	/* NO_PRIMARY said for leading packets */
	bool junk_secret_reported;	/* SECRET said for a leading tag 7 */
	struct pgp_key *key;	/* the key being built; NULL once refused */
	enum pgp_status st;	/* why the current key is refused */
	char detail[200];
	uint8_t fpr[32];
	size_t fprlen;
	size_t npackets;
	size_t nbytes;
	enum at at;
};

static void refuse(struct kb *a, enum pgp_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Refuse the current key. The first reason wins, except that secret key
 * material overrides anything: it is the one the sender must hear about.
 */
static void
refuse(struct kb *a, enum pgp_status st, const char *fmt, ...)
{
	va_list ap;

	if (a->st != PGP_OK && !(st == PGP_ERR_SECRET && a->st != st))
		return;
	a->st = st;
	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
	pgp_key_free(a->key);
	a->key = NULL;
}

/* Report the current key, if any. Returns the callback's answer. */
static int
finish_key(struct kb *a)
{
	struct pgp_key *key = a->key;
	int rc;

	if (!a->in_key)
		return 0;
	a->in_key = false;
	a->key = NULL;
	if (a->st == PGP_OK && key != NULL)
		rc = a->cb(a->ctx, key, PGP_OK, key->pub.fpr, key->pub.fprlen,
		    NULL);
	else
		rc = a->cb(a->ctx, NULL, a->st, a->fpr, a->fprlen, a->detail);
	return rc;
}

static void
start_key(struct kb *a, const struct pgp_pkthdr *h)
{
	struct pgp_pubkey pub;
	enum pgp_status st;
	char why[160];

	a->in_key = true;
	a->key = NULL;
	a->st = PGP_OK;
	a->detail[0] = '\0';
	a->fprlen = 0;
	a->npackets = 1;
	a->nbytes = h->size;
	a->at = AT_PRIMARY;

	if (h->partial || h->indeterminate) {
		refuse(a, PGP_ERR_MALFORMED, "%s packet with %s length",
		    pgp_tag_name(h->tag), h->partial ? "partial body" :
		    "indeterminate");
		return;
	}
	why[0] = '\0';
	st = pgp_pubkey_parse(h->body, h->len, h->tag == PGP_TAG_SECKEY,
	    &pub, why, sizeof(why));
	if (pub.fprlen) {
		memcpy(a->fpr, pub.fpr, pub.fprlen);
		a->fprlen = pub.fprlen;
	}
	if (h->tag == PGP_TAG_SECKEY) {
		refuse(a, PGP_ERR_SECRET, "secret key material (secret key "
		    "packet) refused");
		return;
	}
	if (pub.version < 4) {
		/* Policy: parsed and named (MD5 fingerprint), not stored.
		 * PGP 2 keys rest on MD5 and RSA moduli from the 1990s;
		 * RFC 9580 5.5.2.1 forbids generating them, GnuPG 2.2
		 * skips them and no current implementation uses them. */
		refuse(a, PGP_ERR_VERSION, "v%u keys (PGP 2.x) are obsolete "
		    "(RFC 9580 forbids generating them); keymail does not "
		    "store them", pub.version);
		return;
	}
	if (st != PGP_OK) {
		refuse(a, st, "primary key: %s", why);
		return;
	}
	if (a->lim.max_key_size && h->size > a->lim.max_key_size) {
		refuse(a, PGP_ERR_LIMIT, "key larger than max_key_size "
		    "(%zu octets)", a->lim.max_key_size);
		return;
	}
	a->key = xcalloc(1, sizeof(*a->key));
	a->key->pkt.tag = PGP_TAG_PUBKEY;
	/* Octets after the public material are not kept (pgp.h). */
	a->key->pkt.len = h->len - pub.trailing;
	a->key->pkt.body = xmemdup(h->body, a->key->pkt.len);
	a->key->pub = pub;
	a->key->pub.trailing = 0;
	a->key->trimmed_packets = pub.trailing != 0;
	a->key->primary_uid = -1;
}

static void
add_sig(struct kb *a, const struct pgp_pkthdr *h)
{
	struct pgp_key *key = a->key;
	struct pgp_sig s, **arr;
	size_t *n;

	switch (a->at) {
	case AT_PRIMARY:
		arr = &key->sigs;
		n = &key->nsigs;
		break;
	case AT_UID:
		arr = &key->uids[key->nuids - 1].sigs;
		n = &key->uids[key->nuids - 1].nsigs;
		break;
	case AT_SUBKEY:
		arr = &key->subkeys[key->nsubkeys - 1].sigs;
		n = &key->subkeys[key->nsubkeys - 1].nsigs;
		break;
	default:
		key->skipped_sigs++;	/* belongs to a dropped packet */
		return;
	}
	memset(&s, 0, sizeof(s));
	s.pkt.tag = PGP_TAG_SIG;
	s.pkt.body = xmemdup(h->body, h->len);
	s.pkt.len = h->len;
	if (pgp_sig_parse(&s) != PGP_OK) {
		/* malformed: dropped, the key lives on */
		key->skipped_sigs++;
		free(s.pkt.body);
		return;
	}
	*arr = pgp_grow(*arr, *n, sizeof(**arr));
	(*arr)[(*n)++] = s;
}

static void
add_component(struct kb *a, const struct pgp_pkthdr *h)
{
	struct pgp_key *key = a->key;
	struct pgp_component c;

	memset(&c, 0, sizeof(c));
	if (h->tag == PGP_TAG_PUBSUBKEY) {
		if (pgp_pubkey_parse(h->body, h->len, false, &c.sub, NULL,
		    0) != PGP_OK || (c.sub.version != 4 &&
		    c.sub.version != 6)) {
			a->at = AT_SKIP;	/* v5/unknown/bad subkey */
			key->skipped_packets++;
			return;
		}
	}
	c.pkt.tag = h->tag;
	c.pkt.len = h->len - c.sub.trailing;	/* 0 unless a subkey */
	c.pkt.body = xmemdup(h->body, c.pkt.len);
	if (c.sub.trailing != 0) {
		key->trimmed_packets++;
		c.sub.trailing = 0;
	}
	if (h->tag == PGP_TAG_PUBSUBKEY) {
		key->subkeys = pgp_grow(key->subkeys, key->nsubkeys,
		    sizeof(*key->subkeys));
		key->subkeys[key->nsubkeys++] = c;
		a->at = AT_SUBKEY;
	} else {
		key->uids = pgp_grow(key->uids, key->nuids, sizeof(*key->uids));
		key->uids[key->nuids++] = c;
		a->at = AT_UID;
	}
}

static bool
forbidden_tag(uint8_t tag)
{
	switch (tag) {
	case 1: case 3: case 4: case 8: case 9: case 11: case 18: case 19:
	case 20:
		return true;
	default:
		return false;
	}
}

/* A packet after the primary key, while a key is open. */
static void
key_packet(struct kb *a, const struct pgp_pkthdr *h)
{
	a->npackets++;
	a->nbytes += h->size;
	if (h->tag == PGP_TAG_SECSUBKEY) {
		refuse(a, PGP_ERR_SECRET, "secret key material (secret subkey "
		    "packet) refused");
		return;
	}
	if (a->st != PGP_OK)
		return;		/* skipping to the next primary */
	if (a->lim.max_packets_per_key &&
	    a->npackets > a->lim.max_packets_per_key) {
		refuse(a, PGP_ERR_LIMIT, "key has more than "
		    "max_packets_per_key (%zu) packets",
		    a->lim.max_packets_per_key);
		return;
	}
	if (a->lim.max_key_size && a->nbytes > a->lim.max_key_size) {
		refuse(a, PGP_ERR_LIMIT, "key larger than max_key_size "
		    "(%zu octets)", a->lim.max_key_size);
		return;
	}
	if (forbidden_tag(h->tag)) {
		refuse(a, PGP_ERR_FORBIDDEN, "%s packet (tag %u) inside a key",
		    pgp_tag_name(h->tag), h->tag);
		return;
	}
	if (h->partial || h->indeterminate) {
		refuse(a, PGP_ERR_MALFORMED, "%s packet with %s length inside "
		    "a key", pgp_tag_name(h->tag), h->partial ?
		    "partial body" : "indeterminate");
		return;
	}
	switch (h->tag) {
	case PGP_TAG_SIG:
		add_sig(a, h);
		break;
	case PGP_TAG_UID:
		if (a->lim.max_uid_length && h->len > a->lim.max_uid_length) {
			refuse(a, PGP_ERR_LIMIT, "user ID longer than "
			    "max_uid_length (%zu octets)",
			    a->lim.max_uid_length);
			return;
		}
		add_component(a, h);
		break;
	case PGP_TAG_UAT:
	case PGP_TAG_PUBSUBKEY:
		add_component(a, h);
		break;
	case PGP_TAG_TRUST:
	case PGP_TAG_MARKER:
	case PGP_TAG_PADDING:
		break;		/* dropped; attribution of sigs unchanged */
	default:
		a->at = AT_SKIP;	/* unknown tag: see the top comment */
		a->key->skipped_packets++;
		break;
	}
}

/* A secret subkey before any primary: the sender must hear that secret
 * material was refused, not merely that the data had no primary key. */
static int
junk_secret(struct kb *a, const struct pgp_pkthdr *h)
{
	struct pgp_pubkey pub;

	if (a->junk_secret_reported)
		return 0;
	a->junk_secret_reported = true;
	memset(&pub, 0, sizeof(pub));
	if (!h->partial)
		(void)pgp_pubkey_parse(h->body, h->len, true, &pub, NULL, 0);
	return a->cb(a->ctx, NULL, PGP_ERR_SECRET, pub.fpr, pub.fprlen,
	    "secret key material (secret subkey packet) refused");
}

enum pgp_status
pgp_keys_read(const uint8_t *data, size_t len, const struct pgp_limits *lim,
    pgp_key_cb cb, void *ctx)
{
	struct kb a;
	struct rd r;
	struct pgp_pkthdr h;
	enum pgp_status st = PGP_OK;
	char why[160];

	memset(&a, 0, sizeof(a));
	if (lim != NULL) {
		a.lim = *lim;
	} else {
		a.lim.max_key_size = KM_MAX_KEY_SIZE;
		a.lim.max_packets_per_key = KM_MAX_PACKETS_PER_KEY;
		a.lim.max_uid_length = KM_MAX_UID_LENGTH;
	}
	a.cb = cb;
	a.ctx = ctx;
	if (len == 0) {
		(void)cb(ctx, NULL, PGP_ERR_NO_PRIMARY, NULL, 0,
		    "no OpenPGP packets");
		return PGP_OK;
	}
	rd_init(&r, data, len);
	while (r.left > 0) {
		size_t off = len - r.left;

		st = pgp_packet_next(&r, &h);
		if (st != PGP_OK) {
			/* Framing is lost: nothing after this can be read. */
			if (st == PGP_ERR_TRUNCATED)
				snprintf(why, sizeof(why), "packet at offset "
				    "%zu runs past the end of the data", off);
			else
				snprintf(why, sizeof(why), "invalid packet "
				    "header at offset %zu", off);
			if (a.in_key) {
				refuse(&a, st, "%s", why);
				(void)finish_key(&a);
			}
			return st;
		}
		if (h.tag == PGP_TAG_PUBKEY || h.tag == PGP_TAG_SECKEY) {
			if (finish_key(&a) != 0)
				return PGP_OK;
			start_key(&a, &h);
		} else if (a.in_key) {
			key_packet(&a, &h);
		} else if (h.tag == PGP_TAG_MARKER || h.tag == PGP_TAG_TRUST ||
		    h.tag == PGP_TAG_PADDING) {
			/* ignorable anywhere, also before the first key */
		} else if (h.tag == PGP_TAG_SECSUBKEY) {
			if (junk_secret(&a, &h) != 0)
				return PGP_OK;
		} else if (!a.junk_reported) {
			a.junk_reported = true;
			snprintf(why, sizeof(why), "data starts with a %s "
			    "packet (tag %u), not a public key",
			    pgp_tag_name(h.tag), h.tag);
			if (cb(ctx, NULL, PGP_ERR_NO_PRIMARY, NULL, 0,
			    why) != 0)
				return PGP_OK;
		}
		if (h.indeterminate) {
			(void)finish_key(&a);
			return PGP_ERR_MALFORMED;
		}
	}
	(void)finish_key(&a);
	return PGP_OK;
}

/* ---- pgp_key_parse_one --------------------------------------------------- */

struct one {
	struct pgp_key *key;
	enum pgp_status st;
	int nkeys;
};

static int
one_cb(void *ctx, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	struct one *o = ctx;

	(void)fpr;
	(void)fprlen;
	(void)detail;
	o->nkeys++;
	if (st != PGP_OK) {
		if (o->st == PGP_OK)
			o->st = st;
		return 1;
	}
	if (o->nkeys > 1) {
		pgp_key_free(key);
		o->st = PGP_ERR_MALFORMED;	/* more than one key */
		return 1;
	}
	o->key = key;
	return 0;
}

struct pgp_key *
pgp_key_parse_one(const uint8_t *data, size_t len,
    const struct pgp_limits *lim, enum pgp_status *stp)
{
	struct one o;
	enum pgp_status st;

	memset(&o, 0, sizeof(o));
	st = pgp_keys_read(data, len, lim, one_cb, &o);
	if (o.st == PGP_OK && st != PGP_OK)
		o.st = st;
	if (o.st == PGP_OK && o.key == NULL)
		o.st = PGP_ERR_NO_PRIMARY;
	if (o.st != PGP_OK) {
		pgp_key_free(o.key);
		o.key = NULL;
	}
	if (stp)
		*stp = o.st;
	return o.key;
}
