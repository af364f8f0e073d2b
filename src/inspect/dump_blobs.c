/* SPDX-License-Identifier: MIT */
/* Decoded entries of the HVM_CONTEXT and DOMAIN_CONTEXT blobs for the dump. */
#include <stdio.h>

#include <xsr/vcpu.h>
#include <xsr/wire.h>

#include "dump_internal.h"

/* Wallclock in a shared_info page: wc_version, wc_sec, wc_nsec, and in the
 * 64-bit layout wc_sec_hi, each 4 bytes. */
#define SHINFO_WC_NATIVE 3072u
#define SHINFO_WC_COMPAT 2304u

uint32_t xsri_dump_wallclock_end(bool compat)
{
    return compat ? SHINFO_WC_COMPAT + 12u : SHINFO_WC_NATIVE + 16u;
}

void xsri_dump_wallclock(struct xsri_emit *e, const uint8_t *shinfo, bool compat, enum xsr_byte_order o)
{
    const uint8_t *wc = shinfo + (compat ? SHINFO_WC_COMPAT : SHINFO_WC_NATIVE);
    uint64_t sec = xsr_ld32(wc + 4, o);

    if (!compat)
        sec |= (uint64_t)xsr_ld32(wc + 12, o) << 32;
    xsri_emit_obj_begin(e, "wallclock", XSRI_INLINE);
    xsri_emit_uint(e, "version", xsr_ld32(wc, o));
    xsri_emit_uint(e, "sec", sec);
    xsri_emit_uint(e, "nsec", xsr_ld32(wc + 8, o));
    xsri_emit_obj_end(e);
}

/* One entry of either context blob (their descriptors have the same form). */
struct entry {
    uint16_t typecode;
    uint16_t instance;
    uint32_t length;
    const uint8_t *body;
    size_t offset;
};

/* The kind of blob: its iterator, type names and decoded bodies. */
struct blob_kind {
    int (*next)(void *it, struct entry *en, struct xsr_error *err); /* as xsr_domctx_next */
    const char *(*type_name)(uint16_t type);
    void (*fields)(struct xsri_emit *e, const struct entry *en, enum xsr_byte_order o);
};

/* "entries" (the first XSRI_DUMP_LIST_MAX), "count", and "malformed" if
 * the blob does not parse to its end. */
static void entries(struct xsri_emit *e, const struct blob_kind *k, void *it, enum xsr_byte_order o)
{
    struct entry en;
    struct xsr_error err;
    uint64_t n = 0;
    int rc;

    xsr_error_clear(&err);
    xsri_emit_list_begin(e, "entries");
    while ((rc = k->next(it, &en, &err)) == 1) {
        if (n++ >= XSRI_DUMP_LIST_MAX)
            continue;
        xsri_emit_obj_begin(e, NULL, XSRI_INLINE);
        xsri_emit_uint(e, "offset", en.offset);
        xsri_emit_str(e, "type", k->type_name(en.typecode));
        xsri_emit_uint(e, "typecode", en.typecode);
        xsri_emit_uint(e, "instance", en.instance);
        xsri_emit_uint(e, "length", en.length);
        k->fields(e, &en, o);
        xsri_emit_obj_end(e);
    }
    xsri_emit_list_end(e);
    xsri_emit_uint(e, "count", n);
    if (n > XSRI_DUMP_LIST_MAX)
        xsri_emit_uint(e, "entries_not_shown", n - XSRI_DUMP_LIST_MAX);
    if (rc < 0)
        xsri_emit_str(e, "malformed", err.message);
}

/* ---------------------------------------------------------- HVM_CONTEXT */

static int hvm_next(void *it, struct entry *en, struct xsr_error *err)
{
    struct xsr_hvmctx_entry h;
    int rc = xsr_hvmctx_next(it, &h, err);

    if (rc == 1)
        *en = (struct entry){ h.desc.typecode, h.desc.instance, h.desc.length, h.body, h.offset };
    return rc;
}

static void hvm_header(struct xsri_emit *e, const struct entry *en, enum xsr_byte_order o)
{
    struct xsr_hvmctx_header h;

    if (en->length < XSR_HVMCTX_HEADER_SIZE)
        return;
    xsr_hvmctx_header_decode(en->body, o, &h);
    xsri_emit_xnum(e, "magic", h.magic);
    xsri_emit_uint(e, "version", h.version);
    xsri_emit_hex64(e, "changeset", h.changeset);
    xsri_emit_xnum(e, "cpuid", h.cpuid);
    xsri_emit_uint(e, "gtsc_khz", h.gtsc_khz);
}

static void hvm_cpu(struct xsri_emit *e, const struct entry *en, enum xsr_byte_order o)
{
    /* The fields shown lie at the same offsets in both forms of hvm_hw_cpu
     * and end with msr_efer, so a body that reaches it is shown. */
    static const struct { const char *name; enum xsr_vcpu_field f; } shown[] = {
        { "rip", XSR_VCPU_RIP }, { "rsp", XSR_VCPU_RSP }, { "rflags", XSR_VCPU_RFLAGS },
        { "cr0", XSR_VCPU_CR0 }, { "cr2", XSR_VCPU_CR2 }, { "cr3", XSR_VCPU_CR3 },
        { "cr4", XSR_VCPU_CR4 }, { "efer", XSR_VCPU_MSR_EFER },
    };
    const enum xsr_vcpu_kind k = XSR_VCPU_HVM_COMPAT;

    if (en->length < xsr_vcpu_offset(k, XSR_VCPU_MSR_EFER, 0) + 8u)
        return;
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
        xsri_emit_hex64(e, shown[i].name, xsr_vcpu_get(en->body, k, shown[i].f, 0, o));
}

static void hvm_fields(struct xsri_emit *e, const struct entry *en, enum xsr_byte_order o)
{
    if (en->typecode == XSR_HVMCTX_HEADER)
        hvm_header(e, en, o);
    else if (en->typecode == XSR_HVMCTX_CPU)
        hvm_cpu(e, en, o);
}

void xsri_dump_hvm_context(struct xsri_emit *e, const uint8_t *blob, uint32_t len, enum xsr_byte_order o)
{
    static const struct blob_kind hvm = { hvm_next, xsr_hvmctx_type_name, hvm_fields };
    struct xsr_hvmctx_iter it;

    xsr_hvmctx_iter_init(&it, blob, len, o);
    entries(e, &hvm, &it, o);
}

/* ------------------------------------------------------- DOMAIN_CONTEXT */

static int domctx_next(void *it, struct entry *en, struct xsr_error *err)
{
    struct xsr_domctx_entry d;
    int rc = xsr_domctx_next(it, &d, err);

    if (rc == 1)
        *en = (struct entry){ d.desc.typecode, d.desc.instance, d.desc.length, d.body, d.offset };
    return rc;
}

static void domctx_header(struct xsri_emit *e, const struct entry *en, enum xsr_byte_order o)
{
    struct xsr_domctx_header h;

    if (en->length < XSR_DOMCTX_HEADER_SIZE)
        return;
    xsr_domctx_header_decode(en->body, o, &h);
    xsri_emit_xnum(e, "magic", h.magic);
    xsri_emit_uint(e, "xen_major", h.xen_major);
    xsri_emit_uint(e, "xen_minor", h.xen_minor);
    xsri_emit_uint(e, "version", h.version);
}

static void domctx_shinfo(struct xsri_emit *e, const struct entry *en, enum xsr_byte_order o)
{
    struct xsr_domctx_shinfo v;
    struct xsr_error err;
    bool compat;

    xsr_error_clear(&err);
    if (xsr_domctx_shinfo_decode(en->body, en->length, o, &v, &err) < 0)
        return;
    compat = v.flags & XSR_DOMCTX_SHINFO_32BIT;
    xsri_emit_xnum(e, "flags", v.flags);
    xsri_emit_str(e, "layout", compat ? "32-bit" : "64-bit");
    xsri_emit_uint(e, "buffer_size", v.buffer_size);
    if (v.buffer_size >= xsri_dump_wallclock_end(compat))
        xsri_dump_wallclock(e, v.buffer, compat, o);
}

static void domctx_tsc(struct xsri_emit *e, const struct entry *en, enum xsr_byte_order o)
{
    struct xsr_domctx_tsc t;

    if (en->length < XSR_DOMCTX_TSC_SIZE)
        return;
    xsr_domctx_tsc_decode(en->body, o, &t);
    xsri_emit_uint(e, "mode", t.mode);
    xsri_emit_uint(e, "incarnation", t.incarnation);
    xsri_emit_u64(e, "elapsed_nsec", t.elapsed_nsec);
    xsri_emit_uint(e, "khz", t.khz);
}

static void domctx_fields(struct xsri_emit *e, const struct entry *en, enum xsr_byte_order o)
{
    switch (en->typecode) {
    case XSR_DOMCTX_HEADER: domctx_header(e, en, o); break;
    case XSR_DOMCTX_SHARED_INFO: domctx_shinfo(e, en, o); break;
    case XSR_DOMCTX_TSC_INFO: domctx_tsc(e, en, o); break;
    default: break;
    }
}

void xsri_dump_domain_context(struct xsri_emit *e, const uint8_t *blob, uint32_t len, enum xsr_byte_order o)
{
    static const struct blob_kind domctx = { domctx_next, xsr_domctx_type_name, domctx_fields };
    struct xsr_domctx_iter it;

    xsr_domctx_iter_init(&it, blob, len, o);
    entries(e, &domctx, &it, o);
}
