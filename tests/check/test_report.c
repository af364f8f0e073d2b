/* SPDX-License-Identifier: MIT */
/*
 * White-box tests of the finding accounting (src/check/report.c): what a
 * stream far too long to build in a test would do to the totals.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check/check_internal.h"

static struct xsri_checker *new_checker(void)
{
    struct xsri_checker *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    xsri_loc_end(c);
    return c;
}

/*
 * A stream of some 20 GB can carry 2^32 error findings.  The totals must not
 * wrap round: an error count of 0 would make the stream valid.
 */
static void test_totals_saturate(void **state)
{
    (void)state;
    struct xsri_checker *c = new_checker();
    c->sum.errors = UINT_MAX - 1;
    c->sum.warnings = UINT_MAX - 1;
    c->sum.notes = UINT_MAX - 1;
    for (int i = 0; i < 3; i++) {
        xsri_report(c, XSRI_R_REC_UNKNOWN_MANDATORY, "error %d", i);
        xsri_report(c, XSRI_R_XL_OPTIONAL_FLAGS, "warning %d", i);
        xsri_report(c, XSRI_R_REC_OPTIONAL_SKIPPED, "note %d", i);
    }
    assert_int_equal(c->sum.errors, UINT_MAX);
    assert_int_equal(c->sum.warnings, UINT_MAX);
    assert_int_equal(c->sum.notes, UINT_MAX);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals_saturate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
