#!/bin/sh
# End-to-end tests of `xsr extract`, `xsr diff`, `xsr stats` and `xsr map`:
# exit codes, outputs, standard input, usage errors.  XSR_CLI is the built
# tool (tests/meson.build).
set -u
xsr=${XSR_CLI:?XSR_CLI is not set}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-analyze-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

. "$(dirname "$0")/../common/expect.sh"

"$xsr" generate --guest pv --pages 512 --live-passes 2 --all-records --seed 1 "$tmp/a.xl" >/dev/null || exit 1
"$xsr" generate --guest pv --pages 512 --live-passes 2 --all-records --seed 2 "$tmp/b.xl" >/dev/null || exit 1
"$xsr" generate --guest hvm --pages 300 --wrap libxc "$tmp/h.img" >/dev/null || exit 1

# extract: raw, with pfn map; the same through standard input (no copy path)
expect_rc 0 "extract --raw" "$xsr" extract "$tmp/a.xl" --raw "$tmp/a.raw" --pfn-map "$tmp/a.tsv"
expect_grep "$tmp/out" 'a\.raw: [0-9]+ frames with data \(highest pfn 0x[0-9a-f]+\)' "extract summary"
[ "$(stat -c %s "$tmp/a.raw")" -ge $((512 * 4096)) ] || fail "raw output smaller than the guest"
expect_grep "$tmp/a.tsv" '^# pfn	type	sent	offset	state$' "pfn map header"
expect_grep "$tmp/a.tsv" '^0x0	NOTAB	[0-9]+	0x[0-9a-f]+	data$' "pfn map line"
expect_rc 0 "extract from stdin" sh -c "\"$xsr\" extract -q - --raw \"$tmp/a2.raw\" < \"$tmp/a.xl\""
cmp -s "$tmp/a.raw" "$tmp/a2.raw" || fail "extract from stdin differs from extract of the file"
[ -s "$tmp/out" ] && fail "extract -q printed something"

# extract: ELF core
expect_rc 0 "extract --elf" "$xsr" extract "$tmp/h.img" --elf "$tmp/h.core"
expect_grep "$tmp/out" 'ELF core with [0-9]+ PT_LOAD segments? and 1 vCPU register set$' "elf summary"
if command -v readelf >/dev/null 2>&1; then
    readelf -h "$tmp/h.core" >"$tmp/re" 2>&1 || fail "readelf failed"
    expect_grep "$tmp/re" 'CORE \(Core file\)' "readelf type"
fi

# extract: usage errors and failures
expect_rc 2 "extract without output" "$xsr" extract "$tmp/a.xl"
expect_grep "$tmp/err" '--raw OUT or --elf OUT' "extract usage message"
expect_rc 2 "extract with both outputs" "$xsr" extract "$tmp/a.xl" --raw "$tmp/x" --elf "$tmp/y"
expect_rc 2 "extract to stdout" "$xsr" extract "$tmp/a.xl" --raw -
expect_rc 2 "extract bad pfn limit" "$xsr" extract "$tmp/a.xl" --raw "$tmp/x" --pfn-limit 0
expect_rc 1 "extract over the pfn limit" "$xsr" extract "$tmp/a.xl" --raw "$tmp/x" --pfn-limit 16
expect_grep "$tmp/err" 'is at or above the limit of 0x10 frames' "pfn limit message"
head -c 100000 "$tmp/a.xl" >"$tmp/cut.xl"
expect_rc 1 "extract of a truncated image" "$xsr" extract "$tmp/cut.xl" --raw "$tmp/cut.raw"
expect_grep "$tmp/err" 'holds the memory read before the error' "partial output message"
expect_rc 1 "extract of a missing file" "$xsr" extract "$tmp/nope" --raw "$tmp/x"
# an output that is the input would truncate it while it is read (and mapped)
cp "$tmp/a.xl" "$tmp/same.xl"
expect_rc 2 "extract onto the input" "$xsr" extract "$tmp/same.xl" --raw "$tmp/same.xl"
expect_grep "$tmp/err" 'is the input' "extract onto the input: message"
expect_rc 2 "extract with the pfn map onto the input" "$xsr" extract "$tmp/same.xl" --raw "$tmp/x" --pfn-map "$tmp/same.xl"
expect_rc 2 "extract --raw F --pfn-map F" "$xsr" extract "$tmp/a.xl" --raw "$tmp/both" --pfn-map "$tmp/both"
: > "$tmp/both"; ln -sf both "$tmp/both-link"
expect_rc 2 "extract --elf F --pfn-map LINK-TO-F" "$xsr" extract "$tmp/a.xl" --elf "$tmp/both" --pfn-map "$tmp/both-link"
ln "$tmp/same.xl" "$tmp/link.xl"
expect_rc 2 "extract onto a hard link of the input" "$xsr" extract -q - --elf "$tmp/link.xl" <"$tmp/same.xl"
expect_rc 2 "map onto the input" "$xsr" map "$tmp/same.xl" --svg "$tmp/link.xl"
cmp -s "$tmp/a.xl" "$tmp/same.xl" || fail "an output onto the input changed the input"
expect_rc 0 "extract --help" "$xsr" extract --help
expect_grep "$tmp/out" '^Usage: xsr extract' "extract help"

# diff: 0 equal, 1 different, 2 usage or trouble
expect_rc 0 "diff of an image with itself" "$xsr" diff "$tmp/a.xl" "$tmp/a.xl"
expect_grep "$tmp/out" 'the images are equivalent' "diff equal"
expect_rc 1 "diff of two images" "$xsr" diff --pages "$tmp/a.xl" "$tmp/b.xl"
expect_grep "$tmp/out" '^  0x[0-9a-f]+(-0x[0-9a-f]+)?: contents differ' "diff page ranges"
expect_grep "$tmp/out" '^the images differ: ' "diff verdict"
expect_rc 1 "diff PV and HVM" "$xsr" diff "$tmp/a.xl" "$tmp/h.img"
expect_grep "$tmp/out" 'domain type: x86 PV -> x86 HVM' "diff header field"
expect_grep "$tmp/out" 'guest type: PV -> HVM' "diff guest type by name"
expect_rc 2 "diff with one image" "$xsr" diff "$tmp/a.xl"
expect_rc 2 "diff of a truncated image" "$xsr" diff "$tmp/a.xl" "$tmp/cut.xl"
expect_grep "$tmp/err" 'cut.xl could not be read to its end' "diff names the image"
expect_grep "$tmp/out" '^   B stopped early .*: libxc record' "diff says where B stopped"
expect_grep "$tmp/out" '^memory: ' "diff of a truncated image still compares"
expect_rc 0 "diff with stdin" sh -c "\"$xsr\" diff - \"$tmp/a.xl\" < \"$tmp/a.xl\""

# stats: text and JSON
expect_rc 0 "stats" "$xsr" stats "$tmp/a.xl"
expect_grep "$tmp/out" '^iterations: 3$' "stats iterations"
expect_grep "$tmp/out" '^frames: [0-9]+ named' "stats frames"
expect_rc 0 "stats --json" "$xsr" stats --json "$tmp/a.xl"
expect_grep "$tmp/out" '"iterations": \[' "stats json"
expect_rc 1 "stats of a truncated image" "$xsr" stats "$tmp/cut.xl"
expect_grep "$tmp/out" '^stream: .*incomplete' "partial stats printed"
expect_rc 2 "stats without file" "$xsr" stats

# map
expect_rc 0 "map" "$xsr" map "$tmp/a.xl" --svg "$tmp/a.svg"
expect_grep "$tmp/out" 'a\.svg: [0-9]+ frames in [0-9]+ cells of 1 frame$' "map summary"
if command -v xmllint >/dev/null 2>&1; then
    xmllint --noout "$tmp/a.svg" || fail "the SVG is not well-formed"
fi
expect_rc 0 "map to stdout" "$xsr" map "$tmp/h.img" --svg - --cells 64
expect_grep "$tmp/out" '^<svg ' "svg on stdout"
expect_grep "$tmp/err" 'frames in [0-9]+ cells of 8 frames' "map summary on stderr"
expect_rc 2 "map without --svg" "$xsr" map "$tmp/a.xl"
expect_rc 2 "map bad cells" "$xsr" map "$tmp/a.xl" --svg "$tmp/x.svg" --cells 0

# the top-level help lists the commands
expect_rc 0 "xsr --help" "$xsr" --help
for c in extract diff stats map; do expect_grep "$tmp/out" "^  $c " "xsr --help lists $c"; done

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "all analysis CLI checks passed"
