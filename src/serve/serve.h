/*
 * serve/serve.h - keymail serve: the resident HKP and LMTP server
 * (server.md). The layer above cmd/: it uses the same cmd_* functions and
 * cmd/pipeline as keymail filter, and net/http.h for HTTP.
 *
 * serve_run() is called by src/keymail.c, which alone turns its result
 * into an exit status. It returns in the master when the server stops,
 * and in each forked worker when that worker is done (the worker's
 * process then exits through main as well), so nothing below keymail.c
 * ever calls exit().
 *
 * Files: master.c (process model, signals, reload), listen.c (listen keys
 * and sockets), hkp_worker.c and hkp_db.c (HKP through net/http.h, routes
 * in hkp.c), lmtp_worker.c (LMTP sessions, dialogue in lmtp.c), rate.c
 * and client.c (per-address limits), form.c (form decoding).
 *
 * Untrusted input: every octet a client sends (each file says how it is
 * checked). Memory: serve_run() frees what it made before it returns, in
 * the master and in each worker.
 */
#ifndef KM_SERVE_SERVE_H
#define KM_SERVE_SERVE_H

#include "util/conf.h"

enum serve_status {
	SERVE_STOPPED,		/* master: stopped by SIGTERM/SIGINT (0) */
	SERVE_CONFIG,		/* master: configuration invalid or no listener (78) */
	SERVE_BIND,		/* master: a listener could not be bound (71) */
	SERVE_OSERR,		/* master: fork, pipe or mapping failed (71) */
	SERVE_WORKER_DONE,	/* worker: stopped or retired normally (0) */
	SERVE_WORKER_FAILED,	/* worker: could not run (70; the master logs it) */
};

/*
 * Run the server with configuration c, read from path (read again at
 * SIGHUP). c stays the caller's; the master works on copies.
 */
enum serve_status serve_run(const struct conf *c, const char *path);

#endif
