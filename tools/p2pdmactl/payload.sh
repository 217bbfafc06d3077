#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Put p2pdmactl and its VM selftest into a test-bed payload directory.
# Debian's libkmod-dev ships no libkmod.a, so the tool stays dynamic: its
# shared libraries and the dynamic loader go to PAYLOAD/lib/ and
# PAYLOAD/p2pdmactl is a wrapper that runs it through that loader (the
# busybox initramfs has no libc).
#
#   payload.sh BUILT-BINARY PAYLOAD-DIR
set -euo pipefail
bin=$1 payload=$2
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$payload/lib" "$payload/tests"
cp "$bin" "$payload/lib/p2pdmactl.bin"
loader=
while read -r lib; do
	cp -L "$lib" "$payload/lib/"
	case $lib in */ld-linux*) loader=$(basename "$lib") ;; esac
done < <(ldd "$bin" | awk '/=> \//{ print $3 } /^[ \t]*\/.*ld-linux/{ print $1 }')
[ -n "$loader" ] || { echo "payload.sh: no dynamic loader found for $bin" >&2; exit 1; }
cat >"$payload/p2pdmactl" <<EOW
#!/bin/sh
exec /payload/lib/$loader --library-path /payload/lib /payload/lib/p2pdmactl.bin "\$@"
EOW
chmod 755 "$payload/p2pdmactl"
cp "$here/tests/vm_test.sh" "$payload/tests/p2pdmactl"
chmod 755 "$payload/tests/p2pdmactl"
