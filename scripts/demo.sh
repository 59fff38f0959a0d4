#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: boots a test VM with the module loaded, opens /dev/shmdev to
# every user, starts shmdev-reader as uid 1000 (it creates the named region
# "demo"), runs shmdev-writer as uid 1000 with a few lines, and shows what
# the reader printed and `shmdevctl list` before, during and after.
# SHMDEV_DEMO_KERNEL picks the kernel (default 6.12).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

kernel=${SHMDEV_DEMO_KERNEL:-6.12}
"$here/setup.sh" "$kernel"

# shellcheck disable=SC2016 # a script for the VM's shell, expanded there
script='
say() { printf "\n== %s\n" "$*"; }
say "/dev/shmdev open to every user; the pair runs as uid 1000 (as_user)"
chmod 0666 /dev/shmdev
ls -l /dev/shmdev | sed "s/^/  /"
say "the regions before (shmdevctl list)"
shmdevctl list | sed "s/^/  /"
say "shmdev-reader starts: it creates the region \"demo\" and waits in SHMDEV_IOC_WAIT"
as_user 1000 shmdev-reader --timeout 30s >/tmp/reader.out 2>/tmp/reader.err &
reader=$!
i=0
while ! awk "\$2 == \"demo\" { f = 1 } END { exit !f }" /proc/shmdev/regions && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
shmdevctl list | sed "s/^/  /"
say "the region demo (shmdevctl info --name demo)"
shmdevctl info --name demo | sed "s/^/  /"
say "shmdev-writer sends four lines"
for l in "Hello from the writer." \
	"Both processes map the same pages of the region demo." \
	"Each message is a NOTIFY; the reader sleeps in between." \
	"Bye!"; do
	echo "  writer| $l"
done
as_user 1000 shmdev-writer "Hello from the writer." \
	"Both processes map the same pages of the region demo." \
	"Each message is a NOTIFY; the reader sleeps in between." \
	"Bye!" 2>&1 | sed "s/^/  /"
wait $reader
status=$?
say "what the reader printed"
sed "s/^/  reader| /" /tmp/reader.out
sed "s/^/  /" /tmp/reader.err
say "the regions after: demo went with the pair (it was created with autoremove)"
shmdevctl list | sed "s/^/  /"
printf "Hello from the writer.\nBoth processes map the same pages of the region demo.\nEach message is a NOTIFY; the reader sleeps in between.\nBye!\n" >/tmp/want
if [ $status -eq 0 ] && cmp -s /tmp/want /tmp/reader.out &&
	! awk "\$2 == \"demo\" { f = 1 } END { exit !f }" /proc/shmdev/regions; then
	say "OK: the reader received exactly the writer'"'"'s lines"
else
	say "FAILED: the reader did not receive the writer'"'"'s lines, or demo is still listed"
	exit 1
fi
'
echo "Booting Linux $kernel in QEMU with shmdev.ko loaded..."
exec "$here/vm-run" --kernel "$kernel" -- sh -c "$script"
