/* SPDX-License-Identifier: MIT */
/*
 * The atomic output file (convert layer): the temporary gets the mode a new
 * file gets, without the library ever touching the process's umask, which
 * other threads share (linked with -Wl,--wrap=umask to count the calls);
 * nothing is left behind by an abort or a failed commit.
 */
#include <dirent.h>
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

#include <xsr/convert.h>

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
    assert_int_equal(mkdir(path, 0700), 0);
    f = xsr_outfile_open(path, &err);
    assert_non_null(f);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_without_umask),
        cmocka_unit_test(test_sync_only_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
