// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext provider registry selftests, run inside the test VM as root:
 * the generic provider driver binds the emulated ivshmem (BAR2 = 64 MiB of
 * RAM) and registers it, the p2pmem sysfs group describes it, a BAR that
 * cannot be mapped is refused with one clear log line, and the p2px_edu
 * test driver moves bytes by real peer-to-peer DMA between RAM and the
 * ivshmem BAR with QEMU's edu DMA engine.
 *
 * Host check: a successful DMA test prints
 *   # HOSTCHECK NAME OFFSET HEXBYTES
 * lines; after the VM run tools/check.sh compares them with the host file
 * behind device NAME's memory (OUT/backing/NAME.mem).
 */
#include <dirent.h>

#include "kselftest_harness.h"
#include "p2px_harness.h"
#include "p2px_pci.h"
#include "p2px_topo.h"

#define EDU_COPY	"/sys/kernel/debug/p2px_edu/copy"
#define EDU_DRV		"p2px_edu"
#define DMA_LEN		2048
#define DMA_SEED	42u
/* What reading EDU_COPY gives after a successful run. */
#define RESULT_FORMAT	"provider %63s bar %d offset %llu bus %llx len %zu " \
			"seed %*u head %255s tail %255s"

static unsigned char pattern(unsigned int seed, size_t i)
{
	return (unsigned char)(seed + 7 * i + (i >> 8));
}

static unsigned long long bar_size(const char *bdf, int bar)
{
	unsigned long long start = 0, end = 0, flags;
	char path[300], line[128];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return 0;
	for (i = 0; i <= bar && fgets(line, sizeof(line), f); i++)
		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3)
			end = 0;
	fclose(f);
	return end ? end - start + 1 : 0;
}

/* Load p2pdma_ext and bind the ivshmem to the provider driver. */
static int setup_provider(struct __test_metadata *_metadata, char *bdf,
			  size_t len)
{
	char drv[64];

	if (!p2px_module_loaded())
		EXPECT_EQ(0, p2px_load(p2px_module_path(), NULL));
	if (!p2px_provider_dev(bdf, len))
		return 0;
	bound_driver(bdf, drv, sizeof(drv));
	if (strcmp(drv, PROVIDER_DRV)) {
		EXPECT_EQ(0, bind_provider(bdf));
		bound_driver(bdf, drv, sizeof(drv));
	}
	EXPECT_STREQ(PROVIDER_DRV, drv);
	return 1;
}

TEST(provider_binds_ivshmem)
{
	unsigned long long size;
	char bdf[64];

	if (!setup_provider(_metadata, bdf, sizeof(bdf)))
		SKIP(return, "no provider (P2PX_PROVIDER)");
	size = bar_size(bdf, 2);
	ASSERT_EQ(64ULL << 20, size);
	/* The p2pmem group: ours on 5.10-6.12, the kernel's on 7.2. */
	EXPECT_EQ(size, read_ull(bdf, "p2pmem/size"));
	EXPECT_GE(size, read_ull(bdf, "p2pmem/available"));
	EXPECT_EQ(1, read_ull(bdf, "p2pmem/published"));
}

/* A BAR that memremap_pages() cannot map is refused, with one clear line. */
TEST(unaligned_bar_refused)
{
	const char *param = P2PX_SYSFS_MODULE "/parameters/provider_bars";
	char bdf[64], drv[64], *log;
	int mark;

	if (!setup_provider(_metadata, bdf, sizeof(bdf)))
		SKIP(return, "no provider (P2PX_PROVIDER)");
	if (p2px_path_exists(EDU_COPY))
		ASSERT_EQ(0, p2px_unload("p2px_edu"));
	ASSERT_EQ(0, unbind_dev(bdf));
	if (p2px_backend() == P2PDMA_EXT_BACKEND_EXT) {
		char path[300];

		/* Our p2pmem group goes with the provider. */
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/p2pmem", bdf);
		EXPECT_FALSE(p2px_path_exists(path));
	}

	/* BAR0 of ivshmem: 256 bytes of registers. */
	ASSERT_EQ(0, p2px_write_file(param, "1"));
	mark = p2px_kmsg_mark();
	ASSERT_LE(0, mark);
	EXPECT_EQ(0, bind_provider(bdf));
	log = p2px_kmsg_collect(mark);
	ASSERT_NE(NULL, log);
	bound_driver(bdf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	EXPECT_EQ(1, p2px_count_lines(log, "must be multiples of 2048 KiB"))
		TH_LOG("kernel log:\n%s", log);
	free(log);

	ASSERT_EQ(0, p2px_write_file(param, "0"));
	EXPECT_EQ(0, bind_provider(bdf));
	bound_driver(bdf, drv, sizeof(drv));
	EXPECT_STREQ(PROVIDER_DRV, drv);
	EXPECT_EQ(1, read_ull(bdf, "p2pmem/published"));
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

/*
 * p2px_edu's copy test (DMA between edu and the ivshmem's P2P memory) on
 * the path the module reports between them: a host bridge path the
 * allowlist refuses gives ENODEV with one line naming the host bridge; a
 * direct path copies, unless an IOMMU translates edu's DMA (sysfs): then
 * p2px_edu refuses with EOPNOTSUPP and one line naming the IOMMU.
 */
FIXTURE(copy) {
	char bdf[64];
	struct p2px_pair pair;
};

FIXTURE_VARIANT(copy) {
	enum p2px_path path;
};

FIXTURE_VARIANT_ADD(copy, direct) {
	.path = P2PX_PATH_DIRECT,
};

FIXTURE_VARIANT_ADD(copy, host_bridge) {
	.path = P2PX_PATH_HOST_BRIDGE,
};

FIXTURE_SETUP(copy)
{
	char edu[64];
	const char *why;
	int ret;

	if (!setup_provider(_metadata, self->bdf, sizeof(self->bdf)))
		SKIP(return, "no provider (P2PX_PROVIDER)");
	if (!p2px_dma_engine_dev(edu, sizeof(edu)))
		SKIP(return, "no DMA engine (P2PX_DMA_ENGINE: QEMU's edu)");
	/* The module's own policy: no allowlist entry left by another test. */
	ASSERT_EQ(0, p2px_write_file(P2PX_ALLOWLIST, "\n"));
	ASSERT_EQ(0, p2px_pair_get(&self->pair));
	why = p2px_pair_not(&self->pair, variant->path);
	if (why)
		SKIP(return, "%s", why);
	if (variant->path == P2PX_PATH_HOST_BRIDGE &&
	    self->pair.r.map_type != P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED)
		SKIP(return, "the host bridge is allowed without an allowlist entry (reason %u)",
		     self->pair.r.reason);
	if (!p2px_path_exists(EDU_COPY)) {
		ret = p2px_load_driver(EDU_DRV, NULL);
		ASSERT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("load: %d", ret);
	}
	ASSERT_TRUE(p2px_path_exists(EDU_COPY));
}

/*
 * p2px_edu keeps the copy's P2P memory (for the host to check the bytes,
 * which stay in the BAR): unloading it gives the memory back, or later
 * tests would find the provider held (its unbind waits for that memory).
 */
FIXTURE_TEARDOWN(copy)
{
	if (p2px_path_exists("/sys/module/p2px_edu"))
		EXPECT_EQ(0, p2px_unload("p2px_edu"));
}

TEST_F(copy, edu_peer_to_peer_dma)
{
	const char *bdf = self->bdf;
	char cmd[64], res[1024], provider[64], name[64];
	char head[256], tail[256], *log;
	unsigned long long offset, bus, avail, size;
	int bar, ret, mark;
	size_t len;

	if (_metadata->skip)
		return;
	snprintf(cmd, sizeof(cmd), "%d %u", DMA_LEN, DMA_SEED);
	mark = p2px_kmsg_mark();
	ASSERT_LE(0, mark);
	ret = p2px_write_file(EDU_COPY, cmd);
	log = p2px_kmsg_collect(mark);
	ASSERT_NE(NULL, log);

	if (variant->path == P2PX_PATH_HOST_BRIDGE) {
		/* Not on the host bridge allowlist: no provider for edu. */
		EXPECT_EQ(-ENODEV, ret);
		EXPECT_EQ(1, p2px_count_lines(log, "host bridge"))
			TH_LOG("kernel log:\n%s", log);
		free(log);
		return;
	}
	if (p2px_dma_translated(self->pair.client)) {
		EXPECT_EQ(-EOPNOTSUPP, ret);
		EXPECT_EQ(1, p2px_count_lines(log, "IOMMU"))
			TH_LOG("kernel log:\n%s", log);
		free(log);
		return;
	}

	ASSERT_EQ(0, ret) TH_LOG("kernel log:\n%s", log);
	free(log);
	ASSERT_EQ(0, p2px_read_file(EDU_COPY, res, sizeof(res)));
	ret = sscanf(res, RESULT_FORMAT, provider, &bar, &offset, &bus, &len,
		     head, tail);
	ASSERT_EQ(7, ret) TH_LOG("%s", res);
	EXPECT_STREQ(bdf, provider);
	EXPECT_EQ(2, bar);
	EXPECT_EQ(DMA_LEN, len);
	check_hex(_metadata, head, 0, 64);
	check_hex(_metadata, tail, DMA_LEN - 64, 64);

	/* The allocation is still held by p2px_edu. */
	size = read_ull(bdf, "p2pmem/size");
	avail = read_ull(bdf, "p2pmem/available");
	EXPECT_GE(size - DMA_LEN, avail);

	ivshmem_name(name, sizeof(name));
	printf("# HOSTCHECK %s %llu %s\n", name, offset, head);
	printf("# HOSTCHECK %s %llu %s\n", name, offset + DMA_LEN - 64, tail);
	fflush(stdout);
}

#define EDU_REGISTRY	"/sys/kernel/debug/p2px_edu/registry"
#define HANDLE_DRV	"p2px_handle"
#define HANDLE_API	"/sys/kernel/debug/p2px_handle/api"

/* Load p2px_edu (for its registry hook); 0 if edu is missing. */
static int load_edu(struct __test_metadata *_metadata)
{
	char edu[64];
	int ret;

	if (!p2px_dma_engine_dev(edu, sizeof(edu)))
		return 0;
	if (!p2px_path_exists(EDU_REGISTRY)) {
		ret = p2px_load_driver(EDU_DRV, NULL);
		EXPECT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("load: %d", ret);
	}
	/* The device is there: a missing hook is a failure, not a skip. */
	EXPECT_TRUE(p2px_path_exists(EDU_REGISTRY));
	return 1;
}

/*
 * The ivshmem bound to the provider driver and p2px_edu loaded, and the
 * provider p2pdma_ext_find() gives edu is that ivshmem: 1; else 0 and
 * @why says why not.
 */
static int setup_edu(struct __test_metadata *_metadata, char *bdf, size_t len,
		     const char **why)
{
	char found[64];

	*why = "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)";
	if (!setup_provider(_metadata, bdf, len) || !load_edu(_metadata))
		return 0;
	*why = "edu reaches no provider by P2P in this topology";
	if (p2px_write_file(EDU_REGISTRY, "find"))
		return 0;
	*why = "the provider nearest to edu is not the ivshmem";
	if (p2px_read_file(EDU_REGISTRY, found, sizeof(found)))
		return 0;
	found[strcspn(found, "\n")] = 0;
	return !strcmp(found, bdf);
}

/*
 * The ivshmem bound to p2px_handle, which makes registry calls on it as
 * its driver (and owner) does; 0 if there is no ivshmem.
 */
static int setup_owner(struct __test_metadata *_metadata, char *bdf,
		       size_t len)
{
	if (!p2px_module_loaded())
		EXPECT_EQ(0, p2px_load(p2px_module_path(), NULL));
	if (!p2px_provider_dev(bdf, len))
		return 0;
	EXPECT_EQ(0, load_test_driver(HANDLE_DRV))
		TH_LOG("%s: %s", p2px_driver_path(HANDLE_DRV), P2PX_DRIVER_HINT);
	EXPECT_EQ(0, release_dev(bdf));
	EXPECT_EQ(0, bind_driver(bdf, HANDLE_DRV));
	return 1;
}

/*
 * Tests of the owner's calls: the ivshmem bound to p2px_handle; teardown
 * unbinds it and unloads p2px_handle (which holds p2pdma_ext), whatever
 * the test did.
 */
FIXTURE(owner) {
	char bdf[64];
	int have;
};

FIXTURE_SETUP(owner)
{
	self->have = setup_owner(_metadata, self->bdf, sizeof(self->bdf));
	if (!self->have)
		SKIP(return, "no provider (P2PX_PROVIDER)");
}

FIXTURE_TEARDOWN(owner)
{
	if (!self->have)
		return;
	EXPECT_EQ(0, release_dev(self->bdf));
	if (p2px_path_exists("/sys/module/" HANDLE_DRV))
		EXPECT_EQ(0, p2px_unload(HANDLE_DRV));
}

/* Bad BAR, offset or size: EINVAL and exactly one log line saying why. */
TEST_F(owner, add_resource_refusals)
{
	static const struct {
		const char *cmd, *line;
	} cases[] = {
		{ "add 7 2097152 0", "BAR 7 does not exist" },
		{ "add -1 2097152 0", "BAR -1 does not exist" },
		{ "add 3 2097152 0", "BAR 3 is not a memory BAR" },
		{ "add 2 2097152 67108864", "is beyond BAR 2" },
		{ "add 2 4194304 65011712", "do not fit in BAR 2" },
	};
	char *log;
	unsigned int i;
	int ret, mark;

	if (_metadata->skip)
		return;
	/* ivshmem has no I/O BAR; an unused BAR is refused the same way. */
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		mark = p2px_kmsg_mark();
		ASSERT_LE(0, mark);
		ret = p2px_write_file(HANDLE_API, cases[i].cmd);
		log = p2px_kmsg_collect(mark);
		ASSERT_NE(NULL, log);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("%s", cases[i].cmd);
		EXPECT_EQ(1, p2px_count_lines(log, "p2pdma_ext"))
			TH_LOG("%s: kernel log:\n%s", cases[i].cmd, log);
		EXPECT_EQ(1, p2px_count_lines(log, cases[i].line))
			TH_LOG("%s: kernel log:\n%s", cases[i].cmd, log);
		free(log);
	}
}

/* More than the pool holds: NULL (-ENOMEM), and nothing leaks. */
TEST(alloc_exhaustion)
{
	unsigned long long avail;
	char bdf[64], cmd[64];
	const char *why;

	if (!setup_edu(_metadata, bdf, sizeof(bdf), &why))
		SKIP(return, "%s", why);
	avail = read_ull(bdf, "p2pmem/available");
	ASSERT_NE(~0ULL, avail);
	snprintf(cmd, sizeof(cmd), "alloc %llu", avail + 4096);
	EXPECT_EQ(-ENOMEM, p2px_write_file(EDU_REGISTRY, cmd));
	EXPECT_EQ(avail, read_ull(bdf, "p2pmem/available"));
	snprintf(cmd, sizeof(cmd), "alloc %llu", avail);
	EXPECT_EQ(0, p2px_write_file(EDU_REGISTRY, cmd));
	EXPECT_EQ(avail, read_ull(bdf, "p2pmem/available"));
}

/*
 * Placement: thousands of random allocations and frees of 1 to 256 pages,
 * each where first fit puts it (the lowest free run long enough, as
 * upstream's gen_pool does) and failing only when no run is long enough;
 * the pool is whole again afterwards. On 7.2 this checks the model
 * against the kernel's own pool; on the others, our allocator against it.
 */
TEST(alloc_first_fit)
{
	unsigned long long size, avail;
	char bdf[64], cmd[64];
	unsigned int seed;
	const char *why;
	int ret;

	if (!setup_edu(_metadata, bdf, sizeof(bdf), &why))
		SKIP(return, "%s", why);
	size = read_ull(bdf, "p2pmem/size");
	ASSERT_NE(~0ULL, size);
	for (seed = 1; seed <= 3; seed++) {
		snprintf(cmd, sizeof(cmd), "firstfit %llu %u 6000", size, seed);
		ret = p2px_write_file(EDU_REGISTRY, cmd);
		if (ret == -EBUSY)
			SKIP(return, "the P2P memory is not one free range");
		EXPECT_EQ(0, ret) TH_LOG("%s: %d (see the kernel log)", cmd, ret);
		avail = read_ull(bdf, "p2pmem/available");
		EXPECT_EQ(size, avail) TH_LOG("after %s", cmd);
	}
}

/*
 * Its driver registers and publishes the memory: edu finds it; unpublished
 * it is not found; published again it is. Needs a path by which edu
 * reaches the ivshmem directly, as the module reports it.
 */
TEST_F(owner, publish_controls_find)
{
	const char *bdf = self->bdf;
	struct p2px_pair pair;
	char found[64];
	const char *why;

	if (_metadata->skip)
		return;
	if (!load_edu(_metadata))
		SKIP(return, "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)");
	ASSERT_EQ(0, p2px_write_file(P2PX_ALLOWLIST, "\n"));
	ASSERT_EQ(0, p2px_pair_get(&pair));
	why = p2px_pair_not(&pair, P2PX_PATH_DIRECT);
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, p2px_write_file(HANDLE_API, "add 2 0 0"));
	ASSERT_EQ(0, p2px_write_file(HANDLE_API, "publish 1"));
	EXPECT_EQ(1, read_ull(bdf, "p2pmem/published"));
	ASSERT_EQ(0, p2px_write_file(EDU_REGISTRY, "find"));
	ASSERT_EQ(0, p2px_read_file(EDU_REGISTRY, found, sizeof(found)));
	found[strcspn(found, "\n")] = 0;
	EXPECT_STREQ(bdf, found);
	ASSERT_EQ(0, p2px_write_file(HANDLE_API, "publish 0"));
	EXPECT_EQ(0, read_ull(bdf, "p2pmem/published"));
	EXPECT_EQ(-ENODEV, p2px_write_file(EDU_REGISTRY, "find"));
	ASSERT_EQ(0, p2px_write_file(HANDLE_API, "publish 1"));
	EXPECT_EQ(1, read_ull(bdf, "p2pmem/published"));
	EXPECT_EQ(0, p2px_write_file(EDU_REGISTRY, "find"));
}

/*
 * Releasing the orchestrator's allocation and unbinding the provider
 * must leave nothing behind, so p2pdma_ext unloads cleanly and the P2P
 * memory is whole again while it is still bound. Self-contained: it binds
 * the provider and makes edu's allocation first, so it holds in any
 * order (after the other tests, it also checks what they left).
 */
TEST(teardown_releases_everything)
{
	char bdf[64], path[300];

	if (!setup_provider(_metadata, bdf, sizeof(bdf)))
		SKIP(return, "no provider (P2PX_PROVIDER)");
	/*
	 * A kernel user's allocation, if edu reaches the ivshmem here (the
	 * copy test's bytes, should the host still check them).
	 */
	if (load_edu(_metadata)) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "%d %u", DMA_LEN, DMA_SEED);
		p2px_write_file(EDU_COPY, cmd);
	}
	if (p2px_path_exists("/sys/module/p2px_edu"))
		ASSERT_EQ(0, p2px_unload("p2px_edu"));
	if (p2px_path_exists("/sys/module/" HANDLE_DRV))
		ASSERT_EQ(0, p2px_unload(HANDLE_DRV));
	if (read_ull(bdf, "p2pmem/size") != ~0ULL)
		EXPECT_EQ(read_ull(bdf, "p2pmem/size"),
			  read_ull(bdf, "p2pmem/available"));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	if (p2px_path_exists(path))
		ASSERT_EQ(0, unbind_dev(bdf));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	ASSERT_EQ(0, p2px_write_file(path, "\n"));
	if (p2px_module_loaded())
		ASSERT_EQ(0, p2px_unload(P2PX_MODULE_NAME));
}

/* The harness's main() with test selection (p2px_harness.h). */
int main(int argc, char **argv)
{
	return p2px_harness_main(argc, argv);
}
