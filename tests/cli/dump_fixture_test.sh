#!/bin/sh
# `xsr dump` of the PV and the PVH image a real Xen 4.17 host saved shows
# what an administrator looks for: the xl domain configuration, a PVH guest
# named PVH, every PV register, sizes in MiB, no PV-only fields for an HVM
# guest, and the guest's memory as a few folded items (--pages shows each).
# The images are read through their zstd compression.
# Skipped (77) without ../shared or python3.
set -u
xsr=${XSR_CLI:?XSR_CLI is not set}
shared=${XSR_SHARED:-${XSR_SRCDIR:-.}/../shared}
dir=$shared/fixtures/xen-4.17
for f in pv1-save.xl pvh1-save.xl; do
    [ -f "$dir/$f.zst" ] || { echo "skip: $dir/$f.zst is not available (set XSR_SHARED)"; exit 77; }
done
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 is not installed"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-dump-fixture.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
bad=0
fail() { echo "FAIL: $*"; bad=$((bad + 1)); }
has() { grep -q -- "$2" "$1" || fail "$1 lacks '$2'"; }
lacks() { ! grep -q -- "$2" "$1" || fail "$1 has '$2': $(grep -m1 -- "$2" "$1")"; }

"$xsr" dump "$dir/pv1-save.xl.zst" >"$tmp/pv.txt" 2>"$tmp/err" || fail "dump pv1: $(cat "$tmp/err")"
"$xsr" dump "$dir/pvh1-save.xl.zst" >"$tmp/pvh.txt" 2>"$tmp/err" || fail "dump pvh1: $(cat "$tmp/err")"
"$xsr" dump --pages "$dir/pv1-save.xl.zst" >"$tmp/pv-pages.txt" 2>"$tmp/err" || fail "dump --pages: $(cat "$tmp/err")"

# the configuration, and the guest type it gives
has "$tmp/pvh.txt" '^    domain_name: pvh1$'
has "$tmp/pvh.txt" '^    guest_type: pvh$'
has "$tmp/pvh.txt" '"type": "pvh"'
has "$tmp/pvh.txt" '^    guest: PVH$'
has "$tmp/pv.txt" '^    guest: PV$'
# every general register of a 64-bit PV vCPU, and the control registers
for r in rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip rflags cr0 cr3 cr4; do
    has "$tmp/pv.txt" "^      $r: 0x"
done
# sizes a person reads
has "$tmp/pvh.txt" '^    data_pages: 32784 (128.1 MiB)$'
has "$tmp/pvh.txt" '^    bytes: [0-9]* ([0-9.]* MiB)$'
# PV-only fields are not shown for an HVM guest
lacks "$tmp/pvh.txt" 'guest_width:'
lacks "$tmp/pvh.txt" 'pt_levels:'
has "$tmp/pv.txt" '^    guest_width: 8$'
# memory folded: a few hundred lines, not one item per PAGE_DATA record
for f in pv pvh; do
    n=$(wc -l <"$tmp/$f.txt")
    [ "$n" -lt 400 ] || fail "dump $f is $n lines: PAGE_DATA records are not folded"
done
has "$tmp/pvh.txt" 'PAGE_DATA (0x1): [0-9]* more records, [0-9]* bytes (--pages shows each)'
n=$(grep -c 'PAGE_DATA (0x1), ' "$tmp/pv-pages.txt")
[ "$n" -eq 32 ] || fail "dump --pages shows $n PAGE_DATA records, not the image's 32"

# JSON keeps every record and carries the configuration as a value
"$xsr" dump --json "$dir/pvh1-save.xl.zst" >"$tmp/pvh.json" || fail "dump --json pvh1"
python3 - "$tmp/pvh.json" <<'PY' || fail "JSON dump of pvh1 is not as expected"
import json, sys
d = json.load(open(sys.argv[1]))
f = d["items"][0]["fields"]
assert f["guest_type"] == "pvh", f["guest_type"]
assert isinstance(f["config"], dict) and f["config"]["c_info"]["name"] == "pvh1"
assert d["summary"]["guest_width"] == 0
pages = [i for i in d["items"] if i.get("type_name") == "PAGE_DATA"]
assert len(pages) == 1020, len(pages)
PY
[ "$bad" -eq 0 ] || exit 1
echo "ok: dump of both real images shows the configuration, registers, sizes, folded memory"
