#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the VM test bed (sourced, not executed).
#
# Every function prints its diagnostics to stderr with the name of the
# calling script, so messages from nested helpers stay attributable.

# Name used in messages; callers may override before sourcing.
P2PX_PROG=${P2PX_PROG:-$(basename -- "$0")}

# p2px_log MSG...: informational message on stderr.
p2px_log() {
	printf '%s: %s\n' "$P2PX_PROG" "$*" >&2
}

# p2px_die MSG...: fatal setup/usage error; exit status 2 means "the test bed
# could not run", as opposed to "the tests ran and failed".
p2px_die() {
	printf '%s: error: %s\n' "$P2PX_PROG" "$*" >&2
	exit 2
}

# p2px_need_tool TOOL PACKAGE: fail clearly when a host tool is missing.
p2px_need_tool() {
	if ! command -v "$1" >/dev/null 2>&1; then
		p2px_die "required tool '$1' not found (Debian package: $2)"
	fi
}

# p2px_now: wall-clock seconds with microseconds (bash 5 EPOCHREALTIME).
p2px_now() {
	printf '%s\n' "${EPOCHREALTIME/,/.}"
}

# p2px_elapsed START: seconds since START (from p2px_now), one decimal.
p2px_elapsed() {
	local now
	now=$(p2px_now)
	awk -v a="$1" -v b="$now" 'BEGIN { printf "%.1f\n", b - a }'
}
