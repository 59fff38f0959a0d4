# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# TAP helpers of the shell tests (cli_test.sh, fuzz_test.sh,
# examples_test.sh); sourced.
# They count in $n (tests run) and $failed, which the caller starts at 0.

ok()
{
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok()
{
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
}

# result DESC STATUS: ok when STATUS is 0.
result()
{
	if [ "$2" -eq 0 ]; then
		ok "$1"
	else
		not_ok "$1"
	fi
}

# show LABEL FILE: FILE's lines as TAP comments.
show()
{
	sed "s/^/# $1: /" "$2"
}

# reap PID SECONDS: waits for the background process PID, at most SECONDS,
# and sets status to its exit status. If PID is still running then, it is
# killed with its children (they would hold regions past the test),
# status is 124 and reap is false: no command hangs the test.
# shellcheck disable=SC2034 # status is read by the caller
reap()
{
	i=0
	while [ $i -lt $(($2 * 20)) ]; do
		pstate=gone
		if { read -r line <"/proc/$1/stat"; } 2>/dev/null; then
			rest=${line##*) }
			pstate=${rest%% *}
		fi
		if [ "$pstate" = Z ] || [ "$pstate" = gone ]; then
			wait "$1"
			status=$?
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	# shellcheck disable=SC2046 # one pid per word
	kill -9 $(cat /proc/"$1"/task/*/children 2>/dev/null) "$1"
	wait "$1"
	status=124
	echo "# process $1 still running after $2 s: killed, with its children"
	return 1
}
