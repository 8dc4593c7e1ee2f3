/*
 * cmd/pipeline.h - one request mail, start to end: read it, decide
 * whether and to whom we may answer, run its Subject command against the
 * store, send the reply.
 *
 * The same function serves every way a mail arrives: `keymail filter`
 * (one message on stdin, one process) and, later, each message of an
 * LMTP session of `keymail serve` (many messages, one process, one
 * database connection kept across them; spec server.md 4, 6.2, 7).
 *
 * The caller reads the octets (with max_message_size as the bound and the
 * rest drained), owns the database handles, and turns the status into
 * its own answer: src/keymail.c into an exit code (sysexits), the LMTP
 * server into a reply code. Nothing here reads stdin, exits, or decides
 * an exit code.
 *
 * Untrusted input: the message octets and the envelope (both come from
 * whoever sent the mail). The configuration is trusted.
 *
 * Memory: the caller owns everything passed in (message, envelope,
 * configuration, struct pipeline_db and the store handles in it); the
 * pipeline keeps no pointer into any of them after pipeline_run returns.
 * struct pipeline_outcome holds no pointers to free.
 *
 * Logging: pipeline_run logs what it did and why, one line per event
 * (log_info/log_warnx, as `keymail filter` always has); outcome->reason
 * repeats the gist for a caller's per-message log line (LMTP).
 */
#ifndef KM_CMD_PIPELINE_H
#define KM_CMD_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/conf.h"

/*
 * What happened to one message; the caller's answer follows from it
 * alone. A status never means "half done": every store write is one
 * transaction, and the reply is sent last.
 */
enum pipeline_status {
	PIPELINE_DONE,		/* handled: carried out and answered, refused
				 * politely by mail, or deliberately not
				 * answered (reply rules, rate limit, a peer's
				 * incremental). filter: exit 0; LMTP: 250 */
	PIPELINE_TEMPFAIL,	/* the database or the mailer failed, or a
				 * store error the operator must fix (e.g.
				 * `keymail initdb` not run): nothing was
				 * answered, a retry re-merges idempotently and
				 * answers once. filter: exit 75; LMTP: 451 */
	PIPELINE_CONFIG,	/* the configuration cannot work (the database
				 * connection string does not parse). filter:
				 * exit 78; LMTP: 451 and the operator reads
				 * the log */
};

/*
 * The SMTP envelope, for callers that have one (LMTP). The filter has
 * none: Postfix pipe(8) with flags=R has already put the sender into the
 * message as Return-Path.
 */
struct pipeline_envelope {
	/* MAIL FROM path without the angle brackets: "" for the null
	 * sender <>. pipeline_run adds "Return-Path: <mail_from>" in front
	 * of the message (server.md 6.2), so the reply rules see exactly
	 * what the filter sees behind pipe(8). Must not hold CR, LF or
	 * NUL (the caller's LMTP parser refuses such paths); if it does
	 * anyway, the message is handled as if no envelope was given. */
	const char *mail_from;
	/* RCPT TO addresses the caller accepted (bare addr-specs). Not
	 * read today: the reply goes to the message's Reply-To or From as
	 * the filter's does; kept so the caller passes what it has. */
	const char *const *rcpt_to;
	size_t nrcpt;
};

/* One message as the caller read it. */
struct pipeline_input {
	const uint8_t *data;	/* the raw message (RFC 5322, LF or CRLF) */
	size_t len;
	/* The message was longer than max_message_size: data holds its
	 * beginning only, and the rest was read and dropped. The filter
	 * answers such a message politely by mail (from its header block);
	 * an LMTP caller answers 552 itself and does not call pipeline_run
	 * for it (server.md 6.2). */
	bool truncated;
	const struct pipeline_envelope *env;	/* NULL: none (the filter) */
};

/*
 * The database handles, owned by the caller and kept across messages
 * (cmd/pipeline_db.c). pipeline_run opens rw the first time a message
 * needs the database (HELP and refused mail need it only to count the
 * reply) and opens it again when the connection it holds was lost. With
 * conninfo_ro set (keymail serve's database_ro, server.md 7), lookups
 * (GET, MGET, INDEX, VERBOSE INDEX, LAST) read from that hot standby, and
 * from the primary in the same call when it fails; everything else uses
 * rw. The caller closes both with pipeline_db_close. Never used across
 * fork(): a worker makes its own.
 */
struct pipeline_db {
	const char *conninfo;	/* `database`, the primary (not owned) */
	const char *conninfo_ro; /* `database_ro` (not owned); NULL: lookups
				 * read the primary (keymail filter) */
	const char *appname;	/* fallback application_name; NULL: "keymail" */
	struct store *rw;	/* NULL until first needed */
	struct store *ro;	/* NULL until first needed, and while avoided */
	uint64_t ro_avoid_until; /* CLOCK_MONOTONIC ms: the standby failed,
				 * lookups go to the primary until then */
	bool rw_down;		/* the primary's loss is logged, its return not yet */
	bool ro_down;		/* the same for the standby */
};

void pipeline_db_init(struct pipeline_db *db, const char *conninfo);
/* Open the connections now (keymail serve's workers at start); failures
 * are logged and the next call tries again. */
void pipeline_db_connect(struct pipeline_db *db);
void pipeline_db_close(struct pipeline_db *db);	/* rw = ro = NULL after */
/*
 * The primary's handle, opened if needed; NULL if it cannot be, with *st
 * (STORE_TEMPFAIL unreachable, STORE_ERROR a connection string that does
 * not parse) and the reason in why (may be NULL). Logged: a failure to
 * connect once per loss, a reconnection once.
 */
struct store *pipeline_db_primary(struct pipeline_db *db, enum store_status *st,
    char *why, size_t whylen);
/*
 * A call on the primary's handle failed with st: log it (a lost
 * connection once per loss), put the reason in why, and drop a lost
 * connection so the next call opens a new one. Returns true if the
 * connection was lost (running the request again may succeed).
 */
bool pipeline_db_primary_failed(struct pipeline_db *db, enum store_status st,
    char *why, size_t whylen);
/*
 * Run a lookup: fn(arg, store) on the standby when there is one and it
 * is not being avoided; if that fails for any reason, the standby is
 * avoided for 30 s (logged once) and fn runs on the primary in the same
 * call; a primary connection found lost is opened again and fn runs once
 * more. fn must start its work afresh each time it is called. Returns
 * fn's last status, or the primary's open failure; why says why.
 */
typedef enum store_status (*pipeline_lookup_fn)(void *arg, struct store *s);
enum store_status pipeline_db_lookup(struct pipeline_db *db, pipeline_lookup_fn fn,
    void *arg, char *why, size_t whylen);

struct pipeline_outcome {
	enum pipeline_status status;
	/* The Subject command as mail_cmd_name() spells it ("ADD", "GET",
	 * "INVALID", ...), or "none" when nothing was carried out (refused
	 * message). Static. */
	const char *command;
	/* One line for a per-message log entry: what was done, or why not
	 * ("replied", "no reply: X-Loop", "database: ..."). No CR/LF. */
	char reason[256];
	/* The database connection broke during this message, before any
	 * reply was sent (status is PIPELINE_TEMPFAIL): a caller that keeps
	 * its connection (LMTP) may run the message once more at once; the
	 * next pipeline_run reconnects first. */
	bool db_lost;
};

/*
 * Handle one message (mail-protocol.md 1, 4, 5): size and parse limits,
 * reply rules (who we must not answer), the command (ADD/incremental
 * merges, lookups, HELP), the reply rate limit, the reply through the
 * configured mailer. Fills *out and returns out->status.
 */
enum pipeline_status pipeline_run(const struct conf *c, struct pipeline_db *db,
    const struct pipeline_input *in, struct pipeline_outcome *out);

#endif
