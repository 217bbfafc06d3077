// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology walker, the only way the kernel decides a pair: a
 * record (struct p2px_topo_node) per PCI function asked about and per
 * bridge above one, linked upwards, built once per topology generation;
 * topology_core.c decides on these chains (Documentation/design.rst,
 * "One way to an answer").
 *
 * Locking: p2px_rec_lock (a spinlock, taken with interrupts off: client
 * drivers map P2P memory in atomic context, and a stale cached answer is
 * decided again there) protects the record table and every record,
 * including the nodes the core reads while deciding. Nothing under it
 * sleeps: records are allocated with GFP_ATOMIC, config space is read
 * under the PCI core's own spinlock. Records are freed only by
 * p2px_walk_exit().
 */
#include <linux/hashtable.h>
#include <linux/spinlock.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "compat.h"
#include "topology.h"

/* One PCI function as the decision core sees it. */
struct p2px_rec {
	struct hlist_node hnode;	/* in p2px_recs, by node.id */
	struct pci_dev *pdev;		/* no reference: valid while gen is */
	unsigned int gen;		/* topology generation it was built in */
	bool acs_read;			/* node.acs_ctrl read in acs_stamp */
	unsigned int acs_stamp;
	int depth;			/* bridges above it */
	struct p2px_topo_node node;	/* node.up: the upstream bridge's */
	struct p2px_topo_bridge host;	/* node.host points here */
};

static DEFINE_HASHTABLE(p2px_recs, 9);
static DEFINE_SPINLOCK(p2px_rec_lock);
static atomic_t p2px_topo_gen = ATOMIC_INIT(0);

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

static struct p2px_rec *p2px_rec_up(struct p2px_rec *r)
{
	return r->node.up ? container_of(r->node.up, struct p2px_rec, node) :
			    NULL;
}

static struct p2px_rec *p2px_rec_get(u64 id)
{
	struct p2px_rec *r;

	hash_for_each_possible(p2px_recs, r, hnode, id)
		if (r->node.id == id)
			return r;
	r = kzalloc(sizeof(*r), GFP_ATOMIC);
	if (r) {
		r->node.id = id;
		hash_add(p2px_recs, &r->hnode, id);
	}
	return r;
}

/* The record of @pdev, the bridges' above it made current (bounded). */
static struct p2px_rec *p2px_rec_chain(struct pci_dev *pdev, unsigned int gen)
{
	struct p2px_rec *r, *first = NULL, *child = NULL;
	struct pci_dev *d;
	int n;

	for (d = pdev, n = 0; d && n <= P2PX_TOPO_MAX_DEPTH;
	     d = pci_upstream_bridge(d), n++) {
		r = p2px_rec_get(p2px_pci_id(d));
		if (!r) {
			/* What was rebuilt is not current without its top. */
			for (; first; first = p2px_rec_up(first))
				first->pdev = NULL;
			return NULL;
		}
		if (child)
			child->node.up = &r->node;
		else
			first = r;
		if (r->pdev == d && r->gen == gen)
			break;	/* so is everything above it */
		r->pdev = d;
		r->gen = gen;
		r->acs_read = false;
		r->node.up = NULL;
		r->node.vendor = d->vendor;
		r->node.device = d->device;
		r->node.has_acs = d->acs_cap != 0;
		r->node.host = &r->host;
		p2px_host_describe(d, &r->host);
		child = r;
	}
	/* Depths, once per rebuild: count the whole chain, then number it. */
	for (n = 0, r = child ? first : NULL; r; r = p2px_rec_up(r))
		n++;
	for (r = child ? first : NULL; r; r = p2px_rec_up(r))
		r->depth = --n;
	return first;
}

/* Read ACS Control of @r unless current; Return: its redirect bits. */
static u16 p2px_rec_acs(struct p2px_rec *r, unsigned int stamp, bool fresh)
{
	if (!r->node.has_acs)
		return 0;
	if (fresh || !r->acs_read || r->acs_stamp != stamp) {
		pci_read_config_word(r->pdev, r->pdev->acs_cap + PCI_ACS_CTRL,
				     &r->node.acs_ctrl);
		r->acs_read = !fresh;
		r->acs_stamp = stamp;
	}
	return r->node.acs_ctrl & P2PX_TOPO_ACS_REDIR;
}

/*
 * Config reads are the costly part of a walk: read ACS Control only on the
 * path between the two devices, all the decision looks at (unless @fresh,
 * only where it was not read in @stamp). Records are shared, so the common
 * device is the first record both chains reach. Return: whether the path
 * is direct (the core then reads no policy).
 */
static bool p2px_rec_read_acs(struct p2px_rec *p, struct p2px_rec *c,
			      unsigned int stamp, bool fresh)
{
	struct p2px_rec *a = p, *b = c;
	u16 redir = 0;

	while (a && b && a != b) {
		if (a->depth >= b->depth)
			a = p2px_rec_up(a);
		else
			b = p2px_rec_up(b);
	}
	if (!a || a != b)
		return false;	/* through the host bridge in any case */
	for (; p != a; p = p2px_rec_up(p))
		redir |= p2px_rec_acs(p, stamp, fresh);
	redir |= p2px_rec_acs(a, stamp, fresh);
	for (; c != a; c = p2px_rec_up(c))
		redir |= p2px_rec_acs(c, stamp, fresh);
	return !redir;
}

/**
 * p2px_walk() - decide a pair with the core
 * @provider: device whose BAR is the P2P memory
 * @client: device that would DMA to it
 * @stamp: without @res, the cache stamp the answer is for
 *	(p2px_topo_stamp()): ACS Control read in it is not read again
 * @res: if not NULL, receives the whole result (p2px_topo_calc()), from
 *	ACS Control read now
 * @ans: else receives the answer (p2px_topo_answer())
 *
 * Context: any context: does not sleep (see the locking rule above).
 * Return: 0 with @res or @ans filled in, or a negative errno (-ENOMEM
 * when a record for a device not seen before cannot be allocated).
 */
int p2px_walk(struct pci_dev *provider, struct pci_dev *client,
	      unsigned int stamp, struct p2px_topo_result *res,
	      struct p2px_topo_answer *ans)
{
	unsigned int gen = (unsigned int)atomic_read(&p2px_topo_gen);
	struct p2px_topo_policy pol;
	struct p2px_rec *end[2];
	unsigned long flags;
	bool direct;
	int ret = -ENOMEM;

	spin_lock_irqsave(&p2px_rec_lock, flags);
	end[0] = p2px_rec_chain(provider, gen);
	end[1] = end[0] ? p2px_rec_chain(client, gen) : NULL;
	if (!end[1])
		goto out;
	direct = p2px_rec_read_acs(end[0], end[1], stamp, !!res);
	if (direct && !res) {
		/* p2px_topo_answer() reads no policy for a direct path. */
		ret = p2px_topo_answer(&end[0]->node, &end[1]->node, NULL, ans);
		goto out;
	}
	rcu_read_lock();
	p2px_policy_fill(&pol);
	if (res)
		ret = p2px_topo_calc(&end[0]->node, &end[1]->node, &pol, res);
	else
		ret = p2px_topo_answer(&end[0]->node, &end[1]->node, &pol, ans);
	rcu_read_unlock();
out:
	spin_unlock_irqrestore(&p2px_rec_lock, flags);
	return ret;
}

/**
 * p2px_walk_topology_changed() - PCI functions came or went: rebuild records
 */
void p2px_walk_topology_changed(void)
{
	atomic_inc(&p2px_topo_gen);
}

/**
 * p2px_walk_exit() - free the records at module unload
 */
void p2px_walk_exit(void)
{
	struct hlist_node *tmp;
	struct p2px_rec *r;
	int bkt;

	hash_for_each_safe(p2px_recs, bkt, tmp, r, hnode) {
		hash_del(&r->hnode);
		kfree(r);
	}
}

