# Shell helpers of the migration tests, sourced after tests/common/expect.sh
# with $xsr and $tmp set: the guest is $tmp/src.sim, the receiver's file
# $tmp/out.sim.

new_guest() { # NAME [TYPE]
    "$xsr" sim create --type "${2:-pv}" --memory 16M --seed 7 "$tmp/$1" >/dev/null ||
        fail "sim create $1"
}

# exactly_once WHAT: either the source runs on (and nothing is received), or
# the receiver has the guest (and the source is gone)
exactly_once() {
    if [ -e "$tmp/out.sim" ]; then
        [ -e "$tmp/src.sim" ] && fail "$1: the guest exists twice"
    else
        [ -e "$tmp/src.sim" ] || fail "$1: the guest is lost"
        "$xsr" sim show "$tmp/src.sim" | grep -q '^state *running' ||
            fail "$1: the source's guest does not run again"
    fi
    [ -e "$tmp/out.sim--incoming" ] && fail "$1: the receiver left out.sim--incoming"
    return 0
}

# source_kept WHAT: a refused migration: the source runs on, nothing received
source_kept() {
    [ -e "$tmp/out.sim" ] && fail "$1: the receiver kept out.sim"
    exactly_once "$1"
}

# start_receiver ERRFILE [PREFIX...] -- ARG...: run PREFIX... xsr
# migrate-receive ARG... in the background (stderr to ERRFILE); sets rx (its
# pid) and port (where it listens, from its "listening on" line)
start_receiver() {
    rx_err=$1; shift
    prefix=
    while [ "$1" != -- ]; do prefix="$prefix $1"; shift; done
    shift
    # shellcheck disable=SC2086 # the prefix is words (ip netns exec NS)
    $prefix "$xsr" migrate-receive "$@" 2>"$rx_err" &
    rx=$!
    port=
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do
        port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$rx_err")
        [ -n "$port" ] && return 0
        kill -0 "$rx" 2>/dev/null || break
        sleep 0.2
    done
    fail "the receiver did not say where it listens: $(cat "$rx_err")"
    kill "$rx" 2>/dev/null
    wait "$rx"
    return 1
}

# wait_receiver WANT WHAT: the background receiver's exit status must be WANT
wait_receiver() {
    wait "$rx"
    got=$?
    [ "$got" -eq "$1" ] || fail "$2: migrate-receive exit status $got, expected $1: $(cat "$rx_err")"
}
