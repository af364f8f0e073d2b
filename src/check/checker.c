/* SPDX-License-Identifier: MIT */
/* Checker lifecycle, event dispatch, end of stream, and xsr_verify. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"
#include "walk.h"
#include "util/opts.h"

struct xsr_checker {
    struct xsri_checker c;
};

struct xsr_checker *xsr_checker_new(const struct xsr_check_opts *opts, struct xsr_error *err)
{
    struct xsr_checker *k = calloc(1, sizeof(*k));
    if (!k) {
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate %zu bytes for the checker", sizeof(*k));
        return NULL;
    }
    if (xsri_opts_load(&k->c.opts, sizeof(k->c.opts), opts, sizeof(k->c.opts), "xsr_check_opts",
                       err) < 0) {
        free(k);
        return NULL;
    }
    k->c.sum.size = sizeof(k->c.sum);
    k->c.sum.format = XSR_LAYER_NONE;
    k->c.loc.offset = XSR_NO_OFFSET;
    k->c.loc.index = XSR_NO_INDEX;
    return k;
}

void xsr_checker_free(struct xsr_checker *k)
{
    if (!k)
        return;
    free(k->c.scratch);
    free(k);
}

const struct xsr_check_summary *xsr_checker_summary(const struct xsr_checker *k)
{
    return &k->c.sum;
}

/* Bytes an event covers, so the summary knows how far the walk got. */
static uint64_t event_size(const struct xsr_event *ev)
{
    switch (ev->kind) {
    case XSR_EV_RECORD:
    case XSR_EV_LIBXL_RECORD:
        return XSR_RHDR_SIZE + xsr_rec_padded(ev->u.rec.length);
    case XSR_EV_LEGACY:
        return 0;
    default:
        return ev->raw_len;
    }
}

static void note_trailing(struct xsri_checker *c, const struct xsr_event *ev)
{
    /* The walker may hand long trailing data over in pieces: one finding
     * for all of it, at the end. */
    if (!c->trailing_bytes)
        c->trailing_offset = ev->offset;
    c->trailing_bytes += ev->raw_len;
}

int xsr_checker_event(struct xsr_checker *k, const struct xsr_event *ev, struct xsr_error *err)
{
    if (!k || !ev)
        return xsr_error_set(err, XSR_EINVAL, "xsr_checker_event needs a checker and an event");
    struct xsri_checker *c = &k->c;
    if (c->finished)
        return xsr_error_set(err, XSR_ESTATE, "the checker has already finished this stream");

    xsri_loc_event(c, ev);
    if (!c->seen_first) {
        c->seen_first = true;
        c->sum.format = ev->kind == XSR_EV_LEGACY ? XSR_LAYER_LEGACY : ev->layer;
    }
    uint64_t end = ev->offset + event_size(ev);
    if (end > c->sum.bytes)
        c->sum.bytes = end;

    switch (ev->kind) {
    case XSR_EV_XL_HEADER:
        xsri_check_xl_header(c, ev);
        break;
    case XSR_EV_LIBXL_HEADER:
        xsri_check_libxl_header(c, ev);
        break;
    case XSR_EV_LIBXL_RECORD:
        c->sum.libxl_records++;
        xsri_check_libxl_record(c, ev);
        break;
    case XSR_EV_IMAGE_HEADER:
        xsri_check_ihdr(c, ev);
        break;
    case XSR_EV_DOMAIN_HEADER:
        xsri_check_dhdr(c, ev);
        break;
    case XSR_EV_RECORD: {
        int rc = xsri_check_record(c, ev);
        if (rc < 0) {
            xsr_error_set(err, rc, "%s at offset 0x%" PRIx64 ": cannot allocate memory to check it",
                          c->loc.what, ev->offset);
            xsr_error_locate(err, ev->offset, ev->layer, ev->index, ev->u.rec.type);
            return rc;
        }
        break;
    }
    case XSR_EV_LEGACY:
        c->legacy_seen = true;
        xsri_report(c, XSRI_R_STREAM_LEGACY,
                    "no migration v2 stream starts here: this is a legacy (pre-v2) stream "
                    "or not a save image at all, and cannot be verified as it is "
                    "('xsr convert-legacy' reads and checks legacy images)");
        break;
    case XSR_EV_TRAILING:
        note_trailing(c, ev);
        break;
    }
    return 0;
}

/* Failures of the walk that say nothing about the stream's validity. */
static bool is_operational(int code)
{
    return code == XSR_EIO || code == XSR_ENOMEM || code == XSR_EINVAL || code == XSR_ESTATE ||
           code == XSR_EFAULT;
}

static void report_walk_error(struct xsri_checker *c, int walk_rc, const struct xsr_error *we)
{
    enum xsri_rule r = walk_rc == XSR_ETRUNC ? XSRI_R_STREAM_TRUNCATED : XSRI_R_STREAM_FRAMING;
    uint64_t off = we && we->offset != XSR_NO_OFFSET ? we->offset : c->sum.bytes;

    xsri_loc_end(c);
    c->loc.offset = off;
    if (we) {
        c->loc.layer = we->layer;
        c->loc.index = we->record_index;
        c->loc.type = we->record_index != XSR_NO_INDEX ? we->record_type : 0;
    }
    snprintf(c->loc.what, sizeof(c->loc.what), "%s%s",
             c->loc.layer != XSR_LAYER_NONE ? xsr_layer_name(c->loc.layer) : "",
             c->loc.layer != XSR_LAYER_NONE ? " stream" : "stream");
    const char *m = we && we->message[0] ? we->message : xsr_strerror(walk_rc);
    xsri_report(c, r, "%s", m);
}

int xsr_checker_finish(struct xsr_checker *k, int walk_rc, const struct xsr_error *walk_err,
                       struct xsr_error *err)
{
    if (!k)
        return xsr_error_set(err, XSR_EINVAL, "xsr_checker_finish needs a checker");
    struct xsri_checker *c = &k->c;
    if (c->finished)
        return xsr_error_set(err, XSR_ESTATE, "the checker has already finished this stream");
    c->finished = true;

    if (walk_rc < 0 && is_operational(walk_rc)) {
        if (err && walk_err)
            *err = *walk_err;
        else
            xsr_error_set(err, walk_rc, "the stream could not be read: %s",
                          xsr_strerror(walk_rc));
        return walk_rc;
    }

    bool clean = walk_rc >= 0;
    if (!clean) {
        /* No event: the walk failed in the first header, whose layer is
         * the outermost one (NONE if the format was not recognised). */
        if (!c->seen_first && walk_err)
            c->sum.format = walk_err->layer;
        report_walk_error(c, walk_rc, walk_err);
    } else if (!c->seen_first) {
        xsri_loc_end(c);
        xsri_report(c, XSRI_R_STREAM_TRUNCATED, "the input is empty");
    }

    if (c->trailing_bytes) {
        xsri_loc_end(c);
        c->loc.offset = c->trailing_offset;
        snprintf(c->loc.what, sizeof(c->loc.what), "trailing data");
        xsri_report(c, XSRI_R_STREAM_TRAILING,
                    "%" PRIu64 " byte%s follow the end of the %s stream", c->trailing_bytes,
                    c->trailing_bytes == 1 ? "" : "s", xsr_layer_name(c->sum.format));
    }

    xsri_loc_end(c);
    xsri_libxc_finish(c, clean);
    xsri_report_suppressed(c);

    uint32_t n = 0;
    for (size_t i = 0; i < XSR_VCPU_MAX / 64; i++)
        n += (uint32_t)__builtin_popcountll(c->vcpu_bitmap[i]);
    c->sum.vcpus = n;
    c->sum.complete = clean && c->seen_first && !c->legacy_seen;
    return 0;
}

int xsr_verify(struct xsr_chan *ch, enum xsr_layer format, const struct xsr_check_opts *opts,
               struct xsr_check_summary *summary, struct xsr_error *err)
{
    /* any caller's count of record types: at least the members before the array */
    if (summary && xsri_opts_check(summary->size, sizeof(*summary),
                                   offsetof(struct xsr_check_summary, bytes_by_type),
                                   "xsr_check_summary", err) < 0)
        return XSR_EINVAL;
    struct xsr_walker_opts wo = XSR_WALKER_OPTS_INIT;
    struct xsri_check_walk k;
    struct xsr_event ev;
    int rc;

    wo.format = format;
    wo.skip_page_data = true; /* no rule reads the pages themselves */
    rc = xsri_check_walk_start(&k, ch, &wo, opts, err);
    if (rc < 0)
        goto out;
    while ((rc = xsri_check_walk_next(&k, &ev, err)) == 1)
        ;
    if (rc < 0)
        goto out;
    rc = xsri_check_walk_finish(&k, err);
    if (rc < 0)
        goto out;
    rc = xsri_check_walk_summary(&k)->errors ? 1 : 0;
out:
    if (summary && k.c)
        memcpy(summary, xsri_check_walk_summary(&k), summary->size); /* the caller's layout */
    xsri_check_walk_free(&k);
    return rc;
}
