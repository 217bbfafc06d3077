#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.pl --strict (from Debian's linux-source-6.1) over every C
# source and header of the project. Exits non-zero on any finding.
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

cp=$("$TOP/tools/linux-source.sh")/scripts/checkpatch.pl
cd "$TOP"
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find src include selftests -name '*.[ch]')
out=$(perl "$cp" --strict --no-tree --terse --show-types \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f "${files[@]}" || true)
findings=$(printf '%s\n' "$out" | grep -E ': (ERROR|WARNING|CHECK):' || true)
if [ -n "$findings" ]; then
	printf '%s\n' "$findings"
	exit 1
fi
echo "checkpatch --strict: ${#files[@]} files clean"
