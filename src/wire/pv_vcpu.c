/* SPDX-License-Identifier: MIT */
/*
 * A few fields of a PV vcpu_guest_context, for dumps.  Offsets are those of
 * Xen's public headers for each guest width (vcpu_guest_context with the
 * width's cpu_user_regs inside at offset 520 / 516).
 */
#include <inttypes.h>

#include <xsr/wire.h>

struct ctx_layout {
    uint32_t size;
    unsigned word; /* bytes of an unsigned long field */
    uint32_t flags, rip, rsp, rflags, rdx, cr3, kernel_ss, kernel_sp, gdt_ents, ldt_base;
    uint32_t fs_base, gs_base_kernel, gs_base_user; /* 0: absent */
};

static const struct ctx_layout layout64 = {
    .size = XSR_PV_VCPU_CTX_SIZE_64, .word = 8,
    .flags = 512,
    .rip = 520 + 128, .rsp = 520 + 152, .rflags = 520 + 144, .rdx = 520 + 96,
    .cr3 = 4984 + 3 * 8,
    .kernel_ss = 4968, .kernel_sp = 4976, .gdt_ents = 4960, .ldt_base = 4816,
    .fs_base = 5144, .gs_base_kernel = 5152, .gs_base_user = 5160,
};

static const struct ctx_layout layout32 = {
    .size = XSR_PV_VCPU_CTX_SIZE_32, .word = 4,
    .flags = 512,
    .rip = 516 + 32, .rsp = 516 + 44, .rflags = 516 + 40, .rdx = 516 + 8,
    .cr3 = 2716 + 3 * 4,
    .kernel_ss = 2708, .kernel_sp = 2712, .gdt_ents = 2704, .ldt_base = 2632,
};

static uint64_t ld_word(const uint8_t *ctx, uint32_t off, const struct ctx_layout *l,
                        enum xsr_byte_order o)
{
    return l->word == 8 ? xsr_ld64(ctx + off, o) : xsr_ld32(ctx + off, o);
}

int xsr_pv_vcpu_regs_decode(const uint8_t *ctx, uint32_t len, unsigned guest_width,
                            enum xsr_byte_order o, struct xsr_pv_vcpu_regs *r,
                            struct xsr_error *err)
{
    const struct ctx_layout *l;
    if (guest_width == 8)
        l = &layout64;
    else if (guest_width == 4)
        l = &layout32;
    else
        return xsr_error_set(err, XSR_EINVAL, "guest width %u is neither 4 nor 8", guest_width);
    if (len < l->size)
        return xsr_error_set(err, XSR_EFORMAT,
                             "vCPU context of %" PRIu32 " bytes is shorter than the %" PRIu32
                             " bytes of a %u-bit guest's vcpu_guest_context",
                             len, l->size, guest_width * 8);

    r->flags = ld_word(ctx, l->flags, l, o);
    r->rip = ld_word(ctx, l->rip, l, o);
    r->rsp = ld_word(ctx, l->rsp, l, o);
    r->rflags = ld_word(ctx, l->rflags, l, o);
    r->rdx = ld_word(ctx, l->rdx, l, o);
    r->cr3 = ld_word(ctx, l->cr3, l, o);
    r->kernel_ss = ld_word(ctx, l->kernel_ss, l, o);
    r->kernel_sp = ld_word(ctx, l->kernel_sp, l, o);
    r->gdt_ents = ld_word(ctx, l->gdt_ents, l, o);
    r->ldt_base = ld_word(ctx, l->ldt_base, l, o);
    r->fs_base = l->fs_base ? ld_word(ctx, l->fs_base, l, o) : 0;
    r->gs_base_kernel = l->gs_base_kernel ? ld_word(ctx, l->gs_base_kernel, l, o) : 0;
    r->gs_base_user = l->gs_base_user ? ld_word(ctx, l->gs_base_user, l, o) : 0;
    return 0;
}
