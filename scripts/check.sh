#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: installs what is missing, builds the module for every kernel
# of the matrix, the userspace programs and the selftests; runs the
# library's unit tests here, then in a VM on each kernel the selftests and
# the userspace integration tests, printing their TAP output; ends with one
# line `N passed, M failed` summed over everything. A VM run that fails by
# itself (kernel report, module load or unload failure, timeout) counts as
# one more failure.
#
# SHMDEV_KERNELS="6.12" make check   narrows the matrix.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

"$here/setup.sh" || die "setup failed"
make -s -C "$SHMDEV_TOP" userspace selftests || die "build failed"

passed=0 failed=0 skipped=0

echo "# host: library unit tests"
tap="$SHMDEV_BUILD/check-host.tap"
make -s -C "$SHMDEV_TOP" userspace-test 2>&1 | tee "$tap"
tap_count "$tap" "${PIPESTATUS[0]}" "host"

run_all=$(vm_suite "${SHMDEV_STRESS_SECONDS:-10}" "${SHMDEV_FUZZ_SECONDS:-10}")

for k in $SHMDEV_KERNELS; do
	echo "# kernel: $k"
	tap="$SHMDEV_BUILD/check-$k.tap"
	"$here/vm-run" --kernel "$k" -- sh -c "$run_all" | tee "$tap"
	tap_count "$tap" "${PIPESTATUS[0]}" "kernel $k"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
