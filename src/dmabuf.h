/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext DMA-BUF export of BAR MMIO: the exporter (dmabuf.c), its
 * listing (dmabuf_list.c) and its control device commands (dmabuf_ioctl.c).
 *
 * dmabuf.c is the bottom layer: it knows buffers, their owners (opaque
 * cookies) and importers, and calls none of the files that call it
 * (dmabuf_list.c, dmabuf_ioctl.c, provider.c).
 */
#ifndef P2PDMA_EXT_DMABUF_H
#define P2PDMA_EXT_DMABUF_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct dentry;
struct dma_buf;
struct pci_dev;
struct p2px_dmabuf;
struct p2pdma_ext_dmabuf_info;
struct p2pdma_ext_dmabuf_range;

/* dmabuf.c: the exporter */
struct p2px_dmabuf *p2px_dmabuf_alloc_user(const struct p2pdma_ext_dmabuf_range __user *ur,
					   unsigned int nr_ranges);
void p2px_dmabuf_free(struct p2px_dmabuf *priv);
struct dma_buf *p2px_dmabuf_finish(struct p2px_dmabuf *priv,
				   struct pci_dev *pdev, int bar,
				   const void *owner);
void p2px_dmabuf_revoke_owner(const void *owner);
int p2px_dmabuf_revoke_fd(int fd);
void p2px_dmabuf_exit(void);
unsigned int p2px_dmabuf_pin_all(struct p2px_dmabuf **bufs, unsigned int max);
void p2px_dmabuf_unpin_bufs(struct p2px_dmabuf **bufs, unsigned int n);
int p2px_dmabuf_describe(struct p2px_dmabuf *priv,
			 struct p2pdma_ext_dmabuf_info *info);

/* dmabuf_list.c: the exported dma-bufs, by ioctl and in debugfs */
long p2px_ioctl_dmabuf_list(void __user *uarg);
void p2px_dmabuf_list_debugfs_init(struct dentry *dir);

/* dmabuf_ioctl.c: export and revoke commands of the control device */
long p2px_ioctl_dmabuf_export(void __user *uarg, struct pci_dev *bound);
long p2px_ioctl_dmabuf_revoke(void __user *uarg);

#endif /* P2PDMA_EXT_DMABUF_H */
