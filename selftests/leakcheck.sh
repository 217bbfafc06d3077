#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kmemleak around the selftest payload, on kernels that have it (the debug
# kernel); elsewhere it does nothing and prints nothing.
#
#   leakcheck.sh start    stop the automatic scans, scan and forget what
#                         the kernel leaked while booting
#   leakcheck.sh report   unload every module still loaded (the debug
#                         kernel has none of its own: all are the test's),
#                         scan, and print "ok N leakcheck.kmemleak" or
#                         "not ok ..." with every suspected leak as a "#"
#                         line
#
# A kmemleak that switched itself off (it does on an allocation failure of
# its own, e.g. one injected by fault_test) refuses "scan" and fails the
# check: a detector that is off must not pass as a clean run.
#
# kmemleak only reports objects older than 5 s, and a pointer left in a
# register or on a stack hides a leak for one scan: report waits and scans
# twice.
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -e "$KMEMLEAK" ] || exit 0

# scan: one scan; fails when kmemleak is off.
scan() {
	if ! echo scan 2>/dev/null >"$KMEMLEAK"; then
		echo "not ok 1 leakcheck.kmemleak # kmemleak is disabled (see dmesg): no leak check"
		exit 1
	fi
}

# unload_all: rmmod every loaded module, dependents first.
unload_all() {
	while [ -s /proc/modules ]; do
		progress=0
		for m in $(cut -d' ' -f1 /proc/modules); do
			rmmod "$m" 2>/dev/null && progress=1
		done
		if [ "$progress" = 0 ]; then
			echo "not ok 1 leakcheck.modules-unload # still loaded: $(cut -d' ' -f1,3 /proc/modules | tr '\n' ' ')"
			return 1
		fi
	done
	echo "ok 1 leakcheck.modules-unload"
}

case $1 in
start)
	# Only the scans below report: an automatic one could report the
	# boot's leaks before "clear" forgets them.
	echo scan=off 2>/dev/null >"$KMEMLEAK"
	scan
	echo clear >"$KMEMLEAK"
	;;
report)
	rc=0
	unload_all || rc=1
	sleep 6
	scan
	sleep 1
	scan
	leaks=$(grep -c '^unreferenced object' "$KMEMLEAK")
	if [ "$leaks" -eq 0 ]; then
		echo "ok 2 leakcheck.kmemleak"
		exit $rc
	fi
	sed 's/^/# /' "$KMEMLEAK"
	echo "not ok 2 leakcheck.kmemleak # $leaks suspected leak(s)"
	exit 1
	;;
*)
	echo "usage: leakcheck.sh start|report" >&2
	exit 2
	;;
esac
