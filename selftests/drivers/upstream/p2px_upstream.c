// SPDX-License-Identifier: GPL-2.0
/*
 * p2px_upstream: a sample vendor driver written only against the upstream
 * PCI P2PDMA API of <linux/pci-p2pdma.h>. Built with
 * include/p2pdma-ext-compat first on its include path, it uses the kernel's
 * own P2PDMA where there is one (7.2) and p2pdma_ext.ko elsewhere, from
 * the same source. It matches no device; bind it with driver_override to
 * a device whose BAR2 is P2P memory (the test bed's ivshmem):
 * it registers and publishes BAR2, finds itself as the provider nearest
 * to itself, allocates a page and logs its bus address.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>

static int p2px_upstream_probe(struct pci_dev *pdev,
			       const struct pci_device_id *id)
{
	struct device *self = &pdev->dev;
	struct pci_dev *found;
	void *buf;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pci_p2pdma_add_resource(pdev, 2, 0, 0);
	if (ret)
		return ret;
	pci_p2pmem_publish(pdev, true);

	found = pci_p2pmem_find(self);
	if (found != pdev) {
		pci_dev_put(found);
		return -ENODEV;
	}
	pci_dev_put(found);

	buf = pci_alloc_p2pmem(pdev, PAGE_SIZE);
	if (!buf)
		return -ENOMEM;
	pci_info(pdev, "p2px_upstream: distance to itself %d, a page at bus address %#llx\n",
		 pci_p2pdma_distance(pdev, self, false),
		 (u64)pci_p2pmem_virt_to_bus(pdev, buf));
	pci_free_p2pmem(pdev, buf, PAGE_SIZE);
	return 0;
}

static const struct pci_device_id p2px_upstream_ids[] = {
	{ }	/* bound by driver_override only */
};

static struct pci_driver p2px_upstream_driver = {
	.name = "p2px_upstream",
	.id_table = p2px_upstream_ids,
	.probe = p2px_upstream_probe,
};
module_pci_driver(p2px_upstream_driver);

MODULE_DESCRIPTION("p2pdma-ext sample: a driver using only upstream P2PDMA names");
MODULE_LICENSE("GPL");
