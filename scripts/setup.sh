#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs what building and testing shmdev needs, idempotently:
#  - Debian packages (compiler, qemu, busybox-static, sparse, kernel source);
#  - for each kernel of the matrix, the image and headers named by Debian's
#    meta-packages, fetched with `apt-get download` and unpacked with
#    `dpkg -x` into a cache folder. Nothing is installed into /boot.
#  - for the kernels of Debian unstable (unstable, unstable-rt), a chroot of
#    that distribution with its compiler and the kernels' headers, the
#    newest the archive has (see sid_ready below).
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

# candidate_depends PKG [CMD...]: the versioned kernel package
# (linux-image-RELEASE, linux-headers-RELEASE) the meta-package PKG depends
# on, as CMD (default: nothing, this machine) runs apt-cache.
candidate_depends()
{
	local p=$1
	shift
	"$@" apt-cache show --no-all-versions "$p" 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',' '\n' |
		sed 's/^ *//; s/ .*//; s/|.*//' |
		awk '/^linux-(image|headers)-[0-9]/ && !n++' 
}

# candidate_version PKG [CMD...]: the version apt would install.
candidate_version()
{
	local p=$1
	shift
	"$@" apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: //p'
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

# write_kernel_env NAME IMAGE-PACKAGE VERSION VMLINUZ KDIR RELEASE [CHROOT]:
# records where kernel NAME's files are, for scripts/lib.sh's kernel_env,
# and removes the older unpacked versions of the same image package.
write_kernel_env()
{
	local env="$SHMDEV_CACHE/kernels/$1.env" img=$2 ver=$3 d
	{
		echo "KPKGVER='$img=$ver'"
		echo "KIMAGE='$4'"
		echo "KDIR='$5'"
		echo "KREL='$6'"
		[ -z "${7:-}" ] || echo "KCHROOT='$7'"
	} > "$env.tmp"
	mv "$env.tmp" "$env"
	for d in "$SHMDEV_CACHE"/kernels/"$img"-*; do
		[ "$d" = "$SHMDEV_CACHE/kernels/$img-$ver" ] || rm -rf "$d"
	done
}

fetch_kernel()
{
	local k=$1 meta_img meta_hdr img hdr ver dir env deps d
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
	write_kernel_env "$k" "$img" "$ver" "$vmlinuz" "$kdir" "${vmlinuz##*/vmlinuz-}"
}

# The kernels of Debian's development distribution (unstable, "sid"):
# their headers' build programs and their compiler need that
# distribution's C library, so the module is built for them in a chroot of
# it, made with mmdebstrap from Debian's archive and kept in the cache
# ($SHMDEV_SID_ROOT). Its package lists are refreshed, and its compiler and
# kernel headers upgraded to what the archive has now, when they are more
# than SHMDEV_SID_REFRESH minutes old (default 60), so that each `make
# check` tests the newest kernel without a version written anywhere here.
# The archive's copy reachable from some networks lags the real one, so its
# index reads as expired: apt is told not to mind (Check-Valid-Until).
sid_packages=(gcc make libc6-dev sparse linux-headers-amd64 linux-headers-rt-amd64)
sid_mirror=${SHMDEV_SID_MIRROR:-http://deb.debian.org/debian}

# sid CMD...: runs CMD in the chroot, with /proc and this machine's
# resolv.conf, in a mount namespace of its own so that no mount outlives
# it.
sid()
{
	# shellcheck disable=SC2016 # the inner shell expands them
	unshare --mount --propagation private -- sh -c '
		root=$1
		shift
		mount -t proc proc "$root/proc" &&
		mount --bind /etc/resolv.conf "$root/etc/resolv.conf" &&
		exec chroot "$root" env DEBIAN_FRONTEND=noninteractive "$@"
	' sid "$SHMDEV_SID_ROOT" "$@"
}

sid_ready()
{
	local top=${SHMDEV_SID_ROOT%/*} stamp
	stamp="$top/refreshed"
	if [ ! -f "$top/complete" ]; then
		command -v mmdebstrap >/dev/null || die "mmdebstrap is missing"
		log "building a chroot of Debian unstable for its kernels (about 2 minutes)"
		rm -rf --one-file-system "$top"
		mkdir -p "$top"
		if ! mmdebstrap --quiet --variant=minbase \
			--aptopt='Acquire::Check-Valid-Until "false"' \
			--include="$(IFS=,; echo "${sid_packages[*]}")" \
			sid "$SHMDEV_SID_ROOT" "$sid_mirror" >&2; then
			rm -rf --one-file-system "$top"
			die "cannot build the Debian unstable chroot from $sid_mirror"
		fi
		# mmdebstrap leaves no package lists behind: the refresh
		# below makes them.
		touch "$top/complete"
	fi
	[ -n "$(find "$stamp" -mmin -"${SHMDEV_SID_REFRESH:-60}" 2>/dev/null)" ] && return 0
	log "Debian unstable: refreshing the package lists, upgrading its compiler and kernel headers"
	sid apt-get update -qq >&2 ||
		die "Debian unstable: apt-get update failed in $SHMDEV_SID_ROOT"
	sid apt-get install -y -qq --no-install-recommends "${sid_packages[@]}" >/dev/null ||
		die "Debian unstable: cannot upgrade ${sid_packages[*]}"
	touch "$stamp"
}

# sparse_probe KDIR: newer kernels' Kbuild runs scripts/checker-valid.sh to
# ask whether the checker works before `make C=2`, and skips the checker,
# with only a warning, when it cannot; Debian's headers packages (7.2) do
# not ship that script. Put a probe of our own in its place, asking what
# matters: the headers use __typeof_unqual__ under __CHECKER__, which an
# old sparse cannot parse.
sparse_probe()
{
	local top f
	# KDIR's Makefile includes the one of the -common package.
	top=$SHMDEV_SID_ROOT$(sed -n 's|^include \(/usr/src/[^ ]*\)/Makefile$|\1|p' "$1/Makefile")
	f="$top/scripts/checker-valid.sh"
	grep -q 'checker-valid.sh' "$top/Makefile" 2>/dev/null || return 0
	[ -e "$f" ] && return 0
	cat > "$f" <<'PROBE'
#!/bin/sh
# Written by shmdev's scripts/setup.sh: Debian's headers package lacks the
# script of this name that Kbuild runs. Prints 1 when the checker "$1",
# with the flags that follow, checks a function that uses
# __typeof_unqual__ without an error.
out=$(printf 'int shmdev_probe(void)\n{\n\tconst int a = 1;\n\t__typeof_unqual__(a) b = a;\n\n\treturn b;\n}\n' |
	"$@" - 2>&1) || exit 0
case $out in
*error*) ;;
*) echo 1 ;;
esac
PROBE
	chmod 755 "$f"
}

# fetch_sid_kernel NAME: a kernel of Debian unstable: its headers in the
# chroot, its image unpacked into the cache.
fetch_sid_kernel()
{
	local k=$1 meta_img meta_hdr img hdr ver env dir kdir vmlinuz d parts rel
	read -r meta_img meta_hdr < <(kernel_meta "$k")
	sid_ready
	img=$(candidate_depends "$meta_img" sid || true)
	hdr=$(candidate_depends "$meta_hdr" sid || true)
	ver=$(candidate_version "$img" sid || true)
	if [ -z "$img" ] || [ -z "$hdr" ] || [ -z "$ver" ]; then
		die "Debian unstable: cannot resolve $meta_img / $meta_hdr"
	fi
	# Both meta-packages move to a new release in one upload; a mirror
	# caught between two would have the module built for one kernel and
	# booted on another.
	if [ "${img#linux-image-}" != "${hdr#linux-headers-}" ]; then
		die "Debian unstable: $meta_img is at $img but $meta_hdr at $hdr: the archive is out of step, try again later"
	fi
	kdir="$SHMDEV_SID_ROOT/usr/src/$hdr"
	env="$SHMDEV_CACHE/kernels/$k.env"
	if [ -f "$env" ] && grep -qx "KPKGVER='$img=$ver'" "$env" &&
	   [ -f "$kdir/Makefile" ]; then
		sparse_probe "$kdir"
		return 0
	fi
	log "fetching kernel $k: $img $hdr ($ver)"
	sid apt-get install -y -qq --no-install-recommends "$hdr" >/dev/null ||
		die "Debian unstable: cannot install $hdr"
	[ -f "$kdir/Makefile" ] || die "Debian unstable: no $kdir/Makefile"
	sparse_probe "$kdir"
	dir="$SHMDEV_CACHE/kernels/$img-$ver"
	rm -rf "$dir" "$SHMDEV_SID_ROOT/tmp/shmdev-image"
	mkdir -p "$dir/root" "$SHMDEV_SID_ROOT/tmp/shmdev-image"
	# The image package may hold the kernel itself or, as 7.2's does,
	# depend on a linux-binary-RELEASE package that holds it.
	parts=$(sid apt-cache show --no-all-versions "$img" | sed -n 's/^Depends: //p' |
		tr ',|' '\n' | sed 's/^ *//; s/ .*//' | grep -E '^linux-binary-' || true)
	# shellcheck disable=SC2086 # $parts is a list of package names
	sid sh -c 'cd /tmp/shmdev-image && apt-get download -qq -o APT::Sandbox::User=root "$@"' \
		sh "$img" $parts >/dev/null || die "Debian unstable: cannot download $img $parts"
	for d in "$SHMDEV_SID_ROOT"/tmp/shmdev-image/*.deb; do
		dpkg -x "$d" "$dir/root" || die "Debian unstable: cannot unpack $d"
	done
	rm -rf "$SHMDEV_SID_ROOT/tmp/shmdev-image"
	# /boot/vmlinuz-RELEASE, or (7.2) /usr/lib/modules/RELEASE/vmlinuz.
	vmlinuz=$(find "$dir/root" -path '*/boot/vmlinuz-*' -o \
		-path '*/lib/modules/*/vmlinuz' | head -n1)
	[ -f "$vmlinuz" ] || die "Debian unstable: no kernel image in $img $parts"
	rel=${vmlinuz##*/vmlinuz-}
	[ "$rel" != "$vmlinuz" ] || rel=$(basename "$(dirname "$vmlinuz")")
	[ "linux-headers-$rel" = "$hdr" ] ||
		die "Debian unstable: $img holds kernel $rel, not that of $hdr"
	write_kernel_env "$k" "$img" "$ver" "$vmlinuz" "$kdir" "$rel" "$SHMDEV_SID_ROOT"
}

install_packages
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || read -r -a kernels <<< "$SHMDEV_KERNELS"
for k in "${kernels[@]}"; do
	case "$k" in
	unstable*)
		# One setup of the chroot at a time (make lint and make check
		# may run side by side).
		mkdir -p "$SHMDEV_CACHE"
		exec 9> "$SHMDEV_CACHE/sid.lock"
		flock 9
		fetch_sid_kernel "$k"
		;;
	*) fetch_kernel "$k" ;;
	esac
done
