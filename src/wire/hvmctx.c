/* SPDX-License-Identifier: MIT */
/*
 * HVM_CONTEXT blob (Xen's HVM save image): 8-byte descriptors whose length
 * counts the body only; entries follow each other without padding.
 */
#include <inttypes.h>
#include <string.h>

#include <xsr/wire.h>

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
    if (it->off >= it->len)
        return 0;
    size_t left = it->len - it->off;
    if (left < XSR_HVMCTX_DESC_SIZE)
        return xsr_error_set(err, XSR_EFORMAT,
                             "HVM context descriptor at offset %zu is truncated: "
                             "%zu byte%s left of the %u it needs",
                             it->off, left, left == 1 ? "" : "s", XSR_HVMCTX_DESC_SIZE);
    const uint8_t *d = it->blob + it->off;
    struct xsr_hvmctx_desc desc = {
        .typecode = xsr_ld16(d, it->order),
        .instance = xsr_ld16(d + 2, it->order),
        .length = xsr_ld32(d + 4, it->order),
    };
    left -= XSR_HVMCTX_DESC_SIZE;
    if (desc.length > left)
        return xsr_error_set(err, XSR_EFORMAT,
                             "HVM context entry at offset %zu (type %" PRIu16
                             ", instance %" PRIu16 ") has length %" PRIu32
                             " but only %zu byte%s follow its descriptor",
                             it->off, desc.typecode, desc.instance, desc.length, left,
                             left == 1 ? "" : "s");
    e->desc = desc;
    e->body = d + XSR_HVMCTX_DESC_SIZE;
    e->offset = it->off;
    it->off += XSR_HVMCTX_DESC_SIZE + (size_t)desc.length;
    return 1;
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
    uint64_t size = XSR_HVMCTX_DESC_SIZE + (uint64_t)body_len;
    if (*off > SIZE_MAX - size)
        return XSR_ELIMIT;
    size_t at = *off;
    *off += (size_t)size;
    if (!dst)
        return 0;
    if (at > cap || cap - at < size)
        return XSR_ELIMIT;

    uint8_t *d = dst + at;
    xsr_st16(d, type, o);
    xsr_st16(d + 2, instance, o);
    xsr_st32(d + 4, body_len, o);
    d += XSR_HVMCTX_DESC_SIZE;
    /* A NULL body leaves zeros for the caller to fill in place. */
    if (body && body_len)
        memmove(d, body, body_len);
    else
        memset(d, 0, body_len);
    return 0;
}
