/*
 * pgp/check_internal.h - what the files of the key check share; private to
 * check.c (judging each signature, pgp_key_check), check_verify.c
 * (hashing, verification, policy), check_clean.c (revokers, cleaning,
 * summary) and check_certs.c (third-party certifications).
 *
 * Input: keys and signatures from untrusted mail (see check.c).
 * Memory: struct check lives on the caller's stack for one call; its
 * hash contexts are released by chk_release, its moves by check.c.
 */
#ifndef KM_PGP_CHECK_INTERNAL_H
#define KM_PGP_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "pgp/pgp.h"

#define NPREFIX		16	/* hash IDs with a cached key prefix */
#define MAX_REVOKERS	8		/* designated revokers we honour */

/* Where a signature lives or is tried. */
enum home_kind { HOME_KEY, HOME_UID, HOME_SUB };

struct home {
	enum home_kind kind;
	size_t idx;		/* into uids or subkeys */
};

/* A signature found to belong to another component, moved after the
 * verification pass. */
struct move {
	struct pgp_sig sig;
	struct home to;
};

struct check {
	struct pgp_key *key;
	time_t now;
	/* What the store already verified (NULL: nothing), the counts of
	 * public-key operations (NULL: not counted), and the name of the
	 * key packet (known.c), the signer of every self-signature. */
	const struct pgp_known *known;
	struct pgp_vstats *stats;
	uint8_t kname[PGP_NAME_LEN];
	/* 0x99 || len || primary body, per hash algorithm, for v3/v4 sigs:
	 * the primary packet is hashed once, then copied per signature. */
	struct pgp_hash *prefix[NPREFIX];
	int budget;		/* signature checks for moving signatures */
	int hash_budget;	/* digest-only trials, third-party moves */
	/* Designated revokers named by counting self-signatures. */
	uint8_t revoker[MAX_REVOKERS][32];
	size_t revoker_len[MAX_REVOKERS];
	size_t nrevokers;
	struct move *moves;
	size_t nmoves;
	/* For the detail sentence. */
	unsigned nself, nbad, nrefused, nunsupported;
	unsigned drop_sigs, drop_uids, drop_subkeys;
	const char *last_note;
};

/* Notes (pgp_sig.note), defined in check.c: one object each, compared
 * by address. */
extern const char chk_note_moved[], chk_note_drop[], chk_note_digest[],
    chk_note_algo[], chk_note_hash[], chk_note_critical[],
    chk_note_future[], chk_note_md5[], chk_note_sha1[], chk_note_older[];

static inline bool
is_cert(uint8_t type)
{
	return type >= PGP_SIG_CERT_GENERIC && type <= PGP_SIG_CERT_POSITIVE;
}

/* Types hashed over primary key + user ID/attribute. 0x16 is the
 * attestation (RFC 9580 5.2.1.9): checked and kept, never binding. */
static inline bool
is_uid_type(uint8_t type)
{
	return is_cert(type) || type == 0x16 || type == PGP_SIG_CERT_REVOKE;
}

static inline bool
is_revocation(uint8_t type)
{
	return type == PGP_SIG_KEY_REVOKE || type == PGP_SIG_SUBKEY_REVOKE ||
	    type == PGP_SIG_CERT_REVOKE;
}

/* 1: issued by pub; 0: by another key; -1: no issuer information. */
static inline int
issuer_is(const struct pgp_sig *s, const struct pgp_pubkey *pub)
{
	if (s->issuer_fpr_len != 0)
		return s->issuer_fpr_len == pub->fprlen &&
		    memcmp(s->issuer_fpr, pub->fpr, pub->fprlen) == 0;
	if (s->has_issuer)
		return memcmp(s->issuer, pub->keyid, 8) == 0;
	return -1;
}

/* ---- check_verify.c ------------------------------------------------- */

/* Hashed subpackets the parser does not summarise. */
struct hashed_info {
	bool has_key_flags;	/* absent and zero differ for back-sigs */
	uint8_t key_flags;
	bool has_reason;
	uint8_t reason;		/* reason-for-revocation code */
	bool critical_notation;	/* we know no notation at all */
	/* Designated revokers (subpacket 12: class, algorithm, then a v4
	 * or v6 fingerprint); views into the signature body. */
	const uint8_t *revoker[MAX_REVOKERS];
	size_t revoker_len[MAX_REVOKERS];
	size_t nrevokers;
};

/* Read s's hashed subpackets into hi (all zero when they do not parse). */
void chk_scan_hashed(const struct pgp_sig *s, struct hashed_info *hi);

/*
 * Hash what s covers - [v6 salt,] the primary key, then comp (a user ID,
 * attribute or subkey packet; NULL for a signature over the key alone),
 * then the signature's hashed part and trailer (RFC 9580 5.2.4) - and
 * compare the left 16 bits. Returns PGP_SIG_GOOD with the digest in d,
 * or the state and s->note saying why not.
 */
enum pgp_sig_state chk_digest(struct check *c, struct pgp_sig *s,
    const struct pgp_packet *comp, uint8_t d[64], size_t *dlen);
/* chk_digest, then the public-key operation with signer (whose key
 * packet is signer_pkt). */
enum pgp_sig_state chk_verify(struct check *c, struct pgp_sig *s,
    const struct pgp_packet *comp, const struct pgp_pubkey *signer,
    const struct pgp_packet *signer_pkt);
/*
 * The policy table at the top of check.c, for a signature that
 * verified. Returns the state it ends up with and sets s->note when that
 * is not GOOD. not_before: creation time of the (sub)key it binds.
 */
enum pgp_sig_state chk_policy(const struct check *c, struct pgp_sig *s,
    uint32_t not_before);
/* Free c's cached hash contexts. */
void chk_release(struct check *c);
/* Count a public-key operation by signer: done (chk_verify counts those
 * itself), or skipped because the store had verified the same signature
 * before. */
void chk_count_op(struct check *c, const struct pgp_pubkey *signer,
    bool skipped);
/* The verified entry (known.c) of s attached to comp (NULL: to the key)
 * and verified with the key packet named signer. */
void chk_entry_of(const struct check *c, const struct pgp_sig *s,
    const struct pgp_packet *comp, const uint8_t *signer,
    uint8_t entry[PGP_VERIFIED_LEN]);
/* Remember in k->verified that the signature of entry verified. */
void chk_add_verified(struct pgp_key *k, const uint8_t entry[PGP_VERIFIED_LEN]);

/* ---- check_clean.c -------------------------------------------------- */

/* Newest GOOD signature of a binding type in an array (NULL if none). */
const struct pgp_sig *chk_newest_binding(const struct pgp_sig *sigs,
    size_t n);
/*
 * Once every signature is judged and moved: note the designated
 * revokers, drop BAD signatures and components without a valid binding
 * (counted in c for the detail sentence), set each component's valid and
 * revoked flags, and the key's revoked, expires and primary_uid.
 */
void chk_settle(struct check *c);

#endif
