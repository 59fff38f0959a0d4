#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: one VM run of every benchmark, side by side, then a table of
# medians and ratios, a JSON file of every raw sample and PNG plots in
# build/bench/. SHMDEV_BENCH_KERNEL picks the kernel (default 6.12).
# Timings under emulation are noisy: compare the ratios within one run.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

kernel=${SHMDEV_BENCH_KERNEL:-6.12}
out="$SHMDEV_BUILD/bench"
SHMDEV_EXTRA_PACKAGES=gnuplot-nox "$here/setup.sh" "$kernel"
mkdir -p "$out"

echo "# kernel $kernel, 2 vCPUs, 3 GiB, max_size=1 GiB"
"$here/vm-run" --kernel "$kernel" --mem 3G --params max_size=1073741824 \
	-- sh -c 'fault_bench -x -M 1024 && notify_bench' | tee "$out/raw.txt" | grep -v '^@sample'
echo
"$here/bench-report.py" "$out/raw.txt" "$out"
