/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext drop-in for <linux/dma-buf-mapping.h> (Linux 6.19 and later):
 * dma_buf_phys_vec_to_sgt() and dma_buf_free_sgt(). With CONFIG_PCI_P2PDMA
 * (7.2) the kernel's header is used as it is; without it the drop-in
 * <linux/pci-p2pdma.h> redirects both names to p2pdma_ext_phys_vec_to_sgt()
 * and p2pdma_ext_free_sgt().
 */
#ifndef P2PDMA_EXT_COMPAT_DMA_BUF_MAPPING_H
#define P2PDMA_EXT_COMPAT_DMA_BUF_MAPPING_H

#ifdef CONFIG_PCI_P2PDMA
#include_next <linux/dma-buf-mapping.h>
#endif
#include <linux/dma-buf.h>
#include <linux/pci-p2pdma.h>

#endif /* P2PDMA_EXT_COMPAT_DMA_BUF_MAPPING_H */
