// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdmactl - load, inspect and diagnose the p2pdma_ext module.
 *
 * Subcommands: load, unload, status, set, topology, why, providers, buffers,
 * doctor.
 * Exit codes are those of fmt.h (EX_*), documented in p2pdmactl.8.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libkmod.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fmt.h"
#include "uapi/linux/p2pdma_ext.h"

#define MOD_NAME	"p2pdma_ext"
#define SYS_MODULE	"/sys/module/" MOD_NAME
#define SYS_PARAMS	SYS_MODULE "/parameters"
#define PCI_DEVICES	"/sys/bus/pci/devices"

static const char *prog = "p2pdmactl";

#define errmsg(...) do {					\
	fprintf(stderr, "%s: ", prog);				\
	fprintf(stderr, __VA_ARGS__);				\
	fputc('\n', stderr);					\
} while (0)

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

static bool module_loaded(void)
{
	struct stat st;

	return stat(SYS_MODULE "/parameters", &st) == 0 ||
	       stat(SYS_MODULE "/initstate", &st) == 0;
}

static int need_root(void)
{
	if (geteuid() != 0) {
		errmsg("this needs root (the control device and module loading are root-only)");
		return EX_NOPERM;
	}
	return 0;
}

/* Opens /dev/p2pdma_ext; on failure prints why and returns -EX_*. */
static int open_ctl(void)
{
	int fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == EACCES || errno == EPERM) {
		errmsg("%s: %s; this needs root", P2PDMA_EXT_DEVICE, strerror(errno));
		return -EX_NOPERM;
	}
	if (!module_loaded()) {
		errmsg("module %s is not loaded; run 'p2pdmactl load'", MOD_NAME);
		return -EX_NOMOD;
	}
	errmsg("%s: %s", P2PDMA_EXT_DEVICE, strerror(errno));
	return -EX_FAIL;
}

static int get_info(int fd, struct p2pdma_ext_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	if (ioctl(fd, P2PDMA_EXT_IOC_INFO, info))
		return -errno;
	info->version[sizeof(info->version) - 1] = 0;
	return 0;
}

/* --- load / unload --------------------------------------------------- */

static void kmod_quiet(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	(void)format;
	(void)args;
}

/* A libkmod context whose own messages are dropped: we report errors. */
static struct kmod_ctx *new_kmod(void)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);

	if (ctx)
		kmod_set_log_fn(ctx, kmod_quiet, NULL);
	return ctx;
}

static const char *insert_error(int err)
{
	switch (err) {
	case -ENOEXEC:
		return "invalid module format: built for another kernel (see 'p2pdmactl doctor')";
	case -EKEYREJECTED:
	case -ENOKEY:
		return "signature rejected: Secure Boot needs a module signed by an enrolled key";
	case -EPERM:
		return "operation not permitted (Secure Boot lockdown or module loading disabled?)";
	case -ENOENT:
		return "unknown symbol or missing dependency; see dmesg";
	case -EINVAL:
		return "invalid argument: a bad parameter value; see dmesg";
	case -ENODEV:
		return "no such device: the kernel lacks what the module needs; see dmesg";
	}
	return strerror(-err);
}

static void usage_load(FILE *f)
{
	fprintf(f, "usage: p2pdmactl load [--module PATH] [PARAM=VALUE...]\n"
		   "  Load p2pdma_ext as modprobe does: the module libkmod finds in\n"
		   "  /lib/modules/$(uname -r), its dependencies and softdeps, the\n"
		   "  options of modprobe.d with PARAM=VALUE appended; refused if\n"
		   "  modprobe.d blacklists it (as modprobe -b). --module PATH\n"
		   "  (development): insert the .ko at PATH with PARAM=VALUE only,\n"
		   "  bypassing modprobe.d.\n");
	help_footer(f, "load");
}

static int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	struct kmod_ctx *ctx;
	struct kmod_module *mod = NULL;
	struct kmod_list *list = NULL;
	const char *conf = NULL;
	char options[4096] = "";
	size_t used = 0;
	int c, i, err, ret = EX_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			path = optarg;
			break;
		case 'h':
			usage_load(stdout);
			return EX_OK;
		default:
			usage_load(stderr);
			return EX_USAGE;
		}
	}
	for (i = optind; i < argc; i++) {
		int n;

		if (check_param_arg(argv[i])) {
			errmsg("load: '%s' is not PARAM=VALUE", argv[i]);
			return EX_USAGE;
		}
		n = snprintf(options + used, sizeof(options) - used, "%s%s",
			     used ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(options) - used) {
			errmsg("load: parameters too long");
			return EX_USAGE;
		}
		used += n;
	}
	err = need_root();
	if (err)
		return err;
	ctx = new_kmod();
	if (!ctx) {
		errmsg("load: cannot initialise libkmod");
		return EX_FAIL;
	}
	if (path) {
		err = kmod_module_new_from_path(ctx, path, &mod);
		if (err < 0) {
			errmsg("load: %s: %s", path, strerror(-err));
			ret = EX_NOMOD;
			goto out;
		}
		errmsg("load: --module bypasses modprobe.d (options, blacklist, softdeps)");
		err = kmod_module_insert_module(mod, 0, options);
	} else {
		err = kmod_module_new_from_lookup(ctx, MOD_NAME, &list);
		if (err < 0 || !list) {
			struct utsname u;

			uname(&u);
			errmsg("load: %s not found for %s; install p2pdma-ext-dkms or use --module",
			       MOD_NAME, u.release);
			ret = EX_NOMOD;
			goto out;
		}
		mod = kmod_module_get_module(list);
		/*
		 * As modprobe: modprobe.d options with ours appended (the last
		 * value of a parameter wins), install commands, dependencies
		 * and softdeps; unlike plain modprobe, a blacklist entry
		 * refuses the module even when named (the admin's intent).
		 */
		err = kmod_module_probe_insert_module(mod, KMOD_PROBE_FAIL_ON_LOADED |
						      KMOD_PROBE_APPLY_BLACKLIST,
						      options, NULL, NULL, NULL);
		conf = kmod_module_get_options(mod);
	}
	if (err > 0) {
		errmsg("load: %s is blacklisted in modprobe.d; remove that line to load it",
		       MOD_NAME);
		ret = EX_FAIL;
	} else if (err == -EEXIST) {
		if (used) {
			errmsg("load: %s is already loaded; parameters not applied (use 'set')",
			       MOD_NAME);
			ret = EX_FAIL;
		} else {
			printf("%s is already loaded\n", MOD_NAME);
		}
	} else if (err < 0) {
		errmsg("load: %s: %s", kmod_module_get_path(mod) ?: MOD_NAME,
		       insert_error(err));
		ret = err == -ENOEXEC ? EX_KERNEL : EX_FAIL;
	} else {
		printf("loaded %s%s%s%s%s\n", kmod_module_get_path(mod) ?: MOD_NAME,
		       conf && *conf ? " " : "", conf ?: "", used ? " " : "", options);
	}
out:
	if (mod)
		kmod_module_unref(mod);
	if (list)
		kmod_module_unref_list(list);
	kmod_unref(ctx);
	return ret;
}

static int cmd_unload(int argc, char **argv)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod;
	int err, ret = EX_OK;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: p2pdmactl unload\n  Unload p2pdma_ext.\n");
		help_footer(stdout, "unload");
		return EX_OK;
	}
	if (argc > 1) {
		errmsg("unload: takes no arguments");
		return EX_USAGE;
	}
	if (!module_loaded()) {
		errmsg("unload: %s is not loaded", MOD_NAME);
		return EX_NOMOD;
	}
	err = need_root();
	if (err)
		return err;
	ctx = new_kmod();
	if (!ctx) {
		errmsg("unload: cannot initialise libkmod");
		return EX_FAIL;
	}
	err = kmod_module_new_from_name(ctx, MOD_NAME, &mod);
	if (err < 0) {
		errmsg("unload: %s", strerror(-err));
		kmod_unref(ctx);
		return EX_FAIL;
	}
	err = kmod_module_remove_module(mod, 0);
	if (err == -ENOENT) {
		errmsg("unload: %s is not loaded", MOD_NAME);
		ret = EX_NOMOD;
	} else if (err == -EBUSY || err == -EAGAIN) {
		struct kmod_list *holders = kmod_module_get_holders(mod), *l;

		fprintf(stderr, "%s: unload: %s is in use", prog, MOD_NAME);
		kmod_list_foreach(l, holders) {
			struct kmod_module *h = kmod_module_get_module(l);

			fprintf(stderr, "%s %s", l == holders ? " by" : ",",
				kmod_module_get_name(h));
			kmod_module_unref(h);
		}
		fputc('\n', stderr);
		kmod_module_unref_list(holders);
		ret = EX_FAIL;
	} else if (err < 0) {
		errmsg("unload: %s", strerror(-err));
		ret = EX_FAIL;
	} else {
		printf("unloaded %s\n", MOD_NAME);
	}
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return ret;
}

/* --- status / set -------------------------------------------------------- */

static int cmd_status(int argc, char **argv)
{
	struct p2pdma_ext_info info;
	bool json = false, have_info = false;
	struct json j;
	char buf[4096], path[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int fd, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: p2pdmactl status [--json]\n"
			       "  Whether p2pdma_ext is loaded, its version, back end\n"
			       "  (native or ext; without root: unknown) and current\n"
			       "  parameter values.\n");
			help_footer(stdout, "status");
			return EX_OK;
		}
		if (strcmp(argv[i], "--json")) {
			errmsg("status: unknown argument '%s'", argv[i]);
			return EX_USAGE;
		}
		json = true;
	}
	if (!module_loaded()) {
		if (json) {
			json_init(&j, stdout);
			json_obj_begin(&j, NULL);
			json_bool(&j, "loaded", false);
			json_obj_end(&j);
			json_finish(&j);
		} else {
			printf("module: %s not loaded\n", MOD_NAME);
		}
		return EX_NOMOD;
	}
	fd = open(P2PDMA_EXT_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		have_info = get_info(fd, &info) == 0;
		close(fd);
	}
	if (json) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_bool(&j, "loaded", true);
	} else {
		printf("module: %s loaded\n", MOD_NAME);
	}
	if (have_info) {
		const char *be = info.backend == P2PDMA_EXT_BACKEND_NATIVE ? "native" :
				 info.backend == P2PDMA_EXT_BACKEND_EXT ? "ext" : "unknown";

		if (json) {
			json_str(&j, "version", info.version);
			json_int(&j, "abi_version", info.abi_version);
			json_str(&j, "backend", be);
			json_int(&j, "kernel_features", (long long)info.kernel_features);
		} else {
			printf("version: %s (ABI %u)\n", info.version, info.abi_version);
			printf("backend: %s (%s)\n", be,
			       info.backend == P2PDMA_EXT_BACKEND_NATIVE ?
			       "the kernel's CONFIG_PCI_P2PDMA" : "provided by p2pdma_ext");
		}
	} else {
		if (read_file(SYS_MODULE "/version", buf, sizeof(buf)))
			buf[0] = 0;
		if (json) {
			json_str(&j, "version", buf[0] ? buf : NULL);
			json_null(&j, "backend");
		} else {
			printf("version: %s\nbackend: unknown (%s: %s; root needed)\n",
			       buf[0] ? buf : "unknown", P2PDMA_EXT_DEVICE,
			       strerror(errno));
		}
	}
	if (json)
		json_obj_begin(&j, "parameters");
	else
		printf("parameters:\n");
	d = opendir(SYS_PARAMS);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SYS_PARAMS "/%s", de->d_name);
		if (read_file(path, buf, sizeof(buf)))
			snprintf(buf, sizeof(buf), "?");
		if (json)
			json_str(&j, de->d_name, buf);
		else
			printf("  %s = %s\n", de->d_name, buf);
	}
	if (d)
		closedir(d);
	if (json) {
		json_obj_end(&j);
		json_obj_end(&j);
		if (json_finish(&j))
			return EX_FAIL;
	}
	return EX_OK;
}

static int cmd_set(int argc, char **argv)
{
	char path[PATH_MAX];
	const char *val;
	ssize_t n;
	size_t len;
	int fd, err;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: p2pdmactl set PARAM VALUE\n"
		       "  Change a runtime parameter of p2pdma_ext (host_bridge_allow,\n"
		       "  host_bridge_deny, trust_all_host_bridges, provider_bars).\n");
		help_footer(stdout, "set");
		return EX_OK;
	}
	if (argc != 3 || check_param_name(argv[1])) {
		errmsg("usage: p2pdmactl set PARAM VALUE");
		return EX_USAGE;
	}
	if (!module_loaded()) {
		errmsg("set: module %s is not loaded", MOD_NAME);
		return EX_NOMOD;
	}
	snprintf(path, sizeof(path), SYS_PARAMS "/%s", argv[1]);
	if (access(path, F_OK)) {
		errmsg("set: %s has no parameter '%s'", MOD_NAME, argv[1]);
		return EX_USAGE;
	}
	err = need_root();
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		errmsg("set: %s: %s", path, strerror(errno));
		return errno == EACCES ? EX_NOPERM : EX_FAIL;
	}
	/* sysfs ignores an empty write: clear a value with a newline */
	val = argv[2][0] ? argv[2] : "\n";
	len = strlen(val);
	n = write(fd, val, len);
	if (n < 0 || (size_t)n != len) {
		err = n < 0 ? errno : EIO;
		close(fd);
		errmsg("set: the kernel refused %s=%s: %s (errno %d)%s", argv[1],
		       argv[2], strerror(err), err,
		       err == EINVAL ? "; see dmesg for the reason" : "");
		return EX_FAIL;
	}
	if (close(fd)) {
		errmsg("set: %s: %s", path, strerror(errno));
		return EX_FAIL;
	}
	printf("%s = %s\n", argv[1], argv[2]);
	return EX_OK;
}

/* --- topology ------------------------------------------------------------ */

struct pcidev {
	uint64_t id;
	char bdf[16];
	unsigned int vendor, device;
};

static int read_hex_attr(const char *bdf, const char *attr, unsigned int *val)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	*val = (unsigned int)strtoul(buf, NULL, 16);
	return 0;
}

static void fill_dev(struct pcidev *d, uint64_t id)
{
	d->id = id;
	format_bdf(d->bdf, sizeof(d->bdf), id);
	if (read_hex_attr(d->bdf, "vendor", &d->vendor))
		d->vendor = 0xffff;
	if (read_hex_attr(d->bdf, "device", &d->device))
		d->device = 0xffff;
}

static uint64_t spec_id(const struct dev_spec *s)
{
	return P2PDMA_EXT_DEVID(s->domain, s->bus, s->devfn);
}

/* Resolves specs to devices (deduplicated); returns count or -EX_*. */
static int resolve_devs(char **specs, int n, struct pcidev *out, int max)
{
	int i, cnt = 0, k;
	struct dev_spec s;

	for (i = 0; i < n; i++) {
		if (parse_dev_spec(specs[i], &s)) {
			errmsg("'%s' is neither a BDF (0000:01:00.0) nor vendor:device (1af4:1110)",
			       specs[i]);
			return -EX_USAGE;
		}
		if (s.kind == DEV_SPEC_BDF) {
			char path[PATH_MAX], bdf[16];

			format_bdf(bdf, sizeof(bdf), spec_id(&s));
			snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
			if (access(path, F_OK)) {
				errmsg("no PCI device %s", bdf);
				return -EX_USAGE;
			}
			for (k = 0; k < cnt && out[k].id != spec_id(&s); k++)
				;
			if (k == cnt && cnt < max)
				fill_dev(&out[cnt++], spec_id(&s));
		} else {
			DIR *d = opendir(PCI_DEVICES);
			struct dirent *de;
			int found = 0;

			while (d && (de = readdir(d))) {
				struct dev_spec b;
				unsigned int v, dv;

				if (parse_dev_spec(de->d_name, &b) ||
				    read_hex_attr(de->d_name, "vendor", &v) ||
				    read_hex_attr(de->d_name, "device", &dv))
					continue;
				if (v != s.vendor || (s.device != ~0u && dv != s.device))
					continue;
				found++;
				for (k = 0; k < cnt && out[k].id != spec_id(&b); k++)
					;
				if (k == cnt && cnt < max)
					fill_dev(&out[cnt++], spec_id(&b));
			}
			if (d)
				closedir(d);
			if (!found) {
				errmsg("no PCI device matches %s", specs[i]);
				return -EX_USAGE;
			}
		}
	}
	return cnt;
}

/* Runs TOPO_MATRIX; @devs/@n in: chosen set (n 0: all), out: the set. */
static int get_matrix(int fd, struct pcidev *devs, int *n,
		      struct p2pdma_ext_topo_cell **cellsp)
{
	struct p2pdma_ext_topo_matrix m = { .argsz = sizeof(m) };
	uint64_t ids[P2PDMA_EXT_TOPO_MAX_DEVICES];
	struct p2pdma_ext_topo_cell *cells;
	int i, cap = *n ? *n : P2PDMA_EXT_TOPO_MAX_DEVICES;

	cells = calloc((size_t)cap * cap, sizeof(*cells));
	if (!cells) {
		errmsg("out of memory");
		return -EX_FAIL;
	}
	for (i = 0; i < *n; i++)
		ids[i] = devs[i].id;
	m.flags = *n ? 0 : P2PDMA_EXT_TOPO_M_ALL;
	m.num_devices = cap;
	m.devices = (uintptr_t)ids;
	m.cells = (uintptr_t)cells;
	if (ioctl(fd, P2PDMA_EXT_IOC_TOPO_MATRIX, &m)) {
		errmsg("topology: TOPO_MATRIX: %s", strerror(errno));
		free(cells);
		return errno == ENODEV ? -EX_USAGE : -EX_FAIL;
	}
	if (!*n) {
		for (i = 0; i < (int)m.num_devices; i++)
			fill_dev(&devs[i], ids[i]);
		*n = m.num_devices;
		/* the cells were laid out for num_devices, not cap */
	}
	*cellsp = cells;
	return 0;
}

static enum cell_color map_color(unsigned int map)
{
	switch (map) {
	case P2PDMA_EXT_TOPO_MAP_BUS_ADDR:
		return COLOR_GREEN;
	case P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE:
		return COLOR_YELLOW;
	}
	return COLOR_RED;
}

static void usage_topology(FILE *f)
{
	fprintf(f, "usage: p2pdmactl topology [--json] [DEV...]\n"
		   "  The peer-to-peer matrix of all PCI functions, or of DEV...\n"
		   "  (BDF like 0000:01:00.0 or vendor:device like 1af4:1110).\n"
		   "  Cell: distance and map type (bus = by PCI bus address,\n"
		   "  hb = through the host bridge, no = not supported); row =\n"
		   "  provider, column = client.\n");
	help_footer(f, "topology");
}

static int cmd_topology(int argc, char **argv)
{
	static struct pcidev devs[P2PDMA_EXT_TOPO_MAX_DEVICES];
	struct p2pdma_ext_topo_cell *cells = NULL;
	bool json = false;
	char **specs;
	int i, n = 0, nspec = 0, fd, r, c, ret = EX_OK;

	specs = calloc(argc, sizeof(*specs));
	if (!specs)
		return EX_FAIL;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage_topology(stdout);
			free(specs);
			return EX_OK;
		}
		if (!strcmp(argv[i], "--json")) {
			json = true;
			continue;
		}
		if (argv[i][0] == '-') {
			usage_topology(stderr);
			free(specs);
			return EX_USAGE;
		}
		specs[nspec++] = argv[i];
	}
	if (nspec) {
		n = resolve_devs(specs, nspec, devs, P2PDMA_EXT_TOPO_MAX_DEVICES);
		if (n < 0) {
			free(specs);
			return -n;
		}
	}
	free(specs);
	fd = open_ctl();
	if (fd < 0)
		return -fd;
	r = get_matrix(fd, devs, &n, &cells);
	close(fd);
	if (r)
		return -r;
	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_arr_begin(&j, "devices");
		for (i = 0; i < n; i++) {
			char id[16];

			json_obj_begin(&j, NULL);
			json_str(&j, "bdf", devs[i].bdf);
			snprintf(id, sizeof(id), "%04x:%04x", devs[i].vendor, devs[i].device);
			json_str(&j, "id", id);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_arr_begin(&j, "pairs");
		for (r = 0; r < n; r++)
			for (c = 0; c < n; c++) {
				const struct p2pdma_ext_topo_cell *cl = &cells[r * n + c];

				json_obj_begin(&j, NULL);
				json_str(&j, "provider", devs[r].bdf);
				json_str(&j, "client", devs[c].bdf);
				json_int(&j, "distance", cl->distance);
				json_str(&j, "map_type", map_type_name(cl->map_type));
				json_str(&j, "reason", reason_name(cl->reason));
				json_str(&j, "detour", reason_name(cl->detour));
				json_obj_end(&j);
			}
		json_arr_end(&j);
		json_obj_end(&j);
		if (json_finish(&j))
			ret = EX_FAIL;
	} else {
		struct table t;
		char cell[32];

		if (n + 1 > TABLE_MAX_ROWS || n + 1 > TABLE_MAX_COLS) {
			errmsg("topology: %d devices: too many for a table; pick DEV or --json",
			       n);
			free(cells);
			return EX_USAGE;
		}
		table_init(&t);
		ret = table_set(&t, 0, 0, "provider\\client", COLOR_NONE);
		for (i = 0; i < n && !ret; i++) {
			ret |= table_set(&t, 0, i + 1, devs[i].bdf, COLOR_NONE);
			ret |= table_set(&t, i + 1, 0, devs[i].bdf, COLOR_NONE);
		}
		for (r = 0; r < n && !ret; r++)
			for (c = 0; c < n && !ret; c++) {
				const struct p2pdma_ext_topo_cell *cl = &cells[r * n + c];

				if (cl->distance < 0)
					snprintf(cell, sizeof(cell), "- %s",
						 map_type_short(cl->map_type));
				else
					snprintf(cell, sizeof(cell), "%d %s", cl->distance,
						 map_type_short(cl->map_type));
				ret = table_set(&t, r + 1, c + 1, cell,
						map_color(cl->map_type));
			}
		if (!ret)
			ret = table_print(&t, stdout, isatty(STDOUT_FILENO));
		table_free(&t);
		ret = ret ? EX_FAIL : EX_OK;
	}
	free(cells);
	return ret;
}

/* --- why ------------------------------------------------------------------ */

static int query_pair(int fd, uint64_t provider, uint64_t client,
		      struct p2pdma_ext_topo_pair *pair, char *text)
{
	struct p2pdma_ext_topo_pairs q = { .argsz = sizeof(q) };

	memset(pair, 0, sizeof(*pair));
	pair->client = client;
	q.provider = provider;
	q.num_clients = 1;
	q.pair_size = sizeof(*pair);
	q.pairs = (uintptr_t)pair;
	q.text_size = P2PDMA_EXT_EXPLAIN_MAX;
	q.text = (uintptr_t)text;
	if (ioctl(fd, P2PDMA_EXT_IOC_TOPO_PAIRS, &q))
		return -errno;
	text[P2PDMA_EXT_EXPLAIN_MAX - 1] = 0;
	return 0;
}

static int cmd_why(int argc, char **argv)
{
	struct p2pdma_ext_topo_pair pair;
	struct pcidev devs[2];
	char text[P2PDMA_EXT_EXPLAIN_MAX], *args[2];
	const char *remedy;
	bool json = false;
	int i, na = 0, fd, err, n;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: p2pdmactl why [--json] PROVIDER CLIENT\n"
			       "  Why PROVIDER's memory can (not) be used by CLIENT\n"
			       "  peer-to-peer, and what would change it.\n");
			help_footer(stdout, "why");
			return EX_OK;
		} else if (na < 2 && argv[i][0] != '-') {
			args[na++] = argv[i];
		} else {
			na = 3;
			break;
		}
	}
	if (na != 2) {
		errmsg("usage: p2pdmactl why [--json] PROVIDER CLIENT");
		return EX_USAGE;
	}
	for (i = 0; i < 2; i++) {
		n = resolve_devs(&args[i], 1, &devs[i], 1);
		if (n < 0)
			return -n;
	}
	fd = open_ctl();
	if (fd < 0)
		return -fd;
	err = query_pair(fd, devs[0].id, devs[1].id, &pair, text);
	close(fd);
	if (err) {
		errmsg("why: TOPO_PAIRS: %s", strerror(-err));
		return EX_FAIL;
	}
	remedy = find_remedy(text);
	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_str(&j, "provider", devs[0].bdf);
		json_str(&j, "client", devs[1].bdf);
		json_int(&j, "distance", pair.distance);
		json_str(&j, "map_type", map_type_name(pair.map_type));
		json_str(&j, "reason", reason_name(pair.reason));
		json_str(&j, "detour", reason_name(pair.detour));
		json_int(&j, "acs_count", pair.acs_count);
		json_str(&j, "explanation", text);
		json_str(&j, "remedy", remedy);
		json_obj_end(&j);
		return json_finish(&j) ? EX_FAIL : EX_OK;
	}
	printf("%s -> %s: %s, distance %d\n", devs[0].bdf, devs[1].bdf,
	       map_type_name(pair.map_type), pair.distance);
	printf("reason: %s", reason_name(pair.reason));
	if (pair.detour)
		printf(" (detour: %s)", reason_name(pair.detour));
	printf("\n%s\n", text);
	if (remedy)
		printf("to change it: %s\n", remedy);
	return EX_OK;
}

/* --- providers ----------------------------------------------------------- */

static int cmd_providers(int argc, char **argv)
{
	bool json = false;
	struct json j;
	struct table t;
	DIR *d;
	struct dirent *de;
	int i, row = 1, ret = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: p2pdmactl providers [--json]\n"
			       "  PCI devices with peer-to-peer memory (p2pmem/ in sysfs):\n"
			       "  size, available bytes, published.\n");
			help_footer(stdout, "providers");
			return EX_OK;
		}
		if (strcmp(argv[i], "--json")) {
			errmsg("providers: unknown argument '%s'", argv[i]);
			return EX_USAGE;
		}
		json = true;
	}
	d = opendir(PCI_DEVICES);
	if (!d) {
		errmsg("%s: %s", PCI_DEVICES, strerror(errno));
		return EX_FAIL;
	}
	table_init(&t);
	if (json) {
		json_init(&j, stdout);
		json_arr_begin(&j, NULL);
	} else {
		ret |= table_set(&t, 0, 0, "device", COLOR_NONE);
		ret |= table_set(&t, 0, 1, "size", COLOR_NONE);
		ret |= table_set(&t, 0, 2, "available", COLOR_NONE);
		ret |= table_set(&t, 0, 3, "published", COLOR_NONE);
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX], sz[64], av[64], pub[64];
		const char *base = PCI_DEVICES;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/p2pmem/size", base, de->d_name);
		if (read_file(path, sz, sizeof(sz)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/p2pmem/available", base, de->d_name);
		if (read_file(path, av, sizeof(av)))
			snprintf(av, sizeof(av), "?");
		snprintf(path, sizeof(path), "%s/%s/p2pmem/published", base, de->d_name);
		if (read_file(path, pub, sizeof(pub)))
			snprintf(pub, sizeof(pub), "?");
		if (json) {
			json_obj_begin(&j, NULL);
			json_str(&j, "bdf", de->d_name);
			json_int(&j, "size", strtoll(sz, NULL, 0));
			json_int(&j, "available", strtoll(av, NULL, 0));
			json_bool(&j, "published", pub[0] == '1' || pub[0] == 'Y');
			json_obj_end(&j);
		} else if (row < TABLE_MAX_ROWS) {
			ret |= table_set(&t, row, 0, de->d_name, COLOR_NONE);
			ret |= table_set(&t, row, 1, sz, COLOR_NONE);
			ret |= table_set(&t, row, 2, av, COLOR_NONE);
			ret |= table_set(&t, row, 3, pub, COLOR_NONE);
			row++;
		}
	}
	closedir(d);
	if (json) {
		json_arr_end(&j);
		ret |= json_finish(&j);
	} else if (row == 1) {
		printf("no PCI device has p2pmem (bind one to p2pdma_ext_provider, see README)\n");
	} else {
		ret |= table_print(&t, stdout, false);
	}
	table_free(&t);
	return ret ? EX_FAIL : EX_OK;
}

/* --- buffers -------------------------------------------------------------- */

/* Every exported dma-buf: *@out (free it) gets *@n entries; 0 or -EX_*. */
static int list_dmabufs(int fd, struct p2pdma_ext_dmabuf_info **out,
			unsigned int *n)
{
	struct p2pdma_ext_dmabuf_list l;
	struct p2pdma_ext_dmabuf_info *e = NULL, *ne;
	unsigned int cap = 0;
	int tries;

	/* Buffers may come and go between calls: retry with more room. */
	for (tries = 0; tries < 8; tries++) {
		memset(&l, 0, sizeof(l));
		l.argsz = sizeof(l);
		l.entry_size = sizeof(*e);
		l.count = cap;
		l.entries = (uintptr_t)e;
		if (ioctl(fd, P2PDMA_EXT_IOC_DMABUF_LIST, &l)) {
			errmsg("buffers: DMABUF_LIST: %s%s", strerror(errno),
			       errno == ENOTTY ? " (module older than ABI 4)" : "");
			free(e);
			return -EX_FAIL;
		}
		if (l.total <= l.count || cap == P2PDMA_EXT_DMABUF_LIST_MAX) {
			*out = e;
			*n = l.count;
			return 0;
		}
		cap = l.total + 8 < P2PDMA_EXT_DMABUF_LIST_MAX ?
		      l.total + 8 : P2PDMA_EXT_DMABUF_LIST_MAX;
		ne = realloc(e, (size_t)cap * sizeof(*e));
		if (!ne) {
			errmsg("out of memory");
			free(e);
			return -EX_FAIL;
		}
		e = ne;
	}
	errmsg("buffers: the list keeps changing; try again");
	free(e);
	return -EX_FAIL;
}

/* Processes holding a file descriptor of a dma-buf: matched by inode. */
static void find_holders(struct buf_row *rows, unsigned int n)
{
	DIR *proc = opendir("/proc"), *fds;
	struct dirent *pe, *fe;

	while (n && proc && (pe = readdir(proc))) {
		char path[PATH_MAX], link[64], comm[sizeof(rows->holders[0].comm)];
		int pid = atoi(pe->d_name);
		unsigned int i, k;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (read_file(path, comm, sizeof(comm)))
			snprintf(comm, sizeof(comm), "?");
		while ((fe = readdir(fds))) {
			struct stat st;
			ssize_t len;

			snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, fe->d_name);
			len = readlink(path, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = 0;
			/* dma-bufs are named "/dmabuf:NAME" in /proc */
			if (strncmp(link, "/dmabuf:", 8) || stat(path, &st))
				continue;
			for (i = 0; i < n; i++) {
				struct buf_row *r = &rows[i];

				if (r->info->ino != (uint64_t)st.st_ino)
					continue;
				for (k = 0; k < r->nr_holders && k < BUF_MAX_HOLDERS; k++)
					if (r->holders[k].pid == pid)
						break;
				if (k < r->nr_holders)
					break;	/* this process again */
				if (k < BUF_MAX_HOLDERS) {
					r->holders[k].pid = pid;
					memcpy(r->holders[k].comm, comm, sizeof(comm));
				}
				r->nr_holders++;
				break;
			}
		}
		closedir(fds);
	}
	if (proc)
		closedir(proc);
}

static void usage_buffers(FILE *f)
{
	fprintf(f, "usage: p2pdmactl buffers [--json]\n"
		   "  The dma-bufs p2pdma_ext exported: id (inode number), provider,\n"
		   "  BAR, size, ranges, exporter (ioctl or kernel API), live or\n"
		   "  revoked, live mappings, importers (device, mapped) and the\n"
		   "  processes holding a file descriptor of it.\n");
	help_footer(f, "buffers");
}

static int cmd_buffers(int argc, char **argv)
{
	struct p2pdma_ext_dmabuf_info *infos = NULL;
	struct buf_row *rows = NULL;
	bool json = false;
	unsigned int i, n = 0;
	int fd, r, ret = EX_OK;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage_buffers(stdout);
			return EX_OK;
		}
		if (strcmp(argv[i], "--json")) {
			errmsg("buffers: unknown argument '%s'", argv[i]);
			usage_buffers(stderr);
			return EX_USAGE;
		}
		json = true;
	}
	fd = open_ctl();
	if (fd < 0)
		return -fd;
	r = list_dmabufs(fd, &infos, &n);
	close(fd);
	if (r)
		return -r;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		errmsg("out of memory");
		free(infos);
		return EX_FAIL;
	}
	for (i = 0; i < n; i++)
		rows[i].info = &infos[i];
	find_holders(rows, n);
	if (json) {
		struct json j;

		json_init(&j, stdout);
		buffers_json(&j, rows, n);
		if (json_finish(&j))
			ret = EX_FAIL;
	} else if (!n) {
		printf("no dma-buf exported by %s\n", MOD_NAME);
	} else {
		struct table t;

		table_init(&t);
		r = buffers_table(&t, rows, n);
		if (r < 0 || table_print(&t, stdout, isatty(STDOUT_FILENO)))
			ret = EX_FAIL;
		else if ((unsigned int)r < n)
			printf("(%u more; see --json)\n", n - r);
		table_free(&t);
	}
	free(rows);
	free(infos);
	return ret;
}

/* --- main --------------------------------------------------------------- */

/*
 * Per command: whether it needs root and the exit codes it can return
 * (printed by "COMMAND --help"; the man page lists the same, which
 * tests/cli_test.sh checks).
 */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
	bool root;
	const char *exits;
} cmds[] = {
	{ "load", cmd_load, "load the module as modprobe [--module PATH] [PARAM=VALUE...]", true,
	  "0 loaded (or already loaded), 1 the kernel refused or modprobe.d\n"
	  "  blacklists it, 2 usage,\n"
	  "  3 module not found, 4 needs root, 5 built for another kernel" },
	{ "unload", cmd_unload, "unload the module", true,
	  "0 unloaded, 1 in use or refused, 2 usage, 3 not loaded,\n  4 needs root" },
	{ "status", cmd_status, "loaded?, version, back end, parameters [--json]", false,
	  "0 loaded, 1 output error, 2 usage, 3 not loaded" },
	{ "set", cmd_set, "set a runtime parameter: set PARAM VALUE", true,
	  "0 set, 1 the kernel refused the value, 2 usage or unknown\n"
	  "  parameter, 3 not loaded, 4 needs root" },
	{ "topology", cmd_topology, "peer-to-peer matrix [--json] [DEV...]", true,
	  "0 ok, 1 failed, 2 usage or no such device, 3 not loaded,\n  4 needs root" },
	{ "why", cmd_why, "explain one pair: why [--json] PROVIDER CLIENT", true,
	  "0 ok, 1 failed, 2 usage or no such device, 3 not loaded,\n  4 needs root" },
	{ "providers", cmd_providers, "devices with p2pmem [--json]", false,
	  "0 ok (also when there is none), 1 failed, 2 usage" },
	{ "buffers", cmd_buffers, "exported dma-bufs and their importers [--json]", true,
	  "0 ok (also when there is none), 1 failed, 2 usage, 3 not loaded,\n"
	  "  4 needs root" },
	{ "doctor", cmd_doctor, "check the system and suggest fixes", true,
	  "0 no FAIL finding, 1 output error, 2 usage, 4 needs root,\n  6 at least one FAIL" },
};

void help_footer(FILE *f, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			fprintf(f, "  root: %s\n  exit codes: %s\n",
				cmds[i].root ? "needed" : "not needed", cmds[i].exits);
}

static void print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: p2pdmactl COMMAND [ARGS...]   (p2pdmactl COMMAND --help)\n\n");
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n"
		   "exit codes: 0 ok, 1 failed, 2 usage, 3 module not loaded/found,\n"
		   "4 needs root, 5 kernel unsupported, 6 doctor found problems\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		print_usage(stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		print_usage(stdout);
		return EX_OK;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			int ret = cmds[i].fn(argc - 1, argv + 1);

			if (fflush(stdout) && ret == EX_OK)
				ret = EX_FAIL;
			return ret;
		}
	errmsg("unknown command '%s'", argv[1]);
	print_usage(stderr);
	return EX_USAGE;
}
