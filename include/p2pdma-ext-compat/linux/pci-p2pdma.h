/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext drop-in for <linux/pci-p2pdma.h>.
 *
 * A vendor driver written against the upstream PCI P2PDMA API puts this
 * directory first on its include path (before the kernel's own include/,
 * e.g. NOSTDINC_FLAGS += -I.../include/p2pdma-ext-compat in its Kbuild,
 * plus -I.../include for <linux/p2pdma_ext.h>). The kernel's real header
 * is always included. Where the kernel is built with CONFIG_PCI_P2PDMA
 * nothing else happens: the driver uses the kernel's functions. Where it
 * is not, the upstream names are redirected to the p2pdma_ext_* functions
 * of p2pdma_ext.ko, which have the same semantics, and the driver imports
 * the P2PDMA_EXT symbol namespace.
 *
 * The client side: without CONFIG_PCI_P2PDMA every name goes to
 * p2pdma_ext. With it, pci_p2pdma_state() and pci_p2pdma_map_type() do
 * too: the kernels we know (Debian 7.2) keep pci_p2pdma_map_type() and
 * the helper behind pci_p2pdma_state() to built-in code (modpost finds
 * them undefined for a module); the rest is the kernel's.
 */
#ifndef P2PDMA_EXT_COMPAT_PCI_P2PDMA_H
#define P2PDMA_EXT_COMPAT_PCI_P2PDMA_H

#include_next <linux/pci-p2pdma.h>

#ifndef CONFIG_PCI_P2PDMA

#include <linux/module.h>
#include <linux/p2pdma_ext.h>

/*
 * The kernel's header defined stubs under these names (some static inline
 * ones call each other); the macros make every call site use p2pdma_ext.
 */
#define pci_p2pdma_add_resource(pdev, bar, size, offset) \
	p2pdma_ext_add_resource(pdev, bar, size, offset)
#define pci_p2pdma_distance_many(provider, clients, num_clients, verbose) \
	p2pdma_ext_distance_many(provider, clients, num_clients, verbose)
#define pci_p2pdma_distance(provider, client, verbose) \
	p2pdma_ext_distance(provider, client, verbose)
#define pci_p2pmem_find_many(clients, num_clients) \
	p2pdma_ext_find_many(clients, num_clients)
#define pci_p2pmem_find(client) \
	p2pdma_ext_find(client)
#define pci_alloc_p2pmem(pdev, size) \
	p2pdma_ext_alloc(pdev, size)
#define pci_free_p2pmem(pdev, addr, size) \
	p2pdma_ext_free(pdev, addr, size)
#define pci_p2pmem_virt_to_bus(pdev, addr) \
	p2pdma_ext_virt_to_bus(pdev, addr)
#define pci_p2pmem_alloc_sgl(pdev, nents, length) \
	p2pdma_ext_alloc_sgl(pdev, nents, length)
#define pci_p2pmem_free_sgl(pdev, sgl) \
	p2pdma_ext_free_sgl(pdev, sgl)
#define pci_p2pmem_publish(pdev, publish) \
	p2pdma_ext_publish(pdev, publish)
#define pci_has_p2pmem(pdev) \
	p2pdma_ext_has_p2pmem(pdev)

/*
 * The provider-lifecycle API of Linux 6.19. struct p2pdma_provider is
 * renamed to p2pdma_ext's struct (same members) rather than defined here:
 * kernels from 6.19 on define it even without CONFIG_PCI_P2PDMA, older
 * ones do not, and a header cannot tell which. The kernel's stubs that
 * take or return the kernel's type are bypassed by the macros below.
 */
#define p2pdma_provider p2pdma_ext_provider
#define pcim_p2pdma_init(pdev) \
	p2pdma_ext_provider_init(pdev)
#define pcim_p2pdma_provider(pdev, bar) \
	p2pdma_ext_provider_get(pdev, bar)
#define pci_p2pdma_bus_addr_map(provider, paddr) \
	p2pdma_ext_bus_addr_map(provider, paddr)

#endif /* !CONFIG_PCI_P2PDMA */

#endif /* P2PDMA_EXT_COMPAT_PCI_P2PDMA_H */

/* --- The client side, on every kernel --------------------------------- */

/*
 * It needs the whole of <linux/p2pdma_ext.h>. On CONFIG_PCI_P2PDMA kernels
 * that header includes this one part-way through (for the kernel's
 * types): then the client side waits, and <linux/p2pdma_ext.h> includes
 * this file once more at its end.
 */
#if !defined(P2PDMA_EXT_COMPAT_CLIENT_H) && !defined(P2PDMA_EXT_INCLUDING_KERNEL_P2PDMA)
#define P2PDMA_EXT_COMPAT_CLIENT_H

#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/p2pdma_ext.h>

P2PDMA_EXT_IMPORT_NS();

#ifdef CONFIG_PCI_P2PDMA
/*
 * The kernel's state is its struct pci_p2pdma_map_state (mem, map);
 * p2pdma_ext's has a lookup cache besides, which this does without.
 */
static inline enum pci_p2pdma_map_type
p2pdma_ext_compat_state(struct pci_p2pdma_map_state *state,
			struct device *dev, struct page *page)
{
	struct p2pdma_ext_map_state s = {};
	enum p2pdma_ext_map_type map = p2pdma_ext_state(&s, dev, page);

	if (map != P2PDMA_EXT_MAP_NONE) {
		state->mem = (struct p2pdma_provider *)s.mem;
		state->map = (enum pci_p2pdma_map_type)map;
	}
	return (enum pci_p2pdma_map_type)map;
}

#define pci_p2pdma_state(state, dev, page) \
	p2pdma_ext_compat_state(state, dev, page)
#define pci_p2pdma_map_type(provider, dev) \
	((enum pci_p2pdma_map_type)p2pdma_ext_provider_map_type( \
		(struct p2pdma_ext_provider *)(provider), dev))
/*
 * dma_buf_phys_vec_to_sgt() and dma_buf_free_sgt() are exported there:
 * the kernel's, with the kernel's map type (not the allowlist's).
 */

#else /* !CONFIG_PCI_P2PDMA */

/*
 * The map types and the map state appeared in <linux/pci-p2pdma.h> after
 * the kernels this is for (5.10-6.12). The upstream names of the map
 * types are p2pdma_ext's values, so that comparing and switching on what
 * the calls below return is warning-free; enum pci_p2pdma_map_type itself
 * is a second enum with the same values (a variable of that type assigned
 * from these calls is an enum conversion, which W=1 builds warn about).
 */
enum pci_p2pdma_map_type {
	P2PDMA_EXT_COMPAT_MAP_UNKNOWN = P2PDMA_EXT_MAP_UNKNOWN,
	P2PDMA_EXT_COMPAT_MAP_NONE = P2PDMA_EXT_MAP_NONE,
	P2PDMA_EXT_COMPAT_MAP_NOT_SUPPORTED = P2PDMA_EXT_MAP_NOT_SUPPORTED,
	P2PDMA_EXT_COMPAT_MAP_BUS_ADDR = P2PDMA_EXT_MAP_BUS_ADDR,
	P2PDMA_EXT_COMPAT_MAP_THRU_HOST_BRIDGE = P2PDMA_EXT_MAP_THRU_HOST_BRIDGE,
};

#define PCI_P2PDMA_MAP_UNKNOWN		P2PDMA_EXT_MAP_UNKNOWN
#define PCI_P2PDMA_MAP_NONE		P2PDMA_EXT_MAP_NONE
#define PCI_P2PDMA_MAP_NOT_SUPPORTED	P2PDMA_EXT_MAP_NOT_SUPPORTED
#define PCI_P2PDMA_MAP_BUS_ADDR		P2PDMA_EXT_MAP_BUS_ADDR
#define PCI_P2PDMA_MAP_THRU_HOST_BRIDGE	P2PDMA_EXT_MAP_THRU_HOST_BRIDGE

/*
 * is_pci_p2pdma_page() is constant false on these kernels: their own
 * definition (memremap.h, mm.h, included above) is read first, then every
 * later call goes to p2pdma_ext, which knows the registry's pages.
 */
#define pci_p2pdma_map_state p2pdma_ext_map_state
#define is_pci_p2pdma_page(page) \
	p2pdma_ext_is_p2pdma_page(page)
#define pci_p2pdma_state(state, dev, page) \
	p2pdma_ext_state(state, dev, page)
#define pci_p2pdma_map_type(provider, dev) \
	p2pdma_ext_provider_map_type(provider, dev)

/*
 * The scatterlist calls of the 5.10 generation (later kernels map P2P
 * pages in dma_map_sg() itself): 0 on failure, as they returned.
 */
static inline int p2pdma_ext_compat_map_sg(struct device *dev,
					   struct scatterlist *sg, int nents,
					   enum dma_data_direction dir,
					   unsigned long attrs)
{
	int ret = p2pdma_ext_map_sg_attrs(dev, sg, nents, dir, attrs);

	return ret < 0 ? 0 : ret;
}

#define pci_p2pdma_map_sg_attrs(dev, sg, nents, dir, attrs) \
	p2pdma_ext_compat_map_sg(dev, sg, nents, dir, attrs)
#define pci_p2pdma_unmap_sg_attrs(dev, sg, nents, dir, attrs) \
	p2pdma_ext_unmap_sg_attrs(dev, sg, nents, dir, attrs)
#define pci_p2pdma_map_sg(dev, sg, nents, dir) \
	p2pdma_ext_compat_map_sg(dev, sg, nents, dir, 0)
#define pci_p2pdma_unmap_sg(dev, sg, nents, dir) \
	p2pdma_ext_unmap_sg_attrs(dev, sg, nents, dir, 0)

/* struct phys_vec is renamed like struct p2pdma_provider above. */
#define phys_vec p2pdma_ext_phys_vec
#define dma_buf_phys_vec_to_sgt(attach, provider, vec, nr, size, dir) \
	p2pdma_ext_phys_vec_to_sgt(attach, provider, vec, nr, size, dir)
#define dma_buf_free_sgt(attach, sgt, dir) \
	p2pdma_ext_free_sgt(attach, sgt, dir)

#endif /* CONFIG_PCI_P2PDMA */

#endif /* P2PDMA_EXT_COMPAT_CLIENT_H */
