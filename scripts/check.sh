#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: installs what is missing, builds the module for every kernel
# of the matrix, the userspace programs and the selftests; runs the
# library's unit tests here, then in a VM on each kernel the selftests and
# the userspace integration tests, printing their TAP output; ends with one
# line `N passed, M failed` summed over everything. After each kernel's
# suite, a VM with two NUMA nodes runs the one test that needs them
# (mmap_test's pread_during_migration). Then, on each kernel,
# the commands of the guided tour (Documentation/mm/shmdev-tour.rst)
# against the outputs it quotes. Last, the harness's own self-test
# (scripts/harness-selftest.sh) plants defects in a copy of the module and
# of the tests and requires each to be reported as a failure. A VM run that
# fails by itself (kernel report, taint, crashed process, module load or
# unload failure, timeout) counts as one more failure; results are counted
# by scripts/tap-count (plans, exit statuses, skips with reasons).
#
# Time: each VM run has a timeout in proportion to its work (see
# Documentation/dev-tools/shmdev-testing.rst, "Time"), so that a hung one
# fails fast with the tail of its console log.
#
# Kernels: Debian 12's 6.1, 6.12 and 6.12-rt, and the newest kernel of
# Debian unstable and its PREEMPT_RT flavour ("unstable", "unstable-rt"),
# whose version the archive tells at each run (scripts/setup.sh). Before
# the total, one line per kernel: "kernel RELEASE: N passed, M failed".
# A kernel that cannot be fetched, or whose build cannot be set up, is a
# failure of that kernel, with the reason; the others still run.
#
# SHMDEV_KERNELS="6.12" make check   narrows the matrix;
# SHMDEV_HARNESS_SELFTEST=0          leaves the harness self-test out.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

# The packages first; each kernel is fetched (and Debian unstable's chroot
# refreshed) below, so that one that cannot be had fails alone.
SHMDEV_KERNELS=" " "$here/setup.sh" || die "setup failed"
make -s -C "$SHMDEV_TOP" userspace selftests selftests32 || die "build failed"

passed=0 failed=0 skipped=0
declare -A krel kpassed kfailed

echo "# host: library unit tests"
tap="$SHMDEV_BUILD/check-host.tap"
make -s -C "$SHMDEV_TOP" userspace-test 2>&1 | tee "$tap"
tap_count "$tap" "${PIPESTATUS[0]}" "host"

stress=${SHMDEV_STRESS_SECONDS:-10} fuzz=${SHMDEV_FUZZ_SECONDS:-10}
run_all=$(vm_suite "$stress" "$fuzz" "$SHMDEV_PROGRAM_TIMEOUT")

ready=
for k in $SHMDEV_KERNELS; do
	echo "# kernel: $k"
	p0=$passed f0=$failed
	if ! "$here/setup.sh" "$k"; then
		echo "not ok - kernel $k: cannot fetch it or set up its build (messages above)"
		failed=$((failed + 1))
		krel[$k]=$k kpassed[$k]=0 kfailed[$k]=1
		continue
	fi
	ready+=" $k"
	krel[$k]=$(sed -n "s/^KREL='\(.*\)'\$/\1/p" "$SHMDEV_CACHE/kernels/$k.env")
	tap="$SHMDEV_BUILD/check-$k.tap"
	# stress_test runs twice, as a 64-bit and as a 32-bit program.
	"$here/vm-run" --kernel "$k" --timeout $((SHMDEV_SUITE_TIMEOUT + 2 * stress + fuzz)) \
		-- sh -c "$run_all" | tee "$tap"
	tap_count "$tap" "${PIPESTATUS[0]}" "kernel $k"

	# The suite's VM has one NUMA node; read() against pages that
	# migrate between two (mmap_test's pread_during_migration) needs a
	# VM of its own.
	echo "# kernel: $k, two NUMA nodes"
	tap="$SHMDEV_BUILD/check-numa-$k.tap"
	"$here/vm-run" --kernel "$k" --numa 2 --timeout "$SHMDEV_NUMA_TIMEOUT" -- sh -c '
		echo "# suite-begin: mmap_test (NUMA)"
		mmap_test -r map.pread_during_migration
		echo "# suite-end: mmap_test (NUMA) $?"' | tee "$tap"
	tap_count "$tap" "${PIPESTATUS[0]}" "kernel $k, NUMA"
	kpassed[$k]=$((passed - p0)) kfailed[$k]=$((failed - f0))
done

# The guided tour, in a fresh VM per kernel: every command it quotes must
# print what it says (scripts/tour.py).
tour="$SHMDEV_TOP/Documentation/mm/shmdev-tour.rst"
python3 "$here/tour.py" script "$tour" > "$SHMDEV_BUILD/tour.sh" || die "cannot read the tour"
for k in $ready; do
	echo "# kernel: $k, the guided tour"
	p0=$passed f0=$failed
	out="$SHMDEV_BUILD/tour-$k.out"
	"$here/vm-run" --kernel "$k" --timeout "$SHMDEV_TOUR_TIMEOUT" \
		--add "$SHMDEV_BUILD/tour.sh" -- sh tour.sh > "$out"
	status=$?
	tap="$SHMDEV_BUILD/check-tour-$k.tap"
	if ! python3 "$here/tour.py" check "$tour" "$out" > "$tap" && [ "$status" -eq 0 ]; then
		status=1
	fi
	cat "$tap"
	tap_count "$tap" "$status" "tour on $k"
	kpassed[$k]=$((kpassed[$k] + passed - p0)) kfailed[$k]=$((kfailed[$k] + failed - f0))
done

if [ "${SHMDEV_HARNESS_SELFTEST:-1}" != 0 ]; then
	echo "# the harness's self-test: planted defects must fail"
	tap="$SHMDEV_BUILD/check-harness.tap"
	"$here/harness-selftest.sh" | tee "$tap"
	tap_count "$tap" "${PIPESTATUS[0]}" "harness self-test"
fi

# One line per kernel (its suite and its tour), then the sum of everything.
for k in $SHMDEV_KERNELS; do
	echo "kernel ${krel[$k]}: ${kpassed[$k]} passed, ${kfailed[$k]} failed"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
