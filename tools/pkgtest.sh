#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pkgtest.sh - install tests of the packages, one per kernel series:
#
#   0. p2pdma-ext-utils is built in the series' suite root (tools/kernels.sh
#      run) with dpkg-buildpackage -B from the committed tree, so it links
#      that suite's libkmod and libc, as the suite's own build would;
#   1. apt installs p2pdma-ext-dkms and p2pdma-ext-dev from build/packages/
#      and that p2pdma-ext-utils (apt pulls dkms from the suite); DKMS must
#      have built, signed and installed p2pdma_ext for the root's kernel
#      headers (dkms 3.x signs with its own MOK key once openssl is there;
#      bullseye's dkms 2.8 only through sign_tool, which is set up for the
#      test and removed afterwards); the signature is checked with openssl
#      against the certificate;
#   2. selftests/vendor-sample, written with the upstream P2PDMA names, is
#      built there against the installed -dev package only (no path into
#      this repository), with P2PDMA_EXT_UPSTREAM_NAMES=y;
#   3. the DKMS-built p2pdma_ext.ko, the sample, module_test and the
#      packaged p2pdmactl (with the root's libraries) boot in that kernel's
#      VM (topology switch, tools/pkgtest-guest.sh): module_test and the
#      p2pdmactl VM test must pass, the sample must load after p2pdma_ext,
#      log its version and move bytes by edu DMA through P2P memory, and
#      the JSON of "p2pdmactl status --json" and "providers --json" is
#      parsed here (jq) and compared. As an admin would, the test writes
#      MODPROBE_OPTION into the root's /etc/modprobe.d/p2pdma-ext.conf; the
#      guest sees the root's /lib/modules/REL (depmod's index, the DKMS
#      module) and /etc/modprobe.d, and runs the root's kmod as modprobe:
#      "modprobe p2pdma_ext" and "p2pdmactl load" must both apply the
#      option, "modprobe -r" must unload;
#   4. apt-get purge removes the packages and nothing is left behind;
#   4a. on KSELFTEST_SERIES: p2pdma-ext-tests is installed, its test
#      drivers are built from its sources (/usr/src/p2pdma-ext-tests-*)
#      against the DKMS build, and its installed kselftest tree runs by its
#      run_kselftest.sh in that kernel's VM, topology noedu (no DMA
#      engine), the devices and modules given through P2PX_* variables
#      (tools/pkgtest-kselftest-guest.sh): the subset KSELFTEST_TESTS,
#      each subtest a "pkg/SERIES/kselftest/PROGRAM.TEST" result;
#   5. on the series whose root is sid (RPM_SERIES): the .rpms are
#      installed with Debian's rpm into that root, so the spec's %post runs
#      dkms add/build/install against the suite's real dkms, and erased, so
#      %preun runs dkms remove; nothing may be left.
#
#   pkgtest.sh [SERIES...]     (default: $KERNELS from tools/lib.sh)
#
# Needs build/packages/*.deb (make deb), build/packages/*.rpm (make rpm;
# without them step 5 is skipped) and build/selftests/module_test (make
# selftests). Records "pkg/SERIES/..." results with result() from
# tools/lib.sh. What the tests need in the roots is installed first, before
# anything is asked of the root (a fresh root has only what "kernels.sh
# prepare" put there: make, kmod, perl, the headers), and stays installed:
# dkms, openssl, build-essential, debhelper, libkmod-dev (rpm in sid), and
# dkms's MOK key in /var/lib/dkms.
#
# Each series runs in a subshell of its own under "set -e": should an
# unexpected command fail there, the series is recorded as
# "FAIL pkg/SERIES/pkgtest -- pkgtest.sh died at line N (...)", the next
# series still runs, and pkgtest.sh exits non-zero. The exit status is 0
# when every series ran to its end, whatever its results.
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

# modinfo (kmod) lives in /sbin.
PATH=$PATH:/usr/sbin:/sbin
VERSION=$(sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$/\1/p' "$TOP/dkms.conf")
PKGS="p2pdma-ext-dkms p2pdma-ext-dev p2pdma-ext-utils p2pdma-ext-tests"
DEBS=("$BUILD/packages/p2pdma-ext-dkms_${VERSION}_all.deb"
      "$BUILD/packages/p2pdma-ext-dev_${VERSION}_all.deb")
TESTS_DEB=p2pdma-ext-tests_${VERSION}_amd64.deb
# What the kselftest run (4a) runs: no DMA engine there, so these are the
# tests that must still work on a real machine without one (fuzz_test
# with its default budget: a few seconds without p2px_edu's files).
KSELFTEST_TESTS="registry_test topology_test p2pmem_test dmabuf_test dmabuf_list_test
	provider_handle_test fuzz_test"
KSELFTEST_ENV=""
RPMS=("p2pdma-ext-dkms-${VERSION}-1.noarch.rpm" "p2pdma-ext-devel-${VERSION}-1.noarch.rpm"
      "p2pdma-ext-utils-${VERSION}-1.x86_64.rpm")
# What the tests need in a root, installed before anything is asked of it:
# dkms first of all (its version decides how the module gets signed, and
# bullseye's sign_tool setup writes into its /etc/dkms), although
# p2pdma-ext-dkms would pull it in later.
ROOT_TEST_PACKAGES=(dkms openssl build-essential debhelper libkmod-dev)
# The line pkgtest adds to bullseye's /etc/dkms/framework.conf, and the key.
SIGN_TOOL_LINE='sign_tool="/etc/dkms/sign_helper.sh" # p2pdma-ext pkgtest'
SIGN_TOOL_CN="p2pdma-ext pkgtest sign_tool key"
# The admin's edit of /etc/modprobe.d/p2pdma-ext.conf (not the default:
# only BAR 2, the ivshmem's P2P memory BAR).
MODPROBE_OPTION=provider_bars=4
KS=("$@")
[ ${#KS[@]} -gt 0 ] || read -r -a KS <<<"$KERNELS"

in_root() {
	local k=$1
	shift
	"$TOP/tools/kernels.sh" run "$k" -- env DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# Print what is left of ours in the root (nothing printed = clean).
leftovers() {
	# shellcheck disable=SC2016,SC2086
	in_root "$1" sh -c '
		ls -d /usr/src/p2pdma-ext-* /var/lib/dkms/p2pdma-ext \
			/etc/modprobe.d/p2pdma-ext.conf /usr/share/p2pdma-ext \
			/usr/include/p2pdma-ext /usr/sbin/p2pdmactl \
			/usr/share/man/man8/p2pdmactl.8* /usr/lib/p2pdma-ext-tests 2>/dev/null
		find /lib/modules -name "p2pdma_ext.ko*" 2>/dev/null
		dpkg-query -W -f "\${db:Status-Abbrev} \${Package}\n" '"$PKGS"' 2>/dev/null |
			grep -v "^un " || true
		if command -v rpm >/dev/null; then
			rpm -qa 2>/dev/null | grep "^p2pdma-ext" || true
		fi
	'
}

# Purge our packages and the test's sign_tool setup, then list leftovers.
purge_and_list() {
	# shellcheck disable=SC2016,SC2086
	in_root "$1" sh -c '
		# Only what dpkg knows of: apt refuses the whole purge when
		# it cannot find one name (p2pdma-ext-tests is installed in
		# one series only).
		pk=$(dpkg-query -W -f "\${db:Status-Abbrev} \${Package}\n" '"$PKGS"' 2>/dev/null |
			awk "!/^un/ { print \$2 }")
		[ -z "$pk" ] || apt-get purge -y $pk >/dev/null 2>&1 || true
		if command -v rpm >/dev/null; then
			f=; rpm --help 2>&1 | grep -q -- --force-debian && f=--force-debian
			rpm -e --nodeps --noplugins $f $(rpm -qa 2>/dev/null | grep "^p2pdma-ext") \
				>/dev/null 2>&1 || true
		fi
		rm -rf /tmp/p2px-pkgtest
		sed -i "/# p2pdma-ext pkgtest\$/d" /etc/dkms/framework.conf 2>/dev/null
		rm -f /root/mok.priv /root/mok.der
	'
	leftovers "$1"
}

# apt-get install in the root; on failure refresh the lists (a suite moves
# on) and try once more.
root_install() {
	local k=$1
	shift
	in_root "$k" apt-get install -y --no-install-recommends "$@" ||
		{ in_root "$k" apt-get update && in_root "$k" apt-get install -y --no-install-recommends "$@"; }
}

# unpack_ko FILE OUT: a module as installed (.ko, .ko.xz, .ko.zst, .ko.gz)
unpack_ko() {
	case $1 in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	esac
}

# verify_signature KO CERT(DER) TMPDIR: the module carries a kernel module
# signature ("~Module signature appended~" trailer, PKCS#7 id type) whose
# signer is CERT's CN and which openssl verifies against CERT over the
# module's contents. Prints the signer, or why not; status 0 if all holds.
verify_signature() {
	local ko=$1 cert=$2 tmp=$3 size sig_len id_type signer cn
	[ -f "$cert" ] || { echo "no certificate $cert"; return 1; }
	if ! tail -c 28 "$ko" | cmp -s - <(printf '~Module signature appended~\n'); then
		echo "no '~Module signature appended~' trailer"
		return 1
	fi
	# struct module_signature (12 bytes) precedes the trailer: algo, hash,
	# id_type (2 = PKCS#7), signer_len, key_id_len, pad[3], sig_len (be32).
	size=$(stat -c %s "$ko")
	read -r _ _ id_type _ _ _ _ _ b0 b1 b2 b3 < <(tail -c 40 "$ko" | head -c 12 | od -An -tu1)
	sig_len=$(((b0 << 24) | (b1 << 16) | (b2 << 8) | b3))
	if [ "$id_type" != 2 ] || [ "$sig_len" -le 0 ] || [ "$sig_len" -ge "$size" ]; then
		echo "bad signature header: id_type $id_type, sig_len $sig_len"
		return 1
	fi
	head -c $((size - 40 - sig_len)) "$ko" >"$tmp/signed-content"
	tail -c $((sig_len + 40)) "$ko" | head -c "$sig_len" >"$tmp/signature.p7"
	openssl x509 -inform DER -in "$cert" -out "$tmp/cert.pem" || return 1
	cn=$(openssl x509 -in "$tmp/cert.pem" -noout -subject -nameopt multiline |
		sed -n 's/^ *commonName *= *//p')
	signer=$(modinfo -F signer "$ko" 2>/dev/null || true)
	if [ "$signer" != "$cn" ]; then
		echo "signer '$signer', certificate CN '$cn'"
		return 1
	fi
	if ! openssl cms -verify -binary -inform DER -in "$tmp/signature.p7" \
		-content "$tmp/signed-content" -certfile "$tmp/cert.pem" -noverify \
		-out /dev/null 2>"$tmp/verify.log"; then
		echo "openssl cms -verify failed: $(head -n 3 "$tmp/verify.log" | tr '\n' ' ')"
		return 1
	fi
	echo "signed by '$signer', verified against ${cert##*/roots/}"
}

# json_check NAME TAP JQ-ARGS...: the "# json NAME:" document of the VM run
# passes jq -e with JQ-ARGS.
json_check() {
	local name=$1 tap=$2
	shift 2
	tr -d '\r' <"$tap" | sed -n "s/^# json $name: //p" | jq -e "$@" >/dev/null 2>&1
}

# ctl_checks K ROOT DIR: what the packaged p2pdmactl reported in the VM,
# parsed: the DKMS-built module's version and back end, the ivshmem as a
# provider with its sysfs size; and that the binary and libkmod that ran
# are the root's.
ctl_checks() {
	local k=$1 root=$2 dir=$3 tap=$3/out/results.tap backend bdf size lib
	case $k in 7.*) backend=native ;; *) backend=ext ;; esac
	if [ ! -f "$dir/payload/lib/p2pdmactl.bin" ]; then
		result FAIL "pkg/$k/ctl" "p2pdma-ext-utils was not installed; nothing ran"
		return
	fi
	# shellcheck disable=SC2016
	lib=$(chroot "$root" sh -c 'readlink -f "$(ldd /usr/sbin/p2pdmactl | awk "/libkmod/ { print \$3 }")"' || true)
	if cmp -s "$dir/payload/lib/p2pdmactl.bin" "$root/usr/sbin/p2pdmactl" &&
		cmp -s "$dir/payload/lib/libkmod.so.2" "$root$lib"; then
		result PASS "pkg/$k/ctl/packaged-binary" "/usr/sbin/p2pdmactl with the root's $lib"
	else
		result FAIL "pkg/$k/ctl/packaged-binary" "the VM's p2pdmactl or libkmod is not the root's"
	fi
	# shellcheck disable=SC2016
	if json_check status "$tap" --arg v "$VERSION" --arg b "$backend" \
		'.loaded == true and .version == $v and .backend == $b and
		 (.abi_version | type) == "number" and
		 (.parameters | has("host_bridge_allow"))'; then
		result PASS "pkg/$k/ctl/status-json" "version $VERSION, backend $backend"
	else
		result FAIL "pkg/$k/ctl/status-json" "want loaded, version $VERSION, backend $backend; got: $(
			tr -d '\r' <"$tap" | sed -n 's/^# json status: //p' | tr -d '\n\t ' | head -c 300)"
	fi
	# (read fails on no line: no kill under set -e, the check says what is missing)
	bdf='' size=''
	read -r bdf size < <(tr -d '\r' <"$tap" | sed -n 's/^# p2pmem \([0-9a-f:.]*\) size \([0-9]*\)$/\1 \2/p') || true
	# shellcheck disable=SC2016
	if [ -n "${size:-}" ] && json_check providers "$tap" --arg d "$bdf" --argjson s "$size" \
		'[.[] | select(.bdf == $d)] | length == 1 and .[0].size == $s and
		 .[0].published == true and .[0].available <= $s'; then
		result PASS "pkg/$k/ctl/providers-json" "$bdf, $size bytes, published"
	else
		result FAIL "pkg/$k/ctl/providers-json" "want ivshmem ${bdf:-?} with sysfs size ${size:-?}; got: $(
			tr -d '\r' <"$tap" | sed -n 's/^# json providers: //p' | tr -d '\n\t ' | head -c 300)"
	fi
}

# modprobe_view K ROOT REL DIR: the admin's option in the root's
# modprobe.d, then what the guest needs to run modprobe as the root would:
# payload/root/ with the root's /lib/modules/REL (depmod's index files, the
# DKMS module and what modules.dep says it needs) and /etc/modprobe.d, and
# the root's kmod as payload/modprobe with the root's libraries.
modprobe_view() {
	local k=$1 root=$2 rel=$3 dir=$4 conf=$2/etc/modprobe.d/p2pdma-ext.conf
	local mods=$2/lib/modules/$3 view=$4/payload/root kmod f
	sed -i "s/^#options p2pdma_ext ${MODPROBE_OPTION%%=*}=.*/options p2pdma_ext $MODPROBE_OPTION/" \
		"$conf" 2>/dev/null || true
	mkdir -p "$view/lib/modules/$rel" "$view/etc"
	cp -a "$root/etc/modprobe.d" "$view/etc/"
	cp "$mods"/modules.* "$view/lib/modules/$rel/" 2>/dev/null || true
	# The module and its dependencies: the words of its modules.dep line.
	# shellcheck disable=SC2013
	for f in $(sed -n 's|^\([^:]*/p2pdma_ext\.ko[^:]*\):|\1|p' "$mods/modules.dep" 2>/dev/null); do
		mkdir -p "$view/lib/modules/$rel/$(dirname "$f")"
		cp "$mods/$f" "$view/lib/modules/$rel/$f"
	done
	kmod=$(chroot "$root" readlink -f /sbin/modprobe 2>/dev/null || true)
	[ -z "$kmod" ] ||
		"$TOP/tools/p2pdmactl/payload.sh" --root "$root" --as modprobe "$kmod" "$dir/payload" ||
		echo "pkg/$k: modprobe payload failed"
	echo "$MODPROBE_OPTION" >"$dir/payload/modprobe-option"
	local why=''
	grep -qx "options p2pdma_ext $MODPROBE_OPTION" "$conf" 2>/dev/null ||
		why+="no 'options p2pdma_ext $MODPROBE_OPTION' in ${conf#"$root"}; "
	grep -q "^updates/dkms/p2pdma_ext\.ko[^:]*:" "$mods/modules.dep" 2>/dev/null ||
		why+="modules.dep (depmod) does not list updates/dkms/p2pdma_ext.ko; "
	[ -n "$kmod" ] && cmp -s "$root$kmod" "$dir/payload/lib/bin/modprobe" ||
		why+="the payload's modprobe is not the root's kmod (${kmod:-none}); "
	if [ -z "$why" ]; then
		result PASS "pkg/$k/modprobe-view" "modprobe.d: $MODPROBE_OPTION; depmod: $(
			grep -o '^updates/dkms/p2pdma_ext\.ko[^:]*' "$mods/modules.dep"); modprobe: the root's $kmod"
	else
		result FAIL "pkg/$k/modprobe-view" "${why%; }"
	fi
}

# rpmtest K ROOT REL DIR: the .rpms installed with Debian's rpm into the
# root (no RPM-based distribution is in Debian's archive; --nodeps because
# the rpm database there knows none of the dependencies, dkms, make and gcc
# being Debian packages; Debian's rpm before 6 also wants --force-debian,
# or it refuses with "use alien"; --noplugins: rpm 6's unshare plugin
# cannot make / a private mount inside the chroot, which has no mount of
# its own there, and would fail every scriptlet). %post must have built and installed the module through the
# suite's dkms; after rpm -e (%preun: dkms remove) nothing may be left.
rpmtest() {
	local k=$1 root=$2 rel=$3 dir=$4 f ko left
	for f in "${RPMS[@]}"; do
		if [ ! -f "$BUILD/packages/$f" ]; then
			result SKIP "pkg/$k/rpm" "no $BUILD/packages/$f (make rpm)"
			return
		fi
	done
	mkdir -p "$root/tmp/p2px-pkgtest"
	# Debian's rpm before 6 warns on installs unless --force-debian.
	# (grep without -q: under pipefail an early exit would fail rpm.)
	local RPM_FORCE_DEBIAN=
	if in_root "$k" rpm --help 2>&1 | grep -- --force-debian >/dev/null; then
		RPM_FORCE_DEBIAN=--force-debian
	fi
	for f in "${RPMS[@]}"; do
		cp "$BUILD/packages/$f" "$root/tmp/p2px-pkgtest/"
	done
	# shellcheck disable=SC2016
	if in_root "$k" sh -c "cd /tmp/p2px-pkgtest && rpm -i --nodeps --noplugins $RPM_FORCE_DEBIAN \"\$@\"" \
		sh "${RPMS[@]}" >"$dir/rpm-install.log" 2>&1; then
		result PASS "pkg/$k/rpm/install" "rpm -i --nodeps --noplugins${RPM_FORCE_DEBIAN:+ $RPM_FORCE_DEBIAN} (Debian's rpm $(
			in_root "$k" rpm --version | awk '{ print $3 }'))"
	else
		tail -n 30 "$dir/rpm-install.log"
		result FAIL "pkg/$k/rpm/install" "see $dir/rpm-install.log"
	fi
	ko=$(find "$root/lib/modules/$rel/updates/dkms" -name 'p2pdma_ext.ko*' 2>/dev/null | head -n 1 || true)
	rm -f "$dir/rpm-p2pdma_ext.ko"
	[ -z "$ko" ] || unpack_ko "$ko" "$dir/rpm-p2pdma_ext.ko"
	if in_root "$k" dkms status -m p2pdma-ext -v "$VERSION" -k "$rel" 2>/dev/null | grep -q installed &&
		[ -s "$dir/rpm-p2pdma_ext.ko" ] &&
		modinfo -F version "$dir/rpm-p2pdma_ext.ko" | grep -qx "$VERSION"; then
		result PASS "pkg/$k/rpm/post-dkms-installed" "%post: ${ko#"$root"}"
	else
		result FAIL "pkg/$k/rpm/post-dkms-installed" "%post did not build/install p2pdma_ext $VERSION for $rel; see $dir/rpm-install.log"
	fi
	if [ -f "$root/usr/share/p2pdma-ext/p2pdma-ext.mk" ] &&
		[ -f "$root/usr/include/p2pdma-ext/linux/p2pdma_ext.h" ] &&
		[ -f "$root/usr/include/p2pdma-ext/compat/linux/pci-p2pdma.h" ] &&
		in_root "$k" p2pdmactl --help >/dev/null 2>&1; then
		result PASS "pkg/$k/rpm/devel-utils-files"
	else
		result FAIL "pkg/$k/rpm/devel-utils-files" "devel files or a working p2pdmactl missing"
	fi
	# shellcheck disable=SC2016
	in_root "$k" sh -c "rpm -e --nodeps --noplugins $RPM_FORCE_DEBIAN p2pdma-ext-utils p2pdma-ext-devel p2pdma-ext-dkms" \
		>"$dir/rpm-erase.log" 2>&1 || true
	left=$(leftovers "$k")
	if [ -z "$left" ]; then
		result PASS "pkg/$k/rpm/erase-clean" "%preun: dkms remove"
	else
		result FAIL "pkg/$k/rpm/erase-clean" "left behind: $(echo "$left" | tr '\n' ' ')"
	fi
	rm -rf "$root/tmp/p2px-pkgtest"
}

# kselftest_run K ROOT REL DIR: step 4a (see the header).
kselftest_run() {
	local k=$1 root=$2 rel=$3 dir=$4 pay=$4/ks-payload out=$4/ks-out rc t
	local tree=$root/usr/lib/p2pdma-ext-tests src=/usr/src/p2pdma-ext-tests-$VERSION
	if [ ! -f "$BUILD/packages/$TESTS_DEB" ]; then
		result FAIL "pkg/$k/kselftest" "missing $BUILD/packages/$TESTS_DEB (make deb)"
		return
	fi
	cp "$BUILD/packages/$TESTS_DEB" "$root/tmp/p2px-pkgtest/"
	if in_root "$k" sh -c "cd /tmp/p2px-pkgtest && apt-get install -y --no-install-recommends ./$TESTS_DEB" \
		>"$dir/kselftest-install.log" 2>&1 && [ -x "$tree/run_kselftest.sh" ] &&
		[ -f "$tree/kselftest-list.txt" ] && [ -f "$tree/p2pdma-ext/settings" ]; then
		result PASS "pkg/$k/kselftest/install" "/usr/lib/p2pdma-ext-tests"
	else
		tail -n 20 "$dir/kselftest-install.log"
		result FAIL "pkg/$k/kselftest/install" "see $dir/kselftest-install.log"
		return
	fi
	rm -rf "$pay" && mkdir -p "$pay/drivers"
	# The test drivers, as Documentation/testing.rst tells a test engineer.
	if in_root "$k" make -C "$src" KDIR="/lib/modules/$rel/build" DEST=/tmp/p2px-pkgtest/drivers \
		>"$dir/kselftest-drivers.log" 2>&1 &&
		cp "$root"/tmp/p2px-pkgtest/drivers/*.ko "$pay/drivers/"; then
		result PASS "pkg/$k/kselftest/drivers-build" "$(cd "$pay/drivers" && echo *.ko)"
	else
		tail -n 20 "$dir/kselftest-drivers.log"
		result FAIL "pkg/$k/kselftest/drivers-build" "see $dir/kselftest-drivers.log"
	fi
	cp -a "$tree" "$pay/kselftest"
	cp "$dir/payload/p2pdma_ext.ko" "$pay/"
	cp "$TOP/tools/pkgtest-kselftest-guest.sh" "$pay/run"
	{
		printf 'P2PX_KSELFTESTS="'
		for t in $KSELFTEST_TESTS; do printf 'p2pdma-ext:%s ' "$t"; done
		printf '"\n%s\n' "$KSELFTEST_ENV"
	} >"$pay/test.env"
	rc=0
	"$TOP/selftests/vm/run-vm.sh" --kernel-dir "$("$TOP/tools/kernels.sh" kernel-dir "$k")" \
		--topology noedu --payload "$pay" --out "$out" \
		--timeout 600 >"$dir/kselftest-run.log" 2>&1 || rc=$?
	kselftest_results "$k" "$out/payload.log"
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$dir/kselftest-run.log"
		result FAIL "pkg/$k/kselftest/vm" "run-vm.sh exit $rc; see $dir/kselftest-run.log"
	fi
}

# kselftest_results K LOG: run_kselftest.sh's KTAP in LOG as results, one
# per subtest ("# ok N NAME" nested in "# selftests: p2pdma-ext: PROG";
# the harness names no test on a SKIP line: it comes from the RUN line),
# and a failed program (crash, timeout) as one.
kselftest_results() {
	local k=$1 log=$2 verdict name why n=0
	while IFS='|' read -r verdict name why; do
		n=$((n + 1))
		result "$verdict" "pkg/$k/kselftest/$name" ${why:+"$why"}
	done < <(tr -d '\r' <"$log" | awk '
		/^# selftests: p2pdma-ext: / { prog = $4; next }
		/^# #  RUN / { cur = $4; next }
		/^# ok [0-9]+ # SKIP/ { sub(/^# ok [0-9]+ # SKIP */, ""); print "SKIP|" prog "." cur "|" $0; next }
		/^# ok [0-9]+ / { print "PASS|" prog "." $4 "|"; next }
		/^# not ok [0-9]+ / { print "FAIL|" prog "." $5 "|"; next }
		/^not ok [0-9]+ selftests: p2pdma-ext: / { print "FAIL|" $6 "|program: " $0 }')
	[ "$n" -gt 0 ] || result FAIL "pkg/$k/kselftest/results" "no KTAP results in $log"
}

pkgtest_one() {
	local k=$1 root rel dir ko left t0 rc dkms_ver cert utils_deb
	local -a tap
	dir=$BUILD/pkgtest/$k
	rm -rf "$dir"
	mkdir -p "$dir/payload" "$dir/sig"
	t0=$(date +%s)
	root=$("$TOP/tools/kernels.sh" root "$k")
	rel=$("$TOP/tools/kernels.sh" release "$k")
	# One package test per root at a time (several checkouts share the
	# cache); held until pkgtest_one returns.
	local lock_fd
	mkdir -p "$CACHE/locks"
	exec {lock_fd}>>"$CACHE/locks/pkgtest-$k.lock"
	flock -x "$lock_fd"

	# Start from a root without our packages (an earlier run may have died).
	purge_and_list "$k" >/dev/null
	local -a extra=("${ROOT_TEST_PACKAGES[@]}")
	[ "$k" != "$RPM_SERIES" ] || extra+=(rpm)
	if ! root_install "$k" "${extra[@]}" >"$dir/root-packages.log" 2>&1; then
		tail -n 20 "$dir/root-packages.log"
		result FAIL "pkg/$k/root-packages" "apt-get install ${extra[*]} failed; see $dir/root-packages.log"
	fi
	# The roots hold the kernel's headers, not its image package, whose
	# postinst runs depmod: do that, so that /lib/modules/REL has its
	# modules.dep as on a system running that kernel (dkms 3.2 runs
	# depmod only where there is one, "Skipping depmod" otherwise).
	[ -f "$root/lib/modules/$rel/modules.dep" ] ||
		in_root "$k" depmod -a "$rel" >"$dir/depmod.log" 2>&1 ||
		echo "pkg/$k: depmod -a $rel failed; see $dir/depmod.log"
	mkdir -p "$root/tmp/p2px-pkgtest/vendor-sample" "$root/tmp/p2px-pkgtest/src"
	cp "${DEBS[@]}" "$root/tmp/p2px-pkgtest/"
	cp "$TOP/selftests/vendor-sample/"{Kbuild,Makefile,p2px_vendor_sample.c} \
		"$root/tmp/p2px-pkgtest/vendor-sample/"

	# 0. p2pdma-ext-utils, built in and for this suite.
	git -C "$TOP" archive HEAD | tar -x -C "$root/tmp/p2px-pkgtest/src"
	utils_deb=p2pdma-ext-utils_${VERSION}_amd64.deb
	# (p2pdma-ext-tests needs the kselftest harness: make deb builds it.)
	if in_root "$k" sh -c 'cd /tmp/p2px-pkgtest/src && dpkg-buildpackage -us -uc -B -Ppkg.p2pdma-ext.notests' \
		>"$dir/utils-build.log" 2>&1 && [ -f "$root/tmp/p2px-pkgtest/$utils_deb" ]; then
		result PASS "pkg/$k/utils-build" "dpkg-buildpackage -B in the suite root"
	else
		tail -n 30 "$dir/utils-build.log"
		result FAIL "pkg/$k/utils-build" "see $dir/utils-build.log"
	fi

	# Signing: dkms 3.x signs by itself (openssl is installed above); dkms
	# 2.8 only through sign_tool: set up its helper's key for this test.
	# (dkms is one of ROOT_TEST_PACKAGES; should it still be missing, the
	# checks below fail and say so, the script goes on.)
	dkms_ver=$(in_root "$k" dkms --version 2>/dev/null |
		sed -n 's/^dkms[-: ]*\([0-9][0-9.]*\).*/\1/p' || true)
	[ -n "$dkms_ver" ] ||
		result FAIL "pkg/$k/dkms-version" "no dkms --version in the root; see $dir/root-packages.log"
	case $dkms_ver in
	2.*)
		cert=$root/root/mok.der
		# shellcheck disable=SC2016
		in_root "$k" sh -c '
			openssl req -new -x509 -nodes -days 36500 -subj "/CN=$1" \
				-newkey rsa:2048 -keyout /root/mok.priv -outform DER \
				-out /root/mok.der >/dev/null 2>&1 &&
			echo "$2" >>/etc/dkms/framework.conf' sh "$SIGN_TOOL_CN" "$SIGN_TOOL_LINE" ||
			echo "pkg/$k: could not set up sign_tool"
		;;
	*) cert=$root/var/lib/dkms/mok.pub ;;
	esac

	# 1. install; DKMS builds in the postinst for kernels with headers.
	if in_root "$k" sh -c "cd /tmp/p2px-pkgtest && apt-get install -y --no-install-recommends \
		./p2pdma-ext-dkms_${VERSION}_all.deb ./p2pdma-ext-dev_${VERSION}_all.deb ./$utils_deb" \
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
	ko=$(find "$root/lib/modules/$rel/updates/dkms" -name 'p2pdma_ext.ko*' 2>/dev/null | head -n 1 || true)
	[ -z "$ko" ] || unpack_ko "$ko" "$dir/payload/p2pdma_ext.ko"
	# (No "strings | grep -q" under pipefail: grep's early exit fails strings.)
	local modinfo=
	[ -s "$dir/payload/p2pdma_ext.ko" ] &&
		modinfo=$(strings "$dir/payload/p2pdma_ext.ko" | grep -E '^(version|vermagic)=' || true)
	if grep -qx "version=$VERSION" <<<"$modinfo" &&
		grep -qx "vermagic=$rel .*" <<<"$modinfo"; then
		result PASS "pkg/$k/dkms-installed" "${ko#"$root"}"
	else
		result FAIL "pkg/$k/dkms-installed" "no p2pdma_ext.ko $VERSION for $rel under /lib/modules/$rel/updates/dkms"
	fi
	local why
	if [ -s "$dir/payload/p2pdma_ext.ko" ] &&
		why=$(verify_signature "$dir/payload/p2pdma_ext.ko" "$cert" "$dir/sig"); then
		case $dkms_ver in
		2.*) result PASS "pkg/$k/module-signed" "dkms $dkms_ver through sign_tool: $why" ;;
		*) result PASS "pkg/$k/module-signed" "dkms $dkms_ver, its own MOK key: $why" ;;
		esac
	else
		result FAIL "pkg/$k/module-signed" "dkms $dkms_ver: ${why:-no module}"
	fi

	# The packaged tool: its shlibs dependency, man page, and it runs.
	local deps
	# shellcheck disable=SC2016
	deps=$(in_root "$k" dpkg-query -W -f '${Depends}' p2pdma-ext-utils 2>/dev/null || true)
	if grep -q 'libkmod2' <<<"$deps" &&
		[ -f "$root/usr/share/man/man8/p2pdmactl.8.gz" ] &&
		in_root "$k" p2pdmactl --help >/dev/null 2>&1; then
		result PASS "pkg/$k/utils-installed" "Depends: $deps"
	else
		result FAIL "pkg/$k/utils-installed" "Depends: '$deps'; man page or p2pdmactl --help missing"
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

	# 3. boot the kernel with what DKMS, the -dev and the -utils package
	# produced; the packaged p2pdmactl runs with the root's libraries.
	if [ -s "$dir/payload/p2pdma_ext.ko" ] && [ -f "$dir/payload/p2px_vendor_sample.ko" ]; then
		cp "$BUILD/selftests/module_test" "$dir/payload/"
		cp "$TOP/selftests/vendor-sample/run" "$dir/payload/vendor-sample-run"
		cp "$TOP/tools/pkgtest-guest.sh" "$dir/payload/run"
		echo "$VERSION" >"$dir/payload/version"
		if [ -x "$root/usr/sbin/p2pdmactl" ]; then
			"$TOP/tools/p2pdmactl/payload.sh" --root "$root" /usr/sbin/p2pdmactl "$dir/payload" ||
				echo "pkg/$k: p2pdmactl payload failed"
		fi
		modprobe_view "$k" "$root" "$rel" "$dir"
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
		ctl_checks "$k" "$root" "$dir"
	else
		result FAIL "pkg/$k/vm" "nothing to boot: DKMS module or vendor sample missing"
	fi

	# 4a. the installed kselftest tree, on one series.
	if [ "$k" = "$KSELFTEST_SERIES" ]; then
		local ks_t0
		ks_t0=$(date +%s)
		kselftest_run "$k" "$root" "$rel" "$dir"
		echo "pkg/$k/kselftest: $(since "$ks_t0") s"
	fi

	# 4. purge: nothing of ours may be left.
	left=$(purge_and_list "$k")
	if [ -z "$left" ]; then
		result PASS "pkg/$k/purge-clean"
	else
		result FAIL "pkg/$k/purge-clean" "left behind: $(echo "$left" | tr '\n' ' ')"
	fi
	echo "pkg/$k: $(since "$t0") s"

	# 5. the .rpms with their scriptlets against this suite's dkms.
	if [ "$k" = "$RPM_SERIES" ]; then
		t0=$(date +%s)
		rpmtest "$k" "$root" "$rel" "$dir"
		echo "pkg/$k/rpm: $(since "$t0") s"
	fi
	exec {lock_fd}>&-
}

for f in "${DEBS[@]}" "$BUILD/selftests/module_test"; do
	if [ ! -f "$f" ]; then
		for k in "${KS[@]}"; do
			result FAIL "pkg/$k" "missing $f (make deb; make selftests)"
		done
		exit 1
	fi
done
# One subshell per series (see the header): set -e holds inside it (the
# subshell is not tested with || or if, which would switch it off), the
# ERR trap notes where it died, the EXIT trap records that. The series
# have roots, locks and output directories of their own: P2PDMA_EXT_JOBS
# (default 2) of them run at once; each one's exit status lands in
# $BUILD/pkgtest/SERIES.rc.
pkgtest_series() {
	local k=$1
	set +e
	(
		set -eE
		err_line='?' err_cmd='?'
		trap 'err_line=$LINENO err_cmd=$BASH_COMMAND' ERR
		# shellcheck disable=SC2154 # err_cmd, err_line: set by the ERR trap
		trap 'rc=$?; [ "$rc" -eq 0 ] || result FAIL "pkg/$k/pkgtest" \
			"pkgtest.sh died at line $err_line ($(printf %s "$err_cmd" | tr -s "\n\t" "  " | cut -c 1-120)), exit $rc; the rest of $k did not run; see $BUILD/pkgtest/$k"' EXIT
		pkgtest_one "$k"
	)
	echo $? >"$BUILD/pkgtest/$k.rc"
}

jobs_max=${P2PDMA_EXT_JOBS:-2}
running=0
mkdir -p "$BUILD/pkgtest"
for k in "${KS[@]}"; do
	rm -f "$BUILD/pkgtest/$k.rc"
	pkgtest_series "$k" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs_max" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait || true
died=0
for k in "${KS[@]}"; do
	rc=$(cat "$BUILD/pkgtest/$k.rc" 2>/dev/null || echo lost)
	if [ "$rc" != 0 ]; then
		died=$((died + 1))
		echo "pkgtest.sh: the package test of $k died (exit $rc)" >&2
		[ "$rc" != lost ] || result FAIL "pkg/$k/pkgtest" "no exit status: the series' subshell was lost"
	fi
done
[ "$died" -eq 0 ]
