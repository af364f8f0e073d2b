/* SPDX-License-Identifier: MIT */
/* Fixed headers of the libxc stream: image header, domain header, record header. */
#include <xsr/wire.h>

void xsr_ihdr_decode(const uint8_t b[XSR_IHDR_SIZE], struct xsr_ihdr *h)
{
    /* The image header is big-endian whatever the stream's byte order. */
    h->marker = xsr_ld64(b, XSR_BIG_ENDIAN);
    h->id = xsr_ld32(b + 8, XSR_BIG_ENDIAN);
    h->version = xsr_ld32(b + 12, XSR_BIG_ENDIAN);
    h->options = xsr_ld16(b + 16, XSR_BIG_ENDIAN);
    h->reserved1 = xsr_ld16(b + 18, XSR_BIG_ENDIAN);
    h->reserved2 = xsr_ld32(b + 20, XSR_BIG_ENDIAN);
}

void xsr_ihdr_encode(const struct xsr_ihdr *h, uint8_t b[XSR_IHDR_SIZE])
{
    xsr_st64(b, h->marker, XSR_BIG_ENDIAN);
    xsr_st32(b + 8, h->id, XSR_BIG_ENDIAN);
    xsr_st32(b + 12, h->version, XSR_BIG_ENDIAN);
    xsr_st16(b + 16, h->options, XSR_BIG_ENDIAN);
    xsr_st16(b + 18, h->reserved1, XSR_BIG_ENDIAN);
    xsr_st32(b + 20, h->reserved2, XSR_BIG_ENDIAN);
}

struct xsr_ihdr xsr_ihdr_make(uint32_t version, enum xsr_byte_order order)
{
    struct xsr_ihdr h = {
        .marker = XSR_IHDR_MARKER,
        .id = XSR_IHDR_ID,
        .version = version,
        .options = order == XSR_BIG_ENDIAN ? XSR_IHDR_OPT_BIG_ENDIAN : 0,
    };
    return h;
}

void xsr_dhdr_decode(const uint8_t b[XSR_DHDR_SIZE], enum xsr_byte_order o, struct xsr_dhdr *h)
{
    h->type = xsr_ld32(b, o);
    h->page_shift = xsr_ld16(b + 4, o);
    h->reserved = xsr_ld16(b + 6, o);
    h->xen_major = xsr_ld32(b + 8, o);
    h->xen_minor = xsr_ld32(b + 12, o);
}

void xsr_dhdr_encode(const struct xsr_dhdr *h, enum xsr_byte_order o, uint8_t b[XSR_DHDR_SIZE])
{
    xsr_st32(b, h->type, o);
    xsr_st16(b + 4, h->page_shift, o);
    xsr_st16(b + 6, h->reserved, o);
    xsr_st32(b + 8, h->xen_major, o);
    xsr_st32(b + 12, h->xen_minor, o);
}

void xsr_rhdr_decode(const uint8_t b[XSR_RHDR_SIZE], enum xsr_byte_order o, struct xsr_rhdr *h)
{
    h->type = xsr_ld32(b, o);
    h->length = xsr_ld32(b + 4, o);
}

void xsr_rhdr_encode(const struct xsr_rhdr *h, enum xsr_byte_order o, uint8_t b[XSR_RHDR_SIZE])
{
    xsr_st32(b, h->type, o);
    xsr_st32(b + 4, h->length, o);
}
