#!/bin/sh
# End-to-end tests of `xsr sim`: exit codes and what the subcommands say.
# XSR_CLI is the built tool (set by tests/meson.build).
set -u
xsr=${XSR_CLI:?XSR_CLI is not set}
base=/tmp
[ -d /dev/shm ] && base=/dev/shm
tmp=$(mktemp -d "$base/xsr-sim-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

. "$(dirname "$0")/../common/expect.sh"

expect_rc 0 "sim --help" "$xsr" sim --help
expect_grep "$tmp/out" '^Usage: xsr sim create' "usage"
expect_rc 2 "sim without a command" "$xsr" sim
expect_rc 2 "unknown sim command" "$xsr" sim frob
expect_rc 2 "create without --type" "$xsr" sim create --memory 4M "$tmp/x.sim"
expect_rc 2 "bad type" "$xsr" sim create --type arm --memory 4M "$tmp/x.sim"
expect_rc 2 "bad size" "$xsr" sim create --type pv --memory lots "$tmp/x.sim"
expect_rc 1 "too much balloon" "$xsr" sim create --type pv --memory 4M --balloon 3M "$tmp/x.sim"
[ -e "$tmp/x.sim" ] && fail "a failed create left a file"
ls "$tmp" | grep -q tmp && fail "a failed create left a temporary file"

for t in pv pv32 hvm; do
    expect_rc 0 "create $t" "$xsr" sim create --type $t --memory 8M --vcpus 2 --balloon 1M "$tmp/$t.sim"
    expect_rc 0 "show $t" "$xsr" sim show "$tmp/$t.sim"
    expect_grep "$tmp/out" '^vcpus +2 online of 2' "show $t: vCPUs"
    expect_rc 0 "create $t renumbered" "$xsr" sim create --type $t --memory 8M --vcpus 2 --balloon 1M \
        --frame-seed 77 "$tmp/$t-b.sim"
    expect_rc 0 "diff $t renumbered" "$xsr" sim diff "$tmp/$t.sim" "$tmp/$t-b.sim"
    expect_grep "$tmp/out" '^the domains are the same$' "diff $t: same"
done
expect_grep "$tmp/out" 'same' "last diff"
expect_rc 1 "diff pv/hvm" "$xsr" sim diff "$tmp/pv.sim" "$tmp/hvm.sim"
expect_grep "$tmp/out" '^guest type: ' "diff pv/hvm says the type"

expect_rc 2 "diff with one file" "$xsr" sim diff "$tmp/pv.sim"
expect_grep "$tmp/err" "Try 'xsr help sim'" "the hint names the sim command"
expect_rc 2 "run without --seconds" "$xsr" sim run "$tmp/pv.sim"
expect_rc 2 "bad workload" "$xsr" sim run --workload warm --seconds 1 "$tmp/pv.sim"
expect_rc 0 "run" "$xsr" sim run --workload sweep,rate=5K --seconds 1 "$tmp/pv.sim"
expect_grep "$tmp/out" '^[1-9][0-9]* page writes in 1 s$' "run reports its writes"
expect_rc 0 "show after run" "$xsr" sim show "$tmp/pv.sim"
expect_grep "$tmp/out" '^state +paused, [1-9][0-9]* workload writes' "run leaves it paused"
expect_rc 1 "diff after run" "$xsr" sim diff --max 2 "$tmp/pv.sim" "$tmp/pv-b.sim"
expect_grep "$tmp/out" '^[1-9][0-9]* differences?$' "diff counts the differences"
expect_grep "$tmp/out" '^\.\.\. and [0-9]+ more differences$' "diff stops listing at --max"

printf 'junk' > "$tmp/junk.sim"
expect_rc 1 "show a non-sim file" "$xsr" sim show "$tmp/junk.sim"
expect_grep "$tmp/err" 'not a sim domain file' "names the problem"
expect_rc 1 "show a missing file" "$xsr" sim show "$tmp/absent.sim"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "xsr sim: all checks passed"
