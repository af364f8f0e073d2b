#!/bin/sh
# Migration over loopback TCP against a plain socket copy of as many bytes,
# measured in the same run: `xsr migrate` of an idle sim guest to `xsr
# migrate-receive`, plain, with TLS (mutual authentication) and with
# --compress zstd, each as a ratio to xsr-bench-sockcopy.  A second baseline,
# xsr-bench-sockcopy --pages, sends the guest file's pages from a fresh
# mapping in shuffled order into a fresh mapping on the other side: the cost
# of touching guest memory, which every migration pays and which on some
# machines (nested virtualisation) dwarfs the copy.  See bench/README.md.
#
#   bench/migrate.sh [--build DIR] [--size SIZE] [--runs N] [--keep]
#
#   --build DIR  a release build with the benchmarks (default build/release)
#   --size SIZE  the guest's memory (default 1G)
#   --runs N     runs of each line, the median counts (default 3)
#   --keep       keep the temporary directory (in /dev/shm)
#
# Not a test: no pass/fail on times.  Exit status 0 measured, 1 something
# failed, 2 bad usage.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/release size=1G runs=3 keep=0
while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "migrate.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case $runs in ''|*[!0-9]*|0) echo "migrate.sh: --runs needs a positive number" >&2; exit 2 ;; esac
xsr=$build/tools/xsr/xsr
copy=$build/bench/xsr-bench-sockcopy
[ -x "$xsr" ] && [ -x "$copy" ] || {
    echo "migrate.sh: no $xsr or $copy (scripts/build build/release --buildtype=release)" >&2
    exit 1
}
tmp=$(mktemp -d /dev/shm/xsr-bench-migrate.XXXXXX)
rx=
cleanup() {
    [ -n "$rx" ] && kill "$rx" 2>/dev/null
    [ "$keep" -eq 1 ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
die() { echo "migrate.sh: $*" >&2; exit 1; }

c=$tmp/certs
mkdir "$c"
sh "$root/tests/migrate/mkcerts.sh" "$c" || die "cannot make certificates (openssl)"
tls_rx="--tls-cert $c/receiver.pem --tls-key $c/receiver.key --tls-ca $c/migration-ca.pem"
tls_tx="--tls-cert $c/sender.pem --tls-key $c/sender.key --tls-ca $c/migration-ca.pem"
"$xsr" sim create --type pv --memory "$size" --seed 7 "$tmp/guest.sim" >/dev/null ||
    die "sim create"

now() { date +%s.%N; }

# migrate MODE: one migration of a fresh copy of the guest; prints seconds
# (sender's start to its exit) and the stream MiB it sent
migrate() {
    case $1 in
        plain) rxo='' txo='' ;;
        tls) rxo=$tls_rx txo=$tls_tx ;;
        zstd) rxo='--compress zstd' txo='--compress zstd' ;;
    esac
    cp "$tmp/guest.sim" "$tmp/src.sim"
    rm -f "$tmp/out.sim"
    # shellcheck disable=SC2086 # the options are words
    "$xsr" migrate-receive -q $rxo --listen 127.0.0.1:0 "$tmp/out.sim" 2>"$tmp/rx.err" &
    rx=$!
    port=
    while [ -z "$port" ]; do
        kill -0 "$rx" 2>/dev/null || die "migrate-receive: $(cat "$tmp/rx.err")"
        port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/rx.err")
        [ -n "$port" ] || sleep 0.05
    done
    t0=$(now)
    # shellcheck disable=SC2086
    "$xsr" migrate --progress none $txo --to "127.0.0.1:$port" "$tmp/src.sim" 2>"$tmp/tx.err" ||
        die "migrate ($1): $(cat "$tmp/tx.err")"
    t1=$(now)
    wait "$rx" || die "migrate-receive ($1): $(cat "$tmp/rx.err")"
    rx=
    mib=$(sed -n 's/^migrated .*: \([0-9.]*\) MiB sent.*/\1/p' "$tmp/tx.err")
    echo "$t0 $t1 $mib" | awk '{ printf "%.3f %s\n", $2 - $1, $3 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# the bytes a compressed migration puts on the wire (untimed: through a pipe
# that counts them)
wire_zstd() {
    cp "$tmp/guest.sim" "$tmp/src.sim"
    rm -f "$tmp/out.sim"
    "$xsr" migrate -q --compress zstd \
        --pipe "dd bs=1M 2>'$tmp/dd.err' | '$xsr' migrate-receive -q --compress zstd '$tmp/out.sim'" \
        "$tmp/src.sim" || die "migrate --compress zstd --pipe"
    sed -n 's/^\([0-9][0-9]*\) bytes.*/\1/p' "$tmp/dd.err"
}

: >"$tmp/plain" && : >"$tmp/tls" && : >"$tmp/zstd" && : >"$tmp/base" && : >"$tmp/pages"
for i in $(seq "$runs"); do
    for m in plain tls zstd; do
        migrate $m >>"$tmp/$m"
    done
    bytes=$(awk 'NR == 1 { printf "%.0f", $2 * 1048576 }' "$tmp/plain")
    "$copy" "$bytes" >>"$tmp/base" || die "xsr-bench-sockcopy"
    "$copy" --pages "$tmp/guest.sim" "$tmp/pages.bin" "$bytes" >>"$tmp/pages" || die "xsr-bench-sockcopy --pages"
    rm -f "$tmp/pages.bin"
    echo "run $i of $runs done" >&2
done
wire=$(wire_zstd)
mib=$(awk 'NR == 1 { print $2 }' "$tmp/plain")
base=$(median <"$tmp/base")
pages=$(median <"$tmp/pages")
echo "guest: PV, $size idle, live; stream $mib MiB; median of $runs runs; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %8s %8s %8s %11s %10s\n' line seconds GiB/s ratio "ratio pages" "wire MiB"
row() { # NAME SECONDS WIRE_MIB
    awk -v n="$1" -v t="$2" -v b="$base" -v p="$pages" -v m="$mib" -v w="$3" 'BEGIN {
        printf "%-34s %8.3f %8.2f %7.2fx %10.2fx %10s\n", n, t, m / 1024 / t, b / t, p / t, w }'
}
row "socket copy (baseline)" "$base" "$mib"
row "socket copy of the guest's pages" "$pages" "$mib"
for m in plain tls zstd; do
    t=$(awk '{ print $1 }' "$tmp/$m" | median)
    case $m in
        plain) row "xsr migrate" "$t" "$mib" ;;
        tls) row "xsr migrate (TLS)" "$t" "~$mib" ;;
        zstd) row "xsr migrate --compress zstd" "$t" "$(awk -v b="$wire" 'BEGIN { printf "%.1f", b / 1048576 }')" ;;
    esac
done
