#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Integration tests of shmdevctl and of the shmdev-writer/shmdev-reader
# pair, against the loaded module: output, exit status, bad arguments.
# Prints TAP. Runs as root with /dev/shmdev present (skips otherwise).

n=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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

# check DESC EXPECTED_STATUS COMMAND...: runs COMMAND, keeps its output in
# $tmp/out and $tmp/err, and checks its exit status.
check()
{
	desc=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# '$*' exited $got, expected $want"
		sed 's/^/# stderr: /' "$tmp/err"
	fi
}

# expect DESC TEXT: the last command's standard output is exactly TEXT.
expect()
{
	printf '%s\n' "$2" >"$tmp/want"
	if cmp -s "$tmp/want" "$tmp/out"; then
		ok "$1"
	else
		not_ok "$1"
		sed 's/^/# got: /' "$tmp/out"
		sed 's/^/# want: /' "$tmp/want"
	fi
}

# expect_raw DESC TEXT: as expect, with no newline after TEXT.
expect_raw()
{
	printf '%s' "$2" >"$tmp/want"
	if cmp -s "$tmp/want" "$tmp/out"; then
		ok "$1"
	else
		not_ok "$1"
		od -c "$tmp/out" | sed 's/^/# got: /'
	fi
}

# expect_err DESC PATTERN: the last command's standard error matches.
expect_err()
{
	if grep -q -- "$2" "$tmp/err"; then
		ok "$1"
	else
		not_ok "$1"
		sed 's/^/# stderr: /' "$tmp/err"
	fi
}

echo "TAP version 13"
if [ ! -c /dev/shmdev ]; then
	echo "1..0 # SKIP /dev/shmdev is absent"
	exit 4
fi

# Help and usage errors (status 2), with no device needed for --help.
check "shmdevctl --help" 0 shmdevctl --help
grep -q '^Usage: shmdevctl' "$tmp/out" && ok "--help prints the usage" || not_ok "--help prints the usage"
for c in info size notify wait read write watch pages map trace; do
	check "shmdevctl $c --help" 0 shmdevctl --device /nonexistent $c --help
	grep -q "^Usage: shmdevctl \[--device PATH\] $c" "$tmp/out" &&
		ok "$c --help text" || not_ok "$c --help text"
done
check "no command" 2 shmdevctl
check "unknown command" 2 shmdevctl frobnicate
expect_err "unknown command named" "unknown command 'frobnicate'"
check "unknown global option" 2 shmdevctl --bogus info
check "unknown subcommand option" 2 shmdevctl info --bogus
check "extra argument" 2 shmdevctl notify extra
check "size: not a number" 2 shmdevctl size abc
expect_err "size: not a number explained" "invalid size 'abc'"
check "size: negative" 2 shmdevctl size -5
check "size: bad suffix" 2 shmdevctl size 1X
check "size: beyond 64 bits" 2 shmdevctl size 99999999999999999999
check "wait: bad timeout" 2 shmdevctl wait --timeout soon
check "read: bad offset" 2 shmdevctl read --offset -1
check "missing device" 1 shmdevctl --device /nonexistent info
expect_err "missing device explained" "cannot open /nonexistent"

# Sizing.
check "size 16K" 0 shmdevctl size 16K
check "size read back" 0 shmdevctl size
expect "size is 16384" "16384"
check "size above the maximum" 1 shmdevctl size 1T
check "size unchanged" 0 shmdevctl size
expect "size still 16384" "16384"
check "info --json" 0 shmdevctl info --json
grep -q '"size": 16384, "max_size": 268435456' "$tmp/out" &&
	ok "info --json fields" || not_ok "info --json fields"
check "info" 0 shmdevctl info
grep -q '^size       16384 (16.0 KiB)$' "$tmp/out" &&
	ok "info table" || not_ok "info table"

# Bytes.
check "write text" 0 shmdevctl write hello world
check "read raw" 0 shmdevctl read --length 11 --raw
expect_raw "read raw bytes" "hello world"
check "read hexdump" 0 shmdevctl read --offset 6 --length 5
expect "hexdump output" "00000006  77 6f 72 6c 64                                    |world|
0000000b"
printf 'from stdin' | shmdevctl write --offset 100 >"$tmp/out" 2>"$tmp/err" &&
	ok "write from stdin" || not_ok "write from stdin"
check "read it back" 0 shmdevctl read --offset 100 --length 10 --raw
expect_raw "stdin bytes" "from stdin"
check "write beyond the size" 1 shmdevctl write --offset 16384 x
expect_err "no space explained" "no space"
check "read beyond the size" 1 shmdevctl read --offset 16000 --length 1000

# Notification.
check "notify" 0 shmdevctl notify
seq=$(cat "$tmp/out")
check "wait returns at once for an old sequence" 0 shmdevctl wait --seq $((seq - 1))
expect "wait prints the sequence" "$seq"
check "wait times out" 3 shmdevctl wait --timeout 50ms
expect_err "timeout explained" "timed out"

shmdevctl watch --count 1 >"$tmp/watch" 2>&1 &
wpid=$!
sleep 1
shmdevctl write --notify HELLO
wait $wpid
grep -q "^seq $((seq + 1)) (+1): size 16384" "$tmp/watch" &&
	ok "watch reports the notification" || not_ok "watch reports the notification"
grep -q "bytes 0-4 changed: 48 45 4c 4c 4f" "$tmp/watch" &&
	ok "watch reports the changed bytes" || not_ok "watch reports the changed bytes"
cat "$tmp/watch" | sed 's/^/# /'

# pages, map, trace.
shmdevctl size 0
check "size 8K for pages" 0 shmdevctl size 8K
check "pages of an empty region" 0 shmdevctl pages
expect "pages: two absent pages" "index   resident refcount mapcount order  pfn        flags
0       no
1       no"
check "map --write page 1, pages 1 inside" 0 shmdevctl map --write 1 -- shmdevctl pages 1
sed 's/0x[0-9a-f]*/PFN/; s/ *$//' "$tmp/out" >"$tmp/out2"
mv "$tmp/out2" "$tmp/out"
# refcount: the page cache, the PTE, and perhaps the per-CPU LRU batch.
grep -Eq '^1 +yes +(2|3) +1 +0  PFN +uptodate,dirty' "$tmp/out" &&
	ok "pages: page 1 resident, mapped once" || { not_ok "pages: page 1 resident, mapped once"; sed 's/^/# /' "$tmp/out"; }
check "map: COMMAND's status passes through" 7 shmdevctl map 0 -- sh -c 'exit 7'
check "map: missing range" 2 shmdevctl map
expect_err "map: missing range explained" "missing page range"
check "map: bad range" 2 shmdevctl map 3-1
expect_err "map: bad range explained" "invalid page range '3-1'"
check "map: beyond the size" 1 shmdevctl map 5
expect_err "map: beyond the size explained" "page 5 is beyond the size (2 pages)"
check "pages: bad range" 2 shmdevctl pages x
check "pages: range past the end prints the header only" 0 shmdevctl pages 7-
[ "$(wc -l <"$tmp/out")" -eq 1 ] && ok "pages 7-: header only" || not_ok "pages 7-: header only"
check "trace a resize" 0 shmdevctl trace -- shmdevctl size 4K
expect "trace: the resize event" "shmdev_page_free: index=1 pfn=$(sed -n 's/.*pfn=\(0x[0-9a-f]*\).*/\1/p' "$tmp/out")
shmdev_resize: region=1 old=8192 new=4096 dropped=1"
check "trace: COMMAND's status passes through" 5 shmdevctl trace -- sh -c 'exit 5'
check "trace: bad option" 2 shmdevctl trace --bogus
check "size back to 16K" 0 shmdevctl size 16K

# The demo pair: the reader prints exactly the writer's lines.
shmdev-reader --timeout 20s >"$tmp/reader.out" 2>"$tmp/reader.err" &
rpid=$!
check "writer with arguments" 0 shmdev-writer "first line" "second, with  spaces" "" "last"
wait $rpid
[ $? -eq 0 ] && ok "reader exits 0 at the end marker" || not_ok "reader exits 0 at the end marker"
printf 'first line\nsecond, with  spaces\n\nlast\n' >"$tmp/want"
cmp -s "$tmp/want" "$tmp/reader.out" && ok "reader prints the writer's lines" ||
	not_ok "reader prints the writer's lines"
grep -q "^shmdev-reader: 4 messages, 34 bytes, one-way latency" "$tmp/reader.err" &&
	ok "reader summary" || not_ok "reader summary"
grep -q "^shmdev-writer: 4 messages, 34 bytes, round trip median" "$tmp/err" &&
	ok "writer summary" || not_ok "writer summary"

# Writer first: the ring holds the messages until the reader comes.
printf 'one\ntwo\n' | shmdev-writer >"$tmp/wout" 2>&1 &
wpid=$!
sleep 1
check "reader after the writer" 0 shmdev-reader --timeout 20s
expect "lines from stdin" "one
two"
wait $wpid
[ $? -eq 0 ] && ok "writer from stdin exits 0" || not_ok "writer from stdin exits 0"

check "reader times out" 3 shmdev-reader --timeout 100ms
check "reader: bad argument" 2 shmdev-reader --bogus
check "writer: bad option" 2 shmdev-writer --bogus
check "writer --help" 0 shmdev-writer --help

echo "1..$n"
[ "$failed" -eq 0 ]
