/*
 * util/conf.h - the keymail.conf(5) reader.
 *
 * Format: "key = value" lines, blank lines are ignored; a line whose
 * first non-blank is '#' is a comment, and so is the rest of a line
 * from a '#' that follows a blank ("peer = a@b.example   # pks");
 * values run to the end of the line (or that comment) with surrounding
 * blanks trimmed. Unknown keys and malformed numbers are configuration errors
 * (conf_load returns -1 and fills err). Repeatable keys (peer,
 * recon_peer) accumulate.
 * The file is trusted (written by the operator).
 * Memory: strings in struct conf are owned by it; conf_free() releases.
 */
#ifndef KM_UTIL_CONF_H
#define KM_UTIL_CONF_H

#include <stddef.h>

struct conf {
	char *database;		/* libpq connection string */
	char *address;		/* robot's address, a bare addr-spec (From:, X-Loop) */
	char *address_name;	/* display name given with it ("Name <addr>"), or NULL */
	char *sendmail;		/* mailer command line, split on blanks, no shell */
	char *help_dir;		/* directory of help texts (help/<lang>.txt) */
	char *maintainer;	/* operator contact shown in replies;
				 * default: postmaster@<address's domain> */
	int maintainer_default;	/* maintainer was not set (keymail check warns) */
	char *server_name;	/* title line of the reply intro;
				 * default: "OpenPGP keyserver at <domain>" */
	char **peers;		/* "peer = ADDRESS [profile]" lines, checked by
				 * util/peer.h peer_parse; keymail sync parses them */
	size_t npeers;
	char *this_site;	/* our name in X-KeyServer-Sent; default: address */
	int index_long_keyids;	/* INDEX prints 16-hex key IDs */
	int reply_to_unknown;	/* answer a Subject that is no command (short
				 * reply); 0: stay silent */
	char *authserv_id;	/* our MTA's Authentication-Results id, or NULL:
				 * such fields are not read */
	int silence_unknown_on_spf_fail; /* spf=fail (ours) also withholds the
				 * reply to an unknown command */

	size_t max_message_size;
	size_t max_header_line;
	size_t max_header_size;
	size_t max_headers;
	size_t max_subject;
	size_t max_mime_depth;
	size_t max_mime_parts;
	size_t max_decoded_size;
	size_t max_keys_per_add;
	size_t max_key_size;
	size_t max_packets_per_key;
	size_t max_uid_length;
	size_t max_sigs_per_uid;	/* third-party sigs per user ID; 0: no limit */
	size_t max_search;
	size_t max_reply_keys;
	size_t max_reply_size;
	size_t max_last_days;
	size_t max_last_reply_keys;
	size_t sendmail_timeout;
	size_t max_replies_per_hour;	/* per recipient; 0: no limit */
	size_t max_domain_replies_per_hour;	/* per recipient domain; 0: none */
	size_t max_total_replies_per_hour;	/* all replies; 0: no limit */
	size_t mget_match_limit;
	size_t mget_depth_limit;
	size_t mget_max_work;
	size_t sync_max_message_size;
	size_t sync_max_age_days;
	size_t import_batch;		/* keymail import: keys per transaction */
	/* Owner control blocks (owner-control.md 5, 13). */
	size_t max_control_size;	/* bytes of the signed block; 0: no limit */
	size_t control_max_age;		/* seconds, 60-1209600 */
	size_t control_max_skew;	/* seconds, 0-86400 */
	/* Owner control (owner-control.md 13). */
	int policy;			/* CONF_POLICY_* */
	int verify_encrypt;		/* CONF_VERIFY_* (verified mode) */
	size_t challenge_ttl;
	size_t address_token_ttl;
	size_t held_days;
	size_t held_after_fetch_days;
	size_t held_max_issuers;
	size_t held_max_size;
	size_t signers_max_size;
	size_t expiry_warn_days;
	size_t max_token_mails_per_day;
	size_t max_address_mails_per_hour;
	size_t max_address_mails_total_per_hour;
	size_t max_challenges_per_key_per_day;
	size_t max_verify_per_key_per_day;
	size_t max_held_per_key_per_hour;
	size_t max_bad_tokens_per_hour;
	size_t max_notify_mails_per_day;
	size_t max_digests_per_key_per_day;
	size_t max_subscriptions_per_address;
	size_t max_batch_mails;

	/* keymail serve (server.md 3). Every command accepts these keys;
	 * only serve acts on them and checks the listen syntax. */
	char *database_ro;		/* libpq string of a hot standby for lookups; NULL: database */
	char *hkp_listen;		/* blank-separated ADDR:PORT items; NULL: no HKP */
	char *lmtp_listen;		/* absolute path or one ADDR:PORT; NULL: no LMTP */
	size_t serve_workers;
	size_t serve_max_requests;	/* 0: never retire */
	size_t serve_stop_timeout;
	size_t hkp_max_body;
	size_t hkp_max_header_size;
	size_t hkp_timeout;
	size_t hkp_request_timeout;
	size_t hkp_max_connections;
	size_t hkp_max_connections_per_ip;
	size_t hkp_rate_limit;		/* per minute; 0: no limit */
	size_t hkp_add_rate_limit;	/* per hour; 0: no limit */
	int hkp_forwarded_for;		/* trust X-Forwarded-For from loopback peers */
	size_t lmtp_timeout;
	size_t lmtp_max_recipients;

	/* Reconciliation (reconciliation.md 2). */
	char *server_key;		/* path of our secret key file */
	char **recon_peers;		/* "recon_peer = ADDRESS FINGERPRINT" lines,
					 * checked (util/peer.h recon_peer_parse):
					 * no address twice, none of them ours */
	size_t nrecon_peers;
	size_t recon_interval_hours;
	size_t recon_offer_cells;	/* at most recon_max_cells (clamped) */
	size_t recon_max_cells;		/* 1 .. 2^20 */
	size_t recon_max_keys;
	size_t recon_max_sessions_per_day;
	size_t recon_max_message_size;
	size_t recon_batch_keys;
	size_t recon_resend_hours;
	size_t recon_session_days;
};

/* policy = open | trusted | verified (the numbers of store_policy). */
enum { CONF_POLICY_OPEN = 0, CONF_POLICY_TRUSTED, CONF_POLICY_VERIFIED };
/* verify_encrypt = preferred | required | never */
enum { CONF_VERIFY_PREFERRED = 0, CONF_VERIFY_REQUIRED, CONF_VERIFY_NEVER };

/* Fill with compiled-in defaults (limits.h). */
void conf_defaults(struct conf *c);
/* Read path over the defaults. 0 ok; -1 error with a message in err. */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);
void conf_free(struct conf *c);
/*
 * A mailbox from the configuration: a bare address ("a@b.example") or a
 * display name and the address in angle brackets ("Keyserver
 * <a@b.example>", the name optionally in double quotes). The address
 * must pass peer_addr_ok (util/peer.h). 0: *addr (and *name, NULL if no
 * name was given) are malloc'd; -1: a sentence in err saying what to
 * write instead.
 */
int conf_parse_mailbox(const char *value, char **addr, char **name,
    char *err, size_t errlen);

#endif
