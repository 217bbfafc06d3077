// SPDX-License-Identifier: GPL-2.0
/*
 * p2px_bench: test-only module timing p2pdma_ext against the kernel's own
 * PCI P2PDMA (on kernels that have it) in the same boot, for "make bench".
 *
 * It is a PCI driver that matches nothing by itself; bind the providers
 * to be measured with driver_override, like vfio-pci. Commands are written
 * to /sys/kernel/debug/p2px_bench/run, one per write, and run at once; the
 * same file then reads back one line per measurement:
 *
 *   ROW IMPL MEDIAN_NS P10_NS P90_NS SAMPLES
 *
 * and, for every implementation after "ours" in a row measured here, one
 * line of the paired ratios (ours' sample divided by the other's sample of
 * the same turn, in millionths):
 *
 *   ROW pair-IMPL MEDIAN_PPM P10_PPM P90_PPM SAMPLES
 *
 * IMPL is "ours" (the p2pdma_ext API), "native" (the kernel's pci_p2pdma_*
 * functions, only where the kernel has CONFIG_PCI_P2PDMA) or "base" (on
 * kernels without it: upstream's steps re-created here, see below). The
 * implementations of a row are measured in turns, in alternating order,
 * so drift of the host's speed reaches all of them alike; the paired
 * ratios cancel drift that lasts a turn or longer, which the ratio of the
 * medians does not when a slow spell covers part of a row. A sample is the
 * mean of a batch of operations; rows that need untimed preparation
 * before each operation (a cache flush) time single operations and
 * subtract the cost of reading the clock.
 *
 * Commands:
 *   pool BDF            register all of BDF's BAR 2 with
 *                       p2pdma_ext_add_resource() and publish it: the pool
 *                       of the alloc rows (BDF must be bound to p2px_bench)
 *   distance N          p2pdma_ext_distance_many() vs
 *                       pci_p2pdma_distance_many() from the pool provider
 *                       to the first N edu functions: rows distance-cold-N
 *                       (ours after p2pdma_ext_topology_flush() each time)
 *                       and distance-cached-N
 *   alloc SIZE          allocate+free SIZE bytes, p2pdma_ext_alloc() vs
 *                       pci_alloc_p2pmem(), in the fresh pool and with its
 *                       first half fragmented: all of it allocated in
 *                       4 KiB blocks, then every other block freed, so
 *                       4 KiB holes lie below all the free space (rows
 *                       alloc-fresh-SIZE, alloc-frag-SIZE)
 *   register BDF N      after one untimed registration by each side,
 *                       N times: p2pdma_ext_add_resource() vs
 *                       pci_p2pdma_add_resource() of all of BDF's BAR 2,
 *                       then undone (row register-SIZE); and
 *                       p2pdma_ext_dmabuf_export() of the same BAR, then
 *                       revoked and put, vs the native registration (row
 *                       export-vs-register-SIZE)
 *   dmabuf FD N ROW IMPL BDF
 *                       N samples of attach + map + unmap + detach of the
 *                       dma-buf FD (any exporter) by device BDF, printed
 *                       as row ROW, implementation IMPL
 *   mapsg N             map+unmap of N single-page P2P entries from the
 *                       pool for the first edu function:
 *                       p2pdma_ext_map_sg_attrs() vs the kernel's
 *                       dma_map_sg() of the same pages (native), or of N
 *                       RAM pages, the kernel having no P2P mapping
 *                       (base; row mapsg-N)
 *   matrix N            N times the whole matrix: every PCI function with
 *                       a memory BAR against every other non-bridge
 *                       function, one client per call (rows matrix-cold:
 *                       ours right after a flush, matrix-cached)
 *
 * "base" on kernels without CONFIG_PCI_P2PDMA: allocation is a plain
 * gen_pool (page granules, first fit, like upstream's pool) with a
 * percpu_ref taken and dropped per allocation, as pci_alloc_p2pmem() does;
 * registration is devm_memremap_pages() of the same range with a gen_pool
 * on top, upstream's two expensive steps. The native kernel never runs
 * these: it has no base rows, and this module never creates a pgmap there.
 *
 * Registrations are undone by releasing a devres group opened around
 * them, which is what unbinding the driver would do.
 *
 * Locking: p2px_bench_lock serialises commands and protects every static
 * variable below; the driver's probe and remove take it too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/genalloc.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/memremap.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/percpu-refcount.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#define P2PX_BENCH_BAR		2
#define P2PX_BENCH_MAX_DEVS	256
#define P2PX_BENCH_MAX_IMPL	3
#define P2PX_BENCH_SAMPLES	101
#define P2PX_BENCH_CMD_MAX	96
#define P2PX_BENCH_OUT_MAX	4096
#define P2PX_BENCH_GRANULE	SZ_4K
/* Fake start address of the base pool: gen_pool never touches memory. */
#define P2PX_BENCH_BASE_ADDR	0x100000000UL

/**
 * struct p2px_bench_impl - one implementation of a measured operation
 * @name: "ours", "native" or "base"
 * @prep: untimed, before each timed operation (NULL: none)
 * @run: the timed operation; returns 0 or a negative errno
 * @undo: untimed, after each timed operation (NULL: none)
 */
struct p2px_bench_impl {
	const char *name;
	int (*prep)(void *ctx);
	int (*run)(void *ctx);
	void (*undo)(void *ctx);
};

static DEFINE_MUTEX(p2px_bench_lock);
static struct dentry *p2px_bench_dir;
static char p2px_bench_out[P2PX_BENCH_OUT_MAX];
static size_t p2px_bench_len;
static struct pci_dev *p2px_bench_pool;	/* provider of the alloc rows */
static bool p2px_bench_native;
static u64 p2px_bench_clock_ns;		/* cost of reading the clock */
static u64 p2px_bench_samples[P2PX_BENCH_MAX_IMPL][P2PX_BENCH_SAMPLES];
static u64 p2px_bench_pairs[P2PX_BENCH_SAMPLES];

static __printf(1, 2) void p2px_bench_print(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vscnprintf(p2px_bench_out + p2px_bench_len,
		       sizeof(p2px_bench_out) - p2px_bench_len, fmt, ap);
	va_end(ap);
	p2px_bench_len += n;
}

static int p2px_bench_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Median and spread of what the clock costs, once per load. */
static void p2px_bench_calibrate(void)
{
	u64 *s = p2px_bench_samples[0];
	unsigned int i;
	u64 t0;

	for (i = 0; i < P2PX_BENCH_SAMPLES; i++) {
		t0 = ktime_get_ns();
		s[i] = ktime_get_ns() - t0;
	}
	sort(s, P2PX_BENCH_SAMPLES, sizeof(*s), p2px_bench_cmp, NULL);
	p2px_bench_clock_ns = s[P2PX_BENCH_SAMPLES / 2];
}

/* Sort @v's @m values and print them as one line: median, p10, p90, @m. */
static void p2px_bench_print_stats(const char *row, const char *prefix,
				   const char *name, u64 *v, unsigned int m)
{
	sort(v, m, sizeof(*v), p2px_bench_cmp, NULL);
	p2px_bench_print("%s %s%s %llu %llu %llu %u\n", row, prefix, name,
			 v[m / 2], v[m / 10], v[m - 1 - m / 10], m);
}

/*
 * For each implementation after the first ("ours"): the ratios of the
 * first one's samples to its samples turn by turn, before they are sorted.
 * A turn where the other took no measurable time is left out.
 */
static void p2px_bench_print_pairs(const char *row,
				   const struct p2px_bench_impl *impl,
				   unsigned int n, unsigned int samples)
{
	const u64 *ours = p2px_bench_samples[0];
	unsigned int i, s, m;

	for (i = 1; i < n; i++) {
		const u64 *other = p2px_bench_samples[i];

		for (s = 0, m = 0; s < samples; s++)
			if (other[s])
				p2px_bench_pairs[m++] =
					div64_u64(ours[s] * 1000000, other[s]);
		if (m)
			p2px_bench_print_stats(row, "pair-", impl[i].name,
					       p2px_bench_pairs, m);
	}
}

/*
 * Measure the @n implementations of row @row: @samples samples each, a
 * sample being @batch operations (1 when an implementation has prep or
 * undo). Prints one line per implementation.
 */
static int p2px_bench_measure(const char *row,
			      const struct p2px_bench_impl *impl,
			      unsigned int n, void *ctx, unsigned int batch,
			      unsigned int samples)
{
	unsigned int i, j, s, k;
	int ret = 0;
	u64 t0, t;

	if (WARN_ON(n > P2PX_BENCH_MAX_IMPL))
		return -EINVAL;
	samples = clamp(samples, 1U, (unsigned int)P2PX_BENCH_SAMPLES);
	for (i = 0; i < n; i++)
		if (impl[i].prep || impl[i].undo)
			batch = 1;
	for (s = 0; s < samples; s++) {
		for (j = 0; j < n; j++) {
			/* Alternate the order: ABAB, then BABA. */
			i = (s & 1) ? n - 1 - j : j;
			t = 0;
			for (k = 0; k < batch; k++) {
				if (impl[i].prep) {
					ret = impl[i].prep(ctx);
					if (ret)
						goto out;
				}
				t0 = ktime_get_ns();
				ret = impl[i].run(ctx);
				t += ktime_get_ns() - t0;
				if (impl[i].undo)
					impl[i].undo(ctx);
				if (ret)
					goto out;
			}
			/* Single operations carry the clock's own cost. */
			if (batch == 1)
				t = t > p2px_bench_clock_ns ?
				    t - p2px_bench_clock_ns : 0;
			p2px_bench_samples[i][s] = div_u64(t, batch);
		}
		cond_resched();
	}
	p2px_bench_print_pairs(row, impl, n, samples);
	for (i = 0; i < n; i++)
		p2px_bench_print_stats(row, "", impl[i].name,
				       p2px_bench_samples[i], samples);
	return 0;
out:
	p2px_bench_print("%s %s error %d\n", row, impl[i].name, ret);
	return ret;
}

/* --- devices ----------------------------------------------------------- */

/* Every PCI function for which @want says yes, with references. */
static unsigned int p2px_bench_collect(struct pci_dev **devs, unsigned int max,
				       bool (*want)(struct pci_dev *pdev))
{
	struct pci_dev *pdev = NULL;
	unsigned int n = 0;

	for_each_pci_dev(pdev)
		if (n < max && want(pdev))
			devs[n++] = pci_dev_get(pdev);
	return n;
}

static void p2px_bench_put_all(struct pci_dev **devs, unsigned int n)
{
	while (n)
		pci_dev_put(devs[--n]);
}

static bool p2px_bench_is_edu(struct pci_dev *pdev)
{
	return pdev->vendor == 0x1234 && pdev->device == 0x11e8;
}

static bool p2px_bench_is_endpoint(struct pci_dev *pdev)
{
	return !pci_is_bridge(pdev);
}

static bool p2px_bench_has_mem_bar(struct pci_dev *pdev)
{
	int bar;

	if (pci_is_bridge(pdev))
		return false;
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (pci_resource_len(pdev, bar) &&
		    (pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
			return true;
	return false;
}

/* A device bound to this driver, by name, with a reference. */
static struct pci_dev *p2px_bench_bound(const char *name);

/* --- distance ------------------------------------------------------------ */

/**
 * struct p2px_bench_dist - context of the distance and matrix rows
 * @provider: the provider
 * @clients: the clients' struct device
 * @n: number of @clients
 * @devs: for the matrix: every non-bridge function
 * @provs: for the matrix: the functions with a memory BAR
 * @ndevs: entries of @devs
 * @nprovs: entries of @provs
 */
struct p2px_bench_dist {
	struct pci_dev *provider;
	struct device **clients;
	int n;
	struct pci_dev **devs;
	struct pci_dev **provs;
	unsigned int ndevs;
	unsigned int nprovs;
};

static int p2px_bench_flush(void *ctx)
{
	p2pdma_ext_topology_flush();
	return 0;
}

static int p2px_bench_dist_ours(void *ctx)
{
	struct p2px_bench_dist *d = ctx;

	return p2pdma_ext_distance_many(d->provider, d->clients, d->n,
					false) < 0 ? -EXDEV : 0;
}

static int p2px_bench_dist_native(void *ctx)
{
	struct p2px_bench_dist *d = ctx;

	return pci_p2pdma_distance_many(d->provider, d->clients, d->n,
					false) < 0 ? -EXDEV : 0;
}

static int p2px_bench_nop(void *ctx)
{
	return 0;
}

static int p2px_bench_distance(unsigned int n)
{
	struct p2px_bench_impl cold[] = {
		{ "ours", p2px_bench_flush, p2px_bench_dist_ours, NULL },
		/* The kernel caches no distance: every call walks. */
		{ "native", p2px_bench_nop, p2px_bench_dist_native, NULL },
	};
	struct p2px_bench_impl cached[] = {
		{ "ours", NULL, p2px_bench_dist_ours, NULL },
		{ "native", NULL, p2px_bench_dist_native, NULL },
	};
	struct p2px_bench_dist d = { .provider = p2px_bench_pool };
	unsigned int nimpl = p2px_bench_native ? 2 : 1;
	struct pci_dev **devs;
	char row[32];
	int i, ret;

	if (!p2px_bench_pool)
		return -ENODEV;
	devs = kcalloc(n, sizeof(*devs), GFP_KERNEL);
	d.clients = kcalloc(n, sizeof(*d.clients), GFP_KERNEL);
	ret = -ENOMEM;
	if (!devs || !d.clients)
		goto out;
	d.n = p2px_bench_collect(devs, n, p2px_bench_is_edu);
	ret = -ENODEV;
	if (d.n != n)
		goto out_put;
	for (i = 0; i < d.n; i++)
		d.clients[i] = &devs[i]->dev;
	/* Both must agree before their speed means anything. */
	ret = -EXDEV;
	if (p2px_bench_native &&
	    p2pdma_ext_distance_many(d.provider, d.clients, d.n, false) !=
	    pci_p2pdma_distance_many(d.provider, d.clients, d.n, false))
		goto out_put;
	snprintf(row, sizeof(row), "distance-cold-%u", n);
	ret = p2px_bench_measure(row, cold, nimpl, &d, 1, P2PX_BENCH_SAMPLES);
	if (ret)
		goto out_put;
	snprintf(row, sizeof(row), "distance-cached-%u", n);
	ret = p2px_bench_measure(row, cached, nimpl, &d, 16,
				 P2PX_BENCH_SAMPLES);
out_put:
	p2px_bench_put_all(devs, d.n);
out:
	kfree(d.clients);
	kfree(devs);
	return ret;
}

static int p2px_bench_matrix_pass(struct p2px_bench_dist *d,
				  int (*dist)(struct pci_dev *,
					      struct device **, int, bool))
{
	unsigned int i, j;

	for (i = 0; i < d->nprovs; i++) {
		for (j = 0; j < d->ndevs; j++) {
			struct device *client = &d->devs[j]->dev;

			if (d->devs[j] != d->provs[i])
				dist(d->provs[i], &client, 1, false);
		}
	}
	return 0;
}

static int p2px_bench_matrix_ours(void *ctx)
{
	return p2px_bench_matrix_pass(ctx, p2pdma_ext_distance_many);
}

static int p2px_bench_matrix_native(void *ctx)
{
	return p2px_bench_matrix_pass(ctx, pci_p2pdma_distance_many);
}

static int p2px_bench_matrix(unsigned int iterations)
{
	struct p2px_bench_impl cold[] = {
		{ "ours", p2px_bench_flush, p2px_bench_matrix_ours, NULL },
		{ "native", p2px_bench_nop, p2px_bench_matrix_native, NULL },
	};
	struct p2px_bench_impl cached[] = {
		{ "ours", NULL, p2px_bench_matrix_ours, NULL },
		{ "native", NULL, p2px_bench_matrix_native, NULL },
	};
	unsigned int nimpl = p2px_bench_native ? 2 : 1;
	struct p2px_bench_dist d = {};
	char row[48];
	int ret = -ENOMEM;

	d.devs = kcalloc(P2PX_BENCH_MAX_DEVS, sizeof(*d.devs), GFP_KERNEL);
	d.provs = kcalloc(P2PX_BENCH_MAX_DEVS, sizeof(*d.provs), GFP_KERNEL);
	if (!d.devs || !d.provs)
		goto out;
	d.ndevs = p2px_bench_collect(d.devs, P2PX_BENCH_MAX_DEVS,
				     p2px_bench_is_endpoint);
	d.nprovs = p2px_bench_collect(d.provs, P2PX_BENCH_MAX_DEVS,
				      p2px_bench_has_mem_bar);
	p2px_bench_print("# matrix %u providers x %u functions\n", d.nprovs,
			 d.ndevs);
	snprintf(row, sizeof(row), "matrix-cold-%ux%u", d.nprovs, d.ndevs);
	ret = p2px_bench_measure(row, cold, nimpl, &d, 1, iterations);
	if (!ret) {
		snprintf(row, sizeof(row), "matrix-cached-%ux%u", d.nprovs,
			 d.ndevs);
		ret = p2px_bench_measure(row, cached, nimpl, &d, 1,
					 iterations);
	}
	p2px_bench_put_all(d.provs, d.nprovs);
	p2px_bench_put_all(d.devs, d.ndevs);
out:
	kfree(d.provs);
	kfree(d.devs);
	return ret;
}

/* --- allocation ------------------------------------------------------------ */

/**
 * struct p2px_bench_alloc - context of the alloc rows
 * @size: bytes per allocation
 * @base: the base pool (kernels without native P2PDMA), or NULL
 * @ref: taken per base allocation, as upstream takes the pgmap's
 */
struct p2px_bench_alloc {
	size_t size;
	struct gen_pool *base;
	struct percpu_ref ref;
};

static int p2px_bench_alloc_ours(void *ctx)
{
	struct p2px_bench_alloc *a = ctx;
	void *p = p2pdma_ext_alloc(p2px_bench_pool, a->size);

	if (!p)
		return -ENOMEM;
	p2pdma_ext_free(p2px_bench_pool, p, a->size);
	return 0;
}

static int p2px_bench_alloc_native(void *ctx)
{
	struct p2px_bench_alloc *a = ctx;
	void *p = pci_alloc_p2pmem(p2px_bench_pool, a->size);

	if (!p)
		return -ENOMEM;
	pci_free_p2pmem(p2px_bench_pool, p, a->size);
	return 0;
}

static int p2px_bench_alloc_base(void *ctx)
{
	struct p2px_bench_alloc *a = ctx;
	struct percpu_ref *ref;
	unsigned long p;

	rcu_read_lock();
	p = gen_pool_alloc_owner(a->base, a->size, (void **)&ref);
	if (p && !percpu_ref_tryget_live(ref)) {
		gen_pool_free(a->base, p, a->size);
		p = 0;
	}
	rcu_read_unlock();
	if (!p)
		return -ENOMEM;
	gen_pool_free_owner(a->base, p, a->size, (void **)&ref);
	percpu_ref_put(ref);
	return 0;
}

static void p2px_bench_ref_release(struct percpu_ref *ref)
{
}

/* One 4 KiB block from @base (a gen_pool), or from ours if NULL. */
static void *p2px_bench_granule(struct gen_pool *base)
{
	if (base)
		return (void *)gen_pool_alloc(base, P2PX_BENCH_GRANULE);
	return p2pdma_ext_alloc(p2px_bench_pool, P2PX_BENCH_GRANULE);
}

static void p2px_bench_granule_free(struct gen_pool *base, void *p)
{
	if (base)
		gen_pool_free(base, (unsigned long)p, P2PX_BENCH_GRANULE);
	else
		p2pdma_ext_free(p2px_bench_pool, p, P2PX_BENCH_GRANULE);
}

/*
 * Fragment the first half of a pool of @pool_size bytes (@base, or ours
 * if NULL) into a checkerboard: allocate it all in 4 KiB blocks (first
 * fit hands them out in address order), then free every other one. That
 * leaves 4 KiB holes every 8 KiB below all the free space: a 4 KiB
 * allocation fits the first hole, a larger one does not fit any of them.
 * @held (room for half the pool in blocks) receives the blocks still
 * held; returns their number.
 */
static unsigned int p2px_bench_fragment(struct gen_pool *base,
					size_t pool_size, void **held)
{
	unsigned int i, n = pool_size / 2 / P2PX_BENCH_GRANULE, got, kept = 0;

	for (got = 0; got < n; got++) {
		held[got] = p2px_bench_granule(base);
		if (!held[got])
			break;
	}
	for (i = 0; i < got; i++) {
		if (i & 1)
			held[kept++] = held[i];
		else
			p2px_bench_granule_free(base, held[i]);
	}
	return kept;
}

static void p2px_bench_unfragment(struct gen_pool *base, void **held,
				  unsigned int n)
{
	while (n--)
		p2px_bench_granule_free(base, held[n]);
}

static int p2px_bench_alloc(size_t size)
{
	struct p2px_bench_impl impl[] = {
		{ "ours", NULL, p2px_bench_alloc_ours, NULL },
		{ "native", NULL, p2px_bench_alloc_native, NULL },
	};
	struct p2px_bench_alloc a = { .size = size };
	unsigned int nheld = 0, nbase = 0;
	void **held = NULL, **based = NULL;
	size_t pool_size, nblocks;
	char row[40];
	int ret;

	if (!p2px_bench_pool || !size)
		return -ENODEV;
	pool_size = pci_resource_len(p2px_bench_pool, P2PX_BENCH_BAR);
	nblocks = pool_size / 2 / P2PX_BENCH_GRANULE;
	if (!p2px_bench_native) {
		/* The base pool: same size, same granule, fake addresses. */
		impl[1].name = "base";
		impl[1].run = p2px_bench_alloc_base;
		a.base = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
		if (!a.base)
			return -ENOMEM;
		ret = percpu_ref_init(&a.ref, p2px_bench_ref_release, 0,
				      GFP_KERNEL);
		if (ret)
			goto out_pool;
		ret = gen_pool_add_owner(a.base, P2PX_BENCH_BASE_ADDR, 0,
					 pool_size, NUMA_NO_NODE, &a.ref);
		if (ret)
			goto out_ref;
	}

	snprintf(row, sizeof(row), "alloc-fresh-%zuK", size / SZ_1K);
	ret = p2px_bench_measure(row, impl, 2, &a, 16, P2PX_BENCH_SAMPLES);
	if (ret)
		goto out_ref;

	ret = -ENOMEM;
	held = kvcalloc(nblocks, sizeof(*held), GFP_KERNEL);
	based = kvcalloc(nblocks, sizeof(*based), GFP_KERNEL);
	if (!held || !based)
		goto out_free;
	/* On native kernels ours and the kernel's share one pool. */
	nheld = p2px_bench_fragment(NULL, pool_size, held);
	if (a.base)
		nbase = p2px_bench_fragment(a.base, pool_size, based);
	snprintf(row, sizeof(row), "alloc-frag-%zuK", size / SZ_1K);
	ret = p2px_bench_measure(row, impl, 2, &a, 16, P2PX_BENCH_SAMPLES);
	if (a.base)
		p2px_bench_unfragment(a.base, based, nbase);
	p2px_bench_unfragment(NULL, held, nheld);
out_free:
	kvfree(based);
	kvfree(held);
out_ref:
	if (a.base)
		percpu_ref_exit(&a.ref);
out_pool:
	if (a.base)
		gen_pool_destroy(a.base);
	return ret;
}

/* --- registration ----------------------------------------------------------- */

/**
 * struct p2px_bench_reg - context of the register rows
 * @pdev: the provider, bound to this driver
 * @group: the devres group of the registration being measured
 * @pool: the base registration's gen_pool
 * @dmabuf: the dma-buf being measured
 */
struct p2px_bench_reg {
	struct pci_dev *pdev;
	void *group;
	struct gen_pool *pool;
	struct dma_buf *dmabuf;
};

static int p2px_bench_reg_open(void *ctx)
{
	struct p2px_bench_reg *r = ctx;

	r->group = devres_open_group(&r->pdev->dev, NULL, GFP_KERNEL);
	return r->group ? 0 : -ENOMEM;
}

static void p2px_bench_reg_release(void *ctx)
{
	struct p2px_bench_reg *r = ctx;

	devres_release_group(&r->pdev->dev, r->group);
	if (r->pool)
		gen_pool_destroy(r->pool);
	r->pool = NULL;
}

static int p2px_bench_reg_ours(void *ctx)
{
	struct p2px_bench_reg *r = ctx;

	return p2pdma_ext_add_resource(r->pdev, P2PX_BENCH_BAR, 0, 0);
}

static int p2px_bench_reg_native(void *ctx)
{
	struct p2px_bench_reg *r = ctx;

	return pci_p2pdma_add_resource(r->pdev, P2PX_BENCH_BAR, 0, 0);
}

/* Upstream's costly steps: the pgmap and a pool on it. Never on native. */
static int p2px_bench_reg_base(void *ctx)
{
	struct p2px_bench_reg *r = ctx;
	struct dev_pagemap *pgmap;
	void *addr;

	if (p2px_bench_native)
		return -EOPNOTSUPP;
	pgmap = devm_kzalloc(&r->pdev->dev, sizeof(*pgmap), GFP_KERNEL);
	if (!pgmap)
		return -ENOMEM;
	pgmap->range.start = pci_resource_start(r->pdev, P2PX_BENCH_BAR);
	pgmap->range.end = pci_resource_end(r->pdev, P2PX_BENCH_BAR);
	pgmap->nr_range = 1;
	pgmap->type = MEMORY_DEVICE_PCI_P2PDMA;
	addr = devm_memremap_pages(&r->pdev->dev, pgmap);
	if (IS_ERR(addr))
		return PTR_ERR(addr);
	r->pool = gen_pool_create(PAGE_SHIFT, dev_to_node(&r->pdev->dev));
	if (!r->pool)
		return -ENOMEM;
	return gen_pool_add_owner(r->pool, (unsigned long)addr,
				  pci_bus_address(r->pdev, P2PX_BENCH_BAR),
				  range_len(&pgmap->range),
				  dev_to_node(&r->pdev->dev), NULL);
}

static int p2px_bench_export(void *ctx)
{
	struct p2px_bench_reg *r = ctx;
	struct p2pdma_ext_bar_range range = {
		.length = pci_resource_len(r->pdev, P2PX_BENCH_BAR),
	};

	r->dmabuf = p2pdma_ext_dmabuf_export(r->pdev, P2PX_BENCH_BAR, &range,
					     1);
	return PTR_ERR_OR_ZERO(r->dmabuf);
}

static void p2px_bench_export_undo(void *ctx)
{
	struct p2px_bench_reg *r = ctx;

	if (IS_ERR_OR_NULL(r->dmabuf))
		return;
	p2pdma_ext_dmabuf_revoke(r->dmabuf);
	dma_buf_put(r->dmabuf);
	r->dmabuf = NULL;
}

/*
 * One untimed operation of each implementation: the first registration
 * of a size pays once for what later ones find ready (the struct page
 * array's memory, the page tables of its virtual range), whichever
 * implementation happens to run first.
 */
static int p2px_bench_warm_up(const struct p2px_bench_impl *impl,
			      unsigned int n, void *ctx)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++) {
		ret = impl[i].prep ? impl[i].prep(ctx) : 0;
		if (ret)
			break;
		ret = impl[i].run(ctx);
		if (impl[i].undo)
			impl[i].undo(ctx);
	}
	return ret;
}

static int p2px_bench_register(const char *name, unsigned int n)
{
	struct p2px_bench_impl reg[] = {
		{ "ours", p2px_bench_reg_open, p2px_bench_reg_ours,
		  p2px_bench_reg_release },
		{ "native", p2px_bench_reg_open, p2px_bench_reg_native,
		  p2px_bench_reg_release },
	};
	struct p2px_bench_impl exp[] = {
		{ "ours", NULL, p2px_bench_export, p2px_bench_export_undo },
		{ "native", p2px_bench_reg_open, p2px_bench_reg_native,
		  p2px_bench_reg_release },
	};
	struct p2px_bench_reg r = {};
	char row[48];
	u64 len;
	int ret;

	r.pdev = p2px_bench_bound(name);
	if (!r.pdev)
		return -ENODEV;
	if (!p2px_bench_native) {
		reg[1].name = "base";
		reg[1].run = p2px_bench_reg_base;
		exp[1] = reg[1];
	}
	len = pci_resource_len(r.pdev, P2PX_BENCH_BAR);
	ret = p2px_bench_warm_up(reg, 2, &r);
	if (!ret) {
		snprintf(row, sizeof(row), "register-%lluM", len / SZ_1M);
		ret = p2px_bench_measure(row, reg, 2, &r, 1, n);
	}
	if (!ret) {
		snprintf(row, sizeof(row), "export-vs-register-%lluM",
			 len / SZ_1M);
		ret = p2px_bench_measure(row, exp, 2, &r, 1, n);
	}
	pci_dev_put(r.pdev);
	return ret;
}

/* --- dma-buf import cycle ----------------------------------------------------- */

/* Mappings never outlive one hold of the resv lock: nothing to drop. */
static void p2px_bench_notify(struct dma_buf_attachment *attach)
{
}

/* Not const: p2pdma_ext_dmabuf_set_notify() fills in the callback. */
static struct dma_buf_attach_ops p2px_bench_importer = {
	.allow_peer2peer = true,
};

/**
 * struct p2px_bench_cycle - context of the dmabuf rows
 * @dmabuf: the dma-buf
 * @dev: the importing device
 */
struct p2px_bench_cycle {
	struct dma_buf *dmabuf;
	struct device *dev;
};

static int p2px_bench_cycle_run(void *ctx)
{
	struct p2px_bench_cycle *c = ctx;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	int ret = 0;

	attach = dma_buf_dynamic_attach(c->dmabuf, c->dev,
					&p2px_bench_importer, NULL);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	dma_resv_lock(c->dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt))
		ret = PTR_ERR(sgt);
	else
		dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
	dma_resv_unlock(c->dmabuf->resv);
	dma_buf_detach(c->dmabuf, attach);
	return ret;
}

static int p2px_bench_dmabuf(int fd, unsigned int n, const char *row,
			     const char *name, const char *importer)
{
	struct p2px_bench_impl impl[] = {
		{ name, NULL, p2px_bench_cycle_run, NULL },
	};
	struct p2px_bench_cycle c;
	struct device *dev;
	int ret;

	dev = bus_find_device_by_name(&pci_bus_type, NULL, importer);
	if (!dev)
		return -ENODEV;
	c.dev = dev;
	c.dmabuf = dma_buf_get(fd);
	if (IS_ERR(c.dmabuf)) {
		put_device(dev);
		return PTR_ERR(c.dmabuf);
	}
	ret = p2px_bench_measure(row, impl, 1, &c, 4, n);
	dma_buf_put(c.dmabuf);
	put_device(dev);
	return ret;
}

/* --- commands -------------------------------------------------------------- */

/* --- map+unmap of a P2P scatterlist ------------------------------------ */

/**
 * struct p2px_bench_sg - context of the mapsg rows
 * @dev: the client (the first edu function)
 * @ours: the list of P2P pages that p2pdma_ext maps
 * @other: the same pages (native) or as many RAM pages (base)
 * @n: entries of each list
 */
struct p2px_bench_sg {
	struct device *dev;
	struct scatterlist *ours;
	struct scatterlist *other;
	int n;
};

static int p2px_bench_sg_ours(void *ctx)
{
	struct p2px_bench_sg *m = ctx;
	int ret;

	ret = p2pdma_ext_map_sg_attrs(m->dev, m->ours, m->n,
				      DMA_BIDIRECTIONAL, 0);
	if (ret < 0)
		return ret;
	p2pdma_ext_unmap_sg_attrs(m->dev, m->ours, m->n, DMA_BIDIRECTIONAL, 0);
	return 0;
}

static int p2px_bench_sg_kernel(void *ctx)
{
	struct p2px_bench_sg *m = ctx;

	if (!dma_map_sg(m->dev, m->other, m->n, DMA_BIDIRECTIONAL))
		return -EREMOTEIO;
	dma_unmap_sg(m->dev, m->other, m->n, DMA_BIDIRECTIONAL);
	return 0;
}

/*
 * Row mapsg-N: map+unmap of N single-page P2P entries from the pool for
 * edu, p2pdma_ext_map_sg_attrs() against the kernel's dma_map_sg() of the
 * same pages (native), or of N RAM pages (base: the kernel cannot map P2P
 * pages there).
 */
static int p2px_bench_mapsg(unsigned int n)
{
	struct p2px_bench_impl impl[] = {
		{ "ours", NULL, p2px_bench_sg_ours, NULL },
		{ "native", NULL, p2px_bench_sg_kernel, NULL },
	};
	struct p2px_bench_sg m = { .n = n };
	struct page **ram = NULL;
	struct pci_dev *edu;
	unsigned int i;
	char row[32];
	void *mem;
	int ret;

	if (!p2px_bench_pool || !n || n > 4096)
		return -EINVAL;
	if (p2px_bench_collect(&edu, 1, p2px_bench_is_edu) != 1)
		return -ENODEV;
	m.dev = &edu->dev;
	mem = p2pdma_ext_alloc(p2px_bench_pool, (size_t)n * PAGE_SIZE);
	m.ours = kcalloc(n, sizeof(*m.ours), GFP_KERNEL);
	m.other = kcalloc(n, sizeof(*m.other), GFP_KERNEL);
	if (!p2px_bench_native) {
		impl[1].name = "base";
		ram = kcalloc(n, sizeof(*ram), GFP_KERNEL);
	}
	ret = -ENOMEM;
	if (!mem || !m.ours || !m.other || (!p2px_bench_native && !ram))
		goto out;
	sg_init_table(m.ours, n);
	sg_init_table(m.other, n);
	for (i = 0; i < n; i++) {
		struct page *pg = virt_to_page(mem + (size_t)i * PAGE_SIZE);

		sg_set_page(&m.ours[i], pg, PAGE_SIZE, 0);
		if (ram) {
			ram[i] = alloc_page(GFP_KERNEL);
			if (!ram[i])
				goto out;
			pg = ram[i];
		}
		sg_set_page(&m.other[i], pg, PAGE_SIZE, 0);
	}
	snprintf(row, sizeof(row), "mapsg-%u", n);
	ret = p2px_bench_measure(row, impl, 2, &m, n > 64 ? 4 : 32,
				 P2PX_BENCH_SAMPLES);
out:
	for (i = 0; ram && i < n; i++)
		if (ram[i])
			__free_page(ram[i]);
	kfree(ram);
	kfree(m.other);
	kfree(m.ours);
	if (mem)
		p2pdma_ext_free(p2px_bench_pool, mem, (size_t)n * PAGE_SIZE);
	pci_dev_put(edu);
	return ret;
}

static int p2px_bench_set_pool(const char *name)
{
	struct pci_dev *pdev;
	int ret;

	if (p2px_bench_pool)
		return -EBUSY;
	pdev = p2px_bench_bound(name);
	if (!pdev)
		return -ENODEV;
	ret = p2pdma_ext_add_resource(pdev, P2PX_BENCH_BAR, 0, 0);
	if (ret) {
		pci_dev_put(pdev);
		return ret;
	}
	p2pdma_ext_publish(pdev, true);
	p2px_bench_pool = pdev;
	return 0;
}

static int p2px_bench_command(char *cmd)
{
	char name[32], row[32], impl[16];
	unsigned int n;
	size_t size;
	int fd;

	if (sscanf(cmd, "pool %31s", name) == 1)
		return p2px_bench_set_pool(name);
	if (sscanf(cmd, "distance %u", &n) == 1)
		return n ? p2px_bench_distance(n) : -EINVAL;
	if (sscanf(cmd, "alloc %zu", &size) == 1)
		return p2px_bench_alloc(size);
	if (sscanf(cmd, "register %31s %u", name, &n) == 2)
		return p2px_bench_register(name, n);
	if (sscanf(cmd, "dmabuf %d %u %31s %15s %31s", &fd, &n, row, impl,
		   name) == 5)
		return p2px_bench_dmabuf(fd, n, row, impl, name);
	if (sscanf(cmd, "matrix %u", &n) == 1)
		return p2px_bench_matrix(n);
	if (sscanf(cmd, "mapsg %u", &n) == 1)
		return p2px_bench_mapsg(n);
	return -EINVAL;
}

static ssize_t p2px_bench_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char cmd[P2PX_BENCH_CMD_MAX];
	int ret;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	mutex_lock(&p2px_bench_lock);
	p2px_bench_len = 0;
	p2px_bench_out[0] = '\0';
	ret = p2px_bench_command(cmd);
	mutex_unlock(&p2px_bench_lock);
	return ret ? ret : count;
}

static int p2px_bench_show(struct seq_file *m, void *v)
{
	mutex_lock(&p2px_bench_lock);
	seq_puts(m, p2px_bench_out);
	mutex_unlock(&p2px_bench_lock);
	return 0;
}

static int p2px_bench_open(struct inode *inode, struct file *file)
{
	return single_open(file, p2px_bench_show, NULL);
}

static const struct file_operations p2px_bench_fops = {
	.owner = THIS_MODULE,
	.open = p2px_bench_open,
	.read = seq_read,
	.write = p2px_bench_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* --- the PCI driver ------------------------------------------------------------ */

static struct pci_driver p2px_bench_driver;

static struct pci_dev *p2px_bench_bound(const char *name)
{
	struct device *dev = bus_find_device_by_name(&pci_bus_type, NULL,
						     name);

	if (!dev)
		return NULL;
	if (dev->driver != &p2px_bench_driver.driver) {
		put_device(dev);
		return NULL;
	}
	return to_pci_dev(dev);
}

static int p2px_bench_probe(struct pci_dev *pdev,
			    const struct pci_device_id *id)
{
	if (!(pci_resource_flags(pdev, P2PX_BENCH_BAR) & IORESOURCE_MEM))
		return -ENODEV;
	return pcim_enable_device(pdev);
}

static void p2px_bench_remove(struct pci_dev *pdev)
{
	mutex_lock(&p2px_bench_lock);
	if (p2px_bench_pool == pdev) {
		pci_dev_put(p2px_bench_pool);
		p2px_bench_pool = NULL;
	}
	mutex_unlock(&p2px_bench_lock);
}

static struct pci_driver p2px_bench_driver = {
	.name = KBUILD_MODNAME,
	.probe = p2px_bench_probe,
	.remove = p2px_bench_remove,
};

static int __init p2px_bench_init(void)
{
	int ret;

	p2px_bench_native = p2pdma_ext_is_native();
	p2px_bench_calibrate();
	p2pdma_ext_dmabuf_set_notify(&p2px_bench_importer, p2px_bench_notify);
	ret = pci_register_driver(&p2px_bench_driver);
	if (ret)
		return ret;
	p2px_bench_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("run", 0600, p2px_bench_dir, NULL,
			    &p2px_bench_fops);
	return 0;
}

static void __exit p2px_bench_exit(void)
{
	debugfs_remove_recursive(p2px_bench_dir);
	pci_unregister_driver(&p2px_bench_driver);
}

module_init(p2px_bench_init);
module_exit(p2px_bench_exit);

MODULE_DESCRIPTION("p2pdma-ext benchmark against the kernel's own P2PDMA");
MODULE_LICENSE("GPL");
P2PDMA_EXT_IMPORT_NS();
MODULE_INFO(import_ns, "DMA_BUF");
