#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel-dir.sh: turn Debian kernel packages into a run-vm.sh kernel dir.
#
#   kernel-dir.sh --out DIR PACKAGE.deb...
#
# Give it the image package (linux-image-REL[-unsigned], or linux-binary-REL
# for the split 7.x packages, which keep the image in
# usr/lib/modules/REL/vmlinuz) and, when the image package has no modules,
# the modules package (linux-modules-REL) and, for 7.x, linux-base-REL
# (config, System.map, modules.builtin).  Nothing is downloaded here: fetch the packages with
# "apt-get download" first.  DIR receives:
#
#   vmlinuz                       the kernel image
#   release                       the kernel release string (e.g. 6.1.0-56-amd64)
#   config, System.map            when the packages have them
#   modules/lib/modules/REL/      the modules tree (as packaged, compressed
#                                 or not; run-vm.sh decompresses what it uses)

set -euo pipefail
P2PX_VM_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$P2PX_VM_DIR/lib.sh"

usage() {
	echo "usage: ${0##*/} --out DIR PACKAGE.deb..." >&2
	exit 2
}

out=''
debs=()
while (($#)); do
	case $1 in
	--out) out=${2:-}; shift 2 || usage ;;
	-h | --help) usage ;;
	*) debs+=("$1"); shift ;;
	esac
done
if [[ -z $out ]] || ((${#debs[@]} == 0)); then usage; fi
p2px_need_tool dpkg-deb dpkg

tmp=$(mktemp -d "${TMPDIR:-/tmp}/p2px-kdir.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

for deb in "${debs[@]}"; do
	[[ -f $deb ]] || p2px_die "no such package file: $deb"
	dpkg-deb -x "$deb" "$tmp/root"
done

# The image: boot/vmlinuz-REL, or (usr/)lib/modules/REL/vmlinuz in the
# split packages of 7.x (linux-binary-REL).
shopt -s nullglob
images=("$tmp"/root/boot/vmlinuz-* "$tmp"/root/lib/modules/*/vmlinuz "$tmp"/root/usr/lib/modules/*/vmlinuz)
shopt -u nullglob
((${#images[@]})) || p2px_die "no kernel image (boot/vmlinuz-*, lib/modules/*/vmlinuz) in ${debs[*]}"
((${#images[@]} == 1)) || p2px_die "more than one kernel image: ${images[*]#"$tmp/root/"}"
case ${images[0]} in
*/boot/vmlinuz-*) rel=${images[0]##*/vmlinuz-} ;;
*) rel=${images[0]%/vmlinuz}; rel=${rel##*/} ;;
esac

mkdir -p "$out"
rm -rf -- "$out/modules"
cp -- "${images[0]}" "$out/vmlinuz"
printf '%s\n' "$rel" >"$out/release"
for f in "$tmp/root/boot/config-$rel" "$tmp"/root{,/usr}/lib/modules/"$rel"/config; do
	[[ ! -f $f ]] || cp -- "$f" "$out/config"
done
for f in "$tmp/root/boot/System.map-$rel" "$tmp"/root{,/usr}/lib/modules/"$rel"/System.map; do
	[[ ! -f $f ]] || cp -- "$f" "$out/System.map"
done

# Modules: lib/modules/REL, or usr/lib/modules/REL in merged-/usr packages.
for d in "$tmp/root/lib/modules/$rel" "$tmp/root/usr/lib/modules/$rel"; do
	if [[ -d $d && ! -L $d ]]; then
		mkdir -p "$out/modules/lib/modules"
		mv -- "$d" "$out/modules/lib/modules/$rel"
		break
	fi
done
if [[ -d $out/modules/lib/modules/$rel ]]; then
	p2px_log "kernel $rel with modules -> $out"
else
	p2px_log "kernel $rel (no modules tree) -> $out"
fi
