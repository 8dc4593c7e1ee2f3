/*
 * serve/worker.h - what the master hands a worker process (internal to
 * serve/), and the signal plumbing both use.
 *
 * A worker is forked by the master (master.c) and runs one of the loops
 * below until it is told to stop (SIGTERM, or the master is gone: its
 * pipe reads end-of-file) or has served serve_max_requests requests or
 * messages. It counts each one in *served, a word in memory shared with
 * the master, which reads it for the "retired after N requests" line.
 */
#ifndef KM_SERVE_WORKER_H
#define KM_SERVE_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "serve/listen.h"
#include "serve/rate.h"
#include "serve/serve.h"
#include "util/clock.h"
#include "util/conf.h"

struct worker_env {
	const struct conf *conf;
	const struct listen_set *ls;
	struct rate_table *rate;	/* HKP: the shared table */
	volatile uint64_t *served;	/* shared with the master */
	int master_fd;			/* read end: end-of-file when the master died */
	const char *hostname;		/* for the LMTP greeting */
};

enum serve_status hkp_worker_run(const struct worker_env *env);
enum serve_status lmtp_worker_run(const struct worker_env *env);

/*
 * Signals: handlers only write the signal number to a non-blocking
 * self-pipe whose read end sig_fd() the loops poll. sig_setup() installs
 * handlers for the given signals (0-terminated list); SIGPIPE is ignored.
 * sig_take() returns the next signal received, 0 if none.
 */
int sig_setup(const int *signals, const int *ignored);
int sig_fd(void);
int sig_take(void);
void sig_reset(void);		/* in a new child: forget the parent's pipe */

#endif
