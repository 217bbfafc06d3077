// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext DMA-BUF exporter selftests, run inside the test VM as root:
 * ranges of the ivshmem BAR2 (bound to the provider driver) are exported
 * through /dev/p2pdma_ext, p2px_edu imports the dma-buf fd (debugfs
 * p2px_edu/dmabuf), maps it and lets edu's DMA engine write and read the
 * BAR through the DMA addresses it got; every bad argument gets its errno;
 * revoke (explicit and by unbinding the provider) notifies the importer,
 * makes later maps fail with ENODEV, and closing everything lets both
 * modules unload.
 *
 * Host check: "# HOSTCHECK NAME OFFSET HEX" lines name the bytes edu wrote
 * into the BAR; tools/check.sh compares them with the ivshmem backing file.
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "p2px_dmabuf.h"

#define PAGE		4096ULL
/* Far from where the registry test's allocations land. */
#define R0_OFF		(32ULL << 20)
#define R0_LEN		PAGE
#define R1_OFF		(48ULL << 20)
#define R1_LEN		(2 * PAGE)
#define DMA_OFF		(R0_LEN + 256)	/* in the second range */
#define DMA_LEN		2048
#define SEED1		11u
#define SEED2		77u

static unsigned char pattern(unsigned int seed, size_t i)
{
	return (unsigned char)(seed + 7 * i + (i >> 8));
}

/* p2pdma_ext loaded, ivshmem bound to the provider, p2px_edu loaded. */
static int setup(struct __test_metadata *_metadata, char *bdf, size_t len,
		 int need_edu)
{
	char edu[64];
	int ret;

	if (!p2px_module_loaded())
		EXPECT_EQ(0, p2px_load(p2px_module_path(), NULL));
	if (!find_pci(0x1af4, 0x1110, bdf, len))
		return 0;
	if (!p2px_bound_to_provider(bdf))
		EXPECT_EQ(0, bind_provider(bdf));
	EXPECT_TRUE(p2px_bound_to_provider(bdf));
	if (!need_edu)
		return 1;
	if (!find_pci(0x1234, 0x11e8, edu, sizeof(edu)))
		return 0;
	if (!p2px_path_exists(EDU_DMABUF)) {
		ret = p2px_load(EDU_MODULE, NULL);
		EXPECT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("load: %d", ret);
	}
	EXPECT_TRUE(p2px_path_exists(EDU_DMABUF));
	return 1;
}

static int export_default(int ctl, const char *bdf)
{
	const struct p2pdma_ext_dmabuf_range r[2] = {
		{ R0_OFF, R0_LEN }, { R1_OFF, R1_LEN },
	};

	return p2px_export(ctl, p2px_devid(bdf), 2, r, 2);
}

static int edu_cmd(const char *fmt, int a, int b, int c)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), fmt, a, b, c);
	return p2px_write_file(EDU_DMABUF, cmd);
}

struct edu_state {
	int attached, mapped;
	unsigned int notified, map_errors;
	int last_error;
	unsigned long long dma;
	char read[256];
};

static int edu_state(struct edu_state *s)
{
	char buf[512];
	static const char fmt[] =
		"attached %d mapped %d notified %u map_errors %u last_error %d dma %llx read %255s";

	if (p2px_read_file(EDU_DMABUF, buf, sizeof(buf)))
		return -1;
	return sscanf(buf, fmt, &s->attached, &s->mapped, &s->notified,
		      &s->map_errors, &s->last_error, &s->dma,
		      s->read) == 7 ? 0 : -1;
}

static void hex_of(char *out, unsigned int seed, size_t first, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", pattern(seed, first + i));
}

TEST(export_validation)
{
	struct p2pdma_ext_dmabuf_range r[P2PDMA_EXT_DMABUF_MAX_RANGES + 1];
	struct p2pdma_ext_dmabuf_export arg;
	struct p2pdma_ext_dmabuf_revoke rv;
	char bdf[64], edu[64];
	__u64 dev;
	int ctl, fd, i;

	if (!setup(_metadata, bdf, sizeof(bdf), 0))
		SKIP(return, "no ivshmem in this topology");
	dev = p2px_devid(bdf);
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);

	/* argsz, flags, open_flags */
	memset(&arg, 0, sizeof(arg));
	arg.argsz = sizeof(arg) - 1;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &arg));
	EXPECT_EQ(EINVAL, errno);
	r[0].offset = 0;
	r[0].length = PAGE;
	arg.argsz = sizeof(arg);
	arg.device = dev;
	arg.bar = 2;
	arg.nr_ranges = 1;
	arg.ranges = (uintptr_t)r;
	arg.flags = 1;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &arg));
	EXPECT_EQ(EINVAL, errno);
	arg.flags = 0;
	arg.open_flags = O_NONBLOCK;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &arg));
	EXPECT_EQ(EINVAL, errno);
	arg.open_flags = 0;
	arg.ranges = 8;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &arg));
	EXPECT_EQ(EFAULT, errno);

	/* BAR index and type: BAR0 is ivshmem's registers, not claimed. */
	EXPECT_EQ(-EINVAL, p2px_export(ctl, dev, 0, r, 1));
	EXPECT_EQ(-EINVAL, p2px_export(ctl, dev, 6, r, 1));
	EXPECT_EQ(-EINVAL, p2px_export(ctl, dev, ~0U, r, 1));
	/* Range count */
	EXPECT_EQ(-EINVAL, p2px_export(ctl, dev, 2, r, 0));
	for (i = 0; i <= P2PDMA_EXT_DMABUF_MAX_RANGES; i++) {
		r[i].offset = i * PAGE;
		r[i].length = PAGE;
	}
	EXPECT_EQ(-E2BIG, p2px_export(ctl, dev, 2, r,
				      P2PDMA_EXT_DMABUF_MAX_RANGES + 1));
	/* Alignment, length, bounds, overflow */
	r[0].offset = 100;
	EXPECT_EQ(-EINVAL, p2px_export(ctl, dev, 2, r, 1));
	r[0].offset = 0;
	r[0].length = 100;
	EXPECT_EQ(-EINVAL, p2px_export(ctl, dev, 2, r, 1));
	r[0].length = 0;
	EXPECT_EQ(-EINVAL, p2px_export(ctl, dev, 2, r, 1));
	r[0].offset = (64ULL << 20) - PAGE;
	r[0].length = 2 * PAGE;
	EXPECT_EQ(-ERANGE, p2px_export(ctl, dev, 2, r, 1));
	r[0].offset = 0ULL - PAGE;
	r[0].length = 2 * PAGE;
	EXPECT_EQ(-EOVERFLOW, p2px_export(ctl, dev, 2, r, 1));
	/* Devices: none there, and one not bound to the provider. */
	r[0].offset = 0;
	r[0].length = PAGE;
	EXPECT_EQ(-ENODEV, p2px_export(ctl, P2PDMA_EXT_DEVID(0x7777, 0, 0),
				       2, r, 1));
	if (find_pci(0x1234, 0x11e8, edu, sizeof(edu)))
		EXPECT_EQ(-ENODEV, p2px_export(ctl, p2px_devid(edu), 0, r, 1));

	/* A good one, of every page of the BAR in 256 ranges. */
	for (i = 0; i < P2PDMA_EXT_DMABUF_MAX_RANGES; i++) {
		r[i].offset = i * (256 * 1024ULL);
		r[i].length = 256 * 1024ULL;
	}
	fd = p2px_export(ctl, dev, 2, r, P2PDMA_EXT_DMABUF_MAX_RANGES);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	EXPECT_EQ(64LL << 20, lseek(fd, 0, SEEK_END));

	/* Revoke arguments */
	memset(&rv, 0, sizeof(rv));
	rv.argsz = sizeof(rv) - 1;
	rv.fd = fd;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_REVOKE, &rv));
	EXPECT_EQ(EINVAL, errno);
	rv.argsz = sizeof(rv);
	rv.reserved = 1;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_REVOKE, &rv));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EBADF, p2px_revoke(ctl, -1));
	EXPECT_EQ(-EBADF, p2px_revoke(ctl, ctl));
	EXPECT_EQ(0, p2px_revoke(ctl, fd));
	EXPECT_EQ(0, p2px_revoke(ctl, fd));
	close(fd);
	close(ctl);
}

/*
 * Import, map and DMA: edu writes pattern 1, then reads it back while
 * writing pattern 2; the host checks pattern 2.
 */
static void import_and_dma(struct __test_metadata *_metadata, int fd,
			   const char *bdf)
{
	char want[2 * 64 + 1], name[64] = "shm0", line[256], kind[64], n[64];
	struct edu_state s;
	FILE *f;

	ASSERT_EQ(0, edu_cmd("import %d", fd, 0, 0));
	ASSERT_EQ(0, edu_cmd("map", 0, 0, 0));
	ASSERT_EQ(0, edu_cmd("dma %d %d %d", DMA_OFF, DMA_LEN, SEED1));
	ASSERT_EQ(0, edu_cmd("dma %d %d %d", DMA_OFF, DMA_LEN, SEED2));
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_EQ(1, s.attached);
	EXPECT_EQ(1, s.mapped);
	EXPECT_EQ(0, s.notified);
	hex_of(want, SEED1, 0, 64);
	/* edu read back through the dma-buf what it wrote through it. */
	EXPECT_STREQ(want, s.read);

	f = fopen("/etc/p2px/nodes", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %63s", kind, n) == 2 &&
		    !strcmp(kind, "ivshmem"))
			snprintf(name, sizeof(name), "%s", n);
	if (f)
		fclose(f);
	(void)bdf;
	hex_of(want, SEED2, 0, 64);
	printf("# HOSTCHECK %s %llu %s\n", name, R1_OFF + 256, want);
	hex_of(want, SEED2, DMA_LEN - 64, 64);
	printf("# HOSTCHECK %s %llu %s\n", name, R1_OFF + 256 + DMA_LEN - 64,
	       want);
	fflush(stdout);
}

static int allow_host_bridge(const char *val)
{
	return p2px_write_file(ALLOW_PARAM, val);
}

TEST(import_dma)
{
	const char *topo = getenv("P2PX_TOPOLOGY");
	char bdf[64], *log;
	int ctl, fd, ret, mark;

	if (!topo)
		topo = "";
	if (!setup(_metadata, bdf, sizeof(bdf), 1))
		SKIP(return, "needs ivshmem and edu");
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	fd = export_default(ctl, bdf);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));

	if (!strcmp(topo, "rootports")) {
		/* Through q35's host bridge: refused until allowed. */
		mark = p2px_kmsg_mark();
		ret = edu_cmd("import %d", fd, 0, 0);
		log = p2px_kmsg_collect(mark);
		EXPECT_EQ(-EOPNOTSUPP, ret);
		EXPECT_GE(1, p2px_count_lines(log ? log : "", "p2pdma_ext"))
			TH_LOG("%s", log);
		free(log);
		ASSERT_EQ(0, allow_host_bridge("8086:29c0"));
	} else if (strcmp(topo, "switch") && strcmp(topo, "iommu") &&
		   strcmp(topo, "multifunc")) {
		close(fd);
		close(ctl);
		SKIP(return, "no expectation for topology '%s'", topo);
	}
	import_and_dma(_metadata, fd, bdf);
	EXPECT_EQ(0, edu_cmd("detach", 0, 0, 0));
	if (!strcmp(topo, "rootports"))
		EXPECT_EQ(0, allow_host_bridge(""));
	close(fd);
	close(ctl);
}

static void check_revoked(struct __test_metadata *_metadata)
{
	struct edu_state s;

	ASSERT_EQ(0, edu_state(&s));
	EXPECT_EQ(1, s.attached);
	EXPECT_EQ(0, s.mapped);
	EXPECT_LE(1, s.notified);
	EXPECT_EQ(-ENODEV, edu_cmd("map", 0, 0, 0));
	EXPECT_EQ(-ENODEV, edu_cmd("dma %d %d %d", 0, 64, 1));
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_LE(2, s.map_errors);
	EXPECT_EQ(-ENODEV, s.last_error);
	EXPECT_EQ(0, edu_cmd("detach", 0, 0, 0));
}

static int may_import(const char *topo)
{
	if (!strcmp(topo, "rootports"))
		return !allow_host_bridge("8086:29c0");
	return !strcmp(topo, "switch") || !strcmp(topo, "iommu") ||
	       !strcmp(topo, "multifunc");
}

TEST(revoke_explicit)
{
	const char *topo = getenv("P2PX_TOPOLOGY");
	char bdf[64];
	int ctl, fd;

	if (!topo)
		topo = "";
	if (!setup(_metadata, bdf, sizeof(bdf), 1))
		SKIP(return, "needs ivshmem and edu");
	if (!may_import(topo))
		SKIP(return, "no expectation for topology '%s'", topo);
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	fd = export_default(ctl, bdf);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, edu_cmd("import %d", fd, 0, 0));
	ASSERT_EQ(0, edu_cmd("map", 0, 0, 0));
	ASSERT_EQ(0, p2px_revoke(ctl, fd));
	check_revoked(_metadata);
	/* A revoked buffer takes no new importer. */
	EXPECT_EQ(-ENODEV, edu_cmd("import %d", fd, 0, 0));
	close(fd);
	close(ctl);
}

TEST(revoke_on_unbind)
{
	const char *topo = getenv("P2PX_TOPOLOGY");
	char bdf[64];
	int ctl, fd;

	if (!topo)
		topo = "";
	if (!setup(_metadata, bdf, sizeof(bdf), 1))
		SKIP(return, "needs ivshmem and edu");
	if (!may_import(topo))
		SKIP(return, "no expectation for topology '%s'", topo);
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	fd = export_default(ctl, bdf);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, edu_cmd("import %d", fd, 0, 0));
	ASSERT_EQ(0, edu_cmd("dma %d %d %d", DMA_OFF, 64, SEED2));
	ASSERT_EQ(0, unbind_dev(bdf));
	check_revoked(_metadata);
	/* Nothing to export from an unbound device. */
	EXPECT_EQ(-ENODEV, export_default(ctl, bdf));
	close(fd);
	EXPECT_EQ(0, bind_provider(bdf));
	close(ctl);
}

#define UNPLUG_LOOPS	5

/*
 * PCI hot-unplug of the exporting device (rootports: shm0 has a root port
 * of its own) while edu has it mapped: the provider's remove() revokes,
 * the importer is notified, maps fail; then the host plugs it back.
 */
TEST(revoke_on_hot_unplug)
{
	const char *topo = getenv("P2PX_TOPOLOGY");
	char bdf[64];
	int ctl, fd, i;

	if (!topo || strcmp(topo, "rootports"))
		SKIP(return, "needs the rootports topology (shm0 on its own root port)");
	if (!setup(_metadata, bdf, sizeof(bdf), 1))
		SKIP(return, "needs ivshmem and edu");
	ASSERT_EQ(0, allow_host_bridge("8086:29c0"));
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	for (i = 0; i < UNPLUG_LOOPS; i++) {
		fd = export_default(ctl, bdf);
		ASSERT_LE(0, fd) TH_LOG("round %d: export: %s", i, strerror(-fd));
		ASSERT_EQ(0, edu_cmd("import %d", fd, 0, 0));
		ASSERT_EQ(0, edu_cmd("dma %d %d %d", DMA_OFF, 64, SEED2));
		ASSERT_EQ(0, host_request("UNPLUG shm0"))
			TH_LOG("the runner needs --qmp for UNPLUG");
		ASSERT_EQ(0, p2px_wait_device(bdf, 0, 20));
		check_revoked(_metadata);
		close(fd);
		ASSERT_EQ(0, host_request("REPLUG shm0"));
		ASSERT_EQ(0, p2px_wait_device(bdf, 1, 30));
		ASSERT_EQ(0, p2px_rebind_provider(bdf));
	}
	close(ctl);
}

/* Runs last: with every fd closed both modules unload. */
TEST(teardown_releases_everything)
{
	char bdf[64], path[300];

	if (p2px_path_exists(ALLOW_PARAM))
		allow_host_bridge("");
	if (p2px_path_exists("/sys/module/p2px_edu"))
		ASSERT_EQ(0, p2px_unload("p2px_edu"));
	if (find_pci(0x1af4, 0x1110, bdf, sizeof(bdf))) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
		if (p2px_path_exists(path))
			ASSERT_EQ(0, unbind_dev(bdf));
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override",
			 bdf);
		ASSERT_EQ(0, p2px_write_file(path, "\n"));
	}
	if (p2px_module_loaded())
		ASSERT_EQ(0, p2px_unload(P2PX_MODULE_NAME));
}

TEST_HARNESS_MAIN
