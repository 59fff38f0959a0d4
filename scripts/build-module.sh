#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds shmdev.ko against the kernel headers in KDIR, in a folder of its
# own under build/module/ (so several kernels build side by side and the
# source tree stays clean), with W=1 and warnings as errors: the builds of
# the tests and of `make lint`.
#
# Usage: scripts/build-module.sh KDIR [kbuild arguments...]
# With KCHROOT set (scripts/lib.sh's kernel_env), KDIR is inside that
# chroot and the build runs there.
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
if [ -z "${KCHROOT:-}" ]; then
	make -C "$kdir" M="$out" "${strict[@]}" "$@" modules >&2
else
	# A kernel whose headers live in a chroot of another distribution
	# (scripts/setup.sh's Debian unstable): build there, with its
	# compiler. The tree and the build folder appear at the same paths
	# inside, through bind mounts in a mount namespace of this command's
	# own, which vanish with it.
	chroot_root=$(readlink -f "$KCHROOT")
	case "$kdir" in
	"$chroot_root"/*) ;;
	*) die "$kdir is not inside the chroot $chroot_root" ;;
	esac
	# shellcheck disable=SC2016 # the inner shell expands them
	unshare --mount --propagation private -- sh -c '
		root=$1 top=$2 build=$3
		shift 3
		for d in "$top" "$build"; do
			mkdir -p "$root$d" && mount --bind "$d" "$root$d" || exit 1
		done
		mount -t proc proc "$root/proc" || exit 1
		exec chroot "$root" "$@"
	' build-module "$chroot_root" "$SHMDEV_TOP" "$SHMDEV_BUILD" \
		make -C "${kdir#"$chroot_root"}" M="$out" "${strict[@]}" "$@" modules >&2
fi
echo "$out/shmdev.ko"
