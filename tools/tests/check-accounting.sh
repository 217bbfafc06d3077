#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test of make check's accounting (issue 18): a phase that dies or
# loses its results must make the run fail, by name. Breaks it on purpose,
# with no VM, no root and no network, in a few seconds:
#
#   - tools/accounting.sh on made-up result files: complete ones pass,
#     ones missing a suite's package results, a VM topology, the debug
#     phase, the rpm test or a build get "FAIL accounting/GROUP";
#   - tools/check.sh itself in a copy of the tree whose phase scripts are
#     stubs: a clean run ends green; a pkgtest.sh that exits early, a
#     matrix.sh that dies half-way, a VM that leaves no results and a
#     failing install-deps.sh each give a FAIL naming the phase and its
#     log (or the lost groups) and a failing verdict;
#   - tools/pkgtest.sh itself, against a stub tools/kernels.sh whose
#     roots have no dkms (exit 127) and one of whose series is not
#     prepared: the series that cannot start is recorded as died, with
#     the line, the other goes on past the dkms query to its end, and
#     pkgtest.sh exits non-zero.
#
# Output: TAP ("ok N name" / "not ok N name"), read by check.sh as
# host/check-accounting/NAME. Exits non-zero when a test failed.
set -uo pipefail

REAL=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/check-accounting.XXXXXX")
trap 'rm -rf "$W"' EXIT
# Nothing of the calling run may leak into the runs made here.
unset RESULTS P2PDMA_EXT_BUILD P2PDMA_EXT_KERNELS P2PDMA_EXT_TOPOLOGIES \
	P2PDMA_EXT_RPM_SERIES P2PDMA_EXT_JOBS P2PDMA_EXT_CACHE \
	P2PDMA_EXT_KSELFTEST_SERIES

n=0
failed=0
# ok NAME CMD...: one TAP line for CMD's status; on failure the output
# that CMD's checks looked at ($W/out) is shown as TAP comments.
ok() {
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		failed=$((failed + 1))
		[ -f "$W/out" ] && sed 's/^/# /' "$W/out" | tail -n 40
	fi
}
has() { grep -qE -- "$1" "$W/out"; }
hasnt() { ! grep -qE -- "$1" "$W/out"; }

# --- tools/accounting.sh on made-up results -------------------------------

# results KERNELS TOPOLOGIES [DEBUG]: the result lines of a whole run.
results() {
	local k t g
	echo "PASS host/p2pdmactl.cli_help"
	echo "PASS host/checkpatch -- checkpatch --strict clean"
	echo "PASS host/probes/typo -- probe group 'class_create': 0 alternatives"
	echo "PASS host/version/dkms.conf -- 1.0"
	for k in $1; do
		echo "PASS build/$k -- W=1, 0 warnings"
		echo "PASS host/version/modinfo/$k"
		for t in $2; do
			echo "PASS vm/$k/$t/module_test.load"
			echo "SKIP vm/$k/$t/p2pmem.mmap -- not in this topology"
		done
		for g in root-packages utils-build install dkms-installed module-signed \
			utils-installed refuses-no-zone-device vendor-sample-build \
			vm/module_test.load ctl/status-json purge-clean; do
			echo "PASS pkg/$k/$g"
		done
		[ "$k" != 7.2 ] || echo "PASS pkg/7.2/rpm/install"
		echo "SKIP pkg/$k/kselftest/dmabuf_test.global.x -- no DMA engine"
	done
	if [ -n "${3-}" ]; then
		echo "PASS build/$3/kernel -- 6.1.0 debug"
		echo "PASS build/$3 -- W=1, 0 warnings"
		for t in $2; do
			echo "PASS vm/$3/$t/fuzz"
		done
	fi
}

# account RESULTS-FILE ACCOUNTING-ARGS...: run it; output in $W/out.
account() {
	local file=$1
	shift
	RESULTS=$file "$REAL/tools/accounting.sh" "$@" >"$W/out" 2>&1
}

K="5.10 6.1 7.2"
T="switch iommu"
args=(--kernels "$K" --topologies "$T" --group host/p2pdmactl --group host/checkpatch
	--kselftest-series 6.1)
results "$K" "$T" >"$W/complete"
results "$K" "$T" 6.1-debug >"$W/complete-debug"

complete_passes() {
	account "$W/complete" "${args[@]}" && hasnt '^FAIL' &&
		has 'all [0-9]+ expected result groups present'
}
ok accounting-complete-run-passes complete_passes

complete_debug_passes() {
	account "$W/complete-debug" "${args[@]}" --debug 6.1-debug && hasnt '^FAIL'
}
ok accounting-complete-debug-run-passes complete_debug_passes

# pkgtest died in 5.10 right after building the utils (issue 18: at the
# dkms --version query): everything after it is lost, 7.2's is not.
pkg_suite_lost() {
	grep -vE '^PASS pkg/5\.10/(install|dkms|module|utils-installed|refuses|vendor|vm|ctl|purge)' \
		"$W/complete" >"$W/r"
	account "$W/r" "${args[@]}" || return 1
	local g
	for g in install dkms-installed module-signed utils-installed \
		refuses-no-zone-device vendor-sample-build vm purge-clean; do
		has "^FAIL accounting/pkg/5\.10/$g -- no results: phase lost$" || return 1
	done
	hasnt '^FAIL accounting/pkg/5\.10/utils-build' && hasnt '^FAIL accounting/pkg/(6\.1|7\.2)/' &&
		[ "$(grep -c '^FAIL ' "$W/out")" -eq 8 ] && [ "$(grep -c '^FAIL ' "$W/r")" -eq 8 ]
}
ok accounting-pkg-suite-lost pkg_suite_lost

vm_topology_lost() {
	grep -v ' vm/7\.2/iommu/' "$W/complete" >"$W/r"
	account "$W/r" "${args[@]}" && has '^FAIL accounting/vm/7\.2/iommu -- no results: phase lost$' &&
		[ "$(grep -c '^FAIL ' "$W/out")" -eq 1 ]
}
ok accounting-vm-topology-lost vm_topology_lost

# A FAIL of the group itself is a result: the group is not lost.
group_fail_is_present() {
	{ grep -v ' vm/7\.2/iommu/' "$W/complete"
	  echo "FAIL vm/7.2/iommu -- no module was built for 7.2"; } >"$W/r"
	account "$W/r" "${args[@]}" && hasnt '^FAIL'
}
ok accounting-group-fail-is-not-lost group_fail_is_present

debug_phase_lost() {
	account "$W/complete" "${args[@]}" --debug 6.1-debug &&
		has '^FAIL accounting/vm/6\.1-debug/switch ' &&
		has '^FAIL accounting/vm/6\.1-debug/iommu ' &&
		has '^FAIL accounting/build/6\.1-debug/kernel ' &&
		has '^FAIL accounting/build/6\.1-debug ' &&
		[ "$(grep -c '^FAIL ' "$W/out")" -eq 4 ]
}
ok accounting-debug-phase-lost debug_phase_lost

# build/K is matched exactly: the debug kernel's own build/6.1-debug/kernel
# does not stand for the module's build/6.1-debug.
exact_build_group() {
	grep -v '^PASS build/6\.1-debug -- ' "$W/complete-debug" >"$W/r"
	account "$W/r" "${args[@]}" --debug 6.1-debug &&
		has '^FAIL accounting/build/6\.1-debug -- no results' &&
		[ "$(grep -c '^FAIL ' "$W/out")" -eq 1 ]
}
ok accounting-build-group-exact exact_build_group

# vm/6.12/... results do not stand for vm/6.1/...
no_prefix_overmatch() {
	results "6.12" "switch" | grep -v ' vm/' >"$W/r"
	results "6.12" "switch" | grep ' vm/' >>"$W/r"
	results "6.1" "switch" | grep -v ' vm/' >>"$W/r"
	account "$W/r" --kernels "6.1 6.12" --topologies switch &&
		has '^FAIL accounting/vm/6\.1/switch ' && [ "$(grep -c '^FAIL ' "$W/out")" -eq 1 ]
}
ok accounting-no-prefix-overmatch no_prefix_overmatch

rpm_test_lost() {
	grep -v ' pkg/7\.2/rpm/' "$W/complete" >"$W/r"
	account "$W/r" "${args[@]}" && has '^FAIL accounting/pkg/7\.2/rpm ' &&
		[ "$(grep -c '^FAIL ' "$W/out")" -eq 1 ] || return 1
	# without the rpm series in the run, no rpm test is owed
	results "5.10" "$T" >"$W/r"
	account "$W/r" --kernels 5.10 --topologies "$T" && hasnt '^FAIL'
}
ok accounting-rpm-test-lost rpm_test_lost

kselftest_run_lost() {
	grep -v ' pkg/6\.1/kselftest/' "$W/complete" >"$W/r"
	account "$W/r" "${args[@]}" && has '^FAIL accounting/pkg/6\.1/kselftest ' &&
		[ "$(grep -c '^FAIL ' "$W/out")" -eq 1 ] || return 1
	# without the kselftest series in the run, no kselftest run is owed
	account "$W/r" "${args[@]}" --kselftest-series 6.12 && hasnt '^FAIL'
}
ok accounting-kselftest-run-lost kselftest_run_lost

# P2PDMA_EXT_KERNELS / _TOPOLOGIES narrowing: only what the run launched.
narrowed_run() {
	results "6.12" "rootports" >"$W/r"
	account "$W/r" --kernels 6.12 --topologies rootports && hasnt '^FAIL' || return 1
	account "$W/r" --kernels "6.12 7.2" --topologies rootports &&
		has '^FAIL accounting/pkg/7\.2/install ' && has '^FAIL accounting/vm/7\.2/rootports '
}
ok accounting-honours-narrowing narrowed_run

no_results_at_all() {
	account "$W/nonexistent" "${args[@]}" && has '^FAIL accounting/host/checkpatch ' &&
		has '^FAIL accounting/build/5\.10 ' && has '^FAIL accounting/pkg/7\.2/rpm '
}
ok accounting-no-results-file no_results_at_all

# --- tools/check.sh with stub phase scripts --------------------------------
# A copy of the tree: the real check.sh, lib.sh and accounting.sh, every
# script they launch a stub that records what a good run records, unless
# FAKE_* tells it to break.
F=$W/tree
mkdir -p "$F/tools/p2pdmactl/tests" "$F/selftests/vm" "$F/bin"
cp "$REAL/tools/check.sh" "$REAL/tools/lib.sh" "$REAL/tools/accounting.sh" "$F/tools/"

stub() {
	local file=$F/$1
	{
		echo '#!/bin/bash'
		echo ". '$F/tools/lib.sh'"
		cat
	} >"$file"
	chmod +x "$file"
}
# shellcheck disable=SC2016 # the stubs' code, expanded when they run
{
stub tools/install-deps.sh <<<'[ -z "${FAKE_DEPS_FAIL-}" ] || { echo "E: Unable to locate package" >&2; exit 100; }'
stub tools/checkpatch.sh <<<'exit 0'
stub tools/matrix.sh <<'EOF'
for k in "$@"; do
	[ "$k" != "${FAKE_MATRIX_DIE-}" ] || { echo "matrix.sh: killed" >&2; exit 137; }
	mkdir -p "$BUILD/matrix/$k"
	: >"$BUILD/matrix/$k/p2pdma_ext.ko"
	result PASS "build/$k" "stub"
done
EOF
stub tools/test-probes.sh <<<'result PASS host/probes/typo stub'
stub tools/test-version.sh <<<'for k in $KERNELS; do result PASS "host/version/modinfo/$k"; done'
stub tools/kernels.sh <<<'echo "$BUILD/kernel-$2"'
stub tools/debug-kernel.sh <<'EOF'
d=$BUILD/debug-kernel/kernel
mkdir -p "$d"
echo 6.1.0-debug >"$d/release"
echo 1 >"$d/../build-seconds"
echo "$d"
EOF
stub tools/pkgtest.sh <<'EOF'
for k in "$@"; do
	for g in utils-build install dkms-installed module-signed utils-installed \
		refuses-no-zone-device vendor-sample-build vm/module_test purge-clean; do
		result PASS "pkg/$k/$g"
		if [ "$k/$g" = "${FAKE_PKG_DIE-}" ]; then
			echo "pkgtest.sh: line 240: dkms: command not found" >&2
			exit 127
		fi
	done
	[ "$k" != "$RPM_SERIES" ] || result PASS "pkg/$k/rpm/install"
	[ "$k" != "$KSELFTEST_SERIES" ] || result PASS "pkg/$k/kselftest/registry_test.global.x"
done
EOF
stub tools/p2pdmactl/tests/host_check.sh <<<'exit 0'
stub selftests/vm/run-vm.sh <<'EOF'
while [ $# -gt 0 ]; do
	case $1 in
	--topology) topo=$2; shift ;;
	--kernel-dir) kdir=$2; shift ;;
	--out) out=$2; shift ;;
	esac
	shift
done
mkdir -p "$out"
[ "${kdir##*-}/$topo" = "${FAKE_VM_LOSE-}" ] && exit 0
echo "ok 1 module_test.load" >"$out/results.tap"
EOF
}
cat >"$F/tools/p2pdmactl/Makefile" <<'EOF'
all:
run-tests:
	@echo "ok 1 p2pdmactl.cli_help"
EOF
cat >"$F/selftests/Makefile" <<'EOF'
all:
	@mkdir -p $(P2PDMA_EXT_BUILD)/selftests && touch $(P2PDMA_EXT_BUILD)/selftests/module_test
EOF
touch "$F/selftests/run-in-vm.sh" "$F/selftests/leakcheck.sh" \
	"$F/selftests/kernel-log.allow" "$F/selftests/modules.list"
cat >"$F/Makefile" <<'EOF'
deb:
	@mkdir -p $(P2PDMA_EXT_BUILD)/packages && touch $(P2PDMA_EXT_BUILD)/packages/p2pdma-ext-dkms_1_all.deb
rpm:
EOF
printf '#!/bin/sh\nexit 0\n' >"$F/bin/lintian"
chmod +x "$F/bin/lintian"

# fake_check [VAR=VALUE...]: the stub tree's make check (kernels 5.10 and
# 7.2 and the debug kernel, topologies switch and iommu); output in
# $W/out, exit status in $W/rc.
fake_check() {
	rm -rf "$F/build"
	env PATH="$F/bin:$PATH" P2PDMA_EXT_BUILD="$F/build" P2PDMA_EXT_CACHE="$W/cache" \
		P2PDMA_EXT_KERNELS="5.10 7.2 6.1-debug" P2PDMA_EXT_TOPOLOGIES="switch iommu" \
		"$@" "$F/tools/check.sh" >"$W/out" 2>&1
	echo $? >"$W/rc"
}
green() { [ "$(cat "$W/rc")" = 0 ] && has '^[1-9][0-9]* passed, 0 failed, 0 skipped$'; }
red() { [ "$(cat "$W/rc")" != 0 ] && has '^[0-9]+ passed, [1-9][0-9]* failed, '; }

clean_run_green() {
	fake_check && green && hasnt '^FAIL' &&
		has '^accounting: all [0-9]+ expected result groups present$'
}
ok check-clean-run-is-green clean_run_green

# pkgtest.sh exits early (as in issue 18, in 7.2 after install).
pkgtest_dies() {
	fake_check FAKE_PKG_DIE=7.2/install && red &&
		has "^FAIL phase/pkgtest -- tools/pkgtest\.sh 5\.10 7\.2: exit 127; see $F/build/logs/pkgtest\.log$" &&
		grep -q 'dkms: command not found' "$F/build/logs/pkgtest.log" &&
		has '^FAIL accounting/pkg/7\.2/dkms-installed -- no results: phase lost$' &&
		has '^FAIL accounting/pkg/7\.2/purge-clean ' && has '^FAIL accounting/pkg/7\.2/rpm ' &&
		hasnt '^FAIL accounting/pkg/(5\.10|7\.2/install)'
}
ok check-pkgtest-early-exit-fails pkgtest_dies

matrix_dies() {
	fake_check FAKE_MATRIX_DIE=7.2 && red &&
		has '^FAIL phase/matrix -- tools/matrix\.sh 5\.10 7\.2: exit 137; see ' &&
		has '^FAIL accounting/build/7\.2 -- no results: phase lost$' &&
		has '^FAIL vm/7\.2/switch -- no module was built for 7\.2$' &&
		hasnt '^FAIL accounting/build/5\.10'
}
ok check-matrix-death-fails matrix_dies

vm_lost() {
	fake_check FAKE_VM_LOSE=7.2/iommu && red &&
		has '^FAIL vm/7\.2/iommu/run -- no TAP results \(run-vm\.sh exit 0\)' &&
		[ "$(grep -c '^FAIL ' "$W/out")" -eq 2 ]   # the line, and its echo in the summary
}
ok check-vm-without-results-fails vm_lost

deps_fail() {
	fake_check FAKE_DEPS_FAIL=1 && red &&
		has "^FAIL phase/install-deps -- tools/install-deps\.sh: exit 100; see $F/build/logs/install-deps\.log$"
}
ok check-install-deps-failure-fails deps_fail

# --- tools/pkgtest.sh itself, against stub roots -----------------------------
# Roots without dkms (the command exits 127 there, like a fresh root
# before anything installed it) and series 6.1 not prepared.
P=$W/pkgtree
mkdir -p "$P/tools" "$P/selftests/vendor-sample" "$W/pkgbuild/packages" "$W/pkgbuild/selftests"
cp "$REAL/tools/pkgtest.sh" "$REAL/tools/lib.sh" "$P/tools/"
echo 'PACKAGE_VERSION="9.9"' >"$P/dkms.conf"
touch "$P/selftests/vendor-sample/"{Kbuild,Makefile,p2px_vendor_sample.c} \
	"$W/pkgbuild/packages/p2pdma-ext-dkms_9.9_all.deb" \
	"$W/pkgbuild/packages/p2pdma-ext-dev_9.9_all.deb" "$W/pkgbuild/selftests/module_test"
# shellcheck disable=SC2016
cat >"$P/tools/kernels.sh" <<'EOF'
#!/bin/bash
case $1 in
root)
	[ "$2" != 6.1 ] || { echo "kernels.sh: error: series 6.1 is not prepared" >&2; exit 3; }
	mkdir -p "$FAKE_ROOTS/$2" && echo "$FAKE_ROOTS/$2" ;;
release) echo "$2.0-fake" ;;
kernel-dir) echo "$FAKE_ROOTS/kernel-$2" ;;
run)
	for a in "$@"; do
		[ "$a" != dkms ] || { echo "dkms: not found" >&2; exit 127; }
	done ;;
esac
exit 0
EOF
chmod +x "$P/tools/kernels.sh"
git -C "$P" init -q && git -C "$P" add -A &&
	git -C "$P" -c user.name=t -c user.email=t@invalid commit -q -m fake

# shellcheck disable=SC2016 # regexes
pkgtest_reports_death() {
	rm -f "$W/pkg-results"
	env RESULTS="$W/pkg-results" P2PDMA_EXT_BUILD="$W/pkgbuild" P2PDMA_EXT_CACHE="$W/cache" \
		FAKE_ROOTS="$W/roots" "$P/tools/pkgtest.sh" 6.1 7.2 >"$W/out" 2>&1
	local rc=$?
	[ "$rc" -ne 0 ] &&
		has '^FAIL pkg/6\.1/pkgtest -- pkgtest\.sh died at line [0-9]+ \(root=\$\(.*kernels\.sh" root "\$k"\)\), exit 3; ' &&
		has '^FAIL pkg/7\.2/dkms-version -- no dkms --version in the root' &&
		has '^PASS pkg/7\.2/purge-clean$' && has '^SKIP pkg/7\.2/rpm ' &&
		hasnt '^FAIL pkg/7\.2/pkgtest'
}
ok pkgtest-death-recorded-dkms-query-survives pkgtest_reports_death

echo "1..$n"
[ "$failed" -eq 0 ]
