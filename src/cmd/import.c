/*
 * cmd/import.c - keymail import: load keyrings, key dumps and armored
 * files into the store, fast.
 *
 * A pipeline of threads, so that both cores work:
 *
 *   reader (1)     reads each input, tells binary from armored text, and
 *                  cuts the binary stream into chunks of whole keys by
 *                  looking at packet headers only (import_read.c);
 *   workers (jobs) parse each chunk (pgp_keys_read), ask the store what
 *                  it knows of its keys (one statement per chunk, on the
 *                  worker's own connection: store_known_get), and check
 *                  each key with ADD's own per-key step
 *                  (cmd_key_accept_known, add.c), skipping the public-key
 *                  operations of signatures verified before; a key the
 *                  store holds whole already is counted unchanged here;
 *   writer (the    takes the chunks back in input order, reports refused
 *   caller)        keys, and merges the others in batches of up to
 *                  import_batch keys, one transaction each
 *                  (store_merge_keys), while the workers go on; when no
 *                  chunk is ready it writes what it has rather than wait,
 *                  so the server works while the workers do and the
 *                  last batch is small.
 *
 * Chunks travel through a ring of slots (IMPORT_SLOTS_PER_JOB per worker),
 * which bounds memory and keeps the input order: reports come out in input
 * order, and a key seen twice is merged twice in that order, as ADD would.
 * A batch never holds the same key twice (it is flushed first), so batches
 * are exactly a series of ADD merges.
 *
 * Failures: a refused key is reported on stderr ("Key FPR: reason") and
 * skipped. A framing error (bytes that are not OpenPGP packets) loses the
 * rest of that input, as it does for ADD, and is reported; the other
 * inputs are read. The store failing stops everything (CMD_RUN_TEMPFAIL);
 * what was committed stays, and running the import again completes it:
 * merges are idempotent.
 *
 * Input is untrusted (a dump from anywhere): it reaches the pgp layer
 * only, with the configured per-key limits. Armored input is decoded one
 * armor block at a time in memory (pgp_armor_scan needs the whole text);
 * binary input streams in IMPORT_READ_SIZE reads, and a single packet
 * longer than max_key_size is skipped without being buffered.
 *
 * Memory: the slots own their chunk bytes, keys and report lines; the
 * writer frees keys after their batch. On a store failure the threads are
 * left to the process's exit (the reader may be blocked reading a pipe),
 * so the state they share is deliberately not freed then.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/import_internal.h"
#include "util/log.h"
#include "util/xalloc.h"

/* ---- the workers ---------------------------------------------------------- */

/* One key (or error) of a chunk as pgp_keys_read reported it. */
struct pending {
	struct pgp_key *key;
	enum pgp_status st;
	uint8_t fpr[32];
	size_t fprlen;
	char *detail;		/* owned, or NULL */
};

struct work {
	struct imp *im;
	struct slot *sl;
	struct store *store;	/* the worker's own connection, for
				 * store_known_get (NULL until needed) */
	struct pending *p;
	size_t np, cap;
};

static void
report_key(struct buf *b, const uint8_t *fpr, size_t fprlen, const char *what,
    const char *why)
{
	char hex[65];

	if (fprlen > 0 && fprlen <= 32)
		pgp_hex(fpr, fprlen, hex);
	else
		strcpy(hex, "(no fingerprint)");
	(void)buf_printf(b, "Key %s: %s%s\n", hex, what, why);
}

/* pgp_keys_read callback: keep what it says, in order. */
static int
on_key(void *arg, struct pgp_key *key, enum pgp_status st, const uint8_t *fpr,
    size_t fprlen, const char *detail)
{
	struct work *w = arg;
	struct pending *p;

	if (w->np == w->cap) {
		w->cap = w->cap ? w->cap * 2 : IMPORT_CHUNK_KEYS;
		w->p = xreallocarray(w->p, w->cap, sizeof(*w->p));
	}
	p = &w->p[w->np++];
	memset(p, 0, sizeof(*p));
	p->key = key;
	p->st = st;
	if (fpr != NULL && fprlen <= sizeof(p->fpr)) {
		memcpy(p->fpr, fpr, fprlen);
		p->fprlen = fprlen;
	}
	p->detail = detail ? xstrdup(detail) : NULL;
	return 0;
}

static void
slot_add_key(struct work *w, struct pgp_key *key)
{
	struct slot *sl = w->sl;

	/* capacity: the next power of two (grown when nkeys is one) */
	if ((sl->nkeys & (sl->nkeys - 1)) == 0)
		sl->keys = xreallocarray(sl->keys, sl->nkeys ? sl->nkeys * 2 : 1,
		    sizeof(*sl->keys));
	sl->keys[sl->nkeys++] = key;
}

/*
 * Check the keys of a chunk as ADD does, knowing what the store holds of
 * them (one statement for the chunk): verified signatures are not
 * verified again, and a key the store holds whole already is counted as
 * unchanged here and never reaches the writer (its merge would find
 * nothing new). A store failure is left in the slot for the writer.
 */
static void
check_chunk(struct work *w)
{
	struct imp *im = w->im;
	struct slot *sl = w->sl;
	const struct pgp_key **keys;
	struct store_known *kn;
	struct pgp_known view;
	enum store_status st = STORE_OK;
	size_t i, n = 0;
	char why[640];

	keys = xcalloc(w->np ? w->np : 1, sizeof(*keys));
	kn = xcalloc(w->np ? w->np : 1, sizeof(*kn));
	for (i = 0; i < w->np; i++)
		if (w->p[i].st == PGP_OK && w->p[i].key != NULL)
			keys[n++] = w->p[i].key;
	if (n > 0 && w->store == NULL)
		st = store_open(im->ctx.conf->database, &w->store);
	if (st == STORE_OK && n > 0)
		st = store_known_get(w->store, keys, n, kn);
	if (st != STORE_OK) {
		sl->store_err = xstrdup(w->store ? store_errmsg(w->store) :
		    store_strerror(st));
		store_close(w->store);
		w->store = NULL;
		memset(kn, 0, n * sizeof(*kn));
	}
	for (i = 0, n = 0; i < w->np; i++) {
		struct pending *p = &w->p[i];
		struct pgp_key *key = p->key;

		memset(&view, 0, sizeof(view));
		if (p->st == PGP_OK && key != NULL)
			store_known_view(&kn[n++], &view);
		if (sl->store_err != NULL) {
			pgp_key_free(key);
			continue;
		}
		if (cmd_key_accept_known(&im->ctx, key, p->st, p->detail, &view,
		    &sl->vstats, why, sizeof(why)) != PGP_OK) {
			report_key(&sl->report, key ? key->pub.fpr : p->fpr,
			    key ? key->pub.fprlen : p->fprlen, "", why);
			sl->nrejected++;
			pgp_key_free(key);
			continue;
		}
		if (*why && im->o.verbose)
			report_key(&sl->notes, key->pub.fpr, key->pub.fprlen,
			    "dropped: ", why);
		if (pgp_key_all_known(key, &view)) {
			sl->nknown++;
			pgp_key_free(key);
			continue;
		}
		slot_add_key(w, key);
	}
	for (i = 0; i < w->np; i++)
		free(w->p[i].detail);
	store_known_free(kn, n);
	free(kn);
	free(keys);
	w->np = 0;
}

static void *
worker_main(void *arg)
{
	struct imp *im = arg;
	struct work w;
	struct slot *sl;

	memset(&w, 0, sizeof(w));
	w.im = im;
	pthread_mutex_lock(&im->mu);
	for (;;) {
		while (!im->abort && im->next_work == im->next_fill &&
		    !im->reader_done)
			pthread_cond_wait(&im->cv, &im->mu);
		if (im->abort || im->next_work == im->next_fill)
			break;
		sl = &im->slots[im->next_work++ % im->nslots];
		sl->state = SLOT_WORKING;
		pthread_mutex_unlock(&im->mu);

		w.sl = sl;
		if (sl->len > 0) {
			(void)pgp_keys_read(sl->data, sl->len, &im->ctx.lim,
			    on_key, &w);
			check_chunk(&w);
		}
		free(sl->data);
		sl->data = NULL;

		pthread_mutex_lock(&im->mu);
		sl->state = SLOT_DONE;
		pthread_cond_broadcast(&im->cv);
	}
	pthread_mutex_unlock(&im->mu);
	store_close(w.store);
	free(w.p);
	return NULL;
}

/* ---- the writer ----------------------------------------------------------- */

struct totals {
	unsigned long long keys, new_keys, updated, unchanged, rejected;
	struct pgp_vstats vstats;	/* the workers' checks */
};

struct batch {
	struct store_bulk_item *items;
	struct pgp_key **keys;		/* items[i].key, ours to free */
	size_t n, cap;
	size_t bytes;			/* packet octets in the batch */
	/* Fingerprints in the batch: open addressing over 2 * cap slots,
	 * holding item index + 1 (0: empty). */
	size_t *set;
	size_t setsize;
};

static size_t
fpr_hash(const struct pgp_key *k)
{
	size_t h = 0, i;

	for (i = 0; i < sizeof(h) && i < k->pub.fprlen; i++)
		h = h << 8 | k->pub.fpr[i];
	return h;
}

/* Packet body octets of a key: what its blob will roughly weigh. */
static size_t
key_octets(const struct pgp_key *k)
{
	size_t n = k->pkt.len, i, j;

	for (i = 0; i < k->nsigs; i++)
		n += k->sigs[i].pkt.len;
	for (i = 0; i < k->nuids; i++) {
		n += k->uids[i].pkt.len;
		for (j = 0; j < k->uids[i].nsigs; j++)
			n += k->uids[i].sigs[j].pkt.len;
	}
	for (i = 0; i < k->nsubkeys; i++) {
		n += k->subkeys[i].pkt.len;
		for (j = 0; j < k->subkeys[i].nsigs; j++)
			n += k->subkeys[i].sigs[j].pkt.len;
	}
	return n;
}

static bool
batch_has(const struct batch *b, const struct pgp_key *k)
{
	size_t i = fpr_hash(k) % b->setsize;

	while (b->set[i]) {
		const struct pgp_key *o = b->items[b->set[i] - 1].key;

		if (o->pub.fprlen == k->pub.fprlen &&
		    !memcmp(o->pub.fpr, k->pub.fpr, k->pub.fprlen))
			return true;
		i = (i + 1) % b->setsize;
	}
	return false;
}

static void
batch_add(struct batch *b, struct pgp_key *k)
{
	size_t i = fpr_hash(k) % b->setsize;

	while (b->set[i])
		i = (i + 1) % b->setsize;
	b->set[i] = b->n + 1;
	memset(&b->items[b->n], 0, sizeof(b->items[b->n]));
	b->items[b->n].key = k;
	b->keys[b->n++] = k;
	b->bytes += key_octets(k);
}

static void
count_item(struct totals *t, const struct pgp_merge_counts *c)
{
	if (c->new_keys)
		t->new_keys++;
	else if (c->new_uids || c->new_subkeys || c->new_sigs || c->new_revocations)
		t->updated++;
	else
		t->unchanged++;
}

/*
 * Merge the batch. A batch-level STORE_ERROR (a bug or a constraint we do
 * not expect) is retried key by key, so that one key cannot sink its
 * neighbours; if every key of the batch fails that way the store itself is
 * at fault and we stop, as for a tempfail.
 */
static enum store_status
flush(struct imp *im, struct batch *b, struct totals *t)
{
	struct store *s = im->ctx.store;
	enum store_status st;
	char why[300];
	size_t i, failed = 0;

	if (b->n == 0)
		return STORE_OK;
	st = store_merge_keys(s, b->items, b->n, &im->ctx.lim);
	if (st == STORE_ERROR) {
		for (i = 0; i < b->n; i++) {
			struct store_bulk_item *it = &b->items[i];

			it->st = store_merge_key(s, it->key, &im->ctx.lim,
			    &it->counts);
			if (it->st == STORE_TEMPFAIL)
				return STORE_TEMPFAIL;
			if (it->st == STORE_ERROR) {
				snprintf(it->why, sizeof(it->why), "%s",
				    store_errmsg(s));
				failed++;
			}
		}
		st = failed == b->n ? STORE_ERROR : STORE_OK;
	}
	if (st != STORE_OK)
		return st;
	for (i = 0; i < b->n; i++) {
		struct store_bulk_item *it = &b->items[i];
		struct pgp_key *k = b->keys[i];

		t->keys++;
		if (it->st == STORE_OK) {
			count_item(t, &it->counts);
		} else {
			t->rejected++;
			if (it->st == STORE_LIMIT)
				cmd_limit_reason(&im->ctx, why, sizeof(why));
			else
				snprintf(why, sizeof(why), "not stored: %s", it->why);
			{
				struct buf line;

				buf_init(&line, 0);
				report_key(&line, k->pub.fpr, k->pub.fprlen, "", why);
				fputs((const char *)line.data, stderr);
				free(line.data);
			}
		}
		pgp_key_free(k);
	}
	b->n = 0;
	b->bytes = 0;
	memset(b->set, 0, b->setsize * sizeof(*b->set));
	return STORE_OK;
}

static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
fmt_eta(double s, char *out, size_t n)
{
	unsigned long v = (unsigned long)(s + 0.5);

	if (v >= 3600)
		snprintf(out, n, "%luh%02lum", v / 3600, v / 60 % 60);
	else if (v >= 60)
		snprintf(out, n, "%lum%02lus", v / 60, v % 60);
	else
		snprintf(out, n, "%lus", v);
}

/* keys: read and checked so far (merged, or waiting in the batch). */
static void
progress(unsigned long long keys, const struct timespec *t0, uint64_t pos,
    uint64_t total, bool last)
{
	double el = since(t0), rate = el > 0 ? (double)keys / el : 0;
	char eta[32];

	fprintf(stderr, "\rimport: %llu keys, %.0f keys/s", keys, rate);
	if (total > 0 && pos <= total && el > 0) {
		double f = (double)pos / (double)total;

		fmt_eta(f > 0 ? el / f - el : 0, eta, sizeof(eta));
		fprintf(stderr, ", %.0f%%, ETA %s   ", f * 100, eta);
	} else {
		fputs("   ", stderr);
	}
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

/* "import: verified N (KIND n, ...), skipped M (KIND m, ...)": the
 * public-key operations done and the ones the store's verified entries
 * saved, by kind. */
static void
print_vstats(const struct pgp_vstats *v)
{
	unsigned long done = 0, skipped = 0;
	const char *sep;
	int k;

	for (k = 0; k < PGP_VK_COUNT; k++) {
		done += v->done[k];
		skipped += v->skipped[k];
	}
	fprintf(stderr, "import: verified %lu", done);
	for (k = 0, sep = " ("; k < PGP_VK_COUNT; k++)
		if (v->done[k]) {
			fprintf(stderr, "%s%s %lu", sep,
			    pgp_vkind_name((enum pgp_vkind)k), v->done[k]);
			sep = ", ";
		}
	fprintf(stderr, "%s, skipped %lu", *sep == ',' ? ")" : "", skipped);
	for (k = 0, sep = " ("; k < PGP_VK_COUNT; k++)
		if (v->skipped[k]) {
			fprintf(stderr, "%s%s %lu", sep,
			    pgp_vkind_name((enum pgp_vkind)k), v->skipped[k]);
			sep = ", ";
		}
	fprintf(stderr, "%s\n", *sep == ',' ? ")" : "");
}

static uint64_t
input_size(const struct cmd_import_opts *o)
{
	struct stat sb;
	uint64_t total = 0;
	size_t i;

	if (o->nfiles == 0)
		return fstat(0, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	for (i = 0; i < o->nfiles; i++) {
		if (!strcmp(o->files[i], "-") || stat(o->files[i], &sb) != 0 ||
		    !S_ISREG(sb.st_mode))
			return 0;	/* unknown: no ETA */
		total += (uint64_t)sb.st_size;
	}
	return total;
}

enum cmd_run
cmd_import(struct cmd_ctx *ctx, const struct cmd_import_opts *o)
{
	struct imp *im = xcalloc(1, sizeof(*im));
	pthread_t reader, workers[IMPORT_MAX_JOBS];
	struct timespec t0, last;
	struct totals t;
	struct batch b;
	struct slot *sl;
	enum store_status st = STORE_OK;
	uint64_t total = input_size(o), pos = 0;
	char *errmsg = NULL;		/* a worker's store error (leaked at
					 * the tempfail exit, as the rest) */
	unsigned jobs = o->jobs, i;
	size_t k;

	if (jobs == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		jobs = n > 0 ? (unsigned)n : 1;
	}
	if (jobs > IMPORT_MAX_JOBS)
		jobs = IMPORT_MAX_JOBS;
	im->ctx = *ctx;
	im->o = *o;
	if (im->o.batch == 0)
		im->o.batch = 1;
	pthread_mutex_init(&im->mu, NULL);
	pthread_cond_init(&im->cv, NULL);
	im->nslots = (size_t)jobs * IMPORT_SLOTS_PER_JOB;
	im->slots = xcalloc(im->nslots, sizeof(*im->slots));
	for (k = 0; k < im->nslots; k++) {
		buf_init(&im->slots[k].report, 0);
		buf_init(&im->slots[k].notes, 0);
	}
	memset(&t, 0, sizeof(t));
	memset(&b, 0, sizeof(b));
	b.cap = im->o.batch;
	b.items = xcalloc(b.cap, sizeof(*b.items));
	b.keys = xcalloc(b.cap, sizeof(*b.keys));
	b.setsize = 2 * b.cap + 1;
	b.set = xcalloc(b.setsize, sizeof(*b.set));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	last = t0;
	if (pthread_create(&reader, NULL, import_reader_main, im) != 0) {
		log_warnx("import: cannot start a thread");
		return CMD_RUN_TEMPFAIL;
	}
	for (i = 0; i < jobs; i++)
		if (pthread_create(&workers[i], NULL, worker_main, im) != 0) {
			log_warnx("import: cannot start a thread");
			jobs = i;
			break;
		}
	if (jobs == 0) {
		pthread_mutex_lock(&im->mu);
		im->abort = true;
		pthread_cond_broadcast(&im->cv);
		pthread_mutex_unlock(&im->mu);
		return CMD_RUN_TEMPFAIL;
	}

	for (;;) {
		pthread_mutex_lock(&im->mu);
		sl = &im->slots[im->next_write % im->nslots];
		/* Nothing to take yet: write what the batch holds rather
		 * than wait, so that the server works while the checking
		 * threads do, and the last batch, written after the last
		 * check, is small. */
		if (sl->state != SLOT_DONE && b.n >= IMPORT_EAGER_KEYS) {
			pthread_mutex_unlock(&im->mu);
			if ((st = flush(im, &b, &t)) != STORE_OK)
				break;
			continue;
		}
		while (sl->state != SLOT_DONE && !(im->reader_done &&
		    im->next_write == im->next_fill))
			pthread_cond_wait(&im->cv, &im->mu);
		if (sl->state != SLOT_DONE) {
			pthread_mutex_unlock(&im->mu);
			break;
		}
		pthread_mutex_unlock(&im->mu);

		if (sl->store_err != NULL) {
			/* a worker's connection failed */
			errmsg = sl->store_err;
			sl->store_err = NULL;
			st = STORE_TEMPFAIL;
			break;
		}
		if (sl->note)
			fprintf(stderr, "%s\n", sl->note);
		if (sl->report.len)
			fwrite(sl->report.data, 1, sl->report.len, stderr);
		if (sl->notes.len)
			fwrite(sl->notes.data, 1, sl->notes.len, stderr);
		t.rejected += sl->nrejected;
		t.keys += sl->nrejected + sl->nknown;
		t.unchanged += sl->nknown;
		pgp_vstats_add(&t.vstats, &sl->vstats);
		pos = sl->in_pos;
		for (k = 0; k < sl->nkeys && st == STORE_OK; k++) {
			if (batch_has(&b, sl->keys[k]))
				st = flush(im, &b, &t);
			if (st != STORE_OK)
				break;
			batch_add(&b, sl->keys[k]);
			sl->keys[k] = NULL;
			if (b.n >= b.cap || b.bytes >= IMPORT_BATCH_BYTES)
				st = flush(im, &b, &t);
		}
		if (st != STORE_OK)
			break;

		pthread_mutex_lock(&im->mu);
		free(sl->note);
		sl->note = NULL;
		free(sl->keys);
		sl->keys = NULL;
		sl->nkeys = 0;
		sl->state = SLOT_FREE;
		im->next_write++;
		pthread_cond_broadcast(&im->cv);
		pthread_mutex_unlock(&im->mu);

		if (o->progress) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((now.tv_sec - last.tv_sec) * 1000000000L +
			    (now.tv_nsec - last.tv_nsec) >= IMPORT_PROGRESS_NS) {
				progress(t.keys + b.n, &t0, pos, total, false);
				last = now;
			}
		}
	}
	if (st == STORE_OK)
		st = flush(im, &b, &t);
	if (st != STORE_OK) {
		/* Stop the pipeline and leave it to the exit (see the top). */
		if (o->progress)
			fputc('\n', stderr);
		log_warnx("import: database: %s", errmsg ? errmsg :
		    store_errmsg(ctx->store));
		pthread_mutex_lock(&im->mu);
		im->abort = true;
		pthread_cond_broadcast(&im->cv);
		pthread_mutex_unlock(&im->mu);
		pthread_detach(reader);
		for (i = 0; i < jobs; i++)
			pthread_detach(workers[i]);
		return CMD_RUN_TEMPFAIL;
	}
	pthread_join(reader, NULL);
	for (i = 0; i < jobs; i++)
		pthread_join(workers[i], NULL);
	if (o->progress)
		progress(t.keys, &t0, total, total, true);
	if (o->summary) {
		double el = since(&t0);

		fprintf(stderr, "import: %llu keys: %llu new, %llu updated, %llu "
		    "unchanged, %llu refused; %.2f s, %.0f keys/s\n", t.keys,
		    t.new_keys, t.updated, t.unchanged, t.rejected, el,
		    el > 0 ? (double)t.keys / el : 0.0);
		pgp_vstats_add(&t.vstats, store_vstats(ctx->store));
		print_vstats(&t.vstats);
	}
	for (k = 0; k < im->nslots; k++) {
		free(im->slots[k].report.data);
		free(im->slots[k].notes.data);
	}
	free(im->slots);
	free(b.items);
	free(b.keys);
	free(b.set);
	pthread_mutex_destroy(&im->mu);
	pthread_cond_destroy(&im->cv);
	{
		enum cmd_run rc = im->ioerr ? CMD_RUN_IOERR : im->noinput ?
		    CMD_RUN_NOINPUT : CMD_RUN_OK;

		free(im);
		return rc;
	}
}
