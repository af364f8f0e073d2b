/* SPDX-License-Identifier: MIT */
/* Generator options: defaults, validation and the guest layout derived from them. */
#include <inttypes.h>
#include <string.h>

#include "gen_internal.h"
#include "util/opts.h"

void xsr_gen_opts_init(struct xsr_gen_opts *o, uint32_t version, uint32_t dom_type)
{
    memset(o, 0, sizeof(*o));
    o->size = sizeof(*o);
    o->version = version;
    o->dom_type = dom_type;
    o->order = XSR_LITTLE_ENDIAN;
    o->wrap = XSR_LAYER_LIBXC;
    o->guest_width = 8;
    o->nr_pages = 256;
    o->nr_vcpus = 1;
    o->page_tables = dom_type == XSR_DOM_X86_PV;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static int check_opts(const struct xsr_gen_opts *o, struct xsr_error *err)
{
    if (o->version < XSR_VERSION_MIN || o->version > XSR_VERSION_MAX)
        return xsr_error_set(err, XSR_EINVAL,
                             "cannot generate stream version %" PRIu32 ": only 2, 3 and 4 exist",
                             o->version);
    if (o->dom_type != XSR_DOM_X86_PV && o->dom_type != XSR_DOM_X86_HVM)
        return xsr_error_set(err, XSR_EINVAL,
                             "cannot generate domain type %" PRIu32
                             ": only x86 PV (1) and x86 HVM (2) are restorable",
                             o->dom_type);
    if (o->order != XSR_LITTLE_ENDIAN && o->order != XSR_BIG_ENDIAN)
        return xsr_error_set(err, XSR_EINVAL, "byte order %d is neither little nor big endian",
                             (int)o->order);
    if (o->wrap != XSR_LAYER_LIBXC && o->wrap != XSR_LAYER_LIBXL && o->wrap != XSR_LAYER_XL)
        return xsr_error_set(err, XSR_EINVAL,
                             "cannot wrap the stream in layer %d: use libxc, libxl or xl",
                             (int)o->wrap);
    if (o->dom_type == XSR_DOM_X86_PV && o->guest_width != 8 && o->guest_width != 4)
        return xsr_error_set(err, XSR_EINVAL, "PV guest width %u is neither 8 (64-bit) nor 4 (32-bit)",
                             o->guest_width);
    if (o->nr_pages < XSRI_GEN_PAGES_MIN || o->nr_pages > XSRI_GEN_PAGES_MAX)
        return xsr_error_set(err, XSR_EINVAL,
                             "guest of %" PRIu64 " pages: the generator needs %u to %llu pages",
                             o->nr_pages, XSRI_GEN_PAGES_MIN, (unsigned long long)XSRI_GEN_PAGES_MAX);
    if (o->nr_vcpus < 1 || o->nr_vcpus > XSR_VCPU_MAX)
        return xsr_error_set(err, XSR_EINVAL, "%u vCPUs: the generator needs 1 to %u",
                             o->nr_vcpus, XSR_VCPU_MAX);
    if (o->live_passes > XSRI_GEN_LIVE_PASSES_MAX)
        return xsr_error_set(err, XSR_EINVAL, "%u live passes: at most %u are supported",
                             o->live_passes, XSRI_GEN_LIVE_PASSES_MAX);
    if (o->checkpoints > XSRI_GEN_CHECKPOINTS_MAX)
        return xsr_error_set(err, XSR_EINVAL, "%u checkpoints: at most %u are supported",
                             o->checkpoints, XSRI_GEN_CHECKPOINTS_MAX);
    if (o->pvh && o->dom_type != XSR_DOM_X86_HVM)
        return xsr_error_set(err, XSR_EINVAL, "a PVH guest travels as an HVM stream: set dom_type "
                             "to XSR_DOM_X86_HVM");
    if (o->verify_pass && o->checkpoints)
        return xsr_error_set(err, XSR_EINVAL,
                             "a VERIFY pass exists only in plain streams, not in a checkpointed one");
    return 0;
}

/* Ordinary pages at the end of [first, end) become the pages without data. */
static void pick_absent(struct xsri_gen *g, uint64_t end)
{
    g->broken = g->xalloc = g->xtab = g->late_xtab = g->deferred = XSRI_GEN_NO_PFN;
    if (!g->o.all_records)
        return;
    g->xtab = end - 1;
    g->xalloc = end - 2;
    g->broken = end - 3;
    if (g->live) {
        g->late_xtab = end - 4;
        if (g->pv && g->pt)
            g->deferred = g->l1_first + g->l1_count - 1;
    }
}

static unsigned absent_count(const struct xsri_gen *g)
{
    return g->o.all_records ? (g->live ? 4u : 3u) : 0u;
}

static int layout_pv(struct xsri_gen *g, struct xsr_error *err)
{
    uint64_t next = 1;

    g->levels = g->width == 8 ? 4 : 3;
    g->fpp = XSR_PAGE_SIZE / g->width;
    g->p2m_first = next;
    g->p2m_count = (g->n - 1) / g->fpp + 1;
    next += g->p2m_count;
    g->start_info = next++;
    g->xenstore = next++;
    g->console = next++;

    g->pt = g->o.page_tables;
    g->l4k = g->l4u = XSRI_GEN_NO_PFN;
    if (g->pt) {
        if (g->width == 8) {
            g->mapped = g->n;
            g->l1_count = div_up(g->mapped, XSRI_GEN_PTES);
            g->l2_count = div_up(g->l1_count, XSRI_GEN_PTES);
            g->l4k = next++;
            g->l4u = next++;
        } else {
            /* Up to four L2s (one per PAE L3 slot), each using the slots below Xen's. */
            uint64_t cap = 4ULL * XSRI_GEN_PAE_L2_USED * XSRI_GEN_PTES;
            g->mapped = g->n < cap ? g->n : cap;
            g->l1_count = div_up(g->mapped, XSRI_GEN_PTES);
            g->l2_count = div_up(g->l1_count, XSRI_GEN_PAE_L2_USED);
        }
        g->l3_count = 1;
        g->l3_first = next;
        next += g->l3_count;
        g->l2_first = next;
        next += g->l2_count;
        g->l1_first = next;
        next += g->l1_count;
    }
    g->gdt_first = next;
    next += g->o.nr_vcpus;
    g->pv_end = next;

    /* pfn 0 and pv_end.. are ordinary: two of them must keep their data */
    uint64_t need = g->pv_end + 1 + absent_count(g);
    if (need > g->n)
        return xsr_error_set(err, XSR_EINVAL,
                             "a PV guest with %u vCPU%s and these options needs at least %" PRIu64
                             " pages, not %" PRIu64,
                             g->o.nr_vcpus, g->o.nr_vcpus == 1 ? "" : "s", need, g->n);
    pick_absent(g, g->n);
    return 0;
}

static int layout_hvm(struct xsri_gen *g, struct xsr_error *err)
{
    uint64_t specials = XSRI_GEN_HVM_SPECIALS;

    g->levels = 0;
    g->vga_hole = !g->o.pvh && g->n >= 0x100; /* PVH emulates no VGA */
    g->ioreq_server = XSRI_GEN_NO_PFN;
    if (g->o.all_records)
        specials += XSRI_GEN_HVM_IOREQ_SERVER_PAGES;
    uint64_t need = specials + 2 + absent_count(g);
    if (need > g->n)
        return xsr_error_set(err, XSR_EINVAL,
                             "an HVM guest with these options needs at least %" PRIu64
                             " pages, not %" PRIu64, need, g->n);
    g->hvm_special = g->n - XSRI_GEN_HVM_SPECIALS;
    if (g->o.all_records)
        g->ioreq_server = g->hvm_special - XSRI_GEN_HVM_IOREQ_SERVER_PAGES;
    pick_absent(g, g->n - specials);
    return 0;
}

int xsri_gen_setup(struct xsri_gen *g, const struct xsr_gen_opts *opts, struct xsr_error *err)
{
    memset(g, 0, sizeof(*g));
    /* the first layout ended after seed */
    int rc = xsri_opts_load(&g->o, sizeof(g->o), opts, offsetof(struct xsr_gen_opts, pvh),
                            "xsr_gen_opts", err);
    if (rc < 0)
        return rc;
    const struct xsr_gen_opts *o = &g->o;
    rc = check_opts(o, err);
    if (rc < 0)
        return rc;
    g->pv = o->dom_type == XSR_DOM_X86_PV;
    g->width = g->pv ? o->guest_width : 8;
    g->n = o->nr_pages;
    g->live = o->live_passes;
    g->passes = 1 + o->live_passes + (o->checkpoints > 1 ? o->checkpoints - 1 : 0);
    /* Version 2 streams come from Xen 4.6-4.13; 3 and 4 from a 4.17 toolstack. */
    g->xen_minor = o->version == 2 ? 13 : 17;
    if (!g->pv)
        g->o.page_tables = false;
    return g->pv ? layout_pv(g, err) : layout_hvm(g, err);
}

unsigned xsri_gen_ckpt_first_pass(const struct xsri_gen *g, unsigned k)
{
    return k == 0 ? 0 : g->live + k;
}

unsigned xsri_gen_ckpt_passes(const struct xsri_gen *g, unsigned k)
{
    return k == 0 ? g->live + 1 : 1;
}
