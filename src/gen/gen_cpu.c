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

#include <xsr/domctx.h>
#include <xsr/vcpu.h>

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

/* cpu_user_regs: the registers a suspended Linux vCPU holds. */
static void user_regs(const struct xsri_gen *g, unsigned vcpu, unsigned ckpt, uint8_t *ctx)
{
    const enum xsr_byte_order o = g->o.order;
    const enum xsr_vcpu_kind k = xsr_vcpu_kind_pv(g->width);
    /* the saver's start-info frame (vCPU 0 only), normalised to a PFN */
    uint64_t rdx = vcpu == 0 ? g->start_info : 0;
    uint64_t sp = xsri_gen_pv_va(g, 0) + XSR_PAGE_SIZE - 0x100 * (vcpu % 8 + 1);
    const bool w64 = g->width == 8;

    xsr_vcpu_put(ctx, k, XSR_VCPU_RBP, 0, sp + 0x40, o);
    xsr_vcpu_put(ctx, k, XSR_VCPU_RDX, 0, rdx, o);
    if (w64)
        xsr_vcpu_put(ctx, k, XSR_VCPU_RDI, 0, 1, o);                /* SCHEDOP_block */
    xsr_vcpu_put(ctx, k, XSR_VCPU_RIP, 0,
                 (w64 ? KERNEL_TEXT_64 : KERNEL_TEXT_32) + 0x1a2b0 + ckpt * 0x40, o);
    xsr_vcpu_put(ctx, k, XSR_VCPU_CS, 0, w64 ? 0xe033 : 0xe019, o); /* FLAT_KERNEL_CS64 / RING1 */
    xsr_vcpu_put(ctx, k, XSR_VCPU_RFLAGS, 0, 0x246, o);
    xsr_vcpu_put(ctx, k, XSR_VCPU_RSP, 0, sp, o);
    xsr_vcpu_put(ctx, k, XSR_VCPU_SS, 0, w64 ? 0xe02b : 0xe021, o);
    if (!w64) {
        xsr_vcpu_put(ctx, k, XSR_VCPU_ES, 0, 0x7b, o);
        xsr_vcpu_put(ctx, k, XSR_VCPU_DS, 0, 0x7b, o);
        xsr_vcpu_put(ctx, k, XSR_VCPU_FS, 0, 0xd8, o);
    }
}

/* trap_info: vector u8, flags u8, cs u16, then the address (unsigned long, aligned) */
static void trap_table(const struct xsri_gen *g, uint8_t *ctx)
{
    const enum xsr_byte_order o = g->o.order;
    const enum xsr_vcpu_kind k = xsr_vcpu_kind_pv(g->width);
    for (unsigned vec = 0; vec < 20; vec++) {
        uint8_t *t = ctx + xsr_vcpu_offset(k, XSR_VCPU_TRAP_CTXT, vec);
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
    const enum xsr_vcpu_kind k = xsr_vcpu_kind_pv(g->width);
    const uint32_t size = xsr_vcpu_ctx_size(k);
    const unsigned w = g->width;
    uint8_t *ctx = out + XSR_VCPU_HDR_SIZE;
    uint64_t sp = xsri_gen_pv_va(g, 0) + XSR_PAGE_SIZE - 0x100 * (vcpu % 8 + 1);

    memset(out, 0, XSR_VCPU_HDR_SIZE + size);
    xsr_vcpu_hdr_encode(vcpu, o, out);
    fxsave_init(ctx, o);
    xsr_vcpu_put(ctx, k, XSR_VCPU_FLAGS, 0, 0x25, o); /* VGCF_i387_valid | in_kernel | online */
    user_regs(g, vcpu, ckpt, ctx);
    trap_table(g, ctx);
    xsr_vcpu_put(ctx, k, XSR_VCPU_GDT_FRAMES, 0, g->gdt_first + vcpu, o);
    xsr_vcpu_put(ctx, k, XSR_VCPU_GDT_ENTS, 0, w == 8 ? 16 : 32, o);
    xsr_vcpu_put(ctx, k, XSR_VCPU_KERNEL_SS, 0, w == 8 ? 0xe02b : 0xe021, o);
    xsr_vcpu_put(ctx, k, XSR_VCPU_KERNEL_SP, 0, sp, o);

    xsr_vcpu_put(ctx, k, XSR_VCPU_CR0, 0, 0x80050033, o);
    if (g->pt) {
        if (w == 8) /* user tables, in the stream's marked form */
            xsr_vcpu_put(ctx, k, XSR_VCPU_CR1, 0, g->l4u << XSR_PAGE_SHIFT | XSR_PV_CR1_PRESENT, o);
        /* PAE extended cr3: the frame rotated left by 12 */
        xsr_vcpu_put(ctx, k, XSR_VCPU_CR3, 0,
                     xsr_pv_frame_to_cr3(w == 8 ? g->l4k : (uint32_t)g->l3_first, w), o);
    }
    xsr_vcpu_put(ctx, k, XSR_VCPU_CR4, 0, w == 8 ? 0x3426f0 : 0x6f0, o);
    xsr_vcpu_put(ctx, k, XSR_VCPU_DR6, 0, 0xffff0ff0, o);
    xsr_vcpu_put(ctx, k, XSR_VCPU_DR7, 0, 0x400, o);

    if (w == 8) {
        xsr_vcpu_put(ctx, k, XSR_VCPU_EVENT_CALLBACK_EIP, 0, KERNEL_TEXT_64 + 0xc01000, o);
        xsr_vcpu_put(ctx, k, XSR_VCPU_FAILSAFE_CALLBACK_EIP, 0, KERNEL_TEXT_64 + 0xc01100, o);
        xsr_vcpu_put(ctx, k, XSR_VCPU_SYSCALL_CALLBACK_EIP, 0, KERNEL_TEXT_64 + 0xc01200, o);
        xsr_vcpu_put(ctx, k, XSR_VCPU_VM_ASSIST, 0, 0x24, o);       /* writable PTs, runstate */
        xsr_vcpu_put(ctx, k, XSR_VCPU_FS_BASE, 0, 0x00007f3a9c5e4740ULL + vcpu * 0x1000, o);
        xsr_vcpu_put(ctx, k, XSR_VCPU_GS_BASE_KERNEL, 0,
                     xsri_gen_pv_va(g, 0) + 0x1000000 + vcpu * 0x40000ULL, o);
    } else {
        xsr_vcpu_put(ctx, k, XSR_VCPU_EVENT_CALLBACK_CS, 0, 0xe019, o);
        xsr_vcpu_put(ctx, k, XSR_VCPU_EVENT_CALLBACK_EIP, 0, KERNEL_TEXT_32 + 0xc01000, o);
        xsr_vcpu_put(ctx, k, XSR_VCPU_FAILSAFE_CALLBACK_CS, 0, 0xe019, o);
        xsr_vcpu_put(ctx, k, XSR_VCPU_FAILSAFE_CALLBACK_EIP, 0, KERNEL_TEXT_32 + 0xc01100, o);
        xsr_vcpu_put(ctx, k, XSR_VCPU_VM_ASSIST, 0, 0xd, o);        /* 4gb segs, WPT, ext cr3 */
    }
    return XSR_VCPU_HDR_SIZE + size;
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
 * DOMAIN_CONTEXT (v9 layout) of the checkpoint's shared info and TSC info,
 * so that converting a v3 stream's SHARED_INFO and X86_TSC_INFO records
 * gives exactly this blob.  Returns its size (out NULL: size only), 0 if it
 * does not fit in cap.
 */
size_t xsri_gen_domain_context(const struct xsri_gen *g, unsigned ckpt, uint8_t *out, size_t cap)
{
    const bool compat = g->pv && g->width == 4;
    uint8_t shinfo[XSR_SHARED_INFO_SIZE];
    struct xsr_domctx_parts p = {
        .xen_major = XSRI_GEN_XEN_MAJOR, .xen_minor = (uint16_t)g->xen_minor,
        .has_shinfo = true, .shinfo_flags = compat ? XSR_DOMCTX_SHINFO_32BIT : 0,
        .shinfo = shinfo, .shinfo_size = xsr_shinfo_size(compat ? 4 : 8),
        .has_tsc = true,
    };
    size_t len;

    xsri_gen_tsc(g, ckpt, &p.tsc);
    if (out)
        xsri_gen_shared_info(g, ckpt, shinfo);
    if (xsr_domctx_build(&p, g->o.order, out, cap, &len, NULL) < 0)
        return 0;
    return len;
}
