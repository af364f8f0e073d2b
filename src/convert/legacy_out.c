/* SPDX-License-Identifier: MIT */
/* Output side of the legacy converter (see legacy_internal.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_internal.h"

#define HELD_MAX (256u << 20) /* vCPU records held for a v4 DOMAIN_CONTEXT */

static int no_builder(struct xsri_lout *o)
{
    return xsr_error_set(o->err, XSR_ESTATE, "a record before the stream's headers");
}

int xsri_lout_record(struct xsri_lout *o, uint32_t type, const void *body, uint32_t len)
{
    return o->b ? xsr_builder_record(o->b, type, body, len, o->err) : no_builder(o);
}

int xsri_lout_xl(struct xsri_lout *o, const struct xsr_xl_hdr *h, const uint8_t *data)
{
    free(o->xl_data);
    o->xl_data = malloc(h->optional_data_len ? h->optional_data_len : 1);
    if (!o->xl_data)
        return xsr_error_set(o->err, XSR_ENOMEM, "out of memory for %" PRIu32
                             " bytes of xl optional data", h->optional_data_len);
    memcpy(o->xl_data, data, h->optional_data_len);
    o->xl_hdr = *h;
    o->xl = true;
    return 0;
}

int xsri_lout_headers(struct xsri_lout *o, uint32_t dom_type)
{
    struct xsr_builder_opts bo = XSR_BUILDER_OPTS_INIT;

    o->xen_major = 0;
    o->xen_minor = XSR_LEGACY_CONVERTER_VERSION;
    bo.format = o->libxl ? (o->xl ? XSR_LAYER_XL : XSR_LAYER_LIBXL) : XSR_LAYER_LIBXC;
    bo.version = o->version;
    bo.order = XSR_LITTLE_ENDIAN;
    bo.domain = (struct xsr_dhdr){
        .type = dom_type, .page_shift = XSR_PAGE_SHIFT,
        .xen_major = o->xen_major, .xen_minor = o->xen_minor,
    };
    if (o->xl) {
        /* the input's xl header, in its byte order, says a libxl stream follows */
        bo.xl_own_order = true;
        bo.xl_order = o->xl_hdr.order;
        bo.xl_mandatory_flags = o->xl_hdr.mandatory_flags;
        bo.xl_optional_flags = o->xl_hdr.optional_flags;
        bo.xl_config = o->xl_data;
        bo.xl_config_len = o->xl_hdr.optional_data_len;
    }
    bo.libxl_options = XSR_LIBXL_OPT_LEGACY; /* little-endian, converted from legacy */
    o->b = xsr_builder_new(o->ch, &bo, o->err);
    free(o->xl_data);
    o->xl_data = NULL;
    return o->b ? 0 : (o->err && o->err->code ? o->err->code : XSR_ENOMEM);
}

int xsri_lout_pv_info(struct xsri_lout *o, unsigned guest_width, unsigned levels)
{
    struct xsr_pv_info v = { (uint8_t)guest_width, (uint8_t)levels, 0, 0 };
    uint8_t b[XSR_PV_INFO_SIZE];

    o->guest_width = guest_width;
    xsr_pv_info_encode(&v, XSR_LITTLE_ENDIAN, b);
    return xsri_lout_record(o, XSR_REC_X86_PV_INFO, b, sizeof(b));
}

int xsri_lout_page_data(struct xsri_lout *o, uint32_t count, const uint64_t *words,
                        const uint8_t *data, size_t data_len)
{
    if (count > XSR_LEGACY_MAX_BATCH)
        return xsr_error_set(o->err, XSR_EINVAL, "a batch of %" PRIu32 " pages", count);
    if (!o->b)
        return no_builder(o);
    struct iovec pages = { .iov_base = (void *)(uintptr_t)data, .iov_len = data_len };
    return xsr_builder_page_data(o->b, words, count, &pages, data_len ? 1 : 0, o->err);
}

static int write_context(struct xsri_lout *o, const uint8_t *shinfo)
{
    struct xsr_domctx_parts p = {
        .xen_major = o->xen_major, .xen_minor = o->xen_minor,
        .has_shinfo = shinfo != NULL,
        .shinfo_flags = o->guest_width == 4 ? XSR_DOMCTX_SHINFO_32BIT : 0,
        .shinfo = shinfo, .shinfo_size = xsr_shinfo_size(o->guest_width),
        .has_tsc = o->have_tsc, .tsc = o->tsc,
    };
    uint8_t blob[XSR_DOMCTX_DESC_SIZE * 4 + XSR_DOMCTX_HEADER_SIZE + XSR_DOMCTX_SHINFO_HDR_SIZE +
                 XSR_DOMCTX_SHINFO_MAX + XSR_DOMCTX_TSC_SIZE];
    size_t len;
    int rc = xsr_domctx_build(&p, XSR_LITTLE_ENDIAN, blob, sizeof(blob), &len, o->err);

    if (rc == 0)
        rc = xsri_lout_record(o, XSR_REC_DOMAIN_CONTEXT, blob, (uint32_t)len);
    if (rc == 0)
        o->context_written = true;
    return rc;
}

int xsri_lout_tsc(struct xsri_lout *o, const struct xsr_tsc_info *tsc)
{
    uint8_t b[XSR_TSC_INFO_SIZE];

    if (o->version >= 4) {
        o->tsc = *tsc;
        o->have_tsc = true;
        return 0;
    }
    xsr_tsc_info_encode(tsc, XSR_LITTLE_ENDIAN, b);
    return xsri_lout_record(o, XSR_REC_X86_TSC_INFO, b, sizeof(b));
}

int xsri_lout_end_of_memory(struct xsri_lout *o)
{
    if (o->version >= 4 && !o->pv && !o->context_written)
        return write_context(o, NULL);
    return 0;
}

/* The held vCPU records, framed as they were queued, go out one by one. */
static int flush_held(struct xsri_lout *o)
{
    int rc = 0;

    for (size_t at = 0; rc == 0 && at < o->held_len;) {
        struct xsr_rhdr rh;
        xsr_rhdr_decode(o->held + at, XSR_LITTLE_ENDIAN, &rh);
        rc = xsri_lout_record(o, rh.type, o->held + at + XSR_RHDR_SIZE, rh.length);
        at += XSR_RHDR_SIZE + (size_t)xsr_rec_padded(rh.length);
    }
    o->held_len = 0;
    return rc;
}

int xsri_lout_vcpu(struct xsri_lout *o, uint32_t type, uint32_t vcpu, const uint8_t *ctx,
                   uint32_t len)
{
    uint8_t hdr[XSR_VCPU_HDR_SIZE];

    xsr_vcpu_hdr_encode(vcpu, XSR_LITTLE_ENDIAN, hdr);
    if (o->version >= 4 && o->pv && !o->context_written) {
        /* Hold the framed record until the DOMAIN_CONTEXT is written. */
        uint32_t body = XSR_VCPU_HDR_SIZE + len;
        size_t need = XSR_RHDR_SIZE + (size_t)xsr_rec_padded(body);
        if (need > HELD_MAX - o->held_len)
            return xsr_error_set(o->err, XSR_ELIMIT,
                                 "the vCPU records of one checkpoint exceed %u MiB, the most "
                                 "held back for a version 4 DOMAIN_CONTEXT", HELD_MAX >> 20);
        if (o->held_cap - o->held_len < need) {
            size_t cap = o->held_cap ? o->held_cap : 65536;
            while (cap - o->held_len < need)
                cap *= 2;
            uint8_t *p = realloc(o->held, cap);
            if (!p)
                return xsr_error_set(o->err, XSR_ENOMEM, "out of memory for vCPU records");
            o->held = p;
            o->held_cap = cap;
        }
        struct xsr_rhdr rh = { type, body };
        uint8_t *d = o->held + o->held_len;
        xsr_rhdr_encode(&rh, XSR_LITTLE_ENDIAN, d);
        memcpy(d + XSR_RHDR_SIZE, hdr, XSR_VCPU_HDR_SIZE);
        memcpy(d + XSR_RHDR_SIZE + XSR_VCPU_HDR_SIZE, ctx, len);
        memset(d + XSR_RHDR_SIZE + body, 0, xsr_rec_pad(body));
        o->held_len += need;
        return 0;
    }
    struct iovec iov[2] = {
        { .iov_base = hdr, .iov_len = XSR_VCPU_HDR_SIZE },
        { .iov_base = (void *)(uintptr_t)ctx, .iov_len = len },
    };
    return o->b ? xsr_builder_record_iov(o->b, type, iov, 2, o->err) : no_builder(o);
}

int xsri_lout_shared_info(struct xsri_lout *o, const uint8_t page[XSR_SHARED_INFO_SIZE],
                          uint64_t in_offset)
{
    int rc;

    if (o->version < 4)
        return xsri_lout_record(o, XSR_REC_SHARED_INFO, page, XSR_SHARED_INFO_SIZE);
    if (!xsri_shinfo_tail_zero(page, o->guest_width)) {
        rc = xsr_error_set(o->err, XSR_EUNSUP,
                           "the shared info page has non-zero bytes after its first %" PRIu32
                           " bytes (the shared_info structure of a %u-bit guest), which a "
                           "version 4 DOMAIN_CONTEXT cannot carry; convert to version 3",
                           xsr_shinfo_size(o->guest_width), o->guest_width * 8);
        xsr_error_locate(o->err, in_offset, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
        return rc;
    }
    rc = write_context(o, page);
    if (rc == 0)
        rc = flush_held(o);
    return rc;
}

int xsri_lout_hvm_params(struct xsri_lout *o, const uint64_t *pairs, uint32_t count)
{
    uint8_t hdr[XSR_HVM_PARAMS_HDR_SIZE], *body;
    size_t len = (size_t)count * XSR_HVM_PARAM_ENTRY_SIZE;
    int rc;

    body = malloc(len ? len : 1);
    if (!body)
        return xsr_error_set(o->err, XSR_ENOMEM, "out of memory for HVM parameters");
    xsr_st32(hdr, count, XSR_LITTLE_ENDIAN);
    xsr_st32(hdr + 4, 0, XSR_LITTLE_ENDIAN);
    for (uint32_t i = 0; i < 2 * count; i++)
        xsr_st64(body + 8 * (size_t)i, pairs[i], XSR_LITTLE_ENDIAN);
    struct iovec iov[2] = { { hdr, sizeof(hdr) }, { body, len } };
    rc = o->b ? xsr_builder_record_iov(o->b, XSR_REC_HVM_PARAMS, iov, 2, o->err) : no_builder(o);
    free(body);
    return rc;
}

int xsri_lout_end_image(struct xsri_lout *o, bool final)
{
    int rc = 0;

    if (o->version >= 4 && !o->context_written)
        rc = write_context(o, NULL);
    if (rc == 0)
        rc = flush_held(o);
    if (rc == 0 && !o->b)
        rc = no_builder(o);
    if (rc == 0)
        rc = final ? xsr_builder_libxc_end(o->b, o->err) : xsr_builder_checkpoint(o->b, o->err);
    o->have_tsc = false;
    o->context_written = false;
    return rc;
}

int xsri_lout_libxl(struct xsri_lout *o, uint32_t type, const uint8_t *data, size_t len,
                    bool emulator)
{
    uint8_t hdr[XSR_EMULATOR_HDR_SIZE];
    struct iovec iov[2];
    int n = 0;

    if (emulator) {
        xsr_emulator_hdr_encode(XSR_EMU_UNKNOWN, 0, XSR_LITTLE_ENDIAN, hdr);
        iov[n].iov_base = hdr;
        iov[n++].iov_len = sizeof(hdr);
    }
    if (len) {
        iov[n].iov_base = (void *)(uintptr_t)data;
        iov[n++].iov_len = len;
    }
    return o->b ? xsr_builder_libxl_record_iov(o->b, type, iov, n, o->err) : no_builder(o);
}

int xsri_lout_end(struct xsri_lout *o)
{
    return o->b ? xsr_builder_end(o->b, o->err) : no_builder(o);
}

int xsri_lout_trailing(struct xsri_lout *o, const void *buf, size_t n)
{
    return o->b ? xsr_builder_trailing(o->b, buf, n, o->err) : no_builder(o);
}

void xsri_lout_fini(struct xsri_lout *o)
{
    free(o->xl_data);
    o->xl_data = NULL;
    free(o->held);
    o->held = NULL;
    o->held_len = o->held_cap = 0;
}
