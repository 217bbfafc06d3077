// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology walker: describes the PCI hierarchy above two devices
 * as the abstract chains that topology_core.c decides on, so that the same
 * decision code runs in the kernel and in the host unit tests.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "compat.h"
#include "internal.h"
#include "topology_core.h"

/* Longest explanation p2px_topo_explain() writes (host test explain_fits). */
#define P2PX_WHY_MAX	1024

/* Deeper PCI hierarchies than this are refused rather than walked. */
#define P2PX_CHAIN_MAX	32

/*
 * A device and every bridge above it, nearest first, plus its host bridge;
 * @dev[i] is the device of @node[i], @len the number of nodes, @max the
 * room in @node and @dev.
 */
struct p2px_chain {
	struct p2px_topo_bridge host;
	struct p2px_topo_node *node;
	struct pci_dev **dev;
	int len;
	int max;
};

/* Nodes in the chain of @pdev: itself and every bridge above it. */
static int p2px_chain_depth(struct pci_dev *pdev)
{
	int n = 0;

	for (; pdev && n <= P2PX_CHAIN_MAX; pdev = pci_upstream_bridge(pdev))
		n++;
	return n;
}

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
	int n = 0;

	p2px_host_describe(pdev, &c->host);
	for (d = pdev; d; d = pci_upstream_bridge(d)) {
		struct p2px_topo_node *node;

		if (n == c->max)
			return -E2BIG;
		node = &c->node[n];
		memset(node, 0, sizeof(*node));
		node->id = P2PX_TOPO_ID(pci_domain_nr(d->bus), d->bus->number,
					d->devfn);
		node->vendor = d->vendor;
		node->device = d->device;
		node->host = &c->host;
		/* Read later, and only where the decision needs it. */
		node->has_acs = d->acs_cap != 0;
		c->dev[n] = d;
		if (n)
			c->node[n - 1].up = node;
		n++;
	}
	c->len = n;
	return 0;
}

/*
 * Read ACS Control of the first @n nodes of @c that have the capability.
 * The kernel's ACS helpers are not exported: read the register.
 */
static void p2px_chain_read_acs(struct p2px_chain *c, int n)
{
	int i;

	for (i = 0; i < n && i < c->len; i++)
		if (c->node[i].has_acs)
			pci_read_config_word(c->dev[i],
					     c->dev[i]->acs_cap + PCI_ACS_CTRL,
					     &c->node[i].acs_ctrl);
}

/*
 * Config space reads are the costly part of a walk: like upstream, read
 * ACS only on the path between the two devices, which is all the decision
 * looks at (nothing when they only meet at the host bridge).
 */
static void p2px_chains_read_acs(struct p2px_chain *p, struct p2px_chain *c)
{
	int ps, cs;

	if (!p2px_topo_meeting_point(&p->node[0], p->len, &c->node[0], c->len,
				     &ps, &cs))
		return;
	p2px_chain_read_acs(p, ps + 1);
	p2px_chain_read_acs(c, cs);
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
	const size_t per_node = sizeof(struct p2px_topo_node) +
				sizeof(struct pci_dev *);
	int plen = p2px_chain_depth(provider), clen = p2px_chain_depth(client);
	struct p2px_topo_node *nodes;
	struct p2px_topo_policy pol;
	struct p2px_chain *c;
	int ret;

	if (plen > P2PX_CHAIN_MAX || clen > P2PX_CHAIN_MAX)
		return -E2BIG;
	/*
	 * One allocation of just the room needed: with init_on_alloc the
	 * kernel clears all of it, which costs more than the walk itself.
	 */
	c = kmalloc(2 * sizeof(*c) + (plen + clen) * per_node, GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	nodes = (struct p2px_topo_node *)(c + 2);
	c[0].node = nodes;
	c[0].max = plen;
	c[1].node = nodes + plen;
	c[1].max = clen;
	c[0].dev = (struct pci_dev **)(nodes + plen + clen);
	c[1].dev = c[0].dev + plen;
	ret = p2px_chain_build(provider, &c[0]);
	if (!ret)
		ret = p2px_chain_build(client, &c[1]);
	if (!ret) {
		p2px_chains_read_acs(&c[0], &c[1]);
		rcu_read_lock();
		p2px_policy_fill(&pol);
		ret = p2px_topo_calc(&c[0].node[0], &c[1].node[0], &pol, res);
		rcu_read_unlock();
	}
	kfree(c);
	return ret;
}

/* The public map type of a decision core answer. */
static enum p2pdma_ext_map_type p2px_map_type(enum p2px_topo_map map)
{
	switch (map) {
	case P2PX_TOPO_MAP_BUS_ADDR:
		return P2PDMA_EXT_MAP_BUS_ADDR;
	case P2PX_TOPO_MAP_THRU_HOST_BRIDGE:
		return P2PDMA_EXT_MAP_THRU_HOST_BRIDGE;
	default:
		return P2PDMA_EXT_MAP_NOT_SUPPORTED;
	}
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
 * @verbose: log why each refused client cannot use @provider; the answers
 *	are then recomputed rather than taken from the cache
 *
 * Context: process context.
 * Return: the sum of the distances, or -1 if any client cannot do P2P with
 * @provider (as upstream pci_p2pdma_distance_many()).
 */
int p2px_distance_many(struct pci_dev *provider, struct device **clients,
		       int num_clients, bool verbose)
{
	unsigned int flags = verbose ? 0 : P2PX_PAIR_CACHED;
	struct p2px_topo_result res;
	bool refused = false;
	int i, total = 0;

	if (!provider || !clients || num_clients <= 0)
		return -1;

	for (i = 0; i < num_clients; i++) {
		struct pci_dev *client = p2px_pci_ancestor(clients[i]);

		if (!client) {
			if (verbose && clients[i])
				dev_warn(clients[i], "not a PCI device: cannot be used for peer-to-peer DMA\n");
			refused = true;
			if (!verbose)
				break;
			continue;
		}
		if (p2px_pair_get(provider, client, &res, flags, NULL) ||
		    res.map == P2PX_TOPO_MAP_NOT_SUPPORTED) {
			refused = true;
			if (verbose) {
				char *why = kmalloc(P2PX_WHY_MAX, GFP_KERNEL);

				if (why)
					p2px_topo_explain(&res, why, P2PX_WHY_MAX);
				pci_warn(client, "%s\n", why ? why : "no peer-to-peer DMA");
				kfree(why);
			}
		} else if (!refused) {
			total += res.distance;
		}
		pci_dev_put(client);
		if (refused && !verbose)
			break;
	}
	return refused ? -1 : total;
}

/**
 * p2pdma_ext_distance_many() - how far clients are from a provider
 * @provider: PCI device whose memory (BAR) would be used
 * @clients: devices that would DMA to it; a non-PCI device counts through
 *	its nearest PCI ancestor
 * @num_clients: number of entries in @clients
 * @verbose: log, for every client that cannot use @provider, why not (and
 *	recompute rather than trust the cache)
 *
 * Context: process context; may sleep.
 * Return: the sum of the distances, or -1 if @num_clients is not positive
 * or any client cannot do peer-to-peer DMA with @provider.
 */
int p2pdma_ext_distance_many(struct pci_dev *provider, struct device **clients,
			     int num_clients, bool verbose)
{
	return p2px_distance_many(provider, clients, num_clients, verbose);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_distance_many);

/**
 * p2pdma_ext_map_type() - how @client would reach @provider's memory
 * @provider: PCI device whose memory would be used
 * @client: device that would DMA to it (its nearest PCI ancestor counts)
 *
 * Context: process context; may sleep.
 * Return: P2PDMA_EXT_MAP_BUS_ADDR, P2PDMA_EXT_MAP_THRU_HOST_BRIDGE or
 * P2PDMA_EXT_MAP_NOT_SUPPORTED (also for a client without a PCI ancestor).
 */
enum p2pdma_ext_map_type p2pdma_ext_map_type(struct pci_dev *provider,
					     struct device *client)
{
	struct p2px_topo_result res;
	struct pci_dev *pclient;
	int ret;

	if (!provider)
		return P2PDMA_EXT_MAP_NOT_SUPPORTED;
	pclient = p2px_pci_ancestor(client);
	if (!pclient)
		return P2PDMA_EXT_MAP_NOT_SUPPORTED;
	ret = p2px_pair_get(provider, pclient, &res, P2PX_PAIR_CACHED, NULL);
	pci_dev_put(pclient);
	if (ret)
		return P2PDMA_EXT_MAP_NOT_SUPPORTED;
	return p2px_map_type(res.map);
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_map_type);

/**
 * p2pdma_ext_explain() - why @client can or cannot reach @provider
 * @provider: PCI device whose memory would be used
 * @client: device that would DMA to it (its nearest PCI ancestor counts)
 * @buf: one line of text, NUL-terminated when @len is not zero
 * @len: size of @buf; 1024 bytes hold every explanation
 *
 * Recomputes the answer from the hardware (re-reading the ACS registers on
 * the path) and refreshes the cache if the cached answer was different.
 *
 * Context: process context; may sleep.
 * Return: the length of the full text (like snprintf()), or -ENODEV if
 * @client has no PCI ancestor, -EINVAL for a NULL argument, -ENOMEM.
 */
int p2pdma_ext_explain(struct pci_dev *provider, struct device *client,
		       char *buf, size_t len)
{
	struct p2px_topo_result *res;
	struct pci_dev *pclient;
	int ret;

	if (!provider || !client || (!buf && len))
		return -EINVAL;
	pclient = p2px_pci_ancestor(client);
	if (!pclient)
		return -ENODEV;
	res = kmalloc(sizeof(*res), GFP_KERNEL);
	if (!res) {
		pci_dev_put(pclient);
		return -ENOMEM;
	}
	ret = p2px_pair_get(provider, pclient, res, 0, NULL);
	if (ret != -ENOMEM)
		ret = p2px_topo_explain(res, buf, len);
	kfree(res);
	pci_dev_put(pclient);
	return ret;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_explain);
