/* SPDX-License-Identifier: MIT */
/*
 * Stream version conversion (2 <-> 3 <-> 4) of a whole save image, inside
 * any xl/libxl wrapping and across checkpoints.  Everything that does not
 * change is copied byte for byte; see xsr_convert_version() in convert.h
 * for what changes and where the new records go.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <xsr/check.h>
#include <xsr/stream.h>

#include "check/walk.h"
#include "convert_internal.h"
#include "util/opts.h"

#define BUFFER_DEFAULT (256u << 20)
#define PROGRESS_STEP (16u << 20)

struct vconv {
    const struct xsr_convert_opts *o;
    struct xsr_convert_info *info;
    struct xsr_error *err;
    struct xsr_writer *w;
    uint32_t from, to;
    enum xsr_byte_order order;   /* of the libxc stream */
    uint32_t dom_type;
    uint16_t xen_major, xen_minor;
    unsigned guest_width;        /* PV, from X86_PV_INFO */
    bool static_done;            /* STATIC_DATA_END seen or inserted */
    /* folding, per checkpoint */
    bool have_tsc, have_shinfo;
    uint8_t tsc[XSR_TSC_INFO_SIZE];
    uint8_t shinfo[XSR_SHARED_INFO_SIZE];
    uint64_t tsc_off, shinfo_off;
    bool context_done;           /* this checkpoint's DOMAIN_CONTEXT written */
    uint64_t seg_records;        /* records since the last CHECKPOINT */
    bool buffering;              /* holding records until the context is ready */
    uint8_t *held;
    size_t held_len, held_cap, held_max;
    uint64_t next_progress;
    bool input_error;            /* the input's first error is in first_error */
    struct xsr_error first_error;
};

static void on_finding(void *ctx, const struct xsr_finding *f)
{
    struct vconv *c = ctx;
    if (f->severity == XSR_SEV_ERROR && !c->input_error) {
        c->input_error = true;
        xsr_finding_error(f, NULL, &c->first_error);
    }
}

static int fail_at(struct vconv *c, const struct xsr_event *ev, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(struct vconv *c, const struct xsr_event *ev, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    xsr_error_vset(c->err, code, fmt, ap);
    va_end(ap);
    xsr_error_locate(c->err, ev->offset, ev->layer, ev->index,
                     ev->kind == XSR_EV_RECORD || ev->kind == XSR_EV_LIBXL_RECORD ? ev->u.rec.type : 0);
    return code;
}

static bool is_static(uint32_t type)
{
    const struct xsr_rec_info *ri = xsr_rec_info(type);
    return ri && ri->place == XSR_REC_PLACE_STATIC;
}

/* Records after which a v4 sender has written the DOMAIN_CONTEXT. */
static bool after_context(uint32_t type)
{
    const struct xsr_rec_info *ri = xsr_rec_info(type);
    return ri && ri->place == XSR_REC_PLACE_VCPU;
}

/* ------------------------------------------------------------- output */

static int hold(struct vconv *c, const struct xsr_event *ev)
{
    const struct xsr_record *r = &ev->u.rec;
    size_t need = XSR_RHDR_SIZE + (size_t)xsr_rec_padded(r->length);

    if (need > c->held_max - c->held_len)
        return fail_at(c, ev, XSR_ELIMIT,
                       "more than %zu bytes of records wait for the shared info and TSC info "
                       "of this checkpoint to be folded into a DOMAIN_CONTEXT", c->held_max);
    if (c->held_cap - c->held_len < need) {
        size_t cap = c->held_cap ? c->held_cap : 65536;
        while (cap - c->held_len < need)
            cap *= 2;
        uint8_t *p = realloc(c->held, cap);
        if (!p)
            return xsr_error_set(c->err, XSR_ENOMEM, "out of memory for held records");
        c->held = p;
        c->held_cap = cap;
    }
    uint8_t *d = c->held + c->held_len;
    if (ev->raw && ev->raw_len == XSR_RHDR_SIZE) {
        memcpy(d, ev->raw, XSR_RHDR_SIZE);
    } else {
        struct xsr_rhdr h = { r->type, r->length };
        xsr_rhdr_encode(&h, c->order, d);
    }
    if (r->length)
        memcpy(d + XSR_RHDR_SIZE, r->body, r->length);
    if (r->padding)
        memcpy(d + XSR_RHDR_SIZE + r->length, r->padding, xsr_rec_pad(r->length));
    else
        memset(d + XSR_RHDR_SIZE + r->length, 0, xsr_rec_pad(r->length));
    c->held_len += need;
    c->info->records_out++;
    return 0;
}

static int pass(struct vconv *c, const struct xsr_event *ev)
{
    if (ev->kind == XSR_EV_RECORD) {
        if (c->buffering)
            return hold(c, ev);
        c->info->records_out++;
    }
    return xsr_writer_event(c->w, ev, c->err);
}

static int new_record(struct vconv *c, uint32_t type, const void *body, uint32_t len)
{
    int rc = xsr_writer_record(c->w, type, body, len, c->err);
    if (rc == 0)
        c->info->records_out++;
    return rc;
}

/* -------------------------------------------------------------- folding */

static int write_context(struct vconv *c)
{
    struct xsr_domctx_parts p = { .xen_major = c->xen_major, .xen_minor = c->xen_minor };
    uint8_t blob[4 * XSR_DOMCTX_DESC_SIZE + XSR_DOMCTX_HEADER_SIZE + XSR_DOMCTX_SHINFO_HDR_SIZE +
                 XSR_DOMCTX_SHINFO_MAX + XSR_DOMCTX_TSC_SIZE];
    size_t len;
    int rc;

    if (c->have_shinfo) {
        p.has_shinfo = true;
        p.shinfo_flags = c->guest_width == 4 ? XSR_DOMCTX_SHINFO_32BIT : 0;
        p.shinfo = c->shinfo;
        p.shinfo_size = xsr_shinfo_size(c->guest_width);
    }
    if (c->have_tsc) {
        p.has_tsc = true;
        xsr_tsc_info_decode(c->tsc, c->order, &p.tsc);
    }
    rc = xsr_domctx_build(&p, c->order, blob, sizeof(blob), &len, c->err);
    if (rc == 0)
        rc = new_record(c, XSR_REC_DOMAIN_CONTEXT, blob, (uint32_t)len);
    if (rc == 0 && c->held_len)
        rc = xsr_writer_raw(c->w, c->held, c->held_len, c->err);
    c->held_len = 0;
    c->buffering = false;
    c->context_done = true;
    c->info->contexts_folded++;
    return rc;
}

static bool context_ready(const struct vconv *c)
{
    return c->have_tsc && (c->have_shinfo || c->dom_type != XSR_DOM_X86_PV);
}

static int fold(struct vconv *c, const struct xsr_event *ev)
{
    const struct xsr_record *r = &ev->u.rec;

    if (r->type == XSR_REC_X86_TSC_INFO || r->type == XSR_REC_SHARED_INFO) {
        bool tsc = r->type == XSR_REC_X86_TSC_INFO;
        uint32_t want = tsc ? XSR_TSC_INFO_SIZE : XSR_SHARED_INFO_SIZE;
        if (r->length != want)
            return fail_at(c, ev, XSR_EFORMAT, "%s record of %" PRIu32 " bytes, not %" PRIu32,
                           xsr_rec_type_name(r->type), r->length, want);
        /* A later copy replaces an earlier one (a restore applies both in
         * turn), but once the context is written it is too late. */
        if (c->context_done)
            return fail_at(c, ev, XSR_EUNSUP,
                           "a %s record after this checkpoint's vCPU/HVM records cannot be "
                           "folded into its DOMAIN_CONTEXT", xsr_rec_type_name(r->type));
        if (tsc) {
            memcpy(c->tsc, r->body, want);
            c->have_tsc = true;
            c->tsc_off = ev->offset;
        } else {
            if (c->dom_type != XSR_DOM_X86_PV)
                return fail_at(c, ev, XSR_EFORMAT, "SHARED_INFO record in an HVM stream");
            if (!xsri_shinfo_tail_zero(r->body, c->guest_width) && !c->o->allow_lossy)
                return fail_at(c, ev, XSR_EUNSUP,
                               "the SHARED_INFO page has non-zero bytes after its first %" PRIu32
                               " bytes (the shared_info structure of a %u-bit guest), which a "
                               "DOMAIN_CONTEXT cannot carry (--allow-lossy drops them)", xsr_shinfo_size(c->guest_width), c->guest_width * 8);
            memcpy(c->shinfo, r->body, want);
            c->have_shinfo = true;
            c->shinfo_off = ev->offset;
        }
        if (c->buffering && context_ready(c))
            return write_context(c);
        return 0;
    }
    /* verify lets it pass with a warning (version.record), but whether the
     * stream follows version 3's layout or 4's is then anybody's guess: a
     * conversion this converter does not do */
    if (r->type == XSR_REC_DOMAIN_CONTEXT)
        return fail_at(c, ev, XSR_EUNSUP, "DOMAIN_CONTEXT record in a version %" PRIu32 " stream: "
                       "it is not converted", c->from);
    if (!c->context_done && !c->buffering && after_context(r->type)) {
        if (context_ready(c)) {
            int rc = write_context(c);
            if (rc < 0)
                return rc;
        } else {
            c->buffering = true;
        }
    }
    return pass(c, ev);
}

/* ------------------------------------------------------------ splitting */

static int split(struct vconv *c, const struct xsr_event *ev)
{
    const struct xsr_record *r = &ev->u.rec;
    struct xsr_domctx_parts p;
    struct xsr_error e;
    int rc;

    xsr_error_clear(&e);
    rc = xsr_domctx_split(r->body, r->length, c->order, &p, &e);
    if (rc < 0)
        return fail_at(c, ev, rc, "DOMAIN_CONTEXT: %s", e.message);
    c->info->contexts_split++;
    if (p.has_tsc) {
        uint8_t b[XSR_TSC_INFO_SIZE];
        p.tsc.reserved = 0;
        xsr_tsc_info_encode(&p.tsc, c->order, b);
        rc = new_record(c, XSR_REC_X86_TSC_INFO, b, sizeof(b));
        if (rc < 0)
            return rc;
    }
    if (p.has_shinfo && c->dom_type == XSR_DOM_X86_PV) {
        uint8_t page[XSR_SHARED_INFO_SIZE];
        memset(page, 0, sizeof(page));
        memcpy(page, p.shinfo, p.shinfo_size);
        rc = new_record(c, XSR_REC_SHARED_INFO, page, sizeof(page));
    } else if (p.has_shinfo) {
        /* v3 HVM streams carry no shared info (Xen's restore never applied
         * it to HVM guests). */
        c->info->records_dropped++;
    }
    return rc;
}

/* --------------------------------------------------------------- events */

static int end_segment(struct vconv *c, const struct xsr_event *ev)
{
    int rc = 0;

    /* A checkpointed stream ends with an END right after its last
     * CHECKPOINT: that empty segment gets no DOMAIN_CONTEXT. */
    if (c->to >= 4 && c->from < 4 && !c->context_done && c->seg_records)
        rc = write_context(c);
    c->seg_records = 0;
    c->have_tsc = c->have_shinfo = false;
    c->context_done = false;
    c->buffering = false;
    if (ev->u.rec.type == XSR_REC_CHECKPOINT)
        c->info->checkpoints++;
    return rc ? rc : pass(c, ev);
}

static int record(struct vconv *c, const struct xsr_event *ev)
{
    const struct xsr_record *r = &ev->u.rec;
    int rc;

    c->info->records_in++;
    if (r->type != XSR_REC_END && r->type != XSR_REC_CHECKPOINT)
        c->seg_records++;
    if (c->from == c->to) {
        if (r->type == XSR_REC_CHECKPOINT)
            c->info->checkpoints++;
        return pass(c, ev);
    }
    if (r->type == XSR_REC_END || r->type == XSR_REC_CHECKPOINT) {
        if (!c->static_done && c->to >= 3) {
            rc = new_record(c, XSR_REC_STATIC_DATA_END, NULL, 0);
            c->static_done = true;
            c->info->static_data_end_inserted++;
            if (rc < 0)
                return rc;
        }
        return end_segment(c, ev);
    }
    if (r->type == XSR_REC_X86_PV_INFO && r->length == XSR_PV_INFO_SIZE) {
        struct xsr_pv_info v;
        xsr_pv_info_decode(r->body, c->order, &v);
        c->guest_width = v.guest_width == 4 ? 4 : 8;
    }
    /* Static data end: inserted (to v3+) or removed (to v2). */
    if (r->type == XSR_REC_STATIC_DATA_END) {
        c->static_done = true;
        if (c->to < 3) {
            c->info->static_data_end_removed++;
            return 0;
        }
        return pass(c, ev);
    }
    if (c->to < 3 && (r->type == XSR_REC_X86_CPUID_POLICY || r->type == XSR_REC_X86_MSR_POLICY)) {
        if (!c->o->allow_lossy)
            return fail_at(c, ev, XSR_EUNSUP,
                           "version 2 streams cannot carry the %s record (--allow-lossy "
                           "drops it; the restoring host then makes up a policy)",
                           xsr_rec_type_name(r->type));
        c->info->policies_dropped++;
        return 0;
    }
    if (!c->static_done && c->to >= 3 && !is_static(r->type)) {
        rc = new_record(c, XSR_REC_STATIC_DATA_END, NULL, 0);
        c->static_done = true;
        c->info->static_data_end_inserted++;
        if (rc < 0)
            return rc;
    }
    if (c->from >= 4 && c->to < 4 && r->type == XSR_REC_DOMAIN_CONTEXT)
        return split(c, ev);
    if (c->from < 4 && c->to >= 4)
        return fold(c, ev);
    return pass(c, ev);
}

static int image_header(struct vconv *c, const struct xsr_event *ev)
{
    uint8_t b[XSR_IHDR_SIZE];

    if (ev->raw_len != XSR_IHDR_SIZE)
        return fail_at(c, ev, XSR_EFORMAT, "image header of %zu bytes", ev->raw_len);
    c->from = ev->u.ihdr.version;
    if (c->from < XSR_VERSION_MIN || c->from > XSR_VERSION_MAX)
        return fail_at(c, ev, XSR_EUNSUP, "libxc stream version %" PRIu32 " (known: 2 to 4)",
                       c->from);
    c->order = xsr_ihdr_order(&ev->u.ihdr);
    c->info->from_version = c->from;
    c->static_done = c->from >= 3; /* v3+ streams have their own */
    memcpy(b, ev->raw, sizeof(b));
    xsr_st32(b + 12, c->to, XSR_BIG_ENDIAN);
    xsr_writer_set_order(c->w, c->order);
    return xsr_writer_raw(c->w, b, sizeof(b), c->err);
}

static int event(struct vconv *c, const struct xsr_event *ev)
{
    switch (ev->kind) {
    case XSR_EV_LEGACY:
        return fail_at(c, ev, XSR_EUNSUP,
                       "a legacy (pre-v2) stream starts at offset %#" PRIx64 ": convert it with "
                       "'xsr convert-legacy'", ev->offset);
    case XSR_EV_IMAGE_HEADER:
        return image_header(c, ev);
    case XSR_EV_DOMAIN_HEADER:
        c->dom_type = ev->u.dhdr.type;
        c->xen_major = (uint16_t)ev->u.dhdr.xen_major;
        c->xen_minor = (uint16_t)ev->u.dhdr.xen_minor;
        return pass(c, ev);
    case XSR_EV_RECORD:
        return record(c, ev);
    case XSR_EV_LIBXL_HEADER: {
        int rc = pass(c, ev);
        xsr_writer_set_order(c->w, c->order);
        return rc;
    }
    default:
        return pass(c, ev);
    }
}

static int input_refused(struct vconv *c, struct xsr_error *err)
{
    if (err)
        *err = c->first_error;
    return XSR_EFORMAT;
}

static int convert_version(struct xsr_chan *in, struct xsr_chan *out, const struct xsr_convert_opts *o,
                           struct xsr_convert_info *info, struct xsr_error *err)
{
    struct xsr_walker_opts wo = XSR_WALKER_OPTS_INIT;
    struct xsri_check_walk k = { 0 };
    struct xsr_event ev;
    struct vconv c;
    int rc;

    memset(info, 0, sizeof(*info));
    memset(&c, 0, sizeof(c));
    if (!in || !out || !o)
        return xsr_error_set(err, XSR_EINVAL, "version conversion needs an input, an output and "
                             "options");
    if (o->version < XSR_VERSION_MIN || o->version > XSR_VERSION_MAX)
        return xsr_error_set(err, XSR_EINVAL, "stream version %" PRIu32 " is not 2, 3 or 4",
                             o->version);
    c.o = o;
    c.info = info;
    c.err = err;
    c.to = o->version;
    c.guest_width = 8;
    c.held_max = o->max_buffer ? o->max_buffer : BUFFER_DEFAULT;
    info->to_version = o->version;
    wo.format = o->format;
    /* the input is checked as it is read; unless strict, the findings do
     * not stop a conversion (it writes what the stream holds, as the walker
     * frames it) */
    struct xsr_check_opts co = XSR_CHECK_OPTS_INIT;
    co.on_finding = on_finding;
    co.ctx = &c;
    rc = xsri_check_walk_start(&k, in, &wo, &co, err);
    if (rc < 0)
        goto out;
    c.w = xsr_writer_new(out, 0, err);
    if (!c.w) {
        rc = err && err->code ? err->code : XSR_ENOMEM;
        goto out;
    }
    while ((rc = xsri_check_walk_next(&k, &ev, err)) == 1) {
        if (o->strict && c.input_error) {
            rc = input_refused(&c, err);
            break;
        }
        rc = event(&c, &ev);
        if (rc < 0)
            break;
        if (o->progress && ev.offset >= c.next_progress) {
            xsri_progress_read(o->progress, o->progress_ctx, ev.offset, xsr_chan_size(in));
            c.next_progress = ev.offset + PROGRESS_STEP;
        }
    }
    if (rc == 0)
        rc = xsri_check_walk_finish(&k, err);
    if (rc == 0)
        rc = xsri_check_walk_error(&k, err);
    if (rc == 0 && o->strict && c.input_error)
        rc = input_refused(&c, err);
    if (k.c) {
        info->input_errors = xsri_check_walk_summary(&k)->errors;
        info->input_warnings = xsri_check_walk_summary(&k)->warnings;
    }
    if (rc == 0 && c.from == 0)
        rc = xsr_error_set(err, XSR_EFORMAT, "the input holds no libxc stream");
    info->format = xsr_walker_format(k.w);
    info->in_bytes = xsr_reader_offset(xsr_walker_reader(k.w));
    if (rc == 0)
        rc = xsr_writer_flush(c.w, err);
    info->out_bytes = xsr_writer_offset(c.w);
    if (rc == 0)
        xsri_progress_read(o->progress, o->progress_ctx, info->in_bytes, xsr_chan_size(in));
out:
    xsr_writer_free(c.w, NULL);
    xsri_check_walk_free(&k);
    free(c.held);
    return rc < 0 ? rc : 0;
}

int xsr_convert_version(struct xsr_chan *in, struct xsr_chan *out, const struct xsr_convert_opts *opts,
                        struct xsr_convert_info *info, struct xsr_error *err)
{
    struct xsr_convert_opts o;
    struct xsr_convert_info full;

    if (info && xsri_opts_check(info->size, sizeof(full), offsetof(struct xsr_convert_info, input_errors),
                                "xsr_convert_info", err) < 0)
        return XSR_EINVAL;
    if (opts && xsri_opts_load(&o, sizeof(o), opts, offsetof(struct xsr_convert_opts, strict),
                               "xsr_convert_opts", err) < 0)
        return XSR_EINVAL;
    int rc = convert_version(in, out, opts ? &o : NULL, &full, err);
    full.size = sizeof(full);
    if (info)
        memcpy(info, &full, info->size); /* the caller's layout */
    return rc;
}
