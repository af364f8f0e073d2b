/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <xsr/error.h>

void xsr_error_clear(struct xsr_error *e)
{
    if (!e)
        return;
    memset(e, 0, sizeof(*e));
    e->offset = XSR_NO_OFFSET;
    e->record_index = XSR_NO_INDEX;
}

int xsr_error_vset(struct xsr_error *e, int code, const char *fmt, va_list ap)
{
    if (!e)
        return code;
    /* A new error owns the whole object: no location survives from an
     * earlier failure reported through the same struct. */
    xsr_error_clear(e);
    e->code = code;
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    return code;
}

int xsr_error_set(struct xsr_error *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    xsr_error_vset(e, code, fmt, ap);
    va_end(ap);
    return code;
}

int xsr_error_sys(struct xsr_error *e, int sys_errno, const char *fmt, ...)
{
    int code = sys_errno == ENOMEM ? XSR_ENOMEM : XSR_EIO;
    if (!e)
        return code;
    va_list ap;
    va_start(ap, fmt);
    char what[XSR_ERROR_MSG_MAX];
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (code == XSR_ENOMEM)
        return xsr_error_set(e, XSR_ENOMEM, "%s: out of memory", what);
    xsr_error_set(e, XSR_EIO, "%s: %s", what, strerror(sys_errno));
    e->sys_errno = sys_errno;
    return XSR_EIO;
}

void xsr_error_locate(struct xsr_error *e, uint64_t offset, enum xsr_layer layer,
                      int64_t record_index, uint32_t record_type)
{
    if (!e)
        return;
    if (e->offset == XSR_NO_OFFSET)
        e->offset = offset;
    if (e->layer == XSR_LAYER_NONE)
        e->layer = layer;
    if (e->record_index == XSR_NO_INDEX && record_index != XSR_NO_INDEX) {
        e->record_index = record_index;
        e->record_type = record_type;
    }
}

const char *xsr_strerror(int code)
{
    switch (code) {
    case XSR_OK: return "success";
    case XSR_EINVAL: return "invalid argument";
    case XSR_EFORMAT: return "malformed stream";
    case XSR_ETRUNC: return "stream truncated";
    case XSR_EIO: return "input/output error";
    case XSR_ENOMEM: return "out of memory";
    case XSR_ELIMIT: return "limit exceeded";
    case XSR_EUNSUP: return "not supported";
    case XSR_ESTATE: return "invalid state";
    case XSR_EFAULT: return "operation failed";
    default: return "unknown error";
    }
}

const char *xsr_layer_name(enum xsr_layer layer)
{
    switch (layer) {
    case XSR_LAYER_XL: return "xl";
    case XSR_LAYER_LIBXL: return "libxl";
    case XSR_LAYER_LIBXC: return "libxc";
    case XSR_LAYER_LEGACY: return "legacy";
    default: return "-";
    }
}
