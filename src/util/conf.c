/*
 * util/conf.c - see conf.h.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/conf.h"
#include "util/limits.h"
#include "util/peer.h"
#include "util/xalloc.h"

#define KM_DEFAULT_HELP_DIR_FALLBACK "/usr/local/share/keymail/help"
#ifndef KM_HELP_DIR
#define KM_HELP_DIR KM_DEFAULT_HELP_DIR_FALLBACK
#endif

struct numkey {
	const char *name;
	size_t offset;
};

#define NK(f) { #f, offsetof(struct conf, f) }
static const struct numkey numkeys[] = {
	NK(max_message_size), NK(max_header_line), NK(max_header_size),
	NK(max_headers), NK(max_subject), NK(max_mime_depth),
	NK(max_mime_parts), NK(max_decoded_size), NK(max_keys_per_add),
	NK(max_key_size), NK(max_packets_per_key), NK(max_uid_length),
	NK(max_sigs_per_uid),
	NK(max_search), NK(max_reply_keys), NK(max_reply_size),
	NK(max_last_days), NK(max_last_reply_keys), NK(sendmail_timeout),
	NK(max_replies_per_hour),
	NK(mget_match_limit), NK(mget_depth_limit), NK(mget_max_work),
	NK(sync_max_message_size), NK(sync_max_age_days),
	NK(import_batch),
	NK(max_control_size), NK(control_max_age), NK(control_max_skew),
};

/* Numeric keys whose value must lie in a range (owner-control.md 13). */
static const struct {
	const char *name;
	size_t min, max;
} ranges[] = {
	{ "control_max_age", 60, 1209600 },
	{ "control_max_skew", 0, 86400 },
};

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->database = xstrdup("dbname=keymail");
	c->address = xstrdup("pgp-public-keys@localhost");
	c->sendmail = xstrdup("msmtp -t");
	c->help_dir = xstrdup(KM_HELP_DIR);
	c->max_message_size = KM_MAX_MESSAGE_SIZE;
	c->max_header_line = KM_MAX_HEADER_LINE;
	c->max_header_size = KM_MAX_HEADER_SIZE;
	c->max_headers = KM_MAX_HEADERS;
	c->max_subject = KM_MAX_SUBJECT;
	c->max_mime_depth = KM_MAX_MIME_DEPTH;
	c->max_mime_parts = KM_MAX_MIME_PARTS;
	c->max_decoded_size = KM_MAX_DECODED_SIZE;
	c->max_keys_per_add = KM_MAX_KEYS_PER_ADD;
	c->max_key_size = KM_MAX_KEY_SIZE;
	c->max_packets_per_key = KM_MAX_PACKETS_PER_KEY;
	c->max_uid_length = KM_MAX_UID_LENGTH;
	c->max_sigs_per_uid = KM_MAX_SIGS_PER_UID;
	c->max_search = KM_MAX_SEARCH;
	c->max_reply_keys = KM_MAX_REPLY_KEYS;
	c->max_reply_size = KM_MAX_REPLY_SIZE;
	c->max_last_days = KM_MAX_LAST_DAYS;
	c->max_last_reply_keys = KM_MAX_LAST_REPLY_KEYS;
	c->sendmail_timeout = KM_SENDMAIL_TIMEOUT;
	c->max_replies_per_hour = KM_MAX_REPLIES_PER_HOUR;
	c->mget_match_limit = KM_MGET_MATCH_LIMIT;
	c->mget_depth_limit = KM_MGET_DEPTH_LIMIT;
	c->mget_max_work = KM_MGET_MAX_WORK;
	c->sync_max_message_size = KM_SYNC_MAX_MESSAGE_SIZE;
	c->sync_max_age_days = KM_SYNC_MAX_AGE_DAYS;
	c->import_batch = KM_IMPORT_BATCH;
	c->max_control_size = KM_MAX_CONTROL_SIZE;
	c->control_max_age = KM_CONTROL_MAX_AGE;
	c->control_max_skew = KM_CONTROL_MAX_SKEW;
}

/* 0, or -1 if k has a range and v lies outside it. */
static int
in_range(const char *k, size_t v)
{
	size_t i;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (!strcmp(k, ranges[i].name) &&
		    (v < ranges[i].min || v > ranges[i].max))
			return -1;
	return 0;
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static int
parse_size(const char *v, size_t *out)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end != '\0' || n > SIZE_MAX)
		return -1;
	*out = (size_t)n;
	return 0;
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Why peer_parse refused the last peer line ("" if it did not). */
static char peer_err[256];

static int
conf_set(struct conf *c, const char *k, const char *v)
{
	peer_err[0] = '\0';
	size_t i;

	if (!strcmp(k, "database"))
		set_str(&c->database, v);
	else if (!strcmp(k, "address"))
		set_str(&c->address, v);
	else if (!strcmp(k, "sendmail"))
		set_str(&c->sendmail, v);
	else if (!strcmp(k, "help_dir"))
		set_str(&c->help_dir, v);
	else if (!strcmp(k, "maintainer"))
		set_str(&c->maintainer, v);
	else if (!strcmp(k, "server_name"))
		set_str(&c->server_name, v);
	else if (!strcmp(k, "index_long_keyids"))
		return parse_bool(v, &c->index_long_keyids);
	else if (!strcmp(k, "this_site")) {
		if (!peer_addr_ok(v))	/* it goes into a header as it is */
			return -1;
		set_str(&c->this_site, v);
	}
	else if (!strcmp(k, "peer")) {
		if (peer_parse(v, NULL, peer_err, sizeof(peer_err)) < 0)
			return -1;
		c->peers = xreallocarray(c->peers, c->npeers + 1, sizeof(*c->peers));
		c->peers[c->npeers++] = xstrdup(v);
	} else {
		for (i = 0; i < sizeof(numkeys) / sizeof(numkeys[0]); i++) {
			size_t *f = (size_t *)((char *)c + numkeys[i].offset);

			if (!strcmp(k, numkeys[i].name))
				return parse_size(v, f) < 0 ? -1 :
				    in_range(k, *f);
		}
		return -2;
	}
	return 0;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	FILE *fp;
	char line[4096];
	unsigned lineno = 0;
	int rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *s, *eq, *k, *v;
		int r;

		lineno++;
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		k = trim(s);
		v = trim(eq + 1);
		r = conf_set(c, k, v);
		if (r == -2) {
			snprintf(err, errlen, "%s:%u: unknown key '%s'", path, lineno, k);
			rc = -1;
			break;
		} else if (r < 0) {
			snprintf(err, errlen, "%s:%u: bad value for '%s'%s%s", path,
			    lineno, k, *peer_err ? ": " : "", peer_err);
			rc = -1;
			break;
		}
	}
	fclose(fp);
	if (rc == 0) {
		if (c->maintainer == NULL)
			c->maintainer = xstrdup(c->address);
		if (c->server_name == NULL)
			c->server_name = xstrdup(c->address);
		if (c->this_site == NULL)
			c->this_site = xstrdup(c->address);
	}
	return rc;
}

void
conf_free(struct conf *c)
{
	size_t i;

	free(c->database);
	free(c->address);
	free(c->sendmail);
	free(c->help_dir);
	free(c->maintainer);
	free(c->server_name);
	free(c->this_site);
	for (i = 0; i < c->npeers; i++)
		free(c->peers[i]);
	free(c->peers);
	memset(c, 0, sizeof(*c));
}
