#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-version.sh - the version flows from one place, PACKAGE_VERSION in
# dkms.conf, into MODULE_VERSION of every built module (build/matrix/*/
# p2pdma_ext.ko, "version=" in its modinfo), debian/changelog and the RPM
# spec's newest %changelog entry. Records host/version/* results.
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

want=$(sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$/\1/p' "$TOP/dkms.conf")
if [ -z "$want" ]; then
	result FAIL host/version/dkms.conf "no PACKAGE_VERSION"
	exit 0
fi
result PASS host/version/dkms.conf "$want"

check() {
	local name=$1 got=$2
	if [ "$got" = "$want" ]; then
		result PASS "host/version/$name"
	else
		result FAIL "host/version/$name" "'$got', dkms.conf says '$want'"
	fi
}

# debian/changelog: the newest entry, "p2pdma-ext (VERSION) ...".
check debian-changelog "$(sed -n '1s/^p2pdma-ext (\([^)]*\)).*/\1/p' "$TOP/debian/changelog")"
# The spec's Version is %{pkgversion} (from dkms.conf); its newest
# %changelog entry ends in "- VERSION-RELEASE".
check rpm-changelog "$(sed -n '/^%changelog/,${/^\* /{s/.* - \([^ ]*\)-[^-]*$/\1/p;q}}' \
	"$TOP/rpm/p2pdma-ext.spec")"
for k in $KERNELS; do
	ko=$BUILD/matrix/$k/p2pdma_ext.ko
	if [ -f "$ko" ]; then
		check "modinfo/$k" "$(strings "$ko" | sed -n 's/^version=//p' | head -n 1)"
	else
		result FAIL "host/version/modinfo/$k" "no $ko (build matrix failed?)"
	fi
done
