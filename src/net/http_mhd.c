/*
 * net/http_mhd.c - net/http.h with libmicrohttpd (the only file that
 * includes microhttpd.h).
 *
 * One MHD daemon per listening socket, each in "external select" mode
 * with its own epoll descriptor, all run from the worker's one thread, so
 * that handlers run one at a time on the worker's database connection and
 * need no locks. What MHD does not do itself is here:
 *  - the request timeout: every connection is on a list with the time its
 *    current request could have started; http_server_run() shuts down the
 *    socket of one that passes request_timeout while its request is still
 *    arriving (MHD then sees the end of the stream and closes it);
 *  - exact 414/431: MHD's memory pool is sized at twice max_header_size
 *    (it answers 414/431 itself past that), and the first handler call
 *    measures the request line and header fields against the limit;
 *  - the raw request target: the URI log callback sees it before MHD
 *    splits and unescapes it, so the caller decodes the query itself;
 *  - one connection limit over all listeners (on_accept is asked first).
 * Not used: MHD's POST processor and TLS (server.md 1).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "net/http.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xalloc.h"

struct conn {
	struct http_server *srv;
	int fd;
	uint64_t start_ms;		/* when the current request could have started */
	bool answering;			/* the whole request is in; a reply is queued */
	struct conn *prev, *next;
};

struct req {
	struct conn *conn;
	char *target;			/* raw, as received */
	char *method;			/* set at the first handler call */
	uint64_t start_ms;
	struct buf body;
	bool started, asked_body, too_large;
	int status;
	size_t bytes;
	bool head;
	char label[64];
};

struct http_server {
	struct MHD_Daemon **d;
	size_t nd;
	struct http_limits lim;
	struct http_handlers h;
	struct conn *conns;		/* every open connection */
	size_t nconns;
	bool quiesced;
	uint64_t last_log;		/* of an MHD message */
};

/* ---- callbacks -------------------------------------------------------- */

/* MHD's own messages, at most one a minute: most are about one client's
 * connection (closed early, malformed), which the request's log line
 * already shows, and a flood of them must not flood the log. */
static void
logger(void *cls, const char *fmt, va_list ap)
{
	struct http_server *s = cls;
	char msg[512];
	size_t n;
	uint64_t now = clock_ms();

	if (s->last_log != 0 && now - s->last_log < 60000)
		return;
	s->last_log = now;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (s->h.on_error)
		s->h.on_error(s->h.arg, msg);
}

static enum MHD_Result
accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_server *s = cls;

	if (s->quiesced || s->nconns >= s->lim.max_connections)
		return MHD_NO;
	if (s->h.on_accept && !s->h.on_accept(s->h.arg, addr, addrlen))
		return MHD_NO;
	return MHD_YES;
}

static socklen_t
addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

static void
notify_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn *c;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		c = xcalloc(1, sizeof(*c));
		c->srv = s;
		ci = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = ci ? ci->connect_fd : -1;
		c->start_ms = clock_ms();
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		*socket_context = c;
		if (s->h.on_open) {
			ci = MHD_get_connection_info(connection,
			    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
			if (ci && ci->client_addr)
				s->h.on_open(s->h.arg, ci->client_addr, addr_len(ci->client_addr));
		}
		return;
	}
	c = *socket_context;
	if (c == NULL)
		return;
	if (s->h.on_close) {
		ci = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr)
			s->h.on_close(s->h.arg, ci->client_addr, addr_len(ci->client_addr));
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
	*socket_context = NULL;
}

/* The URI callback comes first, with the target as received. */
static void *
uri_log(void *cls, const char *uri, struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *ci;
	struct req *r = xcalloc(1, sizeof(*r));

	(void)cls;
	r->target = xstrdup(uri ? uri : "");
	r->start_ms = clock_ms();
	buf_init(&r->body, 0);
	ci = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	r->conn = ci ? ci->socket_context : NULL;
	return r;
}

static void
request_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct req *r = *con_cls;
	const union MHD_ConnectionInfo *ci;

	if (r == NULL)
		return;
	if (r->conn) {
		r->conn->answering = false;
		r->conn->start_ms = clock_ms();
	}
	if (s->h.on_done) {
		int status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->status : 0;

		/* An error answer of MHD's own (414/431 past its memory pool). */
		if (r->status == 0 && (ci = MHD_get_connection_info(connection,
		    MHD_CONNECTION_INFO_HTTP_STATUS)) != NULL)
			status = (int)ci->http_status;
		ci = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		s->h.on_done(s->h.arg, r->method ? r->method : "-", r->target,
		    ci ? ci->client_addr : NULL, r->label[0] ? r->label : NULL, status,
		    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->bytes : 0,
		    clock_ms() - r->start_ms);
	}
	free(r->target);
	free(r->method);
	buf_free(&r->body);
	free(r);
	*con_cls = NULL;
}

/* ---- requests --------------------------------------------------------- */

struct impl {
	struct MHD_Connection *connection;
	struct req *req;
};

void
http_request_label(struct http_request *rq, const char *label)
{
	struct impl *im = rq->impl;

	snprintf(im->req->label, sizeof(im->req->label), "%s", label);
}

const char *
http_request_header(const struct http_request *rq, const char *name)
{
	const struct impl *im = rq->impl;

	return MHD_lookup_connection_value(im->connection, MHD_HEADER_KIND, name);
}

static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	size_t *n = cls;

	(void)kind;
	*n += strlen(key) + 2 + (value ? strlen(value) : 0) + 2;
	return MHD_YES;
}

static enum MHD_Result
queue(struct http_server *s, struct MHD_Connection *connection, struct req *r,
    const struct http_reply *rep)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	size_t i;

	resp = MHD_create_response_from_buffer(rep->body_len, (void *)(uintptr_t)rep->body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	for (i = 0; i < rep->nheaders; i++)
		(void)MHD_add_response_header(resp, rep->headers[i].name,
		    rep->headers[i].value);
	if (rep->close || s->quiesced)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(connection, (unsigned)rep->status, resp);
	MHD_destroy_response(resp);
	r->status = rep->status;
	r->bytes = r->head ? 0 : rep->body_len;
	if (r->conn)
		r->conn->answering = true;
	return rc;
}

static void
reply_status(struct http_reply *rep, int status, const char *text)
{
	memset(rep, 0, sizeof(*rep));
	rep->status = status;
	rep->headers[0].name = MHD_HTTP_HEADER_CONTENT_TYPE;
	rep->headers[0].value = "text/plain; charset=utf-8";
	rep->nheaders = 1;
	rep->body = (const uint8_t *)text;
	rep->body_len = strlen(text);
	rep->close = true;
}

static void
fill_request(struct MHD_Connection *connection, struct req *r, const char *version,
    struct impl *im, struct http_request *rq)
{
	const union MHD_ConnectionInfo *ci;
	const char *cl;

	memset(rq, 0, sizeof(*rq));
	im->connection = connection;
	im->req = r;
	rq->impl = im;
	rq->method = r->method;
	rq->target = r->target;
	rq->version = version;
	ci = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	rq->peer = ci ? ci->client_addr : NULL;
	rq->peerlen = rq->peer ? addr_len(rq->peer) : 0;
	cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(cl, &end, 10);
		if (errno == 0 && end != cl && *end == '\0') {
			rq->has_length = true;
			rq->content_length = v;
		}
	}
	rq->body = r->body.data;
	rq->body_len = r->body.len;
	rq->body_too_large = r->too_large;
}

/* Does the request announce a body (Content-Length > 0 or chunked)? */
static bool
has_body(struct MHD_Connection *connection, const struct http_request *rq)
{
	if (MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL)
		return true;
	return rq->has_length && rq->content_length > 0;
}

/*
 * MHD calls this once the header fields are in, then once per piece of
 * body, then once more when the request is complete. libmicrohttpd 0.9.75
 * closes the connection after a reply queued at the first call, so a
 * request without a body is answered at the last call (keep-alive works),
 * and only a request whose body we refuse is answered at the first.
 */
static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *connection, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct req *r = *con_cls;
	struct http_request rq;
	struct http_reply rep;
	struct impl im;
	enum MHD_Result rc;

	(void)url;
	if (r == NULL)
		return MHD_NO;	/* cannot happen: uri_log made it */
	if (!r->started) {
		size_t line = strlen(method) + 1 + strlen(r->target) + 1 +
		    strlen(version) + 2, head = 2;

		r->started = true;
		r->method = xstrdup(method);
		r->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
		(void)MHD_get_connection_values(connection, MHD_HEADER_KIND, count_header,
		    &head);
		if (line > s->lim.max_header_size) {
			reply_status(&rep, MHD_HTTP_URI_TOO_LONG,
			    "The request line is longer than hkp_max_header_size.\n");
			return queue(s, connection, r, &rep);
		}
		if (line + head > s->lim.max_header_size) {
			reply_status(&rep, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
			    "The header fields are larger than hkp_max_header_size.\n");
			return queue(s, connection, r, &rep);
		}
		fill_request(connection, r, version, &im, &rq);
		if (!has_body(connection, &rq))
			return MHD_YES;		/* all of it at the last call */
		memset(&rep, 0, sizeof(rep));
		if (s->h.on_head(s->h.arg, &rq, &rep)) {
			rc = queue(s, connection, r, &rep);
			if (s->h.on_replied)
				s->h.on_replied(s->h.arg, &rq);
			return rc;
		}
		r->asked_body = true;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (!r->too_large && r->body.len + *upload_data_size > s->lim.max_body) {
			r->too_large = true;
			buf_free(&r->body);
			buf_init(&r->body, 0);
		}
		if (!r->too_large)
			buf_append(&r->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* The request is complete. */
	fill_request(connection, r, version, &im, &rq);
	memset(&rep, 0, sizeof(rep));
	if (r->asked_body || !s->h.on_head(s->h.arg, &rq, &rep)) {
		memset(&rep, 0, sizeof(rep));
		s->h.on_body(s->h.arg, &rq, &rep);
	}
	rc = queue(s, connection, r, &rep);
	if (s->h.on_replied)
		s->h.on_replied(s->h.arg, &rq);
	return rc;
}

/* ---- the server ------------------------------------------------------- */

struct http_server *
http_server_new(const int *fds, size_t nfds, const struct http_limits *lim,
    const struct http_handlers *h, char *err, size_t errlen)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	size_t i, pool = 2 * lim->max_header_size + 8192;

	s->lim = *lim;
	s->h = *h;
	s->d = xcalloc(nfds ? nfds : 1, sizeof(*s->d));
	for (i = 0; i < nfds; i++) {
		s->d[i] = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
		    0, accept_policy, s, access_handler, s,
		    MHD_OPTION_EXTERNAL_LOGGER, logger, s,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fds[i],
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
		    MHD_OPTION_CONNECTION_TIMEOUT, lim->idle_timeout,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)(lim->max_connections ?
		    lim->max_connections : 1),
		    MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s,
		    MHD_OPTION_NOTIFY_COMPLETED, request_completed, s,
		    MHD_OPTION_URI_LOG_CALLBACK, uri_log, s,
		    MHD_OPTION_END);
		if (s->d[i] == NULL) {
			snprintf(err, errlen, "libmicrohttpd could not start on "
			    "listening socket %d", fds[i]);
			http_server_free(s);
			return NULL;
		}
		s->nd++;
	}
	return s;
}

size_t
http_server_pollfds(struct http_server *s, struct pollfd *pfd, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < s->nd && n < max; i++) {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d[i],
		    MHD_DAEMON_INFO_EPOLL_FD);

		if (di == NULL)
			continue;
		pfd[n].fd = di->epoll_fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

int
http_server_timeout(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG t;
	uint64_t best = UINT64_MAX, now = clock_ms();
	const struct conn *c;
	size_t i;

	for (i = 0; i < s->nd; i++)
		if (MHD_get_timeout(s->d[i], &t) == MHD_YES && t < best)
			best = t;
	if (s->lim.request_timeout)
		for (c = s->conns; c; c = c->next) {
			uint64_t due = c->start_ms + s->lim.request_timeout * 1000ull;

			if (c->answering || c->fd < 0)	/* cut already: MHD closes it */
				continue;
			if (due <= now)
				return 0;
			if (due - now < best)
				best = due - now;
		}
	return best == UINT64_MAX ? -1 : best > 60000 ? 60000 : (int)best;
}

/* Cut connections whose request is still arriving past the deadline, and
 * after quiesce every connection that is not being answered. */
static void
sweep(struct http_server *s)
{
	uint64_t now = clock_ms(), limit = s->lim.request_timeout * 1000ull;
	struct conn *c;

	for (c = s->conns; c; c = c->next) {
		if (c->answering || c->fd < 0)
			continue;
		if (s->quiesced || (limit && now - c->start_ms >= limit)) {
			(void)shutdown(c->fd, SHUT_RDWR);
			c->fd = -1;	/* once */
		}
	}
}

void
http_server_run(struct http_server *s)
{
	size_t i;

	sweep(s);
	for (i = 0; i < s->nd; i++)
		(void)MHD_run(s->d[i]);
	sweep(s);
}

void
http_server_quiesce(struct http_server *s)
{
	size_t i;

	if (s->quiesced)
		return;
	s->quiesced = true;
	/* MHD hands the listening socket back: it is the master's and the
	 * other workers' too, so only this process's copy is closed. */
	for (i = 0; i < s->nd; i++) {
		MHD_socket fd = MHD_quiesce_daemon(s->d[i]);

		if (fd != MHD_INVALID_SOCKET)
			(void)close(fd);
	}
	/* Take what has arrived on the open connections before idle ones
	 * are closed: a request already in a socket buffer is answered. */
	for (i = 0; i < s->nd; i++)
		(void)MHD_run(s->d[i]);
	sweep(s);
}

size_t
http_server_connections(struct http_server *s)
{
	return s->nconns;
}

void
http_server_free(struct http_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nd; i++) {
		if (!s->quiesced) {
			MHD_socket fd = MHD_quiesce_daemon(s->d[i]);

			if (fd != MHD_INVALID_SOCKET)
				(void)close(fd);
		}
		MHD_stop_daemon(s->d[i]);
	}
	free(s->d);
	free(s);
}
