/*
 * net/http.h - a small HTTP/1.x server for one worker process, over
 * listening sockets it is handed (server.md 1, 4, 5.1).
 *
 * net/http_mhd.c implements it with libmicrohttpd and is the only file
 * that includes microhttpd.h. This interface knows nothing of HKP: the
 * caller's handlers see each request twice, once its request line and
 * header fields are in (answer now, or ask for the body) and once its
 * body is (answer). The server runs in the caller's thread: the caller
 * polls the descriptors http_server_pollfds() gives, then calls
 * http_server_run(); handlers are called from there, one request at a
 * time.
 *
 * Limits enforced here, before a handler sees anything: the request line
 * and the header fields (414 and 431 past max_header_size), open
 * connections in all and per client (closed at once, by the accept
 * callback's verdict), the idle timeout, and request_timeout: a request
 * whose line, header fields and body have not all arrived that many
 * seconds after its first octet could have (the connection was accepted,
 * or the previous response on it was sent) is cut, without a response.
 * Bodies: at most max_body octets are kept; a longer chunked body is read
 * to its end and dropped (body_too_large), since libmicrohttpd 0.9.75 can
 * answer only before the body or after it.
 *
 * Untrusted input: everything in struct http_request. Memory: a request's
 * strings and body belong to the server and live until the handler
 * returns; struct http_reply's pointers are the handler's and are copied
 * before http_reply-taking calls return.
 */
#ifndef KM_NET_HTTP_H
#define KM_NET_HTTP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct http_limits {
	size_t max_header_size;		/* request line plus header fields */
	size_t max_body;
	unsigned idle_timeout;		/* seconds; 0: none */
	unsigned request_timeout;	/* seconds; 0: none */
	size_t max_connections;		/* open connections, all listeners together */
};

struct http_request {
	const char *method;
	const char *target;		/* raw request target, as received */
	const char *version;		/* "HTTP/1.1" */
	const struct sockaddr *peer;
	socklen_t peerlen;
	bool has_length;		/* Content-Length given */
	uint64_t content_length;
	/* The whole body, once it is in (on_body). */
	const uint8_t *body;
	size_t body_len;
	bool body_too_large;		/* more than max_body octets arrived */
	void *impl;			/* the adapter's */
};

/* A request header field (first of that name, case-insensitive), or NULL. */
const char *http_request_header(const struct http_request *rq, const char *name);
/* Attach a short label (the caller's client address) that on_done gets
 * back; cut to 63 octets. */
void http_request_label(struct http_request *rq, const char *label);

#define HTTP_MAX_REPLY_HEADERS 12

struct http_reply {
	int status;
	struct {
		const char *name, *value;
	} headers[HTTP_MAX_REPLY_HEADERS];
	size_t nheaders;
	const uint8_t *body;
	size_t body_len;
	bool close;			/* close the connection after it */
};

struct http_handlers {
	void *arg;
	/* Accept a connection from this peer? (connection limits per
	 * client; asked before on_open, in the same http_server_run step) */
	bool (*on_accept)(void *arg, const struct sockaddr *sa, socklen_t len);
	/* A connection is open; on_close follows exactly once for it. */
	void (*on_open)(void *arg, const struct sockaddr *sa, socklen_t len);
	void (*on_close)(void *arg, const struct sockaddr *sa, socklen_t len);
	/* Request line and header fields are in: fill rep and return true
	 * to answer now, or return false to have the body read. */
	bool (*on_head)(void *arg, struct http_request *rq, struct http_reply *rep);
	/* The body is in: fill rep. */
	void (*on_body)(void *arg, struct http_request *rq, struct http_reply *rep);
	/* Called after the reply was filled and handed over: the caller may
	 * release what rep pointed to. */
	void (*on_replied)(void *arg, struct http_request *rq);
	/* The request is over: status sent (0: none, the connection was
	 * cut), body octets sent. For the log line. method is "-" when the
	 * request was cut before its header fields were in; label is what
	 * on_head attached, or NULL. */
	void (*on_done)(void *arg, const char *method, const char *target,
	    const struct sockaddr *peer, const char *label, int status,
	    size_t bytes, uint64_t ms);
	/* A message from the library, for the log. */
	void (*on_error)(void *arg, const char *msg);
};

struct http_server;

/* NULL on failure (reason in err). fds: listening sockets, kept open. */
struct http_server *http_server_new(const int *fds, size_t nfds,
    const struct http_limits *lim, const struct http_handlers *h,
    char *err, size_t errlen);
/* Fill up to max pollfd entries (POLLIN on each listener's event fd);
 * returns how many. */
size_t http_server_pollfds(struct http_server *s, struct pollfd *pfd, size_t max);
/* Milliseconds the caller may sleep before calling http_server_run
 * again; -1: until a descriptor is ready. */
int http_server_timeout(struct http_server *s);
/* Do what is ready: accept, read, answer, write, time out. */
void http_server_run(struct http_server *s);
/* Stop accepting (the listeners stay open for others); requests already
 * received are answered with Connection: close, idle connections are
 * closed. */
void http_server_quiesce(struct http_server *s);
/* Connections open now. */
size_t http_server_connections(struct http_server *s);
void http_server_free(struct http_server *s);

#endif
