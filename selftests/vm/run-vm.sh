#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh: boot one Debian kernel under QEMU (TCG) with an emulated PCIe
# topology and run a test payload in a busybox initramfs.
#
#   run-vm.sh --kernel-dir DIR --topology NAME --payload DIR --out DIR
#             [--timeout SECONDS] [--mem MB] [--qmp] [--append ARGS]
#             [--qemu-arg ARG]...
#
# --kernel-dir  vmlinuz, release, optional modules/lib/modules/REL/
#               (kernel-dir.sh builds one from Debian packages)
# --topology    topologies/NAME.topo or a path to a .topo file
# --payload     copied to /payload; /payload/run is executed (see README.md)
# --out         results directory (created; earlier results are replaced)
# --timeout     hard limit for the whole VM run, default 300 s
# --mem         guest memory, default 1024 MB
# --qmp         QMP socket at OUT/qmp.sock (qmp.sh talks to it); requests
#               from the guest's p2px-host (PING, QMP, HMP, UNPLUG, REPLUG)
#               are served on guest ttyS2 in every run, those needing QMP
#               only with --qmp
# --append      extra kernel command line words (one string)
# --qemu-arg    one extra QEMU argument (repeat for more)
#
# Files in OUT: console.log (ttyS0, kernel console), results.log (ttyS1, all
# the guest wrote), payload.log (results.log up to the dmesg block),
# dmesg.log, results.tap, summary ("passed N failed N skipped N"), devices
# ("NAME PATH" backing files), problems (kernel problem lines), status,
# qemu.log (QEMU's own stdout/stderr), hostreq.log (request channel),
# backing/ (ivshmem memory files, nvme images).
#
# Exit status: 0 pass; 1 the payload failed (rc != 0 or "not ok" lines);
# 2 usage or setup error; 3 kernel problem lines in the log; 4 the VM ended
# without the DONE marker (panic, crash, QEMU error); 5 hard timeout.

set -euo pipefail

P2PX_VM_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
P2PX_PROG=run-vm
# shellcheck source=lib.sh
. "$P2PX_VM_DIR/lib.sh"
# shellcheck source=topology.sh
. "$P2PX_VM_DIR/topology.sh"
# shellcheck source=initramfs.sh
. "$P2PX_VM_DIR/initramfs.sh"

# Kernel log lines that fail a run, and known harmless lines that match.
# A detector switching itself off (kmemleak "disabled", ODEBUG "disabled")
# fails the run: what it would have found after that is not known.
PROBLEM_RE='BUG:|WARNING:|Oops|Kernel panic|general protection fault|Call Trace:|KASAN|UBSAN|kmemleak|ODEBUG|possible circular locking|INFO: task .* blocked'
BENIGN_RE='kmemleak: Kernel memory leak detector initialized|kmemleak: Automatic memory scanning thread (started|ended)|kmemleak: Cannot allocate a scan area, scanning the full object'
TAIL_LINES=150

usage() {
	sed -n '4,23s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

kdir='' topology='' payload='' out='' tmo=300 mem=1024 qmp='' append=''
qemu_extra=()
while (($#)); do
	case $1 in
	--kernel-dir) kdir=${2:-}; shift 2 || usage ;;
	--topology) topology=${2:-}; shift 2 || usage ;;
	--payload) payload=${2:-}; shift 2 || usage ;;
	--out) out=${2:-}; shift 2 || usage ;;
	--timeout) tmo=${2:-}; shift 2 || usage ;;
	--mem) mem=${2:-}; shift 2 || usage ;;
	--qmp) qmp=1; shift ;;
	--append) append=${2:-}; shift 2 || usage ;;
	--qemu-arg) qemu_extra+=("${2:-}"); shift 2 || usage ;;
	-h | --help) usage ;;
	*) p2px_log "unknown argument '$1'"; usage ;;
	esac
done
[[ -n $kdir && -n $topology && -n $payload && -n $out ]] || usage
if [[ ! $tmo =~ ^[0-9]+$ ]] || ((tmo < 10)); then
	p2px_die "--timeout wants seconds (>= 10)"
fi
[[ $mem =~ ^[0-9]+$ ]] || p2px_die "--mem wants megabytes"
[[ -r $kdir/vmlinuz ]] || p2px_die "no vmlinuz in kernel dir '$kdir'"
[[ -r $kdir/release ]] || p2px_die "no release file in kernel dir '$kdir'"
read -r release <"$kdir/release" || true
[[ -n $release ]] || p2px_die "empty release file in '$kdir'"

p2px_need_tool qemu-system-x86_64 qemu-system-x86
p2px_need_tool timeout coreutils
p2px_need_tool mkfifo coreutils
p2px_need_tool truncate coreutils
[[ -z $qmp ]] || p2px_need_tool socat socat

mkdir -p -- "$out"
out=$(cd -- "$out" && pwd)
# QEMU option strings split at commas; unix sockets have a 108-byte limit.
[[ $out != *,* ]] || p2px_die "--out path may not contain a comma: $out"
((${#out} < 90)) || p2px_die "--out path too long for a unix socket: $out"
rm -rf -- "$out/backing"
rm -f -- "$out"/{console.log,results.log,payload.log,dmesg.log,results.tap} \
	"$out"/{summary,devices,problems,status,qemu.log,hostreq.log,hostchecks,qmp.sock}
mkdir -p -- "$out/backing"

topo_parse "$topology" "$out/backing" || p2px_die "cannot parse topology '$topology'"

# Allowed kernel-log patterns; a bad regex would silently hide problems.
allow_re=$BENIGN_RE
if [[ -f $payload/kernel-log.allow ]]; then
	while IFS= read -r line || [[ -n $line ]]; do
		[[ -z $line || $line == \#* ]] || allow_re+="|$line"
	done <"$payload/kernel-log.allow"
fi
rc=0
grep -E -e "$allow_re" </dev/null >/dev/null 2>&1 || rc=$?
((rc < 2)) || p2px_die "bad extended regex in $payload/kernel-log.allow"
label="kernel $release, topology $TOPO_NAME"

# --- cleanup: never leave QEMU or the request server running -------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/p2px-vm.XXXXXX")
qemu_pid=''
server_pid=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	local i
	if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
		# timeout(1) leads its own process group: TERM reaches QEMU.
		kill -TERM -- "-$qemu_pid" 2>/dev/null || kill -TERM "$qemu_pid" 2>/dev/null || true
		for ((i = 0; i < 10; i++)); do
			kill -0 "$qemu_pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL -- "-$qemu_pid" 2>/dev/null || true
	fi
	if [[ -n $server_pid ]]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf -- "$tmp"
	rm -f -- "$out/qmp.sock"
}
trap cleanup EXIT
trap 'p2px_log "$label: interrupted, stopping QEMU"; exit 130' INT
trap 'p2px_log "$label: terminated, stopping QEMU"; exit 143' TERM

# --- backing files and the devices list ----------------------------------
for f in "${TOPO_FILES[@]}"; do
	truncate -s "${f##* }" -- "${f% *}"
done
: >"$out/devices"
if ((${#TOPO_DEVICES[@]})); then
	printf '%s\n' "${TOPO_DEVICES[@]}" >"$out/devices"
fi

# --- initramfs -----------------------------------------------------------
# The payload's own timeout leaves room for boot and the dmesg dump.
if ((tmo >= 120)); then
	inner=$((tmo - 40))
else
	inner=$((tmo / 2))
fi
mkdir -p "$tmp/etc"
{
	printf 'P2PX_KERNEL_RELEASE=%s\n' "$release"
	printf 'P2PX_TOPOLOGY=%s\n' "$TOPO_NAME"
	printf 'P2PX_PAYLOAD_TIMEOUT=%s\n' "$inner"
} >"$tmp/etc/config"
cp -- "$TOPO_FILE" "$tmp/etc/topology.topo"
printf '%s\n' "${TOPO_NODES[@]}" >"$tmp/etc/nodes"
t0=$(p2px_now)
p2px_build_initramfs "$kdir" "$payload" "$tmp/initrd.gz" "$tmp/etc"
initrd_secs=$(p2px_elapsed "$t0")

# --- host side of the request channel (guest ttyS2) ----------------------
# QEMU's pipe chardev reads hostreq.in and writes hostreq.out.
mkfifo -- "$tmp/hostreq.in" "$tmp/hostreq.out"
: >"$out/hostreq.log"

# qmp_call ARGS...: qmp.sh on this run's socket; output in $reply (one
# line), status returned.
qmp_call() {
	local rc=0
	reply=$("$P2PX_VM_DIR/qmp.sh" "$@" 2>&1) || rc=$?
	reply=${reply//$'\r'/}
	reply=${reply//$'\n'/ }
	return "$rc"
}

# hmp_call LINE: human monitor command; HMP reports errors as text inside
# a successful "return", so look for them there.
hmp_call() {
	qmp_call "$out/qmp.sock" human-monitor-command "command-line=$1" || return
	[[ $reply != *'"return": "Error'* && $reply != *'"return": "Could not'* ]]
}

# Re-plug generations: a re-plugged ivshmem/nvme gets a new backend object
# (QEMU 7.2 aborts when a memory backend is attached a second time).
declare -A replug_gen=()

# host_check NAME OFFSET HEX: are the bytes HEX at OFFSET of device NAME's
# backing file (OUT/devices, else OUT/backing/NAME.mem) now? Records
# "PASS|FAIL NAME OFFSET [detail]" in OUT/hostchecks and sets $reply. The
# guest asks right after the test that wrote them, before any later test
# can reuse that memory.
host_check() {
	local name=${1:-} off=${2:-} hex=${3:-} file got
	if [[ ! $name =~ ^[A-Za-z0-9_-]+$ || ! $off =~ ^[0-9]+$ ||
		! $hex =~ ^([0-9a-f]{2})+$ ]]; then
		reply="ERR HOSTCHECK needs NAME OFFSET HEX"
		return
	fi
	file=$(awk -v n="$name" '$1 == n { print $2 }' "$out/devices")
	[[ -f $file ]] || file=$out/backing/$name.mem
	got=$(od -An -v -tx1 -j "$off" -N $((${#hex} / 2)) "$file" 2>/dev/null | tr -d ' \n')
	if [[ $got == "$hex" ]]; then
		echo "PASS $name $off" >>"$out/hostchecks"
		reply="OK $name@$off matches"
	else
		echo "FAIL $name $off host file has '${got:0:32}...', guest expected '${hex:0:32}...'" \
			>>"$out/hostchecks"
		reply="ERR $name@$off: host file has '${got:0:32}...'"
	fi
}

# handle_request LINE: sets $reply to "OK ..." or "ERR ..." for LINE.
handle_request() {
	local verb rest name dev gen id i rc
	local -a words
	verb=${1%% *}
	rest=''
	[[ $1 != *' '* ]] || rest=${1#* }
	case $verb in
	PING)
		reply="OK PONG"
		return
		;;
	HOSTCHECK)
		host_check $rest
		return
		;;
	QMP | HMP | UNPLUG | REPLUG)
		if [[ -z $qmp ]]; then
			reply="ERR QMP is off (run-vm.sh --qmp)"
			return
		fi
		;;
	*)
		reply="ERR unknown request '$verb' (PING, HOSTCHECK, QMP, HMP, UNPLUG, REPLUG)"
		return
		;;
	esac
	case $verb in
	UNPLUG | REPLUG)
		name=$rest
		if [[ -z $name || -z ${TOPO_DEV[$name]:-} ]]; then
			reply="ERR $verb: no device '$name' in topology $TOPO_NAME"
			return
		fi
		;;
	esac
	rc=0
	case $verb in
	QMP)
		if [[ $rest == \{* ]]; then
			qmp_call "$out/qmp.sock" "$rest" || rc=$?
		else
			read -r -a words <<<"$rest"
			if ((${#words[@]} == 0)); then
				reply="ERR QMP needs a command"
				return
			fi
			qmp_call "$out/qmp.sock" "${words[@]}" || rc=$?
		fi
		;;
	HMP)
		hmp_call "$rest" || rc=$?
		;;
	UNPLUG)
		# OK only once QEMU reports the device gone (the guest has
		# acknowledged the removal).
		qmp_call -t 30 --wait-event "DEVICE_DELETED:\"device\": \"$name\"" \
			"$out/qmp.sock" device_del "id=$name" || rc=$?
		;;
	REPLUG)
		gen=$((${replug_gen[$name]:-0} + 1))
		replug_gen[$name]=$gen
		dev=${TOPO_DEV[$name]}
		if [[ -n ${TOPO_BACKEND[$name]:-} ]]; then
			id=$name-mem-g$gen
			if ! hmp_call "object_add ${TOPO_BACKEND[$name]/,/,id=$id,}"; then
				reply="ERR object_add: $reply"
				return
			fi
			dev=${dev/memdev=$name-mem/memdev=$id}
		fi
		if [[ -n ${TOPO_DRIVE[$name]:-} ]]; then
			id=$name-drive-g$gen
			if ! hmp_call "drive_add 0 ${TOPO_DRIVE[$name]/,/,id=$id,}"; then
				reply="ERR drive_add: $reply"
				return
			fi
			dev=${dev/drive=$name-drive/drive=$id}
		fi
		# With native PCIe hotplug the guest lets go of a device
		# before QEMU has finished removing it: retry while its id is
		# still taken.
		for ((i = 0; i < 60; i++)); do
			rc=0
			hmp_call "device_add $dev" || rc=$?
			if ((rc == 0)) || [[ $reply != *'Duplicate device ID'* ]]; then
				break
			fi
			sleep 0.5
		done
		;;
	esac
	if ((rc == 0)); then
		reply="OK $reply"
	else
		reply="ERR $reply"
	fi
}

# serve_requests: answer "[@TAG ]REQUEST" lines until killed.
serve_requests() {
	local line tag reply rfd wfd
	set +e
	trap - EXIT INT TERM
	exec {rfd}<>"$tmp/hostreq.out" {wfd}<>"$tmp/hostreq.in"
	while IFS= read -r -u "$rfd" line; do
		line=${line%$'\r'}
		[[ -n $line ]] || continue
		tag=''
		if [[ $line =~ ^(@[^\ ]+)\ (.*)$ ]]; then
			tag="${BASH_REMATCH[1]} "
			line=${BASH_REMATCH[2]}
		fi
		printf '%s guest: %s\n' "$(date +%T)" "$line" >>"$out/hostreq.log"
		handle_request "$line"
		printf '%s%s\n' "$tag" "$reply" >&"$wfd"
		printf '%s host: %s\n' "$(date +%T)" "$reply" >>"$out/hostreq.log"
	done
}
serve_requests &
server_pid=$!

# --- QEMU -----------------------------------------------------------------
# no_timer_check: under TCG on a loaded host the boot-time check that the
# timer interrupt arrives through the (remapped) IO-APIC can time out and
# panic the guest; the check says nothing about what we test.
cmdline="console=ttyS0 panic=-1 loglevel=7 no_timer_check"
((${#TOPO_CMDLINE[@]} == 0)) || cmdline+=" ${TOPO_CMDLINE[*]}"
[[ -z $append ]] || cmdline+=" $append"

qemu=(qemu-system-x86_64 -accel tcg -cpu max -M "$TOPO_MACHINE"
	-m "$mem" -smp 1 -nodefaults -nographic -no-reboot -nic none
	-kernel "$kdir/vmlinuz" -initrd "$tmp/initrd.gz" -append "$cmdline"
	-serial "file:$out/console.log"
	-serial "file:$out/results.log"
	-serial "pipe:$tmp/hostreq")
[[ -z $qmp ]] || qemu+=(-qmp "unix:$out/qmp.sock,server=on,wait=off")
qemu+=("${TOPO_ARGS[@]}")
((${#qemu_extra[@]} == 0)) || qemu+=("${qemu_extra[@]}")
printf '%q ' "${qemu[@]}" >"$out/qemu.log"
printf '\n' >>"$out/qemu.log"

p2px_log "$label: booting (initramfs ${initrd_secs}s, timeout ${tmo}s)"
for f in "${TOPO_DEVICES[@]}"; do
	p2px_log "$label: backing file of $f"
done
t0=$(p2px_now)
timeout --kill-after=10 "$tmo" "${qemu[@]}" </dev/null >>"$out/qemu.log" 2>&1 &
qemu_pid=$!
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=''
wall=$(p2px_elapsed "$t0")
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=''

# --- results ----------------------------------------------------------------
touch "$out/console.log" "$out/results.log"
# Split results.log: payload output | dmesg block | DONE marker.
awk -v pl="$out/payload.log" -v dm="$out/dmesg.log" '
	{ sub(/\r$/, "") }
	/^==== DMESG BEGIN ====$/ { state = 1; next }
	/^==== DMESG END ====$/ { state = 2; next }
	/^==== P2PX-DONE rc=-?[0-9]+ ====$/ { next }
	state == 1 { print > dm; next }
	state == 0 { print > pl }
' "$out/results.log"
touch "$out/payload.log"
done_rc=$(sed -n 's/^==== P2PX-DONE rc=\(-\{0,1\}[0-9]*\) ====\r\{0,1\}$/\1/p' \
	"$out/results.log" | tail -n 1)
have_dmesg=''
[[ ! -s $out/dmesg.log ]] || have_dmesg=1

grep -a -E '^[[:space:]]*((not )?ok([[:space:]]|$)|#|TAP version|1\.\.[0-9]+)' \
	"$out/payload.log" >"$out/results.tap" || true

# Kernel problems: console.log and the dmesg block, timestamps dropped,
# each distinct line once; PAYLOAD/kernel-log.allow adds allowed patterns.
# An allowed line may open a stack dump (an allowed WARNING, an allocation
# failure report): up to its "</TASK>" (80 lines at most), the dump's own
# lines ("Call Trace:", frames) are allowed with it; any other problem
# line counts, and ends it.
cat "$out/console.log" ${have_dmesg:+"$out/dmesg.log"} |
	sed -e 's/\r$//' -e 's/^\[ *[0-9]*\.[0-9]*\] //' |
	P2PX_PROBLEM_RE=$PROBLEM_RE P2PX_ALLOW_RE=$allow_re awk '
	BEGIN { problem = ENVIRON["P2PX_PROBLEM_RE"]; allow = ENVIRON["P2PX_ALLOW_RE"] }
	dump && (++dump > 80 || /^ *<\/TASK>$/) { dump = 0 }
	dump && (/^Call Trace:$/ || /^ *<\/?(TASK|IRQ)>$/ ||
		/^ *(\? )?[A-Za-z0-9_.]+\+0x[0-9a-f]+\/0x[0-9a-f]+( \[[A-Za-z0-9_]+\])?$/) { next }
	$0 ~ allow { dump = 1; next }
	$0 ~ problem { dump = 0; if (!seen[$0]++) print }
	' >"$out/problems" || true
nproblems=$(wc -l <"$out/problems")

# Verdict, with a synthetic TAP line for failures the payload could not
# report itself.
reason=''
status=0
if ((qemu_rc == 124 || qemu_rc == 137)); then
	reason="hard timeout after ${tmo}s"
	status=5
elif [[ -z $done_rc ]]; then
	if line=$(grep -m 1 'Kernel panic' "$out/problems"); then
		reason="VM ended without the DONE marker: $line"
	else
		reason="VM ended without the DONE marker (QEMU exit $qemu_rc)"
	fi
	status=4
fi
if [[ -n $reason ]]; then
	printf 'not ok - vm-run (%s)\n' "$reason" >>"$out/results.tap"
fi
if ((nproblems)); then
	printf 'not ok - kernel-log (%d problem lines, first: %s)\n' "$nproblems" \
		"$(head -n 1 "$out/problems")" >>"$out/results.tap"
	((status)) || { status=3; reason="$nproblems kernel problem lines"; }
fi
if [[ -n $done_rc ]] && ((done_rc != 0)); then
	if ! grep -q -E '^not ok' "$out/results.tap"; then
		printf 'not ok - vm-run (payload exit status %s)\n' "$done_rc" >>"$out/results.tap"
	fi
	((status)) || { status=1; reason="payload exit status $done_rc"; }
fi

passed=$(grep -c -E '^ok([[:space:]]|$)' "$out/results.tap" || true)
skipped=$(grep -c -i -E '^ok([[:space:]].*)?#[[:space:]]*skip' "$out/results.tap" || true)
failed=$(grep -c -E '^not ok([[:space:]]|$)' "$out/results.tap" || true)
passed=$((passed - skipped))
if ((failed && !status)); then
	status=1
	reason="$failed tests not ok"
fi
printf 'passed %d failed %d skipped %d\n' "$passed" "$failed" "$skipped" >"$out/summary"

init_uptime=$(sed -n 's/^# init: .* uptime \([0-9.]*\)s$/\1/p' "$out/payload.log" | head -n 1)
{
	printf 'kernel %s\ntopology %s\n' "$release" "$TOPO_NAME"
	printf 'result %s\n' "$( ((status)) && echo FAIL || echo PASS)"
	printf 'reason %s\n' "${reason:-none}"
	printf 'exit %d\nqemu_exit %d\npayload_rc %s\n' "$status" "$qemu_rc" "${done_rc:-none}"
	printf 'wall_seconds %s\ninitramfs_seconds %s\nguest_uptime_at_init %s\n' \
		"$wall" "$initrd_secs" "${init_uptime:-unknown}"
} >"$out/status"

if ((status)); then
	{
		echo "==== p2px VM run FAILED: $label ===="
		echo "reason: $reason"
		echo "results: $(cat "$out/summary") (in $out)"
		if ((nproblems)); then
			echo "---- kernel problem lines ----"
			head -n 20 "$out/problems"
		fi
		if [[ -s $out/qemu.log ]] && ((status >= 4)); then
			echo "---- QEMU output (command line: $out/qemu.log) ----"
			tail -n +2 "$out/qemu.log" | tail -n 20
		fi
		if [[ -n $have_dmesg ]]; then
			echo "---- last $TAIL_LINES lines of the guest dmesg ----"
			tail -n "$TAIL_LINES" "$out/dmesg.log"
		else
			echo "---- last $TAIL_LINES lines of the guest console (no dmesg block) ----"
			tail -n "$TAIL_LINES" "$out/console.log" | sed 's/\r$//'
		fi
		echo "==== end of failure report: $label ===="
	} >&2
	p2px_log "$label: FAIL ($reason) $(cat "$out/summary") in ${wall}s"
else
	p2px_log "$label: PASS $(cat "$out/summary") in ${wall}s"
fi
exit "$status"
