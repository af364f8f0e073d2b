/* SPDX-License-Identifier: MIT */
/*
 * Record sequences and counts of generated images, per option set, decoded
 * with the wire layer (gen_parse.c).  The expected sequences are Xen's own
 * order (format.md §1.4-1.6, the Xen 4.17 fixtures).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xsr/gen.h>
#include <xsr/io.h>

#include "gen_parse.h"

#define PV_STATIC_V3 "X86_PV_INFO X86_CPUID_POLICY X86_MSR_POLICY STATIC_DATA_END X86_PV_P2M_FRAMES"
#define HVM_STATIC_V3 "X86_CPUID_POLICY X86_MSR_POLICY STATIC_DATA_END"
#define PV_VCPU "X86_PV_VCPU_BASIC X86_PV_VCPU_EXTENDED X86_PV_VCPU_XSAVE"
#define PV_VCPU_ALL PV_VCPU " X86_PV_VCPU_MSRS"
#define HVM_STATE "HVM_CONTEXT HVM_PARAMS"
#define EMU "EMULATOR_XENSTORE_DATA EMULATOR_CONTEXT"

struct seq_case {
    const char *name;
    uint32_t version, dom_type;
    unsigned width;
    enum xsr_layer wrap;
    uint64_t pages;
    unsigned vcpus, live, checkpoints;
    bool verify, all;
    const char *expect;
};

static const struct seq_case cases[] = {
    { "pv64 v3 plain", 3, XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXC, 16, 1, 0, 0, false, false,
      "ihdr dhdr " PV_STATIC_V3 " PAGE_DATA X86_TSC_INFO SHARED_INFO " PV_VCPU " END" },
    { "pv64 v2 two batches two vcpus", 2, XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXC, 2100, 2, 0, 0,
      false, false,
      "ihdr dhdr X86_PV_INFO X86_PV_P2M_FRAMES PAGE_DATA*3 X86_TSC_INFO SHARED_INFO " PV_VCPU
      " " PV_VCPU " END" },
    { "pv32 v4 xl", 4, XSR_DOM_X86_PV, 4, XSR_LAYER_XL, 16, 1, 0, 0, false, false,
      "xl libxl LIBXC_CONTEXT ihdr dhdr " PV_STATIC_V3 " PAGE_DATA DOMAIN_CONTEXT " PV_VCPU
      " END END" },
    { "pv64 v3 all records", 3, XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXL, 16, 2, 0, 0, false, true,
      "libxl LIBXC_CONTEXT ihdr dhdr " PV_STATIC_V3 " PAGE_DATA X86_TSC_INFO SHARED_INFO "
      PV_VCPU_ALL " " PV_VCPU_ALL " 0x80000042 END END" },
    { "pv64 v3 live verify", 3, XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXC, 16, 1, 1, 0, true, true,
      "ihdr dhdr " PV_STATIC_V3 " PAGE_DATA*2 VERIFY PAGE_DATA X86_TSC_INFO SHARED_INFO "
      PV_VCPU_ALL " 0x80000042 END" },
    { "pv64 v4 checkpointed xl", 4, XSR_DOM_X86_PV, 8, XSR_LAYER_XL, 16, 1, 0, 2, false, false,
      "xl libxl LIBXC_CONTEXT ihdr dhdr " PV_STATIC_V3 " PAGE_DATA DOMAIN_CONTEXT " PV_VCPU
      " CHECKPOINT CHECKPOINT_END PAGE_DATA DOMAIN_CONTEXT " PV_VCPU
      " CHECKPOINT CHECKPOINT_END END END" },
    { "hvm v3 libxl", 3, XSR_DOM_X86_HVM, 8, XSR_LAYER_LIBXL, 16, 1, 0, 0, false, false,
      "libxl LIBXC_CONTEXT ihdr dhdr " HVM_STATIC_V3 " PAGE_DATA X86_TSC_INFO " HVM_STATE
      " END " EMU " END" },
    { "hvm v2 libxc", 2, XSR_DOM_X86_HVM, 8, XSR_LAYER_LIBXC, 16, 1, 0, 0, false, false,
      "ihdr dhdr PAGE_DATA X86_TSC_INFO " HVM_STATE " END" },
    { "hvm v4 xl all records", 4, XSR_DOM_X86_HVM, 8, XSR_LAYER_XL, 16, 1, 0, 0, false, true,
      "xl libxl LIBXC_CONTEXT ihdr dhdr " HVM_STATIC_V3 " PAGE_DATA DOMAIN_CONTEXT " HVM_STATE
      " 0x80000042 END " EMU " END" },
    { "hvm v3 checkpointed libxl", 3, XSR_DOM_X86_HVM, 8, XSR_LAYER_LIBXL, 16, 1, 0, 3, false,
      true,
      "libxl LIBXC_CONTEXT ihdr dhdr " HVM_STATIC_V3 " PAGE_DATA X86_TSC_INFO " HVM_STATE
      " 0x80000042 CHECKPOINT " EMU " CHECKPOINT_END PAGE_DATA X86_TSC_INFO " HVM_STATE
      " CHECKPOINT " EMU " CHECKPOINT_END PAGE_DATA X86_TSC_INFO " HVM_STATE " CHECKPOINT " EMU
      " CHECKPOINT_END END END" },
    { "hvm v3 checkpointed bare", 3, XSR_DOM_X86_HVM, 8, XSR_LAYER_LIBXC, 16, 1, 0, 2, false,
      false,
      "ihdr dhdr " HVM_STATIC_V3 " PAGE_DATA X86_TSC_INFO " HVM_STATE " CHECKPOINT PAGE_DATA "
      "X86_TSC_INFO " HVM_STATE " CHECKPOINT END" },
};

static void setup_opts(const struct seq_case *c, struct xsr_gen_opts *o)
{
    xsr_gen_opts_init(o, c->version, c->dom_type);
    o->guest_width = c->width;
    o->wrap = c->wrap;
    o->nr_pages = c->pages;
    o->nr_vcpus = c->vcpus;
    o->live_passes = c->live;
    o->checkpoints = c->checkpoints;
    o->verify_pass = c->verify;
    o->all_records = c->all;
}

static void test_sequences(void **state)
{
    (void)state;
    static char seq[8192];
    unsigned bad = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int order = 0; order < 2; order++) {
            struct xsr_gen_opts o;
            struct gp_image img;
            size_t len;
            setup_opts(&cases[i], &o);
            o.order = order ? XSR_BIG_ENDIAN : XSR_LITTLE_ENDIAN;
            uint8_t *buf = gp_generate(&o, &len);
            assert_non_null(buf);
            if (gp_parse(buf, len, &img) < 0)
                fail_msg("%s: %s", cases[i].name, img.error);
            assert_int_equal(img.order, o.order);
            assert_int_equal(img.ihdr.version, cases[i].version);
            assert_int_equal(img.dhdr.type, cases[i].dom_type);
            gp_sequence(&img, seq, sizeof(seq));
            if (strcmp(seq, cases[i].expect) != 0) {
                print_error("%s (%s):\n  got      %s\n  expected %s\n", cases[i].name,
                            order ? "big-endian" : "little-endian", seq, cases[i].expect);
                bad++;
            }
            gp_free(&img);
            free(buf);
        }
    }
    assert_int_equal(bad, 0);
}

/* Pass 0: every pfn once, ascending, in batches of 1024; counts of types. */
static void test_batches(void **state)
{
    (void)state;
    struct xsr_gen_opts o;
    struct gp_image img;
    size_t len;
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_HVM);
    o.nr_pages = 2100;
    uint8_t *buf = gp_generate(&o, &len);
    assert_non_null(buf);
    assert_int_equal(gp_parse(buf, len, &img), 0);
    assert_int_equal(gp_count(&img, XSR_LAYER_LIBXC, XSR_REC_PAGE_DATA), 3);
    static const uint32_t counts[3] = { 1024, 1024, 52 };
    uint64_t next = 0, xtab = 0, data = 0;
    for (size_t r = 0; r < 3; r++) {
        const struct gp_rec *rec = gp_find(&img, XSR_LAYER_LIBXC, XSR_REC_PAGE_DATA, r);
        struct xsr_page_data pd;
        assert_int_equal(xsr_page_data_decode(rec->body, rec->len, img.order, &pd, NULL), 0);
        assert_int_equal(pd.count, counts[r]);
        assert_int_equal(pd.reserved, 0);
        for (uint32_t i = 0; i < pd.count; i++) {
            uint64_t w = xsr_page_data_word(&pd, i);
            assert_int_equal(xsr_pfn_word_pfn(w), next++);
            assert_int_equal(xsr_pfn_word_reserved(w), 0);
            xtab += xsr_pfn_word_type(w) == XSR_PFN_XTAB;
        }
        data += pd.data_pages;
    }
    assert_int_equal(next, 2100);
    assert_int_equal(xtab, 0x20);
    assert_int_equal(data, 2100 - 0x20);
    gp_free(&img);
    free(buf);
}

/* Live passes resend a shrinking subset; the sizes of the image add up. */
static void test_live_passes(void **state)
{
    (void)state;
    struct xsr_gen_opts o;
    struct gp_image img;
    size_t len;
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.nr_pages = 4096;
    o.live_passes = 4;
    o.seed = 99;
    uint8_t *buf = gp_generate(&o, &len);
    assert_non_null(buf);
    assert_int_equal(gp_parse(buf, len, &img), 0);

    uint64_t sent[8] = { 0 }, last = UINT64_MAX, bytes = 0;
    unsigned pass = 0;
    for (size_t r = 0; r < img.n; r++) {
        const struct gp_rec *rec = &img.recs[r];
        bytes += rec->kind == GP_REC ? XSR_RHDR_SIZE + xsr_rec_padded(rec->len) : rec->len;
        if (rec->kind != GP_REC || rec->type != XSR_REC_PAGE_DATA)
            continue;
        struct xsr_page_data pd;
        assert_int_equal(xsr_page_data_decode(rec->body, rec->len, img.order, &pd, NULL), 0);
        assert_true(pd.count <= XSR_PAGE_BATCH_MAX);
        for (uint32_t i = 0; i < pd.count; i++) {
            uint64_t pfn = xsr_pfn_word_pfn(xsr_page_data_word(&pd, i));
            if (last != UINT64_MAX && pfn <= last)
                pass++; /* a pass starts when the pfns go back */
            assert_true(pass < 8);
            sent[pass]++;
            last = pfn;
        }
    }
    assert_int_equal(bytes, len);
    assert_int_equal(pass, 4);
    assert_int_equal(sent[0], 4096);
    /* roughly 1/2, 1/4, 1/8, 1/16 of the dirtyable pages */
    assert_in_range(sent[1], 1700, 2300);
    assert_in_range(sent[2], 850, 1200);
    assert_in_range(sent[3], 400, 620);
    assert_in_range(sent[4], 200, 320);
    gp_free(&img);
    free(buf);
}

/* Same options, same bytes; another seed changes only page contents. */
static void test_determinism(void **state)
{
    (void)state;
    struct xsr_gen_opts o;
    size_t a_len, b_len, c_len;
    xsr_gen_opts_init(&o, 4, XSR_DOM_X86_HVM);
    o.wrap = XSR_LAYER_XL;
    o.all_records = true;
    o.live_passes = 2;
    o.nr_vcpus = 3;
    uint8_t *a = gp_generate(&o, &a_len);
    uint8_t *b = gp_generate(&o, &b_len);
    o.seed = 1;
    uint8_t *c = gp_generate(&o, &c_len);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len);
    assert_true(a_len != c_len || memcmp(a, c, a_len) != 0);
    free(a);
    free(b);
    free(c);
}

/* A channel that fails: the error comes back with errno, and no crash. */
static void test_write_failure(void **state)
{
    (void)state;
    struct xsr_gen_opts o;
    struct xsr_error err;
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.nr_pages = 2048;
    xsr_error_clear(&err);
    struct xsr_chan *mem = xsr_chan_mem_writer(&err);
    struct xsr_fault_spec spec = { .size = sizeof(struct xsr_fault_spec), .max_io = 0, .eintr_every = 3, .fail_after = 100000,
                                   .fail_errno = 28 /* ENOSPC */ };
    struct xsr_chan *ch = xsr_chan_fault(mem, &spec, &err);
    assert_non_null(ch);
    assert_int_equal(xsr_gen_write(&o, ch, &err), XSR_EIO);
    assert_int_equal(err.code, XSR_EIO);
    assert_int_equal(err.sys_errno, 28);
    xsr_chan_close(ch, NULL);
    assert_int_equal(xsr_gen_write(&o, NULL, &err), XSR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_live_passes),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_write_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
