/* SPDX-License-Identifier: MIT */
/*
 * Internal to the analyses (extract, ELF core, stats, diff, map): the
 * receiver model they all drive (src/receive/receive.h) and vCPU registers.
 */
#ifndef XSR_INSPECT_ANALYZE_SCAN_H
#define XSR_INSPECT_ANALYZE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/vcpu.h>

#include "receive/receive.h"
#include "util/opts.h"

/* An analysis' options (name: size of its own struct, and a, the common
 * options) and its result carry the sizes their *_INIT macros set:
 * XSR_EINVAL, before anything is done, for a caller that did not use them. */
static inline int xsri_analysis_sizes(const char *name, size_t size, size_t cur,
                                      const struct xsr_analyze_opts *a, const char *res_name,
                                      size_t res_size, size_t res_cur, struct xsr_error *err)
{
    if ((name && xsri_opts_check(size, cur, cur, name, err) < 0) ||
        (a && xsri_opts_check(a->size, sizeof(*a), sizeof(*a), "xsr_analyze_opts", err) < 0) ||
        (res_name && xsri_opts_check(res_size, res_cur, res_cur, res_name, err) < 0))
        return XSR_EINVAL;
    return 0;
}

/* ---------------------------------------------------- vCPU registers */

/* General registers of a vCPU, from a PV vcpu_guest_context or an HVM CPU
 * save record, in the order of x86_64 user_regs_struct. */
enum {
    XSRI_R15, XSRI_R14, XSRI_R13, XSRI_R12, XSRI_RBP, XSRI_RBX, XSRI_R11, XSRI_R10,
    XSRI_R9, XSRI_R8, XSRI_RAX, XSRI_RCX, XSRI_RDX, XSRI_RSI, XSRI_RDI, XSRI_ORIG_RAX,
    XSRI_RIP, XSRI_CS, XSRI_EFLAGS, XSRI_RSP, XSRI_SS, XSRI_FS_BASE, XSRI_GS_BASE,
    XSRI_DS, XSRI_ES, XSRI_FS, XSRI_GS, XSRI_NGREG
};
struct xsri_vcpu_regs {
    uint64_t gr[XSRI_NGREG];
    uint64_t cr[5];            /* cr0, (cr1: PV user cr3), cr2, cr3, cr4 */
    uint64_t kernel_gs_base;   /* PV gs_base_user / HVM shadow_gs */
    const uint8_t *fxsave;     /* 512-byte FXSAVE area inside the context (or cpu) */
    uint8_t cpu[XSR_HVM_CPU_SIZE]; /* a short HVM CPU entry, zero-extended */
};
/* Names of gr[] entries ("r15", ...). */
extern const char *const xsri_greg_names[XSRI_NGREG];

/* PV: ctx is the vcpu_guest_context (record body after the 8-byte prefix). */
int xsri_pv_regs(const uint8_t *ctx, uint32_t len, unsigned guest_width, enum xsr_byte_order o,
                 struct xsri_vcpu_regs *r, struct xsr_error *err);
/* HVM: body of a CPU save entry: 1032 bytes, the 1016-byte compat form, or
 * a shorter body read zero-extended to 1032 bytes, as Xen's loader does. */
int xsri_hvm_regs(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                  struct xsri_vcpu_regs *r, struct xsr_error *err);

#endif
