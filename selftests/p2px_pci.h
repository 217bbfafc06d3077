/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI sysfs helpers shared by the selftests that bind the provider device
 * (the test bed's ivshmem) to the generic provider driver (registry,
 * p2pmem and dma-buf tests), and the devices' roles: which device is the
 * provider, the DMA engine, a client (Documentation/testing.rst, "Devices
 * and paths").
 */
#ifndef P2PX_PCI_H
#define P2PX_PCI_H

#include <dirent.h>

#include "p2px_test.h"

#define PROVIDER_DRV	"p2pdma_ext_provider"
#define PCI_DEVICES	"/sys/bus/pci/devices"

/* The first PCI device bound to driver @drv; its BDF goes to @bdf. */
static inline int p2px_bound_dev(const char *drv, char *bdf, size_t len)
{
	struct dirent *de;
	char path[300];
	int found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", drv);
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (de = readdir(d)))
		if (strchr(de->d_name, ':')) {
			snprintf(bdf, len, "%.40s", de->d_name);
			found = 1;
		}
	closedir(d);
	return found;
}

/*
 * Word @idx (from 0) of the BDF list in environment variable @var (words
 * separated by spaces or commas) into @bdf, if that device is present.
 */
static inline int p2px_env_bdf(const char *var, int idx, char *bdf,
			       size_t len)
{
	const char *v = p2px_env(var);
	char path[300];
	size_t n;

	while (v) {
		v += strspn(v, " ,");
		n = strcspn(v, " ,");
		if (!n)
			return 0;
		if (!idx--) {
			snprintf(bdf, len, "%.*s", (int)(n < 40 ? n : 40), v);
			snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
			return p2px_path_exists(path);
		}
		v += n;
	}
	return 0;
}

/*
 * The devices' roles. Each returns 1 with the BDF in @bdf when the device
 * is there, 0 otherwise:
 * - the provider: $P2PX_PROVIDER, else the first device bound to
 *   p2pdma_ext_provider;
 * - the second provider (the test bed's NVMe with a CMB): $P2PX_PROVIDER2;
 * - the DMA engine that p2px_edu drives (QEMU's edu, absent on real
 *   machines): $P2PX_DMA_ENGINE, else the first device bound to p2px_edu;
 * - client @idx, a peer for topology queries: word @idx of $P2PX_CLIENT.
 */
static inline int p2px_provider_dev(char *bdf, size_t len)
{
	if (p2px_env("P2PX_PROVIDER"))
		return p2px_env_bdf("P2PX_PROVIDER", 0, bdf, len);
	return p2px_bound_dev(PROVIDER_DRV, bdf, len);
}

static inline int p2px_provider2_dev(char *bdf, size_t len)
{
	return p2px_env_bdf("P2PX_PROVIDER2", 0, bdf, len);
}

static inline int p2px_dma_engine_dev(char *bdf, size_t len)
{
	if (p2px_env("P2PX_DMA_ENGINE"))
		return p2px_env_bdf("P2PX_DMA_ENGINE", 0, bdf, len);
	return p2px_bound_dev("p2px_edu", bdf, len);
}

static inline int p2px_client_dev(int idx, char *bdf, size_t len)
{
	return p2px_env_bdf("P2PX_CLIENT", idx, bdf, len);
}

/*
 * At program start, before the harness forks a test: a provider or DMA
 * engine found bound to its driver is put into the environment, so that
 * every test of the program keeps the device after one test's teardown
 * has unbound it.
 */
__attribute__((constructor)) static void p2px_discover_devices(void)
{
	char bdf[64];

	if (!p2px_env("P2PX_PROVIDER") && p2px_provider_dev(bdf, sizeof(bdf)))
		setenv("P2PX_PROVIDER", bdf, 1);
	if (!p2px_env("P2PX_DMA_ENGINE") &&
	    p2px_dma_engine_dev(bdf, sizeof(bdf)))
		setenv("P2PX_DMA_ENGINE", bdf, 1);
}

/* Bind @bdf to driver @drv through driver_override. */
static inline int bind_driver(const char *bdf, const char *drv)
{
	char path[300];
	int ret;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	ret = p2px_write_file(path, drv);
	if (!ret)
		ret = p2px_write_file("/sys/bus/pci/drivers_probe", bdf);
	return ret;
}

static inline int bind_provider(const char *bdf)
{
	return bind_driver(bdf, PROVIDER_DRV);
}

/* Name of the driver bound to @bdf in @drv ("" if none). */
static inline void bound_driver(const char *bdf, char *drv, size_t len)
{
	char path[300], link[300];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	drv[0] = 0;
	if (n > 0) {
		link[n] = 0;
		snprintf(drv, len, "%.60s", strrchr(link, '/') + 1);
	}
}

/* Line @bar of sysfs "resource": CPU start, end and flags; 0 or -1. */
static inline int pci_resource(const char *bdf, int bar,
			       unsigned long long *start,
			       unsigned long long *end,
			       unsigned long long *flags)
{
	char path[300], line[128];
	int i, ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return -1;
	for (i = 0; i <= bar && fgets(line, sizeof(line), f); i++)
		if (i == bar && sscanf(line, "%llx %llx %llx", start, end,
				       flags) == 3)
			ret = 0;
	fclose(f);
	return ret;
}

/* The PCI bus address in BAR register @bar of @bdf's config space. */
static inline unsigned long long bar_bus_address(const char *bdf, int bar)
{
	unsigned int lo = 0, hi = 0;
	char path[300];
	int fd, ok;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ~0ULL;
	ok = pread(fd, &lo, 4, 0x10 + 4 * bar) == 4;
	if (lo & 0x1) {			/* I/O BAR */
		close(fd);
		return ok ? lo & ~0x3ULL : ~0ULL;
	}
	if ((lo & 0x6) == 0x4)		/* 64-bit memory BAR */
		ok = ok && pread(fd, &hi, 4, 0x10 + 4 * bar + 4) == 4;
	close(fd);
	return ok ? ((unsigned long long)hi << 32) | (lo & ~0xfULL) : ~0ULL;
}

static inline int unbind_dev(const char *bdf)
{
	char path[300];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
	return p2px_write_file(path, bdf);
}

/* Unbind @bdf from whatever driver it has and clear driver_override. */
static inline int release_dev(const char *bdf)
{
	char path[300], drv[64];
	int ret = 0;

	bound_driver(bdf, drv, sizeof(drv));
	if (drv[0])
		ret = unbind_dev(bdf);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	if (!ret)
		ret = p2px_write_file(path, "\n");
	return ret;
}

static inline unsigned long long read_ull(const char *bdf, const char *file)
{
	char path[300], val[64];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, file);
	if (p2px_read_file(path, val, sizeof(val)))
		return ~0ULL;
	return strtoull(val, NULL, 0);
}

/* Wait up to a second for p2pmem/available of @bdf to read @want. */
static inline unsigned long long
p2pmem_wait_available(const char *bdf, unsigned long long want)
{
	unsigned long long avail = 0;
	int i;

	for (i = 0; i < 100; i++) {
		avail = read_ull(bdf, "p2pmem/available");
		if (avail == want)
			break;
		usleep(10000);
	}
	return avail;
}

/*
 * Get ready to bind test driver @name (p2px_driver_path()) to the
 * provider: p2pdma_ext loaded, p2px_edu unloaded (an orchestrator's
 * allocations would make the provider driver's unbind wait), @name
 * loaded. Returns 0 or the -errno of the step that failed (-ENOENT: no
 * such module file).
 */
static inline int load_test_driver(const char *name)
{
	char path[128];
	int ret;

	if (!p2px_module_loaded()) {
		ret = p2px_load(p2px_module_path(), NULL);
		if (ret)
			return ret;
	}
	if (p2px_path_exists("/sys/module/p2px_edu")) {
		ret = p2px_unload("p2px_edu");
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), "/sys/module/%s", name);
	if (p2px_path_exists(path))
		return 0;
	ret = p2px_load_driver(name, NULL);
	return ret == -EEXIST ? 0 : ret;
}

/* The name the test bed gave the ivshmem device (for the host check). */
static inline void ivshmem_name(char *name, size_t len)
{
	char line[256], kind[64], n[64];
	FILE *f = fopen("/etc/p2px/nodes", "r");

	snprintf(name, len, "shm0");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %63s", kind, n) == 2 &&
		    !strcmp(kind, "ivshmem"))
			snprintf(name, len, "%s", n);
	fclose(f);
}

#endif /* P2PX_PCI_H */
