/*
 * serve/hkp.c - see hkp.h. The status codes are server.md 5.7's table;
 * every response gets the common headers of 5.1 in hkp_finish().
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve/form.h"
#include "serve/hkp.h"
#include "util/xalloc.h"

#define ALLOW_LOOKUP	"GET, HEAD, OPTIONS"
#define ALLOW_ADD	"POST, OPTIONS"

static void
add_header(struct hkp_response *resp, const char *name, char *value)
{
	if (resp->nheaders < HKP_MAX_HEADERS) {
		resp->headers[resp->nheaders].name = name;
		resp->headers[resp->nheaders].value = value;
		resp->nheaders++;
	} else
		free(value);
}

void
hkp_response_init(struct hkp_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, 0);
}

void
hkp_response_free(struct hkp_response *resp)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		free(resp->headers[i].value);
	buf_free(&resp->body);
	memset(resp, 0, sizeof(*resp));
}

/* Start over (a response built earlier is replaced). */
static void
reset(struct hkp_response *resp)
{
	bool is_add = resp->is_add;

	hkp_response_free(resp);
	hkp_response_init(resp);
	resp->is_add = is_add;
}

static void
text(struct hkp_response *resp, int status)
{
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
}

static void
err(struct hkp_response *resp, int status, const char *line)
{
	reset(resp);
	text(resp, status);
	buf_printf(&resp->body, "%s\n", line);
}

static void
unavailable(struct hkp_response *resp)
{
	err(resp, 503, "The key database is not available at the moment; "
	    "please try again later.");
	add_header(resp, "Retry-After", xstrdup("30"));
}

static void hkp_finish(struct hkp_response *resp);

void
hkp_error(struct hkp_response *resp, int status, const char *line)
{
	err(resp, status, line);
	hkp_finish(resp);
}

void
hkp_too_many(struct hkp_response *resp, unsigned retry_after, bool add)
{
	err(resp, 429, add ? "Too many uploads from your address "
	    "(limit hkp_add_rate_limit); please wait and try again." :
	    "Too many requests from your address (limit hkp_rate_limit); "
	    "please wait and try again.");
	add_header(resp, "Retry-After", xasprintf("%u", retry_after ? retry_after : 1));
	hkp_finish(resp);
}

static void
not_allowed(struct hkp_response *resp, const char *allow)
{
	err(resp, 405, "This method is not allowed here.");
	add_header(resp, "Allow", xstrdup(allow));
}

/* ---- routing ---------------------------------------------------------- */

static size_t
path_len(const char *target)
{
	const char *q = strchr(target, '?');

	return q ? (size_t)(q - target) : strlen(target);
}

static bool
path_is(const char *target, const char *path)
{
	size_t n = strlen(path);

	return path_len(target) == n && strncmp(target, path, n) == 0;
}

/* target's path starts with prefix and has a non-empty rest without '/';
 * *rest, *restlen give it. */
static bool
path_under(const char *target, const char *prefix, const char **rest, size_t *restlen)
{
	size_t n = strlen(prefix), len = path_len(target);

	if (len <= n || strncmp(target, prefix, n) != 0 ||
	    memchr(target + n, '/', len - n) != NULL)
		return false;
	*rest = target + n;
	*restlen = len - n;
	return true;
}

enum hkp_route
hkp_route_of(const char *target)
{
	const char *rest;
	size_t n;

	if (path_is(target, "/"))
		return HKP_R_ROOT;
	if (path_is(target, "/pks/lookup"))
		return HKP_R_LOOKUP;
	if (path_is(target, "/pks/add"))
		return HKP_R_ADD;
	if (path_under(target, "/vks/v1/by-fingerprint/", &rest, &n))
		return HKP_R_VKS_FPR;
	if (path_under(target, "/vks/v1/by-keyid/", &rest, &n))
		return HKP_R_VKS_KEYID;
	if (path_under(target, "/vks/v1/by-email/", &rest, &n))
		return HKP_R_VKS_EMAIL;
	if (path_is(target, "/vks/v1/upload") || path_is(target, "/vks/v1/request-verify"))
		return HKP_R_VKS_UPLOAD;
	return HKP_R_NONE;
}

static const char *
allow_of(enum hkp_route r)
{
	return r == HKP_R_ADD || r == HKP_R_VKS_UPLOAD ? ALLOW_ADD : ALLOW_LOOKUP;
}

static bool
method_ok(enum hkp_route r, const char *method)
{
	if (r == HKP_R_ADD || r == HKP_R_VKS_UPLOAD)
		return strcmp(method, "POST") == 0;
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* The media type (before any ';' parameters, blanks trimmed) equals type,
 * case-insensitively. */
static bool
media_type_is(const char *ct, const char *type)
{
	size_t n = strlen(type), len;

	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	len = strcspn(ct, ";");
	while (len > 0 && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
		len--;
	return len == n && strncasecmp(ct, type, n) == 0;
}

/* ---- the common headers (server.md 5.1) ------------------------------ */

static void
hkp_finish(struct hkp_response *resp)
{
	add_header(resp, "Access-Control-Allow-Origin", xstrdup("*"));
	add_header(resp, "Cache-Control", xstrdup("no-cache"));
	if (resp->content_type && strncmp(resp->content_type, "text/", 5) == 0)
		add_header(resp, "X-Content-Type-Options", xstrdup("nosniff"));
}

static void
options(struct hkp_response *resp, enum hkp_route r)
{
	reset(resp);
	resp->status = 204;
	resp->content_type = NULL;
	add_header(resp, "Access-Control-Allow-Methods",
	    xstrdup("GET, HEAD, POST, OPTIONS"));
	add_header(resp, "Access-Control-Allow-Headers", xstrdup("Content-Type"));
	add_header(resp, "Access-Control-Max-Age", xstrdup("86400"));
	add_header(resp, "Allow", xstrdup(allow_of(r)));
}

/* ---- lookups ---------------------------------------------------------- */

/* A lookup through the backend, answered per the status table. */
static void
lookup(const struct hkp_env *env, enum hkp_lookup_op op, const char *search,
    bool exact, struct hkp_response *resp)
{
	size_t nkeys = 0;
	enum hkp_be_status st;

	reset(resp);
	st = env->be->lookup(env->be->arg, op, search, exact, &resp->body, &nkeys);
	switch (st) {
	case HKP_BE_FOUND:
		resp->status = 200;
		resp->content_type = op == HKP_LOOKUP_GET ? "application/pgp-keys" :
		    "text/plain; charset=utf-8";
		add_header(resp, "X-HKP-Results-Count", xasprintf("%zu", nkeys));
		break;
	case HKP_BE_NONE:
		text(resp, 404);
		if (resp->body.len == 0)
			buf_puts(&resp->body, "No matching keys in database.\n");
		break;
	case HKP_BE_BAD:
		text(resp, 400);
		if (resp->body.len == 0)
			buf_puts(&resp->body, "Bad search.\n");
		break;
	case HKP_BE_TOO_LARGE:
		err(resp, 400, "The keys that match are larger together than "
		    "max_reply_size; please narrow the search.");
		break;
	case HKP_BE_UNAVAILABLE:
		unavailable(resp);
		break;
	}
}

/* Blanks (and tabs) around s removed, in place. */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* options=a,b,mr: is "mr" one of them? */
static bool
has_option(const char *opts, const char *want)
{
	size_t n = strlen(want);

	while (opts && *opts) {
		size_t len = strcspn(opts, ",");

		if (len == n && strncasecmp(opts, want, n) == 0)
			return true;
		opts += len;
		if (*opts == ',')
			opts++;
	}
	return false;
}

static void
stats(const struct hkp_env *env, struct hkp_response *resp)
{
	long long n = 0;

	reset(resp);
	if (env->be->count(env->be->arg, &n) != HKP_BE_FOUND) {
		unavailable(resp);
		return;
	}
	text(resp, 200);
	buf_printf(&resp->body, "software: %s\nserver: %s\nkeys: %lld\n",
	    env->version, env->conf->server_name ? env->conf->server_name :
	    env->conf->address, n);
}

static void
pks_lookup(const struct hkp_env *env, const struct hkp_request *rq,
    struct hkp_response *resp)
{
	const char *q = strchr(rq->target, '?');
	const char *op, *search, *opts, *exact;
	enum hkp_lookup_op lop;
	enum form_status fst;
	struct form f;
	char *copy = NULL, *s = NULL;

	fst = form_parse(q ? q + 1 : "", q ? strlen(q + 1) : 0, &f);
	if (fst != FORM_OK) {
		reset(resp);
		text(resp, 400);
		buf_printf(&resp->body, "Malformed query: %s.\n", form_strerror(fst));
		return;
	}
	op = form_get(&f, "op");
	search = form_get(&f, "search");
	opts = form_get(&f, "options");
	exact = form_get(&f, "exact");
	if (search) {
		copy = xstrdup(search);
		s = trim(copy);
	}
	if (op == NULL || *op == '\0')
		err(resp, 400, "The parameter op is missing (op=get, index, "
		    "vindex or stats).");
	else if (strcasecmp(op, "stats") == 0)
		stats(env, resp);
	else if (strcasecmp(op, "get") != 0 && strcasecmp(op, "index") != 0 &&
	    strcasecmp(op, "vindex") != 0)
		err(resp, 501, "This op is not implemented here (op=get, "
		    "index, vindex or stats).");
	else if (s == NULL || *s == '\0')
		err(resp, 400, "The parameter search is missing or empty.");
	else {
		if (strcasecmp(op, "get") == 0)
			lop = HKP_LOOKUP_GET;
		else if (has_option(opts, "mr"))
			lop = HKP_LOOKUP_MR;
		else
			lop = strcasecmp(op, "index") == 0 ? HKP_LOOKUP_INDEX :
			    HKP_LOOKUP_VINDEX;
		lookup(env, lop, s, exact && strcasecmp(exact, "on") == 0, resp);
	}
	free(copy);
	form_free(&f);
}

static bool
all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* A plausible address for by-email: one '@' with something on both sides,
 * no blanks or control characters. */
static bool
address_ok(const char *a)
{
	const char *at = strchr(a, '@');
	const char *p;

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	for (p = a; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

static void
vks(const struct hkp_env *env, const struct hkp_request *rq, enum hkp_route r,
    struct hkp_response *resp)
{
	const char *rest = NULL;
	size_t n = 0;
	char id[65], *addr = NULL;
	enum form_status fst;

	if (r == HKP_R_VKS_FPR)
		(void)path_under(rq->target, "/vks/v1/by-fingerprint/", &rest, &n);
	else if (r == HKP_R_VKS_KEYID)
		(void)path_under(rq->target, "/vks/v1/by-keyid/", &rest, &n);
	else
		(void)path_under(rq->target, "/vks/v1/by-email/", &rest, &n);
	switch (r) {
	case HKP_R_VKS_FPR:
	case HKP_R_VKS_KEYID:
		if (!all_hex(rest, n) || (r == HKP_R_VKS_FPR ? n != 40 && n != 64 : n != 16)) {
			err(resp, 400, r == HKP_R_VKS_FPR ?
			    "A fingerprint is 40 or 64 hex digits." :
			    "A key ID is 16 hex digits.");
			return;
		}
		memcpy(id, rest, n);
		id[n] = '\0';
		lookup(env, HKP_LOOKUP_GET, id, false, resp);
		return;
	default:
		fst = form_unescape_path(rest, n, &addr);
		if (fst != FORM_OK || !address_ok(addr)) {
			err(resp, 400, "Malformed e-mail address.");
			free(addr);
			return;
		}
		lookup(env, HKP_LOOKUP_GET, addr, true, resp);
		free(addr);
		return;
	}
}

static void
root(const struct hkp_env *env, struct hkp_response *resp)
{
	const struct conf *c = env->conf;

	reset(resp);
	text(resp, 200);
	buf_printf(&resp->body,
	    "%s - an OpenPGP keyserver (%s)\n"
	    "\n"
	    "By mail: send a mail with Subject HELP to %s\n"
	    "Operator: %s\n"
	    "\n"
	    "HKP:\n"
	    "  GET  /pks/lookup?op=get&options=mr&search=0xFINGERPRINT\n"
	    "  GET  /pks/lookup?op=index&options=mr&search=WORDS\n"
	    "  GET  /pks/lookup?op=vindex&search=WORDS\n"
	    "  GET  /pks/lookup?op=stats\n"
	    "  POST /pks/add (keytext=ARMORED KEY)\n"
	    "VKS:\n"
	    "  GET  /vks/v1/by-fingerprint/FINGERPRINT\n"
	    "  GET  /vks/v1/by-keyid/KEYID\n"
	    "  GET  /vks/v1/by-email/ADDRESS\n",
	    c->server_name ? c->server_name : c->address, env->version, c->address,
	    c->maintainer ? c->maintainer : c->address);
}

/* ---- /pks/add --------------------------------------------------------- */

static void
pks_add(const struct hkp_env *env, const struct hkp_request *rq,
    struct hkp_response *resp)
{
	const uint8_t *data = rq->body;
	size_t len = rq->body_len;
	struct form f;
	enum form_status fst;
	enum hkp_be_status st;
	unsigned stored = 0, refused = 0;

	memset(&f, 0, sizeof(f));
	if (media_type_is(rq->content_type, "application/x-www-form-urlencoded")) {
		fst = form_parse((const char *)rq->body, rq->body_len, &f);
		if (fst != FORM_OK) {
			reset(resp);
			text(resp, 400);
			buf_printf(&resp->body, "Malformed form: %s.\n", form_strerror(fst));
			return;
		}
		data = (const uint8_t *)form_get_len(&f, "keytext", &len);
		if (data == NULL || len == 0) {
			form_free(&f);
			err(resp, 400, "The field keytext is missing or empty.");
			return;
		}
	}
	reset(resp);
	st = env->be->add(env->be->arg, data, len, &resp->body, &stored, &refused);
	form_free(&f);
	resp->keys_stored = stored;
	resp->keys_refused = refused;
	if (st == HKP_BE_UNAVAILABLE) {
		text(resp, 503);
		if (resp->body.len == 0)
			buf_puts(&resp->body, "The key database is not available at the "
			    "moment; please try again later.\n");
		add_header(resp, "Retry-After", xstrdup("30"));
	} else
		text(resp, stored ? 200 : 422);
}

/* ---- the two steps ---------------------------------------------------- */

/* Everything decided from the method, target and header fields. Returns
 * true with resp filled, or false for "read the body". */
static bool
decide_head(const struct hkp_env *env, const struct hkp_request *rq,
    enum hkp_route r, struct hkp_response *resp)
{
	if (r == HKP_R_NONE) {
		err(resp, 404, "Not found.");
		return true;
	}
	if (strcmp(rq->method, "OPTIONS") == 0) {
		options(resp, r);
		return true;
	}
	if (!method_ok(r, rq->method)) {
		not_allowed(resp, allow_of(r));
		return true;
	}
	if (r == HKP_R_VKS_UPLOAD) {
		err(resp, 501, "This server does not verify addresses; "
		    "upload keys with POST /pks/add.");
		return true;
	}
	if (r != HKP_R_ADD)
		return false;
	resp->is_add = true;
	if (!media_type_is(rq->content_type, "application/x-www-form-urlencoded") &&
	    !media_type_is(rq->content_type, "application/pgp-keys")) {
		err(resp, 415, "Send keys as application/x-www-form-urlencoded "
		    "(keytext=...) or application/pgp-keys.");
		return true;
	}
	if (rq->body_too_large || (rq->has_length &&
	    rq->content_length > env->conf->hkp_max_body)) {
		err(resp, 413, "The request body is larger than hkp_max_body.");
		resp->close = true;
		return true;
	}
	return false;
}

bool
hkp_precheck(const struct hkp_env *env, const struct hkp_request *rq,
    struct hkp_response *resp)
{
	enum hkp_route r = hkp_route_of(rq->target);

	reset(resp);
	if (decide_head(env, rq, r, resp)) {
		hkp_finish(resp);
		return true;
	}
	if (r == HKP_R_ADD)
		return false;
	hkp_handle(env, rq, resp);
	return true;
}

void
hkp_handle(const struct hkp_env *env, const struct hkp_request *rq,
    struct hkp_response *resp)
{
	enum hkp_route r = hkp_route_of(rq->target);

	reset(resp);
	if (!decide_head(env, rq, r, resp)) {
		switch (r) {
		case HKP_R_ROOT:
			root(env, resp);
			break;
		case HKP_R_LOOKUP:
			pks_lookup(env, rq, resp);
			break;
		case HKP_R_ADD:
			pks_add(env, rq, resp);
			break;
		default:
			vks(env, rq, r, resp);
			break;
		}
	}
	hkp_finish(resp);
}
