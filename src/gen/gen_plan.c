/* SPDX-License-Identifier: MIT */
/*
 * What each memory pass sends: the pfn types per pass, the "dirty" pages of
 * later passes, page contents, and the final memory a receiver ends up with.
 * All of it is computed from (options, pfn, pass) alone.
 */
#include <string.h>

#include "gen_internal.h"

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t xsri_gen_hash(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = mix64(a + GOLDEN_GAMMA);
    h = mix64(h ^ (b + 2 * GOLDEN_GAMMA));
    return mix64(h ^ (c + 3 * GOLDEN_GAMMA));
}

void xsri_gen_random(uint8_t *out, size_t n, uint64_t state)
{
    for (size_t i = 0; i + 8 <= n; i += 8) {
        state += GOLDEN_GAMMA;
        xsr_st64(out + i, mix64(state), XSR_LITTLE_ENDIAN);
    }
}

/*
 * Page kinds, so that dumps, statistics and compression see realistic
 * variety: all-zero pages (pfn multiples of 32 in the first pass, and one in
 * eight otherwise), sparse pages (a few words set), low-entropy pages (one
 * 64-byte line repeated), and random pages.
 */
void xsr_gen_page_fill(uint64_t seed, uint64_t pfn, unsigned pass, uint8_t out[XSR_PAGE_SIZE])
{
    uint64_t h = xsri_gen_hash(seed, pfn, pass);
    unsigned kind = (unsigned)(h >> 61);

    if ((pass == 0 && pfn % 32 == 0) || kind == 0) {
        memset(out, 0, XSR_PAGE_SIZE);
    } else if (kind == 1) {
        memset(out, 0, XSR_PAGE_SIZE);
        for (unsigned i = 0; i < 8; i++) {
            uint64_t r = mix64(h + (i + 1) * GOLDEN_GAMMA);
            xsr_st64(out + (r % (XSR_PAGE_SIZE / 8)) * 8, r | 1, XSR_LITTLE_ENDIAN);
        }
    } else if (kind == 2) {
        xsri_gen_random(out, 64, h);
        for (unsigned off = 64; off < XSR_PAGE_SIZE; off += 64)
            memcpy(out + off, out, 64);
    } else {
        xsri_gen_random(out, XSR_PAGE_SIZE, h);
    }
}

/* A shrinking share of the pages is dirtied again in each later pass. */
static bool dirty(const struct xsri_gen *g, uint64_t pfn, unsigned pass)
{
    unsigned threshold = pass >= 5 ? 2u : 64u >> pass;
    return (xsri_gen_hash(g->o.seed ^ 0x6469727479ULL, pfn, pass) & 63) < threshold;
}

static bool in_range(uint64_t pfn, uint64_t first, uint64_t count)
{
    return pfn >= first && pfn - first < count;
}

/* Sent once, in the first pass, with no data. */
static int hole_type(const struct xsri_gen *g, uint64_t pfn)
{
    if (pfn == g->broken)
        return XSR_PFN_BROKEN;
    if (pfn == g->xalloc)
        return XSR_PFN_XALLOC;
    if (pfn == g->xtab)
        return XSR_PFN_XTAB;
    if (!g->pv && g->vga_hole && pfn >= XSRI_GEN_VGA_FIRST && pfn < XSRI_GEN_VGA_END)
        return XSR_PFN_XTAB;
    return -1;
}

/* Type of a page that carries data, and whether later passes may resend it. */
static unsigned base_type(const struct xsri_gen *g, uint64_t pfn, bool *dirtyable)
{
    *dirtyable = true;
    if (g->pv) {
        if (g->pt) {
            if (pfn == g->l4k || pfn == g->l4u) {
                *dirtyable = false;
                return XSR_PFN_L4TAB_PIN;
            }
            if (in_range(pfn, g->l3_first, g->l3_count)) {
                *dirtyable = false;
                return g->levels == 4 ? XSR_PFN_L3TAB : XSR_PFN_L3TAB_PIN;
            }
            if (in_range(pfn, g->l2_first, g->l2_count)) {
                *dirtyable = false;
                return XSR_PFN_L2TAB;
            }
            if (in_range(pfn, g->l1_first, g->l1_count))
                return XSR_PFN_L1TAB; /* leaf tables change while the guest runs */
        }
        if (in_range(pfn, g->p2m_first, g->p2m_count) || pfn == g->start_info ||
            in_range(pfn, g->gdt_first, g->o.nr_vcpus))
            *dirtyable = false;
        return XSR_PFN_NOTAB;
    }
    if (pfn >= g->hvm_special || (g->ioreq_server != XSRI_GEN_NO_PFN && pfn >= g->ioreq_server))
        *dirtyable = false;
    return XSR_PFN_NOTAB;
}

int xsri_gen_sent_type(const struct xsri_gen *g, uint64_t pfn, unsigned pass)
{
    if (pfn >= g->n || pass >= g->passes)
        return -1;
    int t = hole_type(g, pfn);
    if (t >= 0)
        return pass == 0 ? t : -1;

    bool dirtyable;
    unsigned bt = base_type(g, pfn, &dirtyable);
    if (pfn == g->deferred) {
        /* could not be normalised while the guest ran: resent in the last live pass */
        if (pass == 0)
            return XSR_PFN_XTAB;
        if (pass == g->live)
            return (int)bt;
    } else if (pfn == g->late_xtab) {
        /* ballooned out during the live phase */
        if (pass == g->live)
            return XSR_PFN_XTAB;
        if (pass > g->live)
            return -1;
    }
    if (pass == 0)
        return (int)bt;
    return dirtyable && dirty(g, pfn, pass) ? (int)bt : -1;
}

int xsri_gen_final_type(const struct xsri_gen *g, uint64_t pfn, unsigned *last_pass)
{
    for (unsigned p = g->passes; p-- > 0;) {
        int t = xsri_gen_sent_type(g, pfn, p);
        if (t >= 0) {
            if (last_pass)
                *last_pass = p;
            return t;
        }
    }
    return -1;
}

void xsri_gen_content(const struct xsri_gen *g, uint64_t pfn, unsigned pass, uint8_t *out)
{
    if (g->pv) {
        if (xsri_gen_is_pv_special(g, pfn)) {
            xsri_gen_pv_special(g, pfn, out);
            return;
        }
    } else if (pfn >= g->hvm_special ||
               (g->ioreq_server != XSRI_GEN_NO_PFN && pfn >= g->ioreq_server)) {
        xsri_gen_hvm_special(g, pfn, out);
        return;
    }
    xsr_gen_page_fill(g->o.seed, pfn, pass, out);
}

int xsr_gen_final_page(const struct xsr_gen_opts *o, uint64_t pfn, uint8_t out[XSR_PAGE_SIZE])
{
    struct xsri_gen g;
    unsigned pass = 0;
    int rc = xsri_gen_setup(&g, o, NULL);
    if (rc < 0)
        return rc;
    int t = xsri_gen_final_type(&g, pfn, &pass);
    if (t < 0 || !xsr_pfn_type_has_data((unsigned)t)) {
        memset(out, 0, XSR_PAGE_SIZE);
        return 0;
    }
    xsri_gen_content(&g, pfn, pass, out);
    return 1;
}

int xsr_gen_final_type(const struct xsr_gen_opts *o, uint64_t pfn)
{
    struct xsri_gen g;
    int rc = xsri_gen_setup(&g, o, NULL);
    if (rc < 0)
        return rc;
    int t = xsri_gen_final_type(&g, pfn, NULL);
    return t < 0 ? XSR_GEN_NOT_SENT : t;
}
