/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext topology decision core (upstream's PCI_P2PDMA rules and
 * distances on an abstract PCI hierarchy; no struct pci_dev, so it also
 * builds as plain C for the host unit tests). No allocation, no locking
 * (callers serialise), no recursion; walks are bounded by
 * P2PX_TOPO_MAX_DEPTH.
 */
#ifndef P2PX_TOPOLOGY_CORE_H
#define P2PX_TOPOLOGY_CORE_H

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kernel.h>
#include "uapi/linux/p2pdma_ext.h"	/* the reasons' numbers */

#define P2PX_TOPO_MAX_DEPTH	256	/* longest chain (device and bridges) */
#define P2PX_TOPO_MAX_ACS	8	/* ACS hits listed (more are counted) */
#define P2PX_TOPO_MAX_ENTRIES	32	/* entries of one allowlist parameter */

/* ACS Control register bits that redirect peer-to-peer TLPs upstream. */
#define P2PX_TOPO_ACS_RR	0x0004	/* P2P Request Redirect */
#define P2PX_TOPO_ACS_CR	0x0008	/* P2P Completion Redirect */
#define P2PX_TOPO_ACS_EC	0x0020	/* P2P Egress Control */
#define P2PX_TOPO_ACS_REDIR	(P2PX_TOPO_ACS_RR | P2PX_TOPO_ACS_CR | \
				 P2PX_TOPO_ACS_EC)

#define P2PX_TOPO_ALLOW_PARAM	"p2pdma_ext.host_bridge_allow"
#define P2PX_TOPO_ACS_CMDLINE	"pci=disable_acs_redir"

/* Device id: the layout of upstream's per-client cache index. */
#define P2PX_TOPO_ID(domain, bus, devfn)			\
	(((u64)(domain) << 16) | ((u64)((bus) & 0xff) << 8) |	\
	 (u64)((devfn) & 0xff))
#define P2PX_TOPO_ID_DOMAIN(id)	((u64)(id) >> 16)
#define P2PX_TOPO_ID_BUS(id)	((unsigned int)(((id) >> 8) & 0xff))
#define P2PX_TOPO_ID_DEVFN(id)	((unsigned int)((id) & 0xff))

/* Host bridge id: PCI domain and root bus number. */
#define P2PX_TOPO_HB_ID(domain, bus)	(((u64)(domain) << 8) | ((bus) & 0xff))

/**
 * struct p2px_topo_bridge - a host bridge
 * @id: P2PX_TOPO_HB_ID(); two bridges with the same id are the same bridge
 * @has_root: the bridge has a "root" device: the first device on its root
 *	bus, provided that device is devfn 00.0 or a PCIe Root Port
 * @root_vendor: vendor id of the root device (valid if @has_root)
 * @root_device: device id of the root device (valid if @has_root)
 */
struct p2px_topo_bridge {
	u64 id;
	bool has_root;
	u16 root_vendor;
	u16 root_device;
};

/**
 * struct p2px_topo_node - one PCI function
 * @up: the upstream bridge (what pci_upstream_bridge() returns), or NULL
 * @id: P2PX_TOPO_ID(); nodes with the same id are the same function
 * @vendor: vendor id
 * @device: device id
 * @acs_ctrl: ACS Control register (valid if @has_acs)
 * @has_acs: the function has an ACS capability
 * @host: the host bridge above this function; only read on the two
 *	endpoints given to p2px_topo_calc(), which must have one
 */
struct p2px_topo_node {
	const struct p2px_topo_node *up;
	u64 id;
	u16 vendor;
	u16 device;
	u16 acs_ctrl;
	bool has_acs;
	const struct p2px_topo_bridge *host;
};

/* The uapi's numbers, which are also enum p2pdma_ext_map_type's. */
enum p2px_topo_map {
	P2PX_TOPO_MAP_NOT_SUPPORTED = P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED,
	P2PX_TOPO_MAP_BUS_ADDR = P2PDMA_EXT_TOPO_MAP_BUS_ADDR,
	P2PX_TOPO_MAP_THRU_HOST_BRIDGE = P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE,
};

/*
 * The uapi's numbers: SAME_UPSTREAM_BRIDGE for BUS_ADDR; NO_COMMON_UPSTREAM
 * and ACS_REDIRECT as detours; CPU_ALLOWS to TRUSTED_BY_PARAM allow
 * THRU_HOST_BRIDGE; the rest say why NOT_SUPPORTED.
 */
enum p2px_topo_reason {
	P2PX_TOPO_REASON_NONE = P2PDMA_EXT_TOPO_REASON_NONE,
	P2PX_TOPO_REASON_SAME_UPSTREAM_BRIDGE = P2PDMA_EXT_TOPO_REASON_SAME_UPSTREAM_BRIDGE,
	P2PX_TOPO_REASON_NO_COMMON_UPSTREAM = P2PDMA_EXT_TOPO_REASON_NO_COMMON_UPSTREAM,
	P2PX_TOPO_REASON_ACS_REDIRECT = P2PDMA_EXT_TOPO_REASON_ACS_REDIRECT,
	P2PX_TOPO_REASON_CPU_ALLOWS = P2PDMA_EXT_TOPO_REASON_CPU_ALLOWS,
	P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED = P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_ALLOWED,
	P2PX_TOPO_REASON_TRUSTED_BY_PARAM = P2PDMA_EXT_TOPO_REASON_TRUSTED_BY_PARAM,
	P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED = P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED,
	P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY = P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_SAME_ONLY,
	P2PX_TOPO_REASON_NO_HOST_ROOT = P2PDMA_EXT_TOPO_REASON_NO_HOST_ROOT,
	P2PX_TOPO_REASON_BAD_INPUT = P2PDMA_EXT_TOPO_REASON_BAD_INPUT,
	P2PX_TOPO_REASON_TOO_DEEP = P2PDMA_EXT_TOPO_REASON_TOO_DEEP,
};

/* struct p2px_topo_entry flags, then where p2px_topo_allowlist_find() matched */
#define P2PX_TOPO_F_SAME_HB	0x0001	/* only if both peers share the bridge */
#define P2PX_TOPO_F_ANY_DEVICE	0x0002	/* entry matches every device id */
#define P2PX_TOPO_F_ENTRY_MASK	0x0003
#define P2PX_TOPO_F_BUILTIN	0x0100	/* matched the built-in table */
#define P2PX_TOPO_F_EXTRA	0x0200	/* matched an admin-added entry */
#define P2PX_TOPO_F_REMOVED	0x0400	/* built-in match disabled by admin */

/**
 * struct p2px_topo_entry - one host bridge allowlist entry
 * @vendor: root device vendor id
 * @device: root device id (ignored with P2PX_TOPO_F_ANY_DEVICE)
 * @flags: P2PX_TOPO_F_SAME_HB, P2PX_TOPO_F_ANY_DEVICE
 */
struct p2px_topo_entry {
	u16 vendor;
	u16 device;
	u32 flags;
};

/**
 * struct p2px_topo_policy - inputs of the host bridge decision
 * @extra: host bridge allowlist entries added by the admin; looked at
 *	before the built-in table, so they also override a built-in entry's
 *	flags
 * @nr_extra: number of @extra entries
 * @removed: ids for which the built-in table is not consulted
 * @nr_removed: number of @removed entries
 * @cpu_allows: the CPU routes P2P through its host bridges (AMD Zen)
 * @trust_all: the admin trusts every host bridge
 */
struct p2px_topo_policy {
	const struct p2px_topo_entry *extra;
	unsigned int nr_extra;
	const struct p2px_topo_entry *removed;
	unsigned int nr_removed;
	bool cpu_allows;
	bool trust_all;
};

/**
 * struct p2px_topo_acs_hit - a device whose ACS setting redirects P2P
 * @id: the device
 * @bits: the offending P2PX_TOPO_ACS_REDIR bits of its ACS Control
 */
struct p2px_topo_acs_hit {
	u64 id;
	u16 bits;
};

/**
 * struct p2px_topo_hb_info - one endpoint's host bridge, as judged
 * @br: the host bridge
 * @listed: the allowlist lookup matched and allows the root device
 * @flags: flags reported by p2px_topo_allowlist_find()
 */
struct p2px_topo_hb_info {
	struct p2px_topo_bridge br;
	bool listed;
	u32 flags;
};

/**
 * struct p2px_topo_result - the answer and why
 * @map: the mapping type
 * @reason: why @map (SAME_UPSTREAM_BRIDGE, CPU_ALLOWS, ...)
 * @detour: why the direct path was not used: NO_COMMON_UPSTREAM,
 *	ACS_REDIRECT, or NONE for a direct path
 * @hb_verdict: what the allowlist alone says about the host bridges:
 *	HOST_BRIDGE_ALLOWED, HOST_BRIDGE_NOT_ALLOWED, HOST_BRIDGE_SAME_ONLY
 *	or NO_HOST_ROOT (always computed, used only when @detour is set)
 * @distance: upstream's distance (-1 for a chain too long)
 * @provider_id: the provider
 * @client_id: the client
 * @has_common: the two have a common upstream device
 * @common_id: that device (valid if @has_common)
 * @acs_count: devices with ACS redirect on the path (may exceed
 *	P2PX_TOPO_MAX_ACS; only counted when @has_common)
 * @acs: the first P2PX_TOPO_MAX_ACS of them, provider side first
 * @same_host: provider and client are below the same host bridge
 * @hb: host bridge of the provider ([0]) and of the client ([1])
 */
struct p2px_topo_result {
	enum p2px_topo_map map;
	enum p2px_topo_reason reason;
	enum p2px_topo_reason detour;
	enum p2px_topo_reason hb_verdict;
	int distance;
	u64 provider_id;
	u64 client_id;
	bool has_common;
	u64 common_id;
	unsigned int acs_count;
	struct p2px_topo_acs_hit acs[P2PX_TOPO_MAX_ACS];
	bool same_host;
	struct p2px_topo_hb_info hb[2];
};

/**
 * struct p2px_topo_answer - what p2px_topo_answer() decides
 * @map: the mapping type (&struct p2px_topo_result.map)
 * @distance: the distance (&struct p2px_topo_result.distance)
 */
struct p2px_topo_answer {
	enum p2px_topo_map map;
	int distance;
};

const char *p2px_topo_map_str(enum p2px_topo_map map);
const char *p2px_topo_reason_str(enum p2px_topo_reason reason);

bool p2px_topo_allowlist_find(const struct p2px_topo_policy *al,
			      u16 vendor, u16 device, u32 *flags);
int p2px_topo_allowlist_parse(const char *s, struct p2px_topo_entry *out,
			      unsigned int max, unsigned int *n,
			      char *err, size_t errlen);
int p2px_topo_allowlist_format(const struct p2px_topo_entry *e,
			       unsigned int n, char *buf, size_t len);

int p2px_topo_calc(const struct p2px_topo_node *provider,
		   const struct p2px_topo_node *client,
		   const struct p2px_topo_policy *pol,
		   struct p2px_topo_result *res);
int p2px_topo_answer(const struct p2px_topo_node *provider,
		     const struct p2px_topo_node *client,
		     const struct p2px_topo_policy *pol,
		     struct p2px_topo_answer *ans);
int p2px_topo_sum(int total, const struct p2px_topo_answer *ans);
bool p2px_topo_same(const struct p2px_topo_result *a,
		    const struct p2px_topo_result *b);
int p2px_topo_explain(const struct p2px_topo_result *r, char *buf,
		      size_t len);

#endif /* P2PX_TOPOLOGY_CORE_H */
