#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Tests of shmdev-fuzz itself, against the loaded module: a seed replays
# the same calls with the same expected outcomes, another seed makes other
# calls, the calls reach the named regions' ioctls with each of their
# outcomes, a run leaves no name behind (and a killed run only those
# without AUTOREMOVE, which the next run removes), a process the model
# does not know about that changes the region is caught, and a run below
# the call-rate floor fails. Prints TAP. Runs as root with /dev/shmdev
# present (skips otherwise).
#
# SHMDEV_FUZZ_TEST_CALLS (default 2000) sets the length of the replayed runs.

calls=${SHMDEV_FUZZ_TEST_CALLS:-2000}
n=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=userspace/tests/tap.sh
. "$(dirname "$0")/tap.sh"

# show FILE: FILE's lines as TAP comments.
show()
{
	sed 's/^/# /' "$1"
}

# run NAME ARG...: runs shmdev-fuzz, output in $tmp/NAME.out and .err,
# status in $status.
run()
{
	name=$1
	shift
	shmdev-fuzz "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	status=$?
}

echo "TAP version 13"
if [ ! -c /dev/shmdev ]; then
	echo "1..0 # SKIP /dev/shmdev is absent"
	exit 4
fi
echo "1..16"

if shmdev-fuzz --help >"$tmp/help" 2>&1 && grep -q -- '--trace FILE' "$tmp/help" &&
	grep -q -- '--calls N' "$tmp/help" && grep -q -- '--seed N' "$tmp/help"; then
	ok "--help documents --seed, --calls and --trace"
else
	not_ok "--help documents --seed, --calls and --trace"
	show "$tmp/help"
fi

run bad --no-such-option
if [ "$status" -eq 2 ]; then
	ok "an unknown option exits 2"
else
	not_ok "an unknown option exits 2"
	echo "# status $status"
fi

# Replay: the same seed, the same calls and expected outcomes.
run a --seed 7 --calls "$calls" --trace "$tmp/a.log"
if [ "$status" -eq 0 ]; then
	ok "seed 7, $calls calls: every call as the model expected"
else
	not_ok "seed 7, $calls calls: every call as the model expected"
	show "$tmp/a.err"
fi
# The last operation may make a few calls past N: count what it says.
lines=$(wc -l <"$tmp/a.log" | tr -d ' ')
made=$(sed -n 's/^shmdev-fuzz: \([0-9]*\) checked calls.*/\1/p' "$tmp/a.out")
if [ -n "$made" ] && [ "$made" -ge "$calls" ] && [ "$made" -le $((calls + 8)) ] &&
	[ "$lines" -eq $((made + 1)) ]; then
	ok "the trace has one line per call"
else
	not_ok "the trace has one line per call"
	echo "# $lines lines for ${made:-?} calls ($calls asked)"
fi
# has TEXT: the trace of seed 7 has a line with TEXT (grep -E).
has()
{
	grep -Eq -- "$1" "$tmp/a.log"
}
if has 'OPEN, buf\) .* = 0$' && has 'OPEN, .* = -1 ENOENT$' &&
	has 'OPEN, .* = -1 EEXIST$' && has 'OPEN, .* = -1 ENAMETOOLONG$' &&
	has 'UNLINK, buf\) .* = 0$' && has 'UNLINK, .* = -1 ENOENT$' &&
	has '/r[0-9]+, .*\) = [0-9]+$' && has 'NOTIFY, .* = -1 EBADF$' &&
	has 'ABSTIME|abs '; then
	ok "seed 7 reaches OPEN and UNLINK with each outcome, and region files"
else
	not_ok "seed 7 reaches OPEN and UNLINK with each outcome, and region files"
	grep -E 'OPEN|UNLINK' "$tmp/a.log" | head -n 20 | sed 's/^/# /'
fi
run b --seed 7 --calls "$calls" --trace "$tmp/b.log"
if [ "$status" -eq 0 ] && cmp -s "$tmp/a.log" "$tmp/b.log"; then
	ok "seed 7 again: the same trace"
else
	not_ok "seed 7 again: the same trace"
	echo "# status $status"
	diff "$tmp/a.log" "$tmp/b.log" | head -n 10 | sed 's/^/# /'
fi
run c --seed 8 --calls "$calls" --trace "$tmp/c.log"
if [ "$status" -eq 0 ] && ! cmp -s "$tmp/a.log" "$tmp/c.log"; then
	ok "seed 8: another trace"
else
	not_ok "seed 8: another trace"
	echo "# status $status"
	show "$tmp/c.err"
fi
if ! grep -q ' shmdev-fuzz\.' /proc/shmdev/regions; then
	ok "the runs left no name in /proc/shmdev/regions"
else
	not_ok "the runs left no name in /proc/shmdev/regions"
	show /proc/shmdev/regions
fi

# A run killed with SIGKILL: the regions it created with AUTOREMOVE go
# with it; the next run unlinks the names it left.
shmdev-fuzz --seed 11 --seconds 30 --chaos 0 >"$tmp/k.out" 2>"$tmp/k.err" &
pid=$!
sleep 5
kill -KILL $pid
wait $pid 2>/dev/null
if ! grep " shmdev-fuzz\.$pid\." /proc/shmdev/regions | grep -q ' A$'; then
	ok "a killed run leaves no AUTOREMOVE name"
else
	not_ok "a killed run leaves no AUTOREMOVE name"
	show /proc/shmdev/regions
fi
run f --seed 12 --calls 10
if [ "$status" -eq 0 ] && ! grep -q " shmdev-fuzz\.$pid\." /proc/shmdev/regions; then
	ok "the next run unlinks the names the killed run left"
else
	not_ok "the next run unlinks the names the killed run left"
	echo "# status $status"
	show "$tmp/f.err"
	show /proc/shmdev/regions
fi

# The module's limits lowered for one run, so that creations and resizes
# meet them: ENOSPC from the total size and from the count of regions,
# each predicted exactly.
param=/sys/module/shmdev/parameters
total0=$(cat $param/max_total_size)
regions0=$(cat $param/max_regions)
nregions=$(grep -c '^ *[0-9]' /sys/kernel/debug/shmdev/regions)
echo $((48 << 20)) >$param/max_total_size
echo $((nregions + 3)) >$param/max_regions
run g --seed 13 --calls 6000 --trace "$tmp/g.log"
echo "$total0" >$param/max_total_size
echo "$regions0" >$param/max_regions
if [ "$status" -eq 0 ] && grep -q 'SET_SIZE, buf) .* = -1 ENOSPC$' "$tmp/g.log" &&
	grep -q 'OPEN, buf) .*CREATE.* = -1 ENOSPC$' "$tmp/g.log"; then
	ok "lowered limits: ENOSPC where the model expects it"
else
	not_ok "lowered limits: ENOSPC where the model expects it"
	echo "# status $status"
	show "$tmp/g.err"
	grep -c ENOSPC "$tmp/g.log" | sed 's/^/# ENOSPC lines: /'
fi

# Another process notifies and resizes behind the model's back: the run
# must stop at the first call whose outcome that changed.
shmdev-fuzz --seed 9 --seconds 30 --chaos 0 >"$tmp/d.out" 2>"$tmp/d.err" &
pid=$!
sleep 1
i=0
while [ $i -lt 25 ] && kill -0 $pid 2>/dev/null; do
	shmdevctl notify >/dev/null 2>&1
	shmdevctl size 12345 >/dev/null 2>&1
	sleep 1
	i=$((i + 1))
done
wait $pid
status=$?
if [ "$status" -eq 1 ] && grep -q '^shmdev-fuzz: call [0-9]*: .*expected' "$tmp/d.err" &&
	grep -q 'FAIL (seed 9;' "$tmp/d.err"; then
	ok "a change the model did not make is reported, with the seed"
	grep -m1 'expected' "$tmp/d.err" | sed 's/^/# /'
else
	not_ok "a change the model did not make is reported, with the seed"
	echo "# status $status"
	show "$tmp/d.err"
fi
if [ $i -lt 25 ]; then
	ok "it stopped before the end of its run"
else
	not_ok "it stopped before the end of its run"
fi

# Another process unlinks the run's names behind its back: the run must
# stop at a call whose outcome that changed (within 50 s: a loaded machine
# makes fewer calls). Which call that is depends on when the unlink lands:
# an OPEN or UNLINK of the name, the listing, the charge that the region
# gave back when it died, or any call on a file or a mapping of the region
# that OPEN with CREATE then made in its place, new and empty, where the
# model expects the old one. So the same calls are then replayed with
# nobody interfering, and must pass: the unlink, not the module or the
# model, made the run fail. The run is stopped meanwhile, so that it
# never sees shmdevctl's own file of the default region.
shmdev-fuzz --seed 14 --seconds 60 --chaos 0 >"$tmp/h.out" 2>"$tmp/h.err" &
pid=$!
sleep 1
i=0
while [ $i -lt 50 ] && kill -0 $pid 2>/dev/null; do
	kill -STOP $pid
	shmdevctl rm "shmdev-fuzz.$pid.a" "shmdev-fuzz.$pid.b" >/dev/null 2>&1
	kill -CONT $pid
	sleep 1
	i=$((i + 1))
done
wait $pid
status=$?
calls=$(sed -n 's/^shmdev-fuzz: FAIL (seed 14; --seed 14 --calls \([0-9]*\) .*/\1/p' "$tmp/h.err")
if [ "$status" -eq 1 ] && [ $i -lt 50 ] && [ -n "$calls" ] &&
	grep -q '^shmdev-fuzz: call [0-9]*: ' "$tmp/h.err"; then
	ok "a name unlinked behind the run's back is reported"
	grep -m1 '^shmdev-fuzz: call' "$tmp/h.err" | sed 's/^/# /'
	run r --seed 14 --calls "$calls" --chaos 0
	if [ "$status" -eq 0 ]; then
		ok "the same $calls calls with nobody interfering pass"
	else
		not_ok "the same $calls calls with nobody interfering pass"
		echo "# status $status"
		show "$tmp/r.err"
	fi
else
	not_ok "a name unlinked behind the run's back is reported"
	echo "# status $status after $i s"
	show "$tmp/h.err"
	not_ok "the same calls with nobody interfering pass"
fi

# The floor: a rate no machine reaches fails the run.
run e --seed 10 --seconds 1 --min-rate 100000000
if [ "$status" -eq 1 ] && grep -q 'below the floor' "$tmp/e.err"; then
	ok "a run below the call-rate floor fails"
else
	not_ok "a run below the call-rate floor fails"
	echo "# status $status"
	show "$tmp/e.err"
fi

[ "$failed" -eq 0 ]
