/* SPDX-License-Identifier: MIT */
/*
 * The back-end contract on its own: the header compiles alone, a back end
 * built with an older (shorter) table is told apart from one that lacks an
 * operation, and the inline wrappers call through or report XSR_EUNSUP.
 */
#include <xsr/domain.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int paused_calls;

static int stub_info(struct xsr_domain *d, struct xsr_domain_info *info, struct xsr_error *err)
{
    (void)d;
    (void)err;
    info->type = XSR_DOM_X86_PV;
    info->guest_width = 8;
    info->pt_levels = 4;
    info->max_vcpu_id = 65;
    info->vcpu_online[1] = 1u << 1; /* vCPU 65 */
    return 0;
}

static int stub_pause(struct xsr_domain *d, struct xsr_error *err)
{
    (void)d;
    (void)err;
    paused_calls++;
    return 0;
}

static void test_wrappers(void **state)
{
    (void)state;
    struct xsr_domain_ops ops = { .version = XSR_DOMAIN_OPS_VERSION, .size = sizeof ops,
                                  .name = "stub", .get_info = stub_info, .pause = stub_pause };
    struct xsr_domain d = { .ops = &ops, .priv = NULL };
    struct xsr_domain_info info = XSR_DOMAIN_INFO_INIT;
    struct xsr_error err;

    assert_int_equal(info.size, sizeof info);
    assert_int_equal(xsr_domain_get_info(&d, &info, &err), 0);
    assert_true(xsr_domain_vcpu_online(&info, 65));
    assert_false(xsr_domain_vcpu_online(&info, 64));
    assert_false(xsr_domain_vcpu_online(&info, XSR_VCPU_MAX));

    paused_calls = 0;
    assert_int_equal(xsr_domain_pause(&d, &err), 0);
    assert_int_equal(paused_calls, 1);

    xsr_error_clear(&err);
    assert_int_equal(xsr_domain_unpause(&d, &err), XSR_EUNSUP);
    assert_int_equal(err.code, XSR_EUNSUP);
    assert_non_null(strstr(err.message, "stub"));
    assert_non_null(strstr(err.message, "unpause"));
}

static void test_older_table(void **state)
{
    (void)state;
    struct xsr_domain_ops ops = { .version = XSR_DOMAIN_OPS_VERSION,
                                  .size = offsetof(struct xsr_domain_ops, pause),
                                  .get_info = stub_info, .pause = stub_pause };
    assert_true(XSR_DOMAIN_OPS_HAS(&ops, get_info));
    /* the field lies beyond the size the back end declared */
    assert_false(XSR_DOMAIN_OPS_HAS(&ops, pause));
    ops.size = sizeof ops;
    assert_true(XSR_DOMAIN_OPS_HAS(&ops, pause));
    ops.version = XSR_DOMAIN_OPS_VERSION + 1;
    assert_false(XSR_DOMAIN_OPS_HAS(&ops, pause));
}

static void test_kinds_are_record_types(void **state)
{
    (void)state;
    assert_int_equal(XSR_VCPU_BASIC, 0x04);
    assert_int_equal(XSR_VCPU_EXTENDED, 0x05);
    assert_int_equal(XSR_VCPU_XSAVE, 0x06);
    assert_int_equal(XSR_VCPU_MSRS, 0x0C);
    assert_int_equal(XSR_POLICY_CPUID, 0x11);
    assert_int_equal(XSR_POLICY_MSR, 0x12);
    struct xsr_domain_config cfg = XSR_DOMAIN_CONFIG_INIT;
    assert_int_equal(cfg.size, sizeof cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrappers),
        cmocka_unit_test(test_older_table),
        cmocka_unit_test(test_kinds_are_record_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
