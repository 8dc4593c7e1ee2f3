/*
 * cmd/owner_control.h - the control block of an owner command
 * (owner-control.md 5): a clearsigned block in the mail that repeats the
 * Subject's command and proves, by its signature, that the key's owner
 * sent it. This module runs the checks of 5.2 in the spec's order and
 * the pure part of 5.3 (the time window); the caller does the rest of
 * 5.3 (the nonce is new) and 5.4 (order within a class) with the nonce
 * and the signature time it returns.
 *
 * Two steps, because a REPLACE of a key not yet stored needs the key
 * from inside the block before it can be checked (4.2):
 *
 *   owner_control_parse()   checks 1 and 2: one signed block in the
 *                           text/plain parts, size, armor headers, the
 *                           fields, keyserver, Subject = block;
 *   owner_control_verify()  checks 3 to 5 and the time window, against
 *                           the stored key (the union).
 *
 * owner_control_check() does both. The first failing check sets
 * CONTROL_REFUSED and a one-line reason for the ", failed" reply
 * ("refused: ..."). CONTROL_ABSENT: the mail holds no signed block at
 * all (no BEGIN PGP SIGNED MESSAGE nor BEGIN PGP MESSAGE line in a
 * text/plain part), so the command takes the challenge path (4.2).
 *
 * Pure: no I/O, no clock (now is an argument), no database. Untrusted
 * input: the mail parts and the Subject. The stored key is untrusted
 * too, but must have been through pgp_key_check() (sig states set,
 * components cleaned): signatures that are not GOOD never count.
 *
 * Memory: struct control_block owns its clearsigned message and the
 * REPLACE key text; control_block_free() releases them (safe on a
 * zeroed struct, and twice).
 */
#ifndef KM_CMD_OWNER_CONTROL_H
#define KM_CMD_OWNER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mail/mail.h"
#include "mail/owner_cmd.h"
#include "pgp/clearsign.h"
#include "pgp/pgp.h"

enum control_status {
	CONTROL_ABSENT = 0,	/* no signed block in any text/plain part
				 * (checked before the Subject is looked at) */
	CONTROL_OK,		/* every check so far passed */
	CONTROL_REFUSED,	/* a check failed: see reason */
};

/* From keymail.conf (util/limits.h defaults). */
struct control_limits {
	size_t max_control_size;	/* bytes of the signed block; 0: none */
	uint32_t control_max_age;	/* seconds the signature may be old */
	uint32_t control_max_skew;	/* seconds it may lie in the future */
};

struct control_block {
	/* One line for the ", failed" reply when CONTROL_REFUSED, e.g.
	 * "refused: signed too long ago". No mail text in it. */
	char reason[200];

	/* ---- set by owner_control_parse() on CONTROL_OK ---- */
	struct owner_cmd cmd;	/* command, fingerprint, arguments as the
				 * block states them (equal to the Subject's) */
	char nonce[65];		/* 16-64 of [A-Za-z0-9_-] */
	/* REPLACE: the new key, one "-----BEGIN PGP PUBLIC KEY BLOCK-----"
	 * armor (LF line ends, NUL-terminated), as signed. NULL otherwise. */
	char *key_armor;
	size_t key_armor_len;
	struct pgp_clearsign cs;	/* canonical text and signature */

	/* ---- set by owner_control_verify() on CONTROL_OK ---- */
	uint32_t created;	/* hashed Signature Creation Time */
	char signer_fpr[65];	/* the primary key's or a subkey's, hex */
	bool by_subkey;
};

/* Defaults from util/limits.h. */
void control_limits_default(struct control_limits *lim);

/*
 * Checks 1 and 2. parts: the message's decoded parts (only text/plain
 * ones are read); subject: the parsed Subject, an owner command that is
 * not malformed (anything else is refused); robot_address: keymail.conf
 * "address". lim NULL: defaults. out is zeroed first.
 */
enum control_status owner_control_parse(const struct mail_part *parts,
    size_t nparts, const struct owner_cmd *subject,
    const char *robot_address, const struct control_limits *lim,
    struct control_block *out);

/*
 * Checks 3, 4, 5 and the time window of 5.3, on a block that
 * owner_control_parse() accepted. key: the stored key (union) whose
 * fingerprint the block names, after pgp_key_check(). now: the current
 * time. Returns CONTROL_OK with created, signer_fpr and by_subkey set,
 * or CONTROL_REFUSED.
 */
enum control_status owner_control_verify(struct control_block *b,
    const struct pgp_key *key, time_t now, const struct control_limits *lim);

/* Both steps. */
enum control_status owner_control_check(const struct mail_part *parts,
    size_t nparts, const struct owner_cmd *subject,
    const char *robot_address, const struct pgp_key *key, time_t now,
    const struct control_limits *lim, struct control_block *out);

void control_block_free(struct control_block *b);

#endif
