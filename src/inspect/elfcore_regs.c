/* SPDX-License-Identifier: MIT */
/*
 * General registers of a vCPU from the two places a save image keeps them:
 * the PV vcpu_guest_context (X86_PV_VCPU_BASIC) and the HVM CPU save entry
 * (HVM_CONTEXT typecode 2).  Offsets from Xen's public headers
 * (arch-x86/xen-x86_64.h, xen-x86_32.h, hvm/save.h); see facts.md 3a/3b.
 */
#include <inttypes.h>
#include <string.h>

#include "analyze_scan.h"

const char *const xsri_greg_names[XSRI_NGREG] = {
    "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
    "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp",
    "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
};

/* x86_64 cpu_user_regs at offset 520: r15..rdi are 15 consecutive u64 in
 * the same order as user_regs_struct. */
#define PV64_REGS 520u
#define PV64_RIP (PV64_REGS + 128)
#define PV64_CS (PV64_REGS + 136)
#define PV64_RFLAGS (PV64_REGS + 144)
#define PV64_RSP (PV64_REGS + 152)
#define PV64_SS (PV64_REGS + 160)
#define PV64_ES (PV64_REGS + 168)
#define PV64_DS (PV64_REGS + 176)
#define PV64_FS (PV64_REGS + 184)
#define PV64_GS (PV64_REGS + 192)
#define PV64_CTRLREG 4984u
#define PV64_FS_BASE 5144u
#define PV64_GS_BASE_KERNEL 5152u
#define PV64_GS_BASE_USER 5160u

/* x86_32 cpu_user_regs at offset 516: ebx ecx edx esi edi ebp eax (u32),
 * u16 error_code, u16 entry_vector, eip, u16 cs ..., eflags, esp, ss, es,
 * ds, fs, gs (each selector in a 4-byte slot). */
#define PV32_REGS 516u
#define PV32_CTRLREG 2716u

static int pv64(const uint8_t *c, enum xsr_byte_order o, struct xsri_vcpu_regs *r)
{
    for (unsigned i = 0; i <= XSRI_RDI; i++)
        r->gr[i] = xsr_ld64(c + PV64_REGS + 8 * i, o);
    r->gr[XSRI_ORIG_RAX] = UINT64_MAX; /* not in a system call */
    r->gr[XSRI_RIP] = xsr_ld64(c + PV64_RIP, o);
    r->gr[XSRI_CS] = xsr_ld16(c + PV64_CS, o);
    r->gr[XSRI_EFLAGS] = xsr_ld64(c + PV64_RFLAGS, o);
    r->gr[XSRI_RSP] = xsr_ld64(c + PV64_RSP, o);
    r->gr[XSRI_SS] = xsr_ld16(c + PV64_SS, o);
    r->gr[XSRI_ES] = xsr_ld16(c + PV64_ES, o);
    r->gr[XSRI_DS] = xsr_ld16(c + PV64_DS, o);
    r->gr[XSRI_FS] = xsr_ld16(c + PV64_FS, o);
    r->gr[XSRI_GS] = xsr_ld16(c + PV64_GS, o);
    r->gr[XSRI_FS_BASE] = xsr_ld64(c + PV64_FS_BASE, o);
    r->gr[XSRI_GS_BASE] = xsr_ld64(c + PV64_GS_BASE_KERNEL, o);
    r->kernel_gs_base = xsr_ld64(c + PV64_GS_BASE_USER, o);
    for (unsigned i = 0; i < 5; i++)
        r->cr[i] = xsr_ld64(c + PV64_CTRLREG + 8 * i, o);
    return 0;
}

static int pv32(const uint8_t *c, enum xsr_byte_order o, struct xsri_vcpu_regs *r)
{
    const uint8_t *u = c + PV32_REGS;
    r->gr[XSRI_RBX] = xsr_ld32(u + 0, o);
    r->gr[XSRI_RCX] = xsr_ld32(u + 4, o);
    r->gr[XSRI_RDX] = xsr_ld32(u + 8, o);
    r->gr[XSRI_RSI] = xsr_ld32(u + 12, o);
    r->gr[XSRI_RDI] = xsr_ld32(u + 16, o);
    r->gr[XSRI_RBP] = xsr_ld32(u + 20, o);
    r->gr[XSRI_RAX] = xsr_ld32(u + 24, o);
    r->gr[XSRI_ORIG_RAX] = UINT64_MAX;
    r->gr[XSRI_RIP] = xsr_ld32(u + 32, o);
    r->gr[XSRI_CS] = xsr_ld16(u + 36, o);
    r->gr[XSRI_EFLAGS] = xsr_ld32(u + 40, o);
    r->gr[XSRI_RSP] = xsr_ld32(u + 44, o);
    r->gr[XSRI_SS] = xsr_ld16(u + 48, o);
    r->gr[XSRI_ES] = xsr_ld16(u + 52, o);
    r->gr[XSRI_DS] = xsr_ld16(u + 56, o);
    r->gr[XSRI_FS] = xsr_ld16(u + 60, o);
    r->gr[XSRI_GS] = xsr_ld16(u + 64, o);
    for (unsigned i = 0; i < 5; i++)
        r->cr[i] = xsr_ld32(c + PV32_CTRLREG + 4 * i, o);
    return 0;
}

int xsri_pv_regs(const uint8_t *ctx, uint32_t len, unsigned guest_width, enum xsr_byte_order o,
                 struct xsri_vcpu_regs *r, struct xsr_error *err)
{
    uint32_t need = guest_width == 4 ? XSR_PV_VCPU_CTX_SIZE_32 : XSR_PV_VCPU_CTX_SIZE_64;

    memset(r, 0, sizeof(*r));
    if (guest_width != 4 && guest_width != 8)
        return xsr_error_set(err, XSR_EINVAL, "guest width %u is neither 4 nor 8", guest_width);
    if (len < need)
        return xsr_error_set(err, XSR_EFORMAT,
                             "the vCPU context has %" PRIu32 " bytes, fewer than the %" PRIu32
                             " of a %u-bit guest's vcpu_guest_context", len, need, guest_width * 8);
    r->fxsave = ctx; /* fpu_ctxt is the first member */
    return guest_width == 8 ? pv64(ctx, o, r) : pv32(ctx, o, r);
}

/* hvm_hw_cpu */
#define HVM_CPU_SIZE 1032u
#define HVM_CPU_COMPAT_SIZE 1016u
#define HVM_GPR 512u     /* rax rbx rcx rdx rbp rsi rdi rsp r8..r15 */
#define HVM_RIP 640u
#define HVM_RFLAGS 648u
#define HVM_CR0 656u     /* cr0 cr2 cr3 cr4 */
#define HVM_SEL 736u     /* u32 cs ds es fs gs ss tr ldtr */
#define HVM_BASE 808u    /* u64 cs ds es fs gs ss tr ldtr idtr gdtr */
#define HVM_SHADOW_GS 944u

int xsri_hvm_regs(const uint8_t *b, uint32_t len, enum xsr_byte_order o,
                  struct xsri_vcpu_regs *r, struct xsr_error *err)
{
    static const unsigned gpr_order[16] = {
        XSRI_RAX, XSRI_RBX, XSRI_RCX, XSRI_RDX, XSRI_RBP, XSRI_RSI, XSRI_RDI, XSRI_RSP,
        XSRI_R8, XSRI_R9, XSRI_R10, XSRI_R11, XSRI_R12, XSRI_R13, XSRI_R14, XSRI_R15,
    };
    static const unsigned sel_order[6] = { XSRI_CS, XSRI_DS, XSRI_ES, XSRI_FS, XSRI_GS, XSRI_SS };

    memset(r, 0, sizeof(*r));
    if (len < HVM_CPU_COMPAT_SIZE)
        return xsr_error_set(err, XSR_EFORMAT,
                             "the HVM CPU entry has %" PRIu32 " bytes, fewer than the %u of its "
                             "shortest (compat) form", len, HVM_CPU_COMPAT_SIZE);
    for (unsigned i = 0; i < 16; i++)
        r->gr[gpr_order[i]] = xsr_ld64(b + HVM_GPR + 8 * i, o);
    r->gr[XSRI_ORIG_RAX] = UINT64_MAX;
    r->gr[XSRI_RIP] = xsr_ld64(b + HVM_RIP, o);
    r->gr[XSRI_EFLAGS] = xsr_ld64(b + HVM_RFLAGS, o);
    for (unsigned i = 0; i < 6; i++)
        r->gr[sel_order[i]] = xsr_ld32(b + HVM_SEL + 4 * i, o);
    r->gr[XSRI_FS_BASE] = xsr_ld64(b + HVM_BASE + 3 * 8, o);
    r->gr[XSRI_GS_BASE] = xsr_ld64(b + HVM_BASE + 4 * 8, o);
    r->kernel_gs_base = xsr_ld64(b + HVM_SHADOW_GS, o);
    r->cr[0] = xsr_ld64(b + HVM_CR0, o);
    r->cr[2] = xsr_ld64(b + HVM_CR0 + 8, o);
    r->cr[3] = xsr_ld64(b + HVM_CR0 + 16, o);
    r->cr[4] = xsr_ld64(b + HVM_CR0 + 24, o);
    r->fxsave = b; /* fpu_regs[512] */
    return 0;
}
