/* SPDX-License-Identifier: MIT */
/* Generic channel operations: exact reads, views, skips, full writes. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan_internal.h"

/* Scratch buffer for skipping over input that cannot be seeked or viewed. */
#define SKIP_SCRATCH_SIZE (64u * 1024u)
/* iovecs handed to one writev call by the generic loop. */
#define WRITEV_BATCH 64

struct xsr_chan *xsri_chan_new(enum xsri_chan_kind kind, const struct xsri_chan_ops *ops, void *ctx,
                               bool readable, const char *name, struct xsr_error *err)
{
    struct xsr_chan *ch = calloc(1, sizeof(*ch));
    if (!ch) {
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a channel for %s", name);
        return NULL;
    }
    ch->name = strdup(name);
    if (!ch->name) {
        free(ch);
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a channel for %s", name);
        return NULL;
    }
    ch->ops = *ops;
    ch->ctx = ctx;
    ch->kind = kind;
    ch->readable = readable;
    return ch;
}

struct xsr_chan *xsr_chan_custom(const struct xsr_chan_ops *ops, void *ctx, bool readable,
                                 struct xsr_error *err)
{
    if (!ops) {
        xsr_error_set(err, XSR_EINVAL, "a custom channel needs an operations table");
        return NULL;
    }
    if (ops->version == 0 || ops->version > XSR_CHAN_OPS_VERSION) {
        xsr_error_set(err, XSR_EINVAL,
                     "the custom channel's operations have version %u, which this library "
                     "does not know (1 to %u): set .version = XSR_CHAN_OPS_VERSION",
                     ops->version, XSR_CHAN_OPS_VERSION);
        return NULL;
    }
    if (readable && !ops->read && !ops->view) {
        xsr_error_set(err, XSR_EINVAL, "a readable custom channel needs a read or a view operation");
        return NULL;
    }
    if (!readable && !ops->writev) {
        xsr_error_set(err, XSR_EINVAL, "a writable custom channel needs a writev operation");
        return NULL;
    }
    struct xsri_chan_ops iops = {
        .read = readable ? ops->read : NULL,
        .writev = readable ? NULL : ops->writev,
        .view = readable ? ops->view : NULL,
        .size = ops->size,
    };
    struct xsr_chan *ch = xsri_chan_new(XSRI_CHAN_CUSTOM, &iops, ctx, readable, "custom channel", err);
    if (ch)
        ch->user_close = ops->close;
    return ch;
}

int64_t xsr_chan_size(const struct xsr_chan *ch)
{
    if (!ch || !ch->ops.size)
        return -1;
    return ch->ops.size(ch->ctx);
}

uint64_t xsr_chan_offset(const struct xsr_chan *ch)
{
    return ch ? ch->off : 0;
}

bool xsr_chan_can_view(const struct xsr_chan *ch)
{
    return ch && ch->readable && ch->ops.view;
}

/*
 * How many of the next n bytes a viewable channel holds.  Uses the size when
 * it is known; otherwise searches for the longest view the channel grants
 * (a view of k bytes existing implies all shorter ones exist).
 */
static size_t view_avail(const struct xsr_chan *ch, size_t n)
{
    int64_t size = ch->ops.size ? ch->ops.size(ch->ctx) : -1;
    if (size >= 0) {
        if ((uint64_t)size <= ch->off)
            return 0;
        uint64_t rem = (uint64_t)size - ch->off;
        return rem < n ? (size_t)rem : n;
    }
    if (n == 0 || ch->ops.view(ch->ctx, ch->off, n))
        return n;
    size_t lo = 0, hi = n; /* view(lo) exists, view(hi) does not */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ch->ops.view(ch->ctx, ch->off, mid))
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

ssize_t xsri_chan_read_some(struct xsr_chan *ch, void *buf, size_t n)
{
    if (!ch->readable) {
        errno = EBADF;
        return -1;
    }
    if (n > SSIZE_MAX)
        n = SSIZE_MAX;
    if (ch->ops.view) {
        size_t k = view_avail(ch, n);
        if (k) {
            const uint8_t *p = ch->ops.view(ch->ctx, ch->off, k);
            if (!p) {
                errno = EIO;
                return -1;
            }
            memcpy(buf, p, k);
            ch->off += k;
        }
        return (ssize_t)k;
    }
    ssize_t r = ch->ops.read(ch->ctx, buf, n);
    if (r > 0) {
        if ((size_t)r > n) {
            errno = EIO;
            return -1;
        }
        ch->off += (uint64_t)r;
    }
    return r;
}

ssize_t xsri_chan_writev_some(struct xsr_chan *ch, const struct iovec *iov, int iovcnt)
{
    if (ch->readable || !ch->ops.writev) {
        errno = EBADF;
        return -1;
    }
    ssize_t r = ch->ops.writev(ch->ctx, iov, iovcnt);
    if (r > 0)
        ch->off += (uint64_t)r;
    return r;
}

/* A failed read the channel can explain itself (a decoder: what is wrong with
 * the compressed data, and where): its code, else 0 (errno tells). */
static int read_failed(struct xsr_chan *ch, struct xsr_error *err)
{
    const char *why = NULL;
    int code = ch->ops.why ? ch->ops.why(ch->ctx, &why) : 0;
    if (code >= 0 || !why)
        return 0;
    return xsr_error_set(err, code, "%s: %s", ch->name, why);
}

int xsr_chan_read(struct xsr_chan *ch, void *buf, size_t n, size_t *got, struct xsr_error *err)
{
    if (got)
        *got = 0;
    if (!ch || (!buf && n))
        return xsr_error_set(err, XSR_EINVAL, "xsr_chan_read needs a channel and a buffer");
    if (!ch->readable)
        return xsr_error_set(err, XSR_EINVAL, "%s is not open for reading", ch->name);
    uint64_t start = ch->off;
    size_t done = 0;
    while (done < n) {
        ssize_t r = xsri_chan_read_some(ch, (uint8_t *)buf + done, n - done);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            if (got)
                *got = done;
            int rc = read_failed(ch, err);
            if (rc == 0)
                rc = xsr_error_sys(err, e, "reading %zu bytes from %s at offset %#" PRIx64
                                   " failed", n, ch->name, start + done);
            xsr_error_locate(err, start + done, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
            return rc;
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
    if (got)
        *got = done;
    if (done < n) {
        xsr_error_set(err, XSR_ETRUNC,
                     "%s ended at offset %#" PRIx64 ": %zu of %zu bytes read, %zu missing",
                     ch->name, start + done, done, n, n - done);
        xsr_error_locate(err, start, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
        return XSR_ETRUNC;
    }
    return 0;
}

int xsr_chan_peek(struct xsr_chan *ch, size_t n, const uint8_t **view, size_t *avail,
                  struct xsr_error *err)
{
    if (avail)
        *avail = 0;
    if (!ch || !view)
        return xsr_error_set(err, XSR_EINVAL, "xsr_chan_peek needs a channel and a view pointer");
    if (!xsr_chan_can_view(ch))
        return xsr_error_set(err, XSR_EUNSUP, "%s cannot give views of its data", ch->name);
    size_t k = view_avail(ch, n);
    const uint8_t *p = ch->ops.view(ch->ctx, ch->off, k);
    if (!p) {
        int rc = read_failed(ch, err);
        if (rc == 0)
            rc = xsr_error_set(err, XSR_EIO, "%s refused a view of %zu bytes it holds", ch->name, k);
        xsr_error_locate(err, ch->off, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
        return rc;
    }
    *view = p;
    if (avail)
        *avail = k;
    return 0;
}

int xsr_chan_view(struct xsr_chan *ch, size_t n, const uint8_t **view, struct xsr_error *err)
{
    if (!ch || !view)
        return xsr_error_set(err, XSR_EINVAL, "xsr_chan_view needs a channel and a view pointer");
    if (!xsr_chan_can_view(ch))
        return xsr_error_set(err, XSR_EUNSUP, "%s cannot give views of its data", ch->name);
    size_t k = view_avail(ch, n);
    const uint8_t *p = k == n ? ch->ops.view(ch->ctx, ch->off, n) : NULL;
    if (!p && k == n) {
        int rc = read_failed(ch, err);
        if (rc != 0) {
            xsr_error_locate(err, ch->off, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
            return rc;
        }
    }
    if (!p) {
        xsr_error_set(err, XSR_ETRUNC,
                     "%s ended at offset %#" PRIx64 ": %zu of %zu bytes available, %zu missing",
                     ch->name, ch->off + k, k, n, n - k);
        xsr_error_locate(err, ch->off, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
        return XSR_ETRUNC;
    }
    *view = p;
    ch->off += n;
    return 0;
}

static int skip_truncated(struct xsr_chan *ch, uint64_t start, uint64_t n, uint64_t done,
                          struct xsr_error *err)
{
    xsr_error_set(err, XSR_ETRUNC,
                 "%s ended at offset %#" PRIx64 " while skipping %" PRIu64 " bytes: %" PRIu64
                 " missing",
                 ch->name, start + done, n, n - done);
    xsr_error_locate(err, start, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
    return XSR_ETRUNC;
}

int xsr_chan_skip(struct xsr_chan *ch, uint64_t n, struct xsr_error *err)
{
    if (!ch)
        return xsr_error_set(err, XSR_EINVAL, "xsr_chan_skip needs a channel");
    if (!ch->readable)
        return xsr_error_set(err, XSR_EINVAL, "%s is not open for reading", ch->name);
    uint64_t start = ch->off, done = 0;

    if (ch->ops.view) {
        while (done < n) {
            uint64_t want = n - done;
            size_t step = want > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)want;
            size_t k = view_avail(ch, step);
            ch->off += k;
            done += k;
            if (k < step)
                return skip_truncated(ch, start, n, done, err);
        }
        return 0;
    }
    if (ch->ops.seek) {
        uint64_t skipped = 0;
        int r = ch->ops.seek(ch->ctx, n, &skipped);
        if (r < 0)
            return xsr_error_sys(err, errno, "seeking %" PRIu64 " bytes forward in %s failed",
                                    n, ch->name);
        if (r == XSRI_SEEK_DONE) {
            ch->off += n;
            return 0;
        }
        if (r == XSRI_SEEK_SHORT) {
            ch->off += skipped;
            return skip_truncated(ch, start, n, skipped, err);
        }
    }
    if (!ch->scratch) {
        ch->scratch = malloc(SKIP_SCRATCH_SIZE);
        if (!ch->scratch)
            return xsr_error_set(err, XSR_ENOMEM, "cannot allocate a buffer to skip input");
    }
    while (done < n) {
        uint64_t want = n - done;
        size_t step = want > SKIP_SCRATCH_SIZE ? SKIP_SCRATCH_SIZE : (size_t)want;
        ssize_t r = xsri_chan_read_some(ch, ch->scratch, step);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno, rc = read_failed(ch, err);
            if (rc == 0)
                rc = xsr_error_sys(err, e, "reading %s at offset %#" PRIx64 " failed", ch->name,
                                   ch->off);
            xsr_error_locate(err, ch->off, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
            return rc;
        }
        if (r == 0)
            return skip_truncated(ch, start, n, done, err);
        done += (uint64_t)r;
    }
    return 0;
}

int xsr_chan_write(struct xsr_chan *ch, const void *buf, size_t n, struct xsr_error *err)
{
    struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = n };
    return xsr_chan_writev(ch, &iov, 1, err);
}

int xsr_chan_writev(struct xsr_chan *ch, const struct iovec *iov, int iovcnt, struct xsr_error *err)
{
    if (!ch || iovcnt < 0 || (!iov && iovcnt))
        return xsr_error_set(err, XSR_EINVAL, "xsr_chan_writev needs a channel and iovecs");
    if (ch->readable || !ch->ops.writev)
        return xsr_error_set(err, XSR_EINVAL, "%s is not open for writing", ch->name);
    for (int j = 0; j < iovcnt; j++)
        if (!iov[j].iov_base && iov[j].iov_len)
            return xsr_error_set(err, XSR_EINVAL, "iovec %d has no buffer", j);

    int i = 0;       /* first iovec not completely written */
    size_t part = 0; /* bytes of iov[i] already written */
    while (i < iovcnt) {
        struct iovec local[WRITEV_BATCH];
        int k = 0;
        size_t total = 0;
        for (int j = i; j < iovcnt && k < WRITEV_BATCH; j++) {
            size_t skip = j == i ? part : 0;
            size_t len = iov[j].iov_len - skip;
            if (len == 0)
                continue;
            if (len > SSIZE_MAX - total) /* keep the sum representable */
                len = SSIZE_MAX - total;
            local[k].iov_base = (uint8_t *)iov[j].iov_base + skip;
            local[k].iov_len = len;
            k++;
            total += len;
            if (total == SSIZE_MAX)
                break;
        }
        if (k == 0)
            break;
        ssize_t r = xsri_chan_writev_some(ch, local, k);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return xsr_error_sys(err, errno, "writing %zu bytes to %s at offset %#" PRIx64 " failed",
                                    total, ch->name, ch->off);
        }
        if (r == 0)
            return xsr_error_sys(err, EIO, "%s accepted no bytes at offset %#" PRIx64,
                                    ch->name, ch->off);
        if ((size_t)r > total)
            return xsr_error_sys(err, EIO, "%s reported writing more than it was given",
                                    ch->name);
        size_t left = (size_t)r;
        while (i < iovcnt && left >= iov[i].iov_len - part) {
            left -= iov[i].iov_len - part;
            part = 0;
            i++;
        }
        part += left;
    }
    return 0;
}

int xsr_chan_close(struct xsr_chan *ch, struct xsr_error *err)
{
    if (!ch)
        return 0;
    int rc = 0;
    if (ch->ops.close) {
        if (ch->ops.close(ch->ctx) < 0)
            rc = xsr_error_sys(err, errno, "closing %s failed", ch->name);
    } else if (ch->user_close) {
        ch->user_close(ch->ctx);
    }
    free(ch->scratch);
    free(ch->name);
    free(ch);
    return rc;
}
