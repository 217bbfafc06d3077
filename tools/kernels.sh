#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh - build environments and bootable kernels for every Debian
# kernel series p2pdma-ext supports (listed in tools/kernels.conf).
#
# For each series this keeps, under $CACHE:
#
#   roots/SUITE/          debootstrap --variant=minbase chroot of the series'
#                         Debian suite with make, kmod, perl and the newest
#                         linux-headers-<REL> of the series installed: the
#                         suite's own gcc and kbuild host tools build modules
#                         for that kernel.  Shared by series of one suite.
#                         "build" copies a module tree to ROOT/build/NAME-PID
#                         and runs make there (removed afterwards).
#   kernels/SERIES/       the matching kernel, unpacked from Debian's packages:
#                           vmlinuz   bootable image (boot/vmlinuz-REL)
#                           release   REL, e.g. 6.1.0-56-amd64
#                           config    boot/config-REL (else the headers' .config)
#                           System.map  when the packages ship one
#                           modules/lib/modules/REL/  modules tree (compressed
#                                     .ko.xz left as shipped), with depmod run
#   logs/                 output of "prepare", one log per series
#   locks/                flock files (one per series, one per root)
#
# Usage:
#   kernels.sh prepare [--update] SERIES...|all
#       (SERIES: a series of kernels.conf; --update: refresh the package
#       lists and move to a newer ABI of the series if there is one)
#   kernels.sh release SERIES
#   kernels.sh kernel-dir SERIES
#   kernels.sh root SERIES
#   kernels.sh build SERIES SRCDIR OUTDIR [MAKE_ARGS...]
#   kernels.sh run SERIES -- CMD...
#   kernels.sh clean [SERIES...]
#
# Environment:
#   P2PDMA_EXT_CACHE            cache dir (default $XDG_CACHE_HOME/p2pdma-ext,
#                               i.e. ~/.cache/p2pdma-ext)
#   P2PDMA_EXT_MIRROR           Debian archive (default http://deb.debian.org/debian)
#   P2PDMA_EXT_SECURITY_MIRROR  security archive
#                               (default http://deb.debian.org/debian-security)
#   P2PDMA_EXT_KERNELS_CONF     series list (default: kernels.conf beside this)
#
# Everything is idempotent and safe to interrupt: roots are made in
# roots/SUITE.tmp and kernels in kernels/SERIES.partial and only renamed into
# place when complete (a root carries a stamp file; a root without it is
# deleted and redone).  Commands run inside a root in a private mount
# namespace (unshare -m) where /proc is mounted, so nothing stays mounted on
# the host when they end or are killed.  Needs root privileges.

set -euo pipefail

PROG=${0##*/}
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONF=${P2PDMA_EXT_KERNELS_CONF:-$TOOLS_DIR/kernels.conf}
CACHE=${P2PDMA_EXT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pdma-ext}
MIRROR=${P2PDMA_EXT_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${P2PDMA_EXT_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
ARCH=amd64

# Packages every root gets besides the series' headers (perl: kernel-doc,
# run by W=1 builds of 6.x, needs more than minbase's perl-base).
ROOT_PACKAGES=(make kmod perl)

# Stamps.  Inside a root: /.p2pdma-ext/root-done marks a finished root and
# holds the ROOT_PACKAGES it has (a finished root lacking some gets them
# installed in place), /.p2pdma-ext/headers-SERIES holds the REL whose
# headers are installed.  Inside a kernel dir: .done marks a complete one.
STAMP_DIR=.p2pdma-ext
ROOT_STAMP=$STAMP_DIR/root-done
KERNEL_STAMP=.done

# PATH and environment given to commands inside a root (nothing else of the
# caller's environment leaks in: no CC, MAKEFLAGS, locale, ...).
ROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Messages go to stderr; in prepare's logs (MSG_TIME=1) with a time stamp.
MSG_TIME=0
msg() {
	if ((MSG_TIME)); then
		printf '[%(%T)T] %s: %s\n' -1 "$PROG" "$*" >&2
	else
		printf '%s: %s\n' "$PROG" "$*" >&2
	fi
}
die() { msg "error: $*"; exit 1; }

usage() {
	sed -n '/^# Usage:/,/^#   kernels.sh clean/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

need_root() {
	[[ $EUID -eq 0 ]] || die "must run as root (debootstrap, chroot, unshare)"
}

# ---------------------------------------------------------------------------
# kernels.conf

# All series of kernels.conf, in file order.
conf_all_series() {
	awk '!/^[[:space:]]*(#|$)/ { print $1 }' "$CONF"
}

# conf_lookup SERIES: set SUITE and EXTRA_SUITES (space separated, may be
# empty) for SERIES, or die.
conf_lookup() {
	local line
	line=$(awk -v s="$1" '!/^[[:space:]]*(#|$)/ && $1 == s { print $2, $3; exit }' "$CONF")
	[[ -n $line ]] || die "unknown series '$1' (known: $(conf_all_series | tr '\n' ' '))"
	SUITE=${line%% *}
	EXTRA_SUITES=${line#* }
	[[ $EXTRA_SUITES == "$SUITE" || $EXTRA_SUITES == - ]] && EXTRA_SUITES=
	EXTRA_SUITES=${EXTRA_SUITES//,/ }
	return 0
}

root_dir() { conf_lookup "$1"; printf '%s\n' "$CACHE/roots/$SUITE"; }
kernel_dir() { printf '%s\n' "$CACHE/kernels/$1"; }

# ---------------------------------------------------------------------------
# Helpers

# in_root ROOT CMD...: run CMD chrooted in ROOT with a clean environment,
# in a private mount namespace holding ROOT/proc (and /dev if the root has no
# device nodes of its own).  Everything mounted there vanishes with the
# namespace, even if killed.  Returns CMD's exit status.
in_root() {
	local root=$1
	shift
	# shellcheck disable=SC2016 # $1, $@ expand in the inner shell
	unshare --mount --propagation private -- /bin/sh -ec '
		root=$1; shift
		mount -t proc proc "$root/proc"
		[ -c "$root/dev/null" ] || mount --rbind /dev "$root/dev"
		exec chroot "$root" "$@"
	' in_root "$root" /usr/bin/env -i PATH="$ROOT_PATH" HOME=/root \
		LANG=C.UTF-8 TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive "$@"
}

# remove_tree DIR: delete DIR, first lazily unmounting anything mounted
# below it (only possible if a foreign process left mounts there), and never
# crossing into another file system.
remove_tree() {
	local dir=$1 mnt
	[[ -e $dir || -L $dir ]] || return 0
	dir=$(realpath -- "$dir")
	awk -v d="$dir" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r mnt; do
			umount -l -- "$mnt" || true
		done
	rm -rf --one-file-system -- "$dir"
}

# lock_file NAME [-s]: open locks/NAME and take an flock on it (exclusive,
# or shared with -s).  The fd (number left in LOCK_FD) stays open, so the
# lock is held, until the (sub)shell exits.
lock_file() {
	local file=$1 mode=${2:--x}
	mkdir -p "$CACHE/locks"
	exec {LOCK_FD}>>"$CACHE/locks/$file"
	flock "$mode" "$LOCK_FD"
}

# Install the host tools this script needs if they are missing (only apt
# packages from the configured Debian archive; update lists only if needed).
ensure_host_tools() {
	local -a pkgs=()
	command -v debootstrap >/dev/null || pkgs+=(debootstrap)
	[[ -e /usr/share/keyrings/debian-archive-keyring.gpg ]] || pkgs+=(debian-archive-keyring)
	command -v unshare >/dev/null && command -v flock >/dev/null || pkgs+=(util-linux)
	command -v wget >/dev/null || pkgs+=(wget)
	((${#pkgs[@]})) || return 0
	msg "installing host packages: ${pkgs[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}"; then
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}"
	fi
}

# Archive URL for a suite: *-security suites live in the security archive.
suite_url() {
	case $1 in
	*-security) printf '%s\n' "$SECURITY_MIRROR" ;;
	*) printf '%s\n' "$MIRROR" ;;
	esac
}

# write_apt_config ROOT SUITE EXTRA...: apt sources and options of a root.
write_apt_config() {
	local root=$1 suite=$2 s
	shift 2
	{
		echo "# Written by p2pdma-ext tools/kernels.sh"
		for s in "$suite" "$@"; do
			echo "deb $(suite_url "$s") $s main"
		done
	} >"$root/etc/apt/sources.list"
	rm -f "$root"/etc/apt/sources.list.d/*.list "$root"/etc/apt/sources.list.d/*.sources
	{
		echo 'APT::Install-Recommends "false";'
		echo 'APT::Install-Suggests "false";'
		echo 'Acquire::Languages "none";'
		# apt-get download writes into root-owned dirs: no _apt sandbox.
		echo 'APT::Sandbox::User "root";'
		case $suite in
		# sid's Release can be older than its Valid-Until.
		sid | unstable) echo 'Acquire::Check-Valid-Until "false";' ;;
		esac
	} >"$root/etc/apt/apt.conf.d/99p2pdma-ext"
}

# headers_regex SERIES: ERE matching the headers package names of the
# series' flavour-less amd64 ABIs, in both Debian naming schemes:
# linux-headers-6.1.0-56-amd64 and linux-headers-6.12.117+deb13-amd64.
headers_regex() {
	printf '^linux-headers-%s(\\.0-[0-9]+|\\.[0-9]+\\+deb[0-9]+)-%s$\n' \
		"${1//./\\.}" "$ARCH"
}

# ---------------------------------------------------------------------------
# prepare

# install_image_stub ROOT PKG REL: if headers package PKG depends on its
# kernel image (trixie's 6.12 headers do), install in ROOT a stub package
# providing linux-image-REL[-unsigned] at PKG's version.  Otherwise apt
# would install the image and with it initramfs-tools, systemd and udev,
# and run update-initramfs in the chroot: minutes and ~250 MB for nothing
# (the image for booting is unpacked into kernels/SERIES instead).
install_image_stub() {
	local root=$1 pkg=$2 rel=$3 info ver dir
	info=$(in_root "$root" apt-cache show --no-all-versions "$pkg")
	awk '/^Depends:/' <<<"$info" | grep -qF "linux-image-$rel" || return 0
	ver=$(awk '/^Version:/ { print $2; exit }' <<<"$info")
	dir=/var/tmp/p2pdma-ext-image-stub-$rel
	msg "installing a stub providing linux-image-$rel (= $ver)"
	rm -rf -- "$root$dir"
	mkdir -p "$root$dir/DEBIAN"
	cat >"$root$dir/DEBIAN/control" <<-EOF
		Package: p2pdma-ext-image-stub-$rel
		Version: $ver
		Architecture: all
		Maintainer: p2pdma-ext <nobody@invalid>
		Provides: linux-image-$rel (= $ver), linux-image-$rel-unsigned (= $ver)
		Section: kernel
		Priority: optional
		Description: stand-in for the kernel image $rel
		 Lets linux-headers-$rel install in a p2pdma-ext build chroot
		 without the kernel image and an initramfs generator.
	EOF
	in_root "$root" dpkg-deb -b "$dir" "$dir.deb"
	in_root "$root" apt-get install -y "$dir.deb"
	rm -rf -- "$root$dir" "$root$dir.deb"
}

# ensure_headers ROOT SERIES UPDATE: install make, kmod and the newest
# headers of SERIES in ROOT (resolved from the root's package lists), unless
# already done; with UPDATE=1 refresh the lists and move to a newer ABI.
ensure_headers() {
	local root=$1 series=$2 update=$3 stamp pkg rel
	stamp=$root/$STAMP_DIR/headers-$series
	if [[ -s $stamp && $update != 1 ]]; then
		return 0
	fi
	[[ $update == 1 ]] && in_root "$root" apt-get update
	pkg=$(in_root "$root" apt-cache pkgnames linux-headers- |
		grep -E "$(headers_regex "$series")" | sort -V | tail -n 1) ||
		true
	[[ -n $pkg ]] || die "no linux-headers package of series $series in the root's lists"
	rel=${pkg#linux-headers-}
	if [[ -s $stamp && $(<"$stamp") == "$rel" ]]; then
		return 0
	fi
	install_image_stub "$root" "$pkg" "$rel"
	msg "$series: installing $pkg"
	in_root "$root" apt-get install -y "${ROOT_PACKAGES[@]}" "$pkg"
	in_root "$root" apt-get clean
	mkdir -p "$root/$STAMP_DIR"
	echo "$rel" >"$stamp.tmp"
	mv -f "$stamp.tmp" "$stamp"
}

# ensure_root SERIES: make the root of the series' suite (debootstrap into
# SUITE.tmp, install the series' headers, stamp, rename into place).
ensure_root() {
	local series=$1 root tmp
	conf_lookup "$series"
	root=$CACHE/roots/$SUITE
	if [[ -f $root/$ROOT_STAMP ]]; then
		[[ $(<"$root/$ROOT_STAMP") == "${ROOT_PACKAGES[*]}" ]] && return 0
		# A finished root made with an older package list.
		msg "$series: installing ${ROOT_PACKAGES[*]} in $root"
		in_root "$root" apt-get install -y "${ROOT_PACKAGES[@]}" ||
			{ in_root "$root" apt-get update &&
				in_root "$root" apt-get install -y "${ROOT_PACKAGES[@]}"; }
		in_root "$root" apt-get clean
		echo "${ROOT_PACKAGES[*]}" >"$root/$ROOT_STAMP"
		return 0
	fi
	if [[ -e $root ]]; then
		msg "$series: removing incomplete root $root"
		remove_tree "$root"
	fi
	tmp=$root.tmp
	remove_tree "$tmp"
	mkdir -p "$CACHE/roots"
	msg "$series: debootstrap $SUITE into $tmp"
	# Two stages: the first only downloads and unpacks; the second,
	# chrooted like every command here (so the /proc it mounts cannot
	# outlive it), configures with dpkg told to skip its fsyncs (the root
	# is a disposable cache).
	debootstrap --foreign --variant=minbase --arch="$ARCH" --components=main \
		--include="$(IFS=,; echo "${ROOT_PACKAGES[*]}")" \
		"$SUITE" "$tmp" "$MIRROR"
	echo force-unsafe-io >"$tmp/etc/dpkg/dpkg.cfg.d/99p2pdma-ext"
	in_root "$tmp" /debootstrap/debootstrap --second-stage
	# shellcheck disable=SC2086 # EXTRA_SUITES is a word list
	write_apt_config "$tmp" "$SUITE" $EXTRA_SUITES
	in_root "$tmp" apt-get update
	ensure_headers "$tmp" "$series" 0
	echo "${ROOT_PACKAGES[*]}" >"$tmp/$ROOT_STAMP"
	mv -T "$tmp" "$root"
}

# image_packages ROOT REL: names of the packages holding the kernel image
# and modules of REL, first match of:
#   linux-image-REL-unsigned                        (5.10, 6.1, 6.12)
#   linux-binary-REL + linux-modules-REL [+ linux-base-REL]  (split, 7.x)
#   linux-image-REL                                 (signed, holds both)
image_packages() {
	local root=$1 rel=$2 names
	names=$(in_root "$root" apt-cache pkgnames linux-)
	has() { grep -qxF -- "$1" <<<"$names"; }
	if has "linux-image-$rel-unsigned"; then
		echo "linux-image-$rel-unsigned"
	elif has "linux-binary-$rel" && has "linux-modules-$rel"; then
		echo "linux-binary-$rel linux-modules-$rel"
		if has "linux-base-$rel"; then echo "linux-base-$rel"; fi
	elif has "linux-image-$rel"; then
		echo "linux-image-$rel"
	else
		die "no image package for $rel"
	fi
}

# ensure_kernel ROOT SERIES: download and unpack the kernel matching the
# root's headers into kernels/SERIES (via kernels/SERIES.partial).
ensure_kernel() {
	local root=$1 series=$2 rel kdir partial dl x mods f
	rel=$(<"$root/$STAMP_DIR/headers-$series")
	kdir=$(kernel_dir "$series")
	if [[ -f $kdir/$KERNEL_STAMP && $(<"$kdir/release") == "$rel" ]]; then
		return 0
	fi
	partial=$kdir.partial
	remove_tree "$partial"
	mkdir -p "$partial"
	# Download and unpack inside the root (its dpkg-deb knows the suite's
	# compression formats), in a scratch dir on the same file system.
	dl=/var/tmp/p2pdma-ext-kernel-$series.partial
	remove_tree "$root$dl"
	mkdir -p "$root$dl"
	local names
	local -a pkgs
	names=$(image_packages "$root" "$rel")
	read -r -a pkgs <<<"${names//$'\n'/ }"
	msg "$series: downloading ${pkgs[*]}"
	# shellcheck disable=SC2016 # expanded by the inner shell
	in_root "$root" /bin/sh -ec 'cd "$1"; shift; apt-get download "$@"
		for d in ./*.deb; do dpkg-deb -x "$d" x; done' sh "$dl" "${pkgs[@]}"
	x=$root$dl/x
	# Modules: /lib/modules (up to trixie) or /usr/lib/modules (later).
	mods=
	for f in "$x/lib/modules/$rel" "$x/usr/lib/modules/$rel"; do
		if [[ -d $f && ! -L $f ]]; then mods=$f; fi
	done
	[[ -n $mods ]] || die "no modules/$rel in ${pkgs[*]}"
	# Arrange the tree as modules/lib/modules/REL (with usr/lib/modules
	# linked to it while depmod runs, whichever dir that depmod uses).
	mkdir -p "$x/m/lib/modules" "$x/m/usr/lib"
	mv -T "$mods" "$x/m/lib/modules/$rel"
	ln -s ../../lib/modules "$x/m/usr/lib/modules"
	# The packages ship no modules.dep (their postinst makes it): make it
	# with the root's own depmod (a kmod matching the kernel).
	in_root "$root" depmod -b "$dl/x/m" "$rel"
	rm -r "$x/m/usr"
	mods=$x/m/lib/modules/$rel
	[[ -f $mods/modules.dep ]] || die "depmod made no modules.dep for $rel"
	mv -T "$x/m" "$partial/modules"
	mods=$partial/modules/lib/modules/$rel

	# Image, config and System.map: boot/NAME-REL (up to 6.x), or NAME in
	# the modules dir (the split 7.x packages; there they are hard-linked
	# so the modules tree stays as shipped).
	kfile() { # kfile NAME DEST: place NAME of this kernel at DEST
		if [[ -f $x/boot/$1-$rel ]]; then
			mv "$x/boot/$1-$rel" "$2"
		elif [[ -f $mods/$1 ]]; then
			ln -f "$mods/$1" "$2" 2>/dev/null || cp "$mods/$1" "$2"
		else
			return 1
		fi
	}
	kfile vmlinuz "$partial/vmlinuz" || die "no vmlinuz of $rel in ${pkgs[*]}"
	kfile config "$partial/config" ||
		cp "$root/usr/src/linux-headers-$rel/.config" "$partial/config"
	kfile System.map "$partial/System.map" || true
	echo "$rel" >"$partial/release"
	printf '%s\n' "${pkgs[@]}" >"$partial/packages"
	touch "$partial/$KERNEL_STAMP"
	remove_tree "$root$dl"
	# Publish: replace an older kernel dir (after --update) atomically
	# enough: it is never seen half-made under its final name.
	if [[ -e $kdir ]]; then
		mv -T "$kdir" "$kdir.old"
	fi
	mv -T "$partial" "$kdir"
	remove_tree "$kdir.old"
}

# series_ready SERIES: true when root, headers and kernel are all in place
# (checked without locks or network: the warm path).
series_ready() {
	local series=$1 root kdir hs
	root=$(root_dir "$series")
	kdir=$(kernel_dir "$series")
	hs=$root/$STAMP_DIR/headers-$series
	[[ -f $root/$ROOT_STAMP && -s $hs && -f $kdir/$KERNEL_STAMP && -f $kdir/release ]] &&
		[[ $(<"$root/$ROOT_STAMP") == "${ROOT_PACKAGES[*]}" ]] &&
		[[ $(<"$hs") == "$(<"$kdir/release")" ]]
}

# prepare_series SERIES UPDATE: everything for one series (runs in a
# subshell holding the series lock, whose output goes to the series' log).
prepare_series() {
	local series=$1 update=$2 root
	conf_lookup "$series"
	# The (possibly shared) root's lock, after the series lock.
	lock_file "root-$SUITE.lock"
	msg "$series: preparing (suite $SUITE${EXTRA_SUITES:+, extra $EXTRA_SUITES})"
	ensure_root "$series"
	root=$CACHE/roots/$SUITE
	ensure_headers "$root" "$series" "$update"
	ensure_kernel "$root" "$series"
	msg "$series: ready ($(<"$root/$STAMP_DIR/headers-$series"))"
}

cmd_prepare() {
	local update=0 s i rc=0 log
	local -a slist=() pids=()
	while (($#)); do
		case $1 in
		--update) update=1 ;;
		all) mapfile -t -O "${#slist[@]}" slist < <(conf_all_series) ;;
		-*) usage ;;
		*) conf_lookup "$1" && slist+=("$1") ;;
		esac
		shift
	done
	((${#slist[@]})) || usage
	# Drop duplicates, keep order.
	mapfile -t slist < <(printf '%s\n' "${slist[@]}" | awk '!seen[$0]++')
	need_root
	mkdir -p "$CACHE/logs"

	# Series that need work (the others are left alone, logs included).
	local -a todo=()
	for s in "${slist[@]}"; do
		if [[ $update == 1 ]] || ! series_ready "$s"; then todo+=("$s"); fi
	done
	((${#todo[@]} == 0)) || ensure_host_tools

	# One background job per series (their roots debootstrap in
	# parallel; series sharing a root serialise on its lock), each in its
	# own process group so an interrupt can stop it with its children.
	set -m
	for s in "${todo[@]}"; do
		log=$CACHE/logs/prepare-$s.log
		(
			set +m
			# Wait for another prepare of this series; it may have
			# done the work (then leave its log alone).
			lock_file "series-$s.lock"
			if [[ $update != 1 ]] && series_ready "$s"; then exit 0; fi
			exec >"$log" 2>&1
			MSG_TIME=1
			SECONDS=0
			echo "=== $(date -u '+%F %T') prepare $s"
			prepare_series "$s" "$update"
			echo "=== done in ${SECONDS}s"
		) </dev/null &
		pids+=($!)
		msg "$s: working (log: $log)"
	done
	set +m
	if ((${#pids[@]})); then
		# shellcheck disable=SC2064 # the pids are known now
		trap "kill -TERM $(printf -- ' -%s' "${pids[@]}") 2>/dev/null; exit 130" INT TERM
	fi

	local -A failed=()
	for i in "${!todo[@]}"; do
		s=${todo[i]}
		if ! wait "${pids[i]}"; then
			rc=1
			failed[$s]=1
			msg "$s: prepare FAILED; end of $CACHE/logs/prepare-$s.log:"
			tail -n 40 "$CACHE/logs/prepare-$s.log" >&2
		fi
	done
	trap - INT TERM
	for s in "${slist[@]}"; do
		[[ -z ${failed[$s]-} ]] || continue
		printf '%s %s root=%s kernel=%s\n' "$s" "$(<"$(kernel_dir "$s")/release")" \
			"$(root_dir "$s")" "$(kernel_dir "$s")"
	done
	return "$rc"
}

# ---------------------------------------------------------------------------
# Queries

# require_ready SERIES: die unless the series is prepared.
require_ready() {
	series_ready "$1" || die "series $1 is not prepared: run '$PROG prepare $1'"
}

cmd_release() {
	(($# == 1)) || usage
	conf_lookup "$1"
	require_ready "$1"
	cat "$(kernel_dir "$1")/release"
}

cmd_kernel_dir() {
	(($# == 1)) || usage
	conf_lookup "$1"
	kernel_dir "$1"
}

cmd_root() {
	(($# == 1)) || usage
	root_dir "$1"
}

# ---------------------------------------------------------------------------
# build / run

BUILD_DIR=

cleanup_build() {
	if [[ -n $BUILD_DIR ]]; then
		rm -rf --one-file-system -- "$BUILD_DIR"
	fi
}

cmd_build() {
	(($# >= 3)) || usage
	local series=$1 src=$2 out=$3 root rel name rc
	shift 3
	(($#)) || set -- modules
	[[ -d $src ]] || die "no such source dir: $src"
	need_root
	conf_lookup "$series"
	require_ready "$series"
	root=$(root_dir "$series")
	rel=$(<"$root/$STAMP_DIR/headers-$series")
	# Shared lock: builds run in parallel, but not while the root is
	# being (re)made or cleaned.
	lock_file "root-$SUITE.lock" -s
	mkdir -p "$out"
	out=$(realpath -- "$out")
	src=$(realpath -- "$src")
	name=$(basename -- "$src")-$$
	mkdir -p "$root/build"
	BUILD_DIR=$root/build/$name
	trap cleanup_build EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	rm -rf -- "$BUILD_DIR"
	cp -a -- "$src" "$BUILD_DIR"

	set +e
	in_root "$root" make -C "/usr/src/linux-headers-$rel" "M=/build/$name" "$@" 2>&1 |
		tee "$out/build.log"
	rc=${PIPESTATUS[0]}
	set -e

	# Copy back the results, keeping paths relative to the module tree.
	(
		cd "$BUILD_DIR"
		find . -name '*.ko' -type f -printf '%P\0' |
			xargs -0 -r cp --parents -t "$out" --
		find . -type d -name generated -prune -printf '%P\0' |
			xargs -0 -r cp -a --parents -t "$out" --
		if [[ -f Module.symvers ]]; then cp Module.symvers "$out/"; fi
	)
	if ((rc != 0)); then
		msg "$series ($rel): make failed with status $rc (log: $out/build.log)"
	fi
	return "$rc"
}

cmd_run() {
	(($# >= 1)) || usage
	local series=$1 root rc=0
	shift
	[[ ${1-} == -- ]] && shift
	(($#)) || usage
	need_root
	conf_lookup "$series"
	require_ready "$series"
	root=$(root_dir "$series")
	lock_file "root-$SUITE.lock" -s
	in_root "$root" "$@" || rc=$?
	return "$rc"
}

# ---------------------------------------------------------------------------
# clean

# clean [SERIES...]: remove the series' kernel dirs and roots (a root goes
# with all series of its suite); without SERIES remove all roots, kernels
# and logs (the lock files stay: other processes may hold them).
cmd_clean() {
	local s
	local -a slist=("$@")
	need_root
	if ((${#slist[@]} == 0)); then
		mapfile -t slist < <(conf_all_series)
		for s in "${slist[@]}"; do
			conf_lookup "$s"
			(
				lock_file "series-$s.lock"
				lock_file "root-$SUITE.lock"
				remove_tree "$CACHE/kernels/$s"
				remove_tree "$CACHE/kernels/$s.partial"
				remove_tree "$CACHE/roots/$SUITE"
				remove_tree "$CACHE/roots/$SUITE.tmp"
			)
		done
		remove_tree "$CACHE/roots"
		remove_tree "$CACHE/kernels"
		remove_tree "$CACHE/logs"
		return 0
	fi
	for s in "${slist[@]}"; do
		conf_lookup "$s"
		(
			lock_file "series-$s.lock"
			lock_file "root-$SUITE.lock"
			msg "removing $CACHE/kernels/$s and $CACHE/roots/$SUITE"
			remove_tree "$CACHE/kernels/$s"
			remove_tree "$CACHE/kernels/$s.partial"
			remove_tree "$CACHE/roots/$SUITE"
			remove_tree "$CACHE/roots/$SUITE.tmp"
			rm -f "$CACHE/logs/prepare-$s.log"
		)
	done
}

# ---------------------------------------------------------------------------

main() {
	(($#)) || usage
	[[ -r $CONF ]] || die "cannot read $CONF"
	local cmd=$1
	shift
	case $cmd in
	prepare) cmd_prepare "$@" ;;
	release) cmd_release "$@" ;;
	kernel-dir) cmd_kernel_dir "$@" ;;
	root) cmd_root "$@" ;;
	build) cmd_build "$@" ;;
	run) cmd_run "$@" ;;
	clean) cmd_clean "$@" ;;
	-h | --help | help) usage ;;
	*) usage ;;
	esac
}

main "$@"
