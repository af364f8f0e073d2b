/* SPDX-License-Identifier: MIT */
/*
 * Build a PV guest in a fresh sim file: frames for every pfn but the
 * ballooned ones (machine numbers shuffled), the P2M array in guest frames,
 * page tables that map every populated pfn at a direct-map address (64-bit:
 * from L4 slot 272 as Linux does; 32-bit PAE: from address 0), Xen's slots,
 * start info, GDT frames and vCPU contexts holding MFNs, shared info.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define L4_DIRECTMAP 272u
#define PTE_TABLE64 0x27ull /* P|RW|US|A for an entry pointing to a table */
#define PTE_TABLE_PAE_L3 0x1ull /* PAE L3 entries take only P */

struct pv_plan {
    uint64_t npfn, nl1, nl2, nl3, fpp, np2m;
    uint64_t start_info, store, console, gdt0, p2m0, top, l3_0, l2_0, l1_0, data0;
};

static void plan(struct pv_plan *p, uint64_t npfn, unsigned width, unsigned levels, uint32_t vcpus)
{
    p->npfn = npfn;
    p->fpp = SIM_PAGE / width;
    p->np2m = (npfn + p->fpp - 1) / p->fpp;
    p->nl1 = (npfn + 511) / 512;
    if (levels == 4) {
        p->nl2 = (p->nl1 + 511) / 512;
        p->nl3 = (p->nl2 + 511) / 512;
    } else {
        p->nl2 = 4; /* one per L3 slot: the last maps Xen's compat M2P too */
        p->nl3 = 0;
    }
    p->start_info = 1;
    p->store = 2;
    p->console = 3;
    p->gdt0 = 4;
    p->p2m0 = p->gdt0 + vcpus;
    p->top = p->p2m0 + p->np2m;
    p->l3_0 = p->top + 1;
    p->l2_0 = p->l3_0 + p->nl3;
    p->l1_0 = p->l2_0 + p->nl2;
    p->data0 = p->l1_0 + p->nl1;
}

static uint64_t *pt(struct sim_dom *s, uint64_t pfn) { return (uint64_t *)sim_frame(s, sim_p2m(s, pfn)); }
static uint64_t mfn_of(struct sim_dom *s, uint64_t pfn) { return sim_p2m(s, pfn); }

static void mark_special(struct sim_dom *s, uint64_t pfn, unsigned type)
{
    s->pinfo[pfn] = (uint8_t)(SIM_ROLE_SPECIAL | type);
}

/* The L1 entry of pfn: present for a frame, otherwise a non-present entry
 * with bits set (a saver copies those unchanged). */
static uint64_t l1_entry(struct sim_dom *s, const struct pv_plan *p, uint64_t pfn)
{
    uint64_t mfn = sim_p2m(s, pfn);
    unsigned t = sim_type(s, pfn);
    if (mfn == XSR_INVALID_FRAME || t == XSR_PFN_BROKEN)
        return (pfn & 1) ? (pfn << 12 | SIM_PTE_RW | SIM_PTE_NX) : 0;
    uint64_t e = mfn << 12 | SIM_PTE_PRESENT | SIM_PTE_ACCESSED;
    bool table = pfn >= p->top && pfn < p->data0;
    if (!table)
        e |= SIM_PTE_RW | SIM_PTE_DIRTY; /* page tables are mapped read-only */
    if (pfn % 3)
        e |= SIM_PTE_NX;
    if (pfn % 7 == 0)
        e |= SIM_PTE_GLOBAL;
    return e;
}

static void build_tables(struct sim_dom *s, const struct pv_plan *p)
{
    unsigned levels = s->h->pt_levels;
    for (uint64_t i = 0; i < p->nl1; i++) {
        uint64_t *t = pt(s, p->l1_0 + i);
        for (unsigned j = 0; j < 512; j++) {
            uint64_t pfn = i * 512 + j;
            t[j] = pfn < p->npfn ? l1_entry(s, p, pfn) : 0;
        }
    }
    uint64_t tflags = levels == 4 ? PTE_TABLE64 : PTE_TABLE64 & ~SIM_PTE_USER;
    for (uint64_t i = 0; i < p->nl1; i++)
        pt(s, p->l2_0 + i / 512)[i % 512] = mfn_of(s, p->l1_0 + i) << 12 | tflags;
    if (levels == 4) {
        for (uint64_t i = 0; i < p->nl2; i++)
            pt(s, p->l3_0 + i / 512)[i % 512] = mfn_of(s, p->l2_0 + i) << 12 | PTE_TABLE64;
        uint64_t *l4 = pt(s, p->top);
        for (uint64_t i = 0; i < p->nl3; i++)
            l4[L4_DIRECTMAP + i] = mfn_of(s, p->l3_0 + i) << 12 | PTE_TABLE64;
        l4[511] = 0x2; /* a non-present entry with a bit set */
    } else {
        uint64_t *l3 = pt(s, p->top);
        for (unsigned i = 0; i < 4; i++)
            l3[i] = mfn_of(s, p->l2_0 + i) << 12 | PTE_TABLE_PAE_L3;
    }
    for (uint64_t pfn = p->l1_0; pfn < p->data0; pfn++)
        mark_special(s, pfn, XSR_PFN_L1TAB);
    for (uint64_t pfn = p->l2_0; pfn < p->l1_0; pfn++)
        mark_special(s, pfn, XSR_PFN_L2TAB);
    for (uint64_t pfn = p->l3_0; pfn < p->l2_0; pfn++)
        mark_special(s, pfn, XSR_PFN_L3TAB);
    mark_special(s, p->top, levels == 4 ? XSR_PFN_L4TAB_PIN : XSR_PFN_L3TAB_PIN);
    sim_pt_fill_xen(s, p->top);
}

static void build_p2m(struct sim_dom *s, const struct pv_plan *p)
{
    unsigned w = s->h->guest_width;
    for (uint64_t i = 0; i < p->np2m; i++) {
        mark_special(s, p->p2m0 + i, XSR_PFN_NOTAB);
        s->p2mlist[i] = mfn_of(s, p->p2m0 + i);
    }
    s->h->nr_p2m_frames = p->np2m;
    for (uint64_t pfn = 0; pfn < p->npfn; pfn++) {
        uint8_t *f = sim_frame(s, mfn_of(s, p->p2m0 + pfn / p->fpp));
        uint64_t mfn = sim_p2m(s, pfn);
        sim_st_word(f + (pfn % p->fpp) * w, w, mfn == XSR_INVALID_FRAME ? UINT64_MAX : mfn);
    }
    /* the tail of the last frame: invalid entries, as a guest leaves them */
    for (uint64_t pfn = p->npfn; pfn < p->np2m * p->fpp; pfn++)
        sim_st_word(sim_frame(s, mfn_of(s, p->p2m0 + pfn / p->fpp)) + (pfn % p->fpp) * w, w,
                    UINT64_MAX);
}

static void build_start_info(struct sim_dom *s, const struct pv_plan *p)
{
    unsigned w = s->h->guest_width;
    const struct sim_start_info_layout *l = sim_start_info_layout(w);
    uint8_t *si = sim_frame(s, mfn_of(s, p->start_info));
    const char *magic = w == 8 ? "xen-3.0-x86_64" : "xen-3.0-x86_32p";
    memcpy(si, magic, strlen(magic));
    sim_st_word(si + l->nr_pages, w, s->h->nr_pages);
    sim_st_word(si + l->shared_info, w, sim_xen_mfn(s, 32) << 12);
    sim_st_word(si + l->store_mfn, w, mfn_of(s, p->store));
    memcpy(si + l->store_evtchn, &(uint32_t){ 1 }, 4);
    sim_st_word(si + l->console_mfn, w, mfn_of(s, p->console));
    memcpy(si + l->console_evtchn, &(uint32_t){ 2 }, 4);
    s->h->start_info_pfn = p->start_info;
    mark_special(s, p->start_info, XSR_PFN_NOTAB);
    mark_special(s, p->store, XSR_PFN_NOTAB);
    mark_special(s, p->console, XSR_PFN_NOTAB);
    memcpy(sim_frame(s, mfn_of(s, p->store)), "xenstore ring", 13);
    memcpy(sim_frame(s, mfn_of(s, p->console)), "console ring", 12);
}

static void fill_random(uint8_t *b, size_t n, uint64_t *st)
{
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t v = sim_rand(st);
        memcpy(b + i, &v, 8);
    }
}

static void build_vcpus(struct sim_dom *s, const struct pv_plan *p, uint32_t vcpus, uint64_t *st)
{
    unsigned w = s->h->guest_width;
    const uint32_t size = xsr_vcpu_ctx_size(xsr_vcpu_kind_pv(w));
    const uint32_t regs = xsr_vcpu_offset(xsr_vcpu_kind_pv(w), XSR_VCPU_FLAGS, 0) + w;
    for (uint32_t v = 0; v < vcpus; v++) {
        uint32_t *len;
        uint8_t *c = sim_slot(s, SIM_SLOT_BASIC, v, &len);
        memset(c, 0, size);
        fill_random(c, 512, st);                        /* fpu_ctxt */
        fill_random(c + regs, 14 * w, st);              /* general registers */
        sim_vcpu_put(c, w, XSR_VCPU_FLAGS, 0, 0x25);    /* I387_VALID|IN_KERNEL|online */
        uint64_t kbase = w == 8 ? 0xffffffff81000000ull : 0xc1000000ull;
        sim_vcpu_put(c, w, XSR_VCPU_RIP, 0, kbase + 0x1000 * v + 0x10);
        sim_vcpu_put(c, w, XSR_VCPU_RSP, 0, kbase + 0x800000 + 0x4000 * v);
        sim_vcpu_put(c, w, XSR_VCPU_RFLAGS, 0, 0x246);
        /* vCPU 0's rdx holds the start-info frame */
        sim_vcpu_put(c, w, XSR_VCPU_RDX, 0, v == 0 ? mfn_of(s, p->start_info) : 0);
        sim_vcpu_put(c, w, XSR_VCPU_GDT_FRAMES, 0, mfn_of(s, p->gdt0 + v));
        sim_vcpu_put(c, w, XSR_VCPU_GDT_ENTS, 0, 32);
        sim_vcpu_put(c, w, XSR_VCPU_KERNEL_SS, 0, w == 8 ? 0xe02b : 0xe021);
        sim_vcpu_put(c, w, XSR_VCPU_KERNEL_SP, 0, kbase + 0x900000 + 0x4000 * v);
        sim_vcpu_put(c, w, XSR_VCPU_CR0, 0, 0x80050033);
        sim_vcpu_put(c, w, XSR_VCPU_CR3, 0, xsr_pv_frame_to_cr3(mfn_of(s, p->top), w));
        sim_vcpu_put(c, w, XSR_VCPU_CR4, 0, 0x6f0);
        *len = size;
        mark_special(s, p->gdt0 + v, XSR_PFN_NOTAB);
        fill_random(sim_frame(s, mfn_of(s, p->gdt0 + v)), 32 * 8, st);

        c = sim_slot(s, SIM_SLOT_EXT, v, &len);
        memset(c, 0, 64);
        memcpy(c, &v, 4);
        memcpy(c + 4, &(uint32_t){ 64 }, 4);
        fill_random(c + 8, 16, st);
        memcpy(c + 32, &(uint64_t){ 0x1000000ull | 0x809 }, 8); /* vmce caps */
        *len = 64;

        c = sim_slot(s, SIM_SLOT_XSAVE, v, &len);
        memset(c, 0, 16 + 576);
        memcpy(c, &(uint64_t){ 3 }, 8);      /* xcr0: x87|SSE */
        memcpy(c + 8, &(uint64_t){ 3 }, 8);  /* xcr0_accum */
        fill_random(c + 16, 160, st);        /* FXSAVE registers */
        memcpy(c + 16 + 24, &(uint32_t){ 0x1f80 }, 4); /* mxcsr */
        memcpy(c + 16 + 512, &(uint64_t){ 3 }, 8);     /* xstate_bv */
        *len = 16 + 576;

        struct xsr_msr_entry m[2] = { { 0x48, 0, 1 }, { 0xc0011027, 0, 0xff0 } }; /* SPEC_CTRL, DR0 mask */
        c = sim_slot(s, SIM_SLOT_MSRS, v, &len);
        for (unsigned i = 0; i < 2; i++)
            xsr_msr_entry_encode(&m[i], XSR_LITTLE_ENDIAN, c + 16 * i);
        *len = 32;
    }
}

static void build_shared_info(struct sim_dom *s, uint64_t *st)
{
    uint32_t *len;
    uint8_t *b = sim_slot(s, SIM_SLOT_SHINFO, 0, &len);
    memset(b, 0, XSR_SHARED_INFO_SIZE);
    fill_random(b, 2048, st); /* vcpu_info[] */
    if (s->h->guest_width == 8)
        memcpy(b + 3088, &s->h->max_pfn, 8); /* arch.max_pfn */
    *len = XSR_SHARED_INFO_SIZE;
}

static void balloon(struct sim_dom *s, const struct pv_plan *p, uint64_t pages, uint64_t lo,
                    uint64_t *st, bool *holes)
{
    uint64_t ndata = p->npfn - lo;
    if (!pages || !ndata)
        return;
    for (unsigned k = 0; k < 4; k++) {
        uint64_t len = pages / 4 + (k == 3 ? pages % 4 : 0);
        uint64_t start = lo + (2 * k + 1) * ndata / 8 + sim_rand(st) % (ndata / 16 + 1);
        for (uint64_t i = 0; i < len; i++)
            holes[(start + i - lo) % ndata] = true;
    }
}

int sim_build_pv(struct sim_dom *s, const struct xsr_sim_create_opts *o, struct xsr_error *err)
{
    struct pv_plan p;
    uint64_t npfn = o->memory / SIM_PAGE;
    plan(&p, npfn, s->h->guest_width, s->h->pt_levels, o->vcpus);
    if (p.data0 + 16 > npfn)
        return xsr_error_set(err, XSR_ELIMIT, "%" PRIu64 " bytes are too little for a PV guest with %" PRIu32 " vCPUs",
                             o->memory, o->vcpus);
    uint64_t st = o->seed;
    uint64_t bal = o->balloon / SIM_PAGE;
    bool *holes = calloc(npfn - p.data0, 1);
    if (!holes)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    balloon(s, &p, bal, p.data0, &st, holes);
    int rc = 0;
    for (uint64_t pfn = 0; pfn < npfn && !rc; pfn++)
        if (pfn < p.data0 || !holes[pfn - p.data0])
            rc = sim_populate_one(s, pfn, err);
    free(holes);
    if (rc)
        return rc;
    s->h->balloon_pages = npfn - s->h->nr_pages;
    /* broken frames: data pages whose frame was lost */
    for (uint32_t i = 0; i < o->broken; i++) {
        uint64_t pfn = p.data0 + 1 + sim_rand(&st) % (npfn - p.data0 - 1);
        if (sim_p2m(s, pfn) != XSR_INVALID_FRAME && sim_type(s, pfn) != XSR_PFN_BROKEN) {
            s->pinfo[pfn] = SIM_ROLE_SPECIAL | XSR_PFN_BROKEN;
            s->h->broken_pages++;
        }
    }
    mark_special(s, 0, XSR_PFN_NOTAB); /* pfn 0 stays zero */
    build_p2m(s, &p);
    build_start_info(s, &p);
    build_tables(s, &p);
    build_vcpus(s, &p, o->vcpus, &st);
    build_shared_info(s, &st);
    return sim_fill_data(s, err);
}
