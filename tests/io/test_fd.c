/* SPDX-License-Identifier: MIT */
/* fd channels: pipes fed in small pieces, regular files, the open helpers, close errors. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <xsr/io.h>

#define DATA_LEN 100000u
static uint8_t data[DATA_LEN];

/* Feeds a pipe in pieces of 1..7 bytes, then closes it. */
struct feeder {
    int fd;
    const uint8_t *buf;
    size_t len;
};

static void *feed(void *arg)
{
    struct feeder *f = arg;
    size_t off = 0;
    unsigned k = 0;
    while (off < f->len) {
        size_t n = (k++ % 7) + 1;
        if (n > f->len - off)
            n = f->len - off;
        ssize_t r = write(f->fd, f->buf + off, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(f->fd);
    return NULL;
}

/* Drains a pipe into a buffer. */
struct drain {
    int fd;
    uint8_t *buf;
    size_t cap, len;
};

static void *drain(void *arg)
{
    struct drain *d = arg;
    for (;;) {
        ssize_t r = read(d->fd, d->buf + d->len, d->cap - d->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        d->len += (size_t)r;
        if (d->len == d->cap)
            break;
    }
    return NULL;
}

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/xsr-io-fd-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_pipe_small_pieces(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct feeder f = { p[1], data, DATA_LEN };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);

    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_fd_reader(p[0], true, &err);
    assert_non_null(ch);
    assert_false(xsr_chan_can_view(ch));
    assert_int_equal(xsr_chan_size(ch), -1);
    const uint8_t *v;
    assert_int_equal(xsr_chan_view(ch, 4, &v, &err), XSR_EUNSUP);

    uint8_t *buf = malloc(DATA_LEN);
    assert_non_null(buf);
    /* reads of growing sizes, a skip through the scratch buffer, then the rest */
    size_t off = 0, n = 1;
    while (off + n <= 60000) {
        assert_int_equal(xsr_chan_read(ch, buf + off, n, NULL, &err), 0);
        off += n;
        n = n * 3 + 1;
    }
    assert_memory_equal(buf, data, off);
    assert_int_equal(xsr_chan_skip(ch, 70000 - off, &err), 0);
    assert_int_equal(xsr_chan_offset(ch), 70000);
    size_t got = 0;
    assert_int_equal(xsr_chan_read(ch, buf, DATA_LEN, &got, &err), XSR_ETRUNC);
    assert_int_equal(got, DATA_LEN - 70000);
    assert_memory_equal(buf, data + 70000, got);
    assert_non_null(strstr(err.message, "file descriptor"));
    assert_int_equal(xsr_chan_offset(ch), DATA_LEN);
    pthread_join(t, NULL);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
    free(buf);
}

static void test_pipe_skip_past_end(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct feeder f = { p[1], data, 5000 };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_fd_reader(p[0], true, &err);
    assert_int_equal(xsr_chan_skip(ch, 6000, &err), XSR_ETRUNC);
    assert_non_null(strstr(err.message, "1000 missing"));
    assert_int_equal(xsr_chan_offset(ch), 5000);
    pthread_join(t, NULL);
    xsr_chan_close(ch, NULL);
}

static void test_writev_many_iovecs(void **state)
{
    (void)state;
    /* 300 iovecs (more than one writev call takes), some empty, into a pipe
     * smaller than the data: the writer must advance across iovecs */
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct drain d = { p[0], malloc(DATA_LEN), DATA_LEN, 0 };
    assert_non_null(d.buf);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, drain, &d), 0);

    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_fd_writer(p[1], true, &err);
    assert_non_null(ch);
    struct iovec iov[300];
    size_t off = 0;
    for (int i = 0; i < 300; i++) {
        size_t n = (i % 5 == 0) ? 0 : (size_t)(i * 13 % 600) + 1;
        if (n > DATA_LEN - off)
            n = DATA_LEN - off;
        iov[i].iov_base = data + off;
        iov[i].iov_len = n;
        off += n;
    }
    assert_int_equal(xsr_chan_writev(ch, iov, 300, &err), 0);
    assert_int_equal(xsr_chan_offset(ch), off);
    assert_int_equal(xsr_chan_close(ch, &err), 0); /* closes the pipe: the drain ends */
    pthread_join(t, NULL);
    assert_int_equal(d.len, off);
    assert_memory_equal(d.buf, data, off);
    free(d.buf);
}

static void make_file(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);
}

static void test_regular_file_no_mmap(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/plain", tmpdir);
    make_file(path, data, 10000);
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_open_read(path, XSR_OPEN_NO_MMAP, &err);
    assert_non_null(ch);
    assert_false(xsr_chan_can_view(ch));
    assert_int_equal(xsr_chan_size(ch), 10000);
    uint8_t buf[100];
    assert_int_equal(xsr_chan_read(ch, buf, 100, NULL, &err), 0);
    assert_memory_equal(buf, data, 100);
    assert_int_equal(xsr_chan_skip(ch, 9000, &err), 0); /* lseek */
    assert_int_equal(xsr_chan_read(ch, buf, 100, NULL, &err), 0);
    assert_memory_equal(buf, data + 9100, 100);
    /* a seek must not go past the end of the file */
    assert_int_equal(xsr_chan_skip(ch, 801, &err), XSR_ETRUNC);
    assert_non_null(strstr(err.message, "1 missing"));
    assert_int_equal(xsr_chan_offset(ch), 10000);
    size_t got = 1;
    assert_int_equal(xsr_chan_read(ch, buf, 1, &got, &err), XSR_ETRUNC);
    assert_int_equal(got, 0);
    assert_int_equal(xsr_chan_close(ch, &err), 0);

    /* without the flag the same file is mapped */
    ch = xsr_chan_open_read(path, 0, &err);
    assert_non_null(ch);
    assert_true(xsr_chan_can_view(ch));
    xsr_chan_close(ch, NULL);
}

static void test_open_write_and_errors(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/out", tmpdir);
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_open_write(path, &err);
    assert_non_null(ch);
    assert_int_equal(xsr_chan_write(ch, data, 4321, &err), 0);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 4321);
    assert_int_equal(st.st_mode & 0777, 0644 & ~umask(022));

    snprintf(path, sizeof(path), "%s/missing/x", tmpdir);
    assert_null(xsr_chan_open_read(path, 0, &err));
    assert_int_equal(err.code, XSR_EIO);
    assert_int_equal(err.sys_errno, ENOENT);
    assert_non_null(strstr(err.message, path));
    assert_null(xsr_chan_open_write(path, &err));
    assert_int_equal(err.sys_errno, ENOENT);
    assert_null(xsr_chan_fd_reader(-1, false, &err));
    assert_int_equal(err.code, XSR_EINVAL);
}

static void test_stdin_dash(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/stdin", tmpdir);
    make_file(path, data, 64);
    int saved = dup(STDIN_FILENO);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0 && saved >= 0);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);

    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_open_read("-", 0, &err);
    assert_non_null(ch);
    uint8_t buf[64];
    assert_int_equal(xsr_chan_read(ch, buf, 64, NULL, &err), 0);
    assert_memory_equal(buf, data, 64);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
    /* standard input is not owned: still open */
    assert_true(fcntl(STDIN_FILENO, F_GETFD) >= 0);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
}

static void test_stdout_dash(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/stdout", tmpdir);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0 && saved >= 0);
    assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    close(fd);
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_open_write("-", &err);
    int rc1 = ch ? xsr_chan_write(ch, data, 99, &err) : -100;
    int rc2 = xsr_chan_close(ch, &err);
    bool still_open = fcntl(STDOUT_FILENO, F_GETFD) >= 0;
    dup2(saved, STDOUT_FILENO);
    close(saved);
    assert_int_equal(rc1, 0);
    assert_int_equal(rc2, 0);
    assert_true(still_open); /* standard output is not owned */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 99);
}

static void test_close_failure_reported(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_fd_reader(p[0], true, &err);
    assert_non_null(ch);
    close(p[0]); /* behind the channel's back: its own close must fail */
    assert_int_equal(xsr_chan_close(ch, &err), XSR_EIO);
    assert_int_equal(err.sys_errno, EBADF);
    assert_non_null(strstr(err.message, "closing"));
    close(p[1]);
}

static void test_write_to_closed_pipe(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_fd_writer(p[1], true, &err);
    assert_int_equal(xsr_chan_write(ch, data, 10, &err), XSR_EIO);
    assert_int_equal(err.sys_errno, EPIPE);
    xsr_chan_close(ch, NULL);
}

int main(void)
{
    for (size_t i = 0; i < DATA_LEN; i++)
        data[i] = (uint8_t)(i ^ (i >> 8) ^ (i >> 16));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe_small_pieces),
        cmocka_unit_test(test_pipe_skip_past_end),
        cmocka_unit_test(test_writev_many_iovecs),
        cmocka_unit_test(test_regular_file_no_mmap),
        cmocka_unit_test(test_open_write_and_errors),
        cmocka_unit_test(test_stdin_dash),
        cmocka_unit_test(test_stdout_dash),
        cmocka_unit_test(test_close_failure_reported),
        cmocka_unit_test(test_write_to_closed_pipe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
