// SPDX-License-Identifier: GPL-2.0
/* bin_attribute callbacks and group bin_attrs take mutable pointers. */
#include <linux/sysfs.h>
#include <linux/mm.h>

static int p2px_probe_mmap(struct file *filp, struct kobject *kobj,
			   struct bin_attribute *attr,
			   struct vm_area_struct *vma)
{
	return 0;
}

static struct bin_attribute p2px_probe_attr = {
	.mmap = p2px_probe_mmap,
};

static struct bin_attribute *p2px_probe_attrs[] = {
	&p2px_probe_attr,
	NULL,
};

const struct attribute_group p2px_probe_group;
const struct attribute_group p2px_probe_group = {
	.bin_attrs = p2px_probe_attrs,
};
