/* SPDX-License-Identifier: MIT */
/*
 * Save and restore: PV 64-bit, PV 32-bit and HVM sim guests saved as
 * stream v2, v3 and v4, not live and live with a workload writing, then
 * restored into new sim domains.  The restored domain equals the source at
 * its final pause (memory byte-exact, page types, P2M, vCPU and platform
 * state modulo machine numbering), every page table maps through the new
 * frames (each populated pfn mapped), and no page is torn (A-B stamps).
 */
#include "restore_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct xsr_domain *source(enum xsr_sim_type t, const char *name)
{
    struct xsr_sim_create_opts o = XSR_SIM_CREATE_OPTS_INIT;
    struct xsr_error err;
    struct xsr_domain *d = NULL;
    o.type = t;
    o.memory = 16u << 20;
    o.vcpus = 2;
    o.balloon = 1u << 20;
    o.broken = 1;
    o.seed = 5 + t;
    if (xsr_sim_create(ru_path(name), &o, &err) || xsr_sim_open(ru_path(name), &d, &err))
        fail_msg("%s: %s", name, err.message);
    return d;
}

static void diff_none(struct xsr_domain *a, struct xsr_domain *b, const char *what)
{
    char *text = NULL;
    size_t tlen = 0;
    FILE *o = open_memstream(&text, &tlen);
    uint64_t n = 0;
    struct xsr_error err;
    assert_int_equal(xsr_sim_diff(a, b, o, 10, &n, &err), 0);
    fclose(o);
    if (n)
        fail_msg("%s: %llu differences:\n%s", what, (unsigned long long)n, text);
    free(text);
}

static void round_trip(enum xsr_sim_type t, uint32_t version, bool live)
{
    char what[64];
    snprintf(what, sizeof what, "type %d v%u%s", t, version, live ? " live" : "");
    struct xsr_domain *src = source(t, "src.sim");
    struct xsr_error err;
    if (live) {
        struct xsr_sim_workload w = XSR_SIM_WORKLOAD_INIT;
        w.rate = 20000;
        assert_int_equal(xsr_domain_unpause(src, &err), 0);
        assert_int_equal(xsr_sim_workload_start(src, &w, &err), 0);
    }
    struct xsr_chan *out = xsr_chan_mem_writer(&err);
    assert_non_null(out);
    struct xsr_save_opts so = XSR_SAVE_OPTS_INIT;
    so.version = version;
    so.live = live;
    struct xsr_save_result sr = XSR_SAVE_RESULT_INIT;
    if (xsr_save(src, out, &so, &sr, &err))
        fail_msg("%s: save: %s", what, err.message);
    if (live)
        assert_int_equal(xsr_sim_workload_stop(src, NULL, &err), 0);
    size_t len;
    const uint8_t *buf = xsr_chan_mem_data(out, &len);

    struct xsr_restore_result rr = XSR_RESTORE_RESULT_INIT;
    struct xsr_domain *dst = NULL;
    if (ru_restore(buf, len, ru_path("dst.sim"), NULL, &rr, &dst, &err)) {
        char line[600];
        xsr_error_format(&err, line, sizeof line);
        fail_msg("%s: restore: %s", what, line);
    }
    if (live)
        assert_true(rr.iterations > 1);
    if (version == 2) {
        /* a v2 stream has no CPU policies: the toolstack gives the domain
         * one (libxl a default), here the source's */
        uint8_t pol[8192];
        size_t plen;
        for (unsigned k = XSR_POLICY_CPUID; k <= XSR_POLICY_MSR; k++) {
            assert_int_equal(src->ops->get_cpu_policy(src, k, pol, sizeof pol, &plen, &err), 0);
            size_t none = 1;
            assert_int_equal(dst->ops->get_cpu_policy(dst, k, NULL, 0, &none, &err), 0);
            assert_int_equal(none, 0);
            assert_int_equal(dst->ops->set_cpu_policy(dst, k, pol, plen, &err), 0);
        }
    }
    diff_none(src, dst, what);
    if (t != XSR_SIM_HVM)
        assert_int_equal(ru_check_tables(dst), 0);
    uint64_t torn = 1, first;
    assert_int_equal(xsr_sim_check_stamps(dst, &torn, &first, &err), 0);
    assert_int_equal(torn, 0);
    xsr_domain_close(dst);
    xsr_domain_close(src);
    xsr_chan_close(out, NULL);
    assert_int_equal(unlink(ru_path("dst.sim")), 0);
    assert_int_equal(unlink(ru_path("src.sim")), 0);
}

static void all_versions(enum xsr_sim_type t)
{
    for (uint32_t v = 2; v <= 4; v++) {
        round_trip(t, v, false);
        round_trip(t, v, true);
    }
}

static void test_pv64(void **state) { (void)state; all_versions(XSR_SIM_PV); }
static void test_pv32(void **state) { (void)state; all_versions(XSR_SIM_PV32); }
static void test_hvm(void **state) { (void)state; all_versions(XSR_SIM_HVM); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pv64),
        cmocka_unit_test(test_pv32),
        cmocka_unit_test(test_hvm),
    };
    return cmocka_run_group_tests(tests, ru_setup, ru_teardown);
}
