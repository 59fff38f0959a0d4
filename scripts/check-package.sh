#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-package`: the Debian packages on a real Debian 12 system.
# Boots the root file system of scripts/package-rootfs.sh (systemd, udev,
# DKMS; built once, cached) in QEMU once per kernel, Debian's 6.1 and
# 6.12, from that kernel's own vmlinuz and initrd, with the disk in
# -snapshot mode so the cached image stays pristine. In the VM,
# scripts/package-vm-test runs the README's "check-package: admin" block
# as alice (sudo apt install of build/deb/*.deb, so DKMS builds the module
# there; the group; modprobe), checks DKMS, the node's owner, group and
# mode, reboots, checks that modules-load.d loaded the module and udev gave
# the node its group again, runs the README's "check-package: user" block
# and the selftests that need no root as alice in a new login session, and
# checks that bob, not in the group, is refused. A kernel report on the
# console (the patterns of scripts/vm-run) fails the run.
#
# Results are counted by scripts/tap-count; one line per kernel, and last
# `N passed, M failed, K skipped`.
#
# The packages are build/deb/*.deb: `make deb` runs first when they are
# missing or older than a file of the tree. SHMDEV_DEB_DIR=DIR tests the
# .debs in DIR instead. SHMDEV_PACKAGE_KERNELS="6.12" narrows the kernels;
# SHMDEV_PACKAGE_TIMEOUT (seconds, per kernel) changes the limit, which
# SHMDEV_DEADLINE caps as for scripts/vm-run.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

kernels=${SHMDEV_PACKAGE_KERNELS:-6.1 6.12}
# A kernel's VM run (two boots, the DKMS build, the tests): several times
# what it takes (Documentation/dev-tools/shmdev-testing.rst, "Time").
timeout=${SHMDEV_PACKAGE_TIMEOUT:-900}
# The selftest programs that run as an unprivileged member of the group,
# one a line, each with the harness options (-T TEST) that leave out its
# tests that need root and do not skip without it: shmdev_test's
# device_node expects the node to be root's with mode 0600, and
# set_get_size, like api_test's page_info_not_interrupted and
# page_info_killed, sizes a region beyond an unprivileged user's
# locked-memory limit; huge_test's switches_turn_it_off writes a module
# parameter; stress_test's named expects root to be charged. Not run:
# account_test, names_test and module_test (every test needs root),
# limits_test (a memory cgroup of its own), inspect_test (debugfs and
# /proc/sys/vm). race_test once reported here, on 6.1, a page read back
# as zeroes through pread(): a read() that took a page compaction was
# migrating (module/pages.c, shmdev_find_folio(), since fixed, and
# mmap_test's pread_during_migration).
selftests=${SHMDEV_PACKAGE_SELFTESTS:-"shmdev_test -T device_node -T set_get_size
mmap_test
sync_test
notify_test
ctrl_test
race_test
api_test -T page_info_not_interrupted -T page_info_killed
huge_test -T switches_turn_it_off
stress_test -T named"}

"$here/setup.sh" || die "setup failed"
top=$SHMDEV_TOP
work="$SHMDEV_BUILD/package-test"

# debs_stale: whether build/deb lacks packages or is older than a file of
# the tree (tracked or new, not ignored).
debs_stale()
{
	local deb=$SHMDEV_BUILD/deb oldest newest
	compgen -G "$deb/*.deb" >/dev/null || return 0
	oldest=$(stat -c %Y "$deb"/*.deb | sort -n | head -n1)
	newest=$(cd "$top" && git ls-files -z -co --exclude-standard |
		xargs -0 stat -c %Y 2>/dev/null | sort -n | tail -n1)
	[ "${newest:-0}" -gt "$oldest" ]
}

debs=${SHMDEV_DEB_DIR:-}
if [ -z "$debs" ]; then
	debs=$SHMDEV_BUILD/deb
	if debs_stale; then
		make -s -C "$top" deb || die "make deb failed"
	fi
fi
compgen -G "$debs/*.deb" >/dev/null || die "no .deb in $debs"
make -s -C "$top" selftests || die "cannot build the selftests"
rootfs=$("$here/package-rootfs.sh") || die "cannot build the root file system"

# block NAME: the README's fenced sh block after <!-- check-package: NAME -->.
block()
{
	awk -v name="$1" '
		$0 == "<!-- check-package: " name " -->" { inside = 1; next }
		inside && /^<!-- \/check-package -->/ { exit }
		inside && /^```/ { fence = !fence; next }
		inside && fence { print }
	' "$top/README.md"
}
mkdir -p "$work/blocks"
for b in admin user; do
	block $b > "$work/blocks/$b.sh"
	[ -s "$work/blocks/$b.sh" ] || die "README.md has no check-package: $b block"
done

# run_vm ROOTFS REL SHARE LIMIT: boots kernel REL of ROOTFS with SHARE as
# 9p share "shmdev", until the guest powers off after its second boot or
# LIMIT seconds pass; prints the guest's output (ttyS1) as it comes and
# keeps it in $tap. Sets qrc (QEMU's status, 124 or 137 on timeout) and
# booted (how many times the test unit started).
run_vm()
{
	local rootfs=$1 rel=$2 share=$3 limit=$4 qpid tpid boots accel
	case ${SHMDEV_ACCEL:-tcg} in
	tcg)	accel=(-accel tcg -cpu max) ;;
	kvm)	accel=(-accel kvm -cpu host) ;;
	*)	die "SHMDEV_ACCEL must be tcg or kvm" ;;
	esac
	: > "$console"
	: > "$out"
	timeout --foreground -k 5 "$limit" \
		qemu-system-x86_64 "${accel[@]}" -smp 2 -m 2G \
		-nodefaults -display none \
		-kernel "$rootfs/vmlinuz-$rel" -initrd "$rootfs/initrd.img-$rel" \
		-append "console=ttyS0 root=/dev/vda rw panic=-1 ignore_loglevel" \
		-drive "file=$rootfs/rootfs.img,format=raw,if=virtio" -snapshot \
		-virtfs "local,path=$share,mount_tag=shmdev,security_model=none,readonly=on" \
		-serial "file:$console" -serial "file:$out" </dev/null &
	qpid=$!
	tail -n +1 -s 0.5 --pid=$qpid -f "$out" | sed -u 's/\r$//' |
		grep --line-buffered -av '^SHMDEV-PKG-' | tee "$tap" &
	tpid=$!
	# The guest reboots once, on purpose. Any other boot (a panic, with
	# panic=-1, or a crash before the test started) ends the run.
	while kill -0 $qpid 2>/dev/null; do
		sleep 2
		boots=$(grep -ac 'Linux version [0-9]' "$console")
		booted=$(grep -ac '^SHMDEV-PKG-BOOTED' "$out")
		if [ "$boots" -gt $((booted + 1)) ] || [ "$boots" -gt 2 ]; then
			log "kernel $rel restarted unexpectedly (boot $boots)"
			kill $qpid
			break
		fi
	done
	qrc=0
	wait $qpid || qrc=$?
	wait $tpid || true
	booted=$(grep -ac '^SHMDEV-PKG-BOOTED' "$out")
}

# The patterns of a kernel report, as scripts/vm-run judges a run by.
reports=$(sed -n "s/^reports+\{0,1\}='\(.*\)'$/\1/p" "$here/vm-run" | tr -d '\n')
case $reports in
*WARNING:*Oops*) ;;
*) die "cannot read the kernel report patterns from scripts/vm-run" ;;
esac

passed=0 failed=0 skipped=0
for k in $kernels; do
	echo "# kernel: $k, the Debian packages"
	rel=$(awk -v k="$k" '$1 == k { print $2 }' "$rootfs/kernels")
	[ -n "$rel" ] || die "kernel $k is not in the root file system"
	dir="$work/$k"
	share="$dir/share"
	rm -rf "$dir"
	mkdir -p "$share/checkout/build/deb" "$share/selftests"
	cp "$debs"/*.deb "$share/checkout/build/deb/"
	cp -r "$work/blocks" "$share/"
	cp -r "$SHMDEV_BUILD/selftests/." "$share/selftests/"
	cp "$here/package-vm-test" "$share/run"
	cat > "$share/config" <<CONFIG
KERNEL=$k
PROGRAM_TIMEOUT=$SHMDEV_PROGRAM_TIMEOUT
SELFTESTS="$selftests"
SHMDEV_STRESS_SECONDS=${SHMDEV_STRESS_SECONDS:-10}
CONFIG
	tap="$SHMDEV_BUILD/check-package-$k.tap"
	console="$dir/console.log" out="$dir/output.log"
	limit=$timeout
	if [ -n "${SHMDEV_DEADLINE:-}" ]; then
		left=$((SHMDEV_DEADLINE - $(date +%s)))
		[ "$limit" -le $left ] || limit=$left
	fi
	started=$(date +%s)
	status=0 qrc=0 booted=0
	: > "$tap"
	: > "$console"
	: > "$out"
	if [ "$limit" -lt 60 ]; then
		log "no time left before SHMDEV_DEADLINE: not booting kernel $k"
		status=1
	else
		# Emulated SMP occasionally crashes the kernel during its
		# boot, before anything of ours (see scripts/vm-run): such a
		# boot is retried, twice at most.
		for attempt in 1 2 3; do
			run_vm "$rootfs" "$rel" "$share" "$limit"
			if [ "$booted" -gt 0 ] || [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
				break
			fi
			log "kernel $k died before the test started (attempt $attempt)"
			cp "$console" "$dir/boot-failure-$attempt.log"
		done
		if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
			log "timeout after ${limit}s on kernel $k; the console's last lines:"
			tail -n 40 "$console" | tr -d '\r' >&2
			status=1
		elif [ "$qrc" -ne 0 ]; then
			log "qemu exited with status $qrc"
			status=1
		fi
		while IFS= read -r e; do
			log "in the VM: $e"
			status=1
		done < <(tr -d '\r' < "$out" | sed -n 's/^SHMDEV-PKG-ERROR=//p')
		if ! grep -aq '^SHMDEV-PKG-DONE' "$out"; then
			log "the test did not complete on kernel $k (console: $console)"
			status=1
		fi
	fi
	log "kernel $k: the VM ran $(( $(date +%s) - started )) s (limit $limit s), status $status"
	{
		echo "# suite-begin: console"
		echo "1..1"
		if grep -aE "$reports" "$console" > "$dir/reports.txt"; then
			echo "not ok 1 no kernel report on the console (log: $console)"
			sed 's/^/#   /' "$dir/reports.txt"
		else
			echo "ok 1 no kernel report on the console"
		fi
		echo "# suite-end: console 0"
	} | tr -d '\r' | tee -a "$tap"
	tap_count "$tap" "$status" "packages on $k"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
