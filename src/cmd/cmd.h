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
#include <stdio.h>
#include <time.h>

#include "mail/mail.h"
#include "pgp/pgp.h"
#include "recon/recon.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/conf.h"

struct cmd_ctx {
	const struct conf *conf;
	struct store *store;		/* may be NULL for HELP */
	struct pgp_limits lim;
	time_t now;
	/* ADD/INCREMENTAL: queue what a merge adds for `keymail sync`
	 * (set by cmd_ctx_init when peers are configured), with this
	 * X-KeyServer-Sent trail (lower-case addr-specs; empty for ADD). */
	bool sync_enqueue;
	char *const *sync_trail;
	size_t sync_ntrail;
	/* ADD: the reply address (Reply-To, else From), which verified
	 * mode mails a verification (owner-control.md 8.2); NULL for
	 * INCREMENTAL and keymail import: never any mail. */
	const char *reply_to;
};

/*
 * A mail keymail sends that is not the reply to the request in hand:
 * notices, address confirmations, digests (owner-control.md 4.3, 9, 13).
 * Subject starts "keymail: "; Auto-Submitted: auto-generated. Owned by
 * whoever holds it (cmd_mail_free).
 */
struct cmd_mail {
	char *to;			/* a checked addr-spec */
	char *subject;
	char *text;			/* part 1, after the usual intro */
	char *part2;			/* NULL: no second part */
	const char *part2_type;		/* "text/plain", "application/pgp-keys" */
	const char *part2_charset;	/* NULL: utf-8 */
	const char *kind;		/* mail_log kind (cmd/owner.h), static */
	uint8_t fpr[32];		/* the key it is about; fprlen 0: none */
	size_t fprlen;
};

void cmd_mail_free(struct cmd_mail *m);

struct cmd_result {
	const char *suffix;		/* "" or ", failed", ", was invalid", ... (static) */
	struct buf body;		/* result part */
	const char *body_type;		/* "text/plain" or "application/pgp-keys" */
	unsigned keys_stored;		/* ADD: keys accepted (merged) */
	char *intro;			/* the whole first part (owned), or NULL:
					 * the English cmd_intro (HELP <lang>: the
					 * intro in that language; owner control:
					 * the intro and what the mail is) */
	/* Owner control (cmd/owner.h): */
	const char *subject_as;		/* the reply's Subject names this instead
					 * of the Subject received (CONFIRM: the
					 * token never appears); static or owned
					 * by the caller until the reply is sent */
	const char *body_charset;	/* charset of a text body; NULL: utf-8 */
	bool silent;			/* a limit (owner-control.md 12) stopped
					 * the reply: nothing is sent */
	struct cmd_mail *after;		/* mails to send after the reply */
	size_t nafter;
	unsigned keys_refused;		/* ADD: keys or key blocks refused */
};

void cmd_ctx_init(struct cmd_ctx *ctx, const struct conf *conf, struct store *store);
/* store_open for a command: on failure log "database: WHY", copy WHY to
 * why (if not NULL), close the handle and set *out to NULL. Returns
 * store_open's status (STORE_ERROR: the connection string does not
 * parse, a configuration error). */
enum store_status cmd_store_open(const char *conninfo, struct store **out,
    char *why, size_t whylen);
void cmd_result_init(struct cmd_result *r);
void cmd_result_free(struct cmd_result *r);

/* ADD (and INCREMENTAL): every key in every part of the message. */
enum store_status cmd_add(struct cmd_ctx *ctx, const struct mail_part *parts,
    size_t nparts, struct cmd_result *r);
/* Feed one text or binary blob to ADD's key handling (keymail import later). */
enum store_status cmd_add_blob(struct cmd_ctx *ctx, const uint8_t *data,
    size_t len, struct cmd_result *r);
/*
 * The per-key step of ADD, shared with keymail import: st, key and detail
 * as pgp_keys_read reported them; then pgp_key_check. PGP_OK: key is
 * checked and may be merged, and why holds pgp_key_check's sentence on
 * what was left out ("" if nothing). Otherwise the key is refused and why
 * says why in words. key (NULL unless st is PGP_OK) stays the caller's.
 * Thread-safe: reads ctx->now only.
 */
enum pgp_status cmd_key_accept(const struct cmd_ctx *ctx, struct pgp_key *key,
    enum pgp_status st, const char *detail, char *why, size_t whylen);
/* The same with what the store knows of the key (pgp_key_check_known;
 * known and stats may be NULL). */
enum pgp_status cmd_key_accept_known(const struct cmd_ctx *ctx,
    struct pgp_key *key, enum pgp_status st, const char *detail,
    const struct pgp_known *known, struct pgp_vstats *stats, char *why,
    size_t whylen);
/* Why a merge returned STORE_LIMIT, in words. */
void cmd_limit_reason(const struct cmd_ctx *ctx, char *why, size_t whylen);
/*
 * The one lookup behind GET, INDEX and VERBOSE INDEX, whichever way they
 * arrive (mail, keymail get/index, HKP, VKS): everything that decides
 * which keys a search finds is here, and the callers only format what it
 * returns. arg (untrusted) is read with keyspec_parse; text is matched
 * word by word, then as a substring of a user ID (pks), or with
 * CMD_FIND_EXACT as a whole user ID or its address (HKP exact=on, VKS
 * by-email; ASCII case-insensitive). At most max_reply_keys keys.
 * Only keys public under the configured policy are found (the store's
 * view, owner-control.md 2), so every way in answers a hidden, unclaimed
 * or unpublished key as one never stored; with CMD_FIND_GET (mail GET,
 * HKP op=get, VKS by-fingerprint) an exact fingerprint of a key that is
 * not public finds its revocation-only copy, if it has one.
 * *found: CMD_FIND_FOUND (keys in out, newest created first; caller
 * frees with store_keys_free), CMD_FIND_NONE (out empty; r->body says "No
 * matching keys", or in verified mode, for text that is no complete
 * address, that only addresses are searched), CMD_FIND_ERROR (a user error: too short or long,
 * malformed ID, too many matches; r->body says why in words, r->suffix
 * is set). Returns the store status (STORE_OK unless the store failed;
 * then nothing is to be answered).
 */
enum cmd_found {
	CMD_FIND_FOUND,
	CMD_FIND_NONE,
	CMD_FIND_ERROR,
};
#define CMD_FIND_EXACT	0x1u
#define CMD_FIND_GET	0x2u
enum store_status cmd_find_keys(struct cmd_ctx *ctx, const char *arg,
    unsigned flags, struct store_keys *out, struct cmd_result *r,
    enum cmd_found *found);
/* Formatters of what cmd_find_keys found. The pks INDEX listing (mail
 * INDEX and VERBOSE INDEX, HKP index/vindex without mr); VERBOSE looks up
 * signers in ctx->store. */
enum store_status cmd_render_index(struct cmd_ctx *ctx, const struct store_keys *ks,
    bool verbose, struct buf *out);
/* The HKP machine-readable listing (server.md 5.3, options=mr): "info",
 * "pub" and "uid" lines. Reads the keys only (no store access). */
void cmd_render_index_mr(struct cmd_ctx *ctx, const struct store_keys *ks,
    struct buf *out);
/* Every key of ks in one armor block appended to out; -1 (out unchanged)
 * if the armor would pass cap octets (0: no cap). */
int cmd_armor_blobs(const struct store_keys *ks, size_t cap, struct buf *out);

enum store_status cmd_get(struct cmd_ctx *ctx, const char *arg, struct cmd_result *r);
enum store_status cmd_index(struct cmd_ctx *ctx, const char *arg, bool verbose,
    struct cmd_result *r);
enum store_status cmd_last(struct cmd_ctx *ctx, const char *arg, struct cmd_result *r);
/* MGET REGEX (cmd/mget.c): keys with a user ID, key ID or fingerprint
 * matching a PCRE2 pattern; replies like GET. */
enum store_status cmd_mget(struct cmd_ctx *ctx, const char *arg, struct cmd_result *r);
/* The keys as one armored block in r (GET's reply), or a ", failed"
 * result if it would pass max_reply_size. */
void cmd_armor_keys(struct cmd_ctx *ctx, const struct store_keys *ks,
    struct cmd_result *r);
/* LAST's cap: the smaller of max_reply_keys and max_last_reply_keys. */
size_t cmd_last_cap(const struct conf *c);
/* HELP [lang]: the help text, and r->intro in that language when
 * help_dir has one (<code>.intro). Never fails; a missing help text is
 * logged as an error (the reply says so too). */
void cmd_help(struct cmd_ctx *ctx, const char *lang, struct cmd_result *r);
/* Is help_dir/en.txt readable? If not, why says why (for the filter's
 * start-up check and keymail check). */
bool cmd_help_available(const struct conf *c, char *why, size_t whylen);
/* Which of the 15 pks languages help_dir has: their number; the codes
 * found and those missing, blank-separated, in have and missing. */
size_t cmd_help_languages(const struct conf *c, char *have, size_t havelen,
    char *missing, size_t missinglen);
/* The short reply to a Subject that is no command (spec 1.2 answers it
 * with the whole help text; we do not, see cmd/help.c). */
void cmd_unknown(struct cmd_ctx *ctx, struct cmd_result *r);
/* The intro part of every reply. Caller frees. */
char *cmd_intro(const struct cmd_ctx *ctx);
/* keymail's version ("0.1"). Static. */
const char *cmd_version(void);
/* The right side of the Message-IDs we write: the domain of address
 * (conf's address), "localhost" if it has none. Points into address. */
const char *cmd_msgid_domain(const char *address);

/* ---- setup_check.c: keymail check ------------------------------------ */

/* Check the configuration read from path, the help texts, the mailer and
 * the database (schema version), and print one line per finding to out.
 * Returns the number of problems (the filter would defer mail). */
unsigned cmd_setup_check(const struct conf *c, const char *path, FILE *out);

/* ---- import.c / export.c: keymail import and keymail export ---------- */

/* Outcome of a shell subcommand; src/keymail.c turns it into an exit code. */
enum cmd_run {
	CMD_RUN_OK,		/* done (rejected keys are reported, not failures) */
	CMD_RUN_TEMPFAIL,	/* the store failed: run it again later */
	CMD_RUN_NOINPUT,	/* an input file could not be opened (the others were read) */
	CMD_RUN_IOERR,		/* reading input or writing output failed */
	CMD_RUN_CANTCREAT,	/* an output file could not be created */
	CMD_RUN_CONFIG,		/* a configured file is unusable */
	CMD_RUN_USAGE,		/* bad arguments */
	CMD_RUN_SOFTWARE,	/* an internal error (a bug) */
};

struct cmd_import_opts {
	char *const *files;	/* nfiles 0: standard input */
	size_t nfiles;
	unsigned jobs;		/* parsing and checking threads; 0: one per CPU */
	size_t batch;		/* keys per transaction (import_batch) */
	bool progress;		/* keys, keys/s and ETA on stderr (a terminal) */
	bool summary;		/* totals on stderr at the end */
	bool verbose;		/* also say what was left out of accepted keys */
};

/*
 * Load keys from files (binary keyrings, dumps of binary keys back to
 * back, or armored text; told apart per file) into ctx->store: the same
 * parsing, pgp_key_check and merge as ADD, merged in batches of o->batch
 * keys per transaction (store_merge_keys), with parsing and checking on
 * o->jobs threads. Each refused key is reported on stderr (fingerprint,
 * reason) and skipped. Merges are idempotent, so an interrupted import
 * run again ends in the same state as one clean run.
 */
enum cmd_run cmd_import(struct cmd_ctx *ctx, const struct cmd_import_opts *o);
/* Write every stored key to fd, binary, back to back, in fingerprint order
 * (the dump cmd_import reads). */
enum cmd_run cmd_export(struct cmd_ctx *ctx, int fd);

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

/* ---- sync.c: `keymail sync`, the outgoing half of peer sync -------- */

/* The owner-control steps of the hourly batch (cmd/batch.c). */
struct owner_batch_stats {
	struct store_purge_counts purged;
	unsigned digests;		/* digest mails the mailer took */
	unsigned digests_dropped;	/* stopped by a limit or failed */
	unsigned updates;		/* subscription updates sent (10.1) */
	unsigned updates_dropped;
	unsigned reminders;		/* expiry reminders sent (10.2) */
	unsigned reminders_dropped;
};

struct sync_stats {
	unsigned sent;		/* messages the mailer accepted */
	unsigned failed;	/* messages the mailer refused (retried next run) */
	unsigned skipped;	/* (key, peer) pairs the peer's profile or the
				 * size limit kept back */
	unsigned done;		/* queue entries finished and removed */
	size_t expired;		/* entries older than sync_max_age_days dropped */
	struct owner_batch_stats owner;	/* steps 2 and 3 of owner-control.md 11 */
};

/*
 * One sync run (mail-protocol.md 4.5): take the run lock, drop expired
 * entries, then for every queued key and every configured peer that is
 * not ourselves, not in the key's trail and not yet sent this change,
 * mail the full stored key (cleaned for the peer's profile) as one
 * incremental, and mark the peer only once the mailer has accepted it.
 * A peer whose mailer run fails is not tried again in this run. Then,
 * still under the lock, the owner-control steps of the batch (purges,
 * digests; cmd/batch.c). *busy is set (and nothing done) if another run
 * holds the lock. Returns STORE_OK or a store failure (the caller exits 75).
 */
enum store_status cmd_sync(struct cmd_ctx *ctx, struct sync_stats *stats,
    bool *busy);

/*
 * The key a peer of profile prof (util/peer.h) gets: 0 and the binary key
 * in out; 1 if the profile cannot take this key at all (pks: not a v3/v4
 * RSA, DSA or ElGamal primary; sks: a v5/v6 key); -1 if data does not
 * parse. For pks, user attributes and their signatures are left out.
 * Packets with tags below 16 are written in old format (pgp_key_write).
 * Pure function.
 */
int sync_key_for_profile(const uint8_t *data, size_t len, int prof,
    const struct pgp_limits *lim, struct buf *out);

/* ---- serverkey.c: the server's own key (reconciliation.md 3) -------- */

/*
 * Read the server_key file with every check of spec 3.1. 0: k holds the
 * key (wipe it with recon_server_key_clear); -1: the file does not
 * exist; -2: it is unusable. why gets "FILE: reason" either way.
 */
int cmd_server_key_load(const struct conf *c, struct recon_server_key *k,
    char *why, size_t whylen);
/* Merge k's public key into the store through the ADD path (idempotent).
 * *refused if the store would not take it (logged). */
enum store_status cmd_server_key_publish(struct cmd_ctx *ctx,
    const struct recon_server_key *k, bool *refused);
/*
 * keymail serverkey: create the key file if it is missing (never
 * replacing one), merge the public key, print its fingerprint on
 * standard output. CMD_RUN_OK; CANTCREAT (the file cannot be created);
 * CONFIG (an existing file is unusable); TEMPFAIL (the store cannot be
 * reached: a new file is kept); SOFTWARE (the key was refused: a bug).
 */
enum cmd_run cmd_serverkey(const struct conf *c, time_t now);

/* ---- recon*.c: reconciliation (reconciliation.md) -------------------- */

/* The time every reconciliation decision uses (spec 4.3): KEYMAIL_NOW
 * (decimal seconds since 1970) when it is set, for tests; the process
 * clock otherwise. Read once per process. */
time_t cmd_recon_clock(void);

/* Opens (or returns) the caller's store handle; NULL when it cannot. */
typedef struct store *(*cmd_store_fn)(void *arg);

/*
 * A RECON mail in keymail filter (spec 4.2): m as mail_parse read it
 * (parse_err: why it broke a general limit, else NULL), rawlen its size
 * as read. Checked (spec 12.1: a failure is one log line and nothing
 * else), then handled in its session. Never answers through the reply
 * path. CMD_RUN_OK (exit 0, also for every drop) or CMD_RUN_TEMPFAIL
 * (the store or the mailer failed: the MTA delivers it again, and the
 * repeat is answered from the stored state).
 */
enum cmd_run cmd_recon_mail(const struct conf *c, cmd_store_fn get_store,
    void *arg, const struct mail_msg *m, size_t rawlen,
    const char *parse_err, time_t now);

struct cmd_recon_opts {
	bool list;		/* -l: one line per peer, change nothing */
	const char *address;	/* start a session with this peer now */
};

/*
 * keymail recon (spec 4.1): for every peer, flush what was committed but
 * not mailed, resend and time out, then start the sessions that are due
 * (or the one asked for). CMD_RUN_OK; USAGE (ADDRESS is not a
 * recon_peer); TEMPFAIL (store, or the mailer failed temporarily);
 * CONFIG (server_key missing or unusable).
 */
enum cmd_run cmd_recon(const struct conf *c, time_t now,
    const struct cmd_recon_opts *o);

#endif
