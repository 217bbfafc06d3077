// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology cache: the walker's answers per provider/client pair
 * (Documentation/design.rst, "The cache"). p2px_rows maps a provider's id
 * to its row; a row maps a client's id to the answer (an xarray value)
 * and, for pairs an explaining interface asked about, the whole result.
 * A row holds the answers of one stamp (p2px_topo_stamp(): the cache
 * generation plus the allowlist's policy generation, both only growing):
 * a lookup with another stamp misses, the first store with a newer one
 * empties the row. Nothing below the cache calls it.
 *
 * Locking: p2px_cache_lock serialises every change (a row created or
 * emptied, an answer or a detail stored) and every read of a detail.
 * Answer lookups take no lock: rows stay until the module unloads, and
 * xarrays free their nodes after an RCU grace period. A lookup that saw a
 * row's @gen equal to its stamp may find an answer of a newer stamp (the
 * row was emptied and refilled meanwhile): newer than the lookup, so as
 * good.
 */
#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "topology.h"

#define P2PX_CACHE_MAX_DETAILED	32768	/* whole results (~330 bytes each) */
#define P2PX_ANS_MAP_SHIFT	16	/* answer: map << 16 | distance */

/**
 * struct p2px_row - the cached answers of one provider
 * @gen: the stamp of every answer in @ans and detail in @res
 * @ans: client id -> answer (xa_mk_value())
 * @res: client id -> struct p2px_detail
 */
struct p2px_row {
	unsigned int gen;
	struct xarray ans;
	struct xarray res;
};

/**
 * struct p2px_detail - a whole result, as an explaining query computed it
 * @ans: the answer stored with it; it counts while that is the pair's
 * @res: the result
 */
struct p2px_detail {
	void *ans;
	struct p2px_topo_result res;
};

static DEFINE_XARRAY(p2px_rows);	/* provider id -> struct p2px_row */
static DEFINE_MUTEX(p2px_cache_lock);
static unsigned int p2px_ndetailed;	/* details, under p2px_cache_lock */
static atomic_t p2px_cache_gen = ATOMIC_INIT(0);
static atomic64_t p2px_hits, p2px_misses, p2px_fresh, p2px_refreshed,
	p2px_invalidations;

/**
 * p2px_topo_stamp() - the generation of cached topology answers
 *
 * An answer decided after reading a stamp is as true as a cached one while
 * the stamp reads the same: whatever invalidates the cache changes it.
 *
 * Return: the current stamp.
 */
unsigned int p2px_topo_stamp(void)
{
	return (unsigned int)atomic_read_acquire(&p2px_cache_gen) +
	       p2px_policy_generation();
}

/* The xarray index of @pdev, false if its id does not fit (32-bit). */
static bool p2px_key(struct pci_dev *pdev, unsigned long *key)
{
	*key = (unsigned long)p2px_pci_id(pdev);
	return *key == p2px_pci_id(pdev);
}

static void *p2px_ans_pack(const struct p2px_topo_answer *ans)
{
	return xa_mk_value((unsigned long)ans->map << P2PX_ANS_MAP_SHIFT |
			   ans->distance);
}

static void p2px_ans_unpack(void *v, struct p2px_topo_answer *ans)
{
	ans->map = xa_to_value(v) >> P2PX_ANS_MAP_SHIFT;
	ans->distance = xa_to_value(v) & (BIT(P2PX_ANS_MAP_SHIFT) - 1);
}

/* The current answer of a pair, or NULL. Takes no lock. */
static void *p2px_lookup(unsigned long pk, unsigned long ck,
			 unsigned int stamp)
{
	struct p2px_row *row = xa_load(&p2px_rows, pk);

	if (!row || READ_ONCE(row->gen) != stamp)
		return NULL;
	return xa_load(&row->ans, ck);
}

/* Empty @row; under p2px_cache_lock. */
static void p2px_row_empty(struct p2px_row *row)
{
	struct p2px_detail *d;
	unsigned long i;

	xa_for_each(&row->res, i, d) {
		kfree(d);
		p2px_ndetailed--;
	}
	xa_destroy(&row->res);
	xa_destroy(&row->ans);
}

/*
 * The row of @pk ready for answers of @stamp, created or emptied as
 * needed; NULL for an older stamp or without memory. Under p2px_cache_lock.
 */
static struct p2px_row *p2px_row_get(unsigned long pk, unsigned int stamp)
{
	struct p2px_row *row = xa_load(&p2px_rows, pk);

	if (!row) {
		row = kzalloc(sizeof(*row), GFP_KERNEL);
		if (!row)
			return NULL;
		xa_init(&row->ans);
		xa_init(&row->res);
		row->gen = stamp;
		if (xa_err(xa_store(&p2px_rows, pk, row, GFP_KERNEL))) {
			kfree(row);
			return NULL;
		}
	}
	if (row->gen == stamp)
		return row;
	if ((int)(stamp - row->gen) < 0)
		return NULL;	/* computed before the row's answers */
	p2px_row_empty(row);
	WRITE_ONCE(row->gen, stamp);
	return row;
}

/* Store an answer and, with @res, the whole result (if there is room). */
static void p2px_store(unsigned long pk, unsigned long ck, unsigned int stamp,
		       const struct p2px_topo_answer *ans,
		       const struct p2px_topo_result *res)
{
	struct p2px_detail *d = NULL, *old;
	struct p2px_row *row;
	void *v = p2px_ans_pack(ans);

	mutex_lock(&p2px_cache_lock);
	row = p2px_row_get(pk, stamp);
	/* Without memory the cache just lacks the answer. */
	if (!row || xa_is_err(xa_store(&row->ans, ck, v, GFP_KERNEL)))
		goto out;
	if (res && p2px_ndetailed < P2PX_CACHE_MAX_DETAILED)
		d = kmalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		goto out;
	d->ans = v;
	d->res = *res;
	old = xa_store(&row->res, ck, d, GFP_KERNEL);
	if (xa_is_err(old)) {
		kfree(d);
		goto out;
	}
	if (!old)
		p2px_ndetailed++;
	kfree(old);
out:
	mutex_unlock(&p2px_cache_lock);
}

/*
 * The current answer of a pair in @ans and, if @res is not NULL and the
 * whole result is kept, that in @res. Return: 0 for no current answer, 1
 * for the answer only, 2 for the whole result too.
 */
static int p2px_find(unsigned long pk, unsigned long ck, unsigned int stamp,
		     struct p2px_topo_answer *ans, struct p2px_topo_result *res)
{
	void *v = p2px_lookup(pk, ck, stamp);
	struct p2px_detail *d;
	struct p2px_row *row;
	bool whole;

	if (!v)
		return 0;
	p2px_ans_unpack(v, ans);
	if (!res)
		return 1;
	mutex_lock(&p2px_cache_lock);
	row = xa_load(&p2px_rows, pk);
	d = row->gen == stamp ? xa_load(&row->res, ck) : NULL;
	whole = d && d->ans == v;
	if (whole)
		*res = d->res;
	mutex_unlock(&p2px_cache_lock);
	return 1 + whole;
}

/**
 * p2px_cache_answer() - map type and distance of a pair, cached
 * @provider: device whose memory would be used
 * @client: device that would DMA to it
 * @ans: receives the answer
 *
 * What p2pdma_ext_distance_many() and p2pdma_ext_map_type() ask: a
 * current answer from the cache, or else the walker's, then cached.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno from the walker.
 */
int p2px_cache_answer(struct pci_dev *provider, struct pci_dev *client,
		      struct p2px_topo_answer *ans)
{
	unsigned int stamp = p2px_topo_stamp();
	unsigned long pk, ck;
	void *v;
	int ret;

	if (!p2px_key(provider, &pk) || !p2px_key(client, &ck))
		return p2px_walk_answer(provider, client, ans);
	v = p2px_lookup(pk, ck, stamp);
	if (v) {
		p2px_ans_unpack(v, ans);
		atomic64_inc(&p2px_hits);
		return 0;
	}
	atomic64_inc(&p2px_misses);
	ret = p2px_walk_answer(provider, client, ans);
	if (!ret)
		p2px_store(pk, ck, stamp, ans, NULL);	/* if there is memory */
	return ret;
}

/**
 * p2px_cache_pair() - the whole answer for one pair, cached or computed
 * @provider: device whose memory would be used
 * @client: device that would DMA to it
 * @res: receives the answer
 * @flags: P2PX_PAIR_CACHED to accept a current whole result from the
 *	cache; without it the answer is recomputed and a cached one that
 *	disagrees is replaced
 * @oflags: if not NULL, receives P2PX_PAIR_FROM_CACHE (a current answer
 *	existed) and P2PX_PAIR_REFRESHED (it disagreed with the hardware)
 *
 * A cached lookup that finds only the answer computes the rest; if the
 * hardware no longer agrees with it (an ACS write), it is replaced and
 * reported as refreshed: the result is what kernel users get from then on.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno from the walker.
 */
int p2px_cache_pair(struct pci_dev *provider, struct pci_dev *client,
		    struct p2px_topo_result *res, unsigned int flags,
		    unsigned int *oflags)
{
	struct p2px_topo_result *cached = NULL;
	unsigned int stamp = p2px_topo_stamp(), of = 0;
	struct p2px_topo_answer ans;
	bool keyed;
	unsigned long pk, ck;
	int found = 0, ret;

	keyed = p2px_key(provider, &pk) && p2px_key(client, &ck);
	if (flags & P2PX_PAIR_CACHED) {
		if (keyed)
			found = p2px_find(pk, ck, stamp, &ans, res);
		if (found == 2) {
			atomic64_inc(&p2px_hits);
			of = P2PX_PAIR_FROM_CACHE;
			ret = 0;
			goto out;
		}
		atomic64_inc(&p2px_misses);
	} else {
		/* Recompute; compare with what the cache would have said. */
		atomic64_inc(&p2px_fresh);
		cached = kmalloc(sizeof(*cached), GFP_KERNEL);
		if (keyed && cached)
			found = p2px_find(pk, ck, stamp, &ans, cached);
	}

	ret = p2px_walk_calc(provider, client, res);
	if (ret)
		goto out;
	if (found)
		of |= P2PX_PAIR_FROM_CACHE;
	if (found && (ans.map != res->map || ans.distance != res->distance ||
		      (found == 2 && !p2px_topo_same(cached, res)))) {
		of |= P2PX_PAIR_REFRESHED;
		atomic64_inc(&p2px_refreshed);
		/* Unannounced change (ACS write): all answers may be as old. */
		p2px_cache_invalidate();
		stamp = p2px_topo_stamp();
	}
	if (keyed && (found != 2 || (of & P2PX_PAIR_REFRESHED)))
		p2px_store(pk, ck, stamp, &(struct p2px_topo_answer){
				   .map = res->map, .distance = res->distance },
			   res);
out:
	kfree(cached);
	if (oflags)
		*oflags = of;
	return ret;
}

/**
 * p2px_cache_invalidate() - forget every cached answer
 *
 * Callers that changed what the walker reads publish that change before
 * calling: a lookup that sees the new generation also sees the change.
 */
void p2px_cache_invalidate(void)
{
	/* Orders the caller's change before the new generation. */
	smp_mb__before_atomic();
	atomic_inc(&p2px_cache_gen);
	atomic64_inc(&p2px_invalidations);
}

/**
 * p2px_cache_stats() - counters of the cache
 * @st: filled in
 */
void p2px_cache_stats(struct p2px_cache_stats *st)
{
	unsigned int stamp = p2px_topo_stamp();
	struct p2px_row *row;
	unsigned long i, j;
	void *v;

	memset(st, 0, sizeof(*st));
	st->hits = atomic64_read(&p2px_hits);
	st->misses = atomic64_read(&p2px_misses);
	st->fresh = atomic64_read(&p2px_fresh);
	st->refreshed = atomic64_read(&p2px_refreshed);
	st->invalidations = atomic64_read(&p2px_invalidations);
	st->cache_gen = (unsigned int)atomic_read(&p2px_cache_gen);
	st->policy_gen = p2px_policy_generation();
	mutex_lock(&p2px_cache_lock);
	st->detailed = p2px_ndetailed;
	xa_for_each(&p2px_rows, i, row) {
		if (row->gen != stamp)
			continue;
		xa_for_each(&row->ans, j, v)
			st->entries++;
	}
	mutex_unlock(&p2px_cache_lock);
}

static int p2px_pci_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	if (action == BUS_NOTIFY_ADD_DEVICE || action == BUS_NOTIFY_DEL_DEVICE ||
	    action == BUS_NOTIFY_REMOVED_DEVICE ||
	    action == BUS_NOTIFY_BOUND_DRIVER ||
	    action == BUS_NOTIFY_UNBOUND_DRIVER)
		p2px_cache_invalidate();
	return NOTIFY_DONE;
}

static struct notifier_block p2px_pci_nb = {
	.notifier_call = p2px_pci_notify,
};

/**
 * p2px_cache_init() - set up the cache's PCI bus notifier
 *
 * Return: 0 or a negative errno.
 */
int p2px_cache_init(void)
{
	return bus_register_notifier(&pci_bus_type, &p2px_pci_nb);
}

/**
 * p2px_cache_exit() - tear down the notifier and free the cache
 */
void p2px_cache_exit(void)
{
	struct p2px_row *row;
	unsigned long i;

	bus_unregister_notifier(&pci_bus_type, &p2px_pci_nb);
	/* No lookups are left: the module is going away. */
	xa_for_each(&p2px_rows, i, row) {
		p2px_row_empty(row);
		kfree(row);
	}
	xa_destroy(&p2px_rows);
}
