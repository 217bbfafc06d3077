#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host side of p2pdmactl's VM test (vm_test.sh): what "p2pdmactl buffers
# --json" printed in the guest ("# json buffers:" lines) is parsed with jq
# and compared with what the guest set up ("# buffers-setup:" line: the
# dma-buf's inode, the ivshmem, BAR, size, ranges, the importing edu and
# the process holding it). One result line (tools/lib.sh) named
# PREFIX/host/p2pdmactl-buffers-json.
#
#   host_check.sh PREFIX RESULTS-TAP
set -uo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/../../lib.sh"

prefix=$1 tap=$2
name=$prefix/host/p2pdmactl-buffers-json
setup=$(tr -d '\r' <"$tap" 2>/dev/null | sed -n 's/^# buffers-setup: //p' | head -n 1)
doc=$(tr -d '\r' <"$tap" 2>/dev/null | sed -n 's/^# json buffers: //p')

if [ -z "$setup" ] || [ -z "$doc" ]; then
	skipped=$(tr -d '\r' <"$tap" 2>/dev/null |
		sed -n 's/^ok [0-9]* p2pdmactl\.buffers_json # SKIP //p' | head -n 1)
	if [ -n "$skipped" ]; then
		result SKIP "$name" "the guest skipped it: $skipped"
	elif ! grep -q '^\(not \)\{0,1\}ok [0-9]* p2pdmactl\.' "$tap" 2>/dev/null; then
		result SKIP "$name" "p2pdmactl's VM test did not run (no p2pdmactl in the payload)"
	else
		result FAIL "$name" "the guest printed no buffers-setup line or no buffers JSON"
	fi
	exit 0
fi

# "ino N device BDF bar B size S ranges R importer EDU pid P"
read -r _ ino _ dev _ bar _ size _ ranges _ edu _ pid <<<"$setup"
# shellcheck disable=SC2016 # jq program
if printf '%s\n' "$doc" | jq -e --argjson ino "$ino" --arg dev "$dev" \
	--argjson bar "$bar" --argjson size "$size" --argjson ranges "$ranges" \
	--arg edu "$edu" --argjson pid "$pid" '
	length == 1 and .[0] as $b |
	$b.id == $ino and $b.provider == $dev and $b.bar == $bar and
	$b.size == $size and $b.ranges == $ranges and
	$b.exporter == "ioctl" and $b.revoked == false and $b.maps == 1 and
	$b.importers_total == 1 and $b.importers_truncated == false and
	($b.importers | length) == 1 and $b.importers[0].device == $edu and
	$b.importers[0].mapped == true and $b.importers[0].maps == 1 and
	any($b.holders[]; .pid == $pid)' >/dev/null 2>&1; then
	result PASS "$name" "dma-buf $ino of $dev BAR $bar, $size bytes, imported and mapped by $edu, held by pid $pid"
else
	result FAIL "$name" "want dma-buf $ino of $dev BAR $bar, $size bytes, $ranges ranges, mapped by $edu, held by pid $pid; got: $(
		printf '%s' "$doc" | tr -d '\n\t ' | head -c 400)"
fi
