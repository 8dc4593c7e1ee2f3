/*
 * util/limits.h - every size keymail bounds, in one place.
 *
 * These are the compiled-in defaults. Each has a keymail.conf(5) key of the
 * same name in lower case (without the KM_ prefix), read by util/conf.c.
 * Values follow ../shared/spec/mail-protocol.md section 5 where it
 * recommends one.
 */
#ifndef KM_UTIL_LIMITS_H
#define KM_UTIL_LIMITS_H

#define KM_MAX_MESSAGE_SIZE	(10u * 1024 * 1024)	/* whole mail, refused before parsing */
#define KM_MAX_HEADER_LINE	998u			/* RFC 5322 line limit */
#define KM_MAX_HEADER_SIZE	(64u * 1024)		/* all headers together */
#define KM_MAX_HEADERS		500u			/* header fields per message */
#define KM_MAX_SUBJECT		1024u			/* after RFC 2047 decoding */
#define KM_MAX_MIME_DEPTH	8u			/* nested multiparts */
#define KM_MAX_MIME_PARTS	100u			/* leaf parts examined */
#define KM_MAX_DECODED_SIZE	(20u * 1024 * 1024)	/* all decoded text parts */
#define KM_MAX_KEYS_PER_ADD	1000u
#define KM_MAX_KEY_SIZE		(5u * 1024 * 1024)	/* one transferable key, binary */
#define KM_MAX_PACKETS_PER_KEY	10000u
#define KM_MAX_UID_LENGTH	4096u			/* one user ID packet */
/* Third-party signatures kept per user ID or attribute (certificate
 * flooding, CVE-2019-13050; the rule is in pgp/merge.c pgp_key_cap_certs).
 * The busiest real key we know has 588 on one user ID. */
#define KM_MAX_SIGS_PER_UID	1000u
#define KM_MAX_SEARCH		255u			/* INDEX/GET argument (pks) */
#define KM_MIN_SEARCH		2u
#define KM_MAX_REPLY_KEYS	100u			/* keys per GET/INDEX reply */
#define KM_MAX_REPLY_SIZE	(5u * 1024 * 1024)
#define KM_MAX_LAST_DAYS	7u
#define KM_MAX_LAST_REPLY_KEYS	500u
#define KM_MAX_ADDRESS		254u			/* RFC 5321 path limit */
#define KM_SENDMAIL_TIMEOUT	60u			/* seconds before the mailer is killed */
/* Replies to one address per clock hour, counted in the database table
 * reply_log (sql/003-ratelimit.sql); more are dropped and logged, so that
 * forged senders cannot turn the robot on a victim. 0: no limit. */
#define KM_MAX_REPLIES_PER_HOUR	20u
/* The same counter per recipient domain ("@example.org": many mailboxes
 * of one domain are one victim) and for all replies together (the most
 * mail the robot sends in an hour, whatever the senders claim to be).
 * An address is normalised first (lower case, "+tag" removed), and a
 * level is counted only when the narrower one let the reply through.
 * 0: no limit at that level. */
#define KM_MAX_DOMAIN_REPLIES_PER_HOUR	100u
#define KM_MAX_TOTAL_REPLIES_PER_HOUR	1000u

/* MGET (cmd/mget.c): each subject (a user ID, or one key ID or fingerprint
 * in hex) is matched with at most KM_MGET_MATCH_LIMIT backtracking steps
 * and KM_MGET_DEPTH_LIMIT nested backtracking frames; a pattern that needs
 * more is refused at once. The whole scan may spend at most
 * KM_MGET_MAX_WORK steps, counted as described in cmd/mget.c. */
#define KM_MGET_MATCH_LIMIT	100000u
#define KM_MGET_DEPTH_LIMIT	5000u
#define KM_MGET_MAX_WORK	400000000u

/* Peer sync (cmd/sync.c, mail-protocol.md 4.5): one incremental mail holds
 * one key of at most KM_SYNC_MAX_MESSAGE_SIZE armored bytes; queue entries
 * not delivered within KM_SYNC_MAX_AGE_DAYS are dropped. */
#define KM_SYNC_MAX_MESSAGE_SIZE	(256u * 1024)
#define KM_SYNC_MAX_AGE_DAYS	7u

/* keymail import (cmd/import.c) merges this many keys per transaction.
 * Each key of a batch holds an advisory lock until the commit, so
 * PostgreSQL's lock table (max_locks_per_transaction x max_connections,
 * 6400 by default) must have room for a batch. */
#define KM_IMPORT_BATCH		1000u

/* Owner control (owner-control.md 5): a clearsigned control block may be
 * at most KM_MAX_CONTROL_SIZE bytes from its BEGIN PGP SIGNED MESSAGE line
 * to its END PGP SIGNATURE line; its signature creation time must lie in
 * [now - KM_CONTROL_MAX_AGE, now + KM_CONTROL_MAX_SKEW] (seconds; the
 * configuration accepts 60-1209600 and 0-86400). */
#define KM_MAX_CONTROL_SIZE	(5u * 1024 * 1024)
#define KM_CONTROL_MAX_AGE	172800u
#define KM_CONTROL_MAX_SKEW	600u
/* Issuers, addresses or fingerprints named by one owner-control command
 * (owner-control.md 4.1). Fixed by the spec ("at most 10"), so it has no
 * keymail.conf key: a token block lists them all, and peers and HELP
 * promise the same number. Plain decimal: it is also pasted into text. */
#define KM_MAX_COMMAND_ITEMS	10

/* Owner control (../shared/spec/owner-control.md 13). Times in seconds
 * unless the name says days; a max_ limit of 0 in keymail.conf means no
 * limit. Ranges checked by util/conf.c are noted. */
#define KM_CHALLENGE_TTL		86400u		/* 1-1209600 */
#define KM_ADDRESS_TOKEN_TTL		259200u		/* 1-1209600 */
#define KM_HELD_DAYS			30u		/* 1-365 */
#define KM_HELD_AFTER_FETCH_DAYS	7u		/* 1-365 */
#define KM_HELD_MAX_ISSUERS		200u		/* issuers with held items per key */
#define KM_HELD_MAX_SIZE		(1024u * 1024)	/* bytes of held items per key */
#define KM_SIGNERS_MAX_SIZE		(1024u * 1024)	/* bytes of a SIGNERS result */
#define KM_EXPIRY_WARN_DAYS		14u		/* 0: no reminders */
#define KM_MAX_TOKEN_MAILS_PER_DAY	3u		/* per address, any 24 h */
#define KM_MAX_ADDRESS_MAILS_PER_HOUR	1u		/* per address, any 60 min */
#define KM_MAX_ADDRESS_MAILS_TOTAL_PER_HOUR 1000u	/* all addresses, any 60 min */
#define KM_MAX_CHALLENGES_PER_KEY_PER_DAY 5u
#define KM_MAX_VERIFY_PER_KEY_PER_DAY	5u
#define KM_MAX_HELD_PER_KEY_PER_HOUR	1u
#define KM_MAX_BAD_TOKENS_PER_HOUR	10u		/* failed CONFIRMs per sender */
#define KM_MAX_NOTIFY_MAILS_PER_DAY	10u		/* per address, any 24 h */
#define KM_MAX_DIGESTS_PER_KEY_PER_DAY	1u
#define KM_MAX_SUBSCRIPTIONS_PER_ADDRESS 100u
#define KM_MAX_BATCH_MAILS		1000u		/* per keymail sync run */
/* Reconciliation (cmd/recon.c, ../shared/spec/reconciliation.md 2, 12.2).
 * Each has a keymail.conf(5) key of the same name. */
#define KM_RECON_INTERVAL_HOURS		24u	/* a peer is due after this long */
#define KM_RECON_OFFER_CELLS		128u	/* cells in an OFFER */
#define KM_RECON_MAX_CELLS		65536u	/* longest prefix served or asked for */
#define KM_RECON_MAX_KEYS		20000u	/* keys to one peer per 24 h; WANT ids */
#define KM_RECON_MAX_SESSIONS_PER_DAY	4u	/* per peer, both roles */
#define KM_RECON_MAX_MESSAGE_SIZE	(384u * 1024)	/* a RECON mail, dropped unread above */
#define KM_RECON_BATCH_KEYS		100u	/* keys per incremental a session sends */
#define KM_RECON_RESEND_HOURS		12u	/* first resend; then 2x and 4x */
#define KM_RECON_SESSION_DAYS		7u	/* a session older is aborted */
/* Fixed by the protocol, not configurable (both sides check them, so
 * changing one here would break the peers): the format's longest prefix,
 * cells in one CELLS record, MOREs per session, resends of one control
 * mail, how far a record's time may lie in the future, the longest
 * backoff, and the futility memo (spec 11.5: skip a key sent unchanged in
 * this many sessions; forget entries this old). */
#define KM_RECON_PREFIX_MAX		(1u << 20)
#define KM_RECON_CELLS_PER_RECORD	16384u
#define KM_RECON_MAX_MORES		8u
#define KM_RECON_RESENDS		3u
#define KM_RECON_FUTURE_SECS		86400u
#define KM_RECON_MAX_BACKOFF_DAYS	7u
#define KM_RECON_FUTILE_SESSIONS	2u
#define KM_RECON_FUTILE_DAYS		30u

/* keymail serve (src/serve/, server.md 3): worker processes per listener
 * kind, requests or messages before a worker is replaced (0: never), and
 * seconds workers get to finish on SIGTERM before SIGKILL. */
#define KM_SERVE_WORKERS	4u
#define KM_SERVE_MAX_WORKERS	256u			/* sanity bound on serve_workers */
#define KM_SERVE_MAX_REQUESTS	1000u
#define KM_SERVE_STOP_TIMEOUT	10u

/* HKP (server.md 5): largest request body (/pks/add), request line plus
 * header fields, idle seconds, seconds for a whole request from its first
 * octet, open connections per worker and per client address per worker,
 * requests per minute and /pks/add per hour per client address (across
 * the workers of one server; 0: no limit). */
#define KM_HKP_MAX_BODY		(10u * 1024 * 1024)
#define KM_HKP_MAX_HEADER_SIZE	(16u * 1024)
#define KM_HKP_TIMEOUT		10u
#define KM_HKP_REQUEST_TIMEOUT	30u
#define KM_HKP_MAX_CONNECTIONS	256u
#define KM_HKP_MAX_CONNECTIONS_PER_IP 8u
#define KM_HKP_RATE_LIMIT	300u
#define KM_HKP_ADD_RATE_LIMIT	60u
/* Client addresses the shared rate table remembers (the least recently
 * seen are forgotten first). Not a keymail.conf key: it sizes a shared
 * mapping made once at start (about 64 octets an entry). */
#define KM_HKP_RATE_TABLE_SIZE	16384u

/* LMTP (server.md 6): seconds to wait for a command line or more data
 * (RFC 5321 4.5.3.2), accepted RCPT per transaction, and the longest
 * command line (RFC 5321 4.5.3.1.4: 512 octets with CRLF; a fixed
 * protocol bound, not a keymail.conf key). */
#define KM_LMTP_TIMEOUT		300u
#define KM_LMTP_MAX_RECIPIENTS	50u
#define KM_LMTP_MAX_LINE	512u

#endif
