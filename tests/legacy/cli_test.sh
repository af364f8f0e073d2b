#!/bin/sh
# End-to-end tests of 'xsr convert-legacy' and 'xsr convert': exit codes,
# pipes, the output file appearing only on success, verbose descriptions.
#   cli_test.sh LEGACY_GEN   (XSR_CLI names the xsr binary)
set -u
gen=$1
xsr=${XSR_CLI:?XSR_CLI is not set}
dir=$(mktemp -d "${TMPDIR:-/tmp}/xsr-legacy-cli.XXXXXX")
trap 'rm -rf "$dir"' EXIT
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
expect_rc() { # want cmd...
    want=$1; shift
    "$@" >"$dir/stdout" 2>"$dir/stderr"
    rc=$?
    [ "$rc" -eq "$want" ] || { fail "'$*' exited $rc, want $want"; cat "$dir/stderr" >&2; }
}
expect_err() { # substring
    grep -q -- "$1" "$dir/stderr" || { fail "stderr lacks '$1':"; cat "$dir/stderr" >&2; }
}

"$gen" --guest pv --width 32 --xsave 512 --vcpus 2 "$dir/pv.leg" || exit 1
"$gen" --guest hvm --xl --toolstack "$dir/hvm.leg" || exit 1

# file to file, detected, verbose
expect_rc 0 "$xsr" convert-legacy -v "$dir/pv.leg" "$dir/pv.out"
expect_err "32-bit toolstack (detected), x86 PV guest (detected)"
expect_err "2 vCPUs"
expect_rc 0 "$xsr" verify -q "$dir/pv.out"
[ "$(ls -A "$dir" | grep -c '^\.')" -eq 0 ] || fail "a temporary file was left behind"

# the -i/-o form writes the same bytes
expect_rc 0 "$xsr" convert-legacy -q -i "$dir/pv.leg" -o "$dir/pv.out2"
cmp -s "$dir/pv.out" "$dir/pv.out2" || fail "-i/-o output differs"

# pipe to pipe
cat "$dir/pv.leg" | "$xsr" convert-legacy - - >"$dir/pv.out3" 2>"$dir/stderr" || fail "pipe conversion failed"
cmp -s "$dir/pv.out" "$dir/pv.out3" || fail "pipe output differs"

# an xl header: libxl output by default, verified as an xl image
expect_rc 0 "$xsr" convert-legacy -v "$dir/hvm.leg" "$dir/hvm.xl"
expect_err "wrote a libxl stream, version 3"
expect_rc 0 "$xsr" verify -q -f xl "$dir/hvm.xl"
expect_rc 0 "$xsr" convert-legacy -q --stream-version 4 "$dir/hvm.leg" "$dir/hvm4.xl"
expect_rc 0 "$xsr" verify -q "$dir/hvm4.xl"

# failure: exit 1, the offset in the message, no output, no temporary, and
# an existing output file is left as it was
head -c 300000 "$dir/pv.leg" >"$dir/cut.leg"
expect_rc 1 "$xsr" convert-legacy "$dir/cut.leg" "$dir/new.out"
expect_err "ends at offset 0x493e0"
[ ! -e "$dir/new.out" ] || fail "a failed conversion left its output"
echo "precious" >"$dir/old.out"
expect_rc 1 "$xsr" convert-legacy "$dir/cut.leg" "$dir/old.out"
[ "$(cat "$dir/old.out")" = "precious" ] || fail "a failed conversion changed the existing output"
[ "$(ls -A "$dir" | grep -c '^\.')" -eq 0 ] || fail "a failed conversion left a temporary file"
expect_rc 1 "$xsr" convert-legacy "$dir/pv.leg" "$dir/no/such/dir/out"

# usage errors
expect_rc 2 "$xsr" convert-legacy
expect_rc 2 "$xsr" convert-legacy -w 48 "$dir/pv.leg" "$dir/x"
expect_rc 2 "$xsr" convert-legacy --stream-version 2 "$dir/pv.leg" "$dir/x"
expect_rc 2 "$xsr" convert-legacy -F json "$dir/pv.leg" "$dir/x"
# -f is the input format everywhere: convert-legacy's output format is -F
expect_rc 2 "$xsr" convert-legacy -f libxc "$dir/pv.leg" "$dir/x"
expect_rc 0 "$xsr" convert-legacy -F libxc -s 4 "$dir/pv.leg" "$dir/fx.libxc"
expect_rc 0 "$xsr" verify -f libxc "$dir/fx.libxc"
grep -q 'libxc stream v4' "$dir/stdout" || fail "convert-legacy -F libxc -s 4 did not write a v4 libxc stream"
expect_rc 2 "$xsr" convert-legacy "$dir/pv.leg" "$dir/x" extra
expect_rc 0 "$xsr" help convert-legacy
grep -q "stream-version" "$dir/stdout" || fail "help lacks --stream-version"

# overrides: a wrong guest type fails, the right one works
expect_rc 1 "$xsr" convert-legacy -g hvm "$dir/pv.leg" "$dir/x"
expect_rc 0 "$xsr" convert-legacy -q -w 32 -g pv "$dir/pv.leg" "$dir/x"
cmp -s "$dir/x" "$dir/pv.out" || fail "explicit width/guest give other bytes"

# tmem is refused with the reason
"$gen" --guest hvm --extra-chunk -5 "$dir/tmem.leg"
expect_rc 1 "$xsr" convert-legacy -w 64 -g hvm "$dir/tmem.leg" "$dir/x2"
expect_err "tmem"

# xsr convert: v3 -> v4 -> v3 gives the same bytes; v2 needs --allow-lossy
"$xsr" generate --version 3 --guest pv --all-records "$dir/g3.xl" || exit 1
expect_rc 0 "$xsr" convert -v -s 4 "$dir/g3.xl" "$dir/g4.xl"
expect_err "DOMAIN_CONTEXT records made"
expect_rc 0 "$xsr" verify -q "$dir/g4.xl"
expect_rc 0 "$xsr" convert -q -s 3 "$dir/g4.xl" "$dir/g3b.xl"
cmp -s "$dir/g3.xl" "$dir/g3b.xl" || fail "v3 -> v4 -> v3 is not the same bytes"
expect_rc 1 "$xsr" convert -s 2 "$dir/g3.xl" "$dir/g2.xl"
expect_err "(--allow-lossy drops it"
[ ! -e "$dir/g2.xl" ] || fail "a refused conversion left its output"
expect_rc 0 "$xsr" convert -s 2 --allow-lossy "$dir/g3.xl" "$dir/g2.xl"
expect_rc 0 "$xsr" verify -q "$dir/g2.xl"
cat "$dir/g3.xl" | "$xsr" convert -s 4 - - >"$dir/g4p.xl" 2>"$dir/stderr" || fail "convert through a pipe failed"
cmp -s "$dir/g4.xl" "$dir/g4p.xl" || fail "convert through a pipe gives other bytes"
expect_rc 1 "$xsr" convert -s 3 "$dir/pv.leg" "$dir/x3"
expect_err "convert-legacy"
expect_rc 2 "$xsr" convert "$dir/g3.xl" "$dir/x3"
expect_rc 2 "$xsr" convert -s 5 "$dir/g3.xl" "$dir/x3"

[ "$fails" -eq 0 ] || { echo "$fails failures" >&2; exit 1; }
echo "all convert CLI checks passed"
