/* SPDX-License-Identifier: MIT */
/*
 * Walker option skip_page_data: the same events as a full walk (kinds,
 * offsets, types, lengths, the pfn words), with the pages of PAGE_DATA and
 * the body of an unknown optional record passed over in the channel — from a pipe (spliced away), a regular file
 * (seeked) and memory (views) — and a truncation inside skipped pages still
 * reported where the record starts.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xsr/stream.h>

#define RECORDS 5u
#define PFNS 300u /* per record: 1.2 MiB of pages, more than a pipe holds */
/* an optional record of a type no one knows, bigger than a pipe holds too */
#define UNKNOWN_OPTIONAL 0x80000123u
#define UNKNOWN_LEN (1u << 20)

/* An xl-wrapped stream of RECORDS PAGE_DATA records, every third pfn XTAB,
 * the second one followed by an unknown optional record. */
static uint8_t *make_stream(size_t *len)
{
    struct xsr_error err;
    struct xsr_chan *mem = xsr_chan_mem_writer(&err);
    assert_non_null(mem);
    struct xsr_builder_opts o = XSR_BUILDER_OPTS_INIT;
    o.format = XSR_LAYER_XL;
    o.domain.type = XSR_DOM_X86_HVM;
    struct xsr_builder *b = xsr_builder_new(mem, &o, &err);
    assert_non_null(b);
    uint64_t words[PFNS];
    uint8_t *pages = malloc((size_t)PFNS * XSR_PAGE_SIZE);
    assert_non_null(pages);
    for (unsigned r = 0; r < RECORDS; r++) {
        unsigned data = 0;
        for (unsigned i = 0; i < PFNS; i++) {
            bool xtab = i % 3 == 2;
            words[i] = xsr_pfn_word_make(xtab ? XSR_PFN_XTAB : XSR_PFN_NOTAB, r * PFNS + i);
            if (!xtab)
                memset(pages + (size_t)data++ * XSR_PAGE_SIZE, (int)(r * 7 + i), XSR_PAGE_SIZE);
        }
        struct iovec iov = { pages, (size_t)data * XSR_PAGE_SIZE };
        if (xsr_builder_page_data(b, words, PFNS, &iov, 1, &err))
            fail_msg("page data: %s", err.message);
        if (r == 1 && xsr_builder_record(b, UNKNOWN_OPTIONAL, pages, UNKNOWN_LEN, &err))
            fail_msg("optional record: %s", err.message);
    }
    assert_int_equal(xsr_builder_end(b, &err), 0);
    assert_int_equal(xsr_builder_free(b, &err), 0);
    size_t n;
    const uint8_t *d = xsr_chan_mem_data(mem, &n);
    uint8_t *copy = malloc(n);
    memcpy(copy, d, n);
    xsr_chan_close(mem, NULL);
    free(pages);
    *len = n;
    return copy;
}

struct feeder {
    int fd;
    const uint8_t *buf;
    size_t len;
};

static void *feed(void *arg)
{
    struct feeder *f = arg;
    size_t off = 0;
    while (off < f->len) {
        ssize_t r = write(f->fd, f->buf + off, f->len - off > 100000 ? 100000 : f->len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(f->fd);
    return NULL;
}

enum src { FROM_PIPE, FROM_FILE, FROM_MEM };

/* Walk buf[0..len) from src; events into ev (at most cap), returns the walk's end code. */
static int walk(const uint8_t *buf, size_t len, enum src src, bool skim, struct xsr_event *ev,
                uint8_t **words, size_t cap, size_t *n, struct xsr_error *err)
{
    struct xsr_chan *ch;
    pthread_t t;
    struct feeder f;
    char path[] = "/tmp/xsr-skim-test.XXXXXX";
    if (src == FROM_PIPE) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        f = (struct feeder){ p[1], buf, len };
        assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
        ch = xsr_chan_fd_reader(p[0], true, err);
    } else if (src == FROM_FILE) {
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, buf, len), (ssize_t)len);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        unlink(path);
        ch = xsr_chan_fd_reader(fd, true, err);
    } else {
        ch = xsr_chan_mem_reader(buf, len, err);
    }
    assert_non_null(ch);
    struct xsr_walker_opts o = XSR_WALKER_OPTS_INIT;
    o.skip_page_data = skim;
    struct xsr_walker *w = xsr_walker_new(ch, &o, err);
    assert_non_null(w);
    int rc;
    *n = 0;
    while ((rc = xsr_walker_next(w, &ev[*n], err)) == 1) {
        assert_true(*n < cap);
        const struct xsr_record *r = &ev[*n].u.rec;
        words[*n] = NULL;
        if (ev[*n].kind == XSR_EV_RECORD && r->type == XSR_REC_PAGE_DATA) {
            size_t k = 8 + 8 * (size_t)PFNS;
            assert_true(r->length - r->skipped >= k);
            words[*n] = malloc(k);
            memcpy(words[*n], r->body, k);
        }
        (*n)++;
    }
    xsr_walker_free(w);
    xsr_chan_close(ch, NULL); /* the pipe's feeder gets EPIPE if it is not done */
    if (src == FROM_PIPE)
        pthread_join(t, NULL);
    return rc;
}

static void same_events(enum src src)
{
    size_t len, n1, n2;
    uint8_t *s = make_stream(&len);
    struct xsr_event a[32], b[32];
    uint8_t *wa[32], *wb[32];
    struct xsr_error err;
    assert_int_equal(walk(s, len, FROM_MEM, false, a, wa, 32, &n1, &err), 0);
    assert_int_equal(walk(s, len, src, true, b, wb, 32, &n2, &err), 0);
    assert_int_equal(n1, n2);
    unsigned skimmed = 0, unknown = 0;
    for (size_t i = 0; i < n1; i++) {
        assert_int_equal(a[i].kind, b[i].kind);
        assert_int_equal(a[i].offset, b[i].offset);
        if (a[i].kind != XSR_EV_RECORD && a[i].kind != XSR_EV_LIBXL_RECORD)
            continue;
        assert_int_equal(a[i].u.rec.type, b[i].u.rec.type);
        assert_int_equal(a[i].u.rec.length, b[i].u.rec.length);
        assert_int_equal(a[i].u.rec.skipped, 0);
        if (wa[i]) {
            assert_memory_equal(wa[i], wb[i], 8 + 8 * (size_t)PFNS);
            /* a pipe or a file is not copied from; memory costs nothing to view */
            uint32_t pages = b[i].u.rec.length - 8 - 8 * PFNS;
            assert_int_equal(b[i].u.rec.skipped, src == FROM_MEM ? 0 : pages);
            skimmed += b[i].u.rec.skipped != 0;
        } else if (a[i].u.rec.type == UNKNOWN_OPTIONAL) {
            assert_int_equal(b[i].u.rec.skipped, src == FROM_MEM ? 0 : UNKNOWN_LEN);
            unknown++;
        }
        free(wa[i]);
        free(wb[i]);
    }
    assert_int_equal(skimmed, src == FROM_MEM ? 0 : RECORDS);
    assert_int_equal(unknown, 1);
    free(s);
}

static void test_pipe(void **state) { (void)state; same_events(FROM_PIPE); }
static void test_file(void **state) { (void)state; same_events(FROM_FILE); }
static void test_mem(void **state) { (void)state; same_events(FROM_MEM); }

/* Cut inside the pages of the third record: ETRUNC at that record. */
static void test_truncated(void **state)
{
    (void)state;
    for (int src = FROM_PIPE; src <= FROM_FILE; src++) {
        size_t len, n;
        uint8_t *s = make_stream(&len);
        struct xsr_event a[32];
        uint8_t *wa[32];
        struct xsr_error err;
        assert_int_equal(walk(s, len, FROM_MEM, false, a, wa, 32, &n, &err), 0);
        uint64_t third = 0;
        unsigned seen = 0;
        for (size_t i = 0; i < n; i++) {
            if (wa[i] && ++seen == 3)
                third = a[i].offset;
            free(wa[i]);
        }
        size_t cut = (size_t)third + 8 + 8 + 8 * PFNS + 5 * XSR_PAGE_SIZE + 100;
        xsr_error_clear(&err);
        assert_int_equal(walk(s, cut, (enum src)src, true, a, wa, 32, &n, &err), XSR_ETRUNC);
        for (size_t i = 0; i < n; i++)
            free(wa[i]);
        assert_int_equal(err.offset, third);
        assert_int_equal(err.layer, XSR_LAYER_LIBXC);
        assert_non_null(strstr(err.message, "PAGE_DATA"));
        free(s);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_mem),
        cmocka_unit_test(test_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
