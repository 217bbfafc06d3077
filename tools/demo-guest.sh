#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the demo VM: load p2pdma_ext and show what it sees.
set -e
echo "-- PCI devices (BDF vendor:device class)"
for d in /sys/bus/pci/devices/*; do
	echo "   $(basename "$d") $(cut -c3- "$d/vendor"):$(cut -c3- "$d/device") $(cat "$d/class")"
done
if [ -x /payload/p2pdmactl ]; then
	echo "-- p2pdmactl load --module p2pdma_ext.ko (through libkmod)"
	/payload/p2pdmactl load --module /payload/p2pdma_ext.ko | sed 's/^/   /'
else
	echo "-- insmod p2pdma_ext.ko"
	insmod /payload/p2pdma_ext.ko
fi
dmesg | grep p2pdma_ext | sed 's/^/   /'
echo "-- /sys/module/p2pdma_ext"
echo "   version: $(cat /sys/module/p2pdma_ext/version)"
echo "   taint:   $(cat /sys/module/p2pdma_ext/taint)"
for p in /sys/module/p2pdma_ext/parameters/*; do
	[ -e "$p" ] && echo "   parameter $(basename "$p") = '$(cat "$p")'"
done
echo "-- control device"
ls -l /dev/p2pdma_ext | sed 's/^/   /'

# p2pdmactl (tools/p2pdmactl): status, the matrix, and one pair explained
# (a refused one if there is any).
if [ -x /payload/p2pdmactl ]; then
	echo "-- p2pdmactl status"
	/payload/p2pdmactl status | sed 's/^/   /'
	echo "-- p2pdmactl topology (row = provider, column = client)"
	/payload/p2pdmactl topology 1af4:1110 1234:11e8 1b36:0010 | sed 's/^/   /'
	pair=$(/payload/p2pdmactl topology --json | awk '
		/"provider":/ { p = $2 } /"client":/ { c = $2 }
		/"map_type": "not_supported"/ && p != c { r = p " " c }
		/"reason": "host_bridge_not_allowed"/ && r != "" { print r; exit }' |
		tr -d '",')
	[ -n "$pair" ] || pair="1af4:1110 1234:11e8"
	# shellcheck disable=SC2086 # two BDFs
	echo "-- p2pdmactl why $pair"
	/payload/p2pdmactl why $pair | sed 's/^/   /'
fi

# Peer-to-peer DMA through the registry: the ivshmem (BAR2 = 64 MiB of RAM)
# becomes a provider, the edu DMA engine copies into and out of it.
shm=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1af4:0x1110" ] && shm=$(basename "$d")
done
if [ -n "$shm" ] && [ -f /payload/p2px_edu.ko ]; then
	echo "-- bind $shm (ivshmem) to p2pdma_ext_provider"
	echo p2pdma_ext_provider >"/sys/bus/pci/devices/$shm/driver_override"
	echo "$shm" >/sys/bus/pci/drivers_probe
	for f in size available published; do
		echo "   p2pmem/$f: $(cat "/sys/bus/pci/devices/$shm/p2pmem/$f")"
	done
	echo "-- insmod p2px_edu.ko; edu DMA: P2P memory -> RAM, then RAM -> P2P memory"
	insmod /payload/p2px_edu.ko
	if echo "256 7" >/sys/kernel/debug/p2px_edu/copy; then
		sed 's/^/   /' /sys/kernel/debug/p2px_edu/copy
		off=$(sed -n 's/.* offset \([0-9]*\) .*/\1/p' /sys/kernel/debug/p2px_edu/copy)
		head=$(sed -n 's/^head \(.\{32\}\).*/\1/p' /sys/kernel/debug/p2px_edu/copy)
		echo "   p2pmem/available now: $(cat "/sys/bus/pci/devices/$shm/p2pmem/available")"
		echo "DEMO-P2P $off $head"
	else
		echo "   the copy was refused"
	fi
	dmesg | grep -E 'p2px_edu|peer-to-peer' | sed 's/^/   /'
	rmmod p2px_edu
fi

echo "-- rmmod p2pdma_ext"
rmmod p2pdma_ext
echo "   unloaded"
