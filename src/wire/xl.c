/* SPDX-License-Identifier: MIT */
/* xl save-file header: 32-byte magic, then four u32 in the writer's native order. */
#include <inttypes.h>
#include <string.h>

#include <xsr/wire.h>

const uint8_t xsr_xl_magic[XSR_XL_MAGIC_SIZE] = {
    'X', 'e', 'n', ' ', 's', 'a', 'v', 'e', 'd', ' ', 'd', 'o', 'm', 'a', 'i', 'n',
    ',', ' ', 'x', 'l', ' ', 'f', 'o', 'r', 'm', 'a', 't', '\n', ' ', '\0', ' ', '\r',
};

int xsr_xl_hdr_decode(const uint8_t b[XSR_XL_HDR_SIZE], struct xsr_xl_hdr *h,
                      struct xsr_error *err)
{
    if (memcmp(b, xsr_xl_magic, XSR_XL_MAGIC_SIZE) != 0)
        return xsr_error_set(err, XSR_EFORMAT,
                             "not an xl save file: the first %u bytes are not the xl magic",
                             XSR_XL_MAGIC_SIZE);
    const uint8_t *p = b + XSR_XL_MAGIC_SIZE;
    /* byteorder is 0x01020304 as the writer stored it: it tells us its order. */
    enum xsr_byte_order o;
    if (xsr_ld32(p, XSR_LITTLE_ENDIAN) == XSR_XL_BYTEORDER)
        o = XSR_LITTLE_ENDIAN;
    else if (xsr_ld32(p, XSR_BIG_ENDIAN) == XSR_XL_BYTEORDER)
        o = XSR_BIG_ENDIAN;
    else
        return xsr_error_set(err, XSR_EFORMAT,
                             "xl header byteorder field is %02x %02x %02x %02x: expected "
                             "0x01020304 in little-endian (04 03 02 01) or big-endian "
                             "(01 02 03 04) order",
                             p[0], p[1], p[2], p[3]);
    h->order = o;
    h->mandatory_flags = xsr_ld32(p + 4, o);
    h->optional_flags = xsr_ld32(p + 8, o);
    h->optional_data_len = xsr_ld32(p + 12, o);
    return 0;
}

void xsr_xl_hdr_encode(const struct xsr_xl_hdr *h, uint8_t b[XSR_XL_HDR_SIZE])
{
    memcpy(b, xsr_xl_magic, XSR_XL_MAGIC_SIZE);
    uint8_t *p = b + XSR_XL_MAGIC_SIZE;
    xsr_st32(p, XSR_XL_BYTEORDER, h->order);
    xsr_st32(p + 4, h->mandatory_flags, h->order);
    xsr_st32(p + 8, h->optional_flags, h->order);
    xsr_st32(p + 12, h->optional_data_len, h->order);
}
