/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <string.h>

#include "ctx_entries.h"

int xsri_ctx_next(const uint8_t *blob, size_t len, size_t *off, enum xsr_byte_order o,
                  const char *what, struct xsri_ctx_entry *e, struct xsr_error *err)
{
    if (*off >= len)
        return 0;
    size_t left = len - *off;
    if (left < XSRI_CTX_DESC_SIZE)
        return xsr_error_set(err, XSR_EFORMAT,
                             "%s descriptor at offset %zu is truncated: "
                             "%zu byte%s left of the %u it needs",
                             what, *off, left, left == 1 ? "" : "s", XSRI_CTX_DESC_SIZE);
    const uint8_t *d = blob + *off;
    uint16_t type = xsr_ld16(d, o), instance = xsr_ld16(d + 2, o);
    uint32_t length = xsr_ld32(d + 4, o);
    left -= XSRI_CTX_DESC_SIZE;
    if (length > left)
        return xsr_error_set(err, XSR_EFORMAT,
                             "%s entry at offset %zu (type %" PRIu16 ", instance %" PRIu16
                             ") has length %" PRIu32 " but only %zu byte%s follow its descriptor",
                             what, *off, type, instance, length, left, left == 1 ? "" : "s");
    *e = (struct xsri_ctx_entry){
        .typecode = type,
        .instance = instance,
        .length = length,
        .body = d + XSRI_CTX_DESC_SIZE,
        .offset = *off,
    };
    *off += XSRI_CTX_DESC_SIZE + (size_t)length;
    return 1;
}

int xsri_ctx_put(uint8_t *dst, size_t cap, size_t *off, uint16_t type, uint16_t instance,
                 const uint8_t *body, uint32_t body_len, uint32_t align, enum xsr_byte_order o)
{
    uint64_t padded = ((uint64_t)body_len + align - 1) / align * align;
    /* The descriptor's u32 length must hold the padded size. */
    if (padded > UINT32_MAX)
        return XSR_EINVAL;
    uint64_t size = XSRI_CTX_DESC_SIZE + padded;
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
    xsr_st32(d + 4, (uint32_t)padded, o);
    d += XSRI_CTX_DESC_SIZE;
    /* A NULL body leaves zeros for the caller to fill in place. */
    if (body && body_len)
        memmove(d, body, body_len);
    else
        memset(d, 0, body_len);
    memset(d + body_len, 0, (size_t)(padded - body_len));
    return 0;
}
