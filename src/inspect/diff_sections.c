/* SPDX-License-Identifier: MIT */
/* xsr_diff's sections of framing, guest, other records, vCPU state and
 * memory (the migration-relevant ones are in diff_policy.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <xxhash.h>

#include "diff_internal.h"
#include "xl_config.h"

static void presence(struct xsri_diffout *d, enum xsri_dsec s, const char *what, bool a, bool b)
{
    xsri_diff_add(d, s, NULL, what, true, json_object_new_string(a ? "present" : "absent"), true,
                  json_object_new_string(b ? "present" : "absent"), NULL);
}

static void field(struct xsri_diffout *d, enum xsri_dsec s, const char *what, uint64_t a, uint64_t b, bool hex)
{
    if (a != b)
        xsri_diff_add(d, s, NULL, what, true, hex ? xsri_jhex(a) : xsri_jnum(a), true,
                      hex ? xsri_jhex(b) : xsri_jnum(b), NULL);
}

static void name_field(struct xsri_diffout *d, enum xsri_dsec s, const char *what, const char *a,
                       const char *b)
{
    if (a != b && (!a || !b || strcmp(a, b) != 0))
        xsri_diff_add(d, s, NULL, what, true, xsri_jstr(a), true, xsri_jstr(b), NULL);
}

static const char *dom_type(uint32_t t, char *buf, size_t n)
{
    const char *s = xsr_dom_type_name(t);
    if (s)
        return s;
    snprintf(buf, n, "type %" PRIu32, t);
    return buf;
}

void xsri_diff_headers(struct xsri_diffout *d, const struct xsri_diff_img *a, const struct xsri_diff_img *b)
{
    const enum xsri_dsec s = XSRI_DS_HEADERS;
    if (a->has_xl != b->has_xl) {
        presence(d, s, "xl header", a->has_xl, b->has_xl);
    } else if (a->has_xl) {
        field(d, s, "xl mandatory_flags", a->xl.mandatory_flags, b->xl.mandatory_flags, true);
        field(d, s, "xl optional_flags", a->xl.optional_flags, b->xl.optional_flags, true);
        field(d, s, "xl optional_data_len", a->xl.optional_data_len, b->xl.optional_data_len, false);
    }
    if (a->has_libxl != b->has_libxl) {
        presence(d, s, "libxl header", a->has_libxl, b->has_libxl);
    } else if (a->has_libxl) {
        field(d, s, "libxl version", a->libxl.version, b->libxl.version, false);
        field(d, s, "libxl options", a->libxl.options, b->libxl.options, true);
    }
    if (a->has_ihdr != b->has_ihdr) {
        presence(d, s, "image header", a->has_ihdr, b->has_ihdr);
    } else if (a->has_ihdr) {
        field(d, s, "stream version", a->ihdr.version, b->ihdr.version, false);
        field(d, s, "image options", a->ihdr.options, b->ihdr.options, true);
    }
    if (a->has_dhdr != b->has_dhdr) {
        presence(d, s, "domain header", a->has_dhdr, b->has_dhdr);
    } else if (a->has_dhdr) {
        char ba[32], bb[32];
        name_field(d, s, "domain type", dom_type(a->dhdr.type, ba, sizeof(ba)), dom_type(b->dhdr.type, bb, sizeof(bb)));
        field(d, s, "page_shift", a->dhdr.page_shift, b->dhdr.page_shift, false);
    }
}

const char *xsri_diff_guest_type(const struct xsri_diff_img *m)
{
    if (!m->has_dhdr)
        return NULL;
    return xsri_guest_type(m->dhdr.type, m->config ? xsri_json_str_at(m->config, "c_info.type") : NULL);
}

void xsri_diff_guest(struct xsri_diffout *d, const struct xsri_diff_img *a, const struct xsri_diff_img *b)
{
    const enum xsri_dsec s = XSRI_DS_GUEST;
    char va[16], vb[16];
    if (!a->has_dhdr || !b->has_dhdr)
        return;
    name_field(d, s, "guest type", xsri_diff_guest_type(a), xsri_diff_guest_type(b));
    if (a->dhdr.type == XSR_DOM_X86_PV && b->dhdr.type == XSR_DOM_X86_PV)
        field(d, s, "guest width (bytes)", a->s.guest_width, b->s.guest_width, false);
    snprintf(va, sizeof(va), "%" PRIu32 ".%" PRIu32, a->dhdr.xen_major, a->dhdr.xen_minor);
    snprintf(vb, sizeof(vb), "%" PRIu32 ".%" PRIu32, b->dhdr.xen_major, b->dhdr.xen_minor);
    name_field(d, s, "saved by Xen", va, vb);
}

/* ------------------------------------------------------------ records */

static int cmp_rec(const void *x, const void *y)
{
    const struct xsri_diff_rec *a = x, *b = y;
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

/* "<name> records" (or another count of name) */
static void count_field(struct xsri_diffout *d, const char *name, uint64_t a, uint64_t b, const char *what)
{
    char buf[128];
    if (a == b)
        return;
    snprintf(buf, sizeof(buf), "%s %s", name, what);
    xsri_diff_add(d, XSRI_DS_RECORDS, NULL, buf, true, xsri_jnum(a), true, xsri_jnum(b), NULL);
}

void xsri_diff_records(struct xsri_diffout *d, struct xsri_diff_img *a, struct xsri_diff_img *b)
{
    char name[96];

    count_field(d, "libxc PAGE_DATA", a->page_records, b->page_records, "records");
    count_field(d, "libxc PAGE_DATA", a->pfn_entries, b->pfn_entries, "pfn entries");
    /* records compared entry by entry elsewhere: their counts only */
    count_field(d, "libxc X86_CPUID_POLICY", a->cpuid.count, b->cpuid.count, "records");
    count_field(d, "libxc X86_MSR_POLICY", a->msr.count, b->msr.count, "records");
    count_field(d, "libxc HVM_PARAMS", a->params.count, b->params.count, "records");
    if (a->nrecs)
        qsort(a->recs, a->nrecs, sizeof(*a->recs), cmp_rec);
    if (b->nrecs)
        qsort(b->recs, b->nrecs, sizeof(*b->recs), cmp_rec);
    size_t i = 0, j = 0;
    while (i < a->nrecs || j < b->nrecs) {
        const struct xsri_diff_rec *ra = i < a->nrecs ? &a->recs[i] : NULL;
        const struct xsri_diff_rec *rb = j < b->nrecs ? &b->recs[j] : NULL;
        const struct xsri_diff_rec *k =
            !ra ? rb : !rb ? ra : (ra->layer < rb->layer || (ra->layer == rb->layer && ra->type <= rb->type)) ? ra : rb;
        enum xsr_layer layer = k->layer;
        uint32_t type = k->type;
        size_t ca = 0, cb = 0;
        while (i + ca < a->nrecs && a->recs[i + ca].layer == layer && a->recs[i + ca].type == type)
            ca++;
        while (j + cb < b->nrecs && b->recs[j + cb].layer == layer && b->recs[j + cb].type == type)
            cb++;
        rec_name(name, sizeof(name), layer, type);
        count_field(d, name, ca, cb, "records");
        for (size_t q = 0; q < ca && q < cb; q++) {
            const struct xsri_diff_rec *x = &a->recs[i + q], *y = &b->recs[j + q];
            if (x->length == y->length && x->hash == y->hash)
                continue;
            char what[128], note[64];
            snprintf(what, sizeof(what), "%s #%zu", name, q);
            snprintf(note, sizeof(note), "bodies differ (%" PRIu32 " vs %" PRIu32 " bytes)", x->length, y->length);
            struct json_object *keys = json_object_new_object();
            if (keys) {
                json_object_object_add(keys, "length_a", xsri_jnum(x->length));
                json_object_object_add(keys, "length_b", xsri_jnum(y->length));
            }
            xsri_diff_add(d, XSRI_DS_RECORDS, keys, what, false, NULL, false, NULL, note);
        }
        i += ca;
        j += cb;
    }
}

/* ---------------------------------------------------------- vCPU state */

static const struct xsri_diff_ctx *find_ctx(const struct xsri_diff_img *m, uint32_t kind, uint32_t id)
{
    size_t lo = 0, hi = m->nctx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct xsri_diff_ctx *c = &m->ctx[mid];
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

static bool regs_of(const struct xsri_diff_img *m, const struct xsri_diff_ctx *c, struct xsri_vcpu_regs *r)
{
    if (!c->body)
        return false;
    if (c->kind == XSR_REC_X86_PV_VCPU_BASIC)
        return xsri_pv_regs(c->body, c->len, m->s.guest_width ? m->s.guest_width : 8, m->order, r,
                            NULL) == 0;
    if (c->kind == XSRI_HVM_KIND(XSR_HVMCTX_CPU))
        return xsri_hvm_regs(c->body, c->len, m->order, r, NULL) == 0;
    return false;
}

static void reg_diff(struct xsri_diffout *d, uint32_t id, const char *reg, uint64_t a, uint64_t b)
{
    char what[64];
    snprintf(what, sizeof(what), "vcpu %" PRIu32 " %s", id, reg);
    struct json_object *keys = json_object_new_object();
    if (keys) {
        json_object_object_add(keys, "vcpu", xsri_jnum(id));
        json_object_object_add(keys, "register", xsri_jstr(reg));
    }
    xsri_diff_add(d, XSRI_DS_VCPUS, keys, what, true, xsri_jhex(a), true, xsri_jhex(b), NULL);
}

static void ctx_entry(struct xsri_diffout *d, uint32_t id, bool per_vcpu, const char *name,
                      const struct xsri_diff_ctx *x, const struct xsri_diff_ctx *y)
{
    char what[96], note[64] = "";
    snprintf(what, sizeof(what), "%s %" PRIu32 " %s", per_vcpu ? "vcpu" : "instance", id, name);
    struct json_object *keys = json_object_new_object();
    if (keys) {
        json_object_object_add(keys, per_vcpu ? "vcpu" : "instance", xsri_jnum(id));
        json_object_object_add(keys, "context", xsri_jstr(name));
    }
    if (x && y) {
        snprintf(note, sizeof(note), "contents differ (%" PRIu32 " vs %" PRIu32 " bytes)", x->len, y->len);
        xsri_diff_add(d, XSRI_DS_VCPUS, keys, what, false, NULL, false, NULL, note);
        return;
    }
    xsri_diff_add(d, XSRI_DS_VCPUS, keys, what, x != NULL, x ? json_object_new_string("present") : NULL,
                  y != NULL, y ? json_object_new_string("present") : NULL, NULL);
}

/* One context present in at least one image; returns true if it differs. */
static bool diff_one_ctx(struct xsri_diffout *d, const struct xsri_diff_img *a, const struct xsri_diff_img *b,
                         uint32_t kind, uint32_t id)
{
    const struct xsri_diff_ctx *x = find_ctx(a, kind, id), *y = find_ctx(b, kind, id);
    bool per_vcpu = kind < 0x10000u || xsr_hvmctx_type_per_vcpu((uint16_t)(kind - 0x10000u));
    char name[64];

    ctx_name(name, sizeof(name), kind);
    if (x && y && x->len == y->len && x->hash == y->hash)
        return false;
    struct xsri_vcpu_regs ra, rb;
    if (x && y && regs_of(a, x, &ra) && regs_of(b, y, &rb)) {
        bool any = false;
        for (unsigned i = 0; i < XSRI_NGREG; i++) {
            if (ra.gr[i] != rb.gr[i]) {
                any = true;
                reg_diff(d, id, xsri_greg_names[i], ra.gr[i], rb.gr[i]);
            }
        }
        static const char *const crn[5] = { "cr0", "cr1", "cr2", "cr3", "cr4" };
        for (unsigned i = 0; i < 5; i++) {
            if (ra.cr[i] != rb.cr[i]) {
                any = true;
                reg_diff(d, id, crn[i], ra.cr[i], rb.cr[i]);
            }
        }
        if (ra.kernel_gs_base != rb.kernel_gs_base) {
            any = true;
            reg_diff(d, id, "kernel_gs_base", ra.kernel_gs_base, rb.kernel_gs_base);
        }
        if (!any) {
            char what[96];
            snprintf(what, sizeof(what), "vcpu %" PRIu32 " %s", id, name);
            struct json_object *keys = json_object_new_object();
            if (keys) {
                json_object_object_add(keys, "vcpu", xsri_jnum(id));
                json_object_object_add(keys, "context", xsri_jstr(name));
            }
            xsri_diff_add(d, XSRI_DS_VCPUS, keys, what, false, NULL, false, NULL,
                          "differs outside the general and control registers");
        }
        return true;
    }
    ctx_entry(d, id, per_vcpu, name, x, y);
    return true;
}

unsigned xsri_diff_vcpus(struct xsri_diffout *d, const struct xsri_diff_img *a, const struct xsri_diff_img *b)
{
    /* distinct vCPU ids with a differing per-vCPU context (PV ids are below
     * XSR_VCPU_MAX, HVM instances 16-bit) */
    uint8_t ids[65536 / 8] = { 0 };
    unsigned nids = 0, other = 0;

    for (int pass = 0; pass < 2; pass++) {
        const struct xsri_diff_img *m = pass ? b : a, *other_img = pass ? a : b;
        for (size_t i = 0; i < m->nctx; i++) {
            const struct xsri_diff_ctx *c = &m->ctx[i];
            if (pass && find_ctx(other_img, c->kind, c->id))
                continue; /* compared in the first pass */
            if (!diff_one_ctx(d, a, b, c->kind, c->id))
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

/* -------------------------------------------------------------- memory */

static void page_range(struct xsri_diffout *d, int cat, uint64_t first, uint64_t last)
{
    static const char *const what[] = { "", "contents differ", "only in A", "only in B" };
    static const char *const change[] = { "", "differ", "only_a", "only_b" };
    char label[64];
    if (first == last)
        snprintf(label, sizeof(label), "0x%" PRIx64, first);
    else
        snprintf(label, sizeof(label), "0x%" PRIx64 "-0x%" PRIx64, first, last);
    char note[64];
    if (first == last)
        snprintf(note, sizeof(note), "%s", what[cat]);
    else
        snprintf(note, sizeof(note), "%s (%" PRIu64 " frames)", what[cat], last - first + 1);
    struct json_object *keys = json_object_new_object();
    if (keys) {
        json_object_object_add(keys, "first", xsri_jnum(first));
        json_object_object_add(keys, "last", xsri_jnum(last));
        json_object_object_add(keys, "frames", xsri_jnum(last - first + 1));
        json_object_object_add(keys, "change", json_object_new_string(change[cat]));
    }
    xsri_diff_add(d, XSRI_DS_PAGES, keys, label, false, NULL, false, NULL, note);
}

/* The next frame that has memory after a restore. */
static bool next_memory(struct xsri_pfn_iter *it)
{
    while (xsri_pfns_next(it))
        if (xsri_pf_memory(it->st))
            return true;
    return false;
}

/* The hash of a frame's memory: of its data (kept by diff.c), or of a zero
 * page (XALLOC). */
static uint64_t memory_hash(const struct xsri_pfn_iter *it, uint64_t zero_hash)
{
    return it->st & XSRI_PF_DATA ? xsri_pfn_iter_aux(it) : zero_hash;
}

void xsri_diff_pages(struct xsri_diffout *d, const struct xsri_diff_img *a, const struct xsri_diff_img *b,
                     bool list, struct xsr_diff_result *res)
{
    static const uint8_t zero[XSR_PAGE_SIZE];
    uint64_t zero_hash = XXH3_64bits(zero, sizeof(zero));
    struct xsri_pfn_iter ia, ib;
    bool ma, mb;
    int run_cat = 0;
    uint64_t run_first = 0, run_last = 0;

    /* the frames with memory on either side, merged in pfn order; a frame
     * named by neither sits between runs */
    xsri_pfns_iter(&ia, &a->s.pfns, 0, UINT64_MAX);
    xsri_pfns_iter(&ib, &b->s.pfns, 0, UINT64_MAX);
    ma = next_memory(&ia);
    mb = next_memory(&ib);
    while (ma || mb) {
        uint64_t pfn = !mb || (ma && ia.pfn < ib.pfn) ? ia.pfn : ib.pfn;
        bool pa = ma && ia.pfn == pfn, pb = mb && ib.pfn == pfn;
        int cat = pa && pb ? memory_hash(&ia, zero_hash) != memory_hash(&ib, zero_hash) : pa ? 2 : 3;
        res->pages_compared++;
        if (cat == 1)
            res->pages_differ++;
        else if (cat == 2)
            res->pages_only_a++;
        else if (cat == 3)
            res->pages_only_b++;
        if (cat != run_cat || pfn != run_last + 1) {
            if (run_cat && list)
                page_range(d, run_cat, run_first, run_last);
            run_cat = cat;
            run_first = pfn;
        }
        run_last = pfn;
        if (pa)
            ma = next_memory(&ia);
        if (pb)
            mb = next_memory(&ib);
    }
    if (run_cat && list)
        page_range(d, run_cat, run_first, run_last);
}
