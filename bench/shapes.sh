#!/bin/sh
# Peak memory and wall time of every analysis command of xsr on valid streams
# of hostile shapes (written by xsr-bench-shapes, bench/shapes.c), against
# the goal: every command's peak RSS <= 64 MiB + 2 x the largest record on
# inputs of any shape, and time linear in the input.  Time is reported as
# figures of the same run, never pass/fail: seconds divided by those of
# `cat FILE > /dev/null` on the same file, and seconds per MiB of input.
# See bench/README.md.
#
#   bench/shapes.sh [BUILD_DIR] [SHAPE[=N]...]
#
#   BUILD_DIR  a build with tools/xsr/xsr and bench/xsr-bench-shapes
#              (default: build/release)
#   SHAPE=N    measure only these shapes, N their size (bench/shapes.c says
#              what N counts); a SHAPE alone has its default size.  Default:
#              high-pfn=0x0FFFFFFF spread=2000 tiny-records=500000
#              dense=65536 big-optional=128 big-hvm-context=64
#
# Environment: RUNS    runs per command, the fastest counts (default 1); the
#                      peak RSS is the largest of all runs
#              TMPDIR  where streams and outputs go (default /tmp; needs twice
#                      the largest stream, 4 GiB by default)
# Exit status: 0 measured (a command failing or over the bound is reported in
# its row and at the end, not by the status), 1 a stream could not be made or
# a tool is missing, 2 bad usage.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)

build=$root/build/release
case ${1:-} in -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
case ${1:-} in ''|*=*|high-pfn|spread|tiny-records|dense|big-optional|big-hvm-context) ;; *) build=$1; shift ;; esac
xsr=$build/tools/xsr/xsr
gen=$build/bench/xsr-bench-shapes
runs=${RUNS:-1}
case $runs in ''|*[!0-9]*|0) echo "shapes.sh: RUNS needs a positive number" >&2; exit 2 ;; esac
[ -x "$xsr" ] && [ -x "$gen" ] ||
    { echo "shapes.sh: build first (scripts/build build/release --buildtype=release): $xsr, $gen" >&2; exit 1; }
[ -x /usr/bin/time ] ||
    { echo "shapes.sh: /usr/bin/time is missing (Debian package 'time'; scripts/install-deps installs it)" >&2; exit 1; }

shapes="high-pfn=0x0FFFFFFF spread=2000 tiny-records=500000 dense=65536 big-optional=128 big-hvm-context=64"
if [ $# -gt 0 ]; then
    pick=""
    for a in "$@"; do
        case ${a%%=*} in
            high-pfn|spread|tiny-records|dense|big-optional|big-hvm-context) ;;
            *) echo "shapes.sh: unknown shape ${a%%=*} (see --help)" >&2; exit 2 ;;
        esac
        case $a in
            *=*) pick="$pick $a" ;;
            *) for s in $shapes; do [ "${s%%=*}" = "$a" ] && pick="$pick $s"; done ;;
        esac
    done
    shapes=$pick
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
: >"$tmp/summary"

now_ns() { date +%s%N; }

# measure CMD...: run CMD $runs times under /usr/bin/time with standard output
# to /dev/null and standard error to $tmp/err; $stdin says what it reads:
# "file" the stream, "pipe" the stream through cat and a pipe, else nothing.
# Sets t (fastest, seconds), rss (largest, KiB) and st (exit status of the
# last run; 128 + N if signal N killed it).
measure() {
    t="" rss=0 i=0
    while [ $i -lt "$runs" ]; do
        i=$((i + 1))
        t0=$(now_ns)
        set +e
        case $stdin in
            file) /usr/bin/time -f %M -o "$tmp/rss" "$@" <"$file" >/dev/null 2>"$tmp/err" ;;
            pipe) cat "$file" | /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" ;;
            *) /usr/bin/time -f %M -o "$tmp/rss" "$@" </dev/null >/dev/null 2>"$tmp/err" ;;
        esac
        st=$?
        set -e
        t1=$(now_ns)
        r=$(tail -n 1 "$tmp/rss")
        case $r in ''|*[!0-9]*) r=0 ;; esac
        [ "$r" -gt "$rss" ] && rss=$r
        t=$(awk -v a="$t" -v t0="$t0" -v t1="$t1" 'BEGIN { s = (t1 - t0) / 1e9; printf "%.4f", (a == "" || s < a) ? s : a }')
    done
}

# row LABEL CMD...: measure CMD and print its line of the table.
row() {
    label=$1; shift
    measure "$@"
    rm -f "$tmp/raw" "$tmp/pfn.tsv" "$tmp/map.svg" "$tmp/conv"
    if [ -z "$t_cat" ]; then t_cat=$t; fi
    verdict=$(awk -v r="$rss" -v b="$bound" 'BEGIN { print (r <= b * 1024) ? "within" : "over" }')
    [ "$label" = "cat FILE > /dev/null" ] && verdict="(baseline)"
    note=""
    if [ "$st" -ne 0 ]; then
        note="exit $st"
        [ "$st" -gt 128 ] && note="$note (signal $((st - 128)))"
        echo "$name: $label: $note: $(tail -n 3 "$tmp/err" | tr '\n' ' ')" >>"$tmp/summary"
    fi
    [ "$verdict" = over ] && echo "$name: $label: peak RSS $((rss / 1024)) MiB, over the bound of $bound MiB" >>"$tmp/summary"
    awk -v l="$label" -v t="$t" -v c="$t_cat" -v n="$bytes" -v r="$rss" -v b="$bound" -v v="$verdict" -v x="$note" \
        'BEGIN { printf "  %-28s %9.3f %9.1f %9.5f %10.1f %9.1f  %s%s\n",
                 l, t, t / c, t / (n / 1048576), r / 1024, b, v, x == "" ? "" : "  " x }'
}

echo "xsr: $("$xsr" --version 2>/dev/null | head -n 1); $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "each command run $runs time(s), the stream in the page cache; bound = 64 MiB + 2 x the largest record"
for s in $shapes; do
    name=${s%%=*} n=${s#*=}
    file=$tmp/$name
    t0=$(now_ns)
    largest=$("$gen" "$name" "$n" "$file") || { echo "shapes.sh: xsr-bench-shapes $name $n failed" >&2; exit 1; }
    t1=$(now_ns)
    bytes=$(stat -c %s "$file")
    bound=$(awk -v l="$largest" 'BEGIN { printf "%.1f", 64 + 2 * l / 1048576 }')
    echo
    awk -v s="$name" -v n="$n" -v b="$bytes" -v l="$largest" -v t0="$t0" -v t1="$t1" \
        'BEGIN { printf "%s %s: %.1f MiB (%d bytes), largest record %d bytes, written in %.1f s\n",
                 s, n, b / 1048576, b, l, (t1 - t0) / 1e9 }'
    cat "$file" >/dev/null # into the page cache
    set +e
    "$xsr" verify "$file" >"$tmp/verify" 2>&1
    vst=$?
    set -e
    if [ "$vst" -eq 0 ]; then
        echo "  xsr verify: valid"
    else
        echo "  xsr verify REJECTS it (exit $vst):"
        grep -v '^note:' "$tmp/verify" | head -n 10 | sed 's/^/    /'
        echo "$name: xsr verify rejects the stream (exit $vst)" >>"$tmp/summary"
    fi
    printf '  %-28s %9s %9s %9s %10s %9s  %s\n' command seconds "x cat" s/MiB "peak MiB" "bound MiB" RSS
    t_cat="" stdin=none
    row "cat FILE > /dev/null" cat "$file"
    row "xsr verify FILE" "$xsr" verify -q "$file"
    row "xsr stats FILE" "$xsr" stats -q "$file"
    row "xsr dump FILE > /dev/null" "$xsr" dump "$file"
    row "xsr extract --raw" "$xsr" extract -q --raw "$tmp/raw" "$file"
    row "xsr extract --pfn-map" "$xsr" extract -q --raw "$tmp/raw" --pfn-map "$tmp/pfn.tsv" "$file"
    row "xsr diff FILE FILE" "$xsr" diff -q "$file" "$file"
    row "xsr map --svg" "$xsr" map -q --svg "$tmp/map.svg" "$file"
    row "xsr convert -s 2" "$xsr" convert -q --stream-version 2 --allow-lossy "$file" "$tmp/conv"
    stdin="file"
    row "xsr verify - < FILE" "$xsr" verify -q -
    stdin="pipe"
    row "cat FILE | xsr verify -" "$xsr" verify -q -
    rm -f "$file"
done

echo
if [ -s "$tmp/summary" ]; then
    echo "over the bound, failed or rejected:"
    sed 's/^/  /' "$tmp/summary"
else
    echo "every command exited 0 and stayed within the bound on every shape"
fi
