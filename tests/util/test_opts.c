/* SPDX-License-Identifier: MIT */
/*
 * util on its own: the options-size helper every versioned options structure
 * goes through (older layouts, unknown sizes), and the error object.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <xsr/error.h>

#include "util/opts.h"

/* A structure as first published, and as grown by a later release. */
struct opts_v1 {
    size_t size;
    int a;
};
struct opts_v2 {
    size_t size;
    int a;
    uint64_t b; /* appended: 0 means its default */
};

static void test_current_layout(void **state)
{
    (void)state;
    struct opts_v2 in = { sizeof(in), 7, 9 }, out;
    assert_int_equal(xsri_opts_load(&out, sizeof(out), &in, sizeof(struct opts_v1), "opts", NULL), 0);
    assert_int_equal(out.size, sizeof(out));
    assert_int_equal(out.a, 7);
    assert_int_equal(out.b, 9);
}

static void test_older_layout(void **state)
{
    (void)state;
    /* an older caller's structure ends before b: b reads as its default */
    struct {
        struct opts_v1 v1;
        uint64_t beyond; /* not the caller's: must not be read */
    } in = { { sizeof(struct opts_v1), 5 }, 0xdeadbeef };
    struct opts_v2 out;
    memset(&out, 0xff, sizeof(out));
    assert_int_equal(xsri_opts_load(&out, sizeof(out), &in.v1, sizeof(struct opts_v1), "opts", NULL), 0);
    assert_int_equal(out.a, 5);
    assert_int_equal(out.b, 0);
    assert_int_equal(out.size, sizeof(out));
}

static void test_null_is_defaults(void **state)
{
    (void)state;
    struct opts_v2 out;
    memset(&out, 0xff, sizeof(out));
    assert_int_equal(xsri_opts_load(&out, sizeof(out), NULL, sizeof(struct opts_v1), "opts", NULL), 0);
    assert_int_equal(out.a, 0);
    assert_int_equal(out.b, 0);
}

static void test_unknown_sizes_refused(void **state)
{
    (void)state;
    struct xsr_error err;
    struct opts_v2 out;
    struct {
        struct opts_v2 v2;
        uint64_t c;
    } newer = { { sizeof(newer), 1, 2 }, 3 };
    xsr_error_clear(&err);
    err.offset = 99; /* a stale location must not survive */
    assert_int_equal(xsri_opts_load(&out, sizeof(out), &newer, sizeof(struct opts_v1), "xsr_x_opts", &err),
                     XSR_EINVAL);
    assert_int_equal(err.code, XSR_EINVAL);
    assert_true(err.offset == XSR_NO_OFFSET);
    assert_non_null(strstr(err.message, "xsr_x_opts"));
    assert_non_null(strstr(err.message, "newer"));

    struct opts_v2 zero = { 0, 1, 2 };
    assert_int_equal(xsri_opts_load(&out, sizeof(out), &zero, sizeof(struct opts_v1), "xsr_x_opts", &err),
                     XSR_EINVAL);
    assert_non_null(strstr(err.message, "_INIT"));
    struct opts_v2 tiny = { sizeof(size_t), 1, 2 };
    assert_int_equal(xsri_opts_load(&out, sizeof(out), &tiny, sizeof(struct opts_v1), "xsr_x_opts", &err),
                     XSR_EINVAL);
    assert_non_null(strstr(err.message, "smaller"));
    assert_int_equal(xsri_opts_check(sizeof(struct opts_v1), sizeof(out), sizeof(struct opts_v1), "r", NULL), 0);
}

static void test_error_object(void **state)
{
    (void)state;
    struct xsr_error err;
    xsr_error_clear(&err);
    assert_int_equal(err.code, 0);
    assert_true(err.record_index == XSR_NO_INDEX);
    assert_int_equal(xsr_error_set(&err, XSR_ELIMIT, "n=%d", 4), XSR_ELIMIT);
    assert_string_equal(err.message, "n=4");
    assert_string_equal(xsr_strerror(XSR_ETRUNC), "stream truncated");
    assert_string_equal(xsr_layer_name(XSR_LAYER_LIBXC), "libxc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_current_layout),
        cmocka_unit_test(test_older_layout),
        cmocka_unit_test(test_null_is_defaults),
        cmocka_unit_test(test_unknown_sizes_refused),
        cmocka_unit_test(test_error_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
