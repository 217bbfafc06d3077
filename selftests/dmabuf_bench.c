// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_bench: the dma-buf rows of "make bench" (tools/bench.sh), run in
 * the `iommu` topology on a kernel with vfio-pci dma-buf export (Debian
 * 7.2; vfio needs an IOMMU group there). Our export of the ivshmem's BAR 2
 * (bound to p2pdma_ext_provider) against vfio-pci's
 * VFIO_DEVICE_FEATURE_DMA_BUF of the same BAR (bound to vfio-pci), for 1
 * and 64 ranges of one page each (64 KiB apart):
 *
 *   dmabuf-export-N   export + close, timed here (CLOCK_MONOTONIC), so
 *                     both sides include one ioctl and one close; ours
 *                     on a provider fd (P2PDMA_EXT_IOC_PROVIDER_OPEN),
 *                     vfio-pci on its device fd, both opened untimed
 *   dmabuf-export-ctl-N  ours only: the same through the control device,
 *                     which looks the device up by id at every export
 *   dmabuf-cycle-N    attach + map + unmap + detach by edu, timed in the
 *                     kernel by p2px_bench's "dmabuf" command
 *
 * edu's IOMMU group is put in an identity domain first, where edu's DMA
 * through the bus addresses both exporters hand out works in QEMU too
 * (see vfio_dmabuf_test).
 * Prints "# BENCH ROW IMPL MEDIAN P10 P90 N" lines; vfio-pci is the
 * "native" implementation. Exits 0 when every measurement was made, 4
 * when the kernel has no vfio dma-buf (nothing measured), 1 otherwise.
 */
#include <time.h>

#include "kselftest_harness.h"
#include "p2px_dmabuf.h"
#include "p2px_vfio.h"

#define BENCH_RUN	"/sys/kernel/debug/p2px_bench/run"
#define BENCH_SAMPLES	101
#define CYCLE_SAMPLES	"51"
#define RANGE_STRIDE	(64ULL << 10)
#define MAX_RANGES	64

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * One export by @impl ("ours" on a provider fd or the control device, of
 * device id @dev, parsed once before; "vfio" on its device fd): the fd or
 * -errno.
 */
static int export_one(const char *impl, int handle, __u64 dev,
		      const struct p2pdma_ext_dmabuf_range *r, unsigned int n)
{
	if (!strcmp(impl, "ours")) {
		struct p2pdma_ext_dmabuf_export arg = {
			.argsz = sizeof(arg), .device = dev,
			.bar = 2, .nr_ranges = n, .open_flags = O_CLOEXEC,
			.ranges = (uintptr_t)r, .fd = -1,
		};

		return ioctl(handle, P2PDMA_EXT_IOC_DMABUF_EXPORT, &arg) ?
		       -errno : arg.fd;
	}
	return vfio_export(handle, 2, 0, O_RDWR | O_CLOEXEC, r, n);
}

/* dmabuf-export@row-N: median and spread of export + close. */
static int time_export(const char *impl, const char *name, const char *row,
		       int handle, __u64 dev,
		       const struct p2pdma_ext_dmabuf_range *r, unsigned int n)
{
	long long t[BENCH_SAMPLES], t0;
	unsigned int i;
	int fd;

	for (i = 0; i < BENCH_SAMPLES; i++) {
		t0 = now_ns();
		fd = export_one(impl, handle, dev, r, n);
		if (fd < 0) {
			fprintf(stderr, "# %s export: %s\n", impl, strerror(-fd));
			return -1;
		}
		close(fd);
		t[i] = now_ns() - t0;
	}
	qsort(t, BENCH_SAMPLES, sizeof(t[0]), cmp_ll);
	printf("# BENCH dmabuf-export%s-%u %s %lld %lld %lld %d\n", row, n, name,
	       t[BENCH_SAMPLES / 2], t[BENCH_SAMPLES / 10],
	       t[BENCH_SAMPLES - 1 - BENCH_SAMPLES / 10], BENCH_SAMPLES);
	return 0;
}

/* dmabuf-cycle-N: p2px_bench times attach + map + unmap + detach. */
static int time_cycle(const char *impl, const char *name, int handle,
		      const char *bdf, const char *edu,
		      const struct p2pdma_ext_dmabuf_range *r, unsigned int n)
{
	char cmd[160], out[4096];
	int fd = export_one(impl, handle, p2px_devid(bdf), r, n), ret;

	if (fd < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "dmabuf %d " CYCLE_SAMPLES
		 " dmabuf-cycle-%u %s %s", fd, n, name, edu);
	ret = p2px_write_file(BENCH_RUN, cmd);
	close(fd);
	if (ret || p2px_read_file(BENCH_RUN, out, sizeof(out))) {
		fprintf(stderr, "# %s: %s: %s\n", impl, cmd, strerror(-ret));
		return -1;
	}
	printf("# BENCH %s\n", out);
	return 0;
}

/* @ctl: also time ours through the control device (dmabuf-export-ctl-N). */
static int run(const char *impl, const char *name, int handle, int ctl,
	       const char *bdf, const char *edu)
{
	struct p2pdma_ext_dmabuf_range r[MAX_RANGES];
	__u64 dev = p2px_devid(bdf);
	unsigned int i, n;
	int bad = 0;

	for (i = 0; i < MAX_RANGES; i++) {
		r[i].offset = i * RANGE_STRIDE;
		r[i].length = 4096;
	}
	for (n = 1; n <= MAX_RANGES; n *= MAX_RANGES) {
		bad |= time_export(impl, name, "", handle, dev, r, n);
		if (ctl >= 0)
			bad |= time_export(impl, name, "-ctl", ctl, dev, r, n);
		bad |= time_cycle(impl, name, handle, bdf, edu, r, n);
	}
	return bad;
}

/* Put @edu's IOMMU group into an identity domain (edu has no driver). */
static int edu_identity(const char *edu)
{
	char path[300];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group/type", edu);
	return p2px_write_file(path, "identity");
}

int main(void)
{
	char shm[64], edu[64];
	struct vfio v;
	int ctl, prov, bad;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!p2px_provider_dev(shm, sizeof(shm)) ||
	    !p2px_dma_engine_dev(edu, sizeof(edu))) {
		fprintf(stderr, "# needs ivshmem and edu\n");
		return 1;
	}
	if (!p2px_path_exists("/sys/bus/pci/drivers/" VFIO_DRV) ||
	    iommu_group_of(shm) < 0) {
		fprintf(stderr, "# no vfio-pci with an IOMMU group here\n");
		return 4;
	}
	if (edu_identity(edu))
		fprintf(stderr, "# edu's IOMMU group stays translating\n");

	ctl = p2px_ctl_open();
	if (ctl < 0 || use_driver(shm, PROVIDER_DRV)) {
		fprintf(stderr, "# %s: cannot bind to %s\n", shm, PROVIDER_DRV);
		return 1;
	}
	prov = p2px_provider_open(ctl, p2px_devid(shm), O_CLOEXEC);
	if (prov < 0) {
		fprintf(stderr, "# %s: provider fd: %s\n", shm, strerror(-prov));
		return 1;
	}
	bad = run("ours", "ours", prov, ctl, shm, edu);
	close(prov);
	close(ctl);

	if (use_driver(shm, VFIO_DRV) || vfio_open(shm, &v)) {
		fprintf(stderr, "# %s: no vfio device fd\n", shm);
		return 1;
	}
	if (export_one("vfio", v.device, 0, NULL, 0) == -ENOTTY) {
		fprintf(stderr, "# no vfio dma-buf in this kernel\n");
		vfio_close(&v);
		return 4;
	}
	bad |= run("vfio", "native", v.device, -1, shm, edu);
	vfio_close(&v);
	return bad ? 1 : 0;
}
