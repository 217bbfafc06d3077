#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project's whole test run ("make check", called by .ci/run):
#   1. host-side tests (decision logic unit tests, probe-breakage test);
#   2. the build matrix: p2pdma_ext.ko for 5.10, 6.1, 6.12, 7.2 with W=1;
#   3. the VM selftests: every kernel booted under QEMU in every topology,
#      the real module loaded and exercised;
#   4. package install tests (tools/pkgtest.sh): the .debs installed in
#      each suite root, the DKMS-built module booted, then purged;
#   5. the debug kernel "6.1-debug" (tools/debug-kernel.sh: KASAN, lockdep,
#      kmemleak, fault injection): built in the background from the start,
#      then the module built for it and every topology's VM run under it.
# Installs what it needs from Debian's archive on first use and caches it
# under $P2PDMA_EXT_CACHE (default ~/.cache/p2pdma-ext).
# Ends with "N passed, N failed, N skipped"; exits non-zero on any failure.
#
# Environment: P2PDMA_EXT_KERNELS, P2PDMA_EXT_TOPOLOGIES narrow the run
# (the debug kernel runs when P2PDMA_EXT_KERNELS is unset or names
# 6.1-debug); P2PDMA_EXT_JOBS sets how many VMs run at once (default 2).
set -uo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

TOPOLOGIES=${P2PDMA_EXT_TOPOLOGIES:-switch rootports iommu multifunc}
JOBS=${P2PDMA_EXT_JOBS:-2}
export RESULTS=$BUILD/results.txt
rm -f "$RESULTS"
mkdir -p "$BUILD"
t_all=$(date +%s)

phase() {
	echo
	echo "=== $* ==="
}

# Turn TAP lines from a file into result lines named PREFIX/<test>.
tap_results() {
	local prefix=$1 file=$2 line name
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*)
			name=${line#ok }; name=${name#* }
			result SKIP "$prefix/${name%% # SKIP*}" "${name#* # SKIP }"
			;;
		"ok "*)
			name=${line#ok }; name=${name#* }
			result PASS "$prefix/$name"
			;;
		"not ok "*)
			name=${line#not ok }; name=${name#* }
			result FAIL "$prefix/$name"
			;;
		esac
	done < <(grep -E '^(not )?ok ' "$file")
}

# The guest's "# HOSTCHECK NAME OFFSET HEX" claims: run-in-vm.sh asks the
# runner to compare each with the host file behind device NAME right after
# the test that made it (OUT/hostchecks holds the verdicts): proof that a
# DMA really reached the emulated device's memory. A claim the runner
# never judged fails.
host_checks() {
	local prefix=$1 out=$2 verdict name off detail
	while read -r name off _; do
		grep -q "^[A-Z]* $name $off\( \|$\)" "$out/hostchecks" 2>/dev/null ||
			result FAIL "$prefix/hostcheck/$name@$off" "no verdict from the runner (request channel)"
	done < <(tr -d '\r' <"$out/results.tap" |
		sed -n 's/^# HOSTCHECK \([A-Za-z0-9_-]*\) \([0-9]*\) \([0-9a-f]*\)$/\1 \2 \3/p')
	[ -f "$out/hostchecks" ] || return 0
	while read -r verdict name off detail; do
		if [ "$verdict" = PASS ]; then
			result PASS "$prefix/hostcheck/$name@$off"
		else
			result FAIL "$prefix/hostcheck/$name@$off" "$detail"
		fi
	done <"$out/hostchecks"
}

# --- 0. host packages ------------------------------------------------------
phase "host tools"
t0=$(date +%s)
"$TOP/tools/install-deps.sh" || { result FAIL host/install-deps; }
echo "host tools ready in $(since "$t0") s"

# --- the debug kernel ------------------------------------------------------
# Its build is CPU-bound and long; the suite roots' debootstrap is mostly
# network: start it now, detached (so the VM phase's "wait" does not wait
# for it), and join it (debug-kernel.sh build again: it waits on the
# build's lock) before its own phase. Its VM runs get the stress budgets
# of the reliability tests, two CPUs and more time.
DEBUG_KERNEL=6.1-debug
debug_run=0
case " ${P2PDMA_EXT_KERNELS-$DEBUG_KERNEL} " in *" $DEBUG_KERNEL "*) debug_run=1 ;; esac
# shellcheck disable=SC2086 # a word list
KERNELS=$(printf '%s\n' $KERNELS | grep -vxF "$DEBUG_KERNEL" | xargs)
if [ "$debug_run" = 1 ]; then
	("$TOP/tools/debug-kernel.sh" build >"$BUILD/debug-kernel.log" 2>&1 &)
fi

vm_kernel_dir() {
	if [ "$1" = "$DEBUG_KERNEL" ]; then
		"$TOP/tools/debug-kernel.sh" kernel-dir
	else
		"$TOP/tools/kernels.sh" kernel-dir "$1"
	fi
}

# Extra run-vm.sh arguments for kernel $1, topology $3 (payload dir $2 gets
# test.env). The debug kernel runs the whole suite in every topology, with
# the long budgets where they find most: the 100k-call fuzz in "switch",
# the long stress in "rootports" (the one with PCI hot-unplug cycles).
vm_kernel_args() {
	[ "$1" = "$DEBUG_KERNEL" ] || return 0
	case $3 in
	switch) echo P2PX_FUZZ_CALLS=100000 P2PX_FUZZ_MAX_SECONDS=1800 P2PX_STRESS_SECONDS=20 ;;
	rootports) echo P2PX_FUZZ_CALLS=5000 P2PX_STRESS_SECONDS=120 ;;
	*) echo P2PX_FUZZ_CALLS=5000 P2PX_STRESS_SECONDS=20 ;;
	esac | tr ' ' '\n' >"$2/test.env"
	echo --timeout 3000 --qemu-arg -smp --qemu-arg 2
}

# --- 1. host-side tests ----------------------------------------------------
phase "host tests"
if [ -f "$TOP/selftests/host/Makefile" ]; then
	log=$BUILD/host-tests.log
	if make -s -C "$TOP/selftests/host" run >"$log" 2>&1; then :; else
		tail -n 30 "$log"
	fi
	if grep -qE '^(not )?ok ' "$log"; then
		tap_results host "$log"
	else
		result FAIL host/unit-tests "no test ran; see $log"
	fi
fi

# p2pdmactl (needs libkmod-dev): build it and run its host unit tests.
log=$BUILD/p2pdmactl-host.log
if ! make -s -C "$TOP/tools/p2pdmactl" OUT="$BUILD/tools" all run-tests >"$log" 2>&1; then
	tail -n 30 "$log"
fi
if grep -qE '^(not )?ok ' "$log"; then
	tap_results host "$log"
else
	result FAIL host/p2pdmactl "build or unit tests failed; see $log"
fi

if out=$("$TOP/tools/checkpatch.sh" 2>&1); then
	result PASS host/checkpatch "checkpatch --strict clean"
else
	echo "$out" | tail -n 30
	result FAIL host/checkpatch "$(echo "$out" | grep -c ': \(ERROR\|WARNING\|CHECK\):') finding(s)"
fi

# --- 2. build matrix -------------------------------------------------------
phase "build matrix ($KERNELS)"
t0=$(date +%s)
# shellcheck disable=SC2086
[ -z "$KERNELS" ] || "$TOP/tools/matrix.sh" $KERNELS
echo "matrix done in $(since "$t0") s"

# Both look at the Debian kernels' builds ($KERNELS, the debug kernel left out).
if [ -n "$KERNELS" ]; then
	P2PDMA_EXT_KERNELS=$KERNELS "$TOP/tools/test-probes.sh"
	P2PDMA_EXT_KERNELS=$KERNELS "$TOP/tools/test-version.sh"
fi

# --- 3. VM selftests ---------------------------------------------------------
phase "VM selftests ($KERNELS x $TOPOLOGIES)"
t0=$(date +%s)
if ! make -s -C "$TOP/selftests" >"$BUILD/selftests-build.log" 2>&1; then
	cat "$BUILD/selftests-build.log"
	result FAIL selftests/build
fi

vm_run() {
	local k=$1 topo=$2 dir=$BUILD/vm/$1-$2
	rm -rf "$dir"
	mkdir -p "$dir/payload/tests"
	cp "$BUILD/matrix/$k/p2pdma_ext.ko" "$dir/payload/"
	if [ -d "$BUILD/matrix/$k/selftests/drivers" ]; then
		find "$BUILD/matrix/$k/selftests/drivers" -name '*.ko' \
			-exec cp {} "$dir/payload/" \;
	fi
	cp "$BUILD"/selftests/* "$dir/payload/tests/"
	cp "$TOP/selftests/run-in-vm.sh" "$dir/payload/run"
	cp "$TOP/selftests/leakcheck.sh" "$dir/payload/"
	cp "$TOP/selftests/kernel-log.allow" "$dir/payload/"
	cp "$TOP/selftests/modules.list" "$dir/payload/"
	# p2pdmactl, its libraries and its VM test (when the host build made it)
	if [ -x "$BUILD/tools/p2pdmactl" ]; then
		"$TOP/tools/p2pdmactl/payload.sh" "$BUILD/tools/p2pdmactl" "$dir/payload" ||
			echo "p2pdmactl payload failed" >&2
	fi
	# --qmp: tests ask the host to hot-unplug devices (p2px-host UNPLUG).
	# shellcheck disable=SC2046 # vm_kernel_args prints words
	"$TOP/selftests/vm/run-vm.sh" --kernel-dir "$(vm_kernel_dir "$k")" \
		--topology "$topo" --payload "$dir/payload" --out "$dir/out" \
		--timeout 600 --qmp $(vm_kernel_args "$k" "$dir/payload" "$topo") >"$dir/run.log" 2>&1
	echo $? >"$dir/rc"
}

# vm_phase KERNEL...: every topology on each kernel, then the results.
vm_phase() {
running=0
for k in "$@"; do
	for topo in $TOPOLOGIES; do
		if [ ! -f "$BUILD/matrix/$k/p2pdma_ext.ko" ]; then
			result FAIL "vm/$k/$topo" "no module was built for $k"
			continue
		fi
		vm_run "$k" "$topo" &
		running=$((running + 1))
		if [ "$running" -ge "$JOBS" ]; then
			wait -n
			running=$((running - 1))
		fi
	done
done
wait

for k in "$@"; do
	for topo in $TOPOLOGIES; do
		dir=$BUILD/vm/$k-$topo
		[ -f "$dir/rc" ] || continue
		tap=$dir/out/results.tap
		if [ -f "$tap" ] && grep -qE '^(not )?ok ' "$tap"; then
			tap_results "vm/$k/$topo" "$tap"
			host_checks "vm/$k/$topo" "$dir/out"
			# p2pdmactl buffers --json against what the guest set up
			"$TOP/tools/p2pdmactl/tests/host_check.sh" "vm/$k/$topo" "$tap"
		fi
		if [ "$(cat "$dir/rc")" -ne 0 ]; then
			echo "--- vm/$k/$topo failed (exit $(cat "$dir/rc")); runner output:"
			tail -n 200 "$dir/run.log"
			grep -qE '^not ok ' "$tap" 2>/dev/null ||
				result FAIL "vm/$k/$topo/run" "see $dir/run.log"
		fi
	done
done
}
# shellcheck disable=SC2086 # a word list
vm_phase $KERNELS
echo "VM selftests done in $(since "$t0") s"

# --- 4. package install tests ---------------------------------------------------
# The .debs are built from the committed tree (make deb uses git archive HEAD).
phase "package install tests ($KERNELS)"
t0=$(date +%s)
if make -s -C "$TOP" deb >"$BUILD/deb-build.log" 2>&1; then
	if command -v lintian >/dev/null; then
		if out=$(lintian --fail-on error,warning "$BUILD"/packages/*.deb 2>&1); then
			result PASS pkg/lintian
		else
			echo "$out"
			result FAIL pkg/lintian "$(echo "$out" | grep -c '^[EW]: ') finding(s)"
		fi
	fi
	# The .rpms for pkgtest's rpm install test (Debian's rpmbuild).
	make -s -C "$TOP" rpm >"$BUILD/rpm-build.log" 2>&1 ||
		{ tail -n 30 "$BUILD/rpm-build.log"; result FAIL pkg/rpm-build "see $BUILD/rpm-build.log"; }
	# shellcheck disable=SC2086
	[ -z "$KERNELS" ] || "$TOP/tools/pkgtest.sh" $KERNELS || true
else
	tail -n 30 "$BUILD/deb-build.log"
	result FAIL pkg/build "make deb failed; see $BUILD/deb-build.log"
fi
echo "package install tests done in $(since "$t0") s"

# --- 5. the debug kernel ---------------------------------------------------------
if [ "$debug_run" = 1 ]; then
	phase "debug kernel ($DEBUG_KERNEL x $TOPOLOGIES)"
	t0=$(date +%s)
	if kdir=$("$TOP/tools/debug-kernel.sh" build 2>>"$BUILD/debug-kernel.log"); then
		result PASS "build/$DEBUG_KERNEL/kernel" "$(cat "$kdir/release"), cold build $(cat "$kdir/../build-seconds") s"
		"$TOP/tools/matrix.sh" "$DEBUG_KERNEL"
		vm_phase "$DEBUG_KERNEL"
		# The reliability figures of this run (README "Reliability").
		for topo in $TOPOLOGIES; do
			sed -n 's/^# \(FUZZ-SUMMARY\|STRESS-SUMMARY\|FAULT-WALK\)/\1/p' \
				"$BUILD/vm/$DEBUG_KERNEL-$topo/out/results.tap" 2>/dev/null |
				sed "s/^/$topo: /"
		done
	else
		tail -n 30 "$BUILD/debug-kernel.log"
		result FAIL "build/$DEBUG_KERNEL/kernel" "see $BUILD/debug-kernel.log"
	fi
	echo "debug kernel done in $(since "$t0") s"
fi

# --- summary -------------------------------------------------------------------
phase "summary"
passed=$(grep -c '^PASS ' "$RESULTS" || true)
failed=$(grep -c '^FAIL ' "$RESULTS" || true)
skipped=$(grep -c '^SKIP ' "$RESULTS" || true)
grep -E '^(FAIL|SKIP) ' "$RESULTS" || true
echo "total time $(since "$t_all") s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
