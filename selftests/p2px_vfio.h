/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-pci helpers shared by vfio_dmabuf_test (parity with vfio-pci's
 * dma-buf export) and dmabuf_bench (its timing): binding a device, the
 * type1 container/group/device fds, VFIO_DEVICE_FEATURE_DMA_BUF. Include
 * after p2px_dmabuf.h.
 */
#ifndef P2PX_VFIO_H
#define P2PX_VFIO_H

#include <linux/vfio.h>

#define VFIO_DRV	"vfio-pci"

#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
#define VFIO_DEVICE_FEATURE_DMA_BUF	11	/* uapi of 6.19 and later */
#endif

/* The VFIO_DEVICE_FEATURE_DMA_BUF payload (not in the build host's uapi). */
struct vfio_dmabuf_arg {
	__u32 region_index;
	__u32 open_flags;
	__u32 flags;
	__u32 nr_ranges;
	struct p2pdma_ext_dmabuf_range ranges[];	/* same layout */
};

struct vfio {
	int container, group, device;
};

static inline void vfio_init(struct vfio *v)
{
	v->container = -1;
	v->group = -1;
	v->device = -1;
}

static inline int iommu_group_of(const char *bdf)
{
	char path[300], link[300];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = 0;
	return atoi(strrchr(link, '/') + 1);
}

/* Container, group (type1) and device fd of @bdf, bound to vfio-pci. */
static inline int vfio_open(const char *bdf, struct vfio *v)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];

	vfio_init(v);
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		return -errno;
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
		return -EPROTO;
	snprintf(path, sizeof(path), "/dev/vfio/%d", iommu_group_of(bdf));
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0)
		return -errno;
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &st))
		return -errno;
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ||
	    ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	return v->device < 0 ? -errno : 0;
}

static inline void vfio_close(struct vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	vfio_init(v);
}

/* VFIO_DEVICE_FEATURE_DMA_BUF: the dma-buf fd or -errno. */
static inline int vfio_export(int device, __u32 region, __u32 flags,
			      __u32 open_flags,
			      const struct p2pdma_ext_dmabuf_range *r, __u32 n)
{
	size_t size = sizeof(struct vfio_device_feature) +
		      sizeof(struct vfio_dmabuf_arg) + n * sizeof(*r);
	struct vfio_device_feature *feat = calloc(1, size);
	struct vfio_dmabuf_arg *arg;
	int ret;

	if (!feat)
		return -ENOMEM;
	feat->argsz = size;
	feat->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	arg = (struct vfio_dmabuf_arg *)feat->data;
	arg->region_index = region;
	arg->open_flags = open_flags;
	arg->flags = flags;
	arg->nr_ranges = n;
	if (n)
		memcpy(arg->ranges, r, n * sizeof(*r));
	ret = ioctl(device, VFIO_DEVICE_FEATURE, feat);
	ret = ret < 0 ? -errno : ret;
	free(feat);
	return ret;
}

/* Bind @bdf to @drv (unbinding another driver first). */
static inline int use_driver(const char *bdf, const char *drv)
{
	char path[300];

	if (bound_to(bdf, drv))
		return 0;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	if (p2px_path_exists(path) && unbind_dev(bdf))
		return -1;
	return rebind_driver(bdf, drv);
}

#endif /* P2PX_VFIO_H */
