/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext client side (client_map.c): what the rest of the module
 * calls. The exported API is in <linux/p2pdma_ext.h>.
 */
#ifndef P2PDMA_EXT_CLIENT_MAP_H
#define P2PDMA_EXT_CLIENT_MAP_H

#include <linux/dma-direction.h>
#include <linux/p2pdma_ext.h>
#include <linux/scatterlist.h>

#include "compat.h"

/**
 * p2px_p2p_map_sg() - the DMA address of a range of P2P memory for a client
 * @dev: the client
 * @map: how @dev reaches the memory (p2pdma_ext_map_type() of the BAR's
 *	device and @dev)
 * @sg: the entry that receives the DMA address and length
 * @phys: CPU physical address of the range
 * @bus_off: PCI bus address minus CPU physical address of its BAR
 * @len: length of the range
 * @dir: DMA direction
 * @as_page: for THRU_HOST_BRIDGE, receives how the DMA API mapped it (for
 *	p2px_p2p_unmap_sg())
 *
 * The upstream address rule, in one place for every P2P mapping the
 * module makes (client lists, phys_vec tables, the module's dma-buf
 * exporter): BUS_ADDR is the PCI bus address and maps nothing, also when
 * an IOMMU translates @dev's DMA (the switch routes the peer's TLP before
 * any IOMMU sees it; an IOVA would send it up through the host bridge, a
 * path the allowlist did not approve), marked SG_DMA_BUS_ADDRESS where the
 * kernel has the flag; THRU_HOST_BRIDGE is a DMA API mapping of the CPU
 * physical address, through the IOMMU if there is one. Any other map type
 * maps nothing. Inline: a table of many bus addresses costs a few stores
 * per entry, as with the kernel's own helpers.
 *
 * Context: any context the DMA API's map allows.
 * Return: 0, -EREMOTEIO for a map type without a P2P path, -EIO if the
 * DMA API failed.
 */
static inline int p2px_p2p_map_sg(struct device *dev,
				  enum p2pdma_ext_map_type map,
				  struct scatterlist *sg, phys_addr_t phys,
				  u64 bus_off, size_t len,
				  enum dma_data_direction dir, bool *as_page)
{
	dma_addr_t addr;

	*as_page = false;
	switch (map) {
	case P2PDMA_EXT_MAP_BUS_ADDR:
		addr = phys + bus_off;
		p2px_sg_mark_bus(sg, true);
		break;
	case P2PDMA_EXT_MAP_THRU_HOST_BRIDGE:
		addr = p2px_dma_map_mmio(dev, phys, len, dir, as_page);
		if (dma_mapping_error(dev, addr))
			return -EIO;
		break;
	default:
		return -EREMOTEIO;
	}
	sg_dma_address(sg) = addr;
	sg_dma_len(sg) = len;
	return 0;
}

void p2px_p2p_unmap_sg(struct device *dev, enum p2pdma_ext_map_type map,
		       struct scatterlist *sg, enum dma_data_direction dir,
		       bool as_page);

/* Module unload: free (and report) the records of lists never unmapped. */
void p2px_client_map_exit(void);

#endif /* P2PDMA_EXT_CLIENT_MAP_H */
