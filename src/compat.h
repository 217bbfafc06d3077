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
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
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

/* --- Driver core and mm ------------------------------------------------ */

static inline struct class *p2px_class_create(const char *name)
{
#if defined(P2PDMA_EXT_HAVE_CLASS_CREATE_ONE_ARG)
	return class_create(name);
#elif defined(P2PDMA_EXT_HAVE_CLASS_CREATE_OWNER_ARG)
	return class_create(THIS_MODULE, name);
#else
#error "probe group class_create gave no answer"
#endif
}

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

static inline struct dev_pagemap *p2px_page_pgmap(struct page *page)
{
#if defined(P2PDMA_EXT_HAVE_PAGE_PGMAP_HELPER)
	return page_pgmap(page);
#elif defined(P2PDMA_EXT_HAVE_PAGE_PGMAP_FIELD)
	return page->pgmap;
#else
#error "probe group page_pgmap gave no answer"
#endif
}

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
