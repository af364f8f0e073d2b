/* SPDX-License-Identifier: MIT */
#include "mutations.h"

#include <stdlib.h>
#include <string.h>

#define REC(t) {XSR_EV_RECORD, (t), 0}
#define REC2(t) {XSR_EV_RECORD, (t), 1}
#define LREC(t) {XSR_EV_LIBXL_RECORD, (t), 0}
#define HDR(k) {(k), 0, 0}
#define IHDR HDR(XSR_EV_IMAGE_HEADER)
#define DHDR HDR(XSR_EV_DOMAIN_HEADER)
#define LHDR HDR(XSR_EV_LIBXL_HEADER)
#define XLHDR HDR(XSR_EV_XL_HEADER)
#define BODY(b) .body = (b), .body_len = sizeof(b)

static const uint8_t eight_zeros[8];
static const uint8_t four_zeros[4];
static const uint8_t cpuid_leaf[24];
static const uint8_t junk[16] = "trailing bytes!";
/* emulator header {id, index} + data, little-endian */
static const uint8_t emu_upstream[16] = {2, 0, 0, 0, 0, 0, 0, 0, 'Q', 'E', 'V', 'M', 0, 0, 0, 3};
static const uint8_t emu_bad_id[16] = {5, 0, 0, 0, 0, 0, 0, 0, 'Q', 'E', 'V', 'M', 0, 0, 0, 3};
static const uint8_t xs_pair[8 + 12] = {2, 0, 0, 0, 0, 0, 0, 0, 'k', 'e', 'y', 0, 'v', 'a', 'l',
                                        'u', 'e', 0, 'x', 0};
static const uint8_t xs_pairs[8 + 10] = {2, 0, 0, 0, 0, 0, 0, 0, 'a', '/', 'b', 0, '1', 0, 'c',
                                         0, '2', 0};
static const uint8_t xs_odd[8 + 4] = {2, 0, 0, 0, 0, 0, 0, 0, 'k', 'e', 'y', 0};

const struct mutation mutations[] = {
    /* ---- image and domain header */
    /* Inside libxl the image header must follow: a bad one breaks the framing. */
    {"ihdr-marker", .wraps = W_WRAPPED, .op = OP_POKE, .at = IHDR, .off = 0, .width = 1,
     .value = 0xfe, .rule = "stream.framing"},
    {"ihdr-id", .wraps = W_WRAPPED, .op = OP_POKE, .at = IHDR, .off = 8, .width = 4,
     .value = 0x58454e47, .rule = "stream.framing"},
    {"ihdr-id-bare", .wraps = W_LIBXC, .op = OP_POKE, .at = IHDR, .off = 8, .width = 4,
     .value = 0x58454e47, .rule = "stream.framing"},
    /* At the start of the input a bad marker makes it look like a legacy stream,
     * which verify cannot vouch for. */
    {"ihdr-marker-bare", .wraps = W_LIBXC, .op = OP_POKE, .at = IHDR, .off = 0, .width = 1,
     .value = 0xfe, .rule = "stream.legacy"},
    {"ihdr-version-5", .op = OP_POKE, .at = IHDR, .off = 12, .width = 4, .value = 5,
     .rule = "ihdr.version"},
    {"ihdr-version-1", .op = OP_POKE, .at = IHDR, .off = 12, .width = 4, .value = 1,
     .rule = "ihdr.version"},
    {"ihdr-options-reserved", .op = OP_POKE, .at = IHDR, .off = 16, .width = 2, .value = 0x4,
     .rule = "ihdr.reserved"},
    {"ihdr-reserved", .op = OP_POKE, .at = IHDR, .off = 20, .width = 4, .value = 1,
     .rule = "ihdr.reserved"},
    {"dhdr-type", .op = OP_POKE, .at = DHDR, .off = 0, .width = 4, .value = 7,
     .rule = "dhdr.type"},
    {"dhdr-page-shift", .op = OP_POKE, .at = DHDR, .off = 4, .width = 2, .value = 13,
     .rule = "dhdr.page-shift"},
    {"dhdr-reserved", .op = OP_POKE, .at = DHDR, .off = 6, .width = 2, .value = 1,
     .rule = "dhdr.reserved"},
    {"dhdr-converted", .op = OP_POKE, .at = DHDR, .off = 8, .width = 4, .value = 0,
     .valid = true, .rule = "dhdr.converted"},

    /* ---- libxl header and records */
    {"libxl-ident", .wraps = W_XL, .op = OP_POKE, .at = LHDR, .off = 0, .width = 1,
     .value = 'l', .rule = "stream.framing"},
    /* "libxlFmt" starts no legacy body either: not a Xen save image at all */
    {"libxl-ident-bare", .wraps = W_LIBXL, .op = OP_POKE, .at = LHDR, .off = 0, .width = 1,
     .value = 'l', .rule = "stream.framing"},
    {"libxl-version", .wraps = W_WRAPPED, .op = OP_POKE, .at = LHDR, .off = 8, .width = 4,
     .value = 3, .rule = "libxl.version"},
    {"libxl-options-reserved", .wraps = W_WRAPPED, .op = OP_POKE, .at = LHDR, .off = 12,
     .width = 4, .value = 4, .rule = "libxl.options-reserved"},
    {"libxl-options-legacy", .wraps = W_WRAPPED, .op = OP_POKE, .at = LHDR, .off = 12,
     .width = 4, .value = XSR_LIBXL_OPT_LEGACY, .valid = true, .rule = "libxl.converted"},
    {"libxl-unknown-record", .wraps = W_WRAPPED, .op = OP_INSERT_BEFORE,
     .at = LREC(XSR_LIBXL_REC_END), .ins_type = 6, .rule = "libxl.unknown-record"},
    {"libxl-optional-record", .wraps = W_WRAPPED, .op = OP_INSERT_BEFORE,
     .at = LREC(XSR_LIBXL_REC_END), .ins_type = 0x80000006u, BODY(eight_zeros),
     .rule = "libxl.unknown-record"},
    {"libxl-end-body", .wraps = W_WRAPPED, .op = OP_RESIZE, .at = LREC(XSR_LIBXL_REC_END),
     .delta = 8, .rule = "libxl.length"},
    {"libxl-libxc-context-body", .wraps = W_WRAPPED, .op = OP_RESIZE,
     .at = LREC(XSR_LIBXL_REC_LIBXC_CONTEXT), .delta = 8, .rule = "libxl.length"},
    {"libxl-padding", .guests = G_HVM, .wraps = W_WRAPPED, .op = OP_PADDING,
     .at = LREC(XSR_LIBXL_REC_EMULATOR_CONTEXT), .delta = 1, .rule = "rec.padding"},
    {"libxl-cut-before-end", .wraps = W_WRAPPED, .op = OP_CUT_AT,
     .at = LREC(XSR_LIBXL_REC_END), .rule = "stream.truncated"},
    {"libxl-checkpoint-end-outside", .wraps = W_WRAPPED, .op = OP_INSERT_BEFORE,
     .at = LREC(XSR_LIBXL_REC_END), .ins_type = XSR_LIBXL_REC_CHECKPOINT_END,
     .diff = D_LIBXL_CONTEXT, .rule = "libxl.checkpoint-end-outside"},
    {"libxl-emulator-in-pv", .guests = G_PV, .wraps = W_WRAPPED, .op = OP_INSERT_BEFORE,
     .at = LREC(XSR_LIBXL_REC_END), .ins_type = XSR_LIBXL_REC_EMULATOR_CONTEXT,
     BODY(emu_upstream), .diff = D_LIBXL_CONTEXT, .rule = "libxl.emulator-in-pv"},
    {"libxl-emulator-id", .guests = G_HVM, .wraps = W_WRAPPED, .op = OP_INSERT_BEFORE,
     .at = LREC(XSR_LIBXL_REC_END), .ins_type = XSR_LIBXL_REC_EMULATOR_CONTEXT,
     BODY(emu_bad_id), .rule = "libxl.emulator-id"},
    {"libxl-emulator-short", .guests = G_HVM, .wraps = W_WRAPPED, .op = OP_INSERT_BEFORE,
     .at = LREC(XSR_LIBXL_REC_END), .ins_type = XSR_LIBXL_REC_EMULATOR_CONTEXT,
     BODY(four_zeros), .rule = "libxl.emulator-short"},
    {"libxl-xenstore-data", .guests = G_HVM, .wraps = W_WRAPPED, .op = OP_INSERT_BEFORE,
     .at = LREC(XSR_LIBXL_REC_END), .ins_type = XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA,
     BODY(xs_pairs), .diff = D_XENSTORE},
    {"libxl-xenstore-data-unterminated", .guests = G_HVM, .wraps = W_WRAPPED,
     .op = OP_INSERT_BEFORE, .at = LREC(XSR_LIBXL_REC_END),
     .ins_type = XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, BODY(xs_pair),
     .rule = "libxl.xenstore-data"},
    {"libxl-xenstore-data-odd", .guests = G_HVM, .wraps = W_WRAPPED, .op = OP_INSERT_BEFORE,
     .at = LREC(XSR_LIBXL_REC_END), .ins_type = XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA,
     BODY(xs_odd), .rule = "libxl.xenstore-data"},
    {"libxl-libxc-context-twice", .wraps = W_WRAPPED, .op = OP_DUP_LIBXC,
     .diff = D_DUPLICATE, .rule = "libxl.libxc-context-duplicate"},
    {"libxl-libxc-context-missing", .wraps = W_WRAPPED, .op = OP_REMOVE_LIBXC,
     .diff = D_PRESENCE, .rule = "libxl.libxc-context-missing"},

    /* ---- xl header */
    {"xl-mandatory-flags", .wraps = W_XL, .op = OP_POKE, .at = XLHDR, .off = 36, .width = 4,
     .value = 0x4, .mode = POKE_OR, .diff = D_XL_HEADER, .rule = "xl.mandatory-flags"},
    {"xl-optional-flags", .wraps = W_XL, .op = OP_POKE, .at = XLHDR, .off = 40, .width = 4,
     .value = 1, .valid = true, .rule = "xl.optional-flags"},
    {"xl-config-length", .wraps = W_XL, .op = OP_POKE, .at = XLHDR, .off = 48, .width = 4,
     .value = 0xfffff, .diff = D_XL_HEADER, .rule = "xl.config-length"},

    /* ---- framing of libxc records */
    {"rec-padding", .guests = G_PV, .op = OP_PADDING, .at = REC(XSR_REC_X86_PV_VCPU_EXTENDED),
     .delta = 4, .rule = "rec.padding"},
    {"rec-unknown-mandatory", .op = OP_INSERT_BEFORE, .at = REC(XSR_REC_END), .ins_type = 0x7f,
     BODY(eight_zeros), .rule = "rec.unknown-mandatory"},
    {"rec-optional", .op = OP_INSERT_BEFORE, .at = REC(XSR_REC_END),
     .ins_type = XSR_REC_OPTIONAL | 0x7f, BODY(eight_zeros), .diff = D_OPTIONAL,
     .rule = "rec.optional-skipped"},
    {"rec-length-huge", .op = OP_POKE, .at = REC(XSR_REC_PAGE_DATA), .off = -4, .width = 4,
     .value = XSR_REC_LENGTH_MAX + 8, .rule = "stream.framing"},
    {"end-body", .op = OP_RESIZE, .at = REC(XSR_REC_END), .delta = 8, .rule = "rec.not-empty"},
    {"end-missing", .wraps = W_LIBXC, .op = OP_REMOVE, .at = REC(XSR_REC_END),
     .rule = "stream.truncated"},
    {"cut-half", .op = OP_CUT_HALF, .rule = "stream.truncated"},
    {"trailing-bytes", .op = OP_APPEND, BODY(junk), .diff = D_TRAILING,
     .rule = "stream.trailing"},
    {"toolstack", .op = OP_INSERT_BEFORE, .at = REC(XSR_REC_END), .ins_type = XSR_REC_TOOLSTACK,
     BODY(eight_zeros), .rule = "toolstack.deprecated"},
    {"dirty-pfn-list", .op = OP_INSERT_BEFORE, .at = REC(XSR_REC_END),
     .ins_type = XSR_REC_CHECKPOINT_DIRTY_PFN_LIST, BODY(eight_zeros),
     .rule = "dirty-pfn-list.main-stream"},
    {"verify-body", .op = OP_INSERT_BEFORE, .at = REC(XSR_REC_END), .ins_type = XSR_REC_VERIFY,
     BODY(eight_zeros), .rule = "rec.not-empty"},

    /* ---- PAGE_DATA */
    {"page-data-count-zero", .op = OP_REPLACE_BODY, .at = REC(XSR_REC_PAGE_DATA),
     BODY(eight_zeros), .rule = "page-data.count-zero"},
    {"page-data-reserved", .op = OP_POKE, .at = REC(XSR_REC_PAGE_DATA), .off = 4, .width = 4,
     .value = 1, .rule = "page-data.reserved"},
    {"page-data-pfn-reserved", .op = OP_POKE, .at = REC(XSR_REC_PAGE_DATA), .off = 8,
     .width = 8, .value = 1ULL << 52, .mode = POKE_OR, .rule = "page-data.pfn-reserved"},
    {"page-data-pfn-type", .op = OP_POKE, .at = REC(XSR_REC_PAGE_DATA), .off = 8 + 7,
     .width = 1, .value = 0x50, .rule = "page-data.pfn-type-invalid"},
    {"page-data-length", .op = OP_RESIZE, .at = REC(XSR_REC_PAGE_DATA), .delta = -4096,
     .rule = "page-data.length"},
    {"page-data-duplicate-pfn", .op = OP_COPY, .at = REC(XSR_REC_PAGE_DATA), .off = 16,
     .width = 8, .value = 8, .diff = D_VALUES, .rule = "page-data.duplicate-pfn"},

    /* ---- PV records */
    {"pv-info-width", .guests = G_PV, .op = OP_POKE, .at = REC(XSR_REC_X86_PV_INFO), .off = 0,
     .width = 1, .value = 5, .rule = "pv-info.width"},
    {"pv-info-levels", .guests = G_PV, .op = OP_POKE, .at = REC(XSR_REC_X86_PV_INFO), .off = 1,
     .width = 1, .value = 5, .rule = "pv-info.width-levels"},
    {"pv-info-reserved", .guests = G_PV, .op = OP_POKE, .at = REC(XSR_REC_X86_PV_INFO),
     .off = 4, .width = 4, .value = 1, .rule = "pv-info.reserved"},
    {"pv-info-length", .guests = G_PV, .op = OP_RESIZE, .at = REC(XSR_REC_X86_PV_INFO),
     .delta = 8, .rule = "pv-info.length"},
    /* levels 4 <-> 3: a combination each field alone allows */
    {"pv-info-width-levels", .guests = G_PV, .op = OP_POKE, .at = REC(XSR_REC_X86_PV_INFO),
     .off = 1, .width = 1, .value = 7, .mode = POKE_XOR, .diff = D_VALUES, .rule = "pv-info.width-levels"},
    {"pv-info-twice", .guests = G_PV, .op = OP_DUP, .at = REC(XSR_REC_X86_PV_INFO),
     .diff = D_DUPLICATE, .rule = "pv-info.duplicate"},
    {"pv-info-missing", .guests = G_PV, .op = OP_REMOVE, .at = REC(XSR_REC_X86_PV_INFO),
     .diff = D_PRESENCE, .rule = "pv-info.missing"},
    {"p2m-length-odd", .guests = G_PV, .op = OP_RESIZE, .at = REC(XSR_REC_X86_PV_P2M_FRAMES),
     .delta = -4, .rule = "p2m.length"},
    {"p2m-extra-frame", .guests = G_PV, .op = OP_RESIZE, .at = REC(XSR_REC_X86_PV_P2M_FRAMES),
     .delta = 8, .diff = D_VALUES, .rule = "p2m.length"},
    {"p2m-range", .guests = G_PV, .op = OP_POKE, .at = REC(XSR_REC_X86_PV_P2M_FRAMES), .off = 0,
     .width = 4, .value = 0x7fffffff, .diff = D_VALUES, .rule = "p2m.range"},
    {"p2m-before-pv-info", .guests = G_PV, .op = OP_MOVE_BEFORE,
     .at = REC(XSR_REC_X86_PV_P2M_FRAMES), .at2 = REC(XSR_REC_X86_PV_INFO), .diff = D_ORDER,
     .rule = "p2m.before-pv-info"},
    {"p2m-missing", .guests = G_PV, .op = OP_REMOVE, .at = REC(XSR_REC_X86_PV_P2M_FRAMES),
     .diff = D_PRESENCE, .rule = "p2m.missing"},
    {"vcpu-reserved", .guests = G_PV, .op = OP_POKE, .at = REC(XSR_REC_X86_PV_VCPU_BASIC),
     .off = 4, .width = 4, .value = 1, .rule = "vcpu.reserved"},
    {"vcpu-short", .guests = G_PV, .op = OP_REPLACE_BODY, .at = REC(XSR_REC_X86_PV_VCPU_BASIC),
     BODY(four_zeros), .rule = "vcpu.length"},
    {"vcpu-basic-size", .guests = G_PV, .op = OP_RESIZE, .at = REC(XSR_REC_X86_PV_VCPU_BASIC),
     .delta = -8, .diff = D_VALUES, .rule = "vcpu.basic-size"},
    {"vcpu-id-range", .guests = G_PV, .op = OP_POKE, .at = REC(XSR_REC_X86_PV_VCPU_BASIC),
     .off = 0, .width = 4, .value = 5000, .diff = D_VALUES, .rule = "vcpu.id-range"},
    {"vcpu-basic-missing", .guests = G_PV, .op = OP_REMOVE,
     .at = REC(XSR_REC_X86_PV_VCPU_BASIC), .diff = D_PRESENCE, .rule = "vcpu.basic-missing"},
    {"shared-info-length", .guests = G_PV, .op = OP_RESIZE, .at = REC(XSR_REC_SHARED_INFO),
     .delta = -8, .rule = "shared-info.length"},

    /* ---- records of both guest types */
    {"tsc-length", .op = OP_RESIZE, .at = REC(XSR_REC_X86_TSC_INFO), .delta = -8,
     .rule = "tsc-info.length"},
    {"tsc-reserved", .op = OP_POKE, .at = REC(XSR_REC_X86_TSC_INFO), .off = 20, .width = 4,
     .value = 1, .rule = "tsc-info.reserved"},
    {"tsc-mode", .op = OP_POKE, .at = REC(XSR_REC_X86_TSC_INFO), .off = 0, .width = 4,
     .value = 7, .diff = D_VALUES, .rule = "tsc-info.mode"},

    /* ---- HVM records */
    {"hvm-context-empty", .guests = G_HVM, .op = OP_REPLACE_BODY,
     .at = REC(XSR_REC_HVM_CONTEXT), .rule = "hvm-context.empty"},
    {"hvm-context-magic", .guests = G_HVM, .op = OP_POKE, .at = REC(XSR_REC_HVM_CONTEXT),
     .off = 8, .width = 4, .value = 0x12345678, .diff = D_BLOB, .rule = "hvm-context.header"},
    {"hvm-context-missing", .guests = G_HVM, .op = OP_REMOVE, .at = REC(XSR_REC_HVM_CONTEXT),
     .diff = D_PRESENCE, .rule = "hvm-context.missing"},
    {"hvm-params-reserved", .guests = G_HVM, .op = OP_POKE, .at = REC(XSR_REC_HVM_PARAMS),
     .off = 4, .width = 4, .value = 1, .rule = "hvm-params.reserved"},
    {"hvm-params-length", .guests = G_HVM, .op = OP_RESIZE, .at = REC(XSR_REC_HVM_PARAMS),
     .delta = -8, .rule = "hvm-params.length"},
    {"hvm-params-empty", .guests = G_HVM, .op = OP_REPLACE_BODY, .at = REC(XSR_REC_HVM_PARAMS),
     BODY(eight_zeros), .valid = true, .rule = "hvm-params.empty"},
    {"hvm-params-context-swapped", .guests = G_HVM, .op = OP_SWAP,
     .at = REC(XSR_REC_HVM_PARAMS), .at2 = REC(XSR_REC_HVM_CONTEXT), .valid = true},

    /* ---- static data */
    {"sde-in-v2-pv", .guests = G_PV, .versions = V_2, .op = OP_INSERT_BEFORE,
     .at = REC(XSR_REC_X86_PV_P2M_FRAMES), .ins_type = XSR_REC_STATIC_DATA_END,
     .rule = "static-data-end.v2"},
    {"sde-in-v2-hvm", .guests = G_HVM, .versions = V_2, .op = OP_INSERT_BEFORE,
     .at = REC(XSR_REC_PAGE_DATA), .ins_type = XSR_REC_STATIC_DATA_END,
     .rule = "static-data-end.v2"},
    {"cpuid-in-v2", .versions = V_2, .op = OP_INSERT_BEFORE, .at = REC(XSR_REC_PAGE_DATA),
     .ins_type = XSR_REC_X86_CPUID_POLICY, BODY(cpuid_leaf), .rule = "version.record"},
    {"sde-missing", .versions = V_3, .op = OP_REMOVE, .at = REC(XSR_REC_STATIC_DATA_END),
     .diff = D_PRESENCE, .rule = "static-data-end.missing"},
    {"sde-twice", .versions = V_3, .op = OP_DUP, .at = REC(XSR_REC_STATIC_DATA_END),
     .diff = D_DUPLICATE, .rule = "static-data-end.duplicate"},
    {"sde-body", .versions = V_3, .op = OP_RESIZE, .at = REC(XSR_REC_STATIC_DATA_END),
     .delta = 8, .rule = "rec.not-empty"},
    {"cpuid-length", .versions = V_3, .op = OP_RESIZE, .at = REC(XSR_REC_X86_CPUID_POLICY),
     .delta = -4, .rule = "cpuid.length"},
    {"msr-policy-length", .versions = V_3, .op = OP_RESIZE, .at = REC(XSR_REC_X86_MSR_POLICY),
     .delta = -8, .rule = "msr-policy.length"},
    {"msr-policy-flags", .versions = V_3, .op = OP_POKE, .at = REC(XSR_REC_X86_MSR_POLICY),
     .off = 4, .width = 4, .value = 1, .diff = D_RESERVED, .rule = "msr-policy.flags"},
    {"cpuid-after-sde", .versions = V_3, .op = OP_MOVE_BEFORE,
     .at = REC(XSR_REC_X86_CPUID_POLICY), .at2 = REC(XSR_REC_END), .diff = D_ORDER,
     .rule = "static-data.after-end"},
    {"hvm-context-before-sde", .guests = G_HVM, .versions = V_3, .op = OP_MOVE_BEFORE,
     .at = REC(XSR_REC_HVM_CONTEXT), .at2 = REC(XSR_REC_STATIC_DATA_END), .diff = D_ORDER,
     .rule = "order.static-data"},
};
const size_t nr_mutations = sizeof(mutations) / sizeof(mutations[0]);

bool mutation_applies(const struct mutation *m, const struct base *b)
{
    unsigned g = b->dom_type == XSR_DOM_X86_PV ? G_PV : G_HVM;
    unsigned w = b->wrap == XSR_LAYER_LIBXC ? W_LIBXC : b->wrap == XSR_LAYER_LIBXL ? W_LIBXL : W_XL;
    unsigned v = b->version == 2 ? V_2 : V_3;
    return (!m->guests || (m->guests & g)) && (!m->wraps || (m->wraps & w)) &&
           (!m->versions || (m->versions & v));
}

static const struct sm_item *locate(const struct base *b, const struct where *w)
{
    if (w->kind == XSR_EV_RECORD)
        return sm_record(&b->map, XSR_LAYER_LIBXC, w->type, w->nth);
    if (w->kind == XSR_EV_LIBXL_RECORD)
        return sm_record(&b->map, XSR_LAYER_LIBXL, w->type, w->nth);
    return sm_kind(&b->map, w->kind);
}

static bool is_record(const struct sm_item *it)
{
    return it->kind == XSR_EV_RECORD || it->kind == XSR_EV_LIBXL_RECORD;
}

/* Store width bytes of v at p in order o. */
static void store(uint8_t *p, unsigned width, uint64_t v, enum xsr_byte_order o)
{
    switch (width) {
    case 1: p[0] = (uint8_t)v; break;
    case 2: xsr_st16(p, (uint16_t)v, o); break;
    case 4: xsr_st32(p, (uint32_t)v, o); break;
    default: xsr_st64(p, v, o); break;
    }
}

static uint64_t load(const uint8_t *p, unsigned width, enum xsr_byte_order o)
{
    switch (width) {
    case 1: return p[0];
    case 2: return xsr_ld16(p, o);
    case 4: return xsr_ld32(p, o);
    default: return xsr_ld64(p, o);
    }
}

/* Byte order of the fields of an item: image and libxl headers are always
 * big-endian, the xl header is in the writer's order (little here). */
static enum xsr_byte_order item_order(const struct base *b, const struct sm_item *it)
{
    if (it->kind == XSR_EV_IMAGE_HEADER || it->kind == XSR_EV_LIBXL_HEADER)
        return XSR_BIG_ENDIAN;
    if (it->kind == XSR_EV_XL_HEADER)
        return XSR_LITTLE_ENDIAN;
    return b->order;
}

static uint8_t *copy_of(const struct base *b, size_t *len)
{
    *len = b->len;
    return ed_splice(b->buf, len, 0, 0, NULL, 0);
}

/* Replace the body of record it with body/body_len (header and padding
 * rewritten). */
static uint8_t *rebody(const struct base *b, const struct sm_item *it, const void *body,
                       uint32_t body_len, size_t *len)
{
    size_t rl;
    uint32_t type = it->type;
    uint8_t *rec = ed_record(type, body, body_len, b->order, &rl);
    *len = b->len;
    uint8_t *out = rec ? ed_splice(b->buf, len, it->offset, it->size, rec, rl) : NULL;
    free(rec);
    return out;
}

/* Move the bytes [a, a+na) to just before offset to (to outside the range). */
static uint8_t *move_bytes(const struct base *b, uint64_t a, uint64_t na, uint64_t to,
                           size_t *len)
{
    uint8_t *out = malloc(b->len);
    if (!out)
        return NULL;
    const uint8_t *s = b->buf;
    size_t o = 0;
    if (to < a) {
        memcpy(out, s, to); o = to;
        memcpy(out + o, s + a, na); o += na;
        memcpy(out + o, s + to, a - to); o += a - to;
    } else {
        memcpy(out, s, a); o = a;
        memcpy(out + o, s + a + na, to - a - na); o += to - a - na;
        memcpy(out + o, s + a, na); o += na;
    }
    memcpy(out + o, s + o, b->len - o);
    *len = b->len;
    return out;
}

/* The libxl LIBXC_CONTEXT record and the libxc stream after it, as a range. */
static bool libxc_range(const struct base *b, uint64_t *start, uint64_t *end)
{
    const struct sm_item *ctx = sm_record(&b->map, XSR_LAYER_LIBXL, XSR_LIBXL_REC_LIBXC_CONTEXT, 0);
    const struct sm_item *e = sm_record(&b->map, XSR_LAYER_LIBXC, XSR_REC_END, 0);
    if (!ctx || !e || e->offset < ctx->offset)
        return false;
    *start = ctx->offset;
    *end = e->offset + e->size;
    return true;
}

uint8_t *mutation_apply(const struct mutation *m, const struct base *b, size_t *len)
{
    const struct sm_item *it = NULL, *it2 = NULL;
    uint8_t *out;
    size_t rl;

    if (m->op != OP_APPEND && m->op != OP_CUT_HALF && m->op != OP_DUP_LIBXC &&
        m->op != OP_REMOVE_LIBXC) {
        it = locate(b, &m->at);
        if (!it)
            return NULL;
    }
    if (m->op == OP_MOVE_BEFORE || m->op == OP_SWAP) {
        it2 = locate(b, &m->at2);
        if (!it2)
            return NULL;
    }

    switch (m->op) {
    case OP_POKE: {
        uint64_t at = it->offset + (is_record(it) ? XSR_RHDR_SIZE : 0) + (int64_t)m->off;
        if (at + m->width > it->offset + it->size)
            return NULL;
        out = copy_of(b, len);
        if (!out)
            return NULL;
        enum xsr_byte_order o = item_order(b, it);
        uint64_t v = load(out + at, m->width, o);
        v = m->mode == POKE_OR ? v | m->value : m->mode == POKE_XOR ? v ^ m->value : m->value;
        store(out + at, m->width, v, o);
        return out;
    }
    case OP_COPY: {
        uint64_t body = it->offset + XSR_RHDR_SIZE;
        if (m->off + m->width > it->length || m->value + m->width > it->length)
            return NULL;
        out = copy_of(b, len);
        if (out)
            memcpy(out + body + m->off, b->buf + body + m->value, m->width);
        return out;
    }
    case OP_REMOVE:
        *len = b->len;
        return ed_splice(b->buf, len, it->offset, it->size, NULL, 0);
    case OP_DUP:
        *len = b->len;
        return ed_splice(b->buf, len, it->offset + it->size, 0, b->buf + it->offset, it->size);
    case OP_MOVE_BEFORE:
        return move_bytes(b, it->offset, it->size, it2->offset, len);
    case OP_SWAP: {
        if (it2->offset < it->offset) {
            const struct sm_item *t = it;
            it = it2;
            it2 = t;
        }
        /* Move the later record before the earlier, then the earlier (now
         * shifted by the later's size) to where the later was. */
        struct base tmp = *b;
        tmp.buf = move_bytes(b, it2->offset, it2->size, it->offset, len);
        if (!tmp.buf)
            return NULL;
        tmp.len = *len;
        uint64_t a = it->offset + it2->size;
        out = move_bytes(&tmp, a, it->size, it2->offset + it2->size, len);
        free(tmp.buf);
        return out;
    }
    case OP_INSERT_BEFORE: {
        uint8_t *rec = ed_record(m->ins_type, m->body, m->body_len, b->order, &rl);
        *len = b->len;
        out = rec ? ed_splice(b->buf, len, it->offset, 0, rec, rl) : NULL;
        free(rec);
        return out;
    }
    case OP_RESIZE: {
        int64_t nl = (int64_t)it->length + m->delta;
        if (nl < 0)
            return NULL;
        uint8_t *body = calloc(1, (size_t)nl + 1);
        if (!body)
            return NULL;
        memcpy(body, b->buf + it->offset + XSR_RHDR_SIZE,
               (size_t)nl < it->length ? (size_t)nl : it->length);
        out = rebody(b, it, body, (uint32_t)nl, len);
        free(body);
        return out;
    }
    case OP_REPLACE_BODY:
        return rebody(b, it, m->body, m->body_len, len);
    case OP_PADDING: {
        /* Grow the body by delta zero bytes until it has padding, then
         * spoil the first padding byte. */
        uint32_t nl = it->length;
        while (xsr_rec_pad(nl) == 0)
            nl += m->delta > 0 ? (uint32_t)m->delta : 1;
        uint8_t *body = calloc(1, nl);
        if (!body)
            return NULL;
        memcpy(body, b->buf + it->offset + XSR_RHDR_SIZE, it->length);
        out = rebody(b, it, body, nl, len);
        free(body);
        if (out)
            out[it->offset + XSR_RHDR_SIZE + nl] = 0x5a;
        return out;
    }
    case OP_APPEND:
        *len = b->len;
        return ed_splice(b->buf, len, b->len, 0, m->body, m->body_len);
    case OP_CUT_AT:
        *len = it->offset;
        return ed_splice(b->buf, len, 0, 0, NULL, 0);
    case OP_CUT_HALF:
        *len = b->len / 2;
        return ed_splice(b->buf, len, 0, 0, NULL, 0);
    case OP_DUP_LIBXC: {
        uint64_t s, e;
        if (!libxc_range(b, &s, &e))
            return NULL;
        *len = b->len;
        return ed_splice(b->buf, len, e, 0, b->buf + s, e - s);
    }
    case OP_REMOVE_LIBXC: {
        uint64_t s, e;
        if (!libxc_range(b, &s, &e))
            return NULL;
        *len = b->len;
        return ed_splice(b->buf, len, s, e - s, NULL, 0);
    }
    }
    return NULL;
}
