/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext: PCI peer-to-peer DMA for kernels built without it.
 *
 * Public kernel API for vendor drivers. Every symbol is exported in the
 * P2PDMA_EXT namespace: a user module says MODULE_IMPORT_NS(P2PDMA_EXT)
 * (a string literal, "P2PDMA_EXT", on kernels whose MODULE_IMPORT_NS
 * takes strings) or simply P2PDMA_EXT_IMPORT_NS() from this header, which
 * works everywhere.
 */
#ifndef _LINUX_P2PDMA_EXT_H
#define _LINUX_P2PDMA_EXT_H

#include <linux/dma-direction.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/types.h>
#include <uapi/linux/p2pdma_ext.h>

struct scatterlist;

struct device;
struct pci_dev;

/*
 * P2PDMA_EXT_IMPORT_NS() - import the P2PDMA_EXT symbol namespace.
 *
 * Writes the modinfo record directly, which is what MODULE_IMPORT_NS()
 * expands to on every kernel, whether that macro takes a token or a string.
 */
#define P2PDMA_EXT_IMPORT_NS()	MODULE_INFO(import_ns, "P2PDMA_EXT")

/* Module facts (kernel-doc in src/main.c). */
const char *p2pdma_ext_version(void);
bool p2pdma_ext_is_native(void);

/*
 * Provider registry (src/registry.c has the full kernel-doc). The same
 * semantics as the upstream pci_p2pdma_add_resource(), pci_p2pmem_publish(),
 * pci_p2pmem_find_many(), pci_alloc_p2pmem(), pci_free_p2pmem(),
 * pci_p2pmem_virt_to_bus(), pci_p2pmem_alloc_sgl()/free_sgl(); on kernels
 * with CONFIG_PCI_P2PDMA they call those functions, but never for a device
 * that has no P2P memory pool (which the kernel's functions do not check).
 */
int p2pdma_ext_add_resource(struct pci_dev *pdev, int bar, size_t size,
			    u64 offset);
void p2pdma_ext_publish(struct pci_dev *pdev, bool publish);
struct pci_dev *p2pdma_ext_find_many(struct device **clients, int num_clients);
pci_bus_addr_t p2pdma_ext_virt_to_bus(struct pci_dev *pdev, void *addr);
struct scatterlist *p2pdma_ext_alloc_sgl(struct pci_dev *pdev,
					 unsigned int *nents, u32 length);
void p2pdma_ext_free_sgl(struct pci_dev *pdev, struct scatterlist *sgl);
bool p2pdma_ext_has_p2pmem(struct pci_dev *pdev);

/*
 * Allocation, the hot path. On kernels with CONFIG_PCI_P2PDMA the calls
 * below go to the kernel's functions, inline: a driver's call costs what
 * pci_alloc_p2pmem() and pci_free_p2pmem() cost, plus one check. On the
 * others they are exported by p2pdma_ext.ko (src/registry_ext.c), which
 * defines them where P2PDMA_EXT_ALLOC_INLINE is not defined.
 */
#if IS_ENABLED(CONFIG_PCI_P2PDMA)
#define P2PDMA_EXT_INCLUDING_KERNEL_P2PDMA 1
#include <linux/pci-p2pdma.h>
#undef P2PDMA_EXT_INCLUDING_KERNEL_P2PDMA
#include <linux/rcupdate.h>

#define P2PDMA_EXT_ALLOC_INLINE 1

/*
 * Not for drivers: the head of the kernel's private struct pci_p2pdma
 * (drivers/pci/p2pdma.c), whose first member has been the provider's
 * pool since Linux 5.1. The kernel's pool functions use the pool without
 * checking it, and since Linux 6.19 pcim_p2pdma_init() sets up a device's
 * P2PDMA state without one (provider handles only, and in the window of
 * pci_p2pdma_add_resource()). p2pdma_ext.ko checks the layout against
 * gen_pool_size() on every resource it adds and warns if it differs.
 */
struct p2pdma_ext_kernel_state {
	struct gen_pool *pool;
};

/*
 * Not for drivers: the kernel's P2P memory pool of @pdev, or NULL if it has
 * none. Call in an RCU read-side section (rcu_read_lock() or
 * rcu_read_lock_sched()); the pool stays valid until it ends: the kernel
 * clears pdev->p2pdma and waits for a grace period before it destroys the
 * pool.
 */
static inline struct gen_pool *p2pdma_ext_kernel_pool(struct pci_dev *pdev)
{
	struct p2pdma_ext_kernel_state *state;

	state = (struct p2pdma_ext_kernel_state *)
		rcu_dereference_check(pdev->p2pdma, rcu_read_lock_any_held());
	return state ? READ_ONCE(state->pool) : NULL;
}

/**
 * p2pdma_ext_alloc() - allocate P2P memory
 * @pdev: the provider
 * @size: bytes to allocate (rounded up to whole pages)
 *
 * The memory keeps the provider's mapping alive until it is freed with
 * p2pdma_ext_free(). It is device memory: access it from the CPU with
 * the I/O accessors (memcpy_toio() and friends) only. A device without
 * P2P memory (for example one whose driver only made provider handles)
 * gives NULL.
 *
 * Context: any context (does not sleep).
 * Return: the kernel virtual address of the memory, or NULL.
 */
static inline void *p2pdma_ext_alloc(struct pci_dev *pdev, size_t size)
{
	void *addr = NULL;

	if (!pdev || !size)
		return NULL;
	/* The kernel's call does not sleep; sched: inline on PREEMPT_RCU. */
	rcu_read_lock_sched();
	if (likely(p2pdma_ext_kernel_pool(pdev)))
		addr = pci_alloc_p2pmem(pdev, size);
	rcu_read_unlock_sched();
	return addr;
}

/**
 * p2pdma_ext_free() - free P2P memory
 * @pdev: the provider the memory came from
 * @addr: address returned by p2pdma_ext_alloc()
 * @size: the size given to p2pdma_ext_alloc()
 *
 * Memory of a device without P2P memory is refused with one log line.
 *
 * Context: any context (does not sleep).
 */
static inline void p2pdma_ext_free(struct pci_dev *pdev, void *addr,
				   size_t size)
{
	bool pool;

	if (!pdev || !addr)
		return;
	rcu_read_lock_sched();
	pool = p2pdma_ext_kernel_pool(pdev);
	if (likely(pool))
		pci_free_p2pmem(pdev, addr, size);
	rcu_read_unlock_sched();
	if (unlikely(!pool))
		dev_warn_once(&pdev->dev, "p2pdma_ext: freeing memory it did not allocate\n");
}
#else
void *p2pdma_ext_alloc(struct pci_dev *pdev, size_t size);
void p2pdma_ext_free(struct pci_dev *pdev, void *addr, size_t size);
#endif

/*
 * Provider handles (src/provider_handle.c has the full kernel-doc): the
 * per-BAR provider-lifecycle object of upstream Linux 6.19, on every kernel.
 */

/**
 * struct p2pdma_ext_provider - a memory BAR as a source of peer-to-peer DMA
 * @owner: the device the BAR belongs to (&pdev->dev)
 * @bus_offset: PCI bus address minus CPU physical address, for every
 *	address of the BAR
 *
 * The members, their order and their meaning are those of the kernel's
 * struct p2pdma_provider (Linux 6.19 and later). Where the kernel has that
 * object (it exports pcim_p2pdma_provider(), e.g. Debian 7.2), a handle
 * from p2pdma_ext_provider_get() *is* the kernel's object, at the address
 * pcim_p2pdma_provider() returns (the module checks the layout when it is
 * built), so it may be cast to struct p2pdma_provider * and passed to
 * kernel functions that take one. This header cannot use the kernel's name
 * itself: older kernels do not define it, newer ones always do.
 *
 * A handle is valid while the driver that called p2pdma_ext_provider_init()
 * stays bound to @owner; see p2pdma_ext_provider_get() for the rule on DMA
 * mappings made from it.
 */
struct p2pdma_ext_provider {
	struct device *owner;
	u64 bus_offset;
};

int p2pdma_ext_provider_init(struct pci_dev *pdev);
struct p2pdma_ext_provider *p2pdma_ext_provider_get(struct pci_dev *pdev,
						    int bar);

/**
 * p2pdma_ext_bus_addr_map() - PCI bus address of a CPU physical address
 * @provider: handle of the BAR that holds @paddr
 * @paddr: CPU physical address inside that BAR
 *
 * What a peer below the same PCI switch puts in its DMA descriptors (map
 * type P2PDMA_EXT_MAP_BUS_ADDR); upstream's pci_p2pdma_bus_addr_map().
 *
 * Context: any context.
 * Return: @paddr + @provider->bus_offset.
 */
static inline dma_addr_t
p2pdma_ext_bus_addr_map(const struct p2pdma_ext_provider *provider,
			phys_addr_t paddr)
{
	return paddr + provider->bus_offset;
}

/**
 * p2pdma_ext_find() - the published provider nearest to one client
 * @client: the device that will DMA to the memory
 *
 * Return: the provider with a reference (drop it with pci_dev_put()), or
 * NULL.
 */
static inline struct pci_dev *p2pdma_ext_find(struct device *client)
{
	return p2pdma_ext_find_many(&client, 1);
}

/**
 * enum p2pdma_ext_map_type - how a client reaches a provider's memory
 * @P2PDMA_EXT_MAP_UNKNOWN: not determined (never returned by this module)
 * @P2PDMA_EXT_MAP_NONE: not P2P memory (never returned by this module)
 * @P2PDMA_EXT_MAP_NOT_SUPPORTED: peer-to-peer DMA is not possible
 * @P2PDMA_EXT_MAP_BUS_ADDR: directly, using PCI bus addresses
 * @P2PDMA_EXT_MAP_THRU_HOST_BRIDGE: through the host bridge, mapped like
 *	any other memory (CPU physical address through the DMA API)
 *
 * The values are those of the kernel's enum pci_p2pdma_map_type.
 */
enum p2pdma_ext_map_type {
	P2PDMA_EXT_MAP_UNKNOWN = 0,
	P2PDMA_EXT_MAP_NONE,
	P2PDMA_EXT_MAP_NOT_SUPPORTED,
	P2PDMA_EXT_MAP_BUS_ADDR,
	P2PDMA_EXT_MAP_THRU_HOST_BRIDGE,
};

/*
 * Topology (src/topo_api.c has the full kernel-doc): the same answers as
 * the kernel's pci_p2pdma_distance_many() and pci_p2pdma_map_type(), from
 * the p2pdma_ext walker with its host bridge allowlist parameters, on
 * every kernel; why a pair can or cannot do peer-to-peer DMA, in at most
 * P2PDMA_EXT_EXPLAIN_MAX bytes; and the flush of the cached answers.
 */
int p2pdma_ext_distance_many(struct pci_dev *provider, struct device **clients,
			     int num_clients, bool verbose);

/**
 * p2pdma_ext_distance() - how far one client is from a provider
 * @provider: PCI device whose memory would be used
 * @client: device that would DMA to it
 * @verbose: log why not, if it cannot
 *
 * Context: process context; may sleep.
 * Return: the distance, or -1 if @client cannot use @provider.
 */
static inline int p2pdma_ext_distance(struct pci_dev *provider,
				      struct device *client, bool verbose)
{
	return p2pdma_ext_distance_many(provider, &client, 1, verbose);
}

enum p2pdma_ext_map_type p2pdma_ext_map_type(struct pci_dev *provider,
					     struct device *client);

int p2pdma_ext_explain(struct pci_dev *provider, struct device *client,
		       char *buf, size_t len);

void p2pdma_ext_topology_flush(void);

/*
 * Client side: DMA-mapping P2P memory for the device that will do the DMA
 * (src/client_map.c has the full kernel-doc; Documentation/kernel-api.rst
 * has the guide). The decision for every P2P segment is the module's
 * (p2pdma_ext_map_type(), with the allowlist parameters), on every kernel.
 */
struct dma_buf_attachment;
struct page;
struct sg_table;

/**
 * struct p2pdma_ext_map_state - what the last P2P page looked up was
 * @mem: provider handle of its memory (NULL until a P2P page was seen)
 * @map: how the client reaches it
 * @pgmap: private: the pgmap @mem and @map were found for
 *
 * Upstream's struct pci_p2pdma_map_state. Zero it before its first use;
 * one state serves one client device.
 */
struct p2pdma_ext_map_state {
	struct p2pdma_ext_provider *mem;
	enum p2pdma_ext_map_type map;
	void *pgmap;
};

/**
 * struct p2pdma_ext_phys_vec - a physically contiguous range
 * @paddr: CPU physical address of its first byte
 * @len: its length in bytes
 *
 * The members of the kernel's struct phys_vec (Linux 6.19 and later).
 */
struct p2pdma_ext_phys_vec {
	phys_addr_t paddr;
	size_t len;
};

bool p2pdma_ext_is_p2pdma_page(const struct page *page);
enum p2pdma_ext_map_type
p2pdma_ext_state(struct p2pdma_ext_map_state *state, struct device *dev,
		 struct page *page);
enum p2pdma_ext_map_type
p2pdma_ext_provider_map_type(struct p2pdma_ext_provider *provider,
			     struct device *dev);
int p2pdma_ext_map_sg_attrs(struct device *dev, struct scatterlist *sg,
			    int nents, enum dma_data_direction dir,
			    unsigned long attrs);
void p2pdma_ext_unmap_sg_attrs(struct device *dev, struct scatterlist *sg,
			       int nents, enum dma_data_direction dir,
			       unsigned long attrs);
struct sg_table *
p2pdma_ext_phys_vec_to_sgt(struct dma_buf_attachment *attach,
			   struct p2pdma_ext_provider *provider,
			   struct p2pdma_ext_phys_vec *phys_vec,
			   size_t nr_ranges, size_t size,
			   enum dma_data_direction dir);
void p2pdma_ext_free_sgt(struct dma_buf_attachment *attach,
			 struct sg_table *sgt, enum dma_data_direction dir);

/*
 * DMA-BUF export of PCI BAR MMIO (src/dmabuf.c has the full kernel-doc).
 * The exporting driver must call p2pdma_ext_dmabuf_revoke_dev() (or revoke
 * each dma-buf) before its remove() returns.
 */
struct dma_buf;
struct dma_buf_attach_ops;

/**
 * struct p2pdma_ext_bar_range - one page-aligned range of a BAR
 * @offset: byte offset in the BAR
 * @length: bytes
 */
struct p2pdma_ext_bar_range {
	u64 offset;
	u64 length;
};

struct dma_buf *p2pdma_ext_dmabuf_export(struct pci_dev *pdev, int bar,
					 const struct p2pdma_ext_bar_range *ranges,
					 unsigned int nr_ranges);
bool p2pdma_ext_dmabuf_revoke(struct dma_buf *dmabuf);
void p2pdma_ext_dmabuf_revoke_dev(struct pci_dev *pdev);
void p2pdma_ext_dmabuf_set_notify(struct dma_buf_attach_ops *ops,
				  void (*notify)(struct dma_buf_attachment *));

/* The upstream-name drop-in's client side, if it was held back (above). */
#ifdef P2PDMA_EXT_COMPAT_PCI_P2PDMA_H
#include <linux/pci-p2pdma.h>
#endif

#endif /* _LINUX_P2PDMA_EXT_H */
