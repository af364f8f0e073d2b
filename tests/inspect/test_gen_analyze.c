/* SPDX-License-Identifier: MIT */
/*
 * stats, diff and map on generated streams: the numbers must agree with
 * the checker's summary of the same stream and with the generator's own
 * final memory (xsr_gen_final_page), which know nothing of this code.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static void gen_opts(struct xsr_gen_opts *o, uint32_t type, uint64_t pages, unsigned live, bool verify,
                     uint64_t seed)
{
    xsr_gen_opts_init(o, 4, type);
    o->wrap = XSR_LAYER_XL;
    o->nr_pages = pages;
    o->live_passes = live;
    o->verify_pass = verify;
    o->all_records = true;
    o->seed = seed;
}

static struct xsr_stats *stats_of(const uint8_t *b, size_t len)
{
    struct xsr_error err;
    struct xsr_stats *st = NULL;
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(b, len, &err);
    assert_int_equal(xsr_stats_collect(in, NULL, &st, &err), 0);
    xsr_chan_close(in, NULL);
    return st;
}

static void test_stats_vs_checker(void **state)
{
    (void)state;
    static const struct { uint32_t type; unsigned live; bool verify; } v[] = {
        { XSR_DOM_X86_PV, 0, false }, { XSR_DOM_X86_PV, 3, false }, { XSR_DOM_X86_HVM, 2, true },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct xsr_gen_opts o;
        size_t len;
        gen_opts(&o, v[i].type, 600, v[i].live, v[i].verify, 7);
        uint8_t *b = tu_generate(&o, &len);
        assert_non_null(b);

        struct xsr_check_summary sum = XSR_CHECK_SUMMARY_INIT;
        struct xsr_error err;
        xsr_error_clear(&err);
        struct xsr_chan *in = xsr_chan_mem_reader(b, len, &err);
        assert_int_equal(xsr_verify(in, XSR_LAYER_NONE, NULL, &sum, &err), 0);
        xsr_chan_close(in, NULL);

        struct xsr_stats *st = stats_of(b, len);
        assert_int_equal(st->page_records, sum.page_records);
        assert_int_equal(st->pfn_entries, sum.pfn_entries);
        assert_int_equal(st->data_pages, sum.data_pages);
        for (unsigned t = 0; t < 16; t++)
            assert_int_equal(st->by_type[t], sum.pages_by_type[t]);
        assert_int_equal(st->input_bytes, len);
        /* one iteration per pass, plus the VERIFY pass */
        assert_int_equal(st->n_iters, 1 + v[i].live + (v[i].verify ? 1 : 0));
        assert_true(st->frames >= o.nr_pages);
        uint64_t iter_pfns = 0, hist = 0;
        for (uint64_t k = 0; k < st->n_iters; k++)
            iter_pfns += st->iters[k].pfns;
        for (unsigned k = 0; k < XSR_STATS_SENT_BUCKETS; k++)
            hist += st->sent_hist[k];
        assert_int_equal(iter_pfns, st->pfn_entries);
        assert_int_equal(hist, st->frames);
        if (v[i].live) {
            assert_true(st->frames_resent > 0);
            assert_int_equal(st->iters[0].resent, 0);
            assert_true(st->iters[1].resent > 0);
            assert_int_equal(st->iters[1].resent, st->iters[1].pfns); /* a pass only re-sends */
        } else {
            assert_int_equal(st->frames_resent, 0);
        }
        if (v[i].verify) {
            assert_true(st->iters[st->n_iters - 1].verify);
            assert_false(st->iters[0].verify);
        }
        xsr_stats_free(st);
        free(b);
    }
}

/* Expected differences from the generator's final memory of both. */
static void expected_diff(const struct xsr_gen_opts *a, const struct xsr_gen_opts *b, uint64_t frames,
                          uint64_t *differ, uint64_t *only_a, uint64_t *only_b)
{
    uint8_t pa[XSR_PAGE_SIZE], pb[XSR_PAGE_SIZE];
    *differ = *only_a = *only_b = 0;
    for (uint64_t pfn = 0; pfn < frames; pfn++) {
        /* a frame last sent as XALLOC restores as a zero page (out is zeroed) */
        int ha = xsr_gen_final_page(a, pfn, pa) == 1 || xsr_gen_final_type(a, pfn) == XSR_PFN_XALLOC;
        int hb = xsr_gen_final_page(b, pfn, pb) == 1 || xsr_gen_final_type(b, pfn) == XSR_PFN_XALLOC;
        if (ha && hb)
            *differ += memcmp(pa, pb, XSR_PAGE_SIZE) != 0;
        else if (ha)
            ++*only_a;
        else if (hb)
            ++*only_b;
    }
}

static int diff_bufs(const uint8_t *a, size_t la, const uint8_t *b, size_t lb, struct xsr_diff_result *r,
                     char **text)
{
    struct xsr_error err;
    struct xsr_diff_opts o = XSR_DIFF_OPTS_INIT;
    o.pages = true;
    size_t n;
    FILE *f = open_memstream(text, &n);
    xsr_error_clear(&err);
    struct xsr_chan *ca = xsr_chan_mem_reader(a, la, &err), *cb = xsr_chan_mem_reader(b, lb, &err);
    int rc = xsr_diff(ca, cb, &o, f, r, &err);
    fclose(f);
    xsr_chan_close(ca, NULL);
    xsr_chan_close(cb, NULL);
    return rc;
}

static void test_diff_generated(void **state)
{
    (void)state;
    struct xsr_gen_opts oa, ob, oc;
    size_t la, lb, lc;
    struct xsr_diff_result r = XSR_DIFF_RESULT_INIT;
    uint64_t d, a_only, b_only;
    char *t;

    gen_opts(&oa, XSR_DOM_X86_PV, 512, 2, false, 1);
    gen_opts(&ob, XSR_DOM_X86_PV, 512, 2, false, 2); /* other contents */
    gen_opts(&oc, XSR_DOM_X86_PV, 640, 0, false, 1); /* more memory, no live passes */
    uint8_t *a = tu_generate(&oa, &la), *b = tu_generate(&ob, &lb), *c = tu_generate(&oc, &lc);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);

    assert_int_equal(diff_bufs(a, la, a, la, &r, &t), 0);
    assert_non_null(strstr(t, "the images are equivalent"));
    free(t);

    assert_int_equal(diff_bufs(a, la, b, lb, &r, &t), 1);
    expected_diff(&oa, &ob, 512 + 64, &d, &a_only, &b_only);
    assert_true(d > 0);
    assert_int_equal(r.pages_differ, d);
    assert_int_equal(r.pages_only_a, a_only);
    assert_int_equal(r.pages_only_b, b_only);
    free(t);

    assert_int_equal(diff_bufs(a, la, c, lc, &r, &t), 1);
    expected_diff(&oa, &oc, 640 + 64, &d, &a_only, &b_only);
    assert_true(b_only >= 128);
    assert_int_equal(r.pages_differ, d);
    assert_int_equal(r.pages_only_a, a_only);
    assert_int_equal(r.pages_only_b, b_only);
    assert_non_null(strstr(t, "only in B"));
    assert_true(r.records > 0); /* PAGE_DATA counts at least */
    free(t);
    free(a);
    free(b);
    free(c);
}

static void test_map_generated(void **state)
{
    (void)state;
    struct xsr_gen_opts o;
    size_t len;
    gen_opts(&o, XSR_DOM_X86_PV, 2048, 1, false, 3);
    uint8_t *b = tu_generate(&o, &len);
    assert_non_null(b);
    struct xsr_stats *st = stats_of(b, len);

    for (unsigned cells = 256; cells <= 4096; cells *= 16) {
        struct xsr_error err;
        struct xsr_map_result r = XSR_MAP_RESULT_INIT;
        struct xsr_map_opts mo = XSR_MAP_OPTS_INIT;
        mo.max_cells = cells;
        FILE *null = fopen("/dev/null", "w");
        xsr_error_clear(&err);
        struct xsr_chan *in = xsr_chan_mem_reader(b, len, &err);
        assert_int_equal(xsr_map_svg(in, &mo, null, &r, &err), 0);
        xsr_chan_close(in, NULL);
        fclose(null);

        assert_int_equal(r.frames, st->max_pfn + 1);
        assert_true(r.cells <= cells);
        assert_int_equal(r.cells, (r.frames + r.frames_per_cell - 1) / r.frames_per_cell);
        assert_int_equal(r.by_class[XSR_MAP_ABSENT], r.frames - st->frames);
        assert_int_equal(r.by_class[XSR_MAP_NORMAL], st->final_by_type[XSR_PFN_NOTAB]);
        assert_int_equal(r.by_class[XSR_MAP_L1], st->final_by_type[XSR_PFN_L1TAB]);
        assert_int_equal(r.by_class[XSR_MAP_L4], st->final_by_type[XSR_PFN_L4TAB]);
        assert_int_equal(r.by_class[XSR_MAP_XTAB], st->final_by_type[XSR_PFN_XTAB]);
        assert_int_equal(r.by_class[XSR_MAP_XALLOC], st->final_by_type[XSR_PFN_XALLOC]);
        assert_int_equal(r.by_class[XSR_MAP_BROKEN], st->final_by_type[XSR_PFN_BROKEN]);
        uint64_t pinned = 0, cell_sum = 0;
        for (unsigned t = XSR_PFN_L1TAB_PIN; t <= XSR_PFN_L4TAB_PIN; t++)
            pinned += st->final_by_type[t];
        assert_int_equal(r.by_class[XSR_MAP_PINNED], pinned);
        for (unsigned k = 0; k < XSR_MAP_CLASS_COUNT; k++)
            cell_sum += r.cells_by_class[k];
        assert_int_equal(cell_sum, r.cells);
    }
    xsr_stats_free(st);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_vs_checker),
        cmocka_unit_test(test_diff_generated),
        cmocka_unit_test(test_map_generated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
