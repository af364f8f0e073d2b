/* SPDX-License-Identifier: MIT */
/* xz through liblzma (concatenated streams, memory bounded). */
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* xz -9 needs 65 MiB to decode; an input asking for far more is refused. */
#define XZ_MEMLIMIT (256ull << 20)

struct xz {
    lzma_stream s;
    bool done; /* LZMA_STREAM_END was returned: the decoder takes no more calls */
};

static bool xz_sniff(const uint8_t *b, size_t n)
{
    static const uint8_t magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
    return n >= sizeof(magic) && memcmp(b, magic, sizeof(magic)) == 0;
}

static void *xz_init(void)
{
    struct xz *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    lzma_stream init = LZMA_STREAM_INIT;
    x->s = init;
    if (lzma_stream_decoder(&x->s, XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK) {
        free(x);
        return NULL;
    }
    return x;
}

static const char *xz_reason(lzma_ret r)
{
    switch (r) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_MEMLIMIT_ERROR: return "decoding it needs more than 256 MiB of memory";
    case LZMA_FORMAT_ERROR: return "not in the xz format";
    case LZMA_OPTIONS_ERROR: return "unsupported compression options";
    case LZMA_DATA_ERROR: return "compressed data is corrupt";
    case LZMA_BUF_ERROR: return "compressed data is truncated";
    default: return "the xz decoder failed";
    }
}

static int xz_step(void *st, const uint8_t *in, size_t in_len, size_t *used, uint8_t *out,
                   size_t out_cap, size_t *made, bool finish, bool *boundary,
                   char why[XSRI_CODEC_WHY_MAX])
{
    struct xz *x = st;
    if (x->done) {
        *used = *made = 0;
        *boundary = true;
        return 0;
    }
    x->s.next_in = in;
    x->s.avail_in = in_len;
    x->s.next_out = out;
    x->s.avail_out = out_cap;
    lzma_ret r = lzma_code(&x->s, finish ? LZMA_FINISH : LZMA_RUN);
    *used = in_len - x->s.avail_in;
    *made = out_cap - x->s.avail_out;
    /* with LZMA_CONCATENATED the end is known only once the input has ended */
    x->done = *boundary = r == LZMA_STREAM_END;
    /* LZMA_BUF_ERROR is "no progress": the channel tells a truncation */
    if (r == LZMA_OK || r == LZMA_STREAM_END || r == LZMA_BUF_ERROR)
        return 0;
    snprintf(why, XSRI_CODEC_WHY_MAX, "%s", xz_reason(r));
    return -1;
}

static void xz_fini(void *st)
{
    struct xz *x = st;
    if (x) {
        lzma_end(&x->s);
        free(x);
    }
}

const struct xsri_codec xsri_codec_xz = {
    .name = "xz", .sniff = xz_sniff, .init = xz_init, .step = xz_step, .fini = xz_fini,
};
