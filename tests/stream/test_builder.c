/* SPDX-License-Identifier: MIT */
/*
 * Stream builder: the framing it writes is byte for byte the one of the
 * hand-built samples (which the walker tests read), in every format, byte
 * order and checkpointed shape; page data; what it refuses; its options'
 * size field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sample.h"

struct built {
    struct xsr_chan *ch;
    struct xsr_builder *b;
};

static struct xsr_builder_opts opts_for(enum xsr_layer format, uint32_t version,
                                        enum xsr_byte_order order)
{
    struct xsr_builder_opts o = XSR_BUILDER_OPTS_INIT;
    o.format = format;
    o.version = version;
    o.order = order;
    o.domain = (struct xsr_dhdr){ .type = XSR_DOM_X86_HVM, .xen_major = 4, .xen_minor = 17 };
    return o;
}

static void start(struct built *t, const struct xsr_builder_opts *o)
{
    struct xsr_error err;
    t->ch = xsr_chan_mem_writer(NULL);
    assert_non_null(t->ch);
    t->b = xsr_builder_new(t->ch, o, &err);
    if (!t->b)
        fail_msg("%s", err.message);
}

static uint8_t *body(uint32_t type, uint32_t len)
{
    uint8_t *p = malloc(len + 1);
    assert_non_null(p);
    for (uint32_t i = 0; i < len; i++)
        p[i] = sample_body_byte(type, i);
    return p;
}

static void rec(struct built *t, uint32_t type, uint32_t len)
{
    uint8_t *p = body(type, len);
    struct xsr_error err;
    if (xsr_builder_record(t->b, type, p, len, &err) != 0)
        fail_msg("%s", err.message);
    free(p);
}

static void lrec(struct built *t, uint32_t type, uint32_t len)
{
    uint8_t *p = body(type, len);
    struct xsr_error err;
    if (xsr_builder_libxl_record(t->b, type, p, len, &err) != 0)
        fail_msg("%s", err.message);
    free(p);
}

static void libxc_records(struct built *t)
{
    rec(t, XSR_REC_X86_CPUID_POLICY, 48);
    rec(t, XSR_REC_STATIC_DATA_END, 0);
    rec(t, XSR_REC_PAGE_DATA, 8 + 8 + 4096);
    rec(t, 0x80000123u, 5);
    rec(t, XSR_REC_HVM_PARAMS, 24);
    rec(t, XSR_REC_HVM_CONTEXT, 13);
}

/* End the stream, then compare with the sample and walk it. */
static void finish_same(struct built *t, void (*make)(struct sample *))
{
    struct xsr_error err;
    if (xsr_builder_end(t->b, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(xsr_builder_free(t->b, &err), 0);
    struct sample s;
    make(&s);
    size_t len;
    const uint8_t *d = xsr_chan_mem_data(t->ch, &len);
    assert_int_equal(len, s.len);
    assert_memory_equal(d, s.buf, len);
    struct xsr_chan *in = chan_over(CK_MEM, s.buf, s.len);
    assert_int_equal(walk_and_check(&s, in, 0, NULL, NULL), 0);
    chan_done(in);
    sample_free(&s);
    xsr_chan_close(t->ch, NULL);
}

static void test_xl_libxl_libxc(void **state)
{
    (void)state;
    struct xsr_builder_opts o = opts_for(XSR_LAYER_XL, 3, XSR_LITTLE_ENDIAN);
    uint8_t cfg[37];
    for (unsigned i = 0; i < sizeof(cfg); i++)
        cfg[i] = (uint8_t)('a' + i % 26);
    o.xl_mandatory_flags = XSR_XL_FLAG_JSON;
    o.xl_config = cfg;
    o.xl_config_len = sizeof(cfg);
    struct built t;
    start(&t, &o);
    libxc_records(&t);
    struct xsr_error err;
    assert_int_equal(xsr_builder_libxc_end(t.b, &err), 0);
    lrec(&t, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, 21);
    lrec(&t, XSR_LIBXL_REC_EMULATOR_CONTEXT, 100);
    assert_int_equal(xsr_builder_records(t.b), 7);
    finish_same(&t, sample_xl_libxl_libxc);
}

static void test_bare_libxc_big_endian(void **state)
{
    (void)state;
    struct xsr_builder_opts o = opts_for(XSR_LAYER_LIBXC, 4, XSR_BIG_ENDIAN);
    struct built t;
    start(&t, &o);
    libxc_records(&t);
    rec(&t, XSR_REC_DOMAIN_CONTEXT, 70);
    finish_same(&t, sample_bare_libxc_be);
}

static void test_bare_libxl(void **state)
{
    (void)state;
    struct xsr_builder_opts o = opts_for(XSR_LAYER_LIBXL, 2, XSR_LITTLE_ENDIAN);
    struct built t;
    start(&t, &o);
    libxc_records(&t);
    finish_same(&t, sample_bare_libxl); /* end writes both ENDs */
}

static void test_checkpointed(void **state)
{
    (void)state;
    struct xsr_builder_opts o = opts_for(XSR_LAYER_LIBXL, 3, XSR_LITTLE_ENDIAN);
    struct built t;
    struct xsr_error err;
    start(&t, &o);
    libxc_records(&t);
    assert_int_equal(xsr_builder_checkpoint(t.b, &err), 0);
    lrec(&t, XSR_LIBXL_REC_EMULATOR_CONTEXT, 44);
    rec(&t, XSR_REC_PAGE_DATA, 8 + 8 + 4096); /* CHECKPOINT_END first */
    rec(&t, XSR_REC_HVM_CONTEXT, 13);
    assert_int_equal(xsr_builder_checkpoint(t.b, &err), 0);
    lrec(&t, XSR_LIBXL_REC_CHECKPOINT_STATE, 4);
    rec(&t, XSR_REC_HVM_CONTEXT, 13);
    finish_same(&t, sample_checkpointed);
}

static void test_libxc_checkpoints(void **state)
{
    (void)state;
    struct xsr_builder_opts o = opts_for(XSR_LAYER_LIBXC, 3, XSR_LITTLE_ENDIAN);
    struct built t;
    struct xsr_error err;
    start(&t, &o);
    libxc_records(&t);
    assert_int_equal(xsr_builder_checkpoint(t.b, &err), 0);
    /* no libxl layer to pause in */
    assert_int_equal(xsr_builder_libxl_record(t.b, XSR_LIBXL_REC_EMULATOR_CONTEXT, "x", 1, &err),
                     XSR_ESTATE);
    rec(&t, XSR_REC_PAGE_DATA, 8 + 8 + 4096);
    assert_int_equal(xsr_builder_checkpoint(t.b, &err), 0);
    finish_same(&t, sample_libxc_checkpoints);
}

/* A checkpoint's libxl records directly followed by the end: CHECKPOINT_END,
 * libxc END, libxl END, as the walker expects them. */
static void test_end_after_checkpoint(void **state)
{
    (void)state;
    struct xsr_builder_opts o = opts_for(XSR_LAYER_XL, 4, XSR_BIG_ENDIAN);
    struct built t;
    struct xsr_error err;
    start(&t, &o);
    rec(&t, XSR_REC_HVM_CONTEXT, 13);
    assert_int_equal(xsr_builder_checkpoint(t.b, &err), 0);
    lrec(&t, XSR_LIBXL_REC_EMULATOR_CONTEXT, 3);
    assert_int_equal(xsr_builder_end(t.b, &err), 0);
    assert_int_equal(xsr_builder_free(t.b, &err), 0);
    size_t len;
    const uint8_t *d = xsr_chan_mem_data(t.ch, &len);
    struct xsr_chan *in = xsr_chan_mem_reader(d, len, NULL);
    struct xsr_walker *w = xsr_walker_new(in, NULL, &err);
    assert_non_null(w);
    static const struct { enum xsr_event_kind kind; uint32_t type; } want[] = {
        { XSR_EV_XL_HEADER, 0 }, { XSR_EV_LIBXL_HEADER, 0 },
        { XSR_EV_LIBXL_RECORD, XSR_LIBXL_REC_LIBXC_CONTEXT },
        { XSR_EV_IMAGE_HEADER, 0 }, { XSR_EV_DOMAIN_HEADER, 0 },
        { XSR_EV_RECORD, XSR_REC_HVM_CONTEXT }, { XSR_EV_RECORD, XSR_REC_CHECKPOINT },
        { XSR_EV_LIBXL_RECORD, XSR_LIBXL_REC_EMULATOR_CONTEXT },
        { XSR_EV_LIBXL_RECORD, XSR_LIBXL_REC_CHECKPOINT_END },
        { XSR_EV_RECORD, XSR_REC_END }, { XSR_EV_LIBXL_RECORD, XSR_LIBXL_REC_END },
    };
    struct xsr_event ev;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(xsr_walker_next(w, &ev, &err), 1);
        assert_int_equal(ev.kind, want[i].kind);
        assert_int_equal(ev.order, XSR_BIG_ENDIAN);
        if (want[i].type || ev.kind == XSR_EV_RECORD)
            assert_int_equal(ev.u.rec.type, want[i].type);
    }
    assert_int_equal(xsr_walker_next(w, &ev, &err), 0);
    xsr_walker_free(w);
    xsr_chan_close(in, NULL);
    xsr_chan_close(t.ch, NULL);
}

/* Bytes after the END of a bare libxc stream: written as given, walked as
 * trailing data. */
static void test_trailing(void **state)
{
    (void)state;
    struct xsr_builder_opts o = opts_for(XSR_LAYER_LIBXC, 3, XSR_LITTLE_ENDIAN);
    struct built t;
    struct xsr_error err;
    start(&t, &o);
    rec(&t, XSR_REC_HVM_CONTEXT, 13);
    assert_int_equal(xsr_builder_libxc_end(t.b, &err), 0); /* bare libxc: the end */
    assert_int_equal(xsr_builder_end(t.b, &err), XSR_ESTATE);
    assert_int_equal(xsr_builder_trailing(t.b, "DeviceModel", 11, &err), 0);
    assert_int_equal(xsr_builder_free(t.b, &err), 0);
    size_t len;
    const uint8_t *d = xsr_chan_mem_data(t.ch, &len);
    assert_int_equal(len, XSR_IHDR_SIZE + XSR_DHDR_SIZE + 8 + 16 + 8 + 11);
    assert_memory_equal(d + len - 11, "DeviceModel", 11);
    struct xsr_chan *in = xsr_chan_mem_reader(d, len, NULL);
    struct xsr_walker *w = xsr_walker_new(in, NULL, &err);
    struct xsr_event ev;
    int rc, trailing = 0;
    while ((rc = xsr_walker_next(w, &ev, &err)) == 1)
        if (ev.kind == XSR_EV_TRAILING)
            trailing += (int)ev.raw_len;
    assert_int_equal(rc, 0);
    assert_int_equal(trailing, 11);
    xsr_walker_free(w);
    xsr_chan_close(in, NULL);
    xsr_chan_close(t.ch, NULL);
}

static void test_page_data(void **state)
{
    (void)state;
    struct xsr_builder_opts o = opts_for(XSR_LAYER_LIBXC, 3, XSR_BIG_ENDIAN);
    struct built t;
    struct xsr_error err;
    start(&t, &o);
    static uint8_t p1[XSR_PAGE_SIZE], p2[2 * XSR_PAGE_SIZE];
    memset(p1, 0x11, sizeof(p1));
    memset(p2, 0x22, sizeof(p2));
    uint64_t words[4] = {
        xsr_pfn_word_make(XSR_PFN_NOTAB, 7), xsr_pfn_word_make(XSR_PFN_XTAB, 8),
        xsr_pfn_word_make(XSR_PFN_NOTAB, 9), xsr_pfn_word_make(XSR_PFN_NOTAB, 10),
    };
    struct iovec pages[3] = { { p1, sizeof(p1) }, { NULL, 0 }, { p2, sizeof(p2) } };
    assert_int_equal(xsr_builder_page_data(t.b, words, 4, pages, 3, &err), 0);
    /* the pages must match the words carrying data */
    assert_int_equal(xsr_builder_page_data(t.b, words, 4, pages, 1, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "12288 bytes of pages but 4096"));
    assert_int_equal(xsr_builder_page_data(t.b, words, 2, pages, 3, &err), XSR_EINVAL);
    assert_int_equal(xsr_builder_page_data(t.b, words + 1, 1, NULL, 0, &err), 0);
    assert_int_equal(xsr_builder_end(t.b, &err), 0);
    assert_int_equal(xsr_builder_records(t.b), 3);
    assert_int_equal(xsr_builder_free(t.b, &err), 0);

    size_t len;
    const uint8_t *d = xsr_chan_mem_data(t.ch, &len);
    const uint8_t *r = d + XSR_IHDR_SIZE + XSR_DHDR_SIZE;
    assert_int_equal(xsr_ld32(r, XSR_BIG_ENDIAN), XSR_REC_PAGE_DATA);
    assert_int_equal(xsr_ld32(r + 4, XSR_BIG_ENDIAN), 8 + 4 * 8 + 3 * XSR_PAGE_SIZE);
    assert_int_equal(xsr_ld32(r + 8, XSR_BIG_ENDIAN), 4);
    for (unsigned i = 0; i < 4; i++)
        assert_true(xsr_ld64(r + 16 + 8 * i, XSR_BIG_ENDIAN) == words[i]);
    const uint8_t *pg = r + 16 + 32;
    assert_int_equal(pg[0], 0x11);
    assert_int_equal(pg[XSR_PAGE_SIZE], 0x22);
    assert_int_equal(pg[3 * XSR_PAGE_SIZE - 1], 0x22);
    assert_int_equal(len, XSR_IHDR_SIZE + XSR_DHDR_SIZE + 8 + 8 + 32 + 3 * XSR_PAGE_SIZE +
                              8 + 8 + 8 + 8);
    xsr_chan_close(t.ch, NULL);
}

static void test_refusals(void **state)
{
    (void)state;
    struct xsr_builder_opts o = opts_for(XSR_LAYER_LIBXL, 3, XSR_LITTLE_ENDIAN);
    struct built t;
    struct xsr_error err;
    start(&t, &o);
    assert_int_equal(xsr_builder_record(t.b, XSR_REC_END, NULL, 0, &err), XSR_EINVAL);
    assert_int_equal(xsr_builder_record(t.b, XSR_REC_CHECKPOINT, NULL, 0, &err), XSR_EINVAL);
    assert_int_equal(xsr_builder_libxl_record(t.b, XSR_LIBXL_REC_EMULATOR_CONTEXT, "x", 1, &err),
                     XSR_ESTATE);
    assert_int_equal(xsr_builder_checkpoint(t.b, &err), 0);
    assert_int_equal(xsr_builder_libxl_record(t.b, XSR_LIBXL_REC_CHECKPOINT_END, NULL, 0, &err),
                     XSR_EINVAL);
    assert_int_equal(xsr_builder_libxl_record(t.b, XSR_LIBXL_REC_END, NULL, 0, &err), XSR_EINVAL);
    assert_int_equal(xsr_builder_trailing(t.b, "x", 1, &err), XSR_ESTATE);
    assert_int_equal(xsr_builder_libxc_end(t.b, &err), 0);
    assert_int_equal(xsr_builder_trailing(t.b, "x", 1, &err), XSR_ESTATE);
    assert_int_equal(xsr_builder_record(t.b, XSR_REC_HVM_CONTEXT, "x", 1, &err), XSR_ESTATE);
    assert_int_equal(xsr_builder_checkpoint(t.b, &err), XSR_ESTATE);
    assert_int_equal(xsr_builder_end(t.b, &err), 0);
    assert_int_equal(xsr_builder_end(t.b, &err), XSR_ESTATE);
    assert_int_equal(xsr_builder_libxl_record(t.b, XSR_LIBXL_REC_EMULATOR_CONTEXT, "x", 1, &err),
                     XSR_ESTATE);
    assert_int_equal(xsr_builder_free(t.b, &err), 0);
    xsr_chan_close(t.ch, NULL);

    struct xsr_chan *ch = xsr_chan_mem_writer(NULL);
    struct xsr_builder_opts bad = opts_for(XSR_LAYER_LEGACY, 3, XSR_LITTLE_ENDIAN);
    assert_null(xsr_builder_new(ch, &bad, &err));
    assert_int_equal(err.code, XSR_EINVAL);
    bad = opts_for(XSR_LAYER_LIBXC, 5, XSR_LITTLE_ENDIAN);
    assert_null(xsr_builder_new(ch, &bad, &err));
    assert_non_null(strstr(err.message, "version 5"));
    bad = opts_for(XSR_LAYER_LIBXL, 3, XSR_LITTLE_ENDIAN);
    bad.libxl_options = XSR_LIBXL_OPT_BIG_ENDIAN;
    assert_null(xsr_builder_new(ch, &bad, &err));
    bad = opts_for(XSR_LAYER_XL, 3, XSR_LITTLE_ENDIAN);
    bad.xl_config_len = 3;
    assert_null(xsr_builder_new(ch, &bad, &err));
    assert_null(xsr_builder_new(ch, NULL, &err));
    size_t len;
    xsr_chan_mem_data(ch, &len);
    assert_int_equal(len, 0);
    xsr_chan_close(ch, NULL);
}

/* The options' size: an older (smaller) layout works with defaults for what
 * it lacks; a size this library does not know is refused. */
static void test_opts_size(void **state)
{
    (void)state;
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_mem_writer(NULL);
    struct xsr_builder_opts o = opts_for(XSR_LAYER_LIBXL, 3, XSR_LITTLE_ENDIAN);
    o.libxl_options = XSR_LIBXL_OPT_LEGACY; /* beyond the older layout: ignored */
    o.size = offsetof(struct xsr_builder_opts, xl_mandatory_flags);
    struct xsr_builder *b = xsr_builder_new(ch, &o, &err);
    assert_non_null(b);
    assert_int_equal(xsr_builder_end(b, &err), 0);
    assert_int_equal(xsr_builder_free(b, &err), 0);
    size_t len;
    const uint8_t *d = xsr_chan_mem_data(ch, &len);
    struct xsr_libxl_hdr lh;
    xsr_libxl_hdr_decode(d, &lh);
    assert_int_equal(lh.options, 0);
    xsr_chan_close(ch, NULL);

    ch = xsr_chan_mem_writer(NULL);
    o.size = sizeof(o) + 8;
    assert_null(xsr_builder_new(ch, &o, &err));
    assert_int_equal(err.code, XSR_EINVAL);
    assert_non_null(strstr(err.message, "newer"));
    o.size = 0;
    assert_null(xsr_builder_new(ch, &o, &err));
    assert_non_null(strstr(err.message, "_INIT"));
    o.size = offsetof(struct xsr_builder_opts, order);
    assert_null(xsr_builder_new(ch, &o, &err));
    assert_non_null(strstr(err.message, "smaller"));
    xsr_chan_close(ch, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xl_libxl_libxc),
        cmocka_unit_test(test_bare_libxc_big_endian),
        cmocka_unit_test(test_bare_libxl),
        cmocka_unit_test(test_checkpointed),
        cmocka_unit_test(test_libxc_checkpoints),
        cmocka_unit_test(test_end_after_checkpoint),
        cmocka_unit_test(test_trailing),
        cmocka_unit_test(test_page_data),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_opts_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
