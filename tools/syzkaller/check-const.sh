#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Checks that the constants in dev_shmdev.txt.const (the ioctl numbers,
# flags and sizes) are those of uapi/linux/shmdev.h, that every constant
# and system call dev_shmdev.txt uses has a line there, and that every
# ioctl of the header is described (run by `make lint`).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
txt=$here/dev_shmdev.txt
const=$here/dev_shmdev.txt.const
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

names=$(sed -n 's/^\(SHMDEV_[A-Z_]*\) = .*/\1/p' "$const")
{
	echo '#include <stdio.h>'
	echo '#include <linux/shmdev.h>'
	echo 'int main(void) {'
	for n in $names; do
		printf 'printf("%s = %%llu\\n", (unsigned long long)%s);\n' "$n" "$n"
	done
	echo 'return 0; }'
} > "$tmp/c.c"
cc -I"$top/uapi" -o "$tmp/c" "$tmp/c.c"
"$tmp/c" > "$tmp/want"
grep '^SHMDEV_' "$const" > "$tmp/have"
if ! diff -u "$tmp/want" "$tmp/have"; then
	echo "dev_shmdev.txt.const disagrees with uapi/linux/shmdev.h" >&2
	exit 1
fi
# Every ioctl of the uapi header is described.
sed -n 's/^#define \(SHMDEV_IOC_[A-Z_]*\)[[:space:]]*_IO.*/\1/p' "$top/uapi/linux/shmdev.h" |
while IFS= read -r n; do
	grep -q "^ioctl\\\$$n(" "$txt" ||
		{ echo "dev_shmdev.txt lacks $n" >&2; exit 1; }
done || exit 1
# Every constant the description names, and every system call it
# describes, has its value in the .const file (syz-sysgen needs them).
{
	grep -v '^#' "$txt" | grep -o '\bSHMDEV_[A-Z_]*\b' | sort -u
	sed -n 's/^\([a-z0-9_]*\)\$[A-Za-z0-9_]*(.*/__NR_\1/p' "$txt" | sort -u
} |
while IFS= read -r n; do
	grep -q "^$n = " "$const" ||
		{ echo "dev_shmdev.txt.const lacks $n" >&2; exit 1; }
done || exit 1
