// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology in debugfs, /sys/kernel/debug/p2pdma_ext/ (root only):
 *
 *   topology  the matrix of every PCI function pair (recomputed on read)
 *   pair      write "PROVIDER CLIENT" (e.g. "0000:01:00.0 0000:02:00.0"),
 *             read the answer and its explanation (recomputed on read)
 *   flush     any write invalidates the topology cache
 *   stats     cache counters
 *
 * The directory itself is main.c's.
 * Locking: p2px_dbg_lock protects the chosen pair below.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "topology.h"

/* Functions shown in the topology matrix at most. */
#define P2PX_DBG_MAX_DEVS	256
#define P2PX_DBG_CMD_MAX	128	/* longest command written to pair */

static DEFINE_MUTEX(p2px_dbg_lock);
static u64 p2px_dbg_pair[2];			/* under p2px_dbg_lock */
static bool p2px_dbg_pair_set;			/* under p2px_dbg_lock */

static int p2px_topology_show(struct seq_file *m, void *v)
{
	struct p2pdma_ext_topo_cell *cells = NULL, *c;
	struct pci_dev **devs = NULL;
	unsigned int n = 0, total = 0, i, j;
	char cell[16];
	int ret;

	ret = p2px_pci_get_all(P2PX_DBG_MAX_DEVS, &devs, &total);
	if (ret == -ENOSPC)
		ret = 0;
	n = ret ? 0 : min_t(unsigned int, total, P2PX_DBG_MAX_DEVS);
	cells = n ? kvcalloc((size_t)n * n, sizeof(*cells), GFP_KERNEL) : NULL;
	if (!ret && n)
		ret = cells ? p2px_topo_cells(devs, n, 0, cells) : -ENOMEM;
	if (ret)
		goto out;

	seq_puts(m, "# p2pdma_ext topology: row = provider, column = client\n");
	seq_puts(m, "# Bn = direct by PCI bus address, Hn = through the host bridge, n = distance;\n");
	seq_puts(m, "# -- = not supported. Recomputed on every read; the pair file explains one.\n");
	if (total > n)
		seq_printf(m, "# showing %u of %u PCI functions\n", n, total);
	seq_puts(m, "idx device        id         class\n");
	for (i = 0; i < n; i++) {
		seq_printf(m, "%3u %-13s %04x:%04x  %06x\n", i, pci_name(devs[i]),
			   devs[i]->vendor, devs[i]->device, devs[i]->class);
	}
	seq_puts(m, "   ");
	for (j = 0; j < n; j++)
		seq_printf(m, " %5u", j);
	seq_putc(m, '\n');
	for (i = 0, c = cells; i < n; i++) {
		seq_printf(m, "%3u", i);
		for (j = 0; j < n; j++, c++) {
			snprintf(cell, sizeof(cell), "%c%d",
				 c->map_type == P2PDMA_EXT_TOPO_MAP_BUS_ADDR ?
				 'B' : 'H', c->distance);
			seq_printf(m, " %5s", c->map_type ==
				   P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED ? "--" : cell);
		}
		seq_putc(m, '\n');
	}
out:
	kvfree(cells);
	p2px_pci_put_all(devs, n);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(p2px_topology);

static ssize_t p2px_pair_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char cmd[P2PX_DBG_CMD_MAX];
	struct pci_dev *devs[2];
	const char *end;
	u64 ids[2];
	int ret;

	if (!count || count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	if (p2px_parse_bdf(cmd, &ids[0], &end) ||
	    p2px_parse_bdf(end, &ids[1], &end) || *skip_spaces(end))
		return -EINVAL;
	ret = p2px_pci_get_ids(ids, 2, devs);
	if (ret)
		return ret;
	pci_dev_put(devs[0]);
	pci_dev_put(devs[1]);
	mutex_lock(&p2px_dbg_lock);
	memcpy(p2px_dbg_pair, ids, sizeof(ids));
	p2px_dbg_pair_set = true;
	mutex_unlock(&p2px_dbg_lock);
	return count;
}

static int p2px_pair_show(struct seq_file *m, void *v)
{
	struct p2px_topo_result *res;
	struct pci_dev *devs[2];
	unsigned int of = 0;
	u64 ids[2];
	char *why;
	int ret;

	mutex_lock(&p2px_dbg_lock);
	memcpy(ids, p2px_dbg_pair, sizeof(ids));
	ret = p2px_dbg_pair_set ? 0 : -ENOENT;
	mutex_unlock(&p2px_dbg_lock);
	if (ret) {
		seq_puts(m, "write \"PROVIDER CLIENT\" (e.g. \"0000:01:00.0 0000:02:00.0\") to this file first\n");
		return 0;
	}
	if (p2px_pci_get_ids(ids, 2, devs)) {
		seq_puts(m, "the chosen pair is gone\n");
		return 0;
	}
	res = kmalloc(sizeof(*res), GFP_KERNEL);
	why = kmalloc(P2PDMA_EXT_EXPLAIN_MAX, GFP_KERNEL);
	ret = res && why ? p2px_cache_pair(devs[0], devs[1], res, 0, &of) :
			   -ENOMEM;
	if (!ret) {
		p2px_topo_explain(res, why, P2PDMA_EXT_EXPLAIN_MAX);
		seq_printf(m, "map %s\ndistance %d\nreason %s\ndetour %s\ncache %s\n%s\n",
			   p2px_topo_map_str(res->map),
			   res->map == P2PX_TOPO_MAP_NOT_SUPPORTED ?
			   -1 : res->distance,
			   p2px_topo_reason_str(res->reason),
			   p2px_topo_reason_str(res->detour),
			   of & P2PDMA_EXT_TOPO_F_REFRESHED ? "refreshed" :
			   of & P2PDMA_EXT_TOPO_F_FROM_CACHE ? "agreed" : "none",
			   why);
	}
	kfree(why);
	kfree(res);
	pci_dev_put(devs[0]);
	pci_dev_put(devs[1]);
	return ret;
}

static int p2px_pair_open(struct inode *inode, struct file *file)
{
	return single_open(file, p2px_pair_show, NULL);
}

static const struct file_operations p2px_pair_fops = {
	.owner = THIS_MODULE,
	.open = p2px_pair_open,
	.read = seq_read,
	.write = p2px_pair_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static ssize_t p2px_flush_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	p2px_cache_invalidate();
	return count;
}

static const struct file_operations p2px_flush_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = p2px_flush_write,
	.llseek = noop_llseek,
};

static int p2px_stats_show(struct seq_file *m, void *v)
{
	struct p2px_cache_stats st;

	p2px_cache_stats(&st);
	seq_printf(m, "entries %u\ndetailed %u\nhits %llu\nmisses %llu\nfresh %llu\nrefreshed %llu\ninvalidations %llu\ncache_generation %u\npolicy_generation %u\n",
		   st.entries, st.detailed, st.hits, st.misses, st.fresh,
		   st.refreshed, st.invalidations, st.cache_gen,
		   st.policy_gen);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(p2px_stats);

/**
 * p2px_topo_debugfs_init() - create the topology files in debugfs
 * @dir: the module's debugfs directory (main.c's)
 *
 * Debugfs is a debugging aid: failures are not fatal and not reported.
 */
void p2px_topo_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("topology", 0400, dir, NULL, &p2px_topology_fops);
	debugfs_create_file("pair", 0600, dir, NULL, &p2px_pair_fops);
	debugfs_create_file("flush", 0200, dir, NULL, &p2px_flush_fops);
	debugfs_create_file("stats", 0400, dir, NULL, &p2px_stats_fops);
}
