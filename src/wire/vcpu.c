/* SPDX-License-Identifier: MIT */
/*
 * The field table of vcpu_guest_context (64-bit and 32-bit guests) and of
 * hvm_hw_cpu (full and compat form), from Xen's public headers: see the
 * format facts, tables 3a (HVM CPU) and 3b (X86_PV_VCPU_BASIC).
 */
#include <inttypes.h>

#include <xsr/vcpu.h>

typedef struct xsr_vcpu_field_info fi;
#define F(n, off, sz) { n, (off), (sz), 1 }
#define A(n, off, sz, cnt) { n, (off), (sz), (cnt) }

/* x86_64 cpu_user_regs at 520: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax
 * rcx rdx rsi rdi (u64), error_code, entry_vector (u32), rip, cs (u16),
 * saved_upcall_mask (u8 at +138), rflags, rsp, ss, es, ds, fs, gs (u16 in
 * 8-byte slots). */
#define U64 520u
#define P64_FLAGS 512u
#define P64_TRAP_CTXT 720u
#define P64_LDT_BASE 4816u
#define P64_LDT_ENTS 4824u
#define P64_GDT_FRAMES 4832u
#define P64_GDT_ENTS 4960u
#define P64_KERNEL_SS 4968u
#define P64_KERNEL_SP 4976u
#define P64_CTRLREG 4984u
#define P64_DEBUGREG 5048u
#define P64_FS_BASE 5144u /* then gs_base_kernel, gs_base_user */
static const fi pv64[XSR_VCPU_FIELD_COUNT] = {
    [XSR_VCPU_FPU] = F("fpu_ctxt", 0, 512),
    [XSR_VCPU_R15] = F("r15", U64 + 0, 8),   [XSR_VCPU_R14] = F("r14", U64 + 8, 8),
    [XSR_VCPU_R13] = F("r13", U64 + 16, 8),  [XSR_VCPU_R12] = F("r12", U64 + 24, 8),
    [XSR_VCPU_RBP] = F("rbp", U64 + 32, 8),  [XSR_VCPU_RBX] = F("rbx", U64 + 40, 8),
    [XSR_VCPU_R11] = F("r11", U64 + 48, 8),  [XSR_VCPU_R10] = F("r10", U64 + 56, 8),
    [XSR_VCPU_R9] = F("r9", U64 + 64, 8),    [XSR_VCPU_R8] = F("r8", U64 + 72, 8),
    [XSR_VCPU_RAX] = F("rax", U64 + 80, 8),  [XSR_VCPU_RCX] = F("rcx", U64 + 88, 8),
    [XSR_VCPU_RDX] = F("rdx", U64 + 96, 8),  [XSR_VCPU_RSI] = F("rsi", U64 + 104, 8),
    [XSR_VCPU_RDI] = F("rdi", U64 + 112, 8),
    [XSR_VCPU_ERROR_CODE] = F("error_code", U64 + 120, 4),
    [XSR_VCPU_ENTRY_VECTOR] = F("entry_vector", U64 + 124, 4),
    [XSR_VCPU_RIP] = F("rip", U64 + 128, 8), [XSR_VCPU_CS] = F("cs", U64 + 136, 2),
    [XSR_VCPU_SAVED_UPCALL_MASK] = F("saved_upcall_mask", U64 + 138, 1),
    [XSR_VCPU_RFLAGS] = F("rflags", U64 + 144, 8), [XSR_VCPU_RSP] = F("rsp", U64 + 152, 8),
    [XSR_VCPU_SS] = F("ss", U64 + 160, 2),   [XSR_VCPU_ES] = F("es", U64 + 168, 2),
    [XSR_VCPU_DS] = F("ds", U64 + 176, 2),   [XSR_VCPU_FS] = F("fs", U64 + 184, 2),
    [XSR_VCPU_GS] = F("gs", U64 + 192, 2),
    [XSR_VCPU_FLAGS] = F("flags", P64_FLAGS, 8),
    [XSR_VCPU_TRAP_CTXT] = A("trap_ctxt", P64_TRAP_CTXT, 16, 256),
    [XSR_VCPU_LDT_BASE] = F("ldt_base", P64_LDT_BASE, 8), [XSR_VCPU_LDT_ENTS] = F("ldt_ents", P64_LDT_ENTS, 8),
    [XSR_VCPU_GDT_FRAMES] = A("gdt_frames", P64_GDT_FRAMES, 8, 16),
    [XSR_VCPU_GDT_ENTS] = F("gdt_ents", P64_GDT_ENTS, 8),
    [XSR_VCPU_KERNEL_SS] = F("kernel_ss", P64_KERNEL_SS, 8), [XSR_VCPU_KERNEL_SP] = F("kernel_sp", P64_KERNEL_SP, 8),
    [XSR_VCPU_CTRLREG] = A("ctrlreg", P64_CTRLREG, 8, 8),
    [XSR_VCPU_CR0] = F("ctrlreg[0]", P64_CTRLREG, 8),      [XSR_VCPU_CR1] = F("ctrlreg[1]", P64_CTRLREG + 8, 8),
    [XSR_VCPU_CR2] = F("ctrlreg[2]", P64_CTRLREG + 16, 8),      [XSR_VCPU_CR3] = F("ctrlreg[3]", P64_CTRLREG + 24, 8),
    [XSR_VCPU_CR4] = F("ctrlreg[4]", P64_CTRLREG + 32, 8),
    [XSR_VCPU_DEBUGREG] = A("debugreg", P64_DEBUGREG, 8, 8),
    [XSR_VCPU_DR0] = F("debugreg[0]", P64_DEBUGREG, 8),     [XSR_VCPU_DR1] = F("debugreg[1]", P64_DEBUGREG + 8, 8),
    [XSR_VCPU_DR2] = F("debugreg[2]", P64_DEBUGREG + 16, 8),     [XSR_VCPU_DR3] = F("debugreg[3]", P64_DEBUGREG + 24, 8),
    [XSR_VCPU_DR6] = F("debugreg[6]", P64_DEBUGREG + 48, 8),     [XSR_VCPU_DR7] = F("debugreg[7]", P64_DEBUGREG + 56, 8),
    [XSR_VCPU_EVENT_CALLBACK_EIP] = F("event_callback_eip", 5112, 8),
    [XSR_VCPU_FAILSAFE_CALLBACK_EIP] = F("failsafe_callback_eip", 5120, 8),
    [XSR_VCPU_SYSCALL_CALLBACK_EIP] = F("syscall_callback_eip", 5128, 8),
    [XSR_VCPU_VM_ASSIST] = F("vm_assist", 5136, 8),
    [XSR_VCPU_FS_BASE] = F("fs_base", P64_FS_BASE, 8),
    [XSR_VCPU_GS_BASE_KERNEL] = F("gs_base_kernel", P64_FS_BASE + 8, 8),
    [XSR_VCPU_GS_BASE_USER] = F("gs_base_user", P64_FS_BASE + 16, 8),
};

/* x86_32 cpu_user_regs at 516: ebx ecx edx esi edi ebp eax (u32),
 * error_code, entry_vector (u16), eip, cs (u16), saved_upcall_mask (u8 at
 * +38), eflags, esp, ss, es, ds, fs, gs (u16 in 4-byte slots). */
#define U32 516u
#define P32_FLAGS 512u
#define P32_TRAP_CTXT 584u
#define P32_LDT_BASE 2632u
#define P32_LDT_ENTS 2636u
#define P32_GDT_FRAMES 2640u
#define P32_GDT_ENTS 2704u
#define P32_KERNEL_SS 2708u
#define P32_KERNEL_SP 2712u
#define P32_CTRLREG 2716u
#define P32_DEBUGREG 2748u
static const fi pv32[XSR_VCPU_FIELD_COUNT] = {
    [XSR_VCPU_FPU] = F("fpu_ctxt", 0, 512),
    [XSR_VCPU_RBX] = F("ebx", U32 + 0, 4),   [XSR_VCPU_RCX] = F("ecx", U32 + 4, 4),
    [XSR_VCPU_RDX] = F("edx", U32 + 8, 4),   [XSR_VCPU_RSI] = F("esi", U32 + 12, 4),
    [XSR_VCPU_RDI] = F("edi", U32 + 16, 4),  [XSR_VCPU_RBP] = F("ebp", U32 + 20, 4),
    [XSR_VCPU_RAX] = F("eax", U32 + 24, 4),
    [XSR_VCPU_ERROR_CODE] = F("error_code", U32 + 28, 2),
    [XSR_VCPU_ENTRY_VECTOR] = F("entry_vector", U32 + 30, 2),
    [XSR_VCPU_RIP] = F("eip", U32 + 32, 4),  [XSR_VCPU_CS] = F("cs", U32 + 36, 2),
    [XSR_VCPU_SAVED_UPCALL_MASK] = F("saved_upcall_mask", U32 + 38, 1),
    [XSR_VCPU_RFLAGS] = F("eflags", U32 + 40, 4), [XSR_VCPU_RSP] = F("esp", U32 + 44, 4),
    [XSR_VCPU_SS] = F("ss", U32 + 48, 2),    [XSR_VCPU_ES] = F("es", U32 + 52, 2),
    [XSR_VCPU_DS] = F("ds", U32 + 56, 2),    [XSR_VCPU_FS] = F("fs", U32 + 60, 2),
    [XSR_VCPU_GS] = F("gs", U32 + 64, 2),
    [XSR_VCPU_FLAGS] = F("flags", P32_FLAGS, 4),
    [XSR_VCPU_TRAP_CTXT] = A("trap_ctxt", P32_TRAP_CTXT, 8, 256),
    [XSR_VCPU_LDT_BASE] = F("ldt_base", P32_LDT_BASE, 4), [XSR_VCPU_LDT_ENTS] = F("ldt_ents", P32_LDT_ENTS, 4),
    [XSR_VCPU_GDT_FRAMES] = A("gdt_frames", P32_GDT_FRAMES, 4, 16),
    [XSR_VCPU_GDT_ENTS] = F("gdt_ents", P32_GDT_ENTS, 4),
    [XSR_VCPU_KERNEL_SS] = F("kernel_ss", P32_KERNEL_SS, 4), [XSR_VCPU_KERNEL_SP] = F("kernel_sp", P32_KERNEL_SP, 4),
    [XSR_VCPU_CTRLREG] = A("ctrlreg", P32_CTRLREG, 4, 8),
    [XSR_VCPU_CR0] = F("ctrlreg[0]", P32_CTRLREG, 4),      [XSR_VCPU_CR1] = F("ctrlreg[1]", P32_CTRLREG + 4, 4),
    [XSR_VCPU_CR2] = F("ctrlreg[2]", P32_CTRLREG + 8, 4),      [XSR_VCPU_CR3] = F("ctrlreg[3]", P32_CTRLREG + 12, 4),
    [XSR_VCPU_CR4] = F("ctrlreg[4]", P32_CTRLREG + 16, 4),
    [XSR_VCPU_DEBUGREG] = A("debugreg", P32_DEBUGREG, 4, 8),
    [XSR_VCPU_DR0] = F("debugreg[0]", P32_DEBUGREG, 4),     [XSR_VCPU_DR1] = F("debugreg[1]", P32_DEBUGREG + 4, 4),
    [XSR_VCPU_DR2] = F("debugreg[2]", P32_DEBUGREG + 8, 4),     [XSR_VCPU_DR3] = F("debugreg[3]", P32_DEBUGREG + 12, 4),
    [XSR_VCPU_DR6] = F("debugreg[6]", P32_DEBUGREG + 24, 4),     [XSR_VCPU_DR7] = F("debugreg[7]", P32_DEBUGREG + 28, 4),
    [XSR_VCPU_EVENT_CALLBACK_CS] = F("event_callback_cs", 2780, 4),
    [XSR_VCPU_EVENT_CALLBACK_EIP] = F("event_callback_eip", 2784, 4),
    [XSR_VCPU_FAILSAFE_CALLBACK_CS] = F("failsafe_callback_cs", 2788, 4),
    [XSR_VCPU_FAILSAFE_CALLBACK_EIP] = F("failsafe_callback_eip", 2792, 4),
    [XSR_VCPU_VM_ASSIST] = F("vm_assist", 2796, 4),
};

/* The PV layout view of wire.h, from the same numbers. */
static const struct xsr_pv_vcpu_layout layout64 = {
    .size = XSR_PV_VCPU_CTX_SIZE_64, .word = 8,
    .flags = P64_FLAGS, .user_regs = U64,
    .rip = U64 + 128, .rsp = U64 + 152, .rflags = U64 + 144, .rdx = U64 + 96,
    .ldt_base = P64_LDT_BASE, .ldt_ents = P64_LDT_ENTS, .gdt_frames = P64_GDT_FRAMES,
    .gdt_ents = P64_GDT_ENTS, .kernel_ss = P64_KERNEL_SS, .kernel_sp = P64_KERNEL_SP,
    .ctrlreg = P64_CTRLREG,
    .fs_base = P64_FS_BASE, .gs_base_kernel = P64_FS_BASE + 8, .gs_base_user = P64_FS_BASE + 16,
};
static const struct xsr_pv_vcpu_layout layout32 = {
    .size = XSR_PV_VCPU_CTX_SIZE_32, .word = 4,
    .flags = P32_FLAGS, .user_regs = U32,
    .rip = U32 + 32, .rsp = U32 + 44, .rflags = U32 + 40, .rdx = U32 + 8,
    .ldt_base = P32_LDT_BASE, .ldt_ents = P32_LDT_ENTS, .gdt_frames = P32_GDT_FRAMES,
    .gdt_ents = P32_GDT_ENTS, .kernel_ss = P32_KERNEL_SS, .kernel_sp = P32_KERNEL_SP,
    .ctrlreg = P32_CTRLREG,
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

/* hvm_hw_cpu: the fields both forms share. */
#define HVM_COMMON \
    [XSR_VCPU_FPU] = F("fpu_regs", 0, 512), \
    [XSR_VCPU_RAX] = F("rax", 512, 8), [XSR_VCPU_RBX] = F("rbx", 520, 8), \
    [XSR_VCPU_RCX] = F("rcx", 528, 8), [XSR_VCPU_RDX] = F("rdx", 536, 8), \
    [XSR_VCPU_RBP] = F("rbp", 544, 8), [XSR_VCPU_RSI] = F("rsi", 552, 8), \
    [XSR_VCPU_RDI] = F("rdi", 560, 8), [XSR_VCPU_RSP] = F("rsp", 568, 8), \
    [XSR_VCPU_R8] = F("r8", 576, 8),   [XSR_VCPU_R9] = F("r9", 584, 8), \
    [XSR_VCPU_R10] = F("r10", 592, 8), [XSR_VCPU_R11] = F("r11", 600, 8), \
    [XSR_VCPU_R12] = F("r12", 608, 8), [XSR_VCPU_R13] = F("r13", 616, 8), \
    [XSR_VCPU_R14] = F("r14", 624, 8), [XSR_VCPU_R15] = F("r15", 632, 8), \
    [XSR_VCPU_RIP] = F("rip", 640, 8), [XSR_VCPU_RFLAGS] = F("rflags", 648, 8), \
    [XSR_VCPU_CR0] = F("cr0", 656, 8), [XSR_VCPU_CR2] = F("cr2", 664, 8), \
    [XSR_VCPU_CR3] = F("cr3", 672, 8), [XSR_VCPU_CR4] = F("cr4", 680, 8), \
    [XSR_VCPU_DR0] = F("dr0", 688, 8), [XSR_VCPU_DR1] = F("dr1", 696, 8), \
    [XSR_VCPU_DR2] = F("dr2", 704, 8), [XSR_VCPU_DR3] = F("dr3", 712, 8), \
    [XSR_VCPU_DR6] = F("dr6", 720, 8), [XSR_VCPU_DR7] = F("dr7", 728, 8), \
    [XSR_VCPU_CS] = F("cs_sel", 736, 4), [XSR_VCPU_DS] = F("ds_sel", 740, 4), \
    [XSR_VCPU_ES] = F("es_sel", 744, 4), [XSR_VCPU_FS] = F("fs_sel", 748, 4), \
    [XSR_VCPU_GS] = F("gs_sel", 752, 4), [XSR_VCPU_SS] = F("ss_sel", 756, 4), \
    [XSR_VCPU_TR] = F("tr_sel", 760, 4), [XSR_VCPU_LDTR] = F("ldtr_sel", 764, 4), \
    [XSR_VCPU_SEG_LIMIT] = A("limit", 768, 4, 10), \
    [XSR_VCPU_SEG_BASE] = A("base", 808, 8, 10), \
    [XSR_VCPU_FS_BASE] = F("fs_base", 808 + 3 * 8, 8), \
    [XSR_VCPU_GS_BASE_KERNEL] = F("gs_base", 808 + 4 * 8, 8), \
    [XSR_VCPU_SEG_ARBYTES] = A("arbytes", 888, 4, 8), \
    [XSR_VCPU_SYSENTER_CS] = F("sysenter_cs", 920, 8), \
    [XSR_VCPU_SYSENTER_ESP] = F("sysenter_esp", 928, 8), \
    [XSR_VCPU_SYSENTER_EIP] = F("sysenter_eip", 936, 8), \
    [XSR_VCPU_GS_BASE_USER] = F("shadow_gs", 944, 8), \
    [XSR_VCPU_MSR_FLAGS] = F("msr_flags", 952, 8), \
    [XSR_VCPU_MSR_LSTAR] = F("msr_lstar", 960, 8), \
    [XSR_VCPU_MSR_STAR] = F("msr_star", 968, 8), \
    [XSR_VCPU_MSR_CSTAR] = F("msr_cstar", 976, 8), \
    [XSR_VCPU_MSR_SYSCALL_MASK] = F("msr_syscall_mask", 984, 8), \
    [XSR_VCPU_MSR_EFER] = F("msr_efer", 992, 8)

static const fi hvm[XSR_VCPU_FIELD_COUNT] = {
    HVM_COMMON,
    [XSR_VCPU_MSR_TSC_AUX] = F("msr_tsc_aux", 1000, 8),
    [XSR_VCPU_TSC] = F("tsc", 1008, 8),
    [XSR_VCPU_PENDING_EVENT] = F("pending_event", 1016, 4),
    [XSR_VCPU_ERROR_CODE] = F("error_code", 1020, 4),
    [XSR_VCPU_FLAGS] = F("flags", 1024, 4),
};

static const fi hvm_compat[XSR_VCPU_FIELD_COUNT] = {
    HVM_COMMON,
    [XSR_VCPU_TSC] = F("tsc", 1000, 8),
    [XSR_VCPU_PENDING_EVENT] = F("pending_event", 1008, 4),
    [XSR_VCPU_ERROR_CODE] = F("error_code", 1012, 4),
};

static const struct {
    const fi *t;
    uint32_t size;
} kinds[XSR_VCPU_KIND_COUNT] = {
    [XSR_VCPU_PV64] = { pv64, XSR_PV_VCPU_CTX_SIZE_64 },
    [XSR_VCPU_PV32] = { pv32, XSR_PV_VCPU_CTX_SIZE_32 },
    [XSR_VCPU_HVM] = { hvm, XSR_HVM_CPU_SIZE },
    [XSR_VCPU_HVM_COMPAT] = { hvm_compat, XSR_HVM_CPU_COMPAT_SIZE },
};

uint32_t xsr_vcpu_ctx_size(enum xsr_vcpu_kind k)
{
    return (unsigned)k < XSR_VCPU_KIND_COUNT ? kinds[k].size : 0;
}

const struct xsr_vcpu_field_info *xsr_vcpu_field(enum xsr_vcpu_kind k, enum xsr_vcpu_field f)
{
    if ((unsigned)k >= XSR_VCPU_KIND_COUNT || (unsigned)f >= XSR_VCPU_FIELD_COUNT)
        return NULL;
    const fi *e = &kinds[k].t[f];
    return e->name ? e : NULL;
}

uint32_t xsr_vcpu_offset(enum xsr_vcpu_kind k, enum xsr_vcpu_field f, unsigned i)
{
    const fi *e = xsr_vcpu_field(k, f);
    return e && i < e->count ? e->offset + i * (uint32_t)e->size : UINT32_MAX;
}

uint64_t xsr_vcpu_get(const uint8_t *ctx, enum xsr_vcpu_kind k, enum xsr_vcpu_field f,
                      unsigned i, enum xsr_byte_order o)
{
    const fi *e = xsr_vcpu_field(k, f);
    if (!e || i >= e->count)
        return 0;
    const uint8_t *p = ctx + e->offset + i * (uint32_t)e->size;
    switch (e->size) {
    case 1: return p[0];
    case 2: return xsr_ld16(p, o);
    case 4: return xsr_ld32(p, o);
    case 8: return xsr_ld64(p, o);
    default: return 0;
    }
}

void xsr_vcpu_put(uint8_t *ctx, enum xsr_vcpu_kind k, enum xsr_vcpu_field f, unsigned i,
                  uint64_t v, enum xsr_byte_order o)
{
    const fi *e = xsr_vcpu_field(k, f);
    if (!e || i >= e->count)
        return;
    uint8_t *p = ctx + e->offset + i * (uint32_t)e->size;
    switch (e->size) {
    case 1: p[0] = (uint8_t)v; break;
    case 2: xsr_st16(p, (uint16_t)v, o); break;
    case 4: xsr_st32(p, (uint32_t)v, o); break;
    case 8: xsr_st64(p, v, o); break;
    default: break;
    }
}

static int map_one(uint8_t *ctx, enum xsr_vcpu_kind k, enum xsr_vcpu_field f, unsigned i,
                   enum xsr_byte_order o, xsr_pv_frame_fn fn, void *arg, struct xsr_error *err)
{
    uint64_t out;
    int rc = fn(arg, f, i, xsr_vcpu_get(ctx, k, f, i, o), &out, err);
    if (rc < 0)
        return rc;
    xsr_vcpu_put(ctx, k, f, i, out, o);
    return 0;
}

int xsr_pv_vcpu_frames(uint8_t *ctx, uint32_t len, unsigned guest_width, uint32_t vcpu_id,
                       enum xsr_byte_order o, enum xsr_pv_frame_dir dir, xsr_pv_frame_fn fn,
                       void *arg, struct xsr_error *err)
{
    if (guest_width != 4 && guest_width != 8)
        return xsr_error_set(err, XSR_EINVAL, "guest width %u is neither 4 nor 8", guest_width);
    const enum xsr_vcpu_kind k = xsr_vcpu_kind_pv(guest_width);
    if (len != kinds[k].size)
        return xsr_error_set(err, XSR_EFORMAT,
                             "vCPU context of %" PRIu32 " bytes, not the %" PRIu32
                             " of a %u-bit guest's vcpu_guest_context",
                             len, kinds[k].size, guest_width * 8);
    uint64_t ents = xsr_vcpu_get(ctx, k, XSR_VCPU_GDT_ENTS, 0, o);
    if (ents > XSR_PV_GDT_ENTS_MAX)
        return xsr_error_set(err, XSR_EFORMAT, "vCPU %" PRIu32 ": gdt_ents %" PRIu64
                             " exceeds %u", vcpu_id, ents, XSR_PV_GDT_ENTS_MAX);
    uint64_t cr1 = guest_width == 8 ? xsr_vcpu_get(ctx, k, XSR_VCPU_CR1, 0, o) : 0;
    if (dir == XSR_PV_FRAMES_RESTORE && cr1 && !(cr1 & XSR_PV_CR1_PRESENT))
        return xsr_error_set(err, XSR_EFORMAT, "vCPU %" PRIu32 ": ctrlreg[1] %#" PRIx64
                             " lacks its present bit", vcpu_id, cr1);

    int rc = 0;
    if (vcpu_id == 0)
        rc = map_one(ctx, k, XSR_VCPU_RDX, 0, o, fn, arg, err);
    for (unsigned i = 0; !rc && i < xsr_pv_gdt_frames_used(ents); i++)
        rc = map_one(ctx, k, XSR_VCPU_GDT_FRAMES, i, o, fn, arg, err);
    if (rc)
        return rc;

    uint64_t cr3 = xsr_vcpu_get(ctx, k, XSR_VCPU_CR3, 0, o), frame;
    rc = fn(arg, XSR_VCPU_CR3, 0, xsr_pv_cr3_to_frame(cr3, guest_width), &frame, err);
    if (rc < 0)
        return rc;
    xsr_vcpu_put(ctx, k, XSR_VCPU_CR3, 0, xsr_pv_frame_to_cr3(frame, guest_width), o);

    if (cr1) {
        rc = fn(arg, XSR_VCPU_CR1, 0, cr1 >> XSR_PAGE_SHIFT, &frame, err);
        if (rc < 0)
            return rc;
        frame <<= XSR_PAGE_SHIFT;
        xsr_vcpu_put(ctx, k, XSR_VCPU_CR1, 0,
                     dir == XSR_PV_FRAMES_SAVE ? frame | XSR_PV_CR1_PRESENT : frame, o);
    }
    return 0;
}
