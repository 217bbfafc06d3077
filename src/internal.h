/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext internal interfaces between the module's files.
 */
#ifndef P2PDMA_EXT_INTERNAL_H
#define P2PDMA_EXT_INTERNAL_H

#include <linux/types.h>

#include "topology_core.h"

#define P2PX_NAME	"p2pdma_ext"

/* allowlist.c: host-bridge allowlist module parameters */
struct p2px_topo_policy;
void p2px_policy_fill(struct p2px_topo_policy *pol);
unsigned int p2px_policy_generation(void);
void p2px_allowlist_exit(void);

/* topology.c: the walker over struct pci_dev */
struct device;
struct pci_dev;
struct p2px_topo_result;
struct p2px_topo_answer;
int p2px_calc_pair(struct pci_dev *provider, struct pci_dev *client,
		   struct p2px_topo_result *res);
int p2px_answer_pair(struct pci_dev *provider, struct pci_dev *client,
		     struct p2px_topo_answer *ans);
int p2px_distance_many(struct pci_dev *provider, struct device **clients,
		       int num_clients, bool verbose);

/* Devices per chain record; deeper chains are walked every time. */
#define P2PX_REC_NODES	16

/**
 * struct p2px_chain_rec - a device's upstream chain, as p2px_rec_build() saw it
 * @host: its host bridge
 * @top: the chain from the device on the root bus (@top[0]) down to the
 *	device itself (@top[@len - 1])
 * @acs: bit k set: @top[k] has an ACS capability
 * @len: entries in @top; 0: no record (the chain is too deep)
 */
struct p2px_chain_rec {
	struct p2px_topo_bridge host;
	struct pci_dev *top[P2PX_REC_NODES];
	u16 acs;
	u8 len;
};

/**
 * struct p2px_rec_path - the path between two records (p2px_rec_path())
 * @host: the host bridges of both ends (set if !@common or @nacs)
 * @acs: the devices on the path that have an ACS capability
 * @nacs: entries in @acs
 * @distance: the distance
 * @pacs: positions in the provider's record of the devices in @acs
 * @cacs: positions in the client's record of the devices in @acs
 * @common: the two have a common upstream device
 * @redirect: one of the devices on the path redirects P2P requests, as
 *	known already (p2px_rec_answer() then reads no ACS Control; the
 *	caller empties @acs)
 */
struct p2px_rec_path {
	struct p2px_topo_bridge host[2];
	struct pci_dev *acs[2 * P2PX_REC_NODES];
	int nacs;
	int distance;
	u16 pacs;
	u16 cacs;
	bool common;
	bool redirect;
};

void p2px_rec_build(struct pci_dev *pdev, struct p2px_chain_rec *r);
void p2px_rec_answer(const struct p2px_rec_path *path,
		     struct p2px_topo_answer *ans);
u16 p2px_rec_acs_redirects(const struct p2px_chain_rec *r);

/*
 * Declared in their own headers: chardev.h (chardev.c), provider.h
 * (provider.c), dmabuf.h (dmabuf.c, dmabuf_list.c, dmabuf_ioctl.c),
 * uarg.h (the ioctl argument rules, uarg.c).
 */

/* topocache.c: cached topology answers, invalidated by a PCI bus notifier */
#define P2PX_PAIR_CACHED	0x1	/* in: a current cache entry may answer */
#define P2PX_PAIR_FROM_CACHE	0x1	/* out: a current cache entry existed */
#define P2PX_PAIR_REFRESHED	0x2	/* out: ... and it was out of date */

/**
 * struct p2px_cache_stats - counters of the topology cache
 * @hits: cached lookups answered from the cache
 * @misses: cached lookups that had to compute
 * @fresh: lookups that recomputed on purpose (explanations)
 * @refreshed: recomputations that found the cache out of date
 * @invalidations: times the whole cache was invalidated
 * @entries: current answers in the cache
 * @detailed: entries holding a whole result (for the explaining queries)
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

u64 p2px_pci_id(struct pci_dev *pdev);
struct pci_dev *p2px_pci_get_by_id(u64 id);
int p2px_parse_bdf(const char *s, u64 *id, const char **end);
int p2px_pair_get(struct pci_dev *provider, struct pci_dev *client,
		  struct p2px_topo_result *res, unsigned int flags,
		  unsigned int *oflags);
struct p2px_dev;
/**
 * struct p2px_answer_query - cached answers for one provider, many clients
 * @provider: the provider
 * @dev: its entry in the cache, or NULL (no memory, or no cache index)
 * @row: its answers (@dev's row), or NULL
 * @epoch: the cache generation the query started in
 * @tgen: the topology generation it started in
 */
struct p2px_answer_query {
	struct pci_dev *provider;
	struct p2px_dev *dev;
	unsigned long **row;
	unsigned long epoch;
	unsigned int tgen;
};

void p2px_answer_begin(struct p2px_answer_query *q, struct pci_dev *provider);
int p2px_answer_get(struct p2px_answer_query *q, struct pci_dev *client,
		    struct p2px_topo_answer *ans);
void p2px_topo_invalidate(void);
unsigned int p2px_topo_stamp(void);
void p2px_topo_cache_stats(struct p2px_cache_stats *st);
int p2px_topo_cache_init(void);
void p2px_topo_cache_exit(void);

/* topo_debugfs.c: debugfs p2pdma_ext/{topology,pair,flush,stats,bench} */
void p2px_topo_debugfs_init(void);
void p2px_topo_debugfs_exit(void);

/* topo_ioctl.c: the topology ioctls of the control device */
long p2px_ioctl_topo_pairs(void __user *uarg);
long p2px_ioctl_topo_matrix(void __user *uarg);

#endif /* P2PDMA_EXT_INTERNAL_H */
