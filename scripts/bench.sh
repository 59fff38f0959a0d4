#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: one VM (Debian's 6.12 kernel, or SHMDEV_BENCH_KERNEL; 2
# vCPUs, 3 GiB, the module loaded with max_size=1 GiB) runs fault_bench,
# notify_bench and ring_bench (when it is built: it needs libshmdev's
# ring); scripts/bench-report.py turns their output into
# build/bench/ (raw.txt, table.txt, samples.json, results.rst, PNG plots)
# and copies the table, results.rst and the plots into the performance
# page's folder, Documentation/userspace-api/shmdev-performance/.
# Timings under emulation are noisy: compare the ratios within one run.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

kernel=${SHMDEV_BENCH_KERNEL:-6.12}
cpus=2
mem=3G
params=max_size=1073741824
out="$SHMDEV_BUILD/bench"
doc="Documentation/userspace-api/shmdev-performance"
raw="$out/raw.txt"

SHMDEV_EXTRA_PACKAGES=gnuplot-nox "$here/setup.sh" "$kernel"
mkdir -p "$out"

# Where the figures come from. Changes to the page's generated files do
# not make the tree count as modified: the run rewrites them.
git=(git -C "$SHMDEV_TOP")
commit=$("${git[@]}" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
subject=$("${git[@]}" log -1 --format=%s 2>/dev/null || echo unknown)
dirty=0
"${git[@]}" diff --quiet HEAD -- . ":(exclude)$doc" 2>/dev/null || dirty=1
qemu=$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version \([^ ]*\).*/QEMU \1/p')
case ${SHMDEV_ACCEL:-tcg} in
tcg)	accel="TCG (software emulation)" ;;
*)	accel=${SHMDEV_ACCEL} ;;
esac
host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)

{
	echo "@meta date $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "@meta commit $commit"
	echo "@meta subject $subject"
	echo "@meta dirty $dirty"
	echo "@meta kernel_name $kernel"
	echo "@meta vm_cpus $cpus"
	echo "@meta vm_mem $mem"
	echo "@meta params $params"
	echo "@meta qemu $qemu"
	echo "@meta accel $accel"
	echo "@meta host_cpu ${host_cpu:-unknown}, $(nproc) CPUs"
} > "$raw"
if [ "$dirty" = 1 ]; then
	log "warning: uncommitted changes; the results will say so"
fi

echo "# kernel $kernel, $cpus vCPUs, $mem, $params, commit $commit"
start=$SECONDS
"$here/vm-run" --kernel "$kernel" --cpus "$cpus" --mem "$mem" --timeout 3600 \
	--params "$params" -- sh -c 'fault_bench -x -M 1024 && notify_bench &&
		if command -v ring_bench >/dev/null; then ring_bench;
		else echo "# ring_bench: not built; no ring figures"; fi' |
	tee -a "$raw" | grep -v '^@'
echo "@meta duration_s $((SECONDS - start))" >> "$raw"
echo
"$here/bench-report.py" "$raw" "$out" --doc "$SHMDEV_TOP/$doc"
