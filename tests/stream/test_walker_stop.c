/* SPDX-License-Identifier: MIT */
/*
 * Walker option stop_at_end: on a pipe whose writer stays open (a migration
 * socket after the stream), the walk returns right after the outermost END
 * instead of waiting for the end of input, and leaves what follows unread in
 * the channel.  Also: the options' size field.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sample.h"

/* A hang would block the test forever: SIGALRM's default action ends it. */
#define HANG_GUARD_SECONDS 20

typedef void (*sample_fn)(struct sample *);

/* Walk s from a pipe holding s and then `after`, the writer left open. */
static void walk_open_pipe(sample_fn make, const char *after)
{
    struct sample s;
    make(&s);
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_true(s.len + strlen(after) < 65536); /* fits a pipe's buffer */
    assert_int_equal(write(p[1], s.buf, s.len), (ssize_t)s.len);
    assert_int_equal(write(p[1], after, strlen(after)), (ssize_t)strlen(after));

    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_fd_reader(p[0], false, &err);
    assert_non_null(ch);
    struct xsr_walker_opts o = XSR_WALKER_OPTS_INIT;
    o.stop_at_end = true;
    struct xsr_walker *w = xsr_walker_new(ch, &o, &err);
    assert_non_null(w);
    struct xsr_event ev;
    size_t n = 0;
    int rc;
    alarm(HANG_GUARD_SECONDS);
    while ((rc = xsr_walker_next(w, &ev, &err)) == 1) {
        assert_true(n < s.nev);
        assert_int_equal(ev.kind, s.ev[n].kind);
        assert_int_equal(ev.offset, s.ev[n].offset);
        n++;
    }
    alarm(0);
    assert_int_equal(rc, 0);
    assert_int_equal(n, s.nev);
    assert_int_equal(xsr_reader_offset(xsr_walker_reader(w)), s.len);
    /* done means done: no read on a further call either */
    alarm(HANG_GUARD_SECONDS);
    assert_int_equal(xsr_walker_next(w, &ev, &err), 0);
    alarm(0);
    xsr_walker_free(w);
    xsr_chan_close(ch, NULL);

    /* what followed the stream is still in the pipe, all of it */
    size_t want = strlen(after);
    if (want) {
        char buf[64];
        assert_int_equal(read(p[0], buf, sizeof(buf)), (ssize_t)want);
        assert_memory_equal(buf, after, want);
    }
    close(p[0]);
    close(p[1]);
    sample_free(&s);
}

static void test_open_pipe_libxl(void **state)
{
    (void)state;
    walk_open_pipe(sample_xl_libxl_libxc, "");
    walk_open_pipe(sample_checkpointed, "");
}

static void test_open_pipe_bare_libxc(void **state)
{
    (void)state;
    walk_open_pipe(sample_bare_libxc_be, "");
    walk_open_pipe(sample_libxc_checkpoints, "");
}

/* xl's migration protocol goes on after the stream: those bytes are the
 * caller's, not trailing data of the image. */
static void test_bytes_after_end_left_unread(void **state)
{
    (void)state;
    walk_open_pipe(sample_xl_libxl_libxc, "migration-receiver-ready");
    walk_open_pipe(sample_bare_libxl, "x");
}

/* Without the option the walker still reports trailing bytes (a file). */
static void test_default_reads_trailing(void **state)
{
    (void)state;
    struct sample s;
    sample_bare_libxl(&s);
    uint8_t *buf = malloc(s.len + 3);
    assert_non_null(buf);
    memcpy(buf, s.buf, s.len);
    memcpy(buf + s.len, "abc", 3);
    struct xsr_chan *ch = xsr_chan_mem_reader(buf, s.len + 3, NULL);
    struct xsr_walker *w = xsr_walker_new(ch, NULL, NULL);
    struct xsr_event ev;
    int rc, trailing = 0;
    while ((rc = xsr_walker_next(w, &ev, NULL)) == 1)
        trailing += ev.kind == XSR_EV_TRAILING;
    assert_int_equal(rc, 0);
    assert_int_equal(trailing, 1);
    xsr_walker_free(w);
    xsr_chan_close(ch, NULL);
    free(buf);
    sample_free(&s);
}

/* An older caller's smaller options work with defaults for what its layout
 * lacks; a size this library does not know is refused with a clear error. */
static void test_opts_size(void **state)
{
    (void)state;
    struct sample s;
    sample_bare_libxl(&s);
    struct xsr_chan *ch = xsr_chan_mem_reader(s.buf, s.len, NULL);
    struct xsr_error err;
    struct xsr_walker_opts o = XSR_WALKER_OPTS_INIT;
    o.format = XSR_LAYER_LIBXL;
    o.stop_at_end = true; /* not in the older layout: ignored */
    o.size = offsetof(struct xsr_walker_opts, stop_at_end);
    struct xsr_walker *w = xsr_walker_new(ch, &o, &err);
    assert_non_null(w);
    struct xsr_event ev;
    assert_int_equal(xsr_walker_next(w, &ev, &err), 1);
    assert_int_equal(ev.kind, XSR_EV_LIBXL_HEADER);
    xsr_walker_free(w);

    o.size = sizeof(o) + 16;
    assert_null(xsr_walker_new(ch, &o, &err));
    assert_int_equal(err.code, XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_walker_opts"));
    assert_non_null(strstr(err.message, "newer"));
    o.size = 0;
    assert_null(xsr_walker_new(ch, &o, &err));
    assert_non_null(strstr(err.message, "_INIT"));
    xsr_chan_close(ch, NULL);
    sample_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_pipe_libxl),
        cmocka_unit_test(test_open_pipe_bare_libxc),
        cmocka_unit_test(test_bytes_after_end_left_unread),
        cmocka_unit_test(test_default_reads_trailing),
        cmocka_unit_test(test_opts_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
