/* SPDX-License-Identifier: MIT */
/* Format sniffing. */
#include <stdlib.h>

#include "wire_test.h"

/* Detect on a heap copy of exactly n bytes, so over-reads are caught. */
static enum xsr_layer detect(const uint8_t *b, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (n)
        memcpy(p, b, n);
    enum xsr_layer l = xsr_detect(p, n);
    free(p);
    return l;
}

static void xl(void **state)
{
    (void)state;
    uint8_t b[48];
    struct xsr_xl_hdr h = { .order = LE, .mandatory_flags = XSR_XL_FLAG_STREAMV2 };
    xsr_xl_hdr_encode(&h, b);
    assert_int_equal(detect(b, 48), XSR_LAYER_XL);
    assert_int_equal(detect(b, 32), XSR_LAYER_XL);
    for (size_t n = 1; n < 32; n++)
        assert_int_equal(detect(b, n), XSR_LAYER_NONE);
    b[31] = 'X'; /* not the magic any more, nor a legacy start: no save image */
    assert_int_equal(detect(b, 32), XSR_LAYER_NONE);
}

static void libxl(void **state)
{
    (void)state;
    uint8_t b[16];
    struct xsr_libxl_hdr h = { XSR_LIBXL_IDENT, XSR_LIBXL_VERSION, 0 };
    xsr_libxl_hdr_encode(&h, b);
    assert_int_equal(detect(b, 16), XSR_LAYER_LIBXL);
    assert_int_equal(detect(b, 8), XSR_LAYER_LIBXL);
    for (size_t n = 1; n < 8; n++)
        assert_int_equal(detect(b, n), XSR_LAYER_NONE);
    b[5] = 'f'; /* "Libxlfmt": octets 4-7 start no legacy body either */
    assert_int_equal(detect(b, 16), XSR_LAYER_NONE);
}

static void libxc(void **state)
{
    (void)state;
    uint8_t b[24];
    struct xsr_ihdr h = xsr_ihdr_make(3, LE);
    xsr_ihdr_encode(&h, b);
    assert_int_equal(detect(b, 24), XSR_LAYER_LIBXC);
    assert_int_equal(detect(b, 12), XSR_LAYER_LIBXC);
    for (size_t n = 1; n < 12; n++)
        assert_int_equal(detect(b, n), XSR_LAYER_NONE);
    /* all-ones marker with a wrong id: not libxc, and not legacy either */
    b[11] = 'G';
    assert_int_equal(detect(b, 24), XSR_LAYER_NONE);
    /* one zero bit in the marker: not a legacy start (octets 4-7 are no
     * marker or chunk), so no save image */
    xsr_ihdr_encode(&h, b);
    b[7] = 0xfe;
    assert_int_equal(detect(b, 24), XSR_LAYER_NONE);
    assert_int_equal(detect(b, 8), XSR_LAYER_NONE);
}

static void legacy(void **state)
{
    (void)state;
    /* 64-bit writer: p2m_size 0x100000, then ~0 (extended info) */
    static const uint8_t b[16] = {
        0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    };
    assert_int_equal(detect(b, 16), XSR_LAYER_LEGACY);
    assert_int_equal(detect(b, 8), XSR_LAYER_LEGACY);
    /* a zero bit in the bytes present already decides */
    assert_int_equal(detect(b, 1), XSR_LAYER_LEGACY);
    static const uint8_t c[8] = { 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff };
    assert_int_equal(detect(c, 8), XSR_LAYER_LEGACY);
    assert_int_equal(detect(c, 3), XSR_LAYER_NONE);
    assert_int_equal(detect(c, 4), XSR_LAYER_LEGACY);
    /* 64-bit HVM writer: p2m_size, then a page batch of 3 */
    static const uint8_t hvm[16] = { 0x00, 0x01, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 };
    assert_int_equal(detect(hvm, 16), XSR_LAYER_LEGACY);
    /* an ELF header is neither: not a Xen save image */
    static const uint8_t elf[24] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
    assert_int_equal(detect(elf, 24), XSR_LAYER_NONE);
}

static void short_inputs(void **state)
{
    (void)state;
    static const uint8_t ff[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    assert_int_equal(detect(ff, 0), XSR_LAYER_NONE);
    assert_int_equal(xsr_detect(NULL, 0), XSR_LAYER_NONE);
    for (size_t n = 1; n <= 8; n++)
        assert_int_equal(detect(ff, n), XSR_LAYER_NONE);
    assert_int_equal(detect((const uint8_t *)"X", 1), XSR_LAYER_NONE);
    assert_int_equal(detect((const uint8_t *)"L", 1), XSR_LAYER_NONE);
    assert_int_equal(detect((const uint8_t *)"Q", 1), XSR_LAYER_LEGACY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xl),     cmocka_unit_test(libxl),
        cmocka_unit_test(libxc),  cmocka_unit_test(legacy),
        cmocka_unit_test(short_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
