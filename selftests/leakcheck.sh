#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kmemleak around the selftest payload, on kernels that have it (the debug
# kernel); elsewhere it does nothing and prints nothing.
#
#   leakcheck.sh start    scan and forget what the kernel leaked while booting
#   leakcheck.sh report   unload the test modules still loaded, scan, and
#                         print "ok N leakcheck.kmemleak" or "not ok ..." with
#                         every suspected leak as a "#" line
#
# kmemleak only reports objects older than 5 s, and a pointer left in a
# register or on a stack hides a leak for one scan: report waits and scans
# twice.
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -w "$KMEMLEAK" ] || exit 0

case $1 in
start)
	echo scan >"$KMEMLEAK"
	echo clear >"$KMEMLEAK"
	;;
report)
	for m in p2px_upstream p2px_parity p2px_edu p2pdma_ext; do
		[ -d "/sys/module/$m" ] || continue
		if ! rmmod "$m" 2>/dev/null; then
			echo "not ok 1 leakcheck.modules-unload # $m is still in use"
			exit 1
		fi
	done
	sleep 6
	echo scan >"$KMEMLEAK"
	sleep 1
	echo scan >"$KMEMLEAK"
	leaks=$(grep -c '^unreferenced object' "$KMEMLEAK")
	if [ "$leaks" -eq 0 ]; then
		echo "ok 1 leakcheck.kmemleak"
		exit 0
	fi
	sed 's/^/# /' "$KMEMLEAK"
	echo "not ok 1 leakcheck.kmemleak # $leaks suspected leak(s)"
	exit 1
	;;
*)
	echo "usage: leakcheck.sh start|report" >&2
	exit 2
	;;
esac
