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
 */
#ifndef P2PDMA_EXT_COMPAT_PCI_P2PDMA_H
#define P2PDMA_EXT_COMPAT_PCI_P2PDMA_H

#include_next <linux/pci-p2pdma.h>

#ifndef CONFIG_PCI_P2PDMA

#include <linux/module.h>
#include <linux/p2pdma_ext.h>

P2PDMA_EXT_IMPORT_NS();

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
