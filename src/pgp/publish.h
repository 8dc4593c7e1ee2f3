/*
 * pgp/publish.h - the copies of a key that owner control publishes
 * (owner-control.md 2, 3, 7), as pure functions over parsed keys.
 *
 * The store keeps two copies of a key in trusted mode: the union (every
 * packet ever merged, as in open mode) and the published copy (what
 * lookups, SIGNERS and peer sync see). This module computes the second
 * from the first and from what arrives later:
 *  - the self copy (claiming, 4.2): the primary key, its direct
 *    self-signatures and key revocations, the user IDs and subkeys with
 *    their self-signatures; every third-party certification becomes a
 *    held item;
 *  - the revocation-only copy (2): the primary key and its key
 *    revocations, nothing else;
 *  - absorbing an incoming key into a published copy (7.2): revocations
 *    and newer self-signatures on published components go in at once;
 *    new user IDs, subkeys and third-party certifications are returned
 *    as held items; packets of the suppressed set and certifications by
 *    blocked issuers are dropped;
 *  - publishing a held item (ACCEPT, 7.3) and the copy a REPLACE makes
 *    (7.4).
 *
 * Names: a held item is identified by (issuer, component). An issuer is
 * written as its fingerprint (upper-case hex) when the signature names
 * one, else "0x" and its 64-bit key ID; the key's own items (new user IDs
 * and subkeys) have the key's fingerprint. A component is "key",
 * "uid:<first 16 hex digits of SHA-256 of the packet body>" (user IDs and
 * attributes alike) or "subkey:<FPR>". The suppressed set names packets
 * by SHA-256 over the tag octet and the body.
 *
 * Input: keys parsed by key.c and checked with pgp_key_check (third-party
 * signatures UNCHECKED, self-signatures verified); their content came from
 * mail and is untrusted, but their structure is ours. Nothing here does
 * I/O. Memory: returned keys and item lists belong to the caller
 * (pgp_key_free, pgp_held_list_free); inputs are not changed unless said.
 */
#ifndef KM_PGP_PUBLISH_H
#define KM_PGP_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp.h"

#define PGP_PACKET_HASH		32	/* SHA-256 */
#define PGP_ISSUER_NAME		67	/* "0x" + 64 hex + NUL, or an FPR */
#define PGP_COMPONENT_NAME	76	/* "subkey:" + 64 hex + NUL */

/* SHA-256 over the tag octet and body: the suppressed set's name of a packet. */
void pgp_packet_hash(uint8_t tag, const uint8_t *body, size_t len,
    uint8_t out[PGP_PACKET_HASH]);

/* Is s made by k's primary key, going by its issuer fields? */
bool pgp_sig_self_issued(const struct pgp_key *k, const struct pgp_sig *s);

/* The issuer of s as a held item names it (above); "" when s names no
 * issuer at all. */
void pgp_sig_issuer_name(const struct pgp_sig *s, char out[PGP_ISSUER_NAME]);

/* The name of a component of k (c NULL: the primary key). */
void pgp_component_name(const struct pgp_key *k, const struct pgp_component *c,
    char out[PGP_COMPONENT_NAME]);

/* An issuer as an owner command names it: a fingerprint (v4 or v6), or a
 * 64-bit key ID. */
struct pgp_issuer_ref {
	uint8_t fpr[32];
	size_t fprlen;		/* 0: only the key ID is known */
	uint8_t keyid[8];
};

/* "FPR" (40 or 64 hex digits) or "0x" + 16 hex digits (either case) ->
 * ref. False if text is neither. */
bool pgp_issuer_parse(const char *text, struct pgp_issuer_ref *ref);
/* Does ref name the issuer of s? By fingerprint when both have one, else
 * by key ID (a v4 fingerprint's last 8 octets, a v6 one's first 8). */
bool pgp_issuer_matches(const struct pgp_issuer_ref *ref, const struct pgp_sig *s);
/* Does ref name the issuer written as name (an issuer name as above)? */
bool pgp_issuer_matches_name(const struct pgp_issuer_ref *ref, const char *name);

/* A deep copy of k, canonical. */
struct pgp_key *pgp_key_dup(const struct pgp_key *k);

/* Does k carry a key revocation (type 0x20) on its primary key? Looks at
 * the packets only: pgp_key_check has already dropped the ones that do
 * not count. */
bool pgp_key_has_key_revocation(const struct pgp_key *k);

/* The revocation-only copy: the primary key packet and its key
 * revocations; NULL if k has none. */
struct pgp_key *pgp_key_revocation_copy(const struct pgp_key *k);

/* One held item: a fragment of the key holding the primary key packet,
 * the component and the signatures (for the key's own items: the new
 * component with all its self-signatures; for a third-party issuer: its
 * newest signature on the component). */
struct pgp_held_item {
	char issuer[PGP_ISSUER_NAME];
	uint8_t issuer_keyid[8];	/* zero when the signature names none */
	char component[PGP_COMPONENT_NAME];
	uint32_t created;		/* newest signature's creation time */
	uint8_t *data;			/* the fragment, binary (pgp_key_write) */
	size_t len;
};

struct pgp_held_list {
	struct pgp_held_item *v;
	size_t n;
};

void pgp_held_list_free(struct pgp_held_list *l);

/*
 * The self copy of a checked key (claiming): a new canonical key holding
 * the primary key packet, its direct-key signatures and key revocations,
 * each user ID or attribute that has a valid self-binding or a
 * self-revocation with its self-issued signatures only, and every subkey
 * with its signatures. If held is not NULL, every third-party
 * certification or certification revocation on a kept user ID is added
 * to it as an item (newest per issuer and component).
 */
struct pgp_key *pgp_key_self_copy(const struct pgp_key *k,
    struct pgp_held_list *held);

/* Does the verified copy keep this user ID packet body (untrusted text,
 * not NUL-terminated)? */
typedef bool (*pgp_uid_keep_fn)(void *arg, const uint8_t *uid, size_t len);

/*
 * Verified mode's published copy (owner-control.md 8.1): the self copy
 * without held items, keeping only the user IDs (never attributes) that
 * keep accepts, each with its self-signatures and self-revocations.
 */
struct pgp_key *pgp_key_verified_copy(const struct pgp_key *k,
    pgp_uid_keep_fn keep, void *arg);

/* What pgp_absorb drops. */
struct pgp_absorb_rules {
	/* The suppressed set, sorted with memcmp (so bsearch finds). */
	const uint8_t (*suppressed)[PGP_PACKET_HASH];
	size_t nsuppressed;
	/* The key's block list. */
	const struct pgp_issuer_ref *blocked;
	size_t nblocked;
};

struct pgp_absorb_result {
	bool changed;		/* something was added to the published copy */
	unsigned revocations;	/* revocations among it */
	unsigned dropped;	/* suppressed packets and blocked certifications */
	struct pgp_held_list held;	/* items to hold (caller frees) */
};

/*
 * Trusted mode, what comes in for a claimed key (owner-control.md 7.2):
 * published (a canonical copy, changed in place) gets the revocations of
 * incoming on components it holds (key, subkey, user ID, and a
 * certification revocation by the issuer of a certification it holds)
 * and the self-signatures newer than its newest one of the same kind on
 * that component; the new user IDs and subkeys of incoming (with their
 * self-signatures) and its third-party certifications not yet published
 * become held items; packets in the suppressed set (other than
 * revocations on published components: nothing is ever un-revoked) and
 * certifications by blocked issuers are dropped. published's primary key
 * packet must equal incoming's. Returns 0, or -1 if the primary keys
 * differ (nothing changed).
 */
int pgp_absorb(struct pgp_key *published, const struct pgp_key *incoming,
    const struct pgp_absorb_rules *rules, struct pgp_absorb_result *out);
void pgp_absorb_result_free(struct pgp_absorb_result *r);

/*
 * ACCEPT one held item: merge the fragment (parsed from a held item's
 * data) into published. Returns 1 when merged; 0 when it certifies a
 * component published does not hold (it stays held); -1 when the
 * fragment's primary key is not published's.
 */
int pgp_publish_fragment(struct pgp_key *published, const struct pgp_key *fragment);

/*
 * REPLACE (7.4): a new published copy holding submitted (a checked key,
 * same primary) plus every revocation unionk holds of the components in
 * it: key revocations, subkey revocations of its subkeys, and on its user
 * IDs the self-revocations and the certification revocations by issuers
 * of a certification it keeps. Canonical. NULL if the primaries differ.
 */
struct pgp_key *pgp_replace_copy(const struct pgp_key *submitted,
    const struct pgp_key *unionk);

/*
 * The hashes (pgp_packet_hash) of every packet of k but the primary key
 * packet, sorted and unique, in *out (malloc'd; NULL when none).
 * Returns their number.
 */
size_t pgp_key_packet_hashes(const struct pgp_key *k,
    uint8_t (**out)[PGP_PACKET_HASH]);

#endif
