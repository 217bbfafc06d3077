/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext topology, the kernel side of the decision core: its one-way
 * layers are in Documentation/design.rst, "Layers".
 */
#ifndef P2PX_TOPOLOGY_H
#define P2PX_TOPOLOGY_H

#include <linux/pci.h>
#include <linux/types.h>
#include <uapi/linux/p2pdma_ext.h>

#include "pci_lookup.h"
#include "topology_core.h"

struct dentry;

/* allowlist.c: host-bridge allowlist module parameters */
void p2px_policy_fill(struct p2px_topo_policy *pol);
unsigned int p2px_policy_generation(void);
void p2px_allowlist_exit(void);

/* topology.c: the walker */
int p2px_walk(struct pci_dev *provider, struct pci_dev *client,
	      unsigned int stamp, struct p2px_topo_result *res,
	      struct p2px_topo_answer *ans);
void p2px_walk_topology_changed(void);
void p2px_walk_exit(void);

/* topocache.c: cached answers */
/**
 * struct p2px_cache_stats - counters of the topology cache
 * @hits: cached lookups answered from the cache
 * @misses: cached lookups that had to compute
 * @fresh: lookups that recomputed on purpose (explanations)
 * @refreshed: recomputations that found the cache out of date
 * @invalidations: times the cache generation moved on its own account
 * @entries: current answers in the cache
 * @detailed: whole results kept (for the explaining queries)
 * @cache_gen: cache generation
 * @policy_gen: allowlist policy generation
 */
struct p2px_cache_stats {
	u64 hits;
	u64 misses;
	u64 fresh;
	u64 refreshed;
	u64 invalidations;
	unsigned int entries;
	unsigned int detailed;
	unsigned int cache_gen;
	unsigned int policy_gen;
};

int p2px_cache_answer(struct pci_dev *provider, struct pci_dev *client,
		      struct p2px_topo_answer *ans);
int p2px_cache_pair(struct pci_dev *provider, struct pci_dev *client,
		    struct p2px_topo_result *res, unsigned int flags,
		    unsigned int *oflags);
void p2px_cache_invalidate(void);
unsigned int p2px_topo_stamp(void);
void p2px_cache_stats(struct p2px_cache_stats *st);
int p2px_cache_init(void);
void p2px_cache_exit(void);

/* topo_api.c: the kernel's own answer, for the explanation (7.2) */
int p2px_explain_kernel(struct pci_dev *provider, struct pci_dev *client,
			const struct p2px_topo_result *res, char *buf,
			size_t len, int n);

/* topo_ioctl.c: the topology ioctls of the control device */
int p2px_topo_cells(struct pci_dev **devs, unsigned int n, unsigned int flags,
		    struct p2pdma_ext_topo_cell *cells);
long p2px_ioctl_topo_pairs(void __user *uarg);
long p2px_ioctl_topo_matrix(void __user *uarg);

/* topo_debugfs.c: topology, pair, flush, stats in debugfs */
void p2px_topo_debugfs_init(struct dentry *dir);

#endif /* P2PX_TOPOLOGY_H */
