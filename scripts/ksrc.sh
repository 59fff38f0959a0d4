#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Extracts from Debian's linux-source-6.12 the few files the build uses
# (kselftest harness, checkpatch, kernel-doc) into build/ksrc, once per
# package version. Prints the folder holding the extracted tree.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || "$here/setup.sh" >&2
ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
dest="$SHMDEV_BUILD/ksrc"
top="$dest/linux-source-6.12"
stamp="$dest/.version"

if [ "$(cat "$stamp" 2>/dev/null)" != "$ver" ]; then
	log "extracting kernel sources used by the build (linux-source-6.12 $ver)"
	rm -rf "$dest"
	mkdir -p "$dest"
	tar -xJf "$tarball" -C "$dest" \
		linux-source-6.12/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.12/tools/testing/selftests/kselftest.h \
		linux-source-6.12/tools/testing/selftests/lib.mk \
		linux-source-6.12/tools/testing/selftests/kselftest/runner.sh \
		linux-source-6.12/scripts/checkpatch.pl \
		linux-source-6.12/scripts/spelling.txt \
		linux-source-6.12/scripts/const_structs.checkpatch \
		linux-source-6.12/scripts/kernel-doc
	echo "$ver" > "$stamp"
fi
echo "$top"
