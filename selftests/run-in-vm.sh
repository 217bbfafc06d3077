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
# run_test NAME [ARGS...]: one run of test binary NAME; its wall time
# (whole seconds of uptime) follows as "# time NAME: N s".
run_test() {
	name=$1
	shift
	t0=$(cut -d. -f1 /proc/uptime)
	# The harness names no test on a SKIP line: take it from the RUN line.
	"./tests/$name" "$@" 2>&1 |
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
	echo "# time $name: $(($(cut -d. -f1 /proc/uptime) - t0)) s"
}
# Binaries built with p2px_harness.h select tests: P2PX_TEST_ARGS (e.g.
# "-f loop -t revoke_explicit") is passed to each of them; with
# P2PX_EACH_ALONE=1 (or =reverse: last first) each of their tests runs
# alone, one process each (no test may depend on another having run
# before it, or not).
for name in $P2PX_TESTS; do
	t=tests/$name
	[ -x "$t" ] || continue
	if ! grep -q p2px-harness-select "$t"; then
		echo "# running $name"
		run_test "$name"
	elif [ "${P2PX_EACH_ALONE:-0}" != 0 ]; then
		# shellcheck disable=SC2086 # P2PX_TEST_ARGS is a list of words
		"./$t" -l ${P2PX_TEST_ARGS:-} >/tmp/p2px-test.list || rc=1
		if [ "$P2PX_EACH_ALONE" = reverse ]; then
			sed '1!G;h;$!d' /tmp/p2px-test.list >/tmp/p2px-test.rev
			mv /tmp/p2px-test.rev /tmp/p2px-test.list
		fi
		while read -r f v c; do
			echo "# running $name alone: $f $v $c"
			if [ "$v" = - ]; then
				run_test "$name" -f "$f" -t "$c" </dev/null
			else
				run_test "$name" -f "$f" -v "$v" -t "$c" </dev/null
			fi
		done </tmp/p2px-test.list
	else
		echo "# running $name"
		# shellcheck disable=SC2086 # P2PX_TEST_ARGS is a list of words
		run_test "$name" ${P2PX_TEST_ARGS:-}
	fi
done
[ ! -x leakcheck.sh ] || ./leakcheck.sh report || rc=1
exit $rc
