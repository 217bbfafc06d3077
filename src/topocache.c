// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology cache: the walker's answers per provider/client pair,
 * kept true by invalidation.
 *
 * Layout: p2px_cache_rows maps a provider's id (PCI domain, bus, devfn) to
 * its row, a struct p2px_cache_row, which holds
 *  - the answers: one word per client (its epoch, the map type and the
 *    distance: all that p2pdma_ext_distance_many() and
 *    p2pdma_ext_map_type() need), in blocks of P2PX_BLOCK_SLOTS clients
 *    with consecutive ids, found by the client's id in @blocks;
 *  - the details: for pairs that an explaining interface (ioctls, debugfs)
 *    asked about, the whole result, in @details; a detail counts only
 *    while the answer word stored with it is still the pair's.
 * An answer is current when its epoch is the cache generation; lookups
 * only accept current answers, so an invalidation takes effect at once by
 * bumping the generation. The words stay where they are, so filling the
 * cache again allocates nothing; the details are given back right after
 * an invalidation. Rows and blocks are freed when the module unloads.
 *
 * What invalidates the cache:
 *  - a change of host_bridge_allow, host_bridge_deny or
 *    trust_all_host_bridges (allowlist.c calls p2px_topo_invalidate());
 *  - a PCI device added or removed, a driver bound or unbound (a notifier
 *    on pci_bus_type);
 *  - a write to debugfs p2pdma_ext/flush, p2pdma_ext_topology_flush().
 * What cannot be detected: the kernel has no notification for writes to a
 * device's ACS Control register (setpci, sysfs config writes, firmware,
 * or a reset restoring saved state). Callers that explain an answer (the
 * "why" ioctl, debugfs, p2pdma_ext_explain(), verbose distance queries)
 * therefore never trust the cache: they recompute from the hardware and
 * replace a cached entry that no longer agrees, which is also how an ACS
 * change reaches later cached lookups.
 *
 * Locking: an answer word is read and written whole (READ_ONCE(),
 * WRITE_ONCE()) without a lock: racing lookups each store a right answer,
 * and one computed before an invalidation carries the old epoch. Rows and
 * blocks are only added (xa_cmpxchg()) until the module unloads, so
 * pointers to them stay valid. A struct p2px_cache_entry is never
 * modified once stored, only replaced; whoever takes it out of @details
 * frees it with kfree_rcu(), and readers copy it under rcu_read_lock().
 * p2px_cache_lock (a mutex) serialises the walks over all rows
 * (invalidation, statistics, module exit).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "compat.h"
#include "internal.h"
#include "topology_core.h"

/* Whole results kept at most (about 330 bytes each); past that, answers. */
#define P2PX_CACHE_MAX_DETAILED	32768

/* Answers per block: clients whose ids differ in the low bits only. */
#define P2PX_BLOCK_BITS		6
#define P2PX_BLOCK_SLOTS	BIT(P2PX_BLOCK_BITS)

/*
 * An answer word: bit 0 set (0 is an empty slot), distance (bits 1-10; at
 * most 2 * P2PX_TOPO_MAX_DEPTH), map type (bits 11-12), epoch (the rest).
 */
#define P2PX_ANS_VALID		1UL
#define P2PX_ANS_DIST_SHIFT	1
#define P2PX_ANS_DIST_BITS	10
#define P2PX_ANS_MAP_SHIFT	(P2PX_ANS_DIST_SHIFT + P2PX_ANS_DIST_BITS)
#define P2PX_ANS_EPOCH_SHIFT	(P2PX_ANS_MAP_SHIFT + 2)
#define P2PX_ANS_EPOCH_BITS	min(32, BITS_PER_LONG - P2PX_ANS_EPOCH_SHIFT)
#define P2PX_ANS_EPOCH_MASK	((1UL << P2PX_ANS_EPOCH_BITS) - 1)

/*
 * Rows remembered by provider (a hash of the id), blocks by row (the low
 * bits of the block number), to skip the xarray lookups.
 */
#define P2PX_ROW_HINT_BITS	6
#define P2PX_BLOCK_HINTS	4

/**
 * struct p2px_cache_block - answers of clients with consecutive ids
 * @slot: answer words, 0 when never filled
 * @index: the block's number (client index >> P2PX_BLOCK_BITS)
 */
struct p2px_cache_block {
	unsigned long slot[P2PX_BLOCK_SLOTS];
	unsigned long index;
};

/**
 * struct p2px_cache_row - the cached answers of one provider
 * @blocks: client index >> P2PX_BLOCK_BITS -> struct p2px_cache_block
 * @details: client index -> struct p2px_cache_entry
 * @provider: the provider's cache index
 * @hint: blocks recently used (racy on purpose: checked against @index)
 */
struct p2px_cache_row {
	struct xarray blocks;
	struct xarray details;
	unsigned long provider;
	struct p2px_cache_block *hint[P2PX_BLOCK_HINTS];
};

/**
 * struct p2px_cache_entry - a whole cached result
 * @answer: the answer word stored with it
 * @res: the result
 * @rcu: for kfree_rcu()
 */
struct p2px_cache_entry {
	unsigned long answer;
	struct p2px_topo_result res;
	struct rcu_head rcu;
};

static DEFINE_XARRAY(p2px_cache_rows);	/* provider index -> row */
/* Racy on purpose: a hint is checked against the row's @provider. */
static struct p2px_cache_row *p2px_row_hint[1 << P2PX_ROW_HINT_BITS];
static DEFINE_MUTEX(p2px_cache_lock);
static atomic_t p2px_cache_gen = ATOMIC_INIT(0);
static atomic_t p2px_cache_detailed = ATOMIC_INIT(0);	/* entries */

/* Counters, per CPU: a lookup pays no atomic operation for them. */
struct p2px_cache_counters {
	u64 hits;
	u64 misses;
	u64 fresh;
	u64 refreshed;
	u64 invalidations;
};

static DEFINE_PER_CPU(struct p2px_cache_counters, p2px_stat);

#define p2px_count(field)	this_cpu_inc(p2px_stat.field)

/**
 * p2px_pci_id() - the topology id of a PCI function
 * @pdev: the function
 *
 * Return: P2PX_TOPO_ID() of @pdev (also the uapi P2PDMA_EXT_DEVID()).
 */
u64 p2px_pci_id(struct pci_dev *pdev)
{
	return P2PX_TOPO_ID(pci_domain_nr(pdev->bus), pdev->bus->number,
			    pdev->devfn);
}

/**
 * p2px_pci_get_by_id() - look up a PCI function by topology id
 * @id: P2PX_TOPO_ID() of the function
 *
 * Finds the bus, then the function on it, rather than stepping through
 * every PCI device (pci_get_domain_bus_and_slot()); the rescan/remove
 * lock keeps the bus from going away in between.
 *
 * Context: process context; takes pci_lock_rescan_remove(), so the caller
 * must not hold a device lock.
 * Return: the function with a reference (pci_dev_put() it), or NULL.
 */
struct pci_dev *p2px_pci_get_by_id(u64 id)
{
	u64 domain = P2PX_TOPO_ID_DOMAIN(id);
	struct pci_dev *pdev = NULL;
	struct pci_bus *bus;

	if (domain > INT_MAX)
		return NULL;
	pci_lock_rescan_remove();
	bus = pci_find_bus((int)domain, P2PX_TOPO_ID_BUS(id));
	if (bus)
		pdev = pci_get_slot(bus, P2PX_TOPO_ID_DEVFN(id));
	pci_unlock_rescan_remove();
	return pdev;
}

/**
 * p2px_parse_bdf() - parse "DDDD:BB:DD.F" or "BB:DD.F"
 * @s: the text; leading blanks are skipped, parsing stops at a blank
 * @id: receives the topology id
 * @end: if not NULL, receives the position after the name
 *
 * Return: 0, or -EINVAL if @s does not start with a device name.
 */
int p2px_parse_bdf(const char *s, u64 *id, const char **end)
{
	unsigned int domain = 0, bus, dev, fn;
	int n = 0;

	s = skip_spaces(s);
	if (sscanf(s, "%x:%x:%x.%x%n", &domain, &bus, &dev, &fn, &n) != 4) {
		domain = 0;
		n = 0;
		if (sscanf(s, "%x:%x.%x%n", &bus, &dev, &fn, &n) != 3)
			return -EINVAL;
	}
	if (bus > 0xff || dev > 0x1f || fn > 7 || domain > INT_MAX ||
	    (s[n] && !isspace(s[n])))
		return -EINVAL;
	*id = P2PX_TOPO_ID(domain, bus, PCI_DEVFN(dev, fn));
	if (end)
		*end = s + n;
	return 0;
}

static unsigned int p2px_cache_generation(void)
{
	return (unsigned int)atomic_read_acquire(&p2px_cache_gen);
}

static unsigned long p2px_epoch(void)
{
	return p2px_cache_generation() & P2PX_ANS_EPOCH_MASK;
}

static unsigned long p2px_ans_pack(unsigned long epoch,
				   const struct p2px_topo_answer *ans)
{
	return epoch << P2PX_ANS_EPOCH_SHIFT |
	       (unsigned long)ans->map << P2PX_ANS_MAP_SHIFT |
	       (unsigned long)ans->distance << P2PX_ANS_DIST_SHIFT |
	       P2PX_ANS_VALID;
}

static bool p2px_ans_current(unsigned long v, unsigned long epoch)
{
	return (v & P2PX_ANS_VALID) && v >> P2PX_ANS_EPOCH_SHIFT == epoch;
}

static void p2px_ans_unpack(unsigned long v, struct p2px_topo_answer *ans)
{
	ans->map = (v >> P2PX_ANS_MAP_SHIFT) & 3;
	ans->distance = (v >> P2PX_ANS_DIST_SHIFT) &
			((1UL << P2PX_ANS_DIST_BITS) - 1);
}

/* Can this answer be packed? (Always, with the walker's depth limit.) */
static bool p2px_ans_fits(const struct p2px_topo_answer *ans)
{
	return ans->distance >= 0 &&
	       ans->distance < (1 << P2PX_ANS_DIST_BITS);
}

/* Cache index: the device id; false if it does not fit (32-bit only). */
static __always_inline bool p2px_cache_index(struct pci_dev *pdev,
					     unsigned long *idx)
{
	u64 id = P2PX_TOPO_ID(pci_domain_nr(pdev->bus), pdev->bus->number,
			      pdev->devfn);

	*idx = (unsigned long)id;
	return *idx == id;
}

/* The row of @provider, created if @create; NULL if none. */
static struct p2px_cache_row *p2px_cache_row(unsigned long provider,
					     bool create)
{
	struct p2px_cache_row **hint, *row, *old;

	/* Rows live until the module unloads: a hint is never dangling. */
	hint = &p2px_row_hint[hash_long(provider, P2PX_ROW_HINT_BITS)];
	row = READ_ONCE(*hint);
	if (row && row->provider == provider)
		return row;
	row = xa_load(&p2px_cache_rows, provider);
	if (!row && create) {
		row = kzalloc(sizeof(*row), GFP_KERNEL);
		if (!row)
			return NULL;
		xa_init(&row->blocks);
		xa_init(&row->details);
		row->provider = provider;
		old = xa_cmpxchg(&p2px_cache_rows, provider, NULL, row,
				 GFP_KERNEL);
		if (old) {
			kfree(row);
			row = xa_is_err(old) ? NULL : old;
		}
	}
	if (row)
		WRITE_ONCE(*hint, row);
	return row;
}

/* The answer word of @client in @row (its block created if @create). */
static unsigned long *p2px_row_slot(struct p2px_cache_row *row,
				    unsigned long client, bool create)
{
	unsigned long bi = client >> P2PX_BLOCK_BITS;
	struct p2px_cache_block **hint, *b, *old;

	/* Blocks live until the module unloads: a hint is never dangling. */
	hint = &row->hint[bi % P2PX_BLOCK_HINTS];
	b = READ_ONCE(*hint);
	if (b && b->index == bi)
		goto found;
	b = xa_load(&row->blocks, bi);
	if (!b && create) {
		b = kzalloc(sizeof(*b), GFP_KERNEL);
		if (!b)
			return NULL;
		b->index = bi;
		old = xa_cmpxchg(&row->blocks, bi, NULL, b, GFP_KERNEL);
		if (old) {
			kfree(b);
			b = xa_is_err(old) ? NULL : old;
		}
	}
	if (!b)
		return NULL;
	WRITE_ONCE(*hint, b);
found:
	return &b->slot[client & (P2PX_BLOCK_SLOTS - 1)];
}

/* Store an answer word; without memory the cache just lacks it. */
static void p2px_slot_set(struct p2px_cache_row *row, unsigned long client,
			  unsigned long v)
{
	unsigned long *slot = p2px_row_slot(row, client, true);

	if (slot)
		WRITE_ONCE(*slot, v);
}

/*
 * The current entry for a pair: its answer in @ans and, if its details
 * are cached and @res is not NULL, the whole result in @res. Return: 0 for
 * no current entry, 1 for an answer only, 2 for a whole result too.
 */
static int p2px_cache_find(struct p2px_cache_row *row, unsigned long client,
			   unsigned long epoch, struct p2px_topo_answer *ans,
			   struct p2px_topo_result *res)
{
	unsigned long *slot = p2px_row_slot(row, client, false);
	unsigned long v = slot ? READ_ONCE(*slot) : 0;
	struct p2px_cache_entry *e;
	int found = 1;

	if (!p2px_ans_current(v, epoch))
		return 0;
	p2px_ans_unpack(v, ans);
	if (!res)
		return found;
	rcu_read_lock();
	e = xa_load(&row->details, client);
	if (e && e->answer == v) {
		*res = e->res;
		found = 2;
	}
	rcu_read_unlock();
	return found;
}

/* Store a whole result: its answer word and (up to the limit) details. */
static void p2px_cache_store(struct p2px_cache_row *row, unsigned long client,
			     unsigned long epoch,
			     const struct p2px_topo_result *res)
{
	struct p2px_topo_answer ans = {
		.map = res->map, .distance = res->distance,
	};
	struct p2px_cache_entry *e = NULL, *old;
	unsigned long v;

	if (!p2px_ans_fits(&ans))
		return;
	v = p2px_ans_pack(epoch, &ans);
	p2px_slot_set(row, client, v);
	if (atomic_inc_return(&p2px_cache_detailed) <= P2PX_CACHE_MAX_DETAILED)
		e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e) {
		atomic_dec(&p2px_cache_detailed);
		return;
	}
	e->answer = v;
	e->res = *res;
	old = xa_store(&row->details, client, e, GFP_KERNEL);
	if (xa_is_err(old)) {
		kfree(e);
		atomic_dec(&p2px_cache_detailed);
	} else if (old) {
		kfree_rcu(old, rcu);
		atomic_dec(&p2px_cache_detailed);
	}
}

/* Do two answers say the same thing? (Never memcmp: padding.) */
static bool p2px_result_same(const struct p2px_topo_result *a,
			     const struct p2px_topo_result *b)
{
	unsigned int i;

	if (a->map != b->map || a->reason != b->reason ||
	    a->detour != b->detour || a->hb_verdict != b->hb_verdict ||
	    a->distance != b->distance || a->has_common != b->has_common ||
	    a->common_id != b->common_id || a->acs_count != b->acs_count ||
	    a->same_host != b->same_host)
		return false;
	for (i = 0; i < min_t(unsigned int, a->acs_count, P2PX_TOPO_MAX_ACS); i++)
		if (a->acs[i].id != b->acs[i].id ||
		    a->acs[i].bits != b->acs[i].bits)
			return false;
	for (i = 0; i < ARRAY_SIZE(a->hb); i++)
		if (a->hb[i].id != b->hb[i].id ||
		    a->hb[i].listed != b->hb[i].listed ||
		    a->hb[i].flags != b->hb[i].flags)
			return false;
	return true;
}

/**
 * p2px_answer_begin() - start looking up answers for one provider
 * @q: the query
 * @provider: device whose memory would be used
 *
 * The provider's row and the cache generation are looked up once for all
 * the clients of one p2pdma_ext_distance_many() call.
 *
 * Context: process context; may sleep.
 */
void p2px_answer_begin(struct p2px_answer_query *q, struct pci_dev *provider)
{
	unsigned long pidx;

	q->provider = provider;
	q->epoch = p2px_epoch();
	q->row = p2px_cache_index(provider, &pidx) ?
		 p2px_cache_row(pidx, true) : NULL;
}

/**
 * p2px_answer_get() - map type and distance of a pair, cached
 * @q: the query, from p2px_answer_begin()
 * @client: device that would DMA to the provider
 * @ans: receives the answer
 *
 * What p2pdma_ext_distance_many() and p2pdma_ext_map_type() ask: a
 * current answer from the cache, or else the walker's, decided without
 * building an explanation, and then cached.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno from the walker.
 */
int p2px_answer_get(struct p2px_answer_query *q, struct pci_dev *client,
		    struct p2px_topo_answer *ans)
{
	unsigned long cidx, v, *slot;
	int ret;

	if (!q->row || !p2px_cache_index(client, &cidx))
		return p2px_answer_pair(q->provider, client, ans);
	slot = p2px_row_slot(q->row, cidx, false);
	v = slot ? READ_ONCE(*slot) : 0;
	if (p2px_ans_current(v, q->epoch)) {
		p2px_ans_unpack(v, ans);
		p2px_count(hits);
		return 0;
	}
	p2px_count(misses);
	ret = p2px_answer_pair(q->provider, client, ans);
	if (ret || !p2px_ans_fits(ans))
		return ret;
	v = p2px_ans_pack(q->epoch, ans);
	if (slot)
		WRITE_ONCE(*slot, v);
	else
		p2px_slot_set(q->row, cidx, v);
	return 0;
}

/**
 * p2px_pair_get() - the whole answer for one pair, cached or computed
 * @provider: device whose memory would be used
 * @client: device that would DMA to it
 * @res: receives the answer
 * @flags: P2PX_PAIR_CACHED to accept a current cache entry; without it the
 *	answer is recomputed and a cache entry that disagrees is replaced
 * @oflags: if not NULL, receives P2PX_PAIR_FROM_CACHE (a current entry
 *	existed) and P2PX_PAIR_REFRESHED (it disagreed with the hardware)
 *
 * A cached lookup that finds only the answer (map type and distance, as
 * kernel users' lookups store it) computes the rest; if the hardware no
 * longer agrees with that answer (an ACS write), it is replaced and
 * reported as refreshed, so that the result returned is always what
 * kernel users get from then on.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno from the walker.
 */
int p2px_pair_get(struct pci_dev *provider, struct pci_dev *client,
		  struct p2px_topo_result *res, unsigned int flags,
		  unsigned int *oflags)
{
	struct p2px_topo_result *cached = NULL;
	unsigned long epoch = p2px_epoch(), pidx, cidx;
	struct p2px_cache_row *row = NULL;
	struct p2px_topo_answer ans;
	unsigned int of = 0;
	int found = 0, ret;

	if (p2px_cache_index(provider, &pidx) &&
	    p2px_cache_index(client, &cidx))
		row = p2px_cache_row(pidx, true);
	if (flags & P2PX_PAIR_CACHED) {
		if (row)
			found = p2px_cache_find(row, cidx, epoch, &ans, res);
		if (found == 2) {
			p2px_count(hits);
			of = P2PX_PAIR_FROM_CACHE;
			ret = 0;
			goto out;
		}
		p2px_count(misses);
	} else {
		/* Recompute; compare with what the cache would have said. */
		p2px_count(fresh);
		cached = kmalloc(sizeof(*cached), GFP_KERNEL);
		if (row && cached)
			found = p2px_cache_find(row, cidx, epoch, &ans, cached);
	}

	ret = p2px_calc_pair(provider, client, res);
	if (ret)
		goto out;
	if (found)
		of |= P2PX_PAIR_FROM_CACHE;
	if (found && (ans.map != res->map || ans.distance != res->distance ||
		      (found == 2 && !p2px_result_same(cached, res)))) {
		of |= P2PX_PAIR_REFRESHED;
		p2px_count(refreshed);
	}
	if (row && (found != 2 || (of & P2PX_PAIR_REFRESHED)))
		p2px_cache_store(row, cidx, epoch, res);
out:
	kfree(cached);
	if (oflags)
		*oflags = of;
	return ret;
}

/*
 * Give back every detail; with @answers, empty every answer word too
 * (when the epoch wraps, and at module exit). Whoever takes a detail out
 * of @details frees it, so racing stores are fine. Takes p2px_cache_lock.
 */
static void p2px_cache_trim(bool answers)
{
	struct p2px_cache_entry *e, *gone;
	struct p2px_cache_block *b;
	struct p2px_cache_row *row;
	unsigned long p, c;
	unsigned int i;

	mutex_lock(&p2px_cache_lock);
	xa_for_each(&p2px_cache_rows, p, row) {
		xa_for_each(&row->details, c, e) {
			gone = xa_erase(&row->details, c);
			if (!gone)
				continue;	/* taken meanwhile */
			kfree_rcu(gone, rcu);
			atomic_dec(&p2px_cache_detailed);
		}
		if (!answers)
			continue;
		xa_for_each(&row->blocks, c, b)
			for (i = 0; i < P2PX_BLOCK_SLOTS; i++)
				WRITE_ONCE(b->slot[i], 0);
	}
	mutex_unlock(&p2px_cache_lock);
}

/**
 * p2px_topo_invalidate() - forget every cached answer
 *
 * Callers that changed what the walker reads publish that change before
 * calling: a lookup that sees the new generation also sees the change.
 *
 * Context: process context; takes p2px_cache_lock.
 */
void p2px_topo_invalidate(void)
{
	/* Orders the caller's change before the new generation. */
	smp_mb__before_atomic();
	atomic_inc(&p2px_cache_gen);
	p2px_count(invalidations);
	/* A wrapped epoch could make a stale answer look current. */
	if (!p2px_epoch())
		p2px_cache_trim(true);
	else if (atomic_read(&p2px_cache_detailed))
		p2px_cache_trim(false);
}

/**
 * p2pdma_ext_topology_flush() - forget every cached topology answer
 *
 * For a driver that has changed what the walker reads but the kernel does
 * not announce, such as a device's ACS Control register: the next lookups
 * walk the hierarchy again. Debugfs p2pdma_ext/flush does the same.
 *
 * Context: process context; may sleep.
 */
void p2pdma_ext_topology_flush(void)
{
	p2px_topo_invalidate();
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_topology_flush);

/* Current answers, counted (for the statistics only). */
static unsigned int p2px_cache_count_current(void)
{
	unsigned long epoch = p2px_epoch(), p, c;
	struct p2px_cache_block *b;
	struct p2px_cache_row *row;
	unsigned int n = 0, i;

	mutex_lock(&p2px_cache_lock);
	xa_for_each(&p2px_cache_rows, p, row)
		xa_for_each(&row->blocks, c, b)
			for (i = 0; i < P2PX_BLOCK_SLOTS; i++)
				n += p2px_ans_current(READ_ONCE(b->slot[i]),
						      epoch);
	mutex_unlock(&p2px_cache_lock);
	return n;
}

/**
 * p2px_topo_cache_stats() - counters of the cache
 * @st: filled in
 */
void p2px_topo_cache_stats(struct p2px_cache_stats *st)
{
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		const struct p2px_cache_counters *c = per_cpu_ptr(&p2px_stat,
								  cpu);

		st->hits += c->hits;
		st->misses += c->misses;
		st->fresh += c->fresh;
		st->refreshed += c->refreshed;
		st->invalidations += c->invalidations;
	}
	st->cache_gen = p2px_cache_generation();
	st->policy_gen = p2px_policy_generation();
	st->entries = p2px_cache_count_current();
	st->detailed = atomic_read(&p2px_cache_detailed);
}

static int p2px_pci_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
	case BUS_NOTIFY_DEL_DEVICE:
	case BUS_NOTIFY_REMOVED_DEVICE:
	case BUS_NOTIFY_BOUND_DRIVER:
	case BUS_NOTIFY_UNBOUND_DRIVER:
		p2px_topo_invalidate();
		break;
	default:
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block p2px_pci_nb = {
	.notifier_call = p2px_pci_notify,
};

/**
 * p2px_topo_cache_init() - set up the cache's PCI bus notifier
 *
 * Return: 0 or a negative errno.
 */
int p2px_topo_cache_init(void)
{
	return bus_register_notifier(&pci_bus_type, &p2px_pci_nb);
}

/**
 * p2px_topo_cache_exit() - tear down the notifier and free the cache
 */
void p2px_topo_cache_exit(void)
{
	struct p2px_cache_block *b;
	struct p2px_cache_row *row;
	unsigned long p, c;

	bus_unregister_notifier(&pci_bus_type, &p2px_pci_nb);
	p2px_cache_trim(false);
	/* No lookups are left: the module is going away. */
	memset(p2px_row_hint, 0, sizeof(p2px_row_hint));
	xa_for_each(&p2px_cache_rows, p, row) {
		xa_for_each(&row->blocks, c, b)
			kfree(b);
		xa_destroy(&row->blocks);
		xa_destroy(&row->details);
		kfree(row);
	}
	xa_destroy(&p2px_cache_rows);
	rcu_barrier();
}
