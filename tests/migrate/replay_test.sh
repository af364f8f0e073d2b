#!/bin/sh
# xsr migrate-receive against real xl's side of a migration: the sender's
# bytes are rebuilt from the real pv1-save.xl image (bytes up to the libxl
# END have an xl save file's framing) plus xl's "domain is yours" message.
# Every byte xsr's receiver answers must equal what real xl's receiver sent
# (pv1-migrate.reply.bin), and the domain must equal the image restored.
set -u
xsr=${XSR_CLI:?XSR_CLI is not set}
fx=${XSR_SHARED:-$XSR_SRCDIR/../shared}/fixtures/xen-4.17
if [ ! -f "$fx/pv1-save.xl.zst" ] || ! command -v zstd >/dev/null; then
    echo "skipping: no ../shared/fixtures/xen-4.17/pv1-save.xl.zst (or no zstd)"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-replay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
. "$XSR_SRCDIR/tests/common/expect.sh"

zstd -dq -o "$tmp/pv1.xl" "$fx/pv1-save.xl.zst" || fail "zstd"
{ cat "$tmp/pv1.xl"; printf 'domain is yours, you are cleared to unpause\000'; } >"$tmp/send.bin"
"$xsr" migrate-receive -q "$tmp/out.sim" <"$tmp/send.bin" >"$tmp/reply.bin" 2>"$tmp/err" ||
    fail "migrate-receive: $(cat "$tmp/err")"
cmp "$tmp/reply.bin" "$fx/pv1-migrate.reply.bin" || fail "the reply differs from real xl's"
expect_rc 0 "restore of the image" "$xsr" restore -q "$tmp/pv1.xl" "$tmp/ref.sim"
expect_rc 0 "the received domain equals the image" "$xsr" sim diff "$tmp/ref.sim" "$tmp/out.sim"
[ "$failures" -eq 0 ] && echo "replayed real xl's sender: reply byte-identical, domain equal"
[ "$failures" -eq 0 ]
