// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext module selftests, run inside the test VM as root: the module
 * loads and unloads, shows its parameters, creates a root-only control
 * device whose INFO ioctl reports what the compile probes found, taints the
 * kernel with nothing but O/E, and refuses bad parameter values.
 */
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "p2px_harness.h"
#include "p2px_test.h"
#include "p2px_topo.h"
#include "uapi/linux/p2pdma_ext.h"

#define TAINT_OOT	0x1000UL	/* bit 12, O: out-of-tree module */
#define TAINT_UNSIGNED	0x2000UL	/* bit 13, E: unsigned module */

static const char * const expected_params[] = {
	"host_bridge_allow",
	"host_bridge_deny",
	"trust_all_host_bridges",
};

/* Unload the module, after its holders (test drivers an earlier test left). */
static void ensure_unloaded(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, p2px_unload_module());
}

static void ensure_loaded(struct __test_metadata *_metadata)
{
	if (!p2px_module_loaded())
		ASSERT_EQ(0, p2px_load(p2px_module_path(), NULL));
}

TEST(load_unload)
{
	char state[64];
	int i;

	ensure_unloaded(_metadata);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, p2px_load(p2px_module_path(), NULL));
		ASSERT_EQ(0, p2px_read_file(P2PX_SYSFS_MODULE "/initstate",
					    state, sizeof(state)));
		EXPECT_STREQ("live", state);
		ASSERT_EQ(-EEXIST, p2px_load(p2px_module_path(), NULL));
		ASSERT_EQ(0, p2px_unload(P2PX_MODULE_NAME));
		ASSERT_FALSE(p2px_module_loaded());
		ASSERT_FALSE(p2px_path_exists(P2PDMA_EXT_DEVICE));
	}
}

TEST(parameters_visible)
{
	char path[256];
	struct stat st;
	unsigned int i;

	ensure_loaded(_metadata);
	for (i = 0; i < ARRAY_SIZE(expected_params); i++) {
		snprintf(path, sizeof(path), P2PX_SYSFS_MODULE "/parameters/%s",
			 expected_params[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("missing %s", path);
		/* Runtime-writable by root only. */
		EXPECT_EQ(0644, st.st_mode & 0777) TH_LOG("%s", path);
	}
}

TEST(parameters_runtime)
{
	const char *allow = P2PX_SYSFS_MODULE "/parameters/host_bridge_allow";
	const char *trust = P2PX_SYSFS_MODULE "/parameters/trust_all_host_bridges";
	char val[256];
	char *log;
	int mark;

	ensure_loaded(_metadata);
	ASSERT_EQ(0, p2px_write_file(allow, "8086:29C0,1ae0:*:same\n"));
	ASSERT_EQ(0, p2px_read_file(allow, val, sizeof(val)));
	EXPECT_STREQ("8086:29c0,1ae0:*:same", val);

	/* A bad value is refused with one log line; the old value stays. */
	mark = p2px_kmsg_mark();
	ASSERT_LE(0, mark);
	EXPECT_EQ(-EINVAL, p2px_write_file(allow, "8086:29c0,nonsense"));
	log = p2px_kmsg_collect(mark);
	ASSERT_NE(NULL, log);
	EXPECT_EQ(1, p2px_count_lines(log, "host_bridge_allow")) TH_LOG("%s", log);
	free(log);
	ASSERT_EQ(0, p2px_read_file(allow, val, sizeof(val)));
	EXPECT_STREQ("8086:29c0,1ae0:*:same", val);

	EXPECT_EQ(-EINVAL, p2px_write_file(trust, "perhaps"));
	ASSERT_EQ(0, p2px_read_file(trust, val, sizeof(val)));
	EXPECT_STREQ("N", val);

	/* A zero-length write never reaches the kernel: clear with "\n". */
	ASSERT_EQ(0, p2px_write_file(allow, "\n"));
	ASSERT_EQ(0, p2px_read_file(allow, val, sizeof(val)));
	EXPECT_STREQ("", val);
}

TEST(control_device)
{
	struct p2pdma_ext_info info;
	char version[64];
	struct stat st;
	int fd;

	ensure_loaded(_metadata);
	ASSERT_EQ(0, stat(P2PDMA_EXT_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 0777);
	EXPECT_EQ(0, st.st_uid);

	fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	ASSERT_EQ(0, ioctl(fd, P2PDMA_EXT_IOC_INFO, &info));
	EXPECT_EQ(P2PDMA_EXT_ABI_VERSION, info.abi_version);
	EXPECT_EQ(sizeof(info), info.argsz);
	ASSERT_EQ(0, p2px_read_file(P2PX_SYSFS_MODULE "/version", version,
				    sizeof(version)));
	EXPECT_STREQ(version, info.version);

	/* Too small a structure, and an unknown ioctl, are refused. */
	info.argsz = 4;
	EXPECT_EQ(-1, ioctl(fd, P2PDMA_EXT_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO(P2PDMA_EXT_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

/*
 * What the compile probes found (P2PDMA_EXT_IOC_INFO) against what the
 * running kernel shows, without version numbers: for each feature bit
 * whose kernel fact is visible at run time, the kernel's own symbols
 * (/proc/kallsyms) must agree with the module's answer:
 *
 *   NATIVE_P2PDMA         pci_alloc_p2pmem() is in the kernel (and the
 *                         back end is the native one, else ours)
 *   INVALIDATE_MAPPINGS   dma_buf_invalidate_mappings(), else
 *                         dma_buf_move_notify()
 *   CLASS_CREATE_ONE_ARG  class_create() is a function, else the
 *                         two-argument macro around __class_create()
 *   HOST_BRIDGE_EXPORTED  pci_find_host_bridge() has an export entry
 *                         (__ksymtab_), where the kernel lists them
 *
 * The others are facts of types, macros and inline helpers that leave
 * nothing to look at in a running kernel: NS_STRING (the form of
 * MODULE_IMPORT_NS()), DMA_BUF_NS (that the module loaded with its
 * namespace imports is the run-time evidence), VMAP_IOSYS_MAP,
 * PAGE_PGMAP, FOLIO_FREE, PGMAP_REF_EMBEDDED and VM_FLAGS_SET. They are
 * covered on the host by tools/test-probes.sh, which builds every probe
 * against each kernel's headers and checks the result.
 */
TEST(probes_match_kernel)
{
	enum { NATIVE, INVALIDATE, MOVE_NOTIFY, CLASS_ONE, CLASS_OWNER,
	       HB_EXPORT, KSYMTAB, NSYMS };
	static const char *const names[NSYMS] = {
		[NATIVE] = "pci_alloc_p2pmem",
		[INVALIDATE] = "dma_buf_invalidate_mappings",
		[MOVE_NOTIFY] = "dma_buf_move_notify",
		[CLASS_ONE] = "class_create",
		[CLASS_OWNER] = "__class_create",
		[HB_EXPORT] = "__ksymtab_pci_find_host_bridge",
		/* An export every kernel has: are export entries listed? */
		[KSYMTAB] = "__ksymtab_pci_dev_get",
	};
	struct p2pdma_ext_info info = { .argsz = sizeof(info) };
	unsigned long long f;
	int has[NSYMS];
	int fd;

	ensure_loaded(_metadata);
	fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, P2PDMA_EXT_IOC_INFO, &info));
	close(fd);
	f = info.kernel_features;
	TH_LOG("features 0x%llx, back end %u", f, info.backend);
	ASSERT_EQ(0, p2px_kernel_symbols(names, has, NSYMS));
	/* The module uses one of the two notify interfaces: one exists. */
	ASSERT_TRUE(has[INVALIDATE] || has[MOVE_NOTIFY]) TH_LOG("no kallsyms?");

	EXPECT_EQ(has[NATIVE], !!(f & P2PDMA_EXT_KFEAT_NATIVE_P2PDMA));
	EXPECT_EQ(has[NATIVE] ? P2PDMA_EXT_BACKEND_NATIVE : P2PDMA_EXT_BACKEND_EXT,
		  info.backend);
	EXPECT_EQ(has[INVALIDATE], !!(f & P2PDMA_EXT_KFEAT_INVALIDATE_MAPPINGS));
	EXPECT_NE(has[INVALIDATE], has[MOVE_NOTIFY]);
	EXPECT_EQ(has[CLASS_ONE], !!(f & P2PDMA_EXT_KFEAT_CLASS_CREATE_ONE_ARG));
	EXPECT_NE(has[CLASS_ONE], has[CLASS_OWNER]);
	if (has[KSYMTAB]) {
		EXPECT_EQ(has[HB_EXPORT],
			  !!(f & P2PDMA_EXT_KFEAT_HOST_BRIDGE_EXPORTED));
	} else {
		TH_LOG("kallsyms lists no export entries: HOST_BRIDGE_EXPORTED unchecked");
	}
	/* No bit the UAPI does not define. */
	/* A move_notify option only where move_notify is the callback. */
	if (f & P2PDMA_EXT_KFEAT_DMABUF_MOVE_NOTIFY)
		EXPECT_TRUE(has[MOVE_NOTIFY]);
	EXPECT_EQ(0, f & ~((P2PDMA_EXT_KFEAT_DMABUF_MOVE_NOTIFY << 1) - 1));
}

TEST(taint_only_oot_unsigned)
{
	unsigned long before, after;
	char buf[64];
	const char *c;

	ensure_unloaded(_metadata);
	ASSERT_EQ(0, p2px_read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)));
	before = strtoul(buf, NULL, 10);
	ASSERT_EQ(0, p2px_load(p2px_module_path(), NULL));
	ASSERT_EQ(0, p2px_read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)));
	after = strtoul(buf, NULL, 10);
	EXPECT_EQ(0, (after & ~before) & ~(TAINT_OOT | TAINT_UNSIGNED))
		TH_LOG("taint went from %lu to %lu", before, after);

	ASSERT_EQ(0, p2px_read_file(P2PX_SYSFS_MODULE "/taint", buf, sizeof(buf)));
	EXPECT_NE(NULL, strchr(buf, 'O'));
	for (c = buf; *c; c++)
		EXPECT_TRUE(*c == 'O' || *c == 'E') TH_LOG("module taint '%s'", buf);
}

TEST(bad_parameter_refused)
{
	static const char * const bad[] = {
		"host_bridge_allow=zz:zz",
		"host_bridge_allow=8086",
		"host_bridge_allow=8086:29c0:sometimes",
		"host_bridge_deny=12345:1",
		"trust_all_host_bridges=maybe",
	};
	unsigned int i;

	/* A first load of the boot logs the taint lines: not this test's. */
	ensure_loaded(_metadata);
	ensure_unloaded(_metadata);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int mark = p2px_kmsg_mark();
		char *log;

		ASSERT_LE(0, mark);
		EXPECT_EQ(-EINVAL, p2px_load(p2px_module_path(), bad[i]))
			TH_LOG("%s was accepted", bad[i]);
		EXPECT_FALSE(p2px_module_loaded());
		log = p2px_kmsg_collect(mark);
		ASSERT_NE(NULL, log);
		/* Exactly one clear line naming the module and the value's parameter. */
		EXPECT_EQ(1, p2px_count_lines(log, P2PX_MODULE_NAME))
			TH_LOG("for '%s' the kernel log says:\n%s", bad[i], log);
		free(log);
	}
	/* The module still loads with good values afterwards. */
	ASSERT_EQ(0, p2px_load(p2px_module_path(),
			       "host_bridge_allow=8086:29c0,1ae0:*:same"));
	ASSERT_EQ(0, p2px_unload(P2PX_MODULE_NAME));
}

/* The harness's main() with test selection (p2px_harness.h). */
int main(int argc, char **argv)
{
	return p2px_harness_main(argc, argv);
}
