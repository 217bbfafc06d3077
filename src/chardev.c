// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext control device: /dev/p2pdma_ext and its ioctls.
 *
 * A misc device, mode 0600 and owned by root: every ioctl either reveals
 * system topology or grants access to device memory, so only root may
 * open it (see include/uapi/linux/p2pdma_ext.h). The commands that grant
 * or take back access to device memory (export, revoke, provider open,
 * export on a provider fd) also need CAP_SYS_RAWIO in the initial user
 * namespace, of the caller and of the opener (p2px_may_grant()); the
 * export is refused under lockdown (dmabuf_ioctl.c). The model and its
 * errnos: Documentation/uapi.rst.
 *
 * Provider fds (P2PDMA_EXT_IOC_PROVIDER_OPEN) are anonymous files, one per
 * open, whose private_data is a PCI function with a reference held until
 * the file is released. They hold the function, not its binding: every
 * export through one checks the binding again under the device lock, as
 * an export through the control device does, so unbind, hot-unplug and
 * revoke work for their dma-bufs as for any other.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/p2pdma_ext.h>

#include "chardev.h"
#include "compat.h"
#include "dmabuf.h"
#include "internal.h"
#include "provider.h"
#include "topology.h"
#include "uarg.h"

/* The structure as ABI version 5 knew it, still accepted. */
#define P2PX_PROVIDER_OPEN_MINSZ \
	offsetofend(struct p2pdma_ext_provider_open, fd)

static long p2px_ioctl_info(void __user *uarg)
{
	struct p2pdma_ext_info info;
	u32 argsz;

	if (get_user(argsz, (u32 __user *)uarg))
		return -EFAULT;
	if (argsz < sizeof(info))
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.abi_version = P2PDMA_EXT_ABI_VERSION;
	info.backend = p2px_native_p2pdma() ? P2PDMA_EXT_BACKEND_NATIVE :
					      P2PDMA_EXT_BACKEND_EXT;
	info.kernel_features = p2px_compat_features();
	strscpy(info.version, P2PDMA_EXT_VERSION, sizeof(info.version));

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/*
 * May the caller, through @file, grant or take back access to device
 * memory? CAP_SYS_RAWIO in the initial user namespace, as for raw I/O
 * port and /dev/mem access: of the caller now (a descriptor kept across
 * setuid() or unshare(CLONE_NEWUSER), or passed to another process, does
 * not carry the right) and of whoever opened @file (a privileged process
 * tricked into issuing a command on an fd it was handed gets nothing).
 */
static bool p2px_may_grant(struct file *file)
{
	return file_ns_capable(file, &init_user_ns, CAP_SYS_RAWIO) &&
	       capable(CAP_SYS_RAWIO);
}

static long p2px_provider_fd_ioctl(struct file *file, unsigned int cmd,
				   unsigned long arg)
{
	if (P2PX_IOC_BASE(cmd) != P2PX_IOC_BASE(P2PDMA_EXT_IOC_DMABUF_EXPORT))
		return -ENOTTY;
	if (!p2px_may_grant(file))
		return -EPERM;
	return p2px_ioctl_dmabuf_export((void __user *)arg, file->private_data);
}

static int p2px_provider_fd_release(struct inode *inode, struct file *file)
{
	pci_dev_put(file->private_data);
	return 0;
}

static const struct file_operations p2px_provider_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = p2px_provider_fd_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = p2px_provider_fd_release,
	.llseek = noop_llseek,
};

static long p2px_ioctl_provider_open(void __user *uarg)
{
	struct p2pdma_ext_provider_open __user *u = uarg;
	struct p2pdma_ext_provider_open arg;
	struct pci_dev *pdev;
	struct file *file;
	bool bound;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != 32 || P2PX_PROVIDER_OPEN_MINSZ != 24);
	ret = p2px_get_arg_min(&arg, sizeof(arg), P2PX_PROVIDER_OPEN_MINSZ,
			       uarg);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved || (arg.open_flags & ~O_CLOEXEC))
		return -EINVAL;

	pdev = p2px_pci_get_by_id(arg.device);
	if (!pdev)
		return -ENODEV;
	device_lock(&pdev->dev);
	bound = p2px_provider_bound(pdev);
	device_unlock(&pdev->dev);
	if (!bound) {
		pci_dev_put(pdev);
		return -ENODEV;
	}
	/* The file owns the reference from here on. */
	file = anon_inode_getfile("[p2pdma_ext-provider]", &p2px_provider_fops,
				  pdev, O_RDWR);
	if (IS_ERR(file)) {
		pci_dev_put(pdev);
		return PTR_ERR(file);
	}
	/* On failure its release drops the reference. */
	return p2px_install_fd(file, arg.open_flags, &u->fd);
}

/*
 * Commands match on type, number and direction, not on the size field:
 * the argument's own argsz tells its size (uarg.c).
 */
static long p2px_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (P2PX_IOC_BASE(cmd)) {
	case P2PX_IOC_BASE(P2PDMA_EXT_IOC_INFO):
		return p2px_ioctl_info(uarg);
	case P2PX_IOC_BASE(P2PDMA_EXT_IOC_TOPO_PAIRS):
		return p2px_ioctl_topo_pairs(uarg);
	case P2PX_IOC_BASE(P2PDMA_EXT_IOC_TOPO_MATRIX):
		return p2px_ioctl_topo_matrix(uarg);
	case P2PX_IOC_BASE(P2PDMA_EXT_IOC_DMABUF_EXPORT):
		if (!p2px_may_grant(file))
			return -EPERM;
		return p2px_ioctl_dmabuf_export(uarg, NULL);
	case P2PX_IOC_BASE(P2PDMA_EXT_IOC_DMABUF_REVOKE):
		if (!p2px_may_grant(file))
			return -EPERM;
		return p2px_ioctl_dmabuf_revoke(uarg);
	case P2PX_IOC_BASE(P2PDMA_EXT_IOC_DMABUF_LIST):
		return p2px_ioctl_dmabuf_list(uarg);
	case P2PX_IOC_BASE(P2PDMA_EXT_IOC_PROVIDER_OPEN):
		if (!p2px_may_grant(file))
			return -EPERM;
		return p2px_ioctl_provider_open(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations p2px_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = p2px_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice p2px_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = P2PX_NAME,
	.fops = &p2px_ctl_fops,
	.mode = 0600,
};

int p2px_chardev_init(void)
{
	return misc_register(&p2px_ctl_dev);
}

void p2px_chardev_exit(void)
{
	misc_deregister(&p2px_ctl_dev);
}
