/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the selftests that export dma-bufs of the provider's
 * BAR (the test bed's ivshmem) through /dev/p2pdma_ext and import them
 * with p2px_edu (debugfs p2px_edu/dmabuf): the provider binding, export
 * and revoke
 * ioctls, p2px_edu commands, and the importer test and revoke checks that
 * dmabuf_test and vfio_dmabuf_test (ours side by side with vfio-pci's)
 * run on every exporter. Include after kselftest_harness.h.
 */
#ifndef P2PX_DMABUF_H
#define P2PX_DMABUF_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "uapi/linux/p2pdma_ext.h"

#include "p2px_pci.h"

#define EDU_DRV		"p2px_edu"
#define EDU_DEBUGFS	"/sys/kernel/debug/p2px_edu"
#define EDU_DMABUF	EDU_DEBUGFS "/dmabuf"
#define EDU_REGISTRY	EDU_DEBUGFS "/registry"
#define P2PX_PARAMS	P2PX_SYSFS_MODULE "/parameters"
#define ALLOW_PARAM	P2PX_PARAMS "/host_bridge_allow"
/* The importer test: two ranges (pages); edu DMAs into the second one. */
#define IMPORT_R0_LEN		4096ULL
#define IMPORT_R1_LEN		(2 * IMPORT_R0_LEN)
/* The host checks bytes at IMPORT_DMA_OFF; other DMAs go to offset 0. */
#define IMPORT_DMA_OFF		(IMPORT_R0_LEN + 256)	/* in the second range */
#define IMPORT_DMA_LEN		2048

/* The device id (P2PDMA_EXT_DEVID()) of PCI function @bdf. */
static inline __u64 p2px_devid(const char *bdf)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return ~0ULL;
	return P2PDMA_EXT_DEVID(dom, bus, (dev << 3) | fn);
}

/* Is @bdf bound to driver @drv? */
static inline int bound_to(const char *bdf, const char *drv)
{
	char path[300], link[300];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = 0;
	return !strcmp(strrchr(link, '/') + 1, drv);
}

static inline int p2px_bound_to_provider(const char *bdf)
{
	return bound_to(bdf, PROVIDER_DRV);
}

/*
 * Load p2pdma_ext if needed, bind the provider (BDF into @bdf) to the
 * provider driver and, with @edu, load p2px_edu for the DMA engine.
 * Returns 0, -ENODEV when there is no provider (or, with @edu, no DMA
 * engine), or another negative errno.
 */
static inline int p2px_dmabuf_setup(char *bdf, size_t len, int edu)
{
	char edu_bdf[64];
	int ret;

	if (!p2px_module_loaded()) {
		ret = p2px_load(p2px_module_path(), NULL);
		if (ret)
			return ret;
	}
	if (!p2px_provider_dev(bdf, len))
		return -ENODEV;
	if (!p2px_bound_to_provider(bdf)) {
		ret = bind_provider(bdf);
		if (ret)
			return ret;
	}
	if (!p2px_bound_to_provider(bdf))
		return -ENXIO;
	if (!edu)
		return 0;
	if (!p2px_dma_engine_dev(edu_bdf, sizeof(edu_bdf)))
		return -ENODEV;
	if (!p2px_path_exists(EDU_DMABUF)) {
		ret = p2px_load_driver(EDU_DRV, NULL);
		if (ret && ret != -EEXIST)
			return ret;
	}
	return p2px_path_exists(EDU_DMABUF) ? 0 : -ENOENT;
}

/* Wait up to @secs seconds for @bdf to be (@present) or not be there. */
static inline int p2px_wait_device(const char *bdf, int present, int secs)
{
	char path[300];
	int i;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	for (i = 0; i < secs * 10; i++) {
		if (p2px_path_exists(path) == present)
			return 0;
		usleep(100000);
	}
	return -1;
}

/*
 * Bind a (re)plugged device: its sysfs directory shows up before the
 * driver core may match it, so a first drivers_probe can bind nothing.
 */
static inline int rebind_driver(const char *bdf, const char *drv)
{
	int i;

	for (i = 0; i < 50; i++) {
		bind_driver(bdf, drv);
		if (bound_to(bdf, drv))
			return 0;
		usleep(100000);
	}
	return -1;
}

static inline int p2px_rebind_provider(const char *bdf)
{
	return rebind_driver(bdf, PROVIDER_DRV);
}

static inline int p2px_ctl_open(void)
{
	return open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
}

/* Export @n ranges of BAR @bar of @dev; returns the dma-buf fd or -errno. */
static inline int p2px_export(int ctl, __u64 dev, __u32 bar,
			      const struct p2pdma_ext_dmabuf_range *r, __u32 n)
{
	struct p2pdma_ext_dmabuf_export arg = {
		.argsz = sizeof(arg), .device = dev, .bar = bar,
		.nr_ranges = n, .open_flags = O_CLOEXEC,
		.ranges = (uintptr_t)r, .fd = -1,
	};

	if (ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &arg))
		return -errno;
	return arg.fd;
}

/*
 * Open a provider fd (P2PDMA_EXT_IOC_PROVIDER_OPEN) for @dev with
 * @open_flags; returns the fd or -errno.
 */
static inline int p2px_provider_open(int ctl, __u64 dev, __u32 open_flags)
{
	struct p2pdma_ext_provider_open arg = {
		.argsz = sizeof(arg), .device = dev,
		.open_flags = open_flags, .fd = -1,
	};

	if (ioctl(ctl, P2PDMA_EXT_IOC_PROVIDER_OPEN, &arg))
		return -errno;
	return arg.fd;
}

static inline int p2px_revoke(int ctl, int fd)
{
	struct p2pdma_ext_dmabuf_revoke arg = {
		.argsz = sizeof(arg), .fd = fd,
	};

	return ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_REVOKE, &arg) ? -errno : 0;
}

/* Write a printf-formatted command to p2px_edu's debugfs file @file. */
static inline int p2px_edu_cmd(const char *file, const char *fmt, ...)
{
	char cmd[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return p2px_write_file(file, cmd);
}

static inline unsigned char pattern(unsigned int seed, size_t i)
{
	return (unsigned char)(seed + 7 * i + (i >> 8));
}

/* Set host_bridge_allow; "" clears it (a write of no bytes would not). */
static inline int allow_host_bridge(const char *val)
{
	return p2px_write_file(ALLOW_PARAM, *val ? val : "\n");
}

struct edu_state {
	int attached, mapped;
	unsigned int notified, map_errors;
	int last_error;
	unsigned long long dma;
	char read[256];
	unsigned long long sg0;
};

static inline int edu_state(struct edu_state *s)
{
	char buf[512], *sg;
	static const char fmt[] =
		"attached %d mapped %d notified %u map_errors %u last_error %d dma %llx read %255s";

	if (p2px_read_file(EDU_DMABUF, buf, sizeof(buf)))
		return -1;
	sg = strstr(buf, "sg0 ");
	s->sg0 = sg ? strtoull(sg + 4, NULL, 0) : 0;
	return sscanf(buf, fmt, &s->attached, &s->mapped, &s->notified,
		      &s->map_errors, &s->last_error, &s->dma,
		      s->read) == 7 ? 0 : -1;
}

static inline void hex_of(char *out, unsigned int seed, size_t first,
			  size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", pattern(seed, first + i));
}

/*
 * The importer test on dma-buf @fd, whose second range starts at BAR
 * offset @r1_off: edu imports, maps, writes pattern @seed1, reads it back
 * while writing pattern @seed2; the host checks pattern @seed2 in the
 * ivshmem's backing file. Leaves edu attached and mapped.
 */
static inline void edu_import_and_dma(struct __test_metadata *_metadata,
				      int fd, unsigned long long r1_off,
				      unsigned int seed1, unsigned int seed2)
{
	char want[2 * 64 + 1], name[64];
	struct edu_state s;

	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map"));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "dma %d %d %u",
				  (int)IMPORT_DMA_OFF, IMPORT_DMA_LEN, seed1));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "dma %d %d %u",
				  (int)IMPORT_DMA_OFF, IMPORT_DMA_LEN, seed2));
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_EQ(1, s.attached);
	EXPECT_EQ(1, s.mapped);
	EXPECT_EQ(0, s.notified);
	hex_of(want, seed1, 0, 64);
	/* edu read back through the dma-buf what it wrote through it. */
	EXPECT_STREQ(want, s.read);

	ivshmem_name(name, sizeof(name));
	hex_of(want, seed2, 0, 64);
	printf("# HOSTCHECK %s %llu %s\n", name, r1_off + 256, want);
	hex_of(want, seed2, IMPORT_DMA_LEN - 64, 64);
	printf("# HOSTCHECK %s %llu %s\n", name, r1_off + 256 + IMPORT_DMA_LEN - 64,
	       want);
	fflush(stdout);
}

/*
 * After a revoke: edu was notified and has no mapping; new maps and DMA
 * fail with ENODEV. Detaches edu.
 */
static inline void edu_check_revoked(struct __test_metadata *_metadata)
{
	struct edu_state s;

	ASSERT_EQ(0, edu_state(&s));
	EXPECT_EQ(1, s.attached);
	EXPECT_EQ(0, s.mapped);
	EXPECT_LE(1, s.notified);
	EXPECT_EQ(-ENODEV, p2px_edu_cmd(EDU_DMABUF, "map"));
	EXPECT_EQ(-ENODEV, p2px_edu_cmd(EDU_DMABUF, "dma %d %d %d", 0, 64, 1));
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_LE(2, s.map_errors);
	EXPECT_EQ(-ENODEV, s.last_error);
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
}

/*
 * Put edu's IOMMU group into domain type @type ("identity", "auto"),
 * p2px_edu unbound meanwhile; 0, or -1 where the group has no writable
 * type (no IOMMU, or before Linux 5.11).
 */
static inline int p2px_edu_domain(const char *edu, const char *type)
{
	char path[300], cur[32];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group/type", edu);
	if (p2px_read_file(path, cur, sizeof(cur)))
		return -1;
	if (!strcmp(cur, type))
		return 0;
	if (bound_to(edu, EDU_DRV) && unbind_dev(edu))
		return -1;
	if (p2px_write_file(path, type)) {
		rebind_driver(edu, EDU_DRV);
		return -1;
	}
	return rebind_driver(edu, EDU_DRV);
}

/* Load p2px_edu if needed; 0 when its dmabuf file is there. */
static inline int edu_ready(void)
{
	if (!p2px_path_exists(EDU_DMABUF))
		p2px_load_driver(EDU_DRV, NULL);
	return p2px_path_exists(EDU_DMABUF) ? 0 : -1;
}

/* /sys/module/NAME/refcnt, or -1. */
static inline int module_refcnt(const char *name)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	if (p2px_read_file(path, val, sizeof(val)))
		return -1;
	return atoi(val);
}

/* In a forked child: drop the inherited fds (dma-bufs, device fds). */
static inline void close_fds_from(int first)
{
	int fd;

	for (fd = first; fd < 1024; fd++)
		close(fd);
}

/*
 * With every fd closed: the allowlist cleared, p2px_edu unloaded, the
 * provider and the second provider unbound from the provider driver
 * (driver_override cleared) and p2pdma_ext unloaded, each asserted.
 */
static inline void p2px_dmabuf_teardown(struct __test_metadata *_metadata)
{
	char bdf[64], path[300];
	const char *dev[2] = { NULL, NULL };
	char nvme[64];
	int i;

	if (p2px_path_exists(ALLOW_PARAM))
		allow_host_bridge("");
	if (p2px_path_exists("/sys/module/p2px_edu"))
		ASSERT_EQ(0, p2px_unload("p2px_edu"));
	if (p2px_provider_dev(bdf, sizeof(bdf)))
		dev[0] = bdf;
	if (p2px_provider2_dev(nvme, sizeof(nvme)))
		dev[1] = nvme;
	for (i = 0; i < 2; i++) {
		if (!dev[i])
			continue;
		if (bound_to(dev[i], PROVIDER_DRV))
			ASSERT_EQ(0, unbind_dev(dev[i]));
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override",
			 dev[i]);
		ASSERT_EQ(0, p2px_write_file(path, "\n"));
	}
	if (p2px_module_loaded())
		ASSERT_EQ(0, p2px_unload(P2PX_MODULE_NAME));
}

#endif /* P2PX_DMABUF_H */
