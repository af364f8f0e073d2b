/* SPDX-License-Identifier: MIT */
/*
 * Static data and domain/vCPU state records: CPUID and MSR policies, TSC
 * info, the shared info page, the PV vCPU records and the v4 DOMAIN_CONTEXT
 * blob.  Values are those of a plausible Intel host running a Linux guest;
 * layouts are Xen's public structures (offsets in the comments).  Values that
 * change over time (TSC, clocks, instruction pointers) advance with the
 * checkpoint index so that every checkpoint carries new state.
 */
#include <string.h>

#include "gen_internal.h"

#define NO_SUB XSR_CPUID_NO_SUBLEAF
#define TSC_KHZ 2793435u
#define TSC_NSEC_BASE 24287760154ULL
#define NSEC_PER_CKPT 100000000ULL  /* a Remus checkpoint every 100 ms */
#define WALLCLOCK_BASE 1700000000u
#define KERNEL_TEXT_64 0xffffffff81000000ULL
#define KERNEL_TEXT_32 0xc1000000u

static const struct xsr_cpuid_leaf cpuid_leaves[] = {
    { 0x00000000, NO_SUB, 0x0000000d, 0x756e6547, 0x6c65746e, 0x49656e69 }, /* GenuineIntel */
    { 0x00000001, NO_SUB, 0x000906ea, 0x00020800, 0xf6fa3203, 0x178bfbff },
    { 0x00000004, 0, 0x1c004121, 0x01c0003f, 0x0000003f, 0x00000000 },
    { 0x00000004, 1, 0x1c004122, 0x01c0003f, 0x0000003f, 0x00000000 },
    { 0x00000004, 2, 0x1c004143, 0x00c0003f, 0x000003ff, 0x00000000 },
    { 0x00000004, 3, 0x1c03c163, 0x02c0003f, 0x00002fff, 0x00000006 },
    { 0x00000006, NO_SUB, 0x00000004, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000007, 0, 0x00000000, 0x009c27ab, 0x00000004, 0xbc000400 },
    { 0x0000000d, 0, XSRI_GEN_XCR0, XSRI_GEN_XSAVE_SIZE, XSRI_GEN_XSAVE_SIZE, 0x00000000 },
    { 0x0000000d, 1, 0x00000001, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000000d, 2, 0x00000100, 0x00000240, 0x00000000, 0x00000000 },
    { 0x80000000, NO_SUB, 0x80000008, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000001, NO_SUB, 0x00000000, 0x00000000, 0x00000121, 0x2c100800 },
    { 0x80000002, NO_SUB, 0x65746e49, 0x2952286c, 0x6f655820, 0x2952286e }, /* brand string */
    { 0x80000003, NO_SUB, 0x55504320, 0x2d344520, 0x36333132, 0x33204020 },
    { 0x80000004, NO_SUB, 0x4730332e, 0x00007a48, 0x00000000, 0x00000000 },
    { 0x80000007, NO_SUB, 0x00000000, 0x00000000, 0x00000000, 0x00000100 },
    { 0x80000008, NO_SUB, 0x00003027, 0x00000000, 0x00000000, 0x00000000 },
};

static const struct xsr_msr_entry msr_policy[] = {
    { 0x000000ce, 0, 0x0000000080000000ULL }, /* MSR_INTEL_PLATFORM_INFO: CPUID faulting */
    { 0x0000010a, 0, 0x000000000000002bULL }, /* MSR_ARCH_CAPABILITIES */
};

size_t xsri_gen_cpuid_policy(const struct xsri_gen *g, uint8_t *out, size_t cap)
{
    size_t n = sizeof(cpuid_leaves) / sizeof(cpuid_leaves[0]);
    if (out && cap >= n * XSR_CPUID_LEAF_SIZE)
        for (size_t i = 0; i < n; i++)
            xsr_cpuid_leaf_encode(&cpuid_leaves[i], g->o.order, out + i * XSR_CPUID_LEAF_SIZE);
    return n * XSR_CPUID_LEAF_SIZE;
}

size_t xsri_gen_msr_policy(const struct xsri_gen *g, uint8_t *out, size_t cap)
{
    size_t n = sizeof(msr_policy) / sizeof(msr_policy[0]);
    if (out && cap >= n * XSR_MSR_ENTRY_SIZE)
        for (size_t i = 0; i < n; i++)
            xsr_msr_entry_encode(&msr_policy[i], g->o.order, out + i * XSR_MSR_ENTRY_SIZE);
    return n * XSR_MSR_ENTRY_SIZE;
}

void xsri_gen_tsc(const struct xsri_gen *g, unsigned ckpt, struct xsr_tsc_info *t)
{
    (void)g;
    t->mode = 0;
    t->khz = TSC_KHZ;
    t->nsec = TSC_NSEC_BASE + ckpt * NSEC_PER_CKPT;
    t->incarnation = 1;
    t->reserved = 0;
}

/*
 * shared_info: vcpu_info[32] of 64 bytes (upcall_pending @0, upcall_mask @1,
 * evtchn_pending_sel @8 (compat @4), vcpu_time_info @32), then evtchn_pending
 * @2048, evtchn_mask @2560 (compat @2176), wallclock @3072 (compat @2304) and
 * arch_shared_info @3088 (compat @2316).
 */
void xsri_gen_shared_info(const struct xsri_gen *g, unsigned ckpt, uint8_t out[XSR_SHARED_INFO_SIZE])
{
    const enum xsr_byte_order o = g->o.order;
    const bool compat = g->pv && g->width == 4;
    const uint64_t nsec = TSC_NSEC_BASE + ckpt * NSEC_PER_CKPT;
    unsigned nv = g->o.nr_vcpus < 32 ? g->o.nr_vcpus : 32;

    memset(out, 0, XSR_SHARED_INFO_SIZE);
    for (unsigned v = 0; v < nv; v++) {
        uint8_t *vi = out + v * 64;
        vi[1] = 1;                                              /* evtchn_upcall_mask */
        uint8_t *t = vi + 32;                                   /* vcpu_time_info */
        xsr_st32(t, 2 * (ckpt + 1), o);                         /* version (even: stable) */
        xsr_st64(t + 8, nsec * 2793 / 1000 + v * 4096, o);      /* tsc_timestamp */
        xsr_st64(t + 16, nsec, o);                              /* system_time */
        xsr_st32(t + 24, 0xb7d5b6a3u, o);                       /* tsc_to_system_mul */
        t[28] = 0xff;                                           /* tsc_shift = -1 */
        t[29] = 1;                                              /* flags: TSC stable */
    }
    /* a few pending and many masked event channels */
    size_t pending = 2048, mask = compat ? 2176 : 2560;
    out[pending] = 0x06;
    memset(out + mask + 8, 0xff, 8);
    size_t wc = compat ? 2304 : 3072;
    xsr_st32(out + wc, 2 * (ckpt + 1), o);                      /* wc_version */
    xsr_st32(out + wc + 4, WALLCLOCK_BASE + ckpt / 10, o);      /* wc_sec */
    xsr_st32(out + wc + 8, (uint32_t)((ckpt % 10) * NSEC_PER_CKPT), o); /* wc_nsec */
    if (g->pv) {
        uint64_t fll = XSRI_GEN_MFN_BASE - 2;                   /* p2m frame-list-list mfn */
        if (compat) {
            xsr_st32(out + 2316, (uint32_t)g->n, o);            /* arch.max_pfn */
            xsr_st32(out + 2320, (uint32_t)fll, o);
        } else {
            xsr_st64(out + 3088, g->n, o);
            xsr_st64(out + 3096, fll, o);
        }
    }
}

static void put_word(const struct xsri_gen *g, uint8_t *p, uint64_t v)
{
    if (g->width == 8)
        xsr_st64(p, v, g->o.order);
    else
        xsr_st32(p, (uint32_t)v, g->o.order);
}

/* FXSAVE region of a freshly initialised FPU: FCW, MXCSR, MXCSR_MASK. */
static void fxsave_init(uint8_t *p, enum xsr_byte_order o)
{
    xsr_st16(p, 0x037f, o);
    xsr_st32(p + 24, 0x1f80, o);
    xsr_st32(p + 28, 0xffff, o);
}

void xsri_gen_xsave_area(const struct xsri_gen *g, unsigned vcpu, unsigned ckpt, uint8_t *out)
{
    uint64_t h = xsri_gen_hash(g->o.seed ^ 0x78736176ULL, vcpu, ckpt);
    memset(out, 0, XSRI_GEN_XSAVE_SIZE);
    fxsave_init(out, g->o.order);
    xsri_gen_random(out + 160, 256, h);                 /* xmm0..15 */
    xsr_st64(out + 512, XSRI_GEN_XCR0, g->o.order);     /* xstate_bv */
    xsri_gen_random(out + 576, 256, h + 1);             /* ymm upper halves */
}

/* Offsets in vcpu_guest_context for each width (see facts.md §3b). */
struct ctx_off {
    uint32_t size, flags, regs, trap, trap_size, ldt_base, gdt_frames, gdt_ents;
    uint32_t kernel_ss, kernel_sp, ctrlreg, debugreg, callbacks, vm_assist;
};
static const struct ctx_off ctx64 = {
    XSR_PV_VCPU_CTX_SIZE_64, 512, 520, 720, 16, 4816, 4832, 4960,
    4968, 4976, 4984, 5048, 5112, 5136,
};
static const struct ctx_off ctx32 = {
    XSR_PV_VCPU_CTX_SIZE_32, 512, 516, 584, 8, 2632, 2640, 2704,
    2708, 2712, 2716, 2748, 2780, 2796,
};

/* cpu_user_regs: the registers a suspended Linux vCPU holds. */
static void user_regs(const struct xsri_gen *g, unsigned vcpu, unsigned ckpt, uint8_t *r)
{
    const enum xsr_byte_order o = g->o.order;
    /* the saver's start-info frame (vCPU 0 only), normalised to a PFN */
    uint64_t rdx = vcpu == 0 ? g->start_info : 0;
    uint64_t sp = xsri_gen_pv_va(g, 0) + XSR_PAGE_SIZE - 0x100 * (vcpu % 8 + 1);
    if (g->width == 8) {
        xsr_st64(r + 32, sp + 0x40, o);                          /* rbp */
        xsr_st64(r + 96, rdx, o);                                /* rdx */
        xsr_st64(r + 112, 1, o);                                 /* rdi: SCHEDOP_block */
        xsr_st64(r + 128, KERNEL_TEXT_64 + 0x1a2b0 + ckpt * 0x40, o); /* rip */
        xsr_st16(r + 136, 0xe033, o);                            /* cs: FLAT_KERNEL_CS64 */
        xsr_st64(r + 144, 0x246, o);                             /* rflags */
        xsr_st64(r + 152, sp, o);                                /* rsp */
        xsr_st16(r + 160, 0xe02b, o);                            /* ss: FLAT_KERNEL_SS64 */
    } else {
        xsr_st32(r + 8, (uint32_t)rdx, o);                       /* edx */
        xsr_st32(r + 20, (uint32_t)sp + 0x40, o);                /* ebp */
        xsr_st32(r + 32, KERNEL_TEXT_32 + 0x1a2b0 + ckpt * 0x40, o); /* eip */
        xsr_st16(r + 36, 0xe019, o);                             /* cs: FLAT_RING1_CS */
        xsr_st32(r + 40, 0x246, o);                              /* eflags */
        xsr_st32(r + 44, (uint32_t)sp, o);                       /* esp */
        xsr_st16(r + 48, 0xe021, o);                             /* ss: FLAT_RING1_SS */
        xsr_st16(r + 52, 0x7b, o);                               /* es */
        xsr_st16(r + 56, 0x7b, o);                               /* ds */
        xsr_st16(r + 60, 0xd8, o);                               /* fs */
    }
}

static void trap_table(const struct xsri_gen *g, const struct ctx_off *c, uint8_t *ctx)
{
    const enum xsr_byte_order o = g->o.order;
    for (unsigned vec = 0; vec < 20; vec++) {
        uint8_t *t = ctx + c->trap + vec * c->trap_size;
        t[0] = (uint8_t)vec;
        t[1] = (vec == 3 || vec == 4) ? 3 : 0;                   /* DPL: int3, into */
        if (g->width == 8) {
            xsr_st16(t + 2, 0xe033, o);
            xsr_st64(t + 8, KERNEL_TEXT_64 + 0xa00000 + vec * 0x40, o);
        } else {
            xsr_st16(t + 2, 0xe019, o);
            xsr_st32(t + 4, KERNEL_TEXT_32 + 0xa00000 + vec * 0x40, o);
        }
    }
}

uint32_t xsri_gen_pv_basic(const struct xsri_gen *g, unsigned vcpu, unsigned ckpt, uint8_t *out)
{
    const enum xsr_byte_order o = g->o.order;
    const struct ctx_off *c = g->width == 8 ? &ctx64 : &ctx32;
    const unsigned w = g->width;
    uint8_t *ctx = out + XSR_VCPU_HDR_SIZE;
    uint64_t sp = xsri_gen_pv_va(g, 0) + XSR_PAGE_SIZE - 0x100 * (vcpu % 8 + 1);

    memset(out, 0, XSR_VCPU_HDR_SIZE + c->size);
    xsr_vcpu_hdr_encode(vcpu, o, out);
    fxsave_init(ctx, o);
    put_word(g, ctx + c->flags, 0x25);      /* VGCF_i387_valid | VGCF_in_kernel | VGCF_online */
    user_regs(g, vcpu, ckpt, ctx + c->regs);
    trap_table(g, c, ctx);
    put_word(g, ctx + c->gdt_frames, g->gdt_first + vcpu);
    put_word(g, ctx + c->gdt_ents, w == 8 ? 16 : 32);
    put_word(g, ctx + c->kernel_ss, w == 8 ? 0xe02b : 0xe021);
    put_word(g, ctx + c->kernel_sp, sp);

    uint8_t *cr = ctx + c->ctrlreg;
    put_word(g, cr, 0x80050033);                                    /* cr0 */
    if (g->pt) {
        if (w == 8) {
            put_word(g, cr + 1 * w, g->l4u << XSR_PAGE_SHIFT | 1);  /* user tables, marked */
            put_word(g, cr + 3 * w, g->l4k << XSR_PAGE_SHIFT);
        } else { /* PAE extended cr3: the frame rotated left by 12 */
            uint32_t f = (uint32_t)g->l3_first;
            put_word(g, cr + 3 * w, (uint32_t)(f << 12 | f >> 20));
        }
    }
    put_word(g, cr + 4 * w, w == 8 ? 0x3426f0 : 0x6f0);            /* cr4 */
    put_word(g, ctx + c->debugreg + 6 * w, 0xffff0ff0);
    put_word(g, ctx + c->debugreg + 7 * w, 0x400);

    uint8_t *cb = ctx + c->callbacks;
    if (w == 8) {
        xsr_st64(cb, KERNEL_TEXT_64 + 0xc01000, o);                 /* event_callback_eip */
        xsr_st64(cb + 8, KERNEL_TEXT_64 + 0xc01100, o);             /* failsafe_callback_eip */
        xsr_st64(cb + 16, KERNEL_TEXT_64 + 0xc01200, o);            /* syscall_callback_eip */
        xsr_st64(ctx + c->vm_assist, 0x24, o);                      /* writable PTs, runstate */
        xsr_st64(ctx + 5144, 0x00007f3a9c5e4740ULL + vcpu * 0x1000, o); /* fs_base */
        xsr_st64(ctx + 5152, xsri_gen_pv_va(g, 0) + 0x1000000 + vcpu * 0x40000ULL, o);
    } else {
        xsr_st32(cb, 0xe019, o);                                    /* event_callback_cs */
        xsr_st32(cb + 4, KERNEL_TEXT_32 + 0xc01000, o);
        xsr_st32(cb + 8, 0xe019, o);                                /* failsafe_callback_cs */
        xsr_st32(cb + 12, KERNEL_TEXT_32 + 0xc01100, o);
        xsr_st32(ctx + c->vm_assist, 0xd, o);                       /* 4gb segs, WPT, ext cr3 */
    }
    return XSR_VCPU_HDR_SIZE + c->size;
}

/* xen_domctl_ext_vcpucontext, 64 bytes as Xen returns it. */
uint32_t xsri_gen_pv_extended(const struct xsri_gen *g, unsigned vcpu, uint8_t *out)
{
    const enum xsr_byte_order o = g->o.order;
    uint8_t *e = out + XSR_VCPU_HDR_SIZE;
    memset(out, 0, XSR_VCPU_HDR_SIZE + 64);
    xsr_vcpu_hdr_encode(vcpu, o, out);
    xsr_st32(e, vcpu, o);                                   /* vcpu */
    xsr_st32(e + 4, 64, o);                                 /* size */
    if (g->width == 8) {
        xsr_st64(e + 8, KERNEL_TEXT_64 + 0xc02000, o);      /* syscall32_callback_eip */
        xsr_st64(e + 16, KERNEL_TEXT_64 + 0xc02100, o);     /* sysenter_callback_eip */
        xsr_st16(e + 24, 0xe023, o);                        /* syscall32_callback_cs */
        xsr_st16(e + 26, 0xe023, o);                        /* sysenter_callback_cs */
    } else {
        xsr_st64(e + 16, KERNEL_TEXT_32 + 0xc02100, o);
        xsr_st16(e + 26, 0xe019, o);
    }
    xsr_st64(e + 32, 0x2, o);                               /* vmce.caps: 2 banks */
    return XSR_VCPU_HDR_SIZE + 64;
}

uint32_t xsri_gen_pv_xsave(const struct xsri_gen *g, unsigned vcpu, unsigned ckpt, uint8_t *out)
{
    xsr_vcpu_hdr_encode(vcpu, g->o.order, out);
    xsr_st64(out + 8, XSRI_GEN_XCR0, g->o.order);           /* xcr0 */
    xsr_st64(out + 16, XSRI_GEN_XCR0, g->o.order);          /* xcr0_accum */
    xsri_gen_xsave_area(g, vcpu, ckpt, out + 24);
    return XSR_VCPU_HDR_SIZE + 16 + XSRI_GEN_XSAVE_SIZE;
}

uint32_t xsri_gen_pv_msrs(const struct xsri_gen *g, unsigned vcpu, uint8_t *out)
{
    const struct xsr_msr_entry msrs[] = {
        { 0x00000048, 0, 1 },                   /* MSR_SPEC_CTRL: IBRS */
        { 0x00000140, 0, 1 },                   /* MSR_INTEL_MISC_FEATURES_ENABLES */
    };
    xsr_vcpu_hdr_encode(vcpu, g->o.order, out);
    for (size_t i = 0; i < 2; i++)
        xsr_msr_entry_encode(&msrs[i], g->o.order, out + XSR_VCPU_HDR_SIZE + i * XSR_MSR_ENTRY_SIZE);
    return XSR_VCPU_HDR_SIZE + 2 * XSR_MSR_ENTRY_SIZE;
}

/*
 * DOMAIN_CONTEXT (v9 layout): HEADER, SHARED_INFO (the first 3136 bytes of
 * the shared info page, 2344 for a 32-bit PV guest with flag bit 0), TSC_INFO
 * and END, so that converting a v3 stream's SHARED_INFO and X86_TSC_INFO
 * records gives exactly this blob.
 */
size_t xsri_gen_domain_context(const struct xsri_gen *g, unsigned ckpt, uint8_t *out, size_t cap)
{
    const enum xsr_byte_order o = g->o.order;
    const bool compat = g->pv && g->width == 4;
    const uint32_t shinfo_size = compat ? 2344u : XSR_DOMCTX_SHINFO_MAX;
    uint8_t hdr[XSR_DOMCTX_HEADER_SIZE], tsc[XSR_DOMCTX_TSC_SIZE];
    uint8_t shinfo[XSR_DOMCTX_SHINFO_HDR_SIZE + XSR_SHARED_INFO_SIZE];
    struct xsr_domctx_header h = {
        .magic = XSR_DOMCTX_MAGIC, .xen_major = XSRI_GEN_XEN_MAJOR,
        .xen_minor = (uint16_t)g->xen_minor, .version = XSR_DOMCTX_VERSION,
    };
    struct xsr_tsc_info t;
    size_t off = 0;

    xsr_domctx_header_encode(&h, o, hdr);
    xsri_gen_tsc(g, ckpt, &t);
    struct xsr_domctx_tsc dt = {
        .mode = t.mode, .incarnation = t.incarnation, .elapsed_nsec = t.nsec, .khz = t.khz,
    };
    xsr_domctx_tsc_encode(&dt, o, tsc);
    xsr_domctx_shinfo_encode_hdr(compat ? XSR_DOMCTX_SHINFO_32BIT : 0, shinfo_size, o, shinfo);
    xsri_gen_shared_info(g, ckpt, shinfo + XSR_DOMCTX_SHINFO_HDR_SIZE);

    if (xsr_domctx_put(out, cap, &off, XSR_DOMCTX_HEADER, 0, hdr, sizeof(hdr), o) < 0 ||
        xsr_domctx_put(out, cap, &off, XSR_DOMCTX_SHARED_INFO, 0, shinfo,
                       XSR_DOMCTX_SHINFO_HDR_SIZE + shinfo_size, o) < 0 ||
        xsr_domctx_put(out, cap, &off, XSR_DOMCTX_TSC_INFO, 0, tsc, sizeof(tsc), o) < 0 ||
        xsr_domctx_put(out, cap, &off, XSR_DOMCTX_END, 0, NULL, 0, o) < 0)
        return 0;
    return off;
}
