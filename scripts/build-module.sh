#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds shmdev.ko against the kernel headers in KDIR, in a folder of its
# own under build/module/ (so several kernels build side by side and the
# source tree stays clean), with W=1 and warnings as errors: the builds of
# the tests and of `make lint`.
#
# Usage: scripts/build-module.sh KDIR [kbuild arguments...]
# Prints the path of shmdev.ko on standard output.
# SHMDEV_WERROR=0 builds as users do (`make`, `make install`): without
# W=1, and warnings do not fail the build.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

[ $# -ge 1 ] || die "usage: $0 KDIR [kbuild arguments...]"
kdir=$(readlink -f "$1")
shift
[ -f "$kdir/Makefile" ] || die "no kernel build tree at $kdir"

out="$SHMDEV_BUILD/module/$(basename "$kdir")"
mkdir -p "$out/module"
# Mirror the sources as symlinks; objects land beside the links.
find "$out/module" -maxdepth 1 -type l -delete
ln -sfn "$SHMDEV_TOP/Kbuild" "$out/Kbuild"
ln -sfn "$SHMDEV_TOP/uapi" "$out/uapi"
for f in "$SHMDEV_TOP"/module/*.[ch]; do
	ln -sfn "$f" "$out/module/${f##*/}"
done

strict=(W=1 SHMDEV_WERROR=y)
[ "${SHMDEV_WERROR:-1}" != 0 ] || strict=(SHMDEV_WERROR=)
make -C "$kdir" M="$out" "${strict[@]}" "$@" modules >&2
echo "$out/shmdev.ko"
