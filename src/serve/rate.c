/*
 * serve/rate.c - see rate.h.
 *
 * Layout of the mapping: the header (mutex, seed, list heads), then
 * 2 x capacity hash buckets, then capacity entries. Entries are chained
 * per bucket (next) and kept on one LRU list (newer/older, newest
 * first); free entries sit on the free list (next). Bucket heads, next
 * links and the free list head hold an entry index + 1, 0 for none; the
 * LRU links hold an index, NIL for none.
 * Indexes, not pointers: the mapping may sit at another address in a
 * process that maps it again (it never does today, but indexes cost
 * nothing and stay valid).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "serve/rate.h"

#define NIL UINT32_MAX

struct rate_entry {
	uint8_t key[CLIENT_KEY_LEN];
	uint32_t next;			/* bucket chain, or free list (index + 1) */
	uint32_t newer, older;		/* LRU list */
	uint64_t tat[RATE_NKINDS];	/* GCRA theoretical arrival time */
	uint64_t last_seen;
	uint64_t last_logged;
	bool logged;
};

struct rate_table {
	pthread_mutex_t mu;
	size_t map_len;
	uint32_t capacity;
	uint32_t nbuckets;
	uint64_t seed;
	uint32_t newest, oldest;	/* LRU ends (index, NIL) */
	uint32_t free_head;		/* index + 1, 0: none */
	uint32_t count;
	/* followed by uint32_t buckets[nbuckets]; struct rate_entry e[capacity] */
};

static uint32_t *
buckets(struct rate_table *t)
{
	return (uint32_t *)(void *)(t + 1);
}

static struct rate_entry *
entries(struct rate_table *t)
{
	uintptr_t p = (uintptr_t)(buckets(t) + t->nbuckets);

	p = (p + 15) & ~(uintptr_t)15;
	return (struct rate_entry *)p;
}

static uint32_t
hash(const struct rate_table *t, const uint8_t *key)
{
	uint64_t h = 1469598103934665603ull ^ t->seed;
	size_t i;

	for (i = 0; i < CLIENT_KEY_LEN; i++) {
		h ^= key[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 29;
	return (uint32_t)(h % t->nbuckets);
}

/* Forget everything: at creation, and after a worker died holding the lock. */
static void
clear(struct rate_table *t)
{
	struct rate_entry *e = entries(t);
	uint32_t i;

	memset(buckets(t), 0, t->nbuckets * sizeof(uint32_t));
	memset(e, 0, t->capacity * sizeof(*e));
	for (i = 0; i < t->capacity; i++)
		e[i].next = i + 1 < t->capacity ? i + 2 : 0;
	t->free_head = t->capacity ? 1 : 0;
	t->newest = t->oldest = NIL;
	t->count = 0;
}

struct rate_table *
rate_table_create(size_t capacity)
{
	struct rate_table *t;
	pthread_mutexattr_t ma;
	size_t nb = capacity * 2 + 1, len;
	void *p;

	if (capacity == 0 || capacity >= NIL / 4) {
		errno = EINVAL;
		return NULL;
	}
	len = sizeof(*t) + nb * sizeof(uint32_t) + 16 + capacity * sizeof(struct rate_entry);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	t = p;
	t->map_len = len;
	t->capacity = (uint32_t)capacity;
	t->nbuckets = (uint32_t)nb;
	if (getrandom(&t->seed, sizeof(t->seed), 0) != (ssize_t)sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)p ^ 0x9e3779b97f4a7c15ull;
	if (pthread_mutexattr_init(&ma) != 0 ||
	    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutex_init(&t->mu, &ma) != 0) {
		munmap(p, len);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutexattr_destroy(&ma);
	clear(t);
	return t;
}

void
rate_table_destroy(struct rate_table *t)
{
	if (t != NULL)
		munmap(t, t->map_len);
}

static void
lock(struct rate_table *t)
{
	int rc = pthread_mutex_lock(&t->mu);

	if (rc == EOWNERDEAD) {
		/* Its owner died mid-update: the lists may be half changed. */
		clear(t);
		pthread_mutex_consistent(&t->mu);
	}
}

static void
lru_unlink(struct rate_table *t, uint32_t i)
{
	struct rate_entry *e = entries(t);

	if (e[i].newer != NIL)
		e[e[i].newer].older = e[i].older;
	else
		t->newest = e[i].older;
	if (e[i].older != NIL)
		e[e[i].older].newer = e[i].newer;
	else
		t->oldest = e[i].newer;
}

static void
lru_push(struct rate_table *t, uint32_t i)
{
	struct rate_entry *e = entries(t);

	e[i].newer = NIL;
	e[i].older = t->newest;
	if (t->newest != NIL)
		e[t->newest].newer = i;
	t->newest = i;
	if (t->oldest == NIL)
		t->oldest = i;
}

static void
bucket_unlink(struct rate_table *t, uint32_t i)
{
	struct rate_entry *e = entries(t);
	uint32_t *b = &buckets(t)[hash(t, e[i].key)];

	while (*b != 0 && *b != i + 1)
		b = &e[*b - 1].next;
	if (*b != 0)
		*b = e[i].next;
}

/* The entry of key, made (evicting the least recently seen) if needed. */
static uint32_t
find(struct rate_table *t, const uint8_t *key)
{
	struct rate_entry *e = entries(t);
	uint32_t h = hash(t, key), i;

	for (i = buckets(t)[h]; i != 0; i = e[i - 1].next)
		if (memcmp(e[i - 1].key, key, CLIENT_KEY_LEN) == 0) {
			lru_unlink(t, i - 1);
			lru_push(t, i - 1);
			return i - 1;
		}
	if (t->free_head != 0) {
		i = t->free_head - 1;
		t->free_head = e[i].next;
		t->count++;
	} else {
		i = t->oldest;
		lru_unlink(t, i);
		bucket_unlink(t, i);
	}
	memset(&e[i], 0, sizeof(e[i]));
	memcpy(e[i].key, key, CLIENT_KEY_LEN);
	e[i].next = buckets(t)[h];
	buckets(t)[h] = i + 1;
	lru_push(t, i);
	return i;
}

unsigned
rate_check(struct rate_table *t, const uint8_t key[CLIENT_KEY_LEN], enum rate_kind kind,
    size_t limit, uint64_t period_ms, uint64_t now_ms, bool *log_refusal)
{
	struct rate_entry *e;
	uint64_t interval, tau, tat, wait;
	unsigned rc = 0;
	uint32_t i;

	if (log_refusal)
		*log_refusal = false;
	if (limit == 0 || t == NULL)
		return 0;
	interval = period_ms / limit;
	if (interval == 0)
		interval = 1;
	tau = period_ms - interval;
	lock(t);
	i = find(t, key);
	e = &entries(t)[i];
	e->last_seen = now_ms;
	tat = e->tat[kind] > now_ms ? e->tat[kind] : now_ms;
	if (tat - now_ms > tau) {
		wait = tat - tau - now_ms;
		rc = (unsigned)((wait + 999) / 1000);
		if (rc == 0)
			rc = 1;
		if (!e->logged || now_ms - e->last_logged >= 60000) {
			e->logged = true;
			e->last_logged = now_ms;
			if (log_refusal)
				*log_refusal = true;
		}
	} else
		e->tat[kind] = tat + interval;
	pthread_mutex_unlock(&t->mu);
	return rc;
}

size_t
rate_table_count(struct rate_table *t)
{
	size_t n;

	lock(t);
	n = t->count;
	pthread_mutex_unlock(&t->mu);
	return n;
}
