/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the p2pdma-ext selftests that run inside the test VM:
 * loading and unloading modules by syscall (the initramfs has no kmod) and
 * reading the kernel log records written since a mark.
 */
#ifndef P2PX_TEST_H
#define P2PX_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define P2PX_MODULE_NAME	"p2pdma_ext"
#define P2PX_SYSFS_MODULE	"/sys/module/" P2PX_MODULE_NAME

/* Where the test bed puts the module; P2PX_MODULE overrides it. */
static inline const char *p2px_module_path(void)
{
	const char *p = getenv("P2PX_MODULE");

	return p ? p : "/payload/" P2PX_MODULE_NAME ".ko";
}

/* finit_module(2) of @path with @params; returns 0 or -errno. */
static inline int p2px_load(const char *path, const char *params)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
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
