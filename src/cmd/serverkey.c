/*
 * cmd/serverkey.c - the server's own key on disk and in the store
 * (reconciliation.md 3): `keymail serverkey`, the checks every reader of
 * the key file makes, and the publication of the public key.
 *
 * DESCRIPTION
 *	The secret key file (server_key) is exactly three lines
 *	(recon/serverkey.c reads them). It is refused unless it is a
 *	regular file (a symbolic link is not), owned by the user keymail
 *	runs as, and grants nothing to others and no write to the group
 *	(mode & 0027 == 0); group read is allowed for split setups.
 *	keymail serverkey creates it when it is missing: a seed from
 *	libgcrypt's very strong generator, written to a temporary file in
 *	the same directory (mode 0600, fsync), then link()ed to the final
 *	name, so an existing file is never replaced and a crash never leaves
 *	a half-written key under the final name. Then the public key is
 *	merged into our own store through the ADD path (idempotent), and its
 *	fingerprint printed.
 *
 * SECURITY
 *	The seed is the server's only secret: it is never logged, and every
 *	copy in memory is wiped (recon_server_key_clear). The file is the
 *	operator's; its contents are still parsed strictly.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/owner.h"
#include "recon/recon.h"
#include "util/log.h"
#include "util/xalloc.h"

#define KEYFILE_MAX	4096	/* the file is about 120 octets */

int
cmd_server_key_load(const struct conf *c, struct recon_server_key *k,
    char *why, size_t whylen)
{
	char text[KEYFILE_MAX];
	struct stat st;
	const char *reason;
	ssize_t n;
	int fd, rc;

	memset(k, 0, sizeof(*k));
	fd = open(c->server_key, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		snprintf(why, whylen, "%s: %s", c->server_key, errno == ELOOP ?
		    "is a symbolic link, not a regular file" : strerror(errno));
		return errno == ENOENT ? -1 : -2;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", c->server_key);
		close(fd);
		return -2;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, whylen, "%s: not owned by the user keymail runs as "
		    "(uid %lu)", c->server_key, (unsigned long)geteuid());
		close(fd);
		return -2;
	}
	if ((st.st_mode & 0027) != 0) {
		snprintf(why, whylen, "%s: mode %04o grants access to others or "
		    "write access to the group (chmod 600 it)", c->server_key,
		    (unsigned)(st.st_mode & 07777));
		close(fd);
		return -2;
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || (size_t)n == sizeof(text)) {
		snprintf(why, whylen, "%s: %s", c->server_key, n < 0 ?
		    strerror(errno) : "too large for a server key file");
		explicit_bzero(text, sizeof(text));
		return -2;
	}
	rc = recon_server_key_parse(text, (size_t)n, k, &reason);
	explicit_bzero(text, sizeof(text));
	if (rc == -1) {
		snprintf(why, whylen, "%s: %s", c->server_key, reason);
		return -2;
	}
	return 0;
}

/*
 * Write a new key file for k at c->server_key without ever replacing one:
 * 0 when written, 1 when one appeared meanwhile (another run won: use
 * it), -1 on failure (why says what failed).
 */
static int
create_key_file(const struct conf *c, const struct recon_server_key *k,
    char *why, size_t whylen)
{
	struct buf text;
	char *tmp, *dircopy;
	uint8_t rnd[8];
	int fd, rc = -1, dfd;
	size_t off = 0;
	ssize_t w;

	pgp_random_nonce(rnd, sizeof(rnd));
	tmp = xasprintf("%s.tmp-%lu-%02x%02x%02x%02x", c->server_key,
	    (unsigned long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3]);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		snprintf(why, whylen, "%s: cannot create: %s", c->server_key,
		    strerror(errno));
		free(tmp);
		return -1;
	}
	buf_init(&text, 0);
	recon_server_key_text(k, &text);
	while (off < text.len) {
		w = write(fd, text.data + off, text.len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	explicit_bzero(text.data, text.len);
	if (off != text.len || fsync(fd) == -1) {
		snprintf(why, whylen, "%s: cannot write: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) == -1) {
		snprintf(why, whylen, "%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	if (link(tmp, c->server_key) == -1) {
		if (errno == EEXIST)
			rc = 1;
		else
			snprintf(why, whylen, "%s: cannot create: %s",
			    c->server_key, strerror(errno));
		goto out;
	}
	rc = 0;
	/* Make the new name durable too. */
	dircopy = xstrdup(c->server_key);
	if ((dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dircopy);
out:
	(void)unlink(tmp);
	free(tmp);
	buf_free(&text);
	return rc;
}

/*
 * In trusted mode a key nobody claimed is stored but not published
 * (owner-control.md 2), so peers could not GET our key and it would not
 * be in the set we reconcile. This server owns its key: an unclaimed one
 * is claimed (its published copy is the whole key: it carries only
 * self-material) and shown, as SHOW by its owner would, and queued for
 * sync. A key its operator HIDs stays hidden. Open mode needs nothing.
 */
static enum store_status
server_key_show(struct cmd_ctx *ctx, const struct recon_server_key *k)
{
	struct store_owner o;
	struct pgp_key *unionk;
	enum store_status st;

	if (owner_policy(ctx->conf) != STORE_POLICY_TRUSTED)
		return STORE_OK;
	st = store_owner_begin(ctx->store, k->signer.fpr, 20, &o);
	if (st != STORE_OK)
		return st == STORE_NOTFOUND ? STORE_OK : st;
	if (o.state != STORE_UNCLAIMED) {
		store_owner_rollback(ctx->store);
		store_owner_free(&o);
		return STORE_OK;
	}
	if ((unionk = owner_key_load(ctx, o.data, o.len)) == NULL)
		st = STORE_ERROR;
	if (st == STORE_OK && !o.claimed)
		st = owner_claim(ctx, &o, unionk);
	o.state = STORE_VISIBLE;
	if (st == STORE_OK)
		st = store_owner_put(ctx->store, &o);
	if (st == STORE_OK && ctx->sync_enqueue)
		st = store_sync_enqueue(ctx->store, o.key_id, ctx->sync_trail,
		    ctx->sync_ntrail);
	st = store_owner_end(ctx->store, st);
	pgp_key_free(unionk);
	store_owner_free(&o);
	return st;
}

enum store_status
cmd_server_key_publish(struct cmd_ctx *ctx, const struct recon_server_key *k,
    bool *refused)
{
	struct cmd_result r;
	struct buf pub;
	enum store_status st;

	*refused = false;
	buf_init(&pub, 0);
	if (recon_server_key_public(k, ctx->conf->address, &pub) == -1) {
		buf_free(&pub);
		*refused = true;
		return STORE_OK;
	}
	cmd_result_init(&r);
	st = cmd_add_blob(ctx, pub.data, pub.len, &r);
	if (st == STORE_OK && r.keys_stored == 0) {
		*refused = true;
		log_warnx("server key %s: the store refused it: %.*s", k->fpr_hex,
		    (int)(r.body.len > 300 ? 300 : r.body.len),
		    (const char *)r.body.data);
	}
	if (st == STORE_OK && !*refused)
		st = server_key_show(ctx, k);
	cmd_result_free(&r);
	buf_free(&pub);
	return st;
}

enum cmd_run
cmd_serverkey(const struct conf *c, time_t now)
{
	struct recon_server_key k;
	struct cmd_ctx ctx;
	struct store *store = NULL;
	uint8_t seed[32];
	char why[512];
	enum store_status st;
	bool refused;
	int rc;

	rc = cmd_server_key_load(c, &k, why, sizeof(why));
	if (rc == -2) {
		log_warnx("server key: %s", why);
		return CMD_RUN_CONFIG;
	}
	if (rc == -1) {
		pgp_random_secret(seed, sizeof(seed));
		rc = recon_server_key_make(seed, (uint32_t)now, &k);
		explicit_bzero(seed, sizeof(seed));
		if (rc == -1) {
			log_warnx("server key: libgcrypt could not derive the "
			    "public key");
			return CMD_RUN_SOFTWARE;
		}
		rc = create_key_file(c, &k, why, sizeof(why));
		recon_server_key_clear(&k);
		if (rc == -1) {
			log_warnx("server key: %s", why);
			return CMD_RUN_CANTCREAT;
		}
		if (rc == 0)
			log_info("server key: created %s", c->server_key);
		if (cmd_server_key_load(c, &k, why, sizeof(why)) != 0) {
			log_warnx("server key: %s", why);
			return CMD_RUN_CONFIG;
		}
	}
	/* The file first, the store second: a new key is kept even when
	 * the store is down, and the next run merges it. */
	st = store_open(c->database, &store);
	if (st != STORE_OK) {
		log_warnx("database: %s", store ? store_errmsg(store) :
		    store_strerror(st));
		store_close(store);
		recon_server_key_clear(&k);
		return CMD_RUN_TEMPFAIL;
	}
	cmd_ctx_init(&ctx, c, store);
	st = cmd_server_key_publish(&ctx, &k, &refused);
	if (st != STORE_OK)
		log_warnx("database: %s", store_errmsg(store));
	else if (!refused)
		printf("%s\n", k.fpr_hex);
	store_close(store);
	recon_server_key_clear(&k);
	if (st != STORE_OK)
		return CMD_RUN_TEMPFAIL;
	return refused ? CMD_RUN_SOFTWARE : CMD_RUN_OK;
}
