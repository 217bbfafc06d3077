#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build p2pdma_ext.ko with W=1 for every supported Debian kernel, each in a
# root of its own suite (tools/kernels.sh), and fail on any error or
# warning. Output: build/matrix/SERIES/{p2pdma_ext.ko,build.log,generated/}.
# Test-only modules in selftests/drivers/ are built in the same Kbuild run
# (the staged Kbuild descends into them), so they link against the
# module's exports; they land in build/matrix/SERIES/selftests/drivers/.
# Finally print which probe macros differ between the kernels.
# SERIES "6.1-debug" is the debug kernel (tools/debug-kernel.sh), built
# for with the host's compiler against its build tree.
#
#   tools/matrix.sh [SERIES...]
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] && KERNELS="$*"
# shellcheck disable=SC2086 # a word list
distro=$(printf '%s\n' $KERNELS | { grep -vx '6\.1-debug' || true; } | xargs)
if [ -n "$distro" ]; then
	# shellcheck disable=SC2086
	"$TOP/tools/kernels.sh" prepare $distro
fi

fails=0
for k in $KERNELS; do
	out=$BUILD/matrix/$k
	stage=$BUILD/matrix/$k.stage
	rm -rf "$out"
	mkdir -p "$out"
	stage_module "$stage"
	if [ -f "$TOP/selftests/drivers/Kbuild" ]; then
		mkdir -p "$stage/selftests"
		cp -a "$TOP/selftests/drivers" "$stage/selftests/"
		echo 'obj-m += selftests/drivers/' >>"$stage/Kbuild"
	fi
	t0=$(date +%s)
	if [ "$k" = 6.1-debug ]; then
		rel=$("$TOP/tools/debug-kernel.sh" release)
		builder=("$TOP/tools/debug-kernel.sh" build-module)
	else
		rel=$("$TOP/tools/kernels.sh" release "$k")
		builder=("$TOP/tools/kernels.sh" build "$k")
	fi
	if "${builder[@]}" "$stage" "$out" W=1 modules >/dev/null 2>&1; then
		rc=0
	else
		rc=$?
	fi
	warnings=$(grep -ci 'warning' "$out/build.log" || true)
	if [ "$rc" -ne 0 ] || [ ! -f "$out/p2pdma_ext.ko" ]; then
		tail -n 40 "$out/build.log" >&2
		result FAIL "build/$k" "$rel: make exited $rc"
		fails=$((fails + 1))
	elif [ "$warnings" -ne 0 ]; then
		grep -i 'warning' "$out/build.log" >&2
		result FAIL "build/$k" "$rel: $warnings warning line(s) with W=1"
		fails=$((fails + 1))
	else
		result PASS "build/$k" "$rel, W=1, 0 warnings, $(since "$t0") s"
	fi
	rm -rf "$stage"
done

# How the generated probe headers differ across the kernels.
echo "probe results (generated/p2pdma_ext_config.h) per kernel:"
macros=$(cat "$BUILD"/matrix/*/generated/p2pdma_ext_config.h 2>/dev/null |
	sed -n 's/^#define \(P2PDMA_EXT_HAVE_[A-Z0-9_]*\) 1$/\1/p' | sort -u)
printf '  %-48s' "macro"
for k in $KERNELS; do printf ' %5s' "$k"; done
echo
for m in $macros; do
	printf '  %-48s' "$m"
	for k in $KERNELS; do
		h=$BUILD/matrix/$k/generated/p2pdma_ext_config.h
		if grep -qx "#define $m 1" "$h" 2>/dev/null; then
			printf ' %5s' yes
		else
			printf ' %5s' -
		fi
	done
	echo
done

[ "$fails" -eq 0 ]
