#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test of the probe machinery itself: a probe broken on purpose must
# stop the build with a message naming its group, never select a branch.
# Two breakages, built for 6.1 in its suite's root:
#   - a typo in the alternative that should win (no alternative compiles);
#   - an alternative that compiles everywhere (two alternatives compile).
set -uo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

k=6.1
case " $KERNELS " in *" $k "*) ;; *) k=${KERNELS%% *} ;; esac

try_broken() {
	local name=$1 file=$2 expect=$3 edit=$4
	local stage=$BUILD/probe-test/$name out=$BUILD/probe-test/$name.out

	stage_module "$stage"
	rm -rf "$out"
	mkdir -p "$out"
	sed -i "$edit" "$stage/src/probes/$file"
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

# class_create: 6.1 has the (owner, name) form; break that one.
try_broken typo class_create.owner_arg.c \
	"probe group 'class_create': 0 alternatives" \
	's/class_create(THIS_MODULE, /class_creat(THIS_MODULE, /'
# vm_flags: make the "setter" alternative trivially true as well.
try_broken ambiguous vm_flags.setter.c \
	"probe group 'vm_flags': 2 alternatives" \
	's/vm_flags_set(vma, VM_IO);/(void)vma;/'
