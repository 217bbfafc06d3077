// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext: copy-in of ioctl argument structures and hand-out of new
 * file descriptors, the same for every command.
 *
 * An argument structure starts with its argsz, the size the caller knows.
 * It is copied in with copy_struct_from_user() semantics: a smaller argsz
 * (down to the structure's first version) gets the newer fields zeroed, a
 * larger one is accepted only if every byte the module does not know is
 * zero (else E2BIG), so old binaries keep working with a newer module and
 * new binaries get a clear error from an older one.
 *
 * A new file descriptor is installed only after everything the command
 * writes back was copied out: a bad pointer leaves no fd behind.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "uarg.h"

/**
 * p2px_get_arg_min() - copy in an ioctl argument that starts with its argsz
 * @arg: receives @size bytes
 * @size: the size of the structure this module knows
 * @minsz: the smallest argsz accepted (the structure's first version)
 * @uarg: the user's structure
 *
 * Return: 0; -EFAULT for an unreadable structure; -EINVAL when its argsz
 * is below @minsz; -E2BIG when it is above P2PX_ARGSZ_MAX or the bytes
 * past @size are not all zero.
 */
int p2px_get_arg_min(void *arg, size_t size, size_t minsz,
		     const void __user *uarg)
{
	u32 argsz;

	if (get_user(argsz, (const u32 __user *)uarg))
		return -EFAULT;
	if (argsz < minsz)
		return -EINVAL;
	if (argsz > P2PX_ARGSZ_MAX)
		return -E2BIG;
	return copy_struct_from_user(arg, size, uarg, argsz);
}

/**
 * p2px_get_arg() - copy in an ioctl argument whose size never changed
 * @arg: receives @size bytes
 * @size: the size of the structure this module knows, also its smallest
 * @uarg: the user's structure
 *
 * Return: as p2px_get_arg_min().
 */
int p2px_get_arg(void *arg, size_t size, const void __user *uarg)
{
	return p2px_get_arg_min(arg, size, size, uarg);
}

/**
 * p2px_install_fd() - give a new file to the caller as a file descriptor
 * @file: the file; its reference goes to the fd, or is dropped on failure
 * @flags: O_CLOEXEC or 0
 * @ufd: where the fd's number is written
 *
 * The number is written first and the fd installed only then, so a
 * caller never gets an fd it was not told about.
 *
 * Context: process context, the caller's files.
 * Return: 0, -EFAULT if @ufd is not writable, or -EMFILE.
 */
int p2px_install_fd(struct file *file, unsigned int flags, s32 __user *ufd)
{
	int fd = get_unused_fd_flags(flags);

	if (fd < 0) {
		fput(file);
		return fd;
	}
	if (put_user(fd, ufd)) {
		put_unused_fd(fd);
		fput(file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}
