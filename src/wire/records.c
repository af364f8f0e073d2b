/* SPDX-License-Identifier: MIT */
/* Bodies of the libxc stream's records. */
#include <inttypes.h>

#include <xsr/wire.h>

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* ------------------------------------------------------------ PAGE_DATA */

int xsr_page_data_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                         struct xsr_page_data *pd, struct xsr_error *err)
{
    if (len < XSR_PAGE_DATA_HDR_SIZE)
        return xsr_error_set(err, XSR_EFORMAT,
                             "PAGE_DATA length %" PRIu32 " is shorter than its %u-byte header",
                             len, XSR_PAGE_DATA_HDR_SIZE);
    uint32_t count = xsr_ld32(body, o);
    /* 64-bit arithmetic: 8 * (2^32 - 1) does not fit in 32 bits. */
    uint64_t words_end = XSR_PAGE_DATA_HDR_SIZE + (uint64_t)count * 8;
    if (words_end > len)
        return xsr_error_set(err, XSR_EFORMAT,
                             "PAGE_DATA length %" PRIu32 " is too short for %" PRIu32
                             " pfn%s: at least %" PRIu64 " bytes needed",
                             len, count, plural(count), words_end);

    uint32_t data_pages = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t w = xsr_ld64(body + XSR_PAGE_DATA_HDR_SIZE + (size_t)i * 8, o);
        if (xsr_pfn_type_has_data(xsr_pfn_word_type(w)))
            data_pages++;
    }
    uint64_t expected = words_end + (uint64_t)data_pages * XSR_PAGE_SIZE;
    if (expected != len)
        return xsr_error_set(err, XSR_EFORMAT,
                             "PAGE_DATA length %" PRIu32 " does not match %" PRIu32
                             " pfn%s with %" PRIu32 " data page%s: expected %" PRIu64,
                             len, count, plural(count), data_pages, plural(data_pages),
                             expected);

    pd->count = count;
    pd->reserved = xsr_ld32(body + 4, o);
    pd->pfns = body + XSR_PAGE_DATA_HDR_SIZE;
    pd->data = body + words_end;
    pd->data_pages = data_pages;
    pd->order = o;
    return 0;
}

void xsr_page_data_encode_hdr(uint32_t count, enum xsr_byte_order o,
                              uint8_t b[XSR_PAGE_DATA_HDR_SIZE])
{
    xsr_st32(b, count, o);
    xsr_st32(b + 4, 0, o);
}

/* ---------------------------------------------------------- X86_PV_INFO */

void xsr_pv_info_decode(const uint8_t b[XSR_PV_INFO_SIZE], enum xsr_byte_order o,
                        struct xsr_pv_info *v)
{
    v->guest_width = b[0];
    v->pt_levels = b[1];
    v->reserved1 = xsr_ld16(b + 2, o);
    v->reserved2 = xsr_ld32(b + 4, o);
}

void xsr_pv_info_encode(const struct xsr_pv_info *v, enum xsr_byte_order o,
                        uint8_t b[XSR_PV_INFO_SIZE])
{
    b[0] = v->guest_width;
    b[1] = v->pt_levels;
    xsr_st16(b + 2, v->reserved1, o);
    xsr_st32(b + 4, v->reserved2, o);
}

/* ---------------------------------------------------- X86_PV_P2M_FRAMES */

int xsr_p2m_frames_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                          struct xsr_p2m_frames *v, struct xsr_error *err)
{
    if (len < XSR_P2M_FRAMES_HDR_SIZE)
        return xsr_error_set(err, XSR_EFORMAT,
                             "X86_PV_P2M_FRAMES length %" PRIu32
                             " is shorter than its %u-byte header",
                             len, XSR_P2M_FRAMES_HDR_SIZE);
    if ((len - XSR_P2M_FRAMES_HDR_SIZE) % 8)
        return xsr_error_set(err, XSR_EFORMAT,
                             "X86_PV_P2M_FRAMES length %" PRIu32
                             " is not 8 plus a multiple of 8 (frame numbers are 8 bytes each)",
                             len);
    v->start_pfn = xsr_ld32(body, o);
    v->end_pfn = xsr_ld32(body + 4, o);
    v->nr_frames = (len - XSR_P2M_FRAMES_HDR_SIZE) / 8;
    v->frames = body + XSR_P2M_FRAMES_HDR_SIZE;
    v->order = o;
    return 0;
}

uint64_t xsr_p2m_frames_expected(uint32_t start_pfn, uint32_t end_pfn, unsigned guest_width)
{
    if ((guest_width != 4 && guest_width != 8) || start_pfn > end_pfn)
        return 0;
    uint32_t fpp = XSR_PAGE_SIZE / guest_width; /* p2m entries per frame */
    return (uint64_t)(end_pfn / fpp) - start_pfn / fpp + 1;
}

/* ----------------------------------- X86_PV_VCPU_{BASIC,EXTENDED,XSAVE,MSRS} */

int xsr_vcpu_rec_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                        struct xsr_vcpu_rec *v, struct xsr_error *err)
{
    if (len < XSR_VCPU_HDR_SIZE)
        return xsr_error_set(err, XSR_EFORMAT,
                             "vCPU record length %" PRIu32 " is shorter than its %u-byte header",
                             len, XSR_VCPU_HDR_SIZE);
    v->vcpu_id = xsr_ld32(body, o);
    v->reserved = xsr_ld32(body + 4, o);
    v->ctx = body + XSR_VCPU_HDR_SIZE;
    v->ctx_len = len - XSR_VCPU_HDR_SIZE;
    return 0;
}

void xsr_vcpu_hdr_encode(uint32_t vcpu_id, enum xsr_byte_order o, uint8_t b[XSR_VCPU_HDR_SIZE])
{
    xsr_st32(b, vcpu_id, o);
    xsr_st32(b + 4, 0, o);
}

/* ---------------------------------------------------------- X86_TSC_INFO */

void xsr_tsc_info_decode(const uint8_t b[XSR_TSC_INFO_SIZE], enum xsr_byte_order o,
                         struct xsr_tsc_info *v)
{
    v->mode = xsr_ld32(b, o);
    v->khz = xsr_ld32(b + 4, o);
    v->nsec = xsr_ld64(b + 8, o);
    v->incarnation = xsr_ld32(b + 16, o);
    v->reserved = xsr_ld32(b + 20, o);
}

void xsr_tsc_info_encode(const struct xsr_tsc_info *v, enum xsr_byte_order o,
                         uint8_t b[XSR_TSC_INFO_SIZE])
{
    xsr_st32(b, v->mode, o);
    xsr_st32(b + 4, v->khz, o);
    xsr_st64(b + 8, v->nsec, o);
    xsr_st32(b + 16, v->incarnation, o);
    xsr_st32(b + 20, v->reserved, o);
}

/* ----------------------------------------------------------- HVM_PARAMS */

const uint32_t xsr_hvm_params_saved[XSR_HVM_PARAMS_SAVED] = {
    1,  /* STORE_PFN */
    5,  /* IOREQ_PFN */
    6,  /* BUFIOREQ_PFN */
    27, /* PAGING_RING_PFN */
    28, /* MONITOR_RING_PFN */
    29, /* SHARING_RING_PFN */
    37, /* VM86_TSS_SIZED */
    17, /* CONSOLE_PFN */
    19, /* ACPI_IOPORTS_LOCATION */
    9,  /* VIRIDIAN */
    12, /* IDENT_PT */
    34, /* VM_GENERATION_ID_ADDR */
    32, /* IOREQ_SERVER_PFN */
    33, /* NR_IOREQ_SERVER_PAGES */
    36, /* X87_FIP_WIDTH */
    38, /* MCA_CAP */
};

int xsr_hvm_params_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                          struct xsr_hvm_params *v, struct xsr_error *err)
{
    if (len < XSR_HVM_PARAMS_HDR_SIZE)
        return xsr_error_set(err, XSR_EFORMAT,
                             "HVM_PARAMS length %" PRIu32 " is shorter than its %u-byte header",
                             len, XSR_HVM_PARAMS_HDR_SIZE);
    uint32_t count = xsr_ld32(body, o);
    uint64_t expected = XSR_HVM_PARAMS_HDR_SIZE + (uint64_t)count * XSR_HVM_PARAM_ENTRY_SIZE;
    if (expected != len)
        return xsr_error_set(err, XSR_EFORMAT,
                             "HVM_PARAMS length %" PRIu32 " does not match %" PRIu32
                             " entr%s: expected %" PRIu64,
                             len, count, count == 1 ? "y" : "ies", expected);
    v->count = count;
    v->reserved = xsr_ld32(body + 4, o);
    v->entries = body + XSR_HVM_PARAMS_HDR_SIZE;
    v->order = o;
    return 0;
}

void xsr_hvm_params_entry(const struct xsr_hvm_params *v, uint32_t i, uint64_t *index,
                          uint64_t *value)
{
    const uint8_t *e = v->entries + (size_t)i * XSR_HVM_PARAM_ENTRY_SIZE;
    *index = xsr_ld64(e, v->order);
    *value = xsr_ld64(e + 8, v->order);
}

/* --------------------------------------- X86_CPUID_POLICY, X86_MSR_POLICY */

void xsr_cpuid_leaf_decode(const uint8_t b[XSR_CPUID_LEAF_SIZE], enum xsr_byte_order o,
                           struct xsr_cpuid_leaf *v)
{
    v->leaf = xsr_ld32(b, o);
    v->subleaf = xsr_ld32(b + 4, o);
    v->a = xsr_ld32(b + 8, o);
    v->b = xsr_ld32(b + 12, o);
    v->c = xsr_ld32(b + 16, o);
    v->d = xsr_ld32(b + 20, o);
}

void xsr_cpuid_leaf_encode(const struct xsr_cpuid_leaf *v, enum xsr_byte_order o,
                           uint8_t b[XSR_CPUID_LEAF_SIZE])
{
    xsr_st32(b, v->leaf, o);
    xsr_st32(b + 4, v->subleaf, o);
    xsr_st32(b + 8, v->a, o);
    xsr_st32(b + 12, v->b, o);
    xsr_st32(b + 16, v->c, o);
    xsr_st32(b + 20, v->d, o);
}

void xsr_msr_entry_decode(const uint8_t b[XSR_MSR_ENTRY_SIZE], enum xsr_byte_order o,
                          struct xsr_msr_entry *v)
{
    v->index = xsr_ld32(b, o);
    v->flags = xsr_ld32(b + 4, o);
    v->value = xsr_ld64(b + 8, o);
}

void xsr_msr_entry_encode(const struct xsr_msr_entry *v, enum xsr_byte_order o,
                          uint8_t b[XSR_MSR_ENTRY_SIZE])
{
    xsr_st32(b, v->index, o);
    xsr_st32(b + 4, v->flags, o);
    xsr_st64(b + 8, v->value, o);
}
