// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext fuzzer, run inside the test VM as root: a bounded stream of
 * random calls into every user interface of the module and of p2px_edu:
 *
 *   - ioctls on /dev/p2pdma_ext: the seven commands of
 *     include/uapi/linux/p2pdma_ext.h with random sizes, flags, device ids,
 *     counts and pointers (good ones, NULL, unmapped, kernel addresses,
 *     buffers running into a guard page), and random other command numbers;
 *   - the provider fds PROVIDER_OPEN makes: exports through them (device
 *     zero, their own, another), every other command and random numbers
 *     (ENOTTY), read, mmap, lseek, dup and close;
 *   - the exported dma-bufs: lseek, mmap, DMA_BUF_IOCTL_SYNC/SET_NAME, dup,
 *     close, import/map/unmap/detach by p2px_edu, revoke;
 *   - the writable module parameters (random allowlist syntax, booleans,
 *     numbers, garbage, long strings) and reads of every parameter;
 *   - p2pmem/allocate mmap with random lengths, offsets and flags, touches,
 *     partial munmaps, forks; reads of the p2pmem files;
 *   - debugfs p2pdma_ext/{pair,flush} writes and every file's read
 *     (dmabufs too),
 *     p2px_edu/registry (find, alloc).
 *
 * P2PX_FUZZ_PROCS fuzzers (default 2) run at once, each a process with a
 * random generator of its own, and share P2PX_FUZZ_CALLS calls (default
 * 20000; the debug kernel run asks 100000). The seed is random for every
 * run unless P2PX_FUZZ_SEED gives it; fuzzer N uses seed + N, and both
 * are printed: P2PX_FUZZ_SEED=S repeats each fuzzer's stream of calls
 * (P2PX_FUZZ_PROCS=1 P2PX_FUZZ_SEED=S+N P2PX_FUZZ_CALLS=its calls repeats
 * fuzzer N alone; which call of one meets which of the other is left to
 * the scheduler). With P2PX_FUZZ_UNPLUG=1 and the provider alone below a
 * root port, the test meanwhile hot-unplugs and replugs the provider
 * through the host, round after round until the fuzzers are done (the
 * fuzzers then leave provider_bars alone, so that the replugged device
 * binds). P2PX_FUZZ_MAX_SECONDS is a time limit (default 600) that fails
 * the test when hit. Every call must succeed or fail with an errno its
 * interface documents; afterwards every parameter is restored, every
 * dma-buf and mapping is gone, the P2P memory is whole again, and both
 * modules unload.
 * Without a DMA engine (P2PX_DMA_ENGINE) p2px_edu's files are left out.
 * Kernel reports (KASAN, lockdep, WARN...) fail the VM run on their own.
 */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/dma-buf.h>

#include "kselftest_harness.h"
#include "p2px_dmabuf.h"
#include "p2px_topo.h"

#define DEFAULT_CALLS	20000
#define DEFAULT_PROCS	2
#define MAX_PROCS	8
#define DEFAULT_SECONDS	600
#define BUF_SIZE	(2u << 20)	/* argument memory, then a guard page */
#define MAX_FDS		16
#define MAX_PFDS	4
#define MAX_MAPS	8
#define MAX_IDS		64
#define MAX_REPORTS	20
#define PAGE		4096UL
#define DBG		"/sys/kernel/debug/p2pdma_ext"

enum kind {
	K_INFO, K_PAIRS, K_MATRIX, K_EXPORT, K_REVOKE, K_IOC_OTHER,
	K_DMABUF_OP, K_EDU_DMABUF, K_PARAM_WRITE, K_PARAM_READ, K_P2PMEM_READ,
	K_ALLOC_MMAP, K_MUNMAP, K_FORK, K_DBG_WRITE, K_DBG_READ, K_REGISTRY,
	K_LIST, K_PROVIDER_OPEN, K_PROVIDER_FD, K_COUNT
};

static const char * const kind_names[K_COUNT] = {
	"ioctl-info", "ioctl-pairs", "ioctl-matrix", "ioctl-export",
	"ioctl-revoke", "ioctl-other", "dmabuf-op", "edu-dmabuf",
	"param-write", "param-read", "p2pmem-read", "allocate-mmap", "munmap",
	"fork", "debugfs-write", "debugfs-read", "edu-registry", "ioctl-list",
	"provider-open", "provider-fd",
};

/* Relative frequencies of the kinds, in the order of enum kind. */
static const unsigned int kind_weight[K_COUNT] = {
	4, 14, 10, 12, 5, 6, 8, 6, 6, 3, 3, 6, 4, 1, 6, 2, 4, 4, 4, 10,
};

/* Errnos each kind may fail with (0-terminated). */
static const int ok_ioctl[] = { EINVAL, E2BIG, ENODEV, EFAULT, ENOMEM, ENOSPC,
	ENOTTY, EBADF, EOVERFLOW, ERANGE, EMFILE, EBUSY, 0 };
/* Provider fds: ioctl only (read: EINVAL, mmap: ENODEV, lseek: ESPIPE). */
static const int ok_provider_fd[] = { EINVAL, E2BIG, ENODEV, EFAULT, ENOMEM,
	ENOTTY, EBADF, EOVERFLOW, ERANGE, EMFILE, EBUSY, ESPIPE, EACCES, 0 };
static const int ok_dmabuf_op[] = { EINVAL, ENODEV, EFAULT, ENOMEM, EBADF,
	ENOTTY, EBUSY, EPERM, EACCES, 0 };
static const int ok_edu[] = { EINVAL, EBADF, ENOENT, EBUSY, ENODEV,
	EOPNOTSUPP, ENOMEM, ERANGE, EFAULT, 0 };
static const int ok_param[] = { EINVAL, ERANGE, ENOMEM, EFAULT, 0 };
static const int ok_mmap[] = { EINVAL, ENOMEM, ENODEV, EOVERFLOW, 0 };
static const int ok_dbg[] = { EINVAL, ENODEV, ENOMEM, EFAULT, E2BIG, 0 };
static const int ok_registry[] = { EINVAL, ENODEV, ENOMEM, EBUSY, EEXIST,
	ENXIO, ERANGE, EFAULT, ENOSPC, 0 };

struct map {
	char *p;
	size_t len;
};

struct fuzz {
	unsigned long long rng;
	int ctl;
	char shm[64], shm_dir[300];
	__u64 ids[MAX_IDS];
	char bdfs[MAX_IDS][16];
	int nids, nreal;
	int fds[MAX_FDS], nfds;
	int pfds[MAX_PFDS], npfds;
	int unplug;	/* the provider comes and goes: provider_bars stays */
	struct map maps[MAX_MAPS];
	int nmaps;
	unsigned char *buf, *guard;
	long calls[K_COUNT], fails[K_COUNT], bad;
	double secs[K_COUNT];
	int edu;	/* p2px_edu drives a DMA engine: its kinds run */
};

static unsigned long long rnd64(struct fuzz *fz)
{
	/* xorshift64* */
	fz->rng ^= fz->rng >> 12;
	fz->rng ^= fz->rng << 25;
	fz->rng ^= fz->rng >> 27;
	return fz->rng * 0x2545f4914f6cdd1dULL;
}

static unsigned int rnd(struct fuzz *fz, unsigned int n)
{
	return n ? (unsigned int)((rnd64(fz) >> 32) % n) : 0;
}

static int chance(struct fuzz *fz, unsigned int one_in)
{
	return rnd(fz, one_in) == 0;
}

/* A number: boundary values most of the time, sometimes anything. */
static unsigned long long rnd_num(struct fuzz *fz, unsigned long long typical)
{
	static const unsigned long long edge[] = {
		0, 1, 2, 3, 7, 8, 255, 256, 257, 4095, 4096, 4097, 65536,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x7fffffffffffffffULL, ~0ULL, ~0ULL - 4095,
	};

	switch (rnd(fz, 4)) {
	case 0:
		return edge[rnd(fz, ARRAY_SIZE(edge))];
	case 1:
		return rnd64(fz);
	default:
		return typical ? rnd64(fz) % (typical + 1) : 0;
	}
}

static __u64 rnd_id(struct fuzz *fz)
{
	return fz->ids[rnd(fz, fz->nids)];
}

static const char *rnd_bdf(struct fuzz *fz)
{
	return fz->bdfs[rnd(fz, fz->nids)];
}

/*
 * A user pointer for @len bytes: mostly inside the argument buffer (now and
 * then ending right at the guard page, or straddling it), sometimes NULL,
 * unmapped, random or a kernel address.
 */
static void *rnd_ptr(struct fuzz *fz, size_t len)
{
	if (len > BUF_SIZE)
		len = BUF_SIZE;
	switch (rnd(fz, 20)) {
	case 0:
		return NULL;
	case 1:
		return fz->guard;
	case 2:
		return (void *)(uintptr_t)rnd64(fz);
	case 3:
		return (void *)0xffff888000000000ULL;
	case 4:
		return fz->guard - len / 2 - 1;
	case 5:
		return fz->guard - len;
	default:
		/* Argument structures go in the lowest quarter. */
		if (len < BUF_SIZE / 4)
			return fz->buf + rnd(fz, BUF_SIZE / 4 - len + 1);
		return fz->buf;
	}
}

static void fill_random(struct fuzz *fz, void *p, size_t len)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		c[i] = (unsigned char)rnd64(fz);
}

/* One call's outcome: @ret < 0 with errno, checked against @ok. */
static void outcome(struct __test_metadata *_metadata, struct fuzz *fz,
		    enum kind k, long ret, int err, const int *ok,
		    const char *what)
{
	int i;

	fz->calls[k]++;
	if (ret >= 0)
		return;
	fz->fails[k]++;
	for (i = 0; ok[i]; i++)
		if (ok[i] == err)
			return;
	if (fz->bad++ < MAX_REPORTS)
		TH_LOG("%s: %s: unexpected errno %d (%s)", kind_names[k], what,
		       err, strerror(err));
}

static void remember_fd(struct fuzz *fz, int fd)
{
	if (fz->nfds == MAX_FDS) {
		int i = rnd(fz, MAX_FDS);

		close(fz->fds[i]);
		fz->fds[i] = fd;
		return;
	}
	fz->fds[fz->nfds++] = fd;
}

/* A dma-buf of ours (often), another fd of this process, or garbage. */
static int rnd_fd(struct fuzz *fz)
{
	if (fz->nfds && !chance(fz, 4))
		return fz->fds[rnd(fz, fz->nfds)];
	if (fz->npfds && chance(fz, 3))
		return fz->pfds[rnd(fz, fz->npfds)];
	switch (rnd(fz, 4)) {
	case 0:
		return fz->ctl;
	case 1:
		return -1;
	case 2:
		return (int)rnd(fz, 1024);
	default:
		return (int)rnd64(fz);
	}
}

/* argsz: the right size mostly, else too small, larger or anything. */
static __u32 rnd_argsz(struct fuzz *fz, size_t size)
{
	switch (rnd(fz, 8)) {
	case 0:
		return (__u32)size - 1 - rnd(fz, (unsigned int)size);
	case 1:
		return (__u32)size + 8 * (1 + rnd(fz, 64));
	case 2:
		return (__u32)rnd64(fz);
	default:
		return (__u32)size;
	}
}

static void do_info(struct __test_metadata *_metadata, struct fuzz *fz)
{
	struct p2pdma_ext_info *info;
	long ret;

	info = rnd_ptr(fz, sizeof(*info));
	if ((unsigned char *)info >= fz->buf && (unsigned char *)info +
	    sizeof(*info) <= fz->guard) {
		fill_random(fz, info, sizeof(*info));
		info->argsz = rnd_argsz(fz, sizeof(*info));
	}
	ret = ioctl(fz->ctl, P2PDMA_EXT_IOC_INFO, info);
	outcome(_metadata, fz, K_INFO, ret, errno, ok_ioctl, "INFO");
	if (!ret && (info->abi_version != P2PDMA_EXT_ABI_VERSION ||
		     (info->backend != P2PDMA_EXT_BACKEND_EXT &&
		      info->backend != P2PDMA_EXT_BACKEND_NATIVE) ||
		     info->reserved)) {
		if (fz->bad++ < MAX_REPORTS)
			TH_LOG("INFO: abi %u backend %u reserved %u",
			       info->abi_version, info->backend, info->reserved);
	}
}

static int in_buf(struct fuzz *fz, const void *p, size_t len)
{
	const unsigned char *c = p;

	return c >= fz->buf && len <= BUF_SIZE &&
	       c + len <= fz->buf + BUF_SIZE;
}

static void do_pairs(struct __test_metadata *_metadata, struct fuzz *fz)
{
	struct p2pdma_ext_topo_pairs *a = rnd_ptr(fz, sizeof(*a));
	unsigned int n, stride, i;
	unsigned char *pairs;
	long ret;

	if (in_buf(fz, a, sizeof(*a))) {
		n = chance(fz, 8) ? (unsigned int)rnd_num(fz, 300) :
				    1 + rnd(fz, 8);
		stride = chance(fz, 6) ? (unsigned int)rnd_num(fz, 4200) :
					 sizeof(struct p2pdma_ext_topo_pair);
		memset(a, 0, sizeof(*a));
		a->argsz = rnd_argsz(fz, sizeof(*a));
		a->flags = chance(fz, 8) ? (__u32)rnd64(fz) :
					   rnd(fz, 2) * P2PDMA_EXT_TOPO_Q_CACHED;
		a->provider = chance(fz, 10) ? rnd64(fz) : rnd_id(fz);
		a->num_clients = n;
		a->pair_size = stride;
		a->text_size = chance(fz, 3) ? 0 :
			       chance(fz, 6) ? (__u32)rnd_num(fz, 5000) :
					       1 + rnd(fz, 1024);
		a->reserved = chance(fz, 20);
		/* The pairs live in the upper half of the buffer. */
		pairs = fz->buf + BUF_SIZE / 2;
		if ((unsigned long long)n * stride <= BUF_SIZE / 4 &&
		    stride >= sizeof(struct p2pdma_ext_topo_pair)) {
			for (i = 0; i < n; i++) {
				struct p2pdma_ext_topo_pair *p =
					(void *)(pairs + (size_t)i * stride);

				memset(p, 0, sizeof(*p));
				p->client = chance(fz, 10) ? rnd64(fz) :
							     rnd_id(fz);
				p->reserved = chance(fz, 30);
			}
			a->pairs = chance(fz, 10) ?
				   (uintptr_t)rnd_ptr(fz, (size_t)n * stride) :
				   (uintptr_t)pairs;
		} else {
			a->pairs = (uintptr_t)rnd_ptr(fz, PAGE);
		}
		/* Texts in the quarter above the pairs, or anywhere. */
		a->text = chance(fz, 6) ?
			  (uintptr_t)rnd_ptr(fz, (size_t)n * a->text_size) :
			  (uintptr_t)(fz->buf + BUF_SIZE / 4);
	}
	ret = ioctl(fz->ctl, P2PDMA_EXT_IOC_TOPO_PAIRS, a);
	outcome(_metadata, fz, K_PAIRS, ret, errno, ok_ioctl, "TOPO_PAIRS");
}

static void do_matrix(struct __test_metadata *_metadata, struct fuzz *fz)
{
	struct p2pdma_ext_topo_matrix *m = rnd_ptr(fz, sizeof(*m));
	__u64 *devs = (void *)(fz->buf + BUF_SIZE / 2);
	unsigned int n, i;
	long ret;

	if (in_buf(fz, m, sizeof(*m))) {
		n = chance(fz, 6) ? (unsigned int)rnd_num(fz, 300) :
				    1 + rnd(fz, 12);
		memset(m, 0, sizeof(*m));
		m->argsz = rnd_argsz(fz, sizeof(*m));
		m->flags = chance(fz, 8) ? (__u32)rnd64(fz) : rnd(fz, 4);
		m->num_devices = n;
		m->reserved = chance(fz, 20);
		for (i = 0; i < n && i < 300; i++)
			devs[i] = chance(fz, 10) ? rnd64(fz) : rnd_id(fz);
		m->devices = chance(fz, 8) ? (uintptr_t)rnd_ptr(fz, n * 8ULL) :
					     (uintptr_t)devs;
		m->cells = chance(fz, 8) ?
			   (uintptr_t)rnd_ptr(fz, (size_t)n * n * 8) :
			   (uintptr_t)(fz->buf + BUF_SIZE / 4);
	}
	ret = ioctl(fz->ctl, P2PDMA_EXT_IOC_TOPO_MATRIX, m);
	outcome(_metadata, fz, K_MATRIX, ret, errno, ok_ioctl, "TOPO_MATRIX");
	if (!ret && in_buf(fz, m, sizeof(*m)) &&
	    m->num_devices > P2PDMA_EXT_TOPO_MAX_DEVICES && fz->bad++ < MAX_REPORTS)
		TH_LOG("TOPO_MATRIX: %u devices", m->num_devices);
}

/*
 * DMABUF_EXPORT on @fd: the control device (@pfd 0; mostly the provider's
 * id) or a provider fd (@pfd 1; mostly zero, else its own id or another).
 */
static void export_on(struct __test_metadata *_metadata, struct fuzz *fz,
		      int fd, int pfd, enum kind kind)
{
	struct p2pdma_ext_dmabuf_export *e = rnd_ptr(fz, sizeof(*e));
	struct p2pdma_ext_dmabuf_range *r = (void *)(fz->buf + BUF_SIZE / 2);
	unsigned long long total = 0, bar_len = 64ULL << 20;
	unsigned int n = 0, i;
	int sane = 0;
	long ret;

	if (in_buf(fz, e, sizeof(*e))) {
		n = chance(fz, 8) ? (unsigned int)rnd_num(fz, 300) :
				    1 + rnd(fz, 4);
		memset(e, 0, sizeof(*e));
		e->argsz = rnd_argsz(fz, sizeof(*e));
		e->flags = chance(fz, 20) ? (__u32)rnd64(fz) : 0;
		if (pfd)
			e->device = chance(fz, 2) ? 0 : chance(fz, 2) ?
				    p2px_devid(fz->shm) : rnd_id(fz);
		else
			e->device = chance(fz, 3) ? rnd_id(fz) :
						    p2px_devid(fz->shm);
		e->bar = chance(fz, 4) ? (__u32)rnd_num(fz, 8) : 2;
		e->nr_ranges = n;
		e->open_flags = chance(fz, 10) ? (__u32)rnd64(fz) :
				rnd(fz, 2) ? O_CLOEXEC : 0;
		e->fd = (int)rnd64(fz);
		sane = !e->flags && e->bar == 2 && n &&
		       n <= P2PDMA_EXT_DMABUF_MAX_RANGES;
		for (i = 0; i < n && i < 300; i++) {
			if (chance(fz, 12)) {
				r[i].offset = rnd_num(fz, bar_len);
				r[i].length = rnd_num(fz, bar_len);
			} else {
				r[i].offset = rnd(fz, 16384) * PAGE;
				r[i].length = (1 + rnd(fz, 64)) * PAGE;
			}
			if (r[i].offset + r[i].length > bar_len ||
			    r[i].offset % PAGE || r[i].length % PAGE ||
			    !r[i].length)
				sane = 0;
			total += r[i].length;
		}
		e->ranges = chance(fz, 10) ? (uintptr_t)rnd_ptr(fz, n * 16ULL) :
					     (uintptr_t)r;
	}
	ret = ioctl(fd, P2PDMA_EXT_IOC_DMABUF_EXPORT, e);
	outcome(_metadata, fz, kind, ret, errno,
		pfd ? ok_provider_fd : ok_ioctl, "DMABUF_EXPORT");
	if (ret)
		return;
	if (!in_buf(fz, e, sizeof(*e)) || e->fd < 0) {
		if (fz->bad++ < MAX_REPORTS)
			TH_LOG("DMABUF_EXPORT succeeded with a bad argument");
		return;
	}
	if (sane && e->ranges == (uintptr_t)r &&
	    lseek(e->fd, 0, SEEK_END) != (off_t)total && fz->bad++ < MAX_REPORTS)
		TH_LOG("DMABUF_EXPORT: size %lld, ranges add up to %llu",
		       (long long)lseek(e->fd, 0, SEEK_END), total);
	remember_fd(fz, e->fd);
}

static void do_export(struct __test_metadata *_metadata, struct fuzz *fz)
{
	export_on(_metadata, fz, fz->ctl, 0, K_EXPORT);
}

/* PROVIDER_OPEN: mostly for the provider, else any id; keeps the fd. */
static void do_provider_open(struct __test_metadata *_metadata,
			     struct fuzz *fz)
{
	struct p2pdma_ext_provider_open *o = rnd_ptr(fz, sizeof(*o));
	long ret;
	int i;

	if (in_buf(fz, o, sizeof(*o))) {
		memset(o, 0, sizeof(*o));
		o->argsz = rnd_argsz(fz, sizeof(*o));
		o->flags = chance(fz, 20) ? (__u32)rnd64(fz) : 0;
		o->device = chance(fz, 3) ? rnd_id(fz) : p2px_devid(fz->shm);
		o->open_flags = chance(fz, 10) ? (__u32)rnd64(fz) :
				rnd(fz, 2) ? O_CLOEXEC : 0;
		o->fd = (int)rnd64(fz);
		o->reserved = chance(fz, 20) ? rnd64(fz) : 0;
	}
	ret = ioctl(fz->ctl, P2PDMA_EXT_IOC_PROVIDER_OPEN, o);
	outcome(_metadata, fz, K_PROVIDER_OPEN, ret, errno, ok_ioctl,
		"PROVIDER_OPEN");
	if (ret)
		return;
	if (!in_buf(fz, o, sizeof(*o)) || o->fd < 0) {
		if (fz->bad++ < MAX_REPORTS)
			TH_LOG("PROVIDER_OPEN succeeded with a bad argument");
		return;
	}
	if (fz->npfds == MAX_PFDS) {
		i = rnd(fz, MAX_PFDS);
		close(fz->pfds[i]);
		fz->pfds[i] = o->fd;
		return;
	}
	fz->pfds[fz->npfds++] = o->fd;
}

/*
 * A provider fd: exports through it mostly; every other command of the
 * control device and random numbers (ENOTTY); the file operations it
 * lacks; dup and close.
 */
static void do_provider_fd(struct __test_metadata *_metadata, struct fuzz *fz)
{
	static const unsigned long cmds[] = {
		P2PDMA_EXT_IOC_INFO, P2PDMA_EXT_IOC_TOPO_PAIRS,
		P2PDMA_EXT_IOC_TOPO_MATRIX, P2PDMA_EXT_IOC_DMABUF_REVOKE,
		P2PDMA_EXT_IOC_DMABUF_LIST, P2PDMA_EXT_IOC_PROVIDER_OPEN,
	};
	char c[16];
	long ret = 0;
	int i, fd;
	void *p;

	if (!fz->npfds) {
		do_provider_open(_metadata, fz);
		return;
	}
	i = rnd(fz, fz->npfds);
	fd = fz->pfds[i];
	errno = 0;
	switch (rnd(fz, 10)) {
	case 0:
		fill_random(fz, fz->buf, 64);
		ret = ioctl(fd, chance(fz, 2) ? cmds[rnd(fz, ARRAY_SIZE(cmds))] :
			    _IOC(rnd(fz, 4), chance(fz, 4) ? rnd(fz, 256) :
				 P2PDMA_EXT_IOC_MAGIC, rnd(fz, 0x20),
				 rnd(fz, 0x4000)), rnd_ptr(fz, 64));
		break;
	case 1:
		ret = chance(fz, 2) ? read(fd, c, sizeof(c)) :
				      lseek(fd, (off_t)rnd(fz, 4096), SEEK_SET);
		break;
	case 2:
		p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
		ret = p == MAP_FAILED ? -1 : 0;
		if (!ret)
			munmap(p, PAGE);
		break;
	case 3:
		ret = dup(fd);
		if (ret >= 0) {
			close(fd);
			fz->pfds[i] = (int)ret;
		}
		break;
	case 4:
		close(fd);
		fz->pfds[i] = fz->pfds[--fz->npfds];
		break;
	default:
		export_on(_metadata, fz, fd, 1, K_PROVIDER_FD);
		return;
	}
	outcome(_metadata, fz, K_PROVIDER_FD, ret, errno, ok_provider_fd,
		"provider fd");
}

static void do_revoke(struct __test_metadata *_metadata, struct fuzz *fz)
{
	struct p2pdma_ext_dmabuf_revoke *r = rnd_ptr(fz, sizeof(*r));
	long ret;

	if (in_buf(fz, r, sizeof(*r))) {
		r->argsz = rnd_argsz(fz, sizeof(*r));
		r->flags = chance(fz, 10) ? (__u32)rnd64(fz) : 0;
		r->reserved = chance(fz, 10) ? (__u32)rnd64(fz) : 0;
		r->fd = rnd_fd(fz);
	}
	ret = ioctl(fz->ctl, P2PDMA_EXT_IOC_DMABUF_REVOKE, r);
	outcome(_metadata, fz, K_REVOKE, ret, errno, ok_ioctl, "DMABUF_REVOKE");
}

/* DMABUF_LIST: random sizes, strides, counts, flags and pointers. */
static void do_list(struct __test_metadata *_metadata, struct fuzz *fz)
{
	struct p2pdma_ext_dmabuf_list *l = rnd_ptr(fz, sizeof(*l));
	size_t stride;
	long ret;

	if (in_buf(fz, l, sizeof(*l))) {
		memset(l, 0, sizeof(*l));
		l->argsz = rnd_argsz(fz, sizeof(*l));
		l->flags = chance(fz, 10) ? (__u32)rnd64(fz) : 0;
		l->reserved = chance(fz, 20);
		stride = chance(fz, 6) ? (size_t)rnd_num(fz, 5000) :
					 sizeof(struct p2pdma_ext_dmabuf_info);
		l->entry_size = (__u32)stride;
		l->count = chance(fz, 8) ? (__u32)rnd_num(fz, 2000) :
					   rnd(fz, MAX_FDS + 2);
		/* The entries live in the upper half of the buffer. */
		l->entries = chance(fz, 10) ?
			     (uintptr_t)rnd_ptr(fz, (size_t)l->count * stride) :
			     (uintptr_t)(fz->buf + BUF_SIZE / 2);
	}
	ret = ioctl(fz->ctl, P2PDMA_EXT_IOC_DMABUF_LIST, l);
	outcome(_metadata, fz, K_LIST, ret, errno, ok_ioctl, "DMABUF_LIST");
	if (!ret && (!in_buf(fz, l, sizeof(*l)) || l->count > l->total) &&
	    fz->bad++ < MAX_REPORTS)
		TH_LOG("DMABUF_LIST succeeded with a bad argument or filled more than there are");
}

/* Any command: our magic with other numbers, sizes, directions; others. */
static void do_ioc_other(struct __test_metadata *_metadata, struct fuzz *fz)
{
	unsigned int dir = rnd(fz, 4), nr = rnd(fz, 0x20),
		     size = rnd(fz, 0x4000), type;
	unsigned long cmd;
	long ret;

	type = chance(fz, 4) ? rnd(fz, 256) : P2PDMA_EXT_IOC_MAGIC;
	cmd = chance(fz, 10) ? (unsigned int)rnd64(fz) :
			       _IOC(dir, type, nr, size);
	fill_random(fz, fz->buf, 64);
	ret = ioctl(fz->ctl, cmd, rnd_ptr(fz, size));
	outcome(_metadata, fz, K_IOC_OTHER, ret, errno, ok_ioctl, "ioctl");
}

/* The dma-buf core's file operations on an exported buffer. */
static void do_dmabuf_op(struct __test_metadata *_metadata, struct fuzz *fz)
{
	struct dma_buf_sync sync;
	struct pollfd pfd;
	int fd, i;
	long ret = 0;
	size_t len;
	void *p;

	if (!fz->nfds) {
		fz->calls[K_DMABUF_OP]++;
		return;
	}
	i = rnd(fz, fz->nfds);
	fd = fz->fds[i];
	errno = 0;
	switch (rnd(fz, 8)) {
	case 0:
		ret = lseek(fd, (off_t)rnd_num(fz, 1 << 20), rnd(fz, 5));
		break;
	case 1:
		len = PAGE * (1 + rnd(fz, 4));
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ret = p == MAP_FAILED ? -1 : 0;
		if (!ret)
			munmap(p, len);
		break;
	case 2:
		sync.flags = chance(fz, 4) ? rnd64(fz) :
			     (DMA_BUF_SYNC_START + rnd(fz, 2) * DMA_BUF_SYNC_END) |
			     (1 + rnd(fz, 3));
		ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
		break;
	case 3:
		ret = ioctl(fd, DMA_BUF_SET_NAME, chance(fz, 4) ?
			    rnd_ptr(fz, 32) : "p2px-fuzz");
		break;
	case 4:
		pfd.fd = fd;
		pfd.events = POLLIN | POLLOUT;
		ret = poll(&pfd, 1, 0);
		break;
	case 5:
		ret = dup(fd);
		if (ret >= 0) {
			close(fd);
			fz->fds[i] = (int)ret;
		}
		break;
	default:
		close(fd);
		fz->fds[i] = fz->fds[--fz->nfds];
		break;
	}
	outcome(_metadata, fz, K_DMABUF_OP, ret, errno, ok_dmabuf_op, "dma-buf op");
}

static void do_edu_dmabuf(struct __test_metadata *_metadata, struct fuzz *fz)
{
	static const char * const cmds[] = { "map", "unmap", "detach", "bogus",
					     "import x", "" };
	int ret;

	if (rnd(fz, 2))
		ret = p2px_edu_cmd(EDU_DMABUF, "import %d", rnd_fd(fz));
	else
		ret = p2px_write_file(EDU_DMABUF, cmds[rnd(fz, 6)]);
	outcome(_metadata, fz, K_EDU_DMABUF, ret, -ret, ok_edu, "p2px_edu/dmabuf");
}

/* Random text for parameters and debugfs: tokens of the syntax, garbage. */
static void rnd_text(struct fuzz *fz, char *out, size_t cap)
{
	static const char * const tok[] = {
		"8086:29c0", "1ae0:*", "8086:2030", ":same", ",", "*", ":", "y",
		"n", "Y", "N", "1", "0", "on", "off", " ", "\n", "0x", "-1",
		"ffff:ffff", "0000:0000", "10de:", ":same,", "8086:29c0:same",
	};
	size_t len = 0, want;

	want = chance(fz, 20) ? rnd(fz, (unsigned int)cap) : rnd(fz, 48);
	if (want >= cap)
		want = cap - 1;
	while (len < want) {
		const char *t;
		size_t tl;

		if (chance(fz, 6)) {
			out[len++] = (char)(1 + rnd(fz, 255));
			continue;
		}
		t = tok[rnd(fz, ARRAY_SIZE(tok))];
		tl = strlen(t);
		if (len + tl > want)
			break;
		memcpy(out + len, t, tl);
		len += tl;
	}
	out[len] = 0;
}

/* write(2) of @len bytes of @val (may be 0 or contain NULs). */
static long write_raw(const char *path, const void *val, size_t len)
{
	long n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = write(fd, val, len);
	close(fd);
	return n;
}

static const char * const params[] = {
	"host_bridge_allow", "host_bridge_deny", "trust_all_host_bridges",
	"provider_bars",
};

static void do_param_write(struct __test_metadata *_metadata, struct fuzz *fz)
{
	const char *name = params[rnd(fz, fz->unplug ? 3 : 4)];
	char path[200], val[5000];
	long ret;

	snprintf(path, sizeof(path), P2PX_PARAMS "/%s", name);
	if (!strcmp(name, "provider_bars") && !chance(fz, 3))
		snprintf(val, sizeof(val), "%llu", rnd_num(fz, 63));
	else
		rnd_text(fz, val, sizeof(val));
	errno = 0;
	ret = write_raw(path, val, chance(fz, 10) ? rnd(fz, 4) : strlen(val));
	outcome(_metadata, fz, K_PARAM_WRITE, ret, errno, ok_param, name);
}

static long read_all(const char *path)
{
	char buf[8192];
	long n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	return n < 0 ? -1 : total;
}

static void do_param_read(struct __test_metadata *_metadata, struct fuzz *fz)
{
	char path[200];
	long ret;

	snprintf(path, sizeof(path), P2PX_PARAMS "/%s", params[rnd(fz, 4)]);
	ret = read_all(path);
	outcome(_metadata, fz, K_PARAM_READ, ret, errno, ok_param, path);
}

static void do_p2pmem_read(struct __test_metadata *_metadata, struct fuzz *fz)
{
	static const char * const f[] = { "size", "available", "published" };
	char path[400];
	long ret;

	snprintf(path, sizeof(path), "%s/%s", fz->shm_dir, f[rnd(fz, 3)]);
	ret = read_all(path);
	/* The group comes and goes with the provider: ENOENT is fine. */
	if (ret < 0 && errno == ENOENT)
		ret = 0;
	outcome(_metadata, fz, K_P2PMEM_READ, ret, errno, ok_param, path);
}

/* A touch of a mapping that a hot-unplug may revoke first (SIGBUS). */
static sigjmp_buf touch_env;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(touch_env, 1);
}

static void do_alloc_mmap(struct __test_metadata *_metadata, struct fuzz *fz)
{
	static const size_t lens[] = { PAGE, 2 * PAGE, 16 * PAGE, 2 << 20 };
	char path[400];
	size_t len;
	off_t off = 0;
	int fd, flags = MAP_SHARED, i;
	long ret;
	char *p;

	snprintf(path, sizeof(path), "%s/allocate", fz->shm_dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		outcome(_metadata, fz, K_ALLOC_MMAP, 0, 0, ok_mmap, path);
		return;
	}
	len = chance(fz, 8) ? (size_t)rnd_num(fz, 80 << 20) : lens[rnd(fz, 4)];
	if (chance(fz, 8))
		flags = MAP_PRIVATE;
	if (chance(fz, 10))
		off = (off_t)(rnd_num(fz, 64) * PAGE);
	if (fz->nmaps == MAX_MAPS) {
		i = rnd(fz, MAX_MAPS);
		munmap(fz->maps[i].p, fz->maps[i].len);
		fz->maps[i] = fz->maps[--fz->nmaps];
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);
	ret = p == MAP_FAILED ? -1 : 0;
	outcome(_metadata, fz, K_ALLOC_MMAP, ret, errno, ok_mmap, "mmap allocate");
	close(fd);
	if (ret)
		return;
	fz->maps[fz->nmaps].p = p;
	fz->maps[fz->nmaps++].len = len;
	/* Touch a page: a fault, a PTE, uncached BAR memory. */
	signal(SIGBUS, on_sigbus);
	if (!sigsetjmp(touch_env, 1))
		p[(rnd64(fz) % len) & ~(PAGE - 1)] = (char)rnd64(fz);
	else if (!fz->unplug && fz->bad++ < MAX_REPORTS)
		/* Revoked: only when the provider went away. */
		TH_LOG("allocate: SIGBUS on a new mapping's first touch");
	signal(SIGBUS, SIG_DFL);
}

/* All of a mapping, or one page of it (which splits the VMA). */
static void do_munmap(struct __test_metadata *_metadata, struct fuzz *fz)
{
	struct map *m;
	size_t pages, at;
	int i;

	fz->calls[K_MUNMAP]++;
	if (!fz->nmaps)
		return;
	i = rnd(fz, fz->nmaps);
	m = &fz->maps[i];
	pages = m->len / PAGE;
	if (pages < 3 || rnd(fz, 2)) {
		munmap(m->p, m->len);
		fz->maps[i] = fz->maps[--fz->nmaps];
		return;
	}
	/* Unmap an inner page; keep the head, drop the tail too. */
	at = 1 + rnd(fz, (unsigned int)pages - 2);
	munmap(m->p + at * PAGE, m->len - at * PAGE);
	m->len = at * PAGE;
	(void)_metadata;
}

/* A child inherits the mappings, touches one and exits. */
static void do_fork(struct __test_metadata *_metadata, struct fuzz *fz)
{
	pid_t pid;
	int status;

	fz->calls[K_FORK]++;
	pid = fork();
	if (pid == 0) {
		if (fz->nmaps)
			fz->maps[0].p[0]++;
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	(void)_metadata;
}

static void do_dbg_write(struct __test_metadata *_metadata, struct fuzz *fz)
{
	char val[300];
	const char *file;
	char path[200];
	long ret;

	switch (rnd(fz, 3)) {
	case 0:
		file = "flush";
		rnd_text(fz, val, 16);
		break;
	default:
		file = "pair";
		if (chance(fz, 5))
			rnd_text(fz, val, sizeof(val));
		else
			snprintf(val, sizeof(val), "%s %s", rnd_bdf(fz),
				 rnd_bdf(fz));
		break;
	}
	snprintf(path, sizeof(path), DBG "/%s", file);
	errno = 0;
	ret = write_raw(path, val, strlen(val));
	outcome(_metadata, fz, K_DBG_WRITE, ret, errno, ok_dbg, file);
}

static void do_dbg_read(struct __test_metadata *_metadata, struct fuzz *fz)
{
	static const char * const f[] = {
		DBG "/topology", DBG "/pair", DBG "/stats",
		EDU_DMABUF, EDU_REGISTRY, DBG "/dmabufs",
	};
	const char *path = f[chance(fz, 8) ? 0 : 1 + rnd(fz, 5)];
	long ret;

	if (!fz->edu && (path == f[3] || path == f[4]))
		path = f[5];
	ret = read_all(path);

	outcome(_metadata, fz, K_DBG_READ, ret, errno, ok_dbg, path);
}

static void do_registry(struct __test_metadata *_metadata, struct fuzz *fz)
{
	char val[128];
	int ret;

	/* Registering and publishing are the provider's driver's calls. */
	switch (rnd(fz, 4)) {
	case 0:
		snprintf(val, sizeof(val), "find");
		break;
	case 1:
	case 2:
		snprintf(val, sizeof(val), "alloc %llu", rnd_num(fz, 1 << 22));
		break;
	default:
		rnd_text(fz, val, sizeof(val));
		break;
	}
	ret = p2px_write_file(EDU_REGISTRY, val);
	outcome(_metadata, fz, K_REGISTRY, ret, -ret, ok_registry, val);
}

static void (* const handlers[K_COUNT])(struct __test_metadata *,
					struct fuzz *) = {
	do_info, do_pairs, do_matrix, do_export, do_revoke, do_ioc_other,
	do_dmabuf_op, do_edu_dmabuf, do_param_write, do_param_read,
	do_p2pmem_read, do_alloc_mmap, do_munmap, do_fork, do_dbg_write,
	do_dbg_read, do_registry, do_list, do_provider_open, do_provider_fd,
};

/* Kind @k's weight: p2px_edu's files only with a DMA engine. */
static unsigned int weight(struct fuzz *fz, unsigned int k)
{
	if (!fz->edu && (k == K_EDU_DMABUF || k == K_REGISTRY))
		return 0;
	return kind_weight[k];
}

static enum kind rnd_kind(struct fuzz *fz)
{
	unsigned int total = 0, i, x;

	for (i = 0; i < K_COUNT; i++)
		total += weight(fz, i);
	x = rnd(fz, total);
	for (i = 0; i < K_COUNT; i++) {
		if (x < weight(fz, i))
			return i;
		x -= weight(fz, i);
	}
	return K_INFO;
}

/* Every PCI function's id and BDF, plus ids that name nothing. */
static void collect_ids(struct fuzz *fz)
{
	struct dirent *de;
	DIR *d = opendir(PCI_DEVICES);

	while (d && (de = readdir(d)) && fz->nids < MAX_IDS - 4) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(fz->bdfs[fz->nids], sizeof(fz->bdfs[0]), "%.15s",
			 de->d_name);
		fz->ids[fz->nids++] = p2px_devid(de->d_name);
	}
	if (d)
		closedir(d);
	fz->nreal = fz->nids;
	snprintf(fz->bdfs[fz->nids], 16, "0000:7f:1f.7");
	fz->ids[fz->nids++] = P2PDMA_EXT_DEVID(0, 0x7f, 0xff);
	snprintf(fz->bdfs[fz->nids], 16, "1234:00:00.0");
	fz->ids[fz->nids++] = P2PDMA_EXT_DEVID(0x1234, 0, 0);
	snprintf(fz->bdfs[fz->nids], 16, "zzzz:00:00.0");
	fz->ids[fz->nids++] = ~0ULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

/* Load both modules, bind the provider; 0 or -ENODEV (no such devices). */
static int fuzz_prepare(struct __test_metadata *_metadata, struct fuzz *fz)
{
	int ret;

	memset(fz, 0, sizeof(*fz));
	/* Without a DMA engine, the module's own interfaces only. */
	fz->edu = 1;
	ret = p2px_dmabuf_setup(fz->shm, sizeof(fz->shm), 1);
	if (ret == -ENODEV) {
		fz->edu = 0;
		ret = p2px_dmabuf_setup(fz->shm, sizeof(fz->shm), 0);
	}
	if (ret == -ENODEV)
		return ret;
	EXPECT_EQ(0, ret) TH_LOG("setup: %s", strerror(-ret));
	if (ret)
		return ret;
	snprintf(fz->shm_dir, sizeof(fz->shm_dir), PCI_DEVICES "/%s/p2pmem",
		 fz->shm);
	fz->ctl = p2px_ctl_open();
	EXPECT_LE(0, fz->ctl);
	fz->buf = mmap(NULL, BUF_SIZE + PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_NE(MAP_FAILED, fz->buf);
	if (fz->ctl < 0 || fz->buf == MAP_FAILED)
		return -EIO;
	fz->guard = fz->buf + BUF_SIZE;
	EXPECT_EQ(0, mprotect(fz->guard, PAGE, PROT_NONE));
	collect_ids(fz);
	return 0;
}

/* A fixture only for the harness's per-test timeout. */
FIXTURE(fuzzer) {
	struct fuzz fz;
};

FIXTURE_SETUP(fuzzer)
{
}

FIXTURE_TEARDOWN(fuzzer)
{
}

/* Close and unmap what one fuzzer holds. */
static void fuzz_drop(struct fuzz *fz)
{
	int i;

	for (i = 0; i < fz->nfds; i++)
		close(fz->fds[i]);
	fz->nfds = 0;
	for (i = 0; i < fz->npfds; i++)
		close(fz->pfds[i]);
	fz->npfds = 0;
	for (i = 0; i < fz->nmaps; i++)
		munmap(fz->maps[i].p, fz->maps[i].len);
	fz->nmaps = 0;
}

/* Undo what the calls may have changed; every reference must be gone. */
static void fuzz_cleanup(struct __test_metadata *_metadata, struct fuzz *fz)
{
	unsigned long long size, avail;
	char path[400];

	fuzz_drop(fz);
	if (fz->edu)
		p2px_write_file(EDU_DMABUF, "detach");
	EXPECT_EQ(0, p2px_write_file(ALLOW_PARAM, "\n"));
	EXPECT_EQ(0, p2px_write_file(P2PX_PARAMS "/host_bridge_deny", "\n"));
	EXPECT_EQ(0, p2px_write_file(P2PX_PARAMS "/trust_all_host_bridges", "N"));
	EXPECT_EQ(0, p2px_write_file(P2PX_PARAMS "/provider_bars", "0"));
	close(fz->ctl);
	size = read_ull(fz->shm, "p2pmem/size");
	avail = read_ull(fz->shm, "p2pmem/available");
	EXPECT_EQ(size, avail) TH_LOG("P2P memory not given back");
	if (fz->edu)
		EXPECT_EQ(0, p2px_unload("p2px_edu"));
	EXPECT_EQ(0, unbind_dev(fz->shm));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", fz->shm);
	EXPECT_EQ(0, p2px_write_file(path, "\n"));
	EXPECT_EQ(0, p2px_unload(P2PX_MODULE_NAME));
}

/* What one fuzzer process reports to the test through a pipe. */
struct tally {
	long calls[K_COUNT], fails[K_COUNT], bad;
	double secs[K_COUNT];
	unsigned long done;
	double wall;
};

/* A seed for this run: /dev/urandom, else the clock and the pid. */
static unsigned long random_seed(void)
{
	unsigned long seed = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &seed, sizeof(seed)) != sizeof(seed))
		seed = (unsigned long)(now() * 1e9) ^ (unsigned long)getpid();
	if (fd >= 0)
		close(fd);
	/* 32 bits: short to type back in. */
	return (seed & 0xffffffffUL) ? seed & 0xffffffffUL : 1;
}

/*
 * Fuzzer process @n: @calls calls from seed @seed (its own copy of the
 * state set up by fuzz_prepare()), its tally written to @out.
 */
static void fuzz_child(struct __test_metadata *_metadata, struct fuzz *fz,
		       unsigned long seed, unsigned long calls, double limit,
		       int out)
{
	struct tally t;
	unsigned long i;
	double t0, t1;
	int k;

	fz->rng = seed ? seed : 1;
	t0 = now();
	for (i = 0; i < calls; i++) {
		enum kind kind = rnd_kind(fz);

		t1 = now();
		if (t1 - t0 > limit)
			break;
		handlers[kind](_metadata, fz);
		fz->secs[kind] += now() - t1;
	}
	fuzz_drop(fz);
	memset(&t, 0, sizeof(t));
	for (k = 0; k < K_COUNT; k++) {
		t.calls[k] = fz->calls[k];
		t.fails[k] = fz->fails[k];
		t.secs[k] = fz->secs[k];
	}
	t.bad = fz->bad;
	t.done = i;
	t.wall = now() - t0;
	_exit(write(out, &t, sizeof(t)) == sizeof(t) ? 0 : 1);
}

/* Is a fuzzer still at work: has any of the @n @pipes no tally yet? */
static int fuzzing(const int *pipes, int n)
{
	struct pollfd pfd[MAX_PROCS];
	int i;

	for (i = 0; i < n; i++) {
		pfd[i].fd = pipes[i];
		pfd[i].events = POLLIN;
	}
	return poll(pfd, n, 0) < n;
}

/*
 * Hot-unplug the provider and plug it back (bound again), round after
 * round while a fuzzer writing to one of @pipes runs (the first round at
 * once).
 * Return: the rounds done; -1 after a failure (logged).
 */
static int unplug_loop(struct __test_metadata *_metadata, struct fuzz *fz,
		       const int *pipes, int procs)
{
	char name[64], req[128];
	int rounds = 0;

	ivshmem_name(name, sizeof(name));
	do {
		snprintf(req, sizeof(req), "UNPLUG %s", name);
		if (host_request(req) || p2px_wait_device(fz->shm, 0, 60)) {
			TH_LOG("round %d: %s: the device stays", rounds, req);
			return -1;
		}
		snprintf(req, sizeof(req), "REPLUG %s", name);
		if (host_request(req) || p2px_wait_device(fz->shm, 1, 60) ||
		    rebind_driver(fz->shm, PROVIDER_DRV)) {
			TH_LOG("round %d: %s: not back and bound", rounds, req);
			return -1;
		}
		rounds++;
	} while (fuzzing(pipes, procs));
	return rounds;
}

TEST_F_TIMEOUT(fuzzer, interfaces, 1200)
{
	unsigned long calls = env_ul("P2PX_FUZZ_CALLS", DEFAULT_CALLS);
	unsigned long seed = env_ul("P2PX_FUZZ_SEED", 0);
	unsigned long procs = env_ul("P2PX_FUZZ_PROCS", DEFAULT_PROCS);
	double limit = env_ul("P2PX_FUZZ_MAX_SECONDS", DEFAULT_SECONDS);
	int unplug = env_ul("P2PX_FUZZ_UNPLUG", 0) != 0, rounds = 0;
	struct fuzz *fz = &self->fz;
	pid_t pids[MAX_PROCS];
	int pipes[MAX_PROCS], p[2], k, ret, status;
	struct tally t, sum;
	unsigned long n;
	double secs = 0;

	ret = fuzz_prepare(_metadata, fz);
	if (ret == -ENODEV)
		SKIP(return, "needs a provider (P2PX_PROVIDER)");
	ASSERT_EQ(0, ret);
	if (!seed)
		seed = random_seed();
	if (procs < 1 || procs > MAX_PROCS)
		procs = DEFAULT_PROCS;
	if (unplug && !p2px_alone_below_root_port(fz->shm)) {
		printf("# fuzz: no hot-unplug loop: the provider is not alone below a root port\n");
		unplug = 0;
	}
	fz->unplug = unplug;
	printf("# fuzz: seed %#lx (P2PX_FUZZ_SEED=%#lx repeats it)\n", seed,
	       seed);
	printf("# fuzz: %lu calls in %lu fuzzers (seeds %#lx..%#lx)\n", calls,
	       procs, seed, seed + procs - 1);
	printf("# fuzz: %d PCI functions, provider %s%s%s\n", fz->nreal,
	       fz->shm, unplug ? ", hot-unplugged in a loop" : "",
	       fz->edu ? "" : ", no DMA engine: p2px_edu's files left out");
	fflush(stdout);

	for (n = 0; n < procs; n++) {
		ASSERT_EQ(0, pipe(p));
		pids[n] = fork();
		ASSERT_LE(0, pids[n]);
		if (!pids[n]) {
			close(p[0]);
			fuzz_child(_metadata, fz, seed + n,
				   calls / procs + (n < calls % procs), limit,
				   p[1]);
		}
		close(p[1]);
		pipes[n] = p[0];
	}
	if (unplug)
		rounds = unplug_loop(_metadata, fz, pipes, procs);
	memset(&sum, 0, sizeof(sum));
	for (n = 0; n < procs; n++) {
		memset(&t, 0, sizeof(t));
		if (read(pipes[n], &t, sizeof(t)) != sizeof(t)) {
			t.bad = 1;
			TH_LOG("fuzzer %lu: no tally (it died?)", n);
		}
		close(pipes[n]);
		EXPECT_EQ(pids[n], waitpid(pids[n], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("fuzzer %lu: status %#x", n, status);
		printf("# fuzz: fuzzer %lu: seed %#lx, %lu calls in %.1f s\n", n,
		       seed + n, t.done, t.wall);
		for (k = 0; k < K_COUNT; k++) {
			sum.calls[k] += t.calls[k];
			sum.fails[k] += t.fails[k];
			sum.secs[k] += t.secs[k];
		}
		sum.bad += t.bad;
		sum.done += t.done;
		if (t.wall > secs)
			secs = t.wall;
	}
	fz->rng = 0;
	fuzz_cleanup(_metadata, fz);

	printf("# fuzz: %lu calls in %.1f s (%.0f calls/s), seed %#lx\n",
	       sum.done, secs, secs > 0 ? sum.done / secs : 0.0, seed);
	printf("# fuzz: %lu fuzzers, %d hot-unplugs\n", procs,
	       rounds > 0 ? rounds : 0);
	for (k = 0; k < K_COUNT; k++)
		printf("# fuzz:   %-19s %7ld calls %7ld failed %6.1f s\n",
		       kind_names[k], sum.calls[k], sum.fails[k], sum.secs[k]);
	printf("# FUZZ-SUMMARY calls=%lu seed=%#lx seconds=%.0f unexpected=%ld",
	       sum.done, seed, secs, sum.bad);
	printf(" fuzzers=%lu unplugs=%d\n", procs, rounds > 0 ? rounds : 0);
	fflush(stdout);
	EXPECT_LE(0, rounds) TH_LOG("the hot-unplug loop failed");
	EXPECT_EQ(calls, sum.done) TH_LOG("time limit of %.0f s reached", limit);
	EXPECT_EQ(0, sum.bad) TH_LOG("calls failed with undocumented errnos");
}

TEST_HARNESS_MAIN
