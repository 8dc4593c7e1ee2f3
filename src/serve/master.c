/*
 * serve/master.c - the master process of keymail serve (server.md 2, 4):
 * binds the listeners, makes the shared rate table, forks and watches the
 * workers, reloads at SIGHUP, stops at SIGTERM/SIGINT.
 *
 * The master never reads from a client and never opens the database; it
 * waits for signals and children in one poll loop. Workers are kept in
 * slots, serve_workers per listener kind: a slot whose worker retired
 * (exit 0 after serve_max_requests) is filled again at once; one whose
 * worker died is filled no sooner than a second after its last start, so
 * a worker that crashes at start cannot make the master spin. At SIGHUP
 * a valid configuration gets a new generation of slots at once and the
 * old workers retire as at SIGTERM; the listeners and the rate table stay.
 *
 * Memory: the master copies the configuration it is given (conf_load of
 * the same file) so that it can replace it at SIGHUP; workers inherit
 * the copy current when they were forked.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve/worker.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

#define NCOUNTERS	4096	/* request counters shared with workers */

enum kind { K_HKP, K_LMTP };

static const char *const kind_name[] = { "hkp", "lmtp" };

struct worker {
	pid_t pid;
	enum kind kind;
	long slot;			/* index in its kind's slots; -1: retiring */
	size_t counter;
	uint64_t kill_at;		/* SIGKILL deadline once told to stop; 0: none */
	struct worker *next;
};

struct slot {
	bool filled;
	uint64_t last_start;		/* ms */
	uint64_t start_at;		/* when to fill it (if !filled) */
	bool waiting;
};

struct master {
	struct conf conf;		/* the running configuration */
	const char *path;
	struct listen_set ls;
	struct rate_table *rate;
	volatile uint64_t *counters;
	bool counter_used[NCOUNTERS];
	int death_pipe[2];		/* workers see EOF on [0] when we are gone */
	char hostname[256];
	struct worker *workers;
	struct slot *slots[2];
	size_t nslots;			/* per kind, this generation */
	bool kinds[2];			/* which listeners exist */
	bool stopping;
	uint64_t stop_deadline;
};

/* ---- configuration ---------------------------------------------------- */

/* The checks serve adds to conf_load's: 0, or -1 with err set. */
static int
check_conf(const struct conf *c, struct listen_spec *spec, char *err, size_t errlen)
{
	if (listen_parse(c->hkp_listen, c->lmtp_listen, spec, err, errlen) < 0)
		return -1;
	if (spec->nhkp == 0 && !spec->lmtp) {
		snprintf(err, errlen, "neither hkp_listen nor lmtp_listen is set: "
		    "nothing to serve");
		return -1;
	}
	if (c->serve_workers < 1 || c->serve_workers > KM_SERVE_MAX_WORKERS) {
		snprintf(err, errlen, "serve_workers must be between 1 and %u",
		    KM_SERVE_MAX_WORKERS);
		return -1;
	}
	if (c->hkp_max_header_size < 256 || c->hkp_max_connections < 1 ||
	    c->hkp_max_connections_per_ip < 1 || c->lmtp_max_recipients < 1) {
		snprintf(err, errlen, "hkp_max_header_size must be at least 256; "
		    "hkp_max_connections, hkp_max_connections_per_ip and "
		    "lmtp_max_recipients at least 1");
		return -1;
	}
	return 0;
}

static bool
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

static void master_free(struct master *m);

/* ---- workers ---------------------------------------------------------- */

static long
take_counter(struct master *m)
{
	size_t i;

	for (i = 0; i < NCOUNTERS; i++)
		if (!m->counter_used[i]) {
			m->counter_used[i] = true;
			m->counters[i] = 0;
			return (long)i;
		}
	return -1;
}

/*
 * Fork a worker of kind for slot. In the child this returns through
 * *child_status (true): the caller unwinds to main.
 */
static pid_t
start_worker(struct master *m, enum kind k, long slot, bool *is_child,
    enum serve_status *child_status)
{
	struct worker *w;
	long counter = take_counter(m);
	pid_t pid;

	*is_child = false;
	if (counter < 0) {
		log_warnx("serve: no free worker counter (too many workers at once)");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("serve: fork");
		m->counter_used[counter] = false;
		return -1;
	}
	if (pid == 0) {
		struct worker_env env;
		struct listen_set mine = m->ls;
		size_t i;

		*is_child = true;
		sig_reset();
		/* Exit with the master: SIGTERM when it dies, and its pipe. */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		close(m->death_pipe[1]);
		free(m->ls.lmtp_path);		/* the master's to remove */
		m->ls.lmtp_path = mine.lmtp_path = NULL;
		if (getppid() == 1) {
			master_free(m);
			*child_status = SERVE_WORKER_DONE;
			return 0;
		}
		/* Keep only the listeners of this kind. */
		if (k == K_HKP) {
			if (mine.lmtp_fd >= 0)
				close(mine.lmtp_fd);
			mine.lmtp_fd = -1;
		} else {
			for (i = 0; i < mine.nhkp; i++)
				close(mine.hkp_fds[i]);
			mine.nhkp = 0;
		}
		memset(&env, 0, sizeof(env));
		env.conf = &m->conf;
		env.ls = &mine;
		env.rate = m->rate;
		env.served = &m->counters[counter];
		env.master_fd = m->death_pipe[0];
		env.hostname = m->hostname;
		*child_status = k == K_HKP ? hkp_worker_run(&env) : lmtp_worker_run(&env);
		/* The master's state this process inherited goes with it. */
		master_free(m);
		return 0;
	}
	w = xcalloc(1, sizeof(*w));
	w->pid = pid;
	w->kind = k;
	w->slot = slot;
	w->counter = (size_t)counter;
	w->next = m->workers;
	m->workers = w;
	if (slot >= 0) {
		m->slots[k][slot].filled = true;
		m->slots[k][slot].waiting = false;
		m->slots[k][slot].last_start = clock_ms();
	}
	return pid;
}

static void
new_generation(struct master *m)
{
	size_t i;
	int k;

	for (k = 0; k < 2; k++) {
		free(m->slots[k]);
		m->slots[k] = xcalloc(m->conf.serve_workers, sizeof(struct slot));
		for (i = 0; i < m->conf.serve_workers; i++) {
			m->slots[k][i].waiting = m->kinds[k];
			m->slots[k][i].start_at = 0;
		}
	}
	m->nslots = m->conf.serve_workers;
}

/* Fill the slots that are due. Returns true in a child. */
static bool
fill_slots(struct master *m, enum serve_status *child_status)
{
	uint64_t now = clock_ms();
	size_t i;
	int k;
	bool child;
	for (k = 0; k < 2; k++)
		for (i = 0; i < m->nslots; i++) {
			struct slot *s = &m->slots[k][i];

			if (!s->waiting || s->start_at > now || m->stopping)
				continue;
			if (start_worker(m, (enum kind)k, (long)i, &child, child_status) < 0)
				s->start_at = now + 1000;	/* try again in a second */
			if (child)
				return true;
		}
	return false;
}

static void
tell_stop(struct worker *w, uint64_t deadline)
{
	if (w->kill_at == 0) {
		w->kill_at = deadline;
		(void)kill(w->pid, SIGTERM);
	}
}

/* Reap finished workers; schedule replacements. Returns true in a child. */
static bool
reap(struct master *m, enum serve_status *child_status)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct worker **pp = &m->workers, *w;
		uint64_t served, now = clock_ms();
		char what[96];
		bool retired;

		while (*pp && (*pp)->pid != pid)
			pp = &(*pp)->next;
		if ((w = *pp) == NULL)
			continue;
		*pp = w->next;
		served = m->counters[w->counter];
		m->counter_used[w->counter] = false;
		retired = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (retired)
			snprintf(what, sizeof(what), "retired after %llu request%s",
			    (unsigned long long)served, served == 1 ? "" : "s");
		else if (WIFSIGNALED(status))
			snprintf(what, sizeof(what), "killed by signal %d", WTERMSIG(status));
		else
			snprintf(what, sizeof(what), "exited with status %d",
			    WEXITSTATUS(status));
		if (w->slot >= 0 && !m->stopping && (size_t)w->slot < m->nslots) {
			struct slot *s = &m->slots[w->kind][w->slot];
			uint64_t earliest = s->last_start + 1000;
			bool child;
			pid_t np;

			s->filled = false;
			s->waiting = true;
			s->start_at = retired || earliest <= now ? now : earliest;
			if (s->start_at <= now) {
				np = start_worker(m, w->kind, w->slot, &child, child_status);
				if (child) {
					free(w);
					return true;
				}
				if (np > 0) {
					log_info("serve: worker %ld (%s) %s; started %ld", (long)pid,
					    kind_name[w->kind], what, (long)np);
					free(w);
					continue;
				}
				s->start_at = now + 1000;
			}
			log_info("serve: worker %ld (%s) %s; restarting it in a second",
			    (long)pid, kind_name[w->kind], what);
		} else
			log_info("serve: worker %ld (%s) %s", (long)pid, kind_name[w->kind],
			    what);
		free(w);
	}
	return false;
}

/* SIGHUP: a valid configuration replaces the running one. */
static bool
reload(struct master *m, enum serve_status *child_status)
{
	struct conf nc;
	struct listen_spec spec;
	struct worker *w;
	char err[512];
	uint64_t deadline;

	conf_defaults(&nc);
	if (conf_load(&nc, m->path, err, sizeof(err)) < 0 ||
	    check_conf(&nc, &spec, err, sizeof(err)) < 0) {
		log_warnx("serve: configuration: %s (keeping the running configuration)",
		    err);
		conf_free(&nc);
		return false;
	}
	log_info("serve: reloading configuration");
	if (str_differs(nc.hkp_listen, m->conf.hkp_listen))
		log_warnx("serve: hkp_listen changed; it takes effect at the next start");
	if (str_differs(nc.lmtp_listen, m->conf.lmtp_listen))
		log_warnx("serve: lmtp_listen changed; it takes effect at the next start");
	deadline = clock_ms() + nc.serve_stop_timeout * 1000;
	for (w = m->workers; w; w = w->next) {
		w->slot = -1;
		tell_stop(w, deadline);
	}
	conf_free(&m->conf);
	m->conf = nc;
	new_generation(m);
	return fill_slots(m, child_status);
}

static void
begin_stop(struct master *m)
{
	struct worker *w;

	log_info("serve: stopping");
	m->stopping = true;
	/* An MTA that finds the socket gone defers and retries. */
	listen_close(&m->ls, true);
	m->stop_deadline = clock_ms() + m->conf.serve_stop_timeout * 1000;
	for (w = m->workers; w; w = w->next) {
		w->kill_at = 0;
		tell_stop(w, m->stop_deadline);
	}
}

static int
next_timeout(const struct master *m)
{
	uint64_t now = clock_ms(), best = UINT64_MAX;
	const struct worker *w;
	size_t i;
	int k;

	for (w = m->workers; w; w = w->next)
		if (w->kill_at && w->kill_at < best)
			best = w->kill_at;
	for (k = 0; k < 2 && !m->stopping; k++)
		for (i = 0; i < m->nslots; i++)
			if (m->slots[k][i].waiting && m->slots[k][i].start_at < best)
				best = m->slots[k][i].start_at;
	if (best == UINT64_MAX)
		return -1;
	return best <= now ? 0 : best - now > 60000 ? 60000 : (int)(best - now);
}

static void
kill_late(struct master *m)
{
	uint64_t now = clock_ms();
	struct worker *w;

	for (w = m->workers; w; w = w->next)
		if (w->kill_at && w->kill_at <= now) {
			log_warnx("serve: worker %ld (%s) did not finish within "
			    "serve_stop_timeout; killing it", (long)w->pid,
			    kind_name[w->kind]);
			(void)kill(w->pid, SIGKILL);
			w->kill_at = 0;
		}
}

static void
master_free(struct master *m)
{
	struct worker *w;

	while ((w = m->workers) != NULL) {
		m->workers = w->next;
		free(w);
	}
	free(m->slots[0]);
	free(m->slots[1]);
	if (m->counters)
		munmap((void *)(uintptr_t)m->counters, NCOUNTERS * sizeof(uint64_t));
	rate_table_destroy(m->rate);
	conf_free(&m->conf);
}

enum serve_status
serve_run(const struct conf *given, const char *path)
{
	static const int handled[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, 0 };
	struct master m;
	struct listen_spec spec;
	char err[512], where[128];
	enum serve_status child_status = SERVE_WORKER_DONE;
	size_t i;
	void *p;

	(void)given;
	memset(&m, 0, sizeof(m));
	m.path = path;
	m.ls.lmtp_fd = -1;
	conf_defaults(&m.conf);
	/* Our own copy, from the same file (it is read again at SIGHUP). */
	if (conf_load(&m.conf, path, err, sizeof(err)) < 0 ||
	    check_conf(&m.conf, &spec, err, sizeof(err)) < 0) {
		log_warnx("serve: configuration: %s", err);
		conf_free(&m.conf);
		return SERVE_CONFIG;
	}
	if (listen_open(&spec, &m.ls, err, sizeof(err)) < 0) {
		log_warnx("serve: cannot listen: %s", err);
		conf_free(&m.conf);
		return SERVE_BIND;
	}
	m.kinds[K_HKP] = m.ls.nhkp > 0;
	m.kinds[K_LMTP] = m.ls.lmtp_fd >= 0;
	for (i = 0; i < m.ls.nhkp; i++) {
		listen_describe(m.ls.hkp_fds[i], where, sizeof(where));
		log_info("serve: hkp listening on %s", where);
	}
	if (m.kinds[K_LMTP]) {
		listen_describe(m.ls.lmtp_fd, where, sizeof(where));
		log_info("serve: lmtp listening on %s", where);
	}
	if (gethostname(m.hostname, sizeof(m.hostname) - 1) < 0 || !m.hostname[0])
		snprintf(m.hostname, sizeof(m.hostname), "localhost");
	m.rate = m.kinds[K_HKP] ? rate_table_create(KM_HKP_RATE_TABLE_SIZE) : NULL;
	p = mmap(NULL, NCOUNTERS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if ((m.kinds[K_HKP] && m.rate == NULL) || p == MAP_FAILED ||
	    pipe2(m.death_pipe, O_CLOEXEC) < 0 || sig_setup(handled, NULL) < 0) {
		log_warn("serve: setting up");
		if (p != MAP_FAILED)
			munmap(p, NCOUNTERS * sizeof(uint64_t));
		listen_close(&m.ls, true);
		master_free(&m);
		return SERVE_OSERR;
	}
	m.counters = p;
	new_generation(&m);
	if (fill_slots(&m, &child_status))
		return child_status;
	log_info("serve: started: %zu hkp and %zu lmtp workers",
	    m.kinds[K_HKP] ? m.nslots : 0, m.kinds[K_LMTP] ? m.nslots : 0);

	for (;;) {
		struct pollfd pfd;
		int sig, timeout = next_timeout(&m);

		if (m.stopping && m.workers == NULL)
			break;
		pfd.fd = sig_fd();
		pfd.events = POLLIN;
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			log_warn("serve: poll");
			break;
		}
		while ((sig = sig_take()) != 0) {
			if ((sig == SIGTERM || sig == SIGINT) && !m.stopping)
				begin_stop(&m);
			else if (sig == SIGHUP && !m.stopping) {
				if (reload(&m, &child_status))
					return child_status;
			}
		}
		if (reap(&m, &child_status))
			return child_status;
		kill_late(&m);
		if (fill_slots(&m, &child_status))
			return child_status;
	}
	close(m.death_pipe[0]);
	close(m.death_pipe[1]);
	listen_close(&m.ls, true);
	master_free(&m);
	log_info("serve: stopped");
	return SERVE_STOPPED;
}
