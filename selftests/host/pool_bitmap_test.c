// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for src/pool_bitmap.h, the ext back end's lock-free
 * allocator, built in user space on a small shim of the kernel (kshim/):
 * frees that must be refused (double, wrong size), and bitmap_free_race,
 * where threads allocate, free, double free and wrong-size free runs of
 * one pool concurrently.
 */
#define _GNU_SOURCE		/* pthread_setaffinity_np() */
#include "kselftest_harness.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "pool_bitmap.h"

/* ------------------------------------------------------------------ */
/* Single-threaded                                                     */

TEST(bitmap_bad_free)
{
	struct p2px_bitmap_pool pool;
	unsigned long a, b, c, snap[4];

	ASSERT_EQ(0, p2px_pool_init(&pool, 256));
	a = p2px_pool_alloc(&pool, 10);
	b = p2px_pool_alloc(&pool, 100);
	c = p2px_pool_alloc(&pool, 64);
	ASSERT_EQ(0, a);
	ASSERT_EQ(10, b);
	ASSERT_EQ(110, c);
	ASSERT_EQ(174, p2px_pool_used(&pool));

	/* Nothing, or past the end of the pool. */
	EXPECT_FALSE(p2px_pool_free(&pool, a, 0));
	EXPECT_FALSE(p2px_pool_free(&pool, 256, 1));
	EXPECT_FALSE(p2px_pool_free(&pool, c, 256));
	/* Too big: granule 174 is free; too early: granule 255 is. */
	EXPECT_FALSE(p2px_pool_free(&pool, c, 65));
	EXPECT_FALSE(p2px_pool_free(&pool, 255, 1));
	EXPECT_EQ(174, p2px_pool_used(&pool));

	ASSERT_TRUE(p2px_pool_free(&pool, b, 100));
	EXPECT_EQ(74, p2px_pool_used(&pool));
	/* Twice, twice with another size, or a part of it. */
	EXPECT_FALSE(p2px_pool_free(&pool, b, 100));
	EXPECT_FALSE(p2px_pool_free(&pool, b, 1));
	EXPECT_FALSE(p2px_pool_free(&pool, b + 99, 1));
	EXPECT_FALSE(p2px_pool_free(&pool, b + 50, 50));
	/* Spanning a live run and the freed one, either way round. */
	EXPECT_FALSE(p2px_pool_free(&pool, a, 110));
	EXPECT_FALSE(p2px_pool_free(&pool, b, 164));
	EXPECT_EQ(74, p2px_pool_used(&pool));

	/*
	 * The release itself, past the free's first look: all set in word
	 * 1 (bits 110..127), not in word 2 (bit 174 is free). Word 1 is
	 * cleared, then set again.
	 */
	memcpy(snap, pool.map, sizeof(snap));
	EXPECT_FALSE(p2px_bits_release(pool.map, c, 65));
	EXPECT_EQ(0, memcmp(snap, pool.map, sizeof(snap)));
	EXPECT_FALSE(p2px_bits_release(pool.map, a, 110));
	EXPECT_EQ(0, memcmp(snap, pool.map, sizeof(snap)));

	/* Nothing was lost: first fit places as before, and all frees. */
	EXPECT_EQ(b, p2px_pool_alloc(&pool, 100));
	EXPECT_TRUE(p2px_pool_free(&pool, c, 64));
	EXPECT_FALSE(p2px_pool_free(&pool, c, 64));
	EXPECT_TRUE(p2px_pool_free(&pool, b, 100));
	EXPECT_TRUE(p2px_pool_free(&pool, a, 10));
	EXPECT_FALSE(p2px_pool_free(&pool, a, 10));
	EXPECT_EQ(0, p2px_pool_used(&pool));
	p2px_pool_destroy(&pool);
}

/* ------------------------------------------------------------------ */
/* bitmap_free_race                                                    */

/*
 * Rounds of three phases, between barriers: every thread allocates runs
 * (racing allocations; each tags its granules in a shadow array, and a
 * tag found there already is an allocation clobbered), then looks where
 * the first free granule past each run is, then the frees. The threads
 * come in pairs, on two CPUs, and both threads of a pair free every run
 * of the pair, meeting before each so that the two frees race: exactly
 * one may succeed. Before its free, the run's owner checks its tags and
 * tries a wrong-size free up to that free granule; after meeting at the
 * next run, both try a double free and wrong-size frees of the freed one.
 * Those must all be refused. No allocation runs in the free phase, so
 * which free must succeed does not depend on timing (a double free racing
 * with an allocation that took the same run again would rightly succeed):
 * the test cannot fail on a correct allocator, however it is scheduled.
 * How often two frees both succeed on a broken one does depend on it.
 */
#define RACE_NBITS	BIT(14)
#define RACE_THREADS	4		/* two pairs */
#define RACE_RUNS	16		/* per thread and round */
#define RACE_MAX_NR	300		/* granules; up to 6 words */
#define RACE_ROUNDS	2000
#define RACE_SECONDS	3

struct race_run {
	unsigned long first, nr, ext;	/* ext: a free granule past it */
	unsigned int owner;
	int meet, won;			/* threads arrived, frees that won */
};

struct race {
	struct p2px_bitmap_pool pool;
	unsigned char shadow[RACE_NBITS];	/* owner + 1, 0: free */
	struct race_run runs[RACE_THREADS][RACE_RUNS];
	unsigned int nruns[RACE_THREADS];
	pthread_barrier_t barrier;
	struct timespec start;
	bool stop;
	unsigned int rounds;
	/* errors */
	unsigned long clobbered, twice, lost, bad_ok, mismatch;
	/* counts */
	unsigned long allocs, frees, bad;
};

struct race_thread {
	struct race *r;
	unsigned int id;
	unsigned long long rng;
};

static unsigned long rnd(struct race_thread *t, unsigned long n)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng % n;
}

static void add(unsigned long *counter, unsigned long n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static double race_elapsed(const struct race *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - r->start.tv_sec +
	       (now.tv_nsec - r->start.tv_nsec) / 1e9;
}

static void race_alloc(struct race_thread *t)
{
	struct race *r = t->r;
	unsigned char tag = t->id + 1, none;
	struct race_run *run;
	unsigned long nr, idx, g;
	unsigned int i, n = 0;

	for (i = 0; i < RACE_RUNS; i++) {
		nr = 1 + rnd(t, RACE_MAX_NR);
		idx = p2px_pool_alloc(&r->pool, nr);
		if (idx >= RACE_NBITS)
			continue;	/* full for now */
		run = &r->runs[t->id][n++];
		*run = (struct race_run){ .first = idx, .nr = nr,
					  .owner = t->id };
		for (g = idx; g < idx + nr; g++) {
			none = 0;
			if (!__atomic_compare_exchange_n(&r->shadow[g], &none,
							 tag, false,
							 __ATOMIC_RELAXED,
							 __ATOMIC_RELAXED))
				add(&r->clobbered, 1);
		}
	}
	r->nruns[t->id] = n;
	add(&r->allocs, n);
}

/* Where the first free granule past each of the thread's runs is. */
static void race_plan(struct race_thread *t)
{
	struct race *r = t->r;
	struct race_run *run;
	unsigned int i;

	for (i = 0; i < r->nruns[t->id]; i++) {
		run = &r->runs[t->id][i];
		run->ext = run->first + run->nr;
		while (run->ext < RACE_NBITS && r->shadow[run->ext])
			run->ext++;
	}
}

static void race_bad_free(struct race_thread *t, unsigned long first,
			  unsigned long nr)
{
	add(&t->r->bad, 1);
	if (p2px_pool_free(&t->r->pool, first, nr))
		add(&t->r->bad_ok, 1);
}

/* Frees of a run that was freed already: all refused. */
static void race_stale(struct race_thread *t, const struct race_run *run)
{
	race_bad_free(t, run->first, run->nr);
	race_bad_free(t, run->first, run->nr + 1 + rnd(t, 64));
	if (run->nr > 1) {
		race_bad_free(t, run->first, run->nr - 1);
		race_bad_free(t, run->first + 1 + rnd(t, run->nr - 1), 1);
		race_bad_free(t, run->first + run->nr - 1, 1);
	}
}

/*
 * Wait for the other thread of the pair, so that their frees race; past
 * the time allowed, give up waiting (a loaded machine may run them far
 * apart): false then.
 */
static bool race_meet(const struct race *r, int *meet)
{
	unsigned int spins = 0;

	__atomic_fetch_add(meet, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(meet, __ATOMIC_ACQUIRE) < 2) {
		if (++spins % 256)
			continue;
		if (race_elapsed(r) > RACE_SECONDS)
			return false;
		sched_yield();
	}
	return true;
}

static void race_free(struct race_thread *t)
{
	struct race *r = t->r;
	unsigned int pair = t->id & ~1U, i, n, k;
	struct race_run *run, *prev = NULL;
	unsigned long g;
	bool mine, met;

	for (k = pair; k <= pair + 1; k++) {
		n = r->nruns[k];
		for (i = 0; i < n; i++) {
			run = &r->runs[k][i];
			mine = run->owner == t->id;
			if (mine) {
				for (g = run->first; g < run->first + run->nr; g++)
					if (r->shadow[g] != t->id + 1)
						add(&r->clobbered, 1);
				memset(&r->shadow[run->first], 0, run->nr);
				if (run->ext < RACE_NBITS)
					race_bad_free(t, run->first,
						      run->ext + 1 - run->first);
			}
			met = race_meet(r, &run->meet);
			if (p2px_pool_free(&r->pool, run->first, run->nr)) {
				__atomic_fetch_add(&run->won, 1,
						   __ATOMIC_RELAXED);
				add(&r->frees, 1);
			}
			/* If they met, both are past the free of @prev. */
			if (prev && met)
				race_stale(t, prev);
			prev = run;
		}
	}
	pthread_barrier_wait(&r->barrier);
	if (prev)
		race_stale(t, prev);
	/* Each thread counts its own runs. */
	for (i = 0; i < r->nruns[t->id]; i++) {
		run = &r->runs[t->id][i];
		if (run->won > 1)
			add(&r->twice, 1);
		else if (!run->won)
			add(&r->lost, 1);
	}
}

/*
 * The two threads of a pair on two different CPUs, if there are two: on
 * one, their frees would only race if one were preempted in the middle.
 */
static void race_pin(const struct race_thread *t)
{
	cpu_set_t allowed, one;
	unsigned int cpu, nth = t->id & 1;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) ||
	    CPU_COUNT(&allowed) < 2)
		return;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed) || nth--)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
		return;
	}
}

static void *race_thread(void *arg)
{
	struct race_thread *t = arg;
	struct race *r = t->r;

	race_pin(t);
	for (;;) {
		if (!t->id) {
			r->stop = r->rounds == RACE_ROUNDS ||
				  race_elapsed(r) > RACE_SECONDS;
			r->rounds += !r->stop;
		}
		pthread_barrier_wait(&r->barrier);
		if (r->stop)
			break;
		race_alloc(t);
		pthread_barrier_wait(&r->barrier);
		race_plan(t);
		if (!t->id) {
			unsigned long g, tagged = 0;

			for (g = 0; g < RACE_NBITS; g++)
				tagged += !!r->shadow[g];
			if (tagged != p2px_pool_used(&r->pool))
				r->mismatch++;
		}
		pthread_barrier_wait(&r->barrier);
		race_free(t);
		pthread_barrier_wait(&r->barrier);
	}
	return NULL;
}

TEST(bitmap_free_race)
{
	struct race_thread t[RACE_THREADS];
	pthread_t tid[RACE_THREADS];
	struct race *r;
	unsigned int i;

	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, p2px_pool_init(&r->pool, RACE_NBITS));
	ASSERT_EQ(0, pthread_barrier_init(&r->barrier, NULL, RACE_THREADS));
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	for (i = 0; i < RACE_THREADS; i++) {
		t[i] = (struct race_thread){ .r = r, .id = i,
					     .rng = 0x9e3779b97f4a7c15ULL * (i + 1) };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, race_thread, &t[i]));
	}
	for (i = 0; i < RACE_THREADS; i++)
		ASSERT_EQ(0, pthread_join(tid[i], NULL));

	TH_LOG("%u rounds in %.1f s: %lu runs allocated, %lu freed, %lu bad frees",
	       r->rounds, race_elapsed(r), r->allocs, r->frees, r->bad);
	TH_LOG("runs freed twice %lu, never %lu; bad frees that succeeded %lu",
	       r->twice, r->lost, r->bad_ok);
	TH_LOG("clobbered granules %lu; pool/shadow mismatches %lu",
	       r->clobbered, r->mismatch);
	EXPECT_LT(0, r->rounds);
	EXPECT_EQ(0, r->twice);
	EXPECT_EQ(0, r->lost);
	EXPECT_EQ(0, r->bad_ok);
	EXPECT_EQ(0, r->clobbered);
	EXPECT_EQ(0, r->mismatch);
	EXPECT_EQ(r->allocs, r->frees);
	EXPECT_EQ(0, p2px_pool_used(&r->pool));
	pthread_barrier_destroy(&r->barrier);
	p2px_pool_destroy(&r->pool);
	free(r);
}

TEST_HARNESS_MAIN
