// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext provider registry, native back end: the kernel has its own
 * PCI P2PDMA (CONFIG_PCI_P2PDMA), so every call goes to it. Providers
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

static struct pci_dev *p2px_native_find_many(struct device **clients,
					     int num_clients)
{
	struct pci_dev *found = pci_p2pmem_find_many(clients, num_clients);

	/* Published without a pool (not through us): not a provider. */
	if (found && !p2px_native_pool_of(found)) {
		pci_dev_put(found);
		return NULL;
	}
	return found;
}

/*
 * The kernel's pci_has_p2pmem() is not exported. A device is always its
 * own nearest peer (distance 0, nobody else has 0), so the kernel's own
 * search returns @pdev for @pdev exactly when @pdev has published memory.
 */
static bool p2px_native_has_p2pmem(struct pci_dev *pdev)
{
	struct device *dev = &pdev->dev;
	struct pci_dev *found = p2px_native_find_many(&dev, 1);

	pci_dev_put(found);
	return found == pdev;
}

static void p2px_native_explain(struct device **clients, int num_clients)
{
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev) {
		if (p2px_native_has_p2pmem(pdev)) {
			p2px_distance_many(pdev, clients, num_clients, true);
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

const struct p2px_backend p2px_backend_native = {
	.add_resource = p2px_native_add_resource,
	.publish = p2px_native_publish,
	.find_many = p2px_native_find_many,
	.explain = p2px_native_explain,
	.virt_to_bus = p2px_native_virt_to_bus,
	.has_p2pmem = p2px_native_has_p2pmem,
	.reserve = p2px_native_reserve,
	.unreserve = p2px_native_unreserve,
};
