#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs each example of userspace/examples (shmdev-example-NAME, on PATH)
# against the loaded module and checks what it demonstrates, from its
# exit status, its output and the regions left behind: the consumer got
# every message in order and the producer never shrank a larger region
# nor overwrote data beyond its own; the robust mutex's count is exact
# after its holder was killed; the poll loop saw exactly N notifications;
# a group member reads what the owner wrote and a stranger gets EACCES,
# as root and through as_user (uids 1000 to 1002). Prints TAP. Runs as
# root with /dev/shmdev present (skips otherwise).

plan=47
n=0
failed=0

echo "TAP version 13"
if [ ! -c /dev/shmdev ]; then
	echo "1..0 # SKIP /dev/shmdev is absent"
	exit 4
fi
if ! tmp=$(mktemp -d); then
	echo "Bail out! cannot make a temporary folder"
	exit 1
fi
node_mode=$(stat -c %a /dev/shmdev)
trap 'chmod "$node_mode" /dev/shmdev; rm -rf "$tmp"' EXIT
echo "1..$plan"

# shellcheck source=userspace/tests/tap.sh
. "$(dirname "$0")/tap.sh"

# finish PID OUT: reap PID, at most 60 s; shows OUT, the file of its
# output, unless it exited 0.
finish()
{
	reap "$1" 60
	[ "$status" -eq 0 ] || [ -z "$2" ] || show output "$2"
}

# run DESC EXPECTED_STATUS COMMAND...: runs COMMAND (at most 60 s) with
# its output, both streams, in $tmp/out; checks its exit status.
run()
{
	desc=$1 want=$2
	shift 2
	"$@" </dev/null >"$tmp/out" 2>&1 &
	finish $! ""
	if [ "$status" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# '$*' exited $status, expected $want"
		show output "$tmp/out"
	fi
}

# has DESC LINE [FILE]: FILE (default $tmp/out) has the line LINE.
has()
{
	if grep -q -x -F -- "$2" "${3:-$tmp/out}"; then
		ok "$1"
	else
		not_ok "$1"
		show got "${3:-$tmp/out}"
		echo "# want the line: $2"
	fi
}

# gone DESC NAME: no region NAME is listed.
gone()
{
	if awk -v n="$2" '$2 == n { found = 1 } END { exit found }' /proc/shmdev/regions; then
		ok "$1"
	else
		not_ok "$1"
		grep " $2 " /proc/shmdev/regions | show listed -
		shmdevctl rm --force "$2"
	fi
}

# --- prodcons: every message in order; never shrinks, never overwrites

run "prodcons: both sides, 3000 messages" 0 shmdev-example-prodcons -n 3000 pc1
has "prodcons: the consumer verified all" "consumer: received 3000 messages in order, content verified"
has "prodcons: the producer saw it confirmed" "producer: sent 3000 messages, the consumer confirmed them"
gone "prodcons: the region goes with them" pc1

# The consumer first (it creates the region with size 0), then the producer.
shmdev-example-prodcons consumer -n 500 pc2 >"$tmp/cons" 2>&1 &
cpid=$!
run "prodcons: producer after the consumer" 0 shmdev-example-prodcons producer -n 500 pc2
finish $cpid "$tmp/cons"
result "prodcons: consumer started first exits 0" $status
has "prodcons: it received everything" "consumer: received 500 messages in order, content verified" "$tmp/cons"

# The producer first: it fills the ring, then waits for room. The
# consumer starts once the region is listed with the producer's size.
shmdev-example-prodcons producer -n 500 pc3 >"$tmp/prod" 2>&1 &
ppid=$!
i=0
until awk '$2 == "pc3" && $6 == 16704 { found = 1 } END { exit !found }' \
	/proc/shmdev/regions || [ $i -ge 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
run "prodcons: consumer after the producer" 0 shmdev-example-prodcons consumer -n 500 pc3
has "prodcons: it received everything" "consumer: received 500 messages in order, content verified"
finish $ppid "$tmp/prod"
result "prodcons: producer started first exits 0" $status
gone "prodcons: nothing left behind" pc3

# A region that exists, larger, with data beyond the ring: kept as it is.
shmdevctl create --size 1M pc4 && shmdevctl write --name pc4 --offset 524288 keepme
result "prodcons: a 1 MiB region with data at 512 KiB" $?
run "prodcons: over that region" 0 shmdev-example-prodcons -n 1000 pc4
has "prodcons: its consumer verified all" "consumer: received 1000 messages in order, content verified"
shmdevctl size --name pc4 >"$tmp/size"
has "prodcons: the region was not shrunk" 1048576 "$tmp/size"
{ shmdevctl read --name pc4 --offset 524288 --length 6 --raw; echo; } >"$tmp/keep"
has "prodcons: the data beyond the ring is intact" keepme "$tmp/keep"
shmdevctl rm pc4

run "prodcons: bad usage" 2 shmdev-example-prodcons -n 0

# --- mutex: exact count after the holder is killed

run "mutex: 4 processes, holder killed" 0 shmdev-example-mutex -p 4 -i 3000 mx1
has "mutex: exact count, one death repaired" "count 12000 (expected 12000), owner deaths repaired: 1"
gone "mutex: the region goes with them" mx1
run "mutex: 16 processes" 0 shmdev-example-mutex -p 16 -i 500 mx2
has "mutex: exact count again" "count 8000 (expected 8000), owner deaths repaired: 1"
shmdevctl create mx3
run "mutex: refuses a region that exists (EXCL)" 1 shmdev-example-mutex mx3
has "mutex: says why" "mutex: mx3: File exists"
shmdevctl rm mx3

# --- poll: N notifications through epoll, acknowledged

run "poll: 200 notifications" 0 shmdev-example-poll -n 200 pl1
if grep -q '^200 notifications in [0-9]* wake-ups, last number 200, 0 spurious$' "$tmp/out"; then
	ok "poll: all counted, the last number read, none spurious"
else
	not_ok "poll: all counted, the last number read, none spurious"
	show got "$tmp/out"
fi
wakeups=$(sed -n 's/^200 notifications in \([0-9]*\) wake-ups.*/\1/p' "$tmp/out")
[ "${wakeups:-0}" -ge 1 ] && [ "${wakeups:-0}" -le 200 ]
result "poll: between 1 and 200 wake-ups (got ${wakeups:-none})" $?
gone "poll: the region goes with them" pl1
run "poll: a single notification" 0 shmdev-example-poll -n 1 pl2
has "poll: one seen" "1 notifications in 1 wake-ups, last number 1, 0 spurious"

# --- two_users: owner 1000, member 1001 (in group 1000), stranger 1002

chmod 0666 /dev/shmdev
run "two_users: as root, the three roles" 0 shmdev-example-two_users tu1
has "two_users: owner's region, 0660" "owner uid 1000: created tu1, uid 1000 gid 1000 mode 0660"
has "two_users: stranger refused" "stranger uid 1002: open tu1: Permission denied"
has "two_users: member read the greeting" 'member uid 1001: read "hello from uid 1000"'
has "two_users: owner read the answer" 'owner uid 1000: read "uid 1001 read "hello from uid 1000""'
gone "two_users: the region goes with them" tu1

# The same, one role at a time as a user would run them.
as_user 1000 shmdev-example-two_users owner tu2 >"$tmp/owner" 2>&1 &
opid=$!
run "two_users: stranger role as uid 1002" 0 as_user 1002 shmdev-example-two_users stranger tu2
has "two_users: EACCES for uid 1002" "stranger uid 1002: open tu2: Permission denied"
run "two_users: the stranger check fails for a member" 1 \
	as_user 1001:1001,1000 shmdev-example-two_users stranger tu2
has "two_users: the member was allowed" "stranger uid 1001: open tu2: allowed"
run "two_users: member role outside the group fails" 1 as_user 1002 shmdev-example-two_users member tu2
has "two_users: with EACCES" "two_users: member uid 1002: tu2: Permission denied"
run "two_users: member role as uid 1001 in group 1000" 0 \
	as_user 1001:1001,1000 shmdev-example-two_users member tu2
has "two_users: it read the greeting" 'member uid 1001: read "hello from uid 1000"'
finish $opid "$tmp/owner"
result "two_users: owner role exits 0" $status
has "two_users: the owner read the answer" 'owner uid 1000: read "uid 1001 read "hello from uid 1000""' "$tmp/owner"
run "two_users: no role needs root" 2 as_user 1000 shmdev-example-two_users
chmod "$node_mode" /dev/shmdev

if [ "$n" -ne "$plan" ]; then
	echo "# planned $plan tests, ran $n"
	exit 1
fi
[ "$failed" -eq 0 ]
