#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The plant_* functions are called by name, through plant().
# shellcheck disable=SC2317
#
# The test harness's own test: a suite that cannot fail proves nothing, so
# this plants known defects and requires the suite to report each one.
#
# First, on this machine, scripts/tap-count is fed TAP streams with the
# faults it must catch (no plan, a program that died midway, a skip with
# no reason, a bad exit status, a program that never finished).
#
# Then, in a throwaway copy of the tree (build/harness-selftest/tree), one
# defect at a time is planted in the module or in a test, and the suite's
# programs that guard it run in a VM through the same vm_suite, vm-run and
# tap-count as `make check`; the run must count at least one failure and
# say why (a pattern each plant names):
#
#  a. BUG() in an ioctl, on 6.1, which without panic_on_oops oopses,
#     kills the caller and goes on ("kernel BUG at", "invalid opcode");
#  b. a silent taint: add_taint() at module load, printing nothing;
#  c. a fault handler that hands out a fresh zeroed page instead of the
#     region's page for one index: lost data;
#  d. a NOTIFY that wakes nobody;
#  e. a selftest program that exits, with status 0, midway;
#  f. a test child that dies of SIGSEGV while nobody checks its status.
#
# Prints TAP: one line per check. A plant that no longer applies to the
# code (its anchor text is gone) fails too, so this cannot rot silently.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

work="$SHMDEV_BUILD/harness-selftest"
tree="$work/tree"
n=0 bad=0

result()
{
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		bad=1
	fi
}

# tap_case NAME EXPECT TAP...: tap-count must report a failure whose text
# matches EXPECT for the TAP given as the remaining lines.
tap_case()
{
	local name=$1 expect=$2 f="$work/case.tap" out
	shift 2
	printf '%s\n' "$@" > "$f"
	out=$("$here/tap-count" "$f" case 0 2>/dev/null)
	if grep -q ' [1-9][0-9]* failed' <<< "$out" && grep -qE "$expect" <<< "$out"; then
		result ok "tap-count: $name is a failure"
	else
		result fail "tap-count: $name is a failure"
		printf '# %s\n' "$out"
	fi
}

mkdir -p "$work"
echo "1..15"

tap_case "a stream with no plan" "no plan" \
	"# suite-begin: t" "ok 1 a" "# suite-end: t 0"
tap_case "a program that died midway" "1 of 3 planned" \
	"# suite-begin: t" "1..3" "ok 1 a" "# suite-end: t 137"
tap_case "a skip without a reason" "without a reason" \
	"# suite-begin: t" "1..2" "ok 1 a" "ok 2 b # SKIP" "# suite-end: t 0"
tap_case "a non-zero exit after passing tests" "exited with status 1" \
	"# suite-begin: t" "1..1" "ok 1 a" "# suite-end: t 1"
tap_case "a program that never finished" "did not finish" \
	"# suite-begin: t" "1..1" "ok 1 a"
tap_case "a skipped program that gives no reason" "without a reason" \
	"# suite-begin: t" "1..0" "# suite-end: t 4"
tap_case "a bail-out" "bailed out" \
	"# suite-begin: t" "1..2" "ok 1 a" "Bail out! lost" "ok 2 b" "# suite-end: t 0"
# And a clean stream with a stated skip is not a failure.
printf '%s\n' "# suite-begin: t" "1..2" "ok 1 a" "ok 2 b # SKIP no device" \
	"# suite-end: t 0" > "$work/case.tap"
out=$("$here/tap-count" "$work/case.tap" case 0 2>/dev/null)
if grep -q ': 1 passed, 0 failed, 1 skipped' <<< "$out"; then
	result ok "tap-count: a stated skip is counted apart, not failed"
else
	result fail "tap-count: a stated skip is counted apart, not failed"
fi

# The copy: the work tree as it is (committed or not), with the kernel
# sources the build extracted already.
rm -rf "$tree"
mkdir -p "$tree/build"
tar -C "$SHMDEV_TOP" --exclude=./build --exclude=./.git -cf - . | tar -C "$tree" -xf -
[ -d "$SHMDEV_BUILD/ksrc" ] && cp -a "$SHMDEV_BUILD/ksrc" "$tree/build/"
pristine="$work/pristine"
rm -rf "$pristine"
cp -a "$tree" "$pristine"

# edit FILE OLD NEW: replaces the text OLD in FILE (of the copy) by NEW;
# fails when OLD is not there exactly once.
edit()
{
	python3 - "$tree/$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"{path}: the plant's anchor is not there exactly once: {old!r}")
open(path, "w").write(text.replace(old, new))
PY
}

# plant NAME KERNEL EXPECT PROGRAMS EDITS: restores the copy, runs the
# function EDITS on it, then the suite's PROGRAMS on KERNEL; the run must
# count a failure and its output match EXPECT.
plant()
{
	local name=$1 kernel=$2 expect=$3 programs=$4 edits=$5 suite status out
	# Fresh sources (new timestamps) and no objects of the last plant.
	rm -rf "$tree/module" "$tree/selftests" "$tree/build/module" \
		"$tree/build/selftests" "$tree/build/selftests32"
	cp -r "$pristine/module" "$pristine/selftests" "$tree/"
	if ! "$edits"; then
		result fail "planted $name: the plant no longer applies"
		return
	fi
	# shellcheck disable=SC2086 # $programs is a list of names
	suite=$(vm_suite 5 5 40 $programs)
	out="$work/$edits"
	(
		unset SHMDEV_BUILD
		"$tree/scripts/vm-run" --kernel "$kernel" --timeout "$SHMDEV_PLANT_TIMEOUT" \
			-- sh -c "$suite" > "$out.tap" 2> "$out.err"
		echo $? > "$out.status"
	)
	status=$(cat "$out.status")
	"$tree/scripts/tap-count" "$out.tap" planted "$status" > "$out.count" 2>/dev/null
	if grep -qE ' [1-9][0-9]* failed, ' "$out.count" &&
	   grep -qE "$expect" "$out.tap" "$out.err" "$out.count"; then
		result ok "planted $name on $kernel: reported as a failure"
		cat "$out.tap" "$out.err" "$out.count" | grep -E "$expect" | head -n 3 | sed 's/^/#   /'
	else
		result fail "planted $name on $kernel: reported as a failure"
		tail -n 30 "$out.tap" "$out.err" "$out.count" | sed 's/^/# /'
	fi
}

plant_bug()
{
	edit module/file.c \
		'	u64 size = shmdev_region_size(region);
' '	u64 size = shmdev_region_size(region);

	BUG_ON(size != ~0ULL);
'
}

plant_taint()
{
	edit module/main.c \
		'	err = misc_register(&shmdev_misc);
' '	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
	err = misc_register(&shmdev_misc);
'
}

plant_fresh_page()
{
	# Page 3's fault maps a new zeroed folio that is not the region's
	# (nor in its page cache), as a fault path that lost the page would.
	edit module/fault.c \
		'	if (folio) {
		/*
		 * Handed over locked,' \
		'	if (folio && vmf->pgoff == 3) {
		struct folio *fresh = folio_alloc(GFP_HIGHUSER | __GFP_ZERO, 0);

		folio_unlock(folio);
		folio_put(folio);
		if (!fresh)
			return VM_FAULT_OOM;
		folio_lock(fresh);
		folio = fresh;
	}
	if (folio) {
		/*
		 * Handed over locked,'
}

plant_orphan_crash()
{
	# A child that dies of SIGSEGV while its test passes and nobody
	# looks at its status: only the VM's crash record can tell.
	edit selftests/shmdev_test.c \
		'TEST(unknown_ioctl)
{
' 'TEST(unknown_ioctl)
{
	if (fork() == 0)
		raise(SIGSEGV);
'
}

plant_deaf_notify()
{
	edit module/notify.c \
		'	wake_up_locked_poll(&region->wq, SHMDEV_POLL_EVENTS);' \
		'	/* wakes nobody */'
}

plant_deaf_ctrl()
{
	# WAIT no longer tells in-place notifiers that it may sleep.
	edit module/notify.c \
		'		__add_wait_queue(&region->wq, wait);
	shmdev_set_waiting(region);
' '		__add_wait_queue(&region->wq, wait);
'
}

plant_dies_midway()
{
	# The harness runs each test in a child and prints its result from
	# the parent: the third test makes the parent exit, with status 0,
	# before it prints anything more. Only the plan can tell.
	edit selftests/shmdev_test.c \
		'#include "../../kselftest_harness.h"
' '#include "../../kselftest_harness.h"

static void planted_exit(int sig)
{
	_exit(0);
}

static void __attribute__((constructor)) planted_setup(void)
{
	signal(SIGUSR1, planted_exit);
}
' &&
	edit selftests/shmdev_test.c \
		'TEST(unknown_ioctl)
{
' 'TEST(unknown_ioctl)
{
	kill(getppid(), SIGUSR1);
	usleep(200000);
'
}

plant "BUG() in an ioctl" 6.1 'kernel BUG at|invalid opcode' shmdev_test plant_bug
plant "a silent taint" 6.12 'is tainted' shmdev_test plant_taint
plant "a fresh zeroed page for one index" 6.12 'page 3 via .*(page lost|expected)' "stress_test race_test" plant_fresh_page
plant "a NOTIFY that wakes nobody" 6.12 'not ok' notify_test plant_deaf_notify
plant "a WAIT that hides from in-place notifiers" 6.12 'a lost wake-up' ctrl_test plant_deaf_ctrl
plant "a crashed child nobody waits for" 6.12 'a process crashed' shmdev_test plant_orphan_crash
plant "a program that exits midway" 6.12 'planned tests ran' shmdev_test plant_dies_midway

exit $bad
