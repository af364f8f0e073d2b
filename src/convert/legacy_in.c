/* SPDX-License-Identifier: MIT */
/* Input side of the legacy converter (see legacy_internal.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_internal.h"

#define PROGRESS_STEP (16u << 20)
#define STEP (1u << 20) /* largest piece read into memory at once */

int xsri_lin_init(struct xsri_lin *in, struct xsr_chan *ch, struct xsr_error *err)
{
    memset(in, 0, sizeof(*in));
    in->ch = ch;
    in->err = err;
    in->can_view = xsr_chan_can_view(ch);
    in->size = xsr_chan_size(ch);
    in->consumed = xsr_chan_offset(ch);
    return 0;
}

void xsri_lin_fini(struct xsri_lin *in)
{
    free(in->scratch);
    in->scratch = NULL;
}

int xsri_lin_fail(struct xsri_lin *in, uint64_t offset, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    xsr_error_vset(in->err, code, fmt, ap);
    va_end(ap);
    xsr_error_locate(in->err, offset, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
    return code;
}

static void progress(struct xsri_lin *in)
{
    if (in->progress && in->consumed >= in->next_progress) {
        xsri_progress_read(in->progress, in->progress_ctx, in->consumed, in->size);
        in->next_progress = in->consumed + PROGRESS_STEP;
    }
}

static int truncated(struct xsri_lin *in, uint64_t start, size_t want, uint64_t have,
                     const char *what)
{
    return xsri_lin_fail(in, start, XSR_ETRUNC,
                         "the legacy stream ends at offset %#" PRIx64 " inside the %s that "
                         "starts at offset %#" PRIx64 " (%" PRIu64 " of %zu bytes present)",
                         start + have, what, start, have, want);
}

/* Read from the channel (not the peek buffer) into dst. */
static int chan_read(struct xsri_lin *in, uint8_t *dst, size_t n, uint64_t start, size_t want,
                     size_t have, const char *what)
{
    size_t got = 0;
    struct xsr_error e;
    int rc;

    xsr_error_clear(&e);
    rc = xsr_chan_read(in->ch, dst, n, &got, &e);
    if (rc == XSR_ETRUNC)
        return truncated(in, start, want, have + got, what);
    if (rc < 0) {
        if (in->err)
            *in->err = e;
        xsr_error_locate(in->err, start, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
        return rc;
    }
    return 0;
}

static int reserve(struct xsri_lin *in, size_t n)
{
    if (n <= in->scratch_cap)
        return 0;
    size_t cap = in->scratch_cap ? in->scratch_cap : 4096;
    while (cap < n)
        cap *= 2;
    uint8_t *p = realloc(in->scratch, cap);
    if (!p)
        return xsr_error_set(in->err, XSR_ENOMEM, "out of memory for %zu bytes of input", n);
    in->scratch = p;
    in->scratch_cap = cap;
    return 0;
}

int xsri_lin_get(struct xsri_lin *in, size_t n, const uint8_t **p, const char *what)
{
    uint64_t start = in->consumed;
    size_t from_peek = in->peek_len - in->peek_pos;
    int rc;

    if (n == 0) {
        /* Never NULL: callers hand it to memcpy with a length of 0. */
        *p = in->peek;
        return 0;
    }
    if (from_peek >= n) {
        *p = in->peek + in->peek_pos;
        in->peek_pos += n;
        in->consumed += n;
        return 0;
    }
    if (from_peek == 0 && in->can_view) {
        struct xsr_error e;
        xsr_error_clear(&e);
        rc = xsr_chan_view(in->ch, n, p, &e);
        if (rc == 0) {
            in->consumed += n;
            progress(in);
            return 0;
        }
        if (rc == XSR_ETRUNC) {
            uint64_t have = in->size >= 0 && (uint64_t)in->size > start ? (uint64_t)in->size - start : 0;
            return truncated(in, start, n, have, what);
        }
        if (rc != XSR_EUNSUP) {
            if (in->err)
                *in->err = e;
            return rc;
        }
    }
    /* Known to be cut short: say so before allocating anything. */
    if (in->size >= 0) {
        uint64_t left = (uint64_t)in->size > start ? (uint64_t)in->size - start : 0;
        if (n > left)
            return truncated(in, start, n, left, what);
    }
    /* Grow the copy as the bytes arrive, so that a huge length announced by
     * a short stream costs no more memory than the stream. */
    size_t done = from_peek;
    rc = reserve(in, n < STEP ? n : STEP);
    if (rc < 0)
        return rc;
    memcpy(in->scratch, in->peek + in->peek_pos, from_peek);
    in->peek_pos = in->peek_len = 0;
    while (done < n) {
        size_t k = n - done < STEP ? n - done : STEP;
        rc = reserve(in, done + k);
        if (rc == 0)
            rc = chan_read(in, in->scratch + done, k, start, n, done, what);
        if (rc < 0)
            return rc;
        done += k;
    }
    *p = in->scratch;
    in->consumed += n;
    progress(in);
    return 0;
}

int xsri_lin_read(struct xsri_lin *in, void *dst, size_t n, const char *what)
{
    uint64_t start = in->consumed;
    size_t from_peek = in->peek_len - in->peek_pos;
    int rc;

    if (from_peek > n)
        from_peek = n;
    memcpy(dst, in->peek + in->peek_pos, from_peek);
    in->peek_pos += from_peek;
    if (in->peek_pos == in->peek_len)
        in->peek_pos = in->peek_len = 0;
    if (n > from_peek) {
        rc = chan_read(in, (uint8_t *)dst + from_peek, n - from_peek, start, n, from_peek, what);
        if (rc < 0)
            return rc;
    }
    in->consumed += n;
    progress(in);
    return 0;
}

int xsri_lin_skip(struct xsri_lin *in, uint64_t n, const char *what)
{
    uint64_t start = in->consumed;
    size_t from_peek = in->peek_len - in->peek_pos;
    uint8_t buf[4096];

    if (from_peek > n)
        from_peek = (size_t)n;
    in->peek_pos += from_peek;
    if (in->peek_pos == in->peek_len)
        in->peek_pos = in->peek_len = 0;
    uint64_t done = from_peek;
    if (in->size >= 0) {
        uint64_t left = (uint64_t)in->size > start ? (uint64_t)in->size - start : 0;
        if (n > left)
            return truncated(in, start, (size_t)n, left, what);
        if (n > done) {
            struct xsr_error e;
            xsr_error_clear(&e);
            int rc = xsr_chan_skip(in->ch, n - done, &e);
            if (rc < 0) {
                if (in->err)
                    *in->err = e;
                xsr_error_locate(in->err, start, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
                return rc;
            }
        }
        done = n;
    }
    while (done < n) {
        size_t k = n - done < sizeof(buf) ? (size_t)(n - done) : sizeof(buf);
        int rc = chan_read(in, buf, k, start, (size_t)n, (size_t)done, what);
        if (rc < 0)
            return rc;
        done += k;
    }
    in->consumed += n;
    progress(in);
    return 0;
}

int xsri_lin_peek(struct xsri_lin *in, size_t n, const uint8_t **p, size_t *got)
{
    size_t have = in->peek_len - in->peek_pos;

    if (n > XSRI_LIN_PEEK_MAX)
        n = XSRI_LIN_PEEK_MAX;
    if (have < n) {
        size_t more = 0;
        struct xsr_error e;
        int rc;

        memmove(in->peek, in->peek + in->peek_pos, have);
        in->peek_pos = 0;
        in->peek_len = have;
        xsr_error_clear(&e);
        rc = xsr_chan_read(in->ch, in->peek + have, n - have, &more, &e);
        in->peek_len += more;
        if (rc < 0 && rc != XSR_ETRUNC) {
            if (in->err)
                *in->err = e;
            xsr_error_locate(in->err, in->consumed, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
            return rc;
        }
    }
    *p = in->peek + in->peek_pos;
    *got = in->peek_len - in->peek_pos < n ? in->peek_len - in->peek_pos : n;
    return 0;
}

int xsri_lin_read_some(struct xsri_lin *in, void *dst, size_t n, size_t *got)
{
    size_t have = in->peek_len - in->peek_pos;
    struct xsr_error e;
    int rc;

    *got = 0;
    if (n == 0)
        return 0;
    if (have) {
        *got = have < n ? have : n;
        memcpy(dst, in->peek + in->peek_pos, *got);
        in->peek_pos += *got;
        if (in->peek_pos == in->peek_len)
            in->peek_pos = in->peek_len = 0;
        in->consumed += *got;
        return 0;
    }
    xsr_error_clear(&e);
    rc = xsr_chan_read(in->ch, dst, n, got, &e);
    in->consumed += *got;
    if (rc < 0 && rc != XSR_ETRUNC) {
        if (in->err)
            *in->err = e;
        xsr_error_locate(in->err, in->consumed, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
        return rc;
    }
    progress(in);
    return 0;
}

int xsri_lin_drain(struct xsri_lin *in, uint64_t *n)
{
    uint8_t buf[4096];
    uint64_t total = in->peek_len - in->peek_pos;

    in->peek_pos = in->peek_len = 0;
    for (;;) {
        size_t got = 0;
        struct xsr_error e;
        xsr_error_clear(&e);
        int rc = xsr_chan_read(in->ch, buf, sizeof(buf), &got, &e);
        total += got;
        if (rc == XSR_ETRUNC)
            break;
        if (rc < 0) {
            if (in->err)
                *in->err = e;
            return rc;
        }
    }
    in->consumed += total;
    *n = total;
    return 0;
}
