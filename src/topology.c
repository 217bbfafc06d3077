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

/* Nodes per chain kept on the stack; deeper chains are allocated. */
#define P2PX_WALK_NODES	8

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

/*
 * The two chains of one provider/client pair. Their nodes live in @node
 * and @dev, or, for hierarchies deeper than P2PX_WALK_NODES, in @heap.
 */
struct p2px_walk {
	struct p2px_chain c[2];
	struct p2px_topo_node node[2][P2PX_WALK_NODES];
	struct pci_dev *dev[2][P2PX_WALK_NODES];
	void *heap;
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

/* The nodes of @pdev's chain; the host bridge is left to p2px_walk_hosts(). */
static int p2px_chain_build(struct pci_dev *pdev, struct p2px_chain *c)
{
	struct p2px_topo_node *node, *prev = NULL;
	struct pci_dev *d;
	int n = 0;

	for (d = pdev; d; d = pci_upstream_bridge(d)) {
		if (n == c->max)
			return -E2BIG;
		node = &c->node[n];
		node->up = NULL;
		node->id = P2PX_TOPO_ID(pci_domain_nr(d->bus), d->bus->number,
					d->devfn);
		node->vendor = d->vendor;
		node->device = d->device;
		node->acs_ctrl = 0;
		/* Read later, and only where the decision needs it. */
		node->has_acs = d->acs_cap != 0;
		node->host = NULL;
		c->dev[n] = d;
		if (prev)
			prev->up = node;
		prev = node;
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

/* Point the chains of @w at @node and @dev arrays of @max entries each. */
static void p2px_walk_room(struct p2px_walk *w, struct p2px_topo_node *node,
			   struct pci_dev **dev, int max)
{
	int i;

	for (i = 0; i < 2; i++) {
		w->c[i].node = node + i * max;
		w->c[i].dev = dev + i * max;
		w->c[i].max = max;
	}
}

/*
 * Describe the chains of @provider and @client in @w and read the ACS
 * registers on the path between them. Release with p2px_walk_done().
 */
static int p2px_walk_begin(struct p2px_walk *w, struct pci_dev *provider,
			   struct pci_dev *client)
{
	const size_t per_node = sizeof(struct p2px_topo_node) +
				sizeof(struct pci_dev *);
	int ret, max;

	w->heap = NULL;
	p2px_walk_room(w, &w->node[0][0], &w->dev[0][0], P2PX_WALK_NODES);
	ret = p2px_chain_build(provider, &w->c[0]);
	if (!ret)
		ret = p2px_chain_build(client, &w->c[1]);
	if (ret == -E2BIG) {
		max = max(p2px_chain_depth(provider), p2px_chain_depth(client));
		if (max > P2PX_CHAIN_MAX)
			return -E2BIG;
		/*
		 * Just the room needed: with init_on_alloc the kernel clears
		 * all of it, which costs more than the walk itself.
		 */
		w->heap = kmalloc_array(2 * max, per_node, GFP_KERNEL);
		if (!w->heap)
			return -ENOMEM;
		p2px_walk_room(w, w->heap,
			       (struct pci_dev **)((struct p2px_topo_node *)
						   w->heap + 2 * max), max);
		ret = p2px_chain_build(provider, &w->c[0]);
		if (!ret)
			ret = p2px_chain_build(client, &w->c[1]);
	}
	if (ret) {
		kfree(w->heap);
		return ret;
	}
	p2px_chains_read_acs(&w->c[0], &w->c[1]);
	return 0;
}

/* The host bridges of both ends, for a decision that needs them. */
static void p2px_walk_hosts(struct p2px_walk *w)
{
	int i;

	for (i = 0; i < 2; i++) {
		p2px_host_describe(w->c[i].dev[0], &w->c[i].host);
		w->c[i].node[0].host = &w->c[i].host;
	}
}

static void p2px_walk_done(struct p2px_walk *w)
{
	kfree(w->heap);
}

/**
 * p2px_calc_pair() - how @client can reach memory of @provider, and why
 * @provider: device whose BAR is the P2P memory
 * @client: device that would DMA to it
 * @res: the answer and its reasons
 *
 * Context: process context (reads config space, may allocate).
 * Return: 0 with @res filled in, or a negative errno.
 */
int p2px_calc_pair(struct pci_dev *provider, struct pci_dev *client,
		   struct p2px_topo_result *res)
{
	/* Not cleared on entry (init_stack_all_zero): every field read is set. */
	struct p2px_walk w __uninitialized;
	struct p2px_topo_policy pol;
	int ret;

	ret = p2px_walk_begin(&w, provider, client);
	if (ret)
		return ret;
	p2px_walk_hosts(&w);
	rcu_read_lock();
	p2px_policy_fill(&pol);
	ret = p2px_topo_calc(&w.c[0].node[0], &w.c[1].node[0], &pol, res);
	rcu_read_unlock();
	p2px_walk_done(&w);
	return ret;
}

/* @pdev's chain as pointers, nearest first; its length or -E2BIG. */
static int p2px_chain_fill(struct pci_dev *pdev, struct pci_dev **chain)
{
	int n = 0;

	for (; pdev; pdev = pci_upstream_bridge(pdev)) {
		if (n == P2PX_CHAIN_MAX)
			return -E2BIG;
		chain[n++] = pdev;
	}
	return n;
}

static bool p2px_acs_redirects(struct pci_dev *pdev)
{
	u16 ctrl;

	if (!pdev->acs_cap)
		return false;
	pci_read_config_word(pdev, pdev->acs_cap + PCI_ACS_CTRL, &ctrl);
	return ctrl & P2PX_TOPO_ACS_REDIR;
}

/*
 * p2px_topo_direct() on struct pci_dev itself, without describing the
 * chains as nodes: the answer kernel users ask for most costs one walk of
 * pointers, as upstream's does. The rules are the decision core's (the
 * p2px_parity test module compares the two on every kernel): the first
 * provider-side device that is also on the client's way up is the common
 * one; ACS counts on the provider's side up to it, on the client's side
 * below it. Return: 1 for a direct path, 0 for one through the host
 * bridge (*@distance set either way), -E2BIG for a chain that is too deep.
 */
static int p2px_direct(struct pci_dev *provider, struct pci_dev *client,
		       int *distance)
{
	/* Not cleared on entry (init_stack_all_zero): only filled slots are read. */
	struct pci_dev *chain[2][P2PX_CHAIN_MAX] __uninitialized;
	int plen, clen, i, j;

	plen = p2px_chain_fill(provider, chain[0]);
	clen = p2px_chain_fill(client, chain[1]);
	if (plen < 0 || clen < 0)
		return -E2BIG;
	for (i = 0; i < plen; i++)
		for (j = 0; j < clen; j++)
			if (chain[0][i] == chain[1][j])
				goto meet;
	*distance = plen + clen;
	return 0;
meet:
	*distance = i + j;
	for (; i >= 0; i--)
		if (p2px_acs_redirects(chain[0][i]))
			return 0;
	while (j--)
		if (p2px_acs_redirects(chain[1][j]))
			return 0;
	return 1;
}

/**
 * p2px_rec_build() - describe @pdev's upstream chain as a record
 * @pdev: the device
 * @r: filled in; @r->len is 0 if the chain is deeper than P2PX_REC_NODES
 *
 * Only what changes with the hierarchy itself (the devices, which of them
 * have an ACS capability, the host bridge): a record stays true until a
 * device is added or removed. ACS Control is not in it.
 *
 * Context: any; does not sleep.
 */
void p2px_rec_build(struct pci_dev *pdev, struct p2px_chain_rec *r)
{
	int n = p2px_chain_depth(pdev), i = n;
	struct pci_dev *d;

	r->len = 0;
	r->acs = 0;
	if (n > P2PX_REC_NODES)
		return;
	for (d = pdev; d && i; d = pci_upstream_bridge(d)) {
		r->top[--i] = d;
		if (d->acs_cap)
			r->acs |= BIT(i);
	}
	p2px_host_describe(pdev, &r->host);
	r->len = n;
}

/**
 * p2px_rec_acs_redirects() - which devices of a record redirect P2P now
 * @r: the record; its devices must still be there
 *
 * Reads ACS Control of every device in @r that has the capability.
 *
 * Context: process context (reads config space).
 * Return: bit k set: @r->top[k] has P2P Request or Completion Redirect or
 * Egress Control set.
 */
u16 p2px_rec_acs_redirects(const struct p2px_chain_rec *r)
{
	u16 redir = 0;
	int i;

	for (i = 0; i < r->len; i++)
		if ((r->acs & BIT(i)) && p2px_acs_redirects(r->top[i]))
			redir |= BIT(i);
	return redir;
}

/**
 * p2px_rec_answer() - map type and distance of a path from p2px_rec_path()
 * @path: the path; its devices must still be there (the caller holds
 *	references to both ends, which hold their upstream bridges)
 * @ans: the answer, what p2px_answer_pair() says
 *
 * Reads ACS Control of every device in @path->acs, as a walk does, unless
 * @path->redirect already says one of them redirects.
 *
 * Context: process context (reads config space).
 */
void p2px_rec_answer(const struct p2px_rec_path *path,
		     struct p2px_topo_answer *ans)
{
	struct p2px_topo_policy pol;
	int i;

	ans->distance = path->distance;
	if (path->common) {
		if (path->redirect)
			goto host;
		for (i = 0; i < path->nacs; i++)
			if (p2px_acs_redirects(path->acs[i]))
				goto host;
		ans->map = P2PX_TOPO_MAP_BUS_ADDR;
		return;
	}
host:
	rcu_read_lock();
	p2px_policy_fill(&pol);
	ans->map = p2px_topo_host_map(&path->host[0], &path->host[1], &pol);
	rcu_read_unlock();
}

/**
 * p2px_answer_pair() - map type and distance of a pair, without the why
 * @provider: device whose BAR is the P2P memory
 * @client: device that would DMA to it
 * @ans: the answer: what p2px_calc_pair() would say in @map and @distance
 *
 * Looks at the host bridges and the allowlist only when the path goes
 * through the host bridge.
 *
 * Context: process context (reads config space).
 * Return: 0 with @ans filled in, or a negative errno.
 */
int p2px_answer_pair(struct pci_dev *provider, struct pci_dev *client,
		     struct p2px_topo_answer *ans)
{
	struct p2px_topo_bridge host[2];
	struct p2px_topo_policy pol;
	int ret;

	ret = p2px_direct(provider, client, &ans->distance);
	if (ret < 0)
		return ret;
	if (ret) {
		ans->map = P2PX_TOPO_MAP_BUS_ADDR;
		return 0;
	}
	p2px_host_describe(provider, &host[0]);
	p2px_host_describe(client, &host[1]);
	rcu_read_lock();
	p2px_policy_fill(&pol);
	ans->map = p2px_topo_host_map(&host[0], &host[1], &pol);
	rcu_read_unlock();
	return 0;
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

/* The nearest PCI device above @dev, with a reference, or NULL. */
static struct pci_dev *p2px_pci_ancestor(struct device *dev)
{
	for (; dev; dev = dev->parent)
		if (dev_is_pci(dev))
			return pci_dev_get(to_pci_dev(dev));
	return NULL;
}

/*
 * The cached answer for one client of p2px_distance_many(). A PCI client
 * is the caller's own pointer, valid for the call: no reference needed.
 */
static int p2px_client_answer(struct p2px_answer_query *q, struct device *dev,
			      struct p2px_topo_answer *ans)
{
	struct pci_dev *client;
	int ret;

	if (dev && dev_is_pci(dev))
		return p2px_answer_get(q, to_pci_dev(dev), ans);
	client = p2px_pci_ancestor(dev);
	if (!client)
		return -ENODEV;
	ret = p2px_answer_get(q, client, ans);
	pci_dev_put(client);
	return ret;
}

/*
 * The answer for one client of a verbose p2px_distance_many(): recomputed
 * from the hardware, and if it is no, logged with the reason why.
 */
static int p2px_client_verbose(struct pci_dev *provider, struct device *dev,
			       struct p2px_topo_answer *ans)
{
	struct pci_dev *client = p2px_pci_ancestor(dev);
	struct p2px_topo_result *res;
	char *why = NULL;
	int ret = -ENOMEM;

	if (!client) {
		if (dev)
			dev_warn(dev, "not a PCI device: cannot be used for peer-to-peer DMA\n");
		return -ENODEV;
	}
	res = kmalloc(sizeof(*res), GFP_KERNEL);
	if (res)
		ret = p2px_pair_get(provider, client, res, 0, NULL);
	if (!ret) {
		ans->map = res->map;
		ans->distance = res->distance;
		if (res->map != P2PX_TOPO_MAP_NOT_SUPPORTED)
			goto out;
		why = kmalloc(P2PX_WHY_MAX, GFP_KERNEL);
		if (why)
			p2px_topo_explain(res, why, P2PX_WHY_MAX);
	}
	pci_warn(client, "%s\n", why ? why : "no peer-to-peer DMA");
out:
	kfree(why);
	kfree(res);
	pci_dev_put(client);
	return ret;
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
	struct p2px_answer_query q;
	struct p2px_topo_answer ans;
	bool refused = false;
	int i, total = 0;

	if (!provider || !clients || num_clients <= 0)
		return -1;
	if (!verbose)
		p2px_answer_begin(&q, provider);

	for (i = 0; i < num_clients; i++) {
		if (verbose) {
			if (p2px_client_verbose(provider, clients[i], &ans) ||
			    ans.map == P2PX_TOPO_MAP_NOT_SUPPORTED)
				refused = true;
		} else if (p2px_client_answer(&q, clients[i], &ans) ||
			   ans.map == P2PX_TOPO_MAP_NOT_SUPPORTED) {
			return -1;
		}
		if (!refused)
			total += ans.distance;
	}
	return refused ? -1 : total;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_distance_many);

/**
 * p2px_distance_many() - p2pdma_ext_distance_many(), for the module itself
 * @provider: device whose BAR is the P2P memory
 * @clients: devices that would DMA to it (the nearest PCI ancestor counts)
 * @num_clients: number of entries in @clients
 * @verbose: log why each refused client cannot use @provider (recomputed)
 *
 * Context: process context.
 * Return: as p2pdma_ext_distance_many().
 */
int p2px_distance_many(struct pci_dev *provider, struct device **clients,
		       int num_clients, bool verbose)
{
	return p2pdma_ext_distance_many(provider, clients, num_clients,
					verbose);
}

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
	struct p2px_answer_query q;
	struct p2px_topo_answer ans;

	if (!provider)
		return P2PDMA_EXT_MAP_NOT_SUPPORTED;
	p2px_answer_begin(&q, provider);
	if (p2px_client_answer(&q, client, &ans))
		return P2PDMA_EXT_MAP_NOT_SUPPORTED;
	return p2px_map_type(ans.map);
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
