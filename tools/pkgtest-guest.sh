#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /payload/run of the package install test (tools/pkgtest.sh), in the VM:
# first the vendor sample part (selftests/vendor-sample/run: module_test and
# the sample, against the p2pdma_ext.ko that DKMS built), then p2pdmactl as
# packaged in p2pdma-ext-utils for this suite (with the suite's libkmod and
# libc from payload/lib) through its VM test, as root and as a user. The
# host parses the JSON it dumps (# json ...). Between them, modprobe as the
# root has it: its /lib/modules/REL and /etc/modprobe.d (payload/root/,
# bind-mounted) and its kmod (payload/modprobe): "modprobe p2pdma_ext" and
# "p2pdmactl load" must both apply the option the test wrote into
# /etc/modprobe.d/p2pdma-ext.conf (payload/modprobe-option), "modprobe -r"
# must unload. The p2pdmactl VM test then checks load's blacklist handling
# and the command line's options appended (P2PX_MODPROBE_OPTION).
# busybox sh has pipefail.
# shellcheck disable=SC3040
set -o pipefail
cd /payload || exit 1
rc=0
sh ./vendor-sample-run || rc=1

# check NAME COND-EXIT-STATUS [DIAG]
check() {
	if [ "$2" -eq 0 ]; then
		echo "ok 1 modprobe.$1"
	else
		echo "not ok 1 modprobe.$1"
		[ -z "${3:-}" ] || echo "# $3"
		rc=1
	fi
}
# value: the parameter of the option as the loaded module has it
value() {
	cat "/sys/module/p2pdma_ext/parameters/${opt%%=*}" 2>&1
}
loaded() {
	grep -q '^p2pdma_ext ' /proc/modules
}
echo "# modprobe: the root's $(./modprobe --version 2>&1 | head -n 1)"
opt=$(cat /payload/modprobe-option 2>/dev/null)
rel=$(uname -r)
mkdir -p "/lib/modules/$rel" /etc/modprobe.d
if [ -x ./modprobe ] && [ -n "$opt" ] &&
	mount --bind "/payload/root/lib/modules/$rel" "/lib/modules/$rel" &&
	mount --bind /payload/root/etc/modprobe.d /etc/modprobe.d; then
	out=$(./modprobe p2pdma_ext 2>&1)
	loaded && [ "$(value)" = "${opt#*=}" ]
	check load_applies_modprobe_d $? "$opt wanted, got $(value); $out"
	out=$(./modprobe -r p2pdma_ext 2>&1)
	! loaded
	check remove $? "$out"
	out=$(./p2pdmactl load 2>&1)
	loaded && [ "$(value)" = "${opt#*=}" ]
	check p2pdmactl_load_applies_modprobe_d $? "$opt wanted, got $(value); $out"
	out=$(./modprobe -r p2pdma_ext 2>&1)
	! loaded
	check remove_after_p2pdmactl_load $? "$out"
else
	check view 1 "no payload/modprobe, modprobe-option or bind mount of payload/root"
	opt=
fi

echo "# running p2pdmactl (p2pdma-ext-utils)"
P2PX_MODPROBE_OPTION=$opt P2PDMACTL=/payload/p2pdmactl P2PX_MODULE=/payload/p2pdma_ext.ko \
	./tests/p2pdmactl 2>&1 |
	sed 's/^\(\(not \)\{0,1\}ok [0-9]* \)/\1p2pdmactl./' || rc=1
exit $rc
