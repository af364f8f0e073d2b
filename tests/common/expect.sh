# Shell helpers of the end-to-end tests, sourced by a test script after it
# has set $tmp (a directory of its own): failure counting and checks of a
# command's exit status and output.

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect_rc WANT DESCRIPTION CMD...: run CMD (output in $tmp/out, $tmp/err)
expect_rc() {
    want=$1; what=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$what: exit status $got, expected $want"
        sed 's/^/    stdout: /' "$tmp/out" | head -n 20 >&2
        sed 's/^/    stderr: /' "$tmp/err" | head -n 20 >&2
    fi
}

# expect_grep FILE PATTERN DESCRIPTION: an extended regex must match a line
expect_grep() {
    if ! grep -Eq -- "$2" "$1"; then
        fail "$3: no line matching /$2/ in $(basename "$1")"
        head -n 40 "$1" | sed 's/^/    /' >&2
    fi
}

expect_empty() {
    if [ -s "$1" ]; then
        fail "$2: expected no output, got:"
        head -n 10 "$1" | sed 's/^/    /' >&2
    fi
}
