/* SPDX-License-Identifier: MIT */
/*
 * Walker: follows a save image through its layers and yields one event per
 * header or record.  It enforces only what is needed to find the next
 * structure (framing); everything else is passed on for the checker.
 *
 *   xl header --STREAMv2--> libxl header, libxl records
 *             (otherwise a legacy stream follows: reported, not walked)
 *   libxl LIBXC_CONTEXT --> image header, domain header, libxc records
 *   libxc END / CHECKPOINT --> back to libxl records
 *   libxl CHECKPOINT_END (after a libxc CHECKPOINT) --> libxc records again
 *   libxl END, or END of a bare libxc stream --> end; later bytes are trailing
 *   (or, with stop_at_end, left unread: a socket's peer may keep it open)
 *
 * A bare libxc stream has no libxl layer to return to: its CHECKPOINT records
 * are followed directly by more libxc records.  A LIBXC_CONTEXT after the
 * libxc END starts a new libxc stream (headers again); libxc record indexes
 * keep counting across checkpoints and such restarts.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "reader_internal.h"
#include "util/opts.h"

#define DETECT_BYTES 32u
#define TRAILING_CHUNK_DEFAULT (64u * 1024u)
/* The first layout of struct xsr_walker_opts ended after trailing_chunk. */
#define OPTS_MIN_SIZE offsetof(struct xsr_walker_opts, stop_at_end)

enum wstate {
    W_DETECT,
    W_XL_HDR,
    W_LEGACY,
    W_LIBXL_HDR,
    W_LIBXL_REC,
    W_IHDR,
    W_DHDR,
    W_LIBXC_REC,
    W_END,
    W_TRAILING,
    W_DONE,
    W_FAILED,
};

/* Where the libxc stream inside a libxl stream stands. */
enum libxc_phase {
    LIBXC_NOT_STARTED,
    LIBXC_RUNNING,
    LIBXC_PAUSED, /* at a CHECKPOINT: libxl records, then CHECKPOINT_END */
    LIBXC_ENDED,
};

struct xsr_walker {
    struct xsr_reader *r;
    enum xsr_layer forced;
    enum xsr_layer format; /* outermost layer, once known */
    enum wstate st;
    enum libxc_phase phase;
    int64_t libxl_idx, libxc_idx;
    enum xsr_byte_order libxl_order, libxc_order, outer_order;
    size_t trailing_chunk;
    uint32_t max_record;
    bool stop_at_end;
    bool skip_page_data;
};

struct xsr_walker *xsr_walker_new(struct xsr_chan *ch, const struct xsr_walker_opts *opts,
                                  struct xsr_error *err)
{
    struct xsr_walker_opts o;
    if (xsri_opts_load(&o, sizeof(o), opts, OPTS_MIN_SIZE, "xsr_walker_opts", err) < 0)
        return NULL;
    switch (o.format) {
    case XSR_LAYER_NONE: case XSR_LAYER_XL: case XSR_LAYER_LIBXL:
    case XSR_LAYER_LIBXC: case XSR_LAYER_LEGACY:
        break;
    default:
        xsr_error_set(err, XSR_EINVAL, "unknown stream format %d", (int)o.format);
        return NULL;
    }
    struct xsr_walker *w = calloc(1, sizeof(*w));
    if (!w) {
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a stream walker");
        return NULL;
    }
    w->r = xsr_reader_new(ch, o.max_record, err);
    if (!w->r) {
        free(w);
        return NULL;
    }
    w->forced = o.format;
    w->stop_at_end = o.stop_at_end;
    w->skip_page_data = o.skip_page_data;
    w->max_record = o.max_record ? o.max_record : XSR_REC_LENGTH_MAX;
    w->trailing_chunk = o.trailing_chunk ? o.trailing_chunk : TRAILING_CHUNK_DEFAULT;
    if (w->trailing_chunk > XSR_REC_LENGTH_MAX)
        w->trailing_chunk = XSR_REC_LENGTH_MAX;
    w->st = W_DETECT;
    return w;
}

void xsr_walker_free(struct xsr_walker *w)
{
    if (!w)
        return;
    xsr_reader_free(w->r);
    free(w);
}

enum xsr_layer xsr_walker_format(const struct xsr_walker *w)
{
    return w ? w->format : XSR_LAYER_NONE;
}

struct xsr_reader *xsr_walker_reader(struct xsr_walker *w)
{
    return w ? w->r : NULL;
}

static void ev_init(struct xsr_event *ev, enum xsr_event_kind kind, enum xsr_layer layer,
                    uint64_t offset, enum xsr_byte_order order)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->layer = layer;
    ev->offset = offset;
    ev->index = XSR_NO_INDEX;
    ev->order = order;
}

static int fail_at(struct xsr_error *err, int rc, uint64_t offset, enum xsr_layer layer)
{
    xsr_error_locate(err, offset, layer, XSR_NO_INDEX, 0);
    return rc;
}

static int step_detect(struct xsr_walker *w, struct xsr_error *err)
{
    uint64_t start = xsr_reader_offset(w->r);
    const uint8_t *p;
    size_t avail;
    int rc = xsri_reader_peek(w->r, DETECT_BYTES, &p, &avail, err);
    if (rc < 0)
        return rc;
    enum xsr_layer layer = w->forced ? w->forced : xsr_detect(p, avail);
    if (layer == XSR_LAYER_NONE) {
        if (avail == 0)
            rc = xsr_error_set(err, XSR_ETRUNC, "the input is empty");
        else if (avail < DETECT_BYTES)
            rc = xsr_error_set(err, XSR_ETRUNC,
                                  "the input ends after %zu bytes, too few to recognise its format",
                                  avail);
        else
            rc = xsr_error_set(err, XSR_EFORMAT,
                               "not a Xen save image: it starts with no xl, libxl, libxc or legacy header");
        return fail_at(err, rc, start, XSR_LAYER_NONE);
    }
    w->format = layer;
    switch (layer) {
    case XSR_LAYER_XL: w->st = W_XL_HDR; break;
    case XSR_LAYER_LIBXL: w->st = W_LIBXL_HDR; break;
    case XSR_LAYER_LIBXC: w->st = W_IHDR; break;
    default: w->st = W_LEGACY; break;
    }
    return 0;
}

static int step_xl(struct xsr_walker *w, struct xsr_event *ev, struct xsr_error *err)
{
    uint64_t start = xsr_reader_offset(w->r);
    const uint8_t *p;
    size_t avail;
    int rc = xsri_reader_peek(w->r, XSR_XL_HDR_SIZE, &p, &avail, err);
    if (rc < 0)
        return fail_at(err, rc, start, XSR_LAYER_XL);
    if (avail < XSR_XL_HDR_SIZE) {
        rc = xsri_reader_take(w->r, XSR_XL_HDR_SIZE, "the xl header", &p, err);
        return fail_at(err, rc < 0 ? rc : XSR_ETRUNC, start, XSR_LAYER_XL);
    }
    struct xsr_xl_hdr h;
    struct xsr_error derr;
    xsr_error_clear(&derr);
    rc = xsr_xl_hdr_decode(p, &h, &derr);
    if (rc < 0) {
        xsr_error_set(err, rc, "%s", derr.message);
        return fail_at(err, rc, start, XSR_LAYER_XL);
    }
    if (h.optional_data_len > w->max_record) {
        xsr_error_set(err, XSR_ELIMIT,
                         "the xl header announces %" PRIu32
                         " bytes of optional data, above the limit of %" PRIu32 " bytes",
                         h.optional_data_len, w->max_record);
        return fail_at(err, XSR_ELIMIT, start, XSR_LAYER_XL);
    }
    size_t n = XSR_XL_HDR_SIZE + (size_t)h.optional_data_len;
    rc = xsri_reader_take(w->r, n, "the xl header and its optional data", &p, err);
    if (rc < 0)
        return fail_at(err, rc, start, XSR_LAYER_XL);
    ev_init(ev, XSR_EV_XL_HEADER, XSR_LAYER_XL, start, h.order);
    ev->raw = p;
    ev->raw_len = n;
    ev->u.xl.hdr = h;
    ev->u.xl.optional_data = p + XSR_XL_HDR_SIZE;
    w->outer_order = h.order;
    w->st = (h.mandatory_flags & XSR_XL_FLAG_STREAMV2) ? W_LIBXL_HDR : W_LEGACY;
    return 1;
}

static int step_libxl_hdr(struct xsr_walker *w, struct xsr_event *ev, struct xsr_error *err)
{
    uint64_t start = xsr_reader_offset(w->r);
    const uint8_t *p;
    int rc = xsri_reader_fixed(w->r, XSR_LIBXL_HDR_SIZE, "the libxl header", &p, err);
    if (rc < 0)
        return fail_at(err, rc, start, XSR_LAYER_LIBXL);
    struct xsr_libxl_hdr h;
    xsr_libxl_hdr_decode(p, &h);
    if (h.ident != XSR_LIBXL_IDENT) {
        xsr_error_set(err, XSR_EFORMAT,
                         "the libxl header at offset %#" PRIx64 " has ident %#018" PRIx64
                         " instead of %#018" PRIx64 " (\"LibxlFmt\")",
                         start, h.ident, (uint64_t)XSR_LIBXL_IDENT);
        return fail_at(err, XSR_EFORMAT, start, XSR_LAYER_LIBXL);
    }
    w->libxl_order = xsr_libxl_hdr_order(&h);
    if (w->format == XSR_LAYER_LIBXL)
        w->outer_order = w->libxl_order;
    ev_init(ev, XSR_EV_LIBXL_HEADER, XSR_LAYER_LIBXL, start, w->libxl_order);
    ev->raw = p;
    ev->raw_len = XSR_LIBXL_HDR_SIZE;
    ev->u.libxl_hdr = h;
    w->st = W_LIBXL_REC;
    return 1;
}

/* Read one record of a layer; rc 1 (end of input) becomes a truncation. */
static int read_record(struct xsr_walker *w, enum xsr_layer layer, int64_t index,
                       enum xsr_byte_order order, struct xsr_record *rec, struct xsr_error *err)
{
    uint64_t start = xsr_reader_offset(w->r);
    xsr_reader_set_order(w->r, order);
    int rc = w->skip_page_data && layer == XSR_LAYER_LIBXC ? xsri_reader_record_skim(w->r, rec, err)
                                                          : xsr_reader_record(w->r, rec, err);
    if (rc == 1) {
        xsr_error_set(err, XSR_ETRUNC,
                         "the input ended at offset %#" PRIx64 " after %" PRId64
                         " %s records, before the %s END record",
                         start, index, xsr_layer_name(layer), xsr_layer_name(layer));
        return fail_at(err, XSR_ETRUNC, start, layer);
    }
    if (rc < 0) {
        uint32_t type = 0;
        bool has_type = xsri_reader_failed_type(w->r, &type);
        xsr_error_locate(err, start, layer, has_type ? index : XSR_NO_INDEX, type);
        return rc;
    }
    return 0;
}

static void record_event(struct xsr_walker *w, struct xsr_event *ev, enum xsr_event_kind kind,
                         enum xsr_layer layer, int64_t index, enum xsr_byte_order order,
                         const struct xsr_record *rec)
{
    ev_init(ev, kind, layer, rec->offset, order);
    ev->index = index;
    ev->raw = xsri_reader_rhdr(w->r);
    ev->raw_len = XSR_RHDR_SIZE;
    ev->u.rec = *rec;
}

static int step_libxl_rec(struct xsr_walker *w, struct xsr_event *ev, struct xsr_error *err)
{
    struct xsr_record rec;
    int rc = read_record(w, XSR_LAYER_LIBXL, w->libxl_idx, w->libxl_order, &rec, err);
    if (rc < 0)
        return rc;
    record_event(w, ev, XSR_EV_LIBXL_RECORD, XSR_LAYER_LIBXL, w->libxl_idx++, w->libxl_order, &rec);
    switch (rec.type) {
    case XSR_LIBXL_REC_END:
        w->st = W_END;
        break;
    case XSR_LIBXL_REC_LIBXC_CONTEXT:
        /* A paused libxc stream resumes; otherwise a new one starts with its headers. */
        if (w->phase == LIBXC_PAUSED) {
            w->phase = LIBXC_RUNNING;
            w->st = W_LIBXC_REC;
        } else {
            w->st = W_IHDR;
        }
        break;
    case XSR_LIBXL_REC_CHECKPOINT_END:
        if (w->phase == LIBXC_PAUSED) {
            w->phase = LIBXC_RUNNING;
            w->st = W_LIBXC_REC;
        }
        break;
    default:
        break;
    }
    return 1;
}

static int step_ihdr(struct xsr_walker *w, struct xsr_event *ev, struct xsr_error *err)
{
    uint64_t start = xsr_reader_offset(w->r);
    const uint8_t *p;
    int rc = xsri_reader_fixed(w->r, XSR_IHDR_SIZE, "the libxc image header", &p, err);
    if (rc < 0)
        return fail_at(err, rc, start, XSR_LAYER_LIBXC);
    struct xsr_ihdr h;
    xsr_ihdr_decode(p, &h);
    if (h.marker != XSR_IHDR_MARKER || h.id != XSR_IHDR_ID) {
        xsr_error_set(err, XSR_EFORMAT,
                         "the libxc image header at offset %#" PRIx64 " has marker %#018" PRIx64
                         " and id %#010" PRIx32 " instead of %#018" PRIx64 " and %#010" PRIx32
                         " (\"XENF\")",
                         start, h.marker, h.id, (uint64_t)XSR_IHDR_MARKER, (uint32_t)XSR_IHDR_ID);
        return fail_at(err, XSR_EFORMAT, start, XSR_LAYER_LIBXC);
    }
    w->libxc_order = xsr_ihdr_order(&h);
    if (w->format == XSR_LAYER_LIBXC)
        w->outer_order = w->libxc_order;
    ev_init(ev, XSR_EV_IMAGE_HEADER, XSR_LAYER_LIBXC, start, w->libxc_order);
    ev->raw = p;
    ev->raw_len = XSR_IHDR_SIZE;
    ev->u.ihdr = h;
    w->phase = LIBXC_RUNNING;
    w->st = W_DHDR;
    return 1;
}

static int step_dhdr(struct xsr_walker *w, struct xsr_event *ev, struct xsr_error *err)
{
    uint64_t start = xsr_reader_offset(w->r);
    const uint8_t *p;
    int rc = xsri_reader_fixed(w->r, XSR_DHDR_SIZE, "the libxc domain header", &p, err);
    if (rc < 0)
        return fail_at(err, rc, start, XSR_LAYER_LIBXC);
    ev_init(ev, XSR_EV_DOMAIN_HEADER, XSR_LAYER_LIBXC, start, w->libxc_order);
    xsr_dhdr_decode(p, w->libxc_order, &ev->u.dhdr);
    ev->raw = p;
    ev->raw_len = XSR_DHDR_SIZE;
    w->st = W_LIBXC_REC;
    return 1;
}

static int step_libxc_rec(struct xsr_walker *w, struct xsr_event *ev, struct xsr_error *err)
{
    struct xsr_record rec;
    int rc = read_record(w, XSR_LAYER_LIBXC, w->libxc_idx, w->libxc_order, &rec, err);
    if (rc < 0)
        return rc;
    record_event(w, ev, XSR_EV_RECORD, XSR_LAYER_LIBXC, w->libxc_idx++, w->libxc_order, &rec);
    bool bare = w->format == XSR_LAYER_LIBXC;
    if (rec.type == XSR_REC_END) {
        w->phase = LIBXC_ENDED;
        w->st = bare ? W_END : W_LIBXL_REC;
    } else if (rec.type == XSR_REC_CHECKPOINT && !bare) {
        w->phase = LIBXC_PAUSED;
        w->st = W_LIBXL_REC;
    }
    return 1;
}

static int step_trailing(struct xsr_walker *w, struct xsr_event *ev, struct xsr_error *err)
{
    uint64_t start = xsr_reader_offset(w->r);
    const uint8_t *p = NULL;
    size_t got = 0;
    int rc = xsri_reader_take_upto(w->r, w->trailing_chunk, &p, &got, err);
    if (rc < 0)
        return fail_at(err, rc, start, w->format);
    if (got == 0) {
        w->st = W_DONE;
        return 0;
    }
    ev_init(ev, XSR_EV_TRAILING, w->format, start, w->outer_order);
    ev->raw = p;
    ev->raw_len = got;
    return 1;
}

static int step(struct xsr_walker *w, struct xsr_event *ev, struct xsr_error *err)
{
    for (;;) {
        int rc;
        switch (w->st) {
        case W_DETECT:
            rc = step_detect(w, err);
            if (rc < 0)
                return rc;
            continue;
        case W_XL_HDR:
            return step_xl(w, ev, err);
        case W_LEGACY:
            ev_init(ev, XSR_EV_LEGACY, XSR_LAYER_LEGACY, xsr_reader_offset(w->r), w->outer_order);
            w->st = W_DONE;
            return 1;
        case W_LIBXL_HDR:
            return step_libxl_hdr(w, ev, err);
        case W_LIBXL_REC:
            return step_libxl_rec(w, ev, err);
        case W_IHDR:
            return step_ihdr(w, ev, err);
        case W_DHDR:
            return step_dhdr(w, ev, err);
        case W_LIBXC_REC:
            return step_libxc_rec(w, ev, err);
        case W_END:
            if (w->stop_at_end) {
                w->st = W_DONE;
                return 0;
            }
            rc = xsr_reader_at_eof(w->r, err);
            if (rc < 0)
                return fail_at(err, rc, xsr_reader_offset(w->r), w->format);
            if (rc == 1) {
                w->st = W_DONE;
                return 0;
            }
            w->st = W_TRAILING;
            continue;
        case W_TRAILING:
            return step_trailing(w, ev, err);
        case W_DONE:
            return 0;
        case W_FAILED:
        default:
            return xsr_error_set(err, XSR_ESTATE,
                                    "the walk stopped at an earlier error and cannot go on");
        }
    }
}

int xsr_walker_next(struct xsr_walker *w, struct xsr_event *ev, struct xsr_error *err)
{
    if (!w || !ev)
        return xsr_error_set(err, XSR_EINVAL, "xsr_walker_next needs a walker and an event");
    int rc = step(w, ev, err);
    if (rc < 0)
        w->st = W_FAILED;
    return rc;
}
