/*
 * store/store.h - the key store: the operations the commands need.
 *
 * store/store_pg.c is the only file that includes libpq-fe.h. Every query
 * is parameterized (PQexecParams, binary bytea for key blobs); every
 * PGresult is checked. Functions return a status, never exit.
 *
 * Transient failures (server down, connection lost, serialization failure
 * after retries, deadlock) are STORE_TEMPFAIL: the filter maps that to
 * EX_TEMPFAIL so the MTA retries. Every write is one transaction: on any
 * error it is rolled back, so no half-written key ever becomes visible.
 *
 * Concurrency: store_merge_key takes a transaction-scoped advisory lock on
 * the key's fingerprint before reading it, so two filters merging the same
 * key serialize and the second merges into the first's result (no lost
 * packets). Isolation: READ COMMITTED.
 *
 * Memory: struct store_keys owns its blobs; store_keys_free() releases.
 */
#ifndef KM_STORE_STORE_H
#define KM_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pgp/pgp.h"

enum store_status {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* lookup found nothing */
	STORE_TOOMANY,		/* more results than the limit asked for */
	STORE_TEMPFAIL,		/* database unreachable / transient: retry later */
	STORE_ERROR,		/* permanent failure (schema missing, bug) */
	STORE_LIMIT,		/* merge: the merged key would pass max_key_size or
				 * max_packets_per_key; nothing was written (refuse
				 * politely, do not retry: it is a flooding defence) */
};

const char *store_strerror(enum store_status st);

struct store;

/* One stored key as the store returns it. */
struct store_key {
	uint8_t *data;		/* canonical binary transferable key (ours) */
	size_t len;
	time_t changed;		/* last time a merge changed it */
};

struct store_keys {
	struct store_key *v;
	size_t n;
};

void store_keys_free(struct store_keys *ks);

/* Connect (conninfo is a libpq string or URI; connect_timeout defaults to
 * 10 s, application_name to "keymail"; client_encoding is forced to UTF8).
 * *out is set even on failure, so that store_errmsg(*out) can say why: the
 * caller always store_close()s it. Returns STORE_OK, STORE_TEMPFAIL (server
 * unreachable, refused, auth/database failure) or STORE_ERROR (conninfo
 * syntax). A struct store must not be used across fork(). */
enum store_status store_open(const char *conninfo, struct store **out);
void store_close(struct store *s);	/* NULL is allowed */
/* Last error text from the server/libpq (never NULL). */
const char *store_errmsg(const struct store *s);

/* Create or upgrade the schema from the embedded sql/ files; idempotent. */
enum store_status store_initdb(struct store *s);

/*
 * Merge one checked key (pgp_key_check returned PGP_OK) into the store in
 * one transaction: lock, read the stored version, pgp_key_merge, write back
 * the canonical blob, key IDs, user IDs and search words, bump "changed" if
 * anything was new. counts receives what was new (new_keys = 1 if the key
 * was not stored before). lim is used to re-parse the stored blob.
 *
 * Counts: for a key not stored before, pgp_key_count of what was stored
 * (new_keys = 1 and every user ID, subkey and signature of the key, less
 * duplicates). For a stored key, what pgp_key_merge added; all zero means
 * nothing was written and "changed" was left alone. *counts is zeroed
 * first (it is not a running sum).
 * Row summary (keys.revoked/expires/primary_uid): revoked is sticky (the
 * stored value OR key->revoked); expires and the primary user ID are the
 * ones pgp_key_check found in this key (if key->primary_uid is -1 the
 * stored primary user ID is kept, else the first user ID is used).
 * Returns STORE_OK; STORE_LIMIT if the merged key would exceed
 * lim->max_key_size or lim->max_packets_per_key (nothing written: report
 * it for this key and go on with the others, do not tempfail); STORE_TEMPFAIL
 * (connection, or serialization failure/deadlock still there after 3
 * retries); STORE_ERROR. lim NULL means the util/limits.h defaults; a
 * zero field in it, no limit (as in pgp.h).
 */
enum store_status store_merge_key(struct store *s, const struct pgp_key *key,
    const struct pgp_limits *lim, struct pgp_merge_counts *counts);

/*
 * Lookups. Each fills out (caller frees with store_keys_free) with at most
 * limit keys; if more exist, returns STORE_TOOMANY with out empty.
 * Results come newest-created first. No match: STORE_NOTFOUND.
 */
/* Full fingerprint (20 or 32 bytes), of a primary key or a subkey. */
enum store_status store_get_by_fpr(struct store *s, const uint8_t *fpr,
    size_t len, size_t limit, struct store_keys *out);
/* 64-bit key ID (8 bytes) or 32-bit short ID (4 bytes); primary or subkey. */
enum store_status store_get_by_keyid(struct store *s, const uint8_t *id,
    size_t len, size_t limit, struct store_keys *out);
/* Keys having every word (see util/words.h) among their user IDs' words.
 * Each given string is put through words_split (so case, punctuation and
 * 1-letter words are handled by the one rule; "a.b@c" is three words);
 * if that leaves no word at all: STORE_NOTFOUND. */
enum store_status store_search_words(struct store *s, char *const *words,
    size_t nwords, size_t limit, struct store_keys *out);
/* Keys whose "changed" time is at or after since. */
enum store_status store_changed_since(struct store *s, time_t since,
    size_t limit, struct store_keys *out);
/* Primary user ID (printable, caller frees) of the key with this 64-bit
 * key ID, for VERBOSE INDEX signer names. STORE_NOTFOUND if none. Only
 * primary keys count (a subkey does not certify); if several keys share
 * the ID, the newest created one answers. *uid is NULL unless STORE_OK. */
enum store_status store_uid_for_keyid(struct store *s, const uint8_t id[8],
    char **uid);

#endif
