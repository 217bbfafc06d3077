/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext PCI lookups (pci_lookup.c): functions by topology id, bus
 * address text, or as the nearest PCI ancestor of a device. Calls the PCI
 * core only.
 */
#ifndef P2PX_PCI_LOOKUP_H
#define P2PX_PCI_LOOKUP_H

#include <linux/pci.h>
#include <linux/types.h>

#include "topology_core.h"

/* The topology id of a PCI function (also the uapi P2PDMA_EXT_DEVID()). */
static inline u64 p2px_pci_id(struct pci_dev *pdev)
{
	return P2PX_TOPO_ID(pci_domain_nr(pdev->bus), pdev->bus->number,
			    pdev->devfn);
}

/* pci_lookup.c: PCI functions by id */
struct pci_dev *p2px_pci_get_by_id(u64 id);
int p2px_pci_get_ids(const u64 *ids, unsigned int n, struct pci_dev **devs);
int p2px_pci_get_all(unsigned int max, struct pci_dev ***devs,
		     unsigned int *n);
void p2px_pci_put_all(struct pci_dev **devs, unsigned int n);
struct pci_dev *p2px_pci_ancestor(struct device *dev);
int p2px_parse_bdf(const char *s, u64 *id, const char **end);

#endif /* P2PX_PCI_LOOKUP_H */
