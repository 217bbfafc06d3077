/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * p2pdma-ext userspace ABI: ioctls on the control device /dev/p2pdma_ext.
 *
 * The control device is root-only (mode 0600): it reveals the PCI topology
 * and, in later ABI versions, hands out peer-to-peer access to device
 * memory, which only an administrator may grant.
 *
 * Every argument structure starts with @argsz, the size of the structure
 * as the caller knows it. The kernel refuses a smaller @argsz with EINVAL
 * and never reads or writes past @argsz, so structures can grow at the end
 * without breaking older callers.
 */
#ifndef _UAPI_LINUX_P2PDMA_EXT_H
#define _UAPI_LINUX_P2PDMA_EXT_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped whenever an ioctl is added or a structure grows. */
#define P2PDMA_EXT_ABI_VERSION		1

#define P2PDMA_EXT_DEVICE		"/dev/p2pdma_ext"

/* Values of struct p2pdma_ext_info.backend. */
#define P2PDMA_EXT_BACKEND_EXT		1	/* our own P2P memory code */
#define P2PDMA_EXT_BACKEND_NATIVE	2	/* the kernel's CONFIG_PCI_P2PDMA */

/*
 * Bits of struct p2pdma_ext_info.kernel_features: what the compile probes
 * found in the kernel the module was built for.
 */
#define P2PDMA_EXT_KFEAT_NATIVE_P2PDMA		(1ULL << 0)
#define P2PDMA_EXT_KFEAT_NS_STRING		(1ULL << 1)
#define P2PDMA_EXT_KFEAT_DMA_BUF_NS		(1ULL << 2)
#define P2PDMA_EXT_KFEAT_INVALIDATE_MAPPINGS	(1ULL << 3)
#define P2PDMA_EXT_KFEAT_VMAP_IOSYS_MAP		(1ULL << 4)
#define P2PDMA_EXT_KFEAT_PAGE_PGMAP		(1ULL << 5)
#define P2PDMA_EXT_KFEAT_FOLIO_FREE		(1ULL << 6)
#define P2PDMA_EXT_KFEAT_PGMAP_REF_EMBEDDED	(1ULL << 7)
#define P2PDMA_EXT_KFEAT_CLASS_CREATE_ONE_ARG	(1ULL << 8)
#define P2PDMA_EXT_KFEAT_VM_FLAGS_SET		(1ULL << 9)
#define P2PDMA_EXT_KFEAT_HOST_BRIDGE_EXPORTED	(1ULL << 10)

/**
 * struct p2pdma_ext_info - what the loaded module is
 * @argsz: in: sizeof(struct p2pdma_ext_info) as the caller knows it
 * @abi_version: out: P2PDMA_EXT_ABI_VERSION of the module
 * @backend: out: P2PDMA_EXT_BACKEND_EXT or P2PDMA_EXT_BACKEND_NATIVE
 * @reserved: out: zero
 * @kernel_features: out: P2PDMA_EXT_KFEAT_* bits
 * @version: out: the module's version string, NUL-terminated
 */
struct p2pdma_ext_info {
	__u32 argsz;
	__u32 abi_version;
	__u32 backend;
	__u32 reserved;
	__u64 kernel_features;
	char version[32];
};

#define P2PDMA_EXT_IOC_MAGIC		0xBA

/* Fill in struct p2pdma_ext_info. */
#define P2PDMA_EXT_IOC_INFO	_IOWR(P2PDMA_EXT_IOC_MAGIC, 0x00, struct p2pdma_ext_info)

#endif /* _UAPI_LINUX_P2PDMA_EXT_H */
