# SPDX-License-Identifier: GPL-2.0
#
# /usr/src/p2pdma-ext-tests-@VERSION@/Makefile (p2pdma-ext-tests): build
# the selftests' test drivers (p2px_edu, p2px_handle, p2px_parity,
# p2px_bench, p2px_upstream) for one kernel, against the p2pdma_ext that
# DKMS built for it (its Module.symvers, kept by the DKMS build):
#
#   make -C /usr/src/p2pdma-ext-tests-@VERSION@ [DEST=DIR] [KDIR=...]
#        [P2PDMA_EXT_SYMVERS=...]
#
# The sources are staged into DEST (default /var/tmp/p2pdma-ext-tests/KREL;
# not O=, which kbuild takes for itself) and built there; the modules land
# in DEST itself, the directory to give the
# tests as P2PX_DRIVER_DIR (/usr/share/doc/p2pdma-ext-tests/testing.rst,
# "Devices and paths").

VERSION := @VERSION@
SRC := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
KDIR ?= /lib/modules/$(shell uname -r)/build
KREL := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
ARCH_DIR ?= $(shell uname -m)
DEST ?= /var/tmp/p2pdma-ext-tests/$(KREL)
P2PDMA_EXT_SYMVERS ?= /var/lib/dkms/p2pdma-ext/$(VERSION)/$(KREL)/$(ARCH_DIR)/Module.symvers

all:
	@test -n "$(KREL)" || { echo "KDIR=$(KDIR) is not a kernel build tree;" \
		"install the kernel headers or pass KDIR=" >&2; exit 1; }
	@test -f "$(P2PDMA_EXT_SYMVERS)" || { echo "no $(P2PDMA_EXT_SYMVERS):" \
		"dkms install p2pdma-ext/$(VERSION) -k $(KREL) first" >&2; exit 1; }
	mkdir -p $(DEST)
	cp -a $(SRC)/Kbuild $(SRC)/include $(SRC)/selftests $(DEST)/
	$(MAKE) -C $(KDIR) M=$(abspath $(DEST)) \
		KBUILD_EXTRA_SYMBOLS=$(P2PDMA_EXT_SYMVERS) modules
	find $(DEST)/selftests -name '*.ko' -exec cp {} $(DEST)/ \;
	@echo "P2PX_DRIVER_DIR=$(DEST)"

.PHONY: all
