/* SPDX-License-Identifier: MIT */
/*
 * Everything the generator writes is valid: every combination of version,
 * guest type and width, byte order, wrapping, optional records, live passes,
 * checkpoints and VERIFY passes verifies without error or warning, in strict
 * and in lenient mode, and the summary agrees with what was asked for.
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

enum shape { PLAIN, LIVE, CHECKPOINTED, VERIFY, SHAPES };
static const char *const shape_name[SHAPES] = { "plain", "live", "checkpointed", "verify" };

static void check_one(uint32_t version, uint32_t dom, unsigned width, enum xsr_byte_order order,
                      enum xsr_layer wrap, bool all, enum shape shape, struct vc_result *r)
{
    struct xsr_gen_opts g;
    xsr_gen_opts_init(&g, version, dom);
    g.order = order;
    g.wrap = wrap;
    g.all_records = all;
    g.nr_vcpus = 2;
    if (dom == XSR_DOM_X86_PV)
        g.guest_width = width;
    if (shape == LIVE)
        g.live_passes = 2;
    if (shape == CHECKPOINTED)
        g.checkpoints = 3;
    if (shape == VERIFY)
        g.verify_pass = true;

    size_t len;
    uint8_t *b = tu_generate(&g, &len);
    assert_non_null(b);
    for (int lenient = 0; lenient < 2; lenient++) {
        vc_run(b, len, lenient, r);
        if (r->rc || r->sum.errors || r->sum.warnings) {
            fprintf(stderr, "v%u %s width %u %s wrap %s%s %s, %s:\n", version,
                    dom == XSR_DOM_X86_PV ? "PV" : "HVM", width,
                    order == XSR_BIG_ENDIAN ? "BE" : "LE", xsr_layer_name(wrap),
                    all ? " all-records" : "", shape_name[shape], lenient ? "lenient" : "strict");
            vc_dump(r);
        }
        vc_expect_clean(r);
        assert_true(r->sum.complete);
        assert_int_equal(r->sum.format, wrap);
        assert_int_equal(r->sum.version, version);
        assert_int_equal(r->sum.dom_type, dom);
        assert_int_equal(r->sum.order, order);
        assert_int_equal(r->sum.vcpus, 2);
        assert_int_equal(r->sum.guest_width, dom == XSR_DOM_X86_PV ? width : 0);
        assert_int_equal(r->sum.checkpoints, shape == CHECKPOINTED ? 3 : 0);
        assert_int_equal(r->sum.bytes, len);
        assert_true(r->sum.data_pages > 0);
        /* notes the shapes explain, and nothing else */
        for (unsigned i = 0; i < r->n; i++) {
            const char *id = r->f[i].rule;
            bool expected = (order == XSR_BIG_ENDIAN && strstr(id, "big-endian")) ||
                            (shape == CHECKPOINTED && !strcmp(id, "checkpoint.stream")) ||
                            (all && !strcmp(id, "rec.optional-skipped")) ||
                            !strcmp(id, "hvm-order");
            if (!expected)
                fprintf(stderr, "unexpected finding: [%s] %s\n", id, r->f[i].message);
            assert_true(expected);
        }
    }
    free(b);
}

static void test_generator_output_is_valid(void **state)
{
    (void)state;
    struct vc_result *r = malloc(sizeof(*r));
    assert_non_null(r);
    static const enum xsr_layer wraps[] = { XSR_LAYER_LIBXC, XSR_LAYER_LIBXL, XSR_LAYER_XL };
    for (uint32_t v = 2; v <= 4; v++)
        for (int kind = 0; kind < 3; kind++)
            for (int o = 0; o < 2; o++)
                for (unsigned w = 0; w < 3; w++)
                    for (int all = 0; all < 2; all++)
                        for (int shape = 0; shape < SHAPES; shape++)
                            check_one(v, kind == 2 ? XSR_DOM_X86_HVM : XSR_DOM_X86_PV,
                                      kind == 1 ? 4 : 8, (enum xsr_byte_order)o, wraps[w], all,
                                      (enum shape)shape, r);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_output_is_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
