/* SPDX-License-Identifier: MIT */
/* Unit tests of the Remus page encoding and the LRU page cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "convert/convert_internal.h"

static void fill(uint8_t *p, uint64_t seed)
{
    for (unsigned i = 0; i < XSR_PAGE_SIZE; i++)
        p[i] = (uint8_t)xsri_mix64(seed + i);
}

static void test_full_and_empty(void **state)
{
    uint8_t page[XSR_PAGE_SIZE], out[XSRI_DELTA_MAX], dec[XSR_PAGE_SIZE];
    bool needs;
    (void)state;

    fill(page, 1);
    /* No base: the whole page behind the FULL marker. */
    assert_int_equal(xsri_delta_encode(page, NULL, out), XSR_PAGE_SIZE + 1);
    assert_int_equal(out[0], XSRI_DELTA_FULL);
    assert_memory_equal(out + 1, page, XSR_PAGE_SIZE);
    assert_int_equal(xsri_delta_decode(out, XSR_PAGE_SIZE + 1, NULL, dec, &needs, NULL),
                     XSR_PAGE_SIZE + 1);
    assert_false(needs);
    assert_memory_equal(dec, page, XSR_PAGE_SIZE);
    /* Incomplete FULL encoding: more input needed. */
    assert_int_equal(xsri_delta_decode(out, XSR_PAGE_SIZE, NULL, dec, &needs, NULL), 0);

    /* Unchanged against the base: one EMPTY byte. */
    assert_int_equal(xsri_delta_encode(page, page, out), 1);
    assert_int_equal(out[0], XSRI_DELTA_EMPTY);
    memset(dec, 0, sizeof(dec));
    assert_int_equal(xsri_delta_decode(out, 1, page, dec, &needs, NULL), 1);
    assert_true(needs);
    assert_memory_equal(dec, page, XSR_PAGE_SIZE);
}

static void test_runs(void **state)
{
    uint8_t base[XSR_PAGE_SIZE], page[XSR_PAGE_SIZE], out[XSRI_DELTA_MAX], dec[XSR_PAGE_SIZE];
    bool needs;
    size_t n;
    (void)state;

    fill(base, 2);
    memcpy(page, base, sizeof(page));
    /* words 0, 10..139 (a run longer than 127 words) and the last one change */
    page[0] ^= 1;
    for (unsigned w = 10; w < 140; w++)
        page[4 * w + 1] ^= 0x55;
    page[XSR_PAGE_SIZE - 1] ^= 0x80;
    n = xsri_delta_encode(page, base, out);
    /* run(1) skip(9) run(127) run(3) skip(127)x7 skip(...) run(1) */
    assert_int_equal(out[0], 1);
    assert_int_equal(out[5], XSRI_DELTA_SKIP | 9);
    assert_int_equal(out[6], 127);
    assert_true(n < 4 * 135 + 40);
    assert_int_equal(xsri_delta_decode(out, n, base, dec, &needs, NULL), (long)n);
    assert_true(needs);
    assert_memory_equal(dec, page, XSR_PAGE_SIZE);
    /* Every prefix is "incomplete", never an error. */
    for (size_t k = 0; k < n; k++)
        assert_int_equal(xsri_delta_decode(out, k, base, dec, &needs, NULL), 0);
    /* Runs that keep part of a base the receiver lacks: an error. */
    struct xsr_error err;
    xsr_error_clear(&err);
    assert_int_equal(xsri_delta_decode(out, n, NULL, dec, &needs, &err), XSR_EFORMAT);
    assert_non_null(strstr(err.message, "never sent in compressed form"));
}

static void test_bad_runs(void **state)
{
    uint8_t in[8], dec[XSR_PAGE_SIZE], base[XSR_PAGE_SIZE];
    struct xsr_error err;
    bool needs;
    (void)state;

    memset(base, 0, sizeof(base));
    /* a run of zero words after a valid one */
    in[0] = XSRI_DELTA_SKIP | 1;
    in[1] = XSRI_DELTA_SKIP | 0;
    xsr_error_clear(&err);
    assert_int_equal(xsri_delta_decode(in, 2, base, dec, &needs, &err), XSR_EFORMAT);
    assert_non_null(strstr(err.message, "zero-length run"));
    /* runs covering more than a page: 9 skips of 127 words = 4572 bytes */
    uint8_t over[9];
    memset(over, XSRI_DELTA_SKIP | 127, sizeof(over));
    xsr_error_clear(&err);
    assert_int_equal(xsri_delta_decode(over, sizeof(over), base, dec, &needs, &err), XSR_EFORMAT);
    assert_non_null(strstr(err.message, "more than a page"));
}

static void test_too_long(void **state)
{
    /* 1024 runs of one changed word each: 5120 bytes, more than the longest
     * encoding a sender makes (XSRI_DELTA_MAX), which is all a receiver
     * keeps of an encoding split across compressed chunks. */
    static uint8_t in[1024 * 5];
    uint8_t dec[XSR_PAGE_SIZE];
    struct xsr_error err;
    bool needs;
    (void)state;

    for (unsigned i = 0; i < 1024; i++) {
        in[5 * i] = 1;
        memset(in + 5 * i + 1, (int)i, 4);
    }
    xsr_error_clear(&err);
    assert_int_equal(xsri_delta_decode(in, sizeof(in), NULL, dec, &needs, &err), XSR_EFORMAT);
    assert_non_null(strstr(err.message, "longer than"));
    /* A prefix of XSRI_DELTA_MAX bytes or more is an error, not "more input
     * needed"; a shorter one may still be incomplete. */
    for (size_t k = XSRI_DELTA_MAX; k < XSRI_DELTA_MAX + 8; k++) {
        xsr_error_clear(&err);
        assert_int_equal(xsri_delta_decode(in, k, NULL, dec, &needs, &err), XSR_EFORMAT);
    }
    assert_int_equal(xsri_delta_decode(in, XSRI_DELTA_MAX - 1, NULL, dec, &needs, NULL), 0);
}

static void test_cache_lru(void **state)
{
    struct xsri_dcache *c = xsri_dcache_new(3);
    (void)state;

    assert_non_null(c);
    assert_null(xsri_dcache_get(c, 7));
    uint8_t *a = xsri_dcache_put(c, 1);
    uint8_t *b = xsri_dcache_put(c, 2);
    uint8_t *d = xsri_dcache_put(c, 3);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(d);
    a[0] = 1;
    b[0] = 2;
    d[0] = 3;
    /* touch 1: 2 is now the least recently used */
    assert_ptr_equal(xsri_dcache_get(c, 1), a);
    uint8_t *e = xsri_dcache_put(c, 4);
    assert_ptr_equal(e, b); /* 2's slot reused */
    assert_null(xsri_dcache_get(c, 2));
    assert_non_null(xsri_dcache_get(c, 1));
    assert_non_null(xsri_dcache_get(c, 3));
    assert_non_null(xsri_dcache_get(c, 4));
    /* dropping frees a slot: the next insertion evicts nothing */
    xsri_dcache_drop(c, 3);
    assert_null(xsri_dcache_get(c, 3));
    assert_ptr_equal(xsri_dcache_put(c, 5), d);
    assert_non_null(xsri_dcache_get(c, 1));
    assert_non_null(xsri_dcache_get(c, 4));
    assert_non_null(xsri_dcache_get(c, 5));
    xsri_dcache_drop(c, 99); /* absent: nothing happens */
    xsri_dcache_free(c);
}

static void test_cache_many(void **state)
{
    /* Many pfns through a small cache: the table stays consistent under
     * eviction and deletion (backward-shift). */
    struct xsri_dcache *c = xsri_dcache_new(64);
    (void)state;

    for (uint64_t i = 0; i < 20000; i++) {
        uint64_t pfn = xsri_mix64(i) % 500;
        uint8_t *p = xsri_dcache_get(c, pfn);
        if (i % 7 == 0) {
            xsri_dcache_drop(c, pfn);
            assert_null(xsri_dcache_get(c, pfn));
        } else if (!p) {
            p = xsri_dcache_put(c, pfn);
            assert_non_null(p);
            memcpy(p, &pfn, sizeof(pfn));
        } else {
            uint64_t v;
            memcpy(&v, p, sizeof(v));
            assert_int_equal(v, pfn);
        }
    }
    xsri_dcache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_and_empty),
        cmocka_unit_test(test_runs),
        cmocka_unit_test(test_bad_runs),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_cache_lru),
        cmocka_unit_test(test_cache_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
