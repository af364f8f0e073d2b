/* SPDX-License-Identifier: MIT */
/*
 * PV page tables as the hypervisor sees them: which slots are Xen's, filling
 * them when a top-level table is pinned, and validating (typing) every table
 * reachable from a pinned one through the M2P.
 */
#include <inttypes.h>
#include <string.h>

#include "sim_internal.h"

bool sim_pt_xen_slot(const struct sim_dom *s, unsigned lvl, unsigned l3slot, unsigned idx)
{
    if (s->h->pt_levels == 4)
        return lvl == 4 && idx >= SIM_XEN_L4_FIRST && idx <= SIM_XEN_L4_LAST;
    if (lvl == 3)
        return idx >= 4;
    return lvl == 2 && l3slot == 3 && idx >= SIM_XEN_L2_COMPAT_FIRST;
}

static uint64_t *table(struct sim_dom *s, uint64_t pfn)
{
    return (uint64_t *)sim_frame(s, sim_p2m(s, pfn));
}

static void store_pte(uint64_t *t, unsigned i, uint64_t v)
{
    __atomic_store_n(&t[i], v, __ATOMIC_RELAXED);
}

void sim_pt_fill_xen(struct sim_dom *s, uint64_t top_pfn)
{
    uint64_t *t = table(s, top_pfn);
    if (s->h->pt_levels == 4) {
        for (unsigned i = SIM_XEN_L4_FIRST; i <= SIM_XEN_L4_LAST; i++)
            store_pte(t, i, sim_xen_mfn(s, i - SIM_XEN_L4_FIRST) << 12 | 0x63);
        return;
    }
    /* 32-bit PAE: the L2 of the top 1 GiB maps the compat M2P from slot 428 */
    uint64_t e = t[3];
    if (!(e & SIM_PTE_PRESENT))
        return;
    uint64_t pfn = sim_m2p(s, (e & SIM_PTE_FRAME) >> 12);
    if (pfn == XSR_INVALID_FRAME)
        return;
    uint64_t *l2 = table(s, pfn);
    uint64_t m2p0 = sim_xen_mfn(s, 16);
    for (unsigned i = SIM_XEN_L2_COMPAT_FIRST; i < 512; i++)
        store_pte(l2, i, (m2p0 + i - SIM_XEN_L2_COMPAT_FIRST) << 12 | 0x21);
}

static int walk(struct sim_dom *s, uint64_t pfn, unsigned lvl, unsigned l3slot,
                struct xsr_error *err)
{
    const uint64_t *t = table(s, pfn);
    unsigned n = (lvl == 3 && s->h->pt_levels == 3) ? 4 : 512;
    for (unsigned i = 0; i < n; i++) {
        uint64_t e = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
        if (!(e & SIM_PTE_PRESENT) || sim_pt_xen_slot(s, lvl, l3slot, i))
            continue;
        uint64_t mfn = (e & SIM_PTE_FRAME) >> 12, child = sim_m2p(s, mfn);
        if (child == XSR_INVALID_FRAME)
            return xsr_error_set(err, XSR_EFORMAT,
                                 "L%u table pfn %#" PRIx64 " entry %u maps mfn %#" PRIx64
                                 ", which is not the guest's",
                                 lvl, pfn, i, mfn);
        if (lvl == 1)
            continue;
        if (e & SIM_PTE_PSE)
            return xsr_error_set(err, XSR_EFORMAT, "L%u table pfn %#" PRIx64 " entry %u is a superpage",
                                 lvl, pfn, i);
        unsigned want = lvl - 1, have = sim_type(s, child);
        if (xsr_pfn_type_level(have) == want)
            continue; /* already validated */
        if (have != XSR_PFN_NOTAB)
            return xsr_error_set(err, XSR_EFORMAT,
                                 "L%u table pfn %#" PRIx64 " entry %u maps pfn %#" PRIx64
                                 " of type %s as an L%u table",
                                 lvl, pfn, i, child, xsr_pfn_type_name(have), want);
        sim_set_type(s, child, want);
        int rc = walk(s, child, want, lvl == 3 ? i : l3slot, err);
        if (rc)
            return rc;
    }
    return 0;
}

int sim_pt_validate(struct sim_dom *s, uint64_t top_pfn, unsigned lvl, struct xsr_error *err)
{
    return walk(s, top_pfn, lvl, 0, err);
}
