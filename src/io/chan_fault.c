/* SPDX-License-Identifier: MIT */
/*
 * Fault-injecting wrapper for tests: short transfers, EINTR, and a failure or
 * end of input after a given number of bytes.  Views are not offered, so the
 * copying paths of the layers above are the ones exercised.
 */
#include <errno.h>
#include <stdlib.h>

#include "chan_internal.h"
#include "util/opts.h"

#define FAULT_IOV_MAX 64

struct fault_ctx {
    struct xsr_chan *inner;
    struct xsr_fault_spec spec;
    unsigned long calls;
    uint64_t done; /* bytes moved so far */
};

/*
 * Common prologue of every transfer: the periodic EINTR, then the failure
 * point.  Returns the number of bytes this call may move (> 0), or 0 with
 * *ret set when the call must end right away.
 */
static size_t fault_gate(struct fault_ctx *f, size_t n, ssize_t *ret)
{
    f->calls++;
    if (f->spec.eintr_every && f->calls % f->spec.eintr_every == 0) {
        errno = EINTR;
        *ret = -1;
        return 0;
    }
    if (f->spec.fail_after != UINT64_MAX && f->done >= f->spec.fail_after) {
        if (f->spec.fail_errno == 0) {
            *ret = 0; /* end of input (reads); "wrote nothing" (writes) */
        } else {
            errno = f->spec.fail_errno;
            *ret = -1;
        }
        return 0;
    }
    if (f->spec.max_io && n > f->spec.max_io)
        n = f->spec.max_io;
    if (f->spec.fail_after != UINT64_MAX && n > f->spec.fail_after - f->done)
        n = (size_t)(f->spec.fail_after - f->done);
    if (n == 0)
        *ret = 0;
    return n;
}

static ssize_t fault_read(void *ctx, void *buf, size_t n)
{
    struct fault_ctx *f = ctx;
    ssize_t ret = 0;
    if (n == 0)
        return 0;
    n = fault_gate(f, n, &ret);
    if (n == 0)
        return ret;
    ssize_t r = xsri_chan_read_some(f->inner, buf, n);
    if (r > 0)
        f->done += (uint64_t)r;
    return r;
}

static ssize_t fault_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
    struct fault_ctx *f = ctx;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    if (total == 0)
        return 0;
    ssize_t ret = 0;
    size_t allow = fault_gate(f, total, &ret);
    if (allow == 0)
        return ret;
    struct iovec local[FAULT_IOV_MAX];
    int k = 0;
    size_t left = allow;
    for (int i = 0; i < iovcnt && k < FAULT_IOV_MAX && left; i++) {
        if (!iov[i].iov_len)
            continue;
        local[k] = iov[i];
        if (local[k].iov_len > left)
            local[k].iov_len = left;
        left -= local[k].iov_len;
        k++;
    }
    ssize_t r = xsri_chan_writev_some(f->inner, local, k);
    if (r > 0)
        f->done += (uint64_t)r;
    return r;
}

static int64_t fault_size(void *ctx)
{
    struct fault_ctx *f = ctx;
    return xsr_chan_size(f->inner);
}

static int fault_close(void *ctx)
{
    struct fault_ctx *f = ctx;
    struct xsr_error e;
    xsr_error_clear(&e);
    int rc = xsr_chan_close(f->inner, &e);
    free(f);
    if (rc < 0) {
        errno = e.sys_errno ? e.sys_errno : EIO;
        return -1;
    }
    return 0;
}

/* inner is ours from the call on: on failure it is closed, so that
 * "ch = xsr_chan_fault(ch, ...)" cannot leak it. */
static struct xsr_chan *fault_fail(struct xsr_chan *inner, struct xsr_error *err, int code,
                                   const char *msg)
{
    xsr_chan_close(inner, NULL);
    xsr_error_set(err, code, "%s", msg);
    return NULL;
}

struct xsr_chan *xsr_chan_fault(struct xsr_chan *inner, const struct xsr_fault_spec *spec,
                                struct xsr_error *err)
{
    if (!inner || !spec)
        return fault_fail(inner, err, XSR_EINVAL,
                          "the fault wrapper needs a channel and a fault description");
    struct xsr_fault_spec s;
    if (xsri_opts_load(&s, sizeof(s), spec, sizeof(s), "xsr_fault_spec", err) < 0) {
        xsr_chan_close(inner, NULL);
        return NULL;
    }
    struct fault_ctx *f = calloc(1, sizeof(*f));
    if (!f)
        return fault_fail(inner, err, XSR_ENOMEM, "cannot allocate a fault-injecting channel");
    f->inner = inner;
    f->spec = s;
    struct xsri_chan_ops ops = {
        .read = inner->readable ? fault_read : NULL,
        .writev = inner->readable ? NULL : fault_writev,
        .size = fault_size,
        .close = fault_close,
    };
    struct xsr_chan *ch = xsri_chan_new(XSRI_CHAN_FAULT, &ops, f, inner->readable,
                                        inner->name, err);
    if (!ch) {
        free(f);
        xsr_chan_close(inner, NULL); /* err keeps xsri_chan_new's message */
    }
    return ch;
}
