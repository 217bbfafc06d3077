// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext generic provider driver "p2pdma_ext_provider".
 *
 * Turns BARs of any PCI device into published P2P memory, for devices
 * whose own driver does not (or that have no driver, such as QEMU's
 * ivshmem). Like vfio-pci it matches no device by itself; the
 * administrator binds it:
 *
 *   echo p2pdma_ext_provider > /sys/bus/pci/devices/BDF/driver_override
 *   echo BDF > /sys/bus/pci/drivers_probe
 *
 * or with /sys/bus/pci/drivers/p2pdma_ext_provider/new_id. Which BARs are
 * registered is chosen by the provider_bars parameter, read at bind time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>

#include "compat.h"
#include "internal.h"
#include "registry.h"

#define P2PX_PROVIDER_NAME	"p2pdma_ext_provider"

static unsigned int provider_bars;
module_param(provider_bars, uint, 0644);
MODULE_PARM_DESC(provider_bars,
		 "Bitmask of the BARs the provider driver registers (bit N = BAR N); 0 (default): every 64-bit prefetchable memory BAR of at least 2 MiB");

/* The default choice: BARs that look like memory rather than registers. */
static bool p2px_provider_auto_bar(struct pci_dev *pdev, int bar)
{
	unsigned long flags = pci_resource_flags(pdev, bar);

	return (flags & IORESOURCE_MEM) && (flags & IORESOURCE_MEM_64) &&
	       (flags & IORESOURCE_PREFETCH) &&
	       pci_resource_len(pdev, bar) >= P2PX_MAP_ALIGN;
}

static void p2px_provider_disable(void *data)
{
	pci_disable_device(data);
}

struct p2px_provider_region {
	struct pci_dev *pdev;
	int bar;
};

static void p2px_provider_release_region(void *data)
{
	struct p2px_provider_region *r = data;

	pci_release_region(r->pdev, r->bar);
}

static int p2px_provider_add_bar(struct pci_dev *pdev, int bar)
{
	struct p2px_provider_region *r;
	int ret;

	r = devm_kzalloc(&pdev->dev, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->pdev = pdev;
	r->bar = bar;
	ret = pci_request_region(pdev, bar, P2PX_PROVIDER_NAME);
	if (ret)
		return ret;
	/* Released only after devres has unmapped the P2P memory. */
	ret = devm_add_action_or_reset(&pdev->dev,
				       p2px_provider_release_region, r);
	if (ret)
		return ret;
	return p2pdma_ext_add_resource(pdev, bar, 0, 0);
}

static int p2px_provider_probe(struct pci_dev *pdev,
			       const struct pci_device_id *id)
{
	unsigned int mask = READ_ONCE(provider_bars);
	int bar, added = 0, ret;

	/* Not pcim_enable_device(): that would make the regions managed too. */
	ret = pci_enable_device_mem(pdev);
	if (ret)
		return ret;
	ret = devm_add_action_or_reset(&pdev->dev, p2px_provider_disable, pdev);
	if (ret)
		return ret;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (mask ? !(mask & BIT(bar)) : !p2px_provider_auto_bar(pdev, bar))
			continue;
		/* p2pdma_ext_add_resource() logs why it refused. */
		ret = p2px_provider_add_bar(pdev, bar);
		if (ret)
			return ret;
		added |= BIT(bar);
	}
	if (!added) {
		pci_err(pdev, "p2pdma_ext: no BAR to register (provider_bars=%#x)\n",
			mask);
		return -ENODEV;
	}
	/* The claimed BARs, for p2px_provider_bar_claimed(). */
	pci_set_drvdata(pdev, (void *)(uintptr_t)added);
	p2pdma_ext_publish(pdev, true);
	return 0;
}

static void p2px_provider_remove(struct pci_dev *pdev)
{
	/* Importers of its dma-bufs unmap before the BARs go away. */
	p2pdma_ext_dmabuf_revoke_dev(pdev);
	/* Nobody finds it any more; devres then waits for its allocations. */
	p2pdma_ext_publish(pdev, false);
}

static struct pci_driver p2px_provider_driver = {
	.name = P2PX_PROVIDER_NAME,
	.id_table = NULL,	/* bound by driver_override or new_id only */
	.probe = p2px_provider_probe,
	.remove = p2px_provider_remove,
};

/**
 * p2px_provider_bound() - is @pdev bound to the provider driver?
 * @pdev: a PCI device
 *
 * Context: the caller holds the device lock of @pdev.
 * Return: true if it is.
 */
bool p2px_provider_bound(struct pci_dev *pdev)
{
	device_lock_assert(&pdev->dev);
	return pdev->dev.driver == &p2px_provider_driver.driver;
}

/**
 * p2px_provider_bar_claimed() - may @bar of @pdev be exported to user space?
 * @pdev: a PCI device
 * @bar: a BAR index
 *
 * Context: the caller holds the device lock of @pdev.
 * Return: 0 if @pdev is bound to the provider driver and the driver claimed
 * @bar; -ENODEV if it is not bound to it; -EINVAL for another BAR.
 */
int p2px_provider_bar_claimed(struct pci_dev *pdev, unsigned int bar)
{
	if (!p2px_provider_bound(pdev))
		return -ENODEV;
	if (bar >= PCI_STD_NUM_BARS ||
	    !((uintptr_t)pci_get_drvdata(pdev) & BIT(bar)))
		return -EINVAL;
	return 0;
}

int p2px_provider_init(void)
{
	return pci_register_driver(&p2px_provider_driver);
}

void p2px_provider_exit(void)
{
	pci_unregister_driver(&p2px_provider_driver);
}
