/*
 * serve/rate.h - the HKP rate table (server.md 3 hkp_rate_limit,
 * hkp_add_rate_limit; 4 "shared rate table").
 *
 * One table per server, made by the master before it forks, in an
 * anonymous shared mapping, so that every HKP worker counts against the
 * same numbers and the table survives worker restarts and reloads. A
 * robust process-shared mutex guards it: a worker killed while holding it
 * leaves it to the next locker, who starts the table afresh (forgetting
 * counts is harmless; a corrupt list is not).
 *
 * Each client address (serve/client.h key) has, per kind of limit, a
 * generic cell rate (GCRA, a token bucket): a limit of N per period allows
 * a burst of N, then one every period/N, so that over any stretch of time
 * T at most N + N*T/period requests pass, and a refused client is told
 * exactly when the next one would. The table holds a fixed number of addresses;
 * when it is full, the least recently seen is forgotten.
 *
 * Memory: the mapping is the caller's until rate_table_destroy().
 * Times are milliseconds of CLOCK_MONOTONIC (the caller passes them, so
 * that tests choose the clock).
 */
#ifndef KM_SERVE_RATE_H
#define KM_SERVE_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/client.h"

enum rate_kind {
	RATE_REQUESTS,		/* every HKP and VKS request (per minute) */
	RATE_ADDS,		/* /pks/add (per hour), counted in addition */
	RATE_NKINDS,
};

struct rate_table;

/* NULL if the mapping or the mutex cannot be made (errno set). */
struct rate_table *rate_table_create(size_t capacity);
void rate_table_destroy(struct rate_table *t);

/*
 * Count one request of kind from client at now_ms against limit per
 * period_ms (limit 0: no limit, always allowed and not counted). Returns
 * 0 when allowed, else the whole seconds until one would be (at least 1).
 * *log_refusal (may be NULL) is set when a refusal should be logged: at
 * most once a minute per client address.
 */
unsigned rate_check(struct rate_table *t, const uint8_t key[CLIENT_KEY_LEN],
    enum rate_kind kind, size_t limit, uint64_t period_ms, uint64_t now_ms,
    bool *log_refusal);

/* Addresses the table remembers now (for tests). */
size_t rate_table_count(struct rate_table *t);

#endif
