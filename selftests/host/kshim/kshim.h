/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The little of the kernel that src/pool_bitmap.h and src/topology_core.c
 * use, in user space, for the host tests: their <linux/...> includes
 * resolve to this directory.
 * Atomics are GCC's __atomic builtins, cmpxchg() fully ordered as the
 * kernel's; READ_ONCE()/WRITE_ONCE() are relaxed atomic accesses, so the
 * lock-free code is race-free to ThreadSanitizer too.
 */
#ifndef P2PDMA_EXT_KSHIM_H
#define P2PDMA_EXT_KSHIM_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef __always_inline		/* glibc's <sys/cdefs.h> has it */
#define __always_inline		inline
#endif
#ifndef ARRAY_SIZE		/* kselftest.h has it too */
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#define __printf(a, b)		/* the kernel build checks the formats */
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* The kernel's cmpxchg(): returns the old value, fully ordered. */
#define cmpxchg(ptr, old, new) ({					\
	__auto_type __p = (ptr);					\
	__typeof__(*__p) __old = (old);					\
	__atomic_compare_exchange_n(__p, &__old, (new), false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	__old;								\
})

#define min_t(type, a, b) ({						\
	type __a = (a), __b = (b);					\
	__a < __b ? __a : __b;						\
})
#define WARN_ON_ONCE(cond) ({						\
	bool __c = (cond);						\
	if (__c)							\
		fprintf(stderr, "WARNING: %s:%d: %s\n",			\
			__FILE__, __LINE__, #cond);			\
	__c;								\
})

#define GFP_KERNEL		0
#define kvcalloc(n, size, gfp)	((void)(gfp), calloc((n), (size)))
#define kvfree(p)		free(p)

#define BITS_PER_LONG		((int)(sizeof(long) * CHAR_BIT))
#define BIT(nr)			(1UL << (nr))
#define BIT_WORD(nr)		((nr) / BITS_PER_LONG)
#define BITS_TO_LONGS(nr)	(((nr) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define BITMAP_FIRST_WORD_MASK(start) (~0UL << ((start) & (BITS_PER_LONG - 1)))
#define BITMAP_LAST_WORD_MASK(nbits) (~0UL >> (-(nbits) & (BITS_PER_LONG - 1)))

static inline unsigned int fls_long(unsigned long x)
{
	return x ? BITS_PER_LONG - __builtin_clzl(x) : 0;
}

static inline bool test_bit(unsigned long nr, const unsigned long *map)
{
	return READ_ONCE(map[BIT_WORD(nr)]) & BIT(nr % BITS_PER_LONG);
}

static inline unsigned long bitmap_weight(const unsigned long *map,
					  unsigned long nbits)
{
	unsigned long w, n = 0;

	for (w = 0; w < BITS_TO_LONGS(nbits); w++)
		n += __builtin_popcountl(READ_ONCE(map[w]) &
			(w == BIT_WORD(nbits - 1) ?
			 BITMAP_LAST_WORD_MASK(nbits) : ~0UL));
	return n;
}

/* The first bit of @map in [@start, @size) that is @set, or @size. */
static inline unsigned long kshim_find_next(const unsigned long *map,
					    unsigned long size,
					    unsigned long start, bool set)
{
	unsigned long word;

	while (start < size) {
		word = READ_ONCE(map[BIT_WORD(start)]);
		word = (set ? word : ~word) & BITMAP_FIRST_WORD_MASK(start);
		if (word) {
			start = start - start % BITS_PER_LONG +
				__builtin_ctzl(word);
			return start < size ? start : size;
		}
		start = start - start % BITS_PER_LONG + BITS_PER_LONG;
	}
	return size;
}

/* As lib/bitmap.c's, without alignment. */
static inline unsigned long
bitmap_find_next_zero_area(unsigned long *map, unsigned long size,
			   unsigned long start, unsigned int nr,
			   unsigned long align_mask)
{
	unsigned long index, end, i;

	(void)align_mask;
	for (;;) {
		index = kshim_find_next(map, size, start, false);
		end = index + nr;
		if (end > size)
			return end;
		i = kshim_find_next(map, end, index, true);
		if (i >= end)
			return index;
		start = i + 1;
	}
}

#endif /* P2PDMA_EXT_KSHIM_H */
