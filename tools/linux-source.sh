#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch the few files this project takes from Debian's linux-source-6.1
# package at build time (they are never committed): the kselftest harness
# headers, the kselftest runner (run_kselftest.sh and kselftest/, which
# "make -C selftests install" puts into the installed tree) and
# checkpatch.pl with its data files.
#
#   tools/linux-source.sh        print the directory holding them
#
# The directory is $CACHE/linux-source-6.1 with the kernel tree's layout
# (tools/testing/selftests/kselftest_harness.h, scripts/checkpatch.pl...).
set -euo pipefail

CACHE=${P2PDMA_EXT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pdma-ext}
dir=$CACHE/linux-source-6.1
files=(
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/run_kselftest.sh
	tools/testing/selftests/kselftest/runner.sh
	tools/testing/selftests/kselftest/prefix.pl
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
)

# complete: every file there (a cache made for a shorter list is redone)
complete() {
	local f
	[ -e "$dir/.done" ] || return 1
	for f in "${files[@]}"; do
		[ -e "$dir/$f" ] || return 1
	done
}

if complete; then
	echo "$dir"
	exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/linux-source.lock"
flock 9
if complete; then
	echo "$dir"
	exit 0
fi

work=$(mktemp -d "$CACHE/linux-source.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

# The package as tools/debug-kernel.sh keeps it, else downloaded now.
deb=
if [ -d "$CACHE/downloads" ]; then
	deb=$(find "$CACHE/downloads" -maxdepth 1 -name 'linux-source-6.1_*.deb' | sort | tail -n 1)
fi
if [ -z "$deb" ]; then
	if ! apt-cache show linux-source-6.1 >/dev/null 2>&1; then
		apt-get update -qq >&2
	fi
	(cd "$work" && apt-get download -qq -o APT::Sandbox::User=root linux-source-6.1 >&2)
	deb=$(ls "$work"/linux-source-6.1_*.deb)
fi
mkdir -p "$work/tree"
dpkg-deb --fsys-tarfile "$deb" |
	tar -xO ./usr/src/linux-source-6.1.tar.xz |
	tar -xJ -C "$work/tree" --strip-components=1 \
		"${files[@]/#/linux-source-6.1/}"
basename "$deb" >"$work/tree/.done"
rm -rf "$dir"
mv "$work/tree" "$dir"
echo "$dir"
