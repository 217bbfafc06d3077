// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology cache: the walker's answers per provider/client pair,
 * each stamped with p2px_topo_stamp() (Documentation/design.rst, "The
 * cache"). Entries are kept until the module unloads.
 *
 * Locking: answer words are read and written whole (atomic64_t) without a
 * lock: racing stores each write a right answer, and one computed before
 * an invalidation carries the old stamp. Entries are added under
 * p2px_cache_lock with hlist_add_head_rcu() and found without a lock;
 * they are freed only at module unload. @detail is read, written and
 * freed under p2px_cache_lock. The lock is a spinlock taken with
 * interrupts off and entries are allocated with GFP_ATOMIC: a client
 * driver's map in atomic context may be a pair's first lookup. Whole
 * results come only from process context and are allocated before it.
 */
#include <linux/hash.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "topology.h"

#define P2PX_CACHE_BITS		13	/* hash table: 8192 buckets */
#define P2PX_CACHE_MAX_DETAILED	32768	/* whole results (~330 bytes each) */

/* A whole result; it counts while @ans is the pair's answer word. */
struct p2px_detail {
	u64 ans;
	struct p2px_topo_result res;
};

/* The cache entry of one pair; @ans is stamp << 32 | map << 16 | distance. */
struct p2px_pair {
	struct hlist_node node;
	u64 provider;
	u64 client;
	atomic64_t ans;
	struct p2px_detail *detail;
};

static struct hlist_head p2px_pairs[1 << P2PX_CACHE_BITS];
static DEFINE_SPINLOCK(p2px_cache_lock);
static unsigned int p2px_ndetailed;	/* details, under p2px_cache_lock */
static atomic_t p2px_cache_gen = ATOMIC_INIT(0);
/* Counters, per CPU: a lookup pays no atomic operation for them. */
static DEFINE_PER_CPU(struct p2px_cache_stats, p2px_stat);

#define p2px_count(field)	this_cpu_inc(p2px_stat.field)

/**
 * p2px_topo_stamp() - the generation of cached topology answers
 *
 * Whatever invalidates the cache changes it: an answer decided after
 * reading a stamp is as true as a cached one while the stamp is the same.
 *
 * Return: the current stamp.
 */
unsigned int p2px_topo_stamp(void)
{
	return (unsigned int)atomic_read_acquire(&p2px_cache_gen) +
	       p2px_policy_generation();
}

/* Unpack @v into @ans if it is of @stamp. */
static bool p2px_ans_current(u64 v, unsigned int stamp,
			     struct p2px_topo_answer *ans)
{
	if (v >> 32 != stamp)
		return false;
	ans->map = (v >> 16) & 0xffff;
	ans->distance = v & 0xffff;
	return true;
}

static struct hlist_head *p2px_bucket(u64 provider, u64 client)
{
	return &p2px_pairs[hash_64(provider << 24 ^ client, P2PX_CACHE_BITS)];
}

/* No lock, no RCU read section: entries are freed only at unload. */
static struct p2px_pair *p2px_find(u64 provider, u64 client)
{
	struct p2px_pair *e;

	hlist_for_each_entry_rcu(e, p2px_bucket(provider, client), node, true)
		if (e->provider == provider && e->client == client)
			break;
	return e;
}

/*
 * Store an answer in @e (or in the pair's entry, added if need be) and, with
 * @res (process context only), the whole result.
 */
static void p2px_store(struct p2px_pair *e, u64 provider, u64 client,
		       unsigned int stamp, const struct p2px_topo_answer *ans,
		       const struct p2px_topo_result *res)
{
	u64 v = (u64)stamp << 32 | (u64)ans->map << 16 | (u16)ans->distance;
	struct p2px_detail *d = NULL;
	unsigned long flags;

	if (e && !res) {
		atomic64_set(&e->ans, v);
		return;
	}
	/* A hint only: the lock decides whether @d is used. */
	if (res && !(e && READ_ONCE(e->detail)) &&
	    READ_ONCE(p2px_ndetailed) < P2PX_CACHE_MAX_DETAILED)
		d = kmalloc(sizeof(*d), GFP_KERNEL);
	spin_lock_irqsave(&p2px_cache_lock, flags);
	e = e ?: p2px_find(provider, client);
	if (!e) {
		e = kzalloc(sizeof(*e), GFP_ATOMIC);
		if (!e)
			goto out;	/* without memory the cache just lacks it */
		e->provider = provider;
		e->client = client;
		atomic64_set(&e->ans, v);
		hlist_add_head_rcu(&e->node, p2px_bucket(provider, client));
	}
	atomic64_set(&e->ans, v);	/* with its detail, for p2px_current() */
	if (d && !e->detail && p2px_ndetailed < P2PX_CACHE_MAX_DETAILED) {
		WRITE_ONCE(e->detail, d);
		d = NULL;
		WRITE_ONCE(p2px_ndetailed, p2px_ndetailed + 1);
	}
	if (res && e->detail) {
		e->detail->ans = v;
		e->detail->res = *res;
	}
out:
	spin_unlock_irqrestore(&p2px_cache_lock, flags);
	kfree(d);
}

/* Return: 0 without a current answer, 1 for @ans only, 2 for @res too. */
static int p2px_current(struct p2px_pair *e, unsigned int stamp,
			struct p2px_topo_answer *ans,
			struct p2px_topo_result *res)
{
	unsigned long flags;
	bool whole;
	u64 v;

	if (!e || !p2px_ans_current(atomic64_read(&e->ans), stamp, ans))
		return 0;
	if (!res)
		return 1;
	spin_lock_irqsave(&p2px_cache_lock, flags);
	v = atomic64_read(&e->ans);
	whole = e->detail && e->detail->ans == v &&
		p2px_ans_current(v, stamp, ans);
	if (whole)
		*res = e->detail->res;
	spin_unlock_irqrestore(&p2px_cache_lock, flags);
	return 1 + whole;
}

/**
 * p2px_cache_answer() - map type and distance of a pair, cached
 * @provider: device whose memory would be used
 * @client: device that would DMA to it
 * @ans: receives a current cached answer, or else the walker's (cached)
 *
 * Context: any context: does not sleep (see the locking rule above).
 * Return: 0 or a negative errno from the walker.
 */
int p2px_cache_answer(struct pci_dev *provider, struct pci_dev *client,
		      struct p2px_topo_answer *ans)
{
	unsigned int stamp = p2px_topo_stamp();
	u64 pid = p2px_pci_id(provider), cid = p2px_pci_id(client);
	struct p2px_pair *e = p2px_find(pid, cid);
	int ret;

	if (p2px_current(e, stamp, ans, NULL)) {
		p2px_count(hits);
		return 0;
	}
	p2px_count(misses);
	ret = p2px_walk(provider, client, stamp, NULL, ans);
	if (!ret)
		p2px_store(e, pid, cid, stamp, ans, NULL);
	return ret;
}

/**
 * p2px_cache_pair() - the whole answer for one pair, cached or computed
 * @provider: device whose memory would be used
 * @client: device that would DMA to it
 * @res: receives the answer
 * @flags: P2PDMA_EXT_TOPO_Q_CACHED to accept a current whole result from
 *	the cache; without it the answer is recomputed
 * @oflags: if not NULL, receives P2PDMA_EXT_TOPO_F_FROM_CACHE (a current
 *	answer existed) and P2PDMA_EXT_TOPO_F_REFRESHED (it disagreed with the
 *	hardware)
 *
 * A computed result that disagrees with a current cached answer (an ACS
 * write) replaces it and moves the cache generation.
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
	u64 pid = p2px_pci_id(provider), cid = p2px_pci_id(client);
	struct p2px_pair *e = p2px_find(pid, cid);
	struct p2px_topo_answer ans;
	int found = 0, ret;

	if (flags & P2PDMA_EXT_TOPO_Q_CACHED) {
		found = p2px_current(e, stamp, &ans, res);
		if (found == 2) {
			p2px_count(hits);
			of = P2PDMA_EXT_TOPO_F_FROM_CACHE;
			ret = 0;
			goto out;
		}
		p2px_count(misses);
	} else {
		/* Recompute; compare with what the cache would have said. */
		p2px_count(fresh);
		cached = kmalloc(sizeof(*cached), GFP_KERNEL);
		if (cached)
			found = p2px_current(e, stamp, &ans, cached);
	}

	ret = p2px_walk(provider, client, 0, res, NULL);
	if (ret)
		goto out;
	if (found)
		of |= P2PDMA_EXT_TOPO_F_FROM_CACHE;
	if (found && (ans.map != res->map || ans.distance != res->distance ||
		      (found == 2 && !p2px_topo_same(cached, res)))) {
		of |= P2PDMA_EXT_TOPO_F_REFRESHED;
		p2px_count(refreshed);
		/* Unannounced change (ACS write): all answers may be as old. */
		p2px_cache_invalidate();
		stamp = p2px_topo_stamp();
	}
	if (found != 2 || (of & P2PDMA_EXT_TOPO_F_REFRESHED))
		p2px_store(e, pid, cid, stamp, &(struct p2px_topo_answer){
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
	p2px_count(invalidations);
}

/**
 * p2px_cache_stats() - counters of the cache
 * @st: filled in
 */
void p2px_cache_stats(struct p2px_cache_stats *st)
{
	unsigned int stamp = p2px_topo_stamp(), i;
	struct p2px_topo_answer ans;
	struct p2px_pair *e;
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		const struct p2px_cache_stats *c = per_cpu_ptr(&p2px_stat, cpu);

		st->hits += c->hits;
		st->misses += c->misses;
		st->fresh += c->fresh;
		st->refreshed += c->refreshed;
		st->invalidations += c->invalidations;
	}
	st->cache_gen = (unsigned int)atomic_read(&p2px_cache_gen);
	st->policy_gen = p2px_policy_generation();
	st->detailed = READ_ONCE(p2px_ndetailed);
	/* Without the lock, as p2px_find(): entries stay until unload. */
	for (i = 0; i < ARRAY_SIZE(p2px_pairs); i++)
		hlist_for_each_entry_rcu(e, &p2px_pairs[i], node, true)
			st->entries += p2px_ans_current(atomic64_read(&e->ans),
							stamp, &ans);
}

static int p2px_pci_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	if (action == BUS_NOTIFY_ADD_DEVICE || action == BUS_NOTIFY_DEL_DEVICE ||
	    action == BUS_NOTIFY_REMOVED_DEVICE ||
	    action == BUS_NOTIFY_BOUND_DRIVER ||
	    action == BUS_NOTIFY_UNBOUND_DRIVER) {
		p2px_walk_topology_changed();
		p2px_cache_invalidate();
	}
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
	struct hlist_node *tmp;
	struct p2px_pair *e;
	unsigned int i;

	bus_unregister_notifier(&pci_bus_type, &p2px_pci_nb);
	/* No lookups are left: the module is going away. */
	for (i = 0; i < ARRAY_SIZE(p2px_pairs); i++) {
		hlist_for_each_entry_safe(e, tmp, &p2px_pairs[i], node) {
			kfree(e->detail);
			kfree(e);
		}
	}
	p2px_walk_exit();
}
