/* SPDX-License-Identifier: MIT */
/* Writer: byte-exact encoding, padding, batching, large bodies without copies, limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sample.h"

static void test_record_bytes(void **state)
{
    (void)state;
    struct xsr_chan *ch = xsr_chan_mem_writer(NULL);
    struct xsr_writer *w = xsr_writer_new(ch, 0, NULL);
    struct xsr_error err;
    assert_int_equal(xsr_writer_order(w), XSR_LITTLE_ENDIAN);
    assert_int_equal(xsr_writer_record(w, 0x01, "abcde", 5, &err), 0);
    xsr_writer_set_order(w, XSR_BIG_ENDIAN);
    assert_int_equal(xsr_writer_record(w, 0x80000002u, "12345678", 8, &err), 0);
    assert_int_equal(xsr_writer_record(w, 0x00, NULL, 0, &err), 0);
    struct iovec iov[3] = { { "xy", 2 }, { "", 0 }, { "z", 1 } };
    assert_int_equal(xsr_writer_record_iov(w, 0x13, iov, 3, &err), 0);
    assert_int_equal(xsr_writer_offset(w), 16 + 16 + 8 + 16);
    size_t len;
    xsr_chan_mem_data(ch, &len);
    assert_int_equal(len, 0); /* still batched */
    assert_int_equal(xsr_writer_flush(w, &err), 0);
    static const uint8_t want[] = {
        1, 0, 0, 0, 5, 0, 0, 0, 'a', 'b', 'c', 'd', 'e', 0, 0, 0,
        0x80, 0, 0, 2, 0, 0, 0, 8, '1', '2', '3', '4', '5', '6', '7', '8',
        0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0x13, 0, 0, 0, 3, 'x', 'y', 'z', 0, 0, 0, 0, 0,
    };
    const uint8_t *d = xsr_chan_mem_data(ch, &len);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(d, want, sizeof(want));
    assert_int_equal(xsr_writer_free(w, &err), 0);
    xsr_chan_close(ch, NULL);
}

static void test_headers_set_order(void **state)
{
    (void)state;
    struct xsr_chan *ch = xsr_chan_mem_writer(NULL);
    struct xsr_writer *w = xsr_writer_new(ch, 0, NULL);
    struct xsr_error err;
    struct xsr_ihdr ih = xsr_ihdr_make(3, XSR_BIG_ENDIAN);
    assert_int_equal(xsr_writer_ihdr(w, &ih, &err), 0);
    assert_int_equal(xsr_writer_order(w), XSR_BIG_ENDIAN);
    struct xsr_dhdr dh = { .type = 1, .page_shift = 12, .xen_major = 4, .xen_minor = 19 };
    assert_int_equal(xsr_writer_dhdr(w, &dh, &err), 0);
    struct xsr_libxl_hdr lh = { .ident = XSR_LIBXL_IDENT, .version = 2, .options = 0 };
    assert_int_equal(xsr_writer_libxl_hdr(w, &lh, &err), 0);
    assert_int_equal(xsr_writer_order(w), XSR_LITTLE_ENDIAN);
    struct xsr_xl_hdr xh = { .order = XSR_LITTLE_ENDIAN, .mandatory_flags = 3, .optional_data_len = 3 };
    assert_int_equal(xsr_writer_xl_hdr(w, &xh, (const uint8_t *)"abc", &err), 0);
    assert_int_equal(xsr_writer_xl_hdr(w, &xh, NULL, &err), XSR_EINVAL);
    assert_int_equal(xsr_writer_free(w, &err), 0);
    size_t len;
    const uint8_t *d = xsr_chan_mem_data(ch, &len);
    assert_int_equal(len, 24 + 16 + 16 + 48 + 3);
    uint8_t b[24];
    xsr_ihdr_encode(&ih, b);
    assert_memory_equal(d, b, 24);
    static const uint8_t dwant[16] = { 0, 0, 0, 1, 0, 12, 0, 0, 0, 0, 0, 4, 0, 0, 0, 19 };
    assert_memory_equal(d + 24, dwant, 16);
    assert_memory_equal(d + 40, "LibxlFmt", 8);
    assert_memory_equal(d + 56, xsr_xl_magic, 32);
    assert_memory_equal(d + 56 + 48, "abc", 3);
    xsr_chan_close(ch, NULL);
}

static void test_limits(void **state)
{
    (void)state;
    struct xsr_chan *ch = xsr_chan_mem_writer(NULL);
    struct xsr_writer *w = xsr_writer_new(ch, 0, NULL);
    struct xsr_error err;
    static uint8_t small[16];
    assert_int_equal(xsr_writer_record(w, 1, small, XSR_REC_LENGTH_MAX + 1, &err), XSR_ELIMIT);
    assert_non_null(strstr(err.message, "134217729"));
    struct iovec iov[2] = { { small, XSR_REC_LENGTH_MAX }, { small, 1 } };
    assert_int_equal(xsr_writer_record_iov(w, 1, iov, 2, &err), XSR_ELIMIT);
    assert_int_equal(xsr_writer_record(w, 1, NULL, 4, &err), XSR_EINVAL);
    assert_int_equal(xsr_writer_offset(w), 0); /* nothing queued by refused calls */
    assert_int_equal(xsr_writer_free(w, &err), 0);
    size_t len;
    xsr_chan_mem_data(ch, &len);
    assert_int_equal(len, 0);
    xsr_chan_close(ch, NULL);
    assert_int_equal(xsr_writer_free(NULL, &err), 0);
    assert_null(xsr_writer_new(NULL, 0, &err));
    assert_int_equal(err.code, XSR_EINVAL);
}

/* A channel that records each writev: how many iovecs, their bases and the bytes. */
struct spy {
    int calls;
    const void *bases[16][8];
    int counts[16];
    uint8_t out[65536];
    size_t len;
};

static ssize_t spy_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
    struct spy *s = ctx;
    if (s->calls < 16) {
        s->counts[s->calls] = iovcnt;
        for (int i = 0; i < iovcnt && i < 8; i++)
            s->bases[s->calls][i] = iov[i].iov_base;
    }
    s->calls++;
    size_t n = 0;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(s->out + s->len, iov[i].iov_base, iov[i].iov_len);
        s->len += iov[i].iov_len;
        n += iov[i].iov_len;
    }
    return (ssize_t)n;
}

static void test_large_body_not_copied(void **state)
{
    (void)state;
    static struct spy spy;
    memset(&spy, 0, sizeof(spy));
    const struct xsr_chan_ops ops = { .version = XSR_CHAN_OPS_VERSION, .writev = spy_writev };
    struct xsr_chan *ch = xsr_chan_custom(&ops, &spy, false, NULL);
    struct xsr_writer *w = xsr_writer_new(ch, 1024, NULL);
    struct xsr_error err;
    static uint8_t big[4096];
    memset(big, 0x5a, sizeof(big));
    assert_int_equal(xsr_writer_record(w, 1, "tiny", 4, &err), 0);
    assert_int_equal(spy.calls, 0);
    assert_int_equal(xsr_writer_record(w, 2, big, sizeof(big), &err), 0);
    /* one writev: the pending batch (first record + this header), then the body itself */
    assert_int_equal(spy.calls, 1);
    assert_int_equal(spy.counts[0], 2);
    assert_ptr_equal(spy.bases[0][1], big);
    assert_int_equal(spy.len, 16 + 8 + 4096);
    assert_int_equal(xsr_writer_record(w, 3, "x", 1, &err), 0);
    assert_int_equal(xsr_writer_free(w, &err), 0);
    assert_int_equal(spy.calls, 2);
    assert_int_equal(spy.len, 16 + 8 + 4096 + 16);
    assert_int_equal(spy.out[16 + 8 + 4096], 3);
    xsr_chan_close(ch, NULL);

    /* half the batch is already "large"; just under half is copied */
    memset(&spy, 0, sizeof(spy));
    ch = xsr_chan_custom(&ops, &spy, false, NULL);
    w = xsr_writer_new(ch, 1024, NULL);
    assert_int_equal(xsr_writer_record(w, 4, big, 511, &err), 0);
    assert_int_equal(spy.calls, 0);
    assert_int_equal(xsr_writer_record(w, 5, big, 512, &err), 0);
    assert_int_equal(spy.calls, 1);
    assert_int_equal(spy.counts[0], 2);
    assert_ptr_equal(spy.bases[0][1], big);
    assert_int_equal(spy.len, 8 + 512 + 8 + 512);
    assert_int_equal(xsr_writer_free(w, &err), 0);
    xsr_chan_close(ch, NULL);
}

static void test_no_pointer_kept(void **state)
{
    (void)state;
    struct xsr_chan *ch = xsr_chan_mem_writer(NULL);
    struct xsr_writer *w = xsr_writer_new(ch, 4096, NULL);
    struct xsr_error err;
    uint8_t body[100];
    memset(body, 0x11, sizeof(body));
    assert_int_equal(xsr_writer_record(w, 1, body, sizeof(body), &err), 0);
    assert_int_equal(xsr_writer_raw(w, body, 10, &err), 0);
    memset(body, 0x22, sizeof(body)); /* the caller reuses its memory */
    assert_int_equal(xsr_writer_flush(w, &err), 0);
    size_t len;
    const uint8_t *d = xsr_chan_mem_data(ch, &len);
    assert_int_equal(len, 8 + 104 + 10);
    for (size_t i = 8; i < 108; i++)
        assert_int_equal(d[i], 0x11);
    for (size_t i = 112; i < 122; i++)
        assert_int_equal(d[i], 0x11);
    xsr_writer_free(w, NULL);
    xsr_chan_close(ch, NULL);
}

static void test_event_keeps_padding(void **state)
{
    (void)state;
    uint8_t in[16] = { 7, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c', 0xde, 0xad, 0xbe, 0xef, 0x01 };
    struct xsr_chan *rch = xsr_chan_mem_reader(in, sizeof(in), NULL);
    struct xsr_reader *r = xsr_reader_new(rch, 0, NULL);
    struct xsr_record rec;
    assert_int_equal(xsr_reader_record(r, &rec, NULL), 0);
    struct xsr_event ev = { .kind = XSR_EV_RECORD, .order = XSR_LITTLE_ENDIAN, .u.rec = rec };
    struct xsr_chan *ch = xsr_chan_mem_writer(NULL);
    struct xsr_writer *w = xsr_writer_new(ch, 0, NULL);
    struct xsr_error err;
    assert_int_equal(xsr_writer_event(w, &ev, &err), 0); /* no raw: header re-encoded */
    ev.kind = XSR_EV_LEGACY;
    assert_int_equal(xsr_writer_event(w, &ev, &err), 0); /* writes nothing */
    ev.kind = (enum xsr_event_kind)99;
    assert_int_equal(xsr_writer_event(w, &ev, &err), XSR_EINVAL);
    assert_int_equal(xsr_writer_free(w, &err), 0);
    size_t len;
    const uint8_t *d = xsr_chan_mem_data(ch, &len);
    assert_int_equal(len, sizeof(in));
    assert_memory_equal(d, in, sizeof(in));
    xsr_chan_close(ch, NULL);
    xsr_reader_free(r);
    xsr_chan_close(rch, NULL);
}

static void test_failure_is_sticky(void **state)
{
    (void)state;
    struct xsr_chan *inner = xsr_chan_mem_writer(NULL);
    struct xsr_fault_spec spec = { .size = sizeof(struct xsr_fault_spec), .max_io = 5, .eintr_every = 2, .fail_after = 30,
                                   .fail_errno = ENOSPC };
    struct xsr_chan *ch = xsr_chan_fault(inner, &spec, NULL);
    struct xsr_writer *w = xsr_writer_new(ch, 64, NULL);
    struct xsr_error err;
    static uint8_t body[200];
    int rc = 0;
    for (int i = 0; i < 10 && rc == 0; i++)
        rc = xsr_writer_record(w, 1, body, 20, &err);
    assert_int_equal(rc, XSR_EIO);
    assert_int_equal(err.sys_errno, ENOSPC);
    assert_int_equal(xsr_writer_record(w, 1, body, 20, &err), XSR_ESTATE);
    assert_non_null(strstr(err.message, "earlier write failed"));
    assert_int_equal(xsr_writer_flush(w, &err), XSR_ESTATE);
    xsr_writer_free(w, NULL);
    xsr_chan_close(ch, NULL);
}

static void test_short_writes(void **state)
{
    (void)state;
    /* writes through a channel that takes 1..7 bytes per call, with EINTRs */
    struct sample s;
    sample_bare_libxl(&s);
    for (size_t max_io = 1; max_io <= 7; max_io++) {
        struct xsr_chan *inner = xsr_chan_mem_writer(NULL);
        struct xsr_fault_spec spec = { .size = sizeof(struct xsr_fault_spec), .max_io = max_io, .eintr_every = 2, .fail_after = UINT64_MAX };
        struct xsr_chan *ch = xsr_chan_fault(inner, &spec, NULL);
        struct xsr_writer *w = xsr_writer_new(ch, 128, NULL);
        struct xsr_chan *rch = xsr_chan_mem_reader(s.buf, s.len, NULL);
        struct xsr_walker *wk = xsr_walker_new(rch, NULL, NULL);
        struct xsr_event ev;
        struct xsr_error err;
        int rc;
        while ((rc = xsr_walker_next(wk, &ev, &err)) == 1)
            assert_int_equal(xsr_writer_event(w, &ev, &err), 0);
        assert_int_equal(rc, 0);
        assert_int_equal(xsr_writer_free(w, &err), 0);
        size_t len;
        const uint8_t *d = xsr_chan_mem_data(inner, &len);
        assert_int_equal(len, s.len);
        assert_memory_equal(d, s.buf, s.len);
        xsr_walker_free(wk);
        xsr_chan_close(rch, NULL);
        xsr_chan_close(ch, NULL);
    }
    sample_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_bytes),
        cmocka_unit_test(test_headers_set_order),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_large_body_not_copied),
        cmocka_unit_test(test_no_pointer_kept),
        cmocka_unit_test(test_event_keeps_padding),
        cmocka_unit_test(test_failure_is_sticky),
        cmocka_unit_test(test_short_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
