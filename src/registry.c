// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext provider registry: the exported API.
 *
 * Drivers register BARs (or parts of them) as P2P memory and publish them;
 * orchestrators find the provider nearest to a set of DMA clients, allocate
 * from it and translate to PCI bus addresses. The semantics are those of
 * the upstream pci_p2pdma_* / pci_*p2pmem* API. This file checks arguments
 * and forwards to one of two back ends (see registry.h), chosen once per
 * kernel: the kernel's own P2PDMA where it has one, ours otherwise.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>

#include "compat.h"
#include "internal.h"
#include "registry.h"

static const struct p2px_backend *p2px_be(void)
{
	return p2px_native_p2pdma() ? &p2px_backend_native : &p2px_backend_ext;
}

/**
 * p2pdma_ext_add_resource() - register (part of) a BAR as P2P memory
 * @pdev: the provider device; its driver must be bound (call from probe)
 * @bar: the BAR number, a memory BAR
 * @size: how many bytes to register; 0 means the rest of the BAR
 * @offset: where in the BAR the memory starts
 *
 * The memory gets struct pages and is handed out by p2pdma_ext_alloc().
 * It stays registered until the provider's driver unbinds; unbinding waits
 * until every allocation from it has been freed. The device also gets its
 * provider handles (p2pdma_ext_provider_init()), as upstream. The start and the size
 * must be multiples of 2 MiB (the granularity of memremap_pages()).
 *
 * Context: process context; may sleep.
 * Return: 0 on success; -EINVAL for a bad BAR, size, offset or alignment
 * (one kernel log line says which); -ENODEV if no driver is bound to
 * @pdev; -ENOMEM; another negative errno from the mapping.
 */
int p2pdma_ext_add_resource(struct pci_dev *pdev, int bar, size_t size,
			    u64 offset)
{
	resource_size_t len, start;
	int ret;

	if (!pdev)
		return -EINVAL;
	if (bar < 0 || bar >= PCI_STD_NUM_BARS) {
		pci_info(pdev, "p2pdma_ext: BAR %d does not exist\n", bar);
		return -EINVAL;
	}
	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM)) {
		pci_info(pdev, "p2pdma_ext: BAR %d is not a memory BAR\n", bar);
		return -EINVAL;
	}
	len = pci_resource_len(pdev, bar);
	if (offset >= len) {
		pci_info(pdev, "p2pdma_ext: offset %#llx is beyond BAR %d (%pa bytes)\n",
			 offset, bar, &len);
		return -EINVAL;
	}
	if (!size)
		size = len - offset;
	if (size > len - offset) {
		pci_info(pdev, "p2pdma_ext: %zu bytes at offset %#llx do not fit in BAR %d (%pa bytes)\n",
			 size, offset, bar, &len);
		return -EINVAL;
	}
	start = pci_resource_start(pdev, bar) + offset;
	if (!IS_ALIGNED(start, P2PX_MAP_ALIGN) ||
	    !IS_ALIGNED(size, P2PX_MAP_ALIGN)) {
		pci_info(pdev, "p2pdma_ext: BAR %d: start %pa and size %#zx must be multiples of %lu KiB\n",
			 bar, &start, size, (unsigned long)P2PX_MAP_ALIGN / SZ_1K);
		return -EINVAL;
	}
	/* As upstream: a provider's BARs get their handles first. */
	ret = p2pdma_ext_provider_init(pdev);
	if (ret)
		return ret;
	return p2px_be()->add_resource(pdev, bar, size, offset);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_add_resource);

/**
 * p2pdma_ext_publish() - make a provider's P2P memory findable
 * @pdev: a device with P2P memory registered by p2pdma_ext_add_resource()
 * @publish: true to let p2pdma_ext_find_many() return it, false to stop
 *
 * Does nothing for a device without P2P memory.
 *
 * Context: any context.
 */
void p2pdma_ext_publish(struct pci_dev *pdev, bool publish)
{
	if (pdev)
		p2px_be()->publish(pdev, publish);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_publish);

/**
 * p2pdma_ext_find_many() - the published provider nearest to all clients
 * @clients: devices that will DMA to the memory (their nearest PCI
 *	ancestor counts)
 * @num_clients: number of entries in @clients
 *
 * Considers every provider whose memory is published and which every
 * client can reach by peer-to-peer DMA as p2pdma_ext_distance_many()
 * answers it (the module's walker and allowlist parameters, on every
 * kernel: on the native back end too, over the kernel's providers);
 * returns the one with the smallest total distance, choosing at random
 * among equals to spread the load.
 * When providers exist but none suits, one kernel log line says why the
 * first of them was refused.
 *
 * Context: process context; may sleep.
 * Return: the provider with a reference (drop it with pci_dev_put()), or
 * NULL.
 */
struct pci_dev *p2pdma_ext_find_many(struct device **clients, int num_clients)
{
	struct pci_dev *pdev;

	if (!clients || num_clients <= 0)
		return NULL;
	pdev = p2px_be()->find_many(clients, num_clients);
	if (!pdev)
		p2px_be()->explain(clients, num_clients);
	return pdev;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_find_many);

/*
 * p2pdma_ext_alloc() and p2pdma_ext_free(), the hot path, have no back end
 * table: static inline calls of the kernel's functions in
 * <linux/p2pdma_ext.h> where the kernel has its own P2PDMA, exported by
 * registry_ext.c where it has not.
 */

/**
 * p2pdma_ext_virt_to_bus() - PCI bus address of P2P memory
 * @pdev: the provider the memory came from
 * @addr: address inside memory returned by p2pdma_ext_alloc()
 *
 * The bus address is what a peer on the same PCI hierarchy puts in its
 * DMA descriptors when the traffic is routed without an IOMMU.
 *
 * Context: any context.
 * Return: the bus address, or 0 if @addr is not P2P memory of @pdev.
 */
pci_bus_addr_t p2pdma_ext_virt_to_bus(struct pci_dev *pdev, void *addr)
{
	if (!pdev || !addr)
		return 0;
	return p2px_be()->virt_to_bus(pdev, addr);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_virt_to_bus);

/**
 * p2pdma_ext_alloc_sgl() - allocate P2P memory as a scatterlist
 * @pdev: the provider
 * @nents: receives the number of entries (1)
 * @length: bytes to allocate
 *
 * Context: process context; may sleep.
 * Return: a scatterlist to free with p2pdma_ext_free_sgl(), or NULL.
 */
struct scatterlist *p2pdma_ext_alloc_sgl(struct pci_dev *pdev,
					 unsigned int *nents, u32 length)
{
	struct scatterlist *sg;
	void *addr;

	if (!pdev || !nents || !length)
		return NULL;
	sg = kmalloc(sizeof(*sg), GFP_KERNEL);
	if (!sg)
		return NULL;
	sg_init_table(sg, 1);
	addr = p2pdma_ext_alloc(pdev, length);
	if (!addr) {
		kfree(sg);
		return NULL;
	}
	sg_set_buf(sg, addr, length);
	*nents = 1;
	return sg;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_alloc_sgl);

/**
 * p2pdma_ext_free_sgl() - free a scatterlist from p2pdma_ext_alloc_sgl()
 * @pdev: the provider the memory came from
 * @sgl: the scatterlist
 *
 * Context: process context.
 */
void p2pdma_ext_free_sgl(struct pci_dev *pdev, struct scatterlist *sgl)
{
	struct scatterlist *sg;

	if (!pdev || !sgl)
		return;
	for (sg = sgl; sg; sg = sg_next(sg))
		p2pdma_ext_free(pdev, sg_virt(sg), sg->length);
	kfree(sgl);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_free_sgl);

/**
 * p2pdma_ext_has_p2pmem() - does a device offer published P2P memory?
 * @pdev: any PCI device
 *
 * Context: process context; may sleep.
 * Return: true if @pdev has P2P memory and has published it.
 */
bool p2pdma_ext_has_p2pmem(struct pci_dev *pdev)
{
	return pdev && p2px_be()->has_p2pmem(pdev);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_has_p2pmem);

/**
 * p2px_registry_reserve() - take a range of a BAR out of its P2P pool
 * @pdev: the device whose BAR it is, its driver bound
 * @phys: CPU physical address of the range, page aligned
 * @size: its length, a non-zero multiple of the page size
 *
 * For the dma-buf exporter: while the range is reserved, the pool hands
 * none of it out (p2pmem/allocate, p2pdma_ext_alloc()), and it counts as
 * in use in p2pmem/available. A reservation holds a reference to the
 * range's pages as an allocation does, so the memory stays mapped until
 * p2px_registry_unreserve(), which the exporter calls at revoke (which the
 * provider's remove() does) or when the buffer goes.
 *
 * Context: process context.
 * Return: 1 if the range was in the pool and is reserved now; 0 if no
 * part of it is in the pool (nothing to do); -EBUSY if some of it is
 * allocated or reserved already, or only part of it lies in the pool (it
 * crosses the edge of a registered range); -ENODEV if the pool is going
 * away.
 */
int p2px_registry_reserve(struct pci_dev *pdev, phys_addr_t phys, u64 size)
{
	if (size > SIZE_MAX)
		return -EBUSY;
	return p2px_be()->reserve(pdev, (unsigned long)phys_to_virt(phys),
				  size);
}

/**
 * p2px_registry_unreserve() - give back a range p2px_registry_reserve() took
 * @pdev: the device passed to p2px_registry_reserve()
 * @phys: the range's CPU physical address, as passed there
 * @size: its length, as passed there
 *
 * Only for a range that p2px_registry_reserve() returned 1 for, once.
 *
 * Context: process context.
 */
void p2px_registry_unreserve(struct pci_dev *pdev, phys_addr_t phys,
			     u64 size)
{
	p2px_be()->unreserve(pdev, (unsigned long)phys_to_virt(phys), size);
}

/**
 * p2px_page_provider() - the provider handle of a page of P2P memory
 * @page: any page
 *
 * P2P memory is what the registry hands out: on the ext back end the
 * pages of the ranges it mapped itself, on the native back end every
 * kernel P2PDMA page (is_pci_p2pdma_page()), whoever registered it. The
 * handle stays valid while @page stays allocated (the allocation holds
 * the provider's binding).
 *
 * Context: any context where the caller holds @page.
 * Return: the handle of the BAR that holds @page, or NULL if @page is not
 * P2P memory (or, on the native back end, its provider has no handles).
 */
struct p2pdma_ext_provider *p2px_page_provider(const struct page *page)
{
	return p2px_be()->page_provider(page);
}
