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
#include <strings.h>

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
	NK(max_replies_per_hour), NK(max_domain_replies_per_hour),
	NK(max_total_replies_per_hour),
	NK(mget_match_limit), NK(mget_depth_limit), NK(mget_max_work),
	NK(sync_max_message_size), NK(sync_max_age_days),
	NK(import_batch),
	NK(max_control_size), NK(control_max_age), NK(control_max_skew),
	NK(challenge_ttl), NK(address_token_ttl), NK(held_days),
	NK(held_after_fetch_days), NK(held_max_issuers), NK(held_max_size),
	NK(signers_max_size), NK(expiry_warn_days),
	NK(max_token_mails_per_day), NK(max_address_mails_per_hour),
	NK(max_address_mails_total_per_hour),
	NK(max_challenges_per_key_per_day), NK(max_verify_per_key_per_day),
	NK(max_held_per_key_per_hour), NK(max_bad_tokens_per_hour),
	NK(max_notify_mails_per_day), NK(max_digests_per_key_per_day),
	NK(max_subscriptions_per_address), NK(max_batch_mails),
	NK(serve_workers), NK(serve_max_requests), NK(serve_stop_timeout),
	NK(hkp_max_body), NK(hkp_max_header_size), NK(hkp_timeout),
	NK(hkp_request_timeout), NK(hkp_max_connections),
	NK(hkp_max_connections_per_ip), NK(hkp_rate_limit),
	NK(hkp_add_rate_limit), NK(lmtp_timeout), NK(lmtp_max_recipients),
	NK(recon_interval_hours), NK(recon_offer_cells), NK(recon_max_cells),
	NK(recon_max_keys), NK(recon_max_sessions_per_day),
	NK(recon_max_message_size), NK(recon_batch_keys),
	NK(recon_resend_hours), NK(recon_session_days),
};

/* Numeric keys whose value must lie in a range (owner-control.md 13). */
static const struct {
	const char *name;
	size_t min, max;
} ranges[] = {
	{ "control_max_age", 60, 1209600 },
	{ "control_max_skew", 0, 86400 },
	{ "challenge_ttl", 1, 1209600 },
	{ "address_token_ttl", 1, 1209600 },
	{ "held_days", 1, 365 },
	{ "held_after_fetch_days", 1, 365 },
};

/* The keys that are not numbers, for "did you mean" only. */
static const char *const strkeys[] = {
	"database", "address", "sendmail", "help_dir", "maintainer",
	"server_name", "index_long_keyids", "this_site", "peer",
	"reply_to_unknown", "authserv_id", "silence_unknown_on_spf_fail",
	"policy", "verify_encrypt",
	"database_ro", "hkp_listen", "lmtp_listen", "hkp_forwarded_for",
};

/* Edit distance of two short key names (at most 63 bytes; else "far"). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev[64], cur[64];

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t d = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
		}
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

/* The known key nearest to an unknown one, if it is a likely typo. */
static const char *
suggest_key(const char *k)
{
	const char *best = NULL;
	size_t bd = 3, i, d;

	for (i = 0; i < sizeof(strkeys) / sizeof(strkeys[0]); i++)
		if ((d = edit_distance(k, strkeys[i])) < bd) {
			bd = d;
			best = strkeys[i];
		}
	for (i = 0; i < sizeof(numkeys) / sizeof(numkeys[0]); i++)
		if ((d = edit_distance(k, numkeys[i].name)) < bd) {
			bd = d;
			best = numkeys[i].name;
		}
	return best;
}

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
	c->max_domain_replies_per_hour = KM_MAX_DOMAIN_REPLIES_PER_HOUR;
	c->max_total_replies_per_hour = KM_MAX_TOTAL_REPLIES_PER_HOUR;
	c->reply_to_unknown = 1;
	c->mget_match_limit = KM_MGET_MATCH_LIMIT;
	c->mget_depth_limit = KM_MGET_DEPTH_LIMIT;
	c->mget_max_work = KM_MGET_MAX_WORK;
	c->sync_max_message_size = KM_SYNC_MAX_MESSAGE_SIZE;
	c->sync_max_age_days = KM_SYNC_MAX_AGE_DAYS;
	c->import_batch = KM_IMPORT_BATCH;
	c->max_control_size = KM_MAX_CONTROL_SIZE;
	c->control_max_age = KM_CONTROL_MAX_AGE;
	c->control_max_skew = KM_CONTROL_MAX_SKEW;
	c->policy = CONF_POLICY_OPEN;
	c->verify_encrypt = CONF_VERIFY_PREFERRED;
	c->challenge_ttl = KM_CHALLENGE_TTL;
	c->address_token_ttl = KM_ADDRESS_TOKEN_TTL;
	c->held_days = KM_HELD_DAYS;
	c->held_after_fetch_days = KM_HELD_AFTER_FETCH_DAYS;
	c->held_max_issuers = KM_HELD_MAX_ISSUERS;
	c->held_max_size = KM_HELD_MAX_SIZE;
	c->signers_max_size = KM_SIGNERS_MAX_SIZE;
	c->expiry_warn_days = KM_EXPIRY_WARN_DAYS;
	c->max_token_mails_per_day = KM_MAX_TOKEN_MAILS_PER_DAY;
	c->max_address_mails_per_hour = KM_MAX_ADDRESS_MAILS_PER_HOUR;
	c->max_address_mails_total_per_hour = KM_MAX_ADDRESS_MAILS_TOTAL_PER_HOUR;
	c->max_challenges_per_key_per_day = KM_MAX_CHALLENGES_PER_KEY_PER_DAY;
	c->max_verify_per_key_per_day = KM_MAX_VERIFY_PER_KEY_PER_DAY;
	c->max_held_per_key_per_hour = KM_MAX_HELD_PER_KEY_PER_HOUR;
	c->max_bad_tokens_per_hour = KM_MAX_BAD_TOKENS_PER_HOUR;
	c->max_notify_mails_per_day = KM_MAX_NOTIFY_MAILS_PER_DAY;
	c->max_digests_per_key_per_day = KM_MAX_DIGESTS_PER_KEY_PER_DAY;
	c->max_subscriptions_per_address = KM_MAX_SUBSCRIPTIONS_PER_ADDRESS;
	c->max_batch_mails = KM_MAX_BATCH_MAILS;
	c->serve_workers = KM_SERVE_WORKERS;
	c->serve_max_requests = KM_SERVE_MAX_REQUESTS;
	c->serve_stop_timeout = KM_SERVE_STOP_TIMEOUT;
	c->hkp_max_body = KM_HKP_MAX_BODY;
	c->hkp_max_header_size = KM_HKP_MAX_HEADER_SIZE;
	c->hkp_timeout = KM_HKP_TIMEOUT;
	c->hkp_request_timeout = KM_HKP_REQUEST_TIMEOUT;
	c->hkp_max_connections = KM_HKP_MAX_CONNECTIONS;
	c->hkp_max_connections_per_ip = KM_HKP_MAX_CONNECTIONS_PER_IP;
	c->hkp_rate_limit = KM_HKP_RATE_LIMIT;
	c->hkp_add_rate_limit = KM_HKP_ADD_RATE_LIMIT;
	c->lmtp_timeout = KM_LMTP_TIMEOUT;
	c->lmtp_max_recipients = KM_LMTP_MAX_RECIPIENTS;
	c->server_key = xstrdup("/var/lib/keymail/server-key");
	c->recon_interval_hours = KM_RECON_INTERVAL_HOURS;
	c->recon_offer_cells = KM_RECON_OFFER_CELLS;
	c->recon_max_cells = KM_RECON_MAX_CELLS;
	c->recon_max_keys = KM_RECON_MAX_KEYS;
	c->recon_max_sessions_per_day = KM_RECON_MAX_SESSIONS_PER_DAY;
	c->recon_max_message_size = KM_RECON_MAX_MESSAGE_SIZE;
	c->recon_batch_keys = KM_RECON_BATCH_KEYS;
	c->recon_resend_hours = KM_RECON_RESEND_HOURS;
	c->recon_session_days = KM_RECON_SESSION_DAYS;
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

/* policy and verify_encrypt: one word of a fixed list (owner-control.md
 * 13). */
static int
parse_owner_word(const char *k, const char *v, int *out, char *why,
    size_t whylen)
{
	static const char *const policies[] = { "open", "trusted", "verified" };
	static const char *const verify[] = { "preferred", "required", "never" };
	const char *const *w = !strcmp(k, "policy") ? policies : verify;
	int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(v, w[i]))
			break;
	if (i == 3) {
		snprintf(why, whylen, "expected %s, %s or %s", w[0], w[1], w[2]);
		return -1;
	}
	*out = i;
	return 0;
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* An empty value means "not set" (the default). */
static void
set_opt_str(char **dst, const char *v)
{
	free(*dst);
	*dst = *v ? xstrdup(v) : NULL;
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

/*
 * A '#' that follows a blank (or starts the value) begins a comment
 * (keymail.conf(5)): "peer = a@b.example   # pks" is "a@b.example".
 * A '#' inside a word stays ("server_name = keys #1" keeps "keys").
 */
static char *
strip_comment(char *v)
{
	char *p;

	for (p = v; *p; p++)
		if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	return v;
}

/* Why the last value was refused, in words ("" if no more is known). */
static char peer_err[256];

int
conf_parse_mailbox(const char *value, char **addr, char **name, char *err,
    size_t errlen)
{
	const char *lt, *gt, *p;
	char *a = NULL, *n = NULL;
	size_t alen, i, o;

	*addr = *name = NULL;
	lt = strchr(value, '<');
	if (lt == NULL) {
		if (!peer_addr_ok(value))
			goto bad;
		*addr = xstrdup(value);
		return 0;
	}
	gt = strchr(lt, '>');
	if (gt == NULL || gt[1] != '\0' || strchr(lt + 1, '<') != NULL)
		goto bad;
	alen = (size_t)(gt - lt - 1);
	a = xstrndup(lt + 1, alen);
	if (!peer_addr_ok(a))
		goto bad;
	/* The display name: the text before '<', blanks trimmed, one pair
	 * of double quotes removed (with their backslash escapes). Plain
	 * text only: no controls, no brackets or commas (which would make
	 * it read as more than one mailbox). */
	while (value < lt && (*value == ' ' || *value == '\t'))
		value++;
	p = lt;
	while (p > value && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	n = xmalloc((size_t)(p - value) + 1);
	if (p - value >= 2 && *value == '"' && p[-1] == '"') {
		for (i = 1, o = 0; value + i < p - 1; i++) {
			if (value[i] == '\\' && value + i + 1 < p - 1)
				i++;
			else if (value[i] == '"')
				goto bad;
			n[o++] = value[i];
		}
		n[o] = '\0';
	} else {
		memcpy(n, value, (size_t)(p - value));
		n[p - value] = '\0';
		if (strpbrk(n, "\"<>()[],;:\\@") != NULL)
			goto bad;
	}
	for (i = 0; n[i]; i++)
		if ((unsigned char)n[i] < 0x20 || n[i] == 0x7f)
			goto bad;
	if (*n == '\0') {
		free(n);
		n = NULL;
	}
	*addr = a;
	*name = n;
	return 0;
bad:
	free(a);
	free(n);
	snprintf(err, errlen, "'%.120s' is not a mail address: write the bare "
	    "address (pgp-public-keys@keys.example.net), or a name and the "
	    "address in angle brackets (Keyserver <pgp-public-keys@keys.example.net>)",
	    value);
	return -1;
}

static int
conf_set(struct conf *c, const char *k, const char *v)
{
	peer_err[0] = '\0';
	size_t i;

	if (!strcmp(k, "database"))
		set_str(&c->database, v);
	else if (!strcmp(k, "address")) {
		char *a, *n;

		if (conf_parse_mailbox(v, &a, &n, peer_err, sizeof(peer_err)) < 0)
			return -1;
		free(c->address);
		free(c->address_name);
		c->address = a;
		c->address_name = n;
	}
	else if (!strcmp(k, "sendmail"))
		set_str(&c->sendmail, v);
	else if (!strcmp(k, "help_dir"))
		set_str(&c->help_dir, v);
	else if (!strcmp(k, "maintainer"))
		set_str(&c->maintainer, v);
	else if (!strcmp(k, "server_name"))
		set_str(&c->server_name, v);
	else if (!strcmp(k, "database_ro"))
		set_opt_str(&c->database_ro, v);
	else if (!strcmp(k, "hkp_listen"))
		set_opt_str(&c->hkp_listen, v);
	else if (!strcmp(k, "lmtp_listen"))
		set_opt_str(&c->lmtp_listen, v);
	else if (!strcmp(k, "hkp_forwarded_for"))
		return parse_bool(v, &c->hkp_forwarded_for);
	else if (!strcmp(k, "index_long_keyids"))
		return parse_bool(v, &c->index_long_keyids);
	else if (!strcmp(k, "policy"))
		return parse_owner_word(k, v, &c->policy, peer_err, sizeof(peer_err));
	else if (!strcmp(k, "verify_encrypt"))
		return parse_owner_word(k, v, &c->verify_encrypt, peer_err,
		    sizeof(peer_err));
	else if (!strcmp(k, "reply_to_unknown"))
		return parse_bool(v, &c->reply_to_unknown);
	else if (!strcmp(k, "silence_unknown_on_spf_fail"))
		return parse_bool(v, &c->silence_unknown_on_spf_fail);
	else if (!strcmp(k, "authserv_id")) {
		/* A token as RFC 8601 writes it: no blanks, ';' or '(' */
		if (*v == '\0' || strpbrk(v, " \t;()\"=") != NULL) {
			snprintf(peer_err, sizeof(peer_err), "write the host name "
			    "your MTA puts first in its Authentication-Results "
			    "fields (OpenDMARC: AuthservID)");
			return -1;
		}
		set_str(&c->authserv_id, v);
	}
	else if (!strcmp(k, "this_site")) {
		if (!peer_addr_ok(v)) {	/* it goes into a header as it is */
			snprintf(peer_err, sizeof(peer_err), "'%.120s' is not a plain "
			    "address: write it as local@domain, with no display "
			    "name, angle brackets, blanks or comment", v);
			return -1;
		}
		set_str(&c->this_site, v);
	}
	else if (!strcmp(k, "server_key")) {
		if (*v == '\0')
			return -1;
		set_str(&c->server_key, v);
	} else if (!strcmp(k, "recon_peer")) {
		char *addr, *other;
		uint8_t fpr[20];

		if (recon_peer_parse(v, &addr, fpr, peer_err, sizeof(peer_err)) < 0)
			return -1;
		for (i = 0; i < c->nrecon_peers; i++) {
			if (recon_peer_parse(c->recon_peers[i], &other, fpr, NULL,
			    0) == 0 && strcasecmp(other, addr) == 0) {
				snprintf(peer_err, sizeof(peer_err), "%s is "
				    "named twice", addr);
				free(other);
				free(addr);
				return -1;
			}
			free(other);
		}
		free(addr);
		c->recon_peers = xreallocarray(c->recon_peers, c->nrecon_peers + 1,
		    sizeof(*c->recon_peers));
		c->recon_peers[c->nrecon_peers++] = xstrdup(v);
	} else if (!strcmp(k, "peer")) {
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

/* What can only be checked once the whole file is read (spec 2). */
static int
check_recon(struct conf *c, const char *path, char *err, size_t errlen)
{
	uint8_t fpr[20];
	char *addr;
	size_t i;

	for (i = 0; i < c->nrecon_peers; i++) {
		if (recon_peer_parse(c->recon_peers[i], &addr, fpr, NULL, 0) < 0)
			continue;	/* cannot happen: checked when read */
		if (strcasecmp(addr, c->address) == 0 ||
		    strcasecmp(addr, c->this_site) == 0) {
			snprintf(err, errlen, "%s: recon_peer %s is this server's "
			    "own address", path, addr);
			free(addr);
			return -1;
		}
		free(addr);
	}
	if (c->recon_offer_cells < 1 || c->recon_max_cells < 1 ||
	    c->recon_max_keys < 1 || c->recon_batch_keys < 1) {
		snprintf(err, errlen, "%s: recon_offer_cells, recon_max_cells, "
		    "recon_max_keys and recon_batch_keys must be at least 1", path);
		return -1;
	}
	if (c->recon_max_cells > KM_RECON_PREFIX_MAX) {
		snprintf(err, errlen, "%s: recon_max_cells may be at most %u "
		    "(the record format's limit)", path, KM_RECON_PREFIX_MAX);
		return -1;
	}
	if (c->recon_offer_cells > c->recon_max_cells)
		c->recon_offer_cells = c->recon_max_cells;
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
		v = trim(strip_comment(eq + 1));
		r = conf_set(c, k, v);
		if (r == -2) {
			const char *near = suggest_key(k);

			snprintf(err, errlen, "%s:%u: unknown key '%s'%s%s%s", path,
			    lineno, k, near ? " (did you mean '" : "", near ? near : "",
			    near ? "'?)" : "");
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
		const char *at = strrchr(c->address, '@');

		/* Not the robot's own address: "Operator:" must point at a
		 * person. RFC 5321 4.5.1 requires postmaster@ of every mail
		 * domain; keymail check says when this default is in use. */
		if (c->maintainer == NULL) {
			c->maintainer = xasprintf("postmaster@%s", at ? at + 1 : "localhost");
			c->maintainer_default = 1;
		}
		if (c->server_name == NULL)
			c->server_name = xasprintf("OpenPGP keyserver at %s",
			    at ? at + 1 : c->address);
		if (c->this_site == NULL)
			c->this_site = xstrdup(c->address);
		rc = check_recon(c, path, err, errlen);
	}
	return rc;
}

void
conf_free(struct conf *c)
{
	size_t i;

	free(c->database);
	free(c->address);
	free(c->address_name);
	free(c->sendmail);
	free(c->help_dir);
	free(c->maintainer);
	free(c->server_name);
	free(c->this_site);
	free(c->authserv_id);
	free(c->database_ro);
	free(c->hkp_listen);
	free(c->lmtp_listen);
	for (i = 0; i < c->npeers; i++)
		free(c->peers[i]);
	free(c->peers);
	free(c->server_key);
	for (i = 0; i < c->nrecon_peers; i++)
		free(c->recon_peers[i]);
	free(c->recon_peers);
	memset(c, 0, sizeof(*c));
}
