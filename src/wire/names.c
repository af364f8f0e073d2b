/* SPDX-License-Identifier: MIT */
/* Names of the enumerated values of the stream, for dumps and messages. */
#include <xsr/wire.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Look v up in a table indexed by value; NULL if out of range or a hole. */
static const char *table_name(const char *const *tab, size_t n, uint64_t v)
{
    return v < n ? tab[v] : NULL;
}

const char *xsr_dom_type_name(uint32_t type)
{
    static const char *const names[] = {
        [XSR_DOM_X86_PV] = "x86 PV",
        [XSR_DOM_X86_HVM] = "x86 HVM",
        [XSR_DOM_X86_PVH] = "x86 PVH",
        [XSR_DOM_ARM] = "ARM",
    };
    return table_name(names, NELEM(names), type);
}

const char *xsr_pfn_type_name(unsigned t)
{
    static const char *const names[16] = {
        [XSR_PFN_NOTAB] = "NOTAB",
        [XSR_PFN_L1TAB] = "L1TAB",
        [XSR_PFN_L2TAB] = "L2TAB",
        [XSR_PFN_L3TAB] = "L3TAB",
        [XSR_PFN_L4TAB] = "L4TAB",
        [5] = "INVALID", [6] = "INVALID", [7] = "INVALID", [8] = "INVALID",
        [XSR_PFN_L1TAB_PIN] = "L1TAB|PIN",
        [XSR_PFN_L2TAB_PIN] = "L2TAB|PIN",
        [XSR_PFN_L3TAB_PIN] = "L3TAB|PIN",
        [XSR_PFN_L4TAB_PIN] = "L4TAB|PIN",
        [XSR_PFN_BROKEN] = "BROKEN",
        [XSR_PFN_XALLOC] = "XALLOC",
        [XSR_PFN_XTAB] = "XTAB",
    };
    /* Types are 4-bit fields; anything wider cannot come from a pfn word. */
    const char *n = table_name(names, NELEM(names), t);
    return n ? n : "INVALID";
}

const char *xsr_hvm_param_name(uint64_t index)
{
    /* Names of xen/include/public/hvm/params.h without the HVM_PARAM_ prefix. */
    static const char *const names[] = {
        [0] = "CALLBACK_IRQ",
        [1] = "STORE_PFN",
        [2] = "STORE_EVTCHN",
        [4] = "PAE_ENABLED",
        [5] = "IOREQ_PFN",
        [6] = "BUFIOREQ_PFN",
        [9] = "VIRIDIAN",
        [10] = "TIMER_MODE",
        [11] = "HPET_ENABLED",
        [12] = "IDENT_PT",
        [13] = "DM_DOMAIN",
        [14] = "ACPI_S_STATE",
        [15] = "VM86_TSS",
        [16] = "VPT_ALIGN",
        [17] = "CONSOLE_PFN",
        [18] = "CONSOLE_EVTCHN",
        [19] = "ACPI_IOPORTS_LOCATION",
        [20] = "MEMORY_EVENT_CR0",
        [21] = "MEMORY_EVENT_CR3",
        [22] = "MEMORY_EVENT_CR4",
        [23] = "MEMORY_EVENT_INT3",
        [24] = "NESTEDHVM",
        [25] = "MEMORY_EVENT_SINGLE_STEP",
        [26] = "BUFIOREQ_EVTCHN",
        [27] = "PAGING_RING_PFN",
        [28] = "MONITOR_RING_PFN",
        [29] = "SHARING_RING_PFN",
        [30] = "MEMORY_EVENT_MSR",
        [31] = "TRIPLE_FAULT_REASON",
        [32] = "IOREQ_SERVER_PFN",
        [33] = "NR_IOREQ_SERVER_PAGES",
        [34] = "VM_GENERATION_ID_ADDR",
        [35] = "ALTP2M",
        [36] = "X87_FIP_WIDTH",
        [37] = "VM86_TSS_SIZED",
        [38] = "MCA_CAP",
    };
    return table_name(names, NELEM(names), index);
}

const char *xsr_libxl_rec_type_name(uint32_t type)
{
    static const char *const names[XSR_LIBXL_REC_TYPE_COUNT] = {
        [XSR_LIBXL_REC_END] = "END",
        [XSR_LIBXL_REC_LIBXC_CONTEXT] = "LIBXC_CONTEXT",
        [XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA] = "EMULATOR_XENSTORE_DATA",
        [XSR_LIBXL_REC_EMULATOR_CONTEXT] = "EMULATOR_CONTEXT",
        [XSR_LIBXL_REC_CHECKPOINT_END] = "CHECKPOINT_END",
        [XSR_LIBXL_REC_CHECKPOINT_STATE] = "CHECKPOINT_STATE",
    };
    return table_name(names, NELEM(names), type);
}

const char *xsr_emulator_name(uint32_t id)
{
    static const char *const names[] = {
        [XSR_EMU_UNKNOWN] = "UNKNOWN",
        [XSR_EMU_QEMU_TRADITIONAL] = "QEMU_TRADITIONAL",
        [XSR_EMU_QEMU_UPSTREAM] = "QEMU_UPSTREAM",
    };
    return table_name(names, NELEM(names), id);
}

const char *xsr_domctx_type_name(uint16_t type)
{
    static const char *const names[] = {
        [XSR_DOMCTX_END] = "END",
        [XSR_DOMCTX_HEADER] = "HEADER",
        [XSR_DOMCTX_SHARED_INFO] = "SHARED_INFO",
        [XSR_DOMCTX_TSC_INFO] = "TSC_INFO",
    };
    return table_name(names, NELEM(names), type);
}

/* HVM save record types (xen/include/public/arch-x86/hvm/save.h). */
struct hvmctx_type_info {
    const char *name;
    uint32_t size;  /* fixed body size on x86_64; 0 if variable */
    bool per_vcpu;
    bool zero_extend; /* Xen loads a shorter body, zero-filling the rest */
};

static const struct hvmctx_type_info hvmctx_types[XSR_HVMCTX_CODE_MAX + 1] = {
    [XSR_HVMCTX_END] = { "END", 0, false, false },
    [XSR_HVMCTX_HEADER] = { "HEADER", XSR_HVMCTX_HEADER_SIZE, false, false },
    [XSR_HVMCTX_CPU] = { "CPU", 1032, true, true },
    [XSR_HVMCTX_PIC] = { "PIC", 8, false, false },
    [XSR_HVMCTX_IOAPIC] = { "IOAPIC", 400, false, false },
    [XSR_HVMCTX_LAPIC] = { "LAPIC", 32, true, true },
    [XSR_HVMCTX_LAPIC_REGS] = { "LAPIC_REGS", 1024, true, false },
    [XSR_HVMCTX_PCI_IRQ] = { "PCI_IRQ", 16, false, false },
    [XSR_HVMCTX_ISA_IRQ] = { "ISA_IRQ", 8, false, false },
    [XSR_HVMCTX_PCI_LINK] = { "PCI_LINK", 8, false, false },
    [XSR_HVMCTX_PIT] = { "PIT", 56, false, false },
    [XSR_HVMCTX_RTC] = { "RTC", 24, false, true },
    [XSR_HVMCTX_HPET] = { "HPET", 1048, false, false },
    [XSR_HVMCTX_PMTIMER] = { "PMTIMER", 8, false, false },
    [XSR_HVMCTX_MTRR] = { "MTRR", 240, true, false },
    [XSR_HVMCTX_VIRIDIAN_DOMAIN] = { "VIRIDIAN_DOMAIN", 32, false, true },
    [XSR_HVMCTX_CPU_XSAVE] = { "CPU_XSAVE", 0, true, false },
    [XSR_HVMCTX_VIRIDIAN_VCPU] = { "VIRIDIAN_VCPU", 216, true, true },
    [XSR_HVMCTX_VMCE_VCPU] = { "VMCE_VCPU", 32, true, true },
    [XSR_HVMCTX_TSC_ADJUST] = { "TSC_ADJUST", 8, true, false },
    [XSR_HVMCTX_CPU_MSR] = { "CPU_MSR", 0, true, false },
};

const char *xsr_hvmctx_type_name(uint16_t type)
{
    return type < NELEM(hvmctx_types) ? hvmctx_types[type].name : NULL;
}

uint32_t xsr_hvmctx_type_size(uint16_t type)
{
    return type < NELEM(hvmctx_types) ? hvmctx_types[type].size : 0;
}

bool xsr_hvmctx_type_zero_extends(uint16_t type)
{
    return type < NELEM(hvmctx_types) && hvmctx_types[type].zero_extend;
}

bool xsr_hvmctx_type_per_vcpu(uint16_t type)
{
    return type < NELEM(hvmctx_types) && hvmctx_types[type].per_vcpu;
}

const char *xsr_tsc_mode_name(uint32_t mode)
{
    /* XEN_TSC_MODE_* of xen/include/public/domctl.h, lower case */
    static const char *const names[] = { "default", "always_emulate", "never_emulate", "pvrdtscp" };
    return table_name(names, NELEM(names), mode);
}

const char *xsr_msr_name(uint32_t index)
{
    /* The MSRs Xen puts in a domain's MSR policy and in the per-vCPU MSR
     * lists (X86_PV_VCPU_MSRS, HVM CPU_MSR), named as in Xen's msr-index.h. */
    static const struct { uint32_t index; const char *name; } msrs[] = {
        { 0x00000048, "SPEC_CTRL" },
        { 0x000000ce, "INTEL_PLATFORM_INFO" },
        { 0x0000010a, "ARCH_CAPABILITIES" },
        { 0x00000140, "INTEL_MISC_FEATURES_ENABLES" },
        { 0x000006e1, "PKRS" },
        { 0x00000d90, "IA32_BNDCFGS" },
        { 0x00000da0, "IA32_XSS" },
        { 0xc0011019, "AMD64_DR1_ADDRESS_MASK" },
        { 0xc001101a, "AMD64_DR2_ADDRESS_MASK" },
        { 0xc001101b, "AMD64_DR3_ADDRESS_MASK" },
        { 0xc0011027, "AMD64_DR0_ADDRESS_MASK" },
        { 0xc001011f, "VIRT_SPEC_CTRL" },
    };
    for (size_t i = 0; i < NELEM(msrs); i++)
        if (msrs[i].index == index)
            return msrs[i].name;
    return NULL;
}
