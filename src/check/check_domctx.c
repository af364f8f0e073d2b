/* SPDX-License-Identifier: MIT */
/*
 * The DOMAIN_CONTEXT blob (Xen v9 layout): HEADER first, then entries whose
 * length includes their zero padding to 8, END last.  The rules follow what
 * the v9 hypervisor loader requires, with the spec's stricter reading (no
 * bytes after END, lengths multiples of 8) in strict mode.
 */
#include <inttypes.h>

#include "check_internal.h"

struct entry_ctx {
    uint32_t idx;
    const struct xsr_domctx_entry *e;
};

/* "entry 2 (SHARED_INFO) at blob offset 0x18" */
#define ENTRY_FMT "entry %" PRIu32 " (%s) at blob offset 0x%zx"
#define ENTRY_ARGS(ec) (ec)->idx, entry_name((ec)->e->desc.typecode), (ec)->e->offset

static const char *entry_name(uint16_t t)
{
    const char *n = xsr_domctx_type_name(t);
    return n ? n : "unknown type";
}

static void check_header(struct xsri_checker *c, const struct entry_ctx *ec,
                         enum xsr_byte_order o)
{
    const struct xsr_domctx_entry *e = ec->e;
    if (e->desc.length < 12) {
        xsri_report(c, XSRI_R_DOMCTX_HEADER_LENGTH,
                    ENTRY_FMT ": length %" PRIu32 " is shorter than the 12-byte header",
                    ENTRY_ARGS(ec), e->desc.length);
        return;
    }
    uint32_t magic = xsr_ld32(e->body, o), version = xsr_ld32(e->body + 8, o);
    if (magic != XSR_DOMCTX_MAGIC)
        xsri_report(c, XSRI_R_DOMCTX_MAGIC,
                    ENTRY_FMT ": magic is 0x%08" PRIx32 ", expected 0x%08x", ENTRY_ARGS(ec),
                    magic, XSR_DOMCTX_MAGIC);
    if (version != XSR_DOMCTX_VERSION)
        xsri_report(c, XSRI_R_DOMCTX_VERSION,
                    ENTRY_FMT ": version is %" PRIu32 ", expected %u", ENTRY_ARGS(ec), version,
                    XSR_DOMCTX_VERSION);
    if (!xsr_all_zero(e->body + 12, e->desc.length - 12))
        xsri_report(c, XSRI_R_DOMCTX_HEADER_PADDING,
                    ENTRY_FMT ": the %" PRIu32 " bytes after the 12-byte header are not zero",
                    ENTRY_ARGS(ec), e->desc.length - 12);
}

static void check_padding(struct xsri_checker *c, const struct entry_ctx *ec, uint32_t used)
{
    const struct xsr_domctx_entry *e = ec->e;
    if (used >= e->desc.length || xsr_all_zero(e->body + used, e->desc.length - used))
        return;
    /* The v9 loader checks the rest of a PV shared-info entry, not an HVM one. */
    int sev = xsri_sev(c, XSRI_R_DOMCTX_PADDING);
    if (e->desc.typecode == XSR_DOMCTX_SHARED_INFO && xsri_is_pv(c))
        sev = XSR_SEV_ERROR;
    xsri_report_sev(c, XSRI_R_DOMCTX_PADDING,
                    sev, ENTRY_FMT ": the %" PRIu32 " bytes after its %" PRIu32
                    " bytes of content are not zero",
                    ENTRY_ARGS(ec), e->desc.length - used, used);
}

static void check_shared_info(struct xsri_checker *c, const struct entry_ctx *ec,
                              enum xsr_byte_order o)
{
    const struct xsr_domctx_entry *e = ec->e;
    if (e->desc.length < XSR_DOMCTX_SHINFO_HDR_SIZE) {
        xsri_report(c, XSRI_R_DOMCTX_SHINFO_SIZE,
                    ENTRY_FMT ": length %" PRIu32 " is shorter than the %u-byte header",
                    ENTRY_ARGS(ec), e->desc.length, XSR_DOMCTX_SHINFO_HDR_SIZE);
        return;
    }
    uint32_t flags = xsr_ld32(e->body, o), size = xsr_ld32(e->body + 4, o);
    if (flags & ~XSR_DOMCTX_SHINFO_32BIT)
        xsri_report(c, XSRI_R_DOMCTX_SHINFO_FLAGS,
                    ENTRY_FMT ": flags 0x%08" PRIx32 " has bits other than bit 0 set",
                    ENTRY_ARGS(ec), flags);
    if (size > XSR_DOMCTX_SHINFO_MAX) {
        xsri_report(c, XSRI_R_DOMCTX_SHINFO_SIZE,
                    ENTRY_FMT ": buffer_size %" PRIu32 " exceeds %u (a native shared_info)",
                    ENTRY_ARGS(ec), size, XSR_DOMCTX_SHINFO_MAX);
        return;
    }
    if ((uint64_t)XSR_DOMCTX_SHINFO_HDR_SIZE + size > e->desc.length) {
        xsri_report(c, XSRI_R_DOMCTX_SHINFO_SIZE,
                    ENTRY_FMT ": buffer_size %" PRIu32 " does not fit in its length %" PRIu32,
                    ENTRY_ARGS(ec), size, e->desc.length);
        return;
    }
    check_padding(c, ec, XSR_DOMCTX_SHINFO_HDR_SIZE + size);
}

static void check_tsc(struct xsri_checker *c, const struct entry_ctx *ec, enum xsr_byte_order o)
{
    const struct xsr_domctx_entry *e = ec->e;
    if (e->desc.length != XSR_DOMCTX_TSC_SIZE)
        xsri_report(c, XSRI_R_DOMCTX_TSC_LENGTH, ENTRY_FMT ": length %" PRIu32 " is not %u",
                    ENTRY_ARGS(ec), e->desc.length, XSR_DOMCTX_TSC_SIZE);
    if (e->desc.length >= 4) {
        uint32_t mode = xsr_ld32(e->body, o);
        if (mode > 2)
            xsri_report(c, XSRI_R_DOMCTX_TSC_MODE,
                        ENTRY_FMT ": TSC mode %" PRIu32 " is not 0, 1 or 2", ENTRY_ARGS(ec), mode);
    }
    /* Bytes 20..23 are the struct's uninitialised tail padding: not checked. */
    if (e->desc.length > XSR_DOMCTX_TSC_SIZE)
        check_padding(c, ec, XSR_DOMCTX_TSC_SIZE);
}

static void check_end_entry(struct xsri_checker *c, const struct entry_ctx *ec)
{
    const struct xsr_domctx_entry *e = ec->e;
    if (!e->desc.length)
        return;
    bool zero = xsr_all_zero(e->body, e->desc.length);
    xsri_report_sev(c, XSRI_R_DOMCTX_END_LENGTH,
                    zero ? xsri_sev(c, XSRI_R_DOMCTX_END_LENGTH) : XSR_SEV_ERROR,
                    ENTRY_FMT ": END has a body of %" PRIu32 " bytes%s", ENTRY_ARGS(ec),
                    e->desc.length, zero ? " (all zero)" : " that is not all zero");
}

void xsri_check_domain_context(struct xsri_checker *c, const struct xsr_record *rec,
                               enum xsr_byte_order o)
{
    if (rec->length == 0) {
        xsri_report(c, XSRI_R_DOMCTX_EMPTY, "has no body; the blob needs at least HEADER and END");
        return;
    }

    struct xsr_domctx_iter it;
    struct xsr_domctx_entry e;
    struct xsr_error werr;
    struct entry_ctx ec = { 0, &e };
    unsigned seen = 0; /* bit per known typecode */
    uint32_t unknown = 0;
    bool end = false;
    int rc;

    xsr_error_clear(&werr);
    xsr_domctx_iter_init(&it, rec->body, rec->length, o);
    for (; (rc = xsr_domctx_next(&it, &e, &werr)) == 1; ec.idx++) {
        uint16_t t = e.desc.typecode;
        if (ec.idx == 0 && t != XSR_DOMCTX_HEADER)
            xsri_report(c, XSRI_R_DOMCTX_HEADER_FIRST,
                        ENTRY_FMT ": the blob must start with HEADER", ENTRY_ARGS(&ec));
        if (e.desc.instance)
            xsri_report(c, XSRI_R_DOMCTX_INSTANCE,
                        ENTRY_FMT ": instance %" PRIu16 ", expected 0", ENTRY_ARGS(&ec),
                        e.desc.instance);
        if (e.desc.length % XSR_DOMCTX_ALIGN)
            xsri_report(c, XSRI_R_DOMCTX_LENGTH_ALIGN,
                        ENTRY_FMT ": length %" PRIu32 " is not a multiple of %u", ENTRY_ARGS(&ec),
                        e.desc.length, XSR_DOMCTX_ALIGN);
        if (t > XSR_DOMCTX_TSC_INFO) {
            if (unknown++ < XSRI_MAX_ITEMS)
                xsri_report(c, XSRI_R_DOMCTX_UNKNOWN,
                            ENTRY_FMT ": typecode %" PRIu16 " is not defined (0-3)",
                            ENTRY_ARGS(&ec), t);
            continue;
        }
        if (t != XSR_DOMCTX_END && (seen & (1u << t)))
            xsri_report_sev(c, XSRI_R_DOMCTX_DUPLICATE,
                            t == XSR_DOMCTX_HEADER ? XSR_SEV_ERROR
                                                   : xsri_sev(c, XSRI_R_DOMCTX_DUPLICATE),
                            ENTRY_FMT ": a second %s entry", ENTRY_ARGS(&ec), entry_name(t));
        seen |= 1u << t;
        if (t == XSR_DOMCTX_END) {
            check_end_entry(c, &ec);
            end = true;
            break;
        }
        if (t == XSR_DOMCTX_HEADER)
            check_header(c, &ec, o);
        else if (t == XSR_DOMCTX_SHARED_INFO)
            check_shared_info(c, &ec, o);
        else
            check_tsc(c, &ec, o);
    }
    if (unknown > XSRI_MAX_ITEMS)
        xsri_report(c, XSRI_R_DOMCTX_UNKNOWN, "%" PRIu32 " more entries have unknown typecodes",
                    unknown - XSRI_MAX_ITEMS);
    if (rc < 0) {
        xsri_report(c, XSRI_R_DOMCTX_FRAMING, "%s", werr.message);
        return;
    }
    if (!end)
        xsri_report(c, XSRI_R_DOMCTX_END_MISSING, "the blob has no END entry");
    else if (it.off < rec->length)
        xsri_report(c, XSRI_R_DOMCTX_TRAILING, "%zu bytes follow the END entry",
                    rec->length - it.off);

    if (xsri_is_pv(c) && !(seen & (1u << XSR_DOMCTX_SHARED_INFO)))
        xsri_report(c, XSRI_R_DOMCTX_CONTENT_MISSING,
                    "no SHARED_INFO entry: the PV guest's shared info is not restored");
    if ((xsri_is_pv(c) || xsri_is_hvm(c)) && !(seen & (1u << XSR_DOMCTX_TSC_INFO)))
        xsri_report(c, XSRI_R_DOMCTX_CONTENT_MISSING,
                    "no TSC_INFO entry: the guest's TSC settings are not restored");
}
