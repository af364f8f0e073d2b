/* SPDX-License-Identifier: MIT */
/* Byte helpers and padding arithmetic. */
#include "wire_test.h"

static void all_zero(void **state)
{
    (void)state;
    uint8_t b[17] = { 0 };
    assert_true(xsr_all_zero(b, sizeof(b)));
    assert_true(xsr_all_zero(b, 0));
    b[16] = 1;
    assert_false(xsr_all_zero(b, sizeof(b)));
    assert_true(xsr_all_zero(b, 16));
    b[0] = 0x80;
    assert_false(xsr_all_zero(b, 1));
}

static void load_store(void **state)
{
    (void)state;
    uint8_t b[8];
    static const uint8_t le[8] = { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
    static const uint8_t be[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
    xsr_st64(b, 0x0102030405060708ULL, LE);
    check_bytes(b, le, 8);
    xsr_st64(b, 0x0102030405060708ULL, BE);
    check_bytes(b, be, 8);
    assert_int_equal(xsr_ld64(le, LE), 0x0102030405060708ULL);
    assert_int_equal(xsr_ld64(be, BE), 0x0102030405060708ULL);
    assert_int_equal(xsr_ld32(le, LE), 0x05060708u);
    assert_int_equal(xsr_ld32(be, BE), 0x01020304u);
    assert_int_equal(xsr_ld16(le, LE), 0x0708u);
    assert_int_equal(xsr_ld16(be, BE), 0x0102u);
}

static void padding(void **state)
{
    (void)state;
    assert_int_equal(xsr_rec_pad(0), 0);
    assert_int_equal(xsr_rec_pad(1), 7);
    assert_int_equal(xsr_rec_pad(8), 0);
    assert_int_equal(xsr_rec_pad(12), 4);
    assert_int_equal(xsr_rec_padded(12), 16);
    assert_int_equal(xsr_rec_padded(UINT32_MAX), 0x100000000ULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_zero),
        cmocka_unit_test(load_store),
        cmocka_unit_test(padding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
