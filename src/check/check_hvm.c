/* SPDX-License-Identifier: MIT */
/* HVM records: HVM_PARAMS and HVM_CONTEXT (the Xen HVM save blob's framing). */
#include <inttypes.h>

#include "check_internal.h"

void xsri_check_hvm_params(struct xsri_checker *c, const struct xsr_record *rec,
                           enum xsr_byte_order o)
{
    if (c->x.hvm_context_seen_cp && !c->x.hvm_order_noted) {
        c->x.hvm_order_noted = true;
        xsri_report(c, XSRI_R_HVM_ORDER,
                    "HVM_PARAMS follows HVM_CONTEXT, as Xen writes them; the specification "
                    "lists HVM_PARAMS first (both orders restore the same)");
    }
    c->x.hvm_params_seen_cp = true;

    if (rec->length < XSR_HVM_PARAMS_HDR_SIZE) {
        xsri_report(c, XSRI_R_HVMP_LENGTH, "length %" PRIu32 " is shorter than the %u-byte header",
                    rec->length, XSR_HVM_PARAMS_HDR_SIZE);
        return;
    }
    uint32_t count = xsr_ld32(rec->body, o), reserved = xsr_ld32(rec->body + 4, o);
    uint64_t expected = XSR_HVM_PARAMS_HDR_SIZE + (uint64_t)count * XSR_HVM_PARAM_ENTRY_SIZE;
    if (rec->length != expected)
        xsri_report(c, XSRI_R_HVMP_LENGTH,
                    "length %" PRIu32 " does not match count %" PRIu32 ": expected %" PRIu64,
                    rec->length, count, expected);
    if (reserved)
        xsri_report(c, XSRI_R_HVMP_RESERVED, "reserved field is 0x%08" PRIx32 ", expected 0",
                    reserved);
    if (count == 0 && rec->length == expected)
        xsri_report(c, XSRI_R_HVMP_EMPTY,
                    "count is 0 (an erratum of Xen 4.6-4.8); the record is ignored");
}

/* The blob's first entry must be Xen's HVM save HEADER. */
static void check_hvmctx_header(struct xsri_checker *c, const struct xsr_hvmctx_entry *e,
                                enum xsr_byte_order o)
{
    if (e->desc.typecode != XSR_HVMCTX_HEADER) {
        xsri_report(c, XSRI_R_HVMCTX_HEADER,
                    "the HVM context starts with entry type %" PRIu16 ", not HEADER (1)",
                    e->desc.typecode);
        return;
    }
    if (e->desc.length != XSR_HVMCTX_HEADER_SIZE) {
        xsri_report(c, XSRI_R_HVMCTX_HEADER, "the HEADER entry is %" PRIu32 " bytes, not %u",
                    e->desc.length, XSR_HVMCTX_HEADER_SIZE);
        return;
    }
    struct xsr_hvmctx_header h;
    xsr_hvmctx_header_decode(e->body, o, &h);
    if (h.magic != XSR_HVMCTX_MAGIC)
        xsri_report(c, XSRI_R_HVMCTX_HEADER, "HEADER magic is 0x%08" PRIx32 ", expected 0x%08x",
                    h.magic, XSR_HVMCTX_MAGIC);
    if (h.version != XSR_HVMCTX_VERSION)
        xsri_report(c, XSRI_R_HVMCTX_HEADER, "HEADER version is %" PRIu32 ", expected %u",
                    h.version, XSR_HVMCTX_VERSION);
}

/* CPU_XSAVE: xcr0, xcr0_accum and an XSAVE area of at least the legacy
 * region and header.  Its expected size depends on the saving host's XSAVE
 * layout for xcr0_accum; only x87|SSE has an architectural one (the legacy
 * region and header alone), beyond which Xen accepts only zero bytes. */
static void check_xsave_length(struct xsri_checker *c, const struct xsr_hvmctx_entry *e,
                               enum xsr_byte_order o, uint32_t idx)
{
    uint32_t len = e->desc.length;
    if (len < XSR_HVMCTX_XSAVE_MIN) {
        xsri_report(c, XSRI_R_HVMCTX_LENGTH,
                    "HVM context entry %" PRIu32 " (CPU_XSAVE, vCPU %" PRIu16 ") is %" PRIu32
                    " bytes, fewer than the %u of xcr0, xcr0_accum and the smallest XSAVE area",
                    idx, e->desc.instance, len, XSR_HVMCTX_XSAVE_MIN);
        return;
    }
    uint64_t accum = xsr_ld64(e->body + 16, o);
    if ((accum & ~(uint64_t)3) != 0)
        return;
    for (uint32_t i = XSR_HVMCTX_XSAVE_MIN; i < len; i++)
        if (e->body[i]) {
            xsri_report(c, XSRI_R_HVMCTX_LENGTH,
                        "HVM context entry %" PRIu32 " (CPU_XSAVE, vCPU %" PRIu16 ") is %" PRIu32
                        " bytes for xcr0_accum %#" PRIx64 " (%u expected) and its extra bytes "
                        "are not zero", idx, e->desc.instance, len, accum, XSR_HVMCTX_XSAVE_MIN);
            return;
        }
}

/* The length of one entry against what Xen's hvm_load accepts for its type. */
static void check_entry_length(struct xsri_checker *c, const struct xsr_hvmctx_entry *e,
                               enum xsr_byte_order o, uint32_t idx)
{
    uint16_t t = e->desc.typecode;
    uint32_t len = e->desc.length, want = xsr_hvmctx_type_size(t);
    const char *name = xsr_hvmctx_type_name(t);

    if (t == XSR_HVMCTX_END || t == XSR_HVMCTX_HEADER || t > XSR_HVMCTX_CODE_MAX)
        return; /* END ends the load; HEADER and unknown types have rules of their own */
    if (t == XSR_HVMCTX_CPU_XSAVE) {
        check_xsave_length(c, e, o, idx);
        return;
    }
    if (t == XSR_HVMCTX_CPU_MSR) {
        uint32_t count = len >= 4 ? xsr_ld32(e->body, o) : 0;
        uint64_t exp = XSR_HVMCTX_MSR_HDR_SIZE + (uint64_t)count * XSR_HVMCTX_MSR_ENTRY_SIZE;
        if (len < XSR_HVMCTX_MSR_HDR_SIZE + XSR_HVMCTX_MSR_ENTRY_SIZE || len != exp)
            xsri_report(c, XSRI_R_HVMCTX_LENGTH,
                        "HVM context entry %" PRIu32 " (CPU_MSR, vCPU %" PRIu16 ") is %" PRIu32
                        " bytes; Xen loads 8 + 16 * count bytes with a count of at least 1",
                        idx, e->desc.instance, len);
        return;
    }
    if (len == want)
        return;
    if (xsr_hvmctx_type_zero_extends(t) && len < want)
        return; /* an older layout (Xen 4.17 writes a 24-byte LAPIC): zero-filled */
    xsri_report(c, XSRI_R_HVMCTX_LENGTH,
                "HVM context entry %" PRIu32 " (%s, instance %" PRIu16 ") is %" PRIu32
                " bytes; Xen loads %s%" PRIu32, idx, name, e->desc.instance, len,
                xsr_hvmctx_type_zero_extends(t) ? "at most " : "exactly ", want);
}

void xsri_check_hvm_context(struct xsri_checker *c, const struct xsr_record *rec,
                            enum xsr_byte_order o)
{
    c->x.hvm_context_seen_cp = true;
    if (rec->length == 0) {
        xsri_report(c, XSRI_R_HVMCTX_EMPTY, "has no body; Xen cannot load an empty HVM context");
        return;
    }
    c->x.hvm_context_seen = true;

    struct xsr_hvmctx_iter it;
    struct xsr_hvmctx_entry e;
    struct xsr_error werr;
    uint32_t idx = 0, unknown = 0;
    bool end = false;
    int rc;

    xsr_error_clear(&werr);
    xsr_hvmctx_iter_init(&it, rec->body, rec->length, o);
    while ((rc = xsr_hvmctx_next(&it, &e, &werr)) == 1) {
        if (idx++ == 0)
            check_hvmctx_header(c, &e, o);
        else if (e.desc.typecode == XSR_HVMCTX_HEADER)
            xsri_report(c, XSRI_R_HVMCTX_HEADER_AGAIN,
                        "HVM context entry %" PRIu32 " at blob offset 0x%zx is a second HEADER",
                        idx - 1, e.offset);
        uint16_t t = e.desc.typecode;
        check_entry_length(c, &e, o, idx - 1);
        if (t == XSR_HVMCTX_END) {
            end = true;
            break;
        }
        if (t > XSR_HVMCTX_CODE_MAX && unknown++ < XSRI_MAX_ITEMS)
            xsri_report(c, XSRI_R_HVMCTX_UNKNOWN,
                        "HVM context entry %" PRIu32 " at blob offset 0x%zx has type %" PRIu16
                        ", which Xen does not define (1-%u)",
                        idx - 1, e.offset, t, XSR_HVMCTX_CODE_MAX);
        if (t == XSR_HVMCTX_CPU)
            xsri_vcpu_seen(c, e.desc.instance);
    }
    if (unknown > XSRI_MAX_ITEMS)
        xsri_report(c, XSRI_R_HVMCTX_UNKNOWN, "%" PRIu32 " more entries have unknown types",
                    unknown - XSRI_MAX_ITEMS);
    if (rc < 0)
        xsri_report(c, XSRI_R_HVMCTX_FRAMING, "%s", werr.message);
    else if (!end)
        xsri_report(c, XSRI_R_HVMCTX_FRAMING, "the HVM context has no END entry");
    else if (it.off < rec->length)
        xsri_report(c, XSRI_R_HVMCTX_TRAILING,
                    "%zu bytes follow the END entry of the HVM context", rec->length - it.off);
}
