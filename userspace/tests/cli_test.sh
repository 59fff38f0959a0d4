#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Integration tests of shmdevctl and of the shmdev-writer/shmdev-reader
# pair, against the loaded module: output, exit status, bad arguments.
# Prints TAP. Runs as root with /dev/shmdev present (skips otherwise).
#
# Every command's exit status and output are checked. Where one process
# must be waiting before another acts, the test waits until /proc shows
# it asleep in SHMDEV_IOC_WAIT, never for a fixed time.

plan=136
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
trap 'rm -rf "$tmp"' EXIT
echo "1..$plan"

# shellcheck source=userspace/tests/tap.sh
. "$(dirname "$0")/tap.sh"

show()
{
	sed "s/^/# $1: /" "$2"
}

# finish PID: waits for the background process PID, at most 20 s, and
# sets status to its exit status. If PID is still running then, it is
# killed, status is 124 and finish is false: no command hangs the test.
finish()
{
	i=0
	while [ $i -lt 1000 ]; do
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
		sleep 0.02
		i=$((i + 1))
	done
	kill -9 "$1"
	wait "$1"
	status=124
	echo "# process $1 still running after 20 s: killed"
	return 1
}

# check_in DESC EXPECTED_STATUS INPUT COMMAND...: runs COMMAND with the
# file INPUT on standard input, keeps its output in $tmp/out and
# $tmp/err, and checks its exit status.
check_in()
{
	desc=$1 want=$2 input=$3
	shift 3
	"$@" <"$input" >"$tmp/out" 2>"$tmp/err" &
	finish $!
	got=$status
	if [ "$got" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# '$*' exited $got, expected $want"
		show stderr "$tmp/err"
	fi
}

# check DESC EXPECTED_STATUS COMMAND...: as check_in, with no input.
check()
{
	desc=$1 want=$2
	shift 2
	check_in "$desc" "$want" /dev/null "$@"
}

# expect DESC TEXT: the last command's standard output is exactly TEXT,
# and it wrote nothing on standard error.
expect()
{
	printf '%s\n' "$2" >"$tmp/want"
	if cmp -s "$tmp/want" "$tmp/out" && [ ! -s "$tmp/err" ]; then
		ok "$1"
	else
		not_ok "$1"
		show got "$tmp/out"
		show want "$tmp/want"
		show stderr "$tmp/err"
	fi
}

# expect_raw DESC TEXT: as expect, with no newline after TEXT.
expect_raw()
{
	printf '%s' "$2" >"$tmp/want"
	if cmp -s "$tmp/want" "$tmp/out" && [ ! -s "$tmp/err" ]; then
		ok "$1"
	else
		not_ok "$1"
		od -c "$tmp/out" | sed 's/^/# got: /'
		show stderr "$tmp/err"
	fi
}

# expect_quiet DESC: the last command printed nothing, on either stream.
expect_quiet()
{
	if [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; then
		ok "$1"
	else
		not_ok "$1"
		show stdout "$tmp/out"
		show stderr "$tmp/err"
	fi
}

# expect_line DESC PATTERN: a line of the last command's standard output
# matches the basic regular expression PATTERN, and it wrote nothing on
# standard error.
expect_line()
{
	if grep -q -- "$2" "$tmp/out" && [ ! -s "$tmp/err" ]; then
		ok "$1"
	else
		not_ok "$1"
		show stdout "$tmp/out"
		show stderr "$tmp/err"
	fi
}

# expect_line_err DESC PATTERN FILE: a line of FILE (a saved standard
# error) matches PATTERN.
expect_line_err()
{
	if grep -q -- "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1"
		show stderr "$3"
	fi
}

# expect_err DESC TEXT: standard output is empty and the first line of
# standard error is exactly TEXT.
expect_err()
{
	if [ ! -s "$tmp/out" ] && [ "$(sed -n 1p "$tmp/err")" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		show stdout "$tmp/out"
		show stderr "$tmp/err"
		echo "# want: $2"
	fi
}

# expect_err_start DESC PREFIX: standard output is empty and standard
# error starts with PREFIX.
expect_err_start()
{
	case $(sed -n 1p "$tmp/err") in
	"$2"*)
		if [ ! -s "$tmp/out" ]; then
			ok "$1"
			return
		fi
		;;
	esac
	not_ok "$1"
	show stdout "$tmp/out"
	show stderr "$tmp/err"
}

# The number of ioctl() in /proc/PID/syscall, and SHMDEV_IOC_WAIT:
# _IOWR(0xBE, 3, struct shmdev_wait), 24 bytes.
case $(uname -m) in
x86_64) sys_ioctl=16 ;;
aarch64 | riscv64) sys_ioctl=29 ;;
*) sys_ioctl= ;;
esac
ioc_wait=0xc018be03

# await_wait DESC PID: a test that PID comes to sleep (state S) in
# ioctl(SHMDEV_IOC_WAIT) within 20 seconds; fails at once if PID ends
# first.
await_wait()
{
	i=0
	state=gone
	while [ $i -lt 200 ]; do
		state=$(sed 's/.*) \(.\).*/\1/' "/proc/$2/stat" 2>/dev/null) || state=gone
		case $state in
		gone | Z | X)
			not_ok "$1"
			echo "# process $2 ended before it waited"
			return 1
			;;
		S)
			if read -r nr _ cmd _ <"/proc/$2/syscall" &&
				[ "$nr" = "$sys_ioctl" ] && [ "$cmd" = "$ioc_wait" ]; then
				ok "$1"
				return 0
			fi
			;;
		esac
		sleep 0.1
		i=$((i + 1))
	done
	not_ok "$1"
	echo "# process $2 not asleep in SHMDEV_IOC_WAIT after 20 s (state $state)"
	return 1
}

if [ -z "$sys_ioctl" ]; then
	echo "Bail out! no ioctl() number known for $(uname -m)"
	exit 1
fi

# Help and usage errors (status 2), with no device needed for --help.
check "shmdevctl --help" 0 shmdevctl --help
expect_line "--help prints the usage" '^Usage: shmdevctl \[--device PATH\] COMMAND'
for c in info size notify wait read write watch pages map trace; do
	check "shmdevctl $c --help" 0 shmdevctl --device /nonexistent $c --help
	expect_line "$c --help text" "^Usage: shmdevctl \[--device PATH\] $c"
done
check "no command" 2 shmdevctl
expect_err "no command: usage on stderr" "Usage: shmdevctl [--device PATH] COMMAND [OPTIONS]"
check "unknown command" 2 shmdevctl frobnicate
expect_err "unknown command named" "shmdevctl: unknown command 'frobnicate'"
check "unknown global option" 2 shmdevctl --bogus info
expect_err "unknown global option named" "shmdevctl: unknown option '--bogus'"
check "unknown subcommand option" 2 shmdevctl info --bogus
expect_err "unknown subcommand option named" "shmdevctl info: unrecognized option '--bogus'"
check "extra argument" 2 shmdevctl notify extra
expect_err "extra argument named" "shmdevctl notify: unexpected argument 'extra'"
check "size: not a number" 2 shmdevctl size abc
expect_err "size: not a number explained" \
	"shmdevctl size: invalid size 'abc' (a byte count such as 4096, 4K, 16M, 1G)"
check "size: negative" 2 shmdevctl size -5
expect_err "size: negative refused" "shmdevctl size: invalid option -- '5'"
check "size: bad suffix" 2 shmdevctl size 1X
expect_err "size: bad suffix explained" \
	"shmdevctl size: invalid size '1X' (a byte count such as 4096, 4K, 16M, 1G)"
check "size: beyond 64 bits" 2 shmdevctl size 99999999999999999999
expect_err "size: beyond 64 bits explained" "shmdevctl size: 99999999999999999999: too large"
check "wait: bad timeout" 2 shmdevctl wait --timeout soon
expect_err "wait: bad timeout explained" "shmdevctl wait: invalid timeout 'soon' (such as 500ms, 2s)"
check "read: bad offset" 2 shmdevctl read --offset -1
expect_err_start "read: bad offset explained" "shmdevctl read: "
check "missing device" 1 shmdevctl --device /nonexistent info
expect_err "missing device explained" \
	"shmdevctl: cannot open /nonexistent: No such file or directory (is the shmdev module loaded?)"

# Sizing.
check "size 16K" 0 shmdevctl size 16K
expect_quiet "size 16K prints nothing"
check "size read back" 0 shmdevctl size
expect "size is 16384" "16384"
check "size above the maximum" 1 shmdevctl size 1T
expect_err "size above the maximum explained" \
	"shmdevctl: size: 1099511627776 is above the maximum (see 'shmdevctl info')"
check "size unchanged" 0 shmdevctl size
expect "size still 16384" "16384"
check "info --json" 0 shmdevctl info --json
expect_line "info --json fields" '^{"size": 16384, "max_size": 268435456, "seq": [0-9]*, "nr_pages": 0, "nr_mappings": 0, "nr_files": 1}$'
check "info" 0 shmdevctl info
expect_line "info table" '^size       16384 (16.0 KiB)$'

# Bytes.
check "write text" 0 shmdevctl write hello world
expect_quiet "write prints nothing"
check "read raw" 0 shmdevctl read --length 11 --raw
expect_raw "read raw bytes" "hello world"
check "read hexdump" 0 shmdevctl read --offset 6 --length 5
expect "hexdump output" "00000006  77 6f 72 6c 64                                    |world|
0000000b"
printf 'from stdin' >"$tmp/in"
check_in "write from stdin" 0 "$tmp/in" shmdevctl write --offset 100
expect_quiet "write from stdin prints nothing"
check "read it back" 0 shmdevctl read --offset 100 --length 10 --raw
expect_raw "stdin bytes" "from stdin"
check "write beyond the size" 1 shmdevctl write --offset 16384 x
expect_err "no space explained" \
	"shmdevctl: write: no space: the region ends before offset 16385 (see 'shmdevctl size')"
check "read beyond the size" 1 shmdevctl read --offset 16000 --length 1000
expect_err "read beyond the size explained" "shmdevctl: read: beyond the size (16384 bytes)"

# Notification.
check "notify" 0 shmdevctl notify
expect_line "notify prints a sequence" '^[0-9][0-9]*$'
seq=$(cat "$tmp/out")
case $seq in
'' | *[!0-9]*) seq=1 ;;
esac
check "wait returns at once for an old sequence" 0 shmdevctl wait --seq $((seq - 1))
expect "wait prints the sequence" "$seq"
check "wait times out" 3 shmdevctl wait --timeout 50ms
expect_err "timeout explained" "shmdevctl: wait: timed out"

shmdevctl watch --count 1 </dev/null >"$tmp/watch" 2>"$tmp/watch.err" &
wpid=$!
if await_wait "watch waits for a notification" $wpid; then
	check "write --notify" 0 shmdevctl write --notify HELLO
	expect_quiet "write --notify prints nothing"
else
	kill $wpid
	not_ok "write --notify (skipped: watch is not waiting)"
	not_ok "write --notify prints nothing (skipped)"
fi
finish $wpid
result "watch exits 0 after one notification" $status
cp "$tmp/watch" "$tmp/out"
cp "$tmp/watch.err" "$tmp/err"
expect_line "watch starts from the current sequence" "^watching: seq $seq, size 16384$"
expect_line "watch reports the notification" "^seq $((seq + 1)) (+1): size 16384"
expect_line "watch reports the changed bytes" "bytes 0-4 changed: 48 45 4c 4c 4f"
if [ -s "$tmp/watch.err" ]; then
	not_ok "watch writes nothing on stderr"
	show stderr "$tmp/watch.err"
else
	ok "watch writes nothing on stderr"
fi
show watch "$tmp/watch"

# pages, map, trace.
check "size 0" 0 shmdevctl size 0
expect_quiet "size 0 prints nothing"
check "size 8K for pages" 0 shmdevctl size 8K
expect_quiet "size 8K prints nothing"
check "pages of an empty region" 0 shmdevctl pages
expect "pages: two absent pages" "index   resident refcount mapcount order  pfn        flags
0       no
1       no"
check "map --write page 1, pages 1 inside" 0 shmdevctl map --write 1 -- shmdevctl pages 1
sed 's/0x[0-9a-f]*/PFN/; s/ *$//' "$tmp/out" >"$tmp/out2"
mv "$tmp/out2" "$tmp/out"
# refcount: the page cache, the PTE, and perhaps the per-CPU LRU batch.
expect_line "pages: page 1 resident, mapped once" '^1 \+yes \+[23] \+1 \+0  PFN \+uptodate,dirty'
check "map: COMMAND's status passes through" 7 shmdevctl map 0 -- sh -c 'exit 7'
expect_quiet "map 0 -- exit 7 prints nothing"
check "map: missing range" 2 shmdevctl map
expect_err "map: missing range explained" "shmdevctl map: missing page range"
check "map: bad range" 2 shmdevctl map 3-1
expect_err "map: bad range explained" "shmdevctl map: invalid page range '3-1' (N, A-B or A-)"
check "map: beyond the size" 1 shmdevctl map 5
expect_err "map: beyond the size explained" "shmdevctl map: page 5 is beyond the size (2 pages)"
check "pages: bad range" 2 shmdevctl pages x
expect_err "pages: bad range explained" "shmdevctl pages: invalid page range 'x' (N, A-B or A-)"
check "pages: range past the end prints the header only" 0 shmdevctl pages 7-
expect "pages 7-: header only" "index   resident refcount mapcount order  pfn        flags"
check "trace a resize" 0 shmdevctl trace -- shmdevctl size 4K
pfn=$(sed -n 's/^shmdev_page_free: index=1 pfn=\(0x[0-9a-f]*\)$/\1/p' "$tmp/out")
expect "trace: the resize event" "shmdev_page_free: index=1 pfn=${pfn:-none}
shmdev_resize: region=1 old=8192 new=4096 dropped=1"
check "trace: COMMAND's status passes through" 5 shmdevctl trace -- sh -c 'exit 5'
expect_quiet "trace -- exit 5 prints nothing"
check "trace: bad option" 2 shmdevctl trace --bogus
expect_err "trace: bad option named" "shmdevctl trace: unrecognized option '--bogus'"
check "size back to 16K" 0 shmdevctl size 16K
expect_quiet "size 16K again prints nothing"

# The demo pair, reader first: the reader prints exactly the writer's lines.
shmdev-reader --timeout 20s </dev/null >"$tmp/reader.out" 2>"$tmp/reader.err" &
rpid=$!
if await_wait "reader waits for the writer" $rpid; then
	check "writer with arguments" 0 shmdev-writer "first line" "second, with  spaces" "" "last"
else
	kill $rpid
	not_ok "writer with arguments (skipped: the reader is not waiting)"
fi
if [ -s "$tmp/out" ]; then
	not_ok "writer prints nothing on stdout"
	show stdout "$tmp/out"
else
	ok "writer prints nothing on stdout"
fi
expect_line_err "writer summary" \
	"^shmdev-writer: 4 messages, 34 bytes, round trip median" "$tmp/err"
finish $rpid
result "reader exits 0 at the end marker" $status
printf 'first line\nsecond, with  spaces\n\nlast\n' >"$tmp/want"
if cmp -s "$tmp/want" "$tmp/reader.out"; then
	ok "reader prints the writer's lines"
else
	not_ok "reader prints the writer's lines"
	show got "$tmp/reader.out"
fi
expect_line_err "reader summary" \
	"^shmdev-reader: 4 messages, 34 bytes, one-way latency" "$tmp/reader.err"

# Writer first: the ring holds the first message until the reader comes.
printf 'one\ntwo\n' >"$tmp/in"
shmdev-writer <"$tmp/in" >"$tmp/wout" 2>"$tmp/werr" &
wpid=$!
if await_wait "writer waits for the reader" $wpid; then
	check "reader after the writer" 0 shmdev-reader --timeout 20s
	printf 'one\ntwo\n' >"$tmp/want"
	if cmp -s "$tmp/want" "$tmp/out"; then
		ok "lines from stdin"
	else
		not_ok "lines from stdin"
		show got "$tmp/out"
	fi
	expect_line_err "reader after the writer: summary" \
		"^shmdev-reader: 2 messages, 6 bytes, one-way latency" "$tmp/err"
else
	kill $wpid
	not_ok "reader after the writer (skipped: the writer is not waiting)"
	not_ok "lines from stdin (skipped)"
	not_ok "reader after the writer: summary (skipped)"
fi
finish $wpid
result "writer from stdin exits 0" $status
if [ -s "$tmp/wout" ]; then
	not_ok "writer from stdin prints nothing on stdout"
	show stdout "$tmp/wout"
else
	ok "writer from stdin prints nothing on stdout"
fi
expect_line_err "writer from stdin summary" \
	"^shmdev-writer: 2 messages, 6 bytes, round trip median" "$tmp/werr"

check "reader times out" 3 shmdev-reader --timeout 100ms
expect_err "reader timeout explained" "shmdev-reader: no message: timed out"
check "reader: bad argument" 2 shmdev-reader --bogus
expect_err "reader: bad argument named" "shmdev-reader: bad argument '--bogus'"
check "writer: bad option" 2 shmdev-writer --bogus
expect_err "writer: bad option named" "shmdev-writer: unknown option '--bogus'"
check "writer --help" 0 shmdev-writer --help
expect_line "writer --help text" '^Usage: shmdev-writer \[MESSAGE\.\.\.\]$'

if [ "$n" -ne "$plan" ]; then
	echo "# planned $plan tests, ran $n"
	exit 1
fi
[ "$failed" -eq 0 ]
