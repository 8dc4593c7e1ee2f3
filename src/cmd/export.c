/*
 * cmd/export.c - keymail export: every stored key, binary, back to back
 * (the dump format keymail import and SKS/Hockeypuck read), in
 * fingerprint order, so that two stores holding the same keys give the
 * same bytes.
 *
 * The blobs come from our own store (written by pgp_key_write) and are
 * copied out as they are; nothing here parses them. Output is buffered
 * with stdio on a duplicate of fd; a write error (disk full, closed pipe
 * with SIGPIPE ignored) stops the export with CMD_RUN_IOERR.
 * Memory: one stdio buffer; the store streams through a cursor.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "util/log.h"

struct out {
	FILE *f;
	unsigned long long n;
	int err;		/* errno of the first write error, 0 none */
};

static int
put_key(void *arg, const uint8_t *data, size_t len)
{
	struct out *o = arg;

	if (fwrite(data, 1, len, o->f) != len) {
		o->err = errno ? errno : EIO;
		return 1;
	}
	o->n++;
	return 0;
}

enum cmd_run
cmd_export(struct cmd_ctx *ctx, int fd)
{
	struct out o;
	enum store_status st;
	int dfd = dup(fd);

	memset(&o, 0, sizeof(o));
	if (dfd < 0 || (o.f = fdopen(dfd, "wb")) == NULL) {
		log_warn("export: output");
		if (dfd >= 0)
			(void)close(dfd);
		return CMD_RUN_IOERR;
	}
	(void)setvbuf(o.f, NULL, _IOFBF, 1 << 20);
	st = store_export(ctx->store, put_key, &o);
	if (fclose(o.f) != 0 && o.err == 0)
		o.err = errno ? errno : EIO;
	if (st != STORE_OK) {
		log_warnx("export: database: %s", store_errmsg(ctx->store));
		return CMD_RUN_TEMPFAIL;
	}
	if (o.err) {
		log_warnx("export: writing: %s (after %llu keys)", strerror(o.err), o.n);
		return CMD_RUN_IOERR;
	}
	return CMD_RUN_OK;
}
