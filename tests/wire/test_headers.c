/* SPDX-License-Identifier: MIT */
/* Image header, domain header and record header. */
#include "wire_test.h"

static void ihdr_make_v3_le(void **state)
{
    (void)state;
    static const uint8_t want[XSR_IHDR_SIZE] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x58, 0x45, 0x4e, 0x46,
        0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    struct xsr_ihdr h = xsr_ihdr_make(3, LE);
    assert_int_equal(xsr_ihdr_order(&h), LE);
    uint8_t b[XSR_IHDR_SIZE];
    xsr_ihdr_encode(&h, b);
    check_bytes(b, want, sizeof(want));

    struct xsr_ihdr d;
    xsr_ihdr_decode(want, &d);
    assert_int_equal(d.marker, XSR_IHDR_MARKER);
    assert_int_equal(d.id, XSR_IHDR_ID);
    assert_int_equal(d.version, 3);
    assert_int_equal(d.options, 0);
    assert_int_equal(d.reserved1, 0);
    assert_int_equal(d.reserved2, 0);
}

static void ihdr_make_v4_be(void **state)
{
    (void)state;
    /* Big-endian streams set options bit 0; the header itself stays big-endian. */
    static const uint8_t want[XSR_IHDR_SIZE] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x58, 0x45, 0x4e, 0x46,
        0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    struct xsr_ihdr h = xsr_ihdr_make(4, BE);
    assert_int_equal(xsr_ihdr_order(&h), BE);
    uint8_t b[XSR_IHDR_SIZE];
    xsr_ihdr_encode(&h, b);
    check_bytes(b, want, sizeof(want));
}

static void ihdr_fields(void **state)
{
    (void)state;
    /* Distinct values in every field pin down each field's offset. */
    static const uint8_t want[XSR_IHDR_SIZE] = {
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
        0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
    };
    struct xsr_ihdr h = {
        .marker = 0x0102030405060708ULL, .id = 0x090a0b0c, .version = 0x0d0e0f10,
        .options = 0x1112, .reserved1 = 0x1314, .reserved2 = 0x15161718,
    };
    uint8_t b[XSR_IHDR_SIZE];
    xsr_ihdr_encode(&h, b);
    check_bytes(b, want, sizeof(want));
    struct xsr_ihdr d;
    xsr_ihdr_decode(b, &d);
    assert_memory_equal(&d, &h, sizeof(h));
    assert_int_equal(xsr_ihdr_order(&h), LE); /* bit 0 of 0x1112 clear */
}

static void dhdr_both_orders(void **state)
{
    (void)state;
    static const uint8_t want_le[XSR_DHDR_SIZE] = {
        0x02, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,
        0x04, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00,
    };
    static const uint8_t want_be[XSR_DHDR_SIZE] = {
        0x00, 0x00, 0x00, 0x02, 0x00, 0x0c, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x11,
    };
    struct xsr_dhdr h = { .type = XSR_DOM_X86_HVM, .page_shift = 12, .xen_major = 4,
                          .xen_minor = 17 };
    uint8_t b[XSR_DHDR_SIZE];
    struct xsr_dhdr d;
    xsr_dhdr_encode(&h, LE, b);
    check_bytes(b, want_le, sizeof(b));
    xsr_dhdr_decode(b, LE, &d);
    assert_memory_equal(&d, &h, sizeof(h));
    xsr_dhdr_encode(&h, BE, b);
    check_bytes(b, want_be, sizeof(b));
    xsr_dhdr_decode(b, BE, &d);
    assert_memory_equal(&d, &h, sizeof(h));
}

static void dhdr_fields(void **state)
{
    (void)state;
    static const uint8_t want_le[XSR_DHDR_SIZE] = {
        0x04, 0x03, 0x02, 0x01, 0x06, 0x05, 0x08, 0x07,
        0x0c, 0x0b, 0x0a, 0x09, 0x10, 0x0f, 0x0e, 0x0d,
    };
    struct xsr_dhdr h = { 0x01020304, 0x0506, 0x0708, 0x090a0b0c, 0x0d0e0f10 };
    uint8_t b[XSR_DHDR_SIZE];
    struct xsr_dhdr d;
    xsr_dhdr_encode(&h, LE, b);
    check_bytes(b, want_le, sizeof(b));
    xsr_dhdr_decode(b, LE, &d);
    assert_memory_equal(&d, &h, sizeof(h));
}

static void rhdr_both_orders(void **state)
{
    (void)state;
    static const uint8_t want_le[XSR_RHDR_SIZE] = { 0x13, 0x00, 0x00, 0x80, 0x08, 0x10, 0x00, 0x00 };
    static const uint8_t want_be[XSR_RHDR_SIZE] = { 0x80, 0x00, 0x00, 0x13, 0x00, 0x00, 0x10, 0x08 };
    struct xsr_rhdr h = { .type = XSR_REC_OPTIONAL | XSR_REC_DOMAIN_CONTEXT, .length = 0x1008 };
    uint8_t b[XSR_RHDR_SIZE];
    struct xsr_rhdr d;
    xsr_rhdr_encode(&h, LE, b);
    check_bytes(b, want_le, sizeof(b));
    xsr_rhdr_decode(b, LE, &d);
    assert_int_equal(d.type, h.type);
    assert_int_equal(d.length, h.length);
    xsr_rhdr_encode(&h, BE, b);
    check_bytes(b, want_be, sizeof(b));
    xsr_rhdr_decode(b, BE, &d);
    assert_int_equal(d.type, h.type);
    assert_int_equal(d.length, h.length);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ihdr_make_v3_le), cmocka_unit_test(ihdr_make_v4_be),
        cmocka_unit_test(ihdr_fields),     cmocka_unit_test(dhdr_both_orders),
        cmocka_unit_test(dhdr_fields),     cmocka_unit_test(rhdr_both_orders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
