// SPDX-License-Identifier: GPL-2.0
/*
 * p2px_handle: test driver for the provider handles of p2pdma_ext
 * (p2pdma_ext_provider_init(), p2pdma_ext_provider_get(),
 * p2pdma_ext_bus_addr_map()). It matches no device; bind it to any PCI
 * device with driver_override. Its probe examines the handles of that
 * device and keeps a report of the device bound last, shown by
 * /sys/kernel/debug/p2px_handle/report:
 *
 *   dev BDF native 0|1
 *   stale N            memory BARs that had a handle before init (must
 *                      be 0: an earlier binding's handles were released)
 *   init ERRNO         p2pdma_ext_provider_init()
 *   again ERRNO same 0|1   a second init, and whether every handle stayed
 *   bar N none         p2pdma_ext_provider_get() gave NULL (N = -1..6)
 *   bar N owner self|other bus_offset OFF map ADDR
 *                      OFF = the handle's bus_offset; ADDR =
 *                      p2pdma_ext_bus_addr_map() of the BAR's CPU start
 *   kernel same|different|none   where the kernel has pcim_p2pdma_provider()
 *                      (CONFIG_PCI_P2PDMA on the test bed's kernels):
 *                      whether it returns the very same handles
 *
 * As the owner of the device bound last, it also makes registry API calls
 * on it through /sys/kernel/debug/p2px_handle/api (a device that has
 * provider handles and no P2P memory until "add"); the write fails with
 * the call's errno (-ENODEV: no device bound), a read shows the last
 * answer:
 *   "add BAR SIZE OFFSET"  p2pdma_ext_add_resource()
 *   "publish 0|1"          p2pdma_ext_publish()
 *   "alloc SIZE"           p2pdma_ext_alloc() (-ENOMEM: NULL), freed at once
 *   "sgl SIZE"             p2pdma_ext_alloc_sgl() (-ENOMEM: NULL), freed
 *   "free"                 p2pdma_ext_free() of a page it did not allocate
 *   "bus"                  p2pdma_ext_virt_to_bus() of such a page: "bus X"
 *   "has"                  p2pdma_ext_has_p2pmem(): "has 0|1"
 *   "find"                 p2pdma_ext_find() for the device itself:
 *                          "find BDF|none"
 *
 * The handles die with the binding (devres); remove() forgets the device.
 */
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/string.h>
#include <linux/uaccess.h>

P2PDMA_EXT_IMPORT_NS();

/* Protects the report, the bound device and the last API answer. */
static DEFINE_MUTEX(p2px_handle_lock);
static char p2px_handle_report[1024];
static struct pci_dev *p2px_handle_pdev;
static char p2px_handle_answer[64];
static struct dentry *p2px_handle_dir;

/* The kernel's own handle, where it has them. */
static void *p2px_handle_kernel(struct pci_dev *pdev, int bar)
{
#ifdef CONFIG_PCI_P2PDMA
	return pcim_p2pdma_provider(pdev, bar);
#else
	return NULL;
#endif
}

static int p2px_handle_probe(struct pci_dev *pdev,
			     const struct pci_device_id *id)
{
	struct p2pdma_ext_provider *prov[PCI_STD_NUM_BARS] = { };
	char *r = p2px_handle_report;
	size_t len = sizeof(p2px_handle_report);
	int bar, ret, again, stale = 0, n, same = 1, ksame = 1, mem = 0;

	mutex_lock(&p2px_handle_lock);
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (pci_resource_flags(pdev, bar) & IORESOURCE_MEM)
			stale += !!p2pdma_ext_provider_get(pdev, bar);
	n = scnprintf(r, len, "dev %s native %d\nstale %d\n", pci_name(pdev),
		      p2pdma_ext_is_native(), stale);
	ret = p2pdma_ext_provider_init(pdev);
	n += scnprintf(r + n, len - n, "init %d\n", ret);
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		prov[bar] = p2pdma_ext_provider_get(pdev, bar);
	again = p2pdma_ext_provider_init(pdev);
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (p2pdma_ext_provider_get(pdev, bar) != prov[bar])
			same = 0;
	n += scnprintf(r + n, len - n, "again %d same %d\n", again, same);

	n += scnprintf(r + n, len - n, "bar -1 %s\n",
		       p2pdma_ext_provider_get(pdev, -1) ? "handle" : "none");
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!prov[bar]) {
			n += scnprintf(r + n, len - n, "bar %d none\n", bar);
			continue;
		}
		mem++;
		if (p2px_handle_kernel(pdev, bar) != prov[bar])
			ksame = 0;
		n += scnprintf(r + n, len - n,
			       "bar %d owner %s bus_offset %#llx map %#llx\n",
			       bar, prov[bar]->owner == &pdev->dev ? "self" : "other",
			       prov[bar]->bus_offset,
			       (u64)p2pdma_ext_bus_addr_map(prov[bar],
							    pci_resource_start(pdev, bar)));
	}
	n += scnprintf(r + n, len - n, "bar %d %s\n", PCI_STD_NUM_BARS,
		       p2pdma_ext_provider_get(pdev, PCI_STD_NUM_BARS) ?
		       "handle" : "none");
	scnprintf(r + n, len - n, "kernel %s\n",
		  !IS_ENABLED(CONFIG_PCI_P2PDMA) ? "none" :
		  mem && ksame ? "same" : "different");
	if (!ret)
		p2px_handle_pdev = pdev;
	mutex_unlock(&p2px_handle_lock);
	return ret;
}

static void p2px_handle_remove(struct pci_dev *pdev)
{
	mutex_lock(&p2px_handle_lock);
	if (p2px_handle_pdev == pdev)
		p2px_handle_pdev = NULL;
	mutex_unlock(&p2px_handle_lock);
}

/* One API call on @pdev, which stays bound meanwhile (the lock is held). */
static int p2px_handle_call(struct pci_dev *pdev, const char *cmd)
{
	char *a = p2px_handle_answer;
	size_t len = sizeof(p2px_handle_answer);
	unsigned long long size, offset;
	struct scatterlist *sgl;
	struct pci_dev *found;
	unsigned int nents, val;
	void *page, *addr;
	int bar;

	if (sscanf(cmd, "add %d %llu %llu", &bar, &size, &offset) == 3)
		return p2pdma_ext_add_resource(pdev, bar, size, offset);
	if (sscanf(cmd, "publish %u", &val) == 1) {
		p2pdma_ext_publish(pdev, val);
		return 0;
	}
	if (sscanf(cmd, "alloc %llu", &size) == 1) {
		addr = p2pdma_ext_alloc(pdev, size);
		if (!addr)
			return -ENOMEM;
		p2pdma_ext_free(pdev, addr, size);
		return 0;
	}
	if (sscanf(cmd, "sgl %llu", &size) == 1) {
		if (size > U32_MAX)
			return -EINVAL;
		sgl = p2pdma_ext_alloc_sgl(pdev, &nents, size);
		if (!sgl)
			return -ENOMEM;
		p2pdma_ext_free_sgl(pdev, sgl);
		return 0;
	}
	if (!strcmp(cmd, "free") || !strcmp(cmd, "bus")) {
		page = (void *)__get_free_page(GFP_KERNEL);
		if (!page)
			return -ENOMEM;
		if (cmd[0] == 'f')
			p2pdma_ext_free(pdev, page, PAGE_SIZE);
		else
			scnprintf(a, len, "bus %llx",
				  (u64)p2pdma_ext_virt_to_bus(pdev, page));
		free_page((unsigned long)page);
		return 0;
	}
	if (!strcmp(cmd, "has")) {
		scnprintf(a, len, "has %d", p2pdma_ext_has_p2pmem(pdev));
		return 0;
	}
	if (!strcmp(cmd, "find")) {
		found = p2pdma_ext_find(&pdev->dev);
		scnprintf(a, len, "find %s", found ? pci_name(found) : "none");
		pci_dev_put(found);
		return 0;
	}
	return -EINVAL;
}

static ssize_t p2px_handle_api_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	char cmd[64];
	int ret;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = 0;
	strim(cmd);
	mutex_lock(&p2px_handle_lock);
	p2px_handle_answer[0] = 0;
	ret = p2px_handle_pdev ? p2px_handle_call(p2px_handle_pdev, cmd) :
				 -ENODEV;
	mutex_unlock(&p2px_handle_lock);
	return ret ? ret : count;
}

static ssize_t p2px_handle_api_read(struct file *file, char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&p2px_handle_lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, p2px_handle_answer,
				      strlen(p2px_handle_answer));
	mutex_unlock(&p2px_handle_lock);
	return ret;
}

static const struct file_operations p2px_handle_api_fops = {
	.owner = THIS_MODULE,
	.write = p2px_handle_api_write,
	.read = p2px_handle_api_read,
	.llseek = default_llseek,
};

static const struct pci_device_id p2px_handle_ids[] = {
	{ }	/* bound by driver_override only */
};

static struct pci_driver p2px_handle_driver = {
	.name = "p2px_handle",
	.id_table = p2px_handle_ids,
	.probe = p2px_handle_probe,
	.remove = p2px_handle_remove,
};

static ssize_t p2px_handle_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&p2px_handle_lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, p2px_handle_report,
				      strlen(p2px_handle_report));
	mutex_unlock(&p2px_handle_lock);
	return ret;
}

static const struct file_operations p2px_handle_fops = {
	.owner = THIS_MODULE,
	.read = p2px_handle_read,
	.llseek = default_llseek,
};

static int __init p2px_handle_init(void)
{
	int ret;

	p2px_handle_dir = debugfs_create_dir("p2px_handle", NULL);
	debugfs_create_file("report", 0400, p2px_handle_dir, NULL,
			    &p2px_handle_fops);
	debugfs_create_file("api", 0600, p2px_handle_dir, NULL,
			    &p2px_handle_api_fops);
	ret = pci_register_driver(&p2px_handle_driver);
	if (ret)
		debugfs_remove_recursive(p2px_handle_dir);
	return ret;
}

static void __exit p2px_handle_exit(void)
{
	pci_unregister_driver(&p2px_handle_driver);
	debugfs_remove_recursive(p2px_handle_dir);
}

module_init(p2px_handle_init);
module_exit(p2px_handle_exit);

MODULE_DESCRIPTION("p2pdma-ext test driver: provider handles");
MODULE_LICENSE("GPL");
