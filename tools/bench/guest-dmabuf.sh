#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /payload/run of the dma-buf VM of "make bench" (tools/bench.sh; topology
# "iommu", kernel 7.2: vfio-pci needs an IOMMU group). The runner loaded
# vfio-pci and its IOMMU back end (modules.list); this loads p2pdma_ext
# and p2px_bench and runs dmabuf_bench, which prints the rows as
# "# BENCH ROW IMPL MEDIAN_NS P10_NS P90_NS SAMPLES". Timings are
# reported, never judged.
cd /payload || exit 1
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
./dmabuf_bench
case $? in
0) tap OK "dmabuf_bench" ;;
4) echo "ok $((n = n + 1)) dmabuf_bench # SKIP no vfio-pci dma-buf here" ;;
*) tap FAIL "dmabuf_bench" ;;
esac
echo "1..$n"
exit $rc
