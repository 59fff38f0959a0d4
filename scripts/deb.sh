#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make deb`: the Debian packages shmdev-dkms, libshmdev0, libshmdev-dev
# and shmdev-tools, built by dpkg-buildpackage (source and binaries) from
# a copy of the tree, so that the tree itself stays clean, then checked
# by lintian, which must report no error.
#
# The copy holds the files git tracks plus new ones it does not ignore
# (all files but build/ outside a git checkout). The upstream tarball,
# shmdev_0.1.0.orig.tar.xz, is that copy less debian/.
#
# Writes to build/deb/: the four .deb files, the source package (.dsc and
# tarballs), the .changes and .buildinfo files, build.log, and
# lintian.txt (lintian's report, informational tags included).
# DEB_BUILD_OPTIONS is passed on (nocheck skips the library's tests).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

# The build dependencies (debian/control) and the tools that run them.
# No kernel is needed: DKMS builds the module where it is installed.
# Installed here when missing and run as root; otherwise named.
build_deps="debhelper dh-dkms python3-docutils dpkg-dev fakeroot lintian"
missing=
for p in $build_deps; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" -eq 0 ] || die "missing build dependencies: sudo apt install$missing"
	SHMDEV_ONLY_PACKAGES="$build_deps" "$here/setup.sh" || die "setup failed"
fi

top=$SHMDEV_TOP
out=$SHMDEV_BUILD/deb
cd "$top"
name=$(dpkg-parsechangelog -S Source)
version=$(dpkg-parsechangelog -S Version)
upstream=${version%-*}
# Dates in the tarball: the changelog's, as dpkg-buildpackage uses.
epoch=$(dpkg-parsechangelog -S Timestamp)

rm -rf "$out"
work=$out/work
src=$work/$name-$upstream
mkdir -p "$src"

log "copying the tree to $src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			# Deleted but not yet committed: not part of the tree.
			[ -e "$f" ] && printf '%s\0' "$f"
		done |
		tar --null -T - -cf - | tar -C "$src" -xf -
else
	tar --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf -
fi

tar -C "$work" --exclude="$name-$upstream/debian" --sort=name \
	--mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
	-cJf "$work/${name}_$upstream.orig.tar.xz" "$name-$upstream"

log "dpkg-buildpackage (log in $out/build.log)"
# The debugging symbols packages are left out: `apt install
# build/deb/*.deb` installs exactly the four packages.
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }noautodbgsym"
if ! (cd "$src" && dpkg-buildpackage -us -uc) > "$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	die "dpkg-buildpackage failed (full log: $out/build.log)"
fi

changes=${name}_${version}_$(dpkg-architecture -q DEB_HOST_ARCH).changes
# The files the .changes lists (the packages, the source, .buildinfo),
# and the .changes itself, beside the logs.
mv "$work/$changes" "$out/"
sed -n '/^Files:/,/^[^ ]/s/^ [0-9a-f]\{32\} [0-9]* [^ ]* [^ ]* //p' "$out/$changes" |
	while IFS= read -r f; do
		mv "$work/$f" "$out/"
	done
rm -rf "$work"

log "lintian"
status=0
(cd "$out" && lintian --display-info --fail-on error "$changes") \
	> "$out/lintian.txt" || status=$?
cat "$out/lintian.txt"
[ "$status" -eq 0 ] || die "lintian found errors (see $out/lintian.txt)"
ls "$out"/*.deb
