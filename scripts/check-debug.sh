#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-debug`: the whole test suite, a longer stress run and a fuzz
# run on the debug kernel (KASAN, lockdep, DEBUG_VM, kmemleak, UBSAN;
# built once by scripts/debug-kernel.sh), then a kmemleak scan after the
# module is unloaded. Any kernel report fails the run. Ends with one line
# `N passed, M failed`.
#
# Then trinity, the kernel's syscall fuzzer, in a second debug-kernel VM, as
# an unprivileged user with /dev/shmdev as its only file (vm-trinity).
#
# SHMDEV_STRESS_SECONDS (default 60), SHMDEV_FUZZ_SECONDS (default 300) and
# SHMDEV_TRINITY_SECONDS (default 120) set the lengths.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

"$here/debug-kernel.sh" >/dev/null || die "cannot build the debug kernel"
SHMDEV_EXTRA_PACKAGES=trinity "$here/setup.sh" || die "setup failed"
make -s -C "$SHMDEV_TOP" userspace selftests selftests32 || die "build failed"

trinity=${SHMDEV_TRINITY_SECONDS:-120}
stress=${SHMDEV_STRESS_SECONDS:-60} fuzz=${SHMDEV_FUZZ_SECONDS:-300}
run_all=$(vm_suite "$stress" "$fuzz" "$SHMDEV_DEBUG_PROGRAM_TIMEOUT")

tap="$SHMDEV_BUILD/check-debug.tap"
passed=0 failed=0 skipped=0
"$here/vm-run" --kernel debug --mem 2G \
	--timeout $((SHMDEV_DEBUG_SUITE_TIMEOUT + 2 * stress + fuzz)) \
	-- sh -c "$run_all" | tee "$tap"
tap_count "$tap" "${PIPESTATUS[0]}" "debug kernel"

tap="$SHMDEV_BUILD/check-trinity.tap"
"$here/vm-run" --kernel debug --mem 2G --timeout $((trinity + 180)) \
	--add-bin trinity --add-bin "$here/vm-trinity" \
	-- sh -c 'echo 1..1; if vm-trinity '"$trinity"'; then echo "ok 1 trinity"; else echo "not ok 1 trinity"; exit 1; fi' |
	tee "$tap"
tap_count "$tap" "${PIPESTATUS[0]}" "trinity on the debug kernel"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
