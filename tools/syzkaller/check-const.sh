#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Checks that the ioctl numbers in dev_shmdev.txt.const are those of
# uapi/linux/shmdev.h (run by `make lint`).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

names=$(sed -n 's/^\(SHMDEV_IOC_[A-Z_]*\) = .*/\1/p' "$here/dev_shmdev.txt.const")
{
	echo '#include <stdio.h>'
	echo '#include <linux/shmdev.h>'
	echo 'int main(void) {'
	for n in $names; do
		printf 'printf("%s = %%u\\n", (unsigned int)%s);\n' "$n" "$n"
	done
	echo 'return 0; }'
} > "$tmp/c.c"
cc -I"$top/uapi" -o "$tmp/c" "$tmp/c.c"
"$tmp/c" > "$tmp/want"
grep '^SHMDEV_IOC_' "$here/dev_shmdev.txt.const" > "$tmp/have"
if ! diff -u "$tmp/want" "$tmp/have"; then
	echo "dev_shmdev.txt.const disagrees with uapi/linux/shmdev.h" >&2
	exit 1
fi
# Every ioctl of the uapi header is described.
sed -n 's/^#define \(SHMDEV_IOC_[A-Z_]*\)[[:space:]]*_IO.*/\1/p' "$top/uapi/linux/shmdev.h" |
while IFS= read -r n; do
	grep -q "^ioctl\\\$$n(" "$here/dev_shmdev.txt" ||
		{ echo "dev_shmdev.txt lacks $n" >&2; exit 1; }
done || exit 1
