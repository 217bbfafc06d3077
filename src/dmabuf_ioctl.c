// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext: the dma-buf commands of the control device and of provider
 * fds, P2PDMA_EXT_IOC_DMABUF_EXPORT and P2PDMA_EXT_IOC_DMABUF_REVOKE.
 *
 * Calls go down only: to the provider driver (provider.c), which checks
 * the binding and the BAR under the device lock and exports through the
 * exporter (dmabuf.c).
 */
#include <linux/dma-buf.h>
#include <linux/fcntl.h>
#include <linux/pci.h>
#include <linux/security.h>
#include <linux/uaccess.h>
#include <uapi/linux/p2pdma_ext.h>

#include "dmabuf.h"
#include "internal.h"
#include "pci_lookup.h"
#include "provider.h"
#include "uarg.h"

/* The structure as ABI version 5 knew it, still accepted. */
#define P2PX_EXPORT_MINSZ	offsetofend(struct p2pdma_ext_dmabuf_export, ranges)

/**
 * p2px_ioctl_dmabuf_export() - P2PDMA_EXT_IOC_DMABUF_EXPORT
 * @uarg: user pointer to struct p2pdma_ext_dmabuf_export
 * @bound: the device of a provider fd, or NULL on the control device
 *	(the device is then looked up by @device)
 *
 * The ranges are copied from user space in one go into the buffer's own
 * allocation, which is all this allocates besides the dma-buf.
 *
 * The caller's privilege was checked by the control device; lockdown
 * (LOCKDOWN_PCI_ACCESS, which forbids user access to PCI BARs) is checked
 * here, for both the control device and provider fds.
 *
 * Return: 0 with the new fd in the structure (installed only once its
 * number was written there), or a negative errno as documented in the
 * uapi header.
 */
long p2px_ioctl_dmabuf_export(void __user *uarg, struct pci_dev *bound)
{
	struct p2pdma_ext_dmabuf_export __user *u = uarg;
	struct p2pdma_ext_dmabuf_export arg;
	struct p2px_dmabuf *priv;
	struct dma_buf *dmabuf;
	struct pci_dev *pdev;
	long ret;

	BUILD_BUG_ON(sizeof(arg) != 48 || P2PX_EXPORT_MINSZ != 40);
	/* -EPERM, one rate-limited log line by the lockdown LSM. */
	ret = security_locked_down(LOCKDOWN_PCI_ACCESS);
	if (ret)
		return ret;
	ret = p2px_get_arg_min(&arg, sizeof(arg), P2PX_EXPORT_MINSZ, uarg);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved || (arg.open_flags & ~O_CLOEXEC) ||
	    arg.bar >= PCI_STD_NUM_BARS || !arg.nr_ranges)
		return -EINVAL;
	if (bound && arg.device && arg.device != p2px_pci_id(bound))
		return -EINVAL;
	if (arg.nr_ranges > P2PDMA_EXT_DMABUF_MAX_RANGES)
		return -E2BIG;

	priv = p2px_dmabuf_alloc_user(u64_to_user_ptr(arg.ranges),
				      arg.nr_ranges);
	if (IS_ERR(priv))
		return PTR_ERR(priv);
	pdev = bound ? bound : p2px_pci_get_by_id(arg.device);
	if (!pdev) {
		p2px_dmabuf_free(priv);
		return -ENODEV;
	}
	/* Frees @priv on failure. */
	dmabuf = p2px_provider_export(pdev, arg.bar, priv);
	if (!bound)
		pci_dev_put(pdev);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	/* On failure this drops the only file reference: the buffer goes. */
	return p2px_install_fd(dmabuf->file, arg.open_flags, &u->fd);
}

/**
 * p2px_ioctl_dmabuf_revoke() - P2PDMA_EXT_IOC_DMABUF_REVOKE
 * @uarg: user pointer to struct p2pdma_ext_dmabuf_revoke
 *
 * Return: 0 or a negative errno as documented in the uapi header.
 */
long p2px_ioctl_dmabuf_revoke(void __user *uarg)
{
	struct p2pdma_ext_dmabuf_revoke arg;
	int ret;

	ret = p2px_get_arg(&arg, sizeof(arg), uarg);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved)
		return -EINVAL;
	return p2px_dmabuf_revoke_fd(arg.fd);
}
