/* SPDX-License-Identifier: MIT */
/*
 * The receiver: one walk over a save image with the receiver's page
 * semantics applied to the per-frame state (receive.h).
 */
#include <inttypes.h>
#include <string.h>

#include "receive.h"
#include "util/progress.h"

#define PROGRESS_STEP (16u << 20)

static void progress(struct xsri_scan *s, const struct xsr_analyze_opts *o, bool final)
{
    if (!o->progress)
        return;
    if (!final && s->bytes < s->next_progress)
        return;
    s->next_progress = s->bytes + PROGRESS_STEP;
    xsri_progress_read(o->progress, o->progress_ctx, s->bytes, s->total);
}

/* Does this record name a pfn already named in the current iteration? */
static bool repeats_pass(const struct xsri_scan *s, const struct xsr_page_data *pd)
{
    for (uint32_t i = 0; i < pd->count; i++) {
        uint64_t pfn = xsr_pfn_word_pfn(xsr_page_data_word(pd, i));
        if (xsri_pfns_get(&s->pfns, pfn) & XSRI_PF_PASS)
            return true;
    }
    return false;
}

static int batch(struct xsri_scan *s, const struct xsri_scan_cb *cb, const struct xsr_page_data *pd,
                 uint32_t first, const uint8_t *data, uint64_t data_off, struct xsr_error *err)
{
    struct xsri_batch b = {
        .pd = pd, .first = first, .data = data, .data_offset = data_off, .verify = s->verify,
    };
    b.count = pd->count - first < XSR_PAGE_BATCH_MAX ? pd->count - first : XSR_PAGE_BATCH_MAX;
    for (uint32_t i = first; i < first + b.count; i++)
        if (xsr_pfn_type_has_data(xsr_pfn_word_type(xsr_page_data_word(pd, i))))
            b.data_pages++;
    return cb->batch(cb->ctx, s, &b, err);
}

static int page_data(struct xsri_scan *s, const struct xsri_scan_cb *cb, const struct xsr_event *ev,
                     struct xsr_error *err)
{
    const struct xsr_record *rec = &ev->u.rec;
    struct xsr_page_data pd;
    int rc = xsr_page_data_decode(rec->body, rec->length, ev->order, &pd, err);
    if (rc < 0)
        return rc;

    /* Reserve every frame first so that a pfn over the limit stops the scan
     * before anything of this record is applied. */
    for (uint32_t i = 0; i < pd.count; i++) {
        uint64_t w = xsr_page_data_word(&pd, i);
        unsigned type = xsr_pfn_word_type(w);
        if (!xsr_pfn_type_valid(type))
            continue;
        rc = xsri_pfns_reserve(&s->pfns, xsr_pfn_word_pfn(w), xsr_pfn_type_has_data(type), err);
        if (rc < 0)
            return rc;
    }

    s->page_records++;
    if (!s->page_run || repeats_pass(s, &pd)) {
        xsri_pfns_clear_pass(&s->pfns);
        s->iters++;
        if (cb->iter_begin && (rc = cb->iter_begin(cb->ctx, s, ev, err)) < 0)
            return rc;
    }
    s->page_run = true;
    if (cb->event && (rc = cb->event(cb->ctx, s, ev, err)) < 0)
        return rc;

    uint64_t data_off = rec->offset + XSR_RHDR_SIZE + (uint64_t)(pd.data - rec->body);
    const uint8_t *data = pd.data;
    for (uint32_t i = 0; i < pd.count; i++) {
        uint64_t w = xsr_page_data_word(&pd, i);
        unsigned type = xsr_pfn_word_type(w);
        struct xsri_page pg;

        if (i % XSR_PAGE_BATCH_MAX == 0 && cb->batch &&
            (rc = batch(s, cb, &pd, i, data, data_off, err)) < 0)
            return rc;

        if (!xsr_pfn_type_valid(type))
            continue; /* carries no data; the checker reports it */
        pg.pfn = xsr_pfn_word_pfn(w);
        pg.type = type;
        pg.verify = s->verify;
        uint16_t *stp = xsri_pfns_st(&s->pfns, pg.pfn);
        pg.prev = *stp;
        if (xsr_pfn_type_has_data(type)) {
            pg.data = data;
            pg.offset = data_off;
            data += XSR_PAGE_SIZE;
            data_off += XSR_PAGE_SIZE;
        } else {
            pg.data = NULL;
            pg.offset = rec->offset + XSR_RHDR_SIZE + XSR_PAGE_DATA_HDR_SIZE + (uint64_t)i * 8;
        }
        if (!pg.verify) {
            uint16_t st = pg.prev;
            unsigned sent = xsri_pf_sent(st);
            if (sent < XSRI_PF_SENT_MAX)
                sent++;
            st = (uint16_t)((st & (XSRI_PF_HAD_DATA | XSRI_PF_PASS)) | XSRI_PF_SEEN | type |
                            sent << XSRI_PF_SENT_SHIFT);
            if (pg.data) {
                st |= XSRI_PF_DATA | XSRI_PF_HAD_DATA;
                s->since_checkpoint++;
            }
            *stp = st;
        }
        if (!(*stp & XSRI_PF_PASS))
            xsri_pfns_mark_pass(&s->pfns, pg.pfn);
        if (cb->page && (rc = cb->page(cb->ctx, s, &pg, err)) < 0)
            return rc;
    }
    if (cb->record_end && (rc = cb->record_end(cb->ctx, s, err)) < 0)
        return rc;
    return 0;
}

static int libxc_record(struct xsri_scan *s, const struct xsr_event *ev)
{
    const struct xsr_record *rec = &ev->u.rec;

    s->records++;
    switch (rec->type) {
    case XSR_REC_X86_PV_INFO:
        if (rec->length >= XSR_PV_INFO_SIZE) {
            struct xsr_pv_info pi;
            xsr_pv_info_decode(rec->body, ev->order, &pi);
            if (pi.guest_width == 4 || pi.guest_width == 8)
                s->guest_width = pi.guest_width;
        }
        break;
    case XSR_REC_VERIFY:
        s->verify = true;
        break;
    case XSR_REC_CHECKPOINT:
        s->checkpoints++;
        s->since_checkpoint = 0;
        break;
    default:
        break;
    }
    return 0;
}

int xsri_scan_run(struct xsr_chan *in, const struct xsr_analyze_opts *o, bool aux,
                  const struct xsri_scan_cb *cb, struct xsri_scan *s, struct xsr_error *err)
{
    static const struct xsr_analyze_opts no_opts = XSR_ANALYZE_OPTS_INIT;
    struct xsr_walker_opts wo = XSR_WALKER_OPTS_INIT;
    struct xsri_check_walk k;
    struct xsr_event ev;
    int rc;

    if (!o)
        o = &no_opts;
    memset(s, 0, sizeof(*s));
    s->check.size = sizeof(s->check);
    s->total = xsr_chan_size(in);
    rc = xsri_pfns_init(&s->pfns, o->pfn_limit, aux, err);
    if (rc < 0)
        return rc;
    wo.format = o->format;
    wo.stop_at_end = o->stop_at_end;
    rc = xsri_check_walk_start(&k, in, &wo, cb->check, err);
    if (rc < 0)
        goto out;
    s->cw = &k;

    while ((rc = xsri_check_walk_next(&k, &ev, err)) == 1) {
        switch (ev.kind) {
        case XSR_EV_IMAGE_HEADER:
            s->version = ev.u.ihdr.version;
            s->order = xsr_ihdr_order(&ev.u.ihdr);
            break;
        case XSR_EV_DOMAIN_HEADER:
            s->dom_type = ev.u.dhdr.type;
            s->xen_major = ev.u.dhdr.xen_major;
            s->xen_minor = ev.u.dhdr.xen_minor;
            if (s->dom_type == XSR_DOM_X86_HVM)
                s->guest_width = 8;
            break;
        case XSR_EV_RECORD:
            if (ev.u.rec.type == XSR_REC_PAGE_DATA) {
                rc = page_data(s, cb, &ev, err);
                if (rc < 0) {
                    xsr_error_locate(err, ev.offset, ev.layer, ev.index, ev.u.rec.type);
                    goto out;
                }
                s->bytes = ev.offset + XSR_RHDR_SIZE + xsr_rec_padded(ev.u.rec.length);
                progress(s, o, false);
                continue;
            }
            libxc_record(s, &ev);
            break;
        case XSR_EV_LEGACY:
            rc = xsr_error_set(err, XSR_EUNSUP,
                               "this is a legacy (pre-v2) stream; convert it to a v2+ stream first");
            xsr_error_locate(err, ev.offset, ev.layer, XSR_NO_INDEX, 0);
            goto out;
        default:
            break;
        }
        s->page_run = false;
        if (cb->event && (rc = cb->event(cb->ctx, s, &ev, err)) < 0) {
            xsr_error_locate(err, ev.offset, ev.layer, ev.index,
                             ev.kind == XSR_EV_RECORD || ev.kind == XSR_EV_LIBXL_RECORD ? ev.u.rec.type : 0);
            goto out;
        }
        if (ev.kind == XSR_EV_RECORD || ev.kind == XSR_EV_LIBXL_RECORD)
            s->bytes = ev.offset + XSR_RHDR_SIZE + xsr_rec_padded(ev.u.rec.length);
        else
            s->bytes = ev.offset + ev.raw_len;
        progress(s, o, false);
    }
    if (rc == 0)
        rc = xsri_check_walk_finish(&k, err);
    if (rc == 0)
        rc = xsri_check_walk_error(&k, err);
    if (rc == 0)
        s->complete = true;
out:
    if (k.w && rc == 0 && xsr_walker_reader(k.w))
        s->bytes = xsr_reader_offset(xsr_walker_reader(k.w));
    if (k.c)
        memcpy(&s->check, xsri_check_walk_summary(&k), sizeof(s->check));
    s->cw = NULL;
    xsri_pfns_sort(&s->pfns); /* for the sink's iterations once the walk is over */
    progress(s, o, true);
    xsri_check_walk_free(&k);
    return rc;
}

void xsri_scan_free(struct xsri_scan *s)
{
    xsri_pfns_free(&s->pfns);
}
