// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext provider registry, native back end: the kernel has its own
 * PCI P2PDMA (CONFIG_PCI_P2PDMA), so every call goes to it. Providers
 * registered through p2pdma_ext and by in-kernel drivers (the NVMe CMB)
 * then share one registry, one sysfs p2pmem group and the kernel's own
 * MEMORY_DEVICE_PCI_P2PDMA pages, which the rest of the kernel (block
 * layer, dma-buf, GUP) knows how to handle.
 *
 * On kernels without CONFIG_PCI_P2PDMA <linux/pci-p2pdma.h> turns these
 * calls into stubs that fail; registry.c never selects this back end there.
 */
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>

#include "compat.h"
#include "internal.h"
#include "registry.h"

static int p2px_native_add_resource(struct pci_dev *pdev, int bar,
				    size_t size, u64 offset)
{
	return pci_p2pdma_add_resource(pdev, bar, size, offset);
}

static void p2px_native_publish(struct pci_dev *pdev, bool publish)
{
	pci_p2pmem_publish(pdev, publish);
}

static struct pci_dev *p2px_native_find_many(struct device **clients,
					     int num_clients)
{
	return pci_p2pmem_find_many(clients, num_clients);
}

/*
 * The kernel's pci_has_p2pmem() is not exported. A device is always its
 * own nearest peer (distance 0, nobody else has 0), so the kernel's own
 * search returns @pdev for @pdev exactly when @pdev has published memory.
 */
static bool p2px_native_has_p2pmem(struct pci_dev *pdev)
{
	struct device *dev = &pdev->dev;
	struct pci_dev *found = pci_p2pmem_find_many(&dev, 1);

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
	return pci_p2pmem_virt_to_bus(pdev, addr);
}

static struct scatterlist *p2px_native_alloc_sgl(struct pci_dev *pdev,
						 unsigned int *nents,
						 u32 length)
{
	return pci_p2pmem_alloc_sgl(pdev, nents, length);
}

static void p2px_native_free_sgl(struct pci_dev *pdev,
				 struct scatterlist *sgl)
{
	pci_p2pmem_free_sgl(pdev, sgl);
}

const struct p2px_backend p2px_backend_native = {
	.add_resource = p2px_native_add_resource,
	.publish = p2px_native_publish,
	.find_many = p2px_native_find_many,
	.explain = p2px_native_explain,
	.virt_to_bus = p2px_native_virt_to_bus,
	.alloc_sgl = p2px_native_alloc_sgl,
	.free_sgl = p2px_native_free_sgl,
	.has_p2pmem = p2px_native_has_p2pmem,
};
