/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext: PCI peer-to-peer DMA for kernels built without it.
 *
 * Public kernel API for vendor drivers. Every symbol is exported in the
 * P2PDMA_EXT namespace: a user module says MODULE_IMPORT_NS(P2PDMA_EXT)
 * (a string literal, "P2PDMA_EXT", on kernels whose MODULE_IMPORT_NS
 * takes strings) or simply P2PDMA_EXT_IMPORT_NS() from this header, which
 * works everywhere.
 */
#ifndef _LINUX_P2PDMA_EXT_H
#define _LINUX_P2PDMA_EXT_H

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/types.h>

struct scatterlist;

/*
 * P2PDMA_EXT_IMPORT_NS() - import the P2PDMA_EXT symbol namespace.
 *
 * Writes the modinfo record directly, which is what MODULE_IMPORT_NS()
 * expands to on every kernel, whether that macro takes a token or a string.
 */
#define P2PDMA_EXT_IMPORT_NS()	MODULE_INFO(import_ns, "P2PDMA_EXT")

/**
 * p2pdma_ext_version() - version of the loaded p2pdma_ext module
 *
 * Return: a static NUL-terminated string such as "0.1.0".
 */
const char *p2pdma_ext_version(void);

/**
 * p2pdma_ext_is_native() - is P2PDMA provided by the kernel itself?
 *
 * Return: true when the running kernel has CONFIG_PCI_P2PDMA and p2pdma_ext
 * delegates to it; false when p2pdma_ext supplies P2P memory itself.
 */
bool p2pdma_ext_is_native(void);

/*
 * Provider registry (src/registry.c has the full kernel-doc). The same
 * semantics as the upstream pci_p2pdma_add_resource(), pci_p2pmem_publish(),
 * pci_p2pmem_find_many(), pci_alloc_p2pmem(), pci_free_p2pmem(),
 * pci_p2pmem_virt_to_bus(), pci_p2pmem_alloc_sgl()/free_sgl(); on kernels
 * with CONFIG_PCI_P2PDMA they are those functions.
 */
int p2pdma_ext_add_resource(struct pci_dev *pdev, int bar, size_t size,
			    u64 offset);
void p2pdma_ext_publish(struct pci_dev *pdev, bool publish);
struct pci_dev *p2pdma_ext_find_many(struct device **clients, int num_clients);
void *p2pdma_ext_alloc(struct pci_dev *pdev, size_t size);
void p2pdma_ext_free(struct pci_dev *pdev, void *addr, size_t size);
pci_bus_addr_t p2pdma_ext_virt_to_bus(struct pci_dev *pdev, void *addr);
struct scatterlist *p2pdma_ext_alloc_sgl(struct pci_dev *pdev,
					 unsigned int *nents, u32 length);
void p2pdma_ext_free_sgl(struct pci_dev *pdev, struct scatterlist *sgl);
bool p2pdma_ext_has_p2pmem(struct pci_dev *pdev);

/**
 * p2pdma_ext_find() - the published provider nearest to one client
 * @client: the device that will DMA to the memory
 *
 * Return: the provider with a reference (drop it with pci_dev_put()), or
 * NULL.
 */
static inline struct pci_dev *p2pdma_ext_find(struct device *client)
{
	return p2pdma_ext_find_many(&client, 1);
}

#endif /* _LINUX_P2PDMA_EXT_H */
