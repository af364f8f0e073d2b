/* SPDX-License-Identifier: MIT */
/*
 * The output file (io layer): the temporary gets the mode a new file gets,
 * without the library ever touching the process's umask, which other threads
 * share (linked with -Wl,--wrap=umask to count the calls); nothing is left
 * behind by an abort or a failed commit; a FIFO is written through, a symlink
 * followed, and neither is ever replaced.  (A character device is tested by
 * tests/cli/outputs_test.sh in a private mount namespace.)
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
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

mode_t __real_umask(mode_t mask);
mode_t __wrap_umask(mode_t mask);

static unsigned umask_calls;

int __real_fsync(int fd);
int __wrap_fsync(int fd);

static unsigned fsync_calls;

int __wrap_fsync(int fd)
{
    fsync_calls++;
    return __real_fsync(fd);
}

mode_t __wrap_umask(mode_t mask)
{
    umask_calls++;
    return __real_umask(mask);
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void test_mode_without_umask(void **state)
{
    char dir[] = "/tmp/xsr-outfile-XXXXXX", path[64];
    struct xsr_error err;
    struct stat st;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/out.img", dir);
    for (mode_t mask = 022; mask <= 077; mask += 055) {
        mode_t old = __real_umask(mask);
        umask_calls = 0;
        xsr_error_clear(&err);
        struct xsr_outfile *f = xsr_outfile_open(path, &err);
        assert_non_null(f);
        const char *tmp = xsr_outfile_temp_path(f);
        assert_non_null(tmp);
        assert_int_equal(strncmp(tmp, dir, strlen(dir)), 0);
        assert_non_null(strstr(tmp, "/.out.img."));
        assert_int_equal(stat(tmp, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
        assert_int_equal(xsr_chan_write(xsr_outfile_chan(f), "abc", 3, &err), 0);
        assert_int_equal(xsr_outfile_commit(f, &err), 0);
        assert_int_equal(umask_calls, 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
        assert_int_equal(st.st_size, 3);
        assert_int_equal(entries(dir), 1);
        __real_umask(old);
    }
    /* an abort leaves nothing, and the committed file is untouched */
    struct xsr_outfile *f = xsr_outfile_open(path, &err);
    assert_non_null(f);
    assert_int_equal(entries(dir), 2);
    xsr_outfile_abort(f);
    assert_int_equal(entries(dir), 1);
    assert_int_equal(umask_calls, 0);
    /* two open at once get different temporaries */
    struct xsr_outfile *a = xsr_outfile_open(path, &err), *b = xsr_outfile_open(path, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_not_equal(xsr_outfile_temp_path(a), xsr_outfile_temp_path(b));
    assert_int_equal(entries(dir), 3);
    xsr_outfile_abort(a);
    xsr_outfile_abort(b);
    /* a commit that cannot rename (the name is a directory) removes the
     * temporary */
    snprintf(path, sizeof(path), "%s/sub", dir);
    f = xsr_outfile_open(path, &err);
    assert_non_null(f);
    assert_int_equal(mkdir(path, 0700), 0);
    xsr_error_clear(&err);
    assert_int_equal(xsr_outfile_commit(f, &err), XSR_EIO);
    assert_non_null(strstr(err.message, "cannot rename"));
    assert_int_equal(entries(dir), 2);
    assert_int_equal(rmdir(path), 0);
    snprintf(path, sizeof(path), "%s/out.img", dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* The data is flushed to disk before the rename only when asked for. */
static void test_sync_only_when_asked(void **state)
{
    char dir[] = "/tmp/xsr-outfile-XXXXXX", path[64];
    struct xsr_error err;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/out.img", dir);
    for (int sync = 0; sync <= 1; sync++) {
        xsr_error_clear(&err);
        struct xsr_outfile *f = xsr_outfile_open(path, &err);
        assert_non_null(f);
        xsr_outfile_set_sync(f, sync);
        assert_int_equal(xsr_chan_write(xsr_outfile_chan(f), "abc", 3, &err), 0);
        fsync_calls = 0;
        assert_int_equal(xsr_outfile_commit(f, &err), 0);
        assert_int_equal(fsync_calls, (unsigned)sync);
    }
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* Write "abc" to path through an outfile and commit. */
static void write_abc(const char *path, bool want_direct)
{
    struct xsr_error err;

    xsr_error_clear(&err);
    struct xsr_outfile *f = xsr_outfile_open(path, &err);
    assert_non_null(f);
    assert_int_equal(xsr_outfile_direct(f), want_direct);
    assert_true(want_direct == (xsr_outfile_temp_path(f) == NULL));
    assert_true(xsr_outfile_fd(f) >= 0);
    assert_int_equal(xsr_chan_write(xsr_outfile_chan(f), "abc", 3, &err), 0);
    assert_int_equal(xsr_outfile_commit(f, &err), 0);
}

static void expect_file(const char *path, const char *text)
{
    char buf[16] = { 0 };
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf) - 1), (ssize_t)strlen(text));
    close(fd);
    assert_string_equal(buf, text);
}

/* A reader of the FIFO fifo that must receive "abc", in a child process;
 * returns its pid (reap with wait_reader). */
static pid_t fifo_reader(const char *fifo)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        char buf[16] = { 0 };
        int fd = open(fifo, O_RDONLY), n = 0, r;
        while (fd >= 0 && (r = (int)read(fd, buf + n, sizeof(buf) - 1 - (size_t)n)) > 0)
            n += r;
        _exit(strcmp(buf, "abc") == 0 ? 0 : 1);
    }
    return pid;
}

static void wait_reader(pid_t pid)
{
    int status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Each kind of name: regular, new, FIFO, symlinks to a regular file, to a
 * FIFO and dangling, a directory. */
static void test_kinds(void **state)
{
    char dir[] = "/tmp/xsr-outfile-XXXXXX", p[128], q[128];
    struct stat st;
    struct xsr_error err;
    (void)state;

    assert_non_null(mkdtemp(dir));
    /* a new name, then a regular file: replaced by the rename (new inode) */
    snprintf(p, sizeof(p), "%s/reg", dir);
    write_abc(p, false);
    expect_file(p, "abc");
    assert_int_equal(stat(p, &st), 0);
    ino_t ino = st.st_ino;
    write_abc(p, false);
    assert_int_equal(stat(p, &st), 0);
    assert_true(st.st_ino != ino);
    assert_int_equal(entries(dir), 1);

    /* a symlink (relative) to the regular file: the target is replaced, the
     * link stays a link */
    snprintf(q, sizeof(q), "%s/link", dir);
    assert_int_equal(symlink("reg", q), 0);
    assert_int_equal(truncate(p, 0), 0);
    write_abc(q, false);
    assert_int_equal(lstat(q, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    expect_file(p, "abc");
    assert_int_equal(entries(dir), 2);
    assert_int_equal(unlink(q), 0);

    /* a dangling symlink: its target is created */
    assert_int_equal(unlink(p), 0);
    assert_int_equal(symlink(p, q), 0); /* absolute */
    write_abc(q, false);
    assert_int_equal(lstat(q, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    expect_file(p, "abc");
    assert_int_equal(unlink(q), 0);
    assert_int_equal(unlink(p), 0);

    /* a FIFO with a reader: written through, the reader gets the data and
     * the FIFO stays */
    snprintf(p, sizeof(p), "%s/fifo", dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    pid_t pid = fifo_reader(p);
    write_abc(p, true);
    wait_reader(pid);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));

    /* a symlink to the FIFO: the same */
    assert_int_equal(symlink("fifo", q), 0);
    pid = fifo_reader(p);
    write_abc(q, true);
    wait_reader(pid);
    assert_int_equal(lstat(q, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(entries(dir), 2);
    assert_int_equal(unlink(q), 0);
    assert_int_equal(unlink(p), 0);

    /* an abort on a FIFO leaves it too */
    assert_int_equal(mkfifo(p, 0600), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(p, O_RDONLY);
        char c;
        while (fd >= 0 && read(fd, &c, 1) > 0)
            ;
        _exit(0);
    }
    struct xsr_outfile *f = xsr_outfile_open(p, &err);
    assert_non_null(f);
    xsr_outfile_abort(f);
    wait_reader(pid);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(unlink(p), 0);

    /* a directory and a loop of links are refused up front */
    xsr_error_clear(&err);
    assert_null(xsr_outfile_open(dir, &err));
    assert_int_equal(err.code, XSR_EIO);
    assert_int_equal(symlink("loop", q), 0);
    snprintf(p, sizeof(p), "%s/loop", dir);
    assert_int_equal(symlink("link", p), 0);
    xsr_error_clear(&err);
    assert_null(xsr_outfile_open(q, &err));
    assert_non_null(strstr(err.message, "link"));
    assert_int_equal(unlink(p), 0);
    assert_int_equal(unlink(q), 0);
    assert_int_equal(entries(dir), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_without_umask),
        cmocka_unit_test(test_sync_only_when_asked),
        cmocka_unit_test(test_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
