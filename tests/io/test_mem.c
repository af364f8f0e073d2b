/* SPDX-License-Identifier: MIT */
/* Memory channels: exact reads, zero-copy views and peeks, skips, the growing writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xsr/io.h>

static uint8_t pattern[1000];

static void fill_pattern(void)
{
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 7 + 3);
}

static void test_reader_views_are_zero_copy(void **state)
{
    (void)state;
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_mem_reader(pattern, sizeof(pattern), &err);
    assert_non_null(ch);
    assert_true(xsr_chan_can_view(ch));
    assert_int_equal(xsr_chan_size(ch), (int64_t)sizeof(pattern));

    const uint8_t *v = NULL;
    size_t avail = 0;
    assert_int_equal(xsr_chan_peek(ch, 16, &v, &avail, &err), 0);
    assert_ptr_equal(v, pattern);
    assert_int_equal(avail, 16);
    assert_int_equal(xsr_chan_offset(ch), 0); /* peek consumes nothing */

    assert_int_equal(xsr_chan_view(ch, 10, &v, &err), 0);
    assert_ptr_equal(v, pattern);
    assert_int_equal(xsr_chan_view(ch, 90, &v, &err), 0);
    assert_ptr_equal(v, pattern + 10);
    assert_int_equal(xsr_chan_offset(ch), 100);

    uint8_t buf[50];
    assert_int_equal(xsr_chan_read(ch, buf, sizeof(buf), NULL, &err), 0);
    assert_memory_equal(buf, pattern + 100, sizeof(buf));
    assert_int_equal(xsr_chan_skip(ch, 350, &err), 0);
    assert_int_equal(xsr_chan_offset(ch), 500);
    assert_int_equal(xsr_chan_view(ch, 1, &v, &err), 0);
    assert_ptr_equal(v, pattern + 500);

    /* a view past the end fails and consumes nothing */
    assert_int_equal(xsr_chan_view(ch, 500, &v, &err), XSR_ETRUNC);
    assert_non_null(strstr(err.message, "1 missing"));
    assert_int_equal(xsr_chan_offset(ch), 501);
    assert_int_equal(xsr_chan_peek(ch, 1000, &v, &avail, &err), 0);
    assert_int_equal(avail, 499);
    assert_ptr_equal(v, pattern + 501);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
}

static void test_reader_truncation(void **state)
{
    (void)state;
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_mem_reader(pattern, 20, &err);
    assert_non_null(ch);
    uint8_t buf[32];
    size_t got = 99;
    assert_int_equal(xsr_chan_read(ch, buf, 12, &got, &err), 0);
    assert_int_equal(got, 12);
    assert_int_equal(xsr_chan_read(ch, buf, 32, &got, &err), XSR_ETRUNC);
    assert_int_equal(got, 8);
    assert_memory_equal(buf, pattern + 12, 8);
    assert_int_equal(err.code, XSR_ETRUNC);
    assert_non_null(strstr(err.message, "8 of 32 bytes read, 24 missing"));
    assert_int_equal(xsr_chan_read(ch, buf, 0, &got, &err), 0);
    assert_int_equal(xsr_chan_read(ch, buf, 1, &got, &err), XSR_ETRUNC);
    assert_int_equal(got, 0);
    assert_int_equal(xsr_chan_skip(ch, 0, &err), 0);
    assert_int_equal(xsr_chan_skip(ch, 1, &err), XSR_ETRUNC);
    xsr_chan_close(ch, NULL);

    ch = xsr_chan_mem_reader(pattern, 20, &err);
    assert_int_equal(xsr_chan_skip(ch, 25, &err), XSR_ETRUNC);
    assert_non_null(strstr(err.message, "5 missing"));
    assert_int_equal(xsr_chan_offset(ch), 20);
    xsr_chan_close(ch, NULL);
}

static void test_reader_empty_and_misuse(void **state)
{
    (void)state;
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_mem_reader(NULL, 0, &err);
    assert_non_null(ch);
    const uint8_t *v = NULL;
    assert_int_equal(xsr_chan_view(ch, 0, &v, &err), 0);
    assert_non_null(v);
    uint8_t b;
    assert_int_equal(xsr_chan_read(ch, &b, 1, NULL, &err), XSR_ETRUNC);
    assert_int_equal(xsr_chan_write(ch, &b, 1, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "not open for writing"));
    xsr_chan_close(ch, NULL);

    assert_null(xsr_chan_mem_reader(NULL, 5, &err));
    assert_int_equal(err.code, XSR_EINVAL);
}

static void test_writer_grows(void **state)
{
    (void)state;
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_mem_writer(&err);
    assert_non_null(ch);
    assert_false(xsr_chan_can_view(ch));
    size_t len = 1;
    const uint8_t *d = xsr_chan_mem_data(ch, &len);
    assert_non_null(d);
    assert_int_equal(len, 0);

    /* 300 KiB in uneven pieces, crossing several doublings */
    size_t total = 0;
    for (int i = 0; total < 300 * 1024; i++) {
        size_t n = (size_t)(i % 997) + 1;
        if (n > sizeof(pattern))
            n = sizeof(pattern);
        struct iovec iov[3] = {
            { pattern, n / 2 }, { pattern, 0 }, { pattern + n / 2, n - n / 2 },
        };
        assert_int_equal(xsr_chan_writev(ch, iov, 3, &err), 0);
        total += n;
    }
    d = xsr_chan_mem_data(ch, &len);
    assert_int_equal(len, total);
    assert_int_equal(xsr_chan_offset(ch), total);
    /* re-check the content */
    size_t off = 0;
    for (int i = 0; off < total; i++) {
        size_t n = (size_t)(i % 997) + 1;
        assert_memory_equal(d + off, pattern, n);
        off += n;
    }
    uint8_t b;
    assert_int_equal(xsr_chan_read(ch, &b, 1, NULL, &err), XSR_EINVAL);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
}

static void test_mem_data_of_other_channel(void **state)
{
    (void)state;
    struct xsr_chan *ch = xsr_chan_mem_reader(pattern, 4, NULL);
    size_t len = 7;
    assert_null(xsr_chan_mem_data(ch, &len));
    assert_int_equal(len, 0);
    xsr_chan_close(ch, NULL);
}

int main(void)
{
    fill_pattern();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_views_are_zero_copy),
        cmocka_unit_test(test_reader_truncation),
        cmocka_unit_test(test_reader_empty_and_misuse),
        cmocka_unit_test(test_writer_grows),
        cmocka_unit_test(test_mem_data_of_other_channel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
