# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# TAP helpers of the shell tests (cli_test.sh, fuzz_test.sh); sourced.
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
