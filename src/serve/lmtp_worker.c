/*
 * serve/lmtp_worker.c - one LMTP worker process (placeholder until the
 * per-message pipeline lands).
 */
#include "serve/worker.h"
#include "util/log.h"

enum serve_status
lmtp_worker_run(const struct worker_env *env)
{
	(void)env;
	log_warnx("lmtp: not yet");
	return SERVE_WORKER_FAILED;
}
