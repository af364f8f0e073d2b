/* SPDX-License-Identifier: MIT */
/* Custom channels: read-only, view-only with unknown size, writers, close. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <xsr/io.h>

static uint8_t data[300];

struct src {
    size_t len;
    int closed;
};

/* Views without a size: the channel must find how much is left by asking. */
static const uint8_t *src_view(void *ctx, uint64_t off, size_t n)
{
    struct src *s = ctx;
    if (off > s->len || n > s->len - off)
        return NULL;
    return data + off;
}

static void src_close(void *ctx)
{
    struct src *s = ctx;
    s->closed++;
}

static void test_view_only_unknown_size(void **state)
{
    (void)state;
    struct src s = { 250, 0 };
    const struct xsr_chan_ops ops = { .version = XSR_CHAN_OPS_VERSION, .view = src_view, .close = src_close };
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_custom(&ops, &s, true, &err);
    assert_non_null(ch);
    assert_true(xsr_chan_can_view(ch));
    assert_int_equal(xsr_chan_size(ch), -1);
    const uint8_t *v;
    size_t avail;
    assert_int_equal(xsr_chan_view(ch, 100, &v, &err), 0);
    assert_ptr_equal(v, data);
    assert_int_equal(xsr_chan_peek(ch, 200, &v, &avail, &err), 0);
    assert_int_equal(avail, 150);
    assert_ptr_equal(v, data + 100);
    uint8_t buf[200];
    size_t got;
    assert_int_equal(xsr_chan_read(ch, buf, 200, &got, &err), XSR_ETRUNC);
    assert_int_equal(got, 150);
    assert_memory_equal(buf, data + 100, 150);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
    assert_int_equal(s.closed, 1);
}

struct sink {
    uint8_t buf[300];
    size_t len;
};

/* Accepts at most 7 bytes per call, from the first iovec only. */
static ssize_t sink_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
    struct sink *k = ctx;
    for (int i = 0; i < iovcnt; i++) {
        if (!iov[i].iov_len)
            continue;
        size_t n = iov[i].iov_len < 7 ? iov[i].iov_len : 7;
        memcpy(k->buf + k->len, iov[i].iov_base, n);
        k->len += n;
        return (ssize_t)n;
    }
    return 0;
}

static void test_writer(void **state)
{
    (void)state;
    struct sink k = { .len = 0 };
    const struct xsr_chan_ops ops = { .version = XSR_CHAN_OPS_VERSION, .writev = sink_writev };
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_custom(&ops, &k, false, &err);
    assert_non_null(ch);
    struct iovec iov[4] = { { data, 10 }, { data + 10, 0 }, { data + 10, 33 }, { data + 43, 1 } };
    assert_int_equal(xsr_chan_writev(ch, iov, 4, &err), 0);
    assert_int_equal(k.len, 44);
    assert_memory_equal(k.buf, data, 44);
    assert_int_equal(xsr_chan_offset(ch), 44);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
}

static void test_missing_ops(void **state)
{
    (void)state;
    struct xsr_error err;
    const struct xsr_chan_ops none = XSR_CHAN_OPS_INIT;
    assert_null(xsr_chan_custom(&none, NULL, true, &err));
    assert_int_equal(err.code, XSR_EINVAL);
    assert_non_null(strstr(err.message, "read or a view"));
    assert_null(xsr_chan_custom(&none, NULL, false, &err));
    assert_int_equal(err.code, XSR_EINVAL);
    assert_non_null(strstr(err.message, "writev"));
    assert_null(xsr_chan_custom(NULL, NULL, false, &err));
}

static ssize_t null_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
    (void)ctx;
    ssize_t n = 0;
    for (int i = 0; i < iovcnt; i++)
        n += (ssize_t)iov[i].iov_len;
    return n;
}

/* The version of the operations table: unset or unknown is refused with a
 * message that says what to do; the current one works. */
static void test_ops_version(void **state)
{
    (void)state;
    struct xsr_error err;
    struct xsr_chan_ops ops = { .writev = null_writev }; /* no version */
    assert_null(xsr_chan_custom(&ops, NULL, false, &err));
    assert_int_equal(err.code, XSR_EINVAL);
    assert_non_null(strstr(err.message, "XSR_CHAN_OPS_VERSION"));
    ops.version = XSR_CHAN_OPS_VERSION + 1;
    assert_null(xsr_chan_custom(&ops, NULL, false, &err));
    assert_non_null(strstr(err.message, "version 2"));
    ops.version = XSR_CHAN_OPS_VERSION;
    struct xsr_chan *ch = xsr_chan_custom(&ops, NULL, false, &err);
    assert_non_null(ch);
    assert_int_equal(xsr_chan_write(ch, "abc", 3, &err), 0);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
}

/* A source that gives 5 bytes, then fails with the errno in ctx. */
struct failing {
    int calls;
    int errnum;
};

static ssize_t failing_read(void *ctx, void *buf, size_t n)
{
    struct failing *f = ctx;
    if (f->calls++ == 0) {
        size_t k = n < 5 ? n : 5;
        memcpy(buf, data, k);
        return (ssize_t)k;
    }
    errno = f->errnum;
    return -1;
}

/* The code returned is the same whether or not the caller wants details. */
static void test_read_failure_code_without_error_object(void **state)
{
    (void)state;
    const struct xsr_chan_ops ops = { .version = XSR_CHAN_OPS_VERSION, .read = failing_read };
    static const int errnums[] = { ENOMEM, EIO };
    static const int codes[] = { XSR_ENOMEM, XSR_EIO };
    for (size_t i = 0; i < 2; i++) {
        struct failing f = { 0, errnums[i] };
        struct xsr_error err;
        uint8_t buf[20];
        size_t got;
        struct xsr_chan *ch = xsr_chan_custom(&ops, &f, true, &err);
        assert_non_null(ch);
        assert_int_equal(xsr_chan_read(ch, buf, sizeof(buf), &got, &err), codes[i]);
        assert_int_equal(err.code, codes[i]);
        assert_int_equal(got, 5);
        assert_int_equal(xsr_chan_close(ch, NULL), 0);

        f.calls = 0;
        ch = xsr_chan_custom(&ops, &f, true, NULL);
        assert_non_null(ch);
        assert_int_equal(xsr_chan_read(ch, buf, sizeof(buf), &got, NULL), codes[i]);
        assert_int_equal(got, 5);
        assert_int_equal(xsr_chan_close(ch, NULL), 0);
    }
}

int main(void)
{
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(255 - i);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_only_unknown_size),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_missing_ops),
        cmocka_unit_test(test_ops_version),
        cmocka_unit_test(test_read_failure_code_without_error_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
