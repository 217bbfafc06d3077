// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext fault tests, run inside the test VM as root.
 *
 * Injected allocation failures (kernels with CONFIG_FAULT_INJECTION, i.e.
 * the debug kernel; others skip): /proc/thread-self/fail-nth makes the
 * N-th fault injection point of the calling thread fail. Each operation is
 * walked with N = 1, 2, ... until it completes without reaching N: binding
 * the provider driver (p2pdma_ext_add_resource() and everything around
 * it), the dma-buf export ioctl, mmap of p2pmem/allocate, p2px_edu's
 * attach and map of a dma-buf, a topology ioctl and a parameter write.
 * Every failure must return an errno (ENOMEM) and leave nothing behind:
 * no dma-buf, no module reference, the P2P memory whole, the parameter
 * unchanged, a later bind working; kmemleak (run by the test bed after
 * the payload) sees no leak.
 *
 * In-use rules (every kernel): rmmod p2pdma_ext is refused while the
 * control device, a dma-buf or (ext back end) a p2pmem mapping is open;
 * unbinding the provider waits while a kernel user (p2px_edu) holds P2P
 * memory from it and completes once that is freed.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "p2px_harness.h"
#include "p2px_dmabuf.h"
#include "p2px_topo.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define FAILSLAB	"/sys/kernel/debug/failslab"
#define PAGE_ALLOC	"/sys/kernel/debug/fail_page_alloc"
#define BUFINFO		"/sys/kernel/debug/dma_buf/bufinfo"
#define EDU_COPY	EDU_DEBUGFS "/copy"
#define MAX_POINTS	5000
#define PAGE		4096UL

/*
 * Arm fail-nth: slab allocations that may sleep are failed too (failslab
 * skips them by default), and no failure dumps a stack into the log. Page
 * allocations keep fail_page_alloc's defaults (not below order 1, not
 * those that may sleep): a failed page allocation logs a warning with a
 * stack trace, which the test bed counts as a kernel problem.
 */
static int fail_nth_open(void)
{
	if (!p2px_path_exists(FAIL_NTH) || !p2px_path_exists(FAILSLAB))
		return -1;
	if (p2px_write_file(FAILSLAB "/ignore-gfp-wait", "N") ||
	    p2px_write_file(FAILSLAB "/verbose", "0") ||
	    p2px_write_file(PAGE_ALLOC "/verbose", "0"))
		return -1;
	return open(FAIL_NTH, O_RDWR | O_CLOEXEC);
}

/* The defaults fail_nth_open() changed, back. */
static void fail_nth_defaults(void)
{
	if (!p2px_path_exists(FAILSLAB))
		return;
	p2px_write_file(FAILSLAB "/ignore-gfp-wait", "Y");
	p2px_write_file(FAILSLAB "/verbose", "2");
	p2px_write_file(PAGE_ALLOC "/verbose", "2");
}

static void fail_nth_set(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fd, buf, len, 0) != len)
		abort();
}

/* After the operation: was the armed failure injected? Disarms. */
static int fail_nth_hit(int fd)
{
	char buf[16] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	fail_nth_set(fd, 0);
	return strtoul(buf, NULL, 10) == 0;
}

/* dma-bufs this module exported that still exist. */
static int our_dmabufs(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(BUFINFO, "r");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "\t" P2PX_MODULE_NAME "\t"))
			n++;
	if (f)
		fclose(f);
	return n;
}

static long module_refs(void)
{
	char buf[32];

	if (p2px_read_file(P2PX_SYSFS_MODULE "/refcnt", buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

FIXTURE(fault) {
	int nth;
	char shm[64];
	__u64 shm_id;
	struct p2px_pair pair;	/* a test that opens the path closes it here */
};

FIXTURE_SETUP(fault)
{
	self->nth = -1;
	if (p2px_dmabuf_setup(self->shm, sizeof(self->shm), 1))
		return;
	self->shm_id = p2px_devid(self->shm);
	self->nth = fail_nth_open();
}

FIXTURE_TEARDOWN(fault)
{
	if (self->nth >= 0) {
		fail_nth_set(self->nth, 0);
		close(self->nth);
		fail_nth_defaults();
	}
	EXPECT_EQ(0, p2px_pair_close(&self->pair));
}

/* Why this fixture cannot inject failures, or NULL. */
static const char *cannot_inject(int nth, __u64 shm_id)
{
	if (!shm_id)
		return "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)";
	if (nth < 0)
		return "kernel without fault injection (fail-nth, failslab)";
	return NULL;
}

static void walk_done(const char *what, unsigned int points)
{
	printf("# FAULT-WALK %s: %u injection points, each unwound\n", what,
	       points);
	fflush(stdout);
}

/*
 * Bind the ivshmem to the provider driver with the n-th allocation failing.
 * A failed bind leaves the device unbound and without a p2pmem group (or
 * bound and whole, when the failure hit something optional); the next
 * bind must work, so the BAR regions and the pgmap were given back.
 */
TEST_F_TIMEOUT(fault, provider_bind, 3000)
{
	char path[300], p2pmem[300];
	unsigned int n;
	int probe, hit;
	long ret;
	const char *why = cannot_inject(self->nth, self->shm_id);

	if (why)
		SKIP(return, "%s", why);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", self->shm);
	snprintf(p2pmem, sizeof(p2pmem), PCI_DEVICES "/%s/p2pmem", self->shm);
	probe = open("/sys/bus/pci/drivers_probe", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, probe);
	for (n = 1; n < MAX_POINTS; n++) {
		if (p2px_bound_to_provider(self->shm))
			ASSERT_EQ(0, unbind_dev(self->shm));
		ASSERT_EQ(0, p2px_write_file(path, PROVIDER_DRV));
		fail_nth_set(self->nth, n);
		ret = write(probe, self->shm, strlen(self->shm));
		hit = fail_nth_hit(self->nth);
		if (!hit) {
			ASSERT_LT(0, ret);
			break;
		}
		if (p2px_bound_to_provider(self->shm)) {
			/* The failure hit something optional. */
			EXPECT_EQ(64ULL << 20, read_ull(self->shm, "p2pmem/size"))
				TH_LOG("n=%u", n);
			EXPECT_EQ(read_ull(self->shm, "p2pmem/size"),
				  read_ull(self->shm, "p2pmem/available"));
		} else if (p2px_backend() == P2PDMA_EXT_BACKEND_EXT) {
			/* Our p2pmem group goes with the failed bind. */
			EXPECT_FALSE(p2px_path_exists(p2pmem)) TH_LOG("n=%u", n);
		}
	}
	close(probe);
	ASSERT_TRUE(p2px_bound_to_provider(self->shm)) TH_LOG("n=%u", n);
	EXPECT_EQ(64ULL << 20, read_ull(self->shm, "p2pmem/size"));
	EXPECT_EQ(1, read_ull(self->shm, "p2pmem/published"));
	walk_done("provider bind", n - 1);
}

TEST_F_TIMEOUT(fault, dmabuf_export, 1200)
{
	const struct p2pdma_ext_dmabuf_range r[2] = {
		{ 0, 4 * PAGE }, { 32ULL << 20, 16 * PAGE },
	};
	int ctl, fd, hit, bufs;
	long refs;
	unsigned int n;
	const char *why = cannot_inject(self->nth, self->shm_id);

	if (why)
		SKIP(return, "%s", why);
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	bufs = our_dmabufs();
	refs = module_refs();
	for (n = 1; n < MAX_POINTS; n++) {
		fail_nth_set(self->nth, n);
		fd = p2px_export(ctl, self->shm_id, 2, r, 2);
		hit = fail_nth_hit(self->nth);
		if (fd >= 0)
			close(fd);
		EXPECT_TRUE(fd >= 0 || fd == -ENOMEM) TH_LOG("n=%u: %d", n, fd);
		/* Released at close, on the way back to user space. */
		EXPECT_EQ(bufs, our_dmabufs()) TH_LOG("n=%u", n);
		EXPECT_EQ(refs, module_refs()) TH_LOG("n=%u", n);
		if (!hit) {
			ASSERT_LE(0, fd);
			break;
		}
	}
	close(ctl);
	walk_done("dma-buf export", n - 1);
}

TEST_F_TIMEOUT(fault, allocate_mmap, 1200)
{
	unsigned long long size = read_ull(self->shm, "p2pmem/size");
	unsigned long long avail;
	char path[300];
	unsigned int n;
	int fd, hit, err;
	char *p;
	const char *why = cannot_inject(self->nth, self->shm_id);

	if (why)
		SKIP(return, "%s", why);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/p2pmem/allocate", self->shm);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (n = 1; n < MAX_POINTS; n++) {
		fail_nth_set(self->nth, n);
		p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		err = p == MAP_FAILED ? errno : 0;
		hit = fail_nth_hit(self->nth);
		EXPECT_TRUE(!err || err == ENOMEM) TH_LOG("n=%u: %d", n, err);
		if (!err) {
			p[0] = 1;
			avail = read_ull(self->shm, "p2pmem/available");
			munmap(p, 4 * PAGE);
			EXPECT_EQ(size - 4 * PAGE, avail);
		}
		EXPECT_EQ(size, read_ull(self->shm, "p2pmem/available"))
			TH_LOG("n=%u", n);
		if (!hit) {
			ASSERT_NE(MAP_FAILED, p);
			break;
		}
	}
	close(fd);
	walk_done("p2pmem/allocate mmap", n - 1);
}

/* p2px_edu attaches to one of our dma-bufs, then maps it. */
TEST_F_TIMEOUT(fault, dmabuf_attach_and_map, 1200)
{
	const struct p2pdma_ext_dmabuf_range r = { 32ULL << 20, 16 * PAGE };
	char cmd[32];
	unsigned int n, points = 0;
	int ctl, fd, edu, hit, len, err;
	long ret;
	const char *why = cannot_inject(self->nth, self->shm_id);

	if (why)
		SKIP(return, "%s", why);
	/* A host bridge path only once its root is allowed (teardown undoes). */
	ASSERT_EQ(0, p2px_pair_get(&self->pair));
	if (p2px_pair_open(&self->pair))
		SKIP(return, "no peer-to-peer path: %.900s", self->pair.text);
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	fd = p2px_export(ctl, self->shm_id, 2, &r, 1);
	ASSERT_LE(0, fd);
	edu = open(EDU_DMABUF, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, edu);
	len = snprintf(cmd, sizeof(cmd), "import %d", fd);
	for (n = 1; n < MAX_POINTS; n++) {
		fail_nth_set(self->nth, n);
		ret = pwrite(edu, cmd, len, 0);
		err = ret < 0 ? errno : 0;
		hit = fail_nth_hit(self->nth);
		if (err == EOPNOTSUPP && !hit)
			SKIP(goto out, "no peer-to-peer path from edu to the ivshmem");
		EXPECT_TRUE(!err || err == ENOMEM) TH_LOG("import, n=%u: %d", n, err);
		if (!hit) {
			ASSERT_EQ(len, ret);
			break;
		}
		if (ret == len)
			ASSERT_EQ(0, p2px_write_file(EDU_DMABUF, "detach"));
	}
	points = n - 1;
	for (n = 1; n < MAX_POINTS; n++) {
		fail_nth_set(self->nth, n);
		ret = pwrite(edu, "map", 3, 0);
		err = ret < 0 ? errno : 0;
		hit = fail_nth_hit(self->nth);
		EXPECT_TRUE(!err || err == ENOMEM) TH_LOG("map, n=%u: %d", n, err);
		if (!err)
			ASSERT_EQ(0, p2px_write_file(EDU_DMABUF, "unmap"));
		if (!hit) {
			ASSERT_EQ(3, ret);
			break;
		}
	}
	walk_done("dma-buf attach", points);
	walk_done("dma-buf map", n - 1);
	EXPECT_EQ(0, p2px_write_file(EDU_DMABUF, "detach"));
out:
	close(edu);
	close(fd);
	close(ctl);
}

/*
 * A topology query with texts, and a parameter that must keep its value.
 * (An empty write never reaches the parameter: "\n" clears it.)
 */
TEST_F_TIMEOUT(fault, topology_and_parameter, 1200)
{
	struct p2pdma_ext_topo_pair pair = { .client = self->shm_id };
	char text[1024], val[128];
	struct p2pdma_ext_topo_pairs a = {
		.argsz = sizeof(a), .provider = self->shm_id, .num_clients = 1,
		.pair_size = sizeof(pair), .pairs = (uintptr_t)&pair,
		.text_size = sizeof(text), .text = (uintptr_t)text,
	};
	unsigned int n, points;
	int ctl, allow, hit, err;
	long ret;
	const char *why = cannot_inject(self->nth, self->shm_id);

	if (why)
		SKIP(return, "%s", why);
	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	for (n = 1; n < MAX_POINTS; n++) {
		fail_nth_set(self->nth, n);
		ret = ioctl(ctl, P2PDMA_EXT_IOC_TOPO_PAIRS, &a);
		err = ret ? errno : 0;
		hit = fail_nth_hit(self->nth);
		EXPECT_TRUE(!err || err == ENOMEM) TH_LOG("n=%u: %d", n, err);
		if (!hit) {
			ASSERT_EQ(0, ret);
			break;
		}
	}
	close(ctl);
	points = n - 1;
	allow = open(ALLOW_PARAM, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, allow);
	for (n = 1; n < MAX_POINTS; n++) {
		fail_nth_set(self->nth, n);
		ret = pwrite(allow, "8086:29c0", 9, 0);
		err = ret < 0 ? errno : 0;
		hit = fail_nth_hit(self->nth);
		ASSERT_EQ(0, p2px_read_file(ALLOW_PARAM, val, sizeof(val)));
		EXPECT_TRUE(!err || err == ENOMEM) TH_LOG("n=%u: %d", n, err);
		/* A refused value leaves the old one in force. */
		EXPECT_STREQ(err ? "" : "8086:29c0", val)
			TH_LOG("n=%u: write returned %ld, errno %d, injected %d",
			       n, ret, err, hit);
		ASSERT_EQ(0, p2px_write_file(ALLOW_PARAM, "\n"));
		if (!hit)
			break;
	}
	close(allow);
	EXPECT_EQ(0, p2px_write_file(ALLOW_PARAM, "\n"));
	walk_done("topology ioctl", points);
	walk_done("parameter write", n - 1);
}

/*
 * Unbinding the provider while p2px_edu holds P2P memory from it (the
 * "copy" run keeps its allocation) waits for that memory; freeing it (edu
 * unbinds) lets the unbind finish.
 */
TEST_F_TIMEOUT(fault, unbind_waits_for_kernel_users, 300)
{
	char shm[64], edu[64], path[300];
	struct p2px_pair *pair = &self->pair;
	int status, ret;
	pid_t pid;

	ret = p2px_dmabuf_setup(shm, sizeof(shm), 1);
	if (ret == -ENODEV)
		SKIP(return, "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)");
	ASSERT_EQ(0, ret);
	ASSERT_TRUE(p2px_dma_engine_dev(edu, sizeof(edu)));
	/* A host bridge path only once its root is allowed. */
	ASSERT_EQ(0, p2px_pair_get(pair));
	ret = p2px_pair_open(pair);
	if (!ret)
		ret = p2px_write_file(EDU_COPY, "64 5");
	EXPECT_EQ(0, p2px_pair_close(pair));
	if (ret == -ENODEV || ret == -EOPNOTSUPP)
		SKIP(return, "edu finds no P2P memory here (%s)", strerror(-ret));
	ASSERT_EQ(0, ret);
	/* Allocations are whole pages. */
	EXPECT_EQ(read_ull(shm, "p2pmem/size") - PAGE,
		  read_ull(shm, "p2pmem/available"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(unbind_dev(shm) ? 1 : 0);
	sleep(2);
	/* Still waiting for p2px_edu's memory. */
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/p2px_edu/unbind");
	ASSERT_EQ(0, p2px_write_file(path, edu));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_FALSE(p2px_bound_to_provider(shm));
	/* Bring both back for the next tests. */
	EXPECT_EQ(0, bind_provider(shm));
	EXPECT_EQ(0, p2px_write_file("/sys/bus/pci/drivers_probe", edu));
}

/* Every user holds the module: rmmod is refused until all are gone. */
TEST_F_TIMEOUT(fault, rmmod_refused_while_in_use, 300)
{
	const struct p2pdma_ext_dmabuf_range r = { 0, PAGE };
	char shm[64], path[300];
	int ctl, fd, map_fd, ret;
	char *p;

	ret = p2px_dmabuf_setup(shm, sizeof(shm), 0);
	if (ret == -ENODEV)
		SKIP(return, "needs a provider (P2PX_PROVIDER)");
	ASSERT_EQ(0, ret);
	/* p2px_edu depends on p2pdma_ext: it would refuse by itself. */
	if (p2px_path_exists("/sys/module/p2px_edu"))
		ASSERT_EQ(0, p2px_unload("p2px_edu"));

	ctl = p2px_ctl_open();
	ASSERT_LE(0, ctl);
	EXPECT_EQ(-EWOULDBLOCK, p2px_unload(P2PX_MODULE_NAME));
	fd = p2px_export(ctl, p2px_devid(shm), 2, &r, 1);
	ASSERT_LE(0, fd);
	close(ctl);
	EXPECT_EQ(-EWOULDBLOCK, p2px_unload(P2PX_MODULE_NAME));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/p2pmem/allocate", shm);
	map_fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, map_fd);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(map_fd);
	close(fd);
	/*
	 * With the native back end p2pmem/allocate is the kernel's own file:
	 * its mapping holds the kernel's P2PDMA pages, not this module (an
	 * unbind revokes it); only ours hold the module.
	 */
	if (p2px_backend() == P2PDMA_EXT_BACKEND_EXT)
		EXPECT_EQ(-EWOULDBLOCK, p2px_unload(P2PX_MODULE_NAME));
	munmap(p, PAGE);
	EXPECT_TRUE(p2px_module_loaded());
}

/*
 * Everything released, the module unloads. Self-contained: the fixture
 * loaded and bound what the other tests use, so it holds in any order
 * (the fault injection defaults are the teardown's to restore).
 */
TEST_F_TIMEOUT(fault, teardown_releases_everything, 300)
{
	char bdf[64], path[300];

	if (p2px_path_exists("/sys/module/p2px_edu"))
		ASSERT_EQ(0, p2px_unload("p2px_edu"));
	if (p2px_provider_dev(bdf, sizeof(bdf))) {
		if (p2px_bound_to_provider(bdf)) {
			EXPECT_EQ(read_ull(bdf, "p2pmem/size"),
				  read_ull(bdf, "p2pmem/available"));
			ASSERT_EQ(0, unbind_dev(bdf));
		}
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override",
			 bdf);
		ASSERT_EQ(0, p2px_write_file(path, "\n"));
	}
	if (p2px_module_loaded())
		ASSERT_EQ(0, p2px_unload(P2PX_MODULE_NAME));
}

/* The harness's main() with test selection (p2px_harness.h). */
int main(int argc, char **argv)
{
	return p2px_harness_main(argc, argv);
}
