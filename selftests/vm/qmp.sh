#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qmp.sh: send one QMP command to a running test-bed VM (run-vm.sh --qmp).
#
#   qmp.sh [-t SECONDS] [--wait-event EVENT[:TEXT]] SOCK COMMAND-JSON
#   qmp.sh [-t SECONDS] [--wait-event EVENT[:TEXT]] SOCK COMMAND [KEY=VALUE|KEY:=JSON...]
#
# SOCK is OUT/qmp.sock of the run.  The command is either a complete JSON
# object ('{"execute":"device_del","arguments":{"id":"shm0"}}') or a command
# name with arguments: KEY=VALUE gives a JSON string, KEY:=JSON a raw JSON
# value ("qmp.sh SOCK device_del id=shm0").  The script connects, negotiates
# capabilities, sends the command and prints QEMU's reply line; with
# --wait-event it then waits for that event (e.g. DEVICE_DELETED, the end
# of a hot-unplug), whose line must also contain TEXT if given (e.g.
# 'DEVICE_DELETED:"device": "shm0"'), and prints it too.  Each call is its own connection
# (QEMU serves one QMP client at a time), so calls from host tests and from
# the guest's request channel take turns.  It waits up to the timeout
# (default 10 s) for the socket to appear.
#
# Exit status: 0 QEMU answered "return" (and the event came), 1 QEMU answered
# "error", 2 usage error, no connection or timeout.

set -euo pipefail

usage() {
	echo "usage: ${0##*/} [-t SECONDS] [--wait-event EVENT[:TEXT]] SOCK COMMAND-JSON|COMMAND [KEY=VALUE|KEY:=JSON...]" >&2
	exit 2
}

fail() {
	echo "${0##*/}: $*" >&2
	exit 2
}

# json_str S: S as a JSON string literal.
json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/\\t}
	s=${s//$'\n'/\\n}
	s=${s//$'\r'/\\r}
	printf '"%s"' "$s"
}

secs=10
event=''
event_text=''
while (($#)); do
	case $1 in
	-t) secs=${2:-}; shift 2 || usage ;;
	--wait-event) event=${2:-}; shift 2 || usage ;;
	-h | --help) usage ;;
	*) break ;;
	esac
done
(($# >= 2)) || usage
if [[ $event == *:* ]]; then
	event_text=${event#*:}
	event=${event%%:*}
fi
[[ $secs =~ ^[0-9]+$ ]] || usage
sock=$1
shift
command -v socat >/dev/null 2>&1 || fail "required tool 'socat' not found (Debian package: socat)"

if [[ $1 == \{* ]]; then
	(($# == 1)) || usage
	cmd=$1
else
	cmd="{\"execute\":$(json_str "$1")"
	shift
	if (($#)); then
		cmd+=',"arguments":{'
		sep=''
		for kv in "$@"; do
			if [[ $kv =~ ^([A-Za-z0-9_.-]+):=(.*)$ ]]; then
				cmd+="$sep$(json_str "${BASH_REMATCH[1]}"):${BASH_REMATCH[2]}"
			elif [[ $kv =~ ^([A-Za-z0-9_.-]+)=(.*)$ ]]; then
				cmd+="$sep$(json_str "${BASH_REMATCH[1]}"):$(json_str "${BASH_REMATCH[2]}")"
			else
				fail "bad argument '$kv' (want KEY=VALUE or KEY:=JSON)"
			fi
			sep=','
		done
		cmd+='}'
	fi
	cmd+='}'
fi

deadline=$((SECONDS + secs))
until [[ -S $sock ]]; do
	((SECONDS < deadline)) || fail "no QMP socket at $sock"
	sleep 0.2
done

coproc QMPC { exec socat - "UNIX-CONNECT:$sock" 2>/dev/null; }
qin=${QMPC[0]}
qout=${QMPC[1]}
qpid=$QMPC_PID
trap 'kill "$qpid" 2>/dev/null || true' EXIT

seen_event=''
# next_line: next line from QEMU into $line (CR stripped); remembers a
# matching event that arrives while waiting for a reply.  Fails on timeout
# or when QEMU closes the connection.
next_line() {
	local left=$((deadline - SECONDS))
	((left > 0)) || return 1
	IFS= read -r -t "$left" -u "$qin" line || return 1
	line=${line%$'\r'}
	if [[ -n $event && $line == *'"event": "'"$event"'"'* &&
		$line == *"$event_text"* ]]; then
		seen_event=$line
	fi
	return 0
}

# reply: wait for the answer to the last command; prints it for the user
# when $1 is "show".  Returns 0 for "return", 1 for "error".
reply() {
	while next_line; do
		case $line in
		'{"return"'*)
			[[ $1 != show ]] || printf '%s\n' "$line"
			return 0
			;;
		'{"error"'*)
			printf '%s\n' "$line"
			return 1
			;;
		esac
	done
	fail "no reply from QEMU within ${secs}s"
}

next_line || fail "no QMP greeting on $sock"
[[ $line == *'"QMP"'* ]] || fail "unexpected greeting: $line"
printf '%s\n' '{"execute":"qmp_capabilities"}' >&"$qout"
reply quiet || fail "qmp_capabilities refused"
printf '%s\n' "$cmd" >&"$qout"
rc=0
reply show || rc=$?
if ((rc == 0)) && [[ -n $event ]]; then
	while [[ -z $seen_event ]]; do
		next_line || fail "event $event did not come within ${secs}s"
	done
	printf '%s\n' "$seen_event"
fi
exit "$rc"
