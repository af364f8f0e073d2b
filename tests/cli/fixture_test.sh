#!/bin/sh
# `xsr dump --json` of the images saved by a real Xen 4.17 host matches the
# independent per-record listing beside them (offset, layer, type, length,
# and for PAGE_DATA the count, data pages and pfn range), and `xsr verify`
# finds them valid, also when reading the .zst directly.  Skipped (77) without ../shared, zstd or python3.
#   fixture_test.sh NAME      (NAME: pv1-save.xl, pvh1-save.xl)
set -u
name=$1
xsr=${XSR_CLI:?XSR_CLI is not set}
shared=${XSR_SHARED:-${XSR_SRCDIR:-.}/../shared}
dir=$shared/fixtures/xen-4.17
if [ ! -f "$dir/$name.zst" ] || [ ! -f "$dir/$name.records.tsv" ]; then
    echo "skip: $dir/$name.zst is not available (set XSR_SHARED)"; exit 77
fi
command -v zstd >/dev/null 2>&1 || { echo "skip: zstd is not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 is not installed"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-fixture-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
zstd -dq "$dir/$name.zst" -o "$tmp/image" || exit 1

"$xsr" verify -q "$tmp/image" || { echo "FAIL: xsr verify $name: exit $?"; exit 1; }
"$xsr" dump --json "$tmp/image" >"$tmp/dump.json" || { echo "FAIL: xsr dump --json $name: exit $?"; exit 1; }

# the .zst as it is kept: read through the compression, the same image
"$xsr" verify -q "$dir/$name.zst" || { echo "FAIL: xsr verify $name.zst: exit $?"; exit 1; }
"$xsr" dump --json "$dir/$name.zst" >"$tmp/zst.json" || { echo "FAIL: xsr dump --json $name.zst: exit $?"; exit 1; }
sed 's|"input":"[^"]*"||' "$tmp/dump.json" >"$tmp/a.json"
sed 's|"input":"[^"]*"||' "$tmp/zst.json" >"$tmp/b.json"
cmp -s "$tmp/a.json" "$tmp/b.json" || { echo "FAIL: xsr dump --json of $name.zst differs from the decompressed image's"; exit 1; }

python3 - "$tmp/dump.json" "$dir/$name.records.tsv" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])][1:]
header_names = {"xl_header": "XL_HEADER", "libxl_header": "LIBXL_HEADER",
                "image_header": "IMAGE_HEADER", "domain_header": "DOMAIN_HEADER"}
items = doc["items"]
bad = 0
def fail(msg):
    global bad
    bad += 1
    if bad <= 20:
        print("FAIL:", msg)
if len(items) != len(rows):
    fail(f"{len(items)} items in the dump, {len(rows)} rows in the listing")
for it, row in zip(items, rows):
    off, layer, typ, name, length, detail = row + [""] * (6 - len(row))
    want = (int(off), layer, name, int(length))
    got = (it["offset"], it["layer"], header_names.get(it["kind"], it["type_name"]), it["length"])
    if got != want:
        fail(f"item at {it['offset']}: {got} != {want}")
        continue
    if typ and int(typ, 16) != it["type"]:
        fail(f"item at {off}: type {it['type']} != {typ}")
    if name == "PAGE_DATA":
        d = dict(kv.split("=", 1) for kv in detail.split())
        f = it["fields"]
        lo, hi = (int(x, 16) for x in d["pfn"].split(".."))
        if (f["count"], f["data_pages"], f["pfn_min"], f["pfn_max"]) != (int(d["count"]), int(d["data_pages"]), lo, hi):
            fail(f"PAGE_DATA at {off}: {f} vs {detail}")
        types = dict(t.split(":") for t in d["types"].split(","))
        if {k: int(v) for k, v in types.items()} != f["types"]:
            fail(f"PAGE_DATA at {off}: types {f['types']} vs {d['types']}")
if not doc["valid"] or doc["summary"]["errors"]:
    fail("the dump does not call the image valid")
print(f"{len(items)} items compared, {bad} mismatches")
sys.exit(1 if bad else 0)
PY
