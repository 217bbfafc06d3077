# SPDX-License-Identifier: GPL-2.0
# Shared shell helpers for the project's tools: paths and result counting.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts sourcing this

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${P2PDMA_EXT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pdma-ext}
BUILD=${P2PDMA_EXT_BUILD:-$TOP/build}
# The kernels we support, oldest first; P2PDMA_EXT_KERNELS narrows the set.
KERNELS=${P2PDMA_EXT_KERNELS:-5.10 6.1 6.12 7.2}
# The series whose suite root (sid) also gets the RPM install test.
RPM_SERIES=${P2PDMA_EXT_RPM_SERIES:-7.2}
# The series whose package test also runs the installed p2pdma-ext-tests.
KSELFTEST_SERIES=${P2PDMA_EXT_KSELFTEST_SERIES:-6.12}
# What a module build needs (kept in step with MODULE_SOURCES in Makefile).
MODULE_SOURCES=(Kbuild dkms.conf src include)

# Result log: one line "PASS|FAIL|SKIP name [-- reason]" per test.
RESULTS=${RESULTS:-$BUILD/results.txt}

result() {
	local verdict=$1 name=$2
	shift 2
	local line="$verdict $name"

	[ $# -gt 0 ] && line="$line -- $*"
	mkdir -p "$(dirname "$RESULTS")"
	echo "$line" >>"$RESULTS"
	echo "$line"
}

# Stage the module sources into $1 (a fresh directory).
stage_module() {
	rm -rf "$1"
	mkdir -p "$1"
	(cd "$TOP" && cp -a "${MODULE_SOURCES[@]}" "$1/")
}

# Elapsed seconds since $1 (a date +%s value).
since() {
	echo $(($(date +%s) - $1))
}
