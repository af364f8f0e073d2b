#!/bin/sh
# xsr migrate and xsr migrate-receive over TLS with mutual authentication,
# end to end through the CLI: a live migration between peers whose
# certificates the migration CA signed, and refusals (a CA that did not sign
# the peer, no client certificate, an expired one, an unknown peer), after
# each of which the source's guest runs on and the receiver kept nothing.
# shellcheck disable=SC2046 # tls prints the words of options
set -u
xsr=${XSR_CLI:?XSR_CLI is not set}
if ! command -v openssl >/dev/null; then
    echo "skipping: no openssl to make the test certificates"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-migrate-tls.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
. "$XSR_SRCDIR/tests/common/expect.sh"
. "$XSR_SRCDIR/tests/migrate/common.sh"

c=$tmp/certs
mkdir "$c" && sh "$XSR_SRCDIR/tests/migrate/mkcerts.sh" "$c" || { fail "mkcerts.sh"; exit 1; }
openssl verify -CAfile "$c/migration-ca.pem" "$c/expired.pem" 2>&1 | grep -q expired ||
    fail "the expired certificate is not expired"

tls() { # NAME CA: the options of a peer with NAME's certificate that trusts CA
    echo "--tls-cert $c/$1.pem --tls-key $c/$1.key --tls-ca $c/$2.pem"
}

# 1. mutual authentication: not live (the domains are equal), then live with
# a workload and compressed
new_guest src.sim
cp "$tmp/src.sim" "$tmp/ref.sim"
start_receiver "$tmp/rx.err" -- -q $(tls receiver migration-ca) --listen 127.0.0.1:0 \
    "$tmp/out.sim" && {
    expect_rc 0 "migrate over TLS" "$xsr" migrate -q --no-live $(tls sender migration-ca) \
        --to "127.0.0.1:$port" "$tmp/src.sim"
    wait_receiver 0 "migrate over TLS"
    exactly_once "migrate over TLS"
    expect_rc 0 "the domain received over TLS equals the source's" \
        "$xsr" sim diff "$tmp/ref.sim" "$tmp/out.sim"
}
rm -f "$tmp/out.sim" "$tmp/src.sim" "$tmp/ref.sim"

new_guest src.sim
start_receiver "$tmp/rx.err" -- -q --compress zstd $(tls receiver migration-ca) \
    --listen 127.0.0.1:0 "$tmp/out.sim" && {
    expect_rc 0 "live migrate over TLS, compressed" "$xsr" migrate -q --compress zstd \
        --workload hot:10,rate=5K $(tls sender migration-ca) --to "127.0.0.1:$port" \
        "$tmp/src.sim"
    wait_receiver 0 "live migrate over TLS"
    exactly_once "live migrate over TLS"
    [ -e "$tmp/out.sim" ] || fail "live migrate over TLS: nothing received"
}
rm -f "$tmp/out.sim" "$tmp/src.sim"

# 2. refusals.  refused WHAT RX_TLS TX_TLS WHO: a sender with options TX_TLS
# is refused by a receiver with RX_TLS; WHO (rx or tx) says which side
# refuses the other's certificate and must say so
refused() {
    new_guest src.sim
    # shellcheck disable=SC2086
    start_receiver "$tmp/rx.err" -- -q --idle-timeout 3 $2 --listen 127.0.0.1:0 \
        "$tmp/out.sim" || { rm -f "$tmp/src.sim"; return; }
    # shellcheck disable=SC2086
    expect_rc 1 "$1: migrate" "$xsr" migrate -q --idle-timeout 3 --workload hot:10,rate=5K \
        $3 --to "127.0.0.1:$port" "$tmp/src.sim"
    cp "$tmp/err" "$tmp/tx.err"
    wait_receiver 1 "$1"
    expect_grep "$tmp/tx.err" "runs on here" "$1: the sender says the guest runs on here"
    case $4 in
    rx) expect_grep "$tmp/rx.err" "certificate is not accepted" "$1: the receiver says why" ;;
    tx) expect_grep "$tmp/tx.err" "certificate is not accepted" "$1: the sender says why" ;;
    esac
    expect_grep "$tmp/rx.err" "nothing was kept here" "$1: the receiver says it kept nothing"
    source_kept "$1"
    rm -f "$tmp/src.sim"
}
refused "receiver trusts another CA" "$(tls receiver rogue-ca)" "$(tls sender migration-ca)" rx
refused "sender trusts another CA" "$(tls receiver migration-ca)" "$(tls sender rogue-ca)" tx
refused "unknown sender" "$(tls receiver migration-ca)" "$(tls intruder migration-ca)" rx
refused "expired sender" "$(tls receiver migration-ca)" "$(tls expired migration-ca)" rx
refused "expired receiver" "$(tls expired migration-ca)" "$(tls sender migration-ca)" tx
# a sender without TLS: no certificate, no ClientHello; the receiver gives up
# on the handshake at its idle timeout
refused "plain sender" "$(tls receiver migration-ca)" "" none
expect_grep "$tmp/rx.err" "TLS" "plain sender: the receiver's refusal names TLS"

# a TLS client without a certificate (openssl s_client) gets no stream read
start_receiver "$tmp/rx.err" -- -q --idle-timeout 3 $(tls receiver migration-ca) \
    --listen 127.0.0.1:0 "$tmp/out.sim" && {
    printf 'Xen saved domain, xl format\n' |
        openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$c/migration-ca.pem" \
            >/dev/null 2>&1
    wait_receiver 1 "no client certificate"
    expect_grep "$tmp/rx.err" "certificate is not accepted" "no client certificate: the reason"
    [ -e "$tmp/out.sim" ] || [ -e "$tmp/out.sim--incoming" ] &&
        fail "no client certificate: the receiver left a file"
}

[ "$failures" -eq 0 ] && echo "TLS: 2 migrations, 7 refusals"
[ "$failures" -eq 0 ]
