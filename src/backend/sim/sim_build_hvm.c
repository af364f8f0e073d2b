/* SPDX-License-Identifier: MIT */
/*
 * Build an HVM guest: RAM around the legacy VGA hole and the MMIO hole below
 * 4 GiB, Xen's special pages (xenstore, console, ioreq, ...) at the top of
 * the hole, an HVM context with the entries Xen saves, HVM params naming the
 * special pages.  Also the platform state of both types: CPUID and MSR
 * policies and TSC info.
 */
#include <inttypes.h>
#include <string.h>

#include "sim_internal.h"

#define VGA_FIRST 0xa0u
#define VGA_END 0xc0u
#define MMIO_FIRST 0xf0000ull
#define MMIO_END 0x100000ull
#define SPECIAL_END 0xff000ull /* X86_HVM_END_SPECIAL_REGION */
#define NR_SPECIAL 8u
static uint64_t special_pfn(unsigned i) { return SPECIAL_END - NR_SPECIAL + i; }
enum { SP_PAGING, SP_ACCESS, SP_SHARING, SP_BUFIOREQ, SP_XENSTORE, SP_IOREQ, SP_IDENT_PT, SP_CONSOLE };

/* The pfn of the n-th page of RAM (n from 0). */
static uint64_t ram_pfn(uint64_t n)
{
    uint64_t pfn = n < VGA_FIRST ? n : n + (VGA_END - VGA_FIRST);
    if (pfn >= MMIO_FIRST)
        pfn += MMIO_END - MMIO_FIRST;
    return pfn;
}

uint64_t sim_hvm_max_pfn(uint64_t pages)
{
    uint64_t last = ram_pfn(pages - 1);
    return last > special_pfn(NR_SPECIAL - 1) ? last : special_pfn(NR_SPECIAL - 1);
}

static void put(struct sim_dom *s, uint8_t *dst, size_t cap, size_t *off, uint16_t type,
                uint16_t inst, const void *body, uint32_t len)
{
    (void)s;
    /* cap is sized for the worst case: this cannot fail */
    (void)xsr_hvmctx_put(dst, cap, off, type, inst, body, len, XSR_LITTLE_ENDIAN);
}

static void rnd(uint8_t *b, size_t n, uint64_t *st)
{
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t v = sim_rand(st);
        memcpy(b + i, &v, 8);
    }
}
static void st64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }
static void st32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }

static void build_context(struct sim_dom *s, uint32_t vcpus, uint64_t *st)
{
    uint32_t *len;
    uint8_t *dst = sim_slot(s, SIM_SLOT_HVMCTX, 0, &len);
    size_t cap = s->h->slot_cap[SIM_SLOT_HVMCTX], off = 0;
    uint8_t b[1048];

    struct xsr_hvmctx_header hh = { XSR_HVMCTX_MAGIC, XSR_HVMCTX_VERSION, UINT64_MAX, 0x000906ea, 2400000 };
    xsr_hvmctx_header_encode(&hh, XSR_LITTLE_ENDIAN, b);
    put(s, dst, cap, &off, XSR_HVMCTX_HEADER, 0, b, XSR_HVMCTX_HEADER_SIZE);
    for (uint32_t v = 0; v < vcpus; v++) {
        const enum xsr_vcpu_kind k = XSR_VCPU_HVM;
        const enum xsr_byte_order o = XSR_LITTLE_ENDIAN;
        memset(b, 0, XSR_HVM_CPU_SIZE);
        rnd(b, xsr_vcpu_offset(k, XSR_VCPU_RIP, 0), st); /* FPU and general registers */
        xsr_vcpu_put(b, k, XSR_VCPU_RIP, 0, 0xffffffff81000010ull + 0x1000 * v, o);
        xsr_vcpu_put(b, k, XSR_VCPU_RFLAGS, 0, 0x246, o);
        xsr_vcpu_put(b, k, XSR_VCPU_CR0, 0, 0x80050033, o);
        xsr_vcpu_put(b, k, XSR_VCPU_CR3, 0, 0x1000 * (16 + v), o); /* a guest-physical address */
        xsr_vcpu_put(b, k, XSR_VCPU_CR4, 0, 0x3506e0, o);
        xsr_vcpu_put(b, k, XSR_VCPU_CS, 0, 0x10, o);
        xsr_vcpu_put(b, k, XSR_VCPU_DS, 0, 0x18, o);
        xsr_vcpu_put(b, k, XSR_VCPU_MSR_EFER, 0, 0xd01, o);
        xsr_vcpu_put(b, k, XSR_VCPU_TSC, 0, 0x123456789ull * (v + 1), o);
        xsr_vcpu_put(b, k, XSR_VCPU_FLAGS, 0, 1, o);       /* FPU initialised */
        put(s, dst, cap, &off, XSR_HVMCTX_CPU, (uint16_t)v, b, XSR_HVM_CPU_SIZE);
    }
    for (uint16_t i = 0; i < 2; i++) {
        uint8_t pic[8] = { 0, 0xfb, 0, (uint8_t)(i ? 0x28 : 0x20), 0, (uint8_t)(i ? 0 : 0x40), 0, 0 };
        put(s, dst, cap, &off, XSR_HVMCTX_PIC, i, pic, 8);
    }
    memset(b, 0, 400);
    st64(b, 0, 0xfec00000);
    for (unsigned i = 0; i < 48; i++)
        st64(b, 16 + 8 * i, 0x10000 | (0x30 + i)); /* masked, vector */
    put(s, dst, cap, &off, XSR_HVMCTX_IOAPIC, 0, b, 400);
    for (uint32_t v = 0; v < vcpus; v++) {
        memset(b, 0, 32);
        st64(b, 0, 0xfee00800 | (v == 0 ? 0x100 : 0));
        st32(b, 12, 0x3);
        put(s, dst, cap, &off, XSR_HVMCTX_LAPIC, (uint16_t)v, b, 32);
    }
    for (uint32_t v = 0; v < vcpus; v++) {
        memset(b, 0, 1024);
        st32(b, 0x20, v << 24);   /* APIC ID */
        st32(b, 0x30, 0x50014);   /* version */
        st32(b, 0xf0, 0x1ff);     /* spurious vector, enabled */
        put(s, dst, cap, &off, XSR_HVMCTX_LAPIC_REGS, (uint16_t)v, b, 1024);
    }
    memset(b, 0, 16);
    put(s, dst, cap, &off, XSR_HVMCTX_PCI_IRQ, 0, b, 16);
    put(s, dst, cap, &off, XSR_HVMCTX_ISA_IRQ, 0, b, 8);
    uint8_t link[8] = { 5, 10, 11, 5, 0, 0, 0, 0 };
    put(s, dst, cap, &off, XSR_HVMCTX_PCI_LINK, 0, link, 8);
    memset(b, 0, 56);
    for (unsigned c = 0; c < 3; c++) {
        st32(b, 16 * c, 0x10000);
        b[16 * c + 13] = 3; /* rw_mode */
        b[16 * c + 14] = c == 0 ? 2 : 3; /* mode */
        b[16 * c + 15] = c != 2; /* gate */
    }
    put(s, dst, cap, &off, XSR_HVMCTX_PIT, 0, b, 56);
    memset(b, 0, 24);
    rnd(b, 8, st);
    b[10] = 0x26; b[11] = 0x02; b[14] = 0x0c;
    st64(b, 16, (uint64_t)-3600);
    put(s, dst, cap, &off, XSR_HVMCTX_RTC, 0, b, 24);
    memset(b, 0, 1048);
    st64(b, 0, 0x00989680ull << 32 | 0x8086a201);
    st64(b, 240, sim_rand(st) >> 8);                     /* main counter */
    for (unsigned t = 0; t < 3; t++)
        st64(b, 256 + 32 * t, 0x30);
    put(s, dst, cap, &off, XSR_HVMCTX_HPET, 0, b, 1048);
    memset(b, 0, 8);
    st32(b, 0, (uint32_t)sim_rand(st) & 0xffffff);
    put(s, dst, cap, &off, XSR_HVMCTX_PMTIMER, 0, b, 8);
    for (uint32_t v = 0; v < vcpus; v++) {
        memset(b, 0, 240);
        st64(b, 0, 0x0007040600070406ull);
        st64(b, 224, 0x508);
        st64(b, 232, 0xc06);
        put(s, dst, cap, &off, XSR_HVMCTX_MTRR, (uint16_t)v, b, 240);
    }
    for (uint32_t v = 0; v < vcpus; v++) {
        memset(b, 0, 600);
        st64(b, 8, 3);
        st64(b, 16, 3);
        rnd(b + 24, 160, st);
        st32(b, 24 + 24, 0x1f80);
        st64(b, 24 + 512, 3);
        put(s, dst, cap, &off, XSR_HVMCTX_CPU_XSAVE, (uint16_t)v, b, 600);
    }
    put(s, dst, cap, &off, XSR_HVMCTX_END, 0, NULL, 0);
    *len = (uint32_t)off;
}

int sim_build_hvm(struct sim_dom *s, const struct xsr_sim_create_opts *o, struct xsr_error *err)
{
    uint64_t pages = o->memory / SIM_PAGE, st = o->seed;
    uint64_t bal = o->balloon / SIM_PAGE;
    /* ballooned RAM: one run in the upper half */
    uint64_t bstart = pages / 2 + (bal < pages / 2 ? sim_rand(&st) % (pages / 2 - bal + 1) : 0);
    int rc = 0;
    for (uint64_t n = 0; n < pages && !rc; n++)
        if (n < bstart || n >= bstart + bal)
            rc = sim_populate_one(s, ram_pfn(n), err);
    for (unsigned i = 0; i < NR_SPECIAL && !rc; i++)
        rc = sim_populate_one(s, special_pfn(i), err);
    if (rc)
        return rc;
    for (unsigned i = 0; i < NR_SPECIAL; i++)
        s->pinfo[special_pfn(i)] = SIM_ROLE_SPECIAL | XSR_PFN_NOTAB;
    s->h->balloon_pages = bal;
    for (uint32_t i = 0; i < o->broken; i++) {
        uint64_t pfn = ram_pfn(1 + sim_rand(&st) % (pages - 1));
        if (sim_p2m(s, pfn) != XSR_INVALID_FRAME && sim_type(s, pfn) != XSR_PFN_BROKEN) {
            s->pinfo[pfn] = SIM_ROLE_SPECIAL | XSR_PFN_BROKEN;
            s->h->broken_pages++;
        }
    }
    s->pinfo[0] = SIM_ROLE_SPECIAL | XSR_PFN_NOTAB;
    memcpy(sim_frame(s, sim_p2m(s, special_pfn(SP_XENSTORE))), "xenstore ring", 13);
    memcpy(sim_frame(s, sim_p2m(s, special_pfn(SP_CONSOLE))), "console ring", 12);

    uint64_t *pr = s->h->hvm_params;
    pr[1] = special_pfn(SP_XENSTORE);   /* STORE_PFN */
    pr[2] = 1;                          /* STORE_EVTCHN */
    pr[5] = special_pfn(SP_IOREQ);      /* IOREQ_PFN */
    pr[6] = special_pfn(SP_BUFIOREQ);   /* BUFIOREQ_PFN */
    pr[12] = special_pfn(SP_IDENT_PT) << 12; /* IDENT_PT (an address) */
    pr[17] = special_pfn(SP_CONSOLE);   /* CONSOLE_PFN */
    pr[18] = 2;                         /* CONSOLE_EVTCHN */
    pr[27] = special_pfn(SP_PAGING);    /* PAGING_RING_PFN */
    pr[28] = special_pfn(SP_ACCESS);    /* MONITOR_RING_PFN */
    pr[29] = special_pfn(SP_SHARING);   /* SHARING_RING_PFN */
    pr[32] = special_pfn(0) - 2;        /* IOREQ_SERVER_PFN */
    pr[33] = 2;                         /* NR_IOREQ_SERVER_PAGES */
    pr[36] = 1;                         /* X87_FIP_WIDTH */
    pr[37] = 0x80 | 0x100;              /* VM86_TSS_SIZED */
    build_context(s, o->vcpus, &st);
    return sim_fill_data(s, err);
}

void sim_build_platform(struct sim_dom *s)
{
    uint64_t st = s->h->seed ^ 0xc0ffee;
    uint32_t *len;
    uint8_t *b = sim_slot(s, SIM_SLOT_CPUID, 0, &len);
    const struct xsr_cpuid_leaf leaves[] = {
        { 0, XSR_CPUID_NO_SUBLEAF, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 },
        { 1, XSR_CPUID_NO_SUBLEAF, 0x000906ea, 0x00100800, 0xf7fa3223, 0x1f8bfbff },
        { 7, 0, 0, 0x009c27ab, 0, 0xbc000400 },
        { 0xd, 0, 0x3, 0x240, 0x240, 0 },
        { 0xd, 1, 0x1, 0, 0, 0 },
        { 0x80000000, XSR_CPUID_NO_SUBLEAF, 0x80000008, 0, 0, 0 },
        { 0x80000001, XSR_CPUID_NO_SUBLEAF, 0, 0, 0x121, 0x2c100800 },
        { 0x80000008, XSR_CPUID_NO_SUBLEAF, 0x3027, 0, 0, 0 },
    };
    size_t n = sizeof leaves / sizeof leaves[0];
    for (size_t i = 0; i < n; i++)
        xsr_cpuid_leaf_encode(&leaves[i], XSR_LITTLE_ENDIAN, b + i * XSR_CPUID_LEAF_SIZE);
    *len = (uint32_t)(n * XSR_CPUID_LEAF_SIZE);
    b = sim_slot(s, SIM_SLOT_MSRPOL, 0, &len);
    const struct xsr_msr_entry msrs[] = { { 0xce, 0, 0x80000000ull }, { 0x10a, 0, 0x20000c6bull } };
    for (size_t i = 0; i < 2; i++)
        xsr_msr_entry_encode(&msrs[i], XSR_LITTLE_ENDIAN, b + i * XSR_MSR_ENTRY_SIZE);
    *len = 2 * XSR_MSR_ENTRY_SIZE;
    s->h->tsc_mode = 0;
    s->h->tsc_khz = 2400000;
    s->h->tsc_nsec = sim_rand(&st) >> 20;
    s->h->tsc_incarnation = 1;
}
