/*
 * cmd/import_internal.h - what the two halves of keymail import share:
 * the reader (import_read.c: inputs cut into chunks of whole keys) and
 * the workers and writer (import.c). Private to those two files.
 *
 * The chunks travel through a ring of slots, guarded by imp.mu; see the
 * top of import.c for the pipeline and who owns what.
 */
#ifndef KM_CMD_IMPORT_INTERNAL_H
#define KM_CMD_IMPORT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmd/cmd.h"
#include "util/buf.h"

#define IMPORT_CHUNK_KEYS	64		/* keys per unit of parallel work */
#define IMPORT_CHUNK_BYTES	(512u * 1024)	/* or fewer, if they are large */
#define IMPORT_READ_SIZE	(1u << 20)	/* one read(2) */
#define IMPORT_SLOTS_PER_JOB	8	/* chunks in flight per worker: lets the
					 * workers run a batch ahead of the writer */
#define IMPORT_MAX_JOBS		64
#define IMPORT_BATCH_BYTES	(4u << 20)	/* flush a batch at this many key
						 * octets: a batch is held some 3
						 * times over (keys, merged keys,
						 * blobs; the statements stream) */
#define IMPORT_EAGER_KEYS	64	/* write a batch of at least this many
					 * keys early when no chunk is ready */
#define IMPORT_PROGRESS_NS	500000000L	/* redraw the progress line */

enum slot_state { SLOT_FREE, SLOT_FILLED, SLOT_WORKING, SLOT_DONE };

struct slot {
	enum slot_state state;
	uint8_t *data;		/* whole keys, binary (reader -> worker) */
	size_t len;
	char *note;		/* reader's message at this point, or NULL */
	uint64_t in_pos;	/* input octets read when the chunk was cut */
	struct pgp_key **keys;	/* accepted keys, in order (worker -> writer) */
	size_t nkeys;
	struct buf report;	/* "Key FPR: reason" lines of refused keys */
	struct buf notes;	/* "Key FPR: dropped: ..." (verbose only) */
	unsigned nrejected;
	unsigned nknown;	/* accepted keys the store holds whole already:
				 * counted unchanged, never merged */
	struct pgp_vstats vstats;	/* public-key operations of the chunk */
	char *store_err;	/* the worker's store failed (owned): stop */
};

struct imp {
	struct cmd_ctx ctx;		/* a copy: the threads may outlive the
					 * caller's frame on a store failure */
	struct cmd_import_opts o;
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* any slot or counter change */
	struct slot *slots;
	size_t nslots;
	uint64_t next_fill, next_work, next_write;
	bool reader_done;
	bool abort;
	/* reader's own */
	uint64_t in_read;		/* octets read from all inputs */
	bool noinput, ioerr;
};

/* The reader thread (import_read.c): reads every input of im->o, hands
 * chunks and notes to the workers through the ring, then sets
 * im->reader_done. */
void *import_reader_main(void *arg);

#endif
