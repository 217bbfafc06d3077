#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the demo VM: load p2pdma_ext and show what it sees.
set -e
echo "-- PCI devices (BDF vendor:device class)"
for d in /sys/bus/pci/devices/*; do
	echo "   $(basename "$d") $(cut -c3- "$d/vendor"):$(cut -c3- "$d/device") $(cat "$d/class")"
done
echo "-- insmod p2pdma_ext.ko"
insmod /payload/p2pdma_ext.ko
dmesg | grep p2pdma_ext | sed 's/^/   /'
echo "-- /sys/module/p2pdma_ext"
echo "   version: $(cat /sys/module/p2pdma_ext/version)"
echo "   taint:   $(cat /sys/module/p2pdma_ext/taint)"
for p in /sys/module/p2pdma_ext/parameters/*; do
	[ -e "$p" ] && echo "   parameter $(basename "$p") = '$(cat "$p")'"
done
echo "-- control device"
ls -l /dev/p2pdma_ext | sed 's/^/   /'
echo "-- rmmod p2pdma_ext"
rmmod p2pdma_ext
echo "   unloaded"
