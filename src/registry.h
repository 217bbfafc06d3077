/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext provider registry: the interface between the exported front
 * end (registry.c) and its two back ends.
 *
 * registry_ext.c supplies P2P memory itself (kernels without
 * CONFIG_PCI_P2PDMA); registry_native.c delegates to the kernel's own
 * P2PDMA code. Both are compiled on every kernel; registry.c picks one at
 * run time with p2px_native_p2pdma(). The front end validates arguments,
 * so the back ends only see a valid BAR, size and offset.
 */
#ifndef P2PDMA_EXT_REGISTRY_H
#define P2PDMA_EXT_REGISTRY_H

#include <linux/pci.h>
#include <linux/scatterlist.h>

struct p2pdma_ext_provider;

/**
 * struct p2px_backend - one implementation of the provider registry
 * @add_resource: map @size bytes of @bar at @offset as P2P memory
 * @publish: make the provider's memory findable (or not)
 * @find_many: nearest published provider for all clients, with a reference
 * @explain: log (at most one line) why no published provider suits @clients
 * @virt_to_bus: PCI bus address of memory from p2pdma_ext_alloc()
 * @has_p2pmem: does the device have published P2P memory?
 * @reserve: take [@addr, @addr + @size) (kernel virtual addresses of the
 *	BAR memory) out of the pool: 1 if done, 0 if no pool range overlaps
 *	it, -EBUSY if part of it is in use or it is not wholly inside one
 *	pool range, -ENODEV if the pool is going away
 * @unreserve: give back what @reserve took
 * @page_provider: provider handle of a page of P2P memory, NULL for any
 *	other page (any context; see p2px_page_provider())
 */
struct p2px_backend {
	int (*add_resource)(struct pci_dev *pdev, int bar, size_t size,
			    u64 offset);
	void (*publish)(struct pci_dev *pdev, bool publish);
	struct pci_dev *(*find_many)(struct device **clients, int num_clients);
	void (*explain)(struct device **clients, int num_clients);
	pci_bus_addr_t (*virt_to_bus)(struct pci_dev *pdev, void *addr);
	bool (*has_p2pmem)(struct pci_dev *pdev);
	int (*reserve)(struct pci_dev *pdev, unsigned long addr, size_t size);
	void (*unreserve)(struct pci_dev *pdev, unsigned long addr,
			  size_t size);
	struct p2pdma_ext_provider *(*page_provider)(const struct page *page);
};

extern const struct p2px_backend p2px_backend_ext;
extern const struct p2px_backend p2px_backend_native;

/*
 * registry.c, for the dma-buf exporter (dmabuf.c): an exported range of a
 * BAR is taken out of the device's P2P pool for as long as the export
 * lasts, so that pool allocations and exports never share memory.
 */
int p2px_registry_reserve(struct pci_dev *pdev, phys_addr_t phys, u64 size);
void p2px_registry_unreserve(struct pci_dev *pdev, phys_addr_t phys,
			     u64 size);

/* registry.c: the back end's page_provider; for client_map.c */
struct p2pdma_ext_provider *p2px_page_provider(const struct page *page);

/* registry_ext.c: nothing may be registered any more at module unload. */
void p2px_ext_exit(void);

/*
 * memremap_pages() maps whole memory subsections: the start and the size
 * of every range must be multiples of this (2 MiB on x86-64).
 */
#define P2PX_MAP_ALIGN	(PAGES_PER_SUBSECTION << PAGE_SHIFT)

#endif /* P2PDMA_EXT_REGISTRY_H */
