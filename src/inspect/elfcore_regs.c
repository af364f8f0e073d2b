/* SPDX-License-Identifier: MIT */
/*
 * General registers of a vCPU from the two places a save image keeps them:
 * the PV vcpu_guest_context (X86_PV_VCPU_BASIC) and the HVM CPU save entry
 * (HVM_CONTEXT typecode 2), read through the wire layer's field table
 * (xsr/vcpu.h).  A register a layout lacks (r8..r15 and the segment bases of
 * a 32-bit PV guest, cr1 of an HVM vCPU) reads as 0.
 */
#include <inttypes.h>
#include <string.h>

#include <xsr/vcpu.h>

#include "analyze_scan.h"

const char *const xsri_greg_names[XSRI_NGREG] = {
    "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
    "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp",
    "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
};

/* user_regs_struct slot -> field (orig_rax has none) */
static const enum xsr_vcpu_field greg_field[XSRI_NGREG] = {
    [XSRI_R15] = XSR_VCPU_R15, [XSRI_R14] = XSR_VCPU_R14, [XSRI_R13] = XSR_VCPU_R13,
    [XSRI_R12] = XSR_VCPU_R12, [XSRI_RBP] = XSR_VCPU_RBP, [XSRI_RBX] = XSR_VCPU_RBX,
    [XSRI_R11] = XSR_VCPU_R11, [XSRI_R10] = XSR_VCPU_R10, [XSRI_R9] = XSR_VCPU_R9,
    [XSRI_R8] = XSR_VCPU_R8, [XSRI_RAX] = XSR_VCPU_RAX, [XSRI_RCX] = XSR_VCPU_RCX,
    [XSRI_RDX] = XSR_VCPU_RDX, [XSRI_RSI] = XSR_VCPU_RSI, [XSRI_RDI] = XSR_VCPU_RDI,
    [XSRI_ORIG_RAX] = XSR_VCPU_FIELD_COUNT, [XSRI_RIP] = XSR_VCPU_RIP, [XSRI_CS] = XSR_VCPU_CS,
    [XSRI_EFLAGS] = XSR_VCPU_RFLAGS, [XSRI_RSP] = XSR_VCPU_RSP, [XSRI_SS] = XSR_VCPU_SS,
    [XSRI_FS_BASE] = XSR_VCPU_FS_BASE, [XSRI_GS_BASE] = XSR_VCPU_GS_BASE_KERNEL,
    [XSRI_DS] = XSR_VCPU_DS, [XSRI_ES] = XSR_VCPU_ES, [XSRI_FS] = XSR_VCPU_FS,
    [XSRI_GS] = XSR_VCPU_GS,
};

static void fill(const uint8_t *c, enum xsr_vcpu_kind k, enum xsr_byte_order o,
                 struct xsri_vcpu_regs *r)
{
    static const enum xsr_vcpu_field crs[5] = {
        XSR_VCPU_CR0, XSR_VCPU_CR1, XSR_VCPU_CR2, XSR_VCPU_CR3, XSR_VCPU_CR4,
    };
    for (unsigned i = 0; i < XSRI_NGREG; i++)
        r->gr[i] = xsr_vcpu_get(c, k, greg_field[i], 0, o);
    r->gr[XSRI_ORIG_RAX] = UINT64_MAX; /* not in a system call */
    r->kernel_gs_base = xsr_vcpu_get(c, k, XSR_VCPU_GS_BASE_USER, 0, o);
    for (unsigned i = 0; i < 5; i++)
        r->cr[i] = xsr_vcpu_get(c, k, crs[i], 0, o);
    r->fxsave = c + xsr_vcpu_offset(k, XSR_VCPU_FPU, 0);
}

int xsri_pv_regs(const uint8_t *ctx, uint32_t len, unsigned guest_width, enum xsr_byte_order o,
                 struct xsri_vcpu_regs *r, struct xsr_error *err)
{
    memset(r, 0, sizeof(*r));
    if (guest_width != 4 && guest_width != 8)
        return xsr_error_set(err, XSR_EINVAL, "guest width %u is neither 4 nor 8", guest_width);
    const enum xsr_vcpu_kind k = xsr_vcpu_kind_pv(guest_width);
    uint32_t need = xsr_vcpu_ctx_size(k);
    if (len < need)
        return xsr_error_set(err, XSR_EFORMAT,
                             "the vCPU context has %" PRIu32 " bytes, fewer than the %" PRIu32
                             " of a %u-bit guest's vcpu_guest_context", len, need, guest_width * 8);
    fill(ctx, k, o, r);
    return 0;
}

int xsri_hvm_regs(const uint8_t *b, uint32_t len, enum xsr_byte_order o,
                  struct xsri_vcpu_regs *r, struct xsr_error *err)
{
    (void)err; /* every length Xen loads is read */
    memset(r, 0, sizeof(*r));
    if (len != XSR_HVM_CPU_COMPAT_SIZE && len < XSR_HVM_CPU_SIZE) {
        /* hvm_load_entry_zeroextend: an older, shorter body, the rest zero */
        memcpy(r->cpu, b, len);
        b = r->cpu;
        len = XSR_HVM_CPU_SIZE;
    }
    fill(b, xsr_vcpu_kind_hvm(len), o, r);
    return 0;
}
