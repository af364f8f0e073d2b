/* SPDX-License-Identifier: MIT */
/* Which layer a save image starts with, from its first bytes. */
#include <string.h>

#include <xsr/convert.h>
#include <xsr/wire.h>

static const uint8_t libxl_ident[8] = { 'L', 'i', 'b', 'x', 'l', 'F', 'm', 't' };
static const uint8_t libxc_start[12] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         'X', 'E', 'N', 'F' };

/* -1: b differs from the signature; 0: b is a proper prefix of it; 1: match */
static int match(const uint8_t *b, size_t n, const uint8_t *sig, size_t sig_len)
{
    size_t k = n < sig_len ? n : sig_len;
    if (memcmp(b, sig, k) != 0)
        return -1;
    return n >= sig_len ? 1 : 0;
}

enum xsr_layer xsr_detect(const uint8_t *b, size_t n)
{
    if (!b || n == 0)
        return XSR_LAYER_NONE;

    int xl = match(b, n, xsr_xl_magic, XSR_XL_MAGIC_SIZE);
    int libxl = match(b, n, libxl_ident, sizeof(libxl_ident));
    int libxc = match(b, n, libxc_start, sizeof(libxc_start));
    if (xl > 0)
        return XSR_LAYER_XL;
    if (libxl > 0)
        return XSR_LAYER_LIBXL;
    if (libxc > 0)
        return XSR_LAYER_LIBXC;
    /* Still a possible start of a known header: more bytes are needed. */
    if (xl == 0 || libxl == 0 || libxc == 0)
        return XSR_LAYER_NONE;

    /* A legacy image starts with p2m_size, which has a zero bit in its first
     * 8 bytes; all ones there is a libxc marker with a bad id. */
    size_t k = n < 8 ? n : 8;
    for (size_t i = 0; i < k; i++)
        if (b[i] != 0xff) {
            /* Then comes a marker or a chunk: bytes that cannot start a
             * legacy body are not a Xen save image at all (an ELF file...). */
            struct xsr_legacy_probe p = XSR_LEGACY_PROBE_INIT;
            if (xsr_legacy_probe(b, n, &p, NULL) == XSR_EFORMAT)
                return XSR_LAYER_NONE;
            return XSR_LAYER_LEGACY;
        }
    return XSR_LAYER_NONE;
}
