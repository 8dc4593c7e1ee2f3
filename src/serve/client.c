/*
 * serve/client.c - see client.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "serve/client.h"

static void
from_v4(const uint8_t a[4], struct client_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->key[0] = 4;
	memcpy(out->key + 1, a, 4);
	inet_ntop(AF_INET, a, out->text, sizeof(out->text));
	out->loopback = a[0] == 127;
}

static void
from_v6(const uint8_t a[16], struct client_addr *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t loop[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t prefix[16];
	size_t n;

	if (memcmp(a, mapped, 12) == 0) {
		from_v4(a + 12, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->loopback = memcmp(a, loop, 16) == 0;
	out->key[0] = 6;
	memset(prefix, 0, sizeof(prefix));
	memcpy(prefix, a, 8);		/* the /64 */
	memcpy(out->key + 1, prefix, 16);
	inet_ntop(AF_INET6, prefix, out->text, sizeof(out->text));
	n = strlen(out->text);
	snprintf(out->text + n, sizeof(out->text) - n, "/64");
}

void
client_from_sockaddr(const struct sockaddr *sa, struct client_addr *out)
{
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		from_v4((const uint8_t *)&in->sin_addr, out);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		from_v6(in6->sin6_addr.s6_addr, out);
	} else {
		memset(out, 0, sizeof(*out));
		snprintf(out->text, sizeof(out->text), "local");
		out->loopback = true;
	}
}

bool
client_from_text(const char *s, struct client_addr *out)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, s, a) == 1) {
		from_v4(a, out);
		return true;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		from_v6(a, out);
		return true;
	}
	return false;
}

void
client_for_request(const struct client_addr *peer, const char *xff, bool trust_xff,
    struct client_addr *out)
{
	const char *last, *e;
	char ip[64];
	size_t n;

	*out = *peer;
	if (!trust_xff || !peer->loopback || xff == NULL)
		return;
	last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	while (*last == ' ' || *last == '\t')
		last++;
	e = last + strlen(last);
	while (e > last && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - last);
	if (n == 0 || n >= sizeof(ip))
		return;
	memcpy(ip, last, n);
	ip[n] = '\0';
	(void)client_from_text(ip, out);
}
