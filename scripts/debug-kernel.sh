#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the debug kernel of `make check-debug` from Debian's
# linux-source-6.12: tinyconfig plus scripts/debug-kernel.config (KASAN,
# lockdep, DEBUG_VM, kmemleak, UBSAN...). About 11 minutes on 2 cores, once:
# the tree is cached in $SHMDEV_CACHE/debug-kernel, keyed by the source
# version and the config, and reused after. Writes kernels/debug.env
# (KIMAGE, KDIR, KREL) like setup.sh does for Debian's kernels.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

"$here/setup.sh" >&2
SHMDEV_EXTRA_PACKAGES="flex bison bc libelf-dev libssl-dev" "$here/setup.sh" >&2
ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$(sha256sum < "$here/debug-kernel.config" | cut -c1-12)
dir="$SHMDEV_CACHE/debug-kernel/$ver-$key"
tree="$dir/linux-source-6.12"
env="$SHMDEV_CACHE/kernels/debug.env"

if [ ! -f "$dir/.built" ]; then
	log "building the debug kernel in $dir (about 11 minutes, once)"
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$dir"
	make -s -C "$tree" tinyconfig
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" \
		"$here/debug-kernel.config" >/dev/null
	make -s -C "$tree" olddefconfig
	# Every option asked for must have survived olddefconfig.
	missing=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=y)
			grep -qx "$line" "$tree/.config" ||
				{ log "debug kernel: $line did not stick"; missing=1; } ;;
		esac
	done < "$here/debug-kernel.config"
	[ $missing -eq 0 ] || die "debug kernel configuration incomplete"
	make -s -C "$tree" -j"$(nproc)" bzImage modules >&2
	touch "$dir/.built"
fi

mkdir -p "$(dirname "$env")"
{
	echo "KPKGVER='debug=$ver-$key'"
	echo "KIMAGE='$tree/arch/x86/boot/bzImage'"
	echo "KDIR='$tree'"
	echo "KREL='$(make -s -C "$tree" kernelrelease)'"
} > "$env.tmp"
mv "$env.tmp" "$env"
echo "$tree"
