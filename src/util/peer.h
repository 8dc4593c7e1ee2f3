/*
 * util/peer.h - "peer = ADDRESS [profile]" lines of keymail.conf(5).
 *
 * A peer is another keyserver that gets our incremental mails
 * (mail-protocol.md 4.5). Its profile says what it can read:
 *   pks      old pks 0.9.x: no user attributes (tag 17) and their
 *            signatures, only v3/v4 keys with RSA, DSA or ElGamal
 *            primaries (the spec's default: the most restrictive)
 *   sks      SKS 1.1.x: no v5/v6 keys (one fails the whole message)
 *   onak     onak: the key as stored
 *   generic  any other modern server: the key as stored
 *
 * The configuration is trusted, but the address still ends up in a mail
 * header and in the mailer's input, so it must be a plain addr-spec:
 * printable ASCII without blanks, quotes, brackets, commas or semicolons,
 * exactly one '@' with text on both sides, not starting with '-', at most
 * KM_MAX_ADDRESS bytes. Pure functions; no allocation except in
 * peer_parse's out->addr (caller frees).
 */
#ifndef KM_UTIL_PEER_H
#define KM_UTIL_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum peer_profile {
	PEER_PKS = 0,
	PEER_SKS,
	PEER_ONAK,
	PEER_GENERIC,
};

struct peer {
	char *addr;			/* as configured (used in To:) */
	enum peer_profile profile;
};

/* Parse the value of one peer line. Returns 0 and fills out (out may be
 * NULL to validate only), or -1 with a reason in err. */
int peer_parse(const char *value, struct peer *out, char *err, size_t errlen);
void peer_free(struct peer *p);
const char *peer_profile_name(enum peer_profile p);
/* Is addr a plain addr-spec as described above? */
bool peer_addr_ok(const char *addr);

/*
 * "recon_peer = ADDRESS FINGERPRINT" (reconciliation.md 2): a keymail
 * server we reconcile with, ADDRESS as for peer, FINGERPRINT the v4
 * fingerprint of its server key, exactly 40 hex digits in either case.
 * Returns 0 and fills addr (caller frees; may be NULL to validate only)
 * and fpr, or -1 with a reason in err.
 */
int recon_peer_parse(const char *value, char **addr, uint8_t fpr[20],
    char *err, size_t errlen);

#endif
