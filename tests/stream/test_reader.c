/* SPDX-License-Identifier: MIT */
/* Reader: zero-copy records, the bounded body buffer, limits, truncation, lookahead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sample.h"
#include "stream/reader_internal.h"

/* type, length, body filled by sample_body_byte, padding bytes 0xEE (non-zero on purpose) */
static size_t put_rec(uint8_t *p, uint32_t type, uint32_t len, enum xsr_byte_order o)
{
    xsr_st32(p, type, o);
    xsr_st32(p + 4, len, o);
    for (uint32_t i = 0; i < len; i++)
        p[8 + i] = sample_body_byte(type, i);
    memset(p + 8 + len, 0xee, xsr_rec_pad(len));
    return 8 + (size_t)xsr_rec_padded(len);
}

static const uint32_t lens[] = { 10, 4999, 0, 100, 3000, 7 };
#define NRECS (sizeof(lens) / sizeof(lens[0]))

static uint8_t *make_records(size_t *len, enum xsr_byte_order o)
{
    uint8_t *buf = calloc(1, 20000);
    assert_non_null(buf);
    size_t off = 0;
    for (size_t i = 0; i < NRECS; i++)
        off += put_rec(buf + off, (uint32_t)i + 1, lens[i], o);
    *len = off;
    return buf;
}

static void read_all(struct xsr_reader *r, const uint8_t *buf, bool zero_copy, size_t *max_cap)
{
    struct xsr_error err;
    struct xsr_record rec;
    size_t off = 0;
    for (size_t i = 0; i < NRECS; i++) {
        assert_int_equal(xsr_reader_record(r, &rec, &err), 0);
        assert_int_equal(rec.type, i + 1);
        assert_int_equal(rec.length, lens[i]);
        assert_int_equal(rec.offset, off);
        assert_non_null(rec.body);
        assert_memory_equal(rec.body, buf + off + 8, lens[i]);
        for (uint32_t j = 0; j < xsr_rec_pad(lens[i]); j++)
            assert_int_equal(rec.padding[j], 0xee); /* padding as read */
        if (zero_copy && lens[i])
            assert_ptr_equal(rec.body, buf + off + 8);
        off += 8 + (size_t)xsr_rec_padded(lens[i]);
        assert_int_equal(xsr_reader_offset(r), off);
        if (max_cap)
            *max_cap = xsri_reader_buffer_capacity(r);
    }
    assert_int_equal(xsr_reader_at_eof(r, &err), 1);
    assert_int_equal(xsr_reader_record(r, &rec, &err), 1); /* clean end */
}

static void test_zero_copy_records(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = make_records(&len, XSR_LITTLE_ENDIAN);
    struct xsr_chan *ch = xsr_chan_mem_reader(buf, len, NULL);
    struct xsr_reader *r = xsr_reader_new(ch, 0, NULL);
    assert_non_null(r);
    assert_ptr_equal(xsr_reader_chan(r), ch);
    read_all(r, buf, true, NULL);
    assert_int_equal(xsri_reader_buffer_capacity(r), 0); /* nothing copied */
    xsr_reader_free(r);
    xsr_chan_close(ch, NULL);
    free(buf);
}

static void test_bounded_buffer(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = make_records(&len, XSR_BIG_ENDIAN);
    for (enum chan_kind k = CK_FD_FILE; k <= CK_FAULT; k++) {
        struct xsr_chan *ch = chan_over(k, buf, len);
        struct xsr_reader *r = xsr_reader_new(ch, 0, NULL);
        xsr_reader_set_order(r, XSR_BIG_ENDIAN);
        assert_int_equal(xsr_reader_order(r), XSR_BIG_ENDIAN);
        size_t cap = 0;
        read_all(r, buf, false, &cap);
        /* one buffer, exactly as large as the largest padded body (4999 -> 5000) */
        assert_int_equal(cap, 5000);
        xsr_reader_free(r);
        chan_done(ch);
    }
    free(buf);
}

static void test_limit_before_allocating(void **state)
{
    (void)state;
    uint8_t hdr[8];
    xsr_st32(hdr, XSR_REC_PAGE_DATA, XSR_LITTLE_ENDIAN);
    xsr_st32(hdr + 4, 0xfffffff0u, XSR_LITTLE_ENDIAN);
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        struct xsr_chan *ch = chan_over(k, hdr, sizeof(hdr));
        struct xsr_reader *r = xsr_reader_new(ch, 0, NULL);
        struct xsr_record rec;
        struct xsr_error err;
        assert_int_equal(xsr_reader_record(r, &rec, &err), XSR_ELIMIT);
        assert_int_equal(err.offset, 0);
        assert_non_null(strstr(err.message, "4294967280 bytes"));
        assert_non_null(strstr(err.message, "limit of 134217728 bytes"));
        assert_int_equal(xsri_reader_buffer_capacity(r), 0);
        xsr_reader_free(r);
        chan_done(ch);
    }
    /* a limit of the caller's */
    uint8_t rec16[24];
    put_rec(rec16, 5, 16, XSR_LITTLE_ENDIAN);
    struct xsr_chan *ch = chan_over(CK_FAULT, rec16, sizeof(rec16));
    struct xsr_reader *r = xsr_reader_new(ch, 15, NULL);
    struct xsr_record rec;
    struct xsr_error err;
    assert_int_equal(xsr_reader_record(r, &rec, &err), XSR_ELIMIT);
    assert_non_null(strstr(err.message, "limit of 15 bytes"));
    assert_int_equal(xsri_reader_buffer_capacity(r), 0);
    xsr_reader_free(r);
    chan_done(ch);
}

static void test_truncation(void **state)
{
    (void)state;
    uint8_t buf[40];
    size_t len = put_rec(buf, 9, 20, XSR_LITTLE_ENDIAN);
    assert_int_equal(len, 32);
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        for (size_t cut = 0; cut < len; cut++) {
            struct xsr_chan *ch = chan_over(k, buf, cut);
            struct xsr_reader *r = xsr_reader_new(ch, 0, NULL);
            struct xsr_record rec;
            struct xsr_error err;
            int rc = xsr_reader_record(r, &rec, &err);
            char want[128];
            if (cut == 0) {
                assert_int_equal(rc, 1);
            } else if (cut < 8) {
                assert_int_equal(rc, XSR_ETRUNC);
                snprintf(want, sizeof(want), "a record header starting at offset 0 (8 bytes): "
                         "%zu of them missing", 8 - cut);
                if (!strstr(err.message, want))
                    fail_msg("%s cut %zu: \"%s\"", chan_kind_name(k), cut, err.message);
                assert_int_equal(err.offset, 0);
            } else {
                assert_int_equal(rc, XSR_ETRUNC);
                snprintf(want, sizeof(want), "the body of a record of type 0x9 starting at "
                         "offset 0x8 (24 bytes): %zu of them missing", 32 - cut);
                if (!strstr(err.message, want))
                    fail_msg("%s cut %zu: \"%s\"", chan_kind_name(k), cut, err.message);
                assert_int_equal(err.offset, 0);
                assert_int_equal(err.code, XSR_ETRUNC);
            }
            xsr_reader_free(r);
            chan_done(ch);
        }
    }
}

static void test_lookahead_keeps_bytes(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = make_records(&len, XSR_LITTLE_ENDIAN);
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        struct xsr_chan *ch = chan_over(k, buf, len);
        struct xsr_reader *r = xsr_reader_new(ch, 0, NULL);
        struct xsr_error err;
        const uint8_t *p;
        size_t avail;
        /* peeks and end tests consume nothing */
        assert_int_equal(xsr_reader_at_eof(r, &err), 0);
        assert_int_equal(xsri_reader_peek(r, 32, &p, &avail, &err), 0);
        assert_int_equal(avail, 32);
        assert_memory_equal(p, buf, 32);
        assert_int_equal(xsr_reader_at_eof(r, &err), 0);
        assert_int_equal(xsr_reader_offset(r), 0);
        /* reads straddling the lookahead */
        assert_int_equal(xsr_reader_fixed(r, 4, &p, &err), 0);
        assert_memory_equal(p, buf, 4);
        assert_int_equal(xsr_reader_blob(r, 4, &p, &err), 0);
        assert_memory_equal(p, buf + 4, 4);
        assert_int_equal(xsr_reader_offset(r), 8);
        assert_int_equal(xsr_reader_fixed(r, 40, &p, &err), 0);
        assert_memory_equal(p, buf + 8, 40);
        xsr_reader_free(r);
        chan_done(ch);
    }
    free(buf);
}

/* An empty blob or header is a valid, non-NULL view on every kind of channel. */
static void test_empty_reads_give_a_view(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = make_records(&len, XSR_LITTLE_ENDIAN);
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        struct xsr_chan *ch = chan_over(k, buf, len);
        struct xsr_reader *r = xsr_reader_new(ch, 0, NULL);
        struct xsr_error err;
        const uint8_t *p = NULL;
        assert_int_equal(xsr_reader_blob(r, 0, &p, &err), 0);
        if (!p)
            fprintf(stderr, "empty blob on a %s channel has a NULL view\n", chan_kind_name(k));
        assert_non_null(p);
        p = NULL;
        assert_int_equal(xsr_reader_fixed(r, 0, &p, &err), 0);
        assert_non_null(p);
        assert_int_equal(xsr_reader_offset(r), 0);
        xsr_reader_free(r);
        chan_done(ch);
    }
    free(buf);
}

static void test_argument_checks(void **state)
{
    (void)state;
    uint8_t buf[8] = { 0 };
    struct xsr_chan *ch = xsr_chan_mem_reader(buf, sizeof(buf), NULL);
    struct xsr_error err;
    assert_null(xsr_reader_new(NULL, 0, &err));
    assert_int_equal(err.code, XSR_EINVAL);
    struct xsr_reader *r = xsr_reader_new(ch, 100, NULL);
    const uint8_t *p;
    assert_int_equal(xsr_reader_fixed(r, 4097, &p, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "4097"));
    assert_int_equal(xsr_reader_blob(r, 101, &p, &err), XSR_ELIMIT);
    assert_int_equal(xsr_reader_fixed(r, 9, &p, &err), XSR_ETRUNC);
    assert_non_null(strstr(err.message, "1 of them missing"));
    xsr_reader_free(r);
    xsr_chan_close(ch, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_copy_records),
        cmocka_unit_test(test_bounded_buffer),
        cmocka_unit_test(test_limit_before_allocating),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_lookahead_keeps_bytes),
        cmocka_unit_test(test_empty_reads_give_a_view),
        cmocka_unit_test(test_argument_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
