// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology cache: the walker's answers per provider/client pair,
 * kept true by invalidation.
 *
 * Key: both device ids (PCI domain, bus, devfn). An entry records the
 * cache generation and the allowlist policy generation it was computed
 * under; a lookup only accepts an entry whose generations are current, so
 * an invalidation takes effect at once, and the memory is reclaimed right
 * after (p2px_topo_invalidate() empties the table).
 *
 * What invalidates the cache:
 *  - a change of host_bridge_allow, host_bridge_deny or
 *    trust_all_host_bridges (the policy generation in allowlist.c);
 *  - a PCI device added or removed, a driver bound or unbound (a notifier
 *    on pci_bus_type);
 *  - a write to debugfs p2pdma_ext/flush.
 * What cannot be detected: the kernel has no notification for writes to a
 * device's ACS Control register (setpci, sysfs config writes, firmware,
 * or a reset restoring saved state). Callers that explain an answer (the
 * "why" ioctl, debugfs, p2pdma_ext_explain(), verbose distance queries)
 * therefore never trust the cache: they recompute from the hardware and
 * replace a cached entry that no longer agrees, which is also how an ACS
 * change reaches later cached lookups.
 *
 * Locking: lookups run under rcu_read_lock() and copy the answer out; an
 * entry is never modified once inserted, only replaced or removed.
 * p2px_cache_lock (a mutex) serialises every insertion, replacement and
 * removal, and protects p2px_cache_list. Entries are freed with
 * kfree_rcu().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "compat.h"
#include "internal.h"
#include "topology_core.h"

/*
 * Twice this many entries at most; beyond that the table is emptied. The
 * whole matrix of a machine with 180 PCI functions fits.
 */
#define P2PX_CACHE_MAX_SIZE	16384
/* Buckets kept when the table shrinks: no resizing churn after a flush. */
#define P2PX_CACHE_MIN_SIZE	256

struct p2px_pair_key {
	u64 provider;
	u64 client;
};

struct p2px_cache_entry {
	struct rhash_head node;
	struct p2px_pair_key key;
	struct list_head list;
	unsigned int cache_gen;
	unsigned int policy_gen;
	struct p2px_topo_result res;
	struct rcu_head rcu;
};

static const struct rhashtable_params p2px_cache_params = {
	.key_len = sizeof(struct p2px_pair_key),
	.key_offset = offsetof(struct p2px_cache_entry, key),
	.head_offset = offsetof(struct p2px_cache_entry, node),
	.max_size = P2PX_CACHE_MAX_SIZE,
	.min_size = P2PX_CACHE_MIN_SIZE,
	.automatic_shrinking = true,
};

static struct rhashtable p2px_cache;
static DEFINE_MUTEX(p2px_cache_lock);
static LIST_HEAD(p2px_cache_list);		/* under p2px_cache_lock */
static unsigned int p2px_cache_entries;		/* under p2px_cache_lock */
static atomic_t p2px_cache_gen = ATOMIC_INIT(0);

static atomic64_t p2px_stat_hits = ATOMIC64_INIT(0);
static atomic64_t p2px_stat_misses = ATOMIC64_INIT(0);
static atomic64_t p2px_stat_fresh = ATOMIC64_INIT(0);
static atomic64_t p2px_stat_refreshed = ATOMIC64_INIT(0);
static atomic64_t p2px_stat_invalidations = ATOMIC64_INIT(0);

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
 * Return: the function with a reference (pci_dev_put() it), or NULL.
 */
struct pci_dev *p2px_pci_get_by_id(u64 id)
{
	u64 domain = P2PX_TOPO_ID_DOMAIN(id);

	if (domain > INT_MAX)
		return NULL;
	return pci_get_domain_bus_and_slot((int)domain, P2PX_TOPO_ID_BUS(id),
					   P2PX_TOPO_ID_DEVFN(id));
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

/* A current entry for @key, copied to @res; false if none. */
static bool p2px_cache_find(const struct p2px_pair_key *key,
			    unsigned int cgen, unsigned int pgen,
			    struct p2px_topo_result *res)
{
	struct p2px_cache_entry *e;
	bool found = false;

	rcu_read_lock();
	e = rhashtable_lookup(&p2px_cache, key, p2px_cache_params);
	if (e && e->cache_gen == cgen && e->policy_gen == pgen) {
		*res = e->res;
		found = true;
	}
	rcu_read_unlock();
	return found;
}

/* Remove every entry. Caller holds p2px_cache_lock. */
static void p2px_cache_empty_locked(void)
{
	struct p2px_cache_entry *e, *tmp;

	lockdep_assert_held(&p2px_cache_lock);
	list_for_each_entry_safe(e, tmp, &p2px_cache_list, list) {
		rhashtable_remove_fast(&p2px_cache, &e->node, p2px_cache_params);
		list_del(&e->list);
		kfree_rcu(e, rcu);
	}
	p2px_cache_entries = 0;
}

/* Insert or replace the entry for @key, unless the cache moved on. */
static void p2px_cache_store(const struct p2px_pair_key *key,
			     unsigned int cgen, unsigned int pgen,
			     const struct p2px_topo_result *res)
{
	struct p2px_cache_entry *e, *old;

	e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return;		/* only a cache: the answer stands */
	e->key = *key;
	e->cache_gen = cgen;
	e->policy_gen = pgen;
	e->res = *res;

	mutex_lock(&p2px_cache_lock);
	if (cgen != p2px_cache_generation() ||
	    pgen != p2px_policy_generation())
		goto drop;	/* computed before an invalidation */
	if (p2px_cache_entries >= 2 * P2PX_CACHE_MAX_SIZE - 1)
		p2px_cache_empty_locked();
	old = rhashtable_lookup_get_insert_fast(&p2px_cache, &e->node,
						p2px_cache_params);
	if (IS_ERR(old))
		goto drop;
	if (old) {
		if (rhashtable_replace_fast(&p2px_cache, &old->node, &e->node,
					    p2px_cache_params))
			goto drop;
		list_del(&old->list);
		kfree_rcu(old, rcu);
	} else {
		p2px_cache_entries++;
	}
	list_add(&e->list, &p2px_cache_list);
	mutex_unlock(&p2px_cache_lock);
	return;

drop:
	mutex_unlock(&p2px_cache_lock);
	kfree(e);
}

/**
 * p2px_pair_get() - the answer for one pair, from the cache or computed
 * @provider: device whose memory would be used
 * @client: device that would DMA to it
 * @res: receives the answer
 * @flags: P2PX_PAIR_CACHED to accept a current cache entry; without it the
 *	answer is recomputed and a cache entry that disagrees is replaced
 * @oflags: if not NULL, receives P2PX_PAIR_FROM_CACHE (a current entry
 *	existed) and P2PX_PAIR_REFRESHED (it disagreed with the hardware)
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno from the walker.
 */
int p2px_pair_get(struct pci_dev *provider, struct pci_dev *client,
		  struct p2px_topo_result *res, unsigned int flags,
		  unsigned int *oflags)
{
	struct p2px_pair_key key = {
		.provider = p2px_pci_id(provider),
		.client = p2px_pci_id(client),
	};
	struct p2px_topo_result *cached;
	unsigned int cgen, pgen, of = 0;
	bool have;
	int ret;

	cgen = p2px_cache_generation();
	pgen = p2px_policy_generation();

	if (flags & P2PX_PAIR_CACHED) {
		if (p2px_cache_find(&key, cgen, pgen, res)) {
			atomic64_inc(&p2px_stat_hits);
			of = P2PX_PAIR_FROM_CACHE;
			ret = 0;
			goto out;
		}
		atomic64_inc(&p2px_stat_misses);
		ret = p2px_calc_pair(provider, client, res);
		if (!ret)
			p2px_cache_store(&key, cgen, pgen, res);
		goto out;
	}

	/* Recompute; compare with what the cache would have said. */
	atomic64_inc(&p2px_stat_fresh);
	cached = kmalloc(sizeof(*cached), GFP_KERNEL);
	have = cached && p2px_cache_find(&key, cgen, pgen, cached);
	ret = p2px_calc_pair(provider, client, res);
	if (!ret) {
		if (have)
			of |= P2PX_PAIR_FROM_CACHE;
		if (have && !p2px_result_same(cached, res)) {
			of |= P2PX_PAIR_REFRESHED;
			atomic64_inc(&p2px_stat_refreshed);
		}
		if (!have || (of & P2PX_PAIR_REFRESHED))
			p2px_cache_store(&key, cgen, pgen, res);
	}
	kfree(cached);
out:
	if (oflags)
		*oflags = of;
	return ret;
}

/**
 * p2px_topo_invalidate() - forget every cached answer
 *
 * Context: process context; takes p2px_cache_lock.
 */
void p2px_topo_invalidate(void)
{
	atomic_inc(&p2px_cache_gen);
	atomic64_inc(&p2px_stat_invalidations);
	mutex_lock(&p2px_cache_lock);
	p2px_cache_empty_locked();
	mutex_unlock(&p2px_cache_lock);
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

/**
 * p2px_topo_cache_stats() - counters of the cache
 * @st: filled in
 */
void p2px_topo_cache_stats(struct p2px_cache_stats *st)
{
	st->hits = atomic64_read(&p2px_stat_hits);
	st->misses = atomic64_read(&p2px_stat_misses);
	st->fresh = atomic64_read(&p2px_stat_fresh);
	st->refreshed = atomic64_read(&p2px_stat_refreshed);
	st->invalidations = atomic64_read(&p2px_stat_invalidations);
	st->cache_gen = p2px_cache_generation();
	st->policy_gen = p2px_policy_generation();
	mutex_lock(&p2px_cache_lock);
	st->entries = p2px_cache_entries;
	mutex_unlock(&p2px_cache_lock);
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

static void p2px_cache_free_one(void *ptr, void *arg)
{
	kfree(ptr);
}

/**
 * p2px_topo_cache_init() - set up the cache and its PCI bus notifier
 *
 * Return: 0 or a negative errno.
 */
int p2px_topo_cache_init(void)
{
	int ret;

	ret = rhashtable_init(&p2px_cache, &p2px_cache_params);
	if (ret)
		return ret;
	ret = bus_register_notifier(&pci_bus_type, &p2px_pci_nb);
	if (ret) {
		rhashtable_destroy(&p2px_cache);
		return ret;
	}
	return 0;
}

/**
 * p2px_topo_cache_exit() - tear down what p2px_topo_cache_init() set up
 */
void p2px_topo_cache_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &p2px_pci_nb);
	mutex_lock(&p2px_cache_lock);
	INIT_LIST_HEAD(&p2px_cache_list);
	p2px_cache_entries = 0;
	mutex_unlock(&p2px_cache_lock);
	rhashtable_free_and_destroy(&p2px_cache, p2px_cache_free_one, NULL);
	rcu_barrier();
}
