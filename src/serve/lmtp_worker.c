/*
 * serve/lmtp_worker.c - one LMTP worker process (server.md 4, 6).
 *
 * It accepts on the LMTP listener and serves one session at a time: the
 * dialogue is serve/lmtp.c, and each message goes through cmd/pipeline.c
 * exactly as keymail filter runs it (with the envelope sender as
 * Return-Path), on database connections kept across messages and
 * sessions. The pipeline's status becomes the reply for every accepted
 * recipient: 250 handled, 451 the database or the mailer failed (nothing
 * half-written; the MTA retries), 552 more data than max_message_size
 * (read to the end and dropped, never handed to the pipeline).
 *
 * A message whose database connection broke before it was answered runs
 * once more on a new connection (the pipeline says so: db_lost), so that
 * a database restart costs no message once the database is back.
 *
 * Stopping (SIGTERM, the master gone): the message being received or run
 * is finished and answered; then, or at once between transactions, 421
 * 4.3.2 and the session is closed. Retiring (serve_max_requests messages):
 * the current session goes on until the client ends it, so an MTA's cached
 * connection is never cut between messages; then the worker exits.
 *
 * Untrusted input: everything read from the socket (serve/lmtp.c checks
 * the dialogue, the pipeline the message). Memory: one session's state
 * machine is freed when the session ends; the database handles are the
 * worker's until it returns.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/pipeline.h"
#include "serve/lmtp.h"
#include "serve/worker.h"
#include "util/log.h"

#define READ_CHUNK	65536

struct lmtp_worker {
	const struct worker_env *env;
	const struct conf *conf;
	struct pipeline_db db;
	uint64_t served;
	bool stopping;			/* SIGTERM, or the master is gone */
	bool master_gone;
};

/* Signals and the master's pipe; true if we must stop. */
static bool
check_stop(struct lmtp_worker *w, const struct pollfd *pm)
{
	int sig;

	while ((sig = sig_take()) != 0)
		if (sig == SIGTERM || sig == SIGINT)
			w->stopping = true;
	if (pm && (pm->revents & (POLLIN | POLLHUP | POLLERR))) {
		w->stopping = true;
		w->master_gone = true;
	}
	return w->stopping;
}

/* Write all of out to fd (non-blocking), waiting at most lmtp_timeout for
 * the client to take it. -1 if the client is gone or too slow. */
static int
flush(struct lmtp_worker *w, int fd, struct buf *out)
{
	size_t off = 0;

	while (off < out->len) {
		ssize_t n = send(fd, out->data + off, out->len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { fd, POLLOUT, 0 };

			if (poll(&p, 1, (int)w->conf->lmtp_timeout * 1000) > 0)
				continue;
		}
		buf_reset(out);
		return -1;
	}
	buf_reset(out);
	return 0;
}

/* Run the message the machine holds; returns what to answer. */
static enum lmtp_outcome
run_message(struct lmtp_worker *w, struct lmtp *m, const char **command)
{
	struct pipeline_envelope env;
	struct pipeline_input in;
	struct pipeline_outcome out;
	uint64_t t0 = clock_ms();
	enum lmtp_outcome o;
	const char *status;
	int attempt;

	*command = "none";
	if (m->data_too_big) {
		o = LMTP_TOO_BIG;
		status = "552 5.3.4";
	} else {
		memset(&env, 0, sizeof(env));
		env.mail_from = m->sender;
		env.rcpt_to = (const char *const *)m->rcpts;
		env.nrcpt = m->nrcpts;
		memset(&in, 0, sizeof(in));
		in.data = m->data.data;
		in.len = m->data.len;
		in.env = &env;
		for (attempt = 0; attempt < 2; attempt++) {
			(void)pipeline_run(w->conf, &w->db, &in, &out);
			if (!(out.status == PIPELINE_TEMPFAIL && out.db_lost))
				break;
		}
		*command = out.command;
		if (out.status == PIPELINE_DONE) {
			o = LMTP_DONE;
			status = "250 2.0.0";
		} else {
			o = LMTP_TEMPFAIL;
			status = "451 4.3.0";
		}
	}
	w->served++;
	*w->env->served = w->served;
	log_info("lmtp: from=<%s> size=%zu nrcpt=%zu command=%s status=%s %llums",
	    m->sender, m->data_size, m->nrcpts, *command, status,
	    (unsigned long long)(clock_ms() - t0));
	return o;
}

/* Feed in[0..len); returns LMTP_EV_CLOSE when the session is over. */
static enum lmtp_event
feed(struct lmtp_worker *w, struct lmtp *m, const uint8_t *in, size_t len)
{
	size_t pos = 0, used;
	enum lmtp_event ev = LMTP_EV_NONE;

	while (pos < len || ev == LMTP_EV_MESSAGE) {
		ev = lmtp_input(m, in + pos, len - pos, &used);
		pos += used;
		if (ev == LMTP_EV_MESSAGE) {
			const char *command;
			enum lmtp_outcome o = run_message(w, m, &command);

			ev = lmtp_message_done(m, o, command);
		}
		if (ev == LMTP_EV_CLOSE)
			return ev;
		if (used == 0 && ev == LMTP_EV_NONE)
			break;
	}
	return LMTP_EV_NONE;
}

static void
session(struct lmtp_worker *w, int fd)
{
	const struct conf *c = w->conf;
	struct lmtp_limits lim;
	struct lmtp m;
	uint8_t in[READ_CHUNK];
	uint64_t deadline;
	bool closing = false;

	lim.hostname = w->env->hostname;
	lim.max_message_size = c->max_message_size;
	lim.max_recipients = c->lmtp_max_recipients;
	lmtp_init(&m, &lim);
	lmtp_greeting(&m);
	deadline = clock_ms() + c->lmtp_timeout * 1000;
	while (!closing) {
		struct pollfd p[3];
		uint64_t now;
		ssize_t n;
		int timeout;

		if (flush(w, fd, &m.out) < 0)
			break;
		if (w->stopping && lmtp_shutdown(&m) == LMTP_EV_CLOSE) {
			(void)flush(w, fd, &m.out);
			break;
		}
		now = clock_ms();
		timeout = deadline > now ? (int)(deadline - now) : 0;
		p[0].fd = fd;
		p[0].events = POLLIN;
		p[1].fd = sig_fd();
		p[1].events = POLLIN;
		p[2].fd = w->master_gone ? -1 : w->env->master_fd;
		p[2].events = POLLIN;
		if (poll(p, 3, timeout) < 0 && errno != EINTR)
			break;
		if (!w->stopping) {
			if (check_stop(w, &p[2]))
				continue;	/* lmtp_shutdown above decides */
		} else
			(void)check_stop(w, &p[2]);	/* the master may go too */
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (clock_ms() >= deadline) {
				lmtp_timeout(&m);
				(void)flush(w, fd, &m.out);
				break;
			}
			continue;
		}
		n = read(fd, in, sizeof(in));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;		/* the client went away */
		deadline = clock_ms() + c->lmtp_timeout * 1000;
		if (feed(w, &m, in, (size_t)n) == LMTP_EV_CLOSE) {
			(void)flush(w, fd, &m.out);
			closing = true;
		}
	}
	lmtp_free(&m);
	close(fd);
}

enum serve_status
lmtp_worker_run(const struct worker_env *env)
{
	static const int handled[] = { SIGTERM, SIGINT, 0 };
	static const int ignored[] = { SIGHUP, 0 };
	const struct conf *c = env->conf;
	struct lmtp_worker w;

	memset(&w, 0, sizeof(w));
	w.env = env;
	w.conf = c;
	if (sig_setup(handled, ignored) < 0) {
		log_warn("lmtp: worker signals");
		return SERVE_WORKER_FAILED;
	}
	log_open("keymail", 1);
	pipeline_db_init(&w.db, c->database);
	w.db.conninfo_ro = c->database_ro;
	w.db.appname = "keymail/lmtp";
	pipeline_db_connect(&w.db);
	while (!w.stopping) {
		struct pollfd p[3];
		int fd;

		if (c->serve_max_requests && w.served >= c->serve_max_requests)
			break;	/* retired: the session that reached it has ended */
		p[0].fd = env->ls->lmtp_fd;
		p[0].events = POLLIN;
		p[1].fd = sig_fd();
		p[1].events = POLLIN;
		p[2].fd = env->master_fd;
		p[2].events = POLLIN;
		if (poll(p, 3, -1) < 0 && errno != EINTR) {
			log_warn("lmtp: poll");
			break;
		}
		if (check_stop(&w, &p[2]))
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(env->ls->lmtp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			continue;	/* another worker took it, or the client left */
		session(&w, fd);
	}
	pipeline_db_close(&w.db);
	return SERVE_WORKER_DONE;
}
