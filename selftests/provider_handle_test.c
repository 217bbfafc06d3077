// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext provider handle selftests, run inside the test VM as root.
 * The p2px_handle test driver is bound (driver_override) to a device; its
 * probe calls p2pdma_ext_provider_get() before and after
 * p2pdma_ext_provider_init() for every BAR and reports what it got. The
 * test compares that with the device's sysfs: a handle for every memory
 * BAR, owned by the device, whose bus offset is the BAR's bus address (its
 * config-space register) minus its CPU address (sysfs "resource"); none
 * for I/O BARs, unused BARs and BAR numbers out of range; none left over
 * from an earlier binding; on 7.2 the kernel's own handles.
 */
#include "kselftest_harness.h"
#include "p2px_pci.h"
#include "p2px_topo.h"

#define HANDLE_DRV	"p2px_handle"
#define HANDLE_REPORT	"/sys/kernel/debug/p2px_handle/report"
#define HANDLE_API	"/sys/kernel/debug/p2px_handle/api"
#define RES_IO		0x100ULL	/* IORESOURCE_IO */
#define RES_MEM		0x200ULL	/* IORESOURCE_MEM */
#define NBARS		6

/* What p2px_handle reported; bar[i] is BAR i - 1 (-1..6). */
struct report {
	char dev[64], kernel[16];
	int native, stale, init, again, same;
	struct {
		int handle;
		char owner[16];
		unsigned long long offset, map;
	} bar[NBARS + 2];
};

static int parse_report(char *text, struct report *r)
{
	char *line, *save = NULL;
	int lines = 0, b;

	memset(r, 0, sizeof(*r));
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), lines++) {
		if (sscanf(line, "dev %63s native %d", r->dev, &r->native) == 2 ||
		    sscanf(line, "stale %d", &r->stale) == 1 ||
		    sscanf(line, "init %d", &r->init) == 1 ||
		    sscanf(line, "again %d same %d", &r->again, &r->same) == 2 ||
		    sscanf(line, "kernel %15s", r->kernel) == 1)
			continue;
		if (sscanf(line, "bar %d", &b) != 1 || b < -1 || b > NBARS)
			return -1;
		if (strstr(line, " none"))
			continue;
		r->bar[b + 1].handle = 1;
		if (sscanf(line, "bar %*d owner %15s bus_offset %llx map %llx",
			   r->bar[b + 1].owner, &r->bar[b + 1].offset,
			   &r->bar[b + 1].map) != 3)
			return -1;
	}
	return lines;
}

/* Load what the test needs; free @bdf from any driver. */
static void setup(struct __test_metadata *_metadata, const char *bdf)
{
	ASSERT_EQ(0, load_test_driver(HANDLE_DRV))
		TH_LOG("%s: %s", p2px_driver_path(HANDLE_DRV), P2PX_DRIVER_HINT);
	ASSERT_EQ(0, release_dev(bdf));
}

/*
 * Bind p2px_handle to @bdf and check its report against sysfs. Returns
 * the number of memory BARs; @io gets the number of I/O BARs.
 */
static int bind_and_check(struct __test_metadata *_metadata, const char *bdf,
			  int *io)
{
	static const char *const kernel_api = "pcim_p2pdma_provider";
	unsigned long long start, end, flags, bus;
	char text[2048], drv[64], *log;
	int mark, bar, mem = 0, native;
	struct report r;

	*io = 0;
	mark = p2px_kmsg_mark();
	EXPECT_LE(0, mark);
	EXPECT_EQ(0, bind_driver(bdf, HANDLE_DRV));
	log = p2px_kmsg_collect(mark);
	bound_driver(bdf, drv, sizeof(drv));
	EXPECT_STREQ(HANDLE_DRV, drv);
	EXPECT_EQ(0, p2px_read_file(HANDLE_REPORT, text, sizeof(text)));
	EXPECT_LT(0, parse_report(text, &r)) TH_LOG("report:\n%s", text);
	EXPECT_STREQ(bdf, r.dev);
	EXPECT_EQ(0, r.init);
	EXPECT_EQ(0, r.again);
	EXPECT_EQ(1, r.same);
	/* Nothing survived from an earlier binding. */
	EXPECT_EQ(0, r.stale);

	for (bar = 0; bar < NBARS; bar++) {
		if (pci_resource(bdf, bar, &start, &end, &flags))
			flags = 0;
		*io += !!(flags & RES_IO);
		if (!(flags & RES_MEM)) {
			EXPECT_EQ(0, r.bar[bar + 1].handle) TH_LOG("BAR %d", bar);
			continue;
		}
		mem++;
		bus = bar_bus_address(bdf, bar);
		ASSERT_NE(~0ULL, bus);
		EXPECT_EQ(1, r.bar[bar + 1].handle) TH_LOG("BAR %d", bar);
		EXPECT_STREQ("self", r.bar[bar + 1].owner) TH_LOG("BAR %d", bar);
		EXPECT_EQ(bus - start, r.bar[bar + 1].offset) TH_LOG("BAR %d", bar);
		EXPECT_EQ(bus, r.bar[bar + 1].map) TH_LOG("BAR %d", bar);
	}
	EXPECT_EQ(0, r.bar[0].handle);
	EXPECT_EQ(0, r.bar[NBARS + 1].handle);

	/* The kernel has its own handles: its provider-lifecycle API. */
	ASSERT_EQ(0, p2px_kernel_symbols(&kernel_api, &native, 1));
	EXPECT_EQ(native, r.native);
	EXPECT_STREQ(native ? "same" : "none", r.kernel);

	ASSERT_NE(NULL, log);
	EXPECT_EQ(1, p2px_count_lines(log, "BAR -1 does not exist"))
		TH_LOG("kernel log:\n%s", log);
	EXPECT_EQ(1, p2px_count_lines(log, "BAR 6 does not exist"))
		TH_LOG("kernel log:\n%s", log);
	/* The lookups before init, one per memory BAR. */
	EXPECT_EQ(mem, p2px_count_lines(log, "no provider handles"))
		TH_LOG("kernel log:\n%s", log);
	free(log);
	return mem;
}

/* ivshmem: BAR0 (registers) and BAR2 (64 MiB) are memory BARs. */
TEST(memory_bar_handles)
{
	char bdf[64], drv[64];
	int io;

	if (!p2px_provider_dev(bdf, sizeof(bdf)))
		SKIP(return, "no provider (P2PX_PROVIDER)");
	setup(_metadata, bdf);
	/* The provider driver's add_resource gave the device handles too. */
	ASSERT_EQ(0, bind_provider(bdf));
	bound_driver(bdf, drv, sizeof(drv));
	ASSERT_STREQ(PROVIDER_DRV, drv);
	ASSERT_EQ(0, release_dev(bdf));

	EXPECT_EQ(2, bind_and_check(_metadata, bdf, &io));
	EXPECT_EQ(0, io);
	EXPECT_EQ(0, release_dev(bdf));
}

/* Unbinding frees the handles: every new binding starts without any. */
TEST(rebind_releases_handles)
{
	char bdf[64];
	int round, io;

	if (!p2px_provider_dev(bdf, sizeof(bdf)))
		SKIP(return, "no provider (P2PX_PROVIDER)");
	setup(_metadata, bdf);
	for (round = 0; round < 3; round++) {
		EXPECT_EQ(2, bind_and_check(_metadata, bdf, &io));
		EXPECT_EQ(0, unbind_dev(bdf));
	}
	EXPECT_EQ(0, release_dev(bdf));
}

/* The first driverless device with an I/O BAR (q35's AHCI or SMBus). */
static int find_io_dev(char *bdf, size_t len)
{
	unsigned long long start, end, flags;
	char drv[64];
	struct dirent *de;
	int found = 0, bar;
	DIR *d = opendir(PCI_DEVICES);

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    (read_ull(de->d_name, "class") >> 8) == 0x0604)
			continue;	/* bridges have their own driver */
		bound_driver(de->d_name, drv, sizeof(drv));
		if (drv[0])
			continue;
		for (bar = 0; !found && bar < NBARS; bar++)
			found = !pci_resource(de->d_name, bar, &start, &end,
					      &flags) && (flags & RES_IO);
		if (found)
			snprintf(bdf, len, "%.40s", de->d_name);
	}
	closedir(d);
	return found;
}

TEST(io_bar_has_no_handle)
{
	char bdf[64];
	int io;

	if (!find_io_dev(bdf, sizeof(bdf)))
		SKIP(return, "no PCI device with an I/O BAR and no driver");
	setup(_metadata, bdf);
	TH_LOG("device %s", bdf);
	bind_and_check(_metadata, bdf, &io);
	EXPECT_LE(1, io);
	EXPECT_EQ(0, release_dev(bdf));
}

/* The answer of the last p2px_handle API call ("" if none). */
static void api_answer(char *buf, size_t len)
{
	buf[0] = 0;
	if (p2px_read_file(HANDLE_API, buf, len))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

/*
 * A device whose driver only made provider handles has the kernel's P2PDMA
 * state on 7.2 but no pool: the registry API must not take it for a
 * provider (the kernel's pool functions would dereference the missing
 * pool). Every call answers cleanly, publishing is refused with one log
 * line, no p2pmem group appears; on every kernel.
 */
TEST(native_poolless)
{
	char bdf[64], path[300], answer[64], *log;
	int mark;

	if (!p2px_provider_dev(bdf, sizeof(bdf)))
		SKIP(return, "no provider (P2PX_PROVIDER)");
	setup(_metadata, bdf);
	ASSERT_EQ(0, bind_driver(bdf, HANDLE_DRV));
	mark = p2px_kmsg_mark();
	ASSERT_LE(0, mark);

	EXPECT_EQ(-ENOMEM, p2px_write_file(HANDLE_API, "alloc 4096"));
	EXPECT_EQ(-ENOMEM, p2px_write_file(HANDLE_API, "sgl 4096"));
	EXPECT_EQ(0, p2px_write_file(HANDLE_API, "bus"));
	api_answer(answer, sizeof(answer));
	EXPECT_STREQ("bus 0", answer);
	EXPECT_EQ(0, p2px_write_file(HANDLE_API, "free"));
	EXPECT_EQ(0, p2px_write_file(HANDLE_API, "publish 1"));
	EXPECT_EQ(0, p2px_write_file(HANDLE_API, "has"));
	api_answer(answer, sizeof(answer));
	EXPECT_STREQ("has 0", answer);
	EXPECT_EQ(0, p2px_write_file(HANDLE_API, "find"));
	api_answer(answer, sizeof(answer));
	EXPECT_STREQ("find none", answer);
	/* Still nothing to hand out after the refused publish. */
	EXPECT_EQ(-ENOMEM, p2px_write_file(HANDLE_API, "alloc 4096"));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/p2pmem", bdf);
	EXPECT_FALSE(p2px_path_exists(path));

	log = p2px_kmsg_collect(mark);
	ASSERT_NE(NULL, log);
	EXPECT_EQ(1, p2px_count_lines(log, "no P2P memory to publish"))
		TH_LOG("kernel log:\n%s", log);
	EXPECT_EQ(0, p2px_count_lines(log, "BUG"))
		TH_LOG("kernel log:\n%s", log);
	free(log);
	EXPECT_EQ(0, release_dev(bdf));
	/* Unbound, it owns nothing: the API file says so. */
	EXPECT_EQ(-ENODEV, p2px_write_file(HANDLE_API, "has"));
}

TEST(teardown)
{
	if (p2px_path_exists("/sys/module/" HANDLE_DRV))
		EXPECT_EQ(0, p2px_unload(HANDLE_DRV));
}

TEST_HARNESS_MAIN
