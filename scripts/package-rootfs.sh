#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian 12 system `make check-package` boots: a root file system built
# with mmdebstrap from Debian's packages (minbase, no recommends, plus
# systemd, udev, DKMS, a compiler, sudo and the kernels of
# $SHMDEV_PACKAGE_KERNELS with their headers, so that initramfs-tools makes
# real initrds), written into an ext4 image, with each kernel and initrd
# copied out of its /boot for QEMU's -kernel and -initrd.
#
# Users: alice (sudo without a password, not in group shmdev) and bob (no
# sudo). A systemd unit, shmdev-package-test.service, mounts the 9p share
# "shmdev" at /mnt/shmdev at boot and runs /mnt/shmdev/run from it, so that
# the tests change without a rebuild.
#
# Cached in $SHMDEV_CACHE/package-rootfs/HASH/, HASH being that of this
# script (the package list and the system's set-up are all in it): it is
# rebuilt only when this file changes. Older builds are removed once the
# new one is complete.
#
# Usage: scripts/package-rootfs.sh
# Prints the cache folder: rootfs.img, vmlinuz-REL, initrd.img-REL,
# kernels (lines "NAME RELEASE", NAME as in scripts/lib.sh's kernel_meta)
# and build.log (mmdebstrap's output).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

# Kernels installed in the image: both, whatever a run selects. zstd is
# initramfs-tools' compressor (recommended by it, so on any real system).
kernels=(6.1 6.12)
packages=(systemd-sysv udev kmod initramfs-tools zstd e2fsprogs dkms gcc make
	  libc6-dev sudo pkg-config adduser passwd util-linux procps)
kernel_packages=()
for k in "${kernels[@]}"; do
	read -r img hdr < <(kernel_meta "$k")
	kernel_packages+=("$img" "$hdr")
done
mirror=${SHMDEV_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${SHMDEV_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
# The image's size; the tests' writes go to QEMU's -snapshot file.
size=4G

# customize ROOT: the system's set-up, run by mmdebstrap in the new tree.
customize()
{
	local r=$1
	# Before the initrds are made: fsck of the root goes into them.
	echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' > "$r/etc/fstab"
	# The kernels come after the rest, so that initramfs-tools makes each
	# initrd once (installed with the rest, the newest is made twice).
	chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${kernel_packages[@]}" ||
		die "cannot install the kernels"
	chroot "$r" apt-get clean
	echo shmdev-pkgtest > "$r/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tshmdev-pkgtest\n' > "$r/etc/hosts"
	chroot "$r" useradd -m -s /bin/bash alice
	chroot "$r" useradd -m -s /bin/bash bob
	echo 'alice ALL=(ALL:ALL) NOPASSWD: ALL' > "$r/etc/sudoers.d/alice"
	chmod 440 "$r/etc/sudoers.d/alice"
	# Nothing that runs by itself in the background during a test.
	chroot "$r" systemctl mask apt-daily.timer apt-daily-upgrade.timer \
		e2scrub_all.timer e2scrub_reap.service fstrim.timer >/dev/null 2>&1 || true
	cat > "$r/etc/systemd/system/shmdev-package-test.service" <<'UNIT'
[Unit]
Description=shmdev package test (scripts/check-package.sh)
After=systemd-modules-load.service systemd-udevd.service local-fs.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'mkdir -p /mnt/shmdev && mount -t 9p -o trans=virtio,version=9p2000.L,ro shmdev /mnt/shmdev && exec /mnt/shmdev/run || { echo "SHMDEV-PKG-ERROR=no-share" > /dev/ttyS1; systemctl --no-block start poweroff.target; }'
TimeoutStartSec=infinity
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
UNIT
	chroot "$r" systemctl enable shmdev-package-test.service >/dev/null 2>&1
	# The package lists refer to the network, which the VM has not.
	rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin
}

if [ "${1:-}" = --customize ]; then
	customize "$2"
	exit 0
fi

hash=$(sha256sum "$0" | cut -c1-16)
base="$SHMDEV_CACHE/package-rootfs"
dir="$base/$hash"
if [ -f "$dir/done" ]; then
	echo "$dir"
	exit 0
fi
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing: run scripts/setup.sh"
log "building the Debian 12 root file system for make check-package ($hash)"
t0=$(date +%s)
# A build that stopped midway may have left its mounts (mmdebstrap's
# /proc, /sys, /dev): never remove across them.
if grep -q "^$dir/" <<< "$(findmnt -rn -o TARGET)"; then
	die "file systems are still mounted under $dir"
fi
rm -rf --one-file-system "$dir"
mkdir -p "$dir"
tree="$dir/tree"
# initramfs-tools keeps its default, MODULES=most, as on a real machine.
# dpkg runs under eatmydata (mmdebstrap's hook; customize() runs before
# the hook removes it): no fsync for every file it writes.
mmdebstrap --quiet --variant=minbase --components=main \
	--aptopt='APT::Install-Recommends "false"' \
	--include="$(IFS=,; echo "${packages[*]}")" \
	--customize-hook="\"$here/package-rootfs.sh\" --customize \"\$1\"" \
	--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
	bookworm "$tree" \
	"deb $mirror bookworm main" \
	"deb $mirror bookworm-updates main" \
	"deb $security bookworm-security main" > "$dir/build.log" 2>&1 || {
	tail -n 30 "$dir/build.log" >&2
	die "mmdebstrap failed (log: $dir/build.log)"
}
: > "$dir/kernels"
for k in "${kernels[@]}"; do
	read -r img _ < <(kernel_meta "$k")
	# The meta-package depends on linux-image-REL.
	# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
	rel=$(chroot "$tree" dpkg-query -W -f='${Depends}' "$img" |
		tr ',' '\n' | sed -n 's/^ *linux-image-\([^ ]*\).*/\1/p' | head -n1)
	if [ ! -f "$tree/boot/vmlinuz-$rel" ] || [ ! -f "$tree/boot/initrd.img-$rel" ]; then
		die "no kernel or initrd for $img ($rel) in the image"
	fi
	cp "$tree/boot/vmlinuz-$rel" "$tree/boot/initrd.img-$rel" "$dir/"
	echo "$k $rel" >> "$dir/kernels"
done
mke2fs -q -t ext4 -L shmdev-root -d "$tree" "$dir/rootfs.img" "$size" >&2 ||
	die "mke2fs failed"
rm -rf --one-file-system "$tree"
secs=$(( $(date +%s) - t0 ))
echo "$secs" > "$dir/done"
# Older builds are not needed any more.
for d in "$base"/*; do
	[ "$d" = "$dir" ] || rm -rf --one-file-system "$d"
done
log "root file system built in $secs s: $dir"
echo "$dir"
