#!/bin/sh
# Benchmark (not a test): convert a 1 GiB generated legacy stream, PV and
# HVM, with 'xsr convert-legacy' and with Xen's convert-legacy-stream, in the
# same run on the same (cached) input; report the best of two runs of each,
# peak memory, the speed-up, and whether both wrote the same bytes.
#
# Two measures: file to file (neither flushes its output to disk; xsr does
# with --sync), and to the null device (the cost of the conversion itself,
# without the page cache of the output).  The null device is named only
# through a symlink in the scratch directory: even a converter that renamed a
# temporary over its output could then replace that link, never /dev/null.
#
#   bench/convert.sh [BUILD_DIR]        (default: build/release)
#
# Environment: XSR_XEN_TOOLS  bin directory of Xen's reference tools (else
#                             ../shared/tools/xen-reference-tools sets them up)
#              BENCH_PAGES    guest pages (default 262144 = 1 GiB)
#              TMPDIR         where the streams go (needs about 3.5 GiB)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/release}
xsr=$build/tools/xsr/xsr
gen=$build/tests/legacy/legacy-gen
pages=${BENCH_PAGES:-262144}
[ -x "$xsr" ] && [ -x "$gen" ] || {
    echo "bench/convert.sh: build first (with tests enabled): $xsr, $gen" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/convert.sh: needs GNU time (/usr/bin/time)" >&2; exit 1; }

tools=${XSR_XEN_TOOLS:-}
if [ -z "$tools" ] && [ -x ../shared/tools/xen-reference-tools ]; then
    tools=$(../shared/tools/xen-reference-tools "$PWD/build/xen-reference-tools" 2>/dev/null | tail -n 1) || tools=""
fi
[ -n "$tools" ] && [ -x "$tools/convert-legacy-stream" ] || tools=""

work=$(mktemp -d "${TMPDIR:-/tmp}/xsr-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
ln -s /dev/null "$work/null"
# null_intact: the link still names the character device (written through)
null_intact() {
    [ -L "$work/null" ] && [ -c "$work/null" ] ||
        { echo "bench/convert.sh: $1 replaced its output $work/null instead of writing through it" >&2; exit 1; }
}

# best CMD...: run twice, print "seconds max_rss_kib" of the faster run
best() {
    b=""
    for i in 1 2; do
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
            { cat "$work/err" >&2; return 1; }
        if [ -z "$b" ] || awk -v a="$(cut -d' ' -f1 "$work/time")" -v b="${b%% *}" 'BEGIN { exit !(a < b) }'; then
            b=$(cat "$work/time")
        fi
    done
    echo "$b"
}
ratio() { awk -v x="$1" -v o="$2" 'BEGIN { printf "%.1fx", (o > 0 ? x / o : 0) }'; }
row() { printf '%-4s %-44s %8s s %9s KiB\n' "$@"; }

echo "legacy stream of $pages pages (4 KiB each) per guest type; best of 2 runs"
for guest in pv hvm; do
    in=$work/$guest.leg
    "$gen" --guest "$guest" --pages "$pages" --vcpus 4 --all-chunks --toolstack "$in"
    cat "$in" >/dev/null  # both read it from the page cache
    echo "$guest: $(( $(stat -c %s "$in") >> 20 )) MiB"

    set -- $(best "$xsr" convert-legacy -q "$in" "$work/ours"); f_ours=$1
    row "$guest" "xsr convert-legacy, file -> file" "$1" "$2"
    set -- $(best "$xsr" convert-legacy -q "$in" "$work/null"); n_ours=$1
    null_intact "xsr convert-legacy"
    row "$guest" "xsr convert-legacy, file -> null device" "$1" "$2"
    set -- $(best sh -c "exec '$xsr' convert-legacy -q - - < '$in' > /dev/null")
    row "$guest" "xsr convert-legacy, stdin -> stdout" "$1" "$2"

    if [ -n "$tools" ]; then
        set -- $(best "$tools/convert-legacy-stream" -i "$in" -o "$work/xen" -w 64 -g "$guest"); f_xen=$1
        row "$guest" "Xen convert-legacy-stream, file -> file" "$1" "$2"
        set -- $(best "$tools/convert-legacy-stream" -i "$in" -o "$work/null" -w 64 -g "$guest"); n_xen=$1
        null_intact "Xen's convert-legacy-stream"
        row "$guest" "Xen convert-legacy-stream, file -> null device" "$1" "$2"
        if cmp -s "$work/ours" "$work/xen"; then same="identical output"; else same="OUTPUT DIFFERS"; fi
        echo "$guest: xsr is $(ratio "$f_xen" "$f_ours") faster file to file, $(ratio "$n_xen" "$n_ours") faster without the output's page cache; $same"
        rm -f "$work/xen"
    else
        echo "$guest: Xen's converter not available (set XSR_XEN_TOOLS)"
    fi
    rm -f "$in" "$work/ours"
done
