/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext: the rules every ioctl of the control device follows for its
 * argument structure and the file descriptors it hands out (uarg.c).
 */
#ifndef P2PDMA_EXT_UARG_H
#define P2PDMA_EXT_UARG_H

#include <linux/compiler_types.h>
#include <linux/ioctl.h>
#include <linux/types.h>

struct file;

/* Largest argsz accepted: bytes past the module's structure must be zero. */
#define P2PX_ARGSZ_MAX		4096

/*
 * A command without its size field: structures grow without changing
 * the number a caller built against an older header uses (as in vfio).
 */
#define P2PX_IOC_BASE(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

int p2px_get_arg_min(void *arg, size_t size, size_t minsz,
		     const void __user *uarg);
int p2px_get_arg(void *arg, size_t size, const void __user *uarg);
int p2px_install_fd(struct file *file, unsigned int flags, s32 __user *ufd);

#endif /* P2PDMA_EXT_UARG_H */
