/* SPDX-License-Identifier: MIT */
/*
 * Stream version conversion on generated images of every shape (versions
 * 2-4, PV 64/32 and HVM, both byte orders, bare libxc, libxl and xl,
 * checkpoints, live passes, every record): the output verifies, has the
 * records the target version wants where a sender of that version puts
 * them, and the round trips give back the same bytes; and its errors.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt_util.h"
#include "testutil.h"

struct shape {
    uint32_t type;
    unsigned gw;
    enum xsr_layer wrap;
    enum xsr_byte_order order;
    unsigned checkpoints, live;
    bool all;
};

static const struct shape shapes[] = {
    { XSR_DOM_X86_PV, 8, XSR_LAYER_XL, XSR_LITTLE_ENDIAN, 0, 0, false },
    { XSR_DOM_X86_PV, 4, XSR_LAYER_LIBXC, XSR_LITTLE_ENDIAN, 0, 1, true },
    { XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXL, XSR_BIG_ENDIAN, 0, 0, true },
    { XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXL, XSR_LITTLE_ENDIAN, 3, 0, false },
    { XSR_DOM_X86_HVM, 8, XSR_LAYER_XL, XSR_LITTLE_ENDIAN, 0, 2, true },
    { XSR_DOM_X86_HVM, 8, XSR_LAYER_LIBXC, XSR_BIG_ENDIAN, 0, 0, false },
    { XSR_DOM_X86_HVM, 8, XSR_LAYER_XL, XSR_LITTLE_ENDIAN, 2, 0, true },
};

static uint8_t *generate(const struct shape *s, uint32_t version, size_t *len)
{
    struct xsr_gen_opts g;

    xsr_gen_opts_init(&g, version, s->type);
    g.guest_width = s->gw;
    g.wrap = s->wrap;
    g.order = s->order;
    g.checkpoints = s->checkpoints;
    g.live_passes = s->live;
    g.all_records = s->all;
    g.seed = version * 10 + s->checkpoints;
    uint8_t *b = tu_generate(&g, len);
    assert_non_null(b);
    return b;
}

static uint8_t *convert(const uint8_t *in, size_t len, uint32_t to, bool lossy, size_t *out_len,
                        struct xsr_convert_info *info)
{
    struct xsr_convert_opts o = XSR_CONVERT_OPTS_INIT;
    o.version = to;
    o.allow_lossy = lossy;
    struct xsr_error err;
    uint8_t *out;

    xsr_error_clear(&err);
    if (lt_convert_version(in, len, &o, &out, out_len, info, &err) != 0)
        fail_msg("conversion to v%" PRIu32 ": %s", to, err.message);
    return out;
}

/* The target version's records, per checkpoint segment. */
static void check_records(const uint8_t *b, size_t len, const struct shape *s, uint32_t to)
{
    struct lt_list l;
    enum xsr_layer X = XSR_LAYER_LIBXC;
    unsigned segments = s->checkpoints ? s->checkpoints : 1;

    lt_walk(b, len, &l);
    assert_int_equal(l.walk_rc, 0);
    assert_int_equal(lt_count(&l, X, XSR_REC_STATIC_DATA_END), to >= 3 ? 1 : 0);
    if (to < 3) {
        assert_int_equal(lt_count(&l, X, XSR_REC_X86_CPUID_POLICY), 0);
        assert_int_equal(lt_count(&l, X, XSR_REC_X86_MSR_POLICY), 0);
    }
    if (to >= 4) {
        assert_int_equal(lt_count(&l, X, XSR_REC_DOMAIN_CONTEXT), segments);
        assert_int_equal(lt_count(&l, X, XSR_REC_X86_TSC_INFO), 0);
        assert_int_equal(lt_count(&l, X, XSR_REC_SHARED_INFO), 0);
    } else {
        assert_int_equal(lt_count(&l, X, XSR_REC_DOMAIN_CONTEXT), 0);
        assert_int_equal(lt_count(&l, X, XSR_REC_X86_TSC_INFO), segments);
        assert_int_equal(lt_count(&l, X, XSR_REC_SHARED_INFO),
                         s->type == XSR_DOM_X86_PV ? segments : 0);
    }
    /* SDE after the static data, before anything else */
    if (to >= 3) {
        bool seen_sde = false;
        for (size_t i = 0; i < l.n; i++) {
            if (l.r[i].kind != XSR_EV_RECORD)
                continue;
            uint32_t t = l.r[i].type;
            if (t == XSR_REC_STATIC_DATA_END)
                seen_sde = true;
            else if (t == XSR_REC_X86_PV_INFO || t == XSR_REC_X86_CPUID_POLICY ||
                     t == XSR_REC_X86_MSR_POLICY)
                assert_false(seen_sde);
            else
                assert_true(seen_sde);
        }
    }
    /* v4: each DOMAIN_CONTEXT after the segment's last PAGE_DATA and before
     * its first vCPU / HVM record; v3: TSC then SHARED_INFO there */
    for (unsigned seg = 0; seg < segments; seg++) {
        uint64_t last_page = 0, first_after = UINT64_MAX, ctx = UINT64_MAX;
        for (size_t i = 0; i < l.n; i++) {
            const struct lt_rec *r = &l.r[i];
            if (r->kind != XSR_EV_RECORD || r->checkpoint != seg)
                continue;
            if (r->type == XSR_REC_PAGE_DATA)
                last_page = r->offset;
            if ((r->type >= XSR_REC_X86_PV_VCPU_BASIC && r->type <= XSR_REC_X86_PV_VCPU_XSAVE) ||
                r->type == XSR_REC_X86_PV_VCPU_MSRS || r->type == XSR_REC_HVM_CONTEXT ||
                r->type == XSR_REC_HVM_PARAMS)
                if (first_after == UINT64_MAX)
                    first_after = r->offset;
            if (r->type == (to >= 4 ? XSR_REC_DOMAIN_CONTEXT : XSR_REC_X86_TSC_INFO))
                ctx = r->offset;
        }
        assert_true(ctx != UINT64_MAX);
        assert_true(ctx > last_page);
        assert_true(ctx < first_after);
    }
    lt_free(&l);
}

static void test_matrix(void **state)
{
    char msg[600];
    (void)state;

    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        const struct shape *s = &shapes[i];
        for (uint32_t from = 2; from <= 4; from++) {
            size_t in_len;
            uint8_t *in = generate(s, from, &in_len);
            for (uint32_t to = 2; to <= 4; to++) {
                struct xsr_convert_info info = XSR_CONVERT_INFO_INIT;
                size_t out_len, back_len;
                uint8_t *out = convert(in, in_len, to, true, &out_len, &info);
                if (lt_verify(out, out_len, false, msg, sizeof(msg)) != 0)
                    fail_msg("shape %zu v%u -> v%u: %s", i, from, to, msg);
                assert_int_equal(info.from_version, from);
                assert_int_equal(info.to_version, to);
                assert_int_equal(info.format, s->wrap);
                assert_int_equal(info.in_bytes, in_len);
                assert_int_equal(info.out_bytes, out_len);
                assert_int_equal(info.checkpoints, s->checkpoints);
                check_records(out, out_len, s, to);
                if (from == to) {
                    assert_int_equal(out_len, in_len);
                    assert_memory_equal(out, in, in_len);
                }
                /* back again: the same bytes, but where the target lost
                 * something (v2: the policies; v3: an HVM shared info) */
                bool lossless = from == 2 || (to >= 3 && !(from == 4 && to == 3 &&
                                                           s->type == XSR_DOM_X86_HVM));
                uint8_t *back = convert(out, out_len, from, true, &back_len, NULL);
                if (lossless && (back_len != in_len || memcmp(back, in, in_len) != 0))
                    fail_msg("shape %zu v%u -> v%u -> v%u is not the same bytes", i, from, to, from);
                free(back);
                free(out);
            }
            free(in);
        }
    }
}

/* What the folding holds back: a stream whose SHARED_INFO comes after the
 * vCPU records (as legacy converters write it) gets its DOMAIN_CONTEXT
 * before them all the same. */
static void test_fold_holds_records(void **state)
{
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts lo = XSR_LEGACY_OPTS_INIT;
    lo.format = XSR_LAYER_LIBXC;
    struct xsr_convert_opts o = XSR_CONVERT_OPTS_INIT;
    o.version = 4;
    struct xsr_convert_info info = XSR_CONVERT_INFO_INIT;
    struct xsr_error err;
    struct lt_list l;
    uint8_t *leg, *v3, *v4;
    size_t leg_len, l3, l4;
    (void)state;

    xsr_legacy_gen_opts_init(&g, 64, XSR_DOM_X86_PV);
    g.nr_vcpus = 4;
    g.xsave_size = 1024;
    leg = lt_gen(&g, &leg_len, NULL);
    xsr_error_clear(&err);
    assert_int_equal(lt_convert(leg, leg_len, &lo, &v3, &l3, NULL, &err), 0);
    lt_walk(v3, l3, &l);
    assert_true(lt_find(&l, XSR_LAYER_LIBXC, XSR_REC_SHARED_INFO, 0)->offset >
                lt_find(&l, XSR_LAYER_LIBXC, XSR_REC_X86_PV_VCPU_BASIC, 3)->offset);
    lt_free(&l);
    assert_int_equal(lt_convert_version(v3, l3, &o, &v4, &l4, &info, &err), 0);
    assert_int_equal(info.contexts_folded, 1);
    lt_walk(v4, l4, &l);
    assert_true(lt_find(&l, XSR_LAYER_LIBXC, XSR_REC_DOMAIN_CONTEXT, 0)->offset <
                lt_find(&l, XSR_LAYER_LIBXC, XSR_REC_X86_PV_VCPU_BASIC, 0)->offset);
    assert_int_equal(lt_count(&l, XSR_LAYER_LIBXC, XSR_REC_X86_PV_VCPU_BASIC), 4);
    lt_free(&l);
    free(v4);

    /* with too little room to hold the vCPU records: a clear refusal */
    o.max_buffer = 10000;
    assert_int_equal(lt_convert_version(v3, l3, &o, &v4, &l4, NULL, &err), XSR_ELIMIT);
    assert_non_null(strstr(err.message, "wait for the shared info"));
    assert_int_equal(err.layer, XSR_LAYER_LIBXC);
    free(v4);
    free(v3);
    free(leg);
}

static uint8_t *with_record_patched(const uint8_t *in, size_t len, uint32_t type, unsigned nth,
                                    size_t at, uint8_t value, uint64_t *rec_offset)
{
    struct lt_list l;
    uint8_t *b = malloc(len);

    memcpy(b, in, len);
    lt_walk(in, len, &l);
    const struct lt_rec *r = lt_find(&l, XSR_LAYER_LIBXC, type, nth);
    assert_non_null(r);
    b[r->offset + 8 + at] = value;
    *rec_offset = r->offset;
    lt_free(&l);
    return b;
}

static void expect_fail(const uint8_t *in, size_t len, uint32_t to, bool lossy, int code,
                        const char *substr, uint64_t offset)
{
    struct xsr_convert_opts o = XSR_CONVERT_OPTS_INIT;
    o.version = to;
    o.allow_lossy = lossy;
    struct xsr_error err;
    uint8_t *out;
    size_t out_len;

    xsr_error_clear(&err);
    int rc = lt_convert_version(in, len, &o, &out, &out_len, NULL, &err);
    free(out);
    if (rc != code || !strstr(err.message, substr) || (offset != UINT64_MAX && err.offset != offset))
        fail_msg("wanted %d '%s' at %" PRIu64 ", got %d at %" PRIu64 ": %s", code, substr, offset,
                 rc, err.offset, err.message);
}

static void test_errors(void **state)
{
    const struct shape pv = shapes[0], hvm = shapes[5];
    size_t len;
    uint64_t at;
    uint8_t *b, *c;
    (void)state;

    /* to v2: the policies are only dropped when allowed */
    b = generate(&pv, 3, &len);
    expect_fail(b, len, 2, false, XSR_EUNSUP, "X86_CPUID_POLICY", UINT64_MAX);
    /* to v4: shared info bytes beyond the structure */
    c = with_record_patched(b, len, XSR_REC_SHARED_INFO, 0, 4000, 0x77, &at);
    expect_fail(c, len, 4, false, XSR_EUNSUP, "non-zero bytes after its first 3136", at);
    free(convert(c, len, 4, true, &len, NULL));
    free(c);
    free(b);

    /* a bad DOMAIN_CONTEXT in a v4 stream */
    b = generate(&hvm, 4, &len);
    c = with_record_patched(b, len, XSR_REC_DOMAIN_CONTEXT, 0, 8, 0x99, &at);
    expect_fail(c, len, 3, false, XSR_EFORMAT, "DOMAIN_CONTEXT: domain context HEADER has magic", at);
    free(c);
    /* a DOMAIN_CONTEXT in a v3 stream (the image header says 3 now) */
    struct lt_list l;
    lt_walk(b, len, &l);
    uint64_t ih = l.r[0].offset;
    uint64_t dc = lt_find(&l, XSR_LAYER_LIBXC, XSR_REC_DOMAIN_CONTEXT, 0)->offset;
    lt_free(&l);
    xsr_st32(b + ih + 12, 3, XSR_BIG_ENDIAN);
    expect_fail(b, len, 4, false, XSR_EUNSUP, "DOMAIN_CONTEXT record in a version 3 stream", dc);
    free(b);

    /* a legacy stream */
    struct xsr_legacy_gen_opts g;
    xsr_legacy_gen_opts_init(&g, 64, XSR_DOM_X86_PV);
    b = lt_gen(&g, &len, NULL);
    expect_fail(b, len, 4, false, XSR_EUNSUP, "convert-legacy", UINT64_MAX);
    free(b);

    /* truncated: the walker's error, with where */
    b = generate(&pv, 3, &len);
    expect_fail(b, len - 1000, 4, false, XSR_ETRUNC, "", UINT64_MAX);
    free(b);

    /* bad arguments */
    uint8_t z[8] = { 0 };
    expect_fail(z, 8, 5, false, XSR_EINVAL, "not 2, 3 or 4", UINT64_MAX);
}

/* An input that breaks a rule is converted as it is and counted, or with
 * strict refused at that record before it is written. */
static void test_input_findings(void **state)
{
    (void)state;
    size_t len, out_len;
    uint64_t at;
    uint8_t *b = generate(&shapes[0], 3, &len), *out;
    uint8_t *c = with_record_patched(b, len, XSR_REC_X86_PV_INFO, 0, 2, 0x01, &at); /* reserved */
    struct xsr_convert_info info = XSR_CONVERT_INFO_INIT;
    free(convert(b, len, 4, false, &out_len, &info));
    assert_int_equal(info.input_errors, 0);
    out = convert(c, len, 4, false, &out_len, &info);
    assert_int_equal(info.input_errors, 1);
    assert_true(out_len > len / 2);
    free(out);

    struct xsr_convert_opts o = XSR_CONVERT_OPTS_INIT;
    o.version = 4;
    o.strict = true;
    struct xsr_error err;
    xsr_error_clear(&err);
    assert_int_equal(lt_convert_version(c, len, &o, &out, &out_len, &info, &err), XSR_EFORMAT);
    free(out);
    assert_int_equal(err.offset, at);
    assert_non_null(strstr(err.message, "[pv-info."));
    assert_int_equal(info.input_errors, 1);
    assert_int_equal(lt_convert_version(b, len, &o, &out, &out_len, NULL, &err), 0);
    free(out);
    free(c);
    free(b);
}

/* Both converters' options and results carry their size: unset or newer
 * sizes are refused before a byte is read or written. */
static void test_struct_sizes(void **state)
{
    (void)state;
    static const uint8_t b[64];
    struct xsr_error err;
    struct xsr_chan *in = xsr_chan_mem_reader(b, sizeof(b), NULL);
    struct xsr_chan *out = xsr_chan_mem_writer(NULL);
    struct xsr_convert_opts o = XSR_CONVERT_OPTS_INIT;
    struct xsr_convert_info info = XSR_CONVERT_INFO_INIT;
    o.version = 4;
    info.size = 0;
    assert_int_equal(xsr_convert_version(in, out, &o, &info, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_convert_info"));
    info.size = sizeof(info);
    o.size = sizeof(o) + 4;
    assert_int_equal(xsr_convert_version(in, out, &o, &info, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_convert_opts"));

    struct xsr_legacy_opts lo = XSR_LEGACY_OPTS_INIT;
    struct xsr_legacy_info li = XSR_LEGACY_INFO_INIT;
    lo.size = 0;
    assert_int_equal(xsr_convert_legacy(in, out, &lo, &li, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_legacy_opts"));
    lo.size = sizeof(lo);
    li.size = sizeof(li) * 2;
    assert_int_equal(xsr_convert_legacy(in, out, &lo, &li, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_legacy_info"));
    assert_int_equal(xsr_chan_offset(in), 0);
    size_t len;
    xsr_chan_mem_data(out, &len);
    assert_int_equal(len, 0);
    xsr_chan_close(in, NULL);
    xsr_chan_close(out, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_fold_holds_records),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_input_findings),
        cmocka_unit_test(test_struct_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
