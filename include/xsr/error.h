/* SPDX-License-Identifier: MIT */
/*
 * Error reporting.  Every fallible call returns 0 (or a documented positive
 * value) on success and a negative XSR_E* code on failure, and fills the
 * caller's struct xsr_error (which may be NULL) with what went wrong and where.
 */
#ifndef XSR_ERROR_H
#define XSR_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum xsr_errc {
    XSR_OK = 0,
    XSR_EINVAL = -1,  /* bad argument from the caller */
    XSR_EFORMAT = -2, /* the stream violates the format */
    XSR_ETRUNC = -3,  /* the stream ended before a structure was complete */
    XSR_EIO = -4,     /* read/write/open failed (sys_errno says why) */
    XSR_ENOMEM = -5,  /* allocation failed */
    XSR_ELIMIT = -6,  /* a value exceeds a limit of the spec or of xsr */
    XSR_EUNSUP = -7,  /* valid, but not supported by this operation */
    XSR_ESTATE = -8,  /* call made in the wrong state (e.g. after an error) */
    XSR_EFAULT = -9,  /* a back end or callback reported failure */
};

/* Which layer of a save image a location refers to. */
enum xsr_layer {
    XSR_LAYER_NONE = 0,
    XSR_LAYER_XL,     /* xl save-file header */
    XSR_LAYER_LIBXL,  /* libxl ("LibxlFmt") stream */
    XSR_LAYER_LIBXC,  /* libxc migration v2 stream */
    XSR_LAYER_LEGACY, /* pre-v2 legacy stream */
};

#define XSR_NO_OFFSET UINT64_MAX
#define XSR_NO_INDEX (-1LL)
#define XSR_ERROR_MSG_MAX 512

struct xsr_error {
    int code;             /* XSR_E*, 0 if no error */
    int sys_errno;        /* errno for XSR_EIO, else 0 */
    uint64_t offset;      /* byte offset in the stream, or XSR_NO_OFFSET */
    int64_t record_index; /* record index within its layer, or XSR_NO_INDEX */
    uint32_t record_type; /* valid when record_index != XSR_NO_INDEX */
    enum xsr_layer layer; /* layer of the record, or XSR_LAYER_NONE */
    char message[XSR_ERROR_MSG_MAX]; /* a sentence a person understands */
};

/* Reset to "no error, no location". NULL is allowed. */
void xsr_error_clear(struct xsr_error *e);

/*
 * Set code and message and reset the location (and sys_errno): whatever an
 * earlier failure left in e is gone.  Attach this failure's location with
 * xsr_error_locate afterwards.  Returns code.  NULL e allowed.
 */
int xsr_error_set(struct xsr_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int xsr_error_vset(struct xsr_error *e, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Like xsr_error_set for XSR_EIO, recording errno; returns XSR_EIO.  An
 * ENOMEM is reported as XSR_ENOMEM ("...: out of memory") instead. */
int xsr_error_sys(struct xsr_error *e, int sys_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Attach a location to an error already set (fields only filled if unset). */
void xsr_error_locate(struct xsr_error *e, uint64_t offset, enum xsr_layer layer,
                      int64_t record_index, uint32_t record_type);

/* Short constant description of a code ("stream truncated", ...). */
const char *xsr_strerror(int code);

/* Name of a layer: "xl", "libxl", "libxc", "legacy" or "-". */
const char *xsr_layer_name(enum xsr_layer layer);

/*
 * Format the whole error as one line, e.g.
 * "libxc record 57 (PAGE_DATA) at offset 0x1a2b30: pfn[3] has ...".
 * Always NUL-terminates (if n > 0); returns the length it wanted.
 */
size_t xsr_error_format(const struct xsr_error *e, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
