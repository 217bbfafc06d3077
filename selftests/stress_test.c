// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext concurrency stress, run inside the test VM as root: for
 * P2PX_STRESS_SECONDS (default 10; the debug kernel run asks 60) these run
 * at once, each in its own thread:
 *
 *   mapper x2  mmap p2pmem/allocate (1..64 pages), write a pattern of its
 *              own into every page, read it back, unmap part, unmap all;
 *   registry   p2px_edu/registry "alloc SIZE" (kernel allocation from
 *              the provider nearest to edu, under its device lock, freed
 *              at once) and "find";
 *   importer   export a range of the upper half of the BAR, p2px_edu
 *              imports and maps it, edu's DMA engine reads the bytes the
 *              previous round wrote there and writes new ones (checked),
 *              revoke, unmap, detach, close;
 *   exporter   export/revoke/close dma-bufs, and revoke the importer's
 *              buffer under its feet;
 *   topology   TOPO_PAIRS and TOPO_MATRIX ioctls, debugfs pair queries;
 *   params     host_bridge_allow/deny, trust_all_host_bridges and flush
 *              changed every few milliseconds;
 *   cycler     every few seconds: rmmod p2pdma_ext (refused while in use),
 *              then the provider goes away and comes back: hot-unplug and
 *              replug of the ivshmem by the host where it is alone below a
 *              root port (sysfs), driver unbind and rebind elsewhere.
 *
 * A mapping that is revoked under a thread faults with SIGBUS, which that
 * thread counts; any other failure must be an errno the interface
 * documents, and every byte read back must be the one written. At the end
 * everything is released: P2P memory whole again, both modules unload.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "p2px_harness.h"
#include "p2px_dmabuf.h"
#include "p2px_topo.h"

#define PAGE		4096UL
#define BAR_SIZE	(64ULL << 20)
/* The importer's range: far above where the pool hands out memory. */
#define DMA_BASE	(48ULL << 20)
#define DMA_LEN		256
#define CYCLE_SECONDS	5
#define MAX_MSG		8

enum { T_MAPPER0, T_MAPPER1, T_REGISTRY, T_IMPORTER, T_EXPORTER, T_TOPOLOGY,
	T_PARAMS, T_COUNT };

static const char * const thread_names[T_COUNT] = {
	"mapper0", "mapper1", "registry", "importer", "exporter", "topology",
	"params",
};

struct stress;

struct worker {
	struct stress *s;
	int id;
	pthread_t thread;
	unsigned long long rng;
	unsigned int tag;
	long ops, fails, sigbus, bad;
	char msg[MAX_MSG][160];
	int nmsg;
};

struct stress {
	atomic_int stop;
	atomic_int importer_fd;		/* the importer's dma-buf, or -1 */
	char shm[64], shm_dir[300], shm_name[64];
	/* host_bridge_allow values the params thread writes */
	char allow[3][100];
	__u64 shm_id, ids[64];
	int nids, unplug;
	int dma;	/* edu's DMA can move bytes (p2px_pair_dma_moves()) */
	struct worker w[T_COUNT];
	long cycles, unplugs, rmmod_refused;
};

static __thread sigjmp_buf *bus_jmp;

static void on_sigbus(int sig)
{
	if (bus_jmp)
		siglongjmp(*bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static unsigned int wrnd(struct worker *w, unsigned int n)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return n ? (unsigned int)(((w->rng * 0x2545f4914f6cdd1dULL) >> 32) % n) : 0;
}

static void wbad(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->bad++ >= MAX_MSG)
		return;
	va_start(ap, fmt);
	vsnprintf(w->msg[w->nmsg++], sizeof(w->msg[0]), fmt, ap);
	va_end(ap);
}

/* Count a failed call; @err must be one of the 0-terminated @ok. */
static void wfail(struct worker *w, const char *what, int err, const int *ok)
{
	int i;

	w->fails++;
	for (i = 0; ok[i]; i++)
		if (ok[i] == err)
			return;
	wbad(w, "%s: errno %d (%s)", what, err, strerror(err));
}

/* What may fail while the provider comes and goes. */
static const int ok_gone[] = { ENODEV, ENOENT, ENXIO, EINVAL, ENOMEM, EBADF,
	0 };
static const int ok_busy[] = { ENODEV, ENOENT, ENXIO, EINVAL, ENOMEM, EBADF,
	EOPNOTSUPP, EBUSY, ERANGE, 0 };

static unsigned char pat(unsigned int tag, size_t i)
{
	return (unsigned char)(tag * 31 + i * 7 + (i >> 9));
}

/*
 * Write a pattern into every page of @p and read it back; a revoke under
 * us faults with SIGBUS, which is counted. The barrier makes the reads
 * come from the (uncached) mapping, not from registers.
 */
static void touch_pages(struct worker *w, unsigned char *p, size_t pages)
{
	sigjmp_buf jb;
	size_t i;

	w->tag = w->tag * 7 + w->id + 1;
	if (sigsetjmp(jb, 1)) {
		bus_jmp = NULL;
		w->sigbus++;
		return;
	}
	bus_jmp = &jb;
	for (i = 0; i < pages; i++) {
		p[i * PAGE] = pat(w->tag, i);
		p[i * PAGE + PAGE - 1] = pat(w->tag, i + 1);
	}
	__asm__ __volatile__("" ::: "memory");
	for (i = 0; i < pages; i++)
		if (p[i * PAGE] != pat(w->tag, i) ||
		    p[i * PAGE + PAGE - 1] != pat(w->tag, i + 1))
			wbad(w, "page %zu of %zu: read back %#x, wrote %#x", i,
			     pages, p[i * PAGE], pat(w->tag, i));
	bus_jmp = NULL;
}

static void *mapper(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	char path[400];

	snprintf(path, sizeof(path), "%s/allocate", s->shm_dir);
	while (!atomic_load(&s->stop)) {
		size_t pages = 1 + wrnd(w, 64), len = pages * PAGE;
		unsigned char *p;
		int fd;

		w->ops++;
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			wfail(w, "open allocate", errno, ok_gone);
			usleep(1000);
			continue;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (p == MAP_FAILED) {
			wfail(w, "mmap allocate", errno, ok_gone);
			continue;
		}
		touch_pages(w, p, pages);
		if (pages > 2 && wrnd(w, 2)) {
			/*
			 * Split the VMA, then unmap the two pieces: unmapping
			 * all of @len would also unmap what the other mapper
			 * may have mapped into the hole meanwhile.
			 */
			munmap(p + PAGE, PAGE);
			munmap(p, PAGE);
			munmap(p + 2 * PAGE, len - 2 * PAGE);
		} else {
			munmap(p, len);
		}
	}
	return NULL;
}

static void *registry(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	int ret;

	while (!atomic_load(&s->stop)) {
		w->ops++;
		if (wrnd(w, 4))
			ret = p2px_edu_cmd(EDU_REGISTRY, "alloc %u",
					   (1 + wrnd(w, 256)) * 4096);
		else
			ret = p2px_write_file(EDU_REGISTRY, "find");
		if (ret)
			wfail(w, "registry", -ret, ok_gone);
	}
	return NULL;
}

static unsigned char edu_pat(unsigned int seed, size_t i)
{
	return (unsigned char)(seed + 7 * i + (i >> 8));
}

/* Read what p2px_edu's last "dma" read (the first 64 bytes, in hex). */
static int edu_read_back(unsigned char *out)
{
	char buf[512], *hex;
	unsigned int b, i;

	if (p2px_read_file(EDU_DMABUF, buf, sizeof(buf)))
		return -1;
	hex = strstr(buf, "read ");
	if (!hex)
		return -1;
	hex += 5;
	for (i = 0; i < 64; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (unsigned char)b;
	}
	return 0;
}

/*
 * One range of the upper BAR, exported, imported, mapped and DMAed by edu:
 * each DMA first reads what the previous one wrote (seed @prev), unless a
 * revoke or unplug came in between (then @prev is 0: unknown).
 */
static void *importer(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	struct p2pdma_ext_dmabuf_range r = { DMA_BASE, 16 * PAGE };
	unsigned int seed = 0, prev = 0;
	unsigned char got[64];
	int ctl = p2px_ctl_open(), fd, ret, i;

	while (!atomic_load(&s->stop)) {
		w->ops++;
		fd = p2px_export(ctl, s->shm_id, 2, &r, 1);
		if (fd < 0) {
			wfail(w, "export", -fd, ok_busy);
			prev = 0;
			usleep(10000);
			continue;
		}
		atomic_store(&s->importer_fd, fd);
		ret = p2px_edu_cmd(EDU_DMABUF, "import %d", fd);
		if (!ret)
			ret = p2px_write_file(EDU_DMABUF, "map");
		if (!ret && s->dma && wrnd(w, 3) == 0) {
			seed = 1 + wrnd(w, 250);
			ret = p2px_edu_cmd(EDU_DMABUF, "dma %d %d %u", 0, DMA_LEN,
					   seed);
			if (!ret && prev && !edu_read_back(got)) {
				for (i = 0; i < 64; i++)
					if (got[i] != edu_pat(prev, i))
						break;
				if (i < 64)
					wbad(w, "edu read byte %d = %#x, the last DMA wrote %#x",
					     i, got[i], edu_pat(prev, i));
			}
			prev = ret ? 0 : seed;
		}
		if (ret) {
			wfail(w, "import/map/dma", -ret, ok_busy);
			prev = 0;
		}
		if (wrnd(w, 2) && p2px_revoke(ctl, fd))
			wfail(w, "revoke", errno, ok_busy);
		atomic_store(&s->importer_fd, -1);
		p2px_write_file(EDU_DMABUF, "unmap");
		p2px_write_file(EDU_DMABUF, "detach");
		close(fd);
	}
	close(ctl);
	return NULL;
}

static void *exporter(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	struct p2pdma_ext_dmabuf_range r[4];
	int ctl = p2px_ctl_open(), fd, n, i, other;

	while (!atomic_load(&s->stop)) {
		w->ops++;
		n = 1 + wrnd(w, 4);
		for (i = 0; i < n; i++) {
			r[i].offset = wrnd(w, 8192) * PAGE;
			r[i].length = (1 + wrnd(w, 1024)) * PAGE;
		}
		fd = p2px_export(ctl, s->shm_id, 2, r, n);
		if (fd < 0) {
			/* Ranges past the end: ERANGE; gone: ENODEV. */
			wfail(w, "export", -fd, ok_busy);
			if (-fd != ERANGE)
				usleep(10000);
		} else {
			if (wrnd(w, 2) && p2px_revoke(ctl, fd))
				wfail(w, "revoke", errno, ok_busy);
			close(fd);
		}
		other = atomic_load(&s->importer_fd);
		/* Closed or reused by now: EBADF or EINVAL (not ours). */
		if (other >= 0 && wrnd(w, 8) == 0 && p2px_revoke(ctl, other))
			wfail(w, "revoke importer's", errno, ok_busy);
	}
	close(ctl);
	return NULL;
}

static void *topo_querier(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	struct p2pdma_ext_topo_pair pairs[64];
	struct p2pdma_ext_topo_cell cells[64 * 64];
	__u64 devs[64];
	char cmd[160], text[64 * 128];
	int ctl = p2px_ctl_open(), i, ret;

	while (!atomic_load(&s->stop)) {
		struct p2pdma_ext_topo_pairs a = {
			.argsz = sizeof(a), .provider = s->shm_id,
			.num_clients = s->nids, .pair_size = sizeof(pairs[0]),
			.pairs = (uintptr_t)pairs, .text_size = 128,
			.text = (uintptr_t)text,
			.flags = wrnd(w, 2) ? P2PDMA_EXT_TOPO_Q_CACHED : 0,
		};
		struct p2pdma_ext_topo_matrix m = {
			.argsz = sizeof(m), .flags = P2PDMA_EXT_TOPO_M_ALL,
			.num_devices = 64, .devices = (uintptr_t)devs,
			.cells = (uintptr_t)cells,
		};

		w->ops++;
		memset(pairs, 0, sizeof(pairs));
		for (i = 0; i < s->nids; i++)
			pairs[i].client = s->ids[i];
		switch (wrnd(w, 3)) {
		case 0:
			ret = ioctl(ctl, P2PDMA_EXT_IOC_TOPO_PAIRS, &a) ? -errno : 0;
			break;
		case 1:
			ret = ioctl(ctl, P2PDMA_EXT_IOC_TOPO_MATRIX, &m) ? -errno : 0;
			break;
		default:
			snprintf(cmd, sizeof(cmd), "%s %.20s", s->shm,
				 wrnd(w, 2) ? "0000:00:00.0" : s->shm);
			ret = p2px_write_file("/sys/kernel/debug/p2pdma_ext/pair", cmd);
			if (!ret)
				ret = p2px_read_file("/sys/kernel/debug/p2pdma_ext/pair",
						     text, sizeof(text));
			break;
		}
		/* An unplugged device: ENODEV. */
		if (ret)
			wfail(w, "topology query", -ret, ok_gone);
	}
	close(ctl);
	return NULL;
}

static void *params(void *arg)
{
	static const char * const deny[] = { "\n", "8086:2030", "1022:1450" };
	struct worker *w = arg;
	struct stress *s = w->s;
	int ret;

	while (!atomic_load(&s->stop)) {
		w->ops++;
		switch (wrnd(w, 4)) {
		case 0:
			/* Always allowing edu's host bridge keeps it importing. */
			ret = p2px_write_file(ALLOW_PARAM, s->allow[wrnd(w, 3)]);
			break;
		case 1:
			ret = p2px_write_file(P2PX_PARAMS "/host_bridge_deny",
					      deny[wrnd(w, 3)]);
			break;
		case 2:
			/* Rarely: each switch to Y logs a warning. */
			ret = p2px_write_file(P2PX_PARAMS "/trust_all_host_bridges",
					      wrnd(w, 100) ? "N" : "Y");
			break;
		default:
			ret = p2px_write_file("/sys/kernel/debug/p2pdma_ext/flush",
					      "1");
			break;
		}
		if (ret)
			wfail(w, "parameter", -ret, ok_gone);
		usleep(5000);
	}
	return NULL;
}

static void *(* const bodies[T_COUNT])(void *) = {
	mapper, mapper, registry, importer, exporter, topo_querier, params,
};

/* rmmod refused while in use; then the provider goes away and comes back. */
static void cycle(struct __test_metadata *_metadata, struct stress *s)
{
	int ret = p2px_unload(P2PX_MODULE_NAME);

	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY)
		TH_LOG("rmmod p2pdma_ext in use: %d", ret);
	if (ret == -EWOULDBLOCK || ret == -EBUSY)
		s->rmmod_refused++;
	if (s->unplug) {
		char req[96];

		snprintf(req, sizeof(req), "UNPLUG %s", s->shm_name);
		EXPECT_EQ(0, host_request(req));
		EXPECT_EQ(0, p2px_wait_device(s->shm, 0, 30));
		snprintf(req, sizeof(req), "REPLUG %s", s->shm_name);
		EXPECT_EQ(0, host_request(req));
		EXPECT_EQ(0, p2px_wait_device(s->shm, 1, 30));
		s->unplugs++;
	} else {
		EXPECT_EQ(0, unbind_dev(s->shm));
		usleep(200000);
	}
	EXPECT_EQ(0, p2px_rebind_provider(s->shm));
	s->cycles++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void collect_ids(struct stress *s)
{
	struct dirent *de;
	DIR *d = opendir(PCI_DEVICES);

	while (d && (de = readdir(d)) && s->nids < 64)
		if (de->d_name[0] != '.')
			s->ids[s->nids++] = p2px_devid(de->d_name);
	if (d)
		closedir(d);
}

/* A fixture only for the harness's per-test timeout. */
FIXTURE(stress) {
	struct stress s;
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, everything_at_once, 1200)
{
	const char *env = getenv("P2PX_STRESS_SECONDS");
	struct p2px_pair pair;
	char hb[16];
	double secs = env ? atof(env) : 10, t0, next;
	struct stress *s = &self->s;
	long ops = 0, sigbus = 0, fails = 0;
	char path[400];
	int ret, i, j;

	ret = p2px_dmabuf_setup(s->shm, sizeof(s->shm), 1);
	if (ret == -ENODEV)
		SKIP(return, "needs a provider and a DMA engine (P2PX_PROVIDER, P2PX_DMA_ENGINE)");
	ASSERT_EQ(0, ret) TH_LOG("setup: %s", strerror(-ret));
	snprintf(s->shm_dir, sizeof(s->shm_dir), PCI_DEVICES "/%s/p2pmem",
		 s->shm);
	s->shm_id = p2px_devid(s->shm);
	s->unplug = p2px_alone_below_root_port(s->shm);
	ivshmem_name(s->shm_name, sizeof(s->shm_name));
	atomic_store(&s->importer_fd, -1);
	collect_ids(s);
	/*
	 * A host bridge path: its root device (as the module names it) allowed
	 * in every value the params thread writes; a direct path needs none,
	 * and any well-formed entry will do there.
	 */
	ASSERT_EQ(0, p2px_pair_get(&pair));
	if (p2px_pair_open(&pair))
		TH_LOG("no peer-to-peer path, edu's imports fail: %s", pair.text);
	s->dma = p2px_pair_dma_moves(&pair);
	if (!s->dma)
		TH_LOG("%s", P2PX_QEMU_BUS_ADDR_NOTE);
	snprintf(hb, sizeof(hb), "%.9s", pair.roots[0] ? pair.roots : "1ae0:0042");
	snprintf(s->allow[0], sizeof(s->allow[0]), "%.40s", pair.roots[0] ? pair.roots : hb);
	snprintf(s->allow[1], sizeof(s->allow[1]), "%.40s,1ae0:*", s->allow[0]);
	snprintf(s->allow[2], sizeof(s->allow[2]), "%s:same,%.40s", hb, s->allow[0]);
	signal(SIGBUS, on_sigbus);

	for (i = 0; i < T_COUNT; i++) {
		s->w[i].s = s;
		s->w[i].id = i;
		s->w[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		ASSERT_EQ(0, pthread_create(&s->w[i].thread, NULL, bodies[i],
					    &s->w[i]));
	}
	t0 = now();
	next = t0 + CYCLE_SECONDS;
	while (now() - t0 < secs) {
		usleep(100000);
		if (now() >= next) {
			cycle(_metadata, s);
			next = now() + CYCLE_SECONDS;
		}
	}
	atomic_store(&s->stop, 1);
	for (i = 0; i < T_COUNT; i++)
		pthread_join(s->w[i].thread, NULL);
	secs = now() - t0;

	for (i = 0; i < T_COUNT; i++) {
		struct worker *w = &s->w[i];

		printf("# stress: %-9s %7ld ops %6ld failed %4ld SIGBUS %ld bad\n",
		       thread_names[i], w->ops, w->fails, w->sigbus, w->bad);
		for (j = 0; j < w->nmsg; j++)
			printf("# stress: %s: %s\n", thread_names[i], w->msg[j]);
		EXPECT_EQ(0, w->bad) TH_LOG("%s went wrong", thread_names[i]);
		EXPECT_LT(0, w->ops);
		ops += w->ops;
		sigbus += w->sigbus;
		fails += w->fails;
	}
	printf("# STRESS-SUMMARY seconds=%.0f threads=%d ops=%ld failed=%ld",
	       secs, T_COUNT, ops, fails);
	printf(" sigbus=%ld cycles=%ld hot_unplugs=%ld rmmod_refused=%ld\n",
	       sigbus, s->cycles, s->unplugs, s->rmmod_refused);
	fflush(stdout);
	/* The provider really went away and came back (hot-unplug in rootports). */
	if (secs >= CYCLE_SECONDS + 1)
		EXPECT_LT(0, s->unplug ? s->unplugs : s->cycles);

	/* Everything released: the memory is whole, both modules unload. */
	EXPECT_EQ(0, p2px_write_file(ALLOW_PARAM, "\n"));
	EXPECT_EQ(0, p2px_write_file(P2PX_PARAMS "/host_bridge_deny", "\n"));
	EXPECT_EQ(0, p2px_write_file(P2PX_PARAMS "/trust_all_host_bridges", "N"));
	EXPECT_EQ(read_ull(s->shm, "p2pmem/size"),
		  read_ull(s->shm, "p2pmem/available"));
	EXPECT_EQ(0, p2px_unload("p2px_edu"));
	EXPECT_EQ(0, unbind_dev(s->shm));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", s->shm);
	EXPECT_EQ(0, p2px_write_file(path, "\n"));
	EXPECT_EQ(0, p2px_unload(P2PX_MODULE_NAME));
}

/* The harness's main() with test selection (p2px_harness.h). */
int main(int argc, char **argv)
{
	return p2px_harness_main(argc, argv);
}
