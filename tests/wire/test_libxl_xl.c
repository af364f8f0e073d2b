/* SPDX-License-Identifier: MIT */
/* libxl stream header, emulator records and the xl save-file header. */
#include <stdlib.h>

#include "wire_test.h"

static void libxl_hdr(void **state)
{
    (void)state;
    static const uint8_t want[16] = {
        0x4c, 0x69, 0x62, 0x78, 0x6c, 0x46, 0x6d, 0x74, 0, 0, 0, 0x02, 0, 0, 0, 0x02,
    };
    assert_memory_equal(want, "LibxlFmt", 8);
    struct xsr_libxl_hdr h = { XSR_LIBXL_IDENT, XSR_LIBXL_VERSION, XSR_LIBXL_OPT_LEGACY }, d;
    uint8_t b[16];
    xsr_libxl_hdr_encode(&h, b);
    check_bytes(b, want, 16);
    xsr_libxl_hdr_decode(b, &d);
    assert_memory_equal(&d, &h, sizeof(h));
    assert_int_equal(xsr_libxl_hdr_order(&d), LE);

    /* Still big-endian when the option says the stream is big-endian. */
    static const uint8_t want_be[16] = {
        0x4c, 0x69, 0x62, 0x78, 0x6c, 0x46, 0x6d, 0x74, 0, 0, 0, 0x02, 0, 0, 0, 0x01,
    };
    h.options = XSR_LIBXL_OPT_BIG_ENDIAN;
    xsr_libxl_hdr_encode(&h, b);
    check_bytes(b, want_be, 16);
    xsr_libxl_hdr_decode(b, &d);
    assert_int_equal(xsr_libxl_hdr_order(&d), BE);
}

static void emulator_rec(void **state)
{
    (void)state;
    static const uint8_t want_le[8] = { 0x02, 0, 0, 0, 0x01, 0, 0, 0 };
    static const uint8_t want_be[8] = { 0, 0, 0, 0x02, 0, 0, 0, 0x01 };
    uint8_t b[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 'Q', 'E', 'V', 'M' };
    struct xsr_emulator_rec v;
    struct xsr_error err;
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        xsr_emulator_hdr_encode(XSR_EMU_QEMU_UPSTREAM, 1, o, b);
        check_bytes(b, k ? want_be : want_le, 8);
        xsr_error_clear(&err);
        assert_int_equal(xsr_emulator_rec_decode(b, 12, o, &v, &err), 0);
        assert_int_equal(v.id, XSR_EMU_QEMU_UPSTREAM);
        assert_int_equal(v.index, 1);
        assert_ptr_equal(v.data, b + 8);
        assert_int_equal(v.data_len, 4);
        uint8_t *p = malloc(8);
        assert_non_null(p);
        memcpy(p, b, 8);
        assert_int_equal(xsr_emulator_rec_decode(p, 8, o, &v, &err), 0);
        assert_int_equal(v.data_len, 0);
        check_error(xsr_emulator_rec_decode(p, 7, o, &v, &err), &err, XSR_EFORMAT,
                    "emulator record length 7 is shorter than its 8-byte emulator header");
        free(p);
    }
}

static void xl_magic(void **state)
{
    (void)state;
    static const uint8_t want[32] = {
        0x58, 0x65, 0x6e, 0x20, 0x73, 0x61, 0x76, 0x65, 0x64, 0x20, 0x64, 0x6f, 0x6d, 0x61, 0x69,
        0x6e, 0x2c, 0x20, 0x78, 0x6c, 0x20, 0x66, 0x6f, 0x72, 0x6d, 0x61, 0x74, 0x0a, 0x20, 0x00,
        0x20, 0x0d,
    };
    check_bytes(xsr_xl_magic, want, 32);
}

static const uint8_t xl_le[48] = {
    0x58, 0x65, 0x6e, 0x20, 0x73, 0x61, 0x76, 0x65, 0x64, 0x20, 0x64, 0x6f, 0x6d, 0x61, 0x69, 0x6e,
    0x2c, 0x20, 0x78, 0x6c, 0x20, 0x66, 0x6f, 0x72, 0x6d, 0x61, 0x74, 0x0a, 0x20, 0x00, 0x20, 0x0d,
    0x04, 0x03, 0x02, 0x01, 0x03, 0, 0, 0, 0x80, 0, 0, 0, 0x34, 0x12, 0, 0,
};
static const uint8_t xl_be[48] = {
    0x58, 0x65, 0x6e, 0x20, 0x73, 0x61, 0x76, 0x65, 0x64, 0x20, 0x64, 0x6f, 0x6d, 0x61, 0x69, 0x6e,
    0x2c, 0x20, 0x78, 0x6c, 0x20, 0x66, 0x6f, 0x72, 0x6d, 0x61, 0x74, 0x0a, 0x20, 0x00, 0x20, 0x0d,
    0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0x03, 0, 0, 0, 0x80, 0, 0, 0x12, 0x34,
};

static void xl_hdr_codec(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        const uint8_t *want = k ? xl_be : xl_le;
        struct xsr_xl_hdr h = {
            .order = o, .mandatory_flags = XSR_XL_FLAG_JSON | XSR_XL_FLAG_STREAMV2,
            .optional_flags = 0x80, .optional_data_len = 0x1234,
        }, d;
        uint8_t b[48];
        xsr_xl_hdr_encode(&h, b);
        check_bytes(b, want, 48);
        struct xsr_error err;
        xsr_error_clear(&err);
        assert_int_equal(xsr_xl_hdr_decode(want, &d, &err), 0);
        assert_int_equal(err.code, 0);
        assert_int_equal(d.order, o);
        assert_int_equal(d.mandatory_flags, 3);
        assert_int_equal(d.optional_flags, 0x80);
        assert_int_equal(d.optional_data_len, 0x1234);
    }
}

static void xl_hdr_bad(void **state)
{
    (void)state;
    uint8_t b[48];
    struct xsr_xl_hdr d;
    struct xsr_error err;

    /* each magic byte matters, the NUL at 29 included */
    for (size_t i = 0; i < XSR_XL_MAGIC_SIZE; i++) {
        memcpy(b, xl_le, 48);
        b[i] ^= 0x20;
        xsr_error_clear(&err);
        check_error(xsr_xl_hdr_decode(b, &d, &err), &err, XSR_EFORMAT,
                    "not an xl save file");
    }
    memcpy(b, xl_le, 48);
    b[32] = 0x03;
    b[33] = 0x04; /* 03 04 02 01: neither order */
    check_error(xsr_xl_hdr_decode(b, &d, &err), &err, XSR_EFORMAT,
                "xl header byteorder field is 03 04 02 01");
    memset(b + 32, 0, 4);
    check_error(xsr_xl_hdr_decode(b, &d, &err), &err, XSR_EFORMAT, "expected 0x01020304");
    assert_int_equal(xsr_xl_hdr_decode(b, &d, NULL), XSR_EFORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(libxl_hdr),  cmocka_unit_test(emulator_rec),
        cmocka_unit_test(xl_magic),   cmocka_unit_test(xl_hdr_codec),
        cmocka_unit_test(xl_hdr_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
