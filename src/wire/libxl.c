/* SPDX-License-Identifier: MIT */
/* libxl ("LibxlFmt") stream header and emulator record bodies. */
#include <inttypes.h>

#include <xsr/wire.h>

void xsr_libxl_hdr_decode(const uint8_t b[XSR_LIBXL_HDR_SIZE], struct xsr_libxl_hdr *h)
{
    /* Big-endian regardless of the endianness option bit. */
    h->ident = xsr_ld64(b, XSR_BIG_ENDIAN);
    h->version = xsr_ld32(b + 8, XSR_BIG_ENDIAN);
    h->options = xsr_ld32(b + 12, XSR_BIG_ENDIAN);
}

void xsr_libxl_hdr_encode(const struct xsr_libxl_hdr *h, uint8_t b[XSR_LIBXL_HDR_SIZE])
{
    xsr_st64(b, h->ident, XSR_BIG_ENDIAN);
    xsr_st32(b + 8, h->version, XSR_BIG_ENDIAN);
    xsr_st32(b + 12, h->options, XSR_BIG_ENDIAN);
}

int xsr_emulator_rec_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                            struct xsr_emulator_rec *v, struct xsr_error *err)
{
    if (len < XSR_EMULATOR_HDR_SIZE)
        return xsr_error_set(err, XSR_EFORMAT,
                             "emulator record length %" PRIu32
                             " is shorter than its %u-byte emulator header",
                             len, XSR_EMULATOR_HDR_SIZE);
    v->id = xsr_ld32(body, o);
    v->index = xsr_ld32(body + 4, o);
    v->data = body + XSR_EMULATOR_HDR_SIZE;
    v->data_len = len - XSR_EMULATOR_HDR_SIZE;
    return 0;
}

void xsr_emulator_hdr_encode(uint32_t id, uint32_t index, enum xsr_byte_order o,
                             uint8_t b[XSR_EMULATOR_HDR_SIZE])
{
    xsr_st32(b, id, o);
    xsr_st32(b + 4, index, o);
}
