/* bitmap.c - the sparse bitmap behind each address pool (see bitmap.h).
 * Chunks of 4096 bits sit in an array sorted by chunk index; a lookup is a
 * binary search, a full chunk is skipped by its count without reading its
 * words.  Called by ipam/pool.c only. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "core/util.h"
#include "ipam/bitmap.h"

#define BITMAP_CHUNK_SHIFT 12
#define BITMAP_CHUNK_BITS  (1u << BITMAP_CHUNK_SHIFT)
#define BITMAP_CHUNK_MASK  (BITMAP_CHUNK_BITS - 1)
#define BITMAP_WORDS	   (BITMAP_CHUNK_BITS / 64)

struct bitmap_chunk {
	uint64_t idx;	/* covers bits idx * 4096 .. idx * 4096 + 4095 */
	unsigned count; /* set bits; a chunk with none is freed */
	uint64_t w[BITMAP_WORDS];
};

struct bitmap {
	uint64_t last;
	uint64_t count;
	struct bitmap_chunk **chunks; /* sorted by idx */
	size_t n, cap;
};

struct bitmap *bitmap_new(uint64_t last)
{
	struct bitmap *b = xcalloc(1, sizeof(*b));

	b->last = last;
	return b;
}

void bitmap_free(struct bitmap *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->chunks[i]);
	free(b->chunks);
	free(b);
}

uint64_t bitmap_last(const struct bitmap *b)
{
	return b->last;
}

uint64_t bitmap_count(const struct bitmap *b)
{
	return b->count;
}

size_t bitmap_n_chunks(const struct bitmap *b)
{
	return b->n;
}

/* Position of the first chunk whose index is >= idx. */
static size_t bitmap_lower_bound(const struct bitmap *b, uint64_t idx)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->chunks[mid]->idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The chunk holding bit i, or NULL; *ret_pos gets its (insert) position. */
static struct bitmap_chunk *bitmap_chunk_find(const struct bitmap *b, uint64_t i, size_t *ret_pos)
{
	uint64_t idx = i >> BITMAP_CHUNK_SHIFT;
	size_t pos = bitmap_lower_bound(b, idx);

	if (ret_pos)
		*ret_pos = pos;
	return pos < b->n && b->chunks[pos]->idx == idx ? b->chunks[pos] : NULL;
}

static uint64_t bitmap_bit(uint64_t i)
{
	return UINT64_C(1) << (i & 63);
}

bool bitmap_test(const struct bitmap *b, uint64_t i)
{
	const struct bitmap_chunk *c = bitmap_chunk_find(b, i, NULL);

	assert(i <= b->last);
	return c && (c->w[(i & BITMAP_CHUNK_MASK) / 64] & bitmap_bit(i));
}

/* Insert a new empty chunk for bit i at position pos. */
static struct bitmap_chunk *bitmap_chunk_add(struct bitmap *b, uint64_t i, size_t pos)
{
	struct bitmap_chunk *c = xcalloc(1, sizeof(*c));

	c->idx = i >> BITMAP_CHUNK_SHIFT;
	xgrow(&b->chunks, &b->cap, b->n + 1, sizeof(*b->chunks));
	memmove(&b->chunks[pos + 1], &b->chunks[pos], (b->n - pos) * sizeof(*b->chunks));
	b->chunks[pos] = c;
	b->n++;
	return c;
}

bool bitmap_set(struct bitmap *b, uint64_t i)
{
	size_t pos;
	struct bitmap_chunk *c = bitmap_chunk_find(b, i, &pos);
	uint64_t *w;

	assert(i <= b->last);
	if (!c)
		c = bitmap_chunk_add(b, i, pos);
	w = &c->w[(i & BITMAP_CHUNK_MASK) / 64];
	if (*w & bitmap_bit(i))
		return false;
	*w |= bitmap_bit(i);
	c->count++;
	b->count++;
	return true;
}

bool bitmap_clear(struct bitmap *b, uint64_t i)
{
	size_t pos;
	struct bitmap_chunk *c = bitmap_chunk_find(b, i, &pos);
	uint64_t *w;

	assert(i <= b->last);
	if (!c)
		return false;
	w = &c->w[(i & BITMAP_CHUNK_MASK) / 64];
	if (!(*w & bitmap_bit(i)))
		return false;
	*w &= ~bitmap_bit(i);
	b->count--;
	if (--c->count == 0) {
		free(c);
		memmove(&b->chunks[pos], &b->chunks[pos + 1],
			(b->n - pos - 1) * sizeof(*b->chunks));
		b->n--;
	}
	return true;
}

/* First bit in [from, to] (chunk-relative) of c whose value is want. */
static bool bitmap_chunk_scan(const struct bitmap_chunk *c, unsigned from, unsigned to, bool want,
			      unsigned *ret)
{
	if (!want && c->count == BITMAP_CHUNK_BITS)
		return false;
	for (unsigned k = from / 64; k <= to / 64; k++) {
		uint64_t w = want ? c->w[k] : ~c->w[k];

		if (k == from / 64)
			w &= ~UINT64_C(0) << (from & 63);
		if (w) {
			unsigned bit = k * 64 + (unsigned)__builtin_ctzll(w);

			if (bit > to)
				return false;
			*ret = bit;
			return true;
		}
	}
	return false;
}

/* The first clear bit in [lo, hi], without wrapping. */
static int bitmap_find_clear_in(const struct bitmap *b, uint64_t lo, uint64_t hi, uint64_t *ret)
{
	size_t pos = bitmap_lower_bound(b, lo >> BITMAP_CHUNK_SHIFT);
	uint64_t i = lo;

	for (;;) {
		uint64_t idx = i >> BITMAP_CHUNK_SHIFT;
		uint64_t end = idx << BITMAP_CHUNK_SHIFT | BITMAP_CHUNK_MASK;
		const struct bitmap_chunk *c;
		unsigned bit;

		if (pos == b->n || b->chunks[pos]->idx != idx) {
			*ret = i; /* no chunk: every bit of it is clear */
			return 0;
		}
		c = b->chunks[pos];
		if (end > hi)
			end = hi;
		if (bitmap_chunk_scan(c, i & BITMAP_CHUNK_MASK, end & BITMAP_CHUNK_MASK, false,
				      &bit)) {
			*ret = idx << BITMAP_CHUNK_SHIFT | bit;
			return 0;
		}
		if (end == hi)
			return -ENOSPC;
		i = end + 1;
		pos++;
	}
}

int bitmap_find_clear(const struct bitmap *b, uint64_t lo, uint64_t hi, uint64_t from,
		      uint64_t *ret)
{
	int r;

	assert(lo <= hi && hi <= b->last);
	if (from < lo || from > hi)
		from = lo;
	r = bitmap_find_clear_in(b, from, hi, ret);
	if (r == -ENOSPC && from > lo)
		r = bitmap_find_clear_in(b, lo, from - 1, ret);
	return r;
}

/* The first set bit at or after from. */
static int bitmap_next_set(const struct bitmap *b, uint64_t from, uint64_t *ret)
{
	uint64_t idx = from >> BITMAP_CHUNK_SHIFT;

	for (size_t pos = bitmap_lower_bound(b, idx); pos < b->n; pos++) {
		const struct bitmap_chunk *c = b->chunks[pos];
		unsigned start = c->idx == idx ? (unsigned)(from & BITMAP_CHUNK_MASK) : 0;
		unsigned bit;

		if (bitmap_chunk_scan(c, start, BITMAP_CHUNK_MASK, true, &bit)) {
			*ret = c->idx << BITMAP_CHUNK_SHIFT | bit;
			return 0;
		}
	}
	return -ENOENT;
}

int bitmap_next_run(const struct bitmap *b, uint64_t from, uint64_t *ret_first, uint64_t *ret_last)
{
	uint64_t first, clear;
	int r;

	if (from > b->last)
		return -ENOENT;
	r = bitmap_next_set(b, from, &first);
	if (r < 0)
		return r;
	r = bitmap_find_clear_in(b, first, b->last, &clear);
	*ret_first = first;
	*ret_last = r < 0 ? b->last : clear - 1;
	return 0;
}
