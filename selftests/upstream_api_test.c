// SPDX-License-Identifier: GPL-2.0
/*
 * Upstream-API selftests, run inside the test VM as root: the sample
 * driver selftests/drivers/upstream/p2px_upstream.ko, written only against
 * upstream <linux/pci-p2pdma.h> names, is bound to the emulated ivshmem
 * and driven through its debugfs files. On 5.10/6.1/6.12 the drop-in
 * header turned those names into p2pdma_ext calls, on 7.2 they are the
 * kernel's own functions; the checks are the same on every kernel:
 * pcim_p2pdma_init(), pci_p2pdma_add_resource(), pci_p2pmem_publish() and
 * pci_p2pmem_find() work; pcim_p2pdma_provider()'s handle and
 * pci_p2pdma_bus_addr_map() agree with the BAR's bus address in config
 * space; pci_alloc_p2pmem() and pci_p2pmem_alloc_sgl() take memory from
 * p2pmem/available and free gives it back; pci_p2pmem_virt_to_bus() is
 * the BAR's bus address plus the offset of the memory in the BAR; bytes
 * the CPU writes there land in the BAR (host check of the ivshmem file).
 */
#include "kselftest_harness.h"
#include "p2px_pci.h"

#define UP_DRV		"p2px_upstream"
#define UP_DIR		"/sys/kernel/debug/p2px_upstream/"
#define UP_BAR		2
#define UP_SEED		99u
#define UP_SHOW		64

/* Memory the sample keeps: from "alloc" or from "sgl". */
struct held {
	unsigned long long size, phys, bus, map;
	unsigned int nents;
};

/* What the sample reports (see p2px_upstream.c). */
struct report {
	char dev[64], find[64], owner[16], head[2 * UP_SHOW + 1];
	int init, add, distance;
	unsigned long long bus_offset;
	struct held alloc, sgl;
};

/* Parse "NAME size N nents N phys P bus B map M" into @h. */
static int parse_held(const char *line, const char *name, struct held *h)
{
	size_t n = strlen(name);

	return !strncmp(line, name, n) &&
	       sscanf(line + n, " size %llu nents %u phys %llx bus %llx map %llx",
		      &h->size, &h->nents, &h->phys, &h->bus, &h->map) == 5;
}

static int read_report(struct report *r)
{
	char text[1024], *line, *save = NULL;
	int n = 0;

	memset(r, 0, sizeof(*r));
	if (p2px_read_file(UP_DIR "report", text, sizeof(text)))
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		n += sscanf(line, "dev %63s", r->dev) == 1 ||
		     sscanf(line, "init %d add_resource %d", &r->init,
			    &r->add) == 2 ||
		     sscanf(line, "find %63s distance %d", r->find,
			    &r->distance) == 2 ||
		     sscanf(line, "provider owner %15s bus_offset %llx",
			    r->owner, &r->bus_offset) == 2 ||
		     parse_held(line, "alloc", &r->alloc) ||
		     parse_held(line, "sgl", &r->sgl) ||
		     sscanf(line, "head %128s", r->head) == 1;
	return n;
}

static int cmd(const char *c)
{
	return p2px_write_file(UP_DIR "cmd", c);
}

FIXTURE(upstream) {
	char bdf[64];
	unsigned long long start, end, bus;
};

FIXTURE_SETUP(upstream)
{
	unsigned long long flags;
	char drv[64];

	if (!p2px_provider_dev(self->bdf, sizeof(self->bdf)))
		SKIP(return, "no provider (P2PX_PROVIDER)");
	/* 5.10-6.12: the sample links to p2pdma_ext; 7.2: to the kernel. */
	if (!p2px_path_exists(p2px_driver_path(UP_DRV)))
		SKIP(return, "no %s: %s", p2px_driver_path(UP_DRV),
		     P2PX_DRIVER_HINT);
	ASSERT_EQ(0, load_test_driver(UP_DRV));
	bound_driver(self->bdf, drv, sizeof(drv));
	if (strcmp(drv, UP_DRV)) {
		ASSERT_EQ(0, release_dev(self->bdf));
		ASSERT_EQ(0, bind_driver(self->bdf, UP_DRV));
		bound_driver(self->bdf, drv, sizeof(drv));
	}
	ASSERT_STREQ(UP_DRV, drv);
	ASSERT_EQ(0, pci_resource(self->bdf, UP_BAR, &self->start, &self->end,
				  &flags));
	self->bus = bar_bus_address(self->bdf, UP_BAR);
	ASSERT_NE(~0ULL, self->bus);
}

FIXTURE_TEARDOWN(upstream)
{
}

/* Probe: init, add_resource, publish, find and the BAR2 handle. */
TEST_F(upstream, probe_registers_bar)
{
	unsigned long long size = self->end - self->start + 1;
	struct report r;

	ASSERT_LT(0, read_report(&r));
	EXPECT_STREQ(self->bdf, r.dev);
	EXPECT_EQ(0, r.init);
	EXPECT_EQ(0, r.add);
	EXPECT_STREQ(self->bdf, r.find);
	EXPECT_EQ(0, r.distance);
	EXPECT_STREQ("self", r.owner);
	EXPECT_EQ(self->bus - self->start, r.bus_offset);
	EXPECT_EQ(0, r.alloc.size);
	EXPECT_EQ(0, r.sgl.size);
	EXPECT_EQ(size, read_ull(self->bdf, "p2pmem/size"));
	EXPECT_EQ(size, read_ull(self->bdf, "p2pmem/available"));
	EXPECT_EQ(1, read_ull(self->bdf, "p2pmem/published"));
}

/*
 * Kept memory lies in the BAR (CPU addresses @start..@end, bus address
 * @bus) and its addresses agree with sysfs.
 */
static void check_held(struct __test_metadata *_metadata, const struct held *h,
		       unsigned long long len, unsigned long long start,
		       unsigned long long end, unsigned long long bus)
{
	EXPECT_EQ(len, h->size);
	EXPECT_EQ(1, h->nents);
	EXPECT_LE(start, h->phys);
	EXPECT_GE(end + 1, h->phys + len);
	/* Bus address = the BAR's bus address + the offset in the BAR. */
	EXPECT_EQ(bus + (h->phys - start), h->bus);
	EXPECT_EQ(h->bus, h->map);
}

/*
 * pci_p2pmem_alloc_sgl() keeps SPACER, then pci_alloc_p2pmem() takes LEN
 * behind it: BAR offsets 16-17 MiB, which no other test writes, so the
 * host check still holds when the VM ends.
 */
#define SPACER	0x1000000ULL
#define LEN	0x100000ULL

TEST_F(upstream, alloc_free_and_bus_address)
{
	unsigned long long size = read_ull(self->bdf, "p2pmem/size");
	char name[64], want[2 * UP_SHOW + 1], c[64];
	struct report r;
	int i;

	snprintf(c, sizeof(c), "sgl %llu", SPACER);
	ASSERT_EQ(0, cmd(c));
	EXPECT_EQ(size - SPACER, read_ull(self->bdf, "p2pmem/available"));
	snprintf(c, sizeof(c), "alloc %llu", LEN);
	ASSERT_EQ(0, cmd(c));
	EXPECT_EQ(size - SPACER - LEN, read_ull(self->bdf, "p2pmem/available"));
	ASSERT_LT(0, read_report(&r));
	check_held(_metadata, &r.sgl, SPACER, self->start, self->end, self->bus);
	check_held(_metadata, &r.alloc, LEN, self->start, self->end, self->bus);
	/* Two allocations, two places. */
	EXPECT_TRUE(r.alloc.phys >= r.sgl.phys + SPACER ||
		    r.sgl.phys >= r.alloc.phys + LEN);

	/* The CPU writes the memory; the host checks the ivshmem file. */
	ASSERT_EQ(0, cmd("fill 99"));
	ASSERT_LT(0, read_report(&r));
	for (i = 0; i < UP_SHOW; i++)
		snprintf(want + 2 * i, 3, "%02x", (UP_SEED + 7 * i) & 0xff);
	EXPECT_STREQ(want, r.head);
	ivshmem_name(name, sizeof(name));
	printf("# HOSTCHECK %s %llu %s\n", name, r.alloc.phys - self->start,
	       r.head);
	fflush(stdout);

	ASSERT_EQ(0, cmd("free"));
	EXPECT_EQ(size, read_ull(self->bdf, "p2pmem/available"));
	/* More than the BAR: NULL, and nothing is taken. */
	snprintf(c, sizeof(c), "alloc %llu", size + LEN);
	EXPECT_EQ(-ENOMEM, cmd(c));
	EXPECT_EQ(size, read_ull(self->bdf, "p2pmem/available"));
}

TEST_F(upstream, publish_controls_find)
{
	struct report r;

	ASSERT_EQ(0, cmd("publish 0"));
	EXPECT_EQ(0, read_ull(self->bdf, "p2pmem/published"));
	ASSERT_LT(0, read_report(&r));
	EXPECT_STRNE(self->bdf, r.find);
	ASSERT_EQ(0, cmd("publish 1"));
	EXPECT_EQ(1, read_ull(self->bdf, "p2pmem/published"));
	ASSERT_LT(0, read_report(&r));
	EXPECT_STREQ(self->bdf, r.find);
}

/* Unbinding takes the P2P memory and its sysfs group away; rebind works. */
TEST_F(upstream, unbind_and_rebind)
{
	char path[300], drv[64];
	struct report r;

	ASSERT_EQ(0, cmd("alloc 4096"));
	ASSERT_EQ(0, unbind_dev(self->bdf));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/p2pmem", self->bdf);
	EXPECT_FALSE(p2px_path_exists(path));
	EXPECT_EQ(-ENODEV, cmd("alloc 4096"));
	ASSERT_EQ(0, bind_driver(self->bdf, UP_DRV));
	bound_driver(self->bdf, drv, sizeof(drv));
	ASSERT_STREQ(UP_DRV, drv);
	ASSERT_LT(0, read_report(&r));
	EXPECT_EQ(0, r.init);
	EXPECT_EQ(0, r.add);
	EXPECT_EQ(read_ull(self->bdf, "p2pmem/size"),
		  read_ull(self->bdf, "p2pmem/available"));
}

/* Last (fixture tests run in order): free the ivshmem, unload the sample. */
TEST_F(upstream, release_all)
{
	EXPECT_EQ(0, release_dev(self->bdf));
	EXPECT_EQ(0, p2px_unload(UP_DRV));
}

TEST_HARNESS_MAIN
