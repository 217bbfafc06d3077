// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext provider handles: upstream's per-BAR provider-lifecycle object
 * (struct p2pdma_provider, Linux 6.19) on every kernel.
 *
 * A handle names one memory BAR as a source of peer-to-peer DMA: its owner
 * (the PCI device's struct device) and its bus offset (PCI bus address
 * minus CPU physical address). Handles belong to the binding of the
 * owner's driver: p2pdma_ext_provider_init(), called from probe, makes one
 * for every memory BAR; devres frees them after the driver's remove().
 *
 * Where the kernel has the same API (it exports pcim_p2pdma_init() and
 * pcim_p2pdma_provider(), e.g. Debian 7.2), both calls go to it: the
 * handle is the kernel's own object, the one its dma-buf helpers and
 * vfio-pci use, and struct p2pdma_ext_provider has its layout (checked in
 * compat.h). Elsewhere (Debian 5.10, 6.1, 6.12) this file keeps the
 * handles in a devres entry on the owner device: there is no module-wide
 * table, so no handle can outlive the binding, and devres_find() looks
 * them up in any context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>

#include "compat.h"

/**
 * struct p2px_handles - the provider handles of one device (ext)
 * @mem: one per standard BAR; @mem[N].owner is NULL if BAR N is not a
 *	memory BAR
 */
struct p2px_handles {
	struct p2pdma_ext_provider mem[PCI_STD_NUM_BARS];
};

/*
 * Serialises p2pdma_ext_provider_init() (look up, then add) so that two
 * racing callers for one device cannot add two entries. Lookups do not
 * take it: devres_find() has its own lock.
 */
static DEFINE_MUTEX(p2px_handles_lock);

/* devres release: the entry's memory is freed by devres itself. */
static void p2px_handles_release(struct device *dev, void *res)
{
}

static struct p2px_handles *p2px_handles_find(struct pci_dev *pdev)
{
	return devres_find(&pdev->dev, p2px_handles_release, NULL, NULL);
}

static int p2px_handles_init(struct pci_dev *pdev)
{
	struct p2px_handles *h;
	int bar, ret = 0;

	mutex_lock(&p2px_handles_lock);
	if (p2px_handles_find(pdev))
		goto out;
	h = devres_alloc(p2px_handles_release, sizeof(*h), GFP_KERNEL);
	if (!h) {
		ret = -ENOMEM;
		goto out;
	}
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
			continue;
		h->mem[bar].owner = &pdev->dev;
		h->mem[bar].bus_offset = pci_bus_address(pdev, bar) -
					 pci_resource_start(pdev, bar);
	}
	devres_add(&pdev->dev, h);
out:
	mutex_unlock(&p2px_handles_lock);
	return ret;
}

/**
 * p2pdma_ext_provider_init() - create the provider handles of a device
 * @pdev: the device; the caller is the driver bound to it (call from probe)
 *
 * Makes one handle for every memory BAR of @pdev, for
 * p2pdma_ext_provider_get(); upstream's pcim_p2pdma_init(). The handles
 * are device-managed: they are freed when the driver unbinds, after its
 * remove() has returned. Calling it again while they exist does nothing.
 * p2pdma_ext_add_resource() calls it itself. Where the kernel has
 * pcim_p2pdma_init(), this is that function.
 *
 * Context: process context; may sleep.
 * Return: 0 on success; -ENODEV (one kernel log line) if no driver is
 * bound to @pdev; -EINVAL for a NULL @pdev; -ENOMEM; the kernel's errno
 * where it keeps the handles (-EOPNOTSUPP for a device whose BARs peers
 * cannot map).
 */
int p2pdma_ext_provider_init(struct pci_dev *pdev)
{
	if (!pdev)
		return -EINVAL;
	if (!READ_ONCE(pdev->dev.driver)) {
		pci_info(pdev, "p2pdma_ext: provider handles need a bound driver to own them\n");
		return -ENODEV;
	}
	if (p2px_kernel_provider())
		return p2px_kernel_provider_init(pdev);
	return p2px_handles_init(pdev);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_provider_init);

/**
 * p2pdma_ext_provider_get() - the provider handle of a memory BAR
 * @pdev: a device whose driver called p2pdma_ext_provider_init()
 * @bar: the BAR number
 *
 * Upstream's pcim_p2pdma_provider(). No reference is taken: the handle,
 * like the BAR's MMIO, lives as long as the binding of the driver that
 * called p2pdma_ext_provider_init(). That driver must make sure that every
 * user of the handle is gone and that every DMA mapping made from it (for
 * example a dma-buf of the BAR, see p2pdma_ext_dmabuf_revoke_dev()) is
 * revoked before its remove() returns. Where the kernel has
 * pcim_p2pdma_provider(), the handle is the kernel's object.
 *
 * Context: any context.
 * Return: the handle; NULL if @bar is not a memory BAR of @pdev, or (one
 * kernel log line each) if @bar is out of range or the device has no
 * handles (p2pdma_ext_provider_init() was not called by its driver, or
 * the driver unbound since).
 */
struct p2pdma_ext_provider *p2pdma_ext_provider_get(struct pci_dev *pdev,
						    int bar)
{
	struct p2pdma_ext_provider *prov;
	struct p2px_handles *h;

	if (!pdev)
		return NULL;
	if (bar < 0 || bar >= PCI_STD_NUM_BARS) {
		pci_info(pdev, "p2pdma_ext: BAR %d does not exist\n", bar);
		return NULL;
	}
	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
		return NULL;
	if (p2px_kernel_provider()) {
		prov = p2px_kernel_provider_get(pdev, bar);
	} else {
		h = p2px_handles_find(pdev);
		/* A BAR that was no memory BAR at init has no handle. */
		if (h)
			return h->mem[bar].owner ? &h->mem[bar] : NULL;
		prov = NULL;
	}
	if (!prov)
		pci_info(pdev, "p2pdma_ext: no provider handles: the bound driver did not call p2pdma_ext_provider_init()\n");
	return prov;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_provider_get);
