#!/bin/sh
# Compressed images (zstd, gzip, xz): every command that reads an image reads
# through the compression, from a file and from a pipe, recognised by the
# magic bytes and not the name; a truncated or corrupt compressed image is an
# error that names the compression and the offsets.  Skipped (77) without the
# compressors.
#   compress_test.sh CODEC     (zstd, gzip, xz)
set -u
codec=$1
xsr=${XSR_CLI:?XSR_CLI is not set}
command -v "$codec" >/dev/null 2>&1 || { echo "skip: $codec is not installed"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-compress-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
. "$(dirname "$0")/../common/expect.sh"

"$xsr" generate --guest pv --wrap xl --size 8M "$tmp/img.xl" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
# a name that says nothing: the magic decides
"$codec" -1 -c "$tmp/img.xl" >"$tmp/packed"

expect_rc 0 "verify the $codec file" "$xsr" verify "$tmp/packed"
expect_grep "$tmp/out" "^$tmp/packed: valid \(xl, libxc stream v3" "verdict of the $codec file"
expect_rc 0 "verify $codec from a pipe" sh -c 'cat "$1" | "$2" verify -' sh "$tmp/packed" "$xsr"
expect_grep "$tmp/out" "^-: valid \(xl" "verdict of $codec from a pipe"
expect_rc 0 "verify $codec on standard input" sh -c '"$2" verify - <"$1"' sh "$tmp/packed" "$xsr"

# every reading command sees the same image as from the plain file
# the same JSON but for the input's name
"$xsr" dump --json "$tmp/img.xl" | sed 's|"input":"[^"]*"||' >"$tmp/dump.plain"
expect_rc 0 "dump --json of $codec" "$xsr" dump --json "$tmp/packed"
sed -i 's|"input":"[^"]*"||' "$tmp/out"
cmp -s "$tmp/out" "$tmp/dump.plain" || fail "dump --json of the $codec file differs from the plain file's"
expect_rc 0 "dump of $codec from a pipe" sh -c 'cat "$1" | "$2" dump --json -' sh "$tmp/packed" "$xsr"
sed -i 's|"input":"[^"]*"||' "$tmp/out"
cmp -s "$tmp/out" "$tmp/dump.plain" || fail "dump --json of $codec from a pipe differs from the plain file's"
"$xsr" stats --json "$tmp/img.xl" >"$tmp/stats.plain"
expect_rc 0 "stats of $codec" "$xsr" stats --json -q "$tmp/packed"
grep -v '"bytes"\|"input' "$tmp/out" >"$tmp/stats.packed"
grep -v '"bytes"\|"input' "$tmp/stats.plain" >"$tmp/stats.want"
cmp -s "$tmp/stats.packed" "$tmp/stats.want" || fail "stats of the $codec file differ from the plain file's"
expect_rc 0 "diff $codec against plain" "$xsr" diff "$tmp/packed" "$tmp/img.xl"
expect_grep "$tmp/out" "equivalent" "diff calls the $codec image equivalent to the plain one"
expect_rc 0 "extract from $codec" "$xsr" extract -q --raw "$tmp/mem.packed" "$tmp/packed"
"$xsr" extract -q --raw "$tmp/mem.plain" "$tmp/img.xl"
cmp -s "$tmp/mem.packed" "$tmp/mem.plain" || fail "memory extracted from $codec differs"
expect_rc 0 "map of $codec" "$xsr" map -q --svg "$tmp/map.svg" "$tmp/packed"
expect_grep "$tmp/map.svg" "<svg" "map of $codec is an SVG"
expect_rc 0 "convert $codec to v4" "$xsr" convert -q -s 4 "$tmp/packed" "$tmp/v4.xl"
expect_rc 0 "the converted image is valid" "$xsr" verify "$tmp/v4.xl"

# damaged compressed data: an error naming the compression, not a crash
size=$(stat -c %s "$tmp/packed")
head -c $((size * 2 / 3)) "$tmp/packed" >"$tmp/cut"
expect_rc 1 "verify a truncated $codec file" "$xsr" verify "$tmp/cut"
expect_grep "$tmp/out" "the $codec data ends inside a frame at compressed offset 0x[0-9a-f]+ \(decompressed offset 0x[0-9a-f]+\): the compressed input is truncated" "truncation named"
expect_rc 1 "verify a truncated $codec pipe" sh -c 'cat "$1" | "$2" verify -' sh "$tmp/cut" "$xsr"
expect_grep "$tmp/out" "the $codec data ends inside a frame" "truncation from a pipe named"
expect_rc 1 "extract from a truncated $codec file" "$xsr" extract -q --raw "$tmp/mem.cut" "$tmp/cut"
expect_grep "$tmp/err" "the $codec data ends inside a frame" "extract names the truncation"
# the header of the compressed format broken just after its magic
cp "$tmp/packed" "$tmp/bad"
case $codec in
    zstd) off=4 ;;  # frame header descriptor: reserved bit set
    gzip) off=3 ;;  # flags: reserved bits set
    xz) off=7 ;;    # stream flags: unsupported check type, and its CRC no longer matches
esac
printf '\377' | dd of="$tmp/bad" bs=1 seek=$off conv=notrunc 2>/dev/null
expect_rc 1 "verify a corrupt $codec file" "$xsr" verify "$tmp/bad"
expect_grep "$tmp/out" "the $codec data is corrupt at compressed offset (0|0x[0-9a-f]+) \(decompressed offset 0\)" "corruption named"

# not compressed, through a pipe: nothing lost to the look at the magic
expect_rc 0 "plain image from a pipe" sh -c 'cat "$1" | "$2" verify -' sh "$tmp/img.xl" "$xsr"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "ok"
