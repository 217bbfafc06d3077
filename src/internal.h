/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext internal interfaces between the module's files.
 */
#ifndef P2PDMA_EXT_INTERNAL_H
#define P2PDMA_EXT_INTERNAL_H

#include <linux/types.h>

#define P2PX_NAME	"p2pdma_ext"

/* chardev.c: the control device /dev/p2pdma_ext */
int p2px_chardev_init(void);
void p2px_chardev_exit(void);

/* allowlist.c: host-bridge allowlist module parameters */
struct p2px_topo_policy;
void p2px_policy_fill(struct p2px_topo_policy *pol);
void p2px_allowlist_exit(void);

/* topology.c: the walker over struct pci_dev */
struct device;
struct pci_dev;
struct p2px_topo_result;
int p2px_calc_pair(struct pci_dev *provider, struct pci_dev *client,
		   struct p2px_topo_result *res);
int p2px_distance_many(struct pci_dev *provider, struct device **clients,
		       int num_clients, bool verbose);

/* provider.c: the generic provider driver "p2pdma_ext_provider" */
int p2px_provider_init(void);
void p2px_provider_exit(void);

#endif /* P2PDMA_EXT_INTERNAL_H */
