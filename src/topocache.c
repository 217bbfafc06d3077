// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology cache: the walker's answers per provider/client pair,
 * kept true by invalidation.
 *
 * Layout: every PCI function asked about gets an entry, a struct p2px_dev,
 * found by its id (PCI domain, bus, devfn) in two steps: a page per bus
 * (p2px_pages0[] for domain 0, the p2px_pages xarray for the others),
 * then the devfn. Entries stay until the module unloads, so the id keeps
 * its entry and its dense index @idx for good. An entry holds
 *  - the record of the device's upstream chain (struct p2px_chain_rec:
 *    the bridges, which of them have an ACS capability, the host bridge),
 *    from which a walk computes the path to another device without going
 *    up the hierarchy again, and which of those bridges had P2P redirect
 *    set in ACS Control when last read, with the epoch of that reading;
 *  - for a provider, its row: one answer word per client (its epoch, the
 *    map type and the distance: all that p2pdma_ext_distance_many() and
 *    p2pdma_ext_map_type() need), by the client's @idx, in chunks of
 *    P2PX_CHUNK_SLOTS words;
 *  - the details: for pairs that an explaining interface (ioctls, debugfs)
 *    asked about, the whole result, in @details by the client's @idx; a
 *    detail counts only while the answer word stored with it is still the
 *    pair's.
 * An answer is current when its epoch is the cache generation; lookups
 * only accept current answers, so an invalidation takes effect at once by
 * bumping the generation. The words stay where they are, so filling the
 * cache again allocates nothing; the details are given back right after
 * an invalidation. A record is current while its device is the one it was
 * built for and its generation is the topology generation, which only a
 * device added or removed (or a driver bound or unbound) bumps: a flush
 * for an ACS change keeps the records. ACS Control is read again in every
 * epoch: the first walk of the epoch that needs a chain's reads takes
 * them for the whole chain (one read per device with the capability) and
 * the walks after it use them, so a cold pass over many pairs reads each
 * device once rather than once per pair; a flush makes the next walks
 * read the hardware again.
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
 * therefore never trust the cache: they recompute from the hardware, and
 * when a cached answer no longer agrees they invalidate the cache (the
 * change may concern other pairs and the ACS readings too) and store the
 * new answer in the new epoch, which is how an ACS change reaches later
 * cached lookups.
 *
 * Locking: an answer word is read and written whole (READ_ONCE(),
 * WRITE_ONCE()) without a lock: racing lookups each store a right answer,
 * and one computed before an invalidation carries the old epoch. Pages,
 * entries, rows and chunks are only added (cmpxchg(), or under
 * p2px_dev_lock, a spinlock that also assigns @idx) until the module
 * unloads, so pointers to them stay valid. A record is rewritten under
 * p2px_dev_lock inside a write section of the entry's seqcount @seq;
 * readers copy what they need in a read section and retry when it
 * changed. A struct p2px_cache_entry is never modified once stored, only
 * replaced; whoever takes it out of @details frees it with kfree_rcu(),
 * and readers copy it under rcu_read_lock(). p2px_cache_lock (a mutex)
 * serialises the walks over all entries (invalidation, statistics, module
 * exit).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "compat.h"
#include "internal.h"
#include "topology_core.h"

/* Whole results kept at most (about 330 bytes each); past that, answers. */
#define P2PX_CACHE_MAX_DETAILED	32768

/* Answer words per chunk of a row; chunks per row: the most entries. */
#define P2PX_CHUNK_BITS		6
#define P2PX_CHUNK_SLOTS	BIT(P2PX_CHUNK_BITS)
#define P2PX_ROW_CHUNKS		256
#define P2PX_DEV_MAX		(P2PX_ROW_CHUNKS * P2PX_CHUNK_SLOTS)

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

/**
 * struct p2px_dev - what the cache keeps of one PCI function (one id)
 * @seq: guards @pdev, @gen and @rec (writers hold p2px_dev_lock)
 * @pdev: the device @rec describes, NULL for none yet
 * @gen: the topology generation @rec was built in
 * @idx: dense index: the entry's answer word in every row
 * @row: answers as a provider: P2PX_ROW_CHUNKS chunks, NULL until used
 * @details: client @idx -> struct p2px_cache_entry
 * @next: the next entry on p2px_devs
 * @rec: the upstream chain
 * @acs_stamp: 1 + the cache epoch @acs_redir was read in, 0 for never
 *	(also guarded by @seq)
 * @acs_redir: bit k set: @rec.top[k] had P2P redirect set in ACS Control
 */
struct p2px_dev {
	seqcount_spinlock_t seq;
	struct pci_dev *pdev;
	unsigned int gen;
	unsigned int idx;
	unsigned long **row;
	struct xarray details;
	struct p2px_dev *next;
	struct p2px_chain_rec rec;
	unsigned long acs_stamp;
	u16 acs_redir;
};

/**
 * struct p2px_dev_page - the entries of one bus, by devfn
 * @dev: the entries, NULL where none yet
 */
struct p2px_dev_page {
	struct p2px_dev *dev[256];
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

static struct p2px_dev_page *p2px_pages0[256];	/* domain 0: bus -> page */
static DEFINE_XARRAY(p2px_pages);	/* domain << 8 | bus -> page */
static struct p2px_dev *p2px_devs;	/* every entry, newest first */
static unsigned int p2px_ndevs;		/* entries, under p2px_dev_lock */
static DEFINE_SPINLOCK(p2px_dev_lock);
static DEFINE_MUTEX(p2px_cache_lock);
static atomic_t p2px_cache_gen = ATOMIC_INIT(0);
static atomic_t p2px_topo_gen = ATOMIC_INIT(1);
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

/* The slot of @pdev's entry in its bus page, the page created if @create. */
static struct p2px_dev **p2px_dev_slot(struct pci_dev *pdev, bool create)
{
	int domain = pci_domain_nr(pdev->bus);
	struct p2px_dev_page *page, *old;
	unsigned long key;

	if (likely(!domain)) {
		page = READ_ONCE(p2px_pages0[pdev->bus->number]);
		if (likely(page) || !create)
			goto out;
		page = kzalloc(sizeof(*page), GFP_KERNEL);
		if (!page)
			return NULL;
		old = cmpxchg(&p2px_pages0[pdev->bus->number], NULL, page);
		if (old) {
			kfree(page);
			page = old;
		}
		goto out;
	}
	key = (unsigned long)domain << 8 | pdev->bus->number;
	if (domain < 0 || key >> 8 != (unsigned long)domain)
		return NULL;	/* does not fit (32-bit only) */
	page = xa_load(&p2px_pages, key);
	if (page || !create)
		goto out;
	page = kzalloc(sizeof(*page), GFP_KERNEL);
	if (!page)
		return NULL;
	old = xa_cmpxchg(&p2px_pages, key, NULL, page, GFP_KERNEL);
	if (old) {
		kfree(page);
		page = xa_is_err(old) ? NULL : old;
	}
out:
	return page ? &page->dev[pdev->devfn] : NULL;
}

static noinline struct p2px_dev *p2px_dev_create(struct pci_dev *pdev)
{
	struct p2px_dev **slot = p2px_dev_slot(pdev, true), *e, *old;

	if (!slot)
		return NULL;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return NULL;
	seqcount_spinlock_init(&e->seq, &p2px_dev_lock);
	xa_init(&e->details);
	spin_lock(&p2px_dev_lock);
	old = *slot;
	if (!old && p2px_ndevs < P2PX_DEV_MAX) {
		e->idx = p2px_ndevs++;
		e->next = p2px_devs;
		/* The entry is complete before it can be found ... */
		smp_store_release(&p2px_devs, e);
		/* ... on the list and by its id (pairs with READ_ONCE()). */
		smp_store_release(slot, e);
	}
	spin_unlock(&p2px_dev_lock);
	if (READ_ONCE(*slot) != e) {
		kfree(e);
		e = old;
	}
	return e;
}

/* The newest entry: the list of every entry, for walks over all of them. */
static struct p2px_dev *p2px_devs_first(void)
{
	/* Pairs with the release in p2px_dev_create(). */
	return smp_load_acquire(&p2px_devs);
}

/* p2px_dev_get() for all but an existing entry in domain 0. */
static noinline struct p2px_dev *p2px_dev_get_slow(struct pci_dev *pdev)
{
	struct p2px_dev **slot = p2px_dev_slot(pdev, false);
	struct p2px_dev *e = slot ? READ_ONCE(*slot) : NULL;

	return e ? e : p2px_dev_create(pdev);
}

/* The entry of @pdev, created if need be; NULL without memory or room. */
static __always_inline struct p2px_dev *p2px_dev_get(struct pci_dev *pdev)
{
	struct p2px_dev_page *page;
	struct p2px_dev *e = NULL;

	if (likely(!pci_domain_nr(pdev->bus))) {
		page = READ_ONCE(p2px_pages0[pdev->bus->number]);
		if (likely(page))
			e = READ_ONCE(page->dev[pdev->devfn]);
	}
	return likely(e) ? e : p2px_dev_get_slow(pdev);
}

/* The row of @e (created if need be), or NULL. */
static unsigned long **p2px_dev_row(struct p2px_dev *e)
{
	unsigned long **row = READ_ONCE(e->row), **old;

	if (likely(row))
		return row;
	row = kcalloc(P2PX_ROW_CHUNKS, sizeof(*row), GFP_KERNEL);
	if (!row)
		return NULL;
	old = cmpxchg(&e->row, NULL, row);
	if (old) {
		kfree(row);
		row = old;
	}
	return row;
}

/* The chunk of @row holding @idx, created if @create; NULL if none. */
static unsigned long *p2px_row_chunk(unsigned long **row, unsigned int idx,
				     bool create)
{
	unsigned long **cp = &row[idx >> P2PX_CHUNK_BITS];
	unsigned long *chunk = READ_ONCE(*cp), *old;

	if (chunk || !create)
		return chunk;
	chunk = kcalloc(P2PX_CHUNK_SLOTS, sizeof(*chunk), GFP_KERNEL);
	if (!chunk)
		return NULL;
	old = cmpxchg(cp, NULL, chunk);
	if (old) {
		kfree(chunk);
		chunk = old;
	}
	return chunk;
}

/* The answer word of @client (entry) in @row, or NULL if not there yet. */
static unsigned long *p2px_row_slot(unsigned long **row, struct p2px_dev *client,
				    bool create)
{
	unsigned long *chunk = row ? p2px_row_chunk(row, client->idx, create) :
				     NULL;

	return chunk ? &chunk[client->idx & (P2PX_CHUNK_SLOTS - 1)] : NULL;
}

/*
 * p2px_rec_path() - the path between two devices, from their records
 * @p: the provider's record (@p->len not 0)
 * @c: the client's record (@c->len not 0)
 * @path: filled in
 *
 * The rules of p2px_direct(): the deepest device on both chains is the
 * common one (both chains hold the same devices above it, so it ends
 * their common prefix); ACS counts on the provider's side up to and
 * including it, on the client's side below it (@path->pacs, @path->cacs:
 * those positions in each chain). Compares pointers only:
 * callers may call it on records that a writer changes meanwhile, and
 * use @path only once they know the records were stable.
 */
static void p2px_rec_path(const struct p2px_chain_rec *p,
			  const struct p2px_chain_rec *c,
			  struct p2px_rec_path *path)
{
	int n = min(p->len, c->len), k = 0, b;
	unsigned int m;

	while (k < n && p->top[k] == c->top[k])
		k++;
	path->nacs = 0;
	path->redirect = false;
	path->pacs = 0;
	path->cacs = 0;
	path->common = k != 0;
	path->distance = p->len + c->len - 2 * k;
	if (k) {
		path->pacs = p->acs & ~(BIT(k - 1) - 1);
		path->cacs = c->acs & ~(BIT(k) - 1);
		for (m = p->acs >> (k - 1), b = k - 1; m; m >>= 1, b++)
			if (m & 1)
				path->acs[path->nacs++] = p->top[b];
		for (m = c->acs >> k, b = k; m; m >>= 1, b++)
			if (m & 1)
				path->acs[path->nacs++] = c->top[b];
	}
	if (!k || path->nacs) {
		path->host[0] = p->host;
		path->host[1] = c->host;
	}
}

/* Rebuild the record of @e for @pdev in topology generation @tgen. */
static noinline void p2px_dev_refresh(struct p2px_dev *e, struct pci_dev *pdev,
				      unsigned int tgen)
{
	spin_lock(&p2px_dev_lock);
	write_seqcount_begin(&e->seq);
	p2px_rec_build(pdev, &e->rec);
	e->pdev = pdev;
	e->gen = tgen;
	e->acs_stamp = 0;	/* its bits are positions in the old record */
	write_seqcount_end(&e->seq);
	spin_unlock(&p2px_dev_lock);
}

/*
 * Read ACS Control of the devices on @e's chain that have the capability
 * and keep which redirect, for lookups in cache epoch @epoch. Its record
 * must be current (the caller's references hold the chain's devices).
 */
static noinline void p2px_dev_acs_refresh(struct p2px_dev *e,
					  unsigned long epoch)
{
	struct p2px_chain_rec rec;
	unsigned int s;
	u16 redir;

	do {
		s = read_seqcount_begin(&e->seq);
		rec = e->rec;
	} while (read_seqcount_retry(&e->seq, s));
	redir = p2px_rec_acs_redirects(&rec);
	spin_lock(&p2px_dev_lock);
	/* Only for the record the reads were for. */
	if (!read_seqcount_retry(&e->seq, s)) {
		write_seqcount_begin(&e->seq);
		e->acs_redir = redir;
		e->acs_stamp = epoch + 1;
		write_seqcount_end(&e->seq);
	}
	spin_unlock(&p2px_dev_lock);
}

/* Is @e's record the current one of @pdev? Call in a read section. */
static bool p2px_dev_current(const struct p2px_dev *e, struct pci_dev *pdev,
			     unsigned int tgen)
{
	return e->pdev == pdev && e->gen == tgen;
}

/*
 * The answer for @provider/@client from the records of their entries
 * @pe/@ce, rebuilt first where they are not current, in cache epoch
 * @epoch. Which devices on the path redirect comes from the entries' ACS
 * readings of this epoch, taken first where there are none. Return: 0
 * with @ans filled in, or -E2BIG when a chain is too deep for a record
 * (walk it).
 */
static int p2px_dev_answer(struct p2px_dev *pe, struct pci_dev *provider,
			   struct p2px_dev *ce, struct pci_dev *client,
			   unsigned int tgen, unsigned long epoch,
			   struct p2px_topo_answer *ans)
{
	/* Not cleared on entry (init_stack_all_zero): only set fields are read. */
	struct p2px_rec_path path __uninitialized;
	bool pok, cok, deep, pacs = false, cacs = false;
	unsigned int ps, cs, tries;
	u16 predir = 0, credir = 0;

	for (tries = 0; tries < 4; tries++) {
		ps = read_seqcount_begin(&pe->seq);
		cs = read_seqcount_begin(&ce->seq);
		pok = p2px_dev_current(pe, provider, tgen);
		cok = p2px_dev_current(ce, client, tgen);
		deep = !pe->rec.len || !ce->rec.len;
		if (pok && cok && !deep) {
			p2px_rec_path(&pe->rec, &ce->rec, &path);
			pacs = pe->acs_stamp == epoch + 1;
			cacs = ce->acs_stamp == epoch + 1;
			predir = pe->acs_redir;
			credir = ce->acs_redir;
		}
		if (read_seqcount_retry(&pe->seq, ps) ||
		    read_seqcount_retry(&ce->seq, cs))
			continue;
		if (!pok || !cok) {
			if (!pok)
				p2px_dev_refresh(pe, provider, tgen);
			if (!cok && ce != pe)
				p2px_dev_refresh(ce, client, tgen);
			continue;
		}
		if (deep)
			return -E2BIG;
		if (path.common && path.nacs) {
			/* This epoch's ACS Control, read once per chain. */
			pacs = pacs || !path.pacs;
			cacs = cacs || !path.cacs;
			if (!pacs || !cacs) {
				if (!pacs)
					p2px_dev_acs_refresh(pe, epoch);
				if (!cacs && ce != pe)
					p2px_dev_acs_refresh(ce, epoch);
				continue;
			}
			path.redirect = (predir & path.pacs) ||
					(credir & path.cacs);
			path.nacs = 0;
		}
		p2px_rec_answer(&path, ans);
		return 0;
	}
	return -E2BIG;	/* records keep changing: walk */
}

/* The answer of a pair, from the records or else by a walk. */
static int p2px_dev_pair(struct p2px_dev *pe, struct pci_dev *provider,
			 struct p2px_dev *ce, struct pci_dev *client,
			 unsigned int tgen, unsigned long epoch,
			 struct p2px_topo_answer *ans)
{
	if (pe && ce &&
	    !p2px_dev_answer(pe, provider, ce, client, tgen, epoch, ans))
		return 0;
	return p2px_answer_pair(provider, client, ans);
}

static unsigned int p2px_topo_generation(void)
{
	return (unsigned int)atomic_read_acquire(&p2px_topo_gen);
}

/*
 * The current entry for a pair: its answer in @ans and, if its details
 * are cached and @res is not NULL, the whole result in @res. Return: 0 for
 * no current entry, 1 for an answer only, 2 for a whole result too.
 */
static int p2px_cache_find(struct p2px_dev *pe, struct p2px_dev *ce,
			   unsigned long epoch, struct p2px_topo_answer *ans,
			   struct p2px_topo_result *res)
{
	unsigned long *slot = p2px_row_slot(READ_ONCE(pe->row), ce, false);
	unsigned long v = slot ? READ_ONCE(*slot) : 0;
	struct p2px_cache_entry *e;
	int found = 1;

	if (!p2px_ans_current(v, epoch))
		return 0;
	p2px_ans_unpack(v, ans);
	if (!res)
		return found;
	rcu_read_lock();
	e = xa_load(&pe->details, ce->idx);
	if (e && e->answer == v) {
		*res = e->res;
		found = 2;
	}
	rcu_read_unlock();
	return found;
}

/* Store a whole result: its answer word and (up to the limit) details. */
static void p2px_cache_store(struct p2px_dev *pe, struct p2px_dev *ce,
			     unsigned long epoch,
			     const struct p2px_topo_result *res)
{
	struct p2px_topo_answer ans = {
		.map = res->map, .distance = res->distance,
	};
	struct p2px_cache_entry *e = NULL, *old;
	unsigned long v, *slot;

	if (!p2px_ans_fits(&ans))
		return;
	v = p2px_ans_pack(epoch, &ans);
	slot = p2px_row_slot(p2px_dev_row(pe), ce, true);
	if (!slot)
		return;		/* without memory the cache just lacks it */
	WRITE_ONCE(*slot, v);
	if (atomic_inc_return(&p2px_cache_detailed) <= P2PX_CACHE_MAX_DETAILED)
		e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e) {
		atomic_dec(&p2px_cache_detailed);
		return;
	}
	e->answer = v;
	e->res = *res;
	old = xa_store(&pe->details, ce->idx, e, GFP_KERNEL);
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
 * The provider's entry, its row and the generations are looked up once
 * for all the clients of one p2pdma_ext_distance_many() call.
 *
 * Context: process context; may sleep.
 */
void p2px_answer_begin(struct p2px_answer_query *q, struct pci_dev *provider)
{
	q->provider = provider;
	/* The epoch first: a newer epoch implies the newer topology. */
	q->epoch = p2px_epoch();
	q->tgen = p2px_topo_generation();
	q->dev = p2px_dev_get(provider);
	q->row = q->dev ? p2px_dev_row(q->dev) : NULL;
}

/**
 * p2px_answer_get() - map type and distance of a pair, cached
 * @q: the query, from p2px_answer_begin()
 * @client: device that would DMA to the provider
 * @ans: receives the answer
 *
 * What p2pdma_ext_distance_many() and p2pdma_ext_map_type() ask: a
 * current answer from the cache, or else the walker's, decided without
 * building an explanation (from the chain records where they are
 * current), and then cached.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno from the walker.
 */
int p2px_answer_get(struct p2px_answer_query *q, struct pci_dev *client,
		    struct p2px_topo_answer *ans)
{
	struct p2px_dev *ce;
	unsigned long v, *chunk;
	unsigned int i;
	int ret;

	if (unlikely(!q->row))
		return p2px_answer_pair(q->provider, client, ans);
	ce = p2px_dev_get(client);
	if (unlikely(!ce))
		return p2px_answer_pair(q->provider, client, ans);
	i = ce->idx & (P2PX_CHUNK_SLOTS - 1);
	chunk = READ_ONCE(q->row[ce->idx >> P2PX_CHUNK_BITS]);
	v = chunk ? READ_ONCE(chunk[i]) : 0;
	if (p2px_ans_current(v, q->epoch)) {
		p2px_ans_unpack(v, ans);
		p2px_count(hits);
		return 0;
	}
	p2px_count(misses);
	ret = p2px_dev_pair(q->dev, q->provider, ce, client, q->tgen, q->epoch,
			    ans);
	if (ret || !p2px_ans_fits(ans))
		return ret;
	if (!chunk)
		chunk = p2px_row_chunk(q->row, ce->idx, true);
	if (chunk)
		WRITE_ONCE(chunk[i], p2px_ans_pack(q->epoch, ans));
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
	unsigned long epoch = p2px_epoch();
	struct p2px_dev *pe, *ce = NULL;
	struct p2px_topo_answer ans;
	unsigned int of = 0;
	int found = 0, ret;

	pe = p2px_dev_get(provider);
	if (pe)
		ce = p2px_dev_get(client);
	if (!ce)
		pe = NULL;
	if (flags & P2PX_PAIR_CACHED) {
		if (pe)
			found = p2px_cache_find(pe, ce, epoch, &ans, res);
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
		if (pe && cached)
			found = p2px_cache_find(pe, ce, epoch, &ans, cached);
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
		/*
		 * The hardware changed unannounced (an ACS write): answers and
		 * ACS readings of other pairs may be as old, so all go, and
		 * this one is stored in the new epoch.
		 */
		p2px_topo_invalidate();
		epoch = p2px_epoch();
	}
	if (pe && (found != 2 || (of & P2PX_PAIR_REFRESHED)))
		p2px_cache_store(pe, ce, epoch, res);
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
	struct p2px_cache_entry *ce, *gone;
	unsigned long c, *chunk;
	struct p2px_dev *e;
	unsigned int i, j;

	mutex_lock(&p2px_cache_lock);
	for (e = p2px_devs_first(); e; e = e->next) {
		xa_for_each(&e->details, c, ce) {
			gone = xa_erase(&e->details, c);
			if (!gone)
				continue;	/* taken meanwhile */
			kfree_rcu(gone, rcu);
			atomic_dec(&p2px_cache_detailed);
		}
		if (!answers)
			continue;
		/* The epoch wrapped: old ACS readings could look current. */
		spin_lock(&p2px_dev_lock);
		write_seqcount_begin(&e->seq);
		e->acs_stamp = 0;
		write_seqcount_end(&e->seq);
		spin_unlock(&p2px_dev_lock);
		if (!READ_ONCE(e->row))
			continue;
		for (i = 0; i < P2PX_ROW_CHUNKS; i++) {
			chunk = READ_ONCE(e->row[i]);
			for (j = 0; chunk && j < P2PX_CHUNK_SLOTS; j++)
				WRITE_ONCE(chunk[j], 0);
		}
	}
	mutex_unlock(&p2px_cache_lock);
}

/* Forget every record (when the topology generation wraps). */
static void p2px_records_forget(void)
{
	struct p2px_dev *e;

	mutex_lock(&p2px_cache_lock);
	for (e = p2px_devs_first(); e; e = e->next) {
		spin_lock(&p2px_dev_lock);
		write_seqcount_begin(&e->seq);
		e->pdev = NULL;
		write_seqcount_end(&e->seq);
		spin_unlock(&p2px_dev_lock);
	}
	mutex_unlock(&p2px_cache_lock);
}

/**
 * p2px_topo_stamp() - the cache generation, for answers kept elsewhere
 *
 * An answer decided after reading a stamp stays as true as a cached one
 * while the stamp reads the same: whatever invalidates the cache (a
 * policy change, a device or driver come or gone, a flush) changes it.
 *
 * Context: any.
 * Return: the current cache generation.
 */
unsigned int p2px_topo_stamp(void)
{
	return p2px_cache_generation();
}

/**
 * p2px_topo_invalidate() - forget every cached answer
 *
 * Callers that changed what the walker reads publish that change before
 * calling: a lookup that sees the new generation also sees the change.
 * The chain records stay: only p2px_topo_changed() drops them.
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

/*
 * A device was added or removed, a driver bound or unbound: forget the
 * chain records and every answer.
 */
static void p2px_topo_changed(void)
{
	/* Before the epoch: a lookup that sees the new epoch sees it too. */
	if (atomic_inc_return(&p2px_topo_gen) == 0)
		p2px_records_forget();
	p2px_topo_invalidate();
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
	unsigned long epoch = p2px_epoch(), *chunk;
	unsigned int n = 0, i, j;
	struct p2px_dev *e;

	mutex_lock(&p2px_cache_lock);
	for (e = p2px_devs_first(); e; e = e->next) {
		if (!READ_ONCE(e->row))
			continue;
		for (i = 0; i < P2PX_ROW_CHUNKS; i++) {
			chunk = READ_ONCE(e->row[i]);
			for (j = 0; chunk && j < P2PX_CHUNK_SLOTS; j++)
				n += p2px_ans_current(READ_ONCE(chunk[j]),
						      epoch);
		}
	}
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
		p2px_topo_changed();
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
	struct p2px_dev_page *page;
	struct p2px_dev *e, *next;
	unsigned long key;
	unsigned int i;

	bus_unregister_notifier(&pci_bus_type, &p2px_pci_nb);
	p2px_cache_trim(false);
	/* No lookups are left: the module is going away. */
	for (e = p2px_devs; e; e = next) {
		next = e->next;
		if (e->row)
			for (i = 0; i < P2PX_ROW_CHUNKS; i++)
				kfree(e->row[i]);
		kfree(e->row);
		xa_destroy(&e->details);
		kfree(e);
	}
	p2px_devs = NULL;
	p2px_ndevs = 0;
	for (i = 0; i < ARRAY_SIZE(p2px_pages0); i++) {
		kfree(p2px_pages0[i]);
		p2px_pages0[i] = NULL;
	}
	xa_for_each(&p2px_pages, key, page)
		kfree(page);
	xa_destroy(&p2px_pages);
	rcu_barrier();
}
