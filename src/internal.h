/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext internal interfaces between the module's files.
 */
#ifndef P2PDMA_EXT_INTERNAL_H
#define P2PDMA_EXT_INTERNAL_H

#include <linux/types.h>

#define P2PX_NAME	"p2pdma_ext"

struct pci_dev;

/* chardev.c: the control device /dev/p2pdma_ext */
int p2px_chardev_init(void);
void p2px_chardev_exit(void);

/* provider.c: the generic provider driver "p2pdma_ext_provider" */
int p2px_provider_init(void);
void p2px_provider_exit(void);
int p2px_provider_bar_claimed(struct pci_dev *pdev, unsigned int bar);
bool p2px_provider_bound(struct pci_dev *pdev);

/* dmabuf.c: DMA-BUF export of BAR MMIO */
int p2px_get_arg(void *arg, size_t size, const void __user *uarg);
long p2px_ioctl_dmabuf_export(void __user *uarg, struct pci_dev *bound);
long p2px_ioctl_dmabuf_revoke(void __user *uarg);
void p2px_dmabuf_exit(void);
struct p2px_dmabuf;
struct p2pdma_ext_dmabuf_info;
unsigned int p2px_dmabuf_pin_all(struct p2px_dmabuf **bufs, unsigned int max);
void p2px_dmabuf_unpin_bufs(struct p2px_dmabuf **bufs, unsigned int n);
int p2px_dmabuf_describe(struct p2px_dmabuf *priv,
			 struct p2pdma_ext_dmabuf_info *info);

/* dmabuf_list.c: the exported dma-bufs, by ioctl and in debugfs */
struct dentry;
long p2px_ioctl_dmabuf_list(void __user *uarg);
void p2px_dmabuf_list_debugfs_init(struct dentry *dir);

#endif /* P2PDMA_EXT_INTERNAL_H */
