/* SPDX-License-Identifier: MIT */
/*
 * Record reader.  On a viewable channel every header and body is a view of
 * the channel's memory.  Otherwise fixed headers are copied into a small
 * buffer inside the reader, and bodies into one buffer grown to the largest
 * record seen: memory stays bounded by the largest record, not the stream.
 * A few bytes of lookahead (format detection, end-of-input test) are kept so
 * that nothing read from a pipe is ever lost.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_internal.h"

/* Non-NULL body of empty records. */
static const uint8_t no_bytes[1];

/* Largest max_record: body + padding must fit in 32 bits. */
#define MAX_RECORD_CEILING (UINT32_MAX - (XSR_REC_ALIGN - 1))

struct xsr_reader {
    struct xsr_chan *ch;
    bool can_view;
    uint32_t max_record;
    enum xsr_byte_order order;
    uint64_t offset;
    /* lookahead (channels without views only): la[la_pos .. la_pos+la_len) */
    uint8_t la[XSRI_LOOKAHEAD_MAX];
    size_t la_pos, la_len;
    /* bodies and blobs */
    uint8_t *buf;
    size_t cap;
    /* last record header */
    const uint8_t *rhdr_at;
    uint8_t rhdr[XSR_RHDR_SIZE];
    bool failed_has_type;
    uint32_t failed_type;
    uint8_t fixed[XSRI_FIXED_MAX];
};

struct xsr_reader *xsr_reader_new(struct xsr_chan *ch, uint32_t max_record, struct xsr_error *err)
{
    if (!ch) {
        xsr_error_set(err, XSR_EINVAL, "a reader needs a channel");
        return NULL;
    }
    struct xsr_reader *r = calloc(1, sizeof(*r));
    if (!r) {
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a reader");
        return NULL;
    }
    r->ch = ch;
    r->can_view = xsr_chan_can_view(ch);
    if (max_record == 0)
        max_record = XSR_REC_LENGTH_MAX;
    r->max_record = max_record > MAX_RECORD_CEILING ? MAX_RECORD_CEILING : max_record;
    r->order = XSR_LITTLE_ENDIAN;
    r->offset = xsr_chan_offset(ch);
    return r;
}

void xsr_reader_free(struct xsr_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}

void xsr_reader_set_order(struct xsr_reader *r, enum xsr_byte_order o)
{
    if (r)
        r->order = o;
}

enum xsr_byte_order xsr_reader_order(const struct xsr_reader *r)
{
    return r ? r->order : XSR_LITTLE_ENDIAN;
}

struct xsr_chan *xsr_reader_chan(const struct xsr_reader *r)
{
    return r ? r->ch : NULL;
}

uint64_t xsr_reader_offset(const struct xsr_reader *r)
{
    return r ? r->offset : 0;
}

size_t xsri_reader_buffer_capacity(const struct xsr_reader *r)
{
    return r ? r->cap : 0;
}

const uint8_t *xsri_reader_rhdr(const struct xsr_reader *r)
{
    return r->rhdr_at;
}

bool xsri_reader_failed_type(const struct xsr_reader *r, uint32_t *type)
{
    if (r->failed_has_type && type)
        *type = r->failed_type;
    return r->failed_has_type;
}

/* Grow the body buffer to exactly n bytes if it is smaller. */
static int ensure_cap(struct xsr_reader *r, size_t n, struct xsr_error *err)
{
    if (n <= r->cap)
        return 0;
    uint8_t *p = realloc(r->buf, n);
    if (!p)
        return xsr_error_set(err, XSR_ENOMEM, "cannot allocate %zu bytes for a record", n);
    r->buf = p;
    r->cap = n;
    return 0;
}

static int truncated(struct xsr_reader *r, uint64_t start, const char *what, size_t got, size_t n,
                     struct xsr_error *err)
{
    xsr_error_set(err, XSR_ETRUNC,
                     "the input ended inside %s starting at offset %#" PRIx64
                     " (%zu bytes): %zu of them missing",
                     what, start, n, n - got);
    xsr_error_locate(err, start, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
    return XSR_ETRUNC;
}

/* Locate an error of the channel at the structure being read. */
static int chan_failed(int rc, uint64_t start, struct xsr_error *err)
{
    if (err) {
        err->offset = XSR_NO_OFFSET;
        xsr_error_locate(err, start, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
    }
    return rc;
}

/*
 * Consume n bytes: a view on viewable channels, else a copy into dst (which
 * has room for n).  On truncation the bytes that were there are consumed.
 */
static int consume(struct xsr_reader *r, size_t n, uint8_t *dst, const char *what,
                   const uint8_t **out, struct xsr_error *err)
{
    uint64_t start = r->offset;
    if (r->can_view) {
        const uint8_t *p;
        size_t avail;
        int rc = xsr_chan_peek(r->ch, n, &p, &avail, err);
        if (rc < 0)
            return chan_failed(rc, start, err);
        if (avail < n) {
            (void)xsr_chan_skip(r->ch, avail, NULL);
            r->offset += avail;
            return truncated(r, start, what, avail, n, err);
        }
        rc = xsr_chan_view(r->ch, n, out, err);
        if (rc < 0)
            return chan_failed(rc, start, err);
        r->offset += n;
        return 0;
    }
    size_t from_la = r->la_len < n ? r->la_len : n;
    if (from_la) {
        memcpy(dst, r->la + r->la_pos, from_la);
        r->la_pos += from_la;
        r->la_len -= from_la;
        r->offset += from_la;
    }
    size_t got = 0;
    int rc = 0;
    if (n > from_la) {
        struct xsr_error cerr;
        xsr_error_clear(&cerr);
        rc = xsr_chan_read(r->ch, dst + from_la, n - from_la, &got, &cerr);
        r->offset += got;
        if (rc == XSR_ETRUNC)
            return truncated(r, start, what, from_la + got, n, err);
        if (rc < 0) {
            if (err)
                *err = cerr;
            return chan_failed(rc, start, err);
        }
    }
    *out = dst ? dst : no_bytes; /* no buffer yet: an empty read */
    return 0;
}

int xsri_reader_peek(struct xsr_reader *r, size_t n, const uint8_t **view, size_t *avail,
                     struct xsr_error *err)
{
    *avail = 0;
    if (n > XSRI_LOOKAHEAD_MAX)
        return xsr_error_set(err, XSR_EINVAL, "cannot look %zu bytes ahead (at most %u)", n,
                                XSRI_LOOKAHEAD_MAX);
    if (r->can_view) {
        int rc = xsr_chan_peek(r->ch, n, view, avail, err);
        return rc < 0 ? chan_failed(rc, r->offset, err) : 0;
    }
    if (r->la_len < n) {
        memmove(r->la, r->la + r->la_pos, r->la_len);
        r->la_pos = 0;
        size_t got = 0;
        struct xsr_error cerr;
        xsr_error_clear(&cerr);
        int rc = xsr_chan_read(r->ch, r->la + r->la_len, n - r->la_len, &got, &cerr);
        r->la_len += got;
        if (rc < 0 && rc != XSR_ETRUNC) {
            if (err)
                *err = cerr;
            return chan_failed(rc, r->offset + r->la_len, err);
        }
    }
    *view = r->la + r->la_pos;
    *avail = r->la_len < n ? r->la_len : n;
    return 0;
}

int xsri_reader_take(struct xsr_reader *r, size_t n, const char *what, const uint8_t **view,
                     struct xsr_error *err)
{
    if (!r->can_view) {
        int rc = ensure_cap(r, n, err);
        if (rc < 0)
            return rc;
    }
    return consume(r, n, r->buf, what, view, err);
}

int xsri_reader_take_upto(struct xsr_reader *r, size_t max, const uint8_t **view, size_t *got,
                          struct xsr_error *err)
{
    *got = 0;
    if (max == 0)
        return 0;
    if (r->can_view) {
        size_t avail;
        const uint8_t *p;
        int rc = xsr_chan_peek(r->ch, max, &p, &avail, err);
        if (rc < 0)
            return chan_failed(rc, r->offset, err);
        if (avail == 0)
            return 0;
        rc = consume(r, avail, NULL, "data", view, err);
        if (rc == 0)
            *got = avail;
        return rc;
    }
    int rc = ensure_cap(r, max, err);
    if (rc < 0)
        return rc;
    size_t n = r->la_len < max ? r->la_len : max;
    memcpy(r->buf, r->la + r->la_pos, n);
    r->la_pos += n;
    r->la_len -= n;
    r->offset += n;
    if (n < max) {
        size_t more = 0;
        struct xsr_error cerr;
        xsr_error_clear(&cerr);
        rc = xsr_chan_read(r->ch, r->buf + n, max - n, &more, &cerr);
        r->offset += more;
        n += more;
        if (rc < 0 && rc != XSR_ETRUNC) {
            if (err)
                *err = cerr;
            return chan_failed(rc, r->offset, err);
        }
    }
    *view = r->buf;
    *got = n;
    return 0;
}

int xsri_reader_fixed(struct xsr_reader *r, size_t n, const char *what, const uint8_t **view,
                      struct xsr_error *err)
{
    if (!r || !view)
        return xsr_error_set(err, XSR_EINVAL, "xsr_reader_fixed needs a reader and a view pointer");
    if (n > XSRI_FIXED_MAX)
        return xsr_error_set(err, XSR_EINVAL, "a fixed header of %zu bytes is larger than %u",
                                n, XSRI_FIXED_MAX);
    return consume(r, n, r->fixed, what, view, err);
}

int xsr_reader_fixed(struct xsr_reader *r, size_t n, const uint8_t **view, struct xsr_error *err)
{
    return xsri_reader_fixed(r, n, "a header", view, err);
}

int xsr_reader_blob(struct xsr_reader *r, size_t n, const uint8_t **view, struct xsr_error *err)
{
    if (!r || !view)
        return xsr_error_set(err, XSR_EINVAL, "xsr_reader_blob needs a reader and a view pointer");
    if (n > r->max_record) {
        xsr_error_set(err, XSR_ELIMIT, "a block of %zu bytes at offset %#" PRIx64
                         " is larger than the limit of %" PRIu32 " bytes",
                         n, r->offset, r->max_record);
        xsr_error_locate(err, r->offset, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
        return XSR_ELIMIT;
    }
    return xsri_reader_take(r, n, "a block of data", view, err);
}

int xsr_reader_record(struct xsr_reader *r, struct xsr_record *rec, struct xsr_error *err)
{
    if (!r || !rec)
        return xsr_error_set(err, XSR_EINVAL, "xsr_reader_record needs a reader and a record");
    r->failed_has_type = false;
    r->rhdr_at = NULL;
    uint64_t start = r->offset;
    const uint8_t *h;
    size_t avail;
    int rc = xsri_reader_peek(r, XSR_RHDR_SIZE, &h, &avail, err);
    if (rc < 0)
        return rc;
    if (avail == 0)
        return 1; /* clean end of input between records */
    rc = consume(r, XSR_RHDR_SIZE, r->rhdr, "a record header", &h, err);
    if (rc < 0)
        return rc;
    r->rhdr_at = h;
    struct xsr_rhdr rh;
    xsr_rhdr_decode(h, r->order, &rh);
    r->failed_has_type = true;
    r->failed_type = rh.type;
    if (rh.length > r->max_record) {
        xsr_error_set(err, XSR_ELIMIT,
                         "the record of type %#" PRIx32 " at offset %#" PRIx64 " has a length of %"
                         PRIu32 " bytes, above the limit of %" PRIu32 " bytes",
                         rh.type, start, rh.length, r->max_record);
        xsr_error_locate(err, start, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
        return XSR_ELIMIT;
    }
    size_t padded = (size_t)xsr_rec_padded(rh.length);
    const uint8_t *body = no_bytes;
    if (padded) {
        char what[96];
        snprintf(what, sizeof(what), "the body of a record of type %#" PRIx32, rh.type);
        if (!r->can_view) {
            rc = ensure_cap(r, padded, err);
            if (rc < 0)
                return rc;
        }
        rc = consume(r, padded, r->buf, what, &body, err);
        if (rc < 0) {
            if (err && rc == XSR_ETRUNC)
                err->offset = start;
            return rc;
        }
    }
    r->failed_has_type = false;
    rec->type = rh.type;
    rec->length = rh.length;
    rec->body = body;
    rec->padding = body + rh.length;
    rec->offset = start;
    rec->skipped = 0;
    return 0;
}

/* Pass over rest bytes of the current record in the channel (what was
 * looked ahead goes first); what says what they are in a truncation. */
static int skip_rest(struct xsr_reader *r, uint64_t rest, const char *what, struct xsr_error *err)
{
    int rc = 0;
    if (r->la_len) {
        size_t n = r->la_len < rest ? r->la_len : (size_t)rest;
        r->la_pos += n;
        r->la_len -= n;
        r->offset += n;
        rest -= n;
    }
    if (rest) {
        uint64_t at = r->offset;
        struct xsr_chan *ch = r->ch;
        uint64_t before = xsr_chan_offset(ch);
        rc = xsr_chan_skip(ch, rest, err);
        r->offset += xsr_chan_offset(ch) - before;
        if (rc == XSR_ETRUNC)
            rc = truncated(r, at, what, (size_t)(r->offset - at), (size_t)rest, err);
        else if (rc < 0)
            rc = chan_failed(rc, at, err);
    }
    return rc;
}

/* A skimmed record: the first keep bytes of its body were read into buf,
 * the rest is passed over in the channel and the padding read after them,
 * for the checker to see that it is zero.  A truncation is located where
 * the record starts, as a full read says. */
static int skim_finish(struct xsr_reader *r, struct xsr_record *rec, uint64_t start, uint32_t type,
                       uint32_t length, size_t keep, const char *what, struct xsr_error *err)
{
    size_t pad = (size_t)(xsr_rec_padded(length) - length);
    const uint8_t *p = NULL;
    int rc = skip_rest(r, length - keep, what, err);
    if (rc == 0 && pad)
        rc = ensure_cap(r, keep + pad, err);
    if (rc == 0 && pad)
        rc = consume(r, pad, r->buf + keep, "the padding of a record", &p, err);
    if (rc < 0) {
        if (err && rc == XSR_ETRUNC)
            err->offset = start;
        return rc;
    }
    r->failed_has_type = false;
    rec->type = type;
    rec->length = length;
    rec->body = r->buf;
    rec->padding = p;
    rec->offset = start;
    rec->skipped = length - (uint32_t)keep;
    return 0;
}

/* The body of a PAGE_DATA record whose pages are passed over: its header and
 * pfn words are read, the rest (and the padding) skipped in the channel. */
static int page_data_skim(struct xsr_reader *r, struct xsr_record *rec, uint64_t start,
                          uint32_t length, struct xsr_error *err)
{
    const uint8_t *p;
    size_t keep = length < XSR_PAGE_DATA_HDR_SIZE ? length : XSR_PAGE_DATA_HDR_SIZE;
    int rc = ensure_cap(r, XSR_PAGE_DATA_HDR_SIZE, err);
    if (rc == 0)
        rc = consume(r, keep, r->buf, "the body of a PAGE_DATA record", &p, err);
    if (rc == 0 && keep == XSR_PAGE_DATA_HDR_SIZE) {
        uint64_t words = XSR_PAGE_DATA_HDR_SIZE + 8ull * xsr_ld32(r->buf, r->order);
        size_t more = (size_t)(words < length ? words : length) - keep;
        rc = ensure_cap(r, keep + more, err);
        if (rc == 0)
            rc = consume(r, more, r->buf + keep, "the pfn words of a PAGE_DATA record", &p, err);
        keep += more;
    }
    if (rc < 0) {
        if (err && rc == XSR_ETRUNC)
            err->offset = start;
        return rc;
    }
    return skim_finish(r, rec, start, XSR_REC_PAGE_DATA, length, keep, "the pages of a PAGE_DATA record",
                       err);
}

int xsri_reader_record_skim(struct xsr_reader *r, struct xsr_record *rec, struct xsr_error *err)
{
    if (!r || !rec)
        return xsr_error_set(err, XSR_EINVAL, "xsri_reader_record_skim needs a reader and a record");
    if (r->can_view) /* views cost nothing: read as usual */
        return xsr_reader_record(r, rec, err);
    r->failed_has_type = false;
    r->rhdr_at = NULL;
    uint64_t start = r->offset;
    const uint8_t *h;
    size_t avail;
    int rc = xsri_reader_peek(r, XSR_RHDR_SIZE, &h, &avail, err);
    if (rc < 0)
        return rc;
    if (avail == 0)
        return 1;
    struct xsr_rhdr rh;
    xsr_rhdr_decode(h, r->order, &rh);
    /* an optional record no one knows is passed over whole; anything else,
     * and a length no valid PAGE_DATA has (its padding is then checked), is
     * read as usual; the reader says what is wrong */
    bool unknown = (rh.type & XSR_REC_OPTIONAL) && !xsr_rec_info(rh.type);
    if (avail < XSR_RHDR_SIZE || rh.length > r->max_record ||
        (!unknown && (rh.type != XSR_REC_PAGE_DATA || rh.length % 8)))
        return xsr_reader_record(r, rec, err);
    rc = consume(r, XSR_RHDR_SIZE, r->rhdr, "a record header", &h, err);
    if (rc < 0)
        return rc;
    r->rhdr_at = h;
    r->failed_has_type = true;
    r->failed_type = rh.type;
    /* an optional record of a type no table knows is of no use to any
     * reader: its whole body is passed over */
    return unknown ? skim_finish(r, rec, start, rh.type, rh.length, 0, "an optional record", err)
                   : page_data_skim(r, rec, start, rh.length, err);
}

int xsr_reader_at_eof(struct xsr_reader *r, struct xsr_error *err)
{
    if (!r)
        return xsr_error_set(err, XSR_EINVAL, "xsr_reader_at_eof needs a reader");
    const uint8_t *p;
    size_t avail;
    int rc = xsri_reader_peek(r, 1, &p, &avail, err);
    if (rc < 0)
        return rc;
    return avail == 0 ? 1 : 0;
}
