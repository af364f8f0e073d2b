/* SPDX-License-Identifier: MIT */
/*
 * x86 vCPU register state as a save image carries it: the PV
 * vcpu_guest_context of a 64-bit or 32-bit guest (X86_PV_VCPU_BASIC) and the
 * HVM CPU save entry (hvm_hw_cpu, HVM_CONTEXT typecode 2, full or compat
 * form).  The one table of their field offsets (Xen's public headers,
 * xen-x86_64.h, xen-x86_32.h, hvm/save.h), with accessors for both widths and
 * byte orders, and the frame fields a saver turns from MFNs into PFNs and a
 * restorer back.
 *
 * Accessors take a context of at least xsr_vcpu_ctx_size(kind) bytes (the
 * caller checks the record's length first); they never fail: a field the
 * layout lacks reads as 0 and is not written.
 */
#ifndef XSR_VCPU_H
#define XSR_VCPU_H

#include <stdint.h>

#include <xsr/error.h>
#include <xsr/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

enum xsr_vcpu_kind {
    XSR_VCPU_PV64 = 0,      /* vcpu_guest_context, 64-bit guest: 5168 bytes */
    XSR_VCPU_PV32 = 1,      /* vcpu_guest_context, 32-bit guest: 2800 bytes */
    XSR_VCPU_HVM = 2,       /* hvm_hw_cpu: 1032 bytes */
    XSR_VCPU_HVM_COMPAT = 3, /* hvm_hw_cpu of Xen < 4.1 (no msr_tsc_aux, flags): 1016 bytes */
    XSR_VCPU_KIND_COUNT = 4,
};

#define XSR_HVM_CPU_SIZE 1032u
#define XSR_HVM_CPU_COMPAT_SIZE 1016u

/*
 * Every field of the three structures.  Register fields shared by the
 * layouts have one name (RDX is user_regs.rdx/edx in PV and rdx in HVM); the
 * rest exist in the layouts their comment names.  Arrays are one field with
 * a count.
 */
enum xsr_vcpu_field {
    XSR_VCPU_FPU,            /* fpu_ctxt / fpu_regs: 512-byte FXSAVE image (all) */
    /* general registers (PV: cpu_user_regs; 32-bit guests lack R8..R15) */
    XSR_VCPU_RAX, XSR_VCPU_RBX, XSR_VCPU_RCX, XSR_VCPU_RDX,
    XSR_VCPU_RSI, XSR_VCPU_RDI, XSR_VCPU_RBP, XSR_VCPU_RSP,
    XSR_VCPU_R8, XSR_VCPU_R9, XSR_VCPU_R10, XSR_VCPU_R11,
    XSR_VCPU_R12, XSR_VCPU_R13, XSR_VCPU_R14, XSR_VCPU_R15,
    XSR_VCPU_RIP, XSR_VCPU_RFLAGS,
    /* selectors (HVM: cs_sel ...; PV: user_regs.cs ...) */
    XSR_VCPU_CS, XSR_VCPU_DS, XSR_VCPU_ES, XSR_VCPU_FS, XSR_VCPU_GS, XSR_VCPU_SS,
    XSR_VCPU_TR, XSR_VCPU_LDTR,                    /* HVM */
    /* control and debug registers: PV ctrlreg[n] / debugreg[n], HVM crN / drN */
    XSR_VCPU_CR0, XSR_VCPU_CR1, XSR_VCPU_CR2, XSR_VCPU_CR3, XSR_VCPU_CR4,
    XSR_VCPU_DR0, XSR_VCPU_DR1, XSR_VCPU_DR2, XSR_VCPU_DR3, XSR_VCPU_DR6, XSR_VCPU_DR7,
    /* PV (FLAGS and ERROR_CODE also HVM); CR1 of a 64-bit PV guest is its user page table */
    XSR_VCPU_CTRLREG,        /* [8] */
    XSR_VCPU_DEBUGREG,       /* [8] */
    XSR_VCPU_FLAGS,          /* PV: VGCF_*; HVM (not compat): bit 0 FPU initialised */
    XSR_VCPU_ERROR_CODE,     /* PV: user_regs.error_code; HVM: of the pending event */
    XSR_VCPU_ENTRY_VECTOR, XSR_VCPU_SAVED_UPCALL_MASK,
    XSR_VCPU_TRAP_CTXT,      /* [256] trap_info, 16 / 8 bytes each */
    XSR_VCPU_LDT_BASE, XSR_VCPU_LDT_ENTS,
    XSR_VCPU_GDT_FRAMES,     /* [16] frame numbers */
    XSR_VCPU_GDT_ENTS,
    XSR_VCPU_KERNEL_SS, XSR_VCPU_KERNEL_SP,
    XSR_VCPU_EVENT_CALLBACK_CS, XSR_VCPU_EVENT_CALLBACK_EIP,       /* CS: 32-bit only */
    XSR_VCPU_FAILSAFE_CALLBACK_CS, XSR_VCPU_FAILSAFE_CALLBACK_EIP, /* CS: 32-bit only */
    XSR_VCPU_SYSCALL_CALLBACK_EIP,                                 /* 64-bit only */
    XSR_VCPU_VM_ASSIST,
    XSR_VCPU_FS_BASE,        /* PV64 fs_base, HVM fs_base */
    XSR_VCPU_GS_BASE_KERNEL, /* PV64 gs_base_kernel, HVM gs_base (the active one) */
    XSR_VCPU_GS_BASE_USER,   /* PV64 gs_base_user, HVM shadow_gs */
    /* HVM only */
    XSR_VCPU_SEG_LIMIT,      /* [10] cs ds es fs gs ss tr ldtr idtr gdtr */
    XSR_VCPU_SEG_BASE,       /* [10] likewise */
    XSR_VCPU_SEG_ARBYTES,    /* [8] cs ds es fs gs ss tr ldtr */
    XSR_VCPU_SYSENTER_CS, XSR_VCPU_SYSENTER_ESP, XSR_VCPU_SYSENTER_EIP,
    XSR_VCPU_MSR_FLAGS, XSR_VCPU_MSR_LSTAR, XSR_VCPU_MSR_STAR, XSR_VCPU_MSR_CSTAR,
    XSR_VCPU_MSR_SYSCALL_MASK, XSR_VCPU_MSR_EFER,
    XSR_VCPU_MSR_TSC_AUX,    /* not in the compat form */
    XSR_VCPU_TSC,
    XSR_VCPU_PENDING_EVENT,  /* vector 0-7, type 8-10, error valid 11, valid 31 */
    XSR_VCPU_FIELD_COUNT
};

/* Where a field sits: element i at offset + i * size. */
struct xsr_vcpu_field_info {
    const char *name;  /* Xen's member name ("rdx", "ctrlreg", "gdt_frames", ...) */
    uint32_t offset;
    uint16_t size;     /* bytes of one element: 1, 2, 4, 8 (512 for FPU) */
    uint16_t count;    /* elements: 1, or the array's length */
};

/* Bytes of the structure; 0 for an unknown kind. */
uint32_t xsr_vcpu_ctx_size(enum xsr_vcpu_kind k);
/* The PV kind of a guest width (4 or 8; anything else gives PV64). */
static inline enum xsr_vcpu_kind xsr_vcpu_kind_pv(unsigned guest_width)
{
    return guest_width == 4 ? XSR_VCPU_PV32 : XSR_VCPU_PV64;
}
/* The HVM kind of a CPU entry body length (shorter than the full form: compat). */
static inline enum xsr_vcpu_kind xsr_vcpu_kind_hvm(uint32_t len)
{
    return len < XSR_HVM_CPU_SIZE ? XSR_VCPU_HVM_COMPAT : XSR_VCPU_HVM;
}
/* NULL if the layout has no such field. */
const struct xsr_vcpu_field_info *xsr_vcpu_field(enum xsr_vcpu_kind k, enum xsr_vcpu_field f);
/* Offset of element i, or UINT32_MAX if absent / out of range. */
uint32_t xsr_vcpu_offset(enum xsr_vcpu_kind k, enum xsr_vcpu_field f, unsigned i);

/* Element i of an integer field (1..8 bytes), zero-extended; 0 if absent. */
uint64_t xsr_vcpu_get(const uint8_t *ctx, enum xsr_vcpu_kind k, enum xsr_vcpu_field f,
                      unsigned i, enum xsr_byte_order o);
/* Store v (truncated to the field's size) into element i; nothing if absent. */
void xsr_vcpu_put(uint8_t *ctx, enum xsr_vcpu_kind k, enum xsr_vcpu_field f, unsigned i,
                  uint64_t v, enum xsr_byte_order o);

/* ------------------------------------------------ PV frame translation */

/* XSR_PV_GDT_FRAMES, XSR_PV_GDT_ENTS_PER_FRAME, xsr_pv_cr3_to_frame and
 * xsr_pv_frame_to_cr3 are in wire.h. */
#define XSR_PV_GDT_ENTS_MAX 7168u  /* Xen's FIRST_RESERVED_GDT_ENTRY */
#define XSR_PV_CR1_PRESENT 0x1u    /* stream form of ctrlreg[1]: (pfn << 12) | 1 */

/* GDT frames in use for gdt_ents entries (ceil(ents / 512), at most 16). */
static inline unsigned xsr_pv_gdt_frames_used(uint64_t gdt_ents)
{
    uint64_t n = (gdt_ents + XSR_PV_GDT_ENTS_PER_FRAME - 1) / XSR_PV_GDT_ENTS_PER_FRAME;
    return n > XSR_PV_GDT_FRAMES ? XSR_PV_GDT_FRAMES : (unsigned)n;
}

/*
 * The frame fields of a PV vcpu_guest_context, in the order a saver visits
 * them: vCPU 0's RDX (start_info), GDT_FRAMES[0 .. used), CR3 (the top-level
 * page table) and, for 64-bit guests with a non-zero ctrlreg[1], CR1 (the
 * user page table).
 */
enum xsr_pv_frame_dir {
    XSR_PV_FRAMES_SAVE = 0,    /* domain form (MFNs) -> stream form (PFNs, CR1 marked) */
    XSR_PV_FRAMES_RESTORE = 1, /* stream form -> domain form */
};
/* Map one frame number: *out = the translated frame; negative with err set to stop. */
typedef int (*xsr_pv_frame_fn)(void *arg, enum xsr_vcpu_field f, unsigned index, uint64_t in,
                               uint64_t *out, struct xsr_error *err);
/*
 * Rewrite every frame field of ctx (len bytes, the guest's width) in place
 * through fn.  XSR_EFORMAT if len is not the width's size or gdt_ents exceeds
 * XSR_PV_GDT_ENTS_MAX; on restore also if a non-zero CR1 lacks its present
 * bit.  Stops at fn's first error and returns it.
 */
int xsr_pv_vcpu_frames(uint8_t *ctx, uint32_t len, unsigned guest_width, uint32_t vcpu_id,
                       enum xsr_byte_order o, enum xsr_pv_frame_dir dir, xsr_pv_frame_fn fn,
                       void *arg, struct xsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
