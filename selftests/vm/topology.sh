#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Topology parser for the VM test bed: turns selftests/vm/topologies/NAME.topo
# into QEMU arguments.  Sourced by run-vm.sh (function topo_parse) and usable
# on its own to inspect what a topology expands to:
#
#   topology.sh [--rundir DIR] [--args|--cmdline|--devices|--files|--nodes] NAME|FILE
#
# NAME is looked up as topologies/NAME.topo next to this script; anything
# containing a '/' or ending in .topo is taken as a path.  --rundir is where
# backing files (ivshmem memory, nvme images) live (default: ./p2px-run).
#
# ---------------------------------------------------------------------------
# Topology file format
# ---------------------------------------------------------------------------
# One directive per line.  '#' starts a comment (whole line or trailing);
# blank lines are ignored; tokens are separated by blanks.  Properties are
# KEY=VALUE tokens; KEY is [A-Za-z0-9_.-]+, VALUE may not contain blanks or
# commas (a comma would smuggle extra properties into QEMU's option string).
# Device NAMEs are QEMU ids: a letter, then letters, digits, '-' or '_'.
# A device's parent must be declared on an earlier line.
#
#   machine KEY=VAL...      extra machine options: -M q35,KEY=VAL,...
#   cmdline WORD...         words appended to the guest kernel command line
#   global DRV.PROP=VAL     passed through as -global DRV.PROP=VAL
#   iommu [KEY=VAL...]      -device intel-iommu,intremap=on[,KEY=VAL...];
#                           always emitted before every other device
#
#   rootport NAME [parent=pcie.0] [chassis=N] [slot=N] [KEY=VAL...]
#                           pcie-root-port on the q35 root bus
#   switch NAME parent=PORT [KEY=VAL...]
#                           x3130-upstream (switch upstream port) below PORT
#   downstream NAME parent=SWITCH [chassis=N] [slot=N] [KEY=VAL...]
#                           xio3130-downstream port of SWITCH
#   ivshmem NAME parent=PORT size=SIZE [KEY=VAL...]
#                           ivshmem-plain whose BAR2 is backed by the host file
#                           RUNDIR/NAME.mem (memory-backend-file, share=on,
#                           object id NAME-mem) so the host can read it later
#   edu NAME parent=PORT [KEY=VAL...]
#                           edu DMA test device; dma_mask=0xffffffffffffffff is
#                           set unless the line gives its own dma_mask
#   nvme NAME parent=PORT [cmb=MB] [disk=SIZE] [KEY=VAL...]
#                           nvme with a raw image RUNDIR/NAME.img (default
#                           8M, drive id NAME-drive, serial p2px-NAME) and,
#                           with cmb=MB, a controller memory buffer
#   device NAME parent=PORT driver=DRIVER [KEY=VAL...]
#                           any other QEMU device
#
# PORT is a rootport or downstream NAME, or pcie.0 (root-complex integrated
# endpoint).  Any KEY=VAL not listed above is passed to QEMU's -device
# unchanged, e.g. "addr=0.0 multifunction=on" and "addr=0.1" to build a
# multi-function device.  chassis is auto-assigned (from 64 up) when a port
# line has none, slot defaults to 0.  SIZE is a number with an optional K, M
# or G suffix (binary units, as QEMU and truncate(1) read them).
#
# Results of topo_parse (global variables):
#   TOPO_NAME      topology name
#   TOPO_FILE      path of the .topo file
#   TOPO_MACHINE   the -M value, e.g. "q35,kernel-irqchip=split"
#   TOPO_ARGS      array: QEMU arguments except -M
#   TOPO_CMDLINE   array: kernel command line additions
#   TOPO_DEVICES   array: "NAME PATH" for every device with a backing file
#   TOPO_FILES     array: "PATH SIZE" backing files to create before boot
#   TOPO_NODES     array: "KIND NAME PARENT" for every declared device
#   TOPO_DEV       assoc: NAME -> its -device option string
#   TOPO_BACKEND   assoc: NAME -> ivshmem memory backend options (no id)
#   TOPO_DRIVE     assoc: NAME -> nvme -drive options (no id)
# (TOPO_DEV/BACKEND/DRIVE let run-vm.sh re-plug a device after an unplug.)

# The TOPO_* results are consumed by the scripts that source this file.
# shellcheck disable=SC2034

# Directory holding this file and the topologies/ folder.
TOPO_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

# topo_resolve NAME|FILE: print the path of the topology file.
topo_resolve() {
	local spec=$1
	if [[ $spec == */* || $spec == *.topo ]]; then
		printf '%s\n' "$spec"
	else
		printf '%s\n' "$TOPO_DIR/topologies/$spec.topo"
	fi
}

# topo_list: names of the topologies shipped in topologies/.
topo_list() {
	local f
	for f in "$TOPO_DIR"/topologies/*.topo; do
		[[ -e $f ]] || continue
		f=${f##*/}
		printf '%s\n' "${f%.topo}"
	done
}

# topo_parse NAME|FILE RUNDIR: parse a topology; fills the TOPO_* globals.
# Returns non-zero (after printing "file:line: message") on a syntax error.
topo_parse() {
	local spec=$1 rundir=$2
	local file lineno=0 line kind name parent tok key val
	local -a words props iommu_args=() dev_args=() machine_opts=()
	local -A kind_of=() used_chassis=()
	local auto_chassis=64 size cmb disk driver has_dma_mask chassis slot

	file=$(topo_resolve "$spec")
	if [[ ! -f $file ]]; then
		printf 'topology: no such topology: %s (%s)\n' "$spec" "$file" >&2
		printf 'topology: known: %s\n' "$(topo_list | tr '\n' ' ')" >&2
		return 1
	fi
	TOPO_FILE=$file
	TOPO_NAME=${file##*/}
	TOPO_NAME=${TOPO_NAME%.topo}
	TOPO_ARGS=()
	TOPO_CMDLINE=()
	TOPO_DEVICES=()
	TOPO_FILES=()
	TOPO_NODES=()
	unset TOPO_DEV TOPO_BACKEND TOPO_DRIVE
	declare -g -A TOPO_DEV=() TOPO_BACKEND=() TOPO_DRIVE=()
	kind_of[pcie.0]=bus

	# err MSG: report a syntax error at the current line.
	err() {
		printf '%s:%d: %s\n' "$file" "$lineno" "$*" >&2
	}

	while IFS= read -r line || [[ -n $line ]]; do
		lineno=$((lineno + 1))
		line=${line%%#*}
		read -r -a words <<<"$line"
		((${#words[@]})) || continue
		kind=${words[0]}

		case $kind in
		machine)
			for tok in "${words[@]:1}"; do
				[[ $tok =~ ^[A-Za-z0-9_.-]+=[^,]+$ ]] ||
					{ err "bad machine option '$tok'"; return 1; }
				machine_opts+=("$tok")
			done
			continue
			;;
		cmdline)
			TOPO_CMDLINE+=("${words[@]:1}")
			continue
			;;
		global)
			if ((${#words[@]} != 2)) ||
				[[ ! ${words[1]} =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+=[^,]+$ ]]; then
				err "usage: global DRIVER.PROP=VALUE"
				return 1
			fi
			TOPO_ARGS+=(-global "${words[1]}")
			continue
			;;
		iommu)
			tok=intel-iommu,intremap=on
			for key in "${words[@]:1}"; do
				[[ $key =~ ^[A-Za-z0-9_.-]+=[^,]+$ ]] ||
					{ err "bad property '$key'"; return 1; }
				tok+=",$key"
			done
			iommu_args+=(-device "$tok")
			TOPO_NODES+=("iommu iommu pcie.0")
			continue
			;;
		rootport | switch | downstream | ivshmem | edu | nvme | device) ;;
		*)
			err "unknown directive '$kind'"
			return 1
			;;
		esac

		# Device lines: KIND NAME KEY=VAL...
		name=${words[1]:-}
		[[ $name =~ ^[A-Za-z][A-Za-z0-9_-]*$ ]] ||
			{ err "$kind: missing or invalid device name '$name'"; return 1; }
		[[ -z ${kind_of[$name]:-} ]] ||
			{ err "device name '$name' used twice"; return 1; }

		parent='' size='' cmb='' disk=8M driver='' has_dma_mask=''
		chassis='' slot=''
		props=()
		for tok in "${words[@]:2}"; do
			[[ $tok =~ ^([A-Za-z0-9_.-]+)=([^,]+)$ ]] ||
				{ err "bad property '$tok' (want KEY=VALUE, no commas)"; return 1; }
			key=${BASH_REMATCH[1]}
			val=${BASH_REMATCH[2]}
			case $kind:$key in
			*:parent) parent=$val ;;
			*:id | *:bus) err "'$key=' is derived from NAME/parent"; return 1 ;;
			ivshmem:size) size=$val ;;
			nvme:cmb) cmb=$val ;;
			nvme:disk) disk=$val ;;
			device:driver) driver=$val ;;
			rootport:chassis | downstream:chassis) chassis=$val ;;
			rootport:slot | downstream:slot) slot=$val ;;
			*)
				[[ $key == dma_mask ]] && has_dma_mask=1
				props+=("$key=$val")
				;;
			esac
		done

		# Parent checks: switches hang off ports, downstream ports off
		# switches, endpoints off ports (or the root bus).
		case $kind in
		rootport) parent=${parent:-pcie.0} ;;
		esac
		[[ -n $parent ]] || { err "$kind $name: parent= is required"; return 1; }
		[[ -n ${kind_of[$parent]:-} ]] ||
			{ err "$kind $name: parent '$parent' is not declared above"; return 1; }
		case $kind:${kind_of[$parent]} in
		rootport:bus | switch:rootport | switch:downstream | downstream:switch) ;;
		ivshmem:rootport | ivshmem:downstream | ivshmem:bus) ;;
		edu:rootport | edu:downstream | edu:bus) ;;
		nvme:rootport | nvme:downstream | nvme:bus) ;;
		device:rootport | device:downstream | device:bus) ;;
		*)
			err "$kind $name cannot sit below ${kind_of[$parent]} '$parent'"
			return 1
			;;
		esac

		case $kind in
		rootport | downstream)
			if [[ -z $chassis ]]; then
				while [[ -n ${used_chassis[$auto_chassis]:-} ]]; do
					auto_chassis=$((auto_chassis + 1))
				done
				chassis=$auto_chassis
			fi
			slot=${slot:-0}
			[[ $chassis =~ ^[0-9]+$ && $slot =~ ^[0-9]+$ ]] ||
				{ err "chassis/slot must be numbers"; return 1; }
			[[ -z ${used_chassis[$chassis.$slot]:-} ]] ||
				{ err "chassis=$chassis slot=$slot used twice"; return 1; }
			used_chassis[$chassis.$slot]=1
			used_chassis[$chassis]=1
			;;
		esac

		tok=''
		case $kind in
		rootport)
			tok="pcie-root-port,id=$name,bus=$parent,chassis=$chassis,slot=$slot"
			;;
		switch)
			tok="x3130-upstream,id=$name,bus=$parent"
			;;
		downstream)
			tok="xio3130-downstream,id=$name,bus=$parent,chassis=$chassis,slot=$slot"
			;;
		ivshmem)
			[[ $size =~ ^[0-9]+[KMG]?$ ]] ||
				{ err "ivshmem $name: size=N[KMG] is required"; return 1; }
			TOPO_BACKEND[$name]="memory-backend-file,share=on,mem-path=$rundir/$name.mem,size=$size"
			TOPO_ARGS+=(-object "${TOPO_BACKEND[$name]/,/,id=$name-mem,}")
			TOPO_FILES+=("$rundir/$name.mem $size")
			TOPO_DEVICES+=("$name $rundir/$name.mem")
			tok="ivshmem-plain,id=$name,bus=$parent,memdev=$name-mem"
			;;
		edu)
			tok="edu,id=$name,bus=$parent"
			[[ -n $has_dma_mask ]] || tok+=",dma_mask=0xffffffffffffffff"
			;;
		nvme)
			[[ $disk =~ ^[0-9]+[KMG]?$ ]] ||
				{ err "nvme $name: disk=N[KMG] expected"; return 1; }
			TOPO_DRIVE[$name]="if=none,file=$rundir/$name.img,format=raw"
			TOPO_ARGS+=(-drive "${TOPO_DRIVE[$name]/,/,id=$name-drive,}")
			TOPO_FILES+=("$rundir/$name.img $disk")
			TOPO_DEVICES+=("$name $rundir/$name.img")
			tok="nvme,id=$name,bus=$parent,drive=$name-drive,serial=p2px-$name"
			if [[ -n $cmb ]]; then
				[[ $cmb =~ ^[0-9]+$ ]] || { err "nvme $name: cmb=MB expected"; return 1; }
				tok+=",cmb_size_mb=$cmb"
			fi
			;;
		device)
			[[ -n $driver ]] || { err "device $name: driver= is required"; return 1; }
			tok="$driver,id=$name,bus=$parent"
			;;
		esac
		for key in "${props[@]}"; do
			tok+=",$key"
		done
		dev_args+=(-device "$tok")
		TOPO_DEV[$name]=$tok
		kind_of[$name]=$kind
		TOPO_NODES+=("$kind $name $parent")
	done <"$file"

	TOPO_MACHINE=q35
	for tok in "${machine_opts[@]}"; do
		TOPO_MACHINE+=",$tok"
	done
	# The IOMMU must be created before the devices it translates for.
	TOPO_ARGS=("${iommu_args[@]}" "${TOPO_ARGS[@]}" "${dev_args[@]}")
	unset -f err
	return 0
}

# Command-line use: print what a topology expands to.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	usage() {
		cat >&2 <<-USAGE
			usage: ${0##*/} [--rundir DIR] [--args|--cmdline|--devices|--files|--nodes] NAME|FILE
			       ${0##*/} --list
		USAGE
		exit 2
	}
	rundir=$PWD/p2px-run
	what=args
	while (($#)); do
		case $1 in
		--rundir) rundir=${2:?--rundir needs a directory}; shift 2 ;;
		--args | --cmdline | --devices | --files | --nodes) what=${1#--}; shift ;;
		--list) topo_list; exit 0 ;;
		-h | --help) usage ;;
		-*) usage ;;
		*) break ;;
		esac
	done
	(($# == 1)) || usage
	topo_parse "$1" "$rundir" || exit 2
	case $what in
	args) printf '%s\n' -M "$TOPO_MACHINE" "${TOPO_ARGS[@]}" ;;
	cmdline) ((${#TOPO_CMDLINE[@]} == 0)) || printf '%s\n' "${TOPO_CMDLINE[*]}" ;;
	devices) ((${#TOPO_DEVICES[@]} == 0)) || printf '%s\n' "${TOPO_DEVICES[@]}" ;;
	files) ((${#TOPO_FILES[@]} == 0)) || printf '%s\n' "${TOPO_FILES[@]}" ;;
	nodes) printf '%s\n' "${TOPO_NODES[@]}" ;;
	esac
fi
