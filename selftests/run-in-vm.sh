#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (busybox sh) as /payload/run: every test binary
# in /payload/tests, its TAP lines prefixed with the binary's name so that
# results from different binaries stay apart. After each binary the host
# checks the device memory it claims to have written.
set -o pipefail
cd /payload || exit 1
# Settings from the host for the tests, e.g. the debug kernel's budgets.
if [ -f test.env ]; then
	set -a
	. ./test.env
	set +a
fi
rc=0
# kmemleak (debug kernel): forget the boot, report what the tests leaked.
[ ! -x leakcheck.sh ] || ./leakcheck.sh start
# P2PX_TESTS (test.env) names the tests to run, in order; by default all,
# fault_test last: its injected allocation failures may hit the detectors'
# own bookkeeping (a detector that switches itself off fails the run, but
# would see nothing after that).
if [ -z "${P2PX_TESTS:-}" ]; then
	P2PX_TESTS="$(cd tests && ls | grep -vx fault_test) fault_test"
fi
for name in $P2PX_TESTS; do
	t=tests/$name
	[ -x "$t" ] || continue
	echo "# running $name"
	# The harness names no test on a SKIP line: take it from the RUN line.
	"./$t" 2>&1 |
		awk '/^#  RUN /{ cur = $3 }
		     /^ok [0-9]+ # SKIP/{ sub(/^ok [0-9]+ /, "&" cur " ") }
		     { print; fflush() }' |
		sed "s/^\(\(not \)\{0,1\}ok [0-9]* \)/\1$name./" |
		tee /tmp/p2px-test.out || rc=1
	# "# HOSTCHECK NAME OFFSET HEX": the host compares now, before a later
	# test can reuse that device memory (verdicts in OUT/hostchecks).
	grep '^# HOSTCHECK ' /tmp/p2px-test.out | while read -r _ _ dev off hex; do
		p2px-host HOSTCHECK "$dev" "$off" "$hex" >/dev/null
	done
done
[ ! -x leakcheck.sh ] || ./leakcheck.sh report || rc=1
exit $rc
