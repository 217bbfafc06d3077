# SPDX-License-Identifier: GPL-2.0
#
# p2pdma-ext top-level Makefile.
#
#   make                 build p2pdma_ext.ko for KDIR (default: the running kernel)
#   make matrix          build for Debian 5.10, 6.1, 6.12 and 7.2 with W=1
#   make check           everything: host tests, matrix, VM selftests (the README's test command)
#   make demo            boot the "switch" test bed on 6.1 and show the module at work
#   make bench           time p2pdma_ext against the kernel's P2PDMA (build/bench/)
#   make selftests       build the VM selftest binaries
#   make tools           build p2pdmactl into build/tools/ (needs libkmod-dev)
#   make checkpatch      checkpatch.pl --strict over the C sources
#   make deb             the .debs (-dkms, -dev, -utils, -tests) into build/packages/
#   make rpm             the .rpms (-dkms, -devel, -utils, -tests) into build/packages/
#   make clean
#
# Builds are out of tree: the sources are staged into $(O) (default
# build/<kernel release>) and Kbuild writes its objects and the generated
# probe header there, never into the source tree.

KDIR ?= /lib/modules/$(shell uname -r)/build
KREL := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
O ?= build/$(or $(KREL),unknown)

# What a build needs; also what dkms and the packages ship.
MODULE_SOURCES := Kbuild dkms.conf src include

all: module

module:
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR) is not a kernel build tree;" \
		"install the kernel headers or pass KDIR=" >&2; exit 1; }
	@mkdir -p $(O)
	cp -a $(MODULE_SOURCES) $(O)/
	$(MAKE) -C $(KDIR) M=$(abspath $(O)) modules
	@echo "built $(O)/p2pdma_ext.ko"

matrix:
	tools/matrix.sh

selftests:
	$(MAKE) -C selftests

check:
	tools/check.sh

demo:
	tools/demo.sh

bench:
	tools/bench.sh

checkpatch:
	tools/checkpatch.sh

tools:
	$(MAKE) -C tools/p2pdmactl OUT=$(abspath build/tools)

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$$/\1/p' dkms.conf)
PKGDIR := build/packages

# The kselftest harness and runner for p2pdma-ext-tests (tools/linux-source.sh),
# fetched here: the package build runs with a HOME of its own.
LINUX_SOURCE = $(shell tools/linux-source.sh)

deb:
	rm -rf build/deb && mkdir -p build/deb/src $(PKGDIR)
	git archive HEAD | tar -x -C build/deb/src
	cd build/deb/src && P2PDMA_EXT_LINUX_SOURCE=$(LINUX_SOURCE) dpkg-buildpackage -us -uc -b
	mv build/deb/*.deb $(PKGDIR)/
	@ls $(PKGDIR)/*.deb

# Debian's rpm database does not know the spec's BuildRequires (Debian's
# own packages provide them), so on Debian rpmbuild skips that check.
RPMBUILD_NODEPS := $(if $(wildcard /etc/debian_version),--nodeps)

rpm:
	rm -rf build/rpm && mkdir -p build/rpm/SOURCES $(PKGDIR)
	git archive --prefix=p2pdma-ext-$(VERSION)/ -o build/rpm/SOURCES/p2pdma-ext-$(VERSION).tar.gz HEAD
	rpmbuild --define "_topdir $(abspath build/rpm)" --define "pkgversion $(VERSION)" \
		--define "linux_source $(LINUX_SOURCE)" \
		$(RPMBUILD_NODEPS) -bb rpm/p2pdma-ext.spec
	find build/rpm/RPMS -name '*.rpm' -exec mv {} $(PKGDIR)/ \;
	@ls $(PKGDIR)/*.rpm

clean:
	rm -rf build

.PHONY: all module matrix selftests check demo bench checkpatch tools deb rpm clean
