/* bitmap.h - a sparse bitmap over the offsets 0..last of an address pool.
 * Bits live in 4096-bit chunks that are allocated when their first bit is
 * set and freed when their last bit is cleared, so memory grows with the
 * number of set bits, not with last (which may be UINT64_MAX for an IPv6
 * /64).  Internal to ipam/. */
#ifndef BERTH_IPAM_BITMAP_H
#define BERTH_IPAM_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bitmap;

/* A bitmap of bits 0..last, all clear.  Caller frees with bitmap_free. */
struct bitmap *bitmap_new(uint64_t last);
void bitmap_free(struct bitmap *b);

uint64_t bitmap_last(const struct bitmap *b);
/* Number of set bits. */
uint64_t bitmap_count(const struct bitmap *b);
/* Number of chunks allocated (memory is about 520 bytes per chunk). */
size_t bitmap_n_chunks(const struct bitmap *b);

/* i must be <= last. */
bool bitmap_test(const struct bitmap *b, uint64_t i);
/* Set bit i; false when it was set already. */
bool bitmap_set(struct bitmap *b, uint64_t i);
/* Clear bit i; false when it was clear already. */
bool bitmap_clear(struct bitmap *b, uint64_t i);

/* The first clear bit in [from, hi], else in [lo, from): a search that
 * wraps around.  lo <= hi <= last; from is clamped into [lo, hi].  -ENOSPC
 * when every bit of [lo, hi] is set. */
int bitmap_find_clear(const struct bitmap *b, uint64_t lo, uint64_t hi, uint64_t from,
		      uint64_t *ret);
/* The first run of set bits at or after from: [*ret_first, *ret_last].
 * -ENOENT when no bit at or after from is set. */
int bitmap_next_run(const struct bitmap *b, uint64_t from, uint64_t *ret_first, uint64_t *ret_last);

#endif
