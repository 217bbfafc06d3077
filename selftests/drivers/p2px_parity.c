// SPDX-License-Identifier: GPL-2.0
/*
 * p2px_parity: test-only module comparing p2pdma_ext's topology walker
 * with the kernel's own PCI P2PDMA code.
 *
 * At load time, for every provider (a PCI function with a memory BAR) and
 * every client (any other PCI function that is not a bridge), it calls
 * p2pdma_ext_distance_many() and the kernel's pci_p2pdma_distance_many()
 * on that one client, and then on all the clients at once, and counts the
 * differences. On every kernel it also compares p2pdma_ext's two ways to
 * an answer for each pair: the one kernel users get (distance_many() and
 * map_type(), decided without an explanation, right after a cache flush)
 * and the explained one (verbose distance_many() and explain()). The
 * report is /sys/kernel/debug/p2px_parity/report:
 *
 *   native 0|1        the kernel has CONFIG_PCI_P2PDMA (otherwise its
 *                     pci_p2pdma_distance_many() is a stub; nothing compared)
 *   pairs N           comparisons with the kernel made
 *   mismatches N      comparisons that differed
 *   walks N           pairs whose quick and explained answers were compared
 *   walk_mismatches N pairs where they differed
 *   then one line per difference (at most P2PX_PARITY_MAX_LINES).
 *
 * The verbose calls log why each refused pair is refused.
 *
 * Locking: the report is written once in init before the debugfs file is
 * created and only read afterwards.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#define P2PX_PARITY_MAX_DEVS	256
#define P2PX_PARITY_MAX_LINES	32
#define P2PX_PARITY_LINE	96

static struct dentry *p2px_parity_dir;
static bool p2px_parity_native;
static unsigned int p2px_parity_pairs;
static unsigned int p2px_parity_mismatches;
static unsigned int p2px_parity_walks;
static unsigned int p2px_parity_walk_mismatches;
static unsigned int p2px_parity_nlines;
static char p2px_parity_lines[P2PX_PARITY_MAX_LINES][P2PX_PARITY_LINE];

static bool p2px_parity_has_mem_bar(struct pci_dev *pdev)
{
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (pci_resource_len(pdev, bar) &&
		    (pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
			return true;
	return false;
}

static void p2px_parity_note(struct pci_dev *provider, struct pci_dev *client,
			     int ours, int theirs)
{
	unsigned int i = p2px_parity_nlines;

	p2px_parity_mismatches++;
	if (i >= P2PX_PARITY_MAX_LINES)
		return;
	p2px_parity_nlines++;
	snprintf(p2px_parity_lines[i], P2PX_PARITY_LINE,
		 "%s -> %s: p2pdma_ext %d, kernel %d", pci_name(provider),
		 client ? pci_name(client) : "(all clients)", ours, theirs);
}

/* The map type an explanation states ("PROVIDER -> CLIENT: <map>, ..."). */
static int p2px_parity_text_map(const char *why)
{
	const char *p = strstr(why, ": ");

	if (!p)
		return -1;
	p += 2;
	if (!strncmp(p, "direct by PCI bus address", 25))
		return P2PDMA_EXT_MAP_BUS_ADDR;
	if (!strncmp(p, "through the host bridge", 23))
		return P2PDMA_EXT_MAP_THRU_HOST_BRIDGE;
	return P2PDMA_EXT_MAP_NOT_SUPPORTED;
}

/*
 * The quick answer (cache flushed first, so that it is computed) against
 * the explained one, which is always recomputed.
 */
static void p2px_parity_walk(struct pci_dev *provider, struct device *client,
			     char *why)
{
	int quick, full, qmap, fmap;

	p2pdma_ext_topology_flush();
	quick = p2pdma_ext_distance_many(provider, &client, 1, false);
	p2pdma_ext_topology_flush();
	qmap = p2pdma_ext_map_type(provider, client);
	full = p2pdma_ext_distance_many(provider, &client, 1, true);
	fmap = p2pdma_ext_explain(provider, client, why,
				  P2PDMA_EXT_EXPLAIN_MAX) < 0 ?
	       -1 : p2px_parity_text_map(why);
	p2px_parity_walks++;
	if (quick == full && qmap == fmap)
		return;
	p2px_parity_walk_mismatches++;
	if (p2px_parity_nlines >= P2PX_PARITY_MAX_LINES)
		return;
	snprintf(p2px_parity_lines[p2px_parity_nlines++], P2PX_PARITY_LINE,
		 "%s -> %s: quick %d map %d, explained %d map %d",
		 pci_name(provider), dev_name(client), quick, qmap, full, fmap);
}

static void p2px_parity_compare(struct pci_dev *provider,
				struct pci_dev **devs, unsigned int n,
				struct device **clients, char *why)
{
	unsigned int i, nc = 0;
	int ours, theirs;

	for (i = 0; i < n; i++) {
		struct device *client;

		if (devs[i] == provider || pci_is_bridge(devs[i]))
			continue;
		client = &devs[i]->dev;
		p2px_parity_walk(provider, client, why);
		if (!p2px_parity_native)
			continue;
		clients[nc++] = client;
		ours = p2pdma_ext_distance_many(provider, &client, 1, false);
		theirs = pci_p2pdma_distance_many(provider, &client, 1, false);
		p2px_parity_pairs++;
		if (ours != theirs)
			p2px_parity_note(provider, devs[i], ours, theirs);
	}
	if (!p2px_parity_native || nc < 2)
		return;
	ours = p2pdma_ext_distance_many(provider, clients, nc, false);
	theirs = pci_p2pdma_distance_many(provider, clients, nc, false);
	p2px_parity_pairs++;
	if (ours != theirs)
		p2px_parity_note(provider, NULL, ours, theirs);
}

static int p2px_parity_run(void)
{
	struct pci_dev **devs, *pdev = NULL;
	struct device **clients;
	unsigned int n = 0, i;
	char *why;

	devs = kcalloc(P2PX_PARITY_MAX_DEVS, sizeof(*devs), GFP_KERNEL);
	clients = kcalloc(P2PX_PARITY_MAX_DEVS, sizeof(*clients), GFP_KERNEL);
	why = kmalloc(P2PDMA_EXT_EXPLAIN_MAX, GFP_KERNEL);
	if (!devs || !clients || !why) {
		kfree(why);
		kfree(devs);
		kfree(clients);
		return -ENOMEM;
	}
	for_each_pci_dev(pdev)
		if (n < P2PX_PARITY_MAX_DEVS)
			devs[n++] = pci_dev_get(pdev);

	for (i = 0; i < n; i++)
		if (p2px_parity_has_mem_bar(devs[i]))
			p2px_parity_compare(devs[i], devs, n, clients, why);

	while (n)
		pci_dev_put(devs[--n]);
	kfree(why);
	kfree(clients);
	kfree(devs);
	return 0;
}

static int p2px_parity_show(struct seq_file *m, void *v)
{
	unsigned int i;

	seq_printf(m, "native %d\npairs %u\nmismatches %u\nwalks %u\nwalk_mismatches %u\n",
		   p2px_parity_native, p2px_parity_pairs,
		   p2px_parity_mismatches, p2px_parity_walks,
		   p2px_parity_walk_mismatches);
	for (i = 0; i < p2px_parity_nlines; i++)
		seq_printf(m, "%s\n", p2px_parity_lines[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(p2px_parity);

static int __init p2px_parity_init(void)
{
	int ret;

	p2px_parity_native = p2pdma_ext_is_native();
	ret = p2px_parity_run();
	if (ret)
		return ret;
	p2px_parity_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("report", 0400, p2px_parity_dir, NULL,
			    &p2px_parity_fops);
	return 0;
}

static void __exit p2px_parity_exit(void)
{
	debugfs_remove_recursive(p2px_parity_dir);
}

module_init(p2px_parity_init);
module_exit(p2px_parity_exit);

MODULE_DESCRIPTION("p2pdma-ext test: topology parity with the kernel's P2PDMA");
MODULE_LICENSE("GPL");
P2PDMA_EXT_IMPORT_NS();
