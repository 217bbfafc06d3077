// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext provider registry, native back end: the kernel has its own
 * PCI P2PDMA (CONFIG_PCI_P2PDMA), so every call goes to it but the
 * choice of a provider: find is ours over the kernel's providers, so that
 * the module's policy decides it (p2px_native_find_many()). Providers
 * registered through p2pdma_ext and by in-kernel drivers (the NVMe CMB)
 * then share one registry, one sysfs p2pmem group and the kernel's own
 * MEMORY_DEVICE_PCI_P2PDMA pages, which the rest of the kernel (block
 * layer, dma-buf, GUP) knows how to handle.
 *
 * A device can have the kernel's P2PDMA state without a pool: a driver
 * that only called pcim_p2pdma_init() (provider handles, vfio-pci), or
 * one inside pci_p2pdma_add_resource() before the pool exists. The
 * kernel's pool functions do not check for that, so every call below does
 * first, in an RCU read-side section that keeps the pool alive until the
 * kernel's call returns: a device without a pool is never handed to them,
 * never published and never reported as a provider. The allocation hot
 * path, p2pdma_ext_alloc() and p2pdma_ext_free(), is inline in
 * <linux/p2pdma_ext.h> with the same check.
 *
 * On kernels without CONFIG_PCI_P2PDMA <linux/pci-p2pdma.h> turns these
 * calls into stubs that fail; registry.c never selects this back end there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/genalloc.h>
#include <linux/p2pdma_ext.h>
#include <linux/random.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/percpu-refcount.h>

#include "compat.h"
#include "internal.h"
#include "registry.h"
#include "topology.h"

static int p2px_native_add_resource(struct pci_dev *pdev, int bar,
				    size_t size, u64 offset)
{
	struct gen_pool *pool;
	bool ok;
	int ret;

	ret = pci_p2pdma_add_resource(pdev, bar, size, offset);
	if (ret)
		return ret;
	/* The layout <linux/p2pdma_ext.h> mirrors: the pool holds @size. */
	rcu_read_lock();
	pool = p2px_kernel_pool(pdev);
	ok = pool && gen_pool_size(pool) >= size;
	rcu_read_unlock();
	if (unlikely(!ok))
		dev_warn_once(&pdev->dev, "p2pdma_ext: the kernel's P2PDMA state does not have the layout this module was written for; its pool checks are unreliable\n");
	return 0;
}

static void p2px_native_publish(struct pci_dev *pdev, bool publish)
{
	bool pool;

	rcu_read_lock();
	pool = p2px_kernel_pool(pdev);
	if (pool)
		pci_p2pmem_publish(pdev, publish);
	rcu_read_unlock();
	if (!pool && publish)
		pci_info(pdev, "p2pdma_ext: no P2P memory to publish\n");
}

static bool p2px_native_pool_of(struct pci_dev *pdev)
{
	bool ret;

	rcu_read_lock();
	ret = p2px_kernel_pool(pdev);
	rcu_read_unlock();
	return ret;
}

/*
 * The kernel's pci_has_p2pmem() is not exported. A device is always its
 * own nearest peer (distance 0, nobody else has 0), so the kernel's own
 * search returns @pdev for @pdev exactly when @pdev has published memory.
 * A device published without a pool (not through us) is no provider.
 */
static bool p2px_native_has_p2pmem(struct pci_dev *pdev)
{
	struct device *dev = &pdev->dev;
	struct pci_dev *found;

	if (!p2px_native_pool_of(pdev))
		return false;
	found = pci_p2pmem_find_many(&dev, 1);
	pci_dev_put(found);
	return found == pdev;
}

/*
 * Our search over the kernel's providers, not the kernel's
 * pci_p2pmem_find_many(): the distances are the module's, so the
 * allowlist parameters govern find as they govern distance, map type and
 * export (the kernel's search reads only its built-in host bridge
 * table). The nearest published provider; among equals one at random.
 */
static struct pci_dev *p2px_native_find_many(struct device **clients,
					     int num_clients)
{
	int best_dist = INT_MAX, ties = 0, dist;
	struct pci_dev *pdev = NULL, *best = NULL;

	for_each_pci_dev(pdev) {
		if (!p2px_native_has_p2pmem(pdev))
			continue;
		dist = p2pdma_ext_distance_many(pdev, clients, num_clients,
						false);
		if (dist < 0 || dist > best_dist)
			continue;
		if (dist < best_dist) {
			best_dist = dist;
			ties = 0;
		}
		/* Equally near: keep each of them with probability 1/ties. */
		if (get_random_u32() % ++ties)
			continue;
		pci_dev_put(best);
		best = pci_dev_get(pdev);
	}
	return best;
}

static void p2px_native_explain(struct device **clients, int num_clients)
{
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev) {
		if (p2px_native_has_p2pmem(pdev)) {
			p2pdma_ext_distance_many(pdev, clients, num_clients, true);
			pci_dev_put(pdev);
			return;
		}
	}
}

static pci_bus_addr_t p2px_native_virt_to_bus(struct pci_dev *pdev,
					      void *addr)
{
	pci_bus_addr_t bus = 0;

	rcu_read_lock();
	if (p2px_kernel_pool(pdev))
		bus = pci_p2pmem_virt_to_bus(pdev, addr);
	rcu_read_unlock();
	return bus;
}

/*
 * Reservations (dma-buf exports) in the kernel's pool: an allocation at a
 * fixed place, made by gen_pool with an algorithm of our own that accepts
 * only the wanted granules of the chunk holding them (so a racing
 * allocation makes gen_pool search again, as for any allocation), and
 * holding a pgmap reference as pci_alloc_p2pmem() does.
 */
static unsigned long p2px_native_fixed(unsigned long *map, unsigned long size,
				       unsigned long start, unsigned int nr,
				       void *data, struct gen_pool *pool,
				       unsigned long start_addr)
{
	unsigned long addr = *(unsigned long *)data, bit;

	if (addr < start_addr)
		return size;
	bit = (addr - start_addr) >> pool->min_alloc_order;
	if (bit >= size || nr > size - bit ||
	    bitmap_find_next_zero_area(map, size, bit, nr, 0) != bit)
		return size;
	return bit;
}

/* Does [addr, end) of struct p2px_span overlap a chunk? */
struct p2px_span {
	unsigned long addr;
	unsigned long end;
	bool hit;
};

static void p2px_native_overlap(struct gen_pool *pool,
				struct gen_pool_chunk *chunk, void *data)
{
	struct p2px_span *s = data;

	if (s->addr <= chunk->end_addr && chunk->start_addr < s->end)
		s->hit = true;
}

static int p2px_native_reserve(struct pci_dev *pdev, unsigned long addr,
			       size_t size)
{
	struct p2px_span span = { addr, addr + size, false };
	struct percpu_ref *ref = NULL;
	struct gen_pool *pool;
	unsigned long got;
	int ret = 0;

	rcu_read_lock();
	pool = p2px_kernel_pool(pdev);
	if (!pool)
		goto out;
	if (!gen_pool_has_addr(pool, addr, size)) {
		gen_pool_for_each_chunk(pool, p2px_native_overlap, &span);
		ret = span.hit ? -EBUSY : 0;
		goto out;
	}
	ret = -EBUSY;
	got = gen_pool_alloc_algo_owner(pool, size, p2px_native_fixed, &addr,
					(void **)&ref);
	if (!got)
		goto out;
	ret = 1;
	if (WARN_ON_ONCE(got != addr) || !percpu_ref_tryget_live(ref)) {
		gen_pool_free(pool, got, size);
		ret = -ENODEV;
	}
out:
	rcu_read_unlock();
	return ret;
}

static void p2px_native_unreserve(struct pci_dev *pdev, unsigned long addr,
				  size_t size)
{
	struct percpu_ref *ref = NULL;
	struct gen_pool *pool;

	rcu_read_lock();
	/* The reservation's reference keeps the pool until the put. */
	pool = p2px_kernel_pool(pdev);
	if (pool)
		gen_pool_free_owner(pool, addr, size, (void **)&ref);
	rcu_read_unlock();
	if (ref)
		percpu_ref_put(ref);
	else
		dev_warn_once(&pdev->dev, "p2pdma_ext: freeing memory it did not allocate\n");
}

/*
 * The kernel keeps a P2P page's provider handle where a module cannot
 * read it by any exported function (struct pci_p2pdma_pagemap). The
 * public way to find it is to look for the PCI device whose memory BAR
 * holds the page and ask pcim_p2pdma_provider(); compat.h's
 * p2px_kernel_pgmap_provider() reads it from the kernel's layout instead.
 * The first lookup does both and compares: equal, the layout is trusted
 * from then on; different, every lookup takes the public way (and one log
 * line says so). Written with WRITE_ONCE, read with READ_ONCE: racing
 * first lookups write the same answer.
 */
enum { P2PX_LAYOUT_UNCHECKED, P2PX_LAYOUT_OK, P2PX_LAYOUT_BAD };
static int p2px_pgmap_layout;

/* The handle of the memory BAR that holds @phys, by the public way. */
static struct p2pdma_ext_provider *p2px_native_walk(phys_addr_t phys)
{
	struct p2pdma_ext_provider *prov;
	struct pci_dev *pdev = NULL;
	resource_size_t start;
	int bar;

	for_each_pci_dev(pdev) {
		for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
			if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
				continue;
			start = pci_resource_start(pdev, bar);
			if (phys < start ||
			    phys - start >= pci_resource_len(pdev, bar))
				continue;
			/* The caller's page holds the binding, so the handle. */
			prov = p2px_kernel_provider_get(pdev, bar);
			pci_dev_put(pdev);
			return prov;
		}
	}
	return NULL;
}

static struct p2pdma_ext_provider *
p2px_native_page_provider(const struct page *page)
{
	struct p2pdma_ext_provider *fast, *slow;
	struct dev_pagemap *pgmap;
	int layout;

	if (!is_pci_p2pdma_page(page))
		return NULL;
	pgmap = p2px_page_pgmap(page);
	fast = p2px_kernel_pgmap_provider(pgmap);
	layout = READ_ONCE(p2px_pgmap_layout);
	if (layout == P2PX_LAYOUT_OK)
		return fast;
	slow = p2px_native_walk(pgmap->range.start);
	if (layout == P2PX_LAYOUT_UNCHECKED && slow) {
		WRITE_ONCE(p2px_pgmap_layout, fast == slow ? P2PX_LAYOUT_OK :
			   P2PX_LAYOUT_BAD);
		if (fast != slow)
			pr_warn_once("the kernel's P2PDMA pagemap does not have the layout this module was written for; P2P pages are looked up the slow way\n");
	}
	return slow;
}

const struct p2px_backend p2px_backend_native = {
	.add_resource = p2px_native_add_resource,
	.publish = p2px_native_publish,
	.find_many = p2px_native_find_many,
	.explain = p2px_native_explain,
	.virt_to_bus = p2px_native_virt_to_bus,
	.has_p2pmem = p2px_native_has_p2pmem,
	.reserve = p2px_native_reserve,
	.unreserve = p2px_native_unreserve,
	.page_provider = p2px_native_page_provider,
};
