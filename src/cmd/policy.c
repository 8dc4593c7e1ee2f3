/*
 * cmd/policy.c - policy modes (owner-control.md 2): which commands each
 * mode offers, the refusal line, and the check that the database was
 * built for the configured policy.
 *
 * The configuration is trusted; nothing here reads mail.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/owner.h"
#include "util/log.h"

enum store_policy
owner_policy(const struct conf *c)
{
	switch (c->policy) {
	case CONF_POLICY_TRUSTED:
		return STORE_POLICY_TRUSTED;
	case CONF_POLICY_VERIFIED:
		return STORE_POLICY_VERIFIED;
	default:
		return STORE_POLICY_OPEN;
	}
}

bool
owner_offered(enum owner_cmd_kind k, enum store_policy p)
{
	switch (k) {
	case OWNER_CMD_SHOW:
		return p != STORE_POLICY_VERIFIED;
	case OWNER_CMD_HIDE:
	case OWNER_CMD_NOTIFY:
	case OWNER_CMD_SIGNERS:
	case OWNER_CMD_CONFIRM:
		return true;
	case OWNER_CMD_REPLACE:
	case OWNER_CMD_HELD:
	case OWNER_CMD_ACCEPT:
	case OWNER_CMD_REJECT:
		return p == STORE_POLICY_TRUSTED;
	case OWNER_CMD_VERIFY:
	case OWNER_CMD_UNPUBLISH:
		return p == STORE_POLICY_VERIFIED;
	case OWNER_CMD_SUBSCRIBE:
	case OWNER_CMD_UNSUBSCRIBE:
		return true;
	default:
		return false;
	}
}

void
owner_refuse_policy(struct cmd_result *r, enum owner_cmd_kind k,
    enum store_policy p)
{
	r->suffix = ", failed";
	buf_printf(&r->body, "%s is not offered by this server (policy %s).\n",
	    owner_cmd_name(k), store_policy_name(p));
}

enum store_status
owner_policy_check(const struct conf *c, struct store *s, bool *match,
    char *why, size_t whylen)
{
	enum store_policy rec, want = owner_policy(c);
	enum store_status st;
	bool recorded;

	*match = false;
	if ((st = store_policy_get(s, &recorded, &rec)) != STORE_OK)
		return st;
	if (!recorded)
		rec = STORE_POLICY_OPEN;
	*match = rec == want;
	if (!*match)
		snprintf(why, whylen, "the configuration says policy %s but the "
		    "database was built for policy %s: run `keymail initdb "
		    "--change-policy` (mail is deferred until then)",
		    store_policy_name(want), store_policy_name(rec));
	return STORE_OK;
}

enum store_status
owner_initdb_policy(struct cmd_ctx *ctx, bool change, enum owner_initdb *outcome)
{
	enum store_policy rec, want = owner_policy(ctx->conf);
	struct owner_rebuild rb;
	enum store_status st;
	bool recorded;

	*outcome = OWNER_INITDB_OK;
	if ((st = store_policy_get(ctx->store, &recorded, &rec)) != STORE_OK)
		return st;
	if (!recorded) {
		log_info("initdb: database records policy %s", store_policy_name(want));
		return store_policy_set(ctx->store, want);
	}
	if (rec == want) {
		if (change)
			log_info("initdb: the database is built for policy %s "
			    "already; nothing to change", store_policy_name(rec));
		return STORE_OK;
	}
	if (!change) {
		log_warnx("initdb: the database is built for policy %s, the "
		    "configuration says %s; run `keymail initdb --change-policy` "
		    "to rebuild the published copies (mail is deferred until "
		    "then)", store_policy_name(rec), store_policy_name(want));
		*outcome = OWNER_INITDB_DIFFERS;
		return STORE_OK;
	}
	st = owner_policy_rebuild(ctx, rec, want, &rb);
	if (st == STORE_OK)
		*outcome = OWNER_INITDB_CHANGED;
	return st;
}
