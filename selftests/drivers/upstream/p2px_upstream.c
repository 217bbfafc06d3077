// SPDX-License-Identifier: GPL-2.0
/*
 * p2px_upstream: a sample vendor driver written only against the upstream
 * PCI P2PDMA API of <linux/pci-p2pdma.h>, provider handles included
 * (Linux 6.19). Built with include/p2pdma-ext-compat first on its include
 * path, it uses the kernel's own P2PDMA where there is one (7.2) and
 * p2pdma_ext.ko elsewhere, from the same source.
 *
 * It matches no device; bind it with driver_override to a device whose
 * BAR2 is memory (the test bed's ivshmem). Probe: pcim_p2pdma_init(),
 * pci_p2pdma_add_resource() of the whole BAR2, pci_p2pmem_publish(), the
 * BAR2 handle from pcim_p2pdma_provider(). One device at a time.
 *
 * debugfs, /sys/kernel/debug/p2px_upstream/:
 *   cmd     write one of (the write fails with -ENOMEM, -EINVAL, ...):
 *           "alloc SIZE"  pci_alloc_p2pmem() (kept until "free")
 *           "sgl SIZE"    pci_p2pmem_alloc_sgl() (kept until "free")
 *           "fill SEED"   the CPU writes byte[i] = SEED + 7 * i into the
 *                         memory of "alloc"
 *           "free"        pci_free_p2pmem() and pci_p2pmem_free_sgl() of
 *                         what is kept
 *           "publish 0|1" pci_p2pmem_publish()
 *   report  read:
 *           dev BDF
 *           init ERRNO add_resource ERRNO
 *           find BDF|none distance D   pci_p2pmem_find() and
 *                         pci_p2pdma_distance() for the device itself
 *           provider owner self|other|none bus_offset OFF   BAR2's handle
 *           alloc size N nents N phys P bus B map M
 *           sgl size N nents N phys P bus B map M
 *                         what "alloc" and "sgl" keep (size 0: nothing);
 *                         P: its CPU physical address; B:
 *                         pci_p2pmem_virt_to_bus(); M:
 *                         pci_p2pdma_bus_addr_map(handle, P)
 *           head HEX      the first 64 bytes of "alloc", read by the CPU
 */
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>

#define P2PX_UP_BAR	2
#define P2PX_UP_SHOW	64

/**
 * struct p2px_up_mem - P2P memory the sample keeps
 * @buf: its kernel address, or NULL
 * @size: its size
 * @sgl: its scatterlist if it came from pci_p2pmem_alloc_sgl()
 * @nents: the scatterlist's entries (1 for pci_alloc_p2pmem())
 */
struct p2px_up_mem {
	void *buf;
	size_t size;
	struct scatterlist *sgl;
	unsigned int nents;
};

/**
 * struct p2px_up - the bound device
 * @pdev: the device
 * @init: what pcim_p2pdma_init() returned
 * @add: what pci_p2pdma_add_resource() returned
 * @prov: BAR2's provider handle
 * @alloc: memory from "alloc"
 * @sgl: memory from "sgl"
 */
struct p2px_up {
	struct pci_dev *pdev;
	int init;
	int add;
	struct p2pdma_provider *prov;
	struct p2px_up_mem alloc;
	struct p2px_up_mem sgl;
};

/* Protects p2px_up_dev and everything it points to. */
static DEFINE_MUTEX(p2px_up_lock);
static struct p2px_up *p2px_up_dev;
static struct dentry *p2px_up_dir;

static void p2px_up_free(struct p2px_up *u, struct p2px_up_mem *m)
{
	if (m->sgl)
		pci_p2pmem_free_sgl(u->pdev, m->sgl);
	else if (m->buf)
		pci_free_p2pmem(u->pdev, m->buf, m->size);
	memset(m, 0, sizeof(*m));
}

static int p2px_up_cmd(struct p2px_up *u, const char *cmd)
{
	unsigned int val;
	size_t i, size;

	struct p2px_up_mem *m;

	if (sscanf(cmd, "alloc %zu", &size) == 1) {
		m = &u->alloc;
		p2px_up_free(u, m);
		m->buf = pci_alloc_p2pmem(u->pdev, size);
		if (!m->buf)
			return -ENOMEM;
		m->size = size;
		m->nents = 1;
		return 0;
	}
	if (sscanf(cmd, "sgl %zu", &size) == 1) {
		m = &u->sgl;
		p2px_up_free(u, m);
		m->sgl = pci_p2pmem_alloc_sgl(u->pdev, &m->nents, size);
		if (!m->sgl)
			return -ENOMEM;
		m->buf = sg_virt(m->sgl);
		m->size = m->sgl->length;
		return 0;
	}
	if (sscanf(cmd, "fill %u", &val) == 1) {
		m = &u->alloc;
		if (!m->buf)
			return -ENOENT;
		/* Device memory: I/O accessors only. */
		for (i = 0; i < m->size; i++)
			writeb((u8)(val + 7 * i), (u8 *)m->buf + i);
		return 0;
	}
	if (!strcmp(cmd, "free")) {
		p2px_up_free(u, &u->alloc);
		p2px_up_free(u, &u->sgl);
		return 0;
	}
	if (sscanf(cmd, "publish %u", &val) == 1) {
		pci_p2pmem_publish(u->pdev, val);
		return 0;
	}
	return -EINVAL;
}

static ssize_t p2px_up_cmd_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char buf[64];
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	strim(buf);
	mutex_lock(&p2px_up_lock);
	ret = p2px_up_dev ? p2px_up_cmd(p2px_up_dev, buf) : -ENODEV;
	mutex_unlock(&p2px_up_lock);
	return ret ? ret : count;
}

static void p2px_up_show_mem(struct seq_file *m, struct p2px_up *u,
			     const char *name, struct p2px_up_mem *mem)
{
	phys_addr_t phys = mem->buf ? virt_to_phys(mem->buf) : 0;

	seq_printf(m, "%s size %zu nents %u phys %#llx bus %#llx map %#llx\n",
		   name, mem->size, mem->nents, (u64)phys,
		   mem->buf ? (u64)pci_p2pmem_virt_to_bus(u->pdev, mem->buf) : 0,
		   mem->buf && u->prov ?
		   (u64)pci_p2pdma_bus_addr_map(u->prov, phys) : 0);
}

static int p2px_up_show(struct seq_file *m, void *v)
{
	struct p2px_up *u;
	struct pci_dev *found;
	size_t i;

	mutex_lock(&p2px_up_lock);
	u = p2px_up_dev;
	if (!u)
		goto out;
	seq_printf(m, "dev %s\ninit %d add_resource %d\n", pci_name(u->pdev),
		   u->init, u->add);
	found = pci_p2pmem_find(&u->pdev->dev);
	seq_printf(m, "find %s distance %d\n", found ? pci_name(found) : "none",
		   pci_p2pdma_distance(u->pdev, &u->pdev->dev, false));
	pci_dev_put(found);
	seq_printf(m, "provider owner %s bus_offset %#llx\n",
		   !u->prov ? "none" :
		   u->prov->owner == &u->pdev->dev ? "self" : "other",
		   u->prov ? u->prov->bus_offset : 0);
	p2px_up_show_mem(m, u, "alloc", &u->alloc);
	p2px_up_show_mem(m, u, "sgl", &u->sgl);
	seq_puts(m, "head ");
	for (i = 0; i < min_t(size_t, u->alloc.size, P2PX_UP_SHOW); i++)
		seq_printf(m, "%02x", readb((u8 *)u->alloc.buf + i));
	seq_putc(m, '\n');
out:
	mutex_unlock(&p2px_up_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(p2px_up);

static const struct file_operations p2px_up_cmd_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = p2px_up_cmd_write,
	.llseek = default_llseek,
};

static int p2px_upstream_probe(struct pci_dev *pdev,
			       const struct pci_device_id *id)
{
	struct p2px_up *u;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	u = devm_kzalloc(&pdev->dev, sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	u->pdev = pdev;
	u->init = pcim_p2pdma_init(pdev);
	u->add = pci_p2pdma_add_resource(pdev, P2PX_UP_BAR, 0, 0);
	if (u->init || u->add)
		return u->init ? u->init : u->add;
	u->prov = pcim_p2pdma_provider(pdev, P2PX_UP_BAR);
	if (!u->prov)
		return -ENODEV;
	pci_p2pmem_publish(pdev, true);

	mutex_lock(&p2px_up_lock);
	if (p2px_up_dev) {
		ret = -EBUSY;	/* one device at a time */
	} else {
		p2px_up_dev = u;
		pci_set_drvdata(pdev, u);
	}
	mutex_unlock(&p2px_up_lock);
	return ret;
}

static void p2px_upstream_remove(struct pci_dev *pdev)
{
	struct p2px_up *u = pci_get_drvdata(pdev);

	/* Nothing of the memory or its handle may be used after remove(). */
	mutex_lock(&p2px_up_lock);
	pci_p2pmem_publish(pdev, false);
	p2px_up_free(u, &u->alloc);
	p2px_up_free(u, &u->sgl);
	p2px_up_dev = NULL;
	mutex_unlock(&p2px_up_lock);
}

static const struct pci_device_id p2px_upstream_ids[] = {
	{ }	/* bound by driver_override only */
};

static struct pci_driver p2px_upstream_driver = {
	.name = "p2px_upstream",
	.id_table = p2px_upstream_ids,
	.probe = p2px_upstream_probe,
	.remove = p2px_upstream_remove,
};

static int __init p2px_upstream_init(void)
{
	int ret;

	p2px_up_dir = debugfs_create_dir("p2px_upstream", NULL);
	debugfs_create_file("report", 0400, p2px_up_dir, NULL, &p2px_up_fops);
	debugfs_create_file("cmd", 0200, p2px_up_dir, NULL, &p2px_up_cmd_fops);
	ret = pci_register_driver(&p2px_upstream_driver);
	if (ret)
		debugfs_remove_recursive(p2px_up_dir);
	return ret;
}

static void __exit p2px_upstream_exit(void)
{
	pci_unregister_driver(&p2px_upstream_driver);
	debugfs_remove_recursive(p2px_up_dir);
}

module_init(p2px_upstream_init);
module_exit(p2px_upstream_exit);

MODULE_DESCRIPTION("p2pdma-ext sample: a driver using only upstream P2PDMA names");
MODULE_LICENSE("GPL");
