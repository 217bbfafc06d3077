// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem/allocate selftests, run inside the test VM as root on every
 * kernel: ours on 5.10-6.12, the kernel's own file on 7.2. The generic
 * provider driver binds the emulated ivshmem (BAR2 = 64 MiB of RAM) and
 * registers BAR2 whole; mmap() of p2pmem/allocate hands out that memory.
 *
 * Host check: the pattern written through the mapping is printed as
 *   # HOSTCHECK NAME OFFSET HEXBYTES
 * and tools/check.sh compares it with the host file behind the BAR, so a
 * mapping of anything but the BAR fails the run.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "p2px_pci.h"
#include "uapi/linux/p2pdma_ext.h"

#define MAP_LEN		(256UL << 10)
#define SEED		0x5au
/* Skipped by the pattern mapping: later tests write at the pool's start. */
#define SPACER_LEN	(8UL << 20)

static unsigned char pattern(unsigned int seed, size_t i)
{
	return (unsigned char)(seed + 13 * i + (i >> 9));
}

/* The first ivshmem function; its BDF goes to @bdf. */
static int find_ivshmem(char *bdf, size_t len)
{
	return p2px_provider_dev(bdf, len);
}

static int bound(const char *bdf)
{
	char path[300];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	return p2px_path_exists(path);
}

/*
 * Load p2pdma_ext, bind the ivshmem to the provider with a fresh pool (so
 * the first allocation is at the start of BAR2: the pool is first-fit)
 * and open p2pmem/allocate. Returns the fd, or -1 to skip.
 */
static int setup(struct __test_metadata *_metadata, char *bdf, size_t len)
{
	char path[300];
	int fd;

	if (!p2px_module_loaded())
		EXPECT_EQ(0, p2px_load(p2px_module_path(), NULL));
	if (!find_ivshmem(bdf, len))
		return -1;
	if (bound(bdf))
		EXPECT_EQ(0, unbind_dev(bdf));
	EXPECT_EQ(0, bind_provider(bdf));
	EXPECT_EQ(64ULL << 20, read_ull(bdf, "p2pmem/size"));
	EXPECT_EQ(read_ull(bdf, "p2pmem/size"),
		  read_ull(bdf, "p2pmem/available"));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/p2pmem/allocate", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	return fd;
}

/* Print 64 bytes at @off of @p, which maps BAR offset @base. */
static void hostcheck(const char *name, const unsigned char *p,
		      size_t base, size_t off)
{
	char hex[129];
	size_t i;

	for (i = 0; i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", p[off + i]);
	printf("# HOSTCHECK %s %zu %s\n", name, base + off, hex);
	fflush(stdout);
}

/* Child: read @p; exit 0 if it holds @want, 3 if not; the wait status. */
static int access_status(unsigned char *p, unsigned char want)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		__sync_synchronize();	/* read the memory, not a copy */
		_exit(p[0] == want ? 0 : 3);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

TEST(allocate_freed_when_process_killed)
{
	unsigned long long size;
	int fd, pipefd[2], status;
	char bdf[64] = "", c;
	pid_t pid;

	fd = setup(_metadata, bdf, sizeof(bdf));
	if (fd == -1 && !bdf[0])
		SKIP(return, "no provider (P2PX_PROVIDER)");
	ASSERT_LE(0, fd);
	size = read_ull(bdf, "p2pmem/size");
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char *p;

		p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
		if (p == MAP_FAILED)
			_exit(1);
		p[0] = 1;
		p[MAP_LEN - 1] = 2;
		__sync_synchronize();
		if (write(pipefd[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1)) TH_LOG("child could not map");
	EXPECT_EQ(size - MAP_LEN, read_ull(bdf, "p2pmem/available"));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_EQ(size, p2pmem_wait_available(bdf, size));
	close(pipefd[0]);
	close(fd);
}

TEST(allocate_refuses_private_offset_and_too_much)
{
	unsigned long long size;
	char bdf[64] = "";
	void *p;
	int fd;

	fd = setup(_metadata, bdf, sizeof(bdf));
	if (fd == -1 && !bdf[0])
		SKIP(return, "no provider (P2PX_PROVIDER)");
	ASSERT_LE(0, fd);
	size = read_ull(bdf, "p2pmem/size");

	p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 4096);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/* Pool exhaustion: more than the pool holds. */
	p = mmap(NULL, size + MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(size, read_ull(bdf, "p2pmem/available"));

	/* All of it is fine, and comes back. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0, read_ull(bdf, "p2pmem/available"));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(size, p2pmem_wait_available(bdf, size));
	close(fd);
}

TEST(unbind_revokes_live_mapping)
{
	unsigned long long size;
	char bdf[64] = "";
	unsigned char *p;
	int fd, status;

	fd = setup(_metadata, bdf, sizeof(bdf));
	if (fd == -1 && !bdf[0])
		SKIP(return, "no provider (P2PX_PROVIDER)");
	ASSERT_LE(0, fd);
	size = read_ull(bdf, "p2pmem/size");
	p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	p[0] = 0xa5;
	__sync_synchronize();
	status = access_status(p, 0xa5);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("access before unbind: status %#x", status);

	/* Unbind neither waits for the mapping nor refuses. */
	ASSERT_EQ(0, unbind_dev(bdf));
	status = access_status(p, 0xa5);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		TH_LOG("access after unbind: status %#x", status);
	EXPECT_EQ(0, munmap(p, MAP_LEN));
	close(fd);

	/* Rebinding gives a whole pool that maps again. */
	ASSERT_EQ(0, bind_provider(bdf));
	EXPECT_EQ(size, read_ull(bdf, "p2pmem/available"));
	fd = setup(_metadata, bdf, sizeof(bdf));
	ASSERT_LE(0, fd);
	p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	p[MAP_LEN - 1] = 0x3c;
	__sync_synchronize();
	EXPECT_EQ(0x3c, p[MAP_LEN - 1]);
	EXPECT_EQ(0, munmap(p, MAP_LEN));
	EXPECT_EQ(size, p2pmem_wait_available(bdf, size));
	close(fd);
}

/* Does the module run on the kernel's own P2PDMA (7.2)? */
static int native_backend(void)
{
	struct p2pdma_ext_info info = { .argsz = sizeof(info) };
	int ctl = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC), ret = 0;

	if (ctl >= 0 && !ioctl(ctl, P2PDMA_EXT_IOC_INFO, &info))
		ret = info.backend == P2PDMA_EXT_BACKEND_NATIVE;
	if (ctl >= 0)
		close(ctl);
	return ret;
}

/*
 * A mapping never shows what the memory's previous user left there: a
 * pattern written through one mapping is gone from the next mapping of
 * the same memory (a fresh first-fit pool hands out its start both times).
 * Where p2pmem/allocate is the kernel's own (native P2PDMA), the kernel
 * decides: the test skips, saying so, if the kernel does not zero.
 */
TEST(allocate_zeroed)
{
	size_t i, same = 0, nonzero = 0;
	char bdf[64] = "";
	unsigned char *p;
	int fd;

	fd = setup(_metadata, bdf, sizeof(bdf));
	if (fd == -1 && !bdf[0])
		SKIP(return, "no provider (P2PX_PROVIDER)");
	ASSERT_LE(0, fd);
	p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	for (i = 0; i < MAP_LEN; i++)
		p[i] = pattern(SEED, i) | 1;
	__sync_synchronize();
	ASSERT_EQ(0, munmap(p, MAP_LEN));
	p2pmem_wait_available(bdf, read_ull(bdf, "p2pmem/size"));

	p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	for (i = 0; i < MAP_LEN; i++) {
		same += p[i] == (pattern(SEED, i) | 1);
		nonzero += p[i] != 0;
	}
	if (nonzero && native_backend()) {
		munmap(p, MAP_LEN);
		close(fd);
		/* Out of this module's reach (Documentation/uapi.rst). */
		SKIP(return, "native: the kernel's p2pmem/allocate does not zero (%zu old bytes)",
		     same);
	}
	EXPECT_EQ(0, nonzero)
		TH_LOG("%zu bytes not zero, %zu of them the previous user's",
		       nonzero, same);
	EXPECT_EQ(0, munmap(p, MAP_LEN));
	close(fd);
}

/* Last: its host check must not meet a later test's zeroed mapping. */
TEST(allocate_maps_bar_memory)
{
	unsigned long long size;
	unsigned char *p;
	char bdf[64] = "", name[64];
	void *spacer;
	size_t i, bad = 0;
	int fd;

	fd = setup(_metadata, bdf, sizeof(bdf));
	if (fd == -1 && !bdf[0])
		SKIP(return, "no provider (P2PX_PROVIDER)");
	ASSERT_LE(0, fd);
	size = read_ull(bdf, "p2pmem/size");
	spacer = mmap(NULL, SPACER_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	ASSERT_NE(MAP_FAILED, spacer) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(size - SPACER_LEN, read_ull(bdf, "p2pmem/available"));
	p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(size - SPACER_LEN - MAP_LEN,
		  read_ull(bdf, "p2pmem/available"));

	for (i = 0; i < MAP_LEN; i++)
		p[i] = pattern(SEED, i);
	__sync_synchronize();	/* read back from the BAR, not registers */
	for (i = 0; i < MAP_LEN; i++)
		bad += p[i] != pattern(SEED, i);
	EXPECT_EQ(0, bad);
	/* Second allocation from a fresh first-fit pool: after the spacer. */
	ivshmem_name(name, sizeof(name));
	hostcheck(name, p, SPACER_LEN, 0);
	hostcheck(name, p, SPACER_LEN, MAP_LEN - 64);

	ASSERT_EQ(0, munmap(p, MAP_LEN));
	EXPECT_EQ(size - SPACER_LEN, p2pmem_wait_available(bdf, size - SPACER_LEN));
	ASSERT_EQ(0, munmap(spacer, SPACER_LEN));
	EXPECT_EQ(size, p2pmem_wait_available(bdf, size));
	close(fd);
}

TEST_HARNESS_MAIN
