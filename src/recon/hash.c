/*
 * recon/hash.c - the session hashes of reconciliation (spec 5.3): SipHash-2-4
 * (Aumasson and Bernstein, 2012) keyed with the session's salt, and the
 * walk that gives the cells an element lies in (spec 6.2: splitmix64 and
 * exact integer arithmetic, so that two implementations agree).
 *
 * Pure functions on fixed-size inputs; nothing is allocated.
 */
#include <math.h>
#include <string.h>

#include "recon/recon.h"

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

void
recon_hasher_init(struct recon_hasher *h, const uint8_t salt[16])
{
	h->k0 = le64(salt);
	h->k1 = le64(salt + 8);
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

uint64_t
recon_siphash(const struct recon_hasher *h, const void *msg, size_t len)
{
	const uint8_t *p = msg;
	uint64_t v0 = h->k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = h->k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = h->k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = h->k1 ^ 0x7465646279746573ULL;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (; left > 0; left--)
		b |= (uint64_t)p[i + left - 1] << (8 * (left - 1));
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
recon_id(const struct recon_hasher *h, const uint8_t digest[32])
{
	return recon_siphash(h, digest, RECON_DIGEST_LEN);
}

/* SipHash(salt, LE64(id) || tag), a 9-octet message. */
static uint64_t
tagged(const struct recon_hasher *h, uint64_t id, uint8_t tag)
{
	uint8_t m[9];
	int i;

	for (i = 0; i < 8; i++)
		m[i] = (uint8_t)(id >> (8 * i));
	m[8] = tag;
	return recon_siphash(h, m, sizeof(m));
}

uint32_t
recon_chk(const struct recon_hasher *h, uint64_t id)
{
	return (uint32_t)tagged(h, id, 1);
}

uint64_t
recon_tow1(const struct recon_hasher *h, uint64_t id)
{
	return tagged(h, id, 2);
}

uint64_t
recon_tow2(const struct recon_hasher *h, uint64_t id)
{
	return tagged(h, id, 3);
}

uint64_t
recon_splitmix64(uint64_t *state)
{
	uint64_t z;

	*state += 0x9e3779b97f4a7c15ULL;
	z = *state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* floor(sqrt(r)), exactly: the double's guess corrected both ways. */
static uint64_t
isqrt64(uint64_t r)
{
	uint64_t s = (uint64_t)sqrt((double)r);

	if (s > 0xffffffffULL)
		s = 0xffffffffULL;
	while (s * s > r)
		s--;
	while (s < 0xffffffffULL && (s + 1) * (s + 1) <= r)
		s++;
	return s;
}

uint64_t
recon_next_cell(struct recon_walk *w)
{
	uint64_t r = recon_splitmix64(&w->state);
	uint64_t s = isqrt64(r), num;

	if (s == 0)
		s = 1;
	/* (2j + 3)(2^32 - s) < 2^54 while j < 2^20: no overflow. */
	num = (2 * w->j + 3) * ((1ULL << 32) - s);
	w->j += (num + 2 * s - 1) / (2 * s);
	return w->j;
}
