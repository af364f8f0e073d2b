/* SPDX-License-Identifier: MIT */
/* Walker: event sequences of every layer combination, over every kind of channel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sample.h"

typedef void (*sample_fn)(struct sample *);

static void walk_everywhere(sample_fn make, enum xsr_layer format)
{
    struct sample s;
    make(&s);
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        struct xsr_chan *ch = chan_over(k, s.buf, s.len);
        struct xsr_error err;
        struct xsr_walker *w = xsr_walker_new(ch, NULL, &err);
        struct xsr_event ev;
        assert_int_equal(xsr_walker_format(w), XSR_LAYER_NONE);
        assert_int_equal(xsr_walker_next(w, &ev, &err), 1);
        assert_int_equal(xsr_walker_format(w), format);
        xsr_walker_free(w);
        chan_done(ch);

        ch = chan_over(k, s.buf, s.len);
        assert_int_equal(walk_and_check(&s, ch, 0, NULL, NULL), 0);
        chan_done(ch);
    }
    sample_free(&s);
}

static void test_xl_libxl_libxc(void **state)
{
    (void)state;
    walk_everywhere(sample_xl_libxl_libxc, XSR_LAYER_XL);
}

static void test_bare_libxc_big_endian(void **state)
{
    (void)state;
    walk_everywhere(sample_bare_libxc_be, XSR_LAYER_LIBXC);
    /* the events carry the stream's order, and the header fields decode in it */
    struct sample s;
    sample_bare_libxc_be(&s);
    assert_int_equal(s.buf[17] & 1, 1); /* options bit 0 in the image header */
    struct xsr_chan *ch = chan_over(CK_MEM, s.buf, s.len);
    struct xsr_walker *w = xsr_walker_new(ch, NULL, NULL);
    struct xsr_event ev;
    assert_int_equal(xsr_walker_next(w, &ev, NULL), 1);
    assert_int_equal(ev.kind, XSR_EV_IMAGE_HEADER);
    assert_int_equal(ev.u.ihdr.version, 4);
    assert_int_equal(ev.order, XSR_BIG_ENDIAN);
    assert_int_equal(xsr_walker_next(w, &ev, NULL), 1);
    assert_int_equal(ev.u.dhdr.type, XSR_DOM_X86_HVM);
    assert_int_equal(ev.u.dhdr.xen_minor, 17);
    assert_int_equal(ev.order, XSR_BIG_ENDIAN);
    assert_int_equal(xsr_walker_next(w, &ev, NULL), 1);
    assert_int_equal(ev.u.rec.type, XSR_REC_X86_CPUID_POLICY);
    assert_int_equal(ev.order, XSR_BIG_ENDIAN);
    /* big-endian record header on the wire */
    static const uint8_t hdr[8] = { 0, 0, 0, 0x11, 0, 0, 0, 48 };
    assert_memory_equal(ev.raw, hdr, 8);
    xsr_walker_free(w);
    chan_done(ch);
    sample_free(&s);
}

static void test_bare_libxl(void **state)
{
    (void)state;
    walk_everywhere(sample_bare_libxl, XSR_LAYER_LIBXL);
}

static void test_checkpointed_libxl(void **state)
{
    (void)state;
    walk_everywhere(sample_checkpointed, XSR_LAYER_LIBXL);
    /* spell out the layer switches once */
    struct sample s;
    sample_checkpointed(&s);
    static const struct { enum xsr_event_kind kind; int64_t index; uint32_t type; } want[] = {
        { XSR_EV_LIBXL_HEADER, -1, 0 },
        { XSR_EV_LIBXL_RECORD, 0, XSR_LIBXL_REC_LIBXC_CONTEXT },
        { XSR_EV_IMAGE_HEADER, -1, 0 },
        { XSR_EV_DOMAIN_HEADER, -1, 0 },
        { XSR_EV_RECORD, 0, XSR_REC_X86_CPUID_POLICY },
        { XSR_EV_RECORD, 1, XSR_REC_STATIC_DATA_END },
        { XSR_EV_RECORD, 2, XSR_REC_PAGE_DATA },
        { XSR_EV_RECORD, 3, 0x80000123u },
        { XSR_EV_RECORD, 4, XSR_REC_HVM_PARAMS },
        { XSR_EV_RECORD, 5, XSR_REC_HVM_CONTEXT },
        { XSR_EV_RECORD, 6, XSR_REC_CHECKPOINT },
        { XSR_EV_LIBXL_RECORD, 1, XSR_LIBXL_REC_EMULATOR_CONTEXT },
        { XSR_EV_LIBXL_RECORD, 2, XSR_LIBXL_REC_CHECKPOINT_END },
        { XSR_EV_RECORD, 7, XSR_REC_PAGE_DATA },
        { XSR_EV_RECORD, 8, XSR_REC_HVM_CONTEXT },
        { XSR_EV_RECORD, 9, XSR_REC_CHECKPOINT },
        { XSR_EV_LIBXL_RECORD, 3, XSR_LIBXL_REC_CHECKPOINT_STATE },
        { XSR_EV_LIBXL_RECORD, 4, XSR_LIBXL_REC_CHECKPOINT_END },
        { XSR_EV_RECORD, 10, XSR_REC_HVM_CONTEXT },
        { XSR_EV_RECORD, 11, XSR_REC_END },
        { XSR_EV_LIBXL_RECORD, 5, XSR_LIBXL_REC_END },
    };
    struct xsr_chan *ch = chan_over(CK_MEM, s.buf, s.len);
    struct xsr_walker *w = xsr_walker_new(ch, NULL, NULL);
    struct xsr_event ev;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(xsr_walker_next(w, &ev, NULL), 1);
        assert_int_equal(ev.kind, want[i].kind);
        assert_int_equal(ev.index, want[i].index);
        if (ev.kind == XSR_EV_RECORD || ev.kind == XSR_EV_LIBXL_RECORD)
            assert_int_equal(ev.u.rec.type, want[i].type);
    }
    assert_int_equal(xsr_walker_next(w, &ev, NULL), 0);
    xsr_walker_free(w);
    chan_done(ch);
    sample_free(&s);
}

static void test_bare_libxc_checkpoints_continue(void **state)
{
    (void)state;
    walk_everywhere(sample_libxc_checkpoints, XSR_LAYER_LIBXC);
}

static void sample_libxc_restart(struct sample *s)
{
    sb_begin(s, 0);
    sb_libxl_hdr(s, XSR_BIG_ENDIAN);
    sb_libxl_rec(s, XSR_LIBXL_REC_LIBXC_CONTEXT, 0);
    sb_ihdr(s, 3, XSR_LITTLE_ENDIAN);
    sb_dhdr(s);
    sb_rec(s, XSR_REC_END, 0);
    sb_libxl_rec(s, XSR_LIBXL_REC_LIBXC_CONTEXT, 0);
    sb_ihdr(s, 2, XSR_BIG_ENDIAN); /* a second libxc stream, its own order */
    sb_dhdr(s);
    sb_rec(s, XSR_REC_HVM_CONTEXT, 13);
    sb_rec(s, XSR_REC_END, 0);
    sb_libxl_rec(s, XSR_LIBXL_REC_EMULATOR_CONTEXT, 3);
    sb_libxl_rec(s, XSR_LIBXL_REC_END, 0);
    sb_finish(s);
}

static void test_libxc_stream_after_end(void **state)
{
    (void)state;
    walk_everywhere(sample_libxc_restart, XSR_LAYER_LIBXL);
    struct sample s;
    sample_libxc_restart(&s);
    assert_int_equal(s.ev[8].kind, XSR_EV_RECORD);
    assert_int_equal(s.ev[8].index, 1); /* indexes keep counting (no restart at 0) */
    sample_free(&s);
}

static void test_forced_format(void **state)
{
    (void)state;
    struct sample s;
    sample_bare_libxl(&s);
    struct xsr_chan *ch = chan_over(CK_MEM, s.buf, s.len);
    struct xsr_walker_opts o = XSR_WALKER_OPTS_INIT;
    o.format = XSR_LAYER_LIBXL;
    struct xsr_walker *w = xsr_walker_new(ch, &o, NULL);
    struct xsr_event ev;
    assert_int_equal(xsr_walker_next(w, &ev, NULL), 1);
    assert_int_equal(ev.kind, XSR_EV_LIBXL_HEADER);
    xsr_walker_free(w);
    chan_done(ch);

    /* forcing the wrong format is a framing error of that format */
    ch = chan_over(CK_MEM, s.buf, s.len);
    o.format = XSR_LAYER_LIBXC;
    w = xsr_walker_new(ch, &o, NULL);
    struct xsr_error err;
    assert_int_equal(xsr_walker_next(w, &ev, &err), XSR_EFORMAT);
    assert_int_equal(err.layer, XSR_LAYER_LIBXC);
    assert_int_equal(err.offset, 0);
    assert_non_null(strstr(err.message, "image header"));
    /* after an error the walker refuses to go on */
    assert_int_equal(xsr_walker_next(w, &ev, &err), XSR_ESTATE);
    xsr_walker_free(w);

    o.format = (enum xsr_layer)42;
    assert_null(xsr_walker_new(ch, &o, &err));
    assert_int_equal(err.code, XSR_EINVAL);
    chan_done(ch);
    sample_free(&s);
}

static void test_trailing_bytes(void **state)
{
    (void)state;
    struct sample s;
    sb_begin(&s, 0);
    sb_libxl_hdr(&s, XSR_LITTLE_ENDIAN);
    sb_libxl_rec(&s, XSR_LIBXL_REC_END, 0);
    size_t n = 150000;
    uint8_t *junk = malloc(n);
    assert_non_null(junk);
    for (size_t i = 0; i < n; i++)
        junk[i] = (uint8_t)(i * 3);
    sb_raw(&s, junk, n);
    sb_finish(&s);
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        size_t chunks[] = { 0, 4096, 1 << 20 };
        for (size_t c = 0; c < 3; c++) {
            struct xsr_chan *ch = chan_over(k, s.buf, s.len);
            uint8_t *out;
            size_t out_len;
            assert_int_equal(walk_and_check(&s, ch, chunks[c], &out, &out_len), 0);
            assert_int_equal(out_len, s.len); /* trailing bytes are re-emitted too */
            assert_memory_equal(out, s.buf, s.len);
            free(out);
            chan_done(ch);
        }
    }
    /* the trailing events themselves */
    struct xsr_chan *ch = chan_over(CK_MEM, s.buf, s.len);
    struct xsr_walker_opts o = XSR_WALKER_OPTS_INIT;
    o.trailing_chunk = 65536;
    struct xsr_walker *w = xsr_walker_new(ch, &o, NULL);
    struct xsr_event ev;
    int count = 0;
    uint64_t off = 24;
    int rc;
    while ((rc = xsr_walker_next(w, &ev, NULL)) == 1) {
        if (ev.kind != XSR_EV_TRAILING)
            continue;
        assert_int_equal(ev.offset, off);
        assert_int_equal(ev.layer, XSR_LAYER_LIBXL);
        assert_int_equal(ev.index, XSR_NO_INDEX);
        assert_int_equal(ev.raw_len, count < 2 ? 65536 : 150000 - 2 * 65536);
        off += ev.raw_len;
        count++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(count, 3);
    xsr_walker_free(w);
    chan_done(ch);
    free(junk);
    sample_free(&s);
}

static void test_legacy_after_xl(void **state)
{
    (void)state;
    static const uint8_t legacy[] = { 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef };
    struct sample s;
    sb_begin(&s, 0);
    sb_xl(&s, XSR_BIG_ENDIAN, false, 20);
    sb_expect(&s, XSR_EV_LEGACY, XSR_LAYER_LEGACY);
    sb_raw(&s, legacy, sizeof(legacy));
    sb_finish(&s);
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        struct xsr_chan *ch = chan_over(k, s.buf, s.len);
        struct xsr_walker *w = xsr_walker_new(ch, NULL, NULL);
        struct xsr_event ev;
        assert_int_equal(xsr_walker_next(w, &ev, NULL), 1);
        assert_int_equal(ev.kind, XSR_EV_XL_HEADER);
        assert_int_equal(ev.order, XSR_BIG_ENDIAN);
        assert_false(ev.u.xl.hdr.mandatory_flags & XSR_XL_FLAG_STREAMV2);
        assert_memory_equal(ev.u.xl.optional_data, "abcdefghijklmnopqrst", 20);
        assert_int_equal(xsr_walker_next(w, &ev, NULL), 1);
        assert_int_equal(ev.kind, XSR_EV_LEGACY);
        assert_int_equal(ev.layer, XSR_LAYER_LEGACY);
        assert_int_equal(ev.offset, 68);
        assert_null(ev.raw);
        assert_int_equal(xsr_walker_next(w, &ev, NULL), 0);
        /* the legacy bytes are still there for whoever reads them next */
        struct xsr_reader *r = xsr_walker_reader(w);
        assert_int_equal(xsr_reader_offset(r), 68);
        const uint8_t *v;
        assert_int_equal(xsr_reader_fixed(r, sizeof(legacy), &v, NULL), 0);
        assert_memory_equal(v, legacy, sizeof(legacy));
        assert_int_equal(xsr_reader_at_eof(r, NULL), 1);
        xsr_walker_free(w);
        chan_done(ch);
    }
    sample_free(&s);
}

static void test_bare_legacy(void **state)
{
    (void)state;
    uint8_t legacy[100];
    for (size_t i = 0; i < sizeof(legacy); i++)
        legacy[i] = (uint8_t)i;
    /* a 64-bit HVM writer's start: p2m_size 0x100, then a batch of 4 pages */
    memcpy(legacy, "\x00\x01\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00", 12);
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        struct xsr_chan *ch = chan_over(k, legacy, sizeof(legacy));
        struct xsr_walker *w = xsr_walker_new(ch, NULL, NULL);
        struct xsr_event ev;
        assert_int_equal(xsr_walker_next(w, &ev, NULL), 1);
        assert_int_equal(ev.kind, XSR_EV_LEGACY);
        assert_int_equal(ev.offset, 0);
        assert_int_equal(xsr_walker_format(w), XSR_LAYER_LEGACY);
        assert_int_equal(xsr_walker_next(w, &ev, NULL), 0);
        /* the bytes looked at for detection are not lost */
        const uint8_t *v;
        assert_int_equal(xsr_reader_blob(xsr_walker_reader(w), sizeof(legacy), &v, NULL), 0);
        assert_memory_equal(v, legacy, sizeof(legacy));
        xsr_walker_free(w);
        chan_done(ch);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xl_libxl_libxc),
        cmocka_unit_test(test_bare_libxc_big_endian),
        cmocka_unit_test(test_bare_libxl),
        cmocka_unit_test(test_checkpointed_libxl),
        cmocka_unit_test(test_bare_libxc_checkpoints_continue),
        cmocka_unit_test(test_libxc_stream_after_end),
        cmocka_unit_test(test_forced_format),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_legacy_after_xl),
        cmocka_unit_test(test_bare_legacy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
