/*
 * serve/hkp.h - the HKP and VKS routes (server.md 5) as pure functions:
 * (method, target, content type, body) -> (status, headers, body).
 *
 * No I/O here: the HTTP adapter (net/http.h, serve/hkp_worker.c) hands in
 * a request and sends back the response; lookups, uploads and the key
 * count go through struct hkp_backend, which serve/hkp_db.c implements on
 * the store through cmd_find_keys and cmd_add_blob (the same code as the
 * mail robot), and which the unit tests and the fuzz target fill with
 * canned answers.
 *
 * Two steps, so that a request refused for its method, path, content type
 * or size never has its body read (server.md 5.4): hkp_precheck() once the
 * request line and header fields are in, then hkp_handle() once the body
 * is (only when hkp_precheck said to read it).
 *
 * Untrusted input: everything in struct hkp_request. Memory: struct
 * hkp_response owns its body and header values; hkp_response_free().
 */
#ifndef KM_SERVE_HKP_H
#define KM_SERVE_HKP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/conf.h"

/* What a backend call came to. */
enum hkp_be_status {
	HKP_BE_FOUND,		/* lookup: keys in the body; add: see counts */
	HKP_BE_NONE,		/* lookup: no key matches (404) */
	HKP_BE_BAD,		/* lookup: a user error (400); the body says why */
	HKP_BE_TOO_LARGE,	/* get: several keys past max_reply_size (400) */
	HKP_BE_UNAVAILABLE,	/* the database is unreachable or failed (503) */
};

enum hkp_lookup_op {
	HKP_LOOKUP_GET,		/* armored keys (one block) */
	HKP_LOOKUP_INDEX,	/* pks INDEX listing, as by mail */
	HKP_LOOKUP_VINDEX,	/* pks VERBOSE INDEX listing, as by mail */
	HKP_LOOKUP_MR,		/* machine-readable listing (options=mr) */
};

struct hkp_backend {
	void *arg;
	/*
	 * Search (untrusted, already decoded and trimmed), exact: HKP
	 * exact=on / VKS by-email. Appends the formatted result (or, on
	 * HKP_BE_BAD, the reason in words) to body and sets *nkeys.
	 */
	enum hkp_be_status (*lookup)(void *arg, enum hkp_lookup_op op,
	    const char *search, bool exact, struct buf *body, size_t *nkeys);
	/*
	 * /pks/add: ADD's key handling on data (untrusted key text or binary).
	 * Appends the ADD report to body; *stored and *refused count keys.
	 * HKP_BE_FOUND or HKP_BE_UNAVAILABLE.
	 */
	enum hkp_be_status (*add)(void *arg, const uint8_t *data, size_t len,
	    struct buf *body, unsigned *stored, unsigned *refused);
	/* op=stats: an estimate of the number of stored keys. */
	enum hkp_be_status (*count)(void *arg, long long *nkeys);
};

struct hkp_env {
	const struct conf *conf;	/* server_name, address, maintainer, limits */
	const struct hkp_backend *be;
	const char *version;		/* "keymail VERSION" for op=stats */
};

struct hkp_request {
	const char *method;		/* as received ("GET", "HEAD", ...) */
	const char *target;		/* the raw request target: path[?query] */
	const char *content_type;	/* NULL if none */
	bool has_length;		/* Content-Length given */
	uint64_t content_length;
	const uint8_t *body;		/* what was read of it (hkp_handle) */
	size_t body_len;
	bool body_too_large;		/* a chunked body passed hkp_max_body */
};

#define HKP_MAX_HEADERS 8

struct hkp_header {
	const char *name;		/* static */
	char *value;			/* owned */
};

struct hkp_response {
	int status;
	const char *content_type;	/* static; NULL for 204 */
	struct hkp_header headers[HKP_MAX_HEADERS];
	size_t nheaders;
	struct buf body;
	bool close;			/* close the connection after it (413) */
	/* For the log (server.md 9). */
	bool is_add;
	unsigned keys_stored, keys_refused;
};

/* What a request is, from its method and target alone. */
enum hkp_route {
	HKP_R_NONE,		/* unknown path: 404 */
	HKP_R_ROOT,		/* / */
	HKP_R_LOOKUP,		/* /pks/lookup */
	HKP_R_ADD,		/* /pks/add */
	HKP_R_VKS_FPR,		/* /vks/v1/by-fingerprint/... */
	HKP_R_VKS_KEYID,	/* /vks/v1/by-keyid/... */
	HKP_R_VKS_EMAIL,	/* /vks/v1/by-email/... */
	HKP_R_VKS_UPLOAD,	/* /vks/v1/upload, /vks/v1/request-verify */
};

enum hkp_route hkp_route_of(const char *target);

void hkp_response_init(struct hkp_response *resp);
void hkp_response_free(struct hkp_response *resp);

/*
 * Before the body: returns true when resp holds the whole answer (every
 * request but a POST to /pks/add of an acceptable type and size, which
 * returns false: read the body, at most conf->hkp_max_body octets, then
 * call hkp_handle).
 */
bool hkp_precheck(const struct hkp_env *env, const struct hkp_request *rq,
    struct hkp_response *resp);
/* The answer to a whole request. */
void hkp_handle(const struct hkp_env *env, const struct hkp_request *rq,
    struct hkp_response *resp);
/* 429 with Retry-After: retry_after seconds (at least 1). */
void hkp_too_many(struct hkp_response *resp, unsigned retry_after, bool add);
/* An error response of our own: status, a line of text. */
void hkp_error(struct hkp_response *resp, int status, const char *text);

#endif
