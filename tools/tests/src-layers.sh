#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test of the source layering rules (tools/src-layers.pl): the
# module's files in src/ call each other one way only (no cycles), and
# kernel-feature tests (P2PDMA_EXT_HAVE_*, kernel versions) stay in
# src/compat.*. The checker is first shown to catch a made-up breach of
# each rule, so a checker that sees nothing cannot pass.
#
# Output: TAP, read by check.sh as host/src-layers/NAME.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
CHECK="perl $TOP/tools/src-layers.pl"
W=$(mktemp -d "${TMPDIR:-/tmp}/src-layers.XXXXXX")
trap 'rm -rf "$W"' EXIT
n=0
failed=0

tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=1
		sed 's/^/# /' "$W/out"
	fi
}

# expect STATUS PATTERN NAME RULE DIR: the checker exits STATUS on DIR and
# prints a line matching PATTERN (empty: prints nothing).
expect() {
	local want=$1 pat=$2 name=$3 rule=$4 dir=$5 rc ok=0
	$CHECK --rule "$rule" "$dir" >"$W/out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] || ok=1
	if [ -n "$pat" ]; then
		grep -q -- "$pat" "$W/out" || ok=1
	else
		[ ! -s "$W/out" ] || ok=1
	fi
	tap "$ok" "$name"
}

mkdir -p "$W/cycle" "$W/oneway" "$W/shim"
cat >"$W/cycle/a.c" <<'C'
int a_top(int x)
{
	return b_mid(x) + 1;
}

int a_helper(void)
{
	return 1;
}
C
cat >"$W/cycle/b.c" <<'C'
static int b_local(int x)
{
	if (x)
		return a_helper();	/* closes the circle */
	return 0;
}

int b_mid(int x)
{
	return b_local(x);
}
C
cp "$W/cycle/a.c" "$W/oneway/a.c"
sed 's/return a_helper();.*/return 2;/' "$W/cycle/b.c" >"$W/oneway/b.c"
cat >"$W/shim/x.c" <<'C'
#ifdef P2PDMA_EXT_HAVE_SOMETHING
int x(void) { return 1; }
#endif
C
cat >"$W/shim/compat.h" <<'C'
#if defined(P2PDMA_EXT_HAVE_SOMETHING)
#endif
C

expect 1 'cycle between a.c, b.c' checker_finds_cycle calls "$W/cycle"
expect 0 '' checker_accepts_one_way calls "$W/oneway"
expect 1 'shim: x.c:1: P2PDMA_EXT_HAVE_SOMETHING' checker_finds_shim_breach shim "$W/shim"
expect 0 '' src_no_call_cycles calls "$TOP/src"
expect 0 '' src_shim_rule shim "$TOP/src"

echo "1..$n"
exit "$failed"
