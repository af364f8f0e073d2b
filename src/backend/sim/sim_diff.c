/* SPDX-License-Identifier: MIT */
/*
 * Compare two sim domains as a restore must reproduce them: the same pfns
 * populated, the same page types, memory byte for byte, except where a
 * frame number is stored (PV page-table entries, the P2M array, start info,
 * vCPU contexts): there the machine numbers of each domain are translated to
 * pfns first (hypervisor frames to their index), so two domains that differ
 * only in machine-frame numbering are equal.  Fields a restorer rewrites by
 * design (start info's shared-info address, event channels and flags) are
 * not compared.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

struct dctx {
    FILE *out;
    unsigned max;
    uint64_t n;
};

__attribute__((format(printf, 2, 3))) static void report(struct dctx *c, const char *fmt, ...)
{
    if (c->out && c->n < c->max) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(c->out, fmt, ap);
        va_end(ap);
        fputc('\n', c->out);
    }
    c->n++;
}

/* A machine frame as something comparable across domains. */
static uint64_t xlate(const struct sim_dom *s, uint64_t mfn)
{
    if (mfn >= s->h->xen_mfn_base)
        return (1ull << 62) | (mfn - s->h->xen_mfn_base);
    uint64_t pfn = sim_m2p(s, mfn);
    return pfn == XSR_INVALID_FRAME ? (1ull << 61) : pfn;
}

static uint64_t xlate_pte(const struct sim_dom *s, uint64_t e)
{
    if (!(e & SIM_PTE_PRESENT))
        return e;
    return (e & ~SIM_PTE_FRAME) | (xlate(s, (e & SIM_PTE_FRAME) >> 12) << 12);
}

static void diff_table(struct dctx *c, struct sim_dom *a, struct sim_dom *b, uint64_t pfn,
                       const uint64_t *ta, const uint64_t *tb)
{
    for (unsigned i = 0; i < 512; i++) {
        uint64_t ea = xlate_pte(a, ta[i]), eb = xlate_pte(b, tb[i]);
        if (ea != eb) {
            report(c, "pfn %#" PRIx64 ": page-table entry %u differs (A %#" PRIx64 ", B %#" PRIx64
                      ", frames as pfns)", pfn, i, ea, eb);
            return;
        }
    }
}

static bool is_p2m_frame(const struct sim_dom *s, uint64_t pfn, uint64_t *index)
{
    uint64_t mfn = sim_p2m(s, pfn);
    for (uint64_t i = 0; i < s->h->nr_p2m_frames; i++)
        if (s->p2mlist[i] == mfn) {
            *index = i;
            return true;
        }
    return false;
}

static uint64_t xlate_word(const struct sim_dom *s, uint64_t v, unsigned w)
{
    uint64_t invalid = w == 4 ? UINT32_MAX : UINT64_MAX;
    return v == invalid ? UINT64_MAX : xlate(s, v);
}

static void diff_p2m_frame(struct dctx *c, struct sim_dom *a, struct sim_dom *b, uint64_t pfn,
                           const uint8_t *pa, const uint8_t *pb)
{
    unsigned w = a->h->guest_width;
    for (unsigned i = 0; i < SIM_PAGE / w; i++) {
        uint64_t va = xlate_word(a, sim_ld_word(pa + i * w, w), w);
        uint64_t vb = xlate_word(b, sim_ld_word(pb + i * w, w), w);
        if (va != vb) {
            report(c, "pfn %#" PRIx64 ": P2M entry %u differs (as pfns: A %#" PRIx64 ", B %#" PRIx64 ")",
                   pfn, i, va, vb);
            return;
        }
    }
}

static void diff_start_info(struct dctx *c, struct sim_dom *a, struct sim_dom *b, uint64_t pfn,
                            const uint8_t *pa, const uint8_t *pb)
{
    unsigned w = a->h->guest_width;
    const struct sim_start_info_layout *l = sim_start_info_layout(w);
    uint8_t ca[SIM_PAGE], cb[SIM_PAGE];
    memcpy(ca, pa, SIM_PAGE);
    memcpy(cb, pb, SIM_PAGE);
    const uint32_t frames[] = { l->store_mfn, l->console_mfn };
    /* a suspended guest names them by pfn already */
    for (unsigned i = 0; i < 2; i++) {
        if (a->h->paused != SIM_SUSPENDED)
            sim_st_word(ca + frames[i], w, xlate(a, sim_ld_word(ca + frames[i], w)));
        if (b->h->paused != SIM_SUSPENDED)
            sim_st_word(cb + frames[i], w, xlate(b, sim_ld_word(cb + frames[i], w)));
    }
    const uint32_t rewritten[] = { l->shared_info, l->flags, l->store_evtchn, l->console_evtchn };
    for (unsigned i = 0; i < 4; i++) {
        unsigned n = (i == 0) ? w : 4;
        memset(ca + rewritten[i], 0, n);
        memset(cb + rewritten[i], 0, n);
    }
    for (unsigned i = 0; i < SIM_PAGE; i++)
        if (ca[i] != cb[i]) {
            report(c, "pfn %#" PRIx64 " (start info): differs at offset %#x", pfn, i);
            return;
        }
}

static void diff_memory(struct dctx *c, struct sim_dom *a, struct sim_dom *b)
{
    uint64_t maxp = a->h->max_pfn > b->h->max_pfn ? a->h->max_pfn : b->h->max_pfn;
    bool pv = sim_is_pv(a);
    for (uint64_t pfn = 0; pfn <= maxp; pfn++) {
        uint64_t ma = sim_p2m(a, pfn), mb = sim_p2m(b, pfn);
        if ((ma == XSR_INVALID_FRAME) != (mb == XSR_INVALID_FRAME)) {
            report(c, "pfn %#" PRIx64 ": has a frame in %s only", pfn, ma == XSR_INVALID_FRAME ? "B" : "A");
            continue;
        }
        if (ma == XSR_INVALID_FRAME)
            continue;
        unsigned ta = sim_type(a, pfn), tb = sim_type(b, pfn);
        if (ta != tb)
            report(c, "pfn %#" PRIx64 ": page type %s in A, %s in B", pfn, xsr_pfn_type_name(ta),
                   xsr_pfn_type_name(tb));
        if (ta == XSR_PFN_BROKEN || tb == XSR_PFN_BROKEN)
            continue;
        const uint8_t *pa = sim_frame(a, ma), *pb = sim_frame(b, mb);
        uint64_t ia, ib;
        if (pv && xsr_pfn_type_level(ta) && xsr_pfn_type_level(ta) == xsr_pfn_type_level(tb)) {
            diff_table(c, a, b, pfn, (const uint64_t *)pa, (const uint64_t *)pb);
        } else if (pv && is_p2m_frame(a, pfn, &ia)) {
            if (!is_p2m_frame(b, pfn, &ib) || ia != ib)
                report(c, "pfn %#" PRIx64 ": holds P2M frame %" PRIu64 " in A, not in B", pfn, ia);
            else
                diff_p2m_frame(c, a, b, pfn, pa, pb);
        } else if (pv && pfn == a->h->start_info_pfn && pfn == b->h->start_info_pfn) {
            diff_start_info(c, a, b, pfn, pa, pb);
        } else if (memcmp(pa, pb, SIM_PAGE) != 0) {
            unsigned off = 0;
            while (pa[off] == pb[off])
                off++;
            report(c, "pfn %#" PRIx64 ": memory differs from offset %#x", pfn, off);
        }
    }
    if (pv && a->h->start_info_pfn != b->h->start_info_pfn)
        report(c, "start info: pfn %#" PRIx64 " in A, %#" PRIx64 " in B", a->h->start_info_pfn,
               b->h->start_info_pfn);
    if (pv && a->h->nr_p2m_frames != b->h->nr_p2m_frames)
        report(c, "P2M frame list: %" PRIu64 " frames in A, %" PRIu64 " in B", a->h->nr_p2m_frames,
               b->h->nr_p2m_frames);
}

/* vcpu_guest_context with its frame numbers as pfns */
static void xlate_basic(const struct sim_dom *s, uint8_t *c, uint32_t len, uint32_t vcpu)
{
    unsigned w = s->h->guest_width;
    if (len != xsr_vcpu_ctx_size(xsr_vcpu_kind_pv(w)))
        return;
    if (vcpu == 0)
        sim_vcpu_put(c, w, XSR_VCPU_RDX, 0, xlate(s, sim_vcpu_get(c, w, XSR_VCPU_RDX, 0)));
    uint64_t ents = sim_vcpu_get(c, w, XSR_VCPU_GDT_ENTS, 0);
    for (unsigned i = 0; i < xsr_pv_gdt_frames_used(ents); i++)
        sim_vcpu_put(c, w, XSR_VCPU_GDT_FRAMES, i,
                     xlate(s, sim_vcpu_get(c, w, XSR_VCPU_GDT_FRAMES, i)));
    uint64_t cr3 = sim_vcpu_get(c, w, XSR_VCPU_CR3, 0);
    sim_vcpu_put(c, w, XSR_VCPU_CR3, 0, xlate(s, xsr_pv_cr3_to_frame(cr3, w)));
    uint64_t cr1 = sim_vcpu_get(c, w, XSR_VCPU_CR1, 0);
    if (w == 8 && cr1)
        sim_vcpu_put(c, w, XSR_VCPU_CR1, 0, xlate(s, cr1 >> 12));
}

static void diff_blob(struct dctx *c, const char *what, const uint8_t *a, uint32_t la,
                      const uint8_t *b, uint32_t lb)
{
    if (la != lb) {
        report(c, "%s: %" PRIu32 " bytes in A, %" PRIu32 " in B", what, la, lb);
        return;
    }
    for (uint32_t i = 0; i < la; i++)
        if (a[i] != b[i]) {
            report(c, "%s: differs at offset %#" PRIx32, what, i);
            return;
        }
}

static void diff_state(struct dctx *c, struct sim_dom *a, struct sim_dom *b)
{
    static const char *const kind[] = { "BASIC", "EXTENDED", "XSAVE", "MSRS" };
    uint32_t nv = a->h->max_vcpus > b->h->max_vcpus ? a->h->max_vcpus : b->h->max_vcpus;
    char what[64];
    if (sim_is_pv(a)) {
        uint8_t *ca = malloc(2 * 8192), *cb = ca ? ca + 8192 : NULL;
        for (uint32_t v = 0; ca && v < nv; v++)
            for (unsigned k = 0; k < SIM_SLOTS_PER_VCPU; k++) {
                uint32_t zero = 0, *la = &zero, *lb = &zero;
                const uint8_t *sa = v < a->h->max_vcpus ? sim_slot(a, k, v, &la) : NULL;
                const uint8_t *sb = v < b->h->max_vcpus ? sim_slot(b, k, v, &lb) : NULL;
                memcpy(ca, sa ? sa : ca, *la);
                memcpy(cb, sb ? sb : cb, *lb);
                if (k == SIM_SLOT_BASIC) {
                    xlate_basic(a, ca, *la, v);
                    xlate_basic(b, cb, *lb, v);
                }
                snprintf(what, sizeof what, "vCPU %" PRIu32 " %s context", v, kind[k]);
                diff_blob(c, what, ca, *la, cb, *lb);
            }
        if (!ca)
            report(c, "vCPU contexts: out of memory, not compared");
        free(ca);
    }
    static const char *const dom_names[] = { "HVM context", "CPUID policy", "MSR policy", "shared info" };
    for (unsigned k = SIM_SLOTS_PER_VCPU; k < SIM_SLOTS_DOMAIN_END; k++) {
        uint32_t *la, *lb;
        const uint8_t *sa = sim_slot(a, k, 0, &la), *sb = sim_slot(b, k, 0, &lb);
        diff_blob(c, dom_names[k - SIM_SLOTS_PER_VCPU], sa, *la, sb, *lb);
    }
    /* the event channels of xenstore and the console are the new host's:
     * a restorer sets them (they are not in the stream), as it rewrites start
     * info's for a PV guest */
    for (unsigned i = 0; i < SIM_NR_PARAMS; i++)
        if (a->h->hvm_params[i] != b->h->hvm_params[i] && i != 2 /* STORE_EVTCHN */ &&
            i != 18 /* CONSOLE_EVTCHN */)
            report(c, "HVM param %u (%s): %#" PRIx64 " in A, %#" PRIx64 " in B", i,
                   xsr_hvm_param_name(i) ? xsr_hvm_param_name(i) : "?", a->h->hvm_params[i],
                   b->h->hvm_params[i]);
    if (a->h->tsc_mode != b->h->tsc_mode || a->h->tsc_khz != b->h->tsc_khz ||
        a->h->tsc_nsec != b->h->tsc_nsec || a->h->tsc_incarnation != b->h->tsc_incarnation)
        report(c, "TSC info differs");
}

int xsr_sim_diff(struct xsr_domain *da, struct xsr_domain *db, FILE *out, unsigned max_report,
                 uint64_t *ndiff, struct xsr_error *err)
{
    if (!xsr_sim_is(da) || !xsr_sim_is(db) || !ndiff)
        return xsr_error_set(err, XSR_EINVAL, "xsr_sim_diff: two sim domains are needed");
    struct sim_dom *a = sim_of(da), *b = sim_of(db);
    struct dctx c = { out, max_report, 0 };
    if (a->h->dom_type != b->h->dom_type || a->h->guest_width != b->h->guest_width ||
        a->h->pt_levels != b->h->pt_levels) {
        report(&c, "guest type: %s/%" PRIu32 "-bit in A, %s/%" PRIu32 "-bit in B",
               xsr_dom_type_name(a->h->dom_type), a->h->guest_width * 8,
               xsr_dom_type_name(b->h->dom_type), b->h->guest_width * 8);
        *ndiff = c.n;
        return 0;
    }
    pthread_mutex_lock(&a->run_lock);
    if (b != a)
        pthread_mutex_lock(&b->run_lock);
    diff_memory(&c, a, b);
    diff_state(&c, a, b);
    if (b != a)
        pthread_mutex_unlock(&b->run_lock);
    pthread_mutex_unlock(&a->run_lock);
    if (out && c.n > c.max)
        fprintf(out, "... and %" PRIu64 " more differences\n", c.n - c.max);
    *ndiff = c.n;
    return 0;
}
