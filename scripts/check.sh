#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: installs what is missing, builds the module for every kernel
# of the matrix, builds the selftests, runs them in a VM on each kernel and
# prints their TAP output, then one line `N passed, M failed` summed over
# all kernels. A VM run that fails by itself (kernel report, module load or
# unload failure, timeout) counts as one more failure.
#
# SHMDEV_KERNELS="6.12" make check   narrows the matrix.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

"$here/setup.sh" || die "setup failed"
make -s -C "$SHMDEV_TOP" userspace selftests || die "build failed"

# Runs every selftest program; each prints its own TAP stream.
run_all='rc=0
for t in /opt/shmdev/selftests/*; do
	echo "# selftest: ${t##*/}"
	"$t" || rc=1
done
exit $rc'

passed=0 failed=0 skipped=0
for k in $SHMDEV_KERNELS; do
	echo "# kernel: $k"
	tap="$SHMDEV_BUILD/check-$k.tap"
	"$here/vm-run" --kernel "$k" -- sh -c "$run_all" | tee "$tap"
	vm=${PIPESTATUS[0]}
	p=$(grep -cE '^ok [0-9]+ ' "$tap" | head -n1)
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$tap" | head -n1)
	f=$(grep -cE '^not ok [0-9]+ ' "$tap" | head -n1)
	p=$((p - s))
	if [ "$vm" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - kernel $k: the VM run failed (status $vm)"
		f=1
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		echo "not ok - kernel $k: no test ran"
		f=1
	fi
	echo "# kernel $k: $p passed, $f failed, $s skipped"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
