/*
 * rate_test.c - the shared rate table (serve/rate.c) and client addresses
 * (serve/client.c): burst and rate, Retry-After, kinds counted apart,
 * eviction of the least recently seen, the once-a-minute log flag, and
 * several processes counting against one table (server.md 3, 4).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "serve/client.h"
#include "serve/rate.h"

static void
key_of(const char *ip, uint8_t key[CLIENT_KEY_LEN])
{
	struct client_addr a;

	if (!client_from_text(ip, &a))
		abort();
	memcpy(key, a.key, CLIENT_KEY_LEN);
}

static void
test_rate(void)
{
	struct rate_table *t = rate_table_create(100);
	uint8_t a[CLIENT_KEY_LEN], b[CLIENT_KEY_LEN];
	uint64_t now = 1000000;
	unsigned i, rc, allowed = 0;
	bool log = false;

	key_of("192.0.2.1", a);
	key_of("192.0.2.2", b);
	/* 300 per minute: a burst of 300, then the 301st waits 200 ms -> 1 s */
	for (i = 0; i < 301; i++)
		if (rate_check(t, a, RATE_REQUESTS, 300, 60000, now, NULL) == 0)
			allowed++;
	CHECK_INT(allowed, 300);
	rc = rate_check(t, a, RATE_REQUESTS, 300, 60000, now, &log);
	CHECK_INT(rc, 1);
	CHECK(log == false, "logged twice in a minute");
	/* the other address and the other kind are not affected */
	CHECK_INT(rate_check(t, b, RATE_REQUESTS, 300, 60000, now, NULL), 0);
	CHECK_INT(rate_check(t, a, RATE_ADDS, 60, 3600000, now, NULL), 0);
	/* 200 ms later one more passes, then none */
	CHECK_INT(rate_check(t, a, RATE_REQUESTS, 300, 60000, now + 200, NULL), 0);
	CHECK(rate_check(t, a, RATE_REQUESTS, 300, 60000, now + 200, NULL) != 0, "rate");
	/* a minute later the log flag comes back */
	(void)rate_check(t, a, RATE_REQUESTS, 300, 60000, now + 200, &log);
	CHECK(!log, "log flag inside the minute");

	/* 1 per hour: Retry-After counts down in whole seconds */
	CHECK_INT(rate_check(t, b, RATE_ADDS, 1, 3600000, now, NULL), 0);
	rc = rate_check(t, b, RATE_ADDS, 1, 3600000, now, &log);
	CHECK_INT(rc, 3600);
	CHECK(log, "first refusal not flagged for the log");
	CHECK_INT(rate_check(t, b, RATE_ADDS, 1, 3600000, now + 1800500, NULL), 1800);
	CHECK_INT(rate_check(t, b, RATE_ADDS, 1, 3600000, now + 3600000, NULL), 0);
	(void)rate_check(t, b, RATE_ADDS, 1, 3600000, now + 3600000 + 60000, &log);
	CHECK(log, "refusal a minute later not flagged");

	/* limit 0: no limit */
	for (i = 0; i < 1000; i++)
		CHECK(rate_check(t, a, RATE_ADDS, 0, 3600000, now, NULL) == 0, "limit 0");
	rate_table_destroy(t);
}

static void
test_eviction(void)
{
	struct rate_table *t = rate_table_create(3);
	uint8_t k[5][CLIENT_KEY_LEN];
	uint64_t now = 5000;
	int i;

	key_of("198.51.100.1", k[0]);
	key_of("198.51.100.2", k[1]);
	key_of("198.51.100.3", k[2]);
	key_of("198.51.100.4", k[3]);
	key_of("2001:db8::1", k[4]);
	/* each address uses up its 1 per hour */
	for (i = 0; i < 3; i++)
		CHECK_INT(rate_check(t, k[i], RATE_REQUESTS, 1, 3600000, now, NULL), 0);
	CHECK_INT(rate_table_count(t), 3);
	/* k[0] seen again: now k[1] is the least recently seen */
	CHECK(rate_check(t, k[0], RATE_REQUESTS, 1, 3600000, now, NULL) != 0, "k0");
	CHECK_INT(rate_check(t, k[3], RATE_REQUESTS, 1, 3600000, now, NULL), 0);
	CHECK_INT(rate_table_count(t), 3);
	/* k[1] was forgotten (passes again); k[0] and k[2] were not */
	CHECK_INT(rate_check(t, k[1], RATE_REQUESTS, 1, 3600000, now, NULL), 0);
	CHECK(rate_check(t, k[0], RATE_REQUESTS, 1, 3600000, now, NULL) != 0, "k0 kept");
	/* that forgot k[2] (least recent after k[1] came back) */
	CHECK_INT(rate_check(t, k[2], RATE_REQUESTS, 1, 3600000, now, NULL), 0);
	CHECK_INT(rate_check(t, k[4], RATE_REQUESTS, 1, 3600000, now, NULL), 0);
	CHECK_INT(rate_table_count(t), 3);
	rate_table_destroy(t);
}

/* Many more addresses than room: chains collide and evict all the time;
 * the table must keep exactly the last `capacity` addresses seen. */
static void
test_churn(void)
{
	enum { CAP = 64, N = 20000 };
	struct rate_table *t = rate_table_create(CAP);
	uint8_t k[CLIENT_KEY_LEN];
	char ip[32];
	unsigned i, allowed = 0, kept = 0, forgotten = 0;

	for (i = 0; i < N; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		key_of(ip, k);
		if (rate_check(t, k, RATE_REQUESTS, 1, 3600000, 1, NULL) == 0)
			allowed++;
	}
	CHECK_INT(allowed, N);
	CHECK_INT(rate_table_count(t), CAP);
	/* The last CAP addresses are remembered (refused now: asking them
	 * evicts nothing), the first CAP long forgotten (allowed again). */
	for (i = N - CAP; i < N; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		key_of(ip, k);
		if (rate_check(t, k, RATE_REQUESTS, 1, 3600000, 1, NULL) != 0)
			kept++;
	}
	CHECK_INT(kept, CAP);
	for (i = 0; i < CAP; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		key_of(ip, k);
		if (rate_check(t, k, RATE_REQUESTS, 1, 3600000, 1, NULL) == 0)
			forgotten++;
	}
	CHECK_INT(forgotten, CAP);
	CHECK_INT(rate_table_count(t), CAP);
	rate_table_destroy(t);
}

/* Four processes, 100 requests each, limit 150: exactly 150 pass. */
static void
test_processes(void)
{
	struct rate_table *t = rate_table_create(16);
	uint8_t a[CLIENT_KEY_LEN];
	int p, status, total = 0;
	pid_t pids[4];

	key_of("203.0.113.9", a);
	for (p = 0; p < 4; p++) {
		if ((pids[p] = fork()) == 0) {
			int i, n = 0;

			for (i = 0; i < 100; i++)
				if (rate_check(t, a, RATE_REQUESTS, 150, 3600000, 42, NULL) == 0)
					n++;
			_exit(n);
		}
	}
	for (p = 0; p < 4; p++) {
		waitpid(pids[p], &status, 0);
		total += WIFEXITED(status) ? WEXITSTATUS(status) : 1000;
	}
	CHECK_INT(total, 150);
	rate_table_destroy(t);
}

static void
test_client(void)
{
	struct client_addr a, b, r;
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;

	CHECK(client_from_text("2001:db8:1:2:aaaa::1", &a), "v6");
	CHECK(client_from_text("2001:db8:1:2:bbbb::9", &b), "v6");
	CHECK_STR(a.text, "2001:db8:1:2::/64");
	CHECK(memcmp(a.key, b.key, CLIENT_KEY_LEN) == 0, "one /64, one key");
	CHECK(client_from_text("2001:db8:1:3::1", &b), "v6");
	CHECK(memcmp(a.key, b.key, CLIENT_KEY_LEN) != 0, "another /64");
	CHECK(client_from_text("::ffff:192.0.2.7", &a), "mapped");
	CHECK_STR(a.text, "192.0.2.7");
	CHECK(client_from_text("192.0.2.7", &b), "v4");
	CHECK(memcmp(a.key, b.key, CLIENT_KEY_LEN) == 0, "mapped v4 is v4");
	CHECK(!client_from_text("example.org", &a), "names are not addresses");
	CHECK(!client_from_text("192.0.2.1 ", &a), "blanks");

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &s4.sin_addr);
	client_from_sockaddr((struct sockaddr *)&s4, &a);
	CHECK(a.loopback, "127.0.0.1 is loopback");
	client_for_request(&a, "10.0.0.1, 198.51.100.7 ", true, &r);
	CHECK_STR(r.text, "198.51.100.7");
	client_for_request(&a, "10.0.0.1, 198.51.100.7", false, &r);
	CHECK_STR(r.text, "127.0.0.1");
	client_for_request(&a, "10.0.0.1, unknown", true, &r);
	CHECK_STR(r.text, "127.0.0.1");
	client_for_request(&a, NULL, true, &r);
	CHECK_STR(r.text, "127.0.0.1");
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::5", &s6.sin6_addr);
	client_from_sockaddr((struct sockaddr *)&s6, &b);
	CHECK(!b.loopback, "not loopback");
	client_for_request(&b, "198.51.100.7", true, &r);
	CHECK_STR(r.text, "2001:db8::/64");	/* a remote peer's header is ignored */
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	client_from_sockaddr((struct sockaddr *)&s6, &b);
	CHECK(b.loopback, "::1 is loopback");
}

int
main(void)
{
	test_rate();
	test_eviction();
	test_churn();
	test_processes();
	test_client();
	return check_done();
}
