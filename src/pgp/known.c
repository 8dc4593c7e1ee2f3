/*
 * pgp/known.c - names of packets in their place, and what the store
 * already knows about a key (pgp.h, "known.c"): the names that let a
 * merge recognise a key that brings nothing new without reading the
 * stored copy, the verified entries that let a check skip the
 * public-key operations it has done before, and the counts of those
 * operations by kind.
 *
 * A name is the first 16 octets of SHA-256 over a domain octet, the
 * names of what the packet sits on and the packet's tag and length
 * (4 octets) and body:
 *	key packet	'K' tag len body
 *	component	'C' name(key) tag len body
 *	signature	'S' name(key) (name(component) or 16 zero octets)
 *			tag len body
 * Each packet is hashed once; a signature's name does not hash the key
 * and component bodies again. 16 octets are enough: making two packets
 * with the same name needs a SHA-256 collision of 2^64 work, and it
 * could only fool the store about packets the attacker made both of
 * (a second preimage of someone else's packet is 2^128).
 *
 * Input: parsed keys (struct pgp_key) and name lists read back from the
 * store, which are treated as untrusted only in that nothing read from
 * them is ever found that is not there (binary search with memcmp).
 * Memory: nothing here keeps anything; output goes to the caller's buf.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp.h"
#include "util/buf.h"
#include "util/xalloc.h"

static const char *const vkind_names[PGP_VK_COUNT] = {
	"RSA-1024", "RSA-2048", "RSA-3072", "RSA-4096", "RSA>4096", "DSA",
	"ECDSA", "EdDSA",
};

const char *
pgp_vkind_name(enum pgp_vkind k)
{
	return (unsigned)k < PGP_VK_COUNT ? vkind_names[k] : "?";
}

int
pgp_vkind_of(const struct pgp_pubkey *pub)
{
	switch (pub->algo) {
	case PGP_PK_RSA: case PGP_PK_RSA_E: case PGP_PK_RSA_S:
		if (pub->bits <= 1024)
			return PGP_VK_RSA1024;
		if (pub->bits <= 2048)
			return PGP_VK_RSA2048;
		if (pub->bits <= 3072)
			return PGP_VK_RSA3072;
		if (pub->bits <= 4096)
			return PGP_VK_RSA4096;
		return PGP_VK_RSA_LARGER;
	case PGP_PK_DSA:
		return PGP_VK_DSA;
	case PGP_PK_ECDSA:
		return PGP_VK_ECDSA;
	case PGP_PK_EDDSA_LEGACY: case PGP_PK_ED25519: case PGP_PK_ED448:
		return PGP_VK_EDDSA;
	default:
		return -1;
	}
}

void
pgp_vstats_add(struct pgp_vstats *a, const struct pgp_vstats *b)
{
	size_t i;

	for (i = 0; i < PGP_VK_COUNT; i++) {
		a->done[i] += b->done[i];
		a->skipped[i] += b->skipped[i];
	}
}

/* ---- names ------------------------------------------------------------- */

static void
name_of(uint8_t domain, const uint8_t *a, const uint8_t *b,
    const struct pgp_packet *p, uint8_t out[PGP_NAME_LEN])
{
	static const uint8_t zero[PGP_NAME_LEN];
	struct pgp_piece v[5];
	uint8_t hdr[6], d[32];
	size_t n = 0;

	hdr[0] = domain;
	hdr[1] = p->tag;
	hdr[2] = (uint8_t)(p->len >> 24);
	hdr[3] = (uint8_t)(p->len >> 16);
	hdr[4] = (uint8_t)(p->len >> 8);
	hdr[5] = (uint8_t)p->len;
	v[n].p = hdr;
	v[n++].n = 1;
	if (a != NULL) {
		v[n].p = a;
		v[n++].n = PGP_NAME_LEN;
	}
	if (domain == 'S') {
		v[n].p = b != NULL ? b : zero;
		v[n++].n = PGP_NAME_LEN;
	}
	v[n].p = hdr + 1;
	v[n++].n = 5;
	v[n].p = p->body;
	v[n++].n = p->len;
	pgp_sha256_pieces(v, n, d);
	memcpy(out, d, PGP_NAME_LEN);
}

void
pgp_name_key(const struct pgp_packet *p, uint8_t out[PGP_NAME_LEN])
{
	name_of('K', NULL, NULL, p, out);
}

void
pgp_name_component(const uint8_t kname[PGP_NAME_LEN],
    const struct pgp_packet *c, uint8_t out[PGP_NAME_LEN])
{
	name_of('C', kname, NULL, c, out);
}

void
pgp_name_sig(const uint8_t kname[PGP_NAME_LEN], const uint8_t *cname,
    const struct pgp_packet *s, uint8_t out[PGP_NAME_LEN])
{
	name_of('S', kname, cname, s, out);
}

static int
name_cmp(const void *a, const void *b)
{
	return memcmp(a, b, PGP_NAME_LEN);
}

static int
entry_cmp(const void *a, const void *b)
{
	return memcmp(a, b, PGP_VERIFIED_LEN);
}

/* Sort n records of size sz at p and drop repeats; returns the count. */
static size_t
sort_unique(uint8_t *p, size_t n, size_t sz,
    int (*cmp)(const void *, const void *))
{
	size_t i, w;

	if (n < 2)
		return n;
	qsort(p, n, sz, cmp);
	for (i = 1, w = 1; i < n; i++)
		if (memcmp(p + (w - 1) * sz, p + i * sz, sz) != 0) {
			if (w != i)
				memcpy(p + w * sz, p + i * sz, sz);
			w++;
		}
	return w;
}

static void
sig_names(struct buf *out, const uint8_t *kname, const uint8_t *cname,
    const struct pgp_sig *sigs, size_t n)
{
	uint8_t nm[PGP_NAME_LEN];
	size_t i;

	for (i = 0; i < n; i++) {
		pgp_name_sig(kname, cname, &sigs[i].pkt, nm);
		(void)buf_append(out, nm, sizeof(nm));
	}
}

static void
component_names(struct buf *out, const uint8_t *kname,
    const struct pgp_component *c, size_t n)
{
	uint8_t cn[PGP_NAME_LEN];
	size_t i;

	for (i = 0; i < n; i++) {
		pgp_name_component(kname, &c[i].pkt, cn);
		(void)buf_append(out, cn, sizeof(cn));
		sig_names(out, kname, cn, c[i].sigs, c[i].nsigs);
	}
}

size_t
pgp_key_names(const struct pgp_key *key, struct buf *out)
{
	uint8_t kn[PGP_NAME_LEN];
	size_t start = out->len, n;

	pgp_name_key(&key->pkt, kn);
	sig_names(out, kn, NULL, key->sigs, key->nsigs);
	component_names(out, kn, key->uids, key->nuids);
	component_names(out, kn, key->subkeys, key->nsubkeys);
	n = sort_unique(out->data + start, (out->len - start) / PGP_NAME_LEN,
	    PGP_NAME_LEN, name_cmp);
	out->len = start + n * PGP_NAME_LEN;
	out->data[out->len] = '\0';
	return n;
}

bool
pgp_key_all_known(const struct pgp_key *key, const struct pgp_known *known)
{
	struct buf b;
	size_t n, i;
	bool all = true;

	if (known == NULL || known->nnames == 0)
		return false;
	buf_init(&b, 0);
	n = pgp_key_names(key, &b);
	for (i = 0; i < n && all; i++)
		all = bsearch(b.data + i * PGP_NAME_LEN, known->names,
		    known->nnames, PGP_NAME_LEN, name_cmp) != NULL;
	free(b.data);
	return all;
}

bool
pgp_known_verified(const struct pgp_known *known,
    const uint8_t entry[PGP_VERIFIED_LEN])
{
	if (known == NULL || known->nverified == 0)
		return false;
	return bsearch(entry, known->verified, known->nverified,
	    PGP_VERIFIED_LEN, entry_cmp) != NULL;
}

void
pgp_verified_keep(struct buf *e, const uint8_t *names, size_t nnames)
{
	size_t n = e->len / PGP_VERIFIED_LEN, i, w = 0;

	n = sort_unique(e->data, n, PGP_VERIFIED_LEN, entry_cmp);
	for (i = 0; i < n; i++) {
		const uint8_t *p = e->data + i * PGP_VERIFIED_LEN;

		if (nnames == 0 || bsearch(p, names, nnames, PGP_NAME_LEN,
		    name_cmp) == NULL)
			continue;
		if (w != i)
			memmove(e->data + w * PGP_VERIFIED_LEN, p,
			    PGP_VERIFIED_LEN);
		w++;
	}
	e->len = w * PGP_VERIFIED_LEN;
	if (e->data != NULL)
		e->data[e->len] = '\0';
}
