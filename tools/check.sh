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
#      then the module built for it and its VM runs (switch, rootports,
#      iommu); when the cache has it already, those runs go first into
#      step 3's queue instead.
# Installs what it needs from Debian's archive on first use and caches it
# under $P2PDMA_EXT_CACHE (default ~/.cache/p2pdma-ext).
# Ends with "N passed, N failed, N skipped"; exits non-zero on any failure.
# No phase may fail silently: a phase script that exits non-zero is a
# "FAIL phase/NAME -- ...: exit N; see LOG", and before the summary
# tools/accounting.sh checks that every result group the launched phases
# owe is there ("FAIL accounting/GROUP -- no results: phase lost").
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
rm -rf "$BUILD/logs"
mkdir -p "$BUILD"
t_all=$(date +%s)

phase() {
	echo
	echo "=== $* ==="
}

# run_phase [-q] NAME CMD...: run a phase's script, its output kept in
# $BUILD/logs/NAME.log (and shown, or with -q only its tail on failure).
# A non-zero exit is recorded as a failure of the phase, whatever the
# script recorded itself; returns the script's status.
run_phase() {
	local quiet=0 name log rc cmd
	if [ "$1" = -q ]; then
		quiet=1
		shift
	fi
	name=$1
	shift
	log=$BUILD/logs/$name.log
	cmd=$*
	cmd=${cmd//"$TOP/"/}
	mkdir -p "$BUILD/logs"
	if [ "$quiet" = 1 ]; then
		"$@" >"$log" 2>&1
		rc=$?
	else
		"$@" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	fi
	if [ "$rc" -ne 0 ]; then
		[ "$quiet" = 0 ] || tail -n 30 "$log"
		result FAIL "phase/$name" "${cmd:0:100}: exit $rc; see $log"
	fi
	return "$rc"
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
run_phase install-deps "$TOP/tools/install-deps.sh"
echo "host tools ready in $(since "$t0") s"

# --- the debug kernel ------------------------------------------------------
# Its build is CPU-bound and long; the suite roots' debootstrap is mostly
# network: start it now, detached (so the VM phase's "wait" does not wait
# for it), and join it (debug-kernel.sh build again: it waits on the
# build's lock) before its own phase. Its VM runs get the stress budgets
# of the reliability tests, two CPUs and more time.
DEBUG_KERNEL=6.1-debug
# Its topologies: "switch" (the long fuzz), "rootports" (hot-unplug, the
# long stress) and "iommu" (the DMA API through intel-iommu). "multifunc"
# runs the same module code as "switch" under a different fabric: the
# Debian kernels cover it, the debug kernel's budget goes elsewhere.
DEBUG_TOPOLOGIES=$(for t in switch rootports iommu; do
	case " $TOPOLOGIES " in *" $t "*) echo "$t" ;; esac
done | xargs)
debug_run=0
case " ${P2PDMA_EXT_KERNELS-$DEBUG_KERNEL} " in *" $DEBUG_KERNEL "*) debug_run=1 ;; esac
[ -n "$DEBUG_TOPOLOGIES" ] || debug_run=0
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
# test.env). The debug kernel runs the whole suite in each of its
# topologies, with the long budgets where they find most: the 100k-call
# fuzz in "switch" (two fuzzers of 50k calls at once), the long stress in
# "rootports" (the one with PCI hot-unplug cycles), where the fuzzers also
# run while the provider is hot-unplugged and replugged in a loop.
vm_kernel_args() {
	if [ "$1" != "$DEBUG_KERNEL" ]; then
		# The Debian kernels: a short fuzz (the debug kernel runs the
		# long one under its detectors).
		echo P2PX_FUZZ_CALLS=5000 >"$2/test.env"
		return 0
	fi
	case $3 in
	switch) echo P2PX_FUZZ_CALLS=100000 P2PX_FUZZ_MAX_SECONDS=1800 P2PX_STRESS_SECONDS=20 ;;
	rootports) echo P2PX_FUZZ_CALLS=5000 P2PX_FUZZ_UNPLUG=1 P2PX_STRESS_SECONDS=120 ;;
	*) echo P2PX_FUZZ_CALLS=5000 P2PX_STRESS_SECONDS=20 ;;
	esac | tr ' ' '\n' >"$2/test.env"
	echo --timeout 3000 --qemu-arg -smp --qemu-arg 2
}

# --- 1. host-side tests ----------------------------------------------------
phase "host tests"
# The groups of results the launched phases owe (tools/accounting.sh).
host_groups=(host/p2pdmactl host/checkpatch)
if [ -f "$TOP/selftests/host/Makefile" ]; then
	host_groups+=(host/unit)
	log=$BUILD/logs/host-unit.log
	run_phase -q host-unit make -s -C "$TOP/selftests/host" run
	if grep -qE '^(not )?ok ' "$log"; then
		tap_results host/unit "$log"
	else
		result FAIL host/unit "no test ran; see $log"
	fi
fi

# p2pdmactl (needs libkmod-dev): build it and run its host unit tests.
log=$BUILD/logs/p2pdmactl-host.log
run_phase -q p2pdmactl-host make -s -C "$TOP/tools/p2pdmactl" OUT="$BUILD/tools" all run-tests
if grep -qE '^(not )?ok ' "$log"; then
	tap_results host "$log"
else
	result FAIL host/p2pdmactl "build or unit tests failed; see $log"
fi

# The test tools' own tests (TAP; tools/tests/NAME.sh gives host/NAME/...).
for t in "$TOP"/tools/tests/*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	host_groups+=("host/$name")
	log=$BUILD/logs/host-$name.log
	run_phase -q "host-$name" "$t"
	if grep -qE '^(not )?ok ' "$log"; then
		tap_results "host/$name" "$log"
	else
		result FAIL "host/$name" "no test ran; see $log"
	fi
done

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
[ -z "$KERNELS" ] || run_phase matrix "$TOP/tools/matrix.sh" $KERNELS
echo "matrix done in $(since "$t0") s"

# Both look at the Debian kernels' builds ($KERNELS, the debug kernel left out).
if [ -n "$KERNELS" ]; then
	run_phase test-probes env P2PDMA_EXT_KERNELS="$KERNELS" "$TOP/tools/test-probes.sh"
	run_phase test-version env P2PDMA_EXT_KERNELS="$KERNELS" "$TOP/tools/test-version.sh"
fi

# --- 3. VM selftests ---------------------------------------------------------
phase "VM selftests ($KERNELS x $TOPOLOGIES)"
t0=$(date +%s)
run_phase -q selftests-build make -s -C "$TOP/selftests"

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
			result FAIL "vm/$k/$topo/p2pdmactl-payload" "tools/p2pdmactl/payload.sh: exit $?"
	fi
	# --qmp: tests ask the host to hot-unplug devices (p2px-host UNPLUG).
	# shellcheck disable=SC2046 # vm_kernel_args prints words
	"$TOP/selftests/vm/run-vm.sh" --kernel-dir "$(vm_kernel_dir "$k")" \
		--topology "$topo" --payload "$dir/payload" --out "$dir/out" \
		--timeout 600 --qmp $(vm_kernel_args "$k" "$dir/payload" "$topo") >"$dir/run.log" 2>&1
	echo $? >"$dir/rc"
}

# vm_jobs KERNEL TOPOLOGY...: the VM runs KERNEL/TOPOLOGY, one a line.
vm_jobs() {
	local k=$1
	shift
	printf "$k/%s\n" "$@"
}

# vm_phase KERNEL/TOPOLOGY...: those VM runs, $JOBS at a time in the order
# given (the longest first keeps both slots busy to the end), then their
# results.
vm_phase() {
local job k topo dir tap rc running=0
for job in "$@"; do
	k=${job%%/*} topo=${job#*/}
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
wait

for job in "$@"; do
	k=${job%%/*} topo=${job#*/}
	dir=$BUILD/vm/$k-$topo
	# (no module: recorded above, nothing was run)
	[ -f "$BUILD/matrix/$k/p2pdma_ext.ko" ] || continue
	if [ ! -f "$dir/rc" ]; then
		result FAIL "vm/$k/$topo/run" "the VM run ended without an exit status; see $dir/run.log"
		continue
	fi
	tap=$dir/out/results.tap
	rc=$(cat "$dir/rc")
	if [ ! -f "$tap" ] || ! grep -qE '^(not )?ok ' "$tap"; then
		result FAIL "vm/$k/$topo/run" "no TAP results (run-vm.sh exit $rc); see $dir/run.log"
	else
		tap_results "vm/$k/$topo" "$tap"
		host_checks "vm/$k/$topo" "$dir/out"
		# p2pdmactl buffers --json against what the guest set up
		"$TOP/tools/p2pdmactl/tests/host_check.sh" "vm/$k/$topo" "$tap" ||
			result FAIL "vm/$k/$topo/host/p2pdmactl-buffers-json" \
				"tools/p2pdmactl/tests/host_check.sh: exit $?"
		# (run-vm.sh adds a "not ok" for what the guest could not
		# report; a failure without one is recorded here)
		[ "$rc" = 0 ] || grep -qE '^not ok ' "$tap" ||
			result FAIL "vm/$k/$topo/run" "run-vm.sh exit $rc; see $dir/run.log"
	fi
	if [ "$rc" != 0 ]; then
		echo "--- vm/$k/$topo failed (exit $rc); runner output:"
		tail -n 200 "$dir/run.log"
	fi
done
}

# debug_prepare: join the debug kernel's build (waits for it) and build the
# module for it; fails (recorded) when there is no kernel to run.
debug_prepare() {
	local kdir rc
	if kdir=$("$TOP/tools/debug-kernel.sh" build 2>>"$BUILD/debug-kernel.log"); then
		result PASS "build/$DEBUG_KERNEL/kernel" "$(cat "$kdir/release"), cold build $(cat "$kdir/../build-seconds") s"
		run_phase matrix-debug "$TOP/tools/matrix.sh" "$DEBUG_KERNEL"
		return 0
	fi
	rc=$?
	tail -n 30 "$BUILD/debug-kernel.log"
	result FAIL "build/$DEBUG_KERNEL/kernel" "tools/debug-kernel.sh build: exit $rc; see $BUILD/debug-kernel.log"
	return 1
}

# debug_figures: the reliability figures of the debug kernel's runs
# (Documentation/reliability.rst).
debug_figures() {
	local topo
	for topo in $DEBUG_TOPOLOGIES; do
		sed -n 's/^# \(FUZZ-SUMMARY\|STRESS-SUMMARY\|FAULT-WALK\)/\1/p' \
			"$BUILD/vm/$DEBUG_KERNEL-$topo/out/results.tap" 2>/dev/null |
			sed "s/^/$topo: /"
	done
}

# With a warm cache the debug kernel is there already: its runs, the
# longest of all, go first into this phase's queue instead of into a phase
# of their own after the package tests, so that no VM slot idles at the
# end of either. On a cold cache its build is still going: they wait for
# it at the end.
vm_list=()
debug_early=0
if [ "$debug_run" = 1 ] && [ -f "$(vm_kernel_dir "$DEBUG_KERNEL")/release" ]; then
	debug_early=1
	echo "debug kernel built: its runs ($DEBUG_TOPOLOGIES) join this phase"
	# shellcheck disable=SC2086 # a word list
	! debug_prepare || mapfile -t -O 0 vm_list < <(vm_jobs "$DEBUG_KERNEL" $DEBUG_TOPOLOGIES)
fi
for k in $KERNELS; do
	# shellcheck disable=SC2086 # a word list
	mapfile -t -O "${#vm_list[@]}" vm_list < <(vm_jobs "$k" $TOPOLOGIES)
done
vm_phase "${vm_list[@]}"
[ "$debug_early" = 0 ] || debug_figures
echo "VM selftests done in $(since "$t0") s"

# --- 4. package install tests ---------------------------------------------------
# The .debs are built from the committed tree (make deb uses git archive HEAD).
phase "package install tests ($KERNELS)"
t0=$(date +%s)
if run_phase -q deb-build make -s -C "$TOP" deb; then
	if command -v lintian >/dev/null; then
		if out=$(lintian --fail-on error,warning "$BUILD"/packages/*.deb 2>&1); then
			result PASS pkg/lintian
		else
			echo "$out"
			result FAIL pkg/lintian "$(echo "$out" | grep -c '^[EW]: ') finding(s)"
		fi
	fi
	# The .rpms for pkgtest's rpm install test (Debian's rpmbuild).
	run_phase -q rpm-build make -s -C "$TOP" rpm
	# shellcheck disable=SC2086
	[ -z "$KERNELS" ] || run_phase pkgtest "$TOP/tools/pkgtest.sh" $KERNELS
fi
echo "package install tests done in $(since "$t0") s"

# --- 5. the debug kernel ---------------------------------------------------------
if [ "$debug_run" = 1 ] && [ "$debug_early" = 0 ]; then
	phase "debug kernel ($DEBUG_KERNEL x $DEBUG_TOPOLOGIES)"
	t0=$(date +%s)
	if debug_prepare; then
		# shellcheck disable=SC2046,SC2086 # word lists
		vm_phase $(vm_jobs "$DEBUG_KERNEL" $DEBUG_TOPOLOGIES)
		debug_figures
	fi
	echo "debug kernel done in $(since "$t0") s"
fi

# --- accounting ----------------------------------------------------------------
# Every group of results the phases above owe must be there: a phase that
# died or lost its results cannot end green.
phase "accounting"
acct=(--kernels "$KERNELS" --topologies "$TOPOLOGIES" --rpm-series "$RPM_SERIES"
	--kselftest-series "$KSELFTEST_SERIES")
[ "$debug_run" = 0 ] || acct+=(--debug "$DEBUG_KERNEL" --debug-topologies "$DEBUG_TOPOLOGIES")
for g in "${host_groups[@]}"; do
	acct+=(--group "$g")
done
run_phase accounting "$TOP/tools/accounting.sh" "${acct[@]}"

# --- summary -------------------------------------------------------------------
phase "summary"
passed=$(grep -c '^PASS ' "$RESULTS" || true)
failed=$(grep -c '^FAIL ' "$RESULTS" || true)
skipped=$(grep -c '^SKIP ' "$RESULTS" || true)
grep -E '^(FAIL|SKIP) ' "$RESULTS" || true
echo "total time $(since "$t_all") s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
