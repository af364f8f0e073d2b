/* SPDX-License-Identifier: MIT */
/*
 * The receiver (src/receive/): its sink's batches, and its per-frame state.
 * - The state costs what the stream names: a frame at pfn 0x0FFFFFFF once
 *   cost a 512 MiB array up to it.
 * - It is walked in pfn order whatever the order frames were named in.
 * - The frames named in the current pass are remembered so that starting
 *   the next pass costs what the pass named, not a sweep of every frame.  A
 *   stream of passes of 66,560 frames each below a high pfn made each new
 *   pass sweep the whole state (2^28 frames): 5 MB/s instead of a GB/s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <cmocka.h>

#include "receive/receive.h"
#include "mkstream.h"

static void mark_range(struct xsri_pfns *p, uint64_t first, uint64_t n)
{
    for (uint64_t pfn = first; pfn < first + n; pfn++) {
        assert_int_equal(xsri_pfns_reserve(p, pfn, false, NULL), 0);
        xsri_pfns_mark_pass(p, pfn);
    }
}

static void no_pass_bits(struct xsri_pfns *p)
{
    struct xsri_pfn_iter it;
    xsri_pfns_sort(p);
    for (xsri_pfns_iter(&it, p, 0, UINT64_MAX); xsri_pfns_next(&it);)
        if (it.st & XSRI_PF_PASS) {
            fprintf(stderr, "frame %#llx is still marked\n", (unsigned long long)it.pfn);
            fail();
        }
}

/* A pass of 100,000 frames in a state of 2^22 frames is remembered frame
 * by frame (at most 1 in 32 of the state's frames are), and clearing it
 * leaves no mark. */
static void test_large_pass_remembered(void **state)
{
    (void)state;
    enum { FRAMES = 1u << 22 };
    struct xsri_pfns p;
    assert_int_equal(xsri_pfns_init(&p, FRAMES, false, NULL), 0);
    for (uint64_t pfn = 0; pfn < FRAMES; pfn += XSRI_LEAF_FRAMES)
        assert_int_equal(xsri_pfns_reserve(&p, pfn, true, NULL), 0); /* dense */
    assert_int_equal(p.nleaves, FRAMES / XSRI_LEAF_FRAMES);
    assert_int_equal(p.dense, p.nleaves);
    mark_range(&p, 1000, 100000);
    assert_false(p.pass_overflow);
    assert_int_equal(p.pass_n, 100000);
    xsri_pfns_clear_pass(&p);
    assert_int_equal(p.pass_n, 0);
    no_pass_bits(&p);

    /* beyond 1 in 32 frames a pass is swept instead: still correct */
    mark_range(&p, 0, FRAMES / 32 + 1);
    assert_true(p.pass_overflow);
    xsri_pfns_clear_pass(&p);
    assert_false(p.pass_overflow);
    no_pass_bits(&p);
    xsri_pfns_free(&p);
}

/* A small state: the first 65,536 frames of a pass are remembered whatever
 * the state's size. */
static void test_small_state(void **state)
{
    (void)state;
    struct xsri_pfns p;
    assert_int_equal(xsri_pfns_init(&p, 0, false, NULL), 0);
    mark_range(&p, 0, 65536);
    assert_false(p.pass_overflow);
    mark_range(&p, 65536, 1);
    assert_true(p.pass_overflow);
    xsri_pfns_clear_pass(&p);
    no_pass_bits(&p);
    xsri_pfns_free(&p);
}

/* A frame at pfn 0x0FFFFFFF costs a leaf, not the frames below it. */
static void test_sparse_cost(void **state)
{
    (void)state;
    struct xsri_pfns p;
    assert_int_equal(xsri_pfns_init(&p, 0, true, NULL), 0);
    uint64_t empty = xsri_pfns_bytes(&p); /* the pass list */
    assert_int_equal(xsri_pfns_reserve(&p, 0x0fffffff, true, NULL), 0);
    assert_int_equal(xsri_pfns_reserve(&p, 0, false, NULL), 0);
    assert_int_equal(xsri_pfns_count(&p), 0x10000000);
    assert_int_equal(p.nleaves, 2);
    assert_true(xsri_pfns_bytes(&p) - empty < 2048);
    *xsri_pfns_st(&p, 0x0fffffff) = XSRI_PF_SEEN;
    *xsri_pfns_aux(&p, 0x0fffffff) = 42;
    assert_int_equal(xsri_pfns_get(&p, 0x0fffffff), XSRI_PF_SEEN);
    assert_int_equal(xsri_pfns_get(&p, 0x0ffffffe), 0);
    assert_int_equal(xsri_pfns_get(&p, 0x0fffff00), 0);
    assert_null(xsri_pfns_leaf(&p, 0x0fffff00));
    /* over the limit: refused, and nothing changes */
    assert_int_equal(xsri_pfns_reserve(&p, 0x10000000, false, NULL), XSR_ELIMIT);
    assert_int_equal(p.nleaves, 2);
    assert_int_equal(xsri_pfns_count(&p), 0x10000000);
    xsri_pfns_free(&p);
}

/* Frames without data named far apart cost a few bytes each, not a block
 * each: 60,000 of them, one per block, take under 64 bytes a frame
 * (directory included).  A block that gets a sixth frame, or a data page,
 * becomes dense with its frames' states kept. */
static void test_few_frames(void **state)
{
    (void)state;
    enum { N = 60000 };
    struct xsri_pfns p;
    assert_int_equal(xsri_pfns_init(&p, 0, true, NULL), 0);
    uint64_t empty = xsri_pfns_bytes(&p);
    for (uint64_t k = N; k-- > 0;) { /* descending: the list is sorted at the end */
        assert_int_equal(xsri_pfns_reserve(&p, k * 4096 + 7, false, NULL), 0);
        *xsri_pfns_st(&p, k * 4096 + 7) = (uint16_t)(XSRI_PF_SEEN | XSR_PFN_XTAB);
    }
    assert_int_equal(p.nleaves, N);
    assert_int_equal(p.dense, 0);
    uint64_t per = (xsri_pfns_bytes(&p) - empty) / N;
    assert_true(per < 64);

    /* a block named 5 times stays small; the 6th frame makes it dense */
    enum { B = 64 }; /* the second block: none of the frames above */
    const unsigned slots[] = { 40, 3, 63, 0, 21 };
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(xsri_pfns_reserve(&p, B + slots[i], false, NULL), 0);
        *xsri_pfns_st(&p, B + slots[i]) = (uint16_t)(XSRI_PF_SEEN | (i + 1) << XSRI_PF_SENT_SHIFT);
    }
    assert_int_equal(p.dense, 0);
    assert_int_equal(xsri_pfns_get(&p, B + 8), 0);
    assert_int_equal(xsri_pfns_reserve(&p, B + 22, false, NULL), 0);
    assert_int_equal(p.dense, 1);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(xsri_pf_sent(xsri_pfns_get(&p, B + slots[i])), i + 1);
    assert_int_equal(xsri_pfns_get(&p, B + 22), 0);
    /* a data page makes a small block dense, with its client word */
    assert_int_equal(xsri_pfns_reserve(&p, 8192 + 1, true, NULL), 0);
    assert_int_equal(p.dense, 2);
    *xsri_pfns_aux(&p, 8192 + 1) = 99;
    assert_int_equal(xsri_pfns_get(&p, 8192 + 7), XSRI_PF_SEEN | XSR_PFN_XTAB);

    xsri_pfns_sort(&p);
    struct xsri_pfn_iter it;
    uint64_t n = 0, prev = 0;
    for (xsri_pfns_iter(&it, &p, 0, UINT64_MAX); xsri_pfns_next(&it); n++) {
        assert_true(n == 0 || it.pfn > prev);
        prev = it.pfn;
    }
    assert_int_equal(n, N + 5);
    /* from the middle of a dense block */
    xsri_pfns_iter(&it, &p, B + 4, B + 64);
    assert_true(xsri_pfns_next(&it));
    assert_int_equal(it.pfn, B + 21);
    xsri_pfns_iter(&it, &p, 12288 + 8, 12288 + 64);
    assert_false(xsri_pfns_next(&it));
    xsri_pfns_iter(&it, &p, 12288 + 7, 12288 + 8);
    assert_true(xsri_pfns_next(&it));
    assert_int_equal(it.pfn, 12288 + 7);
    assert_false(xsri_pfns_next(&it));
    xsri_pfns_free(&p);
}

/* Frames named in any order are walked in pfn order, only those with a
 * state, from any start to any end; the client's bit and word stay with
 * their frame. */
static void test_walk_in_order(void **state)
{
    (void)state;
    enum { N = 5000 };
    struct xsri_pfns p;
    assert_int_equal(xsri_pfns_init(&p, 0, true, NULL), 0);
    /* pfn 37 * k mod a prime over 2^20: every k once, in a scattered order */
    const uint64_t prime = 1048573;
    for (uint64_t k = 1; k <= N; k++) {
        uint64_t pfn = (k * 7919 * 37) % prime;
        assert_int_equal(xsri_pfns_reserve(&p, pfn, true, NULL), 0);
        *xsri_pfns_st(&p, pfn) = (uint16_t)(XSRI_PF_SEEN | (k & 1 ? XSRI_PF_DATA : 0));
        *xsri_pfns_aux(&p, pfn) = pfn * 3;
        xsri_pfns_set_mark(&p, pfn, pfn % 3 == 0);
    }
    assert_false(p.sorted);
    xsri_pfns_sort(&p);

    struct xsri_pfn_iter it;
    uint64_t n = 0, prev = 0;
    for (xsri_pfns_iter(&it, &p, 0, UINT64_MAX); xsri_pfns_next(&it); n++) {
        assert_true(n == 0 || it.pfn > prev);
        assert_int_equal(it.st & XSRI_PF_SEEN, XSRI_PF_SEEN);
        assert_int_equal(xsri_pfn_iter_aux(&it), it.pfn * 3);
        assert_int_equal(xsri_pfn_iter_mark(&it), it.pfn % 3 == 0);
        prev = it.pfn;
    }
    assert_int_equal(n, N);

    /* a window counts what lies in it, wherever it starts and ends */
    uint64_t lo = 300001, hi = 700003, want = 0, got = 0;
    for (uint64_t k = 1; k <= N; k++) {
        uint64_t pfn = (k * 7919 * 37) % prime;
        want += pfn >= lo && pfn < hi;
    }
    for (xsri_pfns_iter(&it, &p, lo, hi); xsri_pfns_next(&it); got++)
        assert_true(it.pfn >= lo && it.pfn < hi);
    assert_int_equal(got, want);
    xsri_pfns_iter(&it, &p, prev + 1, UINT64_MAX);
    assert_false(xsri_pfns_next(&it));
    xsri_pfns_free(&p);
}

/* The receiver's sink gets each PAGE_DATA record in batches of at most
 * XSR_PAGE_BATCH_MAX entries, before their pages, with a view of their
 * contiguous data, and every page after its batch. */
struct sink {
    unsigned batches, pages;
    uint32_t next;            /* next entry expected in a page */
    uint32_t batch_end;
    const uint8_t *data;      /* of the current batch */
    uint32_t data_seen;
};

static int on_batch(void *ctx, struct xsri_scan *s, const struct xsri_batch *b, struct xsr_error *err)
{
    struct sink *k = ctx;
    (void)err;
    assert_true(b->count >= 1 && b->count <= XSR_PAGE_BATCH_MAX);
    assert_int_equal(b->first, k->next);
    assert_int_equal(b->data_pages, b->count); /* every entry NOTAB here */
    /* not applied yet: the frames of this batch are new */
    for (uint32_t i = b->first; i < b->first + b->count; i++)
        assert_int_equal(xsri_pfns_get(&s->pfns, xsr_pfn_word_pfn(xsr_page_data_word(b->pd, i))), 0);
    k->batch_end = b->first + b->count;
    k->data = b->data;
    k->data_seen = 0;
    k->batches++;
    return 0;
}

static int on_page(void *ctx, struct xsri_scan *s, const struct xsri_page *pg, struct xsr_error *err)
{
    struct sink *k = ctx;
    (void)s;
    (void)err;
    assert_true(k->next < k->batch_end);
    assert_ptr_equal(pg->data, k->data + (size_t)k->data_seen * XSR_PAGE_SIZE); /* zero-copy */
    assert_int_equal(pg->data[0], (uint8_t)pg->pfn);
    k->data_seen++;
    k->next++;
    k->pages++;
    return 0;
}

static void test_batches(void **state)
{
    (void)state;
    enum { N = 2 * XSR_PAGE_BATCH_MAX + 5 };
    uint64_t *w = malloc(N * sizeof(*w));
    uint8_t *fill = malloc(N);
    assert_non_null(w);
    assert_non_null(fill);
    for (uint32_t i = 0; i < N; i++) {
        w[i] = xsr_pfn_word_make(XSR_PFN_NOTAB, i);
        fill[i] = (uint8_t)i;
    }
    struct ms *m = ms_begin(XSR_DOM_X86_PV, XSR_LITTLE_ENDIAN);
    ms_pages(m, N, w, fill);
    size_t len;
    uint8_t *buf = ms_end(m, &len);
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(buf, len, &err);
    struct sink k = { 0 };
    struct xsri_scan_cb cb = { .ctx = &k, .batch = on_batch, .page = on_page };
    struct xsri_scan s;
    assert_int_equal(xsri_scan_run(in, NULL, false, &cb, &s, &err), 0);
    assert_int_equal(k.batches, 3);
    assert_int_equal(k.pages, N);
    assert_true(s.complete);
    xsri_scan_free(&s);
    xsr_chan_close(in, NULL);
    free(buf);
    free(w);
    free(fill);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_pass_remembered),
        cmocka_unit_test(test_small_state),
        cmocka_unit_test(test_sparse_cost),
        cmocka_unit_test(test_few_frames),
        cmocka_unit_test(test_walk_in_order),
        cmocka_unit_test(test_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
