/* SPDX-License-Identifier: MIT */
/*
 * The layout of a PV vcpu_guest_context per guest width (offsets of Xen's
 * public headers, cpu_user_regs inside at 520 / 516), and a few named
 * fields of it for dumps.
 */
#include <inttypes.h>

#include <xsr/wire.h>

static const struct xsr_pv_vcpu_layout layout64 = {
    .size = XSR_PV_VCPU_CTX_SIZE_64, .word = 8,
    .flags = 512, .user_regs = 520,
    .rip = 520 + 128, .rsp = 520 + 152, .rflags = 520 + 144, .rdx = 520 + 96,
    .ldt_base = 4816, .ldt_ents = 4824, .gdt_frames = 4832, .gdt_ents = 4960,
    .kernel_ss = 4968, .kernel_sp = 4976, .ctrlreg = 4984,
    .fs_base = 5144, .gs_base_kernel = 5152, .gs_base_user = 5160,
};

static const struct xsr_pv_vcpu_layout layout32 = {
    .size = XSR_PV_VCPU_CTX_SIZE_32, .word = 4,
    .flags = 512, .user_regs = 516,
    .rip = 516 + 32, .rsp = 516 + 44, .rflags = 516 + 40, .rdx = 516 + 8,
    .ldt_base = 2632, .ldt_ents = 2636, .gdt_frames = 2640, .gdt_ents = 2704,
    .kernel_ss = 2708, .kernel_sp = 2712, .ctrlreg = 2716,
};

const struct xsr_pv_vcpu_layout *xsr_pv_vcpu_layout(unsigned guest_width)
{
    return guest_width == 8 ? &layout64 : guest_width == 4 ? &layout32 : NULL;
}

uint64_t xsr_pv_cr3_to_frame(uint64_t cr3, unsigned guest_width)
{
    if (guest_width == 4)
        return (uint32_t)((cr3 >> 12) | (cr3 << 20));
    return cr3 >> 12;
}

uint64_t xsr_pv_frame_to_cr3(uint64_t frame, unsigned guest_width)
{
    if (guest_width == 4)
        return (uint32_t)((frame << 12) | (frame >> 20));
    return frame << 12;
}

static uint64_t ld_word(const uint8_t *ctx, uint32_t off, const struct xsr_pv_vcpu_layout *l,
                        enum xsr_byte_order o)
{
    return l->word == 8 ? xsr_ld64(ctx + off, o) : xsr_ld32(ctx + off, o);
}

int xsr_pv_vcpu_regs_decode(const uint8_t *ctx, uint32_t len, unsigned guest_width,
                            enum xsr_byte_order o, struct xsr_pv_vcpu_regs *r,
                            struct xsr_error *err)
{
    const struct xsr_pv_vcpu_layout *l = xsr_pv_vcpu_layout(guest_width);
    if (!l)
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
    r->cr3 = ld_word(ctx, l->ctrlreg + 3 * l->word, l, o);
    r->kernel_ss = ld_word(ctx, l->kernel_ss, l, o);
    r->kernel_sp = ld_word(ctx, l->kernel_sp, l, o);
    r->gdt_ents = ld_word(ctx, l->gdt_ents, l, o);
    r->ldt_base = ld_word(ctx, l->ldt_base, l, o);
    r->fs_base = l->fs_base ? ld_word(ctx, l->fs_base, l, o) : 0;
    r->gs_base_kernel = l->gs_base_kernel ? ld_word(ctx, l->gs_base_kernel, l, o) : 0;
    r->gs_base_user = l->gs_base_user ? ld_word(ctx, l->gs_base_user, l, o) : 0;
    return 0;
}
