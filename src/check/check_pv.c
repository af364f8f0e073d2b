/* SPDX-License-Identifier: MIT */
/* PV records: X86_PV_INFO, the vCPU records, SHARED_INFO. */
#include <inttypes.h>

#include "check_internal.h"

void xsri_check_pv_info(struct xsri_checker *c, const struct xsr_record *rec,
                        enum xsr_byte_order o)
{
    bool first = !c->x.pv_info_seen;

    if (!first)
        xsri_report(c, XSRI_R_PVI_DUPLICATE, "a second X86_PV_INFO; it is sent once");
    c->x.pv_info_seen = true; /* present, even if broken: no follow-on findings */
    if (rec->length < XSR_PV_INFO_SIZE) {
        /* Xen's restore code refuses a short one too. */
        xsri_report_sev(c, XSRI_R_PVI_LENGTH, XSR_SEV_ERROR,
                        "length %" PRIu32 " is shorter than %u", rec->length, XSR_PV_INFO_SIZE);
        return;
    }
    if (rec->length != XSR_PV_INFO_SIZE)
        xsri_report(c, XSRI_R_PVI_LENGTH, "length %" PRIu32 " is not %u", rec->length,
                    XSR_PV_INFO_SIZE);

    struct xsr_pv_info v;
    xsr_pv_info_decode(rec->body, o, &v);
    bool ok = false;
    if (v.guest_width != 4 && v.guest_width != 8)
        xsri_report(c, XSRI_R_PVI_WIDTH, "guest_width %u is not 4 or 8", v.guest_width);
    else if (v.pt_levels != (v.guest_width == 8 ? 4 : 3))
        xsri_report(c, XSRI_R_PVI_WIDTH_LEVELS,
                    "pt_levels %u does not go with guest_width %u (expected %u)", v.pt_levels,
                    v.guest_width, v.guest_width == 8 ? 4 : 3);
    else
        ok = true;
    if (v.reserved1 || v.reserved2)
        xsri_report(c, XSRI_R_PVI_RESERVED,
                    "reserved fields are not zero: 0x%04" PRIx16 " and 0x%08" PRIx32, v.reserved1,
                    v.reserved2);

    if (first) {
        c->x.width_ok = ok;
        c->x.width = v.guest_width;
        c->x.levels = v.pt_levels;
        if (ok) {
            c->sum.guest_width = v.guest_width;
            c->sum.pt_levels = v.pt_levels;
        }
    }
}

static void check_basic(struct xsri_checker *c, uint32_t id, uint32_t ctx_len)
{
    if (ctx_len == 0) {
        /* Xen skips any empty vCPU record; the erratum names only the others. */
        if (c->opts.lenient)
            xsri_report(c, XSRI_R_VCPU_EMPTY, "vcpu %" PRIu32 " has no context; it is ignored",
                        id);
        else
            xsri_report(c, XSRI_R_VCPU_BASIC_SIZE,
                        "vcpu %" PRIu32 " has no context (the erratum covers only EXTENDED, "
                        "XSAVE and MSRS)",
                        id);
        return;
    }
    if (id == 0)
        c->x.vcpu0_basic_seen = true; /* sent, even if its size is wrong */
    bool ok;
    if (c->x.width_ok)
        ok = ctx_len == (c->x.width == 8 ? XSR_PV_VCPU_CTX_SIZE_64 : XSR_PV_VCPU_CTX_SIZE_32);
    else
        ok = ctx_len == XSR_PV_VCPU_CTX_SIZE_64 || ctx_len == XSR_PV_VCPU_CTX_SIZE_32;
    if (!ok) {
        if (c->x.width_ok)
            xsri_report(c, XSRI_R_VCPU_BASIC_SIZE,
                        "vcpu %" PRIu32 " context is %" PRIu32 " bytes; a %u-bit guest's is %u",
                        id, ctx_len, c->x.width * 8,
                        c->x.width == 8 ? XSR_PV_VCPU_CTX_SIZE_64 : XSR_PV_VCPU_CTX_SIZE_32);
        else
            xsri_report(c, XSRI_R_VCPU_BASIC_SIZE,
                        "vcpu %" PRIu32 " context is %" PRIu32 " bytes, neither %u (64-bit) "
                        "nor %u (32-bit)",
                        id, ctx_len, XSR_PV_VCPU_CTX_SIZE_64, XSR_PV_VCPU_CTX_SIZE_32);
        return;
    }
}

static void check_msrs(struct xsri_checker *c, uint32_t id, const uint8_t *ctx, uint32_t len,
                       enum xsr_byte_order o)
{
    if (len % XSR_MSR_ENTRY_SIZE) {
        xsri_report(c, XSRI_R_VCPU_MSRS_SIZE,
                    "vcpu %" PRIu32 " MSR context is %" PRIu32 " bytes, not a multiple of %u",
                    id, len, XSR_MSR_ENTRY_SIZE);
        return;
    }
    uint32_t n = len / XSR_MSR_ENTRY_SIZE, bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = ctx + (size_t)i * XSR_MSR_ENTRY_SIZE;
        uint32_t r = xsr_ld32(e + 4, o);
        if (r && bad++ < XSRI_MAX_ITEMS)
            xsri_report(c, XSRI_R_VCPU_MSRS_RESERVED,
                        "vcpu %" PRIu32 " MSR entry %" PRIu32 " (MSR 0x%08" PRIx32
                        ") has reserved field 0x%08" PRIx32 ", which must be zero",
                        id, i, xsr_ld32(e, o), r);
    }
    if (bad > XSRI_MAX_ITEMS)
        xsri_report(c, XSRI_R_VCPU_MSRS_RESERVED,
                    "%" PRIu32 " more MSR entries have a non-zero reserved field",
                    bad - XSRI_MAX_ITEMS);
}

void xsri_check_vcpu(struct xsri_checker *c, const struct xsr_record *rec, enum xsr_byte_order o)
{
    if (rec->length < XSR_VCPU_HDR_SIZE) {
        xsri_report(c, XSRI_R_VCPU_LENGTH,
                    "length %" PRIu32 " is shorter than the %u-byte vCPU header", rec->length,
                    XSR_VCPU_HDR_SIZE);
        return;
    }
    uint32_t id = xsr_ld32(rec->body, o);
    uint32_t reserved = xsr_ld32(rec->body + 4, o);
    const uint8_t *ctx = rec->body + XSR_VCPU_HDR_SIZE;
    uint32_t len = rec->length - XSR_VCPU_HDR_SIZE;

    if (reserved)
        xsri_report(c, XSRI_R_VCPU_RESERVED, "reserved field is 0x%08" PRIx32 ", expected 0",
                    reserved);
    if (id >= XSR_VCPU_MAX)
        xsri_report(c, XSRI_R_VCPU_ID_RANGE, "vcpu_id %" PRIu32 " is not below %u", id,
                    XSR_VCPU_MAX);
    c->x.vcpu_seen_cp = true;

    if (rec->type == XSR_REC_X86_PV_VCPU_BASIC) {
        check_basic(c, id, len);
    } else if (len == 0) {
        xsri_report(c, XSRI_R_VCPU_EMPTY,
                    "vcpu %" PRIu32 " has no context (an erratum of Xen 4.6-4.8); it is ignored",
                    id);
    } else if (rec->type == XSR_REC_X86_PV_VCPU_EXTENDED) {
        if (len > XSR_PV_VCPU_EXT_MAX)
            xsri_report(c, XSRI_R_VCPU_EXT_SIZE,
                        "vcpu %" PRIu32 " extended context is %" PRIu32 " bytes, over %u", id,
                        len, XSR_PV_VCPU_EXT_MAX);
    } else if (rec->type == XSR_REC_X86_PV_VCPU_XSAVE) {
        if (len < 16)
            xsri_report(c, XSRI_R_VCPU_XSAVE_SIZE,
                        "vcpu %" PRIu32 " XSAVE context is %" PRIu32
                        " bytes, less than the 16 of xcr0 and xcr0_accum",
                        id, len);
    } else {
        check_msrs(c, id, ctx, len, o);
    }
    if (len)
        xsri_vcpu_seen(c, id);
}

void xsri_check_shared_info(struct xsri_checker *c, const struct xsr_record *rec)
{
    if (xsri_is_pv(c) && !c->x.pv_info_seen)
        xsri_report(c, XSRI_R_SHINFO_BEFORE_PV_INFO,
                    "comes before X86_PV_INFO, which gives the layout it depends on");
    if (rec->length != XSR_SHARED_INFO_SIZE)
        xsri_report(c, XSRI_R_SHINFO_LENGTH, "length %" PRIu32 " is not %u", rec->length,
                    XSR_SHARED_INFO_SIZE);
}
