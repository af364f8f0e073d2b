#!/bin/sh
# Every option a command's getopt table accepts is listed by its --help and
# its man page, so the three cannot drift apart.  Options marked "hidden" in
# the table (old spellings kept working) are exempt.
#   options_test.sh SOURCE_ROOT
set -u
root=$1
xsr=${XSR_CLI:?XSR_CLI is not set}
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

checked=0
for src in "$root"/tools/xsr/cmd_*.c; do
    cmd=$(basename "$src" .c | sed 's/^cmd_//; s/_/-/g')
    # sim dispatches to subcommands, each with its own help
    [ "$cmd" = sim ] && continue
    man="$root/doc/xsr-$cmd.1"
    [ -f "$man" ] || { fail "$cmd: no man page doc/xsr-$cmd.1"; continue; }
    help=$("$xsr" "$cmd" --help 2>&1) || fail "$cmd: --help failed"
    opts=$(grep -E '^[[:space:]]*\{ "[a-z0-9-]+", (no|required|optional)_argument' "$src" |
           grep -v hidden | sed -E 's/^[^"]*"([^"]+)".*/\1/')
    [ -n "$opts" ] || fail "$cmd: no option table found in $(basename "$src")"
    for o in $opts; do
        checked=$((checked + 1))
        printf '%s\n' "$help" | grep -q -- "--$o\b" || fail "$cmd --help does not list --$o"
        grep -q -- "\\\\-\\\\-$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$man" ||
            fail "doc/xsr-$cmd.1 does not list --$o"
    done
done
[ "$checked" -gt 20 ] || fail "only $checked options found: the option tables were not read"
[ "$failures" -eq 0 ] || { echo "$failures check(s) failed" >&2; exit 1; }
echo "$checked options: all in --help and the man pages"
