#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh - the debug kernel: Debian's linux-source-6.1 built with
# the kernel's own bug detectors (KASAN, lockdep, kmemleak, debug objects,
# fault injection; tools/debug-kernel.config) for the VM test bed.
#
# The config is "make allnoconfig" plus tools/debug-kernel.config, so only
# what the test bed needs is compiled (every driver built in, no modules of
# its own). Built with the host's compiler (Debian 12: gcc-12, the
# compiler of Debian's 6.1 kernels), which also builds the modules loaded
# into it. Kept under $CACHE/debug-kernel/KEY, KEY = the source package's
# version plus a hash of the config fragment, RECIPE below and the
# compiler; a new KEY builds anew and removes the older builds:
#
#   KEY/kernel/   kernel dir for selftests/vm/run-vm.sh: vmlinuz, release,
#                 config, System.map (no modules dir: nothing is modular)
#   KEY/tree/     the built source tree, object files removed, prepared for
#                 external modules (make modules_prepare; Module.symvers)
#   KEY/build.log, KEY/build-seconds   how the build went and how long it took
#
# Usage:
#   debug-kernel.sh build             build unless cached; print the kernel dir
#   debug-kernel.sh kernel-dir        print the kernel dir (built or not)
#   debug-kernel.sh tree              print the build tree
#   debug-kernel.sh release           print the kernel release (must be built)
#   debug-kernel.sh build-module SRCDIR OUTDIR [MAKE_ARGS...]
#                                     make -C TREE M=SRCDIR MAKE_ARGS (default
#                                     "modules"), log in OUTDIR/build.log; the
#                                     .ko files (paths kept), generated/ and
#                                     Module.symvers are copied to OUTDIR
#
# Environment: P2PDMA_EXT_CACHE (cache dir, default ~/.cache/p2pdma-ext),
# P2PDMA_EXT_DEBUG_JOBS (make -j, default: the number of CPUs).
#
# Idempotent and safe to interrupt: a build runs in KEY.partial under an
# exclusive lock and is renamed into place when complete; module builds
# take the lock shared. Needs bc, bison, flex and libelf-dev (objtool) on
# the host; missing ones are installed from Debian's archive when running
# as root.

set -euo pipefail

PROG=${0##*/}
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${P2PDMA_EXT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pdma-ext}
FRAGMENT=$TOOLS_DIR/debug-kernel.config
SOURCE_PKG=linux-source-6.1
JOBS=${P2PDMA_EXT_DEBUG_JOBS:-$(nproc)}
BASE=$CACHE/debug-kernel
LOCK=$CACHE/locks/debug-kernel.lock
HOST_PACKAGES=(make gcc libc6-dev bc bison flex libelf-dev xz-utils cpio)
# Bump when the build steps below change what ends up in the cache.
RECIPE=1

msg() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

usage() {
	sed -n '/^# Usage:/,/^#  *Module.symvers are copied/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

# The candidate version of the source package in the host's apt lists.
source_version() {
	local v
	v=$(apt-cache policy "$SOURCE_PKG" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	if [[ -z $v || $v == "(none)" ]]; then
		[[ $EUID -eq 0 ]] || die "no $SOURCE_PKG in the apt lists (run apt-get update)"
		apt-get update -qq >&2
		v=$(apt-cache policy "$SOURCE_PKG" | awk '/Candidate:/ { print $2 }')
	fi
	[[ -n $v && $v != "(none)" ]] || die "no $SOURCE_PKG package in the apt lists"
	printf '%s\n' "$v"
}

# KEY of the build for the current inputs; sets KEY and DIR.
set_key() {
	local ver hash
	ver=$(source_version)
	hash=$({ cat "$FRAGMENT"; echo "recipe $RECIPE"; gcc --version | head -n 1; } |
		sha256sum | cut -c 1-12)
	KEY=$ver-$hash
	DIR=$BASE/$KEY
	VERSION=$ver
}

ensure_host_tools() {
	local -a missing=()
	local p
	for p in "${HOST_PACKAGES[@]}"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	[[ $EUID -eq 0 ]] || die "missing host packages: ${missing[*]}"
	msg "installing host packages: ${missing[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2; then
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >&2
	fi
}

# check_config CONFIG: every line of the fragment must hold in CONFIG.
check_config() {
	local config=$1 line name bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$config" || {
				msg "config: '$line' did not survive (unmet dependency?): $(grep -E "^(# )?${line%%=*}[= ]" "$config" || echo unset)"
				bad=1
			}
			;;
		"# CONFIG_"*" is not set")
			name=${line#\# }
			name=${name%% *}
			if grep -qE "^$name=" "$config"; then
				msg "config: $name is on but the fragment turns it off"
				bad=1
			fi
			;;
		esac
	done <"$FRAGMENT"
	return "$bad"
}

# The source tarball's .deb, downloaded once into $CACHE/downloads.
fetch_source() {
	local dl=$CACHE/downloads deb t f
	deb=$dl/${SOURCE_PKG}_${VERSION}_all.deb
	if [[ ! -s $deb ]]; then
		mkdir -p "$dl"
		rm -f "$dl/${SOURCE_PKG}"_*.deb.partial
		msg "downloading $SOURCE_PKG $VERSION"
		# Into a directory of its own, then renamed: others (such as
		# tools/linux-source.sh) take any .deb in $dl as complete.
		t=$(mktemp -d "$dl/fetch.XXXXXX")
		(cd "$t" && apt-get download -qq -o APT::Sandbox::User=root \
			"$SOURCE_PKG=$VERSION" >&2) || true
		# apt names it with the epoch-less version; keep just this one.
		for f in "$t/${SOURCE_PKG}"_*.deb "$dl/${SOURCE_PKG}"_*.deb; do
			[[ -e $f ]] || continue
			if [[ $f == "$t/${deb##*/}" ]]; then
				mv -f -- "$f" "$deb"
			elif [[ $f != "$deb" ]]; then
				rm -f -- "$f"
			fi
		done
		rm -rf -- "$t"
	fi
	[[ -s $deb ]] || die "download of $SOURCE_PKG $VERSION failed"
	printf '%s\n' "$deb"
}

do_build() {
	local partial=$DIR.partial deb t0 tree rel d
	ensure_host_tools
	rm -rf -- "$partial"
	mkdir -p "$partial/kernel"
	deb=$(fetch_source)
	tree=$partial/tree
	mkdir -p "$tree"
	t0=$(date +%s)
	{
		echo "=== $(date -u '+%F %T') debug kernel $KEY: $SOURCE_PKG $VERSION, make -j$JOBS"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xO "./usr/src/$SOURCE_PKG.tar.xz" |
			tar -xJ -C "$tree" --strip-components=1
		echo "=== $(date -u '+%T') unpacked in $(($(date +%s) - t0)) s"
		make -C "$tree" KCONFIG_ALLCONFIG="$FRAGMENT" allnoconfig
	} >"$partial/build.log" 2>&1 || die "unpacking/configuring failed; see $partial/build.log"
	check_config "$tree/.config" || die "the config fragment does not apply to $VERSION"
	if ! make -C "$tree" -j"$JOBS" bzImage modules_prepare >>"$partial/build.log" 2>&1; then
		tail -n 40 "$partial/build.log" >&2
		die "kernel build failed; see $partial/build.log"
	fi
	# External modules resolve the kernel's symbols from Module.symvers.
	cp "$tree/vmlinux.symvers" "$tree/Module.symvers"
	rel=$(make -s -C "$tree" kernelrelease)
	cp "$tree/arch/x86/boot/bzImage" "$partial/kernel/vmlinuz"
	cp "$tree/.config" "$partial/kernel/config"
	cp "$tree/System.map" "$partial/kernel/System.map"
	echo "$rel" >"$partial/kernel/release"
	# Object files are not needed for external modules (the host tools
	# in scripts/ and objtool in tools/ are kept whole).
	find "$tree" \( -path "$tree/scripts" -o -path "$tree/tools" \) -prune -o \
		-type f \( -name '*.o' -o -name '*.a' \) -print0 | xargs -0 -r rm -f --
	echo $(($(date +%s) - t0)) >"$partial/build-seconds"
	echo "=== $(date -u '+%T') built $rel in $(<"$partial/build-seconds") s" >>"$partial/build.log"
	touch "$partial/kernel/.done"
	mv -T "$partial" "$DIR"
	# Older builds (another source version or config) go.
	for d in "$BASE"/*; do
		[[ $d == "$DIR" || ! -d $d ]] || rm -rf --one-file-system -- "$d"
	done
	msg "built $rel in $(<"$DIR/build-seconds") s ($DIR)"
}

cmd_build() {
	set_key
	if [[ ! -f $DIR/kernel/.done ]]; then
		mkdir -p "$BASE" "$(dirname "$LOCK")"
		exec {lock_fd}>>"$LOCK"
		flock -x "$lock_fd"
		[[ -f $DIR/kernel/.done ]] || do_build
		exec {lock_fd}>&-
	fi
	printf '%s\n' "$DIR/kernel"
}

cmd_build_module() {
	(($# >= 2)) || usage
	local src=$1 out=$2 rc=0
	shift 2
	(($#)) || set -- modules
	[[ -d $src ]] || die "no such directory: $src"
	set_key
	[[ -f $DIR/kernel/.done ]] || die "the debug kernel is not built: run '$PROG build'"
	mkdir -p "$out" "$(dirname "$LOCK")"
	src=$(realpath -- "$src")
	out=$(realpath -- "$out")
	exec {lock_fd}>>"$LOCK"
	flock -s "$lock_fd"
	make -C "$DIR/tree" M="$src" "$@" >"$out/build.log" 2>&1 || rc=$?
	# What a module build leaves that its users need, paths kept.
	(cd "$src" && find . \( -path ./generated -o -path './generated/*' -o \
		-name '*.ko' -o -name Module.symvers \) -print | cpio -pdm --quiet "$out")
	((rc == 0)) || msg "make failed with status $rc (log: $out/build.log)"
	return "$rc"
}

main() {
	(($#)) || usage
	local cmd=$1
	shift
	case $cmd in
	build) cmd_build ;;
	kernel-dir) set_key; printf '%s\n' "$DIR/kernel" ;;
	tree) set_key; printf '%s\n' "$DIR/tree" ;;
	release)
		set_key
		[[ -f $DIR/kernel/.done ]] || die "the debug kernel is not built: run '$PROG build'"
		cat "$DIR/kernel/release"
		;;
	build-module) cmd_build_module "$@" ;;
	*) usage ;;
	esac
}

main "$@"
