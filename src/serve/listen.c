/*
 * serve/listen.c - see listen.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "serve/listen.h"
#include "util/xalloc.h"

#define BACKLOG 511

/* One "ADDR:PORT" or "[ADDR]:PORT" item of n octets. */
static int
parse_addr(const char *s, size_t n, struct listen_addr *out, char *err, size_t errlen)
{
	char host[64], *end;
	const char *colon, *port;
	unsigned long p;

	memset(out, 0, sizeof(*out));
	snprintf(out->text, sizeof(out->text), "%.*s", (int)n, s);
	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL || (size_t)(rb - s) + 1 >= n || rb[1] != ':' ||
		    (size_t)(rb - s - 1) >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		port = rb + 2;
	} else {
		colon = memchr(s, ':', n);
		if (colon == NULL || (size_t)(colon - s) >= sizeof(host) ||
		    memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) != NULL)
			goto bad;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = colon + 1;
	}
	if (port >= s + n || *port < '0' || *port > '9')
		goto bad;
	{
		char pbuf[8];
		size_t pl = n - (size_t)(port - s);

		if (pl >= sizeof(pbuf))
			goto bad;
		memcpy(pbuf, port, pl);
		pbuf[pl] = '\0';
		errno = 0;
		p = strtoul(pbuf, &end, 10);
		if (errno || *end != '\0' || p > 65535)
			goto bad;
	}
	if (s[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			goto bad;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		out->len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&out->sa;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			goto bad;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		out->len = sizeof(*in);
	}
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not ADDR:PORT (an IPv4 address, or an IPv6 "
	    "address in brackets, and a port number)", out->text);
	return -1;
}

static int
port_of(const struct listen_addr *a)
{
	if (a->sa.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
}

int
listen_parse(const char *hkp, const char *lmtp, struct listen_spec *out,
    char *err, size_t errlen)
{
	const char *p = hkp;

	memset(out, 0, sizeof(*out));
	while (p && *p) {
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n == 0)
			break;
		if (out->nhkp == LISTEN_MAX) {
			snprintf(err, errlen, "hkp_listen: more than %d addresses", LISTEN_MAX);
			return -1;
		}
		if (parse_addr(p, n, &out->hkp[out->nhkp], err, errlen) < 0) {
			char e2[256];

			snprintf(e2, sizeof(e2), "hkp_listen: %s", err);
			snprintf(err, errlen, "%s", e2);
			return -1;
		}
		out->nhkp++;
		p += n;
	}
	if (lmtp && *lmtp) {
		out->lmtp = true;
		if (lmtp[0] == '/') {
			if (strlen(lmtp) >= sizeof(out->lmtp_path)) {
				snprintf(err, errlen, "lmtp_listen: the path is longer than "
				    "%zu octets", sizeof(out->lmtp_path) - 1);
				return -1;
			}
			out->lmtp_unix = true;
			snprintf(out->lmtp_path, sizeof(out->lmtp_path), "%s", lmtp);
		} else {
			char e2[256];

			if (strpbrk(lmtp, " \t") != NULL) {
				snprintf(err, errlen, "lmtp_listen: one absolute path or "
				    "one ADDR:PORT");
				return -1;
			}
			if (parse_addr(lmtp, strlen(lmtp), &out->lmtp_addr, e2,
			    sizeof(e2)) < 0) {
				snprintf(err, errlen, "lmtp_listen: %s, or an absolute path", e2);
				return -1;
			}
			if (port_of(&out->lmtp_addr) == 25) {
				snprintf(err, errlen, "lmtp_listen: LMTP must not use "
				    "port 25 (RFC 2033)");
				return -1;
			}
		}
	}
	return 0;
}

static int
bind_inet(const struct listen_addr *a, char *err, size_t errlen)
{
	int fd, one = 1;

	fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", a->text, strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->sa.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0 ||
	    listen(fd, BACKLOG) < 0) {
		snprintf(err, errlen, "%s: %s", a->text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Is another server answering on the unix socket at path? */
static bool
socket_alive(const char *path)
{
	struct sockaddr_un un;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return false;
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	alive = connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0 || errno != ECONNREFUSED;
	close(fd);
	return alive;
}

static int
bind_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un un;
	struct stat st;
	int fd;

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket", path);
			return -1;
		}
		if (socket_alive(path)) {
			snprintf(err, errlen, "%s: another server is listening there", path);
			return -1;
		}
		(void)unlink(path);	/* a stale socket of a server that is gone */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", path, strerror(errno));
		return -1;
	}
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Who may connect is decided by the directory (server.md 3). */
	if (chmod(path, 0666) < 0 || listen(fd, BACKLOG) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		(void)unlink(path);
		return -1;
	}
	return fd;
}

int
listen_open(const struct listen_spec *spec, struct listen_set *out, char *err,
    size_t errlen)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->lmtp_fd = -1;
	for (i = 0; i < spec->nhkp; i++) {
		int fd = bind_inet(&spec->hkp[i], err, errlen);

		if (fd < 0)
			goto fail;
		out->hkp_fds[out->nhkp++] = fd;
	}
	if (spec->lmtp) {
		if (spec->lmtp_unix) {
			out->lmtp_fd = bind_unix(spec->lmtp_path, err, errlen);
			if (out->lmtp_fd >= 0)
				out->lmtp_path = xstrdup(spec->lmtp_path);
		} else
			out->lmtp_fd = bind_inet(&spec->lmtp_addr, err, errlen);
		if (out->lmtp_fd < 0)
			goto fail;
	}
	return 0;
fail:
	listen_close(out, true);
	return -1;
}

void
listen_describe(int fd, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(out, outlen, "?");
		return;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(in->sin_port));
	} else if (ss.ss_family == AF_UNIX)
		snprintf(out, outlen, "%s", ((const struct sockaddr_un *)&ss)->sun_path);
	else
		snprintf(out, outlen, "?");
}

void
listen_close(struct listen_set *ls, bool remove_socket)
{
	size_t i;

	for (i = 0; i < ls->nhkp; i++)
		close(ls->hkp_fds[i]);
	ls->nhkp = 0;
	if (ls->lmtp_fd >= 0)
		close(ls->lmtp_fd);
	ls->lmtp_fd = -1;
	if (ls->lmtp_path && remove_socket)
		(void)unlink(ls->lmtp_path);
	free(ls->lmtp_path);
	ls->lmtp_path = NULL;
}
