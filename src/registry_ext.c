// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext provider registry, ext back end: P2P memory for kernels built
 * without CONFIG_PCI_P2PDMA (Debian 5.10, 6.1, 6.12).
 *
 * Each registered BAR range gets struct pages from devm_memremap_pages()
 * on the provider device and its own allocator (struct p2px_bitmap_pool,
 * pool_bitmap.h: one bit per page, first fit). The range keeps its kernel
 * virtual address and its PCI *bus* address, so an allocation translates
 * to what a peer puts in its DMA descriptors by an offset. Every
 * allocation holds one reference to the range's pgmap percpu_ref, and
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
 * reach zero: not even p2pmem/allocate hands struct pages to user space
 * (see below), so the per-kernel page_free/folio_free conventions do not
 * come into play (5.10 never calls page_free for this type; 6.1/6.12
 * would call it only at refcount zero).
 *
 * p2pmem/allocate: mmap() of the bin attribute allocates the mapping's
 * length from the pool and zeroes it (no process sees what the memory's
 * previous user left there; kernel users of p2pdma_ext_alloc() get it as
 * it is, as from upstream's pool). The mapping is VM_PFNMAP on every
 * kernel this back end runs on: PTEs are inserted by the fault handler with
 * vmf_insert_pfn(), no struct page refcount is touched, and GUP refuses
 * the range (these kernels have no FOLL_PCI_P2PDMA to guard a pinned P2P
 * page). The memory goes back to the pool in vm_ops->close when the last
 * VMA of the mapping goes (munmap, exit). kernfs refuses a close callback
 * on a bin attribute's own VMA, so mmap moves the VMA to a file of this
 * module's pseudo file system, one inode per provider; kernfs leaves such
 * a VMA alone. When the provider unbinds, its mappings are revoked before
 * any range is unmapped: new faults fail, unmap_mapping_range() on the
 * provider's inode zaps every PTE (user access then gets SIGBUS), and the
 * memory is returned to the pool at once. Unbind neither waits for the
 * mappings to go nor refuses; the emptied VMAs stay until unmapped.
 *
 * Allocation: upstream's pool is a gen_pool searched by first fit from the
 * start of each chunk. Here each range is searched from per-size hints
 * (pool_bitmap.h): the same place first fit finds, without stepping over
 * every small hole at the bottom of a fragmented pool each time, and with
 * no indirect call or lock on the way. Freeing memory that was not
 * allocated is refused with one log line (gen_pool would BUG()).
 *
 * The kernel has no pdev->p2pdma here, so providers live in a
 * module-private list.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/memremap.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/percpu-refcount.h>
#include <linux/pseudo_fs.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "internal.h"
#include "pool_bitmap.h"
#include "registry.h"
#include "topology.h"

/**
 * struct p2px_ext_range - one registered range of P2P memory
 * @node: entry in the provider's @ranges
 * @start: kernel virtual address of the range
 * @size: its length
 * @bus: PCI bus address of its first byte
 * @ref: its pgmap's reference, one per allocation
 * @pgmap: its pgmap, which identifies its pages
 * @bar: the provider's BAR that holds it
 * @pool: its allocator, one granule per page
 */
struct p2px_ext_range {
	struct list_head node;
	unsigned long start;
	size_t size;
	pci_bus_addr_t bus;
	struct percpu_ref *ref;
	struct dev_pagemap *pgmap;
	int bar;
	struct p2px_bitmap_pool pool;
};

/**
 * struct p2px_ext_dev - a provider: a PCI device with P2P memory
 * @node: entry in p2px_ext_devs
 * @pdev: the device (reference held)
 * @ranges: its registered ranges (struct p2px_ext_range.node), RCU list:
 *	its P2P memory
 * @published: p2pdma_ext_find_many() may return this device
 * @rcu: for freeing after readers of p2px_ext_devs are done
 * @inode: address space of all p2pmem/allocate mappings of this provider
 * @maps: live p2pmem/allocate mappings (struct p2px_map.node)
 * @revoked: the provider is going away; no new mapping or fault succeeds
 */
struct p2px_ext_dev {
	struct list_head node;
	struct pci_dev *pdev;
	struct list_head ranges;
	bool published;
	struct rcu_head rcu;
	struct inode *inode;
	struct list_head maps;
	bool revoked;
};

/**
 * struct p2px_map - memory allocated by one mmap() of p2pmem/allocate
 * @node: entry in the provider's @maps
 * @d: the provider; NULL once the mapping was revoked
 * @kaddr: kernel virtual address of the memory
 * @size: its length (the mapping's length)
 * @vmas: number of VMAs that map it (fork and split add some)
 */
struct p2px_map {
	struct list_head node;
	struct p2px_ext_dev *d;
	void *kaddr;
	size_t size;
	unsigned int vmas;
};

/*
 * Locking: p2px_ext_lock serialises changes to p2px_ext_devs and to every
 * provider's @ranges, and walks that may sleep (find_many). Lookups that
 * must not sleep (alloc, free, virt_to_bus, sysfs) walk the lists under
 * RCU (alloc and free in rcu_read_lock_sched() sections, see
 * p2px_ext_alloc()); an entry is freed only an RCU grace period after it
 * was unlinked, and a range's allocator is destroyed only after every
 * range of the provider was unmapped (so no allocation is left). The
 * allocators themselves need no lock (pool_bitmap.h).
 * @published is written with WRITE_ONCE and read with READ_ONCE.
 *
 * p2px_map_lock protects every struct p2px_map and the @maps and
 * @revoked members of every provider (@revoked is also read without it,
 * under RCU, by p2px_ext_alloc(): written with WRITE_ONCE). It nests
 * inside mmap_lock (mmap, fault, open and close run under it) and is never
 * held across unmap_mapping_range(). p2px_mnt is set once under p2px_ext_lock.
 */
static DEFINE_MUTEX(p2px_ext_lock);
static LIST_HEAD(p2px_ext_devs);
static DEFINE_MUTEX(p2px_map_lock);
static struct vfsmount *p2px_mnt;

/* Caller holds an RCU read lock (either kind) or p2px_ext_lock. */
static struct p2px_ext_dev *p2px_ext_lookup(struct pci_dev *pdev)
{
	struct p2px_ext_dev *d;

	list_for_each_entry_rcu(d, &p2px_ext_devs, node,
				lockdep_is_held(&p2px_ext_lock))
		if (d->pdev == pdev)
			return d;
	return NULL;
}

/* The range of @d holding [@addr, @addr + @size). Caller holds RCU. */
static struct p2px_ext_range *p2px_ext_range_of(struct p2px_ext_dev *d,
						unsigned long addr,
						size_t size)
{
	struct p2px_ext_range *r;

	list_for_each_entry_rcu(r, &d->ranges, node)
		if (addr >= r->start && size <= r->size &&
		    addr - r->start <= r->size - size)
			return r;
	return NULL;
}

static __always_inline void *p2px_ext_alloc(struct pci_dev *pdev,
					    size_t size);
static __always_inline void p2px_ext_free(struct pci_dev *pdev, void *addr,
					  size_t size);

/* --- sysfs: the upstream p2pmem group ------------------------------------ */

/* Bytes of P2P memory of @dev's provider: all (@avail false) or free. */
static ssize_t p2px_pool_show(struct device *dev, char *buf, bool avail)
{
	struct p2px_ext_range *r;
	struct p2px_ext_dev *d;
	size_t val = 0;

	rcu_read_lock();
	d = p2px_ext_lookup(to_pci_dev(dev));
	if (d) {
		list_for_each_entry_rcu(r, &d->ranges, node)
			val += avail ? r->size -
				(p2px_pool_used(&r->pool) << PAGE_SHIFT) :
				r->size;
	}
	rcu_read_unlock();
	return sysfs_emit(buf, "%zu\n", val);
}

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return p2px_pool_show(dev, buf, false);
}
static DEVICE_ATTR_RO(size);

static ssize_t available_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return p2px_pool_show(dev, buf, true);
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

/* --- p2pmem/allocate -------------------------------------------------------- */

/* Give @map's memory back to the pool. Caller holds p2px_map_lock. */
static void p2px_map_release(struct p2px_map *map)
{
	lockdep_assert_held(&p2px_map_lock);
	list_del(&map->node);
	p2px_ext_free(map->d->pdev, map->kaddr, map->size);
	map->d = NULL;
}

static void p2px_vma_open(struct vm_area_struct *vma)
{
	struct p2px_map *map = vma->vm_private_data;

	mutex_lock(&p2px_map_lock);
	map->vmas++;
	mutex_unlock(&p2px_map_lock);
}

static void p2px_vma_close(struct vm_area_struct *vma)
{
	struct p2px_map *map = vma->vm_private_data;

	mutex_lock(&p2px_map_lock);
	if (--map->vmas) {
		mutex_unlock(&p2px_map_lock);
		return;
	}
	if (map->d)
		p2px_map_release(map);
	mutex_unlock(&p2px_map_lock);
	kfree(map);
}

static vm_fault_t p2px_vma_fault(struct vm_fault *vmf)
{
	struct p2px_map *map = vmf->vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	mutex_lock(&p2px_map_lock);
	/* Offset 0 only: pgoff counts pages from the start of the memory. */
	if (map->d && !map->d->revoked &&
	    vmf->pgoff < map->size >> PAGE_SHIFT)
		ret = vmf_insert_pfn(vmf->vma, vmf->address,
				     PHYS_PFN(virt_to_phys(map->kaddr)) +
				     vmf->pgoff);
	mutex_unlock(&p2px_map_lock);
	return ret;
}

static const struct vm_operations_struct p2px_vm_ops = {
	.open = p2px_vma_open,
	.close = p2px_vma_close,
	.fault = p2px_vma_fault,
};

static const struct file_operations p2px_map_fops = {
	.owner = THIS_MODULE,
};

/* A file on the provider's inode, for a VMA to hold. */
static struct file *p2px_map_file(struct p2px_ext_dev *d)
{
	struct file *file;

	/* The file's release drops these (fops_put(), the dentry's iput()). */
	__module_get(THIS_MODULE);
	ihold(d->inode);
	file = alloc_file_pseudo(d->inode, p2px_mnt, "p2pmem", O_RDWR,
				 &p2px_map_fops);
	if (IS_ERR(file)) {
		iput(d->inode);
		module_put(THIS_MODULE);
	}
	return file;
}

static int p2px_alloc_mmap(struct file *filp, struct kobject *kobj,
			   P2PX_BIN_ATTR_CONST struct bin_attribute *attr,
			   struct vm_area_struct *vma)
{
	struct pci_dev *pdev = to_pci_dev(kobj_to_dev(kobj));
	size_t size = vma->vm_end - vma->vm_start;
	struct p2px_ext_dev *d;
	struct p2px_map *map;
	struct file *file;
	int ret;

	if (!(vma->vm_flags & VM_SHARED) || vma->vm_pgoff)
		return -EINVAL;
	/* User access to a BAR: what lockdown forbids (one log line). */
	ret = security_locked_down(LOCKDOWN_PCI_ACCESS);
	if (ret)
		return ret;

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	map->size = size;
	map->vmas = 1;

	mutex_lock(&p2px_map_lock);
	rcu_read_lock();
	d = p2px_ext_lookup(pdev);
	rcu_read_unlock();
	/* Devres revokes (under this lock) before it frees the provider. */
	ret = -ENODEV;
	if (!d || d->revoked)
		goto out_unlock;
	file = p2px_map_file(d);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_unlock;
	}
	map->kaddr = p2px_ext_alloc(pdev, size);
	if (!map->kaddr) {
		ret = -ENOMEM;
		goto out_fput;
	}
	/* The previous user's bytes (a process, a kernel user) are not ours. */
	memset(map->kaddr, 0, size);
	map->d = d;
	list_add(&map->node, &d->maps);
	mutex_unlock(&p2px_map_lock);

	/* The VMA's reference to the kernfs file is replaced by one to ours. */
	fput(vma->vm_file);
	vma->vm_file = file;
	vma->vm_private_data = map;
	vma->vm_ops = &p2px_vm_ops;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	p2px_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
			  VM_DONTDUMP);
	return 0;

out_fput:
	fput(file);
out_unlock:
	mutex_unlock(&p2px_map_lock);
	kfree(map);
	return ret;
}

static struct bin_attribute p2px_alloc_attr = {
	.attr = { .name = "allocate", .mode = 0660 },
	.mmap = p2px_alloc_mmap,
	.size = (size_t)1 << 40,	/* any length can be mapped */
};

static P2PX_BIN_ATTR_CONST struct bin_attribute *P2PX_BIN_ATTR_CONST
p2px_p2pmem_bin_attrs[] = {
	&p2px_alloc_attr,
	NULL,
};

/*
 * devres action, registered after each range is mapped so that it runs
 * before that range is unmapped: revoke every user mapping and give its
 * memory back, so memunmap_pages() does not wait for it. Idempotent.
 */
static void p2px_ext_revoke(void *data)
{
	struct p2px_ext_dev *d = data;
	struct p2px_map *map, *tmp;

	mutex_lock(&p2px_map_lock);
	WRITE_ONCE(d->revoked, true);
	mutex_unlock(&p2px_map_lock);
	/*
	 * Allocations run under RCU and refuse a revoked provider: after the
	 * grace period none is left between its check and its
	 * percpu_ref_tryget_live(), so none can touch a pgmap that devres
	 * frees once memunmap_pages() has drained it.
	 */
	synchronize_rcu();
	/* No fault inserts a PTE from now on; zap the ones there are. */
	unmap_mapping_range(d->inode->i_mapping, 0, 0, 1);
	mutex_lock(&p2px_map_lock);
	list_for_each_entry_safe(map, tmp, &d->maps, node)
		p2px_map_release(map);
	mutex_unlock(&p2px_map_lock);
}

/* --- the pseudo file system behind the mappings ---------------------------- */

#define P2PX_FS_MAGIC	0x70327078	/* "p2px" */

static int p2px_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, P2PX_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type p2px_fs_type = {
	.name = "p2pdma_ext",
	.init_fs_context = p2px_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* The provider's inode; mounts the file system on first use. */
static struct inode *p2px_new_inode(void)
{
	struct vfsmount *mnt;

	lockdep_assert_held(&p2px_ext_lock);
	if (!p2px_mnt) {
		mnt = kern_mount(&p2px_fs_type);
		if (IS_ERR(mnt))
			return ERR_CAST(mnt);
		p2px_mnt = mnt;
	}
	return alloc_anon_inode(p2px_mnt->mnt_sb);
}

static struct attribute *p2px_p2pmem_attrs[] = {
	&dev_attr_size.attr,
	&dev_attr_available.attr,
	&dev_attr_published.attr,
	NULL,
};

static const struct attribute_group p2px_p2pmem_group = {
	.name = "p2pmem",
	.attrs = p2px_p2pmem_attrs,
	.bin_attrs = p2px_p2pmem_bin_attrs,
};

/* --- providers ------------------------------------------------------------- */

/* devres action: the provider's driver unbinds; every range is unmapped. */
static void p2px_ext_release(void *data)
{
	struct p2px_ext_dev *d = data;

	sysfs_remove_group(&d->pdev->dev.kobj, &p2px_p2pmem_group);
	/* Already done if a range was mapped; not if none was. */
	p2px_ext_revoke(d);
	mutex_lock(&p2px_ext_lock);
	list_del_rcu(&d->node);
	mutex_unlock(&p2px_ext_lock);
	synchronize_rcu();
	/* Every map was revoked; VMAs still open hold the inode themselves. */
	iput(d->inode);
	while (!list_empty(&d->ranges)) {
		struct p2px_ext_range *r = list_first_entry(&d->ranges,
							    struct p2px_ext_range,
							    node);

		list_del(&r->node);
		p2px_pool_destroy(&r->pool);
		kfree(r);
	}
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
	INIT_LIST_HEAD(&d->maps);
	INIT_LIST_HEAD(&d->ranges);
	d->inode = p2px_new_inode();
	if (IS_ERR(d->inode)) {
		ret = PTR_ERR(d->inode);
		goto out_free;
	}
	ret = sysfs_create_group(&pdev->dev.kobj, &p2px_p2pmem_group);
	if (ret)
		goto out_iput;
	/*
	 * Registered before any range is mapped, so devres runs it after
	 * every range's memunmap_pages(): the pool is empty by then.
	 */
	ret = devm_add_action(&pdev->dev, p2px_ext_release, d);
	if (ret)
		goto out_sysfs;
	d->pdev = pci_dev_get(pdev);
	list_add_tail_rcu(&d->node, &p2px_ext_devs);
	return d;

out_sysfs:
	sysfs_remove_group(&pdev->dev.kobj, &p2px_p2pmem_group);
out_iput:
	iput(d->inode);
out_free:
	kfree(d);
	return ERR_PTR(ret);
}

static int p2px_ext_add_resource(struct pci_dev *pdev, int bar, size_t size,
				 u64 offset)
{
	struct p2px_ext_range *range;
	struct dev_pagemap *pgmap;
	struct p2px_ext_dev *d;
	void *addr;
	int ret;

	range = kzalloc(sizeof(*range), GFP_KERNEL);
	if (!range)
		return -ENOMEM;
	ret = p2px_pool_init(&range->pool, size >> PAGE_SHIFT);
	if (ret)
		goto out_range;
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

	/* Runs before devres unmaps the range: see p2px_ext_revoke(). */
	ret = devm_add_action(&pdev->dev, p2px_ext_revoke, d);
	if (ret)
		goto out_unmap;
	range->start = (unsigned long)addr;
	range->size = size;
	range->bus = pci_bus_address(pdev, bar) + offset;
	range->ref = p2px_pgmap_ref(pgmap);
	range->pgmap = pgmap;
	range->bar = bar;
	/* Complete before allocations can see it. */
	list_add_tail_rcu(&range->node, &d->ranges);
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
	p2px_pool_destroy(&range->pool);
out_range:
	kfree(range);
	return ret;
}

/*
 * Does @d hand out memory: a range registered, not going away? An entry
 * exists from the first p2pdma_ext_add_resource() on, before its range is
 * mapped (and stays if that fails): such a device is no provider. Caller
 * holds rcu_read_lock() or p2px_ext_lock.
 */
static bool p2px_ext_has_memory(struct p2px_ext_dev *d)
{
	return !READ_ONCE(d->revoked) &&
	       list_first_or_null_rcu(&d->ranges, struct p2px_ext_range, node);
}

static void p2px_ext_publish(struct pci_dev *pdev, bool publish)
{
	struct p2px_ext_dev *d;
	bool mem = false;

	rcu_read_lock();
	d = p2px_ext_lookup(pdev);
	if (d)
		mem = p2px_ext_has_memory(d);
	if (mem || (d && !publish))
		WRITE_ONCE(d->published, publish);
	rcu_read_unlock();
	if (!mem && publish)
		pci_info(pdev, "p2pdma_ext: no P2P memory to publish\n");
}

static bool p2px_ext_has_p2pmem(struct pci_dev *pdev)
{
	struct p2px_ext_dev *d;
	bool ret;

	rcu_read_lock();
	d = p2px_ext_lookup(pdev);
	ret = d && READ_ONCE(d->published) && p2px_ext_has_memory(d);
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

		if (!READ_ONCE(d->published) || !p2px_ext_has_memory(d))
			continue;
		dist = p2pdma_ext_distance_many(d->pdev, clients, num_clients,
						false);
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
		if (READ_ONCE(d->published) && p2px_ext_has_memory(d)) {
			p2pdma_ext_distance_many(d->pdev, clients, num_clients,
						 true);
			break;
		}
	}
	mutex_unlock(&p2px_ext_lock);
}

/*
 * The hot path. Its read-side sections are rcu_read_lock_sched() ones:
 * preemption disabled, inline, where rcu_read_lock() is a function call
 * on these (PREEMPT_RCU) kernels. synchronize_rcu() waits for them as
 * for any RCU reader (one RCU flavour since Linux 4.20).
 */

/* Pages of an allocation of @size bytes (no overflow near SIZE_MAX). */
static __always_inline unsigned long p2px_ext_pages(size_t size)
{
	return (size >> PAGE_SHIFT) + !!(size & ~PAGE_MASK);
}

/* Allocate from a provider's ranges. Any context; NULL if it cannot. */
static __always_inline void *p2px_ext_alloc(struct pci_dev *pdev,
					    size_t size)
{
	unsigned long nr = p2px_ext_pages(size), idx;
	struct p2px_ext_range *range;
	struct p2px_ext_dev *d;
	void *addr = NULL;

	rcu_read_lock_sched();
	d = p2px_ext_lookup(pdev);
	/* Going away: its pgmaps may be freed already (p2px_ext_revoke()). */
	if (unlikely(!d || READ_ONCE(d->revoked)))
		goto out;
	list_for_each_entry_rcu(range, &d->ranges, node) {
		idx = p2px_pool_alloc(&range->pool, nr);
		if (idx >= range->pool.nbits)
			continue;
		/* A range whose unmapping has begun hands out nothing more. */
		if (likely(percpu_ref_tryget_live(range->ref))) {
			addr = (void *)(range->start + (idx << PAGE_SHIFT));
			break;
		}
		p2px_pool_free(&range->pool, idx, nr);
	}
out:
	rcu_read_unlock_sched();
	return addr;
}

/*
 * Give memory from p2px_ext_alloc() back to its provider's range. Memory
 * the provider did not hand out (a stranger's, freed twice, or with
 * another size) is refused with one log line. Any context.
 */
static __always_inline void p2px_ext_free(struct pci_dev *pdev, void *addr,
					  size_t size)
{
	unsigned long a = (unsigned long)addr, off;
	struct p2px_ext_range *range = NULL;
	struct percpu_ref *ref = NULL;
	struct p2px_ext_dev *d;

	rcu_read_lock_sched();
	d = p2px_ext_lookup(pdev);
	if (likely(d))
		range = p2px_ext_range_of(d, a, size);
	if (likely(range)) {
		off = a - range->start;
		if (likely(!(off & ~PAGE_MASK) &&
			   p2px_pool_free(&range->pool, off >> PAGE_SHIFT,
					  p2px_ext_pages(size))))
			ref = range->ref;
	}
	rcu_read_unlock_sched();
	if (likely(ref))
		percpu_ref_put(ref);
	else
		dev_warn_once(&pdev->dev, "p2pdma_ext: freeing memory it did not allocate\n");
}

/*
 * The exported allocation calls, unless <linux/p2pdma_ext.h> makes them
 * inline calls of the kernel's own P2PDMA.
 */
#ifndef P2PDMA_EXT_ALLOC_INLINE
/* kernel-doc at the inline versions in <linux/p2pdma_ext.h>. */
void *p2pdma_ext_alloc(struct pci_dev *pdev, size_t size)
{
	if (unlikely(!pdev || !size))
		return NULL;
	return p2px_ext_alloc(pdev, size);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_alloc);

void p2pdma_ext_free(struct pci_dev *pdev, void *addr, size_t size)
{
	if (likely(pdev && addr))
		p2px_ext_free(pdev, addr, size);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_free);
#endif

static pci_bus_addr_t p2px_ext_virt_to_bus(struct pci_dev *pdev, void *addr)
{
	unsigned long a = (unsigned long)addr;
	struct p2px_ext_range *r = NULL;
	pci_bus_addr_t bus = 0;
	struct p2px_ext_dev *d;

	rcu_read_lock();
	d = p2px_ext_lookup(pdev);
	if (d)
		r = p2px_ext_range_of(d, a, 1);
	if (r)
		bus = r->bus + (a - r->start);
	rcu_read_unlock();
	return bus;
}

/*
 * Reservations (dma-buf exports): a range taken out of a pool at a fixed
 * place, with one pgmap reference like an allocation. The range must lie
 * wholly inside one registered range; its granules are claimed all or
 * none (pool_bitmap.h), so a racing allocation gets either all of them or
 * none.
 */
static int p2px_ext_reserve(struct pci_dev *pdev, unsigned long addr,
			    size_t size)
{
	struct p2px_ext_range *range;
	struct p2px_ext_dev *d;
	unsigned long first;
	int ret = 0;

	rcu_read_lock();
	d = p2px_ext_lookup(pdev);
	if (!d)
		goto out;
	list_for_each_entry_rcu(range, &d->ranges, node) {
		if (addr >= range->start + range->size ||
		    range->start >= addr + size)
			continue;
		ret = -EBUSY;
		if (addr < range->start ||
		    addr + size > range->start + range->size)
			break;
		ret = -ENODEV;
		if (READ_ONCE(d->revoked))
			break;
		first = (addr - range->start) >> PAGE_SHIFT;
		ret = -EBUSY;
		if (!p2px_bits_claim(range->pool.map, first,
				     size >> PAGE_SHIFT))
			break;
		ret = 1;
		if (!percpu_ref_tryget_live(range->ref)) {
			p2px_pool_free(&range->pool, first, size >> PAGE_SHIFT);
			ret = -ENODEV;
		}
		break;
	}
out:
	rcu_read_unlock();
	return ret;
}

static void p2px_ext_unreserve(struct pci_dev *pdev, unsigned long addr,
			       size_t size)
{
	/* The same as freeing an allocation of that place and size. */
	p2px_ext_free(pdev, (void *)addr, size);
}

/*
 * The handle of the BAR whose range holds @page, if it is one of ours.
 * The pgmap type is ours alone on these kernels, but the ranges are
 * checked anyway: only a page of a live range is P2P memory.
 */
static struct p2pdma_ext_provider *
p2px_ext_page_provider(const struct page *page)
{
	struct pci_dev *pdev = NULL;
	struct dev_pagemap *pgmap;
	struct p2px_ext_range *r;
	struct p2px_ext_dev *d;
	int bar = 0;

	if (!is_zone_device_page(page))
		return NULL;
	pgmap = p2px_page_pgmap(page);
	if (pgmap->type != MEMORY_DEVICE_PCI_P2PDMA)
		return NULL;
	rcu_read_lock();
	list_for_each_entry_rcu(d, &p2px_ext_devs, node) {
		list_for_each_entry_rcu(r, &d->ranges, node) {
			if (r->pgmap == pgmap) {
				pdev = d->pdev;
				bar = r->bar;
				goto out;
			}
		}
	}
out:
	rcu_read_unlock();
	/* The caller's page holds the range, so the binding, so the handle. */
	return pdev ? p2pdma_ext_provider_get(pdev, bar) : NULL;
}

const struct p2px_backend p2px_backend_ext = {
	.add_resource = p2px_ext_add_resource,
	.publish = p2px_ext_publish,
	.find_many = p2px_ext_find_many,
	.explain = p2px_ext_explain,
	.virt_to_bus = p2px_ext_virt_to_bus,
	.has_p2pmem = p2px_ext_has_p2pmem,
	.reserve = p2px_ext_reserve,
	.unreserve = p2px_ext_unreserve,
	.page_provider = p2px_ext_page_provider,
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
	/* Every mapping's file held a module reference: none is left. */
	if (p2px_mnt)
		kern_unmount(p2px_mnt);
	p2px_mnt = NULL;
	mutex_unlock(&p2px_ext_lock);
}
