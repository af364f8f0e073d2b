/* SPDX-License-Identifier: MIT */
/*
 * Images saved by a real Xen 4.17 host (xl save of a PV and of a PVH guest)
 * pass in strict mode, and the checker's summary matches the independent
 * listing that comes with them.  Skipped (exit 77) without the shared
 * fixtures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"
#include "vcheck.h"

struct fixture_expect {
    const char *name;
    uint32_t dom_type;
    uint64_t records, page_records, pfn_entries, data_pages, bytes;
    unsigned notes;
};

static void check_fixture(const struct fixture_expect *x, struct vc_result *r)
{
    char path[4096];
    const char *shared = tu_shared_dir();
    snprintf(path, sizeof(path), "%s/fixtures/xen-4.17/%s", shared, x->name);
    size_t len;
    uint8_t *b = tu_read_zst(path, &len);
    assert_non_null(b);
    vc_run(b, len, false, r);
    free(b);
    vc_expect_clean(r);
    assert_int_equal(r->sum.notes, x->notes);
    assert_int_equal(r->sum.format, XSR_LAYER_XL);
    assert_int_equal(r->sum.version, 3);
    assert_int_equal(r->sum.dom_type, x->dom_type);
    assert_int_equal(r->sum.xen_major, 4);
    assert_int_equal(r->sum.xen_minor, 17);
    assert_int_equal(r->sum.records, x->records);
    assert_int_equal(r->sum.libxl_records, 2);
    assert_int_equal(r->sum.page_records, x->page_records);
    assert_int_equal(r->sum.pfn_entries, x->pfn_entries);
    assert_int_equal(r->sum.data_pages, x->data_pages);
    assert_int_equal(r->sum.bytes, x->bytes);
    assert_int_equal(r->sum.vcpus, 1);
    assert_true(r->sum.complete);
}

static void test_fixtures(void **state)
{
    (void)state;
    struct vc_result *r = malloc(sizeof(*r));
    assert_non_null(r);
    /* figures from the fixtures' .summary.txt */
    static const struct fixture_expect pv = {
        "pv1-save.xl.zst", XSR_DOM_X86_PV, 43, 32, 32768, 32768, 134493476, 0,
    };
    check_fixture(&pv, r);
    assert_int_equal(r->sum.guest_width, 8);
    assert_int_equal(r->sum.pt_levels, 4);
    assert_int_equal(r->sum.pages_by_type[XSR_PFN_NOTAB], 32585);
    assert_int_equal(r->sum.pages_by_type[XSR_PFN_L1TAB], 40);
    assert_int_equal(r->sum.pages_by_type[XSR_PFN_L1TAB_PIN], 47);
    assert_int_equal(r->sum.pages_by_type[XSR_PFN_L2TAB], 14);
    assert_int_equal(r->sum.pages_by_type[XSR_PFN_L3TAB], 74);
    assert_int_equal(r->sum.pages_by_type[XSR_PFN_L3TAB_PIN], 1);
    assert_int_equal(r->sum.pages_by_type[XSR_PFN_L4TAB_PIN], 7);

    /* Xen writes HVM_CONTEXT before HVM_PARAMS: the one note */
    static const struct fixture_expect pvh = {
        "pvh1-save.xl.zst", XSR_DOM_X86_HVM, 1027, 1020, 1044480, 32784, 142660641, 1,
    };
    check_fixture(&pvh, r);
    vc_expect(r, "hvm-order", XSR_SEV_NOTE, "HVM_PARAMS follows HVM_CONTEXT");
    assert_int_equal(r->sum.pages_by_type[XSR_PFN_XTAB], 1011696);
    free(r);
}

int main(void)
{
    if (!tu_shared_dir()) {
        fprintf(stderr, "the shared fixtures directory is absent (set XSR_SHARED): skipped\n");
        return TEST_SKIP_EXIT;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
