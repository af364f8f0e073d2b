/* SPDX-License-Identifier: MIT */
/*
 * The live policies (src/engine/policy.c) decided on hand-made pass states:
 * every rule of the downtime policy, each knob, and the cases where it must
 * agree with Xen's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <xsr/engine.h>

#include "engine/engine_internal.h"

/* 1000 pages of 4104 stream bytes each take 100 ms at this bandwidth */
#define BW (1000.0 * 4104 * 10)

static struct xsr_live_state pass(uint32_t iteration, uint64_t dirty, uint64_t prev)
{
    struct xsr_live_state s = {
        .size = sizeof(s), .iteration = iteration, .dirty = dirty, .prev_dirty = prev,
        .bandwidth = BW, .elapsed_ms = iteration * 1000u,
    };
    return s;
}

static enum xsr_live_decision downtime(const struct xsr_save_opts *o, struct xsr_live_state s)
{
    return xsr_policy_downtime(o, &s);
}

static enum xsr_live_decision xen(const struct xsr_save_opts *o, struct xsr_live_state s)
{
    return xsr_policy_xen(o, &s);
}

static void test_downtime_estimate(void **state)
{
    (void)state;
    struct xsr_live_state s = pass(1, 1000, 0);
    assert_int_equal(xsri_policy_downtime_ms(&s), 100);
    s.dirty = 0;
    assert_int_equal(xsri_policy_downtime_ms(&s), 0);
    s.dirty = 1;
    s.bandwidth = 0; /* nothing measured: never fits */
    assert_true(xsri_policy_downtime_ms(&s) == UINT64_MAX);
}

static void test_few_dirty_pages_stop_both(void **state)
{
    (void)state;
    struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
    assert_int_equal(downtime(&o, pass(1, 49, 0)), XSR_LIVE_STOP_AND_COPY);
    assert_int_equal(xen(&o, pass(1, 49, 0)), XSR_LIVE_STOP_AND_COPY);
    assert_int_equal(downtime(&o, pass(1, 50, 0)), XSR_LIVE_CONTINUE);
    assert_int_equal(xen(&o, pass(1, 50, 0)), XSR_LIVE_CONTINUE);
    o.max_dirty_pages = 2000;
    assert_int_equal(downtime(&o, pass(1, 1999, 0)), XSR_LIVE_STOP_AND_COPY);
    assert_int_equal(xen(&o, pass(1, 1999, 0)), XSR_LIVE_STOP_AND_COPY);
    struct xsr_live_state s = pass(1, 1999, 0);
    s.bandwidth = 0;
    assert_true(xsri_policy_converged(&o, &s));
}

/* A shrinking dirty set gets Xen's passes even when it already fits: each
 * pass shortens the downtime, as Xen's would. */
static void test_shrinking_keeps_xen_passes(void **state)
{
    (void)state;
    struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
    assert_int_equal(downtime(&o, pass(1, 2000, 0)), XSR_LIVE_CONTINUE);
    for (uint32_t it = 2; it < 5; it++)
        assert_int_equal(downtime(&o, pass(it, 2000 - it * 100, 2000)), XSR_LIVE_CONTINUE);
    /* after them, a fit stops; so does Xen's */
    assert_int_equal(downtime(&o, pass(5, 2000, 2100)), XSR_LIVE_STOP_AND_COPY);
    assert_int_equal(xen(&o, pass(5, 2000, 2100)), XSR_LIVE_STOP_AND_COPY);
    struct xsr_live_state s = pass(5, 2000, 2100);
    assert_true(xsri_policy_converged(&o, &s));
}

/* Past Xen's passes a set that does not fit yet but still halves gets more
 * passes, up to the cap, where the user's choice decides. */
static void test_converging_set_goes_on_to_the_cap(void **state)
{
    (void)state;
    struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
    for (uint32_t it = 5; it < 10; it++)
        assert_int_equal(downtime(&o, pass(it, 40000, 80000)), XSR_LIVE_CONTINUE);
    assert_int_equal(downtime(&o, pass(10, 40000, 80000)), XSR_LIVE_STOP_AND_COPY);
    struct xsr_live_state s = pass(10, 40000, 80000);
    assert_false(xsri_policy_converged(&o, &s));
    o.abort_if_not_converged = true;
    assert_int_equal(downtime(&o, pass(10, 40000, 80000)), XSR_LIVE_ABORT);
    /* a lower cap also shortens Xen's passes */
    o.max_iterations = 3;
    assert_int_equal(downtime(&o, pass(2, 40000, 80000)), XSR_LIVE_CONTINUE);
    assert_int_equal(downtime(&o, pass(3, 40000, 80000)), XSR_LIVE_ABORT);
}

/* The guest dirties as fast as a pass sends: stop at once rather than
 * resend the same pages for passes on end. */
static void test_growing_set_stops_early(void **state)
{
    (void)state;
    struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
    assert_int_equal(downtime(&o, pass(2, 80000, 80000)), XSR_LIVE_STOP_AND_COPY);
    assert_int_equal(xen(&o, pass(2, 80000, 80000)), XSR_LIVE_CONTINUE);
    o.abort_if_not_converged = true;
    assert_int_equal(downtime(&o, pass(2, 80001, 80000)), XSR_LIVE_ABORT);
    /* it grew, but what is dirty fits: that is a success */
    assert_int_equal(downtime(&o, pass(2, 2001, 2000)), XSR_LIVE_STOP_AND_COPY);
    /* the first pass has nothing to compare with */
    assert_int_equal(downtime(&o, pass(1, 80000, 0)), XSR_LIVE_CONTINUE);
}

static void test_stalled_set_gives_up(void **state)
{
    (void)state;
    struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
    o.abort_if_not_converged = true;
    assert_int_equal(downtime(&o, pass(5, 9000, 10000)), XSR_LIVE_ABORT);
    assert_int_equal(downtime(&o, pass(5, 8999, 10000)), XSR_LIVE_CONTINUE);
    /* before Xen's passes are done a stall is only watched */
    assert_int_equal(downtime(&o, pass(4, 9000, 10000)), XSR_LIVE_CONTINUE);
}

static void test_downtime_target(void **state)
{
    (void)state;
    struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
    assert_int_equal(downtime(&o, pass(5, 2990, 6000)), XSR_LIVE_STOP_AND_COPY); /* 299 ms */
    assert_int_equal(downtime(&o, pass(5, 3010, 6000)), XSR_LIVE_CONTINUE);
    o.downtime_ms = 50;
    assert_int_equal(downtime(&o, pass(5, 510, 1000)), XSR_LIVE_CONTINUE);
    assert_int_equal(downtime(&o, pass(5, 490, 1000)), XSR_LIVE_STOP_AND_COPY);
}

static void test_timeout(void **state)
{
    (void)state;
    struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
    o.timeout_ms = 2000;
    o.abort_if_not_converged = true;
    assert_int_equal(downtime(&o, pass(1, 40000, 0)), XSR_LIVE_CONTINUE);
    assert_int_equal(downtime(&o, pass(2, 40000, 80000)), XSR_LIVE_ABORT);
    assert_int_equal(downtime(&o, pass(2, 2000, 80000)), XSR_LIVE_STOP_AND_COPY);
    assert_int_equal(xen(&o, pass(2, 2000, 80000)), XSR_LIVE_ABORT);
}

static void test_xen_passes(void **state)
{
    (void)state;
    struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
    assert_int_equal(xen(&o, pass(4, 40000, 40000)), XSR_LIVE_CONTINUE);
    assert_int_equal(xen(&o, pass(5, 40000, 40000)), XSR_LIVE_STOP_AND_COPY);
    o.max_iterations = 7;
    assert_int_equal(xen(&o, pass(5, 40000, 40000)), XSR_LIVE_CONTINUE);
    assert_int_equal(xen(&o, pass(7, 40000, 40000)), XSR_LIVE_STOP_AND_COPY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_downtime_estimate),
        cmocka_unit_test(test_few_dirty_pages_stop_both),
        cmocka_unit_test(test_shrinking_keeps_xen_passes),
        cmocka_unit_test(test_converging_set_goes_on_to_the_cap),
        cmocka_unit_test(test_growing_set_stops_early),
        cmocka_unit_test(test_stalled_set_gives_up),
        cmocka_unit_test(test_downtime_target),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_xen_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
