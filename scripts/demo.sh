#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: boots a test VM with the module loaded, starts shmdev-reader,
# runs shmdev-writer with a few lines, and shows what the reader printed
# and `shmdevctl info` before and after. SHMDEV_DEMO_KERNEL picks the
# kernel (default 6.12).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

kernel=${SHMDEV_DEMO_KERNEL:-6.12}
"$here/setup.sh" "$kernel"

# shellcheck disable=SC2016 # a script for the VM's shell, expanded there
script='
say() { printf "\n== %s\n" "$*"; }
say "the region before (shmdevctl info)"
shmdevctl info
say "shmdev-reader starts and waits in SHMDEV_IOC_WAIT"
shmdev-reader --timeout 30s >/tmp/reader.out 2>/tmp/reader.err &
reader=$!
sleep 0.5
say "shmdev-writer sends four lines"
for l in "Hello from the writer." \
	"Both processes map the same pages of /dev/shmdev." \
	"Each message is a NOTIFY; the reader sleeps in between." \
	"Bye!"; do
	echo "  writer| $l"
done
shmdev-writer "Hello from the writer." \
	"Both processes map the same pages of /dev/shmdev." \
	"Each message is a NOTIFY; the reader sleeps in between." \
	"Bye!" 2>&1 | sed "s/^/  /"
wait $reader
status=$?
say "what the reader printed"
sed "s/^/  reader| /" /tmp/reader.out
sed "s/^/  /" /tmp/reader.err
say "the region after (shmdevctl info)"
shmdevctl info
printf "Hello from the writer.\nBoth processes map the same pages of /dev/shmdev.\nEach message is a NOTIFY; the reader sleeps in between.\nBye!\n" >/tmp/want
if [ $status -eq 0 ] && cmp -s /tmp/want /tmp/reader.out; then
	say "OK: the reader received exactly the writer'"'"'s lines"
else
	say "FAILED: the reader did not receive the writer'"'"'s lines"
	exit 1
fi
'
echo "Booting Linux $kernel in QEMU with shmdev.ko loaded..."
exec "$here/vm-run" --kernel "$kernel" -- sh -c "$script"
