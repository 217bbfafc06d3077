/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the loaded module reports, from which the selftests choose their
 * expectations (never from the kernel's version or the name of the test
 * bed's topology): its back end and the kernel features its compile
 * probes found (P2PDMA_EXT_IOC_INFO), and the path between the ivshmem
 * (provider) and edu (client) (P2PDMA_EXT_IOC_TOPO_PAIRS). A path through
 * a host bridge that the allowlist refuses is opened by allowing the root
 * device the module names for that host bridge, and closed again by
 * clearing the allowlist.
 *
 * FIXTURE_VARIANTs are named by the path they need ("direct",
 * "host_bridge"); their setup skips, saying what the module reported,
 * when the pair's path is another. Facts of the fabric the module does
 * not report (an IOMMU translating edu's DMA, the ivshmem alone below a
 * hot-pluggable root port) come from sysfs.
 */
#ifndef P2PX_TOPO_H
#define P2PX_TOPO_H

#include <limits.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "uapi/linux/p2pdma_ext.h"

#include "p2px_pci.h"

#define P2PX_ALLOWLIST	P2PX_SYSFS_MODULE "/parameters/host_bridge_allow"

enum p2px_path {
	P2PX_PATH_NONE,		/* no peer-to-peer for another reason */
	P2PX_PATH_DIRECT,	/* by bus address below a common bridge */
	/* through the host bridge: allowed, or refused until its root is */
	P2PX_PATH_HOST_BRIDGE,
};

struct p2px_pair {
	char prov[64], client[64];	/* ivshmem and edu BDFs */
	struct p2pdma_ext_topo_pair r;	/* the module's answer */
	char text[1024];		/* ... and its explanation */
	char roots[40];			/* "vvvv:dddd[,vvvv:dddd]" named in it */
	enum p2px_path path;
	int allowed;			/* p2px_pair_open() set the allowlist */
};

/* P2PDMA_EXT_IOC_INFO of the loaded module into @info; 0 or -errno. */
static inline int p2px_module_info(struct p2pdma_ext_info *info)
{
	int fd, ret;

	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, P2PDMA_EXT_IOC_INFO, info) ? -errno : 0;
	close(fd);
	return ret;
}

/* P2PDMA_EXT_BACKEND_* of the loaded module; 0 if it does not answer. */
static inline unsigned int p2px_backend(void)
{
	struct p2pdma_ext_info info;

	return p2px_module_info(&info) ? 0 : info.backend;
}

/*
 * Which of @names the running kernel itself defines (/proc/kallsyms as
 * root, module symbols left out): found[i] for names[i]. 0 or -errno.
 */
static inline int p2px_kernel_symbols(const char *const *names, int *found,
				      int n)
{
	char line[512], sym[256], mod[64];
	FILE *f = fopen("/proc/kallsyms", "r");
	int i;

	if (!f)
		return -errno;
	for (i = 0; i < n; i++)
		found[i] = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %255s %63s", sym, mod) != 1)
			continue;
		for (i = 0; i < n; i++)
			if (!strcmp(sym, names[i]))
				found[i] = 1;
	}
	fclose(f);
	return 0;
}

static inline const char *p2px_path_name(enum p2px_path path)
{
	return path == P2PX_PATH_DIRECT ? "direct" :
	       path == P2PX_PATH_HOST_BRIDGE ? "host_bridge" : "none";
}

static inline __u64 p2px_topo_devid(const char *bdf)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return ~0ULL;
	return P2PDMA_EXT_DEVID(dom, bus, (dev << 3) | fn);
}

/* The host bridge root devices the explanation names, comma-separated. */
static inline void p2px_pair_roots(struct p2px_pair *p)
{
	const char *s = p->text;
	unsigned int vendor, device;
	char id[16];

	p->roots[0] = 0;
	while ((s = strstr(s, "(root "))) {
		s += strlen("(root ");
		if (sscanf(s, "%4x:%4x", &vendor, &device) != 2)
			continue;
		snprintf(id, sizeof(id), "%04x:%04x", vendor, device);
		if (strstr(p->roots, id))
			continue;
		if (strlen(p->roots) + strlen(id) + 2 > sizeof(p->roots))
			break;
		if (p->roots[0])
			strcat(p->roots, ",");
		strcat(p->roots, id);
	}
}

/* Ask the module (loaded) about the pair again; 0 or -errno. */
static inline int p2px_pair_query(struct p2px_pair *p)
{
	struct p2pdma_ext_topo_pairs q = {
		.argsz = sizeof(q),
		.provider = p2px_topo_devid(p->prov),
		.num_clients = 1,
		.pair_size = sizeof(p->r),
		.pairs = (uintptr_t)&p->r,
		.text_size = sizeof(p->text),
		.text = (uintptr_t)p->text,
	};
	int fd, ret;

	memset(&p->r, 0, sizeof(p->r));
	p->r.client = p2px_topo_devid(p->client);
	p->text[0] = 0;
	fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, P2PDMA_EXT_IOC_TOPO_PAIRS, &q) ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	p2px_pair_roots(p);
	if (p->r.map_type == P2PDMA_EXT_TOPO_MAP_BUS_ADDR)
		p->path = P2PX_PATH_DIRECT;
	else if (p->r.map_type == P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE ||
		 (p->r.reason == P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED &&
		  p->roots[0]))
		p->path = P2PX_PATH_HOST_BRIDGE;
	else
		p->path = P2PX_PATH_NONE;
	return 0;
}

/*
 * Find the provider and the DMA engine (p2px_pci.h: the test bed's
 * ivshmem and edu) and ask the module (loaded) about them: 0,
 * -ENODEV when one is missing, or the query's -errno.
 */
static inline int p2px_pair_get(struct p2px_pair *p)
{
	memset(p, 0, sizeof(*p));
	if (!p2px_provider_dev(p->prov, sizeof(p->prov)) ||
	    !p2px_dma_engine_dev(p->client, sizeof(p->client)))
		return -ENODEV;
	return p2px_pair_query(p);
}

/* The path is not @want: why, for a SKIP (a static buffer); else NULL. */
static inline const char *p2px_pair_not(const struct p2px_pair *p,
					enum p2px_path want)
{
	static char why[900];

	if (p->path == want)
		return NULL;
	snprintf(why, sizeof(why),
		 "needs a %s path from %s to %s; the module reports map type %u, reason %u: %.700s",
		 p2px_path_name(want), p->client, p->prov, p->r.map_type,
		 p->r.reason, p->text);
	return why;
}

/*
 * Make the pair's path usable: a host bridge path the allowlist refuses
 * is allowed by the root device(s) the module named. 0 if the module
 * now reports a peer-to-peer path, else -EOPNOTSUPP (or -errno).
 */
static inline int p2px_pair_open(struct p2px_pair *p)
{
	int ret = p2px_pair_query(p);

	if (ret)
		return ret;
	if (p->path == P2PX_PATH_HOST_BRIDGE &&
	    p->r.map_type == P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED) {
		ret = p2px_write_file(P2PX_ALLOWLIST, p->roots);
		if (ret)
			return ret;
		p->allowed = 1;
		ret = p2px_pair_query(p);
		if (ret)
			return ret;
	}
	return p->r.map_type == P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED ?
	       -EOPNOTSUPP : 0;
}

/* Undo p2px_pair_open(): the allowlist cleared if it set it; 0 or -errno. */
static inline int p2px_pair_close(struct p2px_pair *p)
{
	if (!p->allowed)
		return 0;
	p->allowed = 0;
	/* A write of no bytes would not reach the parameter: "\n" clears. */
	return p2px_write_file(P2PX_ALLOWLIST, "\n");
}

/* Is @bdf's DMA translated by an IOMMU (not identity-mapped)? */
static inline int p2px_dma_translated(const char *bdf)
{
	char path[300], type[32];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group/type", bdf);
	if (!p2px_read_file(path, type, sizeof(type)))
		return !strncmp(type, "DMA", 3);
	/* No "type" (before 5.11): an IOMMU there translates by default. */
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu", bdf);
	return p2px_path_exists(path);
}

/*
 * Can edu's DMA move bytes through the mapping the module hands out for
 * the pair, in QEMU? Not for a BUS_ADDR pair whose client an IOMMU
 * translates: the module hands out the PCI bus address there, as upstream
 * (a real switch routes it to the peer before any IOMMU sees it), but
 * QEMU sends every DMA through its IOMMU model, where that address is not
 * mapped and faults. Such tests assert the address instead.
 */
static inline int p2px_pair_dma_moves(const struct p2px_pair *p)
{
	return p->r.map_type != P2PDMA_EXT_TOPO_MAP_BUS_ADDR ||
	       !p2px_dma_translated(p->client);
}

/* The message of a test that asserts the address where no DMA can move. */
#define P2PX_QEMU_BUS_ADDR_NOTE \
	"BUS_ADDR behind a translating IOMMU: the bus address is asserted; QEMU's IOMMU model cannot route it to the peer, so no DMA"

/*
 * Is @bdf the only device below a root port (so that the host can
 * hot-unplug it alone)? From sysfs: its parent bridge sits on a root bus
 * and has no other function below it.
 */
static inline int p2px_alone_below_root_port(const char *bdf)
{
	char path[300], real[PATH_MAX], *slash;
	unsigned int d, b, s, f;
	struct dirent *de;
	int others = 0, n;
	DIR *dir;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	if (!realpath(path, real))
		return 0;
	slash = strrchr(real, '/');
	if (!slash)
		return 0;
	*slash = 0;				/* real: the parent bridge */
	dir = opendir(real);
	if (!dir)
		return 0;
	/* PCI functions only, not port services ("0000:00:02.0:pcie002"). */
	while ((de = readdir(dir)))
		if (sscanf(de->d_name, "%x:%x:%x.%x%n", &d, &b, &s, &f, &n) == 4 &&
		    !de->d_name[n] && strcmp(de->d_name, bdf))
			others++;
	closedir(dir);
	slash = strrchr(real, '/');
	/* The bridge's own parent is the root bus ("pciDDDD:BB"). */
	if (!slash || slash == real || others)
		return 0;
	*slash = 0;
	slash = strrchr(real, '/');
	return slash && !strncmp(slash + 1, "pci", 3);
}

#endif /* P2PX_TOPO_H */
