/* SPDX-License-Identifier: MIT */
/*
 * Shared by the DOMAIN_CONTEXT and HVM_CONTEXT blobs: both are sequences of
 * {u16 typecode, u16 instance, u32 length} descriptors followed by length
 * bytes; they differ only in padding (domain context entries are padded to 8
 * and the padding is counted in length; HVM context entries are not padded).
 */
#ifndef XSR_WIRE_CTX_ENTRIES_H
#define XSR_WIRE_CTX_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

#include <xsr/wire.h>

#define XSRI_CTX_DESC_SIZE 8u

struct xsri_ctx_entry {
    uint16_t typecode;
    uint16_t instance;
    uint32_t length;
    const uint8_t *body;
    size_t offset;
};

/* 1 with *e filled and *off advanced; 0 at the end; XSR_EFORMAT if the
 * descriptor or its body runs past len.  what names the blob in messages. */
int xsri_ctx_next(const uint8_t *blob, size_t len, size_t *off, enum xsr_byte_order o,
                  const char *what, struct xsri_ctx_entry *e, struct xsr_error *err);

/* Append an entry whose body is padded to align (1 = no padding); see
 * xsr_domctx_put for the contract. */
int xsri_ctx_put(uint8_t *dst, size_t cap, size_t *off, uint16_t type, uint16_t instance,
                 const uint8_t *body, uint32_t body_len, uint32_t align, enum xsr_byte_order o);

#endif
