/* SPDX-License-Identifier: MIT */
/*
 * Looking at a sim domain: summary and `show`, the page-table walk that
 * proves the tables map the guest, the A-B stamp check.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "util/opts.h"

static const char *type_name(enum xsr_sim_type t)
{
    return t == XSR_SIM_PV ? "pv (64-bit, 4 levels)" : t == XSR_SIM_PV32 ? "pv32 (32-bit PAE, 3 levels)" : "hvm";
}

int xsr_sim_summary(struct xsr_domain *d, struct xsr_sim_summary *out, struct xsr_error *err)
{
    if (!xsr_sim_is(d) || !out)
        return xsr_error_set(err, XSR_EINVAL, "xsr_sim_summary: not a sim domain");
    struct sim_dom *s = sim_of(d);
    struct xsr_domain_info i = XSR_DOMAIN_INFO_INIT;
    int rc = xsri_opts_check(out->size, sizeof *out, sizeof *out, "xsr_sim_summary", err);
    if (!rc)
        rc = d->ops->get_info(d, &i, err);
    if (rc)
        return rc;
    *out = (struct xsr_sim_summary){ .size = sizeof *out, .type = s->h->sim_type, .max_pfn = s->h->max_pfn,
                                     .nr_pages = s->h->nr_pages, .nr_frames = s->h->nr_frames,
                                     .balloon_pages = s->h->balloon_pages,
                                     .broken_pages = s->h->broken_pages,
                                     .p2m_frames = s->h->nr_p2m_frames,
                                     .max_vcpus = s->h->max_vcpus, .online_vcpus = i.nr_online_vcpus,
                                     .stamp = s->h->stamp, .seed = s->h->seed,
                                     .paused = s->h->paused };
    for (uint64_t pfn = 0; pfn <= s->h->max_pfn; pfn++)
        if (sim_p2m(s, pfn) != XSR_INVALID_FRAME)
            out->pt_pages[xsr_pfn_type_level(sim_type(s, pfn))]++;
    out->pt_pages[0] = 0;
    return 0;
}

int xsr_sim_show(struct xsr_domain *d, FILE *out, struct xsr_error *err)
{
    struct xsr_sim_summary m = XSR_SIM_SUMMARY_INIT;
    int rc = xsr_sim_summary(d, &m, err);
    if (rc)
        return rc;
    struct sim_dom *s = sim_of(d);
    fprintf(out, "type          %s\n", type_name(m.type));
    fprintf(out, "memory        %" PRIu64 " pages populated (%" PRIu64 " MiB), max pfn %#" PRIx64 "\n",
            m.nr_pages, m.nr_pages * SIM_PAGE >> 20, m.max_pfn);
    fprintf(out, "frames        %" PRIu64 " machine frames, %" PRIu64 " free\n", m.nr_frames, s->h->nr_free);
    fprintf(out, "holes         %" PRIu64 " ballooned, %" PRIu64 " broken\n", m.balloon_pages, m.broken_pages);
    if (sim_is_pv(s))
        fprintf(out, "page tables   L1 %" PRIu64 ", L2 %" PRIu64 ", L3 %" PRIu64 ", L4 %" PRIu64
                     "; P2M in %" PRIu64 " frames\n",
                m.pt_pages[1], m.pt_pages[2], m.pt_pages[3], m.pt_pages[4], m.p2m_frames);
    fprintf(out, "vcpus         %" PRIu32 " online of %" PRIu32 "\n", m.online_vcpus, m.max_vcpus);
    static const char *const slot_names[] = { "vcpu basic", "vcpu extended", "vcpu xsave", "vcpu msrs",
                                               "hvm context", "cpuid policy", "msr policy", "shared info" };
    for (unsigned k = 0; k < SIM_SLOTS_DOMAIN_END; k++) {
        uint32_t *len;
        if (!s->h->slot_cap[k])
            continue;
        sim_slot(s, k, 0, &len);
        fprintf(out, "%-13s %" PRIu32 " bytes%s\n", slot_names[k], *len, k < SIM_SLOTS_PER_VCPU ? " (vCPU 0)" : "");
    }
    fprintf(out, "tsc           mode %" PRIu32 ", %" PRIu32 " kHz, incarnation %" PRIu32 "\n",
            s->h->tsc_mode, s->h->tsc_khz, s->h->tsc_incarnation);
    fprintf(out, "state         %s, %" PRIu64 " workload writes, seed %" PRIu64 "\n",
            m.paused ? "paused" : "running", m.stamp, m.seed);
    return 0;
}

struct walk {
    struct sim_dom *s;
    uint8_t *mapped;
};

static int walk(struct walk *w, uint64_t pfn, unsigned lvl, unsigned l3slot, struct xsr_error *err)
{
    struct sim_dom *s = w->s;
    const uint64_t *t = (const uint64_t *)sim_frame(s, sim_p2m(s, pfn));
    unsigned n = (lvl == 3 && s->h->pt_levels == 3) ? 4 : 512;
    for (unsigned i = 0; i < 512; i++) {
        uint64_t e = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
        uint64_t mfn = (e & SIM_PTE_FRAME) >> 12;
        if (sim_pt_xen_slot(s, lvl, l3slot, i)) {
            bool want = lvl == 4 || lvl == 2; /* the L3 tail of a PAE guest stays empty */
            if (want && (!(e & SIM_PTE_PRESENT) || mfn < s->h->xen_mfn_base))
                return xsr_error_set(err, XSR_EFORMAT, "L%u table pfn %#" PRIx64 " slot %u is Xen's but holds %#" PRIx64,
                                     lvl, pfn, i, e);
            continue;
        }
        if (i >= n || !(e & SIM_PTE_PRESENT))
            continue;
        uint64_t child = sim_m2p(s, mfn);
        if (child == XSR_INVALID_FRAME)
            return xsr_error_set(err, XSR_EFORMAT, "L%u table pfn %#" PRIx64 " entry %u maps mfn %#" PRIx64
                                 ", not a frame of the guest", lvl, pfn, i, mfn);
        if (lvl == 1) {
            w->mapped[child] = 1;
            continue;
        }
        if (xsr_pfn_type_level(sim_type(s, child)) != lvl - 1)
            return xsr_error_set(err, XSR_EFORMAT, "L%u table pfn %#" PRIx64 " entry %u maps pfn %#" PRIx64
                                 " of type %s", lvl, pfn, i, child, xsr_pfn_type_name(sim_type(s, child)));
        int rc = walk(w, child, lvl - 1, lvl == 3 ? i : l3slot, err);
        if (rc)
            return rc;
    }
    return 0;
}

int xsr_sim_check_tables(struct xsr_domain *d, uint64_t *unmapped, struct xsr_error *err)
{
    if (!xsr_sim_is(d))
        return xsr_error_set(err, XSR_EINVAL, "xsr_sim_check_tables: not a sim domain");
    struct sim_dom *s = sim_of(d);
    if (!sim_is_pv(s))
        return xsr_error_set(err, XSR_EUNSUP, "an HVM guest has no page tables the hypervisor knows");
    struct walk w = { s, calloc(s->h->max_pfn + 1, 1) };
    if (!w.mapped)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    unsigned top = s->h->pt_levels + 8;
    uint64_t tops = 0;
    int rc = 0;
    pthread_mutex_lock(&s->run_lock);
    for (uint64_t pfn = 0; pfn <= s->h->max_pfn && !rc; pfn++)
        if (sim_p2m(s, pfn) != XSR_INVALID_FRAME && sim_type(s, pfn) == top) {
            tops++;
            rc = walk(&w, pfn, s->h->pt_levels, 0, err);
        }
    uint64_t n = 0;
    for (uint64_t pfn = 0; pfn <= s->h->max_pfn && !rc; pfn++)
        if (sim_p2m(s, pfn) != XSR_INVALID_FRAME && sim_type(s, pfn) != XSR_PFN_BROKEN && !w.mapped[pfn])
            n++;
    pthread_mutex_unlock(&s->run_lock);
    free(w.mapped);
    if (!rc && !tops)
        rc = xsr_error_set(err, XSR_EFORMAT, "no pinned top-level page table");
    if (!rc && unmapped)
        *unmapped = n;
    return rc;
}

int xsr_sim_check_stamps(struct xsr_domain *d, uint64_t *torn, uint64_t *first_torn,
                         struct xsr_error *err)
{
    if (!xsr_sim_is(d) || !torn)
        return xsr_error_set(err, XSR_EINVAL, "xsr_sim_check_stamps: bad arguments");
    struct sim_dom *s = sim_of(d);
    uint64_t n = 0, first = UINT64_MAX;
    pthread_mutex_lock(&s->run_lock);
    for (uint64_t pfn = 0; pfn <= s->h->max_pfn; pfn++) {
        uint64_t mfn = sim_p2m(s, pfn);
        if (mfn == XSR_INVALID_FRAME || sim_type(s, pfn) != XSR_PFN_NOTAB)
            continue;
        uint64_t a, b;
        memcpy(&a, sim_frame(s, mfn), 8);
        memcpy(&b, sim_frame(s, mfn) + SIM_STAMP_END, 8);
        if (sim_is_stamp(a) && a != b) {
            if (!n)
                first = pfn;
            n++;
        }
    }
    pthread_mutex_unlock(&s->run_lock);
    *torn = n;
    if (first_torn)
        *first_torn = first;
    return 0;
}
