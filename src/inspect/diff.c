/* SPDX-License-Identifier: MIT */
/*
 * xsr_diff: what differs between two save images.  Each image is walked
 * once; what is kept is small: the headers and the xl configuration, a
 * (type, length, hash) line per record other than PAGE_DATA, the last body
 * of each record compared entry by entry (CPUID and MSR policies, HVM
 * params), the TSC, the last vCPU contexts (by hash; bodies only where
 * registers are decoded), and a 64-bit XXH3 hash per frame of the memory a
 * receiver would end with.  An image that cannot be read to its end is
 * compared as far as it was read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <xxhash.h>

#include "diff_internal.h"
#include "xl_config.h"

/* The PV vCPU record types, as an index into img.pv_slot. */
static const uint32_t pv_kinds[] = { XSR_REC_X86_PV_VCPU_BASIC, XSR_REC_X86_PV_VCPU_EXTENDED,
                                     XSR_REC_X86_PV_VCPU_XSAVE, XSR_REC_X86_PV_VCPU_MSRS };
#define PV_KINDS (sizeof(pv_kinds) / sizeof(pv_kinds[0]))

static void img_free(struct xsri_diff_img *m)
{
    xsri_scan_free(&m->s);
    free(m->recs);
    for (size_t i = 0; i < m->nctx; i++)
        if (m->ctx[i].kind < 0x10000u)
            free((void *)m->ctx[i].body);
    free(m->ctx);
    free(m->pv_slot);
    struct xsri_diff_blob *blobs[] = { &m->hvm, &m->cpuid, &m->msr, &m->params };
    for (size_t i = 0; i < sizeof(blobs) / sizeof(blobs[0]); i++)
        if (blobs[i]->owned)
            free((void *)blobs[i]->p);
    json_object_put(m->config);
}

static struct xsri_diff_ctx *new_ctx(struct xsri_diff_img *m, uint32_t kind, uint32_t id, struct xsr_error *err)
{
    if (m->nctx == m->capctx) {
        size_t n = m->capctx ? m->capctx * 2 : 16;
        struct xsri_diff_ctx *p = realloc(m->ctx, n * sizeof(*p));
        if (!p) {
            xsr_error_set(err, XSR_ENOMEM, "out of memory");
            return NULL;
        }
        m->ctx = p;
        m->capctx = n;
    }
    struct xsri_diff_ctx *c = &m->ctx[m->nctx];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->id = id;
    c->seq = (uint32_t)m->nctx++;
    return c;
}

/* The last PV vCPU record of kind pv_kinds[k] for a vCPU id < XSR_VCPU_MAX. */
static int put_pv_ctx(struct xsri_diff_img *m, unsigned k, uint32_t id, const uint8_t *body, uint32_t len,
                      struct xsr_error *err)
{
    if (!m->pv_slot && !(m->pv_slot = calloc(PV_KINDS * XSR_VCPU_MAX, sizeof(*m->pv_slot))))
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    uint32_t *slot = &m->pv_slot[k * XSR_VCPU_MAX + id];
    struct xsri_diff_ctx *c = *slot ? &m->ctx[*slot - 1] : new_ctx(m, pv_kinds[k], id, err);
    if (!c)
        return XSR_ENOMEM;
    *slot = (uint32_t)(c - m->ctx) + 1;
    uint8_t *b = NULL;
    /* registers are decoded from BASIC contexts of a plausible size only */
    if (pv_kinds[k] == XSR_REC_X86_PV_VCPU_BASIC && len <= XSR_PV_VCPU_CTX_SIZE_64) {
        if (!(b = malloc(len ? len : 1)))
            return xsr_error_set(err, XSR_ENOMEM, "out of memory");
        memcpy(b, body, len);
    }
    free((void *)c->body);
    c->body = b;
    c->len = len;
    c->hash = XXH3_64bits(body, len);
    return 0;
}

static int cmp_ctx(const void *x, const void *y)
{
    const struct xsri_diff_ctx *a = x, *b = y;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sort the contexts by kind and id, keeping the last of each (an HVM blob
 * may repeat an entry); the slots of pv_slot are not used afterwards. */
static void sort_ctx(struct xsri_diff_img *m)
{
    size_t n = 0;
    if (m->nctx)
        qsort(m->ctx, m->nctx, sizeof(*m->ctx), cmp_ctx);
    for (size_t i = 0; i < m->nctx; i++) {
        if (i + 1 < m->nctx && m->ctx[i + 1].kind == m->ctx[i].kind && m->ctx[i + 1].id == m->ctx[i].id) {
            if (m->ctx[i].kind < 0x10000u)
                free((void *)m->ctx[i].body);
            continue;
        }
        m->ctx[n++] = m->ctx[i];
    }
    m->nctx = n;
    free(m->pv_slot);
    m->pv_slot = NULL;
}

static int push_rec(struct xsri_diff_img *m, enum xsr_layer layer, uint32_t type, const uint8_t *body,
                    uint32_t len, struct xsr_error *err)
{
    if (m->nrecs == m->caprecs) {
        size_t n = m->caprecs ? m->caprecs * 2 : 64;
        struct xsri_diff_rec *p = realloc(m->recs, n * sizeof(*p));
        if (!p)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory");
        m->recs = p;
        m->caprecs = n;
    }
    struct xsri_diff_rec *rs = &m->recs[m->nrecs];
    rs->layer = layer;
    rs->type = type;
    rs->length = len;
    rs->seq = m->nrecs++;
    rs->hash = XXH3_64bits(body, len);
    return 0;
}

/* Keep the last body of a record type compared entry by entry: a view
 * where the input's views last, so that a large one is not held twice. */
static int keep_blob(const struct xsri_diff_img *m, struct xsri_diff_blob *b, const uint8_t *body,
                     uint32_t len, struct xsr_error *err)
{
    const uint8_t *p = body;
    if (!m->views) {
        uint8_t *c = malloc(len ? len : 1);
        if (!c)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory");
        memcpy(c, body, len);
        p = c;
    }
    if (b->owned)
        free((void *)b->p);
    b->p = p;
    b->len = len;
    b->owned = !m->views;
    b->count++;
    return 0;
}

static void xl_header(struct xsri_diff_img *m, const struct xsr_event *ev)
{
    struct xsri_xl_config c;
    m->has_xl = true;
    m->xl = ev->u.xl.hdr;
    json_object_put(m->config);
    m->config = NULL;
    m->has_config = xsri_xl_config_get(&m->xl, ev->u.xl.optional_data, &c);
    if (!m->has_config)
        return;
    m->config_json = c.json;
    m->config_hash = XXH3_64bits(c.text, c.len);
    m->config = xsri_xl_config_parse(&c);
}

/* The TSC entry of a v4 DOMAIN_CONTEXT blob (what X86_TSC_INFO holds in v3). */
static void domctx_tsc(struct xsri_diff_img *m, const struct xsr_record *r, enum xsr_byte_order o)
{
    struct xsr_domctx_iter it;
    struct xsr_domctx_entry e;
    xsr_domctx_iter_init(&it, r->body, r->length, o);
    while (xsr_domctx_next(&it, &e, NULL) == 1 && e.desc.typecode != XSR_DOMCTX_END) {
        if (e.desc.typecode != XSR_DOMCTX_TSC_INFO || e.desc.length < XSR_DOMCTX_TSC_SIZE)
            continue;
        struct xsr_domctx_tsc t;
        xsr_domctx_tsc_decode(e.body, o, &t);
        m->tsc = (struct xsri_diff_tsc){ .present = true, .mode = t.mode, .khz = t.khz,
                                         .incarnation = t.incarnation, .nsec = t.elapsed_nsec };
    }
}

static int on_event(void *vctx, struct xsri_scan *s, const struct xsr_event *ev, struct xsr_error *err)
{
    struct xsri_diff_img *m = vctx;
    (void)s;
    switch (ev->kind) {
    case XSR_EV_XL_HEADER:
        xl_header(m, ev);
        return 0;
    case XSR_EV_LIBXL_HEADER:
        m->has_libxl = true;
        m->libxl = ev->u.libxl_hdr;
        return 0;
    case XSR_EV_IMAGE_HEADER:
        m->has_ihdr = true;
        m->ihdr = ev->u.ihdr;
        return 0;
    case XSR_EV_DOMAIN_HEADER:
        m->has_dhdr = true;
        m->dhdr = ev->u.dhdr;
        return 0;
    case XSR_EV_RECORD:
    case XSR_EV_LIBXL_RECORD:
        break;
    default:
        return 0;
    }

    const struct xsr_record *r = &ev->u.rec;
    m->order = ev->order;
    if (ev->kind == XSR_EV_RECORD) {
        switch (r->type) {
        case XSR_REC_PAGE_DATA:
            m->page_records++;
            if (r->length >= 4)
                m->pfn_entries += xsr_ld32(r->body, ev->order);
            return 0;
        case XSR_REC_X86_PV_VCPU_BASIC:
        case XSR_REC_X86_PV_VCPU_EXTENDED:
        case XSR_REC_X86_PV_VCPU_XSAVE:
        case XSR_REC_X86_PV_VCPU_MSRS: {
            /* not a vCPU's state if it is malformed (too short, an id the
             * format does not allow): then compared as a record */
            struct xsr_vcpu_rec v;
            if (xsr_vcpu_rec_decode(r->body, r->length, ev->order, &v, NULL) < 0 || v.vcpu_id >= XSR_VCPU_MAX)
                break;
            unsigned k = 0;
            while (pv_kinds[k] != r->type)
                k++;
            return put_pv_ctx(m, k, v.vcpu_id, v.ctx, v.ctx_len, err);
        }
        case XSR_REC_HVM_CONTEXT:
            return keep_blob(m, &m->hvm, r->body, r->length, err);
        /* compared entry by entry; their counts still as records */
        case XSR_REC_X86_CPUID_POLICY:
            return keep_blob(m, &m->cpuid, r->body, r->length, err);
        case XSR_REC_X86_MSR_POLICY:
            return keep_blob(m, &m->msr, r->body, r->length, err);
        case XSR_REC_HVM_PARAMS:
            return keep_blob(m, &m->params, r->body, r->length, err);
        case XSR_REC_X86_TSC_INFO:
            if (r->length == XSR_TSC_INFO_SIZE) {
                struct xsr_tsc_info t;
                xsr_tsc_info_decode(r->body, ev->order, &t);
                m->tsc = (struct xsri_diff_tsc){ .present = true, .mode = t.mode, .khz = t.khz,
                                                 .incarnation = t.incarnation, .nsec = t.nsec };
                return 0;
            }
            break;
        case XSR_REC_DOMAIN_CONTEXT:
            domctx_tsc(m, r, ev->order);
            break;
        default:
            break;
        }
    }
    return push_rec(m, ev->layer, r->type, r->body, r->length, err);
}

static int on_page(void *vctx, struct xsri_scan *s, const struct xsri_page *pg, struct xsr_error *err)
{
    (void)vctx;
    (void)err;
    if (pg->data && !pg->verify)
        *xsri_pfns_aux(&s->pfns, pg->pfn) = XXH3_64bits(pg->data, XSR_PAGE_SIZE);
    return 0;
}

/* A walk that stopped on the image itself (cut short, malformed framing, a
 * limit) leaves what was read to compare; anything else is a failure. */
static bool stopped_by_image(int rc)
{
    return rc == XSR_ETRUNC || rc == XSR_EFORMAT || rc == XSR_ELIMIT;
}

static int load(struct xsri_diff_img *m, struct xsr_chan *in, const struct xsr_analyze_opts *o,
                struct xsr_error *err)
{
    struct xsri_scan_cb cb = { .ctx = m, .event = on_event, .page = on_page };
    m->views = xsr_chan_can_view(in);
    int rc = xsri_scan_run(in, o, true, &cb, &m->s, err);
    m->complete = rc == 0;
    if (rc < 0 && err && err->code) {
        char where[XSR_ERROR_MSG_MAX + 64];
        xsr_error_format(err, where, sizeof(where));
        snprintf(m->stopped, sizeof(m->stopped), "%s", where);
        /* name the input in the message */
        struct xsr_error was = *err;
        xsr_error_set(err, rc, "image %s: %.480s", m->label, was.message);
        err->sys_errno = was.sys_errno;
        xsr_error_locate(err, was.offset, was.layer, was.record_index, was.record_type);
    }
    if (rc < 0 && !stopped_by_image(rc))
        return rc;
    int lrc = rc;
    if (m->hvm.count) {
        /* HVM context entries become per-instance contexts (bodies stay in
         * m->hvm).  A blob that does not parse to its end is also compared
         * as a record, so that what follows the damage still counts. */
        struct xsr_hvmctx_iter it;
        struct xsr_hvmctx_entry e;
        xsr_hvmctx_iter_init(&it, m->hvm.p, m->hvm.len, m->order);
        while ((rc = xsr_hvmctx_next(&it, &e, NULL)) == 1 && e.desc.typecode != XSR_HVMCTX_END) {
            struct xsri_diff_ctx *c = new_ctx(m, XSRI_HVM_KIND(e.desc.typecode), e.desc.instance, err);
            if (!c)
                return XSR_ENOMEM;
            c->len = e.desc.length;
            c->hash = XXH3_64bits(e.body, e.desc.length);
            c->body = e.desc.typecode == XSR_HVMCTX_CPU ? e.body : NULL;
        }
        if (rc < 0 && (rc = push_rec(m, XSR_LAYER_LIBXC, XSR_REC_HVM_CONTEXT, m->hvm.p, m->hvm.len, err)) < 0)
            return rc;
    }
    sort_ctx(m);
    return lrc;
}

static void describe(const struct xsri_diff_img *m, struct xsri_diff_image *d)
{
    memset(d, 0, sizeof(*d));
    d->name = m->name;
    d->format = m->has_xl ? "xl" : m->has_libxl ? "libxl" : m->has_ihdr ? "libxc" : NULL;
    d->version = m->has_ihdr ? m->ihdr.version : 0;
    d->byte_order = !m->has_ihdr ? NULL : xsr_ihdr_order(&m->ihdr) == XSR_BIG_ENDIAN ? "big-endian" : "little-endian";
    d->has_dhdr = m->has_dhdr;
    d->dom_type = m->has_dhdr ? m->dhdr.type : 0;
    d->guest_type = xsri_diff_guest_type(m);
    d->guest_width = m->has_dhdr && m->dhdr.type == XSR_DOM_X86_PV ? m->s.guest_width : 0;
    d->xen_major = m->has_dhdr ? m->dhdr.xen_major : 0;
    d->xen_minor = m->has_dhdr ? m->dhdr.xen_minor : 0;
    d->complete = m->complete;
    d->bytes = m->s.bytes;
    d->stopped = m->stopped[0] ? m->stopped : NULL;
}

/* The caller's progress over both walks: B's bytes count after A's, out of
 * the size of both. */
struct both_progress {
    const struct xsr_analyze_opts *o;
    uint64_t before; /* bytes of A, once walked */
    int64_t total;   /* -1 if either size is unknown */
};

static void on_both_progress(void *ctx, const struct xsr_progress *in)
{
    struct both_progress *p = ctx;
    struct xsr_progress q = *in;
    q.bytes += p->before;
    q.total_bytes = p->total > 0 ? (uint64_t)p->total : 0;
    p->o->progress(p->o->progress_ctx, &q);
}

int xsr_diff(struct xsr_chan *a, struct xsr_chan *b, const struct xsr_diff_opts *opts, FILE *f,
             struct xsr_diff_result *res, struct xsr_error *err)
{
    static const struct xsr_diff_opts no_opts = XSR_DIFF_OPTS_INIT;
    struct xsr_diff_result dummy = XSR_DIFF_RESULT_INIT;
    struct xsri_diff_img A = { .label = "A" }, B = { .label = "B" };
    struct xsri_diffout d = { 0 };
    struct xsr_error berr;
    int rc, ra, rb;

    if (!opts)
        opts = &no_opts;
    if (!res)
        res = &dummy;
    if (xsri_analysis_sizes("xsr_diff_opts", opts->size, sizeof(*opts), &opts->a, "xsr_diff_result",
                            res->size, sizeof(*res), err) < 0)
        return XSR_EINVAL;
    memset(res, 0, sizeof(*res));
    res->size = sizeof(*res);
    A.name = opts->name_a;
    B.name = opts->name_b;
    struct xsr_analyze_opts ao = opts->a;
    struct both_progress bp = { .o = &opts->a, .total = -1 };
    if (opts->a.progress) {
        int64_t sa = a ? xsr_chan_size(a) : -1, sb = b ? xsr_chan_size(b) : -1;
        bp.total = sa >= 0 && sb >= 0 ? sa + sb : -1;
        ao.progress = on_both_progress;
        ao.progress_ctx = &bp;
    }
    xsr_error_clear(&berr);
    if ((rc = ra = load(&A, a, &ao, err)) < 0 && !stopped_by_image(ra))
        goto out;
    bp.before = A.s.bytes;
    if ((rc = rb = load(&B, b, &ao, &berr)) < 0 && !stopped_by_image(rb)) {
        if (err)
            *err = berr;
        goto out;
    }
    if (ra == 0 && rb < 0 && err)
        *err = berr; /* the first image that stopped early is the error */

    d.max = opts->max_lines ? opts->max_lines : 100;
    xsri_diff_headers(&d, &A, &B);
    xsri_diff_guest(&d, &A, &B);
    res->headers = (unsigned)(d.sec[XSRI_DS_HEADERS].total + d.sec[XSRI_DS_GUEST].total);
    if (A.has_config != B.has_config || A.config_json != B.config_json || A.config_hash != B.config_hash) {
        if (A.config || B.config)
            xsri_diff_config(&d, A.config, B.config);
        if (!d.sec[XSRI_DS_CONFIG].total) /* not JSON on either side, or does not parse */
            xsri_diff_add(&d, XSRI_DS_CONFIG, NULL, "(configuration text)", false, NULL, false, NULL,
                          A.has_config && B.has_config ? "contents differ" : A.has_config ? "only in A" : "only in B");
    }
    xsri_diff_cpuid(&d, A.cpuid.p, A.cpuid.len, B.cpuid.p, B.cpuid.len, A.order, B.order);
    xsri_diff_msr_policy(&d, A.msr.p, A.msr.len, B.msr.p, B.msr.len, A.order, B.order);
    xsri_diff_tsc(&d, &A.tsc, &B.tsc);
    xsri_diff_hvm_params(&d, A.params.p, A.params.len, B.params.p, B.params.len, A.order, B.order);
    xsri_diff_records(&d, &A, &B);
    res->records = 0;
    for (unsigned s = XSRI_DS_CONFIG; s <= XSRI_DS_RECORDS; s++)
        res->records += (unsigned)d.sec[s].total;
    res->vcpus = xsri_diff_vcpus(&d, &A, &B);
    xsri_diff_pages(&d, &A, &B, opts->pages, res);
    if (d.oom) {
        rc = xsr_error_set(err, XSR_ENOMEM, "out of memory listing the differences");
        goto out;
    }

    struct xsri_diff_image ia, ib;
    describe(&A, &ia);
    describe(&B, &ib);
    bool same = !res->headers && !res->records && !res->vcpus && !res->pages_differ &&
                !res->pages_only_a && !res->pages_only_b;
    if (!xsri_diff_render(f, opts->json, &d, &ia, &ib, res) || fflush(f) != 0 || ferror(f))
        rc = xsr_error_sys(err, errno, "writing the differences failed");
    else if (ra < 0 || rb < 0)
        rc = ra < 0 ? ra : rb; /* err says which image stopped, and where */
    else
        rc = same ? 0 : 1;
out:
    xsri_diff_free(&d);
    img_free(&A);
    img_free(&B);
    return rc;
}
