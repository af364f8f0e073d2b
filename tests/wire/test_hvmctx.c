/* SPDX-License-Identifier: MIT */
/* HVM_CONTEXT blob: header codec, xsr_hvmctx_put and the iterator (no padding). */
#include <stdlib.h>

#include "wire_test.h"

static const struct xsr_hvmctx_header example_hdr = {
    .magic = XSR_HVMCTX_MAGIC, .version = XSR_HVMCTX_VERSION,
    .changeset = 0x0102030405060708ULL, .cpuid = 0x000806ec, .gtsc_khz = 2400000,
};

static void header_codec(void **state)
{
    (void)state;
    static const uint8_t want_le[24] = {
        0x86, 0x12, 0x38, 0x54, 0x01, 0, 0, 0, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
        0xec, 0x06, 0x08, 0x00, 0x00, 0x9f, 0x24, 0x00,
    };
    static const uint8_t want_be[24] = {
        0x54, 0x38, 0x12, 0x86, 0, 0, 0, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
        0x00, 0x08, 0x06, 0xec, 0x00, 0x24, 0x9f, 0x00,
    };
    struct xsr_hvmctx_header d;
    uint8_t b[24];
    xsr_hvmctx_header_encode(&example_hdr, LE, b);
    check_bytes(b, want_le, 24);
    xsr_hvmctx_header_decode(b, LE, &d);
    assert_memory_equal(&d, &example_hdr, sizeof(d));
    xsr_hvmctx_header_encode(&example_hdr, BE, b);
    check_bytes(b, want_be, 24);
    xsr_hvmctx_header_decode(b, BE, &d);
    assert_memory_equal(&d, &example_hdr, sizeof(d));
}

/* HEADER, PIC 0, PIC 1, an odd-sized entry (5 bytes), END */
#define BLOB_SIZE (8 + 24 + 2 * (8 + 8) + 8 + 5 + 8)

static size_t build(uint8_t *dst, size_t cap, enum xsr_byte_order o)
{
    uint8_t hdr[24];
    xsr_hvmctx_header_encode(&example_hdr, o, hdr);
    static const uint8_t pic0[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    static const uint8_t pic1[8] = { 9, 10, 11, 12, 13, 14, 15, 16 };
    size_t off = 0;
    assert_int_equal(xsr_hvmctx_put(dst, cap, &off, XSR_HVMCTX_HEADER, 0, hdr, 24, o), 0);
    assert_int_equal(xsr_hvmctx_put(dst, cap, &off, XSR_HVMCTX_PIC, 0, pic0, 8, o), 0);
    assert_int_equal(xsr_hvmctx_put(dst, cap, &off, XSR_HVMCTX_PIC, 1, pic1, 8, o), 0);
    assert_int_equal(xsr_hvmctx_put(dst, cap, &off, XSR_HVMCTX_TSC_ADJUST, 3,
                                    (const uint8_t *)"vwxyz", 5, o), 0);
    assert_int_equal(xsr_hvmctx_put(dst, cap, &off, XSR_HVMCTX_END, 0, NULL, 0, o), 0);
    return off;
}

static void put_bytes(void **state)
{
    (void)state;
    assert_int_equal(build(NULL, 0, LE), BLOB_SIZE);
    uint8_t b[BLOB_SIZE];
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        memset(b, 0xee, sizeof(b));
        assert_int_equal(build(b, sizeof(b), o), BLOB_SIZE);
        static const uint8_t d_hdr_le[8] = { 0x01, 0, 0, 0, 0x18, 0, 0, 0 };
        static const uint8_t d_hdr_be[8] = { 0, 0x01, 0, 0, 0, 0, 0, 0x18 };
        static const uint8_t d_pic1_le[8] = { 0x03, 0, 0x01, 0, 0x08, 0, 0, 0 };
        static const uint8_t d_pic1_be[8] = { 0, 0x03, 0, 0x01, 0, 0, 0, 0x08 };
        static const uint8_t odd_le[13] = { 0x13, 0, 0x03, 0, 0x05, 0, 0, 0, 'v', 'w', 'x', 'y', 'z' };
        static const uint8_t odd_be[13] = { 0, 0x13, 0, 0x03, 0, 0, 0, 0x05, 'v', 'w', 'x', 'y', 'z' };
        static const uint8_t end[8] = { 0 };
        check_bytes(b, k ? d_hdr_be : d_hdr_le, 8);
        check_bytes(b + 48, k ? d_pic1_be : d_pic1_le, 8);
        check_bytes(b + 64, k ? odd_be : odd_le, 13);
        /* END follows the 5-byte body directly: no padding */
        check_bytes(b + 77, end, 8);
    }
    /* too small */
    size_t off = 0;
    assert_int_equal(xsr_hvmctx_put(b, 12, &off, 1, 0, (const uint8_t *)"abcde", 5, LE),
                     XSR_ELIMIT);
    assert_int_equal(off, 13);
    off = 0;
    assert_int_equal(xsr_hvmctx_put(b, 13, &off, 1, 0, (const uint8_t *)"abcde", 5, LE), 0);
    off = SIZE_MAX - 8;
    assert_int_equal(xsr_hvmctx_put(NULL, 0, &off, 1, 0, NULL, 0, LE), 0);
    assert_int_equal(off, SIZE_MAX);
    assert_int_equal(xsr_hvmctx_put(NULL, 0, &off, 1, 0, NULL, 0, LE), XSR_ELIMIT);
    off = 0;
    assert_int_equal(xsr_hvmctx_put(NULL, 0, &off, 1, 0, NULL, UINT32_MAX, LE), 0);
    assert_int_equal(off, 8 + (size_t)UINT32_MAX);
}

static int walk(const uint8_t *blob, size_t len, enum xsr_byte_order o, int *entries,
                struct xsr_error *err)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, blob, len);
    struct xsr_hvmctx_iter it;
    struct xsr_hvmctx_entry e;
    int rc;
    *entries = 0;
    xsr_hvmctx_iter_init(&it, p, len, o);
    while ((rc = xsr_hvmctx_next(&it, &e, err)) == 1)
        (*entries)++;
    free(p);
    return rc;
}

static void iterate(void **state)
{
    (void)state;
    uint8_t b[BLOB_SIZE];
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        build(b, sizeof(b), o);
        static const struct { size_t off; uint16_t type, inst; uint32_t len; } want[] = {
            { 0, XSR_HVMCTX_HEADER, 0, 24 },  { 32, XSR_HVMCTX_PIC, 0, 8 },
            { 48, XSR_HVMCTX_PIC, 1, 8 },     { 64, XSR_HVMCTX_TSC_ADJUST, 3, 5 },
            { 77, XSR_HVMCTX_END, 0, 0 },
        };
        struct xsr_hvmctx_iter it;
        struct xsr_hvmctx_entry e;
        struct xsr_error err;
        xsr_error_clear(&err);
        xsr_hvmctx_iter_init(&it, b, sizeof(b), o);
        for (size_t i = 0; i < NELEM(want); i++) {
            assert_int_equal(xsr_hvmctx_next(&it, &e, &err), 1);
            assert_int_equal(e.offset, want[i].off);
            assert_int_equal(e.desc.typecode, want[i].type);
            assert_int_equal(e.desc.instance, want[i].inst);
            assert_int_equal(e.desc.length, want[i].len);
            assert_ptr_equal(e.body, b + want[i].off + 8);
        }
        assert_int_equal(xsr_hvmctx_next(&it, &e, &err), 0);
        assert_int_equal(err.code, 0);
    }
}

static void iterate_errors(void **state)
{
    (void)state;
    uint8_t b[BLOB_SIZE];
    build(b, sizeof(b), LE);
    struct xsr_error err;
    int n;
    xsr_error_clear(&err);
    check_error(walk(b, BLOB_SIZE - 1, LE, &n, &err), &err, XSR_EFORMAT,
                "HVM context descriptor at offset 77 is truncated: 7 bytes left of the 8");
    assert_int_equal(n, 4);
    check_error(walk(b, 76, LE, &n, &err), &err, XSR_EFORMAT,
                "HVM context entry at offset 64 (type 19, instance 3) has length 5 but only "
                "4 bytes follow its descriptor");
    assert_int_equal(n, 3);
    assert_int_equal(walk(b, 77, LE, &n, &err), 0);
    assert_int_equal(n, 4);
    xsr_st32(b + 64 + 4, UINT32_MAX, LE);
    check_error(walk(b, BLOB_SIZE, LE, &n, &err), &err, XSR_EFORMAT, "has length 4294967295");
    xsr_st32(b + 64 + 4, 14, LE);
    check_error(walk(b, BLOB_SIZE, LE, &n, &err), &err, XSR_EFORMAT,
                "has length 14 but only 13 bytes follow");
    xsr_st32(b + 64 + 4, 13, LE);
    assert_int_equal(walk(b, BLOB_SIZE, LE, &n, &err), 0);
    assert_int_equal(n, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_codec),
        cmocka_unit_test(put_bytes),
        cmocka_unit_test(iterate),
        cmocka_unit_test(iterate_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
