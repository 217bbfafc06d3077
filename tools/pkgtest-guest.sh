#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /payload/run of the package install test (tools/pkgtest.sh), in the VM:
# first the vendor sample part (selftests/vendor-sample/run: module_test and
# the sample, against the p2pdma_ext.ko that DKMS built), then p2pdmactl as
# packaged in p2pdma-ext-utils for this suite (with the suite's libkmod and
# libc from payload/lib) through its VM test, as root and as a user. The
# host parses the JSON it dumps (# json ...).
# busybox sh has pipefail.
# shellcheck disable=SC3040
set -o pipefail
cd /payload || exit 1
rc=0
sh ./vendor-sample-run || rc=1
echo "# running p2pdmactl (p2pdma-ext-utils)"
P2PDMACTL=/payload/p2pdmactl P2PX_MODULE=/payload/p2pdma_ext.ko ./tests/p2pdmactl 2>&1 |
	sed 's/^\(\(not \)\{0,1\}ok [0-9]* \)/\1p2pdmactl./' || rc=1
exit $rc
