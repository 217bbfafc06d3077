// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology walker: describes the PCI hierarchy above two devices
 * as the abstract chains that topology_core.c decides on, so that the same
 * decision code runs in the kernel and in the host unit tests.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pci.h>
#include <linux/slab.h>

#include "compat.h"
#include "internal.h"
#include "topology_core.h"

/* Deeper PCI hierarchies than this are refused rather than walked. */
#define P2PX_CHAIN_MAX	32

/* A device and every bridge above it, nearest first, plus its host bridge. */
struct p2px_chain {
	struct p2px_topo_bridge host;
	struct p2px_topo_node node[P2PX_CHAIN_MAX];
};

static void p2px_host_describe(struct pci_dev *pdev, struct p2px_topo_bridge *b)
{
	struct pci_host_bridge *host = p2px_find_host_bridge(pdev->bus);
	struct pci_dev *root;

	/* Lockless like upstream: the root bus' first device does not move. */
	root = list_first_entry_or_null(&host->bus->devices, struct pci_dev,
					bus_list);
	b->id = P2PX_TOPO_HB_ID(pci_domain_nr(host->bus), host->bus->number);
	b->has_root = root && (root->devfn == PCI_DEVFN(0, 0) ||
			       pci_pcie_type(root) == PCI_EXP_TYPE_ROOT_PORT);
	b->root_vendor = b->has_root ? root->vendor : 0;
	b->root_device = b->has_root ? root->device : 0;
}

static int p2px_chain_build(struct pci_dev *pdev, struct p2px_chain *c)
{
	struct pci_dev *d;
	unsigned int n = 0;

	p2px_host_describe(pdev, &c->host);
	for (d = pdev; d; d = pci_upstream_bridge(d)) {
		struct p2px_topo_node *node;

		if (n == P2PX_CHAIN_MAX)
			return -E2BIG;
		node = &c->node[n];
		memset(node, 0, sizeof(*node));
		node->id = P2PX_TOPO_ID(pci_domain_nr(d->bus), d->bus->number,
					d->devfn);
		node->vendor = d->vendor;
		node->device = d->device;
		node->host = &c->host;
		/* The kernel's ACS helpers are not exported: read the register. */
		if (d->acs_cap) {
			node->has_acs = true;
			pci_read_config_word(d, d->acs_cap + PCI_ACS_CTRL,
					     &node->acs_ctrl);
		}
		if (n)
			c->node[n - 1].up = node;
		n++;
	}
	return 0;
}

/**
 * p2px_calc_pair() - how @client can reach memory of @provider
 * @provider: device whose BAR is the P2P memory
 * @client: device that would DMA to it
 * @res: the answer and its reasons
 *
 * Context: process context (reads config space, allocates).
 * Return: 0 with @res filled in, or a negative errno.
 */
int p2px_calc_pair(struct pci_dev *provider, struct pci_dev *client,
		   struct p2px_topo_result *res)
{
	struct p2px_topo_policy pol;
	struct p2px_chain *c;
	int ret;

	c = kmalloc_array(2, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	ret = p2px_chain_build(provider, &c[0]);
	if (!ret)
		ret = p2px_chain_build(client, &c[1]);
	if (!ret) {
		rcu_read_lock();
		p2px_policy_fill(&pol);
		ret = p2px_topo_calc(&c[0].node[0], &c[1].node[0], &pol, res);
		rcu_read_unlock();
	}
	kfree(c);
	return ret;
}

/* The nearest PCI device at or above @dev, with a reference, or NULL. */
static struct pci_dev *p2px_pci_ancestor(struct device *dev)
{
	for (; dev; dev = dev->parent)
		if (dev_is_pci(dev))
			return pci_dev_get(to_pci_dev(dev));
	return NULL;
}

/**
 * p2px_distance_many() - total distance from @provider to all @clients
 * @provider: device whose BAR is the P2P memory
 * @clients: devices that would DMA to it (the nearest PCI ancestor counts)
 * @num_clients: number of entries in @clients
 * @verbose: log why each refused client cannot use @provider
 *
 * Context: process context.
 * Return: the sum of the distances, or -1 if any client cannot do P2P with
 * @provider (as upstream pci_p2pdma_distance_many()).
 */
int p2px_distance_many(struct pci_dev *provider, struct device **clients,
		       int num_clients, bool verbose)
{
	struct p2px_topo_result res;
	bool refused = false;
	int i, total = 0;

	if (num_clients <= 0)
		return -1;

	for (i = 0; i < num_clients; i++) {
		struct pci_dev *client = p2px_pci_ancestor(clients[i]);

		if (!client) {
			if (verbose)
				dev_warn(clients[i], "not a PCI device: cannot be used for peer-to-peer DMA\n");
			refused = true;
			continue;
		}
		if (p2px_calc_pair(provider, client, &res) ||
		    res.map == P2PX_TOPO_MAP_NOT_SUPPORTED) {
			refused = true;
			if (verbose) {
				char *why = kmalloc(512, GFP_KERNEL);

				if (why)
					p2px_topo_explain(&res, why, 512);
				pci_warn(client, "%s\n", why ? why : "no peer-to-peer DMA");
				kfree(why);
			}
		} else if (!refused) {
			total += res.distance;
		}
		pci_dev_put(client);
	}
	return refused ? -1 : total;
}
