/* SPDX-License-Identifier: MIT */
/* Record bodies of the libxc stream. */
#include <stdlib.h>

#include "wire_test.h"

/* A copy of the first len bytes in a heap block of exactly len bytes, so the
 * sanitizers catch any read past the length a decoder was given. */
static uint8_t *exact_copy(const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len)
        memcpy(p, src, len);
    return p;
}

/* ------------------------------------------------------------ PAGE_DATA */

/* count words: NOTAB 0x10, XTAB 0x11, L1TAB|PIN 0x12 -> 2 pages of data */
static size_t build_page_data(uint8_t *b, enum xsr_byte_order o)
{
    xsr_page_data_encode_hdr(3, o, b);
    xsr_st64(b + 8, xsr_pfn_word_make(XSR_PFN_NOTAB, 0x10), o);
    xsr_st64(b + 16, xsr_pfn_word_make(XSR_PFN_XTAB, 0x11), o);
    xsr_st64(b + 24, xsr_pfn_word_make(XSR_PFN_L1TAB_PIN, 0x12), o);
    memset(b + 32, 0xaa, 4096);
    memset(b + 32 + 4096, 0xbb, 4096);
    return 32 + 2 * 4096;
}

static int page_data_at(const uint8_t *src, uint32_t len, enum xsr_byte_order o,
                        struct xsr_error *err)
{
    struct xsr_page_data pd;
    uint8_t *p = exact_copy(src, len);
    int rc = xsr_page_data_decode(p, len, o, &pd, err);
    free(p);
    return rc;
}

static void page_data_hdr(void **state)
{
    (void)state;
    static const uint8_t want_le[8] = { 0x02, 0x01, 0, 0, 0, 0, 0, 0 };
    static const uint8_t want_be[8] = { 0, 0, 0x01, 0x02, 0, 0, 0, 0 };
    uint8_t b[8];
    memset(b, 0xee, sizeof(b));
    xsr_page_data_encode_hdr(0x0102, LE, b);
    check_bytes(b, want_le, 8);
    memset(b, 0xee, sizeof(b));
    xsr_page_data_encode_hdr(0x0102, BE, b);
    check_bytes(b, want_be, 8);
}

static void page_data_word_bytes(void **state)
{
    (void)state;
    /* L1TAB|PIN (9) at bits 63..60, pfn 0x12345 */
    static const uint8_t want_le[8] = { 0x45, 0x23, 0x01, 0, 0, 0, 0, 0x90 };
    static const uint8_t want_be[8] = { 0x90, 0, 0, 0, 0, 0x01, 0x23, 0x45 };
    uint8_t b[8];
    xsr_st64(b, xsr_pfn_word_make(XSR_PFN_L1TAB_PIN, 0x12345), LE);
    check_bytes(b, want_le, 8);
    xsr_st64(b, xsr_pfn_word_make(XSR_PFN_L1TAB_PIN, 0x12345), BE);
    check_bytes(b, want_be, 8);
}

static void page_data_decode_ok(void **state)
{
    (void)state;
    static uint8_t b[32 + 2 * 4096];
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        size_t len = build_page_data(b, o);
        assert_int_equal(len, 8224);
        struct xsr_page_data pd;
        struct xsr_error err;
        xsr_error_clear(&err);
        assert_int_equal(xsr_page_data_decode(b, (uint32_t)len, o, &pd, &err), 0);
        assert_int_equal(err.code, 0);
        assert_int_equal(pd.count, 3);
        assert_int_equal(pd.reserved, 0);
        assert_int_equal(pd.data_pages, 2);
        assert_ptr_equal(pd.pfns, b + 8);
        assert_ptr_equal(pd.data, b + 32);
        assert_int_equal(pd.order, o);
        assert_int_equal(xsr_page_data_word(&pd, 0), xsr_pfn_word_make(XSR_PFN_NOTAB, 0x10));
        assert_int_equal(xsr_page_data_word(&pd, 1), xsr_pfn_word_make(XSR_PFN_XTAB, 0x11));
        assert_int_equal(xsr_page_data_word(&pd, 2), xsr_pfn_word_make(XSR_PFN_L1TAB_PIN, 0x12));
    }
}

static void page_data_bounds(void **state)
{
    (void)state;
    static uint8_t b[32 + 2 * 4096 + 1];
    struct xsr_error err;
    size_t len = build_page_data(b, LE);
    b[len] = 0;

    xsr_error_clear(&err);
    assert_int_equal(page_data_at(b, (uint32_t)len, LE, &err), 0);
    check_error(page_data_at(b, (uint32_t)len - 1, LE, &err), &err, XSR_EFORMAT,
                "PAGE_DATA length 8223 does not match 3 pfns with 2 data pages: expected 8224");
    check_error(page_data_at(b, (uint32_t)len + 1, LE, &err), &err, XSR_EFORMAT,
                "PAGE_DATA length 8225 does not match 3 pfns with 2 data pages: expected 8224");
    /* pfn words cut short */
    check_error(page_data_at(b, 31, LE, &err), &err, XSR_EFORMAT,
                "PAGE_DATA length 31 is too short for 3 pfns: at least 32 bytes needed");
    /* header cut short */
    check_error(page_data_at(b, 7, LE, &err), &err, XSR_EFORMAT, "header");
    check_error(page_data_at(b, 0, LE, &err), &err, XSR_EFORMAT, "header");
}

static void page_data_singular(void **state)
{
    (void)state;
    static uint8_t b[16 + 4096 + 8];
    struct xsr_error err;
    xsr_page_data_encode_hdr(1, BE, b);
    xsr_st64(b + 8, xsr_pfn_word_make(XSR_PFN_L4TAB, 7), BE);
    xsr_error_clear(&err);
    assert_int_equal(page_data_at(b, 4112, BE, &err), 0);
    check_error(page_data_at(b, 4120, BE, &err), &err, XSR_EFORMAT,
                "PAGE_DATA length 4120 does not match 1 pfn with 1 data page: expected 4112");
    check_error(page_data_at(b, 16, BE, &err), &err, XSR_EFORMAT, "expected 4112");
}

static void page_data_no_data_types(void **state)
{
    (void)state;
    /* Invalid types 5..8, BROKEN, XALLOC and XTAB carry no page. */
    static const unsigned types[] = { 5, 6, 7, 8, XSR_PFN_BROKEN, XSR_PFN_XALLOC, XSR_PFN_XTAB };
    uint8_t b[8 + 8 * NELEM(types)];
    xsr_page_data_encode_hdr(NELEM(types), LE, b);
    for (size_t i = 0; i < NELEM(types); i++)
        xsr_st64(b + 8 + 8 * i, xsr_pfn_word_make(types[i], i), LE);
    struct xsr_page_data pd;
    assert_int_equal(xsr_page_data_decode(b, sizeof(b), LE, &pd, NULL), 0);
    assert_int_equal(pd.data_pages, 0);
    assert_int_equal(pd.count, NELEM(types));
    /* and count 0 is decoded, for the checker to judge */
    xsr_page_data_encode_hdr(0, LE, b);
    assert_int_equal(xsr_page_data_decode(b, 8, LE, &pd, NULL), 0);
    assert_int_equal(pd.count, 0);
    assert_int_equal(pd.data_pages, 0);
    assert_int_equal(xsr_page_data_decode(b, 9, LE, &pd, NULL), XSR_EFORMAT);
}

static void page_data_huge_count(void **state)
{
    (void)state;
    uint8_t b[16] = { 0 };
    struct xsr_error err;
    /* 8 * 0x20000000 wraps to 0 in 32 bits: must not look like an empty record. */
    xsr_page_data_encode_hdr(0x20000000u, LE, b);
    check_error(page_data_at(b, 8, LE, &err), &err, XSR_EFORMAT,
                "too short for 536870912 pfns: at least 4294967304 bytes needed");
    xsr_page_data_encode_hdr(UINT32_MAX, BE, b);
    check_error(page_data_at(b, 16, BE, &err), &err, XSR_EFORMAT,
                "too short for 4294967295 pfns: at least 34359738368 bytes needed");
    /* NULL err is allowed */
    struct xsr_page_data pd;
    assert_int_equal(xsr_page_data_decode(b, 16, BE, &pd, NULL), XSR_EFORMAT);
}

/* ---------------------------------------------------------- X86_PV_INFO */

static void pv_info(void **state)
{
    (void)state;
    static const uint8_t real[8] = { 0x08, 0x04, 0, 0, 0, 0, 0, 0 };
    static const uint8_t want_le[8] = { 0x08, 0x04, 0x02, 0x01, 0x06, 0x05, 0x04, 0x03 };
    static const uint8_t want_be[8] = { 0x08, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06 };
    uint8_t b[8];
    struct xsr_pv_info v = { .guest_width = 8, .pt_levels = 4 }, d;
    xsr_pv_info_encode(&v, LE, b);
    check_bytes(b, real, 8);
    xsr_pv_info_encode(&v, BE, b);
    check_bytes(b, real, 8);

    v = (struct xsr_pv_info){ 8, 4, 0x0102, 0x03040506 };
    xsr_pv_info_encode(&v, LE, b);
    check_bytes(b, want_le, 8);
    xsr_pv_info_decode(b, LE, &d);
    assert_memory_equal(&d, &v, sizeof(v));
    xsr_pv_info_encode(&v, BE, b);
    check_bytes(b, want_be, 8);
    xsr_pv_info_decode(b, BE, &d);
    assert_memory_equal(&d, &v, sizeof(v));
}

/* ---------------------------------------------------- X86_PV_P2M_FRAMES */

static int p2m_at(const uint8_t *src, uint32_t len, enum xsr_byte_order o,
                  struct xsr_p2m_frames *v, struct xsr_error *err)
{
    uint8_t *p = exact_copy(src, len);
    int rc = xsr_p2m_frames_decode(p, len, o, v, err);
    if (rc == 0)
        v->frames = src + (v->frames - p);
    free(p);
    return rc;
}

static void p2m_frames(void **state)
{
    (void)state;
    static const uint8_t le[24] = {
        0x00, 0x02, 0, 0, 0xff, 0x05, 0, 0,
        0x34, 0x12, 0, 0, 0, 0, 0, 0, 0x35, 0x12, 0, 0, 0, 0, 0, 0,
    };
    static const uint8_t be[24] = {
        0, 0, 0x02, 0x00, 0, 0, 0x05, 0xff,
        0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0x12, 0x35,
    };
    struct xsr_p2m_frames v;
    struct xsr_error err;
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        const uint8_t *b = k ? be : le;
        xsr_error_clear(&err);
        assert_int_equal(p2m_at(b, 24, o, &v, &err), 0);
        assert_int_equal(v.start_pfn, 0x200);
        assert_int_equal(v.end_pfn, 0x5ff);
        assert_int_equal(v.nr_frames, 2);
        assert_ptr_equal(v.frames, b + 8);
        assert_int_equal(v.order, o);
        assert_int_equal(xsr_ld64(v.frames + 8, o), 0x1235);
        assert_int_equal(p2m_at(b, 8, o, &v, &err), 0);
        assert_int_equal(v.nr_frames, 0);
        assert_int_equal(p2m_at(b, 16, o, &v, &err), 0);
        assert_int_equal(v.nr_frames, 1);
        check_error(p2m_at(b, 23, o, &v, &err), &err, XSR_EFORMAT,
                    "X86_PV_P2M_FRAMES length 23 is not 8 plus a multiple of 8");
        check_error(p2m_at(b, 17, o, &v, &err), &err, XSR_EFORMAT, "length 17");
        check_error(p2m_at(b, 12, o, &v, &err), &err, XSR_EFORMAT, "length 12");
        check_error(p2m_at(b, 7, o, &v, &err), &err, XSR_EFORMAT,
                    "X86_PV_P2M_FRAMES length 7 is shorter than its 8-byte header");
        check_error(p2m_at(b, 0, o, &v, &err), &err, XSR_EFORMAT, "length 0");
    }
}

static void p2m_expected(void **state)
{
    (void)state;
    assert_int_equal(xsr_p2m_frames_expected(0, 0, 8), 1);
    assert_int_equal(xsr_p2m_frames_expected(0, 511, 8), 1);
    assert_int_equal(xsr_p2m_frames_expected(0, 512, 8), 2);
    assert_int_equal(xsr_p2m_frames_expected(511, 512, 8), 2);
    assert_int_equal(xsr_p2m_frames_expected(512, 1023, 8), 1);
    assert_int_equal(xsr_p2m_frames_expected(0x200, 0x5ff, 8), 2);
    assert_int_equal(xsr_p2m_frames_expected(0, 1023, 4), 1);
    assert_int_equal(xsr_p2m_frames_expected(0, 1024, 4), 2);
    assert_int_equal(xsr_p2m_frames_expected(1000, 5000, 4), 5);
    assert_int_equal(xsr_p2m_frames_expected(0, UINT32_MAX, 8), 8388608);
    assert_int_equal(xsr_p2m_frames_expected(0, UINT32_MAX, 4), 4194304);
    assert_int_equal(xsr_p2m_frames_expected(UINT32_MAX, UINT32_MAX, 8), 1);
    assert_int_equal(xsr_p2m_frames_expected(5, 4, 8), 0);
    assert_int_equal(xsr_p2m_frames_expected(0, 0, 2), 0);
    assert_int_equal(xsr_p2m_frames_expected(0, 0, 0), 0);
    assert_int_equal(xsr_p2m_frames_expected(0, 0, 16), 0);
}

/* ----------------------------------- X86_PV_VCPU_{BASIC,EXTENDED,XSAVE,MSRS} */

static void vcpu_rec(void **state)
{
    (void)state;
    static const uint8_t want_le[8] = { 0x02, 0x01, 0, 0, 0, 0, 0, 0 };
    static const uint8_t want_be[8] = { 0, 0, 0x01, 0x02, 0, 0, 0, 0 };
    uint8_t b[24];
    memset(b, 0x5a, sizeof(b));
    xsr_vcpu_hdr_encode(0x0102, LE, b);
    check_bytes(b, want_le, 8);
    struct xsr_vcpu_rec v;
    struct xsr_error err;
    xsr_error_clear(&err);
    assert_int_equal(xsr_vcpu_rec_decode(b, 24, LE, &v, &err), 0);
    assert_int_equal(v.vcpu_id, 0x0102);
    assert_int_equal(v.reserved, 0);
    assert_ptr_equal(v.ctx, b + 8);
    assert_int_equal(v.ctx_len, 16);

    xsr_vcpu_hdr_encode(0x0102, BE, b);
    check_bytes(b, want_be, 8);
    b[4] = 0x77;
    uint8_t *p = exact_copy(b, 8);
    assert_int_equal(xsr_vcpu_rec_decode(p, 8, BE, &v, &err), 0);
    assert_int_equal(v.vcpu_id, 0x0102);
    assert_int_equal(v.reserved, 0x77000000u);
    assert_int_equal(v.ctx_len, 0);
    free(p);
    p = exact_copy(b, 7);
    check_error(xsr_vcpu_rec_decode(p, 7, BE, &v, &err), &err, XSR_EFORMAT,
                "vCPU record length 7 is shorter than its 8-byte header");
    free(p);
}

/* ---------------------------------------------------------- X86_TSC_INFO */

static void tsc_info(void **state)
{
    (void)state;
    static const uint8_t want_le[24] = {
        0x01, 0, 0, 0, 0x80, 0x84, 0x1e, 0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
        0x03, 0, 0, 0, 0xdd, 0xcc, 0xbb, 0xaa,
    };
    static const uint8_t want_be[24] = {
        0, 0, 0, 0x01, 0x00, 0x1e, 0x84, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
        0, 0, 0, 0x03, 0xaa, 0xbb, 0xcc, 0xdd,
    };
    struct xsr_tsc_info v = { .mode = 1, .khz = 2000000, .nsec = 0x0102030405060708ULL,
                              .incarnation = 3, .reserved = 0xaabbccdd }, d;
    uint8_t b[24];
    xsr_tsc_info_encode(&v, LE, b);
    check_bytes(b, want_le, 24);
    xsr_tsc_info_decode(b, LE, &d);
    assert_memory_equal(&d, &v, sizeof(v));
    xsr_tsc_info_encode(&v, BE, b);
    check_bytes(b, want_be, 24);
    xsr_tsc_info_decode(b, BE, &d);
    assert_memory_equal(&d, &v, sizeof(v));
}

/* ----------------------------------------------------------- HVM_PARAMS */

static int hvm_params_at(const uint8_t *src, uint32_t len, enum xsr_byte_order o,
                         struct xsr_error *err)
{
    struct xsr_hvm_params v;
    uint8_t *p = exact_copy(src, len);
    int rc = xsr_hvm_params_decode(p, len, o, &v, err);
    free(p);
    return rc;
}

static void hvm_params(void **state)
{
    (void)state;
    static const uint8_t le[41] = {
        0x02, 0, 0, 0, 0, 0, 0, 0,
        0x01, 0, 0, 0, 0, 0, 0, 0, 0xfc, 0xff, 0x0f, 0, 0, 0, 0, 0,
        0x26, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    };
    static const uint8_t be[41] = {
        0, 0, 0, 0x02, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0x0f, 0xff, 0xfc,
        0, 0, 0, 0, 0, 0, 0, 0x26, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
    };
    struct xsr_error err;
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        const uint8_t *b = k ? be : le;
        struct xsr_hvm_params v;
        uint64_t idx, val;
        xsr_error_clear(&err);
        assert_int_equal(xsr_hvm_params_decode(b, 40, o, &v, &err), 0);
        assert_int_equal(v.count, 2);
        assert_int_equal(v.reserved, 0);
        assert_ptr_equal(v.entries, b + 8);
        xsr_hvm_params_entry(&v, 0, &idx, &val);
        assert_int_equal(idx, 1);
        assert_int_equal(val, 0xffffc);
        xsr_hvm_params_entry(&v, 1, &idx, &val);
        assert_int_equal(idx, 38);
        assert_int_equal(val, 0x0807060504030201ULL);
        assert_int_equal(hvm_params_at(b, 40, o, &err), 0);
        check_error(hvm_params_at(b, 39, o, &err), &err, XSR_EFORMAT,
                    "HVM_PARAMS length 39 does not match 2 entries: expected 40");
        check_error(hvm_params_at(b, 41, o, &err), &err, XSR_EFORMAT,
                    "HVM_PARAMS length 41 does not match 2 entries: expected 40");
        check_error(hvm_params_at(b, 7, o, &err), &err, XSR_EFORMAT,
                    "HVM_PARAMS length 7 is shorter than its 8-byte header");
    }
    uint8_t b[24] = { 0 };
    xsr_st32(b, 1, LE);
    check_error(hvm_params_at(b, 8, LE, &err), &err, XSR_EFORMAT,
                "does not match 1 entry: expected 24");
    assert_int_equal(hvm_params_at(b, 24, LE, &err), 0);
    /* count 0 decodes (the checker reports it) */
    xsr_st32(b, 0, LE);
    assert_int_equal(hvm_params_at(b, 8, LE, &err), 0);
    /* 16 * 0x10000000 wraps to 0 in 32 bits */
    xsr_st32(b, 0x10000000u, LE);
    check_error(hvm_params_at(b, 8, LE, &err), &err, XSR_EFORMAT, "expected 4294967304");
    xsr_st32(b, UINT32_MAX, BE);
    check_error(hvm_params_at(b, 8, BE, &err), &err, XSR_EFORMAT, "expected 68719476728");
}

/* --------------------------------------- X86_CPUID_POLICY, X86_MSR_POLICY */

static void cpuid_leaf(void **state)
{
    (void)state;
    static const uint8_t want_le[24] = {
        0x0d, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x04, 0x03, 0x02, 0x01,
        0x08, 0x07, 0x06, 0x05, 0x0c, 0x0b, 0x0a, 0x09, 0x10, 0x0f, 0x0e, 0x0d,
    };
    static const uint8_t want_be[24] = {
        0, 0, 0, 0x0d, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04,
        0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    };
    struct xsr_cpuid_leaf v = { 0xd, XSR_CPUID_NO_SUBLEAF, 0x01020304, 0x05060708,
                                0x090a0b0c, 0x0d0e0f10 }, d;
    uint8_t b[24];
    xsr_cpuid_leaf_encode(&v, LE, b);
    check_bytes(b, want_le, 24);
    xsr_cpuid_leaf_decode(b, LE, &d);
    assert_memory_equal(&d, &v, sizeof(v));
    xsr_cpuid_leaf_encode(&v, BE, b);
    check_bytes(b, want_be, 24);
    xsr_cpuid_leaf_decode(b, BE, &d);
    assert_memory_equal(&d, &v, sizeof(v));
}

static void msr_entry(void **state)
{
    (void)state;
    static const uint8_t want_le[16] = {
        0x80, 0x00, 0x00, 0xc0, 0x02, 0x01, 0, 0, 0x01, 0x0d, 0, 0, 0, 0, 0, 0x80,
    };
    static const uint8_t want_be[16] = {
        0xc0, 0x00, 0x00, 0x80, 0, 0, 0x01, 0x02, 0x80, 0, 0, 0, 0, 0, 0x0d, 0x01,
    };
    struct xsr_msr_entry v = { 0xc0000080u, 0x0102, 0x8000000000000d01ULL }, d;
    uint8_t b[16];
    xsr_msr_entry_encode(&v, LE, b);
    check_bytes(b, want_le, 16);
    xsr_msr_entry_decode(b, LE, &d);
    assert_memory_equal(&d, &v, sizeof(v));
    xsr_msr_entry_encode(&v, BE, b);
    check_bytes(b, want_be, 16);
    xsr_msr_entry_decode(b, BE, &d);
    assert_memory_equal(&d, &v, sizeof(v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_data_hdr),
        cmocka_unit_test(page_data_word_bytes),
        cmocka_unit_test(page_data_decode_ok),
        cmocka_unit_test(page_data_bounds),
        cmocka_unit_test(page_data_singular),
        cmocka_unit_test(page_data_no_data_types),
        cmocka_unit_test(page_data_huge_count),
        cmocka_unit_test(pv_info),
        cmocka_unit_test(p2m_frames),
        cmocka_unit_test(p2m_expected),
        cmocka_unit_test(vcpu_rec),
        cmocka_unit_test(tsc_info),
        cmocka_unit_test(hvm_params),
        cmocka_unit_test(cpuid_leaf),
        cmocka_unit_test(msr_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
