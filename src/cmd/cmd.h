/*
 * cmd/cmd.h - the keyserver commands, independent of how they arrive.
 *
 * Each command fills a struct cmd_result: the Subject suffix pks would use
 * and the result part of the reply (text or armored keys). The same code
 * serves the mail filter and the shell subcommands (keymail get/index).
 * Nothing here includes libpq or libetpan: storage goes through
 * store/store.h, mail data arrives already parsed (mail/mail.h).
 *
 * Return value: STORE_OK when a result was produced (including "no such
 * key" and other user errors, which are results); STORE_TEMPFAIL or
 * STORE_ERROR when the store failed and the caller must not reply (the
 * filter exits EX_TEMPFAIL so the MTA retries).
 *
 * Untrusted input: every argument string and mail part.
 * Memory: cmd_result owns its body; cmd_result_free() releases it.
 */
#ifndef KM_CMD_CMD_H
#define KM_CMD_CMD_H

#include <stdbool.h>
#include <time.h>

#include "mail/mail.h"
#include "pgp/pgp.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/conf.h"

struct cmd_ctx {
	const struct conf *conf;
	struct store *store;		/* may be NULL for HELP */
	struct pgp_limits lim;
	time_t now;
};

struct cmd_result {
	const char *suffix;		/* "" or ", failed", ", was invalid", ... (static) */
	struct buf body;		/* result part */
	const char *body_type;		/* "text/plain" or "application/pgp-keys" */
	unsigned keys_stored;		/* ADD: keys accepted (merged) */
};

void cmd_ctx_init(struct cmd_ctx *ctx, const struct conf *conf, struct store *store);
void cmd_result_init(struct cmd_result *r);
void cmd_result_free(struct cmd_result *r);

/* ADD (and INCREMENTAL): every key in every part of the message. */
enum store_status cmd_add(struct cmd_ctx *ctx, const struct mail_part *parts,
    size_t nparts, struct cmd_result *r);
/* Feed one text or binary blob to ADD's key handling (keymail import later). */
enum store_status cmd_add_blob(struct cmd_ctx *ctx, const uint8_t *data,
    size_t len, struct cmd_result *r);
enum store_status cmd_get(struct cmd_ctx *ctx, const char *arg, struct cmd_result *r);
enum store_status cmd_index(struct cmd_ctx *ctx, const char *arg, bool verbose,
    struct cmd_result *r);
enum store_status cmd_last(struct cmd_ctx *ctx, const char *arg, struct cmd_result *r);
/* HELP [lang]; also the body of "invalid" replies (lang NULL). Never fails. */
void cmd_help(struct cmd_ctx *ctx, const char *lang, struct cmd_result *r);
/* The intro part of every reply. Caller frees. */
char *cmd_intro(const struct cmd_ctx *ctx);

/* ---- keyspec.c: what a GET/INDEX argument means ---------------------- */

enum keyspec_kind {
	KEYSPEC_TEXT,		/* user-ID words */
	KEYSPEC_SHORTID,	/* 4 bytes */
	KEYSPEC_KEYID,		/* 8 bytes */
	KEYSPEC_FPR,		/* 16 (v3), 20 (v4) or 32 (v6) bytes */
	KEYSPEC_BAD,		/* looked like an ID but is malformed: error text set */
};

struct keyspec {
	enum keyspec_kind kind;
	uint8_t id[32];
	size_t idlen;
	const char *error;	/* static text for KEYSPEC_BAD */
};

/* Classify an argument per mail-protocol.md 1.3 Rec: 0x/0X + 8, 16, 32, 40
 * or 64 hex digits; bare 16, 40 or 64 hex; fingerprints may contain
 * blanks (as gpg prints them). Anything else is text. Pure function. */
void keyspec_parse(const char *arg, struct keyspec *ks);

#endif
