// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext provider registry, ext back end: P2P memory for kernels built
 * without CONFIG_PCI_P2PDMA (Debian 5.10, 6.1, 6.12).
 *
 * Each registered BAR range gets struct pages from devm_memremap_pages()
 * on the provider device and is added to the provider's gen_pool. The pool
 * is keyed by kernel virtual address and stores the PCI *bus* address as
 * the chunk's "phys" address, so gen_pool_virt_to_phys() translates to
 * what a peer puts in its DMA descriptors. The chunk's owner is the
 * pgmap's percpu_ref: every allocation holds one reference, and
 * memunmap_pages() (run by devres when the provider's driver unbinds)
 * kills that ref and waits until it drops to zero, so no range is unmapped
 * while memory allocated from it is still in use.
 *
 * pgmap type: MEMORY_DEVICE_PCI_P2PDMA. memremap_pages() maps that type
 * uncached in the kernel's linear map, which is right for BAR memory
 * (MEMORY_DEVICE_GENERIC would map it write-back), and it needs no
 * dev_pagemap_ops. On these kernels CONFIG_PCI_P2PDMA is off, so
 * is_pci_p2pdma_page() is constant false and no core code looks behind
 * the pgmap (upstream's container_of() into struct pci_p2pdma_pagemap only
 * exists where P2PDMA is built in - where this back end is never used).
 * The pages are held at their initial refcount by this module and never
 * reach zero: nothing here maps them to user space or lets the core
 * free them, so the per-kernel page_free/folio_free conventions do not
 * come into play (5.10 never calls page_free for this type; 6.1/6.12
 * would call it only at refcount zero).
 *
 * The kernel has no pdev->p2pdma here, so providers live in a
 * module-private list.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/genalloc.h>
#include <linux/memremap.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/percpu-refcount.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "internal.h"
#include "registry.h"

/**
 * struct p2px_ext_dev - a provider: a PCI device with P2P memory
 * @node: entry in p2px_ext_devs
 * @pdev: the device (reference held)
 * @pool: its P2P memory; "phys" addresses in the pool are bus addresses
 * @published: p2pdma_ext_find_many() may return this device
 * @rcu: for freeing after readers of p2px_ext_devs are done
 */
struct p2px_ext_dev {
	struct list_head node;
	struct pci_dev *pdev;
	struct gen_pool *pool;
	bool published;
	struct rcu_head rcu;
};

/*
 * Locking: p2px_ext_lock serialises changes to p2px_ext_devs and walks
 * that may sleep (find_many). Lookups that must not sleep (alloc, free,
 * virt_to_bus, sysfs) walk the list under RCU; an entry is freed only an
 * RCU grace period after it was unlinked, and its pool is destroyed only
 * after every range in it was unmapped (so no allocation is left).
 * @published is written with WRITE_ONCE and read with READ_ONCE.
 */
static DEFINE_MUTEX(p2px_ext_lock);
static LIST_HEAD(p2px_ext_devs);

/* Caller holds rcu_read_lock() or p2px_ext_lock. */
static struct p2px_ext_dev *p2px_ext_lookup(struct pci_dev *pdev)
{
	struct p2px_ext_dev *d;

	list_for_each_entry_rcu(d, &p2px_ext_devs, node,
				lockdep_is_held(&p2px_ext_lock))
		if (d->pdev == pdev)
			return d;
	return NULL;
}

/* --- sysfs: the upstream p2pmem group ------------------------------------ */

static ssize_t p2px_pool_show(struct device *dev, char *buf,
			      size_t (*what)(struct gen_pool *))
{
	struct p2px_ext_dev *d;
	size_t val = 0;

	rcu_read_lock();
	d = p2px_ext_lookup(to_pci_dev(dev));
	if (d)
		val = what(d->pool);
	rcu_read_unlock();
	return sysfs_emit(buf, "%zu\n", val);
}

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return p2px_pool_show(dev, buf, gen_pool_size);
}
static DEVICE_ATTR_RO(size);

static ssize_t available_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return p2px_pool_show(dev, buf, gen_pool_avail);
}
static DEVICE_ATTR_RO(available);

static ssize_t published_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct p2px_ext_dev *d;
	bool val = false;

	rcu_read_lock();
	d = p2px_ext_lookup(to_pci_dev(dev));
	if (d)
		val = READ_ONCE(d->published);
	rcu_read_unlock();
	return sysfs_emit(buf, "%d\n", val);
}
static DEVICE_ATTR_RO(published);

static struct attribute *p2px_p2pmem_attrs[] = {
	&dev_attr_size.attr,
	&dev_attr_available.attr,
	&dev_attr_published.attr,
	NULL,
};

static const struct attribute_group p2px_p2pmem_group = {
	.name = "p2pmem",
	.attrs = p2px_p2pmem_attrs,
};

/* --- providers ------------------------------------------------------------- */

/* devres action: the provider's driver unbinds; every range is unmapped. */
static void p2px_ext_release(void *data)
{
	struct p2px_ext_dev *d = data;

	sysfs_remove_group(&d->pdev->dev.kobj, &p2px_p2pmem_group);
	mutex_lock(&p2px_ext_lock);
	list_del_rcu(&d->node);
	mutex_unlock(&p2px_ext_lock);
	synchronize_rcu();
	gen_pool_destroy(d->pool);
	pci_dev_put(d->pdev);
	kfree(d);
}

/* The provider entry of @pdev, created on first use. Caller holds the lock. */
static struct p2px_ext_dev *p2px_ext_get_dev(struct pci_dev *pdev)
{
	struct p2px_ext_dev *d;
	int ret;

	lockdep_assert_held(&p2px_ext_lock);
	d = p2px_ext_lookup(pdev);
	if (d)
		return d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	d->pool = gen_pool_create(PAGE_SHIFT, dev_to_node(&pdev->dev));
	if (!d->pool) {
		kfree(d);
		return ERR_PTR(-ENOMEM);
	}
	ret = sysfs_create_group(&pdev->dev.kobj, &p2px_p2pmem_group);
	if (ret) {
		gen_pool_destroy(d->pool);
		kfree(d);
		return ERR_PTR(ret);
	}
	/*
	 * Registered before any range is mapped, so devres runs it after
	 * every range's memunmap_pages(): the pool is empty by then.
	 */
	ret = devm_add_action(&pdev->dev, p2px_ext_release, d);
	if (ret) {
		sysfs_remove_group(&pdev->dev.kobj, &p2px_p2pmem_group);
		gen_pool_destroy(d->pool);
		kfree(d);
		return ERR_PTR(ret);
	}
	d->pdev = pci_dev_get(pdev);
	list_add_tail_rcu(&d->node, &p2px_ext_devs);
	return d;
}

static int p2px_ext_add_resource(struct pci_dev *pdev, int bar, size_t size,
				 u64 offset)
{
	struct dev_pagemap *pgmap;
	struct p2px_ext_dev *d;
	void *addr;
	int ret;

	mutex_lock(&p2px_ext_lock);
	d = p2px_ext_get_dev(pdev);
	if (IS_ERR(d)) {
		ret = PTR_ERR(d);
		goto out_unlock;
	}

	pgmap = devm_kzalloc(&pdev->dev, sizeof(*pgmap), GFP_KERNEL);
	if (!pgmap) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	pgmap->range.start = pci_resource_start(pdev, bar) + offset;
	pgmap->range.end = pgmap->range.start + size - 1;
	pgmap->nr_range = 1;
	pgmap->type = MEMORY_DEVICE_PCI_P2PDMA;

	addr = devm_memremap_pages(&pdev->dev, pgmap);
	if (IS_ERR(addr)) {
		ret = PTR_ERR(addr);
		pci_info(pdev, "p2pdma_ext: BAR %d: cannot map P2P memory: %d\n",
			 bar, ret);
		goto out_free;
	}

	ret = gen_pool_add_owner(d->pool, (unsigned long)addr,
				 pci_bus_address(pdev, bar) + offset, size,
				 dev_to_node(&pdev->dev), p2px_pgmap_ref(pgmap));
	if (ret)
		goto out_unmap;
	mutex_unlock(&p2px_ext_lock);

	pci_info(pdev, "p2pdma_ext: added peer-to-peer memory %#llx-%#llx\n",
		 (u64)pgmap->range.start, (u64)pgmap->range.end);
	return 0;

out_unmap:
	devm_memunmap_pages(&pdev->dev, pgmap);
out_free:
	devm_kfree(&pdev->dev, pgmap);
out_unlock:
	mutex_unlock(&p2px_ext_lock);
	return ret;
}

static void p2px_ext_publish(struct pci_dev *pdev, bool publish)
{
	struct p2px_ext_dev *d;

	rcu_read_lock();
	d = p2px_ext_lookup(pdev);
	if (d)
		WRITE_ONCE(d->published, publish);
	rcu_read_unlock();
}

static bool p2px_ext_has_p2pmem(struct pci_dev *pdev)
{
	struct p2px_ext_dev *d;
	bool ret;

	rcu_read_lock();
	d = p2px_ext_lookup(pdev);
	ret = d && READ_ONCE(d->published);
	rcu_read_unlock();
	return ret;
}

static struct pci_dev *p2px_ext_find_many(struct device **clients,
					  int num_clients)
{
	struct pci_dev *best = NULL;
	int best_dist = INT_MAX, ties = 0;
	struct p2px_ext_dev *d;

	mutex_lock(&p2px_ext_lock);
	list_for_each_entry(d, &p2px_ext_devs, node) {
		int dist;

		if (!READ_ONCE(d->published))
			continue;
		dist = p2px_distance_many(d->pdev, clients, num_clients, false);
		if (dist < 0 || dist > best_dist)
			continue;
		if (dist < best_dist) {
			best_dist = dist;
			best = d->pdev;
			ties = 1;
			continue;
		}
		/* Equally near: keep each of them with probability 1/ties. */
		ties++;
		if (get_random_u32() % ties == 0)
			best = d->pdev;
	}
	pci_dev_get(best);
	mutex_unlock(&p2px_ext_lock);
	return best;
}

static void p2px_ext_explain(struct device **clients, int num_clients)
{
	struct p2px_ext_dev *d;

	mutex_lock(&p2px_ext_lock);
	list_for_each_entry(d, &p2px_ext_devs, node) {
		if (READ_ONCE(d->published)) {
			p2px_distance_many(d->pdev, clients, num_clients, true);
			break;
		}
	}
	mutex_unlock(&p2px_ext_lock);
}

static void *p2px_ext_alloc(struct pci_dev *pdev, size_t size)
{
	struct percpu_ref *ref;
	struct p2px_ext_dev *d;
	void *addr = NULL;

	rcu_read_lock();
	d = p2px_ext_lookup(pdev);
	if (!d)
		goto out;
	addr = (void *)gen_pool_alloc_owner(d->pool, size, (void **)&ref);
	if (!addr)
		goto out;
	/* A range whose unmapping has begun hands out nothing more. */
	if (!percpu_ref_tryget_live(ref)) {
		gen_pool_free(d->pool, (unsigned long)addr, size);
		addr = NULL;
	}
out:
	rcu_read_unlock();
	return addr;
}

static void p2px_ext_free(struct pci_dev *pdev, void *addr, size_t size)
{
	struct percpu_ref *ref = NULL;
	struct p2px_ext_dev *d;

	rcu_read_lock();
	d = p2px_ext_lookup(pdev);
	if (d && gen_pool_has_addr(d->pool, (unsigned long)addr, size))
		gen_pool_free_owner(d->pool, (unsigned long)addr, size,
				    (void **)&ref);
	rcu_read_unlock();
	if (ref)
		percpu_ref_put(ref);
	else
		dev_warn_once(&pdev->dev, "p2pdma_ext: freeing memory it does not own\n");
}

static pci_bus_addr_t p2px_ext_virt_to_bus(struct pci_dev *pdev, void *addr)
{
	pci_bus_addr_t bus = 0;
	struct p2px_ext_dev *d;

	rcu_read_lock();
	d = p2px_ext_lookup(pdev);
	if (d && gen_pool_has_addr(d->pool, (unsigned long)addr, 1))
		bus = gen_pool_virt_to_phys(d->pool, (unsigned long)addr);
	rcu_read_unlock();
	return bus;
}

static struct scatterlist *p2px_ext_alloc_sgl(struct pci_dev *pdev,
					      unsigned int *nents, u32 length)
{
	struct scatterlist *sg;
	void *addr;

	sg = kmalloc(sizeof(*sg), GFP_KERNEL);
	if (!sg)
		return NULL;
	sg_init_table(sg, 1);
	addr = p2px_ext_alloc(pdev, length);
	if (!addr) {
		kfree(sg);
		return NULL;
	}
	sg_set_buf(sg, addr, length);
	*nents = 1;
	return sg;
}

static void p2px_ext_free_sgl(struct pci_dev *pdev, struct scatterlist *sgl)
{
	struct scatterlist *sg;

	for (sg = sgl; sg; sg = sg_next(sg))
		p2px_ext_free(pdev, sg_virt(sg), sg->length);
	kfree(sgl);
}

const struct p2px_backend p2px_backend_ext = {
	.add_resource = p2px_ext_add_resource,
	.publish = p2px_ext_publish,
	.find_many = p2px_ext_find_many,
	.explain = p2px_ext_explain,
	.alloc = p2px_ext_alloc,
	.free = p2px_ext_free,
	.virt_to_bus = p2px_ext_virt_to_bus,
	.alloc_sgl = p2px_ext_alloc_sgl,
	.free_sgl = p2px_ext_free_sgl,
	.has_p2pmem = p2px_ext_has_p2pmem,
};

/**
 * p2px_ext_exit() - module unload check
 *
 * Providers unregister through devres when their drivers unbind, and every
 * driver that registered one depends on this module, so none is left here.
 */
void p2px_ext_exit(void)
{
	mutex_lock(&p2px_ext_lock);
	if (!list_empty(&p2px_ext_devs))
		pr_err("providers still registered at unload\n");
	mutex_unlock(&p2px_ext_lock);
}
