/* SPDX-License-Identifier: MIT */
/*
 * Stream builder: the framing of a save image around the records a producer
 * appends (see stream.h).  The state follows the walker's reading of the
 * same bytes: the libxc stream runs, pauses at a CHECKPOINT for libxl records
 * (libxl formats), resumes after CHECKPOINT_END, ends; then the libxl stream
 * ends.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "reader_internal.h"
#include "util/opts.h"

/* The first layout: the members every stream needs. */
#define OPTS_MIN_SIZE offsetof(struct xsr_builder_opts, xl_mandatory_flags)

enum bstate {
    B_RUNNING,  /* libxc records */
    B_PAUSED,   /* after a CHECKPOINT of a libxl stream: libxl records */
    B_TAIL,     /* after the libxc END: libxl records */
    B_ENDED,
};

struct xsr_builder {
    struct xsr_writer *w;
    enum xsr_layer format;
    enum xsr_byte_order order;
    enum bstate st;
    uint64_t records;
    uint8_t *head; /* PAGE_DATA header and pfn words */
    size_t head_cap;
};

static int check_opts(const struct xsr_builder_opts *o, struct xsr_error *err)
{
    if (o->format != XSR_LAYER_XL && o->format != XSR_LAYER_LIBXL && o->format != XSR_LAYER_LIBXC)
        return xsr_error_set(err, XSR_EINVAL,
                                "a stream builder writes xl, libxl or libxc streams, not layer %d",
                                (int)o->format);
    if (o->version < XSR_VERSION_MIN || o->version > XSR_VERSION_MAX)
        return xsr_error_set(err, XSR_EINVAL,
                                "libxc stream version %" PRIu32 " is not one of %u to %u",
                                o->version, XSR_VERSION_MIN, XSR_VERSION_MAX);
    if ((o->order != XSR_LITTLE_ENDIAN && o->order != XSR_BIG_ENDIAN) ||
        (o->xl_own_order && o->xl_order != XSR_LITTLE_ENDIAN && o->xl_order != XSR_BIG_ENDIAN))
        return xsr_error_set(err, XSR_EINVAL, "unknown byte order %d",
                                (int)(o->xl_own_order ? o->xl_order : o->order));
    if (o->xl_config_len && !o->xl_config)
        return xsr_error_set(err, XSR_EINVAL,
                                "%" PRIu32 " bytes of xl optional data announced but none given",
                                o->xl_config_len);
    if (o->libxl_options & XSR_LIBXL_OPT_BIG_ENDIAN)
        return xsr_error_set(err, XSR_EINVAL,
                                "the libxl byte-order option follows the builder's byte order");
    return 0;
}

static int write_headers(struct xsr_builder *b, const struct xsr_builder_opts *o,
                         struct xsr_error *err)
{
    int rc = 0;
    if (o->format == XSR_LAYER_XL) {
        struct xsr_xl_hdr h = {
            .order = o->xl_own_order ? o->xl_order : o->order,
            .mandatory_flags = o->xl_mandatory_flags | XSR_XL_FLAG_STREAMV2,
            .optional_flags = o->xl_optional_flags,
            .optional_data_len = o->xl_config_len,
        };
        rc = xsr_writer_xl_hdr(b->w, &h, o->xl_config, err);
    }
    if (rc == 0 && o->format != XSR_LAYER_LIBXC) {
        struct xsr_libxl_hdr h = {
            .ident = XSR_LIBXL_IDENT,
            .version = XSR_LIBXL_VERSION,
            .options = o->libxl_options | (o->order == XSR_BIG_ENDIAN ? XSR_LIBXL_OPT_BIG_ENDIAN : 0),
        };
        rc = xsr_writer_libxl_hdr(b->w, &h, err);
        if (rc == 0)
            rc = xsr_writer_record(b->w, XSR_LIBXL_REC_LIBXC_CONTEXT, NULL, 0, err);
    }
    if (rc == 0) {
        struct xsr_ihdr ih = xsr_ihdr_make(o->version, o->order);
        rc = xsr_writer_ihdr(b->w, &ih, err);
    }
    if (rc == 0) {
        struct xsr_dhdr dh = o->domain;
        if (dh.page_shift == 0)
            dh.page_shift = XSR_PAGE_SHIFT;
        rc = xsr_writer_dhdr(b->w, &dh, err);
    }
    return rc;
}

struct xsr_builder *xsr_builder_new(struct xsr_chan *ch, const struct xsr_builder_opts *opts,
                                    struct xsr_error *err)
{
    struct xsr_builder_opts o;
    if (!ch || !opts) {
        xsr_error_set(err, XSR_EINVAL, "a stream builder needs a channel and options");
        return NULL;
    }
    xsr_error_clear(err);
    if (xsri_opts_load(&o, sizeof(o), opts, OPTS_MIN_SIZE, "xsr_builder_opts", err) < 0 ||
        check_opts(&o, err) < 0)
        return NULL;
    struct xsr_builder *b = calloc(1, sizeof(*b));
    if (!b) {
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a stream builder");
        return NULL;
    }
    b->format = o.format;
    b->order = o.order;
    b->w = xsr_writer_new(ch, o.batch, err);
    if (!b->w || write_headers(b, &o, err) < 0) {
        xsr_writer_free(b->w, NULL);
        free(b);
        return NULL;
    }
    return b;
}

int xsr_builder_free(struct xsr_builder *b, struct xsr_error *err)
{
    if (!b)
        return 0;
    int rc = xsr_writer_free(b->w, err);
    free(b->head);
    free(b);
    return rc;
}

uint64_t xsr_builder_offset(const struct xsr_builder *b)
{
    return b ? xsr_writer_offset(b->w) : 0;
}

uint64_t xsr_builder_records(const struct xsr_builder *b)
{
    return b ? b->records : 0;
}

int xsr_builder_flush(struct xsr_builder *b, struct xsr_error *err)
{
    if (!b)
        return xsr_error_set(err, XSR_EINVAL, "no stream builder given");
    return xsr_writer_flush(b->w, err);
}

static int ended(struct xsr_error *err)
{
    return xsr_error_set(err, XSR_ESTATE, "the stream has ended: nothing can follow its END");
}

/* Back to libxc records: a checkpoint's libxl records end with CHECKPOINT_END. */
static int resume_libxc(struct xsr_builder *b, struct xsr_error *err)
{
    if (!b)
        return xsr_error_set(err, XSR_EINVAL, "no stream builder given");
    switch (b->st) {
    case B_RUNNING:
        return 0;
    case B_PAUSED: {
        int rc = xsr_writer_record(b->w, XSR_LIBXL_REC_CHECKPOINT_END, NULL, 0, err);
        if (rc == 0)
            b->st = B_RUNNING;
        return rc;
    }
    case B_TAIL:
        return xsr_error_set(err, XSR_ESTATE,
                                "the libxc stream has ended: only libxl records can follow");
    default:
        return ended(err);
    }
}

static int libxc_record(struct xsr_builder *b, uint32_t type, const struct iovec *iov, int iovcnt,
                        struct xsr_error *err)
{
    int rc = resume_libxc(b, err);
    if (rc == 0)
        rc = xsr_writer_record_iov(b->w, type, iov, iovcnt, err);
    if (rc == 0)
        b->records++;
    return rc;
}

int xsr_builder_record_iov(struct xsr_builder *b, uint32_t type, const struct iovec *iov,
                           int iovcnt, struct xsr_error *err)
{
    if (type == XSR_REC_END || type == XSR_REC_CHECKPOINT)
        return xsr_error_set(err, XSR_EINVAL, "%s",
                                type == XSR_REC_END
                                    ? "END is framing: use xsr_builder_libxc_end or xsr_builder_end"
                                    : "CHECKPOINT is framing: use xsr_builder_checkpoint");
    return libxc_record(b, type, iov, iovcnt, err);
}

typedef int (*append_iov_fn)(struct xsr_builder *b, uint32_t type, const struct iovec *iov,
                             int iovcnt, struct xsr_error *err);

/* A record with one contiguous body, through the iovec form. */
static int append_body(append_iov_fn fn, struct xsr_builder *b, uint32_t type, const void *body,
                       uint32_t len, struct xsr_error *err)
{
    if (!body && len)
        return xsr_error_set(err, XSR_EINVAL, "no body given for a record of %" PRIu32 " bytes", len);
    struct iovec iov = { .iov_base = (void *)(uintptr_t)body, .iov_len = len };
    return fn(b, type, &iov, len ? 1 : 0, err);
}

int xsr_builder_record(struct xsr_builder *b, uint32_t type, const void *body, uint32_t len,
                       struct xsr_error *err)
{
    return append_body(xsr_builder_record_iov, b, type, body, len, err);
}

int xsr_builder_page_data(struct xsr_builder *b, const uint64_t *words, uint32_t count,
                          const struct iovec *pages, int npages, struct xsr_error *err)
{
    if (!b || (!words && count) || npages < 0 || (!pages && npages))
        return xsr_error_set(err, XSR_EINVAL, "xsr_builder_page_data needs pfn words and pages");
    if (count > XSR_REC_LENGTH_MAX / 8)
        return xsr_error_set(err, XSR_ELIMIT, "a PAGE_DATA record of %" PRIu32 " pfns", count);
    if ((unsigned)npages > XSR_PAGE_BATCH_MAX)
        return xsr_error_set(err, XSR_ELIMIT, "%d page buffers in one PAGE_DATA record", npages);
    uint64_t want = 0, have = 0;
    for (uint32_t i = 0; i < count; i++)
        if (xsr_pfn_type_has_data(xsr_pfn_word_type(words[i])))
            want += XSR_PAGE_SIZE;
    for (int i = 0; i < npages; i++)
        have += pages[i].iov_len;
    if (want != have)
        return xsr_error_set(err, XSR_EINVAL,
                                "the pfn words of a PAGE_DATA record carry %" PRIu64
                                " bytes of pages but %" PRIu64 " were given",
                                want, have);
    size_t n = XSR_PAGE_DATA_HDR_SIZE + (size_t)count * 8;
    if (n > b->head_cap) {
        uint8_t *p = realloc(b->head, n);
        if (!p)
            return xsr_error_set(err, XSR_ENOMEM, "cannot allocate %zu bytes for pfn words", n);
        b->head = p;
        b->head_cap = n;
    }
    xsr_page_data_encode_hdr(count, b->order, b->head);
    for (uint32_t i = 0; i < count; i++)
        xsr_st64(b->head + XSR_PAGE_DATA_HDR_SIZE + 8 * (size_t)i, words[i], b->order);
    struct iovec iov[XSR_PAGE_BATCH_MAX + 1];
    iov[0].iov_base = b->head;
    iov[0].iov_len = n;
    int k = 1;
    for (int i = 0; i < npages; i++)
        if (pages[i].iov_len)
            iov[k++] = pages[i];
    return libxc_record(b, XSR_REC_PAGE_DATA, iov, k, err);
}

int xsr_builder_checkpoint(struct xsr_builder *b, struct xsr_error *err)
{
    int rc = libxc_record(b, XSR_REC_CHECKPOINT, NULL, 0, err);
    if (rc == 0 && b->format != XSR_LAYER_LIBXC)
        b->st = B_PAUSED;
    return rc;
}

int xsr_builder_libxl_record_iov(struct xsr_builder *b, uint32_t type, const struct iovec *iov,
                                 int iovcnt, struct xsr_error *err)
{
    if (!b)
        return xsr_error_set(err, XSR_EINVAL, "no stream builder given");
    if (b->format == XSR_LAYER_LIBXC)
        return xsr_error_set(err, XSR_ESTATE, "a bare libxc stream has no libxl records");
    if (type == XSR_LIBXL_REC_END || type == XSR_LIBXL_REC_LIBXC_CONTEXT ||
        type == XSR_LIBXL_REC_CHECKPOINT_END)
        return xsr_error_set(err, XSR_EINVAL,
                                "libxl record %s is framing, written by the builder",
                                xsr_libxl_rec_type_name(type));
    if (b->st == B_RUNNING)
        return xsr_error_set(err, XSR_ESTATE,
                                "libxl records follow a checkpoint or the libxc END, not libxc "
                                "records");
    if (b->st == B_ENDED)
        return ended(err);
    return xsr_writer_record_iov(b->w, type, iov, iovcnt, err);
}

int xsr_builder_libxl_record(struct xsr_builder *b, uint32_t type, const void *body, uint32_t len,
                             struct xsr_error *err)
{
    return append_body(xsr_builder_libxl_record_iov, b, type, body, len, err);
}

int xsr_builder_libxc_end(struct xsr_builder *b, struct xsr_error *err)
{
    int rc = libxc_record(b, XSR_REC_END, NULL, 0, err);
    if (rc == 0)
        b->st = b->format == XSR_LAYER_LIBXC ? B_ENDED : B_TAIL;
    return rc;
}

int xsr_builder_end(struct xsr_builder *b, struct xsr_error *err)
{
    int rc = 0;
    if (!b)
        return xsr_error_set(err, XSR_EINVAL, "no stream builder given");
    if (b->st == B_ENDED)
        return ended(err);
    if (b->st != B_TAIL)
        rc = xsr_builder_libxc_end(b, err);
    if (rc == 0 && b->st == B_TAIL) {
        rc = xsr_writer_record(b->w, XSR_LIBXL_REC_END, NULL, 0, err);
        if (rc == 0)
            b->st = B_ENDED;
    }
    return rc == 0 ? xsr_writer_flush(b->w, err) : rc;
}

int xsr_builder_trailing(struct xsr_builder *b, const void *buf, size_t n, struct xsr_error *err)
{
    if (!b)
        return xsr_error_set(err, XSR_EINVAL, "no stream builder given");
    if (b->st != B_ENDED)
        return xsr_error_set(err, XSR_ESTATE,
                                "trailing bytes follow the end of the stream, which has not ended");
    return xsr_writer_raw(b->w, buf, n, err);
}
