#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make lint`: checkpatch.pl --strict, kernel-doc -Wall and sparse (C=2) over
# module/ and uapi/, on every kernel of the matrix, shellcheck over every
# shell script of the tree (scripts/, .ci/, the tests), and plain docutils
# (rst2html, and rst2man for the man pages) over every page under
# Documentation/, so that they render outside Sphinx (GitHub, man).
# Fails on any finding.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

"$here/setup.sh" || die "setup failed"
ksrc=$("$here/ksrc.sh") || die "cannot extract the kernel sources"
cd "$SHMDEV_TOP" || exit 1
shopt -s nullglob
srcs=(module/*.c module/*.h uapi/linux/shmdev.h)
bad=0

echo "checkpatch.pl --strict"
for f in "${srcs[@]}"; do
	ignore=FILE_PATH_CHANGES
	# The one place where kernel versions are told apart.
	[ "$f" = module/compat.h ] && ignore+=,LINUX_VERSION_CODE
	"$ksrc/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
		--ignore "$ignore" -f "$f" || bad=1
done

echo "kernel-doc -Wall"
out=$(perl "$ksrc/scripts/kernel-doc" -none -Wall "${srcs[@]}" 2>&1)
[ -z "$out" ] || { echo "$out"; bad=1; }

echo "shellcheck"
# Every file that starts with a shell's #! line, and lib.sh (sourced).
shells=(scripts/lib.sh)
while IFS= read -r f; do
	head -n1 "$f" | grep -qE '^#!.*/(ba|da)?sh( |$)|^#!/usr/bin/env (ba)?sh|busybox sh' &&
		shells+=("$f")
done < <(git ls-files scripts .ci tools userspace selftests)
shellcheck -x "${shells[@]}" || bad=1

echo "rst2html --halt=warning"
# Sphinx-only directives and roles (c:macro, :ref:, kernel-doc...) are
# errors for plain docutils, and GitHub drops what they hold.
while IFS= read -r f; do
	rst2html --halt=warning "$f" >/dev/null || { echo "  in $f"; bad=1; }
	case "$f" in
	Documentation/man/*)
		rst2man --halt=warning "$f" >/dev/null || { echo "  in $f"; bad=1; } ;;
	esac
done < <(find Documentation -name '*.rst' | sort)

echo "syzkaller description against the uapi header"
"$SHMDEV_TOP/tools/syzkaller/check-const.sh" || bad=1

for k in $SHMDEV_KERNELS; do
	echo "sparse on kernel $k"
	kernel_env "$k"
	# C=2 runs sparse over every file, rebuilt or not.
	out=$("$here/build-module.sh" "$KDIR" -s --no-print-directory \
		C=2 CHECK=sparse 2>&1 >/dev/null |
		{ grep -v '^Skipping BTF generation' || true; })
	status=$?
	if [ $status -ne 0 ] || [ -n "$out" ]; then
		echo "$out"
		bad=1
	fi
done

[ $bad -eq 0 ] && echo "lint: clean"
exit $bad
