/*
 * recon/riblt.c - the rateless invertible Bloom lookup table (spec 6,
 * after Yang, Gilad and Alizadeh, SIGCOMM 2024) and the tug-of-war
 * estimate of the difference (spec 7, after Alon, Matias and Szegedy).
 *
 * A set defines an endless sequence of cells; element x lies in cell i
 * with probability 2/(i+2). Two sets' prefixes XORed give their symmetric
 * difference's prefix, which recon_decode peels.
 *
 * Untrusted input: cells from a peer (recon_cells_get reads exactly the
 * octets the record parser has checked are there). The decoder's memory
 * is bounded by m, the prefix we asked for, never by anything the peer
 * claims: at most m ids come out, then it fails.
 * Memory: recon_set owns its arrays (recon_set_free); recon_decode
 * allocates O(m) scratch and frees it.
 */
#include <stdlib.h>
#include <string.h>

#include "recon/recon.h"
#include "util/xalloc.h"

void
recon_cells_add(struct recon_cell *cells, uint32_t lo, uint32_t hi,
    uint64_t id, uint32_t chk)
{
	struct recon_walk w;
	uint64_t j;

	recon_walk_start(&w, id);
	for (j = 0; j < hi; j = recon_next_cell(&w)) {
		if (j >= lo) {
			cells[j - lo].idsum ^= id;
			cells[j - lo].chksum ^= chk;
		}
	}
}

void
recon_cells_xor(struct recon_cell *a, const struct recon_cell *b, size_t m)
{
	size_t i;

	for (i = 0; i < m; i++) {
		a[i].idsum ^= b[i].idsum;
		a[i].chksum ^= b[i].chksum;
	}
}

void
recon_cells_put(uint8_t *wire, const struct recon_cell *cells, size_t m)
{
	size_t i;
	int k;

	for (i = 0; i < m; i++, wire += RECON_CELL_OCTETS) {
		for (k = 0; k < 8; k++)
			wire[k] = (uint8_t)(cells[i].idsum >> (56 - 8 * k));
		for (k = 0; k < 4; k++)
			wire[8 + k] = (uint8_t)(cells[i].chksum >> (24 - 8 * k));
	}
}

void
recon_cells_get(struct recon_cell *cells, const uint8_t *wire, size_t m)
{
	size_t i;
	int k;

	for (i = 0; i < m; i++, wire += RECON_CELL_OCTETS) {
		cells[i].idsum = 0;
		for (k = 0; k < 8; k++)
			cells[i].idsum = cells[i].idsum << 8 | wire[k];
		cells[i].chksum = 0;
		for (k = 0; k < 4; k++)
			cells[i].chksum = cells[i].chksum << 8 | wire[8 + k];
	}
}

/* ---- decoding ---------------------------------------------------------- */

/* Is cell i among the cells of id below m? */
static bool
lies_in(uint64_t id, uint32_t i)
{
	struct recon_walk w;
	uint64_t j;

	recon_walk_start(&w, id);
	for (j = 0; j < i; j = recon_next_cell(&w))
		;
	return j == i;
}

/* Open addressing over the recovered ids (0 is a valid id: a separate
 * flag says a slot is used). */
struct idset {
	uint64_t *v;
	uint8_t *used;
	size_t mask;
};

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

/* Adds id; false if it was there already. */
static bool
idset_add(struct idset *s, uint64_t id)
{
	size_t i = (size_t)mix(id) & s->mask;

	while (s->used[i]) {
		if (s->v[i] == id)
			return false;
		i = (i + 1) & s->mask;
	}
	s->used[i] = 1;
	s->v[i] = id;
	return true;
}

int
recon_decode(struct recon_cell *d, uint32_t m, const struct recon_hasher *h,
    uint64_t *ids, size_t *nids)
{
	struct idset set;
	uint32_t *stack, i;
	uint8_t *queued;
	size_t top = 0, n = 0, size = 4;
	struct recon_walk w;
	uint64_t j, v;
	uint32_t c;
	int rc = 0;

	*nids = 0;
	if (m == 0)
		return 0;
	while (size < 2 * (size_t)m)
		size *= 2;
	set.v = xcalloc(size, sizeof(*set.v));
	set.used = xcalloc(size, 1);
	set.mask = size - 1;
	stack = xcalloc(m, sizeof(*stack));
	queued = xcalloc(m, 1);
	/* Every index, 0 on top. */
	for (i = m; i-- > 0;) {
		stack[top++] = i;
		queued[i] = 1;
	}
	while (top > 0 && rc == 0) {
		i = stack[--top];
		queued[i] = 0;
		if (recon_cell_empty(&d[i]))
			continue;
		v = d[i].idsum;
		c = recon_chk(h, v);
		if (c != d[i].chksum || !lies_in(v, i))
			continue;		/* not pure */
		if (n == m || !idset_add(&set, v)) {
			rc = -1;		/* too many, or twice: corrupt */
			break;
		}
		ids[n++] = v;
		recon_walk_start(&w, v);
		for (j = 0; j < m; j = recon_next_cell(&w)) {
			d[j].idsum ^= v;
			d[j].chksum ^= c;
			if (!queued[j]) {
				queued[j] = 1;
				stack[top++] = (uint32_t)j;
			}
		}
	}
	for (i = 0; rc == 0 && i < m; i++)
		if (!recon_cell_empty(&d[i]))
			rc = -1;
	*nids = n;
	free(set.v);
	free(set.used);
	free(stack);
	free(queued);
	return rc;
}

/* ---- the tug-of-war estimate ------------------------------------------ */

void
recon_tow_add(int32_t c[RECON_TOW_K], uint64_t tow1, uint64_t tow2)
{
	int j;

	for (j = 0; j < 64; j++)
		c[j] += (int32_t)((tow1 >> j) & 1) * 2 - 1;
	for (j = 0; j < 64; j++)
		c[64 + j] += (int32_t)((tow2 >> j) & 1) * 2 - 1;
}

uint64_t
recon_tow_distance(const int32_t a[RECON_TOW_K], const int32_t b[RECON_TOW_K])
{
	unsigned __int128 sum = 0;
	int64_t diff;
	int j;

	for (j = 0; j < RECON_TOW_K; j++) {
		diff = (int64_t)a[j] - (int64_t)b[j];
		sum += (unsigned __int128)((__int128)diff * diff);
	}
	return sum > UINT64_MAX ? UINT64_MAX : (uint64_t)sum;
}

static uint64_t
absdiff(uint32_t a, uint32_t b)
{
	return a > b ? (uint64_t)a - b : (uint64_t)b - a;
}

static uint32_t
clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

uint32_t
recon_estimate(uint64_t distance, uint32_t na, uint32_t nb)
{
	uint64_t d = distance / RECON_TOW_K + (distance % RECON_TOW_K != 0);
	uint64_t dn = absdiff(na, nb);

	if (dn > d)
		d = dn;
	return clamp32(d > 0 ? d : 1);
}

uint32_t
recon_more_hi(bool first, uint32_t m, uint64_t distance, uint32_t na,
    uint32_t nb, uint32_t offer_max, uint32_t our_max)
{
	uint64_t hi, t;

	if (first) {
		/* ceil(1.9 max(S/128, |na - nb|, 1)), term by term:
		 * 1.9 S/128 = 19 S / 1280. */
		hi = 2;
		t = (uint64_t)(((unsigned __int128)distance * 19 + 1279) / 1280);
		if (t > hi)
			hi = t;
		t = (absdiff(na, nb) * 19 + 9) / 10;
		if (t > hi)
			hi = t;
		if (hi < 2 * (uint64_t)m)
			hi = 2 * (uint64_t)m;
	} else {
		hi = (3 * (uint64_t)m + 1) / 2;
	}
	if (hi > (uint64_t)m + RECON_CELLS_PER_RECORD)
		hi = (uint64_t)m + RECON_CELLS_PER_RECORD;
	if (hi > offer_max)
		hi = offer_max;
	if (hi > our_max)
		hi = our_max;
	if (hi > RECON_PREFIX_MAX)
		hi = RECON_PREFIX_MAX;
	return hi < m ? m : (uint32_t)hi;
}

/* ---- one side's set ------------------------------------------------- */

void
recon_set_init(struct recon_set *s, const uint8_t salt[16], uint32_t m,
    bool keep)
{
	memset(s, 0, sizeof(*s));
	recon_hasher_init(&s->h, salt);
	s->m = m;
	s->cells = m ? xcalloc(m, sizeof(*s->cells)) : NULL;
	s->keep = keep;
}

void
recon_set_add(struct recon_set *s, const uint8_t digest[32], int64_t tag)
{
	uint64_t id = recon_id(&s->h, digest);

	recon_tow_add(s->tow, recon_tow1(&s->h, id), recon_tow2(&s->h, id));
	if (s->m > 0)
		recon_cells_add(s->cells, 0, s->m, id, recon_chk(&s->h, id));
	if (s->keep) {
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 1024;
			s->elems = xreallocarray(s->elems, s->cap,
			    sizeof(*s->elems));
		}
		s->elems[s->n].id = id;
		s->elems[s->n].tag = tag;
		s->sorted = false;
	}
	s->n++;
}

static int
elem_cmp(const void *a, const void *b)
{
	const struct recon_elem *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int64_t
recon_set_find(struct recon_set *s, uint64_t id, bool *found)
{
	size_t lo = 0, hi, mid;

	*found = false;
	if (!s->keep || s->n == 0)
		return -1;
	if (!s->sorted) {
		qsort(s->elems, s->n, sizeof(*s->elems), elem_cmp);
		s->sorted = true;
	}
	hi = s->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->elems[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && s->elems[lo].id == id) {
		*found = true;
		return s->elems[lo].tag;
	}
	return -1;
}

void
recon_set_free(struct recon_set *s)
{
	free(s->cells);
	free(s->elems);
	memset(s, 0, sizeof(*s));
}
