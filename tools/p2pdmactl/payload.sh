#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Put p2pdmactl and its VM selftest into a test-bed payload directory.
# Debian's libkmod-dev ships no libkmod.a, so the tool stays dynamic: its
# shared libraries and the dynamic loader go to PAYLOAD/lib/ and
# PAYLOAD/p2pdmactl is a wrapper that runs it through that loader (the
# busybox initramfs has no libc).
#
#   payload.sh [--root DIR] [--as NAME] BINARY PAYLOAD-DIR
#
# --root DIR: BINARY is a path inside the system root DIR (a suite root of
# tools/kernels.sh with p2pdma-ext-utils installed): its libraries are
# resolved by that root's ldd (chroot) and copied from DIR, so the test bed
# runs the packaged tool with that suite's libkmod and libc.
# --as NAME: another dynamic tool instead (the package test: the root's
# kmod as modprobe): BINARY goes to PAYLOAD/lib/bin/NAME (a multi-call
# binary sees NAME as its argv[0]), the wrapper is PAYLOAD/NAME and no
# selftest is copied.
set -euo pipefail
root='' name=''
while [ $# -gt 2 ]; do
	case $1 in
	--root) root=$2; shift 2 ;;
	--as) name=$2; shift 2 ;;
	*) echo "payload.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
bin=$1 payload=$2
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$payload/lib" "$payload/tests"
target=/payload/lib/p2pdmactl.bin wrapper=$payload/p2pdmactl
if [ -n "$name" ]; then
	mkdir -p "$payload/lib/bin"
	target=/payload/lib/bin/$name wrapper=$payload/$name
fi
cp "$root$bin" "$payload${target#/payload}"
loader=
# in_root CMD...: CMD in the root (chroot) or on this system
in_root() {
	if [ -n "$root" ]; then chroot "$root" "$@"; else "$@"; fi
}
deps=$(in_root ldd "$bin")
while read -r lib; do
	# Symbolic links are resolved inside the root (they may be absolute).
	cp "$root$(in_root readlink -f "$lib")" "$payload/lib/$(basename "$lib")"
	case $lib in */ld-linux*) loader=$(basename "$lib") ;; esac
done < <(awk '/=> \//{ print $3 } /^[ \t]*\/.*ld-linux/{ print $1 }' <<<"$deps")
[ -n "$loader" ] || { echo "payload.sh: no dynamic loader found for $bin" >&2; exit 1; }
cat >"$wrapper" <<EOW
#!/bin/sh
exec /payload/lib/$loader --library-path /payload/lib $target "\$@"
EOW
chmod 755 "$wrapper"
[ -z "$name" ] || exit 0
cp "$here/tests/vm_test.sh" "$payload/tests/p2pdmactl"
chmod 755 "$payload/tests/p2pdmactl"
