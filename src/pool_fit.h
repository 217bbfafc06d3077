/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext pool search: first fit with per-size lower bounds, for the
 * ext back end's gen_pool chunks (one chunk per registered range). Small
 * and on the allocation path: inline, included by registry_ext.c only.
 *
 * Upstream's pool searches every allocation from the start of the chunk
 * (gen_pool_first_fit()): in a pool whose low part is cut into small
 * holes, every allocation bigger than a hole steps over all of them. Here
 * each size class k (runs of at least 2^k granules) keeps a hint: no free
 * run of 2^k or more granules starts below hint[k]. A search for n
 * granules (2^k <= n) starts there, so it returns the same place first
 * fit would; a search for exactly 2^k granules raises hint[k] past what it
 * found and took. Freeing granule b can only create a run of 2^k or more
 * starting after b - 2^k (the free space before b was shorter than that,
 * or it was a run above the hint already), and none before b at all if
 * granule b - 1 is in use, so it lowers each hint to that.
 *
 * Locking: none. Hints are read and written whole (READ_ONCE(),
 * WRITE_ONCE()); gen_pool itself allocates without locks. A race between
 * a free lowering a hint and a search raising it can leave a hint too
 * high: a later search may then place memory above a hole first fit would
 * have used, and a search that finds nothing above its hint searches the
 * whole chunk again and resets the hint, so an allocation never fails
 * where first fit would succeed.
 */
#ifndef P2PDMA_EXT_POOL_FIT_H
#define P2PDMA_EXT_POOL_FIT_H

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/kernel.h>

/* Size classes of struct p2px_fit: runs of 1 to 2^(N-1) granules. */
#define P2PX_FIT_CLASSES	32

/**
 * struct p2px_fit - search hints of one pool chunk
 * @hint: per size class k, no free run of 2^k granules or more starts
 *	below this granule
 * @map: the chunk's bitmap, as the last search saw it (NULL before)
 * @top: the largest class searched for so far
 */
struct p2px_fit {
	unsigned long hint[P2PX_FIT_CLASSES];
	unsigned long *map;
	unsigned int top;
};

/**
 * p2px_fit_init() - hints of an empty chunk
 * @fit: the chunk's hints
 */
static inline void p2px_fit_init(struct p2px_fit *fit)
{
	unsigned int k;

	for (k = 0; k < P2PX_FIT_CLASSES; k++)
		WRITE_ONCE(fit->hint[k], 0);
	WRITE_ONCE(fit->map, NULL);
	WRITE_ONCE(fit->top, 0);
}

/**
 * p2px_fit_search() - first fit for @nr granules in a chunk's bitmap
 * @fit: the chunk's hints
 * @map: the chunk's bitmap (bit set: granule in use)
 * @size: granules in the chunk
 * @start: where the caller wants the search to start (gen_pool passes 0,
 *	or the place a racing allocation took on a retry)
 * @nr: granules wanted
 *
 * Return: the first granule of the run found, or a value >= @size if
 * there is none (as bitmap_find_next_zero_area()).
 */
static inline unsigned long p2px_fit_search(struct p2px_fit *fit,
					    unsigned long *map,
					    unsigned long size,
					    unsigned long start,
					    unsigned int nr)
{
	unsigned int k = nr ? fls(nr) - 1 : 0;
	unsigned long from, idx;

	if (!nr || k >= P2PX_FIT_CLASSES)
		return bitmap_find_next_zero_area(map, size, start, nr, 0);
	from = max(start, READ_ONCE(fit->hint[k]));
	idx = bitmap_find_next_zero_area(map, size, from, nr, 0);
	if (idx >= size && from > start) {
		/* Nothing above the hint: it may be stale (see above). */
		WRITE_ONCE(fit->hint[k], start);
		idx = bitmap_find_next_zero_area(map, size, start, nr, 0);
	}
	if (k > READ_ONCE(fit->top))
		WRITE_ONCE(fit->top, k);
	if (READ_ONCE(fit->map) != map)
		WRITE_ONCE(fit->map, map);
	/* On a retry @start was not searched from the hint: leave it. */
	if (idx < size && !start && nr == 1U << k)
		WRITE_ONCE(fit->hint[k], idx + nr);
	return idx;
}

/**
 * p2px_fit_freed() - granules were given back to the chunk
 * @fit: the chunk's hints
 * @first: the first granule freed
 */
static inline void p2px_fit_freed(struct p2px_fit *fit, unsigned long first)
{
	unsigned int k, top = READ_ONCE(fit->top);
	unsigned long *map = READ_ONCE(fit->map);
	unsigned long low;
	bool joins;

	/* A run can only start before @first if the granule before is free. */
	joins = first && !(map && test_bit(first - 1, map));
	for (k = 0; k <= top && k < P2PX_FIT_CLASSES; k++) {
		low = !joins ? first : first >= BIT(k) ? first - BIT(k) + 1 : 0;
		if (READ_ONCE(fit->hint[k]) > low)
			WRITE_ONCE(fit->hint[k], low);
	}
}

#endif /* P2PDMA_EXT_POOL_FIT_H */
