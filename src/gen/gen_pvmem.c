/* SPDX-License-Identifier: MIT */
/*
 * Contents of the guest's special pages: for PV the p2m frames, start_info,
 * GDT frames and the page tables (as the saver sends them: normalised, i.e.
 * every present entry holds a PFN); for HVM the special pages at the top of
 * memory.  Multi-byte values are in the stream's byte order.
 */
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"

#define PTE_PRESENT 0x001u
#define PTE_RW 0x002u
#define PTE_USER 0x004u
#define PTE_ACCESSED 0x020u
#define PTE_DIRTY 0x040u
#define PTE_PSE 0x080u
#define PTE_NX (1ULL << 63)
#define PTE_TABLE (PTE_PRESENT | PTE_RW | PTE_USER | PTE_ACCESSED | PTE_DIRTY)
#define PTE_DATA (PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY | PTE_NX)
#define PTE_READONLY (PTE_PRESENT | PTE_ACCESSED | PTE_NX)
#define PTE_FRAME_MASK 0x000ffffffffff000ULL

#define L4_DIRECT_MAP_SLOT 272u /* 0xffff880000000000, just above Xen's slots 256..271 */
#define DIRECT_MAP_64 0xffff880000000000ULL
#define PAE_KERNEL_L3_SLOT 3u   /* 0xc0000000 */

static bool in_range(uint64_t pfn, uint64_t first, uint64_t count)
{
    return pfn >= first && pfn - first < count;
}

/* Page tables sit between the console ring and the GDT frames. */
static bool in_pt_area(const struct xsri_gen *g, uint64_t pfn)
{
    return g->pt && pfn > g->console && pfn < g->gdt_first;
}

uint64_t xsri_gen_pt_pages(const struct xsri_gen *g)
{
    if (!g->pt)
        return 0;
    return (g->width == 8 ? 2 : 0) + g->l3_count + g->l2_count + g->l1_count;
}

bool xsri_gen_is_pv_special(const struct xsri_gen *g, uint64_t pfn)
{
    if (in_range(pfn, g->p2m_first, g->p2m_count) || pfn == g->start_info ||
        in_range(pfn, g->gdt_first, g->o.nr_vcpus))
        return true;
    return in_pt_area(g, pfn);
}

/* PAE: the L2 of index j sits in L3 slot 3 (j = 0) or slots 0..2. */
static unsigned pae_l3_slot(uint64_t j)
{
    return j == 0 ? PAE_KERNEL_L3_SLOT : (unsigned)(j - 1);
}

uint64_t xsri_gen_pv_va(const struct xsri_gen *g, uint64_t pfn)
{
    if (g->width == 8)
        return DIRECT_MAP_64 + pfn * XSR_PAGE_SIZE;
    uint64_t k = pfn / XSRI_GEN_PTES, j = k / XSRI_GEN_PAE_L2_USED;
    return (uint64_t)pae_l3_slot(j) << 30 | (k % XSRI_GEN_PAE_L2_USED) << 21 |
           (pfn % XSRI_GEN_PTES) << 12;
}

static void put_word(const struct xsri_gen *g, uint8_t *p, uint64_t v)
{
    if (g->width == 8)
        xsr_st64(p, v, g->o.order);
    else
        xsr_st32(p, (uint32_t)v, g->o.order);
}

static uint64_t pte(uint64_t pfn, uint64_t flags)
{
    return ((pfn << XSR_PAGE_SHIFT) & PTE_FRAME_MASK) | flags;
}

/* Pages the guest cannot have: not in the p2m, not mapped. */
static bool unbacked(const struct xsri_gen *g, uint64_t pfn)
{
    return pfn == g->broken || pfn == g->xalloc || pfn == g->xtab || pfn == g->late_xtab;
}

/* Xen requires page tables and GDT frames to be mapped read-only. */
static bool mapped_readonly(const struct xsri_gen *g, uint64_t pfn)
{
    return in_pt_area(g, pfn) || in_range(pfn, g->gdt_first, g->o.nr_vcpus);
}

static void p2m_frame(const struct xsri_gen *g, uint64_t frame, uint8_t *out)
{
    uint64_t invalid = g->width == 8 ? UINT64_MAX : UINT32_MAX;
    for (uint64_t i = 0; i < g->fpp; i++) {
        uint64_t pfn = frame * g->fpp + i;
        bool valid = pfn < g->n && pfn != g->xtab && pfn != g->late_xtab;
        put_word(g, out + i * g->width, valid ? XSRI_GEN_MFN_BASE + pfn : invalid);
    }
}

/* struct start_info as the guest leaves it on suspend (store/console as PFNs). */
static void start_info(const struct xsri_gen *g, uint8_t *out)
{
    const bool w64 = g->width == 8;
    const char *magic = w64 ? "xen-3.0-x86_64" : "xen-3.0-x86_32p";
    const char *cmdline = "root=/dev/xvda1 ro console=hvc0";
    uint64_t top = g->pt ? (w64 ? g->l4k : g->l3_first) : 0;

    memcpy(out, magic, strlen(magic));
    if (w64) {
        xsr_st64(out + 32, g->n, g->o.order);                    /* nr_pages */
        xsr_st64(out + 40, (uint64_t)(XSRI_GEN_MFN_BASE - 1) << 12, g->o.order); /* shared_info */
        xsr_st32(out + 48, 0, g->o.order);                       /* flags */
        xsr_st64(out + 56, g->xenstore, g->o.order);              /* store_mfn */
        xsr_st32(out + 64, 1, g->o.order);                        /* store_evtchn */
        xsr_st64(out + 72, g->console, g->o.order);               /* console.domU.mfn */
        xsr_st32(out + 80, 2, g->o.order);                        /* console.domU.evtchn */
        xsr_st64(out + 88, g->pt ? xsri_gen_pv_va(g, top) : 0, g->o.order); /* pt_base */
        xsr_st64(out + 96, xsri_gen_pt_pages(g), g->o.order);     /* nr_pt_frames */
        xsr_st64(out + 104, xsri_gen_pv_va(g, g->p2m_first), g->o.order); /* mfn_list */
        memcpy(out + 128, cmdline, strlen(cmdline));
    } else {
        xsr_st32(out + 32, (uint32_t)g->n, g->o.order);
        xsr_st32(out + 36, (uint32_t)(XSRI_GEN_MFN_BASE - 1) << 12, g->o.order);
        xsr_st32(out + 40, 0, g->o.order);
        xsr_st32(out + 44, (uint32_t)g->xenstore, g->o.order);
        xsr_st32(out + 48, 1, g->o.order);
        xsr_st32(out + 52, (uint32_t)g->console, g->o.order);
        xsr_st32(out + 56, 2, g->o.order);
        xsr_st32(out + 60, g->pt ? (uint32_t)xsri_gen_pv_va(g, top) : 0, g->o.order);
        xsr_st32(out + 64, (uint32_t)xsri_gen_pt_pages(g), g->o.order);
        xsr_st32(out + 68, (uint32_t)xsri_gen_pv_va(g, g->p2m_first), g->o.order);
        memcpy(out + 80, cmdline, strlen(cmdline));
    }
}

/* A Linux-like GDT: flat kernel and user segments and a per-CPU entry. */
static void gdt_frame(const struct xsri_gen *g, unsigned vcpu, uint8_t *out)
{
    static const uint64_t gdt64[] = {
        0, 0x00cf9b000000ffffULL, 0x00af9b000000ffffULL, 0x00cf93000000ffffULL,
        0x00cffb000000ffffULL, 0x00cff3000000ffffULL, 0x00affb000000ffffULL,
    };
    static const uint64_t gdt32[] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x00cfbb000000ffffULL, 0x00cfb3000000ffffULL, 0x00cffa000000ffffULL, 0x00cff2000000ffffULL,
    };
    const uint64_t *d = g->width == 8 ? gdt64 : gdt32;
    size_t n = g->width == 8 ? sizeof(gdt64) / 8 : sizeof(gdt32) / 8;
    for (size_t i = 0; i < n; i++)
        xsr_st64(out + i * 8, d[i], g->o.order);
    /* per-CPU data segment, base = vCPU number */
    xsr_st64(out + 15 * 8, 0x0040f50000000000ULL | ((uint64_t)vcpu << 16), g->o.order);
}

static void l1_table(const struct xsri_gen *g, uint64_t k, uint8_t *out)
{
    for (uint64_t i = 0; i < XSRI_GEN_PTES; i++) {
        uint64_t pfn = k * XSRI_GEN_PTES + i;
        uint64_t e = 0;
        if (pfn < g->mapped && !unbacked(g, pfn))
            e = pte(pfn, mapped_readonly(g, pfn) ? PTE_READONLY : PTE_DATA);
        xsr_st64(out + i * 8, e, g->o.order);
    }
}

static void l2_table(const struct xsri_gen *g, uint64_t j, uint8_t *out)
{
    uint64_t per = g->width == 8 ? XSRI_GEN_PTES : XSRI_GEN_PAE_L2_USED;
    for (uint64_t i = 0; i < per; i++) {
        uint64_t k = j * per + i;
        if (k < g->l1_count)
            xsr_st64(out + i * 8, pte(g->l1_first + k, PTE_TABLE), g->o.order);
    }
}

static void l3_table(const struct xsri_gen *g, uint8_t *out)
{
    for (uint64_t j = 0; j < g->l2_count; j++) {
        if (g->width == 8)
            xsr_st64(out + j * 8, pte(g->l2_first + j, PTE_TABLE), g->o.order);
        else /* PAE L3 entries have only the present bit */
            xsr_st64(out + pae_l3_slot(j) * 8, pte(g->l2_first + j, PTE_PRESENT), g->o.order);
    }
}

void xsri_gen_pv_special(const struct xsri_gen *g, uint64_t pfn, uint8_t *out)
{
    memset(out, 0, XSR_PAGE_SIZE);
    if (in_range(pfn, g->p2m_first, g->p2m_count))
        p2m_frame(g, pfn - g->p2m_first, out);
    else if (pfn == g->start_info)
        start_info(g, out);
    else if (in_range(pfn, g->gdt_first, g->o.nr_vcpus))
        gdt_frame(g, (unsigned)(pfn - g->gdt_first), out);
    else if (pfn == g->l4k)
        xsr_st64(out + L4_DIRECT_MAP_SLOT * 8, pte(g->l3_first, PTE_TABLE), g->o.order);
    else if (pfn == g->l4u) /* the user half maps the same tables (read via slot 0) */
        xsr_st64(out, pte(g->l3_first, PTE_TABLE), g->o.order);
    else if (in_range(pfn, g->l3_first, g->l3_count))
        l3_table(g, out);
    else if (in_range(pfn, g->l2_first, g->l2_count))
        l2_table(g, pfn - g->l2_first, out);
    else if (in_range(pfn, g->l1_first, g->l1_count))
        l1_table(g, pfn - g->l1_first, out);
}

/*
 * HVM special pages are all zero except the identity-map page table that
 * HVM_PARAM_IDENT_PT points at (1024 4 MiB PSE entries).  Zero rings match
 * what the restorer makes of them: it clears the xenstore and ioreq pages.
 */
void xsri_gen_hvm_special(const struct xsri_gen *g, uint64_t pfn, uint8_t *out)
{
    memset(out, 0, XSR_PAGE_SIZE);
    if (pfn == g->n - 1 - XSRI_HVM_IDENT_PT) {
        for (uint32_t i = 0; i < 1024; i++)
            xsr_st32(out + i * 4, i << 22 | PTE_PSE | PTE_TABLE, g->o.order);
    }
}
