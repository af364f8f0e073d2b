/* SPDX-License-Identifier: MIT */
/* A few fields of a PV vcpu_guest_context, for dumps (offsets: vcpu.c). */
#include <inttypes.h>

#include <xsr/vcpu.h>

int xsr_pv_vcpu_regs_decode(const uint8_t *ctx, uint32_t len, unsigned guest_width,
                            enum xsr_byte_order o, struct xsr_pv_vcpu_regs *r,
                            struct xsr_error *err)
{
    if (guest_width != 4 && guest_width != 8)
        return xsr_error_set(err, XSR_EINVAL, "guest width %u is neither 4 nor 8", guest_width);
    const enum xsr_vcpu_kind k = xsr_vcpu_kind_pv(guest_width);
    const uint32_t size = xsr_vcpu_ctx_size(k);
    if (len < size)
        return xsr_error_set(err, XSR_EFORMAT,
                             "vCPU context of %" PRIu32 " bytes is shorter than the %" PRIu32
                             " bytes of a %u-bit guest's vcpu_guest_context",
                             len, size, guest_width * 8);

    r->flags = xsr_vcpu_get(ctx, k, XSR_VCPU_FLAGS, 0, o);
    r->rip = xsr_vcpu_get(ctx, k, XSR_VCPU_RIP, 0, o);
    r->rsp = xsr_vcpu_get(ctx, k, XSR_VCPU_RSP, 0, o);
    r->rflags = xsr_vcpu_get(ctx, k, XSR_VCPU_RFLAGS, 0, o);
    r->rdx = xsr_vcpu_get(ctx, k, XSR_VCPU_RDX, 0, o);
    r->cr3 = xsr_vcpu_get(ctx, k, XSR_VCPU_CR3, 0, o);
    r->kernel_ss = xsr_vcpu_get(ctx, k, XSR_VCPU_KERNEL_SS, 0, o);
    r->kernel_sp = xsr_vcpu_get(ctx, k, XSR_VCPU_KERNEL_SP, 0, o);
    r->gdt_ents = xsr_vcpu_get(ctx, k, XSR_VCPU_GDT_ENTS, 0, o);
    r->ldt_base = xsr_vcpu_get(ctx, k, XSR_VCPU_LDT_BASE, 0, o);
    r->fs_base = xsr_vcpu_get(ctx, k, XSR_VCPU_FS_BASE, 0, o);
    r->gs_base_kernel = xsr_vcpu_get(ctx, k, XSR_VCPU_GS_BASE_KERNEL, 0, o);
    r->gs_base_user = xsr_vcpu_get(ctx, k, XSR_VCPU_GS_BASE_USER, 0, o);
    return 0;
}
