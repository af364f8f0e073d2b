/* SPDX-License-Identifier: MIT */
/* Names of every defined value, and NULL for unknown ones. */
#include "wire_test.h"

static void rec_types(void **state)
{
    (void)state;
    static const char *const want[] = {
        "END", "PAGE_DATA", "X86_PV_INFO", "X86_PV_P2M_FRAMES", "X86_PV_VCPU_BASIC",
        "X86_PV_VCPU_EXTENDED", "X86_PV_VCPU_XSAVE", "SHARED_INFO", "X86_TSC_INFO",
        "HVM_CONTEXT", "HVM_PARAMS", "TOOLSTACK", "X86_PV_VCPU_MSRS", "VERIFY", "CHECKPOINT",
        "CHECKPOINT_DIRTY_PFN_LIST", "STATIC_DATA_END", "X86_CPUID_POLICY", "X86_MSR_POLICY",
        "DOMAIN_CONTEXT",
    };
    assert_int_equal(NELEM(want), XSR_REC_TYPE_COUNT);
    for (uint32_t t = 0; t < NELEM(want); t++)
        assert_string_equal(xsr_rec_type_name(t), want[t]);
    assert_null(xsr_rec_type_name(XSR_REC_TYPE_COUNT));
    assert_null(xsr_rec_type_name(0x7fffffffu));
    assert_null(xsr_rec_type_name(XSR_REC_OPTIONAL));
    assert_null(xsr_rec_type_name(XSR_REC_OPTIONAL | XSR_REC_PAGE_DATA));
    assert_null(xsr_rec_type_name(UINT32_MAX));
}

static void dom_types(void **state)
{
    (void)state;
    assert_null(xsr_dom_type_name(0));
    assert_string_equal(xsr_dom_type_name(XSR_DOM_X86_PV), "x86 PV");
    assert_string_equal(xsr_dom_type_name(XSR_DOM_X86_HVM), "x86 HVM");
    assert_string_equal(xsr_dom_type_name(XSR_DOM_X86_PVH), "x86 PVH");
    assert_string_equal(xsr_dom_type_name(XSR_DOM_ARM), "ARM");
    assert_null(xsr_dom_type_name(5));
    assert_null(xsr_dom_type_name(UINT32_MAX));
}

static void pfn_types(void **state)
{
    (void)state;
    static const char *const want[16] = {
        "NOTAB", "L1TAB", "L2TAB", "L3TAB", "L4TAB", "INVALID", "INVALID", "INVALID",
        "INVALID", "L1TAB|PIN", "L2TAB|PIN", "L3TAB|PIN", "L4TAB|PIN", "BROKEN", "XALLOC",
        "XTAB",
    };
    for (unsigned t = 0; t < 16; t++)
        assert_string_equal(xsr_pfn_type_name(t), want[t]);
    assert_string_equal(xsr_pfn_type_name(16), "INVALID");
    assert_string_equal(xsr_pfn_type_name(~0u), "INVALID");
}

static void hvm_params(void **state)
{
    (void)state;
    static const struct { uint64_t i; const char *n; } want[] = {
        { 0, "CALLBACK_IRQ" }, { 1, "STORE_PFN" }, { 2, "STORE_EVTCHN" },
        { 4, "PAE_ENABLED" }, { 5, "IOREQ_PFN" }, { 6, "BUFIOREQ_PFN" }, { 9, "VIRIDIAN" },
        { 10, "TIMER_MODE" }, { 11, "HPET_ENABLED" }, { 12, "IDENT_PT" },
        { 13, "DM_DOMAIN" }, { 14, "ACPI_S_STATE" }, { 15, "VM86_TSS" },
        { 16, "VPT_ALIGN" }, { 17, "CONSOLE_PFN" }, { 18, "CONSOLE_EVTCHN" },
        { 19, "ACPI_IOPORTS_LOCATION" }, { 20, "MEMORY_EVENT_CR0" },
        { 21, "MEMORY_EVENT_CR3" }, { 22, "MEMORY_EVENT_CR4" }, { 23, "MEMORY_EVENT_INT3" },
        { 24, "NESTEDHVM" }, { 25, "MEMORY_EVENT_SINGLE_STEP" }, { 26, "BUFIOREQ_EVTCHN" },
        { 27, "PAGING_RING_PFN" }, { 28, "MONITOR_RING_PFN" }, { 29, "SHARING_RING_PFN" },
        { 30, "MEMORY_EVENT_MSR" }, { 31, "TRIPLE_FAULT_REASON" },
        { 32, "IOREQ_SERVER_PFN" }, { 33, "NR_IOREQ_SERVER_PAGES" },
        { 34, "VM_GENERATION_ID_ADDR" }, { 35, "ALTP2M" }, { 36, "X87_FIP_WIDTH" },
        { 37, "VM86_TSS_SIZED" }, { 38, "MCA_CAP" },
    };
    for (size_t k = 0; k < NELEM(want); k++)
        assert_string_equal(xsr_hvm_param_name(want[k].i), want[k].n);
    assert_null(xsr_hvm_param_name(3));
    assert_null(xsr_hvm_param_name(7));
    assert_null(xsr_hvm_param_name(8));
    assert_null(xsr_hvm_param_name(39));
    assert_null(xsr_hvm_param_name(1ULL << 32 | 1));
    assert_null(xsr_hvm_param_name(UINT64_MAX));
}

static void libxl_names(void **state)
{
    (void)state;
    static const char *const want[] = {
        "END", "LIBXC_CONTEXT", "EMULATOR_XENSTORE_DATA", "EMULATOR_CONTEXT",
        "CHECKPOINT_END", "CHECKPOINT_STATE",
    };
    assert_int_equal(NELEM(want), XSR_LIBXL_REC_TYPE_COUNT);
    for (uint32_t t = 0; t < NELEM(want); t++)
        assert_string_equal(xsr_libxl_rec_type_name(t), want[t]);
    assert_null(xsr_libxl_rec_type_name(6));
    assert_null(xsr_libxl_rec_type_name(XSR_REC_OPTIONAL));

    assert_string_equal(xsr_emulator_name(XSR_EMU_UNKNOWN), "UNKNOWN");
    assert_string_equal(xsr_emulator_name(XSR_EMU_QEMU_TRADITIONAL), "QEMU_TRADITIONAL");
    assert_string_equal(xsr_emulator_name(XSR_EMU_QEMU_UPSTREAM), "QEMU_UPSTREAM");
    assert_null(xsr_emulator_name(3));
    assert_null(xsr_emulator_name(UINT32_MAX));
}

static void domctx_names(void **state)
{
    (void)state;
    assert_string_equal(xsr_domctx_type_name(XSR_DOMCTX_END), "END");
    assert_string_equal(xsr_domctx_type_name(XSR_DOMCTX_HEADER), "HEADER");
    assert_string_equal(xsr_domctx_type_name(XSR_DOMCTX_SHARED_INFO), "SHARED_INFO");
    assert_string_equal(xsr_domctx_type_name(XSR_DOMCTX_TSC_INFO), "TSC_INFO");
    assert_null(xsr_domctx_type_name(4));
    assert_null(xsr_domctx_type_name(UINT16_MAX));
}

static void hvmctx_names(void **state)
{
    (void)state;
    static const struct { const char *name; uint32_t size; bool vcpu; } want[] = {
        { "END", 0, false },            { "HEADER", 24, false },
        { "CPU", 1032, true },          { "PIC", 8, false },
        { "IOAPIC", 400, false },       { "LAPIC", 32, true },
        { "LAPIC_REGS", 1024, true },   { "PCI_IRQ", 16, false },
        { "ISA_IRQ", 8, false },        { "PCI_LINK", 8, false },
        { "PIT", 56, false },           { "RTC", 24, false },
        { "HPET", 1048, false },        { "PMTIMER", 8, false },
        { "MTRR", 240, true },          { "VIRIDIAN_DOMAIN", 32, false },
        { "CPU_XSAVE", 0, true },       { "VIRIDIAN_VCPU", 216, true },
        { "VMCE_VCPU", 32, true },      { "TSC_ADJUST", 8, true },
        { "CPU_MSR", 0, true },
    };
    assert_int_equal(NELEM(want), XSR_HVMCTX_CODE_MAX + 1);
    for (uint16_t t = 0; t < NELEM(want); t++) {
        assert_string_equal(xsr_hvmctx_type_name(t), want[t].name);
        assert_int_equal(xsr_hvmctx_type_size(t), want[t].size);
        assert_int_equal(xsr_hvmctx_type_per_vcpu(t), want[t].vcpu);
    }
    for (uint16_t t = 21; t < 40; t++) {
        assert_null(xsr_hvmctx_type_name(t));
        assert_int_equal(xsr_hvmctx_type_size(t), 0);
        assert_false(xsr_hvmctx_type_per_vcpu(t));
    }
    assert_null(xsr_hvmctx_type_name(UINT16_MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rec_types),   cmocka_unit_test(dom_types),
        cmocka_unit_test(pfn_types),   cmocka_unit_test(hvm_params),
        cmocka_unit_test(libxl_names), cmocka_unit_test(domctx_names),
        cmocka_unit_test(hvmctx_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
