#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make demo": build p2pdma_ext.ko for the default kernel (Debian 6.1),
# boot the "switch" test bed under QEMU, load the module and show what it
# sees. P2PDMA_EXT_DEMO_KERNEL and P2PDMA_EXT_DEMO_TOPOLOGY override.
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

k=${P2PDMA_EXT_DEMO_KERNEL:-6.1}
topo=${P2PDMA_EXT_DEMO_TOPOLOGY:-switch}
export RESULTS=$BUILD/demo-results.txt
rm -f "$RESULTS"

"$TOP/tools/install-deps.sh"
echo "== building p2pdma_ext.ko for Debian $k"
"$TOP/tools/matrix.sh" "$k" >/dev/null || {
	cat "$BUILD/matrix/$k/build.log" >&2
	exit 1
}

dir=$BUILD/demo
rm -rf "$dir"
mkdir -p "$dir/payload"
cp "$BUILD/matrix/$k/p2pdma_ext.ko" "$dir/payload/"
[ ! -f "$BUILD/matrix/$k/selftests/drivers/p2px_edu.ko" ] ||
	cp "$BUILD/matrix/$k/selftests/drivers/p2px_edu.ko" "$dir/payload/"
cp "$TOP/tools/demo-guest.sh" "$dir/payload/run"
# p2pdmactl with its libraries (demo-guest.sh uses it when present)
if make -s -C "$TOP/tools/p2pdmactl" OUT="$BUILD/tools" "$BUILD/tools/p2pdmactl" >/dev/null; then
	"$TOP/tools/p2pdmactl/payload.sh" "$BUILD/tools/p2pdmactl" "$dir/payload"
fi

echo "== booting Debian $k ($("$TOP/tools/kernels.sh" release "$k")) in the '$topo' test bed"
"$TOP/selftests/vm/run-vm.sh" --kernel-dir "$("$TOP/tools/kernels.sh" kernel-dir "$k")" \
	--topology "$topo" --payload "$dir/payload" --out "$dir/out" --timeout 300 \
	>"$dir/run.log" 2>&1 || {
	cat "$dir/run.log" >&2
	exit 1
}
# The guest's output, without the kernel log dump that follows it.
sed -n '/==== DMESG BEGIN ====/q;p' "$dir/out/results.log"

# What edu wrote into the ivshmem BAR, read back from the host's file.
p2p=$(tr -d '\r' <"$dir/out/results.log" | sed -n 's/^DEMO-P2P \([0-9]*\) \([0-9a-f]*\)$/\1 \2/p')
if [ -n "$p2p" ]; then
	# shellcheck disable=SC2086 # two words on purpose
	set -- $p2p
	host=$(od -An -v -tx1 -j "$1" -N 16 "$dir/out/backing/shm0.mem" | tr -d ' \n')
	echo "== host: $dir/out/backing/shm0.mem at offset $1: $host"
	if [ "$host" = "$2" ]; then
		echo "== the bytes edu wrote by peer-to-peer DMA are in the ivshmem memory on the host"
	else
		echo "== MISMATCH: the guest saw $2" >&2
		exit 1
	fi
fi
