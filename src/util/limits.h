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
#define KM_MAX_SEARCH		255u			/* INDEX/GET argument (pks) */
#define KM_MIN_SEARCH		2u
#define KM_MAX_REPLY_KEYS	100u			/* keys per GET/INDEX reply */
#define KM_MAX_REPLY_SIZE	(5u * 1024 * 1024)
#define KM_MAX_LAST_DAYS	7u
#define KM_MAX_LAST_REPLY_KEYS	500u
#define KM_MAX_ADDRESS		254u			/* RFC 5321 path limit */
#define KM_SENDMAIL_TIMEOUT	60u			/* seconds before the mailer is killed */

#endif
