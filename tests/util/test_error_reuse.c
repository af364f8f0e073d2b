/* SPDX-License-Identifier: MIT */
/*
 * One struct xsr_error reused across failing calls: each failure's location
 * (or its absence) belongs to that call, never to an earlier one.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <xsr/xsr.h>

static void assert_no_location(const struct xsr_error *e)
{
    assert_int_equal(e->offset, XSR_NO_OFFSET);
    assert_int_equal(e->record_index, XSR_NO_INDEX);
    assert_int_equal(e->layer, XSR_LAYER_NONE);
}

static void test_set_resets_location(void **state)
{
    (void)state;
    struct xsr_error e;
    xsr_error_clear(&e);
    xsr_error_sys(&e, 5, "first");
    xsr_error_locate(&e, 0x11640, XSR_LAYER_LIBXC, 6, 0xf);
    assert_int_equal(xsr_error_set(&e, XSR_EFORMAT, "second"), XSR_EFORMAT);
    assert_string_equal(e.message, "second");
    assert_int_equal(e.sys_errno, 0);
    assert_no_location(&e);
    xsr_error_locate(&e, 0x210, XSR_LAYER_LIBXC, 2, 3);
    assert_int_equal(e.offset, 0x210);
    assert_int_equal(e.record_index, 2);
}

/* A truncated image fails stats with a location; the next, unrelated
 * failure through the same object carries none, and a second truncation at
 * another point carries its own. */
static void test_public_calls_reuse_one_error(void **state)
{
    (void)state;
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_gen_opts o;
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    struct xsr_chan *w = xsr_chan_mem_writer(&err);
    assert_non_null(w);
    assert_int_equal(xsr_gen_write(&o, w, &err), 0);
    size_t len;
    const uint8_t *img = xsr_chan_mem_data(w, &len);
    assert_true(len > 4096);

    uint64_t first = XSR_NO_OFFSET;
    size_t cuts[] = { len - 3, len / 2 };
    for (size_t i = 0; i < 2; i++) {
        struct xsr_chan *in = xsr_chan_mem_reader(img, cuts[i], &err);
        assert_non_null(in);
        struct xsr_analyze_opts ao = XSR_ANALYZE_OPTS_INIT;
        struct xsr_stats *s = NULL;
        assert_true(xsr_stats_collect(in, &ao, &s, &err) < 0);
        xsr_stats_free(s);
        xsr_chan_close(in, NULL);
        assert_int_not_equal(err.offset, XSR_NO_OFFSET);
        assert_true(err.offset < cuts[i]);
        if (i == 0)
            first = err.offset;
        else
            assert_int_not_equal(err.offset, first);

        /* an unrelated failure: a bad options size, no stream involved */
        struct xsr_gen_opts bad = o;
        bad.size = 1;
        assert_int_equal(xsr_gen_write(&bad, w, &err), XSR_EINVAL);
        assert_no_location(&err);

        assert_null(xsr_chan_open_read("/nonexistent/xsr-error-reuse", 0, &err));
        assert_int_equal(err.code, XSR_EIO);
        assert_no_location(&err);
    }
    xsr_chan_close(w, NULL);
}

/* The failure just reported: code as returned, a message of its own (not
 * the previous one's), and a location that is either absent or inside the
 * input this call read. */
static void assert_fresh(const struct xsr_error *e, int rc, char *prev, size_t cut)
{
    assert_true(rc < 0);
    assert_int_equal(e->code, rc);
    assert_true(e->message[0] != 0);
    assert_string_not_equal(e->message, prev);
    if (cut)
        assert_true(e->offset == XSR_NO_OFFSET || e->offset < cut);
    else
        assert_no_location(e);
    snprintf(prev, XSR_ERROR_MSG_MAX, "%s", e->message);
}

/* One error object through failing and succeeding calls of every layer in
 * turn: wire (DOMAIN_CONTEXT codec), channel, check (verify), receiver
 * (stats), convert; each failure's fields are its own. */
static void test_layers_in_turn(void **state)
{
    (void)state;
    struct xsr_error err;
    char prev[XSR_ERROR_MSG_MAX] = "";
    xsr_error_clear(&err);
    struct xsr_gen_opts o;
    xsr_gen_opts_init(&o, 4, XSR_DOM_X86_HVM);
    struct xsr_chan *w = xsr_chan_mem_writer(&err);
    assert_non_null(w);
    assert_int_equal(xsr_gen_write(&o, w, &err), 0);
    size_t len;
    const uint8_t *img = xsr_chan_mem_data(w, &len);
    static const uint8_t junk[16] = { 1, 0, 0, 0, 8, 0, 0, 0 };

    for (unsigned round = 0; round < 3; round++) {
        size_t cut = len / 2 + round * 997;
        struct xsr_domctx_parts parts;
        struct xsr_chan *in;

        /* wire: a blob that is not a domain context; no stream location */
        assert_fresh(&err, xsr_domctx_split(junk, sizeof(junk), XSR_LITTLE_ENDIAN, &parts, &err),
                     prev, 0);

        /* a success in between leaves nothing the next failure inherits */
        struct xsr_stats *st = NULL;
        in = xsr_chan_mem_reader(img, len, &err);
        assert_non_null(in);
        struct xsr_analyze_opts ao = XSR_ANALYZE_OPTS_INIT;
        assert_int_equal(xsr_stats_collect(in, &ao, &st, &err), 0);
        xsr_stats_free(st);
        xsr_chan_close(in, NULL);

        /* receiver: a truncated image, located before the cut */
        in = xsr_chan_mem_reader(img, cut, &err);
        st = NULL;
        assert_fresh(&err, xsr_stats_collect(in, &ao, &st, &err), prev, cut);
        assert_int_not_equal(err.offset, XSR_NO_OFFSET);
        xsr_stats_free(st);
        xsr_chan_close(in, NULL);

        /* channel: no such file, no location */
        assert_null(xsr_chan_open_read("/nonexistent/xsr-error-reuse", 0, &err));
        assert_int_equal(err.code, XSR_EIO);
        assert_no_location(&err);
        snprintf(prev, sizeof(prev), "%s", err.message);

        /* convert: the same truncation through the version converter */
        struct xsr_convert_opts co = XSR_CONVERT_OPTS_INIT;
        co.version = 3;
        struct xsr_chan *out = xsr_chan_mem_writer(&err);
        in = xsr_chan_mem_reader(img, cut, &err);
        assert_fresh(&err, xsr_convert_version(in, out, &co, NULL, &err), prev, cut);
        xsr_chan_close(in, NULL);
        xsr_chan_close(out, NULL);

        /* check: a bad options size, refused before any stream is read */
        struct xsr_check_opts ko = XSR_CHECK_OPTS_INIT;
        ko.size = 1;
        in = xsr_chan_mem_reader(img, len, &err);
        assert_fresh(&err, xsr_verify(in, XSR_LAYER_NONE, &ko, NULL, &err), prev, 0);
        xsr_chan_close(in, NULL);
    }
    xsr_chan_close(w, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_resets_location),
        cmocka_unit_test(test_public_calls_reuse_one_error),
        cmocka_unit_test(test_layers_in_turn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
