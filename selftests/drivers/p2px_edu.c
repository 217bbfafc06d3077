// SPDX-License-Identifier: GPL-2.0
/*
 * p2px_edu: test driver for QEMU's "edu" device (1234:11e8) that uses the
 * p2pdma_ext API the way an orchestrator would: find the P2P provider
 * nearest to edu, allocate P2P memory from it, translate it to a bus
 * address and let edu's DMA engine move bytes between RAM and that memory,
 * i.e. real peer-to-peer DMA from edu into another device's BAR.
 *
 * debugfs interface, /sys/kernel/debug/p2px_edu/:
 *   copy  write "LEN SEED": run the test with LEN bytes (1..4095) of the
 *         pattern byte[i] = SEED + 7 * i + (i >> 8) (mod 256); the write
 *         fails with the errno of the failing step. Read: the last result,
 *         "provider BDF bar N offset OFF bus ADDR len LEN seed SEED" and
 *         then the first and last 64 bytes of the P2P memory in hex.
 *
 * The test, with P = the P2P memory and E = edu's internal buffer:
 *   1. the CPU writes ~pattern into P; edu DMA P -> E -> RAM; RAM must hold
 *      ~pattern (edu read the peer's BAR);
 *   2. RAM holds the pattern; edu DMA RAM -> E -> P; P must hold the
 *      pattern (edu wrote the peer's BAR).
 * The P2P memory stays allocated (and holds the pattern) until the next
 * run or until the driver unbinds, so that the host can check it.
 *
 * A client behind a translating IOMMU is refused up front: a raw bus
 * address is not a valid DMA address there.
 *
 *   registry  registry API calls as an orchestrator makes them, the write
 *         fails with the call's errno:
 *         "find": p2pdma_ext_find() for edu (-ENODEV: none); read: its BDF;
 *         "alloc SIZE": p2pdma_ext_alloc() (-ENOMEM: NULL) from the
 *         provider p2pdma_ext_find() gives for edu (-ENODEV: none), freed
 *         at once; read: that provider's BDF;
 *         "firstfit SIZE SEED OPS": release the copy test's memory,
 *         then OPS random allocations and frees from that provider, each
 *         checked against where first fit places it in a pool of one
 *         range of SIZE bytes (-EBUSY: the pool is not that, -EIO: a
 *         difference, logged).
 *         The provider's device lock is held while its memory is used, so
 *         that it cannot unbind (or bind, half set up) meanwhile; memory
 *         is only registered and published by the driver of its device.
 *   dmabuf  a dma-buf importer (the DMA-BUF exporter's test). Write:
 *         "import FD"  dma_buf_dynamic_attach() edu to dma-buf FD of the
 *                      writing process, peer2peer allowed, with a notify
 *                      callback that counts and unmaps;
 *         "map"        map the attachment (errno of the map on failure);
 *         "dma OFF LEN SEED"  with the mapping held (under the resv lock):
 *                      edu reads LEN bytes at dma-buf offset OFF into RAM
 *                      (shown as "read" below), then writes the pattern
 *                      there;
 *         "unmap", "detach";
 *         "slow 0|1"   1: the notify callback only counts and leaves the
 *                      mapping until "unmap" (a slow importer, which
 *                      revoke must wait for); default 0.
 *         Read: "attached A mapped M notified N map_errors E last_error
 *         X dma ADDR\nread HEX\nsg0 SG" (ADDR: DMA address of the last
 *         "dma", HEX: the first 64 bytes it read, SG: DMA address of the
 *         current mapping's first entry, 0 if unmapped).
 *   client  a client driver's use of p2pdma_ext_map_sg_attrs(). Write
 *         "map PROVIDER LEN SEED MIX DMA": PROVIDER is "find" (the one
 *         p2pdma_ext_find() gives for edu) or a BDF; LEN bytes (1..4095)
 *         of P2P memory from it go into a scatterlist (MIX 0: alone; MIX
 *         1: between two RAM pages), mapped for edu; MIX 2: as a vendor
 *         dma-buf exporter's map callback would, the range of that memory
 *         through p2pdma_ext_phys_vec_to_sgt() with the provider handle of
 *         its BAR and an attachment of edu (type: that handle's
 *         p2pdma_ext_provider_map_type()); MIX 3: alone, mapped with
 *         preemption off right after p2pdma_ext_topology_flush(), as a
 *         driver maps in atomic context when the cached answer went
 *         stale (the map must not sleep); MIX 4: alone, mapped with
 *         preemption off before anything asked about the pair (the map
 *         is the pair's first lookup; T is asked after it). DMA 1:
 *         through the mapped addresses edu reads the P2P entry (the CPU
 *         wrote ~pattern there) into the last RAM entry (MIX 0: a coherent
 *         buffer) and writes the pattern from the first RAM entry (MIX 0:
 *         another coherent buffer) into the P2P entry; the list is
 *         unmapped, then every byte is checked. The write fails with the
 *         errno of the failing step (the map's: nothing is left mapped).
 *         The P2P memory is kept as by "copy" when DMA 1 succeeded. Read:
 *         "ret R type T nents N p2p_page P ram_page Q\ndma A0 [A1 A2]\n"
 *         then, after a successful map, "provider BDF bar N offset OFF bus
 *         ADDR len LEN\n" and after DMA 1 "head HEX\ntail HEX\n" (R: what
 *         the map returned; T: p2pdma_ext_state() for the P2P page; P, Q:
 *         p2pdma_ext_is_p2pdma_page() of the P2P page and of a RAM page;
 *         A: sg_dma_address() of each entry; HEX as "copy").
 *         "parity PROVIDER PAGES" (native back end only, else
 *         -EOPNOTSUPP): PAGES (1..16) pages of P2P memory from PROVIDER,
 *         a page an entry, mapped for edu both by
 *         p2pdma_ext_map_sg_attrs() and by the kernel's dma_map_sg().
 *         Read: "ours R kernel K nents N [first I ours A kernel B]
 *         mismatches M" (R, K: what each map returned; M: pages whose
 *         two addresses land on different places, an IOVA counted as
 *         the address it translates to; I, A, B: the first of them).
 */
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2	/* edu buffer -> address; else address -> edu */
#define EDU_BUF		0x40000
#define EDU_BUF_SIZE	4096
/* QEMU 7.2's edu aborts on a DMA that ends exactly at its buffer's end. */
#define EDU_DMA_MAX	(EDU_BUF_SIZE - 1)
#define EDU_SHOW	64

/**
 * struct p2px_edu - one bound edu device
 * @pdev: the edu device
 * @regs: BAR0
 * @lock: serialises test runs and protects everything below
 * @provider: provider of @p2p (reference held) or NULL
 * @p2p: P2P memory kept from the last run, or NULL
 * @len: its size
 * @result: text of the last run's result
 * @found: BDF of the last provider p2pdma_ext_find() gave for edu
 * @dmabuf: imported dma-buf (reference held) or NULL
 * @attach: its attachment
 * @sgt: its mapping, or NULL (under the dma-buf's resv lock)
 * @notified: notify callbacks seen (under the resv lock)
 * @slow: the notify callback leaves the mapping to "unmap"
 * @map_errors: failed maps
 * @last_error: errno of the last failed map
 * @dma: DMA address of the last "dma" command
 * @read: the first bytes that command read
 */
struct p2px_edu {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct mutex lock;	/* serialises runs, protects what follows */
	struct pci_dev *provider;
	void *p2p;
	size_t len;
	char result[512];
	char found[32];
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	unsigned int notified;
	bool slow;
	unsigned int map_errors;
	int last_error;
	u64 dma;
	u8 read[EDU_SHOW];
};

static struct dentry *p2px_edu_dir;

static int p2px_edu_dma(struct p2px_edu *e, u64 src, u64 dst, u32 len,
			u32 cmd)
{
	int i;

	writeq(src, e->regs + EDU_DMA_SRC);
	writeq(dst, e->regs + EDU_DMA_DST);
	writeq(len, e->regs + EDU_DMA_CNT);
	writeq(cmd | EDU_CMD_START, e->regs + EDU_DMA_CMD);
	/* QEMU completes an edu DMA about 100 ms later. */
	for (i = 0; i < 150; i++) {
		if (!(readq(e->regs + EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		msleep(20);
	}
	pci_err(e->pdev, "edu DMA did not complete\n");
	return -ETIMEDOUT;
}

static u8 p2px_edu_pattern(u32 seed, size_t i)
{
	return (u8)(seed + 7 * i + (i >> 8));
}

static void p2px_edu_drop(struct p2px_edu *e)
{
	if (e->p2p)
		p2pdma_ext_free(e->provider, e->p2p, e->len);
	pci_dev_put(e->provider);
	e->p2p = NULL;
	e->provider = NULL;
}

/*
 * The published provider nearest to @client, with a reference and its
 * device lock held, still a provider under that lock; NULL if there is
 * none. Never called with e->lock held: the provider's remove() may wait
 * for this driver's dma-buf importer, which takes e->lock.
 */
static struct pci_dev *p2px_edu_lock_provider(struct device *client)
{
	struct pci_dev *prov;

	prov = p2pdma_ext_find(client);
	if (!prov)
		return NULL;
	device_lock(&prov->dev);
	if (p2pdma_ext_has_p2pmem(prov))
		return prov;
	device_unlock(&prov->dev);
	pci_dev_put(prov);
	return NULL;
}

static void p2px_edu_unlock_provider(struct pci_dev *prov)
{
	device_unlock(&prov->dev);
	pci_dev_put(prov);
}

/* The BAR of @pdev that holds bus address @bus, and the offset in it. */
static int p2px_edu_bar_of(struct pci_dev *pdev, pci_bus_addr_t bus,
			   u64 *offset)
{
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		pci_bus_addr_t start = pci_bus_address(pdev, bar);

		if (pci_resource_len(pdev, bar) && bus >= start &&
		    bus - start < pci_resource_len(pdev, bar)) {
			*offset = bus - start;
			return bar;
		}
	}
	return -1;
}

/*
 * The copy test on @len bytes of @mem (NULL if the allocation failed),
 * allocated from @prov (NULL if none was found; the run takes over the
 * reference and the memory).
 */
static int p2px_edu_run(struct p2px_edu *e, struct pci_dev *prov,
			void *mem, size_t len, u32 seed)
{
	struct device *client = &e->pdev->dev;
	struct iommu_domain *dom;
	dma_addr_t ram_dma;
	pci_bus_addr_t bus;
	u8 *ram, *p2p;
	int ret, bar, n;
	u64 offset = 0;
	size_t i;

	p2px_edu_drop(e);
	e->result[0] = 0;
	e->provider = prov;
	e->p2p = mem;
	e->len = len;

	dom = iommu_get_domain_for_dev(client);
	if (dom && dom->type != IOMMU_DOMAIN_IDENTITY) {
		pci_info(e->pdev, "p2px_edu: refused: DMA is translated by an IOMMU, bus addresses are not DMA addresses\n");
		p2px_edu_drop(e);
		return -EOPNOTSUPP;
	}

	if (!prov)
		return -ENODEV;
	if (!mem) {
		p2px_edu_drop(e);
		return -ENOMEM;
	}
	p2p = e->p2p;
	bus = p2pdma_ext_virt_to_bus(e->provider, p2p);
	bar = p2px_edu_bar_of(e->provider, bus, &offset);
	if (!bus || bar < 0) {
		p2px_edu_drop(e);
		return -EFAULT;
	}

	ram = dma_alloc_coherent(client, EDU_BUF_SIZE, &ram_dma, GFP_KERNEL);
	if (!ram) {
		p2px_edu_drop(e);
		return -ENOMEM;
	}

	/* 1. edu reads the peer's memory. */
	for (i = 0; i < len; i++)
		writeb(~p2px_edu_pattern(seed, i), p2p + i);
	memset(ram, 0, len);
	ret = p2px_edu_dma(e, bus, EDU_BUF, len, 0);
	if (!ret)
		ret = p2px_edu_dma(e, EDU_BUF, ram_dma, len, EDU_CMD_TO_RAM);
	for (i = 0; !ret && i < len; i++) {
		if (ram[i] != (u8)~p2px_edu_pattern(seed, i)) {
			pci_err(e->pdev, "p2px_edu: P2P read: byte %zu is %#x, want %#x\n",
				i, ram[i], (u8)~p2px_edu_pattern(seed, i));
			ret = -EIO;
		}
	}

	/* 2. edu writes the peer's memory. */
	for (i = 0; !ret && i < len; i++)
		ram[i] = p2px_edu_pattern(seed, i);
	if (!ret)
		ret = p2px_edu_dma(e, ram_dma, EDU_BUF, len, 0);
	if (!ret)
		ret = p2px_edu_dma(e, EDU_BUF, bus, len, EDU_CMD_TO_RAM);
	for (i = 0; !ret && i < len; i++) {
		u8 got = readb(p2p + i);

		if (got != p2px_edu_pattern(seed, i)) {
			pci_err(e->pdev, "p2px_edu: P2P write: byte %zu is %#x, want %#x\n",
				i, got, p2px_edu_pattern(seed, i));
			ret = -EIO;
		}
	}
	dma_free_coherent(client, EDU_BUF_SIZE, ram, ram_dma);
	if (ret) {
		p2px_edu_drop(e);
		return ret;
	}

	n = scnprintf(e->result, sizeof(e->result),
		      "provider %s bar %d offset %llu bus %#llx len %zu seed %u\nhead ",
		      pci_name(e->provider), bar, offset, (u64)bus, len, seed);
	for (i = 0; i < min_t(size_t, len, EDU_SHOW); i++)
		n += scnprintf(e->result + n, sizeof(e->result) - n, "%02x",
			       readb(p2p + i));
	n += scnprintf(e->result + n, sizeof(e->result) - n, "\ntail ");
	for (i = len - min_t(size_t, len, EDU_SHOW); i < len; i++)
		n += scnprintf(e->result + n, sizeof(e->result) - n, "%02x",
			       readb(p2p + i));
	scnprintf(e->result + n, sizeof(e->result) - n, "\n");
	pci_info(e->pdev, "p2px_edu: %zu bytes moved by peer-to-peer DMA to and from %s BAR %d\n",
		 len, pci_name(e->provider), bar);
	return 0;
}

/* Copy a debugfs command of at most @len - 1 bytes into @buf, NUL-ended. */
static int p2px_edu_get_cmd(const char __user *ubuf, size_t count, char *buf,
			    size_t len)
{
	if (count >= len)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	return 0;
}

/* Read side of a debugfs file showing the string @str under e->lock. */
static ssize_t p2px_edu_read_str(struct p2px_edu *e, char __user *ubuf,
				 size_t count, loff_t *ppos, const char *str)
{
	ssize_t ret;

	mutex_lock(&e->lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, str, strlen(str));
	mutex_unlock(&e->lock);
	return ret;
}

static ssize_t p2px_edu_copy_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct p2px_edu *e = file->private_data;
	struct pci_dev *prov;
	unsigned int len, seed;
	void *p2p = NULL;
	char buf[32];
	int ret;

	ret = p2px_edu_get_cmd(ubuf, count, buf, sizeof(buf));
	if (ret)
		return ret;
	if (sscanf(buf, "%u %u", &len, &seed) != 2 || !len ||
	    len > EDU_DMA_MAX)
		return -EINVAL;

	/*
	 * Allocated under the provider's device lock; the memory then holds
	 * the provider's pool until it is freed (its unbind waits for that).
	 */
	prov = p2px_edu_lock_provider(&e->pdev->dev);
	if (prov) {
		p2p = p2pdma_ext_alloc(prov, len);
		device_unlock(&prov->dev);
	}
	mutex_lock(&e->lock);
	ret = p2px_edu_run(e, prov, p2p, len, seed);
	mutex_unlock(&e->lock);
	return ret ? ret : count;
}

static ssize_t p2px_edu_copy_read(struct file *file, char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct p2px_edu *e = file->private_data;

	return p2px_edu_read_str(e, ubuf, count, ppos, e->result);
}

static const struct file_operations p2px_edu_copy_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = p2px_edu_copy_read,
	.write = p2px_edu_copy_write,
	.llseek = default_llseek,
};

/* --- placement check ----------------------------------------------- */

/* Allocation sizes of the placement check, in pages. */
static const unsigned int p2px_edu_ff_pages[] = {
	1, 1, 1, 2, 3, 4, 5, 8, 16, 17, 32, 64, 256,
};

#define EDU_FF_HELD	512

/**
 * struct p2px_edu_ff - one allocation held by the placement check
 * @addr: its address
 * @first: its first page in the pool
 * @nr: its pages
 */
struct p2px_edu_ff {
	void *addr;
	unsigned long first;
	unsigned int nr;
};

static u32 p2px_edu_xorshift(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/*
 * @ops random allocations (sizes from p2px_edu_ff_pages) and frees on the
 * empty pool of @shm, whose P2P memory is one range of @size bytes: each
 * allocation must come back where first fit places it in a model of the
 * pool (the lowest run of free pages long enough), or fail exactly when
 * the model has no such run. Everything is freed at the end. Returns 0,
 * -EBUSY if the pool is not one empty range of @size bytes, -ENOMEM, or
 * -EIO (and one log line) at the first difference.
 */
static int p2px_edu_first_fit(struct pci_dev *shm, u64 size, u32 seed,
			      unsigned int ops)
{
	unsigned long nbits = size >> PAGE_SHIFT, want, *model;
	unsigned int i, held = 0, nr, pick;
	struct p2px_edu_ff *ff, *h;
	u32 state = seed | 1;
	void *base, *addr;
	int ret = 0;

	if (!nbits || size & ~PAGE_MASK || size > SZ_1G)
		return -EINVAL;
	base = p2pdma_ext_alloc(shm, size);
	if (!base)
		return -EBUSY;
	p2pdma_ext_free(shm, base, size);
	model = bitmap_zalloc(nbits, GFP_KERNEL);
	ff = kcalloc(EDU_FF_HELD, sizeof(*ff), GFP_KERNEL);
	if (!model || !ff) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ops; i++) {
		pick = p2px_edu_xorshift(&state);
		if (held && (held == EDU_FF_HELD || pick % 3 == 0)) {
			h = &ff[(pick >> 2) % held];
			p2pdma_ext_free(shm, h->addr, (size_t)h->nr << PAGE_SHIFT);
			bitmap_clear(model, h->first, h->nr);
			*h = ff[--held];
			continue;
		}
		nr = p2px_edu_ff_pages[(pick >> 2) %
				       ARRAY_SIZE(p2px_edu_ff_pages)];
		want = bitmap_find_next_zero_area(model, nbits, 0, nr, 0);
		addr = p2pdma_ext_alloc(shm, (size_t)nr << PAGE_SHIFT);
		if (want >= nbits ? !addr :
		    addr == base + (want << PAGE_SHIFT)) {
			if (!addr)
				continue;
			bitmap_set(model, want, nr);
			ff[held++] = (struct p2px_edu_ff){ addr, want, nr };
			continue;
		}
		pci_err(shm, "p2px_edu: step %u: %u pages at page %ld, first fit places them at page %ld (-1: none)\n",
			i, nr, addr ? (long)((addr - base) >> PAGE_SHIFT) : -1L,
			want >= nbits ? -1L : (long)want);
		if (addr)
			p2pdma_ext_free(shm, addr, (size_t)nr << PAGE_SHIFT);
		ret = -EIO;
		break;
	}
out:
	while (held--)
		p2pdma_ext_free(shm, ff[held].addr,
				(size_t)ff[held].nr << PAGE_SHIFT);
	kfree(ff);
	bitmap_free(model);
	return ret;
}

/* Show @prov as the provider found, under e->lock. */
static void p2px_edu_set_found(struct p2px_edu *e, struct pci_dev *prov)
{
	mutex_lock(&e->lock);
	strscpy(e->found, pci_name(prov), sizeof(e->found));
	mutex_unlock(&e->lock);
}

/* One registry API call, without e->lock; returns 0 or its errno. */
static int p2px_edu_registry(struct p2px_edu *e, const char *cmd)
{
	struct device *client = &e->pdev->dev;
	unsigned long long size;
	struct pci_dev *prov;
	unsigned int val, ops;
	void *addr;
	int ret;

	if (!strcmp(cmd, "find")) {
		prov = p2pdma_ext_find(client);
		if (!prov)
			return -ENODEV;
		p2px_edu_set_found(e, prov);
		pci_dev_put(prov);
		return 0;
	}
	if (sscanf(cmd, "alloc %llu", &size) == 1) {
		prov = p2px_edu_lock_provider(client);
		if (!prov)
			return -ENODEV;
		p2px_edu_set_found(e, prov);
		addr = p2pdma_ext_alloc(prov, size);
		if (addr)
			p2pdma_ext_free(prov, addr, size);
		p2px_edu_unlock_provider(prov);
		return addr ? 0 : -ENOMEM;
	}
	if (sscanf(cmd, "firstfit %llu %u %u", &size, &val, &ops) == 3) {
		/* The copy test's memory goes: the pool must be empty. */
		mutex_lock(&e->lock);
		p2px_edu_drop(e);
		mutex_unlock(&e->lock);
		prov = p2px_edu_lock_provider(client);
		if (!prov)
			return -ENODEV;
		p2px_edu_set_found(e, prov);
		ret = p2px_edu_first_fit(prov, size, val, ops);
		p2px_edu_unlock_provider(prov);
		return ret;
	}
	return -EINVAL;
}

static ssize_t p2px_edu_reg_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct p2px_edu *e = file->private_data;
	char buf[64];
	int ret;

	ret = p2px_edu_get_cmd(ubuf, count, buf, sizeof(buf));
	if (ret)
		return ret;
	strim(buf);
	ret = p2px_edu_registry(e, buf);
	return ret ? ret : count;
}

static ssize_t p2px_edu_reg_read(struct file *file, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct p2px_edu *e = file->private_data;

	return p2px_edu_read_str(e, ubuf, count, ppos, e->found);
}

static const struct file_operations p2px_edu_reg_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = p2px_edu_reg_read,
	.write = p2px_edu_reg_write,
	.llseek = default_llseek,
};

/* --- dma-buf importer ------------------------------------------------- */

/* Called with the resv lock held: drop the mapping at once. */
static void p2px_edu_notify(struct dma_buf_attachment *attach)
{
	struct p2px_edu *e = attach->importer_priv;

	e->notified++;
	if (e->sgt && !READ_ONCE(e->slow)) {
		dma_buf_unmap_attachment(attach, e->sgt, DMA_BIDIRECTIONAL);
		e->sgt = NULL;
	}
}

/* Not const: p2pdma_ext_dmabuf_set_notify() fills in the callback. */
static struct dma_buf_attach_ops p2px_edu_importer = {
	.allow_peer2peer = true,
};

static void p2px_edu_detach(struct p2px_edu *e)
{
	if (!e->dmabuf)
		return;
	dma_resv_lock(e->dmabuf->resv, NULL);
	if (e->sgt)
		dma_buf_unmap_attachment(e->attach, e->sgt, DMA_BIDIRECTIONAL);
	e->sgt = NULL;
	dma_resv_unlock(e->dmabuf->resv);
	dma_buf_detach(e->dmabuf, e->attach);
	dma_buf_put(e->dmabuf);
	e->dmabuf = NULL;
	e->attach = NULL;
}

static int p2px_edu_import(struct p2px_edu *e, int fd)
{
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;

	if (e->dmabuf)
		return -EBUSY;
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	attach = dma_buf_dynamic_attach(dmabuf, &e->pdev->dev,
					&p2px_edu_importer, e);
	if (IS_ERR(attach)) {
		dma_buf_put(dmabuf);
		return PTR_ERR(attach);
	}
	e->dmabuf = dmabuf;
	e->attach = attach;
	e->notified = 0;
	e->map_errors = 0;
	e->last_error = 0;
	return 0;
}

/* Caller holds the resv lock. */
static int p2px_edu_map_locked(struct p2px_edu *e)
{
	struct sg_table *sgt;

	if (e->sgt)
		return 0;
	sgt = dma_buf_map_attachment(e->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		e->map_errors++;
		e->last_error = PTR_ERR(sgt);
		return PTR_ERR(sgt);
	}
	e->sgt = sgt;
	return 0;
}

/* Edu reads @len bytes at dma-buf offset @off, then writes the pattern. */
static int p2px_edu_dmabuf_dma(struct p2px_edu *e, u64 off, u32 len, u32 seed)
{
	struct device *dev = &e->pdev->dev;
	struct scatterlist *sg;
	dma_addr_t ram_dma;
	u64 dma = 0;
	unsigned int i;
	int ret;
	u8 *ram;

	if (!e->dmabuf)
		return -ENOENT;
	ram = dma_alloc_coherent(dev, EDU_BUF_SIZE, &ram_dma, GFP_KERNEL);
	if (!ram)
		return -ENOMEM;
	dma_resv_lock(e->dmabuf->resv, NULL);
	ret = p2px_edu_map_locked(e);
	if (ret)
		goto out;
	ret = -ERANGE;
	for_each_sgtable_dma_sg(e->sgt, sg, i) {
		if (off < sg_dma_len(sg)) {
			if (off + len <= sg_dma_len(sg)) {
				dma = sg_dma_address(sg) + off;
				ret = 0;
			}
			break;
		}
		off -= sg_dma_len(sg);
	}
	if (ret)
		goto out;
	e->dma = dma;
	memset(ram, 0, len);
	ret = p2px_edu_dma(e, dma, EDU_BUF, len, 0);
	if (!ret)
		ret = p2px_edu_dma(e, EDU_BUF, ram_dma, len, EDU_CMD_TO_RAM);
	if (ret)
		goto out;
	memcpy(e->read, ram, min_t(size_t, len, EDU_SHOW));
	for (i = 0; i < len; i++)
		ram[i] = p2px_edu_pattern(seed, i);
	ret = p2px_edu_dma(e, ram_dma, EDU_BUF, len, 0);
	if (!ret)
		ret = p2px_edu_dma(e, EDU_BUF, dma, len, EDU_CMD_TO_RAM);
	if (!ret)
		pci_info(e->pdev, "p2px_edu: %u bytes moved by peer-to-peer DMA to and from a dma-buf\n",
			 len);
out:
	dma_resv_unlock(e->dmabuf->resv);
	dma_free_coherent(dev, EDU_BUF_SIZE, ram, ram_dma);
	return ret;
}

static ssize_t p2px_edu_dmabuf_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct p2px_edu *e = file->private_data;
	unsigned int len, seed;
	char buf[64];
	u64 off;
	int ret, fd;

	ret = p2px_edu_get_cmd(ubuf, count, buf, sizeof(buf));
	if (ret)
		return ret;

	mutex_lock(&e->lock);
	if (sscanf(buf, "import %d", &fd) == 1) {
		ret = p2px_edu_import(e, fd);
	} else if (!strncmp(buf, "map", 3)) {
		ret = -ENOENT;
		if (e->dmabuf) {
			dma_resv_lock(e->dmabuf->resv, NULL);
			ret = p2px_edu_map_locked(e);
			dma_resv_unlock(e->dmabuf->resv);
		}
	} else if (sscanf(buf, "dma %llu %u %u", &off, &len, &seed) == 3) {
		ret = -EINVAL;
		if (len && len <= EDU_DMA_MAX)
			ret = p2px_edu_dmabuf_dma(e, off, len, seed);
	} else if (!strncmp(buf, "unmap", 5)) {
		ret = -ENOENT;
		if (e->dmabuf) {
			dma_resv_lock(e->dmabuf->resv, NULL);
			if (e->sgt)
				dma_buf_unmap_attachment(e->attach, e->sgt,
							 DMA_BIDIRECTIONAL);
			e->sgt = NULL;
			dma_resv_unlock(e->dmabuf->resv);
			ret = 0;
		}
	} else if (sscanf(buf, "slow %u", &len) == 1) {
		WRITE_ONCE(e->slow, !!len);
		ret = 0;
	} else if (!strncmp(buf, "detach", 6)) {
		ret = e->dmabuf ? 0 : -ENOENT;
		p2px_edu_detach(e);
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&e->lock);
	return ret ? ret : count;
}

static ssize_t p2px_edu_dmabuf_read(struct file *file, char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	struct p2px_edu *e = file->private_data;
	dma_addr_t sg0 = 0;
	char buf[320];
	int n, i;

	mutex_lock(&e->lock);
	if (e->dmabuf)
		dma_resv_lock(e->dmabuf->resv, NULL);
	n = scnprintf(buf, sizeof(buf),
		      "attached %d mapped %d notified %u map_errors %u last_error %d dma %#llx\nread ",
		      !!e->dmabuf, !!e->sgt, e->notified, e->map_errors,
		      e->last_error, e->dma);
	if (e->sgt)
		sg0 = sg_dma_address(e->sgt->sgl);
	if (e->dmabuf)
		dma_resv_unlock(e->dmabuf->resv);
	for (i = 0; i < EDU_SHOW; i++)
		n += scnprintf(buf + n, sizeof(buf) - n, "%02x", e->read[i]);
	n += scnprintf(buf + n, sizeof(buf) - n, "\nsg0 %#llx\n", (u64)sg0);
	mutex_unlock(&e->lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations p2px_edu_dmabuf_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = p2px_edu_dmabuf_read,
	.write = p2px_edu_dmabuf_write,
	.llseek = default_llseek,
};

/* --- client side: p2pdma_ext_map_sg_attrs(), phys_vec_to_sgt() ----- */

/*
 * The provider named by @name ("find" or a BDF), with a reference and its
 * device lock held, still a provider under that lock; NULL if none.
 */
static struct pci_dev *p2px_edu_named_provider(struct p2px_edu *e,
					       const char *name)
{
	unsigned int dom, bus, slot, fn;
	struct pci_dev *prov;

	if (!strcmp(name, "find"))
		return p2px_edu_lock_provider(&e->pdev->dev);
	if (sscanf(name, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
		return NULL;
	prov = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
	if (!prov)
		return NULL;
	device_lock(&prov->dev);
	if (p2pdma_ext_has_p2pmem(prov))
		return prov;
	p2px_edu_unlock_provider(prov);
	return NULL;
}

/* Append the first and last EDU_SHOW bytes of @len at @mem to @buf. */
static int p2px_edu_show_mem(char *buf, size_t size, void *mem, size_t len)
{
	size_t i;
	int n;

	n = scnprintf(buf, size, "head ");
	for (i = 0; i < min_t(size_t, len, EDU_SHOW); i++)
		n += scnprintf(buf + n, size - n, "%02x", readb(mem + i));
	n += scnprintf(buf + n, size - n, "\ntail ");
	for (i = len - min_t(size_t, len, EDU_SHOW); i < len; i++)
		n += scnprintf(buf + n, size - n, "%02x", readb(mem + i));
	n += scnprintf(buf + n, size - n, "\n");
	return n;
}

/* Through the mapped addresses: read P2P into @out, write @in into P2P. */
static int p2px_edu_client_dma(struct p2px_edu *e, dma_addr_t p2p,
			       dma_addr_t in, dma_addr_t out, u32 len)
{
	int ret;

	ret = p2px_edu_dma(e, p2p, EDU_BUF, len, 0);
	if (!ret)
		ret = p2px_edu_dma(e, EDU_BUF, out, len, EDU_CMD_TO_RAM);
	if (!ret)
		ret = p2px_edu_dma(e, in, EDU_BUF, len, 0);
	if (!ret)
		ret = p2px_edu_dma(e, EDU_BUF, p2p, len, EDU_CMD_TO_RAM);
	return ret;
}

/* Do @out and the P2P memory hold what the DMA should have put there? */
static int p2px_edu_client_check(struct p2px_edu *e, const u8 *out, u32 len,
				 u32 seed)
{
	u32 i;

	for (i = 0; i < len; i++) {
		if (out[i] != (u8)~p2px_edu_pattern(seed, i)) {
			pci_err(e->pdev, "p2px_edu: client P2P read: byte %u is %#x\n",
				i, out[i]);
			return -EIO;
		}
		if (readb(e->p2p + i) != p2px_edu_pattern(seed, i)) {
			pci_err(e->pdev, "p2px_edu: client P2P write: byte %u is %#x\n",
				i, readb(e->p2p + i));
			return -EIO;
		}
	}
	return 0;
}

/*
 * MIX 2: the P2P range of @p2p_sg through p2pdma_ext_phys_vec_to_sgt(),
 * as a vendor's dma-buf exporter maps a range of its BAR for an importer
 * (@attach stands for the importer's attachment: the helper reads its
 * device). The table's first address goes into @p2p_sg. Return: the
 * table's entries or a negative errno; *@sgt the table or NULL.
 */
static int p2px_edu_vendor_map(struct pci_dev *prov, int bar,
			       struct dma_buf_attachment *attach,
			       struct scatterlist *p2p_sg,
			       struct sg_table **sgt,
			       enum p2pdma_ext_map_type *type)
{
	struct p2pdma_ext_phys_vec vec = {
		.paddr = sg_phys(p2p_sg), .len = p2p_sg->length,
	};
	struct p2pdma_ext_provider *handle;

	*sgt = NULL;
	handle = p2pdma_ext_provider_get(prov, bar);
	*type = p2pdma_ext_provider_map_type(handle, attach->dev);
	if (!handle)
		return -ENODEV;
	*sgt = p2pdma_ext_phys_vec_to_sgt(attach, handle, &vec, 1, vec.len,
					  DMA_BIDIRECTIONAL);
	if (IS_ERR(*sgt)) {
		int ret = PTR_ERR(*sgt);

		*sgt = NULL;
		return ret;
	}
	sg_dma_address(p2p_sg) = sg_dma_address((*sgt)->sgl);
	return (*sgt)->orig_nents;
}

/*
 * The "map" command on @len bytes of @mem from @prov (the run takes over
 * the reference and the memory). Caller holds e->lock.
 */
static int p2px_edu_client(struct p2px_edu *e, struct pci_dev *prov,
			   void *mem, u32 len, u32 seed, unsigned int mode,
			   bool dma)
{
	struct dma_buf_attachment attach = { .dev = &e->pdev->dev };
	struct p2pdma_ext_map_state state = {};
	struct device *client = &e->pdev->dev;
	bool mix = mode == 1, vendor = mode == 2, first = mode == 4;
	bool atomic = mode == 3 || first;
	int nents = mix ? 3 : 1, ret, n, i, bar;
	struct sg_table *sgt = NULL;
	struct page *ram[2] = { NULL, NULL };
	struct scatterlist sgl[3], *p2p_sg;
	dma_addr_t cdma = 0, in, out;
	u8 *cbuf = NULL, *in_cpu, *out_cpu;
	enum p2pdma_ext_map_type type;
	pci_bus_addr_t bus;
	u64 offset = 0;
	size_t size = sizeof(e->result);

	p2px_edu_drop(e);
	e->result[0] = 0;
	e->provider = prov;
	e->p2p = mem;
	e->len = len;
	if (!mem) {
		p2px_edu_drop(e);
		return -ENOMEM;
	}
	ret = -ENOMEM;
	if (mix) {
		ram[0] = alloc_page(GFP_KERNEL);
		ram[1] = alloc_page(GFP_KERNEL);
		if (!ram[0] || !ram[1])
			goto out;
		in_cpu = page_address(ram[0]);
		out_cpu = page_address(ram[1]);
	} else {
		cbuf = dma_alloc_coherent(client, 2 * EDU_BUF_SIZE, &cdma,
					  GFP_KERNEL);
		if (!cbuf)
			goto out;
		out_cpu = cbuf;
		in_cpu = cbuf + EDU_BUF_SIZE;
	}
	for (i = 0; i < len; i++) {
		in_cpu[i] = p2px_edu_pattern(seed, i);
		out_cpu[i] = 0;
	}

	sg_init_table(sgl, nents);
	p2p_sg = &sgl[mix ? 1 : 0];
	if (mix) {
		sg_set_page(&sgl[0], ram[0], len, 0);
		sg_set_page(&sgl[2], ram[1], len, 0);
	}
	sg_set_buf(p2p_sg, e->p2p, len);
	bus = p2pdma_ext_virt_to_bus(prov, e->p2p);
	bar = p2px_edu_bar_of(prov, bus, &offset);
	if (vendor) {
		ret = p2px_edu_vendor_map(prov, bar, &attach, p2p_sg, &sgt,
					  &type);
	} else {
		/* MIX 4: the map itself is the pair's first lookup. */
		if (!first)
			type = p2pdma_ext_state(&state, client,
						virt_to_page(e->p2p));
		/* MIX 3: a stale answer, decided again in the map. */
		if (mode == 3)
			p2pdma_ext_topology_flush();
		if (atomic)
			preempt_disable();
		ret = p2pdma_ext_map_sg_attrs(client, sgl, nents,
					      DMA_BIDIRECTIONAL, 0);
		if (atomic)
			preempt_enable();
		if (first)
			type = p2pdma_ext_state(&state, client,
						virt_to_page(e->p2p));
	}
	n = scnprintf(e->result, size,
		      "ret %d type %d nents %d p2p_page %d ram_page %d\ndma",
		      ret, type, nents,
		      p2pdma_ext_is_p2pdma_page(virt_to_page(e->p2p)),
		      p2pdma_ext_is_p2pdma_page(virt_to_page(e->result)));
	if (ret < 0) {
		n += scnprintf(e->result + n, size - n, "\n");
		goto out;
	}
	for (i = 0; i < nents; i++)
		n += scnprintf(e->result + n, size - n, " %#llx",
			       (u64)sg_dma_address(&sgl[i]));
	n += scnprintf(e->result + n, size - n,
		       "\nprovider %s bar %d offset %llu bus %#llx len %u\n",
		       pci_name(prov), bar, offset, (u64)bus, len);

	ret = 0;
	if (dma) {
		/* Only now: a run that moves nothing leaves the memory alone. */
		for (i = 0; i < len; i++)
			writeb(~p2px_edu_pattern(seed, i), e->p2p + i);
		in = mix ? sg_dma_address(&sgl[0]) : cdma + EDU_BUF_SIZE;
		out = mix ? sg_dma_address(&sgl[2]) : cdma;
		ret = p2px_edu_client_dma(e, sg_dma_address(p2p_sg), in, out,
					  len);
	}
	if (vendor)
		p2pdma_ext_free_sgt(&attach, sgt, DMA_BIDIRECTIONAL);
	else
		p2pdma_ext_unmap_sg_attrs(client, sgl, nents,
					  DMA_BIDIRECTIONAL, 0);
	if (dma && !ret)
		ret = p2px_edu_client_check(e, out_cpu, len, seed);
	if (dma && !ret) {
		p2px_edu_show_mem(e->result + n, size - n, e->p2p, len);
		pci_info(e->pdev, "p2px_edu: %u bytes moved through a P2P scatterlist mapping (map type %d)\n",
			 len, type);
	}
out:
	if (cbuf)
		dma_free_coherent(client, 2 * EDU_BUF_SIZE, cbuf, cdma);
	for (i = 0; i < 2; i++)
		if (ram[i])
			__free_page(ram[i]);
	/* Kept for the host's check only when edu moved the bytes. */
	if (ret || !dma)
		p2px_edu_drop(e);
	return ret;
}

/* --- 7.2 parity: p2pdma_ext_map_sg_attrs() against dma_map_sg() ---- */

#define EDU_PARITY_MAX	16	/* pages */

/*
 * Where @addr, the DMA address of the P2P page at @virt for @dev, lands:
 * its bus address as is, any other address as a translating IOMMU turns
 * it (two mappings of one page get different IOVAs, the same page).
 */
static u64 p2px_edu_lands(struct device *dev, struct pci_dev *prov,
			  void *virt, dma_addr_t addr)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);

	if (!dom || dom->type == IOMMU_DOMAIN_IDENTITY ||
	    addr == p2pdma_ext_virt_to_bus(prov, virt))
		return addr;
	return iommu_iova_to_phys(dom, addr);
}

/*
 * The "parity" command: @pages pages of @mem from @prov, one scatterlist
 * entry each, mapped for edu by p2pdma_ext_map_sg_attrs() and, a copy of
 * the list, by the kernel's dma_map_sg(); each page's address in the two
 * (the kernel's walked through the segments it may have merged) must
 * land on the same place. Caller holds e->lock.
 */
static int p2px_edu_parity(struct p2px_edu *e, struct pci_dev *prov,
			   void *mem, unsigned int pages)
{
	struct scatterlist ours[EDU_PARITY_MAX], theirs[EDU_PARITY_MAX], *k;
	struct device *client = &e->pdev->dev;
	size_t size = sizeof(e->result);
	unsigned int i, bad = 0, off = 0;
	int ret, kn = 0, n;
	u64 a, b;

	p2px_edu_drop(e);
	e->result[0] = 0;
	e->provider = prov;
	e->p2p = mem;
	e->len = pages * PAGE_SIZE;
	if (!mem) {
		p2px_edu_drop(e);
		return -ENOMEM;
	}
	sg_init_table(ours, pages);
	sg_init_table(theirs, pages);
	for (i = 0; i < pages; i++) {
		sg_set_page(&ours[i], virt_to_page(mem + i * PAGE_SIZE),
			    PAGE_SIZE, 0);
		sg_set_page(&theirs[i], virt_to_page(mem + i * PAGE_SIZE),
			    PAGE_SIZE, 0);
	}
	ret = p2pdma_ext_map_sg_attrs(client, ours, pages, DMA_BIDIRECTIONAL,
				      0);
	kn = dma_map_sg(client, theirs, pages, DMA_BIDIRECTIONAL);
	n = scnprintf(e->result, size, "ours %d kernel %d nents %u", ret, kn,
		      pages);
	for (i = 0, k = theirs; ret > 0 && kn > 0 && i < pages; i++) {
		a = p2px_edu_lands(client, prov, mem + i * PAGE_SIZE,
				   sg_dma_address(&ours[i]));
		b = p2px_edu_lands(client, prov, mem + i * PAGE_SIZE,
				   sg_dma_address(k) + off);
		if (a != b && !bad++)
			n += scnprintf(e->result + n, size - n,
				       " first %u ours %#llx kernel %#llx", i,
				       a, b);
		off += PAGE_SIZE;
		if (off >= sg_dma_len(k)) {
			k = sg_next(k);
			off = 0;
		}
	}
	scnprintf(e->result + n, size - n, " mismatches %u\n", bad);
	if (kn > 0)
		dma_unmap_sg(client, theirs, pages, DMA_BIDIRECTIONAL);
	if (ret > 0)
		p2pdma_ext_unmap_sg_attrs(client, ours, pages,
					  DMA_BIDIRECTIONAL, 0);
	p2px_edu_drop(e);
	return 0;
}

static ssize_t p2px_edu_client_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct p2px_edu *e = file->private_data;
	unsigned int len, seed, mix, dma;
	bool parity = false;
	struct pci_dev *prov;
	char buf[96], name[32];
	void *mem = NULL;
	int ret;

	ret = p2px_edu_get_cmd(ubuf, count, buf, sizeof(buf));
	if (ret)
		return ret;
	if (sscanf(buf, "parity %31s %u", name, &len) == 2) {
		/* Without native P2PDMA dma_map_sg() takes them for RAM. */
		if (!p2pdma_ext_is_native())
			return -EOPNOTSUPP;
		if (!len || len > EDU_PARITY_MAX)
			return -EINVAL;
		parity = true;
	} else if (sscanf(buf, "map %31s %u %u %u %u", name, &len, &seed,
			  &mix, &dma) != 5 || !len || len > EDU_DMA_MAX ||
		   mix > 4) {
		return -EINVAL;
	}
	prov = p2px_edu_named_provider(e, name);
	if (!prov)
		return -ENODEV;
	mem = p2pdma_ext_alloc(prov, parity ? len * PAGE_SIZE : len);
	device_unlock(&prov->dev);
	mutex_lock(&e->lock);
	if (parity)
		ret = p2px_edu_parity(e, prov, mem, len);
	else
		ret = p2px_edu_client(e, prov, mem, len, seed, mix, dma);
	mutex_unlock(&e->lock);
	return ret ? ret : count;
}

static const struct file_operations p2px_edu_client_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = p2px_edu_copy_read,
	.write = p2px_edu_client_write,
	.llseek = default_llseek,
};

static void p2px_edu_teardown(void *data)
{
	struct p2px_edu *e = data;

	debugfs_remove_recursive(p2px_edu_dir);
	p2px_edu_dir = NULL;
	mutex_lock(&e->lock);
	p2px_edu_drop(e);
	p2px_edu_detach(e);
	mutex_unlock(&e->lock);
}

static int p2px_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct p2px_edu *e;
	int ret;

	if (p2px_edu_dir)
		return -EBUSY;	/* one edu is enough for the tests */
	e = devm_kzalloc(&pdev->dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	mutex_init(&e->lock);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	e->regs = pcim_iomap(pdev, 0, 0);
	if (!e->regs)
		return -ENOMEM;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;

	p2px_edu_dir = debugfs_create_dir("p2px_edu", NULL);
	debugfs_create_file("copy", 0600, p2px_edu_dir, e, &p2px_edu_copy_fops);
	debugfs_create_file("registry", 0600, p2px_edu_dir, e,
			    &p2px_edu_reg_fops);
	p2pdma_ext_dmabuf_set_notify(&p2px_edu_importer, p2px_edu_notify);
	debugfs_create_file("dmabuf", 0600, p2px_edu_dir, e,
			    &p2px_edu_dmabuf_fops);
	debugfs_create_file("client", 0600, p2px_edu_dir, e,
			    &p2px_edu_client_fops);
	return devm_add_action_or_reset(&pdev->dev, p2px_edu_teardown, e);
}

static const struct pci_device_id p2px_edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, p2px_edu_ids);

static struct pci_driver p2px_edu_driver = {
	.name = "p2px_edu",
	.id_table = p2px_edu_ids,
	.probe = p2px_edu_probe,
};
module_pci_driver(p2px_edu_driver);

MODULE_DESCRIPTION("p2pdma-ext test: peer-to-peer DMA with QEMU's edu device");
MODULE_LICENSE("GPL");
P2PDMA_EXT_IMPORT_NS();
MODULE_INFO(import_ns, "DMA_BUF");
