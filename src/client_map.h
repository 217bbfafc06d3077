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

/*
 * The one address rule for every P2P mapping the module makes (client
 * lists, phys_vec tables, our dma-buf exporter); see client_map.c.
 */
int p2px_p2p_map_sg(struct device *dev, enum p2pdma_ext_map_type map,
		    struct scatterlist *sg, phys_addr_t phys, u64 bus_off,
		    size_t len, enum dma_data_direction dir, bool *as_page);
void p2px_p2p_unmap_sg(struct device *dev, enum p2pdma_ext_map_type map,
		       struct scatterlist *sg, enum dma_data_direction dir,
		       bool as_page);

/* Module unload: free (and report) the records of lists never unmapped. */
void p2px_client_map_exit(void);

#endif /* P2PDMA_EXT_CLIENT_MAP_H */
