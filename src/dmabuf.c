// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext: DMA-BUF export of PCI BAR MMIO, with revoke.
 *
 * A dma-buf made of page-aligned ranges of one memory BAR. It has no
 * struct pages and no CPU mapping: importers get scatterlists that carry
 * DMA addresses only, computed for the importing device from the topology
 * walker's map type (p2pdma_ext_map_type()) by the module's one address
 * rule for P2P memory, client_map.c's p2px_p2p_map_sg(), as upstream's
 * dma_buf_phys_vec_to_sgt() does:
 *
 *   BUS_ADDR          the PCI bus address, nothing mapped, also when the
 *                     importer's IOMMU domain translates: the switch
 *                     routes the TLP to the peer before any IOMMU sees it
 *                     (an IOVA would send it through the host bridge, a
 *                     path the allowlist did not approve);
 *   THRU_HOST_BRIDGE  a DMA API mapping of the MMIO (through the IOMMU if
 *                     there is one);
 *   NOT_SUPPORTED     attach and map fail with EOPNOTSUPP.
 *
 * Exports and the P2P pool never share memory: the ranges of a buffer
 * that lie in its device's pool (the generic provider registers its BARs
 * whole) are taken out of the pool at export, all or none, and given back
 * when the buffer is revoked or released (p2px_registry_reserve()). An
 * export of memory the pool has handed out, or that another live export
 * holds, fails with EBUSY; the pool meanwhile hands none of it out.
 *
 * Only importers that allow peer-to-peer and take the notify callback may
 * attach, because the exporter must be able to take the memory back
 * (revoke): when the owning driver unbinds, on hot-unplug, on request.
 * Revoke sets the revoked flag under the reservation lock, tells every
 * importer to unmap (move_notify or invalidate_mappings), waits for the
 * reservation's fences and then for every mapping to be unmapped; after it,
 * attach and map fail with ENODEV. Both waits are bounded (revoke_timeout):
 * an importer that ignores the notify (or pins and never unmaps) gets one
 * log line naming it and keeps its stale mapping, and the provider's
 * remove() (unbind, hot-unplug) goes on instead of hanging.
 *
 * Pinning: on the move_notify kernels the exporter implements pin/unpin
 * (no-ops: BAR memory never moves), with CONFIG_DMABUF_MOVE_NOTIFY on or
 * off. Without them the core would treat the exporter as static and cache
 * one mapping per importer at attach time, which the importer's unmap
 * leaves in place and a revoke could not take back; with the option off
 * the core also pins around every map. Revoke still notifies pinned
 * importers and waits for their unmap.
 *
 * The map type is decided again at every map, not only at attach: an
 * allowlist parameter or the topology may have changed in between (the
 * walker's cache is flushed on such changes), and a mapping must follow
 * the policy in force when it is made.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/list.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/p2pdma_ext.h>

#include "client_map.h"
#include "compat.h"
#include "dmabuf.h"
#include "internal.h"
#include "registry.h"
#include "topology.h"

MODULE_INFO(import_ns, "DMA_BUF");

static unsigned int revoke_timeout = 10;
module_param(revoke_timeout, uint, 0644);
MODULE_PARM_DESC(revoke_timeout,
		 "Seconds a revoke waits for an importer's fences, then again for its unmap, before it gives up on it with a log line (0: wait for ever); default 10");

/* The longest scatterlist entry: its length is an unsigned int. */
#define P2PX_SG_MAX		ALIGN_DOWN(UINT_MAX, PAGE_SIZE)
/* Most scatterlist entries one mapping may need. */
#define P2PX_MAX_NENTS		BIT(20)

/**
 * struct p2px_dmabuf - one exported dma-buf
 * @dmabuf: the dma-buf
 * @pdev: the device whose BAR it is (reference held)
 * @bar: the BAR
 * @bus_off: PCI bus address minus CPU physical address of the BAR
 * @size: total bytes
 * @nents: scatterlist entries of one mapping
 * @revoked: no more attaches and maps (written under the resv lock)
 * @revoke_done: a revoke has finished: @revoked set, fences signalled,
 *	no mapping left (set once, with release semantics)
 * @owner: who exported it for user space (a provider context of
 *	provider.c, by P2PDMA_EXT_IOC_DMABUF_EXPORT); NULL for the kernel API
 * @ino: the dma-buf's inode number (its file may be gone in release)
 * @maps: live mappings
 * @pins: holders working on this buffer outside p2px_dmabuf_lock:
 *	p2pdma_ext_dmabuf_revoke_dev() callers and listers (under
 *	p2px_dmabuf_lock); release waits for them
 * @wq: woken when @maps or @pins drops
 * @node: in p2px_dmabufs (under p2px_dmabuf_lock)
 * @reserved: @resv holds ranges taken out of the device's P2P pool,
 *	not yet given back (cleared with xchg() by whoever gives them back)
 * @resv: bit N set: range N was taken out of the pool
 * @nr_ranges: entries of @ranges
 * @ranges: CPU physical address (@offset) and length of each range
 */
struct p2px_dmabuf {
	struct dma_buf *dmabuf;
	struct pci_dev *pdev;
	int bar;
	u64 bus_off;
	u64 size;
	unsigned int nents;
	bool revoked;
	bool revoke_done;
	const void *owner;
	unsigned long ino;
	atomic_t maps;
	unsigned int pins;
	wait_queue_head_t wq;
	struct list_head node;
	bool reserved;
	DECLARE_BITMAP(resv, P2PDMA_EXT_DMABUF_MAX_RANGES);
	unsigned int nr_ranges;
	struct p2pdma_ext_bar_range ranges[];
};

/*
 * Locking:
 * - p2px_dmabuf_lock protects p2px_dmabufs and each buffer's list node.
 *   It is only held to walk or change the list, never across a wait, so
 *   a slow importer of one buffer holds up no export or revoke of any
 *   other buffer or device.
 * - A revoke_dev caller or a lister (p2px_dmabuf_pin_all()) pins a buffer
 *   it found on the list by raising its @pins under p2px_dmabuf_lock and
 *   works on it after dropping the lock; release unlinks the buffer under
 *   the lock (nobody new can find it) and waits until @pins, read under
 *   the lock, is zero before the dma-buf core frees the buffer and its
 *   reservation object.
 * - @revoked is written under the buffer's reservation lock (dma_resv);
 *   map and pin read it with that lock held by the caller. Attach reads
 *   it without: an attach racing with a revoke may succeed, but its maps
 *   then fail. The notify callbacks run with the reservation lock held.
 * - The dma-buf core keeps a buffer's attachments list under its
 *   reservation lock; a lister walks it with that lock held, after
 *   dropping p2px_dmabuf_lock. Each attachment's exporter data
 *   (struct p2px_dmabuf_att) is set before the core lists it and freed
 *   after the core unlisted it.
 * - Nothing here takes p2px_dmabuf_lock with a reservation lock held, nor
 *   a reservation lock with p2px_dmabuf_lock held, and no importer
 *   callback runs under p2px_dmabuf_lock.
 */
static DEFINE_MUTEX(p2px_dmabuf_lock);
static LIST_HEAD(p2px_dmabufs);

static const struct dma_buf_ops p2px_dmabuf_ops;

/*
 * What the walker says of @priv's BAR and @dev: BUS_ADDR, THRU_HOST_BRIDGE,
 * or -EOPNOTSUPP (one rate-limited log line) when it refuses the pair.
 */
static int p2px_dmabuf_walk_type(struct p2px_dmabuf *priv, struct device *dev)
{
	enum p2pdma_ext_map_type type = p2pdma_ext_map_type(priv->pdev, dev);

	if (type != P2PDMA_EXT_MAP_BUS_ADDR &&
	    type != P2PDMA_EXT_MAP_THRU_HOST_BRIDGE) {
		dev_info_ratelimited(dev,
				     "p2pdma_ext: dma-buf of %s BAR %d refused: no peer-to-peer path (see debugfs p2pdma_ext/pair)\n",
				     pci_name(priv->pdev), priv->bar);
		return -EOPNOTSUPP;
	}
	return type;
}

/**
 * struct p2px_dmabuf_att - exporter data of one attachment (attach->priv)
 * @maps: live mappings of this attachment
 * @walk: p2px_dmabuf_walk_type() of the importer, as of @stamp
 * @stamp: the topology cache generation (p2px_topo_stamp()) @walk was
 *	decided in; written at attach and then only under the reservation
 *	lock, by map
 */
struct p2px_dmabuf_att {
	atomic_t maps;
	int walk;
	unsigned int stamp;
};

/*
 * How @attach's buffer is mapped for its device now: the walker's answer,
 * kept in the attachment until the topology cache generation moves (the
 * same rule as every cached lookup). Whether the device's IOMMU domain
 * translates plays no part (see the top of this file).
 */
static int p2px_dmabuf_map_type(struct p2px_dmabuf *priv,
				struct dma_buf_attachment *attach)
{
	struct p2px_dmabuf_att *att = attach->priv;
	unsigned int stamp = p2px_topo_stamp();

	if (att->stamp != stamp) {
		att->walk = p2px_dmabuf_walk_type(priv, attach->dev);
		att->stamp = stamp;
	}
	return att->walk;
}

static int p2px_dmabuf_attach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct p2px_dmabuf *priv = dmabuf->priv;
	struct p2px_dmabuf_att *att;
	unsigned int stamp;
	int type;

	if (!attach->peer2peer || !p2px_dma_buf_attach_revocable(attach))
		return -EOPNOTSUPP;
	if (READ_ONCE(priv->revoked))
		return -ENODEV;
	/* Refuse early; map asks again once the policy or topology moved. */
	stamp = p2px_topo_stamp();
	type = p2px_dmabuf_walk_type(priv, attach->dev);
	if (type < 0)
		return type;
	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att)
		return -ENOMEM;
	atomic_set(&att->maps, 0);
	att->walk = type;
	att->stamp = stamp;
	attach->priv = att;
	return 0;
}

/* The core has unlisted @attach (under the resv lock) before this. */
static void p2px_dmabuf_detach(struct dma_buf *dmabuf,
			       struct dma_buf_attachment *attach)
{
	kfree(attach->priv);
	attach->priv = NULL;
}

static int p2px_dmabuf_pin(struct dma_buf_attachment *attach)
{
	struct p2px_dmabuf *priv = attach->dmabuf->priv;

	return READ_ONCE(priv->revoked) ? -ENODEV : 0;
}

static void p2px_dmabuf_unpin(struct dma_buf_attachment *attach)
{
}

/* Most scatterlist entries kept in the mapping's own allocation (4 KiB). */
#define P2PX_MAP_INLINE_NENTS	64

/**
 * struct p2px_dmabuf_map - one mapping handed to an importer
 * @sgt: the scatterlist the importer gets
 * @thru: made through the DMA API (else PCI bus addresses, nothing to undo)
 * @as_page: @thru entries were mapped as pages (ext back end BARs with
 *	struct pages), to be unmapped so even once the pages are gone
 * @inline_sgl: @sgt's entries when there are at most
 *	P2PX_MAP_INLINE_NENTS of them (one allocation for the whole
 *	mapping); else empty and sg_alloc_table() allocates them
 */
struct p2px_dmabuf_map {
	struct sg_table sgt;
	bool thru;
	bool as_page;
	struct scatterlist inline_sgl[];
};

/* A mapping with room for @nents entries, or NULL. */
static struct p2px_dmabuf_map *p2px_dmabuf_map_alloc(unsigned int nents)
{
	bool inl = nents <= P2PX_MAP_INLINE_NENTS;
	struct p2px_dmabuf_map *map;

	/* Not zeroed: sg_init_table() clears the entries, once. */
	map = kmalloc(struct_size(map, inline_sgl, inl ? nents : 0),
		      GFP_KERNEL);
	if (!map)
		return NULL;
	memset(map, 0, sizeof(*map));
	if (inl) {
		sg_init_table(map->inline_sgl, nents);
		map->sgt.sgl = map->inline_sgl;
		map->sgt.nents = nents;
		map->sgt.orig_nents = nents;
	} else if (sg_alloc_table(&map->sgt, nents, GFP_KERNEL)) {
		kfree(map);
		return NULL;
	}
	return map;
}

static void p2px_dmabuf_map_free(struct p2px_dmabuf_map *map)
{
	if (map->sgt.sgl != map->inline_sgl)
		sg_free_table(&map->sgt);
	kfree(map);
}

static void p2px_dmabuf_unmap_sg(struct p2px_dmabuf *priv,
				 struct dma_buf_attachment *attach,
				 struct p2px_dmabuf_map *map, unsigned int mapped,
				 enum dma_data_direction dir)
{
	struct scatterlist *sg = map->sgt.sgl;
	unsigned int i, n = 0;
	u64 off;

	if (!map->thru)
		return;
	for (i = 0; i < priv->nr_ranges; i++) {
		for (off = 0; off < priv->ranges[i].length && n < mapped;
		     off += P2PX_SG_MAX, n++, sg = sg_next(sg))
			p2px_p2p_unmap_sg(attach->dev,
					  P2PDMA_EXT_MAP_THRU_HOST_BRIDGE, sg,
					  dir, map->as_page);
	}
}

static struct sg_table *p2px_dmabuf_map(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	struct p2px_dmabuf *priv = attach->dmabuf->priv;
	struct p2px_dmabuf_map *map;
	struct scatterlist *sg;
	unsigned int i, n = 0;
	int ret, type;
	u64 off;

	/* The caller holds the resv lock (asserted by the core where needed). */
	if (READ_ONCE(priv->revoked))
		return ERR_PTR(-ENODEV);
	type = p2px_dmabuf_map_type(priv, attach);
	if (type < 0)
		return ERR_PTR(type);

	map = p2px_dmabuf_map_alloc(priv->nents);
	if (!map)
		return ERR_PTR(-ENOMEM);
	map->thru = type == P2PDMA_EXT_MAP_THRU_HOST_BRIDGE;

	sg = map->sgt.sgl;
	for (i = 0; i < priv->nr_ranges; i++) {
		const struct p2pdma_ext_bar_range *r = &priv->ranges[i];

		for (off = 0; off < r->length; off += P2PX_SG_MAX) {
			size_t len = min_t(u64, r->length - off, P2PX_SG_MAX);
			bool as_page;

			/* DMA addresses only: no page, no CPU length. */
			ret = p2px_p2p_map_sg(attach->dev, type, sg,
					      r->offset + off, priv->bus_off,
					      len, dir, &as_page);
			if (ret) {
				ret = -EIO;
				goto err_unmap;
			}
			/* One way for the whole mapping (see unmap). */
			if (n && as_page != map->as_page) {
				p2px_p2p_unmap_sg(attach->dev, type, sg, dir,
						  as_page);
				ret = -EINVAL;
				goto err_unmap;
			}
			map->as_page = as_page;
			sg = sg_next(sg);
			n++;
		}
	}
	atomic_inc(&priv->maps);
	atomic_inc(&((struct p2px_dmabuf_att *)attach->priv)->maps);
	return &map->sgt;

err_unmap:
	p2px_dmabuf_unmap_sg(priv, attach, map, n, dir);
	p2px_dmabuf_map_free(map);
	return ERR_PTR(ret);
}

static void p2px_dmabuf_unmap(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir)
{
	struct p2px_dmabuf_map *map = container_of(sgt, struct p2px_dmabuf_map,
						   sgt);
	struct p2px_dmabuf *priv = attach->dmabuf->priv;

	p2px_dmabuf_unmap_sg(priv, attach, map, priv->nents, dir);
	p2px_dmabuf_map_free(map);
	atomic_dec(&((struct p2px_dmabuf_att *)attach->priv)->maps);
	if (atomic_dec_and_test(&priv->maps))
		wake_up_all(&priv->wq);
}

/*
 * Give the ranges of @priv back to the pool (p2px_dmabuf_reserve()), once:
 * at the end of the first revoke, else when the buffer goes.
 */
static void p2px_dmabuf_unreserve(struct p2px_dmabuf *priv)
{
	unsigned int i;

	if (!xchg(&priv->reserved, false))
		return;
	for_each_set_bit(i, priv->resv, priv->nr_ranges)
		p2px_registry_unreserve(priv->pdev, priv->ranges[i].offset,
					priv->ranges[i].length);
}

static void p2px_dmabuf_release(struct dma_buf *dmabuf)
{
	struct p2px_dmabuf *priv = dmabuf->priv;

	mutex_lock(&p2px_dmabuf_lock);
	list_del(&priv->node);
	/*
	 * A revoke_dev caller or a lister that found it before may still be
	 * at work; it drops @pins and wakes us under the lock, so once we
	 * see zero under the lock it no longer touches @priv.
	 */
	while (priv->pins) {
		mutex_unlock(&p2px_dmabuf_lock);
		wait_event(priv->wq, !READ_ONCE(priv->pins));
		mutex_lock(&p2px_dmabuf_lock);
	}
	mutex_unlock(&p2px_dmabuf_lock);
	p2px_dmabuf_unreserve(priv);
	pci_dev_put(priv->pdev);
	kfree(priv);
}

static const struct dma_buf_ops p2px_dmabuf_ops = {
	.attach = p2px_dmabuf_attach,
	.detach = p2px_dmabuf_detach,
	.map_dma_buf = p2px_dmabuf_map,
	.unmap_dma_buf = p2px_dmabuf_unmap,
	.release = p2px_dmabuf_release,
};

/* The same, with pin/unpin, for kernels that pin around every map. */
static const struct dma_buf_ops p2px_dmabuf_pin_ops = {
	.attach = p2px_dmabuf_attach,
	.detach = p2px_dmabuf_detach,
	.pin = p2px_dmabuf_pin,
	.unpin = p2px_dmabuf_unpin,
	.map_dma_buf = p2px_dmabuf_map,
	.unmap_dma_buf = p2px_dmabuf_unmap,
	.release = p2px_dmabuf_release,
};

static bool p2px_is_ours(struct dma_buf *dmabuf)
{
	return dmabuf->ops == &p2px_dmabuf_ops ||
	       dmabuf->ops == &p2px_dmabuf_pin_ops;
}

/* The ioctl copies user ranges straight into struct p2px_dmabuf. */
static_assert(sizeof(struct p2pdma_ext_bar_range) ==
	      sizeof(struct p2pdma_ext_dmabuf_range));
static_assert(offsetof(struct p2pdma_ext_bar_range, offset) ==
	      offsetof(struct p2pdma_ext_dmabuf_range, offset));
static_assert(offsetof(struct p2pdma_ext_bar_range, length) ==
	      offsetof(struct p2pdma_ext_dmabuf_range, length));

/* A buffer with room for @nr_ranges ranges, all zero (one allocation). */
static struct p2px_dmabuf *p2px_dmabuf_alloc(unsigned int nr_ranges)
{
	struct p2px_dmabuf *priv;

	priv = kzalloc(struct_size(priv, ranges, nr_ranges), GFP_KERNEL);
	if (priv)
		priv->nr_ranges = nr_ranges;
	return priv;
}

/**
 * p2px_dmabuf_alloc_user() - a buffer to export, its ranges from user space
 * @ur: user pointer to @nr_ranges ranges (offsets into the BAR)
 * @nr_ranges: 1..P2PDMA_EXT_DMABUF_MAX_RANGES (checked by the caller)
 *
 * The ranges are copied in one go into the buffer's own allocation.
 *
 * Return: the buffer, for p2px_dmabuf_finish() or p2px_dmabuf_free(), or
 * ERR_PTR(-ENOMEM or -EFAULT).
 */
struct p2px_dmabuf *p2px_dmabuf_alloc_user(const struct p2pdma_ext_dmabuf_range __user *ur,
					   unsigned int nr_ranges)
{
	struct p2px_dmabuf *priv = p2px_dmabuf_alloc(nr_ranges);

	if (!priv)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(priv->ranges, ur,
			   flex_array_size(priv, ranges, nr_ranges))) {
		kfree(priv);
		return ERR_PTR(-EFAULT);
	}
	return priv;
}

/**
 * p2px_dmabuf_free() - free a buffer p2px_dmabuf_finish() was not given
 * @priv: from p2px_dmabuf_alloc_user()
 */
void p2px_dmabuf_free(struct p2px_dmabuf *priv)
{
	kfree(priv);
}

/*
 * Take the ranges of @priv (CPU physical addresses by now) out of the P2P
 * pool of its device, all or none: pool allocations and exports never
 * share memory. Ranges outside the pool have nothing to take.
 */
static int p2px_dmabuf_reserve(struct p2px_dmabuf *priv)
{
	unsigned int i;
	int ret;

	for (i = 0; i < priv->nr_ranges; i++) {
		ret = p2px_registry_reserve(priv->pdev, priv->ranges[i].offset,
					    priv->ranges[i].length);
		if (ret < 0) {
			priv->reserved = true;
			p2px_dmabuf_unreserve(priv);
			return ret;
		}
		if (ret)
			__set_bit(i, priv->resv);
	}
	priv->reserved = true;
	return 0;
}

/**
 * p2px_dmabuf_finish() - export a buffer
 * @priv: from p2px_dmabuf_alloc_user(), its ranges offsets into the BAR
 * @pdev: the device, its driver bound
 * @bar: the BAR
 * @owner: the exporter for user space (p2px_dmabuf_revoke_owner() finds
 *	its buffers by it), or NULL for the kernel API
 *
 * Checks the ranges against BAR @bar of @pdev, turns them into CPU
 * physical addresses in place, takes those in @pdev's P2P pool out of it
 * (p2px_dmabuf_reserve()) and makes the dma-buf.
 *
 * Context: process context; the caller holds @pdev's device lock or is
 * its bound driver.
 * Return: the dma-buf, or ERR_PTR() as for p2pdma_ext_dmabuf_export();
 * on failure @priv is freed.
 */
struct dma_buf *p2px_dmabuf_finish(struct p2px_dmabuf *priv,
				   struct pci_dev *pdev, int bar,
				   const void *owner)
{
	unsigned int nr_ranges = priv->nr_ranges;
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct p2pdma_ext_bar_range *r = priv->ranges;
	resource_size_t start, len;
	struct dma_buf *dmabuf;
	u64 size = 0, nents = 0, end;
	unsigned int i;
	int ret;

	ret = -ENODEV;
	if (!pdev->dev.driver)
		goto err_free;
	start = pci_resource_start(pdev, bar);
	len = pci_resource_len(pdev, bar);
	ret = -EINVAL;
	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) || !len)
		goto err_free;

	for (i = 0; i < nr_ranges; i++, r++) {
		ret = -EINVAL;
		if (!r->length || !PAGE_ALIGNED(r->offset) ||
		    !PAGE_ALIGNED(r->length))
			goto err_free;
		ret = -EOVERFLOW;
		if (check_add_overflow(r->offset, r->length, &end) ||
		    check_add_overflow(size, r->length, &size))
			goto err_free;
		ret = -ERANGE;
		if (end > len)
			goto err_free;
		nents += DIV_ROUND_UP_ULL(r->length, P2PX_SG_MAX);
		r->offset += start;
	}
	ret = -E2BIG;
	if (nents > P2PX_MAX_NENTS)
		goto err_free;

	priv->pdev = pci_dev_get(pdev);
	ret = p2px_dmabuf_reserve(priv);
	if (ret) {
		pci_dev_put(priv->pdev);
		goto err_free;
	}
	priv->bar = bar;
	priv->bus_off = pci_bus_address(pdev, bar) - start;
	priv->size = size;
	priv->nents = nents;
	priv->owner = owner;
	atomic_set(&priv->maps, 0);
	init_waitqueue_head(&priv->wq);

	exp_info.ops = p2px_dma_buf_exporter_pins() ? &p2px_dmabuf_pin_ops :
						      &p2px_dmabuf_ops;
	exp_info.size = size;
	exp_info.flags = O_RDWR;
	exp_info.priv = priv;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		p2px_dmabuf_unreserve(priv);
		pci_dev_put(priv->pdev);
		kfree(priv);
		return dmabuf;
	}
	priv->dmabuf = dmabuf;
	priv->ino = file_inode(dmabuf->file)->i_ino;
	mutex_lock(&p2px_dmabuf_lock);
	list_add_tail(&priv->node, &p2px_dmabufs);
	mutex_unlock(&p2px_dmabuf_lock);
	return dmabuf;

err_free:
	kfree(priv);
	return ERR_PTR(ret);
}

/**
 * p2pdma_ext_dmabuf_export() - export ranges of a BAR as a dma-buf
 * @pdev: a PCI device whose driver (the caller) is bound
 * @bar: a memory BAR of @pdev, claimed by the caller
 * @ranges: @nr_ranges ranges of the BAR (offset and length multiples of
 *	PAGE_SIZE, length not zero); the dma-buf is their concatenation
 * @nr_ranges: 1..P2PDMA_EXT_DMABUF_MAX_RANGES
 *
 * Importers must attach with dma_buf_dynamic_attach(), peer2peer allowed
 * and a notify callback; they get scatterlists with DMA addresses only
 * (sg_dma_address()/sg_dma_len(), no pages). The caller must revoke the
 * buffer (p2pdma_ext_dmabuf_revoke() or p2pdma_ext_dmabuf_revoke_dev())
 * before its remove() returns; the buffer itself lives until its last
 * reference is dropped. Install it in a file descriptor with dma_buf_fd().
 *
 * Ranges that lie in @pdev's P2P pool (p2pdma_ext_add_resource()) are
 * taken out of it until the buffer is revoked or released: the pool hands
 * none of that memory out meanwhile. Such a range must not be in use:
 * neither allocated from the pool nor part of another live export (nor
 * of another range of this one).
 *
 * Context: process context; may sleep.
 * Return: the dma-buf, or ERR_PTR(): -EINVAL for a bad BAR or range,
 * -E2BIG for too many ranges or scatterlist entries, -ERANGE for a range
 * past the end of the BAR, -EOVERFLOW for an overflowing size, -EBUSY for
 * a range of the pool that is in use or that lies only partly in the
 * pool, -ENODEV if @pdev has no driver, -ENOMEM.
 */
struct dma_buf *p2pdma_ext_dmabuf_export(struct pci_dev *pdev, int bar,
					 const struct p2pdma_ext_bar_range *ranges,
					 unsigned int nr_ranges)
{
	struct p2px_dmabuf *priv;

	if (!pdev || !ranges || bar < 0 || bar >= PCI_STD_NUM_BARS ||
	    !nr_ranges)
		return ERR_PTR(-EINVAL);
	if (nr_ranges > P2PDMA_EXT_DMABUF_MAX_RANGES)
		return ERR_PTR(-E2BIG);
	priv = p2px_dmabuf_alloc(nr_ranges);
	if (!priv)
		return ERR_PTR(-ENOMEM);
	memcpy(priv->ranges, ranges, flex_array_size(priv, ranges, nr_ranges));
	return p2px_dmabuf_finish(priv, pdev, bar, NULL);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_dmabuf_export);

/**
 * p2px_dmabuf_pin_all() - pin the exported buffers for a lister
 * @bufs: room for @max buffers (may be NULL when @max is 0)
 * @max: pin at most this many, the oldest first
 *
 * The buffers stay allocated (their release waits) until
 * p2px_dmabuf_unpin_bufs(); they may be revoked or closed meanwhile.
 *
 * Context: process context; takes p2px_dmabuf_lock, waits for nothing
 * under it.
 * Return: the number of buffers on the list (may exceed @max).
 */
unsigned int p2px_dmabuf_pin_all(struct p2px_dmabuf **bufs, unsigned int max)
{
	struct p2px_dmabuf *priv;
	unsigned int n = 0;

	mutex_lock(&p2px_dmabuf_lock);
	list_for_each_entry(priv, &p2px_dmabufs, node) {
		if (n < max) {
			priv->pins++;
			bufs[n] = priv;
		}
		n++;
	}
	mutex_unlock(&p2px_dmabuf_lock);
	return n;
}

/**
 * p2px_dmabuf_unpin_bufs() - drop pins taken by p2px_dmabuf_pin_all()
 * @bufs: the pinned buffers
 * @n: how many
 *
 * Context: process context; takes p2px_dmabuf_lock.
 */
void p2px_dmabuf_unpin_bufs(struct p2px_dmabuf **bufs, unsigned int n)
{
	unsigned int i;

	mutex_lock(&p2px_dmabuf_lock);
	for (i = 0; i < n; i++)
		if (!--bufs[i]->pins)
			wake_up_all(&bufs[i]->wq);
	mutex_unlock(&p2px_dmabuf_lock);
}

/**
 * p2px_dmabuf_describe() - what a pinned buffer is now, and who imports it
 * @priv: a buffer pinned by p2px_dmabuf_pin_all()
 * @info: filled in (zeroed first)
 *
 * Reads the buffer and its attachments under its reservation lock (the
 * dma-buf core keeps the attachments list under it).
 *
 * Context: process context; sleeps. No p2px_dmabuf_lock held, nor any
 * reservation lock.
 * Return: 0, or -EINTR if a signal came while waiting for the lock.
 */
int p2px_dmabuf_describe(struct p2px_dmabuf *priv,
			 struct p2pdma_ext_dmabuf_info *info)
{
	struct dma_resv *resv = priv->dmabuf->resv;
	struct dma_buf_attachment *attach;
	unsigned int n = 0;
	int ret;

	memset(info, 0, sizeof(*info));
	info->ino = priv->ino;
	info->device = p2px_pci_id(priv->pdev);
	info->size = priv->size;
	info->bar = priv->bar;
	info->nr_ranges = priv->nr_ranges;
	if (priv->owner)
		info->flags |= P2PDMA_EXT_DMABUF_F_IOCTL;
	ret = dma_resv_lock_interruptible(resv, NULL);
	if (ret)
		return ret;
	if (priv->revoked)
		info->flags |= P2PDMA_EXT_DMABUF_F_REVOKED;
	info->maps = atomic_read(&priv->maps);
	list_for_each_entry(attach, &priv->dmabuf->attachments, node) {
		struct p2px_dmabuf_att *att = attach->priv;
		struct p2pdma_ext_dmabuf_importer *imp;

		if (n < P2PDMA_EXT_DMABUF_MAX_IMPORTERS) {
			imp = &info->importers[n];
			strscpy(imp->name, dev_name(attach->dev),
				sizeof(imp->name));
			imp->maps = atomic_read(&att->maps);
			if (imp->maps)
				imp->flags |= P2PDMA_EXT_DMABUF_IMP_MAPPED;
		}
		n++;
	}
	dma_resv_unlock(resv);
	info->nr_importers = n;
	if (n > P2PDMA_EXT_DMABUF_MAX_IMPORTERS)
		info->flags |= P2PDMA_EXT_DMABUF_F_TRUNCATED;
	return 0;
}

/*
 * One log line for a revoke that gave up on @priv's importers: the first
 * one still mapped, by name, and how many are. Takes the resv lock.
 */
static void p2px_dmabuf_give_up(struct p2px_dmabuf *priv, const char *what)
{
	struct dma_buf_attachment *attach;
	const char *name = "?";
	unsigned int n = 0;

	dma_resv_lock(priv->dmabuf->resv, NULL);
	list_for_each_entry(attach, &priv->dmabuf->attachments, node) {
		struct p2px_dmabuf_att *att = attach->priv;

		if (!atomic_read(&att->maps))
			continue;
		if (!n++)
			name = dev_name(attach->dev);
	}
	pci_warn(priv->pdev, "p2pdma_ext: revoke of a BAR %d dma-buf gave up after %u s waiting for %s: importer %s (%u mapped) ignores the revoke and keeps a stale mapping\n",
		 priv->bar, revoke_timeout, what, name, n);
	dma_resv_unlock(priv->dmabuf->resv);
}

static void p2px_dmabuf_do_revoke(struct p2px_dmabuf *priv)
{
	struct dma_resv *resv = priv->dmabuf->resv;
	unsigned int secs = READ_ONCE(revoke_timeout);
	long wait = secs ? secs * HZ : MAX_SCHEDULE_TIMEOUT;
	bool fences;

	dma_resv_lock(resv, NULL);
	if (!priv->revoked) {
		WRITE_ONCE(priv->revoked, true);
		p2px_dma_buf_invalidate(priv->dmabuf);
	}
	fences = p2px_dma_resv_wait_all(resv, wait) > 0;
	dma_resv_unlock(resv);
	if (!fences)
		p2px_dmabuf_give_up(priv, "fences");
	/* Pinned and notified importers unmap; wait until all did. */
	else if (!wait_event_timeout(priv->wq, !atomic_read(&priv->maps),
				     wait))
		p2px_dmabuf_give_up(priv, "unmaps");
	/*
	 * No importer maps it any more (or one that ignores the revoke was
	 * named above): the pool may hand the memory out again. Given back
	 * even then, or the provider's unbind would wait for ever.
	 */
	p2px_dmabuf_unreserve(priv);
	/* Pairs with the acquire in revoke_dev: all of the above is done. */
	smp_store_release(&priv->revoke_done, true);
}

/**
 * p2pdma_ext_dmabuf_revoke() - take back a dma-buf's memory
 * @dmabuf: a dma-buf from p2pdma_ext_dmabuf_export()
 *
 * Tells every importer to unmap, waits for the buffer's fences and until
 * every mapping is gone; from then on attach and map fail with -ENODEV.
 * Each wait lasts at most revoke_timeout seconds (module parameter): an
 * importer that lets it run out is named in one log line and keeps its
 * stale mapping until it unmaps. Revoking twice is harmless.
 *
 * Context: process context; sleeps. The caller holds a reference to
 * @dmabuf and must not hold its reservation lock.
 * Return: false if @dmabuf was not exported by p2pdma_ext (nothing done).
 */
bool p2pdma_ext_dmabuf_revoke(struct dma_buf *dmabuf)
{
	if (!dmabuf || !p2px_is_ours(dmabuf))
		return false;
	p2px_dmabuf_do_revoke(dmabuf->priv);
	return true;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_dmabuf_revoke);

/* Revoke the buffers of @pdev (if not NULL) exported by @owner (if not NULL). */
static void p2px_dmabuf_revoke_match(struct pci_dev *pdev, const void *owner)
{
	struct p2px_dmabuf *priv, *found;

	/*
	 * One buffer at a time: find one not yet fully revoked, pin it with
	 * @revokers, revoke it without the list lock, start over. Buffers
	 * exported meanwhile are found too; the caller makes sure none are
	 * exported for @pdev (by @owner) after its remove() began.
	 */
	for (;;) {
		found = NULL;
		mutex_lock(&p2px_dmabuf_lock);
		list_for_each_entry(priv, &p2px_dmabufs, node) {
			if ((pdev && priv->pdev != pdev) ||
			    (owner && priv->owner != owner))
				continue;
			/* Pairs with the release in p2px_dmabuf_do_revoke(). */
			if (!smp_load_acquire(&priv->revoke_done)) {
				priv->pins++;
				found = priv;
				break;
			}
		}
		mutex_unlock(&p2px_dmabuf_lock);
		if (!found)
			return;
		p2px_dmabuf_do_revoke(found);
		p2px_dmabuf_unpin_bufs(&found, 1);
	}
}

/**
 * p2pdma_ext_dmabuf_revoke_dev() - revoke every dma-buf of a device
 * @pdev: the device; NULL revokes every dma-buf of p2pdma_ext
 *
 * What a driver calls from its remove() (hot-unplug included) before
 * the BAR goes away. See p2pdma_ext_dmabuf_revoke(). Waits for the
 * importers of @pdev's buffers only: revokes and exports of other devices
 * go on meanwhile. Concurrent callers for one device each return once
 * all its buffers are revoked.
 *
 * Context: process context; sleeps. Not from an importer's notify
 * callback, nor with any dma-buf reservation lock held.
 */
void p2pdma_ext_dmabuf_revoke_dev(struct pci_dev *pdev)
{
	p2px_dmabuf_revoke_match(pdev, NULL);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_dmabuf_revoke_dev);

/**
 * p2px_dmabuf_revoke_owner() - revoke every dma-buf of an owner
 * @owner: the owner given to p2px_dmabuf_finish(), not NULL
 *
 * As p2pdma_ext_dmabuf_revoke_dev(), for the buffers @owner exported.
 *
 * Context: process context; sleeps.
 */
void p2px_dmabuf_revoke_owner(const void *owner)
{
	p2px_dmabuf_revoke_match(NULL, owner);
}

/**
 * p2pdma_ext_dmabuf_set_notify() - set an importer's notify callback
 * @ops: the importer's attach ops
 * @notify: called, with the reservation lock held, when the importer must
 *	unmap (move_notify or invalidate_mappings, whichever the kernel has)
 *
 * Lets one importer source build on every supported kernel.
 */
void p2pdma_ext_dmabuf_set_notify(struct dma_buf_attach_ops *ops,
				  void (*notify)(struct dma_buf_attachment *))
{
	ops->P2PX_ATTACH_NOTIFY = notify;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_dmabuf_set_notify);

/**
 * p2px_dmabuf_revoke_fd() - revoke the dma-buf behind a file descriptor
 * @fd: a file descriptor of the caller
 *
 * Context: process context; sleeps.
 * Return: 0, -EBADF if @fd is no dma-buf, or -EINVAL if not ours.
 */
int p2px_dmabuf_revoke_fd(int fd)
{
	struct dma_buf *dmabuf = dma_buf_get(fd);
	bool ours;

	if (IS_ERR(dmabuf))
		return -EBADF;
	ours = p2pdma_ext_dmabuf_revoke(dmabuf);
	dma_buf_put(dmabuf);
	return ours ? 0 : -EINVAL;
}

/**
 * p2px_dmabuf_exit() - revoke everything at module unload
 *
 * Nothing may keep BAR access past this point.
 */
void p2px_dmabuf_exit(void)
{
	p2pdma_ext_dmabuf_revoke_dev(NULL);
}
