#!/bin/sh
# xsr migrate between two network namespaces joined by a veth pair: the
# receiver listens on its namespace's address (plain with --insecure, and
# with TLS when openssl can make certificates), the sender connects from the
# other.  Needs root and ip(8) with network namespaces; skipped otherwise.
set -u
xsr=${XSR_CLI:?XSR_CLI is not set}
skip() { echo "skipping: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
command -v ip >/dev/null || skip "no ip(8) (iproute2)"
rxns=xsr-rx-$$
txns=xsr-tx-$$
ip netns add "$rxns" 2>/dev/null || skip "ip netns add fails here (no network namespaces)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-migrate-netns.XXXXXX")
trap 'ip netns del "$rxns" 2>/dev/null; ip netns del "$txns" 2>/dev/null; rm -rf "$tmp"' EXIT
ip netns add "$txns" || skip "cannot make a second namespace"
. "$XSR_SRCDIR/tests/common/expect.sh"
. "$XSR_SRCDIR/tests/migrate/common.sh"

# the pair is made in the receiver's namespace, one end moved to the sender's
rxip=10.231.0.1
txip=10.231.0.2
ip -n "$rxns" link add xsr-rx type veth peer name xsr-tx &&
    ip -n "$rxns" link set xsr-tx netns "$txns" &&
    ip -n "$rxns" addr add "$rxip/24" dev xsr-rx &&
    ip -n "$txns" addr add "$txip/24" dev xsr-tx &&
    ip -n "$rxns" link set xsr-rx up &&
    ip -n "$txns" link set xsr-tx up || skip "cannot make a veth pair between the namespaces"

rx_in() { start_receiver "$tmp/rx.err" ip netns exec "$rxns" -- "$@"; }
tx_in() { ip netns exec "$txns" "$xsr" "$@"; }

# 1. not live, plain TCP (--insecure: not loopback): the domains are equal
new_guest src.sim
cp "$tmp/src.sim" "$tmp/ref.sim"
rx_in -q --insecure --listen "$rxip:0" "$tmp/out.sim" && {
    expect_rc 0 "migrate between namespaces" tx_in migrate -q --no-live --to "$rxip:$port" \
        "$tmp/src.sim"
    wait_receiver 0 "migrate between namespaces"
    exactly_once "migrate between namespaces"
    expect_rc 0 "the domain received equals the source's" \
        "$xsr" sim diff "$tmp/ref.sim" "$tmp/out.sim"
}
rm -f "$tmp/out.sim" "$tmp/src.sim" "$tmp/ref.sim"

# 2. live with a workload, over TLS when certificates can be made
new_guest src.sim
tls_rx='' tls_tx=''
if command -v openssl >/dev/null && mkdir "$tmp/c" &&
    sh "$XSR_SRCDIR/tests/migrate/mkcerts.sh" "$tmp/c"; then
    c=$tmp/c
    tls_rx="--tls-cert $c/receiver.pem --tls-key $c/receiver.key --tls-ca $c/migration-ca.pem"
    tls_tx="--tls-cert $c/sender.pem --tls-key $c/sender.key --tls-ca $c/migration-ca.pem"
else
    tls_rx=--insecure
fi
# shellcheck disable=SC2086 # the options are words
rx_in -q $tls_rx --listen "$rxip:0" "$tmp/out.sim" && {
    # shellcheck disable=SC2086
    expect_rc 0 "live migrate between namespaces" tx_in migrate -q $tls_tx \
        --workload hot:10,rate=5K --to "$rxip:$port" "$tmp/src.sim"
    wait_receiver 0 "live migrate between namespaces"
    exactly_once "live migrate between namespaces"
    [ -e "$tmp/out.sim" ] || fail "live migrate between namespaces: nothing received"
}

[ "$failures" -eq 0 ] && echo "migrated between namespaces $rxns and $txns (${tls_tx:+TLS})"
[ "$failures" -eq 0 ]
