#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs what building and testing shmdev needs, idempotently:
#  - Debian packages (compiler, qemu, busybox-static, sparse, kernel source);
#  - for each kernel of the matrix, the image and headers named by Debian's
#    meta-packages, fetched with `apt-get download` and unpacked with
#    `dpkg -x` into a cache folder. Nothing is installed into /boot.
#
# Usage: scripts/setup.sh [KERNEL...]     (default: the whole matrix)
# Prints nothing when everything is already present.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

packages=(gcc make libc6-dev perl python3 qemu-system-x86 busybox-static cpio
	  sparse xz-utils linux-source-6.12 gcc-12 pahole shellcheck gcc-multilib
	  libc6-dev-i386)
# rst2html and rst2man: `make lint` and `make man`.
packages+=(python3-docutils)
# `make check-package`: its Debian 12 root file system.
packages+=(mmdebstrap e2fsprogs)
# More for one caller, e.g. gnuplot for `make bench`.
read -r -a extra <<< "${SHMDEV_EXTRA_PACKAGES:-}"
packages+=(${extra[@]+"${extra[@]}"})
# Only these packages and no kernel, for a caller that needs nothing
# else (`make deb`).
if [ -n "${SHMDEV_ONLY_PACKAGES:-}" ]; then
	read -r -a packages <<< "$SHMDEV_ONLY_PACKAGES"
	SHMDEV_KERNELS=" "
fi

apt_updated=
apt_update_once()
{
	[ -n "$apt_updated" ] && return 0
	local stamp="$SHMDEV_CACHE/apt-updated"
	mkdir -p "$SHMDEV_CACHE"
	# Refresh the package lists at most once a day, so that a new kernel
	# ABI behind the meta-packages is seen without editing this tree.
	if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
		log "apt-get update"
		apt-get update -qq >/dev/null
		touch "$stamp"
	fi
	apt_updated=1
}

install_packages()
{
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	apt_update_once
	log "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

# candidate_depends PKG: the concrete package the meta-package PKG depends on.
candidate_depends()
{
	apt-cache show --no-all-versions "$1" 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',' '\n' |
		sed 's/^ *//; s/ .*//; s/|.*//' | sed -n "${2:-1}p"
}

candidate_version()
{
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}

# Absolute symlinks in the unpacked headers point at /usr/src and /usr/lib
# of the host; make them point inside the unpacked tree instead.
relocate_symlinks()
{
	local root=$1 l t
	while IFS= read -r -d '' l; do
		t=$(readlink "$l")
		case "$t" in
		/*) ln -sfn "$root$t" "$l" ;;
		esac
	done < <(find "$root" -type l -print0)
}

fetch_kernel()
{
	local k=$1 meta_img meta_hdr img hdr ver dir env deps d tmp
	read -r meta_img meta_hdr < <(kernel_meta "$k")
	apt_update_once
	img=$(candidate_depends "$meta_img")
	hdr=$(candidate_depends "$meta_hdr")
	if [ -z "$img" ] || [ -z "$hdr" ]; then
		die "cannot resolve $meta_img / $meta_hdr with apt-cache"
	fi
	ver=$(candidate_version "$img")
	env="$SHMDEV_CACHE/kernels/$k.env"
	if [ -f "$env" ] && grep -qx "KPKGVER='$img=$ver'" "$env"; then
		return 0
	fi
	log "fetching kernel $k: $img $hdr ($ver)"
	dir="$SHMDEV_CACHE/kernels/$img-$ver"
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/root"
	# The headers package depends on its -common and kbuild packages
	# (and on the image, which is exactly what must not go to /boot).
	deps=$(apt-cache show --no-all-versions "$hdr" | sed -n 's/^Depends: //p' |
		tr ',|' '\n' | sed 's/^ *//; s/ .*//' |
		grep -E '^linux-(headers-.*-common|kbuild-)' | sort -u)
	# shellcheck disable=SC2086 # $deps is a list of package names
	(cd "$dir/debs" && apt-get download -qq -o APT::Sandbox::User=root "$img" "$hdr" $deps >/dev/null) ||
		die "apt-get download failed for kernel $k"
	for d in "$dir"/debs/*.deb; do
		dpkg -x "$d" "$dir/root"
	done
	rm -rf "$dir/debs"
	relocate_symlinks "$dir/root"
	local vmlinuz kdir
	vmlinuz=$(find "$dir/root/boot" -name 'vmlinuz-*' | head -n1)
	kdir="$dir/root/usr/src/$hdr"
	if [ ! -f "$vmlinuz" ] || [ ! -f "$kdir/Makefile" ]; then
		die "unexpected layout in $img / $hdr"
	fi
	# Its Makefile includes the -common one by absolute path too.
	sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$kdir/Makefile"
	tmp="$env.tmp"
	{
		echo "KPKGVER='$img=$ver'"
		echo "KIMAGE='$vmlinuz'"
		echo "KDIR='$kdir'"
		echo "KREL='${vmlinuz##*/vmlinuz-}'"
	} > "$tmp"
	mv "$tmp" "$env"
	# Older unpacked versions of the same kernel are no longer needed.
	for d in "$SHMDEV_CACHE"/kernels/"$img"-*; do
		[ "$d" = "$dir" ] || rm -rf "$d"
	done
}

install_packages
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || read -r -a kernels <<< "$SHMDEV_KERNELS"
for k in "${kernels[@]}"; do
	fetch_kernel "$k"
done
