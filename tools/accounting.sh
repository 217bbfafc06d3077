#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# accounting.sh - the result accounting of "make check" (tools/check.sh):
# every group of results that the phases check.sh launched owe must be in
# $RESULTS, so a phase that died or lost its results cannot end green.
# For each missing group it records (result() from tools/lib.sh)
#
#   FAIL accounting/GROUP -- no results: phase lost
#
#   accounting.sh [--kernels "K..."] [--topologies "T..."] [--debug KERNEL]
#                 [--rpm-series SERIES] [--kselftest-series SERIES]
#                 [--group GROUP]... [--list]
#
# --kernels     the Debian kernel series of the run (debug kernel left out)
# --topologies  the VM topologies of the run
# --debug       the debug kernel ran (check.sh's last phase)
# --debug-topologies  the topologies it ran in (default: --topologies)
# --rpm-series  the series whose package test also tests the .rpms
# --kselftest-series  the series whose package test also runs the
#               installed p2pdma-ext-tests
# --group       a further group owed (check.sh: the host tests it ran)
# --list        print the expected groups, one a line, and check nothing
#
# The groups, per kernel K and topology T (check.sh and the scripts it
# runs name their results so):
#   host/probes, host/version          tools/test-probes.sh, test-version.sh
#   build/K (exactly), host/version/modinfo/K    tools/matrix.sh, test-version.sh
#   vm/K/T                              the VM selftests
#   pkg/K/{install,dkms-installed,module-signed,utils-build,utils-installed,
#          refuses-no-zone-device,vendor-sample-build,vm,purge-clean}
#                                       tools/pkgtest.sh
#   pkg/RPM_SERIES/rpm                  tools/pkgtest.sh's rpm test
#   pkg/KSELFTEST_SERIES/kselftest      tools/pkgtest.sh's kselftest run
#   build/DEBUG/kernel, build/DEBUG (exactly), vm/DEBUG/T   the debug phase
# A group is present when a result (PASS, FAIL or SKIP) is named GROUP or
# starts with "GROUP/" or "GROUP." (host/p2pdmactl.cli_...), or, for the
# "exactly" ones, is named GROUP. Exits 0 when it could check, whatever
# it found; its FAIL lines make the run fail.
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

kernels=$KERNELS
topologies=${P2PDMA_EXT_TOPOLOGIES:-switch rootports iommu multifunc}
debug=
debug_topologies=
rpm_series=$RPM_SERIES
kselftest_series=$KSELFTEST_SERIES
list=0
groups=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) kernels=$2; shift 2 ;;
	--topologies) topologies=$2; shift 2 ;;
	--debug) debug=$2; shift 2 ;;
	--debug-topologies) debug_topologies=$2; shift 2 ;;
	--rpm-series) rpm_series=$2; shift 2 ;;
	--kselftest-series) kselftest_series=$2; shift 2 ;;
	--group) groups+=("$2"); shift 2 ;;
	--list) list=1; shift ;;
	*) echo "accounting.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

# The expected groups; "=GROUP" is matched exactly.
expected() {
	local k t g
	for g in "${groups[@]}"; do
		echo "$g"
	done
	[ -z "$kernels" ] || printf '%s\n' host/probes host/version
	for k in $kernels; do
		echo "=build/$k"
		echo "host/version/modinfo/$k"
		for t in $topologies; do
			echo "vm/$k/$t"
		done
		for g in install dkms-installed module-signed utils-build utils-installed \
			refuses-no-zone-device vendor-sample-build vm purge-clean; do
			echo "pkg/$k/$g"
		done
		[ "$k" != "$rpm_series" ] || echo "pkg/$k/rpm"
		[ "$k" != "$kselftest_series" ] || echo "pkg/$k/kselftest"
	done
	if [ -n "$debug" ]; then
		echo "build/$debug/kernel"
		echo "=build/$debug"
		for t in ${debug_topologies:-$topologies}; do
			echo "vm/$debug/$t"
		done
	fi
}

if [ "$list" = 1 ]; then
	expected | sed 's/^=//'
	exit 0
fi

# The missing groups: every result name marks itself and each of its
# prefixes that ends before a "/" or "." as present; an exact group needs
# its own name.
missing=$(
	{
		expected | sed 's/^/G /'
		echo "--"
		if [ -f "$RESULTS" ]; then
			sed -n 's/^\(PASS\|FAIL\|SKIP\) \([^ ]*\).*/\2/p' "$RESULTS"
		fi
	} | awk '
		!names && $0 == "--" { names = 1; next }
		!names { g[++n] = $2; next }
		{
			exact[$0] = 1
			for (i = 1; i < length($0); i++) {
				c = substr($0, i + 1, 1)
				if (c == "/" || c == ".")
					prefix[substr($0, 1, i)] = 1
			}
		}
		END {
			for (i = 1; i <= n; i++) {
				if (substr(g[i], 1, 1) == "=") {
					if (!(substr(g[i], 2) in exact))
						print substr(g[i], 2)
				} else if (!(g[i] in exact) && !(g[i] in prefix)) {
					print g[i]
				}
			}
		}'
)
for g in $missing; do
	result FAIL "accounting/$g" "no results: phase lost"
done
n=$(expected | wc -l)
if [ -n "$missing" ]; then
	echo "accounting: $(echo "$missing" | wc -l) of $n expected result groups missing"
else
	echo "accounting: all $n expected result groups present"
fi
