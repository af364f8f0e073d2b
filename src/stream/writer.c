/* SPDX-License-Identifier: MIT */
/*
 * Record writer.  Small pieces (headers, small bodies, padding) are copied
 * into a batch buffer that goes out with one write when it fills; a large
 * piece goes out at once in one writev together with the pending batch, so it
 * is never copied.  Nothing points at the caller's memory after a call
 * returns.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "reader_internal.h"

#define BATCH_DEFAULT (256u * 1024u)
#define BATCH_MIN 64u
#define BATCH_MAX (64u * 1024u * 1024u)

static const uint8_t zero_pad[XSR_REC_ALIGN];

struct xsr_writer {
    struct xsr_chan *ch;
    enum xsr_byte_order order;
    uint8_t *buf;
    size_t cap, len;
    uint64_t offset; /* bytes accepted, queued included */
    int failed;      /* code of an earlier write failure, else 0 */
};

struct xsr_writer *xsr_writer_new(struct xsr_chan *ch, size_t batch, struct xsr_error *err)
{
    if (!ch) {
        xsr_error_set(err, XSR_EINVAL, "a writer needs a channel");
        return NULL;
    }
    if (batch == 0)
        batch = BATCH_DEFAULT;
    if (batch < BATCH_MIN)
        batch = BATCH_MIN;
    if (batch > BATCH_MAX)
        batch = BATCH_MAX;
    struct xsr_writer *w = calloc(1, sizeof(*w));
    if (w)
        w->buf = malloc(batch);
    if (!w || !w->buf) {
        free(w);
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a writer with a %zu-byte batch", batch);
        return NULL;
    }
    w->ch = ch;
    w->cap = batch;
    w->order = XSR_LITTLE_ENDIAN;
    w->offset = xsr_chan_offset(ch);
    return w;
}

void xsr_writer_set_order(struct xsr_writer *w, enum xsr_byte_order o)
{
    if (w)
        w->order = o;
}

enum xsr_byte_order xsr_writer_order(const struct xsr_writer *w)
{
    return w ? w->order : XSR_LITTLE_ENDIAN;
}

uint64_t xsr_writer_offset(const struct xsr_writer *w)
{
    return w ? w->offset : 0;
}

static int usable(struct xsr_writer *w, struct xsr_error *err)
{
    if (!w)
        return xsr_error_set(err, XSR_EINVAL, "no writer given");
    if (w->failed)
        return xsr_error_set(err, XSR_ESTATE,
                                "an earlier write failed (%s): the output is incomplete",
                                xsr_strerror(w->failed));
    return 0;
}

static int failed(struct xsr_writer *w, int rc)
{
    w->failed = rc;
    return rc;
}

static int flush(struct xsr_writer *w, struct xsr_error *err)
{
    if (!w->len)
        return 0;
    int rc = xsr_chan_write(w->ch, w->buf, w->len, err);
    if (rc < 0)
        return failed(w, rc);
    w->len = 0;
    return 0;
}

/* Queue n bytes: copied into the batch, or written now with it if large. */
static int put(struct xsr_writer *w, const void *p, size_t n, struct xsr_error *err)
{
    if (n == 0)
        return 0;
    if (n >= w->cap / 2) {
        struct iovec iov[2] = {
            { .iov_base = w->buf, .iov_len = w->len },
            { .iov_base = (void *)(uintptr_t)p, .iov_len = n },
        };
        int rc = xsr_chan_writev(w->ch, iov, 2, err);
        if (rc < 0)
            return failed(w, rc);
        w->len = 0;
    } else {
        if (n > w->cap - w->len) {
            int rc = flush(w, err);
            if (rc < 0)
                return rc;
        }
        memcpy(w->buf + w->len, p, n);
        w->len += n;
    }
    w->offset += n;
    return 0;
}

int xsr_writer_flush(struct xsr_writer *w, struct xsr_error *err)
{
    int rc = usable(w, err);
    return rc < 0 ? rc : flush(w, err);
}

int xsr_writer_free(struct xsr_writer *w, struct xsr_error *err)
{
    if (!w)
        return 0;
    int rc = w->failed ? 0 : flush(w, err);
    free(w->buf);
    free(w);
    return rc;
}

int xsr_writer_raw(struct xsr_writer *w, const void *buf, size_t n, struct xsr_error *err)
{
    int rc = usable(w, err);
    if (rc < 0)
        return rc;
    if (!buf && n)
        return xsr_error_set(err, XSR_EINVAL, "no buffer given for %zu raw bytes", n);
    return put(w, buf, n, err);
}

int xsr_writer_ihdr(struct xsr_writer *w, const struct xsr_ihdr *h, struct xsr_error *err)
{
    int rc = usable(w, err);
    if (rc < 0)
        return rc;
    if (!h)
        return xsr_error_set(err, XSR_EINVAL, "no image header given");
    uint8_t b[XSR_IHDR_SIZE];
    xsr_ihdr_encode(h, b);
    rc = put(w, b, sizeof(b), err);
    if (rc == 0)
        w->order = xsr_ihdr_order(h);
    return rc;
}

int xsr_writer_dhdr(struct xsr_writer *w, const struct xsr_dhdr *h, struct xsr_error *err)
{
    int rc = usable(w, err);
    if (rc < 0)
        return rc;
    if (!h)
        return xsr_error_set(err, XSR_EINVAL, "no domain header given");
    uint8_t b[XSR_DHDR_SIZE];
    xsr_dhdr_encode(h, w->order, b);
    return put(w, b, sizeof(b), err);
}

int xsr_writer_libxl_hdr(struct xsr_writer *w, const struct xsr_libxl_hdr *h, struct xsr_error *err)
{
    int rc = usable(w, err);
    if (rc < 0)
        return rc;
    if (!h)
        return xsr_error_set(err, XSR_EINVAL, "no libxl header given");
    uint8_t b[XSR_LIBXL_HDR_SIZE];
    xsr_libxl_hdr_encode(h, b);
    rc = put(w, b, sizeof(b), err);
    if (rc == 0)
        w->order = xsr_libxl_hdr_order(h);
    return rc;
}

int xsr_writer_xl_hdr(struct xsr_writer *w, const struct xsr_xl_hdr *h, const uint8_t *optional_data,
                      struct xsr_error *err)
{
    int rc = usable(w, err);
    if (rc < 0)
        return rc;
    if (!h || (!optional_data && h->optional_data_len))
        return xsr_error_set(err, XSR_EINVAL,
                                "an xl header needs its %" PRIu32 " bytes of optional data",
                                h ? h->optional_data_len : 0);
    uint8_t b[XSR_XL_HDR_SIZE];
    xsr_xl_hdr_encode(h, b);
    rc = put(w, b, sizeof(b), err);
    if (rc == 0)
        rc = put(w, optional_data, h->optional_data_len, err);
    return rc;
}

/* A large body of many pieces (a PAGE_DATA record's pages): the pending
 * batch and the pieces go out in writevs of up to GATHER iovecs, so that no
 * page is copied and no page costs a system call of its own. */
#define GATHER 1024
static int gather(struct xsr_writer *w, const struct iovec *iov, int iovcnt, struct xsr_error *err)
{
    struct iovec v[GATHER];
    int n = 0, i = 0;
    if (w->len)
        v[n++] = (struct iovec){ .iov_base = w->buf, .iov_len = w->len };
    while (i < iovcnt || n) {
        while (i < iovcnt && n < GATHER) {
            if (iov[i].iov_len)
                v[n++] = iov[i];
            w->offset += iov[i].iov_len;
            i++;
        }
        if (n) {
            int rc = xsr_chan_writev(w->ch, v, n, err);
            if (rc < 0)
                return failed(w, rc);
        }
        w->len = 0;
        n = 0;
    }
    return 0;
}

/* Header, pieces, then padding (given, or zero). */
static int emit_record(struct xsr_writer *w, const uint8_t hdr[XSR_RHDR_SIZE], const struct iovec *iov,
                       int iovcnt, uint32_t len, const uint8_t *padding, struct xsr_error *err)
{
    int rc = put(w, hdr, XSR_RHDR_SIZE, err);
    if (rc == 0 && iovcnt > 2 && len >= w->cap / 2) {
        rc = gather(w, iov, iovcnt, err);
        if (rc == 0)
            rc = put(w, padding ? padding : zero_pad, xsr_rec_pad(len), err);
        return rc;
    }
    for (int i = 0; rc == 0 && i < iovcnt; i++)
        rc = put(w, iov[i].iov_base, iov[i].iov_len, err);
    if (rc == 0)
        rc = put(w, padding ? padding : zero_pad, xsr_rec_pad(len), err);
    return rc;
}

int xsr_writer_record_iov(struct xsr_writer *w, uint32_t type, const struct iovec *iov, int iovcnt,
                          struct xsr_error *err)
{
    int rc = usable(w, err);
    if (rc < 0)
        return rc;
    if (iovcnt < 0 || (!iov && iovcnt))
        return xsr_error_set(err, XSR_EINVAL, "a record body needs iovecs");
    uint64_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (!iov[i].iov_base && iov[i].iov_len)
            return xsr_error_set(err, XSR_EINVAL, "iovec %d of a record body has no buffer", i);
        total += iov[i].iov_len;
        if (total > XSR_REC_LENGTH_MAX)
            break;
    }
    if (total > XSR_REC_LENGTH_MAX)
        return xsr_error_set(err, XSR_ELIMIT,
                                "a record of type %#" PRIx32 " with a body of %" PRIu64
                                " bytes or more exceeds the limit of %u bytes",
                                type, total, XSR_REC_LENGTH_MAX);
    struct xsr_rhdr rh = { .type = type, .length = (uint32_t)total };
    uint8_t hdr[XSR_RHDR_SIZE];
    xsr_rhdr_encode(&rh, w->order, hdr);
    return emit_record(w, hdr, iov, iovcnt, rh.length, NULL, err);
}

int xsr_writer_record(struct xsr_writer *w, uint32_t type, const void *body, uint32_t len,
                      struct xsr_error *err)
{
    int rc = usable(w, err);
    if (rc < 0)
        return rc;
    if (len > XSR_REC_LENGTH_MAX)
        return xsr_error_set(err, XSR_ELIMIT,
                                "a record of type %#" PRIx32 " with a body of %" PRIu32
                                " bytes exceeds the limit of %u bytes",
                                type, len, XSR_REC_LENGTH_MAX);
    if (!body && len)
        return xsr_error_set(err, XSR_EINVAL, "no body given for a record of %" PRIu32 " bytes", len);
    struct iovec iov = { .iov_base = (void *)(uintptr_t)body, .iov_len = len };
    return xsr_writer_record_iov(w, type, &iov, len ? 1 : 0, err);
}

int xsr_writer_event(struct xsr_writer *w, const struct xsr_event *ev, struct xsr_error *err)
{
    int rc = usable(w, err);
    if (rc < 0)
        return rc;
    if (!ev)
        return xsr_error_set(err, XSR_EINVAL, "no event given");
    switch (ev->kind) {
    case XSR_EV_XL_HEADER:
    case XSR_EV_DOMAIN_HEADER:
    case XSR_EV_TRAILING:
        break;
    case XSR_EV_LIBXL_HEADER:
        w->order = xsr_libxl_hdr_order(&ev->u.libxl_hdr);
        break;
    case XSR_EV_IMAGE_HEADER:
        w->order = xsr_ihdr_order(&ev->u.ihdr);
        break;
    case XSR_EV_LIBXL_RECORD:
    case XSR_EV_RECORD: {
        const struct xsr_record *rec = &ev->u.rec;
        if (rec->skipped)
            return xsr_error_set(err, XSR_EINVAL, "a record whose page data was skipped cannot "
                                 "be written: walk without skip_page_data");
        uint8_t hdr[XSR_RHDR_SIZE];
        if (ev->raw && ev->raw_len == XSR_RHDR_SIZE) {
            memcpy(hdr, ev->raw, sizeof(hdr));
        } else {
            struct xsr_rhdr rh = { .type = rec->type, .length = rec->length };
            xsr_rhdr_encode(&rh, ev->order, hdr);
        }
        if (!rec->body && rec->length)
            return xsr_error_set(err, XSR_EINVAL, "the record event has no body");
        struct iovec iov = { .iov_base = (void *)(uintptr_t)rec->body, .iov_len = rec->length };
        return emit_record(w, hdr, &iov, rec->length ? 1 : 0, rec->length, rec->padding, err);
    }
    case XSR_EV_LEGACY:
        return 0; /* a position, not bytes */
    default:
        return xsr_error_set(err, XSR_EINVAL, "unknown event kind %d", (int)ev->kind);
    }
    if (!ev->raw && ev->raw_len)
        return xsr_error_set(err, XSR_EINVAL, "the event has no raw bytes");
    return put(w, ev->raw, ev->raw_len, err);
}
