/*
 * cmd/common.c - context, results, opening the store and the reply intro
 * shared by commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/log.h"
#include "util/xalloc.h"

#ifndef KM_VERSION
#define KM_VERSION "0.1"
#endif

void
cmd_ctx_init(struct cmd_ctx *ctx, const struct conf *conf, struct store *store)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->conf = conf;
	ctx->store = store;
	ctx->lim.max_key_size = conf->max_key_size;
	ctx->lim.max_packets_per_key = conf->max_packets_per_key;
	ctx->lim.max_uid_length = conf->max_uid_length;
	ctx->lim.max_sigs_per_uid = conf->max_sigs_per_uid;
	ctx->now = time(NULL);
	ctx->sync_enqueue = conf->npeers > 0;
	/* Lookups answer with the public copies of the configured policy
	 * (owner-control.md 2); the filter and sync refuse to run while the
	 * database records another (cmd/policy.c). */
	store_set_view(store, (enum store_policy)conf->policy);
}

enum store_status
cmd_store_open(const char *conninfo, struct store **out, char *why,
    size_t whylen)
{
	enum store_status st = store_open(conninfo, out);
	const char *msg;

	if (st != STORE_OK) {
		msg = *out ? store_errmsg(*out) : store_strerror(st);
		log_warnx("database: %s", msg);
		if (why != NULL && whylen > 0)
			snprintf(why, whylen, "%s", msg);
		store_close(*out);
		*out = NULL;
	}
	return st;
}

const char *
cmd_version(void)
{
	return KM_VERSION;
}

void
cmd_result_init(struct cmd_result *r)
{
	memset(r, 0, sizeof(*r));
	r->suffix = "";
	r->body_type = "text/plain";
	buf_init(&r->body, 0);
}

void
cmd_mail_free(struct cmd_mail *m)
{
	if (m == NULL)
		return;
	free(m->to);
	free(m->subject);
	free(m->text);
	free(m->part2);
	memset(m, 0, sizeof(*m));
}

void
cmd_result_free(struct cmd_result *r)
{
	size_t i;

	free(r->body.data);
	free(r->intro);
	for (i = 0; i < r->nafter; i++)
		cmd_mail_free(&r->after[i]);
	free(r->after);
	memset(r, 0, sizeof(*r));
}

char *
cmd_intro(const struct cmd_ctx *ctx)
{
	const struct conf *c = ctx->conf;

	/* server_name is shown as it is, on a line of its own: it used to
	 * be built into a sentence ("the OpenPGP keyserver robot at %s")
	 * that repeated the README's example name and wrapped at 80. */
	return xasprintf(
	    "%s\n"
	    "Robot: %s (keymail %s)\n"
	    "Operator: %s\n"
	    "\n"
	    "A keyserver only stores and passes on public keys. It does not\n"
	    "check who owns a key: compare the fingerprint with its owner\n"
	    "before you rely on it. Send \"HELP\" in the Subject for help.\n",
	    c->server_name ? c->server_name : c->address, c->address, KM_VERSION,
	    c->maintainer ? c->maintainer : c->address);
}

const char *
cmd_msgid_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at && at[1] ? at + 1 : "localhost";
}
