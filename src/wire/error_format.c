/* SPDX-License-Identifier: MIT */
/*
 * xsr_error_format: an error as one line, its record named.  It lives in the
 * wire layer (not beside the error object in util) because naming a record
 * type is format knowledge.
 */
#include <inttypes.h>
#include <stdio.h>

#include <xsr/error.h>
#include <xsr/wire.h>

static const char *record_name(enum xsr_layer layer, uint32_t type)
{
    if (layer == XSR_LAYER_LIBXL)
        return xsr_libxl_rec_type_name(type);
    if (layer == XSR_LAYER_LIBXC)
        return xsr_rec_type_name(type);
    return NULL;
}

size_t xsr_error_format(const struct xsr_error *e, char *buf, size_t n)
{
    char where[160] = "";
    size_t w = 0;

    if (!e)
        return (size_t)snprintf(buf, n, "no error");
    if (e->record_index != XSR_NO_INDEX) {
        const char *name = record_name(e->layer, e->record_type);
        char tbuf[24];
        if (!name) {
            snprintf(tbuf, sizeof(tbuf), "type %#" PRIx32, e->record_type);
            name = tbuf;
        }
        w += (size_t)snprintf(where + w, sizeof(where) - w, "%s%srecord %" PRId64 " (%s)",
                              e->layer ? xsr_layer_name(e->layer) : "",
                              e->layer ? " " : "", e->record_index, name);
    } else if (e->layer != XSR_LAYER_NONE) {
        w += (size_t)snprintf(where + w, sizeof(where) - w, "%s", xsr_layer_name(e->layer));
    }
    if (e->offset != XSR_NO_OFFSET && w < sizeof(where))
        w += (size_t)snprintf(where + w, sizeof(where) - w, "%sat offset %#" PRIx64,
                              w ? " " : "", e->offset);
    if (w)
        return (size_t)snprintf(buf, n, "%s: %s", where, e->message[0] ? e->message : xsr_strerror(e->code));
    return (size_t)snprintf(buf, n, "%s", e->message[0] ? e->message : xsr_strerror(e->code));
}
