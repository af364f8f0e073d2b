/* SPDX-License-Identifier: MIT */
/* The fault-injecting wrapper, and that the generic code survives its faults. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xsr/io.h>

#define LEN 5000u
static uint8_t data[LEN];

/* Inner channel that remembers the largest request it saw. */
struct probe {
    size_t off;
    size_t max_request;
    unsigned calls;
};

static ssize_t probe_read(void *ctx, void *buf, size_t n)
{
    struct probe *p = ctx;
    p->calls++;
    if (n > p->max_request)
        p->max_request = n;
    if (n > LEN - p->off)
        n = LEN - p->off;
    memcpy(buf, data + p->off, n);
    p->off += n;
    return (ssize_t)n;
}

static const struct xsr_chan_ops probe_ops = { .version = XSR_CHAN_OPS_VERSION, .read = probe_read };

static struct xsr_chan *fault_over_probe(struct probe *p, size_t max_io, unsigned eintr,
                                         uint64_t fail_after, int fail_errno)
{
    memset(p, 0, sizeof(*p));
    struct xsr_chan *inner = xsr_chan_custom(&probe_ops, p, true, NULL);
    assert_non_null(inner);
    struct xsr_fault_spec spec = { sizeof(struct xsr_fault_spec), max_io, eintr, fail_after, fail_errno };
    struct xsr_chan *ch = xsr_chan_fault(inner, &spec, NULL);
    assert_non_null(ch);
    return ch;
}

static void test_short_reads_and_eintr(void **state)
{
    (void)state;
    for (size_t max_io = 1; max_io <= 7; max_io++) {
        struct probe p;
        struct xsr_chan *ch = fault_over_probe(&p, max_io, 2, UINT64_MAX, 0);
        assert_false(xsr_chan_can_view(ch));
        uint8_t buf[LEN];
        struct xsr_error err;
        size_t off = 0, n = 1;
        while (off < LEN) {
            if (n > LEN - off)
                n = LEN - off;
            assert_int_equal(xsr_chan_read(ch, buf + off, n, NULL, &err), 0);
            off += n;
            n += 37;
        }
        assert_memory_equal(buf, data, LEN);
        assert_int_equal(p.max_request, max_io);
        /* every 2nd call was an EINTR: the inner channel saw about half of them */
        assert_true(p.calls >= LEN / max_io);
        assert_int_equal(xsr_chan_offset(ch), LEN);
        uint8_t b;
        assert_int_equal(xsr_chan_read(ch, &b, 1, NULL, &err), XSR_ETRUNC);
        assert_int_equal(xsr_chan_close(ch, &err), 0);
    }
}

static void test_skip_through_faults(void **state)
{
    (void)state;
    struct probe p;
    struct xsr_chan *ch = fault_over_probe(&p, 5, 3, UINT64_MAX, 0);
    struct xsr_error err;
    assert_int_equal(xsr_chan_skip(ch, 4000, &err), 0);
    uint8_t buf[10];
    assert_int_equal(xsr_chan_read(ch, buf, 10, NULL, &err), 0);
    assert_memory_equal(buf, data + 4000, 10);
    assert_int_equal(xsr_chan_skip(ch, 1000, &err), XSR_ETRUNC);
    assert_non_null(strstr(err.message, "10 missing"));
    xsr_chan_close(ch, NULL);
}

static void test_read_failure_after_n(void **state)
{
    (void)state;
    struct probe p;
    struct xsr_chan *ch = fault_over_probe(&p, 3, 2, 1234, EIO);
    uint8_t buf[LEN];
    struct xsr_error err;
    size_t got = 0;
    assert_int_equal(xsr_chan_read(ch, buf, LEN, &got, &err), XSR_EIO);
    assert_int_equal(err.code, XSR_EIO);
    assert_int_equal(err.sys_errno, EIO);
    assert_int_equal(got, 1234);
    assert_memory_equal(buf, data, 1234);
    assert_non_null(strstr(err.message, "0x4d2")); /* where it failed */
    assert_int_equal(err.offset, 1234);
    xsr_chan_close(ch, NULL);

    ch = fault_over_probe(&p, 0, 0, 100, ECONNRESET);
    assert_int_equal(xsr_chan_read(ch, buf, 100, &got, &err), 0);
    assert_int_equal(xsr_chan_read(ch, buf, 1, &got, &err), XSR_EIO);
    assert_int_equal(err.sys_errno, ECONNRESET);
    xsr_chan_close(ch, NULL);
}

static void test_read_eof_after_n(void **state)
{
    (void)state;
    struct probe p;
    struct xsr_chan *ch = fault_over_probe(&p, 7, 2, 777, 0);
    uint8_t buf[LEN];
    struct xsr_error err;
    size_t got = 0;
    assert_int_equal(xsr_chan_read(ch, buf, 1000, &got, &err), XSR_ETRUNC);
    assert_int_equal(got, 777);
    assert_memory_equal(buf, data, 777);
    assert_non_null(strstr(err.message, "777 of 1000 bytes read, 223 missing"));
    xsr_chan_close(ch, NULL);
}

static struct xsr_chan *fault_over_mem_writer(struct xsr_chan **inner, size_t max_io, unsigned eintr,
                                              uint64_t fail_after, int fail_errno)
{
    *inner = xsr_chan_mem_writer(NULL);
    assert_non_null(*inner);
    struct xsr_fault_spec spec = { sizeof(struct xsr_fault_spec), max_io, eintr, fail_after, fail_errno };
    struct xsr_chan *ch = xsr_chan_fault(*inner, &spec, NULL);
    assert_non_null(ch);
    return ch;
}

static void test_short_writes_across_iovecs(void **state)
{
    (void)state;
    for (size_t max_io = 1; max_io <= 7; max_io++) {
        struct xsr_chan *inner;
        struct xsr_chan *ch = fault_over_mem_writer(&inner, max_io, 2, UINT64_MAX, 0);
        struct iovec iov[100];
        size_t off = 0;
        for (int i = 0; i < 100; i++) {
            size_t n = (size_t)(i % 9) * 5;
            iov[i].iov_base = data + off;
            iov[i].iov_len = n;
            off += n;
        }
        struct xsr_error err;
        assert_int_equal(xsr_chan_writev(ch, iov, 100, &err), 0);
        assert_int_equal(xsr_chan_offset(ch), off);
        size_t len;
        const uint8_t *d = xsr_chan_mem_data(inner, &len);
        assert_int_equal(len, off);
        assert_memory_equal(d, data, off);
        assert_int_equal(xsr_chan_close(ch, &err), 0); /* closes inner too */
    }
}

static void test_write_failure_after_n(void **state)
{
    (void)state;
    struct xsr_chan *inner;
    struct xsr_chan *ch = fault_over_mem_writer(&inner, 4, 2, 10, ENOSPC);
    struct xsr_error err;
    assert_int_equal(xsr_chan_write(ch, data, 100, &err), XSR_EIO);
    assert_int_equal(err.sys_errno, ENOSPC);
    size_t len;
    const uint8_t *d = xsr_chan_mem_data(inner, &len);
    assert_int_equal(len, 10);
    assert_memory_equal(d, data, 10);
    xsr_chan_close(ch, NULL);

    ch = fault_over_mem_writer(&inner, 0, 0, 3, 0);
    assert_int_equal(xsr_chan_write(ch, data, 4, &err), XSR_EIO);
    assert_non_null(strstr(err.message, "accepted no bytes"));
    xsr_chan_close(ch, NULL);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct xsr_error err;
    struct xsr_fault_spec spec = { sizeof(struct xsr_fault_spec), 0, 0, UINT64_MAX, 0 };
    assert_null(xsr_chan_fault(NULL, &spec, &err));
    assert_int_equal(err.code, XSR_EINVAL);

    /* a spec without its size (not made with XSR_FAULT_SPEC_INIT), or from
     * a newer header, is refused, and the inner channel is closed */
    struct xsr_fault_spec bad[2] = { { 0 }, XSR_FAULT_SPEC_INIT };
    bad[1].size++;
    for (int i = 0; i < 2; i++) {
        struct xsr_chan *inner = xsr_chan_mem_reader(data, LEN, &err);
        assert_non_null(inner);
        assert_null(xsr_chan_fault(inner, &bad[i], &err));
        assert_int_equal(err.code, XSR_EINVAL);
        assert_non_null(strstr(err.message, "xsr_fault_spec"));
    }
    /* the INIT spec injects nothing */
    struct xsr_fault_spec none = XSR_FAULT_SPEC_INIT;
    struct xsr_chan *ch = xsr_chan_fault(xsr_chan_mem_reader(data, LEN, &err), &none, &err);
    uint8_t buf[64];
    assert_non_null(ch);
    assert_int_equal(xsr_chan_read(ch, buf, sizeof(buf), NULL, &err), 0);
    assert_memory_equal(buf, data, sizeof(buf));
    xsr_chan_close(ch, NULL);
}

/* The wrapper owns inner from the call on: if it cannot be made, inner is
 * closed (under ASan a leak would show too). */
static unsigned inner_closes;
static void count_close(void *ctx)
{
    (void)ctx;
    inner_closes++;
}

static void test_inner_closed_on_failure(void **state)
{
    (void)state;
    static const struct xsr_chan_ops ops = { .version = XSR_CHAN_OPS_VERSION, .read = probe_read, .close = count_close };
    struct probe p;
    memset(&p, 0, sizeof(p));
    struct xsr_error err;
    inner_closes = 0;
    struct xsr_chan *inner = xsr_chan_custom(&ops, &p, true, &err);
    assert_non_null(inner);
    assert_null(xsr_chan_fault(inner, NULL, &err));
    assert_int_equal(err.code, XSR_EINVAL);
    assert_int_equal(inner_closes, 1);

    /* a memory channel with its own allocations: nothing may leak */
    inner = xsr_chan_mem_reader(data, LEN, &err);
    assert_non_null(inner);
    assert_null(xsr_chan_fault(inner, NULL, NULL));

    /* on success the wrapper closes inner when it is closed, once */
    inner = xsr_chan_custom(&ops, &p, true, &err);
    assert_non_null(inner);
    struct xsr_fault_spec spec = { sizeof(struct xsr_fault_spec), 0, 0, UINT64_MAX, 0 };
    struct xsr_chan *ch = xsr_chan_fault(inner, &spec, &err);
    assert_non_null(ch);
    assert_int_equal(inner_closes, 1);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
    assert_int_equal(inner_closes, 2);
}

int main(void)
{
    for (size_t i = 0; i < LEN; i++)
        data[i] = (uint8_t)(i * 13 + (i >> 8));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_reads_and_eintr),
        cmocka_unit_test(test_skip_through_faults),
        cmocka_unit_test(test_read_failure_after_n),
        cmocka_unit_test(test_read_eof_after_n),
        cmocka_unit_test(test_short_writes_across_iovecs),
        cmocka_unit_test(test_write_failure_after_n),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_inner_closed_on_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
