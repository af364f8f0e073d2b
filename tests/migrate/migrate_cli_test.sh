#!/bin/sh
# xsr migrate and xsr migrate-receive end to end: over a pipe and over
# loopback TCP, live with a workload; and a migration cut, corrupted or
# stalled at many points, after which the guest exists exactly once: the
# source runs it (its file intact) and the receiver kept nothing (no OUT,
# no OUT--incoming), or the receiver runs it and the source's file is gone.
set -u
xsr=${XSR_CLI:?XSR_CLI is not set}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-migrate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
. "$XSR_SRCDIR/tests/common/expect.sh"
. "$XSR_SRCDIR/tests/migrate/common.sh"

# 1. over a pipe, not live: the receiver's domain equals the source's
new_guest src.sim
cp "$tmp/src.sim" "$tmp/ref.sim"
expect_rc 0 "migrate --pipe" "$xsr" migrate -q --no-live \
    --pipe "'$xsr' migrate-receive -q '$tmp/out.sim'" "$tmp/src.sim"
[ -e "$tmp/src.sim" ] && fail "the source's guest was not destroyed"
expect_rc 0 "sim diff after a migration" "$xsr" sim diff "$tmp/ref.sim" "$tmp/out.sim"
"$xsr" sim show "$tmp/out.sim" | grep -q '^state *running' || fail "the received guest does not run"
rm -f "$tmp/out.sim" "$tmp/ref.sim"

# 2. live over loopback TCP, with a workload, HVM and PV-32 too
for type in pv hvm pv32; do
    new_guest src.sim $type
    start_receiver "$tmp/rx.err" -- -q --listen 127.0.0.1:0 "$tmp/out.sim" ||
        { rm -f "$tmp/src.sim"; continue; }
    expect_rc 0 "live migrate --to ($type)" "$xsr" migrate -q --to "127.0.0.1:$port" \
        --workload hot:10,rate=5K "$tmp/src.sim"
    wait_receiver 0 "live $type"
    exactly_once "live $type"
    [ -e "$tmp/out.sim" ] || fail "$type: nothing received"
    rm -f "$tmp/out.sim" "$tmp/src.sim"
done

# 3. the connection cut after N bytes, one byte changed at N, a peer that
# never answers: the source keeps its guest, running
cases=0
for n in 0 10 54 60 1000 5000 100000 1000000 4000000 12000000; do
    new_guest src.sim
    "$xsr" migrate -q --idle-timeout 3 \
        --pipe "head -c $n | '$xsr' migrate-receive -q --idle-timeout 3 '$tmp/out.sim'" \
        "$tmp/src.sim" >/dev/null 2>"$tmp/err"
    exactly_once "cut at $n"
    rm -f "$tmp/out.sim" "$tmp/src.sim"
    new_guest src.sim
    "$xsr" migrate -q --idle-timeout 3 \
        --pipe "python3 -c 'import sys
i, o = sys.stdin.buffer, sys.stdout.buffer
d = i.read($n + 1)
if len(d) > $n: d = d[:$n] + bytes([d[$n] ^ 0x40])
o.write(d); o.flush()
while True:
    b = i.read1(65536)
    if not b: break
    o.write(b); o.flush()' | '$xsr' migrate-receive -q --idle-timeout 3 '$tmp/out.sim'" \
        "$tmp/src.sim" >/dev/null 2>"$tmp/err"
    exactly_once "byte $n corrupted"
    rm -f "$tmp/out.sim" "$tmp/src.sim"
    cases=$((cases + 2))
done
new_guest src.sim
expect_rc 1 "a peer that never answers" "$xsr" migrate -q --idle-timeout 1 --pipe "sleep 5" \
    "$tmp/src.sim"
expect_grep "$tmp/err" "runs on here" "a stalled migration says where the guest is"
exactly_once "stalled peer"
cases=$((cases + 1))

# a receiver killed mid-stream
"$xsr" migrate -q --idle-timeout 3 --workload rate=5K \
    --pipe "'$xsr' migrate-receive -q '$tmp/out.sim' & r=\$!; sleep 0.3; kill -9 \$r; wait" \
    "$tmp/src.sim" >/dev/null 2>&1
# a receiver killed by SIGKILL cannot clean up: what it built is still named
# --incoming (as xl's domain is), never OUT
rm -f "$tmp/out.sim--incoming"
exactly_once "receiver killed"
cases=$((cases + 1))

# 4. refusals
touch "$tmp/exists.sim"
expect_rc 2 "an existing OUT" "$xsr" migrate-receive "$tmp/exists.sim"
expect_rc 2 "plain TCP in the open" "$xsr" migrate-receive --listen 0.0.0.0:0 "$tmp/o.sim"
expect_grep "$tmp/err" "without TLS" "the refusal says why"
expect_rc 2 "migrate needs a peer" "$xsr" migrate "$tmp/src.sim"

echo "$cases failure cases; $failures failure(s)"
[ "$failures" -eq 0 ]
