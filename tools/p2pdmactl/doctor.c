// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdmactl doctor: checks the system for what peer-to-peer DMA with
 * p2pdma_ext needs and prints a verdict with fixes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fmt.h"
#include "uapi/linux/p2pdma_ext.h"

#define MOD_NAME	"p2pdma_ext"
#define TB		BIT_ULL(40)
#define EFI_SECUREBOOT	"/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0f1ebbd7a37"

static int n_fail, n_warn;

static __printf(2, 3) void check(const char *level, const char *fmt, ...);

static void check(const char *level, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(level, "FAIL"))
		n_fail++;
	else if (!strcmp(level, "WARN"))
		n_warn++;
	printf("[%-4s] ", level);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static __printf(1, 2) void remedy_line(const char *fmt, ...);

static void remedy_line(const char *fmt, ...)
{
	va_list ap;

	printf("       fix: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return 0;
}

/* Value of CONFIG_@name in the running kernel's config: 'y', 'm', 'n', or 0 if unknown. */
static char kconfig(const char *name, char *val, size_t vlen)
{
	char path[PATH_MAX], line[512], key[128];
	struct utsname u;
	FILE *f;
	bool pipe = false;
	char ret = 0;

	if (uname(&u))
		return 0;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "re");
	if (!f && access("/proc/config.gz", R_OK) == 0) {
		f = popen("gzip -dc /proc/config.gz 2>/dev/null", "r");
		pipe = true;
	}
	if (!f)
		return 0;
	snprintf(key, sizeof(key), "CONFIG_%s=", name);
	ret = 'n';
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, strlen(key))) {
			char *v = line + strlen(key);

			v[strcspn(v, "\n")] = 0;
			ret = v[0];
			if (val)
				snprintf(val, vlen, "%s", v);
			break;
		}
	}
	if (pipe)
		pclose(f);
	else
		fclose(f);
	return ret;
}

static void check_config(struct p2pdma_ext_info *info, bool have_info)
{
	char c = kconfig("PCI_P2PDMA", NULL, 0);
	bool native;

	if (c == 'y')
		check("OK", "kernel has CONFIG_PCI_P2PDMA=y: P2PDMA is native%s",
		      have_info && info->backend == P2PDMA_EXT_BACKEND_NATIVE ?
		      "; p2pdma_ext delegates to it" : "");
	else if (c)
		check("OK", "kernel lacks CONFIG_PCI_P2PDMA: P2PDMA is provided by p2pdma_ext%s",
		      have_info && info->backend == P2PDMA_EXT_BACKEND_EXT ?
		      " (back end ext)" : "");
	else
		check("INFO",
		      "kernel config not readable (/boot/config-*, /proc/config.gz); back end %s",
		      !have_info ? "unknown" :
		      info->backend == P2PDMA_EXT_BACKEND_NATIVE ? "native" : "ext");
	native = info->backend == P2PDMA_EXT_BACKEND_NATIVE;
	if (c && have_info && native != (c == 'y')) {
		check("FAIL", "module back end does not match the kernel config");
		remedy_line("rebuild p2pdma_ext against this kernel's headers (dkms autoinstall)");
	}
}

static void check_module(struct kmod_ctx *ctx, bool loaded)
{
	struct kmod_list *list = NULL, *info = NULL, *l;
	struct kmod_module *mod;
	struct utsname u;
	char vermagic[256] = "", signer[256] = "";
	int err;

	if (uname(&u))
		return;
	if (!loaded) {
		check("FAIL", "module %s is not loaded", MOD_NAME);
		remedy_line("p2pdmactl load");
	} else {
		check("OK", "module %s is loaded (the kernel accepted its vermagic)", MOD_NAME);
	}
	err = kmod_module_new_from_lookup(ctx, MOD_NAME, &list);
	if (err < 0 || !list) {
		check(loaded ? "WARN" : "FAIL", "module %s not installed for %s%s",
		      MOD_NAME, u.release, loaded ? " (but one is loaded)" : "");
		remedy_line("install p2pdma-ext-dkms (builds the module for every kernel)");
		return;
	}
	mod = kmod_module_get_module(list);
	kmod_module_unref_list(list);
	err = kmod_module_get_info(mod, &info);
	if (err < 0) {
		check("WARN", "cannot read module info of %s: %s",
		      kmod_module_get_path(mod) ?: MOD_NAME, strerror(-err));
		kmod_module_unref(mod);
		return;
	}
	kmod_list_foreach(l, info) {
		const char *k = kmod_module_info_get_key(l);
		const char *v = kmod_module_info_get_value(l);

		if (!k || !v)
			continue;
		if (!strcmp(k, "vermagic"))
			snprintf(vermagic, sizeof(vermagic), "%s", v);
		else if (!strcmp(k, "signer"))
			snprintf(signer, sizeof(signer), "%s", v);
	}
	kmod_module_info_free_list(info);
	if (strncmp(vermagic, u.release, strlen(u.release)) ||
	    (vermagic[strlen(u.release)] != ' ' && vermagic[strlen(u.release)])) {
		check("FAIL", "%s was built for '%s', running kernel is %s",
		      kmod_module_get_path(mod), vermagic, u.release);
		remedy_line("dkms autoinstall (or rebuild with KDIR=/lib/modules/%s/build)",
			    u.release);
	} else {
		check("OK", "%s matches the running kernel (%s)",
		      kmod_module_get_path(mod), u.release);
	}
	if (signer[0])
		check("OK", "module signed by '%s'", signer);
	else
		check("INFO", "module is not signed");
	kmod_module_unref(mod);
}

static void check_secure_boot(void)
{
	unsigned char buf[8];
	char taint[64] = "";
	int fd = open(EFI_SECUREBOOT, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		check("INFO", "Secure Boot: no EFI variable (legacy boot or efivarfs not mounted)");
	} else {
		n = read(fd, buf, sizeof(buf));
		close(fd);
		if (n >= 5 && buf[4] == 1)
			check("INFO",
			      "Secure Boot is on: only modules signed by an enrolled key load (DKMS uses its MOK; mokutil --import)");
		else if (n >= 5)
			check("OK", "Secure Boot is off");
	}
	if (!slurp("/sys/module/" MOD_NAME "/taint", taint, sizeof(taint))) {
		taint[strcspn(taint, "\n")] = 0;
		if (strchr(taint, 'E'))
			check("WARN", "the loaded module is unsigned (taint '%s')", taint);
	}
}

/* IOMMU groups by default domain type: identity (passthrough) or not. */
static void iommu_group_types(int *identity, int *translated)
{
	DIR *d = opendir("/sys/kernel/iommu_groups");
	struct dirent *de;
	char path[PATH_MAX], type[64];

	*identity = 0;
	*translated = 0;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/type", de->d_name);
		if (slurp(path, type, sizeof(type)))
			continue;
		if (!strncmp(type, "identity", 8))
			(*identity)++;
		else
			(*translated)++;
	}
	if (d)
		closedir(d);
}

static void check_iommu(void)
{
	int identity, translated;

	char cmdline[4096] = "";
	DIR *d = opendir("/sys/class/iommu");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	slurp("/proc/cmdline", cmdline, sizeof(cmdline));
	if (!n) {
		check("OK", "no IOMMU active: a bus address is what a device uses for DMA");
		return;
	}
	iommu_group_types(&identity, &translated);
	if (identity && !translated) {
		check("OK", "%d IOMMU(s), every IOMMU group in identity (passthrough) mode", n);
	} else if (!translated &&
		   (strstr(cmdline, "iommu=pt") || strstr(cmdline, "iommu.passthrough=1"))) {
		check("OK", "%d IOMMU(s) in passthrough mode (kernel command line)", n);
	} else {
		check("WARN",
		      "%d IOMMU(s) active and translating: bus addresses are not DMA addresses, p2pdma_ext users refuse",
		      n);
		remedy_line("boot with iommu=pt (or put the devices in an identity domain)");
	}
}

/* Largest end address of "System RAM" in /proc/iomem (0 if unknown). */
static unsigned long long ram_end(void)
{
	FILE *f = fopen("/proc/iomem", "re");
	char line[256];
	unsigned long long s, e, max = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (line[0] != ' ' && strstr(line, "System RAM") &&
		    sscanf(line, "%llx-%llx", &s, &e) == 2 && e > max)
			max = e;
	fclose(f);
	return max;
}

static void check_bars(void)
{
	char cmdline[4096] = "", pad[32] = "", cpu[1 << 16];
	unsigned long long limit, end = ram_end(), worst = 0;
	bool la57, kaslr;
	char worst_dev[NAME_MAX + 1] = "";
	int bits = 46;
	DIR *d;
	struct dirent *de;

	slurp("/proc/cmdline", cmdline, sizeof(cmdline));
	cpu[0] = 0;
	slurp("/proc/cpuinfo", cpu, sizeof(cpu));
	la57 = strstr(cpu, " la57") && !strstr(cmdline, "no5lvl");
	if (la57)
		bits = 52;
	limit = 1ULL << bits;
	kaslr = kconfig("RANDOMIZE_MEMORY", NULL, 0) == 'y' && !strstr(cmdline, "nokaslr");
	if (kaslr && end) {
		unsigned long long p = 0xa;

		if (kconfig("RANDOMIZE_MEMORY_PHYSICAL_PADDING", pad, sizeof(pad)))
			p = strtoull(pad, NULL, 0);
		/* arch/x86/mm/kaslr.c: RAM rounded up to 1 TB plus the padding */
		limit = ((end + TB) / TB + p) * TB;
		if (limit > 1ULL << bits)
			limit = 1ULL << bits;
	}
	d = opendir("/sys/bus/pci/devices");
	while (d && (de = readdir(d))) {
		char path[PATH_MAX], line[128];
		unsigned long long s, e, fl;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%llx %llx %llx", &s, &e, &fl) == 3 &&
			    (fl & 0x200) && e > worst) {	/* IORESOURCE_MEM */
				worst = e;
				snprintf(worst_dev, sizeof(worst_dev), "%s", de->d_name);
			}
		fclose(f);
	}
	if (d)
		closedir(d);
	if (!worst) {
		check("INFO", "no PCI memory BARs found");
		return;
	}
	if (worst >= limit) {
		check("FAIL",
		      "BAR of %s ends at %#llx, above the kernel's direct map limit %#llx (%s%d-bit physical): P2P memory cannot be mapped",
		      worst_dev, worst, limit, kaslr ? "KASLR-reduced, " : "", bits);
		remedy_line(kaslr ?
			    "boot with nokaslr (or move the BAR below the limit in firmware)" :
		    "move the BAR below the limit in firmware");
	} else {
		check("OK",
		      "highest memory BAR (%s, ends %#llx) is below the direct map limit %#llx%s",
		      worst_dev, worst, limit,
		      kaslr ? " (estimated: KASLR on, RAM end rounded up + padding)" : "");
	}
}

static void check_matrix(void)
{
	static uint64_t ids[P2PDMA_EXT_TOPO_MAX_DEVICES];
	struct p2pdma_ext_topo_matrix m = { .argsz = sizeof(m) };
	struct p2pdma_ext_topo_cell *cells;
	int fd, r, c, n, acs = 0, hb = 0, ok = 0, shown_acs = 0, shown_hb = 0;

	fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		check("WARN", "cannot open %s: %s: topology not checked",
		      P2PDMA_EXT_DEVICE, strerror(errno));
		return;
	}
	cells = calloc((size_t)P2PDMA_EXT_TOPO_MAX_DEVICES * P2PDMA_EXT_TOPO_MAX_DEVICES,
		       sizeof(*cells));
	if (!cells) {
		close(fd);
		return;
	}
	m.flags = P2PDMA_EXT_TOPO_M_ALL;
	m.num_devices = P2PDMA_EXT_TOPO_MAX_DEVICES;
	m.devices = (uintptr_t)ids;
	m.cells = (uintptr_t)cells;
	if (ioctl(fd, P2PDMA_EXT_IOC_TOPO_MATRIX, &m)) {
		check("WARN", "TOPO_MATRIX: %s: topology not checked", strerror(errno));
		goto out;
	}
	n = m.num_devices;
	for (r = 0; r < n; r++)
		for (c = 0; c < n; c++) {
			const struct p2pdma_ext_topo_cell *cl = &cells[r * n + c];
			struct p2pdma_ext_topo_pairs q = { .argsz = sizeof(q) };
			struct p2pdma_ext_topo_pair pair = { .client = ids[c] };
			char text[P2PDMA_EXT_EXPLAIN_MAX], a[16], b[16];
			const char *remedy;
			bool is_acs = cl->detour == P2PDMA_EXT_TOPO_REASON_ACS_REDIRECT;
			bool is_hb = cl->reason == P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED;

			if (r == c)
				continue;
			if (cl->map_type != P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED)
				ok++;
			acs += is_acs;
			hb += is_hb;
			if (!((is_acs && !shown_acs) || (is_hb && !shown_hb)))
				continue;
			shown_acs |= is_acs;
			shown_hb |= is_hb;
			q.provider = ids[r];
			q.num_clients = 1;
			q.pair_size = sizeof(pair);
			q.pairs = (uintptr_t)&pair;
			q.text_size = P2PDMA_EXT_EXPLAIN_MAX;
			q.text = (uintptr_t)text;
			if (ioctl(fd, P2PDMA_EXT_IOC_TOPO_PAIRS, &q))
				continue;
			text[P2PDMA_EXT_EXPLAIN_MAX - 1] = 0;
			remedy = find_remedy(text);
			format_bdf(a, sizeof(a), ids[r]);
			format_bdf(b, sizeof(b), ids[c]);
			check("WARN", "%s -> %s: %s (%s)", a, b,
			      is_acs ? "ACS redirect sends the traffic to the host bridge" :
			      "host bridge not in the allowlist", reason_name(cl->reason));
			if (remedy)
				remedy_line("%s", remedy);
		}
	if (acs)
		check("WARN", "%d pair(s) detoured by ACS redirect", acs);
	else
		check("OK", "no pair is detoured by ACS redirect");
	if (hb)
		check("WARN",
		      "%d pair(s) refused: host bridge not in the allowlist (p2pdmactl why A B)",
		      hb);
	else
		check("OK", "allowlist covers every host-bridge path");
	check("INFO", "%d of %d device pairs can do peer-to-peer", ok, n * (n - 1));
out:
	free(cells);
	close(fd);
}

/*
 * On the native back end the module's host bridge parameters govern only
 * its own answers: in-tree drivers that map P2P pages with the kernel's
 * dma_map_sg() follow the kernel's built-in table. One line when set.
 */
static void check_kernel_table(struct p2pdma_ext_info *info, bool have_info)
{
	static const char *const params[] = {
		"host_bridge_allow", "host_bridge_deny", "trust_all_host_bridges",
	};
	char path[128], val[256];
	unsigned int i;
	FILE *f;

	if (!have_info || info->backend != P2PDMA_EXT_BACKEND_NATIVE)
		return;
	for (i = 0; i < ARRAY_SIZE(params); i++) {
		snprintf(path, sizeof(path), "/sys/module/" MOD_NAME "/parameters/%s",
			 params[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(val, sizeof(val), f))
			val[0] = 0;
		fclose(f);
		if (val[0] && val[0] != '\n' && val[0] != 'N')
			break;
	}
	if (i < ARRAY_SIZE(params))
		check("INFO", "%s is set: in-tree drivers using the kernel's dma_map_sg()%s",
		      params[i],
		      " still follow its built-in host bridge table (p2pdmactl why A B)");
}

int cmd_doctor(int argc, char **argv)
{
	struct p2pdma_ext_info info = { .argsz = sizeof(info) };
	struct kmod_ctx *ctx;
	bool loaded, have_info = false;
	int fd;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: p2pdmactl doctor\n"
		       "  Check kernel config, module build and load state, IOMMU,\n"
		       "  ACS redirect, host bridge allowlist, BARs above the direct\n"
		       "  map and Secure Boot; print a verdict and fixes.\n");
		help_footer(stdout, "doctor");
		return EX_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "p2pdmactl: usage: p2pdmactl doctor\n");
		return EX_USAGE;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "p2pdmactl: doctor needs root\n");
		return EX_NOPERM;
	}
	loaded = access("/sys/module/" MOD_NAME "/parameters", F_OK) == 0;
	fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		have_info = ioctl(fd, P2PDMA_EXT_IOC_INFO, &info) == 0;
		close(fd);
	}
	check_config(&info, have_info);
	ctx = kmod_new(NULL, NULL);
	if (ctx) {
		check_module(ctx, loaded);
		kmod_unref(ctx);
	} else {
		check("WARN", "cannot initialise libkmod");
	}
	check_secure_boot();
	check_iommu();
	check_bars();
	if (loaded) {
		check_matrix();
		check_kernel_table(&info, have_info);
	}
	printf("verdict: %s (%d problem(s), %d warning(s))\n",
	       n_fail ? "PROBLEMS" : n_warn ? "WORKS, WITH WARNINGS" : "OK",
	       n_fail, n_warn);
	return n_fail ? EX_DOCTOR : EX_OK;
}
