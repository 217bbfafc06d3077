// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext: the exported dma-bufs and their importers, for user space.
 *
 *   P2PDMA_EXT_IOC_DMABUF_LIST on /dev/p2pdma_ext (root only, like the
 *   whole control device): one struct p2pdma_ext_dmabuf_info per buffer;
 *   debugfs p2pdma_ext/dmabufs: the same, as text.
 *
 * Both take the same steps (dmabuf.c): pin the buffers under the list
 * lock, then describe each under its own reservation lock with the list
 * lock dropped, unpinning it right after. So a lister never holds the
 * list lock while it waits, and a buffer whose reservation lock is held
 * for long (a revoke waiting for fences, an importer's DMA) delays only
 * the listing and the release of buffers not yet described.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/p2pdma_ext.h>

#include "compat.h"
#include "dmabuf.h"
#include "internal.h"
#include "uarg.h"

/* Largest entry stride accepted (room for the structure to grow). */
#define P2PX_MAX_ENTRY_SIZE	4096

/*
 * Describe the first @n of the buffers pinned in @bufs into @infos,
 * unpinning each when done (all of them on failure).
 */
static int p2px_dmabuf_describe_all(struct p2px_dmabuf **bufs,
				    unsigned int n,
				    struct p2pdma_ext_dmabuf_info *infos)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = p2px_dmabuf_describe(bufs[i], &infos[i]);
		if (ret) {
			p2px_dmabuf_unpin_bufs(&bufs[i], n - i);
			return ret;
		}
		p2px_dmabuf_unpin_bufs(&bufs[i], 1);
	}
	return 0;
}

/*
 * Snapshot of at most @max buffers: *@infos (kvfree() it) holds *@n
 * entries; returns the number of buffers there are, or a negative errno.
 */
static long p2px_dmabuf_snapshot(unsigned int max,
				 struct p2pdma_ext_dmabuf_info **infos,
				 unsigned int *n)
{
	struct p2px_dmabuf **bufs = NULL;
	unsigned int total;
	int ret;

	*infos = NULL;
	*n = 0;
	if (max) {
		bufs = kvcalloc(max, sizeof(*bufs), GFP_KERNEL);
		*infos = kvcalloc(max, sizeof(**infos), GFP_KERNEL);
		if (!bufs || !*infos) {
			ret = -ENOMEM;
			goto err;
		}
	}
	total = p2px_dmabuf_pin_all(bufs, max);
	ret = p2px_dmabuf_describe_all(bufs, min(total, max), *infos);
	if (ret)
		goto err;
	kvfree(bufs);
	*n = min(total, max);
	return total;
err:
	kvfree(bufs);
	kvfree(*infos);
	*infos = NULL;
	return ret;
}

/**
 * p2px_ioctl_dmabuf_list() - P2PDMA_EXT_IOC_DMABUF_LIST
 * @uarg: user pointer to struct p2pdma_ext_dmabuf_list
 *
 * Every argument is checked before anything is looked at; nothing is
 * logged, the errno is the answer.
 *
 * Return: 0 or a negative errno as documented in the uapi header.
 */
long p2px_ioctl_dmabuf_list(void __user *uarg)
{
	struct p2pdma_ext_dmabuf_list __user *ul = uarg;
	struct p2pdma_ext_dmabuf_info *infos;
	struct p2pdma_ext_dmabuf_list l;
	unsigned int i, n;
	u8 __user *uent;
	long total;
	int ret;

	BUILD_BUG_ON(sizeof(struct p2pdma_ext_dmabuf_importer) != 72);
	BUILD_BUG_ON(sizeof(struct p2pdma_ext_dmabuf_info) != 624);
	BUILD_BUG_ON(sizeof(struct p2pdma_ext_dmabuf_list) != 32);
	BUILD_BUG_ON(sizeof(struct p2pdma_ext_dmabuf_info) > P2PX_MAX_ENTRY_SIZE);

	ret = p2px_get_arg(&l, sizeof(l), ul);
	if (ret)
		return ret;
	if (l.flags || l.reserved || l.entry_size < sizeof(*infos) ||
	    l.entry_size > P2PX_MAX_ENTRY_SIZE)
		return -EINVAL;
	if (l.count > P2PDMA_EXT_DMABUF_LIST_MAX)
		return -E2BIG;
	uent = u64_to_user_ptr(l.entries);
	/* A bad buffer fails before any buffer is pinned. */
	if (l.count && !access_ok(uent, (size_t)l.count * l.entry_size))
		return -EFAULT;

	total = p2px_dmabuf_snapshot(l.count, &infos, &n);
	if (total < 0)
		return total;
	for (i = 0; i < n; i++) {
		u8 __user *e = uent + (size_t)i * l.entry_size;

		if (copy_to_user(e, &infos[i], sizeof(infos[i])) ||
		    clear_user(e + sizeof(infos[i]),
			       l.entry_size - sizeof(infos[i]))) {
			kvfree(infos);
			return -EFAULT;
		}
	}
	kvfree(infos);
	if (put_user(n, &ul->count) || put_user((u32)total, &ul->total))
		return -EFAULT;
	return 0;
}

static int p2px_dmabufs_show(struct seq_file *m, void *v)
{
	struct p2pdma_ext_dmabuf_info *infos;
	unsigned int i, j, n;
	long total;

	/* Room for those there are now; later ones are counted only. */
	n = min_t(unsigned int, p2px_dmabuf_pin_all(NULL, 0),
		  P2PDMA_EXT_DMABUF_LIST_MAX);
	total = p2px_dmabuf_snapshot(n, &infos, &n);
	if (total < 0)
		return total;
	seq_printf(m, "%ld dma-buf(s)\n", total);
	for (i = 0; i < n; i++) {
		const struct p2pdma_ext_dmabuf_info *b = &infos[i];

		seq_printf(m, "ino %llu device %04x:%02x:%02x.%u bar %u size %llu ranges %u exporter %s%s maps %u importers %u%s\n",
			   b->ino, (u32)(b->device >> 16),
			   (u32)(b->device >> 8) & 0xff,
			   (u32)PCI_SLOT(b->device & 0xff),
			   (u32)PCI_FUNC(b->device & 0xff),
			   b->bar, b->size, b->nr_ranges,
			   b->flags & P2PDMA_EXT_DMABUF_F_IOCTL ? "ioctl" : "kernel",
			   b->flags & P2PDMA_EXT_DMABUF_F_REVOKED ? " revoked" : "",
			   b->maps, b->nr_importers,
			   b->flags & P2PDMA_EXT_DMABUF_F_TRUNCATED ? " (truncated)" : "");
		for (j = 0; j < min_t(u32, b->nr_importers,
				      P2PDMA_EXT_DMABUF_MAX_IMPORTERS); j++)
			seq_printf(m, "  importer %s maps %u%s\n",
				   b->importers[j].name, b->importers[j].maps,
				   b->importers[j].flags &
				   P2PDMA_EXT_DMABUF_IMP_MAPPED ? " mapped" : "");
	}
	if (total > n)
		seq_printf(m, "(%ld more not shown)\n", total - n);
	kvfree(infos);
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(p2px_dmabufs);

/**
 * p2px_dmabuf_list_debugfs_init() - create debugfs p2pdma_ext/dmabufs
 * @dir: the module's debugfs directory
 *
 * Debugfs is a debugging aid: failures are not fatal and not reported.
 */
void p2px_dmabuf_list_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("dmabufs", 0400, dir, NULL, &p2px_dmabufs_fops);
}
