/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext generic provider driver "p2pdma_ext_provider" (provider.c).
 *
 * Calls go one way: the control device's commands call in here, this
 * file calls the dma-buf exporter (dmabuf.h) and the registry; neither
 * calls back.
 */
#ifndef P2PDMA_EXT_PROVIDER_H
#define P2PDMA_EXT_PROVIDER_H

#include <linux/types.h>

struct dma_buf;
struct pci_dev;
struct p2px_dmabuf;

int p2px_provider_init(void);
void p2px_provider_exit(void);
bool p2px_provider_bound(struct pci_dev *pdev);
struct dma_buf *p2px_provider_export(struct pci_dev *pdev, unsigned int bar,
				     struct p2px_dmabuf *priv);

#endif /* P2PDMA_EXT_PROVIDER_H */
