#!/bin/sh
# End-to-end tests of `xsr restore`: exit codes, what it says, and that a
# refused image leaves no file.  XSR_CLI is the built tool.
set -u
xsr=${XSR_CLI:?XSR_CLI is not set}
base=/tmp
[ -d /dev/shm ] && base=/dev/shm
tmp=$(mktemp -d "$base/xsr-restore-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

. "$(dirname "$0")/../common/expect.sh"

nothing_left() {
    [ -z "$(ls "$tmp" | grep -v '\.xl$' | grep -v '^out$' | grep -v '^err$')" ] ||
        fail "$1: left $(ls "$tmp" | tr '\n' ' ')"
}

expect_rc 0 "--help" "$xsr" restore --help
expect_grep "$tmp/out" '^Usage: xsr restore' "usage"
expect_rc 2 "no operands" "$xsr" restore
expect_rc 2 "one operand" "$xsr" restore "$tmp/a.xl"
expect_rc 2 "sim to stdout" "$xsr" restore "$tmp/a.xl" -
expect_rc 2 "bad --progress" "$xsr" restore --progress loud "$tmp/a.xl" "$tmp/a.sim"
expect_rc 2 "bad --vcpus" "$xsr" restore --vcpus 0 "$tmp/a.xl" "$tmp/a.sim"

for g in pv pv32 hvm; do
    expect_rc 0 "generate $g" "$xsr" generate --guest $g --vcpus 2 --live-passes 1 --all-records "$tmp/$g.xl"
    expect_rc 0 "restore $g" "$xsr" restore "$tmp/$g.xl" "$tmp/$g.sim"
    expect_grep "$tmp/out" "pages written .*2 vCPUs|HVM guest" "restore $g: summary"
    expect_empty "$tmp/err" "restore $g: no progress line when not on a terminal"
    expect_rc 0 "show $g" "$xsr" sim show "$tmp/$g.sim"
    expect_grep "$tmp/out" 'paused' "restore $g: left paused"
    rm -f "$tmp/$g.sim"
done

# standard input, JSON progress, unpause
expect_rc 0 "restore from stdin" sh -c "cat '$tmp/pv.xl' | '$xsr' restore --progress json --unpause - '$tmp/in.sim'"
expect_grep "$tmp/err" '^\{"event":"progress","phase":"done",.*"bytes":[0-9]+,' "json progress: the last line"
expect_grep "$tmp/out" 'running$' "unpaused"
expect_rc 0 "quiet" "$xsr" restore -q "$tmp/hvm.xl" "$tmp/q.sim"
expect_empty "$tmp/out" "quiet: no summary"
rm -f "$tmp/in.sim" "$tmp/q.sim"

# refusals: a truncated image, a damaged record; nothing is left
size=$(wc -c <"$tmp/pv.xl")
head -c $((size / 2)) "$tmp/pv.xl" >"$tmp/cut.xl"
expect_rc 1 "truncated" "$xsr" restore "$tmp/cut.xl" "$tmp/cut.sim"
expect_grep "$tmp/err" 'offset 0x[0-9a-f]+' "truncated: located"
expect_grep "$tmp/err" 'nothing was restored' "truncated: says so"
nothing_left "truncated"
expect_rc 1 "not an image" "$xsr" restore "$0" "$tmp/x.sim"
nothing_left "not an image"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed" >&2; exit 1; }
echo "restore cli: all checks passed"
