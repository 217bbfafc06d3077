#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the test bed's initramfs (cpio newc, gzip).  Sourced by run-vm.sh
# (function p2px_build_initramfs) or run on its own:
#
#   initramfs.sh --kernel-dir DIR --payload DIR --output FILE [--etc DIR]
#
# Contents:
#   /bin/busybox, /bin/sh                (host's busybox-static; /init
#                                          adds the other applet symlinks)
#   /init, /bin/p2px-host                 (from selftests/vm/guest/)
#   /payload/                             (copy of the payload directory)
#   /etc/p2px/                            (copy of --etc: config, topology)
#   /etc/p2px/modules.load                ("PATH [PARAMS]" in load order)
#   /lib/modules/REL/NAME.ko              (only the modules that
#                                          payload/modules.list needs,
#                                          dependencies included, decompressed)
#
# modules.list: one module per line, "[?]NAME [PARAM=VALUE...]"; '#' starts
# a comment.  NAME may use '-' or '_'.  A leading '?' marks the module
# optional (skipped when the kernel has no such module).  Built-in modules
# are skipped.  Dependencies come from the tree's modules.dep when present;
# Debian's .deb packages ship none (depmod runs at install time), so
# otherwise from the "depends=" field of each module's .modinfo section.
# "softdep=pre:" modules are added when they exist.

P2PX_VM_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$P2PX_VM_DIR/lib.sh"

# p2px_busybox: path of a statically linked busybox (P2PX_BUSYBOX overrides).
p2px_busybox() {
	local bb=${P2PX_BUSYBOX:-} cand
	if [[ -z $bb ]]; then
		for cand in /bin/busybox /usr/bin/busybox; do
			if [[ -x $cand ]]; then
				bb=$cand
				break
			fi
		done
	fi
	[[ -n $bb && -x $bb ]] ||
		p2px_die "busybox not found (Debian package: busybox-static)"
	if command -v ldd >/dev/null 2>&1 && ldd "$bb" >/dev/null 2>&1; then
		p2px_die "$bb is dynamically linked; install busybox-static"
	fi
	printf '%s\n' "$bb"
}

# _p2px_modname FILE: module name of a .ko[.xz|.zst|.gz] path ('-' -> '_').
_p2px_modname() {
	local b=${1##*/}
	b=${b%%.ko*}
	printf '%s\n' "${b//-/_}"
}

# _p2px_unpack SRC DST: copy a module, decompressing it if needed.
_p2px_unpack() {
	case $1 in
	*.ko.xz) p2px_need_tool xz xz-utils; xz -dc -- "$1" >"$2" ;;
	*.ko.zst) p2px_need_tool zstd zstd; zstd -dcq -- "$1" >"$2" ;;
	*.ko.gz) gzip -dc -- "$1" >"$2" ;;
	*) cp -- "$1" "$2" ;;
	esac
}

# p2px_stage_modules MODDIR LIST STAGE: resolve LIST (modules.list format)
# against the modules tree MODDIR (.../lib/modules/REL), copy the modules
# into STAGE/lib/modules/REL and write STAGE/etc/p2px/modules.load.
p2px_stage_modules() {
	local moddir=$1 list=$2 stage=$3
	local rel f name line opt params idx
	local -A mod_path=() builtin=() dep_of=() seen=() param_of=()
	local -a order=() wanted=()

	rel=${moddir%/}
	rel=${rel##*/}
	mkdir -p "$stage/etc/p2px"
	: >"$stage/etc/p2px/modules.load"

	# Wanted modules, in list order.
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%%#*}
		read -r name params <<<"$line" || true
		[[ -n ${name:-} ]] || continue
		opt=''
		if [[ $name == \?* ]]; then
			opt='?'
			name=${name#\?}
		fi
		name=${name//-/_}
		wanted+=("$opt$name")
		param_of[$name]=${params:-}
	done <"$list"
	((${#wanted[@]})) || return 0
	if [[ ! -d $moddir ]]; then
		# A kernel without a modules tree (the debug kernel: every
		# driver built in) has none of the optional ones.
		for name in "${wanted[@]}"; do
			[[ $name == \?* ]] ||
				p2px_die "$list names modules but the kernel dir has no modules tree ($moddir)"
		done
		return 0
	fi

	# Index of the tree: name -> relative path (updates/ and extra/ win
	# over kernel/, as with depmod's default search order).  awk does the
	# string work: a command substitution per module would cost seconds.
	# Its output goes through a file: bash reads pipes a byte at a time.
	idx=$stage/.p2px-index
	(cd "$moddir" && find . -type f \( -name '*.ko' -o -name '*.ko.xz' \
		-o -name '*.ko.zst' -o -name '*.ko.gz' \) | awk '
		{
			p = substr($0, 3); n = p; sub(/.*\//, "", n); sub(/\.ko.*/, "", n)
			gsub(/-/, "_", n)
			if (!(n in path) || path[n] ~ /^kernel\//) path[n] = p
		}
		END { for (n in path) print n, path[n] }') >"$idx"
	while IFS=' ' read -r name f; do
		mod_path[$name]=$f
	done <"$idx"
	if [[ -f $moddir/modules.builtin ]]; then
		awk '{ n = $1; sub(/.*\//, "", n); sub(/\.ko.*/, "", n)
			gsub(/-/, "_", n); print n }' "$moddir/modules.builtin" >"$idx"
		while IFS= read -r name; do
			builtin[$name]=1
		done <"$idx"
	fi
	if [[ -f $moddir/modules.dep ]]; then
		# "kernel/a/b.ko: kernel/c/d.ko ..." -> "b d ..."
		awk '{
			for (i = 1; i <= NF; i++) {
				n = $i; sub(/:$/, "", n); sub(/.*\//, "", n)
				sub(/\.ko.*/, "", n); gsub(/-/, "_", n)
				printf "%s%s", n, (i < NF ? " " : "\n")
			}
			if (NF == 0) print ""
		}' "$moddir/modules.dep" >"$idx"
		while IFS=' ' read -r name line; do
			dep_of[$name]=$line
		done <"$idx"
	fi
	rm -f -- "$idx"

	# resolve NAME OPTIONAL: depth-first, dependencies before NAME.  The
	# modules land flat in /lib/modules/REL/NAME.ko (insmod wants paths).
	mkdir -p "$stage/lib/modules/$rel"
	resolve() {
		local name=$1 optional=$2 src dst info deps soft d
		[[ -z ${seen[$name]:-} ]] || return 0
		seen[$name]=1
		[[ -z ${builtin[$name]:-} ]] || return 0
		if [[ -z ${mod_path[$name]:-} ]]; then
			[[ -n $optional ]] && return 0
			if [[ -f $moddir/modules.builtin ]]; then
				p2px_die "module '$name' (from $list) is neither in $moddir nor built in"
			fi
			p2px_die "module '$name' (from $list) is not in $moddir, which has no modules.builtin to tell whether it is built in (7.x: add the linux-base-REL package)"
		fi
		src=$moddir/${mod_path[$name]}
		dst=$stage/lib/modules/$rel/$name.ko
		_p2px_unpack "$src" "$dst" || p2px_die "cannot unpack $src"
		# One pass over .modinfo: "depends|softdep-pre" names.
		info=$(tr '\0' '\n' <"$dst" | awk '
			/^depends=/ { d = substr($0, 9); gsub(/,/, " ", d) }
			/^softdep=/ { n = split(substr($0, 9), w, " ")
				for (i = 1; i <= n; i++) {
					if (w[i] == "pre:") p = 1
					else if (w[i] == "post:") p = 0
					else if (p) s = s " " w[i]
				} }
			END { print d "|" s }')
		deps=${info%%|*}
		soft=${info#*|}
		[[ ! -v dep_of[$name] ]] || deps=${dep_of[$name]}
		for d in $deps; do
			resolve "${d//-/_}" ''
		done
		for d in $soft; do
			resolve "${d//-/_}" '?'
		done
		order+=("/lib/modules/$rel/$name.ko ${param_of[$name]:-}")
	}
	for name in "${wanted[@]}"; do
		if [[ $name == \?* ]]; then
			resolve "${name#\?}" '?'
		else
			resolve "$name" ''
		fi
	done
	unset -f resolve
	if ((${#order[@]})); then
		printf '%s\n' "${order[@]}" >"$stage/etc/p2px/modules.load"
	fi
}

# p2px_build_initramfs KERNEL_DIR PAYLOAD OUTPUT [ETC_DIR]
p2px_build_initramfs() {
	local kdir=$1 payload=$2 output=$3 etc=${4:-}
	local stage bb rel rc=0

	p2px_need_tool cpio cpio
	p2px_need_tool gzip gzip
	bb=$(p2px_busybox)
	[[ -d $payload ]] || p2px_die "payload directory not found: $payload"
	[[ -f $payload/run ]] || p2px_die "payload has no 'run' script: $payload/run"
	[[ -r $kdir/release ]] || p2px_die "no 'release' file in kernel dir $kdir"
	read -r rel <"$kdir/release" || true
	[[ -n $rel ]] || p2px_die "empty 'release' file in kernel dir $kdir"

	stage=$(mktemp -d "${TMPDIR:-/tmp}/p2px-initramfs.XXXXXX")
	# Build in a subshell so a p2px_die inside still removes the stage.
	(
		set -euo pipefail
		mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc/p2px,payload}
		cp -- "$bb" "$stage/bin/busybox"
		# Only /bin/sh here: /init runs "busybox --install -s" first thing,
		# which is much faster than ~270 ln(1) calls on the host.
		ln -s busybox "$stage/bin/sh"
		cp -- "$P2PX_VM_DIR/guest/init" "$stage/init"
		cp -- "$P2PX_VM_DIR/guest/p2px-host" "$stage/bin/p2px-host"
		chmod 755 "$stage/init" "$stage/bin/p2px-host"
		# Without /dev/console the kernel starts /init with no stdio.
		mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
		cp -a -- "$payload/." "$stage/payload/"
		if [[ -n $etc ]]; then
			cp -a -- "$etc/." "$stage/etc/p2px/"
		fi
		if [[ -f $payload/modules.list ]]; then
			p2px_stage_modules "$kdir/modules/lib/modules/$rel" \
				"$payload/modules.list" "$stage"
		fi
		cd "$stage"
		find . -mindepth 1 -print0 | LC_ALL=C sort -z |
			cpio --null -o -H newc -R 0:0 --quiet | gzip -1 >"$output"
	) || rc=$?
	rm -rf -- "$stage"
	((rc == 0)) || exit "$rc"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	usage() {
		echo "usage: ${0##*/} --kernel-dir DIR --payload DIR --output FILE [--etc DIR]" >&2
		exit 2
	}
	kdir='' payload='' output='' etc=''
	while (($#)); do
		case $1 in
		--kernel-dir) kdir=${2:-}; shift 2 || usage ;;
		--payload) payload=${2:-}; shift 2 || usage ;;
		--output) output=${2:-}; shift 2 || usage ;;
		--etc) etc=${2:-}; shift 2 || usage ;;
		*) usage ;;
		esac
	done
	[[ -n $kdir && -n $payload && -n $output ]] || usage
	p2px_build_initramfs "$kdir" "$payload" "$output" "$etc"
fi
