/* SPDX-License-Identifier: MIT */
/* gzip through zlib's inflate (concatenated members, as gzip -d reads them). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "codec.h"

struct gz {
    z_stream z;
    bool member_done; /* the last member ended; the next input starts another */
};

static bool gz_sniff(const uint8_t *b, size_t n)
{
    return n >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8; /* deflate */
}

static void *gz_init(void)
{
    struct gz *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) { /* 16: gzip framing only */
        free(g);
        return NULL;
    }
    return g;
}

static int gz_step(void *st, const uint8_t *in, size_t in_len, size_t *used, uint8_t *out,
                   size_t out_cap, size_t *made, bool finish, bool *boundary,
                   char why[XSRI_CODEC_WHY_MAX])
{
    struct gz *g = st;
    (void)finish;
    *used = *made = 0;
    *boundary = g->member_done;
    if (in_len == 0 && g->member_done)
        return 0;
    if (g->member_done) {
        if (inflateReset(&g->z) != Z_OK) {
            snprintf(why, XSRI_CODEC_WHY_MAX, "the gzip decoder cannot be reset");
            return -1;
        }
        g->member_done = false;
    }
    g->z.next_in = (Bytef *)(uintptr_t)in;
    g->z.avail_in = in_len > UINT_MAX ? UINT_MAX : (uInt)in_len;
    g->z.next_out = out;
    g->z.avail_out = out_cap > UINT_MAX ? UINT_MAX : (uInt)out_cap;
    uInt in0 = g->z.avail_in, out0 = g->z.avail_out;
    int r = inflate(&g->z, Z_NO_FLUSH);
    *used = in0 - g->z.avail_in;
    *made = out0 - g->z.avail_out;
    switch (r) {
    case Z_OK:
    case Z_BUF_ERROR: /* no progress possible: more input needed */
        break;
    case Z_STREAM_END:
        g->member_done = true;
        break;
    case Z_MEM_ERROR:
        snprintf(why, XSRI_CODEC_WHY_MAX, "out of memory");
        return -1;
    default:
        snprintf(why, XSRI_CODEC_WHY_MAX, "%s", g->z.msg ? g->z.msg : "invalid data");
        return -1;
    }
    *boundary = g->member_done;
    return 0;
}

static void gz_fini(void *st)
{
    struct gz *g = st;
    if (g) {
        inflateEnd(&g->z);
        free(g);
    }
}

const struct xsri_codec xsri_codec_gzip = {
    .name = "gzip", .sniff = gz_sniff, .init = gz_init, .step = gz_step, .fini = gz_fini,
};
