#!/bin/sh
# Every command that writes a file follows one rule: a regular file or a new
# name is written under a temporary name and renamed on success; a character
# device, FIFO or socket is written through and stays what it is; a symlink
# is followed and stays a link.  The character device is a node made in a
# tmpfs of a private mount namespace, never the real /dev.
#   outputs_test.sh LEGACY_GEN   (XSR_CLI names the xsr binary)
set -u
gen=$1
xsr=${XSR_CLI:?XSR_CLI is not set}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-outputs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

. "$(dirname "$0")/../common/expect.sh"

"$xsr" generate --pages 64 "$tmp/in.xl" || exit 1
"$gen" --guest pv --pages 64 "$tmp/in.leg" || exit 1

# run_to NAME OUT: the command NAME writing to OUT (shared with the
# namespace script below)
cat >"$tmp/run_to.sh" <<'EOS'
run_to() {
    case $1 in
    convert) "$xsr" convert -q --stream-version 4 "$tmp/in.xl" "$2" ;;
    convert-legacy) "$xsr" convert-legacy -q "$tmp/in.leg" "$2" ;;
    generate) "$xsr" generate --pages 64 "$2" ;;
    map) "$xsr" map -q "$tmp/in.xl" --svg "$2" ;;
    pfn-map) "$xsr" extract -q "$tmp/in.xl" --raw "$tmp/mem.raw" --pfn-map "$2" ;;
    esac
}
EOS
. "$tmp/run_to.sh"

# expect_kind PATH TEST DESCRIPTION: `test TEST PATH` holds
expect_kind() {
    test "$2" "$1" || fail "$3: $1 is no longer what it was ($(ls -l "$1" 2>&1))"
}

# a FIFO read by a background cat into $tmp/got; wait for it with $reader
start_reader() {
    rm -f "$tmp/got"
    cat "$1" >"$tmp/got" &
    reader=$!
}

for cmd in convert convert-legacy generate map pfn-map; do
    # a new name, then a regular file replaced by the rename (a new inode)
    rm -f "$tmp/o.img"
    expect_rc 0 "$cmd to a new name" run_to $cmd "$tmp/o.img"
    [ -s "$tmp/o.img" ] || fail "$cmd to a new name: nothing written"
    cp "$tmp/o.img" "$tmp/want"
    ino=$(stat -c %i "$tmp/o.img")
    expect_rc 0 "$cmd over a regular file" run_to $cmd "$tmp/o.img"
    [ "$(stat -c %i "$tmp/o.img")" != "$ino" ] || fail "$cmd over a regular file: not renamed over it"
    cmp -s "$tmp/o.img" "$tmp/want" || fail "$cmd over a regular file: other bytes"

    # a symlink to a regular file: the target is replaced, the link stays
    rm -f "$tmp/link"
    ln -s o.img "$tmp/link"
    : >"$tmp/o.img"
    expect_rc 0 "$cmd through a symlink" run_to $cmd "$tmp/link"
    expect_kind "$tmp/link" -L "$cmd through a symlink"
    cmp -s "$tmp/o.img" "$tmp/want" || fail "$cmd through a symlink: target not written"

    # a FIFO with a reader, directly and through a symlink: written through
    rm -f "$tmp/fifo" "$tmp/link"
    mkfifo "$tmp/fifo"
    ln -s fifo "$tmp/link"
    for out in "$tmp/fifo" "$tmp/link"; do
        start_reader "$tmp/fifo"
        expect_rc 0 "$cmd to a FIFO ($out)" run_to $cmd "$out"
        [ "$got" -eq 0 ] || kill $reader 2>/dev/null  # never opened: do not wait forever
        wait $reader
        expect_kind "$tmp/fifo" -p "$cmd to a FIFO ($out)"
        cmp -s "$tmp/got" "$tmp/want" || fail "$cmd to a FIFO ($out): the reader got other bytes"
    done
    expect_kind "$tmp/link" -L "$cmd to a FIFO through a symlink"
    [ -z "$(ls -A "$tmp" | grep '^\.')" ] || fail "$cmd: a temporary file was left behind"
done

# extract's memory image is written at offsets: a FIFO is refused, untouched
expect_rc 2 "extract --raw to a FIFO" "$xsr" extract -q "$tmp/in.xl" --raw "$tmp/fifo"
expect_grep "$tmp/err" 'not a regular file' "extract --raw to a FIFO: message"
expect_kind "$tmp/fifo" -p "extract --raw to a FIFO"
# a failed map leaves an existing picture as it was
echo keep >"$tmp/pic.svg"
head -c 3000 "$tmp/in.xl" >"$tmp/cut.xl"
expect_rc 1 "map of a truncated stream" "$xsr" map -q "$tmp/cut.xl" --svg "$tmp/pic.svg"
[ "$(cat "$tmp/pic.svg")" = keep ] || fail "a failed map changed the existing picture"

# A character device: in a private mount namespace, a tmpfs over a fake dev
# directory holds a null device node; every command writes through it.
mkdir "$tmp/dev"
cat >"$tmp/chardev.sh" <<EOS
set -u
. "$tmp/run_to.sh"
mount -t tmpfs none "$tmp/dev" || exit 77
mknod "$tmp/dev/null" c 1 3 || exit 77
ln -s null "$tmp/dev/stdout"
for cmd in convert convert-legacy generate map pfn-map; do
    for out in "$tmp/dev/null" "$tmp/dev/stdout"; do
        run_to \$cmd "\$out" >/dev/null 2>"$tmp/dev.err" || { echo "\$cmd to \$out failed:"; cat "$tmp/dev.err"; exit 1; }
        test -c "$tmp/dev/null" || { echo "\$cmd to \$out replaced the device node"; exit 1; }
        test -L "$tmp/dev/stdout" || { echo "\$cmd to \$out replaced the symlink"; exit 1; }
    done
done
test -z "\$(ls -A "$tmp/dev" | grep '^\.')" || { echo "a temporary file was left in the device directory"; exit 1; }
EOS
if command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
    xsr=$xsr tmp=$tmp unshare -m sh "$tmp/chardev.sh" >"$tmp/err" 2>&1
    rc=$?
    if [ $rc -eq 77 ]; then
        echo "SKIP: cannot make a device node in a private mount namespace" >&2
    elif [ $rc -ne 0 ]; then
        fail "character device: $(cat "$tmp/err")"
    fi
else
    echo "SKIP: no private mount namespace (unshare -m not permitted): character device not tested" >&2
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "all output kinds passed"
