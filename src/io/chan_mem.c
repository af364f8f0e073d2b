/* SPDX-License-Identifier: MIT */
/* Channels over memory: a zero-copy reader and a growing writer. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "chan_internal.h"

/* Start size of a memory writer's buffer; it doubles from there. */
#define MEM_WRITER_MIN_CAP 4096u

struct mem_reader {
    const uint8_t *buf;
    size_t len;
};

/* Non-NULL base for views of an empty buffer. */
static const uint8_t empty_buf[1];

static const uint8_t *mem_view(void *ctx, uint64_t off, size_t n)
{
    struct mem_reader *m = ctx;
    if (off > m->len || n > m->len - off)
        return NULL;
    return m->buf ? m->buf + off : empty_buf;
}

static int64_t mem_size(void *ctx)
{
    const struct mem_reader *m = ctx;
    return (int64_t)m->len;
}

static int mem_reader_close(void *ctx)
{
    free(ctx);
    return 0;
}

struct xsr_chan *xsr_chan_mem_reader(const void *buf, size_t len, struct xsr_error *err)
{
    if (!buf && len) {
        xsr_error_set(err, XSR_EINVAL, "a memory reader over %zu bytes needs a buffer", len);
        return NULL;
    }
    if ((uint64_t)len > INT64_MAX) {
        xsr_error_set(err, XSR_ELIMIT, "a memory buffer of %zu bytes is too large", len);
        return NULL;
    }
    struct mem_reader *m = calloc(1, sizeof(*m));
    if (!m) {
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a memory reader");
        return NULL;
    }
    m->buf = buf;
    m->len = len;
    static const struct xsri_chan_ops ops = {
        .view = mem_view,
        .size = mem_size,
        .close = mem_reader_close,
    };
    struct xsr_chan *ch = xsri_chan_new(XSRI_CHAN_MEM_READER, &ops, m, true, "memory buffer", err);
    if (!ch)
        free(m);
    return ch;
}

struct mem_writer {
    uint8_t *buf;
    size_t len;
    size_t cap;
};

/* Grow to hold need bytes: double, but never past what size_t can count. */
static int mem_grow(struct mem_writer *m, size_t need)
{
    if (need <= m->cap)
        return 0;
    size_t cap = m->cap ? m->cap : MEM_WRITER_MIN_CAP;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(m->buf, cap);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    m->buf = p;
    m->cap = cap;
    return 0;
}

static ssize_t mem_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
    struct mem_writer *m = ctx;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > SSIZE_MAX - total) {
            errno = EFBIG;
            return -1;
        }
        total += iov[i].iov_len;
    }
    if (total > SIZE_MAX - m->len) {
        errno = EFBIG;
        return -1;
    }
    if (mem_grow(m, m->len + total) < 0)
        return -1;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len)
            memcpy(m->buf + m->len, iov[i].iov_base, iov[i].iov_len);
        m->len += iov[i].iov_len;
    }
    return (ssize_t)total;
}

static int mem_writer_close(void *ctx)
{
    struct mem_writer *m = ctx;
    free(m->buf);
    free(m);
    return 0;
}

struct xsr_chan *xsr_chan_mem_writer(struct xsr_error *err)
{
    struct mem_writer *m = calloc(1, sizeof(*m));
    if (!m) {
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a memory writer");
        return NULL;
    }
    static const struct xsri_chan_ops ops = {
        .writev = mem_writev,
        .close = mem_writer_close,
    };
    struct xsr_chan *ch = xsri_chan_new(XSRI_CHAN_MEM_WRITER, &ops, m, false, "memory buffer", err);
    if (!ch)
        free(m);
    return ch;
}

const uint8_t *xsr_chan_mem_data(const struct xsr_chan *ch, size_t *len)
{
    if (!ch || ch->kind != XSRI_CHAN_MEM_WRITER) {
        if (len)
            *len = 0;
        return NULL;
    }
    const struct mem_writer *m = ch->ctx;
    if (len)
        *len = m->len;
    return m->buf ? m->buf : empty_buf;
}
