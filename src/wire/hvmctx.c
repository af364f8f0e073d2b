/* SPDX-License-Identifier: MIT */
/*
 * HVM_CONTEXT blob (Xen's HVM save image): 8-byte descriptors whose length
 * counts the body only; entries follow each other without padding.
 */

#include <xsr/wire.h>

#include "ctx_entries.h"

void xsr_hvmctx_iter_init(struct xsr_hvmctx_iter *it, const uint8_t *blob, size_t len,
                          enum xsr_byte_order o)
{
    it->blob = blob;
    it->len = len;
    it->off = 0;
    it->order = o;
}

int xsr_hvmctx_next(struct xsr_hvmctx_iter *it, struct xsr_hvmctx_entry *e,
                    struct xsr_error *err)
{
    struct xsri_ctx_entry c;
    int rc = xsri_ctx_next(it->blob, it->len, &it->off, it->order, "HVM context", &c, err);
    if (rc == 1)
        *e = (struct xsr_hvmctx_entry){
            .desc = {.typecode = c.typecode, .instance = c.instance, .length = c.length},
            .body = c.body,
            .offset = c.offset,
        };
    return rc;
}

void xsr_hvmctx_header_decode(const uint8_t b[XSR_HVMCTX_HEADER_SIZE], enum xsr_byte_order o,
                              struct xsr_hvmctx_header *h)
{
    h->magic = xsr_ld32(b, o);
    h->version = xsr_ld32(b + 4, o);
    h->changeset = xsr_ld64(b + 8, o);
    h->cpuid = xsr_ld32(b + 16, o);
    h->gtsc_khz = xsr_ld32(b + 20, o);
}

void xsr_hvmctx_header_encode(const struct xsr_hvmctx_header *h, enum xsr_byte_order o,
                              uint8_t b[XSR_HVMCTX_HEADER_SIZE])
{
    xsr_st32(b, h->magic, o);
    xsr_st32(b + 4, h->version, o);
    xsr_st64(b + 8, h->changeset, o);
    xsr_st32(b + 16, h->cpuid, o);
    xsr_st32(b + 20, h->gtsc_khz, o);
}

int xsr_hvmctx_put(uint8_t *dst, size_t cap, size_t *off, uint16_t type, uint16_t instance,
                   const uint8_t *body, uint32_t body_len, enum xsr_byte_order o)
{
    return xsri_ctx_put(dst, cap, off, type, instance, body, body_len, 1, o);
}
