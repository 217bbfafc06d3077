// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext client-side selftests, run inside the test VM as root: a
 * client driver (p2px_edu, debugfs "client") allocates P2P memory from
 * the ivshmem, puts it in a scatterlist (alone, or between two RAM pages),
 * maps the list for edu with p2pdma_ext_map_sg_attrs() and has edu's DMA
 * engine move bytes through the addresses the map returned.
 * client_map_atomic_after_flush and client_map_atomic_first_lookup map in
 * atomic context, after a topology flush and as a pair's first lookup.
 * client_map_phys_vec maps the same memory as a vendor's dma-buf exporter
 * would, by its CPU physical range and the provider handle of its BAR
 * through p2pdma_ext_phys_vec_to_sgt() (a refusal is -EINVAL there, as
 * upstream's dma_buf_phys_vec_to_sgt(), without a log line).
 *
 * What to expect is decided from the module's own map type for the
 * ivshmem/edu pair (the topology ioctl), not from the topology's name:
 *   BUS_ADDR          the P2P entry carries the PCI bus address; edu moves
 *                     the bytes, unless an IOMMU translates edu's DMA:
 *                     the address is still asserted, but QEMU's IOMMU
 *                     model translates every DMA (a real switch would
 *                     route the bus address to the peer first), so no
 *                     bytes can move there;
 *   THRU_HOST_BRIDGE  mapped by the DMA API (through the IOMMU if there
 *                     is one); edu moves the bytes;
 *   NOT_SUPPORTED     the whole map fails with -EREMOTEIO, one log line,
 *                     the RAM entry before the P2P one unmapped again.
 * client_map_host_bridge allows the host bridge that the module names for
 * the pair (its "(root VVVV:DDDD)") and expects THRU_HOST_BRIDGE and moved
 * bytes, then takes it back and expects the refusal.
 * client_map_find_follows_policy: on such a pair, p2pdma_ext_find() gives
 * edu a provider exactly when the module's distance allows one, before,
 * with and after the allowlist entry (on 7.2 too, where the kernel's own
 * search would read only its built-in host bridge table).
 *
 * client_map_parity (native back end only): lists of the kernel's P2P
 * pages get the same addresses from p2pdma_ext_map_sg_attrs() as from the
 * kernel's dma_map_sg() (p2px_edu's "parity" command).
 *
 * Bytes that edu moved are host-checked ("# HOSTCHECK" lines, see
 * registry_test.c): every run writes the same length and pattern.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "p2px_pci.h"
#include "uapi/linux/p2pdma_ext.h"

#define EDU_CLIENT	"/sys/kernel/debug/p2px_edu/client"
#define EDU_REGISTRY	"/sys/kernel/debug/p2px_edu/registry"
#define ALLOW_PARAM	P2PX_SYSFS_MODULE "/parameters/host_bridge_allow"
#define DBG_STATS	"/sys/kernel/debug/p2pdma_ext/stats"
#define DMA_LEN		2048
#define DMA_SEED	77u
#define TEXT_LEN	1024
#define NO_DEVS		"no provider and DMA engine (P2PX_PROVIDER, " \
			"P2PX_DMA_ENGINE: QEMU's edu)"

/* The ivshmem and edu, ready: provider bound, p2px_edu loaded. */
struct devs {
	char shm[64], edu[64];
	unsigned long long shm_id, edu_id;
};

/* What reading EDU_CLIENT gives. */
struct result {
	int ret, type, nents, p2p_page, ram_page;
	unsigned long long dma[3], bus, offset;
	char provider[64], head[256], tail[256];
	int bar, have_provider, have_mem;
};

static unsigned char pattern(unsigned int seed, size_t i)
{
	return (unsigned char)(seed + 7 * i + (i >> 8));
}

static unsigned long long bdf_id(const char *bdf)
{
	unsigned int d, b, s, f;

	if (sscanf(bdf, "%x:%x:%x.%x", &d, &b, &s, &f) != 4)
		return ~0ULL;
	return P2PDMA_EXT_DEVID(d, b, (s << 3) | f);
}

/* 1 with everything set up; 0 (SKIP) if the topology lacks a device. */
static int setup(struct __test_metadata *_metadata, struct devs *d)
{
	char drv[64];
	int ret;

	if (!p2px_module_loaded())
		ASSERT_EQ(0, p2px_load(p2px_module_path(), NULL));
	if (!p2px_provider_dev(d->shm, sizeof(d->shm)) ||
	    !p2px_dma_engine_dev(d->edu, sizeof(d->edu)))
		return 0;
	bound_driver(d->shm, drv, sizeof(drv));
	if (strcmp(drv, PROVIDER_DRV))
		EXPECT_EQ(0, bind_provider(d->shm));
	bound_driver(d->shm, drv, sizeof(drv));
	EXPECT_STREQ(PROVIDER_DRV, drv);
	if (!p2px_path_exists(EDU_CLIENT)) {
		ret = p2px_load_driver("p2px_edu", NULL);
		EXPECT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("load: %d", ret);
	}
	/* The devices are there: a missing hook is a failure, not a skip. */
	EXPECT_TRUE(p2px_path_exists(EDU_CLIENT));
	d->shm_id = bdf_id(d->shm);
	d->edu_id = bdf_id(d->edu);
	/* The allowlist as loaded: empty. */
	EXPECT_EQ(0, p2px_write_file(ALLOW_PARAM, "\n"));
	return 1;
}

/*
 * The module's map type for provider @prov_id and edu (its distance into
 * *@dist if not NULL); @text (TEXT_LEN bytes) or NULL.
 */
static int map_type_of(struct __test_metadata *_metadata,
		       const struct devs *d, unsigned long long prov_id,
		       char *text, int *dist)
{
	struct p2pdma_ext_topo_pair pair = { .client = d->edu_id };
	struct p2pdma_ext_topo_pairs q = {
		.argsz = sizeof(q),
		.provider = prov_id,
		.num_clients = 1,
		.pair_size = sizeof(pair),
		.pairs = (uintptr_t)&pair,
		.text_size = text ? TEXT_LEN : 0,
		.text = (uintptr_t)text,
	};
	int fd, ret;

	fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	EXPECT_LE(0, fd);
	if (fd < 0)
		return -1;
	ret = ioctl(fd, P2PDMA_EXT_IOC_TOPO_PAIRS, &q);
	EXPECT_EQ(0, ret) TH_LOG("topology ioctl: %s", strerror(errno));
	close(fd);
	if (dist)
		*dist = pair.distance;
	return ret ? -1 : (int)pair.map_type;
}

/* The module's answer for the ivshmem and edu. */
static int map_type(struct __test_metadata *_metadata, const struct devs *d,
		    char *text)
{
	return map_type_of(_metadata, d, d->shm_id, text, NULL);
}

/* Does an IOMMU translate edu's DMA (a DMA domain, not identity)? */
static int iommu_translates(const char *bdf)
{
	char path[300], type[64];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group/type", bdf);
	if (p2px_read_file(path, type, sizeof(type)))
		return 0;
	return !strncmp(type, "DMA", 3);
}

/* Run "map" and read what it did; returns the write's 0 or -errno. */
static int client_map(struct __test_metadata *_metadata, const char *provider,
		      int mix, int dma, struct result *r)
{
	char cmd[128], buf[2048], *p;
	int ret, n;

	memset(r, 0, sizeof(*r));
	snprintf(cmd, sizeof(cmd), "map %s %d %u %d %d", provider, DMA_LEN,
		 DMA_SEED, mix, dma);
	ret = p2px_write_file(EDU_CLIENT, cmd);
	EXPECT_EQ(0, p2px_read_file(EDU_CLIENT, buf, sizeof(buf)));
	n = sscanf(buf, "ret %d type %d nents %d p2p_page %d ram_page %d",
		   &r->ret, &r->type, &r->nents, &r->p2p_page, &r->ram_page);
	EXPECT_EQ(5, n) TH_LOG("%s", buf);
	p = strstr(buf, "\ndma");
	if (p) {
		n = sscanf(p, "\ndma %llx %llx %llx", &r->dma[0], &r->dma[1],
			   &r->dma[2]);
		if (n < 1)
			r->dma[0] = 0;
	}
	p = strstr(buf, "provider ");
	if (p)
		r->have_provider = sscanf(p, "provider %63s bar %d offset %llu bus %llx",
					  r->provider, &r->bar, &r->offset,
					  &r->bus) == 4;
	p = strstr(buf, "head ");
	if (p)
		r->have_mem = sscanf(p, "head %255s tail %255s", r->head,
				     r->tail) == 2;
	TH_LOG("%s: %d\n%s", cmd, ret, buf);
	return ret;
}

static void check_hex(struct __test_metadata *_metadata, const char *hex,
		      size_t first, size_t count)
{
	size_t i;

	ASSERT_EQ(2 * count, strlen(hex));
	for (i = 0; i < count; i++) {
		unsigned int b;
		int n = sscanf(hex + 2 * i, "%2x", &b);

		ASSERT_EQ(1, n);
		ASSERT_EQ(pattern(DMA_SEED, first + i), b)
			TH_LOG("P2P memory byte %zu", first + i);
	}
}

/* Bytes edu moved: right in the guest, and claimed for the host. */
static void check_moved(struct __test_metadata *_metadata,
			const struct devs *d, const struct result *r)
{
	char name[64];

	ASSERT_TRUE(r->have_mem);
	ASSERT_TRUE(r->have_provider);
	EXPECT_STREQ(d->shm, r->provider);
	EXPECT_EQ(2, r->bar);
	check_hex(_metadata, r->head, 0, 64);
	check_hex(_metadata, r->tail, DMA_LEN - 64, 64);
	ivshmem_name(name, sizeof(name));
	printf("# HOSTCHECK %s %llu %s\n", name, r->offset, r->head);
	printf("# HOSTCHECK %s %llu %s\n", name, r->offset + DMA_LEN - 64,
	       r->tail);
	fflush(stdout);
}

/*
 * The refusal, nothing mapped: -EREMOTEIO and one log line; for a
 * phys_vec table (MIX 2) -EINVAL, as upstream, and no line.
 */
static void check_refused(struct __test_metadata *_metadata,
			  const struct devs *d, int mix)
{
	int want = mix == 2 ? -EINVAL : -EREMOTEIO;
	struct result r;
	char *log;
	int mark, ret;

	mark = p2px_kmsg_mark();
	ASSERT_LE(0, mark);
	/* find gives no provider edu cannot reach: name the ivshmem. */
	ret = client_map(_metadata, d->shm, mix, 1, &r);
	log = p2px_kmsg_collect(mark);
	ASSERT_NE(NULL, log);
	EXPECT_EQ(want, ret);
	EXPECT_EQ(want, r.ret);
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED, r.type);
	EXPECT_EQ(1, r.p2p_page);
	EXPECT_FALSE(r.have_provider);
	EXPECT_EQ(mix == 2 ? 0 : 1,
		  p2px_count_lines(log, "is not reachable from this device"))
		TH_LOG("kernel log:\n%s", log);
	free(log);
}

/*
 * One list (MIX 0: the P2P memory alone; 1: between RAM pages; 2: a
 * phys_vec table of it, as a vendor dma-buf exporter maps; 3: alone,
 * mapped in atomic context after a topology flush).
 */
static void run_case(struct __test_metadata *_metadata, int mix)
{
	int p2p = mix == 1 ? 1 : 0;	/* the P2P entry's index */
	int type, translates, ret;
	struct result r;
	struct devs d;

	if (!setup(_metadata, &d))
		SKIP(return, NO_DEVS);
	type = map_type(_metadata, &d, NULL);
	ASSERT_LE(0, type);
	if (type == P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED) {
		check_refused(_metadata, &d, mix);
		return;
	}
	translates = iommu_translates(d.edu);
	if (type == P2PDMA_EXT_TOPO_MAP_BUS_ADDR && translates) {
		/*
		 * The bus address is the right answer, but QEMU's IOMMU model
		 * translates every DMA edu makes, so no bytes can move.
		 */
		ret = client_map(_metadata, "find", mix, 0, &r);
		ASSERT_EQ(0, ret);
		ASSERT_TRUE(r.have_provider);
		EXPECT_EQ(r.bus, r.dma[p2p]);
		EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_BUS_ADDR, r.type);
		EXPECT_EQ(1, r.p2p_page);
		EXPECT_EQ(0, r.ram_page);
		return;
	}
	ret = client_map(_metadata, "find", mix, 1, &r);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(mix == 1 ? 3 : 1, r.ret);
	EXPECT_EQ(type, r.type);
	EXPECT_EQ(1, r.p2p_page);
	EXPECT_EQ(0, r.ram_page);
	ASSERT_TRUE(r.have_provider);
	/* Else through the DMA API: an IOVA or the CPU address. */
	if (type == P2PDMA_EXT_TOPO_MAP_BUS_ADDR)
		EXPECT_EQ(r.bus, r.dma[p2p]);
	if (type != P2PDMA_EXT_TOPO_MAP_BUS_ADDR)
		EXPECT_NE(0, r.dma[p2p]);
	if (mix == 1) {
		EXPECT_NE(0, r.dma[0]);
		EXPECT_NE(0, r.dma[2]);
	}
	check_moved(_metadata, &d, &r);
	/*
	 * p2px_edu keeps the memory edu moved bytes into; unloading it gives
	 * the memory back, or a later test's unbind of the provider would
	 * wait for it. The bytes stay in the BAR for the host's check.
	 */
	EXPECT_EQ(0, p2px_unload("p2px_edu"));
}

TEST(client_map_p2p)
{
	run_case(_metadata, 0);
}

TEST(client_map_mixed)
{
	run_case(_metadata, 1);
}

/*
 * The P2P memory alone, mapped with preemption off right after a topology
 * flush: the stale cached answer is decided again where nothing may
 * sleep. Under the debug kernel (DEBUG_ATOMIC_SLEEP) a sleep there is a
 * kernel report, which fails the run.
 */
TEST(client_map_atomic_after_flush)
{
	run_case(_metadata, 3);
}

/* The topology cache's counters (debugfs stats) this test reads. */
struct cache_stats {
	unsigned int entries;
	unsigned long long hits, misses;
};

static void read_cache_stats(struct __test_metadata *_metadata,
			     struct cache_stats *st)
{
	char buf[512];
	int n;

	ASSERT_EQ(0, p2px_read_file(DBG_STATS, buf, sizeof(buf)));
	n = sscanf(buf, "entries %u detailed %*u hits %llu misses %llu",
		   &st->entries, &st->hits, &st->misses);
	ASSERT_EQ(3, n) TH_LOG("%s", buf);
}

/*
 * The first lookup of a pair, in atomic context: with the module loaded
 * afresh (its topology cache empty, as debugfs stats shows), edu maps
 * memory of the ivshmem, named rather than found, with preemption off
 * before anything asked about the pair. The cache adds the pair's entry
 * without sleeping (under the debug kernel, DEBUG_ATOMIC_SLEEP would
 * report a sleep and fail the run); the answer is the module's.
 */
TEST(client_map_atomic_first_lookup)
{
	struct cache_stats before, after;
	struct result r;
	struct devs d;
	int type, ret;

	ret = p2px_unload_module();
	if (ret)
		SKIP(return, "cannot load the module afresh: unload: %s",
		     strerror(-ret));
	if (!setup(_metadata, &d))
		SKIP(return, NO_DEVS);
	read_cache_stats(_metadata, &before);
	ASSERT_EQ(0, before.entries);

	ret = client_map(_metadata, d.shm, 4, 0, &r);
	/*
	 * One pair added, by one miss: the map's, in atomic context (edu
	 * asks for the type only after the map, which is then a hit).
	 */
	read_cache_stats(_metadata, &after);
	EXPECT_EQ(1, after.entries);
	EXPECT_EQ(before.misses + 1, after.misses);
	EXPECT_LT(before.hits, after.hits);
	type = map_type(_metadata, &d, NULL);
	ASSERT_LE(0, type);
	EXPECT_EQ(type, r.type);
	if (type == P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED) {
		EXPECT_EQ(-EREMOTEIO, ret);
	} else {
		EXPECT_EQ(0, ret);
		EXPECT_EQ(1, r.ret);
		ASSERT_TRUE(r.have_provider);
		if (type == P2PDMA_EXT_TOPO_MAP_BUS_ADDR)
			EXPECT_EQ(r.bus, r.dma[0]);
	}
	EXPECT_EQ(0, p2px_unload("p2px_edu"));
}

TEST(client_map_phys_vec)
{
	run_case(_metadata, 2);
}

/*
 * Where the pair is refused because its path crosses a host bridge that
 * no list allows: allow that bridge (as the module names it), map through
 * the DMA API and move bytes; take it back: refused again.
 */
TEST(client_map_host_bridge)
{
	char text[TEXT_LEN], root[16], *p;
	struct result r;
	struct devs d;
	int type, ret, n;

	if (!setup(_metadata, &d))
		SKIP(return, NO_DEVS);
	type = map_type(_metadata, &d, text);
	ASSERT_LE(0, type);
	TH_LOG("%s", text);
	p = strstr(text, "(root ");
	if (type != P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED || !p)
		SKIP(return, "map type %d here: no host bridge to allow",
		     type);
	n = sscanf(p, "(root %15[0-9a-fA-F:])", root);
	ASSERT_EQ(1, n);
	ASSERT_EQ(0, p2px_write_file(ALLOW_PARAM, root));
	type = map_type(_metadata, &d, NULL);
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE, type);
	if (type == P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE) {
		/* By name: find may give the NVMe's CMB, as near as it. */
		ret = client_map(_metadata, d.shm, 1, 1, &r);
		EXPECT_EQ(0, ret);
		EXPECT_EQ(3, r.ret);
		EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE, r.type);
		if (!ret)
			check_moved(_metadata, &d, &r);
	}
	ASSERT_EQ(0, p2px_write_file(ALLOW_PARAM, "\n"));
	ASSERT_EQ(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED, map_type(_metadata, &d, NULL));
	check_refused(_metadata, &d, 1);
	check_refused(_metadata, &d, 2);
}

/*
 * p2pdma_ext_find() for edu and the module's distance agree: find gives
 * no provider the distance refuses, and one whenever it allows the
 * ivshmem, no farther than the ivshmem. -ENODEV or 0 (the found
 * provider's BDF in @found).
 */
static int check_find(struct __test_metadata *_metadata, const struct devs *d,
		      int shm_ok)
{
	char found[64];
	unsigned int dom, bus, slot, fn;
	int ret, type, dist, shm_dist, n;

	ret = p2px_write_file(EDU_REGISTRY, "find");
	if (!shm_ok && ret == -ENODEV)
		return ret;
	EXPECT_EQ(0, ret) TH_LOG("find: %s", strerror(-ret));
	if (ret)
		return ret;
	EXPECT_EQ(0, p2px_read_file(EDU_REGISTRY, found, sizeof(found)));
	found[strcspn(found, "\n")] = 0;
	TH_LOG("find gave %s", found);
	n = sscanf(found, "%x:%x:%x.%x", &dom, &bus, &slot, &fn);
	ASSERT_EQ(4, n);
	type = map_type_of(_metadata, d,
			   P2PDMA_EXT_DEVID(dom, bus, (slot << 3) | fn), NULL,
			   &dist);
	EXPECT_NE(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED, type);
	if (shm_ok) {
		map_type_of(_metadata, d, d->shm_id, NULL, &shm_dist);
		EXPECT_LE(dist, shm_dist);
	} else {
		EXPECT_STRNE(d->shm, found);
	}
	return 0;
}

TEST(client_map_find_follows_policy)
{
	char text[TEXT_LEN], root[16], *p;
	struct devs d;
	int type, n;

	if (!setup(_metadata, &d))
		SKIP(return, NO_DEVS);
	type = map_type(_metadata, &d, text);
	ASSERT_LE(0, type);
	p = strstr(text, "(root ");
	if (type != P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED || !p)
		SKIP(return, "map type %d here: the allowlist does not decide this pair",
		     type);
	n = sscanf(p, "(root %15[0-9a-fA-F:])", root);
	ASSERT_EQ(1, n);
	check_find(_metadata, &d, 0);
	ASSERT_EQ(0, p2px_write_file(ALLOW_PARAM, root));
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE,
		  map_type(_metadata, &d, NULL));
	check_find(_metadata, &d, 1);
	ASSERT_EQ(0, p2px_write_file(ALLOW_PARAM, "\n"));
	check_find(_metadata, &d, 0);
}

/*
 * One "parity" run of @pages pages from the ivshmem: 0 with *@ours and
 * *@kernel what each map returned and *@bad the pages mapped apart;
 * -EOPNOTSUPP without native P2PDMA.
 */
static int run_parity(struct __test_metadata *_metadata, const struct devs *d,
		      int pages, int *ours, int *kernel, int *bad)
{
	char cmd[96], buf[512], *p;
	int ret, n;

	snprintf(cmd, sizeof(cmd), "parity %s %d", d->shm, pages);
	ret = p2px_write_file(EDU_CLIENT, cmd);
	if (ret)
		return ret;
	EXPECT_EQ(0, p2px_read_file(EDU_CLIENT, buf, sizeof(buf)));
	TH_LOG("%s: %s", cmd, buf);
	n = sscanf(buf, "ours %d kernel %d", ours, kernel);
	EXPECT_EQ(2, n);
	p = strstr(buf, "mismatches ");
	ASSERT_NE(NULL, p);
	n = sscanf(p, "mismatches %d", bad);
	ASSERT_EQ(1, n);
	return 0;
}

/*
 * 7.2 parity: lists of the kernel's P2P pages (1 and 16 entries) mapped
 * for edu by p2pdma_ext_map_sg_attrs() and by the kernel's dma_map_sg()
 * land on the same addresses (an IOVA counts as what it translates to),
 * and both refuse together. Where the module's allowlist opens a pair
 * through the host bridge the kernel's own table does not know, the
 * kernel's dma_map_sg() still refuses it: the one difference, the one
 * p2pdmactl why reports.
 */
TEST(client_map_parity)
{
	static const int shapes[] = { 1, 16 };
	int type, ours, kernel, bad, ret, n;
	char text[TEXT_LEN], root[16], *p;
	unsigned int i;
	struct devs d;

	if (!setup(_metadata, &d))
		SKIP(return, NO_DEVS);
	type = map_type(_metadata, &d, text);
	ASSERT_LE(0, type);
	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		ret = run_parity(_metadata, &d, shapes[i], &ours, &kernel, &bad);
		if (ret == -EOPNOTSUPP)
			SKIP(return, "no kernel dma_map_sg for P2P pages to compare with");
		ASSERT_EQ(0, ret);
		if (type == P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED) {
			EXPECT_EQ(-EREMOTEIO, ours);
			EXPECT_EQ(0, kernel);
			continue;
		}
		EXPECT_EQ(shapes[i], ours);
		EXPECT_LT(0, kernel);
		EXPECT_EQ(0, bad);
	}
	p = strstr(text, "(root ");
	if (type != P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED || !p)
		return;
	n = sscanf(p, "(root %15[0-9a-fA-F:])", root);
	ASSERT_EQ(1, n);
	ASSERT_EQ(0, p2px_write_file(ALLOW_PARAM, root));
	ret = run_parity(_metadata, &d, 1, &ours, &kernel, &bad);
	EXPECT_EQ(0, p2px_write_file(ALLOW_PARAM, "\n"));
	ASSERT_EQ(0, ret);
	EXPECT_EQ(1, ours);
	EXPECT_EQ(0, kernel) TH_LOG("the kernel's table allows this host bridge");
}

TEST_HARNESS_MAIN
