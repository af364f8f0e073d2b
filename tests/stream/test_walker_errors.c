/* SPDX-License-Identifier: MIT */
/* Walker framing errors: truncation everywhere, bad magic, over-long records, limits;
 * and what is NOT an error of the walker (passed on to the checker). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sample.h"

/* Walk to the end or the first error; returns the result, events counted. */
static int walk(struct xsr_chan *ch, const struct xsr_walker_opts *o, size_t *events,
                struct xsr_error *err)
{
    struct xsr_walker *w = xsr_walker_new(ch, o, err);
    assert_non_null(w);
    struct xsr_event ev;
    int rc;
    size_t n = 0;
    while ((rc = xsr_walker_next(w, &ev, err)) == 1)
        n++;
    if (events)
        *events = n;
    xsr_walker_free(w);
    return rc;
}

/* Index of the structure containing byte offset off (last one starting at or before it). */
static size_t event_at(const struct sample *s, uint64_t off)
{
    size_t i = 0;
    while (i + 1 < s->nev && s->ev[i + 1].offset <= off)
        i++;
    return i;
}

static void truncate_everywhere(void (*make)(struct sample *), enum chan_kind k)
{
    struct sample s;
    make(&s);
    for (size_t cut = 0; cut <= s.len; cut++) {
        struct xsr_chan *ch = chan_over(k, s.buf, cut);
        struct xsr_error err;
        xsr_error_clear(&err);
        size_t events = 0;
        int rc = walk(ch, NULL, &events, &err);
        chan_done(ch);
        if (cut == s.len) {
            assert_int_equal(rc, 0);
            assert_int_equal(events, s.nev);
            continue;
        }
        if (rc != XSR_ETRUNC)
            fail_msg("%s: cut at %zu of %zu: result %d (%s), expected a truncation",
                     chan_kind_name(k), cut, s.len, rc, err.message);
        assert_true(err.message[0] != '\0');
        if (cut == 0) {
            assert_non_null(strstr(err.message, "empty"));
            continue;
        }
        size_t i = event_at(&s, cut);
        const struct exp_ev *e = &s.ev[i];
        /* every structure that ended before the cut was reported */
        if (cut >= 32)
            assert_int_equal(events, i);
        if (cut == e->offset) {
            /* the input ended cleanly where structure i should start */
            assert_int_equal(err.offset, cut);
            continue;
        }
        if (cut < 32)
            continue; /* the format may not be recognisable yet */
        /* the input ended inside structure i: the error points at its start */
        if (err.offset != e->offset)
            fail_msg("%s: cut at %zu: error offset %llu, structure at %llu (%s)",
                     chan_kind_name(k), cut, (unsigned long long)err.offset,
                     (unsigned long long)e->offset, err.message);
        assert_int_equal(err.layer, e->layer);
        assert_non_null(strstr(err.message, "missing"));
        if (e->kind == XSR_EV_RECORD || e->kind == XSR_EV_LIBXL_RECORD) {
            if (cut - e->offset >= XSR_RHDR_SIZE) {
                assert_int_equal(err.record_index, e->index);
                assert_int_equal(err.record_type, e->type);
                assert_non_null(strstr(err.message, "body"));
            } else {
                assert_int_equal(err.record_index, XSR_NO_INDEX);
                assert_non_null(strstr(err.message, "record header"));
            }
        } else {
            assert_non_null(strstr(err.message, "header"));
        }
    }
    sample_free(&s);
}

static void test_truncation_xl_libxl_libxc(void **state)
{
    (void)state;
    truncate_everywhere(sample_xl_libxl_libxc, CK_MEM);
    truncate_everywhere(sample_xl_libxl_libxc, CK_FD_FILE);
}

static void test_truncation_checkpointed(void **state)
{
    (void)state;
    truncate_everywhere(sample_checkpointed, CK_MEM);
    truncate_everywhere(sample_checkpointed, CK_FAULT);
}

static void test_truncation_bare_libxc(void **state)
{
    (void)state;
    truncate_everywhere(sample_bare_libxc_be, CK_MEM);
    truncate_everywhere(sample_libxc_checkpoints, CK_FD_FILE);
}

static void test_truncation_message(void **state)
{
    (void)state;
    struct sample s;
    sample_bare_libxl(&s);
    /* cut 100 bytes into the PAGE_DATA body: libxc record 2 */
    size_t i = 0;
    while (s.ev[i].type != XSR_REC_PAGE_DATA || s.ev[i].kind != XSR_EV_RECORD)
        i++;
    size_t cut = (size_t)s.ev[i].offset + 8 + 100;
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        struct xsr_chan *ch = chan_over(k, s.buf, cut);
        struct xsr_error err;
        assert_int_equal(walk(ch, NULL, NULL, &err), XSR_ETRUNC);
        chan_done(ch);
        assert_int_equal(err.offset, s.ev[i].offset);
        assert_int_equal(err.layer, XSR_LAYER_LIBXC);
        assert_int_equal(err.record_index, 2);
        assert_int_equal(err.record_type, XSR_REC_PAGE_DATA);
        char want[160];
        snprintf(want, sizeof(want), "the body of a record of type 0x1 starting at offset %#llx "
                 "(4112 bytes): 4012 of them missing", (unsigned long long)s.ev[i].offset + 8);
        if (!strstr(err.message, want))
            fail_msg("%s: message \"%s\" lacks \"%s\"", chan_kind_name(k), err.message, want);
        char line[600];
        xsr_error_format(&err, line, sizeof(line));
        assert_non_null(strstr(line, "libxc record 2 (PAGE_DATA)"));
    }
    /* ending between records: which END is missing */
    struct xsr_chan *ch = chan_over(CK_MEM, s.buf, (size_t)s.ev[i].offset);
    struct xsr_error err;
    assert_int_equal(walk(ch, NULL, NULL, &err), XSR_ETRUNC);
    assert_non_null(strstr(err.message, "after 2 libxc records, before the libxc END record"));
    chan_done(ch);
    sample_free(&s);
}

static void test_detection_failures(void **state)
{
    (void)state;
    uint8_t ff[40];
    memset(ff, 0xff, sizeof(ff));
    struct xsr_error err;
    struct xsr_chan *ch = chan_over(CK_MEM, ff, sizeof(ff));
    assert_int_equal(walk(ch, NULL, NULL, &err), XSR_EFORMAT);
    assert_int_equal(err.offset, 0);
    assert_non_null(strstr(err.message, "no xl, libxl, libxc or legacy header"));
    chan_done(ch);
    ch = chan_over(CK_PIPE, ff, 10);
    assert_int_equal(walk(ch, NULL, NULL, &err), XSR_ETRUNC);
    assert_non_null(strstr(err.message, "10 bytes"));
    chan_done(ch);
}

static void test_bad_libxl_ident(void **state)
{
    (void)state;
    struct sample s;
    sample_xl_libxl_libxc(&s);
    /* corrupt the libxl ident behind the xl header */
    size_t at = (size_t)s.ev[1].offset;
    s.buf[at + 3] ^= 0x20;
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        struct xsr_chan *ch = chan_over(k, s.buf, s.len);
        struct xsr_error err;
        size_t events;
        assert_int_equal(walk(ch, NULL, &events, &err), XSR_EFORMAT);
        chan_done(ch);
        assert_int_equal(events, 1);
        assert_int_equal(err.offset, at);
        assert_int_equal(err.layer, XSR_LAYER_LIBXL);
        assert_int_equal(err.record_index, XSR_NO_INDEX);
        assert_non_null(strstr(err.message, "LibxlFmt"));
    }
    sample_free(&s);
}

static void test_bad_image_header(void **state)
{
    (void)state;
    struct sample s;
    sample_bare_libxl(&s);
    size_t at = (size_t)s.ev[2].offset; /* image header after LIBXC_CONTEXT */
    assert_int_equal(s.ev[2].kind, XSR_EV_IMAGE_HEADER);
    s.buf[at + 2] = 0x7f; /* marker */
    struct xsr_chan *ch = chan_over(CK_FAULT, s.buf, s.len);
    struct xsr_error err;
    size_t events;
    assert_int_equal(walk(ch, NULL, &events, &err), XSR_EFORMAT);
    chan_done(ch);
    assert_int_equal(events, 2);
    assert_int_equal(err.offset, at);
    assert_int_equal(err.layer, XSR_LAYER_LIBXC);
    assert_non_null(strstr(err.message, "marker 0xffff7fffffffffff"));
    s.buf[at + 2] = 0xff;
    s.buf[at + 8] = 'Y'; /* id */
    ch = chan_over(CK_MEM, s.buf, s.len);
    assert_int_equal(walk(ch, NULL, &events, &err), XSR_EFORMAT);
    chan_done(ch);
    assert_non_null(strstr(err.message, "id 0x59454e46"));
    sample_free(&s);
}

static void test_bad_xl_header(void **state)
{
    (void)state;
    struct sample s;
    sample_xl_libxl_libxc(&s);
    s.buf[32] = 0x05; /* byteorder reads as neither order */
    struct xsr_chan *ch = chan_over(CK_PIPE, s.buf, s.len);
    struct xsr_error err;
    assert_int_equal(walk(ch, NULL, NULL, &err), XSR_EFORMAT);
    chan_done(ch);
    assert_int_equal(err.layer, XSR_LAYER_XL);
    assert_int_equal(err.offset, 0);
    assert_non_null(strstr(err.message, "byteorder"));
    sample_free(&s);

    /* optional data above the limit: refused before reading it */
    sample_xl_libxl_libxc(&s);
    struct xsr_walker_opts o = XSR_WALKER_OPTS_INIT;
    o.max_record = 36;
    ch = chan_over(CK_MEM, s.buf, s.len);
    assert_int_equal(walk(ch, &o, NULL, &err), XSR_ELIMIT);
    chan_done(ch);
    assert_non_null(strstr(err.message, "37 bytes of optional data"));
    sample_free(&s);
}

static void test_overlong_record(void **state)
{
    (void)state;
    struct sample s;
    sample_bare_libxc_be(&s);
    /* libxc record 2 (PAGE_DATA) claims 0xfffffff0 bytes */
    const struct exp_ev *e = &s.ev[4];
    assert_int_equal(e->type, XSR_REC_PAGE_DATA);
    xsr_st32(s.buf + e->offset + 4, 0xfffffff0u, XSR_BIG_ENDIAN);
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        struct xsr_chan *ch = chan_over(k, s.buf, s.len);
        struct xsr_error err;
        assert_int_equal(walk(ch, NULL, NULL, &err), XSR_ELIMIT);
        chan_done(ch);
        assert_int_equal(err.offset, e->offset);
        assert_int_equal(err.layer, XSR_LAYER_LIBXC);
        assert_int_equal(err.record_index, 2);
        assert_int_equal(err.record_type, XSR_REC_PAGE_DATA);
        assert_non_null(strstr(err.message, "4294967280"));
    }
    sample_free(&s);

    /* a caller's lower limit applies to every record */
    sample_bare_libxc_be(&s);
    struct xsr_walker_opts o = XSR_WALKER_OPTS_INIT;
    o.max_record = 4111;
    struct xsr_chan *ch = chan_over(CK_MEM, s.buf, s.len);
    struct xsr_error err;
    assert_int_equal(walk(ch, &o, NULL, &err), XSR_ELIMIT);
    assert_int_equal(err.record_index, 2);
    assert_non_null(strstr(err.message, "limit of 4111 bytes"));
    chan_done(ch);
    sample_free(&s);
}

static void test_not_framing_errors_pass_through(void **state)
{
    (void)state;
    struct sample s;
    sb_begin(&s, 0);
    sb_libxl_hdr(&s, XSR_BIG_ENDIAN);
    sb_libxl_rec(&s, 77, 3);                           /* unknown libxl type */
    sb_libxl_rec(&s, 0x80000001u, 9);                  /* optional libxl type */
    sb_libxl_rec(&s, XSR_LIBXL_REC_CHECKPOINT_END, 0); /* out of place */
    sb_libxl_rec(&s, XSR_LIBXL_REC_LIBXC_CONTEXT, 0);
    sb_ihdr(&s, 9, XSR_LITTLE_ENDIAN);                 /* unknown version */
    sb_dhdr(&s);
    sb_rec(&s, 0x7777, 11);                            /* reserved mandatory type */
    sb_rec(&s, XSR_REC_END, 0);
    sb_libxl_rec(&s, XSR_LIBXL_REC_EMULATOR_CONTEXT, 12); /* big-endian again */
    sb_libxl_rec(&s, XSR_LIBXL_REC_END, 0);
    sb_finish(&s);
    /* libxl header: version 7 and a reserved option bit */
    s.buf[11] = 7;
    s.buf[14] = 0x80;
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        struct xsr_chan *ch = chan_over(k, s.buf, s.len);
        assert_int_equal(walk_and_check(&s, ch, 0, NULL, NULL), 0);
        chan_done(ch);
    }
    sample_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncation_xl_libxl_libxc),
        cmocka_unit_test(test_truncation_checkpointed),
        cmocka_unit_test(test_truncation_bare_libxc),
        cmocka_unit_test(test_truncation_message),
        cmocka_unit_test(test_detection_failures),
        cmocka_unit_test(test_bad_libxl_ident),
        cmocka_unit_test(test_bad_image_header),
        cmocka_unit_test(test_bad_xl_header),
        cmocka_unit_test(test_overlong_record),
        cmocka_unit_test(test_not_framing_errors_pass_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
