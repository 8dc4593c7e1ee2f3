/*
 * serve/listen.h - the listen keys of keymail serve (server.md 3) and the
 * sockets they name.
 *
 * hkp_listen: blank-separated ADDR:PORT items, ADDR an IPv4 literal or a
 * bracketed IPv6 literal (IPv6 sockets are v6-only); no host names.
 * lmtp_listen: an absolute path (a unix-domain socket, mode 0666) or one
 * ADDR:PORT, never port 25 (RFC 2033 section 1). Port 0 asks the kernel
 * for a free port (for tests); the port bound is logged.
 *
 * The configuration is trusted but checked: a syntax error is a
 * configuration error (exit 78), a socket that cannot be bound is exit 71.
 * Memory: struct listen_set owns its descriptors and strings;
 * listen_close() closes and frees them.
 */
#ifndef KM_SERVE_LISTEN_H
#define KM_SERVE_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define LISTEN_MAX 16		/* hkp_listen items */

struct listen_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[80];		/* as given, for logs */
};

struct listen_spec {
	struct listen_addr hkp[LISTEN_MAX];
	size_t nhkp;
	bool lmtp;		/* lmtp_listen set */
	bool lmtp_unix;
	char lmtp_path[108];	/* sun_path */
	struct listen_addr lmtp_addr;
};

struct listen_set {
	int hkp_fds[LISTEN_MAX];
	size_t nhkp;
	int lmtp_fd;		/* -1: none */
	char *lmtp_path;	/* the socket file we made, removed at stop */
};

/* Parse the two keys (either may be NULL). 0, or -1 with err set. */
int listen_parse(const char *hkp, const char *lmtp, struct listen_spec *out,
    char *err, size_t errlen);
/*
 * Bind and listen on everything spec names (non-blocking, close-on-exec).
 * A unix socket path that holds a stale socket is replaced; a live one
 * (another server answers there) or any other file is an error.
 * 0, or -1 with err set and nothing left open.
 */
int listen_open(const struct listen_spec *spec, struct listen_set *out,
    char *err, size_t errlen);
/* "ADDR:PORT" of a bound socket (the port the kernel chose for 0). */
void listen_describe(int fd, char *out, size_t outlen);
/* Close every descriptor; remove_socket: unlink the LMTP socket file. */
void listen_close(struct listen_set *ls, bool remove_socket);

#endif
