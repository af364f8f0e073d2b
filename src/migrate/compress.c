/* SPDX-License-Identifier: MIT */
/*
 * Optional zstd compression of everything a connection carries, both ways
 * (both peers must ask for it, as with `ssh -C`).  Each write is compressed
 * and flushed at once: the conversation's messages must reach the peer
 * before the writer waits for an answer, and the engine writes whole
 * batches, so a flush per write costs little.  Reading may run ahead in the
 * compressed bytes: all of them belong to this connection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "compress.h"

struct xsri_zconn {
    ZSTD_CCtx *c;
    ZSTD_DCtx *d;
    uint8_t *obuf, *ibuf;
    size_t ocap, icap;
    ZSTD_inBuffer in; /* compressed bytes read and not yet decompressed */
    ssize_t (*raw_read)(void *ctx, void *buf, size_t n);
    ssize_t (*raw_writev)(void *ctx, const struct iovec *iov, int iovcnt);
    void *raw;
};

struct xsri_zconn *xsri_zconn_new(int level, ssize_t (*raw_read)(void *, void *, size_t),
                                  ssize_t (*raw_writev)(void *, const struct iovec *, int),
                                  void *raw, struct xsr_error *err)
{
    struct xsri_zconn *z = calloc(1, sizeof(*z));
    if (!z) {
        xsr_error_set(err, XSR_ENOMEM, "out of memory for compression");
        return NULL;
    }
    z->c = ZSTD_createCCtx();
    z->d = ZSTD_createDCtx();
    z->ocap = ZSTD_CStreamOutSize();
    z->icap = ZSTD_DStreamInSize();
    z->obuf = malloc(z->ocap);
    z->ibuf = malloc(z->icap);
    if (!z->c || !z->d || !z->obuf || !z->ibuf) {
        xsri_zconn_free(z);
        xsr_error_set(err, XSR_ENOMEM, "out of memory for compression");
        return NULL;
    }
    if (ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_compressionLevel, level)) ||
        /* a peer's frame may not make us allocate more than 8 MiB of window */
        ZSTD_isError(ZSTD_DCtx_setParameter(z->d, ZSTD_d_windowLogMax, 23))) {
        xsri_zconn_free(z);
        xsr_error_set(err, XSR_EINVAL, "zstd refuses compression level %d", level);
        return NULL;
    }
    z->in = (ZSTD_inBuffer){.src = z->ibuf, .size = 0, .pos = 0};
    z->raw_read = raw_read;
    z->raw_writev = raw_writev;
    z->raw = raw;
    return z;
}

void xsri_zconn_free(struct xsri_zconn *z)
{
    if (!z)
        return;
    ZSTD_freeCCtx(z->c);
    ZSTD_freeDCtx(z->d);
    free(z->obuf);
    free(z->ibuf);
    free(z);
}

/* Write out every byte of obuf[0, n). */
static int raw_write_all(struct xsri_zconn *z, size_t n)
{
    size_t done = 0;
    while (done < n) {
        struct iovec v = {.iov_base = z->obuf + done, .iov_len = n - done};
        ssize_t w = z->raw_writev(z->raw, &v, 1);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EPIPE;
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

static int compress_some(struct xsri_zconn *z, const void *src, size_t n, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {.src = src, .size = n, .pos = 0};
    for (;;) {
        ZSTD_outBuffer out = {.dst = z->obuf, .size = z->ocap, .pos = 0};
        size_t left = ZSTD_compressStream2(z->c, &out, &in, mode);
        if (ZSTD_isError(left)) {
            errno = EPROTO;
            return -1;
        }
        if (out.pos && raw_write_all(z, out.pos) < 0)
            return -1;
        if (in.pos == in.size && (mode == ZSTD_e_continue || left == 0))
            return 0;
    }
}

/* All of the iovecs, or -1: a partly compressed write cannot be retried. */
ssize_t xsri_zconn_writev(struct xsri_zconn *z, const struct iovec *iov, int iovcnt)
{
    ssize_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (compress_some(z, iov[i].iov_base, iov[i].iov_len, ZSTD_e_continue) < 0)
            return -1;
        total += (ssize_t)iov[i].iov_len;
    }
    if (compress_some(z, NULL, 0, ZSTD_e_flush) < 0)
        return -1;
    return total;
}

ssize_t xsri_zconn_read(struct xsri_zconn *z, void *buf, size_t n)
{
    if (n == 0)
        return 0;
    for (;;) {
        /* decompress first even without new input: output may be pending */
        ZSTD_outBuffer out = {.dst = buf, .size = n, .pos = 0};
        size_t r = ZSTD_decompressStream(z->d, &out, &z->in);
        if (ZSTD_isError(r)) {
            errno = EPROTO; /* the peer's bytes are no zstd stream */
            return -1;
        }
        if (out.pos)
            return (ssize_t)out.pos;
        if (z->in.pos < z->in.size)
            continue;
        ssize_t got = z->raw_read(z->raw, z->ibuf, z->icap);
        if (got < 0)
            return -1;
        if (got == 0)
            return 0; /* end of input; a cut inside a frame shows as a short read */
        z->in = (ZSTD_inBuffer){.src = z->ibuf, .size = (size_t)got, .pos = 0};
    }
}
