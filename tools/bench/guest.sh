#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /payload/run of a "make bench" VM (tools/bench.sh; topology "bench"):
# loads p2pdma_ext and p2px_bench, binds the providers to p2px_bench by
# their BAR 2 size, runs the benchmark commands and prints each result as
# "# BENCH ROW IMPL MEDIAN_NS P10_NS P90_NS SAMPLES" plus one TAP line per
# command. Timings are reported, never judged: a command fails only when
# the operation itself failed. In the dma-buf VM (topology "iommu", the
# payload holds dmabuf_bench; the runner loaded vfio-pci from
# modules.list) it runs dmabuf_bench instead, which prints the same lines.
cd /payload || exit 1
# Every registration logs a line: keep the serial console out of the timing.
echo 4 >/proc/sys/kernel/printk

n=0
rc=0
tap() { # tap OK|FAIL TEXT
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n $2"; else echo "not ok $n $2"; rc=1; fi
}

for m in p2pdma_ext p2px_bench; do
	if insmod "./$m.ko"; then tap OK "insmod $m"; else tap FAIL "insmod $m"; exit 1; fi
done

if [ -x ./dmabuf_bench ]; then
	./dmabuf_bench
	case $? in
	0) tap OK "dmabuf_bench" ;;
	4) echo "ok $((n = n + 1)) dmabuf_bench # SKIP no vfio-pci dma-buf here" ;;
	*) tap FAIL "dmabuf_bench" ;;
	esac
	echo "1..$n"
	exit $rc
fi

# BAR 2 size of ivshmem functions, in bus order: "BDF BYTES".
ivshmem=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1af4:0x1110 ] || continue
	# shellcheck disable=SC2046 # "START END FLAGS": split on purpose
	set -- $(sed -n 3p "$d/resource")
	echo "${d##*/} $(($2 - $1 + 1))"
done)
bdf_of() { # bdf_of BYTES [NTH]: the NTH (default 1) ivshmem with that BAR 2 size
	echo "$ivshmem" | awk -v s="$1" -v k="${2:-1}" '$2 == s && ++i == k { print $1 }'
}
POOL=$(bdf_of $((64 << 20)) 1)
SPARE=$(bdf_of $((64 << 20)) 2)
REG16M=$(bdf_of $((16 << 20)))
REG1G=$(bdf_of $((1 << 30)))
REGBIG=$(echo "$ivshmem" | sort -k2 -n | tail -n 1 | cut -d' ' -f1)
echo "# providers: pool $POOL spare $SPARE 16M $REG16M 1G $REG1G largest $REGBIG"

for d in $POOL $REG16M $REG1G $REGBIG; do
	echo p2px_bench >"/sys/bus/pci/devices/$d/driver_override"
	echo "$d" >/sys/bus/pci/drivers_probe
	if [ -e "/sys/bus/pci/drivers/p2px_bench/$d" ]; then
		tap OK "bind $d"
	else
		tap FAIL "bind $d"
	fi
done

RUN=/sys/kernel/debug/p2px_bench/run
ONLY=$(cat only 2>/dev/null)
bench() { # bench COMMAND...: run it (unless "only" leaves it out), print its results
	if [ -n "$ONLY" ] && [ "$1" != pool ]; then
		case " $ONLY " in *" $1 "*) ;; *) return 0 ;; esac
	fi
	t0=$(cut -d' ' -f1 /proc/uptime)
	if echo "$*" >"$RUN"; then ok=OK; else ok=FAIL; fi
	sed -e 's/^# /# info: /' -e t -e 's/^/# BENCH /' "$RUN"
	tap $ok "bench $* (uptime $t0 s)"
}

bench pool "$POOL"
for c in 1 8 64; do bench distance $c; done
for s in 4096 65536 2097152; do bench alloc $s; done
bench register "$REG16M" 21
bench register "$REG1G" 11
bench register "$REGBIG" 7
bench matrix 21
for c in 1 64 512; do bench mapsg $c; done
echo "1..$n"
exit $rc
