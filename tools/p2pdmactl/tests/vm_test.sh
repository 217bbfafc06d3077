#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# p2pdmactl against the real module in the QEMU test bed (busybox sh, as
# root); installed as /payload/tests/p2pdmactl by tools/p2pdmactl/payload.sh.
# Runs every subcommand, parses its JSON and compares with what the
# topology ($P2PX_TOPOLOGY) must give. Prints TAP.
CTL=${P2PDMACTL:-/payload/p2pdmactl}
KO=${P2PX_MODULE:-/payload/p2pdma_ext.ko}
TOPO=${P2PX_TOPOLOGY:-unknown}
OUT=/tmp/p2pdmactl.out
ERR=/tmp/p2pdmactl.err
n=0
failed=0

ok() {	# ok COND-EXIT-STATUS NAME [DIAG]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		failed=$((failed + 1))
		echo "not ok $n $2"
		[ -z "${3:-}" ] || echo "# $3"
		sed 's/^/# out: /' "$OUT" 2>/dev/null | head -n 20
		sed 's/^/# err: /' "$ERR" 2>/dev/null | head -n 10
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

# run CMD...: stdout to $OUT, stderr to $ERR, exit status in $rc
run() {
	"$CTL" "$@" >"$OUT" 2>"$ERR"
	rc=$?
}

# run_user CMD...: like run, as the unprivileged user p2pxuser (busybox su;
# the initramfs has no /etc/passwd until we write one)
USER_UID=1000
run_user() {
	if ! grep -q '^p2pxuser:' /etc/passwd 2>/dev/null; then
		echo "p2pxuser:x:$USER_UID:$USER_UID::/tmp:/bin/sh" >>/etc/passwd
		echo "p2pxuser:x:$USER_UID:" >>/etc/group
	fi
	su -s /bin/sh -c "exec $CTL $*" p2pxuser >"$OUT" 2>"$ERR"
	rc=$?
}

# dump_json NAME: $OUT as "# json NAME: ..." diagnostics, which the package
# test (tools/pkgtest.sh) parses on the host with jq
dump_json() {
	sed "s/^/# json $1: /" "$OUT"
}

# BDF of the first function with vendor:device $1
find_dev() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "0x${1%%:*}" ] &&
			[ "$(cat "$d/device")" = "0x${1##*:}" ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}

# json_pair FILE PROVIDER CLIENT FIELD: a field of one pair of topology --json
json_pair() {
	awk -v p="\"$2\"" -v c="\"$3\"" -v f="\"$4\":" '
		/"provider":/ { prov = $2; sub(/,$/, "", prov) }
		/"client":/ { cli = $2; sub(/,$/, "", cli) }
		$1 == f { val = $2; sub(/,$/, "", val); gsub(/"/, "", val)
			  if (prov == p && cli == c) { print val; exit } }
		/^    }/ { prov = ""; cli = "" }' "$1"
}

# json_field FILE KEY: first value of "KEY" in a JSON document
json_field() {
	awk -v k="\"$2\":" '$1 == k { v = $2; sub(/,$/, "", v); gsub(/"/, "", v); print v; exit }' "$1"
}

echo "TAP version 13"
SHM=$(find_dev 1af4:1110)
EDU=$(find_dev 1234:11e8)
[ -n "$SHM" ] && [ -n "$EDU" ] || { echo "1..0 # SKIP no ivshmem/edu"; exit 0; }

# A clean start: the module unloaded and the ivshmem not pinned to the
# provider driver (an earlier test may have left either).
grep -q '^p2pdma_ext ' /proc/modules && rmmod p2pdma_ext 2>/dev/null
echo >"/sys/bus/pci/devices/$SHM/driver_override"

run --help
grep -q "^  doctor" "$OUT" && grep -q "exit codes" "$OUT"
ok $? help "exit $rc"
for c in load unload status set topology why providers buffers doctor; do
	run "$c" --help
	[ "$rc" -eq 0 ] && grep -q "usage: p2pdmactl $c" "$OUT"
	ok $? "help_$c"
done
run frobnicate
[ "$rc" -eq 2 ]
ok $? usage_unknown_command "exit $rc"

run status
[ "$rc" -eq 3 ] && grep -q "not loaded" "$OUT"
ok $? status_not_loaded "exit $rc"
run topology
[ "$rc" -eq 3 ]
ok $? topology_not_loaded "exit $rc"
run buffers
[ "$rc" -eq 3 ]
ok $? buffers_not_loaded "exit $rc"
run unload
[ "$rc" -eq 3 ]
ok $? unload_not_loaded "exit $rc"
run load --module /payload/nonexistent.ko
[ "$rc" -eq 3 ]
ok $? load_missing_module "exit $rc"
run load --module "$KO" notaparam
[ "$rc" -eq 2 ] && ! grep -q '^p2pdma_ext ' /proc/modules
ok $? load_bad_argument "exit $rc"

# load with a parameter, through libkmod; --module says it bypasses
# modprobe.d (one line)
run load --module "$KO" host_bridge_allow=1ae0:abcd
[ "$rc" -eq 0 ] && grep -q '^p2pdma_ext ' /proc/modules &&
	[ "$(grep -c 'bypasses modprobe.d' "$ERR")" -eq 1 ] && [ "$(wc -l <"$ERR")" -eq 1 ]
ok $? load "exit $rc"
run load --module "$KO" trust_all_host_bridges=Y
[ "$rc" -eq 1 ] && grep -q "already loaded" "$ERR"
ok $? load_again_with_params "exit $rc"

run status --json
dump_json status
case $(uname -r) in 7.*) want=native ;; *) want=ext ;; esac
[ "$rc" -eq 0 ] && [ "$(json_field "$OUT" loaded)" = true ] &&
	[ "$(json_field "$OUT" backend)" = "$want" ] &&
	[ -n "$(json_field "$OUT" version)" ] &&
	[ "$(json_field "$OUT" version)" = "$(cat /sys/module/p2pdma_ext/version)" ] &&
	json_field "$OUT" host_bridge_allow | grep -q 1ae0:abcd
ok $? status_json "exit $rc, want backend $want"
run status
[ "$rc" -eq 0 ] && grep -q "^backend: $want" "$OUT" &&
	grep -q "host_bridge_allow = .*1ae0:abcd" "$OUT"
ok $? status_text "exit $rc"

run set host_bridge_allow 'zz:!!'
[ "$rc" -eq 1 ] && grep -q "Invalid argument" "$ERR"
ok $? set_refused_reports_errno "exit $rc"
run set no_such_param 1
[ "$rc" -eq 2 ]
ok $? set_unknown_param "exit $rc"
run set host_bridge_allow ''
[ "$rc" -eq 0 ] && ! grep -q 1ae0 /sys/module/p2pdma_ext/parameters/host_bridge_allow
ok $? set_clear "exit $rc"

# topology: table and JSON
run topology "$SHM" "$EDU"
[ "$rc" -eq 0 ] && [ "$(wc -l <"$OUT")" -eq 3 ] && grep -q "^$SHM " "$OUT" &&
	! grep -q "$(printf '\033')" "$OUT"
ok $? topology_table "exit $rc"
run topology 1af4:1110 1234:11e8
[ "$rc" -eq 0 ] && grep -q "^$EDU " "$OUT"
ok $? topology_by_vendor_device "exit $rc"
run topology 1234:ffff
[ "$rc" -eq 2 ]
ok $? topology_no_such_device "exit $rc"
run topology --json
cp "$OUT" /tmp/matrix.json
ndev=$(ls /sys/bus/pci/devices | wc -l)
[ "$rc" -eq 0 ] && [ "$(grep -c '"bdf":' /tmp/matrix.json)" -eq "$ndev" ] &&
	[ "$(grep -c '"provider":' /tmp/matrix.json)" -eq $((ndev * ndev)) ]
ok $? topology_json_all "exit $rc, $ndev devices"

map=$(json_pair /tmp/matrix.json "$SHM" "$EDU" map_type)
dist=$(json_pair /tmp/matrix.json "$SHM" "$EDU" distance)
reason=$(json_pair /tmp/matrix.json "$SHM" "$EDU" reason)
echo "# $TOPO: $SHM -> $EDU: $map distance $dist reason $reason"
case $TOPO in
switch|iommu)
	[ "$map" = bus_addr ] && [ "$dist" = 4 ] && [ "$reason" = same_upstream_bridge ]
	ok $? topology_expected_pair "$map $dist $reason" ;;
multifunc)
	[ "$map" = bus_addr ] && [ "$dist" = 2 ]
	ok $? topology_expected_pair "$map $dist $reason" ;;
rootports)
	[ "$map" = not_supported ] && [ "$dist" = -1 ] &&
		[ "$reason" = host_bridge_not_allowed ]
	ok $? topology_expected_pair "$map $dist $reason" ;;
*)
	skip topology_expected_pair "unknown topology $TOPO" ;;
esac

run why --json "$SHM" "$EDU"
[ "$rc" -eq 0 ] && [ "$(json_field "$OUT" map_type)" = "$map" ] &&
	[ "$(json_field "$OUT" distance)" = "$dist" ]
ok $? why_matches_matrix "exit $rc"
run why "$SHM" "$EDU"
if [ "$TOPO" = rootports ]; then
	# Refused by the kernel's table too: no kernel line.
	[ "$rc" -eq 0 ] && grep -q "^to change it: .*host_bridge_allow=8086:29c0" "$OUT" &&
		! grep -qF "dma_map_sg()" "$OUT"
	ok $? why_remedy "exit $rc"

	run doctor
	{ [ "$rc" -eq 0 ] || [ "$rc" -eq 6 ]; } &&
		grep -q "host bridge not in the allowlist" "$OUT" &&
		grep -q "fix: .*host_bridge_allow=8086:29c0" "$OUT"
	ok $? doctor_allowlist "exit $rc"

	run set host_bridge_allow 8086:29c0
	[ "$rc" -eq 0 ]
	ok $? set_allow_q35 "exit $rc"
	run topology --json "$SHM" "$EDU"
	[ "$(json_pair "$OUT" "$SHM" "$EDU" map_type)" = thru_host_bridge ] &&
		[ "$(json_pair "$OUT" "$SHM" "$EDU" distance)" = 4 ]
	ok $? topology_after_allow
	run doctor
	grep -q "allowlist covers every host-bridge path" "$OUT"
	ok $? doctor_after_allow "exit $rc"
	# The kernel's own dma_map_sg() still refuses the pair on 7.2: one
	# line in why and in doctor there, none elsewhere.
	kline="In-tree drivers mapping with the kernel's dma_map_sg() follow its built-in host bridge table, not p2pdma_ext's parameters: it refuses this pair."
	dline="host_bridge_allow is set: in-tree drivers using the kernel's dma_map_sg() still follow"
	run why "$SHM" "$EDU"
	lines=$([ "$want" = native ] && echo 1 || echo 0)
	cnt=$(grep -cF "$kline" "$OUT")
	[ "$rc" -eq 0 ] && [ "$cnt" -eq "$lines" ]
	ok $? why_kernel_table "exit $rc, $cnt line(s), backend $want"
	run doctor
	cnt=$(grep -cF "$dline" "$OUT")
	[ "$cnt" -eq "$lines" ]
	ok $? doctor_kernel_table "$cnt line(s), backend $want"
else
	[ "$rc" -eq 0 ] && grep -q "$SHM -> $EDU: $map, distance $dist" "$OUT"
	ok $? why_text "exit $rc"
	skip why_remedy "only rootports has a refused pair"
fi

run doctor
{ [ "$rc" -eq 0 ] || [ "$rc" -eq 6 ]; } && grep -q "^verdict: " "$OUT" &&
	grep -q "module p2pdma_ext is loaded" "$OUT" &&
	grep -q "IOMMU" "$OUT" && grep -q "BAR" "$OUT"
ok $? doctor "exit $rc"
grep "IOMMU" "$OUT" | sed 's/^/# /'
if [ "$TOPO" = iommu ]; then
	grep -q "IOMMU(s) active and translating" "$OUT"
	ok $? doctor_iommu
else
	grep -q "no IOMMU active" "$OUT"
	ok $? doctor_no_iommu
fi

# providers: bind ivshmem to the provider driver, see its p2pmem
run providers --json
[ "$rc" -eq 0 ] && ! grep -q "\"$SHM\"" "$OUT"
ok $? providers_none "exit $rc"
echo p2pdma_ext_provider >"/sys/bus/pci/devices/$SHM/driver_override"
echo "$SHM" >/sys/bus/pci/drivers_probe 2>/dev/null
run providers --json
dump_json providers
size=$(cat "/sys/bus/pci/devices/$SHM/p2pmem/size" 2>/dev/null)
echo "# p2pmem $SHM size $size"
[ "$rc" -eq 0 ] && [ -n "$size" ] && [ "$size" -gt 0 ] &&
	[ "$(json_field "$OUT" bdf)" = "$SHM" ] &&
	[ "$(json_field "$OUT" size)" = "$size" ] &&
	[ "$(json_field "$OUT" published)" = true ]
ok $? providers_json "exit $rc, size '$size'"
run providers
[ "$rc" -eq 0 ] && grep -q "^$SHM " "$OUT"
ok $? providers_table "exit $rc"

# buffers: none; then a dma-buf of the ivshmem's BAR2 exported through the
# ioctl and imported and mapped by p2px_edu, held by "dmabuf_list_test
# --hold" (its "ready" line says what it set up) while p2pdmactl lists it.
# The host compares the JSON with that line (tests/host_check.sh).
run buffers --json
[ "$rc" -eq 0 ] && [ "$(tr -d ' \n' <"$OUT")" = "[]" ]
ok $? buffers_none "exit $rc"
run buffers
[ "$rc" -eq 0 ] && grep -q "^no dma-buf exported" "$OUT"
ok $? buffers_none_text "exit $rc"
HOLD=${P2PX_DMABUF_HOLD:-/payload/tests/dmabuf_list_test}
if [ -x "$HOLD" ] && [ -f /payload/p2px_edu.ko ]; then
	rm -f /tmp/hold.stop /tmp/hold.out
	# The holder keeps the buffer until its stdin ends: when the loop
	# feeding it sees /tmp/hold.stop.
	(while [ ! -e /tmp/hold.stop ]; do sleep 1; done) |
		"$HOLD" --hold >/tmp/hold.out 2>&1 &
	hold_pid=$!
	i=0
	while [ $i -lt 120 ] && ! grep -q '^ready\|^error' /tmp/hold.out 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	# shellcheck disable=SC2046 # the words of the ready line
	set -- $(sed -n 's/^ready //p' /tmp/hold.out)
	echo "# buffers-setup: $*"
	b_ino=${2:-} b_dev=${4:-} b_size=${8:-} b_edu=${12:-} b_pid=${14:-}
	run buffers --json
	dump_json buffers
	[ "$rc" -eq 0 ] && [ -n "$b_ino" ] && [ "$b_dev" = "$SHM" ] &&
		[ "$b_edu" = "$EDU" ] &&
		[ "$(json_field "$OUT" id)" = "$b_ino" ] &&
		[ "$(json_field "$OUT" provider)" = "$SHM" ] &&
		[ "$(json_field "$OUT" size)" = "$b_size" ] &&
		[ "$(json_field "$OUT" exporter)" = ioctl ] &&
		[ "$(json_field "$OUT" revoked)" = false ] &&
		[ "$(json_field "$OUT" device)" = "$EDU" ] &&
		[ "$(json_field "$OUT" mapped)" = true ] &&
		[ "$(json_field "$OUT" pid)" = "$b_pid" ]
	ok $? buffers_json "exit $rc, holder: $(head -c 200 /tmp/hold.out)"
	run buffers
	[ "$rc" -eq 0 ] && [ "$(wc -l <"$OUT")" -eq 2 ] &&
		grep -q "^$b_ino  *$SHM  *2  *$b_size  *2  *ioctl  *live  *1  *$EDU(mapped)  *$b_pid(" "$OUT" &&
		! grep -q "$(printf '\033')" "$OUT"
	ok $? buffers_table "exit $rc"
	touch /tmp/hold.stop
	wait "$hold_pid"
	hold_rc=$?
	run buffers --json
	[ "$hold_rc" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$(tr -d ' \n' <"$OUT")" = "[]" ]
	ok $? buffers_gone_after_close "holder exit $hold_rc, exit $rc"
else
	skip buffers_json "no $HOLD or /payload/p2px_edu.ko to export and import a dma-buf"
fi

# Without root: status and providers work (status without the back end:
# the control device is root-only), everything else exits 4 "needs root"
# and changes nothing.
run_user status --json
[ "$rc" -eq 0 ] && [ "$(json_field "$OUT" loaded)" = true ] &&
	[ "$(json_field "$OUT" version)" = "$(cat /sys/module/p2pdma_ext/version)" ] &&
	[ "$(json_field "$OUT" backend)" = null ]
ok $? nonroot_status_json "exit $rc"
run_user status
[ "$rc" -eq 0 ] && grep -q "^backend: unknown .*root needed" "$OUT"
ok $? nonroot_status_text "exit $rc"
run_user providers --json
[ "$rc" -eq 0 ] && [ "$(json_field "$OUT" bdf)" = "$SHM" ] &&
	[ "$(json_field "$OUT" size)" = "$size" ]
ok $? nonroot_providers_json "exit $rc"
[ "$(su -s /bin/sh -c 'id -u' p2pxuser)" = "$USER_UID" ]
ok $? nonroot_uid_dropped
for t in "load:load" "unload:unload" "set:set host_bridge_allow 1ae0:1234" \
	"topology:topology" "topology_json:topology --json $SHM $EDU" \
	"why:why $SHM $EDU" "buffers:buffers --json" "doctor:doctor"; do
	# shellcheck disable=SC2086
	run_user ${t#*:}
	[ "$rc" -eq 4 ] && grep -q "needs root" "$ERR" && [ ! -s "$OUT" ]
	ok $? "nonroot_${t%%:*}_needs_root" "p2pdmactl ${t#*:}: exit $rc"
done
grep -q '^p2pdma_ext ' /proc/modules &&
	! grep -q 1ae0:1234 /sys/module/p2pdma_ext/parameters/host_bridge_allow
ok $? nonroot_changed_nothing
run_user status --help
[ "$rc" -eq 0 ] && grep -q "root: not needed" "$OUT"
ok $? nonroot_help "exit $rc"

echo "$SHM" >/sys/bus/pci/drivers/p2pdma_ext_provider/unbind 2>/dev/null
echo >"/sys/bus/pci/devices/$SHM/driver_override"

run unload
[ "$rc" -eq 0 ] && ! grep -q '^p2pdma_ext ' /proc/modules
ok $? unload "exit $rc"
run unload
[ "$rc" -eq 3 ]
ok $? unload_again "exit $rc"

# load as modprobe: needs p2pdma_ext where libkmod finds it (depmod'ed in
# /lib/modules/REL) and an "options p2pdma_ext PARAM=VALUE" line in
# /etc/modprobe.d, which the package test (tools/pkgtest.sh) sets up and
# names in P2PX_MODPROBE_OPTION. A blacklist line refuses the load; the
# file's option and the command line's are both in effect.
if [ -n "${P2PX_MODPROBE_OPTION:-}" ]; then
	mp_param=${P2PX_MODPROBE_OPTION%%=*} mp_val=${P2PX_MODPROBE_OPTION#*=}
	echo "blacklist p2pdma_ext" >/etc/modprobe.d/p2pdmactl-test.conf
	run load
	[ "$rc" -eq 1 ] && grep -q "blacklisted in modprobe.d" "$ERR" &&
		! grep -q '^p2pdma_ext ' /proc/modules
	ok $? load_blacklisted "exit $rc"
	rm -f /etc/modprobe.d/p2pdmactl-test.conf
	run load host_bridge_deny=1ae0:dead
	[ "$rc" -eq 0 ] && grep -q '^p2pdma_ext ' /proc/modules &&
		[ "$(cat "/sys/module/p2pdma_ext/parameters/$mp_param")" = "$mp_val" ] &&
		grep -q 1ae0:dead /sys/module/p2pdma_ext/parameters/host_bridge_deny &&
		grep -q "^loaded /lib/modules/.*$P2PX_MODPROBE_OPTION host_bridge_deny=1ae0:dead" "$OUT" &&
		[ ! -s "$ERR" ]
	ok $? load_modprobe_d_options "exit $rc, $mp_param=$(cat "/sys/module/p2pdma_ext/parameters/$mp_param" 2>&1)"
	run unload
	[ "$rc" -eq 0 ] && ! grep -q '^p2pdma_ext ' /proc/modules
	ok $? unload_after_modprobe_d "exit $rc"
else
	skip load_modprobe_d_options "no depmod'ed p2pdma_ext and modprobe.d option here (P2PX_MODPROBE_OPTION; the package test sets them up)"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
