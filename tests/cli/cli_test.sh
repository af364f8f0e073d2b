#!/bin/sh
# End-to-end tests of the xsr command-line tool.
#   cli_test.sh GROUP JSON_CHECK
# XSR_CLI is the built tool (set by tests/meson.build); JSON_CHECK is the
# json-c based checker built beside this script.  Each group generates its
# streams with `xsr generate` into a temporary directory.
set -u

group=$1
json_check=$2
xsr=${XSR_CLI:?XSR_CLI is not set}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsr-cli-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

. "$(dirname "$0")/../common/expect.sh"

# generate NAME OPTIONS...: $tmp/NAME, a valid stream
generate() {
    name=$1; shift
    if ! "$xsr" generate "$@" "$tmp/$name" 2>"$tmp/gen.err"; then
        echo "FAIL: xsr generate $* $name failed:" >&2
        cat "$tmp/gen.err" >&2
        exit 1
    fi
}

# corrupt SRC DST OFFSET BYTE_OCTAL: a copy with one byte replaced
corrupt() {
    cp "$1" "$2" && printf "\\$4" | dd of="$2" bs=1 seek="$3" conv=notrunc 2>/dev/null
}

test_usage() {
    expect_rc 2 "no arguments" "$xsr"
    expect_grep "$tmp/err" '^Usage: xsr COMMAND' "usage on stderr without arguments"
    expect_rc 0 "--help" "$xsr" --help
    for cmd in verify dump generate demo; do
        expect_grep "$tmp/out" "^  $cmd " "--help lists $cmd"
    done
    expect_rc 0 "--version" "$xsr" --version
    expect_grep "$tmp/out" '^xsr [0-9]+\.[0-9]+\.[0-9]+$' "--version output"
    expect_rc 2 "unknown command" "$xsr" frobnicate
    expect_grep "$tmp/err" "unknown command 'frobnicate'" "unknown command message"
    expect_rc 2 "unknown global option" "$xsr" --frobnicate
    for cmd in verify dump generate demo; do
        expect_rc 0 "help $cmd" "$xsr" help "$cmd"
        expect_grep "$tmp/out" "^Usage: xsr $cmd" "help $cmd prints its usage"
        expect_rc 0 "$cmd --help" "$xsr" "$cmd" --help
        expect_grep "$tmp/out" "^Usage: xsr $cmd" "$cmd --help prints its usage"
    done
    expect_rc 2 "help of an unknown command" "$xsr" help frobnicate
    expect_rc 2 "verify: bad option" "$xsr" verify --frobnicate x
    expect_grep "$tmp/err" "Try 'xsr help verify'" "hint after a bad option"
    expect_rc 2 "verify: no file" "$xsr" verify
    expect_rc 2 "mistyped command" "$xsr" verfiy x
    expect_grep "$tmp/err" "unknown command 'verfiy'; did you mean 'verify'\\?" "did you mean"
    expect_rc 2 "unknown command" "$xsr" frobnicate
    expect_grep "$tmp/err" "unknown command 'frobnicate'$" "no suggestion for a far name"
    expect_rc 2 "verify: unknown target" "$xsr" verify --target xen-4.5 x
    expect_grep "$tmp/err" "unknown target 'xen-4.5'" "unknown target named"
    expect_rc 2 "verify: bad format" "$xsr" verify -f xml x
    expect_grep "$tmp/err" "unknown format 'xml'" "bad format message"
    expect_rc 2 "dump: bad option" "$xsr" dump --pagez x
    expect_rc 2 "dump: --json with --summary" "$xsr" dump --json --summary x
    expect_rc 2 "generate: bad version" "$xsr" generate --version 5 "$tmp/x"
    expect_rc 2 "generate: bad guest" "$xsr" generate --guest arm "$tmp/x"
    expect_rc 2 "generate: bad wrap" "$xsr" generate --wrap tar "$tmp/x"
    expect_rc 2 "generate: bad size" "$xsr" generate --size 3k "$tmp/x"
    expect_rc 2 "generate: --pages and --size" "$xsr" generate --pages 16 --size 64K "$tmp/x"
    expect_rc 2 "generate: no output" "$xsr" generate
    expect_rc 2 "demo: two directories" "$xsr" demo a b
    [ -e "$tmp/x" ] && fail "a usage error created the output file"
}

test_verify() {
    generate v4.xl --version 4 --guest pv --wrap xl
    generate v3.libxc --version 3 --guest hvm --wrap libxc
    expect_rc 0 "verify a valid xl image" "$xsr" verify "$tmp/v4.xl"
    expect_grep "$tmp/out" "^$tmp/v4.xl: valid \(xl, libxc stream v4, x86 PV 64-bit; 0 errors" "verdict line"
    expect_rc 0 "verify a valid libxc stream" "$xsr" verify -f libxc "$tmp/v3.libxc"
    expect_grep "$tmp/out" ': valid \(libxc, libxc stream v3, x86 HVM' "HVM verdict"
    expect_rc 0 "verify --lenient" "$xsr" verify --lenient "$tmp/v4.xl"
    expect_rc 0 "verify -q" "$xsr" verify -q "$tmp/v4.xl"
    expect_empty "$tmp/out" "verify -q on a valid image"

    # libxc image header: the version is the big-endian u32 at offset 12.
    corrupt "$tmp/v3.libxc" "$tmp/bad-version" 15 011
    expect_rc 1 "verify a stream of version 9" "$xsr" verify "$tmp/bad-version"
    expect_grep "$tmp/out" '^error: .* \[[a-z0-9.-]+\]$' "finding line with rule id"
    expect_grep "$tmp/out" ': INVALID \(' "invalid verdict"
    expect_rc 1 "verify -q on an invalid stream" "$xsr" verify -q "$tmp/bad-version"
    expect_empty "$tmp/out" "verify -q on an invalid stream"

    head -c 1000 "$tmp/v4.xl" >"$tmp/truncated"
    expect_rc 1 "verify a truncated image" "$xsr" verify "$tmp/truncated"
    expect_grep "$tmp/out" '^error: ' "truncation is an error"

    expect_rc 1 "verify a file that does not exist" "$xsr" verify "$tmp/nonexistent"
    expect_grep "$tmp/err" 'nonexistent' "the missing file is named"
    [ "$(grep -o nonexistent "$tmp/err" | wc -l)" -eq 1 ] || fail "the missing file is named more than once: $(cat "$tmp/err")"
    expect_rc 1 "verify an empty file" "$xsr" verify /dev/null

    # an ELF header is no save image, not "a legacy stream"
    { printf '\177ELF\002\001\001\000'; head -c 120 /dev/zero; } >"$tmp/elf"
    expect_rc 1 "verify an ELF file" "$xsr" verify "$tmp/elf"
    expect_grep "$tmp/out" 'not a Xen save image' "an ELF file is not a Xen save image"
    if grep -Eq "legacy (stream|\\(pre)" "$tmp/out"; then fail "an ELF file is called a legacy stream"; fi

    # Several files, like zstd -t: one verdict each, 1 if any fails.
    expect_rc 1 "verify several files, one invalid" "$xsr" verify "$tmp/v4.xl" "$tmp/bad-version" "$tmp/v3.libxc"
    expect_grep "$tmp/out" "^$tmp/v4.xl: valid" "first of several files"
    expect_grep "$tmp/out" "^$tmp/bad-version: INVALID" "second of several files"
    expect_grep "$tmp/out" "^$tmp/v3.libxc: valid" "third of several files, after an invalid one"
    expect_rc 0 "verify several valid files" "$xsr" verify "$tmp/v4.xl" "$tmp/v3.libxc"

    # a small input on a terminal: done before any progress line is worth drawing
    if command -v script >/dev/null 2>&1; then
        script -qec "'$xsr' verify '$tmp/v4.xl'" /dev/null >"$tmp/tty" 2>&1 </dev/null
        if grep -q 'verifying:' "$tmp/tty"; then fail "progress drawn for a small input: $(tr '\r' '|' <"$tmp/tty")"; fi
        grep -q ': valid' "$tmp/tty" || fail "verify on a terminal printed no verdict"
    fi
    if [ -w /dev/full ]; then
        expect_rc 1 "verify to a full device" sh -c '"$0" verify "$1" >/dev/full' "$xsr" "$tmp/v4.xl"
        expect_grep "$tmp/err" 'No space left on device' "verify > /dev/full says ENOSPC"
        [ "$(grep -c . "$tmp/err")" -eq 1 ] || fail "verify > /dev/full: one error line expected"
    fi
}

# Valid is not restorable: the verdict names the releases that restore the
# image, --target says whether one release does and why not.
test_target() {
    generate v4.xl --version 4
    generate v3.xl --version 3
    generate v2.xl --version 2
    generate be.xl --version 3 --big-endian
    generate cp.xl --version 3 --checkpoints 1
    expect_rc 0 "v4 is valid" "$xsr" verify "$tmp/v4.xl"
    expect_grep "$tmp/out" ': valid \(.*\); no released Xen restores it$' "v4: no release restores it"
    expect_rc 0 "v3 is valid" "$xsr" verify "$tmp/v3.xl"
    expect_grep "$tmp/out" '; restorable by Xen 4.14 and later$' "v3: 4.14 on"
    expect_rc 0 "v2 is valid" "$xsr" verify "$tmp/v2.xl"
    expect_grep "$tmp/out" '; restorable by Xen 4.6 and later$' "v2: 4.6 on"
    expect_rc 1 "v4 on xen-4.17" "$xsr" verify --target xen-4.17 "$tmp/v4.xl"
    expect_grep "$tmp/out" '^xen-4.17 \(Xen 4.14 and later\): NOT restorable: stream version 4: .*no released Xen restores v4' "v4 refused: version"
    expect_grep "$tmp/out" 'DOMAIN_CONTEXT records: the restorer of Xen 4.14 and later does not know them' "v4 refused: DOMAIN_CONTEXT"
    expect_rc 0 "v3 on xen-4.17" "$xsr" verify -t xen-4.17 "$tmp/v3.xl"
    expect_grep "$tmp/out" '^xen-4.17 \(Xen 4.14 and later\): restorable$' "v3 restorable by 4.17"
    expect_rc 1 "v3 on 4.13" "$xsr" verify --target 4.13 "$tmp/v3.xl"
    expect_grep "$tmp/out" 'stream version 3: the restorer of Xen 4.6-4.13 reads version 2 only' "v3 refused by 4.13"
    expect_grep "$tmp/out" 'STATIC_DATA_END records' "4.13 does not know STATIC_DATA_END"
    expect_rc 0 "v2 on 4.6" "$xsr" verify -q --target xen-4.6 "$tmp/v2.xl"
    expect_empty "$tmp/out" "verify -q --target"
    expect_rc 1 "big-endian on 4.17" "$xsr" verify --target xen-4.17.1 "$tmp/be.xl"
    expect_grep "$tmp/out" 'NOT restorable: big-endian stream' "byte order named"
    expect_rc 1 "checkpointed on 4.17" "$xsr" verify --target xen-4.17 "$tmp/cp.xl"
    expect_grep "$tmp/out" 'NOT restorable: checkpointed' "checkpoint framing named"
    expect_rc 1 "verify --json --target" "$xsr" verify --json --target xen-4.17 "$tmp/v4.xl"
    cp "$tmp/out" "$tmp/t.json"
    expect_rc 0 "verify --json --target keys" "$json_check" "$tmp/t.json" restorable_by target.name \
        target.rules target.restorable target.reasons
    [ "$("$json_check" -p "$tmp/t.json" target.restorable)" = false ] || fail "target.restorable is not false"
    [ "$("$json_check" -p "$tmp/t.json" target.rules)" = xen-4.14 ] || fail "target.rules is not xen-4.14"

    # the defaults write what deployed Xen restores; v4 is said to be unrestorable
    expect_rc 0 "generate with the default version" "$xsr" generate "$tmp/default.xl"
    expect_rc 0 "verify the default image" "$xsr" verify "$tmp/default.xl"
    expect_grep "$tmp/out" 'libxc stream v3, .*restorable by Xen 4.14 and later$' "generate defaults to v3"
    expect_rc 0 "generate -s 2" "$xsr" generate -s 2 "$tmp/s2.xl"
    expect_rc 0 "generate --stream-version 4" "$xsr" generate --stream-version 4 "$tmp/s4.xl"
    expect_rc 0 "verify -s/--stream-version images" "$xsr" verify "$tmp/s2.xl" "$tmp/s4.xl"
    expect_grep "$tmp/out" "^$tmp/s2.xl: valid \\(xl, libxc stream v2" "generate -s 2 writes v2"
    expect_grep "$tmp/out" "^$tmp/s4.xl: valid \\(xl, libxc stream v4" "generate --stream-version 4 writes v4"
    expect_rc 0 "convert to v4" "$xsr" convert --stream-version 4 "$tmp/v3.xl" "$tmp/c4.xl"
    expect_grep "$tmp/err" 'warning: no released Xen restores libxc stream version 4' "convert to v4 warns"
    expect_rc 0 "convert to v2" "$xsr" convert --stream-version 3 "$tmp/v2.xl" "$tmp/c3.xl"
    expect_empty "$tmp/err" "convert to v3 does not warn"
    # an input verify rejects: converted with a warning, or refused with --strict
    tail -c +2 "$XSR_SRCDIR/fuzz/corpus/convert/to3-v4-domctx-trailing" >"$tmp/bad4.bin"
    expect_rc 0 "convert an input verify rejects" "$xsr" convert -s 3 "$tmp/bad4.bin" "$tmp/bad3.bin"
    expect_grep "$tmp/err" 'has 1 error that xsr verify reports; converted as it is' "convert warns of an invalid input"
    expect_rc 1 "convert --strict refuses it" "$xsr" convert --strict -s 3 "$tmp/bad4.bin" "$tmp/bad3s.bin"
    expect_grep "$tmp/err" '32 bytes follow the END entry \[domctx.trailing\]' "convert --strict says why"
    [ ! -e "$tmp/bad3s.bin" ] || fail "convert --strict left an output"
    expect_rc 0 "convert --strict a valid input" "$xsr" convert --strict -s 3 "$tmp/v2.xl" "$tmp/c3s.xl"
    cmp -s "$tmp/c3.xl" "$tmp/c3s.xl" || fail "convert --strict wrote another stream"
    cp "$tmp/v3.xl" "$tmp/self.xl"
    expect_rc 2 "convert refuses to write over its input" "$xsr" convert --stream-version 2 "$tmp/self.xl" "$tmp/self.xl"
    expect_grep "$tmp/err" "is the input" "convert says the output is its input"
    cmp -s "$tmp/v3.xl" "$tmp/self.xl" || fail "convert IN IN changed its input"
    expect_rc 2 "convert-legacy refuses to write over its input" "$xsr" convert-legacy "$tmp/self.xl" "$tmp/self.xl"
}

test_stdin() {
    generate v4.xl --version 4 --guest pv --wrap xl
    expect_rc 0 "verify - from a redirected file" sh -c '"$0" verify - <"$1"' "$xsr" "$tmp/v4.xl"
    expect_grep "$tmp/out" '^-: valid' "stdin is named -"
    expect_rc 0 "verify - from a pipe" sh -c 'cat "$1" | "$0" verify -' "$xsr" "$tmp/v4.xl"
    expect_rc 0 "dump - from a pipe" sh -c 'cat "$1" | "$0" dump -' "$xsr" "$tmp/v4.xl"
    expect_grep "$tmp/out" 'PAGE_DATA' "dump from a pipe shows records"
    expect_rc 1 "verify - from a truncated pipe" sh -c 'head -c 3000 "$1" | "$0" verify -' "$xsr" "$tmp/v4.xl"
    expect_rc 0 "generate to stdout" sh -c '"$0" generate --wrap libxl - >"$1"' "$xsr" "$tmp/piped.libxl"
    expect_rc 0 "verify what generate wrote to stdout" "$xsr" verify "$tmp/piped.libxl"
    expect_grep "$tmp/out" 'valid \(libxl,' "stdout image is a libxl stream"
}

test_json() {
    generate v4.xl --version 4 --guest pv --wrap xl --vcpus 2
    generate hvm.libxl --version 4 --guest hvm --wrap libxl --all-records
    expect_rc 0 "verify --json" "$xsr" verify --json "$tmp/v4.xl"
    cp "$tmp/out" "$tmp/verify.json"
    expect_rc 0 "verify --json has the documented keys" "$json_check" "$tmp/verify.json" \
        json_version command xsr_version input options.format options.lenient findings summary valid \
        summary.format summary.version summary.byte_order summary.dom_type summary.guest_type \
        summary.guest_width summary.pt_levels summary.xen_major summary.xen_minor summary.vcpus \
        summary.records summary.libxl_records summary.page_records summary.pfn_entries \
        summary.data_pages summary.pages_by_type.NOTAB summary.pages_by_type.XTAB \
        summary.pages_by_type.INVALID summary.checkpoints summary.bytes \
        summary.bytes_by_record_type.PAGE_DATA summary.bytes_by_record_type.DOMAIN_CONTEXT \
        summary.errors summary.warnings summary.notes summary.complete summary.valid
    check_value() { # file path expected
        v=$("$json_check" -p "$1" "$2")
        [ "$v" = "$3" ] || fail "$2 in $(basename "$1") is '$v', expected '$3'"
    }
    check_value "$tmp/verify.json" command verify
    check_value "$tmp/verify.json" valid true
    check_value "$tmp/verify.json" summary.format xl
    check_value "$tmp/verify.json" summary.version 4
    check_value "$tmp/verify.json" summary.guest_type "x86 PV"
    check_value "$tmp/verify.json" summary.guest_width 8
    check_value "$tmp/verify.json" summary.vcpus 2
    check_value "$tmp/verify.json" summary.errors 0
    check_value "$tmp/verify.json" summary.complete true
    check_value "$tmp/verify.json" input "$tmp/v4.xl"

    corrupt "$tmp/v4.xl" "$tmp/bad" 32 377   # xl byteorder field
    expect_rc 1 "verify --json on an invalid image" "$xsr" verify --json "$tmp/bad"
    cp "$tmp/out" "$tmp/bad.json"
    expect_rc 0 "findings have the documented keys" "$json_check" "$tmp/bad.json" \
        findings.0.severity findings.0.rule findings.0.layer findings.0.offset \
        findings.0.record_index findings.0.record_type findings.0.record_type_name findings.0.message
    check_value "$tmp/bad.json" valid false
    check_value "$tmp/bad.json" findings.0.severity error

    expect_rc 0 "dump --json" "$xsr" dump --json "$tmp/hvm.libxl"
    cp "$tmp/out" "$tmp/dump.json"
    expect_rc 0 "dump --json has the documented keys" "$json_check" "$tmp/dump.json" \
        json_version command xsr_version input options.format options.pages options.lenient \
        items stream_findings summary valid \
        items.0.kind items.0.offset items.0.layer items.0.index items.0.type items.0.type_name \
        items.0.optional items.0.length items.0.fields items.0.findings \
        items.0.fields.version items.0.fields.options items.0.fields.byte_order
    check_value "$tmp/dump.json" command dump
    check_value "$tmp/dump.json" items.0.kind libxl_header
    check_value "$tmp/dump.json" items.0.offset 0
    check_value "$tmp/dump.json" items.1.kind libxl_record
    check_value "$tmp/dump.json" items.1.type_name LIBXC_CONTEXT
    check_value "$tmp/dump.json" items.2.kind image_header
    check_value "$tmp/dump.json" items.2.fields.version 4
    check_value "$tmp/dump.json" items.2.fields.marker 0xffffffffffffffff
    check_value "$tmp/dump.json" items.3.kind domain_header
    check_value "$tmp/dump.json" items.3.fields.type_name "x86 HVM"
    check_value "$tmp/dump.json" summary.guest_type "x86 HVM"
    check_value "$tmp/dump.json" valid true
    # a PAGE_DATA item somewhere, with its summary fields
    n=$("$json_check" -n "$tmp/dump.json" items)
    i=0; found=""
    while [ "$i" -lt "$n" ]; do
        t=$("$json_check" -p "$tmp/dump.json" "items.$i.type_name")
        if [ "$t" = PAGE_DATA ] && [ -z "$found" ]; then
            found=$i
            expect_rc 0 "PAGE_DATA fields" "$json_check" "$tmp/dump.json" "items.$i.fields.count" \
                "items.$i.fields.data_pages" "items.$i.fields.pfn_min" "items.$i.fields.pfn_max" \
                "items.$i.fields.types"
        fi
        if [ "$t" = HVM_CONTEXT ]; then
            expect_rc 0 "HVM_CONTEXT entries" "$json_check" "$tmp/dump.json" \
                "items.$i.fields.entries.0.type" "items.$i.fields.entries.0.typecode" \
                "items.$i.fields.entries.0.instance" "items.$i.fields.entries.0.length" \
                "items.$i.fields.entries.0.magic" "items.$i.fields.count"
            check_value "$tmp/dump.json" "items.$i.fields.entries.0.type" HEADER
        fi
        i=$((i + 1))
    done
    [ -n "$found" ] || fail "no PAGE_DATA item in the JSON dump"

    expect_rc 0 "dump --json --pages" "$xsr" dump --json --pages "$tmp/v4.xl"
    cp "$tmp/out" "$tmp/pages.json"
    check_value "$tmp/pages.json" options.pages true
}

test_dump() {
    generate v4.xl --version 4 --guest pv --wrap xl --vcpus 2 --pages 64 --all-records
    generate hvm.libxl --version 4 --guest hvm --wrap libxl --all-records
    generate v3.libxc --version 3 --guest pv32 --wrap libxc --big-endian
    expect_rc 0 "dump a PV xl image" "$xsr" dump "$tmp/v4.xl"
    cp "$tmp/out" "$tmp/pv.txt"
    expect_grep "$tmp/pv.txt" '^0x00000000  xl     xl save-file header' "xl header line"
    expect_grep "$tmp/pv.txt" '^    mandatory_flag_names: JSON, STREAMv2$' "xl flags by name"
    expect_grep "$tmp/pv.txt" '^    config_length: [0-9]+$' "xl config length"
    expect_grep "$tmp/pv.txt" '^0x[0-9a-f]{8}  libxl  libxl stream header$' "libxl header line"
    expect_grep "$tmp/pv.txt" '^0x[0-9a-f]{8}  libxc  image header$' "image header line"
    expect_grep "$tmp/pv.txt" '^    version: 4$' "stream version"
    expect_grep "$tmp/pv.txt" '^    type_name: x86 PV$' "domain type"
    expect_grep "$tmp/pv.txt" '^0x[0-9a-f]{8}  libxc  #[0-9]+ X86_PV_INFO \(0x2\), 8 bytes$' "X86_PV_INFO line"
    expect_grep "$tmp/pv.txt" '^    guest_width: 8$' "guest width"
    expect_grep "$tmp/pv.txt" '#[0-9]+ X86_PV_P2M_FRAMES' "P2M_FRAMES record"
    expect_grep "$tmp/pv.txt" '^    first_frames: 0x' "P2M first frames"
    expect_grep "$tmp/pv.txt" '#[0-9]+ PAGE_DATA \(0x1\), [0-9]+ bytes$' "PAGE_DATA line"
    expect_grep "$tmp/pv.txt" '^    count: [0-9]+$' "PAGE_DATA count"
    expect_grep "$tmp/pv.txt" '^    pfn_min: 0x[0-9a-f]+$' "PAGE_DATA pfn range"
    expect_grep "$tmp/pv.txt" '^    types: NOTAB=[0-9]+' "PAGE_DATA types histogram"
    expect_grep "$tmp/pv.txt" '#[0-9]+ DOMAIN_CONTEXT \(0x13\)' "DOMAIN_CONTEXT record"
    expect_grep "$tmp/pv.txt" '^      - offset=0 type=HEADER typecode=1 instance=0 length=16 magic=0x53415645' "DOMAIN_CONTEXT header entry"
    expect_grep "$tmp/pv.txt" 'type=SHARED_INFO typecode=2 .* buffer_size=' "DOMAIN_CONTEXT shared info entry"
    expect_grep "$tmp/pv.txt" 'type=TSC_INFO typecode=3 .* khz=' "DOMAIN_CONTEXT TSC entry"
    expect_grep "$tmp/pv.txt" '#[0-9]+ X86_PV_VCPU_BASIC' "vCPU basic record"
    expect_grep "$tmp/pv.txt" '^    vcpu_id: 1$' "second vCPU"
    expect_grep "$tmp/pv.txt" '^      rip: 0x' "decoded registers"
    expect_grep "$tmp/pv.txt" '^    xcr0: 0x' "XSAVE xcr0"
    expect_grep "$tmp/pv.txt" '^      - index=0x[0-9a-f]+ value=0x' "MSR list"
    expect_grep "$tmp/pv.txt" 'optional record 0x8' "an optional record"
    expect_grep "$tmp/pv.txt" 'skipped' "optional record noted as skipped"
    expect_grep "$tmp/pv.txt" '#[0-9]+ END \(0x0\), 0 bytes$' "END record"
    expect_grep "$tmp/pv.txt" '^Summary of ' "summary"
    expect_grep "$tmp/pv.txt" '^    guest_type: x86 PV$' "summary guest type"
    expect_grep "$tmp/pv.txt" '^    vcpus: 2$' "summary vCPUs"
    expect_grep "$tmp/pv.txt" '^    pages_by_type: NOTAB=' "summary pages by type"
    expect_grep "$tmp/pv.txt" '^    bytes_by_record_type: .*PAGE_DATA=[0-9]+' "summary bytes by type"
    expect_grep "$tmp/pv.txt" '^Verdict: .*: valid \(xl, libxc stream v4' "dump verdict"

    expect_rc 0 "dump --pages" "$xsr" dump --pages "$tmp/v4.xl"
    expect_grep "$tmp/out" '^      - pfn=0x0 type=' "every pfn with --pages"

    expect_rc 0 "dump --summary" "$xsr" dump --summary "$tmp/v4.xl"
    expect_grep "$tmp/out" '^Summary of ' "summary only"
    if grep -q 'PAGE_DATA (0x1)' "$tmp/out"; then fail "dump --summary printed records"; fi

    expect_rc 0 "dump an HVM libxl stream" "$xsr" dump "$tmp/hvm.libxl"
    cp "$tmp/out" "$tmp/hvm.txt"
    expect_grep "$tmp/hvm.txt" '#[0-9]+ HVM_PARAMS \(0xa\)' "HVM_PARAMS record"
    expect_grep "$tmp/hvm.txt" 'name=STORE_PFN' "HVM params by name"
    expect_grep "$tmp/hvm.txt" '#[0-9]+ HVM_CONTEXT \(0x9\)' "HVM_CONTEXT record"
    expect_grep "$tmp/hvm.txt" 'type=HEADER typecode=1 instance=0 length=24 magic=0x54381286' "HVM context header"
    expect_grep "$tmp/hvm.txt" 'type=CPU typecode=2 instance=0 .* rip=0x' "HVM CPU registers"
    expect_grep "$tmp/hvm.txt" '#[0-9]+ X86_CPUID_POLICY' "CPUID policy"
    expect_grep "$tmp/hvm.txt" '^      - leaf=0x0 subleaf=0x' "CPUID leaves"
    expect_grep "$tmp/hvm.txt" '#[0-9]+ X86_MSR_POLICY' "MSR policy"
    expect_grep "$tmp/hvm.txt" '#[0-9]+ EMULATOR_XENSTORE_DATA' "xenstore record"
    expect_grep "$tmp/hvm.txt" '^      - key=[^ ]+ value=' "xenstore pairs"
    expect_grep "$tmp/hvm.txt" '#[0-9]+ EMULATOR_CONTEXT' "emulator context"
    expect_grep "$tmp/hvm.txt" '^    emulator: QEMU_UPSTREAM$' "emulator name"

    expect_rc 0 "dump a big-endian 32-bit PV v3 stream" "$xsr" dump "$tmp/v3.libxc"
    cp "$tmp/out" "$tmp/v3.txt"
    expect_grep "$tmp/v3.txt" '^    byte_order: big-endian$' "big-endian"
    expect_grep "$tmp/v3.txt" '^    guest_width: 4$' "32-bit guest"
    expect_grep "$tmp/v3.txt" '#[0-9]+ SHARED_INFO' "SHARED_INFO record"
    expect_grep "$tmp/v3.txt" '^    wallclock: version=' "wallclock"
    expect_grep "$tmp/v3.txt" '#[0-9]+ X86_TSC_INFO' "TSC_INFO record"
    expect_grep "$tmp/v3.txt" '^    khz: [0-9]+$' "TSC khz"

    # a corrupted record: its finding follows it in the dump, exit status 1
    corrupt "$tmp/v3.libxc" "$tmp/bad" 15 011
    expect_rc 1 "dump an invalid stream" "$xsr" dump "$tmp/bad"
    expect_grep "$tmp/out" '^    error: .* \[[a-z0-9.-]+\]$' "inline finding"
    expect_grep "$tmp/out" '^Verdict: .*INVALID' "invalid verdict"
}

test_generate() {
    for spec in "2 pv xl" "3 pv32 libxl" "4 hvm libxc" "4 pv libxc --big-endian" \
                "4 hvm xl --checkpoints 2" "3 pv xl --live-passes 2 --size 1M" \
                "4 pv xl --all-records --vcpus 3 --seed 7"; do
        set -- $spec
        v=$1; g=$2; w=$3; shift 3
        out="$tmp/gen-$v-$g-$w"
        expect_rc 0 "generate $spec" "$xsr" generate --version "$v" --guest "$g" --wrap "$w" "$@" "$out"
        expect_rc 0 "verify generated $spec" "$xsr" verify "$out"
    done
    # deterministic for a given option set
    "$xsr" generate --seed 5 "$tmp/a" && "$xsr" generate --seed 5 "$tmp/b" ||
        fail "generate --seed 5"
    cmp -s "$tmp/a" "$tmp/b" || fail "two runs of generate --seed 5 differ"
    "$xsr" generate --pages 300 "$tmp/p300" || fail "generate --pages 300"
    v=$("$xsr" verify --json "$tmp/p300" >"$tmp/p300.json" && "$json_check" -p "$tmp/p300.json" summary.pfn_entries)
    [ -n "$v" ] && [ "$v" -ge 300 ] 2>/dev/null || fail "--pages 300 gave $v pfn entries"

    # PVH travels as HVM, as Xen saves it: xl type "pvh", no device model's
    # records, no VGA hole (every pfn carries data); HVM has both
    for g in pvh hvm; do
        expect_rc 0 "generate --guest $g" "$xsr" generate --guest "$g" --wrap xl --size 2M "$tmp/$g.xl"
        expect_rc 0 "verify generated $g" "$xsr" verify "$tmp/$g.xl"
        expect_grep "$tmp/out" "x86 HVM" "$g travels as x86 HVM"
        "$xsr" dump --json "$tmp/$g.xl" >"$tmp/$g.json" || fail "dump --json of $g"
    done
    grep -q '"type": "pvh"' "$tmp/pvh.xl" || fail "the PVH image's xl configuration does not say type pvh"
    grep -q '"type": "hvm"' "$tmp/hvm.xl" || fail "the HVM image's xl configuration does not say type hvm"
    grep -q 'EMULATOR' "$tmp/pvh.json" && fail "a PVH image carries device model records"
    grep -q 'EMULATOR_CONTEXT' "$tmp/hvm.json" || fail "an HVM image lacks the device model's records"
    x=$("$json_check" -p "$tmp/pvh.json" summary.pages_by_type.XTAB)
    [ "$x" = 0 ] || fail "a PVH image has a VGA hole ($x XTAB pages)"
    x=$("$json_check" -p "$tmp/hvm.json" summary.pages_by_type.XTAB)
    [ "$x" = 32 ] || fail "an HVM image lacks its VGA hole ($x XTAB pages, not 32)"
}

test_demo() {
    expect_rc 0 "xsr demo DIR" "$xsr" demo "$tmp/demo"
    cp "$tmp/out" "$tmp/demo.txt"
    [ -s "$tmp/demo/sample-pv64-v3.xl" ] || fail "demo did not leave its image in DIR"
    expect_grep "$tmp/demo.txt" 'sample-pv64-v3.xl: valid \(xl, libxc stream v3, x86 PV 64-bit.*restorable by Xen 4.14 and later' "demo verifies"
    expect_grep "$tmp/demo.txt" '^Summary of ' "demo prints the summary"
    expect_rc 0 "the demo image verifies on its own" "$xsr" verify "$tmp/demo/sample-pv64-v3.xl"
    expect_grep "$tmp/demo.txt" '^   0 differences in memory' "demo restores the live-saved guest equal"
    expect_grep "$tmp/demo.txt" '^   0 pages its page tables do not map; 0 torn pages' "demo checks the restored guest"
    expect_rc 0 "the demo's live stream verifies" "$xsr" verify "$tmp/demo/guest-live.xl"
    expect_rc 0 "the demo's restored guest equals its source" "$xsr" sim diff "$tmp/demo/guest.sim" "$tmp/demo/restored.sim"
    expect_rc 0 "xsr demo DIR again" "$xsr" demo "$tmp/demo"
    expect_rc 0 "xsr demo (temporary directory)" env TMPDIR="$tmp" "$xsr" demo
    dir=$(sed -n 's|^   \(/.*\)/sample-pv64-v3.xl$|\1|p' "$tmp/out" | head -n 1)
    [ -n "$dir" ] && [ -s "$dir/sample-pv64-v3.xl" ] || fail "demo without DIR: no image reported"
    [ -n "$dir" ] && rm -rf "$dir"
}

case $group in
    usage|verify|target|stdin|json|dump|generate|demo) "test_$group" ;;
    *) echo "unknown test group $group" >&2; exit 2 ;;
esac
if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed in group $group" >&2
    exit 1
fi
echo "group $group: all checks passed"
