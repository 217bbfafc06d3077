#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test of the probe machinery itself: a probe broken on purpose must
# stop the build with a message naming its group, never select a branch.
# Two breakages, built for 6.1 in its suite's root (or for the first kernel
# of the run when 6.1 is not in it); both are written so that they break
# the group on every kernel, whichever alternative wins there:
#   - a typo in every alternative, so also in the one that should win (no
#     alternative compiles);
#   - an alternative that compiles everywhere beside the right one (two
#     alternatives compile).
set -uo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

k=6.1
case " $KERNELS " in *" $k "*) ;; *) k=${KERNELS%% *} ;; esac

try_broken() {
	local name=$1 files=$2 expect=$3 edit=$4 f
	local stage=$BUILD/probe-test/$name out=$BUILD/probe-test/$name.out

	stage_module "$stage"
	rm -rf "$out"
	mkdir -p "$out"
	for f in $files; do
		sed -i "$edit" "$stage/src/probes/$f"
	done
	if "$TOP/tools/kernels.sh" build "$k" "$stage" "$out" modules >/dev/null 2>&1; then
		result FAIL "host/probes/$name" "build succeeded with a broken probe"
	elif [ -f "$out/p2pdma_ext.ko" ]; then
		result FAIL "host/probes/$name" "a module was produced"
	elif grep -q "$expect" "$out/build.log"; then
		result PASS "host/probes/$name" "$(grep -m1 "$expect" "$out/build.log")"
	else
		tail -n 20 "$out/build.log"
		result FAIL "host/probes/$name" "build failed without naming the group"
	fi
	rm -rf "$stage"
}

# class_create: a typo in both forms, (owner, name) and (name).
try_broken typo "class_create.owner_arg.c class_create.one_arg.c" \
	"probe group 'class_create': 0 alternatives" \
	's/class_create(/class_creat(/'
# vm_flags: both alternatives made trivially true (one of them is anyway).
try_broken ambiguous "vm_flags.setter.c vm_flags.writable.c" \
	"probe group 'vm_flags': 2 alternatives" \
	's/^\t\(vm_flags_set(vma, VM_IO)\|vma->vm_flags |= VM_IO\);$/\t(void)vma;/'
