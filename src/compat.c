// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext compatibility shim: the out-of-line half of compat.h.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <uapi/linux/p2pdma_ext.h>

#include "compat.h"

#if defined(P2PDMA_EXT_HAVE_DMA_BUF_NS_NS)
#if defined(P2PDMA_EXT_HAVE_NS_IMPORT_STRING)
MODULE_IMPORT_NS("DMA_BUF");
#else
MODULE_IMPORT_NS(DMA_BUF);
#endif
#elif !defined(P2PDMA_EXT_HAVE_DMA_BUF_NS_NONE)
#error "probe group dma_buf_ns gave no answer"
#endif

/**
 * p2px_find_host_bridge() - the host bridge above a PCI bus
 * @bus: any bus of the hierarchy
 *
 * Uses the kernel's pci_find_host_bridge() where it is exported and walks
 * to the root bus where it is not.
 *
 * Return: the host bridge; never NULL for a bus that is in the hierarchy.
 */
struct pci_host_bridge *p2px_find_host_bridge(struct pci_bus *bus)
{
#if defined(P2PDMA_EXT_HAVE_HOST_BRIDGE_LOOKUP_EXPORTED)
	return pci_find_host_bridge(bus);
#elif defined(P2PDMA_EXT_HAVE_HOST_BRIDGE_LOOKUP_WALK)
	while (bus->parent)
		bus = bus->parent;
	return to_pci_host_bridge(bus->bridge);
#else
#error "probe group host_bridge_lookup gave no answer"
#endif
}

/**
 * p2px_compat_features() - what the compile probes found
 *
 * Return: P2PDMA_EXT_KFEAT_* bits for the kernel the module was built for.
 */
u64 p2px_compat_features(void)
{
	u64 f = 0;

	if (p2px_native_p2pdma())
		f |= P2PDMA_EXT_KFEAT_NATIVE_P2PDMA;
#if defined(P2PDMA_EXT_HAVE_NS_IMPORT_STRING)
	f |= P2PDMA_EXT_KFEAT_NS_STRING;
#endif
#if defined(P2PDMA_EXT_HAVE_DMA_BUF_NS_NS)
	f |= P2PDMA_EXT_KFEAT_DMA_BUF_NS;
#endif
#if defined(P2PDMA_EXT_HAVE_DMA_BUF_NOTIFY_INVALIDATE_MAPPINGS)
	f |= P2PDMA_EXT_KFEAT_INVALIDATE_MAPPINGS;
#endif
#if defined(P2PDMA_EXT_HAVE_DMA_BUF_VMAP_IOSYS_MAP)
	f |= P2PDMA_EXT_KFEAT_VMAP_IOSYS_MAP;
#endif
#if defined(P2PDMA_EXT_HAVE_PAGE_PGMAP_HELPER)
	f |= P2PDMA_EXT_KFEAT_PAGE_PGMAP;
#endif
#if defined(P2PDMA_EXT_HAVE_PGMAP_FREE_FOLIO)
	f |= P2PDMA_EXT_KFEAT_FOLIO_FREE;
#endif
#if defined(P2PDMA_EXT_HAVE_PGMAP_REF_EMBEDDED)
	f |= P2PDMA_EXT_KFEAT_PGMAP_REF_EMBEDDED;
#endif
#if defined(P2PDMA_EXT_HAVE_CLASS_CREATE_ONE_ARG)
	f |= P2PDMA_EXT_KFEAT_CLASS_CREATE_ONE_ARG;
#endif
#if defined(P2PDMA_EXT_HAVE_VM_FLAGS_SETTER)
	f |= P2PDMA_EXT_KFEAT_VM_FLAGS_SET;
#endif
#if defined(P2PDMA_EXT_HAVE_HOST_BRIDGE_LOOKUP_EXPORTED)
	f |= P2PDMA_EXT_KFEAT_HOST_BRIDGE_EXPORTED;
#endif
#if defined(P2PDMA_EXT_HAVE_DMA_BUF_NOTIFY_MOVE_NOTIFY) && IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY)
	f |= P2PDMA_EXT_KFEAT_DMABUF_MOVE_NOTIFY;
#endif
	return f;
}
