/* SPDX-License-Identifier: MIT */
/*
 * xsr_diff: what differs between two save images.  Each image is walked
 * once; what is kept is small: the headers, a (type, length, hash) line per
 * record other than PAGE_DATA, the last vCPU contexts (by hash; bodies only
 * where registers are decoded), and a 64-bit XXH3 hash per frame of the
 * memory a receiver would end with.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "analyze_scan.h"

struct recsum {
    enum xsr_layer layer;
    uint32_t type;
    uint32_t length;
    uint64_t seq;   /* order within the image */
    uint64_t hash;
};

/* A per-vCPU record (PV) or per-instance HVM context entry: the last one of
 * its kind and id.  Contents are compared by hash; a body is kept only where
 * registers are decoded from it. */
struct ctx {
    uint32_t kind;     /* PV record type, or 0x10000 + HVM typecode */
    uint32_t id;       /* vCPU id / instance */
    uint32_t len;
    uint32_t seq;      /* order of arrival: the last of a kind and id wins */
    uint64_t hash;     /* XXH3-64 of the body */
    const uint8_t *body; /* PV BASIC: a copy (owned); HVM CPU: in img.hvm; else NULL */
};
#define HVM_KIND(t) (0x10000u + (t))
/* The PV vCPU record types, as an index into img.pv_slot. */
static const uint32_t pv_kinds[] = { XSR_REC_X86_PV_VCPU_BASIC, XSR_REC_X86_PV_VCPU_EXTENDED,
                                     XSR_REC_X86_PV_VCPU_XSAVE, XSR_REC_X86_PV_VCPU_MSRS };
#define PV_KINDS (sizeof(pv_kinds) / sizeof(pv_kinds[0]))

struct img {
    const char *name;
    struct xsri_scan s;
    bool has_xl, has_libxl, has_ihdr, has_dhdr;
    struct xsr_xl_hdr xl;
    uint64_t xl_opt_hash;
    struct xsr_libxl_hdr libxl;
    struct xsr_ihdr ihdr;
    struct xsr_dhdr dhdr;
    struct recsum *recs;
    size_t nrecs, caprecs;
    uint64_t page_records, pfn_entries;
    struct ctx *ctx;   /* sorted by kind and id once loaded */
    size_t nctx, capctx;
    uint32_t *pv_slot; /* [PV_KINDS * XSR_VCPU_MAX]: index + 1 in ctx of a PV context */
    uint8_t *hvm;  /* last HVM_CONTEXT */
    uint32_t hvm_len;
    enum xsr_byte_order order;
};

static void img_free(struct img *m)
{
    xsri_scan_free(&m->s);
    free(m->recs);
    for (size_t i = 0; i < m->nctx; i++)
        if (m->ctx[i].kind < 0x10000u)
            free((void *)m->ctx[i].body);
    free(m->ctx);
    free(m->pv_slot);
    free(m->hvm);
}

static struct ctx *new_ctx(struct img *m, uint32_t kind, uint32_t id, struct xsr_error *err)
{
    if (m->nctx == m->capctx) {
        size_t n = m->capctx ? m->capctx * 2 : 16;
        struct ctx *p = realloc(m->ctx, n * sizeof(*p));
        if (!p) {
            xsr_error_set(err, XSR_ENOMEM, "out of memory");
            return NULL;
        }
        m->ctx = p;
        m->capctx = n;
    }
    struct ctx *c = &m->ctx[m->nctx];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->id = id;
    c->seq = (uint32_t)m->nctx++;
    return c;
}

/* The last PV vCPU record of kind pv_kinds[k] for a vCPU id < XSR_VCPU_MAX. */
static int put_pv_ctx(struct img *m, unsigned k, uint32_t id, const uint8_t *body, uint32_t len,
                      struct xsr_error *err)
{
    if (!m->pv_slot && !(m->pv_slot = calloc(PV_KINDS * XSR_VCPU_MAX, sizeof(*m->pv_slot))))
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    uint32_t *slot = &m->pv_slot[k * XSR_VCPU_MAX + id];
    struct ctx *c = *slot ? &m->ctx[*slot - 1] : new_ctx(m, pv_kinds[k], id, err);
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
    const struct ctx *a = x, *b = y;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sort the contexts by kind and id, keeping the last of each (an HVM blob
 * may repeat an entry); the slots of pv_slot are not used afterwards. */
static void sort_ctx(struct img *m)
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

static int push_rec(struct img *m, enum xsr_layer layer, uint32_t type, const uint8_t *body, uint32_t len,
                    struct xsr_error *err)
{
    if (m->nrecs == m->caprecs) {
        size_t n = m->caprecs ? m->caprecs * 2 : 64;
        struct recsum *p = realloc(m->recs, n * sizeof(*p));
        if (!p)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory");
        m->recs = p;
        m->caprecs = n;
    }
    struct recsum *rs = &m->recs[m->nrecs];
    rs->layer = layer;
    rs->type = type;
    rs->length = len;
    rs->seq = m->nrecs++;
    rs->hash = XXH3_64bits(body, len);
    return 0;
}

static int on_event(void *vctx, struct xsri_scan *s, const struct xsr_event *ev, struct xsr_error *err)
{
    struct img *m = vctx;
    (void)s;
    switch (ev->kind) {
    case XSR_EV_XL_HEADER:
        m->has_xl = true;
        m->xl = ev->u.xl.hdr;
        m->xl_opt_hash = XXH3_64bits(ev->u.xl.optional_data, ev->u.xl.hdr.optional_data_len);
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
        case XSR_REC_HVM_CONTEXT: {
            uint8_t *b = malloc(r->length ? r->length : 1);
            if (!b)
                return xsr_error_set(err, XSR_ENOMEM, "out of memory");
            memcpy(b, r->body, r->length);
            free(m->hvm);
            m->hvm = b;
            m->hvm_len = r->length;
            return 0;
        }
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
    static const uint8_t zero[XSR_PAGE_SIZE];
    if (pg->verify)
        return 0;
    if (pg->data)
        s->pfns.aux[pg->pfn] = XXH3_64bits(pg->data, XSR_PAGE_SIZE);
    else if (xsri_pf_zero_page(s->pfns.st[pg->pfn]))
        s->pfns.aux[pg->pfn] = XXH3_64bits(zero, XSR_PAGE_SIZE);
    return 0;
}

static int load(struct img *m, struct xsr_chan *in, const struct xsr_analyze_opts *o,
                struct xsr_error *err)
{
    struct xsri_scan_cb cb = { .ctx = m, .event = on_event, .page = on_page };
    int rc = xsri_scan_run(in, o, true, &cb, &m->s, err);
    if (rc < 0 && err && err->code) {
        /* name the input in the message */
        struct xsr_error was = *err;
        xsr_error_set(err, rc, "image %s: %.480s", m->name, was.message);
        err->sys_errno = was.sys_errno;
        xsr_error_locate(err, was.offset, was.layer, was.record_index, was.record_type);
    }
    if (rc == 0 && m->hvm) {
        /* HVM context entries become per-instance contexts (bodies stay in
         * m->hvm).  A blob that does not parse to its end is also compared
         * as a record, so that what follows the damage still counts. */
        struct xsr_hvmctx_iter it;
        struct xsr_hvmctx_entry e;
        xsr_hvmctx_iter_init(&it, m->hvm, m->hvm_len, m->order);
        while ((rc = xsr_hvmctx_next(&it, &e, NULL)) == 1 && e.desc.typecode != XSR_HVMCTX_END) {
            struct ctx *c = new_ctx(m, HVM_KIND(e.desc.typecode), e.desc.instance, err);
            if (!c)
                return XSR_ENOMEM;
            c->len = e.desc.length;
            c->hash = XXH3_64bits(e.body, e.desc.length);
            c->body = e.desc.typecode == XSR_HVMCTX_CPU ? e.body : NULL;
        }
        rc = rc < 0 ? push_rec(m, XSR_LAYER_LIBXC, XSR_REC_HVM_CONTEXT, m->hvm, m->hvm_len, err) : 0;
    }
    if (rc == 0)
        sort_ctx(m);
    return rc;
}

/* ------------------------------------------------------------ output */

struct out {
    FILE *f;
    unsigned max;
    unsigned shown;   /* in the current section */
    uint64_t hidden;
};

static void section(struct out *o, const char *name)
{
    if (o->hidden)
        fprintf(o->f, "  ... %" PRIu64 " more\n", o->hidden);
    o->shown = 0;
    o->hidden = 0;
    if (name)
        fprintf(o->f, "%s:\n", name);
}

static bool line_ok(struct out *o)
{
    if (o->shown < o->max) {
        o->shown++;
        return true;
    }
    o->hidden++;
    return false;
}

#define DIFF_FIELD(o, cnt, label, fmt, a, b)                                                         \
    do {                                                                                           \
        if ((a) != (b)) {                                                                          \
            (cnt)++;                                                                               \
            if (line_ok(o))                                                                        \
                fprintf((o)->f, "  %s: " fmt " vs " fmt "\n", label, a, b);                        \
        }                                                                                          \
    } while (0)

static unsigned diff_headers(struct out *o, const struct img *a, const struct img *b)
{
    unsigned n = 0;
    section(o, "headers");
    const char *presence[2] = { "absent", "present" };
    if (a->has_xl != b->has_xl) {
        n++;
        if (line_ok(o))
            fprintf(o->f, "  xl header: %s vs %s\n", presence[a->has_xl], presence[b->has_xl]);
    } else if (a->has_xl) {
        DIFF_FIELD(o, n, "xl mandatory_flags", "%#" PRIx32, a->xl.mandatory_flags, b->xl.mandatory_flags);
        DIFF_FIELD(o, n, "xl optional_flags", "%#" PRIx32, a->xl.optional_flags, b->xl.optional_flags);
        DIFF_FIELD(o, n, "xl optional_data_len", "%" PRIu32, a->xl.optional_data_len,
                   b->xl.optional_data_len);
        if (a->xl_opt_hash != b->xl_opt_hash && a->xl.optional_data_len == b->xl.optional_data_len) {
            n++;
            if (line_ok(o))
                fputs("  xl optional data (domain configuration): contents differ\n", o->f);
        }
    }
    if (a->has_libxl != b->has_libxl) {
        n++;
        if (line_ok(o))
            fprintf(o->f, "  libxl header: %s vs %s\n", presence[a->has_libxl], presence[b->has_libxl]);
    } else if (a->has_libxl) {
        DIFF_FIELD(o, n, "libxl version", "%" PRIu32, a->libxl.version, b->libxl.version);
        DIFF_FIELD(o, n, "libxl options", "%#" PRIx32, a->libxl.options, b->libxl.options);
    }
    if (a->has_ihdr != b->has_ihdr) {
        n++;
        if (line_ok(o))
            fprintf(o->f, "  image header: %s vs %s\n", presence[a->has_ihdr], presence[b->has_ihdr]);
    } else if (a->has_ihdr) {
        DIFF_FIELD(o, n, "image version", "%" PRIu32, a->ihdr.version, b->ihdr.version);
        DIFF_FIELD(o, n, "image options", "%#" PRIx16, a->ihdr.options, b->ihdr.options);
    }
    if (a->has_dhdr != b->has_dhdr) {
        n++;
        if (line_ok(o))
            fprintf(o->f, "  domain header: %s vs %s\n", presence[a->has_dhdr], presence[b->has_dhdr]);
    } else if (a->has_dhdr) {
        DIFF_FIELD(o, n, "domain type", "%" PRIu32, a->dhdr.type, b->dhdr.type);
        DIFF_FIELD(o, n, "page_shift", "%" PRIu16, a->dhdr.page_shift, b->dhdr.page_shift);
        DIFF_FIELD(o, n, "xen_major", "%" PRIu32, a->dhdr.xen_major, b->dhdr.xen_major);
        DIFF_FIELD(o, n, "xen_minor", "%" PRIu32, a->dhdr.xen_minor, b->dhdr.xen_minor);
    }
    return n;
}

static int cmp_rec(const void *x, const void *y)
{
    const struct recsum *a = x, *b = y;
    if (a->layer != b->layer)
        return a->layer < b->layer ? -1 : 1;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void rec_name(char *buf, size_t n, enum xsr_layer layer, uint32_t type)
{
    const char *name = layer == XSR_LAYER_LIBXL ? xsr_libxl_rec_type_name(type) : xsr_rec_type_name(type);
    if (name)
        snprintf(buf, n, "%s %s", xsr_layer_name(layer), name);
    else
        snprintf(buf, n, "%s type %#" PRIx32, xsr_layer_name(layer), type);
}

static unsigned diff_records(struct out *o, struct img *a, struct img *b)
{
    unsigned n = 0;
    char name[64];

    section(o, "records");
    if (a->page_records != b->page_records || a->pfn_entries != b->pfn_entries) {
        n++;
        if (line_ok(o))
            fprintf(o->f, "  libxc PAGE_DATA: %" PRIu64 " records with %" PRIu64 " pfn entries vs %"
                    PRIu64 " with %" PRIu64 "\n", a->page_records, a->pfn_entries, b->page_records,
                    b->pfn_entries);
    }
    if (a->nrecs)
        qsort(a->recs, a->nrecs, sizeof(*a->recs), cmp_rec);
    if (b->nrecs)
        qsort(b->recs, b->nrecs, sizeof(*b->recs), cmp_rec);
    size_t i = 0, j = 0;
    while (i < a->nrecs || j < b->nrecs) {
        const struct recsum *ra = i < a->nrecs ? &a->recs[i] : NULL;
        const struct recsum *rb = j < b->nrecs ? &b->recs[j] : NULL;
        const struct recsum *k = !ra ? rb : !rb ? ra : (ra->layer < rb->layer || (ra->layer == rb->layer && ra->type <= rb->type)) ? ra : rb;
        enum xsr_layer layer = k->layer;
        uint32_t type = k->type;
        size_t ca = 0, cb = 0;
        while (i + ca < a->nrecs && a->recs[i + ca].layer == layer && a->recs[i + ca].type == type)
            ca++;
        while (j + cb < b->nrecs && b->recs[j + cb].layer == layer && b->recs[j + cb].type == type)
            cb++;
        rec_name(name, sizeof(name), layer, type);
        if (ca != cb) {
            n++;
            if (line_ok(o))
                fprintf(o->f, "  %s: %zu record%s vs %zu\n", name, ca, ca == 1 ? "" : "s", cb);
        }
        for (size_t q = 0; q < ca && q < cb; q++) {
            const struct recsum *x = &a->recs[i + q], *y = &b->recs[j + q];
            if (x->length == y->length && x->hash == y->hash)
                continue;
            n++;
            if (line_ok(o))
                fprintf(o->f, "  %s #%zu: bodies differ (%" PRIu32 " vs %" PRIu32 " bytes)\n", name, q,
                        x->length, y->length);
        }
        i += ca;
        j += cb;
    }
    return n;
}

static const struct ctx *find_ctx(const struct img *m, uint32_t kind, uint32_t id)
{
    size_t lo = 0, hi = m->nctx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct ctx *c = &m->ctx[mid];
        if (c->kind == kind && c->id == id)
            return c;
        if (c->kind < kind || (c->kind == kind && c->id < id))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void ctx_name(char *buf, size_t n, uint32_t kind)
{
    const char *s = kind >= 0x10000u ? xsr_hvmctx_type_name((uint16_t)(kind - 0x10000u))
                                     : xsr_rec_type_name(kind);
    snprintf(buf, n, "%s%s", kind >= 0x10000u ? "HVM " : "", s ? s : "?");
}

static bool regs_of(const struct img *m, const struct ctx *c, struct xsri_vcpu_regs *r)
{
    if (!c->body)
        return false;
    if (c->kind == XSR_REC_X86_PV_VCPU_BASIC)
        return xsri_pv_regs(c->body, c->len, m->s.guest_width ? m->s.guest_width : 8, m->order, r,
                            NULL) == 0;
    if (c->kind == HVM_KIND(XSR_HVMCTX_CPU))
        return xsri_hvm_regs(c->body, c->len, m->order, r, NULL) == 0;
    return false;
}

/* One context present in at least one image; returns true if it differs. */
static bool diff_one_ctx(struct out *o, const struct img *a, const struct img *b, uint32_t kind,
                         uint32_t id)
{
    const struct ctx *x = find_ctx(a, kind, id), *y = find_ctx(b, kind, id);
    bool per_vcpu = kind < 0x10000u || xsr_hvmctx_type_per_vcpu((uint16_t)(kind - 0x10000u));
    char name[64];

    ctx_name(name, sizeof(name), kind);
    if (!x || !y) {
        if (line_ok(o))
            fprintf(o->f, "  %s %" PRIu32 ": %s: only in %s\n", per_vcpu ? "vcpu" : "instance", id,
                    name, x ? "A" : "B");
        return true;
    }
    if (x->len == y->len && x->hash == y->hash)
        return false;
    struct xsri_vcpu_regs ra, rb;
    if (regs_of(a, x, &ra) && regs_of(b, y, &rb)) {
        bool any = false;
        for (unsigned i = 0; i < XSRI_NGREG; i++) {
            if (ra.gr[i] == rb.gr[i])
                continue;
            any = true;
            if (line_ok(o))
                fprintf(o->f, "  vcpu %" PRIu32 ": %s 0x%" PRIx64 " vs 0x%" PRIx64 "\n", id,
                        xsri_greg_names[i], ra.gr[i], rb.gr[i]);
        }
        static const char *const crn[5] = { "cr0", "cr1", "cr2", "cr3", "cr4" };
        for (unsigned i = 0; i < 5; i++) {
            if (ra.cr[i] == rb.cr[i])
                continue;
            any = true;
            if (line_ok(o))
                fprintf(o->f, "  vcpu %" PRIu32 ": %s 0x%" PRIx64 " vs 0x%" PRIx64 "\n", id, crn[i],
                        ra.cr[i], rb.cr[i]);
        }
        if (!any && line_ok(o))
            fprintf(o->f, "  vcpu %" PRIu32 ": %s differs outside the general and control registers\n",
                    id, name);
        return true;
    }
    if (line_ok(o))
        fprintf(o->f, "  %s %" PRIu32 ": %s differs (%" PRIu32 " vs %" PRIu32 " bytes)\n",
                per_vcpu ? "vcpu" : "instance", id, name, x->len, y->len);
    return true;
}

static unsigned diff_vcpus(struct out *o, const struct img *a, const struct img *b)
{
    /* distinct vCPU ids with a differing per-vCPU context (PV ids are below
     * XSR_VCPU_MAX, HVM instances 16-bit) */
    uint8_t ids[65536 / 8] = { 0 };
    unsigned nids = 0, other = 0;

    section(o, "vcpus");
    for (int pass = 0; pass < 2; pass++) {
        const struct img *m = pass ? b : a, *other_img = pass ? a : b;
        for (size_t i = 0; i < m->nctx; i++) {
            const struct ctx *c = &m->ctx[i];
            if (pass && find_ctx(other_img, c->kind, c->id))
                continue; /* compared in the first pass */
            if (!diff_one_ctx(o, a, b, c->kind, c->id))
                continue;
            bool per_vcpu = c->kind < 0x10000u || xsr_hvmctx_type_per_vcpu((uint16_t)(c->kind - 0x10000u));
            if (!per_vcpu) {
                other++;
                continue;
            }
            uint32_t id = c->id & 0xffffu;
            if (!(ids[id / 8] & (1u << (id % 8)))) {
                ids[id / 8] |= (uint8_t)(1u << (id % 8));
                nids++;
            }
        }
    }
    return nids + other;
}

static void page_range(struct out *o, int cat, uint64_t first, uint64_t last)
{
    static const char *const what[] = { "", "contents differ", "only in A", "only in B" };
    if (!line_ok(o))
        return;
    if (first == last)
        fprintf(o->f, "  0x%" PRIx64 ": %s\n", first, what[cat]);
    else
        fprintf(o->f, "  0x%" PRIx64 "-0x%" PRIx64 ": %s (%" PRIu64 " frames)\n", first, last, what[cat],
                last - first + 1);
}

static void diff_pages(struct out *o, const struct img *a, const struct img *b, bool list,
                       struct xsr_diff_result *res)
{
    uint64_t na = xsri_pfns_count(&a->s.pfns), nb = xsri_pfns_count(&b->s.pfns);
    uint64_t n = na > nb ? na : nb;
    int run_cat = 0;
    uint64_t run_first = 0;

    if (list)
        section(o, "pages");
    for (uint64_t pfn = 0; pfn <= n; pfn++) {
        int cat = 0;
        if (pfn < n) {
            bool pa = pfn < na && xsri_pf_memory(a->s.pfns.st[pfn]);
            bool pb = pfn < nb && xsri_pf_memory(b->s.pfns.st[pfn]);
            if (pa || pb)
                res->pages_compared++;
            if (pa && pb)
                cat = a->s.pfns.aux[pfn] != b->s.pfns.aux[pfn] ? 1 : 0;
            else if (pa)
                cat = 2;
            else if (pb)
                cat = 3;
            if (cat == 1)
                res->pages_differ++;
            else if (cat == 2)
                res->pages_only_a++;
            else if (cat == 3)
                res->pages_only_b++;
        }
        if (cat != run_cat) {
            if (run_cat && list)
                page_range(o, run_cat, run_first, pfn - 1);
            run_cat = cat;
            run_first = pfn;
        }
    }
}

/* The caller's progress over both walks: B's bytes count after A's, out of
 * the size of both. */
struct both_progress {
    const struct xsr_analyze_opts *o;
    uint64_t before; /* bytes of A, once walked */
    int64_t total;   /* -1 if either size is unknown */
};

static void on_both_progress(void *ctx, uint64_t done, int64_t total)
{
    struct both_progress *p = ctx;
    (void)total;
    p->o->progress(p->o->progress_ctx, p->before + done, p->total);
}

int xsr_diff(struct xsr_chan *a, struct xsr_chan *b, const struct xsr_diff_opts *opts, FILE *f,
             struct xsr_diff_result *res, struct xsr_error *err)
{
    static const struct xsr_diff_opts no_opts;
    struct xsr_diff_result dummy;
    struct img A = { .name = "A" }, B = { .name = "B" };
    int rc;

    if (!opts)
        opts = &no_opts;
    if (!res)
        res = &dummy;
    memset(res, 0, sizeof(*res));
    struct xsr_analyze_opts ao = opts->a;
    struct both_progress bp = { .o = &opts->a, .total = -1 };
    if (opts->a.progress) {
        int64_t sa = a ? xsr_chan_size(a) : -1, sb = b ? xsr_chan_size(b) : -1;
        bp.total = sa >= 0 && sb >= 0 ? sa + sb : -1;
        ao.progress = on_both_progress;
        ao.progress_ctx = &bp;
    }
    if ((rc = load(&A, a, &ao, err)) < 0)
        goto out;
    bp.before = A.s.bytes;
    if ((rc = load(&B, b, &ao, err)) < 0)
        goto out;

    struct out o = { .f = f, .max = opts->max_lines ? opts->max_lines : 100 };
    res->headers = diff_headers(&o, &A, &B);
    res->records = diff_records(&o, &A, &B);
    res->vcpus = diff_vcpus(&o, &A, &B);
    diff_pages(&o, &A, &B, opts->pages, res);
    section(&o, NULL);
    fprintf(f, "memory: %" PRIu64 " frames with data in A or B: %" PRIu64 " differ, %" PRIu64
            " only in A, %" PRIu64 " only in B\n", res->pages_compared, res->pages_differ,
            res->pages_only_a, res->pages_only_b);
    bool same = !res->headers && !res->records && !res->vcpus && !res->pages_differ &&
                !res->pages_only_a && !res->pages_only_b;
    if (same)
        fputs("the images are equivalent\n", f);
    else
        fprintf(f, "the images differ: %u header field%s, %u record difference%s, %u vCPU%s or "
                   "context entries, %" PRIu64 " frames\n", res->headers, res->headers == 1 ? "" : "s",
                res->records, res->records == 1 ? "" : "s", res->vcpus, res->vcpus == 1 ? "" : "s",
                res->pages_differ + res->pages_only_a + res->pages_only_b);
    if (fflush(f) != 0 || ferror(f))
        rc = xsr_error_sys(err, errno, "writing the differences failed");
    else
        rc = same ? 0 : 1;
out:
    img_free(&A);
    img_free(&B);
    return rc;
}
