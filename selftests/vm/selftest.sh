#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftest.sh: tests of the VM test bed itself (not of p2pdma_ext): boots
# one kernel on every topology and checks the runner's contract.
#
#   selftest.sh --kernel-dir DIR [--out DIR] [--quick] [CASE...]
#
# Cases (all by default; --quick leaves out the two slow timeout cases):
#   topo-switch topo-rootports topo-iommu topo-multifunc
#                    selftest/devices payload: PCI facts from sysfs, a
#                    marker written into ivshmem BAR2 by the CPU and copied
#                    by edu DMA (peer to peer); the host reads both from the
#                    ivshmem backing file
#   guest-unplug     selftest/hotunplug on rootports with --qmp: requests
#                    from the guest (PING, QMP, HMP, UNPLUG, REPLUG)
#   host-unplug      selftest/hostunplug: the host runs qmp.sh device_del
#   payload-fail     payload exits 1               -> run-vm.sh exits 1
#   kernel-warning   "WARNING:" in the kernel log  -> exits 3
#   warning-allowed  same, with payload/kernel-log.allow -> exits 0
#   kernel-panic     sysrq crash, no DONE marker   -> exits 4
#   payload-timeout  payload hangs, inner timeout  -> exits 1, dmesg kept
#   hard-timeout     payload ignores SIGTERM       -> exits 5
#
# Output is TAP; the last line is "N passed, N failed".  Per-case run
# directories stay in --out (default: a new directory under /tmp).

set -euo pipefail
P2PX_VM_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
P2PX_PROG=selftest
# shellcheck source=lib.sh
. "$P2PX_VM_DIR/lib.sh"

ALL_CASES=(topo-switch topo-rootports topo-iommu topo-multifunc guest-unplug
	host-unplug payload-fail kernel-warning warning-allowed kernel-panic
	payload-timeout hard-timeout)
SLOW_CASES=" payload-timeout hard-timeout "

usage() {
	echo "usage: ${0##*/} --kernel-dir DIR [--out DIR] [--quick] [CASE...]" >&2
	echo "cases: ${ALL_CASES[*]}" >&2
	exit 2
}

kdir='' out='' quick=''
cases=()
while (($#)); do
	case $1 in
	--kernel-dir) kdir=${2:-}; shift 2 || usage ;;
	--out) out=${2:-}; shift 2 || usage ;;
	--quick) quick=1; shift ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) cases+=("$1"); shift ;;
	esac
done
[[ -n $kdir ]] || usage
if ((${#cases[@]} == 0)); then
	for c in "${ALL_CASES[@]}"; do
		[[ -n $quick && $SLOW_CASES == *" $c "* ]] || cases+=("$c")
	done
fi
[[ -n $out ]] || out=$(mktemp -d "${TMPDIR:-/tmp}/p2px-selftest.XXXXXX")
mkdir -p -- "$out"
out=$(cd -- "$out" && pwd)

# Small payloads made on the fly for the runner's failure paths.
gen=$out/payloads
rm -rf -- "$gen"
mkdir -p "$gen"/{fail,warn,allow,panic,hang,stubborn}
mkpayload() { # mkpayload DIR BODY: a run script "#!/bin/sh\nBODY"
	printf '#!/bin/sh\n%s\n' "$2" >"$gen/$1/run"
	chmod +x "$gen/$1/run"
}
mkpayload fail 'echo "ok 1 fine"; echo "not ok 2 deliberate failure"; exit 1'
mkpayload warn 'echo "WARNING: p2px selftest marker" >/dev/kmsg; echo "ok 1 wrote"'
mkpayload allow 'echo "WARNING: p2px selftest marker" >/dev/kmsg; echo "ok 1 wrote"'
printf '# allowed on purpose\nWARNING: p2px selftest marker\n' >"$gen/allow/kernel-log.allow"
mkpayload panic 'echo "ok 1 about to crash"; echo c >/proc/sysrq-trigger; sleep 30'
mkpayload hang 'echo "ok 1 about to hang"; sleep 600'
mkpayload stubborn "trap '' TERM; echo 'ok 1 ignoring SIGTERM'; while :; do sleep 1; done"

# The host-unplug case runs a VM in the background: stop it on the way out.
vm=''
trap '[[ -z $vm ]] || kill "$vm" 2>/dev/null || true' EXIT

n=0
failed=0
report() { # report OK|FAIL NAME DETAIL
	n=$((n + 1))
	if [[ $1 == OK ]]; then
		echo "ok $n $2${3:+ # $3}"
	else
		failed=$((failed + 1))
		echo "not ok $n $2${3:+ # $3}"
	fi
}

# run CASE EXPECTED-EXIT TOPOLOGY PAYLOAD [run-vm.sh args...]: one VM run;
# sets $rc and $dir.
run() {
	local name=$1 want=$2 topo=$3 payload=$4
	shift 4
	dir=$out/$name
	rc=0
	"$P2PX_VM_DIR/run-vm.sh" --kernel-dir "$kdir" --topology "$topo" \
		--payload "$payload" --out "$dir" "$@" >"$out/$name.log" 2>&1 || rc=$?
	if ((rc != want)); then
		echo "# $name: run-vm.sh exited $rc, expected $want; its output:"
		sed 's/^/#   /' "$out/$name.log" | tail -n 40
		return 1
	fi
	return 0
}

wall() { sed -n 's/^wall_seconds //p' "$dir/status"; }

for c in "${cases[@]}"; do
	case $c in
	topo-*)
		topo=${c#topo-}
		if run "$c" 0 "$topo" "$P2PX_VM_DIR/selftest/devices"; then
			# The guest wrote "P2PXSELF" at BAR2 offset 4096, edu's DMA
			# copied it to 8192 (not behind the IOMMU).
			mem=$(awk '$1 == "shm0" { print $2 }' "$dir/devices")
			marker=$(dd if="$mem" bs=1 skip=4096 count=8 2>/dev/null)
			dma=P2PXSELF
			[[ $topo == iommu ]] ||
				dma=$(dd if="$mem" bs=1 skip=8192 count=8 2>/dev/null)
			if [[ $marker == P2PXSELF && $dma == P2PXSELF ]]; then
				report OK "$c" "$(cat "$dir/summary"), $(wall)s"
			else
				report FAIL "$c" "markers not in $mem (got '$marker' '$dma')"
			fi
		else
			report FAIL "$c"
		fi
		;;
	guest-unplug)
		if run "$c" 0 rootports "$P2PX_VM_DIR/selftest/hotunplug" --qmp; then
			report OK "$c" "$(cat "$dir/summary"), $(wall)s"
		else
			report FAIL "$c"
		fi
		;;
	host-unplug)
		dir=$out/$c
		rc=0
		"$P2PX_VM_DIR/run-vm.sh" --kernel-dir "$kdir" --topology rootports \
			--payload "$P2PX_VM_DIR/selftest/hostunplug" --out "$dir" --qmp \
			>"$out/$c.log" 2>&1 &
		vm=$!
		# Wait for the guest to be ready, then unplug from the host.
		for ((i = 0; i < 600; i++)); do
			grep -q '^# p2px-ready' "$dir/results.log" 2>/dev/null && break
			kill -0 "$vm" 2>/dev/null || break
			sleep 0.2
		done
		qrc=0
		"$P2PX_VM_DIR/qmp.sh" -t 30 --wait-event 'DEVICE_DELETED:"device": "edu0"' \
			"$dir/qmp.sock" device_del id=edu0 >"$out/$c.qmp" 2>&1 || qrc=$?
		wait "$vm" || rc=$?
		vm=''
		if ((rc == 0 && qrc == 0)); then
			report OK "$c" "$(cat "$dir/summary"), $(wall)s"
		else
			echo "# run-vm.sh exit $rc, qmp.sh exit $qrc: $(cat "$out/$c.qmp")"
			report FAIL "$c"
		fi
		;;
	payload-fail)
		if run "$c" 1 rootports "$gen/fail" &&
			[[ $(cat "$dir/summary") == "passed 1 failed 1 skipped 0" ]]; then
			report OK "$c"
		else
			report FAIL "$c" "summary: $(cat "$dir/summary" 2>/dev/null)"
		fi
		;;
	kernel-warning)
		if run "$c" 3 rootports "$gen/warn" &&
			grep -q 'p2px selftest marker' "$dir/problems" &&
			grep -q '^not ok - kernel-log' "$dir/results.tap"; then
			report OK "$c"
		else
			report FAIL "$c"
		fi
		;;
	warning-allowed)
		if run "$c" 0 rootports "$gen/allow"; then
			report OK "$c"
		else
			report FAIL "$c"
		fi
		;;
	kernel-panic)
		if run "$c" 4 rootports "$gen/panic" &&
			grep -q 'Kernel panic' "$dir/problems" &&
			grep -q 'FAILED: kernel' "$out/$c.log"; then
			report OK "$c"
		else
			report FAIL "$c"
		fi
		;;
	payload-timeout)
		if run "$c" 1 rootports "$gen/hang" --timeout 90 &&
			grep -q 'payload timed out' "$dir/payload.log" &&
			[[ -s $dir/dmesg.log ]]; then
			report OK "$c" "$(wall)s"
		else
			report FAIL "$c"
		fi
		;;
	hard-timeout)
		if run "$c" 5 rootports "$gen/stubborn" --timeout 30 &&
			grep -q 'hard timeout' "$dir/results.tap" &&
			! pgrep -f -- "$dir/console.log" >/dev/null; then
			report OK "$c" "$(wall)s"
		else
			report FAIL "$c"
		fi
		;;
	*)
		report FAIL "$c" "unknown case"
		;;
	esac
done
echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
((failed == 0))
