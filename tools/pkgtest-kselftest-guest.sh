#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /payload/run of the kselftest part of the package install test
# (tools/pkgtest.sh), in the VM (topology noedu: no DMA engine): the tree
# that p2pdma-ext-tests installed in the suite root (/usr/lib/
# p2pdma-ext-tests, here /payload/kselftest) run by its run_kselftest.sh,
# as a test engineer runs it on a real machine. The devices come from the
# environment (P2PX_PROVIDER... as the test bed's /init sets them), the
# modules from P2PX_MODULE (the DKMS-built p2pdma_ext.ko) and
# P2PX_DRIVER_DIR (the test drivers built from the package's sources in
# the root). test.env: P2PX_KSELFTESTS, the COLLECTION:TEST entries to
# run, and the tests' settings.
cd /payload || exit 1
set -a
# shellcheck disable=SC1091
. ./test.env
set +a
export P2PX_MODULE=/payload/p2pdma_ext.ko P2PX_DRIVER_DIR=/payload/drivers
# The kernel's runner calls "/usr/bin/timeout --foreground"; busybox's
# timeout has no --foreground (a runner's own option: the tests here do
# not read the terminal).
if ! /usr/bin/timeout --foreground 5 true 2>/dev/null; then
	rm -f /usr/bin/timeout
	# shellcheck disable=SC2016
	printf '%s\n' '#!/bin/sh' '[ "$1" != --foreground ] || shift' \
		'exec busybox timeout "$@"' >/usr/bin/timeout
	chmod +x /usr/bin/timeout
fi
# The runner writes the tests' output to /dev/stdout, which devtmpfs
# does not create (udev would).
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
set --
for t in $P2PX_KSELFTESTS; do
	set -- "$@" -t "$t"
done
./kselftest/run_kselftest.sh "$@"
