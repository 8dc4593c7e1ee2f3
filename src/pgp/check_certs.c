/*
 * pgp/check_certs.c - pgp_key_check_certs: third-party certifications
 * verified with their issuers' stored keys.
 *
 * Input: the key (from untrusted mail) and the signers' blobs (read from
 * the store; untrusted all the same): only their first packet is read,
 * and it must parse as a v4 or v6 primary key.
 * Memory: the signers' key packets are copied and freed before return;
 * only the signatures' state changes in key.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/check_internal.h"
#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "util/rd.h"
#include "util/xalloc.h"

/*
 * A third-party certification (0x10-0x13) or certification revocation
 * (0x30) on a user ID or attribute is checked with its issuer's primary
 * key, read from the first packet of the issuer's stored blob (our own
 * canonical form, so the primary key packet comes first and has no
 * trailing octets). The policy table at the top of check.c applies as to
 * self-signatures (MD5 refused, SHA-1 only before 2023, not dated in the
 * future, not older than the key it certifies). pgp_key_check never does
 * this (it has no store); the store does it for flooded user IDs
 * (store/merge.c, pgp_key_cap_certs) and VERBOSE INDEX for display.
 */
struct signer {
	struct pgp_pubkey pub;
	struct pgp_packet pkt;		/* primary key packet, body owned */
	uint8_t name[PGP_NAME_LEN];	/* of pkt (known.c) */
};

static int
signer_read(const uint8_t *blob, size_t len, struct signer *sg)
{
	struct rd r;
	struct pgp_pkthdr h;

	memset(sg, 0, sizeof(*sg));
	rd_init(&r, blob, len);
	if (pgp_packet_next(&r, &h) != PGP_OK || h.tag != PGP_TAG_PUBKEY ||
	    h.partial || pgp_pubkey_parse(h.body, h.len, false, &sg->pub,
	    NULL, 0) != PGP_OK || sg->pub.version < 4 ||
	    sg->pub.trailing != 0)
		return -1;
	sg->pkt.tag = PGP_TAG_PUBKEY;
	sg->pkt.body = xmemdup(h.body, h.len);
	sg->pkt.len = h.len;
	pgp_name_key(&sg->pkt, sg->name);
	return 0;
}

static int
signer_cmp(const void *a, const void *b)
{
	return memcmp(((const struct signer *)a)->pub.keyid,
	    ((const struct signer *)b)->pub.keyid, 8);
}

/* Does component comp carry more than over third-party signatures? */
static bool
crowded(const struct pgp_key *k, const struct pgp_component *comp,
    size_t over)
{
	size_t i, n = 0;

	if (over == 0)
		return true;
	for (i = 0; i < comp->nsigs; i++)
		if (issuer_is(&comp->sigs[i], &k->pub) != 1 && ++n > over)
			return true;
	return false;
}

size_t
pgp_key_check_certs(struct pgp_key *key, size_t over,
    const struct pgp_blob *signers, size_t nsigners, time_t now)
{
	return pgp_key_check_certs_known(key, over, signers, nsigners, now,
	    NULL, NULL);
}

size_t
pgp_key_check_certs_known(struct pgp_key *key, size_t over,
    const struct pgp_blob *signers, size_t nsigners, time_t now,
    const struct pgp_known *known, struct pgp_vstats *stats)
{
	struct signer *sg = NULL, probe, *hit;
	struct check c;
	uint8_t entry[PGP_VERIFIED_LEN];
	size_t i, j, n = 0, ngood = 0;

	if (nsigners == 0)
		return 0;
	sg = xreallocarray(NULL, nsigners, sizeof(*sg));
	for (i = 0; i < nsigners; i++)
		if (signer_read(signers[i].data, signers[i].len, &sg[n]) == 0)
			n++;
	qsort(sg, n, sizeof(*sg), signer_cmp);
	memset(&c, 0, sizeof(c));
	c.key = key;
	c.now = now;
	c.known = known;
	c.stats = stats;
	pgp_name_key(&key->pkt, c.kname);
	for (i = 0; i < key->nuids && n > 0; i++) {
		struct pgp_component *u = &key->uids[i];

		if (!crowded(key, u, over))
			continue;
		for (j = 0; j < u->nsigs; j++) {
			struct pgp_sig *s = &u->sigs[j];
			size_t lo, hi;

			if (!s->has_issuer || issuer_is(s, &key->pub) != 0 ||
			    !(is_cert(s->type) ||
			    s->type == PGP_SIG_CERT_REVOKE))
				continue;
			memcpy(probe.pub.keyid, s->issuer, 8);
			hit = bsearch(&probe, sg, n, sizeof(*sg), signer_cmp);
			if (hit == NULL)
				continue;
			/* Every signer with this key ID, until one is the
			 * issuer (by fingerprint when the sig names one). */
			lo = hi = (size_t)(hit - sg);
			while (lo > 0 && signer_cmp(&sg[lo - 1], hit) == 0)
				lo--;
			while (hi + 1 < n && signer_cmp(&sg[hi + 1], hit) == 0)
				hi++;
			for (; lo <= hi; lo++) {
				enum pgp_sig_state st;

				if (issuer_is(s, &sg[lo].pub) != 1)
					continue;
				chk_entry_of(&c, s, &u->pkt, sg[lo].name, entry);
				if (pgp_known_verified(known, entry)) {
					chk_count_op(&c, &sg[lo].pub, true);
					st = PGP_SIG_GOOD;
				} else {
					st = chk_verify(&c, s, &u->pkt,
					    &sg[lo].pub, &sg[lo].pkt);
				}
				if (st == PGP_SIG_GOOD) {
					chk_add_verified(key, entry);
					st = chk_policy(&c, s, key->pub.created);
				}
				s->state = st;
				s->note = NULL;	/* notes are for self-sigs */
				if (st == PGP_SIG_GOOD) {
					ngood++;
					break;
				}
			}
		}
	}
	chk_release(&c);
	for (i = 0; i < n; i++)
		free(sg[i].pkt.body);
	free(sg);
	return ngood;
}
