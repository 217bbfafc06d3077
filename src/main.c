// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext: PCI peer-to-peer DMA for kernels built without it.
 *
 * Module entry points: bring the parts up in order and take them down in
 * the reverse order, on failure as on unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/p2pdma_ext.h>

#include "chardev.h"
#include "client_map.h"
#include "compat.h"
#include "dmabuf.h"
#include "internal.h"
#include "provider.h"
#include "registry.h"
#include "topology.h"

/* debugfs p2pdma_ext/: the topology files and the dma-buf list. */
static struct dentry *p2px_debugfs_dir;

/**
 * p2pdma_ext_version() - version of the loaded p2pdma_ext module
 *
 * Return: a static NUL-terminated string such as "0.1.0".
 */
const char *p2pdma_ext_version(void)
{
	return P2PDMA_EXT_VERSION;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_version);

/**
 * p2pdma_ext_is_native() - is P2PDMA provided by the kernel itself?
 *
 * Return: true when the running kernel has CONFIG_PCI_P2PDMA and p2pdma_ext
 * delegates to it; false when p2pdma_ext supplies P2P memory itself.
 */
bool p2pdma_ext_is_native(void)
{
	return p2px_native_p2pdma();
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_is_native);

static int __init p2px_init(void)
{
	int ret;

	ret = p2px_cache_init();
	if (ret)
		goto err_policy;
	/* Debugfs is a debugging aid: failures are not fatal. */
	p2px_debugfs_dir = debugfs_create_dir(P2PX_NAME, NULL);
	p2px_topo_debugfs_init(p2px_debugfs_dir);
	p2px_dmabuf_list_debugfs_init(p2px_debugfs_dir);

	ret = p2px_provider_init();
	if (ret)
		goto err_topo;
	/* Last: the control device lets user space in. */
	ret = p2px_chardev_init();
	if (ret)
		goto err_provider;

	pr_info("version %s loaded (%s P2PDMA)\n", P2PDMA_EXT_VERSION,
		p2px_native_p2pdma() ? "native" : "module-provided");
	return 0;

err_provider:
	/* Devices bound meanwhile (driver_override) unbind here. */
	p2px_provider_exit();
	p2px_dmabuf_exit();
	p2px_ext_exit();
err_topo:
	debugfs_remove_recursive(p2px_debugfs_dir);
	p2px_cache_exit();
err_policy:
	/* Module parameters were parsed, the allowlist policy allocated. */
	p2px_allowlist_exit();
	return ret;
}

static void __exit p2px_exit(void)
{
	p2px_chardev_exit();
	p2px_provider_exit();
	p2px_dmabuf_exit();
	p2px_client_map_exit();
	p2px_ext_exit();
	debugfs_remove_recursive(p2px_debugfs_dir);
	p2px_cache_exit();
	p2px_allowlist_exit();
}

module_init(p2px_init);
module_exit(p2px_exit);

MODULE_DESCRIPTION("PCI peer-to-peer DMA for kernels built without it");
MODULE_AUTHOR("The p2pdma-ext developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(P2PDMA_EXT_VERSION);
