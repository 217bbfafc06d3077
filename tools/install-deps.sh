#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the host packages the build matrix and the QEMU test bed need,
# from Debian's archive, when they are missing. Needs root (apt-get).
# Arguments name further packages (make bench adds gnuplot-nox).
set -euo pipefail

pkgs=(make gcc libc6-dev debootstrap qemu-system-x86 busybox-static cpio
      xz-utils zstd socat ca-certificates
      dpkg-dev debhelper dh-dkms binutils lintian libkmod-dev rpm jq openssl kmod
      bc bison flex libelf-dev "$@")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install: ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	"${missing[@]}" >/dev/null
