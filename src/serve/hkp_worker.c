/*
 * serve/hkp_worker.c - one HKP worker process (server.md 4, 5, 8, 9):
 * net/http.h for HTTP, serve/hkp.c for the answers, serve/hkp_db.c for
 * the store, serve/rate.c for the shared rate limits.
 *
 * Per request, in this order, before any of a body is read: the rate
 * limits (429), then hkp_precheck (404, 405, 415, 413, and every answer
 * that needs no body). A request refused for size, rate or time never
 * reaches the store. Per connection: hkp_max_connections_per_ip per
 * client address (closed at once), counted on the peer's address; a
 * loopback peer is not counted when hkp_forwarded_for is set, since all
 * clients of a local proxy share its address and the header naming them
 * arrives only after the connection is accepted.
 *
 * The worker stops accepting when told to stop (SIGTERM, the master
 * gone) or after serve_max_requests requests, answers the requests
 * already received, and returns when no connection is left.
 *
 * Untrusted input: every request (serve/hkp.c and serve/form.c check
 * it). Memory: a response is freed once sent; the HTTP server, database
 * handles and counters are the worker's until it returns.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/http.h"
#include "serve/client.h"
#include "serve/hkp.h"
#include "serve/hkp_db.h"
#include "serve/worker.h"
#include "util/log.h"
#include "util/xalloc.h"

#ifndef KM_VERSION
#define KM_VERSION "0.1"
#endif

#define TARGET_LOG_MAX 200

struct conncount {
	uint8_t key[CLIENT_KEY_LEN];
	size_t n;
};

struct hkp_worker {
	const struct worker_env *env;
	const struct conf *conf;
	struct http_server *srv;
	struct hkp_db db;
	struct hkp_backend be;
	struct hkp_env henv;
	struct hkp_response resp;	/* the reply being handed over */
	char content_type[64];
	struct conncount *counts;	/* open connections per client address */
	size_t ncounts;
	uint64_t served;
	bool stopping;
};

/* ---- connections per client address ----------------------------------- */

static bool
counted(const struct hkp_worker *w, const struct client_addr *a)
{
	return !(w->conf->hkp_forwarded_for && a->loopback);
}

static struct conncount *
count_of(struct hkp_worker *w, const struct client_addr *a, bool make)
{
	size_t i;

	for (i = 0; i < w->ncounts; i++)
		if (memcmp(w->counts[i].key, a->key, CLIENT_KEY_LEN) == 0)
			return &w->counts[i];
	if (!make)
		return NULL;
	w->counts = xreallocarray(w->counts, w->ncounts + 1, sizeof(*w->counts));
	memcpy(w->counts[w->ncounts].key, a->key, CLIENT_KEY_LEN);
	w->counts[w->ncounts].n = 0;
	return &w->counts[w->ncounts++];
}

static bool
on_accept(void *arg, const struct sockaddr *sa, socklen_t len)
{
	struct hkp_worker *w = arg;
	struct client_addr a;
	struct conncount *c;

	(void)len;
	if (w->stopping)
		return false;
	client_from_sockaddr(sa, &a);
	if (!counted(w, &a))
		return true;
	c = count_of(w, &a, false);
	return c == NULL || c->n < w->conf->hkp_max_connections_per_ip;
}

static void
on_open(void *arg, const struct sockaddr *sa, socklen_t len)
{
	struct hkp_worker *w = arg;
	struct client_addr a;

	(void)len;
	client_from_sockaddr(sa, &a);
	if (counted(w, &a))
		count_of(w, &a, true)->n++;
}

static void
on_close(void *arg, const struct sockaddr *sa, socklen_t len)
{
	struct hkp_worker *w = arg;
	struct client_addr a;
	struct conncount *c;

	(void)len;
	client_from_sockaddr(sa, &a);
	if (counted(w, &a) && (c = count_of(w, &a, false)) != NULL && c->n > 0 &&
	    --c->n == 0) {
		*c = w->counts[--w->ncounts];
	}
}

/* ---- requests ---------------------------------------------------------- */

/* Hand resp over as rep (valid until on_replied). */
static void
to_reply(struct hkp_worker *w, struct http_reply *rep)
{
	const struct hkp_response *r = &w->resp;
	size_t i;

	memset(rep, 0, sizeof(*rep));
	rep->status = r->status;
	if (r->content_type) {
		snprintf(w->content_type, sizeof(w->content_type), "%s", r->content_type);
		rep->headers[rep->nheaders].name = "Content-Type";
		rep->headers[rep->nheaders++].value = w->content_type;
	}
	for (i = 0; i < r->nheaders && rep->nheaders < HTTP_MAX_REPLY_HEADERS; i++) {
		rep->headers[rep->nheaders].name = r->headers[i].name;
		rep->headers[rep->nheaders++].value = r->headers[i].value;
	}
	rep->body = r->body.data;
	rep->body_len = r->body.len;
	rep->close = r->close;
}

static void
fill_request(const struct http_request *h, struct hkp_request *rq)
{
	memset(rq, 0, sizeof(*rq));
	rq->method = h->method;
	rq->target = h->target;
	rq->content_type = http_request_header(h, "Content-Type");
	rq->has_length = h->has_length;
	rq->content_length = h->content_length;
	rq->body = h->body;
	rq->body_len = h->body_len;
	rq->body_too_large = h->body_too_large;
}

/* The rate limits; true (and the 429 in w->resp) if over one. */
static bool
over_rate(struct hkp_worker *w, const struct client_addr *client, bool is_add)
{
	uint64_t now = clock_ms();
	unsigned wait;
	bool log_it = false;
	const char *which = "hkp_rate_limit";

	wait = rate_check(w->env->rate, client->key, RATE_REQUESTS,
	    w->conf->hkp_rate_limit, 60000, now, &log_it);
	if (wait == 0 && is_add) {
		wait = rate_check(w->env->rate, client->key, RATE_ADDS,
		    w->conf->hkp_add_rate_limit, 3600000, now, &log_it);
		which = "hkp_add_rate_limit";
	}
	if (wait == 0)
		return false;
	if (log_it)
		log_info("hkp: %s is over %s; answering 429 (logged once a minute)",
		    client->text, which);
	hkp_too_many(&w->resp, wait, is_add && strcmp(which, "hkp_add_rate_limit") == 0);
	return true;
}

static void
count_request(struct hkp_worker *w)
{
	w->served++;
	*w->env->served = w->served;
}

static bool
on_head(void *arg, struct http_request *h, struct http_reply *rep)
{
	struct hkp_worker *w = arg;
	struct client_addr peer, client;
	struct hkp_request rq;
	bool is_add;

	client_from_sockaddr(h->peer, &peer);
	client_for_request(&peer, http_request_header(h, "X-Forwarded-For"),
	    w->conf->hkp_forwarded_for, &client);
	http_request_label(h, client.text);
	is_add = strcmp(h->method, "POST") == 0 && hkp_route_of(h->target) == HKP_R_ADD;
	hkp_response_init(&w->resp);
	if (over_rate(w, &client, is_add)) {
		count_request(w);
		to_reply(w, rep);
		return true;
	}
	fill_request(h, &rq);
	if (!hkp_precheck(&w->henv, &rq, &w->resp))
		return false;
	count_request(w);
	to_reply(w, rep);
	return true;
}

static void
on_body(void *arg, struct http_request *h, struct http_reply *rep)
{
	struct hkp_worker *w = arg;
	struct hkp_request rq;
	struct client_addr peer, client;

	fill_request(h, &rq);
	hkp_handle(&w->henv, &rq, &w->resp);
	count_request(w);
	if (w->resp.is_add && (w->resp.status == 200 || w->resp.status == 422 ||
	    w->resp.status == 503)) {
		client_from_sockaddr(h->peer, &peer);
		client_for_request(&peer, http_request_header(h, "X-Forwarded-For"),
		    w->conf->hkp_forwarded_for, &client);
		log_info("hkp: %s add: %u key(s) stored, %u refused", client.text,
		    w->resp.keys_stored, w->resp.keys_refused);
	}
	to_reply(w, rep);
}

static void
on_replied(void *arg, struct http_request *h)
{
	struct hkp_worker *w = arg;

	(void)h;
	hkp_response_free(&w->resp);
}

static void
on_done(void *arg, const char *method, const char *target, const struct sockaddr *peer,
    const char *label, int status, size_t bytes, uint64_t ms)
{
	char t[TARGET_LOG_MAX + 4], m[16];
	struct client_addr a;
	size_t i, n = strlen(target);

	(void)arg;
	if (label == NULL) {
		client_from_sockaddr(peer, &a);
		label = a.text;
	}
	snprintf(t, sizeof(t), "%.*s%s", TARGET_LOG_MAX, target, n > TARGET_LOG_MAX ? "..." : "");
	snprintf(m, sizeof(m), "%s", method);
	for (i = 0; t[i]; i++)
		if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7e || t[i] == '"')
			t[i] = '?';
	for (i = 0; m[i]; i++)
		if ((unsigned char)m[i] < 0x21 || (unsigned char)m[i] > 0x7e || m[i] == '"')
			m[i] = '?';
	log_info("hkp: %s \"%s %s\" %d %zu %llums", label, m, t, status, bytes,
	    (unsigned long long)ms);
}

static void
on_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("hkp: libmicrohttpd: %s", msg);
}

/* ---- the loop ---------------------------------------------------------- */

static void
stop(struct hkp_worker *w)
{
	if (!w->stopping) {
		w->stopping = true;
		http_server_quiesce(w->srv);
	}
}

enum serve_status
hkp_worker_run(const struct worker_env *env)
{
	static const int handled[] = { SIGTERM, SIGINT, 0 };
	static const int ignored[] = { SIGHUP, 0 };
	const struct conf *c = env->conf;
	struct http_limits lim;
	struct http_handlers h;
	struct hkp_worker w;
	char err[256];
	bool master_gone = false;

	memset(&w, 0, sizeof(w));
	w.env = env;
	w.conf = c;
	if (sig_setup(handled, ignored) < 0) {
		log_warn("hkp: worker signals");
		return SERVE_WORKER_FAILED;
	}
	log_open("keymail", 1);
	memset(&lim, 0, sizeof(lim));
	lim.max_header_size = c->hkp_max_header_size;
	lim.max_body = c->hkp_max_body;
	lim.idle_timeout = (unsigned)c->hkp_timeout;
	lim.request_timeout = (unsigned)c->hkp_request_timeout;
	lim.max_connections = c->hkp_max_connections;
	memset(&h, 0, sizeof(h));
	h.arg = &w;
	h.on_accept = on_accept;
	h.on_open = on_open;
	h.on_close = on_close;
	h.on_head = on_head;
	h.on_body = on_body;
	h.on_replied = on_replied;
	h.on_done = on_done;
	h.on_error = on_error;
	hkp_db_open(&w.db, c, &w.be);
	w.henv.conf = c;
	w.henv.be = &w.be;
	w.henv.version = "keymail " KM_VERSION;
	w.srv = http_server_new(env->ls->hkp_fds, env->ls->nhkp, &lim, &h, err, sizeof(err));
	if (w.srv == NULL) {
		log_warnx("hkp: %s", err);
		hkp_db_close(&w.db);
		return SERVE_WORKER_FAILED;
	}
	for (;;) {
		struct pollfd pfd[LISTEN_MAX + 2];
		size_t n;
		int sig;

		if (w.stopping && http_server_connections(w.srv) == 0)
			break;
		n = http_server_pollfds(w.srv, pfd, LISTEN_MAX);
		pfd[n].fd = sig_fd();
		pfd[n].events = POLLIN;
		pfd[n + 1].fd = master_gone ? -1 : env->master_fd;
		pfd[n + 1].events = POLLIN;
		if (poll(pfd, n + 2, http_server_timeout(w.srv)) < 0 && errno != EINTR) {
			log_warn("hkp: poll");
			break;
		}
		while ((sig = sig_take()) != 0)
			if (sig == SIGTERM || sig == SIGINT)
				stop(&w);
		if (pfd[n + 1].revents & (POLLIN | POLLHUP | POLLERR)) {
			stop(&w);	/* the master is gone */
			master_gone = true;
		}
		http_server_run(w.srv);
		if (c->serve_max_requests && w.served >= c->serve_max_requests)
			stop(&w);
	}
	http_server_free(w.srv);
	hkp_db_close(&w.db);
	free(w.counts);
	return SERVE_WORKER_DONE;
}
