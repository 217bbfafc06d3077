// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext DMA-BUF exporter selftests, run inside the test VM as root:
 * ranges of the ivshmem BAR2 (bound to the provider driver) are exported
 * through /dev/p2pdma_ext, p2px_edu imports the dma-buf fd (debugfs
 * p2px_edu/dmabuf), maps it and lets edu's DMA engine write and read the
 * BAR through the DMA addresses it got; every bad argument gets its errno;
 * the map type follows the allowlist at map time; a provider fd exports
 * like the control device and holds no binding; revoke (explicit, by
 * unbinding the provider, also of exports through a provider fd, by PCI
 * hot-unplug; P2PX_REVOKE_ROUNDS rounds each, 8 unless set) notifies the
 * importer, makes later maps fail with ENODEV and leaves no module
 * reference behind; a slow importer of one provider holds up no other
 * provider; closing everything lets both modules unload.
 *
 * Host check: "# HOSTCHECK NAME OFFSET HEX" lines name the bytes edu wrote
 * into the BAR; tools/check.sh compares them with the ivshmem backing file.
 */
#include <dirent.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "p2px_harness.h"
#include "p2px_dmabuf.h"
#include "p2px_topo.h"

#define PAGE		4096ULL

/* Far from where the registry test's allocations land. */
#define R0_OFF		(32ULL << 20)
#define R1_OFF		(48ULL << 20)
#define SEED1		11u
#define SEED2		77u
#define REVOKE_TIMEOUT	P2PX_PARAMS "/revoke_timeout"
#define DBG_DMABUFS	"/sys/kernel/debug/p2pdma_ext/dmabufs"
/* The first versions of the growing structures (ABI version 5). */
#define EXPORT_V5_SIZE		40
#define PROVIDER_OPEN_V5_SIZE	24
/* Rounds of each revoke loop (explicit, unbind, hot-unplug), by default. */
#define LOOPS		8

/* p2pdma_ext loaded, ivshmem bound to the provider, p2px_edu loaded. */
static int setup(struct __test_metadata *_metadata, char *bdf, size_t len,
		 int need_edu)
{
	char edu[64];

	if (!p2px_module_loaded())
		EXPECT_EQ(0, p2px_load(p2px_module_path(), NULL));
	if (!p2px_provider_dev(bdf, len))
		return 0;
	if (!bound_to(bdf, PROVIDER_DRV))
		EXPECT_EQ(0, bind_provider(bdf));
	EXPECT_TRUE(bound_to(bdf, PROVIDER_DRV));
	if (!need_edu)
		return 1;
	if (!p2px_dma_engine_dev(edu, sizeof(edu)))
		return 0;
	EXPECT_EQ(0, edu_ready());
	return 1;
}

static int export_default(int ctl, const char *bdf)
{
	const struct p2pdma_ext_dmabuf_range r[2] = {
		{ R0_OFF, IMPORT_R0_LEN }, { R1_OFF, IMPORT_R1_LEN },
	};

	return p2px_export(ctl, p2px_devid(bdf), 2, r, 2);
}

/*
 * Export the default ranges of @bdf on a new control fd (in *@ctl), have
 * edu import and map the dma-buf and then hold its mapping through the
 * revoke ("slow 1"), with revoke_timeout set to @timeout.
 * Return: the dma-buf fd, or a negative errno.
 */
static int export_held(const char *bdf, const char *timeout, int *ctl)
{
	int fd, ret;

	ret = p2px_write_file(REVOKE_TIMEOUT, timeout);
	if (ret)
		return ret;
	*ctl = p2px_ctl_open();
	if (*ctl < 0)
		return *ctl;
	fd = export_default(*ctl, bdf);
	if (fd < 0)
		return fd;
	if (p2px_edu_cmd(EDU_DMABUF, "import %d", fd) ||
	    p2px_edu_cmd(EDU_DMABUF, "map") ||
	    p2px_edu_cmd(EDU_DMABUF, "slow 1")) {
		close(fd);
		return -EIO;
	}
	return fd;
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
		SKIP(return, "no provider (P2PX_PROVIDER)");
	dev = p2px_devid(bdf);
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);

	/* argsz, flags, open_flags */
	memset(&arg, 0, sizeof(arg));
	arg.argsz = EXPORT_V5_SIZE - 1;
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
	if (p2px_dma_engine_dev(edu, sizeof(edu)))
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
 * P2PDMA_EXT_IOC_PROVIDER_OPEN: bad arguments get their errnos; a
 * provider fd exports (with @device zero or its own id) like the control
 * device, refuses other devices and commands, outlives an unbind (exports
 * then fail with ENODEV) and works again after the rebind.
 */
TEST(provider_fd)
{
	struct p2pdma_ext_dmabuf_range r[2] = {
		{ R0_OFF, PAGE }, { R1_OFF, 2 * PAGE },
	};
	struct p2pdma_ext_provider_open po;
	struct p2pdma_ext_dmabuf_export arg;
	struct p2pdma_ext_info info;
	char bdf[64], edu[64];
	int ctl, pfd, fd;
	__u64 dev;

	if (!setup(_metadata, bdf, sizeof(bdf), 0))
		SKIP(return, "no provider (P2PX_PROVIDER)");
	dev = p2px_devid(bdf);
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);

	/* argsz, flags, open_flags, pointer */
	memset(&po, 0, sizeof(po));
	po.argsz = PROVIDER_OPEN_V5_SIZE - 1;
	po.device = dev;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_PROVIDER_OPEN, &po));
	EXPECT_EQ(EINVAL, errno);
	po.argsz = sizeof(po);
	po.flags = 1;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_PROVIDER_OPEN, &po));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, p2px_provider_open(ctl, dev, O_NONBLOCK));
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_PROVIDER_OPEN, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/* Devices: none there, and one not bound to the provider. */
	EXPECT_EQ(-ENODEV, p2px_provider_open(ctl, P2PDMA_EXT_DEVID(0x7777, 0, 0), 0));
	if (p2px_dma_engine_dev(edu, sizeof(edu)))
		EXPECT_EQ(-ENODEV, p2px_provider_open(ctl, p2px_devid(edu), 0));

	pfd = p2px_provider_open(ctl, dev, O_CLOEXEC);
	ASSERT_LE(0, pfd) TH_LOG("provider open: %s", strerror(-pfd));
	EXPECT_EQ(FD_CLOEXEC, fcntl(pfd, F_GETFD) & FD_CLOEXEC);
	fd = p2px_provider_open(ctl, dev, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	/* Exports: @device zero or its own id; the usual checks. */
	fd = p2px_export(pfd, 0, 2, r, 2);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	EXPECT_EQ(3 * PAGE, lseek(fd, 0, SEEK_END));
	close(fd);
	fd = p2px_export(pfd, dev, 2, r, 1);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	EXPECT_EQ(PAGE, lseek(fd, 0, SEEK_END));
	close(fd);
	EXPECT_EQ(-EINVAL, p2px_export(pfd, P2PDMA_EXT_DEVID(0x7777, 0, 0), 2,
				       r, 1));
	if (p2px_dma_engine_dev(edu, sizeof(edu)))
		EXPECT_EQ(-EINVAL, p2px_export(pfd, p2px_devid(edu), 2, r, 1));
	EXPECT_EQ(-EINVAL, p2px_export(pfd, 0, 0, r, 1));
	EXPECT_EQ(-EINVAL, p2px_export(pfd, 0, 2, r, 0));
	EXPECT_EQ(-E2BIG, p2px_export(pfd, 0, 2, r,
				      P2PDMA_EXT_DMABUF_MAX_RANGES + 1));
	EXPECT_EQ(-EFAULT, p2px_export(pfd, 0, 2, (void *)8, 1));
	r[1].offset = (64ULL << 20) - PAGE;
	EXPECT_EQ(-ERANGE, p2px_export(pfd, 0, 2, r, 2));
	r[1].offset = R1_OFF;
	memset(&arg, 0, sizeof(arg));
	arg.argsz = EXPORT_V5_SIZE - 1;
	EXPECT_EQ(-1, ioctl(pfd, P2PDMA_EXT_IOC_DMABUF_EXPORT, &arg));
	EXPECT_EQ(EINVAL, errno);

	/* Only the export command. */
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	EXPECT_EQ(-1, ioctl(pfd, P2PDMA_EXT_IOC_INFO, &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-ENOTTY, p2px_provider_open(pfd, dev, 0));
	EXPECT_EQ(-ENOTTY, p2px_revoke(pfd, ctl));

	/* The fd holds no binding: unbind works, exports fail, rebind. */
	ASSERT_EQ(0, unbind_dev(bdf));
	EXPECT_EQ(-ENODEV, p2px_export(pfd, 0, 2, r, 1));
	EXPECT_EQ(-ENODEV, p2px_provider_open(ctl, dev, 0));
	ASSERT_EQ(0, bind_provider(bdf));
	fd = p2px_export(pfd, 0, 2, r, 1);
	EXPECT_LE(0, fd) TH_LOG("export after rebind: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
	close(pfd);
	close(ctl);
}

/* edu command @cmd (with @arg) is refused: EOPNOTSUPP, one log line. */
static void expect_refused(struct __test_metadata *_metadata,
			   const char *cmd, int arg)
{
	int mark = p2px_kmsg_mark();
	int ret = p2px_edu_cmd(EDU_DMABUF, cmd, arg);
	char *log = p2px_kmsg_collect(mark);

	EXPECT_EQ(-EOPNOTSUPP, ret);
	EXPECT_EQ(1, p2px_count_lines(log ? log : "", "refused"))
		TH_LOG("%s", log);
	free(log);
}

/*
 * The importer test on the path between the ivshmem and edu, as the
 * module reports it: a direct path maps at once; a host bridge path is
 * refused (one log line) until its root device is allowed.
 */
FIXTURE(import) {
	char bdf[64];
	struct p2px_pair pair;
	int ctl, fd;
	int identity;	/* edu's IOMMU group put in an identity domain */
};

FIXTURE_VARIANT(import) {
	enum p2px_path path;
};

FIXTURE_VARIANT_ADD(import, direct) {
	.path = P2PX_PATH_DIRECT,
};

FIXTURE_VARIANT_ADD(import, host_bridge) {
	.path = P2PX_PATH_HOST_BRIDGE,
};

FIXTURE_SETUP(import)
{
	const char *why;

	self->ctl = -1;
	self->fd = -1;
	if (!setup(_metadata, self->bdf, sizeof(self->bdf), 1))
		SKIP(return, "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)");
	/* The module's own policy: no allowlist entry left by another test. */
	ASSERT_EQ(0, allow_host_bridge(""));
	ASSERT_EQ(0, p2px_pair_get(&self->pair));
	why = p2px_pair_not(&self->pair, variant->path);
	if (why)
		SKIP(return, "%s", why);
	if (variant->path == P2PX_PATH_HOST_BRIDGE &&
	    self->pair.r.map_type != P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED)
		SKIP(return, "the host bridge is allowed without an allowlist entry (reason %u)",
		     self->pair.r.reason);
	self->ctl = p2px_ctl_open();
	ASSERT_LE(0, self->ctl);
	self->fd = export_default(self->ctl, self->bdf);
	ASSERT_LE(0, self->fd) TH_LOG("export: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(import)
{
	struct edu_state s;

	if (!edu_state(&s) && s.attached)
		p2px_edu_cmd(EDU_DMABUF, "detach");
	EXPECT_EQ(0, p2px_pair_close(&self->pair));
	if (self->fd >= 0)
		close(self->fd);
	if (self->ctl >= 0)
		close(self->ctl);
	if (self->identity)
		EXPECT_EQ(0, p2px_edu_domain(self->pair.client, "auto"));
}

TEST_F(import, import_dma)
{
	struct edu_state s;

	if (_metadata->skip)
		return;
	if (variant->path == P2PX_PATH_HOST_BRIDGE) {
		/* Through the host bridge: refused until allowed. */
		expect_refused(_metadata, "import %d", self->fd);
		ASSERT_EQ(0, p2px_pair_open(&self->pair)) TH_LOG("%s", self->pair.text);
	}
	if (!p2px_pair_dma_moves(&self->pair)) {
		printf("# %s\n", P2PX_QEMU_BUS_ADDR_NOTE);
		ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", self->fd));
		ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map"));
		ASSERT_EQ(0, edu_state(&s));
		EXPECT_EQ(1, s.mapped);
		EXPECT_EQ(bar_bus_address(self->bdf, 2) + R0_OFF, s.sg0);
		EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
		return;
	}
	edu_import_and_dma(_metadata, self->fd, R1_OFF, SEED1, SEED2);
	ASSERT_EQ(0, edu_state(&s));
	/* A bus address wherever the pair is direct, as upstream. */
	if (self->pair.r.map_type == P2PDMA_EXT_TOPO_MAP_BUS_ADDR)
		EXPECT_EQ(bar_bus_address(self->bdf, 2) + R0_OFF, s.sg0);
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
}

/*
 * The address rule of the direct path: a BUS_ADDR pair gets the PCI bus
 * address, also when an IOMMU translates edu's DMA (upstream's rule: the
 * switch routes the TLP before any IOMMU sees it), never an IOVA.
 */
TEST_F(import, bus_address_whatever_the_iommu)
{
	struct edu_state s;

	if (_metadata->skip)
		return;
	if (variant->path != P2PX_PATH_DIRECT)
		SKIP(return, "a host bridge path is mapped by the DMA API");
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", self->fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map"));
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_EQ(bar_bus_address(self->bdf, 2) + R0_OFF, s.sg0);
	printf("# DMA address %#llx, edu's DMA %s\n", s.sg0,
	       p2px_dma_translated(self->pair.client) ?
	       "translated by an IOMMU" : "not translated");
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
}

/*
 * The passthrough variant of a direct pair behind an IOMMU: edu's group
 * in an identity domain, where QEMU's IOMMU model lets the bus address
 * through, shows the same mapping moving bytes (host-checked); the group
 * goes back to its default domain in teardown.
 */
TEST_F(import, import_dma_identity_domain)
{
	struct edu_state s;

	if (_metadata->skip)
		return;
	if (variant->path != P2PX_PATH_DIRECT ||
	    p2px_pair_dma_moves(&self->pair))
		SKIP(return, "not a direct pair behind an IOMMU: import_dma moved the bytes");
	if (p2px_edu_domain(self->pair.client, "identity"))
		SKIP(return, "edu's IOMMU group takes no identity domain (writable from 5.11 on)");
	self->identity = 1;
	edu_import_and_dma(_metadata, self->fd, R1_OFF, SEED1, SEED2);
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_EQ(bar_bus_address(self->bdf, 2) + R0_OFF, s.sg0);
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
}

/*
 * The map type follows the policy in force at map time: on a host bridge
 * path, attach while the host bridge is allowed, take the permission
 * back, and the map is refused (one log line); allowed again, it maps
 * and DMA works.
 */
TEST_F(import, map_follows_policy)
{
	if (_metadata->skip)
		return;
	if (variant->path != P2PX_PATH_HOST_BRIDGE)
		SKIP(return, "a direct path does not depend on the host bridge allowlist");
	ASSERT_EQ(0, p2px_pair_open(&self->pair)) TH_LOG("%s", self->pair.text);
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", self->fd));
	ASSERT_EQ(0, p2px_pair_close(&self->pair));
	expect_refused(_metadata, "map", 0);
	ASSERT_EQ(0, p2px_pair_open(&self->pair));
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map"));
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "dma %d %d %d", 0, 64, SEED2));
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
}

/*
 * Export, import, map and DMA (without @dma only map: see
 * p2px_pair_dma_moves()): one round's start. Returns the fd.
 */
static int round_start(struct __test_metadata *_metadata, int ctl,
		       const char *bdf, int round, int dma)
{
	int fd = export_default(ctl, bdf);

	EXPECT_LE(0, fd) TH_LOG("round %d: export: %s", round, strerror(-fd));
	if (fd < 0)
		return fd;
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd)) TH_LOG("round %d", round);
	if (dma) {
		EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "dma %d %d %d", 0, 64,
					  SEED2 + round))
			TH_LOG("round %d", round);
	} else {
		EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map")) TH_LOG("round %d", round);
	}
	return fd;
}

/*
 * The loops get more than the harness's default 30 s each. A SKIP in this
 * harness's fixture setup does not stop the test body: bodies check
 * _metadata->skip first.
 */
FIXTURE(loop) {
	struct p2px_pair pair;
	char bdf[64];
	int ctl;
	int refcnt;	/* p2pdma_ext's module refcount before the loop */
};

FIXTURE_SETUP(loop)
{
	self->ctl = -1;
	if (!setup(_metadata, self->bdf, sizeof(self->bdf), 1))
		SKIP(return, "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)");
	ASSERT_EQ(0, p2px_pair_get(&self->pair));
	/* A host bridge path once its root is allowed; none: nothing to do. */
	if (p2px_pair_open(&self->pair))
		SKIP(return, "no peer-to-peer path: %.900s", self->pair.text);
	self->refcnt = module_refcnt(P2PX_MODULE_NAME);
	self->ctl = p2px_ctl_open();
	ASSERT_LE(0, self->ctl);
}

FIXTURE_TEARDOWN(loop)
{
	EXPECT_EQ(0, p2px_pair_close(&self->pair));
	if (self->ctl < 0)
		return;
	close(self->ctl);
	/* Every dma-buf gone: no module reference left behind. */
	EXPECT_EQ(self->refcnt, module_refcnt(P2PX_MODULE_NAME));
}

enum revoke_how { BY_IOCTL, BY_UNBIND, BY_UNPLUG };

/*
 * Rounds (P2PX_REVOKE_ROUNDS, else LOOPS) of: export, import, map, DMA,
 * revoke @how; edu must have been notified, hold no mapping and get ENODEV
 * for maps; then undo.
 */
static void revoke_loop(struct __test_metadata *_metadata, int ctl,
			const char *bdf, enum revoke_how how,
			const struct p2px_pair *pair)
{
	static const char *const name[] = { "ioctl", "unbind", "hot-unplug" };
	const char *env = p2px_env("P2PX_REVOKE_ROUNDS");
	int dma = p2px_pair_dma_moves(pair), fd, i, rounds;

	rounds = env ? atoi(env) : LOOPS;
	ASSERT_LT(0, rounds) TH_LOG("P2PX_REVOKE_ROUNDS=%s: not a count", env);
	if (!dma)
		printf("# %s\n", P2PX_QEMU_BUS_ADDR_NOTE);
	for (i = 0; i < rounds && _metadata->passed; i++) {
		fd = round_start(_metadata, ctl, bdf, i, dma);
		ASSERT_LE(0, fd);
		if (how == BY_IOCTL) {
			ASSERT_EQ(0, p2px_revoke(ctl, fd));
		} else if (how == BY_UNBIND) {
			ASSERT_EQ(0, unbind_dev(bdf));
		} else {
			ASSERT_EQ(0, host_request("UNPLUG shm0"))
				TH_LOG("the runner needs --qmp for UNPLUG");
			ASSERT_EQ(0, p2px_wait_device(bdf, 0, 20));
		}
		edu_check_revoked(_metadata);
		if (how == BY_IOCTL)	/* a revoked buffer takes no importer */
			EXPECT_EQ(-ENODEV, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
		if (how == BY_UNBIND)	/* nothing to export when unbound */
			EXPECT_EQ(-ENODEV, export_default(ctl, bdf));
		close(fd);
		if (how == BY_UNBIND)
			ASSERT_EQ(0, bind_provider(bdf));
		if (how == BY_UNPLUG) {
			ASSERT_EQ(0, host_request("REPLUG shm0"));
			ASSERT_EQ(0, p2px_wait_device(bdf, 1, 30));
			ASSERT_EQ(0, rebind_driver(bdf, PROVIDER_DRV));
		}
	}
	printf("# revoke by %s: %d rounds\n", name[how], i);
	fflush(stdout);
}

TEST_F_TIMEOUT(loop, revoke_explicit, 120)
{
	if (!_metadata->skip)
		revoke_loop(_metadata, self->ctl, self->bdf, BY_IOCTL,
			    &self->pair);
}

TEST_F_TIMEOUT(loop, revoke_on_unbind, 120)
{
	if (!_metadata->skip)
		revoke_loop(_metadata, self->ctl, self->bdf, BY_UNBIND,
			    &self->pair);
}

/* The same with every export through one provider fd, kept open. */
TEST_F_TIMEOUT(loop, revoke_on_unbind_provider_fd, 120)
{
	int pfd;

	if (_metadata->skip)
		return;
	pfd = p2px_provider_open(self->ctl, p2px_devid(self->bdf), O_CLOEXEC);
	ASSERT_LE(0, pfd) TH_LOG("provider open: %s", strerror(-pfd));
	revoke_loop(_metadata, pfd, self->bdf, BY_UNBIND, &self->pair);
	close(pfd);
}

/*
 * PCI hot-unplug of the exporting device (alone below its root port, as
 * sysfs shows, so that the host can unplug it) while edu has it mapped:
 * the provider's remove() revokes, the importer is notified, maps fail;
 * then the host plugs it back.
 */
TEST_F_TIMEOUT(loop, revoke_on_hot_unplug, 300)
{
	if (_metadata->skip)
		return;
	if (!p2px_alone_below_root_port(self->bdf))
		SKIP(return, "needs the ivshmem alone below a root port (hot-unplug)");
	revoke_loop(_metadata, self->ctl, self->bdf, BY_UNPLUG, &self->pair);
}

/*
 * A slow importer of one device holds up nobody else: edu keeps its
 * mapping of an ivshmem buffer after the notify, so unbinding the ivshmem
 * waits; meanwhile the NVMe's CMB (a second provider) exports, revokes,
 * unbinds and binds again. Once edu unmaps, the ivshmem unbind finishes.
 */
TEST(slow_importer_blocks_only_its_device)
{
	const struct p2pdma_ext_dmabuf_range r = { 0, PAGE };
	struct p2px_pair pair;
	char bdf[64], nvme[64];
	struct edu_state s;
	int ctl, fd, fd2, i, status;
	pid_t child;

	if (!setup(_metadata, bdf, sizeof(bdf), 1))
		SKIP(return, "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)");
	if (!p2px_provider2_dev(nvme, sizeof(nvme)))
		SKIP(return, "needs an NVMe with a CMB (second provider)");
	ASSERT_EQ(0, p2px_pair_get(&pair));
	if (p2px_pair_open(&pair))
		SKIP(return, "no peer-to-peer path: %.900s", pair.text);
	if (!bound_to(nvme, PROVIDER_DRV))
		ASSERT_EQ(0, bind_provider(nvme));
	ASSERT_TRUE(bound_to(nvme, PROVIDER_DRV));
	/* It holds the unbind on purpose: no bound (pinned_importer has one). */
	fd = export_held(bdf, "0", &ctl);
	ASSERT_LE(0, fd) TH_LOG("export, import, map: %s", strerror(-fd));

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		close_fds_from(3);
		_exit(unbind_dev(bdf) ? 1 : 0);
	}
	/* The revoke has begun: edu was told, and still holds its mapping. */
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, edu_state(&s));
		if (s.notified)
			break;
		usleep(50000);
	}
	EXPECT_LE(1, s.notified);
	EXPECT_EQ(1, s.mapped);
	EXPECT_EQ(0, waitpid(child, &status, WNOHANG));

	/* The other provider is not held up. */
	fd2 = p2px_export(ctl, p2px_devid(nvme), 2, &r, 1);
	EXPECT_LE(0, fd2) TH_LOG("nvme export: %s", strerror(-fd2));
	EXPECT_EQ(0, p2px_revoke(ctl, fd2));
	close(fd2);
	fd2 = p2px_export(ctl, p2px_devid(nvme), 2, &r, 1);
	EXPECT_LE(0, fd2);
	EXPECT_EQ(0, unbind_dev(nvme));
	close(fd2);
	EXPECT_EQ(0, bind_provider(nvme));
	fd2 = p2px_export(ctl, p2px_devid(nvme), 2, &r, 1);
	EXPECT_LE(0, fd2);
	close(fd2);
	/* ... while the ivshmem's unbind still waits for edu. */
	EXPECT_EQ(0, waitpid(child, &status, WNOHANG));

	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "unmap"));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "slow 0"));
	edu_check_revoked(_metadata);
	close(fd);
	EXPECT_EQ(0, unbind_dev(nvme));
	EXPECT_EQ(0, bind_provider(bdf));
	EXPECT_EQ(0, p2px_pair_close(&pair));
	EXPECT_EQ(0, p2px_write_file(REVOKE_TIMEOUT, "10"));
	close(ctl);
}

/*
 * pinned_importer: edu maps and then ignores the revoke (it keeps its
 * mapping until told "unmap", as an importer that pins and never unmaps
 * would). Unbinding the provider completes once revoke_timeout (2 s here)
 * ran out, with one log line naming edu, instead of never.
 */
TEST(pinned_importer)
{
	struct p2px_pair pair;
	char bdf[64], edu[64], *log;
	struct timespec t0, t1;
	struct edu_state s;
	int ctl, fd, kmsg, status, i;
	pid_t child;

	if (!setup(_metadata, bdf, sizeof(bdf), 1) ||
	    !p2px_dma_engine_dev(edu, sizeof(edu)))
		SKIP(return, "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)");
	ASSERT_EQ(0, p2px_pair_get(&pair));
	if (p2px_pair_open(&pair))
		SKIP(return, "no peer-to-peer path: %.900s", pair.text);
	fd = export_held(bdf, "2", &ctl);
	ASSERT_LE(0, fd) TH_LOG("export, import, map: %s", strerror(-fd));

	kmsg = p2px_kmsg_mark();
	ASSERT_LE(0, kmsg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		close_fds_from(3);
		_exit(unbind_dev(bdf) ? 1 : 0);
	}
	/* The bound is 2 s; allow 10 s more for a slow TCG guest. */
	for (i = 0; i < 120 && !waitpid(child, &status, WNOHANG); i++)
		usleep(100000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (i == 120) {
		/* Let the child go (old behaviour: it waits for the unmap). */
		p2px_edu_cmd(EDU_DMABUF, "unmap");
		waitpid(child, &status, 0);
	}
	EXPECT_GT(120, i) TH_LOG("unbind still waiting after 12 s");
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_LE(2, t1.tv_sec - t0.tv_sec);
	log = p2px_kmsg_collect(kmsg);
	ASSERT_NE(NULL, log);
	EXPECT_EQ(1, p2px_count_lines(log, "gave up")) TH_LOG("%s", log);
	EXPECT_EQ(1, p2px_count_lines(log, edu)) TH_LOG("%s", log);
	free(log);

	/* edu still holds its (stale) mapping; it goes when edu lets it. */
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_LE(1, s.notified);
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "unmap"));
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "slow 0"));
	edu_check_revoked(_metadata);
	close(fd);
	close(ctl);
	EXPECT_EQ(0, p2px_write_file(REVOKE_TIMEOUT, "10"));
	EXPECT_EQ(0, bind_provider(bdf));
	EXPECT_EQ(0, p2px_pair_close(&pair));
}

/* "maps N" of dma-buf @fd in debugfs p2pdma_ext/dmabufs; -1 if not listed. */
static int dmabuf_maps(int fd)
{
	char buf[16384], want[48], *p;
	unsigned int n;
	struct stat st;

	if (fstat(fd, &st) || p2px_read_file(DBG_DMABUFS, buf, sizeof(buf)))
		return -1;
	snprintf(want, sizeof(want), "ino %llu ", (unsigned long long)st.st_ino);
	p = strstr(buf, want);
	if (p)
		p = strstr(p, " maps ");
	if (!p || sscanf(p, " maps %u", &n) != 1)
		return -1;
	return n;
}

/*
 * move_notify_kernel: on a kernel built with CONFIG_DMABUF_MOVE_NOTIFY
 * (the core does not pin dynamic importers), the importer's map and unmap
 * reach the exporter: nothing is mapped at attach, the unmap really
 * unmaps, a revoke after it has nothing to wait for, and a map after the
 * revoke fails with ENODEV. (An exporter the core takes for a static one
 * gets one mapping cached at attach instead, which outlives the unmap.)
 */
TEST(move_notify_kernel)
{
	struct p2pdma_ext_info info;
	struct p2px_pair pair;
	char bdf[64], edu[64], *log;
	int ctl, fd, kmsg;

	ASSERT_EQ(0, p2px_module_info(&info));
	if (!(info.kernel_features & P2PDMA_EXT_KFEAT_DMABUF_MOVE_NOTIFY))
		SKIP(return, "kernel without CONFIG_DMABUF_MOVE_NOTIFY (6.1-debug has it)");
	if (!setup(_metadata, bdf, sizeof(bdf), 1) ||
	    !p2px_dma_engine_dev(edu, sizeof(edu)))
		SKIP(return, "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)");
	ASSERT_EQ(0, p2px_pair_get(&pair));
	if (p2px_pair_open(&pair))
		SKIP(return, "no peer-to-peer path: %.900s", pair.text);
	ASSERT_EQ(0, p2px_write_file(REVOKE_TIMEOUT, "2"));
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	fd = export_default(ctl, bdf);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));

	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	EXPECT_EQ(0, dmabuf_maps(fd)) TH_LOG("mapped at attach");
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map"));
	EXPECT_EQ(1, dmabuf_maps(fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "unmap"));
	EXPECT_EQ(0, dmabuf_maps(fd)) TH_LOG("the unmap left a mapping");

	kmsg = p2px_kmsg_mark();
	ASSERT_LE(0, kmsg);
	EXPECT_EQ(0, p2px_revoke(ctl, fd));
	log = p2px_kmsg_collect(kmsg);
	ASSERT_NE(NULL, log);
	EXPECT_EQ(0, p2px_count_lines(log, "gave up")) TH_LOG("%s", log);
	free(log);
	EXPECT_EQ(-ENODEV, p2px_edu_cmd(EDU_DMABUF, "map"));

	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
	close(fd);
	close(ctl);
	EXPECT_EQ(0, p2px_write_file(REVOKE_TIMEOUT, "10"));
	EXPECT_EQ(0, p2px_pair_close(&pair));
}

/*
 * uapi_growth: structures grow at the end, copied in as
 * copy_struct_from_user() does; commands match without their size field;
 * an fd is installed only once its number was written back.
 */

/* ABI version 5's command numbers (old binaries). */
#define IOC_EXPORT_V5		_IOC(_IOC_READ | _IOC_WRITE, \
				     P2PDMA_EXT_IOC_MAGIC, 0x10, EXPORT_V5_SIZE)
#define IOC_PROVIDER_OPEN_V5	_IOC(_IOC_READ | _IOC_WRITE, \
				     P2PDMA_EXT_IOC_MAGIC, 0x13, \
				     PROVIDER_OPEN_V5_SIZE)

union grown {
	struct p2pdma_ext_dmabuf_export e;
	struct p2pdma_ext_provider_open o;
	struct p2pdma_ext_dmabuf_revoke r;
	struct p2pdma_ext_dmabuf_list l;
	struct p2pdma_ext_topo_pairs q;
	unsigned char b[256];
};

/* The ioctl's result: the fd it wrote at @fdp, or -errno. */
static int ioc_fd(int ctl, unsigned long cmd, union grown *u, __s32 *fdp)
{
	return ioctl(ctl, cmd, u) ? -errno : *fdp;
}

static void grown_export(union grown *u, __u64 dev,
			 const struct p2pdma_ext_dmabuf_range *r, __u32 argsz,
			 int fill)
{
	memset(u, fill, sizeof(*u));
	memset(&u->e, 0, sizeof(u->e));
	u->e.argsz = argsz;
	u->e.device = dev;
	u->e.bar = 2;
	u->e.nr_ranges = 1;
	u->e.open_flags = O_CLOEXEC;
	u->e.ranges = (uintptr_t)r;
	u->e.fd = -1;
}

static void grown_open(union grown *u, __u64 dev, __u32 argsz, int fill)
{
	memset(u, fill, sizeof(*u));
	memset(&u->o, 0, sizeof(u->o));
	u->o.argsz = argsz;
	u->o.device = dev;
	u->o.open_flags = O_CLOEXEC;
	u->o.fd = -1;
}

/* Expect a new fd from @ret and close it. */
#define EXPECT_FD(ret) do {						\
	int __fd = (ret);						\
	EXPECT_LE(0, __fd) TH_LOG("%s", strerror(-__fd));		\
	if (__fd >= 0)							\
		close(__fd);						\
} while (0)

TEST(uapi_growth_argsz)
{
	const struct p2pdma_ext_dmabuf_range r = { R0_OFF, PAGE };
	union grown u;
	char bdf[64];
	__u64 dev;
	int ctl;

	if (!setup(_metadata, bdf, sizeof(bdf), 0))
		SKIP(return, "no ivshmem in this topology");
	dev = p2px_devid(bdf);
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);

	/* Export: a newer caller's larger structure, its extra bytes zero. */
	grown_export(&u, dev, &r, sizeof(u.e) + 16, 0);
	EXPECT_FD(ioc_fd(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &u, &u.e.fd));
	/* ... one of them set: this module lacks what it asks for. */
	grown_export(&u, dev, &r, sizeof(u.e) + 16, 0);
	u.b[sizeof(u.e) + 15] = 1;
	EXPECT_EQ(-E2BIG, ioc_fd(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &u,
				 &u.e.fd));
	grown_export(&u, dev, &r, 8192, 0);
	EXPECT_EQ(-E2BIG, ioc_fd(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &u,
				 &u.e.fd));
	/* Below the first version: EINVAL. */
	grown_export(&u, dev, &r, EXPORT_V5_SIZE - 1, 0);
	EXPECT_EQ(-EINVAL, ioc_fd(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &u,
				  &u.e.fd));
	/*
	 * The first version (an old binary): what follows it is not read,
	 * garbage or not, under the old command number and the new one.
	 */
	grown_export(&u, dev, &r, EXPORT_V5_SIZE, 0xa5);
	EXPECT_FD(ioc_fd(ctl, IOC_EXPORT_V5, &u, &u.e.fd));
	grown_export(&u, dev, &r, EXPORT_V5_SIZE, 0xa5);
	EXPECT_FD(ioc_fd(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &u, &u.e.fd));
	/* Reserved: zero or EINVAL. */
	grown_export(&u, dev, &r, sizeof(u.e), 0);
	u.e.reserved = 1;
	EXPECT_EQ(-EINVAL, ioc_fd(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &u,
				  &u.e.fd));

	/* Provider open: the same rules. */
	grown_open(&u, dev, sizeof(u.o) + 8, 0);
	EXPECT_FD(ioc_fd(ctl, P2PDMA_EXT_IOC_PROVIDER_OPEN, &u, &u.o.fd));
	grown_open(&u, dev, sizeof(u.o) + 8, 0);
	u.b[sizeof(u.o) + 7] = 1;
	EXPECT_EQ(-E2BIG, ioc_fd(ctl, P2PDMA_EXT_IOC_PROVIDER_OPEN, &u,
				 &u.o.fd));
	grown_open(&u, dev, PROVIDER_OPEN_V5_SIZE - 1, 0);
	EXPECT_EQ(-EINVAL, ioc_fd(ctl, P2PDMA_EXT_IOC_PROVIDER_OPEN, &u,
				  &u.o.fd));
	grown_open(&u, dev, PROVIDER_OPEN_V5_SIZE, 0xa5);
	EXPECT_FD(ioc_fd(ctl, IOC_PROVIDER_OPEN_V5, &u, &u.o.fd));
	grown_open(&u, dev, sizeof(u.o), 0);
	u.o.reserved = 1;
	EXPECT_EQ(-EINVAL, ioc_fd(ctl, P2PDMA_EXT_IOC_PROVIDER_OPEN, &u,
				  &u.o.fd));

	/* Revoke, list and topology pairs: unknown bytes set, E2BIG. */
	memset(&u, 0, sizeof(u));
	u.r.argsz = sizeof(u.r) + 8;
	u.r.fd = -1;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_REVOKE, &u));
	EXPECT_EQ(EBADF, errno);
	u.b[sizeof(u.r) + 7] = 1;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_REVOKE, &u));
	EXPECT_EQ(E2BIG, errno);
	memset(&u, 0, sizeof(u));
	u.l.argsz = sizeof(u.l) + 8;
	u.l.entry_size = sizeof(struct p2pdma_ext_dmabuf_info);
	u.b[sizeof(u.l) + 7] = 1;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_LIST, &u));
	EXPECT_EQ(E2BIG, errno);
	memset(&u, 0, sizeof(u));
	u.q.argsz = sizeof(u.q) + 8;
	u.b[sizeof(u.q) + 7] = 1;
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_TOPO_PAIRS, &u));
	EXPECT_EQ(E2BIG, errno);
	close(ctl);
}

/* Open file descriptors of this process. */
static int count_fds(void)
{
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

TEST(uapi_growth_no_fd_on_efault)
{
	const struct p2pdma_ext_dmabuf_range r = { R0_OFF, PAGE };
	union grown *u;
	char bdf[64];
	int ctl, n;

	if (!setup(_metadata, bdf, sizeof(bdf), 0))
		SKIP(return, "no ivshmem in this topology");
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	/* Readable, not writable: the copy-in works, the copy-out fails. */
	u = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, u);

	grown_export(u, p2px_devid(bdf), &r, sizeof(u->e), 0);
	ASSERT_EQ(0, mprotect(u, PAGE, PROT_READ));
	n = count_fds();
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, u));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(n, count_fds());

	ASSERT_EQ(0, mprotect(u, PAGE, PROT_READ | PROT_WRITE));
	grown_open(u, p2px_devid(bdf), sizeof(u->o), 0);
	ASSERT_EQ(0, mprotect(u, PAGE, PROT_READ));
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_PROVIDER_OPEN, u));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(n, count_fds());
	munmap(u, PAGE);
	close(ctl);
}

/* Bytes of each p2pmem/allocate mapping of export_pool_overlap. */
#define POOL_MAP	(2ULL << 20)

/* A p2pmem/allocate mapping of @len bytes on @fd, or MAP_FAILED. */
static unsigned char *pool_map(int fd, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

/*
 * Exports and the P2P pool never share memory. The provider registers
 * BAR2 whole; a fresh pool is first fit, so the first allocation lands at
 * the BAR's start. Memory the pool handed out cannot be exported (EBUSY,
 * for any range touching it, and then no range of that export is taken);
 * an export takes its memory out of the pool (available drops, the next
 * allocation lands after it: the host checks the bytes written there at
 * that BAR offset, and the pool refuses more than what is left); memory
 * exported once cannot be exported again, not even within one export;
 * revoking, or closing the last fd, gives the memory back. The
 * allocations are zeroed (p2pmem_test allocate_zeroed): only the bytes
 * written here are checked.
 */
TEST(export_pool_overlap)
{
	struct p2pdma_ext_dmabuf_range r[2];
	unsigned long long size;
	char bdf[64], path[300], name[64], want[129], got[129];
	unsigned char *a, *b, *c;
	int ctl, pool, fd, fd2;
	size_t i;
	__u64 dev;

	if (!setup(_metadata, bdf, sizeof(bdf), 0))
		SKIP(return, "no provider (P2PX_PROVIDER)");
	dev = p2px_devid(bdf);
	/* A fresh pool: first fit from the BAR's start. */
	ASSERT_EQ(0, unbind_dev(bdf));
	ASSERT_EQ(0, bind_provider(bdf));
	size = read_ull(bdf, "p2pmem/size");
	ASSERT_LE(8 * POOL_MAP, size);
	ASSERT_EQ(size, read_ull(bdf, "p2pmem/available"));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/p2pmem/allocate", bdf);
	pool = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, pool) TH_LOG("open %s: %s", path, strerror(errno));
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);

	/* [0, 2 MiB) handed out by the pool: not exportable. */
	a = pool_map(pool, POOL_MAP);
	ASSERT_NE(MAP_FAILED, a) TH_LOG("mmap: %s", strerror(errno));
	memset(a, 0xa5, POOL_MAP);
	r[0] = (struct p2pdma_ext_dmabuf_range){ 0, PAGE };
	EXPECT_EQ(-EBUSY, p2px_export(ctl, dev, 2, r, 1));
	r[0] = (struct p2pdma_ext_dmabuf_range){ POOL_MAP - PAGE, 2 * PAGE };
	EXPECT_EQ(-EBUSY, p2px_export(ctl, dev, 2, r, 1));
	/* All or none: the free first range is not kept either. */
	r[0] = (struct p2pdma_ext_dmabuf_range){ POOL_MAP, POOL_MAP };
	r[1] = (struct p2pdma_ext_dmabuf_range){ POOL_MAP - PAGE, PAGE };
	EXPECT_EQ(-EBUSY, p2px_export(ctl, dev, 2, r, 2));
	EXPECT_EQ(size - POOL_MAP, read_ull(bdf, "p2pmem/available"));

	/* [2 MiB, 4 MiB) exported: out of the pool, not exportable again. */
	fd = p2px_export(ctl, dev, 2, r, 1);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	EXPECT_EQ(size - 2 * POOL_MAP, read_ull(bdf, "p2pmem/available"));
	EXPECT_EQ(-EBUSY, p2px_export(ctl, dev, 2, r, 1));
	r[0] = (struct p2pdma_ext_dmabuf_range){ 3 * POOL_MAP, PAGE };
	r[1] = r[0];
	EXPECT_EQ(-EBUSY, p2px_export(ctl, dev, 2, r, 2));
	EXPECT_EQ(size - 2 * POOL_MAP, read_ull(bdf, "p2pmem/available"));

	/* The next allocation lands after the export: BAR offset 4 MiB. */
	b = pool_map(pool, POOL_MAP);
	ASSERT_NE(MAP_FAILED, b) TH_LOG("mmap: %s", strerror(errno));
	for (i = 0; i < POOL_MAP; i++)
		b[i] = pattern(SEED2, i);
	__sync_synchronize();
	ivshmem_name(name, sizeof(name));
	hex_of(want, SEED2, 0, 64);
	for (i = 0; i < 64; i++)
		sprintf(got + 2 * i, "%02x", b[i]);
	EXPECT_STREQ(want, got);
	printf("# HOSTCHECK %s %llu %s\n", name, 2 * POOL_MAP, got);
	fflush(stdout);
	/* No more than what is left: the export's memory is not in it. */
	c = pool_map(pool, size - 3 * POOL_MAP + PAGE);
	EXPECT_EQ(MAP_FAILED, c);
	EXPECT_EQ(ENOMEM, errno);
	if (c != MAP_FAILED)
		munmap(c, size - 3 * POOL_MAP + PAGE);

	/* Revoked: given back; exported again; closed: given back. */
	EXPECT_EQ(0, p2px_revoke(ctl, fd));
	EXPECT_EQ(size - 2 * POOL_MAP,
		  p2pmem_wait_available(bdf, size - 2 * POOL_MAP));
	r[0] = (struct p2pdma_ext_dmabuf_range){ POOL_MAP, POOL_MAP };
	fd2 = p2px_export(ctl, dev, 2, r, 1);
	EXPECT_LE(0, fd2) TH_LOG("export after revoke: %s", strerror(-fd2));
	EXPECT_EQ(size - 3 * POOL_MAP, read_ull(bdf, "p2pmem/available"));
	if (fd2 >= 0)
		close(fd2);
	EXPECT_EQ(size - 2 * POOL_MAP,
		  p2pmem_wait_available(bdf, size - 2 * POOL_MAP));
	close(fd);
	EXPECT_EQ(size - 2 * POOL_MAP, read_ull(bdf, "p2pmem/available"));

	EXPECT_EQ(0, munmap(a, POOL_MAP));
	EXPECT_EQ(0, munmap(b, POOL_MAP));
	EXPECT_EQ(size, p2pmem_wait_available(bdf, size));
	close(pool);
	close(ctl);
}

/*
 * With every fd closed both modules unload. Self-contained: it loads and
 * binds what the other tests use first, so it holds in any order.
 */
TEST(teardown_releases_everything)
{
	char bdf[64];

	setup(_metadata, bdf, sizeof(bdf), 1);
	p2px_dmabuf_teardown(_metadata);
}

/* The harness's main() with test selection (p2px_harness.h). */
int main(int argc, char **argv)
{
	return p2px_harness_main(argc, argv);
}
