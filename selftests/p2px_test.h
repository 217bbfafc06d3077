/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the p2pdma-ext selftests (in the test VM or on a real
 * machine): finding and loading modules by syscall (the test VM's
 * initramfs has no kmod), unloading them, and reading the kernel log
 * records written since a mark.
 */
#ifndef P2PX_TEST_H
#define P2PX_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define P2PX_MODULE_NAME	"p2pdma_ext"
#define P2PX_SYSFS_MODULE	"/sys/module/" P2PX_MODULE_NAME

/*
 * Where the tests find their modules and devices: environment variables,
 * each documented in Documentation/testing.rst ("Devices and paths"),
 * else discovery on the running system. An empty variable counts as unset.
 */
static inline const char *p2px_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/*
 * @name's file in the running kernel's module tree (DKMS installs there),
 * from modules.dep, into @buf; 0 or -ENOENT.
 */
static inline int p2px_modules_dep(const char *name, char *buf, size_t len)
{
	char path[300], line[1024];
	struct utsname u;
	size_t n = strlen(name);
	int ret = -ENOENT;
	FILE *f;

	if (uname(&u))
		return -errno;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	while (ret && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *base;

		if (!colon)
			continue;
		*colon = 0;
		base = strrchr(line, '/');
		base = base ? base + 1 : line;
		if (!strncmp(base, name, n) && !strncmp(base + n, ".ko", 3) &&
		    (!base[n + 3] || base[n + 3] == '.')) {
			snprintf(buf, len, "/lib/modules/%.64s/%.200s", u.release,
				 line);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/*
 * The file of module @name (p2pdma_ext or a test driver from
 * selftests/drivers): $P2PX_MODULE for p2pdma_ext, else
 * $P2PX_DRIVER_DIR/@name.ko if that file is there, else the running
 * kernel's module tree (modules.dep). The string is valid until the fourth
 * call after this one; a module found nowhere gives
 * "$P2PX_DRIVER_DIR/@name.ko" (or "@name.ko"), which then fails to load
 * with ENOENT.
 */
static inline const char *p2px_driver_path(const char *name)
{
	static char bufs[4][320];
	static unsigned int next;
	const char *dir = p2px_env("P2PX_DRIVER_DIR");
	char *buf = bufs[next++ % 4];
	size_t len = sizeof(bufs[0]);

	if (!strcmp(name, P2PX_MODULE_NAME) && p2px_env("P2PX_MODULE")) {
		snprintf(buf, len, "%s", p2px_env("P2PX_MODULE"));
		return buf;
	}
	snprintf(buf, len, "%s%s%s.ko", dir ? dir : "", dir ? "/" : "", name);
	if (dir && access(buf, F_OK) == 0)
		return buf;
	if (p2px_modules_dep(name, buf, len))
		snprintf(buf, len, "%s%s%s.ko", dir ? dir : "", dir ? "/" : "",
			 name);
	return buf;
}

static inline const char *p2px_module_path(void)
{
	return p2px_driver_path(P2PX_MODULE_NAME);
}

/* What a test says when a test driver's file is missing. */
#define P2PX_DRIVER_HINT \
	"build selftests/drivers and set P2PX_DRIVER_DIR (Documentation/testing.rst)"

/* finit_module(2)'s flag for a compressed module file (Linux 5.17). */
#define P2PX_MODULE_INIT_COMPRESSED_FILE	4

/*
 * finit_module(2) of @path with @params; returns 0 or -errno. A module
 * file installed compressed (.ko.xz, .ko.zst, .ko.gz) is left to the
 * kernel to decompress.
 */
static inline int p2px_load(const char *path, const char *params)
{
	const char *ext = strrchr(path, '.');
	int fd, ret, flags = 0;

	if (ext && (!strcmp(ext, ".xz") || !strcmp(ext, ".zst") ||
		    !strcmp(ext, ".gz")))
		flags = P2PX_MODULE_INIT_COMPRESSED_FILE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", flags);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* Load test driver @name (p2px_driver_path()) with @params. */
static inline int p2px_load_driver(const char *name, const char *params)
{
	return p2px_load(p2px_driver_path(name), params);
}

/* delete_module(2); returns 0 or -errno. */
static inline int p2px_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static inline int p2px_path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static inline int p2px_module_loaded(void)
{
	return p2px_path_exists(P2PX_SYSFS_MODULE);
}

/*
 * Unload the module after its holders (the test drivers an earlier test
 * left loaded): 0 once it is not loaded, else the -errno of the first
 * unload that failed (such as -EWOULDBLOCK while it is in use).
 */
static inline int p2px_unload_module(void)
{
	struct dirent *e;
	int ret = 0;
	DIR *d;

	if (!p2px_module_loaded())
		return 0;
	d = opendir(P2PX_SYSFS_MODULE "/holders");
	while (d && !ret && (e = readdir(d)))
		if (e->d_name[0] != '.')
			ret = p2px_unload(e->d_name);
	if (d)
		closedir(d);
	return ret ? ret : p2px_unload(P2PX_MODULE_NAME);
}

/* Read a small sysfs/procfs file into @buf, newline stripped. */
static inline int p2px_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

/* Write @val to a sysfs file; returns 0 or -errno of the write. */
static inline int p2px_write_file(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/*
 * Kernel log reader: p2px_kmsg_mark() opens /dev/kmsg positioned at the
 * end; p2px_kmsg_collect() then returns the text of every record logged
 * since, one per line (record prefixes dropped) in a malloc'ed string.
 */
static inline int p2px_kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static inline char *p2px_kmsg_collect(int fd)
{
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	char rec[8192];

	if (!out)
		return NULL;
	out[0] = 0;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *text, *end;
		size_t tl;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: skip ahead */
		if (n <= 0)
			break;
		rec[n] = 0;
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		end = strchr(text, '\n');
		if (end)
			*end = 0;
		tl = strlen(text);
		if (len + tl + 2 > cap) {
			char *bigger;

			cap = (len + tl + 2) * 2;
			bigger = realloc(out, cap);
			if (!bigger)
				break;
			out = bigger;
		}
		memcpy(out + len, text, tl);
		len += tl;
		out[len++] = '\n';
		out[len] = 0;
	}
	close(fd);
	return out;
}

/* Number of lines of @log that contain @needle. */
static inline int p2px_count_lines(const char *log, const char *needle)
{
	const char *line = log;
	int count = 0;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[1024];

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = 0;
		if (strstr(buf, needle))
			count++;
		line = end ? end + 1 : NULL;
	}
	return count;
}

/* Ask the test bed's host side (p2px-host): QMP, UNPLUG, REPLUG... */
static inline int host_request(const char *req)
{
	char cmd[256];
	int rc;

	snprintf(cmd, sizeof(cmd), "p2px-host -t 60 %s", req);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

#endif /* P2PX_TEST_H */
