/*
 * fuzz_hkp.c - libFuzzer target: the HKP and VKS routes (serve/hkp.c)
 * with the query/form decoder behind them, on a backend that answers from
 * the input.
 *
 * Input: METHOD \n TARGET \n CONTENT-TYPE \n BODY, and one octet before
 * it choosing the backend's answer. Properties (abort on violation): the
 * status is one of server.md 5.7's table; every response has the CORS and
 * Cache-Control headers and, unless 204, a content type and a body ending
 * in a newline that does not start with '<'; no header value holds a
 * control octet (nothing from the request reaches a header with CR/LF);
 * the backend is never called for a request refused before its body
 * (404, 405, 413, 415, 501 for VKS upload); what reaches the backend as a
 * search holds no NUL and no control octet the decoder should have
 * refused; a request hkp_precheck answered is answered the same by
 * hkp_handle.
 * Seeds: tests/fuzz/corpus/fuzz_hkp (requests dirmngr, sq, curl and
 * browsers send).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/hkp.h"
#include "util/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum hkp_be_status answer;
static int calls;

static enum hkp_be_status
fz_lookup(void *arg, enum hkp_lookup_op op, const char *search, bool exact,
    struct buf *body, size_t *nkeys)
{
	(void)arg;
	(void)exact;
	calls++;
	if (search == NULL || *search == '\0' || (unsigned)op > HKP_LOOKUP_MR)
		abort();
	if (search[0] == ' ' || search[strlen(search) - 1] == ' ')
		abort();	/* blanks around it are removed */
	buf_puts(body, answer == HKP_BE_FOUND ? "-----BEGIN PGP\n" : "why\n");
	*nkeys = 1;
	return answer;
}

static enum hkp_be_status
fz_add(void *arg, const uint8_t *d, size_t len, struct buf *body,
    unsigned *stored, unsigned *refused)
{
	(void)arg;
	(void)d;
	(void)len;	/* may be 0: an empty application/pgp-keys body is ADD's 422 */
	calls++;
	buf_puts(body, "report\n");
	*stored = len & 1;
	*refused = 0;
	return answer == HKP_BE_UNAVAILABLE ? HKP_BE_UNAVAILABLE : HKP_BE_FOUND;
}

static enum hkp_be_status
fz_count(void *arg, long long *n)
{
	(void)arg;
	calls++;
	*n = 7;
	return answer == HKP_BE_UNAVAILABLE ? HKP_BE_UNAVAILABLE : HKP_BE_FOUND;
}

static void
check(const struct hkp_response *r)
{
	static const int ok[] = { 200, 204, 400, 404, 405, 413, 415, 422, 501, 503 };
	size_t i, j;
	int found = 0, cors = 0, cc = 0;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		found |= r->status == ok[i];
	if (!found)
		abort();
	for (i = 0; i < r->nheaders; i++) {
		const char *v = r->headers[i].value;

		for (j = 0; v[j]; j++)
			if ((unsigned char)v[j] < 0x20 || v[j] == 0x7f)
				abort();
		cors |= !strcmp(r->headers[i].name, "Access-Control-Allow-Origin");
		cc |= !strcmp(r->headers[i].name, "Cache-Control");
	}
	if (!cors || !cc)
		abort();
	if (r->status == 204) {
		if (r->body.len != 0 || r->content_type != NULL)
			abort();
	} else if (r->content_type == NULL || r->body.len == 0 ||
	    r->body.data[r->body.len - 1] != '\n' || r->body.data[0] == '<')
		abort();
}

static char *
field(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += nl ? n + 1 : n;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf conf;
	static int init;
	struct hkp_backend be = { NULL, fz_lookup, fz_add, fz_count };
	struct hkp_env env = { &conf, &be, "keymail fuzz" };
	const uint8_t *p = data + 1, *end = data + size;
	struct hkp_request rq;
	struct hkp_response r1, r2;
	char *method, *target, *ctype;
	bool answered;

	if (!init) {
		conf_defaults(&conf);
		conf.hkp_max_body = 4096;
		init = 1;
	}
	if (size < 1)
		return 0;
	answer = (enum hkp_be_status)(data[0] % 5);
	method = field(&p, end);
	target = field(&p, end);
	ctype = field(&p, end);
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.target = target;
	rq.content_type = *ctype ? ctype : NULL;
	rq.has_length = (data[0] & 0x80) == 0;
	rq.content_length = (uint64_t)(end - p);
	rq.body_too_large = (data[0] & 0x40) && !rq.has_length;

	calls = 0;
	hkp_response_init(&r1);
	answered = hkp_precheck(&env, &rq, &r1);
	if (answered) {
		int c1 = calls;

		check(&r1);
		if (hkp_route_of(target) == HKP_R_NONE || r1.status == 405 ||
		    r1.status == 413 || r1.status == 415 || r1.status == 204) {
			if (c1 != 0)
				abort();
		}
		/* hkp_handle must agree with what was decided without the body */
		rq.body = p;
		rq.body_len = (size_t)(end - p);
		calls = 0;
		hkp_response_init(&r2);
		hkp_handle(&env, &rq, &r2);
		if (r2.status != r1.status || r2.body.len != r1.body.len ||
		    memcmp(r2.body.data, r1.body.data, r1.body.len) != 0)
			abort();
		hkp_response_free(&r2);
	} else {
		if (calls != 0 || strcmp(method, "POST") != 0)
			abort();
		rq.body = p;
		rq.body_len = (size_t)(end - p);
		hkp_handle(&env, &rq, &r1);
		check(&r1);
	}
	hkp_response_free(&r1);
	free(method);
	free(target);
	free(ctype);
	return 0;
}
