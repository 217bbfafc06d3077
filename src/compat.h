/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext compatibility shim.
 *
 * The only place in src/ that looks at what the target kernel provides.
 * Every decision here comes from generated/p2pdma_ext_config.h, which the
 * compile probes in src/probes/ write at build time; nothing here tests a
 * kernel version number. The rest of the module calls the p2px_* helpers
 * below and never tests P2PDMA_EXT_HAVE_* itself.
 */
#ifndef P2PDMA_EXT_COMPAT_H
#define P2PDMA_EXT_COMPAT_H

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/rcupdate.h>
#include <linux/scatterlist.h>
#ifdef CONFIG_X86
#include <asm/processor.h>
#endif

#include "p2pdma_ext_config.h"

/* --- Symbol namespaces ------------------------------------------------ */

#if defined(P2PDMA_EXT_HAVE_NS_IMPORT_STRING)
#define EXPORT_SYMBOL_P2PX(sym)	EXPORT_SYMBOL_NS_GPL(sym, "P2PDMA_EXT")
#elif defined(P2PDMA_EXT_HAVE_NS_IMPORT_TOKEN)
#define EXPORT_SYMBOL_P2PX(sym)	EXPORT_SYMBOL_NS_GPL(sym, P2PDMA_EXT)
#else
#error "probe group ns_import gave no answer"
#endif

/* --- Native PCI P2PDMA ------------------------------------------------ */

/**
 * p2px_native_p2pdma() - does the kernel carry its own PCI P2PDMA?
 *
 * True where CONFIG_PCI_P2PDMA is built in: the module then delegates to
 * the kernel's registry instead of creating its own P2PDMA pgmaps.
 */
static inline bool p2px_native_p2pdma(void)
{
#if defined(P2PDMA_EXT_HAVE_P2PDMA_NATIVE)
	return true;
#elif defined(P2PDMA_EXT_HAVE_P2PDMA_EXT)
	return false;
#else
#error "probe group p2pdma gave no answer"
#endif
}

/**
 * p2px_kernel_pool() - the kernel's P2P memory pool of a device
 * @pdev: any PCI device
 *
 * <linux/p2pdma_ext.h> reads it through the head of the kernel's private
 * struct pci_p2pdma (struct p2pdma_ext_kernel_state).
 *
 * Context: an RCU read-side section, which keeps the pool valid.
 * Return: the pool; NULL if @pdev has none or the kernel has no native
 * P2PDMA.
 */
static inline struct gen_pool *p2px_kernel_pool(struct pci_dev *pdev)
{
#if defined(P2PDMA_EXT_HAVE_P2PDMA_NATIVE)
	return p2pdma_ext_kernel_pool(pdev);
#else
	return NULL;
#endif
}

/* --- Provider handles (struct p2pdma_provider) ------------------------ */

/**
 * p2px_kernel_provider() - does the kernel keep per-BAR provider handles?
 *
 * True where it exports pcim_p2pdma_init() and pcim_p2pdma_provider()
 * (the provider-lifecycle API of Linux 6.19): p2pdma_ext then hands out the
 * kernel's own struct p2pdma_provider objects instead of keeping its own.
 */
static inline bool p2px_kernel_provider(void)
{
#if defined(P2PDMA_EXT_HAVE_P2PDMA_PROVIDER_KERNEL)
	return true;
#elif defined(P2PDMA_EXT_HAVE_P2PDMA_PROVIDER_EXT)
	return false;
#else
#error "probe group p2pdma_provider gave no answer"
#endif
}

/* The kernel's pcim_p2pdma_init(); only called if p2px_kernel_provider(). */
static inline int p2px_kernel_provider_init(struct pci_dev *pdev)
{
#if defined(P2PDMA_EXT_HAVE_P2PDMA_PROVIDER_KERNEL)
	return pcim_p2pdma_init(pdev);
#else
	return -EOPNOTSUPP;
#endif
}

/*
 * The kernel's handle for memory BAR @bar of @pdev, or NULL if the kernel
 * has no handles for @pdev (pcim_p2pdma_init() not called, or released at
 * unbind; the kernel would warn). Only called if p2px_kernel_provider().
 */
static inline struct p2pdma_ext_provider *
p2px_kernel_provider_get(struct pci_dev *pdev, int bar)
{
#if defined(P2PDMA_EXT_HAVE_P2PDMA_PROVIDER_KERNEL)
	/* Our public struct mirrors the kernel's: the same object. */
	BUILD_BUG_ON(sizeof(struct p2pdma_provider) !=
		     sizeof(struct p2pdma_ext_provider));
	BUILD_BUG_ON(offsetof(struct p2pdma_provider, owner) !=
		     offsetof(struct p2pdma_ext_provider, owner));
	BUILD_BUG_ON(offsetof(struct p2pdma_provider, bus_offset) !=
		     offsetof(struct p2pdma_ext_provider, bus_offset));
	BUILD_BUG_ON(!__same_type(((struct p2pdma_provider *)NULL)->owner,
				  ((struct p2pdma_ext_provider *)NULL)->owner));
	BUILD_BUG_ON(!__same_type(((struct p2pdma_provider *)NULL)->bus_offset,
				  ((struct p2pdma_ext_provider *)NULL)->bus_offset));
	if (!rcu_access_pointer(pdev->p2pdma))
		return NULL;
	return (struct p2pdma_ext_provider *)pcim_p2pdma_provider(pdev, bar);
#else
	return NULL;
#endif
}

/* --- Driver core and mm ------------------------------------------------ */

static inline void p2px_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#if defined(P2PDMA_EXT_HAVE_VM_FLAGS_SETTER)
	vm_flags_set(vma, flags);
#elif defined(P2PDMA_EXT_HAVE_VM_FLAGS_WRITABLE)
	vma->vm_flags |= flags;
#else
#error "probe group vm_flags gave no answer"
#endif
}

/*
 * P2PX_BIN_ATTR_CONST is "const" where bin_attribute callbacks take a
 * const struct bin_attribute * and attribute_group.bin_attrs is an array
 * of const pointers, and empty where both are mutable.
 */
#if defined(P2PDMA_EXT_HAVE_BIN_ATTR_MMAP_CONST)
#define P2PX_BIN_ATTR_CONST	const
#elif defined(P2PDMA_EXT_HAVE_BIN_ATTR_MMAP_MUTABLE)
#define P2PX_BIN_ATTR_CONST
#else
#error "probe group bin_attr_mmap gave no answer"
#endif

/* --- ZONE_DEVICE pages ------------------------------------------------ */

static inline struct percpu_ref *p2px_pgmap_ref(struct dev_pagemap *pgmap)
{
#if defined(P2PDMA_EXT_HAVE_PGMAP_REF_EMBEDDED)
	return &pgmap->ref;
#elif defined(P2PDMA_EXT_HAVE_PGMAP_REF_POINTER)
	return pgmap->ref;
#else
#error "probe group pgmap_ref gave no answer"
#endif
}

/*
 * P2PX_PGMAP_FREE_OPS(name, fn) defines "static const struct
 * dev_pagemap_ops name" whose free callback calls void fn(struct page *),
 * whichever of page_free or folio_free the kernel has.
 */
#if defined(P2PDMA_EXT_HAVE_PGMAP_FREE_FOLIO)
#define P2PX_PGMAP_FREE_OPS(name, fn)					\
	static void name##_folio_free(struct folio *folio)		\
	{								\
		fn(&folio->page);					\
	}								\
	static const struct dev_pagemap_ops name = {			\
		.folio_free = name##_folio_free,			\
	}
#elif defined(P2PDMA_EXT_HAVE_PGMAP_FREE_PAGE)
#define P2PX_PGMAP_FREE_OPS(name, fn)					\
	static const struct dev_pagemap_ops name = {			\
		.page_free = fn,					\
	}
#else
#error "probe group pgmap_free gave no answer"
#endif

/* The pgmap of a ZONE_DEVICE page. */
static inline struct dev_pagemap *p2px_page_pgmap(const struct page *page)
{
#if defined(P2PDMA_EXT_HAVE_PAGE_PGMAP_HELPER)
	return page_pgmap(page);
#elif defined(P2PDMA_EXT_HAVE_PAGE_PGMAP_FIELD)
	return page->pgmap;
#else
#error "probe group page_pgmap gave no answer"
#endif
}

/**
 * p2px_kernel_pgmap_provider() - provider handle of a kernel P2PDMA pgmap
 * @pgmap: the pgmap of a page for which is_pci_p2pdma_page() is true
 *
 * The kernel keeps the handle in its private struct pci_p2pdma_pagemap,
 * which since Linux 6.19 is the pgmap followed by a pointer to the
 * handle, and exports nothing that returns it to a module. This reads it
 * there, without dereferencing it: the caller must compare it with the
 * handle it found by other means (registry_native.c does, once) before
 * trusting it.
 *
 * Return: what the kernel's layout holds there; NULL where the kernel has
 * no provider handles.
 */
static inline struct p2pdma_ext_provider *
p2px_kernel_pgmap_provider(struct dev_pagemap *pgmap)
{
#if defined(P2PDMA_EXT_HAVE_P2PDMA_PROVIDER_KERNEL)
	size_t off = ALIGN(sizeof(*pgmap), __alignof__(void *));

	return READ_ONCE(*(struct p2pdma_ext_provider **)((char *)pgmap + off));
#else
	return NULL;
#endif
}

/*
 * The scatterlist's own mark of a DMA address that is a PCI bus address
 * (map type BUS_ADDR), where the kernel's struct scatterlist has DMA flags
 * (SG_DMA_BUS_ADDRESS is defined exactly then); code that reads the list
 * after p2pdma_ext_map_sg_attrs() sees what the kernel's dma_map_sg()
 * would have set, and its unmap reads the mark back. Elsewhere nothing is
 * marked and p2px_sg_is_bus() is false: client_map.c keeps its own record.
 */
static inline void p2px_sg_mark_bus(struct scatterlist *sg, bool bus)
{
#ifdef SG_DMA_BUS_ADDRESS
	if (bus)
		sg_dma_mark_bus_address(sg);
	else
		sg_dma_unmark_bus_address(sg);
#endif
}

/* Whether the kernel's scatterlist can carry p2px_sg_mark_bus()'s mark. */
static inline bool p2px_sg_has_bus_mark(void)
{
#ifdef SG_DMA_BUS_ADDRESS
	return true;
#else
	return false;
#endif
}

/* Whether @sg carries the mark (always false where it cannot). */
static inline bool p2px_sg_is_bus(struct scatterlist *sg)
{
#ifdef SG_DMA_BUS_ADDRESS
	return sg_dma_is_bus_address(sg);
#else
	return false;
#endif
}

/* --- dma-buf ------------------------------------------------------------ */

/*
 * P2PX_ATTACH_NOTIFY is the name of the dma_buf_attach_ops member through
 * which an exporter tells importers that their mappings are going away.
 */
#if defined(P2PDMA_EXT_HAVE_DMA_BUF_NOTIFY_INVALIDATE_MAPPINGS)
#define P2PX_ATTACH_NOTIFY	invalidate_mappings
#elif defined(P2PDMA_EXT_HAVE_DMA_BUF_NOTIFY_MOVE_NOTIFY)
#define P2PX_ATTACH_NOTIFY	move_notify
#else
#error "probe group dma_buf_notify gave no answer"
#endif

/* Tell every importer of @dmabuf to drop its mappings; resv lock held. */
static inline void p2px_dma_buf_invalidate(struct dma_buf *dmabuf)
{
#if defined(P2PDMA_EXT_HAVE_DMA_BUF_NOTIFY_INVALIDATE_MAPPINGS)
	dma_buf_invalidate_mappings(dmabuf);
#else
	dma_buf_move_notify(dmabuf);
#endif
}

/*
 * Must a revocable exporter implement pin/unpin? Where the notify callback
 * is move_notify, yes, whatever CONFIG_DMABUF_MOVE_NOTIFY says: the core
 * takes an exporter without pin for a static one and caches one mapping per
 * dynamic importer at attach time, which the importer's unmap leaves in
 * place and a revoke cannot take back; with the option off the core also
 * pins around every map. Where the callback is invalidate_mappings the core
 * does neither.
 */
static inline bool p2px_dma_buf_exporter_pins(void)
{
#if defined(P2PDMA_EXT_HAVE_DMA_BUF_NOTIFY_MOVE_NOTIFY)
	return true;
#else
	return false;
#endif
}

/* Can @attach be revoked: does its importer take the notify callback? */
static inline bool p2px_dma_buf_attach_revocable(struct dma_buf_attachment *attach)
{
#if defined(P2PDMA_EXT_HAVE_DMA_BUF_REVOCABLE_EXPORTED)
	return dma_buf_attach_revocable(attach);
#elif defined(P2PDMA_EXT_HAVE_DMA_BUF_REVOCABLE_NONE)
	return attach->importer_ops && attach->importer_ops->P2PX_ATTACH_NOTIFY;
#else
#error "probe group dma_buf_revocable gave no answer"
#endif
}

/*
 * Wait, uninterruptibly and for at most @timeout jiffies, for every fence
 * of @resv: 0 if some are still unsignalled then, > 0 if none.
 */
static inline long p2px_dma_resv_wait_all(struct dma_resv *resv, long timeout)
{
#if defined(P2PDMA_EXT_HAVE_RESV_WAIT_USAGE)
	return dma_resv_wait_timeout(resv, DMA_RESV_USAGE_BOOKKEEP, false,
				     timeout);
#elif defined(P2PDMA_EXT_HAVE_RESV_WAIT_RCU)
	return dma_resv_wait_timeout_rcu(resv, true, false, timeout);
#else
#error "probe group resv_wait gave no answer"
#endif
}

/*
 * Map @len bytes of MMIO at CPU physical address @phys for DMA by @dev
 * through whatever the DMA API puts in between (an IOMMU, or nothing).
 * On the ext back end the BARs our provider registered have ZONE_DEVICE
 * pages, which the oldest kernels' dma_map_resource() refuses (with a
 * warning); those are mapped as pages instead, as upstream's P2PDMA did
 * for host-bridge traffic. The native back end's pages are P2PDMA pages,
 * which only dma_map_resource() may map.
 */
static inline dma_addr_t p2px_dma_map_mmio(struct device *dev, phys_addr_t phys,
					   size_t len,
					   enum dma_data_direction dir,
					   bool *as_page)
{
	*as_page = !p2px_native_p2pdma() && pfn_valid(PHYS_PFN(phys));
	if (*as_page)
		return dma_map_page_attrs(dev, pfn_to_page(PHYS_PFN(phys)),
					  offset_in_page(phys), len, dir,
					  DMA_ATTR_SKIP_CPU_SYNC);
	return dma_map_resource(dev, phys, len, dir, DMA_ATTR_SKIP_CPU_SYNC);
}

/*
 * Undo p2px_dma_map_mmio() the way it mapped (@as_page as it said then):
 * the pages may be gone by now, for an importer that unmaps only after
 * its provider went away.
 */
static inline void p2px_dma_unmap_mmio(struct device *dev, dma_addr_t dma,
				       size_t len, enum dma_data_direction dir,
				       bool as_page)
{
	if (as_page)
		dma_unmap_page_attrs(dev, dma, len, dir, DMA_ATTR_SKIP_CPU_SYNC);
	else
		dma_unmap_resource(dev, dma, len, dir, DMA_ATTR_SKIP_CPU_SYNC);
}

/* --- PCI topology --------------------------------------------------------- */

struct pci_host_bridge *p2px_find_host_bridge(struct pci_bus *bus);

/*
 * Does the CPU's root complex route peer-to-peer traffic between its root
 * ports? Upstream trusts every AMD Zen (family 17h and later).
 */
static inline bool p2px_cpu_routes_p2p(void)
{
#ifdef CONFIG_X86
	return boot_cpu_data.x86_vendor == X86_VENDOR_AMD &&
	       boot_cpu_data.x86 >= 0x17;
#else
	return false;
#endif
}

/* --- Feature report (for the control device's INFO ioctl) ----------------- */

u64 p2px_compat_features(void);

#endif /* P2PDMA_EXT_COMPAT_H */
