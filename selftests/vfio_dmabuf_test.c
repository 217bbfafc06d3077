// SPDX-License-Identifier: GPL-2.0
/*
 * Parity with upstream: the dma-buf importer test and the revoke checks
 * run against vfio-pci's own dma-buf export (VFIO_DEVICE_FEATURE_DMA_BUF,
 * Debian 7.2) and against p2pdma_ext's, side by side in one VM boot, on
 * the same ivshmem BAR2 with the same importer (p2px_edu): the ivshmem is
 * bound to vfio-pci for one half and to p2pdma_ext_provider for the other.
 *
 * vfio needs an IOMMU group (Debian 7.2 is built without VFIO_NOIOMMU and
 * without IOMMUFD, so the group/container interface with type1 it is):
 * the tests run in the `iommu` topology. There QEMU sends every DMA of edu
 * through the emulated VT-d, also peer-to-peer DMA below the switch that a
 * real switch would route past the IOMMU. Both exporters hand out the
 * PCI bus address for such a pair, as upstream's rule says (vfio-pci by
 * the kernel's P2PDMA, p2pdma_ext by its own map type), which faults
 * here: dma_address_behind_iommu asserts the address without DMA; the
 * DMA tests put edu's IOMMU group into an identity domain first, where a
 * bus address is a valid DMA address in QEMU too.
 *
 * Differences by design, checked as such:
 *   - vfio-pci revokes when user space disables memory decoding (and on
 *     reset, D3, close) and un-revokes when it is enabled again; our
 *     revoke (ioctl, unbind, unplug) is final.
 *   - unbinding or unplugging a vfio-pci device waits until user space
 *     closes the device fd (the kernel asks through the request eventfd);
 *     only then are its dma-bufs revoked. p2pdma_ext's provider revokes at
 *     once and the unbind never waits for user space.
 *   - errnos of bad export arguments: see bad_ranges.
 * Everything else (attach, map, DMA, notify on revoke, ENODEV after it,
 * no oops, fds closed free everything, the modules unload) is the same.
 *
 * On kernels without vfio dma-buf (5.10, 6.1, 6.12) every test skips.
 */
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "p2px_dmabuf.h"
#include "p2px_vfio.h"

#define PAGE		4096ULL

#define EDU_DRV		"p2px_edu"
#define SHM_BAR_SIZE	(64ULL << 20)
/* Each exporter's ranges and seeds, apart from each other and dmabuf_test. */
#define OURS_R0		(36ULL << 20)
#define OURS_R1		(52ULL << 20)
#define VFIO_R0		(38ULL << 20)
#define VFIO_R1		(54ULL << 20)
#define OURS_SEED	21u
#define VFIO_SEED	31u

/* Set in a constructor, before the harness forks the tests. */
static const char *parity_skip;

/* Does /proc/kallsyms name @sym (a function of a loaded module)? */
static int kallsyms_has(const char *sym)
{
	char line[512], name[256];
	FILE *f = fopen("/proc/kallsyms", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %255s", name) == 1 &&
			!strcmp(name, sym);
	fclose(f);
	return found;
}

/* Why the tests cannot run here, or NULL. */
static const char *parity_why_not(void)
{
	char bdf[64], path[300];

	if (!p2px_path_exists("/sys/bus/pci/drivers/" VFIO_DRV))
		return "vfio-pci is not loaded";
	if (!kallsyms_has("vfio_pci_core_feature_dma_buf"))
		return "no vfio dma-buf in this kernel (VFIO_DEVICE_FEATURE_DMA_BUF: 6.19+)";
	if (!p2px_provider_dev(bdf, sizeof(bdf)) ||
	    !p2px_dma_engine_dev(path, sizeof(path)))
		return "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)";
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	if (!p2px_path_exists(path))
		return "needs the iommu topology: vfio needs an IOMMU group (7.2: no VFIO_NOIOMMU)";
	return NULL;
}

static void __attribute__((constructor)) parity_probe(void)
{
	parity_skip = parity_why_not();
}

/* Our export ioctl with every argument free: the fd or -errno. */
static int ours_export(int ctl, const char *bdf, __u32 bar, __u32 flags,
		       __u32 open_flags,
		       const struct p2pdma_ext_dmabuf_range *r, __u32 n)
{
	struct p2pdma_ext_dmabuf_export arg = {
		.argsz = sizeof(arg), .device = p2px_devid(bdf), .bar = bar,
		.flags = flags, .nr_ranges = n, .open_flags = open_flags,
		.ranges = (uintptr_t)r, .fd = -1,
	};

	return ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_EXPORT, &arg) ? -errno : arg.fd;
}

/* Memory decoding of the vfio device on or off (vfio revokes when off). */
static int vfio_set_memory(int device, int on)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	__u16 cmd;

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri) ||
	    pread(device, &cmd, sizeof(cmd), ri.offset + 4) != sizeof(cmd))
		return -errno;
	cmd = on ? cmd | 0x2 : cmd & ~0x2;	/* PCI_COMMAND_MEMORY */
	if (pwrite(device, &cmd, sizeof(cmd), ri.offset + 4) != sizeof(cmd))
		return -errno;
	return 0;
}

/* An eventfd the kernel signals when it wants the device back. */
static int vfio_request_eventfd(int device)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(__s32)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
	__s32 efd = eventfd(0, EFD_CLOEXEC);

	if (efd < 0)
		return -errno;
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_REQ_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(efd));
	if (ioctl(device, VFIO_DEVICE_SET_IRQS, set)) {
		close(efd);
		return -errno;
	}
	return efd;
}

/* One test's state: the two devices, our control fd, vfio's fds. */
struct parity {
	char shm[64], edu[64];
	int ctl;
	struct vfio v;
};

/*
 * Start a test: 0 if it must skip (the harness reports @parity_skip).
 * Leaves edu detached (a failed test may have left it attached).
 */
static int parity_begin(struct __test_metadata *_metadata,
			struct parity *self)
{
	self->ctl = -1;
	vfio_init(&self->v);
	if (parity_skip)
		return 0;
	ASSERT_TRUE(p2px_provider_dev(self->shm, sizeof(self->shm)));
	ASSERT_TRUE(p2px_dma_engine_dev(self->edu, sizeof(self->edu)));
	if (!p2px_module_loaded())
		ASSERT_EQ(0, p2px_load(p2px_module_path(), NULL));
	ASSERT_EQ(0, edu_ready());
	p2px_edu_cmd(EDU_DMABUF, "detach");
	self->ctl = p2px_ctl_open();
	ASSERT_LE(0, self->ctl);
	return 1;
}

static void parity_end(struct parity *self)
{
	vfio_close(&self->v);
	if (self->ctl >= 0)
		close(self->ctl);
	self->ctl = -1;
}

/* The ivshmem to vfio-pci, and its device fd. */
static void to_vfio(struct __test_metadata *_metadata,
		    struct parity *self)
{
	int ret;

	ASSERT_EQ(0, use_driver(self->shm, VFIO_DRV));
	ret = vfio_open(self->shm, &self->v);
	ASSERT_EQ(0, ret) TH_LOG("vfio: %s", strerror(-ret));
}

static void to_ours(struct __test_metadata *_metadata,
		    struct parity *self)
{
	vfio_close(&self->v);
	ASSERT_EQ(0, use_driver(self->shm, PROVIDER_DRV));
}

static int ours_default(struct parity *self)
{
	const struct p2pdma_ext_dmabuf_range r[2] = {
		{ OURS_R0, IMPORT_R0_LEN }, { OURS_R1, IMPORT_R1_LEN },
	};

	return ours_export(self->ctl, self->shm, 2, 0, O_CLOEXEC, r, 2);
}

static int vfio_default(struct parity *self)
{
	const struct p2pdma_ext_dmabuf_range r[2] = {
		{ VFIO_R0, IMPORT_R0_LEN }, { VFIO_R1, IMPORT_R1_LEN },
	};

	return vfio_export(self->v.device, 2, 0, O_RDWR | O_CLOEXEC, r, 2);
}

/*
 * Runs first, with edu's IOMMU group in its booted (translating) domain:
 * both exporters let edu attach and map and both give the bus address
 * (no DMA: QEMU's IOMMU model would fault on it).
 */
TEST(dma_address_behind_iommu)
{
	struct parity ctx, *self = &ctx;
	struct edu_state s;
	unsigned long long bus;
	int fd;

	if (!parity_begin(_metadata, self))
		SKIP(return, "%s", parity_skip);
	bus = bar_bus_address(self->shm, 2);
	ASSERT_NE(~0ULL, bus);

	to_ours(_metadata, self);
	fd = ours_default(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map"));
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_EQ(bus + OURS_R0, s.sg0);
	printf("# p2pdma_ext: DMA address %#llx = bus address (no DMA: it faults)\n",
	       s.sg0);
	fflush(stdout);
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
	close(fd);

	to_vfio(_metadata, self);
	fd = vfio_default(self);
	ASSERT_LE(0, fd) TH_LOG("vfio export: %s", strerror(-fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map"));
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_EQ(bus + VFIO_R0, s.sg0);
	printf("# vfio-pci: DMA address %#llx = bus address (no DMA: it faults)\n",
	       s.sg0);
	fflush(stdout);
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
	close(fd);
	parity_end(self);
}

/* The importer test, bytes checked from the host, on both exporters. */
TEST(import_dma)
{
	struct parity ctx, *self = &ctx;
	unsigned long long bus;
	struct edu_state s;
	int fd;

	if (!parity_begin(_metadata, self))
		SKIP(return, "%s", parity_skip);
	ASSERT_EQ(0, p2px_edu_domain(self->edu, "identity"));
	bus = bar_bus_address(self->shm, 2);

	to_ours(_metadata, self);
	fd = ours_default(self);
	ASSERT_LE(0, fd);
	edu_import_and_dma(_metadata, fd, OURS_R1, OURS_SEED, OURS_SEED + 66);
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_EQ(bus + OURS_R0, s.sg0);
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
	close(fd);

	to_vfio(_metadata, self);
	fd = vfio_default(self);
	ASSERT_LE(0, fd) TH_LOG("vfio export: %s", strerror(-fd));
	edu_import_and_dma(_metadata, fd, VFIO_R1, VFIO_SEED, VFIO_SEED + 66);
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_EQ(bus + VFIO_R0, s.sg0);
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
	close(fd);
	parity_end(self);
}

static const char *errname(int ret)
{
	const char *name = ret < 0 ? strerrorname_np(-ret) : NULL;

	return ret >= 0 ? "success" : name ? name : "?";
}

struct bad_case {
	const char *what;
	__u32 bar, flags, open_flags, n;	/* open_flags: added to the good ones */
	__u64 off, len;
	int ours, vfio;		/* expected -errno */
};

/* Each bad argument on both exporters; equal errnos where comparable. */
TEST(bad_ranges)
{
	struct parity ctx, *self = &ctx;
	static const struct bad_case tab[] = {
		{ "no ranges", 2, 0, 0, 0, 0, PAGE, -EINVAL, -EINVAL },
		{ "offset not page aligned", 2, 0, 0, 1, 100, PAGE,
		  -EINVAL, -EINVAL },
		{ "length not page aligned", 2, 0, 0, 1, 0, 100,
		  -EINVAL, -EINVAL },
		{ "zero length", 2, 0, 0, 1, 0, 0, -EINVAL, -EINVAL },
		{ "past the end of the BAR", 2, 0, 0, 1, SHM_BAR_SIZE - PAGE,
		  2 * PAGE, -ERANGE, -EINVAL },
		{ "offset + length overflows", 2, 0, 0, 1, 0ULL - PAGE,
		  2 * PAGE, -EOVERFLOW, -EOVERFLOW },
		{ "register BAR 0 (page past its end)", 0, 0, 0, 1, 0, PAGE,
		  -EINVAL, -EINVAL },
		{ "BAR index 6 (vfio: ROM region)", 6, 0, 0, 1, 0, PAGE,
		  -EINVAL, -ENODEV },
		{ "flags not zero", 2, 1, 0, 1, 0, PAGE, -EINVAL, -EINVAL },
		/* vfio-pci passes open_flags on to dma_buf_fd() unchecked. */
		{ "open flag O_NONBLOCK", 2, 0, O_NONBLOCK, 1, 0, PAGE,
		  -EINVAL, 0 },
	};
	const unsigned int n = ARRAY_SIZE(tab);
	int ours[ARRAY_SIZE(tab)], same = 0, ret;
	struct p2pdma_ext_dmabuf_range r;
	unsigned int i;

	if (!parity_begin(_metadata, self))
		SKIP(return, "%s", parity_skip);
	to_ours(_metadata, self);
	for (i = 0; i < n; i++) {
		r.offset = tab[i].off;
		r.length = tab[i].len;
		ours[i] = ours_export(self->ctl, self->shm, tab[i].bar,
				      tab[i].flags,
				      O_CLOEXEC | tab[i].open_flags,
				      &r, tab[i].n);
		if (ours[i] >= 0)
			close(ours[i]);
	}
	to_vfio(_metadata, self);
	for (i = 0; i < n; i++) {
		r.offset = tab[i].off;
		r.length = tab[i].len;
		ret = vfio_export(self->v.device, tab[i].bar, tab[i].flags,
				  O_RDWR | O_CLOEXEC | tab[i].open_flags,
				  &r, tab[i].n);
		if (ret >= 0)
			close(ret);
		printf("# %-36s p2pdma_ext %-10s vfio-pci %-10s%s\n",
		       tab[i].what, errname(ours[i]), errname(ret),
		       ours[i] == ret ? "" : " (differs)");
		same += ours[i] == ret;
		EXPECT_EQ(tab[i].ours, ours[i]) TH_LOG("%s", tab[i].what);
		EXPECT_EQ(tab[i].vfio, ret < 0 ? ret : 0)
			TH_LOG("%s", tab[i].what);
	}
	printf("# bad export arguments: %d of %u errnos equal\n", same, n);
	fflush(stdout);
	parity_end(self);
}

/*
 * Revoke while mapped: our revoke ioctl; vfio-pci's revoke when memory
 * decoding goes off. Both: importer notified, maps and new importers
 * refused with ENODEV. vfio-pci's revoke ends when decoding is back on.
 */
TEST(revoke_explicit)
{
	struct parity ctx, *self = &ctx;
	int fd;

	if (!parity_begin(_metadata, self))
		SKIP(return, "%s", parity_skip);
	ASSERT_EQ(0, p2px_edu_domain(self->edu, "identity"));
	to_ours(_metadata, self);
	fd = ours_default(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "dma %d %d %d", 0, 64, OURS_SEED));
	ASSERT_EQ(0, p2px_revoke(self->ctl, fd));
	edu_check_revoked(_metadata);
	EXPECT_EQ(-ENODEV, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	close(fd);

	to_vfio(_metadata, self);
	fd = vfio_default(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "dma %d %d %d", 0, 64, VFIO_SEED));
	ASSERT_EQ(0, vfio_set_memory(self->v.device, 0));
	edu_check_revoked(_metadata);
	EXPECT_EQ(-ENODEV, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	/* By design: vfio-pci's revoke is undone with decoding back on. */
	ASSERT_EQ(0, vfio_set_memory(self->v.device, 1));
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "dma %d %d %d", 0, 64, VFIO_SEED));
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
	close(fd);
	parity_end(self);
}

/*
 * vfio-pci's device leaves (@how: unbind or unplug, run by a child that
 * blocks until vfio-pci's remove() returns) while edu has a dma-buf of it
 * mapped: the kernel asks user space for the device (request eventfd) and
 * revokes nothing yet; closing the device fd revokes, edu is notified and
 * gets ENODEV; with the dma-buf closed the device goes.
 */
static void vfio_leave(struct __test_metadata *_metadata,
		       struct parity *self, int unplug)
{
	struct pollfd pfd = { .events = POLLIN };
	struct edu_state s;
	int fd, status, i;
	pid_t child;

	to_vfio(_metadata, self);
	fd = vfio_default(self);
	ASSERT_LE(0, fd);
	pfd.fd = vfio_request_eventfd(self->v.device);
	ASSERT_LE(0, pfd.fd);
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "dma %d %d %d", 0, 64, VFIO_SEED));

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		/* Our copies of the device and dma-buf fds would keep them. */
		close_fds_from(3);
		_exit(unplug ? host_request("UNPLUG shm0") : unbind_dev(self->shm));
	}
	EXPECT_EQ(1, poll(&pfd, 1, 20000)) TH_LOG("no device request");
	ASSERT_EQ(0, edu_state(&s));
	EXPECT_EQ(0, s.notified);
	EXPECT_EQ(1, s.mapped);
	close(self->v.device);
	self->v.device = -1;
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, edu_state(&s));
		if (s.notified)
			break;
		usleep(50000);
	}
	edu_check_revoked(_metadata);
	close(fd);
	vfio_close(&self->v);
	close(pfd.fd);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
}

/* Our provider: the unbind or unplug revokes at once. */
static void ours_leave(struct __test_metadata *_metadata,
		       struct parity *self, int unplug)
{
	int fd;

	to_ours(_metadata, self);
	fd = ours_default(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "dma %d %d %d", 0, 64, OURS_SEED));
	ASSERT_EQ(0, unplug ? host_request("UNPLUG shm0") :
			      unbind_dev(self->shm));
	edu_check_revoked(_metadata);
	close(fd);
}

static void replug(struct __test_metadata *_metadata, const char *shm)
{
	ASSERT_EQ(0, p2px_wait_device(shm, 0, 20));
	ASSERT_EQ(0, host_request("REPLUG shm0"));
	ASSERT_EQ(0, p2px_wait_device(shm, 1, 30));
}

TEST(revoke_on_unbind)
{
	struct parity ctx, *self = &ctx;

	if (!parity_begin(_metadata, self))
		SKIP(return, "%s", parity_skip);
	ASSERT_EQ(0, p2px_edu_domain(self->edu, "identity"));
	ours_leave(_metadata, self, 0);
	vfio_leave(_metadata, self, 0);
	parity_end(self);
}

TEST(revoke_on_hot_unplug)
{
	struct parity ctx, *self = &ctx;

	if (!parity_begin(_metadata, self))
		SKIP(return, "%s", parity_skip);
	ASSERT_EQ(0, p2px_edu_domain(self->edu, "identity"));
	ours_leave(_metadata, self, 1);
	replug(_metadata, self->shm);
	vfio_leave(_metadata, self, 1);
	replug(_metadata, self->shm);
	parity_end(self);
}

/* Last: nothing is left holding either exporter; the modules unload. */
TEST(releases_everything)
{
	struct parity ctx, *self = &ctx;
	char path[300];

	if (!parity_begin(_metadata, self))
		SKIP(return, "%s", parity_skip);
	parity_end(self);
	EXPECT_EQ(0, p2px_edu_domain(self->edu, "auto"));
	EXPECT_EQ(0, p2px_unload(EDU_DRV));
	if (bound_to(self->shm, VFIO_DRV) || bound_to(self->shm, PROVIDER_DRV))
		EXPECT_EQ(0, unbind_dev(self->shm));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override",
		 self->shm);
	EXPECT_EQ(0, p2px_write_file(path, "\n"));
	EXPECT_EQ(0, p2px_unload("vfio_pci"));
	EXPECT_EQ(0, p2px_unload(P2PX_MODULE_NAME));
	parity_end(self);
}

TEST_HARNESS_MAIN
