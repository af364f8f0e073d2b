/* SPDX-License-Identifier: MIT */
/*
 * The size of the domain to create, which a stream states only as it goes
 * (the highest pfn in its pages, vCPU ids in its last records).  When the
 * input is a mapped file, a look ahead over its records (pfn words and
 * headers only, no page is touched) finds both before the first page is
 * written.  Nothing here is trusted: the walk proper checks everything, and
 * a look ahead that fails simply leaves the defaults.
 */
#include <stdint.h>

#include "restore_internal.h"

static void hvm_vcpus(const struct xsr_record *rec, enum xsr_byte_order o, uint32_t *max_id)
{
    struct xsr_hvmctx_iter it;
    struct xsr_hvmctx_entry e;
    xsr_hvmctx_iter_init(&it, rec->body, rec->length, o);
    while (xsr_hvmctx_next(&it, &e, NULL) == 1)
        if (xsr_hvmctx_type_per_vcpu(e.desc.typecode) && e.desc.instance > *max_id)
            *max_id = e.desc.instance;
}

static void record(const struct xsr_event *ev, uint64_t *max_pfn, uint32_t *max_id, bool *any_vcpu)
{
    const struct xsr_record *rec = &ev->u.rec;
    switch (rec->type) {
    case XSR_REC_PAGE_DATA: {
        struct xsr_page_data pd;
        if (xsr_page_data_decode(rec->body, rec->length, ev->order, &pd, NULL) < 0)
            return;
        for (uint32_t i = 0; i < pd.count; i++) {
            uint64_t w = xsr_page_data_word(&pd, i);
            if (xsr_pfn_type_valid(xsr_pfn_word_type(w)) && xsr_pfn_word_pfn(w) > *max_pfn)
                *max_pfn = xsr_pfn_word_pfn(w);
        }
        return;
    }
    case XSR_REC_X86_PV_P2M_FRAMES: {
        struct xsr_p2m_frames f;
        if (xsr_p2m_frames_decode(rec->body, rec->length, ev->order, &f, NULL) == 0 && f.end_pfn > *max_pfn)
            *max_pfn = f.end_pfn;
        return;
    }
    case XSR_REC_X86_PV_VCPU_BASIC:
    case XSR_REC_X86_PV_VCPU_EXTENDED:
    case XSR_REC_X86_PV_VCPU_XSAVE:
    case XSR_REC_X86_PV_VCPU_MSRS: {
        struct xsr_vcpu_rec v;
        if (xsr_vcpu_rec_decode(rec->body, rec->length, ev->order, &v, NULL) == 0 &&
            v.vcpu_id < XSR_VCPU_MAX && v.vcpu_id >= *max_id) {
            *max_id = v.vcpu_id;
            *any_vcpu = true;
        }
        return;
    }
    case XSR_REC_HVM_CONTEXT:
        hvm_vcpus(rec, ev->order, max_id);
        *any_vcpu = true;
        return;
    default:
        return;
    }
}

void xsri_restore_size(struct xsri_restore *r)
{
    int64_t size = xsr_chan_size(r->in);
    uint64_t at = xsr_chan_offset(r->in);
    if (!xsr_chan_can_view(r->in) || size <= 0 || (uint64_t)size <= at ||
        (uint64_t)size - at > SIZE_MAX)
        return;
    const uint8_t *view;
    size_t avail;
    if (xsr_chan_peek(r->in, (size_t)((uint64_t)size - at), &view, &avail, NULL) < 0)
        return;
    struct xsr_chan *ch = xsr_chan_mem_reader(view, avail, NULL);
    if (!ch)
        return;
    struct xsr_walker_opts wo = XSR_WALKER_OPTS_INIT;
    wo.format = r->o.format;
    struct xsr_walker *w = xsr_walker_new(ch, &wo, NULL);
    uint64_t max_pfn = 0;
    uint32_t max_id = 0;
    bool any_pfn = false, any_vcpu = false;
    struct xsr_event ev;
    while (w && xsr_walker_next(w, &ev, NULL) == 1) {
        if (ev.kind != XSR_EV_RECORD)
            continue;
        uint64_t before = max_pfn;
        record(&ev, &max_pfn, &max_id, &any_vcpu);
        any_pfn |= max_pfn != before || ev.u.rec.type == XSR_REC_PAGE_DATA;
    }
    xsr_walker_free(w);
    xsr_chan_close(ch, NULL);
    if (any_pfn && max_pfn < XSR_PFN_MASK)
        r->max_pfn = max_pfn;
    if (any_vcpu)
        r->max_vcpus = max_id + 1;
}
