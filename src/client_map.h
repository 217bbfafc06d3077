/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext client side (client_map.c): what the rest of the module
 * calls. The exported API is in <linux/p2pdma_ext.h>.
 */
#ifndef P2PDMA_EXT_CLIENT_MAP_H
#define P2PDMA_EXT_CLIENT_MAP_H

/* Module unload: free (and report) the records of lists never unmapped. */
void p2px_client_map_exit(void);

#endif /* P2PDMA_EXT_CLIENT_MAP_H */
