#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: runs the benchmarks of userspace/ in a VM on every kernel
# of the matrix. Timings under emulation are noisy: compare the ratios
# printed within one run, not absolute numbers across runs.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

"$here/setup.sh"
for k in $SHMDEV_KERNELS; do
	echo "# kernel: $k"
	"$here/vm-run" --kernel "$k" -- sh -c "fault_bench && notify_bench"
done
