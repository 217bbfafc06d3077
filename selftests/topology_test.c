// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology selftests, run inside the test VM as root: distance,
 * map type and "why (not)" answers on the QEMU topologies, the host bridge
 * allowlist parameters at load and at run time, cache invalidation (policy
 * change, ACS change, device removal, hot-unplug), the debugfs view, bad
 * ioctl arguments, the cost of cached and uncached lookups, and parity with
 * the kernel's own P2PDMA code where the kernel has it.
 *
 * The devices come from the environment (p2px_pci.h): the provider
 * (P2PX_PROVIDER; the test bed's ivshmem) and two clients (P2PX_CLIENT;
 * the test bed's edu and NVMe controller). The test bed's topology is
 * recognised from where they sit, and only when P2PX_TOPOLOGY names it; a
 * test that needs another topology skips and says which.
 */
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "p2px_pci.h"
#include "uapi/linux/p2pdma_ext.h"

#define DBG_DIR		"/sys/kernel/debug/p2pdma_ext"
#define PARAMS		P2PX_SYSFS_MODULE "/parameters/"
#define Q35_HB		"8086:29c0"
#define ALLOW_Q35	"p2pdma_ext.host_bridge_allow=" Q35_HB

#define ACS_CAP_ID	0x000d
#define ACS_CTRL	6
#define ACS_RR		0x0004
#define ACS_CR		0x0008

enum topo { T_UNKNOWN, T_SWITCH, T_ROOTPORTS, T_IOMMU, T_MULTIFUNC };

static const char * const topo_names[] = {
	"unknown", "switch", "rootports", "iommu", "multifunc",
};

struct pdev {
	char bdf[16];
	unsigned long long id;
	int present;
};

/* The provider (shm), client 0 (edu) and client 1 (nvme). */
struct topo_devs {
	enum topo topo;
	struct pdev shm, edu, nvme;
};

static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static unsigned long long bdf_id(const char *bdf)
{
	unsigned int d, b, s, f;

	if (sscanf(bdf, "%x:%x:%x.%x", &d, &b, &s, &f) != 4)
		return ~0ULL;
	return P2PDMA_EXT_DEVID(d, b, (s << 3) | f);
}

/* @bdf into @out when @found. */
static void set_pdev(int found, const char *bdf, struct pdev *out)
{
	memset(out, 0, sizeof(*out));
	if (!found)
		return;
	copy_str(out->bdf, sizeof(out->bdf), bdf);
	out->id = bdf_id(out->bdf);
	out->present = 1;
}

/* The BDF of the bridge above @bdf into @up; 0 if there is none. */
static int parent_of(const char *bdf, char *up, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX], *slash, *base;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	if (!realpath(path, real))
		return 0;
	slash = strrchr(real, '/');
	if (!slash)
		return 0;
	*slash = 0;
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	if (!strncmp(base, "pci", 3))
		return 0;
	copy_str(up, len, base);
	return 1;
}

static int depth_of(const char *bdf)
{
	char cur[32], up[32];
	int depth = 1;

	copy_str(cur, sizeof(cur), bdf);
	while (parent_of(cur, up, sizeof(up)) && depth < 32) {
		copy_str(cur, sizeof(cur), up);
		depth++;
	}
	return depth;
}

static int have_iommu(void)
{
	struct dirent *de;
	DIR *dir = opendir("/sys/class/iommu");
	int found = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			found = 1;
	closedir(dir);
	return found;
}

static void detect(struct topo_devs *t)
{
	const char *name = getenv("P2PX_TOPOLOGY");
	char up1[32], up2[32], up3[32], bdf[64];

	memset(t, 0, sizeof(*t));
	set_pdev(p2px_provider_dev(bdf, sizeof(bdf)), bdf, &t->shm);
	set_pdev(p2px_client_dev(0, bdf, sizeof(bdf)), bdf, &t->edu);
	set_pdev(p2px_client_dev(1, bdf, sizeof(bdf)), bdf, &t->nvme);
	if (!t->shm.present || !t->edu.present || !name)
		return;
	if (!t->nvme.present) {
		if (!strncmp(t->shm.bdf, t->edu.bdf, strlen(t->edu.bdf) - 1))
			t->topo = T_MULTIFUNC;
	} else if (depth_of(t->shm.bdf) == 2 && parent_of(t->shm.bdf, up1, 32) &&
		   parent_of(t->edu.bdf, up2, 32) && strcmp(up1, up2)) {
		t->topo = T_ROOTPORTS;
	} else if (depth_of(t->shm.bdf) == 4 && parent_of(t->shm.bdf, up1, 32) &&
		   parent_of(up1, up1, 32) && parent_of(t->nvme.bdf, up3, 32) &&
		   parent_of(up3, up3, 32) && !strcmp(up1, up3)) {
		t->topo = have_iommu() ? T_IOMMU : T_SWITCH;
	}
	if (strcmp(name, topo_names[t->topo]))
		t->topo = T_UNKNOWN;
}

/* Detect the topology; true if it is not @want (the test then skips). */
static int not_topo(struct topo_devs *t, enum topo want)
{
	detect(t);
	return t->topo != want;
}

static int reload(const char *params)
{
	if (p2px_unload_module())
		return -1;
	return p2px_load(p2px_module_path(), params);
}

/* One P2PDMA_EXT_IOC_TOPO_PAIRS call for one pair; 0 or -errno. */
static int query(unsigned long long prov, unsigned long long client,
		 unsigned int flags, struct p2pdma_ext_topo_pair *pair,
		 char *text, size_t tlen)
{
	struct p2pdma_ext_topo_pairs q = {
		.argsz = sizeof(q),
		.flags = flags,
		.provider = prov,
		.num_clients = 1,
		.pair_size = sizeof(*pair),
		.pairs = (uintptr_t)pair,
		.text_size = tlen,
		.text = (uintptr_t)text,
	};
	int fd, ret;

	memset(pair, 0, sizeof(*pair));
	pair->client = client;
	fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, P2PDMA_EXT_IOC_TOPO_PAIRS, &q) ? -errno : 0;
	close(fd);
	return ret;
}

static int pairs_ioctl(struct p2pdma_ext_topo_pairs *q)
{
	int fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, P2PDMA_EXT_IOC_TOPO_PAIRS, q) ? -errno : 0;
	close(fd);
	return ret;
}

static int matrix_ioctl(struct p2pdma_ext_topo_matrix *m)
{
	int fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, P2PDMA_EXT_IOC_TOPO_MATRIX, m) ? -errno : 0;
	close(fd);
	return ret;
}

static long stat_value(const char *name)
{
	char buf[512], *p;

	if (p2px_read_file(DBG_DIR "/stats", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, name);
	return p ? strtol(p + strlen(name) + 1, NULL, 10) : -1;
}

/*
 * Every pair of the three devices below the switch: direct, distance 4,
 * meeting at the switch's upstream port. The iommu topology is the same
 * switch behind VT-d: the IOMMU does not change the answer (as upstream),
 * and QEMU's switch ports have no ACS capability to redirect with.
 */
TEST(switch_bus_addr)
{
	struct p2pdma_ext_topo_pair pair;
	struct topo_devs t;
	char text[P2PDMA_EXT_EXPLAIN_MAX], sw[32];
	struct pdev *d[3];
	int i, j;

	/* The iommu topology is the same switch (its ports have no ACS). */
	if (not_topo(&t, T_SWITCH) && t.topo != T_IOMMU)
		SKIP(return, "needs the switch or iommu topology (this is %s)",
		     topo_names[t.topo]);
	ASSERT_EQ(0, reload(NULL));
	d[0] = &t.shm;
	d[1] = &t.edu;
	d[2] = &t.nvme;
	ASSERT_TRUE(parent_of(t.shm.bdf, sw, sizeof(sw)));
	ASSERT_TRUE(parent_of(sw, sw, sizeof(sw)));	/* switch upstream port */

	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++) {
			if (i == j)
				continue;
			ASSERT_EQ(0, query(d[i]->id, d[j]->id, 0, &pair, text,
					   sizeof(text)));
			TH_LOG("%s", text);
			EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_BUS_ADDR, pair.map_type);
			EXPECT_EQ(4, pair.distance);
			EXPECT_EQ(P2PDMA_EXT_TOPO_REASON_SAME_UPSTREAM_BRIDGE,
				  pair.reason);
			EXPECT_TRUE(pair.flags & P2PDMA_EXT_TOPO_F_COMMON);
			EXPECT_EQ(bdf_id(sw), pair.common);
			EXPECT_NE(NULL, strstr(text, "direct by PCI bus address, distance 4"));
			EXPECT_NE(NULL, strstr(text, sw));
			/* The cached answer kernel users get agrees. */
			ASSERT_EQ(0, query(d[i]->id, d[j]->id,
					   P2PDMA_EXT_TOPO_Q_CACHED, &pair, NULL, 0));
			EXPECT_EQ(4, pair.distance);
			EXPECT_TRUE(pair.flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);
		}
	}
}

/* Root ports meet at the q35 host bridge, which no list allows. */
TEST(rootports_allowlist_runtime)
{
	struct p2pdma_ext_topo_pair pair;
	struct topo_devs t;
	char text[P2PDMA_EXT_EXPLAIN_MAX];

	if (not_topo(&t, T_ROOTPORTS))
		SKIP(return, "needs the rootports topology (this is %s)",
		     topo_names[t.topo]);
	ASSERT_EQ(0, reload(NULL));

	ASSERT_EQ(0, query(t.shm.id, t.edu.id, 0, &pair, text, sizeof(text)));
	TH_LOG("%s", text);
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED, pair.map_type);
	EXPECT_EQ(-1, pair.distance);
	EXPECT_EQ(P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED, pair.reason);
	EXPECT_EQ(P2PDMA_EXT_TOPO_REASON_NO_COMMON_UPSTREAM, pair.detour);
	EXPECT_NE(NULL, strstr(text, "(root " Q35_HB ")"));
	EXPECT_NE(NULL, strstr(text, ALLOW_Q35));
	EXPECT_EQ(strlen(text), pair.text_len);

	/* Fill the cache, then change the parameter: the cache must follow. */
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_TRUE(pair.flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED, pair.map_type);

	ASSERT_EQ(0, p2px_write_file(PARAMS "host_bridge_allow", Q35_HB));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_FALSE(pair.flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE, pair.map_type);
	EXPECT_EQ(4, pair.distance);
	ASSERT_EQ(0, query(t.shm.id, t.nvme.id, 0, &pair, text, sizeof(text)));
	TH_LOG("%s", text);
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE, pair.map_type);
	EXPECT_EQ(P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_ALLOWED, pair.reason);
	EXPECT_NE(NULL, strstr(text, "[added by p2pdma_ext.host_bridge_allow]"));

	ASSERT_EQ(0, p2px_write_file(PARAMS "host_bridge_allow", "\n"));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED, pair.map_type);
}

TEST(rootports_allowlist_at_load)
{
	struct p2pdma_ext_topo_pair pair;
	struct topo_devs t;

	if (not_topo(&t, T_ROOTPORTS))
		SKIP(return, "needs the rootports topology (this is %s)",
		     topo_names[t.topo]);
	ASSERT_EQ(0, reload("host_bridge_allow=" Q35_HB));
	ASSERT_EQ(0, query(t.edu.id, t.nvme.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE, pair.map_type);
	EXPECT_EQ(P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_ALLOWED, pair.reason);
	EXPECT_TRUE(pair.flags & P2PDMA_EXT_TOPO_F_SAME_HOST);
	ASSERT_EQ(0, reload(NULL));
}

/*
 * host_bridge_deny only disables built-in entries (8086:29c0 is not one,
 * and an admin-added entry wins); trust_all_host_bridges allows anything.
 */
TEST(rootports_deny_and_trust_all)
{
	struct p2pdma_ext_topo_pair pair;
	struct topo_devs t;
	char text[P2PDMA_EXT_EXPLAIN_MAX];

	if (not_topo(&t, T_ROOTPORTS))
		SKIP(return, "needs the rootports topology (this is %s)",
		     topo_names[t.topo]);
	ASSERT_EQ(0, reload("host_bridge_deny=" Q35_HB));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, 0, &pair, text, sizeof(text)));
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED, pair.map_type);
	EXPECT_NE(NULL, strstr(text, "is not in the host bridge allowlist"));

	ASSERT_EQ(0, p2px_write_file(PARAMS "host_bridge_allow", Q35_HB));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, 0, &pair, NULL, 0));
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE, pair.map_type);

	ASSERT_EQ(0, reload("trust_all_host_bridges=1"));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, 0, &pair, text, sizeof(text)));
	TH_LOG("%s", text);
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE, pair.map_type);
	EXPECT_EQ(P2PDMA_EXT_TOPO_REASON_TRUSTED_BY_PARAM, pair.reason);
	ASSERT_EQ(0, p2px_write_file(PARAMS "trust_all_host_bridges", "0"));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED, pair.map_type);
	ASSERT_EQ(0, reload(NULL));
}

TEST(multifunc_distance)
{
	struct p2pdma_ext_topo_pair pair;
	struct topo_devs t;
	char text[P2PDMA_EXT_EXPLAIN_MAX], rp[32];

	if (not_topo(&t, T_MULTIFUNC))
		SKIP(return, "needs the multifunc topology (this is %s)",
		     topo_names[t.topo]);
	ASSERT_EQ(0, reload(NULL));
	ASSERT_TRUE(parent_of(t.edu.bdf, rp, sizeof(rp)));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, 0, &pair, text, sizeof(text)));
	TH_LOG("%s", text);
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_BUS_ADDR, pair.map_type);
	EXPECT_EQ(2, pair.distance);
	EXPECT_EQ(bdf_id(rp), pair.common);
	ASSERT_EQ(0, query(t.edu.id, t.shm.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_EQ(2, pair.distance);
}

/* Offset of the ACS capability in @bdf's config space, or 0. */
static int acs_offset(int fd)
{
	unsigned int pos = 0x100, hops = 0;
	__u32 hdr;

	while (pos >= 0x100 && hops++ < 64) {
		if (pread(fd, &hdr, 4, pos) != 4 || !hdr || hdr == ~0U)
			return 0;
		if ((hdr & 0xffff) == ACS_CAP_ID)
			return pos;
		pos = (hdr >> 20) & 0xffc;
	}
	return 0;
}

static int acs_write(int fd, int pos, __u16 val)
{
	return pwrite(fd, &val, 2, pos + ACS_CTRL) == 2 ? 0 : -errno;
}

/*
 * Setting P2P Request/Completion Redirect on the root port above the
 * multi-function device sends its traffic to the host bridge: the answer
 * becomes ACS redirect naming the port, and clearing it restores the
 * direct path. ACS writes raise no event, so the explaining query must
 * notice and refresh the cache, and cached lookups then follow.
 */
TEST(multifunc_acs_redirect)
{
	struct p2pdma_ext_topo_pair pair;
	struct topo_devs t;
	char text[P2PDMA_EXT_EXPLAIN_MAX], rp[32], path[PATH_MAX], want[64];
	__u16 saved;
	int fd, pos;

	if (not_topo(&t, T_MULTIFUNC))
		SKIP(return, "needs the multifunc topology (this is %s)",
		     topo_names[t.topo]);
	ASSERT_EQ(0, reload(NULL));
	ASSERT_TRUE(parent_of(t.edu.bdf, rp, sizeof(rp)));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", rp);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	pos = acs_offset(fd);
	ASSERT_NE(0, pos) TH_LOG("no ACS capability on %s", rp);
	ASSERT_EQ(2, pread(fd, &saved, 2, pos + ACS_CTRL));
	ASSERT_EQ(0, saved & (ACS_RR | ACS_CR)) TH_LOG("ACS ctrl 0x%x", saved);

	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_BUS_ADDR, pair.map_type);

	ASSERT_EQ(0, acs_write(fd, pos, saved | ACS_RR | ACS_CR));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	TH_LOG("cached answer right after the ACS write (not detectable): map %u",
	       pair.map_type);

	ASSERT_EQ(0, query(t.shm.id, t.edu.id, 0, &pair, text, sizeof(text)));
	TH_LOG("%s", text);
	EXPECT_EQ(P2PDMA_EXT_TOPO_REASON_ACS_REDIRECT, pair.detour);
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED, pair.map_type);
	EXPECT_EQ(1, pair.acs_count);
	EXPECT_TRUE(pair.flags & P2PDMA_EXT_TOPO_F_REFRESHED);
	EXPECT_NE(NULL, strstr(text, rp));
	EXPECT_NE(NULL, strstr(text, "[RR CR]"));
	snprintf(want, sizeof(want), "pci=disable_acs_redir=%s", rp);
	EXPECT_NE(NULL, strstr(text, want));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_EQ(P2PDMA_EXT_TOPO_REASON_ACS_REDIRECT, pair.detour);
	EXPECT_TRUE(pair.flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);

	ASSERT_EQ(0, acs_write(fd, pos, saved));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, 0, &pair, text, sizeof(text)));
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_BUS_ADDR, pair.map_type);
	EXPECT_EQ(2, pair.distance);
	EXPECT_TRUE(pair.flags & P2PDMA_EXT_TOPO_F_REFRESHED);
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_BUS_ADDR, pair.map_type);
	close(fd);
}

/* A parameter write invalidates cached answers in any topology. */
TEST(cache_follows_parameters)
{
	struct p2pdma_ext_topo_pair pair;
	struct topo_devs t;
	long gen;

	detect(&t);
	if (!t.shm.present || !t.edu.present)
		SKIP(return, "needs a provider and a client (P2PX_PROVIDER, P2PX_CLIENT)");
	ASSERT_EQ(0, reload(NULL));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_TRUE(pair.flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);
	gen = stat_value("policy_generation");
	ASSERT_EQ(0, p2px_write_file(PARAMS "host_bridge_deny", "8086:2030"));
	EXPECT_EQ(gen + 1, stat_value("policy_generation"));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_FALSE(pair.flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);

	/* So does debugfs flush. */
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_TRUE(pair.flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);
	ASSERT_EQ(0, p2px_write_file(DBG_DIR "/flush", "1"));
	EXPECT_EQ(0, stat_value("entries"));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_FALSE(pair.flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);
	ASSERT_EQ(0, reload(NULL));
}

static int wait_for_device(const char *bdf, int present, int seconds)
{
	char path[PATH_MAX];
	int i;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	for (i = 0; i < seconds * 10; i++) {
		if (p2px_path_exists(path) == present)
			return 0;
		usleep(100000);
	}
	return -1;
}

/* Removing a device through sysfs (no hotplug hardware) empties the cache. */
TEST(sysfs_remove_rescan)
{
	struct p2pdma_ext_topo_pair pair;
	struct topo_devs t;
	char path[PATH_MAX];
	long inval;

	detect(&t);
	if (!t.shm.present || !t.edu.present)
		SKIP(return, "needs a provider and a client (P2PX_PROVIDER, P2PX_CLIENT)");
	ASSERT_EQ(0, reload(NULL));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_LT(0, stat_value("entries"));
	inval = stat_value("invalidations");

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/remove", t.edu.bdf);
	ASSERT_EQ(0, p2px_write_file(path, "1"));
	ASSERT_EQ(0, wait_for_device(t.edu.bdf, 0, 10));
	EXPECT_LT(inval, stat_value("invalidations"));
	EXPECT_EQ(-ENODEV, query(t.shm.id, t.edu.id, 0, &pair, NULL, 0));

	ASSERT_EQ(0, p2px_write_file("/sys/bus/pci/rescan", "1"));
	ASSERT_EQ(0, wait_for_device(t.edu.bdf, 1, 10));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_FALSE(pair.flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);
}

/* QEMU hot-unplug of a device (ACPI eject) invalidates the cache. */
TEST(hot_unplug_invalidates)
{
	struct p2pdma_ext_topo_pair pair;
	struct topo_devs t, again;
	long inval;

	if (not_topo(&t, T_ROOTPORTS))
		SKIP(return, "needs the rootports topology (this is %s)",
		     topo_names[t.topo]);
	if (host_request("PING"))
		SKIP(return, "no request channel to the host");
	ASSERT_EQ(0, reload(NULL));
	ASSERT_EQ(0, query(t.edu.id, t.nvme.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	ASSERT_EQ(0, query(t.edu.id, t.nvme.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_TRUE(pair.flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);
	inval = stat_value("invalidations");

	ASSERT_EQ(0, host_request("UNPLUG shm0"))
		TH_LOG("the runner needs --qmp for UNPLUG");
	ASSERT_EQ(0, wait_for_device(t.shm.bdf, 0, 10));
	EXPECT_LT(inval, stat_value("invalidations"));
	EXPECT_EQ(-ENODEV, query(t.shm.id, t.edu.id, P2PDMA_EXT_TOPO_Q_CACHED,
				 &pair, NULL, 0));
	ASSERT_EQ(0, query(t.edu.id, t.nvme.id, P2PDMA_EXT_TOPO_Q_CACHED, &pair,
			   NULL, 0));
	EXPECT_FALSE(pair.flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);

	ASSERT_EQ(0, host_request("REPLUG shm0"));
	ASSERT_EQ(0, wait_for_device(t.shm.bdf, 1, 30));
	detect(&again);
	ASSERT_TRUE(again.shm.present);
	ASSERT_EQ(0, query(again.shm.id, t.edu.id, 0, &pair, NULL, 0));
	EXPECT_EQ(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED, pair.map_type);
}

/* The full matrix agrees with the per-pair answers; debugfs shows it. */
TEST(matrix_and_debugfs)
{
	struct p2pdma_ext_topo_matrix m = { .argsz = sizeof(m) };
	struct p2pdma_ext_topo_pair pair;
	static struct p2pdma_ext_topo_cell cells[256 * 256];
	static char view[65536];
	unsigned long long ids[256], chosen[2];
	unsigned int i, n, is = ~0U, ie = ~0U;
	struct topo_devs t;
	char cmd[64], vd[16];

	detect(&t);
	if (!t.shm.present || !t.edu.present)
		SKIP(return, "needs a provider and a client (P2PX_PROVIDER, P2PX_CLIENT)");
	ASSERT_EQ(0, reload(NULL));

	m.flags = P2PDMA_EXT_TOPO_M_ALL;
	m.num_devices = 256;
	m.devices = (uintptr_t)ids;
	m.cells = (uintptr_t)cells;
	ASSERT_EQ(0, matrix_ioctl(&m));
	n = m.num_devices;
	ASSERT_LT(2, n);
	for (i = 0; i < n; i++) {
		if (ids[i] == t.shm.id)
			is = i;
		if (ids[i] == t.edu.id)
			ie = i;
		if (i)
			EXPECT_LT(ids[i - 1], ids[i]);
	}
	ASSERT_NE(~0U, is);
	ASSERT_NE(~0U, ie);
	ASSERT_EQ(0, query(t.shm.id, t.edu.id, 0, &pair, NULL, 0));
	EXPECT_EQ(pair.map_type, cells[is * n + ie].map_type);
	EXPECT_EQ(pair.distance, cells[is * n + ie].distance);
	EXPECT_EQ(pair.reason, cells[is * n + ie].reason);
	EXPECT_EQ(0, cells[is * n + is].distance);

	/* A chosen set, cached. */
	chosen[0] = t.edu.id;
	chosen[1] = t.shm.id;
	m.flags = P2PDMA_EXT_TOPO_Q_CACHED;
	m.num_devices = 2;
	m.devices = (uintptr_t)chosen;
	ASSERT_EQ(0, matrix_ioctl(&m));
	EXPECT_EQ(2, m.num_devices);
	EXPECT_EQ(pair.map_type, cells[1 * 2 + 0].map_type);
	EXPECT_EQ(pair.distance, cells[1 * 2 + 0].distance);

	snprintf(vd, sizeof(vd), "%04llx:%04llx", read_ull(t.shm.bdf, "vendor"),
		 read_ull(t.shm.bdf, "device"));
	ASSERT_EQ(0, p2px_read_file(DBG_DIR "/topology", view, sizeof(view)));
	EXPECT_NE(NULL, strstr(view, t.shm.bdf));
	/* ... with its vendor:device ids as sysfs has them */
	EXPECT_NE(NULL, strstr(view, vd));
	fprintf(stderr, "# debugfs p2pdma_ext/topology:\n");
	for (char *line = strtok(view, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(stderr, "#   %s\n", line);

	snprintf(cmd, sizeof(cmd), "%s %s", t.shm.bdf, t.edu.bdf);
	ASSERT_EQ(0, p2px_write_file(DBG_DIR "/pair", cmd));
	ASSERT_EQ(0, p2px_read_file(DBG_DIR "/pair", view, sizeof(view)));
	EXPECT_NE(NULL, strstr(view, "map "));
	EXPECT_NE(NULL, strstr(view, t.edu.bdf));
	fprintf(stderr, "# debugfs p2pdma_ext/pair:\n");
	for (char *line = strtok(view, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(stderr, "#   %s\n", line);
	EXPECT_EQ(-EINVAL, p2px_write_file(DBG_DIR "/pair", "nonsense"));
	EXPECT_EQ(-ENODEV, p2px_write_file(DBG_DIR "/pair",
					   "0000:fe:1f.7 0000:fe:1f.6"));
}

TEST(bad_ioctl_args)
{
	struct p2pdma_ext_topo_matrix m;
	struct p2pdma_ext_topo_pairs q;
	struct p2pdma_ext_topo_pair pairs[2];
	struct p2pdma_ext_topo_cell cells[4];
	unsigned long long ids[2];
	struct topo_devs t;
	char text[64];
	pid_t pid;
	int status;

	detect(&t);
	if (!t.shm.present || !t.edu.present)
		SKIP(return, "needs a provider and a client (P2PX_PROVIDER, P2PX_CLIENT)");
	ASSERT_EQ(0, reload(NULL));

#define RESET_Q() do {							\
		memset(&q, 0, sizeof(q));				\
		memset(pairs, 0, sizeof(pairs));			\
		q.argsz = sizeof(q);					\
		q.provider = t.shm.id;					\
		q.num_clients = 1;					\
		q.pair_size = sizeof(pairs[0]);				\
		q.pairs = (uintptr_t)pairs;				\
		q.text_size = sizeof(text);				\
		q.text = (uintptr_t)text;				\
		pairs[0].client = t.edu.id;				\
	} while (0)

	RESET_Q();
	EXPECT_EQ(0, pairs_ioctl(&q));
	RESET_Q();
	q.argsz = sizeof(q) - 1;
	EXPECT_EQ(-EINVAL, pairs_ioctl(&q));
	RESET_Q();
	q.flags = 0x80;
	EXPECT_EQ(-EINVAL, pairs_ioctl(&q));
	RESET_Q();
	q.reserved = 1;
	EXPECT_EQ(-EINVAL, pairs_ioctl(&q));
	RESET_Q();
	pairs[0].reserved = 1;
	EXPECT_EQ(-EINVAL, pairs_ioctl(&q));
	RESET_Q();
	q.num_clients = 0;
	EXPECT_EQ(-EINVAL, pairs_ioctl(&q));
	RESET_Q();
	q.num_clients = P2PDMA_EXT_TOPO_MAX_CLIENTS + 1;
	EXPECT_EQ(-E2BIG, pairs_ioctl(&q));
	RESET_Q();
	q.pair_size = sizeof(pairs[0]) - 8;
	EXPECT_EQ(-EINVAL, pairs_ioctl(&q));
	RESET_Q();
	q.text_size = P2PDMA_EXT_TOPO_MAX_TEXT + 1;
	EXPECT_EQ(-EINVAL, pairs_ioctl(&q));
	RESET_Q();
	q.provider = P2PDMA_EXT_DEVID(0x7fff, 0xfe, 0xff);
	EXPECT_EQ(-ENODEV, pairs_ioctl(&q));
	RESET_Q();
	q.provider = ~0ULL;
	EXPECT_EQ(-ENODEV, pairs_ioctl(&q));
	RESET_Q();
	pairs[0].client = P2PDMA_EXT_DEVID(0, 0xfe, 0xff);
	EXPECT_EQ(-ENODEV, pairs_ioctl(&q));
	RESET_Q();
	q.num_clients = 2;	/* the second client is id 0 = 0000:00:00.0 */
	pairs[1].client = P2PDMA_EXT_DEVID(0, 0xfe, 0xff);
	EXPECT_EQ(-ENODEV, pairs_ioctl(&q));
	RESET_Q();
	q.pairs = 0;
	EXPECT_EQ(-EFAULT, pairs_ioctl(&q));
	RESET_Q();
	q.text = 8;
	EXPECT_EQ(-EFAULT, pairs_ioctl(&q));
	EXPECT_EQ(-EFAULT, pairs_ioctl(NULL));

	memset(&m, 0, sizeof(m));
	m.argsz = sizeof(m);
	m.num_devices = 2;
	ids[0] = t.shm.id;
	ids[1] = t.edu.id;
	m.devices = (uintptr_t)ids;
	m.cells = (uintptr_t)cells;
	EXPECT_EQ(0, matrix_ioctl(&m));
	m.num_devices = 0;
	EXPECT_EQ(-EINVAL, matrix_ioctl(&m));
	m.num_devices = P2PDMA_EXT_TOPO_MAX_DEVICES + 1;
	EXPECT_EQ(-E2BIG, matrix_ioctl(&m));
	m.num_devices = 2;
	m.flags = 0x100;
	EXPECT_EQ(-EINVAL, matrix_ioctl(&m));
	m.flags = 0;
	ids[1] = P2PDMA_EXT_DEVID(0, 0xfe, 0xff);
	EXPECT_EQ(-ENODEV, matrix_ioctl(&m));
	ids[1] = t.edu.id;
	m.cells = 16;
	EXPECT_EQ(-EFAULT, matrix_ioctl(&m));
	m.cells = (uintptr_t)cells;
	m.flags = P2PDMA_EXT_TOPO_M_ALL;
	m.num_devices = 1;
	EXPECT_EQ(-ENOSPC, matrix_ioctl(&m));
	EXPECT_LT(2, m.num_devices);

	/* Root only: an unprivileged process cannot even open the device. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(open(P2PDMA_EXT_DEVICE, O_RDWR) < 0 && errno == EACCES ?
		      0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#define CACHE_LOOKUPS	P2PDMA_EXT_TOPO_MAX_CLIENTS

/*
 * The cache does the work: a recomputing query counts every lookup as
 * fresh, and the same query with P2PDMA_EXT_TOPO_Q_CACHED is answered
 * from the cache alone. What the lookups cost is make bench's part.
 */
TEST(cache_hits)
{
	static struct p2pdma_ext_topo_pair pairs[CACHE_LOOKUPS];
	struct p2pdma_ext_topo_pairs q = {
		.argsz = sizeof(q),
		.num_clients = CACHE_LOOKUPS,
		.pair_size = sizeof(pairs[0]),
		.pairs = (uintptr_t)pairs,
	};
	long hits, misses, fresh;
	struct topo_devs t;
	int i;

	detect(&t);
	if (!t.shm.present || !t.edu.present)
		SKIP(return, "needs a provider and a client (P2PX_PROVIDER, P2PX_CLIENT)");
	ASSERT_EQ(0, reload(NULL));
	q.provider = t.shm.id;
	for (i = 0; i < CACHE_LOOKUPS; i++)
		pairs[i].client = t.edu.id;
	hits = stat_value("hits");
	misses = stat_value("misses");
	fresh = stat_value("fresh");
	ASSERT_LE(0, hits);
	ASSERT_LE(0, misses);
	ASSERT_LE(0, fresh);
	ASSERT_EQ(0, pairs_ioctl(&q));
	EXPECT_EQ(CACHE_LOOKUPS, stat_value("fresh") - fresh);
	q.flags = P2PDMA_EXT_TOPO_Q_CACHED;
	ASSERT_EQ(0, pairs_ioctl(&q));
	for (i = 0; i < CACHE_LOOKUPS; i++)
		EXPECT_TRUE(pairs[i].flags & P2PDMA_EXT_TOPO_F_FROM_CACHE);
	EXPECT_EQ(CACHE_LOOKUPS, stat_value("hits") - hits);
	EXPECT_EQ(0, stat_value("misses") - misses);
	EXPECT_EQ(CACHE_LOOKUPS, stat_value("fresh") - fresh);
}

/* Parity report of p2px_parity (loaded for the call) in @report. */
static int parity_report(char *report, size_t len)
{
	int ret = p2px_load_driver("p2px_parity", NULL), unload;

	if (ret)
		return ret;
	ret = p2px_read_file("/sys/kernel/debug/p2px_parity/report", report,
			     len);
	unload = p2px_unload("p2px_parity");
	return ret ? ret : unload;
}

static long report_value(const char *report, const char *key)
{
	char want[40];
	const char *p;

	snprintf(want, sizeof(want), "\n%s ", key);
	p = strstr(report, want);
	return p ? strtol(p + strlen(want), NULL, 10) : -1;
}

/*
 * On every kernel: the answer kernel users get (decided without the
 * explanation) equals the explained one, for every pair.
 */
TEST(quick_answer_equals_explained)
{
	struct topo_devs t;
	char report[4096], *p;
	long walks, bad;

	detect(&t);
	ASSERT_EQ(0, reload(NULL));
	if (!p2px_path_exists(p2px_driver_path("p2px_parity")))
		SKIP(return, "no %s: %s", p2px_driver_path("p2px_parity"),
		     P2PX_DRIVER_HINT);
	ASSERT_EQ(0, parity_report(report, sizeof(report)));
	walks = report_value(report, "walks");
	bad = report_value(report, "walk_mismatches");
	fprintf(stderr, "# quick vs explained (%s):\n", topo_names[t.topo]);
	for (p = strtok(report, "\n"); p; p = strtok(NULL, "\n"))
		fprintf(stderr, "#   %s\n", p);
	EXPECT_LT(0, walks);
	EXPECT_EQ(0, bad);
}

/* On a kernel with CONFIG_PCI_P2PDMA, our answers equal the kernel's. */
TEST(parity_with_kernel)
{
	struct p2pdma_ext_info info = { .argsz = sizeof(info) };
	struct topo_devs t;
	char report[4096], *p;
	long pairs, mismatches;
	int fd;

	detect(&t);
	ASSERT_EQ(0, reload(NULL));
	fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, P2PDMA_EXT_IOC_INFO, &info));
	close(fd);
	if (info.backend != P2PDMA_EXT_BACKEND_NATIVE)
		SKIP(return, "kernel without CONFIG_PCI_P2PDMA: %s",
		     "nothing to compare with");

	if (!p2px_path_exists(p2px_driver_path("p2px_parity")))
		SKIP(return, "no %s: %s", p2px_driver_path("p2px_parity"),
		     P2PX_DRIVER_HINT);
	ASSERT_EQ(0, p2px_load_driver("p2px_parity", NULL));
	ASSERT_EQ(0, p2px_read_file("/sys/kernel/debug/p2px_parity/report",
				    report, sizeof(report)));
	ASSERT_EQ(0, p2px_unload("p2px_parity"));
	p = strstr(report, "pairs ");
	ASSERT_NE(NULL, p);
	pairs = strtol(p + 6, NULL, 10);
	p = strstr(report, "mismatches ");
	ASSERT_NE(NULL, p);
	mismatches = strtol(p + 11, NULL, 10);
	fprintf(stderr, "# parity (%s):\n", topo_names[t.topo]);
	for (p = strtok(report, "\n"); p; p = strtok(NULL, "\n"))
		fprintf(stderr, "#   %s\n", p);
	EXPECT_LT(0, pairs);
	EXPECT_EQ(0, mismatches);
}

TEST_HARNESS_MAIN
