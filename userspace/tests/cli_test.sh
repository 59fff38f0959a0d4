#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Integration tests of shmdevctl and of the shmdev-writer/shmdev-reader
# pair, against the loaded module: output, exit status, bad arguments;
# named regions, as root and as other users (uids 1000 and 1001, through
# as_user). Prints TAP. Runs as root with /dev/shmdev present (skips
# otherwise).
#
# Every command's exit status and output are checked. Where one process
# must be waiting before another acts, the test waits until /proc shows
# it asleep in SHMDEV_IOC_WAIT, never for a fixed time.

plan=314
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

# finish PID: reap PID, at most 20 s.
finish()
{
	reap "$1" 20
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
expect_line "--help prints the usage" '^Usage: shmdevctl \[--device PATH\] \[--name NAME\] COMMAND'
for c in info size notify wait read write watch pages map trace list create open rm chmod; do
	check "shmdevctl $c --help" 0 shmdevctl --device /nonexistent $c --help
	expect_line "$c --help text" "^Usage: shmdevctl \[--device PATH\] $c"
done
check "no command" 2 shmdevctl
expect_err "no command: usage on stderr" "Usage: shmdevctl [--device PATH] [--name NAME] COMMAND [OPTIONS]"
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
expect_line "info --json fields" '^{"size": 16384, "max_size": 268435456, "seq": [0-9]*, "nr_pages": 0, "nr_mappings": 0, "nr_files": 1, "id": 1, "uid": 0, "gid": 0, "mode": "0600", "charged_uid": 0, "charged": 16384, "flags": \["default"\]}$'
check "info" 0 shmdevctl info
expect_line "info table" '^size       16384 (16.0 KiB)$'
expect_line "info: the default region's id" '^id         1$'
expect_line "info: the default region's mode" '^mode       0600$'
expect_line "info: the default region's charge" '^charged    16384 (16.0 KiB) to uid 0$'
expect_line "info: the default region's flags" '^flags      default$'

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
expect_line "writer --help text" '^Usage: shmdev-writer \[--name NAME | --default-region\] \[--\] \[MESSAGE\.\.\.\]$'
check "reader --help" 0 shmdev-reader --help
expect_line "reader --help text" '^Usage: shmdev-reader \[--name NAME | --default-region\] \[--timeout DURATION\]$'
check "writer: --name without NAME" 2 shmdev-writer --name
expect_err "writer: --name without NAME explained" "shmdev-writer: option '--name' requires an argument"
check "writer: an invalid name" 1 shmdev-writer --name a/b x
expect_err "writer: an invalid name explained" "shmdev-writer: cannot open region a/b: Invalid argument"

# The pair over the default region of /dev/shmdev, as before names.
shmdev-reader --default-region --timeout 20s </dev/null >"$tmp/reader.out" 2>"$tmp/reader.err" &
rpid=$!
if await_wait "reader --default-region waits" $rpid; then
	check "writer --default-region" 0 shmdev-writer --default-region -- "-dash" "default"
else
	kill $rpid
	not_ok "writer --default-region (skipped: the reader is not waiting)"
fi
finish $rpid
result "reader --default-region exits 0" $status
printf '%s\n' -dash default >"$tmp/want"
if cmp -s "$tmp/want" "$tmp/reader.out"; then
	ok "reader --default-region prints the writer's lines"
else
	not_ok "reader --default-region prints the writer's lines"
	show got "$tmp/reader.out"
fi
# The ring's magic, "shmdemo1" as a little-endian u64, at offset 0.
check "the pair used the default region" 0 shmdevctl read --length 8 --raw
expect_raw "the default region holds the ring" "1omedmhs"

# ---- Named regions -------------------------------------------------------

# listed NAME: the line of region NAME in /proc/shmdev/regions, its id
# replaced by ID, in $tmp/out (the names tested here need no escape).
listed()
{
	awk -v n="$1" '$2 == n { $1 = "ID"; print }' /proc/shmdev/regions >"$tmp/out"
	: >"$tmp/err"
}

# region_stat NAME: runs in a shell started by 'shmdevctl open NAME --':
# the stat of the region file its parent holds, found by its link text.
# shellcheck disable=SC2016 # expanded by that shell
region_stat='for f in /proc/$PPID/fd/*; do
	if [ "$(readlink "$f")" = "shmdev:$1" ]; then
		[ -f "$f" ] && stat -L -c "%a %u %g %s" "$f"
	fi
done'

header="id name uid gid mode size pages mappings files seq charged_uid charged flags"

# The listing and its columns.
check "list" 0 shmdevctl list
expect_line "list: the header" '^id  *name  *uid  *gid  *mode  *size  *pages  *mappings  *files  *seq  *charged_uid  *charged  *flags$'
sed -n 2p "$tmp/out" >"$tmp/line2"
# The pair above sized it for the ring: 64280 bytes, 16 pages charged.
if grep -q '^1  *-  *0  *0  *0600  *64280  *[0-9][0-9]*  *0  *0  *[0-9][0-9]*  *0  *65536  *D$' "$tmp/line2"; then
	ok "list: the default region first"
else
	not_ok "list: the default region first"
	show stdout "$tmp/out"
fi
check "list --raw" 0 shmdevctl list --raw
if cmp -s /proc/shmdev/regions "$tmp/out" && [ "$(sed -n 1p "$tmp/out")" = "$header" ]; then
	ok "list --raw: the file, with its header"
else
	not_ok "list --raw: the file, with its header"
	show stdout "$tmp/out"
fi
if awk 'NF != 13 { bad = 1 } END { exit bad }' /proc/shmdev/regions; then
	ok "the listing: 13 columns on every line"
else
	not_ok "the listing: 13 columns on every line"
	show regions /proc/shmdev/regions
fi

# create, list, info, open, rm.
umask 022
check "create" 0 shmdevctl create --size 10000 --mode 0640 t1
expect_quiet "create prints nothing"
listed t1
expect "t1 listed: owner, mode, size, charge" "ID t1 0 0 0640 10000 0 0 0 0 0 12288 -"
check "info --name" 0 shmdevctl info --name t1
expect_line "info --name: the name" '^name       t1$'
expect_line "info --name: the size" '^size       10000 (9.8 KiB)$'
expect_line "info --name: the mode" '^mode       0640$'
expect_line "info --name: the owner" '^uid        0$'
expect_line "info --name: the charge" '^charged    12288 (12.0 KiB) to uid 0$'
expect_line "info --name: the flags" '^flags      named$'
id=$(sed -n 's/^id  *//p' "$tmp/out")
check "info --name --json" 0 shmdevctl info --name t1 --json
expect_line "info --name --json fields" "^{\"size\": 10000, \"max_size\": 268435456, \"seq\": 0, \"nr_pages\": 0, \"nr_mappings\": 0, \"nr_files\": 1, \"id\": $id, \"name\": \"t1\", \"uid\": 0, \"gid\": 0, \"mode\": \"0640\", \"charged_uid\": 0, \"charged\": 12288, \"flags\": \[\"named\"\]}$"
check "create --excl of an existing name" 1 shmdevctl create --excl t1
expect_err "EEXIST explained" "shmdevctl: create t1: File exists"
check "create of an existing name opens it" 0 shmdevctl create --size 4K --mode 0600 t1
expect_quiet "create of an existing name prints nothing"
listed t1
expect "t1 unchanged: size and mode of the first create" "ID t1 0 0 0640 10000 0 0 0 0 0 12288 -"
check "open" 0 shmdevctl open t1
expect_quiet "open prints nothing"
check "open --rdonly holds the file while COMMAND runs" 0 \
	shmdevctl open --rdonly t1 -- sh -c "awk '\$2 == \"t1\" { print \$9 }' /proc/shmdev/regions"
expect "t1 has one open file meanwhile" "1"
check "open -- stat of the region file" 0 shmdevctl open t1 -- sh -c "$region_stat" sh t1
expect "stat: regular file, mode, owner, size" "640 0 0 10000"

# The region commands take --name (or -n before the command).
check "size --name: set" 0 shmdevctl size --name t1 8K
expect_quiet "size --name prints nothing"
check "-n NAME size" 0 shmdevctl -n t1 size
expect "size of t1" "8192"
check "write: the default region" 0 shmdevctl write DEFAULT
check "write --name" 0 shmdevctl write --name t1 named
check "read --name" 0 shmdevctl read --name t1 --length 5 --raw
expect_raw "read --name: the named region's bytes" "named"
check "read: the default region's bytes" 0 shmdevctl read --length 7 --raw
expect_raw "read: the default region's bytes unchanged" "DEFAULT"
check "notify --name" 0 shmdevctl --name=t1 notify
expect "notify --name: t1's first notification" "1"
check "wait --name" 0 shmdevctl wait --name t1 --seq 0
expect "wait --name: t1's sequence" "1"
check "wait --name times out" 3 shmdevctl wait --name t1 --timeout 50ms
expect_err "wait --name: timeout explained" "shmdevctl: wait: timed out"
check "map --name -- pages --name" 0 shmdevctl map --name t1 --write 1 -- shmdevctl pages --name t1 1
expect_line "pages --name: page 1 resident, mapped once" '^1 \+yes \+[23] \+1 \+0 '
check "pages --name: after the unmap" 0 shmdevctl pages --name t1
expect_line "pages --name: page 0 resident" '^0 \+yes '
listed t1
expect "t1 listed: new size, pages, sequence" "ID t1 0 0 0640 8192 2 0 0 1 0 8192 -"

# chmod.
check "chmod" 0 shmdevctl chmod 0604 t1
expect_quiet "chmod prints nothing"
listed t1
expect "chmod: list shows the mode" "ID t1 0 0 0604 8192 2 0 0 1 0 8192 -"
check "chmod: stat of the region file" 0 shmdevctl open t1 -- sh -c "$region_stat" sh t1
expect "chmod: stat shows the mode" "604 0 0 8192"
check "chmod: info shows the mode" 0 shmdevctl info --name t1
expect_line "chmod: info's mode line" '^mode       0604$'

# Errors.
check "open of a missing name" 1 shmdevctl open nosuch
expect_err "ENOENT explained" "shmdevctl: open nosuch: No such file or directory"
check "info --name of a missing name" 1 shmdevctl info --name nosuch
expect_err "info --name: ENOENT explained" "shmdevctl: info nosuch: No such file or directory"
check "rm of a missing name" 1 shmdevctl rm nosuch
expect_err "rm: ENOENT explained" "shmdevctl: rm nosuch: No such file or directory"
check "rm --force of a missing name" 0 shmdevctl rm --force nosuch
expect_quiet "rm --force prints nothing"
check "chmod of a missing name" 1 shmdevctl chmod 0600 nosuch
expect_err "chmod: ENOENT explained" "shmdevctl: chmod nosuch: No such file or directory"
check "create: a name with /" 1 shmdevctl create a/b
expect_err "create: EINVAL explained" "shmdevctl: create a/b: Invalid argument"
long=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
check "create: a name of 64 bytes" 1 shmdevctl create $long
expect_err "create: ENAMETOOLONG explained" "shmdevctl: create $long: File name too long"
check "create: a name of 63 bytes" 0 shmdevctl create ${long#a}
check "create: above max_size" 1 shmdevctl create --size 1T big
expect_err "create: EFBIG explained" "shmdevctl: create big: File too large (above the module's max_size)"
# The module's limits (root may lower them at run time): ENOSPC.
params=/sys/module/shmdev/parameters
max_regions=$(cat $params/max_regions)
echo 1 >$params/max_regions
check "create: max_regions reached" 1 shmdevctl create full
expect_err "create: ENOSPC explained" \
	"shmdevctl: create full: No space left on device (the module's limit on regions or on their total size is reached)"
echo "$max_regions" >$params/max_regions
max_total=$(cat $params/max_total_size)
echo 4096 >$params/max_total_size
check "size: max_total_size reached" 1 shmdevctl size --name t1 1M
expect_err "size: ENOSPC explained" \
	"shmdevctl: size: No space left on device (the module's limit on regions or on their total size is reached)"
echo "$max_total" >$params/max_total_size
check "create: missing name" 2 shmdevctl create
expect_err "create: missing name explained" "shmdevctl create: missing region name"
check "create: a second operand" 2 shmdevctl create x y
expect_err "create: a second operand explained" "shmdevctl create: unexpected argument 'y' (a command goes after --)"
check "create: bad mode" 2 shmdevctl create --mode 999 x
expect_err "create: bad mode explained" "shmdevctl create: invalid mode '999' (octal, at most 0777)"
check "chmod: bad mode" 2 shmdevctl chmod u+w t1
expect_err "chmod: bad mode explained" "shmdevctl chmod: invalid mode 'u+w' (octal, at most 0777)"
check "chmod: missing name" 2 shmdevctl chmod 0600
expect_err "chmod: missing name explained" "shmdevctl chmod: missing region name"
check "rm: missing name" 2 shmdevctl rm
expect_err "rm: missing name explained" "shmdevctl rm: missing region name"
check "list: --name does not apply" 2 shmdevctl list --name t1
expect_err "list: --name refused" "shmdevctl list: option '--name' does not apply"
check "info: --name without NAME" 2 shmdevctl info --name
expect_err "info: --name without NAME explained" "shmdevctl info: option '--name' requires an argument"

# --autoremove: the name lasts while COMMAND holds the region.
# shellcheck disable=SC2016 # awk's fields
check "create --autoremove -- list" 0 shmdevctl create --autoremove --size 4K tmp1 -- \
	awk '$2 == "tmp1" { $1 = "ID"; print }' /proc/shmdev/regions
expect "tmp1 listed with flag A while held" "ID tmp1 0 0 0600 4096 0 0 1 0 0 4096 A"
listed tmp1
expect_quiet "tmp1 gone once COMMAND ended"
check "create -- COMMAND: its status passes through" 7 shmdevctl create --autoremove tmp2 -- sh -c 'exit 7'
expect_quiet "create -- exit 7 prints nothing"

# Other users: uid 1000 and 1001 (through as_user), with /dev/shmdev open
# to everyone meanwhile.
node_mode=$(stat -c %a /dev/shmdev)
chmod 0666 /dev/shmdev
check "another user's rm: EPERM" 1 as_user 1000 shmdevctl rm t1
expect_err "rm: EPERM explained" "shmdevctl: rm t1: Operation not permitted"
check "another user's chmod: EPERM" 1 as_user 1000 shmdevctl chmod 0666 t1
expect_err "chmod: EPERM explained" "shmdevctl: chmod t1: Operation not permitted"
check "another user reads a 0604 region" 0 as_user 1000 shmdevctl read --name t1 --length 5 --raw
expect_raw "another user reads the bytes" "named"
check "another user reads the size of a 0604 region" 0 as_user 1000 shmdevctl size --name t1
expect "another user reads the size" "8192"
check "another user may not write a 0604 region" 1 as_user 1000 shmdevctl write --name t1 x
expect_err "EACCES for writing explained" "shmdevctl: write t1: Permission denied"
listed t1
expect "t1 unchanged by the other user" "ID t1 0 0 0604 8192 2 0 0 1 0 8192 -"
check "uid 1000 creates u1" 0 as_user 1000 shmdevctl create --size 4K --mode 0600 u1
listed u1
expect "u1: owned by and charged to uid 1000" "ID u1 1000 1000 0600 4096 0 0 0 0 1000 4096 -"
check "uid 1001 denied a 0600 region" 1 as_user 1001 shmdevctl open u1
expect_err "EACCES explained" "shmdevctl: open u1: Permission denied"
check "uid 1001 denied info of a 0600 region" 1 as_user 1001 shmdevctl info --name u1
expect_err "info: EACCES explained" "shmdevctl: info u1: Permission denied"
check "uid 1001 may not chmod it" 1 as_user 1001 shmdevctl chmod 0666 u1
expect_err "chmod by another user: EACCES to open first" "shmdevctl: chmod u1: Permission denied"
check "its owner chmods it 0666" 0 as_user 1000 shmdevctl chmod 0666 u1
check "uid 1001 allowed after chmod 0666" 0 as_user 1001 shmdevctl open u1
expect_quiet "uid 1001 opens it quietly"
check "uid 1001 writes and notifies" 0 as_user 1001 shmdevctl write --name u1 --notify from1001
check "uid 1000 reads what 1001 wrote" 0 as_user 1000 shmdevctl read --name u1 --length 8 --raw
expect_raw "uid 1000 reads the bytes" "from1001"
check "uid 1001 may not rm it" 1 as_user 1001 shmdevctl rm u1
expect_err "rm by another user: EPERM" "shmdevctl: rm u1: Operation not permitted"
check "uid 1000 resizes past its locked-memory limit" 1 as_user 1000 sh -c 'ulimit -l 64 && exec shmdevctl size --name u1 1M'
expect_err "ENOMEM explained" "shmdevctl: size: Cannot allocate memory (above your locked-memory limit: see ulimit -l)"
check "uid 1000 creates past its locked-memory limit" 1 as_user 1000 sh -c 'ulimit -l 64 && exec shmdevctl create --size 1M big'
expect_err "create: ENOMEM explained" "shmdevctl: create big: Cannot allocate memory (above your locked-memory limit: see ulimit -l)"
check "its owner removes it" 0 as_user 1000 shmdevctl rm u1
expect_quiet "rm prints nothing"
listed u1
expect_quiet "u1 gone"

# The demo pair as uid 1000, over the named region "demo": the reader
# creates it, the writer opens it, uid 1001 cannot join, and the name goes
# with them.
as_user 1000 shmdev-reader --timeout 20s </dev/null >"$tmp/reader.out" 2>"$tmp/reader.err" &
rpid=$!
if await_wait "uid 1000: reader waits in the region demo" $rpid; then
	listed demo
	sed 's/^\(ID demo 1000 1000 0600 64280\) [0-9]* \([0-9]* [0-9]* [0-9]*\) \(1000 65536 A\)$/\1 \3/' \
		"$tmp/out" >"$tmp/out2"
	mv "$tmp/out2" "$tmp/out"
	expect "demo: uid 1000's, 0600, the ring's size, autoremove" "ID demo 1000 1000 0600 64280 1000 65536 A"
	check "uid 1001 cannot join" 1 as_user 1001 shmdev-writer intruder
	expect_err "uid 1001: EACCES explained" "shmdev-writer: cannot open region demo: Permission denied"
	check "uid 1000: writer" 0 as_user 1000 shmdev-writer "as uid 1000" "through demo"
	expect_line_err "uid 1000: writer summary" \
		"^shmdev-writer: 2 messages, 23 bytes, round trip median" "$tmp/err"
else
	kill $rpid
	for t in "demo listed" "uid 1001 cannot join" "uid 1001: EACCES explained" \
		"uid 1000: writer" "uid 1000: writer summary"; do
		not_ok "$t (skipped: the reader is not waiting)"
	done
fi
finish $rpid
result "uid 1000: reader exits 0" $status
printf 'as uid 1000\nthrough demo\n' >"$tmp/want"
if cmp -s "$tmp/want" "$tmp/reader.out"; then
	ok "uid 1000: the reader prints the writer's lines"
else
	not_ok "uid 1000: the reader prints the writer's lines"
	show got "$tmp/reader.out"
	show stderr "$tmp/reader.err"
fi
listed demo
expect_quiet "demo gone with the pair"
chmod "$node_mode" /dev/shmdev

# Names live in the IPC namespace: a new one (unshare -i) lists the default
# region only, and its names stay in it. On 6.1 the module refuses names
# outside the initial IPC namespace (EOPNOTSUPP).
check "list in a new IPC namespace" 0 unshare -i shmdevctl list --raw
if [ "$(wc -l <"$tmp/out")" -eq 2 ] && sed -n 2p "$tmp/out" | grep -q '^1 - .* D$'; then
	ok "a new IPC namespace lists the default region only"
else
	not_ok "a new IPC namespace lists the default region only"
	show stdout "$tmp/out"
fi
case $(uname -r) in
6.1.*)
	check "create in a new IPC namespace (6.1)" 1 unshare -i shmdevctl create nsx
	expect_err "6.1: EOPNOTSUPP explained" "shmdevctl: create nsx: Operation not supported"
	;;
*)
	check "create in a new IPC namespace" 0 unshare -i sh -c 'shmdevctl create nsx && shmdevctl list --raw'
	expect_line "nsx listed in its namespace" '^[0-9]* nsx 0 0 0600 0 '
	;;
esac
listed nsx
expect_quiet "nsx not listed outside its namespace"

# Root removes what is left.
check "rm of several names" 0 shmdevctl rm t1 ${long#a}
expect_quiet "rm of several names prints nothing"
listed t1
expect_quiet "t1 gone"
check "open after rm" 1 shmdevctl open t1
expect_err "open after rm: ENOENT" "shmdevctl: open t1: No such file or directory"

if [ "$n" -ne "$plan" ]; then
	echo "# planned $plan tests, ran $n"
	exit 1
fi
[ "$failed" -eq 0 ]
