/* SPDX-License-Identifier: MIT */
/*
 * The per-frame state of the analyses (src/inspect/extract_pfns.c): the
 * frames named in the current pass are remembered so that starting the next
 * pass costs what the pass named, not a sweep of every frame.  A stream of
 * passes of 66,560 frames each below a high pfn made each new pass sweep
 * the whole state (2^28 frames): 5 MB/s instead of a GB/s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "inspect/analyze_scan.h"

static void mark_range(struct xsri_pfns *p, uint64_t first, uint64_t n)
{
    for (uint64_t pfn = first; pfn < first + n; pfn++) {
        assert_int_equal(xsri_pfns_reserve(p, pfn, NULL), 0);
        xsri_pfns_mark_pass(p, pfn);
    }
}

static void no_pass_bits(const struct xsri_pfns *p)
{
    for (uint64_t i = 0; i < p->cap; i++)
        if (p->st[i] & XSRI_PF_PASS) {
            fprintf(stderr, "frame %#llx is still marked\n", (unsigned long long)i);
            fail();
        }
}

/* A pass of 200,000 frames in a state of 2^24 frames is remembered frame
 * by frame (at most 1 in 32 of the state's frames are), and clearing it
 * leaves no mark. */
static void test_large_pass_remembered(void **state)
{
    (void)state;
    struct xsri_pfns p;
    assert_int_equal(xsri_pfns_init(&p, 1u << 24, false, NULL), 0);
    assert_int_equal(xsri_pfns_reserve(&p, (1u << 24) - 1, NULL), 0);
    assert_int_equal(p.cap, 1u << 24);
    mark_range(&p, 1000, 200000);
    assert_false(p.pass_overflow);
    assert_int_equal(p.pass_n, 200000);
    xsri_pfns_clear_pass(&p);
    assert_int_equal(p.pass_n, 0);
    no_pass_bits(&p);

    /* beyond 1 in 32 frames a pass is swept instead: still correct */
    mark_range(&p, 0, (1u << 24) / 32 + 1);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_pass_remembered),
        cmocka_unit_test(test_small_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
