/* SPDX-License-Identifier: MIT */
/* Which compressed format an input is in, from its first bytes. */
#include <xsr/wire.h>

#include "codec.h"

const struct xsri_codec *xsri_codec_sniff(const uint8_t *b, size_t n)
{
    static const struct xsri_codec *const codecs[] = {
        &xsri_codec_zstd, &xsri_codec_gzip, &xsri_codec_xz,
    };
    /* A legacy image may start with any p2m_size, so only the headers with
     * a magic of their own rule compression out. */
    enum xsr_layer l = xsr_detect(b, n);
    if (l == XSR_LAYER_XL || l == XSR_LAYER_LIBXL || l == XSR_LAYER_LIBXC)
        return NULL;
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
        if (codecs[i]->sniff(b, n))
            return codecs[i];
    return NULL;
}
