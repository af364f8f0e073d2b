/* SPDX-License-Identifier: MIT */
/*
 * DOMAIN_CONTEXT (v9 layout) as a whole: the blob a version 4 stream carries
 * in place of the version 3 records X86_TSC_INFO and SHARED_INFO, built from
 * and split into those parts.  Converters, the generator, savers and back
 * ends share this one codec; the entry-level encoding is in xsr/wire.h.
 */
#ifndef XSR_DOMCTX_H
#define XSR_DOMCTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/error.h>
#include <xsr/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of the shared-info structure for a guest of this width (4 or 8):
 * the part of the SHARED_INFO page a DOMAIN_CONTEXT carries. */
static inline uint32_t xsr_shinfo_size(unsigned guest_width)
{
    return guest_width == 4 ? XSR_SHINFO_SIZE_32 : XSR_SHINFO_SIZE_64;
}

/* The v3 records a v9 DOMAIN_CONTEXT blob stands for. */
struct xsr_domctx_parts {
    uint16_t xen_major, xen_minor; /* of the HEADER entry */
    bool has_shinfo;
    uint32_t shinfo_flags;         /* XSR_DOMCTX_SHINFO_32BIT or 0 */
    const uint8_t *shinfo;         /* shinfo_size bytes */
    uint32_t shinfo_size;          /* <= XSR_DOMCTX_SHINFO_MAX */
    bool has_tsc;
    struct xsr_tsc_info tsc;       /* reserved ignored */
};

/*
 * Encode a blob (HEADER, SHARED_INFO, TSC_INFO, END) into dst (cap bytes);
 * *len gets the size.  dst NULL: size only.  XSR_ELIMIT if it does not fit.
 */
int xsr_domctx_build(const struct xsr_domctx_parts *p, enum xsr_byte_order o, uint8_t *dst,
                     size_t cap, size_t *len, struct xsr_error *err);
/*
 * Decode a blob into parts (pointers into blob) as Xen's loader reads it:
 * HEADER first (magic, version 1, only one), known typecodes, instance 0,
 * exact sizes, zero padding, up to END.  A repeated SHARED_INFO or TSC_INFO
 * replaces the earlier one (the 32-bit flag stays set once set); bytes after
 * END are not read.  The checker reports both (domctx.duplicate,
 * domctx.trailing).
 */
int xsr_domctx_split(const uint8_t *blob, size_t len, enum xsr_byte_order o,
                     struct xsr_domctx_parts *p, struct xsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
