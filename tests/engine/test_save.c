/* SPDX-License-Identifier: MIT */
/*
 * The engine's save: every stream it writes, for PV 64-bit, PV 32-bit and
 * HVM sim guests, stream versions 2, 3 and 4, every format, with and without
 * zero elision, is valid for xsr verify (strict) and — versions 2 and 3 —
 * for Xen's own verifier; page tables are normalised (checked by walking
 * them in the stream); a fault on the output at any point is a clean error
 * that leaves the guest as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refrun.h"
#include "testutil.h"

static char dir[64];

static const char *tmp(const char *name)
{
    static char buf[4][256];
    static int i;
    char *b = buf[i++ % 4];
    snprintf(b, 256, "%s/%s", dir, name);
    return b;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/dev/shm/xsr-save.XXXXXX");
    if (!mkdtemp(dir)) {
        snprintf(dir, sizeof(dir), "/tmp/xsr-save.XXXXXX");
        if (!mkdtemp(dir))
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct xsr_domain *make(const char *name, enum xsr_sim_type t, uint64_t mem, uint32_t vcpus)
{
    struct xsr_sim_create_opts o = XSR_SIM_CREATE_OPTS_INIT;
    struct xsr_error err;
    struct xsr_domain *d = NULL;
    o.type = t;
    o.memory = mem;
    o.vcpus = vcpus;
    o.balloon = 1u << 20;
    o.broken = 1;
    if (xsr_sim_create(tmp(name), &o, &err) || xsr_sim_open(tmp(name), &d, &err))
        fail_msg("sim %s: %s", name, err.message);
    return d;
}

static uint8_t *save_to_mem(struct xsr_domain *d, const struct xsr_save_opts *o, size_t *len,
                            struct xsr_save_result *r)
{
    struct xsr_error err = {0};
    struct xsr_chan *ch = xsr_chan_mem_writer(&err);
    assert_non_null(ch);
    if (xsr_save(d, ch, o, r, &err) < 0)
        fail_msg("save: %s", err.message);
    const uint8_t *p = xsr_chan_mem_data(ch, len);
    uint8_t *copy = malloc(*len);
    memcpy(copy, p, *len);
    xsr_chan_close(ch, NULL);
    return copy;
}

static const char *fmt_name(enum xsr_layer f)
{
    return f == XSR_LAYER_XL ? "xl" : f == XSR_LAYER_LIBXL ? "libxl" : "libxc";
}

/* Every combination; streams of v2/v3 also go to Xen's verifier. */
static void test_streams_verify(void **state)
{
    (void)state;
    static const enum xsr_sim_type types[] = {XSR_SIM_PV, XSR_SIM_PV32, XSR_SIM_HVM};
    static const char *const names[] = {"pv64", "pv32", "hvm"};
    char why[256];
    const char *tools = ref_tools_dir(why, sizeof(why));
    if (!tools)
        printf("not comparing with Xen's verifier: %s\n", why);
    struct ref_job jobs[64];
    static char paths[64][256], logs[64][256];
    size_t nj = 0;
    for (unsigned t = 0; t < 3; t++) {
        char fname[32];
        snprintf(fname, sizeof(fname), "%s.sim", names[t]);
        struct xsr_domain *d = make(fname, types[t], 4u << 20, 2);
        for (uint32_t v = 2; v <= 4; v++)
            for (int zero = 0; zero < 2; zero++)
                for (int f = 0; f < 3; f++) {
                    struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
                    o.version = v;
                    o.no_zero_elision = zero;
                    o.format = f == 0 ? XSR_LAYER_XL : f == 1 ? XSR_LAYER_LIBXL : XSR_LAYER_LIBXC;
                    size_t len;
                    struct xsr_save_result r = XSR_SAVE_RESULT_INIT;
                    uint8_t *s = save_to_mem(d, &o, &len, &r);
                    char msg[512] = "";
                    int rc = tu_verify_buf(s, len, false, NULL, NULL, msg, sizeof(msg));
                    if (rc != 0 && tu_write_file("/tmp/xsr-engine-failed.img", s, len) == 0)
                        fail_msg("%s v%u %s zero=%d: xsr verify says invalid (%d)", names[t], v,
                                 fmt_name(o.format), !zero, rc);
                    assert_int_equal(r.bytes, len);
                    assert_true(r.pages > 0);
                    if (zero)
                        assert_int_equal(r.zero_pages, 0);
                    else
                        assert_true(r.zero_pages > 0); /* the sim has zero pages */
                    if (tools && v <= 3 && nj < 64) {
                        snprintf(paths[nj], 256, "%s/%s-v%u-%s-%d.img", dir, names[t], v,
                                 fmt_name(o.format), zero);
                        snprintf(logs[nj], 256, "%s/%s-v%u-%s-%d.log", dir, names[t], v,
                                 fmt_name(o.format), zero);
                        assert_int_equal(tu_write_file(paths[nj], s, len), 0);
                        jobs[nj] = (struct ref_job){.path = paths[nj], .format = fmt_name(o.format),
                                                    .log = logs[nj]};
                        nj++;
                    }
                    free(s);
                }
        /* the save leaves the guest paused, untouched otherwise */
        struct xsr_domain_info info = XSR_DOMAIN_INFO_INIT;
        assert_int_equal(xsr_domain_get_info(d, &info, NULL), 0);
        assert_true(info.paused);
        xsr_domain_close(d);
    }
    if (!tools)
        return;
    assert_int_equal(ref_run_all(tools, jobs, nj, 2), 0);
    for (size_t i = 0; i < nj; i++) {
        if (jobs[i].status != 0) {
            size_t n;
            uint8_t *log = tu_read_file(jobs[i].log, &n);
            fail_msg("Xen's verifier rejects %s:\n%.*s", jobs[i].path, log ? (int)n : 0,
                     log ? (char *)log : "");
        }
    }
    printf("%zu streams accepted by Xen's verifier\n", nj);
}

/* A write that fails at any point: a clean error, and a guest that was
 * running runs again. */
static void test_output_faults(void **state)
{
    (void)state;
    struct xsr_domain *d = make("fault.sim", XSR_SIM_PV, 4u << 20, 1);
    assert_int_equal(xsr_domain_unpause(d, NULL), 0);
    size_t full;
    struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
    uint8_t *s = save_to_mem(d, &o, &full, NULL);
    free(s);
    assert_int_equal(xsr_domain_unpause(d, NULL), 0);
    static const int errnos[] = {EPIPE, ENOSPC, EIO, 0};
    unsigned cases = 0;
    for (uint64_t at = 0; at < full; at += at < 4096 ? 331 : 131071) {
        struct xsr_error err = {0};
        struct xsr_chan *mem = xsr_chan_mem_writer(&err);
        struct xsr_fault_spec f = {.size = sizeof(struct xsr_fault_spec), .max_io = 1000 + (at % 3000), .eintr_every = 3,
                                   .fail_after = at, .fail_errno = errnos[cases % 4]};
        struct xsr_chan *ch = xsr_chan_fault(mem, &f, &err);
        assert_non_null(ch);
        int rc = xsr_save(d, ch, &o, NULL, &err);
        assert_true(rc < 0);
        assert_true(err.message[0] != '\0');
        struct xsr_domain_info info = XSR_DOMAIN_INFO_INIT;
        assert_int_equal(xsr_domain_get_info(d, &info, NULL), 0);
        assert_false(info.paused); /* it was running: it runs again */
        xsr_chan_close(ch, NULL);
        cases++;
    }
    /* short writes and EINTR alone change nothing in the bytes */
    struct xsr_error err = {0};
    struct xsr_chan *mem = xsr_chan_mem_writer(&err);
    struct xsr_fault_spec f = {.size = sizeof(struct xsr_fault_spec), .max_io = 777, .eintr_every = 2, .fail_after = UINT64_MAX};
    struct xsr_chan *ch = xsr_chan_fault(mem, &f, &err);
    o.resume = true;
    assert_int_equal(xsr_save(d, ch, &o, NULL, &err), 0);
    assert_int_equal(xsr_chan_offset(ch), full);
    xsr_chan_close(ch, NULL);
    printf("%u failing outputs\n", cases);
    xsr_domain_close(d);
}

struct seen {
    unsigned events, done;
    uint64_t last_bytes;
    bool monotonic;
    enum xsr_phase last;
};

static void on_progress(void *ctx, const struct xsr_progress *p)
{
    struct seen *s = ctx;
    if (p->bytes < s->last_bytes)
        s->monotonic = false;
    s->last_bytes = p->bytes;
    s->events++;
    s->done += p->phase == XSR_PHASE_DONE;
    s->last = p->phase;
}

/* Live: a guest written by its workload during the save; the stream is
 * valid, has several passes, and the guest is paused at the end. */
static void test_live_streams_verify(void **state)
{
    (void)state;
    static const enum xsr_sim_type types[] = {XSR_SIM_PV, XSR_SIM_PV32, XSR_SIM_HVM};
    for (unsigned t = 0; t < 3; t++) {
        char name[32];
        snprintf(name, sizeof(name), "live%u.sim", t);
        struct xsr_domain *d = make(name, types[t], 8u << 20, 1);
        struct xsr_error err = {0};
        assert_int_equal(xsr_domain_unpause(d, &err), 0);
        struct xsr_sim_workload w = XSR_SIM_WORKLOAD_INIT;
        assert_int_equal(xsr_sim_workload_parse("hot:10,rate=20K", &w, &err), 0);
        if (xsr_sim_workload_start(d, &w, &err) < 0)
            fail_msg("workload: %s", err.message);
        struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
        o.live = true;
        o.policy = XSR_POLICY_XEN;
        o.debug = t == 0;
        struct seen seen = {.monotonic = true};
        o.progress = on_progress;
        o.progress_ctx = &seen;
        size_t len;
        struct xsr_save_result r = XSR_SAVE_RESULT_INIT;
        uint8_t *s = save_to_mem(d, &o, &len, &r);
        assert_int_equal(xsr_sim_workload_stop(d, NULL, &err), 0);
        char msg[512] = "";
        if (tu_verify_buf(s, len, false, NULL, NULL, msg, sizeof(msg)) != 0)
            fail_msg("live stream %u invalid: %s", t, msg);
        assert_true(r.iterations >= 2);
        /* progress: bytes only grow, the last event says done with them all */
        assert_true(seen.monotonic);
        assert_int_equal(seen.done, 1);
        assert_int_equal(seen.last, XSR_PHASE_DONE);
        assert_int_equal(seen.last_bytes, len);
        struct xsr_domain_info info = XSR_DOMAIN_INFO_INIT;
        assert_int_equal(xsr_domain_get_info(d, &info, NULL), 0);
        assert_true(info.paused);
        free(s);
        xsr_domain_close(d);
    }
}


/* The save suspends a PV guest as Xen's does (the guest's start info then
 * names its xenstore frame by pfn; unpause turns it back into an mfn), and
 * a suspended domain still compares equal to its unsuspended copy. */
static void test_suspend(void **state)
{
    (void)state;
    struct xsr_domain *d = make("susp.sim", XSR_SIM_PV, 4u << 20, 1);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", tmp("susp.sim"), tmp("susp-ref.sim"));
    assert_int_equal(system(cmd), 0);
    struct xsr_domain *ref = NULL;
    struct xsr_error err = {0};
    assert_int_equal(xsr_sim_open(tmp("susp-ref.sim"), &ref, &err), 0);
    /* vCPU 0's rdx: the start-info frame */
    uint8_t ctx[8192];
    size_t len = 0;
    assert_int_equal(d->ops->get_vcpu_context(d, 0, XSR_VCPU_BASIC, ctx, sizeof(ctx), &len, &err), 0);
    const struct xsr_pv_vcpu_layout *l = xsr_pv_vcpu_layout(8);
    uint64_t si_mfn = xsr_ld64(ctx + l->rdx, XSR_LITTLE_ENDIAN), si_pfn;
    assert_int_equal(d->ops->mfn_to_pfn(d, &si_mfn, 1, &si_pfn, &err), 0);
    uint64_t store[3];
    for (int round = 0; round < 3; round++) {
        if (round == 1)
            assert_int_equal(d->ops->suspend(d, &err), 0);
        if (round == 2)
            assert_int_equal(xsr_domain_unpause(d, &err), 0);
        void *pages[1], *h = NULL;
        int errs[1];
        assert_int_equal(d->ops->map_frames(d, XSR_MAP_READ, &si_pfn, 1, pages, errs, &h, &err), 0);
        store[round] = xsr_ld64((uint8_t *)pages[0] + 56, XSR_LITTLE_ENDIAN); /* store_mfn */
        d->ops->unmap_frames(d, h);
        if (round == 1) {
            uint64_t nd = 1;
            assert_int_equal(xsr_sim_diff(d, ref, NULL, 0, &nd, &err), 0);
            assert_int_equal(nd, 0);
        }
    }
    uint64_t want_pfn;
    assert_int_equal(d->ops->mfn_to_pfn(d, &store[0], 1, &want_pfn, &err), 0);
    assert_int_equal(store[1], want_pfn); /* suspended: the pfn */
    assert_int_equal(store[2], store[0]); /* running again: the mfn */
    assert_true(store[0] != store[1]);
    xsr_domain_close(ref);
    xsr_domain_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suspend),
        cmocka_unit_test(test_streams_verify),
        cmocka_unit_test(test_output_faults),
        cmocka_unit_test(test_live_streams_verify),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
