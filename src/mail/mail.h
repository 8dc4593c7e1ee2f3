/*
 * mail/mail.h - reading a request mail, parsing its Subject command,
 * building the reply and handing it to the mailer.
 *
 * Files: message.c, message_values.c, message_mime.c (reading a mail;
 * the only libetpan users), command.c (pure Subject grammar), reply.c
 * (RFC 5322/MIME composition), send.c (fork+execve of the configured
 * mailer, no shell), authres.c (Authentication-Results verdicts), addr.c
 * (rate-limit keys of an address).
 *
 * Untrusted input: the raw message and everything derived from it. Every
 * string this layer returns in struct mail_msg is already sanitized: no
 * CR, LF or NUL; addresses are bare addr-specs checked for length and
 * allowed characters, so they can go into headers and argv safely.
 *
 * Memory: struct mail_msg owns all its strings and parts;
 * mail_msg_free() releases them. mail_command owns arg.
 */
#ifndef KM_MAIL_MAIL_H
#define KM_MAIL_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/buf.h"

enum mail_status {
	MAIL_OK = 0,
	MAIL_ERR_SIZE,		/* message larger than max_message_size */
	MAIL_ERR_HEADERS,	/* too many / too long header lines */
	MAIL_ERR_MIME,		/* MIME depth, part count or decoded size limit */
	MAIL_ERR_PARSE,		/* not a message we can read (no header/body split) */
};

const char *mail_strerror(enum mail_status st);

struct mail_limits {
	size_t max_message_size;
	size_t max_header_line;
	size_t max_header_size;
	size_t max_headers;
	size_t max_subject;
	size_t max_mime_depth;
	size_t max_mime_parts;
	size_t max_decoded_size;
};

/* A decoded body part that may carry keys: text/ *, application/pgp-keys,
 * application/octet-stream, application/pgp-encrypted, any other type
 * with a file name ending in .asc, .gpg, .pgp, .key or .rev, or the
 * whole body of a non-MIME message; or a reconciliation record
 * (MAIL_RECON_TYPE). Transfer encoding undone. */
#define MAIL_RECON_TYPE "application/x-keymail-recon"

struct mail_part {
	char *content_type;	/* lower-case "type/subtype" */
	uint8_t *data;		/* NUL-terminated for convenience, len excludes it */
	size_t len;
};

struct mail_msg {
	char *from;		/* addr-spec of the last From:, NULL if none/unusable */
	size_t from_count;	/* mailboxes named by all From: fields together */
	char *reply_to;		/* addr-spec of Reply-To:, NULL if none */
	char *sender;		/* addr-spec of Sender:, NULL if none */
	bool has_return_path;
	bool null_return_path;	/* Return-Path: <> or <MAILER-DAEMON[@...]> */
	char *subject;		/* decoded (RFC 2047) UTF-8, blanks squeezed and
				 * trimmed, controls removed; NULL if none */
	bool subject_too_long;	/* decoded Subject exceeded max_subject (subject cut) */
	char *message_id;	/* "<...>" as received if well-formed, else NULL */
	bool auto_submitted;	/* Auto-Submitted present and not "no" */
	bool precedence_bulk;	/* Precedence: bulk, junk or list */
	bool list_headers;	/* List-Id: or List-Unsubscribe: present */
	bool is_report;		/* Content-Type multipart/report (a DSN) */
	char **x_loop;		/* X-Loop values (trimmed) */
	size_t nx_loop;
	char **ksent;		/* X-KeyServer-Sent values, addr-spec, lower case */
	size_t nksent;
	char **auth_results;	/* Authentication-Results values (unfolded,
				 * cleaned like X-Loop); mail/authres.c reads them */
	size_t nauth_results;
	struct mail_part *parts;
	size_t nparts;
};

/*
 * Parse a raw message (optionally starting with an mbox "From " line, LF
 * or CRLF line ends). Limits are checked before work: the size first, then
 * header count/length while reading headers, then MIME depth/parts/decoded
 * size. On error, out may still carry the headers read so far (enough to
 * reply with a polite refusal); err gets a sentence naming the limit.
 *
 * Details (message.c): lim == NULL means the limits.h defaults; err may
 * be NULL. MAIL_ERR_SIZE still reads the header block (it is bounded by
 * the header limits on its own) so that From/Reply-To are there for the
 * refusal, but no body part is kept. MAIL_ERR_PARSE: empty input or no
 * header field at all. A line in the header block that is not a header
 * ends it and starts the body (Postfix rule); no blank line at all means
 * an empty body. max_mime_parts counts every MIME entity below the top,
 * containers included; max_mime_depth counts nested multipart and
 * message/rfc822 levels (a plain multipart/mixed is depth 1). A
 * non-multipart message gives exactly one part, whatever its type. On
 * any error parts are freed (nparts 0). mail_msg_free() is safe after
 * every return, and twice.
 */
enum mail_status mail_parse(const char *raw, size_t len,
    const struct mail_limits *lim, struct mail_msg *out, char *err,
    size_t errlen);
void mail_msg_free(struct mail_msg *m);

/* True if the address looks like MAILER-DAEMON, postmaster, or a
 * *-request / owner-* list address (mail-protocol.md 5). Only the local
 * part is looked at, case-insensitively; "noreply" and the like are not
 * robots by this test. NULL is false. */
bool mail_addr_is_daemon(const char *addr);

/* ---- addr.c: what the reply rate limit counts -------------------------- */

/* The address a reply is counted under: lower case, and a "+tag" at the
 * end of the local part removed ("User+1@Example.ORG" -> "user@example.org").
 * Malloc'd. */
char *mail_addr_rate_key(const char *addr);
/* The domain of an addr-spec (after the last '@'), or NULL. A view. */
const char *mail_addr_domain(const char *addr);

/* ---- authres.c: Authentication-Results (RFC 8601) --------------------- */

struct mail_auth {
	bool dmarc_fail;	/* a "dmarc=fail" result */
	bool spf_fail;		/* an "spf=fail" result (not softfail) */
};

/*
 * Read one Authentication-Results value (unfolded, untrusted). Returns
 * true and fills out if its authserv-id is authserv_id (compared without
 * regard to case; the field our own MTA wrote), false for any other
 * field, a malformed one, or an empty authserv_id (out is then all
 * false). Pure function.
 */
bool mail_authres_parse(const char *value, const char *authserv_id,
    struct mail_auth *out);

/* ---- command.c -------------------------------------------------------- */

enum mail_cmd {
	MAIL_CMD_INVALID = 0,	/* unknown or empty Subject */
	MAIL_CMD_HELP,
	MAIL_CMD_ADD,
	MAIL_CMD_INCREMENTAL,
	MAIL_CMD_INDEX,
	MAIL_CMD_VERBOSE_INDEX,
	MAIL_CMD_GET,
	MAIL_CMD_MGET,
	MAIL_CMD_LAST,
	MAIL_CMD_RECON,		/* a reconciliation control mail (never answered) */
};

struct mail_command {
	enum mail_cmd cmd;
	char *arg;		/* argument, trimmed; NULL if none */
};

/* Parse a (normalized) Subject per mail-protocol.md 1.2 "Rec": whole
 * case-insensitive tokens, "VERBOSE INDEX" with any blank run between the
 * words. subject may be NULL. Pure function; out->arg is malloc'd. */
void mail_command_parse(const char *subject, struct mail_command *out);
void mail_command_free(struct mail_command *c);
const char *mail_cmd_name(enum mail_cmd c);

/* ---- reply.c ---------------------------------------------------------- */

struct mail_reply {
	const char *from;		/* our address (addr-spec) */
	const char *from_name;		/* display name, may be NULL */
	const char *to;			/* addr-spec (already sanitized) */
	const char *subject;		/* full subject text, UTF-8; encoded as needed */
	const char *in_reply_to;	/* "<id>" or NULL */
	const char *intro;		/* first text/plain part (UTF-8) */
	const char *body;		/* second part, or NULL for none */
	size_t body_len;
	const char *body_type;		/* "text/plain" or "application/pgp-keys" */
	/* charset of a text/ body part: NULL for utf-8; "us-ascii" for the
	 * token part of owner-control.md 6.2 */
	const char *body_charset;
	const char *msgid_domain;	/* right side for our Message-ID */
	/* A mail that answers nothing (owner-control.md 4.3: notices,
	 * address confirmations, digests): Auto-Submitted: auto-generated
	 * instead of auto-replied. */
	bool generated;
};

/*
 * Build a complete reply: From, To, Subject (RFC 2047 when not ASCII,
 * folded), Date, Message-ID, In-Reply-To, References, Auto-Submitted:
 * auto-replied, Precedence: list, X-Loop: <from>, MIME-Version,
 * multipart/mixed with a random boundary; text parts charset=utf-8, 7bit
 * when ASCII with short lines, quoted-printable otherwise. LF line ends.
 * Any CR/LF/NUL in header inputs is replaced before use (defence in depth).
 * Returns -1 if out's cap is exceeded.
 */
int mail_reply_build(const struct mail_reply *r, struct buf *out);

/* Encode a header value as RFC 2047 encoded-words if it is not plain
 * printable ASCII; CR/LF/controls dropped. Appends to out. */
int mail_header_encode(const char *value, struct buf *out);

/* One "incremental" peer-sync message (mail-protocol.md 4.4). */
struct mail_incremental {
	const char *from;		/* our address (addr-spec) */
	const char *to;			/* the peer (addr-spec) */
	char *const *sent;		/* the change's X-KeyServer-Sent trail */
	size_t nsent;
	const char *this_site;		/* last in the trail, as spelled here */
	const char *msgid_domain;	/* right side of our Message-ID */
	const char *armor;		/* one PUBLIC KEY BLOCK (pgp_armor_encode) */
	size_t armor_len;
	const char *recon_sid;		/* NULL, or 16 lower-case hex digits: an
					 * "X-Keymail-Recon:" header (keys sent by
					 * a reconciliation session) */
};

/*
 * Build an incremental exactly as every historic peer reads it: From, To,
 * "Subject: incremental", Date, Message-ID, one X-KeyServer-Sent line
 * per distinct trail address (compared without case) other than
 * this_site, then this_site as given,
 * "Precedence: list", "Auto-Submitted: auto-generated", MIME-Version,
 * "Content-Type: application/pgp-keys", "Content-Transfer-Encoding: 7bit",
 * and the armor block as the whole body: not multipart, not
 * transfer-encoded, LF line ends. Addresses are cut down to addr-spec
 * characters (no CR/LF can reach a header). Returns -1 if an address is
 * empty, the armor is not 7-bit printable lines of at most 76 characters
 * ending in LF, or out's cap is exceeded.
 */
int mail_incremental_build(const struct mail_incremental *m, struct buf *out);

/* One reconciliation control mail (reconciliation.md 8.1). */
struct mail_recon {
	const char *from;		/* our address (addr-spec) */
	const char *to;			/* the peer's configured address */
	const char *type;		/* "OFFER", "MORE", ... */
	const char *sid;		/* 16 lower-case hex digits */
	time_t date;			/* for the Date: header */
	const char *msgid_domain;	/* right side of our Message-ID */
	const uint8_t *record;		/* the signed binary record */
	size_t len;
};

/*
 * Build a control mail: From, To, "Subject: RECON TYPE SID", Date,
 * Message-ID (new every time: a resend is a new mail), Auto-Submitted:
 * auto-generated, Precedence: list, MIME-Version, Content-Type:
 * application/x-keymail-recon, Content-Transfer-Encoding: base64, and the
 * record in base64 lines of 76 characters as the whole body. LF line
 * ends. Returns -1 for an empty address, a bad type or SID, or out's cap.
 */
int mail_recon_build(const struct mail_recon *m, struct buf *out);

/* ---- send.c ----------------------------------------------------------- */

enum mail_send_status {
	MAIL_SEND_OK = 0,
	MAIL_SEND_TEMPFAIL,	/* mailer unreachable/temporary: retry later */
	MAIL_SEND_PERMFAIL,	/* mailer refused for good (bad recipient) */
};

/*
 * Run cmdline (split on blanks into argv; argv[0] searched in PATH; no
 * shell) with a minimal environment (PATH, HOME), feed msg on stdin, wait
 * at most timeout seconds (then kill: TEMPFAIL). Exit 0 = OK; 65/67 =
 * PERMFAIL; any other status or signal = TEMPFAIL. err gets the reason and
 * the first line of the mailer's stderr.
 */
enum mail_send_status mail_send(const char *cmdline, const uint8_t *msg,
    size_t len, unsigned timeout, char *err, size_t errlen);
/*
 * The program mail_send would run for cmdline (its first word, searched
 * as mail_send searches it), if it exists and may be executed: 0 and its
 * path in path; -1 and the reason in err. For keymail check and the
 * filter's start-up check.
 */
int mail_send_resolve(const char *cmdline, char *path, size_t pathlen,
    char *err, size_t errlen);

#endif
