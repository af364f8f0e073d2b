/* SPDX-License-Identifier: MIT */
/* Decoded fields of libxc records for the dump. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <xsr/wire.h>

#include "analyze_scan.h"
#include "dump_internal.h"

static void malformed(struct xsri_emit *e, const struct xsr_error *err)
{
    xsri_emit_str(e, "malformed", err->message[0] ? err->message : "the body cannot be decoded");
}

static void malformed_msg(struct xsri_emit *e, const char *msg)
{
    xsri_emit_str(e, "malformed", msg);
}

/* A body of fixed-size entries: "count", and "trailing_bytes" if the length
 * is not a multiple of the size.  Returns the count. */
static uint32_t entry_count(struct xsri_emit *e, uint32_t len, uint32_t size)
{
    xsri_emit_uint(e, "count", len / size);
    if (len % size)
        xsri_emit_uint(e, "trailing_bytes", len % size);
    return len / size;
}

/* End a list named key of n items of which the first XSRI_DUMP_LIST_MAX
 * were shown; the rest are counted in "<key>_not_shown". */
static void capped_list_end(struct xsri_emit *e, const char *key, uint64_t n)
{
    xsri_emit_list_end(e);
    if (n > XSRI_DUMP_LIST_MAX) {
        char k[64];

        snprintf(k, sizeof(k), "%s_not_shown", key);
        xsri_emit_uint(e, k, n - XSRI_DUMP_LIST_MAX);
    }
}

/* ------------------------------------------------------------ PAGE_DATA */

/* Histogram keys: valid types by name, 5..8 together as "INVALID". */
static void page_types(struct xsri_emit *e, const uint64_t counts[16], bool all)
{
    uint64_t invalid = counts[5] + counts[6] + counts[7] + counts[8];

    xsri_emit_obj_begin(e, "types", XSRI_INLINE);
    for (unsigned t = 0; t < 16; t++) {
        if (!xsr_pfn_type_valid(t) || (!all && counts[t] == 0))
            continue;
        xsri_emit_uint(e, xsr_pfn_type_name(t), counts[t]);
    }
    if (all || invalid)
        xsri_emit_uint(e, "INVALID", invalid);
    xsri_emit_obj_end(e);
}

static void page_data(struct xsri_emit *e, const struct xsri_dump_state *s, const struct xsr_record *r,
                      enum xsr_byte_order o)
{
    struct xsr_page_data pd;
    struct xsr_error err;
    uint64_t counts[16] = { 0 }, lo = UINT64_MAX, hi = 0, reserved = 0;

    xsr_error_clear(&err);
    if (xsr_page_data_decode(r->body, r->length, o, &pd, &err) < 0) {
        malformed(e, &err);
        return;
    }
    for (uint32_t i = 0; i < pd.count; i++) {
        uint64_t w = xsr_page_data_word(&pd, i), pfn = xsr_pfn_word_pfn(w);

        counts[xsr_pfn_word_type(w)]++;
        lo = pfn < lo ? pfn : lo;
        hi = pfn > hi ? pfn : hi;
        reserved += xsr_pfn_word_reserved(w) != 0;
    }
    xsri_emit_uint(e, "count", pd.count);
    xsri_emit_uint(e, "data_pages", pd.data_pages);
    if (pd.count) {
        xsri_emit_xnum(e, "pfn_min", lo);
        xsri_emit_xnum(e, "pfn_max", hi);
    } else {
        xsri_emit_null(e, "pfn_min");
        xsri_emit_null(e, "pfn_max");
    }
    page_types(e, counts, false);
    if (reserved)
        xsri_emit_uint(e, "reserved_bits_set", reserved);
    if (!s->pages)
        return;
    if (xsri_emit_is_json(e)) {
        /* up to 16 Mi entries: written by xsri_dump_pfns_json, not as a tree */
        xsri_emit_json_splice(e, "pfns");
        return;
    }
    xsri_emit_list_begin(e, "pfns");
    for (uint32_t i = 0; i < pd.count; i++) {
        uint64_t w = xsr_page_data_word(&pd, i);

        xsri_emit_obj_begin(e, NULL, XSRI_INLINE);
        xsri_emit_xnum(e, "pfn", xsr_pfn_word_pfn(w));
        xsri_emit_str(e, "type", xsr_pfn_type_name(xsr_pfn_word_type(w)));
        if (xsr_pfn_word_reserved(w))
            xsri_emit_xnum(e, "reserved", xsr_pfn_word_reserved(w));
        xsri_emit_obj_end(e);
    }
    xsri_emit_list_end(e);
}

bool xsri_dump_pfns_json(FILE *out, const struct xsr_event *ev)
{
    struct xsr_page_data pd;

    if (xsr_page_data_decode(ev->u.rec.body, ev->u.rec.length, ev->order, &pd, NULL) < 0)
        return false;
    /* the objects json-c would write: {"pfn":N,"type":"T"} plus "reserved" */
    fputc('[', out);
    for (uint32_t i = 0; i < pd.count; i++) {
        uint64_t w = xsr_page_data_word(&pd, i);

        fprintf(out, "%s{\"pfn\":%" PRIu64 ",\"type\":\"%s\"", i ? "," : "", xsr_pfn_word_pfn(w),
                xsr_pfn_type_name(xsr_pfn_word_type(w)));
        if (xsr_pfn_word_reserved(w))
            fprintf(out, ",\"reserved\":%u", xsr_pfn_word_reserved(w));
        fputc('}', out);
    }
    fputc(']', out);
    return true;
}

/* ------------------------------------------------------------------ PV */

static void pv_info(struct xsri_emit *e, struct xsri_dump_state *s, const struct xsr_record *r,
                    enum xsr_byte_order o)
{
    struct xsr_pv_info v;

    if (r->length != XSR_PV_INFO_SIZE) {
        malformed_msg(e, "the body is not 8 bytes long");
        return;
    }
    xsr_pv_info_decode(r->body, o, &v);
    xsri_emit_uint(e, "guest_width", v.guest_width);
    xsri_emit_uint(e, "pt_levels", v.pt_levels);
    xsri_emit_xnum(e, "reserved1", v.reserved1);
    xsri_emit_xnum(e, "reserved2", v.reserved2);
    if (v.guest_width == 4 || v.guest_width == 8)
        s->guest_width = v.guest_width;
}

/* Up to XSRI_DUMP_FIRST_MAX u64 values at p as a list named key. */
static void first_u64s(struct xsri_emit *e, const char *key, const uint8_t *p, uint64_t n,
                       enum xsr_byte_order o)
{
    xsri_emit_list_begin(e, key);
    for (uint64_t i = 0; i < n && i < XSRI_DUMP_FIRST_MAX; i++)
        xsri_emit_hex64(e, NULL, xsr_ld64(p + i * 8, o));
    xsri_emit_list_end(e);
}

static void p2m_frames(struct xsri_emit *e, const struct xsri_dump_state *s, const struct xsr_record *r,
                       enum xsr_byte_order o)
{
    struct xsr_p2m_frames v;
    struct xsr_error err;

    xsr_error_clear(&err);
    if (xsr_p2m_frames_decode(r->body, r->length, o, &v, &err) < 0) {
        malformed(e, &err);
        return;
    }
    xsri_emit_xnum(e, "start_pfn", v.start_pfn);
    xsri_emit_xnum(e, "end_pfn", v.end_pfn);
    xsri_emit_uint(e, "frames", v.nr_frames);
    if (s->guest_width && v.start_pfn <= v.end_pfn)
        xsri_emit_uint(e, "expected_frames", xsr_p2m_frames_expected(v.start_pfn, v.end_pfn, s->guest_width));
    else
        xsri_emit_null(e, "expected_frames");
    first_u64s(e, "first_frames", v.frames, v.nr_frames, o);
}

static unsigned width_of(const struct xsri_dump_state *s, uint32_t ctx_len)
{
    if (s->guest_width)
        return s->guest_width;
    if (ctx_len == XSR_PV_VCPU_CTX_SIZE_32)
        return 4;
    return 8;
}

static void vcpu_basic(struct xsri_emit *e, const struct xsri_dump_state *s, const struct xsr_vcpu_rec *v,
                       enum xsr_byte_order o)
{
    struct xsr_pv_vcpu_regs regs;
    struct xsr_error err;
    unsigned width = width_of(s, v->ctx_len);

    xsr_error_clear(&err);
    xsri_emit_uint(e, "guest_width", width);
    if (xsr_pv_vcpu_regs_decode(v->ctx, v->ctx_len, width, o, &regs, &err) < 0) {
        malformed(e, &err);
        return;
    }
    /* every register of cpu_user_regs, the control registers, then the
     * rest of the context that names frames or stacks */
    static const struct { const char *name; unsigned gr; bool wide_only; } gregs[] = {
        { "rax", XSRI_RAX, false }, { "rbx", XSRI_RBX, false }, { "rcx", XSRI_RCX, false },
        { "rdx", XSRI_RDX, false }, { "rsi", XSRI_RSI, false }, { "rdi", XSRI_RDI, false },
        { "rbp", XSRI_RBP, false }, { "rsp", XSRI_RSP, false },
        { "r8", XSRI_R8, true }, { "r9", XSRI_R9, true }, { "r10", XSRI_R10, true },
        { "r11", XSRI_R11, true }, { "r12", XSRI_R12, true }, { "r13", XSRI_R13, true },
        { "r14", XSRI_R14, true }, { "r15", XSRI_R15, true },
        { "rip", XSRI_RIP, false }, { "rflags", XSRI_EFLAGS, false },
        { "cs", XSRI_CS, false }, { "ss", XSRI_SS, false }, { "ds", XSRI_DS, false },
        { "es", XSRI_ES, false }, { "fs", XSRI_FS, false }, { "gs", XSRI_GS, false },
    };
    static const char *const crs[5] = { "cr0", "cr1", "cr2", "cr3", "cr4" };
    struct xsri_vcpu_regs all;
    if (xsri_pv_regs(v->ctx, v->ctx_len, width, o, &all, &err) < 0) {
        malformed(e, &err);
        return;
    }
    xsri_emit_obj_begin(e, "regs", XSRI_BLOCK);
    for (size_t i = 0; i < sizeof(gregs) / sizeof(gregs[0]); i++)
        if (width == 8 || !gregs[i].wide_only)
            xsri_emit_hex64(e, gregs[i].name, all.gr[gregs[i].gr]);
    for (unsigned i = 0; i < 5; i++)
        xsri_emit_hex64(e, crs[i], all.cr[i]);
    xsri_emit_hex64(e, "flags", regs.flags);
    xsri_emit_hex64(e, "kernel_ss", regs.kernel_ss);
    xsri_emit_hex64(e, "kernel_sp", regs.kernel_sp);
    xsri_emit_hex64(e, "gdt_ents", regs.gdt_ents);
    xsri_emit_hex64(e, "ldt_base", regs.ldt_base);
    xsri_emit_hex64(e, "fs_base", regs.fs_base);
    xsri_emit_hex64(e, "gs_base_kernel", regs.gs_base_kernel);
    xsri_emit_hex64(e, "gs_base_user", regs.gs_base_user);
    xsri_emit_obj_end(e);
}

static void vcpu_extended(struct xsri_emit *e, const struct xsr_vcpu_rec *v, enum xsr_byte_order o)
{
    /* xen_domctl_ext_vcpucontext: u32 vcpu, u32 size, u64 syscall32 eip, u64 sysenter eip */
    if (v->ctx_len < 8) {
        xsri_emit_null(e, "ext_vcpu");
        xsri_emit_null(e, "ext_size");
        return;
    }
    xsri_emit_uint(e, "ext_vcpu", xsr_ld32(v->ctx, o));
    xsri_emit_uint(e, "ext_size", xsr_ld32(v->ctx + 4, o));
    if (v->ctx_len >= 24) {
        xsri_emit_hex64(e, "syscall32_callback_eip", xsr_ld64(v->ctx + 8, o));
        xsri_emit_hex64(e, "sysenter_callback_eip", xsr_ld64(v->ctx + 16, o));
    }
}

static void vcpu_xsave(struct xsri_emit *e, const struct xsr_vcpu_rec *v, enum xsr_byte_order o)
{
    if (v->ctx_len < 16) {
        malformed_msg(e, "the context is shorter than xcr0 and xcr0_accum (16 bytes)");
        return;
    }
    xsri_emit_hex64(e, "xcr0", xsr_ld64(v->ctx, o));
    xsri_emit_hex64(e, "xcr0_accum", xsr_ld64(v->ctx + 8, o));
    xsri_emit_uint(e, "xsave_size", v->ctx_len - 16);
}

/* MSR entries (X86_PV_VCPU_MSRS and X86_MSR_POLICY share the layout). */
static void msr_list(struct xsri_emit *e, const char *key, const uint8_t *p, uint32_t len,
                     enum xsr_byte_order o, const char *flags_key)
{
    uint32_t n = entry_count(e, len, XSR_MSR_ENTRY_SIZE);

    xsri_emit_list_begin(e, key);
    for (uint32_t i = 0; i < n && i < XSRI_DUMP_LIST_MAX; i++) {
        struct xsr_msr_entry m;

        xsr_msr_entry_decode(p + (size_t)i * XSR_MSR_ENTRY_SIZE, o, &m);
        xsri_emit_obj_begin(e, NULL, XSRI_INLINE);
        xsri_emit_xnum(e, "index", m.index);
        if (m.flags)
            xsri_emit_xnum(e, flags_key, m.flags);
        xsri_emit_hex64(e, "value", m.value);
        xsri_emit_obj_end(e);
    }
    capped_list_end(e, key, n);
}

static void vcpu_record(struct xsri_emit *e, const struct xsri_dump_state *s, const struct xsr_record *r,
                        enum xsr_byte_order o)
{
    struct xsr_vcpu_rec v;
    struct xsr_error err;

    xsr_error_clear(&err);
    if (xsr_vcpu_rec_decode(r->body, r->length, o, &v, &err) < 0) {
        malformed(e, &err);
        return;
    }
    xsri_emit_uint(e, "vcpu_id", v.vcpu_id);
    if (v.reserved)
        xsri_emit_xnum(e, "reserved", v.reserved);
    xsri_emit_uint(e, "context_size", v.ctx_len);
    switch (r->type) {
    case XSR_REC_X86_PV_VCPU_BASIC: vcpu_basic(e, s, &v, o); break;
    case XSR_REC_X86_PV_VCPU_EXTENDED: vcpu_extended(e, &v, o); break;
    case XSR_REC_X86_PV_VCPU_XSAVE: vcpu_xsave(e, &v, o); break;
    case XSR_REC_X86_PV_VCPU_MSRS: msr_list(e, "msrs", v.ctx, v.ctx_len, o, "reserved"); break;
    default: break;
    }
}

/* --------------------------------------------------------- shared info */

static void shared_info(struct xsri_emit *e, const struct xsri_dump_state *s, const struct xsr_record *r,
                        enum xsr_byte_order o)
{
    bool compat = s->guest_width == 4;

    if (r->length != XSR_SHARED_INFO_SIZE) {
        malformed_msg(e, "the body is not one 4096-byte page");
        return;
    }
    xsri_emit_str(e, "layout", compat ? "32-bit" : "64-bit");
    xsri_dump_wallclock(e, r->body, compat, o);
}

static void tsc_info(struct xsri_emit *e, const struct xsr_record *r, enum xsr_byte_order o)
{
    struct xsr_tsc_info v;

    if (r->length != XSR_TSC_INFO_SIZE) {
        malformed_msg(e, "the body is not 24 bytes long");
        return;
    }
    xsr_tsc_info_decode(r->body, o, &v);
    xsri_emit_uint(e, "mode", v.mode);
    xsri_emit_str(e, "mode_name", xsr_tsc_mode_name(v.mode));
    xsri_emit_uint(e, "khz", v.khz);
    xsri_emit_u64(e, "nsec", v.nsec);
    xsri_emit_uint(e, "incarnation", v.incarnation);
    xsri_emit_xnum(e, "reserved", v.reserved);
}

/* ----------------------------------------------------------------- HVM */

static void hvm_params(struct xsri_emit *e, const struct xsr_record *r, enum xsr_byte_order o)
{
    struct xsr_hvm_params v;
    struct xsr_error err;

    xsr_error_clear(&err);
    if (xsr_hvm_params_decode(r->body, r->length, o, &v, &err) < 0) {
        malformed(e, &err);
        return;
    }
    xsri_emit_uint(e, "count", v.count);
    xsri_emit_list_begin(e, "params");
    for (uint32_t i = 0; i < v.count && i < XSRI_DUMP_LIST_MAX; i++) {
        uint64_t index, value;

        xsr_hvm_params_entry(&v, i, &index, &value);
        xsri_emit_obj_begin(e, NULL, XSRI_INLINE);
        xsri_emit_u64(e, "index", index);
        xsri_emit_str(e, "name", xsr_hvm_param_name(index));
        xsri_emit_hex64(e, "value", value);
        xsri_emit_obj_end(e);
    }
    capped_list_end(e, "params", v.count);
}

/* -------------------------------------------------------------- policy */

static void cpuid_policy(struct xsri_emit *e, const struct xsr_record *r, enum xsr_byte_order o)
{
    uint32_t n = entry_count(e, r->length, XSR_CPUID_LEAF_SIZE);

    xsri_emit_list_begin(e, "leaves");
    for (uint32_t i = 0; i < n && i < XSRI_DUMP_LIST_MAX; i++) {
        struct xsr_cpuid_leaf l;

        xsr_cpuid_leaf_decode(r->body + (size_t)i * XSR_CPUID_LEAF_SIZE, o, &l);
        xsri_emit_obj_begin(e, NULL, XSRI_INLINE);
        xsri_emit_xnum(e, "leaf", l.leaf);
        xsri_emit_xnum(e, "subleaf", l.subleaf);
        xsri_emit_xnum(e, "a", l.a);
        xsri_emit_xnum(e, "b", l.b);
        xsri_emit_xnum(e, "c", l.c);
        xsri_emit_xnum(e, "d", l.d);
        xsri_emit_obj_end(e);
    }
    capped_list_end(e, "leaves", n);
}

static void dirty_pfn_list(struct xsri_emit *e, const struct xsr_record *r, enum xsr_byte_order o)
{
    uint32_t n = entry_count(e, r->length, 8);

    first_u64s(e, "first_pfns", r->body, n, o);
}

/* ------------------------------------------------------------ dispatch */

void xsri_dump_libxc_record(struct xsri_emit *e, struct xsri_dump_state *s, const struct xsr_event *ev)
{
    const struct xsr_record *r = &ev->u.rec;
    enum xsr_byte_order o = ev->order;

    if (r->type & XSR_REC_OPTIONAL) {
        xsri_emit_bool(e, "skipped", true);
        xsri_emit_text_line(e, "(optional record: skipped, its contents are not interpreted)");
        return;
    }
    switch (r->type) {
    case XSR_REC_PAGE_DATA: page_data(e, s, r, o); break;
    case XSR_REC_X86_PV_INFO: pv_info(e, s, r, o); break;
    case XSR_REC_X86_PV_P2M_FRAMES: p2m_frames(e, s, r, o); break;
    case XSR_REC_X86_PV_VCPU_BASIC:
    case XSR_REC_X86_PV_VCPU_EXTENDED:
    case XSR_REC_X86_PV_VCPU_XSAVE:
    case XSR_REC_X86_PV_VCPU_MSRS:
        vcpu_record(e, s, r, o);
        break;
    case XSR_REC_SHARED_INFO: shared_info(e, s, r, o); break;
    case XSR_REC_X86_TSC_INFO: tsc_info(e, r, o); break;
    case XSR_REC_HVM_CONTEXT: xsri_dump_hvm_context(e, r->body, r->length, o); break;
    case XSR_REC_HVM_PARAMS: hvm_params(e, r, o); break;
    case XSR_REC_X86_CPUID_POLICY: cpuid_policy(e, r, o); break;
    case XSR_REC_X86_MSR_POLICY: msr_list(e, "msrs", r->body, r->length, o, "flags"); break;
    case XSR_REC_DOMAIN_CONTEXT: xsri_dump_domain_context(e, r->body, r->length, o); break;
    case XSR_REC_CHECKPOINT_DIRTY_PFN_LIST: dirty_pfn_list(e, r, o); break;
    case XSR_REC_END:
    case XSR_REC_TOOLSTACK:
    case XSR_REC_VERIFY:
    case XSR_REC_CHECKPOINT:
    case XSR_REC_STATIC_DATA_END:
        break; /* nothing to decode */
    default:
        xsri_emit_bool(e, "unknown", true);
        xsri_emit_text_line(e, "(unknown mandatory record type: not decoded)");
        break;
    }
}

const char *xsri_dump_rec_name(enum xsr_layer layer, uint32_t type)
{
    if (layer == XSR_LAYER_LIBXL)
        return xsr_libxl_rec_type_name(type);
    return xsr_rec_type_name(type);
}
