/* SPDX-License-Identifier: MIT */
/*
 * HVM records: the HVM_CONTEXT save image (entries in the order Xen's
 * hvm_save() writes them: HEADER, then type codes ascending, per-vCPU types
 * once per vCPU), HVM_PARAMS (in the saver's query order), and the libxl
 * emulator records of the device model.  Field offsets follow Xen's
 * public/arch-x86/hvm/save.h (see facts.md §3a).
 */
#include <stdio.h>
#include <string.h>

#include <xsr/vcpu.h>

#include "gen_internal.h"

#define HVM_CPUID_EAX 0x000906eau
#define HVM_TSC_KHZ 2793435u
#define HVM_TSC_BASE 0x0000004a8b3c2d1eULL
#define TSC_PER_CKPT 279343500ULL /* 100 ms */

/* Entry builder: appends to out (or only counts when out is NULL). */
struct blob {
    uint8_t *out;
    size_t cap;
    size_t off;
    bool failed;
    enum xsr_byte_order o;
};

static void put(struct blob *b, uint16_t type, uint16_t inst, const uint8_t *body, uint32_t len)
{
    if (xsr_hvmctx_put(b->out, b->cap, &b->off, type, inst, body, len, b->o) < 0)
        b->failed = true;
}

static void cpu_entry(const struct xsri_gen *g, unsigned v, unsigned ckpt, uint8_t *c)
{
    const enum xsr_byte_order o = g->o.order;
    static const uint16_t sel[8] = { 0x10, 0x18, 0x18, 0, 0, 0x18, 0x40, 0 };
    static const uint32_t lim[10] = { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
                                      0xffffffff, 0xffffffff, 0x206f, 0, 0xfff, 0x7f };
    static const uint32_t ar[8] = { 0xa09b, 0xc093, 0xc093, 0x1c000, 0x1c000, 0xc093, 0x8b,
                                    0x1c000 };
    uint64_t percpu = 0xffff888007c00000ULL + v * 0x40000ULL;

    const enum xsr_vcpu_kind k = XSR_VCPU_HVM;
    memset(c, 0, XSR_HVM_CPU_SIZE);
    xsr_st16(c, 0x037f, o);                                 /* fpu: FCW */
    xsr_st32(c + 24, 0x1f80, o);                            /* MXCSR */
    xsr_st32(c + 28, 0xffff, o);                            /* MXCSR_MASK */
    xsr_vcpu_put(c, k, XSR_VCPU_RAX, 0, 0, o);
    xsr_vcpu_put(c, k, XSR_VCPU_RBP, 0, 0xffffffff82603e28ULL - v * 0x4000, o);
    xsr_vcpu_put(c, k, XSR_VCPU_RSP, 0, 0xffffffff82603e00ULL - v * 0x4000, o);
    xsr_vcpu_put(c, k, XSR_VCPU_RIP, 0, 0xffffffff81b4f5beULL + ckpt * 0x10, o); /* idle loop */
    xsr_vcpu_put(c, k, XSR_VCPU_RFLAGS, 0, 0x246, o);
    xsr_vcpu_put(c, k, XSR_VCPU_CR0, 0, 0x80050033, o);
    xsr_vcpu_put(c, k, XSR_VCPU_CR3, 0, 0x2000, o);
    xsr_vcpu_put(c, k, XSR_VCPU_CR4, 0, 0x3406f0, o);
    xsr_vcpu_put(c, k, XSR_VCPU_DR6, 0, 0xffff0ff0, o);
    xsr_vcpu_put(c, k, XSR_VCPU_DR7, 0, 0x400, o);
    for (unsigned i = 0; i < 8; i++) {                      /* cs ds es fs gs ss tr ldtr */
        xsr_vcpu_put(c, k, (enum xsr_vcpu_field)(XSR_VCPU_CS + i), 0, sel[i], o);
        xsr_vcpu_put(c, k, XSR_VCPU_SEG_ARBYTES, i, ar[i], o);
    }
    for (unsigned i = 0; i < 10; i++)
        xsr_vcpu_put(c, k, XSR_VCPU_SEG_LIMIT, i, lim[i], o);
    xsr_vcpu_put(c, k, XSR_VCPU_SEG_BASE, 4, percpu, o);                          /* gs */
    xsr_vcpu_put(c, k, XSR_VCPU_SEG_BASE, 6, 0xfffffe0000003000ULL + v * 0x1000, o); /* tr */
    xsr_vcpu_put(c, k, XSR_VCPU_SEG_BASE, 8, 0xfffffe0000000000ULL, o);           /* idtr */
    xsr_vcpu_put(c, k, XSR_VCPU_SEG_BASE, 9, 0xfffffe0000001000ULL + v * 0x10000, o); /* gdtr */
    xsr_vcpu_put(c, k, XSR_VCPU_SYSENTER_CS, 0, 0x10, o);
    xsr_vcpu_put(c, k, XSR_VCPU_SYSENTER_EIP, 0, 0xffffffff81c01a80ULL, o);
    xsr_vcpu_put(c, k, XSR_VCPU_MSR_LSTAR, 0, 0xffffffff81c00010ULL, o);
    xsr_vcpu_put(c, k, XSR_VCPU_MSR_STAR, 0, 0x0023001000000000ULL, o);
    xsr_vcpu_put(c, k, XSR_VCPU_MSR_CSTAR, 0, 0xffffffff81c01bc0ULL, o);
    xsr_vcpu_put(c, k, XSR_VCPU_MSR_SYSCALL_MASK, 0, 0x47700, o);
    xsr_vcpu_put(c, k, XSR_VCPU_MSR_EFER, 0, 0xd01, o);     /* SCE LME LMA NXE */
    xsr_vcpu_put(c, k, XSR_VCPU_MSR_TSC_AUX, 0, v, o);
    xsr_vcpu_put(c, k, XSR_VCPU_TSC, 0, HVM_TSC_BASE + ckpt * TSC_PER_CKPT, o);
    xsr_vcpu_put(c, k, XSR_VCPU_FLAGS, 0, 1, o);            /* FPU initialised */
}

static void lapic_regs(const struct xsri_gen *g, unsigned v, uint8_t *r)
{
    const enum xsr_byte_order o = g->o.order;
    memset(r, 0, 1024);
    xsr_st32(r + 0x20, v << 24, o);                         /* APIC ID */
    xsr_st32(r + 0x30, 0x00050014, o);                      /* version */
    xsr_st32(r + 0xd0, (1u << (v % 8)) << 24, o);           /* LDR */
    xsr_st32(r + 0xe0, 0xffffffff, o);                      /* DFR */
    xsr_st32(r + 0xf0, 0x1ff, o);                           /* SVR: enabled */
    xsr_st32(r + 0x320, 0x000400ec, o);                     /* LVT timer: TSC deadline */
    xsr_st32(r + 0x330, 0x10000, o);                        /* LVT thermal: masked */
    xsr_st32(r + 0x340, 0x400, o);                          /* LVT perf: NMI */
    xsr_st32(r + 0x350, v == 0 ? 0x700 : 0x10700, o);       /* LINT0: ExtINT on the BSP */
    xsr_st32(r + 0x360, 0x400, o);                          /* LINT1: NMI */
    xsr_st32(r + 0x370, 0xfe, o);                           /* LVT error */
    xsr_st32(r + 0x3e0, 0x3, o);                            /* divide configuration */
}

static void mtrr(const struct xsri_gen *g, uint8_t *m)
{
    const enum xsr_byte_order o = g->o.order;
    memset(m, 0, 240);
    xsr_st64(m, 0x0007040600070406ULL, o);                  /* PAT */
    xsr_st64(m + 8, 0x6, o);                                /* var[0] base: WB at 0 */
    xsr_st64(m + 16, 0x0000000f80000800ULL, o);             /* var[0] mask: 2 GiB, valid */
    for (unsigned i = 0; i < 11; i++)
        xsr_st64(m + 136 + 8 * i, 0x0606060606060606ULL, o); /* fixed ranges: WB */
    xsr_st64(m + 224, 0x508, o);                            /* cap: 8 var, fixed, WC */
    xsr_st64(m + 232, 0xc00, o);                            /* def_type: enabled, fixed */
}

static void ioapic(const struct xsri_gen *g, uint8_t *a)
{
    const enum xsr_byte_order o = g->o.order;
    memset(a, 0, 400);
    xsr_st64(a, 0xfec00000, o);                             /* base_address */
    xsr_st32(a + 12, 1, o);                                 /* id */
    for (unsigned pin = 0; pin < 48; pin++) {
        uint64_t e = 0x10000;                               /* masked */
        if (pin < 16 && pin != 2) {
            e = 0x30 + pin;
            if (pin >= 9 && pin <= 11)
                e |= 0xa000;                                /* level, active low */
        }
        xsr_st64(a + 16 + 8 * pin, e, o);
    }
}

static void pit(const struct xsri_gen *g, uint8_t *p)
{
    memset(p, 0, 56);
    for (unsigned ch = 0; ch < 3; ch++) {
        uint8_t *c = p + 16 * ch;
        xsr_st32(c, ch == 0 ? 0x4a9 : 0x10000, g->o.order); /* count */
        c[9] = 3;                                           /* read_state */
        c[10] = 3;                                          /* write_state */
        c[12] = 3;                                          /* rw_mode: lsb then msb */
        c[13] = ch == 0 ? 2 : 3;                            /* mode */
        c[15] = ch == 2 ? 0 : 1;                            /* gate */
    }
}

static void rtc(const struct xsri_gen *g, unsigned ckpt, uint8_t *r)
{
    static const uint8_t cmos[14] = { 0x20, 0, 0x15, 0, 0x10, 0, 3, 0x21, 0x11, 0x23,
                                      0x26, 0x02, 0x00, 0x80 };
    memset(r, 0, 24);
    memcpy(r, cmos, sizeof(cmos));
    r[0] = (uint8_t)(0x20 + ckpt % 10);                     /* seconds advance */
    r[14] = 0x0d;                                           /* cmos_index */
    xsr_st64(r + 16, 0, g->o.order);                        /* rtc_offset */
}

static void hpet(const struct xsri_gen *g, unsigned ckpt, uint8_t *h)
{
    const enum xsr_byte_order o = g->o.order;
    memset(h, 0, 1048);
    xsr_st64(h, 0x00f424008086a201ULL, o);                  /* 16 ns period, 3 timers */
    xsr_st64(h + 16, 0x3, o);                               /* enabled, legacy routing */
    xsr_st64(h + 240, 0x12345600ULL + ckpt * 6250000ULL, o); /* main counter */
    for (unsigned t = 0; t < 3; t++) {
        xsr_st64(h + 256 + 32 * t, 0x00f0000000000030ULL, o); /* config: route cap, 64-bit */
        xsr_st64(h + 256 + 32 * t + 8, UINT64_MAX, o);      /* comparator */
    }
}

static void hvm_xsave(const struct xsri_gen *g, unsigned v, unsigned ckpt, uint8_t *x)
{
    memset(x, 0, 24);
    xsr_st64(x + 8, XSRI_GEN_XCR0, g->o.order);             /* xcr0 */
    xsr_st64(x + 16, XSRI_GEN_XCR0, g->o.order);            /* xcr0_accum */
    xsri_gen_xsave_area(g, v, ckpt, x + 24);
}

size_t xsri_gen_hvm_context(const struct xsri_gen *g, unsigned ckpt, uint8_t *out, size_t cap)
{
    const enum xsr_byte_order o = g->o.order;
    const unsigned nv = g->o.nr_vcpus;
    const bool all = g->o.all_records;
    struct blob b = { out, cap, 0, false, o };
    uint8_t buf[1048];

    struct xsr_hvmctx_header h = {
        .magic = XSR_HVMCTX_MAGIC, .version = XSR_HVMCTX_VERSION, .changeset = UINT64_MAX,
        .cpuid = HVM_CPUID_EAX, .gtsc_khz = HVM_TSC_KHZ,
    };
    xsr_hvmctx_header_encode(&h, o, buf);
    put(&b, XSR_HVMCTX_HEADER, 0, buf, XSR_HVMCTX_HEADER_SIZE);

    for (unsigned v = 0; v < nv; v++) {
        cpu_entry(g, v, ckpt, buf);
        put(&b, XSR_HVMCTX_CPU, (uint16_t)v, buf, XSR_HVM_CPU_SIZE);
    }
    for (unsigned i = 0; i < 2; i++) { /* PIC master, slave */
        memset(buf, 0, 8);
        buf[1] = i == 0 ? 0xb8 : 0xff;                      /* imr */
        buf[3] = i == 0 ? 0x30 : 0x38;                      /* irq_base */
        buf[5] = i == 0 ? 0x40 : 0x00;                      /* is_master */
        buf[6] = i == 0 ? 0x20 : 0x0e;                      /* elcr */
        put(&b, XSR_HVMCTX_PIC, (uint16_t)i, buf, 8);
    }
    ioapic(g, buf);
    put(&b, XSR_HVMCTX_IOAPIC, 0, buf, 400);
    for (unsigned v = 0; v < nv; v++) {
        memset(buf, 0, 32);
        xsr_st64(buf, 0xfee00800ULL | (v == 0 ? 0x100 : 0), o); /* apic_base_msr */
        xsr_st32(buf + 12, 3, o);                            /* timer_divisor */
        put(&b, XSR_HVMCTX_LAPIC, (uint16_t)v, buf, 32);
    }
    for (unsigned v = 0; v < nv; v++) {
        lapic_regs(g, v, buf);
        put(&b, XSR_HVMCTX_LAPIC_REGS, (uint16_t)v, buf, 1024);
    }
    memset(buf, 0, 16);
    put(&b, XSR_HVMCTX_PCI_IRQ, 0, buf, 16);
    put(&b, XSR_HVMCTX_ISA_IRQ, 0, buf, 8);
    uint8_t link[8] = { 5, 10, 11, 5, 0, 0, 0, 0 };
    put(&b, XSR_HVMCTX_PCI_LINK, 0, link, 8);
    pit(g, buf);
    put(&b, XSR_HVMCTX_PIT, 0, buf, 56);
    rtc(g, ckpt, buf);
    put(&b, XSR_HVMCTX_RTC, 0, buf, 24);
    hpet(g, ckpt, buf);
    put(&b, XSR_HVMCTX_HPET, 0, buf, 1048);
    memset(buf, 0, 8);
    xsr_st32(buf, 0x00a3b1c0u + ckpt * 357954u, o);         /* tmr_val: 3.58 MHz */
    put(&b, XSR_HVMCTX_PMTIMER, 0, buf, 8);
    for (unsigned v = 0; v < nv; v++) {
        mtrr(g, buf);
        put(&b, XSR_HVMCTX_MTRR, (uint16_t)v, buf, 240);
    }
    if (all) {
        memset(buf, 0, 32);
        xsr_st64(buf, 0x1001, o);                           /* hypercall page at pfn 1 */
        xsr_st64(buf + 8, 0x0001040a00003839ULL, o);        /* guest OS id */
        xsr_st64(buf + 16, 0x2a3b4c5dULL + ckpt * 1000000ULL, o); /* time_ref_count */
        put(&b, XSR_HVMCTX_VIRIDIAN_DOMAIN, 0, buf, 32);
    }
    for (unsigned v = 0; v < nv; v++) {
        hvm_xsave(g, v, ckpt, buf);
        put(&b, XSR_HVMCTX_CPU_XSAVE, (uint16_t)v, buf, 24 + XSRI_GEN_XSAVE_SIZE);
    }
    if (all) {
        for (unsigned v = 0; v < nv; v++) {
            memset(buf, 0, 216);
            for (unsigned s = 0; s < 16; s++)
                xsr_st64(buf + 24 + 8 * s, 0x10000, o);     /* SINTs masked */
            put(&b, XSR_HVMCTX_VIRIDIAN_VCPU, (uint16_t)v, buf, 216);
        }
    }
    for (unsigned v = 0; v < nv; v++) {
        memset(buf, 0, 32);
        xsr_st64(buf, 0x2, o);                              /* caps: 2 banks */
        put(&b, XSR_HVMCTX_VMCE_VCPU, (uint16_t)v, buf, 32);
    }
    for (unsigned v = 0; v < nv; v++) {
        memset(buf, 0, 8);
        put(&b, XSR_HVMCTX_TSC_ADJUST, (uint16_t)v, buf, 8);
    }
    if (all) {
        for (unsigned v = 0; v < nv; v++) {
            struct xsr_msr_entry spec = { 0x00000048, 0, 1 }; /* MSR_SPEC_CTRL */
            memset(buf, 0, 8);
            xsr_st32(buf, 1, o);                            /* count */
            xsr_msr_entry_encode(&spec, o, buf + 8);
            put(&b, XSR_HVMCTX_CPU_MSR, (uint16_t)v, buf, 8 + XSR_MSR_ENTRY_SIZE);
        }
    }
    put(&b, XSR_HVMCTX_END, 0, NULL, 0);
    return b.failed ? 0 : b.off;
}

size_t xsri_gen_hvm_params(const struct xsri_gen *g, uint8_t *out, size_t cap)
{
    const uint64_t top = g->n - 1;
    uint64_t params[XSRI_GEN_HVM_PARAMS_MAX][2] = {
        { 1, top - XSRI_HVM_STORE },       /* STORE_PFN */
        { 5, top - XSRI_HVM_IOREQ },       /* IOREQ_PFN */
        { 6, top - XSRI_HVM_BUFIOREQ },    /* BUFIOREQ_PFN */
        { 27, top - XSRI_HVM_PAGING },     /* PAGING_RING_PFN */
        { 28, top - XSRI_HVM_MONITOR },    /* MONITOR_RING_PFN */
        { 29, top - XSRI_HVM_SHARING },    /* SHARING_RING_PFN */
        { 17, top - XSRI_HVM_CONSOLE },    /* CONSOLE_PFN */
        { 12, (top - XSRI_HVM_IDENT_PT) << XSR_PAGE_SHIFT }, /* IDENT_PT (an address) */
    };
    uint32_t count = 8;
    if (g->ioreq_server != XSRI_GEN_NO_PFN) {
        params[count][0] = 32;                              /* IOREQ_SERVER_PFN */
        params[count++][1] = g->ioreq_server;
        params[count][0] = 33;                              /* NR_IOREQ_SERVER_PAGES */
        params[count++][1] = XSRI_GEN_HVM_IOREQ_SERVER_PAGES;
        params[count][0] = 38;                              /* MCA_CAP: LMCE */
        params[count++][1] = 1;
    }
    size_t len = XSR_HVM_PARAMS_HDR_SIZE + (size_t)count * XSR_HVM_PARAM_ENTRY_SIZE;
    if (!out || cap < len)
        return len;
    memset(out, 0, XSR_HVM_PARAMS_HDR_SIZE);
    xsr_st32(out, count, g->o.order);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *e = out + XSR_HVM_PARAMS_HDR_SIZE + i * XSR_HVM_PARAM_ENTRY_SIZE;
        xsr_st64(e, params[i][0], g->o.order);
        xsr_st64(e + 8, params[i][1], g->o.order);
    }
    return len;
}

/* The device model's physmap keys: the VGA framebuffer it relocated. */
size_t xsri_gen_emu_xenstore(const struct xsri_gen *g, uint8_t *out, size_t cap)
{
    static const char *const kv[] = {
        "physmap/f0000000/start_addr", "f0000000",
        "physmap/f0000000/size", "800000",
        "physmap/f0000000/name", "vga.vram",
    };
    size_t len = XSR_EMULATOR_HDR_SIZE;
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        len += strlen(kv[i]) + 1;
    if (!out || cap < len)
        return len;
    xsr_emulator_hdr_encode(XSR_EMU_QEMU_UPSTREAM, 0, g->o.order, out);
    size_t off = XSR_EMULATOR_HDR_SIZE;
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
        size_t n = strlen(kv[i]) + 1;
        memcpy(out + off, kv[i], n);
        off += n;
    }
    return len;
}

/*
 * The device model's saved state is QEMU's own format, opaque to Xen: a
 * "QEVM" header, a configuration section naming the machine, some device
 * state and the end-of-file marker.
 */
#define EMU_STATE_BYTES 184u
size_t xsri_gen_emu_context(const struct xsri_gen *g, unsigned ckpt, uint8_t *out, size_t cap)
{
    static const uint8_t head[] = {
        'Q', 'E', 'V', 'M', 0, 0, 0, 3,             /* magic, version 3 (big-endian) */
        0x07, 0, 0, 0, 5, 'x', 'e', 'n', 'f', 'v',  /* configuration: machine "xenfv" */
    };
    size_t len = XSR_EMULATOR_HDR_SIZE + sizeof(head) + EMU_STATE_BYTES + 1;
    if (!out || cap < len)
        return len;
    xsr_emulator_hdr_encode(XSR_EMU_QEMU_UPSTREAM, 0, g->o.order, out);
    uint8_t *p = out + XSR_EMULATOR_HDR_SIZE;
    memcpy(p, head, sizeof(head));
    xsri_gen_random(p + sizeof(head), EMU_STATE_BYTES, xsri_gen_hash(g->o.seed, 0x71656d75, ckpt));
    p[sizeof(head) + EMU_STATE_BYTES] = 0x1f;       /* QEMU_VM_EOF */
    return len;
}
