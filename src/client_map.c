// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext client side: DMA-mapping P2P memory for the device that will
 * do the DMA (the client), on every kernel, through the IOMMU or not.
 *
 * The address rules are upstream's. For each P2P page the map type of its
 * provider and the client, as p2pdma_ext_map_type() answers it (the
 * module's topology walker with its allowlist parameters), decides:
 *  - BUS_ADDR: the PCI bus address (CPU physical address plus the BAR's
 *    bus offset); nothing is mapped, also when an IOMMU translates the
 *    client's DMA: the switch routes the peer's TLP before any IOMMU sees
 *    it, and an IOVA would send it up through the host bridge instead;
 *  - THRU_HOST_BRIDGE: the DMA API on the CPU physical address
 *    (compat.h's p2px_dma_map_mmio()), through the IOMMU if there is one;
 *  - NOT_SUPPORTED: -EREMOTEIO, what the kernel's dma_map_sgtable() gives
 *    for P2P memory it cannot map, with nothing left mapped.
 * Any other page is mapped by the DMA API as usual. The rule for one
 * P2P range is p2px_p2p_map_sg() (client_map.h, inline), which
 * p2pdma_ext_phys_vec_to_sgt() and the module's own dma-buf exporter
 * (dmabuf.c) use as well: one decision path for registry memory, provider
 * handles and dma-bufs.
 *
 * Context: upstream's dma_map_sg() does not sleep, and drivers call it
 * in atomic context. The map type comes from the topology cache: a
 * current answer is read without locks; a stale one (after a hotplug, a
 * bind or a parameter change) is recomputed from config space, and a
 * pair's first lookup adds its cache entry, both without sleeping (the
 * walker's and the cache's locks are spinlocks, their records and
 * entries allocated with GFP_ATOMIC). On the native back end the
 * provider of a page is looked up once the slow way, over the PCI devices
 * (registry_native.c), and every time if the kernel's pgmap layout is not
 * the one this module knows (one log line says so). The records below
 * are allocated with GFP_ATOMIC.
 *
 * The unmap must know, per entry, which of the three an entry was, without
 * asking the topology again (a parameter may have changed meanwhile).
 * Where the kernel's scatterlist has DMA flags (SG_DMA_BUS_ADDRESS), the
 * map marks bus addresses as the kernel's dma_map_sg() does, and a list
 * whose P2P entries are all bus addresses needs nothing else: at the unmap
 * a marked entry is a bus address, any other was mapped by
 * dma_map_page_attrs(). Every other list that holds a ZONE_DEVICE page
 * gets a record, made by the map and taken by the unmap: struct
 * p2px_cm_rec, one kind per entry, in a hash table keyed by the list's
 * first entry (a list is mapped once at a time, as with the DMA API). That
 * is every such list on 5.10 and 6.1 without CONFIG_PCI_P2PDMA, which
 * have no DMA flags (nothing tells a dma-direct mapping from a bus address
 * by its value: on x86 both are the CPU physical address), and lists with
 * THRU_HOST_BRIDGE entries everywhere (their unmap needs how the DMA API
 * mapped them). A list without ZONE_DEVICE pages is mapped by
 * dma_map_sg_attrs() as a whole, as if this module were not there, and
 * has neither: an unmap that finds no record and no mark calls
 * dma_unmap_sg_attrs().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "client_map.h"
#include "compat.h"
#include "registry.h"

/* What one entry of a mapped list is; 0 is what kzalloc() gives. */
enum p2px_cm_kind {
	P2PX_CM_RAM = 0,	/* mapped by dma_map_page_attrs() */
	P2PX_CM_BUS,		/* a PCI bus address, nothing mapped */
	P2PX_CM_MMIO,		/* p2px_dma_map_mmio() as a resource */
	P2PX_CM_MMIO_PAGE,	/* p2px_dma_map_mmio() as a page */
};

/**
 * struct p2px_cm_rec - how one mapped list was mapped, entry by entry
 * @node: entry in p2px_cm_recs
 * @sg: the list's first entry (the key)
 * @dev: the client it was mapped for
 * @nents: its entries
 * @kind: enum p2px_cm_kind of each entry
 */
struct p2px_cm_rec {
	struct hlist_node node;
	struct scatterlist *sg;
	struct device *dev;
	int nents;
	u8 kind[];
};

/*
 * Locking: p2px_cm_lock (a spinlock: unmaps may run in any context)
 * protects p2px_cm_recs; p2px_cm_nrecs counts its records, so that an
 * unmap takes the lock only when there is one (the map of a list happens
 * before its unmap, and adds its record before it returns). A record
 * belongs to the map call that made it until it is added, and to the
 * unmap call that took it out afterwards.
 */
static DEFINE_SPINLOCK(p2px_cm_lock);
static DEFINE_HASHTABLE(p2px_cm_recs, 6);
static atomic_t p2px_cm_nrecs = ATOMIC_INIT(0);

static void p2px_cm_add(struct p2px_cm_rec *rec)
{
	unsigned long flags;

	spin_lock_irqsave(&p2px_cm_lock, flags);
	hash_add(p2px_cm_recs, &rec->node, (unsigned long)rec->sg);
	atomic_inc(&p2px_cm_nrecs);
	spin_unlock_irqrestore(&p2px_cm_lock, flags);
}

/* Take the record of the list that starts at @sg out, or NULL. */
static struct p2px_cm_rec *p2px_cm_take(struct scatterlist *sg)
{
	struct p2px_cm_rec *rec, *found = NULL;
	unsigned long flags;

	if (!atomic_read(&p2px_cm_nrecs))
		return NULL;
	spin_lock_irqsave(&p2px_cm_lock, flags);
	hash_for_each_possible(p2px_cm_recs, rec, node, (unsigned long)sg) {
		if (rec->sg == sg) {
			hash_del(&rec->node);
			atomic_dec(&p2px_cm_nrecs);
			found = rec;
			break;
		}
	}
	spin_unlock_irqrestore(&p2px_cm_lock, flags);
	return found;
}

/* The kind of an entry of a list mapped without a record. */
static enum p2px_cm_kind p2px_cm_marked_kind(struct scatterlist *sg)
{
	return p2px_sg_is_bus(sg) ? P2PX_CM_BUS : P2PX_CM_RAM;
}

/*
 * A record for a list of @nents entries starting at @sg, the kinds of its
 * first @mapped entries (mapped without one) read from their marks.
 */
static struct p2px_cm_rec *p2px_cm_rec_new(struct device *dev,
					   struct scatterlist *sg, int nents,
					   int mapped)
{
	struct p2px_cm_rec *rec;
	struct scatterlist *s;
	int i;

	/* Atomic: map_sg is called in atomic context (see Context). */
	rec = kzalloc(struct_size(rec, kind, nents), GFP_ATOMIC);
	if (!rec)
		return NULL;
	rec->sg = sg;
	rec->dev = dev;
	rec->nents = nents;
	for_each_sg(sg, s, mapped, i)
		rec->kind[i] = p2px_cm_marked_kind(s);
	return rec;
}

/* Unmap one entry that was mapped as @kind. */
static void p2px_cm_unmap_one(struct device *dev, struct scatterlist *sg,
			      enum p2px_cm_kind kind,
			      enum dma_data_direction dir, unsigned long attrs)
{
	switch (kind) {
	case P2PX_CM_RAM:
		dma_unmap_page_attrs(dev, sg_dma_address(sg), sg_dma_len(sg),
				     dir, attrs);
		break;
	case P2PX_CM_MMIO:
	case P2PX_CM_MMIO_PAGE:
		p2px_p2p_unmap_sg(dev, P2PDMA_EXT_MAP_THRU_HOST_BRIDGE, sg, dir,
				  kind == P2PX_CM_MMIO_PAGE);
		break;
	case P2PX_CM_BUS:
		p2px_p2p_unmap_sg(dev, P2PDMA_EXT_MAP_BUS_ADDR, sg, dir, false);
		break;
	}
}

/**
 * p2px_p2p_unmap_sg() - undo p2px_p2p_map_sg()
 * @dev: the client it was mapped for
 * @map: the map type it was mapped with
 * @sg: the entry
 * @dir: DMA direction
 * @as_page: what the map said in *@as_page
 *
 * Context: any context the DMA API's unmap allows.
 */
void p2px_p2p_unmap_sg(struct device *dev, enum p2pdma_ext_map_type map,
		       struct scatterlist *sg, enum dma_data_direction dir,
		       bool as_page)
{
	if (map == P2PDMA_EXT_MAP_THRU_HOST_BRIDGE)
		p2px_dma_unmap_mmio(dev, sg_dma_address(sg), sg_dma_len(sg),
				    dir, as_page);
	else
		p2px_sg_mark_bus(sg, false);
}

/**
 * p2pdma_ext_is_p2pdma_page() - is a page P2P memory of the registry?
 * @page: any page
 *
 * Upstream's is_pci_p2pdma_page(), which is constant false on kernels
 * without CONFIG_PCI_P2PDMA: this one also knows the memory that
 * p2pdma_ext_alloc() hands out there. On the native back end it is the
 * kernel's answer.
 *
 * Context: any context where the caller holds @page.
 * Return: true for a page of P2P memory.
 */
bool p2pdma_ext_is_p2pdma_page(const struct page *page)
{
	return page && is_zone_device_page(page) && p2px_page_provider(page);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_is_p2pdma_page);

/**
 * p2pdma_ext_provider_map_type() - how a client reaches a provider handle's BAR
 * @provider: a handle from p2pdma_ext_provider_get()
 * @dev: the device that would DMA to the BAR
 *
 * Upstream's pci_p2pdma_map_type(), answered by p2pdma_ext_map_type() for
 * the handle's owner: the module's topology walker and its allowlist
 * parameters decide, on every kernel.
 *
 * Context: any context; does not sleep.
 * Return: P2PDMA_EXT_MAP_BUS_ADDR, P2PDMA_EXT_MAP_THRU_HOST_BRIDGE or
 * P2PDMA_EXT_MAP_NOT_SUPPORTED (also for a NULL argument or a handle whose
 * owner is not a PCI device).
 */
enum p2pdma_ext_map_type
p2pdma_ext_provider_map_type(struct p2pdma_ext_provider *provider,
			     struct device *dev)
{
	if (!provider || !dev || !provider->owner ||
	    !dev_is_pci(provider->owner))
		return P2PDMA_EXT_MAP_NOT_SUPPORTED;
	return p2pdma_ext_map_type(to_pci_dev(provider->owner), dev);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_provider_map_type);

/**
 * p2pdma_ext_state() - is a page P2P memory, and how does a client reach it?
 * @state: zeroed before its first use; one state per client and list
 * @dev: the client
 * @page: the page to map
 *
 * Upstream's pci_p2pdma_state(). For a page of P2P memory @state->mem
 * becomes its provider handle and @state->map the map type for @dev; the
 * answer is kept for the page's pgmap, so that a run of pages of one BAR
 * is looked up once.
 *
 * Context: as p2pdma_ext_map_sg_attrs().
 * Return: P2PDMA_EXT_MAP_NONE if @page is not P2P memory, else the map
 * type (BUS_ADDR, THRU_HOST_BRIDGE or NOT_SUPPORTED).
 */
enum p2pdma_ext_map_type
p2pdma_ext_state(struct p2pdma_ext_map_state *state, struct device *dev,
		 struct page *page)
{
	struct p2pdma_ext_provider *prov;
	struct dev_pagemap *pgmap;

	if (!is_zone_device_page(page))
		return P2PDMA_EXT_MAP_NONE;
	pgmap = p2px_page_pgmap(page);
	if (state->pgmap == pgmap)
		return state->map;
	prov = p2px_page_provider(page);
	if (!prov)
		return P2PDMA_EXT_MAP_NONE;
	state->mem = prov;
	state->map = p2pdma_ext_provider_map_type(prov, dev);
	state->pgmap = pgmap;
	return state->map;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_state);

/* Does the list hold a page that may be P2P memory? */
static bool p2px_cm_has_device_pages(struct scatterlist *sgl, int nents)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		if (is_zone_device_page(sg_page(sg)))
			return true;
	return false;
}

/* Does an entry of the list carry the bus address mark? */
static bool p2px_cm_has_bus_mark(struct scatterlist *sgl, int nents)
{
	struct scatterlist *sg;
	int i;

	if (!p2px_sg_has_bus_mark())
		return false;
	for_each_sg(sgl, sg, nents, i)
		if (p2px_sg_is_bus(sg))
			return true;
	return false;
}

/* Map one entry; its kind into *@kind. 0 or a negative errno. */
static int p2px_cm_map_one(struct device *dev, struct scatterlist *sg,
			   struct p2pdma_ext_map_state *state,
			   enum dma_data_direction dir, unsigned long attrs,
			   enum p2px_cm_kind *kind)
{
	enum p2pdma_ext_map_type map;
	dma_addr_t addr;
	bool as_page;
	int ret;

	map = p2pdma_ext_state(state, dev, sg_page(sg));
	if (map == P2PDMA_EXT_MAP_NONE) {
		addr = dma_map_page_attrs(dev, sg_page(sg), sg->offset,
					  sg->length, dir, attrs);
		if (dma_mapping_error(dev, addr))
			return -EIO;
		sg->dma_address = addr;
		sg_dma_len(sg) = sg->length;
		*kind = P2PX_CM_RAM;
		return 0;
	}
	ret = p2px_p2p_map_sg(dev, map, sg, sg_phys(sg),
			      state->mem->bus_offset, sg->length, dir,
			      &as_page);
	if (ret == -EREMOTEIO)
		dev_warn_ratelimited(dev, "p2pdma_ext: P2P memory of %s is not reachable from this device; p2pdmactl why says why\n",
				     dev_name(state->mem->owner));
	if (ret)
		return ret;
	*kind = map == P2PDMA_EXT_MAP_BUS_ADDR ? P2PX_CM_BUS :
		as_page ? P2PX_CM_MMIO_PAGE : P2PX_CM_MMIO;
	return 0;
}

/**
 * p2pdma_ext_map_sg_attrs() - DMA-map a list of RAM and P2P memory
 * @dev: the client: the device that will do the DMA
 * @sg: the list; its pages may be P2P memory from p2pdma_ext_alloc() (or,
 *	on the native back end, any kernel P2PDMA page) and system RAM
 * @nents: entries of @sg to map
 * @dir: DMA direction
 * @attrs: DMA attributes (DMA_ATTR_*) for the RAM entries
 *
 * The upstream address rules, with the module's map type for each P2P
 * provider and @dev: BUS_ADDR entries get the PCI bus address and nothing
 * is mapped for them, also behind a translating IOMMU (where the kernel's
 * scatterlist has DMA flags they are marked SG_DMA_BUS_ADDRESS);
 * THRU_HOST_BRIDGE entries are mapped by the DMA API on their CPU
 * physical address, through the IOMMU if there is one; NOT_SUPPORTED
 * fails the whole call. Any other memory is mapped by the DMA API: a list
 * without P2P memory by dma_map_sg_attrs() itself (which may merge
 * entries), a list with P2P memory one entry per DMA segment.
 *
 * Unmap with p2pdma_ext_unmap_sg_attrs() and the same @dev, @sg, @nents
 * and @dir; the P2P memory must stay allocated until then.
 *
 * Context: any context where the DMA API may map; the topology lookup
 * does not sleep (see the top of client_map.c).
 * Return: the number of DMA segments (read with sg_dma_address() and
 * sg_dma_len()), or a negative errno with nothing mapped: -EREMOTEIO if
 * @dev cannot reach some P2P memory of the list (one log line), -EINVAL
 * for bad arguments, -ENOMEM, -EIO if the DMA API failed.
 */
int p2pdma_ext_map_sg_attrs(struct device *dev, struct scatterlist *sg,
			    int nents, enum dma_data_direction dir,
			    unsigned long attrs)
{
	struct p2pdma_ext_map_state state = {};
	struct p2px_cm_rec *rec = NULL;
	enum p2px_cm_kind kind;
	struct scatterlist *s;
	bool bus = false;
	int i, n, ret;

	if (!dev || !sg || nents <= 0 || !valid_dma_direction(dir))
		return -EINVAL;
	if (!p2px_cm_has_device_pages(sg, nents)) {
		n = dma_map_sg_attrs(dev, sg, nents, dir, attrs);
		return n ? n : -EIO;
	}
	for_each_sg(sg, s, nents, i) {
		ret = p2px_cm_map_one(dev, s, &state, dir, attrs, &kind);
		if (ret)
			goto unwind;
		bus |= kind == P2PX_CM_BUS;
		/* Only the marks of bus addresses and RAM tell the unmap. */
		if (!rec && (!p2px_sg_has_bus_mark() ||
			     kind == P2PX_CM_MMIO || kind == P2PX_CM_MMIO_PAGE)) {
			rec = p2px_cm_rec_new(dev, sg, nents, i);
			if (!rec) {
				p2px_cm_unmap_one(dev, s, kind, dir, attrs);
				ret = -ENOMEM;
				goto unwind;
			}
		}
		if (rec)
			rec->kind[i] = kind;
	}
	/* Without a mark the unmap would take the list for dma_map_sg()'s. */
	if (!rec && !bus) {
		rec = p2px_cm_rec_new(dev, sg, nents, nents);
		ret = -ENOMEM;
		if (!rec)
			goto unwind;
	}
	if (rec)
		p2px_cm_add(rec);
	return nents;

unwind:
	n = i;
	for_each_sg(sg, s, n, i)
		p2px_cm_unmap_one(dev, s, rec ? rec->kind[i] :
				  p2px_cm_marked_kind(s), dir, attrs);
	kfree(rec);
	return ret;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_map_sg_attrs);

/**
 * p2pdma_ext_unmap_sg_attrs() - unmap a list of p2pdma_ext_map_sg_attrs()
 * @dev: the client it was mapped for
 * @sg: the list
 * @nents: the @nents given to the map (not the number it returned)
 * @dir: the direction given to the map
 * @attrs: DMA attributes for the RAM entries
 *
 * Unmaps each entry as the map mapped it (the topology is not asked
 * again): nothing for bus addresses, the DMA API for the rest.
 *
 * Context: any context the DMA API's unmap allows.
 */
void p2pdma_ext_unmap_sg_attrs(struct device *dev, struct scatterlist *sg,
			       int nents, enum dma_data_direction dir,
			       unsigned long attrs)
{
	struct p2px_cm_rec *rec;
	struct scatterlist *s;
	int i;

	if (!dev || !sg || nents <= 0)
		return;
	rec = p2px_cm_take(sg);
	if (rec) {
		if (rec->dev != dev || rec->nents != nents)
			dev_warn_once(dev, "p2pdma_ext: unmapping a list with another device or length than it was mapped with\n");
		for_each_sg(sg, s, rec->nents, i)
			p2px_cm_unmap_one(rec->dev, s, rec->kind[i], dir,
					  attrs);
		kfree(rec);
		return;
	}
	if (!p2px_cm_has_bus_mark(sg, nents)) {
		dma_unmap_sg_attrs(dev, sg, nents, dir, attrs);
		return;
	}
	for_each_sg(sg, s, nents, i)
		p2px_cm_unmap_one(dev, s, p2px_cm_marked_kind(s), dir, attrs);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_unmap_sg_attrs);

/* --- phys_vec to sg_table (for dma-buf exporters) ------------------------ */

/*
 * The longest DMA segment of one table entry: sg_dma_len() is 32 bits;
 * whole pages, so that every entry starts page-aligned if its range does.
 */
#define P2PX_CM_SEG_MAX		((size_t)(UINT_MAX & PAGE_MASK))

/**
 * struct p2px_cm_sgt - a table of p2pdma_ext_phys_vec_to_sgt()
 * @sgt: the table handed out
 * @map: how its entries were mapped
 * @as_page: how the DMA API mapped each entry (THRU_HOST_BRIDGE)
 */
struct p2px_cm_sgt {
	struct sg_table sgt;
	enum p2pdma_ext_map_type map;
	bool as_page[];
};

/**
 * p2pdma_ext_phys_vec_to_sgt() - DMA-map ranges of a BAR for a dma-buf importer
 * @attach: the importer's attachment; its device is the client
 * @provider: handle of the BAR that holds every range
 * @phys_vec: the ranges (CPU physical addresses)
 * @nr_ranges: entries of @phys_vec
 * @size: their total length
 * @dir: DMA direction
 *
 * Upstream's dma_buf_phys_vec_to_sgt(), with the module's map type for
 * @provider and the importer: BUS_ADDR gives the PCI bus addresses
 * (nothing mapped, whatever the importer's IOMMU does); THRU_HOST_BRIDGE
 * maps each range with the DMA API. The table has DMA addresses only (no
 * pages); a range longer than 4 GiB takes more than one entry. Free it
 * with p2pdma_ext_free_sgt().
 *
 * Context: process context; may sleep (typically the exporter's
 * map_dma_buf callback).
 * Return: the table, or ERR_PTR(-EINVAL) for bad arguments or a pair
 * that cannot do P2P DMA (as upstream), -ENOMEM, or -EIO if the DMA API
 * failed; nothing is left mapped on error.
 */
struct sg_table *
p2pdma_ext_phys_vec_to_sgt(struct dma_buf_attachment *attach,
			   struct p2pdma_ext_provider *provider,
			   struct p2pdma_ext_phys_vec *phys_vec,
			   size_t nr_ranges, size_t size,
			   enum dma_data_direction dir)
{
	size_t i, total = 0, nents = 0, off, len;
	struct scatterlist *sg;
	struct p2px_cm_sgt *t;
	struct device *dev;
	unsigned int n = 0;
	int ret;

	if (!attach || !provider || !phys_vec || !nr_ranges)
		return ERR_PTR(-EINVAL);
	for (i = 0; i < nr_ranges; i++) {
		if (!phys_vec[i].len || total + phys_vec[i].len < total)
			return ERR_PTR(-EINVAL);
		total += phys_vec[i].len;
		nents += DIV_ROUND_UP(phys_vec[i].len, P2PX_CM_SEG_MAX);
	}
	if (total != size || nents > UINT_MAX)
		return ERR_PTR(-EINVAL);
	dev = attach->dev;
	t = kzalloc(struct_size(t, as_page, nents), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->map = p2pdma_ext_provider_map_type(provider, dev);
	if (t->map != P2PDMA_EXT_MAP_BUS_ADDR &&
	    t->map != P2PDMA_EXT_MAP_THRU_HOST_BRIDGE) {
		ret = -EINVAL;
		goto out_free;
	}
	ret = sg_alloc_table(&t->sgt, nents, GFP_KERNEL);
	if (ret)
		goto out_free;
	sg = t->sgt.sgl;
	for (i = 0; i < nr_ranges; i++) {
		for (off = 0; off < phys_vec[i].len; off += len) {
			len = min(phys_vec[i].len - off, P2PX_CM_SEG_MAX);
			/* DMA addresses only (sg_alloc_table() left no pages). */
			ret = p2px_p2p_map_sg(dev, t->map, sg,
					      phys_vec[i].paddr + off,
					      provider->bus_offset, len, dir,
					      &t->as_page[n]);
			if (ret)
				goto out_unmap;
			sg = sg_next(sg);
			n++;
		}
	}
	return &t->sgt;

out_unmap:
	for_each_sg(t->sgt.sgl, sg, n, i)
		p2px_p2p_unmap_sg(dev, t->map, sg, dir, t->as_page[i]);
	sg_free_table(&t->sgt);
out_free:
	kfree(t);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_phys_vec_to_sgt);

/**
 * p2pdma_ext_free_sgt() - unmap and free a table of p2pdma_ext_phys_vec_to_sgt()
 * @attach: the attachment it was made for
 * @sgt: the table
 * @dir: the direction it was made with
 *
 * Upstream's dma_buf_free_sgt().
 *
 * Context: process context.
 */
void p2pdma_ext_free_sgt(struct dma_buf_attachment *attach,
			 struct sg_table *sgt, enum dma_data_direction dir)
{
	struct p2px_cm_sgt *t;
	struct scatterlist *sg;
	unsigned int i;

	if (!attach || IS_ERR_OR_NULL(sgt))
		return;
	t = container_of(sgt, struct p2px_cm_sgt, sgt);
	for_each_sg(sgt->sgl, sg, sgt->orig_nents, i)
		p2px_p2p_unmap_sg(attach->dev, t->map, sg, dir, t->as_page[i]);
	sg_free_table(sgt);
	kfree(t);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_free_sgt);

/**
 * p2px_client_map_exit() - module unload check
 *
 * Every driver that maps imports this module's symbols, so none
 * is loaded any more; a record left is a list its driver never unmapped.
 */
void p2px_client_map_exit(void)
{
	struct p2px_cm_rec *rec;
	struct hlist_node *tmp;
	int bkt, left = 0;

	hash_for_each_safe(p2px_cm_recs, bkt, tmp, rec, node) {
		hash_del(&rec->node);
		kfree(rec);
		left++;
	}
	if (left)
		pr_warn("%d P2P scatterlists were never unmapped\n", left);
}
