# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers shared by the scripts in this folder; sourced, not run.

SHMDEV_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHMDEV_BUILD=${SHMDEV_BUILD:-$SHMDEV_TOP/build}
SHMDEV_CACHE=${SHMDEV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shmdev}
# The kernels `make check` and `make lint` test on (scripts/lib.sh's
# kernel_meta names them).
SHMDEV_KERNELS=${SHMDEV_KERNELS:-"6.1 6.12 6.12-rt unstable unstable-rt"}

# Time limits, in seconds, each several times what the work takes on a
# loaded 2-core machine under software emulation (measured figures in
# Documentation/dev-tools/shmdev-testing.rst, "Time"): one test program in
# the VM; a suite's VM run on one of Debian's kernels, to which the stress
# and fuzz lengths are added; a tour run; the run with two NUMA nodes (one
# test of 5 s); one planted defect's run of the harness self-test; the
# same on the debug kernel.
# A program's limit is above its longest test's own (ping_pong's and
# survives_compaction's 300 s), so that the harness names a hung test.
SHMDEV_PROGRAM_TIMEOUT=${SHMDEV_PROGRAM_TIMEOUT:-330}
SHMDEV_SUITE_TIMEOUT=${SHMDEV_SUITE_TIMEOUT:-270}
SHMDEV_TOUR_TIMEOUT=${SHMDEV_TOUR_TIMEOUT:-60}
SHMDEV_NUMA_TIMEOUT=${SHMDEV_NUMA_TIMEOUT:-120}
SHMDEV_PLANT_TIMEOUT=${SHMDEV_PLANT_TIMEOUT:-120}
SHMDEV_DEBUG_PROGRAM_TIMEOUT=${SHMDEV_DEBUG_PROGRAM_TIMEOUT:-330}
SHMDEV_DEBUG_SUITE_TIMEOUT=${SHMDEV_DEBUG_SUITE_TIMEOUT:-640}

log()
{
	echo "shmdev: $*" >&2
}

die()
{
	log "error: $*"
	exit 1
}

# kernel_meta NAME: Debian's image and headers meta-packages for NAME.
# "unstable" and "unstable-rt" are the newest kernels of Debian's
# development distribution, whose version the archive tells at each
# refresh (scripts/setup.sh builds them in a chroot of that distribution).
kernel_meta()
{
	case "$1" in
	6.1)	echo linux-image-amd64 linux-headers-amd64 ;;
	6.12)	echo linux-image-6.12-amd64 linux-headers-6.12-amd64 ;;
	6.12-rt) echo linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64 ;;
	unstable) echo linux-image-amd64 linux-headers-amd64 ;;
	unstable-rt) echo linux-image-rt-amd64 linux-headers-rt-amd64 ;;
	*)	die "unknown kernel '$1' (known: 6.1 6.12 6.12-rt unstable unstable-rt)" ;;
	esac
}

# The chroot of Debian's development distribution (sid) in which the
# module is built for the "unstable" kernels, with that distribution's
# compiler; scripts/setup.sh makes and refreshes it.
# shellcheck disable=SC2034 # used by the scripts that source this one
SHMDEV_SID_ROOT=$SHMDEV_CACHE/sid/root

# kernel_env NAME: loads KIMAGE, KDIR, KREL and KCHROOT of kernel NAME
# (after setup); "debug" is the debug kernel that scripts/debug-kernel.sh
# builds. KCHROOT, exported, is the root of the chroot in which the module
# is built for that kernel (scripts/build-module.sh), or empty: the host.
kernel_env()
{
	local env="$SHMDEV_CACHE/kernels/$1.env"
	if [ "$1" = debug ]; then
		"$SHMDEV_TOP/scripts/debug-kernel.sh" >/dev/null
	else
		kernel_meta "$1" >/dev/null
		[ -f "$env" ] || "$SHMDEV_TOP/scripts/setup.sh" "$1" ||
			die "cannot set up kernel $1"
	fi
	KCHROOT=
	# shellcheck disable=SC1090
	. "$env"
	export KCHROOT
}

# tap_count FILE STATUS WHAT: adds the results in FILE to the totals
# $passed, $failed and $skipped, strictly (scripts/tap-count: plans, exit
# statuses, skips with reasons); a non-zero STATUS (the run's) is one more
# failure.
tap_count()
{
	local tap=$1 status=$2 what=$3 line re
	"$SHMDEV_TOP/scripts/tap-count" "$tap" "$what" "$status" > "$tap.count"
	cat "$tap.count"
	# Its last line has the totals; anything else is one more failure.
	line=$(tail -n1 "$tap.count")
	re=': ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$'
	if [[ $line =~ $re ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		skipped=$((skipped + BASH_REMATCH[3]))
	else
		echo "not ok - $what: could not count the results"
		failed=$((failed + 1))
	fi
}

# vm_suite STRESS_SECONDS FUZZ_SECONDS PROGRAM_TIMEOUT [PROGRAM...]: the
# shell script the VM runs for `make check` and `make check-debug`: every
# selftest program (64-bit, then 32-bit where the kernel runs them), the
# userspace integration tests, then a seeded run of shmdev-fuzz, each
# between "# suite-begin: NAME" and "# suite-end: NAME STATUS" lines that
# scripts/tap-count reads. Each program is killed after PROGRAM_TIMEOUT
# seconds (plus its own length for the stress and fuzz runs), so that one
# that hangs fails alone and fast. PROGRAM... narrows the suite to the
# programs of those names.
vm_suite()
{
	local only="${*:4}"
	cat <<SUITE
rc=0
export SHMDEV_STRESS_SECONDS=$1
only="$only"
run()
{
	name=\$1 secs=\$2
	shift 2
	if [ -n "\$only" ]; then
		case " \$only " in
		*" \${name##*/} "*) ;;
		*) return 0 ;;
		esac
	fi
	echo "# suite-begin: \$name"
	t0=\$(date +%s)
	timeout -s KILL "\$secs" "\$@"
	st=\$?
	# Children the program left behind (timeout kills only the program)
	# would hold files and mappings into the next one: kill them.
	left=
	[ "\${1##*/}" = sh ] || left=\$(pidof "\${1##*/}")
	if [ -n "\$left" ]; then
		echo "# \$name left processes behind: \$left"
		kill -KILL \$left
	fi
	printf '\\n# suite-end: %s %s\\n' "\$name" "\$st"
	echo "# \$name: \$((\$(date +%s) - t0)) s (limit \$secs s)"
	[ \$st -eq 0 ] || [ \$st -eq 4 ] || rc=1
}
for t in /opt/shmdev/selftests/*; do
	case \${t##*/} in
	stress_test) run stress_test \$(($1 + $3)) "\$t" ;;
	*) run "\${t##*/}" $3 "\$t" ;;
	esac
done
if [ -d /opt/shmdev/selftests32 ]; then
	# A kernel without IA32_EMULATION (no abi.vsyscall32) cannot run
	# them: say so, once. Where it can, each must pass.
	if [ -e /proc/sys/abi/vsyscall32 ]; then
		for t in /opt/shmdev/selftests32/*; do
			case \${t##*/} in
			stress_test) run 32/stress_test \$(($1 + $3)) "\$t" ;;
			*) run "32/\${t##*/}" $3 "\$t" ;;
			esac
		done
	elif [ -z "\$only" ]; then
		echo "# suite-begin: selftests32"
		echo "1..0 # SKIP this kernel cannot run 32-bit programs (no IA32_EMULATION)"
		echo "# suite-end: selftests32 4"
	fi
fi
run lib_vm_test $3 /opt/shmdev/bin/lib_vm_test
run ring_test $3 /opt/shmdev/bin/ring_test
for t in /opt/shmdev/bin/*_test.sh; do
	run "\${t##*/}" $3 "\$t"
done
run shmdev-fuzz \$(($2 + $3)) sh -c 'echo 1..1; if shmdev-fuzz --seconds $2; then echo "ok 1 shmdev-fuzz"; else echo "not ok 1 shmdev-fuzz"; exit 1; fi'
exit \$rc
SUITE
}
