/* SPDX-License-Identifier: MIT */
/*
 * DOMAIN_CONTEXT blob (Xen v9 layout): 8-byte descriptors whose length counts
 * the body including its zero padding to 8, so the next descriptor is at
 * offset + 8 + length.
 */
#include <inttypes.h>

#include <xsr/wire.h>

#include "ctx_entries.h"

void xsr_domctx_iter_init(struct xsr_domctx_iter *it, const uint8_t *blob, size_t len,
                          enum xsr_byte_order o)
{
    it->blob = blob;
    it->len = len;
    it->off = 0;
    it->order = o;
}

int xsr_domctx_next(struct xsr_domctx_iter *it, struct xsr_domctx_entry *e,
                    struct xsr_error *err)
{
    struct xsri_ctx_entry c;
    int rc = xsri_ctx_next(it->blob, it->len, &it->off, it->order, "domain context", &c, err);
    if (rc == 1)
        *e = (struct xsr_domctx_entry){
            .desc = {.typecode = c.typecode, .instance = c.instance, .length = c.length},
            .body = c.body,
            .offset = c.offset,
        };
    return rc;
}

void xsr_domctx_header_decode(const uint8_t b[XSR_DOMCTX_HEADER_SIZE], enum xsr_byte_order o,
                              struct xsr_domctx_header *h)
{
    h->magic = xsr_ld32(b, o);
    h->xen_major = xsr_ld16(b + 4, o);
    h->xen_minor = xsr_ld16(b + 6, o);
    h->version = xsr_ld32(b + 8, o);
    h->pad = xsr_ld32(b + 12, o);
}

void xsr_domctx_header_encode(const struct xsr_domctx_header *h, enum xsr_byte_order o,
                              uint8_t b[XSR_DOMCTX_HEADER_SIZE])
{
    xsr_st32(b, h->magic, o);
    xsr_st16(b + 4, h->xen_major, o);
    xsr_st16(b + 6, h->xen_minor, o);
    xsr_st32(b + 8, h->version, o);
    xsr_st32(b + 12, h->pad, o);
}

int xsr_domctx_shinfo_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                             struct xsr_domctx_shinfo *v, struct xsr_error *err)
{
    if (len < XSR_DOMCTX_SHINFO_HDR_SIZE)
        return xsr_error_set(err, XSR_EFORMAT,
                             "domain context SHARED_INFO length %" PRIu32
                             " is shorter than its %u-byte header",
                             len, XSR_DOMCTX_SHINFO_HDR_SIZE);
    uint32_t size = xsr_ld32(body + 4, o);
    if (size > len - XSR_DOMCTX_SHINFO_HDR_SIZE)
        return xsr_error_set(err, XSR_EFORMAT,
                             "domain context SHARED_INFO buffer_size %" PRIu32
                             " exceeds the %" PRIu32 " bytes after its header",
                             size, len - XSR_DOMCTX_SHINFO_HDR_SIZE);
    v->flags = xsr_ld32(body, o);
    v->buffer_size = size;
    v->buffer = body + XSR_DOMCTX_SHINFO_HDR_SIZE;
    return 0;
}

void xsr_domctx_shinfo_encode_hdr(uint32_t flags, uint32_t buffer_size, enum xsr_byte_order o,
                                  uint8_t b[XSR_DOMCTX_SHINFO_HDR_SIZE])
{
    xsr_st32(b, flags, o);
    xsr_st32(b + 4, buffer_size, o);
}

void xsr_domctx_tsc_decode(const uint8_t b[XSR_DOMCTX_TSC_SIZE], enum xsr_byte_order o,
                           struct xsr_domctx_tsc *v)
{
    v->mode = xsr_ld32(b, o);
    v->incarnation = xsr_ld32(b + 4, o);
    v->elapsed_nsec = xsr_ld64(b + 8, o);
    v->khz = xsr_ld32(b + 16, o);
    v->tail = xsr_ld32(b + 20, o);
}

void xsr_domctx_tsc_encode(const struct xsr_domctx_tsc *v, enum xsr_byte_order o,
                           uint8_t b[XSR_DOMCTX_TSC_SIZE])
{
    xsr_st32(b, v->mode, o);
    xsr_st32(b + 4, v->incarnation, o);
    xsr_st64(b + 8, v->elapsed_nsec, o);
    xsr_st32(b + 16, v->khz, o);
    xsr_st32(b + 20, v->tail, o);
}

int xsr_domctx_put(uint8_t *dst, size_t cap, size_t *off, uint16_t type, uint16_t instance,
                   const uint8_t *body, uint32_t body_len, enum xsr_byte_order o)
{
    return xsri_ctx_put(dst, cap, off, type, instance, body, body_len, XSR_DOMCTX_ALIGN, o);
}
