/* SPDX-License-Identifier: MIT */
/*
 * mmap channel: views lie inside the file's mapping; empty files; errors;
 * xsr_chan_open_read reading through the descriptor where mapping fails.
 */
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <xsr/io.h>

#include "io/chan_internal.h"

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

/* The file is cut short after it was mapped: the bytes gone are an I/O error
 * that says so, never a SIGBUS from touching them. */
static void test_file_shrinks_while_read(void **state)
{
    (void)state;
    size_t len = 5 * 4096;
    uint8_t *data = calloc(1, len);
    assert_non_null(data);
    char path[128];
    snprintf(path, sizeof(path), "%s/shrinking", tmpdir);
    make_file(path, data, len);

    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_open_read(path, 0, &err);
    assert_non_null(ch);
    const uint8_t *v;
    assert_int_equal(xsr_chan_view(ch, 4096, &v, &err), 0);
    assert_int_equal(truncate(path, 4096 + 100), 0);
    /* still there */
    assert_int_equal(xsr_chan_view(ch, 100, &v, &err), 0);
    assert_int_equal(v[99], 0);
    /* gone: view, peek and read all fail cleanly */
    assert_int_equal(xsr_chan_view(ch, 4096, &v, &err), XSR_EIO);
    assert_non_null(strstr(err.message, "input changed while reading"));
    assert_int_equal(err.offset, 4096 + 100);
    size_t avail;
    assert_int_equal(xsr_chan_peek(ch, 4096, &v, &avail, &err), XSR_EIO);
    assert_non_null(strstr(err.message, "input changed while reading"));
    uint8_t buf[4096];
    assert_int_equal(xsr_chan_read(ch, buf, sizeof(buf), NULL, &err), XSR_EIO);
    assert_non_null(strstr(err.message, "input changed while reading"));
    assert_int_equal(xsr_chan_close(ch, &err), 0);
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

/* Read ch to its end into buf (at most cap bytes); returns the byte count. */
static size_t read_all(struct xsr_chan *ch, uint8_t *buf, size_t cap)
{
    struct xsr_error err;
    size_t got = 0;
    int rc = xsr_chan_read(ch, buf, cap, &got, &err);
    assert_int_equal(rc, XSR_ETRUNC); /* the file is shorter than cap */
    return got;
}

/* A mapping step that fails as mmap does on a file system that cannot map. */
static unsigned map_calls;
static struct xsr_chan *map_enodev(int fd, const char *name, struct xsr_error *err)
{
    (void)fd;
    map_calls++;
    xsr_error_sys(err, ENODEV, "cannot map %s", name);
    return NULL;
}

static void test_open_read_map_failure_falls_back(void **state)
{
    (void)state;
    size_t len = 2 * 4096 + 77;
    uint8_t *data = malloc(len), *buf = malloc(len);
    assert_non_null(data);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    char path[128];
    snprintf(path, sizeof(path), "%s/unmappable", tmpdir);
    make_file(path, data, len);

    struct xsr_error err;
    map_calls = 0;
    struct xsr_chan *ch = xsri_chan_open_read_map(path, 0, map_enodev, &err);
    assert_non_null(ch);
    assert_int_equal(map_calls, 1);
    assert_false(xsr_chan_can_view(ch));
    assert_int_equal(xsr_chan_size(ch), (int64_t)len);
    assert_int_equal(xsr_chan_read(ch, buf, 100, NULL, &err), 0);
    assert_memory_equal(buf, data, 100);
    assert_int_equal(xsr_chan_skip(ch, 4000, &err), 0);
    size_t got = 0;
    assert_int_equal(xsr_chan_read(ch, buf, len, &got, &err), XSR_ETRUNC);
    assert_int_equal(got, len - 4100);
    assert_memory_equal(buf, data + 4100, got);
    assert_int_equal(xsr_chan_offset(ch), len);
    assert_int_equal(xsr_chan_close(ch, &err), 0);

    /* XSR_OPEN_NO_MMAP and empty files do not try to map at all */
    ch = xsri_chan_open_read_map(path, XSR_OPEN_NO_MMAP, map_enodev, &err);
    assert_non_null(ch);
    xsr_chan_close(ch, NULL);
    snprintf(path, sizeof(path), "%s/empty-unmappable", tmpdir);
    make_file(path, NULL, 0);
    ch = xsri_chan_open_read_map(path, 0, map_enodev, &err);
    assert_non_null(ch);
    assert_int_equal(xsr_chan_size(ch), 0);
    assert_int_equal(xsr_chan_read(ch, buf, 1, &got, &err), XSR_ETRUNC);
    assert_int_equal(got, 0);
    xsr_chan_close(ch, NULL);
    assert_int_equal(map_calls, 1);

    /* opening still fails where the file itself cannot be opened */
    snprintf(path, sizeof(path), "%s/missing", tmpdir);
    assert_null(xsri_chan_open_read_map(path, 0, map_enodev, &err));
    assert_int_equal(err.sys_errno, ENOENT);
    free(data);
    free(buf);
}

/* Pseudo files (procfs) are regular files of size 0 with content: read them. */
static void test_open_read_size_zero_pseudo_file(void **state)
{
    (void)state;
    const char *path = "/proc/self/status";
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != 0)
        skip();
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_open_read(path, 0, &err);
    assert_non_null(ch);
    assert_false(xsr_chan_can_view(ch));
    static uint8_t buf[1 << 16];
    size_t n = read_all(ch, buf, sizeof(buf));
    assert_true(n > 6);
    assert_memory_equal(buf, "Name:\t", 6);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
}

/* A regular file of a size > 0 that cannot be mapped (sysfs: ENODEV) is read
 * through its descriptor. */
static void test_open_read_unmappable_file(void **state)
{
    (void)state;
    static const char *const candidates[] = {
        "/sys/kernel/mm/transparent_hugepage/enabled",
        "/sys/kernel/mm/transparent_hugepage/defrag",
        "/sys/power/state",
        "/sys/kernel/uevent_seqnum",
    };
    const char *path = NULL;
    static uint8_t want[1 << 16], buf[1 << 16];
    ssize_t want_len = -1;
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]) && !path; i++) {
        int fd = open(candidates[i], O_RDONLY);
        if (fd < 0)
            continue;
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
            void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p == MAP_FAILED) {
                want_len = read(fd, want, sizeof(want));
                if (want_len > 0)
                    path = candidates[i];
            } else {
                munmap(p, (size_t)st.st_size);
            }
        }
        close(fd);
    }
    if (!path)
        skip(); /* no unmappable regular file on this system */

    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_open_read(path, 0, &err);
    if (!ch)
        fprintf(stderr, "%s: %s\n", path, err.message);
    assert_non_null(ch);
    assert_false(xsr_chan_can_view(ch));
    size_t n = read_all(ch, buf, sizeof(buf));
    assert_int_equal(n, (size_t)want_len);
    assert_memory_equal(buf, want, n);
    assert_int_equal(xsr_chan_close(ch, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_views_inside_mapping),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_file_shrinks_while_read),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_open_read_map_failure_falls_back),
        cmocka_unit_test(test_open_read_size_zero_pseudo_file),
        cmocka_unit_test(test_open_read_unmappable_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
