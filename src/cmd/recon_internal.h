/*
 * cmd/recon_internal.h - what the files of reconciliation share; private
 * to cmd/recon*.c.
 *
 *	recon.c		keymail recon: resends, timeouts, due peers, new
 *			sessions (the initiator's snapshot), -l
 *	recon_mail.c	a RECON mail in keymail filter: the checks of spec
 *			12.1 and the session state machine (spec 10, 11)
 *	recon_send.c	what both share: making, storing and handing over
 *			control records, deciding and mailing keys, the
 *			end-of-session line, the peer's key, the set scan
 *
 * Rules every file keeps (spec 4.3, 11.1): time is r->now, read once per
 * process; every outgoing control record is committed with the state it
 * leads to before the mailer sees it; the peer's advisory lock is held
 * while a process works on that peer.
 */
#ifndef KM_CMD_RECON_INTERNAL_H
#define KM_CMD_RECON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/cmd.h"
#include "recon/recon.h"
#include "store/store.h"

/* One configured recon_peer. */
struct rpeer {
	char *addr;			/* as configured (To:) */
	char lower[256];		/* lower case: store key, comparisons */
	uint8_t fpr[20];		/* its server key's fingerprint */
	char fpr_hex[41];
};

/* What one process needs for reconciliation. */
struct rrun {
	struct cmd_ctx *ctx;		/* conf, store, limits */
	time_t now;			/* the process clock, read once */
	struct recon_server_key me;	/* our key (the secret included) */
	bool have_key;
	struct rpeer *peers;
	size_t npeers;
	bool mail_tempfail;		/* the mailer failed temporarily */
};

/* Peers from the configuration (checked by conf_load). */
void rrun_peers(struct rrun *r, const struct conf *c);
void rrun_free(struct rrun *r);
const struct rpeer *rrun_peer(const struct rrun *r, const char *addr);

/* "0123456789abcdef": a SID as written in Subjects and logs. */
void rs_sid_hex(uint64_t sid, char out[17]);

/*
 * The peer's server key as found in our store under its configured
 * fingerprint, if usable (spec 3.4: present, no valid key revocation, not
 * expired at r->now). 1 with *key (caller frees), 0 with *why when it is
 * missing or unusable, -1 when the store failed.
 */
int rs_peer_key(struct rrun *r, const struct rpeer *p, struct pgp_key **key,
    const char **why);

/*
 * Our set now, with salt: its ids, tug-of-war counters and cells [0, m)
 * (set initialised here; keep: the (id, row) table too).
 */
enum store_status rs_scan(struct rrun *r, const uint8_t salt[16], uint32_t m,
    bool keep, struct recon_set *set);

/*
 * Make and sign a record of type with body for session ss (seq: ours
 * next, set by the caller in ss->seq_out), and build its first mail;
 * both go into ss (out_record, out_mail, out_pending), and the mail
 * counts for the end line. Nothing is written to the store here.
 */
int rs_make_out(struct rrun *r, const struct rpeer *p,
    struct store_recon_session *ss, uint8_t type, const struct buf *body);
/*
 * Hand ss's pending first mail (or, with resend, a new mail carrying the
 * same record) to the mailer, and record that it was handed. STORE_OK
 * also when the mailer failed (r->mail_tempfail is set when it failed
 * temporarily: the record stays pending for the next try).
 */
enum store_status rs_hand_out(struct rrun *r, const struct rpeer *p,
    struct store_recon_session *ss, bool resend);

/*
 * Decide which of the keys fprs (n of them) go to the peer (spec 11.5,
 * 12.2, 8.2: the futility memo, recon_max_keys per 24 hours, the size of
 * one mail); record them as PENDING or SKIPPED for session ss, in the
 * caller's transaction. *npending and *nskipped get the counts.
 */
enum store_status rs_decide_keys(struct rrun *r, const struct rpeer *p,
    const struct store_recon_session *ss, const struct store_fpr *fprs,
    size_t n, uint32_t *npending, uint32_t *nskipped);
/* Mail the session's PENDING keys as incremental mails, marking each
 * batch SENT once the mailer took it. */
enum store_status rs_send_keys(struct rrun *r, const struct rpeer *p,
    const struct store_recon_session *ss);
/* Keys first, then a pending control record: what a session committed
 * but did not hand over yet (spec 11.1). */
enum store_status rs_flush(struct rrun *r, const struct rpeer *p,
    struct store_recon_session *ss);

/*
 * End ss (status, reason) at r->now in memory and update the peer's row
 * (failures, last status, last d) in the caller's transaction; the
 * caller puts ss and commits. rs_log_end writes the line of spec 13.
 */
enum store_status rs_end(struct rrun *r, const struct rpeer *p,
    struct store_recon_session *ss, int status, int reason);
void rs_log_end(const struct rrun *r, const struct rpeer *p,
    const struct store_recon_session *ss);

#endif
