// SPDX-License-Identifier: GPL-2.0
/* No native P2PDMA: this module supplies it on top of ZONE_DEVICE. */
#include <linux/pci-p2pdma.h>
#include <linux/memremap.h>

#if IS_ENABLED(CONFIG_PCI_P2PDMA)
#error "native PCI P2PDMA present"
#endif
#if !IS_ENABLED(CONFIG_ZONE_DEVICE)
#error "CONFIG_ZONE_DEVICE is required"
#endif

int p2px_probe(struct dev_pagemap *pgmap);
int p2px_probe(struct dev_pagemap *pgmap)
{
	return pgmap->type == MEMORY_DEVICE_PCI_P2PDMA;
}
