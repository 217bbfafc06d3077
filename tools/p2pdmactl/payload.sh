#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Put p2pdmactl and its VM selftest into a test-bed payload directory.
# Debian's libkmod-dev ships no libkmod.a, so the tool stays dynamic: its
# shared libraries and the dynamic loader go to PAYLOAD/lib/ and
# PAYLOAD/p2pdmactl is a wrapper that runs it through that loader (the
# busybox initramfs has no libc).
#
#   payload.sh [--root DIR] BINARY PAYLOAD-DIR
#
# --root DIR: BINARY is a path inside the system root DIR (a suite root of
# tools/kernels.sh with p2pdma-ext-utils installed): its libraries are
# resolved by that root's ldd (chroot) and copied from DIR, so the test bed
# runs the packaged tool with that suite's libkmod and libc.
set -euo pipefail
root=
if [ "${1:-}" = --root ]; then
	root=$2
	shift 2
fi
bin=$1 payload=$2
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$payload/lib" "$payload/tests"
cp "$root$bin" "$payload/lib/p2pdmactl.bin"
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
cat >"$payload/p2pdmactl" <<EOW
#!/bin/sh
exec /payload/lib/$loader --library-path /payload/lib /payload/lib/p2pdmactl.bin "\$@"
EOW
chmod 755 "$payload/p2pdmactl"
cp "$here/tests/vm_test.sh" "$payload/tests/p2pdmactl"
chmod 755 "$payload/tests/p2pdmactl"
