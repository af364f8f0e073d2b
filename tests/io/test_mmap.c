/* SPDX-License-Identifier: MIT */
/* mmap channel: views lie inside the file's mapping; empty files; errors. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xsr/io.h>

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/xsr-io-mmap-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void make_file(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    if (len)
        assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);
}

/* true if p lies in a mapping of the file named path (from /proc/self/maps) */
static bool in_file_mapping(const void *p, const char *path)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        uintptr_t lo, hi;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) != 2)
            continue;
        if (strstr(line, path) && (uintptr_t)p >= lo && (uintptr_t)p < hi)
            found = true;
    }
    fclose(f);
    return found;
}

static void test_views_inside_mapping(void **state)
{
    (void)state;
    size_t len = 3 * 4096 + 123;
    uint8_t *data = malloc(len);
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 31);
    char path[128];
    snprintf(path, sizeof(path), "%s/image", tmpdir);
    make_file(path, data, len);

    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_mmap_reader(path, &err);
    assert_non_null(ch);
    assert_true(xsr_chan_can_view(ch));
    assert_int_equal(xsr_chan_size(ch), (int64_t)len);
    const uint8_t *v0, *v1;
    assert_int_equal(xsr_chan_view(ch, 5000, &v0, &err), 0);
    assert_true(in_file_mapping(v0, path));
    assert_memory_equal(v0, data, 5000);
    assert_int_equal(xsr_chan_skip(ch, 3000, &err), 0);
    assert_int_equal(xsr_chan_view(ch, len - 8000, &v1, &err), 0);
    assert_ptr_equal(v1, v0 + 8000);
    assert_true(in_file_mapping(v1 + (len - 8001), path));
    assert_memory_equal(v1, data + 8000, len - 8000);
    uint8_t b;
    assert_int_equal(xsr_chan_read(ch, &b, 1, NULL, &err), XSR_ETRUNC);
    /* views stay valid until close */
    assert_memory_equal(v0, data, 16);
    assert_int_equal(xsr_chan_close(ch, &err), 0);

    /* open_read maps regular files too */
    ch = xsr_chan_open_read(path, 0, &err);
    assert_non_null(ch);
    assert_int_equal(xsr_chan_view(ch, 10, &v0, &err), 0);
    assert_true(in_file_mapping(v0, path));
    xsr_chan_close(ch, NULL);
    free(data);
}

static void test_empty_file(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/empty", tmpdir);
    make_file(path, NULL, 0);
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_mmap_reader(path, &err);
    assert_non_null(ch);
    assert_int_equal(xsr_chan_size(ch), 0);
    const uint8_t *v = NULL;
    size_t avail = 9;
    assert_int_equal(xsr_chan_peek(ch, 8, &v, &avail, &err), 0);
    assert_int_equal(avail, 0);
    uint8_t b;
    size_t got = 5;
    assert_int_equal(xsr_chan_read(ch, &b, 1, &got, &err), XSR_ETRUNC);
    assert_int_equal(got, 0);
    assert_int_equal(xsr_chan_view(ch, 1, &v, &err), XSR_ETRUNC);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
}

static void test_errors(void **state)
{
    (void)state;
    struct xsr_error err;
    char path[128];
    snprintf(path, sizeof(path), "%s/nope", tmpdir);
    assert_null(xsr_chan_mmap_reader(path, &err));
    assert_int_equal(err.code, XSR_EIO);
    assert_int_equal(err.sys_errno, ENOENT);
    assert_null(xsr_chan_mmap_reader(tmpdir, &err)); /* a directory */
    assert_int_equal(err.code, XSR_EINVAL);
    assert_non_null(strstr(err.message, "not a regular file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_views_inside_mapping),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
