# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the scripts in this folder; sourced, not run.

SHMDEV_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHMDEV_BUILD=${SHMDEV_BUILD:-$SHMDEV_TOP/build}
SHMDEV_CACHE=${SHMDEV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shmdev}
# The kernels `make check` tests on.
SHMDEV_KERNELS=${SHMDEV_KERNELS:-"6.1 6.12 6.12-rt"}

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
kernel_meta()
{
	case "$1" in
	6.1)	echo linux-image-amd64 linux-headers-amd64 ;;
	6.12)	echo linux-image-6.12-amd64 linux-headers-6.12-amd64 ;;
	6.12-rt) echo linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64 ;;
	*)	die "unknown kernel '$1' (known: 6.1 6.12 6.12-rt)" ;;
	esac
}

# kernel_env NAME: loads KIMAGE, KDIR, KREL of kernel NAME (after setup);
# "debug" is the debug kernel that scripts/debug-kernel.sh builds.
kernel_env()
{
	local env="$SHMDEV_CACHE/kernels/$1.env"
	if [ "$1" = debug ]; then
		"$SHMDEV_TOP/scripts/debug-kernel.sh" >/dev/null
	else
		kernel_meta "$1" >/dev/null
		[ -f "$env" ] || "$SHMDEV_TOP/scripts/setup.sh" "$1"
	fi
	# shellcheck disable=SC1090
	. "$env"
}

# tap_count FILE STATUS WHAT: adds the TAP results in FILE to the totals
# $passed, $failed and $skipped; a non-zero STATUS (the run's) with no
# failed test in FILE, or a FILE with no test at all, counts as a failure.
tap_count()
{
	local tap=$1 status=$2 what=$3 p s f
	p=$(grep -cE '^ok [0-9]+ ' "$tap")
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$tap")
	f=$(grep -cE '^not ok [0-9]+ ' "$tap")
	p=$((p - s))
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $what: failed (status $status)"
		f=1
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		echo "not ok - $what: no test ran"
		f=1
	fi
	echo "# $what: $p passed, $f failed, $s skipped"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

# vm_suite STRESS_SECONDS FUZZ_SECONDS: the shell script the VM runs for
# `make check` and `make check-debug`: every selftest program, the
# userspace integration tests (each prints its own TAP stream), then a
# seeded run of shmdev-fuzz, reported as one TAP line.
vm_suite()
{
	cat <<SUITE
rc=0
export SHMDEV_STRESS_SECONDS=$1
for t in /opt/shmdev/selftests/* /opt/shmdev/bin/lib_vm_test /opt/shmdev/bin/cli_test.sh; do
	echo "# test: \${t##*/}"
	"\$t" || rc=1
done
echo "# test: shmdev-fuzz"
if shmdev-fuzz --seconds $2; then
	echo "ok 1 shmdev-fuzz"
else
	echo "not ok 1 shmdev-fuzz"
	rc=1
fi
exit \$rc
SUITE
}
