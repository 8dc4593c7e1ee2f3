/*
 * cmd/owner.h - owners in control (../shared/spec/owner-control.md): the
 * command layer of the policy modes, published copies, owner commands,
 * challenges and CONFIRM, held items, SIGNERS, notices and the hourly
 * batch. Verified mode and subscriptions (8, 10) build on these modules:
 *
 *   policy.c     policy modes: which command each mode offers, the
 *                recorded policy against the configured one
 *   publish.c    published copies: claiming, absorbing what comes in,
 *                what is public, rebuilding for a new policy
 *   mailout.c    mails that are not replies, the token block (6.2), the
 *                mail-log limits (12)
 *   owner.c      an owner command from its mail: control block or
 *                challenge (4.2, 5, 6.1)
 *   exec.c       carrying out an owner command (signed or confirmed)
 *   confirm.c    CONFIRM <token> (6.1)
 *   held.c       HELD, and ACCEPT/REJECT on held items (7.3)
 *   signers.c    SIGNERS (4.4)
 *   batch.c      the hourly batch's owner steps (11)
 *
 * Nothing here includes a third-party header: OpenPGP through pgp/,
 * state through store/store.h, mail through mail/. Untrusted input: the
 * mail (parts, Subject, addresses) and every key in it or in the store.
 * Memory: results go into struct cmd_result (cmd.h); returned keys are
 * the caller's (pgp_key_free).
 */
#ifndef KM_CMD_OWNER_H
#define KM_CMD_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cmd/cmd.h"
#include "mail/mail.h"
#include "mail/owner_cmd.h"
#include "pgp/publish.h"
#include "store/store.h"

/* ---- policy.c ------------------------------------------------------------ */

/* The configured policy (conf.h CONF_POLICY_*) as the store's. */
enum store_policy owner_policy(const struct conf *c);
/* Does policy p offer command k (owner-control.md 2's table)? */
bool owner_offered(enum owner_cmd_kind k, enum store_policy p);
/* A ", failed" result: "<COMMAND> is not offered by this server (policy
 * <mode>)." */
void owner_refuse_policy(struct cmd_result *r, enum owner_cmd_kind k,
    enum store_policy p);
/*
 * Is the database built for the configured policy? *match false (and why
 * says what to do) while they differ: the filter and sync then exit 75
 * (owner-control.md 2). A database that records no policy yet counts as
 * open (initdb records one).
 */
enum store_status owner_policy_check(const struct conf *c, struct store *s,
    bool *match, char *why, size_t whylen);

/* What keymail initdb found about the policy. */
enum owner_initdb {
	OWNER_INITDB_OK,		/* recorded (fresh database) or unchanged */
	OWNER_INITDB_CHANGED,		/* --change-policy rebuilt the copies */
	OWNER_INITDB_DIFFERS,		/* another policy is recorded and no
					 * --change-policy: exit 78 */
};

/*
 * keymail initdb's policy step, after the schema is up to date: record the
 * configured policy on a database that has none; on one built for another,
 * rebuild every published copy for the configured policy if change is
 * set (owner_policy_rebuild), else report OWNER_INITDB_DIFFERS (logged).
 */
enum store_status owner_initdb_policy(struct cmd_ctx *ctx, bool change,
    enum owner_initdb *outcome);

/* ---- publish.c ----------------------------------------------------------- */

/* Parse and check a stored blob at ctx->now (NULL: it does not parse). */
struct pgp_key *owner_key_load(const struct cmd_ctx *ctx, const uint8_t *data,
    size_t len);
/* Parse a held item's fragment (not checked: see publish.c). */
struct pgp_key *owner_fragment_load(const struct cmd_ctx *ctx,
    const uint8_t *data, size_t len);
/* Write pub (canonicalized here) as o's published copy, in o's
 * transaction; o->published follows. */
enum store_status owner_publish_write(struct cmd_ctx *ctx,
    struct store_owner *o, struct pgp_key *pub);
/* Hold items under held_max_issuers and held_max_size; *refused (may be
 * NULL) counts those the caps kept out. */
enum store_status owner_hold(struct cmd_ctx *ctx, const struct store_owner *o,
    const struct pgp_held_list *items, unsigned *refused);
/* Claim (4.2): the published copy becomes unionk's self copy, its
 * third-party certifications held items. o->claimed set; o->state is the
 * caller's. */
enum store_status owner_claim(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *unionk);

struct owner_absorbed {
	bool changed;		/* the published copy changed */
	unsigned revocations;	/* revocations published */
	unsigned held;		/* items held */
	unsigned refused;	/* items the caps kept out */
	unsigned dropped;	/* suppressed or blocked */
};

/* 7.2 for a claimed key, in o's transaction (nothing for an unclaimed
 * one). */
enum store_status owner_absorb_locked(struct cmd_ctx *ctx,
    struct store_owner *o, const struct pgp_key *in, struct owner_absorbed *res);
/*
 * Trusted mode, after a merge of in (ADD, INCREMENTAL): 7.2 in its own
 * owner transaction, and the sync queue of 11 (a visible key whose
 * published copy changed, or keyrev_news: the key gained a key
 * revocation) with ctx's trail.
 */
enum store_status owner_absorb(struct cmd_ctx *ctx, const struct pgp_key *in,
    bool keyrev_news, struct owner_absorbed *res);
/*
 * The public copy of a key (2) under policy: state is its owner state,
 * published its published copy (NULL: none). Appends it to out and
 * returns 1 (the union or the published copy), 2 (the revocation-only
 * copy), 0 (nothing is public) or -1 (the union does not parse).
 */
int owner_public_copy(const struct cmd_ctx *ctx, enum store_policy policy,
    int state, const uint8_t *unionk, size_t unionlen,
    const uint8_t *published, size_t published_len, struct buf *out);

/*
 * The lookups' share of 2, for cmd/lookup.c. owner_lookup_recheck: under
 * a published view, drop from ks the copies that do not hold the ID
 * asked for (id, idlen: a fingerprint, 64-bit or 32-bit key ID): the
 * union found them by a subkey that is held, not published.
 * owner_revocation_only: GET by exact fingerprint of a key that is not
 * public: its revocation-only copy into out (STORE_NOTFOUND: none).
 */
enum store_status owner_lookup_recheck(struct cmd_ctx *ctx, const uint8_t *id,
    size_t idlen, struct store_keys *ks);
enum store_status owner_revocation_only(struct cmd_ctx *ctx,
    const uint8_t *fpr, size_t fprlen, struct store_keys *out);

struct owner_rebuild {
	size_t claimed;		/* keys claimed (their owner acted before) */
	size_t absorbed;	/* claimed keys brought up to date */
};

/* keymail initdb --change-policy: rebuild the published copies of every
 * key with owner state for policy to, then record to. */
enum store_status owner_policy_rebuild(struct cmd_ctx *ctx,
    enum store_policy from, enum store_policy to, struct owner_rebuild *rb);

/* ---- mailout.c ------------------------------------------------------------ */

/* Mail kinds of the mail log (12). Issue 11 adds "verify", "unpublish",
 * "subscribe", "unsubscribe", "update", "reminder" to the tables in
 * mailout.c. */
#define OWNER_MAIL_CHALLENGE	"challenge"
#define OWNER_MAIL_HELD		"held"
#define OWNER_MAIL_NOTIFY	"notify-confirm"
#define OWNER_MAIL_NOTICE	"notice"
#define OWNER_MAIL_DIGEST	"digest"
#define OWNER_MAIL_VERIFY	"verify"
#define OWNER_MAIL_UNPUBLISH	"unpublish"
#define OWNER_MAIL_SUBSCRIBE	"subscribe"
#define OWNER_MAIL_UNSUBSCRIBE	"unsubscribe"
#define OWNER_MAIL_UPDATE	"update"
#define OWNER_MAIL_REMINDER	"reminder"
#define OWNER_MAIL_BAD_TOKEN	"bad-token"	/* a failed CONFIRM, not a mail */

/*
 * May one mail of kind go to recipient (about the key fpr; fprlen 0:
 * none) now? Checks every limit of 12 that counts kind and records the
 * mail if none is passed: 1. 0: a limit stops it (logged, with the
 * limit's keymail.conf name); nothing may be sent in its place. -1: the
 * store failed (st set).
 */
int owner_mail_allow(struct cmd_ctx *ctx, const char *kind,
    const char *recipient, const uint8_t *fpr, size_t fprlen,
    enum store_status *st);

/* Send m (already allowed by owner_mail_allow), built as 4.3 says for
 * mails that are not replies. Mailer failures are logged, not retried:
 * *sent says whether the mailer took it. */
void cmd_mail_send(const struct cmd_ctx *ctx, const struct cmd_mail *m,
    bool *sent);

/* The fields of a token block (6.2), from keymail alone. */
struct owner_token_fields {
	const char *command;		/* SHOW, NOTIFY, ... */
	const char *const *fprs;	/* fingerprint lines */
	size_t nfprs;
	const struct owner_arg *args;	/* argument lines */
	size_t nargs;
	const char *address;		/* NULL: no address line */
	const char *requested_by;	/* challenges only; NULL otherwise */
	time_t expires;
	const char *token;		/* 32 base32 characters */
};

/* Append the token block of 6.2 (LF line ends). */
void owner_token_block(const struct cmd_ctx *ctx,
    const struct owner_token_fields *f, struct buf *out);
/* The usual intro and then text (a fixed explanation), as a malloc'd
 * first part. */
char *owner_intro(const struct cmd_ctx *ctx, const char *text);
/*
 * An address token (8, 9, 10): a new token and its pending request of
 * kind for tf->address (about the key fpr, fprlen 0: none; command: the
 * canonical request; by: who asked), superseding the older one of the
 * same kind, address and key, in the caller's transaction if one is
 * open; then the token block of tf (expiry and token set here) is
 * appended to block. The token is kept nowhere else.
 */
enum store_status owner_address_token(struct cmd_ctx *ctx, const char *kind,
    const uint8_t *fpr, size_t fprlen, const char *command, const char *by,
    struct owner_token_fields *tf, struct buf *block);
/* Append a mail to go after the reply (4.3); subject, text and part2 (a
 * us-ascii text/plain part) are malloc'd and taken over. */
void owner_mail_after(struct cmd_result *r, const char *to, char *subject,
    char *text, char *part2, const char *kind, const uint8_t *fpr,
    size_t fprlen);
/* A new token and its hash (pgp/token.h). */
void owner_token_new(char tok[33], uint8_t hash[32]);

/* ---- owner.c, exec.c, confirm.c, held.c, signers.c ----------------------- */

/*
 * An owner command (SHOW, HIDE, REPLACE, NOTIFY, HELD, ACCEPT, REJECT)
 * from mail m, parsed into oc, whose reply goes to "to" (NULL: no reply
 * may be sent; the command is then not carried out either, as nothing
 * could confirm or report it). Fills r (reply, mails after it).
 * STORE_OK unless the store failed (the caller answers nothing, exit 75).
 */
enum store_status owner_command(struct cmd_ctx *ctx, const struct mail_msg *m,
    const struct owner_cmd *oc, const char *to, struct cmd_result *r);

/* CONFIRM <token> (6.1). */
enum store_status owner_confirm(struct cmd_ctx *ctx, const struct mail_msg *m,
    const struct owner_cmd *oc, const char *to, struct cmd_result *r);

/* SIGNERS <keyid>|<fpr> (4.4). */
enum store_status cmd_signers(struct cmd_ctx *ctx, const char *arg,
    struct cmd_result *r);

/* Canonical hex (40 or 64 digits) -> octets; 0 if it is not one. */
size_t owner_fpr_octets(const char *hex, uint8_t out[32]);

/* The command and arguments of oc on one line, canonical ("SHOW <FPR>",
 * "ACCEPT <FPR> 0x...") into out (malloc'd). */
char *owner_cmd_line(const struct owner_cmd *oc);

/* How an owner command is carried out. */
struct owner_exec {
	time_t t;			/* its time for 5.4 (signature or CONFIRM) */
	const char *by;			/* the address it came from */
	const struct pgp_key *submitted;	/* REPLACE: the new key (checked) */
};

/*
 * Carry out oc on the key of o (an open owner transaction; unionk is its
 * checked union) at ex->t: claims, state, published copy, held items,
 * notify address, the class time. Writes the reply's lines into r->body
 * and the notice and address-confirmation mails into r->after. *done is
 * false when it was refused (r->suffix and a line set).
 */
enum store_status owner_execute(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *unionk, const struct owner_cmd *oc,
    const struct owner_exec *ex, const char *reply_to, struct cmd_result *r,
    bool *done);

/* The 5.4 class of an owner command. */
enum store_class owner_class(enum owner_cmd_kind k);

/*
 * HELD (7.3) on the key of o (open transaction, checked union): the
 * listing and the key with every held item, as the reply to "to",
 * encrypted to the key (or in clear when signed and it cannot encrypt).
 * t: the command's time for the fetch class.
 */
enum store_status owner_held_reply(struct cmd_ctx *ctx, struct store_owner *o,
    const struct pgp_key *unionk, bool is_signed, time_t t, const char *to,
    struct cmd_result *r, bool *done);

/* ACCEPT and REJECT on the held items of o (exec.c calls them). */
enum store_status owner_accept(struct cmd_ctx *ctx, struct store_owner *o,
    const struct owner_cmd *oc, struct buf *lines);
enum store_status owner_reject(struct cmd_ctx *ctx, struct store_owner *o,
    const struct owner_cmd *oc, struct buf *lines);

/* ---- verified.c (owner-control.md 8) ------------------------------------------ */

/* The canonical addr-spec of a user ID ("Name <addr>" or a bare
 * address); false if it holds none we accept. */
bool owner_uid_address(const uint8_t *uid, size_t len, char out[OWNER_ARG_MAX]);
/* The distinct addresses of k's self-signed, unrevoked user IDs (k
 * checked); store_strings_free. */
void owner_key_addresses(const struct pgp_key *k, struct store_strings *out);
/* Does a stored copy carry a user ID? */
bool owner_copy_has_uid(const struct cmd_ctx *ctx, const uint8_t *data,
    size_t len);
/* Rebuild o's verified copy (8.1) from unionk and its bindings, in o's
 * transaction; *changed when it differs from the stored one. */
enum store_status owner_verified_refresh(struct cmd_ctx *ctx,
    struct store_owner *o, const struct pgp_key *unionk, bool *changed);
/* The same in its own owner transaction on the key fpr, queued for the
 * peers (11) when the copy with a user ID changed or keyrev_news. */
enum store_status owner_verified_refresh_key(struct cmd_ctx *ctx,
    const uint8_t *fpr, size_t fprlen, bool keyrev_news);

enum owner_verify_outcome {
	OWNER_VERIFY_NOT_MAILED = 0,	/* not verified (send VERIFY) */
	OWNER_VERIFY_PUBLISHED,		/* bound to this key already */
	OWNER_VERIFY_SENT,		/* a verification mail goes out */
	OWNER_VERIFY_LIMIT,		/* a limit of 12 stopped it */
	OWNER_VERIFY_CANNOT_ENCRYPT,	/* verify_encrypt = required */
};

/* A verification mail for addr on the key unionk (8.2) into r->after,
 * with its pending token (asked for by "by"), under the limits of 12. */
enum store_status owner_verify_mail(struct cmd_ctx *ctx,
    const struct pgp_key *unionk, const char *addr, const char *by,
    struct cmd_result *r, enum owner_verify_outcome *out);
/* ADD/INCREMENTAL in verified mode after the merge of in: the verified
 * copy rebuilt, the verification mail to ctx->reply_to if it is an
 * address of the key, and (lines not NULL) the reply's lines. */
enum store_status owner_verified_add(struct cmd_ctx *ctx,
    const struct pgp_key *in, bool keyrev_news, struct cmd_result *r,
    struct buf *lines);
/* VERIFY <fpr> [<address>...] and UNPUBLISH <address> (8.2). */
enum store_status owner_verify_cmd(struct cmd_ctx *ctx,
    const struct owner_cmd *oc, const char *to, struct cmd_result *r);
enum store_status owner_unpublish_cmd(struct cmd_ctx *ctx,
    const struct owner_cmd *oc, const char *to, struct cmd_result *r);
/* Every key's verified copy, for keymail initdb --change-policy; *n:
 * how many. */
enum store_status owner_verified_rebuild(struct cmd_ctx *ctx, size_t *n);

/* ---- subscribe.c (owner-control.md 10.1) ---------------------------------------- */

/* The digest of the public copy of the key fpr (10.1): *exists false when
 * nothing of it is public (or it is not stored); copy (may be NULL) gets
 * the public copy itself. */
enum store_status owner_public_digest(struct cmd_ctx *ctx, const uint8_t *fpr,
    size_t fprlen, uint8_t digest[32], bool *exists, struct buf *copy);
/* SUBSCRIBE and UNSUBSCRIBE: the token reply to "to". */
enum store_status owner_subscribe_cmd(struct cmd_ctx *ctx,
    const struct owner_cmd *oc, const char *to, struct cmd_result *r);
/* The CONFIRM of a subscribe or unsubscribe token p (taken, in the
 * caller's open transaction): the answer into r. */
enum store_status owner_subscription_apply(struct cmd_ctx *ctx,
    const struct store_pending *p, struct cmd_result *r);
/* Step 4 of the batch: at most budget update mails. */
enum store_status owner_subscription_updates(struct cmd_ctx *ctx,
    size_t budget, struct owner_batch_stats *bs);

/* ---- reminder.c (owner-control.md 10.2) ------------------------------------------ */

/* The due date of k (checked) at now: the earlier of the primary key's
 * expiry and the latest expiry among its encryption-capable components;
 * *primary / *subkeys say which expires then. False: never (or revoked). */
bool owner_due_date(const struct pgp_key *k, time_t now, time_t *due,
    bool *primary, bool *subkeys);
/* Step 5 of the batch: at most budget reminder mails. */
enum store_status owner_expiry_reminders(struct cmd_ctx *ctx, size_t budget,
    struct owner_batch_stats *bs);

/* ---- batch.c --------------------------------------------------------------- */

/* struct owner_batch_stats is in cmd.h (struct sync_stats holds one). */
/* Steps 2 and 3 of the hourly batch (11): purges, trusted-mode digests
 * (at most max_batch_mails). cmd_sync runs them under its run lock. */
enum store_status owner_batch(struct cmd_ctx *ctx, struct owner_batch_stats *st);

#endif
