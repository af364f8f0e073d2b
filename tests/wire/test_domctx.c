/* SPDX-License-Identifier: MIT */
/* DOMAIN_CONTEXT blob: codecs, xsr_domctx_put and the iterator. */
#include <stdlib.h>

#include "wire_test.h"

#define EXAMPLE_SIZE 3216u /* the x86_64 example blob of Xen v9 */

static const struct xsr_domctx_header example_hdr = {
    .magic = XSR_DOMCTX_MAGIC, .xen_major = 4, .xen_minor = 14, .version = XSR_DOMCTX_VERSION,
};
static const struct xsr_domctx_tsc example_tsc = {
    .mode = 2, .incarnation = 5, .elapsed_nsec = 0x0000001122334455ULL, .khz = 2400000,
    .tail = 0xdeadbeef, /* never initialised by Xen: any value */
};

/* Build the example (HEADER, SHARED_INFO native, TSC_INFO, END) at dst, or
 * only measure it with dst NULL.  Returns the last put's result. */
static int build_example(uint8_t *dst, size_t cap, size_t *off, enum xsr_byte_order o)
{
    uint8_t hdr[XSR_DOMCTX_HEADER_SIZE];
    xsr_domctx_header_encode(&example_hdr, o, hdr);
    static uint8_t shinfo[XSR_DOMCTX_SHINFO_HDR_SIZE + XSR_DOMCTX_SHINFO_MAX];
    xsr_domctx_shinfo_encode_hdr(0, XSR_DOMCTX_SHINFO_MAX, o, shinfo);
    for (uint32_t i = 0; i < XSR_DOMCTX_SHINFO_MAX; i++)
        shinfo[XSR_DOMCTX_SHINFO_HDR_SIZE + i] = (uint8_t)(i * 7 + 1);
    uint8_t tsc[XSR_DOMCTX_TSC_SIZE];
    xsr_domctx_tsc_encode(&example_tsc, o, tsc);

    int rc = 0;
    /* HEADER: 12 bytes of fields, padded to 16 by put */
    if ((rc = xsr_domctx_put(dst, cap, off, XSR_DOMCTX_HEADER, 0, hdr, 12, o)) < 0)
        return rc;
    if ((rc = xsr_domctx_put(dst, cap, off, XSR_DOMCTX_SHARED_INFO, 0, shinfo, sizeof(shinfo),
                             o)) < 0)
        return rc;
    if ((rc = xsr_domctx_put(dst, cap, off, XSR_DOMCTX_TSC_INFO, 0, tsc, sizeof(tsc), o)) < 0)
        return rc;
    return xsr_domctx_put(dst, cap, off, XSR_DOMCTX_END, 0, NULL, 0, o);
}

static void header_codec(void **state)
{
    (void)state;
    static const uint8_t want_le[16] = {
        0x45, 0x56, 0x41, 0x53, 0x04, 0x00, 0x0e, 0x00, 0x01, 0, 0, 0, 0x0d, 0x0c, 0x0b, 0x0a,
    };
    static const uint8_t want_be[16] = {
        0x53, 0x41, 0x56, 0x45, 0x00, 0x04, 0x00, 0x0e, 0, 0, 0, 0x01, 0x0a, 0x0b, 0x0c, 0x0d,
    };
    struct xsr_domctx_header h = example_hdr, d;
    h.pad = 0x0a0b0c0d;
    uint8_t b[16];
    xsr_domctx_header_encode(&h, LE, b);
    check_bytes(b, want_le, 16);
    xsr_domctx_header_decode(b, LE, &d);
    assert_memory_equal(&d, &h, sizeof(h));
    xsr_domctx_header_encode(&h, BE, b);
    check_bytes(b, want_be, 16);
    xsr_domctx_header_decode(b, BE, &d);
    assert_memory_equal(&d, &h, sizeof(h));
}

static void tsc_codec(void **state)
{
    (void)state;
    /* mode, incarnation, elapsed_nsec, khz, tail: not the X86_TSC_INFO order */
    static const uint8_t want_le[24] = {
        0x02, 0, 0, 0, 0x05, 0, 0, 0, 0x55, 0x44, 0x33, 0x22, 0x11, 0, 0, 0,
        0x00, 0x9f, 0x24, 0x00, 0xef, 0xbe, 0xad, 0xde,
    };
    static const uint8_t want_be[24] = {
        0, 0, 0, 0x02, 0, 0, 0, 0x05, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55,
        0x00, 0x24, 0x9f, 0x00, 0xde, 0xad, 0xbe, 0xef,
    };
    struct xsr_domctx_tsc d;
    uint8_t b[24];
    xsr_domctx_tsc_encode(&example_tsc, LE, b);
    check_bytes(b, want_le, 24);
    xsr_domctx_tsc_decode(b, LE, &d);
    assert_memory_equal(&d, &example_tsc, sizeof(d));
    xsr_domctx_tsc_encode(&example_tsc, BE, b);
    check_bytes(b, want_be, 24);
    xsr_domctx_tsc_decode(b, BE, &d);
    assert_memory_equal(&d, &example_tsc, sizeof(d));
}

static int shinfo_at(const uint8_t *src, uint32_t len, enum xsr_byte_order o,
                     struct xsr_domctx_shinfo *v, struct xsr_error *err)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, src, len);
    int rc = xsr_domctx_shinfo_decode(p, len, o, v, err);
    free(p);
    return rc;
}

static void shinfo_codec(void **state)
{
    (void)state;
    static const uint8_t want_le[8] = { 0x01, 0, 0, 0, 0x28, 0x09, 0, 0 };
    static const uint8_t want_be[8] = { 0, 0, 0, 0x01, 0, 0, 0x09, 0x28 };
    uint8_t b[8 + 2344 + 8] = { 0 };
    struct xsr_domctx_shinfo v;
    struct xsr_error err;
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        xsr_domctx_shinfo_encode_hdr(XSR_DOMCTX_SHINFO_32BIT, 2344, o, b);
        check_bytes(b, k ? want_be : want_le, 8);
        xsr_error_clear(&err);
        assert_int_equal(xsr_domctx_shinfo_decode(b, 8 + 2344, o, &v, &err), 0);
        assert_int_equal(v.flags, XSR_DOMCTX_SHINFO_32BIT);
        assert_int_equal(v.buffer_size, 2344);
        assert_ptr_equal(v.buffer, b + 8);
        /* padding after the buffer is allowed (length counts it) */
        assert_int_equal(shinfo_at(b, 8 + 2344 + 8, o, &v, &err), 0);
        assert_int_equal(shinfo_at(b, 8 + 2344, o, &v, &err), 0);
        check_error(shinfo_at(b, 8 + 2343, o, &v, &err), &err, XSR_EFORMAT,
                    "SHARED_INFO buffer_size 2344 exceeds the 2343 bytes after its header");
        check_error(shinfo_at(b, 7, o, &v, &err), &err, XSR_EFORMAT,
                    "SHARED_INFO length 7 is shorter than its 8-byte header");
        xsr_domctx_shinfo_encode_hdr(0, UINT32_MAX, o, b);
        check_error(shinfo_at(b, 16, o, &v, &err), &err, XSR_EFORMAT,
                    "buffer_size 4294967295 exceeds the 8 bytes");
        xsr_domctx_shinfo_encode_hdr(0, 0, o, b);
        assert_int_equal(shinfo_at(b, 8, o, &v, &err), 0);
        assert_int_equal(v.buffer_size, 0);
    }
}

static void put_example(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        size_t size = 0;
        assert_int_equal(build_example(NULL, 0, &size, o), 0);
        assert_int_equal(size, EXAMPLE_SIZE);

        uint8_t *blob = malloc(EXAMPLE_SIZE);
        assert_non_null(blob);
        memset(blob, 0xee, EXAMPLE_SIZE);
        size_t off = 0;
        assert_int_equal(build_example(blob, EXAMPLE_SIZE, &off, o), 0);
        assert_int_equal(off, EXAMPLE_SIZE);

        /* descriptors at the offsets of the worked example */
        static const uint8_t d_hdr_le[8] = { 0x01, 0, 0, 0, 0x10, 0, 0, 0 };
        static const uint8_t d_hdr_be[8] = { 0, 0x01, 0, 0, 0, 0, 0, 0x10 };
        static const uint8_t d_shi_le[8] = { 0x02, 0, 0, 0, 0x48, 0x0c, 0, 0 };
        static const uint8_t d_shi_be[8] = { 0, 0x02, 0, 0, 0, 0, 0x0c, 0x48 };
        static const uint8_t d_tsc_le[8] = { 0x03, 0, 0, 0, 0x18, 0, 0, 0 };
        static const uint8_t d_tsc_be[8] = { 0, 0x03, 0, 0, 0, 0, 0, 0x18 };
        static const uint8_t d_end[8] = { 0 };
        static const uint8_t hdr_le[16] = {
            0x45, 0x56, 0x41, 0x53, 0x04, 0x00, 0x0e, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0,
        };
        static const uint8_t hdr_be[16] = {
            0x53, 0x41, 0x56, 0x45, 0x00, 0x04, 0x00, 0x0e, 0, 0, 0, 0x01, 0, 0, 0, 0,
        };
        static const uint8_t shi_le[8] = { 0, 0, 0, 0, 0x40, 0x0c, 0, 0 };
        static const uint8_t shi_be[8] = { 0, 0, 0, 0, 0, 0, 0x0c, 0x40 };
        check_bytes(blob + 0, k ? d_hdr_be : d_hdr_le, 8);
        check_bytes(blob + 8, k ? hdr_be : hdr_le, 16);
        check_bytes(blob + 24, k ? d_shi_be : d_shi_le, 8);
        check_bytes(blob + 32, k ? shi_be : shi_le, 8);
        assert_int_equal(blob[40], 1);
        assert_int_equal(blob[40 + 3135], (uint8_t)(3135 * 7 + 1));
        check_bytes(blob + 3176, k ? d_tsc_be : d_tsc_le, 8);
        check_bytes(blob + 3208, d_end, 8);
        free(blob);
    }
}

static void put_padding_and_limits(void **state)
{
    (void)state;
    static const uint8_t want[16] = {
        0x09, 0, 0x02, 0, 0x08, 0, 0, 0, 'a', 'b', 'c', 'd', 'e', 0, 0, 0,
    };
    uint8_t b[17];
    memset(b, 0xee, sizeof(b));
    size_t off = 0;
    assert_int_equal(xsr_domctx_put(b, 16, &off, 9, 2, (const uint8_t *)"abcde", 5, LE), 0);
    assert_int_equal(off, 16);
    check_bytes(b, want, 16);
    assert_int_equal(b[16], 0xee);

    /* does not fit: nothing written, *off still advanced */
    memset(b, 0xee, sizeof(b));
    off = 0;
    assert_int_equal(xsr_domctx_put(b, 15, &off, 9, 2, (const uint8_t *)"abcde", 5, LE),
                     XSR_ELIMIT);
    assert_int_equal(off, 16);
    assert_int_equal(b[0], 0xee);
    /* starting past cap */
    off = 20;
    assert_int_equal(xsr_domctx_put(b, 16, &off, 0, 0, NULL, 0, LE), XSR_ELIMIT);
    assert_int_equal(off, 28);

    /* NULL body: zeros reserved for the caller */
    memset(b, 0xee, sizeof(b));
    off = 0;
    assert_int_equal(xsr_domctx_put(b, 16, &off, 1, 0, NULL, 3, BE), 0);
    static const uint8_t want_zero[16] = { 0, 1, 0, 0, 0, 0, 0, 8 };
    check_bytes(b, want_zero, 16);

    /* a body whose padded size does not fit the u32 length */
    off = 0;
    assert_int_equal(xsr_domctx_put(NULL, 0, &off, 1, 0, NULL, UINT32_MAX, LE), XSR_EINVAL);
    assert_int_equal(xsr_domctx_put(NULL, 0, &off, 1, 0, NULL, UINT32_MAX - 7, LE), 0);
    assert_int_equal(off, 8 + (size_t)UINT32_MAX - 7);
    /* size_t overflow of *off */
    off = SIZE_MAX - 8;
    assert_int_equal(xsr_domctx_put(NULL, 0, &off, 1, 0, NULL, 8, LE), XSR_ELIMIT);
}

static void iterate_example(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        uint8_t *blob = malloc(EXAMPLE_SIZE);
        assert_non_null(blob);
        size_t off = 0;
        assert_int_equal(build_example(blob, EXAMPLE_SIZE, &off, o), 0);

        static const struct { size_t off; uint16_t type; uint32_t len; } want[] = {
            { 0, XSR_DOMCTX_HEADER, 16 },
            { 24, XSR_DOMCTX_SHARED_INFO, 3144 },
            { 3176, XSR_DOMCTX_TSC_INFO, 24 },
            { 3208, XSR_DOMCTX_END, 0 },
        };
        struct xsr_domctx_iter it;
        struct xsr_domctx_entry e;
        struct xsr_error err;
        xsr_error_clear(&err);
        xsr_domctx_iter_init(&it, blob, EXAMPLE_SIZE, o);
        for (size_t i = 0; i < NELEM(want); i++) {
            assert_int_equal(xsr_domctx_next(&it, &e, &err), 1);
            assert_int_equal(e.offset, want[i].off);
            assert_int_equal(e.desc.typecode, want[i].type);
            assert_int_equal(e.desc.instance, 0);
            assert_int_equal(e.desc.length, want[i].len);
            assert_ptr_equal(e.body, blob + want[i].off + 8);
            if (want[i].type == XSR_DOMCTX_HEADER) {
                struct xsr_domctx_header h;
                xsr_domctx_header_decode(e.body, o, &h);
                assert_memory_equal(&h, &example_hdr, sizeof(h));
            } else if (want[i].type == XSR_DOMCTX_SHARED_INFO) {
                struct xsr_domctx_shinfo s;
                assert_int_equal(xsr_domctx_shinfo_decode(e.body, e.desc.length, o, &s, &err), 0);
                assert_int_equal(s.flags, 0);
                assert_int_equal(s.buffer_size, XSR_DOMCTX_SHINFO_MAX);
                assert_ptr_equal(s.buffer, blob + 40);
            } else if (want[i].type == XSR_DOMCTX_TSC_INFO) {
                struct xsr_domctx_tsc t;
                xsr_domctx_tsc_decode(e.body, o, &t);
                assert_memory_equal(&t, &example_tsc, sizeof(t));
            }
        }
        assert_int_equal(xsr_domctx_next(&it, &e, &err), 0);
        assert_int_equal(xsr_domctx_next(&it, &e, &err), 0);
        assert_int_equal(err.code, 0);
        free(blob);
    }
}

/* Walk a copy of the first len bytes of blob; returns the final result. */
static int walk(const uint8_t *blob, size_t len, enum xsr_byte_order o, int *entries,
                struct xsr_error *err)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, blob, len);
    struct xsr_domctx_iter it;
    struct xsr_domctx_entry e;
    int rc;
    *entries = 0;
    xsr_domctx_iter_init(&it, p, len, o);
    while ((rc = xsr_domctx_next(&it, &e, err)) == 1)
        (*entries)++;
    free(p);
    return rc;
}

static void iterate_errors(void **state)
{
    (void)state;
    uint8_t *blob = malloc(EXAMPLE_SIZE);
    assert_non_null(blob);
    size_t off = 0;
    assert_int_equal(build_example(blob, EXAMPLE_SIZE, &off, LE), 0);
    struct xsr_error err;
    int n;

    /* truncated END descriptor */
    for (size_t cut = 1; cut < 8; cut++) {
        xsr_error_clear(&err);
        check_error(walk(blob, EXAMPLE_SIZE - cut, LE, &n, &err), &err, XSR_EFORMAT,
                    "domain context descriptor at offset 3208 is truncated");
        assert_int_equal(n, 3);
    }
    check_error(walk(blob, EXAMPLE_SIZE - 1, LE, &n, &err), &err, XSR_EFORMAT,
                "7 bytes left of the 8 it needs");
    /* the whole END descriptor missing: a clean end for the iterator */
    assert_int_equal(walk(blob, EXAMPLE_SIZE - 8, LE, &n, &err), 0);
    assert_int_equal(n, 3);
    /* body of TSC_INFO cut short */
    check_error(walk(blob, 3200, LE, &n, &err), &err, XSR_EFORMAT,
                "domain context entry at offset 3176 (type 3, instance 0) has length 24 but "
                "only 16 bytes follow its descriptor");
    assert_int_equal(n, 2);

    /* an entry whose length runs past the end */
    xsr_st32(blob + 3176 + 4, 33, LE);
    check_error(walk(blob, EXAMPLE_SIZE, LE, &n, &err), &err, XSR_EFORMAT,
                "has length 33 but only 32 bytes follow");
    xsr_st32(blob + 3176 + 4, 32, LE); /* swallows END exactly */
    assert_int_equal(walk(blob, EXAMPLE_SIZE, LE, &n, &err), 0);
    assert_int_equal(n, 3);
    xsr_st32(blob + 3176 + 4, UINT32_MAX, LE);
    check_error(walk(blob, EXAMPLE_SIZE, LE, &n, &err), &err, XSR_EFORMAT,
                "has length 4294967295");
    assert_int_equal(walk(blob, 0, LE, &n, &err), 0);
    assert_int_equal(n, 0);
    free(blob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_codec),    cmocka_unit_test(tsc_codec),
        cmocka_unit_test(shinfo_codec),    cmocka_unit_test(put_example),
        cmocka_unit_test(put_padding_and_limits), cmocka_unit_test(iterate_example),
        cmocka_unit_test(iterate_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
