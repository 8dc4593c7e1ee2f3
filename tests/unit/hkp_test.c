/*
 * hkp_test.c - the HKP and VKS routes (serve/hkp.c) with a recording
 * backend: the status table of server.md 5.7, the common headers, what
 * reaches the backend (decoded search, exact, op), and what never does
 * (a request refused for method, type or size).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "serve/hkp.h"

/* The fake backend: answers from `next`, records the last call. */
struct fake {
	enum hkp_be_status next;
	const char *body;
	size_t nkeys;
	int calls;
	enum hkp_lookup_op op;
	char search[512];
	bool exact;
	size_t added_len;
	char added[256];
	unsigned stored, refused;
};

static enum hkp_be_status
fake_lookup(void *arg, enum hkp_lookup_op op, const char *search, bool exact,
    struct buf *body, size_t *nkeys)
{
	struct fake *f = arg;

	f->calls++;
	f->op = op;
	snprintf(f->search, sizeof(f->search), "%s", search);
	f->exact = exact;
	if (f->body)
		buf_puts(body, f->body);
	*nkeys = f->nkeys;
	return f->next;
}

static enum hkp_be_status
fake_add(void *arg, const uint8_t *data, size_t len, struct buf *body,
    unsigned *stored, unsigned *refused)
{
	struct fake *f = arg;

	f->calls++;
	f->added_len = len;
	snprintf(f->added, sizeof(f->added), "%.*s", (int)len, (const char *)data);
	buf_puts(body, "report\n");
	*stored = f->stored;
	*refused = f->refused;
	return f->next;
}

static enum hkp_be_status
fake_count(void *arg, long long *n)
{
	struct fake *f = arg;

	f->calls++;
	*n = 1234;
	return f->next == HKP_BE_UNAVAILABLE ? HKP_BE_UNAVAILABLE : HKP_BE_FOUND;
}

static struct conf conf;
static struct fake fk;
static struct hkp_backend be = { &fk, fake_lookup, fake_add, fake_count };
static struct hkp_env env = { &conf, &be, "keymail test" };

static const char *
header(const struct hkp_response *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* Run a whole request (both steps, as the worker does). */
static void
request(const char *method, const char *target, const char *ctype,
    const char *body, struct hkp_response *resp)
{
	struct hkp_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.target = target;
	rq.content_type = ctype;
	if (body) {
		rq.has_length = true;
		rq.content_length = strlen(body);
	}
	hkp_response_init(resp);
	if (hkp_precheck(&env, &rq, resp))
		return;
	rq.body = (const uint8_t *)body;
	rq.body_len = body ? strlen(body) : 0;
	hkp_handle(&env, &rq, resp);
}

static void
reset_fake(enum hkp_be_status next, const char *body, size_t nkeys)
{
	memset(&fk, 0, sizeof(fk));
	fk.next = next;
	fk.body = body;
	fk.nkeys = nkeys;
}

struct status_case {
	const char *method, *target, *ctype, *body;
	enum hkp_be_status be;
	int want;
	int want_calls;		/* backend calls */
};

static const struct status_case status_cases[] = {
	/* lookups */
	{ "GET", "/pks/lookup?op=get&options=mr&search=0xDEADBEEF", NULL, NULL, HKP_BE_FOUND, 200, 1 },
	{ "HEAD", "/pks/lookup?op=get&search=0xDEADBEEF", NULL, NULL, HKP_BE_FOUND, 200, 1 },
	{ "GET", "/pks/lookup?op=get&search=0xDEADBEEF", NULL, NULL, HKP_BE_NONE, 404, 1 },
	{ "GET", "/pks/lookup?op=get&search=0xzz", NULL, NULL, HKP_BE_BAD, 400, 1 },
	{ "GET", "/pks/lookup?op=get&search=alice", NULL, NULL, HKP_BE_TOO_LARGE, 400, 1 },
	{ "GET", "/pks/lookup?op=get&search=alice", NULL, NULL, HKP_BE_UNAVAILABLE, 503, 1 },
	{ "GET", "/pks/lookup?op=index&search=alice", NULL, NULL, HKP_BE_FOUND, 200, 1 },
	{ "GET", "/pks/lookup?op=vindex&options=mr&search=alice", NULL, NULL, HKP_BE_FOUND, 200, 1 },
	{ "GET", "/pks/lookup?op=stats", NULL, NULL, HKP_BE_FOUND, 200, 1 },
	{ "GET", "/pks/lookup?op=stats", NULL, NULL, HKP_BE_UNAVAILABLE, 503, 1 },
	{ "GET", "/pks/lookup?search=alice", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/pks/lookup", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/pks/lookup?op=get", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/pks/lookup?op=get&search=", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/pks/lookup?op=get&search=+%20+", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/pks/lookup?op=x-photo&search=alice", NULL, NULL, HKP_BE_FOUND, 501, 0 },
	{ "GET", "/pks/lookup?op=get&search=%zz", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/pks/lookup?op=get&search=%00ab", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/pks/lookup?op=get&search=%ffab", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/pks/lookup?op=get&x=%ff&search=ab", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	/* paths and methods */
	{ "GET", "/", NULL, NULL, HKP_BE_FOUND, 200, 0 },
	{ "GET", "/pks", NULL, NULL, HKP_BE_FOUND, 404, 0 },
	{ "GET", "/pks/lookup/", NULL, NULL, HKP_BE_FOUND, 404, 0 },
	{ "GET", "/index.html", NULL, NULL, HKP_BE_FOUND, 404, 0 },
	{ "GET", "/vks/v1/by-fingerprint/", NULL, NULL, HKP_BE_FOUND, 404, 0 },
	{ "POST", "/pks/lookup?op=get&search=ab", "application/x-www-form-urlencoded", "", HKP_BE_FOUND, 405, 0 },
	{ "PUT", "/", NULL, NULL, HKP_BE_FOUND, 405, 0 },
	{ "GET", "/pks/add", NULL, NULL, HKP_BE_FOUND, 405, 0 },
	{ "DELETE", "/nowhere", NULL, NULL, HKP_BE_FOUND, 404, 0 },
	{ "OPTIONS", "/pks/lookup", NULL, NULL, HKP_BE_FOUND, 204, 0 },
	{ "OPTIONS", "/pks/add", NULL, NULL, HKP_BE_FOUND, 204, 0 },
	{ "OPTIONS", "/vks/v1/by-email/a%40b", NULL, NULL, HKP_BE_FOUND, 204, 0 },
	/* /pks/add */
	{ "POST", "/pks/add", "application/x-www-form-urlencoded", "keytext=abc", HKP_BE_FOUND, 422, 1 },
	{ "POST", "/pks/add", "application/x-www-form-urlencoded; charset=utf-8", "keytext=abc", HKP_BE_FOUND, 422, 1 },
	{ "POST", "/pks/add", "Application/PGP-Keys", "\x99\x01", HKP_BE_FOUND, 422, 1 },
	{ "POST", "/pks/add", "application/x-www-form-urlencoded", "keytext=abc", HKP_BE_UNAVAILABLE, 503, 1 },
	{ "POST", "/pks/add", "text/plain", "keytext=abc", HKP_BE_FOUND, 415, 0 },
	{ "POST", "/pks/add", NULL, "keytext=abc", HKP_BE_FOUND, 415, 0 },
	{ "POST", "/pks/add", "multipart/form-data; boundary=x", "--x", HKP_BE_FOUND, 415, 0 },
	{ "POST", "/pks/add", "application/x-www-form-urlencoded", "keytext=", HKP_BE_FOUND, 400, 0 },
	{ "POST", "/pks/add", "application/x-www-form-urlencoded", "other=1", HKP_BE_FOUND, 400, 0 },
	{ "POST", "/pks/add", "application/x-www-form-urlencoded", "keytext=%g0", HKP_BE_FOUND, 400, 0 },
	/* VKS */
	{ "GET", "/vks/v1/by-fingerprint/C959BDBAFA32A2F89A060B3A9B8A0B7A1D2F4B5A", NULL, NULL, HKP_BE_FOUND, 200, 1 },
	{ "GET", "/vks/v1/by-fingerprint/c959bdbafa32a2f89a060b3a9b8a0b7a1d2f4b5a", NULL, NULL, HKP_BE_NONE, 404, 1 },
	{ "GET", "/vks/v1/by-fingerprint/0xC959BDBAFA32A2F89A060B3A9B8A0B7A1D2F4B", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/vks/v1/by-fingerprint/C959BDBA", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/vks/v1/by-keyid/9B8A0B7A1D2F4B5A", NULL, NULL, HKP_BE_FOUND, 200, 1 },
	{ "GET", "/vks/v1/by-keyid/9B8A0B7A1D2F4B5", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/vks/v1/by-keyid/9B8A0B7A1D2F4B5Z", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/vks/v1/by-email/alice%40example.org", NULL, NULL, HKP_BE_FOUND, 200, 1 },
	{ "GET", "/vks/v1/by-email/alice@example.org", NULL, NULL, HKP_BE_NONE, 404, 1 },
	{ "GET", "/vks/v1/by-email/alice", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/vks/v1/by-email/a%20b%40c", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/vks/v1/by-email/a%zz", NULL, NULL, HKP_BE_FOUND, 400, 0 },
	{ "GET", "/vks/v1/by-email/a/b@c", NULL, NULL, HKP_BE_FOUND, 404, 0 },
	{ "POST", "/vks/v1/upload", "application/json", "{}", HKP_BE_FOUND, 501, 0 },
	{ "POST", "/vks/v1/request-verify", "application/json", "{}", HKP_BE_FOUND, 501, 0 },
	{ "GET", "/vks/v1/upload", NULL, NULL, HKP_BE_FOUND, 405, 0 },
};

static void
test_status_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]); i++) {
		const struct status_case *c = &status_cases[i];
		struct hkp_response r;
		const char *ct;

		reset_fake(c->be, c->be == HKP_BE_FOUND ? "keys\n" : NULL, 1);
		request(c->method, c->target, c->ctype, c->body, &r);
		CHECK(r.status == c->want, "%s %s: status %d, want %d", c->method,
		    c->target, r.status, c->want);
		CHECK(fk.calls == c->want_calls, "%s %s: %d backend calls, want %d",
		    c->method, c->target, fk.calls, c->want_calls);
		/* server.md 5.1: on every response */
		CHECK_STR(header(&r, "Access-Control-Allow-Origin"), "*");
		CHECK_STR(header(&r, "Cache-Control"), "no-cache");
		ct = r.content_type;
		if (r.status == 204)
			CHECK(ct == NULL && r.body.len == 0, "204 with a body");
		else {
			CHECK(ct != NULL, "%s: no content type", c->target);
			CHECK(r.body.len > 0 && r.body.data[r.body.len - 1] == '\n',
			    "%s %s: body does not end in a newline", c->method, c->target);
			CHECK(r.body.data[0] != '<', "%s: looks like HTML", c->target);
		}
		if (ct && strncmp(ct, "text/", 5) == 0) {
			CHECK_STR(ct, "text/plain; charset=utf-8");
			CHECK_STR(header(&r, "X-Content-Type-Options"), "nosniff");
		}
		if (r.status == 405) {
			CHECK(header(&r, "Allow") != NULL, "405 without Allow");
		}
		if (r.status == 503)
			CHECK_STR(header(&r, "Retry-After"), "30");
		hkp_response_free(&r);
	}
}

static void
test_lookup_args(void)
{
	struct hkp_response r;

	reset_fake(HKP_BE_FOUND, "k\n", 3);
	request("GET", "/pks/lookup?op=get&options=mr&search=+Alice%20Tester+&exact=on&search=x",
	    NULL, NULL, &r);
	CHECK_STR(fk.search, "Alice Tester");
	CHECK(fk.exact, "exact=on not passed");
	CHECK_INT(fk.op, HKP_LOOKUP_GET);
	CHECK_STR(r.content_type, "application/pgp-keys");
	CHECK_STR(header(&r, "X-HKP-Results-Count"), "3");
	CHECK(header(&r, "X-Content-Type-Options") == NULL, "nosniff on keys");
	hkp_response_free(&r);

	reset_fake(HKP_BE_FOUND, "k\n", 1);
	request("GET", "/pks/lookup?search=alice&op=index&options=mr,nm&exact=off&fingerprint=on",
	    NULL, NULL, &r);
	CHECK_INT(fk.op, HKP_LOOKUP_MR);
	CHECK(!fk.exact, "exact=off taken as on");
	CHECK_STR(r.content_type, "text/plain; charset=utf-8");
	hkp_response_free(&r);

	reset_fake(HKP_BE_FOUND, "k\n", 1);
	request("GET", "/pks/lookup?search=alice&op=vindex", NULL, NULL, &r);
	CHECK_INT(fk.op, HKP_LOOKUP_VINDEX);
	hkp_response_free(&r);
	reset_fake(HKP_BE_FOUND, "k\n", 1);
	request("GET", "/pks/lookup?search=alice&op=index&options=nm", NULL, NULL, &r);
	CHECK_INT(fk.op, HKP_LOOKUP_INDEX);
	hkp_response_free(&r);

	/* VKS: the identifier reaches the lookup as a bare ID or an address */
	reset_fake(HKP_BE_FOUND, "k\n", 1);
	request("GET", "/vks/v1/by-keyid/9b8a0b7a1d2f4b5a", NULL, NULL, &r);
	CHECK_STR(fk.search, "9b8a0b7a1d2f4b5a");
	CHECK(!fk.exact && fk.op == HKP_LOOKUP_GET, "by-keyid");
	hkp_response_free(&r);
	reset_fake(HKP_BE_FOUND, "k\n", 1);
	request("GET", "/vks/v1/by-email/Alice%40Example.org", NULL, NULL, &r);
	CHECK_STR(fk.search, "Alice@Example.org");
	CHECK(fk.exact && fk.op == HKP_LOOKUP_GET, "by-email is exact");
	hkp_response_free(&r);

	/* The backend's own reason is the 400 and 404 body. */
	reset_fake(HKP_BE_BAD, "A key ID must be hex digits only.\n", 0);
	request("GET", "/pks/lookup?op=get&search=0xzz", NULL, NULL, &r);
	CHECK_STR((const char *)r.body.data, "A key ID must be hex digits only.\n");
	hkp_response_free(&r);

	/* stats */
	reset_fake(HKP_BE_FOUND, NULL, 0);
	request("GET", "/pks/lookup?op=stats", NULL, NULL, &r);
	CHECK(strstr((const char *)r.body.data, "software: keymail test\n") &&
	    strstr((const char *)r.body.data, "keys: 1234\n") &&
	    strstr((const char *)r.body.data, "server: "), "stats: %s",
	    (const char *)r.body.data);
	hkp_response_free(&r);
}

static void
test_add(void)
{
	struct hkp_response r;
	struct hkp_request rq;

	/* dirmngr's body: keytext with %-escapes */
	reset_fake(HKP_BE_FOUND, NULL, 0);
	fk.stored = 2;
	fk.refused = 1;
	request("POST", "/pks/add", "application/x-www-form-urlencoded",
	    "keytext=-----BEGIN%20PGP%20PUBLIC%20KEY%20BLOCK-----%0A%2B%3D%0A", &r);
	CHECK_INT(r.status, 200);
	CHECK_STR(fk.added, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n+=\n");
	CHECK_STR((const char *)r.body.data, "report\n");
	CHECK(r.is_add && r.keys_stored == 2 && r.keys_refused == 1, "add counts");
	hkp_response_free(&r);

	/* application/pgp-keys: the body as it is, binary too */
	reset_fake(HKP_BE_FOUND, NULL, 0);
	fk.stored = 1;
	request("POST", "/pks/add", "application/pgp-keys", "key+%20", &r);
	CHECK_INT(r.status, 200);
	CHECK_STR(fk.added, "key+%20");
	hkp_response_free(&r);

	/* 413 from Content-Length, before anything is read; closes */
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.target = "/pks/add";
	rq.content_type = "application/pgp-keys";
	rq.has_length = true;
	rq.content_length = conf.hkp_max_body + 1;
	reset_fake(HKP_BE_FOUND, NULL, 0);
	hkp_response_init(&r);
	CHECK(hkp_precheck(&env, &rq, &r), "413 not decided before the body");
	CHECK_INT(r.status, 413);
	CHECK(r.close, "413 keeps the connection");
	CHECK_INT(fk.calls, 0);
	hkp_response_free(&r);
	/* exactly hkp_max_body is fine */
	rq.content_length = conf.hkp_max_body;
	hkp_response_init(&r);
	CHECK(!hkp_precheck(&env, &rq, &r), "a body of hkp_max_body refused");
	hkp_response_free(&r);
	/* a chunked body that passed the limit */
	rq.has_length = false;
	rq.body_too_large = true;
	hkp_response_init(&r);
	CHECK(hkp_precheck(&env, &rq, &r), "chunked too large");
	CHECK_INT(r.status, 413);
	CHECK_INT(fk.calls, 0);
	hkp_response_free(&r);

	/* 415 comes before 413 (server.md 5.4's order) */
	rq.content_type = "text/plain";
	hkp_response_init(&r);
	CHECK(hkp_precheck(&env, &rq, &r), "415 before the body");
	CHECK_INT(r.status, 415);
	hkp_response_free(&r);

	/* 429 */
	hkp_response_init(&r);
	hkp_too_many(&r, 0, true);
	CHECK_INT(r.status, 429);
	CHECK_STR(header(&r, "Retry-After"), "1");
	CHECK_STR(header(&r, "Access-Control-Allow-Origin"), "*");
	hkp_response_free(&r);
	hkp_response_init(&r);
	hkp_too_many(&r, 17, false);
	CHECK_STR(header(&r, "Retry-After"), "17");
	hkp_response_free(&r);
}

static void
test_options(void)
{
	struct hkp_response r;

	request("OPTIONS", "/pks/add", NULL, NULL, &r);
	CHECK_INT(r.status, 204);
	CHECK_STR(header(&r, "Access-Control-Allow-Methods"), "GET, HEAD, POST, OPTIONS");
	CHECK_STR(header(&r, "Access-Control-Allow-Headers"), "Content-Type");
	CHECK_STR(header(&r, "Access-Control-Max-Age"), "86400");
	CHECK_STR(header(&r, "Allow"), "POST, OPTIONS");
	hkp_response_free(&r);
	request("OPTIONS", "/", NULL, NULL, &r);
	CHECK_STR(header(&r, "Allow"), "GET, HEAD, OPTIONS");
	hkp_response_free(&r);
	request("GET", "/", NULL, NULL, &r);
	CHECK(strstr((const char *)r.body.data, "send a mail with Subject HELP to "
	    "robot@keys.test") != NULL, "root page: %s", (const char *)r.body.data);
	hkp_response_free(&r);
}

static void
test_routes(void)
{
	CHECK_INT(hkp_route_of("/pks/lookup?op=get"), HKP_R_LOOKUP);
	CHECK_INT(hkp_route_of("/pks/add"), HKP_R_ADD);
	CHECK_INT(hkp_route_of("/pks/add?x"), HKP_R_ADD);
	CHECK_INT(hkp_route_of("/?x=1"), HKP_R_ROOT);
	CHECK_INT(hkp_route_of(""), HKP_R_NONE);
	CHECK_INT(hkp_route_of("*"), HKP_R_NONE);
	CHECK_INT(hkp_route_of("http://x/pks/lookup"), HKP_R_NONE);
	CHECK_INT(hkp_route_of("/vks/v1/by-email/a?b"), HKP_R_VKS_EMAIL);
}

int
main(void)
{
	conf_defaults(&conf);
	free(conf.address);
	conf.address = strdup("robot@keys.test");
	test_status_table();
	test_lookup_args();
	test_add();
	test_options();
	test_routes();
	conf_free(&conf);
	return check_done();
}
