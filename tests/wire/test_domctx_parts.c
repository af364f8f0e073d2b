/* SPDX-License-Identifier: MIT */
/* DOMAIN_CONTEXT blobs built from / split into the v3 records (wire layer only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xsr/domctx.h>

static uint8_t shinfo[XSR_DOMCTX_SHINFO_MAX];

static struct xsr_domctx_parts parts(unsigned guest_width)
{
    struct xsr_domctx_parts p = {
        .xen_major = 4, .xen_minor = 17,
        .has_shinfo = true,
        .shinfo_flags = guest_width == 4 ? XSR_DOMCTX_SHINFO_32BIT : 0,
        .shinfo = shinfo,
        .shinfo_size = xsr_shinfo_size(guest_width),
        .has_tsc = true,
        .tsc = { .mode = 2, .khz = 2793435, .nsec = 24287760154ULL, .incarnation = 7 },
    };
    for (size_t i = 0; i < sizeof(shinfo); i++)
        shinfo[i] = (uint8_t)(i * 7 + 1);
    return p;
}

/* The worked example of the v9 layout (64-bit guest): offsets and sizes. */
static void test_build_layout(void **state)
{
    struct xsr_domctx_parts p = parts(8);
    uint8_t blob[4096];
    size_t len, size_only;
    (void)state;

    /* sizeof(shared_info) for a 64-bit guest, compat_shared_info for 32-bit */
    assert_int_equal(xsr_shinfo_size(8), 3136);
    assert_int_equal(xsr_shinfo_size(4), 2344);
    assert_int_equal(XSR_DOMCTX_SHINFO_MAX, 3136);
    assert_int_equal(xsr_domctx_build(&p, XSR_LITTLE_ENDIAN, NULL, 0, &size_only, NULL), 0);
    assert_int_equal(xsr_domctx_build(&p, XSR_LITTLE_ENDIAN, blob, sizeof(blob), &len, NULL), 0);
    assert_int_equal(len, 3216);
    assert_int_equal(size_only, len);
    /* HEADER {1, 0, 16}: magic, 4.17, version 1, 4 zero bytes */
    static const uint8_t hdr[24] = { 1, 0, 0, 0, 16, 0, 0, 0, 0x45, 0x56, 0x41, 0x53, 4, 0,
                                     17, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
    assert_memory_equal(blob, hdr, sizeof(hdr));
    /* SHARED_INFO {2, 0, 3144}: flags 0, size 3136, the structure */
    assert_int_equal(xsr_ld16(blob + 24, XSR_LITTLE_ENDIAN), 2);
    assert_int_equal(xsr_ld32(blob + 28, XSR_LITTLE_ENDIAN), 3144);
    assert_int_equal(xsr_ld32(blob + 32, XSR_LITTLE_ENDIAN), 0);
    assert_int_equal(xsr_ld32(blob + 36, XSR_LITTLE_ENDIAN), 3136);
    assert_memory_equal(blob + 40, shinfo, 3136);
    /* TSC_INFO {3, 0, 24}: mode, incarnation, nsec, khz, tail */
    assert_int_equal(xsr_ld16(blob + 3176, XSR_LITTLE_ENDIAN), 3);
    assert_int_equal(xsr_ld32(blob + 3180, XSR_LITTLE_ENDIAN), 24);
    assert_int_equal(xsr_ld32(blob + 3184, XSR_LITTLE_ENDIAN), 2);
    assert_int_equal(xsr_ld32(blob + 3188, XSR_LITTLE_ENDIAN), 7);
    assert_int_equal(xsr_ld64(blob + 3192, XSR_LITTLE_ENDIAN), 24287760154ULL);
    assert_int_equal(xsr_ld32(blob + 3200, XSR_LITTLE_ENDIAN), 2793435);
    assert_int_equal(xsr_ld32(blob + 3204, XSR_LITTLE_ENDIAN), 0);
    /* END {0, 0, 0} */
    static const uint8_t end[8] = { 0 };
    assert_memory_equal(blob + 3208, end, 8);

    /* compat shared info: 2424 bytes, flag set */
    p = parts(4);
    assert_int_equal(xsr_domctx_build(&p, XSR_LITTLE_ENDIAN, blob, sizeof(blob), &len, NULL), 0);
    assert_int_equal(len, 2424);
    assert_int_equal(xsr_ld32(blob + 32, XSR_LITTLE_ENDIAN), XSR_DOMCTX_SHINFO_32BIT);
    assert_int_equal(xsr_ld32(blob + 36, XSR_LITTLE_ENDIAN), 2344);

    /* HEADER and END only */
    p.has_shinfo = p.has_tsc = false;
    assert_int_equal(xsr_domctx_build(&p, XSR_LITTLE_ENDIAN, blob, sizeof(blob), &len, NULL), 0);
    assert_int_equal(len, 32);

    /* too small a buffer */
    struct xsr_error err;
    xsr_error_clear(&err);
    p = parts(8);
    assert_int_equal(xsr_domctx_build(&p, XSR_LITTLE_ENDIAN, blob, 100, &len, &err), XSR_ELIMIT);
    assert_int_equal(len, 3216);
    /* a shared info larger than the structure */
    p.shinfo_size = 3200;
    assert_int_equal(xsr_domctx_build(&p, XSR_LITTLE_ENDIAN, blob, sizeof(blob), &len, &err),
                     XSR_EINVAL);
}

static void test_split_round_trip(void **state)
{
    (void)state;
    for (int o = 0; o <= 1; o++)
        for (unsigned gw = 4; gw <= 8; gw += 4) {
            enum xsr_byte_order order = o ? XSR_BIG_ENDIAN : XSR_LITTLE_ENDIAN;
            struct xsr_domctx_parts p = parts(gw), q;
            uint8_t blob[4096], again[4096];
            size_t len, len2;
            assert_int_equal(xsr_domctx_build(&p, order, blob, sizeof(blob), &len, NULL), 0);
            assert_int_equal(xsr_domctx_split(blob, len, order, &q, NULL), 0);
            assert_int_equal(q.xen_major, 4);
            assert_int_equal(q.xen_minor, 17);
            assert_true(q.has_shinfo && q.has_tsc);
            assert_int_equal(q.shinfo_flags, p.shinfo_flags);
            assert_int_equal(q.shinfo_size, p.shinfo_size);
            assert_memory_equal(q.shinfo, shinfo, q.shinfo_size);
            assert_int_equal(q.tsc.mode, 2);
            assert_int_equal(q.tsc.khz, 2793435);
            assert_int_equal(q.tsc.nsec, 24287760154ULL);
            assert_int_equal(q.tsc.incarnation, 7);
            assert_int_equal(xsr_domctx_build(&q, order, again, sizeof(again), &len2, NULL), 0);
            assert_int_equal(len2, len);
            assert_memory_equal(again, blob, len);
        }
}

static void expect_split_error(const uint8_t *blob, size_t len, const char *substr)
{
    struct xsr_domctx_parts q;
    struct xsr_error err;

    xsr_error_clear(&err);
    assert_int_equal(xsr_domctx_split(blob, len, XSR_LITTLE_ENDIAN, &q, &err), XSR_EFORMAT);
    if (!strstr(err.message, substr))
        fail_msg("wanted '%s', got: %s", substr, err.message);
}

static void test_split_errors(void **state)
{
    struct xsr_domctx_parts p = parts(8);
    uint8_t good[4096], b[4200];
    size_t len;
    (void)state;

    assert_int_equal(xsr_domctx_build(&p, XSR_LITTLE_ENDIAN, good, sizeof(good), &len, NULL), 0);
#define FRESH() memcpy(b, good, len)
    FRESH(); xsr_st16(b, 2, XSR_LITTLE_ENDIAN);
    expect_split_error(b, len, "starts with a SHARED_INFO entry instead of HEADER");
    FRESH(); b[8] ^= 1;
    expect_split_error(b, len, "magic");
    FRESH(); xsr_st32(b + 16, 2, XSR_LITTLE_ENDIAN);
    expect_split_error(b, len, "version 2");
    FRESH(); b[20] = 1;
    expect_split_error(b, len, "padding 0x1");
    FRESH(); xsr_st16(b + 3176, 9, XSR_LITTLE_ENDIAN);
    expect_split_error(b, len, "unknown type 9");
    FRESH(); xsr_st16(b + 26, 1, XSR_LITTLE_ENDIAN);
    expect_split_error(b, len, "instance 1");
    FRESH(); xsr_st32(b + 32, 2, XSR_LITTLE_ENDIAN);
    expect_split_error(b, len, "flags 0x2");
    FRESH(); xsr_st32(b + 36, 3000, XSR_LITTLE_ENDIAN);
    expect_split_error(b, len, "non-zero bytes after its 3000-byte buffer");
    FRESH(); xsr_st32(b + 3180, 16, XSR_LITTLE_ENDIAN);
    expect_split_error(b, len, "TSC_INFO has length 16");
    FRESH(); xsr_st32(b + 3212, 8, XSR_LITTLE_ENDIAN);
    expect_split_error(b, len, "has length 8");
    /* no END */
    expect_split_error(good, len - 8, "no END");
    /* a truncated descriptor */
    expect_split_error(good, 5, "truncated");
    /* END with content */
    FRESH(); xsr_st32(b + 3212, 8, XSR_LITTLE_ENDIAN); memset(b + 3216, 0, 8); b[3220] = 1;
    expect_split_error(b, len + 8, "END entry has non-zero content");
    /* a second HEADER */
    FRESH(); memcpy(b + 3208, good, 24); memset(b + 3232, 0, 8);
    expect_split_error(b, len + 24, "second HEADER");
    /* an END with zero content and a length is accepted, the TSC tail
     * (never initialised by Xen) is not checked */
    struct xsr_domctx_parts q;
    FRESH(); xsr_st32(b + 3204, 0xdeadbeef, XSR_LITTLE_ENDIAN);
    assert_int_equal(xsr_domctx_split(b, len, XSR_LITTLE_ENDIAN, &q, NULL), 0);
    FRESH(); xsr_st32(b + 3212, 8, XSR_LITTLE_ENDIAN); memset(b + 3216, 0, 8);
    assert_int_equal(xsr_domctx_split(b, len + 8, XSR_LITTLE_ENDIAN, &q, NULL), 0);
    /* bytes after END are not read, whatever they hold */
    FRESH(); memset(b + len, 0xa5, 40);
    assert_int_equal(xsr_domctx_split(b, len + 40, XSR_LITTLE_ENDIAN, &q, NULL), 0);
    assert_true(q.has_shinfo && q.has_tsc);
    /* a second TSC_INFO replaces the first */
    FRESH(); memcpy(b + 3208, good + 3176, 32); xsr_st32(b + 3216, 3, XSR_LITTLE_ENDIAN);
    memset(b + 3240, 0, 8);
    assert_int_equal(xsr_domctx_split(b, len + 32, XSR_LITTLE_ENDIAN, &q, NULL), 0);
    assert_int_equal(q.tsc.mode, 3);
    /* a second SHARED_INFO without the 32-bit flag replaces the buffer but
     * not the flag */
    FRESH(); xsr_st32(b + 32, XSR_DOMCTX_SHINFO_32BIT, XSR_LITTLE_ENDIAN);
    memcpy(b + 3208, good + 3176, 32); xsr_st16(b + 3208, 2, XSR_LITTLE_ENDIAN);
    xsr_st32(b + 3216, 0, XSR_LITTLE_ENDIAN); xsr_st32(b + 3220, 8, XSR_LITTLE_ENDIAN);
    memset(b + 3224, 0x11, 8); memset(b + 3232, 0, 8); memset(b + 3240, 0, 8);
    assert_int_equal(xsr_domctx_split(b, len + 32, XSR_LITTLE_ENDIAN, &q, NULL), 0);
    assert_int_equal(q.shinfo_flags, XSR_DOMCTX_SHINFO_32BIT);
    assert_int_equal(q.shinfo_size, 8);
    assert_int_equal(q.shinfo[7], 0x11);
#undef FRESH
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_layout),
        cmocka_unit_test(test_split_round_trip),
        cmocka_unit_test(test_split_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
