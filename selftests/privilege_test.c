// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext privilege selftests, run inside the test VM as root: who may
 * do what with /dev/p2pdma_ext (Documentation/uapi.rst, "Privileges").
 *
 * Each test sets up as root (module, ivshmem bound to the provider
 * driver, a dma-buf, a provider fd), then drops privilege in its own
 * process (the harness forks one per test) and checks what is left:
 *
 *   - a process that is not root cannot open the device (EACCES);
 *   - root without CAP_SYS_RAWIO, a process that dropped to nobody after
 *     opening it, and root in a new user namespace (open before or after
 *     unshare(), which keeps uid 0 and so the open) cannot export, revoke
 *     or open a provider fd, nor export on a provider fd (EPERM);
 *   - a dma-buf handed to an unprivileged process is usable as a file
 *     (lseek() gives its size) and gives nothing else.
 *
 * privilege_lockdown raises kernel lockdown to "integrity", which cannot
 * be undone: it runs only with P2PX_LOCKDOWN=1 (alone in its own VM) and
 * skips otherwise.
 */
#include <linux/capability.h>
#include <sched.h>
#include <sys/mman.h>
#include <grp.h>
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "p2px_dmabuf.h"

#define PAGE		4096ULL
#define BUF_OFF		(40ULL << 20)
#define NOBODY		65534
#define LOCKDOWN	"/sys/kernel/security/lockdown"

/*
 * As root: p2pdma_ext loaded, the ivshmem bound to the provider, @ctl
 * open, a one-page dma-buf in *@buf and a provider fd in *@prov. Returns
 * 0 or -ENODEV (no ivshmem: skip).
 */
static int setup(struct __test_metadata *_metadata, char *bdf, size_t len,
		 int *ctl, int *buf, int *prov)
{
	const struct p2pdma_ext_dmabuf_range r = { BUF_OFF, PAGE };
	int ret;

	ret = p2px_dmabuf_setup(bdf, len, 0);
	if (ret == -ENODEV)
		return ret;
	EXPECT_EQ(0, ret);
	*ctl = p2px_ctl_open();
	EXPECT_LE(0, *ctl);
	*buf = p2px_export(*ctl, p2px_devid(bdf), 2, &r, 1);
	EXPECT_LE(0, *buf) TH_LOG("export as root: %s", strerror(-*buf));
	*prov = p2px_provider_open(*ctl, p2px_devid(bdf), O_CLOEXEC);
	EXPECT_LE(0, *prov) TH_LOG("provider open as root: %s",
				   strerror(-*prov));
	return 0;
}

/* Export one page on @fd (control device or provider fd): fd or -errno. */
static int export_page(int fd, __u64 dev)
{
	const struct p2pdma_ext_dmabuf_range r = { BUF_OFF, PAGE };

	return p2px_export(fd, dev, 2, &r, 1);
}

/*
 * What nobody may do with @ctl and @prov, and what stays allowed: the
 * dma-buf @buf is a file of PAGE bytes; listing needs only the open.
 */
static void expect_refused(struct __test_metadata *_metadata, int ctl,
			   int prov, int buf, __u64 dev)
{
	struct p2pdma_ext_dmabuf_list l = {
		.argsz = sizeof(l),
		.entry_size = sizeof(struct p2pdma_ext_dmabuf_info),
	};

	EXPECT_EQ(-EPERM, export_page(ctl, dev));
	EXPECT_EQ(-EPERM, export_page(prov, dev));
	EXPECT_EQ(-EPERM, p2px_provider_open(ctl, dev, O_CLOEXEC));
	EXPECT_EQ(-EPERM, p2px_revoke(ctl, buf));
	EXPECT_EQ(0, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_LIST, &l));
	EXPECT_LE(1, l.total);
	EXPECT_EQ((off_t)PAGE, lseek(buf, 0, SEEK_END));
}

static void drop_to_nobody(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setgid(NOBODY));
	ASSERT_EQ(0, setuid(NOBODY));
}

TEST(privilege_open_not_root)
{
	char bdf[64];
	int ctl, buf, prov;

	if (setup(_metadata, bdf, sizeof(bdf), &ctl, &buf, &prov))
		SKIP(return, "no ivshmem in this topology");
	drop_to_nobody(_metadata);
	EXPECT_EQ(-1, open(P2PDMA_EXT_DEVICE, O_RDWR));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, open(P2PDMA_EXT_DEVICE, O_RDONLY));
	EXPECT_EQ(EACCES, errno);
}

TEST(privilege_setuid_after_open)
{
	char bdf[64];
	int ctl, buf, prov;

	if (setup(_metadata, bdf, sizeof(bdf), &ctl, &buf, &prov))
		SKIP(return, "no ivshmem in this topology");
	drop_to_nobody(_metadata);
	expect_refused(_metadata, ctl, prov, buf, p2px_devid(bdf));
}

/* Root, its CAP_SYS_RAWIO dropped from the effective set: uid 0 opens. */
TEST(privilege_root_without_rawio)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	char bdf[64];
	int ctl, ctl2, buf, prov;

	if (setup(_metadata, bdf, sizeof(bdf), &ctl, &buf, &prov))
		SKIP(return, "no ivshmem in this topology");
	ASSERT_EQ(0, syscall(SYS_capget, &h, d));
	d[CAP_TO_INDEX(CAP_SYS_RAWIO)].effective &= ~CAP_TO_MASK(CAP_SYS_RAWIO);
	ASSERT_EQ(0, syscall(SYS_capset, &h, d));
	ctl2 = p2px_ctl_open();
	ASSERT_LE(0, ctl2);
	/* Opened with it, used without it; opened and used without it. */
	expect_refused(_metadata, ctl, prov, buf, p2px_devid(bdf));
	expect_refused(_metadata, ctl2, prov, buf, p2px_devid(bdf));
	/* With it again, the second fd is still refused: its opener lacked it. */
	d[CAP_TO_INDEX(CAP_SYS_RAWIO)].effective |= CAP_TO_MASK(CAP_SYS_RAWIO);
	ASSERT_EQ(0, syscall(SYS_capset, &h, d));
	EXPECT_EQ(-EPERM, export_page(ctl2, p2px_devid(bdf)));
	EXPECT_EQ(-EPERM, p2px_revoke(ctl2, buf));
	/* ... the first one works again. */
	EXPECT_EQ(0, p2px_revoke(ctl, buf));
}

TEST(privilege_user_namespace)
{
	char bdf[64];
	int ctl, ctl2, buf, prov;

	if (setup(_metadata, bdf, sizeof(bdf), &ctl, &buf, &prov))
		SKIP(return, "no ivshmem in this topology");
	if (unshare(CLONE_NEWUSER))
		SKIP(return, "unshare(CLONE_NEWUSER): %s (no user namespaces)",
		     strerror(errno));
	/* Every capability, in the new namespace only. */
	expect_refused(_metadata, ctl, prov, buf, p2px_devid(bdf));
	/*
	 * Still uid 0 to the kernel, so the node's mode lets it open; its
	 * opener's capabilities are in the new namespace: refused all the same.
	 */
	ctl2 = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	EXPECT_LE(0, ctl2) TH_LOG("open: %s", strerror(errno));
	if (ctl2 >= 0)
		expect_refused(_metadata, ctl2, prov, buf, p2px_devid(bdf));
}

/* A dma-buf handed to a process that is nobody: a file, nothing more. */
TEST(privilege_dmabuf_passed_to_nobody)
{
	char bdf[64];
	int ctl, buf, prov;
	void *p;

	if (setup(_metadata, bdf, sizeof(bdf), &ctl, &buf, &prov))
		SKIP(return, "no ivshmem in this topology");
	close(ctl);
	close(prov);
	drop_to_nobody(_metadata);
	EXPECT_EQ((off_t)PAGE, lseek(buf, 0, SEEK_END));
	EXPECT_EQ(0, lseek(buf, 0, SEEK_SET));
	/* No CPU mapping, for root either: DMA addresses only. */
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, buf, 0);
	EXPECT_EQ(MAP_FAILED, p);
	/* No way to the device: it can neither revoke nor export. */
	EXPECT_EQ(-1, open(P2PDMA_EXT_DEVICE, O_RDWR));
	EXPECT_EQ(EACCES, errno);
}

/* p2pmem/allocate of @bdf: mmap of a page, 0 or -errno. */
static int p2pmem_map(const char *bdf)
{
	char path[300];
	void *p;
	int fd, ret = 0;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/p2pmem/allocate", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		ret = -errno;
	else
		munmap(p, PAGE);
	close(fd);
	return ret;
}

static int native_backend(int ctl)
{
	struct p2pdma_ext_info info = { .argsz = sizeof(info) };

	if (ioctl(ctl, P2PDMA_EXT_IOC_INFO, &info))
		return -1;
	return info.backend == P2PDMA_EXT_BACKEND_NATIVE;
}

TEST(privilege_lockdown)
{
	char bdf[64], mode[128];
	int ctl, buf, prov, native;

	if (!getenv("P2PX_LOCKDOWN") || strcmp(getenv("P2PX_LOCKDOWN"), "1"))
		SKIP(return,
		     "raises lockdown for good: only with P2PX_LOCKDOWN=1, alone");
	if (setup(_metadata, bdf, sizeof(bdf), &ctl, &buf, &prov))
		SKIP(return, "no ivshmem in this topology");
	if (!p2px_path_exists(LOCKDOWN))
		mount("securityfs", "/sys/kernel/security", "securityfs", 0,
		      NULL);
	if (p2px_read_file(LOCKDOWN, mode, sizeof(mode)))
		SKIP(return, "no %s (kernel without the lockdown LSM)",
		     LOCKDOWN);
	native = native_backend(ctl);
	ASSERT_LE(0, native);
	/* Allowed before: */
	if (!native)
		EXPECT_EQ(0, p2pmem_map(bdf));

	ASSERT_EQ(0, p2px_write_file(LOCKDOWN, "integrity"));
	ASSERT_EQ(0, p2px_read_file(LOCKDOWN, mode, sizeof(mode)));
	TH_LOG("lockdown: %s", mode);
	/* Exports through either fd: EPERM. */
	EXPECT_EQ(-EPERM, export_page(ctl, p2px_devid(bdf)));
	EXPECT_EQ(-EPERM, export_page(prov, p2px_devid(bdf)));
	/* p2pmem/allocate: ours only (native: the kernel's own file). */
	if (native)
		TH_LOG("native P2PDMA: p2pmem/allocate is the kernel's, not checked");
	if (!native)
		EXPECT_EQ(-EPERM, p2pmem_map(bdf));
	/* Taking access back stays allowed. */
	EXPECT_EQ(0, p2px_revoke(ctl, buf));
	close(buf);
	close(prov);
	close(ctl);
	/* Binding BARs for user mapping: the provider refuses to probe. */
	ASSERT_EQ(0, unbind_dev(bdf));
	bind_provider(bdf);
	EXPECT_FALSE(p2px_bound_to_provider(bdf));
}

TEST_HARNESS_MAIN
