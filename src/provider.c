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
 *
 * Each bound device has a provider context (struct p2px_provider, its
 * drvdata, device-managed): the BARs it claimed and, as their owner, the
 * dma-bufs exported of them for user space. Exports come in through
 * p2px_provider_export() (from the control device's commands) and go
 * out to the exporter (dmabuf.c); remove() revokes the context's
 * buffers. Nothing below calls back up here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/security.h>

#include "compat.h"
#include "dmabuf.h"
#include "provider.h"
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

/**
 * struct p2px_provider - a device bound to the provider driver (drvdata)
 * @pdev: the device
 * @bars: the BARs probe claimed and registered (bit N = BAR N); set
 *	before the device is published, constant while it is bound
 *
 * Its dma-bufs are those exported with it as owner (p2px_provider_export()).
 * Exports and remove() run under the device lock, so none is exported
 * after remove() revoked them. Device-managed: freed after remove().
 */
struct p2px_provider {
	struct pci_dev *pdev;
	unsigned long bars;
};

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
	struct p2px_provider *ctx;
	int bar, ret;

	/*
	 * Its BARs would become user-mappable (p2pmem/allocate, dma-bufs):
	 * what lockdown forbids (-EPERM, one log line by the lockdown LSM).
	 */
	ret = security_locked_down(LOCKDOWN_PCI_ACCESS);
	if (ret)
		return ret;
	/* Not pcim_enable_device(): that would make the regions managed too. */
	ctx = devm_kzalloc(&pdev->dev, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->pdev = pdev;
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
		ctx->bars |= BIT(bar);
	}
	if (!ctx->bars) {
		pci_err(pdev, "p2pdma_ext: no BAR to register (provider_bars=%#x)\n",
			mask);
		return -ENODEV;
	}
	pci_set_drvdata(pdev, ctx);
	p2pdma_ext_publish(pdev, true);
	return 0;
}

static void p2px_provider_remove(struct pci_dev *pdev)
{
	/* Importers of its dma-bufs unmap before the BARs go away. */
	p2px_dmabuf_revoke_owner(pci_get_drvdata(pdev));
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
 * p2px_provider_export() - export ranges of a provider's claimed BAR
 * @pdev: a PCI device (reference held by the caller)
 * @bar: a BAR index
 * @priv: the buffer to export (p2px_dmabuf_alloc_user())
 *
 * Under @pdev's device lock, so that its remove() revokes after this.
 *
 * Context: process context; takes the device lock of @pdev.
 * Return: the dma-buf, owned by @pdev's provider context; ERR_PTR(-ENODEV)
 * if @pdev is not bound to the provider driver, ERR_PTR(-EINVAL) for a
 * BAR it did not claim, or as p2px_dmabuf_finish(). @priv is consumed.
 */
struct dma_buf *p2px_provider_export(struct pci_dev *pdev, unsigned int bar,
				     struct p2px_dmabuf *priv)
{
	struct p2px_provider *ctx;
	struct dma_buf *dmabuf;

	device_lock(&pdev->dev);
	if (!p2px_provider_bound(pdev)) {
		dmabuf = ERR_PTR(-ENODEV);
		goto err;
	}
	ctx = pci_get_drvdata(pdev);
	if (bar >= PCI_STD_NUM_BARS || !(ctx->bars & BIT(bar))) {
		dmabuf = ERR_PTR(-EINVAL);
		goto err;
	}
	/* Frees @priv on failure. */
	dmabuf = p2px_dmabuf_finish(priv, pdev, bar, ctx);
	device_unlock(&pdev->dev);
	return dmabuf;
err:
	device_unlock(&pdev->dev);
	p2px_dmabuf_free(priv);
	return dmabuf;
}

int p2px_provider_init(void)
{
	return pci_register_driver(&p2px_provider_driver);
}

void p2px_provider_exit(void)
{
	pci_unregister_driver(&p2px_provider_driver);
}
