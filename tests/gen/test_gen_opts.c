/* SPDX-License-Identifier: MIT */
/*
 * Generator options, page contents and the final-memory model
 * (xsr_gen_opts_init, xsr_gen_page_fill, xsr_gen_final_page/_type).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xsr/gen.h>
#include <xsr/io.h>

/* Words of two generated pages (seed 0, first pass): the content function is
 * part of what the golden vectors pin down. */
#define PIN_SEED0_PFN1_WORD0 0x6385db21fcdf744dULL
#define PIN_SEED0_PFN2_WORD511 0xc2ec20e5de5a4f43ULL

static void test_defaults(void **state)
{
    (void)state;
    struct xsr_gen_opts o;
    memset(&o, 0x5a, sizeof(o));
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    assert_int_equal(o.size, sizeof(o));
    assert_int_equal(o.version, 3);
    assert_int_equal(o.dom_type, XSR_DOM_X86_PV);
    assert_int_equal(o.order, XSR_LITTLE_ENDIAN);
    assert_int_equal(o.wrap, XSR_LAYER_LIBXC);
    assert_int_equal(o.guest_width, 8);
    assert_int_equal(o.nr_pages, 256);
    assert_int_equal(o.nr_vcpus, 1);
    assert_int_equal(o.live_passes, 0);
    assert_int_equal(o.checkpoints, 0);
    assert_false(o.verify_pass);
    assert_false(o.all_records);
    assert_true(o.page_tables);
    assert_int_equal(o.seed, 0);
    xsr_gen_opts_init(&o, 4, XSR_DOM_X86_HVM);
    assert_false(o.page_tables);
    assert_int_equal(o.dom_type, XSR_DOM_X86_HVM);
}

/* Bad options: XSR_EINVAL, a message naming the value, and nothing written. */
static void expect_invalid(const struct xsr_gen_opts *o, const char *msg)
{
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_writer(&err);
    assert_non_null(ch);
    assert_int_equal(xsr_gen_write(o, ch, &err), XSR_EINVAL);
    assert_int_equal(err.code, XSR_EINVAL);
    if (!strstr(err.message, msg))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, msg);
    size_t n = 1;
    xsr_chan_mem_data(ch, &n);
    assert_int_equal(n, 0);
    xsr_chan_close(ch, NULL);
    uint8_t page[XSR_PAGE_SIZE];
    assert_int_equal(xsr_gen_final_page(o, 0, page), XSR_EINVAL);
    assert_int_equal(xsr_gen_final_type(o, 0), XSR_EINVAL);
}

static void test_invalid(void **state)
{
    (void)state;
    struct xsr_gen_opts o;

    xsr_gen_opts_init(&o, 5, XSR_DOM_X86_PV);
    expect_invalid(&o, "version 5: only 2, 3 and 4");
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PVH);
    expect_invalid(&o, "domain type 3: only x86 PV (1) and x86 HVM (2)");
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.guest_width = 6;
    expect_invalid(&o, "width 6 is neither 8 (64-bit) nor 4 (32-bit)");
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.nr_pages = 15;
    expect_invalid(&o, "guest of 15 pages: the generator needs 16 to");
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_HVM);
    o.nr_vcpus = 0;
    expect_invalid(&o, "0 vCPUs: the generator needs 1 to 4096");
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_HVM);
    o.verify_pass = true;
    o.checkpoints = 2;
    expect_invalid(&o, "VERIFY pass exists only in plain streams");
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.live_passes = 1001;
    expect_invalid(&o, "1001 live passes: at most 1000");
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.wrap = XSR_LAYER_LEGACY;
    expect_invalid(&o, "use libxc, libxl or xl");
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.order = (enum xsr_byte_order)2;
    expect_invalid(&o, "byte order 2 is neither");
    /* 64-bit PV, 2 vCPUs: 11 special pages, pfn 0, and 4 pages without data */
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.nr_pages = 16;
    o.nr_vcpus = 2;
    o.all_records = true;
    o.live_passes = 1;
    expect_invalid(&o, "needs at least 17 pages, not 16");
    o.live_passes = 0;
    uint8_t page[XSR_PAGE_SIZE];
    assert_int_equal(xsr_gen_final_page(&o, 0, page), 1); /* 16 is enough without */
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static unsigned nonzero_words(const uint8_t *p)
{
    unsigned k = 0;
    for (size_t i = 0; i < XSR_PAGE_SIZE; i += 8)
        k += !all_zero(p + i, 8);
    return k;
}

static bool repeats_first_line(const uint8_t *p)
{
    for (size_t off = 64; off < XSR_PAGE_SIZE; off += 64)
        if (memcmp(p, p + off, 64) != 0)
            return false;
    return true;
}

static void test_page_fill(void **state)
{
    (void)state;
    uint8_t a[XSR_PAGE_SIZE], b[XSR_PAGE_SIZE];
    unsigned zero = 0, sparse = 0, lines = 0, random = 0;

    for (uint64_t pfn = 1; pfn < 4096; pfn++) {
        if (pfn % 32 == 0)
            continue;
        xsr_gen_page_fill(7, pfn, 0, a);
        xsr_gen_page_fill(7, pfn, 0, b);
        assert_memory_equal(a, b, XSR_PAGE_SIZE);
        unsigned nz = nonzero_words(a);
        if (nz == 0)
            zero++;
        else if (nz <= 8)
            sparse++;
        else if (repeats_first_line(a))
            lines++;
        else
            random++;
    }
    /* one in eight of each special kind, the rest random */
    assert_in_range(zero, 350, 650);
    assert_in_range(sparse, 350, 650);
    assert_in_range(lines, 350, 650);
    assert_in_range(random, 2300, 2900);

    /* multiples of 32 are zero in the first pass only */
    memset(a, 0xaa, sizeof(a));
    xsr_gen_page_fill(7, 64, 0, a);
    assert_true(all_zero(a, XSR_PAGE_SIZE));
    unsigned nonzero_later = 0;
    for (unsigned pass = 1; pass <= 8; pass++) {
        xsr_gen_page_fill(7, 64, pass, a);
        nonzero_later += !all_zero(a, XSR_PAGE_SIZE);
    }
    assert_true(nonzero_later >= 4);

    /* pass and seed change the contents */
    unsigned same_pass = 0, same_seed = 0;
    for (uint64_t pfn = 1; pfn < 64; pfn++) {
        xsr_gen_page_fill(7, pfn, 0, a);
        xsr_gen_page_fill(7, pfn, 1, b);
        same_pass += memcmp(a, b, XSR_PAGE_SIZE) == 0;
        xsr_gen_page_fill(8, pfn, 0, b);
        same_seed += memcmp(a, b, XSR_PAGE_SIZE) == 0;
    }
    assert_true(same_pass < 8); /* only where both copies are all-zero pages */
    assert_true(same_seed < 8);

    /* contents are pinned: the golden vectors depend on them */
    xsr_gen_page_fill(0, 1, 0, a);
    xsr_gen_page_fill(0, 2, 0, b);
    assert_int_equal(xsr_ld64(a, XSR_LITTLE_ENDIAN), PIN_SEED0_PFN1_WORD0);
    assert_int_equal(xsr_ld64(b + 4088, XSR_LITTLE_ENDIAN), PIN_SEED0_PFN2_WORD511);
}

static void count_types(const struct xsr_gen_opts *o, unsigned counts[17])
{
    memset(counts, 0, 17 * sizeof(counts[0]));
    for (uint64_t pfn = 0; pfn < o->nr_pages; pfn++) {
        int t = xsr_gen_final_type(o, pfn);
        assert_in_range(t, 0, 15);
        counts[t]++;
    }
    assert_int_equal(xsr_gen_final_type(o, o->nr_pages), XSR_GEN_NOT_SENT);
}

static void test_final_model_pv(void **state)
{
    (void)state;
    struct xsr_gen_opts o;
    unsigned c[17];
    uint8_t page[XSR_PAGE_SIZE], fill[XSR_PAGE_SIZE];

    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.nr_pages = 16;
    count_types(&o, c);
    /* kernel and user L4 (pinned), one L3, L2 and L1 */
    assert_int_equal(c[XSR_PFN_L4TAB_PIN], 2);
    assert_int_equal(c[XSR_PFN_L3TAB], 1);
    assert_int_equal(c[XSR_PFN_L2TAB], 1);
    assert_int_equal(c[XSR_PFN_L1TAB], 1);
    assert_int_equal(c[XSR_PFN_NOTAB], 11);

    /* an ordinary page ends as sent in the first pass; past the end: nothing */
    assert_int_equal(xsr_gen_final_page(&o, 15, page), 1);
    xsr_gen_page_fill(o.seed, 15, 0, fill);
    assert_memory_equal(page, fill, XSR_PAGE_SIZE);
    memset(page, 0xaa, sizeof(page));
    assert_int_equal(xsr_gen_final_page(&o, 16, page), 0);
    assert_true(all_zero(page, XSR_PAGE_SIZE));

    /* all_records: one page each BROKEN, XALLOC, XTAB, all without contents */
    o.all_records = true;
    count_types(&o, c);
    assert_int_equal(c[XSR_PFN_BROKEN], 1);
    assert_int_equal(c[XSR_PFN_XALLOC], 1);
    assert_int_equal(c[XSR_PFN_XTAB], 1);
    assert_int_equal(c[XSR_PFN_NOTAB], 8);
    for (uint64_t pfn = 0; pfn < o.nr_pages; pfn++) {
        int t = xsr_gen_final_type(&o, pfn);
        memset(page, 0xaa, sizeof(page));
        assert_int_equal(xsr_gen_final_page(&o, pfn, page), xsr_pfn_type_has_data((unsigned)t));
        if (!xsr_pfn_type_has_data((unsigned)t))
            assert_true(all_zero(page, XSR_PAGE_SIZE));
    }

    /* live: one more page disappears, the deferred L1 table ends with its data */
    o.live_passes = 2;
    count_types(&o, c);
    assert_int_equal(c[XSR_PFN_XTAB], 2);
    assert_int_equal(c[XSR_PFN_L1TAB], 1);

    /* 32-bit PAE: a pinned L3 on top, no L4 */
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.guest_width = 4;
    o.nr_pages = 2048;
    count_types(&o, c);
    assert_int_equal(c[XSR_PFN_L3TAB_PIN], 1);
    assert_int_equal(c[XSR_PFN_L4TAB_PIN] + c[XSR_PFN_L4TAB] + c[XSR_PFN_L3TAB], 0);
    assert_int_equal(c[XSR_PFN_L2TAB], 1);
    assert_int_equal(c[XSR_PFN_L1TAB], 4);

    /* without page tables everything is NOTAB */
    o.page_tables = false;
    count_types(&o, c);
    assert_int_equal(c[XSR_PFN_NOTAB], 2048);
}

static void test_final_model_hvm(void **state)
{
    (void)state;
    struct xsr_gen_opts o;
    unsigned c[17];
    uint8_t page[XSR_PAGE_SIZE];

    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_HVM);
    o.nr_pages = 300;
    count_types(&o, c);
    assert_int_equal(c[XSR_PFN_XTAB], 0x20); /* the VGA hole */
    assert_int_equal(c[XSR_PFN_NOTAB], 300 - 0x20);
    for (uint64_t pfn = 0xa0; pfn < 0xc0; pfn++)
        assert_int_equal(xsr_gen_final_type(&o, pfn), XSR_PFN_XTAB);

    /* the special pages at the top are zero, except the identity page table */
    for (uint64_t pfn = 292; pfn < 300; pfn++) {
        assert_int_equal(xsr_gen_final_page(&o, pfn, page), 1);
        if (pfn == 298) {
            assert_int_equal(xsr_ld32(page, XSR_LITTLE_ENDIAN), 0xe7);
            assert_int_equal(xsr_ld32(page + 4 * 1023, XSR_LITTLE_ENDIAN), 1023u << 22 | 0xe7);
        } else {
            assert_true(all_zero(page, XSR_PAGE_SIZE));
        }
    }
    /* no VGA hole in a small guest */
    o.nr_pages = 16;
    count_types(&o, c);
    assert_int_equal(c[XSR_PFN_NOTAB], 16);
}

/* Options not made by xsr_gen_opts_init (size 0), or from a newer header,
 * are refused with a message naming the structure. */
static void test_opts_size(void **state)
{
    (void)state;
    struct xsr_gen_opts o;
    struct xsr_error err;
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_HVM);
    struct xsr_chan *ch = xsr_chan_mem_writer(NULL);
    o.size = 0;
    assert_int_equal(xsr_gen_write(&o, ch, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_gen_opts"));
    o.size = sizeof(o) + 8;
    assert_int_equal(xsr_gen_write(&o, ch, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "newer"));
    assert_int_equal(xsr_gen_final_type(&o, 0), XSR_EINVAL);
    size_t len;
    xsr_chan_mem_data(ch, &len);
    assert_int_equal(len, 0);
    o.size = sizeof(o);
    assert_int_equal(xsr_gen_write(&o, ch, &err), 0);
    xsr_chan_close(ch, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_page_fill),
        cmocka_unit_test(test_final_model_pv),
        cmocka_unit_test(test_final_model_hvm),
        cmocka_unit_test(test_opts_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
