// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext P2PDMA_EXT_IOC_DMABUF_LIST selftests, run inside the test VM
 * as root: a dma-buf of the ivshmem BAR2 (bound to the provider driver) is
 * exported through /dev/p2pdma_ext and imported by p2px_edu (debugfs
 * p2px_edu/dmabuf); at each step of its life the list ioctl (and debugfs
 * p2pdma_ext/dmabufs) must show exactly that buffer as it is: provider,
 * BAR, size, ranges, exporter, the edu device as its importer, mapped or
 * not, revoked, and gone once closed. Every bad argument gets its errno.
 *
 * "dmabuf_list_test --hold" is not a test: it exports and imports such a
 * buffer, prints one "ready ..." line describing it and keeps it until
 * its standard input ends (p2pdmactl's VM test lists it meanwhile).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "p2px_harness.h"
#include "p2px_dmabuf.h"
#include "p2px_topo.h"

#define DBG_DMABUFS	"/sys/kernel/debug/p2pdma_ext/dmabufs"
/* Far from where the registry test's allocations land. */
#define R0_OFF		(32ULL << 20)
#define R1_OFF		(48ULL << 20)
#define BUF_SIZE	(IMPORT_R0_LEN + IMPORT_R1_LEN)

/* The list ioctl; returns 0 or -errno. */
static int list(int ctl, struct p2pdma_ext_dmabuf_list *l)
{
	return ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_LIST, l) ? -errno : 0;
}

/* How many dma-bufs the module has now (-errno on failure). */
static int list_total(int ctl)
{
	struct p2pdma_ext_dmabuf_list l = {
		.argsz = sizeof(l), .entry_size = sizeof(struct p2pdma_ext_dmabuf_info),
	};
	int ret = list(ctl, &l);

	return ret ? ret : (int)l.total;
}

/*
 * The entry of the buffer with inode @ino into @out: 1 found, 0 not
 * there, -errno. *@total gets the number of buffers.
 */
static int list_find(int ctl, unsigned long long ino,
		     struct p2pdma_ext_dmabuf_info *out, unsigned int *total)
{
	static struct p2pdma_ext_dmabuf_info e[64];
	struct p2pdma_ext_dmabuf_list l = {
		.argsz = sizeof(l), .entry_size = sizeof(e[0]), .count = 64,
		.entries = (uintptr_t)e,
	};
	unsigned int i;
	int ret = list(ctl, &l);

	if (ret)
		return ret;
	*total = l.total;
	for (i = 0; i < l.count; i++)
		if (e[i].ino == ino) {
			*out = e[i];
			return 1;
		}
	return 0;
}

static unsigned long long fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long long)st.st_ino;
}

static int export_two(int ctl, const char *bdf)
{
	const struct p2pdma_ext_dmabuf_range r[2] = {
		{ R0_OFF, IMPORT_R0_LEN }, { R1_OFF, IMPORT_R1_LEN },
	};

	return p2px_export(ctl, p2px_devid(bdf), 2, r, 2);
}

/*
 * The buffers edu imports: the ivshmem bound to the provider, p2px_edu
 * loaded, edu allowed to import (a host bridge path: its root device
 * allowed, as the module names it); the control device open and the
 * number of buffers there are before the test in @base. Teardown puts
 * edu and the allowlist back, whatever the test left.
 */
FIXTURE(import) {
	char bdf[64], edu[64];
	struct p2px_pair pair;
	int ctl, base;
};

FIXTURE_SETUP(import)
{
	int ret = p2px_dmabuf_setup(self->bdf, sizeof(self->bdf), 1);

	self->ctl = -1;
	if (ret == -ENODEV)
		SKIP(return, "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)");
	ASSERT_EQ(0, ret) TH_LOG("setup: %s", strerror(-ret));
	ASSERT_EQ(0, p2px_pair_get(&self->pair));
	if (p2px_pair_open(&self->pair))
		SKIP(return, "no peer-to-peer path: %.900s", self->pair.text);
	ASSERT_TRUE(p2px_dma_engine_dev(self->edu, sizeof(self->edu)));
	self->ctl = p2px_ctl_open();
	ASSERT_LE(0, self->ctl);
	self->base = list_total(self->ctl);
	ASSERT_LE(0, self->base);
}

FIXTURE_TEARDOWN(import)
{
	struct edu_state st;

	if (!edu_state(&st) && st.attached) {
		p2px_edu_cmd(EDU_DMABUF, "slow 0");
		p2px_edu_cmd(EDU_DMABUF, "detach");
	}
	EXPECT_EQ(0, p2px_pair_close(&self->pair));
	if (self->ctl >= 0)
		close(self->ctl);
}

TEST(list_validation)
{
	const struct p2pdma_ext_dmabuf_range r = { 0, 4096 };
	struct p2pdma_ext_dmabuf_info e[2];
	struct p2pdma_ext_dmabuf_list l;
	struct {
		struct p2pdma_ext_dmabuf_list l;
		__u64 newer;
	} big;
	char bdf[64];
	int ctl, fd, ret;

	ret = p2px_dmabuf_setup(bdf, sizeof(bdf), 0);
	if (ret == -ENODEV)
		SKIP(return, "no provider (P2PX_PROVIDER)");
	ASSERT_EQ(0, ret);
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);

	memset(&l, 0, sizeof(l));
	l.argsz = sizeof(l) - 1;
	l.entry_size = sizeof(e[0]);
	EXPECT_EQ(-EINVAL, list(ctl, &l));
	l.argsz = sizeof(l);
	l.flags = 1;
	EXPECT_EQ(-EINVAL, list(ctl, &l));
	l.flags = 0;
	l.reserved = 1;
	EXPECT_EQ(-EINVAL, list(ctl, &l));
	l.reserved = 0;
	l.entry_size = sizeof(e[0]) - 1;
	EXPECT_EQ(-EINVAL, list(ctl, &l));
	l.entry_size = 4097;
	EXPECT_EQ(-EINVAL, list(ctl, &l));
	l.entry_size = sizeof(e[0]);
	l.count = P2PDMA_EXT_DMABUF_LIST_MAX + 1;
	EXPECT_EQ(-E2BIG, list(ctl, &l));
	/* Bad pointers: the entries (with a buffer to write), the argument. */
	fd = p2px_export(ctl, p2px_devid(bdf), 2, &r, 1);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	l.count = 2;
	l.entries = 8;
	EXPECT_EQ(-EFAULT, list(ctl, &l));
	l.entries = (uintptr_t)e;
	EXPECT_EQ(0, list(ctl, &l));
	close(fd);
	EXPECT_EQ(-1, ioctl(ctl, P2PDMA_EXT_IOC_DMABUF_LIST, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/*
	 * Count only, no buffer; a larger argsz (a newer caller) is fine
	 * while the bytes this module does not know are zero.
	 */
	l.count = 0;
	l.entries = 0;
	l.total = 12345;
	memset(&big, 0, sizeof(big));
	memcpy(&big.l, &l, sizeof(l));
	big.l.argsz = sizeof(big);
	EXPECT_EQ(0, list(ctl, &big.l));
	EXPECT_EQ(0, big.l.count);
	EXPECT_NE(12345, big.l.total);
	close(ctl);
}

/* The one buffer's entry as the test set it up: asserted field by field. */
static void expect_entry(struct __test_metadata *_metadata,
			 const struct p2pdma_ext_dmabuf_info *e,
			 const char *bdf, unsigned int flags, unsigned int maps)
{
	EXPECT_EQ(p2px_devid(bdf), e->device);
	EXPECT_EQ(2, e->bar);
	EXPECT_EQ(BUF_SIZE, e->size);
	EXPECT_EQ(2, e->nr_ranges);
	EXPECT_EQ(flags, e->flags);
	EXPECT_EQ(maps, e->maps);
	EXPECT_EQ(0, e->reserved);
}

/* Debugfs p2pdma_ext/dmabufs has a line containing @want. */
static int debugfs_has(const char *want)
{
	char buf[4096];

	if (p2px_read_file(DBG_DMABUFS, buf, sizeof(buf)))
		return 0;
	return !!strstr(buf, want);
}

/*
 * One buffer through its life: exported, imported by edu, mapped,
 * unmapped, detached, imported and mapped again, revoked, closed.
 */
TEST_F(import, lifecycle)
{
	struct p2pdma_ext_dmabuf_info e;
	unsigned long long ino;
	const char *bdf = self->bdf, *edu = self->edu;
	char want[256];
	unsigned int total;
	int ctl = self->ctl, fd, base = self->base;

	if (_metadata->skip)
		return;
	TH_LOG("%d dma-buf(s) before", base);

	fd = export_two(ctl, bdf);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	ino = fd_ino(fd);
	ASSERT_NE(0, ino);

	/* Exported, nobody attached. */
	ASSERT_EQ(1, list_find(ctl, ino, &e, &total));
	EXPECT_EQ(base + 1, total);
	expect_entry(_metadata, &e, bdf, P2PDMA_EXT_DMABUF_F_IOCTL, 0);
	EXPECT_EQ(0, e.nr_importers);
	EXPECT_EQ(0, e.importers[0].name[0]);
	snprintf(want, sizeof(want),
		 "ino %llu device %s bar 2 size %llu ranges 2 exporter ioctl maps 0 importers 0",
		 ino, bdf, BUF_SIZE);
	EXPECT_TRUE(debugfs_has(want)) TH_LOG("want '%s'", want);

	/* edu attached, not mapped */
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	ASSERT_EQ(1, list_find(ctl, ino, &e, &total));
	expect_entry(_metadata, &e, bdf, P2PDMA_EXT_DMABUF_F_IOCTL, 0);
	EXPECT_EQ(1, e.nr_importers);
	EXPECT_STREQ(edu, e.importers[0].name);
	EXPECT_EQ(0, e.importers[0].flags);
	EXPECT_EQ(0, e.importers[0].maps);

	/* mapped */
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map"));
	ASSERT_EQ(1, list_find(ctl, ino, &e, &total));
	expect_entry(_metadata, &e, bdf, P2PDMA_EXT_DMABUF_F_IOCTL, 1);
	EXPECT_EQ(1, e.nr_importers);
	EXPECT_STREQ(edu, e.importers[0].name);
	EXPECT_EQ(P2PDMA_EXT_DMABUF_IMP_MAPPED, e.importers[0].flags);
	EXPECT_EQ(1, e.importers[0].maps);
	EXPECT_EQ(0, e.importers[1].name[0]);
	snprintf(want, sizeof(want),
		 "ino %llu device %s bar 2 size %llu ranges 2 exporter ioctl maps 1 importers 1\n"
		 "  importer %s maps 1 mapped", ino, bdf, BUF_SIZE, edu);
	EXPECT_TRUE(debugfs_has(want)) TH_LOG("want '%s'", want);

	/* unmapped: still attached */
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "unmap"));
	ASSERT_EQ(1, list_find(ctl, ino, &e, &total));
	expect_entry(_metadata, &e, bdf, P2PDMA_EXT_DMABUF_F_IOCTL, 0);
	EXPECT_EQ(1, e.nr_importers);
	EXPECT_STREQ(edu, e.importers[0].name);
	EXPECT_EQ(0, e.importers[0].flags);

	/* detached (with a mapping held: detach unmaps): the importer is gone */
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map"));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
	ASSERT_EQ(1, list_find(ctl, ino, &e, &total));
	expect_entry(_metadata, &e, bdf, P2PDMA_EXT_DMABUF_F_IOCTL, 0);
	EXPECT_EQ(0, e.nr_importers);
	EXPECT_EQ(0, e.importers[0].name[0]);

	/* revoked with edu mapped: notified, unmapped, still attached */
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map"));
	ASSERT_EQ(0, p2px_revoke(ctl, fd));
	ASSERT_EQ(1, list_find(ctl, ino, &e, &total));
	expect_entry(_metadata, &e, bdf,
		     P2PDMA_EXT_DMABUF_F_IOCTL | P2PDMA_EXT_DMABUF_F_REVOKED, 0);
	EXPECT_EQ(1, e.nr_importers);
	EXPECT_STREQ(edu, e.importers[0].name);
	EXPECT_EQ(0, e.importers[0].flags);
	snprintf(want, sizeof(want),
		 "ino %llu device %s bar 2 size %llu ranges 2 exporter ioctl revoked maps 0 importers 1\n"
		 "  importer %s maps 0", ino, bdf, BUF_SIZE, edu);
	EXPECT_TRUE(debugfs_has(want)) TH_LOG("want '%s'", want);
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));

	/* closed: gone (edu dropped its reference at detach) */
	close(fd);
	EXPECT_EQ(0, list_find(ctl, ino, &e, &total));
	EXPECT_EQ(base, total);
}

/*
 * Listing waits for no importer: while a revoke waits for a slow importer
 * (edu keeps its mapping after the notify), the list already shows the
 * buffer revoked and still mapped, and a second export is listed too;
 * once edu unmaps, the revoke returns and the mapping count drops.
 */
TEST_F(import, list_during_slow_revoke)
{
	const struct p2pdma_ext_dmabuf_range r = { 0, 4096 };
	struct p2pdma_ext_dmabuf_info e;
	unsigned long long ino, ino2;
	const char *bdf = self->bdf, *edu = self->edu;
	struct edu_state st;
	unsigned int total;
	int ctl = self->ctl, fd, fd2, base = self->base, i, status;
	pid_t child;

	if (_metadata->skip)
		return;
	fd = export_two(ctl, bdf);
	ASSERT_LE(0, fd);
	ino = fd_ino(fd);
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "import %d", fd));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "map"));
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "slow 1"));

	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(p2px_revoke(ctl, fd) ? 1 : 0);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, edu_state(&st));
		if (st.notified)
			break;
		usleep(50000);
	}
	ASSERT_LE(1, st.notified);
	EXPECT_EQ(0, waitpid(child, &status, WNOHANG));

	ASSERT_EQ(1, list_find(ctl, ino, &e, &total));
	expect_entry(_metadata, &e, bdf,
		     P2PDMA_EXT_DMABUF_F_IOCTL | P2PDMA_EXT_DMABUF_F_REVOKED, 1);
	EXPECT_EQ(1, e.nr_importers);
	EXPECT_STREQ(edu, e.importers[0].name);
	EXPECT_EQ(P2PDMA_EXT_DMABUF_IMP_MAPPED, e.importers[0].flags);
	fd2 = p2px_export(ctl, p2px_devid(bdf), 2, &r, 1);
	ASSERT_LE(0, fd2);
	ino2 = fd_ino(fd2);
	ASSERT_EQ(1, list_find(ctl, ino2, &e, &total));
	EXPECT_EQ(base + 2, total);
	EXPECT_EQ(P2PDMA_EXT_DMABUF_F_IOCTL, e.flags);
	EXPECT_EQ(0, waitpid(child, &status, WNOHANG));

	/* The importer lets go: the revoke completes. */
	ASSERT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "unmap"));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_EQ(1, list_find(ctl, ino, &e, &total));
	expect_entry(_metadata, &e, bdf,
		     P2PDMA_EXT_DMABUF_F_IOCTL | P2PDMA_EXT_DMABUF_F_REVOKED, 0);
	EXPECT_EQ(0, e.importers[0].flags);
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "slow 0"));
	EXPECT_EQ(0, p2px_edu_cmd(EDU_DMABUF, "detach"));
	close(fd2);
	close(fd);
	EXPECT_EQ(base, list_total(ctl));
}

/*
 * Several buffers: listed in export order; a short buffer gets the first
 * ones with the true total; a larger stride gets its tail zeroed.
 */
TEST(order_count_stride)
{
	struct p2pdma_ext_dmabuf_range r = { 0, 4096 };
	struct p2pdma_ext_dmabuf_list l;
	unsigned long long ino[3];
	unsigned char *raw;
	size_t stride = sizeof(struct p2pdma_ext_dmabuf_info) + 64, i;
	char bdf[64];
	int ctl, fd[3], base, k, ret;

	ret = p2px_dmabuf_setup(bdf, sizeof(bdf), 0);
	if (ret == -ENODEV)
		SKIP(return, "no provider (P2PX_PROVIDER)");
	ASSERT_EQ(0, ret) TH_LOG("setup: %s", strerror(-ret));
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	base = list_total(ctl);
	ASSERT_LE(0, base);
	for (k = 0; k < 3; k++) {
		/* Three pages: live exports never share memory (EBUSY). */
		r.offset = k * 4096;
		fd[k] = p2px_export(ctl, p2px_devid(bdf), 2, &r, 1);
		ASSERT_LE(0, fd[k]);
		ino[k] = fd_ino(fd[k]);
	}
	raw = malloc(stride * (base + 3));
	ASSERT_NE(NULL, raw);
	memset(raw, 0xff, stride * (base + 3));

	memset(&l, 0, sizeof(l));
	l.argsz = sizeof(l);
	l.entry_size = stride;
	l.count = base + 2;
	l.entries = (uintptr_t)raw;
	ASSERT_EQ(0, list(ctl, &l));
	EXPECT_EQ(base + 2, l.count);
	EXPECT_EQ(base + 3, l.total);
	/* The newest buffers come last: the third one did not fit. */
	EXPECT_EQ(ino[0], ((struct p2pdma_ext_dmabuf_info *)(raw + stride * base))->ino);
	EXPECT_EQ(ino[1], ((struct p2pdma_ext_dmabuf_info *)(raw + stride * (base + 1)))->ino);
	for (i = sizeof(struct p2pdma_ext_dmabuf_info); i < stride; i++)
		if (raw[stride * base + i])
			break;
	EXPECT_EQ(stride, i) TH_LOG("stride tail not zeroed at byte %zu", i);
	/* Untouched past count. */
	EXPECT_EQ(0xff, raw[stride * (base + 2)]);

	l.count = base + 3;
	ASSERT_EQ(0, list(ctl, &l));
	EXPECT_EQ(base + 3, l.count);
	EXPECT_EQ(ino[2], ((struct p2pdma_ext_dmabuf_info *)(raw + stride * (base + 2)))->ino);
	EXPECT_EQ(4096, ((struct p2pdma_ext_dmabuf_info *)(raw + stride * (base + 2)))->size);
	EXPECT_EQ(1, ((struct p2pdma_ext_dmabuf_info *)(raw + stride * (base + 2)))->nr_ranges);
	for (k = 0; k < 3; k++)
		close(fd[k]);
	EXPECT_EQ(base, list_total(ctl));
	free(raw);
	close(ctl);
}

/*
 * Nothing listed, and with every fd closed both modules unload.
 * Self-contained: it loads and binds what the other tests use first, so
 * it holds in any order.
 */
TEST(nothing_left)
{
	char bdf[64];
	int ctl, ret;

	ret = p2px_dmabuf_setup(bdf, sizeof(bdf), 1);
	ASSERT_TRUE(ret == 0 || ret == -ENODEV) TH_LOG("setup: %s", strerror(-ret));
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	EXPECT_EQ(0, list_total(ctl));
	close(ctl);
	p2px_dmabuf_teardown(_metadata);
}

/*
 * --hold: one buffer exported and imported (mapped) by edu until stdin
 * ends; "ready ino INO device BDF bar 2 size SIZE ranges 2 importer EDU
 * pid PID" on stdout first. Leaves no module loaded that it loaded itself.
 */
static int hold(void)
{
	int edu_was_loaded = p2px_path_exists(EDU_DMABUF);
	struct p2px_pair pair;
	char bdf[64], edu[64], c;
	int ctl, fd, ret;

	ret = p2px_dmabuf_setup(bdf, sizeof(bdf), 1);
	if (ret || !p2px_dma_engine_dev(edu, sizeof(edu))) {
		printf("error: setup: %s\n", strerror(-ret));
		return 1;
	}
	ret = p2px_pair_get(&pair);
	if (!ret)
		ret = p2px_pair_open(&pair);
	if (ret) {
		printf("error: no peer-to-peer path: %s: %s\n", strerror(-ret),
		       pair.text);
		return 1;
	}
	ctl = p2px_ctl_open();
	fd = ctl < 0 ? -errno : export_two(ctl, bdf);
	if (fd < 0) {
		printf("error: export: %s\n", strerror(-fd));
		return 1;
	}
	ret = p2px_edu_cmd(EDU_DMABUF, "import %d", fd);
	if (!ret)
		ret = p2px_edu_cmd(EDU_DMABUF, "map");
	if (ret) {
		printf("error: edu import/map: %s\n", strerror(-ret));
		return 1;
	}
	printf("ready ino %llu device %s bar 2 size %llu ranges 2 importer %s pid %d\n",
	       fd_ino(fd), bdf, BUF_SIZE, edu, (int)getpid());
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	p2px_edu_cmd(EDU_DMABUF, "detach");
	close(fd);
	close(ctl);
	p2px_pair_close(&pair);
	if (!edu_was_loaded)
		p2px_unload("p2px_edu");
	return 0;
}

/* The harness's main() with test selection; ours also takes --hold. */
int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--hold"))
		return hold();
	return p2px_harness_main(argc, argv);
}
