/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext bitmap pool: the allocator of one registered range of the ext
 * back end (registry_ext.c), one bit per page-sized granule (set: in use).
 * On the allocation path and small: inline, included by registry_ext.c
 * only.
 *
 * Placement is first fit, as upstream's gen_pool_first_fit(): the lowest
 * run of free granules that is long enough. Upstream searches every
 * allocation from the start of the chunk, so in a pool whose low part is
 * cut into small holes every allocation bigger than a hole steps over all
 * of them. Here each size class k (runs of at least 2^k granules) keeps a
 * hint: no free run of 2^k or more granules starts below hint[k]. A search
 * for n granules (2^k <= n) starts there, so it returns the place first
 * fit would; a search for exactly 2^k granules raises hint[k] past what it
 * found and took. Freeing granule b can only create a run of 2^k or more
 * starting after b - 2^k (the free space before b was shorter than that,
 * or it was a run above the hint already), and none before b at all if
 * granule b - 1 is in use, so it lowers each hint to that.
 *
 * Granules are claimed and released without a lock, word by word with
 * cmpxchg(): an allocation sets a word's bits of the run only if none of
 * them is set, a free clears them only if all of them are. One that fails
 * on a later word gives back the words it changed: a search then searches
 * on from there, a free returns false and frees nothing. Unlike gen_pool,
 * nothing counts the free granules on the hot path: p2px_pool_used()
 * counts the bits when sysfs asks.
 *
 * Locking: none, any context. A free clears a word's bits only as it finds
 * them all set, so a double or wrong-size free cannot pass a check and
 * then clear granules an allocation took since, and of racing frees of an
 * allocated run exactly one succeeds (the one that clears its first word):
 * the caller drops the run's reference once. A free checks its whole run
 * before it writes, so a plainly wrong one (a granule of it free) changes
 * nothing; but a wrong free whose run a racing free changes under it can
 * clear granules of its first words for a moment before it sets them
 * again, and an allocation or a free racing with it can see them free
 * then. Correct callers never free the same granule twice, so among them
 * this cannot happen.
 *
 * Hints are read and written whole (READ_ONCE(), WRITE_ONCE()). A race
 * between a free lowering a hint and a search raising it can leave a hint
 * too high: a later search may then place memory above a hole first fit
 * would have used, and a search that finds nothing above its hint searches
 * the whole range again and resets the hint, so an allocation never fails
 * where first fit would succeed.
 * Without concurrent callers placement is exactly first fit (the
 * registry_test selftest alloc_first_fit checks it against a model).
 */
#ifndef P2PDMA_EXT_POOL_BITMAP_H
#define P2PDMA_EXT_POOL_BITMAP_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/mm.h>

/* Size classes of the hints: runs of 1 to 2^(N-1) granules and more. */
#define P2PX_POOL_CLASSES	32

/**
 * struct p2px_bitmap_pool - the allocator of one range
 * @map: one bit per granule, set while the granule is allocated
 * @nbits: granules in the range
 * @top: the largest size class searched for so far
 * @hint: per size class k, no free run of 2^k granules or more starts
 *	below this granule
 */
struct p2px_bitmap_pool {
	unsigned long *map;
	unsigned long nbits;
	unsigned int top;
	unsigned long hint[P2PX_POOL_CLASSES];
};

/**
 * p2px_pool_init() - an empty pool
 * @pool: the pool
 * @nbits: its granules
 *
 * Context: may sleep.
 * Return: 0, or -ENOMEM.
 */
static inline int p2px_pool_init(struct p2px_bitmap_pool *pool,
				 unsigned long nbits)
{
	memset(pool, 0, sizeof(*pool));
	pool->map = kvcalloc(BITS_TO_LONGS(nbits), sizeof(long), GFP_KERNEL);
	if (!pool->map)
		return -ENOMEM;
	pool->nbits = nbits;
	return 0;
}

/**
 * p2px_pool_used() - granules allocated now
 * @pool: the pool
 *
 * Return: their number, a snapshot.
 */
static inline unsigned long p2px_pool_used(struct p2px_bitmap_pool *pool)
{
	return bitmap_weight(pool->map, pool->nbits);
}

/**
 * p2px_pool_destroy() - free a pool's bitmap
 * @pool: the pool; nothing may be allocated from it any more
 */
static inline void p2px_pool_destroy(struct p2px_bitmap_pool *pool)
{
	WARN_ON_ONCE(p2px_pool_used(pool));
	kvfree(pool->map);
	pool->map = NULL;
}

/* Set @mask in *@word if none of it is set; false if some of it was. */
static __always_inline bool p2px_word_claim(unsigned long *word,
					    unsigned long mask)
{
	unsigned long old = READ_ONCE(*word), cur;

	for (;;) {
		if (old & mask)
			return false;
		cur = cmpxchg(word, old, old | mask);
		if (cur == old)
			return true;
		old = cur;
	}
}

/* Clear @mask in *@word if all of it is set; false if some of it was not. */
static __always_inline bool p2px_word_release(unsigned long *word,
					      unsigned long mask)
{
	unsigned long old = READ_ONCE(*word), cur;

	for (;;) {
		if ((old & mask) != mask)
			return false;
		cur = cmpxchg(word, old, old & ~mask);
		if (cur == old)
			return true;
		old = cur;
	}
}

/* Set (@set) or clear @mask in *@word, whatever it holds: to undo. */
static __always_inline void p2px_word_undo(unsigned long *word,
					   unsigned long mask, bool set)
{
	unsigned long old = READ_ONCE(*word), cur;

	for (;;) {
		cur = cmpxchg(word, old, set ? old | mask : old & ~mask);
		if (cur == old)
			return;
		old = cur;
	}
}

/* The bits of word @w of a map that lie in [@first, @end); @end > @first. */
static __always_inline unsigned long p2px_word_mask(unsigned long w,
						    unsigned long first,
						    unsigned long end)
{
	unsigned long mask = ~0UL;

	if (w == BIT_WORD(first))
		mask &= BITMAP_FIRST_WORD_MASK(first);
	if (w == BIT_WORD(end - 1))
		mask &= BITMAP_LAST_WORD_MASK(end);
	return mask;
}

/* Set (@set) or clear bits [@first, @first + @nr) of @map; @nr > 0. */
static __always_inline void p2px_bits_undo(unsigned long *map,
					   unsigned long first,
					   unsigned long nr, bool set)
{
	unsigned long end = first + nr, w;

	for (w = BIT_WORD(first); w <= BIT_WORD(end - 1); w++)
		p2px_word_undo(map + w, p2px_word_mask(w, first, end), set);
}

/*
 * Set bits [@first, @first + @nr) of @map, all or none: false (and @map
 * as it was) if one of them was set already. @nr > 0.
 */
static __always_inline bool p2px_bits_claim(unsigned long *map,
					    unsigned long first,
					    unsigned long nr)
{
	unsigned long end = first + nr, w;

	for (w = BIT_WORD(first); w <= BIT_WORD(end - 1); w++) {
		if (p2px_word_claim(map + w, p2px_word_mask(w, first, end)))
			continue;
		/* Words before @w were claimed whole from @first on. */
		if (w > BIT_WORD(first))
			p2px_bits_undo(map, first, w * BITS_PER_LONG - first,
				       false);
		return false;
	}
	return true;
}

/*
 * Clear bits [@first, @first + @nr) of @map, all or none: false (and @map
 * as it was) if one of them was clear already. @nr > 0.
 */
static __always_inline bool p2px_bits_release(unsigned long *map,
					      unsigned long first,
					      unsigned long nr)
{
	unsigned long end = first + nr, w;

	for (w = BIT_WORD(first); w <= BIT_WORD(end - 1); w++) {
		if (p2px_word_release(map + w, p2px_word_mask(w, first, end)))
			continue;
		/* Words before @w were released whole from @first on. */
		if (w > BIT_WORD(first))
			p2px_bits_undo(map, first, w * BITS_PER_LONG - first,
				       true);
		return false;
	}
	return true;
}

/* Whether bits [@first, @first + @nr) of @map are all set; @nr > 0. */
static __always_inline bool p2px_bits_all_set(const unsigned long *map,
					      unsigned long first,
					      unsigned long nr)
{
	unsigned long end = first + nr, w, mask;

	for (w = BIT_WORD(first); w <= BIT_WORD(end - 1); w++) {
		mask = p2px_word_mask(w, first, end);
		if ((READ_ONCE(map[w]) & mask) != mask)
			return false;
	}
	return true;
}

/**
 * p2px_pool_alloc() - allocate a run of granules, first fit
 * @pool: the pool
 * @nr: granules wanted
 *
 * Context: any context (does not sleep).
 * Return: the first granule of the run, or @pool->nbits if no free run of
 * @nr granules is left (or @nr is 0).
 */
static __always_inline unsigned long
p2px_pool_alloc(struct p2px_bitmap_pool *pool, unsigned long nr)
{
	unsigned long size = pool->nbits, hint, idx;
	unsigned int k;

	if (unlikely(!nr || nr > size || nr > UINT_MAX))
		return size;
	k = min_t(unsigned int, fls_long(nr) - 1, P2PX_POOL_CLASSES - 1);
	hint = READ_ONCE(pool->hint[k]);
	idx = hint;
	for (;;) {
		idx = bitmap_find_next_zero_area(pool->map, size, idx, nr, 0);
		if (unlikely(idx >= size)) {
			if (!hint)
				return size;
			/* Nothing above the hint: it may be stale (see above). */
			hint = 0;
			idx = 0;
			WRITE_ONCE(pool->hint[k], 0);
			continue;
		}
		if (likely(p2px_bits_claim(pool->map, idx, nr)))
			break;
		/* A racing allocation took part of the run: search on. */
	}
	if (unlikely(k > READ_ONCE(pool->top)))
		WRITE_ONCE(pool->top, k);
	if (nr == 1UL << k)
		WRITE_ONCE(pool->hint[k], idx + nr);
	return idx;
}

/**
 * p2px_pool_free() - give a run of granules back
 * @pool: the pool
 * @first: the run's first granule, as p2px_pool_alloc() returned it
 * @nr: its granules, as given to p2px_pool_alloc()
 *
 * Context: any context (does not sleep).
 * Return: true, or false (and nothing freed) if some granule of the run
 * was not allocated (a double free, or a size that does not match). Of
 * racing frees of one run only one returns true.
 */
static __always_inline bool p2px_pool_free(struct p2px_bitmap_pool *pool,
					   unsigned long first,
					   unsigned long nr)
{
	unsigned int k, top;
	unsigned long low;
	bool joins;

	if (unlikely(!nr || first >= pool->nbits ||
		     nr > pool->nbits - first ||
		     !p2px_bits_all_set(pool->map, first, nr) ||
		     !p2px_bits_release(pool->map, first, nr)))
		return false;
	/* A run can only start before @first if the granule before is free. */
	joins = first && !test_bit(first - 1, pool->map);
	top = min_t(unsigned int, READ_ONCE(pool->top), P2PX_POOL_CLASSES - 1);
	for (k = 0; k <= top; k++) {
		low = !joins ? first : first >= BIT(k) ? first - BIT(k) + 1 : 0;
		if (READ_ONCE(pool->hint[k]) > low)
			WRITE_ONCE(pool->hint[k], low);
	}
	return true;
}

#endif /* P2PDMA_EXT_POOL_BITMAP_H */
