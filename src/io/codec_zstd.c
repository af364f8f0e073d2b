/* SPDX-License-Identifier: MIT */
/* zstd through libzstd's streaming decoder (concatenated and skippable frames). */
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

#include "codec.h"

struct zst {
    ZSTD_DStream *d;
    size_t hint; /* last return of ZSTD_decompressStream: 0 = frame complete */
};

static bool zst_sniff(const uint8_t *b, size_t n)
{
    if (n < 4)
        return false;
    if (b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
        return true;
    /* a skippable frame: magic 0x184D2A50..0x184D2A5F, little-endian */
    return (b[0] & 0xf0) == 0x50 && b[1] == 0x2a && b[2] == 0x4d && b[3] == 0x18;
}

static void *zst_init(void)
{
    struct zst *z = calloc(1, sizeof(*z));
    if (!z)
        return NULL;
    z->d = ZSTD_createDStream();
    if (!z->d || ZSTD_isError(ZSTD_initDStream(z->d))) {
        ZSTD_freeDStream(z->d);
        free(z);
        return NULL;
    }
    z->hint = 1;
    return z;
}

static int zst_step(void *st, const uint8_t *in, size_t in_len, size_t *used, uint8_t *out,
                    size_t out_cap, size_t *made, bool finish, bool *boundary,
                    char why[XSRI_CODEC_WHY_MAX])
{
    struct zst *z = st;
    ZSTD_inBuffer ib = { in, in_len, 0 };
    ZSTD_outBuffer ob = { out, out_cap, 0 };
    (void)finish;
    if (in_len == 0 && z->hint == 0) { /* between frames: asking would start a new one */
        *used = *made = 0;
        *boundary = true;
        return 0;
    }
    size_t r = ZSTD_decompressStream(z->d, &ob, &ib);
    *used = ib.pos;
    *made = ob.pos;
    if (ZSTD_isError(r)) {
        snprintf(why, XSRI_CODEC_WHY_MAX, "%s", ZSTD_getErrorName(r));
        return -1;
    }
    z->hint = r;
    *boundary = r == 0;
    return 0;
}

static void zst_fini(void *st)
{
    struct zst *z = st;
    if (z) {
        ZSTD_freeDStream(z->d);
        free(z);
    }
}

const struct xsri_codec xsri_codec_zstd = {
    .name = "zstd", .sniff = zst_sniff, .init = zst_init, .step = zst_step, .fini = zst_fini,
};
