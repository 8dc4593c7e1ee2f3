/*
 * cmd/import_read.c - keymail import's reader thread: reads each input,
 * tells binary from armored text, and cuts the binary stream into chunks
 * of whole keys by looking at packet headers only (pgp_packet_frame),
 * for the workers of import.c.
 *
 * Input is untrusted (a dump from anywhere); nothing here parses more
 * than packet headers, and a packet longer than max_key_size is skipped
 * without being buffered. Armored input is decoded one armor block at a
 * time in memory (pgp_armor_scan needs the whole text). Memory: each
 * chunk is handed to the ring, which owns it from then on.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/import_internal.h"
#include "util/xalloc.h"

/* ---- the ring ------------------------------------------------------------- */

/* Hand a chunk (data owned by the ring from now on) and/or a note to the
 * workers; waits for a free slot. Returns -1 if the import was aborted. */
static int
emit(struct imp *im, uint8_t *data, size_t len, char *note, unsigned refused)
{
	struct slot *sl;

	pthread_mutex_lock(&im->mu);
	sl = &im->slots[im->next_fill % im->nslots];
	while (!im->abort && sl->state != SLOT_FREE)
		pthread_cond_wait(&im->cv, &im->mu);
	if (im->abort) {
		pthread_mutex_unlock(&im->mu);
		free(data);
		free(note);
		return -1;
	}
	sl->data = data;
	sl->len = len;
	sl->note = note;
	sl->in_pos = im->in_read;
	sl->keys = NULL;
	sl->nkeys = 0;
	sl->nrejected = refused;	/* a key the reader refused (note) */
	sl->nknown = 0;
	memset(&sl->vstats, 0, sizeof(sl->vstats));
	sl->store_err = NULL;
	buf_reset(&sl->report);
	buf_reset(&sl->notes);
	sl->state = SLOT_FILLED;
	im->next_fill++;
	pthread_cond_broadcast(&im->cv);
	pthread_mutex_unlock(&im->mu);
	return 0;
}

static int emit_note(struct imp *im, unsigned refused, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A message for the writer to print in its place in the input; refused:
 * it reports a key refused (counted as such). */
static int
emit_note(struct imp *im, unsigned refused, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return emit(im, NULL, 0, msg, refused);
}

/* ---- cutting a binary stream into whole keys ------------------------------ */

struct chunker {
	struct imp *im;
	const char *name;	/* input name for messages */
	struct buf b;		/* pending octets; b.data[0] starts a chunk */
	uint64_t base;		/* input offset of b.data[0] */
	size_t scan;		/* octets of b framed so far (may pass b.len
				 * while a packet body is still arriving) */
	size_t nkeys;		/* primary key packets in [0, scan) */
	size_t key_start;	/* offset of the last primary key packet */
	uint64_t skip;		/* octets of an oversized packet still to drop */
	bool drop_key;		/* dropping the rest of a refused key */
	bool dead;		/* framing lost: the rest of this input is lost */
	int failed;		/* emit() said the import was aborted */
};

static bool
primary_tag(uint8_t tag)
{
	return tag == PGP_TAG_PUBKEY || tag == PGP_TAG_SECKEY;
}

/* Send b[0, n) as a chunk and keep the rest. */
static void
cut(struct chunker *c, size_t n)
{
	if (n > 0 && !c->failed && emit(c->im, xmemdup(c->b.data, n), n, NULL, 0) < 0)
		c->failed = 1;
	memmove(c->b.data, c->b.data + n, c->b.len - n);
	c->b.len -= n;
	c->base += n;
	c->scan = c->scan > n ? c->scan - n : 0;
	c->key_start = c->key_start >= n ? c->key_start - n : 0;
	c->nkeys = 0;
}

/* Drop b[from, to) (octets of a refused key). Offsets named in later
 * messages count the octets kept, so they may be off after that. */
static void
drop(struct chunker *c, size_t from, size_t to)
{
	memmove(c->b.data + from, c->b.data + to, c->b.len - to);
	c->b.len -= to - from;
}

/* The key starting at b[key_start] would pass max_key_size: say so (as
 * pgp_keys_read would) and drop it without buffering the rest. */
static void
refuse_big(struct chunker *c)
{
	struct pgp_key *k = NULL;
	enum pgp_status st;
	uint8_t tag;
	size_t size;
	char hex[65] = "(no fingerprint)";

	cut(c, c->key_start);	/* the keys before it go first */
	if (pgp_packet_frame(c->b.data, c->b.len, &tag, &size) == PGP_OK &&
	    size <= c->b.len && (k = pgp_key_parse_one(c->b.data, size, NULL,
	    &st)) != NULL)
		pgp_hex(k->pub.fpr, k->pub.fprlen, hex);
	pgp_key_free(k);
	if (!c->failed && emit_note(c->im, 1, "Key %s: %s: key larger than "
	    "max_key_size (%zu octets)", hex, pgp_strerror(PGP_ERR_LIMIT),
	    c->im->ctx.lim.max_key_size) < 0)
		c->failed = 1;
	c->drop_key = true;
	c->nkeys = 0;
	drop(c, 0, c->scan);
	c->scan = 0;
}

/* Frame what is buffered; cut chunks at primary key packets. */
static void
frame(struct chunker *c)
{
	const size_t maxkey = c->im->ctx.lim.max_key_size;
	enum pgp_status st;
	uint8_t tag;
	size_t size;

	while (!c->dead && !c->failed && c->scan < c->b.len) {
		st = pgp_packet_frame(c->b.data + c->scan, c->b.len - c->scan,
		    &tag, &size);
		if (st == PGP_ERR_TRUNCATED)
			return;		/* the header is still arriving */
		if (st != PGP_OK) {
			/* Lost: pgp_keys_read reports the key being read, as
			 * it does for ADD; nothing after it can be framed. */
			unsigned long long off = c->base + c->scan;

			c->dead = true;
			cut(c, c->b.len);
			if (!c->failed && emit_note(c->im, 0, "%s: offset %llu: not "
			    "an OpenPGP packet; the rest of this input was "
			    "skipped", c->name, off) < 0)
				c->failed = 1;
			return;
		}
		if (primary_tag(tag)) {
			c->drop_key = false;
			if (c->scan > 0 && (c->nkeys >= IMPORT_CHUNK_KEYS ||
			    c->scan >= IMPORT_CHUNK_BYTES))
				cut(c, c->scan);
			c->nkeys++;
			c->key_start = c->scan;
		}
		if (!c->drop_key && maxkey != 0 &&
		    c->scan - c->key_start + size > maxkey)
			refuse_big(c);
		if (c->drop_key) {
			/* A packet of a refused key: drop it, or what is
			 * here of it and the rest as it arrives. */
			if (size <= c->b.len - c->scan) {
				drop(c, c->scan, c->scan + size);
				continue;
			}
			c->skip = size - (c->b.len - c->scan);
			drop(c, c->scan, c->b.len);
			return;
		}
		c->scan += size;
	}
}

static void
chunker_push(struct chunker *c, const uint8_t *p, size_t n)
{
	if (c->dead || c->failed)
		return;
	if (c->skip > 0) {
		size_t k = c->skip < n ? (size_t)c->skip : n;

		c->skip -= k;
		p += k;
		n -= k;
	}
	if (n == 0)
		return;
	(void)buf_append(&c->b, p, n);
	frame(c);
}

/* End of a stream (input or armor block): what is left is the last key;
 * if it is truncated, pgp_keys_read says so. */
static void
chunker_end(struct chunker *c)
{
	if (!c->dead && !c->failed && c->b.len > 0)
		cut(c, c->b.len);
	c->b.len = 0;
	c->scan = 0;
	c->nkeys = 0;
	c->key_start = 0;
	c->skip = 0;
	c->drop_key = false;
	c->dead = false;
	c->base = 0;
}

/* ---- the reader thread ---------------------------------------------------- */

struct armor_ctx {
	struct chunker *c;
	unsigned secret, undecodable;
};

static int
on_armor(void *arg, enum pgp_armor_kind kind, const uint8_t *data, size_t len,
    bool crc_ok, enum pgp_status st)
{
	struct armor_ctx *a = arg;

	(void)crc_ok;	/* accepted either way, as for ADD */
	if (a->c->failed)
		return 1;
	switch (kind) {
	case PGP_ARMOR_PRIVATE_KEY:
		a->secret++;
		return 0;
	case PGP_ARMOR_OTHER:
		return 0;
	case PGP_ARMOR_PUBLIC_KEY:
		break;
	}
	if (st != PGP_OK) {
		a->undecodable++;
		return 0;
	}
	chunker_push(a->c, data, len);
	chunker_end(a->c);
	return 0;
}

/* Read all of fd (a pipe or a file we cannot map) into b. */
static int
slurp(int fd, struct buf *b)
{
	char tmp[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		(void)buf_append(b, tmp, (size_t)n);
	}
}

static void
read_text(struct imp *im, struct chunker *c, int fd, const uint8_t *head,
    size_t headlen)
{
	struct armor_ctx a;
	struct stat sb;
	struct buf all;
	const char *text;
	void *map = MAP_FAILED;
	size_t len;

	memset(&a, 0, sizeof(a));
	a.c = c;
	buf_init(&all, 0);
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    (map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd,
	    0)) != MAP_FAILED) {
		text = map;
		len = (size_t)sb.st_size;
	} else {
		(void)buf_append(&all, head, headlen);
		if (slurp(fd, &all) < 0) {
			(void)emit_note(im, 0, "%s: read error: %s", c->name,
			    strerror(errno));
			im->ioerr = true;
		}
		text = (const char *)all.data;
		len = all.len;
	}
	pthread_mutex_lock(&im->mu);
	im->in_read += len - headlen;
	pthread_mutex_unlock(&im->mu);
	/* No bound per block: the operator's own file; the per-key limits
	 * still apply in pgp_keys_read. */
	if (pgp_armor_scan(text, len, 0, on_armor, &a) == 0)
		(void)emit_note(im, 0, "%s: no OpenPGP data found", c->name);
	if (a.secret)
		(void)emit_note(im, a.secret, "%s: %u secret key block%s refused: a "
		    "keyserver never holds secret keys", c->name, a.secret,
		    a.secret == 1 ? "" : "s");
	if (a.undecodable)
		(void)emit_note(im, a.undecodable, "%s: %u armor block%s could not be decoded",
		    c->name, a.undecodable, a.undecodable == 1 ? "" : "s");
	if (map != MAP_FAILED)
		(void)munmap(map, len);
	free(all.data);
}

static void
read_input(struct imp *im, const char *path)
{
	struct chunker c;
	uint8_t *blk = xmalloc(IMPORT_READ_SIZE);
	size_t i = 0;
	ssize_t n;
	int fd;
	bool first = true;

	memset(&c, 0, sizeof(c));
	c.im = im;
	c.name = path ? path : "(standard input)";
	if (path == NULL) {
		fd = 0;
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		(void)emit_note(im, 0, "%s: %s", path, strerror(errno));
		im->noinput = true;
		free(blk);
		return;
	}
	buf_init(&c.b, 0);
	for (;;) {
		n = read(fd, blk, IMPORT_READ_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)emit_note(im, 0, "%s: read error: %s", c.name,
			    strerror(errno));
			im->ioerr = true;
			break;
		}
		if (n == 0)
			break;
		if (first) {
			/* Binary OpenPGP starts with a packet header, whose
			 * top bit is set; text (armor) never does. */
			for (i = 0; i < (size_t)n && (blk[i] == ' ' ||
			    blk[i] == '\t' || blk[i] == '\r' || blk[i] == '\n'); i++)
				;
			if (i == (size_t)n)
				continue;	/* blank so far */
			first = false;
			if (!(blk[i] & 0x80)) {
				read_text(im, &c, fd, blk, (size_t)n);
				goto done;
			}
		}
		pthread_mutex_lock(&im->mu);
		im->in_read += (size_t)n;
		pthread_mutex_unlock(&im->mu);
		chunker_push(&c, blk, (size_t)n);
		if (c.failed)
			break;
	}
	if (first && !im->ioerr)
		(void)emit_note(im, 0, "%s: empty", c.name);
	chunker_end(&c);
done:
	free(c.b.data);
	free(blk);
	if (path != NULL)
		(void)close(fd);
}

void *
import_reader_main(void *arg)
{
	struct imp *im = arg;
	size_t i;

	if (im->o.nfiles == 0)
		read_input(im, NULL);
	for (i = 0; i < im->o.nfiles; i++) {
		bool stop;

		pthread_mutex_lock(&im->mu);
		stop = im->abort;
		pthread_mutex_unlock(&im->mu);
		if (stop)
			break;
		read_input(im, !strcmp(im->o.files[i], "-") ? NULL : im->o.files[i]);
	}
	pthread_mutex_lock(&im->mu);
	im->reader_done = true;
	pthread_cond_broadcast(&im->cv);
	pthread_mutex_unlock(&im->mu);
	return NULL;
}
