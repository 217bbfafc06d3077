// SPDX-License-Identifier: GPL-2.0
/* vm_flags_set(): vma->vm_flags is read-only. */
#include <linux/mm.h>

void p2px_probe(struct vm_area_struct *vma);
void p2px_probe(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_IO);
}
