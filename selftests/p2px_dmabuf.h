/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the selftests that export dma-bufs of the ivshmem BAR
 * through /dev/p2pdma_ext and import them with p2px_edu (debugfs
 * p2px_edu/dmabuf): device ids, the provider binding, export and revoke
 * ioctls, p2px_edu commands.
 */
#ifndef P2PX_DMABUF_H
#define P2PX_DMABUF_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "uapi/linux/p2pdma_ext.h"

#include "p2px_pci.h"

#define EDU_MODULE	"/payload/p2px_edu.ko"
#define EDU_DEBUGFS	"/sys/kernel/debug/p2px_edu"
#define EDU_DMABUF	EDU_DEBUGFS "/dmabuf"
#define EDU_REGISTRY	EDU_DEBUGFS "/registry"
#define P2PX_PARAMS	P2PX_SYSFS_MODULE "/parameters"
#define ALLOW_PARAM	P2PX_PARAMS "/host_bridge_allow"
#define IVSHMEM_VENDOR	0x1af4
#define IVSHMEM_DEVICE	0x1110
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

/* The device id (P2PDMA_EXT_DEVID()) of PCI function @bdf. */
static inline __u64 p2px_devid(const char *bdf)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return ~0ULL;
	return P2PDMA_EXT_DEVID(dom, bus, (dev << 3) | fn);
}

static inline int p2px_bound_to_provider(const char *bdf)
{
	char path[300], link[300];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = 0;
	return !strcmp(strrchr(link, '/') + 1, PROVIDER_DRV);
}

/*
 * Load p2pdma_ext if needed, bind the ivshmem (BDF into @bdf) to the
 * provider driver and, with @edu, load p2px_edu. Returns 0, -ENODEV when
 * the topology lacks a device, or another negative errno.
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
	if (!find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, bdf, len))
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
	if (!find_pci(EDU_VENDOR, EDU_DEVICE, edu_bdf, sizeof(edu_bdf)))
		return -ENODEV;
	if (!p2px_path_exists(EDU_DMABUF)) {
		ret = p2px_load(EDU_MODULE, NULL);
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
 * Bind a replugged device: its sysfs directory shows up before the driver
 * core may match it, so a first drivers_probe can bind nothing.
 */
static inline int p2px_rebind_provider(const char *bdf)
{
	int i;

	for (i = 0; i < 50; i++) {
		bind_provider(bdf);
		if (p2px_bound_to_provider(bdf))
			return 0;
		usleep(100000);
	}
	return -1;
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

#endif /* P2PX_DMABUF_H */
