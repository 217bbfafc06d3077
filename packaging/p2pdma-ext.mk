# SPDX-License-Identifier: GPL-2.0
#
# /usr/share/p2pdma-ext/p2pdma-ext.mk - build a vendor kernel module against
# p2pdma_ext.ko (installed by p2pdma-ext-dev). In the module's Kbuild (or
# the kbuild part of its Makefile):
#
#   include /usr/share/p2pdma-ext/p2pdma-ext.mk
#   obj-m += mydrv.o
#
# and in the C source: #include <linux/p2pdma_ext.h>, P2PDMA_EXT_IMPORT_NS().
#
# A driver written against the upstream names of <linux/pci-p2pdma.h>
# (pci_alloc_p2pmem(), pci_p2pmem_find(), pcim_p2pdma_provider(), ...) sets
#
#   P2PDMA_EXT_UPSTREAM_NAMES := y
#
# before the include line (or P2PDMA_EXT_UPSTREAM_NAMES=y on make's command
# line): the drop-in header in /usr/include/p2pdma-ext/compat then comes
# before the kernel's own include/ and maps those names onto p2pdma_ext.ko
# where the kernel is built without CONFIG_PCI_P2PDMA; where it has it, the
# names stay the kernel's. The source needs no change.
#
# It adds the header path to ccflags-y and the Module.symvers of p2pdma_ext
# to KBUILD_EXTRA_SYMBOLS, so modpost knows the P2PDMA_EXT symbols and their
# CRCs. That Module.symvers is the one DKMS produced when it built
# p2pdma_ext for the target kernel: the DKMS build keeps a copy in
# /var/lib/dkms/p2pdma-ext/VERSION/KERNELRELEASE/ARCH/Module.symvers (it
# goes away with "dkms remove"). The target kernel is the one kbuild builds
# for (KERNELRELEASE), the running kernel outside kbuild. Overrides:
# P2PDMA_EXT_SYMVERS=/path/to/Module.symvers, P2PDMA_EXT_ARCH.

P2PDMA_EXT_VERSION := @VERSION@
P2PDMA_EXT_INCLUDE := /usr/include/p2pdma-ext
P2PDMA_EXT_ARCH ?= $(shell uname -m)
P2PDMA_EXT_KREL = $(or $(KERNELRELEASE),$(shell uname -r))
P2PDMA_EXT_SYMVERS ?= /var/lib/dkms/p2pdma-ext/$(P2PDMA_EXT_VERSION)/$(P2PDMA_EXT_KREL)/$(P2PDMA_EXT_ARCH)/Module.symvers

ccflags-y += -I$(P2PDMA_EXT_INCLUDE)
ifeq ($(P2PDMA_EXT_UPSTREAM_NAMES),y)
# Only NOSTDINC_FLAGS comes before the kernel's include/ (ccflags-y after).
NOSTDINC_FLAGS += -I$(P2PDMA_EXT_INCLUDE)/compat
endif
KBUILD_EXTRA_SYMBOLS += $(P2PDMA_EXT_SYMVERS)

ifneq ($(KERNELRELEASE),)
ifeq ($(wildcard $(P2PDMA_EXT_SYMVERS)),)
$(error p2pdma-ext: no $(P2PDMA_EXT_SYMVERS); build p2pdma_ext for $(KERNELRELEASE) first: dkms install p2pdma-ext/$(P2PDMA_EXT_VERSION) -k $(KERNELRELEASE))
endif
endif
