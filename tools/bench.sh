#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: p2pdma_ext timed against the kernel's own P2PDMA in the same
# VM boot. Builds the module and the test-only p2px_bench.ko for the bench
# kernels (tools/matrix.sh), boots each in the "bench" topology (128 edu
# functions and ivshmem providers of 64 MiB .. 16 GiB; QEMU TCG, hard
# timeout per run), runs tools/bench/guest.sh there and writes
#
#   build/bench/results.md    the table: ours, native (or base), ratio
#   build/bench/ratios.png    the ratios as a chart (gnuplot)
#   build/bench/results.txt   the raw lines "KERNEL ROW IMPL MEDIAN P10 P90 N"
#   build/bench/K/            each VM run's directory (run.log, out/)
#
# 7.2 has CONFIG_PCI_P2PDMA: "native" is the kernel's own code, and the
# module's registry delegates to it. The dma-buf rows (ours against
# vfio-pci's export, selftests/dmabuf_bench.c) run in a second 7.2 VM in
# the "iommu" topology: vfio-pci needs an IOMMU group there. 6.1 has none: the ext back end is
# compared with "base", upstream's steps re-created by p2px_bench (see its
# header comment). Timings are reported, never judged; the run fails only
# when a VM run or a benchmark operation fails.
#
# Environment: P2PDMA_EXT_BENCH_KERNELS (default "7.2 6.1"),
# P2PDMA_EXT_BENCH_TIMEOUT (seconds per VM run, default 900),
# P2PDMA_EXT_BENCH_ONLY (benchmark commands to run, e.g. "distance matrix";
# default all: distance alloc register matrix mapsg dmabuf).
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

BENCH_KERNELS=${P2PDMA_EXT_BENCH_KERNELS:-7.2 6.1}
TMO=${P2PDMA_EXT_BENCH_TIMEOUT:-900}
OUT=$BUILD/bench
t_all=$(date +%s)

"$TOP/tools/install-deps.sh" gnuplot-nox
# shellcheck disable=SC2086
"$TOP/tools/matrix.sh" $BENCH_KERNELS
make -s -C "$TOP/selftests" bench >/dev/null

mkdir -p "$OUT"
raw=$OUT/results.txt
: >"$raw"
fails=0
for k in $BENCH_KERNELS; do
	dir=$OUT/$k
	rm -rf "$dir"
	mkdir -p "$dir/payload"
	cp "$BUILD/matrix/$k/p2pdma_ext.ko" \
		"$BUILD/matrix/$k/selftests/drivers/p2px_bench.ko" "$dir/payload/"
	cp "$TOP/tools/bench/guest.sh" "$dir/payload/run"
	echo "${P2PDMA_EXT_BENCH_ONLY:-}" >"$dir/payload/only"
	t0=$(date +%s)
	rc=0
	"$TOP/selftests/vm/run-vm.sh" --kernel-dir "$("$TOP/tools/kernels.sh" kernel-dir "$k")" \
		--topology bench --payload "$dir/payload" --out "$dir/out" \
		--mem 2048 --timeout "$TMO" >"$dir/run.log" 2>&1 || rc=$?
	echo "bench $k: VM run exit $rc in $(since "$t0") s ($(cat "$dir/out/summary" 2>/dev/null))"
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$dir/run.log"
		fails=$((fails + 1))
	fi
	sed -n 's/^# BENCH //p' "$dir/out/payload.log" 2>/dev/null |
		sed "s/^/$k /" >>"$raw"
	cp "$dir/out/status" "$dir/status" 2>/dev/null || true
done

# The dma-buf rows: 7.2 only (vfio-pci dma-buf export), topology iommu.
wants() { [ -z "${P2PDMA_EXT_BENCH_ONLY:-}" ] || case " $P2PDMA_EXT_BENCH_ONLY " in *" $1 "*) ;; *) false ;; esac; }
if wants dmabuf && case " $BENCH_KERNELS " in *" 7.2 "*) true ;; *) false ;; esac; then
	dir=$OUT/7.2-dmabuf
	rm -rf "$dir"
	mkdir -p "$dir/payload"
	cp "$BUILD/matrix/7.2/p2pdma_ext.ko" \
		"$BUILD/matrix/7.2/selftests/drivers/p2px_bench.ko" \
		"$BUILD/bench-tools/dmabuf_bench" "$TOP/selftests/modules.list" "$dir/payload/"
	cp "$TOP/tools/bench/guest.sh" "$dir/payload/run"
	t0=$(date +%s)
	rc=0
	"$TOP/selftests/vm/run-vm.sh" --kernel-dir "$("$TOP/tools/kernels.sh" kernel-dir 7.2)" \
		--topology iommu --payload "$dir/payload" --out "$dir/out" \
		--timeout "$TMO" >"$dir/run.log" 2>&1 || rc=$?
	echo "bench 7.2 dmabuf: VM run exit $rc in $(since "$t0") s ($(cat "$dir/out/summary" 2>/dev/null))"
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$dir/run.log"
		fails=$((fails + 1))
	fi
	sed -n 's/^# BENCH //p' "$dir/out/payload.log" 2>/dev/null | sed "s/^/7.2 /" >>"$raw"
fi

"$TOP/tools/bench/report.sh" "$raw" "$OUT"
echo "bench: $OUT/results.md, $OUT/ratios.png (total $(since "$t_all") s)"
[ "$fails" -eq 0 ]
