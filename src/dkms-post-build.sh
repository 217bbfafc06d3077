#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS POST_BUILD hook (see dkms.conf): runs in the DKMS build directory
# right after p2pdma_ext.ko was built, and keeps that build's
# Module.symvers beside the built module, in DEST (the DKMS tree's
# p2pdma-ext/VERSION/KERNELRELEASE/ARCH). Vendor drivers built against
# p2pdma-ext-dev use it as KBUILD_EXTRA_SYMBOLS (p2pdma-ext.mk); "dkms
# remove" deletes it with the rest of that directory.
set -euo pipefail

dest=${1:?usage: dkms-post-build.sh DEST}
mkdir -p "$dest"
cp -f Module.symvers "$dest/Module.symvers"
