#!/bin/sh
# `xsr diff` of the PV and the PVH image a real Xen 4.17 host saved answers
# the migration question by name (guest types, configuration paths, CPUID
# registers, MSRs, TSC, HVM params): text against a golden file, --json by
# key, and a truncated copy still compared up to where it stops.
# Skipped (77) without ../shared, zstd or python3.
#   diff_fixture_test.sh SRCDIR
set -u
src=$1
xsr=${XSR_CLI:?XSR_CLI is not set}
shared=${XSR_SHARED:-${XSR_SRCDIR:-.}/../shared}
dir=$shared/fixtures/xen-4.17
golden=$src/tests/cli/golden
for f in pv1-save.xl pvh1-save.xl; do
    [ -f "$dir/$f.zst" ] || { echo "skip: $dir/$f.zst is not available (set XSR_SHARED)"; exit 77; }
done
command -v zstd >/dev/null 2>&1 || { echo "skip: zstd is not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 is not installed"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-diff-fixture.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
zstd -dq "$dir/pv1-save.xl.zst" -o "$tmp/pv1.xl" || exit 1
zstd -dq "$dir/pvh1-save.xl.zst" -o "$tmp/pvh1.xl" || exit 1
head -c 70000000 "$tmp/pv1.xl" >"$tmp/cut.xl" || exit 1
bad=0
fail() { echo "FAIL: $*"; bad=$((bad + 1)); }

cd "$tmp" || exit 1
"$xsr" diff -q pv1.xl pvh1.xl >text.out 2>err.out
rc=$?
[ "$rc" -eq 1 ] || fail "diff pv1 pvh1: exit $rc, not 1 ($(cat err.out))"
[ -s err.out ] && fail "diff pv1 pvh1 wrote to stderr: $(cat err.out)"
diff -u "$golden/diff-pv1-pvh1.txt" text.out || fail "diff pv1 pvh1 differs from the golden output"

"$xsr" diff -q pv1.xl cut.xl >cut.out 2>cut.err
rc=$?
[ "$rc" -eq 2 ] || fail "diff with a truncated image: exit $rc, not 2"
diff -u "$golden/diff-pv1-cut.txt" cut.out || fail "diff pv1 cut differs from the golden output"
grep -q '^xsr diff: cut.xl could not be read to its end' cut.err || fail "stderr does not name cut.xl: $(cat cut.err)"

"$xsr" diff -q pv1.xl pv1.xl >same.out || fail "diff of an image with itself: exit $?"
grep -q '^the images are equivalent$' same.out || fail "an image is not equivalent to itself"

"$xsr" diff -q --json pv1.xl pvh1.xl >diff.json
[ $? -eq 1 ] || fail "diff --json: exit status"
python3 - diff.json <<'PY' || bad=$((bad + 1))
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
def check(cond, msg):
    if not cond:
        bad.append(msg)
D = d["differences"]
check(d["command"] == "diff" and d["json_version"] == 1, "header keys")
check(d["images"]["a"]["guest_type"] == "PV" and d["images"]["b"]["guest_type"] == "PVH", "guest types")
check(d["images"]["a"]["guest_width"] == 8 and d["images"]["b"]["complete"], "image a/b keys")
check({"what": "guest type", "a": "PV", "b": "PVH"} in D["guest"]["entries"], "guest section")
cfg = {e["path"]: e for e in D["config"]["entries"]}
check(cfg["c_info.type"]["a"] == "pv" and cfg["c_info.type"]["b"] == "pvh", "config c_info.type")
check("a" not in cfg["b_info.cpuid"] and cfg["b_info.cpuid"]["b"]["cpuid"][0]["leaf"] == 0x80000001,
      "config b_info.cpuid only in B, as JSON")
cpuid = {(e["leaf"], e["subleaf"], e["register"]): e for e in D["cpuid"]["entries"]}
e = cpuid.get(("0x1", None, "ecx"))
check(e is not None and e["a"] == "0xf6d83203" and e["b"] == "0xf6f83203", "cpuid leaf 1 ecx")
check(("0x7", "0x0", "ecx") in cpuid, "cpuid leaf 7 subleaf 0 ecx")
msr = D["msr"]["entries"]
check(msr == [{"what": "0xce INTEL_PLATFORM_INFO", "index": "0xce", "name": "INTEL_PLATFORM_INFO",
               "a": "0x0", "b": "0x80000000"}], "msr policy: %r" % msr)
tsc = {e["what"]: e for e in D["tsc"]["entries"]}
check(tsc["khz"]["a"] == 2793435 and tsc["khz"]["b"] == 2793434 and "mode" not in tsc, "tsc")
params = {e["name"]: e for e in D["hvm_params"]["entries"]}
check(params["STORE_PFN"] == {"what": "STORE_PFN (1)", "index": 1, "name": "STORE_PFN", "b": "0xfeffc"},
      "hvm param STORE_PFN only in B")
check(D["pages"]["count"] == 0, "no page ranges without --pages")
m = d["memory"]
check((m["differ"], m["only_a"], m["only_b"]) == (13790, 1, 17), "memory %r" % m)
check(d["equivalent"] is False and d["complete"] is True, "verdict keys")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY

"$xsr" diff -q --json pv1.xl cut.xl >cut.json
python3 - cut.json <<'PY' || bad=$((bad + 1))
import json, sys
d = json.load(open(sys.argv[1]))
b = d["images"]["b"]
ok = (not d["complete"] and not b["complete"] and "PAGE_DATA" in b["stopped"]
      and d["images"]["a"]["stopped"] is None and d["memory"]["only_a"] == 16384)
if not ok:
    print("FAIL: the truncated image's JSON:", json.dumps(b), d["memory"])
sys.exit(0 if ok else 1)
PY

[ "$bad" -eq 0 ] || { echo "$bad failure(s)"; exit 1; }
echo "diff of the real fixtures: ok"
