/* SPDX-License-Identifier: MIT */
/*
 * A reading channel that decompresses another one (zstd, gzip, xz), so that
 * every consumer reads a compressed image as if it were the image.  It has no
 * views: a consumer's zero-copy paths fall back to reading, as for a pipe.
 * Offsets are those of the decompressed bytes; failures of the compressed
 * data name the compressed offset too.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "chan_internal.h"
#include "codec.h"

/* Compressed bytes read from the inner channel at a time. */
#define IN_BUF_SIZE (256u * 1024u)

struct dec_ctx {
    struct xsr_chan *inner; /* owned */
    const struct xsri_codec *codec;
    void *st;
    uint8_t *in;
    size_t in_pos, in_len;
    bool in_eof;   /* the inner channel has ended */
    bool boundary; /* the data decoded so far ends after a whole frame */
    bool ended;    /* end of the decompressed data was returned */
    uint64_t in_off;  /* compressed bytes consumed by the decoder */
    uint64_t out_off; /* decompressed bytes produced */
    int fail_code;    /* XSR_E* of a failure of the compressed data, else 0 */
    char why[XSR_ERROR_MSG_MAX];
};

__attribute__((format(printf, 2, 3))) static ssize_t dec_fail(struct dec_ctx *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->why, sizeof(d->why), fmt, ap);
    va_end(ap);
    d->fail_code = XSR_EFORMAT;
    errno = EBADMSG;
    return -1;
}

static ssize_t dec_read(void *ctx, void *buf, size_t n)
{
    struct dec_ctx *d = ctx;
    if (d->fail_code) { /* the decoder's state is gone: the failure stays */
        errno = EBADMSG;
        return -1;
    }
    if (d->ended || n == 0)
        return 0;
    for (;;) {
        if (d->in_pos == d->in_len && !d->in_eof) {
            ssize_t r = xsri_chan_read_some(d->inner, d->in, IN_BUF_SIZE);
            if (r < 0)
                return -1; /* errno says why; EINTR is retried by the caller */
            d->in_pos = 0;
            d->in_len = (size_t)r;
            d->in_eof = r == 0;
        }
        size_t used = 0, made = 0;
        char why[XSRI_CODEC_WHY_MAX] = "";
        if (d->codec->step(d->st, d->in + d->in_pos, d->in_len - d->in_pos, &used, buf, n, &made,
                           d->in_eof, &d->boundary, why) < 0)
            return dec_fail(d, "the %s data is corrupt at compressed offset %#" PRIx64
                            " (decompressed offset %#" PRIx64 "): %s",
                            d->codec->name, d->in_off + used, d->out_off + made, why);
        d->in_pos += used;
        d->in_off += used;
        d->out_off += made;
        if (made)
            return (ssize_t)made;
        if (used || !d->in_eof)
            continue;
        if (d->in_pos < d->in_len)
            return dec_fail(d, "the %s decoder makes no progress at compressed offset %#" PRIx64,
                            d->codec->name, d->in_off);
        if (d->boundary) {
            d->ended = true;
            return 0;
        }
        return dec_fail(d, "the %s data ends inside a frame at compressed offset %#" PRIx64
                        " (decompressed offset %#" PRIx64 "): the compressed input is truncated",
                        d->codec->name, d->in_off, d->out_off);
    }
}

static int dec_why(void *ctx, const char **why)
{
    const struct dec_ctx *d = ctx;
    *why = d->fail_code ? d->why : NULL;
    return d->fail_code;
}

static int dec_close(void *ctx)
{
    struct dec_ctx *d = ctx;
    struct xsr_error err;
    xsr_error_clear(&err);
    int rc = xsr_chan_close(d->inner, &err) < 0 ? -1 : 0;
    int e = err.sys_errno ? err.sys_errno : EIO;
    d->codec->fini(d->st);
    free(d->in);
    free(d);
    if (rc < 0)
        errno = e;
    return rc;
}

struct xsr_chan *xsri_chan_decomp_new(struct xsr_chan *inner, const struct xsri_codec *codec,
                                      const char *name, struct xsr_error *err)
{
    struct dec_ctx *d = calloc(1, sizeof(*d));
    if (d) {
        d->in = malloc(IN_BUF_SIZE);
        d->st = codec->init();
    }
    if (!d || !d->in || !d->st) {
        if (d) {
            if (d->st)
                codec->fini(d->st);
            free(d->in);
            free(d);
        }
        xsr_chan_close(inner, NULL);
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a %s decoder for %s", codec->name, name);
        return NULL;
    }
    d->inner = inner;
    d->codec = codec;
    static const struct xsri_chan_ops ops = {
        .read = dec_read,
        .why = dec_why,
        .close = dec_close,
    };
    struct xsr_chan *ch = xsri_chan_new(XSRI_CHAN_DECOMP, &ops, d, true, name, err);
    if (!ch)
        dec_close(d);
    else
        ch->codec = codec->name;
    return ch;
}

const char *xsr_chan_compression(const struct xsr_chan *ch)
{
    return ch ? ch->codec : NULL;
}
