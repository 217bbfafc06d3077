#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pkgtest.sh - install tests of the Debian packages, one per kernel series:
#
#   1. in the series' suite root (tools/kernels.sh run), apt installs
#      p2pdma-ext-dkms and p2pdma-ext-dev from build/packages/ (apt pulls
#      dkms from that suite); DKMS must have built and installed
#      p2pdma_ext for the root's kernel headers;
#   2. selftests/vendor-sample is built there against the installed -dev
#      package only (no path into this repository);
#   3. the DKMS-built p2pdma_ext.ko, the sample and module_test boot in
#      that kernel's VM (topology switch): module_test must pass and the
#      sample must load after p2pdma_ext and log its version;
#   4. apt-get purge removes both packages and nothing is left behind.
#
#   pkgtest.sh [SERIES...]     (default: $KERNELS from tools/lib.sh)
#
# Needs build/packages/*.deb (make deb) and build/selftests/module_test
# (make selftests). Records "pkg/SERIES/..." results with result() from
# tools/lib.sh. dkms itself stays installed in the roots.
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

VERSION=$(sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$/\1/p' "$TOP/dkms.conf")
PKGS="p2pdma-ext-dkms p2pdma-ext-dev"
DEBS=("$BUILD/packages/p2pdma-ext-dkms_${VERSION}_all.deb"
      "$BUILD/packages/p2pdma-ext-dev_${VERSION}_all.deb")
KS=("$@")
[ ${#KS[@]} -gt 0 ] || read -r -a KS <<<"$KERNELS"

in_root() {
	local k=$1
	shift
	"$TOP/tools/kernels.sh" run "$k" -- env DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# Purge our packages and report what is left of them in the root (nothing
# printed = clean).
purge_and_list() {
	local k=$1 rel=$2
	# shellcheck disable=SC2016,SC2086
	in_root "$k" sh -c '
		apt-get purge -y '"$PKGS"' >/dev/null 2>&1 || true
		rm -rf /tmp/p2px-pkgtest
		ls -d /usr/src/p2pdma-ext-* /var/lib/dkms/p2pdma-ext \
			/etc/modprobe.d/p2pdma-ext.conf /usr/share/p2pdma-ext \
			/usr/include/p2pdma-ext 2>/dev/null
		find /lib/modules -name "p2pdma_ext.ko*" 2>/dev/null
		dpkg-query -W -f "\${db:Status-Abbrev} \${Package}\n" '"$PKGS"' 2>/dev/null |
			grep -v "^un " || true
	'
}

pkgtest_one() {
	local k=$1 root rel dir ko left t0 rc
	local -a tap
	dir=$BUILD/pkgtest/$k
	rm -rf "$dir"
	mkdir -p "$dir/payload"
	t0=$(date +%s)
	root=$("$TOP/tools/kernels.sh" root "$k")
	rel=$("$TOP/tools/kernels.sh" release "$k")

	# Start from a root without our packages (an earlier run may have died).
	purge_and_list "$k" "$rel" >/dev/null
	mkdir -p "$root/tmp/p2px-pkgtest/vendor-sample"
	cp "${DEBS[@]}" "$root/tmp/p2px-pkgtest/"
	cp "$TOP/selftests/vendor-sample/"{Kbuild,Makefile,p2px_vendor_sample.c} \
		"$root/tmp/p2px-pkgtest/vendor-sample/"

	# 1. install; DKMS builds in the postinst for kernels with headers.
	if in_root "$k" sh -c "cd /tmp/p2px-pkgtest && apt-get install -y --no-install-recommends \
		./p2pdma-ext-dkms_${VERSION}_all.deb ./p2pdma-ext-dev_${VERSION}_all.deb" \
		>"$dir/install.log" 2>&1; then
		result PASS "pkg/$k/install"
	else
		tail -n 30 "$dir/install.log"
		result FAIL "pkg/$k/install" "see $dir/install.log"
	fi
	# If the postinst did not install for this kernel, say so and ask dkms.
	local status
	status=$(in_root "$k" dkms status -m p2pdma-ext -v "$VERSION" -k "$rel" 2>/dev/null || true)
	if ! grep -q installed <<<"$status"; then
		echo "pkg/$k: dkms did not install for $rel in the postinst; dkms install -k $rel"
		in_root "$k" dkms install -m p2pdma-ext -v "$VERSION" -k "$rel" \
			>>"$dir/install.log" 2>&1 || true
	fi
	ko=$(find "$root/lib/modules/$rel/updates/dkms" -name 'p2pdma_ext.ko*' 2>/dev/null | head -n 1)
	case $ko in
	*.ko) cp "$ko" "$dir/payload/p2pdma_ext.ko" ;;
	*.ko.xz) xz -dc "$ko" >"$dir/payload/p2pdma_ext.ko" ;;
	*.ko.zst) zstd -qdc "$ko" >"$dir/payload/p2pdma_ext.ko" ;;
	*.ko.gz) gzip -dc "$ko" >"$dir/payload/p2pdma_ext.ko" ;;
	esac
	# (No "strings | grep -q" under pipefail: grep's early exit fails strings.)
	local modinfo=
	[ -s "$dir/payload/p2pdma_ext.ko" ] &&
		modinfo=$(strings "$dir/payload/p2pdma_ext.ko" | grep -E '^(version|vermagic)=')
	if grep -qx "version=$VERSION" <<<"$modinfo" &&
		grep -qx "vermagic=$rel .*" <<<"$modinfo"; then
		result PASS "pkg/$k/dkms-installed" "${ko#"$root"}"
	else
		result FAIL "pkg/$k/dkms-installed" "no p2pdma_ext.ko $VERSION for $rel under /lib/modules/$rel/updates/dkms"
	fi

	# 1b. a kernel without CONFIG_ZONE_DEVICE is refused cleanly, with our
	# message: a copy of the headers with it removed, as a made-up release.
	# shellcheck disable=SC2016
	if in_root "$k" sh -c '
		h=/tmp/p2px-pkgtest/nozd
		rm -rf "$h" && mkdir -p "$h" && cp -a "/usr/src/linux-headers-$1/." "$h/" &&
		sed -i "/^CONFIG_ZONE_DEVICE=/d" "$h/.config" || exit 100
		dkms build -m p2pdma-ext -v "$2" -k "$1-nozd" --kernelsourcedir "$h"
	' sh "$rel" "$VERSION" >"$dir/refuse.log" 2>&1; then
		result FAIL "pkg/$k/refuses-no-zone-device" "dkms built for a kernel without CONFIG_ZONE_DEVICE"
	elif grep -q "built without CONFIG_ZONE_DEVICE" "$dir/refuse.log" &&
		! grep -qi "bad return status" "$dir/refuse.log"; then
		result PASS "pkg/$k/refuses-no-zone-device"
	else
		cat "$dir/refuse.log"
		result FAIL "pkg/$k/refuses-no-zone-device" "see $dir/refuse.log"
	fi

	# 2. a vendor driver against the -dev package only.
	if in_root "$k" make -C "/lib/modules/$rel/build" M=/tmp/p2px-pkgtest/vendor-sample \
		modules >"$dir/vendor-sample.log" 2>&1 &&
		cp "$root/tmp/p2px-pkgtest/vendor-sample/p2px_vendor_sample.ko" "$dir/payload/"; then
		result PASS "pkg/$k/vendor-sample-build"
	else
		tail -n 20 "$dir/vendor-sample.log"
		result FAIL "pkg/$k/vendor-sample-build" "see $dir/vendor-sample.log"
	fi

	# 3. boot the kernel with what DKMS and the -dev package produced.
	if [ -s "$dir/payload/p2pdma_ext.ko" ] && [ -f "$dir/payload/p2px_vendor_sample.ko" ]; then
		cp "$BUILD/selftests/module_test" "$TOP/selftests/vendor-sample/run" "$dir/payload/"
		echo "$VERSION" >"$dir/payload/version"
		rc=0
		"$TOP/selftests/vm/run-vm.sh" --kernel-dir "$("$TOP/tools/kernels.sh" kernel-dir "$k")" \
			--topology switch --payload "$dir/payload" --out "$dir/out" \
			--timeout 300 >"$dir/run.log" 2>&1 || rc=$?
		mapfile -t tap < <(tr -d '\r' <"$dir/out/results.tap" 2>/dev/null |
			grep -E '^(not )?ok ' || true)
		local line name
		for line in "${tap[@]}"; do
			name=${line#not }; name=${name#ok }; name=${name#* }
			case $line in
			"ok "*"# SKIP"*) result SKIP "pkg/$k/vm/${name%% # SKIP*}" "${name#* # SKIP }" ;;
			"ok "*) result PASS "pkg/$k/vm/$name" ;;
			*) result FAIL "pkg/$k/vm/$name" ;;
			esac
		done
		if [ "$rc" -ne 0 ] || [ ${#tap[@]} -eq 0 ]; then
			tail -n 60 "$dir/run.log"
			result FAIL "pkg/$k/vm" "run-vm.sh exit $rc; see $dir/run.log"
		fi
	else
		result FAIL "pkg/$k/vm" "nothing to boot: DKMS module or vendor sample missing"
	fi

	# 4. purge: nothing of ours may be left.
	left=$(purge_and_list "$k" "$rel")
	if [ -z "$left" ]; then
		result PASS "pkg/$k/purge-clean"
	else
		result FAIL "pkg/$k/purge-clean" "left behind: $(echo "$left" | tr '\n' ' ')"
	fi
	echo "pkg/$k: $(since "$t0") s"
}

for f in "${DEBS[@]}" "$BUILD/selftests/module_test"; do
	if [ ! -f "$f" ]; then
		for k in "${KS[@]}"; do
			result FAIL "pkg/$k" "missing $f (make deb; make selftests)"
		done
		exit 1
	fi
done
for k in "${KS[@]}"; do
	pkgtest_one "$k"
done
