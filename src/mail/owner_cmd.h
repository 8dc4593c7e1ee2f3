/*
 * mail/owner_cmd.h - the Subject grammar of the owner-control commands
 * (owner-control.md 4.1): SHOW, HIDE, REPLACE, NOTIFY, HELD, ACCEPT,
 * REJECT (the owner commands), VERIFY, UNPUBLISH, SUBSCRIBE,
 * UNSUBSCRIBE, SIGNERS and CONFIRM; and the canonical forms of their
 * arguments, which the control block (cmd/owner_control.c) shares.
 *
 * mail_command_parse() (command.c) does not know these keywords and
 * keeps returning MAIL_CMD_INVALID for them, so the filter treats them
 * exactly as before until the program calls owner_cmd_parse() for a
 * Subject that mail_command_parse() found INVALID (see the report of
 * issue 10, part "control").
 *
 * Canonical forms: a fingerprint is upper-case hex without "0x" (40 or
 * 64 digits); an issuer key ID is "0x" and 16 upper-case hex digits (the
 * spelling of the HELD listing); an address is a dot-atom addr-spec
 * (local@domain, printable ASCII, no quotes, brackets or display name,
 * at most KM_MAX_ADDRESS bytes) with the domain lower-cased and the local
 * part as written (compare it without regard to ASCII case); keywords
 * are upper case; a token is its 32 base32 characters, upper case.
 *
 * Untrusted input: the Subject (already without controls after
 * mail_parse). Pure functions: no I/O, no allocation, no globals; struct
 * owner_cmd holds everything in fixed arrays and needs no freeing.
 */
#ifndef KM_MAIL_OWNER_CMD_H
#define KM_MAIL_OWNER_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/limits.h"

enum owner_cmd_kind {
	OWNER_CMD_NONE = 0,	/* not one of the keywords below */
	OWNER_CMD_SHOW,
	OWNER_CMD_HIDE,
	OWNER_CMD_REPLACE,
	OWNER_CMD_NOTIFY,
	OWNER_CMD_HELD,
	OWNER_CMD_ACCEPT,
	OWNER_CMD_REJECT,
	OWNER_CMD_VERIFY,
	OWNER_CMD_UNPUBLISH,
	OWNER_CMD_SUBSCRIBE,
	OWNER_CMD_UNSUBSCRIBE,
	OWNER_CMD_SIGNERS,
	OWNER_CMD_CONFIRM,
};

enum owner_arg_kind {
	OWNER_ARG_FPR,		/* 40 or 64 upper-case hex digits */
	OWNER_ARG_KEYID,	/* "0x" + 16 upper-case hex digits */
	OWNER_ARG_ADDRESS,	/* local@domain, domain lower-cased */
	OWNER_ARG_WORD,		/* SHOW, OFF, ALL or BLOCK */
};

/* Longest canonical argument: an address (KM_MAX_ADDRESS) + NUL. */
#define OWNER_ARG_MAX	(KM_MAX_ADDRESS + 1)
/* Items (issuers, addresses, fingerprints) plus a trailing BLOCK. */
#define OWNER_MAX_ARGS	(KM_MAX_COMMAND_ITEMS + 1)
#define OWNER_TOKEN_LEN	32

struct owner_arg {
	enum owner_arg_kind kind;
	char text[OWNER_ARG_MAX];
};

struct owner_cmd {
	enum owner_cmd_kind kind;
	/* The keyword was recognised but an argument is missing, extra,
	 * malformed or over the cap: the reply is ", failed" with the
	 * line from owner_cmd_failure_line(). The fields below are then
	 * partly filled and must not be used. */
	bool malformed;
	const char *usage;	/* static: the expected form; set for any keyword */
	const char *problem;	/* static phrase; set when malformed */
	/* The key an owner command or VERIFY is about (canonical), "" for
	 * UNPUBLISH, SUBSCRIBE, UNSUBSCRIBE, SIGNERS and CONFIRM. */
	char fpr[65];
	/* Every Subject word after fpr, in order (for SUBSCRIBE,
	 * UNSUBSCRIBE, UNPUBLISH and SIGNERS: every word after the
	 * keyword). These are what the control block's "argument:" lines
	 * repeat, one each. */
	struct owner_arg args[OWNER_MAX_ARGS];
	size_t nargs;
	/* CONFIRM: the token, canonical (a secret: never log it whole). */
	char token[OWNER_TOKEN_LEN + 1];
};

/*
 * Parse a normalised Subject: the keyword is a whole, case-insensitive
 * token; arguments are separated by blanks. subject may be NULL.
 * Returns out->kind (OWNER_CMD_NONE when the first word is none of the
 * keywords; out->malformed tells a bad argument).
 */
enum owner_cmd_kind owner_cmd_parse(const char *subject, struct owner_cmd *out);

/* True for SHOW, HIDE, REPLACE, NOTIFY, HELD, ACCEPT, REJECT: the
 * commands that take an owner proof (a control block or a challenge). */
bool owner_cmd_is_owner(enum owner_cmd_kind k);

/* "SHOW", "UNSUBSCRIBE", ...; "NONE" for OWNER_CMD_NONE. */
const char *owner_cmd_name(enum owner_cmd_kind k);

/* Keyword -> kind, whole word, any case; OWNER_CMD_NONE if unknown. */
enum owner_cmd_kind owner_cmd_lookup(const char *word, size_t n);

/* The one line of a ", failed" reply for a malformed command, e.g.
 * "Malformed command (not a fingerprint): expected NOTIFY
 * <fingerprint> <address>|OFF". Never includes Subject text. */
void owner_cmd_failure_line(const struct owner_cmd *c, char *out,
    size_t outlen);

/* Same command, key and arguments (kinds and canonical texts; addresses
 * compared without regard to case, the domain being lower-cased
 * already). Malformed commands are never equal. */
bool owner_cmd_same(const struct owner_cmd *a, const struct owner_cmd *b);

/* ---- canonical forms (each returns false if s[0..n) is not one) ------- */

/* ["0x"|"0X"] (40 | 64) hex digits -> upper-case hex, no "0x". */
bool owner_canon_fpr(const char *s, size_t n, char out[65]);
/* A fingerprint (as above), or "0x"|"0X" + 16 hex digits ->
 * "0x" + upper-case hex; *kind says which. */
bool owner_canon_issuer(const char *s, size_t n, char out[65],
    enum owner_arg_kind *kind);
/* A dot-atom addr-spec -> the same with the domain lower-cased; out must
 * hold OWNER_ARG_MAX bytes. */
bool owner_canon_address(const char *s, size_t n, char *out);
/* Two canonical addresses equal (local part without regard to case)? */
bool owner_address_equal(const char *a, const char *b);
/* A token: base32 letters A-Z and 2-7 in any case, blanks and "-"
 * ignored, exactly 32 of them -> upper case. */
bool owner_canon_token(const char *s, size_t n,
    char out[OWNER_TOKEN_LEN + 1]);

#endif
