/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * p2pdma-ext userspace ABI: ioctls on the control device /dev/p2pdma_ext.
 *
 * The control device is root-only (mode 0600): it reveals the PCI topology
 * and, in later ABI versions, hands out peer-to-peer access to device
 * memory, which only an administrator may grant.
 *
 * Every argument structure starts with @argsz, the size of the structure
 * as the caller knows it. Structures grow at the end only, and the kernel
 * copies them in as copy_struct_from_user() does: an @argsz smaller than
 * the structure's first version is refused with EINVAL; a smaller one
 * than the kernel's gets the newer fields read as zero (an old binary
 * keeps working); a larger one is refused with E2BIG unless every byte the
 * kernel does not know is zero (a new binary learns that this kernel
 * lacks what it asked for), and so is one above 4096. The kernel never
 * writes past @argsz.
 *
 * Command numbers: the kernel matches a command by its type, number and
 * direction and ignores the size field of the number, so a command keeps
 * its meaning when its structure grows (the P2PDMA_EXT_IOC_* values below
 * change, older ones go on working). Reserved fields are in: they must be
 * zero, else EINVAL.
 *
 * A command that makes a file descriptor installs it only after it wrote
 * the number back: when that fails (EFAULT) no descriptor is left open.
 *
 * Who may do what (Documentation/uapi.rst): opening the device needs
 * write access to it (root only, mode 0600); the commands that grant or
 * take back access to device memory (DMABUF_EXPORT, DMABUF_REVOKE,
 * PROVIDER_OPEN, and DMABUF_EXPORT on a provider fd) need CAP_SYS_RAWIO in
 * the initial user namespace, both of the caller and of whoever opened the
 * file (EPERM otherwise), and DMABUF_EXPORT is refused with EPERM while
 * the kernel is locked down (integrity or confidentiality).
 */
#ifndef _UAPI_LINUX_P2PDMA_EXT_H
#define _UAPI_LINUX_P2PDMA_EXT_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped whenever an ioctl is added or a structure grows. */
#define P2PDMA_EXT_ABI_VERSION		6

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
/* CONFIG_DMABUF_MOVE_NOTIFY: the core does not pin dynamic importers */
#define P2PDMA_EXT_KFEAT_DMABUF_MOVE_NOTIFY	(1ULL << 11)

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

/* --- Topology: "why (not)" queries ------------------------------------- */

/*
 * A PCI function is named by a device id: PCI domain, bus and devfn packed
 * like this (the domain may use all 32 bits).
 */
#define P2PDMA_EXT_DEVID(domain, bus, devfn)				\
	(((__u64)(domain) << 16) | ((__u64)((bus) & 0xff) << 8) |	\
	 (__u64)((devfn) & 0xff))

/* Most clients in one P2PDMA_EXT_IOC_TOPO_PAIRS call. */
#define P2PDMA_EXT_TOPO_MAX_CLIENTS	256
/* Most devices in one P2PDMA_EXT_IOC_TOPO_MATRIX call. */
#define P2PDMA_EXT_TOPO_MAX_DEVICES	256
/*
 * Longest explanation of one pair, NUL included: a buffer of this size
 * always holds the whole text (text_size here, p2pdma_ext_explain()).
 */
#define P2PDMA_EXT_EXPLAIN_MAX		1024
/* Largest per-pair explanation buffer (text_size) accepted. */
#define P2PDMA_EXT_TOPO_MAX_TEXT	4096

/*
 * Mapping types; the values are those of the kernel's
 * enum pci_p2pdma_map_type and of enum p2pdma_ext_map_type.
 */
#define P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED	2	/* no peer-to-peer */
#define P2PDMA_EXT_TOPO_MAP_BUS_ADDR		3	/* direct, by bus address */
#define P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE	4	/* via the host bridge */

/* Reason codes (struct p2pdma_ext_topo_pair.reason and .detour). */
#define P2PDMA_EXT_TOPO_REASON_NONE			0
#define P2PDMA_EXT_TOPO_REASON_SAME_UPSTREAM_BRIDGE	1
#define P2PDMA_EXT_TOPO_REASON_NO_COMMON_UPSTREAM	2
#define P2PDMA_EXT_TOPO_REASON_ACS_REDIRECT		3
#define P2PDMA_EXT_TOPO_REASON_CPU_ALLOWS		4
#define P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_ALLOWED	5
#define P2PDMA_EXT_TOPO_REASON_TRUSTED_BY_PARAM		6
#define P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED	7
#define P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_SAME_ONLY	8
#define P2PDMA_EXT_TOPO_REASON_NO_HOST_ROOT		9
#define P2PDMA_EXT_TOPO_REASON_BAD_INPUT		10
#define P2PDMA_EXT_TOPO_REASON_TOO_DEEP			11

/*
 * struct p2pdma_ext_topo_pairs.flags and struct p2pdma_ext_topo_matrix.flags
 * (in): without P2PDMA_EXT_TOPO_Q_CACHED every answer is recomputed from
 * the hardware (re-reading ACS registers) and a cached answer that differs
 * is replaced; with it, a current cached answer is returned as is, which is
 * what kernel users of p2pdma_ext_distance_many() get.
 */
#define P2PDMA_EXT_TOPO_Q_CACHED	(1U << 0)

/* struct p2pdma_ext_topo_pair.flags (out) */
#define P2PDMA_EXT_TOPO_F_FROM_CACHE	(1U << 0)	/* a valid cache entry answered */
#define P2PDMA_EXT_TOPO_F_REFRESHED	(1U << 1)	/* the cache said otherwise; replaced */
#define P2PDMA_EXT_TOPO_F_COMMON	(1U << 2)	/* @common is valid */
#define P2PDMA_EXT_TOPO_F_SAME_HOST	(1U << 3)	/* same host bridge */

/**
 * struct p2pdma_ext_topo_pair - the answer for one provider/client pair
 * @client: in: device id (P2PDMA_EXT_DEVID()) of the client
 * @common: out: the common upstream device (if P2PDMA_EXT_TOPO_F_COMMON)
 * @distance: out: upstream's distance; -1 when not supported
 * @map_type: out: P2PDMA_EXT_TOPO_MAP_*
 * @reason: out: P2PDMA_EXT_TOPO_REASON_* for @map_type
 * @detour: out: why the direct path is not used (NO_COMMON_UPSTREAM,
 *	ACS_REDIRECT) or P2PDMA_EXT_TOPO_REASON_NONE
 * @flags: out: P2PDMA_EXT_TOPO_F_*
 * @acs_count: out: devices whose ACS setting redirects this pair's traffic
 * @text_len: out: length of the full explanation (may exceed the buffer)
 * @reserved: in: zero
 */
struct p2pdma_ext_topo_pair {
	__u64 client;
	__u64 common;
	__s32 distance;
	__u32 map_type;
	__u32 reason;
	__u32 detour;
	__u32 flags;
	__u32 acs_count;
	__u32 text_len;
	__u32 reserved;
};

/**
 * struct p2pdma_ext_topo_pairs - argument of P2PDMA_EXT_IOC_TOPO_PAIRS
 * @argsz: in: sizeof(struct p2pdma_ext_topo_pairs) as the caller knows it
 * @flags: in: P2PDMA_EXT_TOPO_Q_*; other bits must be zero
 * @provider: in: device id of the device whose memory would be used
 * @num_clients: in: entries of @pairs, 1..P2PDMA_EXT_TOPO_MAX_CLIENTS
 * @pair_size: in: sizeof(struct p2pdma_ext_topo_pair) as the caller knows
 *	it: the stride of @pairs (at least the current size, at most 4096)
 * @pairs: in: user pointer to @num_clients pair structures; the kernel
 *	reads @client and @reserved and fills in the rest
 * @text_size: in: bytes of explanation per pair (0: none), at most
 *	P2PDMA_EXT_TOPO_MAX_TEXT; each text is NUL-terminated
 * @reserved: in: zero
 * @text: in: user pointer to @num_clients * @text_size bytes
 *
 * Errors: EINVAL for a bad @argsz, @flags, @num_clients of 0, @pair_size,
 * @text_size or a non-zero reserved field; E2BIG for too many clients;
 * ENODEV if a device id names no PCI function; EFAULT for bad pointers.
 */
struct p2pdma_ext_topo_pairs {
	__u32 argsz;
	__u32 flags;
	__u64 provider;
	__u32 num_clients;
	__u32 pair_size;
	__u64 pairs;
	__u32 text_size;
	__u32 reserved;
	__u64 text;
};

/**
 * struct p2pdma_ext_topo_cell - one cell of the topology matrix
 * @distance: upstream's distance; -1 when not supported
 * @map_type: P2PDMA_EXT_TOPO_MAP_*
 * @reason: P2PDMA_EXT_TOPO_REASON_* for @map_type
 * @detour: why the direct path is not used, or REASON_NONE
 * @reserved: zero
 */
struct p2pdma_ext_topo_cell {
	__s32 distance;
	__u8 map_type;
	__u8 reason;
	__u8 detour;
	__u8 reserved;
};

/* struct p2pdma_ext_topo_matrix.flags (in) */
#define P2PDMA_EXT_TOPO_M_ALL		(1U << 1)	/* every PCI function */

/**
 * struct p2pdma_ext_topo_matrix - argument of P2PDMA_EXT_IOC_TOPO_MATRIX
 * @argsz: in: sizeof(struct p2pdma_ext_topo_matrix) as the caller knows it
 * @flags: in: P2PDMA_EXT_TOPO_Q_CACHED, P2PDMA_EXT_TOPO_M_ALL; other bits
 *	must be zero
 * @num_devices: in: entries of @devices (with P2PDMA_EXT_TOPO_M_ALL: its
 *	capacity), 1..P2PDMA_EXT_TOPO_MAX_DEVICES; out: devices in the matrix
 * @reserved: in: zero
 * @devices: in/out: user pointer to __u64 device ids: the chosen set, or
 *	with P2PDMA_EXT_TOPO_M_ALL filled in by the kernel, sorted
 * @cells: out: user pointer to @num_devices * @num_devices cells, row =
 *	provider, column = client
 *
 * Errors as for P2PDMA_EXT_IOC_TOPO_PAIRS; with P2PDMA_EXT_TOPO_M_ALL and
 * more PCI functions than @num_devices, ENOSPC with @num_devices set to
 * the number needed.
 */
struct p2pdma_ext_topo_matrix {
	__u32 argsz;
	__u32 flags;
	__u32 num_devices;
	__u32 reserved;
	__u64 devices;
	__u64 cells;
};

/* Distance, map type and reasons, with explanations, provider to clients. */
#define P2PDMA_EXT_IOC_TOPO_PAIRS	\
	_IOWR(P2PDMA_EXT_IOC_MAGIC, 0x01, struct p2pdma_ext_topo_pairs)
/* The same for every pair of a set of devices (or of all of them). */
#define P2PDMA_EXT_IOC_TOPO_MATRIX	\
	_IOWR(P2PDMA_EXT_IOC_MAGIC, 0x02, struct p2pdma_ext_topo_matrix)

/* --- DMA-BUF export of PCI BAR MMIO (ABI version 3) ---------------------- */

/* Most ranges in one P2PDMA_EXT_IOC_DMABUF_EXPORT call. */
#define P2PDMA_EXT_DMABUF_MAX_RANGES	256

/**
 * struct p2pdma_ext_dmabuf_range - one range of a BAR
 * @offset: in: byte offset in the BAR, a multiple of the page size
 * @length: in: bytes, a non-zero multiple of the page size
 */
struct p2pdma_ext_dmabuf_range {
	__u64 offset;
	__u64 length;
};

/**
 * struct p2pdma_ext_dmabuf_export - argument of P2PDMA_EXT_IOC_DMABUF_EXPORT
 * @argsz: in: sizeof(struct p2pdma_ext_dmabuf_export) as the caller knows it
 * @flags: in: zero
 * @device: in: device id (P2PDMA_EXT_DEVID()) of a PCI function bound to
 *	the p2pdma_ext_provider driver; on a provider fd (see
 *	P2PDMA_EXT_IOC_PROVIDER_OPEN) zero or the id of the fd's function
 * @bar: in: index of a memory BAR that the provider driver claimed
 * @nr_ranges: in: entries of @ranges, 1..P2PDMA_EXT_DMABUF_MAX_RANGES
 * @open_flags: in: O_CLOEXEC or 0; the dma-buf is always O_RDWR
 * @fd: out: the new dma-buf file descriptor
 * @ranges: in: user pointer to @nr_ranges struct p2pdma_ext_dmabuf_range;
 *	the dma-buf is their concatenation, in this order
 * @reserved: in: zero (ABI version 6; the structure was 40 bytes before,
 *	which @argsz may still say)
 *
 * Like vfio-pci's VFIO_DEVICE_FEATURE_DMA_BUF: importers (drivers that
 * attach with peer2peer allowed and a notify callback) get DMA addresses
 * of the BAR memory, never struct pages, and no CPU mapping. The dma-buf
 * is revoked, i.e. every importer is told to unmap and later maps fail
 * with ENODEV, by P2PDMA_EXT_IOC_DMABUF_REVOKE, when the device is unbound
 * from the provider driver (including hot-unplug) and when the module is
 * unloaded.
 *
 * The ranges are taken out of the device's P2P pool (p2pmem/) until the
 * dma-buf is revoked or its last reference is gone: pool allocations and
 * exports never share memory (Documentation/uapi.rst).
 *
 * Errors: EPERM without CAP_SYS_RAWIO or under lockdown; EINVAL for a bad
 * @argsz, @flags, @open_flags, @reserved, @bar (not a memory BAR, not
 * claimed), @device (on a provider fd), @nr_ranges of 0, or a range not
 * page aligned or of length 0; E2BIG for too many ranges or a larger
 * @argsz with unknown bytes set; ERANGE for a range that ends past the
 * BAR; EOVERFLOW when an end or the total size overflows; EBUSY when a
 * range has memory in use: allocated from the pool, in another live
 * export or in another range of this one; ENODEV when
 * @device names no PCI function or one not bound to the provider driver;
 * EFAULT for bad pointers (no fd is left open); EMFILE; ENOMEM.
 */
struct p2pdma_ext_dmabuf_export {
	__u32 argsz;
	__u32 flags;
	__u64 device;
	__u32 bar;
	__u32 nr_ranges;
	__u32 open_flags;
	__s32 fd;
	__u64 ranges;
	__u64 reserved;
};

/**
 * struct p2pdma_ext_dmabuf_revoke - argument of P2PDMA_EXT_IOC_DMABUF_REVOKE
 * @argsz: in: sizeof(struct p2pdma_ext_dmabuf_revoke) as the caller knows it
 * @flags: in: zero
 * @fd: in: a dma-buf returned by P2PDMA_EXT_IOC_DMABUF_EXPORT
 * @reserved: in: zero
 *
 * Returns when every importer has unmapped. Revoking twice is not an error.
 * Errors: EPERM without CAP_SYS_RAWIO; EINVAL for a bad @argsz, @flags,
 * @reserved or a dma-buf that this module did not export; EBADF for a bad
 * @fd or one that is no dma-buf.
 */
struct p2pdma_ext_dmabuf_revoke {
	__u32 argsz;
	__u32 flags;
	__s32 fd;
	__u32 reserved;
};

/* --- Listing the exported dma-bufs (ABI version 4) ----------------------- */

/* Most entries one P2PDMA_EXT_IOC_DMABUF_LIST call fills. */
#define P2PDMA_EXT_DMABUF_LIST_MAX	1024
/* Importers described per entry; more are counted in nr_importers. */
#define P2PDMA_EXT_DMABUF_MAX_IMPORTERS	8
/* Bytes of an importer's device name, with the terminating NUL. */
#define P2PDMA_EXT_DMABUF_NAME_LEN	64

/* struct p2pdma_ext_dmabuf_importer.flags */
#define P2PDMA_EXT_DMABUF_IMP_MAPPED	(1U << 0)	/* maps is not zero */

/**
 * struct p2pdma_ext_dmabuf_importer - one attachment of a dma-buf
 * @name: dev_name() of the importing device, NUL-terminated (cut short
 *	if longer than the field)
 * @flags: P2PDMA_EXT_DMABUF_IMP_*
 * @maps: live mappings of this attachment
 */
struct p2pdma_ext_dmabuf_importer {
	char name[P2PDMA_EXT_DMABUF_NAME_LEN];
	__u32 flags;
	__u32 maps;
};

/* struct p2pdma_ext_dmabuf_info.flags */
#define P2PDMA_EXT_DMABUF_F_IOCTL	(1U << 0)	/* by DMABUF_EXPORT; else the kernel API */
#define P2PDMA_EXT_DMABUF_F_REVOKED	(1U << 1)	/* revoked: attach and map fail */
#define P2PDMA_EXT_DMABUF_F_TRUNCATED	(1U << 2)	/* more importers than @importers holds */

/**
 * struct p2pdma_ext_dmabuf_info - one exported dma-buf, as listed
 * @ino: the dma-buf's inode number: st_ino of fstat() on a file
 *	descriptor of it (also the "ino:" line of /proc/PID/fdinfo/FD on
 *	kernels that print one)
 * @device: device id (P2PDMA_EXT_DEVID()) of the PCI function whose BAR
 *	it is
 * @size: bytes (the sum of the ranges)
 * @bar: the BAR index
 * @nr_ranges: ranges of the BAR the buffer is made of
 * @flags: P2PDMA_EXT_DMABUF_F_*
 * @maps: live mappings, all importers together
 * @nr_importers: attachments, including those @importers has no room for
 * @reserved: zero
 * @importers: the first min(@nr_importers, P2PDMA_EXT_DMABUF_MAX_IMPORTERS)
 *	attachments, newest first (the dma-buf core's order); the rest zero
 */
struct p2pdma_ext_dmabuf_info {
	__u64 ino;
	__u64 device;
	__u64 size;
	__u32 bar;
	__u32 nr_ranges;
	__u32 flags;
	__u32 maps;
	__u32 nr_importers;
	__u32 reserved;
	struct p2pdma_ext_dmabuf_importer importers[P2PDMA_EXT_DMABUF_MAX_IMPORTERS];
};

/**
 * struct p2pdma_ext_dmabuf_list - argument of P2PDMA_EXT_IOC_DMABUF_LIST
 * @argsz: in: sizeof(struct p2pdma_ext_dmabuf_list) as the caller knows it
 * @flags: in: zero
 * @entry_size: in: sizeof(struct p2pdma_ext_dmabuf_info) as the caller
 *	knows it: the stride of @entries (at least the current size, at most
 *	4096); the kernel zeroes what it does not fill of each entry
 * @count: in: entries @entries has room for, 0..P2PDMA_EXT_DMABUF_LIST_MAX
 *	(0: only count the buffers); out: entries filled
 * @total: out: dma-bufs exported by the module now (may exceed @count;
 *	call again with a larger buffer to see them all)
 * @reserved: in: zero
 * @entries: in: user pointer to @count * @entry_size bytes (may be 0 when
 *	@count is 0)
 *
 * One entry per live dma-buf, in the order they were exported, revoked
 * ones included, until their last file reference is gone. @total and the
 * set of entries are one snapshot; each entry's details are read under
 * that buffer's reservation lock right after, so a buffer closed in
 * between is still listed, with what it had when it went.
 *
 * Errors: EINVAL for a bad @argsz, @flags, @entry_size or a non-zero
 * @reserved; E2BIG for @count above P2PDMA_EXT_DMABUF_LIST_MAX; EFAULT for
 * bad pointers; EINTR when a signal came while waiting for a buffer's
 * reservation lock; ENOMEM.
 */
struct p2pdma_ext_dmabuf_list {
	__u32 argsz;
	__u32 flags;
	__u32 entry_size;
	__u32 count;
	__u32 total;
	__u32 reserved;
	__u64 entries;
};

/* Export ranges of a provider's BAR as a dma-buf. */
#define P2PDMA_EXT_IOC_DMABUF_EXPORT	\
	_IOWR(P2PDMA_EXT_IOC_MAGIC, 0x10, struct p2pdma_ext_dmabuf_export)
/* Revoke such a dma-buf. */
#define P2PDMA_EXT_IOC_DMABUF_REVOKE	\
	_IOW(P2PDMA_EXT_IOC_MAGIC, 0x11, struct p2pdma_ext_dmabuf_revoke)
/* List the exported dma-bufs with their importers. */
#define P2PDMA_EXT_IOC_DMABUF_LIST	\
	_IOWR(P2PDMA_EXT_IOC_MAGIC, 0x12, struct p2pdma_ext_dmabuf_list)

/* --- Provider file descriptors (ABI version 5) --------------------------- */

/**
 * struct p2pdma_ext_provider_open - argument of P2PDMA_EXT_IOC_PROVIDER_OPEN
 * @argsz: in: sizeof(struct p2pdma_ext_provider_open) as the caller knows it
 * @flags: in: zero
 * @device: in: device id (P2PDMA_EXT_DEVID()) of a PCI function bound to
 *	the p2pdma_ext_provider driver
 * @open_flags: in: O_CLOEXEC or 0; the provider fd is always O_RDWR
 * @fd: out: the new provider file descriptor
 * @reserved: in: zero (ABI version 6; the structure was 24 bytes before,
 *	which @argsz may still say)
 *
 * A provider fd stands for one PCI function, as a vfio-pci device fd does:
 * P2PDMA_EXT_IOC_DMABUF_EXPORT on it exports BAR ranges of that function
 * (with @device zero or the function's id) without looking the function
 * up again; the export checks, errors and dma-bufs are those of the
 * control device. Every other command on it fails with ENOTTY.
 *
 * The fd holds the function, not its binding: it never delays an unbind,
 * a hot-unplug or the revoke of its dma-bufs. While the function is not
 * bound to the provider driver (unbound, unplugged), exports through the
 * fd fail with ENODEV; they work again once the same function is bound
 * again. Like the control device, an open provider fd keeps the module
 * loaded.
 *
 * Errors: EPERM without CAP_SYS_RAWIO; EINVAL for a bad @argsz, @flags,
 * @open_flags or @reserved; ENODEV when @device names no PCI function or
 * one not bound to the provider driver; EFAULT for a bad pointer (no fd
 * is left open); EMFILE, ENFILE, ENOMEM.
 */
struct p2pdma_ext_provider_open {
	__u32 argsz;
	__u32 flags;
	__u64 device;
	__u32 open_flags;
	__s32 fd;
	__u64 reserved;
};

/* Open a provider fd for one PCI function. */
#define P2PDMA_EXT_IOC_PROVIDER_OPEN	\
	_IOWR(P2PDMA_EXT_IOC_MAGIC, 0x13, struct p2pdma_ext_provider_open)

#endif /* _UAPI_LINUX_P2PDMA_EXT_H */
