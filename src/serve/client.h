/*
 * serve/client.h - the client address of server.md 3: what rate limits,
 * per-address connection limits and log lines count by.
 *
 * It is the peer's IPv4 address (an IPv4-mapped IPv6 peer counts as
 * IPv4), or the /64 prefix of its IPv6 address; or, when the operator
 * trusts a local reverse proxy (hkp_forwarded_for) and the peer is a
 * loopback address, the last entry of X-Forwarded-For read the same way.
 *
 * Pure functions. The X-Forwarded-For value is untrusted; an entry that
 * is not an IP literal is ignored (the peer counts).
 */
#ifndef KM_SERVE_CLIENT_H
#define KM_SERVE_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define CLIENT_KEY_LEN 17	/* family octet + 16 address octets */
#define CLIENT_TEXT_LEN 48	/* "ffff:ffff:ffff:ffff::/64" and less */

struct client_addr {
	uint8_t key[CLIENT_KEY_LEN];	/* 4 or 6, then the (cut) address, zero-padded */
	char text[CLIENT_TEXT_LEN];	/* "192.0.2.1", "2001:db8:1:2::/64" */
	bool loopback;			/* 127.0.0.0/8 or ::1 */
};

/* From a peer socket address (AF_INET, AF_INET6; anything else, e.g. a
 * unix socket, gives the key of "local"). */
void client_from_sockaddr(const struct sockaddr *sa, struct client_addr *out);
/* From the text of an IP literal; false (out untouched) if it is none. */
bool client_from_text(const char *s, struct client_addr *out);
/*
 * The client address of a request: the peer's, unless trust_xff and the
 * peer is loopback and xff's last comma-separated entry is an IP literal.
 */
void client_for_request(const struct client_addr *peer, const char *xff,
    bool trust_xff, struct client_addr *out);

#endif
