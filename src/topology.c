// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology walker: the only way the kernel decides a pair. It
 * describes the PCI hierarchy above two devices as the chains of struct
 * p2px_topo_node that topology_core.c decides on, so the same decision
 * code answers in the kernel and in the host unit tests. Calls the core,
 * the allowlist's policy and the PCI core; nothing above it.
 */
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "compat.h"
#include "topology.h"

/* Nodes per chain kept on the stack; deeper chains are allocated. */
#define P2PX_WALK_STACK	8

/*
 * The chains of one provider/client pair, nearest device first: @node[i]
 * describes @dev[i]. They live in @stack_node and @stack_dev or, for
 * hierarchies deeper than P2PX_WALK_STACK, in @heap.
 */
struct p2px_walk {
	struct p2px_topo_bridge host[2];
	struct p2px_topo_node *node[2];
	struct pci_dev **dev[2];
	int len[2];
	struct p2px_topo_node stack_node[2][P2PX_WALK_STACK];
	struct pci_dev *stack_dev[2][P2PX_WALK_STACK];
	void *heap;
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

/*
 * Describe @pdev and every bridge above it in @node and @dev (room for
 * @max). Return: the length of the whole chain, which may exceed @max;
 * counting stops past P2PX_TOPO_MAX_DEPTH, where the core refuses.
 */
static int p2px_chain_build(struct pci_dev *pdev, struct p2px_topo_node *node,
			    struct pci_dev **dev, int max)
{
	struct pci_dev *d;
	int n;

	for (d = pdev, n = 0; d && n <= P2PX_TOPO_MAX_DEPTH;
	     d = pci_upstream_bridge(d), n++) {
		if (n >= max)
			continue;
		node[n].up = NULL;
		if (n)
			node[n - 1].up = &node[n];
		node[n].id = P2PX_TOPO_ID(pci_domain_nr(d->bus),
					  d->bus->number, d->devfn);
		node[n].vendor = d->vendor;
		node[n].device = d->device;
		node[n].acs_ctrl = 0;
		/* ACS Control is read later, where the decision needs it. */
		node[n].has_acs = d->acs_cap != 0;
		node[n].host = NULL;
		dev[n] = d;
	}
	return n;
}

/* Both chains, on the stack or, if one is deeper, allocated. */
static int p2px_walk_chains(struct p2px_walk *w, struct pci_dev *provider,
			    struct pci_dev *client)
{
	struct pci_dev *ends[2] = { provider, client };
	int i, max;

	w->heap = NULL;
	for (i = 0; i < 2; i++) {
		w->node[i] = w->stack_node[i];
		w->dev[i] = w->stack_dev[i];
		w->len[i] = p2px_chain_build(ends[i], w->node[i], w->dev[i],
					     P2PX_WALK_STACK);
	}
	max = max(w->len[0], w->len[1]);
	if (max <= P2PX_WALK_STACK)
		return 0;
	/* Just the room needed: with init_on_alloc the kernel clears it. */
	w->heap = kmalloc_array(2 * max, sizeof(**w->node) + sizeof(**w->dev),
				GFP_KERNEL);
	if (!w->heap)
		return -ENOMEM;
	w->node[0] = w->heap;
	w->node[1] = w->node[0] + max;
	w->dev[0] = (struct pci_dev **)(w->node[1] + max);
	w->dev[1] = w->dev[0] + max;
	for (i = 0; i < 2; i++)
		p2px_chain_build(ends[i], w->node[i], w->dev[i], max);
	return 0;
}

/*
 * Config space reads are the costly part of a walk: like upstream, read
 * ACS Control only on the path between the two devices, which is all the
 * decision looks at. Return: whether any of it redirects P2P.
 */
static bool p2px_walk_read_acs(struct p2px_walk *w)
{
	int steps[2], i, k;
	u16 redir = 0;

	if (!p2px_topo_meeting_point(w->node[0], w->len[0], w->node[1],
				     w->len[1], &steps[0], &steps[1]))
		return true;	/* through the host bridge in any case */
	steps[0]++;		/* the provider's side includes the meeting point */
	for (i = 0; i < 2; i++) {
		for (k = 0; k < steps[i]; k++) {
			struct p2px_topo_node *n = &w->node[i][k];

			if (!n->has_acs)
				continue;
			pci_read_config_word(w->dev[i][k],
					     w->dev[i][k]->acs_cap + PCI_ACS_CTRL,
					     &n->acs_ctrl);
			redir |= n->acs_ctrl & P2PX_TOPO_ACS_REDIR;
		}
	}
	return redir;
}

/* Walk, and describe the host bridges if @hosts or the path needs them. */
static int p2px_walk(struct p2px_walk *w, struct pci_dev *provider,
		     struct pci_dev *client, bool hosts)
{
	int ret = p2px_walk_chains(w, provider, client), i;

	if (ret)
		return ret;
	if (w->len[0] > P2PX_TOPO_MAX_DEPTH || w->len[1] > P2PX_TOPO_MAX_DEPTH)
		return 0;	/* the core says "too deep" */
	if (!p2px_walk_read_acs(w) && !hosts)
		return 0;
	for (i = 0; i < 2; i++) {
		p2px_host_describe(w->dev[i][0], &w->host[i]);
		w->node[i][0].host = &w->host[i];
	}
	return 0;
}

/**
 * p2px_walk_calc() - how @client can reach memory of @provider, and why
 * @provider: device whose BAR is the P2P memory
 * @client: device that would DMA to it
 * @res: the answer and its reasons (p2px_topo_calc())
 *
 * Context: process context (reads config space, may allocate).
 * Return: 0 with @res filled in, or a negative errno.
 */
int p2px_walk_calc(struct pci_dev *provider, struct pci_dev *client,
		   struct p2px_topo_result *res)
{
	/* Not cleared on entry (init_stack_all_zero): every field read is set. */
	struct p2px_walk w __uninitialized;
	struct p2px_topo_policy pol;
	int ret;

	ret = p2px_walk(&w, provider, client, true);
	if (ret)
		return ret;
	rcu_read_lock();
	p2px_policy_fill(&pol);
	ret = p2px_topo_calc(w.node[0], w.node[1], &pol, res);
	rcu_read_unlock();
	kfree(w.heap);
	return ret;
}

/**
 * p2px_walk_answer() - map type and distance of a pair, without the why
 * @provider: device whose BAR is the P2P memory
 * @client: device that would DMA to it
 * @ans: the answer: what p2px_walk_calc() says in @map and @distance
 *
 * Looks at the host bridges and the allowlist only when the path goes
 * through the host bridge (p2px_topo_answer()).
 *
 * Context: process context (reads config space, may allocate).
 * Return: 0 with @ans filled in, or a negative errno.
 */
int p2px_walk_answer(struct pci_dev *provider, struct pci_dev *client,
		     struct p2px_topo_answer *ans)
{
	struct p2px_walk w __uninitialized;
	struct p2px_topo_policy pol;
	int ret;

	ret = p2px_walk(&w, provider, client, false);
	if (ret)
		return ret;
	rcu_read_lock();
	p2px_policy_fill(&pol);
	ret = p2px_topo_answer(w.node[0], w.node[1], &pol, ans);
	rcu_read_unlock();
	kfree(w.heap);
	return ret;
}
