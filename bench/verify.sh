#!/bin/sh
# Throughput and memory of `xsr verify`, against `cat` (reading the same file
# from the page cache) and Xen's verify-stream-v2, all measured in the same
# run on the same file.  See bench/README.md.
#
#   bench/verify.sh [--xsr PATH] [--size SIZE] [--runs N] [--big] [--keep]
#
#   --xsr PATH   the xsr tool (default: $XSR_CLI, else build/release/tools/xsr/xsr)
#   --size SIZE  guest memory of the stream (default 1G)
#   --runs N     runs per measurement, the best counts (default 3)
#   --big        also generate a 4 GiB stream and check that verifying it stays
#                under 64 MiB of peak RSS (needs 4 GiB of disk and a minute)
#   --keep       keep the temporary directory
#
# Xen's verify-stream-v2 comes from $XSR_XEN_TOOLS, else from
# ../shared/tools/xen-reference-tools (as scripts/test sets it up); without it
# that line is skipped.  Exit status: 0 measured (goals met or not: see the
# last lines), 1 something failed (a tool, an invalid stream), 2 bad usage.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)

xsr=${XSR_CLI:-$root/build/release/tools/xsr/xsr}
size=1G runs=3 big=0 keep=0
while [ $# -gt 0 ]; do
    case $1 in
        --xsr) xsr=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --big) big=1; shift ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "verify.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case $runs in ''|*[!0-9]*|0) echo "verify.sh: --runs needs a positive number" >&2; exit 2 ;; esac
[ -x "$xsr" ] || { echo "verify.sh: no xsr tool at $xsr (build with scripts/build build/release --buildtype=release, or give --xsr)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "verify.sh: /usr/bin/time is missing (Debian package 'time'; scripts/install-deps installs it)" >&2; exit 1; }

# Xen's reference verifier, if it can be had.
ref=""
tools=${XSR_XEN_TOOLS:-}
shared=${XSR_SHARED:-$(cd "$root/.." && pwd)/shared}
if [ -z "$tools" ] && [ -x "$shared/tools/xen-reference-tools" ]; then
    tools=$("$shared/tools/xen-reference-tools" "$root/build/xen-reference-tools" 2>/dev/null | tail -n 1) || tools=""
fi
[ -n "$tools" ] && [ -x "$tools/verify-stream-v2" ] && ref="$tools/verify-stream-v2"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-bench.XXXXXX")
cleanup() { [ "$keep" = 1 ] && echo "kept $tmp" || rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

now_ns() { date +%s%N; }

# measure LABEL EXPECTED-STATUS CMD...: best wall time of $runs runs (in
# seconds, into $best) and the largest peak RSS (KiB, into $rss).  CMD runs
# under /usr/bin/time; "<FILE" as last word feeds FILE on standard input.
measure() {
    label=$1 want=$2; shift 2
    best="" rss=0
    i=0
    while [ $i -lt "$runs" ]; do
        i=$((i + 1))
        t0=$(now_ns)
        set +e
        /usr/bin/time -f %M -o "$tmp/rss" "$@" <"$input" >"$tmp/out" 2>&1
        st=$?
        set -e
        t1=$(now_ns)
        if [ "$st" -ne "$want" ]; then
            echo "verify.sh: $label exited with $st (expected $want):" >&2
            tail -n 5 "$tmp/out" >&2
            exit 1
        fi
        t=$(echo "$t0 $t1" | awk '{ printf "%.4f", ($2 - $1) / 1e9 }')
        r=$(tail -n 1 "$tmp/rss")
        if [ -z "$best" ]; then
            best=$t
        else
            best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (b < a ? b : a) }')
        fi
        if [ "$r" -gt "$rss" ]; then rss=$r; fi
    done
}

gib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1073741824 }'; }
row() { # label seconds rss_kib
    awk -v l="$1" -v t="$2" -v r="$3" -v n="$bytes" \
        'BEGIN { printf "  %-34s %8.3f s %8.2f GiB/s %9.1f MiB peak RSS\n", l, t, n / t / 1073741824, r / 1024 }'
}

echo "xsr bench: $("$xsr" --version 2>/dev/null | head -n 1 || echo "$xsr")"
echo "generating a PV v3 xl stream with $size of guest memory..."
file=$tmp/pv-v3.xl
t0=$(now_ns)
"$xsr" generate --version 3 --guest pv --wrap xl --size "$size" "$file"
t1=$(now_ns)
bytes=$(stat -c %s "$file")
echo "  $(gib "$bytes") GiB in $(echo "$t0 $t1" | awk '{ printf "%.1f", ($2 - $1) / 1e9 }') s"
cat "$file" >/dev/null # warm the page cache

echo "best of $runs (wall time), file in the page cache:"
input=/dev/null
measure "cat FILE" 0 cat "$file"
t_cat=$best; row "cat FILE > /dev/null" "$best" "$rss"
measure "xsr verify FILE" 0 "$xsr" verify "$file"
t_xsr=$best; rss_xsr=$rss; row "xsr verify FILE" "$best" "$rss"
input=$file
measure "xsr verify - < FILE" 0 "$xsr" verify -
t_stdin=$best; rss_stdin=$rss; row "xsr verify - < FILE" "$best" "$rss"
input=/dev/null
measure "cat FILE | cat" 0 sh -c 'cat "$1" | cat >/dev/null' sh "$file"
t_catcat=$best; row "cat FILE | cat > /dev/null" "$best" "$rss"
measure "cat FILE | xsr verify -" 0 sh -c 'cat "$1" | "$2" verify -' sh "$file" "$xsr"
t_pipe=$best; row "cat FILE | xsr verify -" "$best" "$rss"
t_ref=""
if [ -n "$ref" ]; then
    measure "verify-stream-v2" 0 "$ref" -f xl -i "$file"
    t_ref=$best; row "verify-stream-v2 -f xl -i FILE" "$best" "$rss"
else
    echo "  verify-stream-v2: not available (set XSR_XEN_TOOLS, see scripts/test)"
fi

echo "ratios (throughput; goal):"
awk -v c="$t_cat" -v x="$t_xsr" -v s="$t_stdin" -v p="$t_pipe" -v cc="$t_catcat" 'BEGIN {
    printf "  xsr verify FILE     / cat  %6.2fx  (>= 1.0x: %s)\n", c / x, (c / x >= 1.0) ? "met" : "MISSED"
    printf "  xsr verify - < FILE / cat  %6.2fx  (>= 1.0x: %s)\n", c / s, (c / s >= 1.0) ? "met" : "MISSED"
    printf "  cat | xsr verify -  / cat | cat  %6.2fx  (>= 1.0x: %s)\n", cc / p, (cc / p >= 1.0) ? "met" : "MISSED"
}'
if [ -n "$t_ref" ]; then
    awk -v r="$t_ref" -v x="$t_xsr" -v s="$t_stdin" -v p="$t_pipe" 'BEGIN {
        printf "  xsr verify FILE     / verify-stream-v2  %6.2fx  (>= 3x: %s)\n", r / x, (r / x >= 3) ? "met" : "MISSED"
        printf "  xsr verify - < FILE / verify-stream-v2  %6.2fx  (>= 3x: %s)\n", r / s, (r / s >= 3) ? "met" : "MISSED"
        printf "  cat | xsr verify -  / verify-stream-v2  %6.2fx\n", r / p
    }'
fi

if [ "$big" = 1 ]; then
    rm -f "$file"
    echo "generating a 4 GiB PV v3 xl stream (PAGE_DATA records of 1024 pages, 4 MiB each)..."
    file=$tmp/pv-v3-4g.xl
    "$xsr" generate --version 3 --guest pv --wrap xl --size 4G "$file"
    bytes=$(stat -c %s "$file")
    echo "  $(gib "$bytes") GiB; peak RSS while verifying it (goal < 64 MiB):"
    runs=1
    input=/dev/null
    measure "xsr verify FILE (4 GiB)" 0 "$xsr" verify "$file"
    row "xsr verify FILE" "$best" "$rss"
    awk -v r="$rss" 'BEGIN { printf "    %s\n", (r < 65536) ? "met" : "MISSED" }'
    input=$file
    measure "xsr verify - < FILE (4 GiB)" 0 "$xsr" verify -
    row "xsr verify - < FILE" "$best" "$rss"
    awk -v r="$rss" 'BEGIN { printf "    %s\n", (r < 65536) ? "met" : "MISSED" }'
fi
